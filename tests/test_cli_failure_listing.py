"""A run with many failed records prints the errors of the first hundred, then one line saying
where every one is: a whole file failing on one cause does not flood a terminal or a cron mail."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import MAX_SHOWN_FAILURES, main
from edcbridge.pipeline.runner import count_rows
from tests.conftest import FIXTURES


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _awards(path: Path, failing: int) -> Path:
    with (FIXTURES / "wales" / "awards.csv").open(encoding="utf-8", newline="") as handle:
        first = next(csv.DictReader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(first))
        writer.writeheader()
        writer.writerow(first)
        for index in range(failing):
            writer.writerow({**first, "award_id": f"BAD-{index:04d}", "specification": "NO-SUCH-SPEC"})
    return path


@pytest.mark.parametrize("failing", [3, MAX_SHOWN_FAILURES + 40])
def test_the_errors_of_the_first_failures_are_shown_then_the_report_named(env: None, tmp_path: Path,
                                                                           failing: int) -> None:
    awards = _awards(tmp_path / "awards.csv", failing)
    out = tmp_path / "out"
    catalogue = FIXTURES / "wales" / "catalogue.yaml"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(catalogue), "-o", str(out),
                                       "--fail-fast", "1000"])  # every row is read
    assert result.exit_code == 1, result.stderr
    shown = {line.split(":")[1] for line in result.stderr.splitlines() if line.startswith(str(awards))}
    assert len(shown) == min(failing, MAX_SHOWN_FAILURES)  # rows named in error lines
    pointers = [line for line in result.stderr.splitlines() if "more failed records are not shown" in line]
    assert len(pointers) == (1 if failing > MAX_SHOWN_FAILURES else 0)
    if pointers:
        assert str(out / "report.csv") in pointers[0]
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        failed = [row for row in csv.DictReader(handle) if row["status"] == "failed"]
    assert len(failed) == failing  # the report keeps every one


def test_a_run_stopped_by_fail_fast_says_how_many_rows_were_not_read(env: None, tmp_path: Path) -> None:
    awards = _awards(tmp_path / "awards.csv", 30)  # one good row, then 30 failing
    catalogue = FIXTURES / "wales" / "catalogue.yaml"
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(catalogue), "-o", str(out),
                                       "--fail-fast", "5", "-j", "1"])
    assert result.exit_code == 1, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("stopped after 5")]
    report = json.loads((out / "report.json").read_text("utf-8"))
    listed = len(report["records"])
    assert f"; {31 - listed} rows not read" in line and 31 - listed > 0


def _as_json(awards: Path) -> Path:
    """The awards as one JSON array in UTF-16 (a byte-order mark first), whose rows are not
    counted before the run."""
    with awards.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    path = awards.with_suffix(".json")
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False), "utf-16")
    assert count_rows(path) is None
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_fail_fast_met_at_the_last_row_went_through_the_input(env: None, tmp_path: Path, suffix: str,
                                                                workers: str) -> None:
    awards = _awards(tmp_path / "awards.csv", 5)  # one good row, then 5 failing: the 5th is the last
    awards = _as_json(awards) if suffix == ".json" else awards
    out = tmp_path / "out"
    catalogue = str(FIXTURES / "wales" / "catalogue.yaml")
    result = CliRunner().invoke(main, ["export", str(awards), "-c", catalogue, "-o", str(out),
                                       "--fail-fast", "5", "-j", workers])
    assert result.exit_code == 1, result.stderr
    assert "stopped after" not in result.stderr and "not read" not in result.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert (report["done"], report["failed"]) == (1, 5)
    assert (report["stopped_early"], report["not_read"]) == (False, None)
    page = (out / "report.html").read_text("utf-8")
    assert "not read" not in page and "stopped after" not in page
    assert "<p><strong>Not everything went through: 5 record(s) failed." in page


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_fail_fast_met_at_the_last_row_before_files_of_no_rows_went_through_the_input(
        env: None, tmp_path: Path, workers: str) -> None:
    """The last file holds the header alone (a department with no awards this time): the run
    was said to be stopped, with "0 rows not read", though no row was left."""
    awards = _awards(tmp_path / "awards.csv", 5)
    empty = tmp_path / "empty.csv"
    empty.write_text(awards.read_text("utf-8").splitlines()[0] + "\n\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), str(empty), "-c",
                                       str(FIXTURES / "wales" / "catalogue.yaml"), "-o", str(out),
                                       "--fail-fast", "5", "-j", workers])
    assert result.exit_code == 1, result.stderr
    assert "stopped after" not in result.stderr, result.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert (report["done"], report["failed"], report["stopped_early"]) == (1, 5, False)
    assert report["not_read"] is None
    assert "not read" not in (out / "report.html").read_text("utf-8")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_fail_fast_stop_says_so_when_rows_are_left(env: None, tmp_path: Path, workers: str) -> None:
    catalogue = str(FIXTURES / "wales" / "catalogue.yaml")
    awards = _as_json(_awards(tmp_path / "awards.csv", 5))  # the 5th failure is left unread
    result = CliRunner().invoke(main, ["export", str(awards), "-c", catalogue, "-o", str(tmp_path / "a"),
                                       "--fail-fast", "4", "-j", workers])
    assert result.exit_code == 1, result.stderr
    assert "stopped after 4 consecutive failures (--fail-fast)" in result.stderr
    report = json.loads((tmp_path / "a" / "report.json").read_text("utf-8"))
    assert (report["failed"], report["stopped_early"]) == (4, True)
    assert "the rows after the last one listed were not read" in (tmp_path / "a" / "report.html").read_text()
    # the 5th failure is the last row of its file, and another file follows
    later = _awards(tmp_path / "later.csv", 0)
    result = CliRunner().invoke(main, ["export", str(awards), str(later), "-c", catalogue, "-o",
                                       str(tmp_path / "b"), "--fail-fast", "5", "-j", workers])
    assert result.exit_code == 1, result.stderr
    assert "stopped after 5 consecutive failures (--fail-fast)" in result.stderr
    report = json.loads((tmp_path / "b" / "report.json").read_text("utf-8"))
    assert (report["done"], report["failed"], report["stopped_early"]) == (1, 5, True)
