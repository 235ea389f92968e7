"""``audit verify`` holds a record that a later run failed, keeping the files of before, to its
``failed`` event, which binds the outputs kept to the trail (a record done turned failed by hand
is named), and those files to the sha256 the outputs hold."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def out(store: SchemaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four awards exported, then run again with the third one's row broken: its record fails."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    awards = synthetic_awards(tmp_path / "awards.csv", 4)
    folder = tmp_path / "out"
    export = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(folder), "-j", "1", "-q"]
    assert _cli(*export).exit_code == 0
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    rows[2]["awarding_date"] = "2025-07-99"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert _cli(*export).exit_code == 1
    return folder


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _verify(out: Path) -> dict[str, object]:
    verdict: dict[str, object] = json.loads(_cli("audit", "verify", str(out), "--json").stdout)
    return verdict


def test_a_done_record_a_run_fails_has_a_failed_event_and_the_trail_is_intact(out: Path) -> None:
    shown = _cli("audit", "show", str(out)).stdout.splitlines()
    failed = [event for event in map(json.loads, shown) if event["action"] == "failed"]
    assert [event["key"] for event in failed] == ["imperial/SYN-00002"]
    verdict = _verify(out)
    assert verdict["intact"] is True, verdict["problems"]


def test_a_done_record_turned_failed_by_hand_is_named(out: Path) -> None:
    db = sqlite3.connect(out / JOURNAL_NAME)
    with db:
        db.execute("UPDATE records SET state = 'failed' WHERE key = 'imperial/SYN-00001'")
    db.close()
    verdict = _verify(out)
    assert verdict["intact"] is False
    assert verdict["problems"] == [
        "record imperial/SYN-00001 is failed, keeping the files of an earlier run, but has no failed event "
        "of that state in the trail (events removed, or its state changed by hand?)"]


def test_a_journal_of_the_layout_before_failed_events_gains_them_when_a_run_upgrades_it(out: Path) -> None:
    db = sqlite3.connect(out / JOURNAL_NAME)
    with db:  # as the earlier layout left it: the failed record without its event (the last one)
        (last,) = db.execute("SELECT max(seq) FROM audit WHERE action = 'failed'").fetchone()
        assert last == db.execute("SELECT max(seq) FROM audit").fetchone()[0]
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE seq = ?", (last,))
        db.execute("PRAGMA user_version = 6")
    db.close()
    (out / "report.json").unlink()  # it noted the head of the event removed
    assert _verify(out)["intact"] is True  # read as it is
    assert _cli("withdraw", str(out), "imperial/SYN-00003", "--reason", "entered in error").exit_code == 0
    verdict = _verify(out)
    assert verdict["intact"] is True, verdict["problems"]
    shown = _cli("audit", "show", str(out)).stdout.splitlines()
    assert [event["key"] for event in map(json.loads, shown) if event["action"] == "failed"] == \
        ["imperial/SYN-00002"]


@pytest.mark.parametrize("state", ["Done", "pending", ""])
def test_a_record_put_in_a_state_no_command_writes_is_named(out: Path, state: str) -> None:
    """A record done moved by hand to a state of no command's (and its sealed file then edited)
    would leave both the check of its events and that of its files."""
    db = sqlite3.connect(out / JOURNAL_NAME)
    with db:
        db.execute("UPDATE records SET state = ? WHERE key = 'imperial/SYN-00001'", (state,))
    db.close()
    issued = out / "edc" / "imperial_SYN-00001.jsonld"
    assert issued.is_file()
    with issued.open("a", encoding="utf-8") as handle:
        handle.write(" ")
    verdict = _verify(out)
    assert verdict["intact"] is False
    assert verdict["problems"] == [
        f"record imperial/SYN-00001 is in state {state!r}, which no edcbridge command writes (changed by "
        "hand?): its events and files are not checked; restore the journal from a copy"]


def test_a_file_a_failed_record_keeps_from_an_earlier_run_is_held_to_the_journal(out: Path) -> None:
    """The files of before a failed record keeps are those its failed event hashes: one edited
    since is named as a file of a record done is."""
    kept = out / "edc" / "imperial_SYN-00002.jsonld"
    with kept.open("a", encoding="utf-8") as handle:
        handle.write(" ")
    verdict = _verify(out)
    assert verdict["intact"] is False
    [problem] = verdict["problems"]
    assert isinstance(problem, str)
    assert problem.startswith(f"{kept} (record imperial/SYN-00002, failed, keeping it from an earlier run) "
                              "is not the file issued: its sha256 is "), problem
