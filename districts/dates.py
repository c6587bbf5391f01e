"""Dates as Japanese tables write them: 2022-04-01, 2022/4/1, 2022年4月1日, 令和4年4月1日, R4.4.1.

One parser for every import, so a date a municipality typed one way in one file and another way
in the next means the same day in both.
"""

import datetime
import re
import unicodedata

from django.utils.translation import gettext as _

from districts.tables import Problem
from districts.wareki import ERAS

ERA_NAMES = {name: start for start, name in ERAS}
# Initials used in forms and spreadsheets (R4.4.1, H31/4/30).
ERA_INITIALS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}
# When each era ended: the day before the next began.
ERA_ENDS = {
    name: (ERAS[index - 1][0] - datetime.timedelta(days=1)) if index else None
    for index, (_start, name) in enumerate(ERAS)
}

WESTERN = re.compile(
    r"^(?P<year>\d{4})\s*(?:[-/.]|年)\s*(?P<month>\d{1,2})\s*(?:[-/.]|月)\s*(?P<day>\d{1,2})\s*日?$"
)
COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")
JAPANESE = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|明治|[RHSTM])\s*(?P<year>\d{1,2}|元)\s*(?:[-/.]|年)"
    r"\s*(?P<month>\d{1,2})\s*(?:[-/.]|月)\s*(?P<day>\d{1,2})\s*日?$",
    re.IGNORECASE,
)
# Excel cells formatted as dates reach us as "2022-04-01 00:00:00".
MIDNIGHT = re.compile(r"[ T]00:00(?::00)?$")


def parse_japanese_date(text: str) -> datetime.date:
    """The day a cell names; raises ValueError with a reason a person can act on.

    全角 digits are accepted, and 元年 for the first year of an era. A Japanese-era date must fall
    inside its era (平成31年5月1日 does not exist: that day is 令和元年5月1日).
    """
    value = unicodedata.normalize("NFKC", str(text)).strip()
    value = MIDNIGHT.sub("", value)
    if match := WESTERN.match(value) or COMPACT.match(value):
        return _make_date(int(match["year"]), int(match["month"]), int(match["day"]), text)
    if match := JAPANESE.match(value):
        era = ERA_INITIALS.get(match["era"].upper(), match["era"])
        era_year = 1 if match["year"] == "元" else int(match["year"])
        if era_year < 1:
            raise ValueError(_("「%(value)s」: an era year starts at 1 (元年).") % {"value": text})
        start = ERA_NAMES[era]
        day = _make_date(start.year + era_year - 1, int(match["month"]), int(match["day"]), text)
        end = ERA_ENDS[era]
        if day < start or (end is not None and day > end):
            raise ValueError(
                _("「%(value)s」 is outside the %(era)s era.") % {"value": text, "era": era}
            )
        return day
    raise ValueError(
        _("「%(value)s」 is not a date (write it as 2022-04-01, 2022/4/1 or 令和4年4月1日).")
        % {"value": text}
    )


def _make_date(year: int, month: int, day: int, text: str) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(
            _("「%(value)s」 is not a day of the calendar.") % {"value": text}
        ) from None


def parse_date_cell(
    value: str, *, line: int, column: str, problems: list[Problem]
) -> datetime.date | None:
    """A table cell as a date, or None when empty; a bad date is added to `problems`."""
    if not (value or "").strip():
        return None
    try:
        return parse_japanese_date(value)
    except ValueError as error:
        problems.append(Problem(line, column, str(error)))
        return None
