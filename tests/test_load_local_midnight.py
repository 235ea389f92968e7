"""A date written the local way with a midnight time, as Excel saves a date-time column to CSV
(14/07/2025 00:00): the fix names the date to write, as it does without the time."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.load import iter_awards
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER, _csv


@pytest.mark.parametrize(("written", "fix"), [
    ("14/07/2025 00:00", "write it as YYYY-MM-DD: 2025-07-14"),
    ("14.07.2025 0:00:00", "write it as YYYY-MM-DD: 2025-07-14"),
    ("7/14/2025 0:00", "write it as YYYY-MM-DD: 2025-07-14"),
    ("01/02/2025 00:00", "write it as YYYY-MM-DD: 2025-02-01 if it is day/month/year, 2025-01-02 if "
                         "month/day/year (the file does not say which)"),
])
def test_a_local_date_at_midnight_names_the_date_to_write(tmp_path: Path, written: str, fix: str) -> None:
    [row] = list(iter_awards(_csv(tmp_path, [HEADER, [*GOOD[:6], written, GOOD[7]]]), CATALOGUE))
    [error] = row.errors
    assert (error.row, error.column, error.value) == (2, "awarding_date", written)
    assert error.fix == fix


def test_a_local_date_with_another_time_keeps_the_general_fix(tmp_path: Path) -> None:
    [row] = list(iter_awards(_csv(tmp_path, [HEADER, [*GOOD[:6], "14/07/2025 13:30", GOOD[7]]]), CATALOGUE))
    assert row.errors[0].fix == "write it as YYYY-MM-DD"
