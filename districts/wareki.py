"""Japanese era dates (和暦), as Japanese readers expect them beside the Western year."""

import datetime

# Each era: the day it began and its name. Meiji is counted from 1868, but dates before Japan
# took the Gregorian calendar (明治6年, 1873) are not converted.
ERAS = [
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
    (datetime.date(1912, 7, 30), "大正"),
    (datetime.date(1868, 1, 25), "明治"),
]
GREGORIAN_SINCE = datetime.date(1873, 1, 1)


def era_year(day: datetime.date) -> tuple[str, int] | None:
    """(era name, year of the era) for a date, or None before 1873."""
    if day < GREGORIAN_SINCE:
        return None
    for start, name in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    return None


def format_wareki(day: datetime.date) -> str:
    """令和8年（2026年）11月23日; the first year of an era is 元年."""
    era = era_year(day)
    western = f"{day.month}月{day.day}日"
    if era is None:
        return f"{day.year}年{western}"
    name, year = era
    year_text = "元" if year == 1 else str(year)
    return f"{name}{year_text}年（{day.year}年）{western}"
