"""Reading credential documents: unwrap JAdES and upload wrappers, walk nodes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class NotACredential(ValueError):
    """The file is not a credential we can read."""


def with_source(path: Path, exc: Exception) -> str:
    """The error's message, naming the file once (readers already name it in most messages)."""
    message = str(exc)
    return message if message.startswith(f"{path}:") else f"{path}: {message}"


def unwrap(doc: Any) -> tuple[dict[str, Any], str]:
    """The credential inside a JAdES JSON seal or an EDCI upload wrapper, and its form."""
    if isinstance(doc, dict) and isinstance(doc.get("payload"), str) and "signatures" in doc:
        try:
            inner = json.loads(doc["payload"])
        except json.JSONDecodeError as exc:
            raise NotACredential(f"JAdES payload is not JSON: {exc.msg}") from None
        except RecursionError:
            raise NotACredential(f"JAdES payload nested deeper than {MAX_DEPTH} levels") from None
        return _check(inner), "jades"
    if isinstance(doc, dict) and set(doc) == {"credential"} and isinstance(doc["credential"], dict):
        return _check(doc["credential"]), "upload-wrapper"
    return _check(doc), "plain"


MAX_DEPTH = 64  # an EDC nests about 15 levels; far deeper is an attack on recursive readers


def _check(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or "@context" not in doc:
        raise NotACredential("no JSON-LD @context: not an EDC JSON-LD credential")
    if nested_too_deep(doc):
        raise NotACredential(f"nested deeper than {MAX_DEPTH} levels: not a credential")
    return doc


def nested_too_deep(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays nest deeper than ``limit`` (found without recursion, so the
    readers that recurse can be spared such input)."""
    todo: list[tuple[Any, int]] = [(doc, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        todo += [(child, depth + 1) for child in children if isinstance(child, dict | list)]
    return False


def parse_json(text: str) -> Any:
    """JSON text, or NotACredential saying why not (nesting too deep for the parser included)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotACredential(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise NotACredential(f"nested deeper than {MAX_DEPTH} levels: not a credential") from None


def read_credential(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise NotACredential("not UTF-8 text") from None
    return unwrap(parse_json(text))


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
