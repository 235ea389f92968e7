"""Each policy profile holds the numbers of the document it follows, and every finding says
which document and rule it comes from and what to change (the documents' words are written
out here, not read from the profiles)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edcbridge.validation.policy import PROFILES, Facts, check_policy


def _codes(facts: Facts, profile: str) -> set[str]:
    return {f.code.removeprefix(f"policy.{profile}.") for f in check_policy(facts, PROFILES[profile])}


# (profile, credits, EQF level, duration in months, credit currency in years, codes found)
CASES = [
    # Imperial, section 3: "Credit value: 2.5 to 15 ECTS in multiples of 2.5 ECTS", "Level 4-7"
    # (FHEQ: EQF 5-7), "Duration: up to 6 months", "credit normally has a currency of 5 years"
    ("imperial", "2.5", 5, 6, 5, set()),
    ("imperial", "15", 7, 1, 1, set()),
    ("imperial", "7.5", 6, None, None, set()),
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
    ("cmf", "5", 6, 36, 10, set()),  # no duration or currency rule
    # SLP: "a total learning volume of 5 to 30 ECTS at EQF levels 5,6,7 and 8"
    ("short-learning-programme", "5", 5, None, None, set()),
    ("short-learning-programme", "30", 8, None, None, set()),
    ("short-learning-programme", "4.5", 6, None, None, {"ects-range"}),
    ("short-learning-programme", "31", 6, None, None, {"ects-range"}),
    ("short-learning-programme", "10", 4, None, None, {"eqf-range"}),
    ("short-learning-programme", "10", None, None, None, {"eqf-missing"}),
    # MIC.SIG: "no more than 60 credits" (UK; 30 ECTS), "no upper or lower limits on size",
    # "can be at any level"; "as small as 2 credits" (1 ECTS)
    ("uk-qaa", "0.5", 1, None, None, set()),
    # QAA (2022), as the QAA planning framework's abstract gives it: "credit-bearing against a
    # recognised level of the national qualifications frameworks": any level, but one
    ("uk-qaa", "5", None, None, None, {"level-missing"}),
    ("uk-qaa", "1", 1, None, None, set()),
    ("uk-qaa", "30", 1, None, None, set()),
    ("uk-qaa", "30.5", 7, None, None, {"ects-range"}),
    # the Recommendation sets no size, level or duration
    ("eu-council", "90", 2, 24, 20, set()),
]


@pytest.mark.parametrize(("profile", "ects", "eqf", "months", "years", "codes"), CASES)
def test_a_profile_holds_its_documents_numbers(profile: str, ects: str, eqf: int | None,
                                               months: int | None, years: int | None,
                                               codes: set[str]) -> None:
    assert _codes(Facts(Decimal(ects), eqf, months, years), profile) == codes


def test_the_numbers_of_each_profile() -> None:
    imperial, cmf, slp, uk = (PROFILES[n] for n in ("imperial", "cmf", "short-learning-programme", "uk-qaa"))
    assert (imperial.ects_min, imperial.ects_max, imperial.ects_step) == (Decimal("2.5"), 15, Decimal("2.5"))
    assert (imperial.uk_level_min, imperial.uk_level_max, imperial.eqf_min, imperial.eqf_max) == (4, 7, 5, 7)
    assert (imperial.max_duration_months, imperial.credit_currency_years) == (6, 5)
    assert (cmf.ects_min, cmf.ects_max, cmf.eqf_min, cmf.eqf_max) == (4, 6, 5, 8)
    assert (slp.ects_min, slp.ects_max, slp.eqf_min, slp.eqf_max) == (5, 30, 5, 8)
    assert (uk.ects_min, uk.ects_max, uk.eqf_min, uk.eqf_max) == (None, 30, None, None)  # 60 UK credits
    eu = PROFILES["eu-council"]  # the Recommendation sets no size, level, duration or currency
    assert (eu.ects_min, eu.ects_max, eu.eqf_min, eu.eqf_max, eu.max_duration_months,
            eu.credit_currency_years) == (None,) * 6


@pytest.mark.parametrize("profile", ["imperial", "cmf", "short-learning-programme", "uk-qaa"])
def test_credits_are_required(profile: str) -> None:
    """MIC.SIG: 'micro-credentials must be credit rated'; the others set a minimum: a catalogue's
    credits of 0 are no credit."""
    assert "ects-missing" in _codes(Facts(None, 6), profile)
    assert _codes(Facts(Decimal(0), 6), profile) == {"ects-missing"}


# (profile, facts, the document's words the finding must quote, and the section it is in)
QUOTED = [
    ("imperial", Facts(Decimal("20"), 6), "2.5 to 15 ECTS in multiples of 2.5 ECTS",
     "3. Structure, Credit, Level & Duration"),
    ("imperial", Facts(Decimal("5"), 8), "Level 4-7", "3. Structure, Credit, Level & Duration"),
    ("imperial", Facts(Decimal("5"), 6, 9), "up to 6 months", "3. Structure, Credit, Level & Duration"),
    ("imperial", Facts(Decimal("5"), 6, None, 10), "credit normally has a currency of 5 years", "Validity"),
    ("cmf", Facts(Decimal("10"), 6), "have a size of 4 to 6 ECTS", "Bottom-up initiatives"),
    ("short-learning-programme", Facts(Decimal("10"), 3), "EQF levels 5,6,7 and 8", "Bottom-up initiatives"),
    ("uk-qaa", Facts(Decimal("40"), 6), "should be no more than 60 credits",
     "Are micro-credentials limited to a certain level or size?"),
]


@pytest.mark.parametrize(("profile", "facts", "words", "section"), QUOTED, ids=[q[0] for q in QUOTED])
def test_a_finding_names_its_document_section_and_rule(profile: str, facts: Facts, words: str,
                                                       section: str) -> None:
    findings = check_policy(facts, PROFILES[profile])
    assert findings
    for finding in findings:
        assert finding.message.startswith(PROFILES[profile].title)
        assert words in finding.message and section in finding.message
        assert "None" not in finding.message + finding.fix
        assert finding.fix


def test_a_uk_limit_is_said_in_both_units() -> None:
    """MIC.SIG counts UK credits: 31 ECTS is 62 UK credits, over its 60 (1 ECTS = 2 UK credits)."""
    [finding] = check_policy(Facts(Decimal("31"), 6), PROFILES["uk-qaa"])
    assert "31 ECTS (62 UK credits) is more than 30 ECTS (60 UK credits)" in finding.message
    assert "at most 30 ECTS (60 UK credits)" in finding.fix


def test_an_open_range_is_said_in_words() -> None:
    [finding] = check_policy(Facts(Decimal("4"), 6), PROFILES["short-learning-programme"])
    assert "4 ECTS is outside 5-30 ECTS" in finding.message
    assert "5-30 ECTS" in finding.fix


def test_a_step_finding_names_the_nearest_allowed_credits() -> None:
    [finding] = check_policy(Facts(Decimal("6"), 6), PROFILES["imperial"])
    assert finding.message.startswith("Imperial College London micro-credential framework (2025): 6 ECTS is "
                                      "not a multiple of 2.5 ECTS.")
    assert "(5 or 7.5 ECTS)" in finding.fix


def test_a_catalogue_finding_names_its_specification() -> None:
    [finding] = check_policy(Facts(Decimal("20"), 6), PROFILES["cmf"], "specifications[CMF-1]")
    assert finding.where == "specifications[CMF-1]"
    assert finding.severity == "error" and finding.code == "policy.cmf.ects-range"


def test_the_eu_council_profile_makes_annex_i_mandatory() -> None:
    assert PROFILES["eu-council"].annex1_mandatory
    assert not any(p.annex1_mandatory for name, p in PROFILES.items() if name != "eu-council")
