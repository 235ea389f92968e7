"""Documents with one value changed, for the tests that hold a remembering validator to the
plain one: the nodes on the way to the value copied, a shared node as a new shared node."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edcbridge.mapping.nodes import Frozen

Where = tuple[str | int, ...]
Change = Callable[[Any], Any]
REMOVED = object()  # what a change gives to remove the value


def mutant(node: Any, where: Where, change: Change) -> Any:
    """The document with the value at ``where`` changed (or removed, if ``change`` gives
    REMOVED): the nodes on the way copied, a shared node as a new shared node, every other
    node the same object as before."""
    if not where:
        return change(node)
    key, rest = where[0], where[1:]
    new = mutant(node[key], rest, change)
    if isinstance(node, list):
        assert isinstance(key, int)
        return node[:key] + ([] if new is REMOVED else [new]) + node[key + 1:]
    copied = {k: new if k == key else v for k, v in node.items() if k != key or new is not REMOVED}
    return Frozen(copied) if isinstance(node, Frozen) else copied
