"""Reading the tables people import (CSV or Excel, UTF-8, UTF-8 with BOM or Shift_JIS/CP932).

Imports are all-or-nothing: a reader collects every problem it finds, with the line and column a
person sees when they open the file in Excel (line 1 is the header), and the import writes
nothing unless the list is empty.
"""

import dataclasses
import io
import unicodedata
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from django.utils.translation import gettext as _

ENCODINGS = ("utf-8-sig", "cp932")  # utf-8-sig reads plain UTF-8 too
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclasses.dataclass(frozen=True)
class Problem:
    line: int | None  # as numbered in a spreadsheet: the header is line 1
    column: str | None
    message: str

    def __str__(self):
        where = []
        if self.line is not None:
            where.append(_("line %(line)s") % {"line": self.line})
        if self.column:
            where.append(_("column %(column)s") % {"column": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRejected(Exception):
    """Raised with every problem found; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def clean_header(name: object) -> str:
    return unicodedata.normalize("NFKC", str(name)).strip()


def read_table(source: BinaryIO | bytes | str | Path, *, filename: str = "") -> pd.DataFrame:
    """Every cell as text (never guessed as numbers: "007" keeps its zeros), headers NFKC-cleaned.

    The frame's index is the spreadsheet line number of each row. Raises ImportRejected when the
    file cannot be read at all (unknown encoding, not a table).
    """
    if isinstance(source, str | Path):
        filename = filename or str(source)
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    if filename.lower().endswith(EXCEL_SUFFIXES):
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise ImportRejected(
                [Problem(None, None, _("The Excel file could not be read: %s") % error)]
            ) from error
    else:
        frame = _read_csv(data)
    frame.columns = [clean_header(column) for column in frame.columns]
    frame.index = range(2, len(frame) + 2)
    return frame.map(lambda value: value.strip() if isinstance(value, str) else value)


def _read_csv(data: bytes) -> pd.DataFrame:
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise ImportRejected(
                [Problem(None, None, _("The file is not a readable CSV table: %s") % error)]
            ) from error
    raise ImportRejected(
        [Problem(None, None, _("The file's encoding is not UTF-8 or Shift_JIS (CP932)."))]
    )


def require_columns(frame: pd.DataFrame, required: list[str]) -> list[Problem]:
    missing = [column for column in required if column not in frame.columns]
    return [
        Problem(1, column, _("This required column is missing from the header."))
        for column in missing
    ]


def parse_count(value: str, *, line: int, column: str, problems: list[Problem]) -> int | None:
    """A non-negative whole number ("1,234" and 全角 digits accepted); "-" or "" mean none."""
    text = unicodedata.normalize("NFKC", value or "").replace(",", "").strip()
    if text in ("", "-", "…", "X", "x", "*"):
        return None  # suppressed or not given (秘匿・該当なし)
    try:
        number = int(text)
    except ValueError:
        problems.append(
            Problem(line, column, _("「%(value)s」 is not a number.") % {"value": value})
        )
        return None
    if number < 0:
        problems.append(Problem(line, column, _("A count cannot be negative.")))
        return None
    return number
