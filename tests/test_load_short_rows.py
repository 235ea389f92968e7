"""A CSV row with fewer cells than the header: its last columns are read as empty, as they
should be when a program leaves out trailing empty cells, but a lost delimiter or a line broken
inside an unquoted value gives such a row too. The row loads, with a warning saying so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import LoadedRow, iter_awards, load_catalogue
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
SOURCE = FIXTURES / "imperial" / "awards.csv"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _lines() -> tuple[str, list[str]]:
    """The fixture's header and rows, as written (every row has each column's cell)."""
    header, *rows = SOURCE.read_text("utf-8-sig").splitlines()
    assert all(row.count(",") == header.count(",") for row in rows)
    return header, rows


def _load(path: Path, lines: list[str]) -> list[LoadedRow]:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return list(iter_awards(path, load_catalogue(CATALOGUE)))


def _short(row: LoadedRow) -> list[str]:
    return [w.render() for w in row.warnings if "fewer cells" in w.message]


def test_a_row_without_its_trailing_empty_cell_loads_with_a_warning(tmp_path: Path) -> None:
    header, (first, second, *_) = _lines()
    assert first.endswith(",") and header.endswith(",valid_until")
    path = tmp_path / "awards.csv"
    rows = _load(path, [header, first[:-1], second])
    assert [row.award is not None for row in rows] == [True, True]
    (warning,) = rows[0].warnings
    columns = header.count(",") + 1
    assert warning.file == str(path) and warning.row == 2
    assert f"{columns - 1} cells" in warning.message and f"header's {columns}" in warning.message
    assert "valid_until" in warning.message
    assert "quote" in warning.fix and "line break" in warning.fix and "trailing empty cells" in warning.fix
    assert not rows[1].warnings


def test_a_line_broken_inside_an_unquoted_value_is_warned_of(tmp_path: Path) -> None:
    """Grade 'Distinction' broken after 'Dist': the first half loads, its row warned of, the
    second half fails as no award."""
    header, (first, *_) = _lines()
    broken = first.replace(",Distinction,", ",Dist\ninction,")
    rows = _load(tmp_path / "awards.csv", [header, broken])
    assert rows[0].award is not None and rows[0].award.grade is not None
    (said,) = _short(rows[0])
    assert "awards.csv:2:" in said and "valid_until" in said
    assert rows[1].award is None and rows[1].row == 3


def test_a_short_row_that_fails_is_said_to_be_short_beside_its_errors(tmp_path: Path) -> None:
    """The second half of a broken line fails; that it is short is the likeliest cause, said last."""
    header, (first, *_) = _lines()
    broken = first.replace(",Distinction,", ",Dist\ninction,")
    rows = _load(tmp_path / "awards.csv", [header, broken])
    failed = rows[1]
    assert failed.award is None and len(failed.errors) > 1
    last = failed.errors[-1]
    assert "fewer cells than the header" in last.message and last.row == 3
    assert "line break" in last.fix
    assert not failed.warnings


def test_a_row_cut_short_that_fails_as_an_award_is_said_to_be_short_too(tmp_path: Path) -> None:
    """A row of its first four cells: several required columns filled, the others missing."""
    header, (first, *_) = _lines()
    rows = _load(tmp_path / "awards.csv", [header, ",".join(first.split(",")[:4])])
    (failed,) = rows
    assert failed.award is None
    messages = [e.message for e in failed.errors]
    assert len(messages) > 1 and "fewer cells than the header (4 cells" in messages[-1]
    assert not any("fewer cells" in m for m in messages[:-1])


def test_a_header_ending_in_empty_cells_asks_no_more_cells(tmp_path: Path) -> None:
    """A header written with a delimiter after its last name ('valid_until,') has no column there."""
    header, (first, *_) = _lines()
    rows = _load(tmp_path / "awards.csv", [header + ",,", first])
    assert rows[0].award is not None and not _short(rows[0])


def test_the_warning_is_in_the_report_of_the_record(env: None, tmp_path: Path) -> None:
    """As every warning on a record: counted on stderr, said in full in report.json."""
    header, (first, *_) = _lines()
    awards = tmp_path / "awards.csv"
    awards.write_text(f"{header}\n{first[:-1]}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                       "-j", "1", "--format", "edc"])
    assert result.exit_code == 0, result.stderr
    assert "1 credential(s) with warnings" in result.stderr
    (record,) = json.loads((out / "report.json").read_text("utf-8"))["records"]
    assert record["status"] == "done"
    assert [w for w in record["warnings"] if "fewer cells than the header" in w]
