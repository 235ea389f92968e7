"""export --preview pages the exported awards only, and a Ctrl-C stops it; a Ctrl-C before the
run starts exits 130 as well."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES
from tests.pipeline_support import ctrl_c_once_ready, synthetic_awards
from tests.test_pipeline import CATALOGUE, _start_and_wait_for_commits


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _pages(out: Path) -> list[str]:
    return sorted(p.stem for p in (out / "preview").glob("*.html")) if (out / "preview").is_dir() else []


def test_pages_are_made_for_exported_awards_only(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 8)
    lines = awards.read_text("utf-8").splitlines(keepends=True)
    for row in (2, 3, 4):  # SYN-00001..3 name no known specification: three failures in a row
        lines[row] = lines[row].replace(",IMP-MC-", ",NOPE-MC-")
    awards.write_text("".join(lines), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1",
                                       "--fail-fast", "3", "--preview"])
    assert result.exit_code == 1, result.output
    assert "stopped after 3 consecutive failures" in result.stderr
    # not the failed rows, nor those left unread
    assert [name.rsplit("_", 1)[-1] for name in _pages(out)] == ["SYN-00000"]


def test_ctrl_c_stops_an_export_with_previews(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _start_and_wait_for_commits(out, synthetic_awards(tmp_path / "awards.csv", 1500), "--preview")
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert _pages(out) == [] and b"preview:" not in stderr


def test_ctrl_c_while_the_input_is_checked_exits_130(env: None, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.pipeline import runner

    def pressed(path: Path, columns: object = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "count_rows", pressed)  # counted before the run, for the progress bar
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out)])
    assert result.exit_code == 130, result.output
    assert "interrupted; run the same command again" in result.stderr and "Aborted!" not in result.output


def test_what_xml_formats_leave_out_is_reported(env: None, tmp_path: Path) -> None:
    wales = FIXTURES / "wales"
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(wales / "awards.csv"), "-c",
                                       str(wales / "catalogue.yaml"), "-o", str(out),
                                       "--format", "edc-xml", "--format", "loq", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert str(out / "loq" / "aber.xml") in result.stdout.splitlines()
    assert "LOQ INFO loq-loss at organisations[" in result.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["records"] and all(any(w.startswith("edc-xml: INFO xml-loss") for w in r["warnings"])
                                     for r in report["records"])
    assert report["with_warnings"] == len(report["records"]) and report["catalogue_files"]
    assert any("organisations[" in note for note in report["notes"])
    assert "credential(s) with warnings" in result.stderr


def _export(*args: str) -> Any:
    return CliRunner().invoke(main, ["export", *args, "-c", str(CATALOGUE), "-j", "1"])


def _with_grade(header: str, line: str, grade: str) -> str:
    row = next(csv.DictReader([header, line]))
    row["grade"] = grade
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=list(row), lineterminator="\n").writerow(row)
    return out.getvalue()


def test_no_page_shows_content_that_was_not_exported(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    header, *lines = awards.read_text("utf-8").splitlines(keepends=True)
    again = tmp_path / "again.csv"  # the same award in another file, with another grade: refused
    again.write_text(header + _with_grade(header, lines[0], "MALLORY"), "utf-8")
    out = tmp_path / "out"
    result = _export(str(awards), str(again), "-o", str(out), "--preview")
    assert result.exit_code == 1 and "the same award or output file" in result.stderr
    pages = list((out / "preview").glob("*.html"))
    assert len(pages) == 2 and not any("MALLORY" in p.read_text("utf-8") for p in pages)
    # a changed row a --fail-fast stop leaves unread: its award was exported before, as it was then
    out = tmp_path / "o2"
    assert _export(str(awards), "-o", str(out)).exit_code == 0
    changed = tmp_path / "changed.csv"
    bad_date = lines[1].replace(",2025-", ",31/12/")
    changed.write_text(header + bad_date + _with_grade(header, lines[0], "MALLORY"), "utf-8")
    result = _export(str(changed), "-o", str(out), "--fail-fast", "1", "--preview")
    assert result.exit_code == 1 and "preview: 0 pages" in result.stderr, result.stderr


def test_the_page_of_an_award_made_again_from_a_changed_row_is_removed(env: None, tmp_path: Path) -> None:
    """A run without --preview that makes an award again from a changed row removes the page
    of the award as it was, as it removes its files of the formats it does not write."""
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    out = tmp_path / "out"
    assert _export(str(awards), "-o", str(out), "--preview").exit_code == 0
    header, first, second = awards.read_text("utf-8").splitlines(keepends=True)
    awards.write_text(header + _with_grade(header, first, "MALLORY") + second, "utf-8")
    page, kept = sorted((out / "preview").glob("*.html"))
    result = _export(str(awards), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert not page.exists() and kept.exists()  # the unchanged award's page stays
    records = json.loads((out / "report.json").read_text("utf-8"))["records"]
    redone = {record["award_id"]: record["redone"] for record in records}
    assert redone["SYN-00001"] is None
    assert redone["SYN-00000"].startswith("the row changed; ")
    assert f"{page.name} removed: a preview page of the award as it was" in redone["SYN-00000"]
    # a run with --preview makes the page again, from the row as it is now
    assert _export(str(awards), "-o", str(out), "--preview").exit_code == 0
    assert "MALLORY" in page.read_text("utf-8")


def test_the_page_of_an_award_made_again_as_it_was_after_a_failure_stays(env: None, tmp_path: Path) -> None:
    """A record failed by a file it could not write, then made again from the same row: its
    credential is the one the page shows, so the page stays, as it does for an unchanged award."""
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    out = tmp_path / "out"
    assert _export(str(awards), "-o", str(out), "--preview").exit_code == 0
    page = sorted((out / "preview").glob("*.html"))[0]
    blocked = out / "ebsi" / "imperial_SYN-00000.json"
    blocked.mkdir(parents=True)
    formats = ("--format", "edc", "--format", "ebsi")
    assert _export(str(awards), "-o", str(out), *formats).exit_code == 1
    blocked.rmdir()
    result = _export(str(awards), "-o", str(out), *formats)
    assert result.exit_code == 0, result.output
    records = json.loads((out / "report.json").read_text("utf-8"))["records"]
    redone = {record["award_id"]: record["redone"] for record in records}
    assert redone["SYN-00000"] == "it failed in an earlier run (its files of before were kept)"
    assert page.exists()
    # failed from a changed row, then made again: the page shows the award as it was
    header, first, second = awards.read_text("utf-8").splitlines(keepends=True)
    awards.write_text(header + _with_grade(header, first, "MALLORY") + second, "utf-8")
    blocked.unlink()
    blocked.mkdir()
    assert _export(str(awards), "-o", str(out), *formats).exit_code == 1
    blocked.rmdir()
    assert _export(str(awards), "-o", str(out), *formats).exit_code == 0
    assert not page.exists()


def test_the_pages_are_listed_on_stdout_with_the_credentials(env: None, tmp_path: Path) -> None:
    """stdout carries the path of every file the run writes, its preview pages too."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(synthetic_awards(tmp_path / "awards.csv", 2)),
                                       "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--preview"])
    assert result.exit_code == 0, result.stderr
    pages = sorted(str(page) for page in (out / "preview").glob("*.html"))
    assert len(pages) == 2 and set(pages) <= set(result.stdout.splitlines()), result.stdout


