"""The official and production samples through `edcbridge validate`: expected verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.validation import validate_credential
from edcbridge.validation.document import read_credential

EC = "examples/elm-repo-v3-jsonld/"
MNI = "mynextid-edc/"

# (file, number of SHACL violations) as documented in formats.md section 4.2
EXPECTED = [
    ("elm3-rdf/3.2/rdf/samples/credential-sample.jsonld", 0),
    (EC + "Sample-MC-Annex1-signed.jsonld", 0),
    (EC + "Sample-CertOfPart-signed.jsonld", 0),
    (EC + "Sample-MC-Annex1-unsigned.jsonld", 3),
    (EC + "Sample-MC-Annex1-unsigned-uploadable.json", 3),
    (EC + "Sample-CertOfPart-unsigned.jsonld", 3),
    ("elm3-rdf/3.2/rdf/samples/v3.1/credential-sample.jsonld", 3),
    (MNI + "microcredential/v1/edc/examples/edc-mc-signed.jsonld", 13),
]


@pytest.mark.parametrize(("relative", "violations"), EXPECTED,
                         ids=[e[0].rsplit("/", 1)[-1] for e in EXPECTED])
def test_official_samples_get_the_documented_verdict(reference: Path, store, relative: str,
                                                     violations: int) -> None:
    doc, _ = read_credential(reference / relative)
    report = validate_credential(doc, store, annex1=None)
    shacl = [f for f in report.findings if f.code.startswith("shacl.")]
    assert len(shacl) == violations, [f.render() for f in shacl]


def test_cli_accepts_the_official_32_sample_and_the_ec_micro_credential(reference: Path, store,
                                                                         monkeypatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    files = [str(reference / "elm3-rdf/3.2/rdf/samples/credential-sample.jsonld"),
             str(reference / EC / "Sample-MC-Annex1-signed.jsonld")]
    result = CliRunner().invoke(main, ["validate", "--json", *files])
    assert result.exit_code == 0, result.stdout
    reports = json.loads(result.stdout)
    assert [r["ok"] for r in reports] == [True, True]
    mc = reports[1]
    missing = [f["message"] for f in mc["findings"] if f["code"] == "annex1.missing"]
    # the EC's Annex I sample states no quality assurance: reported, as a warning by default
    assert missing == ["Annex I element missing: Type of quality assurance used to underpin the "
                       "micro-credential"]


def test_cli_rejects_the_unsigned_sample_and_names_the_problems(reference: Path, store,
                                                                monkeypatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    result = CliRunner().invoke(main, ["validate", str(reference / EC / "Sample-MC-Annex1-unsigned.jsonld")])
    assert result.exit_code == 1
    assert "INVALID" in result.stdout and "$.issued" in result.stdout
    assert "eIDASIdentifier" in result.stdout


def test_ebsi_examples_fail_json_ld_processing_with_a_clear_reason(reference: Path, store) -> None:
    from edcbridge.validation.shacl import validate_shacl

    example = next((reference / "ebsi-edc-schema/vcdm2.0-europass-edc-schema/examples").glob("*.json"))
    findings = validate_shacl(json.loads(example.read_text()), store)
    assert findings[0].code == "jsonld.error"
    assert "redefine a protected term" in findings[0].message


def test_unknown_remote_context_is_refused_offline(store) -> None:
    from edcbridge.validation.shacl import validate_shacl

    doc = {"@context": ["https://example.org/evil-context"], "id": "urn:x", "type": "Thing"}
    findings = validate_shacl(doc, store)
    assert findings[0].code == "jsonld.error"
    assert "https://example.org/evil-context" in findings[0].message
