"""PopulationTotal: each area's own figures per survey date added up, kept in step with the figures
by every write (import, demo data), and read for many districts at once by the comparison.

The tree is factories.population_tree(); the files are those of test_population_import.py.
"""

import datetime
import importlib
import random
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from districts.models import AGE_BANDS, Area, PopulationFigure, PopulationTotal
from districts.population import (
    latest_population_totals,
    population_demo,
    population_import,
    population_summary,
    refresh_population_totals,
)
from districts.tables import ImportRejected
from tests import factories

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
JAN_2025, JAN_2026 = datetime.date(2025, 1, 1), datetime.date(2026, 1, 1)
# Per band, all residents: 1,320 in total; 65+ 80+60+40+30+20 = 230; 75+ 40+30+20 = 90;
# children 0–5 = 50 + 50/5 = 60; 6–17 = 50×4/5 + 40 + 50×3/5 = 110.
SAKURADAI = dict(zip(AGE_BANDS, [50, 50, 40, 50] + [100] * 9 + [80, 60, 40, 30, 20], strict=True))
FIELDS = ("total", "aged_65", "aged_75", "children_0_5", "children_6_17")


@pytest.fixture
def tree():
    return factories.population_tree()


def load(name: str, **options):
    path = DATA / name
    return population_import(source=path.read_bytes(), filename=path.name, **options)


def add(area, day, rows):
    """(band, sex, count) rows, stored as every write stores them: with their totals."""
    PopulationFigure.objects.bulk_create(
        PopulationFigure(area=area, surveyed_on=day, age_band=band, sex=sex, count=count)
        for band, sex, count in rows
    )
    refresh_population_totals(pairs=[(area.pk, day)])


def all_totals() -> dict[tuple[str, datetime.date], tuple]:
    return {
        (row.area.code, row.surveyed_on): tuple(getattr(row, name) for name in FIELDS)
        for row in PopulationTotal.objects.select_related("area")
    }


def as_summary_says(area, day) -> tuple:
    summary = population_summary(area=area, surveyed_on=day)
    return tuple(getattr(summary, name) for name in FIELDS)


def assert_in_step_with_the_figures():
    """A row for exactly each (area, date) with figures of its own, with PopulationSummary's
    numbers (for a district, whose figures are all its own, what its area page shows)."""
    pairs = set(PopulationFigure.objects.values_list("area_id", "surveyed_on").distinct())
    areas = Area.objects.in_bulk({area_id for area_id, _day in pairs})
    expected = {
        (areas[area_id].code, day): as_summary_says(areas[area_id], day)
        for area_id, day in pairs
        if areas[area_id].level == Area.Level.DISTRICT
    }
    stored = all_totals()
    assert set(stored) == {(areas[area_id].code, day) for area_id, day in pairs}
    assert {key: stored[key] for key in expected} == expected


def test_hand_computed_totals_and_rates(tree):
    add(tree.sakuradai, JAN_2026, [(band, "all", count) for band, count in SAKURADAI.items()])
    row = PopulationTotal.objects.get(area=tree.sakuradai)
    assert (row.surveyed_on, *(getattr(row, name) for name in FIELDS)) == (
        JAN_2026,
        1320,
        230,
        90,
        60,
        110,
    )
    summary = population_summary(area=tree.sakuradai)
    assert row.ageing_rate == summary.ageing_rate == pytest.approx(100 * 230 / 1320)
    assert row.ageing_rate_75 == summary.ageing_rate_75 == pytest.approx(100 * 90 / 1320)
    assert row.child_share == summary.child_share == pytest.approx(100 * 170 / 1320)


def test_an_all_figure_wins_over_male_and_female_as_in_the_summary(tree):
    # 0-4: "all" 30 given beside male 10 + female 12: 30 counts. 5-9: male 7 only (no female).
    add(
        tree.wakaba,
        JAN_2026,
        [("0-4", "all", 30), ("0-4", "male", 10), ("0-4", "female", 12), ("5-9", "male", 7)],
    )
    assert all_totals()[("D2", JAN_2026)] == (37, 0, 0, 31, 6)  # 30 + 7/5 → 31; 7×4/5 → 6
    assert_in_step_with_the_figures()


def test_an_empty_district_has_a_total_of_nought():
    *_above, district = factories.area_tree()
    add(district, JAN_2026, [("0-4", "all", 0)])
    row = latest_population_totals(area_ids=[district.pk])[district.pk]
    assert row.total == 0 and row.ageing_rate is None and row.child_share is None


