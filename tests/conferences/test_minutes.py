"""Minutes: per-item saves that never overwrite each other, action items, the case from within
its item, attendance, approval and its lock, corrections as revisions, circulation and proposed
corrections, private notes, who reads what, and the page's query count."""

import datetime
import types

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import (
    ActionItem,
    AgendaItem,
    AuditEvent,
    CorrectionProposal,
    LeadChange,
    LegalBasis,
    Meeting,
    MeetingSeries,
    MeetingVisibility,
    Minutes,
    MinutesRevision,
    Participant,
    PrivateNote,
    SupportPlan,
)
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    council = factories.organisation(
        "ひばり野区社会福祉協議会", kind=Organisation.Kind.WELFARE_COUNCIL
    )
    clinic = factories.organisation("桜台クリニック", kind=Organisation.Kind.MEDICAL)
    far = factories.organisation("遠くの事業所", kind=Organisation.Kind.NPO)
    chair = factories.user("chair", organisations=[centre], can_chair=True, first_name="議長")
    recorder = factories.user("recorder", organisations=[centre])
    member = factories.user("member", organisations=[council])
    doctor = factories.user("doctor", organisations=[clinic])
    stranger = factories.user("stranger", organisations=[far])
    case = factories.case(district=district, lead=centre, others=[clinic], code="K-MIN-0001")
    meeting = factories.meeting(
        area=district,
        organiser=centre,
        chair=chair,
        recorder=recorder,
        legal_basis=LegalBasis.LONG_TERM_CARE,
        starts_in=datetime.timedelta(days=-1),
    )
    for person, org, role in [
        (chair, centre, Participant.Role.CHAIR),
        (recorder, centre, Participant.Role.RECORDER),
        (member, council, Participant.Role.MEMBER),
    ]:
        factories.participant(meeting=meeting, user=person, organisation=org, role=role)
    report = factories.agenda_item(meeting=meeting, order=1, title="地区の報告")
    case_item = factories.agenda_item(
        meeting=meeting, order=2, case=case, title="事例検討 K-MIN", presenting_organisation=clinic
    )
    return types.SimpleNamespace(
        district=district,
        centre=centre,
        council=council,
        clinic=clinic,
        far=far,
        chair=chair,
        recorder=recorder,
        member=member,
        doctor=doctor,
        stranger=stranger,
        case=case,
        meeting=meeting,
        report=report,
        case_item=case_item,
    )


def page_url(meeting):
    return reverse("staff:minutes", args=[meeting.uid])


def save_url(item):
    return reverse("staff:minutes_item_save", args=[item.meeting.uid, item.pk])


def item_post(item, summary, decisions="", version=None, **extra):
    prefix = f"item-{item.pk}"
    data = {
        f"{prefix}-summary": summary,
        f"{prefix}-decisions": decisions,
        f"{prefix}-version": str(version if version is not None else item.version),
    }
    return data | extra


def login(client, user):
    client.force_login(user)
    return client


# The page and who reads what


def test_chair_sees_every_item_and_each_case_read_is_audited_once(client, world):
    login(client, world.chair)
    response = client.get(page_url(world.meeting))
    assert response.status_code == 200
    assert "地区の報告" in response.text
    assert "K-MIN-0001" in response.text
    # The page's title names the meeting, never a case.
    title = response.text.split("<title>")[1].split("</title>")[0]
    assert "K-MIN" not in title
    events = list(AuditEvent.objects.all())
    assert [(e.case, e.action, e.meeting) for e in events] == [
        (world.case, AuditEvent.Action.VIEW, world.meeting)
    ]


def test_confidential_meeting_is_404_for_someone_not_on_it_on_every_url(client, world):
    Meeting.objects.filter(pk=world.meeting.pk).update(visibility=MeetingVisibility.CONFIDENTIAL)
    login(client, world.stranger)
    assert client.get(page_url(world.meeting)).status_code == 404
    response = client.post(save_url(world.report), item_post(world.report, "x"))
    assert response.status_code == 404
    approve = reverse("staff:minutes_approve", args=[world.meeting.uid])
    assert client.post(approve).status_code == 404
    assert not AuditEvent.objects.exists()


def test_someone_else_reads_only_approved_minutes_and_no_case_item(client, world):
    AgendaItem.objects.filter(pk=world.report.pk).update(summary="公開してよい報告")
    AgendaItem.objects.filter(pk=world.case_item.pk).update(summary="ケースの秘密の内容")
    login(client, world.stranger)
    draft = client.get(page_url(world.meeting))
    assert draft.status_code == 200
    assert "公開してよい報告" not in draft.text
    Minutes.objects.create(meeting=world.meeting, status=Minutes.Status.APPROVED)
    approved = client.get(page_url(world.meeting))
    assert "公開してよい報告" in approved.text
    assert "ケースの秘密の内容" not in approved.text
    assert "K-MIN-0001" not in approved.text
    assert "事例検討 K-MIN" not in approved.text
    assert not AuditEvent.objects.exists()


def test_meeting_page_links_to_the_minutes(client, world):
    login(client, world.chair)
    response = client.get(reverse("staff:meeting_detail", args=[world.meeting.uid]))
    assert page_url(world.meeting) in response.text


# Saving an item: optimistic locking


