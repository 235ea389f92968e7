"""A sealed payload or a file that is no EDC (no JSON-LD context, or not typed as a European
Digital Credential) fails verify's FORMAT, and `validate` refuses it: the shapes select nothing
in such a document, so finding no violation in it says nothing about the official format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from edcbridge.seal import Sealer, SealKey, VerifyOptions, devpki, verify_document
from edcbridge.seal.verify import seal_outcome
from edcbridge.sealing import format_check
from tests.conftest import REFERENCE

NOW = datetime.now(UTC).replace(microsecond=0)
SAMPLE = REFERENCE / "examples" / "elm-repo-v3-jsonld" / "Sample-CertOfPart-signed.jsonld"
W3C_VC = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
          "issuer": "did:web:example.org", "issuanceDate": "2024-01-01T00:00:00Z",
          "credentialSubject": {"id": "did:web:learner.example.org"}}


def _edc() -> dict[str, object]:
    doc: dict[str, object] = json.loads(json.loads(SAMPLE.read_bytes())["payload"])
    return doc


@pytest.mark.parametrize(("doc", "said"), [({"name": "Bachelor of Arts"}, "no JSON-LD @context"),
                                            (W3C_VC, "not typed as EuropeanDigitalCredential")])
def test_a_payload_that_is_no_edc_fails_format(store: SchemaStore, doc: dict[str, object], said: str) -> None:
    status, reason = format_check(store)(doc)
    assert status == "ERROR" and said in reason, reason


def test_a_sealed_payload_that_is_no_edc_is_never_valid(store: SchemaStore) -> None:
    pki = devpki.generate(now=NOW - timedelta(days=30))
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)), clock=lambda: NOW)
    options = VerifyOptions(at=NOW, trust_anchors=(pki.root.certificate,), format_check=format_check(store))
    result = verify_document(sealer.seal('{"name":"Bachelor of Arts"}').encode(), options)
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    assert result.checks["FORMAT"].status == "ERROR"
    outcome = seal_outcome(result.checks, anchored=True, sealer=None)
    assert outcome.verdict == "CHECK" and not outcome.passed


@pytest.mark.parametrize("types", [["VerifiableCredential", "EuropeanDigitalCredential"],
                                   "EuropeanDigitalCredential",
                                   ["VerifiableCredential", "http://data.europa.eu/snb/model/elm/EuropeanDigitalCredential"],
                                   ["VerifiableCredential", "elm:EuropeanDigitalCredential"]])
def test_an_edc_typed_in_any_spelling_is_checked_by_the_shapes(store: SchemaStore, types: object) -> None:
    doc = _edc()
    context = doc["@context"]
    assert isinstance(context, list)
    doc["@context"] = [*context, {"elm": "http://data.europa.eu/snb/model/elm/"}]  # a compact IRI's prefix
    _, reason = format_check(store)(doc | {"type": types})
    assert not reason.startswith(("not typed as", "no JSON-LD @context")), reason


@pytest.mark.parametrize(("context", "types"), [
    (["https://www.w3.org/2018/credentials/v1"], "urn:x:EuropeanDigitalCredential"),
    (["https://www.w3.org/2018/credentials/v1"], "https://example.org/EuropeanDigitalCredential"),
    (["https://www.w3.org/2018/credentials/v1"], "x:EuropeanDigitalCredential"),
    (["https://www.w3.org/2018/credentials/v1", {"x": "https://example.org/"}],
     "x:EuropeanDigitalCredential"),
    (["https://www.w3.org/2018/credentials/v1"], "EuropeanDigitalCredential"),  # a term its context lacks
])
def test_a_type_that_only_ends_like_the_edc_class_is_no_edc(store: SchemaStore, context: list[object],
                                                            types: str) -> None:
    """The shapes select the EDC class by its IRI: another IRI ending in its name, or its name
    without the EDC context, types nothing they check."""
    doc = W3C_VC | {"@context": context, "type": ["VerifiableCredential", types]}
    status, reason = format_check(store)(doc)
    assert status == "ERROR" and "not typed as EuropeanDigitalCredential" in reason, reason


def test_the_official_sample_still_conforms(store: SchemaStore) -> None:
    assert format_check(store)(_edc()) == ("OK", "conforms to the official shapes")


def test_validate_refuses_a_credential_that_is_no_edc(store: SchemaStore, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``validate`` said OK of a W3C credential with no EDC type: nothing in it for the shapes."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    path = tmp_path / "vc.json"
    path.write_text(json.dumps(W3C_VC), "utf-8")
    result = CliRunner().invoke(main, ["validate", "--annex1", "off", str(path)])
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith(f"INVALID {path}")
    assert "ERROR shacl.not-an-edc at $.type: not typed as EuropeanDigitalCredential" in result.stdout
    edc = tmp_path / "edc.json"
    edc.write_text(json.dumps(_edc()), "utf-8")
    assert CliRunner().invoke(main, ["validate", "--annex1", "off", str(edc)]).exit_code == 0
