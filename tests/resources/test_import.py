"""Importing the directory (resources.imports): each layout and encoding, values as Japanese
tables write them, every class of error with nothing written, dry runs, importing again, likely
duplicates and merging, and warnings."""

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from django.utils import translation

from districts.tables import ImportRejected
from resources.imports import ImportReport, address_key, resource_import
from resources.models import (
    Location,
    Organisation,
    OrganisationIdentifier,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from tests import factories

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
CARE = DATA / "care_services_sjis.csv"  # 介護サービス事業所一覧, Shift_JIS (CP932)
MHLW = DATA / "mhlw_care.csv"  # 介護サービス情報公表システム, UTF-8
CHILDCARE = DATA / "childcare.csv"  # 子育て施設一覧, UTF-8 with BOM
CARE_HEADER = [
    "介護サービス事業所名称",
    "介護サービス事業所名称_カナ",
    "実施サービス",
    "住所",
    "方書",
    "緯度",
    "経度",
    "電話番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    "事業所番号",
    "利用可能曜日",
    "利用可能日時特記事項",
    "定員",
    "URL",
    "備考",
]
CHILDCARE_HEADER = [
    "名称",
    "種別",
    "所在地_連結表記",
    "電話番号",
    "郵便番号",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "最終確認日",
]
GOOD = {
    "介護サービス事業所名称": "デイサービスひだまり",
    "実施サービス": "通所介護",
    "住所": "東京都ひばり野区桜台一丁目2番3号",
    "電話番号": "03-1234-5678",
    "事業所番号": "1370000001",
}
MODELS = (Organisation, Location, Service, ServiceAtLocation, Schedule, OrganisationIdentifier)


@pytest.fixture(autouse=True)
def areas():
    """ひばり野区 (139999): 桜台 D1 (桜台一丁目), 若葉 D2 (若葉一丁目, 桜台二丁目), 柏木 D3."""
    return factories.population_tree()


def table(header: list[str], *rows: dict, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in header})
    return buffer.getvalue().encode(encoding)


def care(*rows: dict) -> bytes:
    return table(CARE_HEADER, *rows)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def rejected(source: bytes, filename: str = "file.csv", **options) -> set[tuple]:
    """The (line, column) of each problem; checks that nothing was written."""
    before = counts()
    with pytest.raises(ImportRejected) as error:
        resource_import(source=source, filename=filename, **options)
    assert counts() == before
    return {(problem.line, problem.column) for problem in error.value.problems}


def located(warnings) -> list[tuple]:
    """Warnings about a cell (not the per-file ones, such as a category that does not exist)."""
    return [(w.line, w.column) for w in warnings if w.column]


def messages(source: bytes, filename: str = "file.csv") -> list[str]:
    with pytest.raises(ImportRejected) as error, translation.override("en"):
        resource_import(source=source, filename=filename)
    return [problem.message for problem in error.value.problems]


# --- Layouts and encodings ------------------------------------------------------------------------


def test_care_services_in_shift_jis(areas):
    report = resource_import(source=CARE)
    assert (report.layout, report.rows, report.created) == ("care", 3, 3)
    assert report.ignored_columns == ["NO", "都道府県名", "市区町村名"]
    day_service = Organisation.objects.get(name="デイサービスひだまり")
    assert day_service.kind == Organisation.Kind.CARE_PROVIDER
    assert day_service.reading == "でいさーびすひだまり"  # katakana kept in hiragana
    assert day_service.phone == "03-1234-5678"  # 全角 digits and dashes
    assert day_service.corporate_number == "1234567890123"
    assert day_service.website == "https://hidamari.example.jp/"
    assert day_service.home_area == areas.sakuradai
    assert "送迎あり" in day_service.description
    assert "社会福祉法人ひだまり会" in day_service.description
    assert list(day_service.identifiers.values_list("scheme", "identifier")) == [
        ("jp-care-office", "1370000001")
    ]
    location = day_service.locations.get()
    assert location.address == "東京都ひばり野区桜台一丁目2番3号 ひだまりビル1階"
    assert location.district == areas.sakuradai
    assert (location.latitude, location.longitude) == (Decimal("35.6501"), Decimal("139.6502"))
    service = day_service.services.get()
    assert (service.name, service.target_group) == ("通所介護", "elderly")
    assert "定員: 30" in service.description
    assert list(service.locations.all()) == [location]
    schedule = service.schedules.get()
    assert (schedule.rrule, schedule.notes) == ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "祝日は休み")
    hospital = Organisation.objects.get(name="隣町リハビリ病院")
    hours = hospital.services.get().schedules.get()
    assert (hours.rrule, hours.opens_at, hours.closes_at) == (
        "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        datetime.time(9),
        datetime.time(17),
    )


