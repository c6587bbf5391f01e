"""Population figures: importing them from the tables municipalities publish, and reading them back.

Import (`population_import`, used by `manage.py import_population` and the staff upload page)
accepts one table per file, as CSV (UTF-8, UTF-8 with BOM or Shift_JIS/CP932) or Excel:

- the standard open dataset 地域・年齢別人口 (自治体標準オープンデータセット):
  全国地方公共団体コード, 地域コード, 地方公共団体名, 調査年月日, 地域名, 総人口, 男性, 女性,
  0-4歳の男性, 0-4歳の女性, …, 85歳以上の男性, 85歳以上の女性, 世帯数, 備考; or the older
  header that starts 都道府県コード又は市区町村コード, 地域コード, 都道府県名, 市区町村名;
- a simplified e-Stat 小地域 table keyed by 町丁目: a name column (町丁字名, 町丁・字等名,
  地域名, …), a survey date (a 調査年月日 column, or given with the import), age-band columns
  such as 0～4歳 or 男0～4歳 / 0～4歳の女性.

Headers are compared after NFKC, with 〜/～/~ read as a hyphen. Age bands are the 5-year bands of
AGE_BANDS; finer bands over 85 (85-89歳, …, 100歳以上) are added into 85+; other groupings (0-14歳,
65歳以上, …) and 年齢不詳 are ignored, so band totals can fall short of 総人口.

A row names its area by 地域コード (an Area's code), else by 地域名: a 町丁目, rolled up to the
district that held it on the survey date, or an Area's name; a row naming neither (a municipality's
total row) is matched by its municipality code or name. What is stored is what the file gives:
per area, survey date, band and sex (male/female and/or all); totals are male + female where no
"all" figure was given. Re-importing replaces the figures of the areas and dates in the file.

Reading (`population_by_band`, `population_summary`, `population_for_areas`): an area uses its own
figures for a survey date when it has them, else the sum of its children's (recursively), so a
region or the municipality aggregates its districts. Queries are few and fixed, whatever the tree.

Totals (`refresh_population_totals`, `latest_population_totals`): each area's own figures per
survey date added up into one PopulationTotal row (total, 65+, 75+, children 0–5 and 6–17), which
every write of figures keeps in step in the same transaction; the comparison of all districts
reads those instead of every figure.
"""

import dataclasses
import datetime
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from typing import BinaryIO

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from districts.addresses import PREFECTURE, normalise, split_chome_name
from districts.dates import parse_japanese_date
from districts.models import (
    AGE_BANDS,
    Area,
    Chome,
    HouseholdFigure,
    PopulationFigure,
    PopulationTotal,
    Sex,
)
from districts.tables import ImportRejected, Problem, parse_count, read_table, require_columns

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
OLDEST_BAND = AGE_BANDS[-1]  # "85+"
OLDEST_FROM = 85

# Column names, compared by _header_key (so 町丁・字等名 matches 町丁字等名).
AREA_CODE_COLUMNS = ("地域コード", "町丁字コード", "町丁目コード", "KEY_CODE")
AREA_NAME_COLUMNS = (
    "地域名",
    "町丁字名",
    "町丁字等名",
    "町丁目名",
    "町丁目",
    "町丁名",
    "町名",
    "名称",
    "NAME",
)
MUNICIPALITY_CODE_COLUMNS = (
    "全国地方公共団体コード",
    "都道府県コード又は市区町村コード",
    "市区町村コード",
)
MUNICIPALITY_NAME_COLUMNS = ("地方公共団体名", "市区町村名", "CITYNAME")
DATE_COLUMNS = ("調査年月日", "調査日", "基準日", "基準年月日")
HOUSEHOLD_COLUMNS = ("世帯数", "世帯総数")

SEX_WORDS = {
    "男性": Sex.MALE,
    "男": Sex.MALE,
    "女性": Sex.FEMALE,
    "女": Sex.FEMALE,
    "男女計": Sex.ALL,
    "総数": Sex.ALL,
    "総計": Sex.ALL,
    "計": Sex.ALL,
}
_SEX = "|".join(sorted(SEX_WORDS, key=len, reverse=True))
# 0-4歳, 0歳-4歳, 85歳以上, 85歳-, each optionally with a sex before or after (の男性, 男…).
BAND_HEADER = re.compile(
    rf"^(?P<before>{_SEX})?(?P<low>\d+)(?:歳?-(?P<high>\d+)歳|(?P<open>歳以上|歳-))"
    rf"の?(?P<after>{_SEX})?$"
)


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------


class Status:
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    LABELS = {
        NEW: gettext_lazy("new"),
        CHANGED: gettext_lazy("changed"),
        UNCHANGED: gettext_lazy("unchanged"),
    }


@dataclasses.dataclass
class AreaChange:
    """What an import does to one area's figures for one survey date."""

    area: Area
    surveyed_on: datetime.date
    status: str
    before: int | None  # total population stored before (None: nothing stored)
    after: int
    source_rows: int  # rows of the file behind the figures (several 町丁目 for a district)

    @property
    def status_label(self):
        return Status.LABELS[self.status]

    @property
    def difference(self) -> int | None:
        return None if self.before is None else self.after - self.before


