"""`in_order` hands each item's result back in the order given, however fast the workers run
ahead of the command reading the results."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path

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
