"""Awards files for the pipeline tests."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import FIXTURES


def synthetic_awards(path: Path, count: int) -> Path:
    """``count`` distinct awards (ids SYN-00000...) made from the imperial fixture rows."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for index in range(count):
            writer.writerow({**rows[index % len(rows)], "award_id": f"SYN-{index:05d}"})
    return path
