"""The language of a badge: one language edition per credential, in the catalogue's own texts,
with its other editions named through ``related`` (checked with the official 1EdTech schemas)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft201909Validator, FormatChecker

from edcbridge.badges import clr_credential, open_badge, validate_badge
from edcbridge.model import Award, Catalogue, Specification, parse
from tests.conftest import REFERENCE
from tests.preview_support import first_award, fixture_pairs

OB3 = "ob3-clr/schemas/ob-v3p0/ob_v3p0_achievementcredential_schema.json"
OB3_STRICT = "ob3-clr/schemas/ob-v3p0-formal-2024/achievementcredential.json"
CLR = "ob3-clr/schemas/clr-v2p0/clr_v2p0_clrcredential_schema.json"
ENGLISH_LABELS = ("Learning outcomes", "Assessment:", "Grading:", "Comprehensive Learner Record", "award(s)",
                  " credits")


@cache
def _official(relative: str) -> Draft201909Validator:
    schema = json.loads((REFERENCE / relative).read_text("utf-8"))
    return Draft201909Validator(schema, format_checker=FormatChecker())


def _valid(doc: dict[str, Any], *schemas: str) -> None:
    for relative in schemas:
        assert [e.message for e in _official(relative).iter_errors(doc)] == [], relative
    assert validate_badge(doc, REFERENCE / "ob3-clr") == []


def _texts(spec: Specification, language: str) -> set[str]:
    """Every catalogue text of ``spec`` in ``language`` that a narrative may quote."""
    maps = [spec.title, spec.learning_outcome_summary, *(o.title for o in spec.learning_outcomes)]
    if spec.assessment:
        maps += [spec.assessment.title, spec.assessment.grading_scheme]
    return {m[language] for m in maps if m and language in m}


def _in_language(award: Award, language: str) -> Award:
    return parse(Award, {**award.model_dump(mode="json", exclude_none=True), "language": language})


def _with_spec(catalogue: Catalogue, code: str, **changes: Any) -> Catalogue:
    specs = tuple(s.model_copy(update=changes) if s.code == code else s for s in catalogue.specifications)
    return catalogue.model_copy(update={"specifications": specs})


NON_ENGLISH = [(f"{name}:{award.award_id}", award, catalogue) for name, award, catalogue in fixture_pairs()
               if name in ("sofia", "warsaw", "wales", "cmf")
               and not str(award.language or "").endswith("/ENG")]


@pytest.mark.parametrize(("name", "award", "catalogue"), NON_ENGLISH, ids=[c[0] for c in NON_ENGLISH])
def test_a_non_english_badge_has_no_english_label(name: str, award: Award, catalogue: Catalogue) -> None:
    """The criteria narrative is the catalogue's own texts in the badge's language, nothing else."""
    badge = open_badge(award, catalogue)
    achievement = badge["credentialSubject"]["achievement"]
    language = achievement["inLanguage"]
    assert language != "en"
    spec = catalogue.specification(award.specification)
    assert spec is not None
    narrative = achievement["criteria"]["narrative"]
    lines = [line.removeprefix("- ") for line in narrative.splitlines() if line]
    assert lines and set(lines) <= _texts(spec, language), narrative
    own = {k: v for k, v in achievement.items() if k not in ("creator", "image")}
    shown = json.dumps(own, ensure_ascii=False)
    assert not [label for label in ENGLISH_LABELS if label in shown]
    assert "fieldOfStudy" not in achievement  # the ISCED-F labels are English only


def test_the_criteria_keep_outcomes_assessment_and_grading_apart() -> None:
    award, catalogue = first_award("sofia")
    spec = catalogue.specification(award.specification)
    assert spec is not None and spec.assessment is not None and spec.assessment.grading_scheme
    narrative = open_badge(award, catalogue)["credentialSubject"]["achievement"]["criteria"]["narrative"]
    outcomes, assessment, grading = narrative.split("\n\n")
    assert outcomes.splitlines() == [f"- {o.title['bg']}" for o in spec.learning_outcomes]
    assert (assessment, grading) == (spec.assessment.title["bg"], spec.assessment.grading_scheme["bg"])


def test_the_criteria_keep_the_outcome_summary_beside_the_outcomes() -> None:
    """A specification with a learning outcome summary and learning outcomes gives both: the
    summary, the outcomes as a list, then assessment and grading, each the catalogue's text."""
    award, catalogue = first_award("imperial")
    spec = catalogue.specification(award.specification)
    assert spec is not None and spec.learning_outcome_summary and spec.learning_outcomes
    assert spec.assessment is not None and spec.assessment.grading_scheme
    badge = open_badge(award, catalogue)
    _valid(badge, OB3, OB3_STRICT)
    narrative = badge["credentialSubject"]["achievement"]["criteria"]["narrative"]
    summary, outcomes, assessment, grading = narrative.split("\n\n")
    assert summary == spec.learning_outcome_summary["en"]
    assert outcomes.splitlines() == [f"- {o.title['en']}" for o in spec.learning_outcomes]
    assert (assessment, grading) == (spec.assessment.title["en"], spec.assessment.grading_scheme["en"])


