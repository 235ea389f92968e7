"""A TEST seal is said to be one on the verdict line, in `verify`, `verify-xml` (with --json)
and the preview, and a seal whose certificate does not say TEST is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from edcbridge.cli import main
from edcbridge.mapping.edc import to_edc
from edcbridge.output import serialise
from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.verify import marked_for_tests
from tests.preview_support import first_award

MARK = "Its certificate says 'TEST ONLY - not a real seal': a TEST seal, not a real one."


def _sealed(tmp_path: Path) -> tuple[Path, Path]:
    award, catalogue = first_award("imperial")
    pki = devpki.generate()
    path = tmp_path / "sealed.jsonld"
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path.write_text(sealer.seal(serialise(to_edc(award, catalogue)).decode("utf-8")), encoding="utf-8")
    anchor = tmp_path / "root.pem"
    anchor.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    return path, anchor


def test_verify_says_a_test_seal_is_one(tmp_path: Path) -> None:
    path, anchor = _sealed(tmp_path)
    said = CliRunner().invoke(main, ["verify", str(path), "--trust-anchor", str(anchor)])
    assert said.exit_code == 0, said.stderr
    assert MARK in said.stdout.splitlines()[0] + said.stderr
    data = CliRunner().invoke(main, ["verify", "--json", str(path), "--trust-anchor", str(anchor)])
    (report,) = json.loads(data.stdout)
    assert report["test_certificate"] == "TEST ONLY - not a real seal"


def test_the_preview_says_a_test_seal_is_one(tmp_path: Path) -> None:
    path, anchor = _sealed(tmp_path)
    out = tmp_path / "preview"
    result = CliRunner().invoke(main, ["preview", str(path), "--out", str(out),
                                       "--trust-anchor", str(anchor)])
    assert result.exit_code == 0, result.stderr
    page = next(out.glob("*.html")).read_text("utf-8")
    assert "a TEST seal, not a real one" in page


@pytest.mark.parametrize(("names", "expected"), [
    ({"O": "Université de Test", "CN": "Sceau"}, ""),  # the word in another case is a name
    ({"O": "Testing Centre Ltd", "CN": "Seal"}, ""),
    ({"O": "Uni", "OU": "TEST ONLY", "CN": "Uni TEST e-seal"}, "TEST ONLY"),  # the unit first
    ({"O": "Uni", "CN": "Uni TEST e-seal"}, "Uni TEST e-seal"),
])
def test_a_certificate_is_a_test_one_only_when_a_name_says_test(names: dict[str, str], expected: str) -> None:
    oids = {"O": x509.NameOID.ORGANIZATION_NAME, "OU": x509.NameOID.ORGANIZATIONAL_UNIT_NAME,
            "CN": x509.NameOID.COMMON_NAME}
    pki = devpki.generate()
    subject = x509.Name([x509.NameAttribute(oids[k], v) for k, v in names.items()])
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(pki.seal.key.public_key()).serial_number(1)
                   .not_valid_before(pki.seal.certificate.not_valid_before_utc)
                   .not_valid_after(pki.seal.certificate.not_valid_after_utc)
                   .sign(pki.seal.key, hashes.SHA256()))
    assert marked_for_tests(certificate) == expected
