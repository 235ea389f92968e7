"""File names reach the terminal printable in validate, validate-xml and inspect, as in verify: a
received file named with a line break or a direction mark cannot print a line of its own (a fake
"OK") or show its name reversed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore

FAKE = "\nOK good"  # the name's second line, which must not become a line of the output
RLO = "\u202e"


@pytest.fixture
def samples(reference: Path) -> dict[str, Path]:
    examples = reference / "examples"
    return {"jsonld": examples / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-signed.jsonld",
            "xml": examples / "edci-1.7.3-xml" / "sealed" / "sampleQSEAL.xml"}


def _run(args: list[str], store_env: dict[str, str]) -> str:
    result = CliRunner().invoke(main, args, env=store_env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output


@pytest.fixture
def store_env(store: SchemaStore) -> dict[str, str]:
    return {"EDCBRIDGE_SCHEMAS": str(store.root)}


@pytest.mark.parametrize(("command", "kind"), [("validate", "jsonld"), ("validate", "xml"),
                                               ("validate-xml", "xml")])
def test_validate_shows_a_name_with_a_line_break_on_one_line(
        command: str, kind: str, samples: dict[str, Path], store_env: dict[str, str],
        tmp_path: Path) -> None:
    name = tmp_path / f"bad.{kind}{FAKE}.{kind}"
    shutil.copy(samples[kind], name)
    output = _run([command, str(name)], store_env)
    assert not any(line.startswith("OK good") for line in output.splitlines()), output
    assert f"bad.{kind}\\nOK good.{kind}" in output


@pytest.mark.parametrize("command", ["validate", "validate-xml", "inspect"])
def test_a_broken_file_is_named_printable(command: str, store_env: dict[str, str], tmp_path: Path) -> None:
    """Findings and errors quote the file name too."""
    name = tmp_path / f"cut{RLO}lmx.{'jsonld' if command == 'validate' else 'xml'}{FAKE}"
    name.write_bytes(b"<europassCredential")
    output = _run([command, str(name)], store_env)
    assert RLO not in output and "\\u202e" in output, output
    assert not any(line.startswith("OK good") for line in output.splitlines()), output
