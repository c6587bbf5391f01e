"""The case pages in /staff/: the list, the case record, and one POST endpoint per change.

Reading: whoever sees the case (conferences.selectors.case_get_visible; 404 for anyone else).
Changing: members of an organisation on the case only (conferences.cases.case_get_changeable;
the same 404 for everyone else, including a chair who sees the case through a meeting).
Every read and change is audited. Every form works without JavaScript (POST, then a redirect to
the case page; refused input comes back in the page as typed, with the reasons); with htmx the
form swaps the case record in place. Titles never name the case.
"""

import csv
import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from conferences import audit, case_forms, cases, selectors, services
from conferences.models import AuditEvent, Case, Consent, LeadChange, SupportPlan
from districts.models import Area

REVIEW_WINDOW_DAYS = 30


def _case_url(case: Case, anchor: str = "") -> str:
    url = reverse("staff:case_detail", args=[case.public_id])
    return f"{url}#{anchor}" if anchor else url


# ---------------------------------------------------------------------------------------------
# The list


@login_required
@vary_on_headers("HX-Request")
def case_list(request):
    """Visible cases, filtered by status, support level, district and review due; no search by
    code, so that no case code ever travels in a URL (and so in a server log)."""
    today = timezone.localdate()
    filters = {
        "status": request.GET.get("status", ""),
        "support_level": request.GET.get("support_level", ""),
        "district": request.GET.get("district", ""),
        "review": request.GET.get("review", ""),
    }
    cases_qs = selectors.cases_visible_to(user=request.user).select_related(
        "district", "lead_organisation"
    )
    if filters["status"] in Case.Status.values:
        cases_qs = cases_qs.filter(status=filters["status"])
    if filters["support_level"] in Case.SupportLevel.values:
        cases_qs = cases_qs.filter(support_level=filters["support_level"])
    if filters["district"].isdigit():
        cases_qs = cases_qs.filter(district_id=int(filters["district"]))
    if filters["review"] == "overdue":
        cases_qs = cases_qs.filter(status=Case.Status.OPEN, next_review_on__lt=today)
    elif filters["review"] == "due":
        cases_qs = cases_qs.filter(
            status=Case.Status.OPEN,
            next_review_on__lte=today + datetime.timedelta(days=REVIEW_WINDOW_DAYS),
        )
    # Open cases first ("open" > "closed"), the soonest review first, the same on both databases.
    cases_qs = cases_qs.order_by("-status", F("next_review_on").asc(nulls_last=True), "code", "pk")
    page = Paginator(cases_qs, 50).get_page(request.GET.get("page"))
    # The list shows each case's code, district and lead: a read of each, recorded.
    cases.audit_case_list(user=request.user, cases_shown=page.object_list, detail="staff:case_list")
    chosen = {key: value for key, value in filters.items() if value}
    query = f"&{urlencode(chosen)}" if chosen else ""
    context = {
        "page": page,
        "filters": filters,
        "filter_query": query,
        "today": today,
        "statuses": Case.Status.choices,
        "support_levels": Case.SupportLevel.choices,
        "districts": Area.objects.filter(level=Area.Level.DISTRICT).order_by("reading", "code"),
        "review_window": REVIEW_WINDOW_DAYS,
        "can_create": cases.agency_organisations_of(user=request.user).exists(),
        "is_audit_admin": audit.administered_organisations(user=request.user).exists(),
    }
    template = "conferences/case_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    return render(request, template, context)


# ---------------------------------------------------------------------------------------------
# The case record


def _forms(request, case, access, bound: dict | None = None) -> dict:
    if not access.can_change:
        return {}
    user = request.user
    forms = {
        "edit": case_forms.CaseEditForm(case=case),
        "consent": case_forms.ConsentForm(case=case),
        "role": case_forms.RoleAddForm(case=case, user=user),
        "lead": case_forms.LeadChangeForm(case=case, user=user),
        "plan": case_forms.PlanForm(case=case, user=user),
    }
    forms.update(bound or {})
    return forms


