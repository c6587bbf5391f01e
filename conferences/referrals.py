"""Referrals (つなぎ): a member of an organisation on a case refers it to another agency.

Sending is allowed only when the consent on record, or the legal basis of a chosen meeting,
covers the receiving organisation (services.sharing_basis). Until it accepts, the receiver sees
only the referral's summary, target group and district; accepting brings it onto the case
(services.case_role_add with the referral's basis). Status changes are compare-and-swap on the
status, so a second decision made from a stale page is refused with what happened instead.
Every step is audited (with the case and the organisation acted through; no content in detail).
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conferences import notifications, selectors, services
from conferences.models import (
    AuditEvent,
    Case,
    CaseRole,
    Meeting,
    Membership,
    Notification,
    Referral,
    ReferralMessage,
)
from resources.models import Organisation


class ReferralRefused(Exception):
    """The step is not allowed now; `message` says why (translatable)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# ---------------------------------------------------------------------------------------------
# Reads


def referral_url(referral: Referral) -> str:
    return reverse("staff:referral_detail", args=[referral.uuid])


def members_of(*, organisation_id: int):
    return Membership.objects.filter(organisation_id=organisation_id).values_list(
        "user_id", flat=True
    )


def inbox(*, user) -> QuerySet[Referral]:
    """Referrals to the user's organisations, undecided first, newest first."""
    org_ids = selectors.user_organisation_ids(user=user)
    return (
        Referral.objects.filter(to_organisation_id__in=org_ids)
        .select_related("from_organisation", "to_organisation", "district")
        .order_by("-sent_at", "-pk")
    )


def outbox(*, user) -> QuerySet[Referral]:
    org_ids = selectors.user_organisation_ids(user=user)
    return (
        Referral.objects.filter(from_organisation_id__in=org_ids)
        .select_related("from_organisation", "to_organisation", "district", "case")
        .order_by("-sent_at", "-pk")
    )


def referral_get(*, user, uuid) -> tuple[Referral, str, Organisation]:
    """The referral, the user's side ("sender" or "receiver") and the organisation acted
    through; 404 for anyone who is neither (existence is not told)."""
    org_ids = set(selectors.user_organisation_ids(user=user))
    referral = (
        Referral.objects.filter(uuid=uuid)
        .filter(Q(from_organisation_id__in=org_ids) | Q(to_organisation_id__in=org_ids))
        .select_related("from_organisation", "to_organisation", "district", "case", "meeting")
        .first()
    )
    if referral is None:
        raise Http404
    if referral.to_organisation_id in org_ids:
        return referral, "receiver", referral.to_organisation
    return referral, "sender", referral.from_organisation


def referrals_of_case(*, case: Case) -> QuerySet[Referral]:
    return case.referrals.select_related("from_organisation", "to_organisation").order_by(
        "-sent_at", "-pk"
    )


def sender_organisations(*, user, case: Case) -> QuerySet[Organisation]:
    """The user's organisations that are on the case (those it may refer from)."""
    return Organisation.objects.filter(memberships__user=user, case_roles__case=case).order_by(
        "reading", "name", "pk"
    )


def receivers_offered(*, case: Case, chosen=()) -> QuerySet[Organisation]:
    """Agencies that may receive the case: not on it yet (near the case, or already chosen)."""
    from conferences import cases

    return cases.agencies_to_add(case=case, chosen=chosen)


# ---------------------------------------------------------------------------------------------
# Writes


def _audit(*, user, referral: Referral, organisation, action=AuditEvent.Action.CHANGE, detail):
    services.audit_record(
        user=user,
        case=referral.case,
        action=action,
        organisation=organisation,
        meeting=referral.meeting,
        detail=detail,
    )


def referral_send(
    *,
    case: Case,
    user,
    from_organisation: Organisation,
    to_organisation: Organisation,
    summary: str,
    meeting: Meeting | None = None,
) -> Referral:
    """Refer the case. Raises services.SharingRefused when neither consent nor the meeting's
    legal basis covers the receiver, ReferralRefused for other reasons."""
    if not CaseRole.objects.filter(case=case, organisation=from_organisation).exists():
        raise ReferralRefused(_("Your organisation is not on this case."))
    if not Membership.objects.filter(user=user, organisation=from_organisation).exists():
        raise ReferralRefused(_("You are not a member of the referring organisation."))
    if CaseRole.objects.filter(case=case, organisation=to_organisation).exists():
        raise ReferralRefused(
            _("%(organisation)s is already on this case.") % {"organisation": to_organisation.name}
        )
    if Referral.objects.filter(
        case=case, to_organisation=to_organisation, status=Referral.Status.SENT
    ).exists():
        raise ReferralRefused(
            _("A referral to %(organisation)s is already waiting for its answer.")
            % {"organisation": to_organisation.name}
        )
    consent, basis_meeting = services.sharing_basis(
        case=case, organisation=to_organisation, meeting=meeting
    )
    with transaction.atomic():
        referral = Referral.objects.create(
            case=case,
            from_organisation=from_organisation,
            to_organisation=to_organisation,
            summary=summary,
            target_group=case.target_group,
            district_id=case.district_id,
            consent=consent,
            meeting=basis_meeting,
            sent_by=user,
        )
        _audit(user=user, referral=referral, organisation=from_organisation, detail="referral:send")
        notifications.notify(
            user_ids=members_of(organisation_id=to_organisation.pk),
            kind=Notification.Kind.REFERRAL_RECEIVED,
            object_id=referral.pk,
            due_on=timezone.localdate(),
            label=from_organisation.name,
            url=referral_url(referral),
        )
    return referral


def referral_read(*, referral: Referral, user, organisation) -> None:
    """Record that the user read the referral (its summary is case information)."""
    _audit(
        user=user,
        referral=referral,
        organisation=organisation,
        action=AuditEvent.Action.VIEW,
        detail="referral:read",
    )


