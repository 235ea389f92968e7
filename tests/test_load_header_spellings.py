"""Column names as spreadsheets and student systems write them: another letter case, spaces or
hyphens for underscores; two headers that name the same column are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edcbridge.load import InputFileError, LoadedRow, iter_awards
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER, _csv, _xlsx

SPELLED = ["Award ID", "SPECIFICATION", "Learner-ID", "Given Name", "family-name",
           "Date of Birth", "AWARDING_DATE", "Grade"]


def _rows(path: Path) -> list[LoadedRow]:
    return list(iter_awards(path, CATALOGUE))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_header_in_other_case_with_spaces_or_hyphens_names_its_columns(tmp_path: Path, kind: str) -> None:
    path = _csv(tmp_path, [SPELLED, GOOD]) if kind == "csv" else _xlsx(tmp_path, [GOOD], header=SPELLED)
    [row] = _rows(path)
    assert row.errors == ()
    assert row.award is not None and row.award.award_id == "A1"
    assert row.award.learner.given_name == {"en": "Chloé"}
    assert str(row.award.awarding_date) == "2025-07-14"


def test_a_language_column_keeps_its_suffix_in_any_spelling(tmp_path: Path) -> None:
    path = _csv(tmp_path, [[*SPELLED, "Given Name@EL", "family-name@el"], [*GOOD, "Χλόη", "Λεφέβρ"]])
    [row] = _rows(path)
    assert row.errors == () and row.award is not None
    assert row.award.learner.given_name == {"en": "Chloé", "el": "Χλόη"}


def test_errors_name_the_column_as_the_file_spells_it(tmp_path: Path) -> None:
    bad = list(GOOD)
    bad[HEADER.index("given_name")] = ""
    [row] = _rows(_csv(tmp_path, [SPELLED, bad]))
    assert [(e.column, e.message) for e in row.errors] == [("Given Name", "a required value is missing")]


def test_two_headers_naming_one_column_refuse_the_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, [[*HEADER, "Award ID"], [*GOOD, "A9"]])
    with pytest.raises(InputFileError) as caught:
        _rows(path)
    assert caught.value.error.message == ("the header names the column award_id twice, as 'award_id' "
                                          "(column 1) and 'Award ID' (column 9)")
    assert caught.value.error.fix == "keep one of the two columns: delete or rename the other"


def test_two_sheet_headers_naming_one_column_are_named_by_their_letters(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [[*GOOD, "Merit"]], header=[*HEADER, "GRADE"])
    with pytest.raises(InputFileError) as caught:
        _rows(path)
    assert caught.value.error.message == ("the header names the column grade twice, as 'grade' "
                                          "(column H) and 'GRADE' (column I)")


def test_a_json_line_with_two_keys_naming_one_column_fails_alone(tmp_path: Path) -> None:
    path = tmp_path / "awards.jsonl"
    good = dict(zip(HEADER, GOOD, strict=True))
    path.write_text(json.dumps({**good, "Award ID": "A9"}) + "\n"
                    + json.dumps({**good, "award_id": "A2"}) + "\n", "utf-8")
    first, second = _rows(path)
    assert first.award is None
    assert [(e.column, e.message) for e in first.errors] == [("Award ID", "column appears twice")]
    assert second.errors == () and second.award is not None


def test_an_unknown_spelled_column_is_still_suggested(tmp_path: Path) -> None:
    header, _ = _rows(_csv(tmp_path, [[*SPELLED, "Given Nme"], [*GOOD, "x"]]))
    assert [(e.column, e.message) for e in header.errors] == [("Given Nme", "unknown column 'Given Nme'")]
    assert header.errors[0].fix.startswith("did you mean 'given_name'?")
