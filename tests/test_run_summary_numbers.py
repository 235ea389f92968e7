"""The numbers of a run agree: the progress bar's total is the award rows the reader gives,
and the summary on stderr counts what report.csv, report.json and report.html list."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import InputFileError, iter_awards, load_catalogue
from edcbridge.pipeline.runner import count_rows
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


@pytest.mark.parametrize("title", ["Graduation 2025 - awards\n\n", "Graduation 2025 - awards,,,,,,\n",
                                   "sep=,\nGraduation 2025\nFaculty of Medicine\n",
                                   "Award,,Learner,,,,Result,\n"])
def test_a_title_above_the_header_is_no_row_of_the_count(tmp_path: Path, title: str) -> None:
    """A title row (merged across the columns, or one cell) is passed over by the reader: the
    bar counting it ended at 4/5 for a file of four awards."""
    titled = tmp_path / "titled.csv"
    titled.write_text(title + synthetic_awards(tmp_path / "plain.csv", 4).read_text("utf-8"), "utf-8")
    rows = list(iter_awards(titled, load_catalogue(CATALOGUE)))
    assert len(rows) == 4 and all(row.award is not None for row in rows)
    assert count_rows(titled) == 4


def test_the_end_of_file_mark_is_no_row_of_the_count(tmp_path: Path) -> None:
    joined = tmp_path / "joined.csv"
    joined.write_bytes(synthetic_awards(tmp_path / "plain.csv", 4).read_bytes() + b"\x1a")
    assert count_rows(joined) == 4 == len(list(iter_awards(joined, load_catalogue(CATALOGUE))))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_lines_ended_by_a_carriage_return_alone_are_rows_of_the_count(tmp_path: Path, suffix: str) -> None:
    """A file saved as 'CSV (Macintosh)' ends its lines with a carriage return alone, which the
    reader takes as a line break: the count found one line, so the bar had no total and a run
    --fail-fast stopped said '"not_read": 0' and "0 rows not read" of the rows it left."""
    plain = synthetic_awards(tmp_path / "plain.csv", 4)
    if suffix == ".jsonl":
        text = "".join(json.dumps(award) + "\n" for award in _json_awards(tmp_path, 4))
    else:
        text = plain.read_text("utf-8")
    mac = tmp_path / f"mac{suffix}"
    mac.write_bytes(text.replace("\r\n", "\n").replace("\n", "\r").encode("utf-8"))
    rows = list(iter_awards(mac, load_catalogue(CATALOGUE)))
    assert len(rows) == 4 and all(row.award is not None for row in rows)
    assert count_rows(mac) == 4


@pytest.mark.parametrize("cell", ['Ele"ni', 'Robert "Bob', "5'11\"", 'x"'])
def test_a_quote_inside_a_cell_opens_no_quoted_cell_in_the_count(tmp_path: Path, cell: str) -> None:
    """A quote that does not start a cell is a character of it, as the reader takes it (a typo, a
    height in inches): the count took it as opening a quoted cell, and the rows up to the next
    such quote as one, 2 rows of 20 (the bar at 20/2; a stopped run's rows not read, none)."""
    lines = synthetic_awards(tmp_path / "plain.csv", 20).read_text("utf-8").splitlines()
    lines[2] = lines[2].replace(",Eleni,", f",{cell},")
    assert cell in lines[2]
    stray = tmp_path / "stray.csv"
    stray.write_text("\n".join(lines) + "\n", "utf-8")
    rows = list(iter_awards(stray, load_catalogue(CATALOGUE)))
    assert len(rows) == 20 and all(row.award is not None for row in rows)
    assert count_rows(stray) == 20


def test_the_mark_of_an_empty_json_lines_file_joined_on_is_no_row_of_the_count(tmp_path: Path) -> None:
    """``cat empty.jsonl awards.jsonl`` of files written with a byte-order mark: the reader
    passes over the line holding the first file's mark alone; the bar ended at 3/4."""
    lines = "".join(json.dumps(award) + "\n" for award in _json_awards(tmp_path, 3))
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(b"\xef\xbb\xbf\n\xef\xbb\xbf" + lines.encode("utf-8"))
    assert len(list(iter_awards(joined, load_catalogue(CATALOGUE)))) == 3
    assert count_rows(joined) == 3


@pytest.mark.parametrize("line", [",", '""', ";"])
def test_a_json_line_of_no_object_is_a_row_of_the_count(tmp_path: Path, line: str) -> None:
    """A line of a comma (left from an array taken apart by hand) is a row the reader fails:
    the count passed over it as a blank row of a CSV file, and the bar ended at 4/3."""
    lines = [json.dumps(award) for award in _json_awards(tmp_path, 3)]
    path = tmp_path / "awards.jsonl"
    path.write_text("\n".join([*lines[:2], line, lines[2]]) + "\n", "utf-8")
    rows = list(iter_awards(path, load_catalogue(CATALOGUE)))
    assert len(rows) == 4 and sum(row.award is None for row in rows) == 1
    assert count_rows(path) == 4


def test_a_one_column_file_keeps_its_first_row_as_the_header(tmp_path: Path) -> None:
    single = tmp_path / "single.csv"
    single.write_text("award_id\nA-1\nA-2\n", "utf-8")
    assert count_rows(single) == 2


def _json_awards(tmp_path: Path, count: int) -> list[dict[str, str]]:
    with synthetic_awards(tmp_path / "plain.csv", count).open(encoding="utf-8", newline="") as handle:
        return [{key: value for key, value in row.items() if value} for row in csv.DictReader(handle)]


@pytest.mark.parametrize("form", ["objects", "awards", "awards on one line"])
def test_a_json_file_not_of_json_lines_is_counted_by_its_awards(tmp_path: Path, form: str) -> None:
    """A .json file of objects written over several lines, or {"awards": [...]}, was counted a
    row a line: the bar ended at 3/110, and a run --fail-fast stopped said 107 rows not read of
    a file of eight awards."""
    awards = _json_awards(tmp_path, 3)
    path = tmp_path / "awards.json"
    if form == "objects":
        path.write_text("".join(json.dumps(award, indent=2) + "\n" for award in awards), "utf-8")
    else:
        path.write_text(json.dumps({"awards": awards}, indent=None if form.endswith("line") else 2), "utf-8")
    assert len(list(iter_awards(path, load_catalogue(CATALOGUE)))) == 3
    assert count_rows(path) == 3


def test_json_lines_in_a_json_file_are_counted_a_row_a_line(tmp_path: Path) -> None:
    path = tmp_path / "awards.json"
    path.write_text("".join(json.dumps(award) + "\n" for award in _json_awards(tmp_path, 3)), "utf-8")
    assert count_rows(path) == 3


def _award_rows(path: Path) -> int:
    """The award rows the reader gives, as the bar counts them (not the header's own results)."""
    return sum(not row.file_level for row in iter_awards(path, load_catalogue(CATALOGUE)))


def _odd_awards(tmp_path: Path) -> list[object]:
    """Awards as a JSON array may hold them: nested values, brackets and escaped quotes in texts,
    an object of blank values (no row), a value that is no object (a row the reader fails)."""
    first, second, third = _json_awards(tmp_path, 3)
    return [{**first, "given_name": 'Ele"ni ]}, [{ \\'},
            {**second, "family_name": {"en": "Smith", "el": "[Σμιθ]"},
             "extra": [[1, [2]], {"a": {"b": "]"}}]},
            {"award_id": " ", "given_name": ""},
            42,
            third]


@pytest.mark.parametrize("form", ["array", "array on one line", "awards", "awards on one line", "objects",
                                  "array with a byte-order mark", "awards with a byte-order mark"])
def test_a_json_array_of_awards_is_counted_as_the_reader_takes_it(tmp_path: Path, form: str) -> None:
    """An array of awards, or {"awards": [...]}, had no count: the bar of a run of a million awards
    showed no total and no time left, and a run --fail-fast stopped could not say the rows it left."""
    awards = _odd_awards(tmp_path)
    indent = None if form.endswith("one line") else 2
    if form == "objects":
        text = "".join(json.dumps(award, indent=2, ensure_ascii=False) + "\n"
                       for award in awards if award != 42)
    else:
        text = json.dumps(awards if form.startswith("array") else {"awards": awards}, indent=indent,
                          ensure_ascii=False)
    path = tmp_path / "awards.json"
    path.write_text(("\ufeff" if form.endswith("mark") else "") + text, "utf-8")
    rows = _award_rows(path)
    assert rows == (3 if form == "objects" else 4)
    assert count_rows(path) == rows


def test_a_key_written_twice_with_a_blank_value_last_is_a_row_of_the_count(tmp_path: Path) -> None:
    path = tmp_path / "awards.json"
    path.write_text('[{"award_id": "A-1", "award_id": ""}, {"award_id": "", "given_name": " "}]', "utf-8")
    assert count_rows(path) == 1 == _award_rows(path)


@pytest.mark.parametrize("text", ["[]", "[\n]\n", '{"awards": []}', "\ufeff[ ]"])
def test_an_empty_json_array_is_counted_as_no_rows(tmp_path: Path, text: str) -> None:
    path = tmp_path / "awards.json"
    path.write_text(text, "utf-8")
    assert count_rows(path) == 0 == _award_rows(path)


@pytest.mark.parametrize("cut", ["cut short", "a comma missing", "more after it", "a word not JSON",
                                 "a quote left open", "not utf-8"])
def test_a_json_array_the_reader_stops_in_has_no_count(tmp_path: Path, cut: str) -> None:
    """The reader stops at the error, the awards after it unread: a count of the awards the file
    seems to hold would be a total the bar never reaches."""
    text = json.dumps(_json_awards(tmp_path, 3), indent=2)
    broken = {"cut short": text[:-40], "a comma missing": text.replace("},", "}", 1),
              "more after it": text + "\n[]", "a word not JSON": text.replace('"SYN-00001"', "SYN", 1),
              "a quote left open": text.replace('"SYN-00001"', '"SYN-00001', 1), "not utf-8": text}[cut]
    path = tmp_path / "awards.json"
    stray = b"SYN-\xe9" if cut == "not utf-8" else b"SYN-00002"  # a Latin-1 byte in a UTF-8 file
    path.write_bytes(broken.encode("utf-8").replace(b"SYN-00002", stray))
    with pytest.raises(InputFileError):
        _award_rows(path)
    assert count_rows(path) is None


def test_the_summary_counts_what_the_reports_list(env: None, tmp_path: Path) -> None:
    """Two files, rows that fail to load among those done: the line on stderr, report.json,
    report.csv and report.html give the same counts, and they add up to the rows read."""
    good = synthetic_awards(tmp_path / "good.csv", 6)
    lines = good.read_text("utf-8").splitlines()
    lines[2] = lines[2].replace("IMP-MC-", "NOPE-MC-")  # an unknown specification
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], *[line.replace("SYN-", "BAD-") for line in lines[1:4]]]) + "\n",
                   "utf-8")
    good.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(good), str(bad), "-c", str(CATALOGUE), "-o", str(out),
                                       "-j", "1"])
    assert result.exit_code == 1, result.output
    said = re.search(r"(\d+) done, (\d+) skipped, (\d+) failed", result.stderr)
    assert said is not None, result.stderr
    done, skipped, failed = (int(n) for n in said.groups())
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert (report["done"], report["skipped"], report["failed"]) == (done, skipped, failed)
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        statuses = Counter(row["status"] for row in csv.DictReader(handle))
    assert statuses == Counter({"done": done, "failed": failed})
    assert done + failed == 9 and failed == 2  # six rows and three: one bad in each
    assert Counter(r["status"] for r in report["records"]) == statuses
    page = (out / "report.html").read_text("utf-8")
    assert f"<th scope='row'>done</th><td>{done}</td>" in page
    assert f"<th scope='row'>failed</th><td>{failed}</td>" in page


