"""Importing our own export (resources.exports): the same data back, ids kept, and the errors
of its columns, with nothing written."""

import csv
import io

import pytest

from districts.tables import ImportRejected
from resources import exports
from resources.imports import resource_import
from resources.models import Location, Organisation, OrganisationIdentifier, Schedule, Service
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = (Organisation, Location, Service, Schedule, OrganisationIdentifier)
HEADER = ["組織ID", "名称", "種別", "電話番号", "拠点地区コード", "ケース連携", "公開区分",
          "サービスID", "サービス名", "スケジュール", "場所ID", "住所", "地区コード"]  # fmt: skip
OWN = {
    "組織ID": "5f0c8d8e-0000-4000-8000-000000000001",
    "名称": "桜台サロン",
    "種別": "サロン・ミニデイ",
}


def table(*rows: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in HEADER})
    return buffer.getvalue().encode()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def rejected(source: bytes) -> set[tuple]:
    before = counts()
    with pytest.raises(ImportRejected) as error:
        resource_import(source=source, filename="directory.csv")
    assert counts() == before
    return {(problem.line, problem.column) for problem in error.value.problems}


def export(include_staff_only=True) -> bytes:
    buffer = io.BytesIO()
    exports.write_csv(buffer, include_staff_only=include_staff_only)
    return buffer.getvalue()


def test_an_export_imported_again_changes_nothing():
    factories.export_directory()
    before = counts()
    for staff in (True, False):  # a public export leaves out some entries and hidden addresses
        report = resource_import(source=export(include_staff_only=staff))
        assert (report.created, report.updated, report.merged) == (0, 0, 0)
        assert counts() == before


def test_an_export_imported_into_an_empty_directory_gives_the_same_file():
    factories.export_directory()
    exported = export()
    Organisation.objects.all().delete()
    report = resource_import(source=exported, filename="directory.csv")
    assert report.created == 4
    assert export() == exported  # the same ids, values and rows


def test_the_excel_export_imports_too():
    factories.export_directory()
    buffer = io.BytesIO()
    exports.write_xlsx(buffer, include_staff_only=True)
    csv_before = export()
    Organisation.objects.all().delete()
    resource_import(source=buffer.getvalue(), filename="directory.xlsx")
    assert export() == csv_before


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"組織ID": "12345"}, "組織ID"),
        ({"拠点地区コード": "NOPE"}, "拠点地区コード"),
        ({"ケース連携": "たぶん"}, "ケース連携"),
        ({"公開区分": "秘密"}, "公開区分"),
        ({"種別": "宇宙港"}, "種別"),
        ({"種別": ""}, "種別"),  # needed for a new organisation
        ({"サービスID": "5f0c8d8e-0000-4000-8000-000000000002", "サービス名": ""}, "サービス名"),
        ({"サービス名": "体操", "スケジュール": "毎週水曜"}, "スケジュール"),
        ({"場所ID": "x", "住所": "ひばり野区桜台一丁目1番"}, "場所ID"),
        ({"住所": "ひばり野区桜台一丁目1番", "地区コード": "D9"}, "地区コード"),
    ],
)
def test_errors_in_our_own_format(cells, column):
    factories.population_tree()
    assert rejected(table(OWN | cells)) == {(2, column)}


def test_rows_of_one_organisation_must_agree():
    factories.population_tree()
    rows = [
        OWN | {"サービス名": "体操", "電話番号": "03-1111-2222"},
        OWN | {"サービス名": "お茶会", "電話番号": "03-3333-4444"},
    ]
    assert rejected(table(*rows)) == {(3, "電話番号")}


def test_our_own_format_reads_codes_and_schedules():
    areas = factories.population_tree()
    row = OWN | {
        "拠点地区コード": "D1",
        "ケース連携": "はい",
        "公開区分": "職員のみ",
        "サービス名": "体操",
        "スケジュール": "FREQ=MONTHLY;BYDAY=2TU,4TU 10:00-12:00\nFREQ=WEEKLY;BYDAY=WE",
        "住所": "ひばり野区柏木一丁目1番",
    }
    resource_import(source=table(row))
    organisation = Organisation.objects.get()
    assert str(organisation.uuid) == OWN["組織ID"]
    assert (organisation.kind, organisation.home_area, organisation.is_agency) == (
        Organisation.Kind.SALON,
        areas.sakuradai,
        True,
    )
    assert organisation.visibility == "staff"
    assert organisation.locations.get().district == areas.kashiwagi  # resolved from the address
    assert sorted(organisation.services.get().schedules.values_list("rrule", flat=True)) == [
        "FREQ=MONTHLY;BYDAY=2TU,4TU",
        "FREQ=WEEKLY;BYDAY=WE",
    ]
