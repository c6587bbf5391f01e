"""The directory's own export (CSV with BOM and Excel, Japanese headers), the export command and
the download views, and the export → import round trip."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resources import exports
from resources.models import Organisation, Schedule
from tests import factories

pytestmark = pytest.mark.django_db

HEADERS = [column.header for column in exports.COLUMNS]


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the byte order mark to read UTF-8"
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header = next(reader)
    assert header == HEADERS
    return [dict(zip(header, row, strict=True)) for row in reader]


def export_csv(**options) -> bytes:
    buffer = io.BytesIO()
    exports.write_csv(buffer, **options)
    return buffer.getvalue()


def rows_of(rows, name):
    return [row for row in rows if row["名称"] == name]


@pytest.fixture
def directory():
    return factories.export_directory()


def test_headers_are_japanese_and_fixed():
    assert HEADERS[:5] == ["組織ID", "名称", "名称_カナ", "名称_英字", "種別"]
    assert {"住所", "緯度", "経度", "電話番号", "法人番号", "スケジュール"} <= set(HEADERS)
    assert len(set(HEADERS)) == len(HEADERS)
    # The ID columns split the row into its organisation, service and location parts.
    assert exports.ORGANISATION_KEYS[0] == "organisation_id"
    assert exports.SERVICE_KEYS[0] == "service_id"
    assert exports.LOCATION_KEYS[0] == "location_id"
    assert set(exports.KIND_NAMES) == set(Organisation.Kind.values)


def test_public_export_leaves_out_staff_only_entries(directory):
    rows = read_csv(export_csv())
    names = {row["名称"] for row in rows}
    assert names == {"桜台ふれあいサロン", "一時避難ハウス", "若葉町会"}
    services = {row["サービス名"] for row in rows}
    assert "会員限定の見守り" not in services and "親子あそび" not in services
    assert {row["公開区分"] for row in rows} == {"公開"}


def test_public_export_never_holds_a_hidden_address(directory):
    data = export_csv()
    text = data.decode("utf-8-sig")
    assert factories.SECRET_ADDRESS not in text
    assert "35.612345" not in text and "154-0099" not in text
    (row,) = rows_of(read_csv(data), "一時避難ハウス")
    assert row["場所ID"] == str(directory.hidden.uuid)
    assert row["住所非公開"] == "はい"
    assert row["住所"] == row["郵便番号"] == row["緯度"] == row["経度"] == row["地区コード"] == ""


def test_staff_export_holds_everything(directory):
    rows = read_csv(export_csv(include_staff_only=True))
    assert {"会員制サークル", "一時避難ハウス"} <= {row["名称"] for row in rows}
    (shelter,) = rows_of(rows, "一時避難ハウス")
    assert shelter["住所"] == factories.SECRET_ADDRESS
    assert shelter["緯度"] == "35.612345"
    assert "会員限定の見守り" in {row["サービス名"] for row in rows}
    circle = rows_of(rows, "会員制サークル")
    assert circle[0]["公開区分"] == "職員のみ"


def test_one_row_per_service_at_a_location(directory):
    salon = rows_of(read_csv(export_csv()), "桜台ふれあいサロン")
    pairs = [(row["サービス名"], row["場所名"]) for row in salon]
    # The service at two places gives two rows; the place whose only service is staff-only
    # stays, without a service.
    assert pairs == [
        ("ふれあいサロン", "桜台会館"),
        ("ふれあいサロン", "若葉公園"),
        ("", "桜台第二会場"),
    ]
    (town,) = rows_of(read_csv(export_csv()), "若葉町会")
    assert town["サービスID"] == town["場所ID"] == ""


def test_cells_hold_the_data(directory):
    first = rows_of(read_csv(export_csv()), "桜台ふれあいサロン")[0]
    salon, gathering = directory.salon, directory.gathering
    assert first["組織ID"] == str(salon.uuid) and first["サービスID"] == str(gathering.uuid)
    assert first["場所ID"] == str(directory.hall.uuid)
    assert first["名称_カナ"] == "さくらだいふれあいさろん"
    assert first["種別"] == "サロン・ミニデイ"
    assert first["対象者"] == "高齢者"
    assert first["拠点地区コード"] == "D1"
    assert first["対象地区コード"] == "D1、D2"
    assert first["カテゴリコード"] == "hiroba、salon" or first["カテゴリコード"] == "salon、hiroba"
    assert first["対応言語"] == "ja、en"
    assert first["事業所番号"] == "1371234567"
    assert first["最終確認日"] == "2026-05-01"
    assert first["ケース連携"] == "いいえ"
    assert first["住所"] == "東京都ひばり野区桜台一丁目2番3号"
    assert first["地区コード"] == "D1"
    assert first["緯度"] == "35.650000"
    assert first["スケジュール"].splitlines() == [
        "FREQ=MONTHLY;BYDAY=2TU,4TU 10:00-12:00 祝日は休み",
        "FREQ=WEEKLY;BYDAY=WE 13:30-15:30 [2026-04-01~2027-03-31]",
    ]
    assert "毎月第2・第4火曜" in first["スケジュール（表示）"]


def test_excel_file_has_the_same_rows_as_the_csv(directory):
    csv_rows = [list(row.values()) for row in read_csv(export_csv(include_staff_only=True))]
    buffer = io.BytesIO()
    count = exports.write_xlsx(buffer, include_staff_only=True)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    values = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADERS
    assert values[1:] == csv_rows
    assert count == len(csv_rows)


def test_cells_that_would_run_as_formulas_are_kept_as_text():
    factories.organisation('=HYPERLINK("http://evil.example")', phone="+81-3-0000-0000")
    rows = read_csv(export_csv())
    assert rows[0]["名称"] == '\'=HYPERLINK("http://evil.example")'
    assert exports.unescape_cell(rows[0]["名称"]) == '=HYPERLINK("http://evil.example")'
    assert exports.unescape_cell(rows[0]["電話番号"]) == "+81-3-0000-0000"
    assert exports.unescape_cell("'quoted") == "'quoted"
    buffer = io.BytesIO()
    exports.write_xlsx(buffer)
    cell = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil.example")'


def test_queries_do_not_grow_with_the_directory():
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            export_csv(include_staff_only=True)
        return len(queries)

    factories.export_directory()
    few = count_queries()
    for n in range(30):
        org = factories.organisation(f"サロン{n}", kind=Organisation.Kind.SALON)
        org.services.create(name="サロン").schedules.create(rrule="FREQ=WEEKLY;BYDAY=MO")
        org.locations.create(address=f"ひばり野区桜台一丁目{n}番")
    assert count_queries() == few


def test_chunks_give_the_same_rows_as_one_read(directory):
    whole = list(exports.directory_rows(include_staff_only=True))
    assert list(exports.directory_rows(include_staff_only=True, chunk_size=1)) == whole


# --- The schedule cell ------------------------------------------------------------------------


def test_schedule_lines_round_trip():
    schedule = Schedule(
        rrule="FREQ=MONTHLY;BYDAY=2TU,4TU",
        opens_at=datetime.time(9, 30),
        closes_at=datetime.time(12),
        valid_from=datetime.date(2026, 4, 1),
        notes="祝日は休み\n雨天中止",
    )
    line = exports.format_schedule_line(schedule)
    assert line == "FREQ=MONTHLY;BYDAY=2TU,4TU 09:30-12:00 [2026-04-01~] 祝日は休み 雨天中止"
    parsed = exports.parse_schedule_line(line)
    assert parsed == exports.ScheduleLine(
        rrule="FREQ=MONTHLY;BYDAY=2TU,4TU",
        opens_at=datetime.time(9, 30),
        closes_at=datetime.time(12),
        valid_from=datetime.date(2026, 4, 1),
        notes="祝日は休み 雨天中止",
    )
    assert exports.parse_schedule_line("FREQ=WEEKLY;BYDAY=WE") == exports.ScheduleLine(
        rrule="FREQ=WEEKLY;BYDAY=WE"
    )


def test_schedule_lines_forgive_what_people_type():
    parsed = exports.parse_schedule_line(
        "ｆｒｅｑ＝ｗｅｅｋｌｙ；ｂｙｄａｙ＝ＷＥ　１０：００〜１２：００"
    )
    assert parsed.rrule == "FREQ=WEEKLY;BYDAY=WE"
    assert (parsed.opens_at, parsed.closes_at) == (datetime.time(10), datetime.time(12))
    assert exports.parse_schedule_line("FREQ=DAILY -17:00").closes_at == datetime.time(17)


@pytest.mark.parametrize(
    "line",
    ["毎週水曜", "BYDAY=WE 10:00-12:00", "FREQ=WEEKLY 25:00-26:00", "FREQ=WEEKLY [2026-02-30~]"],
)
def test_schedule_lines_that_cannot_be_read_are_refused(line):
    with pytest.raises(ValueError, match=line.split()[0][:4]):
        exports.parse_schedule_line(line)


def test_reading_values_back():
    assert exports.choice_value("サロン・ミニデイ", exports.KIND_NAMES) == "salon"
    assert exports.choice_value("salon", exports.KIND_NAMES) == "salon"
    assert exports.choice_value("ＮＰＯ", exports.KIND_NAMES) == "npo"
    assert exports.choice_value("病院", exports.KIND_NAMES) is None
    assert exports.parse_bool("はい") is True and exports.parse_bool("いいえ") is False
    assert exports.parse_bool("") is False and exports.parse_bool("たぶん") is None
    assert exports.split_multi("D1、D2, D3\nD4") == ["D1", "D2", "D3", "D4"]


# --- The command and the downloads ---------------------------------------------------------


def test_command_writes_csv_and_excel(directory, tmp_path):
    out = io.StringIO()
    call_command("export_resources", str(tmp_path / "d.csv"), stdout=out)
    assert "public entries" in out.getvalue()
    assert len(read_csv((tmp_path / "d.csv").read_bytes())) == 5
    call_command(
        "export_resources",
        str(tmp_path / "d.xlsx"),
        "--format=xlsx",
        "--include-staff-only",
        stdout=io.StringIO(),
    )
    sheet = openpyxl.load_workbook(tmp_path / "d.xlsx").active
    assert sheet.max_row == 1 + 6
    assert not list(tmp_path.glob("*.part"))


def test_command_refuses_staff_only_entries_in_hsds(tmp_path):
    with pytest.raises(CommandError, match="public entries only"):
        call_command(
            "export_resources", str(tmp_path / "h.zip"), "--format=hsds", "--include-staff-only"
        )


def test_download_csv(directory, staff_client):
    response = staff_client.get(reverse("staff:directory_export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tsunagu-directory-')
    data = b"".join(response.streaming_content)
    assert {row["名称"] for row in read_csv(data)} == {
        "桜台ふれあいサロン",
        "一時避難ハウス",
        "若葉町会",
    }
    assert factories.SECRET_ADDRESS.encode() not in data


def test_download_excel_and_hsds(directory, staff_client):
    response = staff_client.get(reverse("staff:directory_export", args=["xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 1 + 5
    response = staff_client.get(reverse("staff:directory_export", args=["hsds"]))
    assert response["Content-Disposition"].endswith('-hsds.zip"')
    assert b"".join(response.streaming_content).startswith(b"PK")


def test_staff_only_download_needs_the_directory_permission(directory, staff_client):
    url = reverse("staff:directory_export", args=["csv"]) + "?scope=staff"
    assert staff_client.get(url).status_code == 403
    staff_client.user.user_permissions.add(
        Permission.objects.get(content_type__app_label="resources", codename="change_organisation")
    )
    response = staff_client.get(url)
    assert response.status_code == 200
    assert factories.SECRET_ADDRESS.encode() in b"".join(response.streaming_content)
    hsds_url = reverse("staff:directory_export", args=["hsds"]) + "?scope=staff"
    assert staff_client.get(hsds_url).status_code == 403


def test_download_needs_login_and_a_known_format(staff_client):
    response = Client().get(reverse("staff:directory_export", args=["csv"]))
    assert response.status_code == 302 and "login" in response["Location"]
    assert staff_client.get(reverse("staff:directory_export", args=["pdf"])).status_code == 404


# --- Export, then import: the same data -----------------------------------------------------

COMPARED = [
    column.header
    for column in exports.COLUMNS
    if column.imported and not column.key.endswith("_id")
]


def normalised(data: bytes) -> list[tuple]:
    """The rows without their ids (an import may give new ones), multi-valued cells sorted."""
    rows = []
    for row in read_csv(data):
        cells = []
        for header in COMPARED:
            value = row[header]
            if header in ("対象地区コード", "カテゴリコード", "対応言語", "事業所番号"):
                value = "、".join(sorted(exports.split_multi(value)))
            elif header == "スケジュール":
                value = "\n".join(sorted(value.splitlines()))
            cells.append(value)
        rows.append(tuple(cells))
    return sorted(rows)


def test_export_then_import_gives_the_same_data(directory):
    from resources.imports import resource_import

    exported = export_csv(include_staff_only=True)
    Organisation.objects.all().delete()  # areas and categories (reference data) stay
    resource_import(source=exported, filename="directory.csv", dry_run=False)
    assert normalised(export_csv(include_staff_only=True)) == normalised(exported)
