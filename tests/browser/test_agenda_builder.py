"""The agenda builder in a real browser: items added in place, one moved by dragging its handle
(pointer events) and one by the arrow keys (focus stays on it, the new position is announced),
the order kept after a reload, and the over-time warning after a change of minutes."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conferences.models import AgendaItem, LegalBasis
from tests import factories
from tests.browser.helpers import wait_for, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting(make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    chair = make_user("chair.sato", organisations=[centre], can_chair=True)
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=7)
    meeting = factories.meeting(
        area=district,
        organiser=centre,
        chair=chair,
        legal_basis=LegalBasis.LONG_TERM_CARE,
        title="桜台 地域ケア個別会議",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )
    factories.case(district=district, lead=centre, code="K-BR-1")
    meeting.chair_user = chair
    return meeting


def log_in(browser, live_server, user, url):
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(user.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))


def add_item(browser, *, kind, title="", minutes="15", case_code=""):
    count = len(browser.find_elements(By.CSS_SELECTOR, "#agenda-items .agenda-item"))
    Select(browser.find_element(By.ID, "id_kind")).select_by_value(kind)
    case_field = browser.find_element(By.ID, "id_case_code")
    # The case field is shown only for case items.
    assert case_field.is_displayed() == bool(case_code)
    fields = [("id_title", title)] + ([("id_case_code", case_code)] if case_code else [])
    for field, value in fields:
        element = browser.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    minutes_field = browser.find_element(By.ID, "id_minutes_allotted")
    minutes_field.clear()
    minutes_field.send_keys(minutes)
    browser.find_element(By.CSS_SELECTOR, "#agenda-add button[type=submit]").click()
    wait_for(
        browser,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#agenda-items .agenda-item")) == count + 1,
    )
    wait_for_htmx(browser)


def wait_for_saved(browser):
    """Waits until the script has no move left to save (and has swapped in the answer)."""
    saving = "return document.documentElement.hasAttribute('data-agenda-saving');"
    wait_for(browser, lambda d: not d.execute_script(saving))


def titles_on_page(browser):
    return [
        element.text
        for element in browser.find_elements(By.CSS_SELECTOR, "#agenda-items .agenda-item__title")
    ]


def stored_titles(meeting):
    return list(
        AgendaItem.objects.filter(meeting=meeting).order_by("order").values_list("title", flat=True)
    )


def test_build_an_agenda_by_drag_and_keyboard(browser, live_server, meeting):
    url = reverse("staff:agenda_builder", args=[meeting.uid])
    log_in(browser, live_server, meeting.chair_user, url)
    browser.execute_script("window.stillTheSamePage = true;")

    add_item(browser, kind="report", title="報告A", minutes="20")
    wait_for(
        browser,
        lambda d: "報告A" in d.find_element(By.ID, "agenda-announce").get_attribute("textContent"),
    )
    add_item(browser, kind="report", title="報告B", minutes="20")
    add_item(browser, kind="case_review", title="退院後の支援", minutes="15", case_code="K-BR-1")
    assert titles_on_page(browser) == ["報告A", "報告B", "退院後の支援"]
    assert browser.find_elements(By.CSS_SELECTOR, ".agenda-over") == []

    # Drag the third item's handle above the first.
    items = browser.find_elements(By.CSS_SELECTOR, "#agenda-items .agenda-item")
    handle = items[2].find_element(By.CSS_SELECTOR, ".agenda-handle")
    assert handle.is_displayed()
    top_of_first = items[0].rect["y"]
    middle_of_handle = handle.rect["y"] + handle.rect["height"] / 2
    (
        ActionChains(browser)
        .click_and_hold(handle)
        .move_by_offset(0, -20)
        .move_by_offset(0, int(top_of_first - middle_of_handle) + 5)
        .release()
        .perform()
    )
    wait_for_saved(browser)
    assert stored_titles(meeting) == ["退院後の支援", "報告A", "報告B"]
    assert titles_on_page(browser) == ["退院後の支援", "報告A", "報告B"]

    # Move 報告A down by one with the keyboard: the focus stays on its handle.
    item_a = browser.find_elements(By.CSS_SELECTOR, "#agenda-items .agenda-item")[1]
    item_id = item_a.get_attribute("data-item-id")
    item_a.find_element(By.CSS_SELECTOR, ".agenda-handle").send_keys(Keys.ARROW_DOWN)
    wait_for(
        browser,
        lambda d: "3" in d.find_element(By.ID, "agenda-announce").get_attribute("textContent"),
    )
    assert "報告A" in browser.find_element(By.ID, "agenda-announce").get_attribute("textContent")
    wait_for_saved(browser)
    assert stored_titles(meeting) == ["退院後の支援", "報告B", "報告A"]
    wait_for(
        browser,
        lambda d: d.execute_script(
            "const el = document.activeElement;"
            "return el.classList.contains('agenda-handle')"
            " && el.closest('.agenda-item').dataset.itemId === arguments[0];",
            item_id,
        ),
    )
    assert browser.execute_script("return window.stillTheSamePage === true;")

    # The order is kept.
    browser.refresh()
    wait_for(browser, EC.presence_of_element_located((By.ID, "agenda-items")))
    assert titles_on_page(browser) == ["退院後の支援", "報告B", "報告A"]

    # 55 of 60 minutes; 40 for 報告B makes 75: the warning appears without a reload.
    browser.execute_script("window.stillTheSamePage = true;")
    item_b = browser.find_elements(By.CSS_SELECTOR, "#agenda-items .agenda-item")[1]
    minutes = item_b.find_element(By.CSS_SELECTOR, ".agenda-minutes__input")
    # As typing and leaving the field would, in one change (no half-typed value is posted).
    browser.execute_script(
        "arguments[0].value = '40';"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        minutes,
    )
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".agenda-over")))
    assert "15" in browser.find_element(By.CSS_SELECTOR, ".agenda-over").text
    assert browser.execute_script("return window.stillTheSamePage === true;")
    assert AgendaItem.objects.get(meeting=meeting, title="報告B").minutes_allotted == 40
