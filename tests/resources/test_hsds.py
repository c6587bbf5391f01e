"""The HSDS 3.0 export, checked against the vendored specification (resources/hsds_schema):
JSON documents against the JSON schemas, CSV tables against the datapackage descriptor."""

import csv
import datetime
import io
import json
import uuid
import zipfile

import jsonschema
import pytest
from django.core.management import call_command
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from resources import hsds
from resources.models import Organisation, Schedule
from tests import factories

pytestmark = pytest.mark.django_db

SCHEMAS = hsds.SCHEMA_DIR / "schema"
UNKNOWABLE = {"postal_code", "state_province"}


def organization_validator() -> jsonschema.Draft202012Validator:
    """The specification's compiled/organization.json, built from the small schemas it is
    compiled from: organization.json with its $refs resolved, plus `services`, an array of
    service.json (which is all the compiler adds; checked against the compiled file when the
    schema was vendored)."""
    schemas = {path.name: json.loads(path.read_text()) for path in SCHEMAS.glob("*.json")}
    registry = Registry().with_resources(
        (name, DRAFT202012.create_resource(schema)) for name, schema in schemas.items()
    )
    organization = schemas["organization.json"]
    organization = organization | {
        "properties": organization["properties"]
        | {"services": {"type": "array", "items": {"$ref": "service.json"}}}
    }
    return jsonschema.Draft202012Validator(
        organization,
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


@pytest.fixture
def directory():
    return factories.export_directory()


@pytest.fixture
def package(directory, tmp_path):
    """The export written by the command as a zip: {file name: text}."""
    call_command(
        "export_resources", str(tmp_path / "hsds.zip"), "--format=hsds", stdout=io.StringIO()
    )
    with zipfile.ZipFile(tmp_path / "hsds.zip") as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def table(package, name) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(package[hsds.tables()[name]["path"]], newline="")))


def documents(package) -> list[dict]:
    return json.loads(package[hsds.JSON_NAME])


def by_id(rows) -> dict[str, dict]:
    return {row["id"]: row for row in rows}


# --- Valid HSDS --------------------------------------------------------------------------------


def test_each_document_is_a_valid_hsds_organization(package):
    validator = organization_validator()
    docs = documents(package)
    assert len(docs) == 3
    for document in docs:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == [], document["name"]


def test_the_validator_catches_what_breaks_the_schema(package):
    validator = organization_validator()
    document = documents(package)[-1]
    assert validator.is_valid(document)
    salon = next(d for d in documents(package) if d["name"] == "桜台ふれあいサロン")
    del salon["name"]
    salon["services"][0]["schedules"][0]["freq"] = "DAILY"
    salon["locations"][0]["latitude"] = "35.65"
    salon["services"][0]["id"] = "42"
    messages = [error.message for error in validator.iter_errors(salon)]
    assert "'name' is a required property" in messages
    assert "'DAILY' is not one of ['WEEKLY', 'MONTHLY']" in messages
    assert "'35.65' is not of type 'number'" in messages
    assert "'42' is not a 'uuid'" in messages


def test_every_table_is_there_with_the_specified_header(package):
    descriptor = json.loads(package["datapackage.json"])
    assert descriptor["profile"] == "tabular-data-package"
    specified = hsds.specification()["resources"]
    assert [r["name"] for r in descriptor["resources"]] == [r["name"] for r in specified]
    assert set(package) == {r["path"] for r in specified} | {"datapackage.json", hsds.JSON_NAME}
    for resource in specified:
        header = next(csv.reader(io.StringIO(package[resource["path"]])))
        assert header == [field["name"] for field in resource["schema"]["fields"]], resource["name"]


def test_required_fields_are_filled_and_ids_are_unique_uuids(package):
    for resource in hsds.specification()["resources"]:
        rows = table(package, resource["name"])
        required = [
            field["name"]
            for field in resource["schema"]["fields"]
            if field.get("constraints", {}).get("required")
        ]
        for row in rows:
            missing = [name for name in required if not row[name]]
            if resource["name"] == "address":
                # Not invented when the directory does not know them (the annex has no postal
                # code): written empty, which HSDS validators report, rather than made up.
                missing = [name for name in missing if name not in UNKNOWABLE]
            assert missing == [], (resource["name"], row)
            for field in resource["schema"]["fields"]:
                if field.get("format") == "uuid" and row[field["name"]]:
                    uuid.UUID(row[field["name"]])  # never a database id
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), resource["name"]


def test_foreign_keys_point_at_rows_in_the_package(package):
    for resource in hsds.specification()["resources"]:
        for key in resource["schema"].get("foreignKeys", []):
            targets = {row["id"] for row in table(package, key["reference"]["resource"])}
            for row in table(package, resource["name"]):
                value = row[key["fields"]]
                assert not value or value in targets, (resource["name"], key["fields"], value)


