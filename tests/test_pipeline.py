"""The batch pipeline: journal, resume after kill -9, fail-fast, audit trail, reports."""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.pipeline.journal import JOURNAL_NAME, verify_audit
from tests.conftest import BROKEN, FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _export(out: Path, awards: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE),
                           "-o", str(out), "-q", *extra], capture_output=True, text=True, check=False)


def test_rerun_skips_done_and_redoes_changed(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 6)
    runner = CliRunner()
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"), "-j", "1"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0 and len(first.stdout.splitlines()) == 6
    second = runner.invoke(main, args)
    assert second.exit_code == 0 and second.stdout == ""  # nothing redone
    assert "0 done, 6 skipped" in second.stderr
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    rows[3]["given_name"] = "Zoé"  # a corrected record
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    third = runner.invoke(main, args)
    assert third.exit_code == 0 and len(third.stdout.splitlines()) == 1 and "SYN-00003" in third.stdout


def test_resume_after_kill_9_leaves_no_gap_and_no_duplicate(env: None, tmp_path: Path) -> None:
    total = 600  # enough that the first journal commit (after 0.5 s) cannot hold them all
    awards = synthetic_awards(tmp_path / "awards.csv", total)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE),
                             "-o", str(out), "-q", "-j", "2"], stdout=subprocess.DEVNULL,
                            env={**os.environ}, start_new_session=True)
    journal = out / JOURNAL_NAME
    deadline = time.monotonic() + 300
    done = 0
    while time.monotonic() < deadline and done == 0:  # kill once some, not all, are committed
        time.sleep(0.02)
        if journal.exists():
            try:
                with sqlite3.connect(journal) as db:
                    done = db.execute("SELECT COUNT(*) FROM records WHERE state='done'").fetchone()[0]
            except sqlite3.OperationalError:
                continue
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < done < total, done
    before = {p.name for p in (out / "edc").glob("*.jsonld")}
    resumed = _export(out, awards, "-j", "2")
    assert resumed.returncode == 0, resumed.stderr
    files = sorted(p.name for p in (out / "edc").glob("*.jsonld"))
    assert files == sorted(f"imperial_SYN-{i:05d}.jsonld" for i in range(total))  # no gap
    assert not list((out / "edc").glob(".tmp-*"))  # no partial file left behind
    redone = [line for line in resumed.stdout.splitlines() if line]
    assert len(redone) == total - done  # what was committed was not redone
    assert before <= set(files)
    with sqlite3.connect(journal) as db:
        keys = db.execute("SELECT key FROM records").fetchall()
        issued = db.execute("SELECT key, COUNT(*) FROM audit WHERE action='issued' GROUP BY key "
                            "HAVING COUNT(*) > 1").fetchall()
    assert len(keys) == total and issued == []  # one record and one issue event per award
    assert verify_audit(journal).intact


def _start_and_wait_for_commits(out: Path, awards: Path, *extra: str) -> subprocess.Popen[bytes]:
    """A real export with two workers, once its journal holds some done records."""
    proc = subprocess.Popen([sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE),
                             "-o", str(out), "-j", "2", *extra], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    journal = out / JOURNAL_NAME
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        try:
            with sqlite3.connect(journal) as db:
                if db.execute("SELECT COUNT(*) FROM records WHERE state='done'").fetchone()[0]:
                    return proc
        except sqlite3.OperationalError:
            continue
    raise AssertionError("the export ended before anything was committed")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has exited (its new parent may not reap it)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc")
def test_workers_end_when_the_run_is_killed(env: None, tmp_path: Path) -> None:
    proc = _start_and_wait_for_commits(tmp_path / "out", synthetic_awards(tmp_path / "awards.csv", 3000))
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    workers = [int(pid) for pid in children]
    assert workers
    os.kill(proc.pid, signal.SIGKILL)  # the main process only, as an out-of-memory killer would
    proc.wait()
    assert proc.stderr is not None
    proc.stderr.close()  # not read: surviving workers would hold it open
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    alive = [pid for pid in workers if _alive(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive, "workers outlived the run"


def test_ctrl_c_reports_an_interrupted_run_that_resumes(env: None, tmp_path: Path) -> None:
    out, total = tmp_path / "out", 1500
    awards = synthetic_awards(tmp_path / "awards.csv", total)
    proc = _start_and_wait_for_commits(out, awards)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert b"interrupted: what was done is kept" in stderr and b"Traceback" not in stderr
    report = json.loads((out / "report.json").read_text())
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        done = db.execute("SELECT COUNT(*) FROM records WHERE state='done'").fetchone()[0]
    assert report["interrupted"] is True and report["done"] == done < total
    assert len(report["records"]) == done  # every journaled record is in the report
    resumed = _export(out, awards, "-j", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert len(list((out / "edc").glob("*.jsonld"))) == total
    assert json.loads((out / "report.json").read_text())["interrupted"] is False


def test_fail_fast_stops_after_consecutive_failures(env: None, tmp_path: Path) -> None:
    awards = tmp_path / "awards.csv"
    header = "award_id,specification,learner_id,given_name,family_name,awarding_date,grade\n"
    bad = "".join(f"B{i},NOPE,S{i},A,B,2025-01-01,Pass\n" for i in range(10))
    awards.write_text(header + bad, "utf-8")
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "o"),
                                       "--fail-fast", "3", "-j", "1"])
    assert result.exit_code == 1
    assert "stopped after 3 consecutive failures" in result.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["stopped_early"] is True and report["failed"] < 10


