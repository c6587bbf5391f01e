import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import (
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingSeries,
    MeetingVisibility,
    Minutes,
    Participant,
)
from districts.wareki import format_wareki
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    _, _, district = factories.area_tree()
    centre = factories.organisation()
    other = factories.organisation("別の事業所")
    return district, centre, other


def test_confidential_meeting_is_hidden_from_staff_who_do_not_take_part(client, setting):
    district, centre, other = setting
    secret = factories.meeting(
        area=district,
        organiser=centre,
        title="要対協 個別ケース検討会議",
        visibility=MeetingVisibility.CONFIDENTIAL,
    )
    insider = factories.user(organisations=[centre])
    factories.participant(meeting=secret, user=insider, organisation=centre)
    outsider = factories.user(organisations=[other])

    # (The kind filter names 要対協 meetings too: look for the meeting itself.)
    client.force_login(outsider)
    assert str(secret.uid) not in client.get(reverse("staff:meeting_list")).text
    assert client.get(reverse("staff:meeting_detail", args=[secret.uid])).status_code == 404

    client.force_login(insider)
    assert str(secret.uid) in client.get(reverse("staff:meeting_list")).text
    assert client.get(reverse("staff:meeting_detail", args=[secret.uid])).status_code == 200


def test_meeting_list_splits_upcoming_and_past(client, setting):
    district, centre, _ = setting
    factories.meeting(area=district, organiser=centre, title="来週の会議")
    factories.meeting(
        area=district,
        organiser=centre,
        title="先月の会議",
        starts_in=-datetime.timedelta(days=30),
    )
    client.force_login(factories.user(organisations=[centre]))
    upcoming = client.get(reverse("staff:meeting_list")).text
    past = client.get(reverse("staff:meeting_list"), {"when": "past"}).text
    assert "来週の会議" in upcoming and "先月の会議" not in upcoming
    assert "先月の会議" in past and "来週の会議" not in past


def test_my_schedule_lists_meetings_i_take_part_in_for_90_days(client, setting):
    district, centre, _ = setting
    me = factories.user(organisations=[centre])
    mine = factories.meeting(area=district, organiser=centre, title="私が出る会議")
    factories.participant(meeting=mine, user=me, organisation=centre, role=Participant.Role.MEMBER)
    factories.meeting(area=district, organiser=centre, title="私が議長の会議", chair=me)
    factories.meeting(area=district, organiser=centre, title="他人の会議")
    later = factories.meeting(
        area=district,
        organiser=centre,
        title="半年後の会議",
        starts_in=datetime.timedelta(days=180),
    )
    factories.participant(meeting=later, user=me, organisation=centre)
    client.force_login(me)
    html = client.get(reverse("staff:my_schedule")).text
    assert "私が出る会議" in html and "私が議長の会議" in html
    assert "他人の会議" not in html and "半年後の会議" not in html


def test_dashboard_shows_my_meetings_open_actions_and_case_count(
    client, setting, django_assert_max_num_queries
):
    district, centre, other = setting
    me = factories.user("me", organisations=[centre], first_name="花子", last_name="山田")
    meeting = factories.meeting(
        area=district, organiser=centre, title="桜台 地域ケア会議", chair=me
    )
    item = factories.agenda_item(meeting=meeting)
    factories.action_item(
        agenda_item=item, organisation=centre, assignee=me, description="家族に連絡"
    )
    factories.action_item(
        agenda_item=item,
        organisation=centre,
        assignee=me,
        description="済んだ作業",
        status="done",
    )
    factories.action_item(agenda_item=item, organisation=other, description="他機関の作業")
    factories.case(district=district, lead=centre)
    factories.case(district=district, lead=centre)
    factories.case(district=district, lead=other)

    client.force_login(me)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("staff:dashboard")).text
    assert "桜台 地域ケア会議" in html
    assert "家族に連絡" in html
    assert "済んだ作業" not in html and "他機関の作業" not in html
    assert 'data-count="2"' in html


def test_meeting_page_shows_series_minutes_state_and_participants(client, setting):
    district, centre, _ = setting
    recorder = factories.user(organisations=[centre], first_name="太郎", last_name="記録")
    series = MeetingSeries.objects.create(
        title="桜台 地域ケア会議（毎月第3水曜）",
        kind=MeetingKind.DISTRICT_NETWORK,
        level=MeetingLevel.DISTRICT,
        area=district,
        rrule="FREQ=MONTHLY;BYDAY=3WE",
        organiser=centre,
    )
    meeting = factories.meeting(
        area=district,
        organiser=centre,
        series=series,
        starts_in=-datetime.timedelta(days=10),
        status=Meeting.Status.HELD,
    )
    factories.participant(meeting=meeting, user=recorder, organisation=centre)
    url = reverse("staff:meeting_detail", args=[meeting.uid])
    client.force_login(recorder)
    html = client.get(url).text
    assert "桜台 地域ケア会議（毎月第3水曜）" in html
    assert "記録 太郎" in html or "太郎 記録" in html

    Minutes.objects.create(
        meeting=meeting,
        status=Minutes.Status.APPROVED,
        approved_by=recorder,
        approved_at=timezone.now(),
    )
    html = client.get(url).text
    assert str(Minutes.Status.APPROVED.label) in html
    assert format_wareki(timezone.localdate()) in html


def test_meeting_page_shows_draft_minutes_only_to_their_writers_until_approved(client, setting):
    district, centre, _ = setting
    recorder = factories.user(organisations=[centre])
    colleague = factories.user(organisations=[centre])
    meeting = factories.meeting(area=district, organiser=centre, recorder=recorder)
    factories.agenda_item(meeting=meeting, summary="草稿の要約：まだ確定していない")
    minutes = Minutes.objects.create(meeting=meeting)
    url = reverse("staff:meeting_detail", args=[meeting.uid])

    client.force_login(colleague)
    assert "草稿の要約" not in client.get(url).text
    client.force_login(recorder)
    assert "草稿の要約" in client.get(url).text

    minutes.status = Minutes.Status.APPROVED
    minutes.approved_at = timezone.now()
    minutes.save()
    client.force_login(colleague)
    assert "草稿の要約" in client.get(url).text
