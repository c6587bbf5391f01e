"""Recurring schedules: RRULE round trip, Japanese and English rendering, reading Japanese text,
the day-of-week helpers, next occurrences, and the staff schedule form."""

import datetime
import itertools
import unicodedata

import pytest
from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from resources import schedules
from resources.models import Schedule
from resources.schedule_forms import ScheduleForm
from resources.schedules import Rule, parse_japanese_schedule
from tests import factories

T = datetime.time

# --- RRULE round trip -----------------------------------------------------------------------

# (as written, normal form, the structured rule)
RULES = [
    ("FREQ=WEEKLY;BYDAY=WE", "FREQ=WEEKLY;BYDAY=WE", Rule("WEEKLY", weekdays=((0, "WE"),))),
    (
        "FREQ=MONTHLY;BYDAY=2TU,4TU",
        "FREQ=MONTHLY;BYDAY=2TU,4TU",
        Rule("MONTHLY", weekdays=((2, "TU"), (4, "TU"))),
    ),
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        Rule("WEEKLY", interval=2, weekdays=((0, "SA"),)),
    ),
    ("FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYMONTHDAY=15", Rule("MONTHLY", month_days=(15,))),
    (
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYDAY=-1FR",
        Rule("MONTHLY", weekdays=((-1, "FR"),)),
    ),
    (
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        Rule("WEEKLY", weekdays=tuple((0, d) for d in ("MO", "TU", "WE", "TH", "FR"))),
    ),
    (
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA",
        Rule("WEEKLY", weekdays=tuple((0, d) for d in ("MO", "TU", "WE", "TH", "FR", "SA"))),
    ),
    ("FREQ=DAILY", "FREQ=DAILY", Rule("DAILY")),
    (
        "FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1",
        "FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1",
        Rule("YEARLY", months=(8,), month_days=(1,)),
    ),
    (
        "FREQ=YEARLY;BYMONTH=11;BYDAY=3SU",
        "FREQ=YEARLY;BYMONTH=11;BYDAY=3SU",
        Rule("YEARLY", months=(11,), weekdays=((3, "SU"),)),
    ),
    # Written differently, read the same: prefix, case, order of parts and days, repeats,
    # INTERVAL=1, a "+" ordinal, WKST=MO, spaces and a trailing semicolon.
    (
        "RRULE:byday=fr,we,mo;freq=weekly;interval=1",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        Rule("WEEKLY", weekdays=((0, "FR"), (0, "WE"), (0, "MO"))),
    ),
    (
        "BYDAY=4TU,+2TU,2TU;FREQ=MONTHLY;WKST=MO;",
        "FREQ=MONTHLY;BYDAY=2TU,4TU",
        Rule("MONTHLY", weekdays=((4, "TU"), (2, "TU"))),
    ),
    (
        "FREQ=MONTHLY; BYMONTHDAY=-1,15,1",
        "FREQ=MONTHLY;BYMONTHDAY=1,15,-1",
        Rule("MONTHLY", month_days=(-1, 15, 1)),
    ),
    (
        "FREQ=MONTHLY;BYDAY=-1FR,1MO,3WE,1FR",
        "FREQ=MONTHLY;BYDAY=1MO,3WE,1FR,-1FR",
        Rule("MONTHLY", weekdays=((-1, "FR"), (1, "MO"), (3, "WE"), (1, "FR"))),
    ),
    (
        "ＦＲＥＱ＝ＤＡＩＬＹ；ＩＮＴＥＲＶＡＬ＝２",
        "FREQ=DAILY;INTERVAL=2",
        Rule("DAILY", interval=2),
    ),
]


@pytest.mark.parametrize(("written", "normal", "structured"), RULES)
def test_round_trip(written, normal, structured):
    rule = Rule.parse(written)
    assert rule.as_rrule() == normal
    assert rule == structured
    assert structured.as_rrule() == normal
    assert Rule.parse(normal) == rule  # parse(serialise(x)) == x
    assert schedules.normalise_rrule(written) == normal


@pytest.mark.parametrize(("written", "normal", "structured"), RULES)
def test_normal_form_means_what_was_written(written, normal, structured):
    """dateutil reads the normal form and the original to the same dates."""
    start = datetime.datetime(2026, 1, 1)
    original = unicodedata.normalize("NFKC", written).upper().replace(" ", "").strip(";")
    expected = list(itertools.islice(rrulestr(original, dtstart=start), 30))
    produced = list(itertools.islice(structured.to_dateutil(dtstart=start), 30))
    assert produced == expected