def _mixed_awards(path: Path, pattern: str) -> Path:
    """One row per letter of ``pattern``: g a good award, b one whose specification is unknown
    (it fails to load)."""
    with synthetic_awards(path.with_suffix(".all.csv"), len(pattern)).open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    for row, kind in zip(rows, pattern, strict=True):
        if kind == "b":
            row["specification"] = "NOPE"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_fail_fast_counts_failures_in_input_order(env: None, tmp_path: Path, workers: str) -> None:
    """Rows that fail to load are decided at once, the rows before them by the workers later:
    the count of failures in a row follows the input, and a stop is reported as one."""
    awards = _mixed_awards(tmp_path / "awards.csv", "g" * 6 + "b" * 25 + "g" * 9)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                       "--fail-fast", "3", "-j", workers])
    assert result.exit_code == 1, result.output
    assert "stopped after 3 consecutive failures" in result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["stopped_early"] is True and 3 <= report["failed"] <= 25
    assert report["done"] >= 6  # the rows before the failures were all done
    short = _mixed_awards(tmp_path / "short.csv", "gg" + "bbb" + "g" * 30)  # successes right after
    CliRunner().invoke(main, ["export", str(short), "-c", str(CATALOGUE), "-o", str(tmp_path / "o3"),
                              "--fail-fast", "3", "-j", workers])
    assert json.loads((tmp_path / "o3" / "report.json").read_text())["stopped_early"] is True
    alternating = _mixed_awards(tmp_path / "alternating.csv", "bgbgbgbgbgbg")
    result = CliRunner().invoke(main, ["export", str(alternating), "-c", str(CATALOGUE), "-o",
                                       str(tmp_path / "o2"), "--fail-fast", "2", "-j", workers])
    report = json.loads((tmp_path / "o2" / "report.json").read_text())
    assert report["stopped_early"] is False and (report["done"], report["failed"]) == (6, 6)
    assert "stopped after" not in result.stderr


def test_a_wrong_header_is_a_file_problem_not_a_failed_award(env: None, tmp_path: Path) -> None:
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig") as source:
        row = next(csv.DictReader(source))
    awards = tmp_path / "awards.csv"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*row, "gradee"])
        writer.writeheader()
        writer.writerow({**row, "gradee": "Merit"})
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "o")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1  # the row is exported, the typo is still reported
    assert f"{awards}:1: column 'gradee': unknown column 'gradee'" in result.stderr
    assert "1 done, 0 skipped, 0 failed, 1 file error(s)" in result.stderr
    assert "2/1" not in result.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert (report["done"], report["failed"], report["file_errors"]) == (1, 0, 1)
    assert [r["status"] for r in report["records"]] == ["file-error", "done"]


def _awards_with_ids(path: Path, ids: list[str]) -> Path:
    with synthetic_awards(path.with_suffix(".all.csv"), len(ids)).open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "award_id": award_id} for row, award_id in zip(rows, ids, strict=True))
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_no_two_awards_share_an_output_file(env: None, tmp_path: Path, workers: str) -> None:
    first = _awards_with_ids(tmp_path / "first.csv", ["X-1", "X/1", "X 1", "x-1", "Y-1"])
    second = _awards_with_ids(tmp_path / "second.csv", ["Y-1", "Z-1"])  # Y-1 again, in another file
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["export", str(first), str(second), "-c", str(CATALOGUE),
                                       "-o", str(out), "-j", workers])
    assert result.exit_code == 1
    files = sorted(p.name for p in (out / "edc").iterdir())
    assert len(files) == 5 and len({name.lower() for name in files}) == 5, files  # X-1, X/1, X 1, Y-1, Z-1
    assert f"{first}:5: award 'x-1': column 'award_id' = 'x-1': the same award or output file as " \
           f"{first} row 2 (award_id 'X-1')" in result.stderr
    assert f"{second}:2: award 'Y-1': column 'award_id' = 'Y-1': the same award or output file as " \
           f"{first} row 6" in result.stderr
    report = json.loads((out / "report.json").read_text())
    assert (report["done"], report["failed"]) == (5, 2)
    outputs = [path for r in report["records"] for path in r["outputs"].values()]
    assert len(outputs) == len(set(outputs)) == 5


