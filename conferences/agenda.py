"""The agenda of a meeting: who may build it, reading it, and changing it (issue 5, point 4).

Who may build an agenda: the meeting's chair and recorder, and members of the organising
organisation (Membership with the meeting's organiser), while the meeting is planned. Anyone
else who may see the meeting (selectors.meetings_visible_to) gets the agenda read-only; a
confidential meeting stays a 404 for those who are not on it.

Putting a case on the agenda shares it with every organisation taking part (the organiser and
the participants' organisations). Under a legal basis (介護保険法 第115条の48 and the like) that
is allowed without consent; otherwise a current consent (本人同意) must cover each of them,
except organisations that already hold a role on the case.

Concurrency: adding is serialised per meeting (the meeting row is locked); editing or removing
an item is compare-and-swap on AgendaItem.version; reordering states the order it started from
and is refused when the stored order is no longer that one. Nothing is silently overwritten.

Every change that involves a case, and every read of the builder showing cases, is audited
(conferences.services.audit_record); the detail names the screen or change, never case content.
"""

import dataclasses
import datetime

from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, Max, Prefetch, Q, QuerySet, Value, When
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
    Consent,
    LegalBasis,
    Meeting,
    Membership,
    Participant,
)
from districts.models import Area
from resources.models import Organisation

# Titles stored for items the system writes (data, in the municipality's language).
CARRIED_OVER_TITLE = "前回からの持ち越し事項の確認"
DEFAULT_TITLES = {
    AgendaItem.Kind.NEW_CASE: "新規ケースの検討",
    AgendaItem.Kind.CASE_REVIEW: "支援経過の確認（見直し）",
    AgendaItem.Kind.CARRIED_OVER: CARRIED_OVER_TITLE,
}
CASE_KINDS = (AgendaItem.Kind.NEW_CASE, AgendaItem.Kind.CASE_REVIEW)
CARRIED_OVER_MINUTES = 10
# Without a following meeting of the series, prefill looks this far past the meeting's start.
PREFILL_WINDOW_DAYS = 31
# Reordering moves every row of the agenda above this while renumbering (orders stay far below).
_REORDER_OFFSET = 20000


class AgendaRefused(Exception):
    """A change of the agenda that is not allowed; `message` says why (translatable)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class StaleAgenda(Exception):
    """The agenda (or the item) changed since the editor loaded it; `message` says what."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# ---------------------------------------------------------------------------------------------
# Reads


def meeting_get_for_agenda(*, user, uid) -> Meeting:
    """The meeting if the user may see it, else 404 (existence is not told)."""
    try:
        return (
            selectors.meetings_visible_to(user=user)
            .select_related("area", "organiser", "chair", "recorder", "series")
            .get(uid=uid)
        )
    except Meeting.DoesNotExist:
        raise Http404 from None


def agenda_can_edit(*, user, meeting: Meeting) -> bool:
    """Chair, recorder or a member of the organising organisation, while the meeting is planned."""
    if meeting.status != Meeting.Status.PLANNED or not user.is_authenticated:
        return False
    if user.pk in (meeting.chair_id, meeting.recorder_id):
        return True
    return Membership.objects.filter(user=user, organisation_id=meeting.organiser_id).exists()


def agenda_can_see_run_of_show(*, user, meeting: Meeting) -> bool:
    """The run of show (timings and private notes) is the chair's and the recorder's."""
    return user.is_authenticated and user.pk in (meeting.chair_id, meeting.recorder_id)


def agenda_items(*, meeting: Meeting) -> list[AgendaItem]:
    """The items in order, with what the builder and the prints show: a constant number of
    queries whatever the length of the agenda."""
    actions = ActionItem.objects.select_related(
        "organisation", "assignee", "case", "agenda_item__case"
    ).order_by("due_on", "pk")
    return list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("case", "district_issue", "presenting_organisation")
        .prefetch_related(Prefetch("carried_actions", queryset=actions))
        .order_by("order", "pk")
    )


def agenda_order(items) -> str:
    """The order as the editor saw it ("12,7,9"), sent back with every move."""
    return ",".join(str(item.pk) for item in items)


@dataclasses.dataclass
class Timing:
    starts_at: datetime.datetime
    ends_at: datetime.datetime


