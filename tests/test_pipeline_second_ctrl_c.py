"""A second Ctrl-C stops a parallel run at once (README, exit codes: "a second Ctrl-C stops at
once"), not after every batch already queued for the workers is done (with 32-award batches
and 4 batches a worker in flight: 256 awards at -j 2, minutes with a timestamp authority)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from edcbridge.pipeline import Job, RunOptions, run, worker
from edcbridge.pipeline import runner as pipeline_runner
from edcbridge.pipeline.journal import JOURNAL_NAME, verify_audit
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
SLOW = 1.0  # seconds a batch takes (a timestamp authority answering in 30 ms, 32 times)


def _slow_batch(batch: list[tuple[str, str, str, int, str]]) -> list[worker.Outcome]:
    time.sleep(SLOW)
    return worker.process_batch(batch)


def test_a_second_ctrl_c_stops_a_parallel_run_at_once(store, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_runner, "process_batch", _slow_batch)  # the workers are forked
    awards = synthetic_awards(tmp_path / "awards.csv", 32 * 12)  # more batches than the 8 in flight
    out = tmp_path / "out"
    pressed: list[float] = []

    def progress(outcome: object, status: str) -> None:
        if not pressed:  # the first record reported: Ctrl-C twice (the second raises)
            pressed.append(time.monotonic())
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run([Job(CATALOGUE, (awards,))], RunOptions(out_dir=out, store_root=store.root, workers=2),
            progress)
    waited = time.monotonic() - pressed[0]
    assert waited < SLOW, f"the run went on for {waited:.1f} s after the second Ctrl-C"
    report = json.loads((out / "report.json").read_text())
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        done = db.execute("SELECT COUNT(*) FROM records WHERE state='done'").fetchone()[0]
    assert report["interrupted"] is True and report["done"] == done == len(report["records"])
    assert verify_audit(out / JOURNAL_NAME).intact
    resumed = run([Job(CATALOGUE, (awards,))], RunOptions(out_dir=out, store_root=store.root, workers=2))
    assert (resumed.done, resumed.skipped, resumed.failed) == (32 * 12 - done, done, 0)
    assert len(list((out / "edc").glob("*.jsonld"))) == 32 * 12
