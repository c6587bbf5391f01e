"""Who acts for which organisation, and meeting series, kept in Wagtail's admin.

Cases are deliberately absent: case data is read only in /staff/, where access is checked
and audited.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from conferences.models import MeetingSeries, Membership


class MembershipViewSet(ModelViewSet):
    model = Membership
    icon = "user"
    list_display = ["user", "organisation", "role", "can_chair", "is_admin"]
    list_filter = ["can_chair", "is_admin"]
    search_fields = ["user__username", "user__last_name", "organisation__name", "role"]
    form_fields = ["user", "organisation", "role", "can_chair", "is_admin"]


class MeetingSeriesViewSet(ModelViewSet):
    model = MeetingSeries
    icon = "date"
    list_display = ["title", "kind", "level", "area", "rrule", "organiser"]
    list_filter = ["kind", "level"]
    search_fields = ["title"]
    form_fields = ["title", "kind", "level", "area", "rrule", "organiser"]


class ConferencesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Conferences")
    menu_icon = "date"
    items = (MembershipViewSet, MeetingSeriesViewSet)


@hooks.register("register_admin_viewset")
def register_conferences_viewsets():
    return ConferencesViewSetGroup()
