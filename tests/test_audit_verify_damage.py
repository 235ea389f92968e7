"""`audit verify` on a journal that is damaged, cut short, renumbered, or read where it cannot
be written: each is found and said in a line, never a traceback."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.pipeline.journal import GENESIS, JOURNAL_NAME, Journal, audit_hash, verify_audit


def _trail(out: Path, records: int = 6) -> Path:
    journal = Journal.for_folder(out)
    try:
        for index in range(records):
            outputs = {"edc": {"path": f"{out}/edc/{index}.jsonld", "file": f"edc/{index}.jsonld",
                               "sha256": "ab" * 32}}
            journal.record(f"imperial/SYN-{index}", f"{index:064x}", "done", None, outputs, None, ["issued"])
        journal.commit()
    finally:
        journal.close()
    return out / JOURNAL_NAME


def _verify(out: Path) -> Result:
    return CliRunner().invoke(main, ["audit", "verify", str(out)])


def _said_in_lines(result: Result) -> bool:
    """The command ended by its own exit, no exception escaping it."""
    return (result.exception is None or isinstance(result.exception, SystemExit)) \
        and "Traceback" not in result.output


@pytest.mark.parametrize("cut", ["half", "empty", "garbage"])
def test_a_journal_cut_short_or_overwritten_is_not_intact(tmp_path: Path, cut: str) -> None:
    path = _trail(tmp_path / "out", 200)
    if cut == "garbage":
        path.write_bytes(b"not a journal\n" * 100)
    else:
        with path.open("r+b") as handle:
            handle.truncate(path.stat().st_size // 2 if cut == "half" else 0)
    result = _verify(tmp_path / "out")
    assert result.exit_code == 1 and _said_in_lines(result), result.output
    assert "BROKEN: " in result.stderr and "restore" in result.stderr and "NOT intact" in result.stderr


def test_a_trail_whose_table_was_dropped_is_not_intact(tmp_path: Path) -> None:
    path = _trail(tmp_path / "out")
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE audit")
    db.close()
    result = _verify(tmp_path / "out")
    assert result.exit_code == 1 and _said_in_lines(result), result.output
    assert "no audit trail that can be read" in result.stderr


def test_events_removed_from_the_start_with_the_chain_recomputed_are_found(tmp_path: Path) -> None:
    """The first events and their records go, and the rest is chained again from the start:
    the trail no longer begins at event 1."""
    path = _trail(tmp_path / "out")
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE seq <= 2")
        db.execute("DELETE FROM records WHERE key IN ('imperial/SYN-0', 'imperial/SYN-1')")
        prev = GENESIS
        columns = ["time", "actor", "action", "key", "input_hash", "output_hash"]
        rows = db.execute(f"SELECT seq, {', '.join(columns)} FROM audit ORDER BY seq").fetchall()
        for seq, *fields in rows:
            digest = audit_hash(prev, dict(zip(columns, fields, strict=True)))
            db.execute("UPDATE audit SET prev = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
            prev = digest
    db.close()
    check = verify_audit(path)
    assert not check.intact
    assert check.problems == ["events 1 to 2 missing (the next is event 3): events removed"]


def test_an_event_field_rewritten_as_bytes_breaks_the_chain(tmp_path: Path) -> None:
    path = _trail(tmp_path / "out")
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET actor = CAST(actor AS BLOB) WHERE seq = 3")
    db.close()
    check = verify_audit(path)
    assert check.problems == ["event 3 (issued imperial/SYN-2): content does not match its hash"]


def test_a_folder_named_with_hash_and_percent_signs_is_verified(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder is read as named, and nothing is made in the working directory."""
    out = tmp_path / "exports #2 100%41"
    _trail(out)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = _verify(out)
    assert result.exit_code == 0 and _said_in_lines(result), result.output
    assert "intact: 6 events" in result.stderr
    assert list(work.iterdir()) == []


_UNSHARE = shutil.which("unshare")
_READ_ONLY_COPY = ('mount -t tmpfs tmpfs "$1" && cp -a "$2"/. "$1"/ && mount -o remount,ro "$1" '
                   '&& exec "$3" -m edcbridge audit "$4" "$1"')


