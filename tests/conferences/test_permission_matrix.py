"""Every case-related URL for every kind of user (issue 5, point 1).

The rule: a user sees a case through an organisation on it, or as chair or recorder of a planned
meeting with the case on its agenda; only members of an organisation on the case change it.
Allowed users get 200 or a redirect, and an audit event records who, through which organisation,
and what. Everyone else gets 404 (existence is not told), with no audit event and no change;
anonymous users are sent to log in. Pages about a meeting rather than a case (ROUTES entries
with `hides=True`) are open to whoever sees the meeting, and show the case only to those allowed.

ROUTES is one list of url name + arguments + method (+ data), so more can be appended as other
case-related pages arrive (agenda builder, minutes).
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from conferences.models import (
    AgendaItem,
    AuditEvent,
    Case,
    CaseRole,
    Consent,
    LeadChange,
    LegalBasis,
    Participant,
    Pledge,
    Referral,
    SupportPlan,
)
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

CODE = "K26-07070"
TODAY = timezone.localdate()

MEMBER = "member of the case's organisation"
OTHER_ORG = "member of another organisation"
CHAIR_WITH = "chair of a meeting with the case"
CHAIR_WITHOUT = "chair of a meeting without the case"
RECORDER = "recorder of the meeting with the case"
OUTSIDE = "outside participant without a pledge"
OUTSIDE_PLEDGED = "outside participant with a pledge"
NO_MEMBERSHIP = "staff with no membership"
ANONYMOUS = "anonymous"
USERS = [
    MEMBER,
    OTHER_ORG,
    CHAIR_WITH,
    CHAIR_WITHOUT,
    RECORDER,
    OUTSIDE,
    OUTSIDE_PLEDGED,
    NO_MEMBERSHIP,
    ANONYMOUS,
]
READERS = {MEMBER, CHAIR_WITH, RECORDER}
CHANGERS = {MEMBER}
# Who sees a case's material on a page of its meeting: readers of the case, and the meeting's
# participants (outside ones once their pledge is recorded).
IN_MEETING = READERS | {OUTSIDE_PLEDGED}


@pytest.fixture
def scene(make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    council = factories.organisation("社会福祉協議会", kind=Organisation.Kind.WELFARE_COUNCIL)
    clinic = factories.organisation("桜台クリニック", kind=Organisation.Kind.MEDICAL)
    other = factories.organisation("遠くの地域包括支援センター")
    volunteers = factories.organisation(
        "桜台民生委員協議会", kind=Organisation.Kind.COMMISSIONED_VOLUNTEER, is_agency=False
    )
    case = factories.case(district=district, lead=centre, others=[council], code=CODE)
    consent = Consent.objects.create(
        case=case, given_on=TODAY - datetime.timedelta(days=10), scope="関係機関", covers_all=True
    )
    SupportPlan.objects.create(case=case, number=1, goals="在宅生活の継続")

    users = {
        MEMBER: make_user("member", organisations=[centre]),
        OTHER_ORG: make_user("other", organisations=[other]),
        CHAIR_WITH: make_user("chair-with", organisations=[other], can_chair=True),
        CHAIR_WITHOUT: make_user("chair-without", organisations=[other], can_chair=True),
        RECORDER: make_user("recorder", organisations=[other]),
        OUTSIDE: make_user("outside", organisations=[volunteers]),
        OUTSIDE_PLEDGED: make_user("outside-pledged", organisations=[volunteers]),
        NO_MEMBERSHIP: make_user("nobody"),
        ANONYMOUS: None,
    }
    with_case = factories.meeting(
        area=district,
        organiser=other,
        chair=users[CHAIR_WITH],
        recorder=users[RECORDER],
        legal_basis=LegalBasis.LONG_TERM_CARE,
        title="桜台 地域ケア個別会議",
    )
    item = factories.agenda_item(meeting=with_case, case=case, title=f"{CODE} 事例検討")
    without_case = factories.meeting(area=district, organiser=other, chair=users[CHAIR_WITHOUT])
    factories.agenda_item(meeting=without_case)
    for who in (OUTSIDE, OUTSIDE_PLEDGED):
        Participant.objects.create(
            meeting=with_case,
            user=users[who],
            organisation=volunteers,
            is_external=True,
            role=Participant.Role.MEMBER,
        )
    Pledge.objects.create(
        user=users[OUTSIDE_PLEDGED],
        organisation=volunteers,
        signed_on=TODAY,
        scope=Pledge.Scope.MEETING,
        meeting=with_case,
    )
    # Through which organisation each allowed user is recorded in the audit trail.
    through = {MEMBER: centre, CHAIR_WITH: other, RECORDER: other}
    return {
        "case": case,
        "consent": consent,
        "centre": centre,
        "council": council,
        "clinic": clinic,
        "meeting": with_case,
        "item": item,
        "other_meeting": without_case,
        "users": users,
        "through": through,
    }


@dataclass
class Route:
    name: str
    args: object  # scene -> list of URL arguments
    method: str = "GET"
    data: object = None  # scene -> dict (GET query or POST body)
    allowed: set = field(default_factory=lambda: READERS)
    action: str = AuditEvent.Action.VIEW
    # Pages of a meeting: 200 for whoever sees the meeting, the case shown only to `allowed`.
    hides: bool = False
    # Users who may not do this although they reach the page: refused with one of
    # `refused_status`, nothing changed. `echoes`: the refusal repeats what was typed (a case
    # code), the same answer whether the case exists or not.
    refused: set = field(default_factory=set)
    refused_status: tuple = (403, 404)
    echoes: bool = False

    def __str__(self):
        return f"{self.method} {self.name}"


def case_id(scene):
    return [scene["case"].public_id]


def meeting_id(scene):
    return [scene["meeting"].uid]


def item_id(scene):
    return [scene["meeting"].uid, scene["item"].pk]


def edit_data(scene):
    case = scene["case"]
    return {
        "support_level": case.support_level,
        "risk_tier": Case.RiskTier.HIGH,
        "status": case.status,
        "version": case.version,
    }


ROUTES = [
    Route("staff:case_detail", case_id),
    Route("staff:case_plan", lambda s: [s["case"].public_id, 1]),
    Route("staff:case_export", case_id, allowed=CHANGERS, action=AuditEvent.Action.EXPORT),
    Route(
        "staff:case_role_check",
        case_id,
        data=lambda s: {"organisation": s["clinic"].pk},
        allowed=CHANGERS,
    ),
    Route(
        "staff:case_edit",
        case_id,
        "POST",
        edit_data,
        allowed=CHANGERS,
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:case_consent_add",
        case_id,
        "POST",
        lambda s: {"given_on": TODAY.isoformat(), "scope": "訪問看護と共有", "covers_all": "on"},
        allowed=CHANGERS,
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:case_consent_withdraw",
        lambda s: [s["case"].public_id, s["consent"].pk],
        "POST",
        lambda s: {f"withdraw-{s['consent'].pk}-withdrawn_on": TODAY.isoformat()},
        allowed=CHANGERS,
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:case_role_add",
        case_id,
        "POST",
        lambda s: {"organisation": s["clinic"].pk, "role": "医療的管理"},
        allowed=CHANGERS,
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:case_lead_change",
        case_id,
        "POST",
        lambda s: {
            "organisation": s["council"].pk,
            "reason": "地域支援が中心になったため",
            "version": s["case"].version,
        },
        allowed=CHANGERS,
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:case_plan_add",
        case_id,
        "POST",
        lambda s: {
            "goals": "通所を始める",
            "monitoring_interval_months": 3,
            "next_review_on": (TODAY + datetime.timedelta(days=60)).isoformat(),
        },
        allowed=CHANGERS,
        action=AuditEvent.Action.CHANGE,
    ),
    # Referring the case to another agency (referral_views): members of its organisations.
    Route("staff:referral_create", case_id, allowed=CHANGERS),
    Route(
        "staff:referral_create",
        case_id,
        "POST",
        lambda s: {
            "from_organisation": s["centre"].pk,
            "to_organisation": s["clinic"].pk,
            "summary": "訪問診療の導入を相談したい",
        },
        allowed=CHANGERS,
        action=AuditEvent.Action.CHANGE,
    ),
    # Pages of the meeting: open to staff who see the meeting, case material only to some.
    Route("staff:meeting_detail", meeting_id, allowed=IN_MEETING, hides=True),
    Route("staff:agenda_builder", meeting_id, allowed=IN_MEETING, hides=True),
    # Putting the case on the agenda of another meeting: for those who may edit that agenda
    # (its organiser's members, chair, recorder) and see the case; an editor who does not see
    # it is told they have no such case; anyone else gets 404.
    Route(
        "staff:agenda_item_add",
        lambda s: [s["other_meeting"].uid],
        "POST",
        lambda s: {
            "kind": "case_review",
            "title": "経過確認",
            "minutes_allotted": 15,
            "case_code": CODE,
        },
        allowed={CHAIR_WITH, RECORDER},
        refused={OTHER_ORG, CHAIR_WITHOUT},
        refused_status=(200, 400),
        echoes=True,
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:agenda_print",
        meeting_id,
        allowed=IN_MEETING,
        hides=True,
        action=AuditEvent.Action.EXPORT,
    ),
    Route("staff:minutes", meeting_id, allowed=IN_MEETING, hides=True),
    # The meeting's .ics: never anything of its cases, for anyone.
    Route("staff:agenda_ics", meeting_id, allowed=set(), hides=True),
    # The chair's run of show: the chair's and the recorder's only.
    Route(
        "staff:agenda_run_of_show",
        meeting_id,
        allowed={CHAIR_WITH, RECORDER},
        action=AuditEvent.Action.EXPORT,
    ),
    # The minutes of the case's item, and changes of the case from it: the meeting's chair and
    # recorder write; participants who see the item are refused; anyone else gets 404.
    Route(
        "staff:minutes_item_save",
        item_id,
        "POST",
        lambda s: {
            f"item-{s['item'].pk}-summary": "本人の意向を確認した",
            f"item-{s['item'].pk}-decisions": "訪問を週2回に増やす",
            f"item-{s['item'].pk}-version": s["item"].version,
        },
        allowed={CHAIR_WITH, RECORDER},
        refused={MEMBER, OUTSIDE_PLEDGED},
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:minutes_case_plan",
        item_id,
        "POST",
        lambda s: {
            f"item-{s['item'].pk}-plan-goals": "見守りを続ける",
            f"item-{s['item'].pk}-plan-monitoring_interval_months": 3,
        },
        allowed={CHAIR_WITH, RECORDER},
        refused={MEMBER, OUTSIDE_PLEDGED},
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:minutes_case_review",
        item_id,
        "POST",
        lambda s: {
            f"item-{s['item'].pk}-review-next_review_on": (
                TODAY + datetime.timedelta(days=30)
            ).isoformat()
        },
        allowed={CHAIR_WITH, RECORDER},
        refused={MEMBER, OUTSIDE_PLEDGED},
        action=AuditEvent.Action.CHANGE,
    ),
    Route(
        "staff:minutes_case_lead",
        item_id,
        "POST",
        lambda s: {
            f"item-{s['item'].pk}-lead-organisation": s["council"].pk,
            f"item-{s['item'].pk}-lead-reason": "会議で決定",
        },
        allowed={CHAIR_WITH, RECORDER},
        refused={MEMBER, OUTSIDE_PLEDGED},
        action=AuditEvent.Action.CHANGE,
    ),
]


def snapshot(scene):
    """What a refused request must leave as it was."""
    case = Case.objects.get(pk=scene["case"].pk)
    return {
        "case": (case.version, case.lead_organisation_id, case.risk_tier, case.next_review_on),
        "roles": CaseRole.objects.count(),
        "consents": list(Consent.objects.values_list("pk", "withdrawn_on")),
        "plans": SupportPlan.objects.count(),
        "lead_changes": LeadChange.objects.count(),
        "audit": AuditEvent.objects.count(),
        "minutes": list(AgendaItem.objects.values_list("pk", "version", "summary")),
        "referrals": Referral.objects.count(),
    }


def request(client, route, scene, user):
    if user is not None:
        client.force_login(user)
    try:
        url = reverse(route.name, args=route.args(scene))
    except NoReverseMatch:
        pytest.skip(f"{route.name} is not routed (yet)")
    data = route.data(scene) if route.data else {}
    if route.method == "POST":
        return client.post(url, data)
    return client.get(url, data)


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_permission_matrix(client, scene, route, who):
    user = scene["users"][who]
    before = snapshot(scene)
    response = request(client, route, scene, user)

    if user is None:
        assert response.status_code == 302
        assert response.url.startswith(reverse("staff:login"))
        assert snapshot(scene) == before
        return

    if route.hides:
        assert response.status_code == 200
        assert (CODE in response.text) == (who in route.allowed), who
        # Showing the case is a read of it: recorded for those shown, not for the others.
        shown = AuditEvent.objects.filter(user=user, case=scene["case"], action=route.action)
        assert shown.exists() == (who in route.allowed), who
        return

    if who in route.refused:
        assert response.status_code in route.refused_status, response.status_code
        shown = CODE in response.content.decode(errors="replace")
        assert not shown or who in IN_MEETING or route.echoes
        after = snapshot(scene)
        assert {k: v for k, v in after.items() if k != "audit"} == {
            k: v for k, v in before.items() if k != "audit"
        }
        assert not AuditEvent.objects.filter(user=user, action=AuditEvent.Action.CHANGE).exists()
        return

    if who in route.allowed:
        assert response.status_code in (200, 302), response.status_code
        if route.method == "POST":
            assert response.status_code == 302  # the change was made, not refused
            after = snapshot(scene)
            assert {k: v for k, v in after.items() if k != "audit"} != {
                k: v for k, v in before.items() if k != "audit"
            }
        events = AuditEvent.objects.filter(user=user, case=scene["case"], action=route.action)
        assert events.exists(), "no audit event"
        assert {event.organisation for event in events} == {scene["through"][who]}
    else:
        assert response.status_code == 404
        assert CODE not in response.content.decode(errors="replace")
        assert snapshot(scene) == before
        assert not AuditEvent.objects.filter(user=user).exists()


@pytest.mark.parametrize("who", [u for u in USERS if u != ANONYMOUS])
def test_the_case_list_shows_the_case_only_to_its_readers(client, scene, who):
    client.force_login(scene["users"][who])
    response = client.get(reverse("staff:case_list"))
    assert response.status_code == 200
    assert (CODE in response.text) == (who in READERS), who
    listed = AuditEvent.objects.filter(
        user=scene["users"][who], case=scene["case"], action=AuditEvent.Action.VIEW
    )
    assert listed.exists() == (who in READERS), who
    if who in READERS:
        assert listed.get().organisation == scene["through"][who]


@pytest.mark.parametrize("who", [u for u in USERS if u != ANONYMOUS])
def test_only_members_of_an_agency_may_open_a_case(client, scene, who):
    client.force_login(scene["users"][who])
    status = client.get(reverse("staff:case_create")).status_code
    # The centre and the other centre are agencies; the 民生委員 council and no membership are not.
    assert status == (404 if who in (OUTSIDE, OUTSIDE_PLEDGED, NO_MEMBERSHIP) else 200), who


@pytest.mark.parametrize("who", [u for u in USERS if u != ANONYMOUS])
def test_my_work_lists_the_case_due_for_review_only_to_its_readers(client, scene, who):
    try:
        my_work = reverse("staff:my_work")
    except NoReverseMatch:
        pytest.skip("staff:my_work is not routed (yet)")
    Case.objects.filter(pk=scene["case"].pk).update(
        next_review_on=TODAY + datetime.timedelta(days=7)
    )
    client.force_login(scene["users"][who])
    response = client.get(my_work)
    assert response.status_code == 200
    assert (CODE in response.text) == (who in READERS), who
