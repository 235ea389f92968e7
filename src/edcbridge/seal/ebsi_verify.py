"""Reading the EBSI profile signed as a JWT (see :mod:`edcbridge.seal.ebsi_jwt`): a compact JWS
with ``typ`` ``vc+jwt``, ES256 or ES256K, its ``kid`` a verification method of the issuer's DID
document. The DID document is given as a file: nothing is resolved over the network, so the
verdict says which document vouched for the key, not that EBSI's DID Registry lists it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.output import printable
from edcbridge.seal import jades, jose_ec
from edcbridge.seal.ebsi_jwt import ALGORITHMS, TYP, EbsiKeyError, did_of, jwt_claims
from edcbridge.seal.errors import SealFormatError
from edcbridge.seal.verify import CHECKS, Check, FormatCheck, Outcome, credential_validity, shown
from edcbridge.unique_json import DuplicateMember, loads_unique
from edcbridge.validation.document import as_list

_COMPACT_JWS = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
REGISTERED_CLAIMS = ("iss", "jti", "sub", "iat", "nbf", "exp")
_NO_DID_DOCUMENT = ("not checked: no --did-document was given, and edcbridge does not resolve a DID "
                    "over the network; give the issuer's DID document (JSON, as EBSI's DID Registry "
                    "returns it) with --did-document FILE")


@dataclass(frozen=True)
class DidKey:
    """A verification method of a DID document given on the command line."""

    kid: str
    jwk: dict[str, Any]
    may_assert: bool  # listed under assertionMethod: the key may sign credentials
    source: Path


@dataclass
class JwtVerification:
    """One JWT's checks (the names of ``verify``'s), the key that signed it and its credential."""

    checks: dict[str, Check]
    kid: str | None = None
    credential: dict[str, Any] | None = None
    broken: bool = False  # the token or its signature is shown wrong (not merely unchecked)
    source: Path | None = None  # the DID document whose key checked the signature
    notes: list[str] = field(default_factory=list)


DID_JWT_FORM = "jwt"
"""The form ``preview --json`` and ``inspect`` give such a JWT: no JAdES seal, a JWT signed with a
key of the issuer's DID document, which ``verify`` checks with ``--did-document``."""
DID_JWT_VERIFIER = "verify FILE --did-document DID-DOCUMENT.json"


def is_did_signed_jws(data: bytes) -> bool:
    """Whether the file is a compact JWS (three base64url parts, blank lines around it allowed)
    whose kid names a key of a DID document; a compact JAdES seal, which carries its
    certificate (x5c), and an Open Badge VC-JWT are not one."""
    if _COMPACT_JWS.fullmatch(data.strip()) is None:
        return False
    parts = data.strip().split(b".")
    try:
        header = _b64_json(parts[0].decode("ascii"))
        payload = _b64_json(parts[1].decode("ascii"))
    except (SealFormatError, UnicodeDecodeError, ValueError, DuplicateMember, RecursionError):
        return False
    # an Open Badge VC-JWT (its key in a jwk, its credential in a vc claim) is the badge reader's,
    # also under a DID kid
    return isinstance(header, dict) and "x5c" not in header and "jwk" not in header and \
        not (isinstance(payload, dict) and "vc" in payload) and str(header.get("kid", "")).startswith("did:")


class DidKeys(dict[str, DidKey]):
    """The verification methods of the DID documents given, by their full id (``did#key``), and
    those documents (a document may list no key a JWT can name, as an Open Badge issuer's
    ``did.json`` of Multikey methods only)."""

    def __init__(self, keys: Mapping[str, DidKey], documents: Mapping[Path, str]) -> None:
        super().__init__(keys)
        self.documents = dict(documents)  # each file given, with the DID it is the document of


def did_keys(files: Mapping[Path, dict[str, Any]]) -> DidKeys:
    """The verification methods of the DID documents read from files (each file's document, as
    :func:`edcbridge.did_documents.read_did_document_files` gives them), by their full id
    (``did#key``)."""
    keys: dict[str, DidKey] = {}
    for path, document in files.items():
        keys.update(_did_keys(path, document))
    return DidKeys(keys, {path: document["id"] for path, document in files.items()})


