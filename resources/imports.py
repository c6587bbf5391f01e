"""Importing the directory from CSV or Excel: the standard open datasets, and our own export.

Layouts, recognised from the header (read after NFKC, so 方書（ビル名等） is 方書(ビル名等)):

- Tsunagu's own export (resources.exports.COLUMNS: 組織ID, 名称, ..., 住所非公開): one row per
  service at a location; the ID columns tie the rows to the organisation, service and location
  they came from, so an export imported again gives the same data.
- 介護サービス事業所一覧 (自治体標準オープンデータセット): 介護サービス事業所名称,
  介護サービス事業所名称_カナ, 実施サービス, 住所, 方書, 緯度, 経度, 電話番号, 内線番号, FAX番号,
  法人番号, 法人の名称, 事業所番号, 利用可能曜日, 利用可能日時特記事項, 定員, URL, 備考.
- 介護サービス情報公表システム (厚生労働省) open data: 事業所名, 事業所名カナ, サービスの種類, 住所,
  方書（ビル名等）, ..., 利用可能曜日特記事項, as above.
- 子育て施設一覧 (自治体標準オープンデータセット): 名称, 名称_カナ, 名称_英字, 種別,
  所在地_連結表記 (or 所在地_都道府県, _市区町村, _町字, _番地以下), 建物名等(方書), 緯度, 経度,
  電話番号, 郵便番号, 収容定員, 受入年齢, 利用可能曜日, 開始時間, 終了時間, 利用可能日時特記事項,
  URL, 備考; 全国地方公共団体コード with ID identifies a row.
Other columns are ignored, and the report names them.

An open-data row is an organisation (the 事業所 or facility) with one service, named by
実施サービス / サービスの種類 / 種別, given at one location (its address and 方書).

Values: 全角 digits read as 半角; dates as districts.dates reads them (令和6年4月1日, R6.4.1,
2024/4/1); postal codes with or without 〒 and hyphen become 123-4567, and one at the start of an
address moves to the postal code; katakana readings (名称_カナ) are kept in hiragana, for 五十音
order; a phone or fax number needs 10 or 11 digits starting with 0; 緯度 and 経度 come together and
lie in Japan. Free text (names, notes) is kept as written.

Kind (Organisation.kind): our 種別 names a kind (resources.exports.KIND_NAMES); in open data the
kind is read from 種別 / 実施サービス / サービスの種類 by the words in KIND_WORDS (保育 → nursery,
病院 → medical, ...). A row of a 介護 dataset without such a word is a care provider; a 子育て row
without one is an error (unknown kind).

Categories: 実施サービス / サービスの種類 / 種別 (split at 「、」) and our カテゴリコード are
matched to existing categories by code or name. An import never creates categories (the taxonomy
is curated, and coverage is counted per category): a name without a category is a warning, and
importing the file again once the category exists in the admin fills it in.

Schedules: 利用可能曜日 with 開始時間 and 終了時間 are read by resources.schedules; a text it cannot
read is kept in the service description and listed as a warning, never rejected. Our own
スケジュール cell is machine-written and read strictly.

Districts: addresses are placed with one AddressResolver per import; an address outside every
district (a hospital in the next city) imports without a district and is listed as a warning.

Matching, so importing a file again updates rather than duplicates: a row is the stored
organisation with the same 組織ID (UUID), 事業所番号, open-data ID (全国地方公共団体コード + ID), or
法人番号 and name; a row with none of these carries the key of its name and address, recorded when
it was first imported (OrganisationIdentifier). On a match a filled cell replaces the stored
value and an empty cell leaves it; schedules, categories and areas served, when given, replace
the stored ones. Within an organisation a service is matched by サービスID or name, a location by
場所ID or address. An open-data organisation without a home area gets the district of its first
place. Each organisation written gets its search key (resources.search) in the same queries.

Likely duplicates: a row that matches no stored organisation, but has the normalised name
(resources.search.normalise) of a stored one or of an earlier row, and the same address or
phone number, is listed in the report. It becomes a new entry unless merging is asked for. A
merge keeps the existing entry and its values, fills its empty fields, adds the row's services
and locations (those it lacks, by name and address) and identifiers, and deletes nothing.

All or nothing: every row is checked before anything is written, and a file with any problem is
rejected whole, each problem listed with its line (as numbered in a spreadsheet: the header is
line 1), column and reason: an unknown header or a missing column, a missing name, a bad
latitude or longitude, phone, fax, postal code, corporate number, web or e-mail address, date,
time or count, an unknown kind, area code or choice, a value too long for its field, a row
repeating another, rows of one organisation that disagree, or an identifier already recorded for
another organisation. Writes happen in one transaction, with bulk queries.
"""