@dataclasses.dataclass
class ImportReport:
    dry_run: bool
    rows: int
    changes: list[AreaChange]
    figures_written: int = 0

    def count(self, status: str) -> int:
        return sum(1 for change in self.changes if change.status == status)

    @property
    def new(self) -> int:
        return self.count(Status.NEW)

    @property
    def changed(self) -> int:
        return self.count(Status.CHANGED)

    @property
    def unchanged(self) -> int:
        return self.count(Status.UNCHANGED)

    @property
    def total_after(self) -> int:
        return sum(change.after for change in self.changes)


def parse_survey_date(text: str) -> datetime.date:
    """A 調査年月日 as the files write it: districts.dates.parse_japanese_date, also accepting
    the 「現在」 ("as of") that 地域・年齢別人口 files often append."""
    value = unicodedata.normalize("NFKC", text or "").strip().removesuffix("現在")
    return parse_japanese_date(value)


def _header_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name))
    text = re.sub(r"[~〜〰‐‑‒–—―−]", "-", text)  # NFKC has already made ～ into ~
    return re.sub(r"[\s_・()\[\]「」]", "", text)


def _band_of(low: int, high: int | None) -> str | None:
    if high is None:
        return OLDEST_BAND if low >= OLDEST_FROM and low % 5 == 0 else None
    if high - low != 4 or low % 5:
        return None  # 0-14歳, 15-64歳 and other groupings are not 5-year bands
    return OLDEST_BAND if low >= OLDEST_FROM else f"{low}-{high}"


