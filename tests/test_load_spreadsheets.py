"""What a spreadsheet holds beyond its cell values, and what Excel writes into CSV files: cells
under no column name, formulas never calculated, failed formulas, merged cells, hidden rows,
percentages, the sep= line and ids in scientific notation; JSON arrays and JSON numbers;
ids in another Unicode form; e-mail addresses and implausible dates."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from edcbridge.load import InputFileError, LoadedRow, RecordError, iter_awards
from edcbridge.model.fields import is_email
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER, _rows


def _csv(tmp_path: Path, text: str, name: str = "awards.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _lines(*rows: Sequence[str], sep: str = ",") -> str:
    return "".join(sep.join(row) + "\r\n" for row in rows)


def _book(tmp_path: Path, rows: Sequence[Sequence[Any]],
          edit: Callable[[Worksheet], None] | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "awards"
    for row in rows:
        sheet.append(list(row))
    if edit is not None:
        edit(sheet)
    path = tmp_path / "awards.xlsx"
    book.save(path)
    return path


def _only(row: LoadedRow) -> RecordError:
    assert row.award is None
    [error] = row.errors
    return error


# cells under no column name are reported, not dropped

def test_a_cell_under_a_column_without_a_name_is_reported_in_a_csv_file(tmp_path: Path) -> None:
    header = [*HEADER[:2], "", *HEADER[2:]]
    [row] = _rows(_csv(tmp_path, _lines(header, [*GOOD[:2], "resit in May", *GOOD[2:]])))
    error = _only(row)
    assert (error.row, error.column, error.position, error.value) == (2, None, 3, "resit in May")
    assert error.message == "a cell under no column name"
    assert error.fix == "give the column one of the accepted names, or clear the cell"


def test_cells_past_the_last_named_column_of_a_sheet_are_reported(tmp_path: Path) -> None:
    bad, good = _rows(_book(tmp_path, [HEADER, [*GOOD, None, "withdrawn"], ["A2", *GOOD[1:]]]))
    error = _only(bad)
    assert (error.row, error.position, error.value) == (2, len(HEADER) + 2, "withdrawn")
    assert good.errors == () and good.award is not None


def test_a_cell_under_an_unnamed_sheet_column_is_reported(tmp_path: Path) -> None:
    [row] = _rows(_book(tmp_path, [[*HEADER[:2], None, *HEADER[2:]], [*GOOD[:2], "note", *GOOD[2:]]]))
    assert (_only(row).position, _only(row).value) == (3, "note")


# what the workbook's XML holds besides values

def _full_name_formula(sheet: Worksheet) -> None:
    sheet["I1"] = "full_name"
    sheet["I2"] = '=D2&" "&E2'  # written by a program: no result saved


def test_a_formula_never_calculated_is_reported_not_read_as_empty(tmp_path: Path) -> None:
    [row] = _rows(_book(tmp_path, [HEADER, GOOD], _full_name_formula))
    error = _only(row)
    assert (error.row, error.column) == (2, "full_name")
    assert error.message.startswith("the cell holds a formula whose result was never calculated")
    assert error.fix.startswith("open the file in Excel or LibreOffice and save it")


def _merge_email(sheet: Worksheet) -> None:
    sheet["I1"] = "email"
    sheet["I2"] = "cohort@example.org"
    sheet.merge_cells("I2:I3")


def test_a_value_merged_over_rows_is_reported_on_the_rows_that_lack_it(tmp_path: Path) -> None:
    first, second = _rows(_book(tmp_path, [HEADER, GOOD, ["A2", *GOOD[1:]]], _merge_email))
    assert first.errors == () and first.award is not None
    assert first.award.learner.email == "cohort@example.org"
    error = _only(second)
    assert (error.row, error.column) == (3, "email")
    assert error.message == "the cell is part of the merged cells I2:I3, whose value is only in I2"
    assert error.fix == "unmerge the cells and fill in the value on each row"


def test_a_hidden_row_is_reported_not_issued(tmp_path: Path) -> None:
    def hide(sheet: Worksheet) -> None:
        sheet.row_dimensions[3].hidden = True

    shown, hidden = _rows(_book(tmp_path, [HEADER, GOOD, ["A2", *GOOD[1:]]], hide))
    assert shown.errors == () and shown.award is not None
    error = _only(hidden)
    assert (error.row, error.column) == (3, None)
    assert error.message == "the row is hidden in the sheet (hidden or filtered out)"
    assert error.render().startswith(f"{hidden.file}:3: the row is hidden")


def test_a_hidden_first_sheet_is_not_read_for_the_awards(tmp_path: Path) -> None:
    book = Workbook()
    lookup = book.active
    assert lookup is not None
    lookup.title = "codes"
    lookup.append(["IMP-MC-MLH", "Machine learning"])
    lookup.sheet_state = "hidden"
    data = book.create_sheet("Sheet2")
    data.append(HEADER)
    data.append(GOOD)
    path = tmp_path / "awards.xlsx"
    book.save(path)
    [row] = _rows(path)
    assert row.errors == () and row.award is not None


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_named_awards_is_not_issued_in_place_of_the_visible_one(
        tmp_path: Path, state: str) -> None:
    """An old copy kept hidden as 'awards' beside the sheet the clerk works on: its rows are
    refused, as hidden rows are, and the error names the visible sheet that was not read."""
    book = Workbook()
    current = book.active
    assert current is not None
    current.title = "2026 graduation"
    current.append(HEADER)
    current.append(GOOD)
    old = book.create_sheet("Awards")
    old.append(HEADER)
    old.append(["OLD-1", *GOOD[1:]])
    old.sheet_state = state
    path = tmp_path / "awards.xlsx"
    book.save(path)
    [row] = _rows(path)
    error = _only(row)
    assert (error.row, error.column) == (2, None)
    assert error.message == "the row is in the sheet 'Awards', which is hidden in the workbook"
    assert error.fix == ("unhide the sheet to issue its credentials, or delete it or rename it, so "
                         "that a visible sheet is read (here '2026 graduation')")


@pytest.mark.parametrize(("number_format", "award_id"), [
    ("00000", "00123"), ('"IMP-"00000', "IMP-00123"), ("\\I\\M\\P\\-00000", "IMP-00123"),
    ('00000" (old)"', "00123 (old)")])
def test_an_id_shown_with_zeros_or_text_by_its_format_is_read_as_shown(
        tmp_path: Path, number_format: str, award_id: str) -> None:
    """Excel keeps the zeros of 00123 typed in a number cell when a format pads the number
    (00000, "IMP-"00000): the cell shows the id, which the credential must state."""
    def padded(sheet: Worksheet) -> None:
        sheet["A2"].number_format = number_format
        sheet["C2"].number_format = "00000000"

    [row] = _rows(_book(tmp_path, [HEADER, [123, GOOD[1], 2214587, *GOOD[3:]]], padded))
    assert row.errors == () and row.award is not None
    assert (row.award.award_id, row.award.learner.id) == (award_id, "02214587")


def test_an_id_its_format_adds_no_zero_to_is_still_a_number(tmp_path: Path) -> None:
    """A number format of as many zeros as the id has digits, or a single 0, shows no zero the
    number lacks: a leading zero typed in it was lost all the same."""
    def plain(sheet: Worksheet) -> None:
        sheet["C2"].number_format = "0"
        sheet["C3"].number_format = "0000000"

    first, second = _rows(_book(tmp_path, [HEADER, [*GOOD[:2], 2214587, *GOOD[3:]],
                                           ["A2", GOOD[1], 2214587, *GOOD[3:]]], plain))
    assert [(_only(r).column, _only(r).value) for r in (first, second)] == \
        [("learner_id", "2214587"), ("learner_id", "2214587")]


@pytest.mark.parametrize(("value", "number_format", "grade"), [
    (0.725, "0.0%", "72.5%"), (0.7, "0%", "70%"), (1, "0%", "100%"), (72, "General", "72")])
def test_a_percentage_cell_keeps_its_percentage(tmp_path: Path, value: float, number_format: str,
                                                grade: str) -> None:
    def percent(sheet: Worksheet) -> None:
        sheet["H2"].number_format = number_format

    [row] = _rows(_book(tmp_path, [HEADER, [*GOOD[:7], value]], percent))
    assert row.errors == () and row.award is not None
    assert row.award.grade == {"en": grade}


# what spreadsheets write into cells and CSV files

@pytest.mark.parametrize("shown", ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?"])
def test_a_failed_formula_is_not_an_id_or_a_grade(tmp_path: Path, shown: str) -> None:
    sheet_row, = _rows(_book(tmp_path, [HEADER, [*GOOD[:7], shown]]))  # written as an error cell
    csv_row, = _rows(_csv(tmp_path, _lines(HEADER, [shown, *GOOD[1:]])))
    for row, column in ((sheet_row, "grade"), (csv_row, "award_id")):
        error = _only(row)
        assert (error.column, error.value) == (column, shown)
        assert error.message == f"the cell shows the spreadsheet error {shown} instead of a value " \
                                "(its formula failed)"
        assert error.fix == "correct the formula or enter the value itself"


def test_error_like_text_in_a_csv_name_or_grade_is_kept_as_written(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, _lines(HEADER, [*GOOD[:7], "#N/A"])))
    assert row.errors == () and row.award is not None and row.award.grade == {"en": "#N/A"}


def test_a_text_cell_holding_error_like_text_is_kept_as_written(tmp_path: Path) -> None:
    def as_text(sheet: Worksheet) -> None:
        sheet["H2"].data_type = "s"

    [row] = _rows(_book(tmp_path, [HEADER, [*GOOD[:7], "#N/A"]], as_text))
    assert row.errors == () and row.award is not None and row.award.grade == {"en": "#N/A"}


def test_an_id_in_scientific_notation_is_refused(tmp_path: Path) -> None:
    header = [*HEADER, "national_id", "national_id_country"]
    [row] = _rows(_csv(tmp_path, _lines(header, [*GOOD[:2], "2.21459E+06", *GOOD[3:], "1.23457E+11", "GR"])))
    assert row.award is None
    assert [(e.column, e.value) for e in row.errors] == [("learner_id", "2.21459E+06"),
                                                         ("national_id", "1.23457E+11")]
    assert row.errors[0].message == "learner_id is a number in scientific notation, so digits have " \
                                    "been lost"
    assert row.errors[0].fix.startswith("format the learner_id column as Text")


@pytest.mark.parametrize("learner_id", ["0E00", "12E45", "2e7"])
def test_an_id_with_an_e_between_digits_is_not_scientific_notation(tmp_path: Path, learner_id: str) -> None:
    [row] = _rows(_csv(tmp_path, _lines(HEADER, [*GOOD[:2], learner_id, *GOOD[3:]])))
    assert row.errors == () and row.award is not None and row.award.learner.id == learner_id


@pytest.mark.parametrize("line", ["sep=;", '"sep=;"', "\ufeffsep=;"])
def test_excel_s_sep_line_names_the_delimiter(tmp_path: Path, line: str) -> None:
    [row] = _rows(_csv(tmp_path, line + "\r\n" + _lines(HEADER, GOOD, sep=";")))
    assert (row.row, row.errors) == (3, ())
    assert row.award is not None and row.award.learner.id == "02214587"


def test_quoted_cells_after_a_delimiter_and_a_space_are_read_as_quoted(tmp_path: Path) -> None:
    """'"A1", "Smith, Jr."' as a hand-written file (or a program) spaces its cells: the quotes
    are the cell's, not part of its text, and a quoted delimiter stays in the cell."""
    header = ", ".join(f'"{name}"' for name in HEADER)
    cells = [*GOOD[:4], '"Smith, Jr."', *GOOD[5:]]
    [row] = _rows(_csv(tmp_path, f"{header}\r\n{', '.join(cells)}\r\n"))
    assert row.errors == () and row.award is not None
    assert (row.award.award_id, row.award.learner.family_name) == ("A1", {"en": "Smith, Jr."})


