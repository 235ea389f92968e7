"""The wallet's key proof (OpenID4VCI 1.0, 8.2.1.1 and Appendix F.1): a JWT that shows it holds
the key the credential is bound to.

Header ``typ: openid4vci-proof+jwt``, ``alg`` (ES256), the public key as ``jwk`` (``kid`` and
``x5c`` are not taken, nor sent beside it: the issuer binds to a JWK); claims ``aud`` = the credential issuer,
``iat`` recent, ``nonce`` = a ``c_nonce`` from the nonce endpoint, ``iss`` = the wallet's
``client_id`` if it sent one to the token endpoint, and no ``iss`` if it did not. A missing or
invalid proof is ``invalid_proof``; the nonce itself is checked by the caller (``invalid_nonce``).
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from edcbridge.oid4vci.errors import OAuthError

PROOF_TYP = "openid4vci-proof+jwt"
PROOF_ALGORITHMS = ("ES256",)
# What the credential's cnf.jwk holds: the key itself, nothing else the wallet put beside it
# (names, URLs, padding), which the issuer would otherwise sign as if it vouched for it.
PUBLIC_MEMBERS = ("kty", "crv", "x", "y")
# RFC 7518 6.2.1.2-6.2.1.3: a P-256 coordinate is exactly 32 octets, base64url without padding
COORDINATE_OCTETS = 32
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# RFC 7519 7.1: a JWT is the JWS compact serialization, three base64url parts. jwcrypto also reads
# the JSON one, whose unsigned "header" member it merges into the header: a typ there would make
# any JWS of the key pass as a key proof.
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# A time claim beyond this many seconds (about 3 million years) is no time: it cannot be a float
MAX_SECONDS = 2**53


@dataclass(frozen=True)
class ProofPolicy:
    audience: str  # the credential issuer identifier
    max_age: int = 300  # seconds an ``iat`` may lie in the past
    max_skew: int = 60  # seconds an ``iat`` may lie in the future (clock drift)


@dataclass(frozen=True)
class VerifiedProof:
    holder_jwk: dict[str, Any]  # the public key's members only (PUBLIC_MEMBERS)
    nonce: str | None


def _refuse(description: str) -> OAuthError:
    return OAuthError(400, "invalid_proof", description)


def _parse(token: str) -> tuple[jws.JWS, dict[str, Any]]:
    if not isinstance(token, str) or not _COMPACT.fullmatch(token):
        raise _refuse("the proof is not a compact JWT (three base64url parts separated by '.')")
    parsed = jws.JWS()
    parsed.allowed_algs = list(PROOF_ALGORITHMS)
    try:
        parsed.deserialize(token)
        header = parsed.jose_header
    except (JWException, ValueError, TypeError, RecursionError) as exc:
        raise _refuse(f"the proof JWT cannot be read: {exc}") from None
    if not isinstance(header, dict):
        raise _refuse("the proof JWT has no JSON header")
    return parsed, header


def holder_key(header: dict[str, Any]) -> tuple[jwk.JWK, dict[str, Any]]:
    """The public JWK from the proof header; private keys and other key references refused."""
    value = header.get("jwk")
    if not isinstance(value, dict):
        given = "kid" if "kid" in header else "x5c" if "x5c" in header else "no key"
        raise _refuse(
            f"the proof header must carry the public key as 'jwk' (got {given}); "
            "this issuer binds credentials to a JWK"
        )
    if any(name in value for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
        raise _refuse("the proof header 'jwk' contains private key material")
    _check_use(value)
    if value.get("kty") == "EC" and value.get("crv") == "P-256":
        for name in ("x", "y"):  # before jwcrypto reads them: its own refusals vary by version
            if name in value:
                _check_coordinate(name, value[name])
    try:
        key = jwk.JWK(**value)
    except (JWException, ValueError, TypeError) as exc:
        raise _refuse(f"the proof header 'jwk' is not a usable key: {exc}") from None
    if key.get("kty") != "EC" or key.get("crv") != "P-256":
        raise _refuse("the proof key must be an EC P-256 key (ES256)")
    others = [name for name in ("kid", "x5c") if name in header]
    if others:  # Appendix F.1: jwk excludes kid and x5c
        raise _refuse(f"the proof header carries 'jwk' and {', '.join(map(repr, others))}; send only 'jwk'")
    return key, {name: value[name] for name in PUBLIC_MEMBERS}


_ENCRYPTION_OPS = ("encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits")


def _check_use(value: dict[str, Any]) -> None:
    """A key marked for another use than signing (RFC 7517 4.2, 4.3) never verifies a proof:
    said as such, rather than as a signature that does not verify."""
    use, ops = value.get("use"), value.get("key_ops")
    if "use" in value and use != "sig":
        marked = f"'use': {use!r}"
    elif "key_ops" in value and not (isinstance(ops, list) and "verify" in ops):
        marked = f"'key_ops': {ops!r}"
    else:
        return
    encryption = use == "enc" or (isinstance(ops, list) and any(op in _ENCRYPTION_OPS for op in ops))
    what = "encryption" if encryption else "another use"
    raise _refuse(f"the proof key is marked for {what}, not signing ({marked}): sign the proof with a "
                  "key for signing ('use': 'sig', or no 'use'; 'key_ops', if given, holding 'verify')")


def _check_coordinate(name: str, text: object) -> None:
    """The credential's ``cnf.jwk`` copies the coordinates as sent: they must be the one
    encoding of the key (RFC 7518 6.2.1.2), or verifiers and key thumbprints see another key."""
    octets = b""
    if isinstance(text, str) and _BASE64URL.fullmatch(text) and len(text) % 4 != 1:
        octets = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(octets) != COORDINATE_OCTETS or base64.urlsafe_b64encode(octets).rstrip(b"=").decode() != text:
        raise _refuse(
            f"the proof header 'jwk' member {name!r} must be the {COORDINATE_OCTETS}-octet coordinate "
            "in base64url without padding (RFC 7518 6.2.1)"
        )


def _is_proof_type(typ: object) -> bool:
    """RFC 7515 4.1.9: a ``typ`` without "/" stands for "application/" + it; media types are
    compared case-insensitively (RFC 2045)."""
    if not isinstance(typ, str):
        return False
    media_type = typ.lower() if "/" in typ else f"application/{typ.lower()}"
    return media_type == f"application/{PROOF_TYP}"


def _check_client(claims: dict[str, Any], client_id: str | None) -> None:
    """Appendix F.1: ``iss`` is the ``client_id`` of the wallet, and is omitted when the access
    token came from the pre-authorized code flow without a client_id (anonymous access)."""
    issuer = claims.get("iss")
    if issuer is None:  # omitted (or null)
        return
    if client_id is None:
        raise _refuse(
            f"the proof has 'iss' ({issuer!r}) but the access token was obtained without a client_id: "
            "omit 'iss', or send the client_id with the token request"
        )
    if issuer != client_id:
        raise _refuse(
            f"the proof 'iss' must be the client_id sent to the token endpoint {client_id!r} (got {issuer!r})"
        )


def _seconds(value: object) -> TypeGuard[int | float]:
    """A time claim is a finite number: JSON parsers take NaN, which every comparison lets pass,
    and integers of hundreds of digits, which no float holds (``math.isfinite`` overflows)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_SECONDS
    return math.isfinite(value)


