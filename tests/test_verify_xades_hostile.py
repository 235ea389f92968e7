"""`verify-xml` (XAdES) on hostile input: certificates that cannot be read, in the seal or put in the
unsigned KeyInfo by anyone, and a decoy CA certificate there that must not hide the valid chain.
Each test edits a real seal made here; xmlsec1 says what the cryptography alone makes of it."""

from __future__ import annotations

import base64
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtensionOID

from edcbridge.seal import devpki, keys
from edcbridge.xml import edc12
from edcbridge.xml.cli import register
from edcbridge.xml.verify import verify_bytes
from edcbridge.xml.xades import XadesSealer
from tests.conftest import fixture_awards, need_tool

NOW = datetime.now(UTC).replace(microsecond=0)
RSA_ENCRYPTION = bytes.fromhex("06092a864886f70d010101")  # the DER OID of an RSA public key
UNKNOWN_KEY = bytes.fromhex("06092a864886f70d010163")  # 1.2.840.113549.1.1.99: no such key type


@click.group()
def main() -> None:
    """Stand-in for the edcbridge group."""


register(main)


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=30))


@pytest.fixture(scope="module")
def plain() -> bytes:
    _, award, catalogue = fixture_awards()[0]
    return edc12.serialise(edc12.to_edc_xml(award, catalogue))


@pytest.fixture(scope="module")
def sealed(pki: devpki.DevPki, plain: bytes) -> str:
    seal = keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    return XadesSealer(seal).seal_bytes(plain).decode("utf-8")


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def _xmlsec1(path: Path, root: x509.Certificate) -> int:
    """libxmlsec1's verdict on the cryptography, with the root CA as trusted certificate."""
    pem = path.with_suffix(".root.pem")
    pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    command = [need_tool("xmlsec1"), "--verify", "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
               "--trusted-pem", str(pem), str(path)]
    return subprocess.run(command, capture_output=True, timeout=60).returncode


def _cli(path: Path, pki: devpki.DevPki) -> tuple[int, BaseException | None]:
    anchor = path.with_suffix(".anchor.pem")
    anchor.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    result = CliRunner().invoke(main, ["verify-xml", "--trust-anchor", str(anchor), str(path)])
    return result.exit_code, result.exception


def test_keyinfo_certificate_with_unknown_key_type_gets_a_verdict(
        pki: devpki.DevPki, sealed: str, tmp_path: Path) -> None:
    der = pki.seal.certificate.public_bytes(serialization.Encoding.DER)
    assert RSA_ENCRYPTION in der
    odd = x509.load_der_x509_certificate(der.replace(RSA_ENCRYPTION, UNKNOWN_KEY, 1))
    swapped = sealed.replace(_b64(pki.seal.certificate), _b64(odd))  # KeyInfo is not signed
    assert swapped != sealed
    path = tmp_path / "odd-key.xml"
    path.write_text(swapped, encoding="utf-8")

    verdict = verify_bytes(swapped.encode(), "odd-key.xml", (pki.root.certificate,))
    assert verdict.checks["SEAL"].status == "ERROR", verdict.checks["SEAL"].reason
    assert verdict.checks["SEAL"].reason.startswith("the signature does not verify")
    code, exception = _cli(path, pki)
    assert code == 1 and (exception is None or isinstance(exception, SystemExit)), exception


def test_seal_certificate_with_unreadable_extension_gets_a_verdict(
        pki: devpki.DevPki, plain: bytes, tmp_path: Path) -> None:
    key = devpki.new_key()
    cert = (devpki._builder(devpki._name("Garbled seal", "EDCBRIDGE TEST University", "BE", "NTRBE-TEST0001"),
                            pki.root, key.public_key(), NOW - timedelta(days=1), NOW + timedelta(days=30))
            .add_extension(x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x04\x00"), critical=True)
            .sign(pki.root.key, hashes.SHA256()))
    path = tmp_path / "garbled.xml"
    path.write_bytes(XadesSealer(keys.SealKey(key, cert, (pki.root.certificate,))).seal_bytes(plain))

    verdict = verify_bytes(path.read_bytes(), "garbled.xml", (pki.root.certificate,))
    assert not verdict.ok
    assert verdict.checks["SEAL"].reason == "KeyInfo holds no readable X509Certificate"
    code, exception = _cli(path, pki)
    assert code == 1 and (exception is None or isinstance(exception, SystemExit)), exception


@pytest.mark.parametrize("garbled", [False, True], ids=["expired", "garbled"])
def test_decoy_ca_certificate_in_keyinfo_does_not_hide_the_valid_chain(
        pki: devpki.DevPki, sealed: str, tmp_path: Path, garbled: bool) -> None:
    """A certificate with the root's name and key, signed by someone else, put first in KeyInfo."""
    constraints = x509.UnrecognizedExtension(ExtensionOID.BASIC_CONSTRAINTS, b"\x04\x00") if garbled else \
        x509.BasicConstraints(ca=True, path_length=None)
    decoy = (x509.CertificateBuilder().subject_name(pki.root.certificate.subject)
             .issuer_name(pki.root.certificate.subject).public_key(pki.root.key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(NOW - timedelta(days=60))
             .not_valid_after(NOW - timedelta(days=1)).add_extension(constraints, critical=True)
             .sign(devpki.new_key(), hashes.SHA256()))
    leaf = f"<ds:X509Certificate>{_b64(pki.seal.certificate)}</ds:X509Certificate>"
    assert leaf in sealed
    added = sealed.replace(leaf, f"<ds:X509Certificate>{_b64(decoy)}</ds:X509Certificate>{leaf}")
    path = tmp_path / "decoy.xml"
    path.write_text(added, encoding="utf-8")
    if not garbled:  # (xmlsec1 itself fails to read the garbled certificate)
        assert _xmlsec1(path, pki.root.certificate) == 0  # the seal itself is intact

    verdict = verify_bytes(added.encode(), "decoy.xml", (pki.root.certificate,))
    assert verdict.checks["SEAL"].status == "OK", verdict.checks["SEAL"].reason
    assert verdict.checks["SEAL"].reason.endswith("certificate chains to a trust anchor")
    assert verdict.ok, verdict.as_dict()