def band_columns(columns: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    """(age band, sex) → the columns whose sum gives it.

    Over 85, a single 85歳以上 column wins; otherwise the 5-year ranges below the lowest open
    band (e.g. 85-89, 90-94, 95-99 and 100歳以上) are added up.
    """
    plain: dict[tuple[str, str], list[str]] = defaultdict(list)
    oldest: dict[str, list[tuple[int, bool, str]]] = defaultdict(list)  # sex → (low, open, column)
    for column in columns:
        match = BAND_HEADER.match(_header_key(column))
        if match is None or (match["before"] and match["after"]):
            continue
        sex = SEX_WORDS.get(match["before"] or match["after"] or "総数")
        low = int(match["low"])
        high = None if match["open"] else int(match["high"])
        band = _band_of(low, high)
        if band is None:
            continue
        if band == OLDEST_BAND:
            oldest[sex].append((low, high is None, column))
        else:
            plain[(band, sex)].append(column)
    for sex, pieces in oldest.items():
        open_lows = [low for low, is_open, _column in pieces if is_open]
        if OLDEST_FROM in open_lows:
            chosen = [c for low, is_open, c in pieces if is_open and low == OLDEST_FROM]
        else:
            cut = min(open_lows, default=None)
            chosen = [
                c
                for low, is_open, c in pieces
                if (not is_open and (cut is None or low < cut)) or (is_open and low == cut)
            ]
        plain[(OLDEST_BAND, sex)] = chosen
    return dict(plain)


def _expected_column(band: str, sex: str) -> str:
    age = "85歳以上" if band == OLDEST_BAND else f"{band}歳"
    return {Sex.MALE: f"{age}の男性", Sex.FEMALE: f"{age}の女性"}.get(sex, age)


def _first_column(frame_columns: list[str], names: tuple[str, ...]) -> str | None:
    keyed = {_header_key(column): column for column in frame_columns}
    for name in names:
        if _header_key(name) in keyed:
            return keyed[_header_key(name)]
    return None


@dataclasses.dataclass
class _Layout:
    code: str | None
    name: str | None
    municipality_code: str | None
    municipality_name: str | None
    date: str | None
    households: str | None
    bands: dict[tuple[str, str], list[str]]


def _layout(frame, *, has_default_date: bool, problems: list[Problem]) -> _Layout:
    columns = list(frame.columns)
    layout = _Layout(
        code=_first_column(columns, AREA_CODE_COLUMNS),
        name=_first_column(columns, AREA_NAME_COLUMNS),
        municipality_code=_first_column(columns, MUNICIPALITY_CODE_COLUMNS),
        municipality_name=_first_column(columns, MUNICIPALITY_NAME_COLUMNS),
        date=_first_column(columns, DATE_COLUMNS),
        households=_first_column(columns, HOUSEHOLD_COLUMNS),
        bands=band_columns(columns),
    )
    if not (layout.code or layout.name or layout.municipality_code or layout.municipality_name):
        problems.append(
            Problem(
                1,
                "地域名",
                _("No column names the area: the file needs 地域コード, 地域名 or 町丁字名."),
            )
        )
    if layout.date is None and not has_default_date:
        problems.append(
            Problem(
                1,
                "調査年月日",
                _(
                    "No survey date: add a 調査年月日 column or give the survey date with the "
                    "import."
                ),
            )
        )
    sexes = {sex for _band, sex in layout.bands}
    if not sexes:
        problems.append(
            Problem(
                1,
                None,
                _("No age-band columns (such as 0-4歳の男性 or 0～4歳) were found in the header."),
            )
        )
    expected = [
        _expected_column(band, sex)
        for sex in (Sex.MALE, Sex.FEMALE, Sex.ALL)
        if sex in sexes
        for band in AGE_BANDS
        if (band, sex) not in layout.bands
    ]
    problems.extend(require_columns(frame, expected))
    return layout


class _Places:
    """Every area and 町丁目, loaded once, to match the rows of a file (two queries)."""

    def __init__(self):
        self.areas = {area.pk: area for area in Area.objects.all()}
        self.by_code = {normalise(area.code): area for area in self.areas.values()}
        self.by_name: dict[str, list[Area]] = defaultdict(list)
        for area in self.areas.values():
            self.by_name[normalise(area.name)].append(area)
        self.chome: dict[tuple[str, int | None], list[Chome]] = defaultdict(list)
        for row in Chome.objects.all():
            self.chome[split_chome_name(row.name)].append(row)

    def municipality_of(self, area: Area) -> Area:
        while area.parent_id is not None:
            area = self.areas[area.parent_id]
        return area

    def municipality(self, code: str, name: str) -> Area | None:
        """The municipality named by a row's 全国地方公共団体コード or 地方公共団体名, if held."""
        area = self.by_code.get(normalise(code)) if code else None
        if area is None and name:
            name = normalise(name)
            candidates = self.by_name.get(name) or self.by_name.get(PREFECTURE.sub("", name), [])
            top = [a for a in candidates if a.level == Area.Level.MUNICIPALITY]
            area = top[0] if len(top) == 1 else None
        return area if area is not None and area.level == Area.Level.MUNICIPALITY else None


@dataclasses.dataclass
class _Target:
    lines: list[int] = dataclasses.field(default_factory=list)
    counts: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    households: int | None = None


def _counts_total(counts: dict[tuple[str, str], int]) -> int:
    return sum(figures[2] for figures in _per_band(counts).values())


def population_import(
    *,
    source: BinaryIO | bytes | str,
    filename: str = "",
    dry_run: bool = False,
    surveyed_on: datetime.date | None = None,
) -> ImportReport:
    """Read a population table and store its figures, all or nothing.

    `surveyed_on` is the survey date for rows whose file has no 調査年月日 (or leaves it blank).
    Raises ImportRejected listing every problem (line and column); nothing is written then, nor
    on a dry run. Returns what changed (or would change) per area and survey date.
    """
    problems: list[Problem] = []
    frame = read_table(source, filename=filename)
    layout = _layout(frame, has_default_date=surveyed_on is not None, problems=problems)
    if problems:
        raise ImportRejected(problems)
    if frame.empty:
        raise ImportRejected([Problem(None, None, _("The file has no rows of figures."))])

    places = _Places()
    targets: dict[tuple[int, datetime.date], _Target] = {}
    seen_rows: dict[tuple[str, int, datetime.date], int] = {}  # (kind, id, date) → first line
    direct_lines: dict[tuple[int, datetime.date], int] = {}
    chome_lines: dict[tuple[int, datetime.date], int] = {}
    rows = 0

    def cell(row, column):
        return str(row[column]).strip() if column else ""

    for line, row in frame.iterrows():
        if not any(str(value).strip() for value in row.to_numpy()):
            continue  # a blank line between blocks
        rows += 1
        day = _row_date(cell(row, layout.date), line=line, layout=layout, default=surveyed_on)
        if isinstance(day, Problem):
            problems.append(day)
        counts, households = _row_counts(row, line=line, layout=layout, problems=problems)
        if isinstance(day, Problem):
            continue
        match = _match_row(row, line=line, day=day, layout=layout, places=places, cell=cell)
        if isinstance(match, Problem):
            problems.append(match)
            continue
        area, chome, label, column = match
        key = ("chome", chome.pk, day) if chome else ("area", area.pk, day)
        if key in seen_rows:
            problems.append(
                Problem(
                    line,
                    column,
                    _("「%(name)s」 on %(date)s already appears on line %(line)s.")
                    % {"name": label, "date": day.isoformat(), "line": seen_rows[key]},
                )
            )
            continue
        seen_rows[key] = line
        (chome_lines if chome else direct_lines).setdefault((area.pk, day), line)
        target = targets.setdefault((area.pk, day), _Target())
        target.lines.append(line)
        for band_sex, count in counts.items():
            target.counts[band_sex] = target.counts.get(band_sex, 0) + count
        if households is not None:
            target.households = (target.households or 0) + households

    for key in direct_lines.keys() & chome_lines.keys():
        own, via = direct_lines[key], chome_lines[key]
        problems.append(
            Problem(
                max(own, via),
                layout.name or layout.code,
                _(
                    "Figures for %(area)s on %(date)s come both from its own row (line %(own)s) "
                    "and from its 町丁目 (line %(chome)s)."
                )
                % {
                    "area": places.areas[key[0]].name,
                    "date": key[1].isoformat(),
                    "own": own,
                    "chome": via,
                },
            )
        )
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: p.line or 0))
    if not targets:
        raise ImportRejected([Problem(None, None, _("The file has no rows of figures."))])
    return _apply(
        targets=targets,
        areas=places.areas,
        rows=rows,
        dry_run=dry_run,
        with_households=layout.households is not None,
    )


