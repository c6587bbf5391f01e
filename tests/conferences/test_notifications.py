"""Notifications: what is collected (referrals, action items due in 3 days or overdue, case
reviews, directory keeping), idempotent sending, the daily digest, the recipient's language, the
in-app list, and no case detail in any e-mail."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conferences import notifications, referrals
from conferences.models import Consent, Notification, NotificationPreference
from resources.models import CorrectionReport, Organisation
from tests import factories

pytestmark = pytest.mark.django_db

CASE_CODE = "K-HIDDEN-42"
SUMMARY = "認知症の母と二人暮らし、夜間の徘徊あり"
ACTION_TEXT = "長男に連絡し受診同行を依頼する"


@pytest.fixture
def world():
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター", home_area=district)
    clinic = factories.organisation(
        "桜台訪問看護ステーション", kind=Organisation.Kind.MEDICAL, home_area=district
    )
    case = factories.case(district=district, lead=centre, code=CASE_CODE)
    sender = factories.user("sender", organisations=[centre], email="sender@example.jp")
    receiver = factories.user("receiver", organisations=[clinic], email="receiver@example.jp")
    meeting = factories.meeting(area=district, organiser=centre, title="桜台 個別地域ケア会議")
    item = factories.agenda_item(meeting=meeting, case=case)
    return {
        "district": district,
        "centre": centre,
        "clinic": clinic,
        "case": case,
        "sender": sender,
        "receiver": receiver,
        "meeting": meeting,
        "item": item,
    }


def referral(world):
    consent = Consent.objects.create(
        case=world["case"],
        given_on=datetime.date(2026, 4, 1),
        scope="全機関",
        covers_all=True,
        recorded_by=world["sender"],
    )
    assert consent
    return referrals.referral_send(
        case=world["case"],
        user=world["sender"],
        from_organisation=world["centre"],
        to_organisation=world["clinic"],
        summary=SUMMARY,
    )


def action(world, *, due_in_days, assignee=None):
    return factories.action_item(
        agenda_item=world["item"],
        organisation=world["centre"],
        assignee=assignee,
        due_in_days=due_in_days,
        description=ACTION_TEXT,
        case=world["case"],
    )


def prefer(user, *, language="ja", daily_digest=False):
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"language": language, "daily_digest": daily_digest}
    )


def assert_no_case_detail(message):
    for text in (message.subject, message.body):
        assert CASE_CODE not in text
        assert SUMMARY not in text
        assert ACTION_TEXT not in text


# --- collecting -------------------------------------------------------------------------------


def test_action_items_due_within_three_days_or_overdue_are_collected(world):
    soon = action(world, due_in_days=3, assignee=world["sender"])
    overdue = action(world, due_in_days=-2)  # no person: the organisation's members
    later = action(world, due_in_days=10, assignee=world["sender"])
    notifications.collect()
    rows = Notification.objects.filter(kind__in=["action_due", "action_overdue"])
    assert {(r.kind, r.object_id, r.user.username) for r in rows} == {
        (Notification.Kind.ACTION_DUE, soon.pk, "sender"),
        (Notification.Kind.ACTION_OVERDUE, overdue.pk, "sender"),
    }
    assert not rows.filter(object_id=later.pk).exists()
    assert all(r.label == "桜台 個別地域ケア会議" for r in rows)


def test_done_action_items_are_not_collected(world):
    item = action(world, due_in_days=1, assignee=world["sender"])
    item.status = "done"
    item.save()
    notifications.collect()
    assert not Notification.objects.exists()


def test_case_reviews_due_go_to_the_lead_organisation(world):
    case = world["case"]
    case.next_review_on = timezone.localdate() + datetime.timedelta(days=5)
    case.save()
    notifications.collect()
    row = Notification.objects.get(kind=Notification.Kind.REVIEW_DUE)
    assert row.user == world["sender"]
    assert row.url == reverse("staff:case_detail", args=[case.public_id])
    assert row.label == ""


def test_directory_keeping_verification_due_and_correction_reports(world):
    keeper = world["sender"]
    entry = factories.organisation("桜台ふれあいサロン", is_agency=False)
    entry.keeper_user = keeper
    entry.last_verified_on = None
    entry.save()
    CorrectionReport.objects.create(
        organisation=entry, message="電話番号が違います", client_key="k"
    )
    notifications.collect()
    kinds = set(Notification.objects.filter(user=keeper).values_list("kind", flat=True))
    assert Notification.Kind.VERIFICATION_DUE in kinds
    assert Notification.Kind.CORRECTION_REPORT in kinds
    call_command("send_notifications")
    bodies = " ".join(m.body for m in mail.outbox)
    assert "電話番号が違います" not in bodies


# --- sending ----------------------------------------------------------------------------------


def test_running_the_command_twice_sends_nothing_new(world):
    referral(world)
    action(world, due_in_days=1, assignee=world["sender"])
    call_command("send_notifications")
    first = len(mail.outbox)
    rows = Notification.objects.count()
    assert first == 2  # the referral to the receiver, the action item to the sender
    call_command("send_notifications")
    assert len(mail.outbox) == first
    assert Notification.objects.count() == rows
    assert not Notification.objects.filter(emailed_at=None).exists()


def test_a_new_due_date_is_a_new_notification(world):
    item = action(world, due_in_days=2, assignee=world["sender"])
    call_command("send_notifications")
    item.due_on = timezone.localdate() + datetime.timedelta(days=1)
    item.save()
    call_command("send_notifications")
    assert len(mail.outbox) == 2


def test_no_case_detail_in_any_email(world):
    r = referral(world)
    referrals.referral_ask(referral=r, user=world["receiver"], text="訪問曜日は？")
    referrals.referral_answer(referral=r, user=world["sender"], text="火曜と金曜")
    referrals.referral_accept(referral=r, user=world["receiver"], role="訪問看護")
    action(world, due_in_days=1, assignee=world["sender"])
    action(world, due_in_days=-1, assignee=world["sender"])
    case = world["case"]
    case.next_review_on = timezone.localdate()
    case.save()
    prefer(world["receiver"], language="en")
    call_command("send_notifications")
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds >= {
        "referral_received",
        "referral_question",
        "referral_answered",
        "referral_decided",
        "action_due",
        "action_overdue",
        "review_due",
    }
    assert len(mail.outbox) == Notification.objects.count()
    for message in mail.outbox:
        assert_no_case_detail(message)
        assert "訪問曜日" not in message.body and "火曜と金曜" not in message.body
        assert "/staff/" in message.body  # a link


def test_each_email_is_in_the_recipients_language(world):
    referral(world)
    prefer(world["receiver"], language="en")
    call_command("send_notifications")
    (message,) = mail.outbox
    assert message.to == ["receiver@example.jp"]
    assert message.subject == "Tsunagu: A referral from 桜台地域包括支援センター"
    assert "Dear receiver," in message.body


def test_the_daily_digest_sends_one_email_a_day(world):
    prefer(world["sender"], daily_digest=True, language="en")
    action(world, due_in_days=1, assignee=world["sender"])
    action(world, due_in_days=-1, assignee=world["sender"])
    call_command("send_notifications")
    assert len(mail.outbox) == 1
    assert "2 notifications" in mail.outbox[0].subject
    # More today waits for tomorrow's digest.
    action(world, due_in_days=2, assignee=world["sender"])
    call_command("send_notifications")
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(emailed_at=None).count() == 1
    NotificationPreference.objects.filter(user=world["sender"]).update(
        last_digest_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    call_command("send_notifications")
    assert len(mail.outbox) == 2


def test_users_without_an_email_address_still_see_it_in_the_app(client, world):
    world["sender"].email = ""
    world["sender"].save()
    action(world, due_in_days=1, assignee=world["sender"])
    call_command("send_notifications")
    assert mail.outbox == []
    client.force_login(world["sender"])
    body = client.get(reverse("staff:notification_list")).content.decode()
    assert "桜台 個別地域ケア会議" in body
    assert ACTION_TEXT not in body


# --- the in-app list --------------------------------------------------------------------------


def test_the_list_shows_the_users_notifications_and_marks_them_read(client, world):
    referral(world)
    client.force_login(world["receiver"])
    body = client.get(reverse("staff:notification_list")).content.decode()
    assert "桜台地域包括支援センター" in body
    assert SUMMARY not in body and CASE_CODE not in body
    client.post(reverse("staff:notification_read"))
    assert not Notification.objects.filter(user=world["receiver"], read_at=None).exists()
    # Another user's list does not show it.
    client.force_login(world["sender"])
    assert (
        "桜台地域包括支援センター"
        not in client.get(reverse("staff:notification_list"))
        .content.decode()
        .split("<main")[-1]
        .split("preferences")[0]
    )


def test_the_preference_form_saves_digest_and_language(client, world):
    client.force_login(world["sender"])
    response = client.post(
        reverse("staff:notification_preferences"), {"daily_digest": "on", "language": "en"}
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=world["sender"])
    assert preference.daily_digest and preference.language == "en"
    bad = client.post(reverse("staff:notification_preferences"), {"language": "xx"})
    assert bad.status_code == 200
    assert NotificationPreference.objects.get(user=world["sender"]).language == "en"
