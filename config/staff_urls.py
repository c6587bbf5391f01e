"""/staff/: the working space, assembled from each app's staff routes under one namespace."""

from django.contrib.auth import views as auth_views
from django.urls import path

import conferences.urls
import districts.urls
import resources.urls

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
    *districts.urls.urlpatterns,
    *resources.urls.urlpatterns,
    *conferences.urls.urlpatterns,
]