def audit_on_read_only_media(out: Path, media: Path,
                             command: str = "verify") -> subprocess.CompletedProcess[str]:
    """``audit COMMAND`` of a copy of ``out`` on a read-only file system (mounted at ``media``
    in a namespace of its own, as an archive disk would be)."""
    media.mkdir()
    probe = subprocess.run([str(_UNSHARE), "-rm", "sh", "-c", 'mount -t tmpfs tmpfs "$1"', "sh", str(media)],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("this system lets no process mount a file system of its own")
    return subprocess.run([str(_UNSHARE), "-rm", "sh", "-c", _READ_ONLY_COPY, "sh", str(media), str(out),
                           sys.executable, command], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def _verify_on_read_only_media(out: Path, media: Path) -> tuple[int, str]:
    done = audit_on_read_only_media(out, media)
    return done.returncode, done.stderr


def _as_a_run_leaves_it(out: Path) -> None:
    """Without the files a journal open for writing has beside it: a run that ends folds its
    write-ahead log in and removes it."""
    for leftover in out.glob(f"{JOURNAL_NAME}-*"):
        leftover.unlink()


@pytest.mark.skipif(_UNSHARE is None, reason="needs unshare(1) to mount a read-only file system")
def test_a_trail_on_read_only_media_is_verified(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _trail(out)
    _as_a_run_leaves_it(out)
    code, said = _verify_on_read_only_media(out, tmp_path / "media")
    assert code == 0 and "intact: 6 events" in said and "Traceback" not in said, said


@pytest.mark.skipif(_UNSHARE is None, reason="needs unshare(1) to mount a read-only file system")
def test_a_trail_with_its_log_on_read_only_media_says_what_to_do(tmp_path: Path) -> None:
    """A write-ahead log beside the journal (a run going on, or killed) may hold events the file
    alone lacks: the trail is not judged from the file alone."""
    out = tmp_path / "out"
    _trail(out)
    _as_a_run_leaves_it(out)
    Path(f"{out / JOURNAL_NAME}-wal").write_bytes(b"\0" * 4096)
    code, said = _verify_on_read_only_media(out, tmp_path / "media")
    assert code == 1 and "Traceback" not in said, said
    assert "a write-ahead log lies beside it" in said and "verify a copy of the whole folder" in said


def test_text_written_into_the_journal_cannot_fake_a_verdict_on_a_terminal(tmp_path: Path) -> None:
    """A key or hash edited to hold a carriage return and terminal escapes would, printed as it
    is, write "intact" over a BROKEN line and hide the lines after it: they are shown escaped."""
    path = _trail(tmp_path / "out")
    fake = "\r\x1b[2Kintact: 6 events\x1b[8m"
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("UPDATE records SET key = key || ? WHERE key = 'imperial/SYN-1'", (fake,))
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET hash = hash || ? WHERE seq = 6", (fake,))
    db.close()
    result = CliRunner().invoke(main, ["audit", "verify", str(tmp_path / "out")], color=True)
    assert result.exit_code == 1 and _said_in_lines(result), result.output
    assert "\r" not in result.stderr and "\x1b" not in result.stderr, repr(result.stderr)
    assert "BROKEN: record imperial/SYN-1\\r\\x1b[2Kintact: 6 events\\x1b[8m is done" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("NOT intact: 6 events, head 6:")


@pytest.mark.parametrize("outputs", ["{not json", "[]", "null", '{"edc": 5}', 5])
def test_a_record_whose_outputs_were_edited_into_no_outputs_is_named(tmp_path: Path, outputs: object) -> None:
    path = _trail(tmp_path / "out")
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("UPDATE records SET outputs = ? WHERE key = 'imperial/SYN-1'", (outputs,))
    db.close()
    result = _verify(tmp_path / "out")
    assert result.exit_code == 1 and _said_in_lines(result), result.output
    assert result.stderr.splitlines()[0] == (
        "BROKEN: record imperial/SYN-1 is done but its outputs in the journal are not as a run writes "
        "them (edited by hand?): its events and files cannot be checked; restore the journal from a copy")
    assert result.stderr.splitlines()[-1].startswith("NOT intact: 6 events")


def test_a_failed_record_whose_outputs_were_edited_into_bytes_is_named(tmp_path: Path) -> None:
    path = _trail(tmp_path / "out")
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("UPDATE records SET state = 'failed', outputs = X'00ff' WHERE key = 'imperial/SYN-1'")
    db.close()
    result = _verify(tmp_path / "out")
    assert result.exit_code == 1 and _said_in_lines(result), result.output
    assert "BROKEN: record imperial/SYN-1 is failed, keeping the files of an earlier run, but has no " \
        "failed event" in result.stderr


@pytest.mark.parametrize("action", ["revoked", "reissued", "offers-closed"])
def test_a_revocations_detail_removed_after_the_awards_erasure_is_not_intact(
        tmp_path: Path, action: str) -> None:
    """Erasure drops the details of withdrawals, reinstatements and redone events alone: those
    of revocations, reissues and offers closed stay, so one gone was removed by hand."""
    path = _trail(tmp_path / "out")
    journal = Journal.for_folder(tmp_path / "out")
    try:
        journal.record_offer_event(action, "imperial/SYN-2", '{"by":"registrar","reason":"fraud"}')
        journal.erase("imperial/SYN-2", "erased", '{"by":"registrar","reason":"REQ-1"}')
    finally:
        journal.close()
    assert _verify(tmp_path / "out").exit_code == 0
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET detail = NULL WHERE action = ?", (action,))
    db.close()
    result = _verify(tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert f"({action} imperial/SYN-2): its detail (who, what, why) is gone" in result.output
