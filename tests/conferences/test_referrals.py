"""Referrals (つなぎ): the consent gate, what the receiving organisation sees before and after
accepting, decline, questions and answers, a stale decision, and the audit of each step."""

import datetime

import pytest
from django.urls import reverse

from conferences import referrals, services
from conferences.models import (
    AuditEvent,
    CaseRole,
    Consent,
    LegalBasis,
    Notification,
    Referral,
    ReferralMessage,
)
from resources.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

SUMMARY = "週2回の見守り訪問をお願いしたい（本人同意あり）"


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター", home_area=district)
    clinic = factories.organisation(
        "桜台訪問看護ステーション", kind=Organisation.Kind.MEDICAL, home_area=district
    )
    case = factories.case(district=district, lead=centre, code="K-SECRET-7")
    return {
        "district": district,
        "centre": centre,
        "clinic": clinic,
        "case": case,
        "sender": factories.user("sender", organisations=[centre], email="s@example.jp"),
        "receiver": factories.user("receiver", organisations=[clinic], email="r@example.jp"),
        "outsider": factories.user(
            "outsider", organisations=[factories.organisation("遠くの事業所")]
        ),
    }


def consent_for(world, *, organisations=(), covers_all=False):
    consent = Consent.objects.create(
        case=world["case"],
        given_on=datetime.date(2026, 4, 1),
        scope="訪問看護への情報提供",
        covers_all=covers_all,
        recorded_by=world["sender"],
    )
    consent.organisations.set(organisations)
    return consent


def send_form(client, world, **extra):
    data = {
        "from_organisation": world["centre"].pk,
        "to_organisation": world["clinic"].pk,
        "summary": SUMMARY,
    } | extra
    return client.post(reverse("staff:referral_create", args=[world["case"].public_id]), data)


def send(world, meeting=None) -> Referral:
    return referrals.referral_send(
        case=world["case"],
        user=world["sender"],
        from_organisation=world["centre"],
        to_organisation=world["clinic"],
        summary=SUMMARY,
        meeting=meeting,
    )


# --- the consent gate -------------------------------------------------------------------------


def test_sending_without_consent_is_refused_with_the_reason_and_keeps_the_input(client, world):
    client.force_login(world["sender"])
    response = send_form(client, world)
    assert response.status_code == 200
    body = response.content.decode()
    assert "桜台訪問看護ステーション" in body
    assert "No consent to share this case" in body or "本人同意" in body
    assert SUMMARY in body  # what was typed is still in the form
    assert not Referral.objects.exists()


def test_a_consent_for_another_organisation_does_not_cover_the_receiver(client, world):
    consent_for(world, organisations=[world["centre"]])
    client.force_login(world["sender"])
    send_form(client, world)
    assert not Referral.objects.exists()


def test_sending_with_a_covering_consent_is_allowed(client, world):
    consent = consent_for(world, organisations=[world["clinic"]])
    client.force_login(world["sender"])
    response = send_form(client, world)
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:referral_detail", args=[referral.uuid])
    assert referral.consent == consent
    assert referral.status == Referral.Status.SENT
    assert referral.target_group == world["case"].target_group
    assert referral.district == world["district"]


def test_a_withdrawn_consent_no_longer_covers(world):
    consent = consent_for(world, covers_all=True)
    consent.withdrawn_on = datetime.date(2026, 5, 1)
    consent.save()
    with pytest.raises(services.SharingRefused):
        send(world)


def test_sending_with_a_meeting_with_a_legal_basis_is_allowed(client, world):
    meeting = factories.meeting(
        area=world["district"],
        organiser=world["centre"],
        legal_basis=LegalBasis.choices[1][0],
    )
    factories.agenda_item(meeting=meeting, case=world["case"])
    client.force_login(world["sender"])
    response = send_form(client, world, meeting=meeting.pk)
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.meeting == meeting and referral.consent is None


def test_only_members_of_an_organisation_on_the_case_may_refer(client, world):
    client.force_login(world["outsider"])
    response = client.get(reverse("staff:referral_create", args=[world["case"].public_id]))
    assert response.status_code == 404
    consent_for(world, covers_all=True)
    assert send_form(client, world).status_code == 404
    assert not Referral.objects.exists()


