"""JSON-LD processing, strictly offline: an allowlist of contexts from the schema store.

The only module that imports pyld.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld

from edcbridge.schemas import SchemaStore

CONTEXTS: dict[str, str] = {
    "https://www.w3.org/2018/credentials/v1": "w3c-vc-contexts/credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "w3c-vc-contexts/credentials-v2.jsonld",
    "http://data.europa.eu/snb/model/context/edc-ap": "elm3-rdf/3.2/rdf/ap/edc/edc-ap-context.jsonld",
}


class OfflineContextError(ValueError):
    """A document names a context that is not available offline."""


CONTEXT_FIX = ("give @context as the VC 1.1 and edc-ap contexts, as EDC 3.2 credentials do: "
               '["https://www.w3.org/2018/credentials/v1", "http://data.europa.eu/snb/model/context/edc-ap"]')
_UNKNOWN_CONTEXT = "context not available offline: "


@cache
def load_context(path: Path) -> Any:
    """A local context file, parsed once per process."""
    return json.loads(path.read_text("utf-8"))


def document_loader(store: SchemaStore) -> Any:
    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url not in CONTEXTS:
            raise jsonld.JsonLdError(
                f"{_UNKNOWN_CONTEXT}{url}", "loading remote context failed",
                code="loading remote context failed")
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": load_context(store.path(CONTEXTS[url]))}

    return load


def to_nquads(doc: dict[str, Any], store: SchemaStore) -> str:
    """The document's RDF as N-Quads; raises :class:`OfflineContextError` for remote contexts.

    Documents in exactly the VC 1.1 + edc-ap contexts take the direct converter
    (:mod:`edcbridge.validation.fast_rdf`, proven equal to pyld); everything else pyld.
    """
    from edcbridge.validation.fast_rdf import to_nquads_fast

    fast = to_nquads_fast(doc, store.root)
    if fast is not None:
        return fast
    return to_nquads_pyld(doc, store)


class DocumentTooLarge(OfflineContextError):
    """An array too long for the full JSON-LD processor, whose time grows with its square."""


# pyld compares each value of a property with every value before it: 2,000 values take about a
# second, 300,000 would take hours. EDCs hold tens (a transcript a few hundred).
MAX_ARRAY_VALUES = 2000
TOO_LARGE_FIX = ("check that the file is the credential meant: an EDC holds tens of values in one "
                 "array, a transcript a few hundred")


def to_nquads_pyld(doc: dict[str, Any], store: SchemaStore) -> str:
    """The document's RDF as N-Quads by the full JSON-LD processor.

    Raises :class:`DocumentTooLarge` rather than running for hours on a huge array.
    """
    too_long = longest_array(doc, MAX_ARRAY_VALUES)
    if too_long is not None:
        path, count = too_long
        raise DocumentTooLarge(f"the array at {path} holds {count} values, more than the "
                               f"{MAX_ARRAY_VALUES} edcbridge reads in one array (JSON-LD "
                               "processing time grows with the square of it)")
    try:
        result = jsonld.to_rdf(doc, {"format": "application/n-quads",
                                     "documentLoader": document_loader(store)})
    except (jsonld.JsonLdError, ValueError) as exc:  # pyld raises ValueError for a relative IRI
        raise OfflineContextError(_explain(exc)) from None
    return str(result)


def _local_loader(contexts: dict[str, Path]) -> Any:
    """A pyld document loader of the local files ``contexts`` maps their URLs to, and nothing else."""
    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url not in contexts:
            raise jsonld.JsonLdError(f"{_UNKNOWN_CONTEXT}{url}", "loading remote context failed",
                                     code="loading remote context failed")
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": load_context(contexts[url])}
    return load


def canonical_nquads(doc: dict[str, Any], contexts: dict[str, Path]) -> str:
    """The document's RDF, canonicalised (RDF Dataset Canonicalization, URDNA2015 / RDFC-1.0),
    as N-Quads, with the contexts read from the local files ``contexts`` maps their URLs to; a
    text's ``@direction`` is an i18n datatype, as Digital Bazaar's ``eddsa-rdfc-2022`` writes it
    (pyld would drop it, leaving it out of a proof). Raises :class:`OfflineContextError` for any
    other context or a document JSON-LD cannot read."""
    try:
        result = jsonld.normalize(doc, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                        "documentLoader": _local_loader(contexts),
                                        "rdfDirection": "i18n-datatype"})
    except (jsonld.JsonLdError, ValueError) as exc:
        raise OfflineContextError(_explain(exc)) from None
    return str(result)


# jsonld.js's tests, which its safe mode applies: an absolute IRI (or blank node) is a scheme, a
# colon and no white space; a language tag is BCP 47 in form.
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_BCP47 = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
NOT_ABSOLUTE_IRI = "not an absolute IRI (a scheme, a colon and no white space)"
NOT_A_LANGUAGE_TAG = "not a BCP 47 language tag"


@dataclass(frozen=True)
class Expanded:
    """A document expanded once, without a base (a relative IRI stays as written, for
    :func:`safe_mode_problems` to name), with its contexts read from local files: the safe-mode
    check and the canonical N-Quads (:func:`canonical_nquads_of`) both read it, as expanding
    is most of the cost of a Data Integrity proof."""

    nodes: list[Any]

    def without(self, iri: str) -> Expanded:
        """The top-level nodes without the property ``iri`` (the expansion the document without
        the one member naming ``iri`` has, as far as its RDF goes)."""
        return Expanded([{k: v for k, v in node.items() if k != iri} if isinstance(node, dict) else node
                         for node in self.nodes])


def expand_offline(doc: dict[str, Any], contexts: dict[str, Path]) -> Expanded:
    """The document expanded without a base, its contexts read from the local files ``contexts``
    maps their URLs to. Raises :class:`OfflineContextError` as :func:`canonical_nquads`."""
    try:
        return Expanded(jsonld.expand(doc, {"documentLoader": _local_loader(contexts), "base": None}))
    except (jsonld.JsonLdError, ValueError) as exc:
        raise OfflineContextError(_explain(exc)) from None


class _AlreadyExpanded(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """A processor given a document in expanded form: its RDF conversion, which expands its
    input first, takes it as it is (expanding it again would give the same, at a third of the
    cost of the first expansion)."""

    def expand(self, input_: Any, options: Any) -> Any:
        return copy.deepcopy(input_)


def canonical_nquads_of(expanded: Expanded) -> str:
    """:func:`canonical_nquads` of the document ``expanded`` is, for one whose
    :func:`safe_mode_problems` are none: its IRIs are then all absolute, so reading it without a
    base changed nothing."""
    try:
        result = _AlreadyExpanded().normalize(expanded.nodes, {
            "algorithm": "URDNA2015", "format": "application/n-quads",
            "documentLoader": _local_loader({}), "rdfDirection": "i18n-datatype"})
    except (jsonld.JsonLdError, ValueError) as exc:
        raise OfflineContextError(_explain(exc)) from None
    return str(result)


def safe_mode_problems(expanded: Expanded) -> list[tuple[str, str]]:
    """Each value of the expanded document that JSON-LD in safe mode (as Digital Bazaar's
    verifiers canonicalise) refuses, with why: an ``@id`` or ``@type`` that is not an absolute
    IRI (:data:`NOT_ABSOLUTE_IRI`), which RDF drops or rewrites, or an ``@language`` that is not
    a language tag (:data:`NOT_A_LANGUAGE_TAG`)."""
    found: list[tuple[str, str]] = []
    todo: list[Any] = [expanded.nodes]
    while todo:
        value = todo.pop()
        if isinstance(value, list):
            todo += reversed(value)
        elif isinstance(value, dict):
            found += _node_problems(value)
            todo += reversed([child for key, child in value.items() if not key.startswith("@")
                              or key in ("@graph", "@list", "@set", "@included", "@reverse")])
    return list(dict.fromkeys(found))


def _node_problems(node: dict[str, Any]) -> list[tuple[str, str]]:
    types = node.get("@type", [])
    iris = [node.get("@id"), *(types if isinstance(types, list) else [types])]
    language = node.get("@language")
    return ([(iri, NOT_ABSOLUTE_IRI) for iri in iris if isinstance(iri, str)
             and not iri.startswith("@") and not _ABSOLUTE_IRI.match(iri)]
            + ([(language, NOT_A_LANGUAGE_TAG)] if isinstance(language, str)
               and not _BCP47.match(language) else []))


def longest_array(doc: Any, limit: int) -> tuple[str, int] | None:
    """The JSON path and length of an array longer than ``limit``, if any (paths are made only
    once one is found: the plain walk is what every document pays)."""
    todo: list[Any] = [doc]
    while todo:
        value = todo.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, list) and len(value) > limit:
            return _path_of(doc, value), len(value)
        todo += [child for child in children if isinstance(child, dict | list)]
    return None


def _path_of(doc: Any, target: list[Any]) -> str:
    todo: list[tuple[str, Any]] = [("$", doc)]
    while todo:
        path, value = todo.pop()
        if value is target:
            return path
        items = value.items() if isinstance(value, dict) else enumerate(value)
        todo += [(f"{path}.{key}" if isinstance(value, dict) else f"{path}[{key}]", child)
                 for key, child in items if isinstance(child, dict | list)]
    return "$"


def _explain(exc: Exception) -> str:
    cause: BaseException | None = exc
    messages = []
    while cause is not None:
        messages.append(str(cause.args[0]) if cause.args else cause.__class__.__name__)
        cause = getattr(cause, "cause", None) or cause.__cause__ or cause.__context__
    unknown = [m.removeprefix(_UNKNOWN_CONTEXT) for m in messages if m.startswith(_UNKNOWN_CONTEXT)]
    if unknown:  # pyld's own words say nothing more, and speak of browsers and CORS
        return (f"the context {unknown[0]} is not one edcbridge reads (it holds the VC 1.1 and EDC "
                "3.2 contexts and never fetches one), so the credential's statements cannot be read")
    return ": ".join(dict.fromkeys(messages))


def _walk_terms(ctx: Any, terms: dict[str, str], prefixes: dict[str, str]) -> None:
    if isinstance(ctx, list):
        for item in ctx:
            _walk_terms(item, terms, prefixes)
        return
    if not isinstance(ctx, dict):
        return
    for key, value in ctx.items():
        if key.startswith("@"):
            continue
        iri = value if isinstance(value, str) else value.get("@id", "") if isinstance(value, dict) else ""
        if isinstance(value, str) and value.endswith(("/", "#")):
            prefixes[key] = value
        terms.setdefault(key, iri)
        if isinstance(value, dict) and "@context" in value:
            _walk_terms(value["@context"], terms, prefixes)


@cache
def _context_terms(store_root: Path, urls: tuple[str, ...]) -> dict[str, str]:
    """Every term the contexts define (including type-scoped ones) with its full IRI."""
    store = SchemaStore(store_root)
    terms: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for url in urls:
        if url in CONTEXTS:
            _walk_terms(load_context(store.path(CONTEXTS[url]))["@context"], terms, prefixes)
    expanded = {}
    for term, iri in terms.items():
        prefix, _, local = iri.partition(":")
        known_prefix = prefix in prefixes and not local.startswith("//")
        expanded[term] = prefixes[prefix] + local if known_prefix else iri
    return expanded


def context_terms(doc: dict[str, Any], store: SchemaStore) -> dict[str, str]:
    ctx = doc.get("@context", [])
    urls = tuple(c for c in (ctx if isinstance(ctx, list) else [ctx]) if isinstance(c, str))
    return _context_terms(store.root, urls)
