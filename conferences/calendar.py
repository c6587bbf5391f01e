"""Meetings as iCalendar (RFC 5545).

One meeting as a file (meeting_ics, built with the icalendar library), and the feeds: public
(all public meetings, per area, per series, per stored filter) and private per user
(conferences.feeds holds tokens and stored filters, conferences.calendar_views serves them).
What goes out: title, time, place, the online link, the status and a link back. Never the
agenda, case codes or any case detail, whoever downloads it: feed code reads Meeting columns
only (feed_rows), never agenda items, minutes or the cancellation reason (free text that may
name a person).

Series are sent as expanded occurrences, each its own VEVENT with its own UID, not as one
RRULE with EXDATE and RECURRENCE-ID overrides. Every occurrence already is a Meeting row with
a stable uid (conferences.meetings.series_generate), and a moved or cancelled occurrence is
just a changed row with a raised SEQUENCE; overrides are where calendar apps disagree most
(Outlook and Google drop or duplicate RECURRENCE-ID instances of subscribed feeds), a bounded
window would have to cut the rule, and one occurrence may differ from the rule in place,
online link or visibility. The cost, a larger feed, is bounded by the window.

The feeds are written by feed_ics, a direct writer (escaping, folding at 75 octets on UTF-8
character boundaries, CRLF) rather than icalendar's object model, which takes seconds for
10,000 events (bench/calendar_feed.py); the tests parse every feed with icalendar and vobject
and check its events against meeting_event's.
"""

import datetime
import functools
import zoneinfo

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone

from conferences.models import Meeting

PRODID = "-//Tsunagu//Tsunagu meetings//JA"
TIME_ZONE = "Asia/Tokyo"
UID_DOMAIN = "tsunagu"


def meeting_uid(meeting: Meeting) -> str:
    """Stable across renders, servers and changes of the meeting."""
    return f"meeting-{meeting.uid}@{UID_DOMAIN}"