def test_a_second_open_referral_to_the_same_organisation_is_refused(world):
    consent_for(world, covers_all=True)
    send(world)
    with pytest.raises(referrals.ReferralRefused):
        send(world)


# --- what the receiver sees -------------------------------------------------------------------


def test_receiver_sees_only_the_summary_before_accepting_and_the_case_after(client, world):
    consent_for(world, organisations=[world["clinic"]])
    referral = send(world)
    case_url = reverse("staff:case_detail", args=[world["case"].public_id])
    client.force_login(world["receiver"])

    inbox = client.get(reverse("staff:referral_list"))
    assert inbox.status_code == 200
    assert "桜台地域包括支援センター" in inbox.content.decode()
    assert "K-SECRET-7" not in inbox.content.decode()

    page = client.get(reverse("staff:referral_detail", args=[referral.uuid]))
    body = page.content.decode()
    assert SUMMARY in body
    assert "K-SECRET-7" not in body
    assert case_url not in body
    assert client.get(case_url).status_code == 404

    response = client.post(
        reverse("staff:referral_accept", args=[referral.uuid]), {"role": "訪問看護"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.decided_by == world["receiver"]
    role = CaseRole.objects.get(case=world["case"], organisation=world["clinic"])
    assert role.role == "訪問看護"
    assert role.consent_id == referral.consent_id
    assert client.get(case_url).status_code == 200
    assert (
        case_url
        in client.get(reverse("staff:referral_detail", args=[referral.uuid])).content.decode()
    )


def test_people_of_neither_organisation_get_404(client, world):
    consent_for(world, covers_all=True)
    referral = send(world)
    client.force_login(world["outsider"])
    assert client.get(reverse("staff:referral_detail", args=[referral.uuid])).status_code == 404
    assert (
        client.post(
            reverse("staff:referral_accept", args=[referral.uuid]), {"role": "x"}
        ).status_code
        == 404
    )
    assert "K-SECRET-7" not in client.get(reverse("staff:referral_list")).content.decode()


def test_the_sender_cannot_accept_its_own_referral(client, world):
    consent_for(world, covers_all=True)
    referral = send(world)
    client.force_login(world["sender"])
    response = client.post(reverse("staff:referral_accept", args=[referral.uuid]), {"role": "x"})
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


def test_decline_with_a_reason_and_the_sender_sees_it_in_the_outbox(client, world):
    consent_for(world, covers_all=True)
    referral = send(world)
    client.force_login(world["receiver"])
    empty = client.post(reverse("staff:referral_decline", args=[referral.uuid]), {"reason": ""})
    assert empty.status_code == 200  # a reason is required; the page comes back
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    client.post(reverse("staff:referral_decline", args=[referral.uuid]), {"reason": "定員超過"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert referral.decline_reason == "定員超過"
    assert not CaseRole.objects.filter(organisation=world["clinic"]).exists()

    client.force_login(world["sender"])
    outbox = client.get(reverse("staff:referral_list")).content.decode()
    assert referral.get_status_display() in outbox or "Declined" in outbox
    detail = client.get(reverse("staff:referral_detail", args=[referral.uuid])).content.decode()
    assert "定員超過" in detail


def test_a_decision_from_a_stale_page_is_refused_with_what_happened(client, world):
    consent_for(world, covers_all=True)
    referral = send(world)
    colleague = factories.user("colleague", organisations=[world["clinic"]])
    referrals.referral_decline(referral=Referral.objects.get(), user=colleague, reason="満員")
    client.force_login(world["receiver"])
    response = client.post(
        reverse("staff:referral_accept", args=[referral.uuid]), {"role": "訪問看護"}
    )
    assert response.status_code == 200
    assert "colleague" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert not CaseRole.objects.filter(organisation=world["clinic"]).exists()


def test_question_answered_and_service_started(client, world):
    consent_for(world, covers_all=True)
    referral = send(world)
    client.force_login(world["receiver"])
    client.post(reverse("staff:referral_ask", args=[referral.uuid]), {"text": "訪問曜日は？"})
    client.force_login(world["sender"])
    client.post(reverse("staff:referral_answer", args=[referral.uuid]), {"text": "火・金です"})
    kinds = list(referral.messages.values_list("kind", "text"))
    assert kinds == [
        (ReferralMessage.Kind.QUESTION, "訪問曜日は？"),
        (ReferralMessage.Kind.ANSWER, "火・金です"),
    ]
    referrals.referral_accept(referral=referral, user=world["receiver"], role="訪問看護")
    client.force_login(world["receiver"])
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    refused = client.post(
        reverse("staff:referral_done", args=[referral.uuid]), {"started_on": future}
    )
    assert refused.status_code == 200
    client.post(reverse("staff:referral_done", args=[referral.uuid]), {"started_on": "2026-06-01"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DONE
    assert referral.done_on == datetime.date(2026, 6, 1)


# --- audit ------------------------------------------------------------------------------------


def test_every_step_is_audited_with_the_case_and_the_organisation(client, world):
    consent_for(world, covers_all=True)
    client.force_login(world["sender"])
    send_form(client, world)
    referral = Referral.objects.get()
    client.force_login(world["receiver"])
    client.get(reverse("staff:referral_list"))
    client.get(reverse("staff:referral_detail", args=[referral.uuid]))
    client.post(reverse("staff:referral_ask", args=[referral.uuid]), {"text": "質問"})
    client.force_login(world["sender"])
    client.post(reverse("staff:referral_answer", args=[referral.uuid]), {"text": "回答"})
    client.force_login(world["receiver"])
    client.post(reverse("staff:referral_accept", args=[referral.uuid]), {"role": "訪問看護"})
    client.post(reverse("staff:referral_done", args=[referral.uuid]), {"started_on": "2026-06-01"})

    events = AuditEvent.objects.filter(detail__startswith="referral:")
    assert all(event.case_id == world["case"].pk for event in events)
    by_detail = {(e.detail, e.user.username, e.organisation.name, e.action) for e in events}
    assert ("referral:send", "sender", "桜台地域包括支援センター", "change") in by_detail
    assert ("referral:list", "receiver", "桜台訪問看護ステーション", "view") in by_detail
    assert ("referral:read", "receiver", "桜台訪問看護ステーション", "view") in by_detail
    assert ("referral:ask", "receiver", "桜台訪問看護ステーション", "change") in by_detail
    assert ("referral:answer", "sender", "桜台地域包括支援センター", "change") in by_detail
    assert ("referral:accept", "receiver", "桜台訪問看護ステーション", "change") in by_detail
    assert ("referral:done", "receiver", "桜台訪問看護ステーション", "change") in by_detail
    # Accepting brings the organisation on through the shared service, audited as such.
    assert AuditEvent.objects.filter(detail="case:role_add", user=world["receiver"]).exists()
    # No content in any detail.
    assert not events.filter(detail__contains=SUMMARY[:4]).exists()


def test_the_decline_is_audited(world):
    consent_for(world, covers_all=True)
    referral = send(world)
    referrals.referral_decline(referral=referral, user=world["receiver"], reason="満員")
    event = AuditEvent.objects.get(detail="referral:decline")
    assert event.case == world["case"] and event.organisation == world["clinic"]
    assert "満員" not in event.detail


def test_sending_notifies_the_receivers_and_answers_notify_the_sender(world):
    consent_for(world, covers_all=True)
    referral = send(world)
    assert Notification.objects.filter(
        user=world["receiver"], kind=Notification.Kind.REFERRAL_RECEIVED, object_id=referral.pk
    ).exists()
    referrals.referral_accept(referral=referral, user=world["receiver"], role="訪問看護")
    assert Notification.objects.filter(
        user=world["sender"], kind=Notification.Kind.REFERRAL_DECIDED
    ).exists()


def test_the_case_page_links_to_the_referral_form_for_members(client, world):
    client.force_login(world["sender"])
    body = client.get(reverse("staff:case_detail", args=[world["case"].public_id])).content
    assert reverse("staff:referral_create", args=[world["case"].public_id]).encode() in body


def test_page_titles_never_name_the_case(client, world):
    consent_for(world, covers_all=True)
    referral = send(world)
    client.force_login(world["sender"])
    for url in (
        reverse("staff:referral_create", args=[world["case"].public_id]),
        reverse("staff:referral_detail", args=[referral.uuid]),
        reverse("staff:referral_list"),
    ):
        body = client.get(url).content.decode()
        title = body.split("<title>")[1].split("</title>")[0]
        assert "K-SECRET-7" not in title
