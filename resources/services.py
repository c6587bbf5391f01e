"""Writes of directory entries from /staff/: organisations, their services and places.

An organisation is saved with a compare-and-swap on its version: the UPDATE only matches the
row the editor started from, so of two people editing at once the second is refused (StaleEntry)
rather than silently overwriting the first. Every write refreshes the search key.
"""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from districts.addresses import AddressResolver, Unresolved
from resources import search
from resources.models import Location, Organisation, Service

# Written by organisation_save; the form's other fields (areas_served) are set separately.
ORGANISATION_FIELDS = (
    "name",
    "reading",
    "name_en",
    "kind",
    "description",
    "phone",
    "fax",
    "email",
    "website",
    "corporate_number",
    "home_area",
    "is_agency",
    "visibility",
    "keeper_organisation",
)
SERVICE_FIELDS = (
    "name",
    "description",
    "target_group",
    "cost",
    "languages",
    "application_process",
    "visibility",
)
LOCATION_FIELDS = ("name", "postal_code", "address", "accessibility", "hide_address")


class StaleEntry(Exception):
    """The organisation was saved by someone else since the editor's version."""

    def __init__(self, current: Organisation):
        super().__init__("stale organisation version")
        self.current = current


def organisation_create(*, fields: dict, areas_served=()) -> Organisation:
    with transaction.atomic():
        organisation = Organisation.objects.create(
            **{name: fields[name] for name in ORGANISATION_FIELDS if name in fields}
        )
        organisation.areas_served.set(areas_served)
        search.organisation_search_refresh(organisation=organisation)
    return organisation


def organisation_update(
    *,
    organisation: Organisation,
    version: int,
    fields: dict,
    areas_served=None,
    user=None,
    source: str = "staff",
) -> Organisation:
    """Save the fields if the stored version is still `version`; raises StaleEntry otherwise.
    Returns the organisation as stored now. areas_served None leaves them as they are. Each
    changed field is logged (resources.stewardship) with `user` and `source`."""
    from resources import stewardship  # it builds on this module

    values = {name: fields[name] for name in ORGANISATION_FIELDS if name in fields}
    with transaction.atomic():
        before = stewardship.snapshot(Organisation.objects.get(pk=organisation.pk))
        updated = Organisation.objects.filter(pk=organisation.pk, version=version).update(
            **values, version=F("version") + 1
        )
        if not updated:
            raise StaleEntry(
                Organisation.objects.select_related("home_area").get(pk=organisation.pk)
            )
        stored = Organisation.objects.get(pk=organisation.pk)
        if areas_served is not None:
            stored.areas_served.set(areas_served)
        stewardship.field_changes_record(
            organisation=stored,
            before=before,
            after=stewardship.snapshot(stored),
            user=user,
            source=source,
        )
        search.organisation_search_refresh(organisation=stored)
    return stored


def organisation_verify(
    *, organisation: Organisation, user, on: datetime.date | None = None
) -> Organisation:
    """Record that the entry was checked and is still correct. The version is not raised: it
    changes no field anyone is editing, so it should not refuse their save."""
    on = on or timezone.localdate()
    Organisation.objects.filter(pk=organisation.pk).update(
        last_verified_on=on, last_verified_by=user
    )
    organisation.last_verified_on = on
    organisation.last_verified_by = user
    return organisation


def service_save(
    *, organisation: Organisation, service: Service | None, fields: dict, categories=()
) -> Service:
    """Create (service None) or update a service of the organisation."""
    with transaction.atomic():
        if service is None:
            service = Service(organisation=organisation)
        for name in SERVICE_FIELDS:
            if name in fields:
                setattr(service, name, fields[name])
        service.save()
        service.categories.set(categories)
        search.organisation_search_refresh(organisation=organisation)
    return service


def location_save(
    *, organisation: Organisation, location: Location | None, fields: dict
) -> tuple[Location, str]:
    """Create (location None) or update a place; its district is found from the address.
    Returns the place and, when the address could not be placed, the reason (it is then saved
    without a district: a guessed district would send people to the wrong centre)."""
    reason = ""
    with transaction.atomic():
        if location is None:
            location = Location(organisation=organisation)
        for name in LOCATION_FIELDS:
            if name in fields:
                setattr(location, name, fields[name])
        district, reason = district_of(location.address)
        location.district = district
        location.save()
        search.organisation_search_refresh(organisation=organisation)
    return location, reason


def district_of(address: str):
    """(district, "") or (None, the reason the address could not be placed)."""
    try:
        return AddressResolver(on=timezone.localdate()).resolve(address).district, ""
    except Unresolved as error:
        return None, str(error.reason)