def test_a_title_far_above_the_column_names_is_read_as_the_header(tmp_path: Path) -> None:
    """Past TITLE_ROWS rows the reader no longer looks for the column names: the title is the
    header, every award row a row of the count."""
    far = tmp_path / "far.csv"
    awards = synthetic_awards(tmp_path / "plain.csv", 3).read_text("utf-8")
    far.write_text("Graduation 2025\n\n\n\n\n" + awards, "utf-8")
    rows = [row for row in iter_awards(far, load_catalogue(CATALOGUE)) if not row.file_level]
    assert len(rows) == 4 and all(row.award is None for row in rows)  # column names, three awards
    assert count_rows(far) == 4


def test_the_rows_a_stopped_run_did_not_read_are_counted_in_the_reports(env: None, tmp_path: Path) -> None:
    """--fail-fast stopped a run: stderr said '5 rows not read'; report.html said only that the
    rows after the last one listed were not read, and report.json gave no number."""
    awards = synthetic_awards(tmp_path / "awards.csv", 8)
    lines = awards.read_text("utf-8").splitlines()
    for row in (2, 3):
        lines[row] = lines[row].replace("IMP-MC-", "NOPE-MC-")  # an unknown specification
    awards.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                       "-j", "1", "--fail-fast", "2"])
    assert result.exit_code == 1, result.output
    said = re.search(r"(\d+) rows not read", result.stderr)
    assert said is not None, result.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["not_read"] == int(said.group(1)) == 8 - report["done"] - report["failed"]
    assert f"{said.group(0)}" in (out / "report.html").read_text("utf-8")


