from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from districts.models import Area, DistrictIssue


def area_tree() -> list[Area]:
    """Every municipality with `.regions`, and each region with `.districts`, in three queries."""
    areas = list(Area.objects.annotate(issue_count=Count("issues")).order_by("reading", "code"))
    by_parent: dict[int | None, list[Area]] = {}
    for area in areas:
        by_parent.setdefault(area.parent_id, []).append(area)
    for area in areas:
        area.sub_areas = by_parent.get(area.pk, [])
    return by_parent.get(None, [])


def area_get(*, code: str) -> Area:
    return get_object_or_404(Area.objects.select_related("parent__parent"), code=code)


def area_issues(*, area: Area) -> QuerySet[DistrictIssue]:
    return DistrictIssue.objects.filter(area=area).order_by("-raised_on")
