"""The compact JWS serialisation (``header.payload.signature``, RFC 7515 7.1), recognised in one
place for every command that reads sealed credentials."""

from __future__ import annotations

import re

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def compact_jws(text: str) -> dict[str, str] | None:
    """A compact JWS as the members of its JSON serialisation (flattened), or None when *text*
    (blanks around it aside) is none."""
    compact = text.strip()
    if not _COMPACT_JWS.fullmatch(compact):
        return None
    protected, payload, signature = compact.split(".")
    return {"protected": protected, "payload": payload, "signature": signature}