def test_pages_made_by_several_processes_are_those_one_process_makes(env: None, tmp_path: Path) -> None:
    """With -j 2 the pages are made by the run's worker count, chunk by chunk: the same bytes,
    listed in the same order, as one process writes them."""
    awards = synthetic_awards(tmp_path / "awards.csv", 40)  # more chunks than workers
    listed: dict[str, list[str]] = {}
    pages: dict[str, dict[str, bytes]] = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out-{workers}"
        result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                           "-j", workers, "--preview", "-q"])
        assert result.exit_code == 0, result.stderr
        listed[workers] = [Path(line).name for line in result.stdout.splitlines() if "/preview/" in line]
        pages[workers] = {page.name: page.read_bytes() for page in (out / "preview").glob("*.html")}
    assert len(listed["1"]) == 40 and listed["2"] == listed["1"]
    assert pages["2"] == pages["1"]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc")
def test_ctrl_c_while_workers_make_pages_ends_them_without_a_traceback(env: None, tmp_path: Path) -> None:
    from tests.test_pipeline import _alive

    out = tmp_path / "out"
    awards = synthetic_awards(tmp_path / "awards.csv", 600)
    assert CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                     "-q"]).exit_code == 0  # the run itself then skips every award
    command = [sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
               "-j", "2", "--preview"]
    code, stderr, workers = ctrl_c_once_ready(command, lambda started: len(_pages(out)) >= 20)
    assert code == 130, stderr
    assert b"Traceback" not in stderr and b"preview:" not in stderr
    assert not any(_alive(pid) for pid in workers)
    assert len(_pages(out)) < 600
