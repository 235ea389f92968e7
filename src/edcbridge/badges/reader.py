"""Recognise Open Badges 3.0 / CLR 2.0 files among credentials handed in, and say what their
Data Integrity proof shows, so that a reader never passes over a proof (or its failure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BADGE_TYPES = ("OpenBadgeCredential", "AchievementCredential", "ClrCredential")

Doc = dict[str, Any]


def as_badge(data: bytes) -> Doc | None:
    """The credential when ``data`` is an OB 3.0 or CLR 2.0 credential as JSON, else None."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    types = doc.get("type") if isinstance(doc, dict) else None
    names = types if isinstance(types, list) else [types]
    return doc if isinstance(doc, dict) and any(name in BADGE_TYPES for name in names) else None


def proof_status(doc: Doc, schemas: Path | None = None,
                 did_documents: Mapping[str, Doc] | None = None) -> str:
    """What the badge's proof shows, in words: that it verifies (and whose key made it), that it
    does not and why, or that there is none (a VC-JWT ``.jwt`` file is not read here)."""
    from edcbridge.badges.proof import ProofError, verify_proof
    from edcbridge.badges.schemas import SchemasMissing, context_files, default_root

    if "proof" not in doc:
        return "it carries no Data Integrity proof, so nothing shows it is unchanged"
    try:
        verdict = verify_proof(doc, context_files(schemas or default_root()), did_documents)
    except SchemasMissing as exc:
        return f"its Data Integrity proof could not be checked ({exc})"
    except ProofError as exc:
        return f"its Data Integrity proof is refused: {exc}"
    whose = "the issuer's" if verdict.issuer_controls else "a key its issuer does not name as its own"
    return f"its Data Integrity proof verifies (key {verdict.verification_method}, {whose})"
