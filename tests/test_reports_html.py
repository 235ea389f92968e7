"""report.html for the clerk who opens it: the first line says whether the run went through
its input and what to do next; the page needs nothing from the network and shows record
content as text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.pipeline.reports import ReportWriter, render_html, summary_data
from edcbridge.pipeline.runner import RunResult
from edcbridge.pipeline.worker import Outcome
from tests.conftest import BROKEN, FIXTURES


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.strong: list[str] = []
        self.cells: list[str] = []
        self.links: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in = tag if tag in ("strong", "td") else self._in
        if tag == "td":
            self.cells.append("")
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "strong":
            self.strong.append(data)
        elif self._in == "td":
            self.cells[-1] += data


def _page(text: str) -> _Text:
    page = _Text()
    page.feed(text)
    page.close()
    return page


def _verdict(result: RunResult) -> str:
    return "".join(_page(render_html(summary_data(result), [], [])).strong)


@pytest.mark.parametrize(("result", "words"), [
    (RunResult(done=3, skipped=2), "All 5 records are done"),
    (RunResult(done=3, failed=2), "2 record(s) failed"),
    (RunResult(done=3, file_errors=1), "1 file(s) with a wrong header or not read to the end"),
    (RunResult(done=3, failed=3, stopped_early=True), "--fail-fast"),
    (RunResult(done=3, interrupted=True), "interrupted (Ctrl-C, or SIGTERM"),
    (RunResult(done=3, aborted="OSError: [Errno 5] Input/output error"), "Input/output error"),
])
def test_the_first_line_says_how_the_run_went(result: RunResult, words: str) -> None:
    """A run stopped by --fail-fast or Ctrl-C was shown as a table row 'stopped_early True'
    among eleven others: a clerk took the report for the whole batch."""
    verdict = _verdict(result)
    assert words in verdict
    assert ("run the same command again" in verdict) == (words != "All 5 records are done")


def test_a_run_that_stopped_does_not_say_all_is_done() -> None:
    for stopped in (RunResult(done=3, interrupted=True), RunResult(done=3, stopped_early=True, failed=3),
                    RunResult(done=3, aborted="OSError: disk full")):
        assert "not read" in _verdict(stopped)


@pytest.mark.parametrize("awards", ["unknown_column.csv", "missing_column.csv"])
def test_a_file_of_a_wrong_header_read_to_its_end_is_not_said_to_be_cut_short(env: None, tmp_path: Path,
                                                                              awards: str) -> None:
    """Every row of a file whose header misses or misspells a column is read (each fails on it):
    the first line said the file "could not be read to the end", and a clerk looked for rows lost."""
    out = tmp_path / "out"
    catalogue = FIXTURES / "imperial" / "catalogue.yaml"
    result = CliRunner().invoke(main, ["export", str(BROKEN / awards), "-c", str(catalogue), "-o", str(out),
                                       "-j", "1"])
    assert result.exit_code == 1, result.output
    assert "1 file error(s)" in result.stderr, result.stderr
    verdict = "".join(_page((out / "report.html").read_text("utf-8")).strong)
    assert "could not be read to the end" not in verdict, verdict
    assert "1 file(s) with a wrong header or not read to the end" in verdict, verdict


def test_a_file_error_is_not_shown_as_row_0(tmp_path: Path) -> None:
    """A file read only part way is an error of the whole file (row 0 in report.json)."""
    writer = ReportWriter(tmp_path)
    writer.write(Outcome("", "awards.csv", 0, "", "", "failed", "load", file_level=True,
                         errors=["awards.csv: not UTF-8 (line 902)\n    fix: save the file as 'CSV UTF-8'"]),
                 "file-error")
    writer.close(RunResult(file_errors=1))
    page = _page((tmp_path / "report.html").read_text("utf-8"))
    failure = page.cells[-4:]
    assert failure[0] == "awards.csv" and failure[1] == "" and failure[3].startswith("awards.csv: not UTF-8")


def test_record_content_is_text_and_the_page_is_self_contained(tmp_path: Path) -> None:
    award_id = "<script>alert('x')</script>\"\u202eexe.jpg"
    writer = ReportWriter(tmp_path)
    writer.write(Outcome("", "<b>awards</b>.csv", 3, award_id, "", "failed", "load",
                         errors=[f"<b>awards</b>.csv:3: column 'given_name' = {award_id!r}\n    fix: x"]),
                 "failed")
    writer.close(RunResult(failed=1, notes=["<img src=https://example.org/x.png>"]))
    text = (tmp_path / "report.html").read_text("utf-8")
    page = _page(text)
    assert page.links == []  # nothing fetched: no script, image, style sheet or font
    assert not re.search(r"<(script|img|b)\b", text) and "\u202e" not in text
    assert "<script>alert('x')</script>\"\\u202eexe.jpg" in page.cells


@pytest.mark.parametrize("result", [
    RunResult(done=3, failed=2, interrupted=True),
    RunResult(done=3, failed=2, aborted="OSError: [Errno 28] No space left on device"),
])
def test_a_run_that_stopped_still_says_what_failed(result: RunResult) -> None:
    """Interrupted (a service manager's SIGTERM) with 165 records failed: stderr said '165
    failed', the page's first line only that the run was interrupted (Ctrl-C) and to run it
    again, which fails them again."""
    verdict = _verdict(result)
    assert "2 record(s) failed" in verdict
    if result.interrupted:
        assert "SIGTERM" in verdict


@pytest.mark.parametrize("result", [RunResult(done=3, not_in_input=2),
                                    RunResult(done=3, failed=1, not_in_input=2)])
def test_credentials_not_in_the_input_are_in_the_first_line(result: RunResult) -> None:
    """A folder holding credentials of awards the input no longer has (withdrawn ones, say):
    the page opened with 'All 3 records are done' and counted them only in a table row
    'not_in_input 2'."""
    verdict = _verdict(result)
    assert "2 credential(s)" in verdict and "not-in-input" in verdict


def test_the_summary_counts_are_named_in_words() -> None:
    """The summary table named its rows by report.json's keys ('not_in_input',
    'stopped_early', 'False'); the words are those of the stderr summary and report.csv."""
    result = RunResult(done=3, redone=1, skipped=2, failed=1, not_in_input=2, unchanged=1,
                       interrupted=True)
    text = render_html(summary_data(result), [], [])
    headers = re.findall(r"<th scope='row'>([^<]*)</th><td>([^<]*)</td>", text)
    named = {html.unescape(name): value for name, value in headers}
    assert headers and not [name for name, _ in headers if "_" in name]
    assert not {"True", "False"} & set(named.values())
    assert named["interrupted"] == "yes" and named["stopped by --fail-fast"] == "no"
    assert named["not in this run's input (not-in-input)"] == "2"
    assert named["done"] == "3" and named["skipped"] == "2" and named["failed"] == "1"
    assert named["unchanged (not sent again)"] == "1"


def test_records_made_again_are_listed_with_why(tmp_path: Path) -> None:
    """report.csv says why a record was made again; the page only counted them, so a clerk
    could not tell which credentials changed overnight."""
    writer = ReportWriter(tmp_path)
    writer.write(Outcome("imperial/A-1", "awards.csv", 2, "A-1", "h", "done", redone="the row changed"),
                 "done")
    writer.write(Outcome("imperial/A-2", "awards.csv", 3, "A-2", "h", "done"), "done")
    writer.close(RunResult(done=2, redone=1))
    page = _page((tmp_path / "report.html").read_text("utf-8"))
    assert page.cells[-4:] == ["awards.csv", "2", "A-1", "the row changed"]
    assert "A-2" not in page.cells


def test_deliveries_not_sent_again_are_explained() -> None:
    """stderr says why a credential sealed again was not sent; the page gave a bare count."""
    text = render_html(summary_data(RunResult(done=1, unchanged=1)), [], [])
    assert "1 credential(s) sealed again with the content delivered earlier, not sent again: the " \
           "wallet keeps the copy delivered earlier" in html.unescape(text)
