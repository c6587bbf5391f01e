"""Keeping the directory true (issue 10, point 2): keepers, the verification queue, changes
proposed by an organisation's members, residents' correction reports, and the per-field change
log (HSDS's metadata object).

Every entry has a keeper: an organisation (typically the 社協), whose members keep it, and/or a
named staff user. Holders of resources.change_organisation keep every entry. This layer cannot
read memberships (they live in conferences), so callers pass the ids of the organisations the
user acts through (`organisation_ids`).

Every path that changes an organisation writes one FieldChange per changed field: the /staff/
edit and correction (resources.services.organisation_update), the Wagtail admin
(resources.forms.with_change_log), imports (resources.imports, field_changes_record_bulk) and
accepted proposals (proposal_review).
"""

import calendar
import datetime
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from districts.models import Area
from resources import services
from resources.models import ChangeProposal, CorrectionReport, FieldChange, Organisation

# The fields whose changes are logged (the /staff/ form's fields).
LOGGED_FIELDS = (*services.ORGANISATION_FIELDS, "areas_served")
# What a keeper may correct from the queue, and what a member may propose for their own entry.
CORRECTABLE_FIELDS = ("name", "reading", "description", "phone", "fax", "email", "website")


# --- settings and keepers ---


def verify_months() -> int:
    """Entries not verified for this many months are due (read at call time)."""
    return int(getattr(settings, "DIRECTORY_VERIFY_MONTHS", 12))


def reports_per_hour() -> int:
    return int(getattr(settings, "DIRECTORY_REPORTS_PER_HOUR", 5))


def verify_before(*, today: datetime.date | None = None) -> datetime.date:
    """Entries last verified before this date (or never) are due for verification."""
    today = today or timezone.localdate()
    months = today.year * 12 + (today.month - 1) - verify_months()
    year, month = divmod(months, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(today.day, last_day))


def keeps_everything(*, user) -> bool:
    return user.has_perm("resources.change_organisation")


def is_keeper(*, organisation: Organisation, user, organisation_ids) -> bool:
    return (
        keeps_everything(user=user)
        or (organisation.keeper_user_id is not None and organisation.keeper_user_id == user.pk)
        or (
            organisation.keeper_organisation_id is not None
            and organisation.keeper_organisation_id in set(organisation_ids)
        )
    )


def kept_by(*, user, organisation_ids, mine_only: bool = False) -> QuerySet[Organisation]:
    """The entries the user keeps (all of them for a directory editor, unless mine_only)."""
    entries = Organisation.objects.all()
    if mine_only or not keeps_everything(user=user):
        entries = entries.filter(
            Q(keeper_user=user) | Q(keeper_organisation_id__in=list(organisation_ids))
        )
    return entries


def verification_queue(
    *, user, organisation_ids, mine_only: bool = False, today: datetime.date | None = None
) -> QuerySet[Organisation]:
    """Entries the user keeps that are due: never verified first, then the stalest."""
    before = verify_before(today=today)
    return (
        kept_by(user=user, organisation_ids=organisation_ids, mine_only=mine_only)
        .filter(Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=before))
        .select_related("keeper_organisation", "keeper_user", "last_verified_by")
        .order_by(F("last_verified_on").asc(nulls_first=True), "reading", "name", "pk")
    )


def pending_proposals(*, entries: QuerySet[Organisation]) -> QuerySet[ChangeProposal]:
    return (
        ChangeProposal.objects.filter(
            organisation__in=entries.values("pk"), status=ChangeProposal.Status.PENDING
        )
        .select_related("organisation", "proposed_by")
        .order_by("created_at", "pk")
    )


def open_reports(*, entries: QuerySet[Organisation]) -> QuerySet[CorrectionReport]:
    return (
        CorrectionReport.objects.filter(
            organisation__in=entries.values("pk"), status=CorrectionReport.Status.OPEN
        )
        .select_related("organisation")
        .order_by("created_at", "pk")
    )


def keeper_set(
    *, organisation: Organisation, keeper_organisation: Organisation | None, keeper_user
) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(
        keeper_organisation=keeper_organisation, keeper_user=keeper_user
    )
    organisation.keeper_organisation = keeper_organisation
    organisation.keeper_user = keeper_user


# --- the per-field change log ---


