"""Policy profiles: the size and level rules of real micro-credential frameworks.

Each profile is data. Numbers come from the frameworks themselves: the EU Council
Recommendation (Annex I elements), Imperial College London (2025), the Common
Microcredential Framework (CMF), short learning programmes (SLP) and the UK QAA / MIC.SIG view.
"""

from __future__ import annotations

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


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("eu-council", "EU Council Recommendation on micro-credentials (2022)",
            "2022/C 243/02 Annex I", annex1_mandatory=True),
    Profile("imperial", "Imperial College London micro-credential framework (2025)",
            "2.5-15 ECTS in multiples of 2.5; FHEQ levels 4-7 (EQF 5-7); up to 6 months; "
            "credit currency 5 years",
            ects_min=Decimal("2.5"), ects_max=Decimal("15"), ects_step=Decimal("2.5"),
            eqf_min=5, eqf_max=7, max_duration_months=6, credit_currency_years=5),
    Profile("cmf", "Common Microcredential Framework (CMF)", "4-6 ECTS, EQF 5-8",
            ects_min=Decimal("4"), ects_max=Decimal("6"), eqf_min=5, eqf_max=8),
    Profile("short-learning-programme", "Short learning programme (SLP)", "5-30 ECTS",
            ects_min=Decimal("5"), ects_max=Decimal("30")),
    Profile("uk-qaa", "UK micro-credentials (QAA / MIC.SIG)",
            "credit-rated, at most 60 UK credits = 30 ECTS",
            ects_min=Decimal("1"), ects_max=Decimal("30")),
)}


@dataclass(frozen=True, slots=True)
class Facts:
    """What a policy looks at, from a specification or from a credential."""

    ects: Decimal | None
    eqf: int | None
    duration_months: int | None = None
    credit_currency_years: int | None = None


ECTS_IRI = "http://data.europa.eu/snb/education-credit/6fcec5c5af"


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
            text = str(duration)
            if text.startswith("P") and text.endswith("M") and text[1:-1].isdigit():
                months = int(text[1:-1])
    return Facts(ects, eqf, months)


def check_policy(facts: Facts, profile: Profile, where: str = "hasClaim.specifiedBy") -> list[Finding]:
    findings: list[Finding] = []

    def fail(code: str, message: str, fix: str) -> None:
        findings.append(Finding(f"policy.{profile.name}.{code}", "error", where,
                                f"{profile.title}: {message}", fix))

    if profile.ects_min is not None or profile.ects_max is not None:
        if facts.ects is None:
            fail("ects-missing", "no ECTS credits stated", "add ECTS credits (creditPoint)")
        else:
            low, high = profile.ects_min, profile.ects_max
            if (low is not None and facts.ects < low) or (high is not None and facts.ects > high):
                fail("ects-range", f"{facts.ects} ECTS is outside {low}-{high} ECTS",
                     f"size the credential between {low} and {high} ECTS")
            if profile.ects_step and facts.ects % profile.ects_step:
                fail("ects-step", f"{facts.ects} ECTS is not a multiple of {profile.ects_step}",
                     f"use a multiple of {profile.ects_step} ECTS")
    if profile.eqf_min is not None or profile.eqf_max is not None:
        if facts.eqf is None:
            fail("eqf-missing", "no EQF level stated", "add the EQF level")
        elif not (profile.eqf_min or 1) <= facts.eqf <= (profile.eqf_max or 8):
            fail("eqf-range", f"EQF level {facts.eqf} is outside {profile.eqf_min}-{profile.eqf_max}",
                 f"use EQF {profile.eqf_min}-{profile.eqf_max} or another profile")
    if profile.max_duration_months and facts.duration_months and \
            facts.duration_months > profile.max_duration_months:
        fail("duration", f"{facts.duration_months} months exceeds {profile.max_duration_months}",
             f"keep the maximum duration within {profile.max_duration_months} months")
    if profile.credit_currency_years and facts.credit_currency_years and \
            facts.credit_currency_years > profile.credit_currency_years:
        fail("credit-currency", f"credit currency {facts.credit_currency_years} years exceeds "
             f"{profile.credit_currency_years}",
             f"set credit_currency_years to at most {profile.credit_currency_years}")
    return findings


def unknown_profiles(names: tuple[str, ...] | list[str]) -> list[str]:
    return [n for n in names if n not in PROFILES]
