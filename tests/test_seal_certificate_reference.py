"""The signed reference to the signing certificate: JAdES x5t#S256 / x5t#o / sigX5ts, XAdES
SigningCertificate(V2). Baseline B-B requires one (TS 119 182-1 6.3, EN 319 132-1 6.3); the EU
DSS refuses a seal without it, and so does edcbridge."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from edcbridge.seal import devpki, jades, keys
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.conftest import need_tool

NOW = datetime.now(UTC).replace(microsecond=0)
PAYLOAD = '{"id": "urn:credential:reference", "type": ["VerifiableCredential"]}'
NO_REFERENCE = ("the protected header references no signing certificate (x5t#S256, x5t#o or sigX5ts): "
                "a JAdES baseline signature needs one (ETSI TS 119 182-1, 6.3)")


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=30))


def openssl_digest(cert: x509.Certificate, name: str) -> bytes:
    """The certificate digest as openssl computes it (an implementation independent of ours)."""
    command = [need_tool("openssl"), "x509", "-inform", "DER", "-noout", "-fingerprint", f"-{name}"]
    der = cert.public_bytes(serialization.Encoding.DER)
    out = subprocess.run(command, input=der, capture_output=True, check=True).stdout.decode()
    found = re.search(r"=([0-9A-F:]+)", out)
    assert found is not None, out
    return bytes.fromhex(found.group(1).replace(":", ""))


def _hand_sealed(pki: devpki.DevPki, change: dict[str, Any], drop: tuple[str, ...] = ()) -> bytes:
    header = jades.protected_header(pki.seal.certificate, (pki.root.certificate,), "RS256", NOW)
    header.update(change)
    for name in drop:
        del header[name]
    protected = jades.b64url(jades.encode_json(header).encode())
    signature = jades.b64url(jades.sign(pki.seal.key, "RS256", jades.signing_input(protected, PAYLOAD)))
    entry = {"protected": protected, "signature": signature}
    return json.dumps({"payload": PAYLOAD, "signatures": [entry]}).encode()


def _seal(data: bytes) -> tuple[str, str]:
    check = verify_document(data, VerifyOptions(at=NOW)).checks["SEAL"]
    return check.status, check.reason


@pytest.mark.parametrize("drop", [("x5t#S256",), ("x5t#S256", "kid")])
def test_a_jades_seal_without_a_certificate_reference_is_refused(pki: devpki.DevPki,
                                                                   drop: tuple[str, ...]) -> None:
    assert _seal(_hand_sealed(pki, {}))[0] == "OK"
    assert _seal(_hand_sealed(pki, {}, drop)) == ("ERROR", NO_REFERENCE)


def _x5t_o(pki: devpki.DevPki, alg: str, openssl_name: str, *, url: bool = True) -> dict[str, str]:
    digest = openssl_digest(pki.seal.certificate, openssl_name)
    value = jades.b64url(digest) if url else base64.b64encode(digest).decode()
    return {"digAlg": alg, "digVal": value}


def test_x5t_o_and_sig_x5ts_reference_the_certificate(pki: devpki.DevPki) -> None:
    """DSS writes digAlg as a JAdES id (S512) with base64url, older versions as an XML URI with
    base64; both name the certificate when the digest matches openssl's."""
    forms = [_x5t_o(pki, "S512", "sha512"), _x5t_o(pki, "S256", "sha256"),
             _x5t_o(pki, "http://www.w3.org/2001/04/xmlenc#sha512", "sha512", url=False)]
    for form in forms:
        assert _seal(_hand_sealed(pki, {"x5t#o": form}, ("x5t#S256",)))[0] == "OK", form
        critical = {"x5t#o": form, "crit": ["b64", "sigT", "x5t#o"]}
        assert _seal(_hand_sealed(pki, critical, ("x5t#S256",)))[0] == "OK", form
        root = {"digAlg": "S256", "digVal": jades.b64url(openssl_digest(pki.root.certificate, "sha256"))}
        assert _seal(_hand_sealed(pki, {"sigX5ts": [form, root]}, ("x5t#S256",)))[0] == "OK", form


@pytest.mark.parametrize(("change", "reason"), [
    ({"x5t#S256": "AAAA"}, "x5t#S256 does not match the x5c certificate"),
    ({"x5t#o": {"digAlg": "S256", "digVal": "AAAA"}}, "x5t#o does not match the x5c certificate"),
    ({"x5t#o": {"digAlg": "http://www.w3.org/2000/09/xmldsig#sha1", "digVal": "AAAA"}},
     "x5t#o uses the digest 'http://www.w3.org/2000/09/xmldsig#sha1'; "
     "SHA-256, SHA-384 or SHA-512 is required"),
    ({"x5t#o": "AAAA"}, "x5t#o must be an object with digAlg and digVal"),
    ({"sigX5ts": []}, "sigX5ts must be a non-empty list of certificate digests"),
])
def test_a_reference_that_does_not_name_the_certificate_is_refused(pki: devpki.DevPki, change: dict[str, Any],
                                                                   reason: str) -> None:
    assert _seal(_hand_sealed(pki, change)) == ("ERROR", reason)


def test_sig_x5ts_must_start_with_the_signing_certificate(pki: devpki.DevPki) -> None:
    root = {"digAlg": "S256", "digVal": jades.b64url(openssl_digest(pki.root.certificate, "sha256"))}
    own = _x5t_o(pki, "S256", "sha256")
    sealed = _hand_sealed(pki, {"sigX5ts": [root, own]}, ("x5t#S256",))
    assert _seal(sealed) == ("ERROR", "sigX5ts[0] does not match the x5c certificate")


def test_own_jades_seals_carry_the_reference(pki: devpki.DevPki) -> None:
    seal_key = keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    doc = json.loads(Sealer(seal_key, level=Level.B_B, clock=lambda: NOW).seal(PAYLOAD))
    protected = doc["signatures"][0]["protected"]
    header = json.loads(jades.b64url_decode(protected))
    assert header["x5t#S256"] == jades.b64url(openssl_digest(pki.seal.certificate, "sha256"))
    assert verify_document(json.dumps(doc).encode(), VerifyOptions(at=NOW)).checks["SEAL"].status == "OK"
