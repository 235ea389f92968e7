"""Check a learner's held credentials against a stacking rule, and explain the outcome.

Every held credential ends in exactly one state, with a sentence saying why:

* ``counted``: its specification is allowed, within its credit currency, first of its kind;
* ``duplicate``: a second credential for a specification already counted (credit counts once);
* ``expired``: awarded longer ago than the credit currency allows, or no longer valid itself;
* ``not-yet-awarded``: awarded after the date the rule is judged on;
* ``not-allowed``: its specification does not count towards the target;
* ``other-learner``: it belongs to someone else;
* ``unverified``: a credential file whose seal does not show it is the catalogue issuer's own
  (see ``stack.trust``).

The rule is satisfied when at least one credential counts, the counted credits reach
``min_credits`` and every required specification is counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from edcbridge import vocab
from edcbridge.mapping.edc import valid_until
from edcbridge.model import Award, Catalogue, Specification, pick
from edcbridge.stack.rules import StackRule

State = Literal["counted", "duplicate", "expired", "not-yet-awarded", "not-allowed", "other-learner",
                "unverified"]


@dataclass(frozen=True)
class Held:
    """A credential the learner holds: ours (award + catalogue) or read back by the importer."""

    award: Award
    catalogue: Catalogue
    source: str = ""
    refused: str | None = None  # why it cannot count whatever the rule (its seal, its issuer)

    @property
    def spec(self) -> Specification | None:
        return self.catalogue.specification(self.award.specification)


@dataclass(frozen=True)
class Item:
    held: Held
    state: State
    spec_code: str | None  # the rule catalogue's code this credential matched, if any
    credits: Decimal
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"award_id": self.held.award.award_id, "source": self.held.source, "state": self.state,
                "specification": self.spec_code, "credits": str(self.credits), "reason": self.reason}


@dataclass
class StackResult:
    rule: StackRule
    items: list[Item]
    credits: Decimal
    missing_required: list[str]
    as_of: dt.date
    explanation: list[str] = field(default_factory=list)

    @property
    def satisfied(self) -> bool:
        """A rule without credits or required parts still needs one credential to count."""
        return bool(self.counted) and self.credits >= self.rule.min_credits and not self.missing_required

    @property
    def counted(self) -> list[Held]:
        return [i.held for i in self.items if i.state == "counted"]

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.rule.target, "satisfied": self.satisfied, "as_of": self.as_of.isoformat(),
                "credits": str(self.credits), "min_credits": str(self.rule.min_credits),
                "missing_required": self.missing_required, "rule_source": self.rule.source,
                "items": [i.as_dict() for i in self.items], "explanation": self.explanation}


def _fmt(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def match_spec(held: Held, catalogue: Catalogue) -> Specification | None:
    """The rule catalogue's specification a held credential is for: same code, else same title
    in a shared language, else same homepage (imported credentials carry derived codes)."""
    own = held.spec
    found = catalogue.specification(held.award.specification)
    if found is not None and (own is None or own.title == found.title or held.catalogue is catalogue):
        return found
    if own is None:
        return None
    for spec in catalogue.specifications:
        if any(spec.title.get(lang) == text for lang, text in own.title.items()):
            return spec
        if spec.homepage and own.homepage and str(spec.homepage) == str(own.homepage):
            return spec
    return None


def currency_end(awarded: dt.date, years: int) -> dt.date:
    try:
        return awarded.replace(year=awarded.year + years)
    except ValueError:  # 29 February
        return awarded.replace(year=awarded.year + years, day=28)


def part_credits(part: Specification, target: Specification | None) -> tuple[Decimal, str]:
    """The credits a part adds, in the target's credit system, and a note when it adds none
    because its credits are in another system (no conversion between systems is defined)."""
    if part.credits is None:
        return Decimal(0), ""
    if target is None or part.credit_system == target.credit_system:
        return Decimal(part.credits), ""
    theirs, ours = (vocab.concept("credit-system", s.credit_system.value).codes[0].upper()
                    for s in (part, target))
    return Decimal(0), (f"; its {_fmt(Decimal(part.credits))} {theirs} credits are not in {ours}, the "
                        f"credit system of {target.code}, so they add nothing")


def _not_current(held: Held, years: int | None, as_of: dt.date, label: str) -> str | None:
    """Why a credential no longer counts on ``as_of``: its credit currency ended, or the
    credential itself is no longer valid (``validUntil``)."""
    award = held.award
    if years is not None and currency_end(award.awarding_date, years) < as_of:
        return (f"{label} was awarded on {award.awarding_date}; its credit currency of {years} years ended "
                f"on {currency_end(award.awarding_date, years)}, before {as_of}: it no longer counts "
                "(evidence of current knowledge may be accepted instead)")
    own = held.spec
    until = valid_until(award, own) if own is not None else award.valid_until
    if until is not None and until <= as_of:  # validUntil is that day's first instant
        return (f"{label} is no longer valid on {as_of}: its validity ended on {until}; a renewed "
                "credential may count instead")
    return None


def _name(spec: Specification, language: str) -> str:
    return f"{pick(spec.title, language)} ({spec.code})"


def check_stack(rule: StackRule, held: list[Held], catalogue: Catalogue, *, as_of: dt.date,
                learner_id: str | None = None) -> StackResult:
    """Evaluate ``held`` against ``rule`` on ``as_of`` for one learner (default: the first's)."""
    lang = vocab.concept("language", catalogue.primary_language).code
    target = catalogue.specification(rule.target)
    target_name = _name(target, lang) if target else rule.target
    learner = learner_id or (held[0].award.learner.id if held else "")
    items: list[Item] = []
    counted_by_spec: dict[str, Held] = {}
    allowed_names = ", ".join(_name(s, lang) for s in (catalogue.specification(c) for c in rule.allowed) if s)
    ordered = sorted(held, key=lambda h: (h.award.awarding_date, h.award.award_id), reverse=True)
    for h in ordered:  # newest first: a duplicate keeps the most current credit
        award = h.award
        spec = match_spec(h, catalogue)
        own = h.spec
        label = f"{award.award_id} ({pick(own.title, lang) if own else award.specification})"
        if h.refused is not None:
            items.append(Item(h, "unverified", spec.code if spec else None, Decimal(0),
                              f"{label} ({h.source}) does not count: {h.refused}"))
            continue
        if award.learner.id != learner:
            items.append(Item(h, "other-learner", spec.code if spec else None, Decimal(0),
                              f"{label} belongs to learner {award.learner.id}, not {learner}; "
                              "check only one learner's credentials at a time"))
            continue
        if spec is None or spec.code not in rule.allowed:
            items.append(Item(h, "not-allowed", spec.code if spec else None, Decimal(0),
                              f"{label} does not count towards {target_name}: only {allowed_names} do"))
            continue
        if award.awarding_date > as_of:
            items.append(Item(h, "not-yet-awarded", spec.code, Decimal(0),
                              f"{label} was awarded on {award.awarding_date}, after {as_of}, the date the "
                              "rule is judged on: it cannot count yet (judge on a later date, --as-of)"))
            continue
        credits, note = part_credits(spec, target)
        if spec.code in counted_by_spec:
            first = counted_by_spec[spec.code].award
            items.append(Item(h, "duplicate", spec.code, Decimal(0),
                              f"{label} is a second credential for {_name(spec, lang)}, already counted "
                              f"with {first.award_id} (awarded {first.awarding_date}); credit counts once"))
            continue
        years = rule.currency_years or spec.credit_currency_years
        stale = _not_current(h, years, as_of, label)
        if stale is not None:
            items.append(Item(h, "expired", spec.code, Decimal(0), stale))
            continue
        counted_by_spec[spec.code] = h
        until = f" (current until {currency_end(award.awarding_date, years)})" if years else ""
        items.append(Item(h, "counted", spec.code, credits,
                          f"{label} counts {_fmt(credits)} credits towards {target_name}{until}{note}"))
    total = sum((i.credits for i in items), Decimal(0))
    missing = [c for c in rule.required if c not in counted_by_spec]
    result = StackResult(rule, items, total, missing, as_of)
    result.explanation = _explain(result, catalogue, target_name, lang)
    return result


def _explain(result: StackResult, catalogue: Catalogue, target_name: str, lang: str) -> list[str]:
    rule = result.rule
    lines = []
    if result.satisfied:
        lines.append(f"SATISFIED: {_fmt(result.credits)} of {_fmt(rule.min_credits)} credits needed for "
                     f"{target_name} are held and current.")
    else:
        lines.append(f"NOT SATISFIED: {target_name} needs {_fmt(rule.min_credits)} credits; "
                     f"{_fmt(result.credits)} count.")
    lines += [f"  {item.state}: {item.reason}" for item in result.items]
    options = [s for s in (catalogue.specification(c) for c in rule.allowed)
               if s is not None and not any(i.state == "counted" and i.spec_code == s.code
                                            for i in result.items)]
    hint = "; still open: " + ", ".join(
        f"{_name(s, lang)}, {_fmt(Decimal(s.credits or 0))} credits" for s in options) if options else ""
    if result.credits < rule.min_credits:
        lines.append(f"  missing: {_fmt(rule.min_credits - result.credits)} more credits{hint}")
    elif not result.counted:
        lines.append(f"  missing: no credential counts towards {target_name}{hint}")
    for code in result.missing_required:
        spec = catalogue.specification(code)
        lines.append(f"  missing: {_name(spec, lang) if spec else code} is required")
    return lines
