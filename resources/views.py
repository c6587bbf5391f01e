"""Staff views of the resources app. The directory lives here; the organisation page, which also
counts cases, lives in conferences.organisation_views."""

import itertools
import logging
import tempfile
import uuid
from urllib.parse import urlencode

from django import forms as django_forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from resources import (
    entry_forms,
    exports,
    forms,
    hsds,
    schedule_forms,
    schedules,
    selectors,
    services,
    tasks,
)
from resources.imports import MAX_UPLOAD_BYTES, SAVING, ImportReport
from resources.models import ImportJob, Location, Organisation, Schedule, Service

PAGE_SIZE = 50
# Enough for a ward of a million; beyond, the page says the map is cut short.
MAP_POINT_LIMIT = 2000
PLACE_LIST_LIMIT = 300


def _directory_url(filters: dict[str, str], **extra) -> str:
    params = {**filters, **{key: value for key, value in extra.items() if value}}
    url = reverse("staff:organisation_list")
    return f"{url}?{urlencode(params)}" if params else url


def _map_points(locations) -> list[dict]:
    # One reverse() and a string replacement rather than one reverse() per point.
    placeholder = uuid.UUID(int=0)
    pattern = reverse("staff:organisation_detail", args=[placeholder])
    return [
        {
            "lat": float(location.latitude),
            "lon": float(location.longitude),
            "name": location.organisation.name,
            "place": location.name,
            "kind": str(location.organisation.get_kind_display()),
            "url": pattern.replace(str(placeholder), str(location.organisation.uuid)),
            "hidden": location.hide_address,
        }
        for location in locations
    ]


@login_required
@vary_on_headers("HX-Request")
def organisation_list(request):
    """The staff directory: search, filters, list or map. Everything is in the URL (a link
    reproduces the view; paging and switching views keep the filters); htmx gets #directory."""
    if "area" in request.GET:
        # Links made before the filters were renamed: ?area= meant "serves this area".
        params = request.GET.copy()
        code = params.pop("area")[-1]
        params.setdefault("serves", code)
        return redirect(f"{reverse('staff:organisation_list')}?{params.urlencode()}")

    form = forms.DirectoryFilterForm(request.GET)
    view = request.GET.get("view")
    view = view if view in forms.VIEWS else "list"
    if form.is_valid():
        data = form.cleaned_data
        organisations = selectors.organisation_search(
            query=data["q"],
            kind=data["kind"],
            located_in=data["district"],
            serves=data["serves"],
            category=data["category"],
            target_group=data["target"],
            weekday=data["day"],
            visibility=data["visibility"],
            stale=data["stale"],
        )
        filters = form.filters()
    else:
        # Nothing is listed until the filters are put right; the links keep what was asked.
        organisations = Organisation.objects.none()
        filters = {
            name: request.GET[name]
            for name in forms.DirectoryFilterForm.FILTERS
            if request.GET.get(name)
        }

    context = {
        "form": form,
        "view": view,
        "filters": filters,
        "list_url": _directory_url(filters),
        "map_url": _directory_url(filters, view="map"),
    }
    if view == "map":
        located_in = form.cleaned_data.get("district") if form.is_valid() else None
        locations = list(
            selectors.directory_locations(organisations=organisations, located_in=located_in)[
                : MAP_POINT_LIMIT + 1
            ]
        )
        too_many = len(locations) > MAP_POINT_LIMIT
        locations = locations[:MAP_POINT_LIMIT]
        context |= {
            "organisation_count": organisations.count(),
            "map_data": {
                "tileUrl": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "points": _map_points(locations),
                "labels": {"hiddenAddress": _("Address hidden from the public")},
            },
            "places": locations[:PLACE_LIST_LIMIT],
            "place_count": len(locations),
            "places_cut": too_many or len(locations) > PLACE_LIST_LIMIT,
            "too_many_points": too_many,
            "map_point_limit": MAP_POINT_LIMIT,
            "place_list_limit": PLACE_LIST_LIMIT,
        }
    else:
        page = Paginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))
        context |= {
            "page": page,
            "stale_before": selectors.stale_before(),
            "previous_url": _directory_url(filters, page=page.number - 1)
            if page.has_previous()
            else "",
            "next_url": _directory_url(filters, page=page.number + 1) if page.has_next() else "",
        }
    template = "resources/organisation_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#directory"
    return render(request, template, context)


# Downloads of the directory (the same files as `manage.py export_resources`). Public entries for
# any staff member; with ?scope=staff, staff-only entries and hidden addresses too, for those who
# keep the directory (resources.change_organisation), since that file locates shelters.
EXPORT_FORMATS = ("csv", "xlsx", "hsds")
export_logger = logging.getLogger("resources.exports")


