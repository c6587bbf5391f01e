"""Writes of the districts app: 地区アセスメント and 地域課題.

Both keep their whole history (AssessmentRevision, IssueStatusChange) and refuse to overwrite a
change made since the editor loaded the object: every write is a compare-and-swap on `version`
(`filter(pk=..., version=expected).update(...)`), so two people saving at once never lose text
silently, on SQLite or PostgreSQL alike.

Permissions: any logged-in staff member may write here; there is no finer model yet.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from districts import signals
from districts.models import (
    Area,
    Assessment,
    AssessmentRevision,
    DistrictIssue,
    IssueStatusChange,
)

Status = DistrictIssue.Status

ASSESSMENT_TEXT_FIELDS = ("strengths", "challenges", "notes", "participants")


class EditConflict(Exception):
    """The object changed after the editor loaded it. `current` is what is stored now (None when it
    no longer exists), so the page can show it beside what the user typed."""

    def __init__(self, message: str, *, current=None):
        super().__init__(message)
        self.message = message
        self.current = current


# ---------------------------------------------------------------------------------------------
# Assessments


def assessment_save(
    *,
    area: Area,
    year: int,
    user,
    expected_version: int,
    strengths: str = "",
    challenges: str = "",
    notes: str = "",
    participants: str = "",
) -> Assessment:
    """Create (expected_version 0) or change an area's assessment for a year, keeping a revision.

    Raises EditConflict when the stored assessment is no longer the version the editor started
    from (including when someone else created the year's assessment first). Saving the same text
    again writes nothing: a revision records a change.
    """
    texts = {
        "strengths": _clean_text(strengths),
        "challenges": _clean_text(challenges),
        "notes": _clean_text(notes),
        "participants": _clean_text(participants),
    }
    if expected_version == 0:
        return _assessment_create(area=area, year=year, user=user, texts=texts)
    with transaction.atomic():
        current = Assessment.objects.filter(area=area, year=year).first()
        if current is None or current.version != expected_version:
            raise _assessment_conflict(current)
        if all(getattr(current, name) == value for name, value in texts.items()):
            return current
        new_version = expected_version + 1
        now = timezone.now()
        # update() skips auto_now, so updated_at is set by hand.
        changed = Assessment.objects.filter(pk=current.pk, version=expected_version).update(
            **texts, version=new_version, updated_by=user, updated_at=now
        )
        if not changed:
            raise _assessment_conflict(Assessment.objects.filter(pk=current.pk).first())
        AssessmentRevision.objects.create(
            assessment=current, version=new_version, saved_by=user, **texts
        )
    current.refresh_from_db()
    return current


def _assessment_create(*, area: Area, year: int, user, texts: dict[str, str]) -> Assessment:
    existing = Assessment.objects.filter(area=area, year=year).first()
    if existing is not None:
        raise _assessment_conflict(existing)
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                area=area, year=year, version=1, updated_by=user, **texts
            )
            AssessmentRevision.objects.create(
                assessment=assessment, version=1, saved_by=user, **texts
            )
    except IntegrityError:
        # Someone created it between the check and the insert.
        raise _assessment_conflict(
            Assessment.objects.filter(area=area, year=year).first()
        ) from None
    return assessment


def _assessment_conflict(current: Assessment | None) -> EditConflict:
    if current is None:
        return EditConflict(
            _("This assessment was deleted after you opened it. Your text is kept below."),
            current=None,
        )
    who = current.updated_by
    return EditConflict(
        _(
            "Someone else saved this assessment after you opened it (now version %(version)s, "
            "saved by %(who)s). Your text is kept below, beside what is stored now. Saving "
            "again replaces the stored text with yours."
        )
        % {
            "version": current.version,
            "who": (who.get_full_name() or who.get_username()) if who else _("unknown"),
        },
        current=current,
    )


def _clean_text(value: str) -> str:
    # Browsers send textarea lines as CRLF; store one form so unchanged text compares equal.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


# ---------------------------------------------------------------------------------------------
# District issues

# The status flow. Escalation moves the issue to the parent area, where it is discussed again;
# addressed or closed issues may go back to discussion (with a reason) when the problem returns.
ISSUE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.RAISED: (Status.DISCUSSED, Status.CLOSED),
    Status.DISCUSSED: (Status.ESCALATED, Status.ADDRESSED, Status.CLOSED),
    Status.ESCALATED: (Status.DISCUSSED, Status.ADDRESSED, Status.CLOSED),
    Status.ADDRESSED: (Status.CLOSED, Status.DISCUSSED),
    Status.CLOSED: (Status.DISCUSSED,),
}

# How each move is offered in the status form (the label says what the step does).
TRANSITION_LABELS = {
    Status.DISCUSSED: gettext_lazy("Discussed"),
    Status.ADDRESSED: gettext_lazy("Addressed (a response is in place)"),
    Status.CLOSED: gettext_lazy("Close (reason required)"),
}
REOPEN_LABEL = gettext_lazy("Back to discussion (reason required)")


def issue_reason_required(*, from_status: str, to_status: str) -> bool:
    """Closing needs a reason, and so does going back to discussion after a response or closure."""
    return to_status == Status.CLOSED or (
        to_status == Status.DISCUSSED and from_status in (Status.ADDRESSED, Status.CLOSED)
    )


def issue_next_statuses(*, issue: DistrictIssue) -> list[str]:
    """The statuses the issue may move to now (no escalation above the municipality)."""
    allowed = list(ISSUE_TRANSITIONS.get(issue.status, ()))
    if issue.area.parent_id is None and Status.ESCALATED in allowed:
        allowed.remove(Status.ESCALATED)
    return allowed


def issue_transition_label(*, issue: DistrictIssue, to_status: str) -> str:
    if to_status == Status.ESCALATED and issue.area.parent is not None:
        return _("Escalate to %(area)s") % {"area": issue.area.parent.name}
    if to_status == Status.DISCUSSED and issue.status in (Status.ADDRESSED, Status.CLOSED):
        return str(REOPEN_LABEL)
    return str(TRANSITION_LABELS.get(to_status, Status(to_status).label))


@transaction.atomic
def issue_raise(
    *,
    area: Area,
    title: str,
    description: str,
    target_group: str,
    user,
    raised_on: datetime.date | None = None,
) -> DistrictIssue:
    """Record a new 地域課題 in an area of any level, with its first history entry.

    Raises ValidationError (by field) for a missing title or an unknown target group.
    """
    issue = DistrictIssue(
        area=area,
        raised_in=area,
        title=(title or "").strip(),
        description=_clean_text(description),
        target_group=target_group,
        status=Status.RAISED,
        raised_on=raised_on or timezone.localdate(),
    )
    issue.full_clean()
    issue.save()
    IssueStatusChange.objects.create(
        issue=issue,
        from_status="",
        to_status=Status.RAISED,
        from_area=area,
        to_area=area,
        changed_by=user,
    )
    return issue


def issue_change_status(
    *, issue: DistrictIssue, to_status: str, reason: str, user, expected_version: int
) -> DistrictIssue:
    """Move an issue one step along the flow and record who, when, why and between which areas.

    Escalation moves the issue to its area's parent. Raises ValidationError for a step the flow
    does not allow, a missing reason, escalation above the municipality, or when the issue changed
    since `expected_version` (code "stale"). Returns the issue as now stored.
    """
    reason = _clean_text(reason)
    with transaction.atomic():
        current = DistrictIssue.objects.select_related("area__parent").get(pk=issue.pk)
        if current.version != expected_version:
            raise ValidationError(
                _(
                    "Someone else changed this issue after you opened it: it is now "
                    "“%(status)s” in %(area)s. Check its history, then try again."
                ),
                code="stale",
                params={"status": current.get_status_display(), "area": current.area.name},
            )
        from_status, from_area = current.status, current.area
        if to_status not in Status.values:
            raise ValidationError(_("Unknown status."), code="invalid_status")
        if to_status == from_status:
            raise ValidationError(
                _("The issue is already “%(status)s”."),
                code="invalid_transition",
                params={"status": current.get_status_display()},
            )
        if to_status not in ISSUE_TRANSITIONS.get(from_status, ()):
            raise ValidationError(
                _("An issue that is “%(from)s” cannot become “%(to)s”."),
                code="invalid_transition",
                params={"from": current.get_status_display(), "to": Status(to_status).label},
            )
        to_area = from_area
        if to_status == Status.ESCALATED:
            if from_area.parent is None:
                raise ValidationError(
                    _(
                        "%(area)s is the top of the area tree: an issue there cannot be "
                        "escalated further."
                    ),
                    code="no_parent",
                    params={"area": from_area.name},
                )
            to_area = from_area.parent
        if not reason and issue_reason_required(from_status=from_status, to_status=to_status):
            message = (
                _("Say why the issue is closed.")
                if to_status == Status.CLOSED
                else _("Say why the issue goes back to discussion.")
            )
            raise ValidationError({"reason": ValidationError(message, code="reason_required")})

        fields = {"status": to_status, "area": to_area, "version": F("version") + 1}
        if to_status == Status.CLOSED:
            fields["closed_reason"] = reason
        elif from_status == Status.CLOSED:
            # Re-opened: the old reason stays in the history, not on the open issue.
            fields["closed_reason"] = ""
        changed = DistrictIssue.objects.filter(pk=current.pk, version=expected_version).update(
            **fields
        )
        if not changed:
            raise ValidationError(
                _("Someone else changed this issue at the same moment. Reload it and try again."),
                code="stale",
            )
        change = IssueStatusChange.objects.create(
            issue=current,
            from_status=from_status,
            to_status=to_status,
            from_area=from_area,
            to_area=to_area,
            reason=reason,
            changed_by=user,
        )
        issue.refresh_from_db()
        signals.issue_status_changed.send(
            sender=DistrictIssue, issue=issue, change=change, user=user
        )
    return issue


def issue_escalate(
    *, issue: DistrictIssue, reason: str, user, expected_version: int
) -> DistrictIssue:
    """Move the issue up to its area's parent (地区 → 地域 → 全区/市), keeping its history."""
    return issue_change_status(
        issue=issue,
        to_status=Status.ESCALATED,
        reason=reason,
        user=user,
        expected_version=expected_version,
    )
