"""Meetings and series: reads and writes (one-off meetings, series and their occurrences,
participants, confidentiality pledges, status) and the user's "My work".

Edits of a meeting are compare-and-swap on Meeting.version: a save from a version someone else
has since changed raises StaleMeeting with what is stored now, never overwriting it. Every change
a calendar must see (time, place, online link, status) raises Meeting.sequence (RFC 5545
SEQUENCE), so subscribed calendars replace their copy.
"""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conferences import selectors, services
from conferences.models import (
    ActionItem,
    AgendaItem,
    AuditEvent,
    Case,
    CaseRole,
    Meeting,
    MeetingSeries,
    MeetingVisibility,
    Membership,
    Participant,
    Pledge,
)
from resources.schedules import Rule, describe_rule, format_hours

# What a calendar must see change: raising the sequence tells subscribers to replace the event.
CALENDAR_FIELDS = ("starts_at", "ends_at", "place", "online_url", "status")
# The fields of a meeting an editor may change through meeting_update.
EDITABLE_FIELDS = (
    "kind",
    "level",
    "area",
    "legal_basis",
    "title",
    "starts_at",
    "ends_at",
    "place",
    "online_url",
    "organiser",
    "chair",
    "recorder",
    "visibility",
)
GENERATION_MONTHS = 12
MY_WORK_DAYS = 30
MY_WORK_LIMIT = 100


class StaleMeeting(Exception):
    """The meeting changed since the editor's version; `current` is what is stored now."""

    def __init__(self, current: Meeting):
        super().__init__("stale meeting version")
        self.current = current


class MeetingRefused(Exception):
    """A change the meeting's state does not allow (e.g. marking a cancelled meeting held)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- Reads ----------------------------------------------------------------------------------------


def meeting_get_visible(*, user, uid) -> Meeting:
    """The meeting, or 404 whether it is missing or confidential and not the user's."""
    try:
        return (
            selectors.meetings_visible_to(user=user)
            .select_related("area", "organiser", "chair", "recorder", "series")
            .get(uid=uid)
        )
    except Meeting.DoesNotExist:
        raise Http404 from None


def meeting_editable_by(*, user, meeting: Meeting) -> bool:
    """Members of the organiser, and the meeting's chair and recorder, may edit it."""
    if not user.is_authenticated:
        return False
    if user.pk in (meeting.chair_id, meeting.recorder_id):
        return True
    return Membership.objects.filter(user=user, organisation_id=meeting.organiser_id).exists()


def series_editable_by(*, user, series: MeetingSeries) -> bool:
    if not user.is_authenticated:
        return False
    if user.pk in (series.chair_id, series.recorder_id):
        return True
    return Membership.objects.filter(user=user, organisation_id=series.organiser_id).exists()


def series_get_visible(*, user, pk: int) -> MeetingSeries:
    """The series, or 404: a confidential series only for the organiser's members, its chair
    and its recorder."""
    series = (
        MeetingSeries.objects.select_related("area", "organiser", "chair", "recorder")
        .filter(pk=pk)
        .first()
    )
    if series is None:
        raise Http404
    if series.visibility == MeetingVisibility.CONFIDENTIAL and not series_editable_by(
        user=user, series=series
    ):
        raise Http404
    return series


def series_of_user(*, user, limit: int = 50) -> list[MeetingSeries]:
    """The series the user's organisations run, or that they chair or record, by title."""
    own = Membership.objects.filter(user=user).values("organisation_id")
    return list(
        MeetingSeries.objects.filter(Q(organiser_id__in=own) | Q(chair=user) | Q(recorder=user))
        .select_related("area")
        .order_by("title", "pk")[:limit]
    )


@dataclass(frozen=True)
class MeetingFilters:
    when: str = "upcoming"  # upcoming | past
    kind: str = ""
    level: str = ""
    area_ids: tuple[int, ...] = ()
    status: str = ""
    mine: bool = False


