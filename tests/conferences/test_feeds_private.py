"""The private calendar feed behind a token (issue 7): only a hash is stored, an old token answers
404 at once, the feed carries the user's meetings and nothing about cases, for every kind of
user and every feed; tokens never reach the logs."""

import datetime
import hashlib
import logging
import re

import pytest
import vobject
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from conferences import feeds, meetings
from conferences.calendar_views import TokenPathFilter
from conferences.models import (
    AgendaItem,
    CalendarToken,
    Meeting,
    MeetingVisibility,
    Participant,
)
from tests import factories

pytestmark = pytest.mark.django_db

CASE_CODE = "K-FEED-SECRET-0001"
CASE_TITLE = "山田様 ご本人の退院調整"
CASE_SUMMARY = "病状の詳細 さらに家族の事情"
CASE_DECISIONS = "主担当は包括 訪問を増やす"
REASON = "本人の入院のため"


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    clinic = factories.organisation("桜台クリニック")
    council = factories.organisation("桜台社協")
    chair = factories.user("feed-chair", organisations=[centre], can_chair=True)
    member = factories.user("feed-member", organisations=[clinic])
    outsider = factories.user("feed-outsider")
    community = factories.user("feed-community", organisations=[council])
    admin = factories.user("feed-admin", is_superuser=True, is_staff=True)
    case = factories.case(district=district, lead=centre, code=CASE_CODE)

    def make(title, visibility, days):
        meeting = factories.meeting(
            area=district,
            organiser=centre,
            chair=chair,
            title=title,
            visibility=visibility,
            starts_in=datetime.timedelta(days=days),
        )
        factories.agenda_item(
            meeting=meeting,
            case=case,
            title=CASE_TITLE,
            summary=CASE_SUMMARY,
            decisions=CASE_DECISIONS,
        )
        factories.participant(meeting=meeting, user=chair, organisation=centre)
        return meeting

    public = make("桜台 地域ケア会議（公開）", MeetingVisibility.PUBLIC, 3)
    staff = make("桜台 職員の会議", MeetingVisibility.STAFF, 5)
    confidential = make("桜台 個別ケース会議", MeetingVisibility.CONFIDENTIAL, 7)
    factories.participant(meeting=confidential, user=member, organisation=clinic)
    external = Participant.objects.create(
        meeting=confidential,
        user=outsider,
        organisation=factories.organisation("外部の訪問看護ステーション"),
        is_external=True,
        person_name="外部の方",
    )
    assert external.pk
    cancelled = make("桜台 中止になった会議", MeetingVisibility.STAFF, 9)
    meetings.meeting_cancel(meeting=cancelled, user=chair, reason=REASON)
    return {
        "district": district,
        "chair": chair,
        "member": member,
        "outsider": outsider,
        "community": community,
        "admin": admin,
        "public": public,
        "staff": staff,
        "confidential": confidential,
        "cancelled": cancelled,
        "case": case,
    }


def feed_url(token: str) -> str:
    return reverse("calendar:user", args=[token])


def fetch(client, token: str):
    return client.get(feed_url(token))


def titles(body: bytes) -> set[str]:
    cal = Calendar.from_ical(body)
    other = vobject.readOne(body.decode())
    mine = {str(event["SUMMARY"]) for event in cal.walk("VEVENT")}
    assert mine == {event.summary.value for event in getattr(other, "vevent_list", [])}
    return mine


