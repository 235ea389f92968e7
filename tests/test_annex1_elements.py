"""Annex I elements found where the EC's micro-credential sample puts them, and missed when
they are taken away (locations written out here, not read from the checker's own table)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from edcbridge.validation.annex1 import check_annex1
from edcbridge.validation.document import read_credential

SAMPLE = "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld"
WORKLOAD = "Notional workload needed to achieve the learning outcomes (in ECTS, wherever possible)"
QA = "Type of quality assurance used to underpin the micro-credential"


def _missing(doc: dict[str, Any]) -> set[str]:
    return {f.message.removeprefix("Annex I element missing: ") for f in check_annex1(doc)}


def _claims(doc: dict[str, Any]) -> list[dict[str, Any]]:
    claims = doc["credentialSubject"]["hasClaim"]
    return claims if isinstance(claims, list) else [claims]


IDENTIFYING = ("givenName", "familyName", "fullName", "nationalID", "identifier")


def _drop_subject_names(doc: dict[str, Any]) -> None:
    for key in IDENTIFYING:
        doc["credentialSubject"].pop(key, None)


def _drop_issued(doc: dict[str, Any]) -> None:
    doc.pop("issued", None)
    doc.pop("issuanceDate", None)


def _blank_credits(doc: dict[str, Any]) -> None:
    for claim in _claims(doc):
        claim["specifiedBy"]["creditPoint"] = []
        claim["specifiedBy"].pop("volumeOfLearning", None)


def _drop_titles(doc: dict[str, Any]) -> None:
    for claim in _claims(doc):
        claim.pop("title", None)
        claim["specifiedBy"]["title"] = ""


REMOVALS = [
    (_drop_subject_names, "Identification of the learner"),
    (_drop_issued, "Date of issuing"),
    (_blank_credits, WORKLOAD),
    (_drop_titles, "Title of the micro-credential"),
]


@pytest.fixture
def sample(reference: Path) -> dict[str, Any]:
    doc, _ = read_credential(reference / SAMPLE)
    return doc


def test_the_ec_sample_lacks_only_quality_assurance(sample: dict[str, Any]) -> None:
    mandatory = {f.message.removeprefix("Annex I element missing: ")
                 for f in check_annex1(sample) if f.code == "annex1.missing"}
    assert mandatory == {QA}


@pytest.mark.parametrize(("remove", "element"), REMOVALS, ids=[e for _, e in REMOVALS])
def test_an_element_taken_away_is_missed_and_nothing_else(sample: dict[str, Any], remove: Any,
                                                          element: str) -> None:
    before = _missing(sample)
    changed = copy.deepcopy(sample)
    remove(changed)
    assert _missing(changed) - before == {element}


def test_quality_assurance_is_found_on_the_issuer_too(sample: dict[str, Any]) -> None:
    changed = copy.deepcopy(sample)
    changed["issuer"]["accreditation"] = [{"id": "urn:epass:accreditation:1", "type": "Accreditation"}]
    assert QA not in _missing(changed)


def _keep_only(doc: dict[str, Any], key: str, value: Any) -> None:
    _drop_subject_names(doc)
    doc["credentialSubject"][key] = value


@pytest.mark.parametrize(("key", "value"), [
    ("givenName", {"en": "Ada"}),
    ("nationalID", {"id": "urn:epass:legalIdentifier:1", "type": "LegalIdentifier", "notation": "X1",
                    "spatial": {"id": "http://publications.europa.eu/resource/authority/country/ESP"}}),
    ("identifier", {"id": "urn:epass:identifier:1", "type": "Identifier", "notation": "S-1"}),
])
def test_the_learner_is_identified_by_any_name_or_identifier(sample: dict[str, Any], key: str,
                                                             value: Any) -> None:
    changed = copy.deepcopy(sample)
    _keep_only(changed, key, value)
    assert "Identification of the learner" not in _missing(changed)


def test_a_finding_names_the_recommendation_and_the_full_path(sample: dict[str, Any]) -> None:
    changed = copy.deepcopy(sample)
    _blank_credits(changed)
    [finding] = [f for f in check_annex1(changed) if f.message.endswith(WORKLOAD)]
    assert "2022/C 243/02" in finding.fix and "mandatory" in finding.fix
    assert "hasClaim.specifiedBy.creditPoint" in finding.fix


def test_the_level_is_asked_for_if_applicable(sample: dict[str, Any]) -> None:
    changed = copy.deepcopy(sample)
    for claim in _claims(changed):
        for key in ("eqfLevel", "nqfLevel", "educationLevel"):
            claim["specifiedBy"].pop(key, None)
    [finding] = [f for f in check_annex1(changed) if f.message.endswith("(EQF, QF-EHEA)")]
    assert "if applicable" in finding.fix


def test_optional_elements_are_never_demanded(sample: dict[str, Any]) -> None:
    changed = copy.deepcopy(sample)
    for claim in _claims(changed):
        claim.pop("provenBy", None)
        for key in ("entryRequirement", "isPartOf", "hasPart", "additionalNote", "homepage"):
            claim["specifiedBy"].pop(key, None)
    optional = [f for f in check_annex1(changed, "error") if f.code == "annex1.optional-missing"]
    assert optional and {f.severity for f in optional} == {"info"}
    assert all("optional" in f.fix for f in optional)
