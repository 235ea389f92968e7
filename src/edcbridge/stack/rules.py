"""Stacking rules: which credentials stack into which larger award, and on what terms.

A rule names the ``target`` specification, the specifications that count towards it
(``allowed``), those that must be among them (``required``), the credits needed
(``min_credits``, in the target's credit system), how many of them must be at the target's
EQF level or above (``level_credits``, only from a rules file) and the credit currency in
years (how long after its awarding date a credential still counts). Rules come from the catalogue itself,
one per specification with ``has_part``:

* allowed: the ``has_part`` specifications; required: none, or all of them when no part
  carries credits (there is then nothing else to count);
* min_credits: the smaller of the target's credits and the parts' total in the target's
  credit system (what the target adds on top, such as a capstone, is assessed when the larger
  award is made);
* currency_years: none. A part counts within its own ``credit_currency_years`` (Imperial,
  'Validity': 'For the purpose of stacking [...] credit normally has a currency of 5 years':
  the currency is the stacked credit's), or, when it publishes none, within the currency the
  catalogue's policies set (``imperial``: 5 years), if any. The target's own
  ``credit_currency_years`` is how long the target counts towards a still larger award, not
  how long its parts count towards it. A rules file's ``currency_years`` may shorten a part's
  currency, never extend it.

A rules file (YAML or JSON) overrides or adds rules::

    rules:
      - target: IMP-PGCERT-DSH
        allowed: [IMP-MC-MLH, IMP-MC-CRA, IMP-MC-DLH]
        required: [IMP-MC-DLH]
        min_credits: 20
        currency_years: 5

A rules file that cannot be used is refused with its problems listed, each as
``file:line: rules[i].field: problem; fix``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edcbridge import vocab
from edcbridge.bounded_file import TooLarge, read_bounded
from edcbridge.model import Catalogue, Specification
from edcbridge.yaml_reading import MappingNode, Node, SequenceNode, YAMLError, compose, safe_load


class RuleError(ValueError):
    """A rules file that cannot be used; the message names the rule, the problem and the fix."""


class StackRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str = Field(description="Code of the larger award's specification")
    allowed: tuple[str, ...] = Field(description="Specification codes that count towards it")
    required: tuple[str, ...] = Field((), description="Codes that must be among the held credentials")
    # the bounds of a catalogue's own credits and years: past them is a typo, and a currency of
    # thousands of years would run its end past the calendar
    min_credits: Decimal = Field(Decimal(0), ge=0, le=1000, description="Credits needed, in the target's "
                                 "system")
    level_credits: Decimal = Field(Decimal(0), ge=0, le=1000, description="Of those, the credits needed at "
                                   "the target's EQF level or above (a UK PGCert: 40 of its 60 at level 7)")
    currency_years: int | None = Field(None, ge=1, le=100, strict=True,  # YAML ``yes`` is no number of years
                                       description="Credit currency, at most each part's own; none: "
                                                   "each part's own")
    source: str = Field("catalogue", description="Where the rule comes from")


def _credits(spec: Specification | None, system: Specification | None = None) -> Decimal:
    """Credits of ``spec``; with ``system``, only when counted in that specification's system."""
    if spec is None or spec.credits is None:
        return Decimal(0)
    if system is not None and spec.credit_system != system.credit_system:
        return Decimal(0)
    return Decimal(spec.credits)


def spec_eqf(spec: Specification | None) -> int | None:
    """A specification's EQF level: its ``eqf``, else the EQF level its UK level (``nqf``) is
    referenced to (RQF Level 7: EQF 7; levels 4 and 5: EQF 5; RQF Level 3: EQF 4; Entry Level 3:
    EQF 1; SCQF 7 and 8: EQF 5), as a framework counting in UK levels states it alone."""
    from edcbridge.validation.policy import read_uk_level  # the UK levels' referencing

    if spec is None or spec.eqf is not None:
        return spec.eqf.number if spec is not None and spec.eqf is not None else None
    if not spec.nqf:
        return None
    try:
        label = vocab.concept("nqf", spec.nqf).label
    except KeyError:
        label = spec.nqf
    level = read_uk_level(label)
    return level.eqf if level is not None else None


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
                                     min_credits=needed,
                                     source=f"catalogue: has_part of {spec.code}")
    return rules


_HINTS = {
    "model_type": "each rule is a mapping, e.g. {target: CODE, allowed: [CODE, ...], min_credits: 15}",
    "tuple_type": "give a list of specification codes, e.g. [CODE, ...]",
}


Locate = Callable[..., str]  # (index, *field path) -> "path:line: rules[i].field"


def _node_at(node: Node | None, step: str | int) -> Node | None:
    """The child of a composed YAML node: a mapping's value by key, a sequence's item by index."""
    if isinstance(node, MappingNode):
        return next((value for key, value in node.value if key.value == step), None)
    if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        item: Node = node.value[step]
        return item
    return None


