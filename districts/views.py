from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from districts import selectors


@login_required
def area_list(request):
    return render(request, "districts/area_list.html", {"municipalities": selectors.area_tree()})
