"""The case record in a real browser: choosing an organisation to add tells at once whether a
consent covers it; a refused addition keeps what was typed; recording the consent and adding
again brings the organisation onto the case; all in place, without a page load."""

import datetime

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conferences.models import CaseRole, Consent
from resources.models import Organisation
from tests import factories
from tests.browser.helpers import wait_for, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in_and_open(browser, live_server, user, url):
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(user.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))


def open_form(browser, section):
    summary = browser.find_element(By.CSS_SELECTOR, f"#{section} details.case-form > summary")
    if not summary.find_element(By.XPATH, "..").get_attribute("open"):
        summary.click()


def test_consent_before_sharing_in_place(browser, live_server, make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    # Offered in the form as it is based in the case's district.
    clinic = factories.organisation(
        "桜台クリニック", kind=Organisation.Kind.MEDICAL, home_area=district
    )
    elsewhere = factories.organisation("遠くの病院", kind=Organisation.Kind.MEDICAL)
    case = factories.case(district=district, lead=centre, code="K26-05050")
    user = make_user("sato.hanako", organisations=[centre])
    url = reverse("staff:case_detail", args=[case.public_id])
    log_in_and_open(browser, live_server, user, url)
    assert "K26-05050" not in browser.title
    browser.execute_script("window.stillTheSamePage = true;")

    # Choosing the organisation says that no consent covers it yet.
    open_form(browser, "roles")
    offered = Select(browser.find_element(By.ID, "id_role_organisation")).options
    assert [option.text for option in offered if option.get_attribute("value")] == [
        "桜台クリニック"
    ]
    assert elsewhere.name not in browser.page_source
    Select(browser.find_element(By.ID, "id_role_organisation")).select_by_visible_text(
        "桜台クリニック"
    )
    wait_for(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, ".sharing-check--missing")),
    )
    assert "桜台クリニック" in browser.find_element(By.CSS_SELECTOR, ".sharing-check").text
    browser.find_element(By.ID, "id_role_role").send_keys("医療的管理")
    browser.find_element(By.ID, "id_role_contact_person").send_keys("鈴木医師")
    wait_for_htmx(browser)
    browser.find_element(By.CSS_SELECTOR, "#roles form button.button-primary").click()

    # Refused in place, with the reason and what was typed.
    wait_for(
        browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#roles .error[role=alert]"))
    )
    assert browser.find_element(By.ID, "id_role_role").get_attribute("value") == "医療的管理"
    assert browser.find_element(By.ID, "id_role_contact_person").get_attribute("value") == (
        "鈴木医師"
    )
    assert not CaseRole.objects.filter(organisation=clinic).exists()

    # Record the person's consent for every organisation.
    open_form(browser, "consents")
    browser.find_element(By.ID, "id_consent_scope").send_keys("医療・介護の関係機関と共有")
    browser.find_element(By.ID, "id_consent_covers_all").click()
    given_on = browser.find_element(By.ID, "id_consent_given_on")
    browser.execute_script(
        "arguments[0].value = arguments[1];", given_on, case.opened_on.isoformat()
    )
    browser.find_element(By.CSS_SELECTOR, "#consents form.entry-form button").click()
    wait_for(browser, lambda d: Consent.objects.filter(case=case).exists())
    wait_for(
        browser,
        EC.presence_of_element_located(
            (By.XPATH, "//section[@id='consents']//td[contains(., '医療・介護の関係機関と共有')]")
        ),
    )
    wait_for_htmx(browser)

    # Now the organisation comes on, with the consent as its basis.
    open_form(browser, "roles")
    Select(browser.find_element(By.ID, "id_role_organisation")).select_by_visible_text(
        "桜台クリニック"
    )
    wait_for(
        browser,
        EC.presence_of_element_located(
            (By.CSS_SELECTOR, ".sharing-check:not(.sharing-check--missing)")
        ),
    )
    browser.find_element(By.ID, "id_role_role").send_keys("医療的管理")
    wait_for_htmx(browser)
    browser.find_element(By.CSS_SELECTOR, "#roles form button.button-primary").click()
    wait_for(
        browser,
        EC.presence_of_element_located(
            (By.XPATH, "//section[@id='roles']//td[contains(., '桜台クリニック')]")
        ),
    )
    role = CaseRole.objects.get(case=case, organisation=clinic)
    assert role.consent == Consent.objects.get(case=case)
    assert browser.execute_script("return window.stillTheSamePage === true;")


def test_the_case_list_filters_in_place_and_keeps_them_in_the_url(browser, live_server, make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    factories.case(district=district, lead=centre, code="K26-06001")
    factories.case(
        district=district,
        lead=centre,
        code="K26-06002",
        status="closed",
        closed_on=datetime.date(2026, 10, 1),
    )
    user = make_user("sato.hanako", organisations=[centre])
    url = reverse("staff:case_list")
    log_in_and_open(browser, live_server, user, url)
    browser.execute_script("window.stillTheSamePage = true;")

    def codes():
        return sorted(
            link.text for link in browser.find_elements(By.CSS_SELECTOR, "#case-results td a")
        )

    assert codes() == ["K26-06001", "K26-06002"]
    Select(browser.find_element(By.ID, "id_status")).select_by_value("closed")
    wait_for(browser, lambda d: "status=closed" in d.current_url)
    wait_for(browser, lambda d: codes() == ["K26-06002"])
    assert browser.execute_script("return window.stillTheSamePage === true;")
    # The URL reproduces the filtered list, without JavaScript too.
    browser.get(browser.current_url)
    assert codes() == ["K26-06002"]
