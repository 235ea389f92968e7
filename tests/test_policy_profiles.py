"""Each policy profile holds the numbers of the document it follows, and every finding says
which document and rule it comes from and what to change (the documents' words are written
out here, not read from the profiles)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edcbridge.validation.policy import PROFILES, Facts, check_policy, facts_from_document


def _codes(facts: Facts, profile: str) -> set[str]:
    return {f.code.removeprefix(f"policy.{profile}.") for f in check_policy(facts, PROFILES[profile])}


# (profile, credits, EQF level, duration in months, credit currency in years, codes found)
CASES = [
    # Imperial: "Credit value: 2.5 to 15 ECTS in multiples of 2.5 ECTS", "Level 4-7" (FHEQ),
    # "Duration: up to 6 months", "credit normally has a currency of 5 years"
    ("imperial", "2.5", 5, 6, 5, set()),
    ("imperial", "15", 7, 1, 1, set()),
    ("imperial", "2", 6, None, None, {"ects-range", "ects-step"}),
    ("imperial", "17.5", 6, None, None, {"ects-range"}),
    ("imperial", "6", 6, None, None, {"ects-step"}),
    ("imperial", "5", 4, None, None, {"eqf-range"}),
    ("imperial", "5", 8, None, None, {"eqf-range"}),
    ("imperial", "5", 6, 7, None, {"duration"}),
    ("imperial", "5", 6, None, 6, {"credit-currency"}),
    # CMF: "a size of 4 to 6 ECTS", "an EQF level of 5, 6, 7 or 8"
    ("cmf", "4", 5, None, None, set()),
    ("cmf", "6", 8, None, None, set()),
    ("cmf", "3", 4, None, None, {"ects-range", "eqf-range"}),
    ("cmf", "7", 6, None, None, {"ects-range"}),
    # SLP: "a total learning volume of 5 to 30 ECTS at EQF levels 5,6,7 and 8"
    ("short-learning-programme", "5", 5, None, None, set()),
    ("short-learning-programme", "30", 8, None, None, set()),
    ("short-learning-programme", "31", 6, None, None, {"ects-range"}),
    ("short-learning-programme", "10", 4, None, None, {"eqf-range"}),
    ("short-learning-programme", "10", None, None, None, {"eqf-missing"}),
    # MIC.SIG: "no more than 60 credits" (UK; 30 ECTS), "no upper or lower limits on size",
    # "can be at any level"
    ("uk-qaa", "0.5", None, None, None, set()),
    ("uk-qaa", "30", 1, None, None, set()),
    ("uk-qaa", "30.5", 7, None, None, {"ects-range"}),
]


@pytest.mark.parametrize(("profile", "ects", "eqf", "months", "years", "codes"), CASES)
def test_a_profile_holds_its_documents_numbers(profile: str, ects: str, eqf: int | None,
                                               months: int | None, years: int | None,
                                               codes: set[str]) -> None:
    assert _codes(Facts(Decimal(ects), eqf, months, years), profile) == codes


@pytest.mark.parametrize("profile", ["imperial", "cmf", "short-learning-programme", "uk-qaa"])
def test_credits_are_required(profile: str) -> None:
    assert "ects-missing" in _codes(Facts(None, 6), profile)


# (profile, facts, the document's words the finding must quote)
QUOTED = [
    ("imperial", Facts(Decimal("20"), 6), "2.5 to 15 ECTS in multiples of 2.5 ECTS"),
    ("imperial", Facts(Decimal("5"), 8), "Level 4-7"),
    ("imperial", Facts(Decimal("5"), 6, 9), "up to 6 months"),
    ("imperial", Facts(Decimal("5"), 6, None, 10), "currency of 5 years"),
    ("cmf", Facts(Decimal("10"), 6), "4 to 6 ECTS"),
    ("short-learning-programme", Facts(Decimal("10"), 3), "EQF levels 5,6,7 and 8"),
    ("uk-qaa", Facts(Decimal("40"), 6), "no more than 60 credits"),
]


@pytest.mark.parametrize(("profile", "facts", "words"), QUOTED, ids=[q[0] for q in QUOTED])
def test_a_finding_names_its_document_and_rule(profile: str, facts: Facts, words: str) -> None:
    findings = check_policy(facts, PROFILES[profile])
    assert findings
    for finding in findings:
        assert finding.message.startswith(PROFILES[profile].title)
        assert words in finding.message
        assert "None" not in finding.message + finding.fix
        assert finding.fix


def test_an_open_range_is_said_in_words() -> None:
    [finding] = check_policy(Facts(Decimal("31"), 6), PROFILES["uk-qaa"])
    assert "31 ECTS is more than 30 ECTS" in finding.message
    assert "at most 30 ECTS" in finding.fix


def _credential(duration: str) -> dict[str, object]:
    spec = {"creditPoint": [{"framework": {"id": "http://data.europa.eu/snb/education-credit/6fcec5c5af"},
                             "point": "5"}],
            "eqfLevel": {"id": "http://data.europa.eu/snb/eqf/6"}, "maximumDuration": duration}
    return {"credentialSubject": {"hasClaim": [{"specifiedBy": spec}]}}


@pytest.mark.parametrize(("duration", "months"), [("P6M", 6), ("P1Y", 12), ("P1Y6M", 18), ("P90D", None)])
def test_a_credentials_duration_is_read_in_years_and_months(duration: str, months: int | None) -> None:
    assert facts_from_document(_credential(duration)).duration_months == months


def test_a_year_long_credential_exceeds_imperials_six_months() -> None:
    facts = facts_from_document(_credential("P1Y"))
    assert _codes(facts, "imperial") == {"duration"}


def test_the_eu_council_profile_makes_annex_i_mandatory() -> None:
    assert PROFILES["eu-council"].annex1_mandatory
    assert not any(p.annex1_mandatory for name, p in PROFILES.items() if name != "eu-council")
