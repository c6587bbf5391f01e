from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import report_views, search_views
from cms import views as cms_views
from conferences import calendar_views
from config import views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("config.staff_urls", namespace="staff")),
    path("healthz", views.healthz, name="healthz"),
    # --- calendar feeds --- (no language prefix: subscribed URLs must never change)
    path("calendar/", include((calendar_views.feed_urlpatterns, "calendar"))),
    # --- public site ---
    path("sitemap.xml", cms_views.sitemap, name="sitemap"),
    path("robots.txt", cms_views.robots_txt, name="robots_txt"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves everything else: the public site, Japanese unprefixed, other languages under
# their prefix (/en/...). cms.middleware.SiteLocaleMiddleware keeps the paths above unprefixed
# and in the user's chosen language.
urlpatterns += i18n_patterns(
    path("search/", search_views.site_search, name="search"),  # --- search --- (before Wagtail)
    # --- directory reports --- residents report a correction to an entry (cms.report_views)
    path("directory-report/<uuid:uuid>/", report_views.report, name="directory_report"),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
