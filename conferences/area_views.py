"""The area page and the district comparison.

The area page is one place for a municipality, region or district: population, resources on a
map, meetings, district issues, the assessment and the partners. A region or the municipality
aggregates everything under it. It lives in this layer because only conferences may read all
three apps.

What counts as an area's resources: an organisation located in the area or any area under it
(a location there, or its home area there) or serving one of them (areas served). The same rule
gives the counts by kind on the page and the resources per 1,000 residents in the comparison.
"""

import datetime
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from conferences import comparison
from conferences import selectors as conference_selectors
from conferences.models import Meeting
from districts import selectors as district_selectors
from districts.models import Area, DistrictIssue, TargetGroup
from districts.population import population_summary
from resources import selectors as resource_selectors
from resources.models import Organisation

# A district's page lists each place and each partner. A region or the municipality summarises
# per district or sub-area instead (one map point per district with its number of places, partner
# counts per sub-area), so its page stays the same size however many organisations there are.

# Enough for a ward of a million; beyond, the page says the list or the map is cut short.
MAP_POINT_LIMIT = 2000
LIST_LIMIT = 300
RECENT_MEETING_DAYS = 90
ISSUE_LIMIT = 50


def map_settings() -> dict[str, str]:
    """Read when a page is drawn (MAP_TILE_URL and its attribution are settings)."""
    return {"tileUrl": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}


def _boundary_features(boundary, properties: dict) -> list[dict]:
    """GeoJSON features for a stored boundary: a geometry (the usual case), a Feature or a
    FeatureCollection; anything else draws nothing rather than breaking the page."""
    if not isinstance(boundary, dict):
        return []
    kind = boundary.get("type")
    if kind == "FeatureCollection":
        return [
            {"type": "Feature", "geometry": feature.get("geometry"), "properties": properties}
            for feature in boundary.get("features") or []
            if isinstance(feature, dict) and feature.get("geometry")
        ]
    if kind == "Feature":
        geometry = boundary.get("geometry")
        return (
            [{"type": "Feature", "geometry": geometry, "properties": properties}]
            if geometry
            else []
        )
    if kind in ("Polygon", "MultiPolygon"):
        return [{"type": "Feature", "geometry": boundary, "properties": properties}]
    return []


def _map_boundaries(area: Area, subtree: list[Area]) -> dict:
    """The area's own outline and, below it, the nearest level of sub-areas that has boundaries
    (a region's districts; the municipality's regions, or its districts when regions have none)."""
    features = _boundary_features(area.boundary, {"name": area.name, "role": "outline", "url": ""})
    children = [a for a in subtree if a.parent_id == area.pk]
    child_ids = {a.pk for a in children}
    grandchildren = [a for a in subtree if a.parent_id in child_ids]
    for level in (children, grandchildren):
        with_boundary = [a for a in level if a.boundary]
        if with_boundary:
            for sub in with_boundary:
                url = reverse("staff:area_detail", args=[sub.code])
                features += _boundary_features(
                    sub.boundary, {"name": sub.name, "role": "sub_area", "url": url}
                )
            break
    return {"type": "FeatureCollection", "features": features}


def _map_points(locations, kind_labels: dict[str, str]) -> list[dict]:
    # One reverse() and string replacement instead of one reverse() per point.
    placeholder = uuid.UUID(int=0)
    pattern = reverse("staff:organisation_detail", args=[placeholder])
    points = []
    for location in locations:
        if location.latitude is None or location.longitude is None:
            continue
        organisation = location.organisation
        points.append(
            {
                "lat": float(location.latitude),
                "lon": float(location.longitude),
                "name": organisation.name,
                "place": location.name,
                "kind": kind_labels.get(organisation.kind, organisation.kind),
                "url": pattern.replace(str(placeholder), str(organisation.uuid)),
                "hidden": location.hide_address,
            }
        )
    return points


def _district_rows(subtree: list[Area], place_counts: dict[int, dict]) -> list[dict]:
    """A wide area's districts (in the subtree's order) with their number of places and their
    region (from the subtree: no query per row)."""
    by_pk = {a.pk: a for a in subtree}
    return [
        {
            "area": a,
            "region": by_pk.get(a.parent_id),
            "url": reverse("staff:area_detail", args=[a.code]),
            "places": place_counts.get(a.pk, {}).get("places", 0),
            **{k: place_counts.get(a.pk, {}).get(k) for k in ("mapped", "lat", "lon")},
        }
        for a in subtree
        if a.level == Area.Level.DISTRICT
    ]


