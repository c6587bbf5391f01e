from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404

from districts.models import TargetGroup
from resources.models import Location, Organisation, Service


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


# The area page and the district comparison (read by the conferences layer).

# The three partners of a district: まちづくりセンター, 地域包括支援センター, 社会福祉協議会.
PARTNER_KINDS = (
    Organisation.Kind.TOWN_OFFICE,
    Organisation.Kind.COMMUNITY_CARE_CENTRE,
    Organisation.Kind.WELFARE_COUNCIL,
)


def organisations_present_in(*, area_ids) -> QuerySet[Organisation]:
    """Organisations located in or serving any of the areas: a location there, their home area
    there, or the area among those they serve. Staff-only organisations included (staff pages).

    `area_ids` may be a list or a values("pk") queryset; subqueries keep each organisation once.
    """
    located = Location.objects.filter(district_id__in=area_ids).values("organisation_id")
    serving = Organisation.areas_served.through.objects.filter(area_id__in=area_ids).values(
        "organisation_id"
    )
    return Organisation.objects.filter(
        Q(home_area_id__in=area_ids) | Q(pk__in=located) | Q(pk__in=serving)
    )


def resource_counts(*, area_ids) -> dict[str, list[tuple[str, str, int]]]:
    """Organisations by kind and their services by target group, as (value, label, count) in the
    order of the choices, for organisations present in the areas (two queries)."""
    organisations = organisations_present_in(area_ids=area_ids)
    by_kind = {
        row["kind"]: row["n"]
        for row in organisations.order_by().values("kind").annotate(n=Count("pk"))
    }
    by_target = {
        row["target_group"]: row["n"]
        for row in Service.objects.filter(organisation__in=organisations.values("pk"))
        .order_by()
        .values("target_group")
        .annotate(n=Count("pk"))
    }
    return {
        "by_kind": [
            (v, label, by_kind[v]) for v, label in Organisation.Kind.choices if v in by_kind
        ],
        "by_target_group": [
            (v, label, by_target[v]) for v, label in TargetGroup.choices if v in by_target
        ],
    }


def locations_in(*, area_ids) -> QuerySet[Location]:
    """Every location whose district is one of the areas, hidden addresses included: staff only."""
    return (
        Location.objects.filter(district_id__in=area_ids)
        .select_related("organisation", "district")
        .order_by("district__reading", "organisation__reading", "organisation__name", "pk")
    )


def partner_organisations(*, area_ids) -> QuerySet[Organisation]:
    """The partner organisations located in or serving the areas, with the areas they serve and
    their locations' districts prefetched (so the page can say for which area each one works)."""
    return (
        organisations_present_in(area_ids=area_ids)
        .filter(kind__in=PARTNER_KINDS)
        .select_related("home_area")
        .prefetch_related("areas_served", "locations")
        .order_by("reading", "name")
    )


def organisation_kind_counts_by_area(*, area_ids) -> dict[int, dict[str, int]]:
    """Area id → {kind: number of organisations present in the area (as organisations_present_in
    decides)}: one query, counted in the database, whatever the number of areas."""
    located = Location.objects.filter(district_id__in=area_ids).values(
        pair_area=F("district_id"), pair_org=F("organisation_id")
    )
    home = Organisation.objects.filter(home_area_id__in=area_ids).values(
        pair_area=F("home_area_id"), pair_org=F("pk")
    )
    serving = Organisation.areas_served.through.objects.filter(area_id__in=area_ids).values(
        pair_area=F("area_id"), pair_org=F("organisation_id")
    )
    # UNION (not UNION ALL) keeps each (area, organisation) pair once, however the organisation
    # is present there. The ORM cannot group a union, so the grouping wraps the union's SQL.
    pairs = located.order_by().union(home.order_by(), serving.order_by())
    try:
        sql, params = pairs.query.sql_with_params()
    except EmptyResultSet:  # no areas at all
        return {}
    table = connection.ops.quote_name(Organisation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pairs.pair_area, organisation.kind, COUNT(*) FROM ({sql}) pairs "
            f"INNER JOIN {table} organisation ON organisation.id = pairs.pair_org "
            "GROUP BY pairs.pair_area, organisation.kind",
            params,
        )
        rows = cursor.fetchall()
    counts: dict[int, dict[str, int]] = {}
    for area_id, kind, count in rows:
        counts.setdefault(area_id, {})[kind] = count
    return counts
