"""The district comparison: figures checked against hand-computed values, sorting, the region
filter, both exports read back, and a number of queries that does not grow with the districts."""

import csv
import datetime
import io
from functools import partial
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from conferences import comparison
from conferences.models import Meeting, MeetingVisibility, Participant
from conferences.selectors import meeting_visibility_filter, meetings_visible_to
from districts.models import Area, DistrictIssue, PopulationFigure
from districts.population import population_import, refresh_population_totals
from resources.models import Location, Organisation
from tests import factories

pytestmark = pytest.mark.django_db

SURVEY = datetime.date(2026, 1, 1)
Kind = Organisation.Kind
URL = reverse("staff:area_comparison")
DATA = Path(__file__).parent.parent / "districts" / "data"


def figures(area, counts, day=SURVEY):
    """Stored as every write of figures stores them: with the area's totals for that date."""
    PopulationFigure.objects.bulk_create(
        PopulationFigure(area=area, surveyed_on=day, age_band=band, count=count)
        for band, count in counts.items()
    )
    refresh_population_totals(pairs=[(area.pk, day)])


def district(region, code, name, reading):
    return Area.objects.create(
        level=Area.Level.DISTRICT, parent=region, code=code, name=name, reading=reading
    )


@pytest.fixture
def ward():
    """Two regions, four districts; the figures each test expects are worked out by hand here.

    桜台 (北): 1,000 residents; 65+ 250 (25.0%), 75+ 100 (10.0%); children 0–5 100, 6–17 50
      (15.0%); organisations: a 地域包括 and a clinic located there, a care provider serving it
      (3 → 3.00 per 1,000; 1.00 each); open issues 2; meetings held in 12 months 2 (3 with the
      confidential one).
    若葉 (北): 500; 65+ 100 (20.0%), 75+ 0; children 50 + 0 (10.0%); a clinic and the care
      provider serve it (2 → 4.00; medical 2.00, care provider 2.00); issues 0; meetings 1.
    柏木 (南): 800; 65+ 0; children 0–5 = 20 (a fifth of 5-9), 6–17 = 80 + 60 = 140 (20.0%);
      an NPO at home there (1 → 1.25); issues 1; meetings 0.
    空 (南): no figures (every figure empty), an NPO located there; issues 0; meetings 0.
    """
    city, north, sakura = factories.area_tree()  # 北地域 (きたちいき), 桜台 (さくらだい)
    south = Area.objects.create(
        level=Area.Level.REGION, parent=city, code="SOUTH", name="南地域", reading="みなみちいき"
    )
    wakaba = district(north, "WAKABA", "若葉", "わかば")
    kashiwa = district(south, "KASHIWA", "柏木", "かしわぎ")
    empty = district(south, "KARA", "空", "から")
    figures(
        sakura,
        {"0-4": 100, "10-14": 50, "20-24": 100, "40-44": 500, "65-69": 150, "75-79": 100},
    )
    figures(sakura, {"40-44": 900}, day=datetime.date(2025, 1, 1))  # older: not used
    figures(wakaba, {"0-4": 50, "40-44": 350, "70-74": 100})
    figures(kashiwa, {"5-9": 100, "15-19": 100, "40-44": 600})

    centre = factories.organisation("桜台あんしんすこやかセンター")
    Location.objects.create(organisation=centre, address="桜台1番", district=sakura)
    clinic = factories.organisation("さくら内科", kind=Kind.MEDICAL)
    Location.objects.create(organisation=clinic, address="桜台2番", district=sakura)
    clinic.areas_served.add(sakura)  # located and serving: counted once
    care = factories.organisation("訪問看護ステーションわかさくら", kind=Kind.CARE_PROVIDER)
    care.areas_served.add(sakura, wakaba)
    factories.organisation("わかば医院", kind=Kind.MEDICAL).areas_served.add(wakaba)
    factories.organisation("かしわぎ食堂", kind=Kind.NPO, home_area=kashiwa)
    npo = factories.organisation("からっぽ文庫", kind=Kind.NPO)
    Location.objects.create(organisation=npo, address="空1番", district=empty)
    factories.organisation("区役所", kind=Kind.GOVERNMENT, home_area=city)  # not a district's

    Status = DistrictIssue.Status
    factories.issue(area=sakura, title="課題1")
    factories.issue(area=sakura, title="課題2", status=Status.ADDRESSED)
    factories.issue(area=sakura, title="課題3", status=Status.CLOSED)
    factories.issue(area=kashiwa, title="課題4", status=Status.DISCUSSED)
    factories.issue(area=south, raised_in=kashiwa, title="課題5", status=Status.ESCALATED)

    def meeting(area, days_ago, status=Meeting.Status.HELD, **fields):
        return factories.meeting(
            area=area,
            organiser=centre,
            starts_in=-datetime.timedelta(days=days_ago),
            status=status,
            **fields,
        )

    meeting(sakura, 30)
    meeting(sakura, 300)
    meeting(sakura, 400)  # more than 12 months ago
    meeting(sakura, 20, Meeting.Status.CANCELLED)
    meeting(sakura, 10, Meeting.Status.PLANNED)  # never marked held
    meeting(sakura, -7, Meeting.Status.PLANNED)  # upcoming
    secret = meeting(sakura, 50, visibility=MeetingVisibility.CONFIDENTIAL)
    meeting(wakaba, 100)
    meeting(north, 40)  # the region's, not a district's
    insider = factories.user(organisations=[centre])
    factories.participant(meeting=secret, user=insider, organisation=centre)
    return {
        "city": city,
        "north": north,
        "south": south,
        "sakura": sakura,
        "wakaba": wakaba,
        "kashiwa": kashiwa,
        "empty": empty,
        "centre": centre,
        "insider": insider,
    }


