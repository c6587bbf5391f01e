"""The agenda builder: who may build, adding each kind of item, the consent gate, reordering
(whole order, refused when stale), minutes and the running total, removing, constant queries."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conferences import agenda
from conferences.models import (
    ActionItem,
    AgendaItem,
    AuditEvent,
    Consent,
    LegalBasis,
    MeetingSeries,
    MeetingVisibility,
    Participant,
)
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    city, _region, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    care = factories.organisation("若葉ケアプランセンター", kind=Organisation.Kind.CARE_PROVIDER)
    far = factories.organisation("遠くの医療機関", kind=Organisation.Kind.MEDICAL)
    chair = factories.user("chair", organisations=[care], can_chair=True)
    recorder = factories.user("recorder", organisations=[care])
    organiser_staff = factories.user("organiser_staff", organisations=[centre])
    stranger = factories.user("stranger", organisations=[far])
    meeting = factories.meeting(
        area=district,
        organiser=centre,
        chair=chair,
        recorder=recorder,
        legal_basis=LegalBasis.LONG_TERM_CARE,
        title="桜台 地域ケア個別会議",
    )
    factories.participant(meeting=meeting, user=chair, organisation=care)
    case = factories.case(district=district, lead=centre, others=[care], code="K-AG-1")
    return {
        "city": city,
        "district": district,
        "centre": centre,
        "care": care,
        "far": far,
        "chair": chair,
        "recorder": recorder,
        "organiser_staff": organiser_staff,
        "stranger": stranger,
        "meeting": meeting,
        "case": case,
    }


def url(name, meeting, *args):
    return reverse(f"staff:{name}", args=[meeting.uid, *args])


def add(client, meeting, **data):
    fields = {"kind": AgendaItem.Kind.REPORT, "title": "", "minutes_allotted": "15"} | data
    return client.post(url("agenda_item_add", meeting), fields)


def order_of(meeting):
    return list(
        AgendaItem.objects.filter(meeting=meeting).order_by("order").values_list("title", flat=True)
    )


# Who may build


@pytest.mark.parametrize("who", ["chair", "recorder", "organiser_staff"])
def test_chair_recorder_and_organiser_staff_may_build(client, world, who):
    client.force_login(world[who])
    page = client.get(url("agenda_builder", world["meeting"]))
    assert page.status_code == 200
    assert 'id="agenda-add"' in page.text
    response = add(client, world["meeting"], title="地域の見守り活動の報告")
    assert response.status_code == 302
    assert order_of(world["meeting"]) == ["地域の見守り活動の報告"]


def test_other_staff_read_the_agenda_and_cannot_change_it(client, world):
    factories.agenda_item(meeting=world["meeting"], title="報告事項")
    client.force_login(world["stranger"])
    page = client.get(url("agenda_builder", world["meeting"]))
    assert page.status_code == 200
    assert "報告事項" in page.text
    assert 'id="agenda-add"' not in page.text and 'class="agenda-handle"' not in page.text
    assert add(client, world["meeting"], title="勝手な議題").status_code == 404
    assert order_of(world["meeting"]) == ["報告事項"]


def test_a_confidential_meeting_is_404_for_those_not_on_it(client, world):
    meeting = world["meeting"]
    meeting.visibility = MeetingVisibility.CONFIDENTIAL
    meeting.save()
    client.force_login(world["stranger"])
    for name in ("agenda_builder", "agenda_print", "agenda_ics"):
        assert client.get(url(name, meeting)).status_code == 404
    assert add(client, meeting, title="x").status_code == 404
    client.force_login(world["chair"])
    assert client.get(url("agenda_builder", meeting)).status_code == 200


def test_a_held_meeting_is_read_only_even_for_its_chair(client, world):
    meeting = world["meeting"]
    meeting.status = meeting.Status.HELD
    meeting.save()
    client.force_login(world["chair"])
    assert 'id="agenda-add"' not in client.get(url("agenda_builder", meeting)).text
    assert add(client, meeting, title="x").status_code == 404


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(url("agenda_builder", world["meeting"]))
    assert response.status_code == 302 and reverse("staff:login") in response.url


def test_case_items_are_hidden_from_those_who_may_not_see_the_case(client, world):
    item = factories.agenda_item(meeting=world["meeting"], case=world["case"], title="退院後の支援")
    client.force_login(world["stranger"])
    page = client.get(url("agenda_builder", world["meeting"])).text
    assert "K-AG-1" not in page and "退院後の支援" not in page
    assert "ケース（共有されていません）" in page
    client.force_login(world["chair"])
    page = client.get(url("agenda_builder", world["meeting"])).text
    assert "K-AG-1" in page and "退院後の支援" in page
    # Showing the case on the builder is a read of it.
    event = AuditEvent.objects.get(user=world["chair"])
    assert (event.case_id, event.action, event.meeting) == (
        item.case_id,
        AuditEvent.Action.VIEW,
        world["meeting"],
    )
    assert "K-AG-1" not in event.detail


# Adding


def test_add_each_kind_of_item(client, world):
    meeting = world["meeting"]
    client.force_login(world["chair"])
    issue = factories.issue(area=world["district"])
    new_case = factories.case(district=world["district"], lead=world["care"], code="K-AG-NEW")
    earlier = factories.meeting(
        area=world["district"], organiser=world["centre"], starts_in=-datetime.timedelta(days=20)
    )
    earlier_item = factories.agenda_item(meeting=earlier, case=world["case"])
    factories.action_item(agenda_item=earlier_item, organisation=world["care"], case=world["case"])

    assert add(client, meeting, title="年間計画の報告", minutes_allotted="10").status_code == 302
    assert (
        add(
            client,
            meeting,
            kind=AgendaItem.Kind.DISTRICT_ISSUE,
            title="買い物の足",
            district_issue=str(issue.pk),
            presenting_organisation=str(world["centre"].pk),
        ).status_code
        == 302
    )
    # Codes typed in 全角 are the same code.
    assert (
        add(
            client, meeting, kind=AgendaItem.Kind.NEW_CASE, case_code="Ｋ－ＡＧ－ＮＥＷ"
        ).status_code
        == 302
    )
    assert (
        add(client, meeting, kind=AgendaItem.Kind.CASE_REVIEW, case_code="k-ag-1").status_code
        == 302
    )
    assert add(client, meeting, kind=AgendaItem.Kind.CARRIED_OVER).status_code == 302

    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("order"))
    assert [item.order for item in items] == [1, 2, 3, 4, 5]
    assert [item.kind for item in items] == [
        AgendaItem.Kind.REPORT,
        AgendaItem.Kind.DISTRICT_ISSUE,
        AgendaItem.Kind.NEW_CASE,
        AgendaItem.Kind.CASE_REVIEW,
        AgendaItem.Kind.CARRIED_OVER,
    ]
    assert items[0].minutes_allotted == 10
    assert items[1].district_issue == issue and items[1].presenting_organisation == world["centre"]
    assert items[2].case == new_case and items[3].case == world["case"]
    assert list(items[4].carried_actions.all()) == list(ActionItem.objects.all())
    # Putting a case on the agenda is a change of it, audited.
    assert set(
        AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, detail="agenda:add").values_list(
            "case_id", flat=True
        )
    ) == {new_case.pk, world["case"].pk}


def test_refused_input_comes_back_as_typed_with_the_reason(client, world):
    client.force_login(world["chair"])
    response = add(
        client, world["meeting"], kind=AgendaItem.Kind.REPORT, title="", minutes_allotted="25"
    )
    assert response.status_code == 200
    assert 'value="25"' in response.text
    assert "errorlist" in response.text
    assert not AgendaItem.objects.exists()


def test_a_case_the_user_cannot_see_is_answered_as_if_it_did_not_exist(client, world):
    hidden = factories.case(district=world["district"], lead=world["far"], code="K-HIDDEN")
    client.force_login(world["organiser_staff"])
    response = add(client, world["meeting"], kind=AgendaItem.Kind.CASE_REVIEW, case_code="K-HIDDEN")
    missing = add(client, world["meeting"], kind=AgendaItem.Kind.CASE_REVIEW, case_code="K-NONE")
    assert response.status_code == missing.status_code == 200
    assert "K-HIDDEN" in response.text  # kept as typed
    error = re.search(r'<ul class="errorlist"[^>]*>(.*?)</ul>', response.text, re.S).group(1)
    other = re.search(r'<ul class="errorlist"[^>]*>(.*?)</ul>', missing.text, re.S).group(1)
    assert error.replace("K-HIDDEN", "X") == other.replace("K-NONE", "X")
    assert not AgendaItem.objects.filter(case=hidden).exists()


def test_htmx_add_returns_the_builder_block_with_the_new_total(client, world):
    client.force_login(world["chair"])
    response = client.post(
        url("agenda_item_add", world["meeting"]),
        {"kind": AgendaItem.Kind.REPORT, "title": "報告", "minutes_allotted": "30"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="agenda-builder"')
    assert "<html" not in response.text
    # The script reads this out: the header stays ASCII (JSON escapes), the title survives.
    announced = json.loads(response["HX-Trigger"])["agendaAnnounce"]
    assert "報告" in announced
    response["HX-Trigger"].encode("ascii")
    total = re.search(r'<p id="agenda-total".*?</p>', response.text, re.S).group(0)
    # Allotted, length and what is left, in the order the language puts them.
    assert sorted(int(n) for n in re.findall(r"\d+", total)) == [30, 90, 120]


# The consent gate


@pytest.fixture
def no_basis(world):
    """A meeting without a legal basis, where 遠くの医療機関 (no role on the case) takes part."""
    meeting = world["meeting"]
    meeting.legal_basis = LegalBasis.NONE
    meeting.save()
    Participant.objects.create(meeting=meeting, organisation=world["far"])
    return meeting


def test_without_a_legal_basis_a_case_needs_consent_covering_every_organisation(
    client, world, no_basis
):
    client.force_login(world["chair"])
    response = add(client, no_basis, kind=AgendaItem.Kind.CASE_REVIEW, case_code="K-AG-1")
    assert response.status_code == 200
    # Named: the organisation not covered; not named: those already on the case.
    assert "遠くの医療機関" in response.text
    assert not AgendaItem.objects.exists()

    consent = Consent.objects.create(
        case=world["case"], given_on=datetime.date(2026, 1, 5), scope="関係機関での共有"
    )
    consent.organisations.add(world["far"])
    response = add(client, no_basis, kind=AgendaItem.Kind.CASE_REVIEW, case_code="K-AG-1")
    assert response.status_code == 302
    assert AgendaItem.objects.get().case == world["case"]


def test_consent_for_all_covers_and_a_withdrawn_one_does_not(world, no_basis):
    case = world["case"]
    withdrawn = Consent.objects.create(
        case=case,
        given_on=datetime.date(2026, 1, 5),
        scope="全機関",
        covers_all=True,
        withdrawn_on=datetime.date(2026, 2, 1),
    )
    with pytest.raises(agenda.AgendaRefused) as refused:
        agenda.agenda_consent_check(meeting=no_basis, case=case)
    assert "遠くの医療機関" in str(refused.value.message)
    assert "若葉ケアプランセンター" not in str(refused.value.message)  # already on the case
    withdrawn.withdrawn_on = None
    withdrawn.save()
    agenda.agenda_consent_check(meeting=no_basis, case=case)


def test_with_a_legal_basis_no_consent_is_needed(client, world):
    Participant.objects.create(meeting=world["meeting"], organisation=world["far"])
    assert not Consent.objects.exists()
    client.force_login(world["chair"])
    add(client, world["meeting"], kind=AgendaItem.Kind.CASE_REVIEW, case_code="K-AG-1")
    assert AgendaItem.objects.get().case == world["case"]


# Reordering


@pytest.fixture
def three(world):
    meeting = world["meeting"]
    return [
        factories.agenda_item(meeting=meeting, order=n, title=title)
        for n, title in enumerate(["一", "二", "三"], start=1)
    ]


def ids(items):
    return ",".join(str(item.pk) for item in items)


def test_reorder_writes_the_whole_order(client, world, three):
    one, two, three_ = three
    client.force_login(world["chair"])
    response = client.post(
        url("agenda_reorder", world["meeting"]),
        {"order": ids([three_, one, two]), "previous": ids(three)},
    )
    assert response.status_code == 302
    assert order_of(world["meeting"]) == ["三", "一", "二"]
    assert sorted(AgendaItem.objects.values_list("order", flat=True)) == [1, 2, 3]


def test_a_reorder_from_a_stale_order_is_refused_and_shows_the_stored_one(client, world, three):
    one, two, three_ = three
    client.force_login(world["chair"])
    # Someone else moved 二 to the top meanwhile.
    agenda.agenda_reorder(
        meeting=world["meeting"],
        user=world["recorder"],
        order=[two.pk, one.pk, three_.pk],
        previous=[one.pk, two.pk, three_.pk],
    )
    response = client.post(
        url("agenda_reorder", world["meeting"]),
        {"order": ids([three_, one, two]), "previous": ids(three)},
    )
    assert response.status_code == 409
    assert 'role="alert"' in response.text
    assert order_of(world["meeting"]) == ["二", "一", "三"]
    # htmx / the script get the builder block with the reason, marked as a refusal.
    response = client.post(
        url("agenda_reorder", world["meeting"]),
        {"order": ids([three_, one, two]), "previous": ids(three)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409 and 'id="agenda-builder"' in response.text


def test_a_reorder_that_leaves_out_or_invents_items_is_refused(client, world, three):
    client.force_login(world["chair"])
    for order in (ids(three[:2]), ids(three) + ",999999", "a,b,c"):
        response = client.post(
            url("agenda_reorder", world["meeting"]), {"order": order, "previous": ids(three)}
        )
        assert response.status_code == 409
    assert order_of(world["meeting"]) == ["一", "二", "三"]


def test_move_up_and_down_without_javascript(client, world, three):
    one, two, three_ = three
    client.force_login(world["chair"])
    response = client.post(
        url("agenda_item_move", world["meeting"], three_.pk),
        {"direction": "up", "previous": ids(three)},
    )
    assert response.status_code == 302 and response.url.endswith(f"#item-{three_.pk}")
    assert order_of(world["meeting"]) == ["一", "三", "二"]
    client.post(
        url("agenda_item_move", world["meeting"], one.pk),
        {"direction": "down", "previous": ids([one, three_, two])},
    )
    assert order_of(world["meeting"]) == ["三", "一", "二"]


# Minutes, the running total, removing


def test_minutes_change_updates_the_total_and_warns_when_over(client, world, three):
    client.force_login(world["chair"])
    page = client.get(url("agenda_builder", world["meeting"])).text
    assert "agenda-total--over" not in page  # 45 of 120
    response = client.post(
        url("agenda_item_minutes", world["meeting"], three[0].pk),
        {"minutes_allotted": "100", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "agenda-total--over" in response.text
    assert "130" in response.text
    item = AgendaItem.objects.get(pk=three[0].pk)
    assert (item.minutes_allotted, item.version) == (100, 2)


def test_a_minutes_change_from_a_stale_version_is_refused(client, world, three):
    client.force_login(world["chair"])
    client.post(
        url("agenda_item_minutes", world["meeting"], three[0].pk),
        {"minutes_allotted": "20", "version": "1"},
    )
    response = client.post(
        url("agenda_item_minutes", world["meeting"], three[0].pk),
        {"minutes_allotted": "5", "version": "1"},
    )
    assert response.status_code == 409
    assert 'role="alert"' in response.text and "20" in response.text
    assert AgendaItem.objects.get(pk=three[0].pk).minutes_allotted == 20
    # The typed 5 stays in the field, which now carries the stored version: saving again is a
    # knowing replacement.
    field = re.search(rf'<input type="number" id="minutes-{three[0].pk}"[^>]*>', response.text)
    assert 'value="5"' in field.group(0)
    form = response.text[: field.start()].rsplit("<form", 1)[1]
    assert 'name="version" value="2"' in form
    client.post(
        url("agenda_item_minutes", world["meeting"], three[0].pk),
        {"minutes_allotted": "5", "version": "2"},
    )
    assert AgendaItem.objects.get(pk=three[0].pk).minutes_allotted == 5


def test_minutes_must_be_a_sensible_number(client, world, three):
    client.force_login(world["chair"])
    response = client.post(
        url("agenda_item_minutes", world["meeting"], three[0].pk),
        {"minutes_allotted": "0", "version": "1"},
    )
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert f'id="minutes-{three[0].pk}" name="minutes_allotted" value="0"' in response.text
    assert AgendaItem.objects.get(pk=three[0].pk).minutes_allotted == 15


def test_remove_an_item_but_not_one_with_action_items(client, world, three):
    client.force_login(world["chair"])
    response = client.post(
        url("agenda_item_remove", world["meeting"], three[1].pk), {"version": "1"}
    )
    assert response.status_code == 302
    assert order_of(world["meeting"]) == ["一", "三"]
    factories.action_item(agenda_item=three[0], organisation=world["care"])
    response = client.post(
        url("agenda_item_remove", world["meeting"], three[0].pk), {"version": "1"}
    )
    assert response.status_code == 409
    assert order_of(world["meeting"]) == ["一", "三"]


def test_the_meeting_page_links_to_the_builder(client, world):
    client.force_login(world["chair"])
    page = client.get(reverse("staff:meeting_detail", args=[world["meeting"].uid])).text
    assert url("agenda_builder", world["meeting"]) in page


# Speed


def _builder_queries(client, meeting):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("agenda_builder", meeting)).status_code == 200
    return len(queries)


def _fill(world, meeting, count):
    series = MeetingSeries.objects.create(
        title="定例",
        kind=meeting.kind,
        level=meeting.level,
        area=world["district"],
        rrule="FREQ=MONTHLY",
        organiser=world["centre"],
    )
    earlier = factories.meeting(
        area=world["district"],
        organiser=world["centre"],
        series=series,
        starts_in=-datetime.timedelta(days=30),
    )
    source = factories.agenda_item(meeting=earlier)
    for n in range(1, count + 1):
        case = factories.case(district=world["district"], lead=world["care"])
        item = factories.agenda_item(meeting=meeting, order=n, case=case)
        action = factories.action_item(
            agenda_item=source, organisation=world["care"], assignee=world["chair"]
        )
        item.carried_actions.add(action)
        factories.issue(area=world["district"])


def test_the_builder_runs_as_many_queries_for_30_items_as_for_5(client, world):
    client.force_login(world["chair"])
    small = world["meeting"]
    large = factories.meeting(
        area=world["district"],
        organiser=world["centre"],
        chair=world["chair"],
        legal_basis=LegalBasis.LONG_TERM_CARE,
    )
    _fill(world, small, 5)
    _fill(world, large, 30)
    _builder_queries(client, small)  # warm: session and content types
    assert _builder_queries(client, large) == _builder_queries(client, small)


def test_saving_one_item_costs_the_same_whatever_the_agenda(client, world):
    client.force_login(world["chair"])
    small = world["meeting"]
    large = factories.meeting(
        area=world["district"], organiser=world["centre"], chair=world["chair"]
    )
    _fill(world, small, 5)
    _fill(world, large, 30)

    def save(meeting):
        item = AgendaItem.objects.filter(meeting=meeting).first()
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                url("agenda_item_minutes", meeting, item.pk),
                {"minutes_allotted": "7", "version": str(item.version)},
            )
        assert response.status_code == 302
        return len(queries)

    save(small)
    item = AgendaItem.objects.filter(meeting=small).first()
    item.minutes_allotted = 15
    item.save()
    assert save(large) == save(small) <= 8


@pytest.mark.parametrize(
    "name,data",
    [
        ("agenda_item_minutes", {"minutes_allotted": "5", "version": "1"}),
        ("agenda_item_remove", {"version": "1"}),
        ("agenda_item_move", {"direction": "down", "previous": ""}),
    ],
)
def test_every_item_write_is_404_for_those_who_may_only_read(client, world, three, name, data):
    client.force_login(world["stranger"])
    if "previous" in data:
        data = data | {"previous": ids(three)}
    response = client.post(url(name, world["meeting"], three[0].pk), data)
    assert response.status_code == 404
    assert order_of(world["meeting"]) == ["一", "二", "三"]
    assert AgendaItem.objects.get(pk=three[0].pk).minutes_allotted == 15


def test_reorder_and_prepare_are_404_for_those_who_may_only_read(client, world, three):
    client.force_login(world["stranger"])
    meeting = world["meeting"]
    response = client.post(
        url("agenda_reorder", meeting), {"order": ids(three[::-1]), "previous": ids(three)}
    )
    assert response.status_code == 404
    assert client.post(url("agenda_prepare", meeting)).status_code == 404
    assert order_of(meeting) == ["一", "二", "三"]


def test_removing_an_item_someone_changed_meanwhile_is_refused(client, world, three):
    client.force_login(world["chair"])
    agenda.agenda_item_set_minutes(
        item=three[1], user=world["recorder"], minutes_allotted=25, expected_version=1
    )
    response = client.post(
        url("agenda_item_remove", world["meeting"], three[1].pk), {"version": "1"}
    )
    assert response.status_code == 409
    assert "25" in response.text
    assert order_of(world["meeting"]) == ["一", "二", "三"]


def test_an_item_of_another_meeting_is_404(client, world, three):
    other = factories.meeting(
        area=world["district"], organiser=world["centre"], chair=world["chair"]
    )
    client.force_login(world["chair"])
    response = client.post(
        url("agenda_item_minutes", other, three[0].pk), {"minutes_allotted": "5", "version": "1"}
    )
    assert response.status_code == 404
