"""A JSON number of more than 4,300 digits (Python refuses to convert it) or nesting too deep for
Python's parser is a refused input, not a traceback that stops the whole run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.validation.document import NotACredential, read_credential
from edcbridge.xml.importer import NotImportable, import_file
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
HUGE = "1" * 5000


def test_a_credential_with_a_huge_number_is_not_a_credential(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonld"
    path.write_text('{"@context": [], "x": ' + HUGE + "}", encoding="utf-8")
    with pytest.raises(NotACredential):
        read_credential(path)
    with pytest.raises((NotACredential, NotImportable)):
        import_file(path)


def test_an_awards_line_with_a_huge_number_fails_that_row_only(tmp_path: Path) -> None:
    good = {"award_id": "A-1", "specification": "IMP-MC-MLH", "learner_id": "1", "given_name": "Ann",
            "family_name": "Lee", "email": "ann@example.org", "awarding_date": "2025-07-14",
            "grade": "Merit"}
    path = tmp_path / "awards.jsonl"
    path.write_text(f'{{"award_id": "A-0", "learner_id": {HUGE}}}\n' + json.dumps(good) + "\n"
                    + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    rows = list(iter_awards(path, load_catalogue(CATALOGUE)))
    assert [r.award is not None for r in rows] == [False, True, False]


def test_validate_reads_the_other_files_after_one_with_a_huge_number(tmp_path: Path, store) -> None:
    bad = tmp_path / "bad.jsonld"
    bad.write_text('{"@context": [], "x": ' + HUGE + "}", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bad), str(bad)],
                                env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.output.count("INVALID") == 2
