"""The progress bar as a terminal shows it: a terminal narrower than the bar (80 columns,
a split pane), one resized during the run, and a terminal that knows no escape sequences
(``TERM=dumb``: Emacs shell buffers, some CI consoles). Output goes through a small model of
a terminal (wrapping at the last column, ``\\r``, erase to the end of the line) to see what
stays on the screen."""

from __future__ import annotations

import fcntl
import io
import os
import select
import struct
import termios
import time
import unicodedata

import pytest

from edcbridge import progress as progress_module
from edcbridge.progress import Progress, Waiting


def _screen(output: str, width: int) -> list[str]:
    """The lines a terminal of ``width`` columns shows after ``output`` (xterm's wrapping:
    a character written past the last column goes to the start of the next line)."""
    lines: list[list[str]] = [[]]
    row = col = 0
    index = 0
    while index < len(output):
        char = output[index]
        if output.startswith("\x1b[K", index):
            del lines[row][col:]
            index += 3
            continue
        if char == "\x1b":
            raise AssertionError(f"an escape sequence the model does not know: {output[index:index + 8]!r}")
        if char == "\r":
            col = 0
        elif char == "\n":
            row, col = row + 1, 0
        else:
            columns = 2 if unicodedata.east_asian_width(char) in "WF" else 1  # CJK takes two
            if col + columns > width:  # wrapped
                row, col = row + 1, 0
            while len(lines) <= row:
                lines.append([])
            line = lines[row]
            line.extend(" " * (col + columns - len(line)))
            line[col:col + columns] = [char] + [""] * (columns - 1)
            col += columns
        while len(lines) <= row:
            lines.append([])
        index += 1
    return ["".join(line).rstrip() for line in lines]


class _Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(progress_module.time, "monotonic", lambda: self.now)


def _pty(columns: int) -> tuple[int, int]:
    master, slave = os.openpty()
    _resize(slave, columns)
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.OPOST  # the bytes as written, no \n -> \r\n
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    return master, slave


def _resize(fd: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))


def _drain(master: int) -> str:
    data = b""
    while select.select([master], [], [], 0)[0]:
        chunk = os.read(master, 65536)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8")


def _run_bar(bar: Progress, clock: _Clock, records: int) -> None:
    for index in range(records):
        clock.now += 0.5
        bar.update("failed" if index % 7 == 3 else "done")


def test_a_bar_wider_than_the_terminal_stays_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of thousands on an 80-column terminal: the bar's line is 81 characters and more
    ('[###.....] 1012/3000  34% 101.2/s, 12 failed, 0 skipped, ETA 0:19'); it wrapped, and each
    redraw (``\\r`` goes back to the start of the last line only) left a line behind."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    clock = _Clock(monkeypatch)
    master, slave = _pty(80)
    try:
        with open(slave, "w", encoding="utf-8", closefd=False) as stream:
            bar = Progress(1_000_000, stream=stream)
            bar.counts["skipped"] = 250_000  # a resumed run
            _run_bar(bar, clock, 40)
            output = _drain(master)
            screen = _screen(output, 80)
            assert len(screen) == 1 and screen[0].endswith(tuple("0123456789")), screen
            assert "ETA" in screen[0] and "250040/1000000" in screen[0]
            _resize(slave, 50)  # the window is made narrower: the next bars fit it
            _run_bar(bar, clock, 10)
            bar.close()
            screen = _screen(_drain(master), 50)
            assert len(screen) == 2 and screen[1] == "", screen  # the last bar, then a new line
            assert "250050/1000000" in screen[0] and "in " in screen[0]
    finally:
        os.close(master)
        os.close(slave)


def test_a_narrow_terminal_given_by_columns_keeps_the_count_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the terminal cannot be asked (a stream without a descriptor), COLUMNS says its
    width; what is left out first is the bar's picture, then the rate, never the count."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.delenv("TERM", raising=False)
    clock = _Clock(monkeypatch)
    stream = Terminal()
    bar = Progress(3000, stream=stream)
    _run_bar(bar, clock, 30)
    screen = _screen(stream.getvalue(), 40)
    assert len(screen) == 1 and screen[0].startswith("30/3000") and "ETA" in screen[0], screen


