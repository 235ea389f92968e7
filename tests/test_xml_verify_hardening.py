"""Hostile XAdES input (security review of the XML paths): signature wrapping, comments, references
to files, XSLT and XPath, certificates not fit to seal, untrusted timestamps, crashes, and the
issuer check of ``export-xml``. Each test crafts its document from a real seal made here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
import xmlsec
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree

from edcbridge.model import Award, Catalogue
from edcbridge.preview import preview_files
from edcbridge.schemas import SchemaStore
from edcbridge.seal import SealKey, TestSeal, load_p12
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority, TokenSigner
from edcbridge.xml import edc12, xsd
from edcbridge.xml.cli import register
from edcbridge.xml.export import export_credential
from edcbridge.xml.importer import import_bytes
from edcbridge.xml.safe import parse_bytes
from edcbridge.xml.verify import XadesVerification, verify_bytes, verify_tree
from edcbridge.xml.xades import RefusedSignature, XadesSealer, core_verify, signatures
from tests.conftest import FIXTURES, need_tool
from tests.xml_support import fixture_awards

DS = "http://www.w3.org/2000/09/xmldsig#"
ENVELOPED = '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
SIGNATURE = re.compile(r"<ds:Signature .*</ds:Signature>", re.S)


@click.group()
def main() -> None:
    """Stand-in for the edcbridge group."""


register(main)


# --- fixtures and helpers that build the crafted documents ---

@pytest.fixture(scope="module")
def seal_key(test_seal: TestSeal) -> SealKey:
    return load_p12(test_seal.p12, test_seal.password, at=datetime.now(UTC))


@pytest.fixture(scope="module")
def anchors(test_seal: TestSeal) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(test_seal.root_ca.read_bytes()))


@pytest.fixture(scope="module")
def award(fixture_sets: list[tuple[Path, list[Path]]]) -> tuple[Award, Catalogue]:
    _, first, catalogue = next(item for item in fixture_awards(fixture_sets) if item[0] == "imperial")
    return first, catalogue


@pytest.fixture(scope="module")
def plain(award: tuple[Award, Catalogue]) -> bytes:
    tree = edc12.to_edc_xml(*award)
    etree.indent(tree, space="  ")
    return edc12.serialise(tree)


@pytest.fixture(scope="module")
def sealed(plain: bytes, seal_key: SealKey) -> str:
    """Our B-B seal over the first Imperial award, as text to edit."""
    return XadesSealer(seal_key).seal_bytes(plain).decode("utf-8")


def _verify(text: str, anchors: tuple[x509.Certificate, ...] = ()) -> XadesVerification:
    return verify_bytes(text.encode("utf-8"), "crafted.xml", anchors)


def _xmlsec1(path: Path, root_ca: Path) -> int:
    """libxmlsec1's own verdict: the cryptography alone, without our structural checks."""
    command = [need_tool("xmlsec1"), "--verify", "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
               "--trusted-pem", str(root_ca), str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60).returncode


def _issuer_id(text: str) -> str:
    found = re.search(r'<cred:issuer idref="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def _forged_object(text: str) -> str:
    """A ds:Object with an organisation of the issuer's id and a forged parent qualification."""
    own = re.search(r'<qualification id="([^"]+)"', text)
    assert own is not None
    return ('<ds:Object><agentReferences xmlns="http://data.europa.eu/snb">'
            f'<organization id="{_issuer_id(text)}"><prefLabel><text lang="en">FORGED University</text>'
            '</prefLabel><hasLocation><hasAddress><country uri="http://publications.europa.eu/resource/'
            'authority/country/GBR"/></hasAddress></hasLocation></organization>'
            '<qualification id="urn:forged:1"><title><text lang="en">FORGED Doctor of Medicine</text>'
            '</title>'
            f'<hasPart idref="{own.group(1)}"/></qualification></agentReferences></ds:Object>')


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Imperial College London"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "GB")])


def _ca() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(65537, 2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("Hardening CA")).issuer_name(_name("Hardening CA"))
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - timedelta(days=3650)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca: tuple[rsa.RSAPrivateKey, x509.Certificate], start: datetime, end: datetime,
          signing: bool = True) -> SealKey:
    """A seal key under *ca*: valid from *start* to *end*; key usage signing, or encipherment only."""
    key = rsa.generate_private_key(65537, 2048)
    usage = x509.KeyUsage(signing, signing, not signing, False, False, False, False, False, False)
    cert = (x509.CertificateBuilder().subject_name(_name("Hardening seal")).issuer_name(ca[1].subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True).sign(ca[0], hashes.SHA256()))
    return SealKey(key, cert)


