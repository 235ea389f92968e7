"""A long grade cell must not make the failing-grade check backtrack for minutes (ReDoS)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from edcbridge.load import award_checks, iter_awards, load_catalogue
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def _one_row(path: Path, grade: str) -> Path:
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        row = next(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow({**row, "grade": grade})
    return path


def test_the_mark_pattern_is_tried_on_short_grades_only(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The pattern that finds a failing grade beside its mark backtracks with the square of the
    text's length (a 40 KB cell took a minute; a CSV cell may hold 16 MB): a long grade, which
    no failing grade with its mark is, is never given to it."""
    tried: list[int] = []
    pattern = award_checks._MARK

    class Counting:
        def fullmatch(self, text: str) -> object:
            tried.append(len(text))
            return pattern.fullmatch(text)

    monkeypatch.setattr(award_checks, "_MARK", Counting())
    grade = "a" + " ." * 12_000 + "1a"
    (row,) = iter_awards(_one_row(tmp_path / "awards.csv", grade), load_catalogue(CATALOGUE))
    assert row.award is not None  # not a failing grade: the award loads
    assert tried == [] or max(tried) <= 64


def test_a_failing_grade_with_its_mark_is_still_refused(tmp_path: Path) -> None:
    (row,) = iter_awards(_one_row(tmp_path / "awards.csv", "5,0 (nicht ausreichend)"),
                         load_catalogue(CATALOGUE))
    assert row.award is None


def test_the_verdicts_kept_are_of_short_grades_only(tmp_path: Path) -> None:
    """Each grade text is judged once and its verdict kept, but a long cell (a CSV cell may hold
    16 MB) is judged each time rather than kept: what is kept stays small."""
    award_checks._says_failed.cache_clear()
    catalogue = load_catalogue(CATALOGUE)
    for index, grade in enumerate(("Merit", "x" * 300, "Merit")):
        (row,) = iter_awards(_one_row(tmp_path / f"awards{index}.csv", grade), catalogue)
        assert row.award is not None
    kept = award_checks._says_failed.cache_info()
    assert (kept.currsize, kept.hits) == (1, 1)
