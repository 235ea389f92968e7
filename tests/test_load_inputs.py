"""Award files as registry offices really save them: errors name the file, row, the file's own
column and the fix; blank rows, sheet names, date-time cells, encodings and number ids."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from edcbridge.load import InputFileError, LoadedRow, RecordError, iter_awards, load_catalogue
from tests.conftest import FIXTURES

CATALOGUE = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
HEADER = ["award_id", "specification", "learner_id", "given_name", "family_name",
          "date_of_birth", "awarding_date", "grade"]
GOOD = ["A1", "IMP-MC-MLH", "02214587", "Chloé", "Lefèvre", "1994-03-17", "2025-07-14", "Merit"]


def _rows(path: Path) -> list[LoadedRow]:
    return list(iter_awards(path, CATALOGUE))


def _csv(tmp_path: Path, lines: list[list[str]], encoding: str = "utf-8", sep: str = ",") -> Path:
    path = tmp_path / "awards.csv"
    path.write_bytes("".join(sep.join(line) + "\r\n" for line in lines).encode(encoding))
    return path


def _xlsx(tmp_path: Path, rows: Sequence[Sequence[object]], sheet: str = "awards",
          before: str | None = None, header: list[str] = HEADER) -> Path:
    book = Workbook()
    active = book.active
    assert active is not None
    active.title = sheet
    active.append(header)
    for row in rows:
        active.append(row)
    if before is not None:
        book.create_sheet(before, 0).append(["exported from the registry on 2026-03-02"])
    path = tmp_path / "awards.xlsx"
    book.save(path)
    return path


def _where(errors: tuple[RecordError, ...] | list[RecordError]) -> list[tuple[int | None, str | None]]:
    return [(e.row, e.column) for e in errors]


# 2. each missing learner value is its own error, named as the file names the column

def test_empty_learner_columns_are_three_errors_by_their_real_names(tmp_path: Path) -> None:
    path = _csv(tmp_path, [HEADER, ["A1", "IMP-MC-MLH", "", "", "", "", "2025-07-14", "Merit"]])
    [row] = _rows(path)
    assert row.award is None
    assert _where(row.errors) == [(2, "learner_id"), (2, "given_name"), (2, "family_name")]
    assert all(e.message == "a required value is missing" for e in row.errors)
    assert [e.fix for e in row.errors] == [f"fill in {c}; it is required"
                                           for c in ("learner_id", "given_name", "family_name")]


def test_a_missing_name_is_named_after_the_language_column_the_file_has(tmp_path: Path) -> None:
    header = ["award_id", "specification", "learner_id", "given_name@el", "family_name@el",
              "awarding_date", "grade"]
    path = _csv(tmp_path, [header, ["A1", "IMP-MC-MLH", "02214587", "Ελένη", "", "2025-07-14", "Merit"]])
    [row] = _rows(path)
    assert _where(row.errors) == [(2, "family_name@el")]
    assert row.errors[0].fix == "fill in family_name@el; it is required"


# 3. whitespace-only rows are blank in every format

def test_whitespace_only_rows_are_skipped_in_every_format(tmp_path: Path) -> None:
    csv_path = _csv(tmp_path, [HEADER, GOOD, [" ", "\t", "", "", "", "", "", "\u00a0"]])
    xlsx_path = _xlsx(tmp_path, [GOOD, [None, "   ", None, "\t"]])
    jsonl_path = tmp_path / "awards.jsonl"
    jsonl_path.write_text(json.dumps(dict(zip(HEADER, GOOD, strict=True))) + "\n"
                          + json.dumps({"award_id": "  ", "given_name": {"en": " "}}) + "\n", "utf-8")
    for path in (csv_path, xlsx_path, jsonl_path):
        rows = _rows(path)
        assert [(r.row, r.errors) for r in rows] == [(rows[0].row, ())], (path, rows)


# 4. the sheet named awards in any case; header errors say which sheet was read

def test_the_awards_sheet_is_found_in_any_case(tmp_path: Path) -> None:
    [row] = _rows(_xlsx(tmp_path, [GOOD], sheet="Awards", before="Notes"))
    assert row.errors == () and row.award is not None and row.award.award_id == "A1"


def test_header_errors_name_the_sheet_that_was_read(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [GOOD], sheet="Data", before="Notes")
    first = _rows(path)[0]
    assert first.file_level and first.row == 1
    assert first.errors[0].message == ("no sheet is named 'awards', so the first sheet, 'Notes', "
                                       "was read (the others: 'Data')")
    assert first.errors[0].fix == "name the sheet that holds the awards 'awards', or move it first"
    assert first.errors[1].message == "unknown column 'exported from the registry on 2026-03-02' " \
                                      "in sheet 'Notes'"
    assert "required column 'award_id' is missing in sheet 'Notes'" in [e.message for e in first.errors]


def test_a_single_sheet_not_called_awards_is_named_in_header_errors(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [GOOD[:-1]], sheet="Sheet1", header=[*HEADER[:-1], "mark"])
    first = _rows(path)[0]
    assert [e.message for e in first.errors] == ["unknown column 'mark' in sheet 'Sheet1'"]


# 5. date-time cells

def test_a_date_cell_with_a_time_is_refused_and_midnight_is_a_date(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [[*GOOD[:6], dt.datetime(2025, 7, 14, 13, 30), "Merit"],
                            ["A2", *GOOD[1:6], dt.datetime(2025, 7, 14), "Merit"]])
    bad, good = _rows(path)
    assert _where(bad.errors) == [(2, "awarding_date")]
    assert bad.errors[0].value == "2025-07-14T13:30:00"
    assert bad.errors[0].message == "'2025-07-14T13:30:00' is not a date: it holds a date and a time"
    assert bad.errors[0].fix == "store just the date, as YYYY-MM-DD or a date cell without a time"
    assert good.award is not None and good.award.awarding_date == dt.date(2025, 7, 14)


def test_a_date_and_time_typed_in_a_csv_gets_the_same_fix(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, [HEADER, [*GOOD[:6], "2025-07-14 13:30", "Merit"]]))
    assert _where(row.errors) == [(2, "awarding_date")]
    assert row.errors[0].fix.startswith("store just the date")


# 6. encodings: UTF-16/32 are read, broken text is named precisely

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_text_files_are_read(tmp_path: Path, encoding: str) -> None:
    path = _csv(tmp_path, [HEADER, GOOD], encoding=encoding, sep="\t")  # Excel "Unicode text"
    [row] = _rows(path)
    assert row.errors == () and row.award is not None
    assert row.award.learner.given_name == {"en": "Chloé"} and row.award.learner.id == "02214587"


def test_a_broken_utf16_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "awards.csv"
    path.write_bytes("award_id\r\n".encode("utf-16") + b"\x00\xd8\x41\x00")  # lone surrogate
    with pytest.raises(InputFileError) as caught:
        _rows(path)
    assert caught.value.error.message == "looks like UTF-16 but is not valid UTF-16 (byte 22)"
    assert caught.value.error.fix == "save the file as 'CSV UTF-8' (Excel) or convert it to UTF-8"


def test_a_workbook_named_csv_says_what_it_is(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [GOOD]).rename(tmp_path / "awards.csv")
    with pytest.raises(InputFileError) as caught:
        _rows(path)
    assert caught.value.error.message == "this is a ZIP archive such as an XLSX workbook, not text"
    assert caught.value.error.fix.startswith("give the workbook the extension .xlsx")


# 7. implausible dates and ids stored as numbers

def test_born_on_or_after_the_award_is_an_error(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, [HEADER, [*GOOD[:5], "2030-01-01", "2025-07-14", "Merit"]]))
    assert row.award is None and _where(row.errors) == [(2, "date_of_birth")]
    assert row.errors[0].message == "date_of_birth is not before awarding_date (2025-07-14)"
    assert row.errors[0].fix == "correct date_of_birth or awarding_date (YYYY-MM-DD)"


def test_a_date_error_is_kept_beside_an_unknown_specification(tmp_path: Path) -> None:
    [row] = _rows(_csv(tmp_path, [HEADER, ["A1", "IMP-XX", *GOOD[2:5], "2030-01-01", "2025-07-14", "Merit"]]))
    assert _where(row.errors) == [(2, "date_of_birth"), (2, "specification")]


def test_issued_before_the_awarding_date_is_an_error(tmp_path: Path) -> None:
    lines = [[*HEADER, "issued"], [*GOOD, "2025-07-13T23:00:00Z"],
             ["A2", *GOOD[1:], "2025-07-14T00:30:00+02:00"]]
    lines.append(["A3", *GOOD[1:], "2025-07-14T02:00:00+02:00"])
    bad, local_day, same_day = _rows(_csv(tmp_path, lines))
    assert _where(bad.errors) == [(2, "issued")] and bad.errors[0].value == "2025-07-13T23:00:00Z"
    assert bad.errors[0].message == "issued is before awarding_date (2025-07-14, 00:00 UTC)"
    assert bad.errors[0].fix.startswith("a credential is issued on or after its awarding date")
    # the 14th where it was issued, but the 13th in UTC, as the credential would state it
    assert _where(local_day.errors) == [(3, "issued")]
    assert same_day.errors == ()  # 00:00 UTC on the 14th


def test_a_learner_id_stored_as_a_number_is_refused_not_changed(tmp_path: Path) -> None:
    [row] = _rows(_xlsx(tmp_path, [[*GOOD[:2], 2230018.0, *GOOD[3:]]]))
    assert row.award is None and _where(row.errors) == [(2, "learner_id")]
    assert row.errors[0].value == "2230018"
    assert row.errors[0].message == "learner_id is stored as a number, so a leading zero may have been lost"
    assert row.errors[0].fix == ("format the learner_id column as Text and enter each id as the "
                                 "registry holds it, leading zeros included")


def test_a_whole_award_id_number_is_its_digits_and_a_fraction_is_refused(tmp_path: Path) -> None:
    whole, fraction = _rows(_xlsx(tmp_path, [[250001.0, *GOOD[1:]], [250002.5, *GOOD[1:]]]))
    assert whole.errors == () and whole.award is not None and whole.award.award_id == "250001"
    assert _where(fraction.errors) == [(3, "award_id")] and fraction.errors[0].value == "250002.5"
    assert fraction.errors[0].fix == "format the award_id column as Text and enter the ids again"


# 8. rendering leaves out what a file-level or column-less error does not have

def test_errors_render_without_empty_parts() -> None:
    assert RecordError("a.csv", None, None, None, "the file is empty", "add rows").render() == \
        "a.csv: the file is empty\n    fix: add rows"
    assert RecordError("a.jsonl", 2, None, None, "not JSON", "fix it").render() == \
        "a.jsonl:2: not JSON\n    fix: fix it"
    assert RecordError("a.csv", 3, "grade", "", "missing", "fill in").render() == \
        "a.csv:3: column 'grade': missing\n    fix: fill in"
    assert RecordError("a.csv", 3, "grade", "x", "bad", "fix").render() == \
        "a.csv:3: column 'grade' = 'x': bad\n    fix: fix"


# 9. the header's errors are marked as the file's, not an award row's

def test_header_errors_are_file_level_and_rows_are_not(tmp_path: Path) -> None:
    rows = _rows(_csv(tmp_path, [[*HEADER, "notes"], [*GOOD, "x"]]))
    assert [(r.row, r.file_level) for r in rows] == [(1, True), (2, False)]
    assert rows[0].errors[0].message == "unknown column 'notes'"
