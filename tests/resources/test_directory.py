"""The staff directory: every filter, list and map views, paging, and the organisation page."""

import datetime
import html as html_lib
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import Case, MeetingVisibility
from districts.models import TargetGroup
from resources import search
from resources.models import (
    FollowUp,
    Location,
    Organisation,
    Schedule,
    Service,
    TaxonomyTerm,
    Tie,
    Visibility,
    Visit,
)
from tests import factories

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="/staff/directory/[0-9a-f-]{36}/">([^<]+)</a>')


def listed(html: str) -> list[str]:
    """Names of the organisations linked from the results (list rows or map places)."""
    return [html_lib.unescape(name) for name in LINK.findall(html)]


@pytest.fixture
def staff(client):
    client.force_login(factories.user())
    return client


@pytest.fixture
def tree():
    return factories.population_tree()


def _service(organisation, name, *, target=TargetGroup.ALL, rrule="", categories=(), **schedule):
    service = Service.objects.create(organisation=organisation, name=name, target_group=target)
    service.categories.set(categories)
    if rrule:
        Schedule.objects.create(service=service, rrule=rrule, **schedule)
    return service


@pytest.fixture
def directory(tree):
    """Four organisations spread over the tree (see each for what the filters find)."""
    today = timezone.localdate()
    prevention = TaxonomyTerm.objects.create(code="care-prevention", name="介護予防・サロン")
    salon = factories.organisation(
        "桜台いきいきサロン",
        kind=Organisation.Kind.SALON,
        reading="さくらだいいきいきさろん",
        home_area=tree.sakuradai,
        last_verified_on=today - datetime.timedelta(days=30),
    )
    salon.areas_served.add(tree.sakuradai)
    Location.objects.create(
        organisation=salon,
        address="桜台一丁目1番1号",
        district=tree.sakuradai,
        latitude="35.600000",
        longitude="139.600000",
    )
    _service(
        salon,
        "いきいき体操",
        target=TargetGroup.ELDERLY,
        rrule="FREQ=MONTHLY;BYDAY=2WE",
        categories=[prevention],
    )
    _service(salon, "よろず相談", rrule="FREQ=WEEKLY;BYDAY=MO")

    kitchen = factories.organisation(
        "若葉こども食堂",
        kind=Organisation.Kind.NPO,
        reading="わかばこどもしょくどう",
        last_verified_on=today - datetime.timedelta(days=800),
    )
    kitchen.areas_served.add(tree.wakaba)
    Location.objects.create(
        organisation=kitchen,
        address="若葉一丁目2番3号",
        district=tree.wakaba,
        latitude="35.610000",
        longitude="139.610000",
    )
    _service(kitchen, "こども食堂", target=TargetGroup.CHILDREN, rrule="FREQ=WEEKLY;BYDAY=FR")

    office = factories.organisation(
        "ひばり野区 高齢福祉課",
        kind=Organisation.Kind.GOVERNMENT,
        reading="ひばりのくこうれいふくしか",
        home_area=tree.city,
    )
    office.areas_served.add(tree.city)
    _service(
        office,
        "高齢者の総合相談",
        target=TargetGroup.ELDERLY,
        rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    )

    shelter = factories.organisation(
        "一時避難の家",
        kind=Organisation.Kind.NPO,
        reading="いちじひなんのいえ",
        visibility=Visibility.STAFF,
        last_verified_on=today,
    )
    shelter.areas_served.add(tree.south)
    Location.objects.create(
        organisation=shelter,
        address="柏木一丁目9番9号",
        district=tree.kashiwagi,
        hide_address=True,
        latitude="35.620000",
        longitude="139.620000",
    )
    _service(
        shelter,
        "一時避難",
        target=TargetGroup.HARDSHIP,
        rrule="FREQ=WEEKLY;BYDAY=SA",
        valid_to=today - datetime.timedelta(days=1),  # no longer in force
    )
    search.organisations_search_refresh()
    return {"salon": salon, "kitchen": kitchen, "office": office, "shelter": shelter}


def _list(client, **params):
    response = client.get(reverse("staff:organisation_list"), params)
    assert response.status_code == 200
    return response.text