def _case_page(
    request, case, access, *, bound=None, stored=None, open_form="", withdraw_bound=None
):
    """The case record, audited as a read. `bound` holds refused forms (shown as typed),
    `stored` the case as stored now when an edit was refused as stale."""
    cases.case_audit(
        user=request.user,
        case=case,
        access=access,
        action=AuditEvent.Action.VIEW,
        detail="staff:case_detail",
    )
    plans = cases.case_plans(case=case)
    consents = list(case.consents.select_related("recorded_by").prefetch_related("organisations"))
    forms = _forms(request, case, access, bound)
    for consent in consents:
        consent.withdraw_form = (withdraw_bound or {}).get(consent.pk)
        if access.can_change and consent.withdrawn_on is None and consent.withdraw_form is None:
            consent.withdraw_form = case_forms.ConsentWithdrawForm(
                consent=consent,
                initial={"withdrawn_on": timezone.localdate()},
                prefix=f"withdraw-{consent.pk}",
            )
    return render(
        request,
        "conferences/case_detail.html",
        {
            "case": case,
            "access": access,
            "roles": case.roles.select_related(
                "organisation", "consent", "meeting", "added_by"
            ).order_by("organisation__reading", "organisation__name", "pk"),
            "lead_changes": LeadChange.objects.filter(case=case)
            .select_related("previous", "organisation", "meeting", "changed_by")
            .order_by("-changed_at", "-pk"),
            "consents": consents,
            "current_plan": plans[0] if plans else None,
            "earlier_plans": plans[1:],
            "meetings": cases.case_meetings(user=request.user, case=case),
            "open_actions": cases.case_open_actions(case=case),
            "today": timezone.localdate(),
            "forms": forms,
            "stored": stored,
            "open_form": open_form,
            # Administrators of an organisation on the case can see who read it.
            "audit_link": audit.administered_organisations(user=request.user)
            .filter(case_roles__case=case)
            .exists(),
        },
    )


@login_required
def case_detail(request, public_id):
    case = selectors.case_get_visible(user=request.user, public_id=public_id)
    access = cases.case_access(user=request.user, case=case)
    return _case_page(request, case, access)


@login_required
def plan_detail(request, public_id, number):
    """An earlier (or the current) version of the support plan, as it was agreed."""
    case = selectors.case_get_visible(user=request.user, public_id=public_id)
    plan = get_object_or_404(
        SupportPlan.objects.select_related("agreed_at_meeting", "created_by").prefetch_related(
            "services__organisation"
        ),
        case=case,
        number=number,
    )
    access = cases.case_access(user=request.user, case=case)
    cases.case_audit(
        user=request.user,
        case=case,
        access=access,
        action=AuditEvent.Action.VIEW,
        detail="staff:case_plan",
    )
    latest = case.plans.order_by("-number").values_list("number", flat=True).first()
    return render(
        request,
        "conferences/case_plan.html",
        {"case": case, "plan": plan, "is_current": plan.number == latest},
    )


