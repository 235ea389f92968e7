"""verify --json and verify-xml --json name the same things alike: a script reads the file name
as "source" (as validate, validate-xml and preview write it), the claimed signing time and the
seal certificate from the same keys, whichever kind of seal the applicant sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore

SHARED = {"source", "file", "ok", "verdict", "verdict_reason", "sealed_by", "test_certificate", "checks",
          "unsigned_content", "signing_time", "certificate"}


@pytest.mark.parametrize(("command", "sample"), [
    ("verify", "elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld"),
    ("verify-xml", "edci-1.7.3-xml/sealed/sampleQSEAL.xml")])
def test_verify_and_verify_xml_share_their_json_keys(command: str, sample: str, reference: Path,
                                                     store: SchemaStore) -> None:
    path = reference / "examples" / sample
    env = {"EDCBRIDGE_SCHEMAS": str(store.root)}
    result = CliRunner().invoke(main, [command, "--json", str(path)], env=env)
    [report] = json.loads(result.stdout)
    assert report.keys() >= SHARED, SHARED - report.keys()
    assert report["source"] == report["file"] == str(path)
    assert report["signing_time"].startswith("20") and report["signing_time"].endswith("Z")
    assert "O=" in report["certificate"]