# Results are in 五十音 order of the reading.
ALL = ["一時避難の家", "桜台いきいきサロン", "ひばり野区 高齢福祉課", "若葉こども食堂"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL),
        # Located in: a place (or the home area) in the area or an area within it.
        ({"district": "D1"}, ["桜台いきいきサロン"]),
        ({"district": "R1"}, ["桜台いきいきサロン", "若葉こども食堂"]),
        ({"district": "139999"}, ALL),
        # Serves: the area or one above it among the areas served.
        ({"serves": "D1"}, ["桜台いきいきサロン", "ひばり野区 高齢福祉課"]),
        ({"serves": "D3"}, ["一時避難の家", "ひばり野区 高齢福祉課"]),
        ({"serves": "R1"}, ["ひばり野区 高齢福祉課"]),
        ({"kind": "npo"}, ["一時避難の家", "若葉こども食堂"]),
        ({"category": "care-prevention"}, ["桜台いきいきサロン"]),
        ({"target": "children"}, ["若葉こども食堂"]),
        ({"target": "elderly"}, ["桜台いきいきサロン", "ひばり野区 高齢福祉課"]),
        # Day of the week: weekly and monthly rules; a schedule no longer in force is not open.
        ({"day": "WE"}, ["桜台いきいきサロン", "ひばり野区 高齢福祉課"]),
        ({"day": "FR"}, ["ひばり野区 高齢福祉課", "若葉こども食堂"]),
        ({"day": "SA"}, []),
        ({"day": "SU"}, []),
        # One service must match every service filter: the salon's Monday service has no
        # category, and its category's service is on Wednesdays.
        ({"category": "care-prevention", "day": "MO"}, []),
        ({"category": "care-prevention", "day": "WE"}, ["桜台いきいきサロン"]),
        ({"visibility": "staff"}, ["一時避難の家"]),
        (
            {"visibility": "public"},
            ["桜台いきいきサロン", "ひばり野区 高齢福祉課", "若葉こども食堂"],
        ),
        # Stale: never verified, or not for 12 months.
        ({"stale": "1"}, ["ひばり野区 高齢福祉課", "若葉こども食堂"]),
        ({"q": "ｻｸﾗﾀﾞｲ", "kind": "salon"}, ["桜台いきいきサロン"]),
        ({"district": "R1", "stale": "on"}, ["若葉こども食堂"]),
    ],
)
def test_filters(staff, directory, params, expected):
    assert listed(_list(staff, **params)) == expected


def test_daily_rules_and_month_days_fall_on_every_day(staff, directory):
    _service(directory["shelter"], "電話相談", rrule="FREQ=DAILY")
    assert "一時避難の家" in listed(_list(staff, day="SU"))


def test_filters_show_what_was_chosen(staff, directory):
    html = _list(staff, district="D1", kind="salon", stale="1", day="WE", q="桜台")
    assert '<option value="D1" selected>' in html
    assert '<option value="salon" selected>' in html
    assert '<option value="WE" selected>' in html
    assert 'name="stale" id="id_stale" checked' in html
    assert 'value="桜台"' in html


def test_a_bad_filter_is_reported_and_nothing_listed(staff, directory):
    html = _list(staff, kind="castle", q="桜台")
    assert 'role="alert"' in html and "castle" in html
    assert listed(html) == []
    # The links keep what was asked, so the user sees the same error after switching views.
    assert "view=map" in html and "kind=castle" in html


def test_a_deleted_area_is_reported(staff, directory):
    html = _list(staff, district="GONE")
    assert 'role="alert"' in html and listed(html) == []


def test_old_area_links_are_redirected_to_serves(staff, directory):
    response = staff.get(reverse("staff:organisation_list"), {"area": "D1", "kind": "salon"})
    assert response.status_code == 302
    assert "serves=D1" in response.url and "kind=salon" in response.url
    assert "area=" not in response.url


def test_the_list_is_the_default_view_and_links_to_the_map_with_the_filters(staff, directory):
    html = _list(staff, kind="npo", stale="1")
    assert 'data-view="list"' in html
    assert '<input type="hidden" name="view" value="list" form="directory-filters">' in html
    assert 'href="/staff/directory/?kind=npo&amp;stale=1&amp;view=map"' in html
    assert 'hx-get="/staff/directory/?kind=npo&amp;stale=1&amp;view=map"' in html


def test_the_map_keeps_the_filters_and_links_back_to_the_list(staff, directory):
    html = _list(staff, kind="npo", view="map")
    assert '<input type="hidden" name="view" value="map" form="directory-filters">' in html
    assert 'href="/staff/directory/?kind=npo"' in html  # back to the list, filters kept
    data = json.loads(
        re.search(r'<script id="directory-map-data" type="application/json">(.*?)</script>', html)[
            1
        ]
    )
    assert sorted(point["name"] for point in data["points"]) == ["一時避難の家", "若葉こども食堂"]
    hidden = next(point for point in data["points"] if point["name"] == "一時避難の家")
    assert hidden["hidden"] is True and hidden["url"].endswith(f"/{directory['shelter'].uuid}/")
    # Without JavaScript the map view is a list of the same places, with links.
    assert sorted(listed(html)) == ["一時避難の家", "若葉こども食堂"]
    assert "柏木一丁目9番9号" in html and "tag--warning" in html