def _row_date(text, *, line, layout, default) -> datetime.date | Problem:
    if not text:
        if default is not None:
            return default
        return Problem(line, layout.date, _("The survey date is missing."))
    try:
        return parse_survey_date(text)
    except ValueError as error:
        return Problem(line, layout.date, str(error))


def _row_counts(row, *, line, layout, problems) -> tuple[dict[tuple[str, str], int], int | None]:
    counts = {}
    for band_sex, columns in layout.bands.items():
        values = [parse_count(str(row[c]), line=line, column=c, problems=problems) for c in columns]
        given = [value for value in values if value is not None]
        if given:  # blank, "-" or "X" (秘匿) cells are not stored
            counts[band_sex] = sum(given)
    households = None
    if layout.households:
        households = parse_count(
            str(row[layout.households]), line=line, column=layout.households, problems=problems
        )
    return counts, households


def _match_row(row, *, line, day, layout, places: _Places, cell):
    """(area to store under, 町丁目 or None, label for messages, column) or a Problem."""
    code, name = cell(row, layout.code), cell(row, layout.name)
    municipality = places.municipality(
        cell(row, layout.municipality_code), cell(row, layout.municipality_name)
    )

    def within(area: Area) -> bool:
        return municipality is None or places.municipality_of(area).pk == municipality.pk

    if code and (area := places.by_code.get(normalise(code))) is not None:
        return area, None, area.name, layout.code
    if name:
        rows = [
            c
            for c in places.chome.get(split_chome_name(name), [])
            if within(places.areas[c.area_id])
        ]
        if rows:
            held = [c for c in rows if _valid_on(c, day)]
            if not held:
                return Problem(
                    line,
                    layout.name,
                    _("The 町丁目 「%(name)s」 belonged to no district on %(date)s.")
                    % {"name": name, "date": day.isoformat()},
                )
            if len({c.area_id for c in held}) > 1:
                return _ambiguous(line, layout.name, name, [places.areas[c.area_id] for c in held])
            return places.areas[held[0].area_id], held[0], name, layout.name
        areas = [a for a in places.by_name.get(normalise(name), []) if within(a)]
        if len(areas) > 1:
            return _ambiguous(line, layout.name, name, areas)
        if areas:
            return areas[0], None, name, layout.name
        return Problem(
            line,
            layout.name,
            _("No area or 町丁目 called 「%(name)s」 is known.") % {"name": name},
        )
    if code:
        return Problem(line, layout.code, _("No area has the code 「%(code)s」.") % {"code": code})
    if municipality is not None:
        return municipality, None, municipality.name, layout.municipality_code
    return Problem(
        line,
        layout.name or layout.code or layout.municipality_code,
        _("The row names no area we know."),
    )


def _ambiguous(line, column, name, areas) -> Problem:
    names = "、".join(sorted({area.name for area in areas}))
    return Problem(
        line,
        column,
        _(
            "「%(name)s」 matches more than one area (%(areas)s): give its 地域コード or its "
            "municipality."
        )
        % {"name": name, "areas": names},
    )


def _valid_on(chome: Chome, day: datetime.date) -> bool:
    return (chome.valid_from is None or chome.valid_from <= day) and (
        chome.valid_to is None or chome.valid_to >= day
    )


def _apply(*, targets, areas, rows, dry_run, with_households) -> ImportReport:
    area_ids = {area_id for area_id, _day in targets}
    days = {day for _area_id, day in targets}
    stored: dict[tuple[int, datetime.date], dict[tuple[str, str], int]] = defaultdict(dict)
    for area_id, day, band, sex, count in PopulationFigure.objects.filter(
        area_id__in=area_ids, surveyed_on__in=days
    ).values_list("area_id", "surveyed_on", "age_band", "sex", "count"):
        stored[(area_id, day)][(band, sex)] = count
    stored_households = {}
    if with_households:
        stored_households = {
            (area_id, day): count
            for area_id, day, count in HouseholdFigure.objects.filter(
                area_id__in=area_ids, surveyed_on__in=days
            ).values_list("area_id", "surveyed_on", "count")
        }

    changes, to_write = [], []
    for (area_id, day), target in targets.items():
        before = stored.get((area_id, day))
        if not before:
            status = Status.NEW
        elif before == target.counts and (
            not with_households or stored_households.get((area_id, day)) == target.households
        ):
            status = Status.UNCHANGED
        else:
            status = Status.CHANGED
        changes.append(
            AreaChange(
                area=areas[area_id],
                surveyed_on=day,
                status=status,
                before=_counts_total(before) if before else None,
                after=_counts_total(target.counts),
                source_rows=len(target.lines),
            )
        )
        if status != Status.UNCHANGED:
            to_write.append(((area_id, day), target))
    changes.sort(key=lambda c: (c.surveyed_on, c.area.reading, c.area.code))
    report = ImportReport(dry_run=dry_run, rows=rows, changes=changes)
    if not dry_run and to_write:
        report.figures_written = _write(to_write, with_households=with_households)
    return report


