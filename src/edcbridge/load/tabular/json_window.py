"""The text of a .json file read a piece at a time, so that an array of a million awards, maybe
on one line, is read one award at a time: only the award being read is held, with the line and
column of each character for the errors."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from edcbridge.load.errors import InputFileError

CHUNK = 1024 * 1024
"""Characters read at a time."""

MAX_AWARD_CHARS = 32 * 1024 * 1024
"""Longest award of a .json file (in an array or one after another), as long as a line of a
JSON Lines file may be (see text_file.MAX_LINE_BYTES): an award of 2,000 cells is a few hundred KB."""

_SPACE = re.compile(r"[ \t\r\n]*")
_SPACE_OR_MARK = re.compile(r"[ \t\r\n\ufeff]*")
# what a value cut short by the end of the window may still lack: "1e+", "-Infinit", "\ud83d\ude0"
_TAIL = 16


class JsonWindow:
    """The text of the file from the value being read on. Indexes are into :attr:`text`;
    :meth:`more` drops the text before the index it keeps, and says by how much they move."""

    def __init__(self, handle: io.TextIOWrapper) -> None:
        self._handle, self._chunk = handle, CHUNK
        self.text = ""
        self.ended = False
        self._line = 1  # the line of text[_counted]
        self._counted = 0
        self._line_start = 0  # where that line starts (negative once dropped)

    def more(self, keep: int) -> int:
        """Read on, dropping the text before ``keep``: the number of characters dropped. A value
        longer than a chunk is read in pieces as long as what is held, so it is decoded a few
        times, not once per chunk."""
        self.line(keep)
        data = self._handle.read(max(self._chunk, len(self.text) - keep))
        self.text = self.text[keep:] + data
        self._counted -= keep
        self._line_start -= keep
        self.ended = not data
        return keep

    def held(self, size: int) -> None:
        """Read until ``size`` characters are held, or the file ends."""
        while len(self.text) < size and not self.ended:
            self.more(0)

    def skip(self, index: int, marks: bool = False) -> int:
        """The index of the first character from ``index`` on that is no JSON space, reading on
        (and dropping the spaces read) as needed; ``len(text)`` where the file ends. ``marks``:
        byte-order marks are passed over too, as where another file was joined on."""
        space = _SPACE_OR_MARK if marks else _SPACE
        while True:
            index = space.match(self.text, index).end()  # type: ignore[union-attr]
            if index < len(self.text) or self.ended:
                return index
            index -= self.more(index)

    def at(self, index: int, character: str) -> bool:
        return self.text.startswith(character, index)

    def line(self, index: int) -> int:
        """The line of text[index]; ``index`` is never before one asked about earlier."""
        if index > self._counted:
            self._line += self.text.count("\n", self._counted, index)
            last = self.text.rfind("\n", self._counted, index)
            if last >= 0:
                self._line_start = last + 1
            self._counted = index
        return self._line

    def where(self, index: int) -> tuple[int, int]:
        """The line and column of text[index], counted as JSONDecodeError counts them."""
        line = self.line(index)
        return line, index - self._line_start + 1

    def may_go_on(self, index: int) -> bool:
        """Whether what the window ends with may go on in the text not read yet: a value that
        ends, or fails, within the last characters held is decoded again with more."""
        return not self.ended and len(self.text) - index < _TAIL


def cut_short(window: JsonWindow, exc: json.JSONDecodeError) -> bool:
    """Whether a value failed only because the window ends inside it."""
    return not window.ended and (exc.msg.startswith("Unterminated string") or window.may_go_on(exc.pos))


def too_long(path: Path, line: int, column: int) -> InputFileError:
    return InputFileError(str(path), f"the award starting at line {line}, column {column} runs on for "
                          f"more than {MAX_AWARD_CHARS // (1024 * 1024)} MB: not a file of awards, or "
                          "a quote left open in it", "check that this is the awards file (in JSON, a "
                          "text that starts with a quote must end with one)")
