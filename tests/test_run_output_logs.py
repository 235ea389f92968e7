"""What a run's progress says in a log (cron, ``2>log``): the rate and the ETA as the runner
reports records, in bursts (one per journal commit, the first often a single record)."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest

from edcbridge import progress as progress_module
from edcbridge.cli import _RunOutput
from edcbridge.pipeline.worker import STAGES, Outcome
from edcbridge.progress import Progress

PACE = 0.001  # seconds per record worked on: a thousand a second
BURST = 256  # records reported by one commit


def _bursts(start: float, records: int) -> list[tuple[float, int]]:
    """When the runner reports ``records`` worked on from ``start``: the first alone (its
    commit was due), the rest of its batch a moment later, then a commit of 256 at a time."""
    bursts = [(start, 1), (start + 0.37, min(7, records - 1))]
    left, now = records - 8, start + 0.37
    while left > 0:
        now += BURST * PACE
        bursts.append((now, min(BURST, left)))
        left -= BURST
    return [(when, count) for when, count in bursts if count > 0]


def _lines(monkeypatch: pytest.MonkeyPatch, total: int, skipped: int, worked: int) -> list[tuple[float, str]]:
    """Each line the bar writes to a log (a line at every record), with the time it was written."""
    clock = [1000.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    stream = io.StringIO()
    bar = Progress(total, stream=stream, every=0.0)
    times: list[float] = []
    for index in range(skipped):  # rows done by an earlier run: thousands a second
        clock[0] = 1000.0 + index / 15_000
        bar.update("skipped")
        times.append(clock[0])
    for when, count in _bursts(clock[0] + 0.5, worked):
        clock[0] = when
        for _ in range(count):
            bar.update("done")
            times.append(when)
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(times)
    return list(zip(times, lines, strict=True))


def _eta_seconds(line: str) -> int | None:
    found = re.search(r"ETA (\d+):(\d\d)$", line)
    return None if found is None else int(found.group(1)) * 60 + int(found.group(2))


def _check_eta(lines: list[tuple[float, str]]) -> None:
    end = lines[-1][0]
    for when, line in lines:
        eta = _eta_seconds(line)
        if eta is not None:  # within half and twice the time left, give or take the clock's second
            assert (end - when) / 2 - 1 <= eta <= (end - when) * 2 + 1, line


def test_the_eta_at_the_start_of_a_run_is_not_told_from_its_first_records(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first record reported alone, the next seven 0.37 s later: that pace would give an
    ETA of 18 minutes for three seconds of work."""
    lines = _lines(monkeypatch, 3000, 0, 3000)
    _check_eta(lines)
    assert "ETA --:--" in lines[1][1]  # too early to tell
    assert any(_eta_seconds(line) is not None for _, line in lines)  # told once it can be


def test_a_resumed_run_tells_the_pace_and_eta_of_the_work_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """45,000 rows skipped as done in three seconds, then 5,000 worked on at a thousand a
    second: never an ETA of a quarter of an hour, nor a rate of a few records a second."""
    lines = _lines(monkeypatch, 50_000, 45_000, 5_000)
    _check_eta(lines)
    told = [re.search(r" (\d+\.\d|--)/s,", line).group(1) for _, line in lines]  # type: ignore[union-attr]
    assert told[0] == "--"  # not yet known
    rates = [float(rate) for rate in told if rate != "--"]
    assert rates and min(rates) >= 1 / PACE / 2
    assert 1 / PACE / 2 <= rates[-1] <= 1 / PACE * 2  # the last line: the pace of the work


def test_the_eta_of_a_re_run_counts_the_rows_skipped_among_those_worked_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-run after every tenth row of 20,000 was corrected: the rows left go by at ten
    times the pace of the records worked on, most of them skipped as done."""
    clock = [1000.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    stream = io.StringIO()
    bar = Progress(20_000, stream=stream, every=0.0)
    times: list[float] = []
    for index in range(20_000):
        worked = index % 10 == 0
        clock[0] += 5 * PACE if worked else PACE / 100  # ten seconds of work in all
        bar.update("done" if worked else "skipped")
        times.append(clock[0])
    lines = list(zip(times, stream.getvalue().splitlines(), strict=True))
    _check_eta(lines)
    assert any(_eta_seconds(line) for _, line in lines)


def test_rows_refused_as_they_are_read_are_no_part_of_the_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """A nightly re-run of a file whose bad rows are not corrected yet: each fails again as it
    is read, at once, among 45,000 rows skipped as done, then 5,000 new rows are worked on at
    a thousand a second. Counted as work, the first bad row set the pace's start: the rate was
    that of the bad rows (150 a second), and the ETA, over the rows skipped since, 0:00 with
    five seconds of work ahead (hours, sealing with a timestamp authority)."""
    clock = [1000.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    stream = io.StringIO()
    shown = _RunOutput(Progress(50_000, stream=stream, every=0.0), Path("out"), True, None)
    refused = Outcome("", "awards.csv", 2, "A-1", "", "failed", "load", errors=["not a date"])
    skipped = Outcome("x/A-2", "awards.csv", 3, "A-2", "hash", "done")
    worked = Outcome("x/A-3", "awards.csv", 4, "A-3", "hash", "done", seconds=dict.fromkeys(STAGES, PACE))
    times: list[float] = []
    for index in range(45_000):
        clock[0] = 1000.0 + index / 15_000
        shown.on_outcome(*((refused, "failed") if index % 100 == 0 else (skipped, "skipped")))
        times.append(clock[0])
    for when, count in _bursts(clock[0] + 0.5, 5_000):
        clock[0] = when
        for _ in range(count):
            shown.on_outcome(worked, "done")
            times.append(when)
    lines = list(zip(times, stream.getvalue().splitlines(), strict=True))
    _check_eta(lines)
    rates = [float(found.group(1)) for _, line in lines if (found := re.search(r" (\d+\.\d)/s,", line))]
    assert rates and min(rates) >= 1 / PACE / 2


def test_a_long_run_does_not_flood_its_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of two hours (sealing with a timestamp authority, one record a second) sent by
    cron: a line every 2 s made 3,600 of them. Lines come ever less often, never more than a
    few minutes apart, and the last one says how the run ended."""
    bar, stream, written = _logged(monkeypatch, 7200, every=1.0)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) <= 200, len(lines)
    assert max(later - earlier for earlier, later in itertools.pairwise(written)) <= 5 * 60
    assert sum(1 for when in written if when - 1000.0 <= 60) >= 25  # the first minute as before
    assert "7200/7200" in lines[-1] and "in 2:00:00" in lines[-1]


def test_a_day_long_run_still_writes_to_its_log_every_few_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of a day (a large batch sealed with a timestamp authority, a record every 10 s):
    lines ever less often made the log silent for 45 minutes at its end, a run that looks hung."""
    _, _, written = _logged(monkeypatch, 8640, every=10.0)
    assert max(later - earlier for earlier, later in itertools.pairwise(written)) <= 5 * 60 + 10
    assert len(written) <= 500  # a line every three minutes on average: no flood either


def _logged(monkeypatch: pytest.MonkeyPatch, rows: int,
            every: float) -> tuple[Progress, io.StringIO, list[float]]:
    """A log's bar over ``rows`` records done one every ``every`` seconds (from 1000.0 on the
    clock), and the times at which it wrote a line."""
    clock = [1000.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    stream = io.StringIO()
    bar = Progress(rows, stream=stream)
    written: list[float] = []
    for _ in range(rows):
        clock[0] += every
        before = stream.tell()
        bar.update("done")
        if stream.tell() != before:
            written.append(clock[0])
    return bar, stream, written