def _check_issued_at(issued_at: object, policy: ProofPolicy, now: float) -> None:
    """``iat`` is a finite number within ``max_age`` before now and ``max_skew`` after."""
    if not _seconds(issued_at):
        raise _refuse("the proof needs a numeric 'iat'")
    if issued_at < now - policy.max_age:
        raise _refuse(
            f"the proof is stale: 'iat' is {int(now - issued_at)} s old (at most {policy.max_age} s)"
        )
    if issued_at > now + policy.max_skew:
        raise _refuse("the proof 'iat' lies in the future; check the wallet's clock")


def _check_validity(claims: dict[str, Any], policy: ProofPolicy, now: float) -> None:
    """``exp`` and ``nbf`` when a wallet sets them (RFC 7519 4.1.4-4.1.5: a JWT must not be
    accepted after its expiry or before its start), with the clock drift ``iat`` is allowed."""
    for name in ("exp", "nbf"):
        value = claims.get(name)
        if value is None:
            continue
        if not _seconds(value):
            raise _refuse(f"the proof '{name}' must be a number of seconds")
        if name == "exp" and value < now - policy.max_skew:
            raise _refuse(f"the proof expired {int(now - value)} s ago ('exp'); make a new proof")
        if name == "nbf" and value > now + policy.max_skew:
            raise _refuse("the proof is not valid yet ('nbf' lies in the future); check the wallet's clock")


def verify_proof(
    token: str, policy: ProofPolicy, *, now: float, client_id: str | None = None
) -> VerifiedProof:
    """Check header, signature, audience, client and freshness; return the holder key and nonce.

    ``client_id`` is the one the wallet sent to the token endpoint, None if it sent none.
    """
    parsed, header = _parse(token)
    if not _is_proof_type(header.get("typ")):
        raise _refuse(f"the proof header 'typ' must be '{PROOF_TYP}' (got {header.get('typ')!r})")
    alg = header.get("alg")
    if alg not in PROOF_ALGORITHMS:
        raise _refuse(f"proof algorithm {alg!r} is not supported; use {', '.join(PROOF_ALGORITHMS)}")
    key, public = holder_key(header)
    try:
        parsed.verify(key, alg=str(alg))
    except (JWException, ValueError, TypeError):
        raise _refuse("the proof signature does not verify with the key in its header") from None
    try:
        claims = json.loads(parsed.payload)
    except (ValueError, TypeError, RecursionError):
        raise _refuse("the proof payload is not JSON") from None
    if not isinstance(claims, dict):
        raise _refuse("the proof payload is not a JSON object")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if policy.audience not in audiences:
        raise _refuse(f"the proof 'aud' must be the credential issuer {policy.audience!r} (got {audience!r})")
    _check_issued_at(claims.get("iat"), policy, now)
    _check_validity(claims, policy, now)
    _check_client(claims, client_id)
    nonce = claims.get("nonce")
    if nonce is not None and not isinstance(nonce, str):
        raise _refuse("the proof 'nonce' must be a string")
    return VerifiedProof(public, nonce)
