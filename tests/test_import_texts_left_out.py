"""Reading another issuer's credential: texts the model cannot keep (a second text in one
language, a region variant beside its language, a tag such as mul or und) are named in one
note, not dropped unnoticed."""

from __future__ import annotations

import json
from typing import Any

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.xml.importer import import_bytes
from tests.conftest import FIXTURES


def _credential() -> dict[str, Any]:
    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    return json.loads(json.dumps(to_edc(award, catalogue)))


def _notes(doc: dict[str, Any]) -> list[str]:
    return import_bytes(json.dumps(doc).encode(), "peer.jsonld").notes


def test_texts_of_no_two_letter_language_and_second_texts_are_named() -> None:
    doc = _credential()
    spec = doc["credentialSubject"]["hasClaim"]["specifiedBy"]
    title = next(iter(spec["title"].values()))
    spec["title"] = {"en": [title, "A second English title"], "en-GB": "Colour title", "mul": "Titulus"}
    (note,) = [n for n in _notes(doc) if "one text per two-letter language" in n]
    assert note.startswith("left out, as the internal model keeps one text per two-letter language: "
                           "3 text(s)")
    assert "'A second English title'" in note and "'Colour title'" in note and "mul: 'Titulus'" in note


def test_a_credential_with_one_text_per_language_has_no_such_note() -> None:
    assert not [n for n in _notes(_credential()) if "one text per two-letter language" in n]
