"""What ``edcbridge badges`` tells the user about the files it writes."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.load import load_catalogue
from edcbridge.preview.cli import register
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES
from tests.test_badges_signing import _ec_key
from tests.test_export_ec_seal import _p12


def _badges(*args: str) -> click.testing.Result:
    group = click.Group()
    register(group)
    wales = FIXTURES / "wales"
    inputs = [str(wales / "awards.csv"), "-c", str(wales / "catalogue.yaml")]
    return CliRunner().invoke(group, ["badges", *inputs, "--no-clr", *args])


def test_without_a_seal_the_user_is_told_the_badges_are_unsigned(reference: Path, tmp_path: Path) -> None:
    """An OB 3.0 credential is verifiable only with a proof; the plain .json files have none."""
    result = _badges("-o", str(tmp_path / "out"), "--schemas", str(reference / "ob3-clr"))
    assert result.exit_code == 0, result.output
    assert "the credentials are unsigned" in result.stderr and "give --seal" in result.stderr
    assert not list((tmp_path / "out").rglob("*.jwt"))


def test_with_a_seal_no_unsigned_note_is_given(reference: Path, tmp_path: Path) -> None:
    factory = demo_seal(tmp_path / "seal", load_catalogue(FIXTURES / "wales" / "catalogue.yaml"))
    password = tmp_path / "password.txt"
    password.write_bytes(factory.password)
    result = _badges("-o", str(tmp_path / "out"), "--schemas", str(reference / "ob3-clr"), "--seal",
                     str(factory.p12), "--password-file", str(password))
    assert result.exit_code == 0, result.output
    assert "the credentials are unsigned" not in result.stderr
    assert "wallets may refuse" not in result.stderr
    assert list((tmp_path / "out").rglob("*.jwt"))


@pytest.mark.parametrize(("curve", "alg"), [(ec.SECP256R1(), "ES256"), (ec.SECP384R1(), "ES384"),
                                            (ec.SECP521R1(), "ES512")])
def test_a_seal_signing_what_few_verifiers_take_is_said(reference: Path, tmp_path: Path,
                                                        curve: ec.EllipticCurve, alg: str) -> None:
    """OB 3.0, 8.2.3 asks verifiers only for RS256; the 1EdTech validator takes RS256 and ES256."""
    key = _ec_key(curve, load_catalogue(FIXTURES / "wales" / "catalogue.yaml"))
    result = _badges("-o", str(tmp_path / "out"), "--schemas", str(reference / "ob3-clr"), "--seal",
                     str(_p12(key, tmp_path)), "--password-file", str(tmp_path / "pw.txt"))
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "out").rglob("*.jwt"))
    said = f"this seal signs the VC-JWT (.jwt) files {alg}" in result.stderr
    assert said is (alg != "ES256"), result.stderr
    if said:
        assert "wallets may refuse" in result.stderr and "EC seal on P-256" in result.stderr


def test_a_folder_without_a_journal_is_said_to_check_no_withdrawals(reference: Path, tmp_path: Path) -> None:
    """Badges made into another folder than the export's would put a withdrawn award back unsaid."""
    result = _badges("-o", str(tmp_path / "out"), "--schemas", str(reference / "ob3-clr"))
    assert result.exit_code == 0, result.output
    assert f"note: {tmp_path / 'out'} holds no journal (no export was run into it), so no award is " \
           "checked against withdrawals" in result.stderr
    assert "-o EXPORT-FOLDER" in result.stderr
    quiet = _badges("-o", str(tmp_path / "out"), "--schemas", str(reference / "ob3-clr"), "-q")
    assert quiet.exit_code == 0 and "journal" not in quiet.stderr


def test_skills_without_a_label_are_named_in_a_note(reference: Path, tmp_path: Path) -> None:
    """A badge alignment needs a name: a skill the catalogue gives by IRI alone is named by its
    ESCO code, which the user is told, with the label to write."""
    result = _badges("-o", str(tmp_path / "out"), "--schemas", str(reference / "ob3-clr"))
    assert result.exit_code == 0, result.output
    catalogue = load_catalogue(FIXTURES / "wales" / "catalogue.yaml")
    first = next(str(s) for spec in catalogue.specifications for o in spec.learning_outcomes
                 for s in o.esco_skills if not s.label)
    assert f"ESCO skills have no label ({first}" in result.stderr, result.stderr
    assert "named by their ESCO code" in result.stderr and "label: {en: " in result.stderr
    quiet = _badges("-o", str(tmp_path / "quiet"), "--schemas", str(reference / "ob3-clr"), "-q")
    assert "ESCO skills have no label" not in quiet.stderr
