"""Data Integrity proofs (``eddsa-rdfc-2022``) for Open Badges and CLRs signed with an Ed25519 seal.

OB 3.0 and CLR 2.0 accept embedded proofs only from Data Integrity suites, and an RSA or EC
e-seal cannot make one of those that 1EdTech lists; an Ed25519 key can. The proof follows VC
Data Integrity EdDSA Cryptosuites 1.0 (3.3, ``eddsa-rdfc-2022``): the proof options (with the
credential's ``@context``) and the credential without its ``proof`` are each canonicalised
(RDF Dataset Canonicalization), hashed with SHA-256, and the Ed25519 signature of the two hashes,
options first, is the ``proofValue`` (multibase base58btc). Contexts are read from the local
1EdTech / W3C files, never fetched.

The verification method is the key's ``did:key``, which a verifier resolves without a network:
the proof says the credential is unchanged since that key signed it; the seal certificate (the
``x5c`` of the VC-JWT's ``jwk``) says whose key it is. ``created`` is the credential's
``validFrom``, so the same input gives the same bytes (Ed25519 signatures are deterministic).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from edcbridge.seal.keys import Ed25519SealKey

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


def did_key(public: ed25519.Ed25519PublicKey) -> str:
    """The ``did:key`` of an Ed25519 public key."""
    return "did:key:z" + base58btc(_ED25519_PUBLIC_CODEC + public.public_bytes_raw())


def verification_method(public: ed25519.Ed25519PublicKey) -> str:
    """The key's verification method in its ``did:key`` document (``did:key:z…#z…``)."""
    did = did_key(public)
    return f"{did}#{did.removeprefix('did:key:')}"


def proof_options(credential: Doc, key: Ed25519SealKey) -> Doc:
    return {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": credential["validFrom"],
            "verificationMethod": verification_method(key.private_key.public_key()),
            "proofPurpose": "assertionMethod"}


def hash_data(credential: Doc, options: Doc, contexts: dict[str, Path]) -> bytes:
    """SHA-256 of the canonical proof options, then of the canonical credential without proof."""
    from edcbridge.validation.jsonld import canonical_nquads

    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    config = {"@context": credential["@context"], **options}
    return (hashlib.sha256(canonical_nquads(config, contexts).encode("utf-8")).digest()
            + hashlib.sha256(canonical_nquads(unsecured, contexts).encode("utf-8")).digest())


def add_proof(credential: Doc, key: Ed25519SealKey, contexts: dict[str, Path]) -> Doc:
    """The credential with an ``eddsa-rdfc-2022`` proof (a set of one, as the strict 1EdTech
    schema requires an array). Raises OfflineContextError for a context not in ``contexts``."""
    options = proof_options(credential, key)
    signature = key.private_key.sign(hash_data(credential, options, contexts))
    return {**credential, "proof": [{**options, "proofValue": "z" + base58btc(signature)}]}
