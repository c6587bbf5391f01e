"""The calendar subscribe page in a real browser: make a private feed address, copy it with the
copy button, subscribe (the address serves the user's meetings), make a filtered public feed;
everything served locally."""

import urllib.request

import pytest
from django.urls import reverse
from icalendar import Calendar
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conferences.models import MeetingKind, MeetingVisibility
from tests import factories
from tests.browser.helpers import assert_everything_served_locally, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_make_copy_and_use_a_feed_address(browser, live_server, make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation()
    chair = make_user("calendar.sato", organisations=[centre], can_chair=True)
    factories.meeting(area=district, organiser=centre, chair=chair, title="桜台 個別会議")
    factories.meeting(
        area=district,
        organiser=centre,
        title="桜台 ネットワーク会議",
        visibility=MeetingVisibility.PUBLIC,
        kind=MeetingKind.DISTRICT_NETWORK,
    )
    url = reverse("staff:calendar_subscribe")
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(chair.username)
    browser.find_element(By.ID, "id_password").send_keys(chair.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))
    assert_everything_served_locally(browser, live_server)

    browser.find_element(By.CSS_SELECTOR, "#private button.button-primary").click()
    field = wait_for(browser, EC.presence_of_element_located((By.ID, "private-https")))
    address = field.get_attribute("value")
    webcal = browser.find_element(By.ID, "private-webcal").get_attribute("value")
    assert address.startswith(live_server.url + "/calendar/u/")
    assert webcal == "webcal://" + address.split("://", 1)[1]

    # The copy button appears with JavaScript, and says it copied.
    button = browser.find_element(By.CSS_SELECTOR, "button[data-copy=private-https]")
    assert button.is_displayed()
    button.click()
    status = browser.find_element(By.ID, "calendar-status")
    wait_for(browser, lambda d: status.text.strip() != "")
    assert browser.execute_script("return window.getSelection().toString()") == address

    # The address is a working subscription to the user's meetings.
    with urllib.request.urlopen(address) as answer:
        assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
        cal = Calendar.from_ical(answer.read())
    assert [str(event["SUMMARY"]) for event in cal.walk("VEVENT")] == ["桜台 個別会議"]

    # A public feed of one district's network meetings.
    Select(browser.find_element(By.ID, "filter-area")).select_by_value(district.code)
    browser.find_element(
        By.CSS_SELECTOR, f"input[name=kind][value={MeetingKind.DISTRICT_NETWORK}]"
    ).click()
    browser.find_element(By.CSS_SELECTOR, ".calendar-filter button[type=submit]").click()
    chosen = wait_for(browser, EC.presence_of_element_located((By.ID, "chosen-https")))
    public = chosen.get_attribute("value")
    assert "/calendar/f/" in public and len(public.split("/calendar/")[1]) < 20
    with urllib.request.urlopen(public) as answer:
        cal = Calendar.from_ical(answer.read())
    assert [str(event["SUMMARY"]) for event in cal.walk("VEVENT")] == ["桜台 ネットワーク会議"]
    # The private address is no longer shown anywhere.
    assert "/calendar/u/" not in browser.page_source
