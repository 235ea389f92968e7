"""inspect's 'texts left out' note: the same text under a region tag loses nothing, and a text
read from two places is counted once (the note said '2 text(s)' and named one)."""
from __future__ import annotations

from tests.test_import_texts_left_out import _credential, _notes


def _note(doc: dict) -> list[str]:
    return [n for n in _notes(doc) if "one text per two-letter language" in n]


def test_the_same_text_under_a_region_tag_is_not_left_out() -> None:
    doc = _credential()
    spec = doc["credentialSubject"]["hasClaim"]["specifiedBy"]
    title = spec["title"]["en"]
    spec["title"] = {"en": title, "en-GB": title}
    assert _note(doc) == []


def test_a_text_read_twice_is_counted_once() -> None:
    doc = _credential()
    claim = doc["credentialSubject"]["hasClaim"]
    claim["title"] = {**claim["title"], "mul": "Same"}
    claim["specifiedBy"]["title"] = {**claim["specifiedBy"]["title"], "mul": "Same"}
    (note,) = _note(doc)
    assert ": 1 text(s)" in note, note
