"""Coverage for planners: a district × category matrix of services, with rates per 1,000
residents of each category's target age band, gaps marked, drawn as a heat map and exported to
Excel.

What counts (said on the page too):
- A service counts in a district when it is given at a place there: one of its locations
  (service_at_location) lies in the district. A service with no locations of its own counts
  where its organisation's locations are. Services that serve a district from elsewhere are
  not counted: the matrix shows what residents find nearby. Staff-only services count (this is
  a staff page); a service is counted once per district and category however many places it
  has there.
- Target band: a category for children is compared with residents aged 0–17 (estimated from
  5-year bands as districts.population does: 0-4, 5-9, 10-14 and three fifths of 15-19), one
  for older people with residents aged 65 and over, any other with all residents.
- Gap: no service of the category in the district while the district's target population is
  above the median of that population across all districts (every region, so filtering by
  region does not move the line). Districts without population figures are never gaps: their
  rates are unknown.

Figures come from a fixed number of queries (districts, categories, three for population, two
for the counts), whatever the number of districts, and are computed with pandas.
"""

import dataclasses
import datetime
import io

import numpy as np
import pandas as pd
from django.db.models import Count, Exists, F, OuterRef
from django.utils import formats
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from districts.models import Area, TargetGroup
from districts.population import population_for_areas
from resources.models import Service, ServiceAtLocation, TaxonomyTerm

CHILDREN, ELDERLY, ALL_AGES = "children", "elderly", "all"
BANDS = {
    CHILDREN: gettext_lazy("aged 0–17"),
    ELDERLY: gettext_lazy("aged 65+"),
    ALL_AGES: gettext_lazy("all ages"),
}
# The Excel file is a Japanese planning document: its headers are Japanese whatever the language.
BANDS_JA = {CHILDREN: "0～17歳（推計）", ELDERLY: "65歳以上", ALL_AGES: "全年齢"}
LEVELS = 5  # shades of the heat map for cells with at least one service
# A spreadsheet runs a cell starting with these as a formula: never for names.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel fills, the same Digital Agency tokens as the page (blue scale; yellow for gaps).
XLSX_FILLS = {1: "E8F1FE", 2: "C5D7FB", 3: "9DB7F9", 4: "7096F8", 5: "0031D8"}
XLSX_GAP_FILL = "FFE380"
XLSX_NOTES = [
    (
        "件数",
        "その地区内の所在地で提供されるサービスの数（所在地のないサービスは機関の所在地で"
        "数える。区外から地区を対象とするサービスは数えない）。職員限定のサービスを含む。",
    ),
    (
        "千人当たり",
        "対象人口1,000人当たりの件数。子ども向けの分類は0～17歳（5歳階級からの推計）、"
        "高齢者向けは65歳以上、その他は全年齢。人口は各地区の最新の調査。",
    ),
    ("不足", "0件で、かつ対象人口が全地区の中央値を上回る地区（黄色、コメント付き）。"),
]


def band_of(target_group: str) -> str:
    """The residents a category is for: children, older people, or everyone."""
    if target_group == TargetGroup.CHILDREN:
        return CHILDREN
    if target_group == TargetGroup.ELDERLY:
        return ELDERLY
    return ALL_AGES


