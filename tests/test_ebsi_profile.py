"""The EBSI VCDM 2.0 profile: what EBSI verifiers and wallets need, checked with the official
EBSI JSON Schemas directly (every $ref resolved offline) as well as through our validator."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from edcbridge.cli import main
from edcbridge.mapping.ebsi import mailto_uri, to_ebsi
from edcbridge.mapping.edc import to_edc
from edcbridge.mapping.nodes import Frozen
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.validation import validate_credential
from edcbridge.validation.ebsi_schema import validate_ebsi
from tests.conftest import FIXTURES, REFERENCE, fixture_awards
from tests.preview_support import first_award

EBSI = REFERENCE / "ebsi-edc-schema"
EXAMPLES = sorted((EBSI / "vcdm2.0-europass-edc-schema/examples").glob("*.json"))
CASES = list(fixture_awards())
V2 = "https://www.w3.org/ns/credentials/v2"

# An RFC 5321 dot-string address, ASCII only: what "format": "email" means to JSON Schema (and
# to the ajv-formats checks of EBSI's own tools), unlike jsonschema's bare test for an "@".
_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                      r"@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")


@cache
def _official() -> Draft202012Validator:
    """The official EDC 2.1.0 and attestation 1.2.0 schemas as published, nothing of ours."""
    edc = json.loads((EBSI / "vcdm2.0-europass-edc-schema/schema.json").read_text("utf-8"))
    attestation = json.loads((EBSI / "vcdm2.0-attestation-schema/schema.json").read_text("utf-8"))
    base = "file:///official/edc/schema.json"
    registry = Registry().with_resources([
        (base, Resource.from_contents(edc)),
        ("file:///official/edc/node_modules/@cef-ebsi/vcdm2.0-attestation-schema/schema.json",
         Resource.from_contents(attestation)),
    ])
    checker = FormatChecker()
    checker.checks("email")(lambda value: not isinstance(value, str) or bool(_ADDRESS.fullmatch(value)))
    return Draft202012Validator({"$id": base, **edc}, registry=registry, format_checker=checker)


def _official_errors(doc: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _official().iter_errors(doc)]


def _profile(fixture_set: str = "imperial") -> dict[str, Any]:
    award, catalogue = first_award(fixture_set)
    return to_ebsi(to_edc(award, catalogue))


def _editable(doc: dict[str, Any], *path: str) -> Any:
    """The node at ``path``, copied with the nodes above it so that editing it changes this
    document alone: shared catalogue nodes are the same objects in every profile."""
    node = doc
    for key in path:
        node[key] = copy.copy(node[key])
        node = node[key]
    return node


def _with_email(award: Award, email: str) -> Award:
    learner = type(award.learner).model_validate({**award.learner.model_dump(), "email": email})
    return award.model_copy(update={"learner": learner})


def _expiring() -> tuple[Award, Catalogue]:
    return next((a, c) for _, a, c in CASES if "validUntil" in to_edc(a, c))


@pytest.mark.parametrize(("name", "award", "catalogue"), CASES, ids=[c[0] for c in CASES])
def test_every_fixture_profile_passes_the_official_schema_and_ours_without_a_finding(
        store: SchemaStore, name: str, award: Award, catalogue: Catalogue) -> None:
    doc = to_ebsi(to_edc(award, catalogue))
    assert _official_errors(doc) == []
    assert validate_ebsi(doc, store) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_official_examples_pass_our_validator_without_a_finding(store: SchemaStore, path: Path) -> None:
    doc = json.loads(path.read_text("utf-8"))
    assert _official_errors(doc) == []
    assert validate_ebsi(doc, store) == []


def test_the_profile_names_the_edc_schema_of_the_trusted_schemas_registry() -> None:
    metadata = json.loads((EBSI / "vcdm2.0-europass-edc-schema/schema.metadata.json").read_text("utf-8"))
    schemas = _profile()["credentialSchema"]
    json_schemas = [s for s in schemas if s["type"] == "JsonSchema"]
    assert [s["id"].rsplit("/", 1)[1] for s in json_schemas] == [metadata["id"]["base16"]]
    assert json_schemas[0]["id"].startswith("https://api-pilot.ebsi.eu/trusted-schemas-registry/v3/schemas/")
    shapes = {"id": "http://data.europa.eu/snb/model/ap/edc-generic-full", "type": "ShaclValidator2017"}
    assert shapes in schemas


def test_a_profile_made_twice_names_the_json_schema_once() -> None:
    award, catalogue = first_award("imperial")
    again = to_ebsi(to_ebsi(to_edc(award, catalogue)))
    assert [s["type"] for s in again["credentialSchema"]] == ["ShaclValidator2017", "JsonSchema"]


def test_a_credential_naming_no_json_schema_is_warned_about(store: SchemaStore) -> None:
    doc = _profile()
    doc["credentialSchema"] = [s for s in doc["credentialSchema"] if s["type"] != "JsonSchema"]
    findings = validate_ebsi(doc, store)
    assert [(f.code, f.severity, f.where) for f in findings] == [
        ("ebsi.credentialSchema", "warning", "$.credentialSchema")]
    assert "JsonSchema" in findings[0].fix


def test_the_vc_1_1_date_terms_are_left_out_and_valid_until_is_kept() -> None:
    award, catalogue = _expiring()
    edc = to_edc(award, catalogue)
    doc = to_ebsi(edc)
    assert "issuanceDate" not in doc and "expirationDate" not in doc
    assert doc["validUntil"] == edc["validUntil"] == edc["expirationDate"]
    assert doc["validFrom"] == edc["validFrom"] and doc["issued"] == edc["issued"]
    assert _official_errors(doc) == []


def test_an_expiration_date_alone_becomes_valid_until() -> None:
    award, catalogue = _expiring()
    edc = to_edc(award, catalogue)
    until = edc.pop("validUntil")
    doc = to_ebsi(edc)
    assert doc["validUntil"] == until and "expirationDate" not in doc


def test_an_e_mail_address_in_non_latin_letters_becomes_a_mailto_uri(store: SchemaStore) -> None:
    award, catalogue = first_award("sofia")
    edc = to_edc(_with_email(award, "мария.иванова@пример.бг"), catalogue)
    iri = edc["credentialSubject"]["contactPoint"]["emailAddress"]["id"]
    assert iri == "mailto:мария.иванова@пример.бг"  # an IRI is right for EDC JSON-LD
    doc = to_ebsi(edc)
    uri = doc["credentialSubject"]["contactPoint"]["emailAddress"]["id"]
    assert uri.isascii() and unquote(uri) == iri  # the same address, nothing lost
    assert _official_errors(doc) == []
    assert validate_ebsi(doc, store) == []


def test_an_ascii_address_is_written_as_it_is() -> None:
    award, catalogue = first_award("sofia")
    doc = to_ebsi(to_edc(_with_email(award, "o'neill+mc@example.ie"), catalogue))
    assert doc["credentialSubject"]["contactPoint"]["emailAddress"]["id"] == "mailto:o'neill+mc@example.ie"
    assert _official_errors(doc) == []


def test_export_writes_a_valid_profile_for_a_learner_with_such_an_address(
        store: SchemaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    row = json.loads((FIXTURES / "sofia/awards.jsonl").read_text("utf-8").splitlines()[0])
    awards = tmp_path / "awards.jsonl"
    awards.write_text(json.dumps({**row, "email": "мария@пример.бг"}, ensure_ascii=False) + "\n", "utf-8")
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(FIXTURES / "sofia/catalogue.yaml"),
                                       "-o", str(tmp_path / "out"), "--format", "edc", "--format", "ebsi",
                                       "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    written = [json.loads(p.read_text("utf-8")) for p in (tmp_path / "out/ebsi").glob("*.json")]
    assert len(written) == 1 and _official_errors(written[0]) == []


def test_a_mailbox_that_is_no_uri_is_an_error(store: SchemaStore) -> None:
    doc = _profile("sofia")
    doc["credentialSubject"]["contactPoint"] = {
        "type": "ContactPoint", "emailAddress": {"type": "Mailbox", "id": "mailto:мария@пример.бг"}}
    assert _official_errors(doc)
    wheres = {f.where for f in validate_ebsi(doc, store) if f.severity == "error"}
    assert "$.credentialSubject.contactPoint.emailAddress.id" in wheres


def test_the_v2_context_must_come_first(store: SchemaStore) -> None:
    doc = _profile()
    doc["@context"] = list(reversed(doc["@context"]))
    assert _official_errors(doc) == []  # the schema only asks that it be there
    findings = validate_ebsi(doc, store)
    assert [(f.code, f.where) for f in findings] == [("ebsi.context", "$.@context[0]")]
    assert not validate_credential(doc, store, annex1=None).ok


def test_valid_until_before_valid_from_is_an_error(store: SchemaStore) -> None:
    doc = _profile()
    doc["validUntil"] = "2020-01-01T00:00:00Z"
    assert _official_errors(doc) == []  # the schema cannot compare two dates
    findings = validate_ebsi(doc, store)
    assert [(f.code, f.where) for f in findings] == [("ebsi.validity", "$.validUntil")]
    doc["validUntil"] = doc["validFrom"].replace("Z", "+00:00")
    assert validate_ebsi(doc, store) == []


def test_a_bad_node_inside_a_choice_is_reported_where_it_is(store: SchemaStore) -> None:
    doc = _profile()
    subject = doc["credentialSubject"]
    subject["givenName"] = {"en": "Ana", "el": "Άννα"}
    subject["hasClaim"] = [subject["hasClaim"], {"type": "LearningAchievement", "title": {"en": "x"},
                                                 "grade": "A"}]
    assert _official_errors(doc)
    found = {(f.code, f.where) for f in validate_ebsi(doc, store)}
    assert found == {("ebsi.maxProperties", "$.credentialSubject.givenName"),
                     ("ebsi.additionalProperties", "$.credentialSubject.hasClaim[1]"),
                     ("ebsi.required", "$.credentialSubject.hasClaim[1]")}
    messages = " ".join(f.message for f in validate_ebsi(doc, store))
    assert "'grade' was unexpected" in messages and "'awardedBy' is a required property" in messages
    assert "was expected" not in messages  # not the alternatives the node is not


def test_each_profile_has_its_own_context_and_type_lists() -> None:
    first = _profile()
    first["type"].append("Extra")
    first["@context"].append("https://example.org/context")
    second = _profile()
    assert "Extra" not in second["type"] and "https://example.org/context" not in second["@context"]


def test_the_edc_credential_is_left_unchanged() -> None:
    award, catalogue = first_award("galway")
    edc = to_edc(award, catalogue)
    before = copy.deepcopy(edc)
    to_ebsi(edc)
    assert edc == before


ISSUER_DID = "did:ebsi:zvHWX359A3CvfJnCYaAiAde"


def _catalogue_with_did(tmp_path: Path, did: str) -> Path:
    text = (FIXTURES / "imperial/catalogue.yaml").read_text("utf-8")
    text = text.replace("    eidas_identifier: NTRGB-RC000631\n",
                        f"    eidas_identifier: NTRGB-RC000631\n    did: \"{did}\"\n", 1)
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(text, "utf-8")
    return catalogue


def test_an_issuer_with_a_did_is_named_by_it_in_the_ebsi_profile_alone(
        store: SchemaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "imperial/awards.csv"),
                                       "-c", str(_catalogue_with_did(tmp_path, ISSUER_DID)),
                                       "-o", str(tmp_path / "out"), "--format", "edc", "--format", "ebsi",
                                       "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    profiles = [json.loads(p.read_text("utf-8")) for p in sorted((tmp_path / "out/ebsi").glob("*.json"))]
    edcs = [json.loads(p.read_text("utf-8")) for p in sorted((tmp_path / "out/edc").glob("*.jsonld"))]
    assert profiles and len(profiles) == len(edcs)
    for doc, edc in zip(profiles, edcs, strict=True):
        assert doc["issuer"]["id"] == ISSUER_DID
        assert edc["issuer"]["id"].startswith("urn:epass:organisation:")  # EDC keeps its own id
        assert {k: v for k, v in doc["issuer"].items() if k != "id"} == {
            k: v for k, v in edc["issuer"].items() if k != "id"}
        # the awarding body stays the catalogue's node, as in EBSI's own examples
        assert doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]["id"] == edc["issuer"]["id"]
        assert _official_errors(doc) == []
        assert validate_ebsi(doc, store) == []


@pytest.mark.parametrize("did", ["ebsi:zvHWX359A3CvfJnCYaAiAde", "did:EBSI:abc", "did:ebsi:", "did:ebsi:a b",
                                 "urn:epass:org:1"])
def test_an_issuer_did_that_is_no_did_is_refused(tmp_path: Path, did: str) -> None:
    from edcbridge.load import load_catalogue

    with pytest.raises(Exception, match="is not a DID"):
        load_catalogue(_catalogue_with_did(tmp_path, did))


def test_the_issuer_named_by_its_did_stays_one_shared_node() -> None:
    """The validator checks a shared node once for a batch: the DID does not make it a copy per
    credential."""
    (_, award, catalogue), (_, other, _) = [case for case in CASES if case[0].startswith("imperial:")][:2]
    first, second = (to_ebsi(to_edc(a, catalogue), ISSUER_DID) for a in (award, other))
    assert first["issuer"] is second["issuer"] and first["issuer"]["id"] == ISSUER_DID
    assert to_ebsi(to_edc(award, catalogue))["issuer"]["id"].startswith("urn:epass:")


@pytest.mark.parametrize("did", [None, ISSUER_DID])
def test_an_ebsi_export_notes_an_issuer_without_a_did_once(
        store: SchemaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, did: str | None) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    catalogue = _catalogue_with_did(tmp_path, did) if did else FIXTURES / "imperial/catalogue.yaml"
    for formats, out in ((["--format", "ebsi"], "ebsi"), ([], "edc")):
        result = CliRunner().invoke(main, ["export", str(FIXTURES / "imperial/awards.csv"),
                                           "-c", str(catalogue), "-o", str(tmp_path / out), *formats,
                                           "-j", "1", "-q"])
        assert result.exit_code == 0, result.output
        notes = json.loads((tmp_path / out / "report.json").read_text("utf-8"))["notes"]
        about = [note for note in notes if "DID" in note]
        if did or out == "edc":
            assert about == []
        else:
            assert len(about) == 1 and "organisations.imperial" in about[0] and "Trusted Issuers" in about[0]


def test_a_shared_node_is_converted_once_for_every_profile_that_holds_it() -> None:
    """A catalogue node whose mailbox becomes a URI in the profile is converted once, and the
    converted node is shared (and as unchangeable) as the node it comes from."""
    mailbox = Frozen({"type": "Mailbox", "id": "mailto:мария@пример.бг"})
    issuer = Frozen({"id": "urn:epass:org:1", "type": "Organisation",
                     "contactPoint": [Frozen({"type": "ContactPoint", "emailAddress": mailbox})]})
    first, second = (to_ebsi({"issuer": issuer, "credentialSubject": {"id": f"urn:epass:person:{n}"}})
                     for n in (1, 2))
    assert first["issuer"] is second["issuer"]
    converted = first["issuer"]["contactPoint"][0]["emailAddress"]
    assert converted["id"] == mailto_uri("mailto:мария@пример.бг") != mailbox["id"]
    with pytest.raises(TypeError, match="shared"):
        converted["id"] = "mailto:other@example.org"
    assert mailbox["id"] == "mailto:мария@пример.бг"  # the EDC credential's node is left as it is
