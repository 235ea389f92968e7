"""The official EDC 3.2 shapes as a compiled checker: the verdicts and results of pyshacl, faster.

:func:`validate_fast` is a drop-in for :func:`edcbridge.validation.shacl.validate_shacl`: the same
shapes (compiled once per process), the same results (focus node, path, constraint component,
value, severity, message) and the same findings. The data graph is read from the N-Quads of
:func:`edcbridge.validation.jsonld.to_nquads` by a small parser instead of rdflib, and the shapes
run as plain Python (see ``shapes_compiled``). Two differences, both where ``validate_shacl``
is not deterministic: blank nodes keep their N-Quads labels (``b0``...) where rdflib draws random
ones (in a value, and as the place of a node without an id that the document cannot place; see
``shacl.blank_node_paths``), and a fix text names the focus node's first type in document order
where rdflib takes them in hash order.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import rdflib
from rdflib.namespace import SH, NamespaceManager

from edcbridge.mapping.nodes import Frozen
from edcbridge.schemas import SchemaStore
from edcbridge.validation import nquads
from edcbridge.validation.fast_rdf import shared_lines, trace
from edcbridge.validation.findings import Finding
from edcbridge.validation.jsonld import (
    CONTEXT_FIX,
    TOO_LARGE_FIX,
    DocumentTooLarge,
    OfflineContextError,
    context_terms,
    to_nquads,
)
from edcbridge.validation.nquads import RDF_FIRST, Lit, Term
from edcbridge.validation.shacl import (
    _FIXES,
    _SHAPES_DIR,
    SHAPES,
    _node_paths,
    _term,
    blank_node_paths,
    not_rdf,
    shapes_for,
    shapes_graph,
)
from edcbridge.validation.shapes_cache import compiled_cached
from edcbridge.validation.shapes_compiled import (
    CompiledShapes,
    Result,
    compile_shapes,
    flatten,
    rdflib_literal,
)
from edcbridge.validation.structure_memo import memo_for

__all__ = ["check", "compiled", "message", "validate_fast"]


@cache
def compiled(store_root: Path, key: str) -> CompiledShapes:
    """The shapes of one profile, once per process: compiled, or read from the cache of an
    earlier process that compiled the same files with the same code (see ``shapes_cache``)."""
    store = SchemaStore(store_root)
    files = [store.path(_SHAPES_DIR + name) for name in SHAPES[key]]  # checked against their pins
    return compiled_cached(files, lambda: compile_shapes(shapes_graph(store_root, key)))


def check(nquads_text: str, store: SchemaStore, key: str) -> tuple[bool, list[Result]]:
    """Conformance and every result (nested ones included) of one profile on an N-Quads document."""
    conforms, results = compiled(store.root, key).run(nquads.parse(nquads_text))
    return conforms, flatten(results)


def message(result: Result, graph: nquads.Graph) -> str:
    """The result's sh:resultMessage as pyshacl writes it (the shape's own, else the generic one)."""
    return result.constraint.messages(result.focus, result.value, _Texts(graph).text)[0]


def validate_fast(doc: dict[str, Any], store: SchemaStore, *, remember: bool = True) -> list[Finding]:
    """Findings from the official shapes named by the document, as ``validate_shacl`` gives them.

    ``remember`` uses and fills the per-process memo of clean structures (``structure_memo``);
    without it the shapes always run.
    """
    profiles = tuple(shapes_for(doc))
    converted = trace(doc, store.root)
    memo = key = None
    if converted is not None and remember:
        memo = memo_for(store.root, profiles)
        key = memo.key(converted)
        if key is not None and memo.is_clean(key):
            return []
    try:
        text = converted.nquads() if converted is not None else to_nquads(doc, store)
    except DocumentTooLarge as exc:
        return [Finding("jsonld.too-large", "error", "$", str(exc), TOO_LARGE_FIX)]
    except OfflineContextError as exc:
        return [Finding("jsonld.error", "error", "@context", str(exc), CONTEXT_FIX)]
    try:
        graph = nquads.parse(text)
    except nquads.NQuadsError:
        return [not_rdf(doc, text)]
    results = []
    for profile in profiles:
        skip, known = _shared_results(doc, graph, store, profile)
        results += flatten(compiled(store.root, profile).run(graph, skip)[1]) + known
    if not results:
        if memo is not None and key is not None and converted is not None:
            memo.remember_clean(key, converted)
        return []
    paths: dict[str, str] = {}
    _node_paths(doc, "$", paths)
    reverse = {iri: term for term, iri in context_terms(doc, store).items()}
    paths.update(blank_node_paths(doc, graph.blank_edges(), paths, reverse))
    texts = _Texts(graph)
    findings = {_finding(r, graph, paths, reverse, texts) for r in results}
    return sorted(findings, key=lambda f: (f.where, f.code, f.message))


# (id(shared node), profile) -> (the node, its subjects, every node it mentions, its graph, its
# results on its own).
_SHARED: dict[tuple[int, str], tuple[Frozen, frozenset[str], frozenset[str], nquads.Graph, list[Result]]] = {}


def _shared_results(doc: dict[str, Any], graph: nquads.Graph, store: SchemaStore,
                    key: str) -> tuple[frozenset[str], list[Result]]:
    """Results for the nodes that credentials share (catalogue parts), computed once.

    A shared subtree holds every node its nodes point to, so the shapes give its nodes the same
    results alone as inside any document, provided the document says nothing more about them:
    a subtree whose subjects have other triples in this document is validated in place.
    """
    skip: set[str] = set()
    known: list[Result] = []
    seen: set[int] = set()
    if graph.ill_typed:  # an ill-typed literal equals a valid one: descriptions cannot be compared
        return frozenset(), []
    for node in _shared_nodes(doc):
        if id(node) in seen:
            continue
        seen.add(id(node))
        entry = _SHARED.get((id(node), key))
        if entry is None or entry[0] is not node:
            lines = shared_lines(node)
            if lines is None:
                continue
            sub = nquads.parse("".join(sorted(lines)))
            entry = (node, frozenset(sub.subjects()), frozenset(sub.mentioned()), sub,
                     flatten(compiled(store.root, key).run(sub)[1]))
            if len(_SHARED) > 4096:
                _SHARED.clear()
            _SHARED[(id(node), key)] = entry
        _, subjects, mentioned, sub, results = entry
        # nothing the subtree mentions may be described differently by the rest of the document
        if subjects & skip or not all(graph.same_description(sub, s) for s in mentioned):
            continue
        skip |= subjects
        known += results
    return frozenset(skip), known


def _shared_nodes(value: Any) -> list[Frozen]:
    """The outermost shared nodes in a document."""
    if isinstance(value, Frozen):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _shared_nodes(v)]
    if isinstance(value, list):
        return [n for v in value for n in _shared_nodes(v)]
    return []


def _plain(term: Term) -> str:
    """``str()`` of the rdflib term."""
    if isinstance(term, Lit):
        return term.lex
    return term[2:] if term.startswith("_:") else term


def _finding(result: Result, graph: nquads.Graph, paths: dict[str, str], reverse: dict[str, str],
             texts: _Texts) -> Finding:
    component = result.component
    severity = result.severity.rsplit("#", 1)[-1]
    messages = result.constraint.messages(result.focus, result.value, texts.text)
    message = messages[0] if messages else component
    focus = _plain(result.focus)
    focus_types = sorted(_term(t, reverse) for t in graph.types(result.focus))
    cls = focus_types[0] if focus_types else "node"
    prop_term = _term(result.path, reverse) if result.path is not None else ""
    where = paths.get(focus, focus)
    if prop_term:
        where = f"{where}.{prop_term}"
    if result.value is not None and component != "MinCountConstraintComponent":
        message = f"{message} (value: {_plain(result.value)})"
    return Finding(
        code=f"shacl.{component.removesuffix('ConstraintComponent')}",
        severity="error" if severity == "Violation" else "warning" if severity == "Warning" else "info",
        where=where,
        message=message,
        fix=_FIXES.get(component, "see the EDC 3.2 shapes").format(prop=prop_term or "it", cls=cls),
    )


@cache
def _namespaces() -> NamespaceManager:
    """The prefixes pyshacl knows when it prints data nodes (its clone of an empty rdflib Graph)."""
    from pyshacl.rdfutil.clone import clone_graph

    manager: NamespaceManager = clone_graph(rdflib.Graph()).namespace_manager
    manager.bind("sh", SH, override=False, replace=False)
    return manager


@lru_cache(maxsize=4096)
def _iri_text(iri: str) -> str:
    try:
        return str(rdflib.URIRef(iri).n3(namespace_manager=_namespaces()))
    except Exception:
        return iri


class _Texts:
    """Data nodes printed as pyshacl prints them in generic messages (``stringify_node``)."""

    def __init__(self, graph: nquads.Graph) -> None:
        self.graph = graph
        self._scratch = rdflib.Graph()

    def text(self, term: Term, recursion: int = 0) -> str:
        if isinstance(term, Lit):
            from pyshacl.rdfutil.stringify import stringify_literal

            return str(stringify_literal(self._scratch, rdflib_literal(term), ns_manager=_namespaces()))
        if term.startswith("_:"):
            return self._bnode(term, recursion + 1)
        return _iri_text(term)

    def _bnode(self, node: str, recursion: int) -> str:
        if recursion >= 12:
            return "<http://recursion.too.deep>"
        predicates = self.graph.predicates(node)
        if not predicates:
            return "[ ]"
        if RDF_FIRST in predicates:
            items = " ".join(self.text(item, recursion + 1) for item in self.graph.items(node))
            return f"( {items} )"
        by_predicate = {}
        for predicate in predicates:
            # pyshacl prints a node owl:sameAs itself as "<self>" only when the terms are its own
            # constants (it compares by identity), never for a document's terms: it nests it
            objects = [self.text(o, recursion + 1) for o in self.graph.objects(node, predicate)]
            by_predicate[_iri_text(predicate)] = ", ".join(sorted(objects))
        return "[ " + " ; ".join(f"{p} {o}" for p, o in sorted(by_predicate.items())) + " ]"
