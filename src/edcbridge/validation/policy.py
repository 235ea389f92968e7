"""Policy profiles: the size and level rules of real micro-credential frameworks.

Each profile is data. Numbers come from the frameworks themselves, and every rule carries
the document's own words, so a finding says which document and rule it comes from: the EU
Council Recommendation (Annex I elements), Imperial College London (2025), the Common
Microcredential Framework (CMF) and short learning programmes (SLP) as the BLOOM Hub
describes them, and the UK QAA / MIC.SIG view.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from edcbridge.validation.annex1 import _claims, _get
from edcbridge.validation.findings import Finding


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    source: str
    ects_min: Decimal | None = None
    ects_max: Decimal | None = None
    ects_step: Decimal | None = None
    eqf_min: int | None = None
    eqf_max: int | None = None
    max_duration_months: int | None = None
    credit_currency_years: int | None = None
    annex1_mandatory: bool = False
    # (rule, the document's words): rule is "ects", "eqf", "duration" or "credit-currency"
    rules: tuple[tuple[str, str], ...] = ()

    def rule(self, key: str) -> str:
        """The document's words for one rule, for a finding's message."""
        return next((words for name, words in self.rules if name == key), self.source)


_IMPERIAL = ("Imperial College London Micro-credential Framework (2025), "
             "3. Structure, Credit, Level & Duration")
_BLOOM = "BLOOM Hub, 'A micro-credential programme: the concept'"
_MICSIG = "MIC.SIG micro-credentials FAQ (QAA Cymru)"

PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("eu-council", "EU Council Recommendation on micro-credentials (2022)",
            "2022/C 243/02 Annex I", annex1_mandatory=True),
    Profile("imperial", "Imperial College London micro-credential framework (2025)",
            "2.5-15 ECTS in multiples of 2.5; FHEQ levels 4-7 (EQF 5-7); up to 6 months; "
            "credit currency 5 years",
            ects_min=Decimal("2.5"), ects_max=Decimal("15"), ects_step=Decimal("2.5"),
            eqf_min=5, eqf_max=7, max_duration_months=6, credit_currency_years=5,
            rules=(
                ("ects", f"{_IMPERIAL}: 'Credit value: 2.5 to 15 ECTS in multiples of 2.5 ECTS'"),
                ("eqf", f"{_IMPERIAL}: 'Level: Level 4-7 depending on audience' (FHEQ levels 4-7, "
                        "which the UK references to EQF 5-7)"),
                ("duration", f"{_IMPERIAL}: 'Duration: up to 6 months depending on credit value and "
                             "mode of delivery'"),
                ("credit-currency", f"{_IMPERIAL}: 'For the purpose of stacking or transferring to a "
                                    "formal Imperial qualification, credit normally has a currency "
                                    "of 5 years'"),
            )),
    Profile("cmf", "Common Microcredential Framework (CMF)", "4-6 ECTS, EQF 5-8",
            ects_min=Decimal("4"), ects_max=Decimal("6"), eqf_min=5, eqf_max=8,
            rules=(
                ("ects", f"{_BLOOM}: CMF micro-credentials 'have a size of 4 to 6 ECTS'"),
                ("eqf", f"{_BLOOM}: CMF micro-credentials 'are linked to an EQF level of 5, 6, 7 or 8'"),
            )),
    Profile("short-learning-programme", "Short learning programme (SLP)", "5-30 ECTS, EQF 5-8",
            ects_min=Decimal("5"), ects_max=Decimal("30"), eqf_min=5, eqf_max=8,
            rules=(
                ("ects", f"{_BLOOM}: short learning programmes have 'a total learning volume of 5 to "
                         "30 ECTS'"),
                ("eqf", f"{_BLOOM}: short learning programmes are 'at EQF levels 5,6,7 and 8'"),
            )),
    Profile("uk-qaa", "UK micro-credentials (QAA / MIC.SIG)",
            "credit-rated, any level, at most 60 UK credits = 30 ECTS, no lower limit",
            ects_max=Decimal("30"),
            rules=(
                ("ects", f"{_MICSIG}: 'micro-credentials must be credit rated' and 'should be no more "
                         "than 60 credits' (60 UK credits = 30 ECTS); 'there are no upper or lower "
                         "limits on size'"),
            )),
)}


@dataclass(frozen=True, slots=True)
class Facts:
    """What a policy looks at, from a specification or from a credential."""

    ects: Decimal | None
    eqf: int | None
    duration_months: int | None = None
    credit_currency_years: int | None = None


ECTS_IRI = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
# Years and months only: weeks and days have no exact length in months.
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?")


def duration_months(text: str) -> int | None:
    """Months in an ISO 8601 duration of years and/or months (``P6M``, ``P1Y``, ``P1Y6M``)."""
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    years, months = (int(group or 0) for group in match.groups())
    return years * 12 + months


def facts_from_document(doc: dict[str, Any]) -> Facts:
    ects = None
    eqf = None
    months = None
    for claim in _claims(doc):
        for credit in _get(claim, "specifiedBy", "creditPoint"):
            framework = credit.get("framework", {}) if isinstance(credit, dict) else {}
            if isinstance(framework, dict) and framework.get("id") == ECTS_IRI:
                try:
                    ects = Decimal(str(credit.get("point")))
                except ArithmeticError:
                    ects = None
        for level in _get(claim, "specifiedBy", "eqfLevel"):
            iri = level.get("id", "") if isinstance(level, dict) else str(level)
            if iri.rsplit("/", 1)[-1].isdigit():
                eqf = int(iri.rsplit("/", 1)[-1])
        for duration in _get(claim, "specifiedBy", "maximumDuration"):
            months = duration_months(str(duration))
    return Facts(ects, eqf, months)


def _bounds(low: Any, high: Any, unit: str) -> str:
    """A range in words, either end possibly open: '4-6 ECTS', 'at most 30 ECTS'."""
    if low is None:
        return f"at most {high}{unit}"
    if high is None:
        return f"at least {low}{unit}"
    return f"{low}-{high}{unit}"


def _beyond(low: Any, high: Any, unit: str) -> str:
    """Where a value out of range lies, in words: 'more than 30 ECTS', 'outside 4-6 ECTS'."""
    if low is None:
        return f"more than {high}{unit}"
    if high is None:
        return f"less than {low}{unit}"
    return f"outside {low}-{high}{unit}"


def _outside(value: Any, low: Any, high: Any) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


Fail = Callable[[str, str, str, str], None]  # (code, rule, message, fix)


def _check_ects(facts: Facts, profile: Profile, fail: Fail) -> None:
    low, high, step = profile.ects_min, profile.ects_max, profile.ects_step
    if low is None and high is None:
        return
    if facts.ects is None:
        fail("ects-missing", "ects", "no ECTS credits stated",
             f"state the credits in ECTS (creditPoint; credits in the catalogue), "
             f"{_bounds(low, high, ' ECTS')}")
        return
    if _outside(facts.ects, low, high):
        fail("ects-range", "ects", f"{facts.ects} ECTS is {_beyond(low, high, ' ECTS')}",
             f"size the credential to {_bounds(low, high, ' ECTS')}, or choose another policy")
    if step and facts.ects % step:
        fail("ects-step", "ects", f"{facts.ects} ECTS is not a multiple of {step} ECTS",
             f"use a multiple of {step} ECTS")


def _check_eqf(facts: Facts, profile: Profile, fail: Fail) -> None:
    low, high = profile.eqf_min, profile.eqf_max
    if low is None and high is None:
        return
    if facts.eqf is None:
        fail("eqf-missing", "eqf", "no EQF level stated",
             f"state the EQF level (eqfLevel; eqf in the catalogue), EQF {_bounds(low, high, '')}")
    elif _outside(facts.eqf, low, high):
        fail("eqf-range", "eqf", f"EQF level {facts.eqf} is {_beyond(low, high, '')}",
             f"use EQF {_bounds(low, high, '')}, or choose another policy")


def _check_time(facts: Facts, profile: Profile, fail: Fail) -> None:
    months, years = profile.max_duration_months, profile.credit_currency_years
    if months and facts.duration_months and facts.duration_months > months:
        fail("duration", "duration",
             f"a maximum duration of {facts.duration_months} months is more than {months} months",
             f"keep the maximum duration (max_duration_months) within {months} months")
    if years and facts.credit_currency_years and facts.credit_currency_years > years:
        fail("credit-currency", "credit-currency",
             f"credit currency of {facts.credit_currency_years} years is more than {years} years",
             f"set credit_currency_years to at most {years}")


def check_policy(facts: Facts, profile: Profile, where: str = "hasClaim.specifiedBy") -> list[Finding]:
    """Every rule of ``profile`` that ``facts`` break, each quoting the document's words."""
    findings: list[Finding] = []

    def fail(code: str, rule: str, message: str, fix: str) -> None:
        findings.append(Finding(f"policy.{profile.name}.{code}", "error", where,
                                f"{profile.title}: {message}. Rule: {profile.rule(rule)}", fix))

    for check in (_check_ects, _check_eqf, _check_time):
        check(facts, profile, fail)
    return findings


def unknown_profiles(names: tuple[str, ...] | list[str]) -> list[str]:
    return [n for n in names if n not in PROFILES]
