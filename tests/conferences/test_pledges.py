"""Participants by organisation and person, and confidentiality pledges (誓約書): an outside
participant sees no case material of a meeting until their pledge covers it."""

import datetime

import pytest
from django.urls import reverse

from conferences.models import (
    AuditEvent,
    MeetingKind,
    MeetingLevel,
    MeetingSeries,
    Participant,
    Pledge,
)
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

HIDDEN = "Case (not shared with you)"


@pytest.fixture
def setting():
    _, _, district = factories.area_tree()
    centre = factories.organisation()
    council = factories.organisation(
        "民生委員児童委員協議会", kind=Organisation.Kind.COMMISSIONED_VOLUNTEER
    )
    organiser = factories.user(organisations=[centre], last_name="主催")
    volunteer = factories.user(organisations=[council], last_name="民生")
    series = MeetingSeries.objects.create(
        title="桜台 地域ケア会議",
        kind=MeetingKind.DISTRICT_NETWORK,
        level=MeetingLevel.DISTRICT,
        area=district,
        rrule="FREQ=MONTHLY;BYDAY=3WE",
        organiser=centre,
    )
    meeting = factories.meeting(area=district, organiser=centre, series=series)
    case = factories.case(district=district, lead=centre, code="K-SECRET-1")
    factories.agenda_item(meeting=meeting, case=case, title="K-SECRET-1 の支援方針")
    return district, centre, council, organiser, volunteer, series, meeting, case


def _page(client, user, meeting):
    client.force_login(user)
    return client.get(reverse("staff:meeting_detail", args=[meeting.uid]))


def test_outside_participant_sees_the_case_only_once_their_pledge_covers_the_meeting(
    client, setting, settings
):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    _, centre, council, organiser, volunteer, _, meeting, case = setting
    client.force_login(organiser)
    client.post(
        reverse("staff:meeting_participant_add", args=[meeting.uid]),
        {
            "membership": volunteer.memberships.get().pk,
            "role": Participant.Role.MEMBER,
            "is_external": "on",
        },
    )
    participant = Participant.objects.get(meeting=meeting, user=volunteer)
    assert participant.is_external and participant.organisation == council

    # Without a pledge: the item is there, its case material is not.
    html = _page(client, volunteer, meeting).text
    assert HIDDEN in html
    assert "K-SECRET-1" not in html
    assert not AuditEvent.objects.filter(user=volunteer, case=case).exists()
    # The organiser sees who still needs a pledge.
    html = _page(client, organiser, meeting).text
    assert "Needs a pledge" in html and 'data-pledges-needed="1"' in html

    client.force_login(organiser)
    response = client.post(
        reverse("staff:meeting_pledge_add", args=[meeting.uid]),
        {"participant": participant.pk, "signed_on": "2026-12-01", "scope": "meeting"},
    )
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert (pledge.user, pledge.organisation, pledge.meeting, pledge.recorded_by) == (
        volunteer,
        council,
        meeting,
        organiser,
    )

    html = _page(client, volunteer, meeting).text
    assert HIDDEN not in html
    assert "K-SECRET-1" in html
    # Seeing the case material is a read of case data: audited, with no case content.
    event = AuditEvent.objects.get(user=volunteer, case=case)
    assert (event.action, event.meeting, event.detail, event.organisation) == (
        AuditEvent.Action.VIEW,
        meeting,
        "staff:meeting_detail",
        council,  # the organisation they take part for
    )
    # The organiser reads it through their organisation's role on the case.
    events = AuditEvent.objects.filter(user=organiser, case=case)
    assert events.exists() and {event.organisation for event in events} == {centre}
    html = _page(client, organiser, meeting).text
    assert "Needs a pledge" not in html


def test_a_series_pledge_covers_every_meeting_of_the_series(client, setting):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    district, centre, _, organiser, volunteer, series, meeting, case = setting
    later = factories.meeting(
        area=district, organiser=centre, series=series, starts_in=datetime.timedelta(days=35)
    )
    factories.agenda_item(meeting=later, case=case, title="K-SECRET-1 の経過")
    for each in (meeting, later):
        Participant.objects.create(
            meeting=each, organisation=volunteer.memberships.get().organisation,
            user=volunteer, is_external=True,
        )  # fmt: skip
    participant = Participant.objects.get(meeting=meeting, user=volunteer)
    client.force_login(organiser)
    client.post(
        reverse("staff:meeting_pledge_add", args=[meeting.uid]),
        {"participant": participant.pk, "signed_on": "2026-12-01", "scope": "series"},
    )
    assert Pledge.objects.get().series == series
    assert "K-SECRET-1" in _page(client, volunteer, later).text