def meeting_list(*, user, filters: MeetingFilters, now=None) -> QuerySet[Meeting]:
    """The meetings the user may see, filtered; upcoming soonest first, past newest first."""
    now = now or timezone.now()
    meetings = selectors.meetings_visible_to(user=user).select_related("area", "series")
    if filters.when == "past":
        meetings = meetings.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    else:
        meetings = meetings.filter(starts_at__gte=now).order_by("starts_at", "pk")
    if filters.kind:
        meetings = meetings.filter(kind=filters.kind)
    if filters.level:
        meetings = meetings.filter(level=filters.level)
    if filters.area_ids:
        meetings = meetings.filter(area_id__in=filters.area_ids)
    if filters.status:
        meetings = meetings.filter(status=filters.status)
    if filters.mine:
        meetings = meetings.filter(
            Q(chair=user)
            | Q(recorder=user)
            | Q(pk__in=Participant.objects.filter(user=user).values("meeting_id"))
        )
    return meetings


def participants_of(*, meeting: Meeting) -> list[Participant]:
    """The meeting's participants, each with `pledge`: the pledge (誓約書) that covers this
    meeting for them (signed for it or for its series; matched by account, or by name for
    people without one), or None, and `needs_pledge` for outside participants without one.
    Two queries."""
    participants = list(
        meeting.participants.select_related("organisation", "user").order_by(
            "is_external", "organisation__reading", "organisation__name", "pk"
        )
    )
    scope = Q(meeting=meeting)
    if meeting.series_id:
        scope |= Q(series_id=meeting.series_id, scope=Pledge.Scope.SERIES)
    by_user, by_name = {}, {}
    for pledge in Pledge.objects.filter(scope).order_by("signed_on", "pk"):
        if pledge.user_id:
            by_user[pledge.user_id] = pledge
        elif pledge.person_name:
            by_name[(pledge.person_name, pledge.organisation_id)] = pledge
            by_name.setdefault((pledge.person_name, None), pledge)
    for participant in participants:
        if participant.user_id:
            participant.pledge = by_user.get(participant.user_id)
        elif participant.person_name:
            participant.pledge = by_name.get(
                (participant.person_name, participant.organisation_id)
            ) or by_name.get((participant.person_name, None))
        else:
            participant.pledge = None
        participant.needs_pledge = participant.is_external and participant.pledge is None
    return participants


def series_rule_text(series: MeetingSeries) -> str:
    """The series' rule and hours in the current language: 毎月第3水曜 14:00–16:00. A rule the
    schedule module cannot read is shown as stored."""
    try:
        text = describe_rule(series.rrule)
    except ValidationError:  # a rule typed in the admin the module cannot read
        text = series.rrule
    hours = format_hours(series.start_time, series.end_time)
    return f"{text} {hours}".strip()


def series_preview(
    *, rrule, start_time=None, end_time=None, starts_on=None, until=None, count: int = 3
) -> dict | None:
    """How a series being typed reads and its next dates (None while the rule is incomplete)."""
    if not rrule:
        return None
    series = MeetingSeries(
        rrule=rrule, start_time=start_time, end_time=end_time, starts_on=starts_on, until=until
    )
    today = timezone.localdate()
    dates = series_occurrence_dates(
        series=series, start=today, end=today + relativedelta(months=GENERATION_MONTHS)
    )
    return {"text": series_rule_text(series), "dates": dates[:count], "total": len(dates)}


def series_occurrence_dates(
    *, series: MeetingSeries, start: datetime.date, end: datetime.date
) -> list[datetime.date]:
    """The dates of the series' rule from `start` to `end` (both included), within the series'
    own first and last dates."""
    first = max(start, series.starts_on or start)
    last = min(end, series.until) if series.until else end
    if last < first:
        return []
    rule = Rule.parse(series.rrule)
    anchor = series.starts_on or first
    dtstart = datetime.datetime.combine(anchor, datetime.time())
    until = datetime.datetime.combine(last, datetime.time())
    return [
        moment.date()
        for moment in rule.to_dateutil(dtstart=dtstart, until=until)
        if moment.date() >= first
    ]


