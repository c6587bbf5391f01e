import datetime

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from districts.models import Area, TargetGroup
from resources import stewardship
from resources.models import (
    FollowUp,
    Location,
    Organisation,
    Schedule,
    Service,
    TaxonomyTerm,
    Tie,
    Visit,
)
from resources.schedules import WEEKDAYS, weekday_q
from resources.search import search_filter

# The staff directory: search and filters (all optional), the map's places, the organisation
# page's parts, and the candidates for a tie.

WEEKDAY_CODES = WEEKDAYS


def stale_before(*, today: datetime.date | None = None) -> datetime.date:
    """Organisations last verified before this date (or never) are stale: DIRECTORY_VERIFY_MONTHS
    (12 by default) ago, as in the keeper's verification queue (resources.stewardship)."""
    return stewardship.verify_before(today=today)


def schedules_on(*, weekday: str, today: datetime.date | None = None) -> QuerySet[Schedule]:
    """Schedules in force today that can fall on the weekday ("MO".."SU"), as
    resources.schedules.weekdays_of reads their rules (matched in SQL, so the day filter pages
    like every other filter)."""
    today = today or timezone.localdate()
    return Schedule.objects.filter(
        weekday_q(weekday),
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_to__isnull=True) | Q(valid_to__gte=today),
    )


def organisation_search(
    *,
    query: str = "",
    kind: str = "",
    located_in: Area | None = None,
    serves: Area | None = None,
    category: TaxonomyTerm | None = None,
    target_group: str = "",
    weekday: str = "",
    visibility: str = "",
    stale: bool = False,
    today: datetime.date | None = None,
) -> QuerySet[Organisation]:
    """Staff directory: every organisation, public or staff-only, in 五十音 order.

    - `query`: every word in the normalised key (resources.search).
    - `located_in`: a location (or the home area) in the area or an area within it.
    - `serves`: the areas served include the area or one above it (a ward-wide service serves
      every district).
    - `category`, `target_group`, `weekday`: one service has them all (a salon on Wednesdays,
      not a salon on Mondays and something else on Wednesdays).
    - `stale`: not verified for 12 months, or never.
    Each filter is a subquery, so no organisation is listed twice and counting stays cheap.
    """
    organisations = Organisation.objects.select_related("home_area").order_by(
        "reading", "name", "pk"
    )
    if query:
        organisations = organisations.filter(search_filter(query))
    if kind:
        organisations = organisations.filter(kind=kind)
    if visibility:
        organisations = organisations.filter(visibility=visibility)
    if located_in is not None:
        within = Q(pk=located_in.pk) | Q(parent=located_in) | Q(parent__parent=located_in)
        area_ids = Area.objects.filter(within).values("pk")
        located = Location.objects.filter(district_id__in=area_ids).values("organisation_id")
        organisations = organisations.filter(Q(pk__in=located) | Q(home_area_id__in=area_ids))
    if serves is not None:
        # The area itself, its parent and its grandparent (the tree is three levels deep).
        above = Q(pk=serves.pk) | Q(children=serves) | Q(children__children=serves)
        serving = Organisation.areas_served.through.objects.filter(
            area_id__in=Area.objects.filter(above).values("pk")
        ).values("organisation_id")
        organisations = organisations.filter(pk__in=serving)
    if category is not None or target_group or weekday:
        services = Service.objects.all()
        if category is not None:
            services = services.filter(
                pk__in=Service.categories.through.objects.filter(
                    taxonomyterm_id=category.pk
                ).values("service_id")
            )
        if target_group:
            services = services.filter(target_group=target_group)
        if weekday:
            services = services.filter(
                pk__in=schedules_on(weekday=weekday, today=today).values("service_id")
            )
        organisations = organisations.filter(pk__in=services.values("organisation_id"))
    if stale:
        organisations = organisations.filter(
            Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=stale_before(today=today))
        )
    return organisations


def directory_locations(
    *, organisations: QuerySet[Organisation], located_in: Area | None = None
) -> QuerySet[Location]:
    """The places of the organisations that can go on a map (with coordinates); only those in
    the area when the list is filtered by where organisations are located. Hidden addresses
    included: the staff map marks them."""
    locations = Location.objects.filter(
        organisation_id__in=organisations.order_by().values("pk"),
        latitude__isnull=False,
        longitude__isnull=False,
    )
    if located_in is not None:
        locations = locations.filter(
            Q(district=located_in)
            | Q(district__parent=located_in)
            | Q(district__parent__parent=located_in)
        )
    return locations.select_related("organisation", "district").order_by(
        "organisation__reading", "organisation__name", "pk"
    )


