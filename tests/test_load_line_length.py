"""A CSV or JSON Lines award file is read line by line, and a line is held whole while it is
split: a line longer than the limit is refused as soon as the limit is passed, naming the file,
so a file of hundreds of MB without a line break never fills the memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edcbridge.load import InputFileError
from edcbridge.load.tabular import read_rows, text_file

LIMIT = 64 * 1024


@pytest.fixture(autouse=True)
def _small_line_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_file, "MAX_LINE_BYTES", LIMIT, raising=False)


def _rows_before_refusal(path: Path) -> tuple[list[int], InputFileError]:
    numbers: list[int] = []
    with pytest.raises(InputFileError) as refused:
        for number, _ in read_rows(path).rows:
            numbers.append(number)
    return numbers, refused.value


def test_a_csv_line_of_endless_cells_is_refused_after_the_rows_before_it(tmp_path: Path) -> None:
    awards = tmp_path / "awards.csv"
    awards.write_text("award_id,learner_id\nA1,S1\n" + "x," * LIMIT + "\nA2,S2\n", encoding="utf-8")
    numbers, error = _rows_before_refusal(awards)
    assert numbers == [2]
    assert "awards.csv" in str(error) and "without a line break" in str(error)
    assert "byte 26" in str(error)


def test_a_csv_file_of_one_line_is_refused(tmp_path: Path) -> None:
    awards = tmp_path / "awards.csv"
    awards.write_bytes(b"award_id,learner_id," + b"y" * (LIMIT * 2))
    with pytest.raises(InputFileError, match="without a line break"):
        list(read_rows(awards).rows)


def test_a_utf16_csv_line_of_endless_cells_is_refused(tmp_path: Path) -> None:
    awards = tmp_path / "awards.csv"
    awards.write_text("award_id,learner_id\r\nA1,S1\r\n" + "x," * LIMIT + "\r\n", encoding="utf-16")
    numbers, error = _rows_before_refusal(awards)
    assert numbers == [2]
    assert "without a line break" in str(error)


def test_a_json_lines_line_over_the_limit_is_refused(tmp_path: Path) -> None:
    awards = tmp_path / "awards.jsonl"
    long_line = json.dumps({"award_id": "A2", "grade": "z" * (2 * LIMIT)})
    awards.write_text(json.dumps({"award_id": "A1"}) + "\n" + long_line + "\n", encoding="utf-8")
    numbers, error = _rows_before_refusal(awards)
    assert numbers == [1]
    assert "awards.jsonl" in str(error) and "without a line break" in str(error)


def test_a_csv_file_with_mac_line_breaks_longer_than_the_limit_is_read(tmp_path: Path) -> None:
    awards = tmp_path / "awards.csv"
    rows = [f"A{index},S{index}" for index in range(LIMIT // 4)]
    awards.write_bytes("\r".join(["award_id,learner_id", *rows, ""]).encode())
    assert awards.stat().st_size > 2 * LIMIT
    assert len(list(read_rows(awards).rows)) == len(rows)


def test_a_json_array_on_one_line_longer_than_the_limit_is_read(tmp_path: Path) -> None:
    awards = tmp_path / "awards.json"
    array = [{"award_id": f"A{index}", "learner_id": f"S{index}"} for index in range(LIMIT // 16)]
    awards.write_text(json.dumps(array), encoding="utf-8")
    assert awards.stat().st_size > 2 * LIMIT
    assert len(list(read_rows(awards).rows)) == len(array)
