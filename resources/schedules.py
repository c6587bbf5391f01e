"""Recurring schedules: the subset of RFC 5545 recurrence rules that opening times need, shown in
natural Japanese and English, and read from the Japanese that open data and people write.

A Schedule row holds one rule and one opening span. A service open 9:00–12:30 and 15:00–18:30 on
weekdays has two rows with the same rule; schedule_lines() shows them as one line,
「平日 9:00–12:30、15:00–18:30」.

Supported rules (anything else is refused with a reason, so every stored rule can be shown):
  FREQ=DAILY                                毎日
  FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR           平日
  FREQ=WEEKLY;INTERVAL=2;BYDAY=SA            隔週土曜
  FREQ=MONTHLY;BYDAY=2TU,4TU                 毎月第2・第4火曜 (-1FR: 最終金曜)
  FREQ=MONTHLY;BYMONTHDAY=15                 毎月15日 (-1: 末日)
  FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1         毎年8月1日 (or BYDAY=3SU: 第3日曜)
The normal form writes FREQ, INTERVAL (only above 1), BYMONTH, BYMONTHDAY, BYDAY in that order,
from the coarsest part to the finest, each list sorted and without repeats.

This module imports no models (resources.models may use validate_rrule); the write functions at
the end import the model when called.
"""

import datetime
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.defaultfilters import date as date_filter
from django.utils import translation
from django.utils.translation import gettext as _

from districts.wareki import format_wareki

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WORKDAYS = frozenset(WEEKDAYS[:5])
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_INTERVAL = 52
TOKYO = ZoneInfo("Asia/Tokyo")
# Parts of RFC 5545 that opening times do not use, and where their meaning lives instead.
_UNSUPPORTED = {
    "COUNT": "valid_to",
    "UNTIL": "valid_to",
    "BYHOUR": "hours",
    "BYMINUTE": "hours",
    "BYSECOND": "hours",
    "BYSETPOS": None,
    "BYYEARDAY": None,
    "BYWEEKNO": None,
}


def _ordinal_key(ordinal: int) -> int:
    """Plain weekdays first, then 1st..5th, then last, second to last, ..."""
    return ordinal if ordinal >= 0 else 100 - ordinal


@dataclass(frozen=True)
class Rule:
    """A recurrence rule, always valid and normalised (construction raises ValidationError).

    `weekdays` holds (ordinal, day) pairs: (0, "WE") is every Wednesday, (2, "TU") the second
    Tuesday of the month, (-1, "FR") the last Friday. `month_days` counts from the end when
    negative (-1 is the last day of the month).
    """

    freq: str
    interval: int = 1
    weekdays: tuple[tuple[int, str], ...] = ()
    month_days: tuple[int, ...] = ()
    months: tuple[int, ...] = ()

    def __post_init__(self):
        _check_parts(self)
        normal = {
            "weekdays": tuple(
                sorted(set(self.weekdays), key=lambda p: (WEEKDAYS.index(p[1]), _ordinal_key(p[0])))
            ),
            "month_days": tuple(sorted(set(self.month_days), key=_ordinal_key)),
            "months": tuple(sorted(set(self.months))),
        }
        for name, value in normal.items():
            object.__setattr__(self, name, value)
        _check_combination(self)

    def __str__(self):
        return self.as_rrule()

    @classmethod
    def parse(cls, text: str) -> "Rule":
        """Reads an RRULE (with or without the "RRULE:" prefix, any case, parts in any order)."""
        return _parse_rrule(text)

    def as_rrule(self) -> str:
        parts = [f"FREQ={self.freq}"]
        if self.interval > 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.months:
            parts.append("BYMONTH=" + ",".join(map(str, self.months)))
        if self.month_days:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.month_days)))
        if self.weekdays:
            parts.append("BYDAY=" + ",".join(f"{n or ''}{day}" for n, day in self.weekdays))
        return ";".join(parts)

    @property
    def days(self) -> tuple[str, ...]:
        """The weekdays named by the rule, in week order, without ordinals."""
        return tuple(dict.fromkeys(day for _, day in self.weekdays))

    def to_dateutil(self, *, dtstart: datetime.datetime, until=None) -> du.rrule:
        byweekday = [
            getattr(du, day)(ordinal) if ordinal else getattr(du, day)
            for ordinal, day in self.weekdays
        ]
        return du.rrule(
            getattr(du, self.freq),
            dtstart=dtstart,
            until=until,
            interval=self.interval,
            wkst=du.MO,
            byweekday=byweekday or None,
            bymonthday=self.month_days or None,
            bymonth=self.months or None,
        )


