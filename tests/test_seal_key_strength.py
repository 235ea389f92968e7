"""Weak cryptography in the seal certificate: an RSA key under 2048 bits or a certificate signed
with SHA-1 cannot make a seal, in JAdES and XAdES alike, and edcbridge refuses to seal with one.
npm jose refuses the short RSA key too (its own minimum for RS256)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from edcbridge.seal import devpki, jades, keys
from edcbridge.seal.certs import strength_problem
from edcbridge.seal.errors import CertificateError
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.verify import VerifyOptions, verify_document
from edcbridge.xml.verify import verify_bytes
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool
from tests.test_seal_peers import _run_peer

NOW = datetime.now(UTC).replace(microsecond=0)
PAYLOAD = '{"id": "urn:credential:weak", "type": ["VerifiableCredential"]}'
XML = (b'<?xml version="1.0" encoding="UTF-8"?><europassCredential xmlns="http://data.europa.eu/snb">'
       b"<title>weak</title><proof/></europassCredential>")


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=30))


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    ca: x509.Certificate


def _later() -> datetime:
    """A minute from now: the openssl certificates are valid from the second they are made."""
    return datetime.now(UTC) + timedelta(minutes=1)


def _openssl(*args: str) -> None:
    subprocess.run([need_tool("openssl"), *args], capture_output=True, check=True, timeout=60)


def _seal_certificate(folder: Path, bits: int, hash_name: str) -> Issued:
    """A CA and an e-seal certificate under it, made by the openssl command line (cryptography
    no longer signs with SHA-1): an RSA key of *bits*, the certificate signed with *hash_name*."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(folder / "ca.key"), "-out",
             str(folder / "ca.pem"), "-subj", "/CN=EDCBRIDGE TEST weak CA", "-days", "30")
    _openssl("req", "-newkey", f"rsa:{bits}", "-nodes", "-keyout", str(folder / "seal.key"), "-out",
             str(folder / "seal.csr"), "-subj", "/C=BE/O=EDCBRIDGE TEST/CN=EDCBRIDGE TEST weak e-seal")
    (folder / "ext.cnf").write_text("basicConstraints=critical,CA:FALSE\n"
                                    "keyUsage=critical,digitalSignature,nonRepudiation\n")
    _openssl("x509", "-req", "-in", str(folder / "seal.csr"), "-CA", str(folder / "ca.pem"), "-CAkey",
             str(folder / "ca.key"), "-CAcreateserial", f"-{hash_name}", "-days", "20", "-extfile",
             str(folder / "ext.cnf"), "-out", str(folder / "seal.pem"))
    key = serialization.load_pem_private_key((folder / "seal.key").read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return Issued(key, x509.load_pem_x509_certificate((folder / "seal.pem").read_bytes()),
                  x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes()))


def _jades(seal: Issued, chain: tuple[x509.Certificate, ...] = ()) -> bytes:
    header = jades.protected_header(seal.cert, chain, "RS256", datetime.now(UTC))
    protected = jades.b64url(jades.encode_json(header).encode())
    signature = jades.b64url(jades.sign(seal.key, "RS256", jades.signing_input(protected, PAYLOAD)))
    entry = {"protected": protected, "signature": signature}
    return json.dumps({"payload": PAYLOAD, "signatures": [entry]}).encode()


CASES = {"rsa-1024": (1024, "sha256", "1024-bit RSA key"),
         "sha1-signed": (2048, "sha1", "is signed with SHA1")}


@pytest.mark.parametrize("case", list(CASES))
def test_a_weak_seal_certificate_fails_jades_verification(case: str, tmp_path: Path) -> None:
    bits, hash_name, reason = CASES[case]
    seal_cert = _seal_certificate(tmp_path, bits, hash_name)
    data = _jades(seal_cert)
    seal = verify_document(data, VerifyOptions(at=_later(), trust_anchors=(seal_cert.ca,))).checks["SEAL"]
    assert seal.status == "ERROR" and reason in seal.reason, seal
    path = tmp_path / f"{case}.json"
    path.write_bytes(data)
    if bits < 2048:
        assert not _run_peer([path])[0]["ok"]


