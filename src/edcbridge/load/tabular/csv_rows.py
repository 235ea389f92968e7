"""Rows of a CSV file: its delimiter (or Excel's ``sep=`` line), the header, and each row
streamed, a quote left open or a byte outside the encoding reported where it is."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from edcbridge.load.errors import InputFileError
from edcbridge.load.tabular.cells import ColumnTest, Row, Table, blank
from edcbridge.load.tabular.header import (
    MAX_COLUMNS,
    CellProblem,
    _header_record,
    _too_wide,
    _twice_filled,
    _unnamed_cells,
    columns_twice,
)
from edcbridge.load.tabular.text_file import (
    _decode_error,
    _open_text,
    _undecodable,
    undecodable_cell,
)


def _delimiter(sample: str) -> str:
    """Comma, semicolon or tab: the most frequent in the first line that holds one of them and
    more than those (a title alone on its line, above the header, holds none)."""
    for line in sample.splitlines():
        if line.strip(",;\t \r\n") and any(d in line for d in ",;\t"):
            return max(",;\t", key=line.count)
    return ","


def sep_line(sample: str) -> str | None:
    """The delimiter a first line such as ``sep=;`` names: Excel writes and reads that line, which
    is not the header."""
    first = sample.split("\n", 1)[0].strip().lstrip("\ufeff").strip('"')
    return first[4] if len(first) == 5 and first[:4].lower() == "sep=" else None


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


def _csv_error(path: Path, where: str, exc: csv.Error) -> InputFileError:
    return InputFileError(str(path), f"{where} cannot be read as CSV ({exc})", _QUOTES_FIX)


def _csv_rows(path: Path, is_column: ColumnTest | None = None, named: str | None = None) -> Table:
    handle, encoding = _open_text(path, named, line_bound=True)
    sample = handle.read(8192)
    handle.seek(0)
    if csv.field_size_limit() < _LONGEST_CELL:
        csv.field_size_limit(_LONGEST_CELL)
    delimiter = sep_line(sample)
    if delimiter is not None:
        handle.readline()
    # not strict: a hand-edited '"Smith" ,' reads as Excel would; a quote left open makes a cell
    # with line breaks, which the award check refuses (see awards.row_to_data). The spaces after
    # a delimiter are skipped, so '"A1", "Smith, Jr."' has its quotes read as quotes: every value
    # is trimmed after reading anyway
    reader = csv.reader(handle, delimiter=delimiter or _delimiter(sample), skipinitialspace=True)
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
    width = max((i + 1 for i, name in enumerate(header) if name), default=0)  # to the last name
    unnamed_columns = not all(header)  # else a cell under no name is one past the header's last

    def rows() -> Iterator[tuple[int, Row]]:
        with handle:
            number = header_row
            try:
                for cells in records:
                    number += 1
                    undecodable: list[CellProblem] = []
                    joined = "".join(cells)
                    shown = not joined.isascii() and _undecodable(joined)
                    if shown:
                        cells, undecodable = _shown_cells(header, cells, encoding, is_column)
                    # cells of spaces join into spaces (a shown cell may have become spaces)
                    if all(blank(c) for c in cells) if shown else not joined.strip():
                        continue
                    if '="' in joined:  # a cell written as ="00123" (rare: not each cell asked)
                        cells = [_formula_text(c) for c in cells]
                    row = _named_cells(header, cells, unnamed_columns)
                    unnamed = undecodable + \
                        (_unnamed_cells(header, cells[:len(header)]) if unnamed_columns else []) + \
                        (_twice_filled(row, twice, cells, str) if twice else [])
                    if unnamed:
                        row["__cells__"] = unnamed
                    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                        row["__extra__"] = cells[len(header):]
                    if len(cells) < width:
                        row["__short__"] = (len(cells), width, [h for h in header[len(cells):] if h])
                    yield number, row
            except csv.Error as exc:
                raise _csv_error(path, f"row {number + 1}", exc) from None
            except UnicodeDecodeError:  # UTF-16/32 data an escape cannot stand for (an ASCII byte):
                # the decoder had read ahead, so the rows since the last one given are lost too
                error = _decode_error(path, encoding, _CSV_FIX).error
                raise InputFileError(str(path), f"{error.message}; rows after row {number} could not "
                                     "be read", error.fix) from None

    return Table(header, rows(), header_row=header_row)


def _named_cells(header: list[str], cells: Sequence[str], unnamed_columns: bool) -> Row:
    """Each named column's cell, the columns past a short row's end empty (a row at least as
    wide as a header that names every column is zipped with it: most rows)."""
    if len(cells) >= len(header) and not unnamed_columns:
        return dict(zip(header, cells, strict=False))  # the cells past the header are said apart
    return {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if name}


# ="00123": how student systems write a text in a CSV file so that Excel keeps its zeros
_TEXT_FORMULA = re.compile(r'="((?:[^"]|"")*)"')


def _formula_text(cell: str) -> str:
    """The text Excel shows for a cell written as the formula ="00123" (00123), else the cell."""
    found = _TEXT_FORMULA.fullmatch(cell.rstrip()) if cell.startswith("=") else None
    return found[1].replace('""', '"') if found else cell


def _shown_cells(header: list[str], cells: Sequence[str], encoding: str,
                 is_column: ColumnTest | None = None) -> tuple[list[str], list[CellProblem]]:
    """The cells of a row holding bytes outside the file's encoding, each such byte shown as
    U+FFFD, and the problem of each such cell: the row fails, not the file. A cell of a column
    ``is_column`` does not know is not read, so it fails nothing."""
    shown: list[str] = []
    problems: list[CellProblem] = []
    for index, cell in enumerate(cells):
        if not _undecodable(cell):
            shown.append(cell)
            continue
        name = header[index] if index < len(header) and header[index] else None
        text, problem, fix = undecodable_cell(name or f"column {index + 1}", cell, encoding)
        shown.append(text)
        if name and is_column is not None and not is_column(name):
            continue
        problems.append((name, None if name else index + 1, text.strip(), problem, fix))
    return shown, problems