def my_work(*, user, today: datetime.date | None = None) -> dict:
    """What the user has to do, across all their organisations: open action items (theirs, or
    their organisations' with no person), overdue first and marked; meetings they take part in
    for the next 30 days; open cases they can see due for review in the next 30 days or
    overdue. A constant number of queries, whatever the data size."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=MY_WORK_DAYS)
    organisation_ids = Membership.objects.filter(user=user).values("organisation_id")
    actions = list(
        ActionItem.objects.filter(
            Q(assignee=user) | Q(organisation_id__in=organisation_ids, assignee=None),
            status=ActionItem.Status.OPEN,
        )
        .select_related("organisation", "assignee", "agenda_item__meeting", "case")
        .order_by("due_on", "pk")[:MY_WORK_LIMIT]
    )
    for action in actions:
        action.is_overdue = action.due_on < today
        action.days_overdue = (today - action.due_on).days
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    end = start + datetime.timedelta(days=MY_WORK_DAYS + 1)
    taking_part = Participant.objects.filter(user=user).values("meeting_id")
    meetings = list(
        Meeting.objects.filter(starts_at__gte=timezone.now(), starts_at__lt=end)
        .filter(Q(chair=user) | Q(recorder=user) | Q(pk__in=taking_part))
        .select_related("area")
        .order_by("starts_at", "pk")[:MY_WORK_LIMIT]
    )
    for meeting in meetings:
        meeting.my_role = (
            "chair"
            if meeting.chair_id == user.pk
            else "recorder"
            if meeting.recorder_id == user.pk
            else "participant"
        )
    cases = list(
        selectors.cases_visible_to(user=user)
        .filter(status=Case.Status.OPEN, next_review_on__lte=horizon)
        .select_related("district", "lead_organisation")
        .order_by("next_review_on", "code")[:MY_WORK_LIMIT]
    )
    for case in cases:
        case.is_overdue = case.next_review_on < today
    return {
        "today": today,
        "horizon": horizon,
        "actions": actions,
        "overdue_count": sum(1 for action in actions if action.is_overdue),
        "meetings": meetings,
        "cases": cases,
    }


# --- Writes: meetings -----------------------------------------------------------------------------


def meeting_create(*, user, **fields) -> Meeting:
    """A one-off meeting (planned)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not meeting fields: {sorted(unknown)}")
    with transaction.atomic():
        meeting = Meeting.objects.create(**fields)
        Participant.objects.bulk_create(_chair_and_recorder([meeting]))
    return meeting


def _chair_and_recorder(new_meetings: list[Meeting]) -> list[Participant]:
    """Participant rows for the chair and the recorder of new meetings, each for their
    membership of the organiser if they have one, else their first organisation (so a
    confidential meeting is visible to the people running it)."""
    people = {pk for m in new_meetings for pk in (m.chair_id, m.recorder_id) if pk is not None}
    if not people:
        return []
    organisations: dict[int, list[int]] = {}
    for user_id, organisation_id in (
        Membership.objects.filter(user_id__in=people)
        .order_by("user_id", "organisation__name", "organisation_id")
        .values_list("user_id", "organisation_id")
    ):
        organisations.setdefault(user_id, []).append(organisation_id)
    rows = []
    for meeting in new_meetings:
        for user_id, role in (
            (meeting.chair_id, Participant.Role.CHAIR),
            (meeting.recorder_id, Participant.Role.RECORDER),
        ):
            if user_id is None or (
                role == Participant.Role.RECORDER and user_id == meeting.chair_id
            ):
                continue
            theirs = organisations.get(user_id, [])
            organisation_id = (
                meeting.organiser_id if meeting.organiser_id in theirs or not theirs else theirs[0]
            )
            rows.append(
                Participant(
                    meeting=meeting, organisation_id=organisation_id, user_id=user_id, role=role
                )
            )
    return rows


