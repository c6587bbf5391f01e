"""Importing population figures: the layouts municipalities publish, bad files, dry runs, re-import.

The files are in tests/districts/data/ (each a few rows); the area tree is
factories.population_tree(): 桜台二丁目 moved from 桜台 (D1) to 若葉 (D2) on 2025-04-01.
"""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from districts.models import AGE_BANDS, HouseholdFigure, PopulationFigure
from districts.population import (
    band_columns,
    parse_survey_date,
    population_by_band,
    population_import,
)
from districts.tables import ImportRejected
from tests import factories

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
JAN_2025, JAN_2026 = datetime.date(2025, 1, 1), datetime.date(2026, 1, 1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def tree():
    return factories.population_tree()


def load(name: str, **options):
    path = DATA / name
    return population_import(source=path.read_bytes(), filename=path.name, **options)


def stored(area, day, sex):
    return {
        band: count
        for band, count in PopulationFigure.objects.filter(
            area=area, surveyed_on=day, sex=sex
        ).values_list("age_band", "count")
    }


def rejected(name: str, **options) -> list[tuple]:
    with pytest.raises(ImportRejected) as error:
        load(name, **options)
    return [(p.line, p.column, p.message) for p in error.value.problems]


# --- the layouts --------------------------------------------------------------------------------


def test_standard_dataset_rolls_chome_up_to_the_district_of_each_survey_date(tree):
    report = load("population_standard.csv")

    assert not report.dry_run and report.rows == 8
    assert [
        (c.area.code, c.surveyed_on, c.status, c.after, c.source_rows) for c in report.changes
    ] == [
        ("D3", JAN_2025, "new", 36, 1),  # 柏木 (かしわぎ) sorts first
        ("D1", JAN_2025, "new", 18 * (12 + 14), 2),  # 桜台一丁目 10/11 + 桜台二丁目 2/3
        ("D2", JAN_2025, "new", 18 * 10, 1),
        ("D3", JAN_2026, "new", 36, 1),
        ("D1", JAN_2026, "new", 18 * 24, 1),  # 桜台二丁目 has moved to 若葉
        ("D2", JAN_2026, "new", 18 * (5 + 11), 2),  # 桜台２丁目 (全角) + 若葉1丁目
    ]
    # Male and female are stored as given; no "all" row is invented.
    assert stored(tree.sakuradai, JAN_2025, "male") == dict.fromkeys(AGE_BANDS, 12)
    assert stored(tree.sakuradai, JAN_2025, "female") == dict.fromkeys(AGE_BANDS, 14)
    assert stored(tree.sakuradai, JAN_2025, "all") == {}
    assert stored(tree.wakaba, JAN_2026, "male") == dict.fromkeys(AGE_BANDS, 8)
    assert PopulationFigure.objects.count() == 6 * 18 * 2
    households = dict(
        HouseholdFigure.objects.filter(surveyed_on=JAN_2026).values_list("area__code", "count")
    )
    assert households == {"D1": 160, "D2": 21 + 70, "D3": 10}


def test_older_header_in_shift_jis_with_bands_over_85_and_a_municipality_total(tree):
    report = load("population_older_cp932.csv")

    day = datetime.date(2024, 1, 1)  # 令和6年1月1日
    assert [(c.area.code, c.surveyed_on, c.status) for c in report.changes] == [
        ("D3", day, "new"),
        ("139999", day, "new"),
    ]
    # 85-89, 90-94, 95-99 and 100歳以上 add up to 85+; 年齢不詳 is left out.
    assert stored(tree.city, day, "male")["85+"] == 4 + 3 + 2 + 1
    assert stored(tree.city, day, "female")["80-84"] == 110
    assert stored(tree.kashiwagi, day, "male") == dict.fromkeys(AGE_BANDS[:-1], 3) | {"85+": 1}
    # The municipality's own total row wins over the sum of its districts.
    assert population_by_band(area=tree.city)["0-4"] == {"male": 100, "female": 110, "all": 210}
    assert HouseholdFigure.objects.get(area=tree.city).count == 1500


def test_estat_chome_table_with_the_survey_date_given_separately(tree):
    census_day = datetime.date(2024, 10, 1)
    report = load("population_estat_chome.csv", surveyed_on=census_day)

    assert [(c.area.code, c.after, c.source_rows) for c in report.changes] == [
        ("D1", 18 * (20 + 5), 2),  # 桜台１丁目 + 桜台２丁目, before the redraw
        ("D2", 18 * 7, 1),
    ]
    # Totals only: stored as "all"; 15～64歳 and 65歳以上 are groupings, not bands.
    assert stored(tree.sakuradai, census_day, "all") == dict.fromkeys(AGE_BANDS, 25)
    assert stored(tree.sakuradai, census_day, "male") == {}
    assert not HouseholdFigure.objects.exists()


def test_excel_with_a_date_cell(tree):
    report = load("population_standard.xlsx")

    day = datetime.date(2026, 4, 1)
    assert [(c.area.code, c.surveyed_on, c.after) for c in report.changes] == [
        ("D3", day, 18 * 4),
        ("D1", day, 18 * 7),
    ]


def test_utf8_with_bom_and_cp932_read_the_same(tree):
    text = (DATA / "population_standard.csv").read_text(encoding="utf-8")
    for encoding in ("utf-8-sig", "cp932"):
        report = population_import(source=text.encode(encoding), filename="p.csv", dry_run=True)
        assert [c.after for c in report.changes] == [36, 468, 180, 36, 432, 288]


# --- bad files ----------------------------------------------------------------------------------


def test_bad_rows_are_all_listed_with_line_and_column_and_nothing_is_written(tree):
    problems = rejected("population_bad_rows.csv")

    assert problems == [
        (3, "地域名", "No area or 町丁目 called 「存在しない町」 is known."),
        (4, "0-4歳の男性", "「abc」 is not a number."),
        (4, "5-9歳の女性", "A count cannot be negative."),
        (5, "地域名", "「桜台1丁目」 on 2026-01-01 already appears on line 2."),
        (6, "調査年月日", "「2026年13月1日」 is not a day of the calendar."),
        (7, "地域名", "The 町丁目 「旧町一丁目」 belonged to no district on 2026-01-01."),
        (9, "地域コード", "「柏木」 on 2026-01-01 already appears on line 8."),
    ]
    assert not PopulationFigure.objects.exists()
    assert not HouseholdFigure.objects.exists()


def test_missing_columns_are_named_on_line_1(tree):
    assert rejected("population_bad_header.csv") == [
        (
            1,
            "調査年月日",
            "No survey date: add a 調査年月日 column or give the survey date with the import.",
        ),
        (1, "30-34歳の女性", "This required column is missing from the header."),
    ]


def test_undecodable_encoding_is_rejected(tree):
    assert rejected("population_bad_encoding.csv") == [
        (None, None, "The file's encoding is not UTF-8 or Shift_JIS (CP932).")
    ]


def test_a_district_row_and_its_chome_rows_for_the_same_date_conflict(tree):
    text = (DATA / "population_standard.csv").read_text(encoding="utf-8")
    header, first, *_rest = text.splitlines()
    district_row = first.replace("桜台一丁目", "桜台")
    source = "\n".join([header, first, district_row]).encode()
    with pytest.raises(ImportRejected) as error:
        population_import(source=source, filename="p.csv")
    problems = [(p.line, p.column, p.message) for p in error.value.problems]
    assert problems == [
        (
            3,
            "地域名",
            "Figures for 桜台 on 2025-01-01 come both from its own row (line 3) and from its "
            "町丁目 (line 2).",
        )
    ]


def test_a_file_without_age_bands_or_area_column_is_rejected(tree):
    with pytest.raises(ImportRejected) as error:
        population_import(source="総人口,調査年月日\n100,2026-01-01\n".encode(), filename="p.csv")
    problems = [(p.line, p.column) for p in error.value.problems]
    assert problems == [(1, "地域名"), (1, None)]


# --- dry run and re-import ----------------------------------------------------------------------


def test_dry_run_reports_changes_and_writes_nothing(tree):
    report = load("population_standard.csv", dry_run=True)
    assert report.dry_run and report.new == 6 and report.figures_written == 0
    assert not PopulationFigure.objects.exists()


def test_reimport_is_idempotent_and_a_changed_file_replaces_the_figures(tree):
    load("population_standard.csv")
    again = load("population_standard.csv")
    assert (again.new, again.changed, again.unchanged, again.figures_written) == (0, 0, 6, 0)
    assert PopulationFigure.objects.count() == 6 * 18 * 2

    text = (DATA / "population_standard.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[5] = lines[5].replace(",12,12,", ",13,12,", 1)  # 桜台一丁目 2026: first band's male
    preview = population_import(source="\n".join(lines).encode(), filename="p.csv", dry_run=True)
    changed = [
        (c.area.code, c.surveyed_on, c.before, c.after)
        for c in preview.changes
        if c.status == "changed"
    ]
    assert changed == [("D1", JAN_2026, 432, 433)]
    assert stored(tree.sakuradai, JAN_2026, "male")["0-4"] == 12  # still: it was a dry run

    population_import(source="\n".join(lines).encode(), filename="p.csv")
    assert stored(tree.sakuradai, JAN_2026, "male")["0-4"] == 13
    assert PopulationFigure.objects.count() == 6 * 18 * 2


# --- pieces -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-01",
        "2026/4/1",
        "20260401",
        "2026年4月1日",
        "令和8年4月1日",
        "令和８年４月１日現在",
        "R8.4.1",
        "2026-04-01 00:00:00",
    ],
)
def test_survey_dates_in_the_forms_files_use(text):
    assert parse_survey_date(text) == datetime.date(2026, 4, 1)


