"""Timestamp authorities on 127.0.0.1 that misbehave on purpose, for the tests."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

from edcbridge.seal.tsa_server import TimestampAuthority


class Holding(TimestampAuthority):
    """Answers the first ``answered`` requests at once and holds every other one until
    ``released``; ``on_first`` is called on the first request held (to press Ctrl-C in the run,
    say)."""

    def __init__(self, authority: TimestampAuthority, *, answered: int = 0,
                 on_first: Callable[[], None] | None = None) -> None:
        super().__init__(authority.signer)
        self.answered, self.on_first = answered, on_first
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.asked = 0
        self.held = 0

    def respond(self, body: bytes) -> bytes:
        with self.lock:
            self.asked += 1
            held = self.asked > self.answered
            self.held += held
            first = held and self.held == 1
        if first and self.on_first is not None:
            self.on_first()
        if held:
            self.released.wait()
        return super().respond(body)


def press_ctrl_c() -> None:
    """SIGINT to the main thread, as a Ctrl-C in a terminal gives it."""
    main = threading.main_thread().ident
    assert main is not None
    signal.pthread_kill(main, signal.SIGINT)


def press_ctrl_c_twice() -> None:
    """Ctrl-C, then again once the run has taken the first (its handler changed)."""
    taking_the_first = signal.getsignal(signal.SIGINT)
    press_ctrl_c()
    while signal.getsignal(signal.SIGINT) is taking_the_first:
        time.sleep(0.01)
    press_ctrl_c()
