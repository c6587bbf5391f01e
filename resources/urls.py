"""Staff routes of the resources app (mounted under /staff/ in the "staff" namespace)."""

from django.urls import path

from resources import mapping_views, stewardship_views, views

urlpatterns = [
    path("directory/", views.organisation_list, name="organisation_list"),
    path("directory/export.<str:format>", views.directory_export, name="directory_export"),
    # directory/<uuid>/ (the organisation page) is in conferences.urls: it counts cases.
    path("directory/new/", views.organisation_create, name="organisation_create"),
    path("directory/<uuid:uuid>/edit/", views.organisation_edit, name="organisation_edit"),
    path("directory/<uuid:uuid>/verify/", views.organisation_verify, name="organisation_verify"),
    path("directory/<uuid:uuid>/services/new/", views.service_create, name="service_create"),
    path("directory/services/<uuid:uuid>/edit/", views.service_edit, name="service_edit"),
    path("directory/<uuid:uuid>/places/new/", views.location_create, name="location_create"),
    path("directory/places/<uuid:uuid>/edit/", views.location_edit, name="location_edit"),
    path("directory/coverage/", mapping_views.coverage_matrix, name="coverage"),
    path("directory/import/", views.import_upload, name="import_upload"),
    path("directory/import/<uuid:uuid>/", views.import_job, name="import_job"),
    path(
        "directory/import/<uuid:uuid>/confirm/",
        views.import_job_confirm,
        name="import_job_confirm",
    ),
    path(
        "directory/services/<uuid:uuid>/schedules/",
        views.service_schedules,
        name="service_schedules",
    ),
    path(
        "directory/services/<uuid:uuid>/schedules/add/",
        views.schedule_add,
        name="schedule_add",
    ),
    path("directory/schedules/<uuid:uuid>/edit/", views.schedule_edit, name="schedule_edit"),
    path("directory/schedules/<uuid:uuid>/delete/", views.schedule_delete, name="schedule_delete"),
    # --- stewardship ---
    path(
        "directory/<uuid:uuid>/history/",
        stewardship_views.entry_history,
        name="stewardship_history",
    ),
    path("network/", mapping_views.network_index, name="network_index"),
    path("network/<str:code>/", mapping_views.area_network, name="area_network"),
]
