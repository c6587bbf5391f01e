"""A district page in a real browser: the population chart, the map drawn with no tile server
reachable (closed networks), and the assessment edited in place without a page load."""

import datetime

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from districts.models import AGE_BANDS, Assessment, PopulationFigure, Sex
from districts.selectors import assessment_default_year
from resources.models import Location, Organisation, Visibility
from tests import factories
from tests.browser.helpers import page_resources, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Nothing listens on port 9 (discard): every tile request fails at once.
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@pytest.fixture
def district(settings):
    settings.MAP_TILE_URL = UNREACHABLE_TILES
    _, _, district = factories.area_tree()
    ring = [[139.60, 35.60], [139.62, 35.60], [139.62, 35.62], [139.60, 35.62], [139.60, 35.60]]
    district.boundary = {"type": "Polygon", "coordinates": [ring]}
    district.save()
    PopulationFigure.objects.bulk_create(
        PopulationFigure(
            area=district,
            surveyed_on=datetime.date(2026, 1, 1),
            age_band=band,
            sex=sex,
            count=100 + 10 * index,
        )
        for index, band in enumerate(AGE_BANDS)
        for sex in (Sex.MALE, Sex.FEMALE)
    )
    centre = factories.organisation("桜台あんしんすこやかセンター")
    Location.objects.create(
        organisation=centre,
        address="桜台一丁目1番1号",
        district=district,
        latitude="35.605000",
        longitude="139.605000",
    )
    shelter = factories.organisation(
        "一時避難の家",
        kind=Organisation.Kind.NPO,
        visibility=Visibility.STAFF,
        is_agency=False,
    )
    Location.objects.create(
        organisation=shelter,
        address="桜台一丁目9番9号",
        district=district,
        hide_address=True,
        latitude="35.615000",
        longitude="139.615000",
    )
    return district


def log_in_and_open(browser, live_server, make_user, url):
    user = make_user("sato.hanako")
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(user.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))


def test_chart_and_map_are_drawn_even_without_tiles(browser, live_server, make_user, district):
    url = reverse("staff:area_detail", args=[district.code])
    log_in_and_open(browser, live_server, make_user, url)

    # The population pyramid: one bar per band and sex, with a width drawn to scale.
    bars = browser.find_elements(By.CSS_SELECTOR, "svg#population-chart rect.bar")
    assert len(bars) == 2 * len(AGE_BANDS)
    assert all(float(bar.get_attribute("width")) > 0 for bar in bars)

    # The map: shown by the script, boundary and both points drawn as SVG over missing tiles.
    container = wait_for(
        browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#area-map[data-ready=true]"))
    )
    assert container.is_displayed()
    assert container.size["height"] > 200
    boundary = browser.find_elements(By.CSS_SELECTOR, "#area-map svg path.area-map__boundary")
    assert len(boundary) == 1
    assert boundary[0].get_attribute("d").startswith("M")
    points = browser.find_elements(By.CSS_SELECTOR, "#area-map svg path.area-map__point")
    assert len(points) == 2
    hidden = browser.find_elements(
        By.CSS_SELECTOR, "#area-map path.area-map__point--hidden-address"
    )
    assert len(hidden) == 1
    # fitBounds put everything inside the visible map.
    box = browser.execute_script(
        "const c = arguments[0].getBoundingClientRect();"
        "return [...arguments[1]].map(p => { const r = p.getBoundingClientRect();"
        " return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;"
        "});",
        container,
        points,
    )
    assert box == [True, True]
    # The tiles were asked of the configured (unreachable) server, and only of it.
    tiles = browser.find_elements(By.CSS_SELECTOR, "#area-map img.leaflet-tile")
    assert tiles
    assert all(t.get_attribute("src").startswith("http://127.0.0.1:9/") for t in tiles)
    # Everything else (Leaflet, its CSS, the map script) came from the app itself.
    others = [r for r in page_resources(browser) if not r["url"].startswith("http://127.0.0.1:9/")]
    assert {r["url"].split("?")[0].removeprefix(live_server.url) for r in others} >= {
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/js/area-map.js",
    }
    assert all(r["url"].startswith(live_server.url) for r in others)
    assert all(r["status"] in (200, 304) for r in others)

    # Clicking a point opens its popup, which says when the address is hidden.
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", hidden[0]
    )
    popup = wait_for(
        browser, EC.visibility_of_element_located((By.CSS_SELECTOR, ".leaflet-popup-content"))
    )
    assert "一時避難の家" in popup.text


def test_assessment_is_edited_in_place(browser, live_server, make_user, district):
    url = reverse("staff:area_detail", args=[district.code])
    log_in_and_open(browser, live_server, make_user, url)
    year = assessment_default_year()
    section = f"#assessment-{year}"
    # Survives only if the page is never reloaded.
    browser.execute_script("window.stillTheSamePage = true;")

    browser.find_element(By.CSS_SELECTOR, f"{section} a[hx-get]").click()
    strengths = wait_for(
        browser,
        EC.visibility_of_element_located((By.CSS_SELECTOR, f"{section} textarea[name=strengths]")),
    )
    strengths.send_keys("町会の見守り活動が活発")
    browser.find_element(By.CSS_SELECTOR, f"{section} button[type=submit]").click()

    wait_for(
        browser,
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, section), "町会の見守り活動が活発"),
    )
    assert browser.find_elements(By.CSS_SELECTOR, f"{section} textarea") == []
    assert browser.execute_script("return window.stillTheSamePage === true;")
    assert browser.current_url == live_server.url + url
    assessment = Assessment.objects.get(area=district, year=year)
    assert assessment.strengths == "町会の見守り活動が活発"
    assert assessment.updated_by.username == "sato.hanako"
