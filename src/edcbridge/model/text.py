"""Multilingual text: a language map keyed by ISO 639-1 codes, as in EDC JSON-LD."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from edcbridge import vocab

_LANG_KEY = re.compile(r"^[a-z]{2}$")
_KNOWN_LANGUAGES: set[str] = set()  # two-letter codes found in the vocabulary: 676 at most; each
# is a key both validators pass


def _coerce(value: Any) -> Any:
    if isinstance(value, str):
        raise ValueError(
            "expected a language map such as {'en': 'text'}, got a plain string; "
            "name the language of each text"
        )
    if isinstance(value, dict):
        for key, text in value.items():
            if key not in _KNOWN_LANGUAGES and \
                    (not isinstance(key, str) or not _LANG_KEY.match(key.strip().lower())):
                hint = " (a comma inside unquoted YAML text splits it: quote the text)" \
                    if text is None else ""
                raise ValueError(f"{key!r} is not a two-letter language code{hint}; "
                                 "write text as {en: 'text'} and quote texts containing commas")
            if not isinstance(text, str):
                raise ValueError(f"the {key!r} text is not a string; quote it")
    return value


def _check(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError("needs at least one language, e.g. {'en': 'text'}")
    clean: dict[str, str] = {}
    for key, text in value.items():
        lang = key if key in _KNOWN_LANGUAGES else _known_language(key)
        stripped = " ".join(text.split()) if "\n" not in text else text.strip()
        if not stripped:
            raise ValueError(f"text for language {lang!r} is empty")
        clean[lang] = stripped
    return dict(sorted(clean.items())) if len(clean) > 1 else clean


def _known_language(key: str) -> str:
    """The code a language key names, checked once per code, not once per text (a key already
    a known code is passed at once: a file's texts are keyed by a few)."""
    lang = key.strip().lower()
    if not _LANG_KEY.match(lang):
        raise ValueError(f"language key {key!r} must be a two-letter ISO 639-1 code such as 'en'")
    if lang not in _KNOWN_LANGUAGES:
        vocab.resolve("language", lang)  # raises UnknownConcept with suggestions
        _KNOWN_LANGUAGES.add(lang)
    return lang


LangText = Annotated[dict[str, str], BeforeValidator(_coerce), AfterValidator(_check)]
"""Human-readable text in one or more languages, e.g. ``{"en": "...", "cy": "..."}``."""


def pick(text: dict[str, str], language: str) -> str:
    """The text in ``language``, else English, else the first available."""
    return text.get(language) or text.get("en") or next(iter(text.values()))
