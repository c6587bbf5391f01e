from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from resources.models import Organisation


def organisation_search(*, query: str = "", kind: str = "", area_code: str = "") -> QuerySet:
    """Staff directory: every organisation, public or staff-only, in 五十音 order."""
    organisations = Organisation.objects.select_related("home_area").order_by("reading", "name")
    if query:
        organisations = organisations.filter(Q(name__icontains=query) | Q(reading__icontains=query))
    if kind:
        organisations = organisations.filter(kind=kind)
    if area_code:
        organisations = organisations.filter(areas_served__code=area_code)
    return organisations


def organisation_get(*, uuid) -> Organisation:
    return get_object_or_404(Organisation.objects.select_related("home_area"), uuid=uuid)
