"""A referral in a real browser: a member of the lead organisation refers the case from the
case page (refused first without consent, keeping what was typed), and a member of the receiving
organisation finds it in the referral inbox, reads only the summary, accepts, and opens the case."""

import datetime

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conferences.models import CaseRole, Consent, Referral
from resources.models import Organisation
from tests import factories
from tests.browser.helpers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "退院後の訪問看護を週2回お願いしたい"


def log_in_and_open(browser, live_server, user, url):
    browser.delete_all_cookies()
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(user.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))


def test_send_a_referral_as_one_user_and_accept_it_as_another(browser, live_server, make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター", home_area=district)
    station = factories.organisation(
        "桜台訪問看護ステーション", kind=Organisation.Kind.MEDICAL, home_area=district
    )
    case = factories.case(district=district, lead=centre, code="K26-07070")
    sender = make_user("sato.hanako", organisations=[centre])
    receiver = make_user("suzuki.taro", organisations=[station])
    case_url = reverse("staff:case_detail", args=[case.public_id])

    # The sender starts from the case page.
    log_in_and_open(browser, live_server, sender, case_url)
    form_url = reverse("staff:referral_create", args=[case.public_id])
    browser.find_element(By.CSS_SELECTOR, f'a[href="{form_url}"]').click()
    wait_for(browser, EC.presence_of_element_located((By.ID, "referral-form")))
    assert "K26-07070" not in browser.title
    Select(browser.find_element(By.ID, "id_referral_to_organisation")).select_by_visible_text(
        "桜台訪問看護ステーション"
    )
    browser.find_element(By.ID, "id_referral_summary").send_keys(SUMMARY)
    browser.find_element(By.CSS_SELECTOR, "#referral-form button[type=submit]").click()

    # No consent yet: refused, with the reason, and the summary kept.
    error = wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".error")))
    assert "桜台訪問看護ステーション" in error.text
    assert browser.find_element(By.ID, "id_referral_summary").get_attribute("value") == SUMMARY
    assert not Referral.objects.exists()

    # With the person's consent on record, the same form goes through.
    consent = Consent.objects.create(
        case=case, given_on=datetime.date(2026, 4, 1), scope="訪問看護", recorded_by=sender
    )
    consent.organisations.set([station])
    browser.find_element(By.CSS_SELECTOR, "#referral-form button[type=submit]").click()
    wait_for(browser, EC.presence_of_element_located((By.ID, "referral-status")))
    referral = Referral.objects.get()
    assert referral.status == Referral.Status.SENT

    # The receiver finds it in the inbox, sees the summary but not the case.
    inbox = reverse("staff:referral_list")
    log_in_and_open(browser, live_server, receiver, inbox)
    assert "K26-07070" not in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "#inbox tbody a").click()
    wait_for(browser, EC.presence_of_element_located((By.ID, "referral-accept-form")))
    assert SUMMARY in browser.page_source
    assert "K26-07070" not in browser.page_source
    assert not browser.find_elements(By.ID, "referral-case-link")

    browser.find_element(By.ID, "id_accept_role").send_keys("訪問看護")
    browser.find_element(By.CSS_SELECTOR, "#referral-accept-form button[type=submit]").click()
    link = wait_for(browser, EC.element_to_be_clickable((By.ID, "referral-case-link")))
    assert CaseRole.objects.filter(case=case, organisation=station, role="訪問看護").exists()

    # Now the case opens for the receiving organisation.
    link.click()
    wait_for(browser, EC.url_to_be(live_server.url + case_url))
    assert "K26-07070" in browser.find_element(By.TAG_NAME, "h1").text
    assert "K26-07070" not in browser.title
