"""A series created in a real browser: its meetings are listed, and one is cancelled with a
reason, which the meeting page and the list then show."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conferences.models import LegalBasis, Meeting, MeetingSeries
from tests import factories
from tests.browser.helpers import wait_for, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _set(browser, element_id, value):
    # Date and time inputs are typed differently by locale; set them as a script would.
    browser.execute_script(
        "const el = document.getElementById(arguments[0]); el.value = arguments[1];"
        "el.dispatchEvent(new Event('change', {bubbles: true}));",
        element_id,
        value,
    )


def test_create_a_series_see_its_meetings_and_cancel_one(browser, live_server, make_user):
    _, _, district = factories.area_tree()
    centre = factories.organisation()
    chair = make_user("chair.sato", organisations=[centre], can_chair=True, last_name="佐藤")
    url = reverse("staff:series_create")
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(chair.username)
    browser.find_element(By.ID, "id_password").send_keys(chair.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))

    # Three whole months, starting next month: three third Wednesdays.
    first_day = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    last_day = first_day + relativedelta(months=3) - datetime.timedelta(days=1)
    browser.find_element(By.ID, "id_title").send_keys("桜台 地域ケア会議")
    Select(browser.find_element(By.ID, "id_kind")).select_by_value("district_network")
    Select(browser.find_element(By.ID, "id_level")).select_by_value("district")
    Select(browser.find_element(By.ID, "id_area")).select_by_value(district.code)
    browser.find_element(
        By.CSS_SELECTOR, f"input[name=legal_basis][value={LegalBasis.LONG_TERM_CARE}]"
    ).click()
    browser.find_element(By.CSS_SELECTOR, "input[name=pattern][value=monthly]").click()
    Select(browser.find_element(By.ID, "id_ordinal")).select_by_value("3")
    Select(browser.find_element(By.ID, "id_weekday")).select_by_value("WE")
    _set(browser, "id_start_time", "14:00")
    _set(browser, "id_end_time", "16:00")
    _set(browser, "id_starts_on", first_day.isoformat())
    _set(browser, "id_until", last_day.isoformat())
    browser.find_element(By.ID, "id_place").send_keys("桜台地区会館")
    Select(browser.find_element(By.ID, "id_organiser")).select_by_value(str(centre.pk))
    Select(browser.find_element(By.ID, "id_chair")).select_by_value(str(chair.pk))
    # While typing, the form shows how the series reads (htmx; nothing is saved yet).
    wait_for(
        browser,
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".series-preview__rule"), "毎月第3水曜 14:00–16:00"
        ),
    )
    wait_for_htmx(browser)
    assert not MeetingSeries.objects.exists()
    browser.find_element(By.CSS_SELECTOR, ".series-form button.button-primary").click()

    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".series-rule")))
    series = MeetingSeries.objects.get()
    assert browser.find_element(By.CSS_SELECTOR, ".series-rule").text == "毎月第3水曜 14:00–16:00"
    occurrences = list(Meeting.objects.filter(series=series).order_by("starts_at"))
    assert len(occurrences) == 3
    links = browser.find_elements(By.CSS_SELECTOR, ".series-meetings a")
    assert [link.get_attribute("href") for link in links] == [
        live_server.url + reverse("staff:meeting_detail", args=[m.uid]) for m in occurrences
    ]

    # Cancel the second one, with a reason.
    links[1].click()
    cancel = reverse("staff:meeting_cancel", args=[occurrences[1].uid])
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, f"a[href='{cancel}']")))
    browser.find_element(By.CSS_SELECTOR, f"a[href='{cancel}']").click()
    wait_for(browser, EC.presence_of_element_located((By.ID, "id_reason")))
    # Without a reason the browser itself asks for one (required); with one it is saved.
    browser.find_element(By.ID, "id_reason").send_keys("会場の工事のため")
    browser.find_element(By.CSS_SELECTOR, "main form button.button-primary").click()
    wait_for(
        browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".meeting-cancelled__reason"))
    )
    assert browser.find_element(By.CSS_SELECTOR, ".meeting-cancelled__reason").text == (
        "会場の工事のため"
    )
    cancelled = Meeting.objects.get(pk=occurrences[1].pk)
    assert cancelled.status == Meeting.Status.CANCELLED and cancelled.sequence == 1
    assert Meeting.objects.filter(series=series, status=Meeting.Status.PLANNED).count() == 2

    # The series page marks it cancelled; the others are untouched.
    browser.get(live_server.url + reverse("staff:series_detail", args=[series.pk]))
    rows = browser.find_elements(By.CSS_SELECTOR, ".series-meetings li")
    assert [("meeting--cancelled" in (r.get_attribute("class") or "")) for r in rows] == [
        False,
        True,
        False,
    ]


def test_add_an_outside_participant_and_record_their_pledge_in_place(
    browser, live_server, make_user
):
    _, _, district = factories.area_tree()
    centre = factories.organisation()
    council = factories.organisation("桜台民生委員協議会")
    organiser = make_user("organiser.ito", organisations=[centre], last_name="伊藤")
    volunteer = make_user("minsei.kato", organisations=[council], last_name="加藤")
    meeting = factories.meeting(area=district, organiser=centre)
    url = reverse("staff:meeting_detail", args=[meeting.uid])
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(organiser.username)
    browser.find_element(By.ID, "id_password").send_keys(organiser.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))
    browser.execute_script("window.stillTheSamePage = true;")

    # The council is outside the meeting's area: find it first (htmx refreshes the form).
    browser.find_element(By.ID, "id_find").send_keys("民生委員")
    browser.find_element(By.CSS_SELECTOR, ".participant-form button[value=find]").click()
    membership = volunteer.memberships.get()
    option = f"#id_membership option[value='{membership.pk}']"
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, option)))
    wait_for_htmx(browser)
    Select(browser.find_element(By.ID, "id_membership")).select_by_value(str(membership.pk))
    browser.find_element(By.ID, "id_is_external").click()
    browser.find_element(
        By.CSS_SELECTOR, ".participant-form button[type=submit]:not([value])"
    ).click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-pledges-needed]")))
    wait_for_htmx(browser)
    participant = meeting.participants.get(user=volunteer)
    assert participant.is_external

    Select(browser.find_element(By.ID, "id_participant")).select_by_value(str(participant.pk))
    browser.find_element(By.CSS_SELECTOR, ".pledge-form button[type=submit]").click()
    wait_for(
        browser, EC.invisibility_of_element_located((By.CSS_SELECTOR, "[data-pledges-needed]"))
    )
    assert meeting.pledges.get().user == volunteer
    assert browser.execute_script("return window.stillTheSamePage === true;")
