"""Progress on stderr: a live line on a terminal, a line every few seconds otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    def __init__(self, enabled: bool = True, every: float = 2.0) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.every = every
        self.started = time.monotonic()
        self.last = 0.0
        self.done = 0
        self.failed = 0

    def update(self, result: Any) -> None:
        self.done += 1
        self.failed += result.status == "failed"
        now = time.monotonic()
        if not self.enabled or now - self.last < (0.1 if self.tty else self.every):
            return
        self.last = now
        self._print(now)

    def _print(self, now: float) -> None:
        rate = self.done / max(now - self.started, 1e-9)
        line = f"{self.done} records, {self.failed} failed, {rate:.1f}/s"
        sys.stderr.write(("\r" + line) if self.tty else line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.done:
            self._print(time.monotonic())
            sys.stderr.write("\n")
