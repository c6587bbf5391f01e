"""The case record: who may read and change a case, new cases, edits of a case's facts, consent
withdrawal, and the reads behind the case page.

Access rule (issue 5, point 1): a user sees a case through an organisation that has a role on
it, or as chair or recorder of a planned meeting with the case on its agenda. Only members of an
organisation on the case change it: a chair or recorder who sees it through a meeting alone may
read it, not change it (the minutes engineer's item updates go through conferences.services,
called by the meeting's own pages). Anyone who may not change a case gets the same 404 from every
change endpoint as for a case that does not exist.

Every write records an audit event (never case content in its detail); edits of the case's facts
are compare-and-swap on Case.version (services.StaleCase when someone else saved first).
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from conferences import selectors
from conferences.models import (
    ActionItem,
    AgendaItem,
    AuditEvent,
    Case,
    CaseRole,
    Consent,
    LeadChange,
    LegalBasis,
    Meeting,
    Membership,
    SupportPlan,
)
from conferences.services import StaleCase, audit_record
from districts.models import TargetGroup
from resources.models import Organisation, Service, Visibility

# As the demo's codes (conferences.demo): a letter for the target group, the year, a serial.
CODE_PREFIX = {
    TargetGroup.ELDERLY: "K",
    TargetGroup.CHILDREN: "C",
    TargetGroup.DISABILITY: "S",
    TargetGroup.HARDSHIP: "H",
    TargetGroup.ALL: "A",
}


@dataclass(frozen=True)
class CaseAccess:
    """How a user reaches a case: through an organisation on it (`can_change`), or as chair or
    recorder of `meeting` (read only; `organisation` is then the user's own organisation
    there, for the audit trail)."""

    organisation: Organisation | None
    meeting: Meeting | None
    can_change: bool


# ---------------------------------------------------------------------------------------------
# Access


def case_access(*, user, case: Case) -> CaseAccess:
    role = (
        CaseRole.objects.filter(case=case, organisation__memberships__user=user)
        .select_related("organisation")
        .order_by("organisation__name", "organisation_id")
        .first()
    )
    if role is not None:
        return CaseAccess(organisation=role.organisation, meeting=None, can_change=True)
    meeting = (
        Meeting.objects.filter(
            Q(chair=user) | Q(recorder=user),
            status=Meeting.Status.PLANNED,
            agenda_items__case=case,
        )
        .select_related("organiser")
        .order_by("starts_at", "pk")
        .first()
    )
    own = None
    if meeting is not None:
        memberships = Membership.objects.filter(user=user).select_related("organisation")
        ranked = sorted(
            memberships,
            key=lambda m: (m.organisation_id != meeting.organiser_id, m.organisation.name),
        )
        own = ranked[0].organisation if ranked else None
    return CaseAccess(organisation=own, meeting=meeting, can_change=False)


def case_get_changeable(*, user, public_id) -> tuple[Case, CaseAccess]:
    """The case and the user's access, if the user may change it; 404 otherwise (whether the
    case is missing, invisible or only readable to them)."""
    case = selectors.case_get_visible(user=user, public_id=public_id)
    access = case_access(user=user, case=case)
    if not access.can_change:
        raise Http404
    return case, access


def case_audit(*, user, case: Case | None, access: CaseAccess, action: str, detail: str) -> None:
    audit_record(
        user=user,
        case=case,
        action=action,
        organisation=access.organisation,
        meeting=access.meeting,
        detail=detail,
    )


def agency_organisations_of(*, user) -> QuerySet[Organisation]:
    """The user's own organisations that take part in case coordination (may lead a case)."""
    return Organisation.objects.filter(memberships__user=user, is_agency=True).order_by(
        "reading", "name"
    )


def audit_case_list(*, user, cases_shown, detail: str) -> None:
    """One VIEW event per case a list showed (its code, district, lead...), written in two
    queries whatever their number; each through the user's organisation on the case, else (a
    chair or recorder) the user's own first organisation."""
    case_ids = sorted({case.pk for case in cases_shown})
    if not case_ids:
        return
    through: dict[int, int] = {}
    rows = (
        CaseRole.objects.filter(case_id__in=case_ids, organisation__memberships__user=user)
        .order_by("case_id", "organisation__name", "organisation_id")
        .values_list("case_id", "organisation_id")
    )
    for case_id, organisation_id in rows:
        through.setdefault(case_id, organisation_id)
    own = (
        Organisation.objects.filter(memberships__user=user)
        .order_by("name", "pk")
        .values_list("pk", flat=True)
        .first()
        if len(through) < len(case_ids)
        else None
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                user=user,
                case_id=case_id,
                action=AuditEvent.Action.VIEW,
                organisation_id=through.get(case_id, own),
                detail=detail,
            )
            for case_id in case_ids
        ]
    )