import dataclasses
import datetime
import decimal
import hashlib
import re
import unicodedata
import uuid as uuid_module
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from districts.addresses import (
    POSTCODE,
    PREFECTURE,
    AddressResolver,
    Unresolved,
    kanji_to_int,
)
from districts.addresses import normalise as normalise_address
from districts.dates import parse_japanese_date
from districts.models import Area, TargetGroup
from districts.tables import ImportRejected, Problem, clean_header, read_table
from resources import exports, stewardship
from resources.models import (
    FieldChange,
    Location,
    Organisation,
    OrganisationIdentifier,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from resources.schedules import parse_japanese_schedule
from resources.search import normalise as normalise_name
from resources.search import organisation_search_key

Source = BinaryIO | bytes | str | Path
Progress = Callable[[str, int, int], None]
Kind = Organisation.Kind
Scheme = OrganisationIdentifier.Scheme

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
BATCH = 1000
PROGRESS_EVERY = 200  # rows between two progress reports

# Phases reported to `progress`.
READING, CHECKING, SAVING = "reading", "checking", "saving"

# --- Layouts and their columns -------------------------------------------------------------------

TSUNAGU, CARE, MHLW, CHILDCARE = "tsunagu", "care", "mhlw", "childcare"
LAYOUT_NAMES = {
    TSUNAGU: gettext_lazy("Tsunagu export"),
    CARE: gettext_lazy("介護サービス事業所一覧 (standard open dataset)"),
    MHLW: gettext_lazy("介護サービス情報公表システム open data"),
    CHILDCARE: gettext_lazy("子育て施設一覧 (standard open dataset)"),
}
# Headers only our export has: any of them means the file is ours.
OWN_MARKERS = ("組織ID", "サービスID", "場所ID", "サービス名", "公開区分")
OWN_COLUMNS = {clean_header(c.header): c.key for c in exports.COLUMNS if c.imported}
# Written for people (e.g. the schedule in words), and read from the cells beside them instead.
OWN_IGNORED = {clean_header(c.header) for c in exports.COLUMNS if not c.imported}
# Open data: header → the key it fills. The keys shared with our export mean the same thing.
OPEN_DATA_COLUMNS = {
    "介護サービス事業所名称": "name",
    "事業所名": "name",
    "名称": "name",
    "介護サービス事業所名称_カナ": "reading",
    "事業所名カナ": "reading",
    "名称_カナ": "reading",
    "名称_英字": "name_en",
    "実施サービス": "kind_text",
    "サービスの種類": "kind_text",
    "種別": "kind_text",
    "住所": "address",
    "所在地_連結表記": "address",
    "所在地_都道府県": "address_prefecture",
    "所在地_市区町村": "address_municipality",
    "所在地_町字": "address_town",
    "所在地_番地以下": "address_rest",
    "方書": "building",
    "方書(ビル名等)": "building",
    "建物名等(方書)": "building",
    "郵便番号": "postal_code",
    "緯度": "latitude",
    "経度": "longitude",
    "電話番号": "phone",
    "内線番号": "extension",
    "FAX番号": "fax",
    "連絡先メールアドレス": "email",
    "メールアドレス": "email",
    "法人番号": "corporate_number",
    "法人の名称": "corporate_name",
    "団体名": "corporate_name",
    "事業所番号": "office_number",
    "利用可能曜日": "days",
    "開始時間": "opens",
    "終了時間": "closes",
    "利用可能日時特記事項": "schedule_notes",
    "利用可能曜日特記事項": "schedule_notes",
    "定員": "capacity",
    "収容定員": "capacity",
    "受入年齢": "ages",
    "URL": "website",
    "備考": "notes",
    "ID": "dataset_id",
    "全国地方公共団体コード": "municipality_code",
    "都道府県コード又は市区町村コード": "municipality_code",
    "最終確認日": "last_verified_on",
}
NAME_HEADERS = {CARE: "介護サービス事業所名称", MHLW: "事業所名", CHILDCARE: "名称"}
# Whom a dataset's services are for, unless a category says otherwise.
LAYOUT_TARGET_GROUPS = {
    CARE: TargetGroup.ELDERLY,
    MHLW: TargetGroup.ELDERLY,
    CHILDCARE: TargetGroup.CHILDREN,
}

# Words in 種別 / 実施サービス / サービスの種類 that give the kind of organisation, tried in order
# (学童保育 is not a nursery, so 学童 comes before 保育).
KIND_WORDS = [
    ("地域包括支援センター", Kind.COMMUNITY_CARE_CENTRE),
    ("あんしんすこやかセンター", Kind.COMMUNITY_CARE_CENTRE),
    ("こども家庭センター", Kind.CHILD_FAMILY_CENTRE),
    ("子ども家庭支援センター", Kind.CHILD_FAMILY_CENTRE),
    ("社会福祉協議会", Kind.WELFARE_COUNCIL),
    ("社協", Kind.WELFARE_COUNCIL),
    ("まちづくりセンター", Kind.TOWN_OFFICE),
    ("民生委員", Kind.COMMISSIONED_VOLUNTEER),
    ("児童委員", Kind.COMMISSIONED_VOLUNTEER),
    ("子育てサークル", Kind.PARENTING_CIRCLE),
    ("サロン", Kind.SALON),
    ("ミニデイ", Kind.SALON),
    ("町会", Kind.NEIGHBOURHOOD),
    ("町内会", Kind.NEIGHBOURHOOD),
    ("自治会", Kind.NEIGHBOURHOOD),
    ("NPO", Kind.NPO),
    ("特定非営利", Kind.NPO),
    # Publicly run children's places: 児童館, 学童 (放課後児童クラブ), 子育て支援拠点 and ひろば.
    ("児童館", Kind.GOVERNMENT),
    ("学童", Kind.GOVERNMENT),
    ("放課後児童", Kind.GOVERNMENT),
    ("子育て支援センター", Kind.GOVERNMENT),
    ("子育て支援拠点", Kind.GOVERNMENT),
    ("子育てひろば", Kind.GOVERNMENT),
    ("保育", Kind.CHILDCARE),
    ("幼稚園", Kind.CHILDCARE),
    ("こども園", Kind.CHILDCARE),
    ("学校", Kind.SCHOOL),
    ("介護医療院", Kind.CARE_PROVIDER),
    ("病院", Kind.MEDICAL),
    ("診療所", Kind.MEDICAL),
    ("クリニック", Kind.MEDICAL),
    ("医院", Kind.MEDICAL),
    ("歯科", Kind.MEDICAL),
    ("薬局", Kind.MEDICAL),
    ("介護", Kind.CARE_PROVIDER),
    ("看護", Kind.CARE_PROVIDER),
    ("居宅", Kind.CARE_PROVIDER),
    ("通所", Kind.CARE_PROVIDER),
    ("訪問", Kind.CARE_PROVIDER),
    ("短期入所", Kind.CARE_PROVIDER),
    ("福祉用具", Kind.CARE_PROVIDER),
    ("小規模多機能", Kind.CARE_PROVIDER),
    ("認知症対応型", Kind.CARE_PROVIDER),
    ("老人", Kind.CARE_PROVIDER),
    ("デイサービス", Kind.CARE_PROVIDER),
    ("ショートステイ", Kind.CARE_PROVIDER),
    ("グループホーム", Kind.CARE_PROVIDER),
    ("保健センター", Kind.GOVERNMENT),
    ("保健所", Kind.GOVERNMENT),
    ("役所", Kind.GOVERNMENT),
    ("総合支所", Kind.GOVERNMENT),
    ("行政", Kind.GOVERNMENT),
]
DEFAULT_KINDS = {CARE: Kind.CARE_PROVIDER, MHLW: Kind.CARE_PROVIDER}

ORGANISATION_FIELDS = [
    "name",
    "reading",
    "name_en",
    "kind",
    "description",
    "phone",
    "fax",
    "email",
    "website",
    "corporate_number",
    "home_area_id",
    "is_agency",
    "visibility",
    "last_verified_on",
    "search_text",
]
SERVICE_FIELDS = [
    "name",
    "description",
    "target_group",
    "cost",
    "languages",
    "application_process",
    "visibility",
]
LOCATION_FIELDS = [
    "name",
    "postal_code",
    "address",
    "district_id",
    "latitude",
    "longitude",
    "accessibility",
    "hide_address",
]
# A merge fills empty fields only; these always have a value, so a merge keeps them.
KEPT_ON_MERGE = {"kind", "visibility", "is_agency", "hide_address", "target_group"}

# Japan, with a margin: a point outside it is a typo or swapped columns.
LATITUDES = (decimal.Decimal(20), decimal.Decimal(46))
LONGITUDES = (decimal.Decimal(122), decimal.Decimal(154))
MICRODEGREE = decimal.Decimal("0.000001")
DASH_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])\s*[-‐‑‒–—―−ーｰ]\s*(?=[0-9])")
POSTAL_CODE = re.compile(r"^〒?\s*([0-9]{3})-?([0-9]{4})$")
LEADING_POSTAL_CODE = re.compile(r"^(?:〒\s*([0-9]{3})-?([0-9]{4})|([0-9]{3})-([0-9]{4}))\s*")
PHONE = re.compile(r"^(?P<number>[0-9()\- ]+?)\s*(?P<note>(?:\(.*\)|内線.*|ext\.?.*)?)$")
TIME = re.compile(r"^(?P<hour>[0-9]{1,2})(?:[:時](?P<minute>[0-9]{1,2})?分?(?::[0-9]{2})?)?$")
EXCEL_DAY = re.compile(r"^1899-12-3[01] ")  # Excel times read as datetimes on its day zero
VALID_URL = URLValidator(schemes=["http", "https"])
VALID_EMAIL = EmailValidator()
CATEGORY_SEPARATORS = re.compile(r"[、,，/／\n]")
CHOME_NUMBER = re.compile(r"([0-9]+|[〇一二三四五六七八九十]+)丁目")
# Labels written into descriptions: data in the dataset's language, not UI text, so that the same
# file gives the same text whoever imports it.
RUN_BY, AGES, CAPACITY, HOURS, OPEN_DAYS = "運営法人", "受入年齢", "定員", "時間", "利用可能曜日"
MAX_SCHEDULE_NOTES = Schedule._meta.get_field("notes").max_length


# --- Report ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Duplicate:
    """A row that looks like an entry already stored, or like an earlier row of the file."""

    line: int
    name: str
    other_name: str
    reason: str  # "address" or "phone"
    other_line: int | None = None  # an earlier row of the file
    other_uuid: str | None = None  # a stored organisation
    merged: bool = False

    @property
    def reason_label(self) -> str:
        return (
            _("same name and address")
            if self.reason == "address"
            else _("same name and phone number")
        )


@dataclasses.dataclass
class ImportReport:
    """What an import did, or on a dry run would do; stored as JSON on an ImportJob."""

    layout: str = ""
    dry_run: bool = False
    merge_duplicates: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    services_created: int = 0
    locations_created: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)
    duplicates: list[Duplicate] = dataclasses.field(default_factory=list)
    ignored_columns: list[str] = dataclasses.field(default_factory=list)

    @property
    def layout_name(self) -> str:
        return str(LAYOUT_NAMES.get(self.layout, self.layout))

    def summary(self) -> str:
        counts = {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "merged": self.merged,
            "unchanged": self.unchanged,
        }
        if self.dry_run:
            text = _(
                "Dry run, nothing saved. %(rows)s row(s) read: would create %(created)s "
                "organisation(s), update %(updated)s and merge %(merged)s into existing ones; "
                "%(unchanged)s unchanged."
            )
        else:
            text = _(
                "%(rows)s row(s) read: created %(created)s organisation(s), updated %(updated)s "
                "and merged %(merged)s into existing ones; %(unchanged)s unchanged."
            )
        return text % counts

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["problems"] = [dataclasses.asdict(p) for p in self.problems]
        data["warnings"] = [dataclasses.asdict(w) for w in self.warnings]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ImportReport":
        data = dict(data)
        data["problems"] = [Problem(**p) for p in data.get("problems", [])]
        data["warnings"] = [Problem(**w) for w in data.get("warnings", [])]
        data["duplicates"] = [Duplicate(**d) for d in data.get("duplicates", [])]
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


class ResourceImportRejected(ImportRejected):
    """Nothing was written; `report` has the problems, and the warnings found on the way."""

    def __init__(self, report: ImportReport):
        super().__init__(report.problems)
        self.report = report


# --- Rows as read -------------------------------------------------------------------------------


