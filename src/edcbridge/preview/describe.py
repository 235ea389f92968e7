"""Turn EDC JSON-LD nodes into short, readable HTML values in the page's languages.

Language maps are shown in every language of the credential, each value marked with its
``lang``; controlled-vocabulary concepts by their label in the page language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any, TypeGuard
from urllib.parse import unquote

from edcbridge import vocab
from edcbridge.preview.markup import Html, esc, join, tag
from edcbridge.validation.document import as_list

Node = dict[str, Any]
_LANG_KEY = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2}(?:\.\d+)?))?(Z|[+-]\d{2}:\d{2})?$")
ESCO = "http://data.europa.eu/esco/"
# languages written right to left (ISO 639-1, and -3 where there is no -1 code), and their scripts
_RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi"})
_RTL_SCRIPTS = frozenset({"adlm", "arab", "hebr", "mand", "nkoo", "rohg", "samr", "syrc", "thaa"})
_UNITS = ("year", "month", "day", "hour", "minute", "second")
# properties whose value names the node best, in order
_NAMES = ("title", "legalName", "fullName", "prefLabel", "noteLiteral", "name", "notation", "contentURL")


def is_language_map(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and _LANG_KEY.match(k) and k not in ("id", "type") for k in value) and all(
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
        for v in value.values())


def language_code(iri_or_code: str) -> str | None:
    """ISO 639-1 code of a language concept IRI (``…/language/ENG`` -> ``en``)."""
    try:
        return vocab.resolve("language", iri_or_code).code
    except (ValueError, KeyError):
        return None


def language_name(code: str) -> str:
    """A text language for people: ``cy`` -> ``Welsh (cy)``; the code alone when unknown."""
    try:
        return f"{vocab.resolve('language', code.partition('-')[0]).label} ({code})"
    except (ValueError, KeyError):
        return code


def direction(lang: str) -> str:
    """The ``dir`` of a text in ``lang``: ``rtl`` for a right-to-left language or script (``ar``,
    ``he``, ``az-Arab``), else ``auto``. Left to ``auto``, an Arabic text that begins with a Latin
    letter or a number ("MBA في إدارة الأعمال") would be laid out left to right."""
    primary, *rest = lang.lower().split("-")
    script = next((part for part in rest if len(part) == 4 and part.isalpha()), None)
    if script is not None:
        return "rtl" if script in _RTL_SCRIPTS else "auto"
    return "rtl" if primary in _RTL_LANGUAGES else "auto"


@cache
def known_labels() -> dict[str, str]:
    """English label of every concept in the vocabulary snapshot, by IRI: a concept given by
    its IRI alone (allowed, and usual outside the EC's issuer) is still shown by name."""
    return {c.iri: c.label for key in vocab.scheme_keys() for c in vocab.concepts(key)}


class Reader:
    """Describes nodes for one page: ``languages`` in display order, the first is primary."""

    def __init__(self, languages: list[str]) -> None:
        self.languages = languages or ["en"]

    @property
    def primary(self) -> str:
        return self.languages[0]

    def pick(self, text: dict[str, Any]) -> tuple[str, str]:
        """(language, text) for a single label: the page language, else English, else the first."""
        for lang in (*self.languages, "en"):
            if lang in text:
                return lang, _one(text[lang])
        lang = next(iter(text))
        return lang, _one(text[lang])

    def text(self, text: dict[str, Any]) -> Html:
        """A language map: every page language it has (all it has if none), each with ``lang``
        and isolated (``dir``, ``rtl`` for a right-to-left language, else ``auto``), so
        right-to-left text or a stray direction override in one value cannot reorder the page
        around it. A text the same in several languages (a
        name, a code) is shown once, in the first of them."""
        shown = [lang for lang in self.languages if lang in text] or list(text)
        spans: list[Html] = []
        seen: set[str] = set()
        for lang in shown:
            for value in as_list(text[lang]):
                if value not in seen:
                    seen.add(value)
                    spans.append(tag("span", value, lang=lang, dir=direction(lang), class_="t"))
        return join(spans, " · ") if len(spans) > 1 else (spans[0] if spans else Html(""))

    def label(self, text: dict[str, Any]) -> Html:
        lang, value = self.pick(text)
        return tag("span", value, lang=lang, dir=direction(lang), class_="t")

    def name(self, node: Any) -> Html:
        """The best short name of a node (title, legal name, label...), or an empty fragment."""
        if isinstance(node, list):  # one or more nodes where the model has one
            return join([self.name(item) for item in node], " · ")
        if isinstance(node, str):
            return self.scalar(node)
        if not isinstance(node, dict):
            return esc(node) if node is not None else Html("")
        if node.get("type") == "Person":
            return self.person(node)
        for key in _NAMES:
            value = node.get(key)
            if is_language_map(value):
                return self.label(value) if key == "prefLabel" else self.text(value)
            if isinstance(value, str) and value:
                return self.scalar(value)
            if isinstance(value, dict) and key == "noteLiteral":
                return self.text(value)
        return Html("")

    def person(self, node: Node) -> Html:
        for key in ("fullName",):
            if is_language_map(node.get(key)):
                return self.text(node[key])
        parts = [self.text(node[key]) for key in ("givenName", "familyName")
                 if is_language_map(node.get(key))]
        return join(parts, " ")

    def scalar(self, value: str) -> Html:
        date = _DATE.match(value)
        if date:
            return tag("time", _when(date), datetime=value)
        duration = _DURATION.match(value)
        if duration and value not in ("P", "PT"):
            parts = [f"{n} {unit}{'s' if n != '1' else ''}" for n, unit in zip(duration.groups(), _UNITS,
                                                                                 strict=True) if n]
            if parts:
                return esc(", ".join(parts))
        if value.startswith(("http://", "https://")):
            return tag("a", value, href=value)
        if value.startswith("mailto:"):
            return tag("a", unquote(value[7:]), href=value)
        return tag("bdi", value)

    def value(self, node: Any) -> Html:
        """A one-line description of any value: concept label, credit points, link, note, name."""
        if isinstance(node, bool):
            return esc("yes" if node else "no")
        if isinstance(node, int | float):
            return esc(node)
        if isinstance(node, str):
            return self.scalar(node)
        if is_language_map(node):
            return self.text(node)
        if not isinstance(node, dict):
            return esc(node) if node is not None else Html("")
        kind = node.get("type")
        kinds = set(as_list(kind))
        if "Concept" in kinds:
            iri = node.get("id")
            known = known_labels().get(iri) if isinstance(iri, str) else None
            label = self.label(node["prefLabel"]) if is_language_map(node.get("prefLabel")) else \
                tag("span", known, lang="en") if known else esc(node.get("notation") or iri or "")
            if isinstance(iri, str) and iri.startswith(ESCO):  # skills: link to the ESCO page
                return tag("a", label if node.get("prefLabel") else iri, href=iri)
            return label
        if "CreditPoint" in kinds:
            return join([esc(node.get("point", "")), self.value(node.get("framework"))], " ")
        if "WebResource" in kinds:
            url = node.get("contentURL", "")
            title = self.text(node["title"]) if is_language_map(node.get("title")) else esc(url)
            web = isinstance(url, str) and url.startswith(("http://", "https://"))
            return tag("a", title, href=url) if web else title
        if "Mailbox" in kinds:
            return self.scalar(str(node.get("id", "")))
        if "ContactPoint" in kinds:
            return join([self.value(x) for x in ("emailAddress", "phone", "homepage")
                         for x in as_list(node.get(x))], ", ")
        if kinds & {"LegalIdentifier", "Identifier"}:
            scheme = node.get("schemeName")
            notation = esc(node.get("notation", ""))
            return join([notation, tag("span", f"({scheme})", class_="muted")], " ") if scheme else notation
        if "Address" in kinds:
            parts = [self.value(node.get("fullAddress")), self.value(node.get("countryCode"))]
            return join([p for p in parts if p], ", ")
        if "Location" in kinds:
            return join([self.value(a) for a in as_list(node.get("address"))], "; ")
        if "LearningOutcome" in kinds:
            skills = [self.value(s) for s in as_list(node.get("relatedESCOSkill"))]
            title = self.name(node)
            if skills:
                return join([title, tag("span", join(["ESCO: ", join(skills, ", ")]), class_="muted")], " ")
            return title
        if "Accreditation" in kinds:
            parts = [self.name(node), self.value(node.get("dcType")),
                     self.name(node.get("accreditingAgent"))]
            return join([p for p in parts if p], " — ")
        if "MediaObject" in kinds:
            return esc("(image)")
        return self.name(node) or esc(kind if isinstance(kind, str) else "")

    def values(self, nodes: Iterable[Any], sep: str = "; ") -> Html:
        """Several values, each shown once (a type and a title often read the same)."""
        parts: list[Html] = []
        for shown in (self.value(n) for n in nodes):
            if shown and shown not in parts:
                parts.append(shown)
        if len(parts) > 1 and sep == "list":
            return tag("ul", *[tag("li", p) for p in parts])
        return join(parts, "; " if sep == "list" else sep)


def _when(date: re.Match[str]) -> str:
    """A timestamp as people read it: the date alone at midnight, else with its time and zone.
    Cutting ``1999-10-01T22:00:00Z`` to its date would show the day before the one meant
    wherever the issuer is east of UTC."""
    day, clock, seconds, zone = date.groups()
    if clock == "00:00" and float(seconds or 0) == 0:
        return day
    offset = {None: "", "Z": " UTC", "+00:00": " UTC", "-00:00": " UTC"}.get(zone, f" UTC{zone}")
    return f"{day} {clock}{offset}"


def _one(value: Any) -> str:
    items = as_list(value)
    return str(items[0]) if items else ""
