"""An output folder under stress: two runs at once, a folder that cannot be written, a disk
that fills up part way, and re-runs that must not redo what did not change."""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge import progress as progress_module
from edcbridge.cli import main
from edcbridge.pipeline.journal import JOURNAL_NAME, Journal, verify_audit
from edcbridge.pipeline.runner import count_rows
from edcbridge.progress import Progress
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards
from tests.test_pipeline import _start_and_wait_for_commits

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _command(out: Path, awards: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
            "-q", *extra]


def _issued_twice(journal: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(journal) as db:
        return db.execute("SELECT key, COUNT(*) FROM audit WHERE action = 'issued' GROUP BY key "
                          "HAVING COUNT(*) > 1").fetchall()


def test_a_second_run_on_the_same_folder_is_refused(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    awards = synthetic_awards(tmp_path / "awards.csv", 2000)
    first = _start_and_wait_for_commits(out, awards)
    first.send_signal(signal.SIGSTOP)  # held mid-run, whatever the speed of the machine
    try:
        second = subprocess.run(_command(out, awards, "-j", "1"), capture_output=True, text=True,
                                check=False)
    finally:
        first.send_signal(signal.SIGCONT)
        assert first.stderr is not None
        first.stderr.read()
        first.stderr.close()
    assert first.wait(300) == 0
    assert second.returncode == 2, second.stderr
    assert "another edcbridge run is using this output folder" in second.stderr
    assert "Traceback" not in second.stderr and second.stdout == ""
    check = verify_audit(out / JOURNAL_NAME)
    assert check.intact, check.problems
    assert _issued_twice(out / JOURNAL_NAME) == []
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["done"] == len(report["records"]) == 2000  # the first run's report, whole


def test_two_writers_of_one_journal_keep_one_chain(tmp_path: Path) -> None:
    """Whatever appends to the trail between two transactions is followed, never forked from."""
    first, second = Journal.for_folder(tmp_path), Journal.for_folder(tmp_path)
    try:
        for index in range(3):
            for journal in (first, second):
                key = f"uni/A-{index}-{id(journal) % 7}-{journal is first}"
                journal.record(key, "h" * 64, "done", None, {"edc": {"path": "x", "sha256": "0" * 64}},
                               None, ["issued"])
                journal.commit()
    finally:
        first.close()
        second.close()
    check = verify_audit(tmp_path / JOURNAL_NAME)
    assert check.events == 6 and check.intact, check.problems


def test_an_output_folder_that_cannot_be_made_is_a_usage_error(env: None, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    out = tmp_path / "taken" / "out"
    result = subprocess.run(_command(out, synthetic_awards(tmp_path / "awards.csv", 2)), capture_output=True,
                            text=True, check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{out}: the output folder cannot be written" in result.stderr


def test_a_journal_that_is_not_a_database_is_a_usage_error(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / JOURNAL_NAME).write_text("not a database")
    result = subprocess.run(_command(out, synthetic_awards(tmp_path / "awards.csv", 2)), capture_output=True,
                            text=True, check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "the journal cannot be used" in result.stderr
    assert sorted(path.name for path in out.iterdir()) == [JOURNAL_NAME]  # nothing half begun


def test_a_format_folder_that_cannot_be_written_fails_each_record_in_one_line(env: None,
                                                                              tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "edc").write_text("a file where the edc folder goes")
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [r["stage"] for r in report["records"]] == ["write"] * 3
    for record in report["records"]:
        assert len(record["errors"]) == 1, record["errors"]
        first, fix = record["errors"][0].split("\n")
        assert first.startswith(f"write: cannot write {out / 'edc'}") and fix.startswith("    fix: ")
    assert "Traceback" not in result.stderr


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs a file size limit")
def test_a_journal_that_cannot_commit_leaves_reports_that_agree_with_it(env: None, tmp_path: Path) -> None:
    """The journal's log outgrows what the system lets it write (as on a full disk): what it
    had staged is undone, so neither the report nor stdout may call those records done."""
    out = tmp_path / "out"
    awards = synthetic_awards(tmp_path / "awards.csv", 2000)
    cut = subprocess.run(_command(out, awards, "-j", "2"), capture_output=True, text=True, check=False,
                         preexec_fn=lambda: _limit_file_size(400_000))
    assert cut.returncode == 1, cut.stderr
    assert "Traceback" not in cut.stderr and "aborted: " in cut.stderr  # one line, and what to do
    assert "run the same command again" in cut.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["aborted"], report["aborted"]
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        journaled = {key for (key,) in db.execute("SELECT key FROM records WHERE state = 'done'")}
    reported = {f"imperial/{r['award_id']}" for r in report["records"] if r["status"] == "done"}
    assert 0 < len(journaled) < 2000
    assert reported == journaled and report["done"] == len(journaled)
    assert len(cut.stdout.splitlines()) == len(journaled)
    resumed = subprocess.run(_command(out, awards, "-j", "2"), capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert len(resumed.stdout.splitlines()) == 2000 - len(journaled)
    assert verify_audit(out / JOURNAL_NAME).intact and _issued_twice(out / JOURNAL_NAME) == []


def test_adding_the_catalogue_format_or_naming_a_format_twice_redoes_nothing(env: None,
                                                                             tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 4)
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"), "-j", "1"]
    assert CliRunner().invoke(main, [*args, "--format", "edc"]).exit_code == 0
    with_loq = CliRunner().invoke(main, [*args, "--format", "edc", "--format", "loq"])
    assert with_loq.exit_code == 0, with_loq.output
    assert "0 done, 4 skipped" in with_loq.stderr  # the LOQ document is the catalogue's, not a record's
    assert with_loq.stdout.splitlines() == [str(tmp_path / "out" / "loq" / "imperial.xml")]
    twice = CliRunner().invoke(main, [*args, "--format", "edc", "--format", "edc"])
    assert "0 done, 4 skipped" in twice.stderr


def test_a_format_dropped_redoes_nothing_and_one_added_redoes_all(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 4)
    out = tmp_path / "out"
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--format", "edc"]
    assert "4 done, 0 skipped" in CliRunner().invoke(main, [*args, "--format", "ebsi"]).stderr
    dropped = CliRunner().invoke(main, args)
    assert "0 done, 4 skipped" in dropped.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    # the files of the format dropped stay each record's, as the journal keeps them
    assert [set(r["outputs"]) for r in report["records"]] == [{"edc", "ebsi"}] * 4
    for path in (out / "ebsi").iterdir():  # files of a format no longer wanted, removed by hand
        path.unlink()
    assert "0 done, 4 skipped" in CliRunner().invoke(main, args).stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [list(r["outputs"]) for r in report["records"]] == [["edc"]] * 4  # none names a file gone
    added = CliRunner().invoke(main, [*args, "--format", "ebsi"])
    assert "4 done, 0 skipped" in added.stderr
    assert len(list((out / "ebsi").iterdir())) == 4


def test_the_eta_of_a_resumed_run_is_the_pace_of_the_work_left(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    stream = io.StringIO()
    bar = Progress(10_000, stream=stream, every=0.0)
    for _ in range(9000):  # done by the run that was killed: skipped in a second
        bar.update("skipped")
    for _ in range(11):  # then one record a second
        now[0] += 1.0
        bar.update("done")
    eta = bar.line(now[0]).rsplit("ETA ", 1)[1]
    minutes, seconds = (int(part) for part in eta.split(":"))
    assert 15 * 60 <= minutes * 60 + seconds <= 18 * 60, eta  # 989 rows left at a second each
    bar.close()
    assert "ETA" not in stream.getvalue().splitlines()[-1]  # the last line says how long it took


def test_a_json_array_of_awards_is_counted_by_its_awards_not_its_lines(tmp_path: Path) -> None:
    rows = [{"award_id": f"A-{n}", "specification": "X", "learner_id": "1", "given_name": "A",
             "family_name": "B", "awarding_date": "2025-01-01"} for n in range(3)]
    array = tmp_path / "awards.json"
    array.write_text(json.dumps(rows, indent=2), "utf-8")
    lines = tmp_path / "awards.jsonl"
    lines.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    assert count_rows(array) == 3
    assert count_rows(lines) == 3


def test_the_row_count_of_a_csv_file_is_the_rows_the_reader_gives(tmp_path: Path) -> None:
    from edcbridge.load import iter_awards, load_catalogue

    source = synthetic_awards(tmp_path / "plain.csv", 5).read_text("utf-8").replace(",", ";")
    excel = tmp_path / "excel.csv"  # Excel's "CSV UTF-8": BOM, sep= line, empty rows at the end
    excel.write_text("\ufeffsep=;\n" + source + ";;;;;;;;;;;;;\n;;;;;;;;;;;;;\n", "utf-8")
    rows = list(iter_awards(excel, load_catalogue(CATALOGUE)))
    assert len(rows) == 5 and all(row.award is not None for row in rows)
    assert count_rows(excel) == 5


def test_a_run_killed_while_holding_the_folder_leaves_it_free(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    awards = synthetic_awards(tmp_path / "awards.csv", 600)
    first = _start_and_wait_for_commits(out, awards)
    os.kill(first.pid, signal.SIGKILL)  # the main process only: its workers end on their own
    first.wait()
    assert first.stderr is not None
    first.stderr.close()
    started = time.monotonic()
    resumed = subprocess.run(_command(out, awards, "-j", "2"), capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert time.monotonic() - started < 60
    assert sorted(p.name for p in (out / "edc").glob("*.jsonld")) == \
        sorted(f"imperial_SYN-{i:05d}.jsonld" for i in range(600))


def test_an_award_exported_before_that_now_fails_says_its_old_files_are_kept(env: None,
                                                                            tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(CATALOGUE.read_text("utf-8"), "utf-8")
    awards = synthetic_awards(tmp_path / "awards.csv", 3)  # the first two are of IMP-MC-MLH, 5 ECTS
    out = tmp_path / "out"
    args = ["export", str(awards), "-c", str(catalogue), "-o", str(out), "-j", "1"]
    assert CliRunner().invoke(main, args).exit_code == 0
    text = catalogue.read_text("utf-8")
    catalogue.write_text(text.replace("    credits: 5\n", "    credits: 6\n", 1), "utf-8")  # not n x 2.5
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1
    report = json.loads((out / "report.json").read_text("utf-8"))
    failed = [r for r in report["records"] if r["status"] == "failed"]
    assert [r["award_id"] for r in failed] == ["SYN-00000", "SYN-00001"]
    for record in failed:
        kept = out / "edc" / f"imperial_{record['award_id']}.jsonld"
        assert kept.exists()
        note = record["errors"][-1]
        assert "exported before" in note and str(kept) in note and "\n    fix: " in note
        assert str(kept) in again.stderr


def test_an_earlier_file_that_cannot_be_removed_does_not_stop_the_run(env: None, tmp_path: Path) -> None:
    """The journal names an earlier place of a credential that is now a folder (someone made
    one there): the record is redone under its own name and the run goes on, reported."""
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    out = tmp_path / "out"
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1"]
    assert CliRunner().invoke(main, args).exit_code == 0
    earlier = out / "edc" / "imperial_SYN 00000.jsonld"
    earlier.mkdir()
    (earlier / "kept.txt").write_text("not ours")
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        db.execute("UPDATE records SET outputs = ?, input_hash = ? WHERE key = 'imperial/SYN-00000'",
                   (json.dumps({"edc": {"path": str(earlier), "sha256": "0" * 64}}), "0" * 64))
    rerun = CliRunner().invoke(main, args)
    assert rerun.exit_code == 0, rerun.output
    assert "1 done, 2 skipped" in rerun.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["done"] == 1 and report["skipped"] == 2 and len(report["records"]) == 3
    assert (earlier / "kept.txt").is_file()


def test_a_quoted_cell_over_several_lines_is_one_row_of_the_count(tmp_path: Path) -> None:
    from edcbridge.load import iter_awards, load_catalogue

    source = synthetic_awards(tmp_path / "plain.csv", 4).read_text("utf-8").splitlines()
    header, first, *rest = source
    cells = first.split(",")
    cells[-1] = '"a note\nover ""two"" lines"'  # the last column, quoted, with a line break inside
    multi = tmp_path / "multi.csv"
    multi.write_text("\n".join([header, ",".join(cells), *rest]) + "\n", "utf-8")
    rows = list(iter_awards(multi, load_catalogue(CATALOGUE)))
    assert len(rows) == 4
    assert count_rows(multi) == 4


def test_a_quote_left_open_to_the_end_of_the_file_is_one_row_of_the_count(tmp_path: Path) -> None:
    """The reader takes a quote never closed as one last row (failing with the fix): the bar's
    total counts it, rather than ending at 4/3."""
    from edcbridge.load import iter_awards, load_catalogue

    source = synthetic_awards(tmp_path / "plain.csv", 4).read_text("utf-8").splitlines()
    header, *rows = source
    cells = rows[-1].split(",")
    cells[-1] = '"a note\nnever closed'
    open_quote = tmp_path / "open.csv"
    open_quote.write_text("\n".join([header, *rows[:-1], ",".join(cells)]) + "\n", "utf-8")
    read = list(iter_awards(open_quote, load_catalogue(CATALOGUE)))
    assert len(read) == 4
    assert count_rows(open_quote) == len(read)
