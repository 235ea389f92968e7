"""`in_order` hands each item's result back in the order given, however fast the workers run
ahead of the command reading the results."""

from __future__ import annotations

import functools
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from edcbridge.in_order import CHUNK, in_order


def _mark(folder: Path, item: int) -> int:
    (folder / str(item)).touch()
    return item * 2


def test_a_slow_reader_gets_every_result_in_order(tmp_path: Path) -> None:
    """The reader takes its time over the first result: meanwhile every task handed out is done,
    and the window of tasks in flight is empty when the next chunk is taken."""
    taken: list[int] = []

    def items() -> Iterator[int]:
        for item in range(CHUNK * 12):
            taken.append(item)
            yield item

    results = []
    for result in in_order(functools.partial(_mark, tmp_path), items(), workers=2):
        if not results:  # every item taken so far is worked on, and its answer back
            while not all((tmp_path / str(item)).exists() for item in list(taken)):
                time.sleep(0.05)
            time.sleep(1)
        results.append(result)
    assert results == [item * 2 for item in range(CHUNK * 12)]


def _pid(item: int) -> int:
    return os.getpid()


@pytest.mark.parametrize("given", [list, iter])
def test_a_few_items_are_worked_on_here_and_more_by_the_workers(given: type) -> None:
    """No processes are started for a chunk's worth, counted in a stream as in a list; more
    are handed to the workers, every item once."""
    assert list(in_order(_pid, given(range(CHUNK)), workers=2)) == [os.getpid()] * CHUNK
    pids = list(in_order(_pid, given(range(CHUNK * 4)), workers=2))
    assert len(pids) == CHUNK * 4 and os.getpid() not in pids


def _killed_at(last: int, item: int) -> int:
    if item == last:  # as the system's out-of-memory killer ends a process
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def test_a_worker_killed_part_way_is_said_in_one_line() -> None:
    """A command (validate, verify, badges) says it as a usage error is said: one line, exit 1,
    no traceback of the pool's."""
    with pytest.raises(click.ClickException) as stopped:
        list(in_order(functools.partial(_killed_at, CHUNK * 3), range(CHUNK * 6), workers=2))
    assert stopped.value.exit_code == 1
    assert "a worker process ended part way" in stopped.value.message


_STARTING = """
import sys, time
from edcbridge import in_order
ignoring = in_order.exit_with_parent

def slow_to_start():  # the moment between a worker's fork and its ignoring Ctrl-C, made long
    time.sleep(1.5)
    ignoring()

in_order.exit_with_parent = slow_to_start  # the workers are forked: they inherit it
stopping = in_order.stop_now

def slow_to_stop(pool):  # what a worker would print meanwhile has the time to show
    time.sleep(1)
    stopping(pool)

in_order.stop_now = slow_to_stop
try:
    list(in_order.in_order(abs, range(200), workers=2))
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
"""


def test_ctrl_c_as_the_workers_start_prints_no_traceback_of_theirs() -> None:
    """Pressed as the workers were being started (a command just begun): each worker not yet
    ignoring Ctrl-C printed its traceback ("Process ForkProcess-1: ... KeyboardInterrupt")."""
    import sys

    from tests.pipeline_support import ctrl_c_once_ready

    code, stderr, _ = ctrl_c_once_ready([sys.executable, "-c", _STARTING],
                                        lambda started: len(started) == 2)
    assert code == 130 and b"interrupted" in stderr, stderr
    assert b"Traceback" not in stderr and b"ForkProcess" not in stderr, stderr