def field_label(name: str) -> str:
    """The (translated) name of an Organisation field, for people."""
    try:
        return str(Organisation._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field no longer on the model, named in an old log row
        return name


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def snapshot(organisation: Organisation) -> dict[str, str]:
    """The logged fields of a stored organisation, as text."""
    values = {name: _text(getattr(organisation, name)) for name in services.ORGANISATION_FIELDS}
    values["areas_served"] = ", ".join(
        organisation.areas_served.order_by("code").values_list("code", flat=True)
    )
    return values


def field_changes_record(
    *,
    organisation: Organisation,
    before: dict[str, str],
    after: dict[str, str],
    user=None,
    source: str,
) -> list[FieldChange]:
    """One FieldChange per field whose text differs between the two snapshots."""
    now = timezone.now()
    changes = [
        FieldChange(
            organisation=organisation,
            resource_id=organisation.uuid,
            field_name=name,
            previous_value=before.get(name, ""),
            replacement_value=after.get(name, ""),
            updated_by=user if getattr(user, "pk", None) else None,
            source=source,
            changed_at=now,
        )
        for name in LOGGED_FIELDS
        if name in after and before.get(name, "") != after[name]
    ]
    return FieldChange.objects.bulk_create(changes)


def field_changes_record_bulk(
    *, organisations: list[Organisation], fields, user=None, source: str
) -> int:
    """For imports: compare organisations in memory (about to be saved) with what is stored,
    field by field, and log the differences in one insert. Returns how many were logged."""
    attributes = [name for name in fields]
    names = {name: name.removesuffix("_id") for name in attributes}
    by_pk = {organisation.pk: organisation for organisation in organisations if organisation.pk}
    if not by_pk:
        return 0
    area_ids = set()
    stored_rows = {}
    for start in range(0, len(by_pk), 500):
        chunk = list(by_pk)[start : start + 500]
        for row in Organisation.objects.filter(pk__in=chunk).values("pk", *attributes):
            stored_rows[row["pk"]] = row
            area_ids.add(row.get("home_area_id"))
    area_ids |= {getattr(o, "home_area_id", None) for o in by_pk.values()}
    areas = {area.pk: str(area) for area in Area.objects.filter(pk__in=area_ids - {None})}

    def shown(attribute, value):
        if attribute == "home_area_id":
            return areas.get(value, "")
        return _text(value)

    now = timezone.now()
    changes = []
    for pk, row in stored_rows.items():
        organisation = by_pk[pk]
        for attribute in attributes:
            previous, current = row[attribute], getattr(organisation, attribute)
            if previous == current:
                continue
            changes.append(
                FieldChange(
                    organisation_id=pk,
                    resource_id=organisation.uuid,
                    field_name=names[attribute],
                    previous_value=shown(attribute, previous),
                    replacement_value=shown(attribute, current),
                    updated_by=user if getattr(user, "pk", None) else None,
                    source=source,
                    changed_at=now,
                )
            )
    FieldChange.objects.bulk_create(changes, batch_size=500)
    return len(changes)


def field_changes_of(*, organisation: Organisation) -> QuerySet[FieldChange]:
    return organisation.field_changes.select_related("updated_by").order_by("-changed_at", "-pk")


# --- verification and correction by a keeper ---


def entry_verify(*, organisation: Organisation, user) -> Organisation:
    """ "Still correct": records the date and who checked (resources.services)."""
    return services.organisation_verify(organisation=organisation, user=user)


def entry_correct(*, organisation: Organisation, user, version: int, fields: dict) -> Organisation:
    """Save corrected fields if the entry is still at `version` (raises services.StaleEntry
    otherwise), log each changed field, and record that the entry was checked today."""
    values = {name: fields[name] for name in CORRECTABLE_FIELDS if name in fields}
    with transaction.atomic():
        stored = services.organisation_update(
            organisation=organisation, version=version, fields=values, user=user
        )
        services.organisation_verify(organisation=stored, user=user)
    return stored


# --- proposals by an organisation's own members ---


class NothingProposed(Exception):
    """The proposal would change nothing."""


class AlreadyReviewed(Exception):
    """Someone reviewed the proposal first."""


def proposal_create(
    *, organisation: Organisation, user, changes: dict[str, str], note: str = ""
) -> ChangeProposal:
    """Propose new values for the entry's fields; only those that differ are kept. The caller
    checks that the user is a member of the organisation."""
    stored = snapshot(organisation)
    wanted = {
        name: _text(value)
        for name, value in changes.items()
        if name in CORRECTABLE_FIELDS and _text(value) != stored[name]
    }
    if not wanted:
        raise NothingProposed
    return ChangeProposal.objects.create(
        organisation=organisation,
        proposed_by=user,
        changes=wanted,
        previous={name: stored[name] for name in wanted},
        note=note,
    )


def proposal_get(*, uuid) -> ChangeProposal:
    return ChangeProposal.objects.select_related("organisation", "proposed_by").get(uuid=uuid)


def proposals_of(*, organisation: Organisation) -> QuerySet[ChangeProposal]:
    return organisation.change_proposals.select_related("proposed_by", "reviewed_by").order_by(
        "-created_at", "-pk"
    )


def proposal_review(
    *, proposal: ChangeProposal, user, decisions: dict[str, tuple[bool, str]]
) -> ChangeProposal:
    """Accept or reject each proposed field (a reason for each). Accepted fields are published
    (and logged), rejected ones are not; the decisions and reasons are kept on the proposal.
    Raises AlreadyReviewed if someone reviewed it first."""
    kept = {
        name: {"accepted": bool(decisions[name][0]), "reason": decisions[name][1]}
        for name in proposal.changes
        if name in decisions
    }
    accepted = {name: proposal.changes[name] for name, d in kept.items() if d["accepted"]}
    now = timezone.now()
    with transaction.atomic():
        claimed = ChangeProposal.objects.filter(
            pk=proposal.pk, status=ChangeProposal.Status.PENDING
        ).update(
            status=ChangeProposal.Status.REVIEWED,
            reviewed_by=user,
            reviewed_at=now,
            decisions=kept,
        )
        if not claimed:
            raise AlreadyReviewed
        if accepted:
            current = Organisation.objects.get(pk=proposal.organisation_id)
            services.organisation_update(
                organisation=current,
                version=current.version,
                fields=accepted,
                user=user,
                source=FieldChange.Source.PROPOSAL,
            )
    proposal.refresh_from_db()
    return proposal


# --- residents' correction reports ---


class RateLimited(Exception):
    """Too many reports from this client address in the last hour."""


def client_key(address: str) -> str:
    """A keyed hash of the client's address: enough to count its reports, not to recover it."""
    return hmac.new(
        settings.SECRET_KEY.encode(), (address or "").encode(), hashlib.sha256
    ).hexdigest()


def report_rate_limited(*, key: str, now: datetime.datetime | None = None) -> bool:
    """Counted in the database, so every app server shares the limit."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=1)
    recent = CorrectionReport.objects.filter(client_key=key, created_at__gte=since).count()
    return recent >= reports_per_hour()


def report_create(
    *, organisation: Organisation, message: str, contact: str = "", key: str
) -> CorrectionReport:
    """Record a report for the entry's keepers; raises RateLimited past the hourly limit."""
    if report_rate_limited(key=key):
        raise RateLimited
    return CorrectionReport.objects.create(
        organisation=organisation, message=message, contact=contact, client_key=key
    )


def report_get(*, uuid) -> CorrectionReport:
    return CorrectionReport.objects.select_related("organisation").get(uuid=uuid)


def report_close(*, report: CorrectionReport, user, resolution: str = "") -> bool:
    """Mark the report dealt with; False if someone already did."""
    closed = CorrectionReport.objects.filter(
        pk=report.pk, status=CorrectionReport.Status.OPEN
    ).update(
        status=CorrectionReport.Status.CLOSED,
        closed_by=user,
        closed_at=timezone.now(),
        resolution=resolution,
    )
    report.refresh_from_db()
    return bool(closed)


def with_change_log(form_class):
    """A subclass of the Wagtail admin's Organisation form whose save() logs each changed field
    (source "admin", by the signed-in editor)."""

    class ChangeLogForm(form_class):
        def __init__(self, *args, **kwargs):
            # The editor, passed by the admin's edit view (resources.wagtail_hooks).
            self.change_log_user = kwargs.pop("change_log_user", None)
            super().__init__(*args, **kwargs)
            self._before = snapshot(self.instance) if self.instance.pk else None

        def save(self, commit=True):
            instance = super().save(commit=commit)
            if commit and self._before is not None:
                stored = Organisation.objects.get(pk=instance.pk)
                field_changes_record(
                    organisation=stored,
                    before=self._before,
                    after=snapshot(stored),
                    user=self.change_log_user,
                    source=FieldChange.Source.ADMIN,
                )
            return instance

    ChangeLogForm.__name__ = ChangeLogForm.__qualname__ = form_class.__name__
    return ChangeLogForm


# --- the change log as HSDS metadata (resources.hsds) ---

# Only fields that the public export carries; who made a change is published as the door it came
# through, never a staff member's name (as assurer_email stays empty).
PUBLIC_LOGGED_FIELDS = (
    "name",
    "name_en",
    "description",
    "phone",
    "fax",
    "email",
    "website",
    "corporate_number",
)
HSDS_METADATA_PER_ORGANISATION = 50


def hsds_metadata(*, organisation_ids) -> dict[int, list[dict]]:
    """The latest changes of each organisation's public fields, as HSDS metadata objects
    (one query for the lot), newest first."""
    rows: dict[int, list[dict]] = {}
    changes = (
        FieldChange.objects.filter(
            organisation_id__in=list(organisation_ids), field_name__in=PUBLIC_LOGGED_FIELDS
        )
        .order_by("organisation_id", "-changed_at", "-pk")
        .values_list(
            "organisation_id",
            "uuid",
            "resource_id",
            "resource_type",
            "changed_at",
            "field_name",
            "previous_value",
            "replacement_value",
            "source",
        )
    )
    for org_id, pk, resource, kind, at, field, previous, replacement, source in changes:
        listed = rows.setdefault(org_id, [])
        if len(listed) >= HSDS_METADATA_PER_ORGANISATION:
            continue
        listed.append(
            {
                "id": str(pk),
                "resource_id": str(resource),
                "resource_type": kind,
                "last_action_date": timezone.localtime(at).date().isoformat(),
                "last_action_type": "update",
                "field_name": field,
                "previous_value": previous,
                "replacement_value": replacement,
                "updated_by": source,
            }
        )
    return rows
