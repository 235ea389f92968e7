"""Secure OB 3.0 / CLR 2.0 credentials as VC-JWT (compact JWS) with the issuer's e-seal key.

As the Open Badges 3.0 specification (JSON Web Token proof format) describes: the JOSE header
holds only ``alg``, ``typ`` ("JWT"), ``jwk`` and, when the issuer's DID document publishes the
key, ``kid`` (that key's DID URL; it allows no other header, so no ``x5c`` header); the seal
certificate and its chain travel inside the ``jwk`` as its ``x5c`` member (RFC 7517, 4.7),
whose first certificate holds the very key the ``jwk`` states. The payload is the credential
itself plus the claims a verifier requires: ``iss`` (issuer id), ``jti``
(credential id), ``nbf`` (``validFrom``), ``sub`` (``credentialSubject.id``) and ``exp``
(``validUntil``, when set). RSA seals sign RS256 (or PS256) with the seal's own JWS
primitives; EC seals sign with the JOSE algorithm of their curve (ES256 for P-256, ES384 for
P-384, ES512 for P-521); Ed25519 seals sign EdDSA (RFC 8037, JWK ``kty`` "OKP"). Curves JOSE
has no algorithm for, such as brainpool, are refused.

Reading follows the OB 3.0 verification steps (8.2.6): a header with other members than ``alg``,
``kid``, ``jwk`` and ``typ`` ("JWT"), a ``jwk`` with private key members, a payload whose claims
are not the credential's own, and a credential not yet valid or expired are refused. An ``exp``
claim sets the ``validUntil`` of a credential that states none, as 8.2.6.1 says. The key is the
header's ``jwk`` (with or without ``x5c``) or, for a ``kid``, a key the caller gives, directly
or in the DID document of the kid's DID: a bare key proves integrity, only a certificate the
caller trusts, or the issuer's DID document, says who signed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from edcbridge.seal import jades, jose_ec
from edcbridge.seal.certs import der_b64
from edcbridge.seal.keys import BadgeKey

Doc = dict[str, Any]


class JwtError(ValueError):
    """A VC-JWT that cannot be read or whose signature does not verify."""


def _epoch(text: str) -> int:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp())


_CURVES = jose_ec.by_curve(jose_ec.algorithms(*jose_ec.NIST))


def _curve(curve: ec.EllipticCurve) -> jose_ec.EcAlgorithm:
    found = _CURVES.get(curve.name)
    if found is None:
        raise JwtError(f"VC-JWT (JOSE) has no signing algorithm for EC keys on {curve.name}: use an RSA seal "
                       "or an EC seal on P-256, P-384 or P-521")
    return found


def key_algorithm(key: BadgeKey) -> str:
    """The JWS algorithm ``key`` signs with by default; JwtError for a key JOSE cannot use."""
    if isinstance(key.private_key, ec.EllipticCurvePrivateKey):
        return _curve(key.private_key.curve).alg
    if isinstance(key.private_key, ed25519.Ed25519PrivateKey):
        return _EDDSA
    return "RS256"


def _public_jwk(key: BadgeKey) -> Doc:
    """The seal's public key as a JWK, with the certificate chain as its ``x5c``."""
    return {**_key_jwk(key.certificate.public_key()),
            "x5c": [der_b64(c) for c in (key.certificate, *key.intermediates)]}


