"""The rows of a push wallet manifest, or one line saying where it cannot be read and the fix.

No cell of a manifest (a path, an address, a wallet id, a locale) comes near csv's 128 KiB
limit: a cell past it is a quote left open, which makes the rest of the file one cell. The
limit is checked here too, as csv's own is the process's and may have been raised."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from edcbridge.deliver.errors import DeliveryConfigError

# Where a line ends, to csv and to an editor: not at a form feed or U+2028, as str.splitlines
# would have it (which cut a row holding one in two, and moved every later row's line).
_LINE_END = re.compile(r"\r\n|\r|\n")
LONGEST_CELL = 128 * 1024  # csv's default field_size_limit
QUOTES_FIX = ("check the quotes from that line on (a cell that starts with a quote must end with one, "
              "and a quote inside it is written twice), then run the same command again")


class ManifestRows:
    """The header (``fieldnames``) and rows of ``text``, read from ``manifest``; each row with
    the line it starts on, as an editor numbers it (a cell may hold line breaks, and blank
    lines are skipped: a count of rows would name an earlier line)."""

    def __init__(self, manifest: Path, text: str) -> None:
        self.manifest, self.lines = manifest, _LINE_END.split(text)
        self.reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            self.fieldnames = list(self.reader.fieldnames or [])
        except csv.Error as exc:
            raise self._error(self._start(1), exc) from None
        if any(len(name) > LONGEST_CELL for name in self.fieldnames):
            raise self._error(self._start(1))

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            start = self._start(self.reader.line_num + 1)
            try:
                row = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._error(start, exc) from None
            if any(len(cell) > LONGEST_CELL for cell in _cells(row)):
                raise self._error(start)
            yield start, row

    def _start(self, line: int) -> int:
        """The line a row starts on: csv skips blank lines before it."""
        while line <= len(self.lines) and not self.lines[line - 1]:
            line += 1
        return line

    def _error(self, line: int, exc: csv.Error | None = None) -> DeliveryConfigError:
        if exc is None or "field larger than field limit" in str(exc):
            what = (f"a cell holds more than {LONGEST_CELL} characters, far more than a path or an "
                    "address: a quote left open makes the rest of the file one cell")
        else:
            what = f"cannot be read as CSV ({exc})"
        return DeliveryConfigError(f"{self.manifest}: line {line}: {what}; {QUOTES_FIX}")


def _cells(row: dict[str, object]) -> Iterator[str]:
    """The cells of a row, those past the header's last column (a list) among them."""
    for value in row.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (cell for cell in value if isinstance(cell, str))