def _invalid(message: str, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _check_parts(rule: Rule) -> None:
    if rule.freq not in FREQUENCIES:
        raise _invalid(
            _('"%(value)s" is not a frequency schedules use: DAILY, WEEKLY, MONTHLY or YEARLY.'),
            "freq",
            value=rule.freq,
        )
    if not isinstance(rule.interval, int) or not 1 <= rule.interval <= MAX_INTERVAL:
        raise _invalid(
            _("The interval must be a whole number from 1 to %(max)s."),
            "interval",
            max=MAX_INTERVAL,
        )
    for ordinal, day in rule.weekdays:
        if day not in WEEKDAYS:
            raise _invalid(_('"%(value)s" is not a weekday.'), "weekday", value=day)
        if not -5 <= ordinal <= 5:
            raise _invalid(
                _(
                    "A weekday of the month is the 1st to the 5th, or counted from the end "
                    "(-1 for the last); %(value)s is neither."
                ),
                "ordinal",
                value=ordinal,
            )
    for day in rule.month_days:
        if not (1 <= day <= 31 or -31 <= day <= -1):
            raise _invalid(
                _('"%(value)s" is not a day of the month (1 to 31, or -1 for the last day).'),
                "month_day",
                value=day,
            )
    for month in rule.months:
        if not 1 <= month <= 12:
            raise _invalid(_('"%(value)s" is not a month (1 to 12).'), "month", value=month)


def _check_combination(rule: Rule) -> None:
    plain = any(n == 0 for n, _ in rule.weekdays)
    nth = any(n != 0 for n, _ in rule.weekdays)
    if rule.months and rule.freq != "YEARLY":
        raise _invalid(
            _("Months (BYMONTH) belong to yearly rules; give a season as valid from and to dates."),
            "months",
        )
    if rule.freq == "DAILY" and (rule.weekdays or rule.month_days):
        raise _invalid(
            _("A daily rule takes no days: use a weekly rule for given weekdays."), "daily_days"
        )
    if rule.freq == "WEEKLY":
        if not rule.weekdays:
            raise _invalid(_("A weekly rule needs its days (BYDAY=WE)."), "weekly_days")
        if nth:
            raise _invalid(
                _(
                    "A weekly rule takes plain weekdays (WE), not weekdays of the month (2WE): "
                    "use a monthly rule for those."
                ),
                "weekly_ordinal",
            )
        if rule.month_days:
            raise _invalid(
                _("A weekly rule cannot have days of the month (BYMONTHDAY)."), "weekly_month_day"
            )
    if rule.freq in ("MONTHLY", "YEARLY"):
        if rule.weekdays and rule.month_days:
            raise _invalid(
                _("Give weekdays of the month or days of the month, not both."), "days_and_dates"
            )
        if not rule.weekdays and not rule.month_days:
            raise _invalid(
                _(
                    "A monthly or yearly rule needs a weekday of the month (BYDAY=2TU) "
                    "or a day of the month (BYMONTHDAY=15)."
                ),
                "monthly_days",
            )
        if plain:
            raise _invalid(
                _(
                    "Say which weekday of the month: 2TU for the second Tuesday, -1FR for the "
                    "last Friday."
                ),
                "monthly_plain",
            )
    if rule.freq == "YEARLY":
        if not rule.months:
            raise _invalid(_("A yearly rule needs its month (BYMONTH=8)."), "yearly_month")
        # 2024 is a leap year, so 29 February counts as a day that happens.
        if rule.month_days and not any(
            day < 0 or day <= _days_in_month(2024, month)
            for month in rule.months
            for day in rule.month_days
        ):
            raise _invalid(_("This rule never happens (for example 30 February)."), "never")


def _days_in_month(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def _parse_int(text: str, error: ValidationError) -> int:
    if not re.fullmatch(r"[+-]?\d{1,3}", text):
        raise error
    return int(text)


def _parse_rrule(text: str) -> Rule:
    text = unicodedata.normalize("NFKC", text or "").strip().upper()
    text = text.removeprefix("RRULE:").strip()
    if not text:
        raise _invalid(_("Enter a recurrence rule, e.g. FREQ=WEEKLY;BYDAY=WE."), "required")
    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, value = (s.strip() for s in part.partition("="))
        if not sep or not name or not value:
            raise _invalid(
                _('Each part of a rule is written NAME=VALUE; "%(part)s" is not.'),
                "part",
                part=part,
            )
        if name in values:
            raise _invalid(_("%(name)s is given twice."), "repeated", name=name)
        values[name] = value
    if values.get("WKST", "MO") != "MO":
        # The week starts on Monday in Japan; another start only matters to 隔週 rules.
        raise _invalid(_("Weeks start on Monday (WKST=MO) in schedules."), "wkst")
    values.pop("WKST", None)
    for name in values:
        if name in _UNSUPPORTED:
            where = _UNSUPPORTED[name]
            if where == "valid_to":
                message = _("%(name)s is not used in schedules: give a valid to date instead.")
            elif where == "hours":
                message = _("%(name)s is not used in schedules: give opening hours instead.")
            else:
                message = _("%(name)s is not supported in schedules.")
            raise _invalid(message, "unsupported", name=name)
        if name not in ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH"):
            raise _invalid(_('"%(name)s" is not part of a recurrence rule.'), "unknown", name=name)
    if "FREQ" not in values:
        raise _invalid(
            _("The rule needs a frequency (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)."), "no_freq"
        )
    interval_error = _invalid(
        _("The interval must be a whole number from 1 to %(max)s."), "interval", max=MAX_INTERVAL
    )
    return Rule(
        freq=values["FREQ"],
        interval=_parse_int(values.get("INTERVAL", "1"), interval_error),
        weekdays=tuple(_parse_byday(v) for v in _split_list(values.get("BYDAY"))),
        month_days=tuple(
            _parse_int(
                v,
                _invalid(
                    _('"%(value)s" is not a day of the month (1 to 31, or -1 for the last day).'),
                    "month_day",
                    value=v,
                ),
            )
            for v in _split_list(values.get("BYMONTHDAY"))
        ),
        months=tuple(
            _parse_int(v, _invalid(_('"%(value)s" is not a month (1 to 12).'), "month", value=v))
            for v in _split_list(values.get("BYMONTH"))
        ),
    )


def _split_list(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",")] if value else []


def _parse_byday(token: str) -> tuple[int, str]:
    match = re.fullmatch(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)", token)
    if not match or (match[1] and int(match[1]) == 0):
        raise _invalid(
            _(
                '"%(value)s" is not a weekday: MO, TU, WE, TH, FR, SA or SU, with an ordinal '
                "for a weekday of the month (2TU, -1FR)."
            ),
            "weekday",
            value=token,
        )
    return (int(match[1]) if match[1] else 0), match[2]


def validate_rrule(value: str) -> None:
    """A model or form field validator."""
    Rule.parse(value)


def normalise_rrule(value: str) -> str:
    """The normal form of a rule (raises ValidationError for a rule schedules cannot use)."""
    return Rule.parse(value).as_rrule()


# --- Reading: days of the week and next occurrences ---------------------------------------------


def weekdays_of(rrule: str) -> set[str]:
    """The days of the week ("MO".."SU") the rule can fall on, for the day-of-week filter.

    Daily rules and dates (毎月15日, 毎年8月1日) can fall on any day, so they give all seven.
    A rule that cannot be read gives none rather than breaking a listing.
    """
    try:
        rule = Rule.parse(rrule)
    except ValidationError:
        return set()
    if rule.freq == "DAILY" or rule.month_days:
        return set(WEEKDAYS)
    return set(rule.days)


def weekday_q(day: str, *, field: str = "rrule") -> Q:
    """A filter on stored rules matching weekdays_of(): e.g. Service.objects.filter(
    weekday_q("WE", field="schedules__rrule")).distinct(). Works on SQLite and PostgreSQL."""
    if day not in WEEKDAYS:
        raise ValueError(day)
    return (
        Q(**{f"{field}__startswith": "FREQ=DAILY"})
        | Q(**{f"{field}__contains": "BYMONTHDAY="})
        | Q(**{f"{field}__regex": rf"BYDAY=([^;]*,)?[-+]?[0-9]*{day}(,|;|$)"})
    )


@dataclass(frozen=True)
class Occurrence:
    starts: datetime.datetime  # Asia/Tokyo
    ends: datetime.datetime | None


# Rules with an interval above 1 (隔週) count from valid_from, or else from this Monday.
_EPOCH = datetime.datetime(2024, 1, 1)


def next_occurrences(schedule, *, after: datetime.datetime | None = None, count: int = 5):
    """The next `count` openings of a schedule (anything with rrule, opens_at, closes_at,
    valid_from, valid_to) that have not ended by `after` (default: now), in Asia/Tokyo.

    An opening without a closing time lasts the day (its `ends` is None). 隔週 and other rules
    with an interval count from valid_from when it is set, otherwise from Monday 1 January 2024.
    """
    rule = Rule.parse(schedule.rrule)
    after = (after or datetime.datetime.now(TOKYO)).astimezone(TOKYO).replace(tzinfo=None)
    # From the day before: an opening that began yesterday may still be on (closing at 24:00).
    begin = datetime.datetime.combine(after.date() - datetime.timedelta(days=1), datetime.time())
    valid_from = (
        datetime.datetime.combine(schedule.valid_from, datetime.time())
        if schedule.valid_from
        else None
    )
    if rule.interval > 1:
        start = valid_from or _EPOCH
    else:
        # With an interval of 1 any start gives the same days: start this year, so that
        # iterating up to `after` stays short.
        start = max(datetime.datetime(begin.year, 1, 1), valid_from or datetime.datetime.min)
    until = (
        datetime.datetime.combine(schedule.valid_to, datetime.time.max)
        if schedule.valid_to
        else None
    )
    found = []
    for day in rule.to_dateutil(dtstart=start, until=until).xafter(begin, inc=True):
        ends = _ends(day.date(), schedule.closes_at)
        if ends <= after:
            continue
        starts = datetime.datetime.combine(day.date(), schedule.opens_at or datetime.time())
        found.append(
            Occurrence(
                starts=starts.replace(tzinfo=TOKYO),
                ends=ends.replace(tzinfo=TOKYO) if schedule.closes_at is not None else None,
            )
        )
        if len(found) >= count:
            break
    return found


def _ends(day: datetime.date, closes: datetime.time | None) -> datetime.datetime:
    """When an opening ends: a closing at 0:00 is midnight at the end of the day, and so is
    no closing time at all."""
    if closes is None or closes == datetime.time():
        return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return datetime.datetime.combine(day, closes)


# --- Showing: natural Japanese and English ----------------------------------------------------
#
# One formatter per language rather than gettext: Japanese builds a rule from particles with no
# spaces (毎月 + 第2・第4 + 火・木 + 曜), puts 曜 once after a list of day names, and has its own
# list marks (・、), while English pluralises (Wednesdays), writes ordinals (2nd, last) and joins
# lists with "and". gettext would need a message per combination of frequency, interval, ordinal
# list and day list, or fragments translated without their sentence; both read worse and break
# silently. A new language is a new formatter class; other languages fall back to English.


def _hm(value: datetime.time, *, closing: bool = False) -> str:
    # A closing at 0:00 is midnight at the end of the day (a TimeField cannot hold 24:00).
    if closing and value == datetime.time():
        return "24:00"
    return f"{value.hour}:{value.minute:02d}"


def format_hours(opens: datetime.time | None, closes: datetime.time | None) -> str:
    """10:00–12:00; 10:00– when only the opening is known; –12:00 when only the closing is."""
    if opens is None and closes is None:
        return ""
    return (_hm(opens) if opens else "") + "–" + (_hm(closes, closing=True) if closes else "")


def _runs(days: Iterable[str]) -> list[list[str]]:
    """Consecutive days in week order: MO,TU,WE,FR → [[MO,TU,WE],[FR]]."""
    indexes = sorted(WEEKDAYS.index(d) for d in days)
    runs: list[list[int]] = []
    for index in indexes:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return [[WEEKDAYS[i] for i in run] for run in runs]


def _grouped_weekdays(rule: Rule) -> list[tuple[tuple[int, ...], list[str]]]:
    """(ordinals, days) groups: 2TU,4TU,2TH,4TH → [((2, 4), [TU, TH])]; 1MO,3WE → two groups."""
    by_day: dict[str, tuple[int, ...]] = {}
    for ordinal, day in rule.weekdays:
        by_day[day] = (*by_day.get(day, ()), ordinal)
    groups: dict[tuple[int, ...], list[str]] = {}
    for day, ordinals in by_day.items():
        groups.setdefault(ordinals, []).append(day)
    return list(groups.items())


class JapaneseFormatter:
    DAY = dict(zip(WEEKDAYS, "月火水木金土日", strict=True))
    LIST = "・"
    SPANS = "、"

    @classmethod
    def days(cls, days: Iterable[str]) -> str:
        """月・水・金曜, 月〜土曜, 月〜水・金曜."""
        parts = []
        for run in _runs(days):
            if len(run) >= 3:
                parts.append(f"{cls.DAY[run[0]]}〜{cls.DAY[run[-1]]}")
            else:
                parts.extend(cls.DAY[d] for d in run)
        return cls.LIST.join(parts) + "曜"

    @classmethod
    def ordinal(cls, n: int) -> str:
        if n == -1:
            return "最終"
        if n < 0:
            return f"最後から{-n}番目の"
        return f"第{n}"

    @classmethod
    def month_day(cls, n: int) -> str:
        if n == -1:
            return "末日"
        if n < 0:
            return f"末日の{-n - 1}日前"
        return f"{n}日"

    @classmethod
    def every(cls, interval: int, unit: str) -> str:
        """毎週 / 隔週 / 3週ごとの: unit is 日, 週, 月, 年."""
        if interval == 1:
            return {"日": "毎日", "週": "毎週", "月": "毎月", "年": "毎年"}[unit]
        if interval == 2:
            return {"日": "隔日", "週": "隔週", "月": "隔月", "年": "隔年"}[unit]
        return f"{interval}{'か月' if unit == '月' else unit}ごとの"

    @classmethod
    def nth_weekdays(cls, rule: Rule) -> str:
        return "、".join(
            cls.LIST.join(cls.ordinal(n) for n in ordinals) + cls.days(days)
            for ordinals, days in _grouped_weekdays(rule)
        )

    @classmethod
    def rule(cls, rule: Rule) -> str:
        if rule.freq == "DAILY":
            return (
                cls.every(rule.interval, "日") if rule.interval <= 2 else f"{rule.interval}日ごと"
            )
        if rule.freq == "WEEKLY":
            days = set(rule.days)
            if rule.interval == 1:
                if days == WORKDAYS:
                    return "平日"
                if days == set(WEEKDAYS):
                    return "毎日"
                if days == {"SA", "SU"}:
                    return "土日"
                text = cls.days(days)
                # A range (月〜土曜) reads as every week already; a list needs 毎週.
                return text if "〜" in text else "毎週" + text
            return cls.every(rule.interval, "週") + cls.days(days)
        if rule.freq == "MONTHLY":
            if rule.month_days:
                return cls.every(rule.interval, "月") + cls.LIST.join(
                    cls.month_day(d) for d in rule.month_days
                )
            return cls.every(rule.interval, "月") + cls.nth_weekdays(rule)
        months = cls.LIST.join(f"{m}月" for m in rule.months)
        if len(rule.months) > 1:
            months += "の"
        if rule.month_days:
            when = cls.LIST.join(cls.month_day(d) for d in rule.month_days)
        else:
            when = cls.nth_weekdays(rule)
        return cls.every(rule.interval, "年") + months + when

    @classmethod
    def line(cls, rule_text: str, spans: list[str], notes: str, valid: str) -> str:
        text = rule_text
        if spans:
            text += " " + cls.SPANS.join(spans)
        if notes:
            text += f"（{notes}）"
        if valid:
            text += " " + valid
        return text

    @classmethod
    def valid(cls, valid_from, valid_to) -> str:
        if valid_from and valid_to:
            return f"{format_wareki(valid_from)}〜{format_wareki(valid_to)}"
        if valid_from:
            return f"{format_wareki(valid_from)}から"
        if valid_to:
            return f"{format_wareki(valid_to)}まで"
        return ""


class EnglishFormatter:
    DAY = dict(
        zip(
            WEEKDAYS,
            ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
            strict=True,
        )
    )
    MONTH = (
        "January February March April May June July August September October November December"
    ).split()

    @staticmethod
    def join(items: list[str]) -> str:
        """a; a and b; a, b and c."""
        if len(items) <= 2:
            return " and ".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]

    @classmethod
    def days(cls, days: Iterable[str], *, plural: bool) -> str:
        runs = _runs(days)
        has_range = any(len(run) >= 3 for run in runs)
        plural = plural and not has_range
        parts = []
        for run in runs:
            if len(run) >= 3:
                parts.append(f"{cls.DAY[run[0]]} to {cls.DAY[run[-1]]}")
            else:
                parts.extend(cls.DAY[d] + ("s" if plural else "") for d in run)
        return cls.join(parts)

    @staticmethod
    def ordinal(n: int) -> str:
        if n == -1:
            return "last"
        if n < 0:
            return f"{EnglishFormatter.ordinal(-n)} to last"
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"

    @classmethod
    def month_day(cls, n: int) -> str:
        return "last day" if n == -1 else cls.ordinal(n) + (" day" if n < 0 else "")

    @classmethod
    def nth_weekdays(cls, rule: Rule) -> str:
        return cls.join(
            [
                cls.join([cls.ordinal(n) for n in ordinals]) + " " + cls.days(days, plural=False)
                for ordinals, days in _grouped_weekdays(rule)
            ]
        )

    @staticmethod
    def every(interval: int, unit: str, *, each: str = "each") -> str:
        """each month / every other month / every 3 months."""
        if interval == 1:
            return f"{each} {unit}"
        if interval == 2:
            return f"every other {unit}"
        return f"every {interval} {unit}s"

    @classmethod
    def rule(cls, rule: Rule) -> str:
        text = cls._rule(rule)
        return text[0].upper() + text[1:]

    @classmethod
    def _rule(cls, rule: Rule) -> str:
        if rule.freq == "DAILY":
            return "daily" if rule.interval == 1 else cls.every(rule.interval, "day")
        if rule.freq == "WEEKLY":
            days = set(rule.days)
            if rule.interval == 1:
                if days == WORKDAYS:
                    return "weekdays"
                if days == set(WEEKDAYS):
                    return "daily"
                if days == {"SA", "SU"}:
                    return "weekends"
                return cls.days(days, plural=True)
            names = cls.days(days, plural=False)
            if rule.interval == 2 and " to " not in names:
                return f"every other {names}"
            joiner = ", " if " to " in names else " on "
            return cls.every(rule.interval, "week") + joiner + names
        if rule.freq == "MONTHLY":
            if rule.month_days:
                when = cls.join([cls.month_day(d) for d in rule.month_days])
            else:
                when = cls.nth_weekdays(rule)
            return f"{when} of {cls.every(rule.interval, 'month')}"
        months = cls.join([cls.MONTH[m - 1] for m in rule.months])
        if rule.month_days:
            when = cls.join([cls.month_day(d) for d in rule.month_days])
        else:
            when = cls.nth_weekdays(rule)
        return f"{when} of {months} {cls.every(rule.interval, 'year')}"

    @classmethod
    def line(cls, rule_text: str, spans: list[str], notes: str, valid: str) -> str:
        text = rule_text
        if spans:
            # "Weekdays 8:30–17:15", but "Last Friday of each month, 10:00–12:00".
            text += (", " if " " in rule_text else " ") + cls.join(spans)
        if notes:
            text += f" ({notes})"
        if valid:
            text += f" ({valid})"
        return text

    @classmethod
    def valid(cls, valid_from, valid_to) -> str:
        if valid_from and valid_to:
            return f"{_date(valid_from)} to {_date(valid_to)}"
        if valid_from:
            return f"from {_date(valid_from)}"
        if valid_to:
            return f"until {_date(valid_to)}"
        return ""