INVALID = [
    ("", "required"),
    ("FREQ=WEEKLY", "weekly_days"),
    ("FREQ=HOURLY;BYDAY=MO", "freq"),
    ("BYDAY=MO", "no_freq"),
    ("FREQ", "part"),
    ("FREQ=WEEKLY;FREQ=DAILY", "repeated"),
    ("FREQ=WEEKLY;BYDAY=MO;COLOR=RED", "unknown"),
    ("FREQ=WEEKLY;BYDAY=MO;COUNT=10", "unsupported"),
    ("FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T000000Z", "unsupported"),
    ("FREQ=DAILY;BYHOUR=10", "unsupported"),
    ("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2", "unsupported"),
    ("FREQ=WEEKLY;BYDAY=MO;WKST=SU", "wkst"),
    ("FREQ=WEEKLY;INTERVAL=0;BYDAY=MO", "interval"),
    ("FREQ=WEEKLY;INTERVAL=two;BYDAY=MO", "interval"),
    ("FREQ=WEEKLY;BYDAY=XX", "weekday"),
    ("FREQ=MONTHLY;BYDAY=0MO", "weekday"),
    ("FREQ=MONTHLY;BYDAY=6MO", "ordinal"),
    ("FREQ=WEEKLY;BYDAY=2TU", "weekly_ordinal"),
    ("FREQ=WEEKLY;BYDAY=MO;BYMONTHDAY=1", "weekly_month_day"),
    ("FREQ=MONTHLY;BYDAY=TU", "monthly_plain"),
    ("FREQ=MONTHLY", "monthly_days"),
    ("FREQ=MONTHLY;BYDAY=2TU;BYMONTHDAY=15", "days_and_dates"),
    ("FREQ=MONTHLY;BYMONTHDAY=32", "month_day"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "month_day"),
    ("FREQ=MONTHLY;BYMONTH=8;BYMONTHDAY=1", "months"),
    ("FREQ=DAILY;BYDAY=MO", "daily_days"),
    ("FREQ=YEARLY;BYMONTHDAY=1", "yearly_month"),
    ("FREQ=YEARLY;BYMONTH=13;BYMONTHDAY=1", "month"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never"),
]


@pytest.mark.parametrize(("rrule", "code"), INVALID)
def test_invalid_rules_are_refused_with_a_reason(rrule, code):
    with pytest.raises(ValidationError) as caught:
        Rule.parse(rrule)
    assert caught.value.code == code
    with translation.override("en"):
        assert str(caught.value.messages[0])  # a sentence, with its placeholders filled
        assert "%(" not in caught.value.messages[0]


def test_reasons_are_specific():
    with translation.override("en"):
        with pytest.raises(ValidationError, match="A weekly rule needs its days"):
            Rule.parse("FREQ=WEEKLY")
        with pytest.raises(ValidationError, match="COUNT is not used in schedules"):
            Rule.parse("FREQ=WEEKLY;BYDAY=MO;COUNT=3")
        with pytest.raises(ValidationError, match='"XX" is not a weekday'):
            Rule.parse("FREQ=WEEKLY;BYDAY=XX")


def test_february_29th_happens():
    assert Rule.parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29").as_rrule().endswith("=29")


# --- Rendering --------------------------------------------------------------------------------

RENDERINGS = [
    ("FREQ=WEEKLY;BYDAY=WE", "毎週水曜", "Wednesdays"),
    ("FREQ=MONTHLY;BYDAY=2TU,4TU", "毎月第2・第4火曜", "2nd and 4th Tuesday of each month"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "平日", "Weekdays"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "隔週土曜", "Every other Saturday"),
    ("FREQ=MONTHLY;BYMONTHDAY=15", "毎月15日", "15th of each month"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "毎月最終金曜", "Last Friday of each month"),
    ("FREQ=DAILY", "毎日", "Daily"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA", "月〜土曜", "Monday to Saturday"),
    ("FREQ=WEEKLY;BYDAY=MO,TH", "毎週月・木曜", "Mondays and Thursdays"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "毎週月・水・金曜", "Mondays, Wednesdays and Fridays"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,FR", "月〜水・金曜", "Monday to Wednesday and Friday"),
    ("FREQ=WEEKLY;BYDAY=SA,SU", "土日", "Weekends"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", "毎日", "Daily"),
    ("FREQ=WEEKLY;INTERVAL=3;BYDAY=SA", "3週ごとの土曜", "Every 3 weeks on Saturday"),
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR",
        "隔週月〜金曜",
        "Every other week, Monday to Friday",
    ),
    ("FREQ=MONTHLY;BYDAY=1SA,3SA", "毎月第1・第3土曜", "1st and 3rd Saturday of each month"),
    (
        "FREQ=MONTHLY;BYDAY=2TU,4TU,2TH,4TH",
        "毎月第2・第4火・木曜",
        "2nd and 4th Tuesday and Thursday of each month",
    ),
    (
        "FREQ=MONTHLY;BYDAY=1MO,3WE",
        "毎月第1月曜、第3水曜",
        "1st Monday and 3rd Wednesday of each month",
    ),
    ("FREQ=MONTHLY;BYDAY=1FR,-1FR", "毎月第1・最終金曜", "1st and last Friday of each month"),
    ("FREQ=MONTHLY;INTERVAL=2;BYDAY=1SA", "隔月第1土曜", "1st Saturday of every other month"),
    ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1", "3か月ごとの1日", "1st of every 3 months"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15", "毎月1日・15日", "1st and 15th of each month"),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", "毎月末日", "Last day of each month"),
    (
        "FREQ=MONTHLY;BYMONTHDAY=21,22,23",
        "毎月21日・22日・23日",
        "21st, 22nd and 23rd of each month",
    ),
    ("FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1", "毎年8月1日", "1st of August each year"),
    ("FREQ=YEARLY;BYMONTH=11;BYDAY=3SU", "毎年11月第3日曜", "3rd Sunday of November each year"),
    (
        "FREQ=YEARLY;BYMONTH=4,10;BYMONTHDAY=1",
        "毎年4月・10月の1日",
        "1st of April and October each year",
    ),
    ("FREQ=DAILY;INTERVAL=2", "隔日", "Every other day"),
    ("FREQ=DAILY;INTERVAL=3", "3日ごと", "Every 3 days"),
]


@pytest.mark.parametrize(("rrule", "japanese", "english"), RENDERINGS)
def test_rules_read_naturally(rrule, japanese, english):
    with translation.override("ja"):
        assert schedules.describe_rule(rrule) == japanese
    with translation.override("en"):
        assert schedules.describe_rule(rrule) == english
    assert schedules.describe_rule(rrule, language="ja") == japanese


def test_other_languages_fall_back_to_english():
    with translation.override("zh-hans"):
        assert schedules.describe_rule("FREQ=WEEKLY;BYDAY=WE") == "Wednesdays"


def _schedule(rrule, opens=None, closes=None, **fields):
    return Schedule(rrule=rrule, opens_at=opens, closes_at=closes, **fields)


@pytest.mark.parametrize(
    ("rows", "japanese", "english"),
    [
        (
            [_schedule("FREQ=WEEKLY;BYDAY=WE", T(10), T(12))],
            ["毎週水曜 10:00–12:00"],
            ["Wednesdays 10:00–12:00"],
        ),
        (
            [_schedule("FREQ=MONTHLY;BYDAY=2TU,4TU", T(10), T(12))],
            ["毎月第2・第4火曜 10:00–12:00"],
            ["2nd and 4th Tuesday of each month, 10:00–12:00"],
        ),
        (
            [_schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", T(8, 30), T(17, 15), notes="祝日休み")],
            ["平日 8:30–17:15（祝日休み）"],
            ["Weekdays 8:30–17:15 (祝日休み)"],
        ),
        (
            # Two spans of one rule make one line, in time order, whatever the row order.
            [
                _schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", T(15), T(18, 30)),
                _schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", T(9), T(12, 30)),
                _schedule("FREQ=WEEKLY;BYDAY=SA", T(9), T(12, 30)),
            ],
            ["平日 9:00–12:30、15:00–18:30", "毎週土曜 9:00–12:30"],
            ["Weekdays 9:00–12:30 and 15:00–18:30", "Saturdays 9:00–12:30"],
        ),
        (
            [_schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA")],
            ["隔週土曜"],
            ["Every other Saturday"],
        ),
        (
            [_schedule("FREQ=MONTHLY;BYMONTHDAY=15", T(13, 30))],
            ["毎月15日 13:30–"],
            ["15th of each month, 13:30–"],
        ),
        (
            [_schedule("FREQ=DAILY", T(0), T(0))],
            ["毎日 0:00–24:00"],
            ["Daily 0:00–24:00"],
        ),
        (
            [
                _schedule(
                    "FREQ=WEEKLY;BYDAY=SA",
                    T(10),
                    T(12),
                    valid_from=datetime.date(2026, 4, 1),
                    valid_to=datetime.date(2026, 9, 30),
                )
            ],
            ["毎週土曜 10:00–12:00 令和8年（2026年）4月1日〜令和8年（2026年）9月30日"],
            ["Saturdays 10:00–12:00 (April 1, 2026 to Sept. 30, 2026)"],
        ),
        (
            # A rule that cannot be read is shown as stored rather than hidden.
            [_schedule("FREQ=SOMETIMES", T(10), T(12))],
            ["FREQ=SOMETIMES 10:00–12:00"],
            ["FREQ=SOMETIMES 10:00–12:00"],
        ),
    ],
)
def test_schedule_lines(rows, japanese, english):
    with translation.override("ja"):
        assert schedules.schedule_lines(rows) == japanese
    with translation.override("en"):
        assert schedules.schedule_lines(rows) == english


def test_template_filter_and_include():
    rows = [
        _schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", T(9), T(12, 30)),
        _schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", T(15), T(18, 30)),
    ]
    template = Template(
        "{% load schedules %}{% for line in rows|schedule_lines %}[{{ line }}]{% endfor %}"
        "{{ rows.0|schedule_line }}"
    )
    with translation.override("ja"):
        assert template.render(Context({"rows": rows})) == (
            "[平日 9:00–12:30、15:00–18:30]平日 9:00–12:30"
        )
    include = Template('{% include "resources/includes/schedules.html" with schedules=rows %}')
    with translation.override("en"):
        html = include.render(Context({"rows": rows}))
    assert "<li>Weekdays 9:00–12:30 and 15:00–18:30</li>" in html
    assert "Edit" not in html  # read only without `editable`


# --- Reading Japanese -------------------------------------------------------------------------

WEEKDAYS_RULE = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("毎週水曜日 10時～12時", [("FREQ=WEEKLY;BYDAY=WE", T(10), T(12), "")]),
        ("月～金 8:30-17:15", [(WEEKDAYS_RULE, T(8, 30), T(17, 15), "")]),
        ("月曜日～金曜日", [(WEEKDAYS_RULE, None, None, "")]),
        ("毎月第2・第4火曜 10:00～12:00", [("FREQ=MONTHLY;BYDAY=2TU,4TU", T(10), T(12), "")]),
        ("第1,3土曜", [("FREQ=MONTHLY;BYDAY=1SA,3SA", None, None, "")]),
        ("第1・3・5土曜日", [("FREQ=MONTHLY;BYDAY=1SA,3SA,5SA", None, None, "")]),
        ("平日", [(WEEKDAYS_RULE, None, None, "")]),
        ("土日祝", [("FREQ=WEEKLY;BYDAY=SA,SU", None, None, "祝日も利用可")]),
        ("毎月15日", [("FREQ=MONTHLY;BYMONTHDAY=15", None, None, "")]),
        ("毎月1日・15日", [("FREQ=MONTHLY;BYMONTHDAY=1,15", None, None, "")]),
        ("毎月末日 10:00-11:00", [("FREQ=MONTHLY;BYMONTHDAY=-1", T(10), T(11), "")]),
        ("毎月最終金曜 13時半〜15時", [("FREQ=MONTHLY;BYDAY=-1FR", T(13, 30), T(15), "")]),
        ("隔週土曜日", [("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", None, None, "")]),
        ("隔月第1土曜", [("FREQ=MONTHLY;INTERVAL=2;BYDAY=1SA", None, None, "")]),
        ("毎日", [("FREQ=DAILY", None, None, "")]),
        ("年中無休 24時間", [("FREQ=DAILY", T(0), T(0), "")]),
        ("毎年8月1日", [("FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1", None, None, "")]),
        # 全角 digits, colons, spaces and tildes; the wave dash 〜 and the long vowel mark ー.
        ("毎週水曜日　１０：００～１２：００", [("FREQ=WEEKLY;BYDAY=WE", T(10), T(12), "")]),
        ("月〜金　８：３０〜１７：１５", [(WEEKDAYS_RULE, T(8, 30), T(17, 15), "")]),
        ("月・水・金 10:00ー12:00", [("FREQ=WEEKLY;BYDAY=MO,WE,FR", T(10), T(12), "")]),
        ("第２・第４火曜日", [("FREQ=MONTHLY;BYDAY=2TU,4TU", None, None, "")]),
        ("月火水木金", [(WEEKDAYS_RULE, None, None, "")]),
        ("月、水、金", [("FREQ=WEEKLY;BYDAY=MO,WE,FR", None, None, "")]),
        ("金～月", [("FREQ=WEEKLY;BYDAY=MO,FR,SA,SU", None, None, "")]),
        ("毎週水曜 午前10時～正午", [("FREQ=WEEKLY;BYDAY=WE", T(10), T(12), "")]),
        ("火・木曜日の午後1時から3時まで", [("FREQ=WEEKLY;BYDAY=TU,TH", T(13), T(15), "")]),
        ("日祝 10:00～", [("FREQ=WEEKLY;BYDAY=SU", T(10), None, "祝日も利用可")]),
        # Several spans of one rule, and several rules.
        (
            "月～金 9:00～12:30、15:00～18:30",
            [(WEEKDAYS_RULE, T(9), T(12, 30), ""), (WEEKDAYS_RULE, T(15), T(18, 30), "")],
        ),
        (
            "月～金 9:00～17:00、土 9:00～12:00",
            [(WEEKDAYS_RULE, T(9), T(17), ""), ("FREQ=WEEKLY;BYDAY=SA", T(9), T(12), "")],
        ),
        (
            "第2・4土曜日 9:00～12:00 / 毎週水曜日 13:00～15:00",
            [
                ("FREQ=MONTHLY;BYDAY=2SA,4SA", T(9), T(12), ""),
                ("FREQ=WEEKLY;BYDAY=WE", T(13), T(15), ""),
            ],
        ),
        (
            "月～金、第2土曜 9:00～17:00",
            [
                (WEEKDAYS_RULE, T(9), T(17), ""),
                ("FREQ=MONTHLY;BYDAY=2SA", T(9), T(17), ""),
            ],
        ),
        # Closures go to the notes, as written.
        (
            "月～土（祝日を除く）",
            [("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA", None, None, "祝日を除く")],
        ),
        ("平日 8:30〜17:15 祝日休み", [(WEEKDAYS_RULE, T(8, 30), T(17, 15), "祝日休み")]),
        ("月ー金 9時～17時（年末年始休み）", [(WEEKDAYS_RULE, T(9), T(17), "年末年始休み")]),
        ("月～土 日祝休み", [("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA", None, None, "日祝休み")]),
        # Hours written before their days.
        ("開館時間：9時～17時 月～金", [(WEEKDAYS_RULE, T(9), T(17), "")]),
    ],
)
def test_parse_japanese_schedule(text, expected):
    parsed = parse_japanese_schedule(text)
    assert [(p.rrule, p.opens_at, p.closes_at, p.notes) for p in parsed] == expected
    for p in parsed:
        assert Rule.parse(p.rrule).as_rrule() == p.rrule  # always a valid rule, in normal form


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "The schedule is empty."),
        ("   ", "The schedule is empty."),
        ("10:00～12:00", "gives no days"),
        ("午前10時～正午", "gives no days"),
        ("祝日", "holidays alone cannot be a schedule"),
        ("毎月火曜", "say which week of the month"),
        ("第2", "say the weekday after the week of the month"),
        ("月曜 あさ", '"あさ" is not understood'),
        ("月～", "A range (～) needs both of its ends."),
        ("17:00～9:00", "closes before it opens"),
        ("月 10:00 12:00", "Give hours as a range"),
        ("月 25:00～26:00", '"25:00" is not a time of day.'),
        ("第6月曜", "is not a week of the month"),
        ("毎月32日", "is not a day of the month"),
        ("毎年2月30日", "is not a date"),
        ("月曜休館", "gives no days"),
    ],
)
def test_unreadable_japanese_is_refused_with_a_reason(text, reason):
    with translation.override("en"), pytest.raises(ValueError) as caught:
        parse_japanese_schedule(text)
    assert reason in str(caught.value)


