"""Rows from CSV, XLSX and JSON Lines files, as (row number, cells) pairs, streamed.

Row numbers are the ones a person sees: the header is row 1 in a spreadsheet or CSV file
(or the first row that is not blank, or the row of column names under a title); JSON Lines
rows are line numbers.
"""

from __future__ import annotations

from pathlib import Path

from edcbridge.load.errors import InputFileError
from edcbridge.load.tabular.cells import ColumnTest, Table
from edcbridge.load.tabular.csv_rows import _csv_rows
from edcbridge.load.tabular.json_rows import _jsonl_rows
from edcbridge.load.tabular.text_file import detect_kind
from edcbridge.load.tabular.xlsx_rows import _xlsx_rows


def read_rows(path: Path, is_column: ColumnTest | None = None, encoding: str | None = None) -> Table:
    """The header (column names) and a stream of rows.

    With ``is_column``, a title above the header of a CSV file or sheet is passed over (see
    :func:`.header._header_record`) and a filled cell of a hidden sheet column it names is an
    error. ``encoding`` is the one a CSV or JSON file is in (see :func:`.text_file.named_encoding`),
    when the user names it; else its bytes say.
    """
    if not path.is_file():
        raise InputFileError(str(path), "file not found", "check the path")
    kind = detect_kind(path)
    if kind == "csv":
        return _csv_rows(path, is_column, encoding)
    if kind == "xlsx":
        return _xlsx_rows(path, is_column)
    return _jsonl_rows(path, encoding)
