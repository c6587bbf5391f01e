"""Workshop pages: the list per area and the form that records one. Each workshop's own page is
the meeting page (participants, and the notes and findings as its report item)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from conferences import workshops
from conferences.models import MeetingVisibility
from districts import selectors as district_selectors
from districts.forms import AreaChoiceField, StaffForm
from districts.models import Area
from resources.models import Organisation

PAGE_SIZE = 50
# The fields a "show the organisations" round trip carries back into the form.
FORM_FIELDS = ("title", "area", "date", "starts", "ends", "place", "organiser", "find",
               "visibility", "notes")  # fmt: skip


class WorkshopFilterForm(StaffForm):
    area = AreaChoiceField(label="", required=False, blank_label="")

    def __init__(self, *args, blank_label, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        field.label = field.blank_label = blank_label
        field.choices = [("", blank_label), *district_selectors.area_choices()]


@login_required
def workshop_list(request):
    form = WorkshopFilterForm(request.GET, blank_label=_("All areas"))
    area = form.cleaned_data["area"] if form.is_valid() else None
    page = Paginator(workshops.workshops_in(user=request.user, area=area), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "conferences/workshop_list.html",
        {
            "form": form,
            "area": area,
            "page": page,
            "filter_query": "&" + urlencode({"area": area.code}) if area else "",
            "new_url": _new_url(area),
        },
    )


def _new_url(area: Area | None) -> str:
    url = reverse("staff:workshop_create")
    return f"{url}?{urlencode({'area': area.code})}" if area else url


def _selected_ids(values) -> list[int]:
    return [int(value) for value in values if str(value).isdigit()]


@login_required
def workshop_create(request):
    """Without JavaScript, "Show organisations" posts the form back (nothing is saved) and it
    returns with the chosen area's organisations and everything typed kept; with htmx the area
    select and the search refresh only that part of the form."""
    mine = workshops.user_organisations(user=request.user)
    refresh = request.method == "POST" and request.POST.get("action") == "refresh"
    if request.method == "POST" and not refresh:
        form = workshops.WorkshopForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            meeting = workshops.workshop_create(
                user=request.user,
                title=data["title"],
                area=data["area"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                organiser=data["organiser"],
                organisations=data["organisations"],
                visibility=data["visibility"],
                notes=data["notes"],
            )
            return redirect("staff:meeting_detail", uid=meeting.uid)
        values = request.POST
    elif refresh:
        values = request.POST
        initial = {name: values.get(name, "") for name in FORM_FIELDS}
        initial["organisations"] = _selected_ids(values.getlist("organisations"))
        form = workshops.WorkshopForm(initial=initial)
    else:
        values = request.GET
        initial = {
            "area": values.get("area", ""),
            "visibility": MeetingVisibility.STAFF,
            "organiser": mine[0].pk if mine else "",
        }
        form = workshops.WorkshopForm(initial=initial)

    code = values.get("area", "")
    area = Area.objects.select_related("parent__parent").filter(code=code).first() if code else None
    selected = _selected_ids(values.getlist("organisations"))
    organiser = str(values.get("organiser") or form.initial.get("organiser") or "")
    find = values.get("find", "").strip() if request.method == "POST" else ""
    # The chosen organiser stays offered even when the area has changed since.
    choices = workshops.workshop_organisation_choices(
        area=area, query=find, selected_ids=selected + _selected_ids([organiser])
    )
    groups: dict[str, list[Organisation]] = {}
    for organisation in choices:
        groups.setdefault(organisation.get_kind_display(), []).append(organisation)
    mine_ids = {organisation.pk for organisation in mine}
    context = {
        "form": form,
        "area": area,
        "groups": list(groups.items()),
        "selected": set(selected),
        "find": find,
        "mine": mine,
        "others": [o for o in choices if o.pk not in mine_ids],
        "organiser": organiser,
    }
    template = "conferences/workshop_form.html"
    if request.htmx and refresh:
        template += "#organisations"
    return render(request, template, context)
