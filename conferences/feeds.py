"""Calendar feeds: which meetings each feed carries, private feed tokens and stored filters.

Public feeds carry public meetings only (Meeting.visibility == public), whoever asks. The
private feed of a user carries, by the scope the user chose, the meetings they take part in
(chair, recorder or participant in person) or every meeting they may see
(conferences.selectors.meetings_visible_to); it is checked again on every fetch, so a user who
leaves an organisation stops seeing its confidential meetings at the next refresh.

The public site's own events (cms EventPage) are not in these feeds: conferences never imports
cms, and each EventPage offers its own .ics. The public feeds are the meetings of the
municipality that are open to residents.
"""

import hashlib
import re
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from conferences import selectors
from conferences.models import (
    CalendarFilter,
    CalendarToken,
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingVisibility,
    Participant,
)
from districts.models import Area

# token_urlsafe(32): 43 characters, 256 bits.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
FILTER_KEY_PATTERN = re.compile(r"^[a-z2-7]{8}$")
_FILTER_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


# --- Which meetings ---------------------------------------------------------------------------


def public_meetings(
    *, area: Area | None = None, series: MeetingSeries | None = None, kinds=()
) -> QuerySet[Meeting]:
    """Public meetings; of an area: the area's own, those of the areas above it (a district's
    feed carries its region's and the municipality's) and of the areas under it (a region's
    feed carries its districts')."""
    meetings = Meeting.objects.filter(visibility=MeetingVisibility.PUBLIC)
    if area is not None:
        ids = {each.pk for each in selectors.area_subtree(area=area)}
        ids |= {each.pk for each in area.ancestors()}
        meetings = meetings.filter(area_id__in=sorted(ids))
    if series is not None:
        meetings = meetings.filter(series=series)
    if kinds:
        meetings = meetings.filter(kind__in=sorted(kinds))
    return meetings


def user_meetings(*, user, scope: str) -> QuerySet[Meeting]:
    if scope == CalendarToken.Scope.VISIBLE:
        return selectors.meetings_visible_to(user=user)
    mine = Participant.objects.filter(user=user).values("meeting_id")
    return Meeting.objects.filter(Q(chair=user) | Q(recorder=user) | Q(pk__in=mine))


# --- Private feed tokens ----------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(*, user) -> CalendarToken | None:
    return CalendarToken.objects.filter(user=user).first()


@transaction.atomic
def token_issue(*, user, scope: str) -> str:
    """A new token for the user's private feed, replacing (and so revoking) any earlier one.
    The token itself is returned once, to be shown once: only its SHA-256 is stored."""
    if scope not in CalendarToken.Scope.values:
        raise ValueError(f"unknown scope {scope!r}")
    token = secrets.token_urlsafe(32)
    CalendarToken.objects.filter(user=user).delete()
    CalendarToken.objects.create(user=user, digest=token_digest(token), scope=scope)
    return token


def token_revoke(*, user) -> bool:
    deleted, _ = CalendarToken.objects.filter(user=user).delete()
    return bool(deleted)


def token_owner(*, token: str) -> CalendarToken | None:
    """The live token row for a presented token (with its user), or None: unknown, revoked,
    replaced, malformed, or its user deactivated."""
    if not TOKEN_PATTERN.match(token):
        return None
    found = CalendarToken.objects.select_related("user").filter(digest=token_digest(token)).first()
    if found is None or not found.user.is_active:
        return None
    return found


# --- Stored filters ---------------------------------------------------------------------------


def filter_signature(*, area: Area | None, series: MeetingSeries | None, kinds) -> str:
    return "|".join(
        [str(area.pk) if area else "", str(series.pk) if series else "", ",".join(sorted(kinds))]
    )


def filter_store(*, area: Area | None, series: MeetingSeries | None, kinds=()) -> CalendarFilter:
    """The stored filter for this combination, created on first use (the same combination
    always has the same short id)."""
    kinds = sorted(set(kinds))
    unknown = set(kinds) - set(MeetingKind.values)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}")
    signature = filter_signature(area=area, series=series, kinds=kinds)
    found = CalendarFilter.objects.filter(signature=signature).first()
    if found:
        return found
    for _attempt in range(5):
        key = "".join(secrets.choice(_FILTER_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                return CalendarFilter.objects.create(
                    key=key, signature=signature, area=area, series=series, kinds=",".join(kinds)
                )
        except IntegrityError:
            # Someone stored the same combination at the same moment, or the key was taken.
            found = CalendarFilter.objects.filter(signature=signature).first()
            if found:
                return found
    raise RuntimeError("no free calendar filter key")


def filter_get(*, key: str) -> CalendarFilter | None:
    return CalendarFilter.objects.select_related("area", "series").filter(key=key).first()


def filter_kinds(stored: CalendarFilter) -> list[str]:
    return [kind for kind in stored.kinds.split(",") if kind]


def public_series() -> QuerySet[MeetingSeries]:
    """Series a public feed may be filtered by: those with public meetings."""
    return (
        MeetingSeries.objects.filter(meetings__visibility=MeetingVisibility.PUBLIC)
        .distinct()
        .select_related("area")
        .order_by("title", "pk")
    )
