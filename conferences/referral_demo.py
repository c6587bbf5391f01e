"""Demo referrals (つなぎ), so that /staff/referrals/ shows each status for the demo's "chair"
account: sent, accepted and declined in its outbox, and one waiting with a question in its
inbox. Deterministic (ordered by primary key) and a handful of rows at any scale."""

import datetime

from django.db.models import Q

from conferences.models import (
    Case,
    CaseRole,
    Membership,
    Referral,
    ReferralMessage,
)
from resources.models import Organisation

DEMO_ACCOUNT = "chair"
SUMMARIES = [
    "退院後の生活に向けて、訪問による見守りと服薬確認をお願いしたいです。",
    "家族介護者の負担が大きく、短期入所の利用について相談したいです。",
    "通いの場への参加を本人が希望しています。受け入れの可否を教えてください。",
]


def _first_member(organisation_id: int):
    return (
        Membership.objects.filter(organisation_id=organisation_id)
        .order_by("pk")
        .values_list("user_id", flat=True)
        .first()
    )


def _receiver_for(case: Case, *, exclude=()) -> Organisation | None:
    return (
        Organisation.objects.filter(is_agency=True)
        .filter(Q(home_area_id=case.district_id) | Q(areas_served=case.district_id))
        .exclude(pk__in=CaseRole.objects.filter(case=case).values("organisation_id"))
        .exclude(pk__in=list(exclude))
        .order_by("pk")
        .distinct()
        .first()
    )


def build_referrals(*, today: datetime.date) -> int:
    chair = Membership.objects.filter(user__username=DEMO_ACCOUNT).order_by("pk").first()
    if chair is None:
        return 0
    home = chair.organisation
    covered = Case.objects.filter(
        status=Case.Status.OPEN, consents__covers_all=True, consents__withdrawn_on=None
    ).distinct()
    made = []
    statuses = [Referral.Status.SENT, Referral.Status.ACCEPTED, Referral.Status.DECLINED]
    outgoing = covered.filter(lead_organisation=home).order_by("pk")[: len(statuses)]
    for index, (case, status) in enumerate(zip(outgoing, statuses, strict=False)):
        receiver = _receiver_for(case, exclude=[row[2].pk for row in made])
        if receiver is None:
            continue
        made.append((case, home, receiver, chair.user_id, status, SUMMARIES[index], index + 3))
    incoming = (
        covered.filter(district_id=home.home_area_id)
        .exclude(roles__organisation=home)
        .order_by("pk")
        .first()
    )
    if incoming is not None:
        made.append(
            (
                incoming,
                incoming.lead_organisation,
                home,
                _first_member(incoming.lead_organisation_id),
                Referral.Status.SENT,
                SUMMARIES[2],
                1,
            )
        )
    rows = []
    for case, sender, receiver, sent_by, status, summary, _days in made:
        decided = status != Referral.Status.SENT
        rows.append(
            Referral(
                case=case,
                from_organisation=sender,
                to_organisation=receiver,
                summary=summary,
                target_group=case.target_group,
                district_id=case.district_id,
                consent=case.consents.filter(covers_all=True).order_by("pk").first(),
                status=status,
                sent_by_id=sent_by,
                decided_by_id=_first_member(receiver.pk) if decided else None,
                decline_reason="現在、新規の受け入れ枠がありません。"
                if status == Referral.Status.DECLINED
                else "",
            )
        )
    saved = Referral.objects.bulk_create(rows)
    for referral, (*_, days) in zip(saved, made, strict=True):
        sent_at = datetime.datetime.combine(
            today - datetime.timedelta(days=days), datetime.time(10), tzinfo=datetime.UTC
        )
        referral.sent_at = sent_at
        if referral.status != Referral.Status.SENT:
            referral.decided_at = sent_at + datetime.timedelta(days=1)
    Referral.objects.bulk_update(saved, ["sent_at", "decided_at"])
    CaseRole.objects.bulk_create(
        [
            CaseRole(
                case_id=r.case_id,
                organisation_id=r.to_organisation_id,
                role="訪問による見守り",
                added_on=today,
                consent_id=r.consent_id,
            )
            for r in saved
            if r.status == Referral.Status.ACCEPTED
        ]
    )
    ReferralMessage.objects.bulk_create(
        [
            ReferralMessage(
                referral=r,
                kind=ReferralMessage.Kind.QUESTION,
                text="希望する曜日と時間帯を教えてください。",
                author_id=_first_member(r.to_organisation_id),
                organisation_id=r.to_organisation_id,
            )
            for r in saved
            if r.status == Referral.Status.SENT and r.to_organisation_id != home.pk
        ]
    )
    return len(saved)


def delete_referrals(*, area_ids) -> None:
    """Before the demo's cases go (a referral PROTECTs the consent it rests on)."""
    Referral.objects.filter(case__district_id__in=area_ids).delete()
