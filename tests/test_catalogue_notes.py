"""What a run notes of a catalogue before its credentials: ESCO skills without their label (and
an Open Badge does not pass a learning outcome's title off as the skill's name), and ECTS
credits that look like UK credits."""

from __future__ import annotations

from typing import Any

from edcbridge.badges import open_badge
from edcbridge.mapping.edc import catalogue_notes, to_edc
from edcbridge.model import Catalogue, EscoSkill
from tests.preview_support import first_award

LABEL = {"en": "stimulate creativity in the team", "ga": "cruthaitheacht a spreagadh san fhoireann"}


def _skill_notes(catalogue: Catalogue) -> list[str]:
    return [note for note in catalogue_notes(catalogue) if "ESCO" in note]


def _labelled(catalogue: Catalogue) -> Catalogue:
    specifications = []
    for spec in catalogue.specifications:
        outcomes = tuple(outcome.model_copy(update={"esco_skills": tuple(
            EscoSkill(iri=skill.iri, label=LABEL) for skill in outcome.esco_skills)})
            for outcome in spec.learning_outcomes)
        specifications.append(spec.model_copy(update={"learning_outcomes": outcomes}))
    return catalogue.model_copy(update={"specifications": tuple(specifications)})


def _skills(doc: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(doc, dict):
        if "/esco/skill/" in str(doc.get("id", "")):
            found.append(doc)
        for value in doc.values():
            found += _skills(value)
    elif isinstance(doc, list):
        for value in doc:
            found += _skills(value)
    return found


def test_skills_without_a_label_are_named_once_with_the_fix() -> None:
    _, catalogue = first_award("galway")
    iris = list(dict.fromkeys(str(skill.iri) for spec in catalogue.specifications
                              for outcome in spec.learning_outcomes for skill in outcome.esco_skills))
    assert iris
    notes = _skill_notes(catalogue)
    assert len(notes) == 1
    assert notes[0].startswith(f"{len(iris)} ESCO skills have no label ({iris[0]}")
    assert "label: {en:" in notes[0] and "bare address" in notes[0]


def test_labelled_skills_need_no_note_and_are_named_in_the_credential() -> None:
    award, catalogue = first_award("galway")
    labelled = _labelled(catalogue)
    assert _skill_notes(labelled) == []
    skills = _skills(to_edc(award, labelled))
    assert skills and all(skill["prefLabel"] == LABEL for skill in skills)
    assert all("prefLabel" not in skill for skill in _skills(to_edc(award, catalogue)))


def test_a_badge_names_an_unlabelled_skill_by_its_code_not_by_an_outcomes_title() -> None:
    award, catalogue = first_award("galway")
    spec = catalogue.specification(award.specification)
    assert spec is not None
    titles = {text for outcome in spec.learning_outcomes for text in outcome.title.values()}
    for catalogue_used, labelled in ((catalogue, False), (_labelled(catalogue), True)):
        alignment = open_badge(award, catalogue_used)["credentialSubject"]["achievement"]["alignment"]
        skills = [a for a in alignment if a["targetType"] == "ceasn:Competency"]
        assert skills
        for skill in skills:
            assert skill["targetName"] not in titles
            expected = LABEL["ga"] if labelled else skill["targetUrl"].rsplit("/", 1)[-1]  # an Irish award
            assert skill["targetName"] == expected


def test_ects_credits_of_ten_hours_each_are_said_to_look_like_uk_credits() -> None:
    _, catalogue = first_award("imperial")
    spec = next(s for s in catalogue.specifications if s.credits and s.hours)
    assert not [n for n in catalogue_notes(catalogue) if "UK credits" in n]  # 25 hours per credit
    uk = spec.model_copy(update={"credits": spec.credits * 2, "hours": spec.credits * 20})
    changed = catalogue.model_copy(update={"specifications": tuple(
        uk if s.code == spec.code else s for s in catalogue.specifications)})
    (note,) = [n for n in catalogue_notes(changed) if "UK credits" in n]
    assert spec.code in note and "10 hours per credit" in note
    assert f"write credits: {spec.credits.normalize():f}" in note


def test_a_learning_outcome_listing_several_is_said_to_be_stated_as_one() -> None:
    _, catalogue = first_award("imperial")
    spec = catalogue.specifications[0]
    assert not [n for n in catalogue_notes(catalogue) if "learning outcomes" in n]
    listed = {"en": "1. Cleans data\n2. Trains models"}
    pasted = spec.learning_outcomes[0].model_copy(update={"title": listed})
    changed = catalogue.model_copy(update={"specifications": (
        spec.model_copy(update={"learning_outcomes": (pasted, *spec.learning_outcomes[1:])}),
        *catalogue.specifications[1:])})
    (note,) = [n for n in catalogue_notes(changed) if "learning outcomes" in n]
    assert f"specification {spec.code}: learning_outcomes[0].title.en lists 2 learning outcomes" in note