@dataclasses.dataclass
class ScheduleValues:
    rrule: str
    opens_at: datetime.time | None = None
    closes_at: datetime.time | None = None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    notes: str = ""

    def key(self) -> tuple:
        return (
            self.rrule,
            self.opens_at,
            self.closes_at,
            self.valid_from,
            self.valid_to,
            self.notes,
        )


@dataclasses.dataclass
class ServicePart:
    uuid: uuid_module.UUID | None
    name: str
    fields: dict[str, Any]
    categories: set[int] | None  # None: not given
    schedules: list[ScheduleValues] | None  # None: not given

    @property
    def key(self) -> str:
        return normalise_name(self.name)


@dataclasses.dataclass
class LocationPart:
    uuid: uuid_module.UUID | None
    fields: dict[str, Any]
    address_key: str


@dataclasses.dataclass
class Entry:
    """One row, checked: what it says about an organisation, a service and a location."""

    line: int
    organisation: dict[str, Any]  # field → value, only for the cells given
    columns: dict[str, str]  # field → the header it came from (for problems)
    keys: list[tuple[str, str]]  # identity, strongest first: (scheme or "uuid"/"corporate", id)
    areas_served: set[int] | None
    service: ServicePart | None
    location: LocationPart | None
    name_key: str
    address_key: str
    phone_key: str

    @property
    def row_key(self) -> tuple:
        service = self.service and (self.service.uuid or self.service.key)
        location = self.location and (self.location.uuid or self.location.address_key)
        return (service, location)


# --- The import -----------------------------------------------------------------------------------


def resource_import(
    *,
    source: Source,
    filename: str = "",
    dry_run: bool = False,
    merge_duplicates: bool = False,
    progress: Progress | None = None,
    today: datetime.date | None = None,
    user=None,
) -> ImportReport:
    """Import a directory table; returns the report, or raises ResourceImportRejected (nothing
    written) with every problem found. `progress(phase, done, total)` is called as rows are
    checked, then once before saving (which happens in one transaction). `user` (who started
    the import) is recorded in the per-field change log."""
    progress = progress or _no_progress
    progress(READING, 0, 0)
    frame = read_table(source, filename=filename)
    report = ImportReport(dry_run=dry_run, merge_duplicates=merge_duplicates)
    reader = _RowReader(frame, report=report, today=today or timezone.localdate())
    if report.problems:
        raise ResourceImportRejected(report)
    entries = reader.read_all(progress)
    progress(SAVING, report.rows, report.rows)
    try:
        with transaction.atomic():
            plan = _Plan(entries, report=report, reader=reader)
            plan.match()
            if report.problems:
                raise ResourceImportRejected(report)
            plan.apply()
            if report.problems:
                raise ResourceImportRejected(report)
            if not dry_run:
                plan.save(user=user)
    except IntegrityError as error:
        report.problems.append(
            Problem(
                None,
                None,
                _(
                    "The directory changed while the file was being imported (is someone else "
                    "importing?). Nothing was written; import the file again."
                ),
            )
        )
        raise ResourceImportRejected(report) from error
    report.warnings.sort(key=lambda w: (w.line or 0, w.column or ""))
    return report


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def _text(value: object) -> str:
    """A structured cell (numbers, codes, dates) as people mean it: 全角 as 半角, no spaces
    around, the dashes people type between digits as hyphens."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return DASH_BETWEEN_DIGITS.sub("-", text)


def _hiragana(text: str) -> str:
    """Readings are kept in hiragana, for 五十音 order; katakana (any width) is converted."""
    text = unicodedata.normalize("NFKC", text).strip()
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


def address_key(address: str, *, municipalities: Iterable[str] = ()) -> str:
    """An address reduced so that 「東京都若草区桜台一丁目2番3号」 and 「桜台1-2-3」 compare equal:
    no postal code, prefecture or known municipality, 丁目/番地/号 as hyphens."""
    text = normalise_address(address or "")
    text = POSTCODE.sub("", text)
    text = PREFECTURE.sub("", text, count=1)
    for municipality in municipalities:
        if text.startswith(municipality):
            text = text[len(municipality) :]
            break
    text = CHOME_NUMBER.sub(lambda match: f"{kanji_to_int(match[1])}-", text)
    text = re.sub(r"([0-9]+)番地?", r"\1-", text)
    text = re.sub(r"([0-9]+)号", r"\1", text)
    return re.sub(r"-+", "-", text).strip("-")


def phone_key(phone: str) -> str:
    number = PHONE.match(_text(phone))
    return re.sub(r"[^0-9]", "", number["number"]) if number else ""


def import_key(name_key: str, address: str) -> str:
    """The identity of a row with no identifier: its normalised name and address, hashed."""
    return hashlib.sha1(f"{name_key}|{address}".encode(), usedforsecurity=False).hexdigest()


class _RowReader:
    """Reads and checks each row into an Entry, collecting problems and warnings."""

    def __init__(self, frame: pd.DataFrame, *, report: ImportReport, today: datetime.date):
        self.frame = frame
        self.report = report
        self.today = today
        self.layout, self.headers = self._layout(list(frame.columns))
        if self.layout is None:
            return
        report.layout = self.layout
        self.resolver = AddressResolver(on=today)
        self.municipalities = sorted(self.resolver.municipality_names, key=len, reverse=True)
        self.addresses: dict[str, Area | Unresolved] = {}
        self.areas = dict(Area.objects.values_list("code", "pk"))
        self.terms, self.term_groups = _taxonomy()
        self.missing_terms: dict[str, list[int]] = defaultdict(list)

    # The header

    def _layout(self, columns: list[str]) -> tuple[str | None, dict[str, list[str]]]:
        if any(column in OWN_MARKERS for column in columns):
            layout, mapping = TSUNAGU, OWN_COLUMNS
        else:
            layout = next(
                (layout for layout, header in NAME_HEADERS.items() if header in columns), None
            )
            mapping = OPEN_DATA_COLUMNS
        if layout is None:
            self.report.problems.append(
                Problem(
                    1,
                    None,
                    _(
                        "The header is not one this import knows: it needs a name column "
                        "(名称, 事業所名 or 介護サービス事業所名称), or the columns of a Tsunagu "
                        "export (組織ID, 名称, ...)."
                    ),
                )
            )
            return None, {}
        headers: dict[str, list[str]] = defaultdict(list)
        for column in columns:
            if column in mapping:
                headers[mapping[column]].append(column)
            elif column and not (layout == TSUNAGU and column in OWN_IGNORED):
                self.report.ignored_columns.append(column)
        required = ["name"] + (["kind"] if layout == TSUNAGU else [])
        if layout == CHILDCARE:
            required.append("kind_text")
        for key in required:
            if key not in headers:
                header = {"name": "名称", "kind": "種別", "kind_text": "種別"}[key]
                self.report.problems.append(
                    Problem(1, header, _("This required column is missing from the header."))
                )
        return layout, headers

    # The rows

    def read_all(self, progress: Progress) -> list[Entry]:
        entries = []
        records = self.frame.to_dict("records")
        total = len(records)
        progress(CHECKING, 0, total)
        for done, (line, record) in enumerate(zip(self.frame.index, records, strict=True), 1):
            if any(str(value).strip() for value in record.values()):
                self.report.rows += 1
                entry = self.read(int(line), record)
                if entry is not None:
                    entries.append(entry)
            if done % PROGRESS_EVERY == 0 or done == total:
                progress(CHECKING, done, total)
        for name, lines in self.missing_terms.items():
            self.report.warnings.append(
                Problem(
                    lines[0],
                    None,
                    _(
                        "「%(name)s」 is not a category (%(count)s row(s)); the rows are imported "
                        "without it. Add the category in the admin and import the file again to "
                        "fill it in."
                    )
                    % {"name": name, "count": len(lines)},
                )
            )
        return entries

    def read(self, line: int, record: dict) -> Entry | None:
        row = _Row(self, line, record)
        if self.layout == TSUNAGU:
            return row.read_own()
        return row.read_open_data()

    def resolve(self, address: str) -> Area | Unresolved:
        if address not in self.addresses:
            try:
                self.addresses[address] = self.resolver.resolve(address).district
            except Unresolved as unresolved:
                self.addresses[address] = unresolved
        return self.addresses[address]


def _taxonomy() -> tuple[dict[str, int], dict[int, str]]:
    """Categories by normalised code, name and English name; and each one's target group."""
    terms, groups = {}, {}
    for pk, code, name, name_en, target in TaxonomyTerm.objects.values_list(
        "pk", "code", "name", "name_en", "target_group"
    ):
        for label in (name_en, name, code):  # a code wins over a name that happens to match
            if label:
                terms[normalise_name(label)] = pk
        groups[pk] = target
    return terms, groups


