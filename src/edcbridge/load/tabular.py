"""Rows from CSV, XLSX and JSON Lines files, as (row number, cells) pairs, streamed.

Row numbers are the ones a person sees: the header is row 1 in a spreadsheet or CSV file
(or the first row that is not blank, or the row of column names under a title); JSON Lines
rows are line numbers.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from edcbridge.load.errors import InputFileError
from edcbridge.output import unreadable_json

Row = dict[str, Any]  # cells by column; "__extra__", "__cells__" and "__invalid__" mark broken rows
# (with "__invalid__": "__column__", "__fix__" and "__character__", where in the line it breaks)


class NumberCell(str):
    """The text of a spreadsheet number cell: identifiers stored as numbers may have lost digits."""

    __slots__ = ()


class ErrorCell(str):
    """The text of a spreadsheet error cell (#N/A, #REF!): a formula that failed, not a value."""

    __slots__ = ()


class LogicalCell(str):
    """TRUE or FALSE, as a spreadsheet shows a logical cell (Excel turns a typed "true" into one)."""

    __slots__ = ()


class TimeCell(str):
    """The time of a spreadsheet cell holding a time of day without a date (a typed 7:10 becomes
    07:10:00)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Table:
    """The header, the stream of rows, and for XLSX the sheet read and all sheet names."""

    header: list[str]
    rows: Iterator[tuple[int, Row]]
    sheet: str | None = None
    sheets: tuple[str, ...] = field(default=())
    header_row: int = 1


ColumnTest = Callable[[str], bool]  # whether a header cell names a column the reader knows


def blank(value: Any) -> bool:
    """Empty, whitespace only, or a language map of such texts."""
    if isinstance(value, dict):
        return all(blank(v) for v in value.values())
    return value is None or (isinstance(value, str) and not value.strip())


def nfc(text: str) -> str:
    """``text`` in Unicode NFC, to compare: an e-acute typed as e plus a combining accent (as
    macOS and some exports write it) is the same id or code as the single character."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def detect_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    kinds = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl",
             ".ndjson": "jsonl", ".json": "jsonl"}
    if suffix not in kinds:
        raise InputFileError(str(path), f"cannot read {suffix or 'extension-less'} files",
                             "give awards as .csv, .xlsx or .jsonl")
    return kinds[suffix]


def read_rows(path: Path, is_column: ColumnTest | None = None) -> Table:
    """The header (column names) and a stream of rows.

    With ``is_column``, a title above the header of a CSV file or sheet is passed over (see
    :func:`_header_record`) and a filled cell of a hidden sheet column it names is an error.
    """
    if not path.is_file():
        raise InputFileError(str(path), "file not found", "check the path")
    kind = detect_kind(path)
    if kind == "csv":
        return _csv_rows(path, is_column)
    if kind == "xlsx":
        return _xlsx_rows(path, is_column)
    return _jsonl_rows(path)


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _encoding(head: bytes) -> str:
    """UTF-8, unless a byte-order mark or the NUL bytes of UTF-16/32 text say otherwise
    (Excel's "Unicode text" is UTF-16 with a byte-order mark)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096 - 4096 % 4]
    if sample.count(0) * 3 < len(sample):  # ASCII in UTF-16 is half NUL bytes
        return "utf-8"
    nul = [sample[i::4].count(0) * 8 > len(sample) for i in range(4)]  # over half NUL
    if nul == [False, True, True, True]:
        return "utf-32-le"
    if nul == [True, True, True, False]:
        return "utf-32-be"
    return "utf-16-le" if nul[1] and nul[3] else "utf-16-be"


def _label(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8"}.get(encoding, encoding.upper())


def _not_encoded(path: Path, label: str, line: int, offset: int, fix: str) -> InputFileError:
    hint = ("; it may be in a legacy encoding such as Windows-1252 (western Europe), 1250 (central "
            "Europe), 1251 (Cyrillic) or 1253 (Greek)") if label == "UTF-8" else ""
    return InputFileError(str(path), f"not {label} (line {line}, byte {offset}){hint}", fix)


def _bad_byte(path: Path, encoding: str) -> tuple[int, int]:
    """The line and file offset of the first byte that is not *encoding*.

    A text stream decodes ahead of the row it returns, so its error does not say where."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, offset = 1, 0
    with path.open("rb") as raw:
        while True:
            chunk = raw.read(65536)
            state = decoder.getstate()
            try:
                line += decoder.decode(chunk, final=not chunk).count("\n")
            except UnicodeDecodeError as exc:
                start = exc.start - len(state[0])  # the error counts from the bytes held back
                before = codecs.getincrementaldecoder(encoding)()
                before.setstate(state)
                return line + before.decode(chunk[:max(start, 0)]).count("\n"), offset + start
            if not chunk:
                return line, offset
            offset += len(chunk)


