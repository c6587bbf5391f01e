"""Tsunagu settings: one module, driven by environment variables.

Defaults are for a local demo (SQLite file, DEBUG on, 127.0.0.1). Production sets at least
SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and DATABASE_URL; `manage.py check --deploy` is then clean.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# The demo key is only usable with DEBUG on; production must provide its own.
_DEMO_SECRET_KEY = "django-insecure-tsunagu-local-demo-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEMO_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Tsunagu, in layer order (each imports only the ones above it).
    "districts",
    "resources",
    "conferences",
    "cms",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    # Django and helpers
    "django_htmx",
    "django_tasks_db",
    "template_partials",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Published public pages straight from the page cache, before sessions, locale or the DB.
    "cms.middleware.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware, but /staff/, /admin/ and the like keep the user's choice
    # (cookie, Accept-Language) while the public site's language comes from its URL.
    "cms.middleware.SiteLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

if not DEBUG:
    # The app serves its own static files (no CDN on LGWAN); runserver does it when DEBUG is on.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "staff:login"

# Japanese first; English always complete. Other public languages are the editors' choice.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
# More languages for the public site (README, "Languages"): e.g. PUBLIC_EXTRA_LANGUAGES=
# "ja-x-easy,zh-hans,ko,vi,pt-br". Each becomes a Wagtail locale editors can translate pages
# into; the site's own labels fall back to Japanese where a language's catalogue lacks them
# (ja-x-easy needs a catalogue of its own, locale/ja_X-easy/, for Django to offer it).
_EXTRA_LANGUAGE_NAMES = {
    "ja-x-easy": "やさしい日本語",
    "zh-hans": "中文（简体）",
    "zh-hant": "中文（繁體）",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "pt-br": "Português",
    "tl": "Tagalog",
    "ne": "नेपाली",
}
LANGUAGES += [
    (code, _EXTRA_LANGUAGE_NAMES.get(code, code))
    for code in env_list("PUBLIC_EXTRA_LANGUAGES", "")
    if code not in {"ja", "en"}
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
# Public pages exist per locale (Wagtail's locales; editors translate with the "Translate"
# action of wagtail.contrib.simple_translation); /en/... is English, unprefixed is Japanese.
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = "つなぐ Tsunagu"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# Wagtail's database search with a Japanese analyser (NFKC, kana folding, CJK bigrams) on SQLite
# (FTS5) and PostgreSQL; README "Search" says how to move to Elasticsearch/OpenSearch.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "cms.search_backend", "SEARCH_CONFIG": "simple"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
# Staff networks (LGWAN) have no internet: no Gravatar lookups from the admin.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Sessions: staff handle sensitive data; sessions end with the browser and after 8 idle hours.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Background tasks (long imports): queued in the database and run by `manage.py db_worker`, which
# `make run` starts beside the web server. TASKS_BACKEND=django_tasks.backends.immediate.
# ImmediateBackend runs them inside the request instead (no worker needed).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Map tiles for the staff area pages. Default: 国土地理院 地理院タイル (標準地図). On a closed
# network (LGWAN) point it at the municipality's own tile server, or set it empty: boundaries and
# points still draw without tiles.
MAP_TILE_URL = os.environ.get(
    "MAP_TILE_URL", "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
)
MAP_TILE_ATTRIBUTION = os.environ.get(
    "MAP_TILE_ATTRIBUTION",
    '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>',
)

# Published public pages are kept whole in the "public_pages" cache (cms.middleware) and the
# cache is cleared whenever a page is published, unpublished, moved or deleted. The default is a
# directory every worker on the machine shares (no database query for a cached page); with
# several machines point PAGE_CACHE_DIR at a shared volume, or set PAGE_CACHE_BACKEND to
# django.core.cache.backends.db.DatabaseCache (LOCATION tsunagu_page_cache, created by
# cms/migrations). Pages also expire after PAGE_CACHE_SECONDS, so directory edits made in
# /staff/ reach the public site within that time.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
# The directory's verification queue lists entries not verified for this many months; residents'
# correction reports are limited to this many per client address per hour (resources.stewardship).
DIRECTORY_VERIFY_MONTHS = int(os.environ.get("DIRECTORY_VERIFY_MONTHS", "12"))
DIRECTORY_REPORTS_PER_HOUR = int(os.environ.get("DIRECTORY_REPORTS_PER_HOUR", "5"))
# How many reverse proxies (load balancer, nginx) stand in front of the app and append to
# X-Forwarded-For: the client's address is the one that many entries from the right. 0 (the
# default) trusts no header and uses the connection's address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
_PAGE_CACHE_BACKEND = os.environ.get(
    "PAGE_CACHE_BACKEND", "django.core.cache.backends.filebased.FileBasedCache"
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "public_pages": {
        "BACKEND": _PAGE_CACHE_BACKEND,
        "LOCATION": (
            "tsunagu_page_cache"
            if _PAGE_CACHE_BACKEND.endswith("DatabaseCache")
            else os.environ.get("PAGE_CACHE_DIR", str(BASE_DIR / "var" / "page-cache"))
        ),
        "TIMEOUT": PAGE_CACHE_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tsunagu@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Request and SQL logs can carry case identifiers from URLs or parameters: keep them quiet.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # One line per background task run is noise at INFO.
        "django_tasks": {"level": "WARNING"},
    },
}
