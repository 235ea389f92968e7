"""verify-xml says, as verify and the preview page do, when a sound XAdES seal was made by
another organisation than the issuer the XML credential names: CHECK, not VALID."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from edcbridge.seal import SealKey, devpki
from edcbridge.xml.cli import register as register_xml
from edcbridge.xml.xades import XadesSealer

UNSEALED = Path("examples", "elm-repo-xml-v1.2-unsigned", "EDC_SampleDegree_AA.xml")  # by University Great


@click.group()
def main() -> None:
    """The XML commands."""


register_xml(main)


def _sealed_by(organisation: str, reference: Path, tmp_path: Path) -> tuple[Path, Path]:
    pki = devpki.generate(organisation=organisation, organisation_identifier="NTRGB-99999999")
    sealer = XadesSealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path = tmp_path / "sealed.xml"
    path.write_bytes(sealer.seal_bytes((reference / UNSEALED).read_bytes()))
    anchor = tmp_path / "root.pem"
    anchor.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    return path, anchor


def test_a_seal_by_another_organisation_than_the_issuer_asks_for_a_check(reference: Path,
                                                                         tmp_path: Path) -> None:
    sealed, anchor = _sealed_by("Diploma Mill Ltd", reference, tmp_path)
    result = CliRunner().invoke(main, ["verify-xml", "--trust-anchor", str(anchor), str(sealed)])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{sealed}: CHECK (XAdES B-B): the seal is intact, but sealed by another "
                            "organisation than the credential's issuer")
    assert "University Great" in first and "Diploma Mill Ltd" in first
    as_json = json.loads(CliRunner().invoke(main, ["verify-xml", "--json", str(sealed)]).stdout)[0]
    assert as_json["verdict"] == "CHECK" and "University Great" in as_json["note"]


def test_a_seal_by_the_issuer_itself_is_valid(reference: Path, tmp_path: Path) -> None:
    sealed, anchor = _sealed_by("University Great", reference, tmp_path)
    result = CliRunner().invoke(main, ["verify-xml", "--trust-anchor", str(anchor), str(sealed)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{sealed}: VALID (XAdES B-B): ")


def test_the_verdict_shows_who_sealed_beside_the_issuer_the_credential_names(reference: Path,
                                                                             tmp_path: Path) -> None:
    sealed, anchor = _sealed_by("University Great", reference, tmp_path)
    first = CliRunner().invoke(main, ["verify-xml", "--trust-anchor", str(anchor), str(sealed)]).stdout
    assert "Sealed by 'University Great' (NTRGB-99999999) for the issuer the credential names: " \
           "'University Great' (en)." in first.splitlines()[0]
