"""Status: held, cancelled with a reason (the record and agenda kept, the calendar sequence
raised); and the meeting list's filters."""

import datetime

import pytest
from django.urls import reverse

from conferences import meetings
from conferences.models import AgendaItem, Meeting, MeetingKind, MeetingLevel, Participant
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    city, _, district = factories.area_tree()
    centre = factories.organisation()
    member = factories.user(organisations=[centre])
    return city, district, centre, member


def test_cancel_with_a_reason_keeps_the_record_and_raises_the_sequence(client, setting):
    _, district, centre, member = setting
    meeting = factories.meeting(area=district, organiser=centre, title="桜台 個別会議")
    factories.agenda_item(meeting=meeting, title="報告事項")
    client.force_login(member)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    cancel = reverse("staff:meeting_cancel", args=[meeting.uid])
    assert client.get(cancel).status_code == 200

    # No reason: refused with a specific error.
    response = client.post(cancel, {"reason": "  ", "version": meeting.version})
    assert response.status_code == 200
    assert "Give the reason for cancelling." in response.text
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED

    response = client.post(cancel, {"reason": "台風接近のため", "version": meeting.version})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert meeting.cancellation_reason == "台風接近のため"
    assert meeting.cancelled_at is not None
    assert (meeting.sequence, meeting.version) == (1, 2)
    assert AgendaItem.objects.filter(meeting=meeting).count() == 1
    page = client.get(reverse("staff:meeting_detail", args=[meeting.uid])).text
    assert "台風接近のため" in page and "This meeting was cancelled" in page
    assert "報告事項" in page


def test_a_cancelled_meeting_cannot_be_marked_held(client, setting):
    _, district, centre, member = setting
    meeting = factories.meeting(
        area=district, organiser=centre, starts_in=-datetime.timedelta(days=1)
    )
    meetings.meeting_cancel(meeting=meeting, user=member, reason="中止")
    with pytest.raises(meetings.MeetingRefused):
        meetings.meeting_mark_held(meeting=meeting, user=member)
    client.force_login(member)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("staff:meeting_mark_held", args=[meeting.uid]), follow=True)
    assert "cannot be marked as held" in response.text
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    with pytest.raises(meetings.MeetingRefused):
        meetings.meeting_cancel(meeting=meeting, user=member, reason="again")


def test_mark_held_raises_the_sequence(client, setting):
    _, district, centre, member = setting
    meeting = factories.meeting(
        area=district, organiser=centre, starts_in=-datetime.timedelta(hours=3)
    )
    client.force_login(member)
    page = client.get(reverse("staff:meeting_detail", args=[meeting.uid])).text
    assert reverse("staff:meeting_mark_held", args=[meeting.uid]) in page
    client.post(reverse("staff:meeting_mark_held", args=[meeting.uid]), {"version": 1})
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == (Meeting.Status.HELD, 1)
    # A held meeting is not cancelled afterwards.
    with pytest.raises(meetings.MeetingRefused):
        meetings.meeting_cancel(meeting=meeting, user=member, reason="x")


def test_a_stale_cancel_is_refused(client, setting):
    _, district, centre, member = setting
    meeting = factories.meeting(area=district, organiser=centre)
    meetings.meeting_update(meeting=meeting, user=member, expected_version=1, place="別会場")
    client.force_login(member)
    response = client.post(
        reverse("staff:meeting_cancel", args=[meeting.uid]), {"reason": "中止", "version": 1}
    )
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED
    assert 'name="version" value="2"' in response.text and "中止" in response.text


def test_list_filters_and_cancelled_shown_as_such(client, setting):
    city, district, centre, member = setting
    other = factories.user(organisations=[centre])
    mine = factories.meeting(area=district, organiser=centre, title="私の会議", chair=member)
    factories.meeting(
        area=district,
        organiser=centre,
        title="研修会",
        kind=MeetingKind.WORKSHOP,
        chair=other,
    )
    city_meeting = factories.meeting(
        area=city, organiser=centre, title="区の推進会議", level=MeetingLevel.MUNICIPAL
    )
    Participant.objects.create(meeting=city_meeting, organisation=centre, user=member)
    cancelled = factories.meeting(area=district, organiser=centre, title="中止の会議")
    meetings.meeting_cancel(meeting=cancelled, user=member, reason="中止")
    client.force_login(member)
    url = reverse("staff:meeting_list")

    def titles(**params):
        html = client.get(url, params).text
        return {t for t in ("私の会議", "研修会", "区の推進会議", "中止の会議") if t in html}

    assert titles() == {"私の会議", "研修会", "区の推進会議", "中止の会議"}
    assert titles(kind=MeetingKind.WORKSHOP) == {"研修会"}
    assert titles(level=MeetingLevel.MUNICIPAL) == {"区の推進会議"}
    assert titles(area=district.code) == {"私の会議", "研修会", "中止の会議"}
    assert titles(area=city.code) == {"私の会議", "研修会", "区の推進会議", "中止の会議"}
    assert titles(status=Meeting.Status.CANCELLED) == {"中止の会議"}
    assert titles(mine="on") == {"私の会議", "区の推進会議"}
    assert titles(when="past") == set()
    html = client.get(url).text
    row = html[html.index("中止の会議") - 400 : html.index("中止の会議") + 400]
    assert "meeting--cancelled" in row
    assert reverse("staff:meeting_detail", args=[mine.uid]) in html
    # htmx gets only the results.
    fragment = client.get(url, {"kind": MeetingKind.WORKSHOP}, headers={
        "HX-Request": "true", "HX-Target": "meeting-results"}).text  # fmt: skip
    assert fragment.lstrip().startswith('<div id="meeting-results">') and "研修会" in fragment


def test_meeting_page_queries_do_not_grow_with_participants_and_cases(client, setting):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, district, centre, member = setting
    meeting = factories.meeting(area=district, organiser=centre, chair=member)
    client.force_login(member)
    url = reverse("staff:meeting_detail", args=[meeting.uid])

    def add(n):
        for i in range(n):
            org = factories.organisation(f"参加機関{meeting.participants.count()}-{i}")
            person = factories.user(organisations=[org])
            Participant.objects.create(
                meeting=meeting, organisation=org, user=person, is_external=i % 2 == 0
            )
            case = factories.case(district=district, lead=centre)
            factories.agenda_item(
                meeting=meeting, case=case, order=meeting.agenda_items.count() + 1
            )

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add(2)
    few = count()
    add(6)
    assert count() == few
