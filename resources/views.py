import unicodedata
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from resources import selectors
from resources.models import Organisation


@login_required
def organisation_list(request):
    query = unicodedata.normalize("NFKC", request.GET.get("q", "")).strip()
    kind = request.GET.get("kind", "")
    area = request.GET.get("area", "")
    organisations = selectors.organisation_search(query=query, kind=kind, area_code=area)
    page = Paginator(organisations, 50).get_page(request.GET.get("page"))
    # Filters live in the URL, so paging keeps them and a link reproduces the view.
    filters = {
        key: value for key, value in {"q": query, "kind": kind, "area": area}.items() if value
    }
    template = "resources/organisation_list.html"
    if request.htmx:
        template += "#results"
    return render(
        request,
        template,
        {
            "page": page,
            "query": query,
            "kind": kind,
            "area": area,
            "kinds": Organisation.Kind.choices,
            "filter_query": "&" + urlencode(filters) if filters else "",
        },
    )


@login_required
def organisation_detail(request, uuid):
    organisation = selectors.organisation_get(uuid=uuid)
    return render(
        request,
        "resources/organisation_detail.html",
        {
            "organisation": organisation,
            "services": organisation.services.all(),
            "locations": organisation.locations.select_related("district"),
            "areas_served": organisation.areas_served.all(),
        },
    )
