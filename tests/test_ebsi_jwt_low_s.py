"""ES256K signatures of the EBSI profile in the low-S form (s at most half the group order), as
secp256k1 verifiers of the Ethereum and did-jwt world require: @noble/curves' secp256k1.verify,
by default, refuses the other half of otherwise valid ECDSA signatures."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from edcbridge.seal import jades
from edcbridge.seal.ebsi_jwt import EbsiSigner

DID = "did:ebsi:zvHWX359A3CvfJnCYaAiAde"
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
CREDENTIAL = {"id": "urn:credential:1", "issuer": {"id": DID},
              "credentialSubject": {"id": "urn:epass:person:1"}, "validFrom": "2025-07-14T00:00:00Z",
              "name": "Ünïcödé"}


def _signer(curve: ec.EllipticCurve) -> tuple[EbsiSigner, ec.EllipticCurvePublicKey]:
    key = ec.generate_private_key(curve)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return EbsiSigner(pem, DID + "#keys-1"), key.public_key()


def test_every_es256k_signature_is_low_s_and_holds() -> None:
    signer, public = _signer(ec.SECP256K1())
    for _ in range(40):  # a random signature is high-S half the time
        head, body, signature = signer.sign(CREDENTIAL).decode("ascii").split(".")
        raw = jades.b64url_decode(signature)
        assert len(raw) == 64
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        assert 0 < s <= SECP256K1_ORDER // 2
        public.verify(encode_dss_signature(r, s), f"{head}.{body}".encode("ascii"), ec.ECDSA(hashes.SHA256()))


def test_es256_signatures_still_hold() -> None:
    signer, public = _signer(ec.SECP256R1())
    for _ in range(5):
        head, body, signature = signer.sign(CREDENTIAL).decode("ascii").split(".")
        raw = jades.b64url_decode(signature)
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        public.verify(encode_dss_signature(r, s), f"{head}.{body}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
