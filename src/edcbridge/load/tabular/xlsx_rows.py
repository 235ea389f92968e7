"""Rows of an XLSX workbook, the only module that uses openpyxl: the sheet read, a zip bomb
refused unread, and what the cell values do not show (formulas never computed, merged cells,
hidden rows and columns) named on the rows it touches."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edcbridge.load.errors import InputFileError
from edcbridge.load.tabular.cells import ColumnTest, ErrorCell, PastDatesCell, Row, Table, _cell, blank
from edcbridge.load.tabular.header import (
    MAX_COLUMNS,
    CellProblem,
    _header_record,
    _too_wide,
    _twice_filled,
    _unnamed_cells,
    columns_twice,
)
from edcbridge.load.tabular.xlsx_parts import check_zip


def _sheet_cell(cell: Any, marks: SheetMarks) -> Any:
    if getattr(cell, "data_type", None) == "e" and isinstance(cell.value, str):
        if marks.read and (cell.row, cell.column) not in marks.error_cells:
            return PastDatesCell("########")  # openpyxl's #VALUE! for a date it cannot make
        return ErrorCell(cell.value)
    if isinstance(cell.value, str) and "_x" in cell.value:
        return _unescaped(cell.value)
    return _cell(cell.value, getattr(cell, "number_format", "General"))


_ESCAPE = re.compile(r"_x(?![Dd][89A-Fa-f])([0-9A-Fa-f]{4})_")  # no half of a surrogate pair


def _unescaped(text: str) -> str:
    """The text as a spreadsheet shows it: Excel writes a character XML cannot hold (a control
    character) as _xHHHH_, and a typed _x as _x005F_x; openpyxl leaves both as written."""
    return _ESCAPE.sub(lambda found: chr(int(found[1], 16)), text)


def _pick_sheet(names: list[str], visible: list[str] | None = None) -> str:
    """The sheet named awards (in any case), else the first visible one."""
    shown = visible or names
    return next((n for n in names if n.strip().casefold() == "awards"), shown[0])


@dataclass
class SheetMarks:
    """What the cell values of a sheet do not show: formulas never computed, merged cells
    (their value is only in the first cell) and hidden rows."""

    uncomputed: dict[int, list[int]] = field(default_factory=dict)  # columns by row
    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: list[tuple[int, int]] = field(default_factory=list)  # (first, last), 1-based
    hidden_sheet: CellProblem | None = None  # said on every row of a sheet hidden in the workbook
    error_cells: set[tuple[int, int]] = field(default_factory=set)  # (row, column) saved as errors
    read: bool = False  # whether the sheet's XML was read (else the marks are not known)
    filled_rows: list[int] | None = None  # numbers of the rows holding a value (when counted)
    _open: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # see merged_at

    def merged_at(self, number: int) -> list[tuple[int, int, int, int, str]]:
        """The merged ranges that hold row ``number``; rows must be asked for in order, so a
        sheet of many merged cells is not searched again for every row."""
        while self.merged and self.merged[-1][0] <= number:
            self._open.append(self.merged.pop())
        self._open = [m for m in self._open if m[2] >= number]
        return [m for m in self._open if m[0] <= number]


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
SHEET_ROWS = 1_048_576
"""Rows of an Excel or LibreOffice sheet. openpyxl yields an empty row for each number a sheet
skips, so one row numbered 999999999999 in a file of 2 KB would cost days of CPU."""


MAX_FAR_CELLS = 1_000
"""Cells past column MAX_COLUMNS a sheet may hold. openpyxl pads the row of each out to its column
(16,384 cells for column XFD, about 12 ms a row), so such a cell on every row (a few bytes each,
zipped) would take hours; a stray edit or a formatted cell leaves a few."""
_LAST_COLUMN = "BXX"  # column MAX_COLUMNS (2,000)


class SheetBeyondLimits(Exception):
    """A sheet no spreadsheet writes, whose rows would take hours to read; ``problem`` says why."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem, self.fix = problem, fix