def _date(value: datetime.date) -> str:
    return date_filter(value, "DATE_FORMAT")


FORMATTERS = {"ja": JapaneseFormatter, "en": EnglishFormatter}


def _formatter(language: str | None = None):
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return FORMATTERS.get(language.split("-")[0].lower(), EnglishFormatter)


def describe_rule(rule: Rule | str, *, language: str | None = None) -> str:
    """The rule in the current (or given) language: 毎月第2・第4火曜 / 2nd and 4th Tuesday of
    each month. Raises ValidationError for a rule that cannot be read."""
    if not isinstance(rule, Rule):
        rule = Rule.parse(rule)
    return _formatter(language).rule(rule)


def schedule_lines(schedules: Iterable, *, language: str | None = None) -> list[str]:
    """One line per rule (with its notes and validity): the spans of schedules sharing a rule are
    joined, 「平日 9:00–12:30、15:00–18:30（祝日休み）」. Lines keep the order of first
    appearance. A rule that cannot be read is shown as stored rather than hidden."""
    formatter = _formatter(language)
    groups: dict[tuple, list] = {}
    for schedule in schedules:
        key = (schedule.rrule, schedule.notes, schedule.valid_from, schedule.valid_to)
        groups.setdefault(key, []).append(schedule)
    lines = []
    for (rrule, notes, valid_from, valid_to), rows in groups.items():
        try:
            rule_text = formatter.rule(Rule.parse(rrule))
        except ValidationError:
            rule_text = rrule
        spans = sorted(
            {(row.opens_at, row.closes_at) for row in rows},
            key=lambda s: (s[0] or datetime.time.min, s[1] or datetime.time.max),
        )
        texts = [t for t in (format_hours(*span) for span in spans) if t]
        lines.append(
            formatter.line(
                rule_text, texts, (notes or "").strip(), formatter.valid(valid_from, valid_to)
            )
        )
    return lines