def agenda_timings(*, meeting: Meeting, items) -> list[Timing]:
    """Start and end of each item, from the meeting's start and the minutes allotted."""
    at = timezone.localtime(meeting.starts_at)
    timings = []
    for item in items:
        end = at + datetime.timedelta(minutes=item.minutes_allotted)
        timings.append(Timing(starts_at=at, ends_at=end))
        at = end
    return timings


@dataclasses.dataclass
class AgendaTotal:
    allotted: int
    length: int

    @property
    def over(self) -> int:
        return max(0, self.allotted - self.length)

    @property
    def is_over(self) -> bool:
        return self.allotted > self.length

    @property
    def left(self) -> int:
        return max(0, self.length - self.allotted)


def agenda_total(*, meeting: Meeting, items) -> AgendaTotal:
    length = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    return AgendaTotal(allotted=sum(item.minutes_allotted for item in items), length=length)


def meeting_organisations(*, meeting: Meeting) -> QuerySet[Organisation]:
    """The organisations taking part: the organiser and the participants' organisations."""
    taking_part = Participant.objects.filter(meeting=meeting).values("organisation_id")
    return Organisation.objects.filter(Q(pk=meeting.organiser_id) | Q(pk__in=taking_part)).order_by(
        "name", "pk"
    )


def area_subtree_ids(*, area: Area) -> list[int]:
    return list(
        Area.objects.filter(Q(pk=area.pk) | Q(parent=area) | Q(parent__parent=area)).values_list(
            "pk", flat=True
        )
    )


def access_organisations(*, user, case_ids) -> dict[int, int]:
    """Case id → id of the organisation through which the user sees it (one query; as
    selectors.case_access_organisation, the first by name)."""
    rows = (
        CaseRole.objects.filter(case_id__in=case_ids, organisation__memberships__user=user)
        .order_by("case_id", "organisation__name", "organisation_id")
        .values_list("case_id", "organisation_id")
    )
    found: dict[int, int] = {}
    for case_id, organisation_id in rows:
        found.setdefault(case_id, organisation_id)
    return found


def audit_cases(*, user, case_ids, action: str, meeting: Meeting, detail: str) -> None:
    """One audit event per case (as services.audit_record writes), in two queries whatever their
    number: for screens that show many cases at once."""
    case_ids = sorted(set(case_ids))
    if not case_ids:
        return
    through = access_organisations(user=user, case_ids=case_ids)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                user=user,
                case_id=case_id,
                action=action,
                organisation_id=through.get(case_id),
                meeting=meeting,
                detail=detail,
            )
            for case_id in case_ids
        ]
    )


# ---------------------------------------------------------------------------------------------
# The consent gate


def consent_uncovered(*, meeting: Meeting, cases) -> dict[int, list[Organisation]]:
    """Case id → organisations taking part in the meeting that sharing the case with is not
    covered (empty lists are left out). Under a legal basis nothing needs consent. Organisations
    that already hold a role on the case are not asked about (they have it already). A constant
    number of queries for any number of cases."""
    cases = list(cases)
    if meeting.legal_basis != LegalBasis.NONE or not cases:
        return {}
    organisations = list(meeting_organisations(meeting=meeting))
    case_ids = [case.pk for case in cases]
    holding: dict[int, set[int]] = {}
    for case_id, organisation_id in CaseRole.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "organisation_id"
    ):
        holding.setdefault(case_id, set()).add(organisation_id)
    today = timezone.localdate()
    consents = (
        Consent.objects.filter(case_id__in=case_ids, given_on__lte=today)
        .exclude(withdrawn_on__lte=today)
        .prefetch_related("organisations")
    )
    covers_all: set[int] = set()
    covered: dict[int, set[int]] = {}
    for consent in consents:
        if consent.covers_all:
            covers_all.add(consent.case_id)
        covered.setdefault(consent.case_id, set()).update(
            organisation.pk for organisation in consent.organisations.all()
        )
    result = {}
    for case in cases:
        if case.pk in covers_all:
            continue
        allowed = holding.get(case.pk, set()) | covered.get(case.pk, set())
        missing = [org for org in organisations if org.pk not in allowed]
        if missing:
            result[case.pk] = missing
    return result


def consent_refusal_message(organisations) -> str:
    return _(
        "This meeting has no legal basis for sharing without consent, and the person's consent "
        "on record does not cover: %(organisations)s. Record consent covering them, or put the "
        "case on a meeting with a legal basis."
    ) % {"organisations": "、".join(org.name for org in organisations)}