def test_mhlw_open_data_in_utf8(areas):
    report = resource_import(source=MHLW)
    assert (report.layout, report.created) == ("mhlw", 2)
    office = Organisation.objects.get(name="ケアプランセンターさくら")
    assert office.fax == "03-3456-7891"
    location = office.locations.get()
    assert location.address == "東京都ひばり野区桜台一丁目8番1号 さくらビル2F"  # 方書（ビル名等）
    schedule = office.services.get().schedules.get()
    assert schedule.notes == "年末年始は休み"  # 利用可能曜日特記事項
    home = Organisation.objects.get(name="グループホームかしわ")
    assert home.locations.get().district == areas.kashiwagi
    assert home.services.get().schedules.get().rrule == "FREQ=DAILY"


def test_childcare_with_bom_and_split_address(areas):
    report = resource_import(source=CHILDCARE)
    assert (report.layout, report.created) == ("childcare", 3)
    nursery = Organisation.objects.get(name="ひばり野保育園")
    assert (nursery.kind, nursery.name_en) == (Organisation.Kind.CHILDCARE, "Hibarino Nursery")
    location = nursery.locations.get()
    # 所在地_都道府県 + 市区町村 + 町字 + 番地以下; 〒 dropped from the postal code.
    assert (location.address, location.postal_code) == (
        "東京都ひばり野区桜台一丁目4番5号",
        "154-0001",
    )
    service = nursery.services.get()
    assert service.target_group == "children"
    schedule = service.schedules.get()
    assert (schedule.rrule, schedule.opens_at, schedule.closes_at, schedule.notes) == (
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA",
        datetime.time(7, 30),
        datetime.time(18, 30),
        "延長保育あり",
    )
    hall = Organisation.objects.get(name="わかば児童館")
    assert hall.kind == Organisation.Kind.GOVERNMENT
    assert hall.locations.get().postal_code == "154-0002"  # 1540002
    assert list(hall.identifiers.values_list("identifier", flat=True)) == ["139999:C002"]
    hiroba = Organisation.objects.get(name="かしわぎ子育てひろば")
    assert hiroba.locations.get().address == "東京都ひばり野区柏木一丁目2番 柏木会館1階"
    assert hiroba.services.get().schedules.get().rrule == "FREQ=MONTHLY;BYDAY=1WE,3WE"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_the_same_table_in_each_encoding(encoding):
    source = table(CARE_HEADER, GOOD | {"介護サービス事業所名称_カナ": "ﾃﾞｲｻｰﾋﾞｽ"}, encoding=encoding)
    resource_import(source=source)
    organisation = Organisation.objects.get()
    assert (organisation.name, organisation.reading) == ("デイサービスひだまり", "でいさーびす")


def test_excel(areas):
    frame = pd.DataFrame(
        [
            {
                "名称": "ひばり野保育園",
                "種別": "認可保育所",
                "所在地_連結表記": "ひばり野区桜台一丁目4番5号",
                "電話番号": "03-5555-0001",
                # Excel cells typed as times and dates reach us as text like these.
                "開始時間": "07:30:00",
                "終了時間": "18:30:00",
                "利用可能曜日": "月～金",
                "最終確認日": "2026-04-01 00:00:00",
            }
        ]
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    resource_import(source=buffer.getvalue(), filename="施設一覧.xlsx")
    organisation = Organisation.objects.get()
    assert organisation.last_verified_on == datetime.date(2026, 4, 1)
    schedule = organisation.services.get().schedules.get()
    assert (schedule.opens_at, schedule.closes_at) == (datetime.time(7, 30), datetime.time(18, 30))


# --- Values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["〒154-0001", "1540001", "１５４－０００１", "〒 154 - 0001", "154ー0001"]
)
def test_postal_codes_are_written_one_way(written):
    resource_import(
        source=table(CHILDCARE_HEADER, {"名称": "園", "種別": "保育所", "郵便番号": written,
                                        "所在地_連結表記": "ひばり野区桜台一丁目4番"})
    )  # fmt: skip
    assert Location.objects.get().postal_code == "154-0001"


