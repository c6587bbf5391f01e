"""Pages load their CSS and htmx from this server: staff networks (LGWAN) have no internet."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from tests.browser.helpers import assert_everything_served_locally

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRANSPARENT = {"transparent", "rgba(0, 0, 0, 0)"}


def test_home_page_shows_its_title_styled_by_the_local_stylesheet(browser, live_server, home_page):
    browser.get(live_server.url + "/")

    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == home_page.title
    assert browser.title.startswith(home_page.title)
    # The header colour comes from the design tokens, @imported by tsunagu.css: both must load.
    background = browser.execute_script(
        "return getComputedStyle(document.querySelector('header')).backgroundColor"
    )
    assert background not in TRANSPARENT
    loaded = [r["url"] for r in assert_everything_served_locally(browser, live_server)]
    assert any(url.endswith("/css/tsunagu.css") for url in loaded)
    assert any(url.endswith("/tokens.css") for url in loaded)


def test_htmx_is_loaded_from_the_projects_own_static_files(browser, live_server):
    browser.get(live_server.url + reverse("staff:login"))

    assert browser.execute_script("return typeof window.htmx") == "object"
    assert browser.execute_script("return window.htmx.version")
    sources = browser.execute_script(
        "return Array.from(document.scripts, script => script.src).filter(Boolean)"
    )
    assert sources, "the staff pages load htmx"
    assert all(src.startswith(f"{live_server.url}/static/") for src in sources), sources
    assert_everything_served_locally(browser, live_server)
