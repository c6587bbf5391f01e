"""The area page at each level: figures, resources and map, meetings, issues, partners."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conferences.models import Meeting, MeetingVisibility
from districts.models import Area, Assessment, DistrictIssue, PopulationFigure, TargetGroup
from districts.selectors import assessment_default_year
from resources.models import Location, Organisation, Service, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

SURVEY = datetime.date(2026, 1, 1)
YEAR_BEFORE = datetime.date(2025, 1, 1)
Kind = Organisation.Kind


def square(lon, lat, size=0.01):
    """A GeoJSON Polygon: a square whose south-west corner is (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def figures(area, day, counts):
    PopulationFigure.objects.bulk_create(
        PopulationFigure(area=area, surveyed_on=day, age_band=band, count=count)
        for band, count in counts.items()
    )


@pytest.fixture
def territory():
    """ひばり野区 → 北地域 (桜台, 若葉) and 南地域 (柏木), with population figures.

    By hand: 桜台 1,000 residents (65+ 250, 75+ 100; 900 a year before), 若葉 500 (65+ 100),
    柏木 500 (no one over 65). 北地域 1,500 (65+ 350 = 23.3%, 75+ 100 = 6.7%);
    the ward 2,000 (65+ 350 = 17.5%, 75+ 100 = 5.0%).
    """
    city, north, sakura = factories.area_tree()
    sakura.boundary = square(139.60, 35.60)
    sakura.save()
    wakaba = Area.objects.create(
        level=Area.Level.DISTRICT,
        parent=north,
        code=f"{north.code}-D2",
        name="若葉",
        reading="わかば",
        boundary=square(139.61, 35.60),
    )
    south = Area.objects.create(
        level=Area.Level.REGION,
        parent=city,
        code=f"{city.code}-R2",
        name="南地域",
        reading="みなみ",
    )
    kashiwa = Area.objects.create(
        level=Area.Level.DISTRICT,
        parent=south,
        code=f"{city.code}-R2-D1",
        name="柏木",
        reading="かしわぎ",
    )
    figures(
        sakura,
        SURVEY,
        {"0-4": 100, "10-14": 50, "40-44": 500, "65-69": 150, "75-79": 100, "20-24": 100},
    )
    figures(sakura, YEAR_BEFORE, {"0-4": 100, "40-44": 600, "65-69": 200})
    figures(wakaba, SURVEY, {"0-4": 50, "40-44": 350, "70-74": 100})
    figures(kashiwa, SURVEY, {"40-44": 500})
    return {
        "city": city,
        "north": north,
        "sakura": sakura,
        "wakaba": wakaba,
        "south": south,
        "kashiwa": kashiwa,
    }


def page(client, area, **params):
    response = client.get(reverse("staff:area_detail", args=[area.code]), params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("level", "total", "ageing", "ageing_75", "html_total", "html_rate"),
    [
        ("sakura", 1000, 25.0, 10.0, "1,000", "25.0%"),
        ("north", 1500, 350 / 15, 100 / 15, "1,500", "23.3%"),
        ("city", 2000, 17.5, 5.0, "2,000", "17.5%"),
    ],
)
def test_population_aggregates_at_each_level(
    client, territory, level, total, ageing, ageing_75, html_total, html_rate
):
    client.force_login(factories.user())
    response = page(client, territory[level])
    population = response.context["population"]
    assert population.surveyed_on == SURVEY
    assert population.total == total
    assert population.ageing_rate == pytest.approx(ageing)
    assert population.ageing_rate_75 == pytest.approx(ageing_75)
    html = response.text
    assert html_total in html and html_rate in html
    # The chart and, beside it, the same figures as a table.
    assert html.count('class="bar"') == 18
    assert "population-table" in html


def test_district_shows_children_and_change_since_the_year_before(client, territory):
    client.force_login(factories.user())
    population = page(client, territory["sakura"]).context["population"]
    # 0–5: 0-4 plus a fifth of 5-9 (none); 6–17: all of 10-14 (50).
    assert (population.children_0_5, population.children_6_17) == (100, 50)
    assert population.total_change == 100  # 1,000 now, 900 a year before
    assert population.ageing_rate_change == pytest.approx(25.0 - 200 / 9)


def test_area_without_figures_says_so(client, territory):
    empty = Area.objects.create(
        level=Area.Level.DISTRICT, parent=territory["south"], code="EMPTY", name="空地区"
    )
    client.force_login(factories.user())
    response = page(client, empty)
    assert not response.context["population"].has_figures
    assert 'class="bar"' not in response.text


@pytest.fixture
def directory(territory):
    """Organisations located in or serving the districts, and one elsewhere."""
    t = territory
    centre = factories.organisation("桜台あんしんすこやかセンター", kind=Kind.COMMUNITY_CARE_CENTRE)
    Location.objects.create(
        organisation=centre,
        address="ひばり野区桜台一丁目1番1号",
        district=t["sakura"],
        latitude="35.605000",
        longitude="139.605000",
    )
    Service.objects.create(organisation=centre, name="総合相談", target_group=TargetGroup.ELDERLY)
    town = factories.organisation(
        "桜台まちづくりセンター", kind=Kind.TOWN_OFFICE, home_area=t["sakura"]
    )
    council = factories.organisation("ひばり野区社会福祉協議会 桜台", kind=Kind.WELFARE_COUNCIL)
    council.areas_served.add(t["sakura"])
    clinic = factories.organisation("さくら内科", kind=Kind.MEDICAL, is_agency=False)
    # Located in and serving 桜台: counted once.
    Location.objects.create(
        organisation=clinic,
        address="桜台一丁目2番",
        district=t["sakura"],
        latitude="35.606000",
        longitude="139.606000",
    )
    clinic.areas_served.add(t["sakura"])
    Service.objects.create(organisation=clinic, name="内科", target_group=TargetGroup.ALL)
    Service.objects.create(organisation=clinic, name="訪問診療", target_group=TargetGroup.ELDERLY)
    shelter = factories.organisation(
        "一時避難の家", kind=Kind.NPO, visibility=Visibility.STAFF, is_agency=False
    )
    Location.objects.create(
        organisation=shelter,
        address="桜台一丁目9番9号",
        district=t["sakura"],
        hide_address=True,
        latitude="35.607000",
        longitude="139.607000",
    )
    wakaba_clinic = factories.organisation("わかば医院", kind=Kind.MEDICAL, is_agency=False)
    wakaba_clinic.areas_served.add(t["wakaba"])
    kashiwa_npo = factories.organisation("かしわぎ食堂", kind=Kind.NPO, home_area=t["kashiwa"])
    _, _, other_district = factories.area_tree()
    elsewhere = factories.organisation("よその診療所", kind=Kind.MEDICAL, home_area=other_district)
    Location.objects.create(organisation=elsewhere, address="よそ1番", district=other_district)
    return {
        "centre": centre,
        "town": town,
        "council": council,
        "clinic": clinic,
        "shelter": shelter,
        "wakaba_clinic": wakaba_clinic,
        "kashiwa_npo": kashiwa_npo,
    }


def counts(response, key):
    return {value: count for value, _label, count in response.context["resource_counts"][key]}


def test_resource_counts_by_kind_and_target_group_at_each_level(client, territory, directory):
    client.force_login(factories.user())
    sakura = page(client, territory["sakura"])
    assert counts(sakura, "by_kind") == {
        Kind.WELFARE_COUNCIL: 1,
        Kind.COMMUNITY_CARE_CENTRE: 1,
        Kind.TOWN_OFFICE: 1,
        Kind.MEDICAL: 1,  # the clinic both located and serving: once
        Kind.NPO: 1,
    }
    assert counts(sakura, "by_target_group") == {TargetGroup.ELDERLY: 2, TargetGroup.ALL: 1}
    north = page(client, territory["north"])
    assert counts(north, "by_kind")[Kind.MEDICAL] == 2
    assert counts(north, "by_kind")[Kind.NPO] == 1
    city = page(client, territory["city"])
    assert counts(city, "by_kind")[Kind.MEDICAL] == 2  # not the other city's
    assert counts(city, "by_kind")[Kind.NPO] == 2
    assert counts(page(client, territory["kashiwa"]), "by_kind") == {Kind.NPO: 1}


def map_data(response):
    match = re.search(
        r'<script id="area-map-data" type="application/json">(.*?)</script>', response.text
    )
    assert match, "the map's data is in the page"
    return json.loads(match.group(1))


def test_map_data_has_boundaries_points_and_the_configured_tiles(
    client, settings, territory, directory
):
    settings.MAP_TILE_URL = "https://tiles.example.jp/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "テスト地図"
    client.force_login(factories.user())

    sakura = map_data(page(client, territory["sakura"]))
    assert sakura["tileUrl"] == "https://tiles.example.jp/{z}/{x}/{y}.png"
    assert sakura["attribution"] == "テスト地図"
    assert [f["properties"]["role"] for f in sakura["boundaries"]["features"]] == ["outline"]
    assert sakura["boundaries"]["features"][0]["geometry"] == territory["sakura"].boundary
    points = {p["name"]: p for p in sakura["points"]}
    assert set(points) == {"桜台あんしんすこやかセンター", "さくら内科", "一時避難の家"}
    # Staff see the hidden place too, marked as such.
    assert points["一時避難の家"]["hidden"] is True
    assert points["さくら内科"]["hidden"] is False
    assert points["さくら内科"]["lat"] == pytest.approx(35.606)
    assert points["さくら内科"]["url"] == reverse(
        "staff:organisation_detail", args=[directory["clinic"].uuid]
    )

    # A region draws its districts' boundaries, each linking to its page.
    north = map_data(page(client, territory["north"]))
    features = north["boundaries"]["features"]
    assert sorted(f["properties"]["name"] for f in features) == ["桜台", "若葉"]
    assert {f["properties"]["url"] for f in features} == {
        reverse("staff:area_detail", args=[territory["sakura"].code]),
        reverse("staff:area_detail", args=[territory["wakaba"].code]),
    }


def test_default_tiles_are_the_gsi_standard_map(client, settings, territory, directory):
    client.force_login(factories.user())
    data = map_data(page(client, territory["sakura"]))
    assert data["tileUrl"] == "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
    assert "地理院タイル" in data["attribution"]


def test_resources_are_listed_without_javascript_hidden_addresses_marked(
    client, territory, directory
):
    client.force_login(factories.user())
    html = page(client, territory["sakura"]).text
    assert "さくら内科" in html and "桜台一丁目2番" in html
    row = re.search(r'<tr class="hidden-address">.*?</tr>', html, re.S).group(0)
    assert "一時避難の家" in row and "桜台一丁目9番9号" in row
    assert 'id="area-map" class="area-map" hidden' in html  # shown by the script only
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/js/area-map.js" in html


def test_page_without_boundaries_or_points_has_no_map(client, territory):
    client.force_login(factories.user())
    html = page(client, territory["kashiwa"]).text
    assert "area-map-data" not in html and "leaflet.js" not in html


def test_meetings_recent_and_upcoming_of_the_area_and_below(client, territory, directory):
    t = territory
    organiser = directory["centre"]

    def meeting(area, title, days, **fields):
        return factories.meeting(
            area=area,
            organiser=organiser,
            title=title,
            starts_in=datetime.timedelta(days=days),
            **fields,
        )

    meeting(t["sakura"], "桜台 来週の会議", 7)
    meeting(t["sakura"], "桜台 先月の会議", -30, status=Meeting.Status.HELD)
    meeting(t["sakura"], "桜台 半年前の会議", -120, status=Meeting.Status.HELD)
    meeting(t["north"], "北地域 地域ケア会議", 14)
    meeting(t["kashiwa"], "柏木 三者連携会議", 3)
    secret = meeting(
        t["sakura"], "要対協 個別ケース検討会議", 2, visibility=MeetingVisibility.CONFIDENTIAL
    )
    insider = factories.user(organisations=[organiser])
    factories.participant(meeting=secret, user=insider, organisation=organiser)

    client.force_login(factories.user())
    sakura = page(client, t["sakura"])
    assert [m.title for m in sakura.context["upcoming_meetings"]] == ["桜台 来週の会議"]
    assert [m.title for m in sakura.context["recent_meetings"]] == ["桜台 先月の会議"]
    assert "要対協" not in sakura.text and "半年前" not in sakura.text

    north = page(client, t["north"])
    assert [m.title for m in north.context["upcoming_meetings"]] == [
        "桜台 来週の会議",
        "北地域 地域ケア会議",
    ]
    city = page(client, t["city"])
    assert "柏木 三者連携会議" in [m.title for m in city.context["upcoming_meetings"]]

    client.force_login(insider)
    html = page(client, t["sakura"]).text
    assert "要対協 個別ケース検討会議" in html


def test_open_issues_of_the_area_and_sub_areas_marked(client, territory):
    t = territory
    mine = factories.issue(area=t["sakura"], title="買い物に行けない高齢者が多い")
    factories.issue(area=t["sakura"], title="解決済みの課題", status=DistrictIssue.Status.CLOSED)
    factories.issue(area=t["north"], title="北地域全体の課題")
    escalated = factories.issue(
        area=t["north"],
        raised_in=t["sakura"],
        title="移動支援が足りない",
        status=DistrictIssue.Status.ESCALATED,
    )
    client.force_login(factories.user())

    sakura = page(client, t["sakura"])
    issues = {issue.title: issue for issue in sakura.context["issues"]}
    assert set(issues) == {"買い物に行けない高齢者が多い", "移動支援が足りない"}
    assert issues["移動支援が足りない"].escalated_away
    assert "解決済みの課題" not in sakura.text and "北地域全体の課題" not in sakura.text
    assert reverse("staff:issue_detail", args=[mine.pk]) in sakura.text
    assert f"{reverse('staff:issue_raise')}?area={t['sakura'].code}" in sakura.text

    north = page(client, t["north"])
    issues = {issue.title: issue for issue in north.context["issues"]}
    assert set(issues) == {"買い物に行けない高齢者が多い", "北地域全体の課題", "移動支援が足りない"}
    assert issues["買い物に行けない高齢者が多い"].in_sub_area
    assert not issues["北地域全体の課題"].in_sub_area
    assert not issues["移動支援が足りない"].in_sub_area  # it is the region's now
    assert escalated.pk in {i.pk for i in page(client, t["city"]).context["issues"]}


def test_partners_of_the_district(client, territory, directory):
    client.force_login(factories.user())
    sakura = page(client, territory["sakura"])
    rows = sakura.context["partner_rows"]
    assert [row["area"] for row in rows] == [territory["sakura"]]
    # One column per partner, in the order of the table's headers.
    assert sakura.context["partner_kinds"] == [
        Kind.TOWN_OFFICE.label,
        Kind.COMMUNITY_CARE_CENTRE.label,
        Kind.WELFARE_COUNCIL.label,
    ]
    assert [[org.name for org in column] for column in rows[0]["columns"]] == [
        ["桜台まちづくりセンター"],
        ["桜台あんしんすこやかセンター"],
        ["ひばり野区社会福祉協議会 桜台"],
    ]
    assert sakura.context["partner_summary"] == []


def partners_section(html):
    return re.search(r'<section id="partners".*?</section>', html, re.S).group(0)


def test_partners_summarised_per_sub_area_at_region_and_municipality(client, territory, directory):
    t = territory
    # Serves the whole ward and two districts of 北地域: counted once in 北地域's row.
    ward = factories.organisation("ひばり野区社会福祉協議会", kind=Kind.WELFARE_COUNCIL)
    ward.areas_served.add(t["city"], t["sakura"], t["wakaba"])
    client.force_login(factories.user())
    kinds = [Kind.TOWN_OFFICE, Kind.COMMUNITY_CARE_CENTRE, Kind.WELFARE_COUNCIL]

    north = page(client, t["north"])
    assert north.context["partner_rows"] == []  # no full lists at a wide level
    assert north.context["partner_kinds"] == [k.label for k in kinds]
    summary = north.context["partner_summary"]
    # Every district of the region, in 五十音 order, with counts in the headers' order.
    assert [(row["area"], row["counts"]) for row in summary] == [
        (t["sakura"], [1, 1, 2]),
        (t["wakaba"], [0, 0, 1]),
    ]
    section = partners_section(north.text)
    assert reverse("staff:area_detail", args=[t["sakura"].code]) in section
    assert "桜台まちづくりセンター" not in section

    city = page(client, t["city"])
    summary = city.context["partner_summary"]
    # The ward itself first (partners working for all of it), then its regions.
    assert [(row["area"], row["counts"]) for row in summary] == [
        (t["city"], [0, 0, 1]),
        (t["north"], [1, 1, 2]),
        (t["south"], [0, 0, 0]),
    ]
    section = partners_section(city.text)
    assert reverse("staff:area_detail", args=[t["north"].code]) in section
    assert reverse("staff:area_detail", args=[t["south"].code]) in section
    assert "ひばり野区社会福祉協議会" not in section


def test_wide_map_shows_one_point_per_district_and_says_so(client, territory, directory):
    t = territory
    client.force_login(factories.user())
    response = page(client, t["north"])
    points = map_data(response)["points"]
    # 桜台's three places as one point at their mean position; 若葉 has no place on the map.
    assert len(points) == 1
    (point,) = points
    assert point["name"] == "桜台"
    assert point["url"] == reverse("staff:area_detail", args=[t["sakura"].code])
    assert point["lat"] == pytest.approx(35.606)
    assert point["lon"] == pytest.approx(139.606)
    assert point["hidden"] is False
    assert "3" in point["place"]
    with translation.override("ja"):  # the page's language
        note = translation.gettext(
            "At this level the map shows one point per district, in the middle of its places, "
            "with their number; open a district to see each place."
        )
    assert note in response.text
    assert response.context["locations"] == []
    # Without JavaScript: the districts with their number of places, and the directory link.
    rows = {row["area"]: row["places"] for row in response.context["district_rows"]}
    assert rows == {t["sakura"]: 3, t["wakaba"]: 0}
    assert f"{reverse('staff:organisation_list')}?district={t['north'].code}" in response.text

    city = page(client, t["city"])
    assert [p["name"] for p in map_data(city)["points"]] == ["桜台"]
    assert [row["area"] for row in city.context["district_rows"]] == [
        t["kashiwa"],
        t["sakura"],
        t["wakaba"],
    ]


def crowd(territory, n):
    """n more organisations (partners and others) located in and serving the districts."""
    districts = [territory["sakura"], territory["wakaba"], territory["kashiwa"]]
    kinds = [Kind.TOWN_OFFICE, Kind.COMMUNITY_CARE_CENTRE, Kind.WELFARE_COUNCIL, Kind.SALON]
    for i in range(n):
        district = districts[i % len(districts)]
        org = factories.organisation(
            f"追加の団体{i}", kind=kinds[i % len(kinds)], home_area=district
        )
        org.areas_served.add(district)
        Location.objects.create(
            organisation=org,
            address=f"{district.name}{i}番",
            district=district,
            latitude="35.61",
            longitude="139.61",
        )
        Service.objects.create(organisation=org, name="相談", target_group=TargetGroup.ALL)


@pytest.mark.parametrize("level", ["north", "city"])
def test_wide_page_size_and_queries_do_not_grow_with_organisations(
    client, territory, directory, level, django_assert_max_num_queries
):
    client.force_login(factories.user())
    area = territory[level]
    crowd(territory, 4)
    page(client, area)  # warm up (content types, site)
    with django_assert_max_num_queries(24) as small:
        small_html = page(client, area).content
    crowd(territory, 60)
    with django_assert_max_num_queries(24) as large:
        large_html = page(client, area).content
    assert len(small.captured_queries) == len(large.captured_queries)
    # Only numbers change (a few digits); sixty names and places would add kilobytes.
    assert abs(len(large_html) - len(small_html)) < 100
    assert "追加の団体" not in large_html.decode()


def test_assessment_section_shows_this_years_assessment(client, territory):
    year = assessment_default_year()
    Assessment.objects.create(area=territory["sakura"], year=year, strengths="町会の見守りが活発")
    client.force_login(factories.user())
    html = page(client, territory["sakura"]).text
    assert f'id="assessment-{year}"' in html
    assert "町会の見守りが活発" in html
    assert reverse("staff:assessment_edit", args=[territory["sakura"].code, year]) in html


def test_comparison_route_is_not_taken_for_an_area_code(client):
    client.force_login(factories.user())
    response = client.get("/staff/areas/compare/")
    assert response.status_code == 200
    assert response.resolver_match.url_name == "area_comparison"


def grow(territory, directory, n):
    """n more districts under 北地域, each with figures, places, meetings and issues."""
    for i in range(n):
        area = Area.objects.create(
            level=Area.Level.DISTRICT,
            parent=territory["north"],
            code=f"GROW{i}",
            name=f"新町{i}",
            reading=f"しんまち{i}",
            boundary=square(139.7 + i / 100, 35.6),
        )
        figures(area, SURVEY, {"0-4": 10 + i, "70-74": 5})
        figures(area, YEAR_BEFORE, {"0-4": 10, "70-74": 5})
        for kind in (Kind.TOWN_OFFICE, Kind.COMMUNITY_CARE_CENTRE, Kind.SALON):
            org = factories.organisation(f"{area.name} {kind}", kind=kind, home_area=area)
            org.areas_served.add(area)
            Location.objects.create(
                organisation=org,
                address=f"{area.name}1番",
                district=area,
                latitude="35.61",
                longitude="139.61",
            )
            Service.objects.create(organisation=org, name="相談", target_group=TargetGroup.ALL)
        factories.meeting(area=area, organiser=directory["centre"], title=f"{area.name} 会議")
        factories.meeting(
            area=area,
            organiser=directory["centre"],
            title=f"{area.name} 前回",
            starts_in=-datetime.timedelta(days=10),
        )
        factories.issue(area=area, title=f"{area.name}の課題")
        Assessment.objects.create(area=area, year=assessment_default_year(), strengths="強み")


@pytest.mark.parametrize("level", ["sakura", "north", "city"])
def test_queries_do_not_grow_with_the_data(
    client, territory, directory, level, django_assert_max_num_queries
):
    client.force_login(factories.user(organisations=[directory["centre"]]))
    area = territory[level]
    page(client, area)  # warm up (content types, site)
    with django_assert_max_num_queries(24) as small:
        page(client, area)
    grow(territory, directory, 6)
    with django_assert_max_num_queries(24) as large:
        response = page(client, area)
    assert len(small.captured_queries) == len(large.captured_queries)
    if level != "sakura":
        assert "新町5" in response.text  # the new data is on the page


def test_unknown_area_is_404_and_login_is_required(client, territory):
    url = reverse("staff:area_detail", args=[territory["sakura"].code])
    assert client.get(url).status_code == 302
    client.force_login(factories.user())
    assert client.get(reverse("staff:area_detail", args=["nope"])).status_code == 404


def test_meeting_dates_are_in_tokyo_time(client, territory, directory):
    # 16:00 UTC is the next day in Japan; the page must say the Japanese day.
    starts = timezone.now().replace(hour=16, minute=0, second=0, microsecond=0, tzinfo=datetime.UTC)
    starts += datetime.timedelta(days=2)
    Meeting.objects.create(
        area=territory["sakura"],
        organiser=directory["centre"],
        title="夜の会議",
        kind="workshop",
        level="district",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
    )
    client.force_login(factories.user())
    html = page(client, territory["sakura"]).text
    local = timezone.localtime(starts)
    assert local.strftime("%H:%M") == "01:00"
    assert "01:00" in html