def test_a_postal_code_at_the_start_of_the_address_moves_to_its_field():
    resource_import(source=care(GOOD | {"住所": "〒154-0001 東京都ひばり野区桜台一丁目2番3号"}))
    location = Location.objects.get()
    assert (location.postal_code, location.address) == (
        "154-0001",
        "東京都ひばり野区桜台一丁目2番3号",
    )


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("令和6年4月1日", datetime.date(2024, 4, 1)),
        ("R6.4.1", datetime.date(2024, 4, 1)),
        ("令和元年5月1日", datetime.date(2019, 5, 1)),
        ("２０２４／４／１", datetime.date(2024, 4, 1)),
    ],
)
def test_dates_in_wareki_and_zenkaku(written, day):
    resource_import(source=table(CHILDCARE_HEADER, {"名称": "園", "種別": "保育所",
                                                    "最終確認日": written}))  # fmt: skip
    assert Organisation.objects.get().last_verified_on == day


def test_address_keys_ignore_how_the_address_is_written():
    assert address_key("東京都ひばり野区桜台一丁目2番3号", municipalities=["ひばり野区"]) == (
        address_key("桜台1-2-3", municipalities=["ひばり野区"])
    )
    assert address_key("〒154-0001 桜台１丁目２－３") == "桜台1-2-3"


def test_categories_are_matched_not_created():
    term = TaxonomyTerm.objects.create(code="day-care", name="通所介護", target_group="disability")
    report = resource_import(
        source=care(GOOD, GOOD | {"事業所番号": "2", "実施サービス": "短期入所生活介護"})
    )
    matched = Service.objects.get(categories=term)
    assert matched.organisation.name == "デイサービスひだまり"
    assert matched.target_group == "disability"  # the category's, not the dataset's
    assert TaxonomyTerm.objects.count() == 1
    assert [(w.line, "短期入所生活介護" in w.message) for w in report.warnings] == [(3, True)]


def test_an_unreadable_schedule_is_kept_in_the_description_with_a_warning():
    report = resource_import(source=care(GOOD | {"利用可能曜日": "要相談", "定員": "20"}))
    service = Service.objects.get()
    assert not service.schedules.exists()
    assert "利用可能曜日: 要相談" in service.description
    assert located(report.warnings) == [(2, "利用可能曜日")]


def test_an_address_outside_every_district_is_a_warning(areas):
    report = resource_import(
        source=care(GOOD | {"住所": "東京都となり市本町1-1", "事業所番号": "9"}, GOOD)
    )
    assert report.created == 2
    assert located(report.warnings) == [(2, "住所")]
    assert any("東京都となり市本町1-1" in w.message for w in report.warnings)
    outside = Organisation.objects.get(identifiers__identifier="9")
    assert outside.home_area is None and outside.locations.get().district is None
    inside = Organisation.objects.get(identifiers__identifier="1370000001")
    assert inside.locations.get().district == areas.sakuradai


def test_search_keys_are_written():
    resource_import(source=care(GOOD))
    organisation = Organisation.objects.get()
    assert "でいさーびすひだまり" in organisation.search_text
    assert "通所介護" in organisation.search_text  # the service's name


# --- Every class of error: nothing written ------------------------------------------------------


def test_an_unknown_header_is_rejected():
    assert rejected(table(["施設", "所在地"], {"施設": "x"})) == {(1, None)}


def test_a_missing_required_column_is_rejected():
    assert rejected(table(["名称", "所在地_連結表記"], {"名称": "園"})) == {(1, "種別")}


