"""Reads of conference data. Every read of case data goes through the access rules here."""

import datetime

from django.db.models import Count, Q, QuerySet
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
    Pledge,
)
from districts.models import Area, DistrictIssue
from resources.models import Organisation


def user_organisation_ids(*, user) -> list[int]:
    return list(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))


def cases_visible_to(*, user) -> QuerySet[Case]:
    """Cases on which one of the user's organisations has a role, or that are on the agenda of a
    meeting the user chairs or records (for as long as that meeting is not closed)."""
    # IN (subquery) rather than OR-ed EXISTS: both databases then start from the small side
    # (the user's organisations) through indexes instead of testing every case.
    organisation_ids = Membership.objects.filter(user=user).values("organisation_id")
    through_role = CaseRole.objects.filter(organisation_id__in=organisation_ids).values("case_id")
    through_meeting = (
        AgendaItem.objects.filter(case__isnull=False, meeting__status=Meeting.Status.PLANNED)
        .filter(Q(meeting__chair=user) | Q(meeting__recorder=user))
        .values("case_id")
    )
    return Case.objects.filter(Q(pk__in=through_role) | Q(pk__in=through_meeting))


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
    """The organisation through which the user sees the case, for the audit trail: one of the
    user's organisations on the case; else (chair or recorder of a meeting with the case on its
    agenda) the user's own organisation, that of such a meeting's organiser first; None for
    someone with no organisation."""
    role = (
        CaseRole.objects.filter(case=case, organisation__memberships__user=user)
        .select_related("organisation")
        .order_by("organisation__name")
        .first()
    )
    if role:
        return role.organisation
    own = Organisation.objects.filter(memberships__user=user).order_by("name", "pk")
    organisers = Meeting.objects.filter(
        Q(chair=user) | Q(recorder=user), agenda_items__case=case
    ).values("organiser_id")
    return own.filter(pk__in=organisers).first() or own.first()


def pledge_covers(*, user, meeting: Meeting) -> bool:
    """Whether the user's confidentiality pledge (誓約書) covers the meeting: signed for it, or for
    its series."""
    scope = Q(meeting=meeting)
    if meeting.series_id:
        scope |= Q(series_id=meeting.series_id, scope=Pledge.Scope.SERIES)
    return Pledge.objects.filter(scope, user=user).exists()


def meeting_case_ids_visible(*, user, meeting: Meeting) -> set[int]:
    """Ids of the cases on the meeting's agenda whose material (item title, code, minutes) the
    user may see in that meeting: cases the user sees anyway (cases_visible_to), and, for the
    meeting's participants, every case on its agenda, except that an outside participant
    (Participant.is_external) sees none until their pledge is recorded."""
    on_agenda = set(
        AgendaItem.objects.filter(meeting=meeting, case__isnull=False).values_list(
            "case_id", flat=True
        )
    )
    if not on_agenda:
        return set()
    visible = set(cases_visible_to(user=user).filter(pk__in=on_agenda).values_list("pk", flat=True))
    participations = list(
        Participant.objects.filter(meeting=meeting, user=user).values_list("is_external", flat=True)
    )
    if participations:
        is_external = all(participations)
        if not is_external or pledge_covers(user=user, meeting=meeting):
            visible |= on_agenda
    return visible


def meetings_visible_to(*, user) -> QuerySet[Meeting]:
    """Public and staff meetings for any staff member; confidential ones only for the people on
    them (as participant, chair or recorder, or through an organisation taking part)."""
    return Meeting.objects.filter(meeting_visibility_filter(user=user))


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


# The area page and the district comparison: an area with everything under it.


def area_subtree(*, area: Area) -> list[Area]:
    """The area and every area under it (regions, districts), the area first, then in 五十音
    order: one query, as the tree is at most three levels deep."""
    areas = list(
        Area.objects.filter(Q(pk=area.pk) | Q(parent=area) | Q(parent__parent=area)).order_by(
            "reading", "code"
        )
    )
    return sorted(areas, key=lambda each: each.pk != area.pk)


def area_meetings(
    *, user, area_ids, now: datetime.datetime | None = None, days: int = 90, limit: int = 20
) -> dict[str, list[Meeting]]:
    """Meetings of the areas the user may see: `recent` (the last `days`, newest first) and
    `upcoming` (soonest first), at most `limit` of each. Confidential ones only for the people
    on them, as everywhere (meetings_visible_to)."""
    now = now or timezone.now()
    meetings = meetings_visible_to(user=user).filter(area_id__in=area_ids).select_related("area")
    return {
        "recent": list(
            meetings.filter(
                starts_at__gte=now - datetime.timedelta(days=days), starts_at__lt=now
            ).order_by("-starts_at")[:limit]
        ),
        "upcoming": list(meetings.filter(starts_at__gte=now).order_by("starts_at")[:limit]),
    }


def meeting_visibility_filter(*, user) -> Q:
    """Who may see a meeting (see meetings_visible_to). The participant test is an uncorrelated
    subquery, computed once, rather than a correlated EXISTS per meeting: ten times faster when
    counting meetings over many areas."""
    organisation_ids = Membership.objects.filter(user=user).values("organisation_id")
    on_them = Participant.objects.filter(
        Q(user=user) | Q(organisation_id__in=organisation_ids)
    ).values("meeting_id")
    return (
        Q(visibility__in=[MeetingVisibility.PUBLIC, MeetingVisibility.STAFF])
        | Q(chair=user)
        | Q(recorder=user)
        | Q(pk__in=on_them)
    )


def meetings_held_by_area(
    *, user, area_ids, start: datetime.datetime, end: datetime.datetime
) -> dict[int, int]:
    """Area id → number of meetings held there in [start, end) that the user may see."""
    rows = (
        Meeting.objects.filter(
            meeting_visibility_filter(user=user),
            area_id__in=area_ids,
            status=Meeting.Status.HELD,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .order_by()
        .values("area_id")
        .annotate(n=Count("pk"))
    )
    return {row["area_id"]: row["n"] for row in rows}


def open_issues_in(*, area_ids) -> QuerySet[DistrictIssue]:
    """Issues not closed that are in the areas now, or were raised there and have since been
    escalated above them (so a district still sees what it raised)."""
    return (
        DistrictIssue.objects.filter(Q(area_id__in=area_ids) | Q(raised_in_id__in=area_ids))
        .exclude(status=DistrictIssue.Status.CLOSED)
        .select_related("area", "raised_in")
        .order_by("-raised_on", "-pk")
    )


def open_issue_counts_by_area(*, area_ids) -> dict[int, int]:
    """Area id → number of issues not closed that are in that area now."""
    rows = (
        DistrictIssue.objects.filter(area_id__in=area_ids)
        .exclude(status=DistrictIssue.Status.CLOSED)
        .order_by()
        .values("area_id")
        .annotate(n=Count("pk"))
    )
    return {row["area_id"]: row["n"] for row in rows}