def test_a_learners_record_is_named_with_their_name_and_the_issuers() -> None:
    pairs = [(a, c) for name, a, c in fixture_pairs() if name == "sofia"][:1]
    award, catalogue = pairs[0]
    record = clr_credential(pairs)
    _valid(record, CLR)
    assert record["name"] == "Мария Иванова-Петрова, Софийски университет „Св. Климент Охридски“"
    spec = catalogue.specification(award.specification)
    assert spec is not None and record["description"] == spec.title["bg"]
    assert not [label for label in ENGLISH_LABELS if label in record["name"] + record["description"]]


def test_a_badge_names_its_editions_in_the_titles_other_languages() -> None:
    """OB 3.0 ``related`` is meant for alternate language editions: the Welsh badge names the
    English edition, which is the achievement of the same award issued in English."""
    award, catalogue = first_award("wales")
    welsh = open_badge(award, catalogue)
    english = open_badge(_in_language(award, "en"), catalogue)
    for doc in (welsh, english):
        _valid(doc, OB3, OB3_STRICT)
    cy, en = welsh["credentialSubject"]["achievement"], english["credentialSubject"]["achievement"]
    assert (cy["inLanguage"], en["inLanguage"]) == ("cy", "en") and cy["id"] != en["id"]
    assert cy["related"] == [{"id": en["id"], "type": ["Related"], "inLanguage": "en"}]
    assert en["related"] == [{"id": cy["id"], "type": ["Related"], "inLanguage": "cy"}]
    spec = catalogue.specification(award.specification)
    assert spec is not None
    assert (cy["name"], en["name"]) == (spec.title["cy"], spec.title["en"])
    assert set(en["criteria"]["narrative"].replace("- ", "").split("\n")) - {""} <= _texts(spec, "en")
    assert cy["resultDescription"][0]["id"] != en["resultDescription"][0]["id"]
    assert welsh["credentialSubject"]["id"] == english["credentialSubject"]["id"]  # the same learner


def test_a_badge_is_in_a_language_its_title_has() -> None:
    """A specification titled only in English, in a Welsh catalogue, gives an English badge:
    ``inLanguage`` never claims a language the texts are not in."""
    award, catalogue = first_award("wales")
    spec = catalogue.specification(award.specification)
    assert spec is not None and spec.assessment is not None
    english_only = _with_spec(catalogue, spec.code, title={"en": spec.title["en"]})
    badge = open_badge(award, english_only)
    _valid(badge, OB3, OB3_STRICT)
    achievement = badge["credentialSubject"]["achievement"]
    assert achievement["inLanguage"] == "en" and achievement["name"] == spec.title["en"]
    assert "related" not in achievement
    lines = [line.removeprefix("- ") for line in achievement["criteria"]["narrative"].splitlines() if line]
    assert set(lines) <= _texts(spec, "en")


def test_an_award_language_the_title_lacks_falls_back_to_the_catalogues() -> None:
    award, catalogue = first_award("wales")
    badge = open_badge(_in_language(award, "de"), catalogue)
    assert badge["credentialSubject"]["achievement"]["inLanguage"] == "cy"


def test_a_text_missing_in_the_badges_language_is_left_out_not_borrowed() -> None:
    award, catalogue = first_award("sofia")
    spec = catalogue.specification(award.specification)
    assert spec is not None and spec.assessment is not None and spec.assessment.grading_scheme
    first, *rest = spec.learning_outcomes
    outcomes = (first.model_copy(update={"title": {"en": first.title["en"]}}), *rest)
    grading = {"en": spec.assessment.grading_scheme["en"]}
    assessment = spec.assessment.model_copy(update={"grading_scheme": grading})
    changed = _with_spec(catalogue, spec.code, learning_outcomes=outcomes, assessment=assessment,
                         description={"en": "English only"})
    badge = open_badge(award, changed)
    _valid(badge, OB3, OB3_STRICT)
    achievement = badge["credentialSubject"]["achievement"]
    narrative = achievement["criteria"]["narrative"]
    assert first.title["en"] not in narrative and spec.assessment.grading_scheme["en"] not in narrative
    assert rest[0].title["bg"] in narrative
    assert achievement["description"] == spec.title["bg"]
    assert "resultDescription" not in achievement
    assert "resultDescription" not in badge["credentialSubject"]["result"][0]
    skills = [a for a in achievement["alignment"] if a["targetType"] == "ceasn:Competency"]
    assert first.esco_skills and str(first.esco_skills[0]) in {a["targetUrl"] for a in skills}
    assert first.title["en"] not in {a["targetName"] for a in skills}  # its ESCO code stands in


def test_alignment_names_carry_no_english_words() -> None:
    award, catalogue = first_award("sofia")
    names = {a["targetType"]: a["targetName"]
             for a in open_badge(award, catalogue)["credentialSubject"]["achievement"]["alignment"]}
    assert (names["ext:CreditValue"], names["ext:EQFLevel"]) == ("15 ECTS", "EQF 7")
