"""Series: presets stored as RRULE, meetings generated idempotently, the rule shown in natural
Japanese and English, and one occurrence moved or cancelled on its own."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conferences import meetings
from conferences.models import (
    LegalBasis,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingSeries,
    MeetingVisibility,
)
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)


@pytest.fixture
def setting():
    _, _, district = factories.area_tree()
    centre = factories.organisation()
    chair = factories.user(organisations=[centre], can_chair=True)
    return district, centre, chair


def _series(district, centre, **fields):
    defaults = {
        "title": "桜台 地域ケア会議",
        "kind": MeetingKind.DISTRICT_NETWORK,
        "level": MeetingLevel.DISTRICT,
        "area": district,
        "organiser": centre,
        "rrule": "FREQ=MONTHLY;BYDAY=3WE",
        "starts_on": TODAY,
        "start_time": datetime.time(14),
        "end_time": datetime.time(16),
        "place": "桜台地区会館",
        "legal_basis": LegalBasis.LONG_TERM_CARE,
        "visibility": MeetingVisibility.STAFF,
    }
    return meetings.series_create(user=None, today=TODAY, **(defaults | fields))


def _local_dates(series):
    return [
        timezone.localtime(m.starts_at).date()
        for m in Meeting.objects.filter(series=series).order_by("starts_at")
    ]


def test_monthly_third_wednesday_generates_a_year_of_meetings(setting):
    district, centre, chair = setting
    series = _series(district, centre, chair=chair)
    dates = _local_dates(series)
    assert dates[:3] == [
        datetime.date(2026, 12, 16),
        datetime.date(2027, 1, 20),
        datetime.date(2027, 2, 17),
    ]
    assert len(dates) == 12  # through 2027-11-17, within twelve months of today
    first = Meeting.objects.filter(series=series).order_by("starts_at").first()
    local = timezone.localtime(first.starts_at)
    assert (local.hour, timezone.localtime(first.ends_at).hour) == (14, 16)
    assert first.occurrence_on == datetime.date(2026, 12, 16)
    assert list(first.participants.values_list("user", "role")) == [(chair.pk, "chair")]
    assert (first.place, first.legal_basis, first.chair, first.organiser) == (
        "桜台地区会館",
        LegalBasis.LONG_TERM_CARE,
        chair,
        centre,
    )


def test_generating_again_adds_only_missing_occurrences(setting):
    district, centre, _ = setting
    series = _series(district, centre)
    assert meetings.series_generate(series=series, today=TODAY) == []
    assert Meeting.objects.filter(series=series).count() == 12
    # A month later the horizon has moved on by one occurrence.
    added = meetings.series_generate(series=series, today=TODAY + datetime.timedelta(days=31))
    assert [m.occurrence_on for m in added] == [datetime.date(2027, 12, 15)]
    assert Meeting.objects.filter(series=series).count() == 13


def test_until_ends_the_series(setting):
    district, centre, _ = setting
    series = _series(
        district, centre, rrule="FREQ=WEEKLY;BYDAY=TU", until=datetime.date(2026, 12, 31)
    )
    assert _local_dates(series) == [
        datetime.date(2026, 12, 1),
        datetime.date(2026, 12, 8),
        datetime.date(2026, 12, 15),
        datetime.date(2026, 12, 22),
        datetime.date(2026, 12, 29),
    ]


def test_every_other_week(setting):
    district, centre, _ = setting
    series = _series(
        district,
        centre,
        rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
        until=datetime.date(2027, 1, 31),
    )
    assert _local_dates(series) == [
        datetime.date(2026, 12, 4),
        datetime.date(2026, 12, 18),
        datetime.date(2027, 1, 1),
        datetime.date(2027, 1, 15),
        datetime.date(2027, 1, 29),
    ]


def test_moving_or_cancelling_one_occurrence_affects_only_it_and_is_not_regenerated(setting):
    district, centre, chair = setting
    series = _series(district, centre)
    first, second, third = Meeting.objects.filter(series=series).order_by("starts_at")[:3]
    moved_to = first.starts_at + datetime.timedelta(days=1)
    meetings.meeting_update(
        meeting=first,
        user=chair,
        expected_version=first.version,
        starts_at=moved_to,
        ends_at=moved_to + datetime.timedelta(hours=2),
    )
    meetings.meeting_cancel(meeting=second, user=chair, reason="年末のため")
    assert meetings.series_generate(series=series, today=TODAY) == []
    assert Meeting.objects.filter(series=series).count() == 12
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert timezone.localtime(first.starts_at).date() == datetime.date(2026, 12, 17)
    assert second.status == Meeting.Status.CANCELLED
    assert third.status == Meeting.Status.PLANNED and third.version == 1 and third.sequence == 0


def test_the_rule_reads_in_japanese_and_english(setting):
    district, centre, _ = setting
    series = _series(district, centre)
    with translation.override("ja"):
        assert meetings.series_rule_text(series) == "毎月第3水曜 14:00–16:00"
    with translation.override("en"):
        text = meetings.series_rule_text(series)
    assert "3rd Wednesday" in text and "14:00–16:00" in text
    biweekly = MeetingSeries(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO")
    with translation.override("ja"):
        assert meetings.series_rule_text(biweekly) == "隔週月曜"


def test_create_a_series_from_the_monthly_preset(client, setting):
    district, centre, chair = setting
    client.force_login(chair)
    assert client.get(reverse("staff:series_create")).status_code == 200
    response = client.post(
        reverse("staff:series_create"),
        {
            "title": "桜台 地域ケア会議",
            "kind": MeetingKind.DISTRICT_NETWORK,
            "level": MeetingLevel.DISTRICT,
            "area": district.code,
            "legal_basis": LegalBasis.LONG_TERM_CARE,
            "pattern": "monthly",
            "ordinal": "3",
            "weekday": "WE",
            "start_time": "14:00",
            "end_time": "16:00",
            "starts_on": "2027-01-01",
            "until": "2027-03-31",
            "place": "桜台地区会館",
            "organiser": centre.pk,
            "chair": chair.pk,
            "visibility": MeetingVisibility.STAFF,
        },
    )
    series = MeetingSeries.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:series_detail", args=[series.pk])
    assert series.rrule == "FREQ=MONTHLY;BYDAY=3WE"
    assert _local_dates(series) == [
        datetime.date(2027, 1, 20),
        datetime.date(2027, 2, 17),
        datetime.date(2027, 3, 17),
    ]
    page = client.get(response["Location"]).text
    assert "毎月第3水曜 14:00–16:00" in page
    # The meeting list links to the series the user's organisations run.
    series_url = reverse("staff:series_detail", args=[series.pk])
    assert series_url in client.get(reverse("staff:meeting_list")).text
    for meeting in Meeting.objects.filter(series=series):
        assert reverse("staff:meeting_detail", args=[meeting.uid]) in page
    # The button adds nothing twice.
    client.post(reverse("staff:series_generate", args=[series.pk]))
    assert Meeting.objects.filter(series=series).count() == 3


def test_monthly_preset_needs_the_week(client, setting):
    district, centre, chair = setting
    client.force_login(chair)
    response = client.post(
        reverse("staff:series_create"),
        {
            "title": "会議",
            "kind": MeetingKind.DISTRICT_NETWORK,
            "level": MeetingLevel.DISTRICT,
            "area": district.code,
            "pattern": "monthly",
            "weekday": "WE",
            "start_time": "14:00",
            "end_time": "16:00",
            "starts_on": "2027-01-01",
            "organiser": centre.pk,
            "visibility": MeetingVisibility.STAFF,
        },
    )
    assert response.status_code == 200
    assert not MeetingSeries.objects.exists()
    assert 'value="会議"' in response.text


def test_confidential_series_is_hidden_from_others(client, setting):
    district, centre, _ = setting
    series = _series(district, centre, visibility=MeetingVisibility.CONFIDENTIAL)
    outsider = factories.user(organisations=[factories.organisation("別の事業所")])
    client.force_login(outsider)
    assert client.get(reverse("staff:series_detail", args=[series.pk])).status_code == 404
    assert client.post(reverse("staff:series_generate", args=[series.pk])).status_code == 404


def test_meetings_recorded_without_an_occurrence_are_not_duplicated(setting):
    """Meetings of a series entered in the admin (or before occurrences were kept) count for
    the day they start on."""
    district, centre, _ = setting
    series = _series(district, centre, until=datetime.date(2027, 2, 28))
    Meeting.objects.filter(series=series).update(occurrence_on=None)
    assert meetings.series_generate(series=series, today=TODAY) == []
    assert Meeting.objects.filter(series=series).count() == 3


def test_editing_an_occurrence_says_it_affects_only_it(client, setting):
    district, centre, chair = setting
    series = _series(district, centre, chair=chair)
    meeting = Meeting.objects.filter(series=series).first()
    client.force_login(chair)
    page = client.get(
        reverse("staff:meeting_edit", args=[meeting.uid]), HTTP_ACCEPT_LANGUAGE="en"
    ).text
    assert "affect only this meeting" in page


def test_generating_at_the_same_moment_as_someone_else_adds_nothing_twice(setting, monkeypatch):
    """Two requests generating at once: the unique occurrence refuses the second insert, which
    then adds only what is still missing."""
    district, centre, _ = setting
    series = _series(district, centre, until=datetime.date(2027, 2, 28))
    Meeting.objects.filter(series=series, occurrence_on=datetime.date(2027, 2, 17)).delete()
    real = meetings._occurrences_taken
    calls = []

    def stale_first(**kwargs):
        calls.append(1)
        # The first look misses what the other request has just written.
        return set() if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(meetings, "_occurrences_taken", stale_first)
    added = meetings.series_generate(series=series, today=TODAY)
    assert [m.occurrence_on for m in added] == [datetime.date(2027, 2, 17)]
    assert sorted(_local_dates(series)) == [
        datetime.date(2026, 12, 16),
        datetime.date(2027, 1, 20),
        datetime.date(2027, 2, 17),
    ]


def test_preview_shows_how_the_series_reads_and_saves_nothing(client, setting):
    _, _, chair = setting
    client.force_login(chair)
    response = client.post(
        reverse("staff:series_create"),
        {
            "action": "preview",
            "pattern": "biweekly",
            "weekday": "TU",
            "start_time": "10:00",
            "end_time": "11:30",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "隔週火曜 10:00–11:30" in response.text
    assert "<form" not in response.text
    assert not MeetingSeries.objects.exists()
    # Incomplete: nothing to show yet.
    response = client.post(
        reverse("staff:series_create"),
        {"action": "preview", "pattern": "monthly", "weekday": "TU"},
        headers={"HX-Request": "true"},
    )
    assert "series-preview" not in response.text