def test_parsed_schedules_render_back():
    with translation.override("ja"):
        rows = [
            Schedule(rrule=p.rrule, opens_at=p.opens_at, closes_at=p.closes_at, notes=p.notes)
            for p in parse_japanese_schedule("月～金 ９：００～１２：３０、１５：００～１８：３０")
        ]
        assert schedules.schedule_lines(rows) == ["平日 9:00–12:30、15:00–18:30"]


# --- Days of the week and next occurrences ------------------------------------------------------


@pytest.mark.parametrize(
    ("rrule", "days"),
    [
        ("FREQ=WEEKLY;BYDAY=WE", {"WE"}),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", {"MO", "TU", "WE", "TH", "FR"}),
        ("FREQ=MONTHLY;BYDAY=2TU,4TU,1SA", {"TU", "SA"}),
        ("FREQ=MONTHLY;BYDAY=-1FR", {"FR"}),
        ("FREQ=YEARLY;BYMONTH=11;BYDAY=3SU", {"SU"}),
        ("FREQ=DAILY", set(schedules.WEEKDAYS)),
        ("FREQ=MONTHLY;BYMONTHDAY=15", set(schedules.WEEKDAYS)),
        ("not a rule", set()),
    ],
)
def test_weekdays_of(rrule, days):
    assert schedules.weekdays_of(rrule) == days


