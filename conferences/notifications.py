"""Notifications: in-app and by e-mail (issue 10, point 3).

A Notification row is one thing to tell one user, unique per (user, kind, object, due date):
collecting what is due again adds nothing, and each row is e-mailed at most once (claimed with
a compare-and-swap on emailed_at before sending), so `send_notifications` may run every few
minutes. Texts never carry case detail: a link, and a meeting title, an organisation's name or a
count only (action item descriptions and referral summaries may hold case detail: never sent).
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from conferences.models import (
    ActionItem,
    Case,
    Membership,
    Notification,
    NotificationPreference,
)

ACTION_DUE_DAYS = 3
REVIEW_DUE_DAYS = 7

SUBJECTS = {
    Notification.Kind.REFERRAL_RECEIVED: _("A referral from %(label)s"),
    Notification.Kind.REFERRAL_DECIDED: _("%(label)s has answered your referral"),
    Notification.Kind.REFERRAL_QUESTION: _("%(label)s asks a question about your referral"),
    Notification.Kind.REFERRAL_ANSWERED: _("%(label)s has answered your question"),
    Notification.Kind.ACTION_DUE: _("An action item is due soon (%(label)s)"),
    Notification.Kind.ACTION_OVERDUE: _("An action item is overdue (%(label)s)"),
    Notification.Kind.REVIEW_DUE: _("A case review is due"),
    Notification.Kind.VERIFICATION_DUE: _("Directory entries to verify: %(label)s"),
    Notification.Kind.CORRECTION_REPORT: _("A correction was reported for %(label)s"),
}


def notification_text(notification: Notification) -> str:
    """The one line saying what happened, in the active language."""
    return str(SUBJECTS[notification.kind]) % {"label": notification.label}


def notify(*, user_ids, kind: str, object_id: int, due_on: datetime.date, label: str, url: str):
    """Record a notification for each user (once: an existing one is left as it is)."""
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=kind,
                object_id=object_id,
                due_on=due_on,
                label=label[:300],
                url=url,
            )
            for user_id in sorted(set(user_ids))
        ],
        ignore_conflicts=True,
    )


# ---------------------------------------------------------------------------------------------
# Collecting what is due


def _members_by_org(org_ids) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for org_id, user_id in Membership.objects.filter(organisation_id__in=set(org_ids)).values_list(
        "organisation_id", "user_id"
    ):
        members.setdefault(org_id, []).append(user_id)
    return members


def collect_actions(*, today: datetime.date) -> None:
    """Open action items due within ACTION_DUE_DAYS, or overdue: to the person, else to the
    members of the organisation responsible."""
    items = list(
        ActionItem.objects.filter(
            status=ActionItem.Status.OPEN,
            due_on__lte=today + datetime.timedelta(days=ACTION_DUE_DAYS),
        )
        .select_related("agenda_item__meeting")
        .order_by("due_on", "pk")
    )
    members = _members_by_org(item.organisation_id for item in items if not item.assignee_id)
    for item in items:
        meeting = item.agenda_item.meeting
        kind = (
            Notification.Kind.ACTION_OVERDUE
            if item.due_on < today
            else (Notification.Kind.ACTION_DUE)
        )
        users = [item.assignee_id] if item.assignee_id else members.get(item.organisation_id, [])
        notify(
            user_ids=users,
            kind=kind,
            object_id=item.pk,
            due_on=item.due_on,
            label=meeting.title,
            url=reverse("staff:minutes", args=[meeting.uid]),
        )


def collect_reviews(*, today: datetime.date) -> None:
    """Open cases whose next review falls within REVIEW_DUE_DAYS (or has passed): to the
    members of the lead organisation."""
    due = list(
        Case.objects.filter(
            status=Case.Status.OPEN,
            next_review_on__isnull=False,
            next_review_on__lte=today + datetime.timedelta(days=REVIEW_DUE_DAYS),
        )
        .only("pk", "public_id", "lead_organisation_id", "next_review_on")
        .order_by("next_review_on", "pk")
    )
    members = _members_by_org(case.lead_organisation_id for case in due)
    for case in due:
        notify(
            user_ids=members.get(case.lead_organisation_id, []),
            kind=Notification.Kind.REVIEW_DUE,
            object_id=case.pk,
            due_on=case.next_review_on,
            label="",
            url=reverse("staff:case_detail", args=[case.public_id]),
        )


def collect_directory(*, today: datetime.date) -> None:
    """Directory keeping (resources.stewardship): per keeper, a weekly count of their entries
    due for verification, and each open correction report on an entry they keep."""
    from resources import stewardship

    monday = today - datetime.timedelta(days=today.weekday())
    keepers = get_user_model().objects.filter(
        Q(memberships__organisation__kept_entries__isnull=False) | Q(kept_entries__isnull=False),
        is_active=True,
    )
    for user in keepers.distinct().order_by("pk"):
        org_ids = list(
            Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
        )
        due = stewardship.verification_queue(
            user=user, organisation_ids=org_ids, mine_only=True, today=today
        ).count()
        if due:
            notify(
                user_ids=[user.pk],
                kind=Notification.Kind.VERIFICATION_DUE,
                object_id=0,
                due_on=monday,
                label=str(due),
                url=reverse("staff:stewardship_queue"),
            )
        entries = stewardship.kept_by(user=user, organisation_ids=org_ids, mine_only=True)
        for report in stewardship.open_reports(entries=entries):
            notify(
                user_ids=[user.pk],
                kind=Notification.Kind.CORRECTION_REPORT,
                object_id=report.pk,
                due_on=timezone.localdate(report.created_at),
                label=report.organisation.name,
                url=reverse("staff:stewardship_queue"),
            )


def collect(*, today: datetime.date | None = None) -> None:
    today = today or timezone.localdate()
    collect_actions(today=today)
    collect_reviews(today=today)
    collect_directory(today=today)


# ---------------------------------------------------------------------------------------------
# Sending


def preference_of(user) -> NotificationPreference:
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user, language=settings.LANGUAGE_CODE)


def _language(preference: NotificationPreference) -> str:
    return preference.language or settings.LANGUAGE_CODE


def _absolute(url: str) -> str:
    base = getattr(settings, "SITE_URL", "") or getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    return f"{base.rstrip('/')}{url}" if base else url


def render_email(*, user, items: list[Notification], language: str, digest: bool):
    """(subject, body) in the recipient's language."""
    with translation.override(language):
        lines = [(notification_text(item), _absolute(item.url)) for item in items]
        if digest:
            subject = gettext("Tsunagu: %(count)s notifications") % {"count": len(items)}
        else:
            subject = gettext("Tsunagu: %(text)s") % {"text": lines[0][0]}
        body = render_to_string(
            "conferences/email/notification.txt",
            {
                "user": user,
                "lines": lines,
                "digest": digest,
                "list_url": _absolute(reverse("staff:notification_list")),
            },
        )
    return subject, body


