"""Handled records are committed at least every half second (README, Batch runs), also when a
batch takes seconds (32 awards sealed with a timestamp authority): not only when the next batch
comes back."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest

from edcbridge.pipeline import Job, RunOptions, run, worker
from edcbridge.pipeline import runner as pipeline_runner
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
SLOW = 2.0  # seconds a batch of 32 takes (a timestamp authority answering in 60 ms)


def _slow_batch(batch: list[tuple[str, str, str, int, str]]) -> list[worker.Outcome]:
    time.sleep(SLOW)
    return worker.process_batch(batch)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_is_committed_within_half_a_second(store, tmp_path: Path, workers: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_runner, "process_batch", _slow_batch)
    awards = synthetic_awards(tmp_path / "awards.csv", 32 * 3)
    reported: dict[int, list[float]] = defaultdict(list)  # by batch: when each record was reported

    def progress(outcome: worker.Outcome | None, status: str) -> None:
        if outcome is not None:
            reported[(outcome.row - 2) // 32].append(time.monotonic())

    result = run([Job(CATALOGUE, (awards,))],
                 RunOptions(out_dir=tmp_path / "out", store_root=store.root, workers=workers), progress)
    assert result.done == 32 * 3
    for batch, times in reported.items():  # a batch's records come back together
        spread = max(times) - min(times)
        assert spread < SLOW / 2, f"batch {batch}: its last record was committed {spread:.1f} s after " \
                                  "its first"
