"""The district comparison: every district side by side, built with pandas in a fixed number of
queries, sortable, and exported to CSV (UTF-8 with BOM, so Excel reads Japanese) and Excel.

Figures per district:
- population, ageing rates and child share of its latest survey, from the district's
  PopulationTotal rows (districts.population.latest_population_totals: the figures added up as
  PopulationSummary adds them, rewritten with every import; child ages are estimated from
  5-year bands, see PopulationSummary);
- resources per 1,000 residents: organisations present in the district (located in it or serving
  it, as resources.selectors.organisations_present_in decides), by kind and in total;
- open district issues: issues in the district now, in any status but closed;
- meetings held in the last 12 months (365 days up to now), status "held", that the user may see
  (confidential meetings count only for the people on them, as everywhere else).
"""

import dataclasses
import datetime
import html
import io
import re
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from conferences import selectors as conference_selectors
from districts.models import Area
from districts.population import latest_population_totals
from districts.templatetags.japanese import wareki
from resources import selectors as resource_selectors
from resources.models import Organisation

DEFAULT_SORT = "region"
MEETING_WINDOW = datetime.timedelta(days=365)
# How many decimals a figure keeps in the page and in the exports.
DECIMALS = {"percent": 1, "rate": 2}
# A spreadsheet runs a cell starting with these as a formula (CSV injection): never for names.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # text, date, int, percent (in %), rate (per 1,000 residents)

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "percent", "rate")


def resource_key(kind: str) -> str:
    return f"resources_{kind}"


def columns() -> list[Column]:
    """The columns in page order, labelled in the active language."""
    return [
        Column("name", _("District"), "text"),
        Column("region", _("Region"), "text"),
        Column("surveyed_on", _("Survey date"), "date"),
        Column("population", _("Population"), "int"),
        Column("ageing_rate", _("Aged 65 and over (%)"), "percent"),
        Column("ageing_rate_75", _("Aged 75 and over (%)"), "percent"),
        Column("child_share", _("Children aged 0–17 (%)"), "percent"),
        Column("resources_total", _("Resources per 1,000 residents"), "rate"),
        *(
            Column(
                resource_key(value),
                _("%(kind)s per 1,000 residents") % {"kind": label},
                "rate",
            )
            for value, label in Organisation.Kind.choices
        ),
        Column("open_issues", _("Open district issues"), "int"),
        Column("meetings_held", _("Meetings held in the last 12 months"), "int"),
    ]


SORT_KEYS = {
    "name",
    "region",
    "surveyed_on",
    "population",
    "ageing_rate",
    "ageing_rate_75",
    "child_share",
    "resources_total",
    *(resource_key(value) for value in Organisation.Kind.values),
    "open_issues",
    "meetings_held",
}
# Text columns sort by reading (五十音), not by the code points of the kanji.
SORT_BY = {
    "name": ["reading", "code"],
    "region": ["region_reading", "reading", "code"],
}


@dataclasses.dataclass
class ComparisonTable:
    frame: pd.DataFrame  # one row per district, sorted; figures unrounded
    columns: list[Column]

    def html_rows(self) -> list[str]:
        """The table's body rows, built here rather than in the template: 280 districts by 25
        columns is 7,000 cells, which the template language would take ten times longer to
        draw than the figures take to compute. Figures are formatted as the template filters
        would (intcomma, floatformat), in the active language's separators, a column at a
        time."""
        cell, link = _CellFormatter(), _AreaLinks()
        frame = self.frame
        cells = [
            cell.column(column, frame[column.key])
            for column in self.columns
            if column.key != "name"  # the row's header
        ]
        rows = []
        for code, name, *rest in zip(frame["code"], frame["name"], *cells, strict=True):
            # Safe: the code, link and name are escaped here, the text cells by the formatter;
            # the rest are numbers.
            rows.append(
                mark_safe(
                    f'<tr data-code="{html.escape(code)}"><th scope="row">'
                    f'<a href="{html.escape(link(code))}">{html.escape(name)}</a></th>'
                    f"{''.join(rest)}</tr>"
                )
            )
        return rows

    def __len__(self) -> int:
        return len(self.frame)


# An area code made of these characters stands for itself in a URL (reverse() would leave it
# as it is), so its page's URL is the pattern's with the code put in; other codes go through
# reverse(), which quotes them.
_PLAIN_CODE = re.compile(r"[A-Za-z0-9._~-]+")
_CODE_MARK = "0CODE0"


