"""Controlled vocabularies, offline, from a versioned snapshot of the official code lists.

Every concept is identified by its official IRI. Users may write a concept as its IRI, its
short code (``en``, ``ENG``, ``BE``, ``0688``, ``6``), or its English label; anything else
is an :class:`UnknownConcept` error that lists the closest matches.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from edcbridge.vocab.enums import (
    CredentialType,
    CreditSystem,
    Encoding,
    EQFLevel,
    LearningSetting,
    Mode,
    Supervision,
)

__all__ = [
    "Concept",
    "CredentialType",
    "CreditSystem",
    "EQFLevel",
    "Encoding",
    "LearningSetting",
    "Mode",
    "Supervision",
    "UnknownConcept",
    "concept",
    "concepts",
    "nqf_framework",
    "resolve",
    "scheme_iri",
    "scheme_keys",
    "snapshot_version",
]


@dataclass(frozen=True, slots=True)
class Concept:
    iri: str
    label: str
    scheme: str
    codes: tuple[str, ...]

    @property
    def code(self) -> str:
        return self.codes[0] if self.codes else self.iri.rsplit("/", 1)[-1]


class UnknownConcept(ValueError):
    """A value that is not in the controlled vocabulary; carries the closest matches."""

    def __init__(self, scheme: str, value: str, suggestions: list[str]) -> None:
        self.scheme = scheme
        self.value = value
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"{value!r} is not a known {scheme} value{hint}")


@dataclass(frozen=True, slots=True)
class _Scheme:
    key: str
    iri: str
    by_key: dict[str, Concept]
    by_iri: dict[str, Concept]


@cache
def _snapshot() -> dict[str, Any]:
    text = resources.files("edcbridge.vocab").joinpath("snapshot.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _scheme(key: str) -> _Scheme:
    try:
        raw = _snapshot()["schemes"][key]
    except KeyError:
        raise KeyError(f"no controlled vocabulary named {key!r}") from None
    by_key: dict[str, Concept] = {}
    by_iri: dict[str, Concept] = {}
    for item in raw["concepts"]:
        c = Concept(item["iri"], item["label"], raw["scheme"], tuple(item["codes"]))
        by_iri[c.iri] = c
        for code in (*c.codes, c.label.lower()):
            by_key.setdefault(code.lower(), c)
    return _Scheme(key, raw["scheme"], by_key, by_iri)


def snapshot_version() -> str:
    return str(_snapshot()["version"])


def scheme_iri(key: str) -> str:
    return _scheme(key).iri


def resolve(key: str, value: str) -> Concept:
    """Find a concept of scheme ``key`` by IRI, code or English label (case-insensitive)."""
    scheme = _scheme(key)
    text = value.strip()
    found = scheme.by_iri.get(text) or scheme.by_key.get(text.lower())
    if found is not None:
        return found
    raise UnknownConcept(key, value, _suggestions(scheme, text.lower()))


# names people write for a country, which the country list has under another: the nations of
# the United Kingdom are not countries in ISO 3166
_PART_OF = {"country": dict.fromkeys(("england", "scotland", "wales", "northern ireland",
                                      "great britain", "britain"), "gb")}


def _suggestions(scheme: _Scheme, text: str, most: int = 3) -> list[str]:
    """Concepts a mistyped value may mean, each once: first those named by a word of it (the
    0613 of ``0613 Software``, the 7 of ``EQF 7``, the en of ``en-GB``), then the closest spellings.
    Each is written as matched, with the English label when that says more (``0613 (Software
    and applications development and analysis)``)."""
    if scheme.key == "nqf":
        return _nqf_suggestions(scheme, text, most)
    words = [word for word in re.split(r"[\s/()_-]+", text) if word in scheme.by_key]
    words[:0] = [code for code in (_PART_OF.get(scheme.key, {}).get(text),) if code]
    close = difflib.get_close_matches(text, list(scheme.by_key), n=3 * most, cutoff=0.6)
    picked: dict[str, str] = {}
    for match in (*words, *close):
        found = scheme.by_key[match]
        if found.iri not in picked and len(picked) < most:
            label = found.label
            picked[found.iri] = match if match == label.lower() else f"{match} ({label})"
    return list(picked.values())


# frameworks people name otherwise than the NQF list: the FHEQ (higher education in England,
# Wales and Northern Ireland, its levels numbered as the RQF's and CQFW's), the QCF (the RQF's
# forerunner) and Ireland's NFQ; "NQF" alone names no country's
_NQF_NAMES: dict[str, tuple[str, ...]] = {"fheq": ("rqf", "cqfw"), "qcf": ("rqf",), "nfq": ("ie nqf",),
                                          "nqf": ()}


def _nqf_suggestions(scheme: _Scheme, text: str, most: int) -> list[str]:
    """Levels of the framework the text names ('RQF 6': RQF Level 6; 'FHEQ Level 7': RQF Level 7
    and CQFW Level 7), by their labels; never the level of another country's framework that is
    only spelt alike ('HQF Level 7', Greece's, for 'FHEQ Level 7')."""
    words = re.findall(r"[a-z]+|\d+", text)
    if not words or words[0].isdigit():
        return []
    names = _NQF_NAMES.get(words[0], (words[0],))
    if not names and len(words) > 1 and not words[1].isdigit() and words[1] != "level":
        names = (" ".join(words[:2]),)  # NQF RNCP, NQF VPET: the framework is in the next word
    numbers = [word for word in words if word.isdigit()]
    picked = [found for name in names if numbers
              and (found := scheme.by_key.get(f"{name} level {numbers[-1]}")) is not None]
    if not picked:
        own = [key for key in scheme.by_key if key.startswith(tuple(f"{name} " for name in names))]
        picked = [scheme.by_key[key] for key in difflib.get_close_matches(text, own, n=most, cutoff=0.6)]
    return list(dict.fromkeys(found.label for found in picked))[:most]


def concept(key: str, iri: str) -> Concept:
    """The concept with this exact IRI (for values already validated)."""
    return _scheme(key).by_iri[iri]


def scheme_keys() -> list[str]:
    return list(_snapshot()["schemes"])


def concepts(key: str) -> list[Concept]:
    return list(_scheme(key).by_iri.values())


_LEVEL_NAMED = re.compile(r"\d|\blevel\b", re.I)


def nqf_framework(iri: str) -> str | None:
    """The label of a national qualifications framework itself, which the NQF list holds beside
    its levels ('Irish National Framework of Qualifications' beside 'IE NQF Level 6'); None for a
    level, or an IRI the list does not hold. A framework names no level."""
    found = _scheme("nqf").by_iri.get(iri)
    return found.label if found is not None and not _LEVEL_NAMED.search(found.label) else None