@pytest.mark.django_db
def test_weekday_filter_in_sql_agrees_with_weekdays_of():
    service = factories.organisation().services.create(name="相談")
    rules = [
        "FREQ=WEEKLY;BYDAY=WE",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=MONTHLY;BYDAY=2TU,4TU",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        "FREQ=WEEKLY;BYDAY=SA,SU",
        "FREQ=DAILY",
        "FREQ=MONTHLY;BYMONTHDAY=15",
        "FREQ=YEARLY;BYMONTH=11;BYDAY=3SU",
    ]
    for rrule in rules:
        service.schedules.create(rrule=rrule)
    for day in schedules.WEEKDAYS:
        found = set(
            Schedule.objects.filter(schedules.weekday_q(day)).values_list("rrule", flat=True)
        )
        assert found == {r for r in rules if day in schedules.weekdays_of(r)}, day


def test_next_occurrences_in_tokyo():
    row = _schedule("FREQ=MONTHLY;BYDAY=2TU,4TU", T(10), T(12))
    # 2026-04-14 is the 2nd Tuesday of April; 11:00 in Tokyo is 02:00 UTC.
    after = datetime.datetime(2026, 4, 14, 2, 0, tzinfo=datetime.UTC)
    found = schedules.next_occurrences(row, after=after, count=3)
    assert [o.starts.isoformat() for o in found] == [
        "2026-04-14T10:00:00+09:00",  # still on at 11:00
        "2026-04-28T10:00:00+09:00",
        "2026-05-12T10:00:00+09:00",
    ]
    assert found[0].ends.isoformat() == "2026-04-14T12:00:00+09:00"


