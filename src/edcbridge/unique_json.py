"""JSON objects whose member names are unique (RFC 8259 4: names SHOULD be unique; RFC 7493 2.3:
MUST). A credential holding one name twice is read differently by different readers (most keep
the last value, some the first, some refuse it), so a verifier could accept what another shows
otherwise: such a document is refused wherever a credential is read."""

from __future__ import annotations

import json
from typing import Any


class DuplicateMember(Exception):
    """A member name given twice in one object (not a ValueError: callers read those as numbers
    too long to read)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the member {name!r} appears twice in one object: readers disagree on which "
                         "value counts")
        self.name = name


def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for json.loads: the object, or DuplicateMember."""
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise DuplicateMember(name)
        found[name] = value
    return found


def loads_unique(text: str | bytes) -> Any:
    """json.loads, refusing an object that names a member twice (DuplicateMember)."""
    return json.loads(text, object_pairs_hook=unique_members)
