"""Staff routes of the districts app (mounted under /staff/ in the "staff" namespace)."""

from django.urls import path

from districts import views

urlpatterns = [
    path("areas/", views.area_list, name="area_list"),
]
