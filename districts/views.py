from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from districts import forms, population, selectors, services
from districts.tables import ImportRejected


@login_required
def area_list(request):
    return render(request, "districts/area_list.html", {"municipalities": selectors.area_tree()})


# Assessments (地区アセスメント): one section per area and year, edited in place. The section is
# the include districts/includes/assessment.html (also used on the area page); its Edit link is a
# real page without JavaScript, and with htmx swaps the section for the form and back.


def _assessment_area_year(code: str, year: int):
    if not selectors.assessment_year_is_valid(year):
        raise Http404
    return selectors.area_get(code=code), year


def _return_to(request) -> str:
    """Where the user is looking: for an htmx request the page it came from, not the fragment."""
    if request.htmx and request.htmx.current_url_abs_path:
        return request.htmx.current_url_abs_path
    return request.get_full_path()


def _safe_next(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@login_required
def assessment_detail(request, code, year):
    area, year = _assessment_area_year(code, year)
    assessment = selectors.assessment_for(area=area, year=year)
    context = {"area": area, "year": year, "assessment": assessment}
    revisions = selectors.assessment_revisions(assessment=assessment) if assessment else []
    if request.htmx and request.htmx.target == "assessment-history":
        return render(
            request, "districts/assessment_detail.html#history", context | {"revisions": revisions}
        )
    if request.htmx:
        # "Cancel" in the in-place form: the section as it is stored.
        return render(
            request,
            "districts/includes/assessment.html",
            context | {"return_to": _return_to(request)},
        )
    default_year = selectors.assessment_default_year()
    years = sorted({*selectors.assessment_years(area=area), default_year, year}, reverse=True)
    return render(
        request,
        "districts/assessment_detail.html",
        context | {"revisions": revisions, "years": years},
    )


@login_required
def assessment_edit(request, code, year):
    """GET: the form (a page, or the section's form for htmx). POST: save; htmx gets the section
    back, a plain post is redirected (PRG). A save based on an older version is refused and the
    form comes back with the typed text and what is stored now."""
    area, year = _assessment_area_year(code, year)
    assessment = selectors.assessment_for(area=area, year=year)
    next_url = _safe_next(request)
    conflict = None
    if request.method == "POST":
        form = forms.AssessmentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessment = services.assessment_save(
                    area=area,
                    year=year,
                    user=request.user,
                    expected_version=data["version"],
                    **{name: data[name] for name in services.ASSESSMENT_TEXT_FIELDS},
                )
            except services.EditConflict as error:
                # Keep the typed text; the form now carries the stored version, so saving again
                # is a deliberate replace by someone who has seen what is stored.
                assessment = conflict = error.current
                data = request.POST.copy()
                data["version"] = str(conflict.version if conflict else 0)
                form = forms.AssessmentForm(data)
                form.is_valid()
                form.add_error(None, error.message)
            else:
                if request.htmx:
                    response = render(
                        request,
                        "districts/includes/assessment.html",
                        {
                            "area": area,
                            "year": year,
                            "assessment": selectors.assessment_for(area=area, year=year),
                            "return_to": _return_to(request),
                        },
                    )
                    # The history list on the assessment page reloads itself on this event.
                    return trigger_client_event(response, "assessmentSaved")
                detail = reverse("staff:assessment_detail", args=[area.code, year])
                return redirect(next_url or detail)
    else:
        initial = {"version": assessment.version if assessment else 0}
        if assessment:
            initial |= {name: getattr(assessment, name) for name in services.ASSESSMENT_TEXT_FIELDS}
        form = forms.AssessmentForm(initial=initial)
    context = {
        "area": area,
        "year": year,
        "assessment": assessment,
        "form": form,
        "conflict": conflict,
        # Each field beside what is stored now, shown when the save was refused.
        "rows": [
            (form[name], getattr(conflict, name) if conflict else "")
            for name in services.ASSESSMENT_TEXT_FIELDS
        ],
        "next": next_url,
    }
    if request.htmx:
        return render(request, "districts/includes/assessment_form.html", context)
    return render(request, "districts/assessment_edit.html", context)


# District issues (地域課題). Any logged-in staff member may raise and move issues: there is no
# finer permission model yet.


@login_required
def issue_list(request):
    form = forms.IssueFilterForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        issues = selectors.issue_search(
            level=data["level"],
            area=data["area"],
            include_sub_areas=data["sub"],
            status=data["status"],
            target_group=data["target"],
        )
        # Filters live in the URL, so paging keeps them and a link reproduces the list.
        filters = {
            "level": data["level"],
            "area": data["area"].code if data["area"] else "",
            "sub": "1" if data["sub"] else "",
            "status": data["status"],
            "target": data["target"],
        }
        filters = {key: value for key, value in filters.items() if value}
    else:
        issues, filters = selectors.issue_search().none(), {}
    page = Paginator(issues, 50).get_page(request.GET.get("page"))
    template = "districts/issue_list.html"
    if request.htmx:
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "filter_query": "&" + urlencode(filters) if filters else "",
        },
    )


