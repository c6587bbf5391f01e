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
import io
from urllib.parse import urlencode

import pandas as pd
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape, format_html
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
        would (intcomma, floatformat), in the active language's separators."""
        cell = _CellFormatter()
        rows = []
        for record in self.frame.to_dict("records"):
            url = reverse("staff:area_detail", args=[record["code"]])
            cells = [
                format_html(
                    '<tr data-code="{}"><th scope="row"><a href="{}">{}</a></th>',
                    record["code"],
                    url,
                    record["name"],
                )
            ]
            cells += [
                cell(column, _plain(record[column.key]))
                for column in self.columns
                if column.key != "name"
            ]
            cells.append("</tr>")
            # Safe: format_html escaped the name, escape() the text cells; the rest are numbers.
            rows.append(mark_safe("".join(cells)))
        return rows

    def __len__(self) -> int:
        return len(self.frame)


class _CellFormatter:
    def __init__(self):
        self.thousands = formats.get_format("THOUSAND_SEPARATOR")
        self.decimal = formats.get_format("DECIMAL_SEPARATOR")
        self.dates: dict = {}

    def number(self, text: str) -> str:
        if (self.thousands, self.decimal) == (",", "."):
            return text
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousands)

    def __call__(self, column: Column, value) -> str:
        key = column.key
        if value is None:
            return f'<td class="number" data-column="{key}">—</td>'
        if column.kind == "int":
            return f'<td class="number" data-column="{key}">{self.number(f"{value:,}")}</td>'
        if column.kind in DECIMALS:
            text = self.number(f"{value:,.{DECIMALS[column.kind]}f}")
            return f'<td class="number" data-column="{key}">{text}</td>'
        if column.kind == "date":
            if value not in self.dates:
                self.dates[value] = escape(wareki(value))
            return f'<td data-column="{key}">{self.dates[value]}</td>'
        return f'<td data-column="{key}">{escape(value)}</td>'


def _plain(value):
    """pandas' missing values (NaN, NA, NaT) as None, numpy scalars as Python numbers."""
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
    districts = Area.objects.filter(level=Area.Level.DISTRICT).select_related("parent")
    if region is not None:
        districts = districts.filter(parent=region)
    districts = list(districts.defer("boundary", "parent__boundary").order_by("reading", "code"))
    ids = [d.pk for d in districts]

    population = latest_population_totals(area_ids=ids)
    issues = conference_selectors.open_issue_counts_by_area(area_ids=ids)
    meetings = conference_selectors.meetings_held_by_area(
        user=user, area_ids=ids, start=now - MEETING_WINDOW, end=now
    )
    kind_counts = resource_selectors.organisation_kind_counts_by_area(area_ids=ids)
    records = []
    for district in districts:
        summary = population.get(district.pk)
        has_people = summary is not None and summary.total > 0
        records.append(
            {
                "area_id": district.pk,
                "code": district.code,
                "name": district.name,
                "reading": district.reading or district.name,
                "region": district.parent.name if district.parent else "",
                "region_reading": (district.parent.reading or district.parent.name)
                if district.parent
                else "",
                "surveyed_on": summary.surveyed_on if has_people else None,
                "population": summary.total if has_people else None,
                "ageing_rate": summary.ageing_rate if has_people else None,
                "ageing_rate_75": summary.ageing_rate_75 if has_people else None,
                "child_share": summary.child_share if has_people else None,
                "open_issues": issues.get(district.pk, 0),
                "meetings_held": meetings.get(district.pk, 0),
            }
        )
    frame = pd.DataFrame.from_records(
        records,
        columns=[
            "area_id", "code", "name", "reading", "region", "region_reading", "surveyed_on",
            "population", "ageing_rate", "ageing_rate_75", "child_share", "open_issues",
            "meetings_held",
        ],
    ).set_index("area_id", drop=False)  # fmt: skip
    frame["population"] = frame["population"].astype("Int64")
    for column in ("ageing_rate", "ageing_rate_75", "child_share"):
        frame[column] = frame[column].astype("Float64")
    # Per 1,000 residents; no figure where the population is unknown. An organisation has one
    # kind, so the total is the sum over kinds.
    counts = pd.DataFrame(
        [[kind_counts.get(pk, {}).get(kind, 0) for kind in Organisation.Kind.values] for pk in ids],
        index=frame.index,
        columns=[resource_key(kind) for kind in Organisation.Kind.values],
        dtype="Float64",
    )
    per_thousand = 1000 / frame["population"].astype("Float64")
    frame["resources_total"] = counts.sum(axis=1) * per_thousand
    frame = frame.join(counts.mul(per_thousand, axis=0))
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
