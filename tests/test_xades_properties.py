"""XAdES qualifying properties. B-T: the SignatureTimeStamp is over the ds:SignatureValue
canonicalised as its own CanonicalizationMethod says (ETSI EN 319 132-1, 5.3); our seals are
checked with ``openssl ts -verify``, and timestamps other tools make with another
canonicalisation are read. B-B: the signed SigningCertificateV2 must name the certificate that
made the seal, not only a CA of its chain."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from edcbridge.seal.tsa import TsaClient
from edcbridge.xml.verify import verify_bytes
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool
from tests.xml_support import (
    C14N_10,
    C14N_11,
    DS,
    EXC_C14N,
    XADES,
    SealShape,
    imperial_edc_xml,
    seal_template,
    xmlsec1_sign,
    xmlsec1_verifies,
)


@pytest.fixture(scope="module")
def plain(fixture_sets: list[tuple[Path, list[Path]]]) -> bytes:
    return imperial_edc_xml(fixture_sets)


@pytest.fixture(scope="module")
def seal(pki: devpki.DevPki) -> SealKey:
    return SealKey(pki.seal.key, pki.seal.certificate, ())


def _signature_value(data: bytes) -> tuple[etree._ElementTree, etree._Element]:
    tree = etree.fromstring(data).getroottree()
    value = tree.getroot().find(f".//{{{DS}}}SignatureValue")
    assert value is not None and value.text
    return tree, value


def _token(data: bytes) -> bytes:
    found = etree.fromstring(data).find(f".//{{{XADES}}}SignatureTimeStamp/{{{XADES}}}EncapsulatedTimeStamp")
    assert found is not None and found.text
    return base64.b64decode(found.text)


def _openssl_ts_verify(token: bytes, signed: bytes, pki: devpki.DevPki, folder: Path) -> bool:
    pem = serialization.Encoding.PEM
    (folder / "token.der").write_bytes(token)
    (folder / "data").write_bytes(signed)
    (folder / "ca.pem").write_bytes(pki.root.certificate.public_bytes(pem))
    (folder / "tsa.pem").write_bytes(pki.tsa.certificate.public_bytes(pem))
    command = [need_tool("openssl"), "ts", "-verify", "-token_in", "-in", str(folder / "token.der"),
               "-data", str(folder / "data"), "-CAfile", str(folder / "ca.pem"),
               "-untrusted", str(folder / "tsa.pem")]
    return subprocess.run(command, capture_output=True, timeout=60).returncode == 0


def test_our_signature_timestamp_is_over_the_exclusive_c14n_signature_value(
        plain: bytes, seal: SealKey, tsa: TsaClient, pki: devpki.DevPki, tmp_path: Path) -> None:
    sealed = XadesSealer(seal, tsa).seal_bytes(plain)
    method = etree.fromstring(sealed).find(f".//{{{XADES}}}SignatureTimeStamp/{{{DS}}}CanonicalizationMethod")
    assert method is not None and method.get("Algorithm") == EXC_C14N
    _, value = _signature_value(sealed)
    # exclusive c14n of ds:SignatureValue, written out: only the ds namespace it uses is declared
    exclusive = (f'<ds:SignatureValue xmlns:ds="{DS}">{value.text}</ds:SignatureValue>').encode("ascii")
    assert _openssl_ts_verify(_token(sealed), exclusive, pki, tmp_path)
    inclusive = etree.tostring(value, method="c14n", exclusive=False)
    assert inclusive != exclusive and not _openssl_ts_verify(_token(sealed), inclusive, pki, tmp_path)


def _stamped(sealed: bytes, algorithm: str | None, data: bytes, tsa: TsaClient) -> bytes:
    """*sealed* (B-B) with a SignatureTimeStamp over *data* naming *algorithm* (None: no
    CanonicalizationMethod element, which XAdES reads as inclusive C14N 1.0)."""
    tree = etree.fromstring(sealed).getroottree()
    qualifying = tree.getroot().find(f".//{{{XADES}}}QualifyingProperties")
    assert qualifying is not None
    unsigned = etree.SubElement(etree.SubElement(qualifying, f"{{{XADES}}}UnsignedProperties"),
                                f"{{{XADES}}}UnsignedSignatureProperties")
    stamp = etree.SubElement(unsigned, f"{{{XADES}}}SignatureTimeStamp", {"Id": "TS-1"})
    if algorithm is not None:
        etree.SubElement(stamp, f"{{{DS}}}CanonicalizationMethod", {"Algorithm": algorithm})
    etree.SubElement(stamp, f"{{{XADES}}}EncapsulatedTimeStamp").text = base64.b64encode(
        tsa.timestamp(data).token).decode("ascii")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("algorithm", [C14N_10, None, C14N_11, f"{C14N_11}#WithComments",
                                       f"{C14N_10}#WithComments"],
                         ids=["inclusive", "unnamed", "c14n-1.1", "c14n-1.1-with-comments",
                              "inclusive-with-comments"])
def test_a_signature_timestamp_over_the_inclusive_forms_is_read(
        algorithm: str | None, plain: bytes, seal: SealKey, tsa: TsaClient, pki: devpki.DevPki,
        tmp_path: Path) -> None:
    """Inclusive C14N 1.0 and 1.1 give the same bytes for a SignatureValue without xml:id or
    xml:base above it; the inclusive form carries every namespace in scope."""
    sealed = XadesSealer(seal).seal_bytes(plain)
    _, value = _signature_value(sealed)
    inclusive = etree.tostring(value, method="c14n", exclusive=False)
    assert b'xmlns="http://data.europa.eu/snb"' in inclusive
    assert _openssl_ts_verify(tsa.timestamp(inclusive).token, inclusive, pki, tmp_path)

    good = verify_bytes(_stamped(sealed, algorithm, inclusive, tsa), "b-t.xml", (pki.root.certificate,))
    assert good.ok and good.level == "B-T", good.as_dict()
    assert good.checks["TIMESTAMP"].status == "OK"

    exclusive = etree.tostring(value, method="c14n", exclusive=True)
    wrong = verify_bytes(_stamped(sealed, algorithm, exclusive, tsa), "b-t.xml", (pki.root.certificate,))
    assert wrong.checks["TIMESTAMP"].status == "ERROR", wrong.as_dict()


def test_a_signing_certificate_naming_only_the_ca_is_a_certificate_error(
        plain: bytes, pki: devpki.DevPki, tmp_path: Path) -> None:
    """The seal certificate signs, KeyInfo holds it and its root, and the signed
    SigningCertificateV2 names the root: the signature is sound, the binding is not."""
    xmlsec1 = need_tool("xmlsec1")
    template = seal_template(plain, SealShape(), [pki.seal.certificate, pki.root.certificate],
                             named=pki.root.certificate)
    sealed = xmlsec1_sign(template, pki.seal.key, pki.seal.certificate, tmp_path, xmlsec1)
    assert xmlsec1_verifies(sealed, pki.root.certificate, tmp_path, xmlsec1)

    verdict = verify_bytes(sealed, "ca-named.xml", (pki.root.certificate,))
    assert verdict.certificate == pki.seal.certificate
    assert verdict.checks["SEAL"].status == "OK", verdict.checks["SEAL"]
    assert verdict.checks["CERTIFICATE"].status == "ERROR"
    assert "do not name the seal certificate" in verdict.checks["CERTIFICATE"].reason
