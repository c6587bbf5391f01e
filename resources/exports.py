"""The directory as a table people open in Excel, and read back by import_resources.

One row per service at a location, with the organisation's columns repeated on each of its rows:
a service given at two places has two rows, a service with no place or a place with no service
has one row with the other half empty, and an organisation with neither has one row of its own.
(A service is given at its own organisation's places: nothing places it elsewhere.)
The ID columns (the models' stable UUIDs, never database ids) tie the rows of one organisation,
service or location together, so the file can be re-imported as it was exported.

Headers are Japanese and fixed (they are a file format, not UI text, so they are not translated);
where the 自治体標準オープンデータセット has a column for the same thing (名称, 名称_カナ, 住所,
緯度, 経度, 電話番号, ...) it has the same name. Multi-valued cells (areas served, categories,
languages) separate values with 「、」; the schedule cell holds one schedule per line in the
form that `format_schedule_line` writes and `parse_schedule_line` reads.

Public exports (the default) leave out staff-only organisations and services, and give no
postal code, address, district or point for a location that hides its address.
"""

import csv
import dataclasses
import datetime
import functools
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import IO

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from districts.models import TargetGroup
from resources.models import (
    Location,
    Organisation,
    OrganisationIdentifier,
    Schedule,
    Service,
    ServiceAtLocation,
    Visibility,
)
from resources.schedules import schedule_lines


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    header: str
    imported: bool = True  # False: written for people, ignored when the file is read back


# fmt: off
COLUMNS = [
    # The organisation (repeated on each of its rows)
    Column("organisation_id", "組織ID"),
    Column("name", "名称"),
    Column("reading", "名称_カナ"),
    Column("name_en", "名称_英字"),
    Column("kind", "種別"),                          # KIND_NAMES
    Column("description", "説明"),
    Column("phone", "電話番号"),
    Column("fax", "FAX番号"),
    Column("email", "メールアドレス"),
    Column("website", "URL"),
    Column("corporate_number", "法人番号"),
    Column("care_office_numbers", "事業所番号"),      # 介護保険事業所番号、...
    Column("home_area", "拠点地区コード"),            # Area.code
    Column("areas_served", "対象地区コード"),         # Area.code、Area.code
    Column("is_agency", "ケース連携"),                # はい / いいえ
    Column("visibility", "公開区分"),                 # VISIBILITY_NAMES
    Column("last_verified_on", "最終確認日"),         # YYYY-MM-DD
    # The service (repeated on each of its rows)
    Column("service_id", "サービスID"),
    Column("service_name", "サービス名"),
    Column("service_description", "サービス内容"),
    Column("target_group", "対象者"),                 # TARGET_GROUP_NAMES
    Column("categories", "カテゴリコード"),           # TaxonomyTerm.code、TaxonomyTerm.code
    Column("cost", "費用"),
    Column("languages", "対応言語"),                  # ja、en
    Column("application_process", "申込方法"),
    Column("service_visibility", "サービス公開区分"),  # VISIBILITY_NAMES
    Column("schedules", "スケジュール"),              # one format_schedule_line per line
    Column("schedule_text", "スケジュール（表示）", imported=False),  # 毎月第2火曜 10:00–12:00
    # The location
    Column("location_id", "場所ID"),
    Column("location_name", "場所名"),
    Column("postal_code", "郵便番号"),
    Column("address", "住所"),
    Column("district", "地区コード"),                 # Area.code
    Column("latitude", "緯度"),
    Column("longitude", "経度"),
    Column("accessibility", "アクセシビリティ"),
    Column("hide_address", "住所非公開"),             # はい / いいえ
]
# fmt: on
HEADERS = {column.key: column.header for column in COLUMNS}
KEYS = {column.header: column.key for column in COLUMNS}

