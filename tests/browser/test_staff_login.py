"""A staff member logs in through the real form and lands on the dashboard."""

import pytest
from django.urls import reverse
from django.utils import translation
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.helpers import assert_everything_served_locally, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAV_PAGES = [
    "area_list",
    "issue_list",
    "organisation_list",
    "meeting_list",
    "case_list",
    "my_work",
    "my_schedule",
    "calendar_subscribe",
    "referral_list",
    "notification_list",
]
NAV_LABELS = [
    "Districts",
    "District issues",
    "Resources",
    "Meetings",
    "Cases",
    "My work",
    "My schedule",
    "Calendar",
    "Referrals",
    "Notifications",
]


def submit_login_form(browser, live_server, *, username, password):
    browser.get(live_server.url + reverse("staff:login"))
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def test_staff_member_logs_in_and_reaches_the_dashboard(browser, live_server, make_user):
    user = make_user("sato.hanako", first_name="花子", last_name="佐藤")

    submit_login_form(browser, live_server, username=user.username, password=user.raw_password)

    wait_for(browser, EC.url_to_be(live_server.url + reverse("staff:dashboard")))
    language = browser.find_element(By.TAG_NAME, "html").get_attribute("lang")
    assert language == "ja"  # the default, and what the browser asked for
    # Expected labels in the page's language, whatever the catalogue currently says.
    with translation.override(language):
        heading = translation.gettext("Dashboard")
        labels = [translation.gettext(label) for label in NAV_LABELS]
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == heading
    links = browser.find_elements(By.CSS_SELECTOR, "header nav a")
    assert [link.get_attribute("pathname") for link in links] == [
        reverse(f"staff:{name}") for name in NAV_PAGES
    ]
    assert [link.text for link in links] == labels
    assert browser.find_element(By.CSS_SELECTOR, "header .user-name").text == user.get_full_name()
    assert_everything_served_locally(browser, live_server)


def test_wrong_password_shows_an_error_and_keeps_the_user_name(browser, live_server, make_user):
    user = make_user("sato.hanako")

    submit_login_form(browser, live_server, username=user.username, password="not-the-password")

    error = wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
    assert error.text.strip()
    assert browser.current_url.startswith(live_server.url + reverse("staff:login"))
    assert browser.find_element(By.ID, "id_username").get_attribute("value") == user.username
    assert browser.find_element(By.ID, "id_password").get_attribute("value") == ""
    assert browser.find_elements(By.CSS_SELECTOR, "header nav") == []
