"""Evidence for district issues (地域課題) drawn from meetings: an agenda item tagged with an
issue and an anonymised note (writes), and what the issue page shows of it (reads).

A note is read by everyone who may see the issue, most of whom have no access to the case: it
must not carry the case code, and the issue page shows the cases only as counts, each count
under SUPPRESS_BELOW hidden as "<5" (small-cell suppression) so no one can be singled out.
"""

import datetime
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from conferences import minutes, selectors
from conferences.models import (
    ActionItem,
    AgendaItem,
    AuditEvent,
    Case,
    IssueEvidence,
    Meeting,
)
from conferences.services import audit_record
from districts import services as district_services
from districts.models import Area, DistrictIssue, TargetGroup

SUPPRESS_BELOW = 5
NOTE_MAX = 2000


# ---------------------------------------------------------------------------------------------
# Writes


def _area_line(area: Area) -> list[Area]:
    """The area and the areas above it (its region, the municipality)."""
    line = []
    while area is not None:
        line.append(area)
        area = area.parent
    return line


def evidence_issue_choices(*, meeting: Meeting) -> list[DistrictIssue]:
    """Issues an item of this meeting may be tagged with: open issues (not closed) of the
    meeting's area, the areas above it and the areas directly under it."""
    area_ids = [area.pk for area in _area_line(meeting.area)]
    return list(
        DistrictIssue.objects.filter(Q(area_id__in=area_ids) | Q(area__parent_id=meeting.area_id))
        .exclude(status=DistrictIssue.Status.CLOSED)
        .select_related("area")
        .order_by("area__level", "title", "pk")
    )


def evidence_can_tag(*, user, meeting: Meeting) -> bool:
    """The meeting's writers (chair, recorder) tag items, whatever the state of the minutes: the
    evidence is not part of the minutes' text. Not on a cancelled meeting."""
    if meeting.status == Meeting.Status.CANCELLED:
        return False
    return minutes.minutes_roles(user=user, meeting=meeting)["is_writer"]


def _clean_note(*, note: str, item: AgendaItem) -> str:
    note = (note or "").replace("\r\n", "\n").strip()
    if not note:
        raise ValidationError(
            {"note": ValidationError(_("Write what this item shows about the issue."), "required")}
        )
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {
                "note": ValidationError(
                    _("Keep the note under %(max)s characters."),
                    "too_long",
                    params={"max": NOTE_MAX},
                )
            }
        )
    if item.case_id is not None and item.case.code.casefold() in note.casefold():
        raise ValidationError(
            {
                "note": ValidationError(
                    _(
                        "The note is read by people without access to the case: leave out the "
                        "case code."
                    ),
                    "case_code",
                )
            }
        )
    return note


def evidence_tag(
    *,
    item: AgendaItem,
    user,
    note: str,
    issue: DistrictIssue | None = None,
    new_title: str = "",
    new_description: str = "",
) -> IssueEvidence:
    """Tag the item as evidence for `issue`, or for a new issue raised in the meeting's area
    (`new_title`, through the districts' service, for the case's target group).

    Raises ValidationError by field ("issue", "new_title", "note") for a missing or unsuitable
    choice, a note with the case code, or an item already tagged with that issue; PermissionError
    when the user may not tag items of this meeting.
    """
    meeting = item.meeting
    if not evidence_can_tag(user=user, meeting=meeting):
        raise PermissionError
    note = _clean_note(note=note, item=item)
    case = item.case if item.case_id else None
    new_title = (new_title or "").strip()
    with transaction.atomic():
        if issue is None:
            if not new_title:
                raise ValidationError(
                    {
                        "issue": ValidationError(
                            _("Choose a district issue, or name a new one."), "required"
                        )
                    }
                )
            issue = district_services.issue_raise(
                area=meeting.area,
                title=new_title,
                description=new_description,
                target_group=case.target_group if case else TargetGroup.ALL,
                user=user,
                raised_on=meeting.starts_at.date(),
            )
        elif issue.pk not in {choice.pk for choice in evidence_issue_choices(meeting=meeting)}:
            raise ValidationError(
                {
                    "issue": ValidationError(
                        _("This issue is closed or outside the areas this meeting covers."),
                        "not_offered",
                    )
                }
            )
        try:
            with transaction.atomic():
                evidence = IssueEvidence.objects.create(
                    agenda_item=item,
                    issue=issue,
                    note=note,
                    target_group=case.target_group if case else "",
                    support_level=case.support_level if case else "",
                    created_by=user,
                )
        except IntegrityError:
            raise ValidationError(
                {
                    "issue": ValidationError(
                        _("This item is already evidence for “%(issue)s”."),
                        "duplicate",
                        params={"issue": issue.title},
                    )
                }
            ) from None
        if case is not None:
            audit_record(
                user=user,
                case=case,
                action=AuditEvent.Action.CHANGE,
                organisation=selectors.case_access_organisation(user=user, case=case),
                meeting=meeting,
                detail="evidence:tag",
            )
    return evidence


