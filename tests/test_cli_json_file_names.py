"""--json output is UTF-8 JSON even for a file whose name is not UTF-8 (a Latin-1 name from an
old archive or a Windows share): the name is written as a JSON escape that gives it back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edcbridge.schemas import SchemaStore

LATIN1_NAME = os.fsdecode(b"dipl\xf4me")  # 0xF4, o-circumflex in Latin-1: no UTF-8


@pytest.mark.parametrize(("command", "kind", "field"), [
    ("verify", "jsonld", "file"), ("validate", "jsonld", "source"), ("verify-xml", "xml", "file"),
    ("validate-xml", "xml", "source"),
])
def test_json_output_names_a_latin1_file_in_utf8(command: str, kind: str, field: str,
                                                reference: Path, store: SchemaStore, tmp_path: Path) -> None:
    examples = reference / "examples"
    sample = examples / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-signed.jsonld" if kind == "jsonld" \
        else examples / "edci-1.7.3-xml" / "sealed" / "sampleQSEAL.xml"
    path = tmp_path / f"{LATIN1_NAME}.{kind}"
    shutil.copy(sample, path)
    env = {**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)}
    run = subprocess.run([sys.executable, "-m", "edcbridge", command, "--json", str(path)],
                         capture_output=True, timeout=300, env=env)
    assert run.returncode in (0, 1), run.stderr
    value = json.loads(run.stdout.decode("utf-8"))
    assert Path(value[0][field]) == path
    assert Path(value[0][field]).read_bytes() == sample.read_bytes()


def test_preview_json_names_a_latin1_file_in_utf8(reference: Path, store: SchemaStore,
                                                   tmp_path: Path) -> None:
    """The page of a file with such a name is made too: its name is made from the file's."""
    sample = reference / "examples" / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-unsigned.jsonld"
    path = tmp_path / f"{LATIN1_NAME}.jsonld"
    shutil.copy(sample, path)
    env = {**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)}
    run = subprocess.run([sys.executable, "-m", "edcbridge", "preview", "--json", "-o", str(tmp_path / "out"),
                          str(path)], capture_output=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    (value,) = json.loads(run.stdout.decode("utf-8"))
    assert Path(value["source"]) == path
    assert Path(value["html"]).is_file()
