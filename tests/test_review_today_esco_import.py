"""A catalogue with labelled ESCO skills, read back from its own EDC JSON-LD and XML credentials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.xml import edc12, xsd
from edcbridge.xml.importer import import_bytes
from tests.conftest import FIXTURES
from tests.test_esco_labels import PLAIN, SKILL

LABELLED = (f"          - iri: {SKILL}\n"
            "            label: {en: stimulate creativity in the team}\n")


@pytest.fixture
def labelled(tmp_path: Path) -> tuple[Award, Catalogue]:
    text = (FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8")
    assert PLAIN in text
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(PLAIN, LABELLED, 1), "utf-8")
    catalogue = load_catalogue(path)
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue)
                 if r.award and r.award.specification == catalogue.specifications[0].code)
    return award, catalogue


def _skills(catalogue: Catalogue, code: str) -> list[tuple[str, dict[str, str] | None]]:
    spec = catalogue.specification(code)
    assert spec is not None
    return [(str(skill), skill.label) for outcome in spec.learning_outcomes for skill in outcome.esco_skills]


def test_labelled_skills_come_back_from_the_xml_credential(labelled: tuple[Award, Catalogue],
                                                            store: SchemaStore) -> None:
    award, catalogue = labelled
    tree = edc12.to_edc_xml(award, catalogue)
    assert xsd.errors(tree, store, "lxml", xsd.GENERIC_12) == []
    imported = import_bytes(edc12.serialise(tree))
    expected = _skills(catalogue, award.specification)
    assert (SKILL, {"en": "stimulate creativity in the team"}) in expected
    assert _skills(imported.catalogue, imported.award.specification) == expected


def test_labelled_skills_come_back_from_the_json_ld_credential(labelled: tuple[Award, Catalogue]) -> None:
    award, catalogue = labelled
    imported = import_bytes(json.dumps(to_edc(award, catalogue)).encode())
    assert _skills(imported.catalogue, imported.award.specification) == \
        _skills(catalogue, award.specification)