# Values written for choices: the Japanese name people use, read back by name or by code.
KIND_NAMES = {
    Organisation.Kind.GOVERNMENT: "行政",
    Organisation.Kind.CHILD_FAMILY_CENTRE: "こども家庭センター",
    Organisation.Kind.WELFARE_COUNCIL: "社会福祉協議会",
    Organisation.Kind.COMMUNITY_CARE_CENTRE: "地域包括支援センター",
    Organisation.Kind.TOWN_OFFICE: "まちづくりセンター",
    Organisation.Kind.MEDICAL: "医療機関",
    Organisation.Kind.CHILDCARE: "保育所・幼稚園",
    Organisation.Kind.SCHOOL: "学校",
    Organisation.Kind.CARE_PROVIDER: "介護事業所",
    Organisation.Kind.NPO: "NPO",
    Organisation.Kind.NEIGHBOURHOOD: "町会・自治会",
    Organisation.Kind.COMMISSIONED_VOLUNTEER: "民生委員・児童委員",
    Organisation.Kind.PARENTING_CIRCLE: "子育てサークル",
    Organisation.Kind.SALON: "サロン・ミニデイ",
}
TARGET_GROUP_NAMES = {
    TargetGroup.CHILDREN: "子ども・子育て",
    TargetGroup.ELDERLY: "高齢者",
    TargetGroup.DISABILITY: "障害者",
    TargetGroup.HARDSHIP: "生活困窮",
    TargetGroup.ALL: "全世代",
}
VISIBILITY_NAMES = {Visibility.PUBLIC: "公開", Visibility.STAFF: "職員のみ"}
YES, NO = "はい", "いいえ"
MULTI_SEPARATOR = "、"

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): the CSV
# export puts an apostrophe before it, as Excel does for text typed that way.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Reading values back (for the importer) ------------------------------------------------------


def choice_value(text: str, names: dict[str, str]) -> str | None:
    """The choice a cell names, by its Japanese name or its code (全角 and spaces forgiven)."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    for value, name in names.items():
        if cleaned in (unicodedata.normalize("NFKC", name), str(value)):
            return str(value)
    return None


def parse_bool(text: str) -> bool | None:
    """はい / いいえ as written, and what people type instead; None when it is neither."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().lower()
    if cleaned in ("はい", "1", "true", "yes", "○", "◯", "y"):
        return True
    if cleaned in ("いいえ", "0", "false", "no", "×", "", "n", "-"):
        return False
    return None


def split_multi(text: str) -> list[str]:
    """「a、b」 as written; commas, semicolons and line breaks accepted as well."""
    cleaned = unicodedata.normalize("NFKC", text or "")
    return [part.strip() for part in re.split(r"[、,;\n]", cleaned) if part.strip()]


