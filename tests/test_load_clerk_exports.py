"""A registry clerk's exports: duplicate columns, JSON true/false and lists in text columns,
long cells quoted in messages, date-times without a zone, renamed required columns, local date
formats, and text garbled by a wrong encoding."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from edcbridge.load import LoadedRow, iter_awards
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER
from tests.test_load_spreadsheets import _book


def _rows(path: Path) -> list[LoadedRow]:
    return list(iter_awards(path, CATALOGUE))


def _csv(tmp_path: Path, rows: Sequence[Sequence[str]]) -> Path:
    path = tmp_path / "awards.csv"
    path.write_text("".join(",".join(row) + "\r\n" for row in rows), "utf-8")
    return path


def _jsonl(tmp_path: Path, *objects: dict[str, Any]) -> Path:
    path = tmp_path / "awards.jsonl"
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), "utf-8")
    return path


def _good(**changes: Any) -> dict[str, Any]:
    return {**dict(zip(HEADER, GOOD, strict=True)), **changes}


GRADE = HEADER.index("grade")


def _with(values: Sequence[str], column: str, value: str) -> list[str]:
    changed = list(values)
    changed[HEADER.index(column)] = value
    return changed


# a column given twice: never the later cell read over the earlier without a word

def test_a_csv_column_given_twice_with_two_values_fails_the_row(tmp_path: Path) -> None:
    path = _csv(tmp_path, [[*HEADER, "grade"], [*_with(GOOD, "grade", "Pass"), "Merit"]])
    header, row = _rows(path)
    assert header.file_level and header.errors[0].message == "column appears twice"
    assert row.award is None
    [error] = row.errors
    assert (error.row, error.column) == (2, "grade")
    assert error.message == ("the column 'grade' appears twice and holds two different values on "
                             f"this row ('Pass' in column {GRADE + 1}, 'Merit' in column {len(HEADER) + 1})")
    assert error.fix == "keep one 'grade' column, with the right value on every row"


def test_an_empty_later_copy_of_a_column_does_not_hide_the_filled_one(tmp_path: Path) -> None:
    path = _csv(tmp_path, [[*HEADER, "grade"], [*_with(GOOD, "grade", "Pass"), ""],
                           [*_with(GOOD, "award_id", "A2"), GOOD[GRADE]]])
    _, first, second = _rows(path)
    assert first.errors == () and first.award is not None and first.award.grade == {"en": "Pass"}
    assert second.errors == () and second.award is not None and second.award.grade == {"en": GOOD[GRADE]}


def test_a_sheet_column_given_twice_is_named_by_its_letters(tmp_path: Path) -> None:
    path = _book(tmp_path, [[*HEADER, "grade"], [*_with(GOOD, "grade", "Pass"), "Merit"],
                            [*_with(GOOD, "award_id", "A2"), None]])
    _, row, other = _rows(path)
    [error] = row.errors
    assert error.message.endswith("('Pass' in column H, 'Merit' in column I)")
    assert other.award is not None and other.award.grade == {"en": GOOD[GRADE]}


# JSON values no column takes are refused, not written as the text 'False' or "['Jo']"

@pytest.mark.parametrize(("column", "value", "message"), [
    ("given_name", False, "given_name is the JSON false, which no column takes"),
    ("grade", True, "grade is the JSON true, which no column takes"),
    ("learner_id", True, "learner_id is the JSON true, which no column takes"),
    ("given_name", ["Ann", "Marie"], "given_name holds a JSON list, where one text goes"),
    ("grade", ["Pass"], "grade holds a JSON list, where one text goes"),
])
def test_json_true_false_or_a_list_in_a_text_column_is_refused(tmp_path: Path, column: str, value: Any,
                                                               message: str) -> None:
    [row] = _rows(_jsonl(tmp_path, _good(**{column: value})))
    assert row.award is None
    [error] = row.errors
    assert (error.row, error.column, error.message) == (1, column, message)
    assert error.value == json.dumps(value)
    assert error.fix.startswith(f"write {column} as ")


# messages do not repeat a long cell in full

def test_a_long_cell_is_cut_in_the_message_as_in_the_value(tmp_path: Path) -> None:
    path = _csv(tmp_path, [HEADER, _with(GOOD, "date_of_birth", "x" * 5000)])
    [row] = _rows(path)
    [error] = row.errors
    assert error.value is not None and len(error.value) == 80
    assert error.message == f"{error.value!r} is not a date"
    assert len(error.render()) < 400


# a date-time without its zone

@pytest.mark.parametrize("kind", ["csv", "xlsx", "jsonl"])
def test_a_date_time_without_a_zone_says_how_to_write_the_zone(tmp_path: Path, kind: str) -> None:
    import datetime as dt

    if kind == "csv":
        path = _csv(tmp_path, [[*HEADER, "issued"], [*GOOD, "2025-07-14T10:00:00"]])
    elif kind == "xlsx":
        path = _book(tmp_path, [[*HEADER, "issued"], [*GOOD, dt.datetime(2025, 7, 14, 10, 0)]])
    else:
        path = _jsonl(tmp_path, _good(issued="2025-07-14T10:00:00"))
    error = next(r for r in _rows(path) if not r.file_level).errors[0]
    assert error.column == "issued"
    assert error.message == "the date-time has no time zone, so the moment it names is not known"
    assert error.fix.startswith("write the zone too, e.g. 2025-07-14T10:00:00Z (UTC)")
    assert "Text cell" in error.fix


def test_a_json_list_for_a_date_says_to_write_the_date(tmp_path: Path) -> None:
    [row] = _rows(_jsonl(tmp_path, _good(awarding_date=["2025-07-14"])))
    [error] = row.errors
    assert error.column == "awarding_date"
    assert error.fix == 'awarding_date takes one date, not a list: write it in quotes as YYYY-MM-DD, ' \
                        'e.g. "2025-07-14"'


# a required column misspelt or renamed: the rows say so, not "fill in"

def test_a_renamed_required_column_tells_each_row_to_rename_it(tmp_path: Path) -> None:
    header = ["Programme code" if h == "specification" else h for h in HEADER]
    header_row, row = _rows(_csv(tmp_path, [header, GOOD]))
    missing = [e for e in header_row.errors if e.column == "specification"]
    assert missing[0].fix == "add a column 'specification', or rename the column that holds its values"
    [error] = row.errors
    assert (error.column, error.message) == ("specification", "a required value is missing")
    assert error.fix == ("the file has no 'specification' column: add one, or rename the column that "
                         "holds the specification values (see the header, row 1)")


def test_an_empty_cell_of_a_column_the_file_has_still_says_fill_in(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, [HEADER, _with(GOOD, "specification", "")]))
    assert row.errors[0].fix == "fill in specification; it is required"


# dates written the local way: the fix names the date, or both readings

@pytest.mark.parametrize(("written", "fix"), [
    ("14/07/2025", "write it as YYYY-MM-DD: 2025-07-14"),
    ("14.07.2025", "write it as YYYY-MM-DD: 2025-07-14"),
    ("07/14/2025", "write it as YYYY-MM-DD: 2025-07-14"),
    ("2025/07/14", "write it as YYYY-MM-DD: 2025-07-14"),
    ("14 July 2025", "write it as YYYY-MM-DD: 2025-07-14"),
    ("Jul 14 2025", "write it as YYYY-MM-DD: 2025-07-14"),
    ("01/01/2025", "write it as YYYY-MM-DD: 2025-01-01"),
    ("01/02/2025", "write it as YYYY-MM-DD: 2025-02-01 if it is day/month/year, 2025-01-02 if "
                   "month/day/year (the file does not say which)"),
    ("01.02.2025", "write it as YYYY-MM-DD: 2025-02-01"),  # dotted dates are day first
    ("31/02/2025", "write it as YYYY-MM-DD"),
    ("14/07/0025", "write it as YYYY-MM-DD"),
    ("14/07/25", "write it as YYYY-MM-DD, with the four digits of the year (2025 is the likely one): "
                 "2025-07-14"),
    ("01/02/25", "write it as YYYY-MM-DD, with the four digits of the year (2025 is the likely one): "
                 "2025-02-01 if it is day/month/year, 2025-01-02 if month/day/year (the file does not "
                 "say which)"),
    ("14.07.25", "write it as YYYY-MM-DD, with the four digits of the year (2025 is the likely one): "
                 "2025-07-14"),
])
def test_a_local_date_gets_the_date_to_write(tmp_path: Path, written: str, fix: str) -> None:
    [row] = _rows(_csv(tmp_path, [HEADER, _with(GOOD, "awarding_date", written)]))
    [error] = row.errors
    assert (error.column, error.message, error.fix) == ("awarding_date", f"{written!r} is not a date", fix)


def test_a_two_digit_year_of_birth_is_read_in_the_last_century(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, [HEADER, _with(GOOD, "date_of_birth", "17/03/94")]))
    [error] = row.errors
    assert (error.column, error.fix) == ("date_of_birth", "write it as YYYY-MM-DD, with the four digits "
                                         "of the year (1994 is the likely one): 1994-03-17")


# text garbled by a wrong encoding on the way

def test_text_garbled_by_a_wrong_encoding_is_flagged(tmp_path: Path) -> None:
    path = _csv(tmp_path, [HEADER, _with(GOOD, "given_name", "ChloÃ©"),
                           _with(_with(GOOD, "award_id", "A2"), "given_name", "São Łucja")])
    garbled, fine = _rows(path)
    assert garbled.award is not None
    [warning] = garbled.warnings
    assert (warning.column, warning.value) == ("given_name", "ChloÃ©")
    assert warning.message == ("the text looks garbled: it is how 'Chloé' reads after UTF-8 was "
                               "opened as Windows-1252")
    assert warning.fix.startswith("check it: to write 'Chloé', correct the cell")
    assert fine.warnings == ()


# a total or footer row below the awards

NOT_ID = "specification, learner_id, given_name, family_name, awarding_date"


@pytest.mark.parametrize(("cells", "held", "empty"), [
    (["Total", "", "", "", "", "", "", "300"], "Total, 300", NOT_ID),
    (["", "", "", "", "", "", "", "Exported 2025-07-15 by registry"], "Exported 2025-07-15 by registry",
     f"award_id, {NOT_ID}"),
    (["-", "", "", "", "", "", "", ""], "-", NOT_ID),
])
def test_a_footer_row_is_one_error_saying_it_is_not_an_award(tmp_path: Path, cells: list[str],
                                                              held: str, empty: str) -> None:
    good, footer = _rows(_csv(tmp_path, [HEADER, GOOD, cells]))
    assert good.award is not None
    [error] = footer.errors
    assert (error.row, error.column, footer.award) == (3, None, None)
    assert error.message == (f"the row is not an award: it holds only {held!r} and leaves {empty} "
                             "empty (a total, note or footer row?)")
    assert error.fix == f"delete the row if it is not an award; else fill in {empty}"


def test_a_row_filling_two_required_columns_still_names_each_missing_one(tmp_path: Path) -> None:
    row = ["A2", "IMP-MC-MLH", "", "", "", "", "", ""]
    _, partial = _rows(_csv(tmp_path, [HEADER, GOOD, row]))
    assert [e.column for e in partial.errors] == ["learner_id", "given_name", "family_name",
                                                  "awarding_date", "grade"]
