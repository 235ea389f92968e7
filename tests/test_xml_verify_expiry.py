"""``verify-xml`` EXPIRY covers the credential's own dates, as ``verify`` does for JSON-LD: an
expired or not yet valid credential fails even when its seal is sound (xmlsec1 agrees on that)."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from edcbridge.model import Award, Catalogue
from edcbridge.seal import TestSeal, load_p12
from edcbridge.xml import edc12
from edcbridge.xml.verify import verify_file
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool
from tests.xml_support import fixture_awards


@pytest.fixture(scope="module")
def award(fixture_sets: list[tuple[Path, list[Path]]]) -> tuple[Award, Catalogue]:
    _, first, catalogue = next(item for item in fixture_awards(fixture_sets) if item[0] == "imperial")
    return first, catalogue


def _sealed(award: tuple[Award, Catalogue], test_seal: TestSeal, valid_from: datetime,
            valid_until: datetime | None, path: Path) -> Path:
    """The award sealed with validFrom and validUntil set (validUntil written after cred:issued)."""
    text = edc12.serialise(edc12.to_edc_xml(*award)).decode()
    text = re.sub(r"<cred:validUntil>[^<]*</cred:validUntil>\s*", "", text)
    stamp = valid_from.strftime("%Y-%m-%dT%H:%M:%SZ")
    text, count = re.subn(r"<cred:validFrom>[^<]*</cred:validFrom>",
                          f"<cred:validFrom>{stamp}</cred:validFrom>", text)
    assert count == 1
    if valid_until is not None:
        until = valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
        text = re.sub(r"(<cred:issued>[^<]*</cred:issued>)",
                      rf"\1<cred:validUntil>{until}</cred:validUntil>", text)
    seal = load_p12(test_seal.p12, test_seal.password, at=datetime.now(UTC))
    path.write_bytes(XadesSealer(seal).seal_bytes(text.encode()))
    xmlsec1 = subprocess.run([need_tool("xmlsec1"), "--verify", "--id-attr:Id",
                              "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", "--trusted-pem",
                              str(test_seal.root_ca), str(path)], capture_output=True, text=True, timeout=60)
    assert xmlsec1.returncode == 0, xmlsec1.stderr  # the seal itself is sound
    return path


def _anchors(test_seal: TestSeal) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(test_seal.root_ca.read_bytes()))


def test_an_expired_credential_fails_expiry(award: tuple[Award, Catalogue], test_seal: TestSeal,
                                            tmp_path: Path) -> None:
    now = datetime.now(UTC)
    path = _sealed(award, test_seal, now - timedelta(days=800), now - timedelta(days=1), tmp_path / "old.xml")
    verdict = verify_file(path, _anchors(test_seal))
    assert verdict.checks["SEAL"].status == "OK", verdict.as_dict()
    assert not verdict.ok
    assert verdict.checks["EXPIRY"].status == "ERROR"
    assert "credential expired on" in verdict.checks["EXPIRY"].reason


def test_a_credential_not_yet_valid_fails_expiry(award: tuple[Award, Catalogue], test_seal: TestSeal,
                                                 tmp_path: Path) -> None:
    path = _sealed(award, test_seal, datetime.now(UTC) + timedelta(days=30), None, tmp_path / "early.xml")
    verdict = verify_file(path, _anchors(test_seal))
    assert not verdict.ok and verdict.checks["EXPIRY"].status == "ERROR"
    assert "not valid before" in verdict.checks["EXPIRY"].reason


def test_a_current_credential_names_its_validity(award: tuple[Award, Catalogue], test_seal: TestSeal,
                                                 tmp_path: Path) -> None:
    now = datetime.now(UTC)
    path = _sealed(award, test_seal, now - timedelta(days=1), now + timedelta(days=365), tmp_path / "ok.xml")
    verdict = verify_file(path, _anchors(test_seal))
    assert verdict.ok, verdict.as_dict()
    assert verdict.checks["EXPIRY"].reason.startswith("credential valid until")


def test_a_signing_time_in_the_future_fails_expiry(award: tuple[Award, Catalogue], test_seal: TestSeal,
                                                   tmp_path: Path) -> None:
    seal = load_p12(test_seal.p12, test_seal.password, at=datetime.now(UTC))
    tree = edc12.to_edc_xml(*award)
    XadesSealer(seal).seal_tree(tree, signing_time=datetime.now(UTC) + timedelta(days=2))
    path = tmp_path / "future.xml"
    path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    verdict = verify_file(path, _anchors(test_seal))
    assert verdict.checks["SEAL"].status == "OK", verdict.as_dict()
    assert not verdict.ok and verdict.checks["EXPIRY"].status == "ERROR"
    assert "SigningTime" in verdict.checks["EXPIRY"].reason and "future" in verdict.checks["EXPIRY"].reason
