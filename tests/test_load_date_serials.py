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
