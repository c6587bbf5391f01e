"""A case conference end to end in a real browser: the chair builds the agenda by dragging items
into order, records the minutes of an item with an action item, approves them, and finds the
open action carried into the next meeting of the series."""

import datetime

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conferences.models import (
    ActionItem,
    AgendaItem,
    Meeting,
    MeetingKind,
    MeetingLevel,
    MeetingSeries,
    Minutes,
    Participant,
)
from tests import factories
from tests.browser.helpers import wait_for, wait_for_htmx
from tests.browser.test_minutes import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def series_of_two(make_user):
    """A monthly series: this month's meeting (about to start, still planned) and next month's."""
    _, _, district = factories.area_tree()
    centre = factories.organisation("桜台地域包括支援センター")
    chair = make_user("chair.sato", organisations=[centre], can_chair=True)
    series = MeetingSeries.objects.create(
        title="桜台地域ケア会議",
        kind=MeetingKind.INDIVIDUAL,
        level=MeetingLevel.DISTRICT,
        area=district,
        rrule="FREQ=MONTHLY;BYDAY=3WE",
        organiser=centre,
        chair=chair,
    )
    meetings = []
    for days in (0, 28):
        meeting = factories.meeting(
            area=district,
            organiser=centre,
            chair=chair,
            series=series,
            title=f"桜台地域ケア会議 {days}",
            starts_in=datetime.timedelta(days=days, hours=1),
        )
        factories.participant(
            meeting=meeting, user=chair, organisation=centre, role=Participant.Role.CHAIR
        )
        meetings.append(meeting)
    return chair, centre, meetings[0], meetings[1]


def add_agenda_item(browser, title):
    form = browser.find_element(By.ID, "agenda-add")
    form.find_element(By.CSS_SELECTOR, "select[name=kind] option[value=report]").click()
    field = form.find_element(By.CSS_SELECTOR, "input[name=title]")
    field.clear()
    field.send_keys(title)
    form.find_element(By.CSS_SELECTOR, "button.button-primary").click()
    wait_for(
        browser,
        EC.text_to_be_present_in_element((By.ID, "agenda-items"), title),
    )
    wait_for_htmx(browser)


def titles_in_order(meeting):
    """The stored order, or None while the server holds the (SQLite, shared) table."""
    try:
        return list(meeting.agenda_items.order_by("order").values_list("title", flat=True))
    except OperationalError:
        return None


def test_build_the_agenda_record_minutes_approve_and_carry_the_action_over(
    browser, live_server, series_of_two
):
    chair, centre, meeting, following = series_of_two
    agenda_url = reverse("staff:agenda_builder", args=[meeting.uid])
    log_in(browser, live_server, chair, agenda_url)

    # 1. The agenda: two items, then the second dragged above the first by its handle.
    add_agenda_item(browser, "見守りネットワークの報告")
    add_agenda_item(browser, "配食サービスの空き状況")
    assert titles_in_order(meeting) == ["見守りネットワークの報告", "配食サービスの空き状況"]
    items = browser.find_elements(By.CSS_SELECTOR, "#agenda-items .agenda-item")
    handle = items[1].find_element(By.CSS_SELECTOR, ".agenda-handle")
    wait_for(browser, EC.visibility_of(handle))
    height = items[0].size["height"]
    (
        ActionChains(browser)
        .click_and_hold(handle)
        .pause(0.2)
        .move_to_element_with_offset(items[0], 0, -height // 4)
        .pause(0.2)
        .move_to_element_with_offset(items[0], 0, -height // 2 + 2)
        .pause(0.2)
        .release()
        .perform()
    )
    wait_for(
        browser,
        lambda _: (
            titles_in_order(meeting) == ["配食サービスの空き状況", "見守りネットワークの報告"]
        ),
    )
    wait_for_htmx(browser)
    first = meeting.agenda_items.get(order=1)

    # 2. The minutes of that item, with an action item.
    browser.get(live_server.url + reverse("staff:meeting_detail", args=[meeting.uid]))
    minutes_url = reverse("staff:minutes", args=[meeting.uid])
    browser.find_element(By.CSS_SELECTOR, f"main a[href='{minutes_url}']").click()
    section = f"#item-{first.pk}"
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, section)))
    wait_for_htmx(browser)  # the page's own htmx loads (evidence panels) are done
    summary = browser.find_element(By.ID, f"id_item-{first.pk}-summary")
    summary.send_keys("土日の配食に空きがない")
    browser.find_element(
        By.CSS_SELECTOR, f"{section} .item-minutes-form button.button-primary"
    ).click()
    wait_for(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, f"{section}[data-version='2']")),
    )
    wait_for_htmx(browser)
    browser.find_element(By.CSS_SELECTOR, f"{section} details.add-action summary").click()
    browser.find_element(By.ID, f"id_item-{first.pk}-action-description").send_keys(
        "配食事業者に土日の対応を相談する"
    )
    browser.find_element(
        By.CSS_SELECTOR, f"{section} details.add-action button[type=submit]"
    ).click()
    wait_for(
        browser,
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, f"{section} .action-items"), "配食事業者に土日の対応を相談する"
        ),
    )
    wait_for_htmx(browser)
    action = ActionItem.objects.get(agenda_item=first)
    assert action.organisation == centre
    assert action.status == ActionItem.Status.OPEN
    assert action.due_on == timezone.localtime(meeting.starts_at).date() + datetime.timedelta(
        days=14
    )

    # 3. Approval: locked, and the open action goes to the next meeting of the series.
    browser.find_element(By.CSS_SELECTOR, "button[name=approve]").click()
    wait_for(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-minutes-status='approved']")),
    )
    wait_for_htmx(browser)
    assert Minutes.objects.get(meeting=meeting).status == Minutes.Status.APPROVED

    browser.get(live_server.url + reverse("staff:agenda_builder", args=[following.uid]))
    carried = wait_for(
        browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#agenda-items .agenda-actions"))
    )
    wait_for_htmx(browser)
    assert "配食事業者に土日の対応を相談する" in carried.text
    item = AgendaItem.objects.get(meeting=following, kind=AgendaItem.Kind.CARRIED_OVER)
    assert list(item.carried_actions.all()) == [action]
    assert Meeting.objects.get(pk=following.pk).status == Meeting.Status.PLANNED
