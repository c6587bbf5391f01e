"""A service's schedules edited in place in a real browser: choosing the pattern shows its
options and how the schedule reads, saving swaps the list back, all without a page load."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from resources.models import Schedule
from tests import factories
from tests.browser.helpers import wait_for, wait_for_htmx
from tests.browser.test_directory import log_in_and_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _set(browser, element_id, value):
    # Typing into <input type=time> depends on the browser's locale; set it as a script would.
    browser.execute_script(
        "const el = document.getElementById(arguments[0]); el.value = arguments[1];"
        "el.dispatchEvent(new Event('change', {bubbles: true}));",
        element_id,
        value,
    )


def test_add_a_monthly_schedule_in_place(browser, live_server, make_user):
    service = factories.organisation("桜台子育てひろば").services.create(name="親子ひろば")
    url = reverse("staff:service_schedules", args=[service.uuid])
    log_in_and_open(browser, live_server, make_user, url)
    browser.execute_script("window.stillTheSamePage = true;")
    block = f"schedules-{service.uuid}"

    browser.find_element(By.LINK_TEXT, "開設日時を追加").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, f"form#{block}")))
    assert browser.find_elements(By.NAME, "ordinals") == []  # weekly: no weeks of the month

    # Choosing the pattern brings its options, keeping what was ticked.
    browser.find_element(By.ID, "id_weekdays_1").click()  # 火曜日
    wait_for_htmx(browser)
    browser.find_element(By.CSS_SELECTOR, "input[name=pattern][value=monthly_weekday]").click()
    wait_for(browser, EC.presence_of_element_located((By.ID, "id_ordinals_1")))
    assert browser.find_element(By.ID, "id_weekdays_1").is_selected()
    browser.find_element(By.ID, "id_ordinals_1").click()  # 第2
    wait_for(browser, EC.element_to_be_selected(browser.find_element(By.ID, "id_ordinals_1")))
    browser.find_element(By.ID, "id_ordinals_3").click()  # 第4
    wait_for_htmx(browser)
    _set(browser, "id_opens_at", "10:00")
    _set(browser, "id_closes_at", "12:00")
    wait_for(
        browser,
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".schedule-preview"), "毎月第2・第4火曜 10:00–12:00"
        ),
    )

    wait_for_htmx(browser)
    browser.find_element(By.CSS_SELECTOR, f"form#{block} button.button-primary").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, f"div#{block}")))
    lines = browser.find_element(By.CSS_SELECTOR, f"#{block} .schedule-lines").text
    assert lines == "毎月第2・第4火曜 10:00–12:00"
    assert browser.execute_script("return window.stillTheSamePage === true;")
    schedule = Schedule.objects.get(service=service)
    assert schedule.rrule == "FREQ=MONTHLY;BYDAY=2TU,4TU"


def test_refused_input_stays_in_place(browser, live_server, make_user):
    service = factories.organisation("桜台子育てひろば").services.create(name="親子ひろば")
    url = reverse("staff:service_schedules", args=[service.uuid])
    log_in_and_open(browser, live_server, make_user, url)
    block = f"schedules-{service.uuid}"
    browser.find_element(By.LINK_TEXT, "開設日時を追加").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, f"form#{block}")))
    notes = browser.find_element(By.ID, "id_notes")
    notes.send_keys("祝日休み")
    # Leaving the field refreshes the preview; let that finish before saving (a save racing a
    # preview is noted as a known issue).
    notes.send_keys(Keys.TAB)
    wait_for_htmx(browser)
    browser.find_element(By.CSS_SELECTOR, f"form#{block} button.button-primary").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, f"#{block} .errorlist")))
    assert browser.find_element(By.ID, "id_notes").get_attribute("value") == "祝日休み"
    assert not Schedule.objects.exists()
