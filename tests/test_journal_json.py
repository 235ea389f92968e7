"""The journal's and the reports' stored JSON is the standard library's, byte for byte: the audit
chain's hashes (which ``audit verify`` recomputes over trails written by every earlier version),
the records' outputs and warnings, and report.json's records."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edcbridge.pipeline import journal as journal_module
from edcbridge.pipeline.journal import GENESIS, audit_hash

_FIELDS = ("time", "actor", "action", "key", "input_hash", "output_hash")
# text a hand-built or a naive encoder gets wrong: every control character, DEL, quotes and
# backslashes, the line and paragraph separators, non-ASCII of every width, an empty string
_TRICKY = ["".join(map(chr, range(0x20))), "\x7f", '"\\/', "\u2028\u2029", "Chloé Zoë Łukasz",
           "Παπαδοπούλου", "日本語", "\U0001f393", "\ufeff\u202e", "", "a" * 5000]


def _reference(prev: Any, event: Any) -> str:
    """The hash as every earlier version made it."""
    text = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev + text).encode("utf-8")).hexdigest()


def _event(value: Any, where: str = "key") -> dict[str, Any]:
    event: dict[str, Any] = {name: f"{name}-value" for name in _FIELDS}
    event[where] = value
    return event


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The events hashed through the fast writer (so a test knows it compared that path)."""
    calls: list[object] = []
    real = journal_module.canonical_json

    def spy(node: Any, *, floats: bool | None = None) -> bytes:
        calls.append(node)
        return real(node, floats=floats)

    monkeypatch.setattr(journal_module, "canonical_json", spy)
    return calls


@pytest.mark.parametrize("value", _TRICKY)
@pytest.mark.parametrize("where", _FIELDS)
def test_an_event_of_text_hashes_as_the_standard_library(value: str, where: str,
                                                         fast_calls: list[object]) -> None:
    event = _event(value, where)
    assert audit_hash(GENESIS, event) == _reference(GENESIS, event)
    assert fast_calls == [event]


@settings(max_examples=300, deadline=None)
@given(fields=st.fixed_dictionaries({name: st.text() for name in _FIELDS}), prev=st.text(max_size=70))
def test_any_text_hashes_as_the_standard_library(fields: dict[str, str], prev: str) -> None:
    try:
        expected: object = _reference(prev, fields)
    except UnicodeEncodeError as exc:  # a lone surrogate: the same error as before
        expected = type(exc)
    try:
        got: object = audit_hash(prev, fields)
    except UnicodeEncodeError as exc:
        got = type(exc)
    assert got == expected


# values a trail edited by hand may hold (SQLite keeps what it is given): hashed as before
@pytest.mark.parametrize("value", [0, -1, 2**63, 2**64 + 1, -(2**70), 1.5, 1e16, 1e-7, 0.1 + 0.2,
                                   float("inf"), None, True, ["a", 1.0], {"b": "Zoë", "a": [2**65]}])
def test_an_event_edited_by_hand_hashes_as_before(value: Any, fast_calls: list[object]) -> None:
    event = _event(value)
    assert audit_hash(GENESIS, event) == _reference(GENESIS, event)
    assert fast_calls == []  # the fast writer is never asked: its numbers are not json's


class _Text(str):
    """A str subclass: its JSON may be its own."""


def test_a_str_subclass_hashes_as_before(fast_calls: list[object]) -> None:
    event = _event(_Text("imperial/1"))
    assert audit_hash(GENESIS, event) == _reference(GENESIS, event)
    assert fast_calls == []


@pytest.mark.parametrize(("prev", "event"), [
    (GENESIS, _event(b"bytes")),  # bytes written into a field by hand
    (b"bytes", _event("imperial/1")),  # bytes as the previous hash
    (7, _event("imperial/1")),
    (GENESIS, _event("\udce9")),  # a lone surrogate
    ("\udce9", _event("imperial/1")),
    ("\udce9", _event("\udcff")),
])
def test_what_cannot_be_hashed_raises_as_before(prev: Any, event: dict[str, Any]) -> None:
    with pytest.raises(Exception) as before:
        _reference(prev, event)
    with pytest.raises(type(before.value)) as now:
        audit_hash(prev, event)
    assert str(now.value) == str(before.value)