def test_audit_verify_detects_tampering(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    out = tmp_path / "out"
    assert _export(out, awards, "-j", "1").returncode == 0
    runner = CliRunner()
    assert runner.invoke(main, ["audit", "verify", str(out)]).exit_code == 0
    shown = runner.invoke(main, ["audit", "show", str(out)])
    events = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [e["action"] for e in events] == ["issued"] * 3
    db = sqlite3.connect(out / JOURNAL_NAME)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET key = 'x' WHERE seq = 2")
    db.execute("DROP TRIGGER audit_no_update")  # someone with write access goes around it
    db.execute("UPDATE audit SET output_hash = ? WHERE seq = 2", ("0" * 64,))
    db.commit()
    db.close()
    broken = runner.invoke(main, ["audit", "verify", str(out)])
    assert broken.exit_code == 1 and "event 2" in broken.stderr


def test_reports_csv_json_and_html(env: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(BROKEN / "bad_date.csv"), "-c",
                                       str(CATALOGUE), "-o", str(tmp_path), "-j", "1"])
    assert result.exit_code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["done"] == 1 and report["failed"] == 1 and report["failed_by_stage"] == {"load": 1}
    with (tmp_path / "report.csv").open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    assert [r["status"] for r in sorted(rows, key=lambda r: int(r["row"]))] == ["done", "failed"]
    page = (tmp_path / "report.html").read_text()
    assert '<html lang="en">' in page and "31/02/2025" in page


def test_a_credential_renamed_by_a_new_naming_keeps_one_file(env: None, tmp_path: Path) -> None:
    """A record written under an earlier name (an earlier version's naming), once corrected,
    is written under the new name, and the earlier file goes: one file per credential."""
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    out = tmp_path / "o"
    assert _export(out, awards, "-j", "1").returncode == 0
    current = out / "edc" / "imperial_SYN-00000.jsonld"
    earlier = out / "edc" / "imperial_SYN 00000.jsonld"
    earlier.write_bytes(current.read_bytes())
    current.unlink()
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        (outputs,) = db.execute("SELECT outputs FROM records WHERE key = 'imperial/SYN-00000'").fetchone()
        earlier_outputs = {name: {"path": str(earlier), "sha256": output["sha256"]}  # as it kept them
                           for name, output in json.loads(outputs).items()}
        db.execute("UPDATE records SET outputs = ? WHERE key = 'imperial/SYN-00000'",
                   (json.dumps(earlier_outputs),))
    assert _export(out, awards, "-j", "1").stdout == ""  # unchanged: the earlier file stands
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    rows[0]["grade"] = "Merit" if rows[0]["grade"] != "Merit" else "Pass"  # a correction
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    rerun = _export(out, awards, "-j", "1")
    assert rerun.returncode == 0 and rerun.stdout.split() == [str(current)]
    assert current.is_file() and not earlier.exists()
    assert sorted(p.name for p in (out / "edc").iterdir()) == ["imperial_SYN-00000.jsonld",
                                                               "imperial_SYN-00001.jsonld"]


def test_an_output_changed_on_disk_is_written_again(env: None, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    out = tmp_path / "o"
    assert _export(out, awards, "-j", "1").returncode == 0
    target = out / "edc" / "imperial_SYN-00001.jsonld"
    good = target.read_bytes()
    target.write_bytes(good.replace(b"SYN-00001", b"SYN-00009"))  # same size, other content
    rerun = _export(out, awards, "-j", "1")
    assert rerun.returncode == 0 and rerun.stdout.split() == [str(target)]
    assert target.read_bytes() == good
    assert _export(out, awards, "-j", "1").stdout == ""  # and then it is done


def test_an_output_folder_that_is_a_file_is_a_usage_error(env: None, tmp_path: Path) -> None:
    taken = tmp_path / "afile"
    taken.write_text("keep me", "utf-8")
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "imperial" / "awards.csv"),
                                       "-c", str(CATALOGUE), "-o", str(taken)])
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert taken.read_text("utf-8") == "keep me"