def _locator(path: Path, text: str) -> Locate:
    """Name a place in the rules file by line and field: ``rules.yaml:7: rules[1].allowed[0]``.
    The line is that of the deepest node found along the field path (JSON is read as YAML)."""
    try:
        root = compose(text)
    except YAMLError:
        root = None

    def locate(index: int, *steps: str | int) -> str:
        node = _node_at(_node_at(root, "rules"), index)
        line = node.start_mark.line + 1 if node is not None else None
        for step in steps:
            node = _node_at(node, step)
            if node is None:
                break
            line = node.start_mark.line + 1
        field = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)
        return f"{path}:{line}: rules[{index}]{field}" if line else f"{path}: rules[{index}]{field}"

    return locate


def _problem(locate: Locate, index: int, error: Any) -> str:
    hint = _HINTS.get(error["type"])
    return f"{locate(index, *error['loc'])}: {error['msg']}" + (f"; {hint}" if hint else "")


def _unknown(code: str, catalogue: Catalogue, where: str) -> str:
    codes = [s.code for s in catalogue.specifications]
    close = difflib.get_close_matches(code, codes, n=2, cutoff=0.6)
    fix = f"did you mean {' or '.join(close)}?" if close else f"use one of {', '.join(codes)}"
    return f"{where}: specification {code!r} is not in the catalogue; {fix}"


def _rule_problems(rule: StackRule, index: int, catalogue: Catalogue, locate: Locate) -> list[str]:
    """What makes a well-formed rule unusable: unknown codes, a target counting towards itself,
    required parts that are not allowed, credits the allowed parts can never reach."""
    codes = [(("target",), rule.target), *((("allowed", i), c) for i, c in enumerate(rule.allowed)),
             *((("required", i), c) for i, c in enumerate(rule.required))]
    problems = [_unknown(code, catalogue, locate(index, *field)) for field, code in codes
                if catalogue.specification(code) is None]
    if rule.target in rule.allowed:
        where = locate(index, "allowed", rule.allowed.index(rule.target))
        problems.append(f"{where}: {rule.target} cannot count towards itself; remove it from allowed")
    outside = [c for c in rule.required if c not in rule.allowed]
    if outside:
        where = locate(index, "required", rule.required.index(outside[0]))
        problems.append(f"{where}: required {', '.join(outside)} not in allowed; add them to allowed")
    target = catalogue.specification(rule.target)
    if rule.level_credits and target is not None and spec_eqf(target) is None:
        problems.append(f"{locate(index, 'level_credits')}: {rule.target} has no EQF level to count "
                        "level_credits at; give it eqf in the catalogue or remove level_credits")
    if not problems:
        problems += _unreachable(rule, index, catalogue, locate)
    return problems


def _unreachable(rule: StackRule, index: int, catalogue: Catalogue, locate: Locate) -> list[str]:
    """``min_credits`` above what all allowed specifications carry together can never be met."""
    target = catalogue.specification(rule.target)
    reachable = sum((_credits(catalogue.specification(c), target) for c in dict.fromkeys(rule.allowed)),
                    Decimal(0))
    if rule.min_credits <= reachable or target is None:
        return []
    system = vocab.concept("credit-system", target.credit_system.value).codes[0].upper()
    return [f"{locate(index, 'min_credits')}: min_credits {format(rule.min_credits, 'f')} cannot be reached: "
            f"the allowed specifications carry {format(reachable, 'f')} {system} credits together (credits "
            f"in another credit system count nothing); lower min_credits or allow more specifications"]


RULES_FILE_BYTES = 1024 * 1024
"""Largest rules file read: a rule per target takes a few lines."""


def _rules_text(path: Path) -> str:
    """The rules file as text (line breaks as Python reads text), read to at most RULES_FILE_BYTES."""
    try:
        data = read_bounded(path, RULES_FILE_BYTES)
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the rules file ({exc.strerror})") from None
    except TooLarge:
        raise RuleError(f"{path}: more than {RULES_FILE_BYTES:,} bytes, far more than rules take; "
                        "check that this is the rules file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(f"{path}: not UTF-8 text (byte {exc.start}); save the rules file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_rules(path: Path, catalogue: Catalogue) -> dict[str, StackRule]:
    """The catalogue's derived rules, overridden by the rules in ``path``."""
    text = _rules_text(path)
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else safe_load(text)
    except (YAMLError, json.JSONDecodeError) as exc:
        raise RuleError(f"{path}: not valid YAML/JSON: {exc}") from None
    except RecursionError:
        raise RuleError(f"{path}: the values are nested too deeply to be rules; check the brackets "
                        "and indentation") from None
    items = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RuleError(f"{path}: expected a mapping with a 'rules' list, e.g. rules: [{{target: CODE, "
                        "allowed: [CODE, ...], min_credits: 15}]")
    rules = derive_rules(catalogue)
    locate = _locator(path, text)
    problems = []
    given: dict[str, int] = {}
    for index, item in enumerate(items):
        try:
            rule = StackRule.model_validate({**item, "source": f"{path.name} rules[{index}]"}
                                            if isinstance(item, dict) else item)
        except ValidationError as exc:
            problems += [_problem(locate, index, error) for error in exc.errors()]
            continue
        problems += _rule_problems(rule, index, catalogue, locate)
        if rule.target in given:
            problems.append(f"{locate(index, 'target')}: a second rule for {rule.target} "
                            f"(rules[{given[rule.target]}] is one); keep one rule per target")
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
