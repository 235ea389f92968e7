"""A sheet whose recorded extent runs far past its columns (a formatted cell at column XFD, as a
whole-row format or a stray edit leaves) is read at the speed of its own cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from edcbridge.load import InputFileError, iter_awards
from edcbridge.load.tabular import xlsx_rows
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER


def _book(tmp_path: Path, rows: int, far: tuple[int, object] | None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "awards"
    sheet.append(HEADER)
    for number in range(rows):
        sheet.append([f"A{number}", *GOOD[1:]])
    if far is not None:
        row, value = far
        sheet.cell(row=row, column=16384, value=value).font = Font(bold=True)  # column XFD
    path = tmp_path / "awards.xlsx"
    book.save(path)
    return path


def test_a_formatted_cell_at_the_last_column_does_not_pad_every_row(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _book(tmp_path, 300, (1, None))
    read = []
    original = xlsx_rows._sheet_cell

    def counted(cell: Any, *marks: Any) -> Any:
        read.append(cell)
        return original(cell, *marks)

    monkeypatch.setattr(xlsx_rows, "_sheet_cell", counted)
    rows = list(iter_awards(path, CATALOGUE))
    assert len(rows) == 300 and all(r.award is not None for r in rows)
    # each row as far as its own cells (padded to 16,384 cells, 300 rows took 9 s)
    assert len(read) <= 301 * len(HEADER) + 16384, len(read)


def test_a_value_far_past_the_header_is_still_an_error_of_its_row(tmp_path: Path) -> None:
    rows = list(iter_awards(_book(tmp_path, 3, (3, "stray")), CATALOGUE))
    assert [r.row for r in rows if r.award is None] == [3]
    [error] = rows[1].errors
    assert (error.value, error.message, error.position) == ("stray", "a cell under no column name", 16384)


def _book_with_far_cells(tmp_path: Path, rows: int, far_rows: int) -> Path:
    """A sheet of ``rows`` awards, the first ``far_rows`` with a formatted empty cell at column XFD."""
    path = _book(tmp_path, rows, None)
    book = load_workbook(path)
    for row in range(2, far_rows + 2):
        book.active.cell(row=row, column=16384).font = Font(bold=True)
    book.save(path)
    return path


def test_a_sheet_of_many_cells_past_the_last_column_is_refused(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_rows, "MAX_FAR_CELLS", 5, raising=False)
    path = _book_with_far_cells(tmp_path, 8, 6)
    with pytest.raises(InputFileError, match="the sheet 'awards' has more than 5 cells past column BXX "
                       r"\(column 2,000, the most a file of awards may have\), the last read at XFD7"):
        list(iter_awards(path, CATALOGUE))


def test_a_few_cells_past_the_last_column_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_rows, "MAX_FAR_CELLS", 5, raising=False)
    rows = list(iter_awards(_book_with_far_cells(tmp_path, 8, 5), CATALOGUE))
    assert len(rows) == 8 and all(r.award is not None for r in rows)
