"""The local state of a push: what was delivered where, with which content digest and target id.

A small JSON file, rewritten atomically after every delivered item, so a run killed halfway
loses nothing: the next run skips what is recorded and checks the target for the rest. Items
are kept per endpoint (the register or wallet URL, and the agency for DEQAR): what went to
the sandbox says nothing of production, so a run against another endpoint sends everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edcbridge.deliver.errors import DeliveryConfigError
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


@dataclass
class State:
    path: Path | None
    target: str
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    endpoint: str = ""
    others: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # other endpoints

    @classmethod
    def load(cls, path: Path | None, target: str, endpoint: str = "") -> State:
        """The state of ``target`` deliveries to ``endpoint`` (others are kept as they are)."""
        if path is None or not path.exists():
            return cls(path, target, endpoint=endpoint)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise DeliveryConfigError(
                f"{path}: unreadable state file ({exc}); move it away to start "
                "afresh (the target is checked first, nothing is created twice)"
            ) from None
        endpoints = _endpoints(data, target)
        if endpoints is None:
            raise DeliveryConfigError(f"{path}: not a {target} push state file; use another --state path")
        entries = endpoints.pop(endpoint, {})
        return cls(path, target, entries, endpoint, endpoints)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def elsewhere(self, key: str) -> list[str]:
        """The other endpoints this state file says ``key`` was delivered to."""
        return [where for where, items in self.others.items() if key in items]

    def record(self, key: str, content_digest: str, target_id: Any) -> None:
        self.entries[key] = {"digest": content_digest, "target_id": target_id}
        self.save()

    def save(self) -> None:
        if self.path is None:
            return
        endpoints = {**self.others, self.endpoint: self.entries}
        body = {"version": STATE_VERSION, "target": self.target, "endpoints": endpoints}
        write_atomic(
            self.path, (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        )


def _endpoints(data: Any, target: str) -> dict[str, dict[str, dict[str, Any]]] | None:
    """Items per endpoint from a state file's JSON; None when it is not a ``target`` state file."""
    if not isinstance(data, dict) or data.get("target") != target:
        return None
    endpoints = data.get("endpoints")
    if isinstance(endpoints, dict) and all(isinstance(v, dict) for v in endpoints.values()):
        return dict(endpoints)
    items = data.get("items")  # version 1: one list, its endpoint not recorded
    return {UNRECORDED: items} if isinstance(items, dict) else None
