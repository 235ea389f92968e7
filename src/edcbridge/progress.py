"""Progress on stderr: a bar with rate and ETA on a terminal, a line every few seconds otherwise
(ever less often as a long run goes on, up to every 5 minutes); before it, what the run waits on."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
import unicodedata
from typing import TextIO

_ERASE = "\x1b[K"  # erase to the end of the line (ECMA-48 EL)
_BAR = 24  # characters of the bar's picture, between its brackets
_SETTLE = 2.0  # seconds of work before its pace is told (rate of a resumed run, ETA)
_LOG_SLOWS_AFTER = 60.0  # seconds: then a log's lines come ever less often (every 2 min after 1 h)
_LOG_AT_MOST = 300.0  # seconds between a log's lines, however long the run: longer looks hung
# rows that are no work: done in an earlier run, or of an award withdrawn or erased (not exported again)
_NO_WORK = ("skipped", "withdrawn", "erased")
_WAIT_UNSAID = 0.5  # seconds a wait goes on before a terminal says what it is: a flash says nothing


def _columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to, asked each time (the window may be
    resized during a run); COLUMNS, or 80, where it cannot be asked."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or shutil.get_terminal_size().columns
    except (AttributeError, OSError, ValueError):  # no descriptor (io.UnsupportedOperation), closed
        return shutil.get_terminal_size().columns


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
        self.drawn_width = 0  # its characters (what a terminal without escape sequences overwrites)
        self.ansi = os.environ.get("TERM", "") != "dumb"  # a dumb terminal shows "\x1b[K" as text
        self.first_work: float | None = None  # when the first record not skipped was reported
        self.skipped_after_work = 0  # rows of no work since then (a re-run of a changed file)
        self.no_work = 0  # rows of no work in all

    def update(self, status: str, work: bool = True) -> None:
        """A row reported; ``work`` False for one refused as it was read (a date that is no
        date), at once: counted under its status, but like a row skipped as done no part of
        the pace (a re-run's bad rows not yet corrected would start its clock, and set its
        rate, among the thousands of rows skipped)."""
        self.counts[status] = self.counts.get(status, 0) + 1
        now = time.monotonic()
        idle = status in _NO_WORK or not work
        self.no_work += idle
        if self.first_work is None and not idle:
            self.first_work = now
        elif idle and self.first_work is not None:
            self.skipped_after_work += 1
        if not self.enabled or now - self.last < (0.1 if self.tty else self.every):
            return
        if not self.tty and now - self.last < min(self.every * (now - self.started) / _LOG_SLOWS_AFTER,
                                                  _LOG_AT_MOST):
            return  # a long run's log: a line every 2 s for an hour made 1,800 of them
        self.last = now
        self._print(now)

    def line(self, now: float, final: bool = False, width: int | None = None) -> str:
        """The progress line; with ``width``, the longest form shorter than it (a line as wide
        as the terminal wraps, and ``\r`` then redraws only its last part): the bar's picture
        goes first, then the rate and counts of failed and skipped, then the end is cut."""
        forms = self._forms(now, final)
        if width is None:
            return forms[0]
        fitting = [form for form in forms if len(form) < width]
        return fitting[0] if fitting else forms[-1][:max(width - 1, 0)]

    def _forms(self, now: float, final: bool) -> list[str]:
        seen = sum(self.counts.values())
        elapsed = max(now - self.started, 1e-9)
        rate = self._rate(now, seen, elapsed, final)
        tail = f"{'--' if rate is None else f'{rate:.1f}'}/s, {self.counts['failed']} failed, " \
               f"{self.counts['skipped']} skipped"
        withdrawn = self.counts.get("withdrawn", 0)
        tail += f", {withdrawn} withdrawn" if withdrawn else ""
        erased = self.counts.get("erased", 0)
        tail += f", {erased} erased" if erased else ""
        if not self.total:
            return [f"{seen} records, {tail}", f"{seen} records, {self.counts['failed']} failed", f"{seen}"]
        share = min(seen / self.total, 1.0)
        filled = int(share * _BAR)
        bar = "#" * filled + "." * (_BAR - filled)
        end = f"in {_clock(elapsed)}" if final else f"ETA {self._eta(now, seen)}"
        count = f"{seen}/{self.total} {share:4.0%}"
        return [f"[{bar}] {count} {tail}, {end}", f"{count} {tail}, {end}",
                f"{count} {self.counts['failed']} failed, {end}", f"{count} {end}", count]

    def _rate(self, now: float, seen: int, elapsed: float, final: bool = False) -> float | None:
        """Records a second: of those worked on, once the work has gone on for ``_SETTLE``
        seconds (a resumed run skips thousands of done rows a second, and a run's start-up, the
        catalogue read and the workers started, is no part of its pace); None before. The
        last line of a run too short for a pace gives all its records over all its time."""
        pace = self._pace(now, seen - self._no_work())
        if pace is not None:
            return 1 / pace
        return seen / elapsed if final else None

    def _eta(self, now: float, seen: int) -> str:
        """The time the rows left take at the pace of the rows since the first record worked on:
        rows skipped as done, or withdrawn, before it (a resumed run starts with thousands of them
        a second) say nothing of it; those among the records worked on since are part of it."""
        worked = seen - self._no_work()
        pace = self._pace(now, worked + self.skipped_after_work)
        if self.total is None or pace is None or worked < 2:
            return "--:--"
        return _clock(max(self.total - seen, 0) * pace)

    def _no_work(self) -> int:
        """Rows skipped as done or withdrawn, or refused as read: reported at once, they say
        nothing of the pace."""
        return self.no_work

    def _pace(self, now: float, rows: int) -> float | None:
        """Seconds a row, over the ``rows`` reported since the first record worked on, once the
        work has gone on for ``_SETTLE`` seconds; None before. Results come in bursts (one per
        journal commit, the first often a single record): two records a moment apart would give
        an ETA of hours, and the rows of a short run's one commit a rate of thousands a second."""
        if self.first_work is None or rows < 2 or now - self.first_work < _SETTLE:
            return None
        return (now - self.first_work) / (rows - 1)  # the first marks the start

    def _print(self, now: float, final: bool = False) -> None:
        if not self.tty:
            self.stream.write(self.line(now, final) + "\n")
            self.stream.flush()
            return
        # on a terminal the bar is drawn again in place, on one line of the terminal as wide as
        # it is now: erased to the end of the line, or overwritten with spaces on a terminal
        # without escape sequences, so a shorter line leaves nothing of a longer one behind
        width = _columns(self.stream)
        text = self.line(now, final, width)
        self.stream.write(f"\r{text}{self._erase(len(text), width)}")
        self.stream.flush()
        self.drawn, self.drawn_width = True, len(text)

    def _erase(self, kept: int, width: int) -> str:
        """What erases the rest of the bar's line once ``kept`` characters are written over it:
        spaces where the terminal takes no escape sequences (never up to its last column)."""
        if self.ansi:
            return _ERASE
        drawn = min(self.drawn_width, width - 1) if self.drawn else 0
        return " " * max(drawn - kept, 0)

    def clear(self) -> None:
        """Erase the bar before other output goes to the terminal (it comes back at the next
        update), so a message never continues the bar's line."""
        if self.drawn:
            erase = self._erase(0, _columns(self.stream))
            self.stream.write(f"\r{erase}" + ("" if self.ansi else "\r"))
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


