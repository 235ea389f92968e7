"""`edcbridge validate` as a verifier uses it on credentials from other issuers: findings
compared with pyshacl run directly on the official shapes, and explained for people."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rdflib
from click.testing import CliRunner
from pyld import jsonld
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import RDF, SH

from edcbridge.cli import main
from edcbridge.validation import validate_credential
from edcbridge.validation.document import read_credential

V31_SAMPLE = "elm3-rdf/3.2/rdf/samples/v3.1/credential-sample.jsonld"
UNSIGNED_MC = "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned.jsonld"
MNI_MC = "mynextid-edc/microcredential/v1/edc/examples/edc-mc-signed.jsonld"
CONTEXTS = {"https://www.w3.org/2018/credentials/v1": "w3c-vc-contexts/credentials-v1.jsonld",
            "http://data.europa.eu/snb/model/context/edc-ap": "elm3-rdf/3.2/rdf/ap/edc/edc-ap-context.jsonld"}


def official_results(reference: Path, doc: dict[str, Any]) -> set[tuple[str, str]]:
    """(property IRI, constraint component) of every result of pyshacl on the official 3.2 shapes."""
    def load(url: str, options: Any = None) -> dict[str, Any]:
        document = json.loads((reference / CONTEXTS[url]).read_text("utf-8"))
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": document}

    data = rdflib.Graph().parse(data=jsonld.to_rdf(doc, {"format": "application/n-quads",
                                                         "documentLoader": load}), format="nquads")
    shapes = rdflib.Graph()
    for name in ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl"):
        shapes.parse(reference / "elm3-rdf/3.2/rdf/ap/edc" / name, format="turtle")
    _, results, _ = pyshacl_validate(data, shacl_graph=shapes, inference="none", advanced=True)
    return {(str(results.value(r, SH.resultPath)),
             str(results.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1])
            for r in results.subjects(RDF.type, SH.ValidationResult)}


def test_a_31_credential_is_explained_as_a_version_break(reference: Path, store: Any) -> None:
    doc, _ = read_credential(reference / V31_SAMPLE)
    official = official_results(reference, doc)
    # the official shapes fail it only where 3.1 and 3.2 differ: typed values became typed nodes
    assert {path.rsplit("#", 1)[-1] for path, _ in official} == {"credentialStatus", "termsOfUse"}
    report = validate_credential(doc, store, annex1=None)
    notes = [f for f in report.findings if f.code == "version.older-elm"]
    assert len(notes) == 1 and notes[0].severity == "warning"
    assert "ELM 3.1 or earlier" in notes[0].message and "EDC 3.2" in notes[0].fix
    assert "$.credentialStatus, $.termsOfUse" in notes[0].message
    shacl = [f for f in report.findings if f.code.startswith("shacl.")]
    assert len(shacl) == len(official) and not report.ok


@pytest.mark.parametrize("relative", [UNSIGNED_MC, MNI_MC])
def test_a_32_credential_with_errors_gets_no_version_note(reference: Path, store: Any, relative: str) -> None:
    doc, _ = read_credential(reference / relative)
    report = validate_credential(doc, store, annex1=None)
    assert not report.ok
    assert not [f for f in report.findings if f.code == "version.older-elm"]


def test_the_cli_prints_the_version_note_first(reference: Path, store: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    result = CliRunner().invoke(main, ["validate", "--annex1", "off", str(reference / V31_SAMPLE)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("INVALID") and "WARNING version.older-elm at $" in lines[1]


def test_a_node_shape_failure_points_to_the_findings_on_that_node(reference: Path, store: Any) -> None:
    doc, _ = read_credential(reference / UNSIGNED_MC)
    official = official_results(reference, doc)
    assert ("https://www.w3.org/2018/credentials#issuer", "NodeConstraintComponent") in official
    findings = validate_credential(doc, store, annex1=None).findings
    node = next(f for f in findings if f.code == "shacl.Node" and f.where == "$.issuer")
    # the issuer is an organisation, not a vocabulary concept: what it lacks is its eIDAS identifier
    assert "controlled vocabulary named in the message" not in node.fix
    assert "the other findings on that node" in node.fix
    assert any(f.code == "shacl.MinCount" and f.where.endswith("eIDASIdentifier") for f in findings)


def test_value_and_kind_findings_say_what_to_write(reference: Path, store: Any) -> None:
    doc, _ = read_credential(reference / V31_SAMPLE)
    kind = next(f for f in validate_credential(doc, store, annex1=None).findings
                if f.code == "shacl.NodeKind")
    assert kind.fix.startswith("write credentialStatus as") and '{"id": ..., "type": ...}' in kind.fix
    doc, _ = read_credential(reference / MNI_MC)
    scheme = next(f for f in validate_credential(doc, store, annex1=None).findings
                  if f.code == "shacl.HasValue")
    assert "concept scheme" in scheme.fix and "see the EDC 3.2 shapes" not in scheme.fix


def test_json_results_keep_one_shape_for_every_kind_of_file(reference: Path, store: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    not_json = tmp_path / "notes.json"
    not_json.write_text("minutes of the board", "utf-8")
    files = [reference / V31_SAMPLE, reference / MNI_MC, not_json]
    result = CliRunner().invoke(main, ["validate", "--json", *map(str, files)])
    reports = json.loads(result.stdout)
    assert result.exit_code == 1 and [r["source"] for r in reports] == list(map(str, files))
    for report in reports:
        assert set(report) - {"seal_note"} == {"source", "ok", "checks", "findings", "sealed", "seal_checked"}
        assert report["ok"] is False and report["seal_checked"] is False
        assert ("seal_note" in report) is report["sealed"]
        for finding in report["findings"]:
            assert set(finding) == {"code", "severity", "where", "message", "fix"}
            assert finding["severity"] in {"error", "warning", "info"} and finding["fix"]