def _decode_error(path: Path, encoding: str, fix: str) -> InputFileError:
    line, offset = _bad_byte(path, encoding)
    return _not_encoded(path, _label(encoding), line, offset, fix)


def _open_text(path: Path) -> tuple[io.TextIOWrapper, str]:
    """The file as text, streamed, and its codec."""
    raw = path.open("rb")
    head = raw.read(65536)
    raw.seek(0)
    fix = ("save the file as 'CSV UTF-8' (Excel) or convert it to UTF-8"
           if detect_kind(path) == "csv" else "write the file as UTF-8")
    if head.startswith(b"PK\x03\x04"):
        raw.close()
        raise InputFileError(str(path), "this is a ZIP archive such as an XLSX workbook, not text",
                             "give the workbook the extension .xlsx, or " + fix)
    encoding = _encoding(head)
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raw.close()
        if encoding in ("utf-8", "utf-8-sig"):
            line = head[:exc.start].count(b"\n") + 1
            raise _not_encoded(path, "UTF-8", line, exc.start, fix) from None
        raise InputFileError(str(path), f"looks like {_label(encoding)} but is not valid "
                             f"{_label(encoding)} (byte {exc.start})", fix) from None
    # a later byte outside the encoding becomes a lone surrogate, found in the row that holds
    # it: the rows before it are read, where a strict decoder reading ahead would lose them
    return io.TextIOWrapper(raw, encoding=encoding, newline="", errors="surrogateescape"), encoding


