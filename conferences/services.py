"""Writes of case data: audit, consent, role sharing, the lead organisation, support plans.

Every write here records an audit event (who, through which organisation, what), never case
content in the event's detail. Edits of a case are compare-and-swap on Case.version: a write
from a version someone else has since changed raises StaleCase instead of overwriting it.
"""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conferences import selectors
from conferences.models import (
    AuditEvent,
    Case,
    CaseRole,
    Consent,
    LeadChange,
    LegalBasis,
    Meeting,
    SupportPlan,
)
from resources.models import Organisation


class StaleCase(Exception):
    """The case changed since the editor's version; `current` is what is stored now."""

    def __init__(self, current: Case):
        super().__init__("stale case version")
        self.current = current


class SharingRefused(Exception):
    """Bringing an organisation onto a case is not covered by consent or a legal basis."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def audit_record(
    *,
    user,
    case: Case | None,
    action: str,
    organisation=None,
    meeting: Meeting | None = None,
    detail: str = "",
) -> None:
    """Record who touched which case through which organisation. `detail` names the screen,
    change or export, never case content."""
    AuditEvent.objects.create(
        user=user,
        case=case,
        action=action,
        organisation=organisation,
        meeting=meeting,
        detail=detail,
    )


def audit_record_many(
    *,
    user,
    case_organisations: dict,
    action: str,
    meeting: Meeting | None = None,
    detail: str = "",
) -> None:
    """audit_record for several cases at once (one insert): `case_organisations` maps each case
    id to the id of the organisation it was reached through (None when none)."""
    AuditEvent.objects.bulk_create(
        AuditEvent(
            user=user,
            case_id=case_id,
            action=action,
            organisation_id=organisation_id,
            meeting=meeting,
            detail=detail,
        )
        for case_id, organisation_id in sorted(case_organisations.items())
    )


def _access_organisation(*, user, case: Case) -> Organisation | None:
    return selectors.case_access_organisation(user=user, case=case)


def _bump_version(*, case: Case, expected_version: int | None, **changes) -> None:
    """Write `changes` and raise the version, only if the stored version is the one expected
    (None: whatever is stored, for changes that are not edits of a form)."""
    rows = Case.objects.filter(pk=case.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    updated = rows.update(version=F("version") + 1, **changes)
    if not updated:
        raise StaleCase(Case.objects.get(pk=case.pk))
    case.refresh_from_db()


def consent_covers(*, case: Case, organisation: Organisation, on: datetime.date | None = None):
    """The consent on record (not withdrawn by `on`) that covers sharing with the organisation,
    or None."""
    on = on or timezone.localdate()
    consents = (
        Consent.objects.filter(case=case, given_on__lte=on)
        .exclude(withdrawn_on__lte=on)
        .prefetch_related("organisations")
    )
    for consent in consents:
        if consent.covers_all or organisation in consent.organisations.all():
            return consent
    return None


def sharing_basis(*, case: Case, organisation: Organisation, meeting: Meeting | None = None):
    """(consent, meeting) that allow sharing the case with the organisation: a covering consent,
    else a meeting with a legal basis (which allows sharing among its members without consent).
    Raises SharingRefused with the reason otherwise."""
    consent = consent_covers(case=case, organisation=organisation)
    if consent is not None:
        return consent, None
    if meeting is not None and meeting.legal_basis != LegalBasis.NONE:
        return None, meeting
    raise SharingRefused(
        _(
            "No consent to share this case with %(organisation)s is on record, and no meeting "
            "with a legal basis for sharing without consent was named. Record the person's "
            "consent first."
        )
        % {"organisation": organisation.name}
    )


def consent_record(
    *,
    case: Case,
    user,
    given_on: datetime.date,
    scope: str,
    covers_all: bool = False,
    organisations=(),
) -> Consent:
    with transaction.atomic():
        consent = Consent.objects.create(
            case=case, given_on=given_on, scope=scope, covers_all=covers_all, recorded_by=user
        )
        consent.organisations.set(organisations)
        audit_record(
            user=user,
            case=case,
            action=AuditEvent.Action.CHANGE,
            organisation=_access_organisation(user=user, case=case),
            detail="consent:record",
        )
    return consent


def case_role_add(
    *,
    case: Case,
    user,
    organisation: Organisation,
    role: str,
    contact_person: str = "",
    meeting: Meeting | None = None,
) -> CaseRole:
    """Bring an organisation onto the case (つなぐ), if consent or the meeting's legal basis
    allows it (SharingRefused otherwise)."""
    consent, basis_meeting = sharing_basis(case=case, organisation=organisation, meeting=meeting)
    with transaction.atomic():
        role_row = CaseRole.objects.create(
            case=case,
            organisation=organisation,
            role=role,
            contact_person=contact_person,
            added_on=timezone.localdate(),
            added_by=user,
            consent=consent,
            meeting=basis_meeting or meeting,
        )
        _bump_version(case=case, expected_version=None)
        audit_record(
            user=user,
            case=case,
            action=AuditEvent.Action.CHANGE,
            organisation=_access_organisation(user=user, case=case),
            meeting=meeting,
            detail="case:role_add",
        )
    return role_row


def case_lead_change(
    *,
    case: Case,
    user,
    organisation: Organisation,
    reason: str = "",
    meeting: Meeting | None = None,
    expected_version: int | None = None,
) -> LeadChange | None:
    """Make the organisation the case's one lead (主担当機関), recording the change. The lead
    must already have a role on the case (bring it on with case_role_add first). Returns None
    when it already is the lead."""
    if organisation.pk == case.lead_organisation_id:
        return None
    if not CaseRole.objects.filter(case=case, organisation=organisation).exists():
        raise SharingRefused(
            _("%(organisation)s has no role on this case yet: add it to the role sharing first.")
            % {"organisation": organisation.name}
        )
    with transaction.atomic():
        previous_id = case.lead_organisation_id
        _bump_version(case=case, expected_version=expected_version, lead_organisation=organisation)
        change = LeadChange.objects.create(
            case=case,
            previous_id=previous_id,
            organisation=organisation,
            reason=reason,
            meeting=meeting,
            changed_by=user,
        )
        audit_record(
            user=user,
            case=case,
            action=AuditEvent.Action.CHANGE,
            organisation=_access_organisation(user=user, case=case),
            meeting=meeting,
            detail="case:lead_change",
        )
    return change


def case_next_review_set(
    *,
    case: Case,
    user,
    next_review_on: datetime.date | None,
    meeting: Meeting | None = None,
    expected_version: int | None = None,
) -> None:
    with transaction.atomic():
        _bump_version(case=case, expected_version=expected_version, next_review_on=next_review_on)
        audit_record(
            user=user,
            case=case,
            action=AuditEvent.Action.CHANGE,
            organisation=_access_organisation(user=user, case=case),
            meeting=meeting,
            detail="case:next_review",
        )


def support_plan_create(
    *,
    case: Case,
    user,
    goals: str,
    services=(),
    monitoring_interval_months: int = 3,
    next_review_on: datetime.date | None = None,
    meeting: Meeting | None = None,
) -> SupportPlan:
    """A new version of the case's support plan (earlier versions are kept as they were); its
    next review date becomes the case's."""
    with transaction.atomic():
        # Lock the case row so two plans agreed at once get distinct version numbers.
        locked = Case.objects.select_for_update().get(pk=case.pk)
        last = locked.plans.order_by("-number").values_list("number", flat=True).first() or 0
        plan = SupportPlan.objects.create(
            case=locked,
            number=last + 1,
            goals=goals,
            monitoring_interval_months=monitoring_interval_months,
            next_review_on=next_review_on,
            agreed_at_meeting=meeting,
            created_by=user,
        )
        plan.services.set(services)
        _bump_version(case=case, expected_version=None, next_review_on=next_review_on)
        audit_record(
            user=user,
            case=case,
            action=AuditEvent.Action.CHANGE,
            organisation=_access_organisation(user=user, case=case),
            meeting=meeting,
            detail="case:plan",
        )
    return plan
