"""`dev-pki` with organisation names near and over the length a certificate name holds."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner
from cryptography import x509
from cryptography.x509.oid import NameOID

from edcbridge.seal import devpki
from edcbridge.seal.cli import register

LONG = "University of Example and Very Long Name College Ltd"


@click.group()
def main() -> None:
    """Stand-in for the edcbridge group."""


register(main)


def _subject(directory: Path, oid: x509.ObjectIdentifier) -> str:
    cert = x509.load_pem_x509_certificate((directory / "seal-cert.pem").read_bytes())
    [attribute] = cert.subject.get_attributes_for_oid(oid)
    return str(attribute.value)


def test_a_long_organisation_fits_the_common_name_exactly(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dev-pki", "--organisation", LONG, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert _subject(tmp_path, NameOID.ORGANIZATION_NAME) == f"{LONG} (TEST)"
    common_name = _subject(tmp_path, NameOID.COMMON_NAME)
    assert common_name == f"{LONG} TEST e-seal" and len(common_name) == 64


def test_a_name_of_64_characters_is_marked_within_the_limit(tmp_path: Path) -> None:
    name = "Q" * 64
    result = CliRunner().invoke(main, ["dev-pki", "--organisation", name, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert _subject(tmp_path, NameOID.ORGANIZATION_NAME) == "Q" * 57 + " (TEST)"
    assert _subject(tmp_path, NameOID.COMMON_NAME) == "Q" * 52 + " TEST e-seal"


def test_an_organisation_over_the_limit_is_one_line_of_error(tmp_path: Path) -> None:
    for name in ("Q" * 65, "é" * 33):  # cryptography counts UTF-8 bytes
        result = CliRunner().invoke(main, ["dev-pki", "--organisation", name, "--out", str(tmp_path / "x")])
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.exception
        assert result.output.strip().splitlines()[-1] == (
            "Error: Invalid value for --organisation: too long for a certificate (at most 64 characters, "
            "fewer with accented letters): give a shorter name")
        assert "Traceback" not in result.output
        assert not (tmp_path / "x").exists()


def test_marking_keeps_whole_characters() -> None:
    assert devpki.marked("Short", " TEST e-seal") == "Short TEST e-seal"
    shortened = devpki.marked("é" * 32, " TEST e-seal")
    assert shortened == "é" * 26 + " TEST e-seal" and devpki.name_fits(shortened)
    assert devpki.marked("A" * 51 + " B" * 3, " TEST e-seal") == "A" * 51 + " TEST e-seal"


def test_the_library_seals_a_long_organisation_as_the_demo_does() -> None:
    pki = devpki.generate(organisation=LONG + " (Imperial)")
    common_name = pki.seal.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name == LONG + " TEST e-seal"

