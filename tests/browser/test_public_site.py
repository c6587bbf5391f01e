"""The public site in headless Chromium: an automated accessibility check (axe-core, vendored
under tests/browser/vendor/) on every page type, and a resident on a phone who searches,
filters the directory, switches language and opens a district page."""

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from tests.browser.helpers import assert_everything_served_locally, wait_for, wait_for_htmx
from tests.cms.conftest import public_site  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}}).then(
  (result) => done({passes: result.passes.length, violations: result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }))}),
  (error) => done({passes: 0, violations: [
    {id: "axe-error", impact: "critical", help: String(error), nodes: []}]}),
);
"""


@pytest.fixture
def site(public_site, settings):  # noqa: F811
    settings.MAP_TILE_URL = ""  # no tile server: points still draw, nothing leaves the machine
    return public_site


def axe_violations(driver) -> list[dict]:
    """What axe-core finds on the current page (it must have checked something)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script(RUN_AXE, AXE_TAGS)
    assert result["passes"] > 10, "axe-core did not run its checks"
    return result["violations"]


def test_no_serious_or_critical_accessibility_violation_on_any_page_type(
    browser, live_server, site
):
    urls = dict(site.urls())
    urls.update(
        {
            "en home": "/en/",
            "en centre": "/en" + site.centre.url,
            "en directory": "/en" + site.directory.url,
            "404": "/no-such-page/",
        }
    )
    problems = {}
    for label, url in urls.items():
        browser.get(live_server.url + url)
        assert browser.find_element(By.TAG_NAME, "main")
        assert_everything_served_locally(browser, live_server)
        violations = axe_violations(browser)
        found = [v for v in violations if v["impact"] in ("serious", "critical")]
        if found:
            problems[label] = found
    assert problems == {}


def test_a_resident_on_a_phone_searches_filters_switches_language_and_opens_a_district(
    browser, live_server, site
):
    browser.set_window_size(390, 844)
    try:
        browser.get(live_server.url + "/")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"

        # The search box in the header takes the resident to the site search.
        box = browser.find_element(By.CSS_SELECTOR, "form[role=search] input[name=q]")
        box.send_keys("サロン", Keys.ENTER)
        wait_for(browser, EC.url_contains("/search/"))
        assert "q=" in browser.current_url

        # The directory: its own search, then a filter applied in place (htmx) …
        browser.get(live_server.url + site.directory.url)
        query = browser.find_element(By.ID, "id_q")
        query.send_keys("ｻﾛﾝ", Keys.ENTER)  # half-width katakana finds サロン
        wait_for(browser, EC.url_contains("q="))
        wait_for_htmx(browser)
        results = browser.find_element(By.ID, "directory-results")
        assert "桜台ふれあいサロン" in results.text
        Select(browser.find_element(By.ID, "id_kind")).select_by_value("npo")
        wait_for(browser, EC.url_contains("kind=npo"))
        wait_for_htmx(browser)
        wait_for(
            browser,
            lambda d: "桜台ふれあいサロン" not in d.find_element(By.ID, "directory-results").text,
        )
        # … and the address keeps the filters, so the page reloads the same.
        browser.refresh()
        assert (
            Select(browser.find_element(By.ID, "id_kind")).first_selected_option.get_attribute(
                "value"
            )
            == "npo"
        )

        # Switch language from the foot of the page: the English version of the same page.
        browser.get(live_server.url + site.centre.url)
        browser.find_element(By.CSS_SELECTOR, ".public-languages a[lang=en]").click()
        wait_for(browser, EC.url_contains("/en/"))
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        assert "Sakuradai Fureai Anshin Centre" in browser.find_element(By.TAG_NAME, "h1").text

        # Open a district page from the list of districts.
        browser.get(live_server.url + site.districts.url)
        browser.find_element(By.LINK_TEXT, "桜台地区").click()
        wait_for(browser, EC.url_contains(site.district_page.url))
        assert browser.find_element(By.TAG_NAME, "h1").text == "桜台地区"
        assert "桜台ふれあいサロン" in browser.page_source
        # Mobile first: nothing wider than the phone's screen.
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390
    finally:
        browser.set_window_size(1280, 1024)
