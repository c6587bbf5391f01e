"""Reads of conference data. Every read of case data goes through the access rules here."""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from conferences.models import (
    ActionItem,
    AgendaItem,
    Case,
    CaseRole,
    Meeting,
    MeetingVisibility,
    Membership,
    Participant,
)


def user_organisation_ids(*, user) -> list[int]:
    return list(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))


def cases_visible_to(*, user) -> QuerySet[Case]:
    """Cases on which one of the user's organisations has a role, or that are on the agenda of a
    meeting the user chairs or records (for as long as that meeting is not closed)."""
    through_role = CaseRole.objects.filter(
        case=OuterRef("pk"),
        organisation__memberships__user=user,
    )
    through_meeting = AgendaItem.objects.filter(
        case=OuterRef("pk"),
    ).filter(
        Q(meeting__chair=user) | Q(meeting__recorder=user),
        meeting__status=Meeting.Status.PLANNED,
    )
    return Case.objects.filter(Exists(through_role) | Exists(through_meeting))


def case_get_visible(*, user, public_id) -> Case:
    """The case, or 404 whether it is missing or merely not the user's: existence is not told."""
    try:
        return (
            cases_visible_to(user=user)
            .select_related("district", "lead_organisation")
            .get(public_id=public_id)
        )
    except Case.DoesNotExist:
        raise Http404 from None


def case_access_organisation(*, user, case: Case):
    """The organisation through which the user sees the case (None when only as chair/recorder)."""
    role = (
        CaseRole.objects.filter(case=case, organisation__memberships__user=user)
        .select_related("organisation")
        .order_by("organisation__name")
        .first()
    )
    return role.organisation if role else None


def meetings_visible_to(*, user) -> QuerySet[Meeting]:
    """Public and staff meetings for any staff member; confidential ones only for the people on
    them (as participant, chair or recorder, or through an organisation taking part)."""
    org_ids = user_organisation_ids(user=user)
    return Meeting.objects.filter(
        Q(visibility__in=[MeetingVisibility.PUBLIC, MeetingVisibility.STAFF])
        | Q(chair=user)
        | Q(recorder=user)
        | Exists(
            Participant.objects.filter(
                Q(user=user) | Q(organisation_id__in=org_ids),
                meeting=OuterRef("pk"),
            )
        )
    )


def meetings_of_user(*, user, start: datetime.datetime, end: datetime.datetime):
    """Meetings the user takes part in (in person, or as chair or recorder) in a window."""
    return (
        Meeting.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .filter(Q(chair=user) | Q(recorder=user) | Q(participants__user=user))
        .distinct()
        .select_related("area")
        .order_by("starts_at")
    )


def dashboard(*, user) -> dict:
    now = timezone.now()
    org_ids = user_organisation_ids(user=user)
    return {
        "memberships": Membership.objects.filter(user=user).select_related("organisation"),
        "upcoming_meetings": list(
            meetings_of_user(user=user, start=now, end=now + datetime.timedelta(days=30))[:10]
        ),
        "open_actions": list(
            ActionItem.objects.filter(
                Q(assignee=user) | Q(organisation_id__in=org_ids, assignee=None),
                status=ActionItem.Status.OPEN,
            )
            .select_related("organisation", "agenda_item__meeting")
            .order_by("due_on")[:10]
        ),
        "open_case_count": cases_visible_to(user=user).filter(status=Case.Status.OPEN).count(),
    }


def public_meetings_upcoming(*, limit: int = 5) -> list[Meeting]:
    """For the public site: public meetings only, and only fields safe to publish."""
    return list(
        Meeting.objects.filter(
            visibility=MeetingVisibility.PUBLIC,
            starts_at__gte=timezone.now(),
        )
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("area")
        .only("uid", "title", "starts_at", "ends_at", "place", "area__name")
        .order_by("starts_at")[:limit]
    )