class _Row:
    """One row being read: cells by key, and problems and warnings with its line."""

    def __init__(self, reader: _RowReader, line: int, record: dict):
        self.reader = reader
        self.line = line
        self.record = record
        self.columns: dict[str, str] = {}
        self.ok = True

    # Cells

    def raw(self, key: str) -> str:
        """The first filled cell among the headers giving `key` (stripped, as written)."""
        for header in self.reader.headers.get(key, ()):
            value = str(self.record.get(header) or "").strip()
            if self.reader.layout == TSUNAGU:
                value = exports.unescape_cell(value)
            if value:
                self.columns[key] = header
                return value
        return ""

    def column(self, key: str) -> str:
        return self.columns.get(key) or next(iter(self.reader.headers.get(key, [key])), key)

    def problem(self, key: str, message: str) -> None:
        self.ok = False
        self.reader.report.problems.append(Problem(self.line, self.column(key), message))

    def warning(self, key: str | None, message: str) -> None:
        column = self.column(key) if key else None
        self.reader.report.warnings.append(Problem(self.line, column, message))

    def checked_length(self, key: str, value: str, model, field: str) -> str:
        limit = model._meta.get_field(field).max_length
        if limit and len(value) > limit:
            self.problem(
                key,
                _("This is %(length)s characters long; at most %(limit)s fit.")
                % {"length": len(value), "limit": limit},
            )
        return value

    # Values

    def phone(self, key: str) -> str:
        value = self.raw(key)
        if not value:
            return ""
        text = _text(value)
        match = PHONE.match(text)
        digits = re.sub(r"[^0-9]", "", match["number"]) if match else ""
        if not (digits.startswith("0") and 10 <= len(digits) <= 11):
            self.problem(
                key,
                _("「%(value)s」 is not a phone number (10 or 11 digits starting with 0).")
                % {"value": value},
            )
            return ""
        return text

    def postal_code(self, value: str, key: str = "postal_code") -> str:
        text = _text(value)
        if not text:
            return ""
        match = POSTAL_CODE.match(text)
        if not match:
            self.problem(
                key, _("「%(value)s」 is not a postal code (123-4567).") % {"value": value}
            )
            return ""
        return f"{match[1]}-{match[2]}"

    def coordinates(self) -> tuple[decimal.Decimal | None, decimal.Decimal | None]:
        values = {}
        for key, (low, high) in (("latitude", LATITUDES), ("longitude", LONGITUDES)):
            raw = self.raw(key)
            if not raw:
                values[key] = None
                continue
            try:
                number = decimal.Decimal(_text(raw))
                if not number.is_finite():
                    raise decimal.InvalidOperation
            except decimal.InvalidOperation:
                self.problem(key, _("「%(value)s」 is not a number.") % {"value": raw})
                values[key] = None
                continue
            if not low <= number <= high:
                self.problem(
                    key,
                    _(
                        "%(value)s is outside Japan (latitude 20–46, longitude 122–154; are the "
                        "two columns swapped?)."
                    )
                    % {"value": raw},
                )
                values[key] = None
                continue
            values[key] = number.quantize(MICRODEGREE, rounding=decimal.ROUND_HALF_UP)
        latitude, longitude = values["latitude"], values["longitude"]
        given = [key for key in ("latitude", "longitude") if self.raw(key)]
        if len(given) == 1:
            missing = "longitude" if given == ["latitude"] else "latitude"
            self.problem(missing, _("Give both latitude and longitude, or neither."))
            return None, None
        return latitude, longitude

    def url(self, key: str) -> str:
        value = self.raw(key)
        if not value:
            return ""
        text = _text(value)
        if text.startswith("www."):
            text = "https://" + text
        try:
            VALID_URL(text)
        except ValidationError:
            self.problem(key, _("「%(value)s」 is not a web address.") % {"value": value})
            return ""
        return self.checked_length(key, text, Organisation, "website")

    def email(self, key: str) -> str:
        value = _text(self.raw(key))
        if not value:
            return ""
        try:
            VALID_EMAIL(value)
        except ValidationError:
            self.problem(key, _("「%(value)s」 is not an e-mail address.") % {"value": value})
            return ""
        return value

    def corporate_number(self) -> str:
        value = self.raw("corporate_number")
        if not value:
            return ""
        digits = re.sub(r"[\s-]", "", _text(value))
        if not re.fullmatch(r"[0-9]{13}", digits):
            self.problem(
                "corporate_number",
                _("「%(value)s」 is not a corporate number (13 digits).") % {"value": value},
            )
            return ""
        return digits

    def date(self, key: str) -> datetime.date | None:
        value = self.raw(key)
        if not value:
            return None
        try:
            return parse_japanese_date(value)
        except ValueError as error:
            self.problem(key, str(error))
            return None

    def time(self, key: str) -> datetime.time | None:
        value = self.raw(key)
        if not value:
            return None
        text = EXCEL_DAY.sub("", _text(value))
        match = TIME.match(text)
        hour = int(match["hour"]) if match else -1
        minute = int(match["minute"] or 0) if match else -1
        if hour == 24 and minute == 0:  # closing at midnight, as resources.schedules reads it
            return datetime.time()
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            self.problem(
                key, _("「%(value)s」 is not a time of day (e.g. 9:00).") % {"value": value}
            )
            return None
        return datetime.time(hour, minute)

    def count(self, key: str) -> int | None:
        value = self.raw(key)
        text = _text(value).replace(",", "").removesuffix("人").removesuffix("名")
        if not text:
            return None
        if not text.isdigit():
            self.problem(key, _("「%(value)s」 is not a number.") % {"value": value})
            return None
        return int(text)

    def area(self, key: str, code: str) -> int | None:
        pk = self.reader.areas.get(_text(code))
        if pk is None:
            self.problem(key, _("There is no area with the code 「%(code)s」.") % {"code": code})
        return pk

    def uuid(self, key: str) -> uuid_module.UUID | None:
        value = self.raw(key)
        if not value:
            return None
        try:
            return uuid_module.UUID(_text(value))
        except ValueError:
            self.problem(key, _("「%(value)s」 is not an ID from an export.") % {"value": value})
            return None

    def categories(self, names: list[str]) -> set[int]:
        found = set()
        for name in names:
            pk = self.reader.terms.get(normalise_name(name))
            if pk is None:
                self.reader.missing_terms[name].append(self.line)
            else:
                found.add(pk)
        return found

    def district(self, address: str) -> int | None:
        district = self.reader.resolve(address)
        if isinstance(district, Unresolved):
            self.warning(
                "address",
                _("「%(address)s」 is in no district, so it is imported without one: %(reason)s")
                % {"address": address, "reason": district.reason},
            )
            return None
        return district.pk

    def kind(self, text: str) -> str | None:
        """The kind a 種別 names: our own names and codes, then the words of KIND_WORDS."""
        if not text:
            return None
        value = exports.choice_value(text, exports.KIND_NAMES)
        if value:
            return value
        cleaned = unicodedata.normalize("NFKC", text)
        for word, kind in KIND_WORDS:
            if unicodedata.normalize("NFKC", word) in cleaned:
                return kind
        return None

    # Layouts

    def read_own(self) -> Entry | None:
        """A row of our own export: every column means one model field."""
        organisation: dict[str, Any] = {}
        name = self.raw("name")
        if not name:
            self.problem("name", _("The name is missing."))
        organisation["name"] = self.checked_length("name", name, Organisation, "name")
        for key in ("reading", "name_en", "description"):
            if value := self.raw(key):
                organisation[key] = self.checked_length(key, value, Organisation, key)
        if kind_text := self.raw("kind"):
            kind = exports.choice_value(kind_text, exports.KIND_NAMES) or self.kind(kind_text)
            if kind is None:
                self._unknown_kind("kind", kind_text)
            organisation["kind"] = kind
        for key in ("phone", "fax"):
            if value := self.phone(key):
                organisation[key] = self.checked_length(key, value, Organisation, key)
        if value := self.email("email"):
            organisation["email"] = value
        if value := self.url("website"):
            organisation["website"] = value
        if value := self.corporate_number():
            organisation["corporate_number"] = value
        if code := self.raw("home_area"):
            organisation["home_area_id"] = self.area("home_area", code)
        areas_served = None
        if codes := self.raw("areas_served"):
            areas_served = {self.area("areas_served", code) for code in exports.split_multi(codes)}
        if value := self.raw("is_agency"):
            organisation["is_agency"] = self.boolean("is_agency", value)
        if value := self.raw("visibility"):
            organisation["visibility"] = self.choice("visibility", value, exports.VISIBILITY_NAMES)
        if value := self.date("last_verified_on"):
            organisation["last_verified_on"] = value
        organisation_uuid = self.uuid("organisation_id")

        service = None
        service_uuid = self.uuid("service_id")
        service_name = self.raw("service_name")
        if service_uuid or service_name:
            service = self._own_service(service_uuid, service_name)
        location = self._own_location()
        if not self.ok:
            return None
        keys = [("uuid", str(organisation_uuid))] if organisation_uuid else []
        for number in exports.split_multi(self.raw("care_office_numbers")):
            keys.append((Scheme.CARE_OFFICE, number))
        return self._entry(organisation, keys, areas_served, service, location)

    def _own_service(self, service_uuid, name: str) -> ServicePart:
        if not name:
            self.problem("service_name", _("The service's name is missing."))
        fields: dict[str, Any] = {
            "name": self.checked_length("service_name", name, Service, "name")
        }
        for key, field in (
            ("service_description", "description"),
            ("cost", "cost"),
            ("application_process", "application_process"),
        ):
            if value := self.raw(key):
                fields[field] = self.checked_length(key, value, Service, field)
        if value := self.raw("target_group"):
            fields["target_group"] = self.choice("target_group", value, exports.TARGET_GROUP_NAMES)
        if value := self.raw("languages"):
            fields["languages"] = [code.lower() for code in exports.split_multi(value)]
        if value := self.raw("service_visibility"):
            fields["visibility"] = self.choice(
                "service_visibility", value, exports.VISIBILITY_NAMES
            )
        categories = None
        if value := self.raw("categories"):
            categories = self.categories(exports.split_multi(value))
        schedules = None
        if value := self.raw("schedules"):
            schedules = []
            for text in value.splitlines():
                if not text.strip():
                    continue
                try:
                    parsed = exports.parse_schedule_line(text)
                except ValueError as error:
                    self.problem("schedules", str(error))
                    continue
                schedules.append(ScheduleValues(**dataclasses.asdict(parsed)))
        return ServicePart(service_uuid, name, fields, categories, schedules)

    def _own_location(self) -> LocationPart | None:
        location_uuid = self.uuid("location_id")
        fields: dict[str, Any] = {}
        if value := self.raw("location_name"):
            fields["name"] = self.checked_length("location_name", value, Location, "name")
        address = self.raw("address")
        postal_code = self.raw("postal_code")
        if address:
            fields["address"] = self.checked_length("address", address, Location, "address")
        if postal_code:
            fields["postal_code"] = self.postal_code(postal_code)
        if code := self.raw("district"):
            fields["district_id"] = self.area("district", code)
        elif address:
            fields["district_id"] = self.district(address)
        latitude, longitude = self.coordinates()
        if latitude is not None:
            fields["latitude"], fields["longitude"] = latitude, longitude
        if value := self.raw("accessibility"):
            fields["accessibility"] = value
        if value := self.raw("hide_address"):
            fields["hide_address"] = self.boolean("hide_address", value)
        if not (location_uuid or fields):
            return None
        key = address_key(address, municipalities=self.reader.municipalities)
        return LocationPart(location_uuid, fields, key)

    def boolean(self, key: str, value: str) -> bool:
        parsed = exports.parse_bool(value)
        if parsed is None:
            self.problem(key, _("「%(value)s」: write はい or いいえ.") % {"value": value})
        return bool(parsed)

    def choice(self, key: str, value: str, names: dict) -> str:
        parsed = exports.choice_value(value, names)
        if parsed is None:
            self.problem(
                key,
                _("「%(value)s」 is not one of: %(choices)s.")
                % {"value": value, "choices": "、".join(names.values())},
            )
        return parsed or ""

    def _unknown_kind(self, key: str, text: str) -> None:
        self.problem(
            key,
            _("「%(value)s」 is not a kind of organisation this import knows (e.g. %(kinds)s).")
            % {"value": text, "kinds": "、".join(exports.KIND_NAMES.values())},
        )

    def read_open_data(self) -> Entry | None:
        """A row of an open dataset: an organisation with one service at one place."""
        layout = self.reader.layout
        organisation: dict[str, Any] = {}
        name = self.raw("name")
        if not name:
            self.problem("name", _("The name is missing."))
        organisation["name"] = self.checked_length("name", name, Organisation, "name")
        if value := self.raw("reading"):
            organisation["reading"] = self.checked_length(
                "reading", _hiragana(value), Organisation, "reading"
            )
        if value := self.raw("name_en"):
            organisation["name_en"] = self.checked_length("name_en", value, Organisation, "name_en")
        kind_text = self.raw("kind_text")
        kind = self.kind(kind_text) or DEFAULT_KINDS.get(layout)
        if kind is None:
            if kind_text:
                self._unknown_kind("kind_text", kind_text)
            else:
                self.problem("kind_text", _("The kind (種別) is missing."))
        organisation["kind"] = kind
        if phone := self.phone("phone"):
            if extension := _text(self.raw("extension")):
                phone = f"{phone} 内線{extension}"
            organisation["phone"] = self.checked_length("phone", phone, Organisation, "phone")
        if fax := self.phone("fax"):
            organisation["fax"] = self.checked_length("fax", fax, Organisation, "fax")
        if value := self.email("email"):
            organisation["email"] = value
        if value := self.url("website"):
            organisation["website"] = value
        corporate_number = self.corporate_number()
        if corporate_number:
            organisation["corporate_number"] = corporate_number
        lines = [self.raw("notes")]
        if corporate := self.raw("corporate_name"):
            lines.append(f"{RUN_BY}: {corporate}")
        if description := "\n".join(line for line in lines if line):
            organisation["description"] = description
        if value := self.date("last_verified_on"):
            organisation["last_verified_on"] = value

        service = self._open_data_service(kind_text or name, layout)
        location = self._open_data_location()
        if not self.ok:
            return None
        keys = []
        if office := _text(self.raw("office_number")):
            keys.append((Scheme.CARE_OFFICE, office))
        dataset_id, municipality = (
            _text(self.raw("dataset_id")),
            _text(self.raw("municipality_code")),
        )
        if dataset_id and municipality:
            keys.append((Scheme.OPEN_DATA, f"{municipality}:{dataset_id}"))
        return self._entry(organisation, keys, None, service, location)

    def _open_data_service(self, name: str, layout: str) -> ServicePart:
        fields: dict[str, Any] = {"name": self.checked_length("kind_text", name, Service, "name")}
        lines = []
        if ages := self.raw("ages"):
            lines.append(f"{AGES}: {ages}")
        capacity = self.count("capacity")
        if capacity is not None:
            lines.append(f"{CAPACITY}: {capacity}")
        schedules, unread = self._open_data_schedules()
        lines.extend(unread)
        if lines:
            fields["description"] = "\n".join(lines)
        categories = None
        if kind_text := self.raw("kind_text"):
            parts = [kind_text]
            if normalise_name(kind_text) not in self.reader.terms:
                parts = [p.strip() for p in CATEGORY_SEPARATORS.split(kind_text) if p.strip()]
            categories = self.categories(parts)
        groups = {self.reader.term_groups[pk] for pk in categories or ()}
        fields["target_group"] = groups.pop() if len(groups) == 1 else LAYOUT_TARGET_GROUPS[layout]
        return ServicePart(None, name, fields, categories, schedules)

    def _open_data_schedules(self) -> tuple[list[ScheduleValues] | None, list[str]]:
        """Schedules from 利用可能曜日 with 開始時間 and 終了時間 (hours written in 利用可能曜日
        win), and the texts to keep in the service description instead."""
        days = self.raw("days")
        opens, closes = self.time("opens"), self.time("closes")
        notes = self.raw("schedule_notes")
        hours = f"{_clock(opens)}–{_clock(closes)}" if opens or closes else ""
        kept = []
        parsed = None
        if days:
            try:
                parsed = parse_japanese_schedule(days)
            except ValueError as error:
                self.warning(
                    "days",
                    _(
                        "「%(value)s」 could not be read as a schedule (%(reason)s); it is kept in "
                        "the service description."
                    )
                    % {"value": days, "reason": error},
                )
                kept.append(f"{OPEN_DAYS}: {days} {hours}".strip())
        elif hours:
            kept.append(f"{HOURS}: {hours}")
        if parsed is None:
            return None, [*kept, notes] if notes else kept
        schedules = []
        for item in parsed:
            spans = item.opens_at or item.closes_at
            text = "、".join(part for part in (item.notes, notes) if part)
            if len(text) > MAX_SCHEDULE_NOTES:
                kept.append(notes)  # too long for a schedule's notes: the description keeps it
                text = item.notes
            schedules.append(
                ScheduleValues(
                    rrule=item.rrule,
                    opens_at=item.opens_at if spans else opens,
                    closes_at=item.closes_at if spans else closes,
                    notes=text,
                )
            )
        return schedules, list(dict.fromkeys(kept))

    def _open_data_location(self) -> LocationPart | None:
        address = self.raw("address")
        if not address:
            parts = [
                self.raw(key)
                for key in (
                    "address_prefecture",
                    "address_municipality",
                    "address_town",
                    "address_rest",
                )
            ]
            address = "".join(parts)
            if address:
                self.columns["address"] = next(
                    iter(self.reader.headers.get("address_town", [])), "所在地_町字"
                )
        fields: dict[str, Any] = {}
        postal_code = self.raw("postal_code")
        leading = LEADING_POSTAL_CODE.match(_text(address)) if address else None
        if leading:
            # 〒154-0001 東京都… : the postal code moves to its own field.
            digits = [group for group in leading.groups() if group]
            postal_code = postal_code or f"{digits[0]}-{digits[1]}"
            address = _strip_postal_code(address)
        if postal_code:
            fields["postal_code"] = self.postal_code(postal_code)
        latitude, longitude = self.coordinates()
        if not (address or latitude is not None):
            return None
        building = self.raw("building")
        full = f"{address} {building}".strip() if address else building
        fields["address"] = self.checked_length("address", full, Location, "address")
        if address:
            fields["district_id"] = self.district(address)
        if latitude is not None:
            fields["latitude"], fields["longitude"] = latitude, longitude
        key = address_key(full, municipalities=self.reader.municipalities)
        return LocationPart(None, fields, key)

    def _entry(self, organisation, keys, areas_served, service, location) -> Entry:
        name_key = normalise_name(organisation["name"])
        location_key = location.address_key if location else ""
        corporate_number = organisation.get("corporate_number")
        if corporate_number:
            keys.append(("corporate", f"{corporate_number}|{name_key}"))
        if not any(scheme in ("uuid", Scheme.CARE_OFFICE, Scheme.OPEN_DATA) for scheme, _ in keys):
            keys.append((Scheme.IMPORT, import_key(name_key, location_key)))
        return Entry(
            line=self.line,
            organisation=organisation,
            columns=dict(self.columns),
            keys=keys,
            areas_served=areas_served,
            service=service,
            location=location,
            name_key=name_key,
            address_key=location_key,
            phone_key=phone_key(organisation.get("phone", "")),
        )


