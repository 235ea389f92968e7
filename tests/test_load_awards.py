"""Duplicate award ids are found in files of any length without holding every id in memory."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from edcbridge.load import awards, iter_awards, load_catalogue
from edcbridge.load.awards import FirstRows
from tests.conftest import FIXTURES


def test_first_rows_spill_to_disk_and_still_find_duplicates() -> None:
    seen = FirstRows(in_memory=3)
    try:
        assert [seen.first(f"A{i}", str(i + 2)) for i in range(10)] == [None] * 10
        assert seen._disk is not None  # seven ids went to the temporary database
        assert seen.first("A1", "50") == "3"  # kept in memory
        assert seen.first("A8", "51") == "10"  # kept on disk
        assert seen.first("A10", "52") is None
        assert seen.first("A10", "53") == "52"
    finally:
        seen.close()


def test_a_duplicate_far_down_a_long_file_names_the_first_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(awards, "IDS_IN_MEMORY", 50)
    catalogue_path = FIXTURES / "imperial" / "catalogue.yaml"
    catalogue = load_catalogue(catalogue_path)
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as handle:
        template = next(csv.DictReader(handle))
    path = tmp_path / "awards.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template))
        writer.writeheader()
        for index in range(205):
            writer.writerow({**template, "award_id": f"X{index % 200}"})
    duplicates = [r for r in iter_awards(path, catalogue) if r.award is None]
    assert [(r.row, r.errors[0].message) for r in duplicates] == [
        (200 + i + 2, f"duplicate of row {i + 2}") for i in range(5)]


def test_plain_text_columns_are_in_the_rows_language(tmp_path: Path) -> None:
    """A Welsh catalogue, a row issued in English: its grade "Merit" is English text."""
    catalogue = load_catalogue(FIXTURES / "wales" / "catalogue.yaml")
    rows = {r.award.award_id: r.award for r in iter_awards(FIXTURES / "wales" / "awards.csv", catalogue)
            if r.award is not None}
    assert rows["ABER-25-0004"].grade == {"en": "Merit"}  # language: en
    assert rows["ABER-25-0001"].grade == {"cy": "Teilyngdod"}  # no language: the catalogue's (cy)
    path = tmp_path / "awards.csv"
    path.write_text("award_id,specification,learner_id,given_name,family_name,awarding_date,grade,grade@cy,"
                    "language\nX1,ABER-GW-NHP20,1,Ann,Jones,2025-06-27,Pass,Llwyddo,English\n", "utf-8")
    (row,) = iter_awards(path, catalogue)
    assert row.award is not None and row.award.grade == {"en": "Pass", "cy": "Llwyddo"}


def test_a_plain_column_beside_the_rows_language_column_is_the_registrys(tmp_path: Path) -> None:
    catalogue = load_catalogue(FIXTURES / "wales" / "catalogue.yaml")  # primary language cy
    path = tmp_path / "awards.csv"
    path.write_text("award_id,specification,learner_id,given_name,given_name@en,family_name,awarding_date,"
                    "grade,grade@en,language\nX1,ABER-GW-NHP20,1,Rhodri Llŷr,Rhodri,Morgan,2025-06-27,"
                    "Teilyngdod,Merit,en\n", "utf-8")
    (row,) = iter_awards(path, catalogue)
    assert row.award is not None, row.errors
    assert row.award.learner.given_name == {"cy": "Rhodri Llŷr", "en": "Rhodri"}
    assert row.award.grade == {"cy": "Teilyngdod", "en": "Merit"}
