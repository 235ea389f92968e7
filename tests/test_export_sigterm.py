"""A scheduled export stopped with SIGTERM (``kill``, ``timeout``, a service manager, to the run
alone or to its whole process group) ends as Ctrl-C does: reports that agree with the journal,
exit 130, and the same command resumes."""

from __future__ import annotations

import json
import os
import signal
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
                             "-o", str(out), "-j", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _done(journal: Path) -> int:
    with sqlite3.connect(journal) as db:
        return int(db.execute("SELECT COUNT(*) FROM records WHERE state='done'").fetchone()[0])


def _once_some_are_committed(proc: subprocess.Popen[bytes], journal: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        try:
            if _done(journal):
                return
        except sqlite3.OperationalError:
            continue
    raise AssertionError("the export ended before anything was committed")


@pytest.mark.parametrize("to_group", [False, True], ids=["to-the-run", "to-its-group"])
def test_sigterm_reports_an_interrupted_run_that_resumes(store, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path, to_group: bool) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out, total = tmp_path / "out", 1500
    awards = synthetic_awards(tmp_path / "awards.csv", total)
    proc = _export(out, awards)
    _once_some_are_committed(proc, out / JOURNAL_NAME)
    if to_group:  # systemd's default: every process of the service
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        os.kill(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert b"interrupted: what was done is kept" in stderr and b"Traceback" not in stderr
    report = json.loads((out / "report.json").read_text())
    done = _done(out / JOURNAL_NAME)
    assert report["interrupted"] is True and report["done"] == done < total
    assert not list(out.glob(".report.*"))  # the reports were put in place, none left half made
    resumed = _export(out, awards)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert len(list((out / "edc").glob("*.jsonld"))) == total
    assert verify_audit(out / JOURNAL_NAME).intact


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc")
def test_a_worker_killed_part_way_stops_the_run_with_the_fix(store, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    """The out-of-memory killer takes a worker at night: the run says so, without a traceback,
    and the same command goes on."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out, total = tmp_path / "out", 1500
    awards = synthetic_awards(tmp_path / "awards.csv", total)
    proc = _export(out, awards)
    _once_some_are_committed(proc, out / JOURNAL_NAME)
    worker = int(Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()[0])
    os.kill(worker, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=120)
    said = stderr.decode()
    assert proc.returncode == 1, said
    assert "Traceback" not in said, said
    assert "a worker process of the run was killed" in said and "run the same command again" in said, said
    report = json.loads((out / "report.json").read_text())
    assert "worker process" in report["aborted"] and report["done"] == _done(out / JOURNAL_NAME)
    resumed = _export(out, awards)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert len(list((out / "edc").glob("*.jsonld"))) == total
    assert verify_audit(out / JOURNAL_NAME).intact


def test_sigterm_while_the_rows_are_counted_stops_as_ctrl_c_does(store, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """The rows of a large file are counted before the run, for the progress bar (seconds for
    gigabytes): a SIGTERM then ended the process at once, exit -15 and no word, where a Ctrl-C
    says it was interrupted, exit 130."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    script = (
        "import os, signal, sys\n"
        "from edcbridge.cli import main\n"
        "from edcbridge.pipeline import runner\n"
        "def counting(path, columns=None):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return 3\n"
        "runner.count_rows = counting\n"
        "main(sys.argv[1:])\n")
    proc = subprocess.run([sys.executable, "-c", script, "export", str(awards), "-c", str(CATALOGUE), "-o",
                           str(tmp_path / "out"), "-j", "1"], capture_output=True, timeout=300, check=False)
    assert proc.returncode == 130, proc.stderr
    assert b"interrupted" in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr


def test_a_count_that_takes_long_is_said_and_sigterm_then_stops_as_ctrl_c_does(
        store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The rows of a large workbook are counted before its first row is read, and stderr said
    nothing meanwhile: a log showed a run that had not begun. Its line says what the run waits
    on; a SIGTERM then still ends the run as a Ctrl-C does, the line said and nothing else."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    script = (
        "import sys, time\n"
        "from edcbridge.cli import main\n"
        "from edcbridge.pipeline import runner\n"
        "def counting(path, columns=None):\n"
        "    time.sleep(20)\n"
        "    return 3\n"
        "runner.count_rows = counting\n"
        "main(sys.argv[1:])\n")
    proc = subprocess.Popen([sys.executable, "-c", script, "export", str(awards), "-c", str(CATALOGUE), "-o",
                             str(tmp_path / "out"), "-j", "1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stderr is not None
    first = proc.stderr.readline()  # a log's line, once the count has gone on as long as the bar's lines
    os.kill(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert first == f"counting rows in {awards} ...\n".encode(), first + stderr
    assert proc.returncode == 130, stderr
    assert b"interrupted" in stderr and b"Traceback" not in stderr, stderr
    assert not (tmp_path / "out" / "report.json").exists()  # stopped before the run began