def _claim(items: list[Notification], now) -> list[Notification]:
    """Mark each as e-mailed if no other run did first; the ones this run may send."""
    claimed = []
    for item in items:
        if Notification.objects.filter(pk=item.pk, emailed_at=None).update(emailed_at=now):
            claimed.append(item)
    return claimed


def send_due(*, now: datetime.datetime | None = None) -> int:
    """E-mail what has not been e-mailed: at once, or once a day for digest users. Returns the
    number of e-mails sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    pending: dict[int, list[Notification]] = {}
    for item in Notification.objects.filter(emailed_at=None).order_by(
        "user_id", "created_at", "pk"
    ):
        pending.setdefault(item.user_id, []).append(item)
    users = get_user_model().objects.in_bulk(list(pending))
    sent = 0
    for user_id, items in sorted(pending.items()):
        user = users[user_id]
        preference = preference_of(user)
        if preference.daily_digest:
            if preference.last_digest_on == today:
                continue
            if preference.pk:
                # Only one run a day sends the digest.
                if (
                    not NotificationPreference.objects.filter(pk=preference.pk)
                    .exclude(last_digest_on=today)
                    .update(last_digest_on=today)
                ):
                    continue
        claimed = _claim(items, now)
        if not claimed or not user.email:
            continue
        language = _language(preference)
        if preference.daily_digest:
            batches = [claimed]
        else:
            batches = [[item] for item in claimed]
        for batch in batches:
            subject, body = render_email(
                user=user, items=batch, language=language, digest=preference.daily_digest
            )
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            sent += 1
    return sent


# ---------------------------------------------------------------------------------------------
# The in-app list


def notifications_of(*, user):
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def mark_read(*, user, pk: int | None = None) -> int:
    rows = Notification.objects.filter(user=user, read_at=None)
    if pk is not None:
        rows = rows.filter(pk=pk)
    return rows.update(read_at=timezone.now())


def preference_save(*, user, daily_digest: bool, language: str) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"daily_digest": daily_digest, "language": language}
    )
    return preference