def _row_beyond_sheet(number: str) -> SheetBeyondLimits:
    return SheetBeyondLimits(f"has a row numbered {number}, past the last row a sheet can have "
                             f"({SHEET_ROWS:,}): the file was not written by a spreadsheet",
                             "save it again from Excel or LibreOffice as .xlsx, or export it as CSV")


def _too_many_far_cells(reference: str) -> SheetBeyondLimits:
    return SheetBeyondLimits(f"has more than {MAX_FAR_CELLS:,} cells past column {_LAST_COLUMN} "
                             f"(column {MAX_COLUMNS:,}, the most a file of awards may have), the last "
                             f"read at {reference}",
                             f"delete the columns after the last one of the awards (and those past "
                             f"{_LAST_COLUMN}) and save the file again")


def _far_column(reference: str | None) -> bool:
    """Whether a cell reference (XFD12) is past column MAX_COLUMNS: its three letters (the most a
    reference has) sort after those of the last column."""
    return reference is not None and reference[2:3].isalpha() and reference[:3].upper() > _LAST_COLUMN


def _row_number(element: Any, previous: int | None) -> int | None:
    """The number of a ``<row>`` as openpyxl counts it: its ``r`` (3.0 and 3e0 are row 3), else
    the one after the ``previous`` row's; None when openpyxl refuses it (and names the damage).
    SheetBeyondLimits past :data:`SHEET_ROWS`."""
    text = element.get("r")
    if text is None:
        return None if previous is None else previous + 1
    try:
        number = float(text)
    except ValueError:
        return None
    if number > SHEET_ROWS:
        raise _row_beyond_sheet(text)
    return int(number) if number.is_integer() else None


def _sheet_marks(sheet: Any, *, count: bool = False) -> SheetMarks:
    """Read from the sheet's XML, which openpyxl's read-only cells do not expose; with
    ``count``, also the rows that hold a value (see :func:`xlsx_row_count`)."""
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
    from openpyxl.xml.functions import iterparse

    marks = SheetMarks(filled_rows=[] if count else None)
    source = getattr(sheet, "_get_source", None)
    if source is None:
        return marks
    strings = getattr(sheet, "_shared_strings", None) or []
    row_number: int | None = 0
    far_cells = 0
    row_filled = False
    with source() as xml:
        for _, element in iterparse(xml):
            tag = element.tag
            if tag == f"{_MAIN}c":
                if count and not row_filled:
                    row_filled = _holds_value(element, strings)
                if _far_column(element.get("r")):
                    far_cells += 1
                    if far_cells > MAX_FAR_CELLS:
                        raise _too_many_far_cells(element.get("r"))
                if _uncomputed(element) and element.get("r"):
                    row, column = coordinate_to_tuple(element.get("r"))
                    marks.uncomputed.setdefault(row, []).append(column)
                if element.get("t") == "e" and element.get("r"):
                    marks.error_cells.add(coordinate_to_tuple(element.get("r")))
                element.clear()
            elif tag == f"{_MAIN}row":
                row_number = _row_number(element, row_number)
                if element.get("hidden") in ("1", "true") and row_number is not None:
                    marks.hidden_rows.add(row_number)
                if row_filled and marks.filled_rows is not None and row_number is not None:
                    marks.filled_rows.append(row_number)
                row_filled = False
                element.clear()
            elif tag == f"{_MAIN}col" and _hidden_column(element):
                marks.hidden_columns.append((int(element.get("min")), int(element.get("max"))))
            elif tag == f"{_MAIN}mergeCell" and element.get("ref"):
                ref = element.get("ref")
                min_col, min_row, max_col, max_row = range_boundaries(ref)
                marks.merged.append((min_row, min_col, max_row, max_col, ref))
    marks.merged.sort(reverse=True)  # merged_at pops them from the end: by first row
    marks.read = True
    return marks


