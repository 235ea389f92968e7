"""OCSP responses signed with RSASSA-PSS (RFC 4055), as some certification authorities' responders
sign them, made by `openssl ocsp -rsigopt rsa_padding_mode:pss`: read with their own hash and salt,
not refused as an unknown algorithm, and a changed byte still breaks them."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from edcbridge.seal import devpki, revocation
from tests.conftest import need_tool

NOW = datetime.now(UTC).replace(microsecond=0)  # the PKI's time; answers are checked when made


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW)


def _pss_answer(pki: devpki.DevPki, folder: Path, status: str, digest: str = "sha256") -> bytes:
    """``status`` V (good) or R (revoked), signed by the issuing CA with RSASSA-PSS."""
    openssl = need_tool("openssl")
    (folder / "ca.pem").write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "ca.key").write_bytes(pki.root.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    request = ocsp.OCSPRequestBuilder().add_certificate(
        pki.seal.certificate, pki.root.certificate, hashes.SHA256()).build()
    (folder / "req.der").write_bytes(request.public_bytes(serialization.Encoding.DER))
    expiry = f"{NOW + timedelta(days=30):%y%m%d%H%M%SZ}"
    revoked = f"{NOW - timedelta(days=1):%y%m%d%H%M%SZ}" if status == "R" else ""
    (folder / "index.txt").write_text(
        f"{status}\t{expiry}\t{revoked}\t{pki.seal.certificate.serial_number:X}\tunknown\t/CN=seal\n")
    subprocess.run([openssl, "ocsp", "-index", str(folder / "index.txt"), "-rsigner", str(folder / "ca.pem"),
                    "-rkey", str(folder / "ca.key"), "-CA", str(folder / "ca.pem"),
                    "-reqin", str(folder / "req.der"), "-respout", str(folder / "resp.der"),
                    "-rsigopt", "rsa_padding_mode:pss", "-rsigopt", "rsa_pss_saltlen:32",
                    "-rmd", digest, "-ndays", "1"],
                   check=True, capture_output=True)
    return (folder / "resp.der").read_bytes()


@pytest.mark.parametrize("digest", ["sha256", "sha384"])
def test_a_pss_signed_good_answer_is_read(pki: devpki.DevPki, tmp_path: Path, digest: str) -> None:
    found = revocation.ocsp_finding(_pss_answer(pki, tmp_path, "V", digest), pki.seal.certificate,
                                    pki.root.certificate, [], datetime.now(UTC))  # made now
    assert found is not None and found.good, found


def test_a_pss_signed_revoked_answer_is_final(pki: devpki.DevPki, tmp_path: Path) -> None:
    found = revocation.ocsp_finding(_pss_answer(pki, tmp_path, "R"), pki.seal.certificate,
                                    pki.root.certificate, [], datetime.now(UTC))  # made now
    assert found is not None and found.revoked, found


def test_a_pss_signed_answer_with_a_changed_byte_is_refused(pki: devpki.DevPki, tmp_path: Path) -> None:
    answer = bytearray(_pss_answer(pki, tmp_path, "V"))
    at = bytes(answer).find(ocsp.load_der_ocsp_response(bytes(answer)).signature)
    assert at > 0
    answer[at + 10] ^= 0x01  # inside the signature value
    found = revocation.ocsp_finding(bytes(answer), pki.seal.certificate, pki.root.certificate, [],
                                    datetime.now(UTC))
    assert found is not None and not found.good and "invalid signature" in found.reason, found
