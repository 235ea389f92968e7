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
canonicalisation drops an undefined property, which the proof would then not cover. Every id (or
other IRI) must be an absolute IRI and every language a language tag, as JSON-LD in safe mode
(Digital Bazaar's verifiers) requires: a proof over anything else is refused there, and by
:func:`verify_proof`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from edcbridge.seal.keys import Ed25519SealKey
from edcbridge.validation.findings import Finding

if TYPE_CHECKING:
    from edcbridge.validation.jsonld import Expanded

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


class Unsignable(ValueError):
    """A credential no proof should be made over, with the findings that say why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f"{f.where}: {f.message}" for f in findings))
        self.findings = findings


class UnsignedTerms(Unsignable):
    """Properties or types the credential's contexts do not define: a proof would not cover them."""


class SafeModeRefused(Unsignable):
    """An id that is not an absolute IRI or a language that is not a language tag: JSON-LD in safe
    mode, as other verifiers canonicalise, refuses the credential whatever its proof."""


class NotFiniteNumber(Unsignable):
    """NaN or Infinity, which JSON has not: other readers cannot read the credential, and
    :func:`verify_proof` refuses a proof over it."""


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


def hash_data(credential: Doc, options: Doc, contexts: dict[str, Path],
              unsecured: Expanded | None = None) -> bytes:
    """SHA-256 of the canonical proof options, then of the canonical credential without proof,
    read from ``unsecured`` when the caller has its expansion (see :func:`expand_unsecured`)."""
    from edcbridge.validation.jsonld import canonical_nquads, canonical_nquads_of

    config = {"@context": credential["@context"], **options}
    options_hash = hashlib.sha256(canonical_nquads(config, contexts).encode("utf-8")).digest()
    body = (canonical_nquads_of(unsecured) if unsecured is not None
            else canonical_nquads({k: v for k, v in credential.items() if k != "proof"}, contexts))
    return options_hash + hashlib.sha256(body.encode("utf-8")).digest()


# The IRI the VC contexts give the term ``proof``, the one term of the official contexts they give it.
_PROOF_IRI = "https://w3id.org/security#proof"
_PLAIN_TERM = re.compile(r"[^@:]+")


def expand_unsecured(credential: Doc, expanded: Expanded) -> Expanded | None:
    """The expansion of ``credential`` without its ``proof``, from ``expanded`` (the whole
    credential's), or None when that cannot be told from it: a member other than ``proof`` that
    is an IRI or a keyword could name the proof's IRI too."""
    if "proof" not in credential:
        return expanded
    others = (key for key in credential if key not in ("@context", "proof"))
    return expanded.without(_PROOF_IRI) if all(_PLAIN_TERM.fullmatch(key) for key in others) else None


def check_terms(credential: Doc, contexts: dict[str, Path]) -> None:
    """UnsignedTerms when a property or type of ``credential`` is not a term of its contexts."""
    from edcbridge.badges.schemas import ContextFiles, check_context

    findings = check_context(credential, ContextFiles(contexts))
    if findings:
        raise UnsignedTerms(findings)


def check_safe_mode(credential: Doc, expanded: Expanded) -> None:
    """SafeModeRefused when JSON-LD in safe mode refuses a value of ``credential`` (``expanded``
    being its :func:`~edcbridge.validation.jsonld.expand_offline`)."""
    findings = safe_mode_findings(credential, expanded)
    if findings:
        raise SafeModeRefused(findings)


def check_numbers(credential: Doc) -> None:
    """NotFiniteNumber when ``credential`` holds NaN or Infinity, naming the first one's path."""
    from edcbridge.validation.document import not_finite_at

    endless = not_finite_at(credential)
    if endless is not None:
        where, written = endless
        raise NotFiniteNumber([Finding("ob3.not-finite-number", "error", where,
                                       f"holds {written}, which is no JSON number (JSON has no NaN or "
                                       "Infinity): other readers cannot read the credential",
                                       "write a finite number there, or leave the value out")])


def add_proof(credential: Doc, key: Ed25519SealKey, contexts: dict[str, Path],
              controller: str | None = None) -> Doc:
    """The credential with an ``eddsa-rdfc-2022`` proof (a set of one, as the strict 1EdTech
    schema requires an array) whose verification method is ``controller``'s (a DID publishing
    the key, see :func:`did_document`), else the key's ``did:key``. Raises UnsignedTerms for a
    property or type the contexts do not define, SafeModeRefused for an id that is not an
    absolute IRI or a language that is not a tag, NotFiniteNumber for NaN or Infinity (as
    :func:`verify_proof` refuses them), OfflineContextError for a context not in ``contexts``."""
    from edcbridge.validation.jsonld import expand_offline

    check_numbers(credential)
    check_terms(credential, contexts)
    expanded = expand_offline(credential, contexts)
    check_safe_mode(credential, expanded)
    options = proof_options(credential, key, controller)
    signature = key.private_key.sign(hash_data(credential, options, contexts,
                                               expand_unsecured(credential, expanded)))
    return {**credential, "proof": [{**options, "proofValue": "z" + base58btc(signature)}]}


class ProofError(ValueError):
    """A Data Integrity proof that is missing, malformed, of a key not found, or not verifying."""


class DidDocumentMissing(ProofError):
    """The proof's key is in a DID document the caller did not give: the proof could not be
    checked (which says nothing against the credential)."""

    def __init__(self, method: str, did: str) -> None:
        super().__init__(f"the key {method} is in the DID document of {did}, which was not given: "
                         f"fetch it (for a did:web, from {_web_url_or_none(did)}) and pass it in")
        self.method, self.did, self.url = method, did, _web_url_or_none(did)


@dataclass(frozen=True)
class ProofVerdict:
    """A proof that verifies: the method whose key made it, and whether the credential's issuer
    controls that key (else the proof says only that the credential is unchanged since that key
    signed it)."""

    verification_method: str
    issuer_controls: bool


def from_base58btc(text: str) -> bytes:
    """The bytes of base58btc ``text`` (multibase prefix ``z`` not included); ValueError if not."""
    number = 0
    for char in text:
        digit = _BASE58_ALPHABET.find(char)
        if digit < 0:
            raise ValueError(f"{char!r} is not a base58btc digit")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + (number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b"")


def multikey_public(value: Any) -> ed25519.Ed25519PublicKey:
    """The Ed25519 key of a ``publicKeyMultibase`` (``z6Mk…``)."""
    try:
        raw = from_base58btc(value[1:]) if isinstance(value, str) and value.startswith("z") else b""
    except ValueError:
        raw = b""
    if len(raw) != 34 or not raw.startswith(_ED25519_PUBLIC_CODEC):
        raise ProofError(f"{str(value)[:60]!r} is not an Ed25519 Multikey (z6Mk…)")
    return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if isinstance(value, dict | str) else []


def asserting_method(document: Doc, method: str, did: str) -> Doc:
    """The verification method ``method`` of ``did``'s document, authorised for assertions."""
    fragment = "#" + method.partition("#")[2]
    found = [m for m in _listed(document.get("verificationMethod")) if isinstance(m, dict)
             and m.get("id") in (method, fragment)]
    asserts = [m.get("id") if isinstance(m, dict) else m for m in _listed(document.get("assertionMethod"))]
    if document.get("id") != did or not found:
        raise ProofError(f"the DID document of {did} has no verification method {method}")
    if found[0].get("controller") != did:
        raise ProofError(f"{method} is controlled by {found[0].get('controller')!r}, not {did}")
    if method not in asserts and fragment not in asserts:
        raise ProofError(f"{method} is not an assertionMethod of {did}: its key may not sign credentials")
    return found[0]


def resolve_key(method: str, did_documents: Mapping[str, Doc]) -> ed25519.Ed25519PublicKey:
    """The key of ``method``: a ``did:key``'s own, else from the DID document the caller passes
    (this reader fetches nothing)."""
    did, _, fragment = method.partition("#")
    if did.startswith("did:key:"):
        if fragment != did.removeprefix("did:key:"):
            raise ProofError(f"{method} is not the key of its did:key (the fragment must be the key)")
        return multikey_public(fragment)
    if did not in did_documents:
        raise DidDocumentMissing(method, did)
    return multikey_public(asserting_method(did_documents[did], method, did).get("publicKeyMultibase"))


def _web_url_or_none(did: str) -> str | None:
    return did_web_url(did) if did.startswith("did:web:") else None


def _issuer_id(credential: Doc) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _the_proof(credential: Doc) -> Doc:
    proofs = credential.get("proof")
    proofs = [proofs] if isinstance(proofs, dict) else proofs
    if not isinstance(proofs, list) or not proofs:
        raise ProofError("the credential carries no Data Integrity proof")
    if len(proofs) != 1 or not isinstance(proofs[0], dict):
        raise ProofError(f"the credential carries {len(proofs)} proofs; this reader checks one")
    proof = proofs[0]
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"the proof is {proof.get('type')!r} {proof.get('cryptosuite')!r}; this reader "
                         f"checks DataIntegrityProof {CRYPTOSUITE}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError(f"the proof's purpose is {proof.get('proofPurpose')!r}, not assertionMethod")
    if not isinstance(proof.get("verificationMethod"), str):
        raise ProofError("the proof names no verificationMethod")
    return proof


def _check_numbers(credential: Doc) -> None:
    """NaN and Infinity are no JSON (RFC 8259), though Python reads them: other readers refuse the
    file, so a proof made over them is not enough, as for a VC-JWT."""
    from edcbridge.validation.document import not_finite_problem

    problem = not_finite_problem(credential)
    if problem is not None:
        raise ProofError(f"other readers cannot read the credential, whatever its proof: {problem}")


def _where_text(doc: Any, text: str, path: str = "$") -> list[tuple[str, str]]:
    """The JSON paths in ``doc`` whose value is the string ``text`` in any case (JSON-LD writes a
    language tag in lower case), each with the value as written."""
    if isinstance(doc, dict):
        return [p for key, child in doc.items() for p in _where_text(child, text, f"{path}.{key}")]
    if isinstance(doc, list):
        return [p for number, child in enumerate(doc) for p in _where_text(child, text, f"{path}[{number}]")]
    return [(path, doc)] if isinstance(doc, str) and doc.lower() == text.lower() else []


_IRI_FIX = "write an absolute IRI (a scheme such as https: or urn:, a space percent-encoded as %20)"
_LANGUAGE_FIX = "write a BCP 47 language tag, such as en or en-GB"


def safe_mode_findings(credential: Doc, expanded: Expanded) -> list[Finding]:
    """A finding for each path of ``credential`` holding a value JSON-LD in safe mode refuses (an id
    that is not an absolute IRI, a language that is not a language tag), naming the value, why
    and the fix; ``expanded`` is the credential's expansion."""
    from edcbridge.validation.jsonld import NOT_A_LANGUAGE_TAG, safe_mode_problems

    findings = []
    for value, why in safe_mode_problems(expanded):
        for where, written in _where_text(credential, value) or [("$", value)]:
            findings.append(Finding("ob3.json-ld-safe-mode", "error", where,
                                    f"holds {written!r}, which is {why}: JSON-LD in safe mode, as other "
                                    "verifiers read the credential, refuses it",
                                    _LANGUAGE_FIX if why == NOT_A_LANGUAGE_TAG else _IRI_FIX))
    return findings


def _check_safe_mode(credential: Doc, expanded: Expanded) -> None:
    """A proof over what JSON-LD in safe mode refuses is not enough: the reason of
    :func:`safe_mode_findings`, its paths together."""
    findings = safe_mode_findings(credential, expanded)
    if findings:
        first = findings[0]
        where = ", ".join(f.where for f in findings if f.message == first.message)
        raise ProofError(f"{where} {first.message}, whatever its proof")


def verify_proof(credential: Doc, contexts: dict[str, Path],
                 did_documents: Mapping[str, Doc] | None = None) -> ProofVerdict:
    """Check the credential's ``eddsa-rdfc-2022`` proof (and that of each credential it embeds in
    ``credentialSubject.verifiableCredential``). ProofError says what failed: a changed credential,
    another key, an undefined term (which the proof would not cover), an id that is not an absolute
    IRI or a language that is not a language tag (which JSON-LD in safe mode refuses), NaN or
    Infinity anywhere."""
    from edcbridge.validation.jsonld import expand_offline

    _check_numbers(credential)
    proof = _the_proof(credential)
    try:
        check_terms(credential, contexts)
    except UnsignedTerms as exc:
        raise ProofError(f"the proof does not cover terms the contexts do not define ({exc})") from None
    expanded = expand_offline(credential, contexts)
    _check_safe_mode(credential, expanded)
    method = proof["verificationMethod"]
    public = resolve_key(method, did_documents or {})
    value = proof.get("proofValue")
    try:
        signature = from_base58btc(value[1:]) if isinstance(value, str) and value.startswith("z") else b""
    except ValueError:
        signature = b""
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    signed = hash_data(credential, options, contexts, expand_unsecured(credential, expanded))
    try:
        public.verify(signature, signed)
    except InvalidSignature:
        raise ProofError(f"its signature does not verify with {method}: the credential was "
                         "changed after it was signed, or signed with another key") from None
    subject = credential.get("credentialSubject")
    embedded = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    for number, inner in enumerate(embedded if isinstance(embedded, list) else [], start=1):
        if isinstance(inner, dict) and "proof" in inner:
            try:
                verify_proof(inner, contexts, did_documents)
            except DidDocumentMissing as exc:
                raise DidDocumentMissing(exc.method, exc.did) from None
            except ProofError as exc:
                raise ProofError(f"embedded credential {number}: {exc}") from None
    return ProofVerdict(method, method.partition("#")[0] == _issuer_id(credential))
