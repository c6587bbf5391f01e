"""Escalation through meetings (issue 6, point 3): an escalated issue is proposed for the parent
area's next meeting with its summary and evidence counts; the decision recorded there moves the
issue through the districts' status service and is linked to the meeting."""

import datetime
import types

import pytest
from django.urls import reverse
from django.utils import translation

from conferences import escalation
from conferences.models import (
    AgendaItem,
    IssueDecision,
    IssueEvidence,
    Meeting,
    MeetingKind,
    MeetingLevel,
    Participant,
)
from districts import services as district_services
from districts.models import DistrictIssue, IssueStatusChange, TargetGroup
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db
Status = DistrictIssue.Status


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in the source language, whatever the catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world():
    city, region, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    ward = factories.organisation("ひばり野区役所", kind=Organisation.Kind.GOVERNMENT)
    chair = factories.user("chair", organisations=[centre], can_chair=True)
    region_chair = factories.user("region_chair", organisations=[ward], can_chair=True)
    member = factories.user("member", organisations=[ward])
    district_meeting = factories.meeting(
        area=district, organiser=centre, chair=chair, starts_in=datetime.timedelta(days=-3)
    )
    region_meeting = factories.meeting(
        area=region,
        organiser=ward,
        chair=region_chair,
        title="北地域 地域ケアネットワーク会議",
        kind=MeetingKind.DISTRICT_NETWORK,
        level=MeetingLevel.REGION,
        starts_in=datetime.timedelta(days=10),
    )
    later_region_meeting = factories.meeting(
        area=region,
        organiser=ward,
        title="北地域 次々回",
        kind=MeetingKind.DISTRICT_NETWORK,
        level=MeetingLevel.REGION,
        starts_in=datetime.timedelta(days=40),
    )
    city_meeting = factories.meeting(
        area=city,
        organiser=ward,
        title="ひばり野区 地域ケア推進会議",
        kind=MeetingKind.MUNICIPAL_PROMOTION,
        level=MeetingLevel.MUNICIPAL,
        starts_in=datetime.timedelta(days=20),
    )
    factories.participant(
        meeting=region_meeting,
        user=member,
        organisation=ward,
        role=Participant.Role.MEMBER,
    )
    issue = factories.issue(
        area=district, description="土日に介護者が休める場がない", status=Status.DISCUSSED
    )
    for n in range(3):
        item = factories.agenda_item(meeting=district_meeting, order=n + 1, title=f"報告{n}")
        IssueEvidence.objects.create(
            agenda_item=item, issue=issue, note="n", target_group=TargetGroup.ELDERLY
        )
    return types.SimpleNamespace(**locals())


def escalate(world, user=None):
    return district_services.issue_escalate(
        issue=world.issue,
        reason="地区では解決できない",
        user=user or world.chair,
        expected_version=world.issue.version,
    )


def test_escalating_proposes_the_issue_for_the_parent_areas_next_meeting(world):
    escalate(world)
    item = AgendaItem.objects.get(district_issue=world.issue)
    assert item.meeting == world.region_meeting  # the next one, not the later one
    assert item.kind == AgendaItem.Kind.DISTRICT_ISSUE
    assert item.title == world.issue.title
    assert "土日に介護者が休める場がない" in item.summary
    # Evidence counts travel with it, suppressed like on the issue page (3 → "<5").
    assert "<5" in item.summary and "3" not in item.summary


def test_escalating_from_the_issue_page_puts_it_on_the_agenda_once(client, world):
    client.force_login(world.chair)
    url = reverse("staff:issue_change_status", args=[world.issue.pk])
    response = client.post(
        url, {"to_status": "escalated", "reason": "", "version": world.issue.version}
    )
    assert response.status_code == 302
    world.issue.refresh_from_db()
    assert (world.issue.status, world.issue.area) == (Status.ESCALATED, world.region)
    assert AgendaItem.objects.filter(district_issue=world.issue).count() == 1
    assert escalation.proposed_item(issue=world.issue).meeting == world.region_meeting
    page = client.get(reverse("staff:issue_evidence", args=[world.issue.pk]))
    assert world.region_meeting.title in page.text
    # Proposing again (e.g. a second escalation path) does not add a second item.
    escalation.propose_for_next_meeting(issue=world.issue, user=world.chair)
    assert AgendaItem.objects.filter(district_issue=world.issue).count() == 1


