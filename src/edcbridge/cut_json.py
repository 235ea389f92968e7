"""JSON cut short in transfer (an interrupted download, a clipped e-mail attachment), told
apart from JSON that is broken or in another encoding, in the words every reader uses (the
XML reader says it of XML in the same words)."""

from __future__ import annotations

import json

CUT_CHARACTER = "a character cut in two"


def incomplete(what: str, line: int, detail: str) -> str:
    """The words for *what* (the JSON, the document) stopping at *line* before it is closed."""
    return (f"{what} is incomplete, it stops at line {line} before it is closed ({detail}): the file "
            "was cut short, as by an interrupted download or a clipped e-mail attachment; ask the "
            "sender for the file again")


def incomplete_json(line: int, detail: str) -> str:
    return incomplete("the JSON", line, detail)


def json_stop_line(text: str, exc: json.JSONDecodeError) -> int | None:
    """The last line of *text* when it fails at its end (a string left open runs to it), else
    None: it is broken (or empty), not cut short."""
    kept = text.rstrip()
    if kept and (exc.msg.startswith("Unterminated string") or exc.pos >= len(kept)):
        return kept.count("\n") + 1
    return None


def bytes_stop_line(data: bytes, exc: UnicodeDecodeError) -> int | None:
    """The line UTF-8 *data* stops at when it stops inside its last character, else None."""
    if exc.reason != "unexpected end of data":
        return None
    return data.count(b"\n", 0, exc.start) + 1
