"""A received file's name is escaped alike by every command that reads credentials: validate,
validate-xml, verify, verify-xml, inspect and preview write a line break as \\n and a direction
mark as \\u202e, so a script or a reader compares the same name in each command's output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore

NAME = "odd\u202egpj.\nOK good"


@pytest.mark.parametrize(("command", "kind"), [
    ("validate", "jsonld"), ("validate-xml", "xml"), ("verify", "jsonld"), ("verify-xml", "xml"),
    ("inspect", "xml"), ("preview", "broken")])
def test_each_command_escapes_a_file_name_alike(command: str, kind: str, reference: Path, store: SchemaStore,
                                                tmp_path: Path) -> None:
    examples = reference / "examples"
    path = tmp_path / f"{NAME}.{'jsonld' if kind != 'xml' else 'xml'}"
    if kind == "broken":
        path.write_bytes(b"{\"payload\": ")
    else:
        shutil.copy(examples / ("elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld" if kind == "jsonld"
                                else "edci-1.7.3-xml/sealed/sampleQSEAL.xml"), path)
    args = [command, str(path)] + (["--out", str(tmp_path / "pages")] if command == "preview" else [])
    result = CliRunner().invoke(main, args, env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    output = result.output
    assert "\u202e" not in output and not any(line.startswith("OK good") for line in output.splitlines())
    if command != "inspect":  # inspect names the file only when it cannot read it
        assert "odd\\u202egpj.\\nOK good" in output, output
