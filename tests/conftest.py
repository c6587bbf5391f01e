"""Fixtures shared by every app's tests. Domain data comes from tests/factories.py."""

import itertools

import pytest
from django.test import override_settings

DEFAULT_PASSWORD = "correct-horse-battery"
_usernames = itertools.count(1)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Hashing at production strength costs a quarter second per user; tests need no strength."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_at_once():
    """Background tasks (imports, Wagtail's own) run inside the call, so tests see their effect
    without a worker; tests of the queue itself override this."""
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with override_settings(TASKS=immediate):
        yield


@pytest.fixture(autouse=True, scope="session")
def _page_cache_in_memory():
    """The public page cache (a shared directory in production) in local memory, so tests
    never read pages another run left behind."""
    from django.conf import settings

    caches = {
        **settings.CACHES,
        "public_pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Each test starts with no public page cached (the data behind them changes per test)."""
    from django.core.cache import caches

    caches["public_pages"].clear()
    yield
    caches["public_pages"].clear()


@pytest.fixture
def make_user(db, django_user_model):
    """Factory: make_user("sato", password=..., organisations=[org], role="保健師") -> saved user.

    Each organisation becomes a Membership with the given role and flags. The plain password is
    kept on the returned user as `raw_password`, for tests that log in through the form.
    """
    from conferences.models import Membership

    def make(
        username=None,
        *,
        password=DEFAULT_PASSWORD,
        organisations=(),
        role="社会福祉士",
        can_chair=False,
        is_admin=False,
        **fields,
    ):
        username = username or f"user{next(_usernames)}"
        user = django_user_model.objects.create_user(username=username, password=password, **fields)
        for organisation in organisations:
            Membership.objects.create(
                user=user,
                organisation=organisation,
                role=role,
                can_chair=can_chair,
                is_admin=is_admin,
            )
        user.raw_password = password
        return user

    return make


@pytest.fixture
def staff_user(make_user):
    """A staff member who belongs to no organisation yet."""
    return make_user("staff")


@pytest.fixture
def staff_client(client, staff_user):
    """A test client logged in as `staff_user` (no login form, no password check)."""
    client.force_login(staff_user)
    client.user = staff_user
    return client


@pytest.fixture
def home_page(db):
    """The site's HomePage: the one from the data migration cms/0002, or, when a transactional
    test (live_server) has flushed the database since, a new one built the same way."""
    from django.conf import settings
    from wagtail.models import Locale, Page, Site

    from cms.models import HomePage

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page.specific
    locale, _ = Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = root.add_child(instance=HomePage(title="つなぐ", slug="home", locale=locale))
    Site.objects.create(
        hostname="localhost",
        root_page=home,
        is_default_site=True,
        site_name=settings.WAGTAIL_SITE_NAME,
    )
    return home
