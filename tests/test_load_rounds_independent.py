"""A row's problems in one run: each fault that can be judged on its own is said together with
the others (no second run after fixing the e-mail to learn the language is wrong), and no error
that only follows from another field's error is said at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from edcbridge.load import LoadedRow, iter_awards
from tests.test_load_inputs import CATALOGUE, _csv, _xlsx

HEADER = ["award_id", "specification", "learner_id", "given_name", "family_name", "given_name@en",
          "date_of_birth", "email", "national_id", "national_id_country", "awarding_date", "issued",
          "grade", "language", "valid_until", "issuer"]
GOOD: dict[str, Any] = {"award_id": "A1", "specification": "IMP-MC-MLH", "learner_id": "02214587",
                        "given_name": "Chloé", "family_name": "Lefèvre", "date_of_birth": "1994-03-17",
                        "email": "chloe@example.org", "awarding_date": "2025-07-14", "grade": "Merit"}

# one fault each: the cells it changes, and what it is said as (column, start of the message)
FAULTS: dict[str, tuple[dict[str, Any], tuple[str, str]]] = {
    "email": ({"email": "chloe(at)example.org"}, ("email", "'chloe(at)example.org' is not an e-mail")),
    "no-title": ({"language": "fr"}, ("language", "IMP-MC-MLH has no title in 'fr'")),
    "language": ({"language": "xx"}, ("language", "'xx' is not a known language")),
    "failed": ({"grade": "Fail"}, ("grade", "the grade says the learner did not pass")),
    "no-grade": ({"grade": ""}, ("grade", "IMP-MC-MLH is assessed")),
    "born-after": ({"date_of_birth": "2026-01-01"}, ("date_of_birth", "date_of_birth is not before")),
    "not-a-date": ({"date_of_birth": "1994-02-30"}, ("date_of_birth", "'1994-02-30' is not a date")),
    "valid-before": ({"valid_until": "2024-01-01"}, ("valid_until", "valid_until is before")),
    "local-date": ({"awarding_date": "14/07/2025"}, ("awarding_date", "'14/07/2025' is not a date")),
    "issued-before": ({"issued": "2025-07-13T10:00:00Z"}, ("issued", "issued is before awarding_date")),
    "no-zone": ({"issued": "2025-07-15T10:00:00"}, ("issued", "the date-time has no time zone")),
    "specification": ({"specification": "IMP-MC-XXX"}, ("specification", "no such specification")),
    "issuer": ({"issuer": "nobody"}, ("issuer", "no such organisation")),
    "country": ({"national_id": "AB123"}, ("national_id_country", "national_id needs the country")),
    "learner-id": ({"learner_id": ""}, ("learner_id", "a required value is missing")),
    "two-texts": ({"given_name@en": "Chloe"}, ("given_name@en", "given_name gives two different")),
}

# pairs and triples of independent faults: before, only the first was said, the others once it
# was fixed (the model's errors hid every later check; an unknown specification hid the issuer
# and the grade; an award's error hid that its id was a duplicate)
TOGETHER = [
    ("email", "no-title"), ("email", "failed"), ("email", "no-grade"), ("email", "born-after"),
    ("email", "valid-before"), ("email", "issued-before"), ("email", "issuer"),
    ("language", "failed", "issuer"), ("not-a-date", "no-title", "failed"),
    ("local-date", "failed", "issuer"), ("no-zone", "born-after", "no-title"),
    ("specification", "failed", "issuer"), ("specification", "born-after", "email"),
    ("country", "valid-before", "no-grade"), ("learner-id", "issued-before", "no-title"),
    ("two-texts", "email", "failed"),
]


def _file(tmp_path: Path, kind: str, rows: list[dict[str, Any]]) -> Path:
    lines = [[row.get(column, "") for column in HEADER] for row in rows]
    if kind == "xlsx":
        return _xlsx(tmp_path, [[None if v == "" else v for v in line] for line in lines], header=HEADER)
    return _csv(tmp_path, [HEADER, *lines])


def _said(tmp_path: Path, kind: str, *rows: dict[str, Any]) -> list[LoadedRow]:
    return list(iter_awards(_file(tmp_path, kind, [{**GOOD, **row} for row in rows]), CATALOGUE))


def _where(row: LoadedRow) -> set[tuple[str | None, str]]:
    return {(e.column, e.message) for e in row.errors}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("names", TOGETHER, ids="+".join)
def test_independent_faults_of_a_row_are_said_in_one_run(tmp_path: Path, kind: str,
                                                         names: tuple[str, ...]) -> None:
    changes = {k: v for name in names for k, v in FAULTS[name][0].items()}
    [row] = _said(tmp_path, kind, changes)
    assert row.award is None
    said = _where(row)
    for name in names:
        column, start = FAULTS[name][1]
        assert any(c == column and m.startswith(start) for c, m in said), (name, said)
    assert len(row.errors) == len(names), said  # nothing more: no follow-on, no error twice


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("name", FAULTS)
def test_each_fault_alone_is_one_error(tmp_path: Path, kind: str, name: str) -> None:
    [row] = _said(tmp_path, kind, FAULTS[name][0])
    [error] = row.errors
    assert (error.column, error.message[:len(FAULTS[name][1][1])]) == FAULTS[name][1]
    assert error.file.endswith(f"awards.{kind}") and error.row == 2 and error.fix


def test_a_refused_cell_is_not_checked_again_against_the_catalogue(tmp_path: Path) -> None:
    """TRUE in issuer and #N/A in specification are refused as cells; 'no such organisation' or
    'no such specification' would only repeat it, and the grade still is checked."""
    [row] = _said(tmp_path, "xlsx", {"issuer": True, "specification": "#N/A", "grade": "Fail"})
    assert sorted(e.column or "" for e in row.errors) == ["grade", "issuer", "specification"]
    assert not any(e.message.startswith("no such") for e in row.errors)


def test_a_mistyped_awarding_year_is_not_said_again_through_other_dates(tmp_path: Path) -> None:
    [row] = _said(tmp_path, "csv", {"awarding_date": "2205-07-14", "issued": "2025-07-15T10:00:00Z",
                                    "valid_until": "2030-07-14"})
    [error] = row.errors
    assert error.column == "awarding_date" and "years after today" in error.message


def test_a_refused_awarding_date_leaves_the_dates_after_it_unjudged(tmp_path: Path) -> None:
    [row] = _said(tmp_path, "xlsx", {"awarding_date": dt.time(7, 10), "valid_until": "2024-01-01",
                                     "grade": "Fail"})
    assert sorted(e.column or "" for e in row.errors) == ["awarding_date", "grade"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("refused", [0, 1])
def test_a_duplicate_award_id_is_said_even_when_one_of_the_rows_is_refused(tmp_path: Path, kind: str,
                                                                           refused: int) -> None:
    rows: list[dict[str, Any]] = [{}, {}]
    rows[refused] = {"email": "x(at)y"}
    first, second = _said(tmp_path, kind, *rows)
    assert first.award is None if refused == 0 else first.award is not None
    assert second.award is None
    assert ("award_id", "duplicate of row 2") in _where(second)
    assert len(second.errors) == 1 + refused


def test_award_ids_refused_as_lost_digits_are_not_called_duplicates(tmp_path: Path) -> None:
    rows = _said(tmp_path, "csv", {"award_id": "2.21459E+06"}, {"award_id": "2.21459E+06"})
    assert [len(r.errors) for r in rows] == [1, 1]
    assert all("scientific notation" in r.errors[0].message for r in rows)


def test_each_text_column_of_an_unknown_language_is_named(tmp_path: Path) -> None:
    """The model stops at a field's first bad language and names the field; the clerk needs
    every such column, by the name the file gives it."""
    header = [*HEADER, "given_name@zz", "given_name@ell"]
    path = _csv(tmp_path, [header, [{**GOOD, "given_name@zz": "A", "given_name@ell": "Β",
                                     "email": "x(at)y"}.get(c, "") for c in header]])
    [row] = iter_awards(path, CATALOGUE)
    assert {(e.column, e.value) for e in row.errors} == {
        ("given_name@zz", "A"), ("given_name@ell", "Β"), ("email", "x(at)y")}
    fixes = {e.column: e.fix for e in row.errors}
    assert fixes["given_name@ell"] == "did you mean given_name@el?"
    assert "ISO 639-1" in fixes["given_name@zz"]


def test_a_good_row_still_loads_without_errors_or_warnings(tmp_path: Path) -> None:
    for kind in ("csv", "xlsx"):
        [row] = _said(tmp_path, kind, {})
        assert row.award is not None and row.errors == () and row.warnings == ()
