"""Importing the territory: the Area tree (CSV/Excel), boundaries (GeoJSON) and 町丁目 membership.

Every import reads the whole file and checks each row against the rest of the file and the
database before it writes anything: a file with any problem is rejected whole, with every problem
listed by line and column, and a dry run reports what would change without writing. Writes happen
in one transaction, so a failure half-way leaves the database as it was.

Columns (headers in Japanese, as municipalities publish them):

- Areas: コード, 名称, 階層, 親コード, and optionally 読み仮名. 階層 is 市区町村 (or 市, 区, 町,
  村), 地域 or 地区 (or 日常生活圏域, 圏域), or in English municipality / region / district. The
  tree is municipality → region → district: a municipality has no 親コード, a region's parent is
  a municipality, a district's a region. A parent may come later in the file or be saved
  already. An empty 読み仮名 keeps the saved reading.
- Boundaries: a GeoJSON FeatureCollection in longitude/latitude whose features carry the area's
  code in a property ("code" unless told otherwise), each with a Polygon or MultiPolygon.
- 町丁目, the current table: 町丁目, 地区コード, and optionally 読み仮名, 有効開始日.
- 町丁目, an old/new table (新旧対照表) published when the 圏域 are redrawn: 町丁目, 旧地区コード,
  新地区コード, 変更日, and optionally 読み仮名. The old membership ends the day before 変更日 and
  is kept, so figures counted under it keep their meaning; the new one starts on 変更日.
  In both tables a district may be given by its code or by its name when no other district has it.
  町丁目 not in the file are left as they are.

Dates may be written 2022-04-01, 2022/4/1, 2022年4月1日 or 令和4年4月1日 (districts.dates).
"""

import dataclasses
import datetime
import json
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from districts.addresses import split_chome_name
from districts.dates import parse_date_cell
from districts.geojson import clean_geometry, crs_problem, geometry_errors
from districts.models import Area, Chome
from districts.tables import ImportRejected, Problem, read_table, require_columns

Source = BinaryIO | bytes | str | Path

# Areas
CODE, NAME, READING, LEVEL, PARENT = "コード", "名称", "読み仮名", "階層", "親コード"
LEVEL_WORDS = {
    "市区町村": Area.Level.MUNICIPALITY,
    "市": Area.Level.MUNICIPALITY,
    "区": Area.Level.MUNICIPALITY,
    "町": Area.Level.MUNICIPALITY,
    "村": Area.Level.MUNICIPALITY,
    "municipality": Area.Level.MUNICIPALITY,
    "地域": Area.Level.REGION,
    "region": Area.Level.REGION,
    "地区": Area.Level.DISTRICT,
    "日常生活圏域": Area.Level.DISTRICT,
    "圏域": Area.Level.DISTRICT,
    "district": Area.Level.DISTRICT,
}
PARENT_LEVEL = {
    Area.Level.MUNICIPALITY: None,
    Area.Level.REGION: Area.Level.MUNICIPALITY,
    Area.Level.DISTRICT: Area.Level.REGION,
}
CHILD_LEVEL = {parent: child for child, parent in PARENT_LEVEL.items() if parent}
LEVEL_ORDER = list(PARENT_LEVEL)

# 町丁目
CHOME, DISTRICT, VALID_FROM = "町丁目", "地区コード", "有効開始日"
OLD_DISTRICT, NEW_DISTRICT, CHANGED_ON = "旧地区コード", "新地区コード", "変更日"
CHOME_ALIASES = {
    "町丁目名": CHOME,
    "町丁名": CHOME,
    "圏域コード": DISTRICT,
    "圏域": DISTRICT,
    "旧圏域コード": OLD_DISTRICT,
    "旧圏域": OLD_DISTRICT,
    "新圏域コード": NEW_DISTRICT,
    "新圏域": NEW_DISTRICT,
}
MAX_PROBLEMS_PER_FEATURE = 5


