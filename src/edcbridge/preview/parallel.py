"""Preview pages of a batch made by several processes (``export --preview``): a page costs
milliseconds of QR code and markup, one process after the run made thousands one at a time.

The pages are named in the run's order by the caller and come back in that order, a window of
chunks at a time, so that memory stays bounded whatever the batch size.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from edcbridge.model import Award, Catalogue

Result = TypeVar("Result")
Page = Callable[[Award, Catalogue, Path], Any]  # an award's page written to a path -> its result

CHUNK = 16  # pages a task: a page costs milliseconds, a task's round trip a fraction of one
_page: tuple[Page, Catalogue] | None = None  # a worker's: how to make a page, and of which catalogue


def _start_worker(page: Page, catalogue: Catalogue) -> None:
    """Ctrl-C and SIGTERM are the run's to handle (it ends the workers), not each worker's."""
    global _page
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _page = page, catalogue


def _pages(chunk: list[tuple[Award, Path]]) -> list[Any]:
    assert _page is not None, "a preview worker is started with its page maker"
    page, catalogue = _page
    return [page(award, catalogue, target) for award, target in chunk]


def pages_in_parallel(page: Page, catalogue: Catalogue, named: Iterable[tuple[Award, Path]],
                      workers: int) -> Iterator[Any]:
    """``page(award, catalogue, target)`` of every award, made by ``workers`` processes, each
    result in the order given. An error in a page (a full disk) is raised here, and so is a
    Ctrl-C: either ends the workers, the pages not yet made being left unmade."""
    # started by fork, a worker takes the catalogue as it stands in memory, not through a pipe
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(),
                               initializer=_start_worker, initargs=(page, catalogue))
    window: deque[Future[list[Any]]] = deque()
    items = iter(named)
    try:
        while chunk := list(islice(items, CHUNK)):
            window.append(pool.submit(_pages, chunk))
            while len(window) >= workers * 3 or window[0].done():
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()
    except BaseException:
        _stop_now(pool)
        raise
    pool.shutdown(wait=True)


def _stop_now(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(timeout=5)
