"""XAdES baseline B-B signed properties: a seal must sign which certificate made it
(SigningCertificateV2 or SigningCertificate) and when it claims to have been made (SigningTime),
as ETSI EN 319 132-1 6.3 requires and the EU DSS enforces. Each crafted seal is otherwise
sound: libxmlsec1's own ``xmlsec1`` verifies it."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from edcbridge.model import Award, Catalogue
from edcbridge.seal import SealKey, TestSeal, load_p12
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.verify import Check
from edcbridge.xml import edc12, xades
from edcbridge.xml.verify import verify_bytes
from tests.conftest import need_tool
from tests.test_seal_certificate_reference import openssl_digest
from tests.xml_support import fixture_awards

NS = {"ds": xades.DS, "xades": xades.XADES}


@pytest.fixture(scope="module")
def seal_key(test_seal: TestSeal) -> SealKey:
    return load_p12(test_seal.p12, test_seal.password, at=datetime.now(UTC))


@pytest.fixture(scope="module")
def plain(fixture_sets: list[tuple[Path, list[Path]]]) -> bytes:
    _, award, catalogue = next(item for item in fixture_awards(fixture_sets) if item[0] == "imperial")
    assert isinstance(award, Award) and isinstance(catalogue, Catalogue)
    return edc12.serialise(edc12.to_edc_xml(award, catalogue))


def _without(name: str) -> Callable[..., etree._Element]:
    """xades._qualifying_properties, then the signed property *name* removed before signing."""
    original = xades._qualifying_properties

    def build(*args: object) -> etree._Element:
        signed = original(*args)  # type: ignore[arg-type]
        for element in signed.findall(f".//xades:{name}", NS):
            element.getparent().remove(element)
        return signed

    return build


def _xmlsec1_ok(data: bytes, tmp_path: Path, root_ca: Path) -> bool:
    path = tmp_path / "crafted.xml"
    path.write_bytes(data)
    command = [need_tool("xmlsec1"), "--verify", "--id-attr:Id",
               "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", "--trusted-pem", str(root_ca), str(path)]
    return subprocess.run(command, capture_output=True, timeout=60).returncode == 0


def _anchors(test_seal: TestSeal) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(test_seal.root_ca.read_bytes()))


def test_a_seal_without_a_signing_certificate_property_is_refused(
        plain: bytes, seal_key: SealKey, test_seal: TestSeal, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xades, "_qualifying_properties", _without("SigningCertificateV2"))
    data = xades.XadesSealer(seal_key).seal_bytes(plain)
    assert b"SigningCertificate" not in data
    assert _xmlsec1_ok(data, tmp_path, test_seal.root_ca)  # cryptographically sound
    verdict = verify_bytes(data, "crafted.xml", _anchors(test_seal))
    assert verdict.checks["SEAL"].status == "OK", verdict.checks["SEAL"].reason
    certificate = verdict.checks["CERTIFICATE"]
    assert certificate.status == "ERROR" and "EN 319 132-1" in certificate.reason
    assert not verdict.ok


def test_a_seal_without_signing_time_is_refused(plain: bytes, seal_key: SealKey, test_seal: TestSeal,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xades, "_qualifying_properties", _without("SigningTime"))
    data = xades.XadesSealer(seal_key).seal_bytes(plain)
    assert b"SigningTime" not in data
    assert _xmlsec1_ok(data, tmp_path, test_seal.root_ca)
    verdict = verify_bytes(data, "crafted.xml", _anchors(test_seal))
    assert verdict.checks["SEAL"].status == "OK"
    assert verdict.checks["EXPIRY"].status == "ERROR"
    assert verdict.checks["EXPIRY"].reason.startswith("no signed SigningTime")


def test_an_unsupported_cert_digest_method_is_named(plain: bytes, seal_key: SealKey) -> None:
    text = xades.XadesSealer(seal_key).seal_bytes(plain).decode()
    crafted = text.replace('<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/>',
                           '<ds:DigestMethod Algorithm="http://example.org/md5"/>', 1)
    assert crafted != text
    verdict = verify_bytes(crafted.encode(), "crafted.xml")
    assert verdict.checks["CERTIFICATE"].status == "ERROR"
    assert "unsupported DigestMethod 'http://example.org/md5'" in verdict.checks["CERTIFICATE"].reason


def test_own_xades_seals_sign_the_certificate_digest(plain: bytes, seal_key: SealKey, test_seal: TestSeal,
                                                     tmp_path: Path) -> None:
    data = xades.XadesSealer(seal_key).seal_bytes(plain)
    value = etree.fromstring(data).find(".//xades:SigningCertificateV2/xades:Cert/xades:CertDigest/"
                                        "ds:DigestValue", NS)
    assert value is not None and value.text
    assert base64.b64decode(value.text) == openssl_digest(seal_key.certificate, "sha512")
    verdict = verify_bytes(data, "own.xml", _anchors(test_seal))
    assert verdict.ok and verdict.checks["CERTIFICATE"].status == "OK", verdict.as_dict()
    assert _xmlsec1_ok(data, tmp_path, test_seal.root_ca)


# --- the signed content timestamp (AllDataObjectsTimeStamp) ---

VALID = ("examples/elm-repo-xml-v1.2-signed-vp/EDC_DiplomaSupplement_AA.xml",
         "examples/elm-repo-xml-v1.0-signed/edci_credential_basic.xml",
         "examples/edci-1.7.3-xml/sealed/sampleQSEAL.xml",
         "examples/edci-1.7.3-xml/sealed/signedSampleXML-B.badSign.xml")


@pytest.mark.parametrize("relative", VALID)
def test_the_ec_content_timestamps_cover_the_signed_data(relative: str, reference: Path) -> None:
    """The EU DSS made these tokens: recomputing the data they cover must give their imprint."""
    timestamp = verify_bytes((reference / relative).read_bytes(), relative).checks["TIMESTAMP"]
    assert timestamp.status == "OK", timestamp.reason
    assert "1 content timestamp(s) over the signed data valid" in timestamp.reason


def test_an_edited_ec_sample_fails_its_content_timestamp(reference: Path) -> None:
    relative = "examples/elm-repo-xml-v1.0-signed/edci_credential_complex.xml"
    timestamp = verify_bytes((reference / relative).read_bytes(), relative).checks["TIMESTAMP"]
    assert timestamp == Check("ERROR", "content timestamp (AllDataObjectsTimeStamp): its imprint does not "
                                       "match the timestamped data")


def _with_content_timestamp(tsa: TsaClient, data: bytes) -> Callable[..., etree._Element]:
    """xades._qualifying_properties, plus an AllDataObjectsTimeStamp over *data*."""
    original = xades._qualifying_properties

    def build(*args: object) -> etree._Element:
        signed = original(*args)  # type: ignore[arg-type]
        objects = signed.find("xades:SignedDataObjectProperties", NS)
        stamp = etree.SubElement(objects, f"{{{xades.XADES}}}AllDataObjectsTimeStamp")
        etree.SubElement(stamp, f"{{{xades.DS}}}CanonicalizationMethod", Algorithm=xades.EXC_C14N)
        etree.SubElement(stamp, f"{{{xades.XADES}}}EncapsulatedTimeStamp").text = \
            base64.b64encode(tsa.timestamp(data).token).decode()
        return signed

    return build


@pytest.mark.parametrize("covers", [True, False])
def test_a_content_timestamp_must_cover_the_sealed_credential(
        plain: bytes, seal_key: SealKey, test_seal_tsa: TsaClient, monkeypatch: pytest.MonkeyPatch,
        covers: bool) -> None:
    signed_data = xades.c14n_exclusive(etree.fromstring(plain))  # the credential, before its seal
    data = signed_data if covers else signed_data.replace(b"<proof>", b"<proof> ")
    monkeypatch.setattr(xades, "_qualifying_properties", _with_content_timestamp(test_seal_tsa, data))
    sealed = xades.XadesSealer(seal_key, test_seal_tsa).seal_bytes(plain)
    verdict = verify_bytes(sealed, "content.xml")
    assert verdict.checks["SEAL"].status == "OK"
    timestamp = verdict.checks["TIMESTAMP"]
    assert timestamp.status == ("OK" if covers else "ERROR"), timestamp.reason
    expected = "1 content timestamp(s) over the signed data valid" if covers else \
        "content timestamp (AllDataObjectsTimeStamp): its imprint does not match the timestamped data"
    assert timestamp.reason.startswith(expected)


def test_a_signature_timestamp_from_after_the_verification_time_is_an_error(
        plain: bytes, seal_key: SealKey, test_seal_tsa: TsaClient) -> None:
    """Verified as at a day before its timestamp: the authority's clock was ahead, it proves no time."""
    from datetime import timedelta

    from edcbridge.xml.safe import parse_bytes
    from edcbridge.xml.verify import verify_tree

    sealed = xades.XadesSealer(seal_key, test_seal_tsa).seal_bytes(plain)
    earlier = verify_tree(parse_bytes(sealed), "ahead.xml", at=datetime.now(UTC) - timedelta(days=1))
    timestamp = earlier.checks["TIMESTAMP"]
    assert timestamp.status == "ERROR" and "is after the verification time" in timestamp.reason
    assert verify_bytes(sealed, "now.xml").checks["TIMESTAMP"].status == "OK"
