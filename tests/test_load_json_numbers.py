"""JSON has no NaN or Infinity, and a number beyond 1.8e308 cannot be held as a float: Python's
JSON reader takes all three (the last as infinite), which would put "nan" or "inf" on a
credential. An award holding one fails, naming the field; the other awards are read."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from edcbridge.load import iter_awards, load_catalogue
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def _award(award_id: str) -> dict[str, str]:
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        row = next(csv.DictReader(source))
    return {key: value for key, value in row.items() if value} | {"award_id": award_id}


def _line_with_grade(award_id: str, grade: str) -> str:
    text = json.dumps({key: value for key, value in _award(award_id).items() if key != "grade"})
    return text[:-1] + f', "grade": {grade}}}'


@pytest.mark.parametrize("grade", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_number_json_cannot_hold_fails_its_award_only(tmp_path: Path, grade: str, suffix: str) -> None:
    lines = [_line_with_grade("A-1", grade), json.dumps(_award("A-2"))]
    awards = tmp_path / f"awards{suffix}"
    awards.write_text("\n".join(lines) + "\n" if suffix == ".jsonl" else "[" + ",\n".join(lines) + "]\n",
                      encoding="utf-8")
    first, second = list(iter_awards(awards, load_catalogue(CATALOGUE)))
    assert first.award is None
    assert [(error.column, error.message) for error in first.errors] == [
        ("grade", "'grade' is no number a credential can hold: JSON has no NaN or Infinity, and a "
                  "number beyond 1.8e308 (1e999) reads as infinite")]
    assert second.award is not None and not second.errors


def test_a_grade_written_as_a_large_number_is_read(tmp_path: Path) -> None:
    awards = tmp_path / "awards.jsonl"
    awards.write_text(_line_with_grade("A-1", "1e300") + "\n", encoding="utf-8")
    (loaded,) = iter_awards(awards, load_catalogue(CATALOGUE))
    assert loaded.award is not None