@dataclasses.dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0  # 町丁目 memberships ended by a redraw
    changes: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        counts = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "closed": self.closed,
        }
        if self.dry_run and self.closed:
            text = _(
                "Dry run, nothing saved. Would create %(created)s, update %(updated)s and close "
                "%(closed)s; %(unchanged)s unchanged."
            )
        elif self.dry_run:
            text = _(
                "Dry run, nothing saved. Would create %(created)s and update %(updated)s; "
                "%(unchanged)s unchanged."
            )
        elif self.closed:
            text = _(
                "Created %(created)s, updated %(updated)s, closed %(closed)s; %(unchanged)s "
                "unchanged."
            )
        else:
            text = _("Created %(created)s, updated %(updated)s; %(unchanged)s unchanged.")
        return text % counts


def _text(value: object) -> str:
    """A cell as people mean it: 全角 letters and digits as 半角, no surrounding spaces."""
    return unicodedata.normalize("NFKC", str(value or "")).strip()


_code = _text


def _hiragana(text: str) -> str:
    """Readings are kept in hiragana, for 五十音 order; katakana (any width) is converted."""
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in _text(text))


def _blank(record: pd.Series) -> bool:
    return not any(str(value).strip() for value in record.to_numpy())


def _rejected_on_conflict() -> ImportRejected:
    return ImportRejected(
        [
            Problem(
                None,
                None,
                _(
                    "The data changed while the file was being imported (is someone else "
                    "importing?). Nothing was saved; import the file again."
                ),
            )
        ]
    )


# ---------------------------------------------------------------------------------------------
# Areas


@dataclasses.dataclass
class _AreaRow:
    line: int
    code: str
    name: str
    reading: str
    level: str | None
    parent_code: str


def areas_import(*, source: Source, filename: str = "", dry_run: bool = False) -> ImportReport:
    """Create or update areas by code from a table; raises ImportRejected, writing nothing."""
    frame = read_table(source, filename=filename)
    problems = require_columns(frame, [CODE, NAME, LEVEL, PARENT])
    if problems:
        raise ImportRejected(problems)
    try:
        with transaction.atomic():
            existing = {area.code: area for area in Area.objects.select_for_update()}
            rows = _area_rows(frame, problems)
            _check_tree(rows, existing, problems)
            if problems:
                raise ImportRejected(problems)
            report = ImportReport(dry_run=dry_run)
            _apply_areas(rows, existing, report, write=not dry_run)
    except IntegrityError as error:
        raise _rejected_on_conflict() from error
    return report


def _area_rows(frame: pd.DataFrame, problems: list[Problem]) -> dict[str, _AreaRow]:
    rows: dict[str, _AreaRow] = {}
    has_reading = READING in frame.columns
    for line, record in frame.iterrows():
        if _blank(record):
            continue
        code, name = _code(record[CODE]), _text(record[NAME])
        reading = _hiragana(record[READING]) if has_reading else ""
        level_text = _text(record[LEVEL])
        level = LEVEL_WORDS.get(level_text.lower())
        row = _AreaRow(line, code, name, reading, level, _code(record[PARENT]))
        if not code:
            problems.append(Problem(line, CODE, _("The code is empty.")))
        elif len(code) > Area._meta.get_field("code").max_length:
            problems.append(Problem(line, CODE, _("The code is longer than 32 characters.")))
        elif code in rows:
            problems.append(
                Problem(
                    line,
                    CODE,
                    _("The code %(code)s is already used on line %(line)s.")
                    % {"code": code, "line": rows[code].line},
                )
            )
        if not name:
            problems.append(Problem(line, NAME, _("The name is empty.")))
        elif len(name) > Area._meta.get_field("name").max_length:
            problems.append(Problem(line, NAME, _("The name is longer than 100 characters.")))
        if len(reading) > Area._meta.get_field("reading").max_length:
            problems.append(Problem(line, READING, _("The reading is longer than 200 characters.")))
        if level is None:
            problems.append(
                Problem(
                    line,
                    LEVEL,
                    _("「%(value)s」 is not a level: write 市区町村, 地域 or 地区.")
                    % {"value": level_text},
                )
            )
        if code and code not in rows:
            rows[code] = row
    return rows


