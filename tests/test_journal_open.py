"""Opening a run's journal: a disk that cannot take it, and journals of other versions."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from edcbridge.pipeline.journal import JOURNAL_NAME, Journal, Pending, open_read_only
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def _files_stay_small() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails instead (EFBIG), as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))  # a report's first line, no journal page


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs a file size limit")
def test_a_journal_that_cannot_be_written_at_the_start_is_a_folder_problem(store, tmp_path: Path) -> None:
    """A disk full as the run starts says so; it never advises moving the journal aside (which
    would part the folder from its audit trail and redo every record)."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "edcbridge", "export", str(FIXTURES / "imperial" / "awards.csv"),
               "-c", str(CATALOGUE), "-o", str(out), "-q"]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)},
                            preexec_fn=_files_stay_small)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{out}: the output folder cannot be written" in result.stderr
    assert "move it aside" not in result.stderr


def test_a_journal_of_an_earlier_layout_gains_the_columns_it_lacks(tmp_path: Path) -> None:
    """A journal from before deliveries kept the run and the versions a wallet may hold, or
    records their failing stage: the upgraded tool goes on with it."""
    path = tmp_path / JOURNAL_NAME
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE records (key TEXT PRIMARY KEY, input_hash TEXT NOT NULL, state TEXT NOT NULL,
                outputs TEXT NOT NULL, error TEXT, created REAL NOT NULL, updated REAL NOT NULL);
            CREATE TABLE deliveries (key TEXT NOT NULL, target TEXT NOT NULL, recipient TEXT,
                path TEXT NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL, target_id TEXT,
                error TEXT, updated REAL NOT NULL, PRIMARY KEY (key, target));
            INSERT INTO records VALUES ('imperial/OLD', 'ab', 'done', '{}', NULL, 1, 1);
            INSERT INTO deliveries VALUES ('imperial/OLD', 'wallet', 'a@b.eu', 'p', 'cd', 'delivered',
                'w-1', NULL, 1);""")
    db.close()
    journal = Journal(path)
    try:
        journal.record("imperial/NEW", "ef", "failed", "seal", {}, "no seal", [])
        journal.queue_delivery("imperial/OLD", "wallet", "a@b.eu", "p", "ce")
        journal.commit()
        pending = journal.pending_deliveries("wallet")
    finally:
        journal.close()
    assert pending == [Pending("imperial/OLD", "a@b.eu", "p", "ce", frozenset(), "w-1")]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT stage FROM records WHERE key = 'imperial/NEW'").fetchone() == ("seal",)
        assert db.execute("PRAGMA user_version").fetchone()[0] > 0  # its layout is noted
    db.close()


def test_a_journal_of_a_newer_layout_is_left_alone(tmp_path: Path) -> None:
    """An older tool run on a folder a newer one wrote says which, and writes nothing there."""
    path = tmp_path / JOURNAL_NAME
    Journal(path).close()
    with sqlite3.connect(path) as db:
        newer = db.execute("PRAGMA user_version").fetchone()[0] + 1
        db.execute(f"PRAGMA user_version = {newer}")
    db.close()
    with pytest.raises(sqlite3.DatabaseError, match="written by a newer edcbridge"):
        Journal(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (newer,)
    db.close()


def test_a_journal_from_before_layouts_were_numbered_keeps_its_confirmed_deliveries(tmp_path: Path) -> None:
    """A journal written before the layout was noted (``user_version`` 0) whose deliveries kept
    the versions a wallet may hold: each confirmed delivery's version is filled in, as for the
    numbered layouts, so a renewed seal does not send it again."""
    path = tmp_path / JOURNAL_NAME
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE records (key TEXT PRIMARY KEY, input_hash TEXT NOT NULL, state TEXT NOT NULL,
                stage TEXT, outputs TEXT NOT NULL, error TEXT, created REAL NOT NULL, updated REAL NOT NULL);
            CREATE TABLE deliveries (key TEXT NOT NULL, target TEXT NOT NULL, recipient TEXT,
                path TEXT NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL, target_id TEXT,
                error TEXT, updated REAL NOT NULL, run TEXT NOT NULL, held TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (key, target));
            INSERT INTO records VALUES ('imperial/OLD', 'ab', 'done', NULL, '{}', NULL, 1, 1);
            INSERT INTO deliveries VALUES ('imperial/OLD', 'wallet', 'Ana@B.eu', 'p', 'cd', 'delivered',
                'w-1', NULL, 1, 'r-1', 'v1:ana@b.eu');""")
    db.close()
    Journal(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT delivered FROM deliveries").fetchone() == ("v1:ana@b.eu",)
    db.close()


def _log_size(path: Path) -> int:
    try:
        return Path(f"{path}-wal").stat().st_size
    except FileNotFoundError:
        return 0


def _journal_with_a_record(path: Path) -> Journal:
    journal = Journal(path)
    journal.record("i/a", "h1", "done", None, {}, None, ["issued"])
    journal.commit()
    return journal


def test_a_journal_closed_while_a_reader_has_it_open_leaves_no_write_ahead_log(tmp_path: Path) -> None:
    """A log left beside the journal with no run holding the folder is what a killed run leaves
    (``audit verify`` says so): a clean close leaves none, even when a reader was not done."""
    path = tmp_path / JOURNAL_NAME
    journal = _journal_with_a_record(path)
    reader = open_read_only(path)
    try:
        assert reader.execute("SELECT COUNT(*) FROM records").fetchone() == (1,)
        journal.record("i/b", "h2", "done", None, {}, None, ["issued"])
        journal.close(fold_log=True)
        assert _log_size(path) == 0
    finally:
        reader.close()
    assert _log_size(path) == 0


def test_a_journal_closed_without_folding_does_not_wait_for_a_reader(tmp_path: Path) -> None:
    """A service appending one event at a time (``serve``'s trail) closes without folding the
    log in: a reader holding a snapshot does not hold its request up."""
    path = tmp_path / JOURNAL_NAME
    journal = _journal_with_a_record(path)
    reader = open_read_only(path)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM records").fetchone() == (1,)
        journal.record("i/b", "h2", "done", None, {}, None, ["issued"])
        journal.close()
        assert _log_size(path) > 0  # left for the next writer to fold in
        reader.execute("COMMIT")
    finally:
        reader.close()


def _reading(path: Path, snapshot: threading.Event, go_on: threading.Event) -> None:
    """A reader holding a snapshot of the journal (as ``audit verify`` does) until told, then a
    moment more."""
    reader = open_read_only(path)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM records").fetchone() == (1,)
        snapshot.set()
        go_on.wait(10)
        threading.Event().wait(0.3)
        reader.execute("COMMIT")
    finally:
        reader.close()


def test_a_reader_reading_as_the_journal_closes_is_waited_for_and_the_log_emptied(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_NAME
    journal = _journal_with_a_record(path)
    snapshot, go_on = threading.Event(), threading.Event()
    reader = threading.Thread(target=_reading, args=(path, snapshot, go_on))
    reader.start()
    try:
        assert snapshot.wait(10)
        journal.record("i/b", "h2", "done", None, {}, None, ["issued"])
        go_on.set()
        journal.close(fold_log=True)
    finally:
        go_on.set()
        reader.join(20)
    assert _log_size(path) == 0
    check = open_read_only(path)
    try:
        assert check.execute("SELECT COUNT(*) FROM records").fetchone() == (2,)  # nothing lost
    finally:
        check.close()


def test_a_ctrl_c_while_the_log_is_folded_in_still_closes_the_journal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Emptying the log may wait for a reader: a Ctrl-C then must not leave the journal open."""
    path = tmp_path / JOURNAL_NAME
    journal = _journal_with_a_record(path)

    def interrupted() -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(journal, "fold_log", interrupted)
    with pytest.raises(KeyboardInterrupt):
        journal.close(fold_log=True)
    with pytest.raises(sqlite3.ProgrammingError):  # closed
        journal.db.execute("SELECT 1")
    check = open_read_only(path)
    try:
        assert check.execute("SELECT COUNT(*) FROM records").fetchone() == (1,)  # committed
    finally:
        check.close()