@login_required
def directory_export(request, format):
    if format not in EXPORT_FORMATS:
        raise Http404
    staff = request.GET.get("scope") == "staff"
    if staff and (format == "hsds" or not request.user.has_perm("resources.change_organisation")):
        raise PermissionDenied
    if staff:  # the file locates shelters: say who took one
        export_logger.info(
            "Directory exported with staff-only entries (%s) by %s", format, request.user.username
        )
    stem = f"tsunagu-directory-{timezone.localdate():%Y%m%d}" + ("-staff" if staff else "")
    if format == "csv":
        rows = exports.directory_rows(include_staff_only=staff)
        response = StreamingHttpResponse(
            itertools.chain([b"\xef\xbb\xbf"], exports.csv_chunks(rows)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    # Built in a temporary file (not in memory), which the response closes and so deletes.
    scratch = tempfile.TemporaryFile()
    if format == "xlsx":
        exports.write_xlsx(scratch, include_staff_only=staff)
        filename = f"{stem}.xlsx"
    else:
        hsds.write_zip(scratch)
        filename = f"{stem}-hsds.zip"
    scratch.seek(0)
    return FileResponse(scratch, as_attachment=True, filename=filename)


# Schedules of a service, edited in place (resources/includes/schedules.html on the organisation
# page): every link is a real page without JavaScript; with htmx the block swaps for the form and
# back. Any logged-in staff member may edit them, as with the rest of the directory.


def _schedule_next(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def _schedules_block(request, service):
    """The service's schedules, unfolded for editing: what htmx gets back after each change."""
    # The page the user is on, not this fragment's URL, for the no-JavaScript links' return.
    return_to = request.htmx.current_url_abs_path if request.htmx else None
    return render(
        request,
        "resources/includes/schedules.html",
        {
            "service": service,
            "editable": True,
            "open": True,
            "return_to": return_to or request.get_full_path(),
        },
    )


def _schedule_service(uuid) -> Service:
    return get_object_or_404(Service.objects.select_related("organisation"), uuid=uuid)


@login_required
@vary_on_headers("HX-Request")
def service_schedules(request, uuid):
    service = _schedule_service(uuid)
    if request.htmx:
        return _schedules_block(request, service)
    return render(request, "resources/service_schedules.html", {"service": service})


@login_required
@vary_on_headers("HX-Request")
def schedule_add(request, uuid):
    return _schedule_form(request, service=_schedule_service(uuid), schedule=None)


@login_required
@vary_on_headers("HX-Request")
def schedule_edit(request, uuid):
    schedule = get_object_or_404(
        Schedule.objects.select_related("service__organisation"), uuid=uuid
    )
    return _schedule_form(request, service=schedule.service, schedule=schedule)


def _schedule_form(request, *, service, schedule):
    """GET: the form (a page, or in place for htmx). POST with "preview": the form again with the
    options of the chosen pattern and how the schedule will read, saving nothing. POST: save;
    htmx gets the schedules back, a plain post is redirected (PRG); refused input comes back as
    typed, with the reasons."""
    next_url = _schedule_next(request)
    schedules_url = reverse("staff:service_schedules", args=[service.uuid])
    preview = ""
    if request.method == "POST":
        form = schedule_forms.ScheduleForm(request.POST)
        if "preview" in request.POST:
            if form.is_valid():
                preview = form.preview()
            # Unfinished input is not an error yet: shown again as typed, without reasons.
            form = schedule_forms.ScheduleForm.keeping(request.POST)
        elif form.is_valid():
            try:
                schedules.schedule_save(
                    service=service, schedule=schedule, **form.schedule_fields()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if request.htmx:
                    return _schedules_block(request, service)
                return redirect(next_url or schedules_url)
    elif schedule is not None:
        form = schedule_forms.ScheduleForm.for_schedule(schedule)
        preview = schedules.format_schedule(schedule)
    else:
        form = schedule_forms.ScheduleForm()
    action = (
        reverse("staff:schedule_edit", args=[schedule.uuid])
        if schedule
        else reverse("staff:schedule_add", args=[service.uuid])
    )
    context = {
        "service": service,
        "schedule": schedule,
        "form": form,
        "preview": preview,
        "action": action,
        "schedules_url": schedules_url,
        "next": next_url,
    }
    if request.htmx:
        return render(request, "resources/includes/schedule_form.html", context)
    return render(request, "resources/schedule_edit.html", context)


@login_required
@vary_on_headers("HX-Request")
def schedule_delete(request, uuid):
    """GET: a page asking to confirm (without JavaScript; htmx asks in the browser and posts).
    POST: delete; htmx gets the schedules back, a plain post is redirected."""
    schedule = get_object_or_404(
        Schedule.objects.select_related("service__organisation"), uuid=uuid
    )
    service = schedule.service
    next_url = _schedule_next(request)
    schedules_url = reverse("staff:service_schedules", args=[service.uuid])
    if request.method == "POST":
        schedules.schedule_delete(schedule=schedule)
        if request.htmx:
            return _schedules_block(request, service)
        return redirect(next_url or schedules_url)
    return render(
        request,
        "resources/schedule_delete.html",
        {
            "service": service,
            "schedule": schedule,
            "schedules_url": schedules_url,
            "next": next_url,
        },
    )


# Import: data keepers (the resources.add_organisation permission, given in the Wagtail admin)
# upload a table; a background task (resources.tasks) imports it while the job page shows its
# progress, then the report `manage.py import_resources` prints. A dry run is the default, and its
# report offers to import the same file for real.

IMPORT_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
RECENT_IMPORTS = 10
REPORT_LINES_SHOWN = 500  # warnings or problems beyond these are counted, not listed


class ImportUploadForm(django_forms.Form):
    file = django_forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8 or Shift_JIS) or Excel (.xlsx), at most 10 MB."),
    )
    dry_run = django_forms.BooleanField(
        label=gettext_lazy("Dry run: check the file and show what would change, write nothing"),
        required=False,
        initial=True,
    )
    merge_duplicates = django_forms.BooleanField(
        label=gettext_lazy("Merge likely duplicates into the existing entries"),
        required=False,
        help_text=gettext_lazy(
            "A merge keeps the existing entry, fills its empty fields and adds the row's services "
            "and places. Nothing is deleted or overwritten."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is %(size)s MB; files of up to %(limit)s MB can be imported.")
                % {
                    "size": f"{upload.size / 1024 / 1024:.1f}",
                    "limit": MAX_UPLOAD_BYTES // 1024 // 1024,
                }
            )
        if not upload.name.lower().endswith(IMPORT_SUFFIXES):
            raise ValidationError(_("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."))
        return upload


@login_required
@permission_required("resources.add_organisation", raise_exception=True)
def import_upload(request):
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            job = tasks.import_job_start(
                data=upload.read(),
                filename=upload.name,
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
                merge_duplicates=form.cleaned_data["merge_duplicates"],
                language=request.LANGUAGE_CODE,
            )
            return redirect("staff:import_job", job.uuid)
    else:
        form = ImportUploadForm()
    jobs = ImportJob.objects.select_related("created_by").defer("data", "report")
    return render(
        request,
        "resources/import_upload.html",
        {"form": form, "jobs": jobs[:RECENT_IMPORTS]},
    )


@login_required
@permission_required("resources.add_organisation", raise_exception=True)
@vary_on_headers("HX-Request")
def import_job(request, uuid):
    """The job page; with htmx, its progress block alone, which polls until the job ends."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by").defer("data"), uuid=uuid)
    report = ImportReport.from_dict(job.report) if job.report else None
    if job.phase == SAVING:
        percent = 100
    else:
        percent = 100 * job.processed // job.total if job.total else 0
    person = job.created_by
    context = {
        "job": job,
        "started_by": (person.get_full_name() or person.get_username()) if person else "—",
        "report": report,
        "percent": percent,
        "shown": REPORT_LINES_SHOWN,
        "problems": report.problems[:REPORT_LINES_SHOWN] if report else [],
        "warnings": report.warnings[:REPORT_LINES_SHOWN] if report else [],
    }
    template = "resources/import_job.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, context)


@login_required
@permission_required("resources.add_organisation", raise_exception=True)
@require_POST
def import_job_confirm(request, uuid):
    """Import for real the file of a finished dry run."""
    job = get_object_or_404(ImportJob, uuid=uuid, dry_run=True, state=ImportJob.State.DONE)
    new_job = tasks.import_job_start(
        data=bytes(job.data),
        filename=job.filename,
        user=request.user,
        dry_run=False,
        merge_duplicates=request.POST.get("merge_duplicates") == "on",
        language=request.LANGUAGE_CODE,
    )
    return redirect("staff:import_job", new_job.uuid)


# Directory entries edited in /staff/ (as in the Wagtail admin): separate small pages, each a
# plain form that works without JavaScript; refused input comes back as typed, with the reasons.
# Creating needs resources.add_organisation and editing resources.change_organisation (given in
# the Wagtail admin); "still correct" may be recorded by any logged-in staff member, like visits:
# it only says that someone checked the entry.


def _organisation_page(organisation) -> str:
    return reverse("staff:organisation_detail", args=[organisation.uuid])


def _entry_page(request, organisation, form, *, stored=None):
    return render(
        request,
        "resources/organisation_form.html",
        {
            "organisation": organisation,
            "form": form,
            "stored": stored,
            "services": organisation.services.order_by("name") if organisation else None,
            "locations": (
                organisation.locations.select_related("district").order_by("name", "address")
                if organisation
                else None
            ),
        },
    )


@login_required
@permission_required("resources.add_organisation", raise_exception=True)
def organisation_create(request):
    form = entry_forms.OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = services.organisation_create(
            fields=form.fields_to_save(), areas_served=form.cleaned_data["areas_served"]
        )
        return redirect(_organisation_page(organisation))
    return _entry_page(request, None, form)


@login_required
@permission_required("resources.change_organisation", raise_exception=True)
def organisation_edit(request, uuid):
    organisation = get_object_or_404(Organisation, uuid=uuid)
    if request.method != "POST":
        return _entry_page(
            request, organisation, entry_forms.OrganisationForm(instance=organisation)
        )
    form = entry_forms.OrganisationForm(request.POST, instance=organisation)
    if form.is_valid():
        version = form.cleaned_data["version"] or 0
        try:
            services.organisation_update(
                organisation=organisation,
                version=version,
                fields=form.fields_to_save(),
                areas_served=form.cleaned_data["areas_served"],
                user=request.user,
            )
        except services.StaleEntry as stale:
            # Keep what was typed, show what is stored now, and carry the stored version so
            # that saving again (after checking) is a knowing overwrite.
            data = request.POST.copy()
            data["version"] = stale.current.version
            # A copy for the form: validating writes the typed values into its instance.
            form = entry_forms.OrganisationForm(
                data, instance=Organisation.objects.get(pk=organisation.pk)
            )
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone else saved this organisation while you were editing it. What is "
                    "stored now is shown below; your changes are still in the form. Check them "
                    "and save again to replace what is stored."
                ),
            )
            return _entry_page(request, stale.current, form, stored=stale.current)
        return redirect(_organisation_page(organisation))
    return _entry_page(request, get_object_or_404(Organisation, uuid=uuid), form)


@login_required
@require_POST
def organisation_verify(request, uuid):
    organisation = get_object_or_404(Organisation, uuid=uuid)
    services.organisation_verify(organisation=organisation, user=request.user)
    return redirect(_organisation_page(organisation))


def _entry_part_page(request, template, *, organisation, form, obj, **extra):
    return render(
        request,
        template,
        {"organisation": organisation, "form": form, "object": obj, **extra},
    )


@login_required
@permission_required("resources.change_organisation", raise_exception=True)
def service_create(request, uuid):
    return _service_form(request, organisation=get_object_or_404(Organisation, uuid=uuid))


@login_required
@permission_required("resources.change_organisation", raise_exception=True)
def service_edit(request, uuid):
    service = get_object_or_404(Service.objects.select_related("organisation"), uuid=uuid)
    return _service_form(request, organisation=service.organisation, service=service)


def _service_form(request, *, organisation, service=None):
    form = entry_forms.ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        services.service_save(
            organisation=organisation,
            service=service,
            fields=form.cleaned_data,
            categories=form.cleaned_data["categories"],
        )
        return redirect("staff:organisation_edit", organisation.uuid)
    return _entry_part_page(
        request, "resources/service_form.html", organisation=organisation, form=form, obj=service
    )


@login_required
@permission_required("resources.change_organisation", raise_exception=True)
def location_create(request, uuid):
    return _location_form(request, organisation=get_object_or_404(Organisation, uuid=uuid))


@login_required
@permission_required("resources.change_organisation", raise_exception=True)
def location_edit(request, uuid):
    location = get_object_or_404(
        Location.objects.select_related("organisation", "district"), uuid=uuid
    )
    return _location_form(request, organisation=location.organisation, location=location)


def _location_form(request, *, organisation, location=None):
    form = entry_forms.LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        location, reason = services.location_save(
            organisation=organisation, location=location, fields=form.cleaned_data
        )
        if reason:
            # Saved without a district: its own page says so, and why.
            return redirect("staff:location_edit", location.uuid)
        return redirect("staff:organisation_edit", organisation.uuid)
    unresolved = ""
    if location is not None and location.district_id is None and not form.is_bound:
        unresolved = services.district_of(location.address)[1]
    return _entry_part_page(
        request,
        "resources/location_form.html",
        organisation=organisation,
        form=form,
        obj=location,
        unresolved=unresolved,
    )
