"""Recognise Open Badges 3.0 / CLR 2.0 files among credentials handed in, and say what their
Data Integrity proof shows, so that a reader never passes over a proof (or its failure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography import x509

    from edcbridge.badges.proof import DidDocumentMissing

BADGE_TYPES = ("OpenBadgeCredential", "AchievementCredential", "ClrCredential")

Doc = dict[str, Any]


@dataclass(frozen=True)
class ProofReading:
    """What a badge's proof shows: ``verified`` True or False, None when it has none or it could
    not be checked; ``text`` says it in words. ``certificate``: of a VC-JWT verified with its
    header's ``jwk``, the seal certificate of that jwk's ``x5c`` (holding the very key that verified
    the signature; its chain is the caller's to check), else None."""

    verified: bool | None
    text: str
    certificate: x509.Certificate | None = None


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
    from edcbridge.badges.proof import DidDocumentMissing, ProofError, verify_proof
    from edcbridge.badges.schemas import SchemasMissing, context_files, default_root

    if "proof" not in doc:
        return ProofReading(None, _no_proof(doc))
    try:
        verdict = verify_proof(doc, context_files(schemas or default_root()), did_documents)
    except SchemasMissing as exc:
        return ProofReading(None, f"its Data Integrity proof could not be checked ({exc})")
    except DidDocumentMissing as exc:
        return ProofReading(None, _not_given(exc))
    except ProofError as exc:
        return ProofReading(False, f"its Data Integrity proof is refused: {exc}")
    whose = "the issuer's" if verdict.issuer_controls else "a key its issuer does not name as its own"
    return ProofReading(True, f"its Data Integrity proof verifies (key {verdict.verification_method}, "
                              f"{whose})")


def _no_proof(doc: Doc) -> str:
    """The words for a badge without a proof, naming a NaN or Infinity it holds (no JSON)."""
    from edcbridge.validation.document import not_finite_problem

    text = "it carries no Data Integrity proof, so nothing shows it is unchanged"
    problem = not_finite_problem(doc)
    return f"{text}; besides, {problem}" if problem else text


def as_badge_jwt(data: bytes) -> str | None:
    """The token when ``data`` is a compact JWS whose payload is an OB 3.0 or CLR 2.0 credential
    (a VC-JWT ``.jwt`` file), else None."""
    from edcbridge.badges.jwt import JwtError, decoded_parts

    try:
        token = data.decode("ascii").strip()
        _, payload = decoded_parts(token)
    except (UnicodeDecodeError, JwtError, RecursionError):
        return None
    return token if is_badge(payload) else None


def read_jwt(token: str, did_documents: Mapping[str, Doc] | None = None) -> ProofReading:
    """What a badge VC-JWT's signature shows: that it verifies, and with which key (the one the
    DID document given lists for its ``kid``, else the ``jwk`` of its header), that it does not and
    why, or that its key is in a DID document not given."""
    from edcbridge.badges.jwt import JwtError, decoded_parts, kid_did, read_vc_jwt

    documents = did_documents or {}
    try:
        header, _ = decoded_parts(token)
    except JwtError as exc:
        return ProofReading(False, f"it is no VC-JWT: {exc}")
    did = kid_did(header)
    if isinstance(header.get("kid"), str) and "jwk" not in header and did not in documents:
        return ProofReading(None, f"its VC-JWT signature could not be checked: {_kid_not_given(header, did)}")
    try:
        _, _, certificate = read_vc_jwt(token, did_documents=documents)
    except JwtError as exc:
        return ProofReading(False, f"its VC-JWT signature is refused: {exc}")
    if did is not None and did in documents:
        return ProofReading(True, f"its VC-JWT signature verifies (key {header['kid']}, which the DID "
                                  f"document of its issuer {did} lists)")
    text = f"its VC-JWT signature verifies with the jwk of its header ({_key_holder(certificate)})"
    if did is not None:
        text += f"; {did_not_checked(header)}"
    return ProofReading(True, text, certificate)


def did_not_checked(header: Doc) -> str:
    """The words for a VC-JWT whose ``kid`` names a key of a DID document not given."""
    from edcbridge.badges.jwt import kid_did

    return f"the issuer's DID document was not checked: {_kid_not_given(header, kid_did(header))}"


def _key_holder(certificate: x509.Certificate | None) -> str:
    """Whose the header's key claims to be: the seal certificate of its ``x5c`` (untrusted)."""
    from edcbridge.seal.verify import sealer_name

    if certificate is None:
        return "a bare key, which says nothing of who signed"
    return (f"the key of a seal certificate of {sealer_name(certificate)!r} in its x5c, whose chain is not "
            "checked here")


def _kid_not_given(header: Doc, did: str | None) -> str:
    from edcbridge.badges.proof import did_web_url

    if did is None:
        return (f"its header names its key only as {header['kid']!r}, which is no DID URL: ask the issuer "
                "for its key")
    where = f"save it from {did_web_url(did)} and " if did.startswith("did:web:") else ""
    return (f"its key {header['kid']} is in the DID document of {did}, which was not given: {where}give it "
            "with --did-document FILE")


def _not_given(missing: DidDocumentMissing) -> str:
    where = f"save it from {missing.url} and " if missing.url else ""
    return (f"its Data Integrity proof could not be checked: its key {missing.method} is in the DID "
            f"document of {missing.did}, which was not given: {where}give it with --did-document FILE")


def proof_status(doc: Doc, did_documents: Mapping[str, Doc] | None = None) -> str:
    """:func:`read_proof`'s words."""
    return read_proof(doc, did_documents=did_documents).text
