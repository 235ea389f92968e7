"""Stacking: check held credentials against a rule, explain, and issue the larger award.

::

    rules = derive_rules(catalogue)                       # or load_rules(path, catalogue)
    result = check_stack(rules["IMP-PGCERT-DSH"], held, catalogue, as_of=date.today())
    print("\\n".join(result.explanation))
    if result.satisfied:
        credential = stacked_credential(result, catalogue, awarding_date=date.today(), grade={"en": "Merit"})
"""

from edcbridge.stack.check import Held, Item, StackResult, check_stack
from edcbridge.stack.issue import NotSatisfied, stacked_award, stacked_credential
from edcbridge.stack.rules import RuleError, StackRule, derive_rules, load_rules, rule_for

__all__ = [
    "Held",
    "Item",
    "NotSatisfied",
    "RuleError",
    "StackResult",
    "StackRule",
    "check_stack",
    "derive_rules",
    "load_rules",
    "rule_for",
    "stacked_award",
    "stacked_credential",
]