def test_csv_tables_hold_what_the_documents_hold(package):
    docs = documents(package)
    assert {row["id"] for row in table(package, "organization")} == {d["id"] for d in docs}
    services = {s["id"] for d in docs for s in d.get("services", [])}
    assert {row["id"] for row in table(package, "service")} == services


# --- Public entries only -------------------------------------------------------------------------


def test_staff_only_entries_and_hidden_addresses_never_appear(directory, package):
    everything = "\n".join(package.values())
    for secret in (
        "会員制サークル",
        str(directory.circle.uuid),
        "会員限定の見守り",
        str(directory.members_only.uuid),
        factories.SECRET_ADDRESS,
        "柏木九丁目",
        "154-0099",
        "35.612345",
        "139.612345",
    ):
        assert secret not in everything
    hidden = by_id(table(package, "location"))[str(directory.hidden.uuid)]
    assert hidden["latitude"] == hidden["longitude"] == ""
    assert str(directory.hidden.uuid) not in {
        row["location_id"] for row in table(package, "address")
    }
    # The service is still said to be given there.
    placements = {
        row["service_id"]: row["location_id"] for row in table(package, "service_at_location")
    }
    assert placements[str(directory.refuge.uuid)] == str(directory.hidden.uuid)


# --- The mapping ---------------------------------------------------------------------------------


def test_organisation_mapping(directory, package):
    salon = directory.salon
    row = by_id(table(package, "organization"))[str(salon.uuid)]
    assert (row["name"], row["alternate_name"]) == ("桜台ふれあいサロン", "Sakuradai Salon")
    assert row["email"] == "salon@example.jp" and row["website"] == "https://salon.example.jp/"
    phones = {r["type"]: r["number"] for r in table(package, "phone")}
    assert phones == {"voice": "03-1234-5678", "fax": "03-1234-5679"}
    identifiers = {
        r["identifier"]: r["identifier_scheme"] for r in table(package, "organization_identifier")
    }
    assert identifiers == {"1234567890123": "JP-JCN", "1371234567": ""}
    terms = by_id(table(package, "taxonomy_term"))
    attributes = [r for r in table(package, "attribute") if r["link_id"] == str(salon.uuid)]
    found = {terms[a["taxonomy_term_id"]]["code"]: a["value"] for a in attributes}
    assert found == {"salon": "", "reading": "さくらだいふれあいさろん"}
    assert {a["link_entity"] for a in attributes} == {"organization"}


def test_service_mapping(directory, package):
    gathering = directory.gathering
    service = by_id(table(package, "service"))[str(gathering.uuid)]
    assert service["status"] == "active"
    assert service["organization_id"] == str(directory.salon.uuid)
    assert service["fees_description"] == "1回100円"
    assert service["application_process"] == "当日会場へ"
    assert service["assured_date"] == "2026-05-01"  # last verified
    assert service["assurer_email"] == ""  # a member of staff: never published
    attributes = [r for r in table(package, "attribute") if r["link_id"] == str(gathering.uuid)]
    terms = by_id(table(package, "taxonomy_term"))
    codes = {
        (terms[a["taxonomy_term_id"]]["taxonomy"], terms[a["taxonomy_term_id"]]["code"])
        for a in attributes
    }
    assert codes == {
        ("Tsunagu target groups", "elderly"),
        ("Tsunagu service categories", "salon"),
        ("Tsunagu service categories", "hiroba"),
    }
    category = terms[str(directory.terms[0].uuid)]  # categories keep their own uuids
    assert (category["name"], category["description"]) == ("介護予防・サロン", "Salons")
    assert terms[str(directory.terms[1].uuid)]["description"] == "子育てひろば"  # required
    languages = [r["code"] for r in table(package, "language") if r["service_id"] == service["id"]]
    assert sorted(languages) == ["en", "ja"]
    areas = [r for r in table(package, "service_area") if r["service_id"] == service["id"]]
    assert sorted((a["name"], a["description"]) for a in areas) == [("桜台", "D1"), ("若葉", "D2")]
    places = [
        r["location_id"]
        for r in table(package, "service_at_location")
        if r["service_id"] == service["id"]
    ]
    assert sorted(places) == sorted([str(directory.hall.uuid), str(directory.park.uuid)])


def test_schedule_mapping(directory, package):
    rows = [
        r for r in table(package, "schedule") if r["service_id"] == str(directory.gathering.uuid)
    ]
    monthly, weekly = sorted(rows, key=lambda r: r["opens_at"])
    assert (monthly["freq"], monthly["byday"], monthly["interval"]) == ("MONTHLY", "2TU,4TU", "")
    assert (monthly["opens_at"], monthly["closes_at"]) == ("10:00+09:00", "12:00+09:00")
    assert monthly["timezone"] == "9"
    assert monthly["notes"] == "祝日は休み"
    assert monthly["description"].startswith("毎月第2・第4火曜 10:00")
    assert (weekly["freq"], weekly["byday"]) == ("WEEKLY", "WE")
    assert (weekly["valid_from"], weekly["valid_to"]) == ("2026-04-01", "2027-03-31")


