"""A Ctrl-C or a SIGTERM that comes while a run writes its end reports (report.json of tens of
thousands of records, synced, then the summary) waits for them: they are put in place whole and
agree with the journal, and the run's summary and audit head are said, as at every ending."""

from __future__ import annotations

import csv
import json
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.pipeline import reports
from edcbridge.pipeline import runner as pipeline_runner
from edcbridge.pipeline.journal import JOURNAL_NAME, verify_audit
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


def _export_pressed_while_reporting(awards: Path, out: Path, signum: int,
                                    monkeypatch: pytest.MonkeyPatch) -> Result:
    """An export whose Ctrl-C (or SIGTERM) comes as its HTML summary is being written."""
    real = reports.render_html

    def pressed_meanwhile(*args: Any, **kwargs: Any) -> str:
        signal.raise_signal(signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "render_html", pressed_meanwhile)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        return CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out),
                                         "-j", "1"])
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_ctrl_c_while_the_end_reports_are_written_leaves_them_whole(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out = tmp_path / "out"
    result = _export_pressed_while_reporting(synthetic_awards(tmp_path / "awards.csv", 6), out, signum,
                                             monkeypatch)
    assert result.exit_code == 130 and "Traceback" not in result.output, result.output
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        done = db.execute("SELECT COUNT(*) FROM records WHERE state='done'").fetchone()[0]
    report = json.loads((out / "report.json").read_text("utf-8"))  # before: no report at all
    assert report["done"] == len(report["records"]) == done == 6
    with (out / "report.csv").open(encoding="utf-8-sig") as rows:
        assert len(list(csv.DictReader(rows))) == 6
    assert "<th scope='row'>done</th><td>6</td>" in (out / "report.html").read_text("utf-8")
    assert not [p.name for p in out.iterdir() if p.name.startswith(".report")]
    assert "6 done, 0 skipped, 0 failed" in result.stderr
    assert f"audit head {report['audit_head']}" in result.stderr  # said, to be noted
    assert verify_audit(out / JOURNAL_NAME).intact


def test_a_ctrl_c_while_an_aborted_run_writes_its_reports_still_says_why_it_stopped(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    real = pipeline_runner.iter_awards

    def failing(*args: Any, **kwargs: Any) -> Any:
        for index, loaded in enumerate(real(*args, **kwargs)):
            if index == 3:
                raise OSError(5, "Input/output error")
            yield loaded

    monkeypatch.setattr(pipeline_runner, "iter_awards", failing)
    out = tmp_path / "out"
    result = _export_pressed_while_reporting(synthetic_awards(tmp_path / "awards.csv", 6), out,
                                             signal.SIGINT, monkeypatch)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert result.exit_code == 1 and report["aborted"] == "OSError: [Errno 5] Input/output error"
    assert f"aborted: [Errno 5] Input/output error; what was done is kept and reported in " \
           f"{out / 'report.json'} (audit head {report['audit_head']}" in result.stderr
