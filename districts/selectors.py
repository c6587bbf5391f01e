import datetime

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from districts.models import Area, Assessment, AssessmentRevision, DistrictIssue, IssueStatusChange


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


# Assessments and district issues (地区アセスメント, 地域課題)


def assessment_default_year(*, today: datetime.date | None = None) -> int:
    """The fiscal year (年度, April to March) an assessment written today belongs to."""
    today = today or timezone.localdate()
    return today.year if today.month >= 4 else today.year - 1


def assessment_year_is_valid(year: int) -> bool:
    """Years a page may open: from 2000 to next fiscal year (guards URLs against junk years)."""
    return 2000 <= year <= assessment_default_year() + 1


def assessment_for(*, area: Area, year: int) -> Assessment | None:
    """The area's assessment for the year, with who saved it last, or None."""
    return Assessment.objects.select_related("updated_by").filter(area=area, year=year).first()


def assessment_revisions(*, assessment: Assessment) -> QuerySet[AssessmentRevision]:
    """Every saved state, newest first, with who saved it."""
    return assessment.revisions.select_related("saved_by").order_by("-version")


def assessment_years(*, area: Area) -> list[int]:
    """Years the area has an assessment for, newest first."""
    return list(
        Assessment.objects.filter(area=area).order_by("-year").values_list("year", flat=True)
    )


def area_choices() -> list[tuple[str, str]]:
    """(code, label) for every area in tree order, sub-areas indented: for area pickers."""
    areas = list(Area.objects.only("pk", "parent_id", "code", "name").order_by("reading", "code"))
    by_parent: dict[int | None, list[Area]] = {}
    for area in areas:
        by_parent.setdefault(area.parent_id, []).append(area)
    choices: list[tuple[str, str]] = []

    def walk(parent_id, depth):
        for area in by_parent.get(parent_id, []):
            choices.append((area.code, "\u3000" * depth + area.name))
            walk(area.pk, depth + 1)

    walk(None, 0)
    return choices


def issue_get(*, pk: int) -> DistrictIssue:
    return get_object_or_404(
        DistrictIssue.objects.select_related("area__parent__parent", "raised_in"), pk=pk
    )


def issue_history(*, issue: DistrictIssue) -> QuerySet[IssueStatusChange]:
    """The issue's status changes, oldest first, with who made them and the areas involved."""
    return issue.status_changes.select_related("from_area", "to_area", "changed_by").order_by(
        "changed_at", "pk"
    )


ISSUE_OPEN = "open"  # a status filter value: anything not closed


def issue_search(
    *,
    level: str = "",
    area: Area | None = None,
    include_sub_areas: bool = False,
    status: str = "",
    target_group: str = "",
) -> QuerySet[DistrictIssue]:
    """District issues matching the filters; empty filters match everything.

    `area` selects issues that are in that area now; with `include_sub_areas` also those in its
    regions and districts (the tree is three levels deep, so two joins reach every descendant).
    `status` is a status value or "open" for every status but closed.
    """
    issues = DistrictIssue.objects.select_related("area", "raised_in")
    if level:
        issues = issues.filter(area__level=level)
    if area is not None:
        if include_sub_areas:
            issues = issues.filter(
                Q(area=area) | Q(area__parent=area) | Q(area__parent__parent=area)
            )
        else:
            issues = issues.filter(area=area)
    if status == ISSUE_OPEN:
        issues = issues.exclude(status=DistrictIssue.Status.CLOSED)
    elif status:
        issues = issues.filter(status=status)
    if target_group:
        issues = issues.filter(target_group=target_group)
    return issues.order_by("-raised_on", "-pk")
