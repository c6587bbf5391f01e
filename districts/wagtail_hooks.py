"""Reference data kept in Wagtail's admin, whose listing, search, filters and history come free."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from districts.models import Area, Chome, DistrictIssue


class AreaViewSet(ModelViewSet):
    model = Area
    icon = "site"
    list_display = ["name", "reading", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "reading", "code"]
    form_fields = ["parent", "level", "code", "name", "reading", "boundary"]
    copy_view_enabled = False


class ChomeViewSet(ModelViewSet):
    model = Chome
    icon = "pick"
    list_display = ["name", "reading", "area", "valid_from", "valid_to"]
    list_filter = ["area__parent"]
    search_fields = ["name", "reading"]
    form_fields = ["area", "name", "reading", "valid_from", "valid_to"]


class DistrictIssueViewSet(ModelViewSet):
    model = DistrictIssue
    icon = "warning"
    list_display = ["title", "area", "target_group", "status", "raised_on"]
    list_filter = ["status", "target_group"]
    search_fields = ["title", "description"]
    form_fields = ["area", "title", "description", "target_group", "status", "raised_on"]


class DistrictsViewSetGroup(ModelViewSetGroup):
    menu_label = _("Districts")
    menu_icon = "site"
    items = (AreaViewSet, ChomeViewSet, DistrictIssueViewSet)


@hooks.register("register_admin_viewset")
def register_districts_viewsets():
    return DistrictsViewSetGroup()
