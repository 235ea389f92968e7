"""Reading credential documents: unwrap JAdES and upload wrappers, walk nodes."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem
from edcbridge.cut_json import CUT_CHARACTER, bytes_stop_line, incomplete_json, json_stop_line
from edcbridge.jws_compact import compact_jws
from edcbridge.unique_json import DuplicateMember, loads_unique


class NotACredential(ValueError):
    """The file is not a credential we can read."""


def with_source(path: Path, exc: Exception) -> str:
    """The error's message, naming the file once (readers already name it in most messages)."""
    message = str(exc)
    return message if message.startswith(f"{path}:") else f"{path}: {message}"


def unwrap(doc: Any) -> tuple[dict[str, Any], str]:
    """The credential inside a JAdES JSON seal or an EDCI upload wrapper, and its form.

    JAdES comes in the general JSON serialisation (``signatures``, as the EC's issuer writes it)
    or the flattened one (one ``signature``), with the payload unencoded (``b64`` false) or in
    base64url.
    """
    if _is_jws_json(doc):
        if not doc["payload"].strip():
            raise NotACredential("a JAdES seal with a detached payload: the credential is not in "
                                 "this file; give the sealed credential with its payload")
        return _check(_json_payload(_payload_text(doc["payload"]))), "jades"
    if isinstance(doc, dict) and set(doc) == {"credential"} and isinstance(doc["credential"], dict):
        return _check(doc["credential"]), "upload-wrapper"
    return _check(doc), "plain"


def _is_jws_json(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("payload"), str) and "@context" not in doc
            and ("signatures" in doc or "signature" in doc))


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _payload_text(payload: str) -> str:
    """The payload as JSON text: unencoded as it is, base64url decoded (``b64`` true)."""
    if payload.lstrip().startswith("{") or not _BASE64URL.fullmatch(payload):
        return payload
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return payload


