"""A small, deterministic PNG for ``displayParameter`` (the shapes require an image).

This is a plain card (border and header band) rather than a rendering of the credential;
the preview renderer produces the readable page.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

_BLUE = (0, 51, 153)
_GOLD = (255, 204, 0)
_WHITE = (255, 255, 255)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


@cache
def card_png(width: int = 420, height: int = 297) -> bytes:
    def pixels(edge_row: bool, band_row: bool, star_row: bool) -> bytes:
        row = bytearray([0])  # filter type: none
        for x in range(width):
            edge = edge_row or x < 6 or x >= width - 6
            band = band_row and 20 <= x < width - 20
            star = star_row and 20 <= x < 120
            row += bytes(_BLUE if edge or band else _GOLD if star else _WHITE)
        return bytes(row)

    kinds: dict[tuple[bool, bool, bool], bytes] = {}  # a row depends on y only through these
    rows = []
    for y in range(height):
        kind = (y < 6 or y >= height - 6, 20 <= y < 56, 64 <= y < 68)
        rows.append(kinds.get(kind) or kinds.setdefault(kind, pixels(*kind)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + _chunk(b"IEND", b""))
