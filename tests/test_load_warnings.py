"""What loads but deserves a second look: a warning on the record, never a refusal."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import iter_awards, load_catalogue
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _awards(path: Path, dates: list[dt.date]) -> Path:
    """The first fixture row once per date, each with its own award id."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        row = next(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        for index, date in enumerate(dates):
            writer.writerow({**row, "award_id": f"AHEAD-{index}", "awarding_date": date.isoformat()})
    return path


def test_an_awarding_date_over_a_year_ahead_loads_with_a_warning(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    dates = [today + dt.timedelta(days=30), today + dt.timedelta(days=400)]
    rows = list(iter_awards(_awards(tmp_path / "awards.csv", dates), load_catalogue(CATALOGUE)))
    assert all(row.award is not None for row in rows)
    (soon,) = rows[0].warnings  # a file prepared before the ceremony: said, in other words
    assert "30 days after today" in soon.message and "before the ceremony" in soon.fix
    (warning,) = rows[1].warnings
    assert warning.column == "awarding_date" and "400 days after today" in warning.message
    assert "check the year" in warning.fix


def test_the_warning_is_in_the_report_of_the_record(env: None, tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    awards = _awards(tmp_path / "awards.csv", [today, today + dt.timedelta(days=500)])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                       "-j", "1", "--format", "edc"])
    assert result.exit_code == 0, result.stderr
    assert "1 credential(s) with warnings" in result.stderr
    records = {r["award_id"]: r for r in json.loads((out / "report.json").read_text("utf-8"))["records"]}
    assert records["AHEAD-0"]["status"] == "done" and records["AHEAD-1"]["status"] == "done"
    assert not any("days after today" in w for w in records["AHEAD-0"]["warnings"])
    (ahead,) = [w for w in records["AHEAD-1"]["warnings"] if "days after today" in w]
    assert ahead.startswith(f"load: {awards}:3: column 'awarding_date'")
