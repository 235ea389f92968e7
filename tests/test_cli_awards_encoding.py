"""Every command that reads awards files takes ``--encoding`` for a CSV file in a legacy encoding,
as ``export`` does: refused without it (naming the option), read with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES
from tests.test_load_inputs import GOOD, HEADER

CATALOGUE = str(FIXTURES / "imperial" / "catalogue.yaml")


def _cp1252_awards(tmp_path: Path) -> str:
    path = tmp_path / "awards.csv"
    path.write_bytes("".join(",".join(row) + "\r\n" for row in (HEADER, GOOD)).encode("cp1252"))
    return str(path)


def _commands(awards: str, out: Path, reference: Path) -> dict[str, list[str]]:
    return {
        "export-xml": ["export-xml", awards, "-c", CATALOGUE, "-o", str(out)],
        "badges": ["badges", awards, "-c", CATALOGUE, "-o", str(out), "--no-clr", "--schemas",
                   str(reference / "ob3-clr")],
        "ob3": ["ob3", awards, "-c", CATALOGUE, "-o", str(out), "--no-clr", "--schemas",
                str(reference / "ob3-clr")],
        "stack": ["stack", "IMP-PGCERT-DSH", "-c", CATALOGUE, "--records", awards, "--learner", "02214587",
                  "--as-of", "2026-01-01"],
    }


@pytest.mark.parametrize("command", ["export-xml", "badges", "ob3", "stack"])
def test_a_legacy_csv_file_is_read_under_encoding(command: str, reference: Path, tmp_path: Path) -> None:
    awards = _cp1252_awards(tmp_path)
    args = _commands(awards, tmp_path / "out", reference)[command]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "--encoding cp1252" in refused.stderr, refused.output
    read = CliRunner().invoke(main, [*args, "--encoding", "cp1252"])
    assert "not UTF-8" not in read.stderr and read.exit_code in (0, 1), read.output
    if command == "stack":
        assert "counts 5 credits" in read.stdout
    else:
        [written] = [Path(line) for line in read.stdout.splitlines()]
        assert "Chloé" in written.read_text("utf-8")


@pytest.mark.parametrize("command", ["export-xml", "badges", "stack"])
def test_an_encoding_no_csv_file_can_be_in_is_refused(command: str, reference: Path, tmp_path: Path) -> None:
    args = _commands(_cp1252_awards(tmp_path), tmp_path / "out", reference)[command]
    wrong = CliRunner().invoke(main, [*args, "--encoding", "klingon"])
    assert wrong.exit_code == 2 and "--encoding: 'klingon' is not an encoding" in wrong.stderr