def test_next_occurrences_count_every_other_week_from_valid_from():
    row = _schedule(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        T(10),
        T(12),
        valid_from=datetime.date(2026, 4, 4),
        valid_to=datetime.date(2026, 5, 31),
    )
    after = datetime.datetime(2026, 4, 5, tzinfo=schedules.TOKYO)
    found = schedules.next_occurrences(row, after=after, count=10)
    assert [o.starts.date().isoformat() for o in found] == [
        "2026-04-18",
        "2026-05-02",
        "2026-05-16",
        "2026-05-30",
    ]


def test_next_occurrences_of_a_last_day_without_hours():
    row = _schedule("FREQ=MONTHLY;BYMONTHDAY=-1")
    after = datetime.datetime(2026, 2, 1, tzinfo=schedules.TOKYO)
    found = schedules.next_occurrences(row, after=after, count=2)
    assert [o.starts.date().isoformat() for o in found] == ["2026-02-28", "2026-03-31"]
    assert found[0].ends is None


# --- The staff schedule form ------------------------------------------------------------------


def test_form_builds_each_pattern():
    cases = [
        ({"pattern": "weekly", "weekdays": ["WE", "MO"]}, "FREQ=WEEKLY;BYDAY=MO,WE"),
        (
            {"pattern": "monthly_weekday", "ordinals": ["4", "2"], "weekdays": ["TU"]},
            "FREQ=MONTHLY;BYDAY=2TU,4TU",
        ),
        (
            {"pattern": "monthly_weekday", "ordinals": ["-1"], "weekdays": ["FR"]},
            "FREQ=MONTHLY;BYDAY=-1FR",
        ),
        ({"pattern": "monthly_day", "month_days": "１５"}, "FREQ=MONTHLY;BYMONTHDAY=15"),
        (
            {"pattern": "monthly_day", "month_days": "1、15日・末日"},
            "FREQ=MONTHLY;BYMONTHDAY=1,15,-1",
        ),
        (
            {"pattern": "weekly", "weekdays": ["SA"], "interval": "2"},
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        ),
        (
            {"pattern": "yearly", "month": "8", "month_days": "1"},
            "FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1",
        ),
        ({"pattern": "daily"}, "FREQ=DAILY"),
    ]
    for data, rrule in cases:
        form = ScheduleForm(data)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["rrule"] == rrule


