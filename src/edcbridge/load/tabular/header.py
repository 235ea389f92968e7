"""The header of a CSV file or sheet: found below a title, its width bounded, and the cells of
a row the header names twice or does not name."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from edcbridge.load.errors import InputFileError
from edcbridge.load.tabular.cells import ColumnTest, Row, blank
from edcbridge.load.tabular.text_file import _undecodable


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

    The header is the first record that is not blank, unless that is a title: filled cells that
    name no column ("Graduation 2025 - awards", often merged across the columns, or labels of
    column groups such as "Award | Learner | Result" merged over the columns they head), with the
    column names a few rows below it, past blank rows or more titles. A title is not an award,
    and reading it as the header would make every row an error.
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
    """Filled cells naming no column (a byte outside the encoding is named as the header's)."""
    filled = [str(c) for c in cells if not blank(c)]
    return bool(filled) and not any(is_column(c.strip()) or _undecodable(c) for c in filled)


# The columns a header may have: the award fields in a few dozen languages fit. Each is checked
# (a header of a million unknown columns, 2 MB of CSV, made gigabytes of errors and reports) and
# every row is built column by column (200,000 columns made each row cost a third of a second).
MAX_COLUMNS = 2000


def _too_wide(path: Path, columns: int) -> InputFileError:
    return InputFileError(str(path), f"the header has {columns:,} columns, more than the {MAX_COLUMNS:,} "
                          "an awards file may have", "keep only the award columns (see 'edcbridge "
                          "formats --kind award')")


# (column name or None, 1-based position, value, problem, fix) of one cell
CellProblem = tuple[str | None, int | None, str | None, str, str]


def columns_twice(header: list[str]) -> dict[str, list[int]]:
    """The 0-based positions of each column name the header gives more than once."""
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        if name:
            positions.setdefault(name, []).append(index)
    return {name: found for name, found in positions.items() if len(found) > 1}


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