def test_no_planned_meeting_of_the_parent_area_leaves_the_issue_escalated_and_says_so(
    client, world
):
    Meeting.objects.filter(area=world.region).update(status=Meeting.Status.CANCELLED)
    escalate(world)
    world.issue.refresh_from_db()
    assert world.issue.status == Status.ESCALATED
    assert not AgendaItem.objects.filter(district_issue=world.issue).exists()
    client.force_login(world.chair)
    page = client.get(reverse("staff:issue_evidence", args=[world.issue.pk]))
    assert "has no planned meeting yet" in page.text


def decide_url(item):
    return reverse("staff:evidence_decide", args=[item.meeting.uid, item.pk])


def decision(item, value, reason="", version=None):
    prefix = f"decision-{item.pk}"
    issue = DistrictIssue.objects.get(pk=item.district_issue_id)
    return {
        f"{prefix}-decision": value,
        f"{prefix}-reason": reason,
        f"{prefix}-version": str(version if version is not None else issue.version),
    }


def test_the_parent_meeting_records_addressed_and_the_issue_follows(client, world):
    escalate(world)
    item = AgendaItem.objects.get(district_issue=world.issue)
    client.force_login(world.region_chair)
    panel = client.get(reverse("staff:evidence_item", args=[item.meeting.uid, item.pk]))
    assert "Record the decision" in panel.text
    response = client.post(decide_url(item), decision(item, "addressed", "区の事業で対応"))
    assert response.status_code == 302
    world.issue.refresh_from_db()
    assert world.issue.status == Status.ADDRESSED
    steps = list(
        IssueStatusChange.objects.filter(issue=world.issue)
        .order_by("pk")
        .values_list("to_status", flat=True)
    )
    assert steps[-2:] == [Status.DISCUSSED, Status.ADDRESSED]
    decided = list(IssueDecision.objects.order_by("pk"))
    assert [d.status_change.to_status for d in decided] == [Status.DISCUSSED, Status.ADDRESSED]
    assert all(d.agenda_item == item for d in decided)
    assert all(d.status_change.changed_by == world.region_chair for d in decided)
    page = client.get(reverse("staff:issue_evidence", args=[world.issue.pk]))
    assert "Decisions taken in meetings" in page.text
    assert world.region_meeting.title in page.text


def test_escalating_further_moves_it_to_the_municipal_meeting(client, world):
    escalate(world)
    item = AgendaItem.objects.get(district_issue=world.issue)
    client.force_login(world.region_chair)
    assert client.post(decide_url(item), decision(item, "escalated")).status_code == 302
    world.issue.refresh_from_db()
    assert (world.issue.status, world.issue.area) == (Status.ESCALATED, world.city)
    city_item = AgendaItem.objects.get(district_issue=world.issue, meeting=world.city_meeting)
    assert city_item.kind == AgendaItem.Kind.DISTRICT_ISSUE
    # At the top of the tree there is no further escalation to offer.
    choices = dict(escalation.decision_choices(issue=world.issue))
    assert Status.ESCALATED not in choices


def test_closing_without_a_reason_is_refused_and_nothing_changes(client, world):
    escalate(world)
    world.issue.refresh_from_db()
    version = world.issue.version
    item = AgendaItem.objects.get(district_issue=world.issue)
    client.force_login(world.region_chair)
    response = client.post(decide_url(item), decision(item, "closed"))
    assert response.status_code == 400
    assert "Say why the issue is closed." in response.text
    world.issue.refresh_from_db()
    # The "discussed" step taken on the way is rolled back with the refused close.
    assert (world.issue.status, world.issue.version) == (Status.ESCALATED, version)
    assert not IssueDecision.objects.exists()


def test_a_stale_decision_is_refused_with_what_changed(client, world):
    escalate(world)
    world.issue.refresh_from_db()
    item = AgendaItem.objects.get(district_issue=world.issue)
    old = world.issue.version
    district_services.issue_change_status(
        issue=world.issue, to_status="discussed", reason="", user=world.chair, expected_version=old
    )
    client.force_login(world.region_chair)
    response = client.post(decide_url(item), decision(item, "addressed", version=old))
    assert response.status_code == 400
    assert "Someone else changed this issue" in response.text
    world.issue.refresh_from_db()
    assert world.issue.status == Status.DISCUSSED
    assert not IssueDecision.objects.exists()


def test_only_the_meetings_writers_record_decisions(client, world):
    escalate(world)
    item = AgendaItem.objects.get(district_issue=world.issue)
    client.force_login(world.member)  # a participant, not chair or recorder
    panel = client.get(reverse("staff:evidence_item", args=[item.meeting.uid, item.pk]))
    assert panel.status_code == 200 and "Record the decision" not in panel.text
    assert client.post(decide_url(item), decision(item, "addressed")).status_code == 404
    world.issue.refresh_from_db()
    assert world.issue.status == Status.ESCALATED