def _key_jwk(public: Any) -> Doc:
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": jades.b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                "e": jades.b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))}
    if isinstance(public, ec.EllipticCurvePublicKey):
        curve, point = _curve(public.curve), public.public_numbers()
        return {"kty": "EC", "crv": curve.crv, "x": jades.b64url(point.x.to_bytes(curve.size, "big")),
                "y": jades.b64url(point.y.to_bytes(curve.size, "big"))}
    if isinstance(public, ed25519.Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": jades.b64url(public.public_bytes_raw())}
    raise JwtError(f"unsupported seal key type {type(public).__name__}; use an RSA, EC or Ed25519 seal")


DID_JWK_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"  # defines JsonWebKey2020


def did_key_id(did: str, public: Any) -> str:
    """The ``kid`` of a VC-JWT whose key the DID document of ``did`` publishes: the DID URL of
    its verification method, ``<did>#<JWK thumbprint>``."""
    return f"{did}#{jades.jwk_thumbprint(_key_jwk(public))}"


def jwk_did_document(did: str, public: Any) -> Doc:
    """The DID document the issuer publishes for ``did``: the key as a ``JsonWebKey2020`` (its
    public JWK) it controls, authorised to assert credentials (``assertionMethod``), under the
    id a VC-JWT names as ``kid`` (:func:`did_key_id`)."""
    method = did_key_id(did, public)
    return {"@context": ["https://www.w3.org/ns/did/v1", DID_JWK_CONTEXT],
            "id": did,
            "verificationMethod": [{"id": method, "type": "JsonWebKey2020", "controller": did,
                                    "publicKeyJwk": _key_jwk(public)}],
            "assertionMethod": [method]}


def _sign(key: BadgeKey, alg: str, data: bytes) -> bytes:
    private = key.private_key
    if isinstance(private, ed25519.Ed25519PrivateKey):
        if alg != _EDDSA:
            raise JwtError(f"{alg} does not fit this seal's Ed25519 key; use {_EDDSA}")
        return private.sign(data)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        if alg not in _RSA_ALGORITHMS:
            raise JwtError(f"{alg} does not fit this seal's RSA key; use RS256 or PS256")
        jades.check_algorithm(alg, private)
        return jades.sign(private, alg, data)
    curve = _curve(private.curve)
    if alg != curve.alg:
        raise JwtError(f"{alg} does not fit this seal's EC key on {curve.crv}; use {curve.alg}")
    return jose_ec.sign(private, curve, data)


_REQUIRED = {"iss": "issuer.id", "jti": "id", "nbf": "validFrom", "sub": "credentialSubject.id"}
_CLAIMS = {**_REQUIRED, "exp": "validUntil"}
_RSA_ALGORITHMS = ("RS256", "PS256")
_EDDSA = "EdDSA"  # RFC 8037, 3.1: the JWS algorithm of Ed25519 keys
_HEADERS = ("alg", "kid", "jwk", "typ")  # OB 3.0, 8.2.3: "Additional JOSE Headers are NOT allowed"
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")  # RFC 7518, 6.2.2, 6.3.2, 6.4
_MIN_RSA_BITS = 2048  # as JOSE libraries (npm jose) require for RS256 / PS256
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def claims(credential: Doc) -> Doc:
    """The JWT payload: the credential plus the registered claims derived from it. JwtError when
    a claim that OB 3.0 verifiers require cannot be derived."""
    payload = dict(credential)
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if isinstance(issuer_id, str):
        payload["iss"] = issuer_id
    if isinstance(credential.get("id"), str):
        payload["jti"] = credential["id"]
    if isinstance(credential.get("validFrom"), str):
        payload["nbf"] = _epoch(credential["validFrom"])
    if isinstance(credential.get("validUntil"), str):
        payload["exp"] = _epoch(credential["validUntil"])
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        payload["sub"] = subject["id"]
    missing = [f"{claim} ({source})" for claim, source in _REQUIRED.items() if claim not in payload]
    if missing:
        raise JwtError(f"the credential has no {', '.join(missing)}: an OB 3.0 verifier rejects a VC-JWT "
                       "without these claims")
    return payload


def sign_vc_jwt(credential: Doc, key: BadgeKey, algorithm: str | None = None, kid: str | None = None) -> str:
    """The credential as a compact JWS signed with the seal key (RS256 or PS256; ES256, ES384
    or ES512 after the EC key's curve; EdDSA for Ed25519). ``kid``: a DID URL of the key (see
    :func:`did_key_id`), named beside the ``jwk`` (OB 3.0 allows both; a verifier dereferences
    the ``kid`` or converts the ``jwk``)."""
    alg = algorithm or key_algorithm(key)
    header: Doc = {"alg": alg, "typ": "JWT", **({"kid": kid} if kid else {}), "jwk": _public_jwk(key)}
    head = jades.b64url(jades.encode_json(header).encode("utf-8"))
    body = jades.b64url(jades.encode_json(claims(credential)).encode("utf-8"))
    signature = _sign(key, alg, f"{head}.{body}".encode("ascii"))
    return f"{head}.{body}.{jades.b64url(signature)}"


def _part(text: str) -> Any:
    if not _BASE64URL.fullmatch(text):
        raise JwtError("not a JWT: a part is not base64url (RFC 7515 allows no padding, spaces or '+' '/')")
    try:
        return json.loads(jades.b64url_decode(text))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JwtError(f"not a JWT: a part is not base64url JSON ({exc})") from None


_KEY_MEMBERS = ("kty", "crv", "n", "e", "x", "y")


_JOSE_CURVES: dict[Any, ec.EllipticCurve] = {spec.crv: spec.curve for spec in _CURVES.values()}


def _base64url(jwk: Doc, member: str) -> str:
    value = jwk.get(member)
    if not isinstance(value, str) or not value or not _BASE64URL.fullmatch(value):
        raise JwtError(f"the jwk's {member!r} is not base64url (RFC 7518, 6; RFC 8037, 2)")
    return value


def _integer(jwk: Doc, member: str) -> int:
    return int.from_bytes(jades.b64url_decode(_base64url(jwk, member)), "big")


def _jwk_public_key(jwk: Doc) -> Any:
    """The RSA, EC or Ed25519 public key a JWK states (RFC 7518, 6.2 and 6.3; RFC 8037, 2)."""
    try:
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(jades.b64url_decode(_base64url(jwk, "x")))
        if jwk.get("kty") == "RSA":
            return rsa.RSAPublicNumbers(_integer(jwk, "e"), _integer(jwk, "n")).public_key()
        curve = _JOSE_CURVES.get(jwk.get("crv")) if jwk.get("kty") == "EC" else None
        if curve is not None:
            return ec.EllipticCurvePublicNumbers(_integer(jwk, "x"), _integer(jwk, "y"), curve).public_key()
    except ValueError as exc:
        raise JwtError(f"the jwk is not a usable public key ({exc})") from None
    raise JwtError(f"the jwk has kty {jwk.get('kty')!r} crv {jwk.get('crv')!r}; this reader takes RSA keys, "
                   "EC keys on P-256, P-384 or P-521 and OKP keys on Ed25519")


def _certificate(jwk: Doc) -> x509.Certificate:
    """The first certificate of the ``jwk``'s ``x5c``, which must hold the ``jwk``'s key."""
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))
    except (KeyError, IndexError, TypeError, ValueError):
        raise JwtError("the JWT header's jwk has no usable x5c certificate") from None
    try:
        same = _key_jwk(cert.public_key()) == _key_members(jwk)
    except JwtError:
        same = False
    if not same:
        raise JwtError("the JWT header's jwk is not the key of its x5c certificate")
    return cert


