"""A date saved as Excel's serial number (a date cell formatted as a number, then exported):
the fix names the date the number stands for."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.load import iter_awards
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER, _csv, _xlsx


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_date_serial_number_is_refused_naming_its_date(tmp_path: Path, kind: str) -> None:
    row = [*GOOD[:6], "45852", GOOD[7]]
    path = _csv(tmp_path, [HEADER, row]) if kind == "csv" else _xlsx(tmp_path, [[*row[:6], 45852, row[7]]])
    [loaded] = list(iter_awards(path, CATALOGUE))
    assert loaded.award is None
    [error] = loaded.errors
    assert (error.row, error.column, error.value) == (2, "awarding_date", "45852")
    assert error.message == "'45852' is not a date"
    assert error.fix == ("it looks like an Excel date serial number, which stands for 2025-07-14: "
                         "format the cell as a date, or write 2025-07-14 if that is the date")


@pytest.mark.parametrize(("written", "problem"), [
    ("45852.0", "it looks like an Excel date serial number, which stands for 2025-07-14"),
    ("45852,0", "it looks like an Excel date serial number, which stands for 2025-07-14"),
    ("45852.5", "it looks like an Excel date serial number with a time of day, which stands for "
                "2025-07-14 and a time"),
])
def test_a_date_serial_saved_as_a_decimal_number_names_its_date(tmp_path: Path, written: str,
                                                                 problem: str) -> None:
    path = _csv(tmp_path, [HEADER, [*GOOD[:6], written, GOOD[7]]], sep=";")
    [loaded] = list(iter_awards(path, CATALOGUE))
    [error] = loaded.errors
    assert (error.column, error.message) == ("awarding_date", f"{written!r} is not a date")
    assert error.fix == f"{problem}: format the cell as a date, or write 2025-07-14 if that is the date"