def test_recorder_saves_an_item_without_javascript_and_the_minutes_start(client, world):
    login(client, world.recorder)
    response = client.post(save_url(world.report), item_post(world.report, "報告あり\r\n二行目"))
    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{world.report.pk}")
    world.report.refresh_from_db()
    assert world.report.summary == "報告あり\n二行目"
    assert world.report.version == 2
    minutes = Minutes.objects.get(meeting=world.meeting)
    assert minutes.status == Minutes.Status.DRAFT


def test_saving_the_same_text_again_changes_nothing(client, world):
    login(client, world.recorder)
    client.post(save_url(world.report), item_post(world.report, "同じ", version=1))
    client.post(save_url(world.report), item_post(world.report, "同じ", version=2))
    world.report.refresh_from_db()
    assert (world.report.summary, world.report.version) == ("同じ", 2)
    # The same words from an older version: nothing to refuse; other words: refused.
    same = client.post(save_url(world.report), item_post(world.report, "同じ", version=1))
    assert same.status_code == 302
    other = client.post(save_url(world.report), item_post(world.report, "違う", version=1))
    assert other.status_code == 409
    world.report.refresh_from_db()
    assert (world.report.summary, world.report.version) == ("同じ", 2)


def test_saving_a_case_item_is_audited_as_a_change(client, world):
    login(client, world.recorder)
    client.post(save_url(world.case_item), item_post(world.case_item, "経過を確認"))
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.case, event.meeting, event.user) == (world.case, world.meeting, world.recorder)
    assert "経過" not in event.detail


