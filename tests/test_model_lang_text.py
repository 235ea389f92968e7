"""Language maps: a key already known as a language code is passed at once, with the result the
full check of the key gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from edcbridge import vocab
from edcbridge.model import LangText
from edcbridge.model import text as text_module

ADAPTER: TypeAdapter[dict[str, str]] = TypeAdapter(LangText)

CASES: list[Any] = [
    {"en": "Ann"},
    {"en": "  Ann \u00a0 Marie  ", "el": "Άννα"},
    {"el": "Άννα", "en": "Ann"},
    {"EN": "Ann"},
    {" en ": "Ann", "el": "Άννα"},
    {"en": "Ann", "EN": "Anne"},
    {"en": "two\nlines "},
    {"en": "   "},
    {"en": ""},
    {},
    {"xx": "Ann"},
    {"eng": "Ann"},
    {"en": None},
    {"en": 5},
    {1: "Ann"},
    {"e1": "Ann", "en": "Ann"},
    {"en": "Ann", "e1": "Ann"},
    "Ann",
]


def _outcome(value: Any, from_json: bool) -> Any:
    try:
        return ADAPTER.validate_json(json.dumps(value)) if from_json else ADAPTER.validate_python(value)
    except ValidationError as exc:
        return [(e["loc"], e["msg"]) for e in exc.errors()]
    except vocab.UnknownConcept as exc:
        return ("unknown", str(exc))


# JSON keys are texts: {1: ...} is asked of Python data only
PARAMS = [(value, from_json) for from_json in (True, False) for value in CASES
          if not from_json or all(isinstance(key, str) for key in (value if isinstance(value, dict) else {}))]


@pytest.mark.parametrize(("value", "from_json"), PARAMS)
def test_a_known_key_gives_what_the_full_check_gives(value: Any, from_json: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    known = {"en", "el"}
    monkeypatch.setattr(text_module, "_KNOWN_LANGUAGES", set())
    checked = _outcome(value, from_json)  # every key checked in full
    assert known >= text_module._KNOWN_LANGUAGES
    monkeypatch.setattr(text_module, "_KNOWN_LANGUAGES", set(known))
    assert _outcome(value, from_json) == checked


def test_texts_in_several_languages_are_sorted_by_code() -> None:
    assert list(ADAPTER.validate_python({"el": "Άννα", "EN": "Ann", "cy": "Ann"})) == ["cy", "el", "en"]