def format_schedule(schedule, *, language: str | None = None) -> str:
    return schedule_lines([schedule], language=language)[0]


# --- Reading Japanese: 「毎週水曜日 10時～12時」「月～金 8:30-17:15」「第1,3土曜」 --------------


@dataclass(frozen=True)
class ParsedSchedule:
    """One schedule read from text: fields of a Schedule row."""

    rrule: str
    opens_at: datetime.time | None = None
    closes_at: datetime.time | None = None
    notes: str = ""


HOLIDAYS_OPEN = "祝日も利用可"

_DASHES = "〜~‐‑‒–—―−-"
_OPEN = "([（［【〔"
_CLOSE = ")]）］】〕"
_SEP = r"[・,、/;|:\s]"
_CLOSED = r"(?:祝日|祝祭日|休日|祝|年末年始|お盆|[月火水木金土日](?:曜日?)?)"
_TOKENS = [
    ("note", re.compile(rf"[{re.escape(_OPEN)}]([^{re.escape(_CLOSE)}]*)[{re.escape(_CLOSE)}]")),
    # Closed days, kept as written: 「祝日休み」「日祝休み」「年末年始を除く」.
    (
        "note",
        re.compile(
            rf"{_CLOSED}(?:[・、]?{_CLOSED})*(?:を|は)?(?:除く|休み|休業|休館|休診|休(?!日))"
        ),
    ),
    ("daily", re.compile(r"年中無休|無休|毎日")),
    ("every_other_day", re.compile(r"隔日")),
    ("allday", re.compile(r"24時間")),
    ("weekly", re.compile(r"毎週")),
    ("every_other_week", re.compile(r"隔週")),
    ("monthly", re.compile(r"毎月")),
    ("every_other_month", re.compile(r"隔月")),
    ("yearly", re.compile(r"毎年")),
    ("workdays", re.compile(r"平日")),
    ("date", re.compile(r"(\d{1,2})月(\d{1,2})日")),
    ("month_end", re.compile(r"月末|末日|最終日")),
    (
        "ordinals",
        re.compile(r"(?:第\d|最終|最後の?)週?(?:[・,、と]*(?:第?\d|最終|最後の?)週?)*"),
    ),
    ("month_days", re.compile(r"\d{1,2}(?:[・,、と]\d{1,2})*日")),
    ("weekday", re.compile(r"([月火水木金土日])(?:曜日?)?")),
    ("holiday", re.compile(r"祝祭日|祝日|祝|休日")),
    ("time", re.compile(r"(午前|午後)?(\d{1,2})(?::(\d{2})|時(?:(\d{1,2})分|半)?)")),
    ("noon", re.compile(r"正午")),
    ("dash", re.compile(r"~|から|より")),
    ("skip", re.compile(rf"{_SEP}+|及び|および|並びに|と|まで|の|は|に|で|各")),
    ("skip", re.compile(r"(?:受付|開館|開所|開催|営業|診療|実施|利用)(?:時間|日)?|曜日|曜")),
]
_DAY_KINDS = {
    "daily",
    "every_other_day",
    "weekly",
    "every_other_week",
    "monthly",
    "every_other_month",
    "yearly",
    "workdays",
    "date",
    "month_end",
    "ordinals",
    "month_days",
    "weekday",
    "holiday",
}
_TIME_KINDS = {"time", "noon", "allday"}
_JA_DAYS = dict(zip("月火水木金土日", WEEKDAYS, strict=True))


