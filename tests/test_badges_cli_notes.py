"""What ``edcbridge badges`` tells the user about the files it writes."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from edcbridge.load import load_catalogue
from edcbridge.preview.cli import register
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES


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
    assert list((tmp_path / "out").rglob("*.jwt"))


def test_a_folder_without_a_journal_is_said_to_check_no_withdrawals(reference: Path, tmp_path: Path) -> None:
    """Badges made into another folder than the export's would put a withdrawn award back unsaid."""
    result = _badges("-o", str(tmp_path / "out"), "--schemas", str(reference / "ob3-clr"))
    assert result.exit_code == 0, result.output
    assert f"note: {tmp_path / 'out'} holds no journal (no export was run into it), so no award is " \
           "checked against withdrawals" in result.stderr
    assert "-o EXPORT-FOLDER" in result.stderr
    quiet = _badges("-o", str(tmp_path / "out"), "--schemas", str(reference / "ob3-clr"), "-q")
    assert quiet.exit_code == 0 and "journal" not in quiet.stderr