def _nothing_fits_on_the_disk() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails instead (EFBIG), as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (16, 16))  # not even a report's first line


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs a file size limit")
def test_a_run_that_cannot_start_on_a_full_disk_promises_no_report(env: None, tmp_path: Path) -> None:
    """The reports begun for a run that cannot start are discarded unwritten: the run says the
    folder cannot be written (exit 2), and names no report it did not write."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "edcbridge", "export", str(FIXTURES / "imperial" / "awards.csv"),
               "-c", str(CATALOGUE), "-o", str(out), "-q"]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            preexec_fn=_nothing_fits_on_the_disk)
    assert result.returncode == 2, result.stderr
    assert f"{out}: the output folder cannot be written" in result.stderr
    assert "report.json" not in result.stderr and "Traceback" not in result.stderr
    assert sorted(path.name for path in out.iterdir() if "report" in path.name) == []

_FREEZE_PROBE = """
import gc, sys
from pathlib import Path
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.pipeline import worker
catalogue_path, out = Path(sys.argv[1]), Path(sys.argv[2])
catalogue = load_catalogue(catalogue_path)
rows = [r for r in iter_awards(catalogue_path.parent / "awards.csv", catalogue) if r.award][:2]
items = [(f"k{i}", "h", r.award.model_dump_json(), r.row, "awards.csv") for i, r in enumerate(rows)]
config = worker.WorkerConfig(catalogue_path, Path(sys.argv[3]), out, ("edc",))
worker.init_pool_worker(config)
before, young = gc.get_freeze_count(), gc.get_threshold()
first = worker.process_batch(items[:1])
after_first = gc.get_freeze_count()
worker.process_batch(items[1:])
print(before, after_first > 0, gc.get_freeze_count() == after_first, [o.state for o in first])
print(*young, *gc.get_threshold())
"""


def test_a_pool_worker_freezes_what_its_first_batch_loaded(store, tmp_path: Path) -> None:
    """Long-lived state (compiled shapes, contexts, shared nodes) is left out of later
    collections, once, and young objects are collected less often after it; the run's own
    process is not frozen (see worker.process_batch)."""
    probe = subprocess.run([sys.executable, "-c", _FREEZE_PROBE, str(CATALOGUE), str(tmp_path / "out"),
                            str(store.root)], capture_output=True, text=True, check=False, timeout=120)
    assert probe.returncode == 0, probe.stderr
    frozen, thresholds = probe.stdout.splitlines()
    assert frozen.split() == ["0", "True", "True", "['done']"]
    from edcbridge.pipeline import worker

    assert worker._FREEZE_AFTER_BATCH is False  # this process never ran init_pool_worker
    young, older, oldest, *after = map(int, thresholds.split())
    # then its young objects are collected less often; the older generations as before
    assert after == [worker.YOUNG_COLLECTION_THRESHOLD, older, oldest]
    assert young < worker.YOUNG_COLLECTION_THRESHOLD


def _correct_first_grade(awards: Path) -> None:
    with awards.open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    rows[0]["grade"] = "Merit" if rows[0]["grade"] != "Merit" else "Pass"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_corrected_award_keeps_its_file_whatever_the_folder_is_called(env: None,
                                                                        tmp_path: Path) -> None:
    """`-o out` then `-o /abs/out`: the same file under two spellings is not an earlier file to
    remove; and a folder copied with its journal never removes the original's files."""
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    command = [sys.executable, "-m", "edcbridge", "export", str(awards), "-c", str(CATALOGUE),
               "-q", "-j", "1"]
    first = subprocess.run([*command, "-o", "out"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    original = tmp_path / "out" / "edc" / "imperial_SYN-00000.jsonld"
    shutil.copytree(tmp_path / "out", tmp_path / "copy")
    _correct_first_grade(awards)
    again = subprocess.run([*command, "-o", str(tmp_path / "out")], cwd=tmp_path, capture_output=True,
                           text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == [str(original)] and original.is_file()
    corrected = original.read_bytes()
    _correct_first_grade(awards)
    copied = subprocess.run([*command, "-o", str(tmp_path / "copy")], cwd=tmp_path, capture_output=True,
                            text=True, check=False)
    assert copied.returncode == 0, copied.stderr
    assert original.read_bytes() == corrected  # the original folder's file is untouched
    assert (tmp_path / "copy" / "edc" / "imperial_SYN-00000.jsonld").is_file()