@dataclass
class _Token:
    kind: str
    text: str
    match: re.Match


@dataclass
class _Segment:
    weekly: set = field(default_factory=set)
    nth: set = field(default_factory=set)
    month_days: set = field(default_factory=set)
    dates: set = field(default_factory=set)
    daily: int = 0
    week_interval: int = 1
    month_interval: int = 1
    monthly: bool = False
    holidays: bool = False
    ordinals: tuple = ()
    spans: list = field(default_factory=list)


def _normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip()
    # ー (the long vowel mark) is often typed for a dash: 月ー金, 10:00ー12:00. After katakana
    # it is a long vowel (センター), and stays.
    text = re.sub(r"(?<![ァ-ヴ])ー", "~", text)
    return re.sub(f"[{re.escape(_DASHES)}]", "~", text)


def _tokens(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        for kind, pattern in _TOKENS:
            match = pattern.match(text, pos)
            if match and match.end() > pos:
                if kind != "skip":
                    tokens.append(_Token(kind, match[0], match))
                pos = match.end()
                break
        else:
            unknown = re.match(rf"[^{_SEP[1:-1]}]+", text[pos:])
            raise ValueError(
                _('"%(text)s" is not understood in a schedule.')
                % {"text": unknown[0] if unknown else text[pos]}
            )
    return tokens


def _time(token: _Token) -> datetime.time:
    if token.kind == "noon":
        return datetime.time(12)
    period, hour, minute, minute_ja = token.match.groups()
    hour = int(hour)
    minute = int(minute or minute_ja or (30 if token.text.endswith("半") else 0))
    if period == "午後" and hour < 12:
        hour += 12
    elif period == "午前" and hour == 12:
        hour = 0
    if hour == 24 and minute == 0:
        return datetime.time()  # closing at midnight
    if hour > 23 or minute > 59:
        raise ValueError(_('"%(text)s" is not a time of day.') % {"text": token.text})
    return datetime.time(hour, minute)


def _closing(opening: _Token, token: _Token) -> datetime.time:
    """「午後1時から3時まで」: after an opening in the afternoon, a closing hour written without
    午前/午後 that would come before it is read in the afternoon too."""
    opens, closes = _time(opening), _time(token)
    afternoon = opening.kind == "time" and opening.match[1] == "午後"
    bare = token.kind == "time" and not token.match[1]
    if afternoon and bare and closes != datetime.time() and closes <= opens and closes.hour < 12:
        return closes.replace(hour=closes.hour + 12)
    return closes


def _ordinals(text: str) -> tuple[int, ...]:
    found = []
    for part in re.findall(r"\d|最終|最後", text):
        found.append(-1 if part in ("最終", "最後") else int(part))
    if any(not 1 <= n <= 5 for n in found if n > 0) or 0 in found:
        raise ValueError(_('"%(text)s" is not a week of the month (1 to 5).') % {"text": text})
    return tuple(found)


def _day_range(first: str, last: str) -> list[str]:
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
    length = (end - start) % 7 + 1
    return [WEEKDAYS[(start + i) % 7] for i in range(length)]


def _segments(tokens: list[_Token]) -> tuple[list[_Segment], list[str]]:
    segments, notes = [_Segment()], []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1 : i + 3]
        kinds = [t.kind for t in following]
        seg = segments[-1]
        if token.kind in _DAY_KINDS and seg.spans:
            seg = _Segment()
            segments.append(seg)
        step = 1
        if token.kind == "note":
            # A remark in brackets is kept as written; so is 「祝日を除く」 outside them.
            note = token.match[1] if token.match.groups() else token.text
            if note.strip():
                notes.append(note.strip())
        elif token.kind == "every_other_week":
            seg.week_interval = 2
        elif token.kind == "monthly":
            seg.monthly = True
        elif token.kind == "every_other_month":
            seg.monthly, seg.month_interval = True, 2
        elif token.kind == "daily":
            seg.daily = 1
        elif token.kind == "every_other_day":
            seg.daily = 2
        elif token.kind == "workdays":
            seg.weekly |= WORKDAYS
        elif token.kind == "holiday":
            seg.holidays = True
        elif token.kind == "ordinals":
            seg.ordinals = _ordinals(token.text)
        elif token.kind == "date":
            month, day = int(token.match[1]), int(token.match[2])
            if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(2024, month):
                raise ValueError(_('"%(text)s" is not a date.') % {"text": token.text})
            seg.dates.add((month, day))
        elif token.kind == "month_days":
            days = [int(n) for n in re.findall(r"\d+", token.text)]
            if any(not 1 <= d <= 31 for d in days):
                raise ValueError(_('"%(text)s" is not a day of the month.') % {"text": token.text})
            seg.month_days.update(days)
        elif token.kind == "month_end":
            seg.month_days.add(-1)
        elif token.kind == "weekday":
            days = [_JA_DAYS[token.match[1]]]
            if kinds == ["dash", "weekday"]:
                days = _day_range(days[0], _JA_DAYS[following[1].match[1]])
                step = 3
            if seg.ordinals:
                seg.nth.update((n, d) for n in seg.ordinals for d in days)
            else:
                seg.weekly.update(days)
        elif token.kind == "allday":
            seg.spans.append((datetime.time(), datetime.time()))
        elif token.kind in _TIME_KINDS:
            opens = _time(token)
            if kinds and kinds[0] == "dash":
                closes = None
                step = 2
                if len(kinds) > 1 and kinds[1] in ("time", "noon"):
                    closes, step = _closing(token, following[1]), 3
            elif kinds and kinds[0] in ("time", "noon"):
                raise ValueError(
                    _('Give hours as a range such as 10:00～12:00: "%(text)s".')
                    % {"text": f"{token.text} {following[0].text}"}
                )
            else:
                closes = None
            if closes is not None and closes <= opens and closes != datetime.time():
                raise ValueError(
                    _('"%(text)s" closes before it opens.')
                    % {"text": f"{_hm(opens)}～{_hm(closes)}"}
                )
            seg.spans.append((opens, closes))
        elif token.kind == "dash":
            if kinds and kinds[0] in ("time", "noon") and not seg.spans:
                seg.spans.append((None, _time(following[0])))
                step = 2
            else:
                raise ValueError(_("A range (～) needs both of its ends."))
        # "weekly" and "yearly" only say what the days already say.
        i += step
    # Hours written before their days (「開館時間 9時～17時 月～金」) belong to the days after them.
    merged: list[_Segment] = []
    for seg in segments:
        if merged and _has_no_days(merged[-1]) and merged[-1].spans and not seg.spans:
            seg.spans = merged.pop().spans
        merged.append(seg)
    return merged, notes


