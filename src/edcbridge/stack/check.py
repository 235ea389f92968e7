"""Check a learner's held credentials against a stacking rule, and explain the outcome.

Every held credential ends in exactly one state, with a sentence saying why:

* ``counted``: its specification is allowed, within its credit currency, first of its kind;
* ``duplicate``: a second credential for a specification already counted (credit counts once);
* ``overlap``: its specification is a part of another counted credential's specification, whose
  credit already includes it (credit counts once);
* ``needs-evidence``: awarded longer ago than the credit currency allows. Imperial, 'Validity':
  credit 'normally has a currency of 5 years, after which further evidence of current
  knowledge/skills/competencies may be required': such a part is not counted on its record
  alone, and is said to be able to count with that evidence, which the institution judges;
* ``expired``: no longer valid (its ``validUntil`` passed, or that of another copy of the
  same credential: one credential has one validity);
* ``not-yet-awarded``: awarded after the date the rule is judged on;
* ``not-allowed``: its specification does not count towards the target;
* ``already-awarded``: it is the target itself: the learner holds the larger award already, and
  it is not awarded twice (the rule is then not satisfied);
* ``other-learner``: it belongs to someone else;
* ``unverified``: a credential file whose seal does not show it is the catalogue issuer's own
  (see ``stack.trust``).

The rule is satisfied when at least one credential counts, the counted credits reach
``min_credits`` and every required specification is counted (or is a part of one counted).
A rule not satisfied is *met with evidence* when it would be were every part past its credit
currency accepted with the further evidence (the rule judged again, those parts counted).
A credential counts for the credits it records itself, at most those of the rule catalogue's
specification, and only within the shorter of the rule's and its specification's currency (a
specification that publishes none has the currency the catalogue's policies set).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from edcbridge import vocab
from edcbridge.mapping.edc import valid_until
from edcbridge.model import Award, Catalogue, Specification, pick
from edcbridge.stack.rules import StackRule, spec_eqf

State = Literal["counted", "duplicate", "overlap", "needs-evidence", "expired", "not-yet-awarded",
                "not-allowed", "already-awarded", "other-learner", "unverified"]


@dataclass(frozen=True)
class Held:
    """A credential the learner holds: ours (award + catalogue) or read back by the importer."""

    award: Award
    catalogue: Catalogue
    source: str = ""
    refused: str | None = None  # why it cannot count whatever the rule (its seal, its issuer)
    caveat: str | None = None  # what was not checked about it, said where it counts
    valid_from: dt.date | None = None  # a credential file's own validFrom, judged on the rule's day
    # a credential file's validUntil: the first UTC day it is valid at no moment of
    valid_until: dt.date | None = None

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
    level: int | None = None  # the EQF level it counts at, when counted
    pending: Decimal = Decimal(0)  # the credits it may count with further evidence (needs-evidence)

    def as_dict(self) -> dict[str, Any]:
        out = {"award_id": self.held.award.award_id, "source": self.held.source, "state": self.state,
               "specification": self.spec_code, "credits": str(self.credits), "reason": self.reason}
        if self.state == "needs-evidence":
            out["may_count_with_evidence"] = _fmt(self.pending)
        return out


@dataclass
class StackResult:
    rule: StackRule
    items: list[Item]
    credits: Decimal
    missing_required: list[str]
    as_of: dt.date
    at_level: Decimal = Decimal(0)  # counted credits at the target's EQF level or above
    explanation: list[str] = field(default_factory=list)
    # not satisfied, but would be were the parts past their credit currency accepted with evidence
    with_evidence: StackResult | None = None

    @property
    def satisfied(self) -> bool:
        """A rule without credits or required parts still needs one credential to count; a
        learner who holds the target already is not awarded it again."""
        return (bool(self.counted) and self.credits >= self.rule.min_credits and not self.missing_required
                and self.at_level >= self.rule.level_credits and not self.already_awarded)

    @property
    def met_with_evidence(self) -> bool:
        return self.with_evidence is not None

    @property
    def already_awarded(self) -> list[Held]:
        return [i.held for i in self.items if i.state == "already-awarded"]

    @property
    def counted(self) -> list[Held]:
        return [i.held for i in self.items if i.state == "counted"]

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.rule.target, "satisfied": self.satisfied,
                "met_with_evidence": self.met_with_evidence, "as_of": self.as_of.isoformat(),
                "credits": str(self.credits), "min_credits": str(self.rule.min_credits),
                "level_credits": str(self.at_level), "min_level_credits": str(self.rule.level_credits),
                "missing_required": self.missing_required, "rule_source": self.rule.source,
                "items": [i.as_dict() for i in self.items], "explanation": self.explanation}


def _fmt(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _titles_agree(own: Specification, found: Specification) -> bool:
    """No language both give a title in says otherwise (a credential written in another
    language than the catalogue's keeps its code)."""
    return all(text == found.title[lang] for lang, text in own.title.items() if lang in found.title)


def match_spec(held: Held, catalogue: Catalogue) -> Specification | None:
    """The rule catalogue's specification a held credential is for: same code with no title in a
    shared language saying otherwise, else same title in a shared language, else same homepage
    (imported credentials carry derived codes)."""
    own = held.spec
    found = catalogue.specification(held.award.specification)
    if found is not None and (own is None or _titles_agree(own, found) or held.catalogue is catalogue):
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


def held_credits(held: Held, spec: Specification, target: Specification | None) -> tuple[Decimal, str]:
    """The credits a held credential adds: those of the rule catalogue's ``spec``, but no more
    than the credential records itself (an earlier, smaller version of the same course)."""
    credits, note = part_credits(spec, target)
    own = held.spec
    if (not credits or own is None or own is spec or own.credits is None or spec.credits is None
            or own.credit_system != spec.credit_system or Decimal(own.credits) >= Decimal(spec.credits)):
        return credits, note
    recorded = Decimal(own.credits)
    system = vocab.concept("credit-system", own.credit_system.value).codes[0].upper()
    return recorded, (f"; it records {_fmt(recorded)} {system} credits, fewer than the "
                      f"{_fmt(Decimal(spec.credits))} of {spec.code} in the catalogue, so it counts "
                      f"{_fmt(recorded)}")


def eqf_level(held: Held, spec: Specification) -> int | None:
    """The EQF level a credential counts at: the lower of its own and its specification's."""
    levels = [level for s in (held.spec, spec) if (level := spec_eqf(s)) is not None]
    return min(levels) if levels else None


def _below(level: int | None, target: Specification | None) -> str:
    wanted = spec_eqf(target)
    if level is None or target is None or wanted is None or level >= wanted:
        return ""
    return f"; it is at EQF level {level}, below the level {wanted} of {target.code}"


def policy_currency(catalogue: Catalogue) -> int | None:
    """The credit currency the catalogue's policies set for stacking (Imperial: 'credit normally
    has a currency of 5 years'), the shortest when several do; None when none does."""
    from edcbridge.validation.policy import PROFILES  # policies are validation data

    given = [years for name in catalogue.policies if name in PROFILES
             if (years := PROFILES[name].credit_currency_years) is not None]
    return min(given) if given else None


def currency_years(rule: StackRule, spec: Specification, norm: int | None = None) -> int | None:
    """The shorter of the rule's and the part's own credit currency: a rule may shorten the
    currency a specification publishes, never extend it. A part that publishes none has
    ``norm``, the currency its catalogue's policy sets (see :func:`policy_currency`)."""
    own = spec.credit_currency_years if spec.credit_currency_years is not None else norm
    given = [years for years in (rule.currency_years, own) if years is not None]
    return min(given) if given else None


def _valid_until(held: Held) -> dt.date | None:
    """The first day a credential is no longer valid: a file's own validUntil, as an instant,
    else its record's date (that day's first instant) or its specification's validity."""
    if held.valid_until is not None:
        return held.valid_until
    own = held.spec
    return valid_until(held.award, own) if own is not None else held.award.valid_until


def last_current_day(held: Held, years: int | None) -> dt.date | None:
    """The last day a credential counts: its currency's end, or the day before its
    ``validUntil`` (that day's first instant), whichever comes first."""
    ends = [currency_end(held.award.awarding_date, years)] if years else []
    until = _valid_until(held)
    if until is not None:
        ends.append(until - dt.timedelta(days=1))
    return min(ends) if ends else None


EVIDENCE = "further evidence of current knowledge, skills and competences"


def _past_currency(held: Held, years: int | None, as_of: dt.date, label: str, credits: Decimal) -> str | None:
    """Why a credential past its credit currency on ``as_of`` is not counted on its record alone,
    and what may still make it count; None while it is current."""
    award = held.award
    if years is None or currency_end(award.awarding_date, years) >= as_of:
        return None
    return (f"{label} was awarded on {award.awarding_date}; its credit currency of {years} years ended "
            f"on {currency_end(award.awarding_date, years)}, before {as_of}: it is not counted on its record "
            f"alone, but may count its {_fmt(credits)} credits with {EVIDENCE}, if the institution asks for "
            "and accepts it")


def _not_valid(held: Held, as_of: dt.date, label: str) -> str | None:
    """Why a credential no longer counts on ``as_of``: it is no longer valid (``validUntil``)."""
    until = _valid_until(held)
    if until is not None and until <= as_of:  # the first day it is valid at no moment of
        return (f"{label} is no longer valid on {as_of}: its validity ended by the start of {until} "
                "(UTC); a renewed credential may count instead")
    return None


def _copy_key(held: Held, catalogue: Catalogue) -> tuple[str, str, str | None]:
    """What makes two held credentials copies of one: its award id, learner and specification."""
    spec = match_spec(held, catalogue)
    return held.award.award_id, held.award.learner.id, spec.code if spec else None


def _copy_not_valid(held: Held, lapsed: dict[tuple[str, str, str | None], Held], code: str,
                    as_of: dt.date, label: str) -> str | None:
    """Why a copy of a credential does not count when another copy of it (the records row, say)
    is no longer valid: one credential has one validity, and the copy giving no end is not the
    one to believe."""
    other = lapsed.get((held.award.award_id, held.award.learner.id, code))
    if other is None or other is held:
        return None
    until = _valid_until(other)
    return (f"{label} ({held.source}) is the same credential as {other.source}, which is no longer valid "
            f"on {as_of}: its validity ended by the start of {until} (UTC); a renewed credential may "
            "count instead")


def _name(spec: Specification, language: str) -> str:
    return f"{pick(spec.title, language)} ({spec.code})"


def contained(code: str, catalogue: Catalogue) -> set[str]:
    """Every specification inside ``code`` through ``has_part``, at any depth."""
    seen: set[str] = set()
    todo = [code]
    while todo:
        spec = catalogue.specification(todo.pop())
        for part in spec.has_part if spec is not None else ():
            if part not in seen:
                seen.add(part)
                todo.append(part)
    return seen


def _overlap(item: Item, holder: Item, catalogue: Catalogue, lang: str) -> Item:
    part = catalogue.specification(item.spec_code or "")
    whole = catalogue.specification(holder.spec_code or "")
    award, larger = item.held.award, holder.held.award
    return Item(item.held, "overlap", item.spec_code, Decimal(0), (
        f"{award.award_id} ({pick(part.title, lang) if part else item.spec_code}) is a part of "
        f"{_name(whole, lang) if whole else holder.spec_code}, already counted with {larger.award_id} "
        f"(awarded {larger.awarding_date}); credit counts once"))


def _without_overlaps(items: list[Item], catalogue: Catalogue, lang: str) -> list[Item]:
    """Counted credentials whose specification is inside another counted one's add nothing:
    the larger credential's credit already includes theirs. Larger credentials are kept first."""
    inside = {id(i): contained(i.spec_code, catalogue) for i in items if i.state == "counted" and i.spec_code}
    kept: list[Item] = []
    replaced: dict[int, Item] = {}
    for item in sorted((i for i in items if id(i) in inside), key=lambda i: -len(inside[id(i)])):
        holder = next((k for k in kept if item.spec_code in inside[id(k)]), None)
        if holder is None:
            kept.append(item)
        else:
            replaced[id(item)] = _overlap(item, holder, catalogue, lang)
    return [replaced.get(id(i), i) for i in items]


def covered(result: StackResult, catalogue: Catalogue) -> set[str]:
    """Specifications counted, or inside one counted."""
    codes = {i.spec_code for i in result.items if i.state == "counted" and i.spec_code}
    return codes.union(*(contained(c, catalogue) for c in codes))


def _duplicate(held: Held, first: Held, spec_name: str, label: str) -> str:
    """Why a credential adds nothing next to ``first``: the same credential given twice (a
    records row and its file), or a second credential for the same specification."""
    if held.award.award_id == first.award.award_id:
        return (f"{label} ({held.source}) is the same credential as the one counted ({first.source}), "
                "given twice; it counts once")
    return (f"{label} is a second credential for {spec_name}, already counted with {first.award.award_id} "
            f"(awarded {first.award.awarding_date}); credit counts once")


def check_stack(rule: StackRule, held: list[Held], catalogue: Catalogue, *, as_of: dt.date,
                learner_id: str | None = None, accept_evidence: bool = False) -> StackResult:
    """Evaluate ``held`` against ``rule`` on ``as_of`` for one learner (default: the first's);
    with ``accept_evidence``, a part past its credit currency counts, as if its further evidence
    were accepted."""
    lang = vocab.concept("language", catalogue.primary_language).code
    target = catalogue.specification(rule.target)
    target_name = _name(target, lang) if target else rule.target
    learner = learner_id or (held[0].award.learner.id if held else "")
    norm = policy_currency(catalogue)
    items: list[Item] = []
    counted_by_spec: dict[str, Held] = {}
    allowed_names = ", ".join(_name(s, lang) for s in (catalogue.specification(c) for c in rule.allowed) if s)
    ordered = sorted(held, key=lambda h: (h.award.awarding_date, h.award.award_id), reverse=True)
    lapsed_copies = {_copy_key(h, catalogue): h for h in ordered
                     if h.refused is None and _not_valid(h, as_of, "") is not None}
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
        if spec is not None and spec.code == rule.target:
            items.append(Item(h, "already-awarded", spec.code, Decimal(0),
                              f"{label} is {target_name} itself, awarded on {award.awarding_date}: the "
                              "learner holds the larger award already, and it is not awarded twice"))
            continue
        if spec is None or spec.code not in rule.allowed:
            items.append(Item(h, "not-allowed", spec.code if spec else None, Decimal(0),
                              f"{label} does not count towards {target_name}: only {allowed_names} do"))
            continue
        if h.valid_from is not None and h.valid_from > as_of:
            items.append(Item(h, "not-yet-awarded", spec.code, Decimal(0),
                              f"{label} is not valid before {h.valid_from} (its validFrom), after {as_of}, "
                              "the date the rule is judged on: it cannot count yet (judge on a later date, "
                              "--as-of)"))
            continue
        if award.awarding_date > as_of:
            items.append(Item(h, "not-yet-awarded", spec.code, Decimal(0),
                              f"{label} was awarded on {award.awarding_date}, after {as_of}, the date the "
                              "rule is judged on: it cannot count yet (judge on a later date, --as-of)"))
            continue
        credits, note = held_credits(h, spec, target)
        if spec.code in counted_by_spec:
            items.append(Item(h, "duplicate", spec.code, Decimal(0),
                              _duplicate(h, counted_by_spec[spec.code], _name(spec, lang), label)))
            continue
        years = currency_years(rule, spec, norm)
        lapsed = _not_valid(h, as_of, label) or _copy_not_valid(h, lapsed_copies, spec.code, as_of, label)
        if lapsed is not None:
            items.append(Item(h, "expired", spec.code, Decimal(0), lapsed))
            continue
        past = _past_currency(h, years, as_of, label, credits)
        if past is not None and not accept_evidence:
            items.append(Item(h, "needs-evidence", spec.code, Decimal(0), past, pending=credits))
            continue
        counted_by_spec[spec.code] = h
        last = last_current_day(h, years)
        until = f" (current until {last})" if last else ""
        level = eqf_level(h, spec)
        caveat = f"; {h.caveat}" if h.caveat else ""
        items.append(Item(h, "counted", spec.code, credits,
                          f"{label} counts {_fmt(credits)} credits towards {target_name}{until}{note}"
                          f"{_below(level, target)}{caveat}", level))
    items = _without_overlaps(items, catalogue, lang)
    total = sum((i.credits for i in items), Decimal(0))
    result = StackResult(rule, items, total, [], as_of, _at_level(items, target))
    held_codes = covered(result, catalogue)
    result.missing_required = [c for c in rule.required if c not in held_codes]
    result.with_evidence = _with_evidence_accepted(result, held, catalogue, learner_id)
    result.explanation = _explain(result, catalogue, target_name, lang)
    return result


def _with_evidence_accepted(result: StackResult, held: list[Held], catalogue: Catalogue,
                            learner_id: str | None) -> StackResult | None:
    """The rule judged again with the parts past their credit currency counted, when that meets
    it and the credits counted do not: duplicates, overlaps, levels and required parts are
    judged as ever."""
    if result.satisfied or not any(i.state == "needs-evidence" for i in result.items):
        return None
    again = check_stack(result.rule, held, catalogue, as_of=result.as_of, learner_id=learner_id,
                        accept_evidence=True)
    return again if again.satisfied else None


def _at_level(items: list[Item], target: Specification | None) -> Decimal:
    """Counted credits at the target's EQF level or above (a part of unknown level is not)."""
    counted = [i for i in items if i.state == "counted"]
    wanted = spec_eqf(target)
    if wanted is None:
        return sum((i.credits for i in counted), Decimal(0))
    return sum((i.credits for i in counted if i.level is not None and i.level >= wanted), Decimal(0))


def _explain(result: StackResult, catalogue: Catalogue, target_name: str, lang: str) -> list[str]:
    rule = result.rule
    lines = []
    if result.already_awarded:
        first = result.already_awarded[0].award
        lines.append(f"NOT SATISFIED: {target_name} was awarded to this learner already ({first.award_id}, "
                     f"{first.awarding_date}); it is not awarded twice.")
    elif result.satisfied:
        lines.append(f"SATISFIED: {_fmt(result.credits)} of {_fmt(rule.min_credits)} credits needed for "
                     f"{target_name} are held and current.")
    else:
        lines.append(f"NOT SATISFIED: {target_name} needs {_fmt(rule.min_credits)} credits; "
                     f"{_fmt(result.credits)} count.")
    lines += [f"  {item.state}: {item.reason}" for item in result.items]
    held_codes = covered(result, catalogue)
    options = [s for s in (catalogue.specification(c) for c in rule.allowed)
               if s is not None and s.code not in held_codes]
    hint = "; still open: " + ", ".join(
        f"{_name(s, lang)}, {_fmt(Decimal(s.credits or 0))} credits" for s in options) if options else ""
    if result.credits < rule.min_credits:
        lines.append(f"  missing: {_fmt(rule.min_credits - result.credits)} more credits{hint}"
                     f"{_with_evidence(result, rule.min_credits - result.credits)}")
    elif not result.counted:
        lines.append(f"  missing: no credential counts towards {target_name}{hint}")
    if result.at_level < rule.level_credits:
        target = catalogue.specification(rule.target)
        level = spec_eqf(target) or "?"
        lines.append(f"  missing: {_fmt(rule.level_credits - result.at_level)} more credits at EQF level "
                     f"{level} or above ({_fmt(result.at_level)} of the {_fmt(rule.level_credits)} needed "
                     "count)")
    for code in result.missing_required:
        spec = catalogue.specification(code)
        pending = [i.held.award.award_id for i in result.items if i.state == "needs-evidence"
                   and i.spec_code == code]
        evidence = f" ({', '.join(pending)} may count with {EVIDENCE})" if pending else ""
        lines.append(f"  missing: {_name(spec, lang) if spec else code} is required{evidence}")
    if result.with_evidence is not None:
        lines.append(_met_with_evidence(result, result.with_evidence))
    if result.satisfied:
        lines += _left_to_assess(result, catalogue.specification(rule.target), target_name)
    return lines


def _met_with_evidence(result: StackResult, accepted: StackResult) -> str:
    """The line saying the rule is met once the parts past their currency that it counts then
    are accepted (of two for one specification, the newer)."""
    pending = {id(i.held) for i in result.items if i.state == "needs-evidence"}
    needed = [i.held.award.award_id for i in accepted.items if i.state == "counted" and id(i.held) in pending]
    return (f"  met with evidence: the rule is met, {_fmt(accepted.credits)} credits counting, if the "
            f"institution accepts {EVIDENCE} for {', '.join(needed)}")


def _with_evidence(result: StackResult, missing: Decimal) -> str:
    """What the parts past their credit currency may bring to the ``missing`` credits with
    further evidence: said, never counted."""
    pending = [i for i in result.items if i.state == "needs-evidence" and i.pending]
    if not pending:
        return ""
    total = sum((i.pending for i in pending), Decimal(0))
    share = "them" if total >= missing else f"{_fmt(total)} of them"
    return f"; {', '.join(i.held.award.award_id for i in pending)} may bring {share} with {EVIDENCE}"


def _left_to_assess(result: StackResult, target: Specification | None, target_name: str) -> list[str]:
    """The target's credits no counted credential brings (a capstone, other modules): the
    larger award claims them, so they are assessed before it is made."""
    if target is None or target.credits is None or result.credits >= Decimal(target.credits):
        return []
    system = vocab.concept("credit-system", target.credit_system.value).codes[0].upper()
    rest = Decimal(target.credits) - result.credits
    return [f"  to assess: {_fmt(rest)} of the {_fmt(Decimal(target.credits))} {system} credits of "
            f"{target_name} come from no credential counted here; the award claims all "
            f"{_fmt(Decimal(target.credits))}, so assess those {_fmt(rest)} credits (such as a capstone or "
            "other modules) before it is made"]
