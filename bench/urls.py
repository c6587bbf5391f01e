"""The project's URLs plus a bare view: the floor every page pays (WSGI, middleware, routing)."""

from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    # Before config.urls, whose last pattern (Wagtail) catches every path.
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("config.urls")),
]
