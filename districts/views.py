from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from districts import selectors


@login_required
def area_list(request):
    return render(request, "districts/area_list.html", {"municipalities": selectors.area_tree()})


@login_required
def area_detail(request, code):
    area = selectors.area_get(code=code)
    return render(
        request,
        "districts/area_detail.html",
        {
            "area": area,
            "sub_areas": area.children.order_by("reading", "code"),
            "chome": area.chome.all(),
            "issues": selectors.area_issues(area=area),
        },
    )
