"""Recognise Open Badges 3.0 / CLR 2.0 files among credentials handed in, and say what their
Data Integrity proof shows, so that a reader never passes over a proof (or its failure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BADGE_TYPES = ("OpenBadgeCredential", "AchievementCredential", "ClrCredential")

Doc = dict[str, Any]


@dataclass(frozen=True)
class ProofReading:
    """What a badge's proof shows: ``verified`` True or False, None when it has none or it could
    not be checked; ``text`` says it in words."""

    verified: bool | None
    text: str


def is_badge(doc: object) -> bool:
    """Whether ``doc`` is an OB 3.0 or CLR 2.0 credential (by its ``type``)."""
    types = doc.get("type") if isinstance(doc, dict) else None
    return any(name in BADGE_TYPES for name in (types if isinstance(types, list) else [types]))


def as_badge(data: bytes) -> Doc | None:
    """The credential when ``data`` is an OB 3.0 or CLR 2.0 credential as JSON, else None."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) and is_badge(doc) else None


def read_proof(doc: Doc, schemas: Path | None = None,
               did_documents: Mapping[str, Doc] | None = None) -> ProofReading:
    """What the badge's Data Integrity proof shows: that it verifies (and whose key made it),
    that it does not and why, or that there is none (a VC-JWT ``.jwt`` file is not read here)."""
    from edcbridge.badges.proof import ProofError, verify_proof
    from edcbridge.badges.schemas import SchemasMissing, context_files, default_root

    if "proof" not in doc:
        return ProofReading(None, "it carries no Data Integrity proof, so nothing shows it is unchanged")
    try:
        verdict = verify_proof(doc, context_files(schemas or default_root()), did_documents)
    except SchemasMissing as exc:
        return ProofReading(None, f"its Data Integrity proof could not be checked ({exc})")
    except ProofError as exc:
        return ProofReading(False, f"its Data Integrity proof is refused: {exc}")
    whose = "the issuer's" if verdict.issuer_controls else "a key its issuer does not name as its own"
    return ProofReading(True, f"its Data Integrity proof verifies (key {verdict.verification_method}, "
                              f"{whose})")


def proof_status(doc: Doc) -> str:
    """:func:`read_proof`'s words."""
    return read_proof(doc).text