@pytest.mark.parametrize("cell", ['="00123"', '"=""00123"""'])
def test_an_id_written_as_an_excel_text_formula_is_its_text(tmp_path: Path, cell: str) -> None:
    """Student systems write ="00123" in a CSV file so that Excel keeps the zeros: Excel shows
    00123, which is the id, not the formula."""
    [row] = _rows(_csv(tmp_path, _lines(HEADER, [cell, GOOD[1], '="02214587"', *GOOD[3:]])))
    assert row.errors == () and row.award is not None
    assert (row.award.award_id, row.award.learner.id) == ("00123", "02214587")


# JSON: an array of objects, numbers for ids

def test_a_json_array_of_awards_is_read_with_the_line_of_each(tmp_path: Path) -> None:
    awards = [dict(zip(HEADER, GOOD, strict=True)), {**dict(zip(HEADER, GOOD, strict=True)),
                                                     "award_id": "A2", "email": "nope"}]
    path = tmp_path / "awards.json"
    path.write_text(json.dumps(awards, indent=2, ensure_ascii=False), "utf-8")
    first, second = _rows(path)
    assert first.row == 2 and first.errors == () and first.award is not None
    assert second.row == 12 and [(e.row, e.column) for e in second.errors] == [(12, "email")]


def test_a_broken_json_array_is_an_error_of_the_file_after_the_awards_before_it(tmp_path: Path) -> None:
    path = tmp_path / "awards.json"
    path.write_text('[\n{"award_id": "A1"},\n{"award_id": "A2",,}\n]\n', "utf-8")
    read: list[LoadedRow] = []
    with pytest.raises(InputFileError) as caught:
        for row in iter_awards(path, CATALOGUE):
            read.append(row)
    assert [r.row for r in read] == [2]
    assert caught.value.error.message == ("not JSON at line 3, column 19: Expecting property name "
                                          "enclosed in double quotes; the awards after it could not "
                                          "be read")
    assert caught.value.error.fix.startswith("correct the JSON at that line")


