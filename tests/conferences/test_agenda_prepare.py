"""議題を準備: case reviews due before the next meeting of the series, within the meeting's scope,
through the consent gate; carried-over open actions; running it again adds nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences import agenda
from conferences.models import (
    ActionItem,
    AgendaItem,
    AuditEvent,
    Case,
    LegalBasis,
    Meeting,
    MeetingSeries,
    Participant,
)
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def world():
    city, region, district = factories.area_tree()
    elsewhere = factories.area_tree()[2]
    centre = factories.organisation("桜台地域包括支援センター")
    care = factories.organisation("若葉ケアプランセンター", kind=Organisation.Kind.CARE_PROVIDER)
    chair = factories.user("chair", organisations=[centre], can_chair=True)
    series = MeetingSeries.objects.create(
        title="桜台 地域ケア個別会議",
        kind="individual",
        level="district",
        area=region,
        rrule="FREQ=MONTHLY;BYDAY=3WE",
        organiser=centre,
    )

    def meeting(days, **fields):
        return factories.meeting(
            area=region,
            organiser=centre,
            chair=chair,
            series=series,
            legal_basis=LegalBasis.LONG_TERM_CARE,
            starts_in=datetime.timedelta(days=days),
            **fields,
        )

    earlier = meeting(-28, status=Meeting.Status.HELD)
    this = meeting(7)
    following = meeting(35)
    today = timezone.localdate()

    def case(code, lead=centre, district=district, review_in=20, **fields):
        return factories.case(
            district=district,
            lead=lead,
            code=code,
            next_review_on=today + review_in * DAY if review_in is not None else None,
            **fields,
        )

    return {
        "city": city,
        "region": region,
        "district": district,
        "elsewhere": elsewhere,
        "centre": centre,
        "care": care,
        "chair": chair,
        "series": series,
        "earlier": earlier,
        "this": this,
        "following": following,
        "case": case,
        "today": today,
    }


def prefilled_codes(meeting):
    return list(
        AgendaItem.objects.filter(meeting=meeting, kind=AgendaItem.Kind.CASE_REVIEW)
        .order_by("order")
        .values_list("case__code", flat=True)
    )


def test_prefill_takes_due_cases_of_the_meeting_scope(world):
    case = world["case"]
    led_here = case("K-LED", review_in=20)  # organiser leads, district under the area
    overdue = case("K-OVERDUE", review_in=-5)  # overdue reviews count too
    # On an earlier meeting of the series, though led by someone else elsewhere.
    followed = case("K-FOLLOWED", lead=world["care"], district=world["elsewhere"], review_in=30)
    factories.agenda_item(meeting=world["earlier"], order=1, case=followed)
    case("K-LATER", review_in=40)  # after the following meeting (in 35 days)
    case("K-NOREVIEW", review_in=None)
    case("K-CLOSED", review_in=10, status=Case.Status.CLOSED)
    case("K-OTHERLEAD", lead=world["care"], review_in=10)  # not the organiser's, never on it
    case("K-ELSEWHERE", district=world["elsewhere"], review_in=10)  # outside the area

    report = agenda.agenda_prefill(meeting=world["this"], user=world["chair"])

    assert prefilled_codes(world["this"]) == ["K-OVERDUE", "K-LED", "K-FOLLOWED"]
    assert [item.case for item in report.added] == [overdue, led_here, followed]
    item = AgendaItem.objects.get(meeting=world["this"], case=led_here)
    assert item.presenting_organisation == world["centre"]
    assert report.refused == []
    assert AuditEvent.objects.filter(detail="agenda:prefill").count() == 3


def test_without_a_following_meeting_the_window_is_31_days(world):
    world["following"].delete()
    world["case"]("K-IN", review_in=7 + 30)
    world["case"]("K-OUT", review_in=7 + 32)
    agenda.agenda_prefill(meeting=world["this"], user=world["chair"])
    assert prefilled_codes(world["this"]) == ["K-IN"]


def test_a_cancelled_following_meeting_does_not_end_the_window(world):
    world["following"].status = Meeting.Status.CANCELLED
    world["following"].save()
    assert agenda.prefill_window_end(meeting=world["this"]) == (
        timezone.localdate(world["this"].starts_at) + 31 * DAY
    )


def test_prefill_skips_cases_already_on_the_agenda_and_running_it_twice_adds_nothing(world):
    on_it = world["case"]("K-ON", review_in=10)
    world["case"]("K-NEW", review_in=12)
    factories.agenda_item(meeting=world["this"], order=1, case=on_it, title="手で追加")
    source = factories.agenda_item(meeting=world["earlier"], order=1)
    factories.action_item(agenda_item=source, organisation=world["care"])

    first = agenda.agenda_prefill(meeting=world["this"], user=world["chair"])
    snapshot = list(
        AgendaItem.objects.filter(meeting=world["this"]).values_list("pk", "order", "case_id")
    )
    second = agenda.agenda_prefill(meeting=world["this"], user=world["chair"])

    assert [item.case.code for item in first.added] == ["K-NEW"]
    assert second.added == [] and second.refused == []
    assert second.carried == first.carried
    assert snapshot == list(
        AgendaItem.objects.filter(meeting=world["this"]).values_list("pk", "order", "case_id")
    )
    assert first.carried.carried_actions.count() == 1


def test_prefill_reports_the_cases_the_consent_gate_refuses(world, client):
    this = world["this"]
    this.legal_basis = LegalBasis.NONE
    this.save()
    Participant.objects.create(meeting=this, organisation=world["care"])
    world["case"]("K-NOCONSENT", review_in=10)
    covered = world["case"]("K-COVERED", review_in=11)
    covered.consents.create(given_on=world["today"], scope="全機関", covers_all=True)

    report = agenda.agenda_prefill(meeting=this, user=world["chair"])
    assert prefilled_codes(this) == ["K-COVERED"]
    assert [(case.code, [org.name for org in orgs]) for case, orgs in report.refused] == [
        ("K-NOCONSENT", ["若葉ケアプランセンター"])
    ]

    # Through the page: a plain POST is redirected, and the builder says what was refused.
    AgendaItem.objects.filter(meeting=this).delete()
    client.force_login(world["chair"])
    response = client.post(reverse("staff:agenda_prepare", args=[this.uid]))
    assert response.status_code == 302
    page = client.get(response.url).text
    assert "K-NOCONSENT" in page and "若葉ケアプランセンター" in page
    # Shown once.
    assert "agenda-report" not in client.get(response.url).text


def test_prefill_through_htmx_returns_the_builder_with_the_report(world, client):
    world["case"]("K-DUE", review_in=10)
    client.force_login(world["chair"])
    response = client.post(
        reverse("staff:agenda_prepare", args=[world["this"].uid]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="agenda-builder"' in response.text and "K-DUE" in response.text
    assert "agenda-report" in response.text


# Carrying over


def test_carry_over_holds_open_actions_of_earlier_series_meetings_and_of_listed_cases(world):
    care, centre = world["care"], world["centre"]
    series_item = factories.agenda_item(meeting=world["earlier"], order=1)
    open_in_series = factories.action_item(
        agenda_item=series_item, organisation=care, description="家族に連絡"
    )
    factories.action_item(agenda_item=series_item, organisation=care, status=ActionItem.Status.DONE)
    # A case on this agenda, discussed at a meeting of another series.
    listed = world["case"]("K-LISTED", review_in=None)
    other_meeting = factories.meeting(area=world["district"], organiser=care, starts_in=-10 * DAY)
    other_item = factories.agenda_item(meeting=other_meeting, case=listed)
    on_case = factories.action_item(
        agenda_item=other_item, organisation=centre, case=listed, due_in_days=3
    )
    # Neither in the series nor on a listed case.
    unrelated = factories.meeting(area=world["district"], organiser=care, starts_in=-10 * DAY)
    factories.action_item(agenda_item=factories.agenda_item(meeting=unrelated), organisation=care)
    factories.agenda_item(meeting=world["this"], order=1, case=listed)

    item = agenda.carry_over_open_actions(meeting=world["this"])

    assert item.kind == AgendaItem.Kind.CARRIED_OVER and item.order == 2
    assert list(item.carried_actions.order_by("due_on")) == [on_case, open_in_series]
    # Again: the same item, nothing added.
    assert agenda.carry_over_open_actions(meeting=world["this"]) == item
    assert AgendaItem.objects.filter(meeting=world["this"]).count() == 2
    assert item.carried_actions.count() == 2

    # A new open action later joins the same item.
    newer = factories.action_item(agenda_item=series_item, organisation=care)
    agenda.carry_over_open_actions(meeting=world["this"])
    assert newer in item.carried_actions.all()


def test_nothing_to_carry_makes_no_item(world):
    assert agenda.carry_over_open_actions(meeting=world["this"]) is None
    assert not AgendaItem.objects.filter(meeting=world["this"]).exists()


def test_actions_of_later_meetings_are_not_carried_back(world):
    item = factories.agenda_item(meeting=world["following"], order=1)
    factories.action_item(agenda_item=item, organisation=world["care"])
    assert agenda.carry_over_open_actions(meeting=world["this"]) is None


def test_the_builder_shows_carried_actions_with_organisation_person_and_due_date(world, client):
    series_item = factories.agenda_item(meeting=world["earlier"], order=1)
    person = factories.user("tanaka", first_name="花子", last_name="田中")
    factories.action_item(
        agenda_item=series_item,
        organisation=world["care"],
        assignee=person,
        description="訪問日程の調整",
    )
    agenda.carry_over_open_actions(meeting=world["this"])
    client.force_login(world["chair"])
    page = client.get(reverse("staff:agenda_builder", args=[world["this"].uid])).text
    assert "訪問日程の調整" in page and "若葉ケアプランセンター" in page
    assert "花子" in page
    assert "期限" in page or "due" in page
