"""The agenda builder, preparing a meeting, the two prints and the meeting's .ics (issue 5, 4).

Every form is a plain POST answered by a redirect to the builder; with htmx (request.htmx) the
answer is the builder block itself (agenda_builder.html#builder), so one template serves both.
Who may do what is decided in conferences.agenda (agenda_can_edit, agenda_can_see_run_of_show);
a meeting the user may not see is a 404, and so is a write by someone who may only read.
"""

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from conferences import agenda, agenda_forms, calendar, selectors, services
from conferences.models import AgendaItem, AuditEvent, Case, PrivateNote
from resources.models import Organisation

PREFILL_SESSION_KEY = "agenda-prefill-{pk}"


def _builder_url(meeting) -> str:
    return reverse("staff:agenda_builder", args=[meeting.uid])


def _prefill_report(request, meeting):
    """What the last 議題を準備 of this meeting did, shown once (kept in the server-side session
    between the POST and the page it redirects to, never in a cookie)."""
    stored = request.session.pop(PREFILL_SESSION_KEY.format(pk=meeting.pk), None)
    if stored is None:
        return None
    refused_ids = [case_id for case_id, _orgs in stored["refused"]]
    organisation_ids = {pk for _case, orgs in stored["refused"] for pk in orgs}
    codes = dict(
        selectors.cases_visible_to(user=request.user)
        .filter(pk__in=refused_ids)
        .values_list("pk", "code")
    )
    names = dict(Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "name"))
    refused = [
        {"code": codes[case_id], "organisations": "、".join(names.get(pk, "") for pk in orgs)}
        for case_id, orgs in stored["refused"]
        if case_id in codes
    ]
    return {
        "added": stored["added"],
        "carried": stored["carried"],
        "refused": refused,
        "refused_hidden": len(refused_ids) - len(refused),
    }


def _agenda_for(user, meeting):
    """The items with their times, each case item marked `case_hidden` unless the user may see
    that case in this meeting. Each carried action gets `about`, the case it concerns (its own,
    or its agenda item's), and `case_hidden` unless the user may see that case here or anyway."""
    items = agenda.agenda_items(meeting=meeting)
    visible = selectors.meeting_case_ids_visible(user=user, meeting=meeting)
    timings = agenda.agenda_timings(meeting=meeting, items=items)
    actions = [action for item in items for action in item.carried_actions.all()]
    for action in actions:
        action.about = action.case or action.agenda_item.case
    elsewhere = {action.about.pk for action in actions if action.about} - visible
    if elsewhere:
        visible = visible | set(
            selectors.cases_visible_to(user=user)
            .filter(pk__in=elsewhere)
            .values_list("pk", flat=True)
        )
    for item, timing in zip(items, timings, strict=True):
        item.case_hidden = item.case_id is not None and item.case_id not in visible
        item.timing = timing
    for action in actions:
        action.case_hidden = action.about is not None and action.about.pk not in visible
    return items, visible


def _builder_context(request, meeting, *, form=None, error=None):
    user = request.user
    can_edit = agenda.agenda_can_edit(user=user, meeting=meeting)
    items, _visible = _agenda_for(user, meeting)
    shown = [item.case_id for item in items if item.case_id and not item.case_hidden]
    agenda.audit_cases(
        user=user,
        case_ids=shown,
        action=AuditEvent.Action.VIEW,
        meeting=meeting,
        detail="agenda:builder",
    )
    context = {
        "meeting": meeting,
        "items": items,
        "order": agenda.agenda_order(items),
        "total": agenda.agenda_total(meeting=meeting, items=items),
        "can_edit": can_edit,
        "can_see_run_of_show": agenda.agenda_can_see_run_of_show(user=user, meeting=meeting),
        "error": error,
        "report": _prefill_report(request, meeting),
    }
    if can_edit:
        form = form or agenda_forms.AgendaItemAddForm(meeting=meeting, user=user)
        context |= {"form": form, "case_suggestions": list(form.case_suggestions())}
    return context


def _render_builder(request, meeting, *, form=None, error=None, status=200, typed=None):
    template = "conferences/agenda_builder.html"
    if request.htmx:
        template += "#builder"
        # htmx swaps only successful answers: a refusal comes back as the block, with the reason.
        status = 200
    context = _builder_context(request, meeting, form=form, error=error)
    context["typed"] = typed or {}
    return render(request, template, context, status=status)


