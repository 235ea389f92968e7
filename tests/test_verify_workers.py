"""`verify FILE...` checks many files by several processes: the same verdicts, lines and JSON
as one process gives, in the order the files were given (a check's own clock aside)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.sealing import demo_seal
from tests.pipeline_support import ctrl_c_once_ready, synthetic_awards
from tests.test_pipeline import CATALOGUE, _alive

NOW = re.compile(r"valid now \([0-9T:Z-]+\)")  # when the file was checked


@pytest.fixture
def files(store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Path]:
    """20 sealed credentials and their 20 EDC XML, one seal broken, among a plain credential,
    a report and a folder; and the seal's root certificate."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    out = tmp_path / "out"
    exported = CliRunner().invoke(main, ["export", str(synthetic_awards(tmp_path / "awards.csv", 20)),
                                         "-c", str(CATALOGUE), "-o", str(out), "-q", "--format", "edc",
                                         "--format", "edc-xml", "--seal", str(seal.p12), "--password-file",
                                         str(seal.p12.parent / "seal-password.txt")])
    assert exported.exit_code == 0, exported.stderr
    sealed = sorted((out / "edc-sealed").iterdir())
    broken = sealed[7].read_text("utf-8").replace("SYN-00007", "SYN-99999")
    assert broken != sealed[7].read_text("utf-8")
    sealed[7].write_text(broken, "utf-8")
    given = [*sealed[:10], sorted((out / "edc").iterdir())[0], out / "report.json", out / "edc",
             *sealed[10:], *sorted((out / "edc-xml").iterdir())]
    return [str(path) for path in given], seal.p12.parent / "root-ca.pem"


@pytest.mark.parametrize("as_json", [False, True])
def test_several_processes_report_what_one_does(files: tuple[list[str], Path], as_json: bool) -> None:
    given, root = files
    results = {workers: CliRunner().invoke(main, ["verify", "-j", workers, "--trust-anchor", str(root),
                                                  *(["--json"] if as_json else []), *given])
               for workers in ("1", "2")}
    assert results["1"].exit_code == 1, results["1"].output  # the broken seal, the folder
    assert results["2"].exit_code == 1
    assert NOW.sub("", results["2"].stdout) == NOW.sub("", results["1"].stdout)
    if as_json:
        verdicts = [(entry["source"], entry["verdict"]) for entry in json.loads(results["2"].stdout)]
        assert [source for source, _ in verdicts] == given
        assert {verdict for _, verdict in verdicts} == {"VALID", "INVALID", "NOT SEALED", "NOT A CREDENTIAL",
                                                         "UNREADABLE"}
        assert verdicts[7][1] == "INVALID"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc")
def test_ctrl_c_ends_the_workers_without_a_traceback(files: tuple[list[str], Path]) -> None:
    many = [path for path in files[0] if path.endswith((".jsonld", ".xml"))] * 30
    command = [sys.executable, "-m", "edcbridge", "verify", "-j", "2", *many]
    code, stderr, workers = ctrl_c_once_ready(command, lambda started: len(started) == 2)
    assert code == 130, stderr
    assert b"Traceback" not in stderr
    assert not any(_alive(pid) for pid in workers)
