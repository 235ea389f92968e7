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
