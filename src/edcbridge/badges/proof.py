"""Data Integrity proofs (``eddsa-rdfc-2022``) for Open Badges and CLRs signed with an Ed25519 seal.

OB 3.0 and CLR 2.0 accept embedded proofs only from Data Integrity suites, and an RSA or EC
e-seal cannot make one of those that 1EdTech lists; an Ed25519 key can. The proof follows VC
Data Integrity EdDSA Cryptosuites 1.0 (3.3, ``eddsa-rdfc-2022``): the proof options (with the
credential's ``@context``) and the credential without its ``proof`` are each canonicalised
(RDF Dataset Canonicalization), hashed with SHA-256, and the Ed25519 signature of the two hashes,
options first, is the ``proofValue`` (multibase base58btc). Contexts are read from the local
1EdTech / W3C files, never fetched.

The verification method is ``<issuer DID>#<key>`` when the issuer is a ``did:web`` the
institution controls: its DID document (:func:`did_document`, published at
:func:`did_web_url`) lists the key as a ``Multikey`` in ``assertionMethod``, so a verifier that
requires the method's controller to be the issuer (VC Data Integrity, 4.2; Digital Bazaar's
``CredentialIssuancePurpose``) accepts it. Without one it is the key's ``did:key``, which a
verifier resolves without a network: the proof then says the credential is unchanged since that
key signed it, and only the seal certificate (the ``x5c`` of the VC-JWT's ``jwk``) says whose key
it is. ``created`` is the credential's ``validFrom``, so the same input gives the same bytes
(Ed25519 signatures are deterministic).

Before signing, every property and type must be a term of the credential's contexts: RDF
canonicalisation drops an undefined property, which the proof would then not cover.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives.asymmetric import ed25519

from edcbridge.seal.keys import Ed25519SealKey
from edcbridge.validation.findings import Finding

Doc = dict[str, Any]
CRYPTOSUITE = "eddsa-rdfc-2022"
_ED25519_PUBLIC_CODEC = b"\xed\x01"  # multicodec ed25519-pub, as did:key and Multikey write it
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data: bytes) -> str:
    """Base58 in the Bitcoin alphabet (multibase prefix ``z`` not included)."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_BASE58_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


class UnsignedTerms(ValueError):
    """Properties or types the credential's contexts do not define: a proof would not cover them."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f"{f.where}: {f.message}" for f in findings))
        self.findings = findings


def multikey(public: ed25519.Ed25519PublicKey) -> str:
    """The key as ``publicKeyMultibase`` of a Multikey (``z6Mk…``)."""
    return "z" + base58btc(_ED25519_PUBLIC_CODEC + public.public_bytes_raw())


def did_key(public: ed25519.Ed25519PublicKey) -> str:
    """The ``did:key`` of an Ed25519 public key."""
    return "did:key:" + multikey(public)


def verification_method(public: ed25519.Ed25519PublicKey, controller: str | None = None) -> str:
    """The key's verification method: ``<controller>#z…`` in the controller's DID document, else
    in its own ``did:key`` document (``did:key:z…#z…``)."""
    return f"{controller or did_key(public)}#{multikey(public)}"


def did_web_url(did: str) -> str:
    """Where a ``did:web`` DID document is published (DID Web method, 3.2: the host, then any
    path segments, else ``/.well-known``, then ``/did.json``)."""
    if not did.startswith("did:web:"):
        raise ValueError(f"{did!r} is not a did:web")
    host, *path = did.removeprefix("did:web:").split(":")
    return "https://" + "/".join([unquote(host), *map(unquote, path or [".well-known"]), "did.json"])


def did_document(did: str, public: ed25519.Ed25519PublicKey) -> Doc:
    """The DID document the issuer publishes for ``did``: the key as a Multikey it controls,
    authorised to assert credentials (``assertionMethod``)."""
    method = verification_method(public, did)
    return {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [{"id": method, "type": "Multikey", "controller": did,
                                    "publicKeyMultibase": multikey(public)}],
            "assertionMethod": [method]}


def proof_options(credential: Doc, key: Ed25519SealKey, controller: str | None = None) -> Doc:
    return {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": credential["validFrom"],
            "verificationMethod": verification_method(key.private_key.public_key(), controller),
            "proofPurpose": "assertionMethod"}


def hash_data(credential: Doc, options: Doc, contexts: dict[str, Path]) -> bytes:
    """SHA-256 of the canonical proof options, then of the canonical credential without proof."""
    from edcbridge.validation.jsonld import canonical_nquads

    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    config = {"@context": credential["@context"], **options}
    return (hashlib.sha256(canonical_nquads(config, contexts).encode("utf-8")).digest()
            + hashlib.sha256(canonical_nquads(unsecured, contexts).encode("utf-8")).digest())


def check_terms(credential: Doc, contexts: dict[str, Path]) -> None:
    """UnsignedTerms when a property or type of ``credential`` is not a term of its contexts."""
    from edcbridge.badges.schemas import ContextFiles, check_context

    findings = check_context(credential, ContextFiles(contexts))
    if findings:
        raise UnsignedTerms(findings)


def add_proof(credential: Doc, key: Ed25519SealKey, contexts: dict[str, Path],
              controller: str | None = None) -> Doc:
    """The credential with an ``eddsa-rdfc-2022`` proof (a set of one, as the strict 1EdTech
    schema requires an array) whose verification method is ``controller``'s (a DID publishing
    the key, see :func:`did_document`), else the key's ``did:key``. Raises UnsignedTerms for a
    property or type the contexts do not define, OfflineContextError for a context not in
    ``contexts``."""
    check_terms(credential, contexts)
    options = proof_options(credential, key, controller)
    signature = key.private_key.sign(hash_data(credential, options, contexts))
    return {**credential, "proof": [{**options, "proofValue": "z" + base58btc(signature)}]}
