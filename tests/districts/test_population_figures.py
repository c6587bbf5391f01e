"""Reading population figures back: roll-up through the tree, summaries, the chart, demo data.

Figures are hand-made (or imported from tests/districts/data/population_standard.csv) so that every
expected number below can be checked with pencil and paper.
"""

import datetime
import random
import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from districts.models import AGE_BANDS, Area, HouseholdFigure, PopulationFigure
from districts.population import (
    population_by_band,
    population_demo,
    population_for_areas,
    population_import,
    population_summary,
)
from tests import factories

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
JAN_2025, JUL_2025, JAN_2026 = (
    datetime.date(2025, 1, 1),
    datetime.date(2025, 7, 1),
    datetime.date(2026, 1, 1),
)
# 桜台 on 2026-01-01, all residents per band: 1,320 in total, 230 aged 65+, 90 aged 75+.
SAKURADAI_2026 = dict(
    zip(AGE_BANDS, [50, 50, 40, 50] + [100] * 9 + [80, 60, 40, 30, 20], strict=True)
)
# A year earlier: 10 fewer aged 0-4 and 10 fewer aged 65-69 (1,300 in total, 220 aged 65+).
SAKURADAI_2025 = SAKURADAI_2026 | {"0-4": 40, "65-69": 70}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def tree():
    return factories.population_tree()


def add(area, day, per_band: dict, *, by_sex=True):
    rows = []
    for band, count in per_band.items():
        if by_sex:
            male = count // 2
            rows += [(band, "male", male), (band, "female", count - male)]
        else:
            rows.append((band, "all", count))
    PopulationFigure.objects.bulk_create(
        PopulationFigure(area=area, surveyed_on=day, age_band=band, sex=sex, count=count)
        for band, sex, count in rows
    )


def totals(bands):
    return sum(figures["all"] for figures in bands.values())


# --- roll-up ------------------------------------------------------------------------------------


def test_membership_change_between_surveys_rolls_up_by_the_survey_dates_districts(tree):
    population_import(
        source=(DATA / "population_standard.csv").read_bytes(), filename="population.csv"
    )
    expected = {
        # (area, date): total. 桜台二丁目 (2 + 3 per band) is in 桜台 in 2025, in 若葉 in 2026.
        (tree.sakuradai, JAN_2025): 18 * (10 + 11 + 2 + 3),
        (tree.wakaba, JAN_2025): 18 * (5 + 5),
        (tree.kashiwagi, JAN_2025): 18 * 2,
        (tree.north, JAN_2025): 18 * 26 + 18 * 10,
        (tree.city, JAN_2025): 18 * 26 + 18 * 10 + 18 * 2,
        (tree.sakuradai, JAN_2026): 18 * 24,
        (tree.wakaba, JAN_2026): 18 * (2 + 3 + 6 + 5),
        (tree.north, JAN_2026): 18 * 24 + 18 * 16,
        (tree.city, JAN_2026): 18 * 24 + 18 * 16 + 18 * 2,
    }
    for (area, day), total in expected.items():
        assert totals(population_by_band(area=area, surveyed_on=day)) == total, (area, day)
    # Without a date: the latest survey in the area's subtree.
    assert population_by_band(area=tree.north)["0-4"] == {
        "male": 12 + 2 + 6,
        "female": 12 + 3 + 5,
        "all": 40,
    }


def test_own_figures_win_over_children_and_sex_is_kept_only_when_every_part_has_it(tree):
    add(tree.sakuradai, JAN_2026, SAKURADAI_2026)  # by sex
    add(tree.wakaba, JAN_2026, dict.fromkeys(AGE_BANDS, 7), by_sex=False)  # totals only
    add(tree.south, JAN_2026, dict.fromkeys(AGE_BANDS, 100))  # the region's own figures…
    add(tree.kashiwagi, JAN_2026, dict.fromkeys(AGE_BANDS, 1))  # …win over its district's

    north = population_by_band(area=tree.north)
    assert north["0-4"] == {"male": None, "female": None, "all": 50 + 7}
    assert totals(north) == 1320 + 18 * 7
    assert population_by_band(area=tree.south)["85+"] == {"male": 50, "female": 50, "all": 100}
    assert totals(population_by_band(area=tree.city)) == 1320 + 18 * 7 + 1800
    assert population_by_band(area=tree.sakuradai)["0-4"] == {"male": 25, "female": 25, "all": 50}


