"""Progress on stderr: a bar with rate and ETA on a terminal, a line every few seconds otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

_ERASE = "\x1b[K"  # erase to the end of the line (ECMA-48 EL)


class Progress:
    def __init__(self, total: int | None = None, enabled: bool = True, every: float = 2.0,
                 stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self.every = every
        self.total = total
        self.started = time.monotonic()
        self.last = 0.0
        self.counts = {"done": 0, "skipped": 0, "failed": 0}
        self.closed = False
        self.drawn = False  # a bar is on the terminal's last line
        self.first_work: float | None = None  # when the first record not skipped was reported

    def update(self, outcome: Any, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        now = time.monotonic()
        if self.first_work is None and status != "skipped":
            self.first_work = now
        if not self.enabled or now - self.last < (0.1 if self.tty else self.every):
            return
        self.last = now
        self._print(now)

    def line(self, now: float, final: bool = False) -> str:
        seen = sum(self.counts.values())
        elapsed = max(now - self.started, 1e-9)
        rate = seen / elapsed
        tail = f"{rate:.1f}/s, {self.counts['failed']} failed, {self.counts['skipped']} skipped"
        if not self.total:
            return f"{seen} records, {tail}"
        share = min(seen / self.total, 1.0)
        bar = "#" * int(share * 24) + "." * (24 - int(share * 24))
        end = f"in {_clock(elapsed)}" if final else f"ETA {self._eta(now, seen)}"
        return f"[{bar}] {seen}/{self.total} {share:4.0%} {tail}, {end}"

    def _eta(self, now: float, seen: int) -> str:
        """The time the rows left take at the pace of the records worked on so far: rows skipped
        as done (a resumed run starts with thousands of them a second) say nothing of it."""
        worked = seen - self.counts.get("skipped", 0)
        if self.total is None or self.first_work is None or worked < 2 or now <= self.first_work:
            return "--:--"
        pace = (now - self.first_work) / (worked - 1)  # the first marks the start
        return _clock(max(self.total - seen, 0) * pace)

    def _print(self, now: float, final: bool = False) -> None:
        text = self.line(now, final)
        # on a terminal the bar is drawn again in place: erased to the end of the line, so a
        # shorter line leaves nothing of a longer one behind
        self.stream.write(f"\r{text}{_ERASE}" if self.tty else text + "\n")
        self.stream.flush()
        self.drawn = self.tty

    def clear(self) -> None:
        """Erase the bar before other output goes to the terminal (it comes back at the next
        update), so a message never continues the bar's line."""
        if self.drawn:
            self.stream.write(f"\r{_ERASE}")
            self.stream.flush()
            self.drawn = False

    def close(self) -> None:
        """The last line; only once (closing again does nothing)."""
        if self.closed:
            return
        self.closed = True
        if self.enabled and sum(self.counts.values(), 0) > 0:
            self._print(time.monotonic(), final=True)
            if self.tty:
                self.stream.write("\n")
                self.drawn = False


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}" if whole >= 3600 \
        else f"{whole // 60}:{whole % 60:02d}"
