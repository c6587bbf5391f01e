"""和暦: format_wareki and the `wareki` template filter."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from districts.templatetags.japanese import wareki
from districts.wareki import era_year, format_wareki


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 11, 23), "令和8年（2026年）11月23日"),
        (datetime.date(2019, 5, 1), "令和元年（2019年）5月1日"),
        (datetime.date(2019, 4, 30), "平成31年（2019年）4月30日"),
        (datetime.date(1989, 1, 8), "平成元年（1989年）1月8日"),
        (datetime.date(1989, 1, 7), "昭和64年（1989年）1月7日"),
        (datetime.date(1926, 12, 25), "昭和元年（1926年）12月25日"),
        (datetime.date(1926, 12, 24), "大正15年（1926年）12月24日"),
        (datetime.date(1912, 7, 30), "大正元年（1912年）7月30日"),
        (datetime.date(1912, 7, 29), "明治45年（1912年）7月29日"),
        (datetime.date(1873, 1, 1), "明治6年（1873年）1月1日"),
        # Before Japan took the Gregorian calendar: the Western date only.
        (datetime.date(1872, 12, 31), "1872年12月31日"),
    ],
)
def test_format_wareki(day, expected):
    assert format_wareki(day) == expected


def test_era_year_counts_the_first_year_as_one():
    assert era_year(datetime.date(2019, 5, 1)) == ("令和", 1)
    assert era_year(datetime.date(2020, 1, 1)) == ("令和", 2)
    assert era_year(datetime.date(1872, 12, 31)) is None


def test_filter_in_japanese_shows_era_and_western_year():
    with translation.override("ja"):
        assert wareki(datetime.date(2026, 11, 23)) == "令和8年（2026年）11月23日"
        assert wareki(datetime.date(2019, 5, 1)) == "令和元年（2019年）5月1日"


def test_filter_takes_the_date_in_tokyo_for_aware_datetimes():
    # 16:00 UTC on the 23rd is 01:00 on the 24th in Tokyo.
    moment = datetime.datetime(2026, 11, 23, 16, 0, tzinfo=datetime.UTC)
    with translation.override("ja"):
        assert wareki(moment) == "令和8年（2026年）11月24日"
    just_before = datetime.datetime(2026, 11, 23, 14, 59, tzinfo=datetime.UTC)
    with translation.override("ja"):
        assert wareki(just_before) == "令和8年（2026年）11月23日"


def test_filter_uses_the_date_of_a_naive_datetime():
    with translation.override("ja"):
        assert wareki(datetime.datetime(2026, 11, 23, 23, 59)) == "令和8年（2026年）11月23日"


def test_filter_in_english_shows_the_western_date_only():
    with translation.override("en"):
        text = wareki(datetime.date(2026, 11, 23))
    assert text == "Nov. 23, 2026"
    assert "令和" not in text and "年" not in text


def test_filter_with_translations_deactivated_shows_the_western_date():
    with translation.override(None):
        assert "令和" not in wareki(datetime.date(2026, 11, 23))


@pytest.mark.parametrize("value", [None, ""])
def test_filter_shows_nothing_for_no_date(value):
    with translation.override("ja"):
        assert wareki(value) == ""


def test_filter_leaves_other_values_alone():
    with translation.override("ja"):
        assert wareki("未定") == "未定"


def test_filter_in_a_template_with_default():
    template = Template('{% load japanese %}{{ day|wareki }} / {{ none|wareki|default:"—" }}')
    with translation.override("ja"):
        html = template.render(Context({"day": datetime.date(2026, 11, 23), "none": None}))
    assert html == "令和8年（2026年）11月23日 / —"