def test_a_file_that_is_no_table_is_rejected():
    assert len(rejected("名称,種別\n園,保育所\n".encode("utf-16"))) == 1
    assert rejected(b"not a workbook", filename="x.xlsx") == {(None, None)}


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"介護サービス事業所名称": ""}, "介護サービス事業所名称"),
        ({"緯度": "北緯35度", "経度": "139.6"}, "緯度"),
        ({"緯度": "139.65", "経度": "35.65"}, "緯度"),  # swapped: outside Japan
        ({"緯度": "35.65"}, "経度"),  # one without the other
        ({"電話番号": "03-1234"}, "電話番号"),
        ({"電話番号": "電話なし"}, "電話番号"),
        ({"FAX番号": "1234-5678-90"}, "FAX番号"),
        ({"法人番号": "12345"}, "法人番号"),
        ({"URL": "ひだまりのホームページ"}, "URL"),
        ({"定員": "多数"}, "定員"),
        ({"実施サービス": "x" * 201}, "実施サービス"),
    ],
)
def test_a_bad_cell_is_rejected_with_its_line_and_column(cells, column):
    source = care({"介護サービス事業所名称": "よいサロン", "住所": "ひばり野区若葉一丁目5番"},
                  GOOD | cells)  # fmt: skip
    problems = rejected(source)
    assert (3, column) in problems
    assert {line for line, _column in problems} == {3}


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"最終確認日": "令和6年13月1日"}, "最終確認日"),
        ({"最終確認日": "平成31年5月1日"}, "最終確認日"),  # that day is 令和元年5月1日
        ({"開始時間": "25:00"}, "開始時間"),
        ({"種別": "謎の施設"}, "種別"),  # unknown kind
        ({"種別": ""}, "種別"),
        ({"郵便番号": "154-01"}, "郵便番号"),
    ],
)
def test_childcare_errors(cells, column):
    row = {"名称": "ひばり野保育園", "種別": "保育所", "所在地_連結表記": "ひばり野区桜台一丁目4番"}
    assert rejected(table(CHILDCARE_HEADER, row | cells)) == {(2, column)}


def test_every_bad_row_is_listed():
    source = care(
        GOOD | {"電話番号": "x"},
        GOOD | {"事業所番号": "2", "介護サービス事業所名称": ""},
        GOOD | {"事業所番号": "3"},
        GOOD | {"事業所番号": "4", "緯度": "abc", "経度": "139.6", "法人番号": "1"},
    )
    assert rejected(source) == {
        (2, "電話番号"),
        (3, "介護サービス事業所名称"),
        (5, "緯度"),
        (5, "法人番号"),
    }


def test_a_row_repeated_in_the_file_is_rejected():
    assert rejected(care(GOOD, GOOD | {"電話番号": "03-9999-0000"})) == {(3, None)}
    assert "line 2" in " ".join(messages(care(GOOD, GOOD)))


def test_rows_without_identifiers_repeated_are_rejected():
    row = {"名称": "園", "種別": "保育所", "所在地_連結表記": "ひばり野区桜台一丁目4番"}
    assert rejected(table(CHILDCARE_HEADER, row, row)) == {(3, None)}


def test_nothing_is_written_when_a_later_row_is_bad():
    source = care(*[GOOD | {"事業所番号": str(n)} for n in range(50)], GOOD | {"定員": "?"})
    assert rejected(source) == {(52, "定員")}


def test_an_identifier_of_another_organisation_is_not_moved():
    other = factories.organisation("別の事業所")
    OrganisationIdentifier.objects.create(
        organisation=other, scheme="jp-care-office", identifier="1370000001"
    )
    mine = factories.organisation("自分の事業所")
    own = table(["組織ID", "名称", "種別", "事業所番号"],
                {"組織ID": str(mine.uuid), "名称": "自分の事業所", "種別": "介護事業所",
                 "事業所番号": "1370000001"})  # fmt: skip
    assert rejected(own) == {(2, None)}


# --- Dry run, importing again, updating ---------------------------------------------------------


def test_a_dry_run_reports_and_writes_nothing():
    report = resource_import(source=CARE, dry_run=True)
    assert (report.dry_run, report.created, report.services_created) == (True, 3, 3)
    assert counts() == dict.fromkeys(counts(), 0)


@pytest.mark.parametrize("source", [CARE, MHLW, CHILDCARE])
def test_importing_again_changes_nothing(source):
    first = resource_import(source=source)
    before = counts()
    again = resource_import(source=source)
    assert counts() == before
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)


