"""What an XLSX part's XML says beyond its elements: the _xHHHH_ escapes Excel writes in cell
text for characters XML cannot hold, and a DTD, which no spreadsheet writes and whose entities
would put into a credential what no spreadsheet shows."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from edcbridge.load import InputFileError, LoadedRow, iter_awards
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


def _dtd(text: str) -> Callable[[bytes], bytes]:
    """A DTD put before the part's root element (openpyxl writes no XML declaration)."""
    return lambda data: text.encode() + data


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


# a DTD in any part is refused before any of the workbook is read

DOCTYPE = '<!DOCTYPE worksheet [<!ENTITY id "A9">]>'


def test_an_entity_declared_in_a_sheet_is_refused_not_read(tmp_path: Path) -> None:
    cells = ["XIDX", *GOOD[1:]]
    path = _edited(tmp_path, cells, {SHEET: _dtd(DOCTYPE)})
    with pytest.raises(InputFileError) as raised:
        _rows(path)
    error = raised.value.error
    assert error.file == str(path)
    assert error.message.startswith("xl/worksheets/sheet1.xml declares a DTD (<!DOCTYPE>)")
    assert error.fix == "save it again from Excel or LibreOffice as .xlsx, or export it as CSV"


def test_an_entity_expanded_into_a_cell_is_refused(tmp_path: Path) -> None:
    cells = ["XIDX", *GOOD[1:]]
    with_entity = _replaced(b"XIDX", b"&id;")
    path = _edited(tmp_path, cells, {SHEET: lambda data: DOCTYPE.encode() + with_entity(data)})
    with pytest.raises(InputFileError, match="declares a DTD"):
        _rows(path)


@pytest.mark.parametrize("part", ["xl/workbook.xml", "[Content_Types].xml", "docProps/core.xml"])
def test_a_dtd_in_another_part_is_refused(tmp_path: Path, part: str) -> None:
    path = _edited(tmp_path, GOOD, {part: _dtd('<!DOCTYPE x SYSTEM "http://example.org/x.dtd">')})
    with pytest.raises(InputFileError, match=f"{part.replace('[', '.').replace(']', '.')} declares a DTD"):
        _rows(path)


def test_a_part_in_utf16_is_read_and_its_dtd_found(tmp_path: Path) -> None:
    def utf16(dtd: str) -> Callable[[bytes], bytes]:
        return lambda data: ('<?xml version="1.0" encoding="UTF-16"?>' + dtd + data.decode()).encode("utf-16")
    [row] = _rows(_edited(tmp_path, GOOD, {SHEET: utf16("")}))
    assert row.errors == () and row.award is not None
    with pytest.raises(InputFileError, match=r"sheet1\.xml declares a DTD"):
        _rows(_edited(tmp_path, GOOD, {SHEET: utf16("<!DOCTYPE worksheet>")}))


def test_a_part_that_puts_its_dtd_past_a_long_prolog_is_refused(tmp_path: Path) -> None:
    long_comment = "<!--" + "x" * 70_000 + "-->"
    path = _edited(tmp_path, GOOD, {SHEET: _dtd(long_comment + "<!DOCTYPE worksheet>")})
    with pytest.raises(InputFileError) as raised:
        _rows(path)
    assert raised.value.error.message == "xl/worksheets/sheet1.xml holds no element in its first 64 KB, " \
        "as no spreadsheet writes it"


# a number past the last date in a date cell: what Excel shows as ####, no formula's error

def _dated(tmp_path: Path, value: object) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "awards"
    sheet.append(HEADER)
    sheet.append([*GOOD[:6], value, GOOD[7]])
    sheet["G2"].number_format = "yyyy-mm-dd"
    path = tmp_path / "awards.xlsx"
    book.save(path)
    return path


def test_digits_typed_into_a_date_cell_are_named_as_such_not_as_a_failed_formula(tmp_path: Path) -> None:
    [row] = _rows(_dated(tmp_path, 20250714))
    assert row.award is None
    [error] = row.errors
    assert (error.row, error.column, error.value) == (2, "awarding_date", "########")
    assert error.message == ("the cell is formatted as a date but holds a number past the last "
                             "date a spreadsheet has, so it shows ########: digits typed into a "
                             "date cell, such as 20250714")
    assert error.fix == "enter the date in a date cell or as YYYY-MM-DD, e.g. 2025-07-14"


def test_a_failed_formula_in_a_date_cell_is_still_named_as_one(tmp_path: Path) -> None:
    [row] = _rows(_dated(tmp_path, "#VALUE!"))
    [error] = row.errors
    assert (error.column, error.value) == ("awarding_date", "#VALUE!")
    assert error.message.endswith("(its formula failed)")


def test_a_dtd_in_shared_strings_of_another_name_is_refused(tmp_path: Path) -> None:
    shared = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
              "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings")
    strings = (DOCTYPE + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               "<si><t>&id;</t></si></sst>").encode()
    path = _edited(tmp_path, ["XIDX", *GOOD[1:]], {
        "[Content_Types].xml": _replaced(b"</Types>", f'<Override PartName="/xl/strings.dat" '
                                         f'ContentType="{shared[0]}"/></Types>'.encode()),
        "xl/_rels/workbook.xml.rels": _replaced(b"</Relationships>", f'<Relationship Id="rIdS" '
                                                f'Type="{shared[1]}" Target="/xl/strings.dat"/>'
                                                "</Relationships>".encode()),
        SHEET: _replaced(b't="inlineStr"><is><t>XIDX</t></is>', b't="s"><v>0</v>')})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/strings.dat", strings)
    with pytest.raises(InputFileError, match=r"xl/strings\.dat declares a DTD"):
        _rows(path)


# A part Python's zip reader cannot open is said as a damaged workbook is, not as a traceback

def _flag_or_method(data: bytearray, local: int, central: int, value: int, flag: bool) -> None:
    for signature, offset in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        at = 0
        while (at := data.find(signature, at)) != -1:
            if flag:
                data[at + offset] |= value  # bit 0 of the general purpose flag: encrypted
            else:
                data[at + offset:at + offset + 2] = value.to_bytes(2, "little")  # compression method
            at += 4


@pytest.mark.parametrize("damage", ["encrypted", "deflate64"])
def test_a_part_the_zip_reader_cannot_open_is_a_damaged_workbook(tmp_path: Path, damage: str) -> None:
    """Encrypted members (a zip tool's password) and Deflate64 (Windows' compressed folders, for
    large files) are zip features Python does not read: openpyxl's failure over them is said as
    a workbook it cannot read, and the checks made before it must not fail first."""
    data = bytearray(_edited(tmp_path, GOOD, {}).read_bytes())
    if damage == "encrypted":
        _flag_or_method(data, 6, 8, 1, flag=True)
    else:
        _flag_or_method(data, 8, 10, 9, flag=False)
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match="not a readable XLSX workbook"):
        _rows(path)