@login_required
def case_export(request, public_id):
    """The case record as CSV (facts, role sharing, consents, plans): an audited export, for
    members of an organisation on the case only (a chair or recorder reads the case for their
    meeting; taking the whole record away is not part of that)."""
    case, access = cases.case_get_changeable(user=request.user, public_id=public_id)
    cases.case_audit(
        user=request.user,
        case=case,
        access=access,
        action=AuditEvent.Action.EXPORT,
        detail="export:case_csv",
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # The file name is opaque too: it lands in download folders and histories.
    response["Content-Disposition"] = f'attachment; filename="case-{case.public_id}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM.
    writer = csv.writer(response)
    writer.writerow([_("Section"), _("Item"), _("Value"), _("Detail")])
    for label, value in [
        (_("Case code"), case.code),
        (_("District"), case.district.name),
        (_("Target group"), case.get_target_group_display()),
        (_("Support level"), case.get_support_level_display()),
        (_("Risk tier"), case.get_risk_tier_display()),
        (_("Lead organisation"), case.lead_organisation.name),
        (_("Status"), case.get_status_display()),
        (_("Opened on"), case.opened_on.isoformat()),
        (_("Closed on"), case.closed_on.isoformat() if case.closed_on else ""),
        (_("Next review"), case.next_review_on.isoformat() if case.next_review_on else ""),
    ]:
        writer.writerow([_("Case"), label, value, ""])
    for role in case.roles.select_related("organisation").order_by("organisation__name"):
        writer.writerow([_("Role sharing"), role.organisation.name, role.role, role.contact_person])
    for consent in case.consents.prefetch_related("organisations"):
        covered = (
            _("All organisations")
            if consent.covers_all
            else "、".join(org.name for org in consent.organisations.all())
        )
        withdrawn = consent.withdrawn_on.isoformat() if consent.withdrawn_on else ""
        writer.writerow(
            [_("Consent"), consent.given_on.isoformat(), consent.scope, f"{covered} {withdrawn}"]
        )
    for plan in cases.case_plans(case=case):
        writer.writerow(
            [
                _("Support plan"),
                plan.number,
                plan.goals,
                plan.next_review_on.isoformat() if plan.next_review_on else "",
            ]
        )
    return response


# ---------------------------------------------------------------------------------------------
# Changes: one POST endpoint each; a GET shows the case page at the form.


def _changeable(request, public_id):
    return cases.case_get_changeable(user=request.user, public_id=public_id)


@login_required
def case_edit(request, public_id):
    case, access = _changeable(request, public_id)
    if request.method != "POST":
        return redirect(_case_url(case, "facts"))
    form = case_forms.CaseEditForm(request.POST, case=case)
    if not form.is_valid():
        return _case_page(request, case, access, bound={"edit": form}, open_form="edit")
    data = form.cleaned_data
    try:
        cases.case_update(
            case=case,
            user=request.user,
            expected_version=data["version"],
            support_level=data["support_level"],
            risk_tier=data["risk_tier"],
            status=data["status"],
            closed_on=data["closed_on"],
            next_review_on=data["next_review_on"],
        )
    except services.StaleCase as stale:
        # Keep what was typed, show what is stored now, and carry the stored version so that
        # saving again (after checking) is a knowing overwrite.
        typed = request.POST.copy()
        typed["version"] = stale.current.version
        form = case_forms.CaseEditForm(typed, case=stale.current)
        form.is_valid()
        form.add_error(
            None,
            _(
                "Someone else changed this case while you were editing it. What is stored now "
                "is shown below; your changes are still in the form. Check them and save again "
                "to replace what is stored."
            ),
        )
        return _case_page(
            request, stale.current, access, bound={"edit": form}, stored=stale.current,
            open_form="edit",
        )  # fmt: skip
    return redirect(_case_url(case, "facts"))


@login_required
def consent_add(request, public_id):
    case, access = _changeable(request, public_id)
    if request.method != "POST":
        return redirect(_case_url(case, "consents"))
    form = case_forms.ConsentForm(request.POST, case=case)
    if not form.is_valid():
        return _case_page(request, case, access, bound={"consent": form}, open_form="consent")
    services.consent_record(
        case=case,
        user=request.user,
        given_on=form.cleaned_data["given_on"],
        scope=form.cleaned_data["scope"],
        covers_all=form.cleaned_data["covers_all"],
        organisations=form.cleaned_data["organisations"],
    )
    return redirect(_case_url(case, "consents"))


@login_required
def consent_withdraw(request, public_id, pk):
    case, access = _changeable(request, public_id)
    consent = get_object_or_404(Consent, case=case, pk=pk)
    if request.method != "POST":
        return redirect(_case_url(case, "consents"))
    form = case_forms.ConsentWithdrawForm(
        request.POST, consent=consent, prefix=f"withdraw-{consent.pk}"
    )
    if not form.is_valid():
        # The refused date comes back under the consent, as typed.
        return _case_page(
            request, case, access, withdraw_bound={consent.pk: form}, open_form="withdraw"
        )
    withdrawn = cases.consent_withdraw(
        consent=consent, user=request.user, withdrawn_on=form.cleaned_data["withdrawn_on"]
    )
    if not withdrawn:
        # Someone recorded the withdrawal first: theirs stands, shown in the page.
        consent.refresh_from_db()
        form.add_error(
            None,
            _("Someone else has already recorded this withdrawal (on %(date)s).")
            % {"date": consent.withdrawn_on.isoformat()},
        )
        return _case_page(request, case, access, withdraw_bound={consent.pk: form})
    return redirect(_case_url(case, "consents"))


@login_required
def role_add(request, public_id):
    case, access = _changeable(request, public_id)
    if request.method != "POST":
        return redirect(_case_url(case, "roles"))
    form = case_forms.RoleAddForm(request.POST, case=case, user=request.user)
    if form.is_valid():
        try:
            services.case_role_add(
                case=case,
                user=request.user,
                organisation=form.cleaned_data["organisation"],
                role=form.cleaned_data["role"],
                contact_person=form.cleaned_data["contact_person"],
                meeting=form.cleaned_data["meeting"],
            )
        except services.SharingRefused as refused:
            form.add_error(None, refused.message)
        except IntegrityError:
            # Someone brought the same organisation on a moment before.
            form.add_error("organisation", _("This organisation is already on the case."))
        else:
            return redirect(_case_url(case, "roles"))
    return _case_page(request, case, access, bound={"role": form}, open_form="role")


@login_required
def role_check(request, public_id):
    """With htmx, as the organisation is chosen: whether a consent on record covers it (or a
    meeting with a legal basis must be named). Reads the consents: audited."""
    case, access = _changeable(request, public_id)
    chosen = request.GET.get("organisation", "")
    organisation = (
        cases.agencies_to_add(case=case, chosen=[chosen]).filter(pk=chosen).first()
        if chosen.isdigit()
        else None
    )
    consent = (
        services.consent_covers(case=case, organisation=organisation) if organisation else None
    )
    cases.case_audit(
        user=request.user,
        case=case,
        access=access,
        action=AuditEvent.Action.VIEW,
        detail="staff:case_sharing_check",
    )
    return render(
        request,
        "conferences/case_detail.html#sharing-check",
        {"case": case, "checked": organisation, "covering": consent},
    )


@login_required
def lead_change(request, public_id):
    case, access = _changeable(request, public_id)
    if request.method != "POST":
        return redirect(_case_url(case, "lead"))
    form = case_forms.LeadChangeForm(request.POST, case=case, user=request.user)
    stored = None
    if form.is_valid():
        try:
            services.case_lead_change(
                case=case,
                user=request.user,
                organisation=form.cleaned_data["organisation"],
                reason=form.cleaned_data["reason"],
                meeting=form.cleaned_data["meeting"],
                expected_version=form.cleaned_data["version"],
            )
        except services.SharingRefused as refused:
            form.add_error("organisation", refused.message)
        except services.StaleCase as stale:
            stored = case = stale.current
            typed = request.POST.copy()
            typed["version"] = stale.current.version
            form = case_forms.LeadChangeForm(typed, case=case, user=request.user)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone else changed this case while you were choosing the lead. The lead "
                    "stored now is %(lead)s; your choice is still in the form. Save again to "
                    "make the change."
                )
                % {"lead": stale.current.lead_organisation.name},
            )
        else:
            return redirect(_case_url(case, "lead"))
    return _case_page(request, case, access, bound={"lead": form}, stored=stored, open_form="lead")