def test_a_meeting_pledge_does_not_cover_the_next_meeting(client, setting):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    district, centre, council, _, volunteer, series, meeting, case = setting
    later = factories.meeting(
        area=district, organiser=centre, series=series, starts_in=datetime.timedelta(days=35)
    )
    factories.agenda_item(meeting=later, case=case, title="K-SECRET-1 の経過")
    Participant.objects.create(
        meeting=later, organisation=council, user=volunteer, is_external=True
    )
    Pledge.objects.create(
        user=volunteer, organisation=council, signed_on=datetime.date(2026, 12, 1),
        scope=Pledge.Scope.MEETING, meeting=meeting,
    )  # fmt: skip
    html = _page(client, volunteer, later).text
    assert HIDDEN in html and "K-SECRET-1" not in html


def test_a_professional_participant_needs_no_pledge(client, setting):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    *_, meeting, _ = setting
    nurse_org = factories.organisation("桜台こども家庭センター")
    nurse = factories.user(organisations=[nurse_org])
    Participant.objects.create(meeting=meeting, organisation=nurse_org, user=nurse)
    html = _page(client, nurse, meeting).text
    assert "K-SECRET-1" in html and HIDDEN not in html


def test_person_without_an_account_and_their_pledge(client, setting):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    _, _, council, organiser, _, _, meeting, _ = setting
    client.force_login(organiser)
    add = reverse("staff:meeting_participant_add", args=[meeting.uid])
    client.post(
        add,
        {
            "organisation": council.pk,
            "person_name": "山田 花子",
            "role": Participant.Role.ADVISOR,
            "is_external": "on",
        },
    )
    participant = Participant.objects.get(meeting=meeting, person_name="山田 花子")
    assert participant.user is None and participant.role == Participant.Role.ADVISOR
    html = _page(client, organiser, meeting).text
    assert "山田 花子" in html and "Needs a pledge" in html

    client.post(
        reverse("staff:meeting_pledge_add", args=[meeting.uid]),
        {"participant": participant.pk, "signed_on": "2026-12-01", "scope": "meeting"},
    )
    pledge = Pledge.objects.get()
    assert (pledge.person_name, pledge.user, pledge.organisation) == ("山田 花子", None, council)
    assert "Needs a pledge" not in _page(client, organiser, meeting).text

    # The same person twice is refused, with the reason, keeping what was typed.
    response = client.post(
        add, {"organisation": council.pk, "person_name": "山田 花子", "role": "member"}
    )
    assert response.status_code == 400
    assert "already on the meeting" in response.text
    assert Participant.objects.filter(meeting=meeting).count() == 1


def test_participant_form_needs_a_person_or_an_organisation(client, setting):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    _, _, _, organiser, _, _, meeting, _ = setting
    client.force_login(organiser)
    response = client.post(
        reverse("staff:meeting_participant_add", args=[meeting.uid]),
        {"person_name": "名前だけ", "role": "member"},
    )
    assert response.status_code == 400
    assert "Choose a person with an account, or the organisation" in response.text
    assert 'value="名前だけ"' in response.text
    assert not Participant.objects.filter(meeting=meeting).exists()


def test_remove_a_participant_and_htmx_gets_the_section(client, setting):
    _, centre, _, organiser, _, _, meeting, _ = setting
    participant = Participant.objects.create(meeting=meeting, organisation=centre, user=organiser)
    client.force_login(organiser)
    response = client.post(
        reverse("staff:meeting_participant_remove", args=[meeting.uid, participant.pk]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="meeting-participants"')
    assert not Participant.objects.filter(pk=participant.pk).exists()


def test_only_editors_manage_participants(client, setting):
    _, centre, _, _, volunteer, _, meeting, _ = setting
    client.force_login(volunteer)
    response = client.post(
        reverse("staff:meeting_participant_add", args=[meeting.uid]),
        {"organisation": centre.pk, "role": "member"},
    )
    assert response.status_code == 404
    assert not Participant.objects.filter(meeting=meeting).exists()


def test_find_offers_people_of_an_organisation_outside_the_area_keeping_what_was_typed(
    client, setting
):
    _, _, council, organiser, volunteer, _, meeting, _ = setting
    client.force_login(organiser)
    url = reverse("staff:meeting_participant_add", args=[meeting.uid])
    page = client.get(reverse("staff:meeting_detail", args=[meeting.uid])).text
    membership = volunteer.memberships.get()
    assert f'<option value="{membership.pk}"' not in page
    response = client.post(
        url, {"action": "find", "find": "民生委員", "role": "advisor", "person_name": "仮"}
    )
    assert response.status_code == 200
    assert f'<option value="{membership.pk}"' in response.text
    assert f'<option value="{council.pk}"' in response.text
    assert 'value="仮"' in response.text
    assert not Participant.objects.filter(meeting=meeting).exists()
