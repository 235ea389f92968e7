"""`edcbridge validate` as people see it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from edcbridge.schemas import SchemaStore
from tests.conftest import fixture_credentials


def test_an_unreadable_literal_is_a_finding_not_a_traceback(
        store: SchemaStore, tmp_path: Path) -> None:
    credential: dict[str, Any] = fixture_credentials()[0][1]
    broken = tmp_path / "broken.jsonld"
    broken.write_text(json.dumps({**credential, "issuanceDate": "yesterday"}), "utf-8")
    result = subprocess.run([sys.executable, "-m", "edcbridge", "validate", str(broken)], capture_output=True,
                            text=True, env={"EDCBRIDGE_SCHEMAS": str(store.root), "PATH": ""}, check=False)
    assert result.returncode == 1
    assert "ERROR shacl.Datatype at $.issuanceDate" in result.stdout
    assert "(value: yesterday)" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def test_an_unknown_context_is_named_with_the_contexts_to_give(store: SchemaStore, tmp_path: Path) -> None:
    credential: dict[str, Any] = fixture_credentials()[0][1]
    other = tmp_path / "other-context.jsonld"
    other.write_text(json.dumps({**credential, "@context": [credential["@context"][0],
                                                            "https://example.org/ctx"]}), "utf-8")
    result = subprocess.run([sys.executable, "-m", "edcbridge", "validate", str(other)], capture_output=True,
                            text=True, env={"EDCBRIDGE_SCHEMAS": str(store.root), "PATH": ""}, check=False)
    assert result.returncode == 1
    finding = next(line for line in result.stdout.splitlines() if "jsonld.error" in line)
    assert "the context https://example.org/ctx is not one edcbridge reads" in finding
    assert "CORS" not in result.stdout and "VC 2.0" not in result.stdout  # pyld's words, a wrong guess
    assert '"http://data.europa.eu/snb/model/context/edc-ap"]' in result.stdout