def test_a_dumb_terminal_gets_no_escape_sequences(monkeypatch: pytest.MonkeyPatch) -> None:
    """TERM=dumb (an Emacs shell buffer) shows ``\\x1b[K`` as text: the bar is redrawn with
    ``\\r`` and spaces over what a longer line left."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", "120")
    clock = _Clock(monkeypatch)
    stream = Terminal()
    bar = Progress(3000, stream=stream)
    for _ in range(1000):  # 1000 records in the first two seconds: "500.0/s"
        bar.update("done")
    clock.now += 2.0
    bar.update("done")
    clock.now += 200.0
    bar.update("done")  # 5.0/s: a shorter line
    assert " 5.0/s," in stream.getvalue()
    assert "\x1b" not in stream.getvalue()
    [line] = _screen(stream.getvalue(), 120)
    assert line == bar.line(clock.now), line
    bar.clear()
    stream.write("awards.csv:5: column 'specification' ...\n")
    bar.close()
    output = stream.getvalue()
    assert "\x1b" not in output
    message = "awards.csv:5: column 'specification' ..."
    assert _screen(output, 120) == [message, bar.line(clock.now, final=True), ""]


def test_a_pipe_gets_whole_lines_and_no_escape_sequences(monkeypatch: pytest.MonkeyPatch) -> None:
    """cron, a log file: a line now and then, no carriage returns, no escape sequences."""
    clock = _Clock(monkeypatch)
    stream = io.StringIO()
    bar = Progress(3000, stream=stream)
    _run_bar(bar, clock, 30)  # 15 seconds: a line every 2
    bar.close()
    output = stream.getvalue()
    assert "\r" not in output and "\x1b" not in output and output.endswith("\n")
    lines = output.splitlines()
    assert 7 <= len(lines) <= 10 and lines[-1].startswith("[") and "30/3000" in lines[-1]


def test_the_rate_of_a_resumed_run_is_the_pace_of_the_rows_worked_on() -> None:
    """A thousand rows skipped as done in the first second, then ten worked on over nine
    seconds: the run goes at about one a second, not a hundred."""
    from edcbridge.progress import Progress

    bar = Progress(total=2000, enabled=False)
    for _ in range(1000):
        bar.update("skipped")
    bar.counts["done"] = 10
    start = bar.started
    bar.first_work = start + 1
    assert " 1.0/s, 0 failed, 1000 skipped" in bar.line(start + 10)
    assert bar.line(start + 10).startswith("[") and "ETA 16:30" in bar.line(start + 10)


def test_a_log_gives_no_rate_of_the_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three seconds to read the catalogue and start the workers, then a thousand records a
    second: a log's first line said '0.3/s', its next '400.2/s'."""
    clock = _Clock(monkeypatch)
    stream = io.StringIO()
    bar = Progress(3000, stream=stream)
    clock.now += 3.0
    for index in range(2000):
        clock.now = 1003.0 + index / 1000
        bar.update("done")
    clock.now = 1005.0
    bar.update("done")
    first, second = stream.getvalue().splitlines()
    assert "1/3000" in first and " --/s," in first and "ETA --:--" in first
    assert "2001/3000" in second and " 1000.0/s," in second


def test_rows_of_withdrawn_awards_are_no_part_of_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """A nightly run meets a thousand rows of withdrawn awards in its first second, then works
    on ten records over nine seconds: the run goes at one a second, and the line says how many
    rows were withdrawn."""
    clock = _Clock(monkeypatch)
    bar = Progress(total=2000, enabled=False)
    for _ in range(1000):
        clock.now += 0.001
        bar.update("withdrawn")
    for _ in range(10):
        clock.now += 1.0
        bar.update("done")
    line = bar.line(clock.now)
    assert " 1.0/s, 0 failed, 0 skipped, 1000 withdrawn, ETA 16:30" in line, line


