"""The directory kept in Wagtail's admin by data keepers."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views.generic.models import EditView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from resources.forms import with_search_key
from resources.models import Location, Organisation, Service, TaxonomyTerm
from resources.stewardship import with_change_log


class OrganisationEditView(EditView):
    def get_form_kwargs(self):
        # Who made each change, for the per-field change log (resources.stewardship).
        return {**super().get_form_kwargs(), "change_log_user": self.request.user}


class OrganisationViewSet(ModelViewSet):
    model = Organisation
    edit_view_class = OrganisationEditView
    icon = "group"
    list_display = ["name", "reading", "kind", "home_area", "visibility", "last_verified_on"]
    list_filter = ["kind", "visibility", "is_agency"]
    search_fields = ["name", "reading", "description"]
    form_fields = [
        "name", "reading", "name_en", "kind", "description", "phone", "fax", "email", "website",
        "corporate_number", "home_area", "areas_served", "is_agency", "visibility",
        "last_verified_on", "last_verified_by", "keeper_organisation", "keeper_user",
    ]  # fmt: skip

    def get_form_class(self, for_update=False):
        # Saving refreshes the directory search key (resources.search) and logs each changed
        # field (resources.stewardship).
        return with_change_log(with_search_key(super().get_form_class(for_update)))


class ServiceViewSet(ModelViewSet):
    model = Service
    icon = "list-ul"
    list_display = ["name", "organisation", "target_group", "visibility"]
    list_filter = ["target_group", "visibility"]
    search_fields = ["name", "description"]
    form_fields = [
        "organisation", "name", "description", "target_group", "categories", "cost",
        "languages", "application_process", "visibility",
    ]  # fmt: skip

    def get_form_class(self, for_update=False):
        # Service names are part of their organisation's search key.
        return with_search_key(super().get_form_class(for_update))


class LocationViewSet(ModelViewSet):
    model = Location
    icon = "home"
    list_display = ["__str__", "organisation", "district", "hide_address"]
    list_filter = ["hide_address"]
    search_fields = ["name", "address", "postal_code"]
    form_fields = [
        "organisation", "name", "postal_code", "address", "district", "latitude", "longitude",
        "accessibility", "hide_address",
    ]  # fmt: skip


class TaxonomyTermViewSet(ModelViewSet):
    model = TaxonomyTerm
    icon = "tag"
    list_display = ["name", "name_en", "code", "target_group", "order"]
    list_filter = ["target_group"]
    search_fields = ["name", "name_en", "code"]
    form_fields = ["code", "name", "name_en", "target_group", "order"]


class ResourcesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Directory")
    menu_icon = "group"
    items = (OrganisationViewSet, ServiceViewSet, LocationViewSet, TaxonomyTermViewSet)


@hooks.register("register_admin_viewset")
def register_resources_viewsets():
    return ResourcesViewSetGroup()