def test_a_json_array_item_that_is_not_an_object_is_its_own_error(tmp_path: Path) -> None:
    path = tmp_path / "awards.json"
    path.write_text(json.dumps([dict(zip(HEADER, GOOD, strict=True)), "A2"]), "utf-8")
    good, bad = _rows(path)
    assert good.award is not None
    assert _only(bad).message == "each award in the array must be one JSON object"


def test_json_numbers_for_ids_are_checked_as_number_cells(tmp_path: Path) -> None:
    row = dict(zip(HEADER, GOOD, strict=True))
    path = tmp_path / "awards.jsonl"
    path.write_text(json.dumps({**row, "award_id": 250001}) + "\n"
                    + json.dumps({**row, "award_id": "A2", "learner_id": 2214587}) + "\n", "utf-8")
    whole, number_id = _rows(path)
    assert whole.errors == () and whole.award is not None and whole.award.award_id == "250001"
    error = _only(number_id)
    assert (error.column, error.value) == ("learner_id", "2214587")
    assert error.message == "learner_id is a JSON number, so a leading zero may have been lost"
    assert error.fix.startswith("write learner_id as a JSON string")


# Unicode normalisation

def test_an_award_id_in_another_unicode_form_is_a_duplicate(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Ä1")
    first, second = _rows(_csv(tmp_path, _lines(HEADER, ["Ä1", *GOOD[1:]], [nfd, *GOOD[1:]])))
    assert first.award is not None and first.award.award_id == "Ä1"
    assert [(e.column, e.value, e.message) for e in second.errors] == [
        ("award_id", nfd, "duplicate of row 2")]


def test_names_are_kept_as_written(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Chloé")
    [row] = _rows(_csv(tmp_path, _lines(HEADER, [*GOOD[:3], nfd, *GOOD[4:]])))
    assert row.award is not None and row.award.learner.given_name == {"en": nfd}


# e-mail addresses

@pytest.mark.parametrize("address", ["mailto:ann@example.org", "<ann@example.org>", "ann@example..org",
                                     "ann.@example.org", ".ann@example.org", "ann@example.org.",
                                     "ann,lee@example.org", "ann@example", "ann@-example.org",
                                     "ann@exa_mple.org", "Ann Lee <ann@example.org>"])
def test_what_is_not_one_e_mail_address_is_refused(address: str) -> None:
    assert not is_email(address)


@pytest.mark.parametrize("address", ["ann@example.org", "Ann.Lee+mc@sub.uni-x.ac.uk", "o'brien@tcd.ie",
                                     "josé@exämple.es", "ann_lee@example.org", "a@b.co"])
def test_e_mail_addresses_are_accepted(address: str) -> None:
    assert is_email(address)


def test_a_wrong_e_mail_address_is_named_with_the_fix(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, _lines([*HEADER, "email"], [*GOOD, "mailto:ann@example.org"])))
    error = _only(row)
    assert (error.column, error.value) == ("email", "mailto:ann@example.org")
    assert error.fix == "write it like name@example.org"


# implausible dates

@pytest.mark.parametrize(("column", "value"), [("awarding_date", "0025-07-14"),
                                               ("date_of_birth", "0094-03-17")])
def test_a_year_before_1900_is_refused(tmp_path: Path, column: str, value: str) -> None:
    cells = dict(zip(HEADER, GOOD, strict=True))
    cells[column] = value
    [row] = _rows(_csv(tmp_path, _lines(HEADER, list(cells.values()))))
    error = _only(row)
    assert (error.column, error.value) == (column, value)
    assert error.message == f"{value!r} is not a plausible date (before 1900)"
    assert error.fix == "write it as YYYY-MM-DD with the four digits of the year"


# the EU's country codes

@pytest.mark.parametrize(("code", "iso"), [("EL", "GRC"), ("el", "GRC"), ("UK", "GBR"), ("GR", "GRC")])
def test_the_eu_codes_for_greece_and_the_uk_are_those_countries(tmp_path: Path, code: str, iso: str) -> None:
    header = [*HEADER, "national_id", "national_id_country"]
    [row] = _rows(_csv(tmp_path, _lines(header, [*GOOD, "AK123456", code])))
    assert row.errors == () and row.award is not None
    assert row.award.learner.national_id_country == \
        f"http://publications.europa.eu/resource/authority/country/{iso}"


@pytest.mark.parametrize("name", ["awards.jsonl", "awards.json"])
def test_a_json_key_written_twice_is_reported_not_read_as_the_last(tmp_path: Path, name: str) -> None:
    good = json.dumps(dict(zip(HEADER, GOOD, strict=True)), ensure_ascii=False)
    twice = good.replace('"grade": "Merit"', '"grade": "Fail", "award_id": "A2", "grade": "Merit"')
    twice = twice.replace('"award_id": "A1", ', "", 1)
    text = f"{good}\n{twice}\n" if name.endswith("l") else f"[{good},\n{twice},\n{good}]"
    path = tmp_path / name
    path.write_text(text, "utf-8")
    first, second, *rest = _rows(path)
    assert first.award is not None
    error = _only(second)
    assert (error.row, error.column) == (2, "grade")
    assert error.message == "the key 'grade' is written twice in one object"
    assert error.fix == "keep one of the two: only the last would be read"
    assert [r.row for r in rest] == ([] if name.endswith("l") else [3])


# fixes that say what to do

def test_a_json_value_that_is_not_text_says_to_write_text(tmp_path: Path) -> None:
    path = tmp_path / "awards.jsonl"
    path.write_text(json.dumps({**dict(zip(HEADER, GOOD, strict=True)), "email": ["ann@example.org"]})
                    + "\n", "utf-8")
    error = _only(_rows(path)[0])
    assert (error.column, error.message) == ("email", "Input should be a valid string")
    assert error.fix == "email takes one value, not a list: write it as text in quotes"


def test_a_specification_code_in_the_wrong_case_is_suggested(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, _lines(HEADER, [GOOD[0], GOOD[1].lower(), *GOOD[2:]])))
    [error] = [e for e in row.errors if e.column == "specification"]
    assert error.fix.startswith(f"did you mean {GOOD[1]!r}")
