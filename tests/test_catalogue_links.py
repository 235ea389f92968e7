"""The addresses of a catalogue: an ESCO skill not in ESCO's form is an error at its line (every
credential would carry a link to nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edcbridge.load import CatalogueError, load_catalogue
from edcbridge.load.errors import RecordError
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial" / "catalogue.yaml"
SKILL = "http://data.europa.eu/esco/skill/372d1969-b1d7-4f1a-b5dc-a2681d32a952"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = IMPERIAL.read_text("utf-8")
    assert old in text, old
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def _errors(path: Path) -> list[RecordError]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return caught.value.errors


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


@pytest.mark.parametrize(("written", "why", "fix"), [
    ("http://data.europa.eu/esco/skil/372d1969-b1d7-4f1a-b5dc-a2681d32a952", "under http://data.europa.eu/esco/skill/",
     SKILL),
    ("https://data.europa.eu/esco/skill/372d1969-b1d7-4f1a-b5dc-a2681d32a952", "with http://", SKILL),
    ("http://data.europa.eu/esco/skill/372d1969-b1d7-4f1a-b5dc-a2681d32a95", "not the UUID", "skill's UUID"),
    ("http://data.europa.eu/esco/skill/372D1969-B1D7-4F1A-B5DC-A2681D32A952", "not the UUID", SKILL),
    ("http://data.europa.eu/esco/occupation/372d1969-b1d7-4f1a-b5dc-a2681d32a952", "occupation",
     "skill's UUID"),
    ("https://esco.ec.europa.eu/en/classification/skill?uri=x", "not in ESCO", "skill's UUID"),
])
def test_an_esco_skill_not_in_escos_form_is_an_error_at_its_line(
        tmp_path: Path, written: str, why: str, fix: str) -> None:
    path = _variant(tmp_path, SKILL, written)
    [error] = _errors(path)
    assert error.row == _line_of(path, written), error.render()
    assert error.column == "specifications[IMP-MC-MLH].learning_outcomes[0].esco_skills[0]"
    assert why in error.message and fix in error.fix, error.render()


@pytest.mark.parametrize("written", [SKILL, "http://data.europa.eu/esco/skill/S1.2.3",
                                     "http://data.europa.eu/esco/skill/T1"])
def test_skills_and_skill_groups_in_escos_form_are_read(tmp_path: Path, written: str) -> None:
    catalogue = load_catalogue(_variant(tmp_path, SKILL, written))
    assert str(catalogue.specifications[0].learning_outcomes[0].esco_skills[0].iri) == written
