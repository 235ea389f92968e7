"""A grade for a specification the catalogue gives no assessment: a credential holds a grade only
as an assessment's result, so the grade would be left out of it without a word. The row loads,
with a warning naming the specification and what to add to the catalogue."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from edcbridge.load import iter_awards, load_catalogue
from tests.conftest import FIXTURES


def _unassessed_copy(tmp_path: Path, code: str) -> Path:
    """The imperial catalogue with the assessment of ``code`` taken out."""
    folder = tmp_path / "imperial"
    shutil.copytree(FIXTURES / "imperial", folder)
    path = folder / "catalogue.yaml"
    text = path.read_text("utf-8")
    start = text.index(f"- code: {code}\n")
    block = re.compile(r"\n    assessment:\n(?:      .*\n)+")
    found = block.search(text, start)
    assert found is not None
    path.write_text(text[:found.start()] + "\n" + text[found.end():], "utf-8")
    return path


def test_a_grade_the_credential_cannot_hold_is_warned_of(tmp_path: Path) -> None:
    path = _unassessed_copy(tmp_path, "IMP-MC-MLH")
    catalogue = load_catalogue(path)
    assert next(s for s in catalogue.specifications if s.code == "IMP-MC-MLH").assessment is None
    rows = list(iter_awards(path.parent / "awards.csv", catalogue))
    assert rows and all(row.award is not None for row in rows)
    mine = [row for row in rows if row.award is not None and row.award.specification == "IMP-MC-MLH"]
    others = [row for row in rows if row not in mine]
    assert mine and others
    for row in mine:
        said = [w for w in row.warnings if "carries no grade" in w.message]
        assert row.award is not None and row.award.grade
        (warning,) = said
        assert warning.column == "grade" and warning.value == next(iter(row.award.grade.values()))
        assert "IMP-MC-MLH has no assessment" in warning.message
        assert "add an assessment" in warning.fix and "leave the grade empty" in warning.fix
    assert not [w for row in others for w in row.warnings if "carries no grade" in w.message]


def test_an_assessed_specification_gives_no_such_warning() -> None:
    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    rows = list(iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue))
    assert rows and not [w for row in rows for w in row.warnings if "carries no grade" in w.message]
