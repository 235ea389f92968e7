"""Award files with blank lines before the header, late encoding errors, suggestions that name
what they list, and cells past the header's last column."""

from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from edcbridge.cli import main
from edcbridge.load import InputFileError, RecordError, iter_awards
from edcbridge.load.errors import suggest
from edcbridge.load.tabular import csv_rows
from edcbridge.load.tabular.text_file import _bad_byte
from tests.conftest import FIXTURES
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER, _rows


def _write(tmp_path: Path, data: bytes, name: str = "awards.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _lines(lines: list[list[str]], sep: str = ",") -> bytes:
    return "".join(sep.join(line) + "\r\n" for line in lines).encode("utf-8")


# blank lines before the header

@pytest.mark.parametrize("before", [b"\r\n", b"\r\n \r\n,,\r\n", b"\r\n\xef\xbb\xbf"])
def test_blank_lines_before_the_header_are_skipped(tmp_path: Path, before: bytes) -> None:
    path = _write(tmp_path, before + _lines([HEADER, GOOD, ["A2", *GOOD[1:]]]))
    first = before.count(b"\n") + 2
    rows = _rows(path)
    assert [(r.row, r.errors) for r in rows] == [(first, ()), (first + 1, ())]


def test_the_delimiter_is_read_from_the_header_after_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, b"\r\n" + _lines([HEADER, GOOD], sep=";"))
    [row] = _rows(path)
    assert row.row == 3 and row.errors == ()


def test_header_errors_after_blank_lines_name_the_header_row(tmp_path: Path) -> None:
    path = _write(tmp_path, b"\r\n\r\n" + _lines([[*HEADER, "notes"], [*GOOD, "x"]]))
    header, row = _rows(path)
    assert header.file_level and header.row == 3
    assert [(e.row, e.message) for e in header.errors] == [(3, "unknown column 'notes'")]
    assert (row.row, row.errors) == (4, ())


