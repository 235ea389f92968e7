"""A .json file holding one array of awards (or {"awards": [...]}) is read an award at a time: a
registry's export of a million awards on one line never fills the memory, and an award cut by the
end of a piece read is read as a whole, so the rows and errors are those of the whole file."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from pathlib import Path
from typing import Any

import pytest

from edcbridge.load import InputFileError
from edcbridge.load.tabular import json_window, read_rows
from edcbridge.load.tabular.cells import Row
from tests.memory_limited import printed_within

# an award with all a piece can be cut inside of: brackets and braces in text, escaped quotes
# and backslashes, escapes of letters and of a character beyond 16 bits (a surrogate pair)
TRICKY: dict[str, Any] = {"award_id": "A\"1\\", "given_name": "Zo\u00eb [x] {y}",
                          "family_name": "\U0001F600 ]}", "grade": -1.5e-3, "passed": True,
                          "note": None, "code": "\\u0041 \"]\" ,{"}
AWARDS: list[dict[str, Any]] = [TRICKY, {**TRICKY, "award_id": "A2"},
                                {"award_id": "A3", "family_name": "\u00e9\u20ac"}]


def _read(path: Path) -> tuple[list[tuple[int, Row]], str | None]:
    rows: list[tuple[int, Row]] = []
    try:
        rows.extend(read_rows(path).rows)
    except InputFileError as exc:
        return rows, str(exc)
    return rows, None


def _by_pieces(path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> list[tuple[list[tuple[int, Row]], str | None]]:
    """What the file reads read whole, then read a few characters at a time: each size cuts the
    awards at other places."""
    read = []
    for chunk in (1 << 20, *range(1, 41)):
        monkeypatch.setattr(json_window, "CHUNK", chunk)
        read.append(_read(path))
    return read


@pytest.mark.parametrize("text", [
    json.dumps(AWARDS), json.dumps(AWARDS, ensure_ascii=False), json.dumps(AWARDS, indent=2),
    json.dumps({"awards": AWARDS}), " \n" + json.dumps({"awards": AWARDS * 20}, indent=1) + "\n\n",
])
def test_awards_cut_anywhere_by_the_pieces_read_are_read_whole(tmp_path: Path, text: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    awards = tmp_path / "awards.json"
    awards.write_text(text, encoding="utf-8")
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    rows, error = read[0]
    assert error is None
    assert [row["award_id"] for _, row in rows[:3]] == [award["award_id"] for award in AWARDS]
    assert rows[0][1]["family_name"] == TRICKY["family_name"] and rows[0][1]["code"] == TRICKY["code"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_an_array_with_a_byte_order_mark_is_read_by_pieces(tmp_path: Path, encoding: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    awards = tmp_path / "awards.json"
    awards.write_text(json.dumps(AWARDS, ensure_ascii=False), encoding=encoding)
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    assert [row["award_id"] for _, row in read[0][0]] == [award["award_id"] for award in AWARDS]


@pytest.mark.parametrize("broken", [
    '{"award_id": "A4"', '{"award_id": "A4\n"}', '{"award_id": "A4}]', '{"award_id": "\\u12"}',
    '{"award_id": "\\x"}', '{"award_id": tru}', '{"award_id": 1.}', '{"award_id": -}',
    '{"award_id" "A4"}', '"A4" "A5"',
])
def test_malformed_json_is_named_where_json_says_whatever_the_pieces(tmp_path: Path, broken: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps(AWARDS, indent=1)[:-2] + ",\n " + broken + "\n]"
    with pytest.raises(json.JSONDecodeError) as whole:
        json.loads(text)
    awards = tmp_path / "awards.json"
    awards.write_text(text, encoding="utf-8")
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    rows, error = read[0]
    assert len(rows) == len(AWARDS) + broken.startswith('"A4"')  # a text, an error of its row
    assert error is not None
    where = f"awards.json: not JSON at line {whole.value.lineno}, column {whole.value.colno}: "
    said = "expecting ',' or ']' after an award" if broken.startswith('"A4"') else whole.value.msg
    assert where + said + ";" in error


def test_objects_one_after_another_cut_anywhere_are_read_whole_on_the_lines_they_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    objects = [json.dumps(award, indent=2, ensure_ascii=False) for award in AWARDS * 3]
    awards = tmp_path / "awards.json"
    awards.write_text("\n".join(objects) + "\n", encoding="utf-8")
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    rows, error = read[0]
    assert error is None
    assert [number for number, _ in rows] == list(accumulate([o.count("\n") + 1 for o in objects[:-1]],
                                                            initial=1))
    assert [row["award_id"] for _, row in rows] == [award["award_id"] for award in AWARDS * 3]


@pytest.mark.parametrize("broken", ['{\n "award_id": "A4",\n "x": tru\n}', '{\n "award_id": "A4"\n',
                                    '{\n "award_id": "A4" "x"\n}', '{\n "award_id": "\\u12"\n}'])
def test_malformed_objects_one_after_another_are_named_where_json_says(
        tmp_path: Path, broken: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n".join(json.dumps(award, indent=2) for award in AWARDS) + "\n" + broken + "\n"
    with pytest.raises(json.JSONDecodeError) as whole:
        json.JSONDecoder().raw_decode(text, text.index(broken))
    awards = tmp_path / "awards.json"
    awards.write_text(text, encoding="utf-8")
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    rows, error = read[0]
    assert len(rows) == len(AWARDS) and error is not None
    assert (f"awards.json: not JSON at line {whole.value.lineno}, column {whole.value.colno}: "
            f"{whole.value.msg};") in error


@pytest.mark.parametrize("end", ["\n", ""])
def test_objects_of_files_joined_each_with_a_byte_order_mark_are_read_whatever_the_pieces(
        tmp_path: Path, end: str, monkeypatch: pytest.MonkeyPatch) -> None:
    one = "\n".join(json.dumps(award, indent=2, ensure_ascii=False) for award in AWARDS) + end
    awards = tmp_path / "awards.json"  # cat a.json b.json c.json, each written with a mark
    awards.write_bytes(("\ufeff" + one).encode() * 3)
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    rows, error = read[0]
    assert error is None
    lines = [json.dumps(award, indent=2).count("\n") + 1 for award in AWARDS]
    starts = list(accumulate(lines * 3, initial=1))[:-1]
    if not end:  # a file not ending its last line: the next one starts on that line
        starts = [start - (index // len(AWARDS)) for index, start in enumerate(starts)]
    assert [number for number, _ in rows] == starts
    assert [row["award_id"] for _, row in rows] == [award["award_id"] for award in AWARDS * 3]


@pytest.mark.parametrize("broken", ['{"award_id" "A4"}', '{\n "award_id": tru\n}', '  {"award_id": "\\u12"}'])
def test_a_malformed_object_after_a_byte_order_mark_is_named_where_json_says(
        tmp_path: Path, broken: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n".join(json.dumps(award, indent=2) for award in AWARDS) + "\n\ufeff" + broken + "\n"
    with pytest.raises(json.JSONDecodeError) as whole:
        json.JSONDecoder().raw_decode(text, text.index(broken.lstrip()))
    awards = tmp_path / "awards.json"
    awards.write_text(text, encoding="utf-8")
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    rows, error = read[0]
    assert len(rows) == len(AWARDS) and error is not None
    assert (f"awards.json: not JSON at line {whole.value.lineno}, column {whole.value.colno}: "
            f"{whole.value.msg};") in error


def test_a_byte_order_mark_inside_an_array_is_still_refused(tmp_path: Path) -> None:
    awards = tmp_path / "awards.json"
    awards.write_text('[{"award_id": "A1"},\n\ufeff{"award_id": "A2"}]', encoding="utf-8")
    rows, error = _read(awards)
    assert [number for number, _ in rows] == [1]
    assert error is not None and "not JSON at line 2, column 1: Expecting value;" in error


def test_keys_twice_nan_and_values_that_are_no_award_are_errors_of_their_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    awards = tmp_path / "awards.json"
    awards.write_text('[{"award_id": "A1", "grade": 1, "grade": 2},\n{"award_id": "A2", "grade": NaN},\n'
                      '"A3",\n{"award_id": "A4", "grade": 1e999}, 12345,\n{"award_id": "A5"}]')
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    rows, error = read[0]
    assert error is None
    assert [(number, str(row.get("__invalid__", ""))[:20]) for number, row in rows] == [
        (1, "the key 'grade' is w"), (2, "'grade' is no number"), (3, "each award in the ar"),
        (4, "'grade' is no number"), (4, "each award in the ar"), (5, "")]


def test_a_number_of_too_many_digits_is_named_with_all_its_digits(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    awards = tmp_path / "awards.json"
    awards.write_text(json.dumps(AWARDS * 5)[:-1] + ', {"award_id": ' + "7" * 5000 + "}]")
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    rows, error = read[0]
    assert len(rows) == len(AWARDS) * 5
    assert error is not None and "has 5000 digits" in error


def test_a_first_line_with_a_number_of_too_many_digits_fails_that_line_only(tmp_path: Path) -> None:
    awards = tmp_path / "awards.json"
    awards.write_text('{"award_id": "A1", "grade": ' + "7" * 5000 + '}\n{"award_id": "A2"}\n')
    rows, error = _read(awards)
    assert error is None
    assert [number for number, _ in rows] == [1, 2] and rows[1][1] == {"award_id": "A2"}
    assert "5000 digits" in str(rows[0][1]["__invalid__"])


@pytest.mark.parametrize(("before", "line"), [('[{"award_id": "A1"},\n ', 2),
                                              ('{\n "award_id": "A1"\n}\n ', 4)])
def test_an_award_longer_than_the_limit_is_refused_after_the_awards_before_it(
        tmp_path: Path, before: str, line: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_window, "MAX_AWARD_CHARS", 1024 * 1024)
    awards = tmp_path / "awards.json"
    awards.write_text(before + '{"award_id": "A2", "note": "a quote left open' + "x" * 3_000_000)
    rows, error = _read(awards)
    assert [number for number, _ in rows] == [1]
    assert error is not None and error.startswith(f"{awards}: the award starting at line {line}, column 2 "
                                                  "runs on for more than 1 MB")


def test_an_award_shorter_than_the_limit_is_read_whatever_the_pieces(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_window, "MAX_AWARD_CHARS", 1024 * 1024)
    monkeypatch.setattr(json_window, "CHUNK", 1000)
    awards = tmp_path / "awards.json"
    awards.write_text(json.dumps([{"award_id": "A1", "note": "y" * 1_000_000}, {"award_id": "A2"}]))
    rows, error = _read(awards)
    assert error is None and [row["award_id"] for _, row in rows] == ["A1", "A2"]


def test_a_byte_not_in_the_encoding_late_in_the_file_fails_it_before_any_award(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_window, "CHUNK", 16)
    awards = tmp_path / "awards.json"
    awards.write_bytes(json.dumps(AWARDS * 50).encode() + b'[{"award_id": "\xe9"}]')
    rows, error = _read(awards)
    assert rows == [] and error is not None and "not UTF-8 (line 1, byte" in error


MEMORY_LIMIT_MB = 96


def _rows_read_within_the_limit(awards: Path) -> list[str]:
    """The rows, the last row number and the last award id read from a file larger than the
    memory the reading process may take."""
    assert awards.stat().st_size > MEMORY_LIMIT_MB * 1024 * 1024
    return printed_within(MEMORY_LIMIT_MB, f"""
        from pathlib import Path
        from edcbridge.load.tabular import read_rows
        rows = 0
        for line, row in read_rows(Path({str(awards)!r})).rows:
            rows, last_line, last = rows + 1, line, row["award_id"]
        print(rows, last_line, last)
    """).split()


def test_an_array_on_one_line_larger_than_the_memory_is_read_an_award_at_a_time(tmp_path: Path) -> None:
    awards = tmp_path / "awards.json"
    award = json.dumps({**TRICKY, "award_id": "A{}", "note": "[{\\\"}]" * 170})
    count = 70_000
    with awards.open("w", encoding="utf-8") as out:
        out.write("[")
        for start in range(0, count, 1000):
            out.write(",".join(award.replace("A{}", f"A{number}") for number in range(start, start + 1000)))
            out.write("," if start + 1000 < count else "]")
    assert _rows_read_within_the_limit(awards) == [str(count), "1", f"A{count - 1}"]


def test_objects_one_after_another_larger_than_the_memory_are_read_one_at_a_time(tmp_path: Path) -> None:
    awards = tmp_path / "awards.json"
    award = json.dumps({**TRICKY, "award_id": "A{}", "note": "[{\\\"}]" * 170}, indent=1)
    count = 70_000
    with awards.open("w", encoding="utf-8") as out:  # as jq '.[]' writes them
        for start in range(0, count, 1000):
            out.write("\n".join(award.replace("A{}", f"A{number}") for number in range(start, start + 1000)))
            out.write("\n")
    lines = award.count("\n") + 1
    assert _rows_read_within_the_limit(awards) == [str(count), str(lines * (count - 1) + 1), f"A{count - 1}"]


# what a join leaves before the file holding the awards, which starts with a byte-order mark: a
# blank file, one of spaces without a line break, an empty or blank file written with a mark
JOINED_BEFORE = ["\n", "\r\n", " \n\t", "  ", "\ufeff", "\ufeff\n", "\n\n\ufeff\n"]
FORMS = {"array": json.dumps(AWARDS, indent=2, ensure_ascii=False) + "\n",
         "array on one line": json.dumps(AWARDS, ensure_ascii=False),
         "awards": json.dumps({"awards": AWARDS}, indent=1, ensure_ascii=False) + "\n",
         "objects": "\n".join(json.dumps(award, indent=2, ensure_ascii=False) for award in AWARDS) + "\n"}


def _joined(tmp_path: Path, before: str, body: str, encoding: str = "utf-8") -> Path:
    """``before`` then ``body`` written with a byte-order mark (``cat a.json b.json``), in
    ``encoding``."""
    joined = tmp_path / "joined" / "awards.json"
    joined.parent.mkdir(exist_ok=True)
    marked = {"utf-8": "utf-8-sig", "utf-16-le": "utf-16"}[encoding]
    joined.write_bytes(before.encode(encoding) + body.encode(marked))
    return joined


def _as_alone(tmp_path: Path, body: str, before: str,
              monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[int, Row]], str | None]:
    """What ``body`` reads as a file of its own, its lines and the file named as in the joined
    file that ``before`` starts."""
    alone = tmp_path / "alone" / "awards.json"
    alone.parent.mkdir(exist_ok=True)
    alone.write_text(body, encoding="utf-8")
    rows, error = _by_pieces(alone, monkeypatch)[0]
    lines = before.count("\n")
    if error is not None:
        error = re.sub(r"at line (\d+)", lambda line: f"at line {int(line[1]) + lines}", error)
        error = error.replace(str(alone), str(tmp_path / "joined" / "awards.json"))
    return [(number + lines, row) for number, row in rows], error


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le"])
@pytest.mark.parametrize("before", JOINED_BEFORE)
@pytest.mark.parametrize("form", FORMS)
def test_awards_after_blank_lines_and_a_byte_order_mark_read_as_the_file_alone(
        tmp_path: Path, form: str, before: str, encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    joined = _joined(tmp_path, before, FORMS[form], encoding)
    read = _by_pieces(joined, monkeypatch)
    assert all(each == read[0] for each in read)
    assert read[0] == _as_alone(tmp_path, FORMS[form], before, monkeypatch)
    assert [row["award_id"] for _, row in read[0][0]] == [award["award_id"] for award in AWARDS]


@pytest.mark.parametrize("before", JOINED_BEFORE)
@pytest.mark.parametrize("body", [FORMS["array"][:-3] + ',\n {"award_id" "A4"}\n]\n',
                                  FORMS["objects"] + '{\n "award_id": tru\n}\n',
                                  '{\n "award_id": "A1"\n',
                                  json.dumps({"awards": AWARDS}) + "\n{}\n"])
def test_a_malformed_file_after_blank_lines_and_a_byte_order_mark_is_named_as_alone(
        tmp_path: Path, before: str, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    read = _by_pieces(_joined(tmp_path, before, body), monkeypatch)
    assert all(each == read[0] for each in read)
    alone = _as_alone(tmp_path, body, before, monkeypatch)
    assert alone[1] is not None and "not JSON at line" in alone[1]
    assert read[0] == alone


@pytest.mark.parametrize("after", ["\ufeff", "\n\ufeff", "\ufeff\n", "\n\ufeff\n\ufeff  \n"])
@pytest.mark.parametrize("form", ["array", "array on one line", "awards"])
def test_the_byte_order_marks_of_empty_files_joined_after_the_awards_are_passed_over(
        tmp_path: Path, form: str, after: str, monkeypatch: pytest.MonkeyPatch) -> None:
    awards = tmp_path / "awards.json"  # cat awards.json empty.json, the empty file written with a mark
    awards.write_text(FORMS[form] + after, encoding="utf-8")
    read = _by_pieces(awards, monkeypatch)
    assert all(each == read[0] for each in read)
    assert read[0] == _as_alone(tmp_path, FORMS[form], "", monkeypatch)


@pytest.mark.parametrize("form", ["array", "awards"])
def test_awards_of_a_file_joined_after_the_array_are_more_after_the_awards(tmp_path: Path, form: str) -> None:
    awards = tmp_path / "awards.json"
    awards.write_text(FORMS[form] + "\ufeff" + FORMS["array"], encoding="utf-8")
    rows, error = _read(awards)
    assert [row["award_id"] for _, row in rows] == [award["award_id"] for award in AWARDS]
    line = FORMS[form].count("\n") + 1
    assert error is not None and f"not JSON at line {line}, column 2: more after the awards;" in error


def test_a_value_of_a_one_line_array_that_is_no_award_is_named_by_its_character(tmp_path: Path) -> None:
    from edcbridge.load import iter_awards
    from tests.test_load_inputs import CATALOGUE, GOOD, HEADER

    award = json.dumps(dict(zip(HEADER, GOOD, strict=True)))
    text = f"[{award}, null, {award.replace('A1', 'A2')}, 5]"
    path = tmp_path / "awards.json"
    path.write_text(text, encoding="utf-8")
    rows = list(iter_awards(path, CATALOGUE))
    assert [r.award is not None for r in rows] == [True, False, True, False]
    errors = [e for r in rows for e in r.errors]
    assert [(e.row, e.character) for e in errors] == [(1, text.index("null") + 1), (1, len(text) - 1)]
    assert errors[0].render().startswith(f"{path}:1:{text.index('null') + 1}:")
