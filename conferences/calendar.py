"""Meetings as iCalendar (RFC 5545, with the icalendar library).

For now one meeting as a file; the feeds per area, series and user (DESIGN.md) are built on
meeting_event. What goes out: title, time, place, the online link and the meeting page's URL.
Never the agenda, case codes or any case detail, whoever downloads it.
"""

import datetime
import zoneinfo

from django.utils import timezone
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