@login_required
def issue_raise(request):
    if request.method == "POST":
        form = forms.IssueRaiseForm(request.POST)
        if form.is_valid():
            try:
                issue = services.issue_raise(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                return redirect("staff:issue_detail", pk=issue.pk)
    else:
        code = request.GET.get("area", "")
        form = forms.IssueRaiseForm(initial={"area": code} if code else None)
    return render(request, "districts/issue_raise.html", {"form": form})


@login_required
def issue_detail(request, pk):
    issue = selectors.issue_get(pk=pk)
    return render(request, "districts/issue_detail.html", _issue_context(issue=issue))


@login_required
@require_POST
def issue_change_status(request, pk):
    """The status form posts here: htmx gets the issue's section back, a plain post is redirected
    to the issue (PRG). Refused moves come back with the reason and the typed text."""
    issue = selectors.issue_get(pk=pk)
    form = forms.IssueStatusForm(request.POST, issue=issue)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.issue_change_status(
                issue=issue,
                to_status=data["to_status"],
                reason=data["reason"],
                user=request.user,
                expected_version=data["version"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "stale":
                # Show the issue as it is now; the form offers the moves allowed from there.
                issue = selectors.issue_get(pk=pk)
                fresh = request.POST.copy()
                fresh["version"] = str(issue.version)
                form = forms.IssueStatusForm(fresh, issue=issue)
                form.is_valid()
            _add_errors(form, error)
        else:
            if not request.htmx:
                return redirect("staff:issue_detail", pk=issue.pk)
            issue = selectors.issue_get(pk=pk)
            form = forms.IssueStatusForm(issue=issue)
    template = "districts/issue_detail.html"
    if request.htmx:
        template += "#workflow"
    return render(request, template, _issue_context(issue=issue, form=form))


def _issue_context(*, issue, form=None) -> dict:
    return {
        "issue": issue,
        "history": selectors.issue_history(issue=issue),
        "form": form or forms.IssueStatusForm(issue=issue),
    }


def _add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: by field where the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# Population figures: staff with the districts.add_populationfigure permission (data stewards, set
# in the Wagtail admin; superusers have it) upload a table; the page shows the same report as
# `manage.py import_population`. A dry run is the default, so a first upload only shows changes.

UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


class PopulationUploadForm(django_forms.Form):
    file = django_forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or Shift_JIS) or Excel (.xlsx), at most 10 MB."),
    )
    surveyed_on = django_forms.CharField(
        label=_("Survey date"),
        required=False,
        help_text=_(
            "Only for files without a 調査年月日 column, e.g. 2026-04-01 or 令和8年4月1日."
        ),
    )
    dry_run = django_forms.BooleanField(
        label=_("Dry run: show what would change and write nothing"),
        required=False,
        initial=True,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > population.MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is %(size)s MB; files of up to %(limit)s MB can be imported.")
                % {
                    "size": f"{upload.size / 1024 / 1024:.1f}",
                    "limit": population.MAX_UPLOAD_BYTES // 1024 // 1024,
                }
            )
        if not upload.name.lower().endswith(UPLOAD_SUFFIXES):
            raise ValidationError(_("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."))
        return upload

    def clean_surveyed_on(self):
        text = self.cleaned_data["surveyed_on"].strip()
        if not text:
            return None
        try:
            return population.parse_survey_date(text)
        except ValueError:
            raise ValidationError(
                _("「%(value)s」 is not a date (write 2026-04-01 or 令和8年4月1日).")
                % {"value": text}
            ) from None


@login_required
@permission_required("districts.add_populationfigure", raise_exception=True)
def population_upload(request):
    report = problems = None
    if request.method == "POST":
        form = PopulationUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = population.population_import(
                    source=upload,
                    filename=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                    surveyed_on=form.cleaned_data["surveyed_on"],
                )
            except ImportRejected as rejected:
                problems = rejected.problems
    else:
        form = PopulationUploadForm()
    template = "districts/population_upload.html"
    if request.htmx:
        template += "#import"
    return render(request, template, {"form": form, "report": report, "problems": problems})
