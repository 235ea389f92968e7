"""Stacking rules: which credentials stack into which larger award, and on what terms.

A rule names the ``target`` specification, the specifications that count towards it
(``allowed``), those that must be among them (``required``), the credits needed
(``min_credits``, in the target's credit system) and the credit currency in years (how long
after its awarding date a credential still counts). Rules come from the catalogue itself,
one per specification with ``has_part``:

* allowed: the ``has_part`` specifications; required: none, or all of them when no part
  carries credits (there is then nothing else to count);
* min_credits: the smaller of the target's credits and the parts' total in the target's
  credit system (what the target adds on top, such as a capstone, is assessed when the larger
  award is made);
* currency_years: the target's ``credit_currency_years``, else each part's own.

A rules file (YAML or JSON) overrides or adds rules::

    rules:
      - target: IMP-PGCERT-DSH
        allowed: [IMP-MC-MLH, IMP-MC-CRA, IMP-MC-DLH]
        required: [IMP-MC-DLH]
        min_credits: 20
        currency_years: 5
"""

from __future__ import annotations

import difflib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edcbridge.model import Catalogue, Specification


class RuleError(ValueError):
    """A rules file that cannot be used; the message names the rule, the problem and the fix."""


class StackRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str = Field(description="Code of the larger award's specification")
    allowed: tuple[str, ...] = Field(description="Specification codes that count towards it")
    required: tuple[str, ...] = Field((), description="Codes that must be among the held credentials")
    min_credits: Decimal = Field(Decimal(0), ge=0, description="Credits needed, in the target's system")
    currency_years: int | None = Field(None, ge=1, strict=True,  # YAML ``yes`` is no number of years
                                       description="Credit currency; none: each part's own")
    source: str = Field("catalogue", description="Where the rule comes from")


def _credits(spec: Specification | None, system: Specification | None = None) -> Decimal:
    """Credits of ``spec``; with ``system``, only when counted in that specification's system."""
    if spec is None or spec.credits is None:
        return Decimal(0)
    if system is not None and spec.credit_system != system.credit_system:
        return Decimal(0)
    return Decimal(spec.credits)


def derive_rules(catalogue: Catalogue) -> dict[str, StackRule]:
    """One rule per specification with ``has_part``, keyed by target code."""
    rules = {}
    for spec in catalogue.specifications:
        if not spec.has_part:
            continue
        parts_total = sum((_credits(catalogue.specification(c), spec) for c in spec.has_part), Decimal(0))
        needed = min(_credits(spec), parts_total) if spec.credits is not None else parts_total
        rules[spec.code] = StackRule(target=spec.code, allowed=spec.has_part,
                                     required=spec.has_part if not parts_total else (),
                                     min_credits=needed, currency_years=spec.credit_currency_years,
                                     source=f"catalogue: has_part of {spec.code}")
    return rules


_HINTS = {
    "model_type": "each rule is a mapping, e.g. {target: CODE, allowed: [CODE, ...], min_credits: 15}",
    "tuple_type": "give a list of specification codes, e.g. [CODE, ...]",
}


def _problem(where: str, error: Any) -> str:
    loc = "".join(f".{part}" for part in error["loc"])
    hint = _HINTS.get(error["type"])
    return f"{where}{loc}: {error['msg']}" + (f"; {hint}" if hint else "")


def _unknown(code: str, catalogue: Catalogue, where: str) -> str:
    codes = [s.code for s in catalogue.specifications]
    close = difflib.get_close_matches(code, codes, n=2, cutoff=0.6)
    fix = f"did you mean {' or '.join(close)}?" if close else f"use one of {', '.join(codes)}"
    return f"{where}: specification {code!r} is not in the catalogue; {fix}"


def load_rules(path: Path, catalogue: Catalogue) -> dict[str, StackRule]:
    """The catalogue's derived rules, overridden by the rules in ``path``."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the rules file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise RuleError(f"{path}: not UTF-8 text (byte {exc.start}); save the rules file as UTF-8") from None
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise RuleError(f"{path}: not valid YAML/JSON: {exc}") from None
    items = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RuleError(f"{path}: expected a mapping with a 'rules' list, e.g. rules: [{{target: CODE, "
                        "allowed: [CODE, ...], min_credits: 15}]")
    rules = derive_rules(catalogue)
    problems = []
    given: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"{path}: rules[{index}]"
        try:
            rule = StackRule.model_validate({**item, "source": f"{path.name} rules[{index}]"}
                                            if isinstance(item, dict) else item)
        except ValidationError as exc:
            problems += [_problem(where, error) for error in exc.errors()]
            continue
        for code in (rule.target, *rule.allowed, *rule.required):
            if catalogue.specification(code) is None:
                problems.append(_unknown(code, catalogue, where))
        if rule.target in rule.allowed:
            problems.append(f"{where}: {rule.target} cannot count towards itself; remove it from allowed")
        outside = [c for c in rule.required if c not in rule.allowed]
        if outside:
            problems.append(f"{where}: required {', '.join(outside)} not in allowed; add them to allowed")
        if rule.target in given:
            problems.append(f"{where}: a second rule for {rule.target} (rules[{given[rule.target]}] is one); "
                            "keep one rule per target")
        given.setdefault(rule.target, index)
        rules[rule.target] = rule
    if problems:
        raise RuleError("\n".join(problems))
    return rules


def rule_for(target: str, rules: dict[str, StackRule], catalogue: Catalogue) -> StackRule:
    rule = rules.get(target)
    if rule is not None:
        return rule
    if catalogue.specification(target) is None:
        raise RuleError(_unknown(target, catalogue, "stack target"))
    stackable = ", ".join(rules) or "none: give a specification has_part in the catalogue or a rules file"
    raise RuleError(f"no stacking rule for {target!r}: it has no has_part in the catalogue and no rules "
                    f"file names it; targets with rules: {stackable}")
