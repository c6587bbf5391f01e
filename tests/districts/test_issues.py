"""District issues (地域課題): the status flow, escalation up the tree, reasons, concurrent changes,
the list's filters and the pages that raise and move issues."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from districts import services
from districts.models import Area, DistrictIssue, TargetGroup
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in the source language, whatever the catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


Status = DistrictIssue.Status
ALLOWED = [
    (before, after) for before, nexts in services.ISSUE_TRANSITIONS.items() for after in nexts
]
FORBIDDEN = [
    (before, after)
    for before, after in itertools.product(Status.values, Status.values)
    if before != after and (before, after) not in ALLOWED
]


@pytest.fixture
def tree():
    return factories.area_tree()


@pytest.fixture
def person():
    return factories.user("sato", first_name="花子", last_name="佐藤")


def raise_issue(area, user, **fields):
    defaults = {
        "title": "週末に介護者が休める場がない",
        "description": "家族介護者から相談が続いている。",
        "target_group": TargetGroup.ELDERLY,
    }
    return services.issue_raise(area=area, user=user, **(defaults | fields))


def move(issue, to_status, user, reason="会議で確認した。"):
    return services.issue_change_status(
        issue=issue, to_status=to_status, reason=reason, user=user, expected_version=issue.version
    )


def issue_in(status, *, area, user):
    """An issue brought to `status` through the flow (so its history is real), at `area`."""
    paths = {
        Status.RAISED: [],
        Status.DISCUSSED: [Status.DISCUSSED],
        Status.ESCALATED: [Status.DISCUSSED, Status.ESCALATED],
        Status.ADDRESSED: [Status.DISCUSSED, Status.ADDRESSED],
        Status.CLOSED: [Status.CLOSED],
    }
    issue = raise_issue(area, user)
    for step in paths[status]:
        move(issue, step, user)
    return issue


def test_raising_records_the_first_step_with_who_and_where(tree, person):
    _, _, district = tree
    issue = raise_issue(district, person)
    assert issue.status == Status.RAISED
    assert issue.area == district and issue.raised_in == district
    assert issue.raised_on is not None
    (change,) = issue.status_changes.all()
    assert (change.from_status, change.to_status) == ("", Status.RAISED)
    assert change.changed_by == person and change.to_area == district
    assert change.changed_at is not None


def test_raising_without_a_title_is_refused(tree, person):
    with pytest.raises(ValidationError) as error:
        raise_issue(tree[2], person, title="  ")
    assert "title" in error.value.message_dict
    assert not DistrictIssue.objects.exists()


@pytest.mark.parametrize(("before", "after"), ALLOWED)
def test_every_allowed_step(tree, person, before, after):
    district = tree[2]
    issue = issue_in(before, area=district, user=person)
    area_before, version_before, steps_before = (
        issue.area,
        issue.version,
        issue.status_changes.count(),
    )

    move(issue, after, person, reason="理由を記録する。")

    issue.refresh_from_db()
    assert issue.status == after
    assert issue.version == version_before + 1
    assert issue.status_changes.count() == steps_before + 1
    last = issue.status_changes.last()
    assert (last.from_status, last.to_status) == (before, after)
    assert last.changed_by == person and last.reason == "理由を記録する。"
    assert last.from_area == area_before
    expected_area = area_before.parent if after == Status.ESCALATED else area_before
    assert issue.area == expected_area == last.to_area


@pytest.mark.parametrize(("before", "after"), FORBIDDEN)
def test_forbidden_steps_are_refused_and_write_nothing(tree, person, before, after):
    issue = issue_in(before, area=tree[2], user=person)
    version, steps, area = issue.version, issue.status_changes.count(), issue.area_id
    with pytest.raises(ValidationError) as error:
        move(issue, after, person)
    assert error.value.code == "invalid_transition"
    assert str(Status(before).label) in error.value.messages[0]
    issue.refresh_from_db()
    assert (issue.status, issue.version, issue.area_id) == (before, version, area)
    assert issue.status_changes.count() == steps


def test_the_flow_leaves_closed_only_by_reopening():
    assert services.ISSUE_TRANSITIONS[Status.CLOSED] == (Status.DISCUSSED,)
    assert (Status.RAISED, Status.ESCALATED) in FORBIDDEN
    assert (Status.CLOSED, Status.ADDRESSED) in FORBIDDEN


def test_moving_to_the_same_status_is_refused(tree, person):
    issue = issue_in(Status.DISCUSSED, area=tree[2], user=person)
    with pytest.raises(ValidationError, match="already"):
        move(issue, Status.DISCUSSED, person)


def test_escalation_climbs_the_tree_and_keeps_the_history(tree, person):
    city, region, district = tree
    issue = issue_in(Status.DISCUSSED, area=district, user=person)

    services.issue_escalate(
        issue=issue, reason="地区では解決できない。", user=person, expected_version=issue.version
    )
    assert issue.area == region and issue.status == Status.ESCALATED
    move(issue, Status.DISCUSSED, person)  # discussed again, at the region's meeting
    assert issue.area == region
    services.issue_escalate(
        issue=issue, reason="全区の課題。", user=person, expected_version=issue.version
    )

    issue.refresh_from_db()
    assert issue.area == city and issue.raised_in == district
    history = list(issue.status_changes.order_by("changed_at", "pk"))
    assert [(c.from_status, c.to_status) for c in history] == [
        ("", Status.RAISED),
        (Status.RAISED, Status.DISCUSSED),
        (Status.DISCUSSED, Status.ESCALATED),
        (Status.ESCALATED, Status.DISCUSSED),
        (Status.DISCUSSED, Status.ESCALATED),
    ]
    moves = [(c.from_area, c.to_area) for c in history if c.from_area != c.to_area]
    assert moves == [(district, region), (region, city)]
    assert history[2].reason == "地区では解決できない。"


def test_escalating_a_municipality_issue_is_refused(tree, person):
    city, _, _ = tree
    issue = issue_in(Status.DISCUSSED, area=city, user=person)
    assert Status.ESCALATED not in services.issue_next_statuses(issue=issue)
    with pytest.raises(ValidationError) as error:
        services.issue_escalate(issue=issue, reason="", user=person, expected_version=issue.version)
    assert error.value.code == "no_parent"
    issue.refresh_from_db()
    assert issue.area == city and issue.status == Status.DISCUSSED


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_closing_without_a_reason_is_refused(tree, person, reason):
    issue = issue_in(Status.ADDRESSED, area=tree[2], user=person)
    with pytest.raises(ValidationError) as error:
        move(issue, Status.CLOSED, person, reason=reason)
    assert "reason" in error.value.message_dict
    issue.refresh_from_db()
    assert issue.status == Status.ADDRESSED and issue.closed_reason == ""


def test_closing_keeps_the_reason_and_reopening_needs_one_too(tree, person):
    issue = issue_in(Status.ADDRESSED, area=tree[2], user=person)
    move(issue, Status.CLOSED, person, reason="サロンが始まり、効果を確認した。")
    assert issue.closed_reason == "サロンが始まり、効果を確認した。"

    with pytest.raises(ValidationError) as error:
        move(issue, Status.DISCUSSED, person, reason="")
    assert "reason" in error.value.message_dict

    move(issue, Status.DISCUSSED, person, reason="同じ相談が再び増えている。")
    assert issue.status == Status.DISCUSSED and issue.closed_reason == ""
    assert issue.status_changes.filter(reason="サロンが始まり、効果を確認した。").exists()


def test_a_change_based_on_an_old_version_is_refused(tree, person):
    other = factories.user("tanaka")
    issue = issue_in(Status.DISCUSSED, area=tree[2], user=person)
    mine = DistrictIssue.objects.get(pk=issue.pk)
    theirs = DistrictIssue.objects.get(pk=issue.pk)

    move(theirs, Status.ADDRESSED, other)
    with pytest.raises(ValidationError) as error:
        services.issue_change_status(
            issue=mine,
            to_status=Status.ESCALATED,
            reason="",
            user=person,
            expected_version=mine.version,
        )
    assert error.value.code == "stale"
    issue.refresh_from_db()
    assert issue.status == Status.ADDRESSED and issue.area == tree[2]
    assert issue.status_changes.last().changed_by == other


def test_the_version_is_read_from_the_database_not_the_object_in_hand(tree, person):
    issue = issue_in(Status.RAISED, area=tree[2], user=person)
    stale_copy = DistrictIssue.objects.get(pk=issue.pk)
    move(issue, Status.DISCUSSED, person)
    # The copy still says "raised", but the caller names the version it saw: refused, not applied
    # to a status it never saw.
    with pytest.raises(ValidationError) as error:
        services.issue_change_status(
            issue=stale_copy, to_status=Status.CLOSED, reason="x", user=person, expected_version=1
        )
    assert error.value.code == "stale"


# --- Pages ------------------------------------------------------------------------------------


@pytest.fixture
def staff(client, person):
    client.force_login(person)
    return client


def test_issue_pages_require_login(client, tree):
    issue = factories.issue(area=tree[2])
    for url in [
        reverse("staff:issue_list"),
        reverse("staff:issue_raise"),
        reverse("staff:issue_detail", args=[issue.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("staff:login"))


def test_raise_form_preselects_the_area_and_creates_the_issue(staff, tree, person):
    _, _, district = tree
    html = staff.get(reverse("staff:issue_raise"), {"area": district.code}).text
    assert f'<option value="{district.code}" selected>' in html

    response = staff.post(
        reverse("staff:issue_raise"),
        {
            "area": district.code,
            "title": "買い物に行けない高齢者が多い",
            "description": "坂が多い。",
            "target_group": TargetGroup.ELDERLY,
        },
    )
    issue = DistrictIssue.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("staff:issue_detail", args=[issue.pk])
    assert issue.area == district and issue.status_changes.get().changed_by == person


def test_raise_form_keeps_the_text_and_says_what_is_missing(staff, tree):
    response = staff.post(
        reverse("staff:issue_raise"),
        {"area": "", "title": "", "description": "入力した説明文", "target_group": "nobody"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"area", "title", "target_group"}
    assert "入力した説明文" in response.text
    assert not DistrictIssue.objects.exists()


def test_detail_shows_the_timeline_and_offers_only_allowed_moves(staff, tree, person):
    _, region, district = tree
    issue = issue_in(Status.DISCUSSED, area=district, user=person)
    services.issue_escalate(
        issue=issue, reason="地区の資源では足りない。", user=person, expected_version=issue.version
    )
    response = staff.get(reverse("staff:issue_detail", args=[issue.pk]))
    html = response.text
    assert "佐藤" in html  # who
    assert "地区の資源では足りない。" in html  # why
    assert f"{district.name}" in html and f"{region.name}" in html  # where from and to
    offered = {
        value for value, _label in response.context["form"].fields["to_status"].widget.choices
    }
    assert offered == {Status.DISCUSSED, Status.ADDRESSED, Status.CLOSED}
    assert f'value="{Status.RAISED}"' not in html


def test_status_change_by_plain_post_redirects_to_the_issue(staff, tree, person):
    issue = issue_in(Status.DISCUSSED, area=tree[2], user=person)
    response = staff.post(
        reverse("staff:issue_change_status", args=[issue.pk]),
        {"to_status": Status.ESCALATED, "reason": "上位で検討", "version": issue.version},
    )
    assert response.status_code == 302
    assert response.url == reverse("staff:issue_detail", args=[issue.pk])
    issue.refresh_from_db()
    assert issue.status == Status.ESCALATED and issue.area == tree[1]


def test_status_change_with_htmx_returns_the_issue_section(staff, tree, person):
    issue = issue_in(Status.DISCUSSED, area=tree[2], user=person)
    response = staff.post(
        reverse("staff:issue_change_status", args=[issue.pk]),
        {"to_status": Status.ADDRESSED, "reason": "見守り隊を結成", "version": issue.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and 'id="issue-workflow"' in html
    assert "見守り隊を結成" in html
    assert f'name="version" value="{issue.version + 1}"' in html


def test_refused_status_change_keeps_the_typed_text(staff, tree, person):
    issue = issue_in(Status.ADDRESSED, area=tree[2], user=person)
    response = staff.post(
        reverse("staff:issue_change_status", args=[issue.pk]),
        {"to_status": Status.CLOSED, "reason": "", "version": issue.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Say why the issue is closed." in response.text
    issue.refresh_from_db()
    assert issue.status == Status.ADDRESSED

    response = staff.post(
        reverse("staff:issue_change_status", args=[issue.pk]),
        {"to_status": Status.RAISED, "reason": "書きかけの理由", "version": issue.version},
    )
    assert response.status_code == 200
    assert "書きかけの理由" in response.text
    assert response.context["form"].non_field_errors()


def test_stale_status_change_shows_the_issue_as_it_is_now(staff, tree, person):
    issue = issue_in(Status.DISCUSSED, area=tree[2], user=person)
    old_version = issue.version
    move(DistrictIssue.objects.get(pk=issue.pk), Status.CLOSED, factories.user(), reason="終結")
    response = staff.post(
        reverse("staff:issue_change_status", args=[issue.pk]),
        {"to_status": Status.ADDRESSED, "reason": "私の理由", "version": old_version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    issue.refresh_from_db()
    assert issue.status == Status.CLOSED
    html = response.text
    assert "Someone else changed this issue" in html and "私の理由" in html
    # The form now carries the stored version and offers the moves from "closed" only.
    assert f'name="version" value="{issue.version}"' in html
    assert f'value="{Status.DISCUSSED}"' in html
    assert f'value="{Status.ADDRESSED}"' not in html


# --- The list -------------------------------------------------------------------------------


@pytest.fixture
def spread(tree, person):
    """Issues at every level, in two districts, with different statuses and target groups."""
    city, region, district = tree
    other_district = Area.objects.create(
        level=Area.Level.DISTRICT, parent=region, code=f"{region.code}-D2", name="若葉町"
    )
    made = {
        "city": raise_issue(city, person, title="全区の課題", target_group=TargetGroup.ALL),
        "region": raise_issue(
            region, person, title="地域の課題", target_group=TargetGroup.CHILDREN
        ),
        "district": raise_issue(district, person, title="桜台の課題"),
        "other": raise_issue(other_district, person, title="若葉町の課題"),
        "closed": raise_issue(district, person, title="終わった課題"),
    }
    move(made["closed"], Status.CLOSED, person, reason="解決済み")
    move(made["other"], Status.DISCUSSED, person)
    return made


def titles(response):
    return {issue.title for issue in response.context["page"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"全区の課題", "地域の課題", "桜台の課題", "若葉町の課題", "終わった課題"}),
        ({"level": "district"}, {"桜台の課題", "若葉町の課題", "終わった課題"}),
        ({"level": "region"}, {"地域の課題"}),
        ({"status": "discussed"}, {"若葉町の課題"}),
        ({"status": "open"}, {"全区の課題", "地域の課題", "桜台の課題", "若葉町の課題"}),
        ({"status": "closed"}, {"終わった課題"}),
        ({"target": "children"}, {"地域の課題"}),
        ({"target": "elderly", "level": "district", "status": "raised"}, {"桜台の課題"}),
    ],
)
def test_list_filters(staff, spread, query, expected):
    response = staff.get(reverse("staff:issue_list"), query)
    assert response.status_code == 200
    assert titles(response) == expected


def test_area_filter_with_and_without_sub_areas(staff, tree, spread):
    city, region, district = tree
    url = reverse("staff:issue_list")
    assert titles(staff.get(url, {"area": region.code})) == {"地域の課題"}
    assert titles(staff.get(url, {"area": region.code, "sub": "1"})) == {
        "地域の課題",
        "桜台の課題",
        "若葉町の課題",
        "終わった課題",
    }
    assert len(titles(staff.get(url, {"area": city.code, "sub": "1"}))) == 5
    assert titles(staff.get(url, {"area": district.code, "status": "open"})) == {"桜台の課題"}


def test_an_escalated_issue_is_listed_where_it_is_now(staff, tree, person, spread):
    _, region, district = tree
    issue = spread["district"]
    move(issue, Status.DISCUSSED, person)
    move(issue, Status.ESCALATED, person)
    url = reverse("staff:issue_list")
    assert "桜台の課題" in titles(staff.get(url, {"area": region.code}))
    assert "桜台の課題" not in titles(staff.get(url, {"area": district.code}))
    # It still says where it came from.
    assert district.name in staff.get(url, {"area": region.code}).text


def test_unknown_filter_values_are_reported_not_ignored(staff, spread):
    response = staff.get(reverse("staff:issue_list"), {"area": "nowhere", "status": "lost"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"area", "status"}
    assert titles(response) == set()
    assert 'role="alert"' in response.text


def test_htmx_gets_only_the_results_and_paging_keeps_the_filters(staff, tree, person):
    _, _, district = tree
    for n in range(53):
        factories.issue(area=district, title=f"課題{n:02d}", raised_in=district)
    response = staff.get(
        reverse("staff:issue_list"),
        {"area": district.code, "status": "raised"},
        headers={"HX-Request": "true"},
    )
    html = response.text
    assert "<html" not in html and html.lstrip().startswith('<div id="results">')
    assert len(response.context["page"]) == 50
    assert f"?page=2&amp;area={district.code}&amp;status=raised" in html
    second = staff.get(
        reverse("staff:issue_list"), {"area": district.code, "status": "raised", "page": 2}
    )
    assert len(second.context["page"]) == 3


def test_list_query_count_does_not_grow_with_issues(staff, tree):
    city, region, district = tree
    url = reverse("staff:issue_list")
    query = {"area": city.code, "sub": "1"}

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(url, query).status_code == 200
        return len(captured)

    factories.issue(area=district, raised_in=district)
    few = queries()
    for n in range(30):
        factories.issue(area=[city, region, district][n % 3], raised_in=district, title=f"課題{n}")
    assert queries() == few


# --- Demo data ------------------------------------------------------------------------------


def test_a_change_racing_between_read_and_write_is_refused(tree, person, monkeypatch):
    """The version check and the write are one compare-and-swap: a change that lands after the
    service read the issue, but before it wrote, makes the write match no row."""
    issue = issue_in(Status.DISCUSSED, area=tree[2], user=person)

    class Racing(dict):
        def get(self, key, default=None):
            DistrictIssue.objects.filter(pk=issue.pk).update(version=F("version") + 1)
            return super().get(key, default)

    monkeypatch.setattr(services, "ISSUE_TRANSITIONS", Racing(services.ISSUE_TRANSITIONS))
    with pytest.raises(ValidationError) as error:
        move(issue, Status.ADDRESSED, person)
    assert error.value.code == "stale"
    assert DistrictIssue.objects.get(pk=issue.pk).status == Status.DISCUSSED
    assert issue.status_changes.count() == 2
