"""A sheet row numbered past the last row a spreadsheet has is refused before its rows are read:
openpyxl yields an empty row for every number skipped, so a row numbered 999999999999 in a
workbook of 2 KB would keep the reader busy for days. Rows are numbered as openpyxl numbers
them, so a hidden row written as row 3.0, or with no number, is named as hidden too."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from edcbridge.load import InputFileError
from edcbridge.load.tabular import read_rows

SHEET_ROWS = 1_048_576  # the last row of an Excel or LibreOffice sheet
SHEET = "xl/worksheets/sheet1.xml"


def _workbook_with_last_row(tmp_path: Path, number: str) -> Path:
    """A workbook of a header, one award and a third row renumbered ``number``."""
    return _workbook_with_third_row(tmp_path, f'r="{number}"', number)


def _workbook_with_third_row(tmp_path: Path, attributes: str, number: str) -> Path:
    """A workbook of a header and two awards, the ``<row>`` of the second given ``attributes``
    and its cells numbered ``number``."""
    book = Workbook()
    book.active.title = "awards"
    for row in (["award_id", "learner_id"], ["A1", "S1"], ["A2", "S2"]):
        book.active.append(row)
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    renumbered = tmp_path / "renumbered.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(renumbered, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == SHEET:
                data = data.replace(b'<row r="3"', f"<row {attributes}".encode())
                data = data.replace(b'r="A3"', f'r="A{number}"'.encode()).replace(
                    b'r="B3"', f'r="B{number}"'.encode())
                assert f"<row {attributes}".encode() in data
            out.writestr(item.filename, data)
    return renumbered


def _read_all(path: Path) -> list[int]:
    return [number for number, _ in read_rows(path).rows]


@pytest.mark.parametrize("number", [str(SHEET_ROWS + 1), "999999999999", "1e12"])
def test_a_row_numbered_past_the_sheet_is_refused_before_any_row(tmp_path: Path, number: str) -> None:
    workbook = _workbook_with_last_row(tmp_path, number)
    with pytest.raises(InputFileError, match=f"row numbered {number}, past the last row") as refused:
        read_rows(workbook)
    assert "renumbered.xlsx" in str(refused.value)
    assert "save it again from Excel or LibreOffice" in str(refused.value)


def test_the_last_row_of_a_sheet_is_read(tmp_path: Path) -> None:
    assert _read_all(_workbook_with_last_row(tmp_path, str(SHEET_ROWS))) == [2, SHEET_ROWS]


@pytest.mark.parametrize("attributes", ['r="3.0" hidden="1"', 'hidden="1"'])
def test_a_hidden_row_numbered_as_openpyxl_reads_it_is_marked(tmp_path: Path, attributes: str) -> None:
    rows = list(read_rows(_workbook_with_third_row(tmp_path, attributes, "3")).rows)
    assert [number for number, _ in rows] == [2, 3]
    assert "__cells__" not in rows[0][1]
    assert [problem[3] for problem in rows[1][1]["__cells__"]] == [
        "the row is hidden in the sheet (hidden or filtered out)"]