def _dsig(plain: bytes, seal: SealKey, *, whole: bool) -> str:
    """A bare XML-DSig in <proof> (no XAdES properties), made with libxmlsec1 and the test key:
    referencing the whole document, or only a ds:Object inside the signature."""
    root = etree.fromstring(plain)
    proof = root.find(f"{{{edc12.SNB}}}proof")
    assert proof is not None
    signature = xmlsec.template.create(root, xmlsec.constants.TransformExclC14N,
                                       xmlsec.constants.TransformRsaSha256, ns="ds")
    proof.append(signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256,
                                              uri="" if whole else "#payload")
    if whole:
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    etree.SubElement(signature, f"{{{DS}}}Object", Id="payload").text = "anything"
    pem = seal.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
    context = xmlsec.SignatureContext()
    context.register_id(signature.find(f"{{{DS}}}Object"), "Id")
    context.key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem, None)
    context.key.load_cert_from_memory(seal.certificate.public_bytes(serialization.Encoding.PEM),
                                      xmlsec.constants.KeyDataFormatCertPem)
    context.sign(signature)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8").decode("utf-8")


# --- 1. signature wrapping ---

def test_signature_moved_to_the_front_with_a_forged_object_is_refused_and_never_shown(
        sealed: str, test_seal: TestSeal, anchors: tuple[x509.Certificate, ...], tmp_path: Path) -> None:
    signature = SIGNATURE.search(sealed)
    assert signature is not None
    body = sealed.replace(signature.group(0), "")
    forged = _forged_object(sealed)
    wrapped_signature = signature.group(0).replace("</ds:Signature>", forged + "</ds:Signature>")
    start = re.search(r"<europassCredential[^>]*>", body)
    assert start is not None
    wrapped = body[:start.end()] + wrapped_signature + body[start.end():]
    path = tmp_path / "wrapped.xml"
    path.write_text(wrapped, encoding="utf-8")
    assert _xmlsec1(path, test_seal.root_ca) == 0  # the cryptography alone is fooled

    verdict = _verify(wrapped, anchors)
    assert not verdict.ok
    assert "not the last element of the credential's <proof>" in verdict.checks["SEAL"].reason
    shown = json.dumps(import_bytes(wrapped.encode()).as_dict(), ensure_ascii=False)
    assert "FORGED" not in shown and "Imperial College" in shown


def test_an_object_appended_to_the_signature_is_not_read(sealed: str) -> None:
    injected = sealed.replace("</ds:Signature>", _forged_object(sealed) + "</ds:Signature>")
    assert _verify(injected).checks["SEAL"].status == "OK"  # unsigned extra content: the seal holds
    imported = import_bytes(injected.encode())
    assert "FORGED" not in json.dumps(imported.as_dict(), ensure_ascii=False)
    assert imported.as_dict() == import_bytes(sealed.encode()).as_dict()


def test_two_signatures_are_refused(sealed: str) -> None:
    signature = SIGNATURE.search(sealed)
    assert signature is not None
    twice = sealed.replace("<proof>", "<proof>" + signature.group(0), 1)
    assert "holds 2 ds:Signature elements" in _verify(twice).checks["SEAL"].reason


