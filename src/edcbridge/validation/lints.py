"""Checks the official shapes cannot make, because JSON-LD hides the problem from RDF.

* a key unknown to the contexts is silently dropped on expansion;
* one node id used for two different objects merges them in RDF;
* text in a language the credential does not declare is never displayed.
"""

from __future__ import annotations

from typing import Any

from edcbridge import vocab
from edcbridge.mapping.nodes import Frozen
from edcbridge.schemas import SchemaStore
from edcbridge.validation.document import as_list
from edcbridge.validation.findings import Finding
from edcbridge.validation.jsonld import context_terms

_NESTED = (dict, list)
_KEYWORDS = {"@context", "@id", "@type", "@value", "@language", "@list", "@set", "@graph"}
_PERSON_NAMES = {"givenName", "familyName", "fullName", "patronymicName", "birthName"}
_LANGUAGE_MAPS = {"title", "description", "legalName", "altLabel", "givenName", "familyName",
                  "fullName", "prefLabel", "noteLiteral", "patronymicName", "birthName",
                  "definition", "schemeAgency", "name"}


# The ids inside a shared node, with their relative paths and their nodes.
Ids = tuple[tuple[tuple[str, ...], str, Any], ...]
# A shared node linted on its own: the node and its ids.
Hit = tuple[Any, Ids]
# (id(shared node), id(terms), declared languages) -> its hit; only for nodes without findings.
# Holds the node, so its id is not reused.
_SHARED: dict[tuple[int, int, frozenset[str]], Hit] = {}
# id of each hit of a document's shared nodes, in document order -> (those hits, every id they
# hold, whether they hold no id twice for different objects). Holds the hits (see _SHARED).
_SETTLED: dict[tuple[int, ...], tuple[tuple[Hit, ...], frozenset[str], bool]] = {}


def _path(parts: list[str]) -> str:
    return "$" + "".join(parts)