def _announcing(response, message):
    """Has static/js/agenda.js read the message out (#agenda-announce) once htmx gets the
    answer. JSON escapes keep the header ASCII."""
    response["HX-Trigger"] = json.dumps({"agendaAnnounce": str(message)})
    return response


def _done(request, meeting, anchor=""):
    if request.htmx:
        return _render_builder(request, meeting)
    return redirect(_builder_url(meeting) + anchor)


def _editable_meeting(request, uid):
    meeting = agenda.meeting_get_for_agenda(user=request.user, uid=uid)
    if not agenda.agenda_can_edit(user=request.user, meeting=meeting):
        raise Http404
    return meeting


def _item(meeting, pk) -> AgendaItem:
    return get_object_or_404(AgendaItem.objects.select_related("case"), meeting=meeting, pk=pk)


@login_required
@vary_on_headers("HX-Request")
def agenda_builder(request, uid):
    meeting = agenda.meeting_get_for_agenda(user=request.user, uid=uid)
    return _render_builder(request, meeting)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def agenda_item_add(request, uid):
    meeting = _editable_meeting(request, uid)
    form = agenda_forms.AgendaItemAddForm(request.POST, meeting=meeting, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            item = agenda.agenda_item_add(
                meeting=meeting,
                user=request.user,
                kind=data["kind"],
                title=data["title"],
                minutes_allotted=data["minutes_allotted"],
                case=data["case"],
                district_issue=data["district_issue"],
                presenting_organisation=data["presenting_organisation"],
            )
        except agenda.AgendaRefused as refused:
            field = "case_code" if data["kind"] in agenda.CASE_KINDS else None
            form.add_error(field, refused.message)
        else:
            if request.htmx:
                return _announcing(
                    _render_builder(request, meeting),
                    _("Added “%(title)s” at the end of the agenda.") % {"title": item.title},
                )
            return redirect(_builder_url(meeting) + f"#item-{item.pk}")
    return _render_builder(request, meeting, form=form)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def agenda_item_minutes(request, uid, pk):
    meeting = _editable_meeting(request, uid)
    item = _item(meeting, pk)
    item.meeting = meeting
    form = agenda_forms.ItemMinutesForm(request.POST)
    # What was typed stays in the item's field, whatever the refusal.
    typed = {"pk": item.pk, "value": request.POST.get("minutes_allotted", "")}
    if not form.is_valid():
        return _render_builder(
            request, meeting, error=_minutes_error(form, item), status=400, typed=typed
        )
    try:
        agenda.agenda_item_set_minutes(
            item=item,
            user=request.user,
            minutes_allotted=form.cleaned_data["minutes_allotted"],
            expected_version=form.cleaned_data["version"],
        )
    except (agenda.StaleAgenda, agenda.AgendaRefused) as refused:
        # The field now carries the stored version: saving again is a knowing replacement.
        return _render_builder(request, meeting, error=refused.message, status=409, typed=typed)
    return _done(request, meeting, f"#item-{item.pk}")


def _minutes_error(form, item):
    return _("Minutes for “%(title)s”: give a whole number from 1 to %(max)s.") % {
        "title": item.title if item.case_id is None else item.get_kind_display(),
        "max": agenda_forms.MAX_MINUTES,
    }


@login_required
@require_POST
@vary_on_headers("HX-Request")
def agenda_item_remove(request, uid, pk):
    meeting = _editable_meeting(request, uid)
    item = _item(meeting, pk)
    item.meeting = meeting
    form = agenda_forms.ItemVersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else 0
    try:
        agenda.agenda_item_remove(item=item, user=request.user, expected_version=version)
    except (agenda.StaleAgenda, agenda.AgendaRefused) as refused:
        return _render_builder(request, meeting, error=refused.message, status=409)
    if request.htmx:
        # A case item is named by its kind: the title may be more than the reader may see.
        title = item.get_kind_display() if item.case_id else item.title
        return _announcing(
            _render_builder(request, meeting),
            _("Removed “%(title)s” from the agenda.") % {"title": title},
        )
    return _done(request, meeting)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def agenda_item_move(request, uid, pk):
    """Move up or down by one: the buttons that work without JavaScript."""
    meeting = _editable_meeting(request, uid)
    form = agenda_forms.MoveForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        agenda.agenda_item_move(
            meeting=meeting,
            user=request.user,
            item_id=pk,
            direction=form.cleaned_data["direction"],
            previous=form.cleaned_data["previous"],
        )
    except (agenda.StaleAgenda, agenda.AgendaRefused) as refused:
        return _render_builder(request, meeting, error=refused.message, status=409)
    return _done(request, meeting, f"#item-{pk}")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def agenda_reorder(request, uid):
    """The whole order at once (drag and keyboard reordering in static/js/agenda.js)."""
    meeting = _editable_meeting(request, uid)
    form = agenda_forms.ReorderForm(request.POST)
    if not form.is_valid():
        return _render_builder(request, meeting, status=400)
    try:
        agenda.agenda_reorder(
            meeting=meeting,
            user=request.user,
            order=form.cleaned_data["order"],
            previous=form.cleaned_data["previous"],
        )
    except (agenda.StaleAgenda, agenda.AgendaRefused) as refused:
        response = _render_builder(request, meeting, error=refused.message, status=409)
        # The script swaps this block in and says why; it needs to know it was a refusal.
        response.status_code = 409
        return response
    return _done(request, meeting)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def agenda_prepare(request, uid):
    """議題を準備 (agenda.agenda_prefill): what it did is shown once on the builder."""
    meeting = _editable_meeting(request, uid)
    report = agenda.agenda_prefill(meeting=meeting, user=request.user)
    request.session[PREFILL_SESSION_KEY.format(pk=meeting.pk)] = {
        "added": len(report.added),
        "carried": report.carried.carried_actions.count() if report.carried else None,
        "refused": [
            [case.pk, [organisation.pk for organisation in organisations]]
            for case, organisations in report.refused
        ],
    }
    return _done(request, meeting)


# The prints: A4, static/css/print.css.


def _print_context(request, meeting, *, detail):
    items, _visible = _agenda_for(request.user, meeting)
    listed = {item.case_id for item in items if item.case_id and not item.case_hidden}
    listed |= {
        action.about.pk
        for item in items
        for action in item.carried_actions.all()
        if action.about and not action.case_hidden
    }
    # A print is an export of every case it names.
    for case in Case.objects.filter(pk__in=listed).order_by("pk"):
        services.audit_record(
            user=request.user,
            case=case,
            action=AuditEvent.Action.EXPORT,
            organisation=selectors.case_access_organisation(user=request.user, case=case),
            meeting=meeting,
            detail=detail,
        )
    return {
        "meeting": meeting,
        "items": items,
        "total": agenda.agenda_total(meeting=meeting, items=items),
        "participants": meeting.participants.select_related("organisation").order_by(
            "organisation__name", "pk"
        ),
        "printed_at": timezone.localtime(),
    }


@login_required
def agenda_print(request, uid):
    """The participants' agenda: times, items, presenting organisations; case codes only."""
    meeting = agenda.meeting_get_for_agenda(user=request.user, uid=uid)
    context = _print_context(request, meeting, detail="agenda:print")
    return render(request, "conferences/agenda_print.html", context)


@login_required
def agenda_run_of_show(request, uid):
    """The chair's run of show: each item's start time and the user's own private notes. The
    chair's and the recorder's only (a 404 for others, as for anything not theirs)."""
    meeting = agenda.meeting_get_for_agenda(user=request.user, uid=uid)
    if not agenda.agenda_can_see_run_of_show(user=request.user, meeting=meeting):
        raise Http404
    context = _print_context(request, meeting, detail="agenda:run_of_show")
    notes = dict(
        PrivateNote.objects.filter(agenda_item__meeting=meeting, author=request.user).values_list(
            "agenda_item_id", "text"
        )
    )
    for item in context["items"]:
        item.private_note = notes.get(item.pk, "")
    return render(request, "conferences/agenda_run_of_show.html", context)


@login_required
def agenda_ics(request, uid):
    """The meeting as an iCalendar file: when, where, the link; never anything of its cases."""
    meeting = agenda.meeting_get_for_agenda(user=request.user, uid=uid)
    url = request.build_absolute_uri(reverse("staff:meeting_detail", args=[meeting.uid]))
    response = HttpResponse(
        calendar.meeting_ics(meeting=meeting, url=url),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{calendar.ics_filename(meeting)}"'
    return response