def test_the_last_line_of_a_short_run_gives_no_pace_of_one_burst(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eighteen rows reported at one journal commit, a second after the start: the last line
    said '2208.7/s' (the rows a moment apart in the burst) of a run that made 18 in a second,
    rather than its records over its time."""
    clock = _Clock(monkeypatch)
    stream = io.StringIO()
    bar = Progress(18, stream=stream)
    clock.now += 1.0
    for _ in range(18):
        clock.now += 0.0005
        bar.update("done")
    clock.now += 0.011
    bar.close()
    last = stream.getvalue().splitlines()[-1]
    assert "18/18" in last and " 17.6/s," in last, last


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


_COUNTING = "counting rows in awards.xlsx ..."


@pytest.mark.parametrize("term", ["xterm", "dumb"])
def test_a_wait_before_the_first_row_is_said_in_place_on_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                                    term: str) -> None:
    """The rows of a large workbook are counted before the run (0.7 s for 20,000): the terminal
    stayed silent meanwhile. What the run waits on is drawn where the bar will be, once the wait
    has gone on a moment (a flash says nothing), and erased when it ends."""
    monkeypatch.setenv("TERM", term)
    monkeypatch.setenv("COLUMNS", "80")
    clock = _Clock(monkeypatch)
    stream = _Terminal()
    waiting = Waiting(stream=stream)
    waiting.say("counting rows in a.csv ...")
    clock.now += 0.1
    waiting.tick(clock.now)
    assert stream.getvalue() == ""  # a count over at once says nothing
    waiting.say(_COUNTING)
    clock.now += 1
    waiting.tick(clock.now)
    assert _screen(stream.getvalue(), 80) == [_COUNTING]
    waiting.say("counting rows in b.csv ...")
    waiting.tick(clock.now + 0.1)
    assert _screen(stream.getvalue(), 80) == ["counting rows in b.csv ..."]
    waiting.clear()
    assert _screen(stream.getvalue(), 80) == [""]
    assert ("\x1b" in stream.getvalue()) == (term != "dumb")


def test_a_wait_naming_a_file_in_wide_characters_takes_one_line_of_the_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A Chinese or Japanese name takes two columns a character: cut to the terminal's characters,
    the line wrapped, and its erasing left its first part above the bar."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "40")
    clock = _Clock(monkeypatch)
    stream = _Terminal()
    waiting = Waiting(stream=stream)
    waiting.say("counting rows in " + "成績" * 15 + ".json ...")
    clock.now += 1
    waiting.tick(clock.now)
    shown = _screen(stream.getvalue(), 40)
    assert len(shown) == 1 and shown[0].startswith("counting rows in 成績"), shown
    waiting.clear()
    assert _screen(stream.getvalue(), 40) == [""]


def test_a_wait_is_said_in_a_log_once_it_lasts_as_long_as_a_line_of_the_bar(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A log gets a whole line, once the wait has gone on as long as the bar's lines are apart,
    and then at most one a line's interval, for a later file still being counted."""
    clock = _Clock(monkeypatch)
    stream = io.StringIO()
    waiting = Waiting(stream=stream)
    waiting.say(_COUNTING)
    for _ in range(19):
        clock.now += 0.1
        waiting.tick(clock.now)
    assert stream.getvalue() == ""
    for _ in range(10):
        clock.now += 0.1
        waiting.tick(clock.now)
    waiting.say("counting rows in b.csv ...")
    clock.now += 0.1
    waiting.tick(clock.now)
    assert stream.getvalue() == _COUNTING + "\n"  # b.csv's count was not due for a line yet
    clock.now += 2
    waiting.tick(clock.now)
    waiting.clear()
    assert stream.getvalue() == f"{_COUNTING}\ncounting rows in b.csv ...\n"


def test_a_wait_is_said_on_a_terminal_while_it_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERM", raising=False)
    master, slave = _pty(80)
    try:
        with open(slave, "w", encoding="utf-8", closefd=False) as stream:
            output = ""
            with Waiting(stream=stream) as waiting:
                waiting.say(_COUNTING)
                deadline = time.monotonic() + 30
                while _COUNTING + "\x1b[K" not in output and time.monotonic() < deadline:
                    time.sleep(0.05)
                    output += _drain(master)
                assert _screen(output, 80) == [_COUNTING]
            assert _screen(output + _drain(master), 80) == [""]
    finally:
        os.close(master)
        os.close(slave)


def test_a_quiet_run_says_nothing_of_its_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(monkeypatch)
    stream = _Terminal()
    with Waiting(enabled=False, stream=stream) as waiting:
        waiting.say(_COUNTING)
        clock.now += 10
        waiting.tick(clock.now)
    assert stream.getvalue() == ""