def _holds_value(cell: Any, strings: Sequence[Any]) -> bool:
    """Whether a ``<c>`` holds what the reader takes for a value, not a blank (see
    :func:`.cells.blank`): a number, date, truth value or error, or a text that is not only
    whitespace (shared, inline or a formula's, with Excel's _xHHHH_ escapes read)."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        text = "" if inline is None else "".join(inline.itertext())
    else:
        text = cell.findtext(f"{_MAIN}v") or ""
        if not text or kind not in ("s", "str"):
            return bool(text)
        if kind == "s":
            text = strings[int(text)]
    if not isinstance(text, str):
        return True
    return bool((_unescaped(text) if "_x" in text else text).strip())


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

    problems: list[CellProblem] = [] if marks.hidden_sheet is None else [marks.hidden_sheet]
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


def _hidden_sheet(name: str, visible: list[str]) -> CellProblem:
    """The problem of a row of the sheet named awards when the workbook hides it (an old copy
    kept beside the sheet worked on): hidden rows are not issued, nor are hidden sheets."""
    shown = ", ".join(repr(sheet) for sheet in visible)
    return (None, None, None, f"the row is in the sheet {name!r}, which is hidden in the workbook",
            "unhide the sheet to issue its credentials, or delete it or rename it, so that a "
            f"visible sheet is read (here {shown})")


def column_letter(position: int) -> str:
    """The letter a spreadsheet shows for the column at ``position`` (1: A, 27: AA)."""
    from openpyxl.utils.cell import get_column_letter

    return str(get_column_letter(position))


def xlsx_row_count(path: Path, is_column: ColumnTest | None = None) -> int | None:
    """The rows of awards the reader takes from a workbook (the rows under the header that hold
    a value), for the progress bar, or None when the workbook cannot be read: one pass over the
    sheet's XML, as the reader makes before its rows."""
    try:
        table = _xlsx_rows(path, is_column, count_only=True)
    except Exception:  # the run names what is wrong with the file
        return None
    return table.counted


def _xlsx_rows(path: Path, is_column: ColumnTest | None = None, *, count_only: bool = False) -> Table:
    """The sheet's rows; with ``count_only``, none, but how many there are (``counted``)."""
    from openpyxl import load_workbook  # imported when a workbook is read: openpyxl is slow to import

    check_zip(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputFileError(str(path), f"not a readable XLSX workbook ({exc.__class__.__name__})",
                             "save it again from Excel or LibreOffice as .xlsx") from None
    visible = [s.title for s in book.worksheets if getattr(s, "sheet_state", "visible") == "visible"]
    name = _pick_sheet(book.sheetnames, visible)
    sheet = book[name]
    try:
        marks = _sheet_marks(sheet, count=count_only)
    except SheetBeyondLimits as exc:
        book.close()
        raise InputFileError(str(path), f"the sheet {name!r} {exc.problem}", exc.fix) from None
    except Exception:  # a damaged sheet: reading its rows names where it breaks
        marks = SheetMarks()
    if visible and name not in visible:
        marks.hidden_sheet = _hidden_sheet(name, visible)
    # each row as far as its own cells go: the extent the sheet records (A1:XFD300 once a cell
    # of column XFD is formatted) would pad every row to 16,384 cells, 30 ms a row
    reset = getattr(sheet, "reset_dimensions", None)
    if reset is not None:
        reset()
    records = ([_sheet_cell(c, marks) for c in row] for row in sheet.iter_rows())
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
    if count_only:
        book.close()
        if not marks.read or marks.filled_rows is None:
            return Table(header, iter(()), name, tuple(book.sheetnames), header_row)
        counted = sum(1 for number in marks.filled_rows if number > header_row)
        return Table(header, iter(()), name, tuple(book.sheetnames), header_row, counted)
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
                            + _twice_filled(row, twice, values, column_letter))
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
            with warnings.catch_warnings():  # a date cell it cannot read: said on its row
                warnings.simplefilter("ignore", UserWarning)
                row = next(cells)
        except StopIteration:
            return
        except Exception as exc:
            raise InputFileError(str(path), f"the workbook is damaged after row {number - 1} "
                                 f"({exc.__class__.__name__})",
                                 "save it again from Excel or LibreOffice as .xlsx") from None
        yield number, row
        number += 1
