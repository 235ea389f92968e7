"""Reading credential documents: unwrap JAdES and upload wrappers, walk nodes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class NotACredential(ValueError):
    """The file is not a credential we can read."""


def unwrap(doc: Any) -> tuple[dict[str, Any], str]:
    """The credential inside a JAdES JSON seal or an EDCI upload wrapper, and its form."""
    if isinstance(doc, dict) and isinstance(doc.get("payload"), str) and "signatures" in doc:
        try:
            inner = json.loads(doc["payload"])
        except json.JSONDecodeError as exc:
            raise NotACredential(f"JAdES payload is not JSON: {exc.msg}") from None
        return _check(inner), "jades"
    if isinstance(doc, dict) and set(doc) == {"credential"} and isinstance(doc["credential"], dict):
        return _check(doc["credential"]), "upload-wrapper"
    return _check(doc), "plain"


def _check(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or "@context" not in doc:
        raise NotACredential("no JSON-LD @context: not an EDC JSON-LD credential")
    return doc


def read_credential(path: Path) -> tuple[dict[str, Any], str]:
    try:
        raw = json.loads(path.read_text("utf-8-sig"))
    except UnicodeDecodeError:
        raise NotACredential("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise NotACredential(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    return unwrap(raw)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def walk(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON object in the document with its JSON path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key != "@context":
                yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, f"{path}[{index}]")