@transaction.atomic
def _write(to_write, *, with_households: bool) -> int:
    by_day: dict[datetime.date, list[int]] = defaultdict(list)
    for (area_id, day), _target in to_write:
        by_day[day].append(area_id)
    for day, area_ids in by_day.items():
        PopulationFigure.objects.filter(surveyed_on=day, area_id__in=area_ids).delete()
        if with_households:
            HouseholdFigure.objects.filter(surveyed_on=day, area_id__in=area_ids).delete()
    figures = [
        PopulationFigure(area_id=area_id, surveyed_on=day, age_band=band, sex=sex, count=count)
        for (area_id, day), target in to_write
        for (band, sex), count in target.counts.items()
    ]
    PopulationFigure.objects.bulk_create(figures, batch_size=2000)
    refresh_population_totals(pairs=[key for key, _target in to_write])
    if with_households:
        HouseholdFigure.objects.bulk_create(
            [
                HouseholdFigure(area_id=area_id, surveyed_on=day, count=target.households)
                for (area_id, day), target in to_write
                if target.households is not None
            ],
            batch_size=2000,
        )
    return len(figures)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

CHAIN = ("area_id", "area__parent_id", "area__parent__parent_id")
# A previous survey counts as "a year earlier" from 10 to 14 months before the latest.
YEAR_BEFORE = (datetime.timedelta(days=304), datetime.timedelta(days=426))


def _subtree(area_ids) -> Q:
    """Figures of these areas and of everything below them (the tree has three levels)."""
    return (
        Q(area_id__in=area_ids)
        | Q(area__parent_id__in=area_ids)
        | Q(area__parent__parent_id__in=area_ids)
    )


def _paths(chain, wanted):
    """For a figure's (area, parent, grandparent): each wanted area at or above it, with the path
    from that area down to the figure's own area."""
    area_id, parent_id, grandparent_id = chain
    if area_id in wanted:
        yield area_id, (area_id,)
    if parent_id is not None and parent_id in wanted:
        yield parent_id, (parent_id, area_id)
    if grandparent_id is not None and grandparent_id in wanted:
        yield grandparent_id, (grandparent_id, parent_id, area_id)


class _Node:
    """An area's own figures and its children's; `resolved` applies the roll-up rule."""

    __slots__ = ("kids", "own")

    def __init__(self):
        self.own: dict[tuple[str, str], int] = {}
        self.kids: dict[int, _Node] = {}

    def add(self, path, key, count):
        node = self
        for area_id in path[1:]:
            node = node.kids.setdefault(area_id, _Node())
        node.own[key] = node.own.get(key, 0) + count

    def resolved(self) -> dict[str, tuple[int | None, int | None, int]]:
        if self.own:
            return _per_band(self.own)
        total: dict[str, tuple[int | None, int | None, int]] = {}
        for kid in self.kids.values():
            for band, (male, female, everyone) in kid.resolved().items():
                if band not in total:
                    total[band] = (male, female, everyone)
                    continue
                m, f, a = total[band]
                total[band] = (
                    None if m is None or male is None else m + male,
                    None if f is None or female is None else f + female,
                    a + everyone,
                )
        return total


def _per_band(counts) -> dict[str, tuple[int | None, int | None, int]]:
    """(male, female, all) per band; "all" is male + female where the source gave no total."""
    result = {}
    for band in {band for band, _sex in counts}:
        male, female = counts.get((band, Sex.MALE)), counts.get((band, Sex.FEMALE))
        everyone = counts.get((band, Sex.ALL))
        if everyone is None:
            everyone = (male or 0) + (female or 0)
        result[band] = (male, female, everyone)
    return result


def _as_bands(resolved) -> dict[str, dict[str, int | None]]:
    if not resolved:
        return {}
    with_sex = all(m is not None and f is not None for m, f, _a in resolved.values())
    bands = {}
    for band in AGE_BANDS:
        male, female, everyone = resolved.get(band, (0, 0, 0) if with_sex else (None, None, 0))
        if not with_sex:
            male = female = None
        bands[band] = {"male": male, "female": female, "all": everyone}
    return bands


def _survey_dates(area_ids, *, leaves: bool = False) -> dict[int, list[datetime.date]]:
    """Each area's survey dates, counting its descendants' (one query; `leaves` as in _trees)."""
    wanted = set(area_ids)
    dates: dict[int, set[datetime.date]] = defaultdict(set)
    if leaves:
        rows = (
            PopulationFigure.objects.filter(area_id__in=wanted)
            .values_list("area_id", "surveyed_on")
            .distinct()
        )
        for area_id, day in rows:
            dates[area_id].add(day)
        return {area_id: sorted(days) for area_id, days in dates.items()}
    rows = (
        PopulationFigure.objects.filter(_subtree(wanted))
        .values_list(*CHAIN, "surveyed_on")
        .distinct()
    )
    for *chain, day in rows:
        for area_id, _path in _paths(chain, wanted):
            dates[area_id].add(day)
    return {area_id: sorted(days) for area_id, days in dates.items()}