def test_fail_fast_1_says_it_stopped_at_a_failure_in_the_singular(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 4)
    lines = awards.read_text("utf-8").splitlines()
    lines[2] = lines[2].replace("IMP-MC-", "NOPE-MC-")  # an unknown specification
    awards.write_text("\n".join(lines) + "\n", "utf-8")
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o",
                                       str(tmp_path / "out"), "-j", "1", "--fail-fast", "1"])
    assert result.exit_code == 1, result.output
    assert "stopped after 1 failure (--fail-fast)" in result.stderr, result.stderr


def _awards_workbook(tmp_path: Path, count: int, above: list[list[object]],
                     between: dict[int, list[object]]) -> Path:
    """``count`` synthetic awards in a sheet, under the rows ``above`` the header, with the rows
    ``between`` put before the award of each index."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    with synthetic_awards(tmp_path / "plain.csv", count).open(encoding="utf-8") as source:
        lines = list(csv.reader(source))
    book = Workbook()
    sheet = book.active
    sheet.title = "awards"
    for row in above:
        sheet.append(row)
    sheet.append(lines[0])
    for index, line in enumerate(lines[1:]):
        if index in between:
            sheet.append(between[index])
        sheet.append(line)
    sheet.cell(sheet.max_row + 3, 2).font = Font(bold=True)  # a formatted cell, no value
    path = tmp_path / "awards.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("above", [[], [["Graduation 2025 - awards"]],
                                   [["Graduation 2025"], [], ["Medicine"]], [[None], [" "]]])
def test_the_rows_of_a_workbook_are_counted_as_the_reader_takes_them(tmp_path: Path,
                                                                     above: list[list[object]]) -> None:
    """An XLSX file had no count: the bar showed no total nor time left, and a run --fail-fast
    stopped could not say how many rows it left. Blank rows (empty, whitespace, Excel's escape of
    a space, a formula never computed) are none; a row of a number alone is one the reader fails."""
    between: dict[int, list[object]] = {1: [None, "   "], 3: ["_x0020_"], 4: [None, None, "=1+1"],
                                         6: [None, 42], 7: ["\t"]}
    path = _awards_workbook(tmp_path, 9, above, between)
    rows = list(iter_awards(path, load_catalogue(CATALOGUE)))
    assert len(rows) == 10 and sum(row.award is not None for row in rows) == 9
    assert count_rows(path) == 10


def test_the_demo_workbook_is_counted_as_read() -> None:
    from edcbridge.demo import bundled_fixtures

    folder = bundled_fixtures() / "cmf"
    path = folder / "awards.xlsx"
    assert count_rows(path) == len(list(iter_awards(path, load_catalogue(folder / "catalogue.yaml"))))


def test_a_run_stopped_part_way_through_a_workbook_says_the_rows_it_left(env: None, tmp_path: Path) -> None:
    between: dict[int, list[object]] = {}
    path = _awards_workbook(tmp_path, 12, [], between)
    from openpyxl import load_workbook

    book = load_workbook(path)
    for row in (3, 4, 5):  # the awards of rows 3 to 5 name no specification of the catalogue
        book["awards"].cell(row, 2).value = "NOPE"
    book.save(path)
    result = CliRunner().invoke(main, ["export", str(path), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"),
                                       "-j", "1", "--fail-fast", "3"])
    assert result.exit_code == 1 and "stopped after 3 consecutive failures" in result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert (report["done"], report["failed"], report["not_read"]) == (1, 3, 8)
    assert "8 rows not read" in result.stderr