def table(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.context["table"]


def by_name(result):
    return {row["name"]: row for row in result.frame.to_dict("records")}


def test_figures_are_right(client, ward):
    client.force_login(factories.user())
    rows = by_name(table(client))
    sakura, wakaba, kashiwa, empty = rows["桜台"], rows["若葉"], rows["柏木"], rows["空"]

    assert (sakura["population"], wakaba["population"], kashiwa["population"]) == (1000, 500, 800)
    assert sakura["surveyed_on"] == SURVEY
    assert sakura["ageing_rate"] == pytest.approx(25.0)
    assert sakura["ageing_rate_75"] == pytest.approx(10.0)
    assert wakaba["ageing_rate"] == pytest.approx(20.0)
    assert wakaba["ageing_rate_75"] == pytest.approx(0.0)
    assert kashiwa["ageing_rate"] == pytest.approx(0.0)
    assert sakura["child_share"] == pytest.approx(15.0)
    assert wakaba["child_share"] == pytest.approx(10.0)
    assert kashiwa["child_share"] == pytest.approx(20.0)

    assert sakura["resources_total"] == pytest.approx(3.0)
    assert sakura["resources_community_care_centre"] == pytest.approx(1.0)
    assert sakura["resources_medical"] == pytest.approx(1.0)
    assert sakura["resources_care_provider"] == pytest.approx(1.0)
    assert sakura["resources_npo"] == pytest.approx(0.0)
    assert wakaba["resources_total"] == pytest.approx(4.0)
    assert wakaba["resources_medical"] == pytest.approx(2.0)
    assert wakaba["resources_care_provider"] == pytest.approx(2.0)
    assert kashiwa["resources_total"] == pytest.approx(1.25)
    assert kashiwa["resources_npo"] == pytest.approx(1.25)

    assert (sakura["open_issues"], wakaba["open_issues"], kashiwa["open_issues"]) == (2, 0, 1)
    assert (sakura["meetings_held"], wakaba["meetings_held"], kashiwa["meetings_held"]) == (
        2,
        1,
        0,
    )
    # No population: no rates, but the counts that need none are there.
    assert pd.isna(empty["population"])
    assert pd.isna(empty["resources_total"]) and pd.isna(empty["ageing_rate"])
    assert empty["open_issues"] == 0


def test_confidential_meetings_count_only_for_the_people_on_them(client, ward):
    client.force_login(ward["insider"])
    assert by_name(table(client))["桜台"]["meetings_held"] == 3


def test_page_shows_the_rounded_figures(client, ward):
    client.force_login(factories.user())
    html = client.get(URL).text
    start = html.index(f'data-code="{ward["sakura"].code}"')
    row = html[start : html.index("</tr>", start)]
    assert '<td class="number" data-column="population">1,000</td>' in row
    assert '<td class="number" data-column="ageing_rate">25.0</td>' in row
    assert '<td class="number" data-column="child_share">15.0</td>' in row
    assert '<td class="number" data-column="resources_total">3.00</td>' in row
    assert reverse("staff:area_detail", args=[ward["sakura"].code]) in row
    start = html.index('data-code="KARA"')
    row = html[start : html.index("</tr>", start)]
    assert '<td class="number" data-column="population">—</td>' in row


def test_links_to_district_pages_match_their_urls_whatever_the_code(client, ward):
    """Links to plain codes are put together without reverse(); other codes are quoted by it."""
    ward["wakaba"].code = "若葉 1&2"
    ward["wakaba"].save()
    client.force_login(factories.user())
    html = client.get(URL).text
    for code in (ward["sakura"].code, "若葉 1&2"):
        url = reverse("staff:area_detail", args=[code])
        assert f'<a href="{escape(url)}">' in html
    assert 'data-code="若葉 1&amp;2"' in html
    assert "%E8%8B%A5%E8%91%89%201&amp;2" in html  # reverse() quoted the kanji and the space


def test_a_region_without_districts_and_a_district_of_nobody(client, ward):
    empty_region = Area.objects.create(
        level=Area.Level.REGION, parent=ward["city"], code="EAST", name="東地域", reading="ひがし"
    )
    client.force_login(factories.user())
    response = client.get(URL, {"region": "EAST"})
    assert len(response.context["table"]) == 0
    assert response.context["region"] == empty_region
    assert "<td colspan=" in response.text
    assert len(csv_rows(client.get(URL, {"region": "EAST", "export": "csv"}))) == 1  # headers

    figures(ward["empty"], {"0-4": 0, "70-74": 0})  # figures, but nobody lives there
    rows = by_name(table(client))
    assert pd.isna(rows["空"]["population"]) and pd.isna(rows["空"]["ageing_rate"])
    assert pd.isna(rows["空"]["surveyed_on"])


def order(result):
    return [row["name"] for row in result.frame.to_dict("records")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["桜台", "若葉", "柏木", "空"]),  # by region, then by reading
        ({"sort": "name"}, ["柏木", "空", "桜台", "若葉"]),  # かしわぎ, から, さくらだい, わかば
        ({"sort": "population", "dir": "desc"}, ["桜台", "柏木", "若葉", "空"]),
        ({"sort": "population", "dir": "asc"}, ["若葉", "柏木", "桜台", "空"]),  # unknown last
        ({"sort": "ageing_rate", "dir": "desc"}, ["桜台", "若葉", "柏木", "空"]),
        ({"sort": "resources_total", "dir": "desc"}, ["若葉", "桜台", "柏木", "空"]),
        ({"sort": "open_issues", "dir": "desc"}, ["桜台", "柏木", "空", "若葉"]),
        ({"sort": "nonsense"}, ["桜台", "若葉", "柏木", "空"]),
    ],
)
def test_sort(client, ward, params, expected):
    client.force_login(factories.user())
    assert order(table(client, **params)) == expected