class _AreaLinks:
    def __init__(self):
        self.pattern = reverse("staff:area_detail", args=[_CODE_MARK])

    def __call__(self, code: str) -> str:
        if _PLAIN_CODE.fullmatch(code):
            return self.pattern.replace(_CODE_MARK, code)
        return reverse("staff:area_detail", args=[code])


class _CellFormatter:
    def __init__(self):
        self.thousands = formats.get_format("THOUSAND_SEPARATOR")
        self.decimal = formats.get_format("DECIMAL_SEPARATOR")

    def number(self, text: str) -> str:
        if (self.thousands, self.decimal) == (",", "."):
            return text
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousands)

    def column(self, column: Column, series: pd.Series) -> list[str]:
        """Every cell of one column, in the frame's order."""
        key = column.key
        values = _plain_values(series)
        missing = f'<td class="number" data-column="{key}">—</td>'
        if column.kind == "int":
            start = f'<td class="number" data-column="{key}">'
            return [
                missing if value is None else f"{start}{self.number(f'{int(value):,}')}</td>"
                for value in values
            ]
        if column.kind in DECIMALS:
            start = f'<td class="number" data-column="{key}">'
            spec = f",.{DECIMALS[column.kind]}f"
            return [
                missing if value is None else f"{start}{self.number(format(value, spec))}</td>"
                for value in values
            ]
        if column.kind == "date":
            shown = {
                value: html.escape(wareki(value)) for value in set(values) if value is not None
            }
            start = f'<td data-column="{key}">'
            return [missing if value is None else f"{start}{shown[value]}</td>" for value in values]
        start = f'<td data-column="{key}">'
        return [
            missing if value is None else f"{start}{html.escape(value)}</td>" for value in values
        ]


def _plain_values(series: pd.Series) -> list:
    """The column's values as Python objects, pandas' missing values (NaN, NA, NaT) as None."""
    missing = series.isna().tolist()
    return [None if gone else value for value, gone in zip(series.tolist(), missing, strict=True)]


def region_choices() -> list[Area]:
    """Every region, with its municipality, for the region filter (one query)."""
    return list(
        Area.objects.filter(level=Area.Level.REGION)
        .select_related("parent")
        .defer("boundary", "parent__boundary")
        .order_by("parent__reading", "parent__code", "reading", "code")
    )


def district_table(
    *,
    user,
    region: Area | None = None,
    now: datetime.datetime | None = None,
    sort: str = DEFAULT_SORT,
    descending: bool = False,
) -> ComparisonTable:
    """Every district (of `region`, when given) with its figures: six queries (districts,
    population totals, issues, two for meetings, resources), whatever the number of districts."""
    now = now or timezone.now()
    districts = Area.objects.filter(level=Area.Level.DISTRICT)
    if region is not None:
        districts = districts.filter(parent=region)
    # Plain values: 280 model instances (and their regions) would take longer than the figures.
    districts = list(
        districts.order_by("reading", "code").values_list(
            "pk", "code", "name", "reading", "parent__name", "parent__reading"
        )
    )
    ids = [pk for pk, *_rest in districts]

    population = latest_population_totals(area_ids=ids)
    issues = conference_selectors.open_issue_counts_by_area(area_ids=ids)
    meetings = conference_selectors.meetings_held_by_area(
        user=user, area_ids=ids, start=now - MEETING_WINDOW, end=now
    )
    kind_counts = resource_selectors.organisation_kind_counts_by_area(area_ids=ids)

    # Each district's population figures, or nothing where none are known (no figures, or none
    # but zeros).
    figures = [
        summary if summary is not None and summary.total > 0 else None
        for summary in (population.get(pk) for pk in ids)
    ]

    def figure(name: str) -> list:
        return [None if row is None else getattr(row, name) for row in figures]

    people = figure("total")
    data = {
        "area_id": ids,
        "code": [code for _pk, code, *_rest in districts],
        "name": [name for _pk, _code, name, *_rest in districts],
        "reading": [reading or name for _pk, _code, name, reading, *_rest in districts],
        "region": [region_name or "" for *_rest, region_name, _reading in districts],
        "region_reading": [
            (region_reading or region_name or "")
            for *_rest, region_name, region_reading in districts
        ],
        "surveyed_on": pd.Series(figure("surveyed_on"), dtype=object),
        "population": pd.array(people, dtype="Int64"),
        "ageing_rate": pd.array(figure("ageing_rate"), dtype="Float64"),
        "ageing_rate_75": pd.array(figure("ageing_rate_75"), dtype="Float64"),
        "child_share": pd.array(figure("child_share"), dtype="Float64"),
        "open_issues": pd.array([issues.get(pk, 0) for pk in ids], dtype="int64"),
        "meetings_held": pd.array([meetings.get(pk, 0) for pk in ids], dtype="int64"),
    }
    # Per 1,000 residents; no figure (NaN, then NA) where the population is unknown. An
    # organisation has one kind, so the total is the sum over kinds.
    kinds = Organisation.Kind.values
    counts = np.array(
        [[kind_counts.get(pk, {}).get(kind, 0) for kind in kinds] for pk in ids], dtype=float
    ).reshape(len(ids), len(kinds))
    per_thousand = 1000 / np.array([np.nan if n is None else n for n in people], dtype=float)
    data["resources_total"] = pd.array(counts.sum(axis=1) * per_thousand, dtype="Float64")
    for index, kind in enumerate(kinds):
        data[resource_key(kind)] = pd.array(counts[:, index] * per_thousand, dtype="Float64")
    frame = pd.DataFrame(data)
    frame = _sorted(frame, sort=sort, descending=descending)
    return ComparisonTable(frame=frame.reset_index(drop=True), columns=columns())


