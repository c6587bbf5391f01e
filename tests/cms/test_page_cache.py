"""Published pages are served whole from the page cache (no database query), and publishing
changes what is served at once."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_cached_page_costs_no_database_query(client, public_site, django_assert_num_queries):
    first = client.get(public_site.district_page.url)
    assert first.status_code == 200 and first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(public_site.district_page.url)
    assert second.status_code == 200 and second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Content-Language"] == "ja"


def test_publishing_changes_what_is_served(client, public_site):
    assert "ひばり野区 くらしの相談" in client.get("/").text
    assert client.get("/")["X-Page-Cache"] == "hit"
    home = public_site.home
    home.title = "ひばり野区 相談ガイド"
    home.save_revision().publish()
    response = client.get("/")
    assert response["X-Page-Cache"] == "miss"
    assert "ひばり野区 相談ガイド" in response.text


def test_publishing_one_page_refreshes_lists_on_others(client, public_site):
    """The home page lists the latest news: a new item shows there at once."""
    from cms.models import NewsPage

    client.get("/")
    item = NewsPage(title="窓口の臨時休業", slug="closed", date=public_site.news_item.date)
    public_site.news.add_child(instance=item)
    item.save_revision().publish()
    assert "窓口の臨時休業" in client.get("/").text


def test_unpublishing_removes_the_page_at_once(client, public_site):
    url = public_site.news_item.url
    assert client.get(url).status_code == 200
    public_site.news_item.unpublish()
    assert client.get(url).status_code == 404


def test_searches_and_filters_are_not_cached(client, public_site, django_assert_max_num_queries):
    url = public_site.directory.url + "?q=サロン"
    client.get(url)
    response = client.get(url)
    assert "X-Page-Cache" not in response
    client.get(url, HTTP_HX_REQUEST="true")
    assert "X-Page-Cache" not in client.get(url, HTTP_HX_REQUEST="true")


def test_signed_in_editors_never_get_or_fill_the_cache(client, public_site, admin_user):
    client.get("/")  # cached for visitors
    client.force_login(admin_user)
    response = client.get("/")
    assert "X-Page-Cache" not in response
    assert "wagtail-userbar" in response.text or "userbar" in response.text
    client.logout()
    anonymous = client.get("/")
    assert "userbar" not in anonymous.text


def test_staff_pages_are_never_cached(client, db):
    client.get("/staff/login/")
    assert "X-Page-Cache" not in client.get("/staff/login/")


def test_production_keeps_pages_where_every_worker_finds_them():
    """Not in one process's memory: a directory the workers share, or the database."""
    from django.conf import settings

    from config import settings as production

    backend = production.CACHES["public_pages"]["BACKEND"]
    assert "locmem" not in backend.lower()
    assert settings.PAGE_CACHE_SECONDS > 0


def test_saving_the_help_lines_refreshes_every_page(client, public_site):
    from cms.models import HelpLines

    client.get("/")
    lines = HelpLines.objects.get()
    lines.emergency_note = "緊急のときは119番へ"
    lines.save()
    assert "緊急のときは119番へ" in client.get("/").text
