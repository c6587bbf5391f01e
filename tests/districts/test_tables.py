import io

import pandas as pd
import pytest

from districts.tables import ImportRejected, parse_count, read_table, require_columns

CSV = "地域名,総人口\n桜台,1200\n若葉,００７\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_every_encoding_municipalities_publish(encoding):
    frame = read_table(CSV.encode(encoding), filename="pop.csv")
    assert list(frame.columns) == ["地域名", "総人口"]
    assert frame.loc[3, "地域名"] == "若葉"  # index = spreadsheet line
    assert frame.loc[3, "総人口"] == "００７"  # text kept as typed, zeros included


def test_excel():
    buffer = io.BytesIO()
    pd.DataFrame({"地域名": ["桜台"], "総人口": ["1200"]}).to_excel(buffer, index=False)
    frame = read_table(buffer.getvalue(), filename="pop.xlsx")
    assert frame.loc[2, "総人口"] == "1200"


def test_undecodable_file_is_rejected_with_a_reason():
    with pytest.raises(ImportRejected) as error:
        read_table(b"\xff\xfe\x00\x81\xff bad", filename="x.csv")
    assert "UTF-8" in str(error.value.problems[0])


def test_missing_columns_are_named():
    frame = read_table(CSV.encode(), filename="pop.csv")
    problems = require_columns(frame, ["地域名", "世帯数"])
    assert [(p.line, p.column) for p in problems] == [(1, "世帯数")]


@pytest.mark.parametrize(
    ("text", "expected"), [("1,234", 1234), ("１２", 12), ("-", None), ("", None)]
)
def test_counts(text, expected):
    problems = []
    assert parse_count(text, line=2, column="総人口", problems=problems) == expected
    assert problems == []


@pytest.mark.parametrize("text", ["abc", "-3", "1.5"])
def test_bad_counts_are_reported_with_line_and_column(text):
    problems = []
    assert parse_count(text, line=7, column="総人口", problems=problems) is None
    assert (problems[0].line, problems[0].column) == (7, "総人口")