def _check_tree(
    rows: dict[str, _AreaRow], existing: dict[str, Area], problems: list[Problem]
) -> None:
    """Each row's parent exists (in the file or saved) one level up; no loops; areas already
    saved under a row still fit under it after the import."""
    code_by_id = {area.pk: area.code for area in existing.values()}
    saved_parent = {area.code: code_by_id.get(area.parent_id, "") for area in existing.values()}

    def level_of(code: str) -> str | None:
        if code in rows:
            return rows[code].level
        return existing[code].level if code in existing else None

    def parent_of(code: str) -> str:
        return rows[code].parent_code if code in rows else saved_parent.get(code, "")

    for row in rows.values():
        if row.level is None:
            continue  # already reported
        expected = PARENT_LEVEL[row.level]
        if row.parent_code == row.code:
            problems.append(Problem(row.line, PARENT, _("An area cannot be its own parent.")))
        elif expected is None and row.parent_code:
            problems.append(
                Problem(row.line, PARENT, _("A municipality has no parent: leave 親コード empty."))
            )
        elif expected is not None and not row.parent_code:
            problems.append(
                Problem(
                    row.line,
                    PARENT,
                    _("A %(level)s needs the code of its parent %(parent)s.")
                    % {
                        "level": Area.Level(row.level).label,
                        "parent": Area.Level(expected).label,
                    },
                )
            )
        elif row.parent_code:
            parent_level = level_of(row.parent_code)
            if row.parent_code not in rows and row.parent_code not in existing:
                problems.append(
                    Problem(
                        row.line,
                        PARENT,
                        _("No area has the code %(code)s, in this file or already saved.")
                        % {"code": row.parent_code},
                    )
                )
            elif parent_level is not None and parent_level != expected:
                problems.append(
                    Problem(
                        row.line,
                        PARENT,
                        _(
                            "A %(level)s must be under a %(expected)s, but %(parent)s is a "
                            "%(parent_level)s."
                        )
                        % {
                            "level": Area.Level(row.level).label,
                            "expected": Area.Level(expected).label,
                            "parent": row.parent_code,
                            "parent_level": Area.Level(parent_level).label,
                        },
                    )
                )
        # A loop (A under B under A) can only come with a wrong level too, but name it plainly.
        chain, code = [row.code], parent_of(row.code)
        while code and code not in chain and len(chain) <= len(rows) + len(existing):
            chain.append(code)
            code = parent_of(code)
        if code == row.code and len(chain) > 1:
            problems.append(
                Problem(
                    row.line,
                    PARENT,
                    _("The areas form a loop: %(chain)s.")
                    % {"chain": " → ".join([*chain, row.code])},
                )
            )
    _check_saved_children(rows, existing, problems)


def _check_saved_children(
    rows: dict[str, _AreaRow], existing: dict[str, Area], problems: list[Problem]
) -> None:
    """A saved area whose level the file changes must not strand what hangs under it."""
    changed = {
        code: row
        for code, row in rows.items()
        if code in existing and row.level and row.level != existing[code].level
    }
    if not changed:
        return
    ids = {existing[code].pk: code for code in changed}
    stranded = defaultdict(list)
    for area in existing.values():
        if area.parent_id in ids and area.code not in rows:
            stranded[ids[area.parent_id]].append(area)
    chome_counts = defaultdict(int)
    for area_id in Chome.objects.filter(area_id__in=ids).values_list("area_id", flat=True):
        chome_counts[ids[area_id]] += 1
    for code, row in changed.items():
        wrong = [area for area in stranded[code] if CHILD_LEVEL.get(row.level) != area.level]
        if wrong:
            problems.append(
                Problem(
                    row.line,
                    LEVEL,
                    _(
                        "%(code)s cannot become a %(level)s: %(count)s saved areas under it "
                        "(e.g. %(example)s) would be at the wrong level. Move them in the same "
                        "file."
                    )
                    % {
                        "code": code,
                        "level": Area.Level(row.level).label,
                        "count": len(wrong),
                        "example": wrong[0].code,
                    },
                )
            )
        if chome_counts[code] and row.level != Area.Level.DISTRICT:
            problems.append(
                Problem(
                    row.line,
                    LEVEL,
                    _("%(code)s has %(count)s 町丁目; only a district can hold them.")
                    % {"code": code, "count": chome_counts[code]},
                )
            )