def _district_points(district_rows: list[dict]) -> list[dict]:
    """One point per district with mapped places, at their mean position, linking to the
    district's page (same shape as a place's point, so the map script draws either)."""
    return [
        {
            "lat": float(row["lat"]),
            "lon": float(row["lon"]),
            "name": row["area"].name,
            "place": ngettext(
                "%(count)s place on the map", "%(count)s places on the map", row["mapped"]
            )
            % {"count": row["mapped"]},
            "kind": "",
            "url": row["url"],
            "hidden": False,
        }
        for row in district_rows
        if row["mapped"] and row["lat"] is not None and row["lon"] is not None
    ]


def _partner_summary(area: Area, subtree: list[Area], presence) -> list[dict]:
    """A wide area's partners as counts per kind: a row for the area itself (partners working
    for all of it) and one per area directly under it, counting each partner present there or
    below once."""
    # Each area of the subtree is counted in the row of the area itself or of its child.
    row_of = {area.pk: area.pk}
    for a in subtree:
        if a.parent_id == area.pk:
            row_of[a.pk] = a.pk
    for a in subtree:
        if a.pk not in row_of and a.parent_id in row_of:
            row_of[a.pk] = a.parent_id
    seen = {(row_of[area_id], org_id, kind) for area_id, org_id, kind in presence}
    counts: dict[int, dict[str, int]] = {}
    for row_id, _org_id, kind in seen:
        by_kind = counts.setdefault(row_id, {})
        by_kind[kind] = by_kind.get(kind, 0) + 1
    kinds = resource_selectors.PARTNER_KINDS
    rows = []
    for a in subtree:
        if a.pk != area.pk and a.parent_id != area.pk:
            continue
        if a.pk == area.pk and a.pk not in counts:
            continue  # no partner for the whole area: the row would only say "—"
        by_kind = counts.get(a.pk, {})
        rows.append(
            {
                "area": a,
                "url": "" if a.pk == area.pk else reverse("staff:area_detail", args=[a.code]),
                "counts": [by_kind.get(k, 0) for k in kinds],
            }
        )
    return rows


def _partners_by_area(partners, subtree: list[Area]) -> list[dict]:
    """Rows of the partners table: one per area (of the subtree) that a partner is located in or
    serves, with its まちづくりセンター, 地域包括支援センター and 社会福祉協議会."""
    in_subtree = {a.pk: a for a in subtree}
    rows: dict[int, dict] = {}
    kinds = resource_selectors.PARTNER_KINDS
    for organisation in partners:
        area_ids = {a.pk for a in organisation.areas_served.all()}
        area_ids |= {loc.district_id for loc in organisation.locations.all()}
        area_ids.add(organisation.home_area_id)
        for area_id in area_ids & in_subtree.keys():
            row = rows.setdefault(
                area_id, {"area": in_subtree[area_id], "kinds": {k: [] for k in kinds}}
            )
            if organisation not in row["kinds"][organisation.kind]:
                row["kinds"][organisation.kind].append(organisation)
    order = {a.pk: index for index, a in enumerate(subtree)}
    return [
        {"area": row["area"], "columns": [row["kinds"][k] for k in kinds]}
        for _pk, row in sorted(rows.items(), key=lambda item: order[item[0]])
    ]


def _current_chome(area: Area):
    """The 町丁目 the district holds today (membership has effective dates)."""
    if area.level != Area.Level.DISTRICT:
        return []
    today = timezone.localdate()
    return area.chome.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_to__isnull=True) | Q(valid_to__gte=today),
    )


def _choice_labels(choices) -> dict[str, str]:
    """Value → translated label, made once per page instead of get_FOO_display() per row."""
    return {value: str(label) for value, label in choices}