def evidence_remove(*, evidence: IssueEvidence, user) -> None:
    """Untag (a writer of the item's meeting only), audited when the item is about a case."""
    item = evidence.agenda_item
    if not evidence_can_tag(user=user, meeting=item.meeting):
        raise PermissionError
    with transaction.atomic():
        evidence.delete()
        if item.case_id is not None:
            audit_record(
                user=user,
                case=item.case,
                action=AuditEvent.Action.CHANGE,
                organisation=selectors.case_access_organisation(user=user, case=item.case),
                meeting=item.meeting,
                detail="evidence:untag",
            )


# ---------------------------------------------------------------------------------------------
# Reads


def evidence_for_item(*, item: AgendaItem) -> list[IssueEvidence]:
    return list(
        IssueEvidence.objects.filter(agenda_item=item)
        .select_related("issue__area", "created_by")
        .order_by("created_at", "pk")
    )


def suppressed(count: int) -> str:
    """A count as shown: under SUPPRESS_BELOW (but not zero) as "<5"."""
    if 0 < count < SUPPRESS_BELOW:
        return f"<{SUPPRESS_BELOW}"
    return str(count)


def suppressed_table(counts: Counter, choices) -> list[dict]:
    """Rows (label, shown) for every choice with at least one case, plus the total.

    Primary suppression hides each count from 1 to 4 as "<5". When exactly one count is hidden
    that way, the total would give it away, so the total is hidden too (shown as "*"), unless
    it is itself under 5 (then "<5")."""
    rows = [
        {"value": value, "label": label, "count": counts[value]}
        for value, label in choices
        if counts.get(value)
    ]
    total = sum(row["count"] for row in rows)
    hidden = [row for row in rows if row["count"] < SUPPRESS_BELOW]
    for row in rows:
        row["shown"] = suppressed(row["count"])
    total_shown = suppressed(total)
    if len(hidden) == 1 and total >= SUPPRESS_BELOW:
        total_shown = "*"
    return rows, total_shown


def _quarter(day: datetime.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def issue_evidence_page(*, issue: DistrictIssue, user) -> dict:
    """Everything the issue's evidence section shows. Never a case code: the evidence carries
    the target group and support level copied when tagged, shown as suppressed counts only.
    Meetings the user may not see are named by their area and date only."""
    evidence = list(
        IssueEvidence.objects.filter(issue=issue)
        .select_related("agenda_item__meeting__area", "created_by")
        .order_by("agenda_item__meeting__starts_at", "pk")
    )
    discussed_items = list(
        AgendaItem.objects.filter(
            Q(district_issue=issue) | Q(pk__in=[row.agenda_item_id for row in evidence])
        )
        .select_related("meeting__area")
        .order_by("meeting__starts_at", "meeting_id", "order")
    )
    meeting_ids = {item.meeting_id for item in discussed_items}
    visible = set(
        selectors.meetings_visible_to(user=user)
        .filter(pk__in=meeting_ids)
        .values_list("pk", flat=True)
    )
    meetings, seen = [], set()
    for item in discussed_items:
        if item.meeting_id in seen:
            continue
        seen.add(item.meeting_id)
        meetings.append(
            {
                "meeting": item.meeting,
                "visible": item.meeting_id in visible,
                "evidence": sum(
                    1 for row in evidence if row.agenda_item.meeting_id == item.meeting_id
                ),
                "on_agenda": any(
                    other.district_issue_id == issue.pk
                    for other in discussed_items
                    if other.meeting_id == item.meeting_id
                ),
            }
        )
    for row in evidence:
        row.meeting_visible = row.agenda_item.meeting_id in visible
    from_cases = [row for row in evidence if row.target_group]
    target_rows, target_total = suppressed_table(
        Counter(row.target_group for row in from_cases), TargetGroup.choices
    )
    level_rows, level_total = suppressed_table(
        Counter(row.support_level for row in from_cases), Case.SupportLevel.choices
    )
    quarters = Counter(_quarter(row.agenda_item.meeting.starts_at.date()) for row in evidence)
    # Action items of the items that discussed the issue itself (never those of a case item).
    actions = list(
        ActionItem.objects.filter(agenda_item__district_issue=issue, agenda_item__case__isnull=True)
        .select_related("organisation", "agenda_item__meeting")
        .order_by("due_on", "pk")
    )
    return {
        "issue": issue,
        "evidence": evidence,
        "meetings": meetings,
        "by_target": target_rows,
        "by_target_total": target_total,
        "by_level": level_rows,
        "by_level_total": level_total,
        "over_time": sorted(quarters.items()),
        "actions": actions,
        "suppress_below": SUPPRESS_BELOW,
    }
