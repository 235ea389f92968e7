"""Profiles named by their official IRIs, odd values under --policy, and a huge document on the
compiled checker: each a finding, never a traceback, with the verdict pyshacl gives."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from edcbridge.mapping.edc import to_edc
from edcbridge.validation import validate_credential
from edcbridge.validation.shacl import SHAPES
from tests.conftest import fixture_awards

SAMPLE_32 = "elm3-rdf/3.2/rdf/samples/credential-sample.jsonld"
SHAPES_DIR = "elm3-rdf/3.2/rdf/ap/edc"


def _ontology_iri(reference: Path, name: str) -> str:
    """The IRI a shapes file gives itself (its owl:Ontology), read from the file."""
    lines = (reference / SHAPES_DIR / name).read_text("utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "a owl:Ontology;")
    return lines[at - 1].strip().strip("<>")


@pytest.mark.parametrize("name", ["EDC-diplomaSupplement.ttl", "EDC-issuedByMandate.ttl",
                                  "EDC-accredited.ttl", "EDC-converted.ttl"])
def test_every_profile_is_known_by_the_iri_its_shapes_file_gives_itself(reference: Path, name: str) -> None:
    iri = _ontology_iri(reference, name)
    assert iri in SHAPES and name in SHAPES[iri]


def test_a_credential_naming_the_diploma_supplement_profile_is_checked_against_it(store: Any) -> None:
    name, award, catalogue = next(case for case in fixture_awards() if case[0].startswith("galway"))
    doc = to_edc(award, catalogue)
    assert validate_credential(doc, store, annex1=None).ok, name
    doc["credentialSchema"] = [{"id": "http://data.europa.eu/snb/model/ap/edc-diploma-supplement",
                                "type": "ShaclValidator2017"}]
    report = validate_credential(doc, store, annex1=None)
    assert not report.ok
    text = " ".join(f"{f.where} {f.message}" for f in report.findings)
    for missing in ("evidence", "creditReceived", "awardingOpportunity"):  # as pyshacl finds them
        assert missing in text, missing


@pytest.mark.parametrize("level", [{"id": {"x": 1}}, {"id": ["http://data.europa.eu/snb/eqf/6"]}, {"id": 6}])
def test_an_eqf_level_id_that_is_no_text_is_a_policy_finding(store: Any, level: Any) -> None:
    _, award, catalogue = next(case for case in fixture_awards() if case[0].startswith("imperial"))
    doc = copy.deepcopy(to_edc(award, catalogue))  # plain dicts, to be changed
    claims = doc["credentialSubject"]["hasClaim"]
    claim = claims[0] if isinstance(claims, list) else claims
    claim["specifiedBy"]["eqfLevel"] = level
    report = validate_credential(doc, store, policies=("eu-council",), annex1=None)  # no traceback
    assert not report.ok and report.findings


def test_a_huge_document_on_the_compiled_checker_is_named_at_its_root(reference: Path, store: Any) -> None:
    doc = json.loads((reference / SAMPLE_32).read_text("utf-8"))
    doc["evidence"] = [{"id": f"urn:x:evidence:{n}", "type": "Evidence"} for n in range(2001)]
    doc["@context"] = [*doc["@context"], {"custom": "urn:x:custom"}]  # not the EDC contexts: pyld reads it
    report = validate_credential(doc, store, annex1=None)
    findings = [f for f in report.findings if f.code.startswith("jsonld")]
    assert [(f.code, f.where) for f in findings] == [("jsonld.too-large", "$")]
    assert "@context" not in findings[0].fix


def test_a_dropped_key_is_one_finding_whatever_it_holds(store: Any) -> None:
    _, award, catalogue = next(case for case in fixture_awards() if case[0].startswith("imperial"))
    doc = copy.deepcopy(to_edc(award, catalogue))
    doc["cnf"] = {"jwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB"}}
    doc["credentialSubject"]["programmeTitle"] = {"de": "Informatik", "en": "Computing"}
    dropped = [f.where for f in validate_credential(doc, store, annex1=None).findings
               if f.code == "lint.dropped-term"]
    assert sorted(dropped) == ["$.cnf", "$.credentialSubject.programmeTitle"]
