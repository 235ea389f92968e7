"""The ELM credential as an SD-JWT VC (``dc+sd-jwt``, ``vct urn:eudi:elm:1``, DC4EU layout).

* the EDC JSON-LD document goes, whole, under the claim ``elm``;
* the learner's personal claims in ``elm.credentialSubject`` (names, date of birth, identifiers,
  contact points, ...) and the person's ``id`` are selectively disclosable; language maps are
  disclosable per language, so ``["elm", "credentialSubject", "givenName", "und"]`` (DC4EU's type
  metadata) is a disclosure; decoy digests pad each ``_sd`` array (RFC 9901 4.2.5);
* ``nbf`` and ``exp`` carry the ELM's validity period (a time without a zone is UTC);
* ``cnf.jwk`` binds the credential to the key the wallet proved it holds;
* signed with the issuer's seal key, ES256/ES384/ES512 (EC P-256/P-384/P-521) or RS256 (RSA),
  certificate chain in ``x5c``.

SD-JWT (RFC 9901): disclosure = base64url(JSON ``[salt, name, value]``), its digest =
base64url(SHA-256(disclosure)) in the parent's ``_sd``; issued as ``<jwt>~<disclosure>~...~``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from edcbridge.oid4vci import status_list
from edcbridge.oid4vci.errors import Oid4vciError
from edcbridge.seal.certs import der_b64
from edcbridge.seal.errors import CertificateError
from edcbridge.seal.jades import algorithm_for, b64url, check_algorithm, sign
from edcbridge.seal.keys import SealKey

VCT = "urn:eudi:elm:1"
TYP = "dc+sd-jwt"
SD_ALG = "sha-256"
ELM_CLAIM = "elm"

# ELM 3 Person properties that identify or describe the learner
PERSONAL_CLAIMS = (
    "identifier",
    "nationalID",
    "givenName",
    "familyName",
    "fullName",
    "birthName",
    "patronymicName",
    "dateOfBirth",
    "placeOfBirth",
    "citizenshipCountry",
    "gender",
    "hasLocation",
    "contactPoint",
    "altLabel",
    "prefLabel",
)
# The person node's ``id`` is derived from its content (edcbridge.mapping.nodes.assign_ids): an
# unsalted hash of the name, date of birth, identifiers, ... In the clear it would let anyone who
# guesses those claims confirm the guess, so it is concealed with them.
CONCEALED_SUBJECT_CLAIMS = ("id", *PERSONAL_CLAIMS)
# Decoys pad an ``_sd`` array to at least this many digests, so its length does not tell which
# personal claims a learner has, or in how many languages a name is written.
SUBJECT_DIGESTS = len(CONCEALED_SUBJECT_CLAIMS)
LANGUAGE_MAP_DIGESTS = 4
_LANGUAGE = re.compile(r"^([a-z]{2,3}|und)(-[A-Za-z0-9]+)*$")


SIGNING_ALGORITHMS = ("ES256", "ES384", "ES512", "RS256")


def default_algorithm(key: SealKey) -> str:
    """The algorithm of an EC seal's curve (ES256, ES384, ES512), RS256 for an RSA seal."""
    try:
        return algorithm_for(key.private_key)
    except CertificateError:
        raise Oid4vciError("the seal key must be RSA or EC on P-256, P-384 or P-521 to sign SD-JWT "
                           "VCs") from None


@dataclass
class Disclosures:
    """Collects disclosures while the payload is built."""

    encoded: list[str] = field(default_factory=list)

    def add(self, name: str, value: Any) -> str:
        salt = b64url(secrets.token_bytes(16))
        text = json.dumps([salt, name, value], ensure_ascii=False, separators=(",", ":"))
        disclosure = b64url(text.encode("utf-8"))
        self.encoded.append(disclosure)
        return b64url(hashlib.sha256(disclosure.encode("ascii")).digest())


def decoy_digest() -> str:
    """A digest of random bytes: no disclosure has it (RFC 9901 4.2.5)."""
    return b64url(hashlib.sha256(secrets.token_bytes(32)).digest())


def digest_array(digests: list[str], size: int) -> list[str]:
    """An ``_sd`` array: the digests plus decoys up to ``size``, sorted so the order of the
    claims does not show."""
    return sorted([*digests, *(decoy_digest() for _ in range(size - len(digests)))])


def is_language_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and _LANGUAGE.match(k) for k in value)
    )


def _disclosable(value: Any, disclosures: Disclosures) -> Any:
    """A language map becomes one disclosure per language; anything else stays as it is."""
    if not is_language_map(value):
        return value
    digests = [disclosures.add(lang, text) for lang, text in value.items()]
    return {"_sd": digest_array(digests, LANGUAGE_MAP_DIGESTS)}


def conceal_subject(subject: dict[str, Any], disclosures: Disclosures) -> dict[str, Any]:
    """``credentialSubject`` with its ``id`` and every personal claim moved into a disclosure."""
    kept: dict[str, Any] = {}
    digests = []
    for name, value in subject.items():
        if name in CONCEALED_SUBJECT_CLAIMS:
            digests.append(disclosures.add(name, _disclosable(value, disclosures)))
        else:
            kept[name] = value
    kept["_sd"] = digest_array(digests, SUBJECT_DIGESTS)
    return kept


def conceal_subjects(subjects: Any, disclosures: Disclosures) -> Any:
    """``credentialSubject`` concealed, whether one object or an array of them (VC Data Model
    1.1, 4.4): no person's claims are signed in the clear."""
    if isinstance(subjects, dict):
        return conceal_subject(subjects, disclosures)
    if isinstance(subjects, list):
        return [conceal_subjects(subject, disclosures) for subject in subjects]
    return subjects


