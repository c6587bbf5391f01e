"""Importing the territory: areas, boundaries and 町丁目 membership, all-or-nothing, and the admin
forms that keep the same rules."""

import copy
import datetime
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from districts.addresses import resolve_address
from districts.dates import parse_japanese_date
from districts.imports import areas_import, boundaries_import, chome_import
from districts.models import Area, Chome
from districts.tables import ImportRejected

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in the source language; tests/test_i18n.py checks the Japanese."""
    with translation.override("en"):
        yield


DATA = Path(__file__).parent / "data"
AREAS = DATA / "areas.csv"
CHOME = DATA / "areas_chome.csv"
REDRAW = DATA / "areas_chome_redraw.csv"
BOUNDARIES = DATA / "areas_boundaries.geojson"
HEADER = "コード,名称,読み仮名,階層,親コード\n"
REDRAW_DAY = datetime.date(2022, 4, 1)


def csv(text: str) -> bytes:
    return text.encode()


def problems_of(call) -> list[tuple]:
    with pytest.raises(ImportRejected) as rejected:
        call()
    return [(p.line, p.column, p.message) for p in rejected.value.problems]


def where(problems) -> set[tuple]:
    return {(line, column) for line, column, _ in problems}


def tree() -> dict[str, tuple]:
    return {
        area.code: (area.level, area.parent.code if area.parent else None, area.name, area.reading)
        for area in Area.objects.select_related("parent")
    }


@pytest.fixture
def territory():
    areas_import(source=AREAS)
    chome_import(source=CHOME)
    return {area.code: area for area in Area.objects.all()}


# ---------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    "text",
    [
        "2022-04-01",
        "2022/4/1",
        "2022/04/01",
        "2022.4.1",
        "2022年4月1日",
        "20220401",
        "２０２２／４／１",
        "令和4年4月1日",
        "令和４年４月１日",
        "R4.4.1",
        "r4/4/1",
        "2022-04-01 00:00:00",  # an Excel date cell read as text
    ],
)
def test_dates_as_japanese_tables_write_them(text):
    assert parse_japanese_date(text) == REDRAW_DAY


def test_first_year_of_an_era_and_era_boundaries():
    assert parse_japanese_date("令和元年5月1日") == datetime.date(2019, 5, 1)
    assert parse_japanese_date("H31.4.30") == datetime.date(2019, 4, 30)
    assert parse_japanese_date("平成元年1月8日") == datetime.date(1989, 1, 8)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("平成31年5月1日", "outside the 平成 era"),  # that day is 令和元年5月1日
        ("令和1年4月30日", "outside the 令和 era"),
        ("2022/2/30", "not a day of the calendar"),
        ("来年の春", "not a date"),
        ("4/1", "not a date"),
    ],
)
def test_impossible_dates_are_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_japanese_date(text)


# ---------------------------------------------------------------------------------------------
# Areas


def test_area_tree_from_a_file_with_children_before_parents():
    report = areas_import(source=AREAS)
    assert (report.created, report.updated, report.unchanged) == (6, 0, 0)
    assert tree() == {
        "131000": ("municipality", None, "ひばり野区", "ひばりのく"),
        "R1": ("region", "131000", "砧地域", "きぬたちいき"),
        "R2": ("region", "131000", "北地域", "きたちいき"),
        "D01": ("district", "R1", "砧地区", "きぬたちく"),
        "D02": ("district", "R1", "喜多見地区", "きたみちく"),  # katakana kept as hiragana
        "D03": ("district", "R2", "桜台地区", "さくらだいちく"),  # 日常生活圏域 is a district
    }


def test_area_import_again_changes_nothing_and_updates_by_code():
    areas_import(source=AREAS)
    assert areas_import(source=AREAS).unchanged == 6
    # Rename one district and move another to the other region; an empty reading keeps the old.
    report = areas_import(
        source=csv(HEADER + "D01,砧東地区,,地区,R1\nD02,喜多見地区,きたみちく,地区,R2\n")
    )
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    assert tree()["D01"] == ("district", "R1", "砧東地区", "きぬたちく")
    assert tree()["D02"][1] == "R2"
    assert Area.objects.count() == 6


def test_area_dry_run_reports_and_writes_nothing():
    report = areas_import(source=AREAS, dry_run=True)
    assert report.created == 6 and report.dry_run
    assert any("D03" in change for change in report.changes)
    assert not Area.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_area_file_in_shift_jis_or_with_bom(encoding):
    areas_import(source=AREAS.read_text().encode(encoding), filename="areas.csv")
    assert Area.objects.get(code="D02").name == "喜多見地区"


def test_area_file_in_excel():
    buffer = io.BytesIO()
    pd.read_csv(AREAS, dtype=str, keep_default_na=False).to_excel(buffer, index=False)
    report = areas_import(source=buffer.getvalue(), filename="areas.xlsx")
    assert report.created == 6
    assert tree()["131000"][1] is None


def test_parents_already_saved_need_not_be_in_the_file():
    areas_import(source=AREAS)
    areas_import(source=csv(HEADER + "D04,船橋地区,ふなばしちく,地区,R2\n"))
    assert tree()["D04"][:2] == ("district", "R2")


BAD_AREA_FILES = {
    "missing column": ("コード,名称,階層\nX,砧,地区\n", {(1, "親コード")}),
    "duplicate code": (
        HEADER + "131000,ひばり野区,,市区町村,\n131000,みどり市,,市区町村,\n",
        {(3, "コード")},
    ),
    "missing name": (HEADER + "131000,,,市区町村,\n", {(2, "名称")}),
    "missing code": (HEADER + ",ひばり野区,,市区町村,\n", {(2, "コード")}),
    "unknown level": (HEADER + "131000,ひばり野区,,町内会,\n", {(2, "階層")}),
    "unknown parent": (HEADER + "R1,砧地域,,地域,999999\n", {(2, "親コード")}),
    "district under municipality": (
        HEADER + "131000,ひばり野区,,市区町村,\nD01,砧地区,,地区,131000\n",
        {(3, "親コード")},
    ),
    "municipality with a parent": (
        HEADER + "131000,ひばり野区,,市区町村,\n139000,みどり市,,市区町村,131000\n",
        {(3, "親コード")},
    ),
    "region without parent": (HEADER + "R1,砧地域,,地域,\n", {(2, "親コード")}),
    "own parent": (HEADER + "R1,砧地域,,地域,R1\n", {(2, "親コード")}),
    "cycle": (
        HEADER + "R1,砧地域,,地域,R2\nR2,北地域,,地域,R1\n",
        {(2, "親コード"), (3, "親コード")},
    ),
}


@pytest.mark.parametrize("case", BAD_AREA_FILES)
def test_bad_area_files_are_rejected_whole(case):
    text, expected = BAD_AREA_FILES[case]
    # A good row beside the bad ones: the file is rejected whole, so it is not saved either.
    good = "" if "親コード" not in text.splitlines()[0] else "999,よい市,,市区町村,\n"
    problems = problems_of(lambda: areas_import(source=csv(text + good)))
    assert where(problems) == expected
    assert not Area.objects.exists()


def test_a_cycle_is_named_as_a_loop():
    text, _expected = BAD_AREA_FILES["cycle"]
    messages = [
        message for _line, _column, message in problems_of(lambda: areas_import(source=csv(text)))
    ]
    assert any("R1 → R2 → R1" in message for message in messages)


def test_every_problem_is_listed_at_once():
    text = HEADER + "131000,,,市区町村,\nD01,砧地区,,村落,\nD01,砧地区,,地区,R9\n"
    assert where(problems_of(lambda: areas_import(source=csv(text)))) == {
        (2, "名称"),
        (3, "階層"),
        (4, "コード"),
    }


def test_changing_a_level_may_not_strand_what_is_saved_under_it(territory):
    # R1 holds D01 and D02; D01 holds 町丁目.
    problems = problems_of(
        lambda: areas_import(source=csv(HEADER + "R1,砧地域,,地区,R2\nD01,砧地区,,地域,131000\n"))
    )
    assert where(problems) == {(2, "階層"), (3, "階層")}  # D02 stranded; D01 has 町丁目
    assert Area.objects.get(code="R1").level == "region"


def test_import_areas_command_reports_and_fails_on_rejection(tmp_path):
    out = io.StringIO()
    call_command("import_areas", str(AREAS), "--dry-run", stdout=out)
    assert "6" in out.getvalue() and not Area.objects.exists()
    call_command("import_areas", str(AREAS), stdout=io.StringIO())
    assert Area.objects.count() == 6

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "D09,,,地区,R1\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_areas", str(bad), stdout=io.StringIO(), stderr=err)
    assert "名称" in err.getvalue() and "2" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("import_areas", str(tmp_path / "missing.csv"), stdout=io.StringIO())


# ---------------------------------------------------------------------------------------------
# Boundaries


def geojson() -> dict:
    return json.loads(BOUNDARIES.read_text())


def as_bytes(collection: dict) -> bytes:
    return json.dumps(collection, ensure_ascii=False).encode()


def test_boundaries_are_stored_as_geometries(territory):
    report = boundaries_import(source=BOUNDARIES)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    district = Area.objects.get(code="D02")
    assert district.boundary["type"] == "Polygon"
    # Heights are dropped: the map needs longitude and latitude only.
    assert district.boundary["coordinates"][0][0] == [139.58, 35.63]
    # A numeric code property (131000) finds the area coded "131000".
    assert Area.objects.get(code="131000").boundary["type"] == "MultiPolygon"
    assert Area.objects.get(code="R1").boundary is None

    assert boundaries_import(source=BOUNDARIES).unchanged == 3
    moved = geojson()
    moved["features"][0]["geometry"]["coordinates"][0][1] = [139.625, 35.63]
    assert boundaries_import(source=as_bytes(moved)).updated == 1


def test_boundary_dry_run_writes_nothing(territory):
    report = boundaries_import(source=BOUNDARIES, dry_run=True)
    assert report.created == 3
    assert not Area.objects.filter(boundary__isnull=False).exists()


def test_code_property_can_be_named(territory):
    collection = geojson()
    for feature in collection["features"]:
        feature["properties"] = {"KEY_CODE": feature["properties"]["code"]}
    assert boundaries_import(source=as_bytes(collection), code_property="KEY_CODE").created == 3


def _break(mutate):
    collection = geojson()
    mutate(collection["features"][1])
    return collection


def _set_ring(ring):
    def mutate(feature):
        feature["geometry"]["coordinates"] = [ring]

    return mutate


SQUARE = [[139.58, 35.63], [139.60, 35.63], [139.60, 35.65], [139.58, 35.63]]
BAD_FEATURES = {
    "unknown code": (lambda f: f["properties"].update(code="Z99"), "properties.code", "Z99"),
    "no code": (lambda f: f["properties"].pop("code"), "properties.code", "no area code"),
    "duplicate code": (lambda f: f["properties"].update(code="D01"), "properties.code", "already"),
    "a point": (
        lambda f: f.update(geometry={"type": "Point", "coordinates": [139.6, 35.6]}),
        "geometry.type",
        "Point",
    ),
    "no geometry": (lambda f: f.update(geometry=None), "geometry", "no geometry"),
    "ring not closed": (
        _set_ring([[139.58, 35.63], [139.60, 35.63], [139.60, 35.65], [139.58, 35.65]]),
        "geometry.coordinates[0]",
        "not closed",
    ),
    "too few positions": (
        _set_ring([[139.58, 35.63], [139.60, 35.63], [139.58, 35.63]]),
        "geometry.coordinates[0]",
        "four positions",
    ),
    "projected metres": (
        _set_ring(
            [[-5000.0, -35000.0], [-4000.0, -35000.0], [-4000.0, -34000.0], [-5000.0, -35000.0]]
        ),
        "geometry.coordinates[0][0]",
        "projected",
    ),
    "latitude first": (
        _set_ring([[p[1], p[0]] for p in SQUARE]),
        "geometry.coordinates[0][0]",
        "swapped",
    ),
    "outside Japan": (
        _set_ring([[-157.8, 21.3], [-157.7, 21.3], [-157.7, 21.4], [-157.8, 21.3]]),
        "geometry.coordinates[0][0]",
        "outside Japan",
    ),
    "text for numbers": (
        _set_ring([["139.58", "35.63"], *SQUARE[1:]]),
        "geometry.coordinates[0][0]",
        "numbers",
    ),
    "not a feature": (lambda f: f.update(type="Polygon"), "type", "not a GeoJSON Feature"),
}


@pytest.mark.parametrize("case", BAD_FEATURES)
def test_bad_features_are_rejected_by_their_number(territory, case):
    mutate, column, text = BAD_FEATURES[case]
    problems = problems_of(lambda: boundaries_import(source=as_bytes(_break(mutate))))
    assert where(problems) == {(2, column)}  # the second feature; the first is good
    assert text in problems[0][2]
    assert not Area.objects.filter(boundary__isnull=False).exists()


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
        (b'{"type": "Feature", "geometry": null}', "FeatureCollection"),
        ("{}".encode("utf-16"), "UTF-8"),
        (
            b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
            b'{"name": "urn:ogc:def:crs:EPSG::6677"}}, "features": []}',
            "EPSG::6677",
        ),
    ],
)
def test_files_that_are_not_longitude_latitude_feature_collections(territory, content, text):
    problems = problems_of(lambda: boundaries_import(source=content))
    assert text in problems[0][2]


def test_import_boundaries_command(territory):
    out = io.StringIO()
    call_command("import_boundaries", str(BOUNDARIES), "--dry-run", stdout=out)
    assert "D02" in out.getvalue()
    assert not Area.objects.filter(boundary__isnull=False).exists()
    call_command("import_boundaries", str(BOUNDARIES), stdout=io.StringIO())
    assert Area.objects.filter(boundary__isnull=False).count() == 3


# ---------------------------------------------------------------------------------------------
# 町丁目 membership


def memberships(name: str) -> list[tuple]:
    return [
        (row.area.code, row.valid_from, row.valid_to)
        for row in Chome.objects.filter(name=name).select_related("area").order_by("pk")
    ]


def test_current_table_assigns_chome_to_districts(territory):
    assert Chome.objects.count() == 5
    assert memberships("砧五丁目") == [("D01", datetime.date(2015, 4, 1), None)]
    # A district given by its name, when no other district has it.
    assert memberships("喜多見一丁目") == [("D02", None, None)]
    assert memberships("桜台三丁目") == [("D03", datetime.date(2015, 4, 1), None)]  # 平成27年
    assert Chome.objects.get(name="砧一丁目").reading == "きぬたいっちょうめ"
    assert resolve_address("砧1-2-3").district.code == "D01"

    again = chome_import(source=CHOME)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_current_table_updates_readings_and_accepts_other_spellings(territory):
    # 「砧5丁目」 is the same 町丁目 as 「砧五丁目」.
    report = chome_import(source=csv("町丁目,地区コード,読み仮名\n砧5丁目,D01,キヌタゴチョウメ\n"))
    assert (report.created, report.updated) == (0, 1)
    assert Chome.objects.get(name="砧五丁目").reading == "きぬたごちょうめ"


def test_redraw_moves_chome_on_the_change_day_and_keeps_the_old_membership(territory):
    assert resolve_address("砧5丁目3-1", on=REDRAW_DAY).district.code == "D01"
    report = chome_import(source=REDRAW)
    assert (report.created, report.closed, report.unchanged) == (1, 1, 1)
    assert memberships("砧五丁目") == [
        ("D01", datetime.date(2015, 4, 1), datetime.date(2022, 3, 31)),
        ("D02", REDRAW_DAY, None),
    ]
    # Addresses go where the 町丁目 belonged on the day asked about.
    before = REDRAW_DAY - datetime.timedelta(days=1)
    assert resolve_address("砧5丁目3-1", on=before).district.code == "D01"
    assert resolve_address("砧五丁目3番1号", on=REDRAW_DAY).district.code == "D02"
    assert resolve_address("砧5-3-1", on=datetime.date(2026, 1, 1)).district.code == "D02"
    assert resolve_address("砧1-1", on=REDRAW_DAY).district.code == "D01"  # listed, unmoved

    again = chome_import(source=REDRAW)
    assert (again.created, again.closed, again.unchanged) == (0, 0, 2)
    assert Chome.objects.filter(name="砧五丁目").count() == 2


def test_redraw_from_excel_with_date_cells(territory):
    buffer = io.BytesIO()
    pd.DataFrame(
        {
            "町丁目": ["砧五丁目"],
            "旧地区コード": ["D01"],
            "新地区コード": ["D02"],
            "変更日": [pd.Timestamp(2022, 4, 1)],  # a real date cell, not text
        }
    ).to_excel(buffer, index=False)
    chome_import(source=buffer.getvalue(), filename="新旧対照表.xlsx")
    assert memberships("砧五丁目")[-1] == ("D02", REDRAW_DAY, None)


def test_a_membership_changed_during_the_import_is_not_overwritten(territory, monkeypatch):
    from districts import imports

    load = imports._Territory.load

    def load_then_someone_else_edits():
        territory_as_read = load()
        Chome.objects.filter(name="砧五丁目").update(valid_to=datetime.date(2021, 3, 31))
        return territory_as_read

    monkeypatch.setattr(imports._Territory, "load", load_then_someone_else_edits)
    problems = problems_of(lambda: chome_import(source=REDRAW))
    assert "changed while" in problems[0][2]
    # The whole import rolled back, including the other edit made inside its transaction.
    assert memberships("砧五丁目") == [("D01", datetime.date(2015, 4, 1), None)]


def test_redraw_dry_run_writes_nothing(territory):
    report = chome_import(source=REDRAW, dry_run=True)
    assert (report.created, report.closed) == (1, 1)
    assert any("2022-03-31" in change for change in report.changes)
    assert memberships("砧五丁目") == [("D01", datetime.date(2015, 4, 1), None)]


def test_current_table_moves_a_chome_when_given_the_day(territory):
    report = chome_import(source=csv("町丁目,地区コード,有効開始日\n喜多見一丁目,D01,2024/10/1\n"))
    assert (report.created, report.closed) == (1, 1)
    assert memberships("喜多見一丁目") == [
        ("D02", None, datetime.date(2024, 9, 30)),
        ("D01", datetime.date(2024, 10, 1), None),
    ]


def test_old_table_after_a_redraw_is_refused(territory):
    chome_import(source=REDRAW)
    problems = problems_of(lambda: chome_import(source=CHOME))
    assert where(problems) == {(4, "有効開始日")}  # 砧五丁目 is in 喜多見地区 since 2022-04-01
    assert "喜多見地区" in problems[0][2]


CURRENT = "町丁目,地区コード,有効開始日\n"
OLD_NEW = "町丁目,旧地区コード,新地区コード,変更日\n"
BAD_CHOME_FILES = {
    "missing column": ("町丁目,地区\n砧六丁目,D01\n", {(1, "地区コード")}),
    "redraw missing 変更日": (
        "町丁目,旧地区コード,新地区コード\n砧五丁目,D01,D02\n",
        {(1, "変更日")},
    ),
    "unknown district": (CURRENT + "砧六丁目,D99,\n", {(2, "地区コード")}),
    "a region is not a district": (CURRENT + "砧六丁目,R1,\n", {(2, "地区コード")}),
    "empty 町丁目": (CURRENT + ",D01,\n", {(2, "町丁目")}),
    "bad date": (CURRENT + "砧六丁目,D01,令和4年13月1日\n", {(2, "有効開始日")}),
    "duplicate": (CURRENT + "砧六丁目,D01,\n砧6丁目,D02,\n", {(3, "町丁目")}),
    "move without a day": (CURRENT + "砧五丁目,D02,\n", {(2, "地区コード")}),
    "move before it joined": (CURRENT + "砧五丁目,D02,2014-04-01\n", {(2, "有効開始日")}),
    "not in the old district": (
        OLD_NEW + "喜多見一丁目,D01,D03,2022-04-01\n",
        {(2, "旧地区コード")},
    ),
    "not in any district": (OLD_NEW + "砧九丁目,D01,D02,2022-04-01\n", {(2, "旧地区コード")}),
    "change before it joined": (OLD_NEW + "砧五丁目,D01,D02,2014/4/1\n", {(2, "変更日")}),
    "change on the day it joined": (OLD_NEW + "砧五丁目,D01,D02,2015/4/1\n", {(2, "変更日")}),
    "empty change day": (OLD_NEW + "砧五丁目,D01,D02,\n", {(2, "変更日")}),
    "non-district new code": (OLD_NEW + "砧五丁目,D01,131000,2022-04-01\n", {(2, "新地区コード")}),
    "redraw duplicate": (
        OLD_NEW + "砧五丁目,D01,D02,2022-04-01\n砧五丁目,D01,D03,2022-04-01\n",
        {(3, "町丁目")},
    ),
}


@pytest.mark.parametrize("case", BAD_CHOME_FILES)
def test_bad_chome_files_are_rejected_whole(territory, case):
    text, expected = BAD_CHOME_FILES[case]
    before = list(Chome.objects.order_by("pk").values())
    problems = problems_of(lambda: chome_import(source=csv(text)))
    assert where(problems) == expected
    assert list(Chome.objects.order_by("pk").values()) == before


def test_districts_of_another_municipality_are_refused_in_a_redraw(territory):
    other = Area.objects.create(level="municipality", code="139000", name="みどり市")
    region = Area.objects.create(level="region", parent=other, code="MR", name="みどり地域")
    Area.objects.create(level="district", parent=region, code="MD", name="みどり地区")
    problems = problems_of(
        lambda: chome_import(source=csv(OLD_NEW + "砧五丁目,D01,MD,2022-04-01\n"))
    )
    assert where(problems) == {(2, "新地区コード")}


def test_import_chome_command_prints_changes_on_a_dry_run(territory):
    out = io.StringIO()
    call_command("import_chome", str(REDRAW), "--dry-run", stdout=out)
    assert "喜多見地区 (D02)" in out.getvalue()
    assert Chome.objects.count() == 5
    with pytest.raises(CommandError):
        call_command("import_chome", str(AREAS), stdout=io.StringIO(), stderr=io.StringIO())


# ---------------------------------------------------------------------------------------------
# Admin


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.jp", "long-password-1")
    # Wagtail's admin speaks the user's chosen language: English, like the other checks here.
    profile = UserProfile.get_for_user(root)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(root)
    return client


def area_form(area: Area, **changes) -> dict:
    data = {
        "parent": area.parent_id or "",
        "level": area.level,
        "code": area.code,
        "name": area.name,
        "reading": area.reading,
        "boundary": json.dumps(area.boundary) if area.boundary else "",
    }
    return data | changes


def test_admin_boundary_is_checked_like_an_import(admin_client, territory):
    district = territory["D01"]
    feature = copy.deepcopy(geojson()["features"][0])
    open_ring = copy.deepcopy(feature["geometry"])
    open_ring["coordinates"][0].pop()
    response = admin_client.post(
        reverse("area:edit", args=[district.pk]),
        area_form(district, boundary=json.dumps(open_ring)),
    )
    assert response.status_code == 200
    assert "not closed" in response.text
    assert Area.objects.get(pk=district.pk).boundary is None

    # A whole Feature is accepted: its geometry is kept.
    response = admin_client.post(
        reverse("area:edit", args=[district.pk]), area_form(district, boundary=json.dumps(feature))
    )
    assert response.status_code == 302
    assert Area.objects.get(pk=district.pk).boundary == feature["geometry"]


def test_admin_keeps_the_tree_in_its_three_levels(admin_client, territory):
    district = territory["D01"]
    response = admin_client.post(
        reverse("area:edit", args=[district.pk]),
        area_form(district, parent=territory["131000"].pk),
    )
    assert response.status_code == 200
    assert Area.objects.get(pk=district.pk).parent == territory["R1"]
    # A district with 町丁目 cannot become a region.
    response = admin_client.post(
        reverse("area:edit", args=[district.pk]), area_form(district, level="region")
    )
    assert response.status_code == 200
    assert Area.objects.get(pk=district.pk).level == "district"


def test_admin_inspect_lists_chome_with_their_dates(admin_client, territory):
    chome_import(source=REDRAW)
    boundaries_import(source=BOUNDARIES)
    html = admin_client.get(reverse("area:inspect", args=[territory["D01"].pk])).text
    assert "砧五丁目" in html and "2022-03-31" in html and "2015-04-01" in html
    assert "Polygon" in html
    html = admin_client.get(reverse("area:inspect", args=[territory["R1"].pk])).text
    assert "砧地区" in html and "喜多見地区" in html


def test_admin_refuses_a_chome_in_two_districts_at_once(admin_client, territory):
    response = admin_client.post(
        reverse("chome:add"),
        {"area": territory["D02"].pk, "name": "砧5丁目", "reading": "", "valid_from": "2020-04-01"},
    )
    assert response.status_code == 200
    assert Chome.objects.filter(area=territory["D02"]).count() == 1
    # After its old membership ends, the same 町丁目 may join another district.
    Chome.objects.filter(name="砧五丁目").update(valid_to=datetime.date(2022, 3, 31))
    response = admin_client.post(
        reverse("chome:add"),
        {"area": territory["D02"].pk, "name": "砧5丁目", "reading": "", "valid_from": "2022-04-01"},
    )
    assert response.status_code == 302


def test_admin_chome_listing_filters_by_the_day_in_force(admin_client, territory):
    chome_import(source=REDRAW)
    url = reverse("chome:index")
    html = admin_client.get(url, {"area": territory["D02"].pk, "in_force_on": "2022-03-31"}).text
    assert "喜多見一丁目" in html and "砧五丁目" not in html
    html = admin_client.get(url, {"area": territory["D02"].pk, "in_force_on": "2022-04-01"}).text
    assert "砧五丁目" in html