def test_htmx_save_returns_only_the_item_section(client, world):
    login(client, world.chair)
    response = client.post(
        save_url(world.report), item_post(world.report, "htmxで保存"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="item-{world.report.pk}"' in response.text
    assert "htmxで保存" in response.text
    assert f'name="item-{world.report.pk}-version" value="2"' in response.text


def test_two_people_saving_the_same_item_the_later_is_refused_with_both_texts(world):
    from django.test import Client

    chair, recorder = Client(), Client()
    chair.force_login(world.chair)
    recorder.force_login(world.recorder)
    # Both opened the page at version 1.
    assert chair.get(page_url(world.meeting)).status_code == 200
    assert recorder.get(page_url(world.meeting)).status_code == 200
    first = chair.post(save_url(world.report), item_post(world.report, "議長の要約", version=1))
    assert first.status_code == 302
    later = recorder.post(
        save_url(world.report), item_post(world.report, "記録者の要約", "記録者の決定", version=1)
    )
    assert later.status_code == 409
    world.report.refresh_from_db()
    assert (world.report.summary, world.report.version) == ("議長の要約", 2)
    text = later.text
    assert "Someone else saved this item" in text or "他の人" in text
    # What they typed stays in the form, beside what is stored now.
    assert "記録者の要約</textarea>" in text
    # Side by side, what differs marked within the line.
    assert "<del>議長</del>の要約" in text and "<ins>記録者</ins>の要約" in text
    # The form still carries the old version: saving again as is would be refused again.
    assert f'name="item-{world.report.pk}-version" value="1"' in text

    merged = recorder.post(
        save_url(world.report),
        item_post(world.report, "記録者の要約", "記録者の決定", version=1, merge="1"),
    )
    assert merged.status_code == 200
    assert "議長の要約\n記録者の要約</textarea>" in merged.text
    assert f'name="item-{world.report.pk}-version" value="2"' in merged.text
    world.report.refresh_from_db()
    assert world.report.summary == "議長の要約"
    final = recorder.post(
        save_url(world.report), item_post(world.report, "議長の要約\n記録者の要約", version=2)
    )
    assert final.status_code == 302
    world.report.refresh_from_db()
    assert (world.report.summary, world.report.version) == ("議長の要約\n記録者の要約", 3)


def test_a_participant_who_does_not_write_the_minutes_cannot_save(client, world):
    login(client, world.member)
    response = client.post(save_url(world.report), item_post(world.report, "勝手に"))
    assert response.status_code == 403
    world.report.refresh_from_db()
    assert world.report.summary == ""


def test_a_case_item_of_a_case_the_user_may_not_see_is_404(client, world):
    # The recorder of a held meeting no longer sees its cases through the meeting.
    Meeting.objects.filter(pk=world.meeting.pk).update(status=Meeting.Status.HELD)
    outside_recorder = factories.user("outside-recorder", organisations=[world.far])
    Meeting.objects.filter(pk=world.meeting.pk).update(recorder=outside_recorder)
    login(client, outside_recorder)
    response = client.post(save_url(world.case_item), item_post(world.case_item, "x"))
    assert response.status_code == 404


# Action items


def action_post(item, prefix=None, **fields):
    prefix = prefix or f"item-{item.pk}-action"
    defaults = {"description": "訪問する", "is_lead": "1", "due_on": "2026-12-20"}
    return {f"{prefix}-{key}": value for key, value in (defaults | fields).items()}


def test_action_item_with_organisation_person_role_and_due_date(client, world):
    login(client, world.recorder)
    url = reverse("staff:minutes_action_add", args=[world.meeting.uid, world.case_item.pk])
    response = client.post(
        url,
        action_post(world.case_item, organisation=world.council.pk, assignee=world.member.pk),
    )
    assert response.status_code == 302
    action = ActionItem.objects.get()
    assert action.organisation == world.council
    assert action.assignee == world.member
    assert action.is_lead is True
    assert action.due_on == datetime.date(2026, 12, 20)
    assert action.case == world.case


def test_action_item_person_must_belong_to_the_organisation_and_input_is_kept(client, world):
    login(client, world.recorder)
    url = reverse("staff:minutes_action_add", args=[world.meeting.uid, world.report.pk])
    response = client.post(
        url,
        action_post(
            world.report,
            description="民生委員に連絡",
            organisation=world.council.pk,
            assignee=world.recorder.pk,
        ),
    )
    assert response.status_code == 403
    assert "is not a member of" in response.text or "の職員ではありません" in response.text
    assert 'value="民生委員に連絡"' in response.text
    assert not ActionItem.objects.exists()


def test_action_item_for_any_agency_by_name(client, world):
    login(client, world.recorder)
    url = reverse("staff:minutes_action_add", args=[world.meeting.uid, world.report.pk])
    client.post(url, action_post(world.report, other_organisation="遠くの事業所", is_lead="0"))
    action = ActionItem.objects.get()
    assert action.organisation == world.far
    assert action.is_lead is False
    missing = client.post(url, action_post(world.report, other_organisation="存在しない機関"))
    assert missing.status_code == 403
    assert ActionItem.objects.count() == 1


def test_an_information_point_becomes_an_action_item_in_one_step(client, world):
    login(client, world.recorder)
    client.post(
        save_url(world.case_item),
        item_post(world.case_item, "・服薬の確認が必要\n・家族と連絡がとれない"),
    )
    page = client.get(page_url(world.meeting)).text
    assert "服薬の確認が必要" in page
    url = reverse("staff:minutes_action_from_point", args=[world.meeting.uid, world.case_item.pk])
    response = client.post(url, {"point": "・家族と連絡がとれない"})
    assert response.status_code == 302
    action = ActionItem.objects.get()
    assert action.description == "家族と連絡がとれない"
    assert action.organisation == world.clinic  # the presenting organisation
    assert action.case == world.case
    meeting_day = timezone.localtime(world.meeting.starts_at).date()
    assert action.due_on == meeting_day + datetime.timedelta(days=14)
    # A line that is not (or no longer) in the saved summary is refused.
    refused = client.post(url, {"point": "書いていないこと"})
    assert refused.status_code == 403
    assert ActionItem.objects.count() == 1


def test_point_of_an_item_without_presenter_goes_to_the_organiser(client, world):
    login(client, world.recorder)
    client.post(save_url(world.report), item_post(world.report, "会場を予約する"))
    url = reverse("staff:minutes_action_from_point", args=[world.meeting.uid, world.report.pk])
    client.post(url, {"point": "会場を予約する"})
    assert ActionItem.objects.get().organisation == world.centre


def test_action_item_is_editable_afterwards_and_marked_done(client, world):
    action = factories.action_item(agenda_item=world.report, organisation=world.centre)
    login(client, world.recorder)
    edit = reverse("staff:minutes_action_edit", args=[world.meeting.uid, action.pk])
    response = client.post(
        edit,
        action_post(
            world.report,
            prefix=f"action-{action.pk}",
            description="書き直した",
            organisation=world.council.pk,
            assignee=world.member.pk,
        ),
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.description, action.organisation, action.assignee) == (
        "書き直した",
        world.council,
        world.member,
    )
    done = reverse("staff:minutes_action_done", args=[world.meeting.uid, action.pk])
    client.post(done, {"done": "1"})
    action.refresh_from_db()
    assert action.status == ActionItem.Status.DONE
    assert action.done_on == timezone.localdate()
    client.post(done, {"done": "0"})
    action.refresh_from_db()
    assert (action.status, action.done_on) == (ActionItem.Status.OPEN, None)


# The case from within its item


def test_plan_lead_and_next_review_of_the_case_from_its_item(client, world):
    login(client, world.chair)
    uid, pk = world.meeting.uid, world.case_item.pk
    prefix = f"item-{pk}"
    response = client.post(
        reverse("staff:minutes_case_plan", args=[uid, pk]),
        {
            f"{prefix}-plan-goals": "在宅生活を続ける",
            f"{prefix}-plan-monitoring_interval_months": "3",
            f"{prefix}-plan-next_review_on": "2027-03-01",
        },
    )
    assert response.status_code == 302
    plan = SupportPlan.objects.get(case=world.case)
    assert (plan.number, plan.agreed_at_meeting) == (1, world.meeting)
    response = client.post(
        reverse("staff:minutes_case_lead", args=[uid, pk]),
        {f"{prefix}-lead-organisation": world.clinic.pk, f"{prefix}-lead-reason": "医療中心に"},
    )
    assert response.status_code == 302
    world.case.refresh_from_db()
    assert world.case.lead_organisation == world.clinic
    change = LeadChange.objects.get(case=world.case)
    assert (change.meeting, change.reason) == (world.meeting, "医療中心に")
    client.post(
        reverse("staff:minutes_case_review", args=[uid, pk]),
        {f"{prefix}-review-next_review_on": "2027-04-01"},
    )
    world.case.refresh_from_db()
    assert world.case.next_review_on == datetime.date(2027, 4, 1)
    details = set(
        AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).values_list("detail", flat=True)
    )
    assert {"case:plan", "case:lead_change", "case:next_review"} <= details


def test_lead_needs_a_reason_and_what_was_typed_stays(client, world):
    login(client, world.chair)
    prefix = f"item-{world.case_item.pk}"
    response = client.post(
        reverse("staff:minutes_case_lead", args=[world.meeting.uid, world.case_item.pk]),
        {f"{prefix}-lead-organisation": world.clinic.pk, f"{prefix}-lead-reason": ""},
    )
    assert response.status_code == 400
    world.case.refresh_from_db()
    assert world.case.lead_organisation == world.centre


# Attendance


def test_attendance_per_participant(client, world):
    login(client, world.recorder)
    participants = {p.user_id: p for p in world.meeting.participants.all()}
    url = reverse("staff:minutes_attendance", args=[world.meeting.uid])
    response = client.post(
        url,
        {
            f"attended-{participants[world.chair.pk].pk}": "yes",
            f"attended-{participants[world.member.pk].pk}": "no",
        },
    )
    assert response.status_code == 302
    attended = dict(world.meeting.participants.values_list("user_id", "attended"))
    assert attended == {world.chair.pk: True, world.recorder.pk: None, world.member.pk: False}
    login(client, world.member)
    assert (
        client.post(url, {f"attended-{participants[world.member.pk].pk}": "yes"}).status_code == 403
    )


# Approval, the lock, corrections and revisions


def approve(client, meeting):
    return client.post(reverse("staff:minutes_approve", args=[meeting.uid]))


def test_only_the_chair_approves(client, world):
    login(client, world.recorder)
    assert approve(client, world.meeting).status_code == 403
    assert not Minutes.objects.filter(status=Minutes.Status.APPROVED).exists()
    login(client, world.chair)
    assert approve(client, world.meeting).status_code == 302
    minutes = Minutes.objects.get(meeting=world.meeting)
    assert (minutes.status, minutes.approved_by) == (Minutes.Status.APPROVED, world.chair)
    assert minutes.approved_at is not None


def test_approval_stores_a_revision_snapshot_without_private_notes(client, world):
    factories.action_item(
        agenda_item=world.case_item,
        organisation=world.clinic,
        description="受診同行",
        case=world.case,
    )
    AgendaItem.objects.filter(pk=world.case_item.pk).update(summary="要約", decisions="決定")
    PrivateNote.objects.create(agenda_item=world.case_item, author=world.chair, text="議長メモ")
    login(client, world.chair)
    approve(client, world.meeting)
    revision = MinutesRevision.objects.get()
    assert revision.number == 1
    items = revision.snapshot["items"]
    case_entry = next(i for i in items if i["id"] == world.case_item.pk)
    assert case_entry["summary"] == "要約"
    assert case_entry["decisions"] == "決定"
    assert case_entry["case_id"] == world.case.pk
    assert case_entry["kind"] == AgendaItem.Kind.CASE_REVIEW
    assert case_entry["actions"][0]["description"] == "受診同行"
    assert "議長メモ" not in str(revision.snapshot)


@pytest.fixture
def approved(client, world):
    action = factories.action_item(agenda_item=world.report, organisation=world.centre)
    AgendaItem.objects.filter(pk=world.report.pk).update(summary="承認された要約")
    login(client, world.chair)
    approve(client, world.meeting)
    world.action = action
    return world


def locked_writes(w):
    """Every write endpoint of the minutes, with a valid post for it."""
    uid = w.meeting.uid
    report, case_item = w.report, w.case_item
    participant = w.meeting.participants.first()
    proposal = CorrectionProposal.objects.create(
        agenda_item=report, field="summary", text="案", proposed_by=w.member
    )
    p = f"item-{case_item.pk}"
    return [
        (save_url(report), item_post(report, "変更", version=report.version)),
        (
            reverse("staff:minutes_action_add", args=[uid, report.pk]),
            action_post(report, organisation=w.centre.pk),
        ),
        (
            reverse("staff:minutes_action_from_point", args=[uid, report.pk]),
            {"point": "承認された要約"},
        ),
        (
            reverse("staff:minutes_action_edit", args=[uid, w.action.pk]),
            action_post(report, prefix=f"action-{w.action.pk}", organisation=w.centre.pk),
        ),
        (reverse("staff:minutes_action_done", args=[uid, w.action.pk]), {"done": "1"}),
        (
            reverse("staff:minutes_attendance", args=[uid]),
            {f"attended-{participant.pk}": "yes"},
        ),
        (
            reverse("staff:minutes_case_plan", args=[uid, case_item.pk]),
            {f"{p}-plan-goals": "目標", f"{p}-plan-monitoring_interval_months": "3"},
        ),
        (
            reverse("staff:minutes_case_lead", args=[uid, case_item.pk]),
            {f"{p}-lead-organisation": w.clinic.pk, f"{p}-lead-reason": "理由"},
        ),
        (
            reverse("staff:minutes_case_review", args=[uid, case_item.pk]),
            {f"{p}-review-next_review_on": "2027-01-01"},
        ),
        (
            reverse("staff:minutes_proposal_decide", args=[uid, proposal.pk]),
            {"decision": "accept", "version": report.version},
        ),
        (reverse("staff:minutes_circulate", args=[uid]), {}),
        (reverse("staff:minutes_approve", args=[uid]), {}),
    ]


def test_approved_minutes_refuse_every_write(client, approved):
    w = approved
    w.report.refresh_from_db()
    before = {
        "items": list(AgendaItem.objects.values_list("pk", "summary", "decisions", "version")),
        "actions": list(ActionItem.objects.values_list("pk", "description", "status", "due_on")),
        "attendance": list(Participant.objects.values_list("pk", "attended")),
        "plans": SupportPlan.objects.count(),
        "case": (w.case.lead_organisation_id, w.case.next_review_on),
        "revisions": MinutesRevision.objects.count(),
        "proposals": CorrectionProposal.objects.filter(status="pending").count(),
    }
    writes = locked_writes(w)
    before["proposals"] += 1
    for url, data in writes:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "approved and locked" in response.text or "承認済み" in response.text, url
    w.case.refresh_from_db()
    after = {
        "items": list(AgendaItem.objects.values_list("pk", "summary", "decisions", "version")),
        "actions": list(ActionItem.objects.values_list("pk", "description", "status", "due_on")),
        "attendance": list(Participant.objects.values_list("pk", "attended")),
        "plans": SupportPlan.objects.count(),
        "case": (w.case.lead_organisation_id, w.case.next_review_on),
        "revisions": MinutesRevision.objects.count(),
        "proposals": CorrectionProposal.objects.filter(status="pending").count(),
    }
    assert after == before


def test_a_participant_cannot_propose_on_approved_minutes(client, approved):
    login(client, approved.member)
    url = reverse("staff:minutes_proposal_add", args=[approved.meeting.uid, approved.report.pk])
    p = f"item-{approved.report.pk}-proposal"
    response = client.post(url, {f"{p}-field": "summary", f"{p}-text": "直して"})
    assert response.status_code == 403
    assert not CorrectionProposal.objects.exists()


def test_approved_page_shows_the_lock_and_no_forms(client, approved):
    response = client.get(page_url(approved.meeting))
    assert 'data-minutes-status="approved"' in response.text
    assert f'action="{save_url(approved.report)}"' not in response.text
    assert "承認された要約" in response.text


def test_a_correction_is_a_new_revision_with_a_reason_and_both_are_kept(client, approved):
    w = approved
    reopen = reverse("staff:minutes_reopen", args=[w.meeting.uid])
    assert client.post(reopen, {"reason": ""}).status_code == 400
    assert Minutes.objects.get().status == Minutes.Status.APPROVED
    login(client, w.recorder)
    assert client.post(reopen, {"reason": "誤字"}).status_code == 403
    login(client, w.chair)
    assert client.post(reopen, {"reason": "日付の誤り"}).status_code == 302
    minutes = Minutes.objects.get()
    assert (minutes.status, minutes.revision, minutes.correction_reason) == (
        Minutes.Status.DRAFT,
        2,
        "日付の誤り",
    )
    w.report.refresh_from_db()
    client.post(save_url(w.report), item_post(w.report, "承認された要約\n訂正した一文"))
    approve(client, w.meeting)
    revisions = list(MinutesRevision.objects.order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].reason == "日付の誤り"
    assert revisions[0].snapshot["items"][0]["summary"] == "承認された要約"
    response = client.get(
        reverse("staff:minutes_revisions", args=[w.meeting.uid]), {"left": 1, "right": 2}
    )
    assert response.status_code == 200
    assert "<ins>訂正した一文</ins>" in response.text
    assert "日付の誤り" in response.text


def test_revisions_hide_case_items_from_those_who_may_not_see_the_case(client, world):
    AgendaItem.objects.filter(pk=world.case_item.pk).update(summary="ケースの秘密")
    login(client, world.chair)
    approve(client, world.meeting)
    login(client, world.stranger)
    response = client.get(reverse("staff:minutes_revisions", args=[world.meeting.uid]))
    assert response.status_code == 200
    assert "ケースの秘密" not in response.text
    assert not AuditEvent.objects.filter(user=world.stranger).exists()


def test_approval_carries_open_actions_into_the_next_meeting_of_the_series(client, world):
    series = MeetingSeries.objects.create(
        title="桜台地域ケア会議",
        kind=world.meeting.kind,
        level=world.meeting.level,
        area=world.district,
        rrule="FREQ=MONTHLY;BYDAY=3WE",
        organiser=world.centre,
    )
    Meeting.objects.filter(pk=world.meeting.pk).update(series=series)
    following = factories.meeting(
        area=world.district,
        organiser=world.centre,
        series=series,
        starts_in=datetime.timedelta(days=27),
    )
    open_action = factories.action_item(
        agenda_item=world.report, organisation=world.centre, description="続けて見守る"
    )
    factories.action_item(
        agenda_item=world.report,
        organisation=world.centre,
        description="済んだこと",
        status=ActionItem.Status.DONE,
    )
    login(client, world.chair)
    assert approve(client, world.meeting).status_code == 302
    carried = AgendaItem.objects.get(meeting=following, kind=AgendaItem.Kind.CARRIED_OVER)
    assert list(carried.carried_actions.all()) == [open_action]
    # The approved minutes point to where the actions went.
    page = client.get(page_url(world.meeting)).text
    assert reverse("staff:agenda_builder", args=[following.uid]) in page


# Circulation and proposed corrections


def propose(client, item, field="summary", text="正しくはこう", comment=""):
    url = reverse("staff:minutes_proposal_add", args=[item.meeting.uid, item.pk])
    p = f"item-{item.pk}-proposal"
    return client.post(url, {f"{p}-field": field, f"{p}-text": text, f"{p}-comment": comment})


def test_participants_read_the_draft_only_once_circulated_and_propose_corrections(client, world):
    AgendaItem.objects.filter(pk=world.report.pk).update(summary="下書きの要約")
    login(client, world.member)
    assert "下書きの要約" not in client.get(page_url(world.meeting)).text
    assert propose(client, world.report).status_code == 403

    login(client, world.member)
    member_client = client
    from django.test import Client

    chair = Client()
    chair.force_login(world.chair)
    circulate = reverse("staff:minutes_circulate", args=[world.meeting.uid])
    member_client.force_login(world.member)
    assert member_client.post(circulate).status_code == 403
    assert chair.post(circulate).status_code == 302
    assert Minutes.objects.get().circulated_at is not None

    page = member_client.get(page_url(world.meeting)).text
    assert "下書きの要約" in page
    assert f'action="{save_url(world.report)}"' not in page  # reads, does not edit
    assert (
        propose(member_client, world.report, text="正しい要約", comment="日付").status_code == 302
    )
    assert (
        propose(member_client, world.report, field="decisions", text="決定の案").status_code == 302
    )
    chair_page = chair.get(page_url(world.meeting)).text
    assert "2 pending" in chair_page or "未対応 2" in chair_page or "2件" in chair_page
    assert "正しい要約" in chair_page


def test_chair_accepts_through_the_versioned_save_or_rejects(client, world):
    Minutes.objects.create(meeting=world.meeting, circulated_at=timezone.now())
    AgendaItem.objects.filter(pk=world.report.pk).update(summary="古い要約", decisions="決定")
    summary = CorrectionProposal.objects.create(
        agenda_item=world.report, field="summary", text="新しい要約", proposed_by=world.member
    )
    decisions = CorrectionProposal.objects.create(
        agenda_item=world.report, field="decisions", text="別の決定", proposed_by=world.member
    )
    login(client, world.chair)
    decide = "staff:minutes_proposal_decide"
    # From a stale version (the item was saved since the chair looked): refused.
    AgendaItem.objects.filter(pk=world.report.pk).update(version=2)
    stale = client.post(
        reverse(decide, args=[world.meeting.uid, summary.pk]),
        {"decision": "accept", "version": 1},
    )
    assert stale.status_code == 409
    summary.refresh_from_db()
    assert summary.status == CorrectionProposal.Status.PENDING
    ok = client.post(
        reverse(decide, args=[world.meeting.uid, summary.pk]),
        {"decision": "accept", "version": 2},
    )
    assert ok.status_code == 302
    world.report.refresh_from_db()
    assert (world.report.summary, world.report.decisions, world.report.version) == (
        "新しい要約",
        "決定",
        3,
    )
    client.post(
        reverse(decide, args=[world.meeting.uid, decisions.pk]),
        {"decision": "reject", "version": 3},
    )
    summary.refresh_from_db()
    decisions.refresh_from_db()
    assert (summary.status, summary.decided_by) == (CorrectionProposal.Status.ACCEPTED, world.chair)
    assert decisions.status == CorrectionProposal.Status.REJECTED
    world.report.refresh_from_db()
    assert world.report.decisions == "決定"
    # Only the chair decides.
    again = CorrectionProposal.objects.create(
        agenda_item=world.report, field="summary", text="もう一度", proposed_by=world.member
    )
    login(client, world.recorder)
    response = client.post(
        reverse(decide, args=[world.meeting.uid, again.pk]), {"decision": "accept", "version": 3}
    )
    assert response.status_code == 403


# Private notes


def test_a_private_note_is_seen_by_its_author_only(client, world):
    url = reverse("staff:minutes_private_note", args=[world.meeting.uid, world.report.pk])
    login(client, world.chair)
    client.post(url, {f"item-{world.report.pk}-note-text": "議長だけのメモ"})
    assert PrivateNote.objects.get().author == world.chair
    assert "議長だけのメモ" in client.get(page_url(world.meeting)).text
    for other in (world.recorder, world.member, world.stranger):
        login(client, other)
        assert "議長だけのメモ" not in client.get(page_url(world.meeting)).text
    # Nor in revisions, once approved.
    login(client, world.chair)
    approve(client, world.meeting)
    login(client, world.recorder)
    assert "議長だけのメモ" not in client.get(page_url(world.meeting)).text
    revisions = client.get(reverse("staff:minutes_revisions", args=[world.meeting.uid]))
    assert "議長だけのメモ" not in revisions.text


# Speed


def build_meeting(world, n_items):
    meeting = factories.meeting(
        area=world.district, organiser=world.centre, chair=world.chair, recorder=world.recorder
    )
    factories.participant(
        meeting=meeting, user=world.chair, organisation=world.centre, role=Participant.Role.CHAIR
    )
    factories.participant(meeting=meeting, user=world.member, organisation=world.council)
    for order in range(1, n_items + 1):
        case = None
        if order % 2 == 0:
            case = factories.case(district=world.district, lead=world.centre, others=[world.clinic])
        item = factories.agenda_item(
            meeting=meeting,
            order=order,
            case=case,
            summary="一行目\n二行目",
            presenting_organisation=world.clinic,
        )
        factories.action_item(agenda_item=item, organisation=world.council, assignee=world.member)
        CorrectionProposal.objects.create(
            agenda_item=item, field="summary", text="案", proposed_by=world.member
        )
        PrivateNote.objects.create(agenda_item=item, author=world.chair, text="メモ")
    return meeting


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_page_runs_the_same_number_of_queries_for_5_and_30_items(client, world):
    small = build_meeting(world, 5)
    large = build_meeting(world, 30)
    login(client, world.chair)
    client.get(page_url(small))  # warm the session
    assert count_queries(client, page_url(small)) == count_queries(client, page_url(large))


def test_saving_one_item_is_a_handful_of_queries(client, world, django_assert_max_num_queries):
    meeting = build_meeting(world, 30)
    item = meeting.agenda_items.get(order=2)  # a case item: its save is audited
    Minutes.objects.create(meeting=meeting)
    login(client, world.chair)
    client.get(page_url(meeting))
    with django_assert_max_num_queries(18):
        response = client.post(save_url(item), item_post(item, "保存"))
    assert response.status_code == 302


def test_side_by_side_marks_changed_lines_and_characters():
    from conferences.minutes import side_by_side

    rows = side_by_side("同じ行\n本人は自宅で生活\n消える行", "同じ行\n本人は施設で生活")
    assert [row["changed"] for row in rows] == [False, True, True]
    assert rows[1]["left_parts"] == [("本人は", False), ("自宅", True), ("で生活", False)]
    assert rows[1]["right_parts"] == [("本人は", False), ("施設", True), ("で生活", False)]
    assert (rows[2]["left"], rows[2]["right"], rows[2]["right_parts"]) == ("消える行", None, [])


def test_merge_keeps_every_line_of_both_texts_once():
    from conferences.minutes import merge_texts

    stored = "共通\n議長が足した行"
    mine = "共通\n記録者が足した行"
    assert merge_texts(stored, mine) == "共通\n議長が足した行\n記録者が足した行"
    assert merge_texts("", mine) == mine
    assert merge_texts(stored, stored) == stored


def test_htmx_save_from_a_stale_version_swaps_in_the_conflict(client, world):
    AgendaItem.objects.filter(pk=world.report.pk).update(summary="先に保存", version=2)
    login(client, world.recorder)
    response = client.post(
        save_url(world.report),
        item_post(world.report, "後から保存", version=1),
        HTTP_HX_REQUEST="true",
    )
    # 200, so that htmx swaps it in (it leaves error responses out).
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'class="conflict"' in response.text
    assert "後から保存</textarea>" in response.text
    assert 'name="merge"' in response.text
    world.report.refresh_from_db()
    assert world.report.summary == "先に保存"


def test_private_note_on_a_case_item_needs_the_case(client, world):
    url = reverse("staff:minutes_private_note", args=[world.meeting.uid, world.case_item.pk])
    login(client, world.stranger)
    response = client.post(url, {f"item-{world.case_item.pk}-note-text": "メモ"})
    assert response.status_code == 404
    assert not PrivateNote.objects.exists()


# Who may do what, user by user


def all_minutes_urls(w):
    uid, item, case_item = w.meeting.uid, w.report.pk, w.case_item.pk
    action = factories.action_item(agenda_item=w.case_item, organisation=w.centre, case=w.case)
    proposal = CorrectionProposal.objects.create(
        agenda_item=w.case_item, field="summary", text="案", proposed_by=w.member
    )
    gets = [page_url(w.meeting), reverse("staff:minutes_revisions", args=[uid])]
    posts = [
        reverse(name, args=[uid, pk])
        for name, pk in [
            ("staff:minutes_item_save", item),
            ("staff:minutes_item_save", case_item),
            ("staff:minutes_action_add", case_item),
            ("staff:minutes_action_from_point", case_item),
            ("staff:minutes_private_note", case_item),
            ("staff:minutes_proposal_add", case_item),
            ("staff:minutes_case_plan", case_item),
            ("staff:minutes_case_lead", case_item),
            ("staff:minutes_case_review", case_item),
            ("staff:minutes_action_edit", action.pk),
            ("staff:minutes_action_done", action.pk),
            ("staff:minutes_proposal_decide", proposal.pk),
        ]
    ] + [
        reverse(name, args=[uid])
        for name in [
            "staff:minutes_attendance",
            "staff:minutes_circulate",
            "staff:minutes_approve",
            "staff:minutes_reopen",
        ]
    ]
    return gets, posts


def test_anonymous_is_sent_to_log_in_everywhere(client, world):
    gets, posts = all_minutes_urls(world)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url in posts:
        response = client.post(url, {})
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert not AuditEvent.objects.exists()


def test_case_item_urls_are_404_for_staff_who_may_not_see_the_case(client, world):
    gets, posts = all_minutes_urls(world)
    nobody = factories.user("no-membership")
    for user in (world.stranger, nobody):
        login(client, user)
        for url in gets:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "K-MIN-0001" not in response.text
        for url in posts:
            if f"/items/{world.report.pk}/" in url or url.endswith(
                ("/attendance/", "/circulate/", "/approve/", "/reopen/")
            ):
                continue
            assert client.post(url, {}).status_code == 404, (user, url)
    assert not AuditEvent.objects.exists()


def test_who_sees_the_case_item_of_approved_minutes(client, world):
    AgendaItem.objects.filter(pk=world.case_item.pk).update(summary="ケースの要約")
    Minutes.objects.create(meeting=world.meeting, status=Minutes.Status.APPROVED)
    lead_member = factories.user("lead-member", organisations=[world.centre])
    other_chair = factories.user("other-chair", organisations=[world.far])
    factories.meeting(area=world.district, organiser=world.far, chair=other_chair)
    expectations = [
        (lead_member, True, world.centre),  # same organisation as the case's lead
        (world.doctor, True, world.clinic),  # an organisation with a role on the case
        (world.chair, True, world.centre),  # chair of this meeting (and of the lead centre)
        (world.member, True, None),  # a participant of the meeting: through the meeting
        (other_chair, False, None),  # chair of a meeting without the case
        (world.stranger, False, None),  # another organisation
    ]
    for user, sees, through in expectations:
        AuditEvent.objects.all().delete()
        login(client, user)
        text = client.get(page_url(world.meeting)).text
        assert ("ケースの要約" in text) is sees, user
        events = list(AuditEvent.objects.values_list("case_id", "organisation_id", "action"))
        if sees:
            assert events == [
                (world.case.pk, through.pk if through else None, AuditEvent.Action.VIEW)
            ], user
        else:
            assert events == [], user


def test_an_htmx_save_costs_the_same_in_a_5_or_30_item_meeting(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    login(client, world.chair)
    for size in (5, 30):
        meeting = build_meeting(world, size)
        Minutes.objects.create(meeting=meeting)
        item = meeting.agenda_items.get(order=2)
        client.get(page_url(meeting))
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                save_url(item), item_post(item, f"保存 {size}"), HTTP_HX_REQUEST="true"
            )
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 40


def test_the_case_panel_is_only_for_those_who_see_the_case_itself(client, world):
    """A recorder from an organisation without a role on the case reads the case item as the
    meeting's material, but changes the plan, lead or review only through case access."""
    outside_recorder = factories.user("outside-recorder", organisations=[world.far])
    Meeting.objects.filter(pk=world.meeting.pk).update(
        recorder=outside_recorder, status=Meeting.Status.HELD
    )
    factories.participant(
        meeting=world.meeting,
        user=outside_recorder,
        organisation=world.far,
        role=Participant.Role.RECORDER,
    )
    login(client, outside_recorder)
    page = client.get(page_url(world.meeting)).text
    assert "K-MIN-0001" in page
    plan_url = reverse("staff:minutes_case_plan", args=[world.meeting.uid, world.case_item.pk])
    assert plan_url not in page
    p = f"item-{world.case_item.pk}-plan"
    response = client.post(plan_url, {f"{p}-goals": "目標", f"{p}-monitoring_interval_months": "3"})
    assert response.status_code == 404
    assert not SupportPlan.objects.exists()
    # The chair, whose centre leads the case, has it.
    login(client, world.chair)
    assert plan_url in client.get(page_url(world.meeting)).text


def test_a_refused_post_that_shows_the_page_again_audits_the_cases_it_shows(client, world):
    login(client, world.member)
    response = client.post(save_url(world.report), item_post(world.report, "勝手に"))
    assert response.status_code == 403
    events = list(AuditEvent.objects.values_list("case_id", "action", "user_id"))
    assert events == [(world.case.pk, AuditEvent.Action.VIEW, world.member.pk)]


def test_a_carried_action_about_a_case_not_shared_shows_only_that_there_is_one(client, world):
    """The next meeting's chair, whose organisation has no role on the case, sees that an action
    was carried over, not what it is, and cannot touch it."""
    action = factories.action_item(
        agenda_item=world.case_item, organisation=world.clinic, description="受診に同行する"
    )
    open_report = factories.action_item(
        agenda_item=world.report, organisation=world.centre, description="会場を予約する"
    )
    other_chair = factories.user("next-chair", organisations=[world.far])
    following = factories.meeting(area=world.district, organiser=world.far, chair=other_chair)
    carried = factories.agenda_item(
        meeting=following, order=1, kind=AgendaItem.Kind.CARRIED_OVER, title="持ち越し"
    )
    carried.carried_actions.add(action, open_report)
    login(client, other_chair)
    page = client.get(page_url(following)).text
    assert "会場を予約する" in page
    assert "受診に同行する" not in page
    done = reverse("staff:minutes_action_done", args=[following.uid, action.pk])
    assert client.post(done, {"done": "1"}).status_code == 404
    action.refresh_from_db()
    assert action.status == ActionItem.Status.OPEN
    # Its own chair's centre leads the case: they see it carried, and may mark it done there.
    Meeting.objects.filter(pk=following.pk).update(chair=world.chair)
    login(client, world.chair)
    assert "受診に同行する" in client.get(page_url(following)).text
    assert client.post(done, {"done": "1"}).status_code == 302
    action.refresh_from_db()
    assert action.status == ActionItem.Status.DONE


def test_a_cancelled_meeting_has_no_minutes_to_write(client, world):
    Meeting.objects.filter(pk=world.meeting.pk).update(
        status=Meeting.Status.CANCELLED, cancellation_reason="台風"
    )
    login(client, world.chair)
    page = client.get(page_url(world.meeting)).text
    assert f'action="{save_url(world.report)}"' not in page
    assert client.post(save_url(world.report), item_post(world.report, "x")).status_code == 403
    assert approve(client, world.meeting).status_code == 403
    assert not Minutes.objects.exists()