@login_required
def area_detail(request, code):
    area = district_selectors.area_get(code=code)
    subtree = conference_selectors.area_subtree(area=area)
    area_ids = [a.pk for a in subtree]
    in_subtree = set(area_ids)
    wide = area.level != Area.Level.DISTRICT
    kind_labels = _choice_labels(Organisation.Kind.choices)
    partner_kinds = [kind_labels[k] for k in resource_selectors.PARTNER_KINDS]

    if wide:
        # Summaries only: their size depends on the number of districts, not of organisations.
        locations = []
        too_many_points = False
        district_rows = _district_rows(
            subtree, resource_selectors.place_counts_by_district(area_ids=area_ids)
        )
        points = _district_points(district_rows)
        partner_rows = []
        partner_summary = _partner_summary(
            area, subtree, resource_selectors.partner_presence(area_ids=area_ids)
        )
    else:
        locations = list(resource_selectors.locations_in(area_ids=area_ids)[: MAP_POINT_LIMIT + 1])
        too_many_points = len(locations) > MAP_POINT_LIMIT
        locations = locations[:MAP_POINT_LIMIT]
        for location in locations:
            location.kind_label = kind_labels.get(
                location.organisation.kind, location.organisation.kind
            )
        district_rows = []
        points = _map_points(locations, kind_labels)
        partners = resource_selectors.partner_organisations(area_ids=area_ids)
        partner_rows = _partners_by_area(partners, subtree)
        partner_summary = []
    map_data = {
        **map_settings(),
        "boundaries": _map_boundaries(area, subtree),
        "points": points,
        "labels": {"hiddenAddress": _("Address hidden from the public")},
    }

    issues = list(conference_selectors.open_issues_in(area_ids=area_ids)[: ISSUE_LIMIT + 1])
    issues_cut = len(issues) > ISSUE_LIMIT
    issues = issues[:ISSUE_LIMIT]
    issue_status_labels = _choice_labels(DistrictIssue.Status.choices)
    target_group_labels = _choice_labels(TargetGroup.choices)
    for issue in issues:
        # Marked on the page: an issue of a sub-area, or one raised here and escalated above.
        issue.in_sub_area = issue.area_id != area.pk and issue.area_id in in_subtree
        issue.escalated_away = issue.area_id not in in_subtree
        issue.status_label = issue_status_labels.get(issue.status, issue.status)
        issue.target_group_label = target_group_labels.get(issue.target_group, issue.target_group)

    meetings = conference_selectors.area_meetings(
        user=request.user, area_ids=area_ids, days=RECENT_MEETING_DAYS
    )
    meeting_status_labels = _choice_labels(Meeting.Status.choices)
    for meeting in (*meetings["recent"], *meetings["upcoming"]):
        meeting.status_label = meeting_status_labels.get(meeting.status, meeting.status)
    year = district_selectors.assessment_default_year()
    context = {
        "area": area,
        "wide": wide,
        "sub_areas": [a for a in subtree if a.parent_id == area.pk],
        "chome": _current_chome(area),
        "population": population_summary(area=area),
        "map_data": map_data,
        "has_map": bool(map_data["boundaries"]["features"] or map_data["points"]),
        "locations": locations[:LIST_LIMIT],
        "locations_cut": too_many_points or len(locations) > LIST_LIMIT,
        "district_rows": district_rows,
        "list_limit": LIST_LIMIT,
        "map_point_limit": MAP_POINT_LIMIT,
        "too_many_points": too_many_points,
        "resource_counts": resource_selectors.resource_counts(area_ids=area_ids),
        "recent_meetings": meetings["recent"],
        "upcoming_meetings": meetings["upcoming"],
        "recent_meeting_days": RECENT_MEETING_DAYS,
        "issues": issues,
        "issues_cut": issues_cut,
        "partner_rows": partner_rows,
        "partner_summary": partner_summary,
        # Same order as each row's columns (or counts).
        "partner_kinds": partner_kinds,
        "year": year,
        "assessment": district_selectors.assessment_for(area=area, year=year),
        "return_to": request.get_full_path(),
    }
    return render(request, "districts/area_detail.html", context)


@login_required
def area_comparison(request):
    """All districts side by side; ?region= filters, ?sort=&dir= orders, ?export=csv|xlsx
    downloads the same table (in the same order) with headers in the page's language."""
    regions = comparison.region_choices()
    region_code = request.GET.get("region", "")
    region = next((r for r in regions if r.code == region_code), None)
    unknown_region = bool(region_code) and region is None
    sort = request.GET.get("sort", comparison.DEFAULT_SORT)
    if sort not in comparison.SORT_KEYS:
        sort = comparison.DEFAULT_SORT
    descending = request.GET.get("dir") == "desc"
    now = timezone.now()
    table = comparison.district_table(
        user=request.user, region=region, now=now, sort=sort, descending=descending
    )

    export = request.GET.get("export", "")
    if export in ("csv", "xlsx"):
        stamp = timezone.localdate(now).strftime("%Y%m%d")
        suffix = f"-{region.code}" if region else ""
        if export == "csv":
            response = HttpResponse(
                comparison.to_csv(table), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(
                comparison.to_xlsx(table),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = (
            f'attachment; filename="district-comparison{suffix}-{stamp}.{export}"'
        )
        return response

    base = {"region": region.code} if region else {}
    context = {
        "table": table,
        "rows": table.html_rows(),
        "columns": comparison.page_columns(
            table=table, base_query=base, sort=sort, descending=descending
        ),
        "regions": regions,
        "region": region,
        "unknown_region": unknown_region,
        "sort": sort,
        "descending": descending,
        "export_links": comparison.export_links(base_query=base, sort=sort, descending=descending),
        "meeting_window_start": timezone.localdate(now) - datetime.timedelta(days=365),
    }
    template = "districts/area_comparison.html"
    if request.htmx:
        template += "#table"
    return render(request, template, context)
