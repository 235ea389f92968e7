"""Just enough PDF syntax (ISO 32000-1 7.3) to read and rewrite the values of one object: where a
value ends, the items of an array, the value of a dictionary's entry, a reference."""

from __future__ import annotations

import re

_SPACE = b" \t\r\n\f\0"
_DELIMITERS = b"()<>[]{}/%"
_REFERENCE = re.compile(rb"(\d+)\s+(\d+)\s+R\b")


def skip_space(data: bytes, pos: int) -> int:
    """The offset of the first byte at or after ``pos`` that is neither white space nor comment."""
    while pos < len(data):
        if data[pos] in _SPACE:
            pos += 1
        elif data[pos] == ord("%"):
            while pos < len(data) and data[pos] not in b"\r\n":
                pos += 1
        else:
            break
    return pos


def value_end(data: bytes, pos: int) -> int:
    """The offset just past the value that starts at ``pos``."""
    if data.startswith(b"<<", pos):
        return _container_end(data, pos + 2, b">>")
    if data.startswith(b"[", pos):
        return _container_end(data, pos + 1, b"]")
    if data.startswith(b"(", pos):
        return literal_end(data, pos)
    if data.startswith(b"<", pos):
        return data.index(b">", pos) + 1
    reference = _REFERENCE.match(data, pos)
    if reference is not None:
        return reference.end()
    end = pos + 1 if data.startswith(b"/", pos) else pos
    while end < len(data) and data[end] not in _SPACE + _DELIMITERS:
        end += 1
    return max(end, pos + 1)


def _container_end(data: bytes, pos: int, closing: bytes) -> int:
    while True:
        pos = skip_space(data, pos)
        if pos >= len(data):
            raise ValueError("a dictionary or array that does not end")
        if data.startswith(closing, pos):
            return pos + len(closing)
        pos = value_end(data, pos)


def literal_end(data: bytes, pos: int) -> int:
    """The offset just past the literal string ``(...)`` that opens at ``pos``; IndexError when
    it is not closed."""
    depth = 0
    while True:
        char = data[pos]
        if char == ord("\\"):
            pos += 2
            continue
        depth += (char == ord("(")) - (char == ord(")"))
        pos += 1
        if depth == 0:
            return pos


def items(array: bytes) -> list[bytes]:
    """The items of the array ``array`` (``[...]``), each as written; ValueError when it is none."""
    if not array.startswith(b"["):
        raise ValueError("not an array")
    found, pos = [], skip_space(array, 1)
    while not array.startswith(b"]", pos):
        if pos >= len(array):
            raise ValueError("an array that does not end")
        end = value_end(array, pos)
        found.append(array[pos:end])
        pos = skip_space(array, end)
    return found


def entry_span(dictionary: bytes, key: bytes) -> tuple[int, int] | None:
    """Where the value of the entry ``/key`` of ``dictionary`` (``<<...>>``) is written."""
    pos = skip_space(dictionary, 2)
    while not dictionary.startswith(b">>", pos):
        name_end = value_end(dictionary, pos)
        start = skip_space(dictionary, name_end)
        end = value_end(dictionary, start)
        if dictionary[pos + 1:name_end] == key:
            return start, end
        pos = skip_space(dictionary, end)
    return None


def entry(dictionary: bytes, key: bytes) -> bytes | None:
    """The value of the entry ``/key`` of ``dictionary``, as written; None when it has none."""
    span = entry_span(dictionary, key)
    return dictionary[span[0]:span[1]] if span else None


def with_entry_value(dictionary: bytes, key: bytes, value: bytes) -> bytes:
    """``dictionary`` with ``value`` as the value of ``/key`` (added when it has none)."""
    span = entry_span(dictionary, key)
    if span is None:
        return b"<</" + key + b" " + value + b"\n" + dictionary[2:]
    return dictionary[:span[0]] + value + dictionary[span[1]:]


def reference(value: bytes | None) -> int | None:
    """The object number ``value`` refers to, when it is a reference."""
    found = _REFERENCE.fullmatch(value.strip()) if value is not None else None
    return int(found[1]) if found else None


def name(value: bytes | None) -> bytes | None:
    """The name ``value`` is (without its ``/``), when it is one."""
    return value[1:] if value is not None and value.startswith(b"/") else None


def ref(number: int) -> bytes:
    """A reference to object ``number`` (generation 0, as every object written here)."""
    return b"%d 0 R" % number