def test_first_year_of_an_era():
    assert parse_survey_date("令和元年5月1日") == datetime.date(2019, 5, 1)
    assert parse_survey_date("平成31年4月1日") == datetime.date(2019, 4, 1)


@pytest.mark.parametrize("text", ["", "2026-02-30", "令和八年", "4/1/2026", "昨日"])
def test_unparseable_dates(text):
    with pytest.raises(ValueError):
        parse_survey_date(text)


def test_band_headers_in_hyphen_and_wave_dash_forms():
    columns = [
        "0-4歳の男性",
        "0〜4歳の女性",
        "5～9歳",
        "男10～14歳",
        "女 10~14歳",
        "0-14歳",
        "65歳以上",
    ]
    assert band_columns(columns) == {
        ("0-4", "male"): ["0-4歳の男性"],
        ("0-4", "female"): ["0〜4歳の女性"],
        ("5-9", "all"): ["5～9歳"],
        ("10-14", "male"): ["男10～14歳"],
        ("10-14", "female"): ["女 10~14歳"],
    }


def test_a_single_85_plus_column_wins_over_finer_bands():
    columns = ["85歳以上", "85-89歳", "90歳以上"]
    assert band_columns(columns) == {("85+", "all"): ["85歳以上"]}
    assert band_columns(["85-89歳", "90-94歳", "95歳以上", "100歳以上"]) == {
        ("85+", "all"): ["85-89歳", "90-94歳", "95歳以上"]
    }


