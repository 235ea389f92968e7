"""Official EDC 3.2 SHACL shapes, run with pyshacl (no inference, offline).

The only module that imports rdflib and pyshacl.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import rdflib
from rdflib.exceptions import ParserError
from rdflib.namespace import RDF, SH

from edcbridge.schemas import SchemaStore
from edcbridge.validation.findings import Finding
from edcbridge.validation.jsonld import (
    CONTEXT_FIX,
    TOO_LARGE_FIX,
    DocumentTooLarge,
    OfflineContextError,
    context_terms,
    to_nquads,
)

SHAPES = {
    "http://data.europa.eu/snb/model/ap/edc-generic-no-cv": ("EDC-generic-no-cv.ttl",),
    "http://data.europa.eu/snb/model/ap/edc-generic-full": (
        "EDC-generic-no-cv.ttl", "EDC-generic-full.ttl"),
    "http://data.europa.eu/snb/model/ap/edc-accredited": (
        "EDC-generic-no-cv.ttl", "EDC-generic-full.ttl", "EDC-accredited.ttl"),
    "http://data.europa.eu/snb/model/ap/edc-diploma-supplement": (
        "EDC-generic-no-cv.ttl", "EDC-generic-full.ttl", "EDC-accredited.ttl",
        "EDC-diplomaSupplement.ttl"),
    "http://data.europa.eu/snb/model/ap/edc-converted": (
        "EDC-generic-no-cv.ttl", "EDC-generic-full.ttl", "EDC-converted.ttl"),
    "http://data.europa.eu/snb/model/ap/edc-issued-by-mandate": (
        "EDC-generic-no-cv.ttl", "EDC-generic-full.ttl", "EDC-issuedByMandate.ttl"),
}
DEFAULT_SHAPES = "http://data.europa.eu/snb/model/ap/edc-generic-full"
_SHAPES_DIR = "elm3-rdf/3.2/rdf/ap/edc/"


@cache
def shapes_graph(store_root: Path, key: str) -> rdflib.Graph:
    """Every TTL of a profile parsed into one graph (owl:imports point to remote IRIs)."""
    store = SchemaStore(store_root)
    graph = rdflib.Graph()
    for name in SHAPES[key]:
        graph.parse(store.path(_SHAPES_DIR + name), format="turtle")
    return graph


def shapes_for(doc: dict[str, Any]) -> list[str]:
    """The shape profiles a credential declares in ``credentialSchema`` that we know."""
    schemas = doc.get("credentialSchema", [])
    items = schemas if isinstance(schemas, list) else [schemas]
    keys = [s["id"] for s in items if isinstance(s, dict) and isinstance(s.get("id"), str)]
    return [k for k in keys if k in SHAPES] or [DEFAULT_SHAPES]


def _node_paths(doc: Any, path: str, out: dict[str, str]) -> None:
    """Where each node id is first met, as a JSONPath from ``path`` (``$`` for a document)."""
    if isinstance(doc, dict):
        node_id = doc.get("id")
        if isinstance(node_id, str):
            out.setdefault(node_id, path)
        for key, value in doc.items():
            if key not in ("@context",):
                _node_paths(value, f"{path}.{key}", out)
    elif isinstance(doc, list):
        for index, item in enumerate(doc):
            _node_paths(item, f"{path}[{index}]", out)


def blank_node_paths(doc: dict[str, Any], edges: Iterable[tuple[str, str, str]], paths: dict[str, str],
                     reverse: dict[str, str]) -> dict[str, str]:
    """Where each node without an id is in the document, as a JSONPath: the key of the node that
    points to it (by the first of ``edges``, (subject, predicate, blank node) in ``paths``'
    labels), with the index of the one node without an IRI in that key's array. A node that
    cannot be told from others in its array is given the array's path; one that cannot be
    placed, none."""
    parents: dict[str, tuple[str, str]] = {}
    for subject, predicate, node in edges:
        parents.setdefault(node, (subject, predicate))
    objects: dict[str, dict[str, Any]] = {}
    _objects_at(doc, "$", objects)
    found: dict[str, str] = {}

    def place(node: str, seen: frozenset[str]) -> str | None:
        known = paths.get(node) or found.get(node)
        if known is not None or node not in parents or node in seen:
            return known
        subject, predicate = parents[node]
        above = place(subject, seen | {node})
        term = reverse.get(predicate)
        holder = objects.get(above) if above is not None else None
        if holder is None or term is None or term not in holder:
            return None
        value = holder[term]
        where = f"{above}.{term}"
        if isinstance(value, list):
            blank = [i for i, item in enumerate(value) if isinstance(item, dict) and not _named(item)]
            if len(blank) == 1:
                where = f"{where}[{blank[0]}]"
        found[node] = where
        return where

    for node in parents:
        place(node, frozenset())
    return found


def _named(node: dict[str, Any]) -> bool:
    """Whether a JSON object is a node with an IRI (a blank node label ``_:x`` is none)."""
    return any(isinstance(node.get(key), str) and not node[key].startswith("_:") for key in ("id", "@id"))


def _objects_at(value: Any, path: str, out: dict[str, dict[str, Any]]) -> None:
    """Every JSON object of the document by its JSONPath."""
    if isinstance(value, dict):
        out[path] = value
        for key, item in value.items():
            if key != "@context":
                _objects_at(item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _objects_at(item, f"{path}[{index}]", out)


def _term(iri: str, reverse: dict[str, str]) -> str:
    return reverse.get(iri) or iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


_FIXES = {
    "MinCountConstraintComponent": "add {prop} (mandatory) to this {cls} node",
    "MaxCountConstraintComponent": "keep at most the allowed number of {prop} values; reuse of one "
                                   "node id for different objects also causes this",
    "ClassConstraintComponent": "{prop} must point to a node of the class the shape names",
    "DatatypeConstraintComponent": "write {prop} with the datatype the shape names (dates as "
                                   "YYYY-MM-DDThh:mm:ssZ)",
    "NodeConstraintComponent": "the node {prop} points to does not meet the shape the message names: "
                               "the other findings on that node say what it lacks (for a concept of "
                               "a controlled vocabulary, an inScheme typed ConceptScheme naming the "
                               "scheme the shape requires)",
    "NodeKindConstraintComponent": "write {prop} as the kind of value the message names: for sh:IRI a "
                                   'node {{"id": ..., "type": ...}}, not a text or typed value',
    "HasValueConstraintComponent": "give {prop} the value the message names (for inScheme, the IRI "
                                   "of the vocabulary's concept scheme)",
    "UniqueLangConstraintComponent": "give {prop} at most one text per language",
    "OrConstraintComponent": "{prop} must be one of the alternatives the shape lists (a node of "
                             "one of the classes it names)",
}


NOT_RDF = Finding("jsonld.error", "error", "$", "the document's RDF cannot be written: an id or "
                  "IRI value holds a character IRIs cannot have",
                  "use absolute IRIs without spaces, quotes, braces or angle brackets in ids")
NOT_RDF_TEXT = "the document's RDF cannot be written"
_LANGUAGE_TAG = re.compile(r"[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
# a line whose text has a language: what follows its "@" up to the graph name or the final " ."
_TAGGED_LINE = re.compile(r'^(?:<[^>]*>|_:\S+) <[^>]*> "(?:[^"\\]|\\.)*"@(.*?) (?:(?:<[^>]*>|_:\S+) )?\.$',
                          re.MULTILINE)


def not_rdf(doc: dict[str, Any], nquads: str) -> Finding:
    """Why the document's N-Quads cannot be read, and where: a text whose language key or
    ``@language`` is no language tag (``en_GB``, or ``@value`` in a language map), else an IRI."""
    for match in _TAGGED_LINE.finditer(nquads):
        tag = match.group(1)
        if not _LANGUAGE_TAG.fullmatch(tag):
            where, written = _language_path(doc, tag, "$") or ("$", tag)
            return Finding(
                "jsonld.error", "error", where,
                f"{NOT_RDF_TEXT}: a text's language {written!r} is not a language tag",
                "write each language as a BCP 47 tag (en, en-GB, not en_GB), and only languages "
                "as the keys of a language map such as title")
    return NOT_RDF


def _language_path(value: Any, tag: str, path: str) -> tuple[str, str] | None:
    """Where the first language key or ``@language`` that is ``tag`` (pyld writes it in lower
    case) is, as a JSONPath, and the language as written there."""
    if isinstance(value, dict):
        language = value.get("@language")
        if isinstance(language, str) and language.lower() == tag:
            return path, language
        for key, item in value.items():
            if key == "@context":
                continue
            if key.lower() == tag and isinstance(item, str | list):
                return path, key
            found = _language_path(item, tag, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _language_path(item, tag, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def validate_shacl(doc: dict[str, Any], store: SchemaStore) -> list[Finding]:
    """Findings from the official shapes named by the document (default generic-full)."""
    try:
        nquads = to_nquads(doc, store)
    except DocumentTooLarge as exc:
        return [Finding("jsonld.too-large", "error", "$", str(exc), TOO_LARGE_FIX)]
    except OfflineContextError as exc:
        return [Finding("jsonld.error", "error", "@context", str(exc), CONTEXT_FIX)]
    data = rdflib.Dataset()
    try:
        data.parse(data=nquads, format="nquads")
    except ParserError:
        return [not_rdf(doc, nquads)]
    graph = rdflib.Graph()
    for triple in data.triples((None, None, None)):
        graph.add(triple)
    paths: dict[str, str] = {}
    _node_paths(doc, "$", paths)
    reverse = {iri: term for term, iri in context_terms(doc, store).items()}
    edges = ((str(s), str(p), str(o)) for s, p, o in graph if isinstance(o, rdflib.BNode))
    paths.update(blank_node_paths(doc, edges, paths, reverse))
    findings: list[Finding] = []
    for key in shapes_for(doc):
        findings += _run(graph, shapes_graph(store.root, key), paths, reverse)
    return sorted(set(findings), key=lambda f: (f.where, f.code, f.message))


def pyshacl_validate(*args: Any, **kwargs: Any) -> Any:
    """pyshacl's ``validate``, imported at first use: the compiled checker runs without pyshacl
    (0.1 s to import, in every process)."""
    from pyshacl import validate

    return validate(*args, **kwargs)


def _run(graph: rdflib.Graph, shapes: rdflib.Graph, paths: dict[str, str],
         reverse: dict[str, str]) -> list[Finding]:
    _conforms, results, _text = pyshacl_validate(
        graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        prop = results.value(result, SH.resultPath)
        component = str(results.value(result, SH.sourceConstraintComponent) or "").rsplit("#", 1)[-1]
        severity = str(results.value(result, SH.resultSeverity) or SH.Violation).rsplit("#", 1)[-1]
        message = str(results.value(result, SH.resultMessage) or component)
        value = results.value(result, SH.value)
        focus_types = sorted(_term(str(t), reverse) for t in graph.objects(focus, RDF.type))
        cls = focus_types[0] if focus_types else "node"
        prop_term = _term(str(prop), reverse) if prop is not None else ""
        where = paths.get(str(focus), str(focus))
        if prop_term:
            where = f"{where}.{prop_term}"
        if value is not None and component != "MinCountConstraintComponent":
            message = f"{message} (value: {value})"
        findings.append(Finding(
            code=f"shacl.{component.removesuffix('ConstraintComponent')}",
            severity="error" if severity == "Violation" else "warning" if severity == "Warning" else "info",
            where=where,
            message=message,
            fix=_FIXES.get(component, "see the EDC 3.2 shapes").format(prop=prop_term or "it", cls=cls),
        ))
    return findings
