"""Coverage for planners: the district × category matrix checked against a hand-computed example,
the gap rule, the heat-map page (numbers, legend, gaps marked in text), the region filter, the
Excel export read back, and a number of queries that does not grow with the districts."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from districts.models import Area, PopulationFigure, TargetGroup
from resources import coverage
from resources.models import Location, Service, ServiceAtLocation, TaxonomyTerm
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("staff:coverage")
SURVEY = datetime.date(2026, 1, 1)


def figures(area, counts):
    PopulationFigure.objects.bulk_create(
        PopulationFigure(area=area, surveyed_on=SURVEY, age_band=band, count=count)
        for band, count in counts.items()
    )


def district(region, code, name, reading):
    return Area.objects.create(
        level=Area.Level.DISTRICT, parent=region, code=code, name=name, reading=reading
    )


def service(organisation, name, *terms, at=()):
    made = Service.objects.create(organisation=organisation, name=name)
    made.categories.add(*terms)
    for location in at:
        ServiceAtLocation.objects.create(service=made, location=location)
    return made


@pytest.fixture
def ward():
    """北地域: 桜台 (A), 若葉 (B); 南地域: 柏木 (C), 空 (D, no figures). Two categories: サロン
    (older people) and ひろば (children). Worked out by hand:

    Target populations (children 0–17 = 0-4 + 5-9 + 10-14 + 3/5 of 15-19; older = 65+):
      A: children 100+100+100+60 = 360, older 300+200 = 500, all 1,900
      B: children 50, older 100, all 650
      C: children 200+200 = 400, older 50, all 1,250
      D: unknown
      Medians (A, B, C): children 360, older 100.
    Services (counted where they are given):
      サロン: A 2 (one service at two places in A counts once; a second one); B 0 (A's salon
        serves B from A: not counted); C 1 (a service with no place of its own counts at its
        organisation's place); D 1.
      ひろば: A 1; B 0; C 0; D 0.
    Rates per 1,000: サロン A 2/500 → 4.00, B 0.00, C 1/50 → 20.00, D unknown;
      ひろば A 1/360 → 2.78, B 0.00, C 0.00, D unknown.
    Gaps: only C × ひろば (0, and 400 > 360). B × サロン is not one: 100 is the median, not
      above it; B × ひろば is not one: 50 is below.
    Shades: サロン A 4/20 = a fifth → 1, C → 5, D services but no rate → -1; ひろば A → 5.
    """
    city, north, sakura = factories.area_tree()  # 桜台 (さくらだい) in 北地域 (きたちいき)
    south = Area.objects.create(
        level=Area.Level.REGION, parent=city, code="SOUTH", name="南地域", reading="みなみちいき"
    )
    wakaba = district(north, "WAKABA", "若葉", "わかば")
    kashiwa = district(south, "KASHIWA", "柏木", "かしわぎ")
    empty = district(south, "KARA", "空", "から")
    figures(
        sakura,
        {"0-4": 100, "5-9": 100, "10-14": 100, "15-19": 100, "40-44": 1000, "65-69": 300,
         "75-79": 200},
    )  # fmt: skip
    figures(wakaba, {"0-4": 50, "40-44": 500, "70-74": 100})
    figures(kashiwa, {"0-4": 200, "10-14": 200, "40-44": 800, "85+": 50})

    salon = TaxonomyTerm.objects.create(
        code="salon", name="サロン", target_group=TargetGroup.ELDERLY, order=1
    )
    hiroba = TaxonomyTerm.objects.create(
        code="hiroba", name="ひろば", target_group=TargetGroup.CHILDREN, order=2
    )

    club = factories.organisation("桜台ふれあいサロン", kind="salon")
    hall = Location.objects.create(organisation=club, address="桜台1-1", district=sakura)
    annex = Location.objects.create(organisation=club, address="桜台1-2", district=sakura)
    club.areas_served.add(wakaba)
    service(club, "ふれあいサロン", salon, at=[hall, annex])
    service(club, "ミニデイ", salon, at=[hall])
    service(club, "おしゃべり会", at=[hall])  # no category: counted nowhere

    circle = factories.organisation("桜台親子ひろば", kind="parenting_circle")
    room = Location.objects.create(organisation=circle, address="桜台2-1", district=sakura)
    service(circle, "親子ひろば", hiroba, at=[room])

    day = factories.organisation("柏木ミニデイ", kind="salon")
    Location.objects.create(organisation=day, address="柏木1-1", district=kashiwa)
    service(day, "ミニデイ", salon)  # no place of its own: counted at its organisation's

    far = factories.organisation("空のサロン", kind="salon")
    spot = Location.objects.create(organisation=far, address="空1-1", district=empty)
    service(far, "サロン", salon, at=[spot])
    return {
        "city": city, "north": north, "south": south, "sakura": sakura, "wakaba": wakaba,
        "kashiwa": kashiwa, "empty": empty, "salon": salon, "hiroba": hiroba,
    }  # fmt: skip


def cell(table, frame, area, term):
    return getattr(table, frame).at[area.pk, term.pk]


def test_counts_rates_and_gaps_match_the_hand_computed_example(ward):
    table = coverage.coverage_table()
    sakura, wakaba, kashiwa, empty = (ward[k] for k in ("sakura", "wakaba", "kashiwa", "empty"))
    salon, hiroba = ward["salon"], ward["hiroba"]

    assert [row["name"] for row in table.districts.to_dict("records")] == [
        "桜台", "若葉", "柏木", "空",  # 北地域 then 南地域, each in 五十音 order
    ]  # fmt: skip
    assert table.districts.at[sakura.pk, "children"] == 360
    assert table.districts.at[sakura.pk, "elderly"] == 500
    assert table.districts.at[kashiwa.pk, "children"] == 400

    expected_counts = {
        (sakura, salon): 2, (wakaba, salon): 0, (kashiwa, salon): 1, (empty, salon): 1,
        (sakura, hiroba): 1, (wakaba, hiroba): 0, (kashiwa, hiroba): 0, (empty, hiroba): 0,
    }  # fmt: skip
    for (area, term), count in expected_counts.items():
        assert cell(table, "counts", area, term) == count, (area.name, term.name)

    assert cell(table, "rates", sakura, salon) == pytest.approx(4.0)
    assert cell(table, "rates", wakaba, salon) == pytest.approx(0.0)
    assert cell(table, "rates", kashiwa, salon) == pytest.approx(20.0)
    assert cell(table, "rates", sakura, hiroba) == pytest.approx(1000 / 360)
    assert cell(table, "rates", kashiwa, hiroba) == pytest.approx(0.0)
    assert coverage._plain(cell(table, "rates", empty, salon)) is None

    assert table.medians[salon.pk] == 100
    assert table.medians[hiroba.pk] == 360
    gaps = {(a.name, t.name) for a in (sakura, wakaba, kashiwa, empty) for t in (salon, hiroba)
            if cell(table, "gaps", a, t)}  # fmt: skip
    assert gaps == {("柏木", "ひろば")}
    assert table.gap_count == 1
    [gap] = table.gap_list()
    assert (gap["district"], gap["term"], gap["target"], gap["median"]) == (
        "柏木", hiroba, 400, 360
    )  # fmt: skip

    assert cell(table, "levels", sakura, salon) == 1
    assert cell(table, "levels", kashiwa, salon) == 5
    assert cell(table, "levels", wakaba, salon) == 0
    assert cell(table, "levels", empty, salon) == -1
    assert cell(table, "levels", sakura, hiroba) == 5


def test_target_bands_follow_the_category(ward):
    TaxonomyTerm.objects.create(code="care", name="障害福祉", target_group=TargetGroup.DISABILITY)
    table = coverage.coverage_table()
    care = TaxonomyTerm.objects.get(code="care")
    # Anything but children or older people is compared with all residents.
    assert table.targets.at[ward["sakura"].pk, care.pk] == 1900
    assert table.medians[care.pk] == 1250
    # No services of it anywhere: gaps where all ages are above the median (none: 1,900 > 1,250
    # only in 桜台).
    assert table.gaps.at[ward["sakura"].pk, care.pk]
    assert not table.gaps.at[ward["kashiwa"].pk, care.pk]


def test_region_filter_keeps_the_medians_of_every_district(ward):
    table = coverage.coverage_table().for_region(ward["south"])
    assert list(table.districts["name"]) == ["柏木", "空"]
    assert table.medians[ward["hiroba"].pk] == 360
    assert table.gap_count == 1


def test_page_prints_every_number_and_marks_gaps_in_text(client, ward):
    client.force_login(factories.user())
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    row = next(r for r in response.context["rows"] if 'data-code="KASHIWA"' in r)
    assert 'class="coverage-cell coverage-gap" data-term="hiroba"' in row
    assert "⚠" in row and "Gap" in row
    sakura_row = next(r for r in response.context["rows"] if 'data-code="C' in r)
    assert "coverage-level-1" in sakura_row and ">2<" in sakura_row and "4.00" in sakura_row
    assert "2.78" in sakura_row
    # A count above zero links to the directory filtered by district and category.
    assert "district=" in sakura_row and "category=salon" in sakura_row
    # The legend explains the shades and the gap mark; the rule is stated on the page.
    assert "How to read the table" in html
    assert "Gap: none of the category" in html
    assert "at a place in the district" in html
    assert "1 gap" in html
    assert "no population figures" in next(
        r for r in response.context["rows"] if 'data-code="KARA"' in r
    )


def test_region_filter_on_the_page_and_htmx_partial(client, ward):
    client.force_login(factories.user())
    response = client.get(URL, {"region": "SOUTH"})
    assert [r["name"] for r in response.context["table"].districts.to_dict("records")] == [
        "柏木", "空"
    ]  # fmt: skip
    assert "?region=SOUTH&amp;export=xlsx" in response.content.decode()

    partial = client.get(URL, {"region": "SOUTH"}, headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert 'id="coverage-matrix"' in text and "<html" not in text

    unknown = client.get(URL, {"region": "NOPE"}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(unknown.context["table"]) == 4
    assert "There is no region with that code" in unknown.content.decode()


def test_excel_export_has_japanese_headers_and_marks_gaps(client, ward):
    client.force_login(factories.user())
    response = client.get(URL, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="coverage-' in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["カバー状況", "不足一覧", "説明"]
    sheet = book["カバー状況"]
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == ["地区コード", "地区", "地域", "総人口", "0～17歳（推計）", "65歳以上"]
    assert headers[6:10] == [
        "サロン 件数",
        "サロン 千人当たり（65歳以上）",
        "ひろば 件数",
        "ひろば 千人当たり（0～17歳（推計））",
    ]
    assert headers[-1] == "不足している分類"
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    sakura, kashiwa, empty = rows["桜台"], rows["柏木"], rows["空"]
    assert [c.value for c in sakura[3:10]] == [1900, 360, 500, 2, 4.0, 1, 2.78]
    assert kashiwa[8].value == 0
    assert kashiwa[8].fill.fgColor.rgb.endswith("FFE380")
    assert "中央値" in kashiwa[8].comment.text
    assert kashiwa[-1].value == "ひろば"
    assert sakura[-1].value in (None, "")
    assert empty[3].value is None and empty[7].value is None  # unknown, not zero
    gaps = list(book["不足一覧"].iter_rows(values_only=True))
    assert gaps == [
        ("地区コード", "地区", "地域", "分類", "対象", "対象人口", "全地区の中央値"),
        ("KASHIWA", "柏木", "南地域", "ひろば", "0～17歳（推計）", 400, 360),
    ]


def test_names_that_look_like_formulas_are_not_run_by_excel(client, ward):
    TaxonomyTerm.objects.filter(code="salon").update(name="=HYPERLINK(1)")
    client.force_login(factories.user())
    book = openpyxl.load_workbook(io.BytesIO(client.get(URL, {"export": "xlsx"}).content))
    assert book["カバー状況"]["G1"].value == "'=HYPERLINK(1) 件数"
    assert book["カバー状況"]["G1"].data_type == "s"


def test_no_categories_or_no_districts_still_draw(client, db):
    client.force_login(factories.user())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(URL)
    assert response.status_code == 200
    assert "No districts yet." in response.content.decode()
    factories.area_tree()
    response = client.get(URL)
    assert response.status_code == 200
    assert "No categories yet" in response.content.decode()


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302


def _grow(ward, copies: int) -> None:
    """More districts with figures, services and categories, like the ones in the ward."""
    for n in range(copies):
        area = district(ward["south"], f"X{n}", f"追加{n}", f"ついか{n}")
        figures(area, {"0-4": 10 + n, "70-74": 20 + n})
        organisation = factories.organisation(f"追加サロン{n}", kind="salon")
        place = Location.objects.create(organisation=organisation, address="x", district=area)
        service(organisation, "サロン", ward["salon"], ward["hiroba"], at=[place])


def test_queries_do_not_grow_with_the_districts(client, ward, django_assert_max_num_queries):
    client.force_login(factories.user())
    with django_assert_max_num_queries(13) as small:
        assert client.get(URL).status_code == 200
    _grow(ward, 25)
    with django_assert_max_num_queries(13) as large:
        response = client.get(URL)
    assert len(response.context["table"]) == 29
    assert len(large.captured_queries) == len(small.captured_queries)
