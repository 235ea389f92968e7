"""The ECDSA algorithms of JOSE: each ``ESxxx`` signs on one curve with one hash (RFC 7518, 3.4;
ES256K on secp256k1, RFC 8812, 3.2), the JWK names that curve ``crv``, and the signature value
is r||s, each of the curve's size, where `cryptography` speaks DER.

Each caller takes the algorithms it allows (:func:`algorithms`): JAdES and VC-JWT the NIST
curves, EBSI's JWT profile ES256 and ES256K.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature


@dataclass(frozen=True)
class EcAlgorithm:
    """An ECDSA JWS algorithm: one curve, one hash, r and s (and the JWK's x and y) of *size*
    bytes each."""

    alg: str  # as JOSE names it
    crv: str  # the curve as a JWK names it
    curve: ec.EllipticCurve
    digest: type[hashes.HashAlgorithm]
    size: int

    @property
    def curve_name(self) -> str:
        """The curve as `cryptography` names it (``secp256r1``)."""
        return self.curve.name

    def ecdsa(self) -> ec.ECDSA:
        return ec.ECDSA(self.digest())


EC_ALGORITHMS = {
    spec.alg: spec
    for spec in (
        EcAlgorithm("ES256", "P-256", ec.SECP256R1(), hashes.SHA256, 32),
        EcAlgorithm("ES384", "P-384", ec.SECP384R1(), hashes.SHA384, 48),
        EcAlgorithm("ES512", "P-521", ec.SECP521R1(), hashes.SHA512, 66),
        EcAlgorithm("ES256K", "secp256k1", ec.SECP256K1(), hashes.SHA256, 32),
    )
}
NIST = ("ES256", "ES384", "ES512")


def algorithms(*names: str) -> dict[str, EcAlgorithm]:
    """The algorithms *names*, by JOSE name."""
    return {name: EC_ALGORITHMS[name] for name in names}


def by_curve(specs: Mapping[str, EcAlgorithm]) -> dict[str, EcAlgorithm]:
    """The same algorithms by the `cryptography` name of their curve."""
    return {spec.curve_name: spec for spec in specs.values()}


# secp256k1's group order: its verifiers (Ethereum's, @noble/curves' by default, which did-jwt
# builds on) take only the low-S form of a signature, s <= n/2 (BIP 146, EIP-2)
_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def sign(key: ec.EllipticCurvePrivateKey, spec: EcAlgorithm, data: bytes) -> bytes:
    """The JWS signature value of *data*: r||s, each of *spec*'s size; on secp256k1 low-S (s and
    n - s are equally valid, and half of all signatures would be high-S)."""
    r, s = decode_dss_signature(key.sign(data, spec.ecdsa()))
    if isinstance(spec.curve, ec.SECP256K1):
        s = min(s, _SECP256K1_ORDER - s)
    return r.to_bytes(spec.size, "big") + s.to_bytes(spec.size, "big")


def verify(key: ec.EllipticCurvePublicKey, spec: EcAlgorithm, signature: bytes, data: bytes) -> None:
    """Check a raw r||s signature value (the caller checks its length); InvalidSignature when it
    does not hold."""
    half = len(signature) // 2
    r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    der = encode_dss_signature(r, s)
    key.verify(der, data, spec.ecdsa())

