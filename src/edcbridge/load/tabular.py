"""Rows from CSV, XLSX and JSON Lines files, as (row number, cells) pairs, streamed.

Row numbers are the ones a person sees: the header is row 1 in a spreadsheet or CSV file;
JSON Lines rows are line numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edcbridge.load.errors import InputFileError

Row = dict[str, Any]  # cells by column; "__extra__" / "__invalid__" mark broken rows


def detect_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    kinds = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl",
             ".ndjson": "jsonl", ".json": "jsonl"}
    if suffix not in kinds:
        raise InputFileError(str(path), f"cannot read {suffix or 'extension-less'} files",
                             "give awards as .csv, .xlsx or .jsonl")
    return kinds[suffix]


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    """The header (column names) and a stream of rows."""
    if not path.is_file():
        raise InputFileError(str(path), "file not found", "check the path")
    kind = detect_kind(path)
    if kind == "csv":
        return _csv_rows(path)
    if kind == "xlsx":
        return _xlsx_rows(path)
    return _jsonl_rows(path)


def _open_text(path: Path) -> io.TextIOWrapper:
    raw = path.open("rb")
    head = raw.read(65536)
    raw.seek(0)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the buffer boundary
            raw.close()
            line = head[:exc.start].count(b"\n") + 1
            fix = ("save the file as 'CSV UTF-8' (Excel) or convert it to UTF-8"
                   if path.suffix.lower() != ".jsonl" else "write the file as UTF-8")
            raise InputFileError(str(path), f"not UTF-8 (line {line}, byte {exc.start}); "
                                 "it may be in a legacy encoding such as Windows-1252", fix) from None
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _csv_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    handle = _open_text(path)
    sample = handle.read(8192)
    handle.seek(0)
    first_line = sample.splitlines()[0] if sample else ""
    delimiter = max(",;\t", key=first_line.count) if first_line else ","
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        handle.close()
        raise InputFileError(str(path), "the file is empty", "add a header row and award rows") from None
    except UnicodeDecodeError:
        handle.close()
        raise InputFileError(str(path), "not UTF-8", "save the file as 'CSV UTF-8'") from None

    def rows() -> Iterator[tuple[int, Row]]:
        with handle:
            number = 1
            try:
                for cells in reader:
                    number += 1
                    if not any(c.strip() for c in cells):
                        continue
                    row: Row = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}
                    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                        row["__extra__"] = cells[len(header):]
                    yield number, row
            except UnicodeDecodeError:
                raise InputFileError(str(path), f"not UTF-8 near row {number + 1}",
                                     "save the file as 'CSV UTF-8'") from None

    return header, rows()


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    from openpyxl import load_workbook  # the only use of openpyxl

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputFileError(str(path), f"not a readable XLSX workbook ({exc.__class__.__name__})",
                             "save it again from Excel or LibreOffice as .xlsx") from None
    sheet = book["awards"] if "awards" in book.sheetnames else book.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = [str(h).strip() if h is not None else "" for h in next(iterator)]
    except StopIteration:
        book.close()
        raise InputFileError(str(path), "the sheet is empty", "add a header row") from None
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[tuple[int, Row]]:
        try:
            for number, cells in enumerate(iterator, start=2):
                values = [_cell(c) for c in cells]
                if not any(v not in (None, "") for v in values):
                    continue
                yield number, {name: values[i] if i < len(values) and values[i] is not None else ""
                               for i, name in enumerate(header)}
        finally:
            book.close()

    return header, rows()


def _jsonl_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    handle = _open_text(path)

    def rows() -> Iterator[tuple[int, Row]]:
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, {"__invalid__": f"not JSON: {exc.msg} at column {exc.colno}"}
                    continue
                if not isinstance(value, dict):
                    yield number, {"__invalid__": "each line must be one JSON object"}
                    continue
                yield number, value

    return [], rows()