def _year_before(latest: datetime.date, dates: list[datetime.date]) -> datetime.date | None:
    shortest, longest = YEAR_BEFORE
    candidates = [d for d in dates if shortest <= latest - d <= longest]
    target = latest - datetime.timedelta(days=365)
    return min(candidates, key=lambda d: abs((d - target).days), default=None)


def _trees(
    model, wanted, days, *, people: bool, leaves: bool = False
) -> dict[tuple[int, datetime.date], _Node]:
    """One query: every figure on these days under these areas, as a tree per (area, day).

    `leaves`: every wanted area is a district, which has no areas below it, so its figures are
    its own; reading them without the tree's joins is four times faster for 280 districts.
    """
    trees: dict[tuple[int, datetime.date], _Node] = defaultdict(_Node)
    if not wanted or not days:
        return trees
    if leaves:
        fields = (
            ("area_id", "surveyed_on", "age_band", "sex", "count")
            if people
            else ("area_id", "surveyed_on", "count")
        )
        rows = model.objects.filter(area_id__in=wanted, surveyed_on__in=days).values_list(*fields)
        for row in rows:
            own = trees[(row[0], row[1])].own
            key = (row[2], row[3]) if people else ("households", Sex.ALL)
            own[key] = own.get(key, 0) + row[-1]
        return trees
    fields = (
        (*CHAIN, "surveyed_on", "age_band", "sex", "count")
        if people
        else (*CHAIN, "surveyed_on", "count")
    )
    for row in model.objects.filter(_subtree(wanted), surveyed_on__in=days).values_list(*fields):
        chain, day = row[:3], row[3]
        key = (row[4], row[5]) if people else ("households", Sex.ALL)
        for area_id, path in _paths(chain, wanted):
            trees[(area_id, day)].add(path, key, row[-1])
    return trees


def population_by_band(
    *, area: Area, surveyed_on: datetime.date | None = None
) -> dict[str, dict[str, int | None]]:
    """{band: {"male", "female", "all"}} for every band of AGE_BANDS, on `surveyed_on` or the
    latest survey date in the area's subtree; {} when there are no figures.

    The area's own figures for that date when it has them, else its children's summed (each
    child by the same rule). "male"/"female" are None unless every figure summed gives them.
    Two queries (one when `surveyed_on` is given), whatever the size of the tree.
    """
    if surveyed_on is None:
        dates = _survey_dates([area.pk]).get(area.pk)
        if not dates:
            return {}
        surveyed_on = dates[-1]
    trees = _trees(PopulationFigure, {area.pk}, [surveyed_on], people=True)
    node = trees.get((area.pk, surveyed_on))
    return _as_bands(node.resolved()) if node else {}


@dataclasses.dataclass
class PopulationSummary:
    """The figures an area page and the comparison show, for one survey date.

    Child populations are estimates: the data comes in 5-year bands, which do not split at 5/6
    or 17/18, so ages are taken as spread evenly within a band: 0–5 is 0-4 plus one fifth of
    5-9, and 6–17 is four fifths of 5-9, all of 10-14 and three fifths of 15-19.
    """

    area: Area
    surveyed_on: datetime.date | None
    bands: dict[str, dict[str, int | None]]
    households: int | None = None
    previous: "PopulationSummary | None" = None

    @property
    def has_figures(self) -> bool:
        return bool(self.bands)

    @property
    def has_sex(self) -> bool:
        return bool(self.bands) and all(b["male"] is not None for b in self.bands.values())

    def _sum(self, bands: Iterable[str], share: float = 1.0) -> float:
        return sum(self.bands[band]["all"] for band in bands) * share if self.bands else 0

    @property
    def total(self) -> int:
        return int(self._sum(AGE_BANDS))

    @property
    def total_male(self) -> int | None:
        return sum(b["male"] for b in self.bands.values()) if self.has_sex else None

    @property
    def total_female(self) -> int | None:
        return sum(b["female"] for b in self.bands.values()) if self.has_sex else None

    @property
    def aged_65(self) -> int:
        return int(self._sum(AGE_BANDS[13:]))

    @property
    def aged_75(self) -> int:
        return int(self._sum(AGE_BANDS[15:]))

    @property
    def ageing_rate(self) -> float | None:
        """Share of residents aged 65 and over, in percent (高齢化率)."""
        return 100 * self.aged_65 / self.total if self.total else None

    @property
    def ageing_rate_75(self) -> float | None:
        """Share of residents aged 75 and over, in percent."""
        return 100 * self.aged_75 / self.total if self.total else None

    @property
    def children_0_5(self) -> int:
        """Estimated: 0-4 plus a fifth of 5-9 (see the class docstring)."""
        return round(self._sum(["0-4"]) + self._sum(["5-9"], 1 / 5))

    @property
    def children_6_17(self) -> int:
        """Estimated: four fifths of 5-9, 10-14, and three fifths of 15-19."""
        return round(self._sum(["5-9"], 4 / 5) + self._sum(["10-14"]) + self._sum(["15-19"], 3 / 5))

    @property
    def child_share(self) -> float | None:
        """Share of residents aged 0–17 (estimated), in percent."""
        children = self.children_0_5 + self.children_6_17
        return 100 * children / self.total if self.total else None

    def _change(self, name):
        if self.previous is None or not self.previous.has_figures:
            return None
        now, before = getattr(self, name), getattr(self.previous, name)
        if now is None or before is None:
            return None
        return now - before

    @property
    def total_change(self) -> int | None:
        return self._change("total")

    @property
    def total_change_percent(self) -> float | None:
        change = self.total_change
        if change is None or not self.previous.total:
            return None
        return 100 * change / self.previous.total

    @property
    def ageing_rate_change(self) -> float | None:
        """In percentage points."""
        return self._change("ageing_rate")

    @property
    def ageing_rate_75_change(self) -> float | None:
        return self._change("ageing_rate_75")

    @property
    def children_0_5_change(self) -> int | None:
        return self._change("children_0_5")

    @property
    def children_6_17_change(self) -> int | None:
        return self._change("children_6_17")

    @property
    def chart(self) -> dict:
        """Geometry of the bar chart (a pyramid when figures by sex exist), oldest band on top."""
        return population_chart(self.bands)