def _full_id(did: str, method_id: str) -> str:
    return did + method_id if method_id.startswith("#") else method_id


def _method_id(method: Any) -> str | None:
    """A verification method's id, whether the method is named (a string) or written out."""
    value = method.get("id") if isinstance(method, dict) else method
    return value if isinstance(value, str) else None


def _did_keys(path: Path, document: dict[str, Any]) -> dict[str, DidKey]:
    """The methods with a publicKeyJwk, listed or written out under assertionMethod (none for a
    document of Multikey methods only, such as an Open Badge issuer's: it checks no JWT). Only
    the document's own: a method it lists under another DID's id (``did:ebsi:other#keys-1``) is
    no key of that DID, whose own document a verifier resolves."""
    did = document["id"]
    assertion = as_list(document.get("assertionMethod"))
    asserting = {_full_id(did, name) for name in map(_method_id, assertion) if name is not None}
    methods = [m for m in as_list(document.get("verificationMethod")) + assertion
               if isinstance(m, dict) and _method_id(m) is not None
               and isinstance(m.get("publicKeyJwk"), dict)]
    keys = {}
    for method in methods:
        kid = _full_id(did, method["id"])
        if kid.partition("#")[0] == did:
            keys[kid] = DidKey(kid, method["publicKeyJwk"], kid in asserting, path)
    return keys


def _b64_json(part: str) -> Any:
    return loads_unique(jades.b64url_decode(part).decode("utf-8"))


def _public_key(jwk: Mapping[str, Any], alg: str) -> ec.EllipticCurvePublicKey:
    """The key of an EC JWK on the curve *alg* signs with; ValueError saying why it is not."""
    spec = ALGORITHMS[alg]
    crv, curve = spec.crv, spec.curve
    if jwk.get("kty") != "EC" or jwk.get("crv") != crv:
        raise ValueError(f"its key is {jwk.get('kty')} {jwk.get('crv')}, not the EC {crv} key {alg} needs")
    if "d" in jwk:
        raise ValueError("its publicKeyJwk holds the private key (d): whoever reads the document can "
                         "sign as the issuer")
    try:
        x, y = (int.from_bytes(jades.b64url_decode(str(jwk[name])), "big") for name in ("x", "y"))
        return ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    except (KeyError, SealFormatError, ValueError):
        raise ValueError("its publicKeyJwk is not a point of the curve") from None


def _signature_holds(key: ec.EllipticCurvePublicKey, spec: jose_ec.EcAlgorithm, signing_input: bytes,
                     signature: bytes) -> bool:
    if len(signature) != 2 * spec.size:
        return False
    try:
        jose_ec.verify(key, spec, signature, signing_input)
    except InvalidSignature:
        return False
    return True


def _media_type(typ: Any) -> Any:
    """typ as the media type it names: "application/" may be left out (RFC 7515 4.1.9), and the
    name is case-insensitive, so ``application/vc+jwt`` and ``VC+JWT`` are ``vc+jwt``, as jose
    reads them."""
    return typ.lower().removeprefix("application/") if isinstance(typ, str) else typ


def _header_problem(header: Any) -> str | None:
    if not isinstance(header, dict):
        return "its header is not a JSON object"
    if _media_type(header.get("typ")) != TYP:
        return f"its typ is {header.get('typ')!r}, not {TYP!r}: it is not a JOSE-secured credential"
    if header.get("alg") not in ALGORITHMS:
        return f"its alg is {header.get('alg')!r}: EBSI verifiers take ES256 or ES256K only"
    if not isinstance(header.get("kid"), str):
        return "its header names no kid: no key of a DID document can be found for it"
    if "crit" in header:
        # RFC 7515 4.1.11: a JWS whose crit names an extension the verifier does not understand
        # is invalid. None is understood here: b64 (RFC 7797, an unencoded payload) no JWT may use
        return (f"its header's crit names extensions a verifier must understand "
                f"({repr(header['crit'])[:80]}), which no JWT of the EBSI profile uses")
    return None


