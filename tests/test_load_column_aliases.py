"""Headers as student systems and hand-made sheets name the columns ('AwardID', 'Surname',
'DOB', 'E-mail'): each read as the one column it can mean, said once per file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import InputFileError, LoadedRow, iter_awards
from tests.test_load_inputs import CATALOGUE, GOOD, HEADER, _csv, _xlsx

ALIASED = ["AwardID", "specification", "Student number", "First name", "Surname", "DOB",
           "awarding_date", "grade", "E-mail"]
ROW = [*GOOD, "chloe@example.org"]
READ_AS = [("AwardID", "award_id"), ("Student number", "learner_id"), ("First name", "given_name"),
           ("Surname", "family_name"), ("DOB", "date_of_birth"), ("E-mail", "email")]


def _rows(path: Path) -> list[LoadedRow]:
    return list(iter_awards(path, CATALOGUE))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_aliased_header_is_read_as_its_columns(tmp_path: Path, kind: str) -> None:
    path = _csv(tmp_path, [ALIASED, ROW]) if kind == "csv" else _xlsx(tmp_path, [ROW], header=ALIASED)
    [row] = _rows(path)
    assert row.errors == () and row.award is not None
    assert (row.award.award_id, row.award.learner.id) == ("A1", "02214587")
    assert row.award.learner.given_name == {"en": "Chloé"}
    assert row.award.learner.family_name == {"en": "Lefèvre"}
    assert str(row.award.learner.date_of_birth) == "1994-03-17"
    assert row.award.learner.email == "chloe@example.org"


def test_each_alias_is_named_once_on_the_first_award(tmp_path: Path) -> None:
    second = [f"A2{ROW[0][2:]}", *ROW[1:]]
    first, other = _rows(_csv(tmp_path, [ALIASED, ROW, second]))
    assert [(w.row, w.column, w.message) for w in first.warnings] == [
        (1, name, f"the column {name!r} is read as {column}") for name, column in READ_AS]
    assert other.warnings == ()


def test_a_json_key_by_an_alias_is_read_and_named_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "awards.jsonl"
    good = dict(zip(HEADER, GOOD, strict=True))
    aliased = {("Surname" if k == "family_name" else k): v for k, v in good.items()}
    path.write_text(json.dumps(aliased) + "\n", "utf-8")
    [row] = _rows(path)
    assert row.errors == () and row.award is not None
    assert row.award.learner.family_name == {"en": "Lefèvre"}
    assert [(w.row, w.column, w.message) for w in row.warnings] == [
        (1, "Surname", "the column 'Surname' is read as family_name")]


def test_errors_of_an_aliased_column_name_it_as_the_file_does(tmp_path: Path) -> None:
    bad = list(ROW)
    bad[ALIASED.index("DOB")] = "17/03/1994"
    [row] = _rows(_csv(tmp_path, [ALIASED, bad]))
    assert [(e.column, e.fix) for e in row.errors] == [("DOB", "write it as YYYY-MM-DD: 1994-03-17")]


@pytest.mark.parametrize("name", ["Name", "Date", "ID", "Number"])
def test_a_name_that_could_mean_two_columns_stays_unknown(tmp_path: Path, name: str) -> None:
    [header_row, _] = _rows(_csv(tmp_path, [[*HEADER, name], [*GOOD, "x"]]))
    assert [(e.column, e.message) for e in header_row.errors] == [(name, f"unknown column {name!r}")]


def test_an_alias_beside_its_column_is_one_column_in_two_spellings(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as caught:
        _rows(_csv(tmp_path, [[*HEADER, "Surname"], [*GOOD, "Lefèvre"]]))
    assert "names the column family_name twice" in caught.value.error.message


def _published_aliases() -> list[tuple[str, str]]:
    """(alias, column) as 'edcbridge formats --kind award' names them."""
    result = CliRunner().invoke(main, ["formats", "--kind", "award"])
    assert result.exit_code == 0, result.output
    found = []
    for column, schema in json.loads(result.stdout)["properties"].items():
        _, _, named = schema["description"].partition("also read from a column named ")
        found += [(alias, column) for alias in re.findall(r"'([^']+)'", named)]
    return found


def test_formats_names_the_aliases_of_each_column() -> None:
    published = _published_aliases()
    assert {("Surname", "family_name"), ("DOB", "date_of_birth"), ("E-mail", "email"),
            ("AwardID", "award_id"), ("First name", "given_name")} <= set(published)


def test_every_alias_formats_names_is_read_as_its_column(tmp_path: Path) -> None:
    published = _published_aliases()
    assert published
    for alias, column in published:
        header = [alias if name == column else name for name in [*HEADER, "email", "full_name"]]
        values = [*GOOD, "chloe@example.org", "Chloé Lefèvre"]
        [row] = _rows(_csv(tmp_path, [header, values]))
        assert row.errors == () and [w.message for w in row.warnings] == [
            f"the column {alias!r} is read as {column}"], alias


def test_a_duplicate_award_id_names_the_aliased_header(tmp_path: Path) -> None:
    _, duplicate = _rows(_csv(tmp_path, [ALIASED, ROW, ROW]))
    assert [(e.column, e.message) for e in duplicate.errors] == [("AwardID", "duplicate of row 2")]
    assert duplicate.key_refused
