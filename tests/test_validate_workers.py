"""`validate FILE...` checks many files by several processes: the same lines, JSON and exit
code as one process gives, in the order the files were given."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.pipeline_support import ctrl_c_once_ready, synthetic_awards
from tests.test_pipeline import CATALOGUE, _alive


@pytest.fixture
def files(store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """40 credentials, one made invalid, among a folder, a file that is no JSON and a report."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out = tmp_path / "out"
    exported = CliRunner().invoke(main, ["export", str(synthetic_awards(tmp_path / "awards.csv", 40)),
                                         "-c", str(CATALOGUE), "-o", str(out), "-q"])
    assert exported.exit_code == 0, exported.stderr
    credentials = sorted((out / "edc").iterdir())
    broken = json.loads(credentials[25].read_text("utf-8"))
    del broken["issuer"]
    credentials[25].write_text(json.dumps(broken), "utf-8")
    (tmp_path / "notes.txt").write_text("not a credential", "utf-8")
    given = [*credentials[:10], tmp_path / "notes.txt", out / "edc", *credentials[10:], out / "report.json"]
    return [str(path) for path in given]


@pytest.mark.parametrize("as_json", [False, True])
def test_several_processes_report_what_one_does(files: list[str], as_json: bool) -> None:
    results = {workers: CliRunner().invoke(main, ["validate", "-j", workers, *(["--json"] if as_json else []),
                                                  *files])
               for workers in ("1", "2")}
    assert results["1"].exit_code == 1, results["1"].output  # the credential without its issuer
    assert results["2"].exit_code == results["1"].exit_code
    assert results["2"].stdout == results["1"].stdout
    if as_json:
        sources = [entry["source"] for entry in json.loads(results["2"].stdout)]
        assert sources == files
        failed = [entry["source"] for entry in json.loads(results["2"].stdout) if not entry["ok"]]
        assert failed == [files[10], files[11], files[27]]  # no JSON, a folder, no issuer


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc")
def test_ctrl_c_ends_the_workers_without_a_traceback(files: list[str]) -> None:
    many = [path for path in files if path.endswith(".jsonld")] * 40  # long enough to be stopped
    command = [sys.executable, "-m", "edcbridge", "validate", "-j", "2", *many]
    code, stderr, workers = ctrl_c_once_ready(command, lambda started: len(started) == 2)
    assert code == 130, stderr
    assert b"Traceback" not in stderr
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc")
def test_workers_end_when_the_command_is_killed(files: list[str]) -> None:
    """Killed outright (by the system when memory runs short), the command leaves no worker
    behind: they waited for ever on the pipe it held, taking the processor as they did."""
    import os
    import signal
    import subprocess
    import time

    many = [path for path in files if path.endswith(".jsonld")] * 40
    proc = subprocess.Popen([sys.executable, "-m", "edcbridge", "validate", "-j", "2", *many],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and len(workers) < 2:
            workers = [int(pid) for pid in children.read_text().split()]
            time.sleep(0.02)
        assert len(workers) == 2, "the workers were not started, or were done before the kill"
        os.kill(proc.pid, signal.SIGKILL)  # the command only, not its workers
        proc.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), "workers outlived the command"
    finally:
        for pid in [pid for pid in workers if _alive(pid)]:
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