def test_importing_again_updates_what_changed():
    aoba = {"事業所番号": "2", "介護サービス事業所名称": "あおば"}
    resource_import(source=care(GOOD, GOOD | aoba))
    report = resource_import(
        source=care(
            GOOD | {"電話番号": "03-1111-2222", "利用可能曜日": "月～金"},
            GOOD | aoba | {"電話番号": ""},
        )
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    changed = Organisation.objects.get(identifiers__identifier="1370000001")
    assert changed.phone == "03-1111-2222"
    assert changed.services.get().schedules.count() == 1
    # An empty cell leaves the stored value.
    assert Organisation.objects.get(name="あおば").phone == "03-1234-5678"


def test_rows_are_matched_by_corporate_number_and_name():
    factories.organisation("デイサービスひだまり", corporate_number="1234567890123", phone="")
    report = resource_import(source=care(GOOD | {"事業所番号": "", "法人番号": "1234567890123"}))
    assert (report.created, report.updated) == (0, 1)
    assert Organisation.objects.get().phone == "03-1234-5678"


def test_one_office_with_several_services_is_one_organisation():
    report = resource_import(source=care(GOOD, GOOD | {"実施サービス": "介護予防通所介護"}))
    assert (report.created, report.services_created, report.locations_created) == (1, 2, 1)
    assert ServiceAtLocation.objects.count() == 2


# --- Likely duplicates and merging ---------------------------------------------------------------


@pytest.fixture
def existing(areas):
    """An entry typed by hand: no identifiers, some fields empty."""
    organisation = factories.organisation(
        "デイサービス ひだまり",  # a space: the normalised name is the same
        kind=Organisation.Kind.CARE_PROVIDER,
        phone="",
        reading="",
    )
    Location.objects.create(
        organisation=organisation, address="ひばり野区桜台1-2-3", district=areas.sakuradai
    )
    Service.objects.create(organisation=organisation, name="相談")
    return organisation


def test_a_likely_duplicate_is_listed_and_created_unless_merging(existing):
    report = resource_import(source=care(GOOD))
    assert [(d.line, d.other_uuid, d.reason, d.merged) for d in report.duplicates] == [
        (2, str(existing.uuid), "address", False)
    ]
    assert report.created == 1
    assert Organisation.objects.count() == 2


def test_a_duplicate_by_phone(existing):
    existing.phone = "03-1234-5678"
    existing.save()
    report = resource_import(source=care(GOOD | {"住所": "ひばり野区若葉一丁目5番"}))
    assert [d.reason for d in report.duplicates] == ["phone"]


def test_merging_keeps_the_existing_entry_and_fills_it(existing):
    report = resource_import(
        source=care(GOOD | {"介護サービス事業所名称_カナ": "デイサービスヒダマリ"}),
        merge_duplicates=True,
    )
    assert (report.created, report.merged) == (0, 1)
    assert [d.merged for d in report.duplicates] == [True]
    existing.refresh_from_db()
    assert existing.name == "デイサービス ひだまり"  # kept
    assert (existing.phone, existing.reading) == ("03-1234-5678", "でいさーびすひだまり")  # filled
    assert sorted(existing.services.values_list("name", flat=True)) == ["相談", "通所介護"]
    assert existing.locations.count() == 1  # the same address: the same place
    assert list(existing.identifiers.values_list("identifier", flat=True)) == ["1370000001"]
    # The next import finds it by its 事業所番号, and updates it: nothing more to merge.
    again = resource_import(source=care(GOOD), merge_duplicates=True)
    assert (again.created, again.merged, again.duplicates) == (0, 0, [])
    assert Organisation.objects.count() == 1


def test_merging_never_overwrites(existing):
    existing.phone = "03-0000-0000"
    existing.save()
    resource_import(source=care(GOOD), merge_duplicates=True)
    existing.refresh_from_db()
    assert existing.phone == "03-0000-0000"


def test_likely_duplicates_within_the_file():
    rows = [
        {"名称": "かしわぎひろば", "種別": "子育てひろば", "電話番号": "03-5555-0003",
         "所在地_連結表記": "ひばり野区柏木一丁目2番"},
        {"名称": "かしわぎ ひろば", "種別": "子育てひろば", "電話番号": "03-5555-0003",
         "所在地_連結表記": "ひばり野区柏木一丁目8番"},
    ]  # fmt: skip
    report = resource_import(source=table(CHILDCARE_HEADER, *rows), dry_run=True)
    assert [(d.line, d.other_line, d.reason) for d in report.duplicates] == [(3, 2, "phone")]
    assert report.created == 2
    merged = resource_import(source=table(CHILDCARE_HEADER, *rows), merge_duplicates=True)
    assert (merged.created, merged.merged) == (1, 1)
    assert Organisation.objects.get().locations.count() == 2


# --- The report as stored on an import job -------------------------------------------------------


def test_the_report_survives_json():
    report = resource_import(source=CARE, dry_run=True)
    again = ImportReport.from_dict(report.as_dict())
    assert again == report