def _undecodable(text: str) -> bool:
    """Whether decoded text holds a byte that was not in the encoding (see _open_text)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _delimiter(sample: str) -> str:
    """Comma, semicolon or tab: the most frequent in the first line that holds more than those."""
    first_line = next((line for line in sample.splitlines() if line.strip(",;\t \r\n")), "")
    return max(",;\t", key=first_line.count) if first_line else ","


def sep_line(sample: str) -> str | None:
    """The delimiter a first line such as ``sep=;`` names: Excel writes and reads that line, which
    is not the header."""
    first = sample.split("\n", 1)[0].strip().lstrip("\ufeff").strip('"')
    return first[4] if len(first) == 5 and first[:4].lower() == "sep=" else None


def _first_filled(records: Iterator[Sequence[Any]]) -> tuple[int, list[Any] | None]:
    """The number and cells of the first record that is not blank; when every record is blank,
    the number of records and None."""
    number = 0
    for number, cells in enumerate(records, start=1):
        if not all(blank(c) for c in cells):
            return number, list(cells)
    return number, None


TITLE_ROWS = 4  # rows below a title searched for the column names


def _header_record(records: Iterator[Sequence[Any]], is_column: ColumnTest | None
                   ) -> tuple[int, list[Any] | None, Iterator[Sequence[Any]]]:
    """The number and cells of the header and the records after it.

    The header is the first record that is not blank, unless that is a title: one filled cell
    that names no column ("Graduation 2025 - awards", often merged across the columns), with the
    column names a few rows below it, past blank rows or more one-cell titles. A title is not an
    award, and reading it as the header would make every row an error.
    """
    number, cells = _first_filled(records)
    if cells is None or is_column is None or not _title(cells, is_column):
        return number, cells, records
    ahead: list[Sequence[Any]] = []
    for later in itertools.islice(records, TITLE_ROWS):
        ahead.append(later)
        if all(blank(c) for c in later) or _title(later, is_column):
            continue
        if sum(isinstance(c, str) and is_column(c.strip()) for c in later) >= 2:
            return number + len(ahead), list(later), records
        break
    return number, cells, itertools.chain(ahead, records)


def _title(cells: Sequence[Any], is_column: ColumnTest) -> bool:
    """One filled cell naming no column (a byte outside the encoding is named as the header's)."""
    filled = [str(c) for c in cells if not blank(c)]
    return len(filled) == 1 and not is_column(filled[0].strip()) and not _undecodable(filled[0])


def _no_header(path: Path, records: int) -> InputFileError:
    if records:
        return InputFileError(str(path), "there is no header row: every line is blank",
                              "add a header row and award rows")
    return InputFileError(str(path), "the file is empty", "add a header row and award rows")


_CSV_FIX = "save the file as 'CSV UTF-8'"
_QUOTES_FIX = ("check the quotes from that row on: a cell that starts with a quote must end with "
               "one, and a quote inside it is written twice")
# A cell may be far longer than the csv module's default of 128 KiB (a long text pasted in a
# row); a quote left open makes the rest of the file one cell, and this bounds the memory it
# takes before the file is reported.
_LONGEST_CELL = 16 * 1024 * 1024


# The columns a header may have: the award fields in a few dozen languages fit. Each is checked
# (a header of a million unknown columns, 2 MB of CSV, made gigabytes of errors and reports) and
# every row is built column by column (200,000 columns made each row cost a third of a second).
MAX_COLUMNS = 2000


def _too_wide(path: Path, columns: int) -> InputFileError:
    return InputFileError(str(path), f"the header has {columns:,} columns, more than the {MAX_COLUMNS:,} "
                          "an awards file may have", "keep only the award columns (see 'edcbridge "
                          "formats --kind award')")


def _csv_error(path: Path, where: str, exc: csv.Error) -> InputFileError:
    return InputFileError(str(path), f"{where} cannot be read as CSV ({exc})", _QUOTES_FIX)


def _csv_rows(path: Path, is_column: ColumnTest | None = None) -> Table:
    handle, encoding = _open_text(path)
    sample = handle.read(8192)
    handle.seek(0)
    if csv.field_size_limit() < _LONGEST_CELL:
        csv.field_size_limit(_LONGEST_CELL)
    delimiter = sep_line(sample)
    if delimiter is not None:
        handle.readline()
    # not strict: a hand-edited '"Smith" ,' reads as Excel would; a quote left open makes a cell
    # with line breaks, which the award check refuses (see awards.row_to_data)
    reader = csv.reader(handle, delimiter=delimiter or _delimiter(sample))
    records: Iterator[Sequence[Any]] = reader
    try:
        header_row, cells, records = _header_record(reader, is_column)
        header_row += 1 if delimiter is not None else 0
    except UnicodeDecodeError:
        cells, header_row = ["\udcff"], 0  # named below, as an undecodable header
    except csv.Error as exc:
        handle.close()
        raise _csv_error(path, f"line {reader.line_num}", exc) from None
    if cells is not None and _undecodable("".join(cells)):
        handle.close()
        raise _decode_error(path, encoding, _CSV_FIX)
    if cells is None:
        handle.close()
        raise _no_header(path, header_row)
    header = [h.lstrip("\ufeff").strip() for h in cells]  # a byte-order mark after blank lines
    if len(header) > MAX_COLUMNS:
        handle.close()
        raise _too_wide(path, len(header))
    twice = columns_twice(header)

    def rows() -> Iterator[tuple[int, Row]]:
        with handle:
            number = header_row
            try:
                for cells in records:
                    number += 1
                    if _undecodable("".join(cells)):
                        raise _decode_error(path, encoding, _CSV_FIX)
                    if all(blank(c) for c in cells):
                        continue
                    row: Row = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)
                                if name}
                    unnamed = _unnamed_cells(header, cells[:len(header)]) + \
                        _twice_filled(row, twice, cells, str)
                    if unnamed:
                        row["__cells__"] = unnamed
                    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                        row["__extra__"] = cells[len(header):]
                    yield number, row
            except csv.Error as exc:
                raise _csv_error(path, f"row {number + 1}", exc) from None
            except UnicodeDecodeError:  # UTF-16/32 data an escape cannot stand for (an ASCII byte):
                # the decoder had read ahead, so the rows since the last one given are lost too
                error = _decode_error(path, encoding, _CSV_FIX).error
                raise InputFileError(str(path), f"{error.message}; rows after row {number} could not "
                                     "be read", error.fix) from None

    return Table(header, rows(), header_row=header_row)


def _cell(value: Any, number_format: str = "General") -> Any:
    if isinstance(value, dt.datetime):  # under a second: Excel's rounding of a date cell
        return value.date().isoformat() if value.time() < dt.time(0, 0, 1) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return LogicalCell("TRUE" if value else "FALSE")
    if isinstance(value, dt.time):
        return TimeCell(value.isoformat())
    if isinstance(value, dt.timedelta):  # a duration format such as [h]:mm
        return TimeCell(str(value))
    if isinstance(value, int | float) and "%" in number_format:
        return NumberCell(_percent(value))  # 0.725 shown as 72.5% is the grade 72.5%
    if isinstance(value, int | float) and number_format != "General" and abs(value) < 1e15:
        places = _decimal_places(number_format)
        if places:
            return NumberCell(_with_places(value, places))  # 3.5 shown as 3.50 is the grade 3.50
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return NumberCell(int(value))  # 2230018.0 is 2230018; above 2**53 digits are lost
    if isinstance(value, int | float):
        return NumberCell(value)
    return value


