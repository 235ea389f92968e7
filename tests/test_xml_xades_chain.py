"""A seal certificate under an issuing CA: the XAdES seal carries the intermediate, so xmlsec1 and
``verify-xml`` build the chain from the root CA alone (as qualified seals always need); and a seal
whose KeyInfo and SigningCertificateV2 also name the CA, in any order, is read as xmlsec1 reads it."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree

from edcbridge.model import Award, Catalogue
from edcbridge.seal.devpki import DevPki, Issued, generate, issue_seal_certificate, new_key
from edcbridge.seal.keys import SealKey
from edcbridge.xml import edc12, xades
from edcbridge.xml.verify import verify_bytes
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool
from tests.xml_support import fixture_awards


@pytest.fixture(scope="module")
def award(fixture_sets: list[tuple[Path, list[Path]]]) -> tuple[Award, Catalogue]:
    _, first, catalogue = next(item for item in fixture_awards(fixture_sets) if item[0] == "imperial")
    return first, catalogue


def _issuing_ca(pki: DevPki) -> Issued:
    key, now = new_key(), datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "EDCBRIDGE TEST Issuing CA"),
                      x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "EDCBRIDGE TEST PKI")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(pki.root.certificate.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=900))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.root.key.public_key()),
                           critical=False)
            .sign(pki.root.key, hashes.SHA256()))
    return Issued(key, cert)


def _seal(pki: DevPki, issuing: Issued) -> SealKey:
    now = datetime.now(UTC)
    leaf = issue_seal_certificate(issuing, organisation="EDCBRIDGE TEST University",
                                  organisation_identifier="NTRBE-TEST0001", country="BE",
                                  not_before=now - timedelta(days=1), not_after=now + timedelta(days=300))
    return SealKey(leaf.key, leaf.certificate, (issuing.certificate, pki.root.certificate))


def _xmlsec1(data: bytes, pki: DevPki, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    sealed, root = tmp_path / "sealed.xml", tmp_path / "root.pem"
    sealed.write_bytes(data)
    root.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    return subprocess.run([need_tool("xmlsec1"), "--verify", "--id-attr:Id",
                           "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", "--trusted-pem",
                           str(root), str(sealed)], capture_output=True, text=True, timeout=60)


def test_the_seal_carries_the_intermediate_ca(award: tuple[Award, Catalogue], tmp_path: Path) -> None:
    pki = generate()
    seal = _seal(pki, _issuing_ca(pki))
    data = XadesSealer(seal).seal_bytes(edc12.serialise(edc12.to_edc_xml(*award)))
    independent = _xmlsec1(data, pki, tmp_path)
    assert independent.returncode == 0, independent.stderr
    ours = verify_bytes(data, "sealed.xml", (pki.root.certificate,))
    assert ours.ok and ours.checks["SEAL"].reason.endswith("chains to a trust anchor"), ours.as_dict()
    assert ours.certificate == seal.certificate
    assert data.count(b"<ds:X509Certificate>") == 2  # leaf and issuing CA, never the root


def _ca_first(signature: etree._Element, seal: SealKey) -> None:
    """KeyInfo with the issuing CA before the seal certificate (XML-DSig fixes no order)."""
    x509_data = etree.SubElement(etree.SubElement(signature, xades._ds("KeyInfo")), xades._ds("X509Data"))
    for cert in (*seal.intermediates, seal.certificate):
        etree.SubElement(x509_data, xades._ds("X509Certificate")).text = base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)).decode()


def test_a_seal_naming_its_ca_too_verifies_whatever_the_order(award: tuple[Award, Catalogue], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pki = generate()
    seal = _seal(pki, _issuing_ca(pki))
    write_properties = xades._qualifying_properties

    def naming_the_ca(*args: object) -> etree._Element:
        """SigningCertificateV2 with a second Cert for the issuing CA, as XAdES allows."""
        signed = write_properties(*args)  # type: ignore[arg-type]
        v2 = signed.find(f".//{xades._x('SigningCertificateV2')}")
        assert v2 is not None
        digest = etree.SubElement(etree.SubElement(v2, xades._x("Cert")), xades._x("CertDigest"))
        etree.SubElement(digest, xades._ds("DigestMethod"), {"Algorithm": xades.SHA512})
        der = seal.intermediates[0].public_bytes(serialization.Encoding.DER)
        etree.SubElement(digest, xades._ds("DigestValue")).text = base64.b64encode(
            hashlib.sha512(der).digest()).decode()
        return signed

    monkeypatch.setattr(xades, "_qualifying_properties", naming_the_ca)
    monkeypatch.setattr(xades, "_key_info", _ca_first)
    data = XadesSealer(seal).seal_bytes(edc12.serialise(edc12.to_edc_xml(*award)))
    independent = _xmlsec1(data, pki, tmp_path)
    assert independent.returncode == 0, independent.stderr
    ours = verify_bytes(data, "sealed.xml", (pki.root.certificate,))
    assert ours.ok, ours.as_dict()
    assert ours.certificate == seal.certificate