def did_document_jwk(kid: str, did_documents: Mapping[str, Doc]) -> Doc | None:
    """The public JWK of the verification method ``kid`` (a DID URL) in its DID's document from
    ``did_documents`` (None when that DID's document is not among them): a ``JsonWebKey2020``'s
    ``publicKeyJwk``, or a ``Multikey``'s Ed25519 key. JwtError when the document does not list
    the method, another DID controls it, or it may not assert credentials."""
    from edcbridge.badges.proof import ProofError, asserting_method, multikey_public

    did = kid.partition("#")[0]
    if did not in did_documents:
        return None
    try:
        method = asserting_method(did_documents[did], kid, did)
        if "publicKeyJwk" not in method:
            return _key_jwk(multikey_public(method.get("publicKeyMultibase")))
    except ProofError as exc:
        raise JwtError(f"the JWT header's kid names no key of the DID document given: {exc}") from None
    jwk = method["publicKeyJwk"]
    if not isinstance(jwk, dict) or any(member in jwk for member in _PRIVATE_MEMBERS):
        raise JwtError(f"the DID document of {did} gives {kid} no public JWK")
    return _key_members(jwk)


def _given_key(header: Doc, keys: Mapping[str, Doc] | None,
               did_documents: Mapping[str, Doc] | None) -> Doc | None:
    """The public JWK the caller gives for the header's ``kid``: from ``keys``, else from the
    DID document of the kid's DID. None when neither holds it."""
    kid = header.get("kid")
    if not isinstance(kid, str):
        return None
    if kid in (keys or {}):
        return (keys or {})[kid]
    return did_document_jwk(kid, did_documents or {})