class _Linter:
    """One traversal of the document for all three lints; paths are built only for findings."""

    def __init__(self, terms: dict[str, str], declared: set[str], *, defer: bool = False) -> None:
        self.terms = terms
        self.declared = declared
        self.languages_key = frozenset(declared)
        self.findings: list[Finding] = []
        self.seen: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {}
        self.stack: list[str] = []
        # with ``defer``, the ids of shared nodes are compared at the end (see settled)
        self.deferred: list[Hit] | None = [] if defer else None

    def visit(self, value: Any) -> None:
        if isinstance(value, list):
            stack = self.stack
            for index, item in enumerate(value):
                if isinstance(item, _NESTED):  # a text or a number holds nothing to lint
                    stack.append(f"[{index}]")
                    self.visit(item)
                    stack.pop()
        elif isinstance(value, dict):
            self.node(value)

    def node(self, node: dict[str, Any]) -> None:
        if isinstance(node, Frozen) and self._shared(node):
            return
        self._node(node)

    def _shared(self, node: Frozen) -> bool:
        """A node shared by many credentials is linted once; returns False if it has findings."""
        key = (id(node), id(self.terms), self.languages_key)
        hit = _SHARED.get(key)
        if hit is None or hit[0] is not node:
            probe = _Linter(self.terms, self.declared)
            probe._node(node)
            if probe.findings:
                return False
            hit = (node, tuple((rel, node_id, n) for node_id, (rel, n) in probe.seen.items()))
            if len(_SHARED) > 4096:
                _SHARED.clear()
            _SHARED[key] = hit
        if self.deferred is not None:
            self.deferred.append(hit)
            return True
        self._merge(hit)
        return True

    def _merge(self, hit: Hit) -> None:
        """The ids of a shared node, as if met where it stands."""
        for rel, node_id, inner in hit[1]:
            first = self.seen.get(node_id)
            if first is None:
                self.seen[node_id] = ((*self.stack, *rel), inner)
            elif first[1] is not inner and first[1] != inner:
                self.findings.append(Finding(
                    "lint.node-id-reuse", "error", _path([*self.stack, *rel]),
                    f"id {node_id} is also used for a different object at {_path(list(first[0]))}; "
                    "RDF merges both into one node",
                    "give each distinct object its own id, or embed identical copies"))

    def settled(self) -> bool:
        """Whether the deferred shared nodes add no finding: they hold no id twice for different
        objects, and none of the ids the rest of the document holds. Then comparing their ids
        where they stand finds nothing either (the other checks do not depend on the ids).

        An entry holds its hits, and two live objects never share an id: the entry found by the
        ids of these hits (alive too) holds these very hits."""
        hits = tuple(self.deferred or ())
        key = tuple([id(hit) for hit in hits])
        found = _SETTLED.get(key)
        if found is None:
            probe = _Linter(self.terms, self.declared)
            for hit in hits:
                probe._merge(hit)
            if len(_SETTLED) > 1024:
                _SETTLED.clear()
            found = _SETTLED[key] = (hits, frozenset(probe.seen), not probe.findings)
        return found[2] and found[1].isdisjoint(self.seen)

    def _node(self, node: dict[str, Any]) -> None:
        node_id = node.get("id")
        concept = node.get("type") in ("Concept", "ConceptScheme")
        if isinstance(node_id, str) and len(node) > 1 and not concept:
            first = self.seen.get(node_id)
            if first is None:
                self.seen[node_id] = (tuple(self.stack), node)
            elif first[1] is not node and first[1] != node:  # deep equality of the two copies
                self.findings.append(Finding(
                    "lint.node-id-reuse", "error", _path(self.stack),
                    f"id {node_id} is also used for a different object at {_path(list(first[0]))}; "
                    "RDF merges both into one node",
                    "give each distinct object its own id, or embed identical copies"))
        terms, stack = self.terms, self.stack
        for key, value in node.items():
            if key == "@context":
                continue
            if key not in terms and key not in _KEYWORDS and ":" not in key:
                self.findings.append(Finding(
                    "lint.dropped-term", "error", _path([*self.stack, f".{key}"]),
                    f"{key!r} is not defined by the document's contexts, so JSON-LD processing "
                    "drops it and no verifier sees it",
                    "check the spelling against the EDC context (terms are case-sensitive)"))
                continue  # what is inside goes with it: one finding for the whole value
            if key in _LANGUAGE_MAPS:
                if isinstance(value, dict):
                    self.languages(key, value)
                continue  # language maps: keys are language tags, not terms or nodes
            if isinstance(value, dict):
                stack.append(f".{key}")
                self.node(value)
                stack.pop()
            elif isinstance(value, list):
                stack.append(f".{key}")
                self.visit(value)
                stack.pop()

    def languages(self, key: str, value: dict[str, Any]) -> None:
        if not self.declared or key in _PERSON_NAMES or key == "prefLabel":
            return
        extra = sorted(k for k in value if k.split("-")[0].lower() not in self.declared)
        if extra:
            self.findings.append(Finding(
                "lint.language-undeclared", "warning", _path([*self.stack, f".{key}"]),
                f"text in {', '.join(extra)} but the credential declares {', '.join(sorted(self.declared))}",
                "add the language to displayParameter.language or drop the text"))


def declared_languages(doc: dict[str, Any]) -> set[str]:
    display = doc.get("displayParameter")
    if not isinstance(display, dict):
        return set()
    declared: set[str] = set()
    for lang in as_list(display.get("language")):
        iri = lang.get("id") if isinstance(lang, dict) else lang
        try:
            declared.add(vocab.resolve("language", str(iri)).code)
        except vocab.UnknownConcept:
            continue
    return declared


def lint(doc: dict[str, Any], store: SchemaStore) -> list[Finding]:
    """Dropped terms, node ids reused for different objects, undeclared languages."""
    terms, declared = context_terms(doc, store), declared_languages(doc)
    linter = _Linter(terms, declared, defer=True)
    linter.node(doc)
    if not linter.settled():  # shared ids meet others: compare each where it stands
        linter = _Linter(terms, declared)
        linter.node(doc)
    return linter.findings
