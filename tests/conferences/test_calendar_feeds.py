"""Public calendar feeds (issue 7): RFC 5545 as calendar apps need it, read back by two parsers
written independently (icalendar and vobject), local times in Asia/Tokyo, series as expanded
occurrences with a moved and a cancelled one, SEQUENCE, the bounded window, folding of long
Japanese lines, conditional GET, gzip and bad input."""

import datetime
import gzip
import hashlib
import zoneinfo

import pytest
import vobject
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from icalendar import Calendar

from conferences import calendar, meetings
from conferences.models import (
    CalendarFilter,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingVisibility,
)
from districts.models import Area
from tests import factories

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def ja(msgid: str, **values) -> str:
    """What the feed says (feeds are in the site's language, Japanese), whether or not the
    catalogue has been merged yet."""
    with translation.override("ja"):
        text = gettext(msgid)
    return text % values if values else text


def tokyo(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TOKYO)


@pytest.fixture
def world():
    city, region, district = factories.area_tree()
    other = Area.objects.create(
        level=district.level,
        parent=region,
        code=f"{district.code}-X",
        name="若葉",
        reading="わかば",
    )
    centre = factories.organisation("桜台地域包括支援センター")
    chair = factories.user(organisations=[centre], can_chair=True)

    def make(area, title, visibility=MeetingVisibility.PUBLIC, days=10, **fields):
        start = tokyo(days, 14)
        return factories.meeting(
            area=area,
            organiser=centre,
            title=title,
            visibility=visibility,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
            **fields,
        )

    return {
        "city": city,
        "region": region,
        "district": district,
        "other": other,
        "centre": centre,
        "chair": chair,
        "make": make,
        "city_meeting": make(city, "区 地域ケア推進会議", level=MeetingLevel.MUNICIPAL),
        "region_meeting": make(region, "北地域 三者連携会議", level=MeetingLevel.REGION),
        "district_meeting": make(
            district,
            "桜台 地域ケアネットワーク会議",
            place="桜台まちづくりセンター 2階",
            online_url="https://meet.example.jp/sakura",
            kind=MeetingKind.DISTRICT_NETWORK,
        ),
        "other_meeting": make(other, "若葉 地域ケアネットワーク会議"),
        "staff_meeting": make(district, "桜台 職員会議", visibility=MeetingVisibility.STAFF),
    }


def get(client, url, **headers):
    response = client.get(url, headers=headers)
    return response


def parse(body: bytes):
    """Both parsers; each must read the whole feed."""
    cal = Calendar.from_ical(body)
    other = vobject.readOne(body.decode("utf-8"))
    return cal, other


def events_by_summary(cal) -> dict:
    return {str(event["SUMMARY"]): event for event in cal.walk("VEVENT")}


def vobject_events(other) -> dict:
    return {event.summary.value: event for event in getattr(other, "vevent_list", [])}


# --- Format -------------------------------------------------------------------------------------


