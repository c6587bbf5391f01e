"""Staff routes of the districts app (mounted under /staff/ in the "staff" namespace)."""

from django.urls import path

from districts import views

urlpatterns = [
    path("areas/", views.area_list, name="area_list"),
    path("population/upload/", views.population_upload, name="population_upload"),
    path(
        "areas/<str:code>/assessments/<int:year>/",
        views.assessment_detail,
        name="assessment_detail",
    ),
    path(
        "areas/<str:code>/assessments/<int:year>/edit/",
        views.assessment_edit,
        name="assessment_edit",
    ),
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/new/", views.issue_raise, name="issue_raise"),
    path("issues/<int:pk>/", views.issue_detail, name="issue_detail"),
    path("issues/<int:pk>/status/", views.issue_change_status, name="issue_change_status"),
]