def unescape_cell(text: str) -> str:
    """Undo the apostrophe the CSV export puts before a cell that would run as a formula."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


@dataclasses.dataclass(frozen=True)
class ScheduleLine:
    rrule: str
    opens_at: datetime.time | None = None
    closes_at: datetime.time | None = None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    notes: str = ""


# RRULE [HH:MM-HH:MM] [[YYYY-MM-DD~YYYY-MM-DD]] [notes], e.g.
# "FREQ=MONTHLY;BYDAY=2TU,4TU 10:00-12:00 [2026-04-01~2027-03-31] 祝日は休み".
SCHEDULE_LINE = re.compile(
    r"^(?P<rrule>\S+)"
    r"(?:\s+(?P<opens>\d{1,2}:\d{2})?-(?P<closes>\d{1,2}:\d{2})?(?=\s|$))?"
    r"(?:\s+\[(?P<valid_from>\d{4}-\d{2}-\d{2})?~(?P<valid_to>\d{4}-\d{2}-\d{2})?\])?"
    r"(?:\s+(?P<notes>.*))?$"
)
RRULE_PART = re.compile(r"^[A-Z]+=[A-Z0-9,+\-:]+$")


def format_schedule_line(schedule) -> str:
    """A Schedule (or any object with its fields) as one line of the schedule cell."""
    parts = [schedule.rrule]
    if schedule.opens_at or schedule.closes_at:
        parts.append(f"{_time(schedule.opens_at)}-{_time(schedule.closes_at)}")
    if schedule.valid_from or schedule.valid_to:
        parts.append(f"[{_date(schedule.valid_from)}~{_date(schedule.valid_to)}]")
    if schedule.notes:
        parts.append(" ".join(schedule.notes.split()))  # one line
    return " ".join(parts)


def parse_schedule_line(line: str) -> ScheduleLine:
    """One line of the schedule cell; raises ValueError saying what is wrong.

    全角 and the dashes people type (–, 〜) are forgiven. The RRULE is checked for its shape
    (NAME=VALUE;...) only: whether it makes sense is for the schedules module to say.
    """
    text = unicodedata.normalize("NFKC", line).strip()
    text = re.sub(r"(?<=\d)\s*[–—〜]\s*(?=\d|\s|$)", "-", text)  # 10:00〜12:00
    match = SCHEDULE_LINE.match(text)
    rrule = match["rrule"].upper().removeprefix("RRULE:") if match else ""
    if not match or not all(RRULE_PART.match(part) for part in rrule.split(";")):
        raise ValueError(
            _("「%(line)s」 is not a schedule (write e.g. FREQ=WEEKLY;BYDAY=WE 10:00-12:00).")
            % {"line": line}
        )
    if not any(part.startswith("FREQ=") for part in rrule.split(";")):
        raise ValueError(_("「%(line)s」: the rule has no FREQ.") % {"line": line})
    try:
        opens_at, closes_at = (
            datetime.time.fromisoformat(match[key].zfill(5)) if match[key] else None
            for key in ("opens", "closes")
        )
    except ValueError:
        raise ValueError(_("「%(line)s」: a time is not a time of day.") % {"line": line}) from None
    try:
        valid_from, valid_to = (
            datetime.date.fromisoformat(match[key]) if match[key] else None
            for key in ("valid_from", "valid_to")
        )
    except ValueError:
        raise ValueError(_("「%(line)s」: a date does not exist.") % {"line": line}) from None
    return ScheduleLine(
        rrule=rrule,
        opens_at=opens_at,
        closes_at=closes_at,
        valid_from=valid_from,
        valid_to=valid_to,
        notes=(match["notes"] or "").strip(),
    )


def _time(value: datetime.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


# --- What an export holds ------------------------------------------------------------------------


def exported_organisations(*, include_staff_only: bool = False) -> QuerySet[Organisation]:
    """Public organisations (every one for a staff export), in 五十音 order."""
    organisations = Organisation.objects.all()
    if not include_staff_only:
        organisations = organisations.filter(visibility=Visibility.PUBLIC)
    return organisations.order_by("reading", "name", "uuid")


def address_shown(location, *, include_staff_only: bool) -> bool:
    """A hidden address (shelters, 一時保護所) leaves a public export with no trace of where it
    is: no postal code, address, district or point."""
    return include_staff_only or not location.hide_address


@dataclasses.dataclass
class Entry:
    """One organisation and what the exports say of it, read as plain values (no model
    instances: building those took four fifths of the time of a large export)."""

    organisation: SimpleNamespace
    areas: list[SimpleNamespace]  # served, by code: code, name
    care_offices: list[SimpleNamespace]  # 介護保険事業所番号: uuid, identifier
    services: list[SimpleNamespace]  # with categories (codes), schedules, placements
    locations: list[SimpleNamespace]  # with district_code, district_name


ORGANISATION_VALUES = (
    "pk", "uuid", "name", "reading", "name_en", "kind", "description", "phone", "fax", "email",
    "website", "corporate_number", "is_agency", "visibility", "last_verified_on",
)  # fmt: skip
SERVICE_VALUES = (
    "pk", "organisation_id", "uuid", "name", "description", "target_group", "cost", "languages",
    "application_process", "visibility",
)  # fmt: skip
LOCATION_VALUES = (
    "pk", "organisation_id", "uuid", "name", "postal_code", "address", "district_id",
    "latitude", "longitude", "accessibility", "hide_address",
)  # fmt: skip
SCHEDULE_VALUES = (
    "pk", "service_id", "uuid", "rrule", "opens_at", "closes_at", "valid_from", "valid_to",
    "notes",
)  # fmt: skip


# Organisations per chunk: each child query names the chunk's ids, and SQLite before 3.32 takes
# at most 999 parameters per query.
CHUNK_SIZE = 900


def directory_entries(*, include_staff_only: bool = False, chunk_size: int = CHUNK_SIZE):
    """Every exported organisation with its services, schedules, categories, areas and
    locations, in 五十音 order. Organisations are read in chunks of `chunk_size`, each chunk with
    eight queries: memory for one chunk, and eight queries more per `chunk_size` organisations
    whatever else the directory holds."""
    organisations = exported_organisations(include_staff_only=include_staff_only).values(
        *ORGANISATION_VALUES, home_area_code=F("home_area__code")
    )
    batch = []
    for row in organisations.iterator(chunk_size=chunk_size):
        batch.append(SimpleNamespace(**row))
        if len(batch) == chunk_size:
            yield from _entries(batch, include_staff_only=include_staff_only)
            batch = []
    if batch:
        yield from _entries(batch, include_staff_only=include_staff_only)


def _entries(organisations: list[SimpleNamespace], *, include_staff_only: bool) -> Iterator[Entry]:
    ids = [organisation.pk for organisation in organisations]
    areas, offices, services, locations = (defaultdict(list) for _ in range(4))
    Served = Organisation.areas_served.through
    for organisation_id, code, name in (
        Served.objects.filter(organisation_id__in=ids)
        .order_by("area__code")
        .values_list("organisation_id", "area__code", "area__name")
    ):
        areas[organisation_id].append(SimpleNamespace(code=code, name=name))
    for organisation_id, uuid, identifier in (
        OrganisationIdentifier.objects.filter(
            organisation_id__in=ids, scheme=OrganisationIdentifier.Scheme.CARE_OFFICE
        )
        .order_by("identifier")
        .values_list("organisation_id", "uuid", "identifier")
    ):
        offices[organisation_id].append(SimpleNamespace(uuid=uuid, identifier=identifier))

    # What belongs to the chunk's services is selected through the organisation ids too, so no
    # query names more than `chunk_size` ids.
    exported = {"service__organisation_id__in": ids}
    if not include_staff_only:
        exported["service__visibility"] = Visibility.PUBLIC
    by_service = {}
    for row in Service.objects.filter(
        **{key.removeprefix("service__"): value for key, value in exported.items()}
    ).values(*SERVICE_VALUES):
        service = SimpleNamespace(**row, categories=[], schedules=[], placements=[])
        by_service[service.pk] = service
        services[service.organisation_id].append(service)
    for service_id, code in (
        Service.categories.through.objects.filter(**exported)
        .order_by("taxonomyterm__order", "taxonomyterm__code")
        .values_list("service_id", "taxonomyterm__code")
    ):
        by_service[service_id].categories.append(code)
    for row in Schedule.objects.filter(**exported).values(*SCHEDULE_VALUES):
        by_service[row["service_id"]].schedules.append(SimpleNamespace(**row))
    for service_id, uuid, location_id in ServiceAtLocation.objects.filter(**exported).values_list(
        "service_id", "uuid", "location_id"
    ):
        by_service[service_id].placements.append(
            SimpleNamespace(uuid=uuid, location_id=location_id)
        )
    for row in Location.objects.filter(organisation_id__in=ids).values(
        *LOCATION_VALUES, district_code=F("district__code"), district_name=F("district__name")
    ):
        locations[row["organisation_id"]].append(SimpleNamespace(**row))

    # Sorted here rather than by the database, so SQLite and PostgreSQL (whose collations and
    # places for NULL differ) give the same file.
    for service in by_service.values():
        service.schedules.sort(
            key=lambda s: (s.opens_at is None, s.opens_at or datetime.time.min, s.pk)
        )
    for organisation in organisations:
        yield Entry(
            organisation=organisation,
            areas=areas[organisation.pk],
            care_offices=offices[organisation.pk],
            services=sorted(services[organisation.pk], key=lambda s: (s.name, str(s.uuid))),
            locations=sorted(locations[organisation.pk], key=lambda loc: (loc.name, str(loc.uuid))),
        )


# --- The table ------------------------------------------------------------------------------------


def directory_rows(
    *, include_staff_only: bool = False, chunk_size: int = CHUNK_SIZE
) -> Iterator[dict]:
    """Every row of the export as {column key: text}, organisation by organisation."""
    for entry in directory_entries(include_staff_only=include_staff_only, chunk_size=chunk_size):
        yield from entry_rows(entry, include_staff_only=include_staff_only)


def entry_rows(entry: Entry, *, include_staff_only: bool) -> Iterator[dict]:
    """The rows of one organisation: one per service at a location, then its places with no
    (exported) service; one row of its own when it has neither."""
    base = organisation_cells(entry)
    no_service = base | service_cells(None)
    locations = {location.pk: location for location in entry.locations}
    placed = set()
    rows = 0
    for service in entry.services:
        cells = base | service_cells(service)
        places = [
            locations[placement.location_id]
            for placement in service.placements
            if placement.location_id in locations
        ]
        places.sort(key=lambda location: (location.name, str(location.uuid)))
        for location in places or [None]:
            placed.add(location.pk if location else None)
            rows += 1
            yield cells | location_cells(location, include_staff_only=include_staff_only)
    for location in entry.locations:
        if location.pk not in placed:
            rows += 1
            yield no_service | location_cells(location, include_staff_only=include_staff_only)
    if not rows:
        yield no_service | location_cells(None, include_staff_only=include_staff_only)


def organisation_cells(entry: Entry) -> dict[str, str]:
    organisation = entry.organisation
    return {
        "organisation_id": str(organisation.uuid),
        "name": organisation.name,
        "reading": organisation.reading,
        "name_en": organisation.name_en,
        "kind": KIND_NAMES.get(organisation.kind, organisation.kind),
        "description": organisation.description,
        "phone": organisation.phone,
        "fax": organisation.fax,
        "email": organisation.email,
        "website": organisation.website,
        "corporate_number": organisation.corporate_number,
        "care_office_numbers": MULTI_SEPARATOR.join(n.identifier for n in entry.care_offices),
        "home_area": organisation.home_area_code or "",
        "areas_served": MULTI_SEPARATOR.join(area.code for area in entry.areas),
        "is_agency": YES if organisation.is_agency else NO,
        "visibility": VISIBILITY_NAMES.get(organisation.visibility, organisation.visibility),
        "last_verified_on": _date(organisation.last_verified_on),
    }


def service_cells(service) -> dict[str, str]:
    if service is None:
        return dict.fromkeys(SERVICE_KEYS, "")
    return {
        "service_id": str(service.uuid),
        "service_name": service.name,
        "service_description": service.description,
        "target_group": TARGET_GROUP_NAMES.get(service.target_group, service.target_group),
        "categories": MULTI_SEPARATOR.join(service.categories),
        "cost": service.cost,
        "languages": MULTI_SEPARATOR.join(str(code) for code in service.languages or []),
        "application_process": service.application_process,
        "service_visibility": VISIBILITY_NAMES.get(service.visibility, service.visibility),
        "schedules": "\n".join(format_schedule_line(s) for s in service.schedules),
        "schedule_text": describe_schedules(service.schedules),
    }


def describe_schedules(schedules) -> str:
    """The schedules in Japanese, one line per rule (schedule_lines). Most services share their
    hours with many others (平日 8:30–17:15), so the text is worked out once per set of hours."""
    return _describe(
        tuple(
            (s.rrule, s.opens_at, s.closes_at, s.valid_from, s.valid_to, s.notes) for s in schedules
        )
    )


@functools.lru_cache(maxsize=4096)
def _describe(schedules: tuple) -> str:
    fields = ("rrule", "opens_at", "closes_at", "valid_from", "valid_to", "notes")
    rows = [SimpleNamespace(**dict(zip(fields, values, strict=True))) for values in schedules]
    return "\n".join(schedule_lines(rows, language="ja"))


def location_cells(location, *, include_staff_only: bool) -> dict[str, str]:
    if location is None:
        return dict.fromkeys(LOCATION_KEYS, "")
    shown = address_shown(location, include_staff_only=include_staff_only)
    return {
        "location_id": str(location.uuid),
        "location_name": location.name,
        "postal_code": location.postal_code if shown else "",
        "address": location.address if shown else "",
        "district": (location.district_code or "") if shown else "",
        "latitude": _decimal(location.latitude) if shown else "",
        "longitude": _decimal(location.longitude) if shown else "",
        "accessibility": location.accessibility,
        "hide_address": YES if location.hide_address else NO,
    }


_KEYS = [column.key for column in COLUMNS]
ORGANISATION_KEYS = _KEYS[: _KEYS.index("service_id")]
SERVICE_KEYS = _KEYS[_KEYS.index("service_id") : _KEYS.index("location_id")]
LOCATION_KEYS = _KEYS[_KEYS.index("location_id") :]


def _decimal(value) -> str:
    return "" if value is None else format(value, "f")


# --- Files ----------------------------------------------------------------------------------------


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_chunks(rows: Iterable[dict], *, batch: int = 500) -> Iterator[bytes]:
    """The table as UTF-8 CSV with a byte order mark (without it Excel shows Japanese as
    mojibake), in pieces for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(column.header for column in COLUMNS)
    pending = 1
    for row in rows:
        writer.writerow(_csv_safe(row[column.key]) for column in COLUMNS)
        pending += 1
        if pending >= batch:
            yield _take(buffer)
            pending = 0
    yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def write_csv(target: IO[bytes], *, include_staff_only: bool = False) -> int:
    """Write the export to a binary file; returns the number of rows."""
    rows = 0

    def counted():
        nonlocal rows
        for row in directory_rows(include_staff_only=include_staff_only):
            rows += 1
            yield row

    target.write(b"\xef\xbb\xbf")
    for chunk in csv_chunks(counted()):
        target.write(chunk)
    return rows


def write_xlsx(target: IO[bytes] | str, *, include_staff_only: bool = False) -> int:
    """The same table as an Excel workbook (openpyxl's write-only mode keeps memory flat).
    Every cell is text, so what is read back is what was written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_name(_("Directory")))
    sheet.freeze_panes = "C2"  # the header, ID and name stay in view
    for index, column in enumerate(COLUMNS, start=1):
        letter = _column_letter(index)
        sheet.column_dimensions[letter].width = 38 if column.key.endswith("_id") else 16
    sheet.append([column.header for column in COLUMNS])

    def cell(value: str):
        if not value.startswith("="):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        text = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        text.data_type = "s"  # openpyxl would otherwise write it as a formula
        return text

    rows = 0
    for row in directory_rows(include_staff_only=include_staff_only):
        sheet.append([cell(row[column.key]) for column in COLUMNS])
        rows += 1
    workbook.save(target)
    return rows


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _sheet_name(label) -> str:
    name = str(label)
    for character in "[]:*?/\\":
        name = name.replace(character, " ")
    return name[:31]