@pytest.mark.parametrize(("whole", "reason"), [
    (True, "references no SignedProperties"),
    (False, 'no Reference with URI=""'),
])
def test_a_valid_signature_that_is_not_a_seal_over_the_credential_is_refused(
        plain: bytes, seal_key: SealKey, test_seal: TestSeal, tmp_path: Path, whole: bool,
        reason: str) -> None:
    text = _dsig(plain, seal_key, whole=whole)
    path = tmp_path / "dsig.xml"
    path.write_text(text, encoding="utf-8")
    assert _xmlsec1(path, test_seal.root_ca) == 0
    verdict = _verify(text)
    assert not verdict.ok and reason in verdict.checks["SEAL"].reason


# --- 2. comments split text but are not signed ---

@pytest.mark.parametrize(("original", "split"), [
    ("<grade>Distinction</grade>", "<grade>Dis<!---->tinction</grade>"),
    (">Lefèvre-Dubois<", ">Lefèvre<!-- x -->-Dubois<"),
])
def test_a_comment_inside_a_sealed_value_does_not_truncate_it(
        sealed: str, test_seal: TestSeal, tmp_path: Path, original: str, split: str) -> None:
    assert original in sealed
    edited = sealed.replace(original, split, 1)
    path = tmp_path / "comment.xml"
    path.write_text(edited, encoding="utf-8")
    assert _xmlsec1(path, test_seal.root_ca) == 0 and _verify(edited).ok
    assert import_bytes(edited.encode()).as_dict() == import_bytes(sealed.encode()).as_dict()


# --- 3. references to files and URLs, XSLT, free XPath, weak algorithms ---

XSLT = ('<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet '
        'xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/">'
        "<xsl:copy-of select=\"document('file:///etc/passwd')\"/></xsl:template></xsl:stylesheet></ds:Transform>")
XPATH = ('<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">'
         "<ds:XPath>count(//node()) &gt;= 0</ds:XPath></ds:Transform>")
XPATH2_INTERSECT = ('<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><f:XPath '
                    'xmlns:f="http://www.w3.org/2002/06/xmldsig-filter2" Filter="intersect">'
                    "/descendant::ds:SignedInfo</f:XPath></ds:Transform>")
MANIFEST = ('<ds:Object><ds:Manifest><ds:Reference URI="file:///etc/hostname"><ds:DigestMethod '
            'Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue>'
            "</ds:Reference></ds:Manifest></ds:Object>")