def test_form_reads_hours_typed_in_japanese():
    form = ScheduleForm(
        {"pattern": "daily", "opens_at": "１０：００", "closes_at": "12時半", "notes": "祝日休み"}
    )
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["opens_at"], form.cleaned_data["closes_at"]) == (T(10), T(12, 30))
    with translation.override("ja"):
        assert form.preview() == "毎日 10:00–12:30（祝日休み）"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"pattern": "weekly"}, "weekdays", "Tick at least one day."),
        (
            {"pattern": "monthly_weekday", "weekdays": ["TU"]},
            "ordinals",
            "Tick at least one week of the month.",
        ),
        ({"pattern": "monthly_day"}, "month_days", "Give at least one day of the month."),
        ({"pattern": "monthly_day", "month_days": "32"}, "month_days", "is not a day of the month"),
        ({"pattern": "yearly", "month_days": "1"}, "month", "Choose the month."),
        ({"pattern": "yearly", "month": "2", "month_days": "30"}, None, "never happens"),
        (
            {"pattern": "daily", "opens_at": "12:00", "closes_at": "10:00"},
            "closes_at",
            "The closing time must be after the opening time.",
        ),
        ({"pattern": "weekly", "weekdays": ["MO"], "interval": "0"}, "interval", "greater than"),
    ],
)
def test_form_errors_say_what_to_fix(data, field, message):
    with translation.override("en"):
        form = ScheduleForm(data)
        assert not form.is_valid()
        errors = form.errors.get(field or "__all__")
        assert errors and any(message in e for e in errors), form.errors