def test_the_map_of_a_district_shows_only_places_in_it(staff, directory, tree):
    # The salon also has a place in another district; "located in 桜台" maps only 桜台's.
    Location.objects.create(
        organisation=directory["salon"],
        address="若葉一丁目5番5号",
        district=tree.wakaba,
        latitude="35.615000",
        longitude="139.615000",
    )
    html = _list(staff, district="D1", view="map")
    assert "桜台一丁目1番1号" in html and "若葉一丁目5番5号" not in html


def test_htmx_gets_only_the_directory_with_the_view_field(staff, directory):
    response = staff.get(
        reverse("staff:organisation_list"),
        {"kind": "npo", "view": "map"},
        headers={"HX-Request": "true"},
    )
    text = response.text
    assert text.lstrip().startswith('<div id="directory"')
    assert "<html" not in text and 'id="directory-filters"' not in text.replace(
        'form="directory-filters"', ""
    )
    assert '<input type="hidden" name="view" value="map" form="directory-filters">' in text
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(staff, directory):
    response = staff.get(
        reverse("staff:organisation_list"),
        {"kind": "npo"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.text


def test_paging_keeps_the_filters(staff, tree):
    for n in range(55):
        factories.organisation(
            f"町会{n:02d}", reading=f"ちょうかい{n:02d}", kind=Organisation.Kind.NEIGHBOURHOOD
        )
    factories.organisation("よその団体", kind=Organisation.Kind.NPO)
    search.organisations_search_refresh()
    html = _list(staff, kind="neighbourhood", q="町会")
    assert len(listed(html)) == 50
    next_url = "/staff/directory/?q=%E7%94%BA%E4%BC%9A&amp;kind=neighbourhood&amp;page=2"
    assert f'href="{next_url}"' in html
    page_two = staff.get(html_lib.unescape(next_url)).text
    assert listed(page_two) == ["町会50", "町会51", "町会52", "町会53", "町会54"]
    assert 'rel="prev"' in page_two


def _queries(client, params, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(reverse("staff:organisation_list"), params).status_code == 200
    return len(captured)


def _more_organisations(tree, count):
    term = TaxonomyTerm.objects.get(code="care-prevention")
    for n in range(count):
        organisation = factories.organisation(
            f"サロン{n:03d}", kind=Organisation.Kind.SALON, home_area=tree.wakaba
        )
        organisation.areas_served.add(tree.wakaba)
        Location.objects.create(
            organisation=organisation,
            address=f"若葉一丁目{n}番",
            district=tree.wakaba,
            latitude="35.61",
            longitude="139.61",
        )
        _service(organisation, "サロン", rrule="FREQ=WEEKLY;BYDAY=WE", categories=[term])
    search.organisations_search_refresh()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "サロン", "district": "R1", "category": "care-prevention"},
        {"serves": "D2", "page": "1"},
        {"day": "WE", "target": "all", "stale": "1", "visibility": "public", "view": "map"},
        {"view": "map"},
    ],
)
def test_query_count_does_not_grow_with_the_directory(
    staff, directory, tree, params, django_assert_max_num_queries
):
    small = _queries(staff, params, django_assert_max_num_queries, 12)
    _more_organisations(tree, 40)
    assert _queries(staff, params, django_assert_max_num_queries, 12) == small


# --- The organisation page -------------------------------------------------------------------


def _page(client, organisation):
    response = client.get(reverse("staff:organisation_detail", args=[organisation.uuid]))
    assert response.status_code == 200
    return response.text


def test_the_page_shows_services_with_schedules_and_locations(staff, directory):
    html = _page(staff, directory["salon"])
    assert "いきいき体操" in html and "よろず相談" in html and "介護予防・サロン" in html
    assert "10:00" not in html  # no hours recorded
    schedule = Schedule.objects.get(service__name="いきいき体操")
    schedule.opens_at, schedule.closes_at = datetime.time(10), datetime.time(12)
    schedule.save()
    html = _page(staff, directory["salon"])
    assert "10:00" in html and "12:00" in html
    assert "桜台一丁目1番1号" in html


def test_staff_see_hidden_addresses_marked(staff, directory):
    html = _page(staff, directory["shelter"])
    assert "柏木一丁目9番9号" in html and "tag--warning" in html


def test_the_page_counts_cases_and_never_names_them(staff, directory, tree):
    salon, office = directory["salon"], directory["office"]
    first = factories.case(district=tree.sakuradai, lead=office, others=[salon])
    second = factories.case(district=tree.sakuradai, lead=salon)
    factories.case(district=tree.sakuradai, lead=office)  # not on this one
    Case.objects.filter(pk=second.pk).update(status=Case.Status.CLOSED)
    html = _page(staff, salon)
    count = re.search(r'<p class="case-count">(.*?)</p>', html, re.S)[1]
    assert re.findall(r"\d+", count) == ["2", "1"]  # two cases, one open
    for case in Case.objects.all():
        assert case.code not in html and str(case.public_id) not in html
    assert first.code not in html


