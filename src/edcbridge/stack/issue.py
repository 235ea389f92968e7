"""Issue the larger credential when a stacking rule is satisfied.

The result is an ordinary EDC 3.2 credential for the target specification whose learning
achievement lists the counted credentials' achievements in ``hasPart`` (each with its own
title, awarding body and date, grade and specification), so a verifier sees what it was built
from. Its award id is derived from the parts, so checking the same credentials again gives
the same credential.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from typing import Any

from edcbridge.mapping.edc import to_edc
from edcbridge.mapping.nodes import assign_ids
from edcbridge.model import Award, Catalogue, parse
from edcbridge.stack.check import StackResult


class NotSatisfied(ValueError):
    """The rule is not satisfied: nothing can be issued (the explanation says why)."""


def _check_date(result: StackResult, awarding_date: dt.date) -> None:
    """The larger award is made no earlier than its latest part and no later than the day its
    parts were judged on (their currency and validity could end in between)."""
    latest = max(h.award.awarding_date for h in result.counted)
    if not latest <= awarding_date <= result.as_of:
        raise NotSatisfied(f"the larger award cannot be dated {awarding_date}: its latest part was awarded "
                           f"on {latest} and the parts were judged on {result.as_of}; date it between the "
                           "two, or judge the parts again on the awarding date")


def stacked_award(result: StackResult, catalogue: Catalogue, *, awarding_date: dt.date,
                  award_id: str | None = None, grade: dict[str, str] | None = None) -> Award:
    counted = result.counted
    if not result.satisfied or not counted:
        raise NotSatisfied("\n".join(result.explanation))
    spec = catalogue.specification(result.rule.target)
    if spec is None:
        raise NotSatisfied(f"target {result.rule.target!r} is not in the catalogue")
    if spec.assessment is not None and not grade:
        raise NotSatisfied(f"{spec.code} is assessed ({next(iter(spec.assessment.title.values()))}): "
                           "give the grade of the larger award (--grade)")
    _check_date(result, awarding_date)
    learner = counted[0].award.learner
    parts = sorted(h.award.award_id for h in counted)
    digest = hashlib.sha256("/".join(parts).encode("utf-8")).hexdigest()[:10].upper()
    data: dict[str, Any] = {
        "award_id": award_id or f"{spec.code}-{learner.id}-{digest}",
        "specification": spec.code,
        "learner": learner.model_dump(mode="json", exclude_none=True),
        "awarding_date": awarding_date.isoformat(),
    }
    if grade:
        data["grade"] = grade
    return parse(Award, data)


def stacked_credential(result: StackResult, catalogue: Catalogue, *, awarding_date: dt.date,
                       award_id: str | None = None, grade: dict[str, str] | None = None) -> dict[str, Any]:
    """The larger EDC credential, its achievement linking the counted parts with ``hasPart``."""
    award = stacked_award(result, catalogue, awarding_date=awarding_date, award_id=award_id, grade=grade)
    doc = copy.deepcopy(to_edc(award, catalogue))
    claim = doc["credentialSubject"]["hasClaim"]
    parts = []
    for held in result.counted:
        part_doc = copy.deepcopy(to_edc(held.award, held.catalogue))
        part = part_doc["credentialSubject"]["hasClaim"]
        parts.append(part)
    claim["hasPart"] = parts
    return assign_ids(doc)  # type: ignore[no-any-return]