def _apply_areas(
    rows: dict[str, _AreaRow], existing: dict[str, Area], report: ImportReport, *, write: bool
) -> None:
    by_code = dict(existing)
    code_by_id = {area.pk: area.code for area in existing.values()}
    # Parents first: every parent is one level up, so level order settles any file order.
    ordered = sorted(rows.values(), key=lambda row: (LEVEL_ORDER.index(row.level), row.line))
    for row in ordered:
        parent = by_code[row.parent_code] if row.parent_code else None
        area = existing.get(row.code)
        if area is None:
            area = Area(
                code=row.code, name=row.name, reading=row.reading, level=row.level, parent=parent
            )
            report.created += 1
            report.changes.append(
                _("+ %(code)s %(name)s (%(level)s)")
                % {"code": row.code, "name": row.name, "level": Area.Level(row.level).label}
            )
            if write:
                area.save()
            by_code[row.code] = area
            continue
        old = {
            NAME: area.name,
            READING: area.reading,
            LEVEL: area.level,
            PARENT: code_by_id.get(area.parent_id, ""),
        }
        new = {
            NAME: row.name,
            READING: row.reading or area.reading,
            LEVEL: row.level,
            PARENT: row.parent_code,
        }
        differences = [column for column in old if old[column] != new[column]]
        if not differences:
            report.unchanged += 1
            continue
        report.updated += 1
        report.changes.append(
            _("~ %(code)s %(name)s: %(fields)s")
            % {
                "code": row.code,
                "name": row.name,
                "fields": ", ".join(
                    f"{column} {old[column] or '—'} → {new[column] or '—'}"
                    for column in differences
                ),
            }
        )
        area.name, area.reading, area.level, area.parent = (
            row.name,
            new[READING],
            row.level,
            parent,
        )
        if write:
            area.save(update_fields=["name", "reading", "level", "parent"])


# ---------------------------------------------------------------------------------------------
# Boundaries


def boundaries_import(
    *, source: Source, code_property: str = "code", dry_run: bool = False
) -> ImportReport:
    """Store each feature's geometry as its area's boundary; raises ImportRejected, writing nothing.

    Problems carry the feature's number (1 for the first feature) as their line.
    """
    collection = _read_geojson(source)
    problems: list[Problem] = []
    if message := crs_problem(collection.get("crs")):
        raise ImportRejected([Problem(None, "crs", message)])
    features = collection.get("features")
    if not isinstance(features, list):
        raise ImportRejected(
            [Problem(None, "features", _("The FeatureCollection has no list of features."))]
        )
    with transaction.atomic():
        areas = {area.code: area for area in Area.objects.select_for_update()}
        seen: dict[str, int] = {}
        boundaries: list[tuple[Area, dict]] = []
        for number, feature in enumerate(features, start=1):
            area = _feature_area(feature, number, code_property, areas, seen, problems)
            errors = geometry_errors(feature.get("geometry") if isinstance(feature, dict) else None)
            for error in errors[:MAX_PROBLEMS_PER_FEATURE]:
                column = f"geometry.{error.path}" if error.path else "geometry"
                problems.append(Problem(number, column, error.message))
            if len(errors) > MAX_PROBLEMS_PER_FEATURE:
                problems.append(
                    Problem(
                        number,
                        "geometry",
                        _("… and %(count)s more problems in this geometry.")
                        % {"count": len(errors) - MAX_PROBLEMS_PER_FEATURE},
                    )
                )
            if area is not None and not errors:
                boundaries.append((area, clean_geometry(feature["geometry"])))
        if problems:
            raise ImportRejected(problems)
        report = ImportReport(dry_run=dry_run)
        changed = []
        for area, geometry in boundaries:
            if area.boundary == geometry:
                report.unchanged += 1
                continue
            if area.boundary is None:
                report.created += 1
                report.changes.append(_("+ boundary of %(code)s %(name)s") % _named(area))
            else:
                report.updated += 1
                report.changes.append(_("~ boundary of %(code)s %(name)s") % _named(area))
            area.boundary = geometry
            changed.append(area)
        if not dry_run:
            Area.objects.bulk_update(changed, ["boundary"], batch_size=100)
    return report