def epoch_seconds(text: Any) -> int | None:
    """An ISO 8601 date or date-time as seconds since the epoch; one without a zone is UTC, so
    the result does not depend on the time zone of the machine."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def validity_claims(elm: dict[str, Any]) -> dict[str, int]:
    """``nbf`` and ``exp`` (RFC 7519 4.1.4-4.1.5) from the ELM's validity period, when it has one:
    a verifier refuses the credential outside the period the ELM states."""
    claims: dict[str, int] = {}
    start = epoch_seconds(elm.get("validFrom") or elm.get("issuanceDate"))
    end = epoch_seconds(elm.get("validUntil") or elm.get("expirationDate"))
    if start is not None:
        claims["nbf"] = start
    if end is not None:
        claims["exp"] = end
    return claims


@dataclass(frozen=True)
class SdJwtIssuer:
    """Signs ELM SD-JWT VCs with a seal key; one per server process."""

    key: SealKey
    issuer: str  # the credential issuer identifier (URL), the ``iss`` claim
    algorithm: str = ""

    def __post_init__(self) -> None:
        algorithm = self.algorithm or default_algorithm(self.key)
        if algorithm not in SIGNING_ALGORITHMS:
            raise Oid4vciError(f"{algorithm} is not offered for SD-JWT VCs; use one of "
                               f"{', '.join(SIGNING_ALGORITHMS)}")
        check_algorithm(algorithm, self.key.private_key)
        object.__setattr__(self, "algorithm", algorithm)

    def header(self) -> dict[str, Any]:
        chain = (self.key.certificate, *self.key.intermediates)
        return {"alg": self.algorithm, "typ": TYP, "x5c": [der_b64(cert) for cert in chain]}

    def issue(self, elm: dict[str, Any], holder_jwk: dict[str, Any], *, now: int,
              status: tuple[str, int] | None = None) -> str:
        """The issued form ``<issuer-signed JWT>~<disclosure>~...~`` (no key-binding JWT);
        ``status``: the (list URI, index) of its Token Status List entry."""
        disclosures = Disclosures()
        document = dict(elm)
        if "credentialSubject" in document:
            document["credentialSubject"] = conceal_subjects(document["credentialSubject"], disclosures)
        payload: dict[str, Any] = {"iss": self.issuer, "iat": now, "vct": VCT, **validity_claims(elm)}
        if status is not None:
            payload["status"] = {"status_list": {"idx": status[1], "uri": status[0]}}
        payload |= {"cnf": {"jwk": holder_jwk}, "_sd_alg": SD_ALG, ELM_CLAIM: document}
        jwt = self._signed(self.header(), payload)
        return "~".join([jwt, *disclosures.encoded, ""])

    def status_list_token(self, uri: str, packed: bytes, *, now: int, ends: int | None = None) -> str:
        """The Status List Token at ``uri``: the list's bits, signed as the credentials are. Its
        ``iss`` is theirs: earlier drafts of the Token Status List require it (equal to the
        Referenced Token's), and verifiers built on them refuse a list without it. It expires a
        day after ``now``, or at ``ends`` (when the seal certificate ends) if that is sooner."""
        header = {**self.header(), "typ": status_list.TOKEN_TYPE}
        expires = now + 24 * 3600 if ends is None else min(now + 24 * 3600, ends)
        payload = {"iss": self.issuer, "sub": uri, "iat": now, "exp": expires,
                   "ttl": status_list.TTL, "status_list": {"bits": 1, "lst": status_list.encode(packed)}}
        return self._signed(header, payload)

    def _signed(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        header_b64 = b64url(json.dumps(header, separators=(",", ":")).encode("utf-8"))
        payload_b64 = b64url(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
        signature = b64url(sign(self.key.private_key, self.algorithm, signing_input))
        return f"{header_b64}.{payload_b64}.{signature}"


def _names_host(pattern: str, host: str) -> bool:
    """A dNSName matches the host; ``*.example.org`` stands for one label (RFC 6125 6.4.3)."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def issuer_binding_problem(issuer: str, certificate: x509.Certificate) -> str | None:
    """Why a verifier that binds ``iss`` to the ``x5c`` leaf certificate would refuse the
    credentials, or None. SD-JWT VC (X.509 key resolution) and HAIP 1.0 ask the issuer URL's
    host to be a dNSName, or the URL a uniformResourceIdentifier, of the certificate's subject
    alternative names."""
    host = urlsplit(issuer).hostname or ""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        dns: list[str] = []
        uris: list[str] = []
    else:
        dns = names.get_values_for_type(x509.DNSName)
        uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    if any(_names_host(name, host) for name in dns) or \
            any(uri.rstrip("/") == issuer.rstrip("/") for uri in uris):
        return None
    listed = ", ".join([*(f"DNS:{n}" for n in dns), *(f"URI:{u}" for u in uris)]) or "none"
    return (f"the seal certificate does not name {host} among its subject alternative names "
            f"({listed}): wallets and verifiers that bind the issuer {issuer} to the certificate in "
            f"x5c (SD-JWT VC, HAIP 1.0) refuse these credentials; ask the certificate's authority "
            f"for a seal naming DNS:{host}, or serve under a name the certificate holds")


def decode_part(part: str) -> Any:
    """A base64url JSON part (JWT header or payload, or a disclosure), for inspection."""
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