@pytest.mark.parametrize(
    ("rrule", "pattern", "exact"),
    [
        ("FREQ=WEEKLY;BYDAY=MO,WE", "weekly", True),
        ("FREQ=MONTHLY;BYDAY=2TU,4TU,2TH,4TH", "monthly_weekday", True),
        ("FREQ=MONTHLY;BYDAY=1MO,3WE", "monthly_weekday", False),  # not weeks × days
        ("FREQ=MONTHLY;BYMONTHDAY=1,-1", "monthly_day", True),
        ("FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1", "yearly", True),
        ("FREQ=YEARLY;BYMONTH=11;BYDAY=3SU", "yearly", False),
        ("FREQ=DAILY;INTERVAL=2", "daily", True),
        ("garbage", "weekly", False),
    ],
)
def test_form_filled_from_a_stored_rule(rrule, pattern, exact):
    form = ScheduleForm.for_schedule(_schedule(rrule, T(10), T(12)))
    assert form.current_pattern == pattern
    assert form.exact is exact
    if exact:
        data = {
            key: value
            for key, value in form.initial.items()
            if value not in (None, "") and key not in ("opens_at", "closes_at")
        }
        data["interval"] = str(data.get("interval", 1))
        data["month"] = str(data.get("month", ""))
        bound = ScheduleForm(data)
        assert bound.is_valid(), bound.errors
        assert bound.cleaned_data["rrule"] == Rule.parse(rrule).as_rrule()


@pytest.fixture
def service(db):
    organisation = factories.organisation("桜台子育てひろば")
    return organisation.services.create(name="親子ひろば")


@pytest.fixture
def staff(client, db):
    client.force_login(factories.user())
    return client


def test_staff_add_a_schedule_without_javascript(staff, service):
    url = reverse("staff:schedule_add", args=[service.uuid])
    page = staff.get(url)
    assert page.status_code == 200
    assert 'name="pattern"' in page.text and "<html" in page.text
    response = staff.post(
        url,
        {
            "pattern": "monthly_weekday",
            "ordinals": ["2", "4"],
            "weekdays": ["TU"],
            "interval": "1",
            "opens_at": "10:00",
            "closes_at": "12:00",
            "notes": "祝日休み",
            "next": "/staff/directory/",
        },
    )
    assert response.status_code == 302 and response.url == "/staff/directory/"
    schedule = service.schedules.get()
    assert schedule.rrule == "FREQ=MONTHLY;BYDAY=2TU,4TU"
    assert (schedule.opens_at, schedule.closes_at, schedule.notes) == (T(10), T(12), "祝日休み")