def test_an_import_writes_the_totals_of_every_area_and_date_it_writes(tree):
    load("population_standard.csv")  # 町丁目 rolled up to the districts, two survey dates
    assert all_totals()[("D1", JAN_2026)][0] == 18 * 24
    assert all_totals()[("D2", JAN_2026)][0] == 18 * (5 + 11)
    assert len(all_totals()) == 6
    assert_in_step_with_the_figures()

    load("population_older_cp932.csv")  # a district and the municipality's own total row
    assert ("139999", datetime.date(2024, 1, 1)) in all_totals()
    assert not PopulationTotal.objects.filter(area__level=Area.Level.REGION).exists()
    assert_in_step_with_the_figures()


def test_a_changed_import_rewrites_the_totals_a_dry_run_or_a_bad_file_does_not(tree):
    load("population_standard.csv")
    before = all_totals()
    lines = (DATA / "population_standard.csv").read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(",12,12,", ",13,12,", 1)  # 桜台一丁目 2026: one more boy aged 0-4
    changed = "\n".join(lines).encode()

    population_import(source=changed, filename="p.csv", dry_run=True)
    assert all_totals() == before
    with pytest.raises(ImportRejected):
        load("population_bad_rows.csv")
    assert all_totals() == before

    population_import(source=changed, filename="p.csv")
    after = all_totals()
    assert after[("D1", JAN_2026)][:2] == (433, before[("D1", JAN_2026)][1])
    # Children 0–5: 0-4 was 24 and is now 25, 5-9 is 24: 24 + 4.8 → 29, then 25 + 4.8 → 30.
    assert (before[("D1", JAN_2026)][3], after[("D1", JAN_2026)][3]) == (29, 30)
    assert {k: v for k, v in after.items() if k != ("D1", JAN_2026)} == {
        k: v for k, v in before.items() if k != ("D1", JAN_2026)
    }
    assert_in_step_with_the_figures()


def test_latest_totals_take_each_districts_latest_survey(tree):
    add(tree.sakuradai, JAN_2025, [("40-44", "all", 900)])
    add(tree.sakuradai, JAN_2026, [(band, "all", count) for band, count in SAKURADAI.items()])
    add(tree.wakaba, JAN_2025, [("70-74", "all", 10), ("20-24", "all", 30)])
    districts = Area.objects.filter(level=Area.Level.DISTRICT).values("pk")
    latest = latest_population_totals(area_ids=districts)
    assert set(latest) == {tree.sakuradai.pk, tree.wakaba.pk}  # 柏木 has no figures
    assert (latest[tree.sakuradai.pk].surveyed_on, latest[tree.sakuradai.pk].total) == (
        JAN_2026,
        1320,
    )
    assert (latest[tree.wakaba.pk].surveyed_on, latest[tree.wakaba.pk].ageing_rate) == (
        JAN_2025,
        25.0,
    )
    assert latest_population_totals(area_ids=[]) == {}


def test_refresh_drops_the_totals_of_figures_that_are_gone_and_rebuilds_everything(tree):
    load("population_standard.csv")
    before = all_totals()
    PopulationFigure.objects.filter(area=tree.wakaba, surveyed_on=JAN_2025).delete()
    refresh_population_totals(pairs=[(tree.wakaba.pk, JAN_2025)])
    assert set(before) - set(all_totals()) == {("D2", JAN_2025)}

    PopulationTotal.objects.all().delete()
    assert refresh_population_totals() == 5
    assert all_totals() == {k: v for k, v in before.items() if k != ("D2", JAN_2025)}


def test_demo_figures_come_with_their_totals(tree):
    districts = [tree.sakuradai, tree.wakaba, tree.kashiwagi]
    population_demo(
        districts=districts, rng=random.Random(3), surveyed_on=JAN_2026, previous_on=JAN_2025
    )
    assert PopulationTotal.objects.count() == 3 * 2
    assert_in_step_with_the_figures()


def test_the_migration_adds_up_the_figures_stored_before_it(tree):
    load("population_standard.csv")
    load("population_older_cp932.csv")
    add(tree.kashiwagi, datetime.date(2026, 7, 1), [("0-4", "all", 30), ("5-9", "male", 7)])
    expected = all_totals()
    PopulationTotal.objects.all().delete()
    migration = importlib.import_module("districts.migrations.0003_population_totals")
    migration.add_up_existing_figures(django_apps, None)
    assert all_totals() == expected
