"""--json output is strict JSON (valid UTF-8 and valid Unicode, RFC 7493) even for a file whose
name is not UTF-8 (a Latin-1 name from an old archive or a Windows share): each byte that is no
UTF-8 is written as U+FFFD, and the name's exact bytes are given in base64 beside it."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edcbridge.schemas import SchemaStore
from tests.conftest import need_tool

LATIN1_NAME = os.fsdecode(b"dipl\xf4me")  # 0xF4, o-circumflex in Latin-1: no UTF-8

# Node reads the output as a strict reader would: fatal on bytes that are no UTF-8, and every
# string (keys too) must be well-formed Unicode, which a lone surrogate escape is not.
STRICT_READER = """
const text = new TextDecoder("utf-8", {fatal: true}).decode(require("fs").readFileSync(0));
const bad = [];
JSON.parse(text, function (key, value) {
  for (const s of [key, value]) if (typeof s === "string" && !s.isWellFormed()) bad.push(s);
  return value;
});
if (bad.length) { console.error("not well-formed:", JSON.stringify(bad)); process.exit(1); }
"""


def read_strictly(output: bytes) -> object:
    """The JSON value of *output*, once a strict reader (Node) has taken it."""
    checked = subprocess.run([need_tool("node"), "-e", STRICT_READER], input=output,
                             capture_output=True, timeout=60)
    assert checked.returncode == 0, checked.stderr.decode()
    return json.loads(output.decode("utf-8"))


def exact_name(entry: dict[str, str], field: str) -> Path:
    """The file an entry names, from the exact bytes given beside its readable name."""
    return Path(os.fsdecode(base64.b64decode(entry[f"{field}_base64"])))


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
    value = read_strictly(run.stdout)
    assert isinstance(value, list)
    assert value[0][field] == str(tmp_path / "dipl\ufffdme") + f".{kind}"
    assert exact_name(value[0], field) == path
    assert exact_name(value[0], field).read_bytes() == sample.read_bytes()


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
    (value,) = read_strictly(run.stdout)  # type: ignore[misc]
    assert exact_name(value, "source") == path
    assert Path(value["html"]).is_file() and "html_base64" not in value  # the page's name is UTF-8


def test_a_utf8_name_has_no_base64_beside_it(reference: Path, store: SchemaStore, tmp_path: Path) -> None:
    path = tmp_path / "diplôme.jsonld"
    shutil.copy(reference / "examples" / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-signed.jsonld", path)
    env = {**os.environ, "EDCBRIDGE_SCHEMAS": str(store.root)}
    run = subprocess.run([sys.executable, "-m", "edcbridge", "verify", "--json", str(path)],
                         capture_output=True, timeout=300, env=env)
    (value,) = read_strictly(run.stdout)  # type: ignore[misc]
    assert value["file"] == str(path) and "file_base64" not in value and "source_base64" not in value