def _swap(*, meeting: Meeting, expected_version: int | None, changes: dict, check=None) -> Meeting:
    """Write `changes`, raising the version (and the sequence when a calendar field changes),
    only if the stored version is the one expected (None: whatever is stored). `check`, given
    the stored meeting, may refuse the change (MeetingRefused); as every change raises the
    version, what it saw is still what the UPDATE changes."""
    with transaction.atomic():
        rows = Meeting.objects.filter(pk=meeting.pk)
        if expected_version is not None:
            rows = rows.filter(version=expected_version)
        stored = rows.select_for_update().first()
        if stored is None:
            raise StaleMeeting(
                Meeting.objects.select_related("area", "organiser", "chair", "recorder").get(
                    pk=meeting.pk
                )
            )
        if check is not None:
            check(stored)
        changed = {
            name: value
            for name, value in changes.items()
            if getattr(stored, _attname(name)) != _raw(value)
        }
        if not changed:
            return stored
        bump = {"version": F("version") + 1, "updated_at": timezone.now()}
        if any(name in CALENDAR_FIELDS for name in changed):
            bump["sequence"] = F("sequence") + 1
        # The version again in the UPDATE: a true compare-and-swap on SQLite too, which has
        # no row locks.
        if not Meeting.objects.filter(pk=meeting.pk, version=stored.version).update(
            **changed, **bump
        ):
            raise StaleMeeting(
                Meeting.objects.select_related("area", "organiser", "chair", "recorder").get(
                    pk=meeting.pk
                )
            )
    meeting.refresh_from_db()
    return meeting


def _attname(name: str) -> str:
    return f"{name}_id" if name in ("area", "organiser", "chair", "recorder") else name


def _raw(value):
    return getattr(value, "pk", value)


