"""/staff/: the working space, assembled from each app's staff views."""

from django.contrib.auth import views as auth_views
from django.urls import path

from conferences import views as conference_views
from districts import views as district_views
from resources import views as resource_views

app_name = "staff"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="staff/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", conference_views.dashboard, name="dashboard"),
    path("areas/", district_views.area_list, name="area_list"),
    path("areas/<str:code>/", district_views.area_detail, name="area_detail"),
    path("directory/", resource_views.organisation_list, name="organisation_list"),
    path("directory/<uuid:uuid>/", resource_views.organisation_detail, name="organisation_detail"),
    path("meetings/", conference_views.meeting_list, name="meeting_list"),
    path("meetings/<uuid:uid>/", conference_views.meeting_detail, name="meeting_detail"),
    path("cases/", conference_views.case_list, name="case_list"),
    path("cases/<uuid:public_id>/", conference_views.case_detail, name="case_detail"),
    path("me/schedule/", conference_views.my_schedule, name="my_schedule"),
]