def _seal_check(header: dict[str, Any], parts: list[str], keys: Mapping[str, DidKey]) -> tuple[Check, bool]:
    """SEAL, and whether the signature is shown broken (not merely unchecked)."""
    kid, alg = header["kid"], header["alg"]
    documents = keys.documents if isinstance(keys, DidKeys) else {}
    if not keys and not documents:
        return Check("ERROR", _NO_DID_DOCUMENT), False
    found = keys.get(kid)
    if found is None:
        did = kid.partition("#")[0]
        own = [str(path) for path, document_did in documents.items() if document_did == did]
        if own:
            return Check("ERROR", f"not checked: the DID document of {did} given ({', '.join(own)}) "
                                  f"lists no key {kid} with a publicKeyJwk: give the document that "
                                  "lists the key this JWT names"), False
        return Check("ERROR", f"not checked: no --did-document given lists the key {kid}"), False
    try:
        key = _public_key(found.jwk, alg)
    except ValueError as exc:
        return Check("ERROR", f"{kid} of {found.source} cannot check an {alg} signature: {exc}"), True
    try:
        signature = jades.b64url_decode(parts[2])
    except SealFormatError:
        return Check("ERROR", "the signature is not base64url"), True
    if not _signature_holds(key, ALGORITHMS[alg], f"{parts[0]}.{parts[1]}".encode("ascii"), signature):
        return Check("ERROR", f"signature does not match the content ({alg}, key {kid} of "
                              f"{found.source}): it was changed after signing, or signed with "
                              "another key"), True
    if not found.may_assert:
        return Check("ERROR", f"{kid} is not an assertionMethod of {found.source}: its key may not "
                              "sign credentials"), True
    return Check("OK", f"{alg} signature of {kid}, a key of the DID document {found.source} "
                       "(that EBSI's DID Registry lists it is not checked here)"), False


def _claims_problem(payload: dict[str, Any], kid: str) -> str | None:
    """Where the JWT's registered claims contradict its credential or its kid."""
    credential = {name: value for name, value in payload.items() if name not in REGISTERED_CLAIMS}
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != did_of_or_none(kid):
        return f"the credential's issuer {issuer_id!r} is not the DID of the kid {kid}"
    try:
        expected = jwt_claims(credential)
    except ValueError as exc:
        return f"a date of the credential cannot be read ({exc})"
    differing = [name for name in REGISTERED_CLAIMS if payload.get(name) != expected.get(name)]
    if differing:
        return f"its claims {', '.join(differing)} disagree with the credential they secure"
    return None


def _not_json_problem(payload: dict[str, Any]) -> str | None:
    """Where the payload holds NaN or Infinity (or 1e999), which JSON has not: other readers refuse
    the token, so a signature over it is not enough, as for an Open Badge VC-JWT."""
    from edcbridge.validation.document import not_finite_problem

    problem = not_finite_problem(payload)
    return None if problem is None else f"its payload is no JSON other readers take: {problem}"


def did_of_or_none(kid: str) -> str | None:
    try:
        return did_of(kid)
    except EbsiKeyError:
        return None


def verify_jwt(data: bytes, keys: Mapping[str, DidKey], format_check: FormatCheck | None,
               at: datetime | None = None) -> JwtVerification:
    """The checks of a compact JWS holding an EBSI profile, against the keys of the DID documents
    given (none: the signature is said unchecked)."""
    parts = data.strip().decode("ascii").split(".")
    try:
        header, payload = _b64_json(parts[0]), _b64_json(parts[1])
    except (SealFormatError, UnicodeDecodeError, ValueError, DuplicateMember, RecursionError) as exc:
        return _broken(f"not a readable JWS: {exc}")
    problem = _header_problem(header)
    if problem is not None:
        return _broken(problem)
    if not isinstance(payload, dict):
        return _broken("its payload is not a JSON object")
    seal, broken = _seal_check(header, parts, keys)
    claims = _not_json_problem(payload) or _claims_problem(payload, header["kid"])
    if claims is not None and seal.status == "OK":
        seal, broken = Check("ERROR", f"the signature holds, but {claims}"), True
    credential = {name: value for name, value in payload.items() if name not in REGISTERED_CLAIMS}
    checks = {"SEAL": seal,
              "TIMESTAMP": Check("SKIPPED", "a JWT carries no timestamp (iat is the issuer's own word)"),
              "FORMAT": _format(format_check, credential),
              "EXPIRY": _expiry(credential, at or datetime.now(UTC)),
              "REVOCATION": _revocation(credential)}
    found = keys.get(header["kid"])
    return JwtVerification(checks, header["kid"], credential, broken, found.source if found else None)


