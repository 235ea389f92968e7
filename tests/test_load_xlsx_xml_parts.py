"""What an XLSX part's XML says beyond its elements: the _xHHHH_ escapes Excel writes in cell
text for characters XML cannot hold."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

from edcbridge.load import LoadedRow, iter_awards
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER

SHEET = "xl/worksheets/sheet1.xml"


def _edited(tmp_path: Path, cells: list[str], edit: dict[str, Callable[[bytes], bytes]]) -> Path:
    """A workbook saved by openpyxl with one award row, each member named in ``edit`` then
    rewritten by its function."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "awards"
    sheet.append(HEADER)
    sheet.append(cells)
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = tmp_path / "awards.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename in edit:
                data = edit[item.filename](data)
            out.writestr(item.filename, data)
    return path


def _replaced(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def replace(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new)
    return replace


def _rows(path: Path) -> list[LoadedRow]:
    return list(iter_awards(path, CATALOGUE))


# Excel's escapes are read as the characters the cell shows

def test_an_escaped_character_is_read_as_the_character_excel_shows(tmp_path: Path) -> None:
    cells = ["A_x0031_0", *GOOD[1:3], "XGIVENX", *GOOD[4:]]
    path = _edited(tmp_path, cells, {SHEET: _replaced(b"XGIVENX", b"Chlo_x00e9_")})
    [row] = _rows(path)
    assert row.errors == () and row.award is not None
    assert row.award.award_id == "A10"
    assert row.award.learner.given_name == {"en": "Chloé"}


def test_an_escaped_underscore_keeps_the_text_that_looks_like_an_escape(tmp_path: Path) -> None:
    cells = ["XIDX", *GOOD[1:]]  # typed A_x0031_ in Excel, saved as A_x005F_x0031_
    [row] = _rows(_edited(tmp_path, cells, {SHEET: _replaced(b"XIDX", b"A_x005F_x0031_")}))
    assert row.award is not None and row.award.award_id == "A_x0031_"


def test_an_escaped_control_character_fails_its_row_as_a_typed_one_does(tmp_path: Path) -> None:
    cells = [*GOOD[:3], "XGIVENX", *GOOD[4:]]
    [row] = _rows(_edited(tmp_path, cells, {SHEET: _replaced(b"XGIVENX", b"Chlo_x0001_e")}))
    assert row.award is None
    [error] = row.errors
    assert (error.row, error.column) == (2, "given_name")
    assert "U+0001" in error.message