def _already(referral: Referral):
    current = Referral.objects.select_related("decided_by").get(pk=referral.pk)
    who = ""
    if current.decided_by:
        who = current.decided_by.get_full_name() or current.decided_by.get_username()
    return ReferralRefused(
        _("Someone else has already answered this referral (%(status)s, %(who)s).")
        % {"status": current.get_status_display(), "who": who or "—"}
    )


def _claim(*, referral: Referral, from_status: str, **changes) -> None:
    """Compare-and-swap on the status: only one decision wins."""
    updated = Referral.objects.filter(pk=referral.pk, status=from_status).update(**changes)
    if not updated:
        raise _already(referral)
    for field, value in changes.items():
        setattr(referral, field, value)


def _notify_sender(*, referral: Referral, kind: str, object_id: int) -> None:
    if referral.sent_by_id:
        notifications.notify(
            user_ids=[referral.sent_by_id],
            kind=kind,
            object_id=object_id,
            due_on=timezone.localdate(),
            label=referral.to_organisation.name,
            url=referral_url(referral),
        )


def referral_accept(*, referral: Referral, user, role: str) -> Referral:
    """Accept: the receiving organisation gets a role on the case, on the referral's basis
    (re-checked now: a consent withdrawn since refuses it)."""
    if not Membership.objects.filter(user=user, organisation=referral.to_organisation).exists():
        raise Http404
    with transaction.atomic():
        _claim(
            referral=referral,
            from_status=Referral.Status.SENT,
            status=Referral.Status.ACCEPTED,
            decided_by=user,
            decided_at=timezone.now(),
        )
        if not CaseRole.objects.filter(
            case=referral.case, organisation=referral.to_organisation
        ).exists():
            try:
                with transaction.atomic():
                    services.case_role_add(
                        case=referral.case,
                        user=user,
                        organisation=referral.to_organisation,
                        role=role,
                        meeting=referral.meeting,
                    )
            except IntegrityError:
                pass  # Brought on a moment ago by someone else: the role is there.
        _audit(
            user=user,
            referral=referral,
            organisation=referral.to_organisation,
            detail="referral:accept",
        )
        _notify_sender(
            referral=referral, kind=Notification.Kind.REFERRAL_DECIDED, object_id=referral.pk
        )
    return referral


def referral_decline(*, referral: Referral, user, reason: str) -> Referral:
    if not Membership.objects.filter(user=user, organisation=referral.to_organisation).exists():
        raise Http404
    with transaction.atomic():
        _claim(
            referral=referral,
            from_status=Referral.Status.SENT,
            status=Referral.Status.DECLINED,
            decline_reason=reason,
            decided_by=user,
            decided_at=timezone.now(),
        )
        _audit(
            user=user,
            referral=referral,
            organisation=referral.to_organisation,
            detail="referral:decline",
        )
        _notify_sender(
            referral=referral, kind=Notification.Kind.REFERRAL_DECIDED, object_id=referral.pk
        )
    return referral


def referral_done(*, referral: Referral, user, started_on: datetime.date) -> Referral:
    """The receiving organisation's service has started."""
    if not Membership.objects.filter(user=user, organisation=referral.to_organisation).exists():
        raise Http404
    with transaction.atomic():
        _claim(
            referral=referral,
            from_status=Referral.Status.ACCEPTED,
            status=Referral.Status.DONE,
            done_on=started_on,
        )
        _audit(
            user=user,
            referral=referral,
            organisation=referral.to_organisation,
            detail="referral:done",
        )
        _notify_sender(
            referral=referral, kind=Notification.Kind.REFERRAL_DECIDED, object_id=referral.pk
        )
    return referral


def referral_ask(*, referral: Referral, user, text: str) -> ReferralMessage:
    """The receiving organisation asks the sender a question (before deciding)."""
    if not Membership.objects.filter(user=user, organisation=referral.to_organisation).exists():
        raise Http404
    if referral.status != Referral.Status.SENT:
        raise _already(referral)
    with transaction.atomic():
        message = ReferralMessage.objects.create(
            referral=referral,
            kind=ReferralMessage.Kind.QUESTION,
            text=text,
            author=user,
            organisation=referral.to_organisation,
        )
        _audit(
            user=user, referral=referral, organisation=referral.to_organisation,
            detail="referral:ask",
        )  # fmt: skip
        notifications.notify(
            user_ids=members_of(organisation_id=referral.from_organisation_id),
            kind=Notification.Kind.REFERRAL_QUESTION,
            object_id=message.pk,
            due_on=timezone.localdate(),
            label=referral.to_organisation.name,
            url=referral_url(referral),
        )
    return message


def referral_answer(*, referral: Referral, user, text: str) -> ReferralMessage:
    """The referring organisation answers the receiver's questions."""
    if not Membership.objects.filter(user=user, organisation=referral.from_organisation).exists():
        raise Http404
    with transaction.atomic():
        message = ReferralMessage.objects.create(
            referral=referral,
            kind=ReferralMessage.Kind.ANSWER,
            text=text,
            author=user,
            organisation=referral.from_organisation,
        )
        _audit(
            user=user, referral=referral, organisation=referral.from_organisation,
            detail="referral:answer",
        )  # fmt: skip
        askers = set(
            referral.messages.filter(kind=ReferralMessage.Kind.QUESTION)
            .exclude(author=None)
            .values_list("author_id", flat=True)
        )
        notifications.notify(
            user_ids=sorted(askers),
            kind=Notification.Kind.REFERRAL_ANSWERED,
            object_id=message.pk,
            due_on=timezone.localdate(),
            label=referral.from_organisation.name,
            url=referral_url(referral),
        )
    return message