REFUSED = {
    "manifest": (lambda s: s.replace("</ds:Signature>", MANIFEST + "</ds:Signature>"),
                 "ds:Manifest is refused"),
    "file": (lambda s: s.replace('URI=""', 'URI="file:///etc/passwd"', 1), "Reference URI 'file:///etc/passwd'"),
    "url": (lambda s: s.replace('URI=""', 'URI="http://127.0.0.1:9/x"', 1), "never a file or URL"),
    "xslt": (lambda s: s.replace(ENVELOPED, XSLT + ENVELOPED, 1), "REC-xslt-19991116' is refused"),
    "xpath": (lambda s: s.replace(ENVELOPED, XPATH, 1), "an XPath transform other than"),
    "xpath-filter2-intersect": (lambda s: s.replace(ENVELOPED, XPATH2_INTERSECT, 1), "an XPath transform"),
    "sha1": (lambda s: s.replace("xmldsig-more#rsa-sha256", "xmldsig#rsa-sha1"), "rsa-sha1' is refused"),
    "hmac": (lambda s: s.replace("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                                 "http://www.w3.org/2000/09/xmldsig#hmac-sha1"), "hmac-sha1' is refused"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_dangerous_references_and_transforms_are_refused_before_libxmlsec1(sealed: str, seal_key: SealKey,
                                                                          case: str) -> None:
    edit, reason = REFUSED[case]
    crafted = edit(sealed)
    assert crafted != sealed
    verdict = _verify(crafted)
    assert verdict.checks["SEAL"].status == "ERROR" and reason in verdict.checks["SEAL"].reason
    tree = parse_bytes(crafted.encode())
    with pytest.raises(RefusedSignature, match="refused"):
        core_verify(tree, signatures(tree)[0], seal_key.certificate)


def test_a_reference_to_a_fifo_does_not_hang(sealed: str, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    crafted = tmp_path / "fifo.xml"
    crafted.write_text(sealed.replace('URI=""', f'URI="file://{fifo}"', 1), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "edcbridge", "verify-xml", str(crafted)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "is refused" in result.stdout, result.stderr


def test_the_ec_xpath_forms_stay_accepted(reference: Path) -> None:
    """EDCI 1.x writes an XPath 1.0 filter, the EU DSS an XPath-Filter-2 subtract: both remove the
    signature only, and the EC's samples using them keep verifying."""
    for relative in ("examples/elm-repo-xml-v1.0-signed/edci_credential_basic.xml",
                     "examples/edci-1.7.3-xml/sealed/sampleQSEAL.xml"):
        tree = parse_bytes((reference / relative).read_bytes())
        assert verify_tree(tree).checks["SEAL"].status == "OK", relative


# --- 4. certificates not fit to seal ---

@pytest.mark.parametrize(("case", "check", "reason"), [
    ("expired", "EXPIRY", "expired on"),
    ("not yet valid", "EXPIRY", "is not valid before"),
    ("encipherment only", "SEAL", "has no signing key usage"),
])
def test_a_leaf_not_fit_to_seal_fails_even_when_it_chains(plain: bytes, case: str, check: str,
                                                           reason: str) -> None:
    ca = _ca()
    now = datetime.now(UTC)
    start, end = {"expired": (now - timedelta(days=800), now - timedelta(days=400)),
                  "not yet valid": (now + timedelta(days=400), now + timedelta(days=800))}.get(
        case, (now - timedelta(days=1), now + timedelta(days=400)))
    seal = _leaf(ca, start, end, signing=case != "encipherment only")
    verdict = verify_bytes(XadesSealer(seal).seal_bytes(plain), "leaf.xml", (ca[1],))
    assert not verdict.ok
    assert verdict.checks[check].status == "ERROR" and reason in verdict.checks[check].reason


def test_a_timestamp_proves_the_certificate_was_valid_when_it_sealed(
        plain: bytes, seal_key: SealKey, test_seal_tsa: TsaClient,
        anchors: tuple[x509.Certificate, ...]) -> None:
    later = seal_key.certificate.not_valid_after_utc + timedelta(days=1)
    stamped = parse_bytes(XadesSealer(seal_key, test_seal_tsa).seal_bytes(plain))
    assert verify_tree(stamped, trust_anchors=anchors, at=later).ok
    bare = verify_tree(parse_bytes(XadesSealer(seal_key).seal_bytes(plain)), trust_anchors=anchors, at=later)
    assert bare.checks["EXPIRY"].status == "ERROR" and "expired on" in bare.checks["EXPIRY"].reason


# --- 5. the timestamp authority ---

def _self_signed_tsa(clock: datetime | None = None) -> TimestampAuthority:
    key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Totally Real Qualified TSA")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256()))
    signer = TokenSigner(key, cert, "1.2.3.4")
    return TimestampAuthority(signer, clock=lambda: clock) if clock else TimestampAuthority(signer)


def _stamped_by(authority: TimestampAuthority, seal_key: SealKey, plain: bytes) -> bytes:
    with DevServer(authority) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        data = XadesSealer(seal_key, client).seal_bytes(plain)
        client.close()
    return data


def test_an_untrusted_timestamp_proves_no_time(
        plain: bytes, seal_key: SealKey, anchors: tuple[x509.Certificate, ...]) -> None:
    """Sound, but from an authority no anchor leads to: as if there were none (anyone can strip
    it), so it neither fails the seal nor vouches for the time."""
    data = _stamped_by(_self_signed_tsa(), seal_key, plain)
    verdict = verify_bytes(data, "stamped.xml", anchors)
    assert verdict.checks["TIMESTAMP"].status == "SKIPPED"
    reason = verdict.checks["TIMESTAMP"].reason
    assert "timestamp authority 'CN=Totally Real Qualified TSA' not trusted" in reason
    assert verdict.ok
    later = seal_key.certificate.not_valid_after_utc + timedelta(days=1)
    expired = verify_tree(parse_bytes(data), trust_anchors=anchors, at=later)
    assert expired.checks["EXPIRY"].status == "ERROR"  # the untrusted time does not stand in for now


def test_a_backdated_timestamp_fails(plain: bytes, seal_key: SealKey) -> None:
    data = _stamped_by(_self_signed_tsa(datetime(2001, 1, 1, tzinfo=UTC)), seal_key, plain)
    verdict = verify_bytes(data, "stamped.xml", ())
    assert verdict.checks["TIMESTAMP"].status == "ERROR"
    assert "is before the signed SigningTime" in verdict.checks["TIMESTAMP"].reason
    assert not verdict.ok


# --- 6. export-xml checks the issuer as export --seal does ---

def test_export_xml_refuses_to_seal_another_organisations_credentials(
        store: SchemaStore, test_seal: TestSeal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    imperial = FIXTURES / "imperial"
    result = CliRunner().invoke(main, ["export-xml", str(imperial / "awards.csv"), "-c",
                                       str(imperial / "catalogue.yaml"), "-o", str(tmp_path), "--p12",
                                       str(test_seal.p12), "--password-file", str(test_seal.password_file)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: the catalogue's issuer is not the organisation in the seal "
                                    "certificate: legal name: certificate says 'EDCBRIDGE TEST University'")
    assert not (tmp_path / "edc-xml").exists()


def test_an_award_of_another_issuer_is_not_sealed(award: tuple[Award, Catalogue], store: SchemaStore,
                                                   seal_key: SealKey) -> None:
    first, catalogue = award
    other = next(o.key for o in catalogue.organisations if o.key != catalogue.issuer)
    data, errors = export_credential(first.model_copy(update={"issuer": other}), catalogue, store,
                                     XadesSealer(seal_key))
    assert data is None and f"the award's issuer {other!r} is not the organisation" in errors[0].message


# --- 7. no tracebacks; 8. signed properties only from SignedProperties ---

def _duplicate_properties(text: str, signing_time: str) -> str:
    props = re.search(r'SignedProperties Id="([^"]+)"', text)
    assert props is not None
    return ('<ds:Object><xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#">'
            f'<xades:SignedProperties Id="{props.group(1)}"><xades:SignedSignatureProperties>'
            "<xades:SigningTime>"
            f"{signing_time}</xades:SigningTime></xades:SignedSignatureProperties></xades:SignedProperties>"
            "</xades:QualifyingProperties></ds:Object>")


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_duplicate_id_is_a_seal_error_and_preview_keeps_the_good_file(
        sealed: str, tmp_path: Path, where: str) -> None:
    extra = _duplicate_properties(sealed, "2001-01-01T00:00:00Z")
    crafted = sealed.replace("<ds:Object>", extra + "<ds:Object>", 1) if where == "before" \
        else sealed.replace("</ds:Signature>", extra + "</ds:Signature>")
    verdict = _verify(crafted)
    assert verdict.checks["SEAL"].status == "ERROR" and "is on two elements" in verdict.checks["SEAL"].reason
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_text(sealed, encoding="utf-8")
    bad.write_text(crafted, encoding="utf-8")
    results = preview_files([bad, good], tmp_path / "out")
    assert [r.seal["SEAL"]["status"] if r.seal else None for r in results] == ["ERROR", "OK"]


def test_a_cert_digest_that_is_not_base64_is_a_certificate_error(sealed: str) -> None:
    crafted = re.sub(r"(<xades:CertDigest>.*?<ds:DigestValue>)[^<]*", r"\1!!!notb64", sealed, flags=re.S)
    verdict = _verify(crafted)
    assert verdict.checks["CERTIFICATE"].status == "ERROR"
    assert "not base64" in verdict.checks["CERTIFICATE"].reason


def test_signing_time_is_read_only_from_the_signed_properties(sealed: str) -> None:
    fake = ('<ds:Object><xades:SigningTime xmlns:xades="http://uri.etsi.org/01903/v1.3.2#">'
            "1999-12-31T00:00:00Z</xades:SigningTime></ds:Object>")
    real = re.search(r"<xades:SigningTime>([^<]+)<", sealed)
    assert real is not None
    verdict = _verify(sealed.replace("<ds:Object>", fake + "<ds:Object>", 1))
    assert verdict.ok and verdict.signing_time == real.group(1)


# --- 9. XSD with comments; 10. smaller things ---

def test_both_xsd_engines_accept_a_comment_inside_simple_content(plain: bytes, store: SchemaStore) -> None:
    commented = plain.replace(b"<grade>Distinction</grade>", b"<grade>Dis<!-- c -->tinction<?x y?></grade>")
    assert commented != plain
    assert xsd.findings(parse_bytes(commented), store, ("lxml", "xmlschema")) == []


def test_inspect_says_a_signature_is_not_verified_and_names_the_file_once(sealed: str,
                                                                          tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text(sealed, encoding="utf-8")
    summary = CliRunner().invoke(main, ["inspect", str(path)])
    assert summary.exit_code == 0, summary.output
    assert "(xades; signature present, not verified: run 'edcbridge verify-xml')" in summary.stdout
    assert ", sealed" not in summary.stdout
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["inspect", str(empty)])
    assert result.exit_code == 1
    assert result.stderr.strip() == \
        f"error: {empty}: the file is empty; give an EDC JSON-LD or XML credential"
    broken = tmp_path / "broken.xml"
    broken.write_text("<a><b></a>", encoding="utf-8")
    assert CliRunner().invoke(main, ["inspect", str(broken)]).stderr.count(str(broken)) == 1


def test_verify_xml_points_json_to_verify_and_can_require_trust(sealed: str, test_seal: TestSeal,
                                                                 tmp_path: Path) -> None:
    runner = CliRunner()
    document = tmp_path / "credential.jsonld"
    document.write_text('{"payload": "{}", "signatures": []}', encoding="utf-8")
    result = runner.invoke(main, ["verify-xml", str(document)])
    assert result.exit_code == 1 and "'edcbridge verify'" in result.stdout
    path = tmp_path / "sealed.xml"
    path.write_text(sealed, encoding="utf-8")
    assert runner.invoke(main, ["verify-xml", str(path)]).exit_code == 0
    untrusted = runner.invoke(main, ["verify-xml", "--require-trust", str(path)])
    assert untrusted.exit_code == 1 and "--trust-anchor" in untrusted.stdout
    trusted = runner.invoke(main, ["verify-xml", "--require-trust", "--trust-anchor", str(test_seal.root_ca),
                                   str(path)])
    assert trusted.exit_code == 0, trusted.output


@pytest.mark.parametrize(("case", "reason"), [
    ("TLS server certificate", "serverAuth"),
    ("unknown critical extension", "critical extension"),
])
def test_xades_follows_the_same_certificate_rules(plain: bytes, case: str, reason: str) -> None:
    """The seal certificate rules of the JAdES verifier (tests/test_seal_certificate_rules.py,
    checked against openssl there) hold for XAdES seals too."""
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from tests.test_seal_certificate_rules import Cert

    root = Cert("Root", ca=True)
    leaf = (Cert("Seal", root, purposes=[ExtendedKeyUsageOID.SERVER_AUTH]) if case.startswith("TLS")
            else Cert("Seal", root, critical_unknown=True))
    refused = verify_bytes(XadesSealer(SealKey(leaf.key, leaf.cert)).seal_bytes(plain), "leaf.xml",
                           (root.cert,))
    assert refused.checks["SEAL"].status == "ERROR" and reason in refused.checks["SEAL"].reason
    fine = Cert("Seal", root)
    accepted = verify_bytes(XadesSealer(SealKey(fine.key, fine.cert)).seal_bytes(plain), "leaf.xml",
                            (root.cert,))
    assert accepted.checks["SEAL"].status == "OK", accepted.checks["SEAL"].reason