def _signing_key(header: Doc, keys: Mapping[str, Doc] | None,
                 did_documents: Mapping[str, Doc] | None = None) -> tuple[Any, x509.Certificate | None]:
    """OB 3.0, 8.2.6: the key the ``kid`` names (taken from ``keys`` or ``did_documents``: this
    reader fetches nothing), else the header's ``jwk``. A header ``jwk`` beside a ``kid`` whose
    key is given must be that key. With an ``x5c`` in the header's JWK its first certificate is
    returned too; without one, None."""
    jwk, kid = header.get("jwk"), header.get("kid")
    given = _given_key(header, keys, did_documents)
    if given is not None:
        if isinstance(jwk, dict) and _key_members(jwk) != _key_members(given):
            raise JwtError(f"the JWT header's jwk is not the key its kid {kid!r} names: the token was signed "
                           "with another key")
        if not isinstance(jwk, dict) or "x5c" not in jwk:
            return _jwk_public_key(given), None
    elif jwk is None and "kid" in header:
        raise JwtError(f"the JWT header's kid {kid!r} names a key not given: pass it in keys (kid -> "
                       "public JWK, e.g. from the issuer's profile); this reader fetches nothing")
    if jwk is None:
        raise JwtError("the JWT header has no jwk and no kid: OB 3.0 requires one of them to find the key")
    if not isinstance(jwk, dict):
        raise JwtError("the JWT header's jwk is not a JSON object (RFC 7517 JWK)")
    if "x5c" not in jwk:
        return _jwk_public_key(jwk), None
    cert = _certificate(jwk)
    return cert.public_key(), cert


def _key_members(jwk: Doc) -> Doc:
    return {k: v for k, v in jwk.items() if k in _KEY_MEMBERS}


def _check_header(header: Doc) -> None:
    """OB 3.0, 8.2.3: only alg, kid, jwk and typ, typ "JWT" when present, a public jwk."""
    extra = sorted(set(header) - set(_HEADERS))
    if extra:
        raise JwtError(f"JOSE header {', '.join(map(repr, extra))} not allowed: OB 3.0 allows only "
                       "alg, kid, jwk and typ")
    if "typ" in header and header["typ"] != "JWT":
        raise JwtError(f"JOSE header typ is {header['typ']!r}; OB 3.0 requires \"JWT\" when typ is present")
    jwk = header.get("jwk")
    if isinstance(jwk, dict) and any(member in jwk for member in _PRIVATE_MEMBERS):
        raise JwtError("the JWT header's jwk holds private key members: the signer's key is exposed; "
                       "OB 3.0 forbids \"d\" in the jwk")


def credential_of(payload: Doc) -> Doc:
    """The credential a VC-JWT's payload carries: the payload without the JWT's registered
    claims (``iss``, ``jti``, ``nbf``, ``sub``, ``exp``), which state it again for JOSE readers."""
    return {k: v for k, v in payload.items() if k not in _CLAIMS}


def _claim_problems(payload: Doc) -> list[str]:
    """OB 3.0, 8.2.6.1: each registered claim must be present and equal what the credential
    in the payload states (exp only when it has validUntil; without one, exp sets it)."""
    credential = credential_of(payload)
    try:
        expected = claims(credential)
    except (JwtError, ValueError) as exc:
        return [str(exc)]
    if "validUntil" not in credential and _moment(payload.get("exp")) is not None:
        expected["exp"] = payload["exp"]
    return [f"{claim} is {payload.get(claim)!r}, not the credential's {source} ({expected.get(claim)!r})"
            for claim, source in _CLAIMS.items() if payload.get(claim) != expected.get(claim)]


def _moment(value: Any) -> dt.datetime | None:
    """A NumericDate claim as a moment (None when it is not a number of seconds a date can hold)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _valid_until(payload: Doc) -> Doc:
    """OB 3.0, 8.2.6.1: the ``exp`` claim "MUST be used to set the value of the validUntil"; a
    credential that states none takes it from ``exp``."""
    moment = _moment(payload.get("exp"))
    if "validUntil" in payload or moment is None:
        return payload
    return {**payload, "validUntil": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _check_time(payload: Doc, at: dt.datetime) -> None:
    moment = int(at.timestamp())
    if payload["nbf"] > moment:
        raise JwtError(f"the credential is not yet valid: validFrom {payload.get('validFrom')} is after "
                       f"{at.isoformat()}")
    if "exp" in payload and payload["exp"] <= moment:
        raise JwtError(f"the credential has expired: validUntil {payload.get('validUntil')} is not after "
                       f"{at.isoformat()}")


def decoded_parts(token: str) -> tuple[Doc, Doc]:
    """The JOSE header and the payload of a compact JWS, unverified; JwtError when it is none."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise JwtError("not a compact JWS: expected three dot-separated parts")
    header, payload = _part(parts[0]), _part(parts[1])
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JwtError("JWT header and payload must be JSON objects")
    return header, payload