# ---------------------------------------------------------------------------------------------
# Writes


def case_code_generate(*, target_group: str, opened_on: datetime.date) -> str:
    """The next free code in the demo's format, e.g. K26-00042."""
    prefix = f"{CODE_PREFIX.get(target_group, 'A')}{opened_on.year % 100:02d}-"
    serial = Case.objects.filter(code__startswith=prefix).count() + 1
    while Case.objects.filter(code=f"{prefix}{serial:05d}").exists():
        serial += 1
    return f"{prefix}{serial:05d}"


class CaseCodeTaken(Exception):
    """The case code is already used by another case."""


def case_create(
    *,
    user,
    lead: Organisation,
    district,
    target_group: str,
    support_level: str,
    risk_tier: int,
    code: str = "",
    lead_role: str = "",
    contact_person: str = "",
    opened_on: datetime.date | None = None,
) -> Case:
    """Open a case led by one of the user's agency organisations; the lead gets its CaseRole and
    the first entry of the lead history. A blank code is generated (retrying if another case
    took the same one at the same moment); a code typed by the user that is taken raises
    CaseCodeTaken."""
    if not agency_organisations_of(user=user).filter(pk=lead.pk).exists():
        raise ValueError("the lead must be one of the user's agencies")
    opened_on = opened_on or timezone.localdate()
    for _attempt in range(5):
        case_code = code or case_code_generate(target_group=target_group, opened_on=opened_on)
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    code=case_code,
                    district=district,
                    target_group=target_group,
                    support_level=support_level,
                    risk_tier=risk_tier,
                    lead_organisation=lead,
                    opened_on=opened_on,
                )
                CaseRole.objects.create(
                    case=case,
                    organisation=lead,
                    role=lead_role,
                    contact_person=contact_person,
                    added_on=opened_on,
                    added_by=user,
                )
                LeadChange.objects.create(case=case, organisation=lead, changed_by=user)
                audit_record(
                    user=user,
                    case=case,
                    action=AuditEvent.Action.CHANGE,
                    organisation=lead,
                    detail="case:create",
                )
            return case
        except IntegrityError:
            if code:
                raise CaseCodeTaken from None
    raise CaseCodeTaken


def case_update(
    *,
    case: Case,
    user,
    expected_version: int,
    support_level: str,
    risk_tier: int,
    status: str,
    closed_on: datetime.date | None,
    next_review_on: datetime.date | None,
) -> None:
    """Change the case's facts, only if it is still at `expected_version` (StaleCase with what
    is stored now otherwise). An open case has no closing date."""
    if status == Case.Status.OPEN:
        closed_on = None
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
            version=F("version") + 1,
            support_level=support_level,
            risk_tier=risk_tier,
            status=status,
            closed_on=closed_on,
            next_review_on=next_review_on,
        )
        if not updated:
            raise StaleCase(Case.objects.select_related("lead_organisation").get(pk=case.pk))
        audit_record(
            user=user,
            case=case,
            action=AuditEvent.Action.CHANGE,
            organisation=selectors.case_access_organisation(user=user, case=case),
            detail="case:edit",
        )
    case.refresh_from_db()


def consent_withdraw(*, consent: Consent, user, withdrawn_on: datetime.date) -> bool:
    """Record that the person withdrew a consent (the record stays). False when it already was
    withdrawn (nothing written)."""
    with transaction.atomic():
        updated = Consent.objects.filter(pk=consent.pk, withdrawn_on__isnull=True).update(
            withdrawn_on=withdrawn_on
        )
        if not updated:
            return False
        audit_record(
            user=user,
            case=consent.case,
            action=AuditEvent.Action.CHANGE,
            organisation=selectors.case_access_organisation(user=user, case=consent.case),
            detail="consent:withdraw",
        )
    return True


# ---------------------------------------------------------------------------------------------
# Reads for the case page


