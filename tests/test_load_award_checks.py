"""Rows a student-system export holds that must not become credentials as they are: a failed
attempt (its grade says so), a row given twice, an awarding date after today."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from edcbridge.load import iter_awards, load_catalogue
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def _rows(path: Path, changes: list[dict[str, str]]) -> Path:
    """The first fixture row once per change, each with its own award id unless the change sets one."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        row = next(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        for index, change in enumerate(changes):
            writer.writerow({**row, "award_id": f"ROW-{index}", **change})
    return path


@pytest.mark.parametrize("grade", ["Fail", " FAILED ", "fail", "Fail.", "F", "Fx", "Not passed", "Échec",
                                   "nicht bestanden", "Niezaliczone", "Hylätty", "Слаб (2)", "Απέτυχε",
                                   "neišlaikyta", "nav nokārtots", "mitte arvestatud"])
def test_a_failing_grade_is_refused_with_the_fix(tmp_path: Path, grade: str) -> None:
    (row,) = iter_awards(_rows(tmp_path / "awards.csv", [{"grade": grade}]), load_catalogue(CATALOGUE))
    assert row.award is None
    (error,) = [e for e in row.errors if e.column == "grade"]
    assert "did not pass" in error.message and "leave failed attempts out" in error.fix


@pytest.mark.parametrize("grade", ["Pass", "Merit", "Distinction", "A", "E", "72/100", "Fair",
                                   "Failed to attend, passed on resit"])
def test_a_passing_grade_loads(tmp_path: Path, grade: str) -> None:
    (row,) = iter_awards(_rows(tmp_path / "awards.csv", [{"grade": grade}]), load_catalogue(CATALOGUE))
    assert row.award is not None, row.errors


def test_a_row_given_twice_says_to_delete_it_if_it_is_the_same_award(tmp_path: Path) -> None:
    rows = list(iter_awards(_rows(tmp_path / "awards.csv", [{"award_id": "SAME"}, {"award_id": "SAME"}]),
                            load_catalogue(CATALOGUE)))
    assert rows[0].award is not None and rows[1].award is None
    (error,) = rows[1].errors
    assert error.message == "duplicate of row 2"
    assert "delete this row" in error.fix and "its own award_id" in error.fix


def test_an_awarding_date_after_today_is_said_not_yet_valid(tmp_path: Path) -> None:
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    (row,) = iter_awards(_rows(tmp_path / "awards.csv", [{"awarding_date": tomorrow.isoformat()}]),
                         load_catalogue(CATALOGUE))
    assert row.award is not None
    (warning,) = row.warnings
    assert warning.column == "awarding_date" and "not yet valid" in warning.fix