def _check_kid_issuer(header: Doc, payload: Doc, did_documents: Mapping[str, Doc]) -> None:
    """A key from a DID document vouches for that DID's credentials only: the kid's DID must be
    the token's ``iss``."""
    did = kid_did(header)
    if did is not None and did in did_documents and payload.get("iss") != did:
        raise JwtError(f"the JWT header's kid {header['kid']!r} is a key of {did}, not of the token's issuer "
                       f"{payload.get('iss')!r}")


def kid_did(header: Doc) -> str | None:
    """The DID of the header's ``kid`` when it is a DID URL (``did:…#…``), else None."""
    kid = header.get("kid")
    return kid.partition("#")[0] if isinstance(kid, str) and kid.startswith("did:") and "#" in kid else None


def read_vc_jwt(token: str, at: dt.datetime | None = None, keys: Mapping[str, Doc] | None = None,
                did_documents: Mapping[str, Doc] | None = None) -> tuple[Doc, Doc, x509.Certificate | None]:
    """(header, payload, signing certificate) of a VC-JWT, after the OB 3.0 checks: header,
    signature against the public JWK that ``keys`` holds for the header's ``kid``, else that
    the DID document of the kid's DID in ``did_documents`` (by DID) lists for it (that DID must
    be the token's ``iss``), else against the header's ``jwk``, claims, and validity at ``at``
    (default: now). JwtError says what failed.

    The certificate is the first of the JWK's ``x5c``, whose key must be the JWK's; trust in it
    is the caller's. It is None for a JWK without ``x5c``: the signature then proves only that
    the token is unchanged since that key signed it, not who signed it (the ``iss`` claim is the
    signer's own word)."""
    parts = token.strip().split(".")
    header, payload = decoded_parts(token)
    _check_header(header)
    _check_numbers(payload)
    public, cert = _signing_key(header, keys, did_documents)
    if not _BASE64URL.fullmatch(parts[2]):
        raise JwtError("not a JWT: the signature is not base64url")
    data = f"{parts[0]}.{parts[1]}".encode("ascii")
    try:
        signature = jades.b64url_decode(parts[2])
    except ValueError:
        raise JwtError("not a JWT: the signature is not base64url") from None
    try:
        _verify(public, header.get("alg"), signature, data)
    except InvalidSignature:
        raise JwtError("the JWT signature does not verify: the token was changed or signed with "
                       "another key") from None
    problems = _claim_problems(payload)
    if problems:
        raise JwtError("the JWT claims are not the credential's (OB 3.0, 8.2.6.1): " + "; ".join(problems))
    _check_kid_issuer(header, payload, did_documents or {})
    payload = _valid_until(payload)
    _check_time(payload, at or dt.datetime.now(dt.UTC))
    return header, payload, cert


def _check_numbers(payload: Doc) -> None:
    """A payload holding NaN or Infinity is no JSON (RFC 8259), though Python reads it: JOSE
    readers elsewhere refuse the token, so it is refused here too, whatever its signature."""
    from edcbridge.validation.document import not_finite_problem

    problem = not_finite_problem(payload)
    if problem is not None:
        raise JwtError(f"the JWT payload is no JSON other readers take: {problem.removeprefix('the ')}")


def _verify(public: Any, alg: Any, signature: bytes, data: bytes) -> None:
    if isinstance(public, rsa.RSAPublicKey) and public.key_size < _MIN_RSA_BITS:
        raise JwtError(f"the signing RSA key has {public.key_size} bits; RS256 and PS256 need at least "
                       f"{_MIN_RSA_BITS}")
    if isinstance(public, rsa.RSAPublicKey) and alg == "RS256":
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        return
    if isinstance(public, rsa.RSAPublicKey) and alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
        public.verify(signature, data, pss, hashes.SHA256())
        return
    if isinstance(public, ed25519.Ed25519PublicKey) and alg == _EDDSA:
        public.verify(signature, data)
        return
    curve = _CURVES.get(public.curve.name) if isinstance(public, ec.EllipticCurvePublicKey) else None
    if curve is None or alg != curve.alg or len(signature) != 2 * curve.size:
        raise JwtError(f"algorithm {alg!r} does not fit the signing key; expected RS256 or PS256 "
                       "for RSA, ES256, ES384 or ES512 after the EC key's curve, EdDSA for Ed25519")
    jose_ec.verify(public, curve, signature, data)
