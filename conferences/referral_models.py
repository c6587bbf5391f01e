"""Referrals between agencies (つなぎ) and notifications (issue 10, points 1 and 3).

Imported at the foot of conferences.models, so these are models of the conferences app.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from conferences.models import Case, Consent, Meeting
from districts.models import Area, TargetGroup
from resources.models import Organisation

__all__ = ["Notification", "NotificationPreference", "Referral", "ReferralMessage"]


class Referral(models.Model):
    """A case referred by an organisation on it to another agency. Before accepting, the
    receiver sees only `summary`, the target group and the district."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        DONE = "done", _("Service started")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("case")
    )
    from_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals_sent",
        verbose_name=_("referring organisation"),
    )
    to_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals_received",
        verbose_name=_("receiving organisation"),
    )
    summary = models.TextField(_("summary for the receiver"), max_length=1000)
    # Copied when sent: what the receiver may know before accepting.
    target_group = models.CharField(_("target group"), max_length=16, choices=TargetGroup.choices)
    district = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    # What allowed telling the receiver about the case: a consent, or a meeting's legal basis.
    consent = models.ForeignKey(
        Consent,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("consent"),
    )
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("meeting with a legal basis"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.SENT
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    done_on = models.DateField(_("service started on"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["to_organisation", "status"]),
            models.Index(fields=["from_organisation", "status"]),
        ]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self):
        return str(self.uuid)


class ReferralMessage(models.Model):
    """A question from the receiving organisation, or the sender's answer."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        ANSWER = "answer", _("Answer")

    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="messages", verbose_name=_("referral")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    text = models.TextField(_("text"), max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("written by"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("referral message")
        verbose_name_plural = _("referral messages")

    def __str__(self):
        return f"{self.referral_id}:{self.kind}"


class NotificationPreference(models.Model):
    """How a user wants to be told: at once or a daily digest, and in which language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    daily_digest = models.BooleanField(_("one e-mail a day (digest)"), default=False)
    language = models.CharField(
        _("language of e-mails"), max_length=8, choices=[("ja", "日本語"), ("en", "English")]
    )
    last_digest_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)


class Notification(models.Model):
    """One thing to tell one user, once: unique per (user, kind, object, due date), so
    collecting what is due again adds nothing."""

    class Kind(models.TextChoices):
        REFERRAL_RECEIVED = "referral_received", _("Referral received")
        REFERRAL_DECIDED = "referral_decided", _("Referral accepted or declined")
        REFERRAL_QUESTION = "referral_question", _("Question about a referral")
        REFERRAL_ANSWERED = "referral_answered", _("Question answered")
        ACTION_DUE = "action_due", _("Action item due soon")
        ACTION_OVERDUE = "action_overdue", _("Action item overdue")
        REVIEW_DUE = "review_due", _("Case review due")
        VERIFICATION_DUE = "verification_due", _("Directory entries to verify")
        CORRECTION_REPORT = "correction_report", _("Correction reported")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    due_on = models.DateField(_("date"))
    # Never case content: a meeting title, an organisation's name or a count.
    label = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "object_id", "due_on"], name="unique_notification"
            ),
        ]
        indexes = [models.Index(fields=["emailed_at", "user"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return f"{self.user_id}:{self.kind}:{self.object_id}"