def _named(area: Area) -> dict[str, str]:
    return {"code": area.code, "name": area.name}


def _read_geojson(source: Source) -> dict:
    if isinstance(source, str | Path):
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    try:
        collection = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ImportRejected(
            [Problem(None, None, _("A GeoJSON file must be in UTF-8."))]
        ) from error
    except json.JSONDecodeError as error:
        raise ImportRejected(
            [
                Problem(
                    None,
                    None,
                    _(
                        "The file is not valid JSON: %(reason)s at line %(line)s, character "
                        "%(column)s of the file."
                    )
                    % {"reason": error.msg, "line": error.lineno, "column": error.colno},
                )
            ]
        ) from error
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ImportRejected(
            [Problem(None, "type", _("The file must hold a GeoJSON FeatureCollection."))]
        )
    return collection


def _feature_area(
    feature: object,
    number: int,
    code_property: str,
    areas: dict[str, Area],
    seen: dict[str, int],
    problems: list[Problem],
) -> Area | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(Problem(number, "type", _("This is not a GeoJSON Feature.")))
        return None
    properties = feature.get("properties") or {}
    value = properties.get(code_property) if isinstance(properties, dict) else None
    if value is None and code_property == "id":
        value = feature.get("id")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 131121.0 from a spreadsheet-made file
    code = _code(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    column = f"properties.{code_property}"
    if not code:
        problems.append(
            Problem(
                number,
                column,
                _("The feature has no area code in its 「%(property)s」 property.")
                % {"property": code_property},
            )
        )
        return None
    if code in seen:
        problems.append(
            Problem(
                number,
                column,
                _("The code %(code)s is already used by feature %(number)s.")
                % {"code": code, "number": seen[code]},
            )
        )
        return None
    seen[code] = number
    if code not in areas:
        problems.append(
            Problem(number, column, _("No area has the code %(code)s.") % {"code": code})
        )
        return None
    return areas[code]


# ---------------------------------------------------------------------------------------------
# 町丁目 membership


@dataclasses.dataclass
class _Territory:
    """Areas and 町丁目 memberships as saved, indexed for checking a table against them."""

    by_code: dict[str, Area]
    by_id: dict[int, Area]
    districts_by_name: dict[str, list[Area]]
    # (municipality id, town, 丁目 number) → every membership of that 町丁目, past and present.
    memberships: dict[tuple, list[Chome]]

    @classmethod
    def load(cls) -> "_Territory":
        areas = list(Area.objects.all())
        by_id = {area.pk: area for area in areas}
        by_name = defaultdict(list)
        for area in areas:
            if area.level == Area.Level.DISTRICT:
                by_name[_text(area.name)].append(area)
        territory = cls({a.code: a for a in areas}, by_id, by_name, defaultdict(list))
        for row in Chome.objects.select_for_update().order_by("valid_from", "pk"):
            district = by_id[row.area_id]
            territory.memberships[territory.key(district, row.name)].append(row)
        return territory

    def municipality_id(self, area: Area) -> int | None:
        node = area
        while node is not None and node.level != Area.Level.MUNICIPALITY:
            node = self.by_id.get(node.parent_id)
        return node.pk if node else None

    def key(self, district: Area, name: str) -> tuple:
        return (self.municipality_id(district), *split_chome_name(name))

    def district(self, value: str, *, line: int, column: str, problems: list[Problem]):
        """The district a cell names, by code, or by name when only one district has it."""
        text = _code(value)
        if not text:
            problems.append(Problem(line, column, _("The district is empty.")))
            return None
        area = self.by_code.get(text)
        if area is None:
            named = self.districts_by_name.get(text, [])
            if len(named) > 1:
                problems.append(
                    Problem(
                        line,
                        column,
                        _("More than one district is called 「%(name)s」: give its code.")
                        % {"name": text},
                    )
                )
                return None
            area = named[0] if named else None
        if area is None:
            problems.append(
                Problem(line, column, _("No district has the code %(code)s.") % {"code": text})
            )
            return None
        if area.level != Area.Level.DISTRICT:
            problems.append(
                Problem(
                    line,
                    column,
                    _("%(code)s is a %(level)s, not a district: 町丁目 belong to districts.")
                    % {"code": area.code, "level": Area.Level(area.level).label},
                )
            )
            return None
        return area


@dataclasses.dataclass
class _ChomePlan:
    creates: list[Chome] = dataclasses.field(default_factory=list)
    closes: list[tuple[Chome, datetime.date]] = dataclasses.field(default_factory=list)
    updates: list[tuple[Chome, dict]] = dataclasses.field(default_factory=list)


def chome_import(*, source: Source, filename: str = "", dry_run: bool = False) -> ImportReport:
    """Assign 町丁目 to districts from a current table or an old/new table (see the module's
    docstring); raises ImportRejected, writing nothing. Importing the same file again changes
    nothing."""
    frame = read_table(source, filename=filename)
    frame = frame.rename(
        columns={
            alias: name
            for alias, name in CHOME_ALIASES.items()
            if alias in frame.columns and name not in frame.columns
        }
    )
    redraw = OLD_DISTRICT in frame.columns or NEW_DISTRICT in frame.columns
    required = [CHOME, OLD_DISTRICT, NEW_DISTRICT, CHANGED_ON] if redraw else [CHOME, DISTRICT]
    problems = require_columns(frame, required)
    if problems:
        raise ImportRejected(problems)
    report = ImportReport(dry_run=dry_run)
    plan = _ChomePlan()
    try:
        with transaction.atomic():
            territory = _Territory.load()
            seen: dict[tuple, int] = {}
            for line, record in frame.iterrows():
                if _blank(record):
                    continue
                check = _redraw_row if redraw else _current_row
                check(record, line, territory, seen, plan, report, problems)
            if problems:
                raise ImportRejected(problems)
            if not dry_run:
                _apply_chome(plan)
    except IntegrityError as error:
        raise _rejected_on_conflict() from error
    return report


def _chome_name(record, line, problems) -> str:
    name = _text(record[CHOME])
    if not name:
        problems.append(Problem(line, CHOME, _("The 町丁目 is empty.")))
    elif len(name) > Chome._meta.get_field("name").max_length:
        problems.append(Problem(line, CHOME, _("The 町丁目 is longer than 100 characters.")))
        return ""
    return name


def _first_time(key, line, name, seen, problems) -> bool:
    if key in seen:
        problems.append(
            Problem(
                line,
                CHOME,
                _("「%(name)s」 is already on line %(line)s.") % {"name": name, "line": seen[key]},
            )
        )
        return False
    seen[key] = line
    return True


def _where(area: Area) -> str:
    return f"{area.name} ({area.code})"


def _current_row(record, line, territory, seen, plan, report, problems) -> None:
    """One row of a current table: 町丁目 → 地区コード, optionally from 有効開始日."""
    count = len(problems)
    name = _chome_name(record, line, problems)
    district = territory.district(record[DISTRICT], line=line, column=DISTRICT, problems=problems)
    starts = parse_date_cell(
        record.get(VALID_FROM, ""), line=line, column=VALID_FROM, problems=problems
    )
    reading = _hiragana(record.get(READING, ""))
    if len(problems) > count or district is None:
        return
    key = territory.key(district, name)
    if not _first_time(key, line, name, seen, problems):
        return
    history = territory.memberships[key]
    current = [row for row in history if row.valid_to is None]
    if len(current) > 1:
        problems.append(_several_districts(line, name, current, territory))
        return
    ended = max((row.valid_to for row in history if row.valid_to is not None), default=None)
    # A new start must follow the last membership that ended (the day after it, at the earliest).
    overlaps_past = ended is not None and (starts is None or starts <= ended)
    if not current:
        if overlaps_past:
            problems.append(_after_past(line, name, ended))
            return
        _open(plan, report, district, name, reading, starts)
        return
    (row,) = current
    if row.area_id == district.pk:
        changes = {}
        if reading and reading != row.reading:
            changes["reading"] = reading
        if starts is not None and starts != row.valid_from:
            if overlaps_past:
                problems.append(_after_past(line, name, ended))
                return
            changes["valid_from"] = starts
        if changes:
            plan.updates.append((row, changes))
            report.updated += 1
            report.changes.append(
                _("~ %(name)s in %(district)s: %(fields)s")
                % {
                    "name": row.name,
                    "district": _where(district),
                    "fields": ", ".join(f"{field} → {value}" for field, value in changes.items()),
                }
            )
        else:
            report.unchanged += 1
        return
    # In another district now: a move, which needs the day it takes effect.
    holder = territory.by_id[row.area_id]
    if starts is None:
        problems.append(
            Problem(
                line,
                DISTRICT,
                _(
                    "「%(name)s」 is now in %(current)s. To move it, give the day the move takes "
                    "effect in 有効開始日, or import an old/new table."
                )
                % {"name": name, "current": _where(holder)},
            )
        )
        return
    if row.valid_from is not None and starts <= row.valid_from:
        problems.append(
            Problem(
                line,
                VALID_FROM,
                _("「%(name)s」 has been in %(current)s since %(since)s; a move must start later.")
                % {"name": name, "current": _where(holder), "since": row.valid_from},
            )
        )
        return
    _close(plan, report, row, holder, starts)
    _open(plan, report, district, row.name, reading or row.reading, starts)


def _after_past(line, name, ended) -> Problem:
    return Problem(
        line,
        VALID_FROM,
        _(
            "「%(name)s」 had a membership that ended on %(end)s: give a day after that in "
            "有効開始日."
        )
        % {"name": name, "end": ended},
    )


def _redraw_row(record, line, territory, seen, plan, report, problems) -> None:
    """One row of an old/new table: 町丁目 moves from 旧地区 to 新地区 on 変更日."""
    count = len(problems)
    name = _chome_name(record, line, problems)
    old = territory.district(
        record[OLD_DISTRICT], line=line, column=OLD_DISTRICT, problems=problems
    )
    new = territory.district(
        record[NEW_DISTRICT], line=line, column=NEW_DISTRICT, problems=problems
    )
    changes_on = parse_date_cell(
        record[CHANGED_ON], line=line, column=CHANGED_ON, problems=problems
    )
    if changes_on is None and record[CHANGED_ON].strip() == "":
        problems.append(Problem(line, CHANGED_ON, _("The date of the change is empty.")))
    reading = _hiragana(record.get(READING, ""))
    if len(problems) > count or old is None or new is None:
        return
    if territory.municipality_id(old) != territory.municipality_id(new):
        problems.append(
            Problem(
                line,
                NEW_DISTRICT,
                _("%(old)s and %(new)s are in different municipalities.")
                % {"old": old.code, "new": new.code},
            )
        )
        return
    key = territory.key(old, name)
    if not _first_time(key, line, name, seen, problems):
        return
    history = territory.memberships[key]
    current = [row for row in history if row.valid_to is None]
    if len(current) > 1:
        problems.append(_several_districts(line, name, current, territory))
        return
    row = current[0] if current else None
    day_before = changes_on - datetime.timedelta(days=1)
    already_done = (
        row is not None
        and old != new
        and row.area_id == new.pk
        and row.valid_from == changes_on
        and any(past.area_id == old.pk and past.valid_to == day_before for past in history)
    )
    if already_done:
        report.unchanged += 1
        return
    if row is None or row.area_id != old.pk:
        where = (
            _("it is in %(district)s") % {"district": _where(territory.by_id[row.area_id])}
            if row is not None
            else _("it is in no district")
        )
        problems.append(
            Problem(
                line,
                OLD_DISTRICT,
                _("「%(name)s」 is not in %(old)s now (%(where)s).")
                % {"name": name, "old": _where(old), "where": where},
            )
        )
        return
    if old == new:
        report.unchanged += 1  # listed in the table but staying where it was
        return
    if row.valid_from is not None and changes_on <= row.valid_from:
        problems.append(
            Problem(
                line,
                CHANGED_ON,
                _("The change on %(day)s is not after 「%(name)s」 joined %(old)s on %(since)s.")
                % {"day": changes_on, "name": name, "old": _where(old), "since": row.valid_from},
            )
        )
        return
    _close(plan, report, row, old, changes_on)
    _open(plan, report, new, row.name, reading or row.reading, changes_on)


def _several_districts(line, name, rows, territory) -> Problem:
    return Problem(
        line,
        CHOME,
        _(
            "「%(name)s」 is in several districts at once (%(districts)s): correct it in the "
            "admin first."
        )
        % {"name": name, "districts": ", ".join(_where(territory.by_id[r.area_id]) for r in rows)},
    )


def _open(plan, report, district, name, reading, starts) -> None:
    plan.creates.append(Chome(area=district, name=name, reading=reading, valid_from=starts))
    report.created += 1
    report.changes.append(
        _("+ %(name)s in %(district)s from %(day)s")
        % {"name": name, "district": _where(district), "day": starts or "—"}
    )


def _close(plan, report, row, district, starts) -> None:
    last_day = starts - datetime.timedelta(days=1)
    plan.closes.append((row, last_day))
    report.closed += 1
    report.changes.append(
        _("- %(name)s in %(district)s until %(day)s")
        % {"name": row.name, "district": _where(district), "day": last_day}
    )


def _apply_chome(plan: _ChomePlan) -> None:
    # Compare-and-swap: a membership someone closed or moved since we read it is not overwritten.
    for row, last_day in plan.closes:
        closed = Chome.objects.filter(pk=row.pk, area_id=row.area_id, valid_to__isnull=True).update(
            valid_to=last_day
        )
        if not closed:
            raise IntegrityError("membership changed during import")
    for row, changes in plan.updates:
        Chome.objects.filter(pk=row.pk).update(**changes)
    Chome.objects.bulk_create(plan.creates)


# ---------------------------------------------------------------------------------------------
# The command line


class ImportCommand(BaseCommand):
    """The shared face of the import commands: FILE, --dry-run, a report, non-zero on rejection."""

    problems_note = ""  # printed above the problems, e.g. what "line" means for this file

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The file to import."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Check the file and show what would change, without saving anything."),
        )

    def run_import(self, options) -> ImportReport:
        raise NotImplementedError

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No file at %(path)s.") % {"path": path})
        try:
            report = self.run_import(options)
        except ImportRejected as rejected:
            if self.problems_note:
                self.stderr.write(str(self.problems_note))
            for problem in rejected.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("The file was rejected with %(count)s problem(s); nothing was saved.")
                % {"count": len(rejected.problems)}
            ) from None
        if options["dry_run"] or options["verbosity"] > 1:
            for change in report.changes:
                self.stdout.write(change)
        self.stdout.write(self.style.SUCCESS(report.summary()))
        return None