CHART_WIDTH = 480
CHART_ROW = 18
CHART_TOP = 24  # room for the 男性 / 女性 headings
LABEL_WIDTH = 56


def population_chart(bands: dict[str, dict[str, int | None]]) -> dict:
    """Coordinates for an SVG bar chart of `bands`, computed here because templates cannot."""
    with_sex = bool(bands) and all(b["male"] is not None for b in bands.values())
    rows = []
    if with_sex:
        half = (CHART_WIDTH - LABEL_WIDTH) / 2
        largest = max([max(b["male"], b["female"]) for b in bands.values()] + [1])
        scale = (half - 4) / largest
    else:
        span = CHART_WIDTH - LABEL_WIDTH - 8
        largest = max([b["all"] for b in bands.values()] + [1])
        scale = span / largest
    for index, band in enumerate(reversed(list(bands))):
        figures = bands[band]
        y = CHART_TOP + index * CHART_ROW
        row = {
            "band": band,
            "label": band.replace("-", "–"),
            "y": y,
            "bar_y": y + 2,
            "text_y": y + CHART_ROW - 5,
            **figures,
        }
        if with_sex:
            male_width = round(figures["male"] * scale, 1)
            row |= {
                "male_width": male_width,
                "male_x": round(half - male_width, 1),
                "female_x": round(half + LABEL_WIDTH, 1),
                "female_width": round(figures["female"] * scale, 1),
                "label_x": round(half + LABEL_WIDTH / 2, 1),
            }
        else:
            row |= {
                "all_x": LABEL_WIDTH,
                "all_width": round(figures["all"] * scale, 1),
                "label_x": LABEL_WIDTH - 6,
            }
        rows.append(row)
    return {
        "with_sex": with_sex,
        "width": CHART_WIDTH,
        "height": CHART_TOP + len(rows) * CHART_ROW + 4,
        "rows": rows,
        "male_heading_x": round((CHART_WIDTH - LABEL_WIDTH) / 4, 1),
        "female_heading_x": round(CHART_WIDTH - (CHART_WIDTH - LABEL_WIDTH) / 4, 1),
    }


def population_for_areas(
    *, areas: Iterable[Area], surveyed_on: datetime.date | None = None
) -> dict[int, PopulationSummary]:
    """area pk → PopulationSummary (with `previous`, the survey about a year earlier), for many
    areas in three queries: survey dates, population figures and household figures.

    Each area uses its own latest survey date (counting its descendants'), or `surveyed_on`.
    """
    areas = list(areas)
    wanted = {area.pk for area in areas}
    leaves = all(area.level == Area.Level.DISTRICT for area in areas)
    dates = _survey_dates(wanted, leaves=leaves)
    chosen: dict[int, tuple[datetime.date | None, datetime.date | None]] = {}
    for area in areas:
        known = dates.get(area.pk, [])
        latest = surveyed_on or (known[-1] if known else None)
        chosen[area.pk] = (latest, _year_before(latest, known) if latest else None)
    days = {day for pair in chosen.values() for day in pair if day is not None}
    people = _trees(PopulationFigure, wanted, days, people=True, leaves=leaves)
    homes = _trees(HouseholdFigure, wanted, days, people=False, leaves=leaves)

    def summary(area, day):
        if day is None:
            return PopulationSummary(area=area, surveyed_on=None, bands={})
        node = people.get((area.pk, day))
        home = homes.get((area.pk, day))
        households = home.resolved().get("households") if home else None
        return PopulationSummary(
            area=area,
            surveyed_on=day if node else None,
            bands=_as_bands(node.resolved()) if node else {},
            households=households[2] if households else None,
        )

    result = {}
    for area in areas:
        latest, before = chosen[area.pk]
        current = summary(area, latest)
        if before is not None:
            current.previous = summary(area, before)
        result[area.pk] = current
    return result


def population_summary(
    *, area: Area, surveyed_on: datetime.date | None = None
) -> PopulationSummary:
    """The latest survey (or `surveyed_on`) of one area with the one about a year before."""
    return population_for_areas(areas=[area], surveyed_on=surveyed_on)[area.pk]