def meeting_update(*, meeting: Meeting, user, expected_version: int, **fields) -> Meeting:
    """Save an edit if nobody saved since `expected_version` (StaleMeeting otherwise). A change
    of time, place or online link raises the calendar sequence."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not meeting fields: {sorted(unknown)}")
    changes = {_attname(name): _raw(value) for name, value in fields.items()}
    with transaction.atomic():
        meeting = _swap(meeting=meeting, expected_version=expected_version, changes=changes)
        # A new chair or recorder takes part (those before stay on the list).
        present = set(meeting.participants.values_list("user_id", flat=True))
        Participant.objects.bulk_create(
            row for row in _chair_and_recorder([meeting]) if row.user_id not in present
        )
    return meeting


def meeting_mark_held(*, meeting: Meeting, user, expected_version: int | None = None) -> Meeting:
    """Record that the meeting took place. A cancelled meeting cannot be marked held."""

    def check(stored: Meeting) -> None:
        if stored.status == Meeting.Status.CANCELLED:
            raise MeetingRefused(_("This meeting was cancelled: it cannot be marked as held."))

    return _swap(
        meeting=meeting,
        expected_version=expected_version,
        changes={"status": Meeting.Status.HELD},
        check=check,
    )


def meeting_cancel(
    *, meeting: Meeting, user, reason: str, expected_version: int | None = None
) -> Meeting:
    """Cancel a planned meeting with a reason. The record, its agenda and its participants are
    kept; the calendar sequence is raised so subscribers see the cancellation."""
    reason = (reason or "").strip()
    if not reason:
        raise MeetingRefused(_("Give the reason for cancelling."))

    def check(stored: Meeting) -> None:
        if stored.status == Meeting.Status.HELD:
            raise MeetingRefused(_("This meeting was held: it cannot be cancelled."))
        if stored.status == Meeting.Status.CANCELLED:
            raise MeetingRefused(_("This meeting is already cancelled."))

    return _swap(
        meeting=meeting,
        expected_version=expected_version,
        changes={
            "status": Meeting.Status.CANCELLED,
            "cancellation_reason": reason,
            "cancelled_at": timezone.now(),
        },
        check=check,
    )


# --- Writes: series -------------------------------------------------------------------------------


def series_create(*, user, generate: bool = True, today=None, **fields) -> MeetingSeries:
    """A series (its rule is checked: only rules the schedule module can show are stored) and,
    unless told otherwise, its meetings for the next 12 months."""
    fields["rrule"] = Rule.parse(fields["rrule"]).as_rrule()
    with transaction.atomic():
        series = MeetingSeries.objects.create(**fields)
        if generate:
            series_generate(series=series, today=today)
    return series


def series_generate(
    *, series: MeetingSeries, today: datetime.date | None = None, months: int = GENERATION_MONTHS
) -> list[Meeting]:
    """Create the series' meetings from today (or its first date, if later) for `months`
    months or until its last date. Idempotent: an occurrence that already has a meeting
    (even one since moved or cancelled) is not added again. Returns the new meetings."""
    if series.start_time is None or series.end_time is None:
        raise MeetingRefused(_("Give the series a start and end time before adding its meetings."))
    today = today or timezone.localdate()
    end = today + relativedelta(months=months)
    dates = series_occurrence_dates(series=series, start=today, end=end)
    existing = _occurrences_taken(series=series, dates=dates)
    new = []
    for day in dates:
        if day in existing:
            continue
        starts_at = timezone.make_aware(datetime.datetime.combine(day, series.start_time))
        ends_at = timezone.make_aware(datetime.datetime.combine(day, series.end_time))
        if ends_at <= starts_at:
            ends_at += datetime.timedelta(days=1)
        new.append(
            Meeting(
                series=series,
                occurrence_on=day,
                kind=series.kind,
                level=series.level,
                area_id=series.area_id,
                legal_basis=series.legal_basis,
                title=series.title,
                starts_at=starts_at,
                ends_at=ends_at,
                place=series.place,
                organiser_id=series.organiser_id,
                chair_id=series.chair_id,
                recorder_id=series.recorder_id,
                visibility=series.visibility,
            )
        )
    try:
        with transaction.atomic():
            Meeting.objects.bulk_create(new)
            Participant.objects.bulk_create(_chair_and_recorder(new))
    except IntegrityError:
        # Someone generated the same series at the same moment: add what is still missing.
        taken = _occurrences_taken(series=series, dates=dates)
        new = [meeting for meeting in new if meeting.occurrence_on not in taken]
        for meeting in new:
            meeting.pk = None
        with transaction.atomic():
            Meeting.objects.bulk_create(new)
            Participant.objects.bulk_create(_chair_and_recorder(new))
    return new


def _occurrences_taken(*, series: MeetingSeries, dates: list[datetime.date]) -> set:
    """The dates among `dates` that already have a meeting of the series: by the occurrence it
    is, or, for meetings recorded without one (in the admin, or before occurrences were kept),
    by the day it starts on."""
    if not dates:
        return set()
    rows = Meeting.objects.filter(series=series).filter(
        Q(occurrence_on__in=dates)
        | Q(
            occurrence_on=None,
            starts_at__gte=_day_start(dates[0]),
            starts_at__lt=_day_start(dates[-1] + datetime.timedelta(days=1)),
        )
    )
    taken = set()
    for occurrence_on, starts_at in rows.values_list("occurrence_on", "starts_at"):
        taken.add(occurrence_on or timezone.localtime(starts_at).date())
    return taken


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# --- Writes: participants and pledges -------------------------------------------------------------


def participant_add(
    *,
    meeting: Meeting,
    user,
    organisation,
    person=None,
    person_name: str = "",
    role: str = Participant.Role.MEMBER,
    is_external: bool = False,
) -> Participant:
    """Add a participant: a person with an account (a member of the organisation), a person
    without one (by name), or the organisation alone."""
    if (
        person is not None
        and not Membership.objects.filter(user=person, organisation=organisation).exists()
    ):
        raise MeetingRefused(
            _("%(person)s is not a member of %(organisation)s.")
            % {
                "person": person.get_full_name() or person.get_username(),
                "organisation": organisation.name,
            }
        )
    duplicate = Participant.objects.filter(meeting=meeting, organisation=organisation)
    if person is not None:
        duplicate = duplicate.filter(user=person)
    elif person_name:
        duplicate = duplicate.filter(user=None, person_name=person_name)
    else:
        duplicate = duplicate.filter(user=None, person_name="")
    if duplicate.exists():
        raise MeetingRefused(_("This participant is already on the meeting."))
    return Participant.objects.create(
        meeting=meeting,
        organisation=organisation,
        user=person,
        person_name="" if person is not None else person_name.strip(),
        role=role,
        is_external=is_external,
    )


def participant_remove(*, meeting: Meeting, user, participant_id: int) -> None:
    Participant.objects.filter(meeting=meeting, pk=participant_id).delete()


def pledge_record(
    *,
    meeting: Meeting,
    user,
    participant: Participant,
    signed_on: datetime.date,
    scope: str,
) -> Pledge:
    """Record a participant's signed pledge (誓約書) for this meeting or for every meeting of
    its series."""
    if participant.meeting_id != meeting.pk:
        raise MeetingRefused(_("This participant is not on the meeting."))
    if scope == Pledge.Scope.SERIES and not meeting.series_id:
        raise MeetingRefused(_("This meeting is not part of a series."))
    if participant.user_id is None and not participant.person_name:
        raise MeetingRefused(
            _("A pledge is signed by a person: add the person's name to the participant first.")
        )
    return Pledge.objects.create(
        user_id=participant.user_id,
        person_name=participant.person_name,
        organisation_id=participant.organisation_id,
        signed_on=signed_on,
        scope=scope,
        meeting=meeting if scope == Pledge.Scope.MEETING else None,
        series_id=meeting.series_id if scope == Pledge.Scope.SERIES else None,
        recorded_by=user,
    )


def meeting_page_audit(*, user, meeting: Meeting, case_ids: set[int]) -> None:
    """Audit the reading of the cases shown on a meeting's page, each through the user's
    organisation on the case, else the one they take part in the meeting for, else their
    first organisation (three queries at most, whatever the number of cases)."""
    if not case_ids:
        return
    own = Membership.objects.filter(user=user).values("organisation_id")
    through_role = {}
    for case_id, organisation_id in (
        CaseRole.objects.filter(case_id__in=case_ids, organisation_id__in=own)
        .order_by("organisation__name", "organisation_id")
        .values_list("case_id", "organisation_id")
    ):
        through_role.setdefault(case_id, organisation_id)
    fallback = (
        Participant.objects.filter(meeting=meeting, user=user)
        .order_by("pk")
        .values_list("organisation_id", flat=True)
        .first()
    )
    if fallback is None:
        fallback = (
            Membership.objects.filter(user=user)
            .order_by("organisation__name", "organisation_id")
            .values_list("organisation_id", flat=True)
            .first()
        )
    services.audit_record_many(
        user=user,
        case_organisations={case_id: through_role.get(case_id, fallback) for case_id in case_ids},
        action=AuditEvent.Action.VIEW,
        meeting=meeting,
        detail="staff:meeting_detail",
    )


def meeting_case_items(*, user, meeting: Meeting) -> list[AgendaItem]:
    """The agenda, each item with `case_hidden` when it is about a case whose material the user
    may not see in this meeting (selectors.meeting_case_ids_visible)."""
    visible = selectors.meeting_case_ids_visible(user=user, meeting=meeting)
    agenda = list(
        meeting.agenda_items.select_related("case", "district_issue", "presenting_organisation")
    )
    for item in agenda:
        item.case_hidden = item.case_id is not None and item.case_id not in visible
    return agenda
