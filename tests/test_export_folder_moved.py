"""An output folder moved away (or removed) while a run writes into it stops the run at once,
saying so, rather than failing every row left with a fix about disk space."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edcbridge.pipeline.journal import JOURNAL_NAME, verify_audit
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def _export(out: Path, awards: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE),
                             "-o", str(out), "-j", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _states(journal: Path) -> dict[str, int]:
    with sqlite3.connect(journal) as db:
        return dict(db.execute("SELECT state, COUNT(*) FROM records GROUP BY state").fetchall())


def test_a_run_whose_folder_is_moved_stops_and_names_the_move(store, monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out, moved, total = tmp_path / "out", tmp_path / "archived", 3000
    awards = synthetic_awards(tmp_path / "awards.csv", total)
    proc = _export(out, awards)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        try:
            if _states(out / JOURNAL_NAME).get("done"):
                break
        except sqlite3.OperationalError:
            continue
    out.rename(moved)  # the night's housekeeping archives the folder while the run writes
    _, stderr = proc.communicate(timeout=300)
    said = stderr.decode()
    assert proc.returncode == 1, said
    assert "was moved or removed during the run" in said, said
    assert "make room on the disk" not in said, said
    states = _states(moved / JOURNAL_NAME)
    assert states.get("failed", 0) == 0, states  # no row was failed for the folder's move
    assert 0 < states["done"] < total
    resumed = _export(moved, awards)  # the same command, on the folder where it now is
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert _states(moved / JOURNAL_NAME) == {"done": total}
    assert len(list((moved / "edc").glob("*.jsonld"))) == total
    assert verify_audit(moved / JOURNAL_NAME).intact
