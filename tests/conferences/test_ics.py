"""A meeting as an .ics file: RFC 5545 fields a calendar needs, a stable UID, the sequence and
status, and never anything about the cases on its agenda."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from conferences import calendar
from conferences.models import LegalBasis, Meeting, MeetingVisibility
from tests import factories

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    member = factories.user("member", organisations=[centre])
    start = timezone.make_aware(datetime.datetime(2026, 12, 16, 14, 0), TOKYO)
    meeting = factories.meeting(
        area=district,
        organiser=centre,
        chair=member,
        title="桜台 地域ケア個別会議",
        place="桜台まちづくりセンター 2階",
        online_url="https://meet.example.jp/abc",
        legal_basis=LegalBasis.LONG_TERM_CARE,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
    )
    case = factories.case(district=district, lead=centre, code="K-ICS-SECRET")
    factories.agenda_item(meeting=meeting, case=case, title="ICS に出ない題名")
    return {"meeting": meeting, "member": member, "case": case}


def download(client, meeting):
    response = client.get(reverse("staff:agenda_ics", args=[meeting.uid]))
    assert response.status_code == 200
    return response


def event_of(response):
    cal = Calendar.from_ical(response.content)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def test_the_ics_describes_the_meeting(client, world):
    meeting = world["meeting"]
    client.force_login(world["member"])
    response = download(client, meeting)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="tsunagu-meeting-20261216-1400.ics"'
    )
    cal, event = event_of(response)
    assert cal["VERSION"] == "2.0" and "Tsunagu" in str(cal["PRODID"])
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    assert str(event["UID"]) == f"meeting-{meeting.uid}@tsunagu"
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(hours=9)
    assert event.decoded("DTEND") == meeting.ends_at
    assert str(event["SUMMARY"]) == "桜台 地域ケア個別会議"
    assert str(event["LOCATION"]) == "桜台まちづくりセンター 2階"
    assert str(event["URL"]) == "http://testserver" + reverse(
        "staff:meeting_detail", args=[meeting.uid]
    )
    assert "https://meet.example.jp/abc" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    assert "DTSTAMP" in event and "LAST-MODIFIED" in event


def test_the_uid_is_stable_and_the_sequence_and_status_follow_the_meeting(client, world):
    meeting = world["meeting"]
    client.force_login(world["member"])
    first = event_of(download(client, meeting))[1]
    Meeting.objects.filter(pk=meeting.pk).update(
        sequence=3, status=Meeting.Status.CANCELLED, cancellation_reason="台風のため"
    )
    meeting.refresh_from_db()
    second = event_of(download(client, meeting))[1]
    assert str(first["UID"]) == str(second["UID"])
    assert second["SEQUENCE"] == 3
    assert str(second["STATUS"]) == "CANCELLED"
    assert "台風" not in download(client, meeting).content.decode()


def test_no_case_detail_ever_goes_into_the_ics(client, world):
    client.force_login(world["member"])
    text = download(client, world["meeting"]).content.decode()
    assert "K-ICS-SECRET" not in text
    assert "ICS に出ない題名" not in text
    # Folded lines would hide a code split across them: check the unfolded calendar too.
    assert "K-ICS-SECRET" not in Calendar.from_ical(text).to_ical().decode().replace("\r\n ", "")


def test_a_confidential_meeting_is_404_for_those_not_on_it(client, world):
    meeting = world["meeting"]
    meeting.visibility = MeetingVisibility.CONFIDENTIAL
    meeting.save()
    client.force_login(factories.user("stranger"))
    assert client.get(reverse("staff:agenda_ics", args=[meeting.uid])).status_code == 404


def test_meeting_ics_without_place_or_online_link():
    meeting = Meeting(
        title="会議",
        starts_at=timezone.make_aware(datetime.datetime(2027, 1, 20, 10, 0), TOKYO),
        ends_at=timezone.make_aware(datetime.datetime(2027, 1, 20, 11, 0), TOKYO),
        updated_at=timezone.now(),
    )
    cal = Calendar.from_ical(calendar.meeting_ics(meeting=meeting, url="https://x.example/m/"))
    event = cal.walk("VEVENT")[0]
    assert "LOCATION" not in event
    assert "https://x.example/m/" in str(event["DESCRIPTION"])