# --- the command --------------------------------------------------------------------------------


def test_command_imports_and_reports(tree):
    out = io.StringIO()
    call_command(
        "import_population", str(DATA / "population_standard.csv"), "--language", "en", stdout=out
    )
    text = out.getvalue()
    assert "2026-01-01  D2  若葉  new  — → 288  (2 row(s))" in text
    assert "8 row(s) read: 6 new, 0 changed, 0 unchanged." in text
    assert "216 figure(s) written." in text
    assert PopulationFigure.objects.count() == 216


def test_command_dry_run_writes_nothing(tree):
    out = io.StringIO()
    call_command(
        "import_population",
        str(DATA / "population_standard.csv"),
        "--dry-run",
        "--language",
        "en",
        stdout=out,
    )
    assert "Dry run: nothing was written." in out.getvalue()
    assert not PopulationFigure.objects.exists()


def test_command_prints_every_problem_and_fails(tree):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="rejected with 7 problem"):
        call_command(
            "import_population",
            str(DATA / "population_bad_rows.csv"),
            "--language",
            "en",
            stdout=out,
            stderr=err,
        )
    lines = err.getvalue().splitlines()
    assert lines[0] == "line 3, column 地域名: No area or 町丁目 called 「存在しない町」 is known."
    assert len(lines) == 7
    assert not PopulationFigure.objects.exists()


def test_command_speaks_japanese_by_default(tree):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_population",
            str(DATA / "population_bad_header.csv"),
            stdout=io.StringIO(),
            stderr=err,
        )
    # The catalogue's words for "line" and "column" (tables.Problem) are Japanese.
    assert err.getvalue().startswith("1行目")


def test_command_takes_the_survey_date_as_an_option(tree):
    call_command(
        "import_population",
        str(DATA / "population_estat_chome.csv"),
        "--surveyed-on",
        "令和6年10月1日",
        stdout=io.StringIO(),
    )
    assert set(PopulationFigure.objects.values_list("surveyed_on", flat=True)) == {
        datetime.date(2024, 10, 1)
    }


def test_command_refuses_a_missing_file(tree):
    with pytest.raises(CommandError):
        call_command("import_population", str(DATA / "nope.csv"), stdout=io.StringIO())
