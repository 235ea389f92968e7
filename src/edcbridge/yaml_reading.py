"""Reading YAML (and JSON, which is YAML): the one module that imports PyYAML.

Only safe loaders. Two bounds, each set by the caller: how many values a file may write
(:class:`BoundedLoader`, before PyYAML holds them all as nodes) and how many values its aliases
may expand it to (:func:`check_expansion`, the "billion laughs"). The line of each value by its
path (:func:`node_lines`, :func:`nearest_line`) lets a problem be reported where it is written.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import MappingNode, Node, ScalarNode, SequenceNode, YAMLError

__all__ = [
    "BoundedLoader", "MappingNode", "Node", "ScalarNode", "SequenceNode", "TooLarge", "TooManyWritten",
    "YAMLError", "check_expansion", "compose", "load_as_text", "load_with_lines", "nearest_line",
    "node_lines", "safe_load",
]


class TooManyWritten(Exception):
    """The file writes more than the loader's ``max_written`` values; ``line`` is where reading
    stopped."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"more than {limit} values written")
        self.line = line


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that stops composing a document past ``max_written`` values (keys, values,
    items; an alias counts once); without it, unbounded."""

    def __init__(self, text: str, max_written: int | None = None) -> None:
        super().__init__(text)
        self._max_written = max_written
        self._written = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._written += 1
        if self._max_written is not None and self._written > self._max_written:
            raise TooManyWritten(self.peek_event().start_mark.line + 1,  # type: ignore[no-untyped-call]
                                 self._max_written)
        return super().compose_node(parent, index)


def compose(text: str, loader: type[BoundedLoader] = BoundedLoader, *,
            max_written: int | None = None) -> Node | None:
    """The composed document (nodes with their lines, aliases not yet expanded)."""
    parser = loader(text, max_written)
    try:
        return parser.get_single_node()
    finally:
        parser.dispose()


def safe_load(text: str) -> Any:
    """The document's data, read by PyYAML's safe loader."""
    return yaml.safe_load(text)


def load_as_text(text: str) -> Any:
    """The document's data with every value as text (no numbers, booleans or dates)."""
    return yaml.load(text, Loader=yaml.BaseLoader)  # BaseLoader builds no objects: safe


def load_with_lines(text: str, loader: type[BoundedLoader], *,
                    max_values: int) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """YAML parsed once: the data, and the line of each value (and key) by its path. The
    document may expand to at most ``max_values`` values (:func:`check_expansion`)."""
    parser = loader(text)
    try:
        node = parser.get_single_node()
        check_expansion(node, max_values)
        data = parser.construct_document(node) if node is not None else None
    finally:
        parser.dispose()
    return data, node_lines(node)


def node_lines(root: Node | None) -> dict[tuple[Any, ...], int]:
    """The line of each value (and key) of a composed YAML document, by its path."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: Node, path: tuple[Any, ...]) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode):  # a list as a key is refused when built
                    walk(value, (*path, key.value))
                    lines[(*path, key.value)] = key.start_mark.line + 1
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    if root is not None:
        walk(root, ())
    return lines


def nearest_line(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int | None:
    """The line of ``loc``, or of the nearest value that holds it."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


class TooLarge(YAMLError):
    """The document would expand to more than its limit of values; ``line`` is where it grows."""

    def __init__(self, line: int, limit: int) -> None:
        self.line = line
        super().__init__(f"more than {limit} values")


def check_expansion(root: Node | None, max_values: int) -> None:
    """Refuse a document whose aliases expand it beyond ``max_values`` values (or refer to
    themselves), before anything walks or builds it."""
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        if id(node) in sizes:
            if sizes[id(node)] < 0:  # an alias inside its own anchor
                raise TooLarge(node.start_mark.line + 1, max_values)
            return sizes[id(node)]
        sizes[id(node)] = -1
        total = 1
        if isinstance(node, MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        elif isinstance(node, SequenceNode):
            total += sum(size(item) for item in node.value)
        if total > max_values:
            raise TooLarge(node.start_mark.line + 1, max_values)
        sizes[id(node)] = total
        return total

    if root is not None:
        size(root)