def organisation_get(*, uuid) -> Organisation:
    return get_object_or_404(Organisation.objects.select_related("home_area"), uuid=uuid)


def organisation_services(*, organisation: Organisation) -> QuerySet[Service]:
    """The organisation's services with their schedules, categories and places (four queries
    whatever their number)."""
    return organisation.services.prefetch_related(
        Prefetch("schedules", queryset=Schedule.objects.order_by("opens_at", "pk")),
        "categories",
        "locations",
    ).order_by("name", "pk")


def organisation_locations(*, organisation: Organisation) -> QuerySet[Location]:
    return organisation.locations.select_related("district").order_by("name", "pk")


def organisation_visits(*, organisation: Organisation) -> QuerySet[Visit]:
    """Visits, newest first, with who went and each visit's follow-ups (open ones first)."""
    return (
        organisation.visits.select_related("staff")
        .prefetch_related(
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.select_related("assignee").order_by(
                    F("done_on").asc(nulls_first=True), "due_on", "pk"
                ),
            )
        )
        .order_by("-visited_on", "-pk")
    )


def organisation_ties(*, organisation: Organisation) -> list[dict]:
    """Ties in both directions, as rows {tie, other, outgoing}: outgoing ties read "this
    organisation → other", incoming ones "other → this organisation". One query."""
    ties = (
        Tie.objects.filter(Q(source=organisation) | Q(target=organisation))
        .select_related("source", "target")
        .order_by("kind", "pk")
    )
    rows = []
    for tie in ties:
        outgoing = tie.source_id == organisation.pk
        rows.append(
            {"tie": tie, "other": tie.target if outgoing else tie.source, "outgoing": outgoing}
        )
    rows.sort(key=lambda row: (not row["outgoing"], row["other"].reading, row["other"].name))
    return rows


def tie_candidates(
    *, organisation: Organisation, query: str, limit: int = 20
) -> list[Organisation]:
    """Organisations matching a search, for choosing the other end of a tie (not itself)."""
    if not search_filter(query):
        return []
    return list(
        Organisation.objects.filter(search_filter(query))
        .exclude(pk=organisation.pk)
        .select_related("home_area")
        .order_by("reading", "name", "pk")[:limit]
    )


def follow_up_get(*, organisation: Organisation, pk: int) -> FollowUp:
    return get_object_or_404(FollowUp, pk=pk, visit__organisation=organisation)


def tie_get(*, organisation: Organisation, pk: int) -> Tie:
    return get_object_or_404(
        Tie.objects.filter(Q(source=organisation) | Q(target=organisation)), pk=pk
    )


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


def partner_presence(*, area_ids) -> list[tuple[int, int, str]]:
    """(area id, organisation id, kind) for each partner organisation present in one of the areas
    (as organisations_present_in decides), each pair once: one query of plain values, for the
    area page's per-area summary (no model instances, whatever the number of partners)."""
    located = Location.objects.filter(
        district_id__in=area_ids, organisation__kind__in=PARTNER_KINDS
    ).values(
        pair_area=F("district_id"), pair_org=F("organisation_id"), pair_kind=F("organisation__kind")
    )
    home = Organisation.objects.filter(home_area_id__in=area_ids, kind__in=PARTNER_KINDS).values(
        pair_area=F("home_area_id"), pair_org=F("pk"), pair_kind=F("kind")
    )
    serving = Organisation.areas_served.through.objects.filter(
        area_id__in=area_ids, organisation__kind__in=PARTNER_KINDS
    ).values(
        pair_area=F("area_id"), pair_org=F("organisation_id"), pair_kind=F("organisation__kind")
    )
    pairs = located.order_by().union(home.order_by(), serving.order_by())
    return [(row["pair_area"], row["pair_org"], row["pair_kind"]) for row in pairs]


def place_counts_by_district(*, area_ids) -> dict[int, dict]:
    """District id → {"places": number of locations, "mapped": those with coordinates, "lat",
    "lon": the mean of those coordinates (None when none)}: one grouped query, so a wide area's
    map can draw one point per district."""
    rows = (
        Location.objects.filter(district_id__in=area_ids)
        .order_by()
        .values("district_id")
        .annotate(
            places=Count("pk"),
            mapped=Count("pk", filter=Q(latitude__isnull=False, longitude__isnull=False)),
            lat=Avg("latitude", filter=Q(latitude__isnull=False, longitude__isnull=False)),
            lon=Avg("longitude", filter=Q(latitude__isnull=False, longitude__isnull=False)),
        )
    )
    return {row.pop("district_id"): row for row in rows}
