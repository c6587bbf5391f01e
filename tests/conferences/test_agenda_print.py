"""The two prints: the participants' agenda (case codes only) and the chair's run of show (start
times and the reader's own private notes), A4 print stylesheet, each print audited as an export."""

import datetime

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from conferences.models import AuditEvent, LegalBasis, PrivateNote
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    care = factories.organisation("若葉ケアプランセンター", kind=Organisation.Kind.CARE_PROVIDER)
    chair = factories.user("chair", organisations=[centre], can_chair=True)
    recorder = factories.user("recorder", organisations=[care])
    member = factories.user("member", organisations=[care])
    start = timezone.make_aware(datetime.datetime(2026, 12, 16, 14, 0))
    meeting = factories.meeting(
        area=district,
        organiser=centre,
        chair=chair,
        recorder=recorder,
        legal_basis=LegalBasis.LONG_TERM_CARE,
        title="桜台 地域ケア個別会議",
        starts_in=datetime.timedelta(0),
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )
    factories.participant(meeting=meeting, user=member, organisation=care)
    case = factories.case(district=district, lead=centre, code="K-PRINT-1")
    report = factories.agenda_item(
        meeting=meeting,
        order=1,
        title="見守りネットワークの報告",
        minutes_allotted=20,
        presenting_organisation=care,
    )
    review = factories.agenda_item(
        meeting=meeting,
        order=2,
        case=case,
        title="退院後の独居生活の支援",
        minutes_allotted=30,
        presenting_organisation=centre,
    )
    PrivateNote.objects.create(agenda_item=review, author=chair, text="家族の意向を先に確認")
    PrivateNote.objects.create(agenda_item=review, author=recorder, text="記録係のメモ")
    return {
        "meeting": meeting,
        "case": case,
        "chair": chair,
        "recorder": recorder,
        "member": member,
        "report": report,
        "review": review,
    }


def url(name, meeting):
    return reverse(f"staff:{name}", args=[meeting.uid])


def test_participants_agenda_shows_times_items_organisations_and_case_codes_only(client, world):
    client.force_login(world["member"])
    response = client.get(url("agenda_print", world["meeting"]))
    assert response.status_code == 200
    page = response.text
    assert "14:00–14:20" in page and "14:20–14:50" in page
    assert "見守りネットワークの報告" in page and "若葉ケアプランセンター" in page
    assert "K-PRINT-1" in page
    assert "退院後の独居生活の支援" not in page  # a case item's title never
    assert "家族の意向" not in page and "記録係のメモ" not in page
    assert "css/print.css" in page
    assert "K-PRINT-1" not in page.split("<title>")[1].split("</title>")[0]
    event = AuditEvent.objects.get()
    assert (event.user, event.case, event.action, event.meeting, event.detail) == (
        world["member"],
        world["case"],
        AuditEvent.Action.EXPORT,
        world["meeting"],
        "agenda:print",
    )


def test_run_of_show_has_start_times_and_only_the_readers_own_notes(client, world):
    client.force_login(world["chair"])
    response = client.get(url("agenda_run_of_show", world["meeting"]))
    assert response.status_code == 200
    page = response.text
    assert "14:00" in page and "14:20" in page and "15:00" in page
    assert "家族の意向を先に確認" in page
    assert "記録係のメモ" not in page
    assert AuditEvent.objects.get().action == AuditEvent.Action.EXPORT

    client.force_login(world["recorder"])
    page = client.get(url("agenda_run_of_show", world["meeting"])).text
    assert "記録係のメモ" in page and "家族の意向を先に確認" not in page


def test_run_of_show_is_the_chairs_and_recorders_only(client, world):
    client.force_login(world["member"])
    assert client.get(url("agenda_run_of_show", world["meeting"])).status_code == 404
    assert not AuditEvent.objects.exists()
    page = client.get(url("agenda_builder", world["meeting"])).text
    assert url("agenda_run_of_show", world["meeting"]) not in page


def test_run_of_show_warns_when_the_items_overrun_the_meeting(client, world):
    world["report"].minutes_allotted = 45
    world["report"].save()
    client.force_login(world["chair"])
    page = client.get(url("agenda_run_of_show", world["meeting"])).text
    assert "75" in page and "15" in page  # 75 of 60, over by 15
    assert "⚠" in page


def test_a_case_the_reader_may_not_see_is_not_named_in_the_print(client, world):
    stranger = factories.user("stranger", organisations=[factories.organisation("遠くの機関")])
    client.force_login(stranger)
    page = client.get(url("agenda_print", world["meeting"])).text
    assert "K-PRINT-1" not in page
    assert not AuditEvent.objects.exists()


def test_the_print_stylesheet_sets_a4_and_10_5pt_and_hides_navigation():
    css = open(finders.find("css/print.css"), encoding="utf-8").read()
    assert "size: A4" in css
    assert "10.5pt" in css
    assert ".staff-header" in css and "display: none" in css
    assert "break-inside: avoid" in css


def test_carried_actions_on_a_case_show_its_code_only_in_the_participants_print(client, world):
    meeting = world["meeting"]
    earlier = factories.meeting(
        area=meeting.area, organiser=meeting.organiser, starts_in=-datetime.timedelta(days=30)
    )
    # The action's own case field is empty: its agenda item says which case it is about.
    on_case = factories.agenda_item(meeting=earlier, case=world["case"])
    action = factories.action_item(
        agenda_item=on_case,
        organisation=world["review"].presenting_organisation,
        description="服薬の状況を訪問で確認",
    )
    carried = factories.agenda_item(meeting=meeting, order=3, kind="carried_over", title="持ち越し")
    carried.carried_actions.add(action)

    client.force_login(world["member"])
    page = client.get(url("agenda_print", meeting)).text
    assert "服薬の状況" not in page
    assert page.count("K-PRINT-1") == 2  # the case item and the action on it

    client.force_login(world["chair"])
    page = client.get(url("agenda_run_of_show", meeting)).text
    assert "服薬の状況を訪問で確認" in page

    stranger = factories.user("stranger", organisations=[factories.organisation("遠くの機関")])
    client.force_login(stranger)
    page = client.get(reverse("staff:agenda_builder", args=[meeting.uid])).text
    assert "服薬の状況" not in page and "K-PRINT-1" not in page