class Waiting:
    """What a run waits on before its first row (the rows of its files counted, for the bar), said
    on the bar's stream by a thread of its own while the wait goes on: on a terminal drawn in place
    once the wait has gone on half a second, and erased when it ends; in a log, a line once it has
    gone on as long as the bar's lines are apart, then at most one as often, for a later step. A
    short wait says nothing. Signals stay the main thread's: a Ctrl-C stops the wait as before."""

    def __init__(self, enabled: bool = True, every: float = 2.0, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self.every = every
        self.ansi = os.environ.get("TERM", "") != "dumb"
        self.text = ""
        self.started = time.monotonic()
        self.shown = ""  # the text last said
        self.last = 0.0  # when a log's line was last written
        self.drawn_width = 0  # the columns of the text drawn on the terminal's last line
        self.drawn = False
        self._over = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Waiting:
        self.started = time.monotonic()
        if self.enabled:
            self._thread = threading.Thread(target=self._watch, name="waiting", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._over.set()
        if self._thread is not None:
            self._thread.join()
        self.clear()

    def say(self, text: str) -> None:
        """What the run waits on now."""
        self.text = text

    def _watch(self) -> None:
        try:
            while not self._over.wait(0.1):
                self.tick(time.monotonic())
        except (OSError, ValueError):  # stderr closed, or a pipe no one reads: the wait goes on unsaid
            return

    def tick(self, now: float) -> None:
        """Say what the run waits on, when it is due."""
        text = self.text
        if not self.enabled or not text or text == self.shown:
            return
        if self.tty:
            if now - self.started < _WAIT_UNSAID:
                return
            line, columns = _fitted(text, _columns(self.stream))
            self.stream.write(f"\r{line}{self._erase(columns)}")
            self.drawn, self.drawn_width = True, columns
        else:
            if now - max(self.started, self.last) < self.every:
                return
            self.stream.write(text + "\n")
            self.last = now
        self.stream.flush()
        self.shown = text

    def _erase(self, kept: int) -> str:
        if self.ansi:
            return _ERASE
        return " " * max(self.drawn_width - kept, 0) if self.drawn else ""

    def clear(self) -> None:
        """Erase what is drawn on the terminal, before the bar or a message takes the line."""
        if self.drawn:
            self.stream.write(f"\r{self._erase(0)}" + ("" if self.ansi else "\r"))
            self.stream.flush()
            self.drawn = False


def _fitted(text: str, width: int) -> tuple[str, int]:
    """The longest start of ``text`` that takes fewer than ``width`` columns of a terminal (a line
    as wide as the terminal wraps), and the columns it takes: a file's name may be in Chinese or
    Japanese, two columns a character, and a line that wrapped is erased from its last part alone."""
    taken = 0
    for index, char in enumerate(text):
        columns = 0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if taken + columns >= width:
            return text[:index], taken
        taken += columns
    return text, taken


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}" if whole >= 3600 \
        else f"{whole // 60}:{whole % 60:02d}"
