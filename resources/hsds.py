"""The public directory as Open Referral HSDS 3.0: a tabular datapackage (datapackage.json and one
CSV per HSDS table, laid out as the specification's datapackage.json says) and the same data as
HSDS organization documents with their services nested (organizations.json).

Only public entries: staff-only organisations and services are left out, and a location that
hides its address (shelters, 一時保護所) is given with no address, postal code, district or
point. Every id is a UUID that stays the same from one export to the next: the models' own uuid
fields, and for rows the models do not have (phones, addresses, attributes, ...) a UUID derived
from the owner's uuid and the row's role (uuid5), never a database id.

How Tsunagu maps onto HSDS:
- organisation → organization; name_en → alternate_name; phone and fax → phone rows (type
  voice / fax); corporate number (法人番号, scheme JP-JCN) and 介護保険事業所番号 →
  organization_identifier rows; kind →
  a term of the "organisation kinds" taxonomy, attached through attribute; reading (読み仮名),
  which HSDS has no field for, → an attribute of the "fields" taxonomy with the reading as value.
- last verified on → service.assured_date of each of its services. assurer_email stays empty:
  the person who verified is a member of staff, and staff e-mail addresses are not published.
- service → service (status active); cost → fees_description; languages → language rows;
  categories and the target group → taxonomy terms attached through attribute; the areas the
  organisation serves → service_area rows (name and code; no GeoJSON extent, which would repeat
  every boundary once per service).
- location → location (physical) and address (Japanese addresses split into 都道府県,
  市区町村 and the rest; the district's name as region), accessibility text → accessibility.
  HSDS requires a postal code and a state_province; when the directory does not know them they
  are left empty (tabular validators will say so) rather than invented.
- schedule → schedule, described in Japanese (毎月第2・第4火曜 10:00–12:00) in description: the
  RRULE's parts go to freq, interval, byday, bymonthday, ...; opening hours carry the UTC offset
  of settings.TIME_ZONE. HSDS knows only WEEKLY and MONTHLY: a DAILY rule becomes WEEKLY on every
  day, and a rule HSDS cannot express (yearly ones) keeps only its description and notes.
"""

import contextlib
import csv
import datetime
import functools
import json
import re
import tempfile
import uuid
import zipfile
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import get_language_info

from districts.models import Area, TargetGroup
from resources import exports, stewardship
from resources.models import (
    Organisation,
    TaxonomyTerm,
)

SCHEMA_DIR = Path(__file__).resolve().parent / "hsds_schema"
# Fixed, so derived ids are the same in every export of every installation.
NAMESPACE = uuid.UUID("6e3e7608-b45a-4175-94bc-3426d1982f0d")
JSON_NAME = "organizations.json"
COUNTRY = "JP"

# Which HSDS table a nested array of a document holds.
CHILD_TABLES = {
    "services": "service",
    "phones": "phone",
    "locations": "location",
    "addresses": "address",
    "accessibility": "accessibility",
    "schedules": "schedule",
    "service_areas": "service_area",
    "service_at_locations": "service_at_location",
    "languages": "language",
    "attributes": "attribute",
    "organization_identifiers": "organization_identifier",
    "metadata": "metadata",
}

# 全国地方公共団体コード order: a municipality code's first two digits give its prefecture.
PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 "
    "神奈川県 新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 "
    "大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 "
    "福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()
# A municipality written at the start of an address: 〇〇郡〇〇町, 〇〇市, 〇〇区, 〇〇町, 〇〇村.
MUNICIPALITY = re.compile(r"^((?:[^\d\s]{1,5}?郡)?[^\d\s]{1,6}?[市区町村])")


# --- The datapackage's layout --------------------------------------------------------------------


@functools.cache
def specification() -> dict:
    """The vendored HSDS datapackage descriptor (resources/hsds_schema/datapackage.json)."""
    return json.loads((SCHEMA_DIR / "datapackage.json").read_text(encoding="utf-8"))


@functools.cache
def tables() -> dict[str, dict]:
    """HSDS table name → its resource descriptor (path, schema with fields), in spec order."""
    return {resource["name"]: resource for resource in specification()["resources"]}


@functools.cache
def table_fields(name: str) -> tuple[str, ...]:
    return tuple(field["name"] for field in tables()[name]["schema"]["fields"])


