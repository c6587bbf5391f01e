"""Escalation of district issues through meetings (issue 6, point 3).

An issue escalated to the parent area (地区 → 地域 → 区/市), from the issue page or by a meeting's
decision, is proposed for the next planned meeting of that area's level as a district-issue
agenda item carrying its summary and evidence counts (suppressed as on the issue page). The
decision recorded on that item (discussed, addressed, escalated further, closed with a reason)
moves the issue through the districts' status service, and each resulting history entry is
linked to the item, so the issue shows which meeting decided what.
"""

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conferences import agenda, evidence
from conferences.models import (
    AgendaItem,
    IssueDecision,
    IssueEvidence,
    Meeting,
    MeetingKind,
    MeetingLevel,
)
from districts import services as district_services
from districts.models import Area, DistrictIssue, IssueStatusChange, TargetGroup
from districts.signals import issue_status_changed

Status = DistrictIssue.Status

MEETING_LEVEL = {
    Area.Level.DISTRICT: MeetingLevel.DISTRICT,
    Area.Level.REGION: MeetingLevel.REGION,
    Area.Level.MUNICIPALITY: MeetingLevel.MUNICIPAL,
}

# What a meeting may decide on an issue it discusses, in the order offered.
DECISIONS = {
    Status.DISCUSSED: gettext_lazy("Discussed: stays open here"),
    Status.ADDRESSED: gettext_lazy("Addressed: a response is in place"),
    Status.ESCALATED: gettext_lazy("Escalate further, to the next level"),
    Status.CLOSED: gettext_lazy("Close (reason required)"),
}


def next_meeting_for_area(*, area: Area) -> Meeting | None:
    """The next planned meeting of the area at its own level (not a workshop), if any."""
    return (
        Meeting.objects.filter(
            area=area,
            level=MEETING_LEVEL[area.level],
            status=Meeting.Status.PLANNED,
            starts_at__gte=timezone.now(),
        )
        .exclude(kind=MeetingKind.WORKSHOP)
        .order_by("starts_at", "pk")
        .first()
    )


def issue_summary_text(*, issue: DistrictIssue) -> str:
    """The item's summary: the issue's description and its evidence as suppressed counts."""
    rows = list(IssueEvidence.objects.filter(issue=issue).values_list("target_group", flat=True))
    counts = Counter(value for value in rows if value)
    table, total = evidence.suppressed_table(counts, TargetGroup.choices)
    lines = [issue.description.strip()] if issue.description.strip() else []
    lines.append(
        _("Evidence from meetings: %(count)s agenda items.")
        % {"count": evidence.suppressed(len(rows))}
    )
    if table:
        parts = ", ".join(f"{row['label']} {row['shown']}" for row in table)
        lines.append(
            _("Cases by target group: %(parts)s (total %(total)s).")
            % {"parts": parts, "total": total}
        )
    return "\n".join(lines)


def propose_for_next_meeting(*, issue: DistrictIssue, user) -> AgendaItem | None:
    """Put the issue on the next planned meeting of its (new) area, once. None when that area
    has no planned meeting (the issue page then says so)."""
    meeting = next_meeting_for_area(area=issue.area)
    if meeting is None:
        return None
    existing = AgendaItem.objects.filter(meeting=meeting, district_issue=issue).first()
    if existing is not None:
        return existing
    item = agenda.agenda_item_add(
        meeting=meeting,
        user=user,
        kind=AgendaItem.Kind.DISTRICT_ISSUE,
        title=issue.title,
        district_issue=issue,
    )
    AgendaItem.objects.filter(pk=item.pk).update(summary=issue_summary_text(issue=issue))
    item.refresh_from_db()
    return item


@receiver(issue_status_changed, dispatch_uid="conferences.escalation.propose")
def _propose_escalated(sender, *, issue, change, user, **kwargs):
    if change.to_status == Status.ESCALATED:
        propose_for_next_meeting(issue=issue, user=user)


