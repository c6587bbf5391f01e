"""The public site's language and its page cache.

SiteLocaleMiddleware: the public site (Wagtail pages under i18n_patterns) takes its language
from the URL: unprefixed is Japanese, /en/... English. Everything else (/staff/, /admin/, …)
keeps Django's usual choice from the language cookie and Accept-Language, so staff switch
language at the foot of every page as before.

PublicPageCacheMiddleware: a published page served to an anonymous visitor is kept whole in the
"public_pages" cache; the next visitor to the same address gets it before sessions, locale,
URL routing or the database are touched. Only responses a public page marks as cacheable are
stored (cms.models.BasePage.serve), never for a signed-in user (no session cookie is allowed),
never with a query string (searches, filters, pages of lists) and never an htmx fragment.
The cache is cleared whenever a page is published, unpublished, moved or deleted
(cms.signals), and entries expire after settings.PAGE_CACHE_SECONDS.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

CACHE_ALIAS = "public_pages"
# Paths outside the public site: their language is the user's choice, not the URL's.
UNPREFIXED = ("/staff/", "/admin/", "/i18n/", "/healthz", "/documents/", "/static/", "/media/")
CACHEABLE_MARK = "_tsunagu_public_cache"


class SiteLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path_info.startswith(UNPREFIXED):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)


def page_cache():
    return caches[CACHE_ALIAS]


def page_cache_clear() -> None:
    """Forget every cached page (a publish can change lists on other pages: the home page's
    news, a district's events)."""
    page_cache().clear()


def cache_key(request) -> str | None:
    """The key a request's page is kept under, or None when it must not be cached."""
    if request.method != "GET" or request.META.get("QUERY_STRING"):
        return None
    if request.path_info.startswith(UNPREFIXED) or request.headers.get("HX-Request"):
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None  # signed in (or about to be): editors see the userbar and drafts
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    scheme = "https" if request.is_secure() else "http"
    return f"page:{scheme}:{host}:{request.path_info}"


def mark_cacheable(response) -> None:
    setattr(response, CACHEABLE_MARK, True)


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = cache_key(request)
        if key is not None:
            stored = page_cache().get(key)
            if stored is not None:
                content, content_type, headers = stored
                response = HttpResponse(content, content_type=content_type)
                for name, value in headers:
                    response[name] = value
                response["X-Page-Cache"] = "hit"
                return response
        response = self.get_response(request)
        if key is not None and self._storable(response):
            headers = [
                (name, value)
                for name, value in response.items()
                if name.lower() not in {"content-type", "content-length", "set-cookie"}
            ]
            page_cache().set(key, (response.content, response["Content-Type"], headers))
            response["X-Page-Cache"] = "miss"
        return response

    @staticmethod
    def _storable(response) -> bool:
        return (
            getattr(response, CACHEABLE_MARK, False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
        )