def _broken(reason: str) -> JwtVerification:
    skipped = Check("SKIPPED", "not checked: the JWT cannot be read")
    return JwtVerification({"SEAL": Check("ERROR", reason), "TIMESTAMP": skipped, "FORMAT": skipped,
                            "EXPIRY": skipped, "REVOCATION": skipped}, broken=True)


def _format(format_check: FormatCheck | None, credential: dict[str, Any]) -> Check:
    if format_check is None:
        return Check("SKIPPED", "no format check configured")
    status, reason = format_check(credential)
    return Check(status if status in ("OK", "ERROR") else "SKIPPED", reason)  # type: ignore[arg-type]


def _expiry(credential: dict[str, Any], at: datetime) -> Check:
    good, text = credential_validity(credential, at)
    return Check("OK" if good else "ERROR", text)


def _revocation(credential: dict[str, Any]) -> Check:
    if credential.get("credentialStatus"):
        return Check("SKIPPED", "the credential's EBSI status list is not checked here")
    return Check("SKIPPED", "the credential names no status list (credentialStatus)")


def jwt_outcome(result: JwtVerification) -> Outcome:
    """The verdict: INVALID when the token or its signature is shown wrong; CHECK when the
    signature could not be checked or another check failed; else VALID (the key is one of a DID
    document the user gave, which is what vouches for it)."""
    errors = {name: check.reason for name, check in result.checks.items() if check.status == "ERROR"}
    by = f" Its kid: {result.kid}." if result.kid else ""
    if result.broken:
        return Outcome("INVALID", "the JWT is not sound (see the SEAL line): do not rely on this "
                                  f"credential; ask the issuer for a new copy.{by}")
    if "SEAL" in errors:
        return Outcome("CHECK", "the signature could not be checked (see the SEAL line): it is neither "
                                f"confirmed nor shown broken; give the issuer's DID document.{by}")
    if errors:
        name = next(iter(errors))
        return Outcome("CHECK", f"the signature holds, but the {name} check failed (see the {name} "
                                f"line): decide whether that matters before relying on it.{by}")
    return Outcome("VALID", f"the signature holds, made with a key of the DID document you gave "
                            f"({result.source}); that it is the one in EBSI's DID Registry is not checked "
                            f"here.{by}", passed=True)


@dataclass(frozen=True)
class JwtReport:
    """One JWT's verification as ``verify`` prints it: the verdict line, then each check."""

    path: Path
    result: JwtVerification
    outcome: Outcome

    def as_dict(self) -> dict[str, object]:
        """The keys of a sealed credential's report; ``sealed_by`` is the kid that signed it."""
        return {"source": str(self.path), "file": str(self.path), "verdict": self.outcome.verdict,
                "ok": self.outcome.passed, "signing_time": None, "certificate": None,
                "verdict_reason": self.outcome.sentence, "sealed_by": self.result.kid,
                "test_certificate": None,
                "checks": {name: check.as_dict() for name, check in self.result.checks.items()},
                "unsigned_content": [],
                "did_document": str(self.result.source) if self.result.source else None}

    def print(self) -> None:
        click.echo(f"{printable(str(self.path))}: {self.outcome.verdict}: {self.outcome.sentence}")
        for name in CHECKS:
            check = self.result.checks[name]
            click.echo(f"  {name:<10} {check.status:<7} {shown(check.reason)}")


def jwt_file_report(path: Path, data: bytes, keys: Mapping[str, DidKey],
                    format_check: FormatCheck | None) -> JwtReport:
    result = verify_jwt(data, keys, format_check)
    return JwtReport(path, result, jwt_outcome(result))
