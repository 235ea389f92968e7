"""The batch pipeline: journal, resume after kill -9, fail-fast, audit trail, reports."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.pipeline.journal import JOURNAL_NAME, verify_audit
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _awards(path: Path, count: int) -> Path:
    """``count`` distinct awards made from the fixture rows."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for index in range(count):
            row = dict(rows[index % len(rows)])
            row["award_id"] = f"SYN-{index:05d}"
            writer.writerow(row)
    return path


def _export(out: Path, awards: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE),
                           "-o", str(out), "-q", *extra], capture_output=True, text=True, check=False)


def test_rerun_skips_done_and_redoes_changed(env: None, tmp_path: Path) -> None:
    awards = _awards(tmp_path / "awards.csv", 6)
    runner = CliRunner()
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"), "-j", "1"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0 and len(first.stdout.splitlines()) == 6
    second = runner.invoke(main, args)
    assert second.exit_code == 0 and second.stdout == ""  # nothing redone
    assert "0 done, 6 skipped" in second.stderr
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    rows[3]["given_name"] = "Zoé"  # a corrected record
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    third = runner.invoke(main, args)
    assert third.exit_code == 0 and len(third.stdout.splitlines()) == 1 and "SYN-00003" in third.stdout


def test_resume_after_kill_9_leaves_no_gap_and_no_duplicate(env: None, tmp_path: Path) -> None:
    total = 600  # enough that the first journal commit (after 0.5 s) cannot hold them all
    awards = _awards(tmp_path / "awards.csv", total)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE),
                             "-o", str(out), "-q", "-j", "2"], stdout=subprocess.DEVNULL,
                            env={**os.environ}, start_new_session=True)
    journal = out / JOURNAL_NAME
    deadline = time.monotonic() + 300
    done = 0
    while time.monotonic() < deadline and done == 0:  # kill once some, not all, are committed
        time.sleep(0.02)
        if journal.exists():
            try:
                with sqlite3.connect(journal) as db:
                    done = db.execute("SELECT COUNT(*) FROM records WHERE state='done'").fetchone()[0]
            except sqlite3.OperationalError:
                continue
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < done < total, done
    before = {p.name for p in (out / "edc").glob("*.jsonld")}
    resumed = _export(out, awards, "-j", "2")
    assert resumed.returncode == 0, resumed.stderr
    files = sorted(p.name for p in (out / "edc").glob("*.jsonld"))
    assert files == sorted(f"imperial_SYN-{i:05d}.jsonld" for i in range(total))  # no gap
    assert not list((out / "edc").glob(".tmp-*"))  # no partial file left behind
    redone = [line for line in resumed.stdout.splitlines() if line]
    assert len(redone) == total - done  # what was committed was not redone
    assert before <= set(files)
    with sqlite3.connect(journal) as db:
        keys = db.execute("SELECT key FROM records").fetchall()
        issued = db.execute("SELECT key, COUNT(*) FROM audit WHERE action='issued' GROUP BY key "
                            "HAVING COUNT(*) > 1").fetchall()
    assert len(keys) == total and issued == []  # one record and one issue event per award
    assert verify_audit(journal).intact


def test_fail_fast_stops_after_consecutive_failures(env: None, tmp_path: Path) -> None:
    awards = tmp_path / "awards.csv"
    header = "award_id,specification,learner_id,given_name,family_name,awarding_date,grade\n"
    bad = "".join(f"B{i},NOPE,S{i},A,B,2025-01-01,Pass\n" for i in range(10))
    awards.write_text(header + bad, "utf-8")
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "o"),
                                       "--fail-fast", "3", "-j", "1"])
    assert result.exit_code == 1
    assert "stopped after 3 consecutive failures" in result.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["stopped_early"] is True and report["failed"] < 10


def test_audit_verify_detects_tampering(env: None, tmp_path: Path) -> None:
    awards = _awards(tmp_path / "awards.csv", 3)
    out = tmp_path / "out"
    assert _export(out, awards, "-j", "1").returncode == 0
    runner = CliRunner()
    assert runner.invoke(main, ["audit", "verify", str(out)]).exit_code == 0
    shown = runner.invoke(main, ["audit", "show", str(out)])
    events = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [e["action"] for e in events] == ["issued"] * 3
    db = sqlite3.connect(out / JOURNAL_NAME)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET key = 'x' WHERE seq = 2")
    db.execute("DROP TRIGGER audit_no_update")  # someone with write access goes around it
    db.execute("UPDATE audit SET output_hash = ? WHERE seq = 2", ("0" * 64,))
    db.commit()
    db.close()
    broken = runner.invoke(main, ["audit", "verify", str(out)])
    assert broken.exit_code == 1 and "event 2" in broken.stderr


def test_reports_csv_json_and_html(env: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "broken" / "bad_date.csv"), "-c",
                                       str(CATALOGUE), "-o", str(tmp_path), "-j", "1"])
    assert result.exit_code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["done"] == 1 and report["failed"] == 1 and report["failed_by_stage"] == {"load": 1}
    with (tmp_path / "report.csv").open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    assert [r["status"] for r in sorted(rows, key=lambda r: int(r["row"]))] == ["done", "failed"]
    page = (tmp_path / "report.html").read_text()
    assert '<html lang="en">' in page and "31/02/2025" in page