@dataclasses.dataclass
class CoverageTable:
    """Rows are districts (index: Area pk), columns categories (TaxonomyTerm pk)."""

    districts: pd.DataFrame  # code, name, reading, region_id, region, population, children, …
    terms: list[TaxonomyTerm]
    counts: pd.DataFrame  # int
    targets: pd.DataFrame  # the target population of each cell (NaN: no figures)
    rates: pd.DataFrame  # per 1,000 of the target population (NaN: unknown)
    gaps: pd.DataFrame  # bool
    levels: pd.DataFrame  # 0 (none) … LEVELS; -1 where services exist but the rate is unknown
    medians: pd.Series  # term pk → median target population across all districts

    def __len__(self) -> int:
        return len(self.districts)

    def for_region(self, region: Area | None) -> "CoverageTable":
        """The same figures (medians and shades stay those of every district) for one region."""
        if region is None:
            return self
        keep = self.districts.index[self.districts["region_id"] == region.pk]
        return dataclasses.replace(
            self,
            districts=self.districts.loc[keep],
            counts=self.counts.loc[keep],
            targets=self.targets.loc[keep],
            rates=self.rates.loc[keep],
            gaps=self.gaps.loc[keep],
            levels=self.levels.loc[keep],
        )

    def columns(self) -> list[dict]:
        return [
            {
                "term": term,
                "band": BANDS[band_of(term.target_group)],
                "median": _plain(self.medians.get(term.pk)),
            }
            for term in self.terms
        ]

    @property
    def gap_count(self) -> int:
        return int(self.gaps.to_numpy().sum()) if len(self.gaps) else 0

    def district_rows(self):
        """(area id, district record, [(term, count, rate, level, gap, target), …]) per
        district: the frames read once as arrays, not cell by cell."""
        counts = self.counts.to_numpy()
        rates = self.rates.to_numpy(dtype=float, na_value=np.nan)
        levels = self.levels.to_numpy()
        gaps = self.gaps.to_numpy()
        targets = self.targets.to_numpy(dtype=float, na_value=np.nan)
        records = self.districts.reset_index().to_dict("records")
        for i, record in enumerate(records):
            cells = [
                (
                    term,
                    int(counts[i, j]),
                    None if np.isnan(rates[i, j]) else float(rates[i, j]),
                    int(levels[i, j]),
                    bool(gaps[i, j]),
                    None if np.isnan(targets[i, j]) else float(targets[i, j]),
                )
                for j, term in enumerate(self.terms)
            ]
            yield record["area_id"], record, cells

    def gap_list(self) -> list[dict]:
        """Every gap, district by district, for the list under the table and the export."""
        return [
            {
                "area_id": area_id,
                "code": record["code"],
                "district": record["name"],
                "region": record["region"],
                "term": term,
                "band": band_of(term.target_group),
                "target": None if target is None else round(target),
                "median": _plain(self.medians.get(term.pk)),
            }
            for area_id, record, cells in self.district_rows()
            for term, _count, _rate, _level, gap, target in cells
            if gap
        ]

    def html_rows(self, *, district_url, cell_url=None) -> list[str]:
        """The body rows, built here rather than in the template: 280 districts × 20 categories
        is thousands of cells, which the template language draws far slower than this.

        `district_url(code)` gives the link of a district's name, `cell_url(code, term code)`
        (optional) the link of a count above zero: the services behind the number."""
        number = _NumberFormatter()
        # Translated outside the f-strings: makemessages does not look inside them.
        gap_label = escape(pgettext("coverage", "Gap"))
        no_figures_label = escape(_("no population figures"))
        per_thousand_label = escape(_("per 1,000"))
        gap_note = (
            f'<span class="coverage-note"><span aria-hidden="true">⚠</span> {gap_label}</span>'
        )
        no_figures = f'<span class="coverage-note">{no_figures_label}</span>'
        per_thousand = f'<span class="visually-hidden">{per_thousand_label}</span>'
        term_codes = [escape(term.code) for term in self.terms]
        rows = []
        for _area_id, record, cells in self.district_rows():
            code = record["code"]
            parts = [
                format_html(
                    '<tr data-code="{}"><th scope="row"><a href="{}">{}</a></th><td>{}</td>',
                    code,
                    district_url(code),
                    record["name"],
                    record["region"],
                ),
                *(
                    number.cell(_plain(record[key]))
                    for key in ("population", "children", "elderly")
                ),
            ]
            for (term, count, rate, level, gap, _target), term_code in zip(
                cells, term_codes, strict=True
            ):
                if gap:
                    css, note = "coverage-gap", gap_note
                else:
                    css = f"coverage-level-{level if level >= 0 else 'x'}"
                    note = (
                        no_figures
                        if rate is None
                        else f'<span class="coverage-rate">{number(rate, 2)} {per_thousand}</span>'
                    )
                shown = number(count)
                if count and cell_url is not None:
                    shown = f'<a href="{escape(cell_url(code, term.code))}">{shown}</a>'
                parts.append(
                    f'<td class="coverage-cell {css}" data-term="{term_code}">'
                    f'<span class="coverage-count">{shown}</span>{note}</td>'
                )
            parts.append("</tr>")
            # Safe: text went through format_html or escape(); the rest are numbers and classes.
            rows.append(mark_safe("".join(parts)))
        return rows