def test_no_figures_gives_an_empty_result(tree):
    assert population_by_band(area=tree.city) == {}
    summary = population_summary(area=tree.city)
    assert not summary.has_figures and summary.total == 0 and summary.ageing_rate is None


def test_queries_do_not_grow_with_the_tree(tree, django_assert_num_queries):
    for n in range(20):
        district = Area.objects.create(
            level=Area.Level.DISTRICT, parent=tree.south, code=f"X{n}", name=f"地区{n}"
        )
        add(district, JAN_2026, dict.fromkeys(AGE_BANDS, n))
    with django_assert_num_queries(2):
        assert totals(population_by_band(area=tree.city)) == 18 * sum(range(20))
    with django_assert_num_queries(1):
        population_by_band(area=tree.city, surveyed_on=JAN_2026)
    with django_assert_num_queries(3):
        population_summary(area=tree.city)
    areas = list(Area.objects.all())
    with django_assert_num_queries(3):
        summaries = population_for_areas(areas=areas)
    assert len(summaries) == len(areas) == 26
    assert summaries[tree.south.pk].total == 18 * sum(range(20))


# --- summary ------------------------------------------------------------------------------------


def test_summary_ageing_children_and_change_against_a_year_earlier(tree):
    add(tree.sakuradai, JAN_2026, SAKURADAI_2026)
    add(tree.sakuradai, JUL_2025, dict.fromkeys(AGE_BANDS, 1))  # half a year: not "a year"
    add(tree.sakuradai, JAN_2025, SAKURADAI_2025)

    summary = population_summary(area=tree.sakuradai)

    assert summary.surveyed_on == JAN_2026 and summary.previous.surveyed_on == JAN_2025
    assert summary.total == 1320 and summary.has_sex
    assert (summary.total_male, summary.total_female) == (660, 660)
    assert summary.aged_65 == 230 and summary.aged_75 == 90
    assert summary.ageing_rate == pytest.approx(100 * 230 / 1320)  # 17.4%
    assert summary.ageing_rate_75 == pytest.approx(100 * 90 / 1320)  # 6.8%
    # 0–5: 0-4 + 1/5 of 5-9 = 50 + 10; 6–17: 4/5 of 5-9 + 10-14 + 3/5 of 15-19 = 40 + 40 + 30.
    assert (summary.children_0_5, summary.children_6_17) == (60, 110)
    assert summary.child_share == pytest.approx(100 * 170 / 1320)
    assert summary.total_change == 20
    assert summary.total_change_percent == pytest.approx(100 * 20 / 1300)
    assert summary.ageing_rate_change == pytest.approx(100 * 230 / 1320 - 100 * 220 / 1300)
    assert summary.children_0_5_change == 60 - 50
    assert summary.children_6_17_change == 0


def test_no_previous_survey_means_no_change(tree):
    add(tree.sakuradai, JAN_2026, SAKURADAI_2026)
    add(tree.sakuradai, JUL_2025, SAKURADAI_2025)
    summary = population_summary(area=tree.sakuradai)
    assert summary.previous is None and summary.total_change is None


