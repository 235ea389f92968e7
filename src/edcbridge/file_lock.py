"""One process at a time on a folder or file: an exclusive ``flock`` that goes with the process
(``kill -9`` included). Where the system or the file system has no such locks (Windows, NFS)
nothing is held and the caller goes on without."""

from __future__ import annotations

import os
import time
from collections.abc import Callable


class Busy(Exception):
    """Another process held the lock for longer than the caller would wait."""


def hold(open_fd: Callable[[], int], wait: float = 0.0,
         waiting: Callable[[], None] | None = None) -> int | None:
    """The descriptor ``open_fd`` opens, once it holds its exclusive lock (close it to let go);
    None where there are no such locks. Another process holding it: tried again every 0.1 s for
    ``wait`` seconds (``waiting`` called once, as this one starts to wait), then Busy. What
    ``open_fd`` raises is the caller's."""
    try:
        import fcntl
    except ImportError:
        return None
    fd = open_fd()
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise Busy from None
            if waiting is not None and not told:
                waiting()
                told = True
            time.sleep(0.1)
        except OSError:
            os.close(fd)
            return None


def held_elsewhere(open_fd: Callable[[], int]) -> bool | None:
    """Whether another process holds the lock of what ``open_fd`` opens; None where that cannot
    be told (no such locks, or it cannot be opened). Only a shared lock is taken, and let go at
    once: a process asking for the lock in that moment waits its next try (see :func:`hold`)."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fd = open_fd()
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)
