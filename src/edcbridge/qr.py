"""QR codes (the one module that uses segno): SVG for pages, PNG for letters, text for terminals."""

from __future__ import annotations

import io
from pathlib import Path

import segno

from edcbridge.output import write_atomic


def _code(data: str) -> segno.QRCode:
    # M: 15 % of the symbol may be damaged; links by value need a large version
    return segno.make(data, error="m", micro=False)


def svg_inline(data: str, title: str) -> str:
    """An accessible inline SVG QR code (``role="img"`` named by its ``<title>``)."""
    svg: str = _code(data).svg_inline(scale=3, title=title, dark="#000000", light="#ffffff")
    return svg.replace("<svg ", '<svg role="img" ', 1)


def png_bytes(link: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    _code(link).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def write_png(link: str, target: Path, *, scale: int = 6) -> Path:
    """The code as a PNG file readable by this user only: the link it holds lets whoever
    scans it take the credential."""
    write_atomic(target, png_bytes(link, scale=scale), mode=0o600)
    return target


def terminal_text(link: str) -> str:
    """The code drawn with half-block characters (two modules per character cell)."""
    buffer = io.StringIO()
    _code(link).terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()


def version(link: str) -> int:
    """The QR version (1-40) the link needs: by-value offers are large, by-reference ones small."""
    value = _code(link).version
    return int(value) if isinstance(value, int) else 0
