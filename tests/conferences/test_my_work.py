"""My work (/staff/me/): open action items, overdue first and marked; meetings I take part in
for the next 30 days; cases due for review among those I can see; in constant queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import ActionItem, Participant
from tests import factories

pytestmark = pytest.mark.django_db


def _world(n=1):
    _, _, district = factories.area_tree()
    centre = factories.organisation()
    nursery = factories.organisation("桜台こども家庭センター")
    other = factories.organisation("別の事業所")
    me = factories.user(organisations=[centre, nursery], last_name="自分")
    colleague = factories.user(organisations=[centre])
    today = timezone.localdate()
    for i in range(n):
        meeting = factories.meeting(area=district, organiser=centre, title=f"私の会議{i}", chair=me)
        item = factories.agenda_item(meeting=meeting)
        factories.action_item(
            agenda_item=item, organisation=centre, assignee=me, description=f"私の作業{i}"
        )
        factories.action_item(
            agenda_item=item,
            organisation=nursery,
            description=f"担当者なしの作業{i}",
            due_in_days=-3,
        )
        factories.action_item(
            agenda_item=item, organisation=centre, assignee=colleague, description=f"同僚の作業{i}"
        )
        factories.action_item(agenda_item=item, organisation=other, description=f"他機関の作業{i}")
        factories.action_item(
            agenda_item=item,
            organisation=centre,
            assignee=me,
            description=f"済んだ作業{i}",
            status=ActionItem.Status.DONE,
        )
        recorded = factories.meeting(
            area=district, organiser=other, title=f"記録する会議{i}", recorder=me
        )
        joined = factories.meeting(
            area=district, organiser=other, title=f"出席する会議{i}",
            starts_in=datetime.timedelta(days=20),
        )  # fmt: skip
        Participant.objects.create(meeting=joined, organisation=nursery, user=me)
        factories.meeting(
            area=district, organiser=centre, title=f"来月末の会議{i}", chair=me,
            starts_in=datetime.timedelta(days=45),
        )  # fmt: skip
        factories.meeting(area=district, organiser=centre, title=f"他人の会議{i}")
        factories.case(district=district, lead=centre, code=f"K-DUE-{i}",
                       next_review_on=today + datetime.timedelta(days=10))  # fmt: skip
        factories.case(district=district, lead=nursery, code=f"K-LATE-{i}",
                       next_review_on=today - datetime.timedelta(days=5))  # fmt: skip
        factories.case(district=district, lead=centre, code=f"K-LATER-{i}",
                       next_review_on=today + datetime.timedelta(days=90))  # fmt: skip
        factories.case(district=district, lead=other, code=f"K-OTHER-{i}",
                       next_review_on=today + datetime.timedelta(days=3))  # fmt: skip
        assert recorded
    return me


def test_my_work_lists_what_is_mine_across_my_organisations(client):
    me = _world()
    client.force_login(me)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(reverse("staff:my_work")).text
    for shown in ("私の作業0", "担当者なしの作業0", "私の会議0", "記録する会議0", "出席する会議0",
                  "K-DUE-0", "K-LATE-0"):  # fmt: skip
        assert shown in html, shown
    for hidden in ("同僚の作業0", "他機関の作業0", "済んだ作業0", "来月末の会議0", "他人の会議0",
                   "K-LATER-0", "K-OTHER-0"):  # fmt: skip
        assert hidden not in html, hidden
    # Overdue first, and marked.
    actions = html[html.index('class="list my-actions"') :]
    assert actions.index("担当者なしの作業0") < actions.index("私の作業0")
    overdue = actions[: actions.index("担当者なしの作業0")]
    assert 'class="overdue"' in overdue and "Overdue" in overdue
    cases = html[html.index('class="list my-cases"') :]
    assert cases.index("K-LATE-0") < cases.index("K-DUE-0")
    # The nav links to it.
    assert f'href="{reverse("staff:my_work")}" aria-current="page"' in html


def test_my_work_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    me = _world(n=4)
    client.force_login(me)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("staff:my_work")).text
    assert "K-DUE-3" in html and "私の作業3" in html


def test_dashboard_links_to_my_work(client):
    me = factories.user()
    client.force_login(me)
    assert reverse("staff:my_work") in client.get(reverse("staff:dashboard")).text
