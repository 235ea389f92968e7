"""A run killed (kill -9) the instant a batch is committed: a record made again in fewer formats
after its row changed leaves no file of the award as it was, unknown to the journal."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from edcbridge.pipeline.journal import JOURNAL_NAME, verify_audit
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"

# the export, killed by SIGKILL as soon as a commit has journaled SYN-00003 without its edc-xml
_KILLED_AFTER_COMMIT = """
import json, os, signal, sys
from edcbridge.pipeline.journal import Journal
real = Journal.commit
def commit(self):
    real(self)
    row = self.db.execute("SELECT outputs FROM records WHERE key = 'imperial/SYN-00003'").fetchone()
    if row and "edc-xml" not in json.loads(row[0]):
        os.kill(os.getpid(), signal.SIGKILL)
Journal.commit = commit
from edcbridge.cli import main
sys.argv = ["edcbridge", *sys.argv[1:]]
main()
"""


def _export(out: Path, awards: Path, *formats: str, killed: bool = False) -> subprocess.CompletedProcess[str]:
    start = [sys.executable, "-c", _KILLED_AFTER_COMMIT] if killed else [sys.executable, "-m", "edcbridge"]
    return subprocess.run([*start, "export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-q",
                           "-j", "1", *(arg for name in formats for arg in ("--format", name))],
                          capture_output=True, text=True, check=False)


def test_a_run_killed_once_it_committed_leaves_no_outdated_file(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    awards = synthetic_awards(tmp_path / "awards.csv", 6)
    out = tmp_path / "out"
    assert _export(out, awards, "edc", "edc-xml").returncode == 0
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    rows[3]["grade"] = "Pass"  # corrected: the XML credential of before holds the old grade
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    killed = _export(out, awards, "edc", killed=True)
    assert killed.returncode == -9, killed.stderr
    again = _export(out, awards, "edc")
    assert again.returncode == 0, again.stderr
    assert not (out / "edc-xml" / "imperial_SYN-00003.xml").exists()  # before: left, unknown to the journal
    assert len(list((out / "edc-xml").iterdir())) == 5
    assert verify_audit(out / JOURNAL_NAME).intact
