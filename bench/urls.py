"""The project's URLs plus a bare view: the floor every page pays (WSGI, middleware, routing)."""

from django.http import HttpResponse
from django.urls import path

from config import urls as project_urls


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


# The project's patterns themselves, not include()d: the public site's i18n_patterns must stay
# at the top level. The bare view comes first, as Wagtail's last pattern catches every path.
urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    *project_urls.urlpatterns,
]