def test_the_public_feed_is_a_calendar_apps_can_subscribe_to(client, world):
    response = get(client, "/calendar/public.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "public, max-age=900"
    assert response["ETag"] and response["Last-Modified"]
    body = response.content
    # CRLF line ends only, and the last line ends too.
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    cal, other = parse(body)
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == ja("Tsunagu: public meetings")
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Tokyo"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    assert other.x_wr_calname.value == ja("Tsunagu: public meetings")
    # Public meetings only: the staff meeting is in no public feed.
    titles = set(events_by_summary(cal))
    assert titles == {
        "区 地域ケア推進会議",
        "北地域 三者連携会議",
        "桜台 地域ケアネットワーク会議",
        "若葉 地域ケアネットワーク会議",
    }
    assert set(vobject_events(other)) == titles


def test_an_event_carries_what_a_calendar_needs(client, world):
    meeting = world["district_meeting"]
    cal, other = parse(get(client, "/calendar/public.ics").content)
    event = events_by_summary(cal)["桜台 地域ケアネットワーク会議"]
    assert str(event["UID"]) == f"meeting-{meeting.uid}@tsunagu"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTAMP") == meeting.updated_at.replace(microsecond=0)
    assert event.decoded("LAST-MODIFIED") == meeting.updated_at.replace(microsecond=0)
    assert str(event["LOCATION"]) == "桜台まちづくりセンター 2階"
    assert str(event["STATUS"]) == "CONFIRMED"
    url = "http://testserver" + reverse("calendar:meeting", args=[meeting.uid])
    assert str(event["URL"]) == url
    assert "https://meet.example.jp/sakura" in str(event["DESCRIPTION"])
    assert url in str(event["DESCRIPTION"])
    # The same, read by the other parser.
    same = vobject_events(other)["桜台 地域ケアネットワーク会議"]
    assert same.uid.value == f"meeting-{meeting.uid}@tsunagu"
    assert same.location.value == "桜台まちづくりセンター 2階"
    assert same.url.value == url


def test_times_are_local_tokyo_times_with_their_zone(client, world):
    """14:00 in Tokyo is 05:00 UTC, whatever zone the subscriber is in."""
    body = get(client, "/calendar/public.ics").content
    meeting = world["district_meeting"]
    day = timezone.localtime(meeting.starts_at).strftime("%Y%m%d")
    assert f"DTSTART;TZID=Asia/Tokyo:{day}T140000\r\n".encode() in body
    assert f"DTEND;TZID=Asia/Tokyo:{day}T160000\r\n".encode() in body
    cal, other = parse(body)
    start = events_by_summary(cal)["桜台 地域ケアネットワーク会議"].decoded("DTSTART")
    assert start.utcoffset() == datetime.timedelta(hours=9)
    assert start.astimezone(datetime.UTC).time() == datetime.time(5, 0)
    assert start == meeting.starts_at
    same = vobject_events(other)["桜台 地域ケアネットワーク会議"].dtstart.value
    assert same.astimezone(datetime.UTC) == meeting.starts_at.astimezone(datetime.UTC)
    assert same.astimezone(datetime.UTC).hour == 5
    # Seen from New York, the same instant (00:00 or 01:00 there, by the season).
    assert same.astimezone(zoneinfo.ZoneInfo("America/New_York")) == meeting.starts_at


def test_the_direct_writer_matches_icalendar_event_for_event(client, world):
    """feed_ics writes the lines itself (for speed); icalendar's meeting_event is the
    reference: every property reads back the same."""
    meeting = world["district_meeting"]
    url = "https://example.jp/m"
    body = calendar.feed_ics(
        rows=calendar.feed_rows(Meeting.objects.filter(pk=meeting.pk)),
        name="テスト",
        url_for=lambda uid: url,
    )
    written = Calendar.from_ical(body).walk("VEVENT")[0]
    reference = calendar.meeting_event(meeting=meeting, url=url, now=meeting.updated_at)
    for name in (
        "UID",
        "SEQUENCE",
        "DTSTART",
        "DTEND",
        "SUMMARY",
        "LOCATION",
        "URL",
        "DESCRIPTION",
        "STATUS",
    ):
        assert written.decoded(name) == reference.decoded(name), name
    assert written.decoded("DTSTAMP") == reference.decoded("DTSTAMP").replace(microsecond=0)


def test_long_japanese_text_is_folded_at_75_octets_without_splitting_a_character(client, world):
    title = "桜台地区、見守り；ネットワーク\\会議「高齢者と子育て世帯の支え合い」" * 4
    place = "桜台まちづくりセンター 2階 第1会議室,第2会議室;ロビー\n受付は1階"
    world["make"](world["district"], title, place=place)
    body = get(client, "/calendar/public.ics").content
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # it was folded
    for line in lines:
        line.decode("utf-8")  # no line ends inside a multi-byte character
    # Commas, semicolons, backslashes and newlines escaped (RFC 5545 3.3.11).
    unfolded = body.replace(b"\r\n ", b"").decode()
    assert "第1会議室\\,第2会議室\\;ロビー\\n受付は1階" in unfolded
    cal, other = parse(body)
    event = events_by_summary(cal)[title]
    assert str(event["LOCATION"]) == place
    assert vobject_events(other)[title].location.value == place


def test_fold_never_splits_a_utf8_character():
    for prefix in ("", "a", "ab"):  # every offset of the 3-byte characters against the cut
        line = "SUMMARY:" + prefix + "会議" * 60
        folded = calendar.fold(line).encode()
        parts = folded.split(b"\r\n")
        assert all(len(part) <= 75 for part in parts)
        assert b"".join([parts[0]] + [part[1:] for part in parts[1:]]).decode() == line
        for part in parts:
            part.decode("utf-8")
    assert calendar.fold("SHORT:ascii") == "SHORT:ascii"


# --- Series, changes and cancellations -----------------------------------------------------------


def test_a_series_is_its_occurrences_with_a_moved_and_a_cancelled_one(client, world):
    series = meetings.series_create(
        user=None,
        today=timezone.localdate(),
        title="桜台 サロン連絡会",
        kind=MeetingKind.DISTRICT_NETWORK,
        level=MeetingLevel.DISTRICT,
        area=world["district"],
        organiser=world["centre"],
        rrule="FREQ=MONTHLY;BYDAY=3WE",
        starts_on=timezone.localdate(),
        start_time=datetime.time(14),
        end_time=datetime.time(16),
        place="桜台地区会館",
        visibility=MeetingVisibility.PUBLIC,
    )
    occurrences = list(series.meetings.order_by("starts_at")[:3])
    first, second, third = occurrences
    moved = meetings.meeting_update(
        meeting=second,
        user=world["chair"],
        expected_version=second.version,
        starts_at=second.starts_at + datetime.timedelta(days=1, hours=-4),
        ends_at=second.ends_at + datetime.timedelta(days=1, hours=-4),
    )
    meetings.meeting_cancel(meeting=third, user=world["chair"], reason="会場の都合")

    url = reverse("calendar:series", args=[series.pk])
    body = get(client, url).content
    cal, other = parse(body)
    events = cal.walk("VEVENT")
    assert len(events) == series.meetings.count()  # each occurrence once: no duplicates
    by_uid = {str(event["UID"]): event for event in events}
    assert len(by_uid) == len(events)
    one = by_uid[f"meeting-{first.uid}@tsunagu"]
    assert one.decoded("DTSTART").time() == datetime.time(14)
    assert one["SEQUENCE"] == 0 and str(one["STATUS"]) == "CONFIRMED"
    two = by_uid[f"meeting-{moved.uid}@tsunagu"]
    assert two.decoded("DTSTART") == moved.starts_at
    assert two.decoded("DTSTART").time() == datetime.time(10)  # Thursday 10:00 instead
    assert two["SEQUENCE"] == 1
    three = by_uid[f"meeting-{third.uid}@tsunagu"]
    assert str(three["STATUS"]) == "CANCELLED" and three["SEQUENCE"] == 1
    assert "会場の都合" not in body.decode()  # the reason is free text: it stays inside
    # The other parser expands the same: the moved one at its new time, the cancelled kept.
    read = {event.uid.value: event for event in other.vevent_list}
    assert read[f"meeting-{moved.uid}@tsunagu"].dtstart.value == moved.starts_at
    assert read[f"meeting-{third.uid}@tsunagu"].status.value == "CANCELLED"
    # UIDs are the same on the next render.
    again = Calendar.from_ical(get(client, url).content)
    assert {str(event["UID"]) for event in again.walk("VEVENT")} == set(by_uid)


def test_sequence_rises_on_each_change_of_time_place_or_status(client, world):
    meeting = world["district_meeting"]

    def seen():
        cal = Calendar.from_ical(get(client, "/calendar/public.ics").content)
        event = events_by_summary(cal)["桜台 地域ケアネットワーク会議"]
        return event["SEQUENCE"], event.decoded("LAST-MODIFIED"), str(event["LOCATION"])

    assert seen()[0] == 0
    meeting = meetings.meeting_update(
        meeting=meeting, user=world["chair"], expected_version=meeting.version, place="桜台会館"
    )
    assert seen()[0] == 1 and seen()[2] == "桜台会館"
    meeting = meetings.meeting_update(
        meeting=meeting,
        user=world["chair"],
        expected_version=meeting.version,
        starts_at=meeting.starts_at + datetime.timedelta(hours=1),
        ends_at=meeting.ends_at + datetime.timedelta(hours=1),
    )
    assert seen()[0] == 2
    meetings.meeting_cancel(meeting=meeting, user=world["chair"], reason="台風")
    cal = Calendar.from_ical(get(client, "/calendar/public.ics").content)
    event = events_by_summary(cal)["桜台 地域ケアネットワーク会議"]
    assert event["SEQUENCE"] == 3 and str(event["STATUS"]) == "CANCELLED"


def test_the_window_is_bounded_and_cancellations_stay_90_days(client, world):
    make = world["make"]
    make(world["district"], "半年以上前の会議", days=-200)
    make(world["district"], "二年後の会議", days=700)
    make(world["district"], "五か月前の会議", days=-150)
    old = make(world["district"], "七か月前に中止された会議", days=-210)
    recent = make(world["district"], "最近中止された会議", days=-210)
    Meeting.objects.filter(pk=old.pk).update(
        status=Meeting.Status.CANCELLED, cancelled_at=timezone.now() - datetime.timedelta(days=91)
    )
    Meeting.objects.filter(pk=recent.pk).update(
        status=Meeting.Status.CANCELLED, cancelled_at=timezone.now() - datetime.timedelta(days=89)
    )
    cal, _ = parse(get(client, "/calendar/public.ics").content)
    titles = set(events_by_summary(cal))
    assert "五か月前の会議" in titles
    assert "半年以上前の会議" not in titles and "二年後の会議" not in titles
    assert "最近中止された会議" in titles  # cancelled 89 days ago: still there, as cancelled
    assert "七か月前に中止された会議" not in titles
    assert str(events_by_summary(cal)["最近中止された会議"]["STATUS"]) == "CANCELLED"


# --- Areas, series and stored filters -------------------------------------------------------------


def test_a_districts_feed_carries_its_region_and_municipality_not_its_neighbours(client, world):
    district = world["district"]
    url = reverse("calendar:area", args=[district.code])
    assert url == f"/calendar/area/{district.code}.ics"  # the public site's subscribe link
    cal, _other = parse(get(client, url).content)
    assert set(events_by_summary(cal)) == {
        "区 地域ケア推進会議",
        "北地域 三者連携会議",
        "桜台 地域ケアネットワーク会議",
    }
    assert str(cal["X-WR-CALNAME"]) == ja("%(area)s: public meetings", area="桜台")
    region = parse(get(client, reverse("calendar:area", args=[world["region"].code])).content)[0]
    assert set(events_by_summary(region)) == {
        "区 地域ケア推進会議",
        "北地域 三者連携会議",
        "桜台 地域ケアネットワーク会議",
        "若葉 地域ケアネットワーク会議",
    }


def test_bad_input_answers_404_or_400_in_plain_text(client, world):
    cases = {
        "/calendar/area/NOPE.ics": 404,
        "/calendar/area/bad%20code!.ics": 400,
        "/calendar/series/999999.ics": 404,
        "/calendar/series/abc.ics": 400,
        "/calendar/f/zzzzzzzz.ics": 404,
        "/calendar/f/NOT-A-KEY!.ics": 400,
        "/calendar/m/not-a-uuid.ics": 400,
        f"/calendar/m/{world['staff_meeting'].uid}.ics": 404,  # not public: not disclosed
        "/calendar/u/short.ics": 404,
    }
    for url, status in cases.items():
        response = get(client, url)
        assert response.status_code == status, url
        assert response["Content-Type"] == "text/plain; charset=utf-8", url
        assert response.content.strip(), url
    # A staff-only series has no public feed.
    staff_series = meetings.series_create(
        user=None,
        generate=False,
        title="職員の連絡会",
        kind=MeetingKind.STAKEHOLDERS,
        level=MeetingLevel.DISTRICT,
        area=world["district"],
        organiser=world["centre"],
        rrule="FREQ=MONTHLY;BYDAY=1MO",
    )
    assert get(client, reverse("calendar:series", args=[staff_series.pk])).status_code == 404
    assert client.post("/calendar/public.ics").status_code == 405
    # Some calendar apps ask with HEAD first.
    head = client.head("/calendar/public.ics")
    assert head.status_code == 200 and head.content == b"" and head["ETag"]


def test_a_stored_filter_gives_a_short_stable_url(client, world):
    client.force_login(world["chair"])
    form = {"area": world["district"].code, "kind": [MeetingKind.DISTRICT_NETWORK]}
    response = client.post(reverse("staff:calendar_filter_create"), form)
    assert response.status_code == 302
    stored = CalendarFilter.objects.get()
    assert response["Location"].endswith(f"?filter={stored.key}#public")
    # The same combination again: the same id.
    client.post(reverse("staff:calendar_filter_create"), form)
    assert CalendarFilter.objects.count() == 1
    url = reverse("calendar:filter", args=[stored.key])
    assert len(url) < 30
    page = client.get(response["Location"])
    assert f"webcal://testserver{url}" in page.content.decode()
    client.logout()  # feeds need no login
    cal, _other = parse(get(client, url).content)
    assert set(events_by_summary(cal)) == {"桜台 地域ケアネットワーク会議"}
    assert "桜台" in str(cal["X-WR-CALNAME"])


def test_a_refused_filter_says_why_and_keeps_the_choices(client, world):
    client.force_login(world["chair"])
    response = client.post(
        reverse("staff:calendar_filter_create"),
        {"area": "NOWHERE", "kind": [MeetingKind.WORKSHOP, "bogus"]},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert ja("Choose an area from the list.") in text
    assert ja("Choose kinds of meeting from the list.") in text
    assert f'value="{MeetingKind.WORKSHOP}" checked' in text
    assert CalendarFilter.objects.count() == 0


def test_one_public_meeting_as_a_file(client, world):
    meeting = world["district_meeting"]
    response = get(client, reverse("calendar:meeting", args=[meeting.uid]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment")
    cal, other = parse(response.content)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [f"meeting-{meeting.uid}@tsunagu"]
    assert other.vevent.summary.value == meeting.title


# --- HTTP ---------------------------------------------------------------------------------------


def test_conditional_get_answers_304_until_a_meeting_changes(
    client, world, django_assert_max_num_queries
):
    first = get(client, "/calendar/public.ics")
    etag, modified = first["ETag"], first["Last-Modified"]
    with django_assert_max_num_queries(1):  # one aggregate, nothing built
        again = get(client, "/calendar/public.ics", if_none_match=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == "public, max-age=900"
    assert get(client, "/calendar/public.ics", if_modified_since=modified).status_code == 304
    meeting = world["district_meeting"]
    meetings.meeting_update(
        meeting=meeting, user=world["chair"], expected_version=meeting.version, place="別の会場"
    )
    changed = get(client, "/calendar/public.ics", if_none_match=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "別の会場".encode() in changed.content
    # A new public meeting changes it too, and a deleted one.
    etag = changed["ETag"]
    Meeting.objects.filter(pk=world["other_meeting"].pk).delete()
    assert get(client, "/calendar/public.ics", if_none_match=etag).status_code == 200


def test_feeds_are_gzipped_for_clients_that_accept_it(client, world):
    plain = get(client, "/calendar/public.ics")
    zipped = get(client, "/calendar/public.ics", accept_encoding="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    # The weak ETag of the gzipped answer still validates.
    assert zipped["ETag"].startswith('W/"')
    again = get(
        client, "/calendar/public.ics", accept_encoding="gzip", if_none_match=zipped["ETag"]
    )
    assert again.status_code == 304


def test_feed_urls_carry_no_language_prefix(client, world):
    assert reverse("calendar:public") == "/calendar/public.ics"
    english = get(client, "/calendar/public.ics", accept_language="en")
    # The feed is the same whatever the asker's language (calendar apps send none).
    assert english.content == get(client, "/calendar/public.ics").content


def test_the_etag_is_a_hash_not_the_data(client, world):
    etag = get(client, "/calendar/public.ics")["ETag"].strip('"')
    assert len(etag) == 32 and int(etag, 16) >= 0
    assert etag != hashlib.sha256(b"").hexdigest()[:32]


def test_building_a_feed_takes_the_same_queries_however_many_meetings(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert get(client, url).status_code == 200
        return len(captured.captured_queries)

    area_url = reverse("calendar:area", args=[world["district"].code])
    before = queries("/calendar/public.ics"), queries(area_url)
    for day in range(20):
        world["make"](world["district"], f"追加の会議 {day}", days=day + 20)
    assert (queries("/calendar/public.ics"), queries(area_url)) == before


def test_the_time_zone_is_declared_once_with_its_offset(client, world):
    cal = Calendar.from_ical(get(client, "/calendar/public.ics").content)
    (zone,) = cal.walk("VTIMEZONE")
    (standard,) = zone.walk("STANDARD")
    assert standard.decoded("TZOFFSETTO") == datetime.timedelta(hours=9)
    assert "COMMENT" not in zone


def test_the_subscribe_page_offers_the_feeds_of_the_users_own_districts(client, world):
    centre = world["centre"]
    centre.home_area = world["district"]
    centre.save(update_fields=["home_area"])
    client.force_login(world["chair"])
    text = client.get(reverse("staff:calendar_subscribe")).content.decode()
    area_url = reverse("calendar:area", args=[world["district"].code])
    assert f'value="webcal://testserver{area_url}"' in text
    assert f'value="http://testserver{area_url}"' in text
    assert 'value="webcal://testserver/calendar/public.ics"' in text
    assert 'id="public-0-webcal"' in text and 'id="public-1-webcal"' in text
