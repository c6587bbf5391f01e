"""Escalation in a real browser: a district issue escalated from its page (htmx status form)
appears on the agenda of the region's next meeting, and the region's chair records the decision
on that meeting's minutes page (the evidence panel loaded by htmx)."""

import datetime

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conferences.models import MeetingKind, MeetingLevel, Participant
from districts.models import DistrictIssue
from resources.models import Organisation
from tests import factories
from tests.browser.helpers import wait_for, wait_for_htmx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, live_server, user, url):
    browser.get(live_server.url + reverse("staff:login") + "?next=" + url)
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(user.raw_password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, EC.url_to_be(live_server.url + url))


def test_escalated_issue_is_found_on_the_parent_meetings_agenda(browser, live_server, make_user):
    _, region, district = factories.area_tree()
    ward = factories.organisation("ひばり野区役所", kind=Organisation.Kind.GOVERNMENT)
    chair = make_user("region.chair", organisations=[ward], can_chair=True)
    meeting = factories.meeting(
        area=region,
        organiser=ward,
        chair=chair,
        title="北地域 地域ケアネットワーク会議",
        kind=MeetingKind.DISTRICT_NETWORK,
        level=MeetingLevel.REGION,
        starts_in=datetime.timedelta(days=10),
    )
    factories.participant(
        meeting=meeting, user=chair, organisation=ward, role=Participant.Role.CHAIR
    )
    issue = factories.issue(
        area=district,
        title="週末に介護者が休める場がない",
        description="土日の預かり先がない",
        status=DistrictIssue.Status.DISCUSSED,
    )

    url = reverse("staff:issue_detail", args=[issue.pk])
    log_in(browser, live_server, chair, url)
    # The evidence section arrives by htmx below the status form.
    wait_for(browser, EC.presence_of_element_located((By.ID, "issue-evidence")))
    browser.find_element(
        By.CSS_SELECTOR, "#issue-workflow input[name=to_status][value=escalated]"
    ).click()
    browser.find_element(By.CSS_SELECTOR, "#issue-workflow button[type=submit]").click()
    # The workflow section is swapped in place: the issue is now in the region.
    wait_for(
        browser,
        lambda d: "北地域" in d.find_element(By.CSS_SELECTOR, "#issue-workflow dl").text,
    )
    wait_for_htmx(browser)
    issue.refresh_from_db()
    assert (issue.status, issue.area) == (DistrictIssue.Status.ESCALATED, region)

    browser.get(live_server.url + reverse("staff:agenda_builder", args=[meeting.uid]))
    items = wait_for(
        browser,
        EC.presence_of_all_elements_located((By.CSS_SELECTOR, "#agenda-items .agenda-item")),
    )
    assert any("週末に介護者が休める場がない" in item.text for item in items)

    # On the meeting's minutes page the chair records that the issue is addressed.
    browser.get(live_server.url + reverse("staff:minutes", args=[meeting.uid]))
    form = wait_for(
        browser, EC.presence_of_element_located((By.CSS_SELECTOR, "form.decision-form"))
    )
    form.find_element(By.CSS_SELECTOR, "input[value=addressed]").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".issue-decisions li"),
    )
    wait_for_htmx(browser)
    issue.refresh_from_db()
    assert issue.status == DistrictIssue.Status.ADDRESSED