def test_the_page_shows_the_address_once_and_only_its_hash_is_stored(client, world):
    client.force_login(world["chair"])
    page = client.get(reverse("staff:calendar_subscribe"))
    assert page.status_code == 200
    response = client.post(reverse("staff:calendar_token_issue"), {"scope": "mine"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    token = re.search(r"/calendar/u/([A-Za-z0-9_-]+)\.ics", text).group(1)
    assert f"webcal://testserver/calendar/u/{token}.ics" in text
    assert f"http://testserver/calendar/u/{token}.ics" in text
    stored = CalendarToken.objects.get(user=world["chair"])
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.digest and len(token) >= 43
    # Shown again later? No: only that the feed exists.
    later = client.get(reverse("staff:calendar_subscribe")).content.decode()
    assert token not in later and "/calendar/u/" not in later
    assert fetch(client, token).status_code == 200


def test_a_replaced_or_revoked_token_answers_404_at_once(client, world):
    chair = world["chair"]
    first = feeds.token_issue(user=chair, scope="mine")
    assert fetch(client, first).status_code == 200
    client.force_login(chair)
    response = client.post(reverse("staff:calendar_token_issue"), {"scope": "visible"})
    second = re.search(r"/calendar/u/([A-Za-z0-9_-]+)\.ics", response.content.decode()).group(1)
    client.logout()
    assert fetch(client, first).status_code == 404
    assert fetch(client, second).status_code == 200
    client.force_login(chair)
    assert client.post(reverse("staff:calendar_token_revoke")).status_code == 302
    client.logout()
    response = fetch(client, second)
    assert response.status_code == 404 and response["Content-Type"].startswith("text/plain")
    # A deactivated user's feed stops too.
    third = feeds.token_issue(user=chair, scope="mine")
    get_user_model().objects.filter(pk=chair.pk).update(is_active=False)
    assert fetch(client, third).status_code == 404


def test_token_pages_need_login_and_post(client, world):
    assert client.get(reverse("staff:calendar_subscribe")).status_code == 302
    assert client.post(reverse("staff:calendar_token_issue")).status_code == 302
    assert not CalendarToken.objects.exists()
    client.force_login(world["chair"])
    assert client.get(reverse("staff:calendar_token_issue")).status_code == 405
    refused = client.post(reverse("staff:calendar_token_issue"), {"scope": "everyone"})
    assert refused.status_code == 400 and not CalendarToken.objects.exists()


def test_the_feed_carries_the_users_meetings_with_links_to_their_pages(client, world):
    token = feeds.token_issue(user=world["member"], scope="mine")
    response = fetch(client, token)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Referrer-Policy"] == "no-referrer"
    assert titles(response.content) == {"桜台 個別ケース会議"}
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    confidential = world["confidential"]
    assert str(event["URL"]) == "http://testserver" + reverse(
        "staff:meeting_detail", args=[confidential.uid]
    )
    # "Every meeting I may see": public and staff ones too, and the confidential one they are on.
    token = feeds.token_issue(user=world["member"], scope="visible")
    assert titles(fetch(client, token).content) == {
        "桜台 地域ケア会議（公開）",
        "桜台 職員の会議",
        "桜台 個別ケース会議",
        "桜台 中止になった会議",
    }
    # Someone not on the confidential meeting never sees it.
    token = feeds.token_issue(user=world["community"], scope="visible")
    assert "桜台 個別ケース会議" not in titles(fetch(client, token).content)


def test_leaving_a_meeting_removes_it_at_the_next_refresh(client, world):
    token = feeds.token_issue(user=world["member"], scope="visible")
    first = fetch(client, token)
    assert "桜台 個別ケース会議" in titles(first.content)
    Participant.objects.filter(user=world["member"]).delete()
    again = client.get(feed_url(token), headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert "桜台 個別ケース会議" not in titles(again.content)


def test_no_feed_carries_case_codes_or_case_text_for_any_user(client, world):
    """Whoever subscribes, to whatever feed: titles, times, places and links only."""
    secrets_ = [CASE_CODE, CASE_TITLE, CASE_SUMMARY, CASE_DECISIONS, REASON]
    secrets_ += [str(world["case"].public_id)]
    bodies = {}
    for name in ("chair", "member", "outsider", "community", "admin"):
        for scope in CalendarToken.Scope.values:
            token = feeds.token_issue(user=world[name], scope=scope)
            response = fetch(client, token)
            assert response.status_code == 200
            bodies[f"{name}/{scope}"] = response.content
    district = world["district"]
    for url in (
        reverse("calendar:public"),
        reverse("calendar:area", args=[district.code]),
        reverse("calendar:area", args=[district.parent.code]),
        reverse("calendar:meeting", args=[world["public"].uid]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[url] = response.content
    client.force_login(world["chair"])
    stored = client.post(reverse("staff:calendar_filter_create"), {"area": district.code})
    key = stored["Location"].split("filter=")[1].split("#")[0]
    bodies["filter"] = client.get(reverse("calendar:filter", args=[key])).content
    # The chair's own feed does carry the meetings (so the check below means something).
    assert "桜台 個別ケース会議" in titles(bodies["chair/mine"])
    assert AgendaItem.objects.filter(case=world["case"]).count() == 4
    for where, body in bodies.items():
        text = body.replace(b"\r\n ", b"").decode()
        for secret in secrets_:
            assert secret not in text, (where, secret)
        Calendar.from_ical(body)
        vobject.readOne(body.decode())


def test_the_feed_follows_cancellations_and_moves(client, world):
    token = feeds.token_issue(user=world["chair"], scope="mine")
    staff = world["staff"]
    meetings.meeting_update(
        meeting=staff,
        user=world["chair"],
        expected_version=staff.version,
        starts_at=staff.starts_at + datetime.timedelta(days=2),
        ends_at=staff.ends_at + datetime.timedelta(days=2),
    )
    cal = Calendar.from_ical(fetch(client, token).content)
    events = {str(event["SUMMARY"]): event for event in cal.walk("VEVENT")}
    moved = Meeting.objects.get(pk=staff.pk)
    assert events["桜台 職員の会議"].decoded("DTSTART") == moved.starts_at
    assert events["桜台 職員の会議"]["SEQUENCE"] == 1
    assert str(events["桜台 中止になった会議"]["STATUS"]) == "CANCELLED"
    assert moved.starts_at > timezone.now()


# --- Logs ---------------------------------------------------------------------------------------


def test_a_token_never_reaches_the_request_log(client, world, caplog):
    token = feeds.token_issue(user=world["chair"], scope="mine")
    feeds.token_revoke(user=world["chair"])
    # Django's request logger names the path of a 404 (settings keep it at ERROR; a deployment
    # may lower it): the token is masked whatever the level.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.request")
    assert fetch(client, token).status_code == 404
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert logged, "Django logs the 404 with its path"
    for record in caplog.records:
        assert token not in record.getMessage()
    assert any("/calendar/u/[token].ics" in record.getMessage() for record in logged)


def test_the_log_filter_masks_server_lines_and_drops_the_request(rf):
    token = "A" * 43
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        (f"GET /calendar/u/{token}.ics HTTP/1.1", "200", "1234"), None,
    )  # fmt: skip
    record.request = rf.get(f"/calendar/u/{token}.ics")
    assert TokenPathFilter().filter(record)
    assert token not in record.getMessage()
    assert "/calendar/u/[token].ics" in record.getMessage()
    assert record.request is None
    assert logging.getLogger("django.server").filters  # installed at start-up
