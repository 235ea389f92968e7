"""verify-xml on XAdES seals made by another tool: the ``xmlsec1`` command-line tool signs seal
templates of every canonicalisation, prefix, algorithm and KeyInfo form a sealing tool may
choose. Each verdict is compared with xmlsec1's own, on the seal as made and after a one-byte
change to the sealed credential."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree

from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from edcbridge.xml.verify import verify_bytes
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool
from tests.xml_support import (
    C14N_10,
    C14N_11,
    DS,
    ENVELOPED,
    EXC_C14N,
    SealShape,
    imperial_edc_xml,
    seal_template,
    xmlsec1_sign,
    xmlsec1_verifies,
)

MORE = "http://www.w3.org/2001/04/xmldsig-more#"
SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"


@pytest.fixture(scope="module")
def plain(fixture_sets: list[tuple[Path, list[Path]]]) -> bytes:
    return imperial_edc_xml(fixture_sets)


@pytest.fixture(scope="module")
def p384_seal(pki: devpki.DevPki) -> SealKey:
    return devpki.ec_seal_key(pki, curve=ec.SECP384R1())


def _one_byte_changed(data: bytes) -> bytes:
    """The sealed credential with one letter of its grade changed."""
    at = data.index(b"Distinction") + 3
    changed = data[:at] + b"X" + data[at + 1:]
    assert len(changed) == len(data) and changed != data
    return changed


RSA_SHAPES = {
    "ds-prefix-exclusive": SealShape(),
    "default-namespace": SealShape(prefix=None),
    "exclusive-with-comments": SealShape(c14n=f"{EXC_C14N}WithComments"),
    "inclusive": SealShape(c14n=C14N_10),
    "inclusive-with-comments": SealShape(c14n=f"{C14N_10}#WithComments"),
    "c14n-1.1": SealShape(c14n=C14N_11),
    "c14n-1.1-with-comments": SealShape(c14n=f"{C14N_11}#WithComments"),
    "rsa-sha384": SealShape(signature_method=f"{MORE}rsa-sha384", digest=SHA384, cert_digest="sha384"),
    "rsa-sha512": SealShape(signature_method=f"{MORE}rsa-sha512", digest=SHA512, cert_digest="sha512"),
}


@pytest.mark.parametrize("name", sorted(RSA_SHAPES))
def test_an_rsa_seal_made_by_xmlsec1_gets_xmlsec1s_verdict(name: str, plain: bytes, pki: devpki.DevPki,
                                                          tmp_path: Path) -> None:
    xmlsec1 = need_tool("xmlsec1")
    template = seal_template(plain, RSA_SHAPES[name], [pki.seal.certificate])
    sealed = xmlsec1_sign(template, pki.seal.key, pki.seal.certificate, tmp_path, xmlsec1)
    _assert_same_verdicts(sealed, pki.root.certificate, tmp_path, xmlsec1)


@pytest.mark.parametrize("method", ["ecdsa-sha256", "ecdsa-sha384", "ecdsa-sha512"])
def test_an_ecdsa_p384_seal_made_by_xmlsec1_gets_xmlsec1s_verdict(
        method: str, plain: bytes, p384_seal: SealKey, pki: devpki.DevPki, tmp_path: Path) -> None:
    xmlsec1 = need_tool("xmlsec1")
    shape = SealShape(signature_method=f"{MORE}{method}", digest=SHA384)
    template = seal_template(plain, shape, [p384_seal.certificate])
    sealed = xmlsec1_sign(template, p384_seal.private_key, p384_seal.certificate, tmp_path, xmlsec1)
    _assert_same_verdicts(sealed, pki.root.certificate, tmp_path, xmlsec1)


def test_a_seal_carrying_its_whole_chain_verifies(plain: bytes, pki: devpki.DevPki, tmp_path: Path) -> None:
    xmlsec1 = need_tool("xmlsec1")
    template = seal_template(plain, SealShape(), [pki.seal.certificate, pki.root.certificate])
    sealed = xmlsec1_sign(template, pki.seal.key, pki.seal.certificate, tmp_path, xmlsec1)
    _assert_same_verdicts(sealed, pki.root.certificate, tmp_path, xmlsec1)


def _assert_same_verdicts(sealed: bytes, root: x509.Certificate, folder: Path, xmlsec1: str) -> None:
    assert xmlsec1_verifies(sealed, root, folder, xmlsec1)
    ours = verify_bytes(sealed, "xmlsec1-made.xml", (root,))
    assert ours.ok, ours.as_dict()
    assert ours.checks["CERTIFICATE"].status == "OK"

    changed = _one_byte_changed(sealed)
    assert not xmlsec1_verifies(changed, root, folder, xmlsec1)
    verdict = verify_bytes(changed, "changed.xml", (root,))
    assert not verdict.ok
    assert "content was modified after sealing" in verdict.checks["SEAL"].reason, verdict.checks["SEAL"]


def test_signed_properties_a_transform_removes_are_not_read_as_signed(
        plain: bytes, pki: devpki.DevPki, tmp_path: Path) -> None:
    """The enveloped-signature transform on the SignedProperties reference removes the whole
    signature, properties included: xmlsec1 digests nothing and accepts any edit to them."""
    xmlsec1 = need_tool("xmlsec1")
    shape = SealShape(properties_transforms=(ENVELOPED, EXC_C14N))
    sealed = xmlsec1_sign(seal_template(plain, shape, [pki.seal.certificate]), pki.seal.key,
                          pki.seal.certificate, tmp_path, xmlsec1)
    start = sealed.index(b"<xades:SigningTime>") + len(b"<xades:SigningTime>")
    backdated = sealed[:start] + b"2001" + sealed[start + 4:]
    assert xmlsec1_verifies(backdated, pki.root.certificate, tmp_path, xmlsec1)

    verdict = verify_bytes(backdated, "unsigned-properties.xml", (pki.root.certificate,))
    assert not verdict.ok
    reason = verdict.checks["SEAL"].reason
    assert "SignedProperties Reference '#props-1'" in reason and "enveloped-signature" in reason, reason


def _with_bad_version(sealed: bytes) -> bytes:
    """The KeyInfo certificate re-encoded with X.509 version 7 (the DER integer 6)."""
    tree = etree.fromstring(sealed).getroottree()
    element = tree.getroot().find(f".//{{{DS}}}X509Certificate")
    assert element is not None and element.text
    der = base64.b64decode(element.text)
    version = b"\xa0\x03\x02\x01\x02"
    assert der.count(version) >= 1
    element.text = base64.b64encode(der.replace(version, b"\xa0\x03\x02\x01\x06", 1)).decode("ascii")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def test_a_keyinfo_certificate_of_an_unknown_version_gets_a_verdict(
        plain: bytes, pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = XadesSealer(SealKey(pki.seal.key, pki.seal.certificate, ())).seal_bytes(plain)
    path = tmp_path / "bad-version.xml"
    path.write_bytes(_with_bad_version(sealed))
    verdict = verify_bytes(path.read_bytes(), str(path), (pki.root.certificate,))
    assert not verdict.ok
    assert verdict.checks["SEAL"].reason == "KeyInfo holds no readable X509Certificate"


def _resigned_with_pss(sealed: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """*sealed* with SignedInfo re-signed with RSASSA-PSS (SHA-256, MGF1 SHA-256, 32-byte salt,
    the RFC 6931 defaults)."""
    tree = etree.fromstring(sealed).getroottree()
    signature = tree.getroot().find(f".//{{{DS}}}Signature")
    assert signature is not None
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    method = signed_info.find(f"{{{DS}}}SignatureMethod") if signed_info is not None else None
    value = signature.find(f"{{{DS}}}SignatureValue")
    assert signed_info is not None and method is not None and value is not None
    method.set("Algorithm", RSA_PSS_SHA256)
    data = etree.tostring(signed_info, method="c14n", exclusive=True)
    raw = key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    value.text = base64.b64encode(raw).decode("ascii")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def test_an_rsa_pss_seal_is_verified_not_refused(plain: bytes, pki: devpki.DevPki) -> None:
    """(Checked without libxmlsec1: see test_verify_alignment for the forms and the failures.)"""
    assert isinstance(pki.seal.key, rsa.RSAPrivateKey)
    sealed = XadesSealer(SealKey(pki.seal.key, pki.seal.certificate, ())).seal_bytes(plain)
    pss = _resigned_with_pss(sealed, pki.seal.key)

    verdict = verify_bytes(pss, "pss.xml", (pki.root.certificate,))
    assert verdict.ok and verdict.checks["SEAL"].reason.startswith("signature valid"), verdict.as_dict()


def test_a_sha1_seal_is_refused_naming_sha1(plain: bytes, pki: devpki.DevPki, tmp_path: Path) -> None:
    xmlsec1 = need_tool("xmlsec1")
    shape = replace(SealShape(), signature_method="http://www.w3.org/2000/09/xmldsig#rsa-sha1")
    sealed = xmlsec1_sign(seal_template(plain, shape, [pki.seal.certificate]), pki.seal.key,
                          pki.seal.certificate, tmp_path, xmlsec1)
    assert xmlsec1_verifies(sealed, pki.root.certificate, tmp_path, xmlsec1)
    reason = verify_bytes(sealed, "sha1.xml", (pki.root.certificate,)).checks["SEAL"].reason
    assert "SHA-1" in reason and "seal again" in reason, reason


SIGNED_SPOTS = {  # a text in each signed part of our seal, and what to change it to
    "credential": (b"Distinction", b"Distinctiom"),
    "signing-time": (b"<xades:SigningTime>20", b"<xades:SigningTime>19"),
    "mime-type": (b">text/xml<", b">text/xmm<"),
}
SIGNATURE_METHODS = {"secp256r1": b"ecdsa-sha256", "secp384r1": b"ecdsa-sha384", "secp521r1": b"ecdsa-sha512"}


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()], ids=lambda c: c.name)
def test_our_ec_seals_verify_with_xmlsec1_and_a_change_is_caught_by_both(
        curve: ec.EllipticCurve, plain: bytes, pki: devpki.DevPki, tmp_path: Path) -> None:
    xmlsec1 = need_tool("xmlsec1")
    sealed = XadesSealer(devpki.ec_seal_key(pki, curve=curve)).seal_bytes(plain)
    assert xmlsec1_verifies(sealed, pki.root.certificate, tmp_path, xmlsec1)
    assert verify_bytes(sealed, "ours.xml", (pki.root.certificate,)).ok
    method = SIGNATURE_METHODS[curve.name]  # the hash of the curve's strength, as ES256/384/512
    assert method in sealed and b"ecdsa-sha" in method
    other = b"ecdsa-sha256" if method != b"ecdsa-sha256" else b"ecdsa-sha384"
    for name, (text, changed) in {**SIGNED_SPOTS, "signature-method": (method, other)}.items():
        assert text in sealed, name
        edited = sealed.replace(text, changed, 1)
        assert not xmlsec1_verifies(edited, pki.root.certificate, tmp_path, xmlsec1), name
        verdict = verify_bytes(edited, "edited.xml", (pki.root.certificate,))
        assert verdict.checks["SEAL"].status == "ERROR", name