# ---------------------------------------------------------------------------------------------
# Totals per area and survey date (PopulationTotal), for pages that list many districts
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def refresh_population_totals(*, pairs: Iterable[tuple[int, datetime.date]] | None = None) -> int:
    """Rewrite the PopulationTotal rows of these (area id, survey date) pairs (of every area and
    date when `pairs` is None) from their PopulationFigure rows: a pair left without figures
    loses its row. Every write of figures calls this, in its transaction. Two queries and two
    writes; returns the number of rows written."""
    rows = PopulationFigure.objects.all()
    stale = PopulationTotal.objects.all()
    if pairs is not None:
        by_day: dict[datetime.date, set[int]] = defaultdict(set)
        for area_id, day in pairs:
            by_day[day].add(area_id)
        if not by_day:
            return 0
        wanted = Q()
        for day, area_ids in by_day.items():
            wanted |= Q(surveyed_on=day, area_id__in=sorted(area_ids))
        rows, stale = rows.filter(wanted), stale.filter(wanted)
    counts: dict[tuple[int, datetime.date], dict[tuple[str, str], int]] = defaultdict(dict)
    for area_id, day, band, sex, count in rows.values_list(
        "area_id", "surveyed_on", "age_band", "sex", "count"
    ):
        counts[(area_id, day)][(band, sex)] = count
    stale.delete()
    totals = []
    for (area_id, day), own in counts.items():
        summary = PopulationSummary(area=None, surveyed_on=day, bands=_as_bands(_per_band(own)))
        totals.append(
            PopulationTotal(
                area_id=area_id,
                surveyed_on=day,
                total=summary.total,
                aged_65=summary.aged_65,
                aged_75=summary.aged_75,
                children_0_5=summary.children_0_5,
                children_6_17=summary.children_6_17,
            )
        )
    PopulationTotal.objects.bulk_create(totals, batch_size=2000)
    return len(totals)


def latest_population_totals(*, area_ids) -> dict[int, PopulationTotal]:
    """area id → the totals of the area's own figures on its latest survey date, for many areas
    in one query; an area without figures of its own is left out.

    For a district, whose figures are all its own, these are the figures population_for_areas
    gives (total, ageing rates, child share), without reading its 36 figures per survey. `area_ids`
    may be a list or a values("pk") queryset.
    """
    latest = (
        PopulationTotal.objects.filter(area_id=OuterRef("area_id"))
        .order_by("-surveyed_on")
        .values("surveyed_on")[:1]
    )
    rows = PopulationTotal.objects.filter(area_id__in=area_ids, surveyed_on=Subquery(latest))
    return {row.area_id: row for row in rows}


# ---------------------------------------------------------------------------------------------
# Demo data
# ---------------------------------------------------------------------------------------------

# A Setagaya-like age pyramid (percent of residents per band): many people in their 20s–50s.
DEMO_SHAPE = [
    4.0,
    3.9,
    3.8,
    4.1,
    6.8,
    8.0,
    7.8,
    7.6,
    8.0,
    8.2,
    7.4,
    6.0,
    5.0,
    4.6,
    4.4,
    3.8,
    3.0,
    3.6,
]


def population_demo(
    *,
    districts: Iterable,
    rng,
    surveyed_on: datetime.date,
    previous_on: datetime.date | None = None,
) -> int:
    """Plausible figures by band and sex (and households) for each district on `surveyed_on`,
    and, when `previous_on` is given, a survey a year earlier that differs by a few percent, so
    pages can show year-on-year change.

    `districts` are Areas or anything with a `pk`; `rng` is a random.Random, so one seed gives
    the same figures. Bulk inserts, with the districts' PopulationTotal rows in step; returns the
    number of population figures created.
    """
    figures, households = [], []
    dates = [surveyed_on] if previous_on is None else [surveyed_on, previous_on]
    for district in districts:
        people = rng.randint(22_000, 42_000)
        drift = {previous_on: rng.uniform(0.97, 1.02)}  # the earlier survey, per district
        for band, weight in zip(AGE_BANDS, DEMO_SHAPE, strict=True):
            female_share = 0.58 if int(band.rstrip("+").split("-")[0]) >= 70 else 0.5
            in_band = people * weight / 100
            for sex, share in ((Sex.MALE, 1 - female_share), (Sex.FEMALE, female_share)):
                count = max(0, round(in_band * share * rng.uniform(0.9, 1.1)))
                for day in dates:
                    figures.append(
                        PopulationFigure(
                            area_id=district.pk,
                            surveyed_on=day,
                            age_band=band,
                            sex=sex,
                            count=count if day == surveyed_on else round(count * drift[day]),
                        )
                    )
        size = rng.uniform(1.8, 2.1)
        for day in dates:
            scale = 1 if day == surveyed_on else drift[day]
            households.append(
                HouseholdFigure(
                    area_id=district.pk, surveyed_on=day, count=round(people * scale / size)
                )
            )
    with transaction.atomic():
        PopulationFigure.objects.bulk_create(figures, batch_size=2000)
        refresh_population_totals(
            pairs={(figure.area_id, figure.surveyed_on) for figure in figures}
        )
        HouseholdFigure.objects.bulk_create(households, batch_size=2000)
    return len(figures)
