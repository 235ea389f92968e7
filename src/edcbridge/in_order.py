"""Work on many files or records by several processes, the results in the order given.

For the commands whose items are independent and cost milliseconds each (the pages of
``export --preview``, the files of ``validate`` and ``verify``, the credentials of ``badges``;
the export's own workers end as these do): a task is a chunk of items, a window of chunks
is in flight at a time, so memory stays bounded whatever the count. The workers ignore Ctrl-C
and SIGTERM: the command handles them, and ends the workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from typing import Any, TypeVar

import click

Item = TypeVar("Item")
Result = TypeVar("Result")

CHUNK = 16  # items a task: an item costs milliseconds, a task's round trip a fraction of one
_work: Callable[[Any], Any] | None = None  # a worker's
_HELD = {signal.SIGINT, signal.SIGTERM}  # the command's to handle, held back while workers start
_CAN_HOLD = hasattr(signal, "pthread_sigmask")


def default_workers() -> int:
    """Processes a command starts by default: one per core, at most 8."""
    return max(1, min(os.cpu_count() or 1, 8))


def processes_for(workers: int | None, items: int, *, forked_only: bool = False) -> int:
    """Processes to work on ``items`` with: one for a few (no processes to start), else
    ``workers`` or :func:`default_workers`. ``forked_only``: one, too, where processes are not
    forked, as Linux forks them, for work that holds what cannot be handed through a pipe
    (certificates, keys, functions made on the fly)."""
    if items <= CHUNK or (forked_only and multiprocessing.get_start_method() != "fork"):
        return 1
    return workers or default_workers()


def _start_worker(work: Callable[[Any], Any]) -> None:
    global _work
    exit_with_parent()
    _work = work


def exit_with_parent() -> None:
    """A worker ends when the command that started it is gone (``kill -9``): otherwise it
    would go on with work nobody will read, or wait for ever on a pipe the command held.
    Ctrl-C and SIGTERM (which a service manager sends to every process of the run) are the
    command's to handle: it ends the workers, without a traceback from each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _CAN_HOLD:  # held back as it was forked (see submit): ignored from now on
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    run = multiprocessing.parent_process()  # its pid, not getppid(): the run may be gone already
    parent = run.pid if run is not None else os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="edcbridge-parent-watch", daemon=True).start()


class WorkerLost(click.ClickException):
    """A worker process ended part way (killed by the system when memory ran short, or by
    hand): said in one line (exit 1), not as the pool's traceback. What it held is lost, and
    the same command does it again."""

    def __init__(self, message: str = "a worker process ended part way (killed by the system when "
                 "memory ran short, or by hand); run the same command again, with -j 1 if memory "
                 "is short") -> None:
        super().__init__(message)


def submit(pool: ProcessPoolExecutor, work: Callable[..., Result], *args: Any) -> Future[Result]:
    """``pool.submit``, Ctrl-C and SIGTERM held back meanwhile: the worker processes a first
    submit forks start with them held until :func:`exit_with_parent` ignores them (pressed as a
    worker started, Ctrl-C printed the worker's traceback); the command gets them as usual after."""
    if not _CAN_HOLD:
        return pool.submit(work, *args)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        return pool.submit(work, *args)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _chunk(items: list[Any]) -> list[Any]:
    assert _work is not None, "a worker is started with its work"
    return [_work(item) for item in items]


def in_order(work: Callable[[Item], Result], items: Iterable[Item], workers: int,
             chunk: int = CHUNK) -> Iterator[Result]:
    """``work(item)`` of every item, by ``workers`` processes (one: this one), each result in
    the order given. ``work`` is handed to each worker once (a ``functools.partial`` of a
    module's function, to be picklable where processes are not forked). An exception of
    ``work`` is raised here, as is a Ctrl-C: either ends the workers, the items not yet done
    being left undone; a worker killed part way raises :class:`WorkerLost`."""
    if workers <= 1:
        yield from map(work, items)
        return
    pending = iter(items)
    first = list(islice(pending, chunk + 1))
    if len(first) <= chunk:  # a few (a stream of them too): no processes to start
        yield from map(work, first)
        return
    pending = chain(first, pending)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(),
                               initializer=_start_worker, initargs=(work,))
    window: deque[Future[list[Result]]] = deque()
    try:
        while taken := list(islice(pending, chunk)):
            window.append(submit(pool, _chunk, taken))
            while window and (len(window) >= workers * 3 or window[0].done()):  # (all done: empty)
                yield from answer_of(pool, window.popleft())
        while window:
            yield from answer_of(pool, window.popleft())
    except BaseException as exc:  # an error, a Ctrl-C, or the caller stopped reading (GeneratorExit)
        stop_now(pool)
        if isinstance(exc, BrokenProcessPool):
            raise WorkerLost from None
        raise
    pool.shutdown(wait=True)


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Drop the tasks not started and end the workers (they ignore Ctrl-C and SIGTERM): what
    they held is lost, as after ``kill -9``; the commands write their files atomically."""
    processes = processes_of(pool)
    answers = getattr(getattr(pool, "_result_queue", None), "_writer", None)  # (gone once shut down)
    manager = getattr(pool, "_executor_manager_thread", None)  # (forgotten by shutdown)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(timeout=5)
    # A worker killed while it sent an answer left half a message in the pipe of answers, and the
    # pool's thread waits for the rest (it would hold the command's exit, which waits for it). The
    # workers gone, this process holds the last end that writes to it: closed, the wait ends.
    if answers is not None:
        with contextlib.suppress(OSError):
            answers.close()
    # The pool's thread ends once it has seen the workers gone; left going, it could close the
    # pipe that wakes it while Python's exit writes to it ("Bad file descriptor" at exit).
    if isinstance(manager, threading.Thread):
        manager.join(timeout=5)


def answer_of(pool: ProcessPoolExecutor, task: Future[Result]) -> Result:
    """The result of a task. A worker that dies is said by the pool (BrokenProcessPool), but
    not when it died while sending an answer: the pool then waits for the rest of it for ever.
    A dead worker and no word from the pool a second later is taken as that."""
    while not wait([task], timeout=1.0).done:
        if not _workers_alive(pool) and not wait([task], timeout=1.0).done:
            raise BrokenProcessPool("a worker process ended while the pool waited for its answer")
    return task.result()


def _workers_alive(pool: ProcessPoolExecutor) -> bool:
    try:
        return all(process.exitcode is None for process in processes_of(pool))
    except RuntimeError:  # the pool's thread changed them meanwhile: asked again a second later
        return True


def processes_of(pool: ProcessPoolExecutor) -> list[Any]:
    """The pool's worker processes (none once it is shut down)."""
    return list((getattr(pool, "_processes", None) or {}).values())
