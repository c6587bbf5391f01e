"""District issues from cases (issue 6, points 1 and 2): tagging a minutes item as evidence for a
地域課題 with an anonymised note, and the issue's evidence section with small-cell suppression."""

import datetime
import types
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import translation

from conferences import evidence
from conferences.models import AuditEvent, Case, IssueEvidence, Participant
from districts.models import DistrictIssue, IssueStatusChange, TargetGroup
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


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
    council = factories.organisation(
        "ひばり野区社会福祉協議会", kind=Organisation.Kind.WELFARE_COUNCIL
    )
    far = factories.organisation("遠くの事業所", kind=Organisation.Kind.NPO)
    chair = factories.user("chair", organisations=[centre], can_chair=True)
    recorder = factories.user("recorder", organisations=[centre])
    member = factories.user("member", organisations=[council])
    stranger = factories.user("stranger", organisations=[far])
    case = factories.case(
        district=district,
        lead=centre,
        code="K-EVI-0001",
        target_group=TargetGroup.ELDERLY,
        support_level=Case.SupportLevel.SUPPORT_PLAN,
    )
    meeting = factories.meeting(
        area=district,
        organiser=centre,
        chair=chair,
        recorder=recorder,
        starts_in=datetime.timedelta(days=-1),
    )
    for person, org, role in [
        (chair, centre, Participant.Role.CHAIR),
        (recorder, centre, Participant.Role.RECORDER),
        (member, council, Participant.Role.MEMBER),
    ]:
        factories.participant(meeting=meeting, user=person, organisation=org, role=role)
    report = factories.agenda_item(meeting=meeting, order=1, title="地区の報告")
    case_item = factories.agenda_item(meeting=meeting, order=2, case=case, title="事例検討")
    issue = factories.issue(area=district)
    return types.SimpleNamespace(**locals())


def panel_url(item):
    return reverse("staff:evidence_item", args=[item.meeting.uid, item.pk])


def form_data(item, **values):
    prefix = f"evidence-{item.pk}"
    data = {"issue": "", "new_title": "", "new_description": "", "note": ""} | values
    return {f"{prefix}-{key}": value for key, value in data.items()}


