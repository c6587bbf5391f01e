"""The minutes page in a real browser: an item's minutes saved in place (htmx), an information
point turned into an action item with one click, approval, and the page locked afterwards."""

import datetime

import pytest
from django.urls import reverse
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conferences.models import ActionItem, AgendaItem, Minutes, MinutesRevision, Participant
from tests import factories
from tests.browser.helpers import wait_for, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, live_server, user, url):
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(user.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))
    # Parts of the page load themselves with htmx (the evidence panels): let them finish before
    # the test reads or writes the database the server is using.
    wait_for_htmx(browser)


def field_value(driver, element_id):
    """A field's value, or None while htmx is swapping the section that holds it."""
    try:
        return driver.find_element(By.ID, element_id).get_attribute("value")
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def minutes_meeting(make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    chair = make_user("chair.sato", organisations=[centre], can_chair=True)
    meeting = factories.meeting(
        area=district, organiser=centre, chair=chair, starts_in=datetime.timedelta(days=-1)
    )
    factories.participant(
        meeting=meeting, user=chair, organisation=centre, role=Participant.Role.CHAIR
    )
    item = factories.agenda_item(meeting=meeting, order=1, title="地区の見守り活動の報告")
    return chair, meeting, item


def record_item_with_an_action(browser, item, summary):
    """Type the item's summary, save it in place, then make an action item from its one line."""
    section = f"#item-{item.pk}"
    field = browser.find_element(By.ID, f"id_item-{item.pk}-summary")
    field.clear()
    field.send_keys(summary)
    browser.find_element(
        By.CSS_SELECTOR, f"{section} .item-minutes-form button.button-primary"
    ).click()
    wait_for(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, f"{section}[data-version='2']")),
    )
    wait_for_htmx(browser)
    browser.find_element(By.CSS_SELECTOR, f"{section} details.points summary").click()
    browser.find_element(By.CSS_SELECTOR, f"{section} button.point-to-action").click()
    wait_for(
        browser,
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, f"{section} .action-items .action-description"), summary
        ),
    )
    wait_for_htmx(browser)


def test_record_an_item_with_an_action_approve_and_see_it_locked(browser, live_server, make_user):
    chair, meeting, item = minutes_meeting(make_user)
    url = reverse("staff:minutes", args=[meeting.uid])
    log_in(browser, live_server, chair, url)
    browser.execute_script("window.stillTheSamePage = true;")

    record_item_with_an_action(browser, item, "ゴミ出しの見守りを続ける")
    # Saved in place, without a page load.
    assert browser.execute_script("return window.stillTheSamePage === true;")
    item.refresh_from_db()
    assert item.summary == "ゴミ出しの見守りを続ける"
    action = ActionItem.objects.get(agenda_item=item)
    assert action.description == "ゴミ出しの見守りを続ける"

    browser.find_element(By.CSS_SELECTOR, "button[name=approve]").click()
    wait_for(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-minutes-status='approved']")),
    )
    wait_for_htmx(browser)
    minutes = Minutes.objects.get(meeting=meeting)
    assert (minutes.status, minutes.approved_by) == (Minutes.Status.APPROVED, chair)
    assert MinutesRevision.objects.filter(minutes=minutes, number=1).exists()
    # Locked: the text is shown, no form to change it, and the way out is a correction.
    section = browser.find_element(By.ID, f"item-{item.pk}")
    assert "ゴミ出しの見守りを続ける" in section.find_element(By.CSS_SELECTOR, ".item-summary").text
    assert section.find_elements(By.CSS_SELECTOR, "textarea[name$=summary]") == []
    assert section.find_elements(By.CSS_SELECTOR, "button.point-to-action") == []
    assert browser.find_elements(By.CSS_SELECTOR, "form.reopen-form")
    assert AgendaItem.objects.get(pk=item.pk).version == 2


def test_person_list_offers_the_chosen_organisations_people(browser, live_server, make_user):
    chair, meeting, item = minutes_meeting(make_user)
    council = factories.organisation("ひばり野区社会福祉協議会")
    worker = make_user("council.ito", organisations=[council], first_name="伊藤")
    factories.participant(meeting=meeting, user=worker, organisation=council)
    url = reverse("staff:minutes", args=[meeting.uid])
    log_in(browser, live_server, chair, url)
    browser.find_element(By.CSS_SELECTOR, f"#item-{item.pk} details.add-action summary").click()
    organisation = browser.find_element(By.ID, f"id_item-{item.pk}-action-organisation")
    person = f"#id_item-{item.pk}-action-assignee option"

    def offered():
        return [
            option.get_attribute("value")
            for option in browser.find_elements(By.CSS_SELECTOR, person)
            if option.get_attribute("value") and not option.get_attribute("disabled")
        ]

    organisation.find_element(By.CSS_SELECTOR, f"option[value='{council.pk}']").click()
    wait_for(browser, lambda _: offered() == [str(worker.pk)])
    organisation.find_element(By.CSS_SELECTOR, f"option[value='{meeting.organiser_id}']").click()
    wait_for(browser, lambda _: offered() == [str(chair.pk)])


def test_a_concurrent_save_is_refused_in_place_and_merged(browser, live_server, make_user):
    chair, meeting, item = minutes_meeting(make_user)
    recorder = make_user("recorder.kato", organisations=[meeting.organiser])
    meeting.recorder = recorder
    meeting.save(update_fields=["recorder"])
    url = reverse("staff:minutes", args=[meeting.uid])
    log_in(browser, live_server, chair, url)
    section = f"#item-{item.pk}"
    browser.find_element(By.ID, f"id_item-{item.pk}-summary").send_keys("議長が書いた行")

    # Meanwhile the recorder saves the same item from their own screen.
    wait_for_htmx(browser)
    from conferences import minutes as service

    item.meeting = meeting
    service.item_minutes_save(
        item=item, user=recorder, summary="記録者が書いた行", decisions="", expected_version=1
    )

    browser.find_element(
        By.CSS_SELECTOR, f"{section} .item-minutes-form button.button-primary"
    ).click()
    conflict = wait_for(
        browser, EC.presence_of_element_located((By.CSS_SELECTOR, f"{section} .conflict"))
    )
    assert "記録者が書いた行" in conflict.text and "議長が書いた行" in conflict.text
    field = browser.find_element(By.ID, f"id_item-{item.pk}-summary")
    assert field.get_attribute("value") == "議長が書いた行"
    assert AgendaItem.objects.get(pk=item.pk).summary == "記録者が書いた行"

    browser.find_element(By.CSS_SELECTOR, f"{section} button[name=merge]").click()
    wait_for(
        browser,
        lambda d: (
            field_value(d, f"id_item-{item.pk}-summary") == "記録者が書いた行\n議長が書いた行"
        ),
    )
    wait_for_htmx(browser)
    browser.find_element(
        By.CSS_SELECTOR, f"{section} .item-minutes-form button.button-primary"
    ).click()
    wait_for(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, f"{section}[data-version='3']")),
    )
    assert AgendaItem.objects.get(pk=item.pk).summary == "記録者が書いた行\n議長が書いた行"


def test_a_private_note_does_not_print(browser, live_server, make_user):
    chair, meeting, item = minutes_meeting(make_user)
    item.private_notes.create(author=chair, text="議長だけの覚え書き")
    url = reverse("staff:minutes", args=[meeting.uid])
    log_in(browser, live_server, chair, url)
    note = browser.find_element(By.CSS_SELECTOR, f"#item-{item.pk} .private-note")
    assert note.is_displayed()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not note.is_displayed()
        assert browser.find_element(By.ID, f"item-{item.pk}").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
