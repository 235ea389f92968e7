"""The validated internal model every loader produces and every mapper reads."""

from edcbridge.model.records import (
    Assessment,
    Award,
    Catalogue,
    EscoSkill,
    Learner,
    LearningOutcome,
    Organisation,
    QualityAssurance,
    Specification,
    parse,
)
from edcbridge.model.text import LangText, pick

__all__ = [
    "Assessment",
    "Award",
    "Catalogue",
    "EscoSkill",
    "LangText",
    "Learner",
    "LearningOutcome",
    "Organisation",
    "QualityAssurance",
    "Specification",
    "parse",
    "pick",
]
