"""The run journal: one SQLite file per output folder, holding each record's state and the
hash-chained audit trail, updated in the same transactions.

A record counts as done only once its journal transaction has committed, and its output files
were written (atomically) before that. After ``kill -9`` a re-run skips what is done, redoes
the rest (deterministic outputs are simply rewritten) and so leaves no gap and no duplicate.

The trail records what was issued, sealed and delivered (by ``edcbridge export``), a record done
that a later run ``failed`` (its files of before stay in the folder), and what the
issuer did to those credentials afterwards: ``revoked`` (``edcbridge revoke``) and ``reissued``
(``edcbridge offer --reissue`` of a revoked award), appended by :meth:`Journal.record_offer_event`
to the trail of the output folder whose offers file they changed; see
``edcbridge.oid4vci.cli.record_in_trail`` for why that trail. Such an event keeps what it did as
a JSON ``detail`` (who, when, why, which status list entries and offers), bound to the chain by
its output hash, the detail's sha256, as an issued event's output hash binds its outputs.

An award the registry office takes back (entered in error, a degree rescinded) is ``withdrawn``
(``edcbridge withdraw``): its record's state and a ``withdrawn`` event, with its detail, are
written in one transaction, and no run exports it again until it is ``reinstated`` (``withdraw
--undo``), another event with a detail; see :meth:`Journal.set_withdrawal`.

A learner's right to erasure (GDPR art. 17, ``edcbridge erase``) makes a record ``erased``: the
personal data the journal kept of it (the errors and warnings its rows quoted, the addresses and
wallet ids of its deliveries) are overwritten in the same transaction as an ``erased`` event,
whose detail says who erased what, when and why, without personal data. The award key, the
hashes and the earlier events stay: the trail is append-only, and they hold no personal data
but the key. See :meth:`Journal.erase`.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import hashlib
import itertools
import json
import json.encoder
import os
import shlex
import socket
import sqlite3
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from edcbridge.file_lock import held_elsewhere
from edcbridge.output import canonical_json, make_private

JOURNAL_NAME = ".edcbridge-journal.sqlite"
FOLD_WAIT = 2.0  # seconds a closing run waits for a reader before it empties its write-ahead log
GENESIS = "0" * 64
FORMAT = 9  # the journal's layout (``PRAGMA user_version``): a journal of a newer one is left alone
# 2: records keep the warnings they were made with (a re-run that skips them still reports them)
# 3: audit events of revocations and reissues keep what they did (``detail``)
# 4: records may be withdrawn (an earlier version, seeing no record done, would export them again)
# 5: records keep what they were made from, in parts (``made_from``): a record redone says what changed
# 6: deliveries keep the version confirmed delivered and to whom (``delivered``): the same
#    content sealed again is not sent again
# 7: records may be erased (an earlier version, seeing no record done, would export them again),
#    and a record done that a run fails has a ``failed`` event (the upgrade appends one for each
#    record an earlier version failed with the files of before kept)
# 8: deliveries asked again (``--redeliver``) stay asked until delivered (``again``): an earlier
#    version would count one that failed as unchanged and never send it
# 9: ``offers-closed`` events are in the index of revocations and reissues (finding one written
#    before does not read the whole trail)
OFFER_EVENTS_INDEXED = 9  # the first layout whose index holds them
FAILED_EVENTS = 7  # the first layout whose failed records have their failed events

# The events of what the issuer did to an award's credentials after export: each has a detail.
# (offers-closed: offers closed for an award withdrawn or erased, a command having left them open,
# by ``serve`` or the command run again)
OFFER_ACTIONS = ("revoked", "reissued", "offers-closed")
# The events of an award taken back from the folder, and put back: each is a record's state too.
WITHDRAW_ACTIONS = ("withdrawn", "reinstated")
# The event before those of a record made again (its row, catalogue or settings changed): its detail says why.
REDONE = "redone"
# The event of a record done (or failed keeping its files of before) that a later run failed.
FAILED = "failed"
# The event of an award whose learner's personal data were erased (GDPR art. 17): a record's state too.
ERASED = "erased"
DETAIL_ACTIONS = OFFER_ACTIONS + WITHDRAW_ACTIONS + (REDONE, ERASED)
# The events whose details an erasure removes (a reason typed in); those of OFFER_ACTIONS stay.
ERASED_DETAILS = (*WITHDRAW_ACTIONS, REDONE)
# Records no run exports again: withdrawn until reinstated, erased for good.
HELD_BACK = ("withdrawn", ERASED)
# Every state a command writes: a record in another was changed by hand, out of every check.
STATES = ("done", FAILED, *WITHDRAW_ACTIONS, ERASED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY, input_hash TEXT NOT NULL, state TEXT NOT NULL, stage TEXT,
    outputs TEXT NOT NULL, error TEXT, created REAL NOT NULL, updated REAL NOT NULL, warnings TEXT,
    made_from TEXT);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    key TEXT NOT NULL, input_hash TEXT NOT NULL, output_hash TEXT NOT NULL,
    prev TEXT NOT NULL, hash TEXT NOT NULL, detail TEXT);
CREATE INDEX IF NOT EXISTS audit_offer_events ON audit (key, output_hash)
    WHERE action IN ('revoked', 'reissued', 'offers-closed');
CREATE TABLE IF NOT EXISTS deliveries (
    key TEXT NOT NULL, target TEXT NOT NULL, recipient TEXT, path TEXT NOT NULL,
    sha256 TEXT NOT NULL, state TEXT NOT NULL, target_id TEXT, error TEXT, updated REAL NOT NULL,
    run TEXT NOT NULL, held TEXT NOT NULL DEFAULT '', delivered TEXT,
    again INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (key, target));
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


@dataclass(frozen=True, slots=True)
class Pending:
    """A sealed credential waiting to be delivered to a target."""

    key: str
    recipient: str | None
    path: str
    sha256: str
    held: frozenset[str]  # "digest:recipient" of the versions (unsealed) the target may hold
    target_id: str | None = None  # the target's id of the last delivery confirmed
    delivered: str | None = None  # "digest:recipient" of the last delivery confirmed
    again: bool = False  # asked to be sent again (--redeliver), in this run or an earlier one, not yet done


@dataclass(frozen=True, slots=True)
class Entry:
    """A record in whatever state it is (done, failed, withdrawn, reinstated)."""

    key: str
    state: str
    input_hash: str
    outputs: dict[str, dict[str, str]]  # as written; see :func:`output_file` for where each is
    error: str | None


@dataclass(frozen=True, slots=True)
class Done:
    input_hash: str
    outputs: dict[str, dict[str, str]]  # format -> {"path": ..., "sha256": ...}
    warnings: tuple[str, ...] = ()  # as the record was made (none kept by journals of format 1)
    made_from: str | None = None  # its input in parts (none kept by journals before format 5)


def output_file(out_dir: Path, output: dict[str, str]) -> Path:
    """Where a recorded output is: by its place in the output folder (``file``), so the record
    holds whatever the working directory or the folder's spelling; records written before
    places were kept have only the path as given then."""
    place = output.get("file")
    if place and not Path(place).is_absolute() and ".." not in Path(place).parts:
        return out_dir / place
    return Path(output["path"])


def audit_actions(outputs: dict[str, Any]) -> list[str]:
    """The audit events of a record done with these outputs: issued, and sealed if it was."""
    return ["issued"] + (["sealed"] if "edc-sealed" in outputs else [])


def actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def json_encoder(**options: Any) -> Callable[[Any], str]:
    """``json.JSONEncoder(**options).encode``, with the C encoder it runs made once rather than
    at each call (``encode`` makes one for every value, which costs more than encoding a
    record's few fields): the same text, as it is the same encoder. Values are never
    circular here, so no marks are kept to find a cycle. Where the standard library has no
    C encoder, its ``encode``."""
    encoder = json.JSONEncoder(**options)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or encoder.indent is not None:
        return encoder.encode
    strings = json.encoder.encode_basestring_ascii if encoder.ensure_ascii else json.encoder.encode_basestring
    try:
        chunks = make(None, encoder.default, strings, None, encoder.key_separator, encoder.item_separator,
                      encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)
    except TypeError:  # a Python whose C encoder takes other arguments: its own encode
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    return encode


_EVENT_JSON = json_encoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_OUTPUTS_JSON = json_encoder(sort_keys=True)
_WARNINGS_JSON = json_encoder()  # json.dumps(warnings): ASCII, a lone surrogate too
_LOOK_UP = "SELECT state, input_hash, outputs, warnings, made_from, error FROM records WHERE key = ?"
_APPEND = ("INSERT INTO audit (time, actor, action, key, input_hash, output_hash, prev, hash, detail) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def audit_hash(prev: str, event: dict[str, Any]) -> str:
    """The event's hash, chained to ``prev``: the sha256 of ``prev`` followed by the event as
    sorted compact JSON (``_EVENT_JSON``) in UTF-8. An event of text alone, as a run writes
    it, is written by :func:`canonical_json` (the same bytes, in a fraction of the time);
    anything else (a field edited by hand into a number or bytes) as it always was, errors
    included."""
    if type(prev) is str and _text_only(event):
        try:
            text = canonical_json(event, floats=False)
        except UnicodeEncodeError:  # a lone surrogate: the error the whole text raises, below
            pass
        else:
            return hashlib.sha256(prev.encode("utf-8") + text).hexdigest()
    return hashlib.sha256((prev + _EVENT_JSON(event)).encode("utf-8")).hexdigest()


def _text_only(event: dict[str, Any]) -> bool:
    """Whether every field of ``event`` is a str (no subclass, whose JSON may differ)."""
    return all(type(value) is str for value in event.values())


class Journal:
    def __init__(self, path: Path, *, timeout: float = 5.0) -> None:
        """Open (or make) the journal. A folder or disk that cannot take it (full, read-only)
        raises OSError, as writing any file there would: the journal itself is sound and must
        be kept. A file that is no journal, or a damaged one, raises sqlite3.Error. ``timeout``:
        seconds to wait for another process writing to it (a run, as it commits)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._stamped: tuple[int | None, str] = (None, "")  # see :meth:`_stamp`
        self._read: tuple[str, tuple[Any, ...] | None] | None = None  # see :meth:`_look_up`
        make_private(path)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=timeout)
        try:
            written_as = self._prepare()
            self.actor = actor()
            self._last_hash = self._stored_head()
            if written_as < FORMAT:
                self._upgrade(written_as)
        except sqlite3.Error as exc:
            self.db.close()
            raise _as_os_error(exc) from exc
        self.run = f"{time.time_ns()}-{os.getpid()}"  # deliveries are made for this run's records only
        # a journal opened without records holds none of an earlier run (see :meth:`done`)
        self._earlier = self.db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is not None

    @classmethod
    def for_folder(cls, out_dir: Path) -> Journal:
        return cls(out_dir / JOURNAL_NAME)

    def _prepare(self) -> int:
        """Open the journal's tables, adding what an earlier layout lacks; the layout it was
        written in."""
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        written_as = self.db.execute("PRAGMA user_version").fetchone()[0]
        if written_as > FORMAT:
            raise sqlite3.DatabaseError(
                f"written by a newer edcbridge (journal format {written_as}; this version knows "
                f"{FORMAT}): run that version or a later one on this folder")
        self.db.executescript(_SCHEMA)
        if written_as < FORMAT:
            _add_missing_columns(self.db)
            _note_delivered_versions(self.db)  # also of journals kept before layouts were numbered (0)
        return int(written_as)

    def _upgrade(self, written_as: int) -> None:
        """Note the layout, with, for a journal written before failed events, one for each record
        failed with the files of its earlier version kept, and, for one written before
        ``offers-closed`` events were indexed, the index that holds them, in one transaction."""
        with self._all_or_nothing():
            # another process may have upgraded it since it was read
            upgraded = self.db.execute("PRAGMA user_version").fetchone()[0] >= FORMAT
            if written_as < FAILED_EVENTS and not upgraded:
                rows = self.db.execute("SELECT key, input_hash, outputs FROM records "
                                       "WHERE state = 'failed' AND outputs != '{}'").fetchall()
                now = time.time()
                for key, input_hash, outputs in rows:
                    self._audit(now, FAILED, key, input_hash, hashlib.sha256(outputs.encode()).hexdigest())
            if written_as < OFFER_EVENTS_INDEXED and not upgraded:
                _index_offer_events(self.db)
            self.db.execute(f"PRAGMA user_version = {FORMAT}")
        self.commit()

    def done(self, key: str) -> Done | None:
        """The record of an earlier run that made ``key``, when it is done. A run looks a key up
        before it works on it and claims each key once (``runner.names``), so when the journal
        held no records as it was opened, there is nothing to look up: a fresh run of a
        million awards saves a million queries."""
        if not self._earlier:
            return None
        row = self._look_up(key)
        if row is None or row[0] != "done":
            return None
        outputs = json.loads(row[2])
        for output in outputs.values():  # spelt as this run names the folder
            output["path"] = str(output_file(self.path.parent, output))
        return Done(row[1], outputs, tuple(json.loads(row[3])) if row[3] else (), row[4])

    def held_back(self, key: str) -> tuple[str, str] | None:
        """Whether ``key`` is withdrawn or erased, and the note saying when, by whom and why;
        None when it is neither. Like :meth:`done`, asks nothing of a fresh journal."""
        if not self._earlier:
            return None
        row = self._looked_up(key)
        return None if row is None or row[0] not in HELD_BACK else (str(row[0]), str(row[5] or row[0]))

    def kept(self, key: str) -> dict[str, dict[str, str]] | None:
        """The outputs a record done in an earlier run kept when a later run failed it (its files
        stay in the folder, in their earlier version); None when ``key`` is not such a record.
        Like :meth:`done`, asks nothing of a fresh journal."""
        if not self._earlier:
            return None
        row = self._looked_up(key)
        self._read = None  # the last of the three a run asks
        if row is None or row[0] != FAILED or row[2] == "{}":
            return None
        outputs: dict[str, dict[str, str]] = json.loads(row[2])
        for output in outputs.values():  # spelt as this run names the folder
            output["path"] = str(output_file(self.path.parent, output))
        return outputs or None

    def _look_up(self, key: str) -> tuple[Any, ...] | None:
        """The record of ``key`` (:data:`_LOOK_UP`'s columns), read from the journal and kept
        for :meth:`held_back` and :meth:`kept`: a run asks :meth:`done`, then those two, of
        each key it has not done, which one query answers as three did."""
        row: tuple[Any, ...] | None = self.db.execute(_LOOK_UP, (key,)).fetchone()
        self._read = (key, row)
        return row

    def _looked_up(self, key: str) -> tuple[Any, ...] | None:
        """The record of ``key`` as :meth:`_look_up` last read it, with nothing written or
        committed since; else read now."""
        if self._read is not None and self._read[0] == key:
            return self._read[1]
        return self._look_up(key)

    def spelling(self, key: str) -> str:
        """``key`` as the journal holds it when it holds it in the other Unicode normal form (an
        award id with an accent typed as one character in one export and as a letter and a
        combining accent in the next, from another system): one award, not two; else ``key``."""
        if key.isascii() or not self._earlier:
            return key
        for form in ("NFC", "NFD"):
            other = unicodedata.normalize(form, key)
            if other != key and self._looked_up(key) is None and self._look_up(other) is not None:
                return other
        return key

    def entry(self, key: str) -> Entry | None:
        row = self.db.execute("SELECT state, input_hash, outputs, error FROM records WHERE key = ?",
                              (key,)).fetchone()
        return None if row is None else Entry(key, row[0], row[1], json.loads(row[2]), row[3])

    def keys(self) -> list[str]:
        """The keys of every record, in order."""
        return [key for (key,) in self.db.execute("SELECT key FROM records ORDER BY key").fetchall()]

    def keys_of_award(self, award_id: str) -> list[str]:
        """The keys (``issuer/award_id``) of the records of an award id, whatever the issuer. An
        issuer key holds no ``/``, so the award id is all after the first: ``0031`` is not
        ``UW/MK/2025/0031``."""
        rows = self.db.execute("SELECT key FROM records WHERE substr(key, instr(key, '/') + 1) = ? "
                               "ORDER BY key", (award_id,)).fetchall()
        return [key for (key,) in rows]

    def deliveries_of(self, key: str) -> dict[str, str]:
        """The state of each wallet delivery of ``key``, by target."""
        rows = self.db.execute("SELECT target, state FROM deliveries WHERE key = ? ORDER BY target", (key,))
        return dict(rows.fetchall())

    def delivered_to(self, address: str) -> dict[str, bool]:
        """The keys of which a delivery's address was kept: whether one was to ``address``
        (letter case and surrounding spaces ignored)."""
        wanted, found = address.casefold(), dict[str, bool]()
        rows = self.db.execute("SELECT key, recipient FROM deliveries WHERE recipient IS NOT NULL")
        for key, recipient in rows:
            found[key] = found.get(key, False) or str(recipient).strip().casefold() == wanted
        return found

    def not_erased(self) -> list[str]:
        """The keys of the records not erased, in order."""
        rows = self.db.execute("SELECT key FROM records WHERE state != ? ORDER BY key", (ERASED,))
        return [key for (key,) in rows]

    def erased(self) -> list[str]:
        """The keys of the records erased, in order."""
        rows = self.db.execute("SELECT key FROM records WHERE state = ? ORDER BY key", (ERASED,))
        return [key for (key,) in rows]

    def set_withdrawal(self, action: str, key: str, outputs: dict[str, dict[str, str]],
                       note: str | None, detail: str) -> str:
        """Withdraw (``action`` ``withdrawn``) or reinstate (``reinstated``) the record of ``key``:
        its state, its ``outputs`` (where its files now are), ``note`` (said by a run that meets
        the award again) and the event, with ``detail`` (JSON text: who, when, why, what), all
        in one transaction, committed here; a withdrawal also cancels the deliveries not made.
        Returns the event's ``SEQ:SHA256``; raises KeyError when there is no such record."""
        if action not in WITHDRAW_ACTIONS:
            raise ValueError(f"{action!r} is not a withdrawal")
        with self._all_or_nothing():
            row = self.db.execute("SELECT input_hash FROM records WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            now = time.time()
            self.db.execute("UPDATE records SET state = ?, stage = NULL, outputs = ?, error = ?, updated = ? "
                            "WHERE key = ?", (action, json.dumps(outputs, sort_keys=True), note, now, key))
            if action == "withdrawn":  # a delivery under way ("sending") may have arrived: kept
                self.db.execute("UPDATE deliveries SET state = 'cancelled', error = ?, updated = ? "
                                "WHERE key = ? AND state IN ('pending', 'failed')", (note, now, key))
            self._audit(now, action, key, str(row[0]), detail_digest(detail), detail)
            seq = self.db.execute("SELECT max(seq) FROM audit").fetchone()[0]
            head = f"{seq}:{self._last_hash}"
        self.commit()
        return head

    def erase(self, key: str, note: str, detail: str) -> str:
        """Erase the personal data the journal holds of ``key`` (GDPR art. 17): its record becomes
        ``erased`` (no files, no errors or warnings quoting its row, ``note`` instead), each of its
        deliveries keeps only its target and state ``erased`` (no address, no wallet id, no
        error), and an ``erased`` event with ``detail`` (JSON text without personal data) is
        appended, all in one transaction, committed here. What was overwritten is zeroed in the
        file and the write-ahead log folded in, so no copy of it stays on disk. Returns the
        event's ``SEQ:SHA256``; raises KeyError when there is no such record."""
        self.db.execute("PRAGMA secure_delete = ON")
        with self._all_or_nothing():
            row = self.db.execute("SELECT input_hash FROM records WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            now = time.time()
            self.db.execute("UPDATE records SET state = ?, stage = NULL, outputs = '{}', error = ?, "
                            "warnings = NULL, made_from = NULL, updated = ? WHERE key = ?",
                            (ERASED, note, now, key))
            self._scrub_deliveries(key, now)
            self._drop_details(key)
            self._audit(now, ERASED, key, str(row[0]), detail_digest(detail), detail)
            seq = self.db.execute("SELECT max(seq) FROM audit").fetchone()[0]
            head = f"{seq}:{self._last_hash}"
        self.commit()
        self.fold_log()
        return head

    def scrub_erased(self, key: str) -> None:
        """Of a record erased already: overwrite again what a run or a hand may have written of
        it since (a delivery row put back from a copy), committed and folded in; no event."""
        self.db.execute("PRAGMA secure_delete = ON")
        self._begin()
        self._scrub_deliveries(key, time.time())
        self.commit()
        self.fold_log()

    def _scrub_deliveries(self, key: str, now: float) -> None:
        self.db.execute("UPDATE deliveries SET state = ?, recipient = NULL, path = '', held = '', "
                        "delivered = NULL, target_id = NULL, error = NULL, again = 0, updated = ? "
                        "WHERE key = ?",
                        (ERASED, now, key))

    def _drop_details(self, key: str) -> None:
        """Remove the details of the award's earlier withdrawals, reinstatements and redone events
        (a reason typed in; a CLR named by the learner's id, by earlier versions): each stays bound to its
        event by its sha256, the output hash, so the chain holds; ``audit verify`` accepts a
        detail gone only before the award's ``erased`` event. Those of revocations and reissues
        (status list entries, no personal data) stay, for a revocation must stay accountable.
        The trail is otherwise append-only: its guard is lifted in this transaction alone."""
        self.db.execute("DROP TRIGGER IF EXISTS audit_no_update")
        self.db.execute("UPDATE audit SET detail = NULL WHERE key = ? AND action IN (?, ?, ?)",
                        (key, *ERASED_DETAILS))
        self.db.execute("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
                        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END")

    def fold_log(self) -> bool:
        """Fold the write-ahead log into the journal and empty it, so the pages it held (data
        overwritten since) are gone from disk; False when a reader kept it from being emptied."""
        busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def _stored_head(self) -> str:
        row = self.db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return str(row[0]) if row else GENESIS

    def _begin(self) -> None:
        self._read = None  # a record read before may be written now
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            # the chain goes on from the trail as it is now, not as it was when the journal
            # was opened: whoever appended since is followed, never forked from
            self._last_hash = self._stored_head()

    @property
    def staging(self) -> bool:
        """Whether changes wait for :meth:`commit` (False once an error undid them)."""
        return self.db.in_transaction

    def record(self, key: str, input_hash: str, state: str, stage: str | None,
               outputs: dict[str, dict[str, str]], error: str | None, actions: list[str],
               warnings: Sequence[str] = (), made_from: str | None = None,
               redone: str | None = None) -> None:
        """Stage a record's new state and its audit events, all or nothing (a Ctrl-C between
        them must not leave a record without its events); durable at :meth:`commit`. The
        warnings, and what the input was made from, are kept beside the outputs, outside the
        audit event's hash. ``redone``: why a record done earlier is made again, a ``redone``
        event's detail (bound to the chain as its output hash) before its other events."""
        with self._all_or_nothing():
            if redone is not None:
                detail = json.dumps({"why": redone}, sort_keys=True, separators=(",", ":"))
                self._audit(time.time(), REDONE, key, input_hash, detail_digest(detail), detail)
            if state == FAILED:
                self._failed_event(key, input_hash)
            self._record(key, input_hash, state, stage, outputs, error, actions, warnings, made_from)

    def _failed_event(self, key: str, input_hash: str) -> None:
        """A ``failed`` event when a record done is failed (its files of before stay in the
        folder, and the record keeps them), or a failed one keeping them fails from another
        input: ``audit verify`` then holds its state to the trail. Its output hash is that of
        the outputs kept. Asks nothing of a fresh journal."""
        if not self._earlier:
            return
        row = self.db.execute("SELECT state, input_hash, outputs FROM records WHERE key = ?",
                              (key,)).fetchone()
        if row is None or row[2] == "{}":
            return
        state, earlier_input, kept = row
        if state == "done" or (state == FAILED and earlier_input != input_hash):
            self._audit(time.time(), FAILED, key, input_hash, hashlib.sha256(kept.encode()).hexdigest())

    def _all_or_nothing(self) -> _Together:
        """Statements staged together (a state and its audit events): an exception or a Ctrl-C
        part way undoes them all, and the audit chain's head with them."""
        return _Together(self)

    def _record(self, key: str, input_hash: str, state: str, stage: str | None,
                outputs: dict[str, dict[str, str]], error: str | None, actions: list[str],
                warnings: Sequence[str], made_from: str | None) -> None:
        now = time.time()
        outputs_json = _OUTPUTS_JSON(outputs)
        warnings_json = _WARNINGS_JSON(list(warnings)) if warnings else None
        self.db.execute(
            "INSERT INTO records (key, input_hash, state, stage, outputs, error, created, updated, "
            "warnings, made_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
            "input_hash = excluded.input_hash, state = excluded.state, stage = excluded.stage, "
            # a record done (or failed so) that now fails keeps the files of its earlier version,
            # still in the folder: made again, it is redone (see :meth:`kept`)
            "outputs = CASE WHEN excluded.state = 'failed' AND records.state IN ('done', 'failed') "
            "THEN records.outputs ELSE excluded.outputs END, "
            "error = excluded.error, updated = excluded.updated, "
            "warnings = excluded.warnings, made_from = excluded.made_from",
            (key, input_hash, state, stage, outputs_json, error, now, now, warnings_json, made_from))
        output_hash = hashlib.sha256(outputs_json.encode()).hexdigest()
        if actions:  # a record's events in one statement (issued, then sealed)
            events, head = self._events(now, actions, key, input_hash, output_hash)
            self.db.executemany(_APPEND, events)
            self._last_hash = head

    def _audit(self, now: float, action: str, key: str, input_hash: str, output_hash: str,
               detail: str | None = None) -> None:
        """Append an event. Its ``detail`` (of a revocation, reissue, withdrawal or reinstatement)
        is outside the hash the chain is made of, and bound to it by ``output_hash``, which is
        then its sha256."""
        events, head = self._events(now, (action,), key, input_hash, output_hash, detail)
        self.db.execute(_APPEND, events[0])
        self._last_hash = head

    def _events(self, now: float, actions: Sequence[str], key: str, input_hash: str, output_hash: str,
                detail: str | None = None) -> tuple[list[tuple[str | None, ...]], str]:
        """The rows of events appended in this order after the chain's head, each chained to
        the one before, and the hash of the last (the head once they are in)."""
        stamp = self._stamp(now)
        prev = self._last_hash
        rows: list[tuple[str | None, ...]] = []
        for action in actions:
            digest = audit_hash(prev, {"time": stamp, "actor": self.actor, "action": action, "key": key,
                                       "input_hash": input_hash, "output_hash": output_hash})
            rows.append((stamp, self.actor, action, key, input_hash, output_hash, prev, digest, detail))
            prev = digest
        return rows, prev

    def _stamp(self, now: float) -> str:
        """An event's time, to the second, in UTC: made once a second, not once an event (a
        record's events, and the records of a batch, share it)."""
        second = int(now)
        if second != self._stamped[0]:
            self._stamped = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
        return self._stamped[1]

    def record_offer_event(self, action: str, key: str, detail: str) -> str | None:
        """Append and commit a ``revoked``, ``reissued`` or ``offers-closed`` event of the award
        ``key``, with what was done as ``detail`` (JSON text: who, when, why, what); returns its
        ``SEQ:SHA256``.

        The event's input hash is the record's, as for a delivery; its output hash is the
        detail's sha256, which ties the detail to the chain. An event of this very detail in
        the trail already (another process wrote it, or this one did and then could not note
        so in the offers file) is not appended again: its ``SEQ:SHA256`` is returned. None,
        and nothing appended, when the journal holds no record of ``key`` (it was made anew
        since the award was offered): an event of no record reads as one added by hand."""
        if action not in OFFER_ACTIONS:
            raise ValueError(f"{action!r} is not an event with a detail")
        output_hash = detail_digest(detail)
        found: str | None = None
        with self._all_or_nothing():  # looked up and appended in one write transaction
            row = self.db.execute(
                f"SELECT seq, hash FROM audit WHERE {_OFFER_EVENT} AND key = ? AND output_hash = ? "
                "AND action = ?", (key, output_hash, action)).fetchone()
            if row is not None:
                found = f"{row[0]}:{row[1]}"
            else:
                record = self.db.execute("SELECT input_hash FROM records WHERE key = ?", (key,)).fetchone()
                if record is not None:
                    self._audit(time.time(), action, key, str(record[0]), output_hash, detail)
                    seq = self.db.execute("SELECT max(seq) FROM audit").fetchone()[0]
                    found = f"{seq}:{self._last_hash}"
        self.commit()
        return found

    def queue_delivery(self, key: str, target: str, recipient: str | None, path: str, sha256: str,
                       again: bool = False) -> None:
        """Stage a sealed credential of this run for delivery to ``target``, unless that very
        file (same digest, same recipient) was delivered there already and it is not asked
        ``again`` (the learner removed it from the wallet); durable at :meth:`commit`.

        Delivery states: pending; sending (a request was made and its outcome is not known);
        delivered; failed; cancelled (its record was withdrawn; queued again once it is exported
        anew). ``held`` keeps the digests of the versions the target may hold: delivered, or sent
        with the outcome unknown. A delivery asked ``again`` stays asked until it is delivered:
        a run without the option still sends it."""
        self._begin()
        self.db.execute(
            "INSERT INTO deliveries (key, target, recipient, path, sha256, state, updated, run, again) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT(key, target) DO UPDATE SET "
            "recipient = excluded.recipient, path = excluded.path, sha256 = excluded.sha256, "
            "state = 'pending', error = NULL, updated = excluded.updated, "
            "run = excluded.run, again = max(deliveries.again, excluded.again) "
            "WHERE deliveries.state != 'delivered' OR deliveries.sha256 != excluded.sha256 "
            "OR deliveries.recipient IS NOT excluded.recipient OR excluded.again",
            (key, target, recipient, path, sha256, time.time(), self.run, int(again)))

    def pending_deliveries(self, target: str, after: str = "", limit: int = 256) -> list[Pending]:
        """The next credentials (by key, after ``after``) that this run queued for ``target`` and
        that are not delivered yet; what earlier runs left pending waits for a run that handles
        its record again (it may have been withdrawn from the input since)."""
        rows = self.db.execute(
            "SELECT key, recipient, path, sha256, held, target_id, delivered, again FROM deliveries "
            "WHERE target = ? AND run = ? AND key > ? AND state != 'delivered' ORDER BY key LIMIT ?",
            (target, self.run, after, limit)).fetchall()
        return [Pending(key, recipient, path, sha256, frozenset(held.split()), target_id, delivered,
                        bool(again))
                for key, recipient, path, sha256, held, target_id, delivered, again in rows]

    def sending(self, item: Pending, target: str, held: frozenset[str]) -> None:
        """Committed before the request: should its outcome be lost, the next run knows what
        the target may hold."""
        self._set_delivery(item, target, "sending", None, None, held)
        self.commit()

    def delivery_outcome(self, item: Pending, target: str, state: str, target_id: str | None,
                         error: str | None, held: frozenset[str], version: str | None = None,
                         sent: bool = True) -> None:
        """Record ``delivered``, ``failed`` (nothing stored) or ``sending`` (outcome unknown);
        a delivery is an audit event whose output hash is ``version``, the sha256 of the
        unsealed credential the wallet holds (none when nothing was ``sent``: the wallet holds
        that version from an earlier delivery). Commits at once: a request to someone else's
        system must not be forgotten."""
        with self._all_or_nothing():
            now = self._set_delivery(item, target, state, target_id, error, held)
            if state == "delivered" and version and item.recipient:
                self.db.execute("UPDATE deliveries SET delivered = ?, again = 0 WHERE key = ? AND target = ?",
                                (f"{version}:{item.recipient.lower()}", item.key, target))
            if state == "delivered" and sent:
                row = self.db.execute("SELECT input_hash FROM records WHERE key = ?", (item.key,)).fetchone()
                self._audit(now, "delivered", item.key, row[0] if row else "", version or item.sha256)
        self.commit()

    def _set_delivery(self, item: Pending, target: str, state: str, target_id: str | None,
                      error: str | None, held: frozenset[str]) -> float:
        if state not in ("sending", "delivered", "failed"):
            raise ValueError(f"unknown delivery state {state!r}")
        self._begin()
        now = time.time()
        self.db.execute(
            "UPDATE deliveries SET state = ?, target_id = COALESCE(?, target_id), error = ?, held = ?, "
            "updated = ? WHERE key = ? AND target = ?",
            (state, target_id, error, " ".join(sorted(held)), now, item.key, target))
        return now

    def commit(self) -> None:
        """Make what is staged durable; on an error (a full disk) nothing of it is kept, and
        :attr:`staging` is False."""
        self._read = None  # a record read in the transaction may be undone
        if not self.db.in_transaction:
            return
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self._last_hash = self._stored_head()
            raise

    def close(self, *, fold_log: bool = False) -> None:
        """Commit and close; with ``fold_log`` (a run, or a command that changed the folder,
        at its end), fold the write-ahead log in and empty it first. SQLite removes the log
        only as the last connection closes: a reader open meanwhile (``audit verify``) would
        leave it, and a log left with no run holding the folder is what a killed run leaves. A
        reader's snapshot is waited for up to ``FOLD_WAIT`` seconds (a service appending one
        event at a time does not fold, so it never waits for one)."""
        try:
            self.commit()
            if fold_log:
                with contextlib.suppress(sqlite3.Error):  # all is committed: the next writer folds it in
                    self.db.execute(f"PRAGMA busy_timeout = {int(FOLD_WAIT * 1000)}")
                    self.fold_log()
        finally:  # a Ctrl-C while a reader is waited for, too
            self.db.close()

    def head(self) -> str:
        """The last event's number and hash, ``SEQ:SHA256``: noted outside the folder, it lets
        ``audit verify --head`` find events cut off the end later."""
        row = self.db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return f"{row[0]}:{row[1]}" if row else f"0:{GENESIS}"

    def outputs_in_folder(self) -> Iterator[tuple[str, str]]:
        """The key and outputs (JSON text, see :meth:`done`) of every record whose files are in
        this folder, by any run: done, or failed keeping the files of its earlier version (see
        :meth:`kept`), which are credentials of the folder too while one is left (its error
        offers to delete them) (streamed)."""
        for key, state, outputs in self.db.execute(
                "SELECT key, state, outputs FROM records WHERE state = 'done' "
                "OR (state = 'failed' AND outputs <> '{}')"):
            if state == "done" or any(output_file(self.path.parent, output).is_file()
                                      for output in json.loads(outputs).values()):
                yield key, outputs

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, COUNT(*) FROM records GROUP BY state").fetchall())

    def audit_events(self) -> Iterator[dict[str, Any]]:
        """The events as :func:`shown_events` gives them."""
        yield from shown_events(self.db)


# The condition of the index of the events with a detail that ``record_offer_event`` looks up
# (one of a trail of millions): a query naming it has SQLite use the index.
_OFFER_EVENT = "action IN ('revoked', 'reissued', 'offers-closed')"


def _index_offer_events(db: sqlite3.Connection) -> None:
    """The index of the events ``record_offer_event`` looks up, made again over every such
    event: that of a journal before format 9 leaves ``offers-closed`` events out."""
    db.execute("DROP INDEX IF EXISTS audit_offer_events")
    db.execute(f"CREATE INDEX audit_offer_events ON audit (key, output_hash) WHERE {_OFFER_EVENT}")


class _Together:
    """See :meth:`Journal._all_or_nothing` (a class: a generator's context manager costs more
    per record)."""

    __slots__ = ("journal", "last_hash")

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.last_hash = ""

    def __enter__(self) -> None:
        journal = self.journal
        journal._begin()
        journal.db.execute("SAVEPOINT together")
        self.last_hash = journal._last_hash

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        journal = self.journal
        if kind is None:
            journal.db.execute("RELEASE together")
        elif journal.db.in_transaction:
            journal.db.execute("ROLLBACK TO together")
            journal.db.execute("RELEASE together")
            journal._last_hash = self.last_hash
        else:  # the error undid the whole transaction (a full disk, say)
            journal._last_hash = journal._stored_head()


AUDIT_COLUMNS = ("seq", "time", "actor", "action", "key", "input_hash", "output_hash", "prev", "hash")


def detail_digest(detail: str) -> str:
    """The output hash of an event with this detail."""
    return hashlib.sha256(detail.encode("utf-8")).hexdigest()


def _detail_column(db: sqlite3.Connection) -> str:
    """``detail``, or NULL for a journal written before events had details (read, not changed)."""
    has = any(row[1] == "detail" for row in db.execute("PRAGMA table_info(audit)"))
    return "detail" if has else "NULL"


def shown_events(db: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """The audit events in order, as ``edcbridge audit show`` prints them: each event's columns,
    and for a revocation, reissue, withdrawal or reinstatement its ``detail`` too, as the JSON
    object it is (who did it, when, why, the status list entries, offers or files it concerned),
    so that it reads as a part of the line and not as a string of escaped JSON. A detail that
    is not JSON (edited by hand) is shown as the text it is, and a field edited into bytes as
    Python writes them (no JSON holds bytes); ``audit verify`` says it no longer matches its event."""
    for row in db.execute(f"SELECT {', '.join(AUDIT_COLUMNS)}, {_detail_column(db)} FROM audit ORDER BY seq"):
        event = {name: repr(value) if isinstance(value, bytes) else value
                 for name, value in zip(AUDIT_COLUMNS, row[:-1], strict=True)}
        detail = row[-1]
        if detail is not None:
            try:
                event["detail"] = json.loads(detail)
            except (TypeError, ValueError):
                event["detail"] = detail if isinstance(detail, str) else repr(detail)
        yield event


_ENVIRONMENT = {  # the folder or its disk, not the journal, is at fault: the errno it stands for
    sqlite3.SQLITE_FULL: errno.ENOSPC, sqlite3.SQLITE_IOERR: errno.EIO,
    sqlite3.SQLITE_CANTOPEN: errno.EACCES, sqlite3.SQLITE_READONLY: errno.EROFS,
    sqlite3.SQLITE_PERM: errno.EACCES}


def _as_os_error(exc: sqlite3.Error) -> Exception:
    """``exc`` as an OSError when the folder or its disk is at fault (full, read-only);
    else ``exc`` itself (the file is no journal, or is damaged)."""
    code = _ENVIRONMENT.get(_primary(exc))
    return exc if code is None else OSError(code, str(exc))


def _primary(exc: sqlite3.Error) -> int:
    """SQLite's primary result code of ``exc`` (SQLITE_IOERR for SQLITE_IOERR_SHMSIZE...)."""
    return int(getattr(exc, "sqlite_errorcode", 0)) & 0xFF


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """The columns a journal of an earlier version lacks, added (nullable, or with their
    default): a tool upgraded between runs goes on with the folder."""
    model = sqlite3.connect(":memory:")
    try:
        model.executescript(_SCHEMA)
        for table in ("records", "audit", "deliveries"):
            have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for _, name, kind, not_null, default, _ in model.execute(f"PRAGMA table_info({table})"):
                if name not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {_column(name, kind, not_null, default)}")
    finally:
        model.close()


def _note_delivered_versions(db: sqlite3.Connection) -> None:
    """The version each delivery journaled before format 6 confirmed: of a delivery, the only
    version its recipient's wallet may hold (a confirmed delivery leaves no other). A new
    journal has no deliveries, so nothing to fill."""
    rows = db.execute("SELECT key, target, recipient, held FROM deliveries "
                      "WHERE state = 'delivered' AND delivered IS NULL AND recipient IS NOT NULL").fetchall()
    for key, target, recipient, held in rows:
        mine = [entry for entry in held.split() if entry.partition(":")[2] == recipient.lower()]
        if len(mine) == 1:
            db.execute("UPDATE deliveries SET delivered = ? WHERE key = ? AND target = ?",
                       (mine[0], key, target))


def _column(name: str, kind: str, not_null: int, default: str | None) -> str:
    if default is None:
        return f"{name} {kind}"  # NOT NULL cannot be added without a default
    return f"{name} {kind}{' NOT NULL' if not_null else ''} DEFAULT {default}"


@dataclass(frozen=True)
class AuditCheck:
    events: int
    problems: list[str]
    head: str = f"0:{GENESIS}"  # the last event's number and hash: note it to find events cut off

    @property
    def intact(self) -> bool:
        return not self.problems


_MAX_LISTED = 20


def verify_audit(path: Path, heads: tuple[tuple[int, str], ...] = (),
                 noted: Sequence[tuple[Path, tuple[int, str]]] = ()) -> AuditCheck:
    """Recompute the hash chain; any edited, removed or reordered event breaks it.

    Events cut off the end leave a sound chain, so the trail is also held to the records
    (every record done has its issued, and if sealed its sealed, event; every event is of a
    record; every delivery the deliveries table holds as made has its delivered event; every file
    of a record done, or kept from an earlier run by a record failed, that is in the folder is
    the one issued) and to ``heads`` noted earlier
    (event number and hash, as the run reports print them: ``--head`` values, and in
    ``noted`` each file that holds one, with its head). A file a run holding the folder
    remakes meanwhile is judged by what that run journals for it (see :func:`_journaled_since`). The
    detail of a revocation, reissue, withdrawal or reinstatement must be there and
    match its event's output hash, a record withdrawn (or reinstated) must have that event as
    its last such one, and a record whose last such event withdrew it must be withdrawn. Events
    appended with their hashes recomputed, for records that exist, cannot be told from real
    ones: the chain has no secret. Rows are read as a stream: a trail of millions keeps only a
    small digest per event in memory.
    """
    if not path.is_file():
        return AuditCheck(0, [f"no journal at {path}"])
    try:
        wanted = [(seq, head, "with --head") for seq, head in heads] + \
            [(seq, head, f"in {where}") for where, (seq, head) in noted]
        held_before = _run_holds(path.parent)
        chain, strays, (unlogged, more), unmarked, unlogged_deliveries, (unlike, not_kept) = _read_trail(
            path, tuple((s, h) for s, h, _ in wanted))
        still_held = False
        if unlike and (held_before or _run_holds(path.parent) or _grown(path, chain.last)):
            unlike, still_held = _journaled_since(path, unlike, chain.last, chain.prev)
    except sqlite3.Error as exc:
        return AuditCheck(0, [_unreadable(path, exc)])
    problems = chain.listed()
    for seq, head, where in wanted:
        found = chain.hashes.get(seq) if seq else GENESIS  # event 0 is the empty trail
        if found != head:
            problems.append(f"event {seq} noted as {head[:16]}... {where} is "
                            + (f"{found[:16]}... now" if found else "gone (events removed)"))
    # a record is never deleted, so an event of no record was added by hand (hashes recomputed)
    problems += [f"event {seq} ({action} {key}): no such record in the journal (an event added later?)"
                 for seq, action, key in strays[:_MAX_LISTED]]
    if len(strays) > _MAX_LISTED:
        problems.append("... and more events of no record")
    problems += unlogged
    if more:
        problems.append(f"... and {more} more records without their events")
    problems += unmarked
    problems += unlogged_deliveries
    problems += _not_as_issued(unlike, not_kept, path.parent,
                               _fix_for_files(still_held, not still_held and _has_log(path)))
    return AuditCheck(chain.events, problems, f"{chain.last}:{chain.prev}")


def _read_trail(path: Path, heads: tuple[tuple[int, str], ...]
                ) -> tuple[_Chain, list[tuple[int, str, str]], tuple[list[str], int], list[str],
                           list[str], tuple[list[_Unlike], int]]:
    """The chain checked, the events of no record, the records done without their events, the
    records withdrawn or reinstated without it as their last such event, and the deliveries
    made without their event and the files of records done that are not as issued."""
    db = open_read_only(path)
    try:
        db.execute("BEGIN")  # one snapshot: a run committing meanwhile adds records and events together
        chain = _Chain({seq for seq, _ in heads})
        for row in db.execute("SELECT seq, time, actor, action, key, input_hash, output_hash, prev, hash, "
                              f"{_detail_column(db)} FROM audit ORDER BY seq"):
            chain.add(*row)
        strays = _strays(db, chain.erased)
        unlogged = _unlogged(db.execute("SELECT key, input_hash, outputs FROM records WHERE state = 'done'"),
                             chain.recorded)
        unmarked_failures = _failed_without_event(db, chain.recorded)
        unmarked = _unmarked(db, chain.withdrawals, chain.erased) + unmarked_failures + _unknown_states(db)
        unlogged_deliveries = _deliveries_without_event(db, chain.delivered) + \
            _deliveries_gone(db, chain.erased, path.parent)
        changed = _files_changed(db.execute("SELECT key, outputs, state FROM records WHERE state IN (?, ?)",
                                            ("done", FAILED)), path.parent)
    finally:
        db.close()
    return chain, strays, unlogged, unmarked, unlogged_deliveries, changed


def _failed_without_event(db: sqlite3.Connection, recorded: set[bytes]) -> list[str]:
    """Records failed keeping the files of an earlier version without the ``failed`` event of
    that state (that event binds the outputs kept, whose sha256 the files are checked against, to
    the trail: a record done turned failed by hand could hold outputs edited to match files
    replaced). A journal written before such events is read as it is."""
    if int(db.execute("PRAGMA user_version").fetchone()[0]) < FAILED_EVENTS:
        return []
    rows = db.execute("SELECT key, input_hash, outputs FROM records WHERE state = ? AND outputs != '{}' "
                      "ORDER BY key", (FAILED,))
    unmarked = (key for key, input_hash, outputs in rows
                if _event_digest(FAILED, key, input_hash, _outputs_digest(outputs)) not in recorded)
    return _first_listed((f"record {key} is failed, keeping the files of an earlier run, but has no failed "
                          "event of that state in the trail (events removed, or its state changed by hand?)"
                          for key in unmarked), "... and more failed records without their event")


def _unknown_states(db: sqlite3.Connection) -> list[str]:
    """Records in a state no command writes: each check holds a record by its state (a record
    done to its events and files), so a record done moved to another by hand would leave them all."""
    rows = db.execute(f"SELECT key, state FROM records WHERE state NOT IN ({', '.join('?' * len(STATES))}) "
                      "ORDER BY key", STATES)
    return _first_listed((f"record {key} is in state {state!r}, which no edcbridge command writes (changed "
                          "by hand?): its events and files are not checked; restore the journal from a copy"
                          for key, state in rows),
                         "... and more records in a state no edcbridge command writes")


def _first_listed(lines: Iterable[str], more: str) -> list[str]:
    """The first of ``lines`` a verdict lists, then ``more`` when there are others."""
    found = list(itertools.islice(lines, _MAX_LISTED + 1))
    return [*found[:_MAX_LISTED], more] if len(found) > _MAX_LISTED else found


def _strays(db: sqlite3.Connection, erased: dict[str, int]) -> list[tuple[int, str, str]]:
    """The first events of no record in the journal: added by hand, since a record is never
    deleted, but for one whose learner's data were erased (its ``erased`` event says so)."""
    found: list[tuple[int, str, str]] = []
    for seq, action, key in db.execute("SELECT seq, action, key FROM audit WHERE key NOT IN "
                                       "(SELECT key FROM records) ORDER BY seq"):
        if key in erased:
            continue
        found.append((seq, action, key))
        if len(found) > _MAX_LISTED:
            break
    return found


def _unmarked(db: sqlite3.Connection, withdrawals: dict[str, tuple[str, int]],
              erased: dict[str, int]) -> list[str]:
    """Records withdrawn, reinstated or erased whose last withdrawal event (or erased event) in
    the trail is not that (the event was cut off the end, which leaves the chain sound), and
    records withdrawn by the trail's last such event but in another state."""
    rows = db.execute("SELECT key, state FROM records WHERE state IN (?, ?, ?) ORDER BY key",
                      (*WITHDRAW_ACTIONS, ERASED))
    found = [(key, state) for key, state in rows
             if (key not in erased if state == ERASED else withdrawals.get(key, ("", 0))[0] != state)]
    listed = [f"record {key} is {state} but its {state} event is not in the trail (events removed?)"
              for key, state in found[:_MAX_LISTED]]
    more = len(found) - len(listed)
    return (listed + ([f"... and {more} more such records"] if more else [])
            + _put_back(db, withdrawals, erased))


def _put_back(db: sqlite3.Connection, withdrawals: dict[str, tuple[str, int]],
              erased: dict[str, int]) -> list[str]:
    """Records the trail last withdrew that are in another state: only a ``reinstated`` event
    (``withdraw --undo``) ends a withdrawal, and no run exports a withdrawn award, so the
    record's state was changed by hand (republishing the award)."""
    found: list[str] = []
    for key, (action, seq) in sorted(withdrawals.items()):
        row = db.execute("SELECT state FROM records WHERE key = ?", (key,)).fetchone()
        if action == "withdrawn" and row is not None and row[0] != "withdrawn" and \
                not (row[0] == ERASED and key in erased):  # erasure ends what was withdrawn too
            found.append(f"record {key} is {row[0]} but event {seq} withdrew it and no reinstated event "
                         "follows (its state changed by hand?)")
    more = len(found) - _MAX_LISTED
    return found[:_MAX_LISTED] + ([f"... and {more} more such records"] if more > 0 else [])


def _deliveries_without_event(db: sqlite3.Connection, delivered: Counter[bytes]) -> list[str]:
    """The deliveries the journal holds as made (the version a wallet was confirmed to hold)
    with no ``delivered`` event of that version in the trail: the event was cut off the end, or
    the row was added or edited by hand. Each delivery to a target is an event of its own, so
    two targets holding one version need two events (the events do not name the target). A
    row erased (no address, no version) is no delivery claimed; its event stays. A journal of
    an earlier version is read as it is."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(deliveries)")}
    if not {"key", "target", "state", "sha256", "held"} <= columns:
        return []
    confirmed = "delivered" if "delivered" in columns else "NULL"
    rows = db.execute(f"SELECT key, target, state, sha256, held, {confirmed} FROM deliveries "
                      f"WHERE state = 'delivered' OR {confirmed} IS NOT NULL ORDER BY key, target")
    found: list[str] = []
    more = 0
    for key, target, state, sha256, held, version in rows:
        event = next((digest for digest in (_delivery_digest(key, made) for made in
                                            sorted(_delivered_versions(sha256, held, version)))
                      if delivered[digest] > 0), None)
        if event is not None:
            delivered[event] -= 1  # each event accounts for one delivery
            continue
        if len(found) < _MAX_LISTED:
            made = str(version or sha256).partition(":")[0][:16]
            found.append(f"delivery of {key} to {target} (version {made}..., state {state}) is in the "
                         "journal's deliveries table but no delivered event of it is in the trail "
                         "(events removed, or the row added or edited by hand?)")
        else:
            more += 1
    return found + ([f"... and {more} more deliveries without their event"] if more else [])


def _deliveries_gone(db: sqlite3.Connection, erased: dict[str, int], out_dir: Path) -> list[str]:
    """The awards with a ``delivered`` event whose deliveries rows are all gone: the journal
    keeps a row per target it delivered to (its address overwritten, not deleted, when the
    learner's data are erased), so a row deleted without an ``erased`` event of its award
    was removed by hand."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(deliveries)")}
    if "key" not in columns:
        return []
    found: list[str] = []
    for seq, key in db.execute("SELECT max(seq), key FROM audit WHERE action = 'delivered' AND key NOT IN "
                               "(SELECT key FROM deliveries) GROUP BY key ORDER BY max(seq)"):
        if key in erased:
            continue
        if len(found) == _MAX_LISTED:
            found.append("... and more deliveries gone from the journal")
            break
        found.append(f"event {seq} (delivered {key}): the journal's deliveries table holds no delivery of "
                     f"{key} (rows deleted by hand? to erase a learner's data, run: edcbridge erase "
                     f"{shlex.quote(str(out_dir))} {shlex.quote(key)} --reason TEXT)")
    return found


class _Unlike(NamedTuple):
    """A file of a record done that is not the one the journal says was issued."""
    key: str
    place: str  # its place in the output folder
    digest: str  # its sha256 as last read
    issued: str  # the sha256 the journal holds for it
    kept: bool = False  # of a record failed, kept from the earlier run that issued it


_KEPT = 100_000  # files not as issued kept to be looked at again (a run remaking them); the rest counted
_REMAKE_POLL = 0.2  # seconds between looks at the journal of a run going on
_REMAKE_QUIET = 5.0  # seconds the files left are waited for once a look finds none of them journaled


def _files_changed(records: Iterable[tuple[str, str, str]], out_dir: Path) -> tuple[list[_Unlike], int]:
    """The files of records done, and of records failed that keep those of an earlier run (their
    ``failed`` event hashes them), in the folder, whose content is not what the journal (and so
    the trail, through the outputs its events hash) says was issued: replaced, edited, the
    journal of another folder, or written by a run that has not journaled them (yet); and how
    many more there are past the first ``_KEPT``. A file that is not there (a copy of the
    journal alone, a withdrawn file erased) is not checked; nor one named only by the path of an
    earlier version's journal, which may be another folder's."""
    found: list[_Unlike] = []
    more = 0
    for key, outputs_json, state in records:
        for output in (_done_outputs(outputs_json) or {}).values():  # none: named by _unlogged
            place = output.get("file")
            if not isinstance(place, str) or Path(place).is_absolute() or ".." in Path(place).parts:
                continue
            digest = _file_digest(out_dir / place)
            if digest is None or digest == output.get("sha256"):
                continue
            if len(found) < _KEPT:
                found.append(_Unlike(key, place, digest, str(output.get("sha256")), state == FAILED))
            else:
                more += 1
    return found, more


def _run_holds(out_dir: Path) -> bool:
    """Whether a run (or another command that changes the folder) holds its lock now."""
    return held_elsewhere(lambda: os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)) is True


def _grown(path: Path, last: int) -> bool:
    """Whether events were appended after event ``last``: a run committed since it was read."""
    db = open_read_only(path)
    try:
        return bool(db.execute("SELECT 1 FROM audit WHERE seq > ? LIMIT 1", (last,)).fetchone())
    finally:
        db.close()


def _journaled_since(path: Path, unlike: list[_Unlike], last: int, head: str) -> tuple[list[_Unlike], bool]:
    """The files left not as issued once the run holding the folder journaled what it remade, and
    whether it still held the folder then. A run writes each file (atomically) before the batch
    recording it commits (at least every half second), so a file it remakes differs from the
    snapshot checked until then; it is as issued when it is the file the journal records now for
    it, with that record's events appended after event ``last`` (hash ``head``) in a sound chain.
    Looked at again every ``_REMAKE_POLL`` seconds until none is left, the run lets go of the
    folder (one last look then: all it did is committed) or ``_REMAKE_QUIET`` seconds pass
    without one of them journaled."""
    followed = _Chain(set())
    followed.prev, followed.last, followed.expected = head, last, last + 1
    quiet_until = time.monotonic() + _REMAKE_QUIET
    while True:
        holding = _run_holds(path.parent)
        left = _look_again(path, unlike, followed, every_file=not holding)
        if len(left) < len(unlike):
            quiet_until = time.monotonic() + _REMAKE_QUIET
        unlike = left
        if not unlike or not holding or time.monotonic() >= quiet_until:
            return unlike, holding and bool(unlike)
        time.sleep(_REMAKE_POLL)


def _look_again(path: Path, unlike: list[_Unlike], followed: _Chain, *, every_file: bool) -> list[_Unlike]:
    """The files still not as issued in the journal as committed now (see
    :func:`_journaled_since`); a file is read again when its record was journaled anew, or
    ``every_file``."""
    db = open_read_only(path)
    try:
        db.execute("BEGIN")
        events = ("SELECT seq, time, actor, action, key, input_hash, output_hash, prev, hash, "
                  f"{_detail_column(db)} FROM audit WHERE seq > ? ORDER BY seq")
        for row in db.execute(events, (followed.last,)):
            followed.add(*row)
        sound = not followed.problems and not followed.more  # events after a break vouch for nothing
        left: list[_Unlike] = []
        for item in unlike:
            row = db.execute("SELECT state, input_hash, outputs FROM records WHERE key = ?",
                             (item.key,)).fetchone()
            issued = (_issued_now(item, row, followed.recorded) if sound else None) or item.issued
            read_again = every_file or issued != item.issued
            digest = _file_digest(path.parent / item.place) if read_again else item.digest
            if digest is not None and digest != issued:
                kept = row is not None and row[0] == FAILED
                left.append(item._replace(digest=digest, issued=issued, kept=kept))
    finally:
        db.close()
    return left


def _issued_now(item: _Unlike, row: tuple[Any, ...] | None, recorded: set[bytes]) -> str | None:
    """The sha256 the record of ``item`` now holds for its file, when the record is done and its
    events are among ``recorded``; None otherwise."""
    if row is None or row[0] != "done":
        return None
    _, input_hash, outputs_json = row
    outputs = _done_outputs(outputs_json)
    if outputs is None:
        return None
    output_hash = _outputs_digest(outputs_json)
    if any(_event_digest(action, item.key, input_hash, output_hash) not in recorded
           for action in audit_actions(outputs)):
        return None
    return next((str(output.get("sha256")) for output in outputs.values()
                 if output.get("file") == item.place), None)


def _fix_for_files(run_going_on: bool, log_left: bool) -> str:
    """What to do about a file not as issued, said after its question."""
    if run_going_on:
        return (f"?); a run holding this folder has not journaled it {_REMAKE_QUIET:g} s on: if it is "
                "remaking that record, verify again once that run ends, otherwise restore it from a copy")
    if log_left:  # a run stopped (killed) after writing files it had not committed leaves its log
        return (", or written by a run stopped before journaling it?); if a run was stopped, run the same "
                "export again to finish it, then verify again, otherwise restore it from a copy")
    return "?); restore it from a copy"


_KEPT_NOTE = ", failed, keeping it from an earlier run"


def _not_as_issued(unlike: list[_Unlike], more: int, out_dir: Path, fix: str) -> list[str]:
    found = [f"{out_dir / item.place} (record {item.key}{_KEPT_NOTE * item.kept}) is not the file issued: "
             f"its sha256 is {item.digest[:16]}..., the journal's {item.issued[:16]}... (replaced, edited, "
             f"or the journal of another folder{fix}" for item in unlike[:_MAX_LISTED]]
    more += len(unlike) - len(found)
    return found + ([f"... and {more} more files not as issued"] if more else [])


def _file_digest(path: Path) -> str | None:
    """The file's sha256; None when there is no such file to read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return digest.hexdigest()


def _delivered_versions(sha256: Any, held: Any, version: Any) -> set[str]:
    """The output hashes a ``delivered`` event of a deliveries row may carry: the version it was
    confirmed to hold (``delivered``); for a row of a journal written before that was noted, the
    sealed file's sha256 (as events then carried) or a version it may hold."""
    if isinstance(version, str) and version:
        return {version.partition(":")[0]}
    held_versions = {entry.partition(":")[0] for entry in held.split()} if isinstance(held, str) else set()
    return held_versions | ({sha256} if isinstance(sha256, str) else set())


_CANNOT_SHARE = (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY)  # no shared-memory file here


def open_read_only(path: Path) -> sqlite3.Connection:
    """The journal opened to be read, never written. In a folder this user cannot write (a copy
    on read-only media, an auditor's account) SQLite cannot make the shared-memory file through
    which it reads a WAL journal; with no write-ahead log beside it (a run that ends folds its
    log in and removes it), the file alone holds everything and is read as it is."""
    uri = path.absolute().as_uri()  # a folder named "out #2" or "100%" is still that folder
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
    try:
        db.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return db
    except sqlite3.OperationalError as exc:
        db.close()
        if _primary(exc) not in _CANNOT_SHARE or _has_log(path):
            raise
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)


def withdrawn_records(path: Path) -> dict[str, str]:
    """The withdrawn (or erased) records of the journal at ``path``, read only: key -> who
    withdrew or erased it, when and why (as :meth:`Journal.set_withdrawal` and
    :meth:`Journal.erase` noted it). Raises sqlite3.Error when it cannot be read."""
    db = open_read_only(path)
    try:
        rows = db.execute("SELECT key, error FROM records WHERE state IN (?, ?)", HELD_BACK).fetchall()
    finally:
        db.close()
    return {key: str(note or "withdrawn") for key, note in rows}


def withdrawn_outputs(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    """The outputs of each withdrawn record of the journal at ``path``, read only: where each
    file went (``file``) and where it was published (``published``). Raises sqlite3.Error
    when it cannot be read."""
    db = open_read_only(path)
    try:
        rows = db.execute("SELECT key, outputs FROM records WHERE state = 'withdrawn'").fetchall()
    finally:
        db.close()
    return {key: json.loads(outputs) for key, outputs in rows}


def keys_of_issuer(path: Path, issuer: str) -> list[str]:
    """The record keys (``issuer/award_id``) of one issuer in the journal at ``path``, read only.
    Raises sqlite3.Error when it cannot be read."""
    db = open_read_only(path)
    try:
        rows = db.execute("SELECT key FROM records WHERE substr(key, 1, length(?) + 1) = ? || '/'",
                          (issuer, issuer)).fetchall()
    finally:
        db.close()
    return [key for (key,) in rows]


def _has_log(path: Path) -> bool:
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def _unreadable(path: Path, exc: sqlite3.Error) -> str:
    """Why the trail cannot be checked at all, said for people."""
    if _primary(exc) in _CANNOT_SHARE:
        return (f"{path} cannot be read here ({exc}): its folder cannot be written and a "
                "write-ahead log lies beside it (a run is going on, or was killed); verify again "
                "once the run ends, or verify a copy of the whole folder in a place this user can write")
    if _primary(exc) in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return (f"{path} is damaged or cut short ({exc}): the trail cannot be checked; restore "
                "the journal from a copy")
    return (f"{path} holds no audit trail that can be read ({exc}): the journal was emptied, "
            "cut short or replaced; restore it from a copy")


class _Chain:
    """The hash chain, checked one event at a time."""

    def __init__(self, wanted: set[int]) -> None:
        self.wanted = wanted  # the event numbers whose hashes are asked for (noted heads)
        self.hashes: dict[int, str] = {}
        self.recorded: set[bytes] = set()
        self.problems: list[str] = []
        self.more = 0  # problems past the ones listed
        self.events = 0
        self.prev = GENESIS
        self.last = 0
        self.expected: int | None = None
        # the last withdrawn or reinstated event of each key: its action and number
        self.withdrawals: dict[str, tuple[str, int]] = {}
        # how many delivered events there are of each key and version (see _delivery_digest)
        self.delivered: Counter[bytes] = Counter()
        self.erased: dict[str, int] = {}  # award key -> its erased event
        self.details_gone: list[tuple[int, str, str]] = []  # events whose detail is not there

    def add(self, seq: int, stamp: str, who: str, action: str, key: str, input_hash: str,
            output_hash: str, stored_prev: str, stored_hash: str, detail: str | None = None) -> None:
        expected = 1 if self.expected is None else self.expected  # a trail begins at event 1
        if seq > expected:
            missing = f"event {expected}" if seq == expected + 1 else f"events {expected} to {seq - 1}"
            self._problem(f"{missing} missing (the next is event {seq}): events removed")
        elif seq < expected:  # only before event 1: numbers grow
            self._problem(f"event {seq}: numbered before the first event (added by hand)")
        self.expected = seq + 1
        event = {"time": stamp, "actor": who, "action": action, "key": key,
                 "input_hash": input_hash, "output_hash": output_hash}
        if stored_prev != self.prev:
            before = f"event {self.last}" if self.last else "the start of the trail"
            self._problem(f"event {seq} ({action} {key}): does not follow {before} (events removed, "
                          "reordered or rewritten)")
        if _hash_of(stored_prev, event) != stored_hash:
            self._problem(f"event {seq} ({action} {key}): content does not match its hash")
        if detail is None and action in ERASED_DETAILS:  # unless the award is erased after it
            self.details_gone.append((seq, action, key))
        elif detail is None and action in DETAIL_ACTIONS:  # an erasure keeps these: removed by hand
            self._problem(f"event {seq} ({action} {key}): its detail (who, what, why) is gone")
        elif detail is not None and not _detail_matches(detail, output_hash):
            self._problem(f"event {seq} ({action} {key}): its detail does not match its output hash "
                          "(edited?)")
        self.prev, self.last = stored_hash, seq
        self.events += 1
        if seq in self.wanted:
            self.hashes[seq] = stored_hash
        if action in WITHDRAW_ACTIONS:
            self.withdrawals[key] = (action, seq)
        self.recorded.add(_event_digest(action, key, input_hash, output_hash))
        if action == "delivered":  # its input hash is the record's then, which may have changed
            self.delivered[_delivery_digest(key, output_hash)] += 1
        elif action == ERASED:
            self.erased[key] = seq

    def _problem(self, text: str) -> None:
        if len(self.problems) < _MAX_LISTED:
            self.problems.append(text)
        else:
            self.more += 1

    def listed(self) -> list[str]:
        for seq, action, key in self.details_gone:  # an erasure removes the details before it
            if self.erased.get(key, 0) <= seq:
                self._problem(f"event {seq} ({action} {key}): its detail (who, what, why) is gone")
        return self.problems + ([f"... and {self.more} more breaks of the chain"] if self.more else [])


def _hash_of(prev: str, event: dict[str, Any]) -> str | None:
    """The event's hash; None when a field is not text (bytes written in by hand)."""
    try:
        return audit_hash(prev, event)
    except TypeError:
        return None


def _detail_matches(detail: Any, output_hash: Any) -> bool:
    """Whether a stored detail is the one its event's output hash was made of (text as written)."""
    try:
        return isinstance(detail, str) and detail_digest(detail) == output_hash
    except UnicodeEncodeError:  # a lone surrogate written in by hand
        return False


def _event_digest(action: str, key: str, input_hash: str, output_hash: str) -> bytes:
    """A compact stand-in for an event's content (a trail of millions stays in memory)."""
    return hashlib.blake2b(f"{action}|{key}|{input_hash}|{output_hash}".encode(), digest_size=12).digest()


def _delivery_digest(key: Any, version: Any) -> bytes:
    """A compact stand-in for a delivery of ``version`` of the award ``key``."""
    return hashlib.blake2b(f"{key}|{version}".encode(errors="surrogatepass"), digest_size=12).digest()


def _unlogged(records: Iterable[tuple[str, str, Any]], recorded: set[bytes]) -> tuple[list[str], int]:
    """The first records done without their events (or whose outputs were edited into none),
    said, and how many more there are."""
    missing: list[str] = []
    more = 0
    for key, input_hash, outputs_json in records:
        outputs = _done_outputs(outputs_json)
        if outputs is None:
            said = [f"record {key} is done but its outputs in the journal are not as a run writes them "
                    "(edited by hand?): its events and files cannot be checked; restore the journal "
                    "from a copy"]
        else:
            output_hash = _outputs_digest(outputs_json)
            said = [f"record {key} is done but has no {action} event (events removed?)"
                    for action in audit_actions(outputs)
                    if _event_digest(action, key, input_hash, output_hash) not in recorded]
        for line in said:
            if len(missing) < _MAX_LISTED:
                missing.append(line)
            else:
                more += 1
    return missing, more


def _done_outputs(text: Any) -> dict[str, dict[str, Any]] | None:
    """A record's outputs as a run writes them (a JSON object of objects, one a format); None
    for anything else, edited in by hand."""
    try:
        outputs = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(outputs, dict) or not all(isinstance(output, dict) for output in outputs.values()):
        return None
    return outputs


def _outputs_digest(text: Any) -> str:
    """The sha256 an event holds of a record's outputs: of the text the journal holds (bytes
    or a number written in by hand hash as they are, and match no event)."""
    data = text if isinstance(text, bytes) else str(text).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()
