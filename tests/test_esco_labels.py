"""ESCO skills with their labels: carried into every format, checked by the official shapes
and schema, and read back from the EC's own sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edcbridge.badges.ob3 import achievement
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.validation.shacl import validate_shacl
from edcbridge.xml import edc12, xsd
from edcbridge.xml.importer import import_bytes, import_file
from tests.conftest import FIXTURES

SKILL = "http://data.europa.eu/esco/skill/ccdf3597-5c80-410f-896d-e1bdfa223de9"
PLAIN = "          - http://data.europa.eu/esco/skill/372d1969-b1d7-4f1a-b5dc-a2681d32a952\n"
LABELLED = (f"          - iri: {SKILL}\n"
            "            label: {en: stimulate creativity in the team, de: Kreativität im Team anregen}\n")


def _award_with(tmp_path: Path, skill: str) -> tuple[Award, Catalogue]:
    """An Imperial award whose specification has ``skill`` (catalogue text) in place of PLAIN."""
    text = (FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8")
    assert PLAIN in text
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(PLAIN, skill, 1), "utf-8")
    catalogue = load_catalogue(path)
    spec = next(s for s in catalogue.specifications
                if any(str(k) == SKILL for o in s.learning_outcomes for k in o.esco_skills))
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue)
                 if r.award and r.award.specification == spec.code)
    return award, catalogue


@pytest.fixture
def labelled(tmp_path: Path) -> tuple[Award, Catalogue]:
    return _award_with(tmp_path, LABELLED)


def _skills(doc: dict[str, object]) -> list[dict[str, object]]:
    outcomes = doc["credentialSubject"]["hasClaim"]["specifiedBy"]["learningOutcome"]  # type: ignore[index]
    return [s for o in outcomes for s in o.get("relatedESCOSkill", [])]


def test_a_labelled_skill_carries_its_label_in_the_credentials_languages(
        labelled: tuple[Award, Catalogue], store: SchemaStore) -> None:
    award, catalogue = labelled
    doc = to_edc(award, catalogue)
    (skill,) = [s for s in _skills(doc) if s["id"] == SKILL]
    assert skill["prefLabel"] == {"en": "stimulate creativity in the team"}  # German is no language of it
    assert all("prefLabel" not in s for s in _skills(doc) if s["id"] != SKILL)  # given by IRI alone
    assert validate_shacl(doc, store) == []


def test_a_labelled_skill_is_named_in_edc_xml_and_badges(
        labelled: tuple[Award, Catalogue], store: SchemaStore) -> None:
    award, catalogue = labelled
    tree = edc12.to_edc_xml(award, catalogue)
    assert xsd.errors(tree, store, "lxml", xsd.GENERIC_12) == []
    (element,) = [e for e in tree.iter(f"{{{edc12.SNB}}}relatedEscoSkill") if e.get("uri") == SKILL]
    assert [t.text for t in element.iter(f"{{{edc12.SNB}}}text")] == ["stimulate creativity in the team"]
    spec = catalogue.specification(award.specification)
    assert spec is not None
    badge = achievement(spec, catalogue, catalogue.issuer, "en")
    aligned = {a["targetUrl"]: a["targetName"] for a in badge["alignment"]}  # type: ignore[union-attr]
    assert aligned[SKILL] == "stimulate creativity in the team"


def test_skill_labels_are_read_from_the_ecs_sample(reference: Path) -> None:
    sample = reference / "examples" / "elm-repo-v3-jsonld" / "Sample-MC-Annex1-unsigned.jsonld"
    imported = import_file(sample)
    skills = [s for spec in imported.catalogue.specifications for o in spec.learning_outcomes
              for s in o.esco_skills]
    assert any(str(s) == SKILL and s.label == {"en": "stimulate creativity in the team"} for s in skills)


def test_the_published_catalogue_schema_takes_both_forms_of_a_skill() -> None:
    import jsonschema
    import yaml

    from edcbridge.load.formats import input_schemas

    catalogue = input_schemas()["catalogue"]
    schema = {**catalogue["$defs"]["LearningOutcome"], "$defs": catalogue["$defs"]}
    outcome = yaml.safe_load(f"title: {{en: Leads a team}}\nesco_skills:\n{PLAIN}{LABELLED}")
    assert len(outcome["esco_skills"]) == 2
    jsonschema.validate(outcome, schema)  # an IRI, and an IRI with its label
    outcome["esco_skills"] = [{"label": {"en": "no IRI"}}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(outcome, schema)


def test_the_published_catalogue_schema_takes_every_bundled_catalogue() -> None:
    import json

    import jsonschema
    import yaml

    from edcbridge.load.formats import input_schemas

    schema = input_schemas()["catalogue"]
    paths = sorted(FIXTURES.glob("*/catalogue.yaml"))
    assert len(paths) >= 6
    for path in paths:  # as JSON: YAML's dates are strings there
        data = json.loads(json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str))
        jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())
    data["organisations"] = {"x": {"key": "x"}}  # a key inside a keyed mapping is no field of it
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_a_skill_without_a_label_is_kept_as_written_so_re_runs_redo_nothing() -> None:
    """Catalogue digests (what a re-run compares) rest on the model's dump: a skill given by
    its IRI alone dumps as that IRI, as before labels could be given."""
    from edcbridge.model import parse
    from edcbridge.model.records import LearningOutcome

    written = {"title": {"en": "Leads a team"}, "esco_skills": [SKILL, {"iri": SKILL, "label": {"en": "x"}}]}
    assert parse(LearningOutcome, written).model_dump(mode="json") == written


def test_a_label_in_none_of_the_credentials_languages_still_names_the_skill(
        tmp_path: Path, store: SchemaStore) -> None:
    award, catalogue = _award_with(tmp_path, LABELLED.replace("en: stimulate creativity in the team, ", ""))
    doc = to_edc(award, catalogue)
    (skill,) = [s for s in _skills(doc) if s["id"] == SKILL]
    assert skill["prefLabel"] == {"de": "Kreativität im Team anregen"}  # German only: named, as in EDC XML
    assert validate_shacl(doc, store) == []


def test_a_key_inside_a_mapping_keyed_by_key_is_refused(tmp_path: Path) -> None:
    from edcbridge.load.catalogue import CatalogueError

    text = (FIXTURES / "galway" / "catalogue.yaml").read_text("utf-8")
    old = "organisations:\n  galway:\n"
    assert old in text
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, old + "    key: nuig\n", 1), "utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    (error,) = info.value.errors
    assert error.row == 12 and "has a key field too ('nuig')" in error.message
    assert "remove the key field" in error.fix


# A catalogue with labelled ESCO skills, read back from its own EDC JSON-LD and XML credentials.
ENGLISH_LABEL = (f"          - iri: {SKILL}\n"
                 "            label: {en: stimulate creativity in the team}\n")


def _catalogue_skills(catalogue: Catalogue, code: str) -> list[tuple[str, dict[str, str] | None]]:
    spec = catalogue.specification(code)
    assert spec is not None
    return [(str(skill), skill.label) for outcome in spec.learning_outcomes for skill in outcome.esco_skills]


def test_labelled_skills_come_back_from_the_xml_credential(
        tmp_path: Path, store: SchemaStore) -> None:
    award, catalogue = _award_with(tmp_path, ENGLISH_LABEL)
    tree = edc12.to_edc_xml(award, catalogue)
    assert xsd.errors(tree, store, "lxml", xsd.GENERIC_12) == []
    imported = import_bytes(edc12.serialise(tree))
    expected = _catalogue_skills(catalogue, award.specification)
    assert (SKILL, {"en": "stimulate creativity in the team"}) in expected
    assert _catalogue_skills(imported.catalogue, imported.award.specification) == expected


def test_labelled_skills_come_back_from_the_json_ld_credential(tmp_path: Path) -> None:
    award, catalogue = _award_with(tmp_path, ENGLISH_LABEL)
    imported = import_bytes(json.dumps(to_edc(award, catalogue)).encode())
    assert _catalogue_skills(imported.catalogue, imported.award.specification) == \
        _catalogue_skills(catalogue, award.specification)


def test_an_unlabelled_skill_in_edc_xml_is_reported_with_its_fix(tmp_path: Path) -> None:
    """EDC XML requires a targetName: a skill the catalogue does not name has an empty one, which
    each record's findings say, naming the skill and what to write (never silently)."""
    unnamed = PLAIN.strip(" -\n")
    award, catalogue = _award_with(tmp_path, PLAIN.replace(unnamed, SKILL))  # as written, unnamed
    tree = edc12.to_edc_xml(award, catalogue)
    empty = [e.get("uri") for e in tree.iter(f"{{{edc12.SNB}}}relatedEscoSkill")
             if not list(e.iter(f"{{{edc12.SNB}}}text"))]
    assert SKILL in empty
    (finding,) = [f for f in edc12.not_carried(award, catalogue) if f.where == "relatedEscoSkill/targetName"]
    assert finding.severity == "warning"
    assert all(iri in finding.message for iri in empty)
    assert f"{{iri: {SKILL}, label: {{en: " in finding.fix and "learning_outcomes" in finding.fix
    award, catalogue = _award_with(tmp_path, LABELLED)  # named now; other skills of the file are not
    assert not [f for f in edc12.not_carried(award, catalogue)
                if f.where == "relatedEscoSkill/targetName" and SKILL in f.message]


def test_an_unlabelled_skill_in_loq_is_reported_with_its_fix(tmp_path: Path) -> None:
    from edcbridge.xml.loq import to_loq

    unnamed = PLAIN.strip(" -\n")
    _, catalogue = _award_with(tmp_path, PLAIN.replace(unnamed, SKILL))  # as written, unnamed
    where = "specifications[IMP-MC-MLH].learning_outcomes"
    (finding,) = [f for f in to_loq(catalogue).findings if f.where == where]
    assert finding.severity == "info"  # a note: the document is published, as before
    assert SKILL in finding.message and f"{{iri: {SKILL}, label: {{en: " in finding.fix
    _, catalogue = _award_with(tmp_path, LABELLED)
    assert not [f for f in to_loq(catalogue).findings if SKILL in f.message]