@pytest.mark.parametrize("case", list(CASES))
def test_a_weak_seal_certificate_fails_xades_verification(case: str, tmp_path: Path) -> None:
    bits, hash_name, reason = CASES[case]
    seal = _seal_certificate(tmp_path, bits, hash_name)
    sealed = XadesSealer(keys.SealKey(seal.key, seal.cert)).seal_bytes(XML)
    verdict = verify_bytes(sealed, "weak.xml", (seal.ca,))
    assert verdict.checks["SEAL"].status == "ERROR" and reason in verdict.checks["SEAL"].reason


@pytest.mark.parametrize("case", list(CASES))
def test_sealing_with_a_weak_certificate_is_refused(case: str, tmp_path: Path) -> None:
    bits, hash_name, reason = CASES[case]
    seal = _seal_certificate(tmp_path, bits, hash_name)
    with pytest.raises(CertificateError, match=reason):
        Sealer(keys.SealKey(seal.key, seal.cert), clock=_later)


def test_a_2048_bit_sha256_certificate_is_strong_enough(pki: devpki.DevPki, tmp_path: Path) -> None:
    assert strength_problem(pki.seal.certificate) is None
    seal = _seal_certificate(tmp_path, 2048, "sha256")
    assert strength_problem(seal.cert) is None
    sealed = XadesSealer(keys.SealKey(seal.key, seal.cert)).seal_bytes(XML)
    assert verify_bytes(sealed, "strong.xml", (seal.ca,)).checks["SEAL"].status == "OK"
    result = verify_document(_jades(seal), VerifyOptions(at=_later(), trust_anchors=(seal.ca,)))
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason


def test_a_ca_certificate_signed_with_sha1_breaks_the_chain(tmp_path: Path) -> None:
    """A SHA-1 signature anywhere below the trust anchor lets a forger mint a CA of their own."""
    root = _seal_certificate(tmp_path, 2048, "sha256")  # its CA is the trust anchor
    (tmp_path / "ca.cnf").write_text("basicConstraints=critical,CA:TRUE\n"
                                     "keyUsage=critical,keyCertSign,cRLSign\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "sub.key"), "-out",
             str(tmp_path / "sub.csr"), "-subj", "/CN=EDCBRIDGE TEST SHA-1 sub CA")
    _openssl("x509", "-req", "-in", str(tmp_path / "sub.csr"), "-CA", str(tmp_path / "ca.pem"), "-CAkey",
             str(tmp_path / "ca.key"), "-CAcreateserial", "-sha1", "-days", "20", "-extfile",
             str(tmp_path / "ca.cnf"), "-out", str(tmp_path / "sub.pem"))
    _openssl("x509", "-req", "-in", str(tmp_path / "seal.csr"), "-CA", str(tmp_path / "sub.pem"), "-CAkey",
             str(tmp_path / "sub.key"), "-CAcreateserial", "-sha256", "-days", "20", "-extfile",
             str(tmp_path / "ext.cnf"), "-out", str(tmp_path / "leaf.pem"))
    sub = x509.load_pem_x509_certificate((tmp_path / "sub.pem").read_bytes())
    leaf = x509.load_pem_x509_certificate((tmp_path / "leaf.pem").read_bytes())
    seal = Issued(root.key, leaf, root.ca)
    options = VerifyOptions(at=_later(), trust_anchors=(root.ca,))
    check = verify_document(_jades(seal, (sub,)), options).checks["SEAL"]
    assert check.status == "ERROR" and "not trusted" in check.reason and "signed with SHA1" in check.reason
    sealed = XadesSealer(keys.SealKey(seal.key, leaf, (sub,))).seal_bytes(XML)
    verdict = verify_bytes(sealed, "sub.xml", (root.ca,)).checks["SEAL"]
    assert verdict.status == "ERROR" and "signed with SHA1" in verdict.reason