def _json_payload(text: str) -> Any:
    try:
        return loads_unique(text)
    except DuplicateMember as exc:
        raise NotACredential(f"JAdES payload: {exc}; the issuer must seal it again with each "
                             "member once") from None
    except json.JSONDecodeError as exc:
        raise NotACredential(f"JAdES payload is not JSON: {exc.msg}; the seal holds no "
                             "credential edcbridge can read") from None
    except RecursionError:
        raise NotACredential(f"JAdES payload nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # a number of more than 4,300 digits (int_max_str_digits)
        from edcbridge.output import unreadable_json

        raise NotACredential(f"JAdES payload is not a credential: {unreadable_json(exc)}") from None


MAX_DEPTH = 64  # an EDC nests about 15 levels; far deeper is an attack on recursive readers


def _check(doc: Any) -> dict[str, Any]:
    if isinstance(doc, list):
        raise NotACredential(f"a JSON array of {len(doc)} values, not one credential: give each "
                             "credential in a file of its own")
    if not isinstance(doc, dict) or "@context" not in doc:
        raise NotACredential("no JSON-LD @context at the top: not an EDC JSON-LD credential, an "
                             'upload wrapper {"credential": ...} or a JAdES-sealed credential')
    if nested_too_deep(doc):
        raise NotACredential(f"nested deeper than {MAX_DEPTH} levels: not a credential")
    endless = not_finite_problem(doc)
    if endless is not None:
        raise NotACredential(endless)
    return doc


def not_finite_problem(credential: Any) -> str | None:
    """Why a credential holding NaN or Infinity cannot be taken, naming where, or None. Python's
    JSON reader takes them, and reads a number too large for a float (1e999) as infinite, though
    RFC 8259 has neither: other readers refuse the file, so every reader here refuses it too."""
    endless = not_finite_at(credential)
    if endless is None:
        return None
    return (f"the credential holds {endless[1]} at {endless[0]}, which is no JSON number (JSON has no "
            "NaN or Infinity, and a number beyond 1.8e308 reads as infinite); the issuer must write the "
            "value as it should read")


def not_finite_at(document: Any) -> tuple[str, str] | None:
    """Where the first NaN or Infinity is (its JSON path) and how the file writes it. Iterative,
    as deep as the reader let the document be."""
    pending: list[tuple[str, Any]] = [("$", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return path, "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        if isinstance(value, dict):
            pending.extend((f"{path}.{key}", item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend((f"{path}[{at}]", item) for at, item in reversed(list(enumerate(value))))
    return None


def nested_too_deep(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays nest deeper than ``limit`` (found without recursion, so the
    readers that recurse can be spared such input)."""
    todo: list[tuple[Any, int]] = [(doc, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        todo += [(child, depth + 1) for child in children if isinstance(child, dict | list)]
    return False


def parse_json(text: str) -> Any:
    """JSON text, or NotACredential saying why not (nesting too deep for the parser included)."""
    try:
        return loads_unique(text)
    except DuplicateMember as exc:
        raise NotACredential(f"{exc}; keep one of them (most readers take the last, some the "
                             "first, some refuse the file)") from None
    except json.JSONDecodeError as exc:
        line = json_stop_line(text, exc)
        if line is not None:
            raise NotACredential(incomplete_json(line, exc.msg)) from None
        raise NotACredential(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
                             f"{SAVE_AS_JSON}") from None
    except RecursionError:
        raise NotACredential(f"nested deeper than {MAX_DEPTH} levels: not a credential") from None
    except ValueError as exc:  # a number of more than 4,300 digits (int_max_str_digits)
        from edcbridge.output import unreadable_json

        raise NotACredential(f"not a credential: {unreadable_json(exc)}") from None


SAVE_AS_JSON = "save it as UTF-8 JSON (an EDC JSON-LD credential, plain, upload wrapper or JAdES-sealed)"


def read_credential(path: Path) -> tuple[dict[str, Any], str]:
    """The credential in a file and its form; NotACredential says why there is none.

    JSON may be UTF-8 (with or without byte-order mark), UTF-16 or UTF-32 (RFC 4627 section 3),
    as Windows editors save "Unicode" text; a compact JAdES (``header.payload.signature``) is read
    too.
    """
    try:
        data = read_bounded(path)
    except TooLarge as exc:
        raise NotACredential(too_large_problem(path, exc)) from None
    return credential_from_bytes(data)


def credential_from_bytes(data: bytes) -> tuple[dict[str, Any], str]:
    """The credential in a file's bytes (as :func:`read_credential` reads them) and its form."""
    text = decode_json_bytes(data)
    try:
        document = parse_json(text)
    except NotACredential:
        document = compact_jws(text)
        if document is None:
            raise
    return unwrap(document)


def decode_json_bytes(data: bytes) -> str:
    """JSON text in any of the encodings JSON allows, or NotACredential naming the bad byte."""
    if not data.strip():
        raise NotACredential(f"the file is empty; {SAVE_AS_JSON}")
    encoding = json.detect_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if not encoding.startswith("utf-8"):
            raise NotACredential(f"not {encoding.upper()} text (byte {exc.start}); {SAVE_AS_JSON}") from None
        stop = bytes_stop_line(data, exc)
        if stop is not None:
            raise NotACredential(incomplete_json(stop, CUT_CHARACTER)) from None
        line = data.count(b"\n", 0, exc.start) + 1
        raise NotACredential(f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}; a "
                             f"Windows-1252 or Latin-1 file?): {SAVE_AS_JSON}") from None


EDC_TYPE = "EuropeanDigitalCredential"
EDC_CLASS = "http://data.europa.eu/snb/model/elm/" + EDC_TYPE


def not_an_edc(doc: dict[str, Any], terms: dict[str, str], known: bool = True) -> str | None:
    """Why ``doc`` is no EDC the official shapes can judge, or None: they select nodes by their
    type, so in a document without the JSON-LD context or the EDC type they find nothing to
    object to, and finding nothing says nothing of its format. A type is the EDC class when its
    IRI is: a term of the contexts (``terms``, full IRIs), a compact IRI of a prefix they or the
    document's own context define, or the IRI itself; ``known``: every context named is one
    ``terms`` holds (else the term is left to the shapes, which say the context is unknown)."""
    if "@context" not in doc:
        return "no JSON-LD @context at the top: not an EDC JSON-LD credential, so the official shapes " \
               "have nothing to check"
    types = doc.get("type", doc.get("@type"))
    inline = {term: iri for context in as_list(doc["@context"]) if isinstance(context, dict)
              for term, iri in context.items() if isinstance(iri, str)}

    def iri(name: str) -> str:
        if name in inline or name in terms:
            return inline.get(name) or terms[name]
        prefix, colon, local = name.partition(":")
        if not colon:
            return inline.get("@vocab", "") + name
        base = inline.get(prefix) or terms.get(prefix) if not local.startswith("//") else None
        return base + local if base else name

    names = [str(name) for name in as_list(types)]
    if not any(iri(name) == EDC_CLASS or (name == EDC_TYPE and not known) for name in names):
        return f"not typed as {EDC_TYPE} (type {types!r}): not an EDC, so the official shapes select " \
               "nothing in it to check"
    return None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def walk(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON object in the document with its JSON path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key != "@context":
                yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, f"{path}[{index}]")