def test_staff_add_with_htmx_gets_the_schedules_back(staff, service):
    service.schedules.create(
        rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens_at=T(9), closes_at=T(12, 30)
    )
    response = staff.post(
        reverse("staff:schedule_add", args=[service.uuid]),
        {
            "pattern": "weekly",
            "weekdays": ["MO", "TU", "WE", "TH", "FR"],
            "interval": "1",
            "opens_at": "15:00",
            "closes_at": "18:30",
        },
        headers={"HX-Request": "true", "Accept-Language": "ja"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="schedules-{service.uuid}"' in response.text
    assert "平日 9:00–12:30、15:00–18:30" in response.text
    assert service.schedules.count() == 2


def test_staff_edit_a_schedule(staff, service):
    schedule = service.schedules.create(
        rrule="FREQ=WEEKLY;BYDAY=WE", opens_at=T(10), closes_at=T(12)
    )
    url = reverse("staff:schedule_edit", args=[schedule.uuid])
    page = staff.get(url, headers={"Accept-Language": "ja"})
    assert 'value="WE" id="id_weekdays_2" checked' in page.text
    assert 'value="10:00"' in page.text
    assert "毎週水曜 10:00–12:00" in page.text  # how it reads now
    response = staff.post(
        url,
        {
            "pattern": "weekly",
            "weekdays": ["WE", "FR"],
            "interval": "2",
            "opens_at": "10:00",
            "closes_at": "11:30",
        },
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,FR"
    assert schedule.closes_at == T(11, 30)
    assert service.schedules.count() == 1


def test_refused_input_comes_back_as_typed(staff, service):
    url = reverse("staff:schedule_add", args=[service.uuid])
    for headers in ({}, {"HX-Request": "true"}):
        response = staff.post(
            url,
            {
                "pattern": "monthly_weekday",
                "weekdays": ["TU"],
                "interval": "1",
                "opens_at": "10:00",
                "closes_at": "12:00",
                "notes": "第2火曜は休み",
            },
            headers={**headers, "Accept-Language": "en"},
        )
        assert response.status_code == 200
        assert "Tick at least one week of the month." in response.text
        assert 'value="TU" id="id_weekdays_1" checked' in response.text
        assert 'value="第2火曜は休み"' in response.text and 'value="10:00"' in response.text
    assert not service.schedules.exists()


def test_preview_shows_the_pattern_options_and_saves_nothing(staff, service):
    url = reverse("staff:schedule_add", args=[service.uuid])
    response = staff.post(
        url,
        {
            "pattern": "monthly_weekday",
            "ordinals": ["2", "4"],
            "weekdays": ["TU"],
            "interval": "1",
            "opens_at": "10:00",
            "closes_at": "12:00",
            "month_days": "15",
            "preview": "1",
        },
        headers={"HX-Request": "true", "Accept-Language": "ja"},
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert "毎月第2・第4火曜 10:00–12:00" in response.text
    assert 'name="ordinals"' in response.text and 'type="checkbox"' in response.text
    # The days of the month belong to another pattern: carried, not shown.
    assert '<input type="hidden" name="month_days" value="15">' in response.text
    assert not service.schedules.exists()
    # Unfinished input is previewed without errors.
    unfinished = staff.post(
        url, {"pattern": "monthly_day", "preview": "1"}, headers={"Accept-Language": "en"}
    )
    assert "errorlist" not in unfinished.text
    assert 'name="month_days"' in unfinished.text and "<html" in unfinished.text


def test_delete_a_schedule(staff, service):
    first = service.schedules.create(rrule="FREQ=WEEKLY;BYDAY=WE", opens_at=T(10), closes_at=T(12))
    second = service.schedules.create(rrule="FREQ=WEEKLY;BYDAY=FR", opens_at=T(10), closes_at=T(12))
    url = reverse("staff:schedule_delete", args=[first.uuid])
    confirm = staff.get(url, headers={"Accept-Language": "ja"})
    assert confirm.status_code == 200 and "毎週水曜 10:00–12:00" in confirm.text
    assert Schedule.objects.filter(pk=first.pk).exists()  # a GET deletes nothing
    assert staff.post(url).status_code == 302
    assert not Schedule.objects.filter(pk=first.pk).exists()
    response = staff.post(
        reverse("staff:schedule_delete", args=[second.uuid]),
        headers={"HX-Request": "true", "Accept-Language": "en"},
    )
    assert response.status_code == 200 and "No schedule recorded." in response.text
    assert not service.schedules.exists()


def test_service_schedules_page_and_block(staff, service):
    service.schedules.create(rrule="FREQ=MONTHLY;BYDAY=-1FR", opens_at=T(13), closes_at=T(15))
    url = reverse("staff:service_schedules", args=[service.uuid])
    page = staff.get(url, headers={"Accept-Language": "en"})
    assert "Last Friday of each month, 13:00–15:00" in page.text and "<html" in page.text
    assert reverse("staff:schedule_add", args=[service.uuid]) in page.text
    block = staff.get(url, headers={"HX-Request": "true"})
    assert "<html" not in block.text and f'id="schedules-{service.uuid}"' in block.text


def test_schedule_pages_need_a_login(client, service):
    response = client.get(reverse("staff:schedule_add", args=[service.uuid]))
    assert response.status_code == 302 and "login" in response.url


def test_schedule_save_refuses_a_bad_rule(service):
    with pytest.raises(ValidationError):
        schedules.schedule_save(service=service, rrule="FREQ=WEEKLY")
    saved = schedules.schedule_save(service=service, rrule="byday=we;freq=weekly")
    assert saved.rrule == "FREQ=WEEKLY;BYDAY=WE"