def test_blank_rows_before_a_workbook_header_are_skipped(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "awards"
    sheet.append([None, "  "])
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(GOOD)
    path = tmp_path / "awards.xlsx"
    book.save(path)
    [row] = _rows(path)
    assert (row.row, row.errors) == (4, ())


@pytest.mark.parametrize("data", [b"\r\n\r\n", b" \n\t\n", b"\r\n,,,\r\n"])
def test_a_file_of_blank_lines_has_no_header_row(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InputFileError) as caught:
        _rows(_write(tmp_path, data))
    assert caught.value.error.message == "there is no header row: every line is blank"
    assert caught.value.error.fix == "add a header row and award rows"


def test_a_file_of_blank_lines_is_an_unusable_input(tmp_path: Path, store,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    path = _write(tmp_path, b"\r\n\r\n")
    out = tmp_path / "out"
    catalogue = FIXTURES / "imperial" / "catalogue.yaml"
    result = CliRunner().invoke(main, ["export", str(path), "--catalogue", str(catalogue),
                                       "--out", str(out), "-q"])
    assert result.exit_code == 2, result.output
    assert "there is no header row" in result.stderr
    assert not (out / "edc").exists()


# a bad byte far into the file is named at its own line

def _long_csv(bad_line: int, lines: int = 900) -> bytes:
    rows = [",".join(HEADER).encode()]
    for number in range(2, lines + 1):
        given = b"Ren\xe9" if number == bad_line else b"Rene"  # Windows-1252 e acute
        rows.append(b"A%d,IMP-MC-MLH,%08d,%s,Lefevre-Dubois of a long family name as the registry "
                    b"holds it,1994-03-17,2025-07-14,Merit" % (number, number, given))
    return b"\r\n".join(rows) + b"\r\n"


def test_a_late_bad_byte_fails_its_row_alone(tmp_path: Path) -> None:
    data = _long_csv(632)
    assert data.index(b"\xe9") > 65536
    rows = _rows(_write(tmp_path, data))
    assert len(rows) == 899 and [r.row for r in rows if r.award is None] == [632]
    [error] = rows[630].errors
    assert (error.row, error.column, error.value) == (632, "given_name", "Ren\ufffd")
    assert error.message == ("given_name holds a byte that is not UTF-8 (shown as \ufffd); in "
                             "Windows-1252 it reads 'René'")
    assert error.fix == ("correct the cell (type it again) and save the file as 'CSV UTF-8': a program "
                         "that wrote another encoding was used on it")


def test_a_bad_byte_in_a_utf8_file_fails_its_row_alone(tmp_path: Path) -> None:
    """A name pasted from an old system into a UTF-8 file (Chloé written as UTF-8 above it):
    the other rows are the file's, read as they are."""
    rows = [",".join(HEADER).encode(), ",".join(GOOD).encode(),
            ",".join(["A2", *GOOD[1:3], "Ren\udce9", *GOOD[4:]]).encode("utf-8", "surrogateescape"),
            ",".join(["A3", *GOOD[1:]]).encode()]
    first, bad, last = _rows(_write(tmp_path, b"\r\n".join(rows) + b"\r\n"))
    assert first.award is not None and last.award is not None
    assert first.award.learner.given_name == {"en": "Chloé"}
    assert bad.award is None and [(e.row, e.column) for e in bad.errors] == [(3, "given_name")]


def test_a_bad_byte_in_a_column_that_is_not_read_fails_no_row(tmp_path: Path) -> None:
    """A registry's notes column, no award column: its values are not read (the column is one
    error of the file), so a byte pasted into it from an old program fails no award."""
    rows = [",".join([*HEADER, "notes"]).encode(), ",".join([*GOOD, "ok"]).encode(),
            ",".join(["A2", *GOOD[1:], "caf\udce9"]).encode("utf-8", "surrogateescape")]
    header, first, second = _rows(_write(tmp_path, b"\r\n".join(rows) + b"\r\n"))
    assert header.file_level and [e.column for e in header.errors] == ["notes"]
    assert first.award is not None
    assert second.award is not None, [e.render() for e in second.errors]


def test_a_file_in_a_legacy_encoding_is_still_refused_whole(tmp_path: Path) -> None:
    data = _lines([HEADER, ["A1", *GOOD[1:3], "Chloé", "Lefèvre", *GOOD[5:]]]).decode().encode("cp1252")
    with pytest.raises(InputFileError, match="not UTF-8"):
        _rows(_write(tmp_path, data))


def test_a_late_bad_byte_of_a_json_lines_file_fails_its_line_alone(tmp_path: Path) -> None:
    lines = [json.dumps(dict(zip(HEADER, [f"A{n}", *GOOD[1:]], strict=True))).encode() for n in range(1, 900)]
    lines[700] = lines[700].replace(b"Merit", b"M\xe9rit")
    data = b"\n".join(lines) + b"\n"
    assert data.index(b"\xe9") > 65536
    rows = _rows(_write(tmp_path, data, "awards.jsonl"))
    assert len(rows) == 899 and [r.row for r in rows if r.award is None] == [701]
    [error] = rows[700].errors
    assert error.message == "the line holds a byte that is not UTF-8"
    assert error.character == lines[700].index(b"\xe9") + 1
    assert error.fix == "correct the line and write the file as UTF-8"


def test_a_late_error_in_utf16_counts_lines_of_text(tmp_path: Path) -> None:
    text = "".join(f"A{n}\u010a\t{n}\r\n" for n in range(6000))  # U+010A holds a 0x0A byte
    data = text.encode("utf-16") + b"\x00\xd8\x41\x00"  # lone surrogate
    path = _write(tmp_path, data)
    assert _bad_byte(path, "utf-16") == (6001, len(data) - 4)


def test_a_character_split_between_reads_is_not_the_bad_byte(tmp_path: Path) -> None:
    data = b"a" * 65535 + "é\n".encode() + b"x\n\xff"
    path = _write(tmp_path, data)
    assert _bad_byte(path, "utf-8") == (3, len(data) - 1)
    assert codecs.decode(data[:-1], "utf-8")  # all but the last byte is UTF-8


# suggestions name what they list

def test_an_unknown_specification_lists_the_known_specifications(tmp_path: Path) -> None:
    path = _write(tmp_path, _lines([HEADER, ["A1", "IMP-XX-NOPE", *GOOD[2:]]]))
    [row] = _rows(path)
    [error] = [e for e in row.errors if e.column == "specification"]
    codes = ", ".join(s.code for s in CATALOGUE.specifications)
    assert error.fix == f"known specifications: {codes}"


def test_an_unknown_issuer_lists_the_known_organisations(tmp_path: Path) -> None:
    path = _write(tmp_path, _lines([[*HEADER, "issuer"], [*GOOD, "zzzzzz"]]))
    [row] = _rows(path)
    [error] = [e for e in row.errors if e.column == "issuer"]
    assert error.fix.startswith("known organisations: ")


def test_suggestions_for_columns_still_say_columns() -> None:
    assert suggest("zzzz", ["award_id", "grade"]) == "accepted columns: award_id, grade"
    assert suggest("grad", ["award_id", "grade"]) == "did you mean 'grade'?"
    assert suggest("XX", ["IMP-A"], "known specifications") == "known specifications: IMP-A"


# cells past the header's last column are named by position

def test_extra_cells_are_named_by_their_position(tmp_path: Path) -> None:
    path = _write(tmp_path, _lines([HEADER, [*GOOD, "", "extra", "more", ""]]))
    [row] = _rows(path)
    [error] = [e for e in row.errors if e.message == "more cells than header columns"]
    assert error.render() == (f"{path}:2: column 10 (no header) = 'extra, more': more cells than header "
                              "columns\n    fix: quote cells that contain the delimiter")


def test_a_position_is_left_out_when_the_column_has_a_name() -> None:
    error = RecordError("a.csv", 3, "grade", "x", "bad", "fix", position=7)
    assert error.render() == "a.csv:3: column 'grade' = 'x': bad\n    fix: fix"


def test_a_lone_surrogate_escape_in_json_lines_names_its_key(tmp_path: Path) -> None:
    row = dict(zip(HEADER, GOOD, strict=True))
    path = tmp_path / "awards.jsonl"
    broken = {**row, "award_id": "A2", "given_name": "Ch\ud800"}  # json.dumps writes the \\ud800 escape
    path.write_text(json.dumps(row) + "\n" + json.dumps(broken) + "\n", "utf-8")
    first, second = _rows(path)
    assert first.award is not None and second.award is None
    [error] = second.errors
    assert (error.row, error.column) == (2, "given_name")
    assert "lone surrogate" in error.message and "with its pair" in error.fix


def test_a_broken_utf16_file_part_way_is_an_error_of_the_file(tmp_path: Path) -> None:
    """UTF-16 that no escape can stand for (a lone surrogate unit) ends the file, not the run."""
    lines = [",".join(HEADER)] + [",".join([f"A{i}", *GOOD[1:]]) for i in range(3000)]
    text = "\n".join(lines) + "\n"
    cut = text.index("A2500,")
    raw = text[:cut].encode("utf-16") + b"\x00\xd8" + text[cut:].encode("utf-16-le")
    path = tmp_path / "awards.csv"
    path.write_bytes(raw)
    read = []
    with pytest.raises(InputFileError) as caught:
        for row in iter_awards(path, CATALOGUE):
            read.append(row)
    assert "not UTF-16 (line 2502" in str(caught.value)
    assert f"rows after row {read[-1].row} could not be read" in str(caught.value)
    assert 2400 < len(read) <= 2500


# cells longer than the csv module's default limit

def test_a_cell_longer_than_128_kib_is_read(tmp_path: Path) -> None:
    long_name = "Ana" * 50_000  # 150,000 characters
    path = _write(tmp_path, _lines([HEADER, GOOD, ["A2", *GOOD[1:3], long_name, *GOOD[4:]]]))
    first, second = _rows(path)
    assert first.award is not None and second.award is not None, second.errors
    assert second.award.learner.given_name == {"en": long_name}


def test_a_row_the_csv_reader_cannot_read_is_an_error_of_the_file(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_rows, "_LONGEST_CELL", 1000)
    limit = csv.field_size_limit(1000)
    try:
        path = _write(tmp_path, _lines([HEADER, GOOD, ["A2", *GOOD[1:3], '"never closed', *GOOD[4:]],
                                        *[GOOD] * 50]))
        loaded = []
        with pytest.raises(InputFileError) as caught:
            for row in iter_awards(path, CATALOGUE):
                loaded.append(row)
    finally:
        csv.field_size_limit(limit)
    assert len(loaded) == 1  # the row before it
    assert caught.value.error.message.startswith("row 3 cannot be read as CSV (field larger than field limit")
    assert caught.value.error.fix.startswith("check the quotes from that row on")


# a quote left open

def _quoted(rows: list[str]) -> bytes:
    return ("award_id,specification,learner_id,given_name,family_name,awarding_date,grade\r\n"
            + "".join(rows)).encode("utf-8")


def _good(number: int, grade: str = "Merit") -> str:
    return f"A{number},IMP-MC-MLH,{number:08d},Ann,Lee,2025-07-14,{grade}\r\n"


def test_a_quote_left_open_to_the_end_fails_its_row_with_the_fix(tmp_path: Path) -> None:
    rows = [_good(1), _good(2), _good(3, '"Merit'), *(_good(n) for n in range(4, 60))]
    loaded = list(iter_awards(_write(tmp_path, _quoted(rows)), CATALOGUE))
    assert [r.award.award_id for r in loaded if r.award] == ["A1", "A2"]
    (swallowed,) = [r for r in loaded if r.award is None]
    assert swallowed.row == 4 and [e.message for e in swallowed.errors] == [
        "grade holds 57 line breaks, and 56 of the lines after them look like rows of the file: "
        "their awards are not read"]


def test_a_quote_closed_rows_later_fails_its_row_and_the_rest_go_on(tmp_path: Path) -> None:
    path = _write(tmp_path, _quoted([_good(1), _good(2, '"Merit'), _good(3), _good(4, 'Pass"'), _good(5)]))
    first, swallowed, last = iter_awards(path, CATALOGUE)
    assert first.award is not None and last.award is not None and last.award.award_id == "A5"
    assert swallowed.award is None
    (error,) = [e for e in swallowed.errors if e.column == "grade"]
    assert error.message == ("grade holds 2 line breaks, and 2 of the lines after them look like rows "
                             "of the file: their awards are not read") and "close the quote" in error.fix


def test_a_line_break_in_a_name_is_said_without_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, _quoted(['A1,IMP-MC-MLH,00000001,"Ann\r\nMarie",Lee,2025-07-14,Merit\r\n']))
    (row,) = iter_awards(path, CATALOGUE)
    assert [e.message for e in row.errors] == ["given_name holds a line break"]


def test_a_blank_after_a_closing_quote_reads_as_excel_reads_it(tmp_path: Path) -> None:
    (row,) = iter_awards(_write(tmp_path, _quoted([_good(1, '"Merit" ')])), CATALOGUE)
    assert row.award is not None and row.award.grade is not None, row.errors
    assert row.award.grade == {"en": "Merit"}
