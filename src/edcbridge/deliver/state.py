"""The local state of a push: what was delivered, with which content digest and target id.

A small JSON file, rewritten atomically after every delivered item, so a run killed halfway
loses nothing: the next run skips what is recorded and checks the target for the rest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edcbridge.deliver.errors import DeliveryConfigError
from edcbridge.output import write_atomic

STATE_VERSION = 1


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

    @classmethod
    def load(cls, path: Path | None, target: str) -> State:
        if path is None or not path.exists():
            return cls(path, target)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise DeliveryConfigError(
                f"{path}: unreadable state file ({exc}); move it away to start "
                "afresh (the target is checked first, nothing is created twice)"
            ) from None
        if (
            not isinstance(data, dict)
            or data.get("target") != target
            or not isinstance(data.get("items"), dict)
        ):
            raise DeliveryConfigError(f"{path}: not a {target} push state file; use another --state path")
        return cls(path, target, data["items"])

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def record(self, key: str, content_digest: str, target_id: Any) -> None:
        self.entries[key] = {"digest": content_digest, "target_id": target_id}
        self.save()

    def save(self) -> None:
        if self.path is None:
            return
        body = {"version": STATE_VERSION, "target": self.target, "items": self.entries}
        write_atomic(
            self.path, (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        )