def test_location_and_address_mapping(directory, package):
    hall = by_id(table(package, "location"))[str(directory.hall.uuid)]
    assert hall["location_type"] == "physical" and hall["name"] == "桜台会館"
    assert (hall["latitude"], hall["longitude"]) == ("35.65", "139.65")
    (address,) = [r for r in table(package, "address") if r["location_id"] == hall["id"]]
    assert address["state_province"] == "東京都"
    assert address["city"] == "ひばり野区"
    assert address["address_1"] == "桜台一丁目2番3号"
    assert address["region"] == "桜台"  # the district
    assert (address["postal_code"], address["country"]) == ("154-0001", "JP")
    # No prefecture in the address: the municipality's code (139999) says 東京都.
    (annex,) = [
        r for r in table(package, "address") if r["location_id"] == str(directory.annex.uuid)
    ]
    assert (annex["state_province"], annex["city"], annex["address_1"]) == (
        "東京都",
        "ひばり野区",
        "若葉一丁目5番",
    )
    (access,) = table(package, "accessibility")
    assert (
        access["location_id"] == hall["id"]
        and access["description"] == "車いす可、エレベーターあり"
    )


def test_ids_are_stable_from_one_export_to_the_next(directory, tmp_path):
    first = hsds.write_directory(tmp_path / "one")
    second = hsds.write_directory(tmp_path / "two")
    assert first == second
    for path in (tmp_path / "one").glob("*.csv"):
        assert path.read_text() == (tmp_path / "two" / path.name).read_text(), path.name


def test_an_organisation_without_description_is_described_by_its_kind(tmp_path):
    factories.organisation("説明のない町会", kind=Organisation.Kind.NEIGHBOURHOOD, description="")
    hsds.write_directory(tmp_path)
    (document,) = json.loads((tmp_path / hsds.JSON_NAME).read_text())
    assert document["description"] == "町会・自治会"  # required: the kind stands in
    assert organization_validator().is_valid(document)


# --- Pieces --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rrule", "fields"),
    [
        ("FREQ=WEEKLY;BYDAY=MO,WE", {"freq": "WEEKLY", "byday": "MO,WE"}),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", {"freq": "WEEKLY", "interval": 2, "byday": "SA"}),
        ("FREQ=MONTHLY;BYDAY=-1FR", {"freq": "MONTHLY", "byday": "-1FR"}),
        ("FREQ=MONTHLY;BYMONTHDAY=15", {"freq": "MONTHLY", "bymonthday": "15"}),
        ("FREQ=DAILY", {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU"}),
        (
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270331T000000Z",
            {"freq": "WEEKLY", "byday": "TU", "until": "2027-03-31"},
        ),
        ("FREQ=DAILY;INTERVAL=3", None),  # every third day: no HSDS equivalent
        ("FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1", None),
        ("nonsense", None),
    ],
)
def test_rrule_parts(rrule, fields):
    assert hsds.rrule_parts(rrule) == fields


def test_a_yearly_schedule_keeps_its_description_only(directory, tmp_path):
    Schedule.objects.create(
        service=directory.refuge,
        rrule="FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=1",
        opens_at=datetime.time(10),
    )
    hsds.write_directory(tmp_path)
    rows = list(csv.DictReader((tmp_path / "schedules.csv").open(encoding="utf-8")))
    (yearly,) = [r for r in rows if r["service_id"] == str(directory.refuge.uuid)]
    assert yearly["freq"] == yearly["timezone"] == ""
    assert yearly["description"].startswith("毎年8月1日")


@pytest.mark.parametrize(
    ("address", "municipality", "code", "parts"),
    [
        ("東京都世田谷区太子堂2-17-1", "", "", ("東京都", "世田谷区", "太子堂2-17-1")),
        ("神奈川県横浜市青葉区市ケ尾町31", "", "", ("神奈川県", "横浜市", "青葉区市ケ尾町31")),
        ("三重県四日市市諏訪町1-5", "四日市市", "242021", ("三重県", "四日市市", "諏訪町1-5")),
        ("北海道虻田郡倶知安町北1条東3", "", "", ("北海道", "虻田郡倶知安町", "北1条東3")),
        ("若草区星川一丁目20番7号", "若草区", "wakakusa", ("", "若草区", "星川一丁目20番7号")),
        ("星川一丁目20番7号", "若草区", "131130", ("東京都", "若草区", "星川一丁目20番7号")),
    ],
)
def test_split_address(address, municipality, code, parts):
    assert hsds.split_address(address, municipality=municipality, municipality_code=code) == parts
