"""The welfare council's mapping pages: coverage for planners and the network of a district."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from districts.models import Area
from resources import coverage, network

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def coverage_matrix(request):
    """Districts × categories; ?region= filters, ?export=xlsx downloads the same table."""
    regions = coverage.region_choices()
    region_code = request.GET.get("region", "")
    region = next((r for r in regions if r.code == region_code), None)
    table = coverage.coverage_table().for_region(region)

    if request.GET.get("export") == "xlsx":
        today = timezone.localdate()
        suffix = f"-{region.code}" if region else ""
        response = HttpResponse(
            coverage.to_xlsx(table, made_on=today, region=region), content_type=XLSX
        )
        response["Content-Disposition"] = (
            f'attachment; filename="coverage{suffix}-{today:%Y%m%d}.xlsx"'
        )
        return response

    directory = reverse("staff:organisation_list")
    base = {"region": region.code} if region else {}
    context = {
        "table": table,
        "columns": table.columns(),
        # The directory lists what a cell counts: organisations located in the district with
        # a service of the category.
        "rows": table.html_rows(
            district_url=lambda code: f"{directory}?{urlencode({'district': code})}",
            cell_url=lambda code, term: (
                f"{directory}?{urlencode({'district': code, 'category': term})}"
            ),
        ),
        "gaps": table.gap_list(),
        "regions": regions,
        "region": region,
        "unknown_region": bool(region_code) and region is None,
        "export_url": "?" + urlencode(base | {"export": "xlsx"}),
        "levels": range(1, coverage.LEVELS + 1),
    }
    template = "resources/coverage.html"
    if request.htmx:
        template += "#matrix"
    return render(request, template, context)


def _districts_by_region(*, under: Area | None = None) -> list[dict]:
    """Districts grouped by region (五十音 order), for the network index: one query."""
    districts = Area.objects.filter(level=Area.Level.DISTRICT).select_related("parent")
    if under is not None:
        districts = districts.filter(Q(parent=under) | Q(parent__parent=under))
    groups: dict[int | None, dict] = {}
    for district in districts.defer("boundary", "parent__boundary").order_by(
        "parent__reading", "parent__code", "reading", "code"
    ):
        group = groups.setdefault(district.parent_id, {"region": district.parent, "districts": []})
        group["districts"].append(district)
    return list(groups.values())


@login_required
def network_index(request):
    return render(
        request, "resources/network_index.html", {"groups": _districts_by_region(), "area": None}
    )


@login_required
def area_network(request, code):
    area = get_object_or_404(Area.objects.select_related("parent"), code=code)
    if area.level != Area.Level.DISTRICT:
        # A region or the municipality would draw hundreds of organisations: list its districts.
        return render(
            request,
            "resources/network_index.html",
            {"groups": _districts_by_region(under=area), "area": area},
        )
    graph = network.area_network(area=area)
    directory = reverse("staff:organisation_list")
    return render(
        request,
        "resources/area_network.html",
        {
            "area": area,
            "network": graph,
            "kinds": graph.kinds_used(),
            "directory_url": f"{directory}?{urlencode({'district': area.code})}",
            "node_radius": network.NODE_RADIUS,
        },
    )