def test_the_page_shows_visits_with_follow_ups(staff, directory):
    person = factories.user("suzuki", first_name="花子", last_name="鈴木")
    visit = Visit.objects.create(
        organisation=directory["salon"],
        visited_on=datetime.date(2026, 5, 20),
        staff=person,
        heard="会場の階段がつらいという声がある",
    )
    FollowUp.objects.create(
        visit=visit, description="エレベーターのある会場を探す", due_on=datetime.date(2026, 6, 30)
    )
    html = _page(staff, directory["salon"])
    assert "会場の階段がつらいという声がある" in html
    assert "エレベーターのある会場を探す" in html and "鈴木" in html


def test_the_page_shows_ties_in_both_directions(staff, directory):
    salon, kitchen, office = directory["salon"], directory["kitchen"], directory["office"]
    Tie.objects.create(source=salon, target=kitchen, kind=Tie.Kind.COLLABORATES)
    Tie.objects.create(source=office, target=salon, kind=Tie.Kind.REFERS, note="介護予防の紹介")
    html = _page(staff, salon)
    assert 'class="tie tie--outgoing"' in html and 'class="tie tie--incoming"' in html
    assert "若葉こども食堂" in html and "ひばり野区 高齢福祉課" in html
    assert "介護予防の紹介" in html
    # And from the other end, the same tie reads the other way.
    assert 'class="tie tie--incoming"' in _page(staff, kitchen)


def test_the_page_lists_issues_the_organisation_works_on(staff, directory, tree):
    salon, office = directory["salon"], directory["office"]
    presented = factories.issue(area=tree.sakuradai, title="サロンの会場が足りない")
    acted = factories.issue(area=tree.sakuradai, title="男性の参加が少ない")
    secret = factories.issue(area=tree.sakuradai, title="要対協で出た課題")
    other = factories.issue(area=tree.sakuradai, title="ほかの団体の課題")
    meeting = factories.meeting(area=tree.sakuradai, organiser=office)
    factories.agenda_item(meeting=meeting, district_issue=presented, presenting_organisation=salon)
    item = factories.agenda_item(meeting=meeting, order=2, district_issue=acted)
    factories.action_item(agenda_item=item, organisation=salon)
    factories.agenda_item(meeting=meeting, order=3, district_issue=other)
    confidential = factories.meeting(
        area=tree.sakuradai, organiser=office, visibility=MeetingVisibility.CONFIDENTIAL
    )
    factories.agenda_item(
        meeting=confidential, district_issue=secret, presenting_organisation=salon
    )
    html = _page(staff, salon)
    assert "サロンの会場が足りない" in html and "男性の参加が少ない" in html
    assert "ほかの団体の課題" not in html
    assert "要対協で出た課題" not in html  # a meeting this user may not see
    assert 'class="empty-state"' not in html.split('id="issues"')[1].split("</section>")[0]
    assert 'class="empty-state"' in _page(staff, directory["kitchen"])


def test_the_page_query_count_does_not_grow(staff, directory, tree, django_assert_max_num_queries):
    salon = directory["salon"]
    term = TaxonomyTerm.objects.get(code="care-prevention")

    def grow(count):
        for n in range(count):
            service = _service(salon, f"講座{n}", rrule="FREQ=WEEKLY;BYDAY=TU", categories=[term])
            location = Location.objects.create(
                organisation=salon, address=f"桜台{n}", district=tree.sakuradai
            )
            service.locations.add(location)
            visit = Visit.objects.create(
                organisation=salon,
                visited_on=datetime.date(2026, 5, n + 1),
                staff=factories.user(),
                heard="声",
            )
            FollowUp.objects.create(
                visit=visit,
                description="確認",
                due_on=datetime.date(2026, 7, 1),
                assignee=factories.user(),
            )
            factories.case(district=tree.sakuradai, lead=salon)
            other = factories.organisation(f"連携先{count}-{n}")
            Tie.objects.create(source=salon, target=other, kind=Tie.Kind.COLLABORATES)
            Tie.objects.create(source=other, target=salon, kind=Tie.Kind.REFERS)

    grow(1)
    # 22: two of them read the user's permissions (the "Edit" link).
    with django_assert_max_num_queries(22) as captured:
        _page(staff, salon)
    small = len(captured)
    grow(6)
    with django_assert_max_num_queries(22) as captured:
        _page(staff, salon)
    assert len(captured) == small


def test_the_page_needs_a_login(client, directory):
    response = client.get(reverse("staff:organisation_detail", args=[directory["salon"].uuid]))
    assert response.status_code == 302 and "/login/" in response.url
