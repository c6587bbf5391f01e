"""The case record as staff use it: opening a case, consent before sharing, role sharing, the lead
organisation, support plan versions, edits that never overwrite someone else's, and the list's
filters. Every change is audited; refused input comes back as typed."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conferences.models import (
    AuditEvent,
    Case,
    CaseRole,
    Consent,
    LeadChange,
    LegalBasis,
    SupportPlan,
)
from districts.models import TargetGroup
from resources.models import Organisation, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    clinic = factories.organisation("桜台クリニック", kind=Organisation.Kind.MEDICAL)
    nurse = factories.organisation("訪問看護ステーションひばり", kind=Organisation.Kind.MEDICAL)
    case = factories.case(district=district, lead=centre, code="K26-00777")
    member = factories.user("member", organisations=[centre])
    return {
        "district": district,
        "centre": centre,
        "clinic": clinic,
        "nurse": nurse,
        "case": case,
        "member": member,
    }


def url(name, case, *args):
    return reverse(f"staff:{name}", args=[case.public_id, *args])


def changes(detail):
    return AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, detail=detail)


# --- a new case ---


def test_a_new_case_gets_a_generated_code_a_lead_role_and_a_lead_history(client, world):
    client.force_login(world["member"])
    response = client.post(
        reverse("staff:case_create"),
        {
            "code": "",
            "lead": world["centre"].pk,
            "lead_role": "主担当：総合相談",
            "contact_person": "佐藤（社会福祉士）",
            "district": world["district"].pk,
            "target_group": TargetGroup.ELDERLY,
            "support_level": Case.SupportLevel.SELF_PLAN,
            "risk_tier": Case.RiskTier.MEDIUM,
        },
    )
    case = Case.objects.exclude(pk=world["case"].pk).get()
    assert response.status_code == 302
    assert response.url == url("case_detail", case)
    # The demo's format: a letter for the target group, the year, the next free serial.
    assert re.fullmatch(rf"K{TODAY.year % 100:02d}-\d{{5}}", case.code)
    assert case.code != world["case"].code
    assert case.lead_organisation == world["centre"]
    role = CaseRole.objects.get(case=case)
    assert (role.organisation, role.role, role.contact_person) == (
        world["centre"],
        "主担当：総合相談",
        "佐藤（社会福祉士）",
    )
    assert LeadChange.objects.get(case=case).organisation == world["centre"]
    event = changes("case:create").get()
    assert (event.user, event.organisation, event.case) == (world["member"], world["centre"], case)


def test_a_typed_code_is_normalised_and_a_taken_one_refused_keeping_the_input(client, world):
    client.force_login(world["member"])
    data = {
        "code": "ｋ２６－００７７７",  # full-width: the same code as the existing case
        "lead": world["centre"].pk,
        "lead_role": "主担当",
        "district": world["district"].pk,
        "target_group": TargetGroup.ELDERLY,
        "support_level": Case.SupportLevel.SELF_PLAN,
        "risk_tier": Case.RiskTier.LOW,
        "contact_person": "高橋",
    }
    response = client.post(reverse("staff:case_create"), data)
    assert response.status_code == 200
    assert Case.objects.count() == 1
    assert 'value="高橋"' in response.text
    assert response.context["form"].errors["code"]


def test_the_lead_of_a_new_case_must_be_one_of_the_users_agencies(client, world):
    client.force_login(world["member"])
    response = client.post(
        reverse("staff:case_create"),
        {
            "lead": world["clinic"].pk,  # not the user's organisation
            "lead_role": "主担当",
            "district": world["district"].pk,
            "target_group": TargetGroup.ELDERLY,
            "support_level": Case.SupportLevel.SELF_PLAN,
            "risk_tier": Case.RiskTier.LOW,
        },
    )
    assert response.status_code == 200
    assert "lead" in response.context["form"].errors
    assert Case.objects.count() == 1


def test_someone_without_an_agency_cannot_open_cases(client, world):
    council = factories.organisation(
        "社協", kind=Organisation.Kind.WELFARE_COUNCIL, is_agency=False
    )
    client.force_login(factories.user("shakyo", organisations=[council]))
    assert client.get(reverse("staff:case_create")).status_code == 404


# --- consent and role sharing ---


def test_adding_an_organisation_without_consent_is_refused_with_the_reason(client, world):
    client.force_login(world["member"])
    response = client.post(
        url("case_role_add", world["case"]),
        {"organisation": world["clinic"].pk, "role": "医療的管理", "contact_person": "鈴木医師"},
    )
    assert response.status_code == 200
    assert not CaseRole.objects.filter(organisation=world["clinic"]).exists()
    errors = response.context["forms"]["role"].non_field_errors()
    assert "桜台クリニック" in errors[0]
    # What was typed is still there.
    assert 'value="医療的管理"' in response.text
    assert 'value="鈴木医師"' in response.text
    assert not changes("case:role_add").exists()


def test_a_recorded_consent_lets_the_organisation_on_and_is_named_as_the_basis(client, world):
    client.force_login(world["member"])
    response = client.post(
        url("case_consent_add", world["case"]),
        {
            "given_on": (TODAY - datetime.timedelta(days=2)).isoformat(),
            "scope": "医療・介護の関係機関で支援のために共有する",
            "covers_all": "on",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(case=world["case"])
    assert consent.covers_all and consent.recorded_by == world["member"]
    assert changes("consent:record").get().organisation == world["centre"]

    response = client.post(
        url("case_role_add", world["case"]),
        {"organisation": world["clinic"].pk, "role": "医療的管理", "contact_person": ""},
    )
    assert response.status_code == 302
    role = CaseRole.objects.get(case=world["case"], organisation=world["clinic"])
    assert role.consent == consent
    page = client.get(url("case_detail", world["case"]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Consent of" in page.text


def test_a_consent_needs_organisations_or_all_and_keeps_what_was_typed(client, world):
    client.force_login(world["member"])
    response = client.post(
        url("case_consent_add", world["case"]),
        {"given_on": TODAY.isoformat(), "scope": "ケアマネジャーとの共有"},
    )
    assert response.status_code == 200
    assert response.context["forms"]["consent"].non_field_errors()
    assert "ケアマネジャーとの共有" in response.text
    assert not Consent.objects.exists()


def test_a_consent_covering_some_organisations_does_not_cover_others(client, world):
    CaseRole.objects.create(case=world["case"], organisation=world["nurse"], role="訪問看護")
    client.force_login(world["member"])
    client.post(
        url("case_consent_add", world["case"]),
        {
            "given_on": TODAY.isoformat(),
            "scope": "訪問看護のみ",
            "organisations": [world["nurse"].pk],
        },
    )
    response = client.post(
        url("case_role_add", world["case"]), {"organisation": world["clinic"].pk, "role": "医療"}
    )
    assert response.status_code == 200
    assert not CaseRole.objects.filter(organisation=world["clinic"]).exists()


def test_a_meeting_with_a_legal_basis_allows_sharing_and_is_recorded(client, world):
    meeting = factories.meeting(
        area=world["district"],
        organiser=world["centre"],
        legal_basis=LegalBasis.LONG_TERM_CARE,
        starts_in=datetime.timedelta(days=-3),
    )
    factories.agenda_item(meeting=meeting, case=world["case"])
    client.force_login(world["member"])
    response = client.post(
        url("case_role_add", world["case"]),
        {"organisation": world["clinic"].pk, "role": "医療的管理", "meeting": meeting.pk},
    )
    assert response.status_code == 302
    role = CaseRole.objects.get(case=world["case"], organisation=world["clinic"])
    assert role.consent is None and role.meeting == meeting
    event = changes("case:role_add").get()
    assert event.meeting == meeting


def test_a_meeting_without_a_legal_basis_cannot_be_named(client, world):
    meeting = factories.meeting(area=world["district"], organiser=world["centre"])
    factories.agenda_item(meeting=meeting, case=world["case"])
    client.force_login(world["member"])
    response = client.post(
        url("case_role_add", world["case"]),
        {"organisation": world["clinic"].pk, "role": "医療的管理", "meeting": meeting.pk},
    )
    assert response.status_code == 200
    assert "meeting" in response.context["forms"]["role"].errors
    assert not CaseRole.objects.filter(organisation=world["clinic"]).exists()


def test_the_sharing_check_tells_whether_consent_covers_the_chosen_organisation(client, world):
    client.force_login(world["member"])
    check = url("case_role_check", world["case"])
    response = client.get(
        check,
        {"organisation": world["clinic"].pk},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "No consent on record covers 桜台クリニック" in response.text
    assert "<html" not in response.text
    Consent.objects.create(case=world["case"], given_on=TODAY, scope="全機関", covers_all=True)
    response = client.get(check, {"organisation": world["clinic"].pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert "covers sharing with 桜台クリニック" in response.text


def test_a_withdrawn_consent_no_longer_covers_anyone(client, world):
    consent = Consent.objects.create(
        case=world["case"],
        given_on=TODAY - datetime.timedelta(days=30),
        scope="全機関",
        covers_all=True,
    )
    client.force_login(world["member"])
    field = f"withdraw-{consent.pk}-withdrawn_on"
    refused = client.post(
        url("case_consent_withdraw", world["case"], consent.pk),
        {field: (TODAY - datetime.timedelta(days=40)).isoformat()},
    )
    assert refused.status_code == 200
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    response = client.post(
        url("case_consent_withdraw", world["case"], consent.pk), {field: TODAY.isoformat()}
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == TODAY
    assert changes("consent:withdraw").count() == 1
    response = client.post(
        url("case_role_add", world["case"]), {"organisation": world["clinic"].pk, "role": "医療"}
    )
    assert response.status_code == 200
    assert not CaseRole.objects.filter(organisation=world["clinic"]).exists()


# --- the lead organisation ---


def test_changing_the_lead_records_who_why_and_from_whom(client, world):
    CaseRole.objects.create(case=world["case"], organisation=world["nurse"], role="訪問看護")
    client.force_login(world["member"])
    response = client.post(
        url("case_lead_change", world["case"]),
        {
            "organisation": world["nurse"].pk,
            "reason": "医療的ケアが中心になったため",
            "version": world["case"].version,
        },
    )
    assert response.status_code == 302
    world["case"].refresh_from_db()
    assert world["case"].lead_organisation == world["nurse"]
    change = LeadChange.objects.get(case=world["case"])
    assert (change.previous, change.organisation, change.changed_by) == (
        world["centre"],
        world["nurse"],
        world["member"],
    )
    assert change.reason == "医療的ケアが中心になったため"
    assert changes("case:lead_change").count() == 1
    page = client.get(url("case_detail", world["case"]))
    assert "医療的ケアが中心になったため" in page.text


def test_the_new_lead_must_already_have_a_role(client, world):
    client.force_login(world["member"])
    response = client.post(
        url("case_lead_change", world["case"]),
        {"organisation": world["clinic"].pk, "reason": "—", "version": world["case"].version},
    )
    assert response.status_code == 200
    assert "organisation" in response.context["forms"]["lead"].errors
    world["case"].refresh_from_db()
    assert world["case"].lead_organisation == world["centre"]


def test_a_lead_change_from_a_stale_page_is_refused_with_what_is_stored(client, world):
    CaseRole.objects.create(case=world["case"], organisation=world["nurse"], role="訪問看護")
    CaseRole.objects.create(case=world["case"], organisation=world["clinic"], role="医療")
    stale_version = world["case"].version
    client.force_login(world["member"])
    client.post(
        url("case_lead_change", world["case"]),
        {"organisation": world["nurse"].pk, "reason": "先に変更", "version": stale_version},
    )
    response = client.post(
        url("case_lead_change", world["case"]),
        {"organisation": world["clinic"].pk, "reason": "後から変更", "version": stale_version},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    world["case"].refresh_from_db()
    assert world["case"].lead_organisation == world["nurse"]
    assert "訪問看護ステーションひばり" in response.context["forms"]["lead"].non_field_errors()[0]
    assert "後から変更" in response.text


# --- support plans ---


def test_plan_versions_are_kept_and_the_current_one_sets_the_next_review(client, world):
    own = world["centre"].services.create(name="総合相談")
    public = world["clinic"].services.create(name="訪問診療")
    hidden = world["clinic"].services.create(name="職員向け研修", visibility=Visibility.STAFF)
    meeting = factories.meeting(
        area=world["district"], organiser=world["centre"], starts_in=datetime.timedelta(days=-1)
    )
    factories.agenda_item(meeting=meeting, case=world["case"])
    client.force_login(world["member"])
    review = TODAY + datetime.timedelta(days=90)
    first = {
        "goals": "在宅生活を続ける",
        "services": [own.pk, public.pk],
        "monitoring_interval_months": 3,
        "next_review_on": review.isoformat(),
        "meeting": meeting.pk,
    }
    assert client.post(url("case_plan_add", world["case"]), first).status_code == 302
    second = first | {"goals": "通所を始める", "services": [own.pk], "meeting": ""}
    assert client.post(url("case_plan_add", world["case"]), second).status_code == 302

    plans = list(SupportPlan.objects.filter(case=world["case"]).order_by("number"))
    assert [(p.number, p.goals) for p in plans] == [(1, "在宅生活を続ける"), (2, "通所を始める")]
    assert set(plans[0].services.all()) == {own, public}
    assert plans[0].agreed_at_meeting == meeting
    assert plans[0].created_by == world["member"]
    world["case"].refresh_from_db()
    assert world["case"].next_review_on == review
    assert changes("case:plan").count() == 2

    page = client.get(url("case_detail", world["case"]))
    assert "通所を始める" in page.text
    assert "在宅生活を続ける" not in page.text  # an earlier version: on its own page
    earlier = client.get(url("case_plan", world["case"], 1))
    assert "在宅生活を続ける" in earlier.text
    assert "K26-00777" not in earlier.text.split("<title>")[1].split("</title>")[0]

    # A staff-only service of an organisation not on the case cannot be linked.
    refused = client.post(
        url("case_plan_add", world["case"]), first | {"services": [hidden.pk], "goals": "別案"}
    )
    assert refused.status_code == 200
    assert "services" in refused.context["forms"]["plan"].errors
    assert "別案" in refused.text
    assert SupportPlan.objects.count() == 2


# --- edits of the case's facts ---


def _edit(case, **fields):
    return {
        "support_level": case.support_level,
        "risk_tier": case.risk_tier,
        "status": case.status,
        "closed_on": "",
        "next_review_on": "",
        "version": case.version,
    } | fields


def test_a_stale_edit_is_refused_showing_what_is_stored_and_keeping_the_input(
    client, world, make_user
):
    other = make_user("other", organisations=[world["centre"]])
    case = world["case"]
    first, second = client, client.__class__()
    first.force_login(world["member"])
    second.force_login(other)
    loaded = _edit(case)  # both opened the page at this version

    saved = first.post(url("case_edit", case), loaded | {"risk_tier": Case.RiskTier.HIGH})
    assert saved.status_code == 302
    refused = second.post(
        url("case_edit", case),
        loaded | {"support_level": Case.SupportLevel.INFORMATION},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200
    case.refresh_from_db()
    assert case.risk_tier == Case.RiskTier.HIGH
    assert case.support_level == Case.SupportLevel.SUPPORT_PLAN
    assert refused.context["stored"].risk_tier == Case.RiskTier.HIGH
    form = refused.context["forms"]["edit"]
    assert form.non_field_errors()
    assert form["support_level"].value() == Case.SupportLevel.INFORMATION
    assert form["version"].value() == case.version  # saving again is a knowing overwrite
    assert "Stored now" in refused.text
    assert changes("case:edit").count() == 1


def test_closing_a_case_needs_its_date(client, world):
    client.force_login(world["member"])
    case = world["case"]
    refused = client.post(url("case_edit", case), _edit(case, status=Case.Status.CLOSED))
    assert refused.status_code == 200
    assert "closed_on" in refused.context["forms"]["edit"].errors
    response = client.post(
        url("case_edit", case), _edit(case, status=Case.Status.CLOSED, closed_on=TODAY.isoformat())
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closed_on) == (Case.Status.CLOSED, TODAY)


# --- who may change ---


def test_a_chair_who_sees_the_case_through_a_meeting_reads_it_but_cannot_change_it(client, world):
    elsewhere = factories.organisation("遠くのセンター")
    chair = factories.user("chair", organisations=[elsewhere], can_chair=True)
    meeting = factories.meeting(area=world["district"], organiser=elsewhere, chair=chair)
    factories.agenda_item(meeting=meeting, case=world["case"])
    client.force_login(chair)
    page = client.get(url("case_detail", world["case"]))
    assert page.status_code == 200
    assert page.context["forms"] == {}
    view = AuditEvent.objects.get()
    assert (view.organisation, view.meeting) == (elsewhere, meeting)
    before = world["case"].version
    for name, data in [
        ("case_edit", _edit(world["case"], risk_tier=3)),
        ("case_consent_add", {"given_on": TODAY.isoformat(), "scope": "x", "covers_all": "on"}),
        ("case_plan_add", {"goals": "x", "monitoring_interval_months": 3}),
    ]:
        assert client.post(url(name, world["case"]), data).status_code == 404
    world["case"].refresh_from_db()
    assert world["case"].version == before
    assert not Consent.objects.exists()
    assert AuditEvent.objects.count() == 1


# --- the record's other parts ---


def test_the_page_lists_the_meetings_the_user_may_see_and_open_actions(client, world):
    seen = factories.meeting(
        area=world["district"], organiser=world["centre"], title="桜台 地域ケア個別会議"
    )
    hidden = factories.meeting(
        area=world["district"],
        organiser=world["clinic"],
        title="非公開の会議",
        visibility="confidential",
    )
    item = factories.agenda_item(meeting=seen, case=world["case"])
    factories.agenda_item(meeting=hidden, case=world["case"])
    factories.action_item(
        agenda_item=item, organisation=world["centre"], description="家族に連絡", case=world["case"]
    )
    factories.action_item(
        agenda_item=item, organisation=world["centre"], description="完了済み", status="done"
    )
    client.force_login(world["member"])
    page = client.get(url("case_detail", world["case"]))
    assert "桜台 地域ケア個別会議" in page.text
    assert "非公開の会議" not in page.text
    assert "家族に連絡" in page.text
    assert "完了済み" not in page.text


def test_the_case_export_is_audited_as_an_export(client, world):
    client.force_login(world["member"])
    response = client.get(url("case_export", world["case"]))
    assert response.status_code == 200
    assert "K26-00777" in response.content.decode("utf-8-sig")
    assert "K26-00777" not in response["Content-Disposition"]
    event = AuditEvent.objects.get()
    assert (event.action, event.case, event.organisation) == (
        AuditEvent.Action.EXPORT,
        world["case"],
        world["centre"],
    )


def test_the_list_filters_by_status_level_district_and_review(client, world):
    case = world["case"]
    case.next_review_on = TODAY - datetime.timedelta(days=1)
    case.save()
    _, _, elsewhere = factories.area_tree()
    factories.case(
        district=elsewhere,
        lead=world["centre"],
        code="K26-00888",
        support_level=Case.SupportLevel.INFORMATION,
        next_review_on=TODAY + datetime.timedelta(days=100),
    )
    factories.case(
        district=world["district"],
        lead=world["centre"],
        code="K26-00999",
        status=Case.Status.CLOSED,
        closed_on=TODAY,
    )
    factories.case(district=world["district"], lead=world["clinic"], code="K26-00111")
    client.force_login(world["member"])
    list_url = reverse("staff:case_list")

    def codes(**params):
        page = client.get(list_url, params).context["page"]
        return sorted(c.code for c in page)

    assert codes() == ["K26-00777", "K26-00888", "K26-00999"]
    assert codes(status="closed") == ["K26-00999"]
    assert codes(support_level="information") == ["K26-00888"]
    assert codes(district=elsewhere.pk) == ["K26-00888"]
    assert codes(review="overdue") == ["K26-00777"]
    assert codes(review="due") == ["K26-00777"]
    partial = client.get(list_url, {"status": "closed"}, HTTP_HX_REQUEST="true")
    assert "K26-00999" in partial.text and "<html" not in partial.text


def test_a_consent_may_name_an_agency_of_the_district_before_it_joins(client, world):
    world["clinic"].home_area = world["district"]
    world["clinic"].save()
    client.force_login(world["member"])
    page = client.get(url("case_detail", world["case"]))
    offered = page.context["forms"]["consent"].fields["organisations"].queryset
    assert world["clinic"] in offered  # serves the district, not yet on the case
    assert world["nurse"] not in offered  # neither on the case nor in the district
    client.post(
        url("case_consent_add", world["case"]),
        {
            "given_on": TODAY.isoformat(),
            "scope": "医療機関と共有",
            "organisations": [world["clinic"].pk],
        },
    )
    response = client.post(
        url("case_role_add", world["case"]), {"organisation": world["clinic"].pk, "role": "医療"}
    )
    assert response.status_code == 302
    assert CaseRole.objects.get(organisation=world["clinic"]).consent.scope == "医療機関と共有"


def test_the_case_page_reads_in_a_constant_number_of_queries(client, world):
    client.force_login(world["member"])
    case_url = url("case_detail", world["case"])

    def add(n):
        org = factories.organisation(f"協力機関{n}", home_area=world["district"])
        consent = Consent.objects.create(case=world["case"], given_on=TODAY, scope=f"範囲{n}")
        consent.organisations.add(org)
        CaseRole.objects.create(
            case=world["case"], organisation=org, role="見守り", consent=consent
        )
        plan = SupportPlan.objects.create(case=world["case"], number=n + 1, goals=f"目標{n}")
        plan.services.add(org.services.create(name=f"サービス{n}"))
        LeadChange.objects.create(case=world["case"], organisation=org, previous=world["centre"])
        meeting = factories.meeting(
            area=world["district"], organiser=world["centre"], legal_basis=LegalBasis.SOCIAL_WELFARE
        )
        item = factories.agenda_item(meeting=meeting, case=world["case"])
        factories.action_item(agenda_item=item, organisation=org, case=world["case"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(case_url).status_code == 200
        return len(captured.captured_queries)

    add(0)
    one = queries()
    for n in range(1, 6):
        add(n)
    assert queries() == one


def test_a_withdrawal_recorded_twice_keeps_the_first_and_says_so(client, world):
    consent = Consent.objects.create(
        case=world["case"], given_on=TODAY - datetime.timedelta(days=30), scope="全機関"
    )
    first = TODAY - datetime.timedelta(days=2)
    client.force_login(world["member"])
    withdraw = url("case_consent_withdraw", world["case"], consent.pk)
    field = f"withdraw-{consent.pk}-withdrawn_on"
    assert client.post(withdraw, {field: first.isoformat()}).status_code == 302
    # A second person, from a page loaded before the first withdrawal.
    response = client.post(withdraw, {field: TODAY.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "already recorded this withdrawal" in response.text
    consent.refresh_from_db()
    assert consent.withdrawn_on == first
    assert changes("consent:withdraw").count() == 1


def test_an_organisation_added_twice_at_once_is_refused_not_an_error(client, world, monkeypatch):
    from conferences import cases as case_module

    Consent.objects.create(case=world["case"], given_on=TODAY, scope="全機関", covers_all=True)
    # As if the other request added it between this form's check and its write.
    offered = case_module.agencies_to_add

    def still_offered(*, case, chosen=()):
        return offered(case=case, chosen=chosen) | Organisation.objects.filter(
            pk=world["clinic"].pk
        )

    CaseRole.objects.create(case=world["case"], organisation=world["clinic"], role="先に追加")
    monkeypatch.setattr(case_module, "agencies_to_add", still_offered)
    client.force_login(world["member"])
    response = client.post(
        url("case_role_add", world["case"]), {"organisation": world["clinic"].pk, "role": "医療"}
    )
    assert response.status_code == 200
    assert "organisation" in response.context["forms"]["role"].errors
    assert CaseRole.objects.get(organisation=world["clinic"]).role == "先に追加"
