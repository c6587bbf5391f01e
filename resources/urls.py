"""Staff routes of the resources app (mounted under /staff/ in the "staff" namespace)."""

from django.urls import path

from resources import views

urlpatterns = [
    path("directory/", views.organisation_list, name="organisation_list"),
    path("directory/<uuid:uuid>/", views.organisation_detail, name="organisation_detail"),
]