def case_meetings(*, user, case: Case) -> list[Meeting]:
    """Meetings with the case on their agenda that the user may see, newest first."""
    on_agenda = AgendaItem.objects.filter(case=case).values("meeting_id")
    return list(
        selectors.meetings_visible_to(user=user)
        .filter(pk__in=on_agenda)
        .select_related("area")
        .order_by("-starts_at", "pk")
    )


def case_meetings_with_legal_basis(*, user, case: Case) -> QuerySet[Meeting]:
    """Meetings the user may see that have the case on their agenda and a legal basis allowing
    sharing without consent: the bases one can name when adding an organisation."""
    on_agenda = AgendaItem.objects.filter(case=case).values("meeting_id")
    return (
        selectors.meetings_visible_to(user=user)
        .filter(pk__in=on_agenda)
        .exclude(legal_basis=LegalBasis.NONE)
        .order_by("-starts_at", "pk")
    )


def case_meetings_for_plan(*, user, case: Case) -> QuerySet[Meeting]:
    """Meetings that had the case on their agenda (the user may see): where a plan was agreed."""
    on_agenda = AgendaItem.objects.filter(case=case).values("meeting_id")
    return (
        selectors.meetings_visible_to(user=user)
        .filter(pk__in=on_agenda)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at", "pk")
    )


def case_open_actions(*, case: Case) -> list[ActionItem]:
    return list(
        ActionItem.objects.filter(
            Q(case=case) | Q(case__isnull=True, agenda_item__case=case),
            status=ActionItem.Status.OPEN,
        )
        .select_related("organisation", "assignee", "agenda_item__meeting")
        .order_by("due_on", "pk")
    )


def case_plans(*, case: Case) -> list[SupportPlan]:
    return list(
        case.plans.select_related("agreed_at_meeting", "created_by")
        .prefetch_related("services__organisation")
        .order_by("-number")
    )


def plan_services_for(*, case: Case) -> QuerySet[Service]:
    """Services a plan may link: any service of an organisation on the case, or any public
    service of a public organisation."""
    on_case = CaseRole.objects.filter(case=case).values("organisation_id")
    return Service.objects.filter(
        Q(organisation_id__in=on_case)
        | Q(visibility=Visibility.PUBLIC, organisation__visibility=Visibility.PUBLIC)
    )


def plan_services_offered(*, case: Case, chosen=()) -> QuerySet[Service]:
    """The services listed in the plan form: those of the organisations on the case, public ones
    of organisations serving the case's district, and any already chosen."""
    on_case = CaseRole.objects.filter(case=case).values("organisation_id")
    serving = Organisation.objects.filter(
        Q(areas_served=case.district_id) | Q(home_area=case.district_id),
        visibility=Visibility.PUBLIC,
    ).values("pk")
    return (
        Service.objects.filter(
            Q(organisation_id__in=on_case)
            | Q(organisation_id__in=serving, visibility=Visibility.PUBLIC)
            | Q(pk__in=[s.pk if hasattr(s, "pk") else s for s in chosen])
        )
        .select_related("organisation")
        .order_by("organisation__reading", "organisation__name", "name", "pk")
    )


def agencies_near(*, case: Case, chosen=()) -> QuerySet[Organisation]:
    """The agencies a form about the case offers: those on the case, those serving its district
    (or the region or municipality above it, or based there), and any already chosen. The whole
    directory would make every case page carry thousands of options."""
    district = case.district
    areas = [district.pk, district.parent_id]
    if district.parent_id:
        areas.append(district.parent.parent_id)
    areas = [pk for pk in areas if pk]
    on_case = CaseRole.objects.filter(case=case).values("organisation_id")
    serving = Organisation.objects.filter(
        Q(areas_served__in=areas) | Q(home_area_id__in=areas)
    ).values("pk")
    return (
        Organisation.objects.filter(is_agency=True)
        .filter(Q(pk__in=on_case) | Q(pk__in=serving) | Q(pk__in=[int(pk) for pk in chosen]))
        .order_by("reading", "name", "pk")
    )


def agencies_to_add(*, case: Case, chosen=()) -> QuerySet[Organisation]:
    """Agencies offered for bringing onto the case: near it (agencies_near), not yet on it."""
    on_case = CaseRole.objects.filter(case=case).values("organisation_id")
    return agencies_near(case=case, chosen=chosen).exclude(pk__in=on_case)