def meeting_event(*, meeting: Meeting, url: str, now: datetime.datetime | None = None) -> Event:
    tz = zoneinfo.ZoneInfo(TIME_ZONE)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", (now or timezone.now()).astimezone(datetime.UTC))
    event.add("sequence", meeting.sequence)
    event.add("last-modified", meeting.updated_at.astimezone(datetime.UTC))
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("summary", meeting.title)
    if meeting.place:
        event.add("location", meeting.place)
    event.add("url", url)
    lines = []
    if meeting.online_url:
        lines.append(_("Online meeting link: %(url)s") % {"url": meeting.online_url})
    lines.append(_("Meeting page: %(url)s") % {"url": url})
    event.add("description", "\n".join(lines))
    cancelled = meeting.status == Meeting.Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def meeting_ics(*, meeting: Meeting, url: str, now: datetime.datetime | None = None) -> bytes:
    """A VCALENDAR with the Asia/Tokyo VTIMEZONE and the meeting's one VEVENT."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add_component(Timezone.from_tzid(TIME_ZONE))
    cal.add_component(meeting_event(meeting=meeting, url=url, now=now))
    return cal.to_ical()


def ics_filename(meeting: Meeting) -> str:
    """ASCII only (no title: it may not survive every browser's download dialog)."""
    return f"tsunagu-meeting-{timezone.localtime(meeting.starts_at):%Y%m%d-%H%M}.ics"


# --- Feeds ----------------------------------------------------------------------------------------

# What a feed covers: from about 6 months back to 18 months ahead; a cancelled meeting stays
# (STATUS:CANCELLED) for at least 90 days after its cancellation, wherever it falls, so that
# subscribers see it cancelled rather than silently gone.
WINDOW_BACK = datetime.timedelta(days=183)
WINDOW_AHEAD = datetime.timedelta(days=549)
CANCELLED_KEPT = datetime.timedelta(days=90)
# Calendar apps poll: once an hour is asked for (Google and Outlook poll less often anyway).
REFRESH = "PT1H"

FEED_FIELDS = (
    "uid",
    "title",
    "starts_at",
    "ends_at",
    "place",
    "online_url",
    "status",
    "sequence",
    "updated_at",
)


def window_start_of(now: datetime.datetime) -> datetime.datetime:
    """The day (Asia/Tokyo) the window is counted from: a feed is the same all day long, so its
    ETag only changes when a meeting does (or the day does)."""
    local = now.astimezone(zoneinfo.ZoneInfo(TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def in_window(meetings: QuerySet[Meeting], *, now: datetime.datetime) -> QuerySet[Meeting]:
    day = window_start_of(now)
    return meetings.filter(
        Q(starts_at__gte=day - WINDOW_BACK, starts_at__lt=day + WINDOW_AHEAD)
        | Q(status=Meeting.Status.CANCELLED, cancelled_at__gte=day - CANCELLED_KEPT)
    )


def feed_stamp(meetings: QuerySet[Meeting]) -> tuple[int, datetime.datetime | None]:
    """(number of meetings, latest change) of a feed's meetings: one aggregate query, enough
    for the ETag and Last-Modified of a conditional GET without building the feed. Every write
    through conferences.meetings sets updated_at; a deleted meeting changes the count."""
    row = meetings.order_by().aggregate(n=Count("pk"), last=Max("updated_at"))
    return row["n"], row["last"]


def feed_rows(meetings: QuerySet[Meeting]):
    """Only the columns a feed shows, as tuples (no model instances: 10,000 rows stay fast)."""
    return meetings.order_by("starts_at", "pk").values_list(*FEED_FIELDS)


_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"})


def escape_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newline escaped (3.3.11)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(_ESCAPES)


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1) without splitting a UTF-8 character:
    a cut that would fall inside a multi-byte character moves back to its first byte."""
    if len(line) <= 25 or (len(line) <= 75 and line.isascii()):
        return line
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(raw[start:end])
        start, limit = end, 74  # continuation lines start with a space
    return b"\r\n ".join(parts).decode()


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


@functools.cache
def _vtimezone_lines() -> tuple[str, ...]:
    """Asia/Tokyo as a VTIMEZONE (icalendar builds it from the tz database), once. icalendar adds
    a COMMENT that it holds from 1970 to 2038; Japan has kept +0900 without summer time since
    1951, so its one STANDARD rule holds beyond that: the comment is left out."""
    text = Timezone.from_tzid(TIME_ZONE).to_ical().decode()
    return tuple(line for line in text.split("\r\n") if line and not line.startswith("COMMENT:"))


def feed_ics(
    *,
    rows,
    name: str,
    url_for,
    description: str = "",
) -> bytes:
    """A feed as one VCALENDAR: `rows` from feed_rows, `url_for(uid)` the link back of each
    event. Times are local (TZID=Asia/Tokyo, with the VTIMEZONE); DTSTAMP and LAST-MODIFIED are
    the meeting's last change, so the same data gives the same bytes (an honest ETag)."""
    tz = zoneinfo.ZoneInfo(TIME_ZONE)
    with translation.override(settings.LANGUAGE_CODE):
        online_label = _("Online meeting link: %(url)s")
        page_label = _("Meeting page: %(url)s")
    calname = escape_text(name)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        fold(f"PRODID:{PRODID}"),
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        fold(f"X-WR-CALNAME:{calname}"),
        fold(f"NAME:{calname}"),
        f"X-WR-TIMEZONE:{TIME_ZONE}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"X-PUBLISHED-TTL:{REFRESH}",
    ]
    if description:
        lines.append(fold(f"X-WR-CALDESC:{escape_text(description)}"))
        lines.append(fold(f"DESCRIPTION:{escape_text(description)}"))
    lines.extend(_vtimezone_lines())
    append = lines.append
    cancelled = Meeting.Status.CANCELLED
    for uid, title, starts_at, ends_at, place, online_url, status, sequence, updated in rows:
        url = url_for(uid)
        changed = _utc(updated)
        append("BEGIN:VEVENT")
        append(f"UID:meeting-{uid}@{UID_DOMAIN}")
        append(f"DTSTAMP:{changed}")
        append(f"SEQUENCE:{sequence}")
        append(f"LAST-MODIFIED:{changed}")
        append(f"DTSTART;TZID={TIME_ZONE}:{starts_at.astimezone(tz):%Y%m%dT%H%M%S}")
        append(f"DTEND;TZID={TIME_ZONE}:{ends_at.astimezone(tz):%Y%m%dT%H%M%S}")
        append(fold(f"SUMMARY:{escape_text(title)}"))
        if place:
            append(fold(f"LOCATION:{escape_text(place)}"))
        append(fold(f"URL:{url}"))
        text = page_label % {"url": url}
        if online_url:
            text = (online_label % {"url": online_url}) + "\n" + text
        append(fold(f"DESCRIPTION:{escape_text(text)}"))
        append(f"STATUS:{'CANCELLED' if status == cancelled else 'CONFIRMED'}")
        append("END:VEVENT")
    append("END:VCALENDAR")
    append("")
    return "\r\n".join(lines).encode()
