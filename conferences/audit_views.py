"""The audit trail in /staff/audit/: an organisation's administrators read (and export) the
events recorded through the organisations they administer. Everyone else gets 404. Reading
and exporting the trail are themselves recorded (an export of the trail has no case)."""

import csv

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.vary import vary_on_headers

from conferences import audit, services
from conferences.models import AuditEvent
from resources.models import Organisation

PAGE_SIZE = 50
CSV_CHUNK = 500


class AuditFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=gettext_lazy("All I administer"),
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[("", gettext_lazy("Any")), *AuditEvent.Action.choices],
        required=False,
    )
    user = forms.ModelChoiceField(
        label=gettext_lazy("User"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("Anyone"),
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # A case's opaque id (never its code: URLs reach server logs), from the case page's link.
    case = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, administered, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = administered
        self.fields["organisation"].label_from_instance = lambda org: org.name
        self.fields["user"].queryset = audit.audit_people(
            organisation_ids=administered.values("pk")
        )
        self.fields["user"].label_from_instance = lambda person: (
            person.get_full_name() or person.get_username()
        )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data


def _trail(request):
    """(form, administered organisations in scope, events) for the request's filters; 404 for
    anyone who administers no organisation."""
    administered = audit.administered_organisations(user=request.user)
    if not administered.exists():
        raise Http404
    form = AuditFilterForm(request.GET or None, administered=administered)
    if form.is_bound and not form.is_valid():
        return form, [], AuditEvent.objects.none()
    data = form.cleaned_data if form.is_bound else {}
    scope = [data["organisation"]] if data.get("organisation") else list(administered)
    events = audit.audit_events(
        organisation_ids=[org.pk for org in scope],
        action=data.get("action", ""),
        user=data.get("user"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        case_public_id=data.get("case"),
    )
    return form, scope, events


def _record(request, scope, action, detail):
    for organisation in scope:
        services.audit_record(
            user=request.user, case=None, action=action, organisation=organisation, detail=detail
        )


@login_required
@vary_on_headers("HX-Request")
def audit_list(request):
    form, scope, events = _trail(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    case_labels = audit.case_labels(viewer=request.user, events=rows)
    meeting_labels = audit.meeting_labels(viewer=request.user, events=rows)
    for event in rows:
        event.case_label = case_labels.get(event.case_id, "")
        event.meeting_label = meeting_labels.get(event.meeting_id, "")
        event.detail_label = audit.detail_label(event.detail)
    # Recorded after the page's rows are read, so the page does not list its own reading.
    _record(request, scope, AuditEvent.Action.VIEW, "audit:list")
    query = request.GET.copy()
    query.pop("page", None)
    template = "conferences/audit_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filter_query": f"&{query.urlencode()}" if query else "",
            "export_query": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value):
        return value


@login_required
def audit_export(request):
    """The filtered trail as CSV (UTF-8 with BOM, for Excel), recorded as an export."""
    form, scope, events = _trail(request)
    if form.is_bound and form.errors:
        raise Http404
    _record(request, scope, AuditEvent.Action.EXPORT, "export:audit_csv")
    viewer = request.user
    writer = csv.writer(_Echo())
    header = [_("At"), _("User"), _("Organisation"), _("Action"), _("Case"), _("Meeting")]
    header += [_("Detail"), _("What")]

    def rows():
        yield "\ufeff" + writer.writerow(header)
        chunk = []
        for event in events.iterator(chunk_size=CSV_CHUNK):
            chunk.append(event)
            if len(chunk) == CSV_CHUNK:
                yield from _csv_rows(writer, viewer, chunk)
                chunk = []
        yield from _csv_rows(writer, viewer, chunk)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _csv_rows(writer, viewer, events):
    labels = audit.case_labels(viewer=viewer, events=events)
    for event in events:
        yield writer.writerow(
            [
                timezone.localtime(event.at).isoformat(timespec="seconds"),
                event.user.get_username() if event.user else "",
                event.organisation.name if event.organisation else "",
                event.get_action_display(),
                labels.get(event.case_id, ""),
                str(event.meeting.uid) if event.meeting else "",
                event.detail,
                audit.detail_label(event.detail),
            ]
        )
