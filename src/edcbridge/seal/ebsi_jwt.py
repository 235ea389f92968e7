"""The EBSI profile as a JOSE-secured VCDM 2.0 credential: a compact JWS signed with a key of
the issuer's DID document (its ``did:ebsi`` in the DID Registry), which EBSI verifiers take.

EBSI asks for a compact JWS with ES256 (ES256K is what its own Ethereum keys use) and a ``kid``
naming the verification method of the issuer's DID document. For VCDM 2.0 credentials the
W3C "Securing Verifiable Credentials using JOSE and COSE" rules apply: the payload is the
credential itself (no ``vc`` claim), and ``typ`` is ``vc+jwt``. The registered claims EBSI's
JWT verifiers compare with the credential (``iss``, ``jti``, ``sub``, ``iat``, ``nbf``,
``exp``) are added with the credential's own values, never conflicting ones.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.output import compact_json
from edcbridge.seal import jades, jose_ec
from edcbridge.seal.errors import KeyLoadError, SealError

TYP = "vc+jwt"
PASSWORD_ENV = "EDCBRIDGE_EBSI_KEY_PASSWORD"
ALGORITHMS = jose_ec.algorithms("ES256", "ES256K")
_OF_CURVE = jose_ec.by_curve(ALGORITHMS)
_DID_URL = re.compile(r"(did:[a-z0-9]+:[A-Za-z0-9._:%-]+)#([A-Za-z0-9._~!$&'()*+,;=:@/?%-]+)")


class EbsiKeyError(SealError):
    """An EBSI signing key or kid that cannot sign the issuer's credentials."""


def did_of(kid: str) -> str:
    """The DID of a ``kid`` (a DID URL naming a verification method, ``did:ebsi:…#keys-1``)."""
    match = _DID_URL.fullmatch(kid)
    if match is None:
        raise EbsiKeyError(f"--ebsi-kid {kid!r} is not a DID URL naming a key of a DID document: write it "
                           "as the issuer's DID, '#' and the key's id there, such as did:ebsi:…#keys-1")
    return match.group(1)


@dataclass(frozen=True)
class EbsiSigner:
    """The key (PEM, unencrypted PKCS#8) and kid the EBSI profile is signed with; picklable,
    for the worker processes of a run."""

    key_pem: bytes
    kid: str

    @property
    def did(self) -> str:
        return did_of(self.kid)

    def _key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.key_pem, None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)  # checked by load_ebsi_signer
        return key

    @property
    def algorithm(self) -> str:
        return _OF_CURVE[self._key().curve.name].alg

    @cached_property
    def identity(self) -> str:
        """The kid and the public key's JWK thumbprint: a run signing with another key, or
        naming it otherwise, makes the records signed before again."""
        return f"{self.kid} {jades.jwk_thumbprint(public_jwk(self._key().public_key()))}"

    def sign(self, credential: dict[str, Any]) -> bytes:
        """The credential as a compact JWS (``header.payload.signature``, ASCII). EbsiKeyError
        when the credential's issuer is not the kid's DID: a verifier would reject it."""
        issuer = credential.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        if issuer_id != self.did:
            raise EbsiKeyError(f"the credential's issuer is {issuer_id!r}, not {self.did} of --ebsi-kid: "
                               "EBSI verifiers take only a credential signed by a key of its issuer's "
                               "DID; give its organisation that did in the catalogue, or sign it with its "
                               "own key")
        try:
            claims = jwt_claims(credential)
        except ValueError as exc:
            raise EbsiKeyError(f"a date of the credential cannot be stated as a JWT claim: {exc}") from None
        key = self._key()
        spec = _OF_CURVE[key.curve.name]
        header = {"alg": spec.alg, "typ": TYP, "kid": self.kid}
        signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode("ascii")
        signature = jose_ec.sign(key, spec, signing_input)
        return signing_input + b"." + jades.b64url(signature).encode("ascii")


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 7518), as a DID document's ``publicKeyJwk`` lists it."""
    numbers, spec = key.public_numbers(), _OF_CURVE[key.curve.name]
    return {"kty": "EC", "crv": spec.crv,
            "x": jades.b64url(numbers.x.to_bytes(spec.size, "big")),
            "y": jades.b64url(numbers.y.to_bytes(spec.size, "big"))}


def _b64_json(value: dict[str, Any]) -> str:
    return jades.b64url(compact_json(value))


def _epoch(text: str) -> int:
    """The moment as NumericDate; ValueError for a date with no time zone, which names no moment
    (read as this machine's local time, the claims would depend on where they are checked)."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return int(moment.timestamp())


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The JWT payload: the credential and the registered claims it states itself."""
    payload = dict(credential)
    issuer = credential.get("issuer")
    payload["iss"] = issuer.get("id") if isinstance(issuer, dict) else issuer
    if isinstance(credential.get("id"), str):
        payload["jti"] = credential["id"]
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        payload["sub"] = subject["id"]
    for claim, source in (("iat", "issued"), ("nbf", "validFrom"), ("exp", "validUntil")):
        if isinstance(credential.get(source), str):
            payload[claim] = _epoch(credential[source])
    if "iat" not in payload and "nbf" in payload:
        payload["iat"] = payload["nbf"]
    return payload


def load_ebsi_signer(path: Path, kid: str, password: bytes | None = None) -> EbsiSigner:
    """The signer of ``--ebsi-key PATH --ebsi-kid KID``: an EC private key on P-256 (ES256) or
    secp256k1 (ES256K), PEM, encrypted or not. EbsiKeyError or KeyLoadError when it cannot sign."""
    did_of(kid)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyLoadError(f"cannot read --ebsi-key {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password)
    except TypeError:
        raise KeyLoadError(f"--ebsi-key {path} is encrypted: give its password in {PASSWORD_ENV}") from None
    except ValueError as exc:
        raise KeyLoadError(f"--ebsi-key {path} is not a PEM private key or its password is wrong "
                           f"({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name not in _OF_CURVE:
        raise EbsiKeyError(f"--ebsi-key {path} is not an EC key on P-256 (ES256) or secp256k1 (ES256K), "
                           "the keys EBSI verifiers check")
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    return EbsiSigner(plain, kid)
