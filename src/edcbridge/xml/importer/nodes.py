"""Small readers over JSON-LD nodes: language maps, ids, dates, concepts and durations, the
values the records are built from, and the note naming the texts a language map cannot keep."""

from __future__ import annotations

import datetime as dt
import re
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote

from edcbridge import vocab
from edcbridge.model.fields import EU_COUNTRY_CODES
from edcbridge.validation.policy import duration_months

Node = dict[str, Any]


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    items = _list(value)
    return items[0] if items else None


# texts of the credential being read that _text could not keep: (language tag, text)
_TEXTS_LEFT_OUT: ContextVar[list[tuple[str, str]] | None] = ContextVar("texts_left_out", default=None)


def _text(value: Any) -> dict[str, str] | None:
    """A language map (values may be lists) keyed by two-letter codes; None when empty. A tag with
    a region or script (``en-GB``, ``EN``) is read as its language when the map has no text under
    that language's own code, as the model keys texts by ISO 639-1 code only. What it cannot keep
    (a second text in a language, a tag of no two-letter language such as ``mul`` or ``und``) is
    noted for :func:`_texts_left_out`."""
    if not isinstance(value, dict):
        return None
    out: dict[str, str] = {}
    left_out = _TEXTS_LEFT_OUT.get()
    for tag, text in sorted(value.items(), key=lambda item: not re.fullmatch(r"[a-z]{2}", str(item[0]))):
        texts = [t for t in _list(text) if isinstance(t, str) and t.strip()]
        match = re.fullmatch(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*", tag) if isinstance(tag, str) else None
        kept = None
        if match and texts:
            kept = out.setdefault(match.group(1).lower(), texts[0])
        if left_out is not None:
            left_out += [(str(tag), t) for t in texts if t != kept]  # the same text twice loses nothing
    return out or None


def _texts_left_out(left_out: list[tuple[str, str]]) -> str | None:
    """One note naming the texts :func:`_text` could not keep, a few of them quoted."""
    if not left_out:
        return None
    distinct = list(dict.fromkeys(left_out))  # a text read from two places is one text
    shown = "; ".join(f"{tag}: {text[:40] + '...' if len(text) > 40 else text!r}"
                      for tag, text in distinct[:3])
    more = f" and {len(distinct) - 3} more" if len(distinct) > 3 else ""
    return (f"left out, as the internal model keeps one text per two-letter language: {len(distinct)} "
            f"text(s) in another language tag or a second text in one language ({shown}{more})")


def _note(value: Any) -> dict[str, str] | None:
    node = _first(value)
    return _text(node.get("noteLiteral")) if isinstance(node, dict) else None


def _id(value: Any) -> str | None:
    node = _first(value)
    if isinstance(node, dict):
        return node.get("id") if isinstance(node.get("id"), str) else None
    return node if isinstance(node, str) else None


def _skill(value: Any) -> str | dict[str, Any]:
    """An ESCO skill as the catalogue writes it: its IRI, with its label when the credential has one."""
    label = _text(value.get("prefLabel")) if isinstance(value, dict) else None
    return {"iri": _id(value), "label": label} if label else str(_id(value))


def _web(iri: str | None) -> bool:
    return bool(iri) and str(iri).startswith(("http://", "https://"))


def _label(node: Any) -> str:
    """A concept as a person reads it: its label in the first language given, else its id."""
    label = _text(node.get("prefLabel")) if isinstance(node, dict) else None
    return repr(next(iter(label.values()))) if label else str(_id(node))


def _url(value: Any) -> str | None:
    node = _first(value)
    return node.get("contentURL") if isinstance(node, dict) else None


def _date(value: Any) -> str | None:
    text = _first(value)
    return text[:10] if isinstance(text, str) and len(text) >= 10 else None


def _day(value: Any, what: str, notes: list[str]) -> str | None:
    """The date of a date or dateTime, with a note when a time of day is given that is not
    midnight: 2022-12-31T23:00:00Z is midnight in Brussels on 1 January, and the model holds
    the date as written."""
    date, moment, written = _date(value), _moment(value), str(_first(value)).strip()
    if date and moment is not None and moment.time() != dt.time(0, 0) and len(written) > 10:
        notes.append(f"the {what} {written} is not at midnight: the date read is "
                     f"{date}, as written; in the issuer's time zone it may be the next or previous day "
                     "(the time is kept under date_times)")
    return date


def _moment(value: Any) -> dt.datetime | None:
    """An xsd:dateTime or date; None for anything else."""
    text = _first(value)
    try:
        return dt.datetime.fromisoformat(text.strip()) if isinstance(text, str) else None
    except ValueError:
        return None


def _slug(text: str) -> str:
    return re.sub(r"[\W_]+", "-", text.lower()).strip("-")[:40] or "x"


def _known(scheme: str, iri: str | None) -> str | None:
    if not iri:
        return None
    try:
        return vocab.resolve(scheme, iri).iri
    except vocab.UnknownConcept:
        return None


def _country(code: str | None) -> str | None:
    """A country by IRI or code, with the EU's own codes (EL, UK) as the model reads them."""
    return _known("country", EU_COUNTRY_CODES.get(code.lower(), code) if code else None)


def _mailbox(node: Node) -> str | None:
    for contact in _list(node.get("contactPoint")):
        mail = _id(contact.get("emailAddress")) if isinstance(contact, dict) else None
        if mail and mail.startswith("mailto:"):
            return unquote(mail.removeprefix("mailto:"))  # as written before percent-encoding
    return None


def _concepts(scheme: str, values: Any) -> list[str]:
    return [c for c in (_known(scheme, _id(v)) for v in _list(values)) if c]


def _identifier(node: Node) -> Node | None:
    found = [i for i in _list(node.get("identifier")) if isinstance(i, dict) and i.get("notation")]
    return found[0] if found else None


def _duration_hours(text: Any) -> str | None:
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?", text) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        return None
    hours, minutes = int(match.group(1) or 0), int(match.group(2) or 0)
    return str(hours + minutes / 60) if minutes else str(hours)


def _months(text: Any) -> int | None:
    """Whole months of a duration in years and months (``P1Y6M`` is 18); None for any other."""
    return duration_months(text) if isinstance(text, str) else None


def _listed(titles: list[str], shown: int = 10) -> str:
    """Titles joined by commas, the first ``shown`` of a long list and how many more there are."""
    more = len(titles) - shown
    return ", ".join(titles[:shown]) + (f" and {more} more" if more > 0 else "")
