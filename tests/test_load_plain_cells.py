"""Cells of plain text, most of every file, are passed at once by the checks of a row's cells:
with the result the full checks give, on the edge cases too."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.load.awards import COLUMNS as AWARD_COLUMNS
from edcbridge.load.awards import _cell_values, _garbled, _split_column, misread_utf8
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


class Text(str):
    """A text cell of another type: the checks read it in full, as they read every typed cell."""

    __slots__ = ()


TEXTS = ["Ann", "  Ann  ", "", "   ", "#N/A", "#REF!", "#hashtag", "'00123", "'Ann", "2.21459E+06",
         "2.21459e+06", "2E+06", "Chloé", "ChloÃ©", "Ann\u200bLee", "\ufeffAnn", "Ann\tLee", "Ann\x7f",
         "Ann\u00a0Lee", "Ann\nLee", "\u202eAnn", "Σοφία", "😀", "a@b.co", "chloé@exämple.org",
         "1994-03-17", "72%", "#", "'", "  #N/A  ", " '00123"]
COLUMNS = ["award_id", "learner_id", "national_id", "given_name", "grade", "email", "issuer",
           "given_name@el", "Surname", "not_a_column", "__extra_key"]


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("text", TEXTS)
def test_a_text_cell_is_checked_as_in_full(column: str, text: str) -> None:
    plain = {column: text, "family_name": "Lee"}
    full = {column: Text(text), "family_name": Text("Lee")}
    assert _cell_values("f", 2, plain) == _cell_values("f", 2, full)
    # garbled text: every cell of a known column that misread_utf8 reads back, ASCII or not
    garbled = [name for name, value in plain.items()
               if _split_column(name)[0] in AWARD_COLUMNS and misread_utf8(value) is not None]
    assert [e.column for e in _garbled("f", 2, plain)] == garbled


def test_the_plain_cells_found_are_those_of_a_row(tmp_path: Path) -> None:
    """The checks still find what a plain cell holds: an error's text, an id's apostrophe and
    scientific notation, a hidden character, garbled text."""
    errors = {e.column: e.message for e in _cell_values("f", 2, {
        "award_id": "2.21459E+06", "learner_id": "'00123", "issuer": "#N/A",
        "given_name": "Ann\u200b", "family_name": "Lee", "grade": "#N/A"})}
    assert set(errors) == {"award_id", "learner_id", "issuer", "given_name"}
    assert [e.column for e in _garbled("f", 2, {"given_name": "ChloÃ©", "family_name": "Lee"})] == \
        ["given_name"]


def _load(path: Path, text: str | bytes) -> list[tuple[int, list[str]]]:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    catalogue = load_catalogue(CATALOGUE)
    return [(r.row, [e.message for e in r.errors]) for r in iter_awards(path, catalogue)]


HEADER = "award_id,specification,learner_id,given_name,family_name,awarding_date,grade"
ROW = "A-{0},IMP-MC-MLH,0{0},Chloé,Lee,2025-07-14,Pass"


def test_rows_of_spaces_are_passed_over(tmp_path: Path) -> None:
    found = _load(tmp_path / "a.csv", "\n".join([HEADER, ROW.format(1), " , ,\t, ,,,", ",,,,,,",
                                                 ROW.format(2), "\u00a0,\u3000,,,,,"]) + "\n")
    assert found == [(2, []), (5, [])]


def test_a_row_of_bytes_outside_the_encoding_is_an_error_of_its_row(tmp_path: Path) -> None:
    data = "\n".join([HEADER, ROW.format(1)]).encode() + b"\n\xa0,\xa0,,,,,\n" + ROW.format(2).encode()
    found = _load(tmp_path / "a.csv", data)
    assert found[0] == (2, []) and found[-1] == (4, [])
    assert [row for row, _ in found] == [2, 3, 4] and found[1][1]


def test_a_cell_under_no_name_is_an_error_of_its_row(tmp_path: Path) -> None:
    header = "award_id,specification,,learner_id,given_name,family_name,awarding_date,grade"
    found = _load(tmp_path / "a.csv", "\n".join([header, "A-1,IMP-MC-MLH,x,01,Ann,Lee,2025-07-14,Pass",
                                                 "A-2,IMP-MC-MLH,,02,Ann,Lee,2025-07-14,Pass"]) + "\n")
    assert found == [(2, ["a cell under no column name"]), (3, [])]


def test_a_column_named_twice_is_read_from_its_filled_cell(tmp_path: Path) -> None:
    header = HEADER + ",grade"
    found = _load(tmp_path / "a.csv", "\n".join([header, ROW.format(1) + ",",
                                                 ROW.format(2) + ",Merit"]) + "\n")
    assert found[0][0] == 1 and found[1] == (2, [])
    assert found[2][0] == 3 and any("appears twice and holds two different values" in m
                                    for m in found[2][1])


def _repeats_in_one_pass(row: dict[str, object]) -> bool:
    """Most filled cells hold the names of their columns, counted cell by cell."""
    same = filled = 0
    for name, value in row.items():
        if isinstance(value, str) and not name.startswith("__"):
            text = value.strip()
            if text:
                filled += 1
                same += text == name or text.lstrip("\ufeff") == name
    return same >= 2 and 2 * same >= filled


@pytest.mark.parametrize("row", [
    {"award_id": "award_id", "given_name": "given_name", "grade": "Pass"},
    {"award_id": "award_id", "given_name": "given_name", "grade": "Pass", "email": "a@b.co"},
    {"award_id": "\ufeffaward_id", "given_name": " given_name ", "grade": ""},
    {"award_id": "award_id", "given_name": "x given_name", "grade": "grade"},
    {"award_id": "award_id", "__cells__": "__cells__", "__extra__": "__extra__"},
    {"": "\ufeff", "award_id": "award_id", "grade": "Pass"},
    {"": " ", "award_id": "award_id", "given_name": "given_name"},
    {"": "\ufeff\ufeff", "award_id": "award_id", "grade": "grade", "a": "b", "c": "d", "e": "f"},
    {"award_id": "award_id", "given_name": {"en": "given_name"}, "grade": "grade"},
    {"award_id": "A-1", "given_name": "Ann", "grade": "Pass"},
    {"award_id": "award_id\u200b", "grade": "grade", "email": "email"},
    {"award_id": "award_idaward_id", "grade": "gradegrade"},
])
def test_a_row_repeats_the_header_as_counted_cell_by_cell(row: dict[str, object]) -> None:
    from edcbridge.load.awards import _repeats_header

    assert _repeats_header(row, {}) == _repeats_in_one_pass(row)


def test_a_row_is_nested_into_the_award_shape() -> None:
    from edcbridge.load.awards import row_to_data

    data, problems = row_to_data({
        "award_id": "  A-1 ", "learner_id": " 01", "given_name": " Ann ", "given_name@el": "Άννα",
        "family_name": {"en": "Lee", "el": "Λι"}, "email": "  ", "date_of_birth": None,
        "grade": "Pass", "notes": "not a column", "issuer": ["a", "b"]}, "en")
    assert data == {"award_id": "A-1", "learner": {"id": "01", "given_name": {"en": " Ann ", "el": "Άννα"},
                                                   "family_name": {"en": "Lee", "el": "Λι"}},
                    "grade": {"en": "Pass"}, "issuer": ["a", "b"]}
    assert problems == []


def test_a_row_in_its_own_language_reads_its_plain_texts_in_it() -> None:
    from edcbridge.load.awards import row_to_data

    data, problems = row_to_data({"language": "el", "given_name": "Άννα", "family_name": "Lee",
                                  "family_name@el": "Λι", "grade": "Άριστα"}, "en")
    assert data["learner"] == {"given_name": {"el": "Άννα"}, "family_name": {"en": "Lee", "el": "Λι"}}
    assert data["grade"] == {"el": "Άριστα"} and data["language"] == "el" and problems == []


def test_two_texts_of_one_language_and_a_line_break_are_problems() -> None:
    from edcbridge.load.awards import row_to_data

    data, problems = row_to_data({"given_name": "Ann", "given_name@en": "Anne",
                                  "family_name": "Lee\nSmith,01,x"}, "en")
    assert data["learner"]["given_name"] == {"en": "Anne"}
    assert [column for column, _, _ in problems] == ["given_name@en", "family_name"]
    assert "two different 'en' texts ('Ann' and 'Anne')" in problems[0][1]
    assert "line break" in problems[1][1] and "looks like a row" in problems[1][1]