def _sheet_cell(cell: Any) -> Any:
    if getattr(cell, "data_type", None) == "e" and isinstance(cell.value, str):
        return ErrorCell(cell.value)
    return _cell(cell.value, getattr(cell, "number_format", "General"))


# a plain number format that states decimals: 0.00, #,##0.0, 0.000;[Red]-0.000 (its first section)
_DECIMALS_FORMAT = re.compile(r"[#,]*0\.(0+)")


@lru_cache(maxsize=64)  # a sheet has few formats, each read once per cell
def _decimal_places(number_format: str) -> int:
    """How many decimals the number format shows; 0 when it is no plain decimal format."""
    found = _DECIMALS_FORMAT.fullmatch(number_format.split(";", 1)[0])
    return len(found.group(1)) if found else 0


def _with_places(value: float, places: int) -> str:
    """The number with at least ``places`` decimals, as the cell shows it (3.5 as 3.50); a digit
    the format hides is kept, never rounded away (3.456 in a 0.00 cell stays 3.456)."""
    text = repr(value)
    if "e" not in text:  # the common case, without Decimal: 3.5 -> 3.50, 3 -> 3.00
        whole, _, fraction = text.partition(".")
        return f"{whole}.{fraction.ljust(places, '0')}"
    exact = Decimal(text)
    exponent = exact.as_tuple().exponent
    if not isinstance(exponent, int) or exponent <= -places:
        return f"{exact:f}"
    return f"{exact.quantize(Decimal(1).scaleb(-places), context=_WIDE):f}"


_WIDE = Context(prec=64)  # 15 digits before the point and Excel's 30 after it fit


def _percent(value: float) -> str:
    """The number as a percentage, every digit kept (the cell may show fewer)."""
    hundredfold = Decimal(repr(value)).scaleb(2).normalize()
    return f"{hundredfold:f}%"


def _pick_sheet(names: list[str], visible: list[str] | None = None) -> str:
    """The sheet named awards (in any case), else the first visible one."""
    shown = visible or names
    return next((n for n in names if n.strip().casefold() == "awards"), shown[0])


# (column name or None, 1-based position, value, problem, fix) of one cell
CellProblem = tuple[str | None, int | None, str | None, str, str]


@dataclass
class SheetMarks:
    """What the cell values of a sheet do not show: formulas never computed, merged cells
    (their value is only in the first cell) and hidden rows."""

    uncomputed: dict[int, list[int]] = field(default_factory=dict)  # columns by row
    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: list[tuple[int, int]] = field(default_factory=list)  # (first, last), 1-based
    _open: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # see merged_at

    def merged_at(self, number: int) -> list[tuple[int, int, int, int, str]]:
        """The merged ranges that hold row ``number``; rows must be asked for in order, so a
        sheet of many merged cells is not searched again for every row."""
        while self.merged and self.merged[-1][0] <= number:
            self._open.append(self.merged.pop())
        self._open = [m for m in self._open if m[2] >= number]
        return [m for m in self._open if m[0] <= number]


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _sheet_marks(sheet: Any) -> SheetMarks:
    """Read from the sheet's XML, which openpyxl's read-only cells do not expose."""
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
    from openpyxl.xml.functions import iterparse

    marks = SheetMarks()
    source = getattr(sheet, "_get_source", None)
    if source is None:
        return marks
    with source() as xml:
        for _, element in iterparse(xml):
            tag = element.tag
            if tag == f"{_MAIN}c":
                if _uncomputed(element) and element.get("r"):
                    row, column = coordinate_to_tuple(element.get("r"))
                    marks.uncomputed.setdefault(row, []).append(column)
                element.clear()
            elif tag == f"{_MAIN}row":
                if element.get("hidden") in ("1", "true") and element.get("r"):
                    marks.hidden_rows.add(int(element.get("r")))
                element.clear()
            elif tag == f"{_MAIN}col" and _hidden_column(element):
                marks.hidden_columns.append((int(element.get("min")), int(element.get("max"))))
            elif tag == f"{_MAIN}mergeCell" and element.get("ref"):
                ref = element.get("ref")
                min_col, min_row, max_col, max_row = range_boundaries(ref)
                marks.merged.append((min_row, min_col, max_row, max_col, ref))
    marks.merged.sort(reverse=True)  # merged_at pops them from the end: by first row
    return marks


