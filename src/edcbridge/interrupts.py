"""SIGTERM taken as Ctrl-C, for the commands that stop cleanly on Ctrl-C (``export``, ``push``).

``kill``, ``timeout`` and a service manager stopping a scheduled job send SIGTERM, whose default
ends the process at once: no reports, no results, a state half folded. Taken as Ctrl-C, the
command ends as it does when someone presses Ctrl-C: what was done is written, exit 130.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


@contextlib.contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """While inside, SIGTERM calls whatever handles Ctrl-C at that moment (``export`` finishes
    the batches its workers hold; elsewhere KeyboardInterrupt is raised). Where Ctrl-C is
    ignored (a background job), SIGTERM raises KeyboardInterrupt: stop now. Signals are the
    main thread's: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        ctrl_c = signal.getsignal(signal.SIGINT)
        if not callable(ctrl_c):
            raise KeyboardInterrupt
        ctrl_c(signal.SIGINT, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


@contextlib.contextmanager
def ctrl_c_held_back() -> Iterator[None]:
    """A step a Ctrl-C must not cut in two (an outcome committed, then counted): a Ctrl-C or a
    SIGTERM meanwhile waits for the step to end, then goes, each in turn, to whatever handles
    it at that moment, the step's own error or not. A signal not handled from Python (ignored,
    or left to its default) is left as it is; outside the main thread this does nothing."""
    received: list[tuple[int, FrameType | None]] = []
    try:
        with ctrl_c_noted() as received:
            yield
    finally:
        for number, frame in received:  # the first may stop the run (KeyboardInterrupt), or only note it
            now = signal.getsignal(number)
            if callable(now):
                now(number, frame)


@contextlib.contextmanager
def ctrl_c_noted() -> Iterator[list[tuple[int, FrameType | None]]]:
    """The end of a run (its reports written whole, as its journal holds them): a Ctrl-C or a
    SIGTERM meanwhile is noted in the list yielded (signal number, frame), not raised, so a run
    already stopping on an error still ends with that error; the caller stops once the step is
    done. A signal not handled from Python is left as it is; outside the main thread this does
    nothing."""
    received: list[tuple[int, FrameType | None]] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    held = {signum: handler for signum, handler in handlers.items() if callable(handler)}
    for signum in held:
        signal.signal(signum, lambda signum, frame: received.append((signum, frame)))
    try:
        yield received
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)
