"""Policies read from credentials as the credentials are written: credits as text, ranges and
other units, durations in weeks, days or hours, levels of the UK frameworks, and a credential
holding several learning achievements, each judged on its own."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from edcbridge.validation.document import read_credential
from edcbridge.validation.policy import PROFILES, check_policy, facts_from_document, longest_days

ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
ECVET = "http://data.europa.eu/snb/education-credit/60b314e826"
UK_CREDITS = {"id": "urn:example:framework:cats", "type": "Concept",
              "prefLabel": {"en": "UK credits (Credit Accumulation and Transfer Scheme)"}}
ASSESSED = {"id": "urn:epass:learningAssessment:1", "type": "LearningAssessment",
            "title": {"en": "Coursework report"}}
Doc = dict[str, Any]


def _spec(point: Any = "5", framework: Any = ECTS, eqf: int | None = 6, **more: Any) -> Doc:
    spec: Doc = {"type": "Qualification", "title": {"en": "Data ethics"}}
    if point is not None:
        spec["creditPoint"] = [{"type": "CreditPoint", "point": point,
                                "framework": framework if isinstance(framework, dict) else {"id": framework}}]
    if eqf is not None:
        spec["eqfLevel"] = {"id": f"http://data.europa.eu/snb/eqf/{eqf}", "type": "Concept"}
    return spec | more


def _credential(*specs: Doc, kinds: tuple[str, ...] = ()) -> Doc:
    claims = [{"id": f"urn:epass:claim:{i}", "type": kinds[i] if kinds else "LearningAchievement",
               "title": spec.get("title", {}), "specifiedBy": spec, "provenBy": ASSESSED}
              for i, spec in enumerate(specs)]
    return {"credentialSubject": {"hasClaim": claims[0] if len(claims) == 1 else claims}}


def _codes(doc: Doc, profile: str) -> set[str]:
    return {f.code.removeprefix(f"policy.{profile}.") for f in check_policy(facts_from_document(doc),
                                                                            PROFILES[profile])}


# --- credits -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("point", "ects"), [
    ("5", "5"), (5, "5"), (7.5, "7.5"), ("7.50", "7.5"), (" 2.5 ", "2.5"), ("2,5", "2.5"), ("5 ECTS", "5"),
    ("7.5 ECTS credits", "7.5"), ("10 credits", "10"),
])
def test_credits_written_as_text_are_read(point: Any, ects: str) -> None:
    assert facts_from_document(_credential(_spec(point))).ects == Decimal(ects)


@pytest.mark.parametrize(("point", "why"), [
    ("5-10", "is a range"), ("5 to 10", "is a range"), ("5–7.5", "is a range"),
    ("five", "is not a number of ECTS"), ("NaN", "is not a number of ECTS"), ("", "is not a number of ECTS"),
    ("1,000", "is not a number of ECTS"), (True, "is not a number of ECTS"),
    ("0", "is no credit"), ("-5", "is no credit"),
    ("10 UK credits", "names another unit than its framework's (ECTS)"),
])
def test_credits_that_are_not_one_number_of_ects_are_named(point: Any, why: str) -> None:
    for profile in ("imperial", "cmf", "short-learning-programme", "uk-qaa"):
        facts = facts_from_document(_credential(_spec(point)))
        [finding] = [f for f in check_policy(facts, PROFILES[profile]) if f.code.endswith(".ects-unreadable")]
        assert why in finding.message
        assert "one number of ECTS" in finding.fix


def test_uk_credits_count_two_to_the_ects_credit() -> None:
    """MIC.SIG: 'no more than 60 credits'; micro-credentials 'may be as small as 2 credits'."""
    assert _codes(_credential(_spec("60", UK_CREDITS)), "uk-qaa") == set()
    assert _codes(_credential(_spec("2", UK_CREDITS)), "uk-qaa") == set()
    [finding] = check_policy(facts_from_document(_credential(_spec("62", UK_CREDITS))), PROFILES["uk-qaa"])
    assert finding.code == "policy.uk-qaa.ects-range"
    assert "62 UK credits (31 ECTS) is more than 30 ECTS (60 UK credits)" in finding.message
    # Imperial counts ECTS: 15 UK credits are 7.5 ECTS, a multiple of 2.5
    assert _codes(_credential(_spec("15", UK_CREDITS)), "imperial") == set()
    assert _codes(_credential(_spec("10 ECTS", UK_CREDITS)), "imperial") == {"ects-unreadable"}


def test_credits_in_another_framework_are_not_ects() -> None:
    [finding] = check_policy(facts_from_document(_credential(_spec("3", ECVET))), PROFILES["cmf"])
    assert finding.code == "policy.cmf.ects-missing"
    assert "credits stated only as 3 in " + ECVET in finding.message
    assert ECTS in finding.fix


def test_credits_stated_twice_differently_are_not_judged() -> None:
    spec = _spec("5")
    spec["creditPoint"].append({"type": "CreditPoint", "point": "10", "framework": {"id": ECTS}})
    [finding] = check_policy(facts_from_document(_credential(spec)), PROFILES["cmf"])
    assert finding.code == "policy.cmf.ects-unreadable"
    assert "5 ECTS and 10 ECTS" in finding.message
    spec["creditPoint"][1]["point"] = "5.0"  # the same credits twice: one value
    assert _codes(_credential(spec), "cmf") == set()


# --- levels ------------------------------------------------------------------------------------

def _with_nqf(label: str, eqf: int | None = None) -> Doc:
    return _credential(_spec("5", eqf=eqf, nqfLevel={"id": "urn:example:nqf", "type": "Concept",
                                                     "prefLabel": {"en": label}}))


@pytest.mark.parametrize(("label", "codes"), [
    ("RQF Level 4", set()), ("FHEQ level 7", set()),
    ("RQF Level 3", {"eqf-range"}), ("RQF Level 8", {"eqf-range"}),
    ("IE NQF Level 9", {"eqf-missing"}),  # another framework's numbering: no Imperial level
])
def test_imperial_levels_are_read_as_the_framework_counts_them(label: str, codes: set[str]) -> None:
    """Imperial: 'Level 4-7' (FHEQ); a credential stating only its RQF/FHEQ level is judged on it."""
    assert _codes(_with_nqf(label), "imperial") == codes


@pytest.mark.parametrize(("label", "named"), [
    ("RQF Entry Level 3", "Entry Level 3 (RQF/CQFW, the credential's nqfLevel) is below level 4"),
    ("RQF Entry Levels 1-2", "Entry Levels 1-2 (RQF/CQFW, the credential's nqfLevel) is below level 4"),
    ("CQFW Entry 1-3", "Entry Levels 1-3 (RQF/CQFW, the credential's nqfLevel) is below level 4"),
    ("SCQF Level 6", "SCQF level 6 (the credential's nqfLevel), referenced to EQF 4, is outside EQF 5-7"),
    ("SCQF Level 2", "SCQF level 2 (the credential's nqfLevel), referenced to no EQF level, is outside "
                     "EQF 5-7"),
])
def test_entry_and_scottish_levels_are_named_as_the_frameworks_name_them(label: str, named: str) -> None:
    """An entry level is below level 1 of the RQF/CQFW, not its level 3; an SCQF level counts
    in the Scottish numbering (SCQF 6 is not FHEQ 6) and is judged by the EQF level it is
    referenced to."""
    [finding] = check_policy(facts_from_document(_with_nqf(label)), PROFILES["imperial"])
    assert finding.code == "policy.imperial.eqf-range"
    assert named in finding.message
    assert "level 3 (FHEQ/RQF" not in finding.message


@pytest.mark.parametrize("label", ["SCQF Level 7", "SCQF Level 11"])
def test_a_scottish_level_referenced_within_the_frameworks_levels_passes(label: str) -> None:
    assert _codes(_with_nqf(label), "imperial") == set()


def test_a_credential_with_an_eqf_level_beside_another_scottish_level_is_warned() -> None:
    [finding] = check_policy(facts_from_document(_with_nqf("SCQF Level 7", eqf=6)), PROFILES["imperial"])
    assert (finding.code, finding.severity) == ("policy.imperial.level-mismatch", "warning")
    assert "EQF level 6 (eqfLevel) and SCQF level 7 (nqfLevel)" in finding.message
    assert _codes(_with_nqf("SCQF Level 9", eqf=6), "imperial") == set()


def test_an_entry_level_beside_a_numbered_level_is_two_levels() -> None:
    nqf = [{"id": f"urn:example:nqf:{i}", "type": "Concept", "prefLabel": {"en": label}}
           for i, label in enumerate(("RQF Entry Level 3", "RQF Level 3"))]
    [finding] = check_policy(facts_from_document(_credential(_spec("5", eqf=None, nqfLevel=nqf))),
                             PROFILES["imperial"])
    assert finding.code == "policy.imperial.eqf-unreadable"
    assert ("UK level (nqfLevel) is stated twice, differently: Entry Level 3 (RQF/CQFW) and level 3"
            in finding.message)


def test_an_eqf_level_goes_before_a_national_one() -> None:
    assert _codes(_with_nqf("RQF Level 4", eqf=4), "imperial") == {"eqf-range"}


@pytest.mark.parametrize("labels", [("FHEQ Level 7", "RQF Level 8"), ("RQF Level 8", "FHEQ Level 7"),
                                    ("FHEQ Level 7", "FHEQ Level 5")])
@pytest.mark.parametrize("eqf", [None, 7])
def test_two_different_uk_levels_are_named_in_either_order(labels: tuple[str, str], eqf: int | None) -> None:
    """Imperial: 'Level 4-7' (FHEQ): an RQF level 8 beside an FHEQ level 7 is not hidden by the
    order, alone or beside an EQF level; the same level written twice is one level."""
    nqf = [{"id": f"urn:example:nqf:{i}", "type": "Concept", "prefLabel": {"en": label}}
           for i, label in enumerate(labels)]
    [finding] = check_policy(facts_from_document(_credential(_spec("5", eqf=eqf, nqfLevel=nqf))),
                             PROFILES["imperial"])
    assert finding.code == "policy.imperial.eqf-unreadable"
    shown = " and ".join(f"level {n}" for n in sorted(int(label[-1]) for label in labels))
    assert f"the FHEQ/RQF level (nqfLevel) is stated twice, differently: {shown}" in finding.message
    assert "state one FHEQ/RQF level (nqfLevel), levels 4-7 (EQF 5-7)" in finding.fix
    same = [{"id": "urn:example:nqf", "type": "Concept", "prefLabel": {"en": label}}
            for label in ("FHEQ Level 7", "RQF Level 7")]
    assert _codes(_credential(_spec("5", eqf=eqf, nqfLevel=same)), "imperial") == set()


def test_two_different_uk_levels_leave_a_profile_without_uk_levels_alone() -> None:
    nqf = [{"id": "urn:example:nqf", "type": "Concept", "prefLabel": {"en": label}}
           for label in ("FHEQ Level 7", "RQF Level 8")]
    assert _codes(_credential(_spec("5", eqf=7, nqfLevel=nqf)), "cmf") == set()
    assert _codes(_credential(_spec("5", eqf=None, nqfLevel=nqf)), "cmf") == {"eqf-missing"}


@pytest.mark.parametrize("iri", ["http://data.europa.eu/snb/eqf/9", "http://example.org/level/6",
                                 "http://data.europa.eu/snb/eqf/6²"])
def test_an_eqf_level_outside_the_framework_is_named(iri: str) -> None:
    doc = _credential(_spec("5", eqf=None, eqfLevel={"id": iri}))
    [finding] = check_policy(facts_from_document(doc), PROFILES["cmf"])
    assert finding.code == "policy.cmf.eqf-unreadable"
    assert iri in finding.message


@pytest.mark.parametrize("levels", [(8, 6), (6, 8)])
def test_two_different_eqf_levels_are_named_in_either_order(levels: tuple[int, int]) -> None:
    """Imperial: 'Level 4-7' (EQF 5-7): an EQF level 8 beside a 6 is not hidden by the order."""
    doc = _credential(_spec("5", eqf=None, eqfLevel=[{"id": f"http://data.europa.eu/snb/eqf/{n}"}
                                                     for n in levels]))
    [finding] = check_policy(facts_from_document(doc), PROFILES["imperial"])
    assert finding.code == "policy.imperial.eqf-unreadable"
    assert "the EQF level is stated twice, differently: EQF 6 and EQF 8" in finding.message
    same = _credential(_spec("5", eqf=None, eqfLevel=[{"id": "http://data.europa.eu/snb/eqf/6"}] * 2))
    assert _codes(same, "imperial") == set()


# --- durations ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("duration", "codes"), [
    ("P6M", set()), ("P0.5Y", set()), ("P26W", set()), ("P184D", set()), ("PT4400H", set()),
    ("P5M30D", set()),
    ("P7M", {"duration"}), ("P1Y", {"duration"}), ("P6M1D", {"duration"}), ("P27W", {"duration"}),
    ("P185D", {"duration"}), ("PT4500H", {"duration"}), ("6 months", {"duration-unreadable"}),
    ("P", {"duration-unreadable"}),
])
def test_imperials_six_months_in_any_unit(duration: str, codes: set[str]) -> None:
    """'Duration: up to 6 months': a duration in weeks, days or hours is more than 6 months only
    when longer than any 6 calendar months (184 days)."""
    assert _codes(_credential(_spec("5", maximumDuration=duration)), "imperial") == codes


@pytest.mark.parametrize("durations", [["P12M", "P6M"], ["P6M", "P12M"]])
def test_two_different_durations_are_named_in_either_order(durations: list[str]) -> None:
    """'Duration: up to 6 months': a maximum duration of 12 months beside one of 6 is not hidden
    by the order; the same duration in other units is one value."""
    [finding] = check_policy(facts_from_document(_credential(_spec("5", maximumDuration=durations))),
                             PROFILES["imperial"])
    assert finding.code == "policy.imperial.duration-unreadable"
    assert "the maximumDuration is stated twice, differently: 'P12M' and 'P6M'" in finding.message
    assert _codes(_credential(_spec("5", maximumDuration=["P6M", "P0.5Y"])), "imperial") == set()


def test_the_longest_months() -> None:
    assert [longest_days(n) for n in (0, 1, 2, 6, 12, 18)] == [0, 31, 62, 184, 366, 366 + 184]


def test_notional_hours_are_not_a_duration() -> None:
    """volumeOfLearning is the notional workload (375 hours for 15 ECTS), not how long the
    micro-credential takes: it is never held against 'up to 6 months'."""
    doc = _credential(_spec("15", volumeOfLearning="PT375H"))
    assert facts_from_document(doc).duration is None
    assert _codes(doc, "imperial") == set()


# --- the EC sample and credentials with several achievements ------------------------------------

def test_the_ec_sample_is_read(reference: Path) -> None:
    doc, _ = read_credential(reference / "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-signed.jsonld")
    facts = facts_from_document(doc)
    assert (facts.ects, facts.eqf, facts.duration_months, facts.uk_level) == (2, 6, 1, 6)  # RQF Level 6
    assert _codes(doc, "imperial") == {"ects-range", "ects-step"}  # 2 ECTS
    assert _codes(doc, "uk-qaa") == set()  # 4 UK credits
    assert _codes(doc, "cmf") == {"ects-range"}


def test_each_achievement_is_judged_at_its_own_place() -> None:
    doc = _credential(_spec("5", title={"en": "Data ethics"}), _spec("20", title={"en": "Machine learning"}))
    [finding] = check_policy(facts_from_document(doc), PROFILES["imperial"])
    assert finding.code == "policy.imperial.ects-range"
    assert finding.where == "hasClaim[1].specifiedBy ('Machine learning')"
    assert "20 ECTS is outside 2.5-15 ECTS" in finding.message


def test_a_claim_beside_the_achievement_is_not_judged() -> None:
    """A learning activity claimed beside the achievement (as the EC's samples do) has no
    credits of its own: the achievement's are read, and only they."""
    activity = {"type": "LearningActivitySpecification", "title": {"en": "Lectures"},
                "volumeOfLearning": "PT60H"}
    doc = _credential(_spec("5"), activity, kinds=("LearningAchievement", "LearningActivity"))
    facts = facts_from_document(doc)
    assert (facts.ects, facts.eqf, facts.achievements) == (5, 6, ())
    reversed_doc = copy.deepcopy(doc)
    reversed_doc["credentialSubject"]["hasClaim"].reverse()
    assert facts_from_document(reversed_doc).ects == 5


def test_an_achievement_by_reference_states_nothing() -> None:
    doc = {"credentialSubject": {"hasClaim": {"type": "LearningAchievement",
                                              "specifiedBy": "urn:example:spec"}}}
    assert _codes(doc, "cmf") == {"ects-missing", "eqf-missing"}


# --- assessment --------------------------------------------------------------------------------

@pytest.mark.parametrize(("where", "codes"), [
    ("claim", set()), ("spec", set()), (None, {"assessment-missing"}),
])
def test_a_credential_states_how_its_learner_was_assessed(where: str | None, codes: set[str]) -> None:
    """Imperial: 'rigorously assessed'; MIC.SIG: 'learners are assessed': the learning assessment
    (provenBy) of the achievement or of its specification says it."""
    spec = _spec("5", provenBy=ASSESSED) if where == "spec" else _spec("5")
    doc = _credential(spec)
    if where == "claim":
        doc["credentialSubject"]["hasClaim"]["provenBy"] = ASSESSED
    else:
        doc["credentialSubject"]["hasClaim"].pop("provenBy")
    for profile in ("imperial", "uk-qaa"):
        assert _codes(doc, profile) == codes
    assert _codes(doc, "cmf") == set()


ATTENDANCE = "http://data.europa.eu/snb/assessment/7331eb4762"  # 'level of attendance'


@pytest.mark.parametrize(("assessment", "codes"), [
    ({"type": "LearningAssessment", "title": {"en": "Course assessment"},
      "specifiedBy": {"type": "LearningAssessmentSpecification", "title": {"en": "Course assessment"},
                      "dcType": {"id": ATTENDANCE, "type": "Concept"}}}, {"assessment-attendance"}),
    ({"type": "LearningAssessment", "title": {"en": "Attendance at all sessions"}},
     {"assessment-attendance"}),
    ({"type": "LearningAssessment", "title": {"en": "Participation"},
      "specifiedBy": {"type": "LearningAssessmentSpecification", "title": {"en": "Participation"}}},
     {"assessment-attendance"}),
    ({"type": "LearningAssessment", "title": {"en": "Attendance and oral examination"}}, set()),
    ([{"type": "LearningAssessment", "title": {"en": "Attendance"}}, ASSESSED], set()),
])
def test_a_credential_assessing_attendance_only_is_not_assessed(assessment: Any, codes: set[str]) -> None:
    doc = _credential(_spec("5"))
    doc["credentialSubject"]["hasClaim"]["provenBy"] = assessment
    for profile in ("imperial", "uk-qaa"):
        assert _codes(doc, profile) == codes, profile
    assert _codes(doc, "cmf") == set()


@pytest.mark.parametrize("levels", [(6, 7), (7, 5), (5, 8)])
def test_two_different_eqf_levels_beside_a_uk_level_are_named(levels: tuple[int, int]) -> None:
    """Imperial: 'Level 4-7' (FHEQ; EQF 5-7): a credential at EQF 6 and EQF 7 says two levels,
    whatever FHEQ level stands beside them; the FHEQ level is judged too."""
    eqf = [{"id": f"http://data.europa.eu/snb/eqf/{n}"} for n in levels]
    nqf = {"id": "urn:example:nqf", "type": "Concept", "prefLabel": {"en": "FHEQ Level 7"}}
    doc = _credential(_spec("5", eqf=None, eqfLevel=eqf, nqfLevel=nqf))
    [finding] = check_policy(facts_from_document(doc), PROFILES["imperial"])
    assert (finding.code, finding.severity) == ("policy.imperial.eqf-unreadable", "error")
    shown = " and ".join(f"EQF {n}" for n in sorted(levels))
    assert f"the EQF level is stated twice, differently: {shown}" in finding.message
    assert "eqfLevel" in finding.fix
    nqf["prefLabel"] = {"en": "FHEQ Level 8"}
    assert _codes(doc, "imperial") == {"eqf-unreadable", "eqf-range"}


def test_an_unreadable_eqf_level_beside_a_uk_level_is_left_to_the_uk_level() -> None:
    """An eqfLevel that is no EQF level says no level: the FHEQ level beside it is the one judged."""
    nqf = {"id": "urn:example:nqf", "type": "Concept", "prefLabel": {"en": "FHEQ Level 7"}}
    doc = _credential(_spec("5", eqf=None, eqfLevel={"id": "http://example.org/level/6"}, nqfLevel=nqf))
    assert _codes(doc, "imperial") == set()
    nqf["prefLabel"] = {"en": "FHEQ Level 8"}
    assert _codes(doc, "imperial") == {"eqf-range"}


def test_credentials_of_one_shared_specification_are_judged_on_their_own_assessments() -> None:
    """Credentials built from one catalogue entry share its specification node; the facts and
    findings worked out once for it hold only for credentials with the same assessments."""
    from edcbridge.mapping.nodes import freeze
    from edcbridge.validation.policy import check_document

    spec = freeze(_spec("5"))
    profiles = [PROFILES["imperial"], PROFILES["uk-qaa"], PROFILES["cmf"]]
    for assessment, codes in [(ASSESSED, set()),
                              ({"type": "LearningAssessment", "title": {"en": "Attendance"}},
                               {"assessment-attendance"}),
                              ([], {"assessment-missing"}), (ASSESSED, set())]:
        doc = _credential(spec)
        doc["credentialSubject"]["hasClaim"]["provenBy"] = assessment
        found = check_document(doc, profiles)
        assert found == [tuple(check_policy(facts_from_document(doc), p)) for p in profiles]
        for profile, findings in zip(profiles[:2], found[:2], strict=True):
            assert {f.code.removeprefix(f"policy.{profile.name}.") for f in findings} == codes
        assert found[2] == ()


def test_a_uk_credential_at_any_level_of_any_framework_states_one() -> None:
    """QAA (2022), in the QAA planning framework's abstract: 'credit-bearing against a recognised
    level of the national qualifications frameworks'; MIC.SIG: 'can be at any level'."""
    scqf = {"id": "urn:nqf:scqf-7", "type": "Concept", "prefLabel": {"en": "SCQF Level 7"}}
    assert _codes(_credential(_spec("20", UK_CREDITS, eqf=None, nqfLevel=scqf)), "uk-qaa") == set()
    assert _codes(_credential(_spec("20", UK_CREDITS, eqf=None)), "uk-qaa") == {"level-missing"}
    wales = {"id": "http://data.europa.eu/snb/qdr/c_36ff4631", "type": "Concept",
             "prefLabel": {"en": "Credit and Qualifications Framework for Wales"}}  # the framework: no level
    framework_only = _credential(_spec("20", UK_CREDITS, eqf=None, nqfLevel=wales))
    assert _codes(framework_only, "uk-qaa") == {"level-missing"}
    two = _spec("20", UK_CREDITS, eqf=None, eqfLevel=[{"id": "http://data.europa.eu/snb/eqf/5"},
                                                      {"id": "http://data.europa.eu/snb/eqf/6"}])
    assert _codes(_credential(two), "uk-qaa") == {"eqf-unreadable"}
