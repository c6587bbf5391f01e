"""Meeting pages: the list with filters, the meeting page (agenda, participants, pledges,
status), one-off meetings created and edited, series created and generated, and "My work".

Every form posts and redirects without JavaScript; with htmx the participants section is
swapped in place. Only the organiser's members, the chair and the recorder may change a
meeting; anyone else gets 404 for the change pages, as for a meeting they may not see.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from conferences import meeting_forms, meetings, selectors
from conferences import minutes as minutes_service
from conferences.models import Meeting, Membership, Minutes
from conferences.workshops import workshop_organisation_choices
from resources import selectors as resource_selectors
from resources.models import Organisation

PAGE_SIZE = 50
FIND_LIMIT = 30
PARTICIPANT_FIELDS = ("membership", "organisation", "person_name", "role", "find")


# --- The list -------------------------------------------------------------------------------------


@login_required
def meeting_list(request):
    form = meeting_forms.MeetingFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    area = data.get("area")
    filters = meetings.MeetingFilters(
        when="past" if data.get("when") == "past" else "upcoming",
        kind=data.get("kind") or "",
        level=data.get("level") or "",
        area_ids=tuple(a.pk for a in selectors.area_subtree(area=area)) if area else (),
        status=data.get("status") or "",
        mine=bool(data.get("mine")),
    )
    page = Paginator(meetings.meeting_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    template = "conferences/meeting_list.html"
    if request.htmx and request.htmx.target == "meeting-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "upcoming": filters.when != "past",
            "filter_query": "&" + urlencode(query) if query else "",
            "when_query": {
                when: urlencode({**query, "when": when}) for when in ("upcoming", "past")
            },
            "my_series": [] if request.htmx else meetings.series_of_user(user=request.user),
        },
    )


# --- The meeting page -----------------------------------------------------------------------------


def _participant_context(request, meeting: Meeting, *, form=None, pledge_form=None) -> dict:
    editable = meetings.meeting_editable_by(user=request.user, meeting=meeting)
    participants = meetings.participants_of(meeting=meeting)
    context = {
        "meeting": meeting,
        "participants": participants,
        "editable": editable,
        "pledges_needed": sum(1 for p in participants if p.needs_pledge),
    }
    if editable:
        context["participant_form"] = form or _participant_form(meeting)
        context["pledge_form"] = pledge_form or _pledge_form(meeting)
    return context


def _participant_form(meeting: Meeting, data=None, *, initial=None, find: str = ""):
    """The form offering the organisations of the meeting's area (and above), the organiser,
    those already taking part, those a search found and the ones chosen, with their people."""
    values = data or initial or {}
    organisation_ids = {o.pk for o in workshop_organisation_choices(area=meeting.area)}
    organisation_ids |= {meeting.organiser_id}
    organisation_ids |= set(meeting.participants.values_list("organisation_id", flat=True))
    if find:
        found = resource_selectors.organisation_search(query=find).values_list("pk", flat=True)
        organisation_ids |= set(found[:FIND_LIMIT])
    chosen_org = str(values.get("organisation") or "")
    if chosen_org.isdigit():
        organisation_ids.add(int(chosen_org))
    chosen_membership = str(values.get("membership") or "")
    memberships = (
        Membership.objects.filter(
            Q(organisation_id__in=organisation_ids)
            | Q(pk=int(chosen_membership) if chosen_membership.isdigit() else None)
        )
        .select_related("user", "organisation")
        .order_by("organisation__reading", "organisation__name", "user__last_name", "pk")
    )
    organisations = Organisation.objects.filter(pk__in=organisation_ids).order_by("reading", "name")
    return meeting_forms.ParticipantForm(
        data, initial=initial, memberships=memberships, organisations=organisations
    )


def _pledge_form(meeting: Meeting, data=None):
    return meeting_forms.PledgeForm(
        data,
        meeting=meeting,
        participants=meeting.participants.select_related("user", "organisation").order_by(
            "-is_external", "pk"
        ),
        initial={"signed_on": timezone.localdate()},
    )


@login_required
def meeting_detail(request, uid):
    meeting = meetings.meeting_get_visible(user=request.user, uid=uid)
    agenda = meetings.meeting_case_items(user=request.user, meeting=meeting)
    # The page shows these cases' codes and minutes: a read of case data, audited (one insert).
    meetings.meeting_page_audit(
        user=request.user,
        meeting=meeting,
        case_ids={item.case_id for item in agenda if item.case_id and not item.case_hidden},
    )
    context = _participant_context(request, meeting)
    minutes_row = Minutes.objects.filter(meeting=meeting).select_related("approved_by").first()
    context.update(
        {
            "agenda": agenda,
            "minutes": minutes_row,
            # Draft text is for its writers (and participants once circulated), as on the
            # minutes page itself.
            "minutes_text_visible": minutes_service.minutes_readable(
                roles=minutes_service.minutes_roles(user=request.user, meeting=meeting),
                minutes=minutes_row,
            ),
            "status_form": meeting_forms.StatusForm(initial={"version": meeting.version}),
            "cancel_form": meeting_forms.CancelForm(initial={"version": meeting.version}),
            "is_past": meeting.starts_at <= timezone.now(),
        }
    )
    return render(request, "conferences/meeting_detail.html", context)


def _editable_meeting(request, uid) -> Meeting:
    meeting = meetings.meeting_get_visible(user=request.user, uid=uid)
    if not meetings.meeting_editable_by(user=request.user, meeting=meeting):
        raise Http404
    return meeting


# --- One-off meetings -----------------------------------------------------------------------------


@login_required
def meeting_create(request):
    if request.method == "POST":
        form = meeting_forms.MeetingForm(request.POST, user=request.user)
        if form.is_valid():
            meeting = meetings.meeting_create(user=request.user, **form.meeting_fields())
            messages.success(request, _("The meeting was created."))
            return redirect("staff:meeting_detail", uid=meeting.uid)
    else:
        mine = Membership.objects.filter(user=request.user).order_by("-can_chair", "pk").first()
        form = meeting_forms.MeetingForm(
            user=request.user,
            initial={
                "organiser": mine.organisation_id if mine else None,
                "chair": request.user.pk if mine and mine.can_chair else None,
                "recorder": request.user.pk,
                "area": request.GET.get("area", ""),
            },
        )
    return render(request, "conferences/meeting_form.html", {"form": form, "meeting": None})


@login_required
def meeting_edit(request, uid):
    meeting = _editable_meeting(request, uid)
    stored = None
    if request.method == "POST":
        form = meeting_forms.MeetingForm(request.POST, user=request.user, current=meeting)
        if form.is_valid():
            try:
                meetings.meeting_update(
                    meeting=meeting,
                    user=request.user,
                    expected_version=form.cleaned_data["version"] or 0,
                    **form.meeting_fields(),
                )
            except meetings.StaleMeeting as stale:
                # Keep what was typed, show what is stored now, and carry the stored version
                # so that saving again (after checking) is a knowing overwrite.
                stored = stale.current
                data = request.POST.copy()
                data["version"] = stored.version
                form = meeting_forms.MeetingForm(data, user=request.user, current=stored)
                form.is_valid()
                form.add_error(
                    None,
                    _(
                        "Someone else saved this meeting while you were editing it. What is "
                        "stored now is shown below; your changes are still in the form. Check "
                        "them and save again to replace what is stored."
                    ),
                )
            else:
                messages.success(request, _("The meeting was saved."))
                return redirect("staff:meeting_detail", uid=meeting.uid)
    else:
        form = meeting_forms.MeetingForm(
            user=request.user,
            current=meeting,
            initial=meeting_forms.MeetingForm.initial_for(meeting),
        )
    return render(
        request,
        "conferences/meeting_form.html",
        {"form": form, "meeting": meeting, "stored": stored},
    )


def _status_change(request, uid, change):
    meeting = _editable_meeting(request, uid)
    try:
        change(meeting)
    except meetings.StaleMeeting:
        messages.error(
            request,
            _("Someone else changed this meeting since you opened it. Check it and try again."),
        )
    except meetings.MeetingRefused as refused:
        messages.error(request, str(refused.message))
        return None
    return meeting


@login_required
@require_POST
def meeting_mark_held(request, uid):
    form = meeting_forms.StatusForm(request.POST)
    version = form.cleaned_data.get("version") if form.is_valid() else None

    def change(meeting):
        meetings.meeting_mark_held(meeting=meeting, user=request.user, expected_version=version)
        messages.success(request, _("The meeting was marked as held."))

    _status_change(request, uid, change)
    return redirect("staff:meeting_detail", uid=uid)


@login_required
def meeting_cancel(request, uid):
    """GET shows the form on its own page; POST cancels (or shows the form again with what was
    typed and the error)."""
    meeting = _editable_meeting(request, uid)
    form = meeting_forms.CancelForm(request.POST or None, initial={"version": meeting.version})
    if request.method == "POST" and form.is_valid():
        try:
            meetings.meeting_cancel(
                meeting=meeting,
                user=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except meetings.StaleMeeting:
            meeting.refresh_from_db()
            data = request.POST.copy()
            data["version"] = meeting.version
            form = meeting_forms.CancelForm(data)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone else changed this meeting since you opened it. Check the meeting "
                    "below and cancel again if it still should be."
                ),
            )
        except meetings.MeetingRefused as refused:
            form.add_error(None, str(refused.message))
        else:
            messages.success(request, _("The meeting was cancelled."))
            return redirect("staff:meeting_detail", uid=meeting.uid)
    return render(request, "conferences/meeting_cancel.html", {"meeting": meeting, "form": form})


# --- Participants and pledges ---------------------------------------------------------------------


def _participants_response(request, meeting, **forms):
    context = _participant_context(request, meeting, **forms)
    return render(request, "conferences/meeting_detail.html#participants", context)


@login_required
@require_POST
def participant_add(request, uid):
    meeting = _editable_meeting(request, uid)
    if request.POST.get("action") == "find":
        # Nothing is saved: the form comes back with what the search found, and what was typed.
        initial = {name: request.POST.get(name, "") for name in PARTICIPANT_FIELDS}
        initial["is_external"] = bool(request.POST.get("is_external"))
        form = _participant_form(
            meeting, initial=initial, find=request.POST.get("find", "").strip()
        )
        if request.htmx:
            return _participants_response(request, meeting, form=form)
        return _detail_with_forms(request, meeting, form=form, status=200)
    form = _participant_form(meeting, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        membership = data.get("membership")
        try:
            meetings.participant_add(
                meeting=meeting,
                user=request.user,
                organisation=membership.organisation if membership else data["organisation"],
                person=membership.user if membership else None,
                person_name=data.get("person_name") or "",
                role=data["role"],
                is_external=data["is_external"],
            )
        except meetings.MeetingRefused as refused:
            form.add_error(None, str(refused.message))
        else:
            if request.htmx:
                return _participants_response(request, meeting)
            messages.success(request, _("The participant was added."))
            return redirect(_participants_url(meeting))
    if request.htmx:
        return _participants_response(request, meeting, form=form)
    return _detail_with_forms(request, meeting, form=form)


@login_required
@require_POST
def participant_remove(request, uid, pk):
    meeting = _editable_meeting(request, uid)
    meetings.participant_remove(meeting=meeting, user=request.user, participant_id=pk)
    if request.htmx:
        return _participants_response(request, meeting)
    messages.success(request, _("The participant was removed."))
    return redirect(_participants_url(meeting))


@login_required
@require_POST
def pledge_add(request, uid):
    meeting = _editable_meeting(request, uid)
    form = _pledge_form(meeting, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            meetings.pledge_record(
                meeting=meeting,
                user=request.user,
                participant=data["participant"],
                signed_on=data["signed_on"],
                scope=data["scope"],
            )
        except meetings.MeetingRefused as refused:
            form.add_error(None, str(refused.message))
        else:
            if request.htmx:
                return _participants_response(request, meeting)
            messages.success(request, _("The pledge was recorded."))
            return redirect(_participants_url(meeting))
    if request.htmx:
        return _participants_response(request, meeting, pledge_form=form)
    return _detail_with_forms(request, meeting, pledge_form=form)


def _participants_url(meeting: Meeting) -> str:
    return reverse("staff:meeting_detail", args=[meeting.uid]) + "#participants-heading"


def _detail_with_forms(request, meeting, *, status=400, **forms):
    """The whole meeting page again, with the refused form keeping what was typed."""
    context = _participant_context(request, meeting, **forms)
    context.update(
        {
            "agenda": meetings.meeting_case_items(user=request.user, meeting=meeting),
            "minutes": Minutes.objects.filter(meeting=meeting).first(),
            "status_form": meeting_forms.StatusForm(initial={"version": meeting.version}),
            "cancel_form": meeting_forms.CancelForm(initial={"version": meeting.version}),
            "is_past": meeting.starts_at <= timezone.now(),
        }
    )
    return render(request, "conferences/meeting_detail.html", context, status=status)


# --- Series ---------------------------------------------------------------------------------------


@login_required
def series_create(request):
    """With htmx, every change of the form asks for a preview of the rule (nothing is saved):
    how it reads and its next dates. Without JavaScript, the series page shows them."""
    if request.method == "POST" and request.POST.get("action") == "preview":
        form = meeting_forms.SeriesForm(request.POST, user=request.user)
        form.is_valid()
        preview = meetings.series_preview(
            rrule=form.cleaned_data.get("rrule"),
            start_time=form.cleaned_data.get("start_time"),
            end_time=form.cleaned_data.get("end_time"),
            starts_on=form.cleaned_data.get("starts_on"),
            until=form.cleaned_data.get("until"),
        )
        return render(request, "conferences/series_form.html#preview", {"preview": preview})
    if request.method == "POST":
        form = meeting_forms.SeriesForm(request.POST, user=request.user)
        if form.is_valid():
            series = meetings.series_create(user=request.user, **form.series_fields())
            messages.success(request, _("The series was created with its meetings."))
            return redirect("staff:series_detail", pk=series.pk)
    else:
        mine = Membership.objects.filter(user=request.user).order_by("-can_chair", "pk").first()
        form = meeting_forms.SeriesForm(
            user=request.user,
            initial={
                "organiser": mine.organisation_id if mine else None,
                "chair": request.user.pk if mine and mine.can_chair else None,
                "starts_on": timezone.localdate(),
                "area": request.GET.get("area", ""),
            },
        )
    return render(request, "conferences/series_form.html", {"form": form})


@login_required
def series_detail(request, pk):
    series = meetings.series_get_visible(user=request.user, pk=pk)
    now = timezone.now()
    occurrences = (
        selectors.meetings_visible_to(user=request.user)
        .filter(series=series)
        .order_by("starts_at", "pk")
    )
    upcoming = list(occurrences.filter(starts_at__gte=now)[:60])
    for meeting in upcoming:
        meeting.moved = bool(
            meeting.occurrence_on
            and timezone.localtime(meeting.starts_at).date() != meeting.occurrence_on
        )
    return render(
        request,
        "conferences/series_detail.html",
        {
            "series": series,
            "rule_text": meetings.series_rule_text(series),
            "upcoming": upcoming,
            "recent": list(
                occurrences.filter(starts_at__lt=now).order_by("-starts_at", "-pk")[:12]
            ),
            "editable": meetings.series_editable_by(user=request.user, series=series),
        },
    )


@login_required
@require_POST
def series_generate(request, pk):
    series = meetings.series_get_visible(user=request.user, pk=pk)
    if not meetings.series_editable_by(user=request.user, series=series):
        raise Http404
    try:
        added = meetings.series_generate(series=series)
    except meetings.MeetingRefused as refused:
        messages.error(request, str(refused.message))
    else:
        if added:
            messages.success(
                request,
                ngettext(
                    "%(count)s meeting was added.", "%(count)s meetings were added.", len(added)
                )
                % {"count": len(added)},
            )
        else:
            messages.info(request, _("Every meeting of the next twelve months is already there."))
    return redirect("staff:series_detail", pk=series.pk)


# --- My work --------------------------------------------------------------------------------------


@login_required
def my_work(request):
    return render(request, "conferences/my_work.html", meetings.my_work(user=request.user))