def _has_no_days(seg: _Segment) -> bool:
    return not (seg.weekly or seg.nth or seg.month_days or seg.dates or seg.daily)


def _rules(seg: _Segment, source: str) -> list[Rule]:
    rules = []
    if seg.daily:
        rules.append(Rule(freq="DAILY", interval=seg.daily))
    if seg.weekly:
        if seg.monthly and not seg.nth:
            raise ValueError(
                _('"%(text)s": say which week of the month, e.g. 毎月第2火曜.') % {"text": source}
            )
        rules.append(
            Rule(
                freq="WEEKLY",
                interval=seg.week_interval,
                weekdays=tuple((0, d) for d in seg.weekly),
            )
        )
    if seg.nth:
        rules.append(Rule(freq="MONTHLY", interval=seg.month_interval, weekdays=tuple(seg.nth)))
    if seg.month_days:
        rules.append(
            Rule(freq="MONTHLY", interval=seg.month_interval, month_days=tuple(seg.month_days))
        )
    # Dates share one yearly rule per day of the month (BYMONTH × BYMONTHDAY is a product).
    by_day: dict[int, list[int]] = {}
    for month, day in sorted(seg.dates):
        by_day.setdefault(day, []).append(month)
    for day, months in by_day.items():
        rules.append(Rule(freq="YEARLY", months=tuple(months), month_days=(day,)))
    if not rules:
        if seg.holidays:
            raise ValueError(
                _(
                    '"%(text)s": holidays alone cannot be a schedule, as a recurrence rule does '
                    "not know public holidays."
                )
                % {"text": source}
            )
        if seg.ordinals:
            raise ValueError(
                _('"%(text)s": say the weekday after the week of the month, e.g. 第2火曜.')
                % {"text": source}
            )
        raise ValueError(_('"%(text)s" gives no days.') % {"text": source})
    return rules