def descriptor(*, created: datetime.datetime) -> dict:
    """Our datapackage.json: every HSDS table (empty ones too, so every foreign key resolves),
    described as the specification describes it."""
    return {
        "name": "tsunagu-directory",
        "title": "Tsunagu directory (Open Referral HSDS 3.0)",
        "description": (
            "Public organisations, services, locations and schedules of the directory, as HSDS "
            f"3.0 tables. {JSON_NAME} holds the same data as HSDS organization documents with "
            "their services nested."
        ),
        "profile": "tabular-data-package",
        "version": specification()["version"],
        "created": created.isoformat(timespec="seconds"),
        "resources": [
            {**resource, "encoding": "utf-8"} for resource in specification()["resources"]
        ],
    }


# --- Ids and taxonomies --------------------------------------------------------------------------


def derived_id(owner: uuid.UUID | str, role: str) -> str:
    """A stable id for a row the models do not store, e.g. an organisation's fax number."""
    owner = owner if isinstance(owner, uuid.UUID) else uuid.UUID(str(owner))
    return str(uuid.uuid5(owner, role))


def taxonomy_id(key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"taxonomy:{key}"))


def term_id(taxonomy: str, code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{taxonomy}:{code}"))


TAXONOMIES = {
    "category": ("Tsunagu service categories", "What a service offers (サービスの分類)."),
    "target_group": ("Tsunagu target groups", "Who a service is for (対象者)."),
    "organisation_kind": ("Tsunagu organisation kinds", "What an organisation is (種別)."),
    "field": (
        "Tsunagu fields",
        "Fields HSDS has no place for, given as attribute values (e.g. the reading of a name).",
    ),
}
READING_CODE = "reading"


def taxonomy_rows() -> list[dict]:
    return [
        {"id": taxonomy_id(key), "name": name, "description": description}
        for key, (name, description) in TAXONOMIES.items()
    ]


def taxonomy_terms() -> dict[tuple[str, str], dict]:
    """(taxonomy, code) → HSDS taxonomy_term: the categories (with their own uuids), the target
    groups, the kinds of organisation and the extra fields. Names in Japanese, descriptions in
    English (the choices' English labels)."""
    terms = {}

    def add(taxonomy, code, name, description, identifier=None):
        terms[(taxonomy, code)] = {
            "id": identifier or term_id(taxonomy, code),
            "code": code,
            "name": name,
            "description": description or name,
            "taxonomy": TAXONOMIES[taxonomy][0],
            "language": "ja",
            "taxonomy_id": taxonomy_id(taxonomy),
        }

    for term in TaxonomyTerm.objects.order_by("order", "code"):
        add("category", term.code, term.name, term.name_en, str(term.uuid))
    with translation.override("en"):
        for value, label in TargetGroup.choices:
            add("target_group", value, exports.TARGET_GROUP_NAMES[value], str(label))
        for value, label in Organisation.Kind.choices:
            add("organisation_kind", value, exports.KIND_NAMES[value], str(label))
    add("field", READING_CODE, "読み仮名", "The reading of the name in kana, for 五十音 order.")
    return terms


# --- Documents -----------------------------------------------------------------------------------


def _compact(record: dict, *, keep: tuple[str, ...] = ()) -> dict:
    """Drop empty values (HSDS types them as strings or numbers, never null), except required
    ones, which stay as empty strings."""
    return {
        key: value
        for key, value in record.items()
        if key in keep or (value is not None and value != "" and value != [])
    }


class DocumentBuilder:
    """Builds the HSDS organization document of each organisation (exports.Entry)."""

    def __init__(self):
        self.terms = taxonomy_terms()
        self.areas = {
            area["pk"]: area for area in Area.objects.values("pk", "parent_id", "name", "code")
        }
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        offset = timezone.now().astimezone(zone).utcoffset() or datetime.timedelta()
        hours, minutes = divmod(int(offset.total_seconds()) // 60, 60)
        self.utc_offset = (
            f"{'+' if offset >= datetime.timedelta() else '-'}{abs(hours):02d}:{minutes:02d}"
        )
        hours = offset.total_seconds() / 3600
        self.timezone_hours = int(hours) if hours.is_integer() else hours

    def attribute(self, *, link_id, link_entity, taxonomy, code, link_type, value=None) -> dict:
        term = self.terms.get((taxonomy, code))
        if term is None:  # a value no taxonomy knows (e.g. an unknown kind)
            return {}
        return _compact(
            {
                "id": derived_id(link_id, f"attribute:{taxonomy}:{code}"),
                "link_id": str(link_id),
                "taxonomy_term_id": term["id"],
                "link_type": link_type,
                "link_entity": link_entity,
                "value": value,
                "taxonomy_term": term,
            }
        )

    def organization(self, entry: exports.Entry) -> dict:
        organisation = entry.organisation
        org_id = str(organisation.uuid)
        phones = [
            {"id": derived_id(org_id, role), "organization_id": org_id, "number": number,
             "type": role}
            for role, number in (("voice", organisation.phone), ("fax", organisation.fax))
            if number
        ]  # fmt: skip
        identifiers = [
            {
                "id": str(number.uuid),
                "organization_id": org_id,
                "identifier_type": "介護保険事業所番号 (long-term care insurance office number)",
                "identifier": number.identifier,
            }
            for number in entry.care_offices
        ]
        if organisation.corporate_number:
            identifiers.append(
                {
                    "id": derived_id(org_id, "identifier:JP-JCN"),
                    "organization_id": org_id,
                    "identifier_scheme": "JP-JCN",
                    "identifier_type": "法人番号 (Japanese corporate number)",
                    "identifier": organisation.corporate_number,
                }
            )
        attributes = [
            self.attribute(
                link_id=org_id,
                link_entity="organization",
                taxonomy="organisation_kind",
                code=organisation.kind,
                link_type="organization_type",
            )
        ]
        if organisation.reading:
            attributes.append(
                self.attribute(
                    link_id=org_id,
                    link_entity="organization",
                    taxonomy="field",
                    code=READING_CODE,
                    link_type=READING_CODE,
                    value=organisation.reading,
                )
            )
        # A service is given at its organisation's places; none of another organisation's.
        location_ids = {location.pk: str(location.uuid) for location in entry.locations}
        return _compact(
            {
                "id": org_id,
                "name": organisation.name,
                "alternate_name": organisation.name_en,
                # Required by HSDS: without one, the kind (町会・自治会, NPO, ...) says the least.
                "description": organisation.description
                or exports.KIND_NAMES.get(organisation.kind, organisation.kind),
                "email": organisation.email,
                "website": organisation.website,
                "phones": phones,
                "organization_identifiers": identifiers,
                "attributes": [a for a in attributes if a],
                "locations": [self.location(loc, org_id=org_id) for loc in entry.locations],
                "services": [
                    self.service(
                        service, organisation=organisation, areas=entry.areas, places=location_ids
                    )
                    for service in entry.services
                ],
            },
        )

    def location(self, location, *, org_id: str) -> dict:
        location_id = str(location.uuid)
        shown = exports.address_shown(location, include_staff_only=False)
        addresses = []
        if shown and location.address:
            addresses.append(self.address(location))
        accessibility = []
        if location.accessibility:
            accessibility.append(
                {
                    "id": derived_id(location_id, "accessibility"),
                    "location_id": location_id,
                    "description": location.accessibility,
                }
            )
        return _compact(
            {
                "id": location_id,
                "location_type": "physical",
                "organization_id": org_id,
                "name": location.name,
                "latitude": float(location.latitude)
                if shown and location.latitude is not None
                else None,
                "longitude": float(location.longitude)
                if shown and location.longitude is not None
                else None,
                "addresses": addresses,
                "accessibility": accessibility,
            }
        )

    def address(self, location) -> dict:
        district = self.areas.get(location.district_id)
        municipality = self._municipality(location.district_id)
        prefecture, city, rest = split_address(
            location.address,
            municipality=municipality["name"] if municipality else "",
            municipality_code=municipality["code"] if municipality else "",
        )
        return _compact(
            {
                "id": derived_id(location.uuid, "address"),
                "location_id": str(location.uuid),
                "address_1": rest,
                "city": city,
                "region": district["name"] if district else "",
                "state_province": prefecture,
                "postal_code": location.postal_code,
                "country": COUNTRY,
                "address_type": "physical",
            },
            keep=("address_1", "city", "state_province", "postal_code"),
        )

    def _municipality(self, area_id) -> dict | None:
        area = self.areas.get(area_id)
        while area is not None and area["parent_id"] is not None:
            area = self.areas.get(area["parent_id"])
        return area

    def service(self, service, *, organisation, areas: list, places: dict[int, str]) -> dict:
        service_id = str(service.uuid)
        attributes = [
            self.attribute(
                link_id=service_id,
                link_entity="service",
                taxonomy="target_group",
                code=service.target_group,
                link_type="audience",
            ),
            *(
                self.attribute(
                    link_id=service_id,
                    link_entity="service",
                    taxonomy="category",
                    code=code,
                    link_type="category",
                )
                for code in service.categories
            ),
        ]
        languages = []
        for code in service.languages or []:
            try:
                name = get_language_info(str(code))["name"]
            except KeyError:
                name = ""
            languages.append(
                _compact(
                    {
                        "id": derived_id(service_id, f"language:{code}"),
                        "service_id": service_id,
                        "name": name,
                        "code": str(code),
                    }
                )
            )
        return _compact(
            {
                "id": service_id,
                "organization_id": str(organisation.uuid),
                "name": service.name,
                "description": service.description,
                "status": "active",
                "application_process": service.application_process,
                "fees_description": service.cost,
                "assured_date": organisation.last_verified_on.isoformat()
                if organisation.last_verified_on
                else None,
                "attributes": [a for a in attributes if a],
                "languages": languages,
                "schedules": [self.schedule(s, service_id=service_id) for s in service.schedules],
                "service_areas": [
                    {
                        "id": derived_id(service_id, f"service_area:{area.code}"),
                        "service_id": service_id,
                        "name": area.name,
                        "description": area.code,
                    }
                    for area in areas
                ],
                "service_at_locations": [
                    {
                        "id": str(placement.uuid),
                        "service_id": service_id,
                        "location_id": places[placement.location_id],
                    }
                    for placement in service.placements
                    if placement.location_id in places
                ],
            },
            keep=("status",),
        )

    def schedule(self, schedule, *, service_id: str) -> dict:
        record = {
            "id": str(schedule.uuid),
            "service_id": service_id,
            "valid_from": schedule.valid_from.isoformat() if schedule.valid_from else None,
            "valid_to": schedule.valid_to.isoformat() if schedule.valid_to else None,
            "opens_at": f"{schedule.opens_at:%H:%M}{self.utc_offset}"
            if schedule.opens_at
            else None,
            "closes_at": f"{schedule.closes_at:%H:%M}{self.utc_offset}"
            if schedule.closes_at
            else None,
            "description": exports.describe_schedules([schedule]),
            "notes": schedule.notes,
        }
        parts = rrule_parts(schedule.rrule)
        if parts is not None:
            record |= parts
            record["timezone"] = self.timezone_hours
            if parts.get("interval", 1) > 1 and schedule.valid_from:
                record["dtstart"] = schedule.valid_from.isoformat()
        return _compact(record)


# RRULE part → (HSDS field, converter); a rule with any other part is not expressible in HSDS.
_RRULE_FIELDS = {
    "FREQ": ("freq", str),
    "INTERVAL": ("interval", int),
    "BYDAY": ("byday", str),
    "BYMONTHDAY": ("bymonthday", str),
    "BYWEEKNO": ("byweekno", str),
    "BYYEARDAY": ("byyearday", str),
    "WKST": ("wkst", str),
    "COUNT": ("count", int),
    "UNTIL": ("until", lambda text: f"{text[:4]}-{text[4:6]}-{text[6:8]}"),
}
_ALL_DAYS = "MO,TU,WE,TH,FR,SA,SU"


def rrule_parts(rrule: str) -> dict | None:
    """An RFC 5545 RRULE as HSDS schedule fields, or None when HSDS cannot express it."""
    try:
        parts = dict(part.split("=", 1) for part in rrule.upper().strip().split(";") if part)
    except ValueError:
        return None
    if parts.get("FREQ") == "DAILY" and set(parts) <= {"FREQ", "INTERVAL", "UNTIL", "COUNT"}:
        if parts.pop("INTERVAL", "1") != "1":
            return None
        parts |= {"FREQ": "WEEKLY", "BYDAY": _ALL_DAYS}
    if parts.get("FREQ") not in ("WEEKLY", "MONTHLY") or not set(parts) <= set(_RRULE_FIELDS):
        return None
    try:
        return {_RRULE_FIELDS[key][0]: _RRULE_FIELDS[key][1](value) for key, value in parts.items()}
    except ValueError:
        return None


def split_address(address: str, *, municipality: str = "", municipality_code: str = ""):
    """(都道府県, 市区町村, the rest) of a Japanese address. When the address leaves out the
    prefecture or municipality (「若草区星川一丁目20番7号」 is common in a ward's own data),
    they come from the municipality the district belongs to: its name, and the prefecture its
    全国地方公共団体コード begins with; empty when neither says."""
    rest = address.strip()
    prefecture = next((name for name in PREFECTURES if rest.startswith(name)), "")
    rest = rest.removeprefix(prefecture).lstrip()
    if not prefecture and municipality_code[:2].isdigit() and len(municipality_code) in (5, 6):
        number = int(municipality_code[:2])
        prefecture = PREFECTURES[number - 1] if 1 <= number <= len(PREFECTURES) else ""
    if municipality and rest.startswith(municipality):
        city = municipality
    elif match := MUNICIPALITY.match(rest):
        city = match[1]
    else:
        city = municipality
    rest = rest.removeprefix(city).lstrip() if rest.startswith(city) else rest
    return prefecture, city, rest


# --- Reading the directory -----------------------------------------------------------------------


def organization_documents(*, chunk_size: int = exports.CHUNK_SIZE) -> Iterator[dict]:
    """The HSDS organization document of every public organisation, in 五十音 order, with the
    change log of its public fields as metadata (resources.stewardship), one query per chunk."""
    builder = DocumentBuilder()
    batch = []
    for entry in exports.directory_entries(chunk_size=chunk_size):
        batch.append(entry)
        if len(batch) == chunk_size:
            yield from _documents_with_metadata(builder, batch)
            batch = []
    yield from _documents_with_metadata(builder, batch)


def _documents_with_metadata(builder, entries) -> Iterator[dict]:
    if not entries:
        return
    metadata = stewardship.hsds_metadata(organisation_ids=[e.organisation.pk for e in entries])
    for entry in entries:
        document = builder.organization(entry)
        if metadata.get(entry.organisation.pk):
            document["metadata"] = metadata[entry.organisation.pk]
        yield document


def table_rows(document: dict, table: str = "organization") -> Iterator[tuple[str, dict]]:
    """A document and its nested objects as (HSDS table, row) pairs, each row holding exactly
    that table's CSV fields."""
    yield table, {name: document.get(name) for name in table_fields(table)}
    for key, child_table in CHILD_TABLES.items():
        for child in document.get(key, ()):
            yield from table_rows(child, child_table)


# --- Writing -------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_directory(directory: Path, *, chunk_size: int = exports.CHUNK_SIZE) -> dict[str, int]:
    """Write the datapackage into a directory; returns the number of rows per table (and of
    documents under JSON_NAME)."""
    directory.mkdir(parents=True, exist_ok=True)
    created = timezone.now()
    specs = tables()
    counts = dict.fromkeys(specs, 0)
    writers = {}
    with contextlib.ExitStack() as files:
        for name, spec in specs.items():
            # Plain UTF-8 (no byte order mark): these files are for other systems, not Excel.
            handle = files.enter_context(
                open(directory / spec["path"], "w", encoding="utf-8", newline="")
            )
            writers[name] = csv.writer(handle, lineterminator="\r\n")
            writers[name].writerow(table_fields(name))

        def write(table: str, row: dict):
            writers[table].writerow(_cell(row.get(field)) for field in table_fields(table))
            counts[table] += 1

        for row in taxonomy_rows():
            write("taxonomy", row)
        for term in taxonomy_terms().values():
            write("taxonomy_term", term)
        write(
            "meta_table_description",
            {
                "id": str(uuid.uuid5(NAMESPACE, "meta_table_description")),
                "name": "Tsunagu directory",
                "language": "ja",
                "character_set": "UTF-8",
            },
        )
        documents = 0
        stream = files.enter_context(open(directory / JSON_NAME, "w", encoding="utf-8"))
        stream.write("[")
        for document in organization_documents(chunk_size=chunk_size):
            stream.write(",\n" if documents else "\n")
            # dumps, not dump: only dumps uses the C encoder (five times faster here).
            stream.write(json.dumps(document, ensure_ascii=False))
            documents += 1
            for table, row in table_rows(document):
                write(table, row)
        stream.write("\n]\n")
    (directory / "datapackage.json").write_text(
        json.dumps(descriptor(created=created), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    return counts | {JSON_NAME: documents}


def write_zip(target, *, chunk_size: int = exports.CHUNK_SIZE) -> dict[str, int]:
    """The datapackage as a zip file (a path or a binary file object)."""
    with tempfile.TemporaryDirectory(prefix="hsds-") as scratch:
        folder = Path(scratch)
        counts = write_directory(folder, chunk_size=chunk_size)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, arcname=path.name)
    return counts
