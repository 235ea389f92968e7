"""Secure OB 3.0 / CLR 2.0 credentials as VC-JWT (compact JWS) with the issuer's e-seal key.

As the Open Badges 3.0 specification (JSON Web Token proof format) describes: the JOSE header
names the algorithm and carries the key (``x5c``: the seal certificate and its chain, and
``jwk``); the payload is the credential itself plus the registered claims ``iss`` (issuer
id), ``jti`` (credential id), ``nbf`` (``validFrom``), ``exp`` (``validUntil``, when set) and
``sub`` (the subject id, when set). Signing uses the seal's own JWS primitives.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from edcbridge.seal import jades
from edcbridge.seal.certs import der_b64
from edcbridge.seal.keys import SealKey

Doc = dict[str, Any]


class JwtError(ValueError):
    """A VC-JWT that cannot be read or whose signature does not verify."""


def _epoch(text: str) -> int:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp())


def _public_jwk(key: SealKey) -> Doc:
    public = key.certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": jades.b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                "e": jades.b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))}
    if isinstance(public, ec.EllipticCurvePublicKey):
        point = public.public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": jades.b64url(point.x.to_bytes(32, "big")),
                "y": jades.b64url(point.y.to_bytes(32, "big"))}
    raise JwtError(f"unsupported seal key type {type(public).__name__}; use an RSA or EC P-256 seal")


def claims(credential: Doc) -> Doc:
    """The JWT payload: the credential plus the registered claims derived from it."""
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
    return payload


def sign_vc_jwt(credential: Doc, key: SealKey, algorithm: str | None = None) -> str:
    """The credential as a compact JWS signed with the seal key (RS256, PS256 or ES256)."""
    alg = algorithm or ("ES256" if isinstance(key.private_key, ec.EllipticCurvePrivateKey) else "RS256")
    jades.check_algorithm(alg, key.private_key)
    header = {"alg": alg, "typ": "JWT", "x5c": [der_b64(c) for c in (key.certificate, *key.intermediates)],
              "jwk": _public_jwk(key)}
    head = jades.b64url(jades.encode_json(header).encode("utf-8"))
    body = jades.b64url(jades.encode_json(claims(credential)).encode("utf-8"))
    signature = jades.sign(key.private_key, alg, f"{head}.{body}".encode("ascii"))
    return f"{head}.{body}.{jades.b64url(signature)}"


def _part(text: str) -> Any:
    try:
        return json.loads(jades.b64url_decode(text))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JwtError(f"not a JWT: a part is not base64url JSON ({exc})") from None


def read_vc_jwt(token: str) -> tuple[Doc, Doc, x509.Certificate]:
    """(header, payload, signing certificate) of a VC-JWT, after checking its signature
    against the first ``x5c`` certificate (trust in that certificate is the caller's)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise JwtError("not a compact JWS: expected three dot-separated parts")
    header, payload = _part(parts[0]), _part(parts[1])
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JwtError("JWT header and payload must be JSON objects")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    except (KeyError, IndexError, TypeError, ValueError):
        raise JwtError("the JWT header has no usable x5c certificate") from None
    data = f"{parts[0]}.{parts[1]}".encode("ascii")
    signature = jades.b64url_decode(parts[2])
    public = cert.public_key()
    alg = header.get("alg")
    try:
        if isinstance(public, rsa.RSAPublicKey) and alg == "RS256":
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, rsa.RSAPublicKey) and alg == "PS256":
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
            public.verify(signature, data, pss, hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey) and alg == "ES256" and len(signature) == 64:
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                       int.from_bytes(signature[32:], "big"))
            public.verify(der, data, ec.ECDSA(hashes.SHA256()))
        else:
            raise JwtError(f"algorithm {alg!r} does not fit the certificate's key; expected RS256, PS256 "
                           "or ES256")
    except InvalidSignature:
        raise JwtError("the JWT signature does not verify: the token was changed or signed with "
                       "another key") from None
    return header, payload, cert