_COLUMN_NUMBER = re.compile(r"[1-9][0-9]{0,4}")


def _hidden_column(element: Any) -> bool:
    """A ``<col>`` range hidden in the sheet: hidden, or given no width."""
    if not all(_COLUMN_NUMBER.fullmatch(element.get(bound) or "") for bound in ("min", "max")):
        return False
    width = element.get("width")
    return element.get("hidden") in ("1", "true") or (
        element.get("customWidth") in ("1", "true") and width is not None and _zero(width))


def _zero(text: str) -> bool:
    try:
        return float(text) == 0
    except ValueError:
        return False


def _hidden_cells(marks: SheetMarks, header: list[str], values: Sequence[Any],
                  is_column: ColumnTest | None) -> list[CellProblem]:
    """Filled cells of a hidden column whose name is read: what nobody checking the sheet saw
    would be issued. A hidden column of another name is not read (its header is an error)."""
    from openpyxl.utils.cell import get_column_letter

    problems: list[CellProblem] = []
    for first, last in marks.hidden_columns:
        for column in range(first, min(last, len(header), len(values)) + 1):
            name, value = header[column - 1], values[column - 1]
            if not name or blank(value) or (is_column is not None and not is_column(name)):
                continue
            letter = get_column_letter(column)
            problems.append((name, column, str(value), f"the cell is in column {letter}, which is "
                             "hidden in the sheet", f"unhide column {letter} and check its values "
                             "before issuing them, or delete the column"))
    return problems


def _uncomputed(cell: Any) -> bool:
    """A formula cell saved without its result (written by a program, never calculated)."""
    if cell.find(f"{_MAIN}f") is None:
        return False
    value = cell.find(f"{_MAIN}v")
    return value is None or (not value.text and cell.get("t") not in ("str", "s", "inlineStr"))


def _marked_problems(marks: SheetMarks, number: int, header: list[str]) -> list[CellProblem]:
    """The problems ``marks`` give row ``number``."""
    from openpyxl.utils.cell import get_column_letter

    def name(column: int) -> str | None:
        return header[column - 1] or None if column <= len(header) else None

    problems: list[CellProblem] = []
    if number in marks.hidden_rows:
        problems.append((None, None, None, "the row is hidden in the sheet (hidden or filtered out)",
                         "unhide the row to issue its credential, or delete the row"))
    for min_row, min_col, _, max_col, ref in marks.merged_at(number):
        first = f"{get_column_letter(min_col)}{min_row}"
        problems += [(name(column), column, None, f"the cell is part of the merged cells {ref}, "
                      f"whose value is only in {first}", "unmerge the cells and fill in the value "
                      "on each row") for column in range(min_col, min(max_col, len(header)) + 1)
                     if (number, column) != (min_row, min_col)]
    problems += [(name(column), column, None, "the cell holds a formula whose result was never "
                  "calculated (the file was written by a program, not saved by a spreadsheet)",
                  "open the file in Excel or LibreOffice and save it, or enter values instead "
                  "of formulas") for column in marks.uncomputed.get(number, ())]
    return problems


def columns_twice(header: list[str]) -> dict[str, list[int]]:
    """The 0-based positions of each column name the header gives more than once."""
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        if name:
            positions.setdefault(name, []).append(index)
    return {name: found for name, found in positions.items() if len(found) > 1}


