"""Writes of conference data."""

from conferences.models import AuditEvent, Case


def audit_record(*, user, case: Case, action: str, organisation=None, detail: str = "") -> None:
    """Record who touched which case through which organisation. `detail` names the screen or
    export, never case content."""
    AuditEvent.objects.create(
        user=user,
        case=case,
        action=action,
        organisation=organisation,
        detail=detail,
    )
