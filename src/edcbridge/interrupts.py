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
    """A step a Ctrl-C must not cut in two (an outcome committed, then counted): a Ctrl-C (or a
    SIGTERM taken as one) meanwhile waits for the step to end, then is handled by whatever
    handles Ctrl-C at that moment, each press in turn, the step's own error or not. Where Ctrl-C
    is not handled from Python (ignored), and outside the main thread, this does nothing."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    pressed: list[FrameType | None] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        for frame in pressed:  # the first may stop the run (KeyboardInterrupt), or only note it
            handler = signal.getsignal(signal.SIGINT)
            if callable(handler):
                handler(signal.SIGINT, frame)