def parse_japanese_schedule(text: str) -> list[ParsedSchedule]:
    """Reads the Japanese of open data and staff: 「毎週水曜日 10時～12時」「月～金 8:30-17:15」
    「毎月第2・第4火曜 10:00～12:00」「第1,3土曜」「平日」「土日祝」「毎月15日」「午前10時～正午」,
    全角 or 半角, with 〜, ～ or - for ranges. Several parts
    (「月～金 9:00～17:00、土 9:00～12:00」) give several rules; several spans give one schedule
    each. 祝日 cannot be in a rule, so it goes into the notes: 「祝日も利用可」, or the text as
    written for 「祝日を除く」.

    Raises ValueError with the reason (translated) when the text cannot be read.
    """
    source = _normalise_text(text)
    if not source:
        raise ValueError(_("The schedule is empty."))
    segments, notes = _segments(_tokens(source))
    parsed = []
    for seg in segments:
        try:
            rules = _rules(seg, text.strip())
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from error
        seg_notes = [*([HOLIDAYS_OPEN] if seg.holidays else []), *notes]
        note = "、".join(dict.fromkeys(seg_notes))
        for rule, (opens, closes) in itertools.product(rules, seg.spans or [(None, None)]):
            parsed.append(
                ParsedSchedule(rrule=rule.as_rrule(), opens_at=opens, closes_at=closes, notes=note)
            )
    return parsed


# --- Writes ---------------------------------------------------------------------------------


def schedule_save(
    *,
    service,
    schedule=None,
    rrule: str,
    opens_at: datetime.time | None = None,
    closes_at: datetime.time | None = None,
    notes: str = "",
):
    """Creates a schedule for the service, or updates `schedule`; the rule is stored in its
    normal form. Raises ValidationError for a rule schedules cannot use or hours that close
    before they open (a closing at 0:00 means midnight)."""
    from resources.models import Schedule

    rrule = normalise_rrule(rrule)
    if opens_at and closes_at and closes_at <= opens_at and closes_at != datetime.time():
        raise ValidationError(
            {"closes_at": _("The closing time must be after the opening time.")}, code="hours"
        )
    if schedule is None:
        schedule = Schedule(service=service)
    schedule.rrule, schedule.opens_at, schedule.closes_at = rrule, opens_at, closes_at
    schedule.notes = notes.strip()
    schedule.save()
    return schedule


def schedule_delete(*, schedule) -> None:
    schedule.delete()