def test_sort_links_work_without_javascript_and_keep_the_filter(client, ward):
    client.force_login(factories.user())
    response = client.get(URL, {"region": "SOUTH", "sort": "population", "dir": "desc"})
    headers = {h["column"].key: h for h in response.context["columns"]}
    # The sorted column reverses; another figure column starts largest first, a name column A–Z.
    assert headers["population"]["url"] == "?region=SOUTH&sort=population&dir=asc"
    assert headers["population"]["aria_sort"] == "descending"
    assert headers["ageing_rate"]["url"] == "?region=SOUTH&sort=ageing_rate&dir=desc"
    assert headers["name"]["url"] == "?region=SOUTH&sort=name&dir=asc"
    assert 'href="?region=SOUTH&amp;sort=population&amp;dir=asc"' in response.text
    assert 'aria-sort="descending"' in response.text


def test_htmx_sort_returns_the_table_only(client, ward):
    client.force_login(factories.user())
    response = client.get(URL, {"sort": "name"}, headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<div id="comparison-table">')
    assert "<html" not in response.text


def test_region_filter(client, ward):
    client.force_login(factories.user())
    assert order(table(client, region="SOUTH")) == ["柏木", "空"]
    response = client.get(URL, {"region": "NOWHERE"})
    assert len(response.context["table"]) == 4
    assert response.context["unknown_region"]
    assert 'role="alert"' in response.text


def csv_rows(response):
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export_in_japanese(client, ward):
    client.force_login(factories.user())
    response = client.get(URL, {"sort": "population", "dir": "desc", "export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="district-comparison-')
    rows = csv_rows(response)
    with translation.override("ja"):
        labels = [translation.gettext("Code")] + [str(c.label) for c in comparison.columns()]
    assert rows[0] == labels
    assert rows[0][1:3] == ["地区", "地域"]
    assert [row[1] for row in rows[1:]] == ["桜台", "柏木", "若葉", "空"]  # as sorted
    sakura = dict(zip(rows[0], rows[1], strict=True))
    with translation.override("ja"):
        g = translation.gettext
        assert sakura[g("Population")] == "1000"
        assert sakura[g("Survey date")] == "2026-01-01"
        assert float(sakura[g("Aged 65 and over (%)")]) == 25.0
        assert float(sakura[g("Children aged 0–17 (%)")]) == 15.0
        assert float(sakura[g("Resources per 1,000 residents")]) == 3.0
        assert sakura[g("Open district issues")] == "2"
        assert sakura[g("Meetings held in the last 12 months")] == "2"
        empty = dict(zip(rows[0], rows[4], strict=True))
        assert empty[g("Population")] == "" and empty[g("Aged 65 and over (%)")] == ""
    kashiwa = dict(zip(rows[0], rows[2], strict=True))
    assert kashiwa[rows[0][0]] == "KASHIWA"


def test_csv_export_in_english(client, ward):
    client.force_login(factories.user())
    response = client.get(URL, {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="en")
    header = csv_rows(response)[0]
    assert header[:5] == ["Code", "District", "Region", "Survey date", "Population"]
    assert "Meetings held in the last 12 months" in header


def test_excel_export(client, ward):
    client.force_login(factories.user())
    response = client.get(URL, {"region": "SOUTH", "export": "xlsx"})
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "district-comparison-SOUTH-" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    with translation.override("ja"):
        labels = [translation.gettext("Code")] + [str(c.label) for c in comparison.columns()]
        population = labels.index(translation.gettext("Population"))
        child_share = labels.index(translation.gettext("Children aged 0–17 (%)"))
        resources = labels.index(translation.gettext("Resources per 1,000 residents"))
        npo = labels.index(
            translation.gettext("%(kind)s per 1,000 residents")
            % {"kind": Organisation.Kind.NPO.label}
        )
    assert list(rows[0]) == labels
    assert [row[1] for row in rows[1:]] == ["柏木", "空"]
    kashiwa, empty = rows[1], rows[2]
    assert kashiwa[population] == 800
    assert kashiwa[child_share] == pytest.approx(20.0)
    assert kashiwa[resources] == pytest.approx(1.25)
    assert kashiwa[npo] == pytest.approx(1.25)
    assert kashiwa[labels.index(translation.gettext("Survey date"))].date() == SURVEY
    assert empty[population] is None


def test_exports_do_not_run_names_as_formulas(client, ward):
    ward["sakura"].name = '=HYPERLINK("http://example.com")'
    ward["sakura"].save()
    client.force_login(factories.user())
    rows = csv_rows(client.get(URL, {"export": "csv"}))
    assert rows[1][1] == '\'=HYPERLINK("http://example.com")'
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(URL, {"export": "xlsx"}).content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_queries_do_not_grow_with_the_districts(client, ward, django_assert_max_num_queries):
    client.force_login(factories.user(organisations=[ward["centre"]]))
    client.get(URL)
    with django_assert_max_num_queries(14) as small:
        client.get(URL)
    for i in range(12):
        area = district(ward["north"], f"MORE{i}", f"新地区{i}", f"しんちく{i}")
        figures(area, {"0-4": 10, "70-74": i + 1})
        figures(area, {"0-4": 9}, day=datetime.date(2025, 1, 1))
        org = factories.organisation(f"新しい事業所{i}", kind=Kind.SALON, home_area=area)
        org.areas_served.add(area)
        Location.objects.create(organisation=org, address="1番", district=area)
        factories.issue(area=area, title=f"新しい課題{i}")
        factories.meeting(
            area=area,
            organiser=ward["centre"],
            starts_in=-datetime.timedelta(days=3),
            status=Meeting.Status.HELD,
        )
    with django_assert_max_num_queries(14) as large:
        response = client.get(URL)
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(response.context["table"]) == 16
    with django_assert_max_num_queries(14) as export:
        client.get(URL, {"export": "xlsx"})
    assert len(export.captured_queries) == len(large.captured_queries)


def test_the_comparison_follows_each_import_at_once(client):
    """The page reads each district's totals, which every import rewrites with its figures."""
    factories.population_tree()  # 桜台 (D1), 若葉 (D2), 柏木 (D3)
    text = (DATA / "population_standard.csv").read_text(encoding="utf-8")
    population_import(source=text.encode(), filename="p.csv")
    client.force_login(factories.user())
    rows = by_name(table(client))
    assert (rows["桜台"]["population"], rows["桜台"]["surveyed_on"]) == (18 * 24, SURVEY)
    assert rows["若葉"]["population"] == 18 * (5 + 11)

    lines = text.splitlines()
    lines[5] = lines[5].replace(",12,12,", ",13,12,", 1)  # 桜台一丁目 2026: one more boy aged 0-4
    population_import(source="\n".join(lines).encode(), filename="p.csv")
    rows = by_name(table(client))
    assert rows["桜台"]["population"] == 18 * 24 + 1
    # Children: 0–5 = 25 + 24/5 → 30; 6–17 = 24×4/5 + 24 + 24×3/5 = 57.6 → 58.
    assert rows["桜台"]["child_share"] == pytest.approx(100 * (30 + 58) / 433)
    assert rows["若葉"]["population"] == 18 * (5 + 11)


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:login"))


def test_visibility_filter_for_counts_matches_meetings_visible_to(ward):
    """The comparison counts with an uncorrelated form of the visibility rule; it must select
    exactly the meetings meetings_visible_to does, for every way of being on a meeting."""
    centre, other = ward["centre"], factories.organisation("別の機関")
    chair = factories.user(organisations=[other])
    recorder, member = factories.user(), factories.user()
    colleague = factories.user(organisations=[centre])  # on meetings through the centre
    outsider = factories.user(organisations=[factories.organisation("無関係の機関")])
    for visibility in MeetingVisibility.values:
        meeting = partial(factories.meeting, organiser=centre, visibility=visibility)
        meeting(area=ward["sakura"], chair=chair)
        meeting(area=ward["sakura"], recorder=recorder)
        factories.participant(meeting=meeting(area=ward["sakura"]), user=member, organisation=other)
        Participant.objects.create(meeting=meeting(area=ward["wakaba"]), organisation=centre)
    for user in (chair, recorder, member, colleague, outsider, ward["insider"]):
        expected = set(meetings_visible_to(user=user).values_list("pk", flat=True))
        counted = Meeting.objects.filter(meeting_visibility_filter(user=user))
        assert set(counted.values_list("pk", flat=True)) == expected
    outsider_sees = Meeting.objects.filter(meeting_visibility_filter(user=outsider))
    assert not outsider_sees.filter(visibility=MeetingVisibility.CONFIDENTIAL).exists()