def agenda_consent_check(*, meeting: Meeting, case: Case) -> None:
    """Raise AgendaRefused naming the organisations not covered, if any."""
    missing = consent_uncovered(meeting=meeting, cases=[case]).get(case.pk)
    if missing:
        raise AgendaRefused(consent_refusal_message(missing))


# ---------------------------------------------------------------------------------------------
# Writes


def _lock_meeting(meeting: Meeting) -> None:
    # Serialises writes of one meeting's agenda (a no-op on SQLite, which locks the database).
    Meeting.objects.select_for_update().filter(pk=meeting.pk).values_list("pk").first()


def _next_order(meeting: Meeting) -> int:
    return (AgendaItem.objects.filter(meeting=meeting).aggregate(m=Max("order"))["m"] or 0) + 1


def _editable(meeting: Meeting) -> None:
    if meeting.status != Meeting.Status.PLANNED:
        raise AgendaRefused(_("The agenda can be changed only while the meeting is planned."))


def agenda_item_add(
    *,
    meeting: Meeting,
    user,
    kind: str,
    title: str = "",
    minutes_allotted: int = 15,
    case: Case | None = None,
    district_issue=None,
    presenting_organisation: Organisation | None = None,
) -> AgendaItem:
    """Append an item. A case goes on only through the consent gate (AgendaRefused otherwise).
    A carried-over item is made by carry_over_open_actions, with the open actions it reviews."""
    _editable(meeting)
    if kind == AgendaItem.Kind.CARRIED_OVER:
        item = carry_over_open_actions(meeting=meeting)
        if item is None:
            raise AgendaRefused(
                _("There are no open action items from earlier meetings to carry over.")
            )
        return item
    if kind in CASE_KINDS:
        if case is None:
            raise AgendaRefused(_("Choose the case this item is about."))
        if AgendaItem.objects.filter(meeting=meeting, case=case).exists():
            raise AgendaRefused(_("This case is already on the agenda."))
        agenda_consent_check(meeting=meeting, case=case)
    else:
        case = None
    if kind != AgendaItem.Kind.DISTRICT_ISSUE:
        district_issue = None
    elif district_issue is None:
        raise AgendaRefused(_("Choose the district issue this item is about."))
    title = (title or "").strip() or DEFAULT_TITLES.get(kind, "")
    if not title:
        raise AgendaRefused(_("Give the item a title."))
    with transaction.atomic():
        _lock_meeting(meeting)
        item = AgendaItem.objects.create(
            meeting=meeting,
            order=_next_order(meeting),
            kind=kind,
            title=title[:200],
            minutes_allotted=minutes_allotted,
            case=case,
            district_issue=district_issue,
            presenting_organisation=presenting_organisation,
        )
        if case is not None:
            services.audit_record(
                user=user,
                case=case,
                action=AuditEvent.Action.CHANGE,
                organisation=selectors.case_access_organisation(user=user, case=case),
                meeting=meeting,
                detail="agenda:add",
            )
    return item


def _item_conflict(current: AgendaItem | None):
    if current is None:
        return StaleAgenda(_("Someone else removed this item after you opened the agenda."))
    return StaleAgenda(
        _(
            "Someone else changed this item after you opened the agenda: it now has %(minutes)s "
            "minutes. The agenda below is as stored now; make your change again if it is "
            "still needed."
        )
        % {"minutes": current.minutes_allotted}
    )


def agenda_item_set_minutes(
    *, item: AgendaItem, user, minutes_allotted: int, expected_version: int
) -> AgendaItem:
    """Change the minutes allotted, only from the version the editor saw (one UPDATE)."""
    _editable(item.meeting)
    if minutes_allotted == item.minutes_allotted and expected_version == item.version:
        return item
    updated = AgendaItem.objects.filter(pk=item.pk, version=expected_version).update(
        minutes_allotted=minutes_allotted, version=F("version") + 1
    )
    if not updated:
        current = AgendaItem.objects.filter(pk=item.pk).first()
        if current is None:
            raise _item_conflict(None)
        conflict = StaleAgenda(
            _(
                "Someone else changed this item after you opened the agenda: it now has "
                "%(minutes)s minutes. Your value is kept in the field; save it again to replace "
                "theirs."
            )
            % {"minutes": current.minutes_allotted}
        )
        conflict.current = current
        raise conflict
    item.minutes_allotted = minutes_allotted
    item.version = expected_version + 1
    return item