def _strip_postal_code(address: str) -> str:
    text = unicodedata.normalize("NFKC", address).strip()
    return LEADING_POSTAL_CODE.sub("", DASH_BETWEEN_DIGITS.sub("-", text), count=1).strip()


def _clock(value: datetime.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


# --- Matching and writing -------------------------------------------------------------------------

IDENTIFIER_SCHEMES = (Scheme.CARE_OFFICE, Scheme.OPEN_DATA, Scheme.IMPORT)


@dataclasses.dataclass
class _ServiceState:
    service: Service
    categories: set[int]
    schedules: list[ScheduleValues]
    created: bool = False
    changed: bool = False
    new_categories: set[int] | None = None  # replace the stored ones with these
    new_schedules: list[ScheduleValues] | None = None


@dataclasses.dataclass
class _OrganisationState:
    """An organisation as the import will leave it: the stored one (or a new one), with the
    services and locations the rows touch, and what is to be written."""

    organisation: Organisation
    created: bool
    services: dict[tuple, _ServiceState] = dataclasses.field(default_factory=dict)
    locations: dict[tuple, Location] = dataclasses.field(default_factory=dict)
    new_locations: list[Location] = dataclasses.field(default_factory=list)
    changed_locations: list[Location] = dataclasses.field(default_factory=list)
    placements: set[tuple[int, int]] = dataclasses.field(default_factory=set)  # stored pairs
    new_placements: dict[tuple[int, int], tuple[Service, Location]] = dataclasses.field(
        default_factory=dict
    )
    identifiers: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    new_identifiers: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    areas_served: set[int] = dataclasses.field(default_factory=set)
    new_areas_served: set[int] | None = None
    loaded: bool = False
    changed: bool = False
    merged_into: bool = False
    first_line: int = 0


@dataclasses.dataclass
class _Group:
    """The rows of the file that describe one organisation (they share its strongest key)."""

    entries: list[Entry]
    keys: list[tuple[str, str]]
    state: _OrganisationState | None = None  # the stored organisation it matches
    merge_into: "_Group | None" = None  # a likely duplicate of an earlier row, merged into it
    merge_into_stored: Organisation | None = None  # ... or of a stored organisation

    @property
    def first(self) -> Entry:
        return self.entries[0]

    @property
    def identifiers(self) -> list[tuple[str, str]]:
        return [(scheme, value) for scheme, value in self.keys if scheme in IDENTIFIER_SCHEMES]


class _Plan:
    """Groups the rows by organisation, matches them to stored entries and finds likely
    duplicates (match), applies the rows to model instances in memory (apply), then writes
    them with bulk queries (save)."""

    def __init__(self, entries: list[Entry], *, report: ImportReport, reader: _RowReader):
        self.report = report
        self.municipalities = reader.municipalities
        self.groups: list[_Group] = []
        self.states: dict[int, _OrganisationState] = {}  # stored organisations by pk
        self.new_states: list[_OrganisationState] = []
        self._group(entries)

    def _problem(self, line, column, message) -> None:
        self.report.problems.append(Problem(line, column, message))

    def _address_key(self, address: str) -> str:
        return address_key(address, municipalities=self.municipalities)

    # Grouping

    def _group(self, entries: list[Entry]) -> None:
        by_key: dict[tuple[str, str], _Group] = {}
        for entry in entries:
            group = by_key.get(entry.keys[0])
            if group is None:
                group = by_key[entry.keys[0]] = _Group([entry], list(entry.keys))
                self.groups.append(group)
            elif self._same_organisation(group, entry):
                group.entries.append(entry)
                group.keys.extend(key for key in entry.keys if key not in group.keys)

    def _same_organisation(self, group: _Group, entry: Entry) -> bool:
        """Rows of one organisation must agree on it, and not repeat each other."""
        for earlier in group.entries:
            if earlier.row_key == entry.row_key:
                self._problem(
                    entry.line,
                    None,
                    _("This row repeats line %(line)s: the same organisation, service and place.")
                    % {"line": earlier.line},
                )
                return False
        first, agrees = group.first, True
        for field, value in entry.organisation.items():
            known = first.organisation.get(field)
            if known not in (None, "") and value not in (None, "") and known != value:
                agrees = False
                self._problem(
                    entry.line,
                    _column_of(entry, field),
                    _("This differs from line %(line)s, which is the same organisation.")
                    % {"line": first.line},
                )
        if entry.service and entry.service.uuid:
            for earlier in group.entries:
                same = earlier.service and earlier.service.uuid == entry.service.uuid
                if same and earlier.service.fields != entry.service.fields:
                    agrees = False
                    self._problem(
                        entry.line,
                        exports.HEADERS["service_name"],
                        _("The service differs from line %(line)s, which has the same ID.")
                        % {"line": earlier.line},
                    )
                    break
        return agrees

    # Matching

    def match(self) -> None:
        """Find each group's stored organisation by its keys, strongest first; then the likely
        duplicates among the groups that match none."""
        wanted = defaultdict(set)
        for group in self.groups:
            for scheme, value in group.keys:
                wanted[scheme].add(value)
        by_uuid = _in_chunks(
            Organisation.objects.all(), "uuid", {uuid_module.UUID(v) for v in wanted["uuid"]}
        )
        by_identifier: dict[tuple[str, str], int] = {}
        for scheme in IDENTIFIER_SCHEMES:
            for value, identifier in _in_chunks(
                OrganisationIdentifier.objects.filter(scheme=scheme), "identifier", wanted[scheme]
            ).items():
                by_identifier[(scheme, value)] = identifier.organisation_id
        by_corporate: dict[str, list[Organisation]] = defaultdict(list)
        numbers = {value.split("|")[0] for value in wanted["corporate"]}
        for chunk in _chunks(sorted(numbers)):
            for organisation in Organisation.objects.filter(corporate_number__in=chunk):
                key = f"{organisation.corporate_number}|{normalise_name(organisation.name)}"
                by_corporate[key].append(organisation)
        identified = _in_chunks(Organisation.objects.all(), "pk", set(by_identifier.values()))

        matched: list[tuple[_Group, Organisation]] = []
        for group in self.groups:
            for scheme, value in group.keys:
                if scheme == "uuid":
                    found = by_uuid.get(uuid_module.UUID(value))
                elif scheme == "corporate":
                    candidates = by_corporate.get(value, [])
                    found = candidates[0] if len(candidates) == 1 else None
                else:
                    found = identified.get(by_identifier.get((scheme, value)))
                if found is not None:
                    matched.append((group, found))
                    break
        self._load(organisation for _group, organisation in matched)
        for group, organisation in matched:
            group.state = self.states[organisation.pk]
        self._find_duplicates()

    def _load(self, organisations: Iterable[Organisation]) -> None:
        """Stored organisations with what rows may change: services (with their categories and
        schedules), locations, placements, identifiers and areas served."""
        for organisation in organisations:
            self.states.setdefault(organisation.pk, _OrganisationState(organisation, created=False))
        pending = [pk for pk, state in self.states.items() if not state.loaded]
        for chunk in _chunks(pending):
            for pk in chunk:
                self.states[pk].loaded = True
            services = {s.pk: s for s in Service.objects.filter(organisation_id__in=chunk)}
            categories = defaultdict(set)
            for service_id, term_id in Service.categories.through.objects.filter(
                service__organisation_id__in=chunk
            ).values_list("service_id", "taxonomyterm_id"):
                categories[service_id].add(term_id)
            schedules = defaultdict(list)
            for schedule in Schedule.objects.filter(service__organisation_id__in=chunk).order_by(
                "opens_at", "pk"
            ):
                schedules[schedule.service_id].append(_schedule_values(schedule))
            for service in services.values():
                state = _ServiceState(service, categories[service.pk], schedules[service.pk])
                owner = self.states[service.organisation_id]
                owner.services.setdefault(("uuid", service.uuid), state)
                owner.services.setdefault(("name", normalise_name(service.name)), state)
            for location in Location.objects.filter(organisation_id__in=chunk):
                owner = self.states[location.organisation_id]
                owner.locations.setdefault(("uuid", location.uuid), location)
                if key := self._address_key(location.address):
                    owner.locations.setdefault(("address", key), location)
            for service_id, location_id, organisation_id in ServiceAtLocation.objects.filter(
                service__organisation_id__in=chunk
            ).values_list("service_id", "location_id", "service__organisation_id"):
                self.states[organisation_id].placements.add((service_id, location_id))
            for organisation_id, scheme, identifier in OrganisationIdentifier.objects.filter(
                organisation_id__in=chunk
            ).values_list("organisation_id", "scheme", "identifier"):
                self.states[organisation_id].identifiers.add((scheme, identifier))
            for organisation_id, area_id in Organisation.areas_served.through.objects.filter(
                organisation_id__in=chunk
            ).values_list("organisation_id", "area_id"):
                self.states[organisation_id].areas_served.add(area_id)

    def _find_duplicates(self) -> None:
        """A group matching no stored organisation, with the normalised name of a stored one or
        of an earlier group and the same address or phone, is a likely duplicate."""
        names = {group.first.name_key for group in self.groups if group.state is None}
        candidates = [
            organisation
            for organisation in Organisation.objects.only("pk", "uuid", "name", "phone")
            if normalise_name(organisation.name) in names
        ]
        addresses = defaultdict(set)
        for chunk in _chunks([organisation.pk for organisation in candidates]):
            for organisation_id, address in Location.objects.filter(
                organisation_id__in=chunk
            ).values_list("organisation_id", "address"):
                if key := self._address_key(address):
                    addresses[organisation_id].add(key)
        stored = defaultdict(list)
        for organisation in candidates:
            phones = {phone_key(organisation.phone)} - {""}
            stored[normalise_name(organisation.name)].append(
                (organisation, addresses[organisation.pk], phones)
            )
        earlier: dict[str, list[_Group]] = defaultdict(list)
        for group in self.groups:
            name = group.first.name_key
            if group.state is None:
                self._duplicate_of(group, earlier[name], stored[name])
            earlier[name].append(group)

    def _duplicate_of(self, group: _Group, earlier_groups, stored) -> None:
        addresses = {entry.address_key for entry in group.entries if entry.address_key}
        phones = {entry.phone_key for entry in group.entries if entry.phone_key}
        entry, merge = group.first, self.report.merge_duplicates
        for other in earlier_groups:
            reason = _same(
                addresses,
                {e.address_key for e in other.entries if e.address_key},
                phones,
                {e.phone_key for e in other.entries if e.phone_key},
            )
            if reason:
                self.report.duplicates.append(
                    Duplicate(
                        line=entry.line,
                        name=entry.organisation["name"],
                        other_name=other.first.organisation["name"],
                        reason=reason,
                        other_line=other.first.line,
                        merged=merge,
                    )
                )
                if merge:
                    group.merge_into = other
                break
        for organisation, other_addresses, other_phones in stored:
            reason = _same(addresses, other_addresses, phones, other_phones)
            if reason:
                self.report.duplicates.append(
                    Duplicate(
                        line=entry.line,
                        name=entry.organisation["name"],
                        other_name=organisation.name,
                        reason=reason,
                        other_uuid=str(organisation.uuid),
                        merged=merge and group.merge_into is None,
                    )
                )
                if merge and group.merge_into is None:
                    group.merge_into_stored = organisation
                break
        if group.merge_into_stored is not None:
            self._load([group.merge_into_stored])

    # Applying the rows to model instances, in memory

    def apply(self) -> None:
        used = set()
        for group in self.groups:
            merged = False
            if group.merge_into is not None:
                state, merged = group.merge_into.state, True
            elif group.merge_into_stored is not None:
                state, merged = self.states[group.merge_into_stored.pk], True
            else:
                state = group.state or self._new_organisation(group)
            if state is None:  # an earlier problem
                continue
            group.state = state
            used.add(id(state))
            if merged:
                state.merged_into = True
                self.report.merged += 1
            # A merge fills what the existing entry lacks; a match updates it.
            fill_only = merged and not state.created
            for entry in group.entries:
                self._apply_entry(state, entry, fill_only=fill_only)
            for key in group.identifiers:
                if key not in state.identifiers:
                    state.identifiers.add(key)
                    state.new_identifiers.add(key)
                    state.changed = True
        for state in self.states.values():
            if state.merged_into or id(state) not in used:
                continue
            if state.changed:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self._check_identifiers()

    def _new_organisation(self, group: _Group) -> _OrganisationState | None:
        entry = group.first
        if not entry.organisation.get("kind"):
            self._problem(
                entry.line,
                exports.HEADERS["kind"],
                _("The kind (種別) is needed for a new organisation."),
            )
            return None
        given = next((value for scheme, value in group.keys if scheme == "uuid"), None)
        organisation = Organisation(uuid=uuid_module.UUID(given) if given else uuid_module.uuid4())
        state = _OrganisationState(organisation, created=True, first_line=entry.line)
        self.new_states.append(state)
        self.report.created += 1
        return state

    def _apply_entry(self, state: _OrganisationState, entry: Entry, *, fill_only: bool) -> None:
        organisation = state.organisation
        if _assign(organisation, entry.organisation, fill_only=fill_only):
            state.changed = True
        if entry.areas_served is not None:
            wanted = (state.areas_served | entry.areas_served) if fill_only else entry.areas_served
            if wanted != state.areas_served:
                state.areas_served = set(wanted)
                state.new_areas_served = set(wanted)
                state.changed = True
        location = self._apply_location(state, entry, fill_only=fill_only)
        service = self._apply_service(state, entry, fill_only=fill_only)
        # Open data has no home area: the district of the first place found stands for it. Our
        # own export says it (拠点地区コード), and an empty cell leaves it.
        if (
            "home_area" not in entry.columns
            and location is not None
            and location.district_id
            and organisation.home_area_id is None
            and self.report.layout != TSUNAGU
        ):
            organisation.home_area_id = location.district_id
            state.changed = True
        if service is not None and location is not None:
            stored = (service.service.pk, location.pk)
            if None in stored or stored not in state.placements:
                key = (id(service.service), id(location))
                if key not in state.new_placements:
                    state.new_placements[key] = (service.service, location)
                    state.changed = True

    def _apply_location(self, state, entry: Entry, *, fill_only: bool) -> Location | None:
        part = entry.location
        if part is None:
            return None
        location = state.locations.get(("uuid", part.uuid)) if part.uuid else None
        if location is None and part.address_key:
            location = state.locations.get(("address", part.address_key))
        if location is None:
            location = Location(uuid=part.uuid or uuid_module.uuid4())
            _assign(location, part.fields, fill_only=False)
            state.new_locations.append(location)
            state.locations[("uuid", location.uuid)] = location
            if part.address_key:
                state.locations[("address", part.address_key)] = location
            self.report.locations_created += 1
            state.changed = True
        elif _assign(location, part.fields, fill_only=fill_only):
            state.changed = True
            if location.pk is not None and location not in state.changed_locations:
                state.changed_locations.append(location)
        return location

    def _apply_service(self, state, entry: Entry, *, fill_only: bool) -> _ServiceState | None:
        part = entry.service
        if part is None:
            return None
        service_state = state.services.get(("uuid", part.uuid)) if part.uuid else None
        if service_state is None:
            service_state = state.services.get(("name", part.key))
        if service_state is None:
            service = Service(uuid=part.uuid or uuid_module.uuid4())
            _assign(service, part.fields, fill_only=False)
            service_state = _ServiceState(service, set(), [], created=True)
            state.services[("uuid", service.uuid)] = service_state
            state.services[("name", part.key)] = service_state
            self.report.services_created += 1
            state.changed = True
        elif _assign(service_state.service, part.fields, fill_only=fill_only):
            service_state.changed = True
            state.changed = True
        if part.categories is not None:
            current = service_state.categories
            wanted = (current | part.categories) if fill_only else part.categories
            if wanted != current:
                service_state.categories = set(wanted)
                service_state.new_categories = set(wanted)
                state.changed = True
        if part.schedules is not None and not (fill_only and service_state.schedules):
            current = sorted(s.key() for s in service_state.schedules)
            if current != sorted(s.key() for s in part.schedules):
                service_state.schedules = list(part.schedules)
                service_state.new_schedules = list(part.schedules)
                state.changed = True
        return service_state

    def _check_identifiers(self) -> None:
        """An identifier recorded for another organisation is not moved silently."""
        states = [*self.states.values(), *self.new_states]
        wanted = defaultdict(set)
        for state in states:
            for scheme, value in state.new_identifiers:
                wanted[scheme].add(value)
        taken = {}
        for scheme, values in wanted.items():
            queryset = OrganisationIdentifier.objects.filter(scheme=scheme).select_related(
                "organisation"
            )
            for value, identifier in _in_chunks(queryset, "identifier", values).items():
                taken[(scheme, value)] = identifier
        for state in states:
            for key in sorted(state.new_identifiers):
                other = taken.get(key)
                if other is not None and other.organisation_id != state.organisation.pk:
                    line = next(g.first.line for g in self.groups if g.state is state)
                    self._problem(
                        line,
                        None,
                        _("%(scheme)s %(value)s is already recorded for 「%(name)s」.")
                        % {
                            "scheme": other.get_scheme_display(),
                            "value": other.identifier,
                            "name": other.organisation.name,
                        },
                    )

    # Saving, in bulk

    def save(self, *, user=None) -> None:
        touched = [
            state
            for state in (*self.states.values(), *self.new_states)
            if state.created or state.changed
        ]
        for state in touched:
            # The directory's search key, from what is in memory: no query per organisation.
            services = {id(s): s.service.name for s in state.services.values()}
            state.organisation.search_text = organisation_search_key(
                state.organisation, service_names=sorted(services.values())
            )
        Organisation.objects.bulk_create(
            [state.organisation for state in self.new_states], batch_size=BATCH
        )
        updated = [s.organisation for s in touched if not s.created]
        # The per-field change log (resources.stewardship), before the stored values go.
        stewardship.field_changes_record_bulk(
            organisations=updated,
            fields=ORGANISATION_FIELDS,
            user=user,
            source=FieldChange.Source.IMPORT,
        )
        Organisation.objects.bulk_update(updated, ORGANISATION_FIELDS, batch_size=BATCH)
        # An edit open in /staff/ must see that the import changed the entry.
        Organisation.objects.filter(pk__in=[o.pk for o in updated]).update(version=F("version") + 1)
        OrganisationIdentifier.objects.bulk_create(
            [
                OrganisationIdentifier(organisation=s.organisation, scheme=scheme, identifier=value)
                for s in touched
                for scheme, value in sorted(s.new_identifiers)
            ],
            batch_size=BATCH,
        )
        for state in touched:
            for location in state.new_locations:
                location.organisation = state.organisation
        Location.objects.bulk_create(
            [location for s in touched for location in s.new_locations], batch_size=BATCH
        )
        Location.objects.bulk_update(
            [location for s in touched for location in s.changed_locations],
            LOCATION_FIELDS,
            batch_size=BATCH,
        )
        services = list({id(svc): svc for s in touched for svc in s.services.values()}.values())
        for state in touched:
            for service_state in state.services.values():
                service_state.service.organisation = state.organisation
        Service.objects.bulk_create([s.service for s in services if s.created], batch_size=BATCH)
        Service.objects.bulk_update(
            [s.service for s in services if s.changed and not s.created],
            SERVICE_FIELDS,
            batch_size=BATCH,
        )
        ServiceAtLocation.objects.bulk_create(
            [
                ServiceAtLocation(service=service, location=location)
                for s in touched
                for service, location in s.new_placements.values()
            ],
            batch_size=BATCH,
        )
        self._save_categories(services)
        self._save_schedules(services)
        self._save_areas_served(touched)

    def _save_categories(self, services: list[_ServiceState]) -> None:
        through = Service.categories.through
        replaced = [s for s in services if s.new_categories is not None]
        for chunk in _chunks([s.service.pk for s in replaced if not s.created]):
            through.objects.filter(service_id__in=chunk).delete()
        through.objects.bulk_create(
            [
                through(service_id=s.service.pk, taxonomyterm_id=term)
                for s in replaced
                for term in sorted(s.new_categories)
            ],
            batch_size=BATCH,
        )

    def _save_schedules(self, services: list[_ServiceState]) -> None:
        replaced = [s for s in services if s.new_schedules is not None]
        for chunk in _chunks([s.service.pk for s in replaced if not s.created]):
            Schedule.objects.filter(service_id__in=chunk).delete()
        Schedule.objects.bulk_create(
            [
                Schedule(service=s.service, **dataclasses.asdict(values))
                for s in replaced
                for values in s.new_schedules
            ],
            batch_size=BATCH,
        )

    def _save_areas_served(self, states: list[_OrganisationState]) -> None:
        through = Organisation.areas_served.through
        replaced = [s for s in states if s.new_areas_served is not None]
        for chunk in _chunks([s.organisation.pk for s in replaced if not s.created]):
            through.objects.filter(organisation_id__in=chunk).delete()
        through.objects.bulk_create(
            [
                through(organisation_id=s.organisation.pk, area_id=area)
                for s in replaced
                for area in sorted(s.new_areas_served)
            ],
            batch_size=BATCH,
        )


# Organisation fields filled from a differently named cell of open data.
FIELD_SOURCES = {"kind": "kind_text", "description": "notes", "home_area_id": "home_area"}


def _column_of(entry: Entry, field: str) -> str:
    """The header of the cell a field came from, for a problem about it."""
    return entry.columns.get(field) or entry.columns.get(FIELD_SOURCES.get(field, "")) or field


def _same(addresses: set, other_addresses: set, phones: set, other_phones: set) -> str:
    """Why two organisations with the same name look like one: "address", "phone" or ""."""
    if addresses & other_addresses:
        return "address"
    if phones & other_phones:
        return "phone"
    return ""


def _assign(instance, values: dict[str, Any], *, fill_only: bool) -> bool:
    """Set the given values (empty ones leave the field); with fill_only, only where the
    instance has none. True if anything changed."""
    changed = False
    for field, value in values.items():
        if value is None or value == "":
            continue
        current = getattr(instance, field)
        if fill_only and (field in KEPT_ON_MERGE or current not in (None, "", [])):
            continue
        if current != value:
            setattr(instance, field, value)
            changed = True
    return changed


def _schedule_values(schedule: Schedule) -> ScheduleValues:
    return ScheduleValues(
        rrule=schedule.rrule,
        opens_at=schedule.opens_at,
        closes_at=schedule.closes_at,
        valid_from=schedule.valid_from,
        valid_to=schedule.valid_to,
        notes=schedule.notes,
    )


def _chunks(values: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _in_chunks(queryset, field: str, values: Iterable) -> dict:
    """{value of field: object} for the objects of the queryset whose field is among values."""
    found = {}
    for chunk in _chunks(sorted(values, key=str)):
        for obj in queryset.filter(**{f"{field}__in": chunk}):
            found[getattr(obj, field)] = obj
    return found
