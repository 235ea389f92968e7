"""Mark as artifacts what a page paints outside its tagged content.

Chromium tags the text and pictures of a page, but paints the page background and the boxes
behind a status or a table cell outside any marked-content sequence: content a checker finds
neither tagged nor an artifact (PDF/UA-1 7.1: every piece of content is one or the other).
Each such painting (a path and its fill or stroke, text shown, a shading) is wrapped in
``/Artifact BMC … EMC``. A pictured form (``Do``) is left as it is: it may hold tagged content of
its own.
"""

from __future__ import annotations

import re

from edcbridge.preview.pdf_values import literal_end

_TOKEN = re.compile(rb"""
    (?P<space>[ \t\r\n\f\0]+|%[^\r\n]*)
  | (?P<string>\()
  | (?P<hex><[0-9A-Fa-f \t\r\n\f\0]*>)
  | (?P<delimiter><<|>>|[\[\]{}])
  | (?P<name>/[^ \t\r\n\f\0()<>\[\]{}/%]*)
  | (?P<word>[^ \t\r\n\f\0()<>\[\]{}/%]+)
""", re.X)
_OPERAND_WORD = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)|true|false|null")
_PATH = frozenset({b"m", b"l", b"c", b"v", b"y", b"h", b"re"})
_PAINT_PATH = frozenset({b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_PAINT_ALONE = frozenset({b"Tj", b"TJ", b"'", b'"', b"sh"})
_OPEN = frozenset({b"BDC", b"BMC"})
_BEGIN, _END = b"\n/Artifact BMC\n", b"\nEMC\n"


class _Unreadable(ValueError):
    """Content this module does not rewrite (an inline image, a string left open)."""


def artifacts_marked(content: bytes) -> bytes | None:
    """``content`` (a page's content stream) with its untagged painting marked as artifacts;
    None when there is none or the stream is not read."""
    try:
        spans = _untagged_paintings(content)
    except _Unreadable:
        return None
    if not spans:
        return None
    out, done = bytearray(), 0
    for start, end in spans:
        out += content[done:start] + _BEGIN + content[start:end] + _END
        done = end
    return bytes(out + content[done:])


def _untagged_paintings(content: bytes) -> list[tuple[int, int]]:
    """(start, end) of each painting, with its path and operands, outside marked content."""
    spans: list[tuple[int, int]] = []
    depth, operands_start, path_start = 0, 0, None
    for operator, end in _operators(content):
        if operator in _OPEN:
            depth += 1
        elif operator == b"EMC":
            depth = max(depth - 1, 0)
        elif operator in _PATH:
            if path_start is None:
                path_start = operands_start
        elif operator in _PAINT_PATH:
            if depth == 0:
                spans.append((operands_start if path_start is None else path_start, end))
            path_start = None
        elif operator == b"n":
            path_start = None
        elif operator in _PAINT_ALONE and depth == 0:
            spans.append((operands_start, end))
        elif operator == b"BI":
            raise _Unreadable("inline image")
        operands_start = end
    return spans


def _operators(content: bytes) -> list[tuple[bytes, int]]:
    """Each operator of ``content`` with the offset just past it."""
    found, pos = [], 0
    while pos < len(content):
        token = _TOKEN.match(content, pos)
        if token is None:
            raise _Unreadable(f"unexpected byte at {pos}")
        if token.lastgroup == "string":
            pos = _literal_end(content, pos)
            continue
        pos = token.end()
        if token.lastgroup == "word" and not _OPERAND_WORD.fullmatch(token[0]):
            found.append((token[0], pos))
    return found


def _literal_end(content: bytes, start: int) -> int:
    try:
        return literal_end(content, start)
    except IndexError:
        raise _Unreadable("a string is not closed") from None