@login_required
def plan_add(request, public_id):
    case, access = _changeable(request, public_id)
    if request.method != "POST":
        return redirect(_case_url(case, "plan"))
    form = case_forms.PlanForm(request.POST, case=case, user=request.user)
    if not form.is_valid():
        return _case_page(request, case, access, bound={"plan": form}, open_form="plan")
    services.support_plan_create(
        case=case,
        user=request.user,
        goals=form.cleaned_data["goals"],
        services=form.cleaned_data["services"],
        monitoring_interval_months=form.cleaned_data["monitoring_interval_months"],
        next_review_on=form.cleaned_data["next_review_on"],
        meeting=form.cleaned_data["meeting"],
    )
    return redirect(_case_url(case, "plan"))


@login_required
def case_create(request):
    """A new case led by one of the user's agency organisations (404 for someone with none)."""
    if not cases.agency_organisations_of(user=request.user).exists():
        raise Http404
    form = case_forms.CaseCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = cases.case_create(
                user=request.user,
                lead=data["lead"],
                district=data["district"],
                target_group=data["target_group"],
                support_level=data["support_level"],
                risk_tier=data["risk_tier"],
                code=data["code"],
                lead_role=data["lead_role"],
                contact_person=data["contact_person"],
            )
        except cases.CaseCodeTaken:
            form.add_error("code", _("This case code is already in use."))
        else:
            return redirect(_case_url(case))
    return render(request, "conferences/case_form.html", {"form": form})
