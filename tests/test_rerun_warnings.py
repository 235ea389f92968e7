"""A re-run that skips records done earlier reports the warnings they were made with, and
counts them in the summary, as the run that made them did."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.pipeline.journal import FORMAT, JOURNAL_NAME, Journal
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "wales" / "catalogue.yaml"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _awards(path: Path, ahead: str) -> Path:
    """The Welsh fixture rows (texts EDC XML cannot carry: warnings of the edc-xml format),
    with award ``ahead`` dated over a year ahead (a warning of the reader)."""
    with (FIXTURES / "wales" / "awards.csv").open(encoding="utf-8-sig") as source:
        rows = list(csv.DictReader(source))
    later = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=500)).isoformat()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "awarding_date": later} if row["award_id"] == ahead else row for row in rows)
    return path


def _first_award_id() -> str:
    with (FIXTURES / "wales" / "awards.csv").open(encoding="utf-8-sig") as source:
        return str(next(csv.DictReader(source))["award_id"])


def _export(awards: Path, out: Path) -> Result:
    return CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                     "-j", "1", "--format", "edc", "--format", "edc-xml"])


def _report(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "report.json").read_text("utf-8")))


def _warnings(report: dict[str, Any]) -> dict[str, list[str]]:
    return {record["award_id"]: record["warnings"] for record in report["records"]}


def test_a_record_skipped_as_done_reports_the_warnings_it_was_made_with(env: None, tmp_path: Path) -> None:
    ahead = _first_award_id()
    awards, out = _awards(tmp_path / "awards.csv", ahead), tmp_path / "out"
    first = _export(awards, out)
    assert first.exit_code == 0, first.stderr
    made = _report(out)
    assert made["with_warnings"] > 0
    assert any(w.startswith("edc-xml: ") for w in _warnings(made)[ahead])
    assert sum(w.startswith("load: ") for w in _warnings(made)[ahead]) == 1
    again = _export(awards, out)
    assert again.exit_code == 0, again.stderr
    skipped = _report(out)
    assert {record["status"] for record in skipped["records"]} == {"skipped"}
    assert _warnings(skipped) == _warnings(made)  # the reader's warning once, not twice
    assert skipped["with_warnings"] == made["with_warnings"]
    assert f"{made['with_warnings']} credential(s) with warnings" in again.stderr


def test_a_journal_that_kept_no_warnings_is_upgraded_and_keeps_them_from_then_on(env: None,
                                                                                 tmp_path: Path) -> None:
    """A folder of an earlier version, whose journal has no place for warnings: its records
    are skipped (with none to report), and those redone keep theirs for the next run."""
    ahead = _first_award_id()
    awards, out = _awards(tmp_path / "awards.csv", ahead), tmp_path / "out"
    assert _export(awards, out).exit_code == 0
    made = _warnings(_report(out))
    with sqlite3.connect(out / JOURNAL_NAME) as db:  # as an earlier version left it
        db.execute("ALTER TABLE records DROP COLUMN warnings")
        db.execute("UPDATE records SET input_hash = 'earlier' WHERE key LIKE ?", (f"%/{ahead}",))
        db.execute("PRAGMA user_version = 1")
    db.close()
    upgraded = _export(awards, out)
    assert upgraded.exit_code == 0 and "1 done, " in upgraded.stderr, upgraded.stderr
    assert _warnings(_report(out))[ahead] == made[ahead]  # the record redone
    third = _export(awards, out)
    assert third.exit_code == 0 and "0 done, " in third.stderr, third.stderr
    assert _warnings(_report(out))[ahead] == made[ahead]  # skipped, with what it was made with
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (FORMAT,)
    db.close()


def test_the_journal_keeps_a_record_s_warnings_outside_its_audit_event(tmp_path: Path) -> None:
    """Warnings are no output: the audit trail of a record is the same with them or without."""
    outputs = {"edc": {"path": str(tmp_path / "edc" / "a.jsonld"), "file": "edc/a.jsonld",
                       "sha256": "ab" * 32}}
    kept = ["edc-xml: a text in Welsh is left out", "load: a file name that is not UTF-8: \udce9"]
    hashes = []
    for name, warnings in (("with", kept), ("without", [])):
        journal = Journal(tmp_path / name / JOURNAL_NAME)
        journal.record("imperial/A", "00" * 32, "done", None, outputs, None, ["issued"], warnings)
        journal.close()
        reopened = Journal(tmp_path / name / JOURNAL_NAME)
        try:
            done = reopened.done("imperial/A")
            assert done is not None and list(done.warnings) == warnings
            hashes.append([event["output_hash"] for event in reopened.audit_events()])
        finally:
            reopened.close()
    assert hashes[0] == hashes[1]