def _letter(position: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return str(get_column_letter(position))


def _twice_filled(row: Row, twice: dict[str, list[int]], values: Sequence[Any],
                  where: Callable[[int], str]) -> list[CellProblem]:
    """A column the header names twice (an error of the header) gives the row the value of
    its filled cell, the first when both hold the same: never an empty later cell over a
    filled one. Two different values are an error of the row, never the later one read (as
    JSON refuses a key written twice). ``where`` names a 1-based position as the user sees
    it (7, or G in a sheet)."""
    problems: list[CellProblem] = []
    for name, positions in twice.items():
        filled = [(i, values[i]) for i in positions if i < len(values) and not blank(values[i])]
        if not filled:
            continue
        row[name] = filled[0][1]
        if len({str(value).strip() for _, value in filled}) > 1:
            shown = ", ".join(f"{str(value).strip()!r} in column {where(i + 1)}" for i, value in filled)
            problems.append((name, filled[1][0] + 1, None, f"the column {name!r} appears twice and "
                             f"holds two different values on this row ({shown})",
                             f"keep one {name!r} column, with the right value on every row"))
    return problems


def _unnamed_cells(header: list[str], values: Sequence[Any]) -> list[CellProblem]:
    """Filled cells under no column name: in a column without a header or past the last."""
    return [(None, index + 1, str(value), "a cell under no column name",
             "give the column one of the accepted names, or clear the cell")
            for index, value in enumerate(values)
            if (index >= len(header) or not header[index]) and not blank(value)]


# An XLSX file is a zip, and openpyxl holds all its shared strings in memory: 212 KB of
# repeated <si> (a thousandfold compression) took 84 s and 545 MB. Workbooks compress about
# tenfold; the shared strings of 100,000 awards are a few tens of MB.
MAX_XLSX_RATIO = 200
MAX_SHARED_STRINGS = 64 * 1024 * 1024


def _check_zip(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # load_workbook names what is wrong
    for member in members:
        inflated = member.file_size
        if (inflated > 1024 * 1024 and inflated > MAX_XLSX_RATIO * max(member.compress_size, 1)) or (
                member.filename.lower().endswith("sharedstrings.xml") and inflated > MAX_SHARED_STRINGS):
            raise InputFileError(str(path), f"{member.filename} unpacks to {inflated:,} bytes from "
                                 f"{member.compress_size:,}: not a workbook edcbridge reads (a zip bomb?)",
                                 "save it again from Excel or LibreOffice as .xlsx, or export it as CSV")


def _xlsx_rows(path: Path, is_column: ColumnTest | None = None) -> Table:
    from openpyxl import load_workbook  # the only use of openpyxl

    _check_zip(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputFileError(str(path), f"not a readable XLSX workbook ({exc.__class__.__name__})",
                             "save it again from Excel or LibreOffice as .xlsx") from None
    visible = [s.title for s in book.worksheets if getattr(s, "sheet_state", "visible") == "visible"]
    name = _pick_sheet(book.sheetnames, visible)
    sheet = book[name]
    try:
        marks = _sheet_marks(sheet)
    except Exception:  # a damaged sheet: reading its rows names where it breaks
        marks = SheetMarks()
    records = ([_sheet_cell(c) for c in row] for row in sheet.iter_rows())
    header_row, cells, iterator = _header_record(records, is_column)
    if cells is None:
        book.close()
        raise InputFileError(str(path), f"the sheet {name!r} is empty", "add a header row")
    header = [str(h).strip() if h is not None else "" for h in cells]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        book.close()
        raise _too_wide(path, len(header))
    twice = columns_twice(header)

    def rows() -> Iterator[tuple[int, Row]]:
        try:
            for number, values in _numbered_sheet_rows(iterator, path, header_row + 1):
                if all(blank(v) for v in values):
                    continue
                row: Row = {name: values[i] if i < len(values) and values[i] is not None else ""
                            for i, name in enumerate(header) if name}
                problems = (_unnamed_cells(header, values) + _marked_problems(marks, number, header)
                            + _hidden_cells(marks, header, values, is_column)
                            + _twice_filled(row, twice, values, _letter))
                if problems:
                    row["__cells__"] = problems
                yield number, row
        finally:
            book.close()

    return Table(header, rows(), name, tuple(book.sheetnames), header_row)


def _numbered_sheet_rows(cells: Iterator[Sequence[Any]], path: Path,
                         start: int) -> Iterator[tuple[int, Sequence[Any]]]:
    """The rows of a sheet with their numbers; InputFileError when the workbook turns out
    damaged part way (openpyxl raises many kinds), naming the last row read."""
    number = start
    while True:
        try:
            row = next(cells)
        except StopIteration:
            return
        except Exception as exc:
            raise InputFileError(str(path), f"the workbook is damaged after row {number - 1} "
                                 f"({exc.__class__.__name__})",
                                 "save it again from Excel or LibreOffice as .xlsx") from None
        yield number, row
        number += 1


def _jsonl_rows(path: Path) -> Table:
    handle, encoding = _open_text(path)
    form = _json_form(handle) if path.suffix.lower() == ".json" else "lines"
    if form != "lines":
        with handle:
            text = handle.read()
        if _undecodable(text):
            raise _decode_error(path, encoding, "write the file as UTF-8")
        start = len(text) - len(text.lstrip(_JSON_SPACE))
        if form == "array":
            return Table([], _array_rows(path, text, start))
        if form == "awards":
            return Table([], _array_rows(path, text, text.index("[", start), wrapped=True))
        if _formatted_object(path, text, start):
            return Table([], _object_rows(path, text, start))
        handle, encoding = _open_text(path)

    def rows() -> Iterator[tuple[int, Row]]:
        with handle:
            try:
                for number, line in enumerate(handle, start=1):
                    if _undecodable(line):
                        raise _decode_error(path, encoding, "write the file as UTF-8")
                    yield from _jsonl_value(number, line)
            except UnicodeDecodeError:  # UTF-16/32 data an escape cannot stand for (an ASCII byte)
                raise _decode_error(path, encoding, "write the file as UTF-8") from None

    return Table([], rows())


_JSON_SPACE = " \t\r\n"
_AWARDS_KEY = re.compile(r'[ \t\r\n]*\{[ \t\r\n]*"awards"[ \t\r\n]*:[ \t\r\n]*\[')


def _json_form(handle: io.TextIOWrapper) -> str:
    """How a .json file holds its awards: an "array", {"awards": [...]} ("awards"), "lines"
    (JSON Lines), or maybe "objects" written over several lines each, as a formatter (or jq)
    writes them: its first line starts an object but is not one."""
    head = handle.read(4096)
    handle.seek(0)
    if head.lstrip(_JSON_SPACE).startswith("["):
        return "array"
    if _AWARDS_KEY.match(head):
        return "awards"
    first = next((line.strip() for line in handle if line.strip()), "")
    handle.seek(0)
    if not first.startswith("{"):
        return "lines"
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return "objects"
    return "lines"


_OBJECTS_FIX = "correct the JSON at that line: the file must hold award objects, one after another"


def _formatted_object(path: Path, text: str, start: int) -> bool:
    """Whether the first object runs over several lines (else the file is JSON Lines whose first
    line is broken, each line then reported on its own). A first line of just "{" opens an
    object: when that object is broken, the file is."""
    try:
        _, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        if text[start:].split("\n", 1)[0].strip() == "{":
            raise _json_error(path, exc, _OBJECTS_FIX) from None
        return False
    return "\n" in text[start:end]


def _object_rows(path: Path, text: str, index: int) -> Iterator[tuple[int, Row]]:
    """Objects one after another (a .json file), numbered by the line each starts on."""
    keys = _KeysTwice()
    decoder = json.JSONDecoder(object_pairs_hook=keys)
    line, counted = 1, 0
    while (index := _skip(text, index, _JSON_SPACE)) < len(text):
        line += text.count("\n", counted, index)
        counted = index
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise _json_error(path, exc, _OBJECTS_FIX) from None
        except (ValueError, RecursionError) as exc:
            raise InputFileError(str(path), f"line {line}: {unreadable_json(exc)}; the awards after it "
                                 "could not be read", _OBJECTS_FIX) from None
        yield from _json_row(line, value, keys, each="award")


def _array_rows(path: Path, text: str, start: int, wrapped: bool = False) -> Iterator[tuple[int, Row]]:
    """The objects of the JSON array whose [ is at ``start`` (in a .json file), numbered by the
    line each starts on; ``wrapped``: the array is the value of {"awards": ...}."""
    keys = _KeysTwice()
    decoder = json.JSONDecoder(object_pairs_hook=keys)
    index = start + 1
    line, counted = 1, 0
    while True:
        index = _skip(text, index, _JSON_SPACE)
        if text.startswith("]", index):
            _array_end(path, text, index + 1, wrapped)
            return
        line += text.count("\n", counted, index)
        counted = index
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise _json_error(path, exc) from None
        except (ValueError, RecursionError) as exc:
            raise InputFileError(str(path), f"line {line}: {unreadable_json(exc)}; the awards after it "
                                 "could not be read", "write each award as an object of its fields") from None
        yield from _json_row(line, value, keys, each="award in the array")
        index = _skip(text, index, _JSON_SPACE)
        if text.startswith(",", index):
            index += 1
        elif not text.startswith("]", index):
            error = json.JSONDecodeError("expecting ',' or ']' after an award", text, index)
            raise _json_error(path, error)


def _array_end(path: Path, text: str, index: int, wrapped: bool) -> None:
    """Nothing may follow the array but, around {"awards": [...]}, its closing brace."""
    index = _skip(text, index, _JSON_SPACE)
    if wrapped and text.startswith(",", index):
        raise InputFileError(str(path), "the object holds more than its 'awards' array, which alone is "
                             "read (the awards in it were)", "keep only the awards: {\"awards\": [...]}, "
                             "or give the array by itself")
    if wrapped and text.startswith("}", index):
        index = _skip(text, index + 1, _JSON_SPACE)
    elif wrapped:
        raise _json_error(path, json.JSONDecodeError("expecting '}' after the awards", text, index))
    if index < len(text):
        raise _json_error(path, json.JSONDecodeError("more after the awards", text, index))


def _skip(text: str, index: int, characters: str) -> int:
    while index < len(text) and text[index] in characters:
        index += 1
    return index


def _json_error(path: Path, exc: json.JSONDecodeError,
                fix: str = "correct the JSON at that line: the file must be one array of objects"
                ) -> InputFileError:
    return InputFileError(str(path), f"not JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
                          "the awards after it could not be read", fix)


def _jsonl_value(number: int, line: str) -> Iterator[tuple[int, Row]]:
    """The row of one line, none for a blank one."""
    if not line.strip():
        return
    keys = _KeysTwice()
    try:
        value = json.loads(line, object_pairs_hook=keys)
    except json.JSONDecodeError as exc:
        yield number, _not_json(line, exc)
        return
    except (ValueError, RecursionError) as exc:  # a number of 4,300 digits; nesting Python cannot take
        yield number, {"__invalid__": f"not an award: {unreadable_json(exc)}",
                       "__fix__": "write one JSON object of award fields per line"}
        return
    yield from _json_row(number, value, keys)


CUT_SHORT_FIX = "the line is cut short: the file may be incomplete; export it again"


def _not_json(line: str, exc: json.JSONDecodeError) -> Row:
    """The error of a line that is not JSON, at the character where it breaks. A line whose
    JSON is still open where the line ends was cut short (a write that stopped part way): it
    is named at its end, not where the open string or object began."""
    text = line.rstrip()
    if exc.pos >= len(text) or exc.msg.startswith("Unterminated string"):
        return {"__invalid__": "not JSON: the line ends before its object is closed",
                "__character__": len(text) + 1, "__fix__": CUT_SHORT_FIX}
    return {"__invalid__": f"not JSON: {exc.msg}", "__character__": exc.colno,
            "__fix__": "correct the JSON there: write one JSON object per line"}


class _KeysTwice:
    """Builds JSON objects and notes a key written twice in one (JSON keeps the last value)."""

    def __init__(self) -> None:
        self.twice: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) < len(pairs):
            keys = [key for key, _ in pairs]
            self.twice.append(next(key for index, key in enumerate(keys) if key in keys[:index]))
        return value


def _json_row(number: int, value: Any, keys: _KeysTwice,
              each: str = "line") -> Iterator[tuple[int, Row]]:
    """The row of one JSON value (``each`` line or award must be an object): an object, none for an
    object of blank values. A number becomes a number cell, so an id written as a number is
    checked as in a spreadsheet."""
    twice = keys.twice[:1]
    keys.twice.clear()
    if not isinstance(value, dict):
        example = {"line": None, "award": '{"award_id": ...}'}.get(each, '[{"award_id": ...}, ...]')
        yield number, {"__invalid__": f"each {each} must be one JSON object",
                       **({"__fix__": f"write each award as an object: {example}"} if example else {})}
        return
    if twice:
        yield number, {"__invalid__": f"the key {twice[0]!r} is written twice in one object",
                       "__column__": twice[0], "__fix__": "keep one of the two: only the last would be read"}
        return
    nested = next((key for key, cell in value.items() if _holds_objects(cell)), None)
    if nested is not None:
        yield number, {"__invalid__": f"{nested!r} holds objects, so this object is not the cells of "
                                      "one award", "__column__": nested,
                       "__fix__": "give each award as one object of cells, {\"award_id\": ..., "
                                  "\"given_name\": ...}: in a .json file an array of them or "
                                  "{\"awards\": [...]}, in a .jsonl file one per line"}
        return
    if all(blank(v) for v in value.values()):
        return
    broken = [key for key, item in value.items() if _undecodable(json.dumps(item, ensure_ascii=False))]
    if broken:  # a \ud800-style escape without its pair: JSON allows it, text has no such character
        yield number, {"__invalid__": "holds a lone surrogate escape (\\ud800-\\udfff), which is not a "
                                      "character", "__column__": broken[0],
                       "__fix__": "write the character itself, or the escape with its pair"}
        return
    yield number, {key: _cell(item) if isinstance(item, int | float) and not isinstance(item, bool)
                   else item for key, item in value.items()}


def _holds_objects(cell: Any) -> bool:
    """A list holding an object, or an object holding more than texts: a list of awards or a
    nested record, where a cell holds a value or a language map."""
    if isinstance(cell, list):
        return any(isinstance(item, dict) for item in cell)
    return isinstance(cell, dict) and any(isinstance(item, dict | list) for item in cell.values())
