"""A keeper works through the verification queue in a real browser: "still correct" replaces the
row in place (htmx, no page load), and a correction is saved from the queue and counts as
verified."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from resources.models import FieldChange, Organisation
from tests import factories
from tests.browser.helpers import wait_for, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_keeper_confirms_and_corrects_from_the_queue(browser, live_server, make_user):
    council = factories.organisation("若草区社会福祉協議会", kind=Organisation.Kind.WELFARE_COUNCIL)
    old = timezone.localdate() - datetime.timedelta(days=800)
    salon = factories.organisation(
        "桜台いきいきサロン",
        kind=Organisation.Kind.SALON,
        is_agency=False,
        keeper_organisation=council,
        last_verified_on=old,
        phone="03-1111-1111",
    )
    circle = factories.organisation(
        "ひよこ子育てサークル",
        kind=Organisation.Kind.PARENTING_CIRCLE,
        is_agency=False,
        keeper_organisation=council,
        phone="03-2222-2222",
    )
    keeper = make_user("sugimoto", organisations=[council])
    queue = reverse("staff:stewardship_queue")
    browser.get(live_server.url + reverse("staff:login") + "?next=" + queue)
    browser.find_element(By.ID, "id_username").send_keys(keeper.username)
    browser.find_element(By.ID, "id_password").send_keys(keeper.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + queue))

    rows = browser.find_elements(By.CSS_SELECTOR, "#due-entries tbody tr")
    # Never verified first, then the stalest.
    assert [row.get_attribute("id") for row in rows] == [
        f"entry-{circle.uuid}",
        f"entry-{salon.uuid}",
    ]

    # "Still correct" on the salon: the row is replaced in place, without a page load.
    browser.execute_script("window.stillHere = true;")
    row = browser.find_element(By.ID, f"entry-{salon.uuid}")
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "tr.confirmed")))
    wait_for_htmx(browser)
    assert browser.execute_script("return window.stillHere === true;")
    confirmed = browser.find_element(By.CSS_SELECTOR, "tr.confirmed")
    assert confirmed.get_attribute("id") == f"entry-{salon.uuid}"
    salon.refresh_from_db()
    assert salon.last_verified_on == timezone.localdate() and salon.last_verified_by == keeper

    # Correct the circle's phone number from the queue.
    correct = reverse("staff:stewardship_correct", args=[circle.uuid])
    browser.find_element(By.ID, f"entry-{circle.uuid}").find_element(
        By.CSS_SELECTOR, f'a[href="{correct}"]'
    ).click()
    wait_for(browser, EC.url_to_be(live_server.url + correct))
    phone = browser.find_element(By.ID, "id_phone")
    phone.clear()
    phone.send_keys("03-3333-4444")
    browser.find_element(By.CSS_SELECTOR, "form.entry-form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + queue))
    assert not browser.find_elements(By.ID, "due-entries")  # nothing left to verify
    circle.refresh_from_db()
    assert circle.phone == "03-3333-4444"
    assert circle.last_verified_on == timezone.localdate()
    change = FieldChange.objects.get(organisation=circle)
    assert (change.previous_value, change.replacement_value, change.updated_by) == (
        "03-2222-2222",
        "03-3333-4444",
        keeper,
    )
