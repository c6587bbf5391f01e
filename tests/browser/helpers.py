"""Checks shared by the browser tests."""

from urllib.parse import urlsplit

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 10


def wait_for(driver, condition):
    """Waits for a selenium expected condition and returns what it found. An element that htmx
    swaps out while the condition reads it is "not yet", not an error: try again."""
    return WebDriverWait(
        driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,)
    ).until(condition)


def wait_for_htmx(driver):
    """Waits until no htmx request is in flight (htmx marks requesting elements .htmx-request)."""
    idle = "return document.querySelectorAll('.htmx-request').length === 0;"
    return wait_for(driver, lambda d: d.execute_script(idle))


def page_resources(driver) -> list[dict]:
    """Every file the current page loaded after the document itself (CSS, scripts, images...)."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".map(e => ({url: e.name, status: e.responseStatus, type: e.initiatorType}));"
    )


def assert_everything_served_locally(driver, live_server) -> list[dict]:
    """The page fetched nothing from another origin, and every fetch succeeded."""
    origin = urlsplit(live_server.url)
    resources = page_resources(driver)
    foreign = [r["url"] for r in resources if urlsplit(r["url"])[:2] != origin[:2]]
    assert foreign == [], "fetched from another origin"
    failed = [r for r in resources if r["status"] not in (200, 304)]
    assert failed == [], "resources that did not load"
    return resources
