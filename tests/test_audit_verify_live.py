"""`audit verify` while a run remakes records in the folder: each file is written (atomically)
before the batch that records it commits, so a file read between the two differs from the
journal's snapshot. Such a file is not called tampered with once the run has journaled it; a file
changed by hand is still named, whether a run is going on or not, and a file a run left
unjournaled when it was killed is named with the way to finish that run."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.file_lock import hold
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline import journal as journal_module
from edcbridge.pipeline.journal import JOURNAL_NAME, Journal, audit_actions, open_read_only
from edcbridge.schemas import SchemaStore
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = 3


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("live")
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))[:AWARDS]
    awards = base / "awards.csv"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    options = RunOptions(out_dir=base / "out", store_root=store.root, workers=1)
    assert run([Job(CATALOGUE, (awards,))], options).done == AWARDS
    return base / "out"


@pytest.fixture()
def out(exported: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "out"
    shutil.copytree(exported, copy)
    return copy


def _verify(folder: Path) -> tuple[Result, list[str]]:
    result = CliRunner().invoke(main, ["audit", "verify", str(folder), "--json"])
    return result, list(json.loads(result.stdout)["problems"])


def _first_record(folder: Path, index: int = 0) -> tuple[str, str, dict[str, dict[str, str]]]:
    db = open_read_only(folder / JOURNAL_NAME)  # read only: closing it folds no log in
    try:
        rows = db.execute(
            "SELECT key, input_hash, outputs FROM records WHERE state = 'done' ORDER BY key").fetchall()
        key, input_hash, outputs = rows[index]
    finally:
        db.close()
    return key, input_hash, json.loads(outputs)


def _remade_bytes(path: Path) -> bytes:
    """The credential as a run would make it again from a changed catalogue: other bytes."""
    document = json.loads(path.read_bytes())
    document["remade"] = True
    return json.dumps(document).encode()


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".new")
    temporary.write_bytes(content)
    temporary.replace(path)


def _stage_remake(folder: Path, index: int = 0) -> tuple[str, Path, Journal]:
    """As a run leaves a record it remakes between writing its file and committing its batch:
    the file replaced, the record and its events staged in the journal, not committed."""
    key, input_hash, outputs = _first_record(folder, index)
    output = outputs["edc"]
    path = folder / output["file"]
    content = _remade_bytes(path)
    _write_atomically(path, content)
    stat = path.stat()
    output.update(sha256=hashlib.sha256(content).hexdigest(), size=str(stat.st_size),
                  mtime_ns=str(stat.st_mtime_ns))
    journal = Journal.for_folder(folder)
    journal.record(key, "0" * 64, "done", None, outputs, None, audit_actions(outputs), redone="its part of "
                   "the catalogue changed")
    assert journal.staging and input_hash != "0" * 64
    return key, path, journal


@contextmanager
def _run_holding(folder: Path) -> Iterator[None]:
    """The folder's lock, as a run holds it (see ``runner.folder_of_one_run``)."""
    fd = hold(lambda: os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    assert fd is not None
    try:
        yield
    finally:
        os.close(fd)


def _in_a_run(folder: Path, staged: threading.Event, go_on: threading.Event,
              commit: bool, after: float) -> None:
    """A run's main process: remakes a record, then, ``after`` seconds once told to go on, commits
    its batch (or not) and ends, letting go of the folder."""
    with _run_holding(folder):
        _, _, journal = _stage_remake(folder)
        staged.set()
        go_on.wait(10)
        threading.Event().wait(after)
        if commit:
            journal.commit()
        else:
            journal.db.execute("ROLLBACK")
        journal.close()


def _verify_during(folder: Path, *, commit: bool, after: float) -> tuple[Result, list[str]]:
    staged, go_on = threading.Event(), threading.Event()
    worker = threading.Thread(target=_in_a_run, args=(folder, staged, go_on, commit, after))
    worker.start()
    try:
        assert staged.wait(10)
        go_on.set()
        return _verify(folder)
    finally:
        go_on.set()
        worker.join(20)


def test_a_file_remade_by_a_run_that_journals_it_meanwhile_is_not_called_tampered_with(out: Path) -> None:
    result, problems = _verify_during(out, commit=True, after=0.5)
    assert result.exit_code == 0 and problems == [], result.output  # before: NOT intact, the file named
    assert "intact: " in result.stderr


def test_a_file_changed_by_hand_while_a_run_holds_the_folder_is_named(out: Path) -> None:
    """The run ends without ever journaling other bytes for that file."""
    _, _, outputs = _first_record(out)
    path = out / sorted(outputs.values())[0]["file"]
    second = sorted((out / "edc").iterdir())[1]
    shutil.copyfile(second, path)
    staged, go_on = threading.Event(), threading.Event()

    def run_without_that_record() -> None:
        with _run_holding(out):
            staged.set()
            go_on.wait(10)
            threading.Event().wait(0.5)

    worker = threading.Thread(target=run_without_that_record)
    worker.start()
    try:
        assert staged.wait(10)
        go_on.set()
        result, problems = _verify(out)
    finally:
        go_on.set()
        worker.join(20)
    assert result.exit_code == 1, result.output
    [problem] = problems
    assert problem.startswith(f"{path} (record ") and "is not the file issued" in problem, problem
    assert problem.endswith("restore it from a copy"), problem


def test_a_file_a_run_goes_on_not_journaling_is_named_once_it_has_been_waited_for(
        out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "_REMAKE_QUIET", 0.5)
    result, problems = _verify_during(out, commit=True, after=3.0)
    assert result.exit_code == 1, result.output
    [problem] = problems
    assert "is not the file issued" in problem, problem
    assert "a run holding this folder has not journaled it" in problem, problem  # before: not said
    assert "verify again once that run ends" in problem, problem


def test_a_file_a_run_wrote_but_never_journaled_is_named(out: Path) -> None:
    """The run let go of the folder with the record undone (as a failed commit leaves it)."""
    result, problems = _verify_during(out, commit=False, after=0.3)
    assert result.exit_code == 1, result.output
    [problem] = problems
    assert "is not the file issued" in problem and "a run holding this folder" not in problem, problem


_KILLED_RUN = """
import os, signal, sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from tests.test_audit_verify_live import _run_holding, _stage_remake
folder = Path(sys.argv[1])
with _run_holding(folder):
    _stage_remake(folder, 1)[2].commit()  # a batch committed, then one staged
    _stage_remake(folder, 0)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_file_written_by_a_run_killed_before_its_commit_names_the_way_to_finish_it(out: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    killed = subprocess.run([sys.executable, "-c", _KILLED_RUN, str(out), str(root)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert Path(f"{out / JOURNAL_NAME}-wal").stat().st_size > 0
    result, problems = _verify(out)
    assert result.exit_code == 1, result.output
    [problem] = problems
    assert "is not the file issued" in problem, problem
    assert "a run stopped before journaling it" in problem and "run the same export again" in problem, problem


def test_a_run_that_ended_cleanly_while_a_reader_had_the_journal_open_is_not_taken_for_a_killed_one(
        out: Path) -> None:
    """The reader (an ``audit verify`` of before) keeps the journal open as the run closes it:
    the log must not stay behind, as one a killed run leaves does."""
    _, _, outputs = _first_record(out)
    reader = open_read_only(out / JOURNAL_NAME)
    try:
        reader.execute("SELECT COUNT(*) FROM audit").fetchone()
        with _run_holding(out):
            _stage_remake(out, 1)[2].close(fold_log=True)  # as a run closes it
    finally:
        reader.close()
    path = out / outputs["edc"]["file"]
    _write_atomically(path, _remade_bytes(path))  # changed by hand since
    result, problems = _verify(out)
    assert result.exit_code == 1, result.output
    [problem] = problems
    assert "is not the file issued" in problem, problem
    assert "a run stopped" not in problem and "restore it from a copy" in problem, problem  # before: hinted


def test_a_file_remade_by_a_run_that_came_and_went_during_the_check_is_judged_against_its_commit(
        out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A short run starts after the journal was read and ends before the files are: no run holds
    the folder at either look, but the trail grew."""
    reading = journal_module._files_changed

    def a_run_meanwhile(records: Iterator[tuple[str, str]], folder: Path, **how: bool) -> object:
        with _run_holding(out):
            _stage_remake(out)[2].close()
        return reading(records, folder, **how)

    monkeypatch.setattr(journal_module, "_files_changed", a_run_meanwhile)
    result, problems = _verify(out)
    assert result.exit_code == 0 and problems == [], result.output


def test_a_file_and_its_record_changed_by_hand_while_a_run_holds_the_folder_are_named(
        out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record made to name the new file, with no events of it: no run journaled it."""
    monkeypatch.setattr(journal_module, "_REMAKE_QUIET", 0.3)
    reading = journal_module._files_changed

    def edited_meanwhile(records: Iterator[tuple[str, str]], folder: Path, **how: bool) -> object:
        key, _, outputs = _first_record(out)
        path = out / outputs["edc"]["file"]
        content = _remade_bytes(path)
        _write_atomically(path, content)
        outputs["edc"]["sha256"] = hashlib.sha256(content).hexdigest()
        journal = Journal.for_folder(out)
        journal.db.execute("UPDATE records SET outputs = ? WHERE key = ?", (json.dumps(outputs), key))
        journal.close()
        return reading(records, folder, **how)

    monkeypatch.setattr(journal_module, "_files_changed", edited_meanwhile)
    with _run_holding(out):
        result, problems = _verify(out)
    assert result.exit_code == 1, result.output
    [problem] = problems
    assert "is not the file issued" in problem and "a run holding this folder" in problem, problem
