"""Reads of the audit trail, for an organisation's administrators (Membership.is_admin).

An administrator reads the events recorded through the organisations they administer: who read,
changed or exported which case (or the trail itself), when, and through which organisation.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conferences import selectors
from conferences.models import AuditEvent, Membership
from resources.models import Organisation

# What each recorded `detail` means, for people reading the trail (others show as recorded).
DETAIL_LABELS = {
    "staff:case_detail": _("Read the case page"),
    "staff:case_list": _("Saw the case in the case list"),
    "staff:case_plan": _("Read a support plan version"),
    "staff:case_sharing_check": _("Checked consent for an organisation"),
    "export:case_csv": _("Downloaded the case record"),
    "case:create": _("Opened the case"),
    "case:edit": _("Changed the case's facts"),
    "case:role_add": _("Added an organisation to the case"),
    "case:lead_change": _("Changed the lead organisation"),
    "case:next_review": _("Set the next review date"),
    "case:plan": _("Recorded a support plan version"),
    "consent:record": _("Recorded a consent"),
    "consent:withdraw": _("Recorded a withdrawal of consent"),
    "audit:list": _("Read the audit trail"),
    "export:audit_csv": _("Exported the audit trail"),
    "staff:meeting_detail": _("Read the meeting page"),
    "agenda:builder": _("Read the agenda"),
    "agenda:print": _("Printed the agenda"),
    "agenda:run_of_show": _("Printed the run of show"),
    "staff:minutes": _("Read the minutes"),
    "minutes:item_save": _("Wrote the minutes of an item"),
    "referral:form": _("Opened the referral form"),
    "referral:send": _("Sent a referral"),
    "referral:list": _("Saw the referral in the referral lists"),
    "referral:read": _("Read a referral"),
    "referral:accept": _("Accepted a referral"),
    "referral:decline": _("Declined a referral"),
    "referral:ask": _("Asked a question about a referral"),
    "referral:answer": _("Answered a question about a referral"),
    "referral:done": _("Recorded that the referred service started"),
}


def detail_label(detail: str) -> str:
    return str(DETAIL_LABELS.get(detail, detail))


def administered_organisations(*, user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user, memberships__is_admin=True).order_by(
        "reading", "name", "pk"
    )


def audit_people(*, organisation_ids) -> QuerySet:
    """The members of the organisations, for the trail's filter by user."""
    member_ids = Membership.objects.filter(organisation_id__in=organisation_ids).values("user_id")
    return get_user_model().objects.filter(pk__in=member_ids).order_by("username", "pk")


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_events(
    *,
    organisation_ids,
    action: str = "",
    user=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    case_public_id=None,
) -> QuerySet[AuditEvent]:
    """Events recorded through the organisations, newest first; dates are local (Asia/Tokyo)
    and both ends are included."""
    events = AuditEvent.objects.filter(organisation_id__in=list(organisation_ids))
    if action:
        events = events.filter(action=action)
    if user is not None:
        events = events.filter(user=user)
    if case_public_id is not None:
        events = events.filter(case__public_id=case_public_id)
    if date_from:
        events = events.filter(at__gte=_start_of(date_from))
    if date_to:
        events = events.filter(at__lt=_start_of(date_to + datetime.timedelta(days=1)))
    return events.select_related("user", "organisation", "case", "meeting").order_by("-at", "-pk")


def case_labels(*, viewer, events) -> dict[int, str]:
    """Case id → what the viewer may be shown of it in the trail: its code when the viewer may
    see the case, its opaque id otherwise."""
    case_ids = {event.case_id for event in events if event.case_id}
    visible = set(
        selectors.cases_visible_to(user=viewer).filter(pk__in=case_ids).values_list("pk", flat=True)
    )
    labels = {}
    for event in events:
        if event.case_id and event.case_id not in labels:
            case = event.case
            labels[event.case_id] = case.code if case.pk in visible else str(case.public_id)
    return labels


def meeting_labels(*, viewer, events) -> dict[int, str]:
    """Meeting id → its title when the viewer may see the meeting, its opaque uid otherwise."""
    meeting_ids = {event.meeting_id for event in events if event.meeting_id}
    visible = set(
        selectors.meetings_visible_to(user=viewer)
        .filter(pk__in=meeting_ids)
        .values_list("pk", flat=True)
    )
    return {
        event.meeting_id: event.meeting.title
        if event.meeting_id in visible
        else str(event.meeting.uid)
        for event in events
        if event.meeting_id
    }
