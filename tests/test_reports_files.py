"""The report files as a set: the HTML summary agrees with report.json and report.csv (read
with an HTML parser and the csv module), shows markup from the input as text, and a set that
cannot be written whole leaves the last run's set, synced to disk, as it was."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES

GALWAY = FIXTURES / "galway"
IMPERIAL = FIXTURES / "imperial"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


class _Page(HTMLParser):
    """The elements of a page, and the text of each table's rows, cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str | None]] = []
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attributes += attrs
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text("utf-8"))
    page.close()
    return page


def test_the_html_summary_agrees_with_the_reports_and_shows_markup_as_text(env: None,
                                                                          tmp_path: Path) -> None:
    folder = tmp_path / "<img src=x onerror=alert(1)>"
    folder.mkdir()
    awards = folder / "<script>alert(1).csv"
    lines = (IMPERIAL / "awards.csv").read_text("utf-8-sig").splitlines()
    bad = [lines[1].replace("IMP-MC-MLH", "<b onmouseover=alert(1)>X</b>", 1),
           lines[2].replace("IMP-2025-000102", "</pre><script>x()</script>", 1)
                   .replace("IMP-MC-MLH", "NOPE", 1)]
    awards.write_text("\n".join([lines[0], *bad, *lines[3:]]) + "\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(IMPERIAL / "catalogue.yaml"),
                                       "-o", str(out), "-j", "1", "-q"])
    assert result.exit_code == 1, result.output
    page = _page(out / "report.html")
    assert page.tags["script"] == 0 and page.tags["img"] == 0 and page.tags["b"] == 0
    assert all(name in ("scope", "lang", "charset") for name, _ in page.attributes)
    summary = {row[0]: row[1] for row in page.tables[0]}
    report = json.loads((out / "report.json").read_text("utf-8"))
    words = {"ok": "done, in this run or earlier", "done": "done", "skipped": "skipped", "failed": "failed",
             "file_errors": "file errors", "interrupted": "interrupted",
             "stopped_early": "stopped by --fail-fast"}
    for key, label in words.items():  # the words of the stderr summary; yes or no for True or False
        value = report[key]
        assert summary[label] == (("yes" if value else "no") if isinstance(value, bool) else str(value)), key
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        statuses = Counter(row["status"] for row in csv.DictReader(handle))
    assert statuses == Counter({"done": report["done"], "failed": report["failed"]})
    assert report["failed"] == 2 and len(report["records"]) == report["done"] + report["failed"]
    failures = page.tables[2][1:]
    assert [row[2] for row in failures] == ["IMP-2025-000101", "</pre><script>x()</script>"]
    assert all(row[0] == str(awards) for row in failures)
    assert "<b onmouseover=alert(1)>X</b>" in failures[0][3]
    stages = {row[0]: row[1] for row in page.tables[1][1:]}
    assert stages["load"] == str(report["failed_by_stage"]["load"])


def _export(awards: Path, out: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["export", str(awards), "-c", str(GALWAY / "catalogue.yaml"),
                                     "-o", str(out), "-j", "1", "-q"])


REPORTS = ("report.csv", "report.json", "report.html")


def test_a_set_of_reports_that_cannot_be_written_whole_leaves_the_last_one(env: None,
                                                                           tmp_path: Path) -> None:
    """The summary cannot be written at the end (a full disk; here its temporary name is taken
    by a folder): report.csv and report.json used to be replaced all the same, beside the last
    run's report.html, whose counts then disagreed with them."""
    out = tmp_path / "out"
    assert _export(GALWAY / "awards.jsonl", out).exit_code == 0
    first = {name: (out / name).read_bytes() for name in REPORTS}
    (out / ".report.html.tmp").mkdir()
    again = _export(GALWAY / "awards.jsonl", out)  # every record skipped: other counts
    assert again.exit_code == 1
    # the message must not send people to a report.json that is the last run's
    assert "the reports could not be written" in again.stderr and "reported in" not in again.stderr
    assert "run the same command again" in again.stderr
    assert {name: (out / name).read_bytes() for name in REPORTS} == first
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".report")) == [".report.html.tmp"]
    (out / ".report.html.tmp").rmdir()
    third = _export(GALWAY / "awards.jsonl", out)
    assert third.exit_code == 0
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["skipped"] == len(report["records"]) > 0 and report["done"] == 0
    summary = {row[0]: row[1] for row in _page(out / "report.html").tables[0]}
    assert summary["skipped"] == str(report["skipped"])


def test_a_report_whose_name_a_folder_holds_leaves_the_last_set(env: None, tmp_path: Path) -> None:
    """A folder at report.html's own name refused the last rename: report.csv and report.json
    were already replaced by then, beside no report.html, a .report.html.tmp was left, and the
    message said report.json did not hold the audit head, which it then did."""
    out = tmp_path / "out"
    assert _export(GALWAY / "awards.jsonl", out).exit_code == 0
    first = {name: (out / name).read_bytes() for name in REPORTS[:2]}
    (out / "report.html").unlink()
    (out / "report.html" / "kept").mkdir(parents=True)
    again = _export(GALWAY / "awards.jsonl", out)  # every record skipped: other counts
    assert again.exit_code == 1
    assert "the reports could not be written" in again.stderr
    assert {name: (out / name).read_bytes() for name in REPORTS[:2]} == first
    assert not [p.name for p in out.iterdir() if p.name.startswith(".report")]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names open files through /proc")
def test_each_report_and_their_folder_are_synced_before_the_run_ends(
        env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """report.html was renamed into place unsynced: after a power cut it could be empty
    beside complete report.csv and report.json; and no rename was made durable."""
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(str(Path(f"/proc/self/fd/{fd}").readlink()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "out"
    assert _export(GALWAY / "awards.jsonl", out).exit_code == 0
    folder = str(out.resolve())
    reports = {f"{folder}/.report.{kind}.tmp" for kind in ("csv", "json", "html")}
    assert reports <= set(synced)
    last_rename = max(synced.index(f"{folder}/.report.{kind}.tmp") for kind in ("csv", "json", "html"))
    assert folder in synced[last_rename:]  # the folder, once the reports are renamed in it
    shutil.rmtree(out)


def test_a_run_whose_reports_cannot_be_written_still_names_its_audit_head(env: None,
                                                                          tmp_path: Path) -> None:
    """The head is printed after each run to be noted; a run that journaled new events but could
    not write its reports (whose report.json would hold the head) said nothing of it."""
    import sqlite3

    from edcbridge.pipeline.journal import JOURNAL_NAME

    out = tmp_path / "out"
    lines = (GALWAY / "awards.jsonl").read_text("utf-8").splitlines()
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(lines[:1]) + "\n", "utf-8")
    assert _export(first, out).exit_code == 0
    (out / ".report.html.tmp").mkdir()
    again = _export(GALWAY / "awards.jsonl", out)  # the other awards are issued
    assert again.exit_code == 1
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        seq, digest = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    assert seq > 1  # the run appended events
    assert f"audit head {seq}:{digest}" in again.stderr
