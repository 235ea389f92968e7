"""Sealing the files of one `seal FILE...` run: several waiting on the timestamp authority at
once, each seal put on disk as soon as it is made, and all moved into place only at the end.

A seal at B-T and above waits for a round trip to the authority; one after another, thousands
of files add those up, so up to :data:`TSA_REQUESTS_AT_ONCE` are asked at once, as a worker of
the export pipeline asks. The sealed files wait under hidden names in the output folder rather
than in memory (a seal at B-LT carries the certificates and revocation data, often more than
the credential itself), so that the run still writes all files or none.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from edcbridge.output import write_atomic

# A seal at B-T and above waits for a timestamp authority (B-LTA twice): a round trip of tens to
# hundreds of milliseconds, against 0.3 ms of signing. This many seals are asked for at once
# (an export worker's batch, or the files of `seal FILE...`) rather than one after another (a
# batch of 32 at 100 ms a round trip: 0.4 s, not 3.2 s); the authority sees at most this many
# per process.
TSA_REQUESTS_AT_ONCE = 8

Seal = Callable[[int], str]  # the index of a file -> its seal
_DONE = object()  # a thread has no more texts to seal


def sealed_each(seal: Seal, count: int, at_once: int) -> Iterator[tuple[int, str]]:
    """Each of *count* files' index and its seal, as they are made, up to *at_once* being sealed
    at the same time; the first exception *seal* raises is raised here, and no file is started
    after it.

    The threads are daemons, started per run: Ctrl-C exits at once, not once every request in
    flight has its answer or times out. *seal* must be safe across threads (a Sealer and its TsaClient are:
    the pipeline shares them so)."""
    if at_once <= 1 or count <= 1:
        for index in range(count):
            yield index, seal(index)
        return
    pending = iter(range(count))
    taking = threading.Lock()
    stop = threading.Event()
    results: queue.Queue[object] = queue.Queue()  # its get() gives way to a Ctrl-C

    def take() -> None:
        try:
            while not stop.is_set():
                with taking:
                    index = next(pending, None)
                if index is None:
                    return
                try:
                    results.put((index, seal(index)))
                except BaseException as exc:  # handed to the caller's thread, which raises it
                    stop.set()
                    results.put(exc)
                    return
        finally:
            results.put(_DONE)

    threads = [threading.Thread(target=take, name="edcbridge-seal", daemon=True)
               for _ in range(min(at_once, count))]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            result = results.get()
            if result is _DONE:
                running -= 1
            elif isinstance(result, BaseException):
                raise result
            else:
                yield result  # type: ignore[misc]  # (index, sealed text) as put above
    finally:
        stop.set()  # the caller stopped early (an error, Ctrl-C): start no more


_STAGED = re.compile(r"\.sealing-(\d+)-.+")  # the hidden name of a seal waiting (see Staged)


def remove_left_behind(folder: Path) -> None:
    """The seals a run killed outright (``kill -9``, a power cut) left waiting under hidden names
    in ``folder``: removed, but for those of a run still going."""
    try:
        paths = list(folder.iterdir())
    except OSError:  # not made yet, or not readable: nothing of ours to remove
        return
    for path in paths:
        found = _STAGED.fullmatch(path.name)
        if found is not None and not _running(int(found.group(1))):
            with contextlib.suppress(OSError):
                path.unlink()


def _running(pid: int) -> bool:
    """Whether a process ``pid`` is there (another user's too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:  # no process has such a number
        return False
    return True


class Staged:
    """Sealed files written under hidden names beside their targets: :meth:`commit` moves them
    into place (each replacing an earlier seal of the same file whole), :meth:`discard` removes
    them. Used as a context manager, any that are not committed are discarded."""

    def __init__(self) -> None:
        self._files: list[tuple[Path, Path]] = []

    def write(self, target: Path, text: str) -> None:
        staged = target.with_name(f".sealing-{os.getpid()}-{target.name}")
        write_atomic(staged, text.encode("utf-8"))
        self._files.append((staged, target))

    def commit(self) -> None:
        for staged, target in self._files:
            staged.replace(target)
        self._files.clear()

    def discard(self) -> None:
        for staged, _ in self._files:
            with contextlib.suppress(OSError):
                staged.unlink()
        self._files.clear()

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *_: object) -> None:
        self.discard()