def agenda_item_remove(*, item: AgendaItem, user, expected_version: int) -> None:
    """Take an item off the agenda, unless it already has minutes or action items (they would
    be lost), or changed since the editor saw it."""
    meeting = item.meeting
    _editable(meeting)
    if item.summary or item.decisions or item.action_items.exists():
        raise AgendaRefused(
            _("This item already has minutes or action items, so it cannot be removed.")
        )
    with transaction.atomic():
        _lock_meeting(meeting)
        deleted, _rows = AgendaItem.objects.filter(pk=item.pk, version=expected_version).delete()
        if not deleted:
            raise _item_conflict(AgendaItem.objects.filter(pk=item.pk).first())
        if item.case_id is not None:
            services.audit_record(
                user=user,
                case=item.case,
                action=AuditEvent.Action.CHANGE,
                organisation=selectors.case_access_organisation(user=user, case=item.case),
                meeting=meeting,
                detail="agenda:remove",
            )


def _parse_order(value) -> list[int]:
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    try:
        return [int(part) for part in value]
    except (TypeError, ValueError):
        raise AgendaRefused(_("The order sent is not a list of agenda items.")) from None


def agenda_reorder(*, meeting: Meeting, user, order, previous) -> list[AgendaItem]:
    """Write the whole order at once. `order` is the item ids in their new order; `previous`
    the order the editor started from. Refused (StaleAgenda) when the stored order is no longer
    `previous` (someone else moved, added or removed an item), so nobody's order is overwritten
    unseen. Two UPDATEs whatever the number of items."""
    _editable(meeting)
    order, previous = _parse_order(order), _parse_order(previous)
    if len(set(order)) != len(order) or sorted(order) != sorted(previous):
        raise AgendaRefused(_("The order sent is not a list of agenda items."))
    with transaction.atomic():
        _lock_meeting(meeting)
        stored = list(
            AgendaItem.objects.filter(meeting=meeting)
            .order_by("order", "pk")
            .values_list("pk", flat=True)
        )
        if stored != previous:
            raise StaleAgenda(
                _(
                    "Someone else changed the agenda (added, removed or moved items) after you "
                    "opened it. The agenda below is as stored now; move the items again if "
                    "needed."
                )
            )
        if order != stored:
            rows = AgendaItem.objects.filter(meeting=meeting)
            # PostgreSQL checks the unique (meeting, order) row by row: first move every row
            # to a range no row uses, then down to its place.
            rows.update(
                order=SqlCase(
                    *[
                        When(pk=pk, then=Value(_REORDER_OFFSET + position))
                        for position, pk in enumerate(order, start=1)
                    ],
                    default=F("order"),
                    output_field=IntegerField(),
                )
            )
            rows.update(order=F("order") - _REORDER_OFFSET)
    return agenda_items(meeting=meeting)


def agenda_item_move(*, meeting: Meeting, user, item_id: int, direction: str, previous):
    """Move one item up or down by one place (the buttons that work without JavaScript)."""
    previous = _parse_order(previous)
    if item_id not in previous:
        raise StaleAgenda(_("Someone else removed this item after you opened the agenda."))
    order = list(previous)
    index = order.index(item_id)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
    return agenda_reorder(meeting=meeting, user=user, order=order, previous=previous)


def _earlier_in_series(meeting: Meeting) -> QuerySet[Meeting]:
    if not meeting.series_id:
        return Meeting.objects.none()
    return Meeting.objects.filter(series_id=meeting.series_id, starts_at__lt=meeting.starts_at)


