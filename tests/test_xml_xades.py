"""XAdES seals: ours verify with the xmlsec1 command-line tool and our verifier, tampering fails;
the EC's sealed samples keep their documented verdicts (formats.md 9.2)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.seal import TestSeal, generate_test_seal, load_p12
from edcbridge.seal.tsa import TsaClient
from edcbridge.xml import edc12, xsd
from edcbridge.xml.export import export_credential
from edcbridge.xml.verify import verify_bytes, verify_file, verify_tree
from edcbridge.xml.xades import XadesError, XadesSealer
from tests.conftest import need_tool
from tests.xml_support import fixture_awards

ID_ATTR = "--id-attr:Id"
SIGNED_PROPERTIES = "http://uri.etsi.org/01903/v1.3.2#:SignedProperties"


@pytest.fixture(scope="module")
def sealer(test_seal: TestSeal) -> XadesSealer:
    return XadesSealer(load_p12(test_seal.p12, test_seal.password, at=datetime.now(UTC)))


@pytest.fixture(scope="module")
def award(fixture_sets: list[tuple[Path, list[Path]]]) -> tuple[Award, Catalogue]:
    _, first, catalogue = next(item for item in fixture_awards(fixture_sets) if item[0] == "imperial")
    return first, catalogue


def _xmlsec1(path: Path, root_ca: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need_tool("xmlsec1"), "--verify", ID_ATTR, SIGNED_PROPERTIES, "--trusted-pem",
                           str(root_ca), str(path)], capture_output=True, text=True, timeout=60)


def _sealed(award: tuple[Award, Catalogue], store: SchemaStore, sealer: XadesSealer) -> bytes:
    data, errors = export_credential(*award, store, sealer)
    assert data is not None, errors
    return data


@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_our_seal_verifies_with_xmlsec1_and_tampering_fails(
        level: str, award: tuple[Award, Catalogue], store: SchemaStore, sealer: XadesSealer,
        test_seal_tsa: TsaClient, test_seal: TestSeal, tmp_path: Path) -> None:
    chosen = XadesSealer(sealer.seal, test_seal_tsa if level == "B-T" else None)
    data = _sealed(award, store, chosen)
    sealed = tmp_path / "sealed.xml"
    sealed.write_bytes(data)
    result = _xmlsec1(sealed, test_seal.root_ca)
    assert result.returncode == 0, result.stderr
    assert "SignedInfo References (ok/all): 2/2" in result.stderr

    ours = verify_file(sealed, tuple(x509.load_pem_x509_certificates(test_seal.root_ca.read_bytes())))
    assert ours.ok and ours.level == level, ours.as_dict()
    assert ours.checks["TIMESTAMP"].status == ("OK" if level == "B-T" else "SKIPPED")

    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(data.replace(b"Distinction", b"Distinctiom", 1))
    assert tampered.read_bytes() != data
    assert _xmlsec1(tampered, test_seal.root_ca).returncode != 0
    verdict = verify_file(tampered)
    assert not verdict.ok and "modified after sealing" in verdict.checks["SEAL"].reason


def test_sealed_credential_has_the_ec_shape_and_stays_schema_valid(
        award: tuple[Award, Catalogue], store: SchemaStore, sealer: XadesSealer) -> None:
    data = _sealed(award, store, sealer)
    tree = etree.fromstring(data).getroottree()
    ns = {"e": edc12.SNB, "ds": "http://www.w3.org/2000/09/xmldsig#",
          "xades": "http://uri.etsi.org/01903/v1.3.2#"}
    signature = tree.getroot().find("e:proof/ds:Signature", ns)
    assert signature is not None
    assert signature.xpath("string(ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm)", namespaces=ns) == \
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    assert signature.xpath("string(ds:SignedInfo/ds:SignatureMethod/@Algorithm)", namespaces=ns) == \
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    for path in (".//xades:SigningTime", ".//xades:SigningCertificateV2/xades:Cert/xades:IssuerSerialV2",
                 ".//xades:DataObjectFormat/xades:MimeType", "ds:KeyInfo/ds:X509Data/ds:X509Certificate"):
        assert signature.find(path, ns) is not None, path
    assert not xsd.errors(tree, store, "lxml")  # ds:Signature is allowed inside proof


def test_a_tree_sealed_in_memory_verifies_without_reserialising(
        award: tuple[Award, Catalogue], test_seal_tsa: TsaClient, sealer: XadesSealer) -> None:
    tree = edc12.to_edc_xml(*award)
    XadesSealer(sealer.seal, test_seal_tsa).seal_tree(tree)
    verdict = verify_tree(tree)
    assert verdict.ok and verdict.level == "B-T", verdict.as_dict()


def test_sealing_twice_is_refused(award: tuple[Award, Catalogue], store: SchemaStore,
                                  sealer: XadesSealer) -> None:
    data = _sealed(award, store, sealer)
    with pytest.raises(XadesError, match="already sealed"):
        sealer.seal_bytes(data)


def test_a_foreign_trust_anchor_is_not_trusted(award: tuple[Award, Catalogue], store: SchemaStore,
                                               sealer: XadesSealer, tmp_path: Path) -> None:
    other = generate_test_seal(tmp_path / "other")
    anchors = tuple(x509.load_pem_x509_certificates(other.root_ca.read_bytes()))
    verdict = verify_bytes(_sealed(award, store, sealer), trust_anchors=anchors)
    assert verdict.checks["SEAL"].status == "ERROR" and "not trusted" in verdict.checks["SEAL"].reason


def test_an_unsealed_credential_fails_verification(award: tuple[Award, Catalogue]) -> None:
    verdict = verify_bytes(edc12.serialise(edc12.to_edc_xml(*award)))
    assert not verdict.ok and "not sealed" in verdict.checks["SEAL"].reason


EC_SAMPLES = {  # formats.md 9.2: core-valid, digest mismatch (edited after sealing), broken
    "examples/elm-repo-xml-v1.2-signed-vp/EDC_DiplomaSupplement_AA.xml": "valid",
    "examples/elm-repo-xml-v1.0-signed/edci_credential_basic.xml": "valid",
    "examples/edci-1.7.3-xml/sealed/sampleQSEAL.xml": "valid",
    "examples/edci-1.7.3-xml/sealed/sewing_course.xml": "valid",
    "examples/edci-1.7.3-xml/sealed/signedSampleXML-B.badSign.xml": "valid",
    "examples/elm-repo-xml-v1.0-signed/edci_credential_complex.xml": "edited",
    "examples/edci-1.7.3-xml/xsdValidation/verificable_presentation_mandated-xsd_v1.0.xml": "edited",
    "examples/edci-1.7.3-xml/xsdValidation/verificable_presentation_mandated-xsd_v1.1.xml": "edited",
    "examples/edci-1.7.3-xml/xsdValidation/verificable_presentation_mandated-xsd_v1.2.xml": "edited",
    "examples/edci-1.7.3-xml/xsdValidation/verificable_presentation_mandated_dp-xsd_v1.2.xml": "edited",
    "examples/edci-1.7.3-xml/xsdValidation/credential-generic-profile-xsd-signed.xml": "broken",
}


@pytest.mark.parametrize(("relative", "verdict"), sorted(EC_SAMPLES.items()))
def test_ec_sealed_samples_keep_their_documented_verdicts(relative: str, verdict: str,
                                                          reference: Path) -> None:
    result = verify_file(reference / relative)
    seal = result.checks["SEAL"]
    if verdict == "valid":
        assert seal.status == "OK", seal.reason
        assert result.checks["CERTIFICATE"].status == "OK"
    elif verdict == "edited":
        assert seal.status == "ERROR" and "modified after sealing" in seal.reason
    else:
        assert seal.status == "ERROR" and "does not verify" in seal.reason


def test_ec_diploma_supplement_verifies_with_xmlsec1_too(reference: Path) -> None:
    sample = reference / "examples/elm-repo-xml-v1.2-signed-vp/EDC_DiplomaSupplement_AA.xml"
    result = subprocess.run([need_tool("xmlsec1"), "--verify", "--insecure", ID_ATTR, SIGNED_PROPERTIES,
                             str(sample)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
