"""A small N-Quads reader that indexes the default graph the way rdflib stores it.

Terms are plain Python values: an IRI is a ``str``, a blank node a ``str`` starting with ``_:``
and a literal a :class:`Lit`. Literals are made equal exactly as rdflib makes them equal (typed
lexical forms normalised by rdflib, language tags compared without case), so value sets, counts
and reported values match what a validator working on an rdflib graph sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from rdflib import Literal, URIRef
from rdflib.compat import decodeUnicodeEscape

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_SUBCLASSOF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
RDF_FIRST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
RDF_REST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
RDF_NIL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil"


class Lit(NamedTuple):
    """A literal: lexical form as rdflib keeps it, datatype IRI (None if plain), language tag."""

    lex: str
    datatype: str | None
    lang: str | None


class IllTyped(Lit):
    """A typed literal whose lexical form is not valid for its datatype (rdflib's ``ill_typed``).

    rdflib may still read a value from it and write it in canonical form (``"yes"^^xsd:boolean``
    becomes ``"false"``): it is then equal to the valid literal of that form, as in rdflib, but
    sh:datatype must still reject it, so the mark is kept beside the canonical form.
    """

    __slots__ = ()


Term = str | Lit

_IRI = r'<([^:]+:[^\s"<>]*)>'
_BNODE = r"_:([A-Za-z0-9_:](?:[-A-Za-z0-9_:\.]*[-A-Za-z0-9_:])?)"
_LINE = re.compile(
    rf"[ \t]*(?:{_IRI}|{_BNODE})[ \t]+{_IRI}[ \t]*"
    rf"(?:{_IRI}|{_BNODE}|\"([^\"\\]*(?:\\.[^\"\\]*)*)\"(?:@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)|\^\^{_IRI})?)"
    rf"[ \t]*({_IRI}|{_BNODE})?[ \t]*\.[ \t]*(?:#.*)?")


class NQuadsError(ValueError):
    """A line that is not N-Quads."""


@lru_cache(maxsize=65536)
def typed_literal(lex: str, datatype: str) -> Literal:
    """The rdflib literal for a typed lexical form (normalised, with ``ill_typed`` and ``value``)."""
    return Literal(lex, datatype=URIRef(datatype))


def read_literal(raw: str, lang: str | None, datatype: str | None) -> Lit:
    lex = decodeUnicodeEscape(raw)
    if datatype is not None:
        datatype = decodeUnicodeEscape(datatype)
        literal = typed_literal(lex, datatype)
        if getattr(literal, "ill_typed", None) is True:
            return IllTyped(str(literal), datatype, None)
        return Lit(str(literal), datatype, None)
    return Lit(lex, None, lang)


def term_key(term: Term) -> object:
    """What rdflib compares: a language tag without case."""
    if isinstance(term, Lit) and term.lang is not None:
        return (term.lex, None, term.lang.lower())
    return term


class Graph:
    """Triples of the default graph, indexed by subject and by type."""

    __slots__ = ("_out", "_subclass", "_types", "ill_typed")

    def __init__(self) -> None:
        self._out: dict[str, dict[str, dict[object, Term]]] = {}
        self._types: dict[str, list[str]] = {}
        self._subclass: dict[str, list[str]] | None = None
        self.ill_typed = False  # an ill-typed literal was read (kept or not)

    def add(self, subject: str, predicate: str, obj: Term) -> None:
        if obj.__class__ is IllTyped:
            self.ill_typed = True
        values = self._out.setdefault(subject, {}).setdefault(predicate, {})
        key = term_key(obj)
        if key in values:
            return
        values[key] = obj
        if predicate == RDF_TYPE and isinstance(obj, str):
            self._types.setdefault(obj, []).append(subject)
        elif predicate == RDFS_SUBCLASSOF and isinstance(obj, str):
            if self._subclass is None:
                self._subclass = {}
            self._subclass.setdefault(subject, []).append(obj)

    def objects(self, subject: Term, predicate: str) -> Iterable[Term]:
        if isinstance(subject, Lit):
            return ()
        props = self._out.get(subject)
        if props is None:
            return ()
        values = props.get(predicate)
        return values.values() if values is not None else ()

    def same_description(self, other: Graph, subject: str) -> bool:
        """True when ``subject`` has exactly the same triples here as in ``other`` (ill-typed
        literals aside: they are equal to the valid ones rdflib writes them as)."""
        return self._out.get(subject) == other._out.get(subject)

    def subjects(self) -> list[str]:
        return list(self._out)

    def mentioned(self) -> set[str]:
        """Every IRI or blank node the graph says something about or points to."""
        nodes = set(self._out)
        for props in self._out.values():
            for values in props.values():
                nodes.update(v for v in values.values() if isinstance(v, str))
        return nodes

    def blank_edges(self) -> Iterator[tuple[str, str, str]]:
        """(subject, predicate, object) of each triple whose object is a blank node, the blank
        nodes without their ``_:``, as rdflib prints them."""
        for subject, props in self._out.items():
            for predicate, values in props.items():
                for value in values.values():
                    if isinstance(value, str) and value.startswith("_:"):
                        yield subject.removeprefix("_:"), predicate, value[2:]

    def subjects_with(self, predicate: str) -> list[str]:
        return [s for s, props in self._out.items() if props.get(predicate)]

    def objects_of(self, predicate: str) -> list[Term]:
        return [o for props in self._out.values() for o in props.get(predicate, {}).values()]

    def predicates(self, subject: str) -> list[str]:
        return list(self._out.get(subject, {}))

    def types(self, subject: Term) -> list[str]:
        return [t for t in self.objects(subject, RDF_TYPE) if isinstance(t, str)]

    def superclasses(self, cls: str) -> set[str]:
        """``cls`` and every class it reaches by rdfs:subClassOf in the data (rdflib's transitive_objects)."""
        seen = {cls}
        if self._subclass is None:
            return seen
        todo = [cls]
        while todo:
            for parent in self._subclass.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def instances(self, cls: str) -> list[str]:
        """Subjects typed ``cls`` or a subclass of it, as pyshacl finds targets."""
        found = list(self._types.get(cls, ()))
        if self._subclass is None:
            return found
        for sub in self._subclasses(cls):
            if sub != cls:
                found += self._types.get(sub, ())
        return found

    def _subclasses(self, cls: str) -> set[str]:
        assert self._subclass is not None
        children: dict[str, list[str]] = {}
        for child, parents in self._subclass.items():
            for parent in parents:
                children.setdefault(parent, []).append(child)
        seen = {cls}
        todo = [cls]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    def is_instance(self, node: Term, cls: str) -> bool:
        if isinstance(node, Lit):
            return False
        for node_type in self.types(node):
            if node_type == cls or (self._subclass is not None and cls in self.superclasses(node_type)):
                return True
        return False

    def items(self, node: str) -> list[Term]:
        """The members of an RDF list, as rdflib's Graph.items."""
        members: list[Term] = []
        seen: set[str] = set()
        current: Term = node
        while isinstance(current, str) and current != RDF_NIL and current not in seen:
            seen.add(current)
            members += list(self.objects(current, RDF_FIRST))[:1]
            current = next(iter(self.objects(current, RDF_REST)), RDF_NIL)
        return members


IRI_PLAIN = re.compile(r'[^:\s"<>\\]+:[^\s"<>\\]*')  # an IRI a plain line holds (inside its <>)
_IRI_PLAIN = rf"<({IRI_PLAIN.pattern})>"
PLAIN_LINE = re.compile(  # a canonical line: no blank node, no graph name, no escape in an IRI
    rf'^{_IRI_PLAIN} {_IRI_PLAIN} (?:{_IRI_PLAIN}|"([^"\\\r\n]*(?:\\.[^"\\\r\n]*)*)"'
    rf"(?:@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)|\^\^{_IRI_PLAIN})?) \.$", re.MULTILINE)
_LINE_END = re.compile(r"\r\n|\r|\n")  # what rdflib's N-Quads reader ends a line on


def _plain(text: str) -> Graph | None:
    """The graph when every line is plain (one C-level scan), else None."""
    if not text.endswith("\n") or "\r" in text or "\n\n" in text or text.startswith("\n"):
        return None
    rows = PLAIN_LINE.findall(text)
    if len(rows) != text.count("\n"):
        return None
    graph = Graph()
    for subject, predicate, o_iri, lex, lang, dtype in rows:
        if o_iri:
            graph.add(subject, predicate, o_iri)
        else:
            graph.add(subject, predicate, read_literal(lex, lang or None, dtype or None))
    return graph


def parse(text: str) -> Graph:
    """The default graph of an N-Quads document (quads in named graphs are left out, as rdflib's
    ``Dataset.triples`` leaves them out)."""
    plain = _plain(text)
    if plain is not None:
        return plain
    graph = Graph()
    for line in _LINE_END.split(text):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise NQuadsError(f"not N-Quads: {line[:200]}")
        s_iri, s_bnode, pred, o_iri, o_bnode, lex, lang, dtype, graph_name = match.group(
            1, 2, 3, 4, 5, 6, 7, 8, 9)
        if graph_name is not None:
            continue
        subject = decodeUnicodeEscape(s_iri) if s_iri is not None else "_:" + s_bnode
        obj: Term
        if o_iri is not None:
            obj = decodeUnicodeEscape(o_iri)
        elif o_bnode is not None:
            obj = "_:" + o_bnode
        else:
            obj = read_literal(lex, lang, dtype)
        graph.add(subject, decodeUnicodeEscape(pred), obj)
    return graph