def carry_over_open_actions(*, meeting: Meeting) -> AgendaItem | None:
    """The meeting's carried-over item (AgendaItem.Kind.CARRIED_OVER), holding every open action
    item from earlier meetings of its series, or on the cases on its agenda. Made at the end of
    the agenda when there is something to carry and no such item yet; an existing one gains the
    actions it lacks (running it again adds nothing). None when there is nothing to carry.
    Called by minutes approval for the next meeting of the series."""
    if meeting.status == Meeting.Status.CANCELLED:
        return None
    on_agenda = AgendaItem.objects.filter(meeting=meeting, case__isnull=False).values("case_id")
    source = Q(agenda_item__meeting__in=_earlier_in_series(meeting))
    source |= Q(case_id__in=on_agenda) | Q(agenda_item__case_id__in=on_agenda)
    with transaction.atomic():
        _lock_meeting(meeting)
        # dict.fromkeys: the joins may repeat an action; keep the first of each, in order.
        open_ids = list(
            dict.fromkeys(
                ActionItem.objects.filter(source, status=ActionItem.Status.OPEN)
                .filter(agenda_item__meeting__starts_at__lt=meeting.starts_at)
                .exclude(agenda_item__meeting=meeting)
                .order_by("due_on", "pk")
                .values_list("pk", flat=True)
            )
        )
        item = (
            AgendaItem.objects.filter(meeting=meeting, kind=AgendaItem.Kind.CARRIED_OVER)
            .order_by("order")
            .first()
        )
        if item is None:
            if not open_ids:
                return None
            item = AgendaItem.objects.create(
                meeting=meeting,
                order=_next_order(meeting),
                kind=AgendaItem.Kind.CARRIED_OVER,
                title=CARRIED_OVER_TITLE,
                minutes_allotted=CARRIED_OVER_MINUTES,
            )
        if open_ids:
            # add() skips the ones it already holds.
            item.carried_actions.add(*open_ids)
    return item


def prefill_window_end(*, meeting: Meeting) -> datetime.date:
    """Reviews due before this date are prepared: the following meeting of the series (not
    cancelled), else the meeting's start + PREFILL_WINDOW_DAYS."""
    following = None
    if meeting.series_id:
        following = (
            Meeting.objects.filter(series_id=meeting.series_id, starts_at__gt=meeting.starts_at)
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by("starts_at")
            .values_list("starts_at", flat=True)
            .first()
        )
    if following is not None:
        return timezone.localdate(following)
    return timezone.localdate(meeting.starts_at) + datetime.timedelta(days=PREFILL_WINDOW_DAYS)


def prefill_scope(*, meeting: Meeting) -> QuerySet[Case]:
    """The cases this meeting looks after: cases that were on earlier meetings of its series,
    and cases led by the meeting's organiser in the meeting's area or any area under it."""
    earlier = AgendaItem.objects.filter(
        meeting__in=_earlier_in_series(meeting), case__isnull=False
    ).values("case_id")
    return Case.objects.filter(
        Q(pk__in=earlier)
        | Q(
            lead_organisation_id=meeting.organiser_id,
            district_id__in=area_subtree_ids(area=meeting.area),
        )
    )


@dataclasses.dataclass
class PrefillReport:
    added: list[AgendaItem]
    refused: list[tuple[Case, list[Organisation]]]
    carried: AgendaItem | None


def agenda_prefill(*, meeting: Meeting, user) -> PrefillReport:
    """議題を準備: a case review for every open case of the meeting's scope (prefill_scope) whose
    next review falls before prefill_window_end and that is not on the agenda yet, unless the
    consent gate refuses it (reported, not added); then the carried-over actions
    (carry_over_open_actions). Running it again adds nothing new."""
    _editable(meeting)
    already = AgendaItem.objects.filter(meeting=meeting, case__isnull=False).values("case_id")
    due = list(
        prefill_scope(meeting=meeting)
        .filter(status=Case.Status.OPEN, next_review_on__lt=prefill_window_end(meeting=meeting))
        .exclude(pk__in=already)
        .order_by("next_review_on", "code")
    )
    uncovered = consent_uncovered(meeting=meeting, cases=due)
    refused = [(case, uncovered[case.pk]) for case in due if case.pk in uncovered]
    to_add = [case for case in due if case.pk not in uncovered]
    with transaction.atomic():
        _lock_meeting(meeting)
        start = _next_order(meeting)
        added = AgendaItem.objects.bulk_create(
            [
                AgendaItem(
                    meeting=meeting,
                    order=start + offset,
                    kind=AgendaItem.Kind.CASE_REVIEW,
                    title=DEFAULT_TITLES[AgendaItem.Kind.CASE_REVIEW],
                    case=case,
                    presenting_organisation_id=case.lead_organisation_id,
                )
                for offset, case in enumerate(to_add)
            ]
        )
        for case in to_add:
            services.audit_record(
                user=user,
                case=case,
                action=AuditEvent.Action.CHANGE,
                organisation=selectors.case_access_organisation(user=user, case=case),
                meeting=meeting,
                detail="agenda:prefill",
            )
    carried = carry_over_open_actions(meeting=meeting)
    return PrefillReport(added=added, refused=refused, carried=carried)
