"""Safe HTML building: every text is escaped unless it is already :class:`Html`."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides, isolates


class Html(str):
    """A fragment of HTML that is safe to insert as is."""

    __slots__ = ()


def esc(value: object) -> Html:
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def attrs(**values: object) -> Html:
    """Attributes; ``class_`` becomes ``class``, ``aria_label`` ``aria-label``; None is left out."""
    parts = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(name if value is True else f'{name}="{esc(value)}"')
    return Html((" " + " ".join(parts)) if parts else "")


def tag(name: str, *content: object, **attributes: object) -> Html:
    return Html(f"<{name}{attrs(**attributes)}>{join(content)}</{name}>")


def join(items: Iterable[object], sep: str = "") -> Html:
    return Html(esc(sep).join(esc(item) for item in items))


def shown_controls(text: str) -> str:
    """``text`` with its direction controls written out (``[U+202E]``): a sentence of ours that
    quotes a name from a credential or a certificate must read in the order it was written."""
    return _DIRECTION_CONTROLS.sub(lambda found: f"[U+{ord(found.group()):04X}]", text)
