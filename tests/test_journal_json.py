"""The journal's and the reports' stored JSON is the standard library's, byte for byte: the audit
chain's hashes (which ``audit verify`` recomputes over trails written by every earlier version),
the records' outputs and warnings, and report.json's records."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edcbridge.pipeline import journal as journal_module
from edcbridge.pipeline.journal import GENESIS, JOURNAL_NAME, Journal, audit_hash
from edcbridge.pipeline.reports import ReportWriter
from edcbridge.pipeline.runner import RunResult
from edcbridge.pipeline.worker import Outcome

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


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)
# the options the journal and the reports store JSON with
_OPTIONS: list[dict[str, Any]] = [{}, {"sort_keys": True}, {"ensure_ascii": False},
                                  {"sort_keys": True, "ensure_ascii": False, "separators": (",", ":")}]


@pytest.mark.parametrize("options", _OPTIONS)
@settings(max_examples=200, deadline=None)
@given(value=_JSON)
def test_the_encoder_made_once_writes_what_json_dumps_writes(options: dict[str, Any], value: Any) -> None:
    assert journal_module.json_encoder(**options)(value) == json.dumps(value, **options)


@pytest.mark.parametrize("options", _OPTIONS)
@pytest.mark.parametrize("value", [
    {}, [], "", 0, 2**64 + 1, -0.0, 1e16, 1e-7, 0.1 + 0.2, float("nan"), float("-inf"),
    {"path": "/out/edc-sealed/x.jsonld", "sha256": "ab" * 32, "file": "edc-sealed/x.jsonld"},
    {"b": {"d": "Zoë", "c": ["\udce9", "\u2028", "".join(map(chr, range(0x20)))]}, "a": [None, True, 2**70]},
    ["load: a.csv:3: column 'given_name' = 'Siân': no language given", "\U0001f393 \x7f"],
])
def test_the_encoder_made_once_on_edge_cases(options: dict[str, Any], value: Any) -> None:
    assert journal_module.json_encoder(**options)(value) == json.dumps(value, **options)


@pytest.mark.parametrize("value", [{"a": b"bytes"}, {"a": {1, 2}}, {("a", 1): 1}])
def test_the_encoder_made_once_refuses_as_json_dumps(value: Any) -> None:
    with pytest.raises(TypeError) as before:
        json.dumps(value, sort_keys=True)
    with pytest.raises(TypeError) as now:
        journal_module.json_encoder(sort_keys=True)(value)
    assert str(now.value) == str(before.value)


_ODD_TEXTS = ["Chloé \u2028 \U0001f393", "".join(map(chr, range(0x20))) + '"\\\x7f', "\udce9", ""]


def test_a_record_keeps_its_outputs_and_warnings_as_json_dumps_wrote_them(tmp_path: Path) -> None:
    outputs = {"edc-sealed": {"path": str(tmp_path / "édc" / "x.jsonld"), "sha256": "ab" * 32,
                              "file": "édc/x.jsonld", "size": "39001"},
               "edc": {"path": _ODD_TEXTS[1], "sha256": "", "file": _ODD_TEXTS[2]}}
    journal = Journal.for_folder(tmp_path)
    journal.record("imperial/1", "ih", "done", None, outputs, None, ["issued", "sealed"], _ODD_TEXTS)
    journal.record("imperial/2", "ih", "done", None, {}, None, [], ())
    journal.close()
    db = sqlite3.connect(tmp_path / JOURNAL_NAME)
    rows = db.execute("SELECT outputs, warnings FROM records ORDER BY key").fetchall()
    db.close()
    assert rows == [(json.dumps(outputs, sort_keys=True), json.dumps(_ODD_TEXTS)), ("{}", None)]


def test_report_json_holds_each_record_as_json_dumps_wrote_it(tmp_path: Path) -> None:
    outcomes = [
        Outcome("imperial/Zoë", _ODD_TEXTS[0], 3, "Zoë-1", "ih", "done",
                outputs={"edc-sealed": {"path": "out/édc/Zoë.jsonld", "sha256": "ab"}},
                warnings=_ODD_TEXTS, seconds={"map": 1e-05, "seal": 0.1 + 0.2}),
        Outcome("", _ODD_TEXTS[1], 0, "", "", "failed", "load", errors=["\udce9: cannot be read", ""]),
        Outcome("imperial/2", "a.csv", 2**40, "2", "ih", "done", redone="the row changed"),
    ]
    reports = ReportWriter(tmp_path)
    for outcome, status in zip(outcomes, ("done", "file-error", "skipped"), strict=True):
        reports.write(outcome, status)
    reports.close(RunResult(done=1, skipped=1, file_errors=1))
    lines = (tmp_path / "report.json").read_text(encoding="utf-8").split("\n")[1:4]  # not at U+2028
    expected = [json.dumps({"file": o.file, "row": o.row or None, "award_id": o.award_id, "status": status,
                            "stage": o.stage, "outputs": {k: v["path"] for k, v in o.outputs.items()},
                            "errors": o.errors, "warnings": o.warnings, "redone": o.redone},
                           ensure_ascii=False).replace("\udce9", "\\\\udce9")
                for o, status in zip(outcomes, ("done", "file-error", "skipped"), strict=True)]
    assert [line.removesuffix(",") for line in lines] == expected