class _NumberFormatter:
    """Numbers in the active language's separators, as the intcomma and floatformat filters."""

    def __init__(self):
        self.thousands = formats.get_format("THOUSAND_SEPARATOR")
        self.decimal = formats.get_format("DECIMAL_SEPARATOR")

    def __call__(self, value, decimals: int = 0) -> str:
        text = f"{value:,.{decimals}f}"
        if (self.thousands, self.decimal) == (",", "."):
            return text
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousands)

    def cell(self, value) -> str:
        text = "—" if value is None else self(value)
        return format_html('<td class="number">{}</td>', text)


def _plain(value):
    """pandas' missing values as None, numpy scalars as Python numbers."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def region_choices() -> list[Area]:
    """Every region, with its municipality, for the region filter (one query)."""
    return list(
        Area.objects.filter(level=Area.Level.REGION)
        .select_related("parent")
        .defer("boundary", "parent__boundary")
        .order_by("parent__reading", "parent__code", "reading", "code")
    )


def service_counts(*, term_ids: list[int] | None = None) -> list[tuple[int, int, int]]:
    """(district pk, category pk, services) for every district with services of a category,
    counted as the module docstring says: two queries, grouped in the database."""
    Through = Service.categories.through
    pairs = Through.objects.all()
    if term_ids is not None:
        pairs = pairs.filter(taxonomyterm_id__in=term_ids)
    located = (
        pairs.filter(service__locations__district__isnull=False)
        .order_by()
        .values(area_id=F("service__locations__district_id"), term_id=F("taxonomyterm_id"))
        .annotate(n=Count("service_id", distinct=True))
    )
    has_places = ServiceAtLocation.objects.filter(service_id=OuterRef("service_id"))
    unplaced = (
        pairs.filter(~Exists(has_places), service__organisation__locations__district__isnull=False)
        .order_by()
        .values(
            area_id=F("service__organisation__locations__district_id"),
            term_id=F("taxonomyterm_id"),
        )
        .annotate(n=Count("service_id", distinct=True))
    )
    return [
        (row["area_id"], row["term_id"], row["n"]) for query in (located, unplaced) for row in query
    ]


def coverage_table() -> CoverageTable:
    """Every district of every municipality against every category (see the module docstring)."""
    districts = list(
        Area.objects.filter(level=Area.Level.DISTRICT)
        .select_related("parent")
        .defer("boundary", "parent__boundary")
        .order_by("parent__reading", "parent__code", "reading", "code")
    )
    terms = list(TaxonomyTerm.objects.order_by("order", "code"))
    population = population_for_areas(areas=districts)
    records = []
    for district in districts:
        summary = population[district.pk]
        known = summary.has_figures and summary.total > 0
        records.append(
            {
                "area_id": district.pk,
                "code": district.code,
                "name": district.name,
                "reading": district.reading or district.name,
                "region_id": district.parent_id,
                "region": district.parent.name if district.parent else "",
                "surveyed_on": summary.surveyed_on if known else None,
                "population": summary.total if known else None,
                "children": summary.children_0_5 + summary.children_6_17 if known else None,
                "elderly": summary.aged_65 if known else None,
            }
        )
    frame = pd.DataFrame.from_records(
        records,
        columns=[
            "area_id", "code", "name", "reading", "region_id", "region", "surveyed_on",
            "population", "children", "elderly",
        ],
    ).set_index("area_id")  # fmt: skip
    for column in ("population", "children", "elderly"):
        frame[column] = frame[column].astype(float)
    return _compute(frame, terms, service_counts() if districts and terms else [])


def _compute(
    districts: pd.DataFrame, terms: list[TaxonomyTerm], counted: list[tuple[int, int, int]]
) -> CoverageTable:
    ids = list(districts.index)
    term_ids = [term.pk for term in terms]
    long = pd.DataFrame(counted, columns=["area_id", "term_id", "n"])
    counts = (
        long.pivot_table(index="area_id", columns="term_id", values="n", aggfunc="sum")
        .reindex(index=ids, columns=term_ids)
        .fillna(0)
        .astype(int)
    )
    counts.index.name, counts.columns.name = "area_id", "term_id"
    # Plain floats (NaN: unknown) rather than pandas' nullable types: whole-frame operations
    # instead of column by column.
    by_band = {
        CHILDREN: districts["children"].astype(float),
        ELDERLY: districts["elderly"].astype(float),
        ALL_AGES: districts["population"].astype(float),
    }
    targets = pd.DataFrame(
        {term.pk: by_band[band_of(term.target_group)] for term in terms},
        index=counts.index,
        columns=term_ids,
        dtype=float,
    )
    rates = (counts * 1000).div(targets.where(targets > 0))  # no residents in the band: no rate
    # The same band gives the same median; districts without figures are left out.
    medians = targets.median()
    gaps = (counts == 0) & targets.gt(medians, axis=1)
    # Shade: the rate as a share of the highest rate of its category, in fifths.
    highest = rates.max()
    share = rates.div(highest.where(highest > 0), axis=1)
    levels = np.ceil(share * LEVELS).clip(1, LEVELS).fillna(-1).astype(int).where(counts > 0, 0)
    return CoverageTable(
        districts=districts,
        terms=terms,
        counts=counts,
        targets=targets,
        rates=rates,
        gaps=gaps,
        levels=levels,
        medians=medians,
    )


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------


def _safe_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _number(value, decimals=None):
    value = _plain(value)
    if value is None:
        return None
    return round(float(value), decimals) if decimals is not None else int(value)


def to_xlsx(table: CoverageTable, *, made_on: datetime.date, region: Area | None = None) -> bytes:
    """Three sheets with Japanese headers: the matrix (gap cells filled yellow, with a comment,
    and named in a last column, so a gap is never marked by colour alone), the list of gaps,
    and how the figures were made."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "カバー状況"
    bold = Font(bold=True)
    white = Font(color="FFFFFF")
    gap_fill = PatternFill("solid", fgColor=XLSX_GAP_FILL)
    fills = {level: PatternFill("solid", fgColor=rgb) for level, rgb in XLSX_FILLS.items()}

    headers = ["地区コード", "地区", "地域", "総人口", BANDS_JA[CHILDREN], BANDS_JA[ELDERLY]]
    for term in table.terms:
        band = BANDS_JA[band_of(term.target_group)]
        headers += [f"{term.name} 件数", f"{term.name} 千人当たり（{band}）"]
    headers.append("不足している分類")
    sheet.append([_safe_text(header) for header in headers])
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")

    for row_number, (_area_id, record, cells) in enumerate(table.district_rows(), start=2):
        values = [
            _safe_text(record["code"]),
            _safe_text(record["name"]),
            _safe_text(record["region"]),
            *(_number(record[key]) for key in ("population", "children", "elderly")),
        ]
        for _term, count, rate, _level, _gap, _target in cells:
            values += [count, None if rate is None else round(rate, 2)]
        values.append(_safe_text("、".join(cell[0].name for cell in cells if cell[4])))
        sheet.append(values)
        for index, (term, _count, _rate, level, gap, _target) in enumerate(cells):
            count_cell = sheet.cell(row=row_number, column=7 + 2 * index)
            rate_cell = sheet.cell(row=row_number, column=8 + 2 * index)
            rate_cell.number_format = "0.00"
            if gap:
                count_cell.fill = rate_cell.fill = gap_fill
                median = _number(table.medians.get(term.pk))
                count_cell.comment = Comment(
                    f"不足：対象人口（{BANDS_JA[band_of(term.target_group)]}）が"
                    f"全地区の中央値 {median:,} 人を上回るのに0件",
                    "つなぐ",
                )
            elif level in fills:
                count_cell.fill = fills[level]
                if level == LEVELS:
                    count_cell.font = white
    sheet.freeze_panes = "D2"
    for column in range(1, len(headers) + 1):
        width = 10 if column > 3 else 14
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.column_dimensions[get_column_letter(len(headers))].width = 40
    sheet.row_dimensions[1].height = 60

    gaps_sheet = book.create_sheet("不足一覧")
    gaps_sheet.append(["地区コード", "地区", "地域", "分類", "対象", "対象人口", "全地区の中央値"])
    for cell in gaps_sheet[1]:
        cell.font = bold
    for gap in table.gap_list():
        gaps_sheet.append(
            [
                _safe_text(gap["code"]),
                _safe_text(gap["district"]),
                _safe_text(gap["region"]),
                _safe_text(gap["term"].name),
                BANDS_JA[gap["band"]],
                _number(gap["target"]),
                _number(gap["median"]),
            ]
        )
    for column, width in zip("ABCDEFG", (12, 14, 14, 28, 16, 12, 14), strict=True):
        gaps_sheet.column_dimensions[column].width = width

    notes = book.create_sheet("説明")
    notes.append(["作成日", made_on.isoformat()])
    notes.append(["範囲", _safe_text(region.name) if region else "全地域"])
    for line in XLSX_NOTES:
        notes.append(list(line))
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 100

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
