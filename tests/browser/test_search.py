"""The public search in a real browser at phone size: typed in half-width katakana, results
replaced in place (the address follows, so back and reload work), a result followed, and
everything served locally."""

from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from cms.models import StandardPage
from resources.models import Visibility
from resources.search import organisations_search_refresh
from tests import factories
from tests.browser.helpers import assert_everything_served_locally, wait_for, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)


@pytest.fixture
def phone(browser):
    size = browser.get_window_size()
    browser.set_window_size(*PHONE)
    yield browser
    browser.set_window_size(size["width"], size["height"])


def test_resident_searches_on_a_phone(phone, live_server, home_page):
    home_page.add_child(
        instance=StandardPage(
            title="産後ケア事業のご案内",
            slug="sango-care",
            intro="出産後のお母さんが休める日帰りの産後ケアです。",
            search_description="さんごけあ",
        )
    )
    home_page.add_child(instance=StandardPage(title="介護予防教室", slug="kaigo"))
    public = factories.organisation("産後ケアハウスわかくさ", reading="さんごけあはうすわかくさ")
    hidden = factories.organisation("産後ケア職員連絡会", visibility=Visibility.STAFF)
    organisations_search_refresh(organisation_ids=[public.pk, hidden.pk])

    phone.get(f"{live_server.url}/search/")
    field = wait_for(phone, EC.element_to_be_clickable((By.ID, "search-q")))
    assert phone.find_element(By.CSS_SELECTOR, "label[for='search-q']").is_displayed()
    field.send_keys("ｻﾝｺﾞｹｱ", Keys.ENTER)

    wait_for(phone, EC.presence_of_element_located((By.CSS_SELECTOR, ".search-hit")))
    wait_for_htmx(phone)
    titles = [h.text for h in phone.find_elements(By.CSS_SELECTOR, ".search-hit h3")]
    assert titles == ["産後ケア事業のご案内", "産後ケアハウスわかくさ"]
    assert "職員連絡会" not in phone.page_source
    # As after a page load: the title names the search, and the focus is on the results'
    # heading, so a screen reader announces it.
    wait_for(phone, EC.title_contains("ｻﾝｺﾞｹｱ"))
    focused = phone.execute_script("return document.activeElement.id;")
    assert focused == "search-results-heading"
    # htmx put the query in the address: it can be shared, reloaded and gone back to.
    assert parse_qs(urlsplit(phone.current_url).query)["q"] == ["ｻﾝｺﾞｹｱ"]
    phone.refresh()
    titles_again = [
        h.text
        for h in wait_for(
            phone, EC.presence_of_all_elements_located((By.CSS_SELECTOR, ".search-hit h3"))
        )
    ]
    assert titles_again == titles
    # Nothing overflows the phone's width.
    overflow = phone.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
    )
    assert overflow <= 1
    assert_everything_served_locally(phone, live_server)

    phone.find_element(By.LINK_TEXT, "産後ケア事業のご案内").click()
    wait_for(phone, EC.title_contains("産後ケア事業のご案内"))