def proposed_item(*, issue: DistrictIssue) -> AgendaItem | None:
    """The planned item that puts the issue on a meeting of its current area, if any."""
    return (
        AgendaItem.objects.filter(
            district_issue=issue,
            meeting__area=issue.area,
            meeting__status=Meeting.Status.PLANNED,
            meeting__starts_at__gte=timezone.now(),
        )
        .select_related("meeting")
        .order_by("meeting__starts_at", "pk")
        .first()
    )


def decision_choices(*, issue: DistrictIssue) -> list[tuple[str, str]]:
    """The decisions a meeting may record now (no escalation above the municipality)."""
    choices = []
    for status, label in DECISIONS.items():
        if status == Status.ESCALATED:
            if issue.area.parent is None:
                continue
            label = _("Escalate further, to %(area)s") % {"area": issue.area.parent.name}
        choices.append((status, str(label)))
    return choices


def _record(*, issue: DistrictIssue, item: AgendaItem) -> None:
    change = IssueStatusChange.objects.filter(issue=issue).order_by("-pk").first()
    IssueDecision.objects.create(status_change=change, agenda_item=item)


def issue_decide(
    *, item: AgendaItem, user, decision: str, reason: str, expected_version: int
) -> DistrictIssue:
    """Record the meeting's decision on the issue its item discusses.

    An issue still "raised" or "escalated" (not yet discussed at this level) is first marked
    discussed in this meeting, then moved to the decision; each step goes through the districts'
    status service (so its checks and history apply) and is linked to the item. Raises
    PermissionError for someone who does not write this meeting's minutes, ValidationError
    (codes "not_issue_item", "moved", "invalid_status", "stale", "reason_required", ...)."""
    meeting = item.meeting
    if not evidence.evidence_can_tag(user=user, meeting=meeting):
        raise PermissionError
    if item.kind != AgendaItem.Kind.DISTRICT_ISSUE or item.district_issue_id is None:
        raise ValidationError(_("This item is not about a district issue."), code="not_issue_item")
    if decision not in DECISIONS:
        raise ValidationError(_("Choose what the meeting decided."), code="invalid_status")
    with transaction.atomic():
        issue = DistrictIssue.objects.select_related("area__parent").get(pk=item.district_issue_id)
        if issue.version != expected_version:
            raise ValidationError(
                _(
                    "Someone else changed this issue after you opened it: it is now "
                    "“%(status)s” in %(area)s. Check its history, then try again."
                ),
                code="stale",
                params={"status": issue.get_status_display(), "area": issue.area.name},
            )
        if issue.area_id != meeting.area_id:
            raise ValidationError(
                _("The issue is now in %(area)s: decide on it in a meeting there."),
                code="moved",
                params={"area": issue.area.name},
            )
        if issue.status in (Status.RAISED, Status.ESCALATED) and decision != Status.DISCUSSED:
            issue = district_services.issue_change_status(
                issue=issue,
                to_status=Status.DISCUSSED,
                reason="",
                user=user,
                expected_version=issue.version,
            )
            _record(issue=issue, item=item)
        if issue.status == decision:
            raise ValidationError(
                _("The issue is already “%(status)s”."),
                code="invalid_transition",
                params={"status": issue.get_status_display()},
            )
        issue = district_services.issue_change_status(
            issue=issue,
            to_status=decision,
            reason=reason,
            user=user,
            expected_version=issue.version,
        )
        _record(issue=issue, item=item)
    return issue


def item_decisions(*, item: AgendaItem) -> list[IssueDecision]:
    return list(
        IssueDecision.objects.filter(agenda_item=item)
        .select_related("status_change__changed_by", "status_change__to_area")
        .order_by("pk")
    )


def issue_decisions(*, issue: DistrictIssue) -> list[IssueDecision]:
    return list(
        IssueDecision.objects.filter(status_change__issue=issue)
        .select_related("status_change", "agenda_item__meeting__area")
        .order_by("status_change__changed_at", "pk")
    )
