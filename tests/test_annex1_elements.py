"""Annex I elements found where the EC's micro-credential sample puts them, and missed when
they are taken away (locations written out here, not read from the checker's own table)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edcbridge.validation.annex1 import ELEMENTS, check_annex1
from edcbridge.validation.document import as_list, read_credential, walk

SAMPLES = "examples/elm-repo-v3-jsonld/"
SAMPLE = SAMPLES + "Sample-MC-Annex1-signed.jsonld"
LEARNER = "Identification of the learner"
TITLE = "Title of the micro-credential"
COUNTRY = "Country(ies)/Region(s) of the issuer"
BODY = "Awarding body(ies)"
ISSUED = "Date of issuing"
OUTCOMES = "Learning outcomes"
WORKLOAD = "Notional workload needed to achieve the learning outcomes (in ECTS, wherever possible)"
LEVEL = "Level (and cycle, if applicable) of the learning experience (EQF, QF-EHEA)"
ASSESSMENT = "Type of assessment"
PARTICIPATION = "Form of participation in the learning activity"
QA = "Type of quality assurance used to underpin the micro-credential"
PREREQUISITES = "Prerequisites needed to enrol"
SUPERVISION = "Supervision and identity verification during assessment"
GRADE = "Grade achieved"
STACKING = "Integration/stackability options"
FURTHER = "Further information"
MANDATORY = {LEARNER, TITLE, COUNTRY, BODY, ISSUED, OUTCOMES, WORKLOAD, LEVEL, ASSESSMENT,
              PARTICIPATION, QA}
PREFIX = "Annex I element missing: "

Doc = dict[str, Any]


_CLAIMS = re.compile(r" \(in \d+ of the \d+ claims: .*\)$")


def _element(message: str) -> str:
    return _CLAIMS.sub("", message.removeprefix(PREFIX))


def _missing(doc: Doc) -> set[str]:
    return {_element(f.message) for f in check_annex1(doc)}


def _mandatory_missing(doc: Doc) -> set[str]:
    return {_element(f.message) for f in check_annex1(doc) if f.code == "annex1.missing"}


def _claims(doc: Doc) -> list[Doc]:
    claims = doc["credentialSubject"]["hasClaim"]
    return claims if isinstance(claims, list) else [claims]


def _spec(doc: Doc) -> Doc:
    spec: Doc = _claims(doc)[0]["specifiedBy"]
    return spec


def _assessment(doc: Doc) -> Doc:
    proven: Doc = _claims(doc)[0]["provenBy"]
    return proven


def _read(reference: Path, name: str) -> Doc:
    doc, _ = read_credential(reference / SAMPLES / name)
    return doc


@pytest.fixture
def sample(reference: Path) -> Doc:
    doc, _ = read_credential(reference / SAMPLE)
    return doc


# --- the EC's own samples -------------------------------------------------------------------

def test_the_ec_sample_lacks_only_quality_assurance(sample: Doc) -> None:
    assert _mandatory_missing(sample) == {QA}


def test_every_finding_on_the_ec_sample_is_one_the_sample_deserves(sample: Doc) -> None:
    """It states no accreditation (QA) and no additionalNote, homepage or supplementaryDocument on
    its qualification; it states everything else Annex I lists."""
    assert _missing(sample) == {QA, FURTHER}


@pytest.mark.parametrize("name", ["Sample-MC-Annex1-unsigned.jsonld",
                                  "Sample-MC-Annex1-unsigned-uploadable.json"])
def test_the_unsigned_ec_sample_has_no_date_of_issuing(reference: Path, name: str) -> None:
    """The unsigned drafts carry validFrom only: the EC's issuer writes issued when it seals
    (the signed sample has it), and validFrom, the date the credential becomes valid, is not it."""
    doc = _read(reference, name)
    assert "issued" not in doc and doc["validFrom"]
    assert _mandatory_missing(doc) == {ISSUED, QA}


def test_the_ec_certificate_of_participation_is_no_micro_credential(reference: Path) -> None:
    """A webinar's certificate of participation: it names the learner, its title, the awarding
    body and its country, its volume of learning and that it was online, but states no learning
    outcomes, level, assessment or quality assurance."""
    doc = _read(reference, "Sample-CertOfPart-signed.jsonld")
    assert _mandatory_missing(doc) == {OUTCOMES, LEVEL, ASSESSMENT, QA}


# --- each element taken away from the EC's sample ---------------------------------------------

def _drop_subject_names(doc: Doc) -> None:
    for key in ("givenName", "familyName", "fullName", "nationalID", "identifier"):
        doc["credentialSubject"].pop(key, None)


def _drop_issued(doc: Doc) -> None:
    doc.pop("issued", None)
    doc.pop("issuanceDate", None)


def _blank_credits(doc: Doc) -> None:
    for claim in _claims(doc):
        claim["specifiedBy"]["creditPoint"] = []
        claim["specifiedBy"].pop("volumeOfLearning", None)


def _drop_titles(doc: Doc) -> None:
    for claim in _claims(doc):
        claim.pop("title", None)
        claim["specifiedBy"]["title"] = ""


def _drop_countries(doc: Doc) -> None:
    for location in as_list(doc["issuer"]["location"]):  # the signed sample's issuer has two
        del location["address"]["countryCode"]
    _claims(doc)[0]["awardedBy"]["awardingBody"]["location"] = []


def _drop_awarding_body(doc: Doc) -> None:
    """The awarding body's name, wherever the credential describes its node (the sample gives
    the same node again as the awarding body of its activity and assessment)."""
    body = _claims(doc)[0]["awardedBy"]["awardingBody"]["id"]
    for _, node in walk(doc):
        if node.get("id") == body:
            node.pop("legalName", None)


def _drop_outcomes(doc: Doc) -> None:
    del _spec(doc)["learningOutcome"]


def _drop_levels(doc: Doc) -> None:
    for key in ("eqfLevel", "nqfLevel"):
        del _spec(doc)[key]


def _drop_assessment_type(doc: Doc) -> None:
    del _assessment(doc)["specifiedBy"]["dcType"]


def _drop_modes(doc: Doc) -> None:
    del _spec(doc)["mode"]
    del _claims(doc)[0]["influencedBy"]["specifiedBy"]["mode"]


def _drop_entry_requirement(doc: Doc) -> None:
    del _spec(doc)["entryRequirement"]


def _drop_id_verification(doc: Doc) -> None:
    del _assessment(doc)["idVerification"]


def _drop_grade(doc: Doc) -> None:
    del _assessment(doc)["grade"]


def _drop_partial_flag(doc: Doc) -> None:
    del _spec(doc)["isPartialQualification"]


REMOVALS: list[tuple[Callable[[Doc], None], str]] = [
    (_drop_subject_names, LEARNER),
    (_drop_titles, TITLE),
    (_drop_countries, COUNTRY),
    (_drop_awarding_body, BODY),
    (_drop_issued, ISSUED),
    (_drop_outcomes, OUTCOMES),
    (_blank_credits, WORKLOAD),
    (_drop_levels, LEVEL),
    (_drop_assessment_type, ASSESSMENT),
    (_drop_modes, PARTICIPATION),
    (_drop_entry_requirement, PREREQUISITES),
    (_drop_id_verification, SUPERVISION),
    (_drop_grade, GRADE),
    (_drop_partial_flag, STACKING),
]


@pytest.mark.parametrize(("remove", "element"), REMOVALS, ids=[e for _, e in REMOVALS])
def test_an_element_taken_away_is_missed_and_nothing_else(sample: Doc, remove: Callable[[Doc], None],
                                                          element: str) -> None:
    before = _missing(sample)
    changed = copy.deepcopy(sample)
    remove(changed)
    assert _missing(changed) - before == {element}
    assert element not in before


def test_every_element_of_annex_i_is_checked() -> None:
    assert [name for name, *_ in ELEMENTS] == [
        LEARNER, TITLE, COUNTRY, BODY, ISSUED, OUTCOMES, WORKLOAD, LEVEL, ASSESSMENT, PARTICIPATION, QA,
        PREREQUISITES, SUPERVISION, GRADE, STACKING, FURTHER]
    assert {name for name, _, _, mandatory in ELEMENTS if mandatory} == MANDATORY


@pytest.mark.parametrize("name", ["Sample-MC-Annex1-signed.jsonld", "Sample-MC-Annex1-unsigned.jsonld",
                                  "Sample-CertOfPart-unsigned.jsonld"])
def test_each_elements_test_agrees_with_the_findings(reference: Path, name: str) -> None:
    """What the preview asks of an element (``present(doc)``) is what the check reports."""
    doc = _read(reference, name)
    for partial in (doc, {"credentialSubject": {"hasClaim": {"type": "LearningAchievement"}}}):
        missing = _missing(partial)
        for element, present, _, _ in ELEMENTS:
            assert present(partial) == (element not in missing), element


# --- what states an element, and what does not --------------------------------------------------

def _keep_only(doc: Doc, key: str, value: Any) -> None:
    _drop_subject_names(doc)
    doc["credentialSubject"][key] = value


@pytest.mark.parametrize(("key", "value"), [
    ("givenName", {"en": "Ada"}),
    ("nationalID", {"id": "urn:epass:legalIdentifier:1", "type": "LegalIdentifier", "notation": "X1",
                    "spatial": {"id": "http://publications.europa.eu/resource/authority/country/ESP"}}),
    ("identifier", {"id": "urn:epass:identifier:1", "type": "Identifier", "notation": "S-1"}),
])
def test_the_learner_is_identified_by_any_name_or_identifier(sample: Doc, key: str, value: Any) -> None:
    changed = copy.deepcopy(sample)
    _keep_only(changed, key, value)
    assert LEARNER not in _missing(changed)


@pytest.mark.parametrize(("key", "value"), [
    ("givenName", {"en": "  "}),
    ("fullName", {}),
    ("identifier", {"id": "urn:epass:identifier:1", "type": "Identifier", "notation": ""}),
])
def test_a_blank_name_or_number_identifies_nobody(sample: Doc, key: str, value: Any) -> None:
    changed = copy.deepcopy(sample)
    _keep_only(changed, key, value)
    assert LEARNER in _missing(changed)


@pytest.mark.parametrize(("change", "element"), [
    (lambda doc: _spec(doc).__setitem__("creditPoint", {"type": "CreditPoint", "point": ""}), None),
    (lambda doc: _spec(doc).__setitem__("learningOutcome",
                                        [{"type": "LearningOutcome", "title": {"en": ""}}]), OUTCOMES),
    (lambda doc: _spec(doc).__setitem__("entryRequirement", {"type": "Note", "noteLiteral": {"en": ""}}),
     PREREQUISITES),
], ids=["credit point without point", "outcome without title", "note without text"])
def test_an_empty_value_states_nothing(sample: Doc, change: Callable[[Doc], None],
                                       element: str | None) -> None:
    changed = copy.deepcopy(sample)
    change(changed)
    if element is None:  # the sample's volumeOfLearning (PT60H) still states the workload
        assert WORKLOAD not in _missing(changed)
        del _spec(changed)["volumeOfLearning"]
        element = WORKLOAD
    assert element in _missing(changed)


def test_a_qualifications_framework_is_not_a_level_of_it(sample: Doc) -> None:
    """The NQF list holds each framework beside its levels: an nqfLevel that is the framework
    itself (the Credit and Qualifications Framework for Wales) names no level."""
    changed = copy.deepcopy(sample)
    del _spec(changed)["eqfLevel"]
    assert LEVEL not in _missing(changed)  # RQF Level 6
    _spec(changed)["nqfLevel"] = {"id": "http://data.europa.eu/snb/qdr/c_36ff4631", "type": "Concept",
                                  "prefLabel": {"en": "Credit and Qualifications Framework for Wales"}}
    assert LEVEL in _missing(changed)


def test_an_assessments_mode_is_not_its_type(sample: Doc) -> None:
    changed = copy.deepcopy(sample)
    _drop_assessment_type(changed)
    assert _assessment(changed)["specifiedBy"]["mode"]  # online: how, not what
    assert ASSESSMENT in _missing(changed)


@pytest.mark.parametrize("where", ["assessment", "specification"])
def test_the_type_of_assessment_may_be_on_the_assessment_or_the_qualification(sample: Doc,
                                                                              where: str) -> None:
    changed = copy.deepcopy(sample)
    kind = _assessment(changed)["specifiedBy"].pop("dcType")
    if where == "assessment":  # LearningAssessment.dcType
        _assessment(changed)["dcType"] = kind
    else:  # the qualification's provenBy: a LearningAssessmentSpecification
        _spec(changed)["provenBy"] = {"type": "LearningAssessmentSpecification", "dcType": kind,
                                      "title": {"en": "Digital artefact assessment"}}
    assert ASSESSMENT not in _missing(changed)


def test_a_learning_setting_is_not_a_form_of_participation(sample: Doc) -> None:
    changed = copy.deepcopy(sample)
    _drop_modes(changed)
    assert _spec(changed)["learningSetting"]  # non-formal learning: not online, onsite or blended
    assert PARTICIPATION in _missing(changed)


def test_the_learning_activitys_mode_is_a_form_of_participation(sample: Doc) -> None:
    changed = copy.deepcopy(sample)
    del _spec(changed)["mode"]  # the sample's activity (influencedBy) was blended too
    assert PARTICIPATION not in _missing(changed)


ACCREDITATION = {"id": "urn:epass:accreditation:1", "type": "Accreditation",
                 "dcType": {"id": "http://data.europa.eu/snb/accreditation/e0d5f4cd5c", "type": "Concept"}}


def test_quality_assurance_is_found_on_the_issuer_that_awards(reference: Path) -> None:
    doc = _read(reference, "Sample-MC-Annex1-unsigned.jsonld")
    assert doc["issuer"]["id"] == _claims(doc)[0]["awardedBy"]["awardingBody"]["id"]  # one node
    doc["issuer"]["accreditation"] = [ACCREDITATION]
    assert QA not in _missing(doc)


def test_a_sealers_accreditation_does_not_underpin_anothers_award(sample: Doc) -> None:
    """The signed EC sample is sealed by another organisation ('ORGANIZACION TEST', the TEST
    seal's) than its awarding body (University of Zed): the sealer's accreditation is not the
    quality assurance of the micro-credential; the awarding body's is."""
    changed = copy.deepcopy(sample)
    changed["issuer"]["accreditation"] = [ACCREDITATION]
    assert QA in _missing(changed)
    changed["issuer"]["legalName"] = {"en": "University  of ZED"}  # the awarding body, sealing
    assert QA not in _missing(changed)
    del changed["issuer"]["accreditation"]
    _claims(changed)[0]["awardedBy"]["awardingBody"]["accreditation"] = ACCREDITATION
    assert QA not in _missing(changed)


def test_an_awarding_body_given_by_its_id_is_named_where_the_credential_describes_it(sample: Doc) -> None:
    changed = copy.deepcopy(sample)
    _claims(changed)[0]["awardedBy"]["awardingBody"] = changed["issuer"]["id"]  # the issuer, described once
    assert BODY not in _missing(changed)
    _claims(changed)[0]["awardedBy"]["awardingBody"] = "urn:epass:org:described-nowhere"
    assert BODY in _missing(changed)


# --- a credential with several claims -----------------------------------------------------------

def _two_achievements(sample: Doc) -> Doc:
    doc = copy.deepcopy(sample)
    first = _claims(doc)[0]
    second = copy.deepcopy(first)
    second["id"] = "urn:epass:learningAchievement:2"
    second["title"] = {"en": "Second micro-credential"}
    second["specifiedBy"] = dict(second["specifiedBy"], id="urn:epass:qualification:2",
                                 title={"en": "Second micro-credential"})
    doc["credentialSubject"]["hasClaim"] = [first, second]
    return doc


def test_each_achievement_of_a_credential_must_state_its_elements(sample: Doc) -> None:
    doc = _two_achievements(sample)
    assert _missing(doc) == _missing(sample)
    del doc["credentialSubject"]["hasClaim"][1]["specifiedBy"]["learningOutcome"]
    [finding] = [f for f in check_annex1(doc) if OUTCOMES in f.message]
    assert finding.message == (f"{PREFIX}{OUTCOMES} (in 1 of the 2 claims: hasClaim[1] "
                               "'Second micro-credential')")
    assert finding.where == "hasClaim.specifiedBy.learningOutcome"
    check = next(element for name, element, *_ in ELEMENTS if name == OUTCOMES)
    assert not check(doc)  # the preview shows it missing too


def test_a_claim_beside_the_achievement_is_no_micro_credential(sample: Doc) -> None:
    """The EC sample's learning activity, claimed beside its achievement, has no outcomes or
    credits of its own and needs none."""
    doc = copy.deepcopy(sample)
    achievement = _claims(doc)[0]
    doc["credentialSubject"]["hasClaim"] = [achievement, copy.deepcopy(achievement["influencedBy"])]
    assert _missing(doc) == _missing(sample)
    assert all(" (in " not in f.message for f in check_annex1(doc))


# --- severity and words ------------------------------------------------------------------------

def test_under_the_eu_policy_mandatory_elements_are_errors_the_level_a_warning(sample: Doc) -> None:
    """The level is mandatory 'if applicable' (not all learning is referenced to a framework,
    and the credential cannot say whether it is): it is asked for, never refused."""
    changed = copy.deepcopy(sample)
    _drop_levels(changed)
    _drop_assessment_type(changed)
    severities = {_element(f.message): f.severity for f in check_annex1(changed, "error")}
    assert severities[LEVEL] == "warning"
    assert severities[ASSESSMENT] == severities[QA] == "error"
    assert {f.severity for f in check_annex1(changed, "info")} == {"info"}


def test_a_finding_names_the_recommendation_and_the_full_path(sample: Doc) -> None:
    changed = copy.deepcopy(sample)
    _blank_credits(changed)
    [finding] = [f for f in check_annex1(changed) if f.message.endswith(WORKLOAD)]
    assert finding.fix.startswith("add hasClaim.specifiedBy.creditPoint (a mandatory element of "
                                  "Council Recommendation 2022/C 243/02, Annex I): ")
    assert "ECTS" in finding.fix and "volumeOfLearning" in finding.fix


@pytest.mark.parametrize(("remove", "element", "words"), [
    (_drop_issued, ISSUED, "validFrom"),
    (_drop_assessment_type, ASSESSMENT, "mode, online or onsite, is not its type"),
    (_drop_modes, PARTICIPATION, "online, onsite or blended"),
    (_drop_levels, LEVEL, "if applicable"),
], ids=[ISSUED, ASSESSMENT, PARTICIPATION, "level"])
def test_a_fix_says_what_counts_and_what_does_not(sample: Doc, remove: Callable[[Doc], None],
                                                  element: str, words: str) -> None:
    changed = copy.deepcopy(sample)
    remove(changed)
    [finding] = [f for f in check_annex1(changed) if f.message == PREFIX + element]
    assert words in finding.fix


def test_every_fix_starts_with_the_property_to_add(sample: Doc) -> None:
    empty = {"@context": sample["@context"],
             "credentialSubject": {"hasClaim": {"type": "LearningAchievement"}}}
    findings = check_annex1(empty)
    assert {f.message.removeprefix(PREFIX) for f in findings} == {name for name, *_ in ELEMENTS}
    wheres = {name: where for name, _, where, _ in ELEMENTS}
    for finding in findings:
        name = finding.message.removeprefix(PREFIX)
        assert finding.where == wheres[name]
        assert finding.fix.startswith(f"add {wheres[name].split(' / ')[0].split('.')[0]}")
        assert "2022/C 243/02" in finding.fix


def test_optional_elements_are_never_demanded(sample: Doc) -> None:
    changed = copy.deepcopy(sample)
    for claim in _claims(changed):
        claim.pop("provenBy", None)
        for key in ("entryRequirement", "isPartOf", "hasPart", "isPartialQualification", "additionalNote",
                    "homepage"):
            claim["specifiedBy"].pop(key, None)
    optional = [f for f in check_annex1(changed, "error") if f.code == "annex1.optional-missing"]
    assert {f.message.removeprefix(PREFIX) for f in optional} == {PREREQUISITES, SUPERVISION, GRADE,
                                                                   STACKING, FURTHER}
    assert {f.severity for f in optional} == {"info"}
    assert all("optional" in f.fix for f in optional)


def test_a_missing_form_of_participation_points_at_the_mode_alone(sample: Doc) -> None:
    changed = copy.deepcopy(sample)
    _drop_modes(changed)
    found = next(f for f in check_annex1(changed) if _element(f.message) == PARTICIPATION)
    assert found.where == "hasClaim.specifiedBy.mode"  # the learning setting says formal or not
    assert "learningSetting" not in found.where + found.fix
