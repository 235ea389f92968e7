"""Revocations and reissues in the audit trail, as the journal keeps and checks them: one event
per detail, bound to the chain by its output hash, refused for an award the journal does not
hold, read from journals written before events had details, and every edit of a detail found.
(The commands that write them: tests/test_revoke_audit_cli.py.)"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from edcbridge.oid4vci.offers import OfferStore
from edcbridge.pipeline.journal import (
    FORMAT,
    GENESIS,
    JOURNAL_NAME,
    Journal,
    actor,
    audit_hash,
    open_read_only,
    shown_events,
    verify_audit,
)

KEY = "imperial/AW-1"
DETAIL = json.dumps({"by": "registrar@office", "at": "2025-03-01T10:00:00Z", "reason": "annulled",
                     "credentials": [{"uri": "https://issuer.example/status/1", "idx": 4711, "list": 1,
                                      "revoked_at": "2025-03-01T10:00:00Z"}],
                     "offers_closed": []}, sort_keys=True, separators=(",", ":"))


def _trail(folder: Path, *keys: str) -> Path:
    """A journal with each award issued (and its events), committed."""
    journal = Journal.for_folder(folder)
    for key in keys or (KEY,):
        journal.record(key, "input-" + key, "done", None, {"edc": {"path": "x", "sha256": "y"}}, None,
                       ["issued"])
    journal.close()
    return folder / JOURNAL_NAME


def _events(path: Path) -> list[dict[str, object]]:
    db = open_read_only(path)
    try:
        return list(shown_events(db))
    finally:
        db.close()


def _edit(path: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("DROP TRIGGER IF EXISTS audit_no_update")
        db.execute(sql, args)
    db.close()


def test_a_revocation_is_an_event_of_the_chain_with_its_detail(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    journal = Journal(path)
    head = journal.record_offer_event("revoked", KEY, DETAIL)
    journal.close()
    assert head is not None and head.startswith("2:")
    events = _events(path)
    revoked = events[-1]
    assert revoked["action"] == "revoked" and revoked["key"] == KEY and revoked["actor"] == actor()
    assert revoked["input_hash"] == f"input-{KEY}"  # the award as its record holds it
    assert revoked["output_hash"] == hashlib.sha256(DETAIL.encode()).hexdigest()
    assert revoked["detail"] == json.loads(DETAIL)  # an object, not a string of escaped JSON
    assert "detail" not in events[0]  # an issued event is shown as before
    check = verify_audit(path)
    assert check.intact, check.problems
    assert check.events == 2 and check.head == head


def test_the_same_detail_is_appended_once(tmp_path: Path) -> None:
    """A revoke that wrote the event and then could not note so in the offers file (killed),
    or two processes writing it at once, leave one event."""
    path = _trail(tmp_path)
    heads: list[str | None] = []

    def write() -> None:
        journal = Journal(path, timeout=30)
        try:
            heads.append(journal.record_offer_event("revoked", KEY, DETAIL))
        finally:
            journal.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(heads)) == 1 and heads[0] is not None
    assert [event["action"] for event in _events(path)] == ["issued", "revoked"]
    journal = Journal(path)
    assert journal.record_offer_event("reissued", KEY, DETAIL) != heads[0]  # another action is another event
    journal.close()
    assert verify_audit(path).intact


def test_an_award_the_journal_does_not_hold_gets_no_event(tmp_path: Path) -> None:
    """Its event would be one of no record, which verify takes for one added by hand."""
    path = _trail(tmp_path)
    journal = Journal(path)
    assert journal.record_offer_event("revoked", "imperial/NOT-HERE", DETAIL) is None
    with pytest.raises(ValueError, match="not an event with a detail"):
        journal.record_offer_event("issued", KEY, DETAIL)
    journal.close()
    assert len(_events(path)) == 1 and verify_audit(path).intact


def test_an_edited_or_removed_detail_breaks_the_trail(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    journal = Journal(path)
    journal.record_offer_event("revoked", KEY, DETAIL)
    journal.close()
    other = DETAIL.replace("annulled", "a clerical slip")
    _edit(path, "UPDATE audit SET detail = ? WHERE seq = 2", other)
    assert verify_audit(path).problems == [
        f"event 2 (revoked {KEY}): its detail does not match its output hash (edited?)"]
    _edit(path, "UPDATE audit SET detail = NULL WHERE seq = 2")
    assert verify_audit(path).problems == [f"event 2 (revoked {KEY}): its detail (who, what, why) is gone"]
    _edit(path, "UPDATE audit SET detail = CAST(? AS BLOB) WHERE seq = 2", DETAIL)  # same bytes, not text
    assert not verify_audit(path).intact
    _edit(path, "UPDATE audit SET detail = ? WHERE seq = 2", DETAIL)
    assert verify_audit(path).intact
    _edit(path, "UPDATE audit SET detail = ? WHERE seq = 1", DETAIL)  # a detail slipped into an issued event
    assert verify_audit(path).problems == [
        f"event 1 (issued {KEY}): its detail does not match its output hash (edited?)"]


def test_a_detail_rewritten_with_its_hashes_recomputed_is_not_found(tmp_path: Path) -> None:
    """As for any event, the chain has no secret: what it proves is that nobody rewrote the
    trail without recomputing every hash after the event (noted heads find even that)."""
    path = _trail(tmp_path)
    journal = Journal(path)
    noted = journal.record_offer_event("revoked", KEY, DETAIL)
    journal.close()
    other = DETAIL.replace("annulled", "a clerical slip")
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("DROP TRIGGER audit_no_update")
        row = db.execute("SELECT time, actor, action, key, input_hash, prev FROM audit "
                         "WHERE seq = 2").fetchone()
        event = dict(zip(("time", "actor", "action", "key", "input_hash"), row[:5], strict=True))
        event["output_hash"] = hashlib.sha256(other.encode()).hexdigest()
        db.execute("UPDATE audit SET detail = ?, output_hash = ?, hash = ? WHERE seq = 2",
                   (other, event["output_hash"], audit_hash(row[5], event)))
    db.close()
    assert verify_audit(path).intact
    assert noted is not None
    seq, digest = noted.split(":")
    assert verify_audit(path, ((int(seq), digest),)).problems[0].startswith("event 2 noted as")


_FORMAT_2 = """
CREATE TABLE records (
    key TEXT PRIMARY KEY, input_hash TEXT NOT NULL, state TEXT NOT NULL, stage TEXT,
    outputs TEXT NOT NULL, error TEXT, created REAL NOT NULL, updated REAL NOT NULL, warnings TEXT);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    key TEXT NOT NULL, input_hash TEXT NOT NULL, output_hash TEXT NOT NULL,
    prev TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE deliveries (
    key TEXT NOT NULL, target TEXT NOT NULL, recipient TEXT, path TEXT NOT NULL,
    sha256 TEXT NOT NULL, state TEXT NOT NULL, target_id TEXT, error TEXT, updated REAL NOT NULL,
    run TEXT NOT NULL, held TEXT NOT NULL DEFAULT '', PRIMARY KEY (key, target));