def _sorted(frame: pd.DataFrame, *, sort: str, descending: bool) -> pd.DataFrame:
    if frame.empty:
        return frame
    by = SORT_BY.get(sort, [sort, "reading", "code"])
    ascending = [not descending] + [True] * (len(by) - 1)
    # Missing figures go last whichever the direction: they are not small, just unknown.
    return frame.sort_values(by=by, ascending=ascending, na_position="last", kind="stable")


def page_columns(
    *, table: ComparisonTable, base_query: dict, sort: str, descending: bool
) -> list[dict]:
    """Each column header with its sort link: the first click sorts figures largest first and
    names in 五十音 order; clicking the sorted column again reverses it."""
    headers = []
    for column in table.columns:
        current = column.key == sort
        if current:
            next_desc = not descending
        else:
            next_desc = column.numeric
        query = base_query | {"sort": column.key, "dir": "desc" if next_desc else "asc"}
        headers.append(
            {
                "column": column,
                "url": "?" + urlencode(query),
                "aria_sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return headers


def export_links(*, base_query: dict, sort: str, descending: bool) -> dict[str, str]:
    query = base_query | {"sort": sort, "dir": "desc" if descending else "asc"}
    return {kind: "?" + urlencode(query | {"export": kind}) for kind in ("csv", "xlsx")}


def _safe_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_frame(table: ComparisonTable) -> pd.DataFrame:
    """The table as a spreadsheet shows it: the district code first, headers in the active
    language, figures rounded as on the page, unknown figures empty."""
    frame = table.frame
    data = {_("Code"): frame["code"].map(_safe_text)}
    for column in table.columns:
        values = frame[column.key]
        if column.kind == "text":
            values = values.map(_safe_text)
        elif column.kind in DECIMALS:
            values = values.astype("Float64").round(DECIMALS[column.kind])
        data[str(column.label)] = values
    return pd.DataFrame(data)


def to_csv(table: ComparisonTable) -> bytes:
    """UTF-8 with a byte order mark: without it Excel reads Japanese as mojibake."""
    text = export_frame(table).to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%d")
    return text.encode("utf-8-sig")


def to_xlsx(table: ComparisonTable) -> bytes:
    buffer = io.BytesIO()
    frame = export_frame(table)
    sheet = _sheet_name(_("District comparison"))
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        worksheet = writer.sheets[sheet]
        worksheet.freeze_panes = "C2"  # keep the header and the district's code and name in view
        for (header,) in worksheet.iter_cols(min_row=1, max_row=1):
            width = max(10, min(40, 2 * len(str(header.value))))
            worksheet.column_dimensions[header.column_letter].width = width
    return buffer.getvalue()


def _sheet_name(label) -> str:
    name = str(label)
    for character in "[]:*?/\\":
        name = name.replace(character, " ")
    return name[:31]
