"""Reference data kept in Wagtail's admin, whose listing, search, filters and history come free.

The forms add what the database cannot check: the tree is municipality → region → district, a
boundary is a valid GeoJSON area in Japan, and a 町丁目 belongs to one district at a time.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import AdminDateInput

from districts.addresses import split_chome_name, valid_on
from districts.geojson import bounding_box, clean_geometry, geometry_errors
from districts.imports import CHILD_LEVEL, PARENT_LEVEL
from districts.models import Area, Chome


class AreaForm(WagtailAdminModelForm):
    boundary = forms.JSONField(
        label=_("boundary (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "dir": "ltr"}),
        help_text=_(
            "A GeoJSON Polygon or MultiPolygon in longitude and latitude (a Feature holding one "
            "is accepted). Leave empty for none. Many boundaries at once: manage.py "
            "import_boundaries."
        ),
    )

    class Meta:
        model = Area
        fields = ["parent", "level", "code", "name", "reading", "boundary"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only municipalities and regions can be parents; a long list of districts would hide them.
        parents = Area.objects.exclude(level=Area.Level.DISTRICT).order_by("level", "reading")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents

    def clean_boundary(self):
        value = self.cleaned_data.get("boundary")
        if value in (None, "", {}, []):
            return None
        is_feature = isinstance(value, dict) and value.get("type") == "Feature"
        errors = geometry_errors(value.get("geometry") if is_feature else value)
        if errors:
            raise forms.ValidationError(
                [
                    forms.ValidationError(
                        "%(path)s: %(message)s" if error.path else "%(message)s",
                        params={"path": error.path, "message": error.message},
                    )
                    for error in errors[:5]
                ]
            )
        return clean_geometry(value)

    def clean(self):
        cleaned = super().clean()
        level, parent = cleaned.get("level"), cleaned.get("parent")
        if not level:
            return cleaned
        expected = PARENT_LEVEL[level]
        if expected is None and parent is not None:
            self.add_error("parent", _("A municipality has no parent area."))
        elif expected is not None and (parent is None or parent.level != expected):
            self.add_error(
                "parent",
                _("A %(level)s must be under a %(expected)s.")
                % {"level": Area.Level(level).label, "expected": Area.Level(expected).label},
            )
        if self.instance.pk and level != self.instance.level:
            wrong = self.instance.children.exclude(level=CHILD_LEVEL.get(level, ""))
            if wrong.exists():
                self.add_error(
                    "level",
                    _("Areas under this one (e.g. %(example)s) would be at the wrong level.")
                    % {"example": wrong.first()},
                )
            if level != Area.Level.DISTRICT and self.instance.chome.exists():
                self.add_error("level", _("This area has 町丁目; only a district can hold them."))
        return cleaned


class AreaInspectView(InspectView):
    template_name = "districts/admin/area_inspect.html"

    def get_boundary_display_value(self):
        boundary = self.object.boundary
        if not boundary:
            return _("None")
        if geometry_errors(boundary):
            return _("Not a valid Polygon or MultiPolygon: edit it or import it again.")
        polygons = (
            [boundary["coordinates"]] if boundary["type"] == "Polygon" else boundary["coordinates"]
        )
        positions = sum(len(ring) for polygon in polygons for ring in polygon)
        west, south, east, north = bounding_box(boundary)
        return _(
            "%(type)s: %(polygons)s polygon(s), %(positions)s positions, from "
            "%(west).5f,%(south).5f to %(east).5f,%(north).5f (longitude, latitude)"
        ) % {
            "type": boundary["type"],
            "polygons": len(polygons),
            "positions": positions,
            "west": west,
            "south": south,
            "east": east,
            "north": north,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = datetime.date.today()
        chome = list(self.object.chome.order_by("reading", "name", "valid_from"))
        for row in chome:
            if row.valid_to is not None and row.valid_to < today:
                row.state = _("ended")
            elif row.valid_from is not None and row.valid_from > today:
                row.state = _("from a later date")
            else:
                row.state = _("current")
        context["chome"] = chome
        context["sub_areas"] = self.object.children.order_by("reading", "code")
        try:
            context["staff_url"] = reverse("staff:area_detail", args=[self.object.code])
        except NoReverseMatch:
            context["staff_url"] = None
        return context


class AreaViewSet(ModelViewSet):
    model = Area
    icon = "site"
    list_display = ["name", "reading", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "reading", "code"]
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = AreaInspectView
    inspect_view_fields = ["code", "name", "reading", "level", "parent", "boundary"]

    def get_form_class(self, for_update=False):
        return AreaForm


class ChomeForm(WagtailAdminModelForm):
    class Meta:
        model = Chome
        fields = ["area", "name", "reading", "valid_from", "valid_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(level=Area.Level.DISTRICT)

    def clean(self):
        cleaned = super().clean()
        area, name = cleaned.get("area"), cleaned.get("name")
        starts, ends = cleaned.get("valid_from"), cleaned.get("valid_to")
        if starts and ends and ends < starts:
            self.add_error("valid_to", _("The last day cannot be before the first."))
            return cleaned
        if area is None or not name:
            return cleaned
        overlapping = self._overlapping(area, name, starts, ends)
        if overlapping is not None:
            self.add_error(
                None,
                _(
                    "「%(name)s」 already belongs to %(district)s from %(start)s to %(end)s: a "
                    "町丁目 belongs to one district at a time. End that membership first."
                )
                % {
                    "name": name,
                    "district": overlapping.area,
                    "start": overlapping.valid_from or "—",
                    "end": overlapping.valid_to or "—",
                },
            )
        return cleaned

    def _overlapping(self, area, name, starts, ends) -> Chome | None:
        """Another membership of the same 町丁目 in the same municipality over the same days."""
        municipality = _municipality(area)
        key = split_chome_name(name)
        overlap = Q()
        if ends is not None:
            overlap &= Q(valid_from__isnull=True) | Q(valid_from__lte=ends)
        if starts is not None:
            overlap &= Q(valid_to__isnull=True) | Q(valid_to__gte=starts)
        candidates = (
            Chome.objects.filter(overlap)
            .filter(
                Q(area__parent=municipality) | Q(area__parent__parent=municipality)
                if municipality
                else Q(area=area)
            )
            .exclude(pk=self.instance.pk)
            .select_related("area__parent__parent")
        )
        for row in candidates:
            if split_chome_name(row.name) == key and _municipality(row.area) == municipality:
                return row
        return None


def _municipality(area: Area) -> Area | None:
    node = area
    while node is not None and node.level != Area.Level.MUNICIPALITY:
        node = node.parent
    return node


class ChomeFilterSet(WagtailFilterSet):
    area = django_filters.ModelChoiceFilter(
        label=_("District"), queryset=Area.objects.filter(level=Area.Level.DISTRICT)
    )
    in_force_on = django_filters.DateFilter(
        label=_("In force on"), method="filter_in_force_on", widget=AdminDateInput
    )

    class Meta:
        model = Chome
        fields = ["area"]

    def filter_in_force_on(self, queryset, name, value):
        return queryset.filter(valid_on(value)) if value else queryset


class ChomeViewSet(ModelViewSet):
    model = Chome
    icon = "pick"
    list_display = ["name", "reading", "area", "valid_from", "valid_to"]
    filterset_class = ChomeFilterSet
    search_fields = ["name", "reading"]

    def get_form_class(self, for_update=False):
        return ChomeForm


class DistrictsViewSetGroup(ModelViewSetGroup):
    menu_label = _("Districts")
    menu_icon = "site"
    # District issues are kept in /staff/ only: every change there goes through the status flow
    # and its history, which an admin form would bypass.
    items = (AreaViewSet, ChomeViewSet)


@hooks.register("register_admin_viewset")
def register_districts_viewsets():
    return DistrictsViewSetGroup()
