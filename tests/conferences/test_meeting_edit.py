"""One-off meetings created and edited in /staff/: who may, the version check, and the calendar
sequence raised by every change a calendar must see."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences import meetings
from conferences.models import (
    LegalBasis,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingVisibility,
    Participant,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    _, _, district = factories.area_tree()
    centre = factories.organisation()
    other = factories.organisation("別の事業所")
    chair = factories.user(organisations=[centre], can_chair=True, last_name="議長")
    member = factories.user(organisations=[centre], last_name="職員")
    return district, centre, other, chair, member


def _form_data(meeting_or_none=None, **overrides):
    data = {
        "title": "桜台 地域ケア個別会議",
        "kind": MeetingKind.INDIVIDUAL,
        "level": MeetingLevel.DISTRICT,
        "legal_basis": LegalBasis.LONG_TERM_CARE,
        "date": "2026-12-16",
        "starts": "14:00",
        "ends": "16:00",
        "place": "桜台地区会館 2階",
        "online_url": "",
        "visibility": MeetingVisibility.STAFF,
    }
    if meeting_or_none is not None:
        data["version"] = meeting_or_none.version
    return data | overrides


def test_create_a_one_off_meeting_in_tokyo_time(client, setting):
    district, centre, _, chair, member = setting
    client.force_login(member)
    page = client.get(reverse("staff:meeting_create")).text
    # The form explains what the legal basis decides.
    assert "recorded consent" in page or "本人同意" in page
    response = client.post(
        reverse("staff:meeting_create"),
        _form_data(area=district.code, organiser=centre.pk, chair=chair.pk, recorder=member.pk),
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:meeting_detail", args=[meeting.uid])
    local = timezone.localtime(meeting.starts_at)
    assert (local.date(), local.hour, local.minute) == (datetime.date(2026, 12, 16), 14, 0)
    assert str(local.tzinfo) == "Asia/Tokyo"
    assert meeting.starts_at == datetime.datetime(2026, 12, 16, 5, 0, tzinfo=datetime.UTC)
    assert meeting.chair == chair and meeting.recorder == member and meeting.organiser == centre
    assert meeting.legal_basis == LegalBasis.LONG_TERM_CARE
    assert meeting.status == Meeting.Status.PLANNED and meeting.version == 1
    # The chair and recorder take part, for the organiser.
    assert set(meeting.participants.values_list("user", "organisation", "role")) == {
        (chair.pk, centre.pk, Participant.Role.CHAIR),
        (member.pk, centre.pk, Participant.Role.RECORDER),
    }


def test_organiser_must_be_one_of_my_organisations(client, setting):
    district, _, other, _, member = setting
    client.force_login(member)
    response = client.post(
        reverse("staff:meeting_create"), _form_data(area=district.code, organiser=other.pk)
    )
    assert response.status_code == 200
    assert not Meeting.objects.exists()
    # What was typed is kept.
    assert "桜台地区会館 2階" in response.text


def test_chair_must_be_someone_who_may_chair(client, setting):
    district, centre, _, _, member = setting
    client.force_login(member)
    response = client.post(
        reverse("staff:meeting_create"),
        _form_data(area=district.code, organiser=centre.pk, chair=member.pk),
    )
    assert response.status_code == 200
    assert not Meeting.objects.exists()


def test_end_before_start_is_refused_with_a_reason(client, setting):
    district, centre, _, _, member = setting
    client.force_login(member)
    response = client.post(
        reverse("staff:meeting_create"),
        _form_data(area=district.code, organiser=centre.pk, starts="16:00", ends="14:00"),
    )
    assert response.status_code == 200
    assert not Meeting.objects.exists()
    assert "end after it starts" in response.text or "終了" in response.text


def test_only_the_organisers_members_chair_and_recorder_may_edit(client, setting):
    district, centre, other, _, member = setting
    meeting = factories.meeting(area=district, organiser=centre)
    outsider = factories.user(organisations=[other])
    outside_chair = factories.user(organisations=[other], can_chair=True)
    edit = reverse("staff:meeting_edit", args=[meeting.uid])

    client.force_login(outsider)
    assert client.get(edit).status_code == 404
    page = client.get(reverse("staff:meeting_detail", args=[meeting.uid])).text
    assert edit not in page
    cancel = reverse("staff:meeting_cancel", args=[meeting.uid])
    assert client.post(cancel, {"reason": "x"}).status_code == 404
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED

    client.force_login(member)
    assert client.get(edit).status_code == 200

    Meeting.objects.filter(pk=meeting.pk).update(chair=outside_chair)
    client.force_login(outside_chair)
    assert client.get(edit).status_code == 200


def test_edit_raises_the_sequence_only_for_what_a_calendar_sees(client, setting):
    district, centre, _, _, member = setting
    # On the minute, as the form has it.
    starts_at = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(days=7)
    meeting = factories.meeting(
        area=district,
        organiser=centre,
        title="元の題",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
    )
    client.force_login(member)
    edit = reverse("staff:meeting_edit", args=[meeting.uid])
    base = {"area": district.code, "organiser": centre.pk}
    local = timezone.localtime(meeting.starts_at)
    same_time = {
        "date": local.date().isoformat(),
        "starts": local.strftime("%H:%M"),
        "ends": timezone.localtime(meeting.ends_at).strftime("%H:%M"),
        "place": "",
        "legal_basis": "",
    }

    # A new title: a new version, same sequence.
    client.post(edit, _form_data(meeting, **base, **same_time, title="新しい題"))
    meeting.refresh_from_db()
    assert (meeting.title, meeting.version, meeting.sequence) == ("新しい題", 2, 0)

    # A new place: the calendar must see it.
    client.post(
        edit, _form_data(meeting, **base, **same_time | {"place": "区役所 3階"}, title="新しい題")
    )
    meeting.refresh_from_db()
    assert (meeting.place, meeting.version, meeting.sequence) == ("区役所 3階", 3, 1)

    # A new time.
    client.post(
        edit,
        _form_data(
            meeting,
            **base,
            **same_time | {"place": "区役所 3階", "starts": "09:30"},
            title="新しい題",
        ),
    )
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.starts_at).strftime("%H:%M") == "09:30"
    assert (meeting.version, meeting.sequence) == (4, 2)

    # A new online link.
    meetings.meeting_update(
        meeting=meeting, user=member, expected_version=4, online_url="https://meet.example.jp/a"
    )
    meeting.refresh_from_db()
    assert (meeting.version, meeting.sequence) == (5, 3)

    # Saving what is stored changes nothing.
    meetings.meeting_update(meeting=meeting, user=member, expected_version=5, title="新しい題")
    meeting.refresh_from_db()
    assert (meeting.version, meeting.sequence) == (5, 3)


def test_a_stale_save_is_refused_showing_what_is_stored_and_keeping_what_was_typed(client, setting):
    district, centre, _, chair, member = setting
    meeting = factories.meeting(area=district, organiser=centre, title="元の題")
    edit = reverse("staff:meeting_edit", args=[meeting.uid])
    local = timezone.localtime(meeting.starts_at)
    typed = _form_data(
        meeting,
        area=district.code,
        organiser=centre.pk,
        date=local.date().isoformat(),
        title="私の題",
        place="私の会場",
    )
    # Someone else saves first (as two open browser tabs would).
    meetings.meeting_update(
        meeting=meeting, user=chair, expected_version=1, title="他の人の題", place="他の会場"
    )
    client.force_login(member)
    response = client.post(edit, typed)
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert (meeting.title, meeting.place, meeting.version) == ("他の人の題", "他の会場", 2)
    html = response.text
    assert "他の人の題" in html and "他の会場" in html  # what is stored now
    assert 'value="私の題"' in html and 'value="私の会場"' in html  # what was typed
    assert 'name="version" value="2"' in html  # saving again is a knowing overwrite

    response = client.post(edit, typed | {"version": 2})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.place, meeting.version) == ("私の題", "私の会場", 3)


def test_stale_service_call_raises_with_the_current_meeting(setting):
    district, centre, _, chair, member = setting
    meeting = factories.meeting(area=district, organiser=centre)
    meetings.meeting_update(meeting=meeting, user=chair, expected_version=1, title="A")
    with pytest.raises(meetings.StaleMeeting) as stale:
        meetings.meeting_update(meeting=meeting, user=member, expected_version=1, title="B")
    assert stale.value.current.title == "A" and stale.value.current.version == 2


def test_a_new_chair_takes_part(setting):
    district, centre, other, _, member = setting
    meeting = meetings.meeting_create(
        user=member,
        title="会議",
        kind=MeetingKind.INDIVIDUAL,
        level=MeetingLevel.DISTRICT,
        area=district,
        starts_at=timezone.now() + datetime.timedelta(days=3),
        ends_at=timezone.now() + datetime.timedelta(days=3, hours=1),
        organiser=centre,
        recorder=member,
    )
    assert list(meeting.participants.values_list("user", "role")) == [(member.pk, "recorder")]
    outside_chair = factories.user(organisations=[other], can_chair=True)
    meetings.meeting_update(meeting=meeting, user=member, expected_version=1, chair=outside_chair)
    assert set(meeting.participants.values_list("user", "organisation", "role")) == {
        (member.pk, centre.pk, "recorder"),
        (outside_chair.pk, other.pk, "chair"),
    }
    # Saving again adds no one twice.
    meetings.meeting_update(meeting=meeting, user=member, expected_version=2, title="会議2")
    assert meeting.participants.count() == 2
