"""The full record's labels: ELM's property and class names read as words."""

from __future__ import annotations

import pytest

from edcbridge.preview.page import human


@pytest.mark.parametrize(("name", "words"), [
    ("dateOfBirth", "Date of birth"),
    ("volumeOfLearning", "Volume of learning"),
    ("isPartOf", "Is part of"),
    ("ShaclValidator2017", "SHACL validator 2017"),
    ("eqfLevel", "EQF level"),
    ("nqfLevel", "NQF level"),
    ("idVerification", "ID verification"),
    ("eIDASIdentifier", "eIDAS identifier"),
    ("relatedESCOSkill", "Related ESCO skill"),
    ("contentURL", "Content URL"),
    ("LearningAchievementSpecification", "Learning achievement specification"),
    ("awarding_body", "Awarding body"),
])
def test_a_name_reads_as_words(name: str, words: str) -> None:
    assert human(name) == words
