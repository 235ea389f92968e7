"""What a registry clerk meets in an awards file: an unknown column said once in every format,
a JSON Lines line cut short, grades with a trailing zero, and fixes in the clerk's words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from pydantic import ValidationError

from edcbridge.load import LoadedRow, RecordError
from edcbridge.load.errors import cell_fix, fix_for
from edcbridge.model import Award, parse
from tests.test_load_inputs import GOOD, HEADER, _rows

ROW = dict(zip(HEADER, GOOD, strict=True))


def _jsonl(tmp_path: Path, lines: list[str], name: str = "awards.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), "utf-8")
    return path


def _objects(*rows: dict[str, Any]) -> list[str]:
    return [json.dumps(row, ensure_ascii=False) for row in rows]


def _book(tmp_path: Path, rows: list[list[Any]], grade_format: str) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "awards"
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2, min_col=len(HEADER), max_col=len(HEADER)):
        cells[0].number_format = grade_format
    path = tmp_path / "awards.xlsx"
    book.save(path)
    return path


def _header_errors(rows: list[LoadedRow]) -> list[RecordError]:
    return [error for row in rows if row.file_level for error in row.errors]


# 1. an unknown column: one error of the file, in every format; the rows are still read

def _with_gradee(tmp_path: Path, kind: str) -> Path:
    rows = [{**ROW, "award_id": f"A{n}", "gradee": "Merit"} for n in (1, 2, 3)]
    if kind == "csv":
        path = tmp_path / "awards.csv"
        lines = [[*HEADER, "gradee"], *([*row.values()] for row in rows)]
        path.write_text("".join(",".join(line) + "\r\n" for line in lines), "utf-8")
        return path
    if kind == "json":
        path = tmp_path / "awards.json"
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), "utf-8")
        return path
    return _jsonl(tmp_path, _objects(*rows))


@pytest.mark.parametrize("kind", ["csv", "jsonl", "json"])
def test_an_unknown_column_is_one_error_of_the_file_and_every_row_loads(tmp_path: Path, kind: str) -> None:
    rows = _rows(_with_gradee(tmp_path, kind))
    [error] = _header_errors(rows)
    assert (error.column, error.message) == ("gradee", "unknown column 'gradee'")
    assert error.fix.startswith("did you mean 'grade'?")
    assert "its values are not read" in error.fix
    awards = [row for row in rows if not row.file_level]
    assert [row.award is not None for row in awards] == [True, True, True]


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_renamed_required_column_is_named_as_the_one_the_file_lacks(tmp_path: Path, kind: str) -> None:
    row = {("Date awarded" if key == "awarding_date" else key): value for key, value in ROW.items()}
    if kind == "csv":
        path = tmp_path / "awards.csv"
        path.write_text(",".join(row) + "\r\n" + ",".join(row.values()) + "\r\n", "utf-8")
    else:
        path = _jsonl(tmp_path, _objects(row))
    unknown = [e for e in _header_errors(_rows(path)) if e.column == "Date awarded"]
    assert [e.fix.split("?")[0] for e in unknown] == ["did you mean 'awarding_date'"]


def test_an_unknown_json_key_is_said_on_the_first_line_that_has_it(tmp_path: Path) -> None:
    lines = _objects({**ROW, "award_id": "A1"}, {**ROW, "award_id": "A2", "notes": "late"},
                     {**ROW, "award_id": "A3", "notes": "x", "mark": "Merit"})
    rows = _rows(_jsonl(tmp_path, lines))
    said = [(e.row, e.column) for e in _header_errors(rows)]
    assert said == [(2, "notes"), (3, "mark")]
    assert all(row.award is not None for row in rows if not row.file_level)


def test_a_json_language_column_of_no_text_is_still_an_error_of_its_line(tmp_path: Path) -> None:
    rows = _rows(_jsonl(tmp_path, _objects({**ROW, "award_id@en": "A1"})))
    [row] = rows
    assert (row.row, row.file_level, row.errors[0].message) == (1, False, "award_id is not a text column")


# 2. and 5. a JSON Lines line cut short: named by its line and the character where it ends

@pytest.mark.parametrize("cut", [
    '"family_name": "Lef',  # inside a text
    '"family_name": "Lefèvre"',  # after a value, before the closing brace
    '"family_name":',  # before a value
    '"family_na',  # inside a key
])
@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_a_line_cut_short_is_named_where_it_ends(tmp_path: Path, cut: str, ending: str) -> None:
    whole = json.dumps({**ROW, "award_id": "A1"}, ensure_ascii=False)
    partial = '{"award_id": "A2", ' + cut
    path = tmp_path / "awards.jsonl"
    path.write_text(whole + "\n" + partial + ending, "utf-8", newline="")
    good, broken = _rows(path)
    assert good.award is not None
    [error] = broken.errors
    assert (error.row, error.character) == (2, len(partial) + 1)
    assert error.message == "not JSON: the line ends before its object is closed"
    assert error.fix == "the line is cut short: the file may be incomplete; export it again"
    assert error.render().startswith(f"{path}:2:{len(partial) + 1}: not JSON")


def test_a_broken_line_is_named_at_the_character_that_breaks_it(tmp_path: Path) -> None:
    line = '{"award_id": "A1", given_name: "Ana"}'
    [row] = _rows(_jsonl(tmp_path, [line]))
    [error] = row.errors
    assert (error.row, error.character) == (1, line.index("given_name") + 1)
    assert error.message == "not JSON: Expecting property name enclosed in double quotes"
    assert "one JSON object per line" in error.fix


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_files_joined_with_their_byte_order_marks_give_every_award(tmp_path: Path, encoding: str) -> None:
    first, second = (json.dumps({**ROW, "award_id": key}, ensure_ascii=False) + "\n"
                     for key in ("A1", "A2"))
    path = tmp_path / "awards.jsonl"
    path.write_bytes(first.encode(encoding) + second.encode(encoding))  # cat a.jsonl b.jsonl
    rows = _rows(path)
    assert [row.errors for row in rows] == [(), ()]
    assert [row.award.award_id for row in rows if row.award is not None] == ["A1", "A2"]


def test_a_broken_line_after_a_byte_order_mark_is_named_where_it_breaks(tmp_path: Path) -> None:
    line = '\ufeff{"award_id": "A1", given_name: "Ana"}'
    [row] = _rows(_jsonl(tmp_path, ["", line]))
    [error] = row.errors
    assert (error.row, error.character) == (2, line.index("given_name") + 1)


def _read_as(path: Path, shift: int = 0, kept: int = 0
             ) -> list[tuple[int | None, str | None, list[tuple[int | None, int | None, str]]]]:
    """The rows of the file (row, award, errors), each row after line ``kept`` moved ``shift`` lines on."""
    def moved(number: int | None) -> int | None:
        return number if number is None or number <= kept else number + shift

    return [(moved(row.row), row.award.award_id if row.award is not None else None,
             [(moved(error.row), error.character, error.message) for error in row.errors])
            for row in _rows(path)]


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
@pytest.mark.parametrize("lead", ["", json.dumps({**ROW, "award_id": "A0"}) + "\n"])
@pytest.mark.parametrize("before", ["\n", "\r\n", "  ", " \n\t", "\ufeff", "\ufeff\n", "\n\n\ufeff\n"])
def test_lines_after_blank_lines_and_a_byte_order_mark_read_as_the_file_alone(
        tmp_path: Path, suffix: str, lead: str, before: str) -> None:
    """A blank file, one of spaces without a line break, or an empty or blank one written with a
    mark, joined before a file written with one: the lines read as in that file alone."""
    lines = "".join(line + "\n" for line in _objects({**ROW, "award_id": "A1"}, {**ROW, "award_id": "A2"}))
    lines += '{"award_id": "A3", given_name: "Ana"}\n'
    alone = tmp_path / f"alone{suffix}"
    alone.write_text(lead + lines, "utf-8")
    joined = tmp_path / f"joined{suffix}"
    joined.write_text(lead + before + "\ufeff" + lines, "utf-8")
    expected = _read_as(alone, shift=before.count("\n"), kept=lead.count("\n"))
    assert _read_as(joined) == expected
    assert [award for _, award, _ in expected] == ["A0"] * bool(lead) + ["A1", "A2", None]


def test_a_broken_line_after_spaces_and_a_byte_order_mark_is_named_where_it_breaks(tmp_path: Path) -> None:
    line = '  \ufeff{"award_id": "A1", given_name: "Ana"}'
    [row] = _rows(_jsonl(tmp_path, [line]))
    [error] = row.errors
    assert (error.row, error.character) == (1, line.index("given_name") + 1)


def test_an_error_with_a_character_renders_it_after_the_line() -> None:
    error = RecordError("a.jsonl", 4, None, None, "not JSON: x", "fix it", character=17)
    assert error.render() == "a.jsonl:4:17: not JSON: x\n    fix: fix it"
    whole_file = RecordError("a.jsonl", None, None, None, "m", "f", character=17)
    assert whole_file.render() == "a.jsonl: m\n    fix: f"
    assert error.as_dict()["character"] == 17


# 3. grades with two decimals keep their trailing zero

@pytest.mark.parametrize(("value", "number_format", "grade"), [
    (3.5, "0.00", "3.50"), (3, "0.00", "3.00"), (3.5, "#,##0.00", "3.50"), (3.5, "0.0", "3.5"),
    (3.456, "0.00", "3.456"),  # a digit the format hides is kept, never rounded away
    (3.5, "General", "3.5"), (0.725, "0.0%", "72.5%")])
def test_a_number_cell_keeps_the_decimals_its_format_shows(tmp_path: Path, value: float,
                                                            number_format: str, grade: str) -> None:
    [row] = _rows(_book(tmp_path, [HEADER, [*GOOD[:7], value]], number_format))
    assert row.errors == () and row.award is not None
    assert row.award.grade == {"en": grade}


def test_a_text_cell_keeps_its_grade_as_written(tmp_path: Path) -> None:
    book = _book(tmp_path, [HEADER, [*GOOD[:7], "3.50"]], "@")
    csv_path = tmp_path / "awards.csv"
    csv_path.write_text(",".join(HEADER) + "\r\n" + ",".join([*GOOD[:7], "3.50"]) + "\r\n", "utf-8")
    for path in (book, csv_path):
        [row] = _rows(path)
        assert row.award is not None and row.award.grade == {"en": "3.50"}


# 4. each kind of error a cell can hold has a fix in the clerk's words

def _fixes(data: dict[str, Any]) -> dict[str, str]:
    base: dict[str, Any] = {"award_id": "A1", "specification": "S", "awarding_date": "2025-07-14",
                            "learner": {"id": "1", "given_name": {"en": "A"}, "family_name": {"en": "B"}}}
    with pytest.raises(ValidationError) as caught:
        parse(Award, {**base, **data})
    return {".".join(map(str, e["loc"])): cell_fix(dict(e), str(e["loc"][-1])) for e in caught.value.errors()}


@pytest.mark.parametrize(("data", "where", "fix"), [
    ({"award_id": ["A1"]}, "award_id", "award_id takes one value, not a list: write it as text in quotes"),
    ({"issuer": {"en": "x"}}, "issuer", "issuer takes one value, not an object: write it as text in quotes"),
    ({"awarding_date": []}, "awarding_date",
     'awarding_date takes one date, not a list: write it in quotes as YYYY-MM-DD, e.g. "2025-07-14"'),
    ({"issued": {}}, "issued", "issued takes one date-time, not an object: write it in quotes with its "
                               'zone, e.g. "2025-07-14T10:00:00Z"'),
    ({"grade": {}}, "grade",
     'write the grade text, or texts per language such as {"en": "..."}; '
     "or leave it out if it is not required"),
    ({"grade": {"en": " "}}, "grade", "write the grade text in that language, or leave that language out"),
    ({"grade": {"en": 5}}, "grade", 'write each grade text in quotes, e.g. {"en": "..."}'),
])
def test_a_cell_error_has_a_fix_in_the_clerks_words(data: dict[str, Any], where: str, fix: str) -> None:
    assert _fixes(data)[where] == fix


def test_no_cell_error_of_an_award_is_left_with_the_generic_fix(tmp_path: Path) -> None:
    values: list[Any] = [5, True, None, [], ["a"], {}, {"en": ""}, {"en": 5}, {"x": "a"}, "", "x",
                         "2025-13-01", "2025-07-14T10:00:00"]
    lines = [json.dumps({**ROW, "award_id": f"A{n}-{column}", column: value})
             for n, value in enumerate(values) for column in [*HEADER, "email", "issued", "language"]
             if column != "award_id"]
    fixes = {e.fix for row in _rows(_jsonl(tmp_path, lines)) for e in row.errors}
    assert fixes and "correct the value as the message says" not in fixes
    assert not any(fix.startswith("write it as text; in JSON or YAML") for fix in fixes)


def test_an_unknown_key_is_named_by_its_own_name_not_its_path() -> None:
    error = {"type": "extra_forbidden", "loc": ("specifications", 0, "hour"), "msg": "Extra inputs"}
    assert fix_for(error, "specifications.0.hour") == \
        "remove 'hour' or correct its name; run 'edcbridge formats' for the accepted names"


@pytest.mark.parametrize(("kind", "fix"), [
    ("list_type", "write a list of values, e.g. [first, second]"),
    ("dict_type", "write keys and values, e.g. {en: 'text'} for a text in each language")])
def test_a_list_or_object_expected_has_a_fix_that_says_how_to_write_one(kind: str, fix: str) -> None:
    assert fix_for({"type": kind, "loc": ("x",), "msg": "Input should be ..."}, "x") == fix
