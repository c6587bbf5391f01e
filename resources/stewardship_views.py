"""Keeping the directory true: the staff page that needs no memberships, an entry's history
(the per-field change log, resources.stewardship), open to any signed-in staff member like the
rest of the staff directory."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from resources import selectors, stewardship

HISTORY_PAGE_SIZE = 100


@login_required
def entry_history(request, uuid):
    organisation = selectors.organisation_get(uuid=uuid)
    changes = stewardship.field_changes_of(organisation=organisation)
    page = Paginator(changes, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    for change in page.object_list:
        change.field_label = stewardship.field_label(change.field_name)
    return render(
        request,
        "resources/stewardship_history.html",
        {"organisation": organisation, "page_obj": page, "changes": page.object_list},
    )
