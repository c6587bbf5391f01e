"""The staff directory in a real browser: filters applied in place, the map and back with the
filters kept (in the URL and the form), the back button, and a visit recorded on an
organisation's page without a page load."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from resources import search
from resources.models import Location, Organisation, Visibility, Visit
from tests import factories
from tests.browser.helpers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Nothing listens on port 9 (discard): every tile request fails at once.
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@pytest.fixture
def directory(settings):
    settings.MAP_TILE_URL = UNREACHABLE_TILES
    _, _, district = factories.area_tree()
    places = [
        ("桜台こども食堂", "さくらだいこどもしょくどう", Organisation.Kind.NPO, False),
        ("一時避難の家", "いちじひなんのいえ", Organisation.Kind.NPO, True),
        ("桜台いきいきサロン", "さくらだいいきいきさろん", Organisation.Kind.SALON, False),
    ]
    organisations = {}
    for n, (name, reading, kind, hidden) in enumerate(places):
        organisation = factories.organisation(
            name,
            reading=reading,
            kind=kind,
            is_agency=False,
            visibility=Visibility.STAFF if hidden else Visibility.PUBLIC,
            last_verified_on=datetime.date.today(),
        )
        Location.objects.create(
            organisation=organisation,
            address=f"桜台一丁目{n + 1}番",
            district=district,
            latitude=f"35.60{n}000",
            longitude=f"139.60{n}000",
            hide_address=hidden,
        )
        organisations[name] = organisation
    search.organisations_search_refresh()
    return organisations


def log_in_and_open(browser, live_server, make_user, url):
    user = make_user("sato.hanako")
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(user.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))
    return user


def _query(browser) -> dict[str, list[str]]:
    return parse_qs(urlsplit(browser.current_url).query)


def _names(browser) -> list[str]:
    return [
        link.text
        for link in browser.find_elements(By.CSS_SELECTOR, "#directory tbody td:first-child a")
    ]


def test_filter_switch_to_the_map_and_back(browser, live_server, make_user, directory):
    url = reverse("staff:organisation_list")
    log_in_and_open(browser, live_server, make_user, url)
    browser.execute_script("window.stillTheSamePage = true;")
    assert sorted(_names(browser)) == sorted(directory)

    # A filter applies in place, and goes into the URL.
    Select(browser.find_element(By.ID, "id_kind")).select_by_value("npo")
    wait_for(browser, lambda driver: _query(driver).get("kind") == ["npo"])
    wait_for(browser, lambda driver: sorted(_names(driver)) == ["一時避難の家", "桜台こども食堂"])

    # The map: same filters, both places drawn over missing tiles, the hidden address marked.
    browser.find_element(By.CSS_SELECTOR, ".directory-views a[data-view=map]").click()
    container = wait_for(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, "#directory-map[data-ready=true]")),
    )
    assert container.is_displayed() and container.size["height"] > 200
    assert _query(browser) == {"kind": ["npo"], "view": ["map"]}
    points = browser.find_elements(By.CSS_SELECTOR, "#directory-map path.area-map__point")
    assert len(points) == 2
    assert (
        len(
            browser.find_elements(
                By.CSS_SELECTOR, "#directory-map path.area-map__point--hidden-address"
            )
        )
        == 1
    )
    assert (
        Select(browser.find_element(By.ID, "id_kind")).first_selected_option.get_attribute("value")
        == "npo"
    )

    # A filter changed on the map keeps the map.
    browser.find_element(By.ID, "id_q").send_keys("ｻｸﾗﾀﾞｲ")
    wait_for(browser, lambda driver: _query(driver).get("q") == ["ｻｸﾗﾀﾞｲ"])
    wait_for(
        browser,
        lambda driver: (
            len(
                driver.find_elements(
                    By.CSS_SELECTOR, "#directory-map[data-ready=true] path.area-map__point"
                )
            )
            == 1
        ),
    )
    assert _query(browser)["view"] == ["map"]

    # Back to the list, filters kept.
    browser.find_element(By.CSS_SELECTOR, ".directory-views a[data-view=list]").click()
    wait_for(browser, lambda driver: "view" not in _query(driver))
    wait_for(browser, lambda driver: _names(driver) == ["桜台こども食堂"])
    assert _query(browser) == {"q": ["ｻｸﾗﾀﾞｲ"], "kind": ["npo"]}
    assert browser.find_element(By.ID, "id_q").get_attribute("value") == "ｻｸﾗﾀﾞｲ"
    assert browser.execute_script("return window.stillTheSamePage === true;")

    # The back button returns to the map, drawn again.
    browser.back()
    wait_for(browser, lambda driver: _query(driver).get("view") == ["map"])
    wait_for(
        browser,
        EC.presence_of_element_located(
            (By.CSS_SELECTOR, "#directory-map[data-ready=true] path.area-map__point")
        ),
    )

    # A link reproduces the view: opening the URL afresh gives the same map.
    map_url = browser.current_url
    browser.get(map_url)
    wait_for(
        browser,
        EC.presence_of_element_located(
            (By.CSS_SELECTOR, "#directory-map[data-ready=true] path.area-map__point")
        ),
    )
    assert browser.find_element(By.ID, "id_q").get_attribute("value") == "ｻｸﾗﾀﾞｲ"


def test_record_a_visit_in_place(browser, live_server, make_user, directory):
    organisation = directory["桜台いきいきサロン"]
    url = reverse("staff:organisation_detail", args=[organisation.uuid])
    user = log_in_and_open(browser, live_server, make_user, url)
    browser.execute_script("window.stillTheSamePage = true;")

    form = browser.find_element(By.CSS_SELECTOR, "form.visit-form")
    form.find_element(By.NAME, "heard").send_keys("会場の階段がつらいという声がある")
    # A second follow-up row, added without losing what was typed.
    form.find_element(By.NAME, "follow_ups-0-description").send_keys("エレベーターのある会場を探す")
    browser.execute_script(
        "arguments[0].value = arguments[1]",
        form.find_element(By.NAME, "follow_ups-0-due_on"),
        "2026-12-25",
    )
    form.find_element(By.NAME, "add_follow_up").click()
    second = wait_for(
        browser, EC.presence_of_element_located((By.NAME, "follow_ups-1-description"))
    )
    assert (
        browser.find_element(By.NAME, "heard").get_attribute("value")
        == "会場の階段がつらいという声がある"
    )
    second.send_keys("代表者に会場案を伝える")
    browser.execute_script(
        "arguments[0].value = arguments[1]",
        browser.find_element(By.NAME, "follow_ups-1-due_on"),
        "2027-01-15",
    )
    browser.find_element(By.CSS_SELECTOR, "form.visit-form button.button-primary").click()

    wait_for(
        browser,
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "#visits ol.visits"), "会場の階段がつらいという声がある"
        ),
    )
    assert browser.execute_script("return window.stillTheSamePage === true;")
    assert browser.current_url == live_server.url + url
    visit = Visit.objects.get()
    assert visit.staff == user and visit.organisation == organisation
    assert sorted(visit.follow_ups.values_list("description", flat=True)) == [
        "エレベーターのある会場を探す",
        "代表者に会場案を伝える",
    ]

    # Marking a follow-up done, in place too.
    browser.find_element(By.CSS_SELECTOR, "#visits .follow-up form button").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#visits .follow-up--done")))
    assert visit.follow_ups.filter(done_on__isnull=False).count() == 1
    assert browser.execute_script("return window.stillTheSamePage === true;")
