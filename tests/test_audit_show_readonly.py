"""`audit show` only reads the journal: a copy on read-only media, a journal of another
version and a damaged one are shown as they are, or said in a line; none is changed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.pipeline.journal import JOURNAL_NAME
from tests.test_audit_verify_damage import _UNSHARE, audit_on_read_only_media
from tests.test_audit_verify_damage import _trail as issued_trail


def _trail(out: Path, records: int = 3) -> Path:
    """A journal as a run leaves it: ``records`` issued, its write-ahead log folded in."""
    path = issued_trail(out, records)
    for leftover in out.glob(f"{JOURNAL_NAME}-*"):
        leftover.unlink()
    return path


def _show(out: Path) -> Result:
    return CliRunner().invoke(main, ["audit", "show", str(out)])


def _user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def _set_user_version(path: Path, version: int) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(f"PRAGMA user_version = {version}")
    finally:
        db.close()


def test_a_journal_of_a_newer_version_is_shown_and_left_as_it_is(tmp_path: Path) -> None:
    path = _trail(tmp_path / "out")
    newer = _user_version(path) + 1
    _set_user_version(path, newer)
    before = path.read_bytes()
    result = _show(tmp_path / "out")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["seq"], e["action"], e["key"]) for e in events] == \
        [(index + 1, "issued", f"imperial/SYN-{index}") for index in range(3)]
    assert path.read_bytes() == before and _user_version(path) == newer


def test_a_journal_of_an_earlier_version_is_shown_without_being_upgraded(tmp_path: Path) -> None:
    path = _trail(tmp_path / "out")
    _set_user_version(path, 1)
    before = path.read_bytes()
    result = _show(tmp_path / "out")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3, result.output
    assert path.read_bytes() == before and _user_version(path) == 1


@pytest.mark.parametrize("damage", ["garbage", "no-trail"])
def test_a_journal_that_cannot_be_read_is_said_in_a_line(tmp_path: Path, damage: str) -> None:
    path = _trail(tmp_path / "out")
    if damage == "garbage":
        path.write_bytes(b"not a journal\n" * 100)
    else:
        db = sqlite3.connect(path)
        db.execute("DROP TABLE audit")
        db.close()
    result = _show(tmp_path / "out")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert result.stdout == "" and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {path}: the audit trail cannot be read (")
    assert f"'edcbridge audit verify {tmp_path / 'out'}'" in result.stderr


@pytest.mark.skipif(_UNSHARE is None, reason="needs unshare(1) to mount a read-only file system")
def test_a_journal_on_read_only_media_is_shown(tmp_path: Path) -> None:
    """A copy of the folder on a read-only file system (mounted in a namespace of its own, as an
    archive disk would be)."""
    out = tmp_path / "out"
    _trail(out)
    done = audit_on_read_only_media(out, tmp_path / "media", "show")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert [json.loads(line)["key"] for line in done.stdout.splitlines()] == \
        [f"imperial/SYN-{index}" for index in range(3)]


def test_an_event_field_rewritten_as_bytes_is_shown_in_a_line_of_its_own(tmp_path: Path) -> None:
    """An auditor exports the trail to check it: a field edited by hand into bytes is shown, as
    bytes, with every other event, not a traceback part way through."""
    path = _trail(tmp_path / "out")
    db = sqlite3.connect(path)
    with db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET actor = CAST(actor AS BLOB) WHERE seq = 2")
    db.close()
    result = _show(tmp_path / "out")
    assert result.exit_code == 0 and result.exception is None, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [event["seq"] for event in events] == [1, 2, 3]
    assert events[1]["actor"] == repr(events[0]["actor"].encode())