def test_recorder_tags_a_case_item_with_an_existing_issue(client, world):
    client.force_login(world.recorder)
    response = client.post(
        panel_url(world.case_item),
        form_data(
            world.case_item, issue=str(world.issue.pk), note="週末に休める場がなく介護者が疲弊"
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == panel_url(world.case_item)
    row = IssueEvidence.objects.get()
    assert (row.issue, row.agenda_item, row.created_by) == (
        world.issue,
        world.case_item,
        world.recorder,
    )
    # The case's groups are copied, so the issue page counts them without reading the case.
    assert (row.target_group, row.support_level) == (TargetGroup.ELDERLY, "support_plan")
    change = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (change.case, change.meeting, change.organisation, change.detail) == (
        world.case,
        world.meeting,
        world.centre,
        "evidence:tag",
    )
    page = client.get(panel_url(world.case_item))
    assert "週末に休める場がなく介護者が疲弊" in page.text
    assert world.issue.title in page.text


def test_a_new_issue_is_raised_in_the_meetings_area_through_the_districts_service(client, world):
    client.force_login(world.chair)
    response = client.post(
        panel_url(world.case_item),
        form_data(world.case_item, new_title="夜間の見守りが足りない", note="夜間の不安が続く"),
    )
    assert response.status_code == 302
    issue = DistrictIssue.objects.get(title="夜間の見守りが足りない")
    assert (issue.area, issue.raised_in, issue.status) == (
        world.district,
        world.district,
        DistrictIssue.Status.RAISED,
    )
    assert issue.target_group == TargetGroup.ELDERLY  # the case's
    assert issue.raised_on == world.meeting.starts_at.date()
    assert IssueStatusChange.objects.filter(issue=issue, changed_by=world.chair).count() == 1
    assert IssueEvidence.objects.get().issue == issue


def test_a_note_with_the_case_code_is_refused_and_what_was_typed_stays(client, world):
    client.force_login(world.recorder)
    response = client.post(
        panel_url(world.case_item),
        form_data(world.case_item, issue=str(world.issue.pk), note="k-evi-0001 の家族が疲弊"),
    )
    assert response.status_code == 400
    assert "leave out the case code" in response.text
    assert "k-evi-0001 の家族が疲弊" in response.text  # kept in the field
    assert not IssueEvidence.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_missing_choice_missing_note_and_duplicates_are_refused_specifically(client, world):
    client.force_login(world.recorder)
    response = client.post(panel_url(world.report), form_data(world.report, note="x"))
    assert response.status_code == 400
    assert "Choose a district issue, or name a new one." in response.text
    response = client.post(
        panel_url(world.report), form_data(world.report, issue=str(world.issue.pk))
    )
    assert response.status_code == 400
    assert "Write what this item shows about the issue." in response.text
    data = form_data(world.report, issue=str(world.issue.pk), note="報告から")
    assert client.post(panel_url(world.report), data).status_code == 302
    response = client.post(panel_url(world.report), data)
    assert response.status_code == 400
    assert "already evidence for" in response.text
    assert IssueEvidence.objects.count() == 1
    assert not DistrictIssue.objects.exclude(pk=world.issue.pk).exists()


def test_closed_issues_and_issues_of_other_areas_are_not_offered(client, world):
    _, _, other_district = factories.area_tree()
    elsewhere = factories.issue(area=other_district, title="よその課題")
    closed = factories.issue(
        area=world.district, title="終わった課題", status=DistrictIssue.Status.CLOSED
    )
    city_issue = factories.issue(area=world.city, title="区全体の課題")
    offered = evidence.evidence_issue_choices(meeting=world.meeting)
    assert world.issue in offered and city_issue in offered
    assert elsewhere not in offered and closed not in offered
    client.force_login(world.recorder)
    response = client.post(
        panel_url(world.report), form_data(world.report, issue=str(elsewhere.pk), note="x")
    )
    assert response.status_code == 400
    assert not IssueEvidence.objects.exists()


def test_participant_who_does_not_write_sees_the_tags_but_cannot_tag(client, world):
    IssueEvidence.objects.create(
        agenda_item=world.report, issue=world.issue, note="報告からの根拠", created_by=world.chair
    )
    client.force_login(world.member)
    page = client.get(panel_url(world.report))
    assert page.status_code == 200
    assert "報告からの根拠" in page.text
    assert "Tag as evidence" not in page.text
    response = client.post(
        panel_url(world.report), form_data(world.report, issue=str(world.issue.pk), note="y")
    )
    assert response.status_code == 404
    row = IssueEvidence.objects.get()
    remove = reverse("staff:evidence_remove", args=[world.meeting.uid, world.report.pk, row.pk])
    assert client.post(remove).status_code == 404
    assert IssueEvidence.objects.count() == 1


def test_writer_removes_a_tag(client, world):
    row = IssueEvidence.objects.create(
        agenda_item=world.case_item, issue=world.issue, note="n", target_group="elderly"
    )
    client.force_login(world.chair)
    remove = reverse("staff:evidence_remove", args=[world.meeting.uid, world.case_item.pk, row.pk])
    assert client.post(remove).status_code == 302
    assert not IssueEvidence.objects.exists()
    assert AuditEvent.objects.filter(detail="evidence:untag", case=world.case).count() == 1


def test_someone_without_the_case_gets_404_for_its_items_panel(client, world):
    client.force_login(world.stranger)
    assert client.get(panel_url(world.case_item)).status_code == 404
    response = client.post(
        panel_url(world.case_item),
        form_data(world.case_item, issue=str(world.issue.pk), note="x"),
    )
    assert response.status_code == 404
    assert not IssueEvidence.objects.exists()
    assert not AuditEvent.objects.filter(user=world.stranger).exists()


def test_minutes_page_links_each_visible_item_to_its_evidence_panel(client, world):
    client.force_login(world.recorder)
    page = client.get(reverse("staff:minutes", args=[world.meeting.uid]))
    assert page.status_code == 200
    assert f'href="{panel_url(world.report)}"' in page.text
    assert f'href="{panel_url(world.case_item)}"' in page.text
    # htmx loads the panel alone.
    partial = client.get(panel_url(world.report), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert 'id="evidence-' in partial.text
    # The panel inside the page shows no case material: only the page's own read is audited.
    reads = AuditEvent.objects.filter(case=world.case, action=AuditEvent.Action.VIEW).count()
    client.get(panel_url(world.case_item), headers={"HX-Request": "true"})
    assert (
        AuditEvent.objects.filter(case=world.case, action=AuditEvent.Action.VIEW).count() == reads
    )
    client.get(panel_url(world.case_item))
    assert (
        AuditEvent.objects.filter(case=world.case, action=AuditEvent.Action.VIEW).count()
        == reads + 1
    )


def test_htmx_tag_answers_with_the_panel(client, world):
    client.force_login(world.recorder)
    response = client.post(
        panel_url(world.report),
        form_data(world.report, issue=str(world.issue.pk), note="報告"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "報告" in response.text
    assert IssueEvidence.objects.count() == 1


# Small-cell suppression


def test_counts_under_five_are_shown_as_under_five_and_a_giveaway_total_is_hidden():
    rows, total = evidence.suppressed_table(
        Counter({"elderly": 6, "children": 2}), TargetGroup.choices
    )
    assert {row["value"]: row["shown"] for row in rows} == {"children": "<5", "elderly": "6"}
    assert total == "*"  # 8 would give the 2 away
    rows, total = evidence.suppressed_table(Counter({"elderly": 3}), TargetGroup.choices)
    assert [row["shown"] for row in rows] == ["<5"] and total == "<5"
    rows, total = evidence.suppressed_table(
        Counter({"elderly": 5, "children": 7}), TargetGroup.choices
    )
    assert [row["shown"] for row in rows] == ["7", "5"] and total == "12"
    rows, total = evidence.suppressed_table(
        Counter({"elderly": 6, "children": 2, "disability": 1}), TargetGroup.choices
    )
    assert sorted(row["shown"] for row in rows) == ["6", "<5", "<5"] and total == "9"
    assert evidence.suppressed(0) == "0" and evidence.suppressed(4) == "<5"


def test_issue_evidence_page_shows_notes_and_suppressed_counts_never_a_case_code(client, world):
    codes = []
    for n in range(7):
        group = TargetGroup.ELDERLY if n < 5 else TargetGroup.CHILDREN
        case = factories.case(
            district=world.district, lead=world.centre, code=f"K-SUP-{n:04d}", target_group=group
        )
        codes.append(case.code)
        item = factories.agenda_item(meeting=world.meeting, order=10 + n, case=case)
        IssueEvidence.objects.create(
            agenda_item=item,
            issue=world.issue,
            note=f"根拠その{n}",
            target_group=group,
            support_level=case.support_level,
        )
    discussed = factories.agenda_item(
        meeting=world.meeting, order=30, kind="district_issue", district_issue=world.issue
    )
    factories.action_item(
        agenda_item=discussed, organisation=world.council, description="休日の居場所を探す"
    )
    client.force_login(world.stranger)  # no access to any of the cases
    response = client.get(reverse("staff:issue_evidence", args=[world.issue.pk]))
    assert response.status_code == 200
    text = response.text
    for n in range(7):
        assert f"根拠その{n}" in text
    for code in [*codes, "K-EVI-0001"]:
        assert code not in text
    assert 'data-value="5"' in text  # 5 older people
    assert 'data-value="&lt;5"' in text  # 2 children
    assert 'data-value="*"' in text  # a total of 7 would give the 2 away
    assert 'data-value="7"' in text  # all 7 have the same support level
    assert "休日の居場所を探す" in text
    assert world.meeting.title in text
    assert not AuditEvent.objects.filter(user=world.stranger).exists()


def test_issue_page_loads_its_evidence_section(client, world):
    client.force_login(world.stranger)
    page = client.get(reverse("staff:issue_detail", args=[world.issue.pk]))
    url = reverse("staff:issue_evidence", args=[world.issue.pk])
    assert f'hx-get="{url}"' in page.text and f'href="{url}"' in page.text
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert 'id="issue-evidence"' in partial.text
