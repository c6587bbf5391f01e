"""The area page: one place for a municipality, region or district's figures, resources and work."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from districts import selectors as district_selectors


@login_required
def area_detail(request, code):
    area = district_selectors.area_get(code=code)
    return render(
        request,
        "districts/area_detail.html",
        {
            "area": area,
            "sub_areas": area.children.order_by("reading", "code"),
            "chome": area.chome.all(),
            "issues": district_selectors.area_issues(area=area),
        },
    )
