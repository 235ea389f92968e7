"""The local state of a push: what was delivered where, with which content digest and target id.

A small JSON file. Items are kept per endpoint (the register or wallet URL, and the agency for
DEQAR): what went to the sandbox says nothing of production, so a run against another endpoint
sends everything. Besides the deliveries confirmed, it keeps the versions sent without an
answer: the target may hold them, so a later "already there" is not taken for this version.

Each change is one line appended to ``<state>.log`` as it happens, so a run killed halfway
loses nothing and a batch of N items costs N short writes, not N rewrites of the whole file.
The log is folded into the JSON file (rewritten atomically) when the push ends and when the
next push loads the state (a dry run only reads it); a line cut short by a kill, anywhere,
even inside a character, is the change that had not happened yet. A version 1 file's
deliveries, which did not record where they went, count as versions any wallet may hold.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edcbridge.deliver.errors import DeliveryConfigError
from edcbridge.file_lock import Busy, hold
from edcbridge.output import write_atomic

STATE_VERSION = 2
# Items of a version 1 file, which did not record where they went: kept, used for no endpoint.
UNRECORDED = "(not recorded: written by an earlier version)"


def digest(content: Any) -> str:
    """A stable sha256 of JSON-able content (or of bytes)."""
    data = (
        content
        if isinstance(content, bytes)
        else json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    )
    return hashlib.sha256(data).hexdigest()


# what a push refused while another holds its state file is told to do
PUSH_AGAIN = ", then run this command again: it delivers what is still pending"


def log_path(path: Path) -> Path:
    return path.with_name(path.name + ".log")


class StateNotRecorded(OSError):
    """A change could not be written to the state's log (a full disk): the push must stop, as
    what it sends next could not be recorded either."""


@dataclass
class State:
    path: Path | None
    target: str
    endpoint: str = ""
    delivered: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # endpoint -> key -> entry
    # endpoint -> key -> digests sent without an answer: the target may hold any of them
    sent: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    _changed: bool = field(default=False, repr=False)  # since the state file was written
    _held: int | None = field(default=None, repr=False)  # the descriptor holding the lock file

    @classmethod
    def load(cls, path: Path | None, target: str, endpoint: str = "", *, fold: bool = True,
             hold: bool = False, busy: str = PUSH_AGAIN) -> State:
        """The state of ``target`` deliveries to ``endpoint`` (others are kept as they are).

        The log of changes not yet folded in is replayed; with ``fold`` (not for a dry run, which
        writes nothing and may run beside a push still appending to the log) it is also folded
        into the state file. With ``hold``, the state file is this push's until :meth:`close`:
        a push already holding it raises DeliveryConfigError (two pushes at once would both
        send every item, and fold each other's changes away), ending with ``busy``, what to do."""
        state = cls(path, target, endpoint)
        if path is None:
            return state
        if hold:
            state._held = _hold(path, busy)
        try:
            state._read(path, fold)
        except BaseException:
            state.release()
            raise
        return state

    def _read(self, path: Path, fold: bool) -> None:
        """Read the state file and replay its log; with ``fold``, fold the log in."""
        journal = log_path(path)
        if path.exists():
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise DeliveryConfigError(
                    f"{path}: unreadable state file ({exc}); move it away to start "
                    "afresh (the target is checked first, nothing is created twice)"
                ) from None
            endpoints = _endpoints(data, self.target)
            if endpoints is None:
                raise DeliveryConfigError(
                    f"{path}: not a {self.target} push state file; use another --state path")
            self.delivered = endpoints
            self.sent = _sent(data.get("unanswered"))
        if journal.exists():
            self._replay(journal)
            if fold:
                try:
                    self.save()
                except OSError as exc:
                    raise DeliveryConfigError(
                        f"{path}: cannot be written ({exc.strerror or exc}); free space or fix the "
                        "folder, then run the same command again (nothing is sent twice)") from None

    def adopt(self, same: str, digests: Mapping[str, tuple[str, str]] | None = None) -> None:
        """Count as this endpoint's the deliveries of endpoints named ``same`` (the same target
        written otherwise, e.g. an agency acronym in another letter case). Where two of them
        record one item differently, which came last is not known: the item is sent again.
        ``digests`` maps an item's key to (its digest as written there, its digest here), for
        a content that names the target too (a report naming its agency by the other name)."""
        mine = self.entries
        found: dict[str, dict[str, Any]] = {}
        for where, items in self.delivered.items():
            if where == self.endpoint or where.casefold() != same.casefold():
                continue
            for key, entry in items.items():
                there, here = (digests or {}).get(key, ("", ""))
                if there and entry.get("digest") == there:
                    entry = {**entry, "digest": here}
                if key in found and found[key] != entry:
                    entry = {**entry, "digest": ""}  # no version known: planned as an update
                found[key] = entry
        for key, entry in found.items():
            mine.setdefault(key, entry)  # saved with this run's changes, if any

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        """The deliveries confirmed at this endpoint, by item key."""
        return self.delivered.setdefault(self.endpoint, {})

    @property
    def unanswered(self) -> dict[str, list[str]]:
        """The digests sent to this endpoint without an answer, by item key."""
        return self.sent.setdefault(self.endpoint, {})

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def elsewhere(self, key: str) -> list[str]:
        """The other endpoints this state file says ``key`` was delivered to."""
        return [where for where, items in self.delivered.items() if where != self.endpoint and key in items]

    def record(self, key: str, content_digest: str, target_id: Any) -> None:
        """A delivery confirmed: the target holds this version (and none sent before it)."""
        self._change({"op": "delivered", "key": key, "digest": content_digest, "target_id": target_id})

    def sending(self, key: str, content_digest: str) -> None:
        """Kept before a request that stores something: if its answer is lost, the next run
        knows the target may hold this version."""
        if content_digest not in self.unanswered.get(key, []):
            self._change({"op": "sending", "key": key, "digest": content_digest})

    def answered_without_storing(self, key: str, content_digest: str) -> None:
        """The target refused the request: it stored nothing."""
        if content_digest in self.unanswered.get(key, []):
            self._change({"op": "not-stored", "key": key, "digest": content_digest})

    def maybe_held(self, key: str) -> set[str]:
        """The versions the target may hold: delivered, or sent without an answer; a delivery
        of a version 1 file, which did not record where it went, may have gone to this target."""
        held = set(self.unanswered.get(key, []))
        for known in (self.entries.get(key), self.delivered.get(UNRECORDED, {}).get(key)):
            if isinstance(known, dict) and isinstance(known.get("digest"), str):
                held.add(known["digest"])
        return held

    def _change(self, event: dict[str, Any]) -> None:
        event["endpoint"] = self.endpoint
        self._apply(event)
        if self.path is None:
            return
        try:
            if not self._changed:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with log_path(self.path).open("a", encoding="utf-8") as log:
                log.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
        except OSError as exc:
            raise StateNotRecorded(exc.errno, exc.strerror or str(exc)) from exc
        self._changed = True

    def _apply(self, event: dict[str, Any]) -> None:
        where, key, content_digest = event["endpoint"], event["key"], event["digest"]
        sent = self.sent.setdefault(where, {})
        if event["op"] == "delivered":
            self.delivered.setdefault(where, {})[key] = {"digest": content_digest,
                                                         "target_id": event.get("target_id")}
            sent.pop(key, None)
        elif event["op"] == "sending":
            versions = sent.setdefault(key, [])
            if content_digest not in versions:
                versions.append(content_digest)
        elif event["op"] == "not-stored" and content_digest in sent.get(key, []):
            sent[key].remove(content_digest)
            if not sent[key]:
                del sent[key]

    def _replay(self, journal: Path) -> None:
        try:
            lines = journal.read_bytes().splitlines()
        except OSError as exc:
            raise DeliveryConfigError(f"{journal}: unreadable ({exc}); move it away, then run again (the "
                                      "target is checked first, nothing is created twice)") from None
        for line in lines:
            try:  # each line on its own: a kill can cut one anywhere, even inside a character
                event = json.loads(line.decode("utf-8"))
                self._apply(event)
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # cut short by a kill while it was written: that change did not happen

    def flush(self) -> None:
        """Fold this run's changes, if any, into the state file, which stays this push's. A state
        file that cannot be written (a full disk) is left as it was: the log keeps the changes,
        and the next push folds them in."""
        if self._changed:
            with contextlib.suppress(OSError):
                self.save()

    def close(self) -> None:
        """:meth:`flush`, then let the state file go: once the push has ended."""
        try:
            self.flush()
        finally:
            self.release()

    def release(self) -> None:
        """Let another push use the state file."""
        if self._held is not None:
            os.close(self._held)  # the lock goes with it
            self._held = None

    def drop(self, gone: Callable[[str], bool]) -> int:
        """Forget the items whose keys ``gone`` names, at every endpoint (their learner's data
        erased); how many entries went. :meth:`save` writes the file without them."""
        return sum(_drop_keys(items, gone) for items in self.delivered.values()) + \
            sum(_drop_keys(versions, gone) for versions in self.sent.values())

    def save(self) -> None:
        """Fold the changes into the state file, and start the log afresh."""
        if self.path is None:
            return
        body: dict[str, Any] = {"version": STATE_VERSION, "target": self.target,
                                "endpoints": {where: items for where, items in self.delivered.items()
                                              if items or where == self.endpoint}}
        unanswered = {where: items for where, items in self.sent.items() if items}
        if unanswered:
            body["unanswered"] = unanswered
        write_atomic(
            self.path, (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        )
        log_path(self.path).unlink(missing_ok=True)
        self._changed = False


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _hold(path: Path, busy: str) -> int | None:
    """A descriptor holding the lock file of the state file ``path``, None where there are no
    such locks (Windows, NFS) or the folder cannot take the file (writing the state then says
    why); a push holding it already is refused, saying ``busy``. The lock goes with the process,
    ``kill -9`` included."""
    def open_lock_file() -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(lock_path(path), os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)

    try:
        return hold(open_lock_file)
    except OSError:
        return None
    except Busy:
        raise DeliveryConfigError(
            f"{path}: another push is using this state file; wait for it to end{busy}") from None


def _endpoints(data: Any, target: str) -> dict[str, dict[str, dict[str, Any]]] | None:
    """Items per endpoint from a state file's JSON; None when it is not a ``target`` state file."""
    if not isinstance(data, dict) or data.get("target") != target:
        return None
    endpoints = data.get("endpoints")
    if isinstance(endpoints, dict) and all(isinstance(v, dict) for v in endpoints.values()):
        return dict(endpoints)
    items = data.get("items")  # version 1: one list, its endpoint not recorded
    return {UNRECORDED: items} if isinstance(items, dict) else None


def _sent(data: Any) -> dict[str, dict[str, list[str]]]:
    if not isinstance(data, dict):
        return {}
    return {where: {key: [d for d in versions if isinstance(d, str)]
                    for key, versions in items.items() if isinstance(versions, list)}
            for where, items in data.items() if isinstance(items, dict)}


def drop_items(path: Path, target: str, gone: Callable[[str], bool]) -> int:
    """Take the items ``gone`` names out of the state file ``path`` and its log, both rewritten
    (the file atomically, the log folded in and removed); how many entries went. Raises
    DeliveryConfigError when a push holds the state file or it cannot be read or written."""
    if not path.exists() and not log_path(path).exists():
        return 0
    state = State.load(path, target, fold=False, hold=True, busy="")  # the caller says what to do
    try:
        dropped = state.drop(gone)
        if dropped or log_path(path).exists():
            try:
                state.save()
            except OSError as exc:
                raise DeliveryConfigError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        state.release()
    return dropped


def _drop_keys(items: dict[str, Any], gone: Callable[[str], bool]) -> int:
    """Remove the keys ``gone`` names from ``items``; how many went."""
    keys = [key for key in items if gone(key)]
    for key in keys:
        del items[key]
    return len(keys)