def test_summaries_for_many_areas_each_use_their_latest_survey(tree):
    add(tree.sakuradai, JAN_2026, SAKURADAI_2026)
    add(tree.sakuradai, JAN_2025, SAKURADAI_2025)
    add(tree.kashiwagi, JAN_2025, dict.fromkeys(AGE_BANDS, 2))
    summaries = population_for_areas(areas=[tree.sakuradai, tree.kashiwagi, tree.wakaba])
    assert summaries[tree.sakuradai.pk].total_change == 20
    assert summaries[tree.kashiwagi.pk].surveyed_on == JAN_2025
    assert summaries[tree.kashiwagi.pk].total == 36
    assert not summaries[tree.wakaba.pk].has_figures
    # A given date applies to every area.
    fixed = population_for_areas(areas=[tree.sakuradai, tree.kashiwagi], surveyed_on=JAN_2025)
    assert fixed[tree.sakuradai.pk].total == 1300 and fixed[tree.kashiwagi.pk].total == 36


# --- the chart partial --------------------------------------------------------------------------


def test_chart_partial_draws_a_pyramid_and_the_same_figures_as_a_table(tree):
    add(tree.sakuradai, JAN_2026, SAKURADAI_2026)
    add(tree.sakuradai, JAN_2025, SAKURADAI_2025)
    html = render_to_string(
        "districts/includes/population_chart.html",
        {"population": population_summary(area=tree.sakuradai)},
    )
    svg = re.search(r'<svg id="population-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-label="Population by age band' in svg
    assert 'data-pyramid="true"' in svg
    assert len(re.findall(r"<rect ", svg)) == 18 * 2
    # The widest bar (20-24 … 60-64: 50 men, 50 women) spans half the chart minus a margin.
    assert 'data-band="85+"' in svg and 'width="208.0"' in svg
    assert "<caption>Population by age band" in html
    assert '<th scope="row">0–4</th>' in html
    assert "1,320" in html and "+20" in html  # total and its change since a year earlier
    assert "17.4%" in html and "+0.5 points" in html
    assert "estimates" in html  # the child-population approximation is explained


def test_chart_partial_without_sex_draws_one_bar_per_band(tree):
    add(tree.wakaba, JAN_2026, dict.fromkeys(AGE_BANDS, 7), by_sex=False)
    html = render_to_string(
        "districts/includes/population_chart.html",
        {"population": population_summary(area=tree.wakaba)},
    )
    assert 'data-pyramid="false"' in html
    assert len(re.findall(r'<rect class="bar" data-sex="all"', html)) == 18
    assert '<th scope="col">Male</th>' not in html


def test_chart_partial_without_figures_says_so(tree):
    html = render_to_string(
        "districts/includes/population_chart.html",
        {"population": population_summary(area=tree.city)},
    )
    assert "No population figures have been imported" in html
    assert "<svg" not in html


# --- demo data ----------------------------------------------------------------------------------


def test_demo_figures_for_280_districts_are_plausible_and_repeatable(tree):
    districts = Area.objects.bulk_create(
        Area(level=Area.Level.DISTRICT, parent=tree.north, code=f"demo{n}", name=f"地区{n}")
        for n in range(280)
    )
    created = population_demo(
        districts=districts,
        rng=random.Random(7),
        surveyed_on=JAN_2026,
        previous_on=datetime.date(2025, 1, 1),
    )
    assert created == 280 * 18 * 2 * 2  # bands × sexes × two surveys
    summaries = population_for_areas(areas=districts[:3])
    for summary in summaries.values():
        assert 20_000 < summary.total < 46_000
        assert 15 < summary.ageing_rate < 30
        # The earlier survey differs by a few percent, so the page has a change to show.
        assert summary.total_change is not None
        assert abs(summary.total_change_percent) < 5
    first = [f.count for f in PopulationFigure.objects.filter(area=districts[0]).order_by("pk")]
    PopulationFigure.objects.all().delete()
    HouseholdFigure.objects.all().delete()
    population_demo(
        districts=districts[:1],
        rng=random.Random(7),
        surveyed_on=JAN_2026,
        previous_on=datetime.date(2025, 1, 1),
    )
    again = [f.count for f in PopulationFigure.objects.filter(area=districts[0]).order_by("pk")]
    assert again == first