PRAGMA user_version = 2;
"""


def test_a_journal_written_before_details_is_read_verified_and_then_takes_them(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_NAME
    outputs = json.dumps({"edc": {"path": "x", "sha256": "y"}}, sort_keys=True)
    event = {"time": "2025-01-01T00:00:00Z", "actor": "a@b", "action": "issued", "key": KEY,
             "input_hash": "i", "output_hash": hashlib.sha256(outputs.encode()).hexdigest()}
    with sqlite3.connect(path, isolation_level=None) as db:
        db.executescript(_FORMAT_2)
        db.execute("INSERT INTO records VALUES (?, 'i', 'done', NULL, ?, NULL, 0, 0, NULL)", (KEY, outputs))
        db.execute("INSERT INTO audit VALUES (1, :time, :actor, :action, :key, :input_hash, :output_hash, "
                   ":prev, :hash)", {**event, "prev": GENESIS, "hash": audit_hash(GENESIS, event)})
    db.close()
    assert verify_audit(path).intact  # read as it is: no detail column
    assert [e["action"] for e in _events(path)] == ["issued"]
    journal = Journal(path)  # the layout is brought up to date as the journal is opened to be written
    assert journal.record_offer_event("revoked", KEY, DETAIL) is not None
    journal.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (FORMAT,)
    db.close()
    assert verify_audit(path).intact and [e["action"] for e in _events(path)] == ["issued", "revoked"]


def test_the_offers_file_keeps_each_revocation_for_the_trail_once(tmp_path: Path) -> None:
    """What a revocation did, written down with it: who, why, the entries by the uri the
    credentials carry; a second revocation with nothing new writes nothing; one made before
    revocations were written down is, with its own time, at the next revocation."""
    clock = [1_700_000_000.0]
    offers = OfferStore(tmp_path / "offers.sqlite", clock=lambda: clock[0])
    try:
        offers.issuer_url = "https://issuer.example/oid4vci"
        old = offers.create(KEY, ("elm",), valid_for=600)
        first = offers.reserve_status(KEY, old.offer_id)
        offers.issuer_url = None  # an entry reserved by an issuer that did not say where it serves
        second = offers.reserve_status(KEY, old.offer_id)
        opened = offers.create(KEY, ("elm",), valid_for=600)
        revocation = offers.revoke(KEY, by="registrar@office", reason="annulled\n\u202eby the board\x1b[2J")
        assert revocation.event is not None and revocation.event.action == "revoked"
        detail = json.loads(revocation.event.detail)
        assert detail == {
            "by": "registrar@office", "at": "2023-11-14T22:13:20Z",
            "reason": "annulled \ufffdby the board\ufffd[2J",  # one line, shown as it reads
            "credentials": sorted([
                {"uri": "https://issuer.example/oid4vci/status/1", "idx": first[1], "list": 1,
                 "revoked_at": "2023-11-14T22:13:20Z"},
                {"uri": None, "idx": second[1], "list": 1, "revoked_at": "2023-11-14T22:13:20Z"},
            ], key=lambda entry: entry["idx"]),
            # the open offer; the first was superseded by it already
            "offers_closed": [{"offer": opened.offer_id, "closed_at": "2023-11-14T22:13:20Z"}],
        }
        assert offers.revoke(KEY, by="registrar@office").event is None  # nothing new
        assert [event.id for event in offers.unrecorded()] == [revocation.event.id]
        offers.mark_recorded([revocation.event.id], "7:" + "0" * 64)
        assert offers.unrecorded() == [] and offers.recorded(revocation.event.id) == "7:" + "0" * 64

        # an entry revoked by an edcbridge that wrote no events (its time kept all the same)
        later = offers.reserve_status(KEY, old.offer_id)
        with sqlite3.connect(offers.path) as db:
            db.execute("UPDATE status_entries SET status = 1, changed = ? WHERE list = ? AND idx = ?",
                       (1_600_000_000, *later))
        db.close()
        clock[0] += 60
        caught = offers.revoke(KEY, by="auditor@office")
        assert caught.event is not None and caught.revoked == ()
        assert json.loads(caught.event.detail)["credentials"] == [
            {"uri": None, "idx": later[1], "list": 1, "revoked_at": "2020-09-13T12:26:40Z"}]

        reissue = offers.create(KEY, ("elm",), valid_for=60, reissued_by="registrar@office", reason="fixed")
        assert reissue.event is not None and reissue.event.action == "reissued"
        assert json.loads(reissue.event.detail) == {
            "by": "registrar@office", "at": "2023-11-14T22:14:20Z", "reason": "fixed",
            "offer": reissue.offer_id, "configurations": ["elm"], "open_until": "2023-11-14T22:15:20Z"}
        other = offers.create("imperial/AW-2", ("elm",), valid_for=60, reissued_by="registrar@office")
        assert other.event is None  # an award never revoked: an offer like any other
    finally:
        offers.close()


_CLOSED = json.dumps({"by": "registrar@office (edcbridge withdraw)", "at": "2025-03-01T10:00:00Z",
                      "award": "withdrawn", "offers_closed": [{"offer": "0a1b2c3d4e5f6071",
                                                               "closed_at": "2025-03-01T10:00:00Z"}]},
                     sort_keys=True, separators=(",", ":"))
_INDEX_OF_FORMAT_8 = ("CREATE INDEX audit_offer_events ON audit (key, output_hash) "
                      "WHERE action IN ('revoked', 'reissued')")


def _as_format_8(path: Path) -> None:
    """The journal as the version before offers-closed events were indexed left it."""
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("DROP INDEX audit_offer_events")
        db.execute(_INDEX_OF_FORMAT_8)
        db.execute("PRAGMA user_version = 8")
    db.close()


def _steps_to_find_again(path: Path, action: str, detail: str) -> int:
    """The SQLite instructions ``record_offer_event`` runs to find an event it appended before."""
    journal = Journal(path)
    try:
        first = journal.record_offer_event(action, KEY, detail)
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        journal.db.set_progress_handler(count, 1)
        assert journal.record_offer_event(action, KEY, detail) == first
        journal.db.set_progress_handler(None, 1)
    finally:
        journal.close()
    return steps[0]


@pytest.mark.parametrize("earlier", [False, True], ids=["new journal", "journal of format 8"])
@pytest.mark.parametrize(("action", "detail"), [("revoked", DETAIL), ("offers-closed", _CLOSED)])
def test_an_offer_event_written_before_is_found_without_reading_the_whole_trail(
        tmp_path: Path, earlier: bool, action: str, detail: str) -> None:
    """The work of finding it does not grow with the trail (one of millions is not read whole)."""
    steps = []
    for size in (20, 400):
        path = _trail(tmp_path / str(size), KEY, *(f"imperial/AW-{n}" for n in range(2, size)))
        if earlier:
            _as_format_8(path)
        steps.append(_steps_to_find_again(path, action, detail))
    assert steps[1] < 2 * steps[0], steps
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (FORMAT,)
    db.close()
    assert verify_audit(path).intact
