"""Award files laid out as people lay them out: a title above the header, hidden columns,
TRUE/FALSE and time-of-day cells, JSON written by a formatter or wrapped in an object, and
dates typed years ahead."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl.worksheet.worksheet import Worksheet

from edcbridge.load import InputFileError, LoadedRow, RecordError, iter_awards
from edcbridge.load.column_map import column_map, option_pairs
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER, _rows
from tests.test_load_spreadsheets import _book

ROW = dict(zip(HEADER, GOOD, strict=True))


def _csv(tmp_path: Path, *lines: Sequence[str]) -> Path:
    path = tmp_path / "awards.csv"
    path.write_text("".join(",".join(line) + "\r\n" for line in lines), "utf-8")
    return path


def _json(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "awards.json"
    path.write_text(text, "utf-8")
    return path


def _only(row: LoadedRow) -> RecordError:
    assert row.award is None
    [error] = row.errors
    return error


def _loaded(rows: list[LoadedRow]) -> list[tuple[int, str | None]]:
    assert all(r.errors == () for r in rows), [e.render() for r in rows for e in r.errors]
    return [(r.row, r.award.award_id if r.award else None) for r in rows]


# a title above the header

TITLE = "Graduation 2025 - awards"


def test_a_title_row_above_a_csv_header_is_passed_over(tmp_path: Path) -> None:
    blank = [""] * len(HEADER)
    path = _csv(tmp_path, [TITLE, *blank[1:]], blank, HEADER, GOOD, ["A2", *GOOD[1:]])
    assert _loaded(_rows(path)) == [(4, "A1"), (5, "A2")]


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_a_title_line_without_delimiters_does_not_decide_the_delimiter(tmp_path: Path,
                                                                        delimiter: str) -> None:
    path = tmp_path / "awards.csv"  # a student system's export: the title alone on its line
    path.write_text(f"{TITLE}\r\n\r\n" + "".join(delimiter.join(line) + "\r\n"
                                                for line in (HEADER, GOOD, ["A2", *GOOD[1:]])), "utf-8")
    assert _loaded(_rows(path)) == [(4, "A1"), (5, "A2")]


def test_a_title_merged_across_the_sheet_is_passed_over(tmp_path: Path) -> None:
    def merge(sheet: Worksheet) -> None:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))

    path = _book(tmp_path, [[TITLE], ["exported 2025-07-15"], HEADER, GOOD], merge)
    assert _loaded(_rows(path)) == [(4, "A1")]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_labels_of_column_groups_above_the_header_are_passed_over(tmp_path: Path, kind: str) -> None:
    """A student system's export heads its columns with merged group labels: the column names are
    the row below them."""
    groups = ["Award", "", "Learner", "", "", "", "Result", ""]
    if kind == "csv":
        path = _csv(tmp_path, groups, HEADER, GOOD)
    else:
        def merge(sheet: Worksheet) -> None:
            for cells in ("A1:B1", "C1:F1", "G1:H1"):
                sheet.merge_cells(cells)

        path = _book(tmp_path, [[g or None for g in groups], HEADER, GOOD], merge)
    assert _loaded(_rows(path)) == [(3, "A1")]


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_the_header_repeated_below_is_one_error_not_one_per_column(tmp_path: Path, bom: str) -> None:
    """Two exports joined into one file (copy a.csv+b.csv): the second file's header is a row,
    said as what it is, and the rows after it load."""
    path = _csv(tmp_path, HEADER, GOOD, [bom + HEADER[0], *HEADER[1:]], ["A2", *GOOD[1:]])
    first, repeated, second = _rows(path)
    assert first.award is not None and second.award is not None
    error = _only(repeated)
    assert (error.row, error.column) == (3, None)
    assert error.message == "the row repeats the header (two files joined into one?)"
    assert error.fix == "delete the row"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_header_of_mapped_names_repeated_below_is_one_error(tmp_path: Path, kind: str) -> None:
    """Two exports of a student system joined into one file, its headers read through a column
    mapping (Matrikelnummer, Vorname): the second header is said as what it is, as the
    header of column names is."""
    german = ["Prüfungsnummer", "specification", "Matrikelnummer", "Vorname", "Nachname",
              "Geburtsdatum", "awarding_date", "grade"]
    mapping = column_map(option_pairs(["Prüfungsnummer=award_id", "Matrikelnummer=learner_id",
                                       "Vorname=given_name", "Nachname=family_name",
                                       "Geburtsdatum=date_of_birth"]))
    lines = [german, GOOD, german, ["A2", *GOOD[1:]]]
    path = _csv(tmp_path, *lines) if kind == "csv" else _book(tmp_path, lines)
    first, repeated, second = iter_awards(path, CATALOGUE, columns=mapping)
    assert first.award is not None and second.award is not None
    error = _only(repeated)
    assert (error.row, error.column) == (3, None)
    assert error.message == "the row repeats the header (two files joined into one?)"


@pytest.mark.parametrize(("kind", "ending"), [("csv", "\r\n\x1a"), ("csv", "\x1a"), ("jsonl", "\n\x1a"),
                                            ("jsonl", "\x1a")])
def test_the_end_of_file_mark_of_copy_is_no_row(tmp_path: Path, kind: str, ending: str) -> None:
    """Windows' copy a.csv+b.csv joins files in text mode and ends the result with Ctrl-Z (0x1A),
    as DOS marked the end of a file: it is no row."""
    if kind == "csv":
        path = tmp_path / "awards.csv"
        path.write_text(",".join(HEADER) + "\r\n" + ",".join(GOOD) + ending, "utf-8")
    else:
        path = tmp_path / "awards.jsonl"
        path.write_text(json.dumps(ROW) + ending, "utf-8")
    assert _loaded(_rows(path)) == [(2 if kind == "csv" else 1, "A1")]


def test_header_errors_under_a_title_name_the_header_row(tmp_path: Path) -> None:
    header = [*HEADER[:-1], "grdae"]
    header_result, row = _rows(_csv(tmp_path, [TITLE], header, GOOD))
    assert header_result.file_level
    assert [(e.row, e.column) for e in header_result.errors] == [(2, "grdae")]
    assert row.row == 3


def test_a_one_cell_row_above_award_rows_without_a_header_is_not_passed_over(tmp_path: Path) -> None:
    header_result, *rest = _rows(_csv(tmp_path, [TITLE], GOOD, ["A2", *GOOD[1:]]))
    assert header_result.file_level and header_result.row == 1
    assert [r.row for r in rest] == [2, 3] and all(r.award is None for r in rest)


# hidden columns

def _hide_i(sheet: Worksheet) -> None:
    sheet.column_dimensions["I"].hidden = True


def test_a_filled_cell_of_a_hidden_column_is_an_error_on_its_row(tmp_path: Path) -> None:
    path = _book(tmp_path, [[*HEADER, "email"], [*GOOD, "ann@example.org"], ["A2", *GOOD[1:], None]],
                 _hide_i)
    filled, empty = _rows(path)
    error = _only(filled)
    assert (error.row, error.column, error.position, error.value) == (2, "email", 9, "ann@example.org")
    assert error.message == "the cell is in column I, which is hidden in the sheet"
    assert error.fix == "unhide column I and check its values before issuing them, or delete the column"
    assert empty.errors == () and empty.award is not None


def test_a_hidden_column_that_is_not_read_does_not_stop_the_rows(tmp_path: Path) -> None:
    header_result, row = _rows(_book(tmp_path, [[*HEADER, "notes"], [*GOOD, "paid late"]], _hide_i))
    assert [e.message for e in header_result.errors] == ["unknown column 'notes'"]
    assert row.errors == () and row.award is not None


# cells a spreadsheet typed for the user

def test_a_true_false_cell_is_refused_as_excel_shows_it(tmp_path: Path) -> None:
    [row] = _rows(_book(tmp_path, [HEADER, [*GOOD[:7], True]]))
    error = _only(row)
    assert (error.column, error.value) == ("grade", "TRUE")
    assert error.message == ('the cell is a logical (TRUE/FALSE) cell, which no column takes (a typed '
                             '"true" becomes one)')
    assert error.fix == ("format the grade column as Text and type the value again, or enter the "
                         "value the credential should state")


def test_a_false_cell_in_a_name_is_refused(tmp_path: Path) -> None:
    [row] = _rows(_book(tmp_path, [HEADER, [*GOOD[:3], False, *GOOD[4:]]]))
    assert (_only(row).column, _only(row).value) == ("given_name", "FALSE")


def test_a_time_of_day_cell_is_refused_with_the_fix(tmp_path: Path) -> None:
    [row] = _rows(_book(tmp_path, [HEADER, [*GOOD[:7], dt.time(7, 10)]]))
    error = _only(row)
    assert (error.column, error.value) == ("grade", "07:10:00")
    assert error.message == ("the cell holds a time of day (a typed 7:10 becomes one), which grade "
                             "does not take")
    assert error.fix == "format the grade column as Text and type the value again"


def test_a_time_of_day_for_a_date_says_to_enter_the_date(tmp_path: Path) -> None:
    [row] = _rows(_book(tmp_path, [HEADER, [*GOOD[:6], dt.time(0, 30), GOOD[7]]]))
    error = _only(row)
    assert (error.column, error.value, error.message) == ("awarding_date", "00:30:00",
                                                          "the cell holds a time of day, not a date")
    assert error.fix == "enter the date, in a date cell or as YYYY-MM-DD"


def test_a_time_of_day_for_issued_says_to_write_a_date_and_time(tmp_path: Path) -> None:
    [row] = _rows(_book(tmp_path, [[*HEADER, "issued"], [*GOOD, dt.time(10, 0)]]))
    error = _only(row)
    assert (error.column, error.value) == ("issued", "10:00:00")
    assert error.fix.startswith("write the date and time with its zone, e.g. 2025-07-14T10:00:00Z")


# JSON as formatters and other programs write it

def test_a_json_file_of_one_formatted_award_is_read(tmp_path: Path) -> None:
    assert _loaded(_rows(_json(tmp_path, "\n" + json.dumps(ROW, indent=2) + "\n"))) == [(2, "A1")]


def test_formatted_awards_one_after_another_are_read_with_their_lines(tmp_path: Path) -> None:
    second = {**ROW, "award_id": "A2"}
    text = json.dumps(ROW, indent=2) + "\n" + json.dumps(second, indent=2) + "\n"
    assert _loaded(_rows(_json(tmp_path, text))) == [(1, "A1"), (11, "A2")]


@pytest.mark.parametrize("indent", [2, None])
def test_awards_under_an_awards_key_are_read(tmp_path: Path, indent: int | None) -> None:
    text = json.dumps({"awards": [ROW, {**ROW, "award_id": "A2"}]}, indent=indent)
    assert _loaded(_rows(_json(tmp_path, text))) == ([(3, "A1"), (13, "A2")] if indent else
                                                     [(1, "A1"), (1, "A2")])


def test_more_keys_after_the_awards_array_are_an_error_of_the_file(tmp_path: Path) -> None:
    path = _json(tmp_path, json.dumps({"awards": [ROW], "exported": "2025-07-15"}, indent=2))
    read: list[LoadedRow] = []
    with pytest.raises(InputFileError) as caught:
        for row in iter_awards(path, CATALOGUE):
            read.append(row)
    assert [r.row for r in read] == [3]
    assert caught.value.error.message == ("the object holds more than its 'awards' array, which alone "
                                          "is read (the awards in it were)")
    assert caught.value.error.fix == 'keep only the awards: {"awards": [...]}, or give the array by itself'


@pytest.mark.parametrize("wrapper", [{"records": [ROW]}, {"version": 1, "awards": [ROW]},
                                     {"awards": {"A1": ROW}}])
def test_awards_under_another_key_are_one_error_that_says_what_to_write(
        tmp_path: Path, wrapper: dict[str, Any]) -> None:
    [row] = _rows(_json(tmp_path, json.dumps(wrapper, indent=2)))
    error = _only(row)
    key = next(k for k, v in wrapper.items() if isinstance(v, list | dict))
    assert (error.row, error.column) == (1, key)
    assert error.message == f"{key!r} holds objects, so this object is not the cells of one award"
    assert error.fix.startswith('give each award as one object of cells, {"award_id": ..., ')


def test_a_nested_award_in_json_lines_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "awards.jsonl"
    path.write_text(json.dumps({"award_id": "A1", "learner": {"id": "1", "given_name": {"en": "A"}}})
                    + "\n" + json.dumps({**ROW, "award_id": "A2"}) + "\n", "utf-8")
    nested, good = _rows(path)
    assert (_only(nested).column, good.award is not None) == ("learner", True)


def test_a_broken_formatted_award_is_an_error_of_the_file_at_its_line(tmp_path: Path) -> None:
    text = json.dumps(ROW, indent=2).replace('"Merit"', '"Merit",')
    with pytest.raises(InputFileError) as caught:
        _rows(_json(tmp_path, text))
    assert caught.value.error.message.startswith("not JSON at line 10, column 1: ")
    assert caught.value.error.fix == ("correct the JSON at that line: the file must hold award objects, "
                                      "one after another")


def test_json_lines_in_a_json_file_with_a_broken_first_line_go_on_line_by_line(tmp_path: Path) -> None:
    text = json.dumps(ROW)[:-1] + "\n" + json.dumps({**ROW, "award_id": "A2"}) + "\n"
    broken, good = _rows(_json(tmp_path, text))
    assert broken.row == 1 and _only(broken).message.startswith("not JSON")
    assert good.row == 2 and good.award is not None


# dates typed years ahead

def _years_after_today(years: int) -> str:
    today = dt.datetime.now(dt.UTC).date()
    return today.replace(year=today.year + years, day=min(today.day, 28)).isoformat()


@pytest.mark.parametrize("date", ["2205-06-30", _years_after_today(6)])
def test_an_awarding_date_years_ahead_is_refused_with_the_fix(tmp_path: Path, date: str) -> None:
    [row] = _rows(_csv(tmp_path, HEADER, [*GOOD[:6], date, GOOD[7]]))
    error = _only(row)
    assert (error.column, error.value) == ("awarding_date", date)
    assert error.message.startswith("awarding_date is more than 5 years after today (after ")
    assert error.fix == "check the year: write the date the award is conferred, as YYYY-MM-DD"


@pytest.mark.parametrize("date", ["2030-12-31", _years_after_today(1), _years_after_today(4)])
def test_an_awarding_date_a_few_years_ahead_passes(tmp_path: Path, date: str) -> None:
    [row] = _rows(_csv(tmp_path, HEADER, [*GOOD[:6], date, GOOD[7]]))
    assert row.errors == () and row.award is not None


def test_an_issue_date_years_ahead_is_refused(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, [*HEADER, "issued"], [*GOOD, "2205-07-14T10:00:00Z"]))
    error = _only(row)
    assert (error.column, error.value) == ("issued", "2205-07-14T10:00:00Z")
    assert error.fix == "check the year, or leave issued empty to issue on awarding_date"
