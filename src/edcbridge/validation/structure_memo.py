"""Conformance remembered by structure: a credential that differs from one already found clean
only in values the shapes cannot tell apart is clean too, without running the shapes again.

The compiled shapes use only class, datatype, nodeKind, minCount, maxCount, uniqueLang,
hasValue, maxInclusive, node, or and property (compilation refuses anything else, SPARQL and
string patterns included). Their results do not change when the data graph is renamed one to
one, keeping every IRI the shapes graph names, and every literal keeps its language tag and
its answer to each sh:datatype, sh:maxInclusive and sh:hasValue in the shapes. The key of a
document is its graph with exactly that left: IRIs named by the shapes, used as a type or
mentioned by a shared catalogue node stay as they are; other IRIs and literals become numbers
in order of first use, literals with their answers. A literal said of a node a shared node
describes stays as it is: whether it is one of that node's own values (one value, or two
names in one language) is decided by its text. Two documents with the same key are such
renamings of each other, so a key seen with no result at all gives no result again. A document
with an ill-typed literal has no key: rdflib makes it equal to the valid literal it reads it
as, and which of the two a graph keeps depends on their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, lru_cache
from pathlib import Path

import rdflib

from edcbridge.mapping.nodes import Frozen
from edcbridge.validation.fast_rdf import Trace
from edcbridge.validation.nquads import IRI_PLAIN, PLAIN_LINE, RDF_TYPE, IllTyped, Lit, read_literal, term_key
from edcbridge.validation.shapes_compiled import (
    CompiledShapes,
    DatatypeConstraint,
    HasValueConstraint,
    MaxInclusiveConstraint,
    NodeConstraint,
    OrConstraint,
    PropertyConstraint,
    Shape,
    at_most,
    datatype_matches,
)

Key = tuple[object, ...]


@dataclass(frozen=True)
class Questions:
    """Everything the shapes can ask of a value, besides its place in the graph."""

    iris: frozenset[str]  # every IRI in the shapes graphs
    datatypes: tuple[str, ...]
    limits: tuple[rdflib.Literal, ...]
    values: frozenset[object]  # sh:hasValue terms, as compared

    def answers(self, literal: Lit) -> tuple[object, ...]:
        lang = literal.lang.lower() if literal.lang else None
        return (lang, tuple(datatype_matches(literal, rule) for rule in self.datatypes),
                tuple(at_most(literal, limit) for limit in self.limits),
                term_key(literal) in self.values)

    def time_blind(self) -> bool:
        """Whether every valid xsd:dateTime gets the same answers whatever its value (sh:hasValue
        aside): no sh:maxInclusive compares it with a date or time (it cannot be ordered against
        a number or a text), and sh:datatype looks at its datatype and validity only."""
        return not any(isinstance(limit.value, datetime | date | time) for limit in self.limits)

    def text_blind(self) -> bool:
        """Whether a literal without datatype gets the same answers whatever its text (sh:hasValue
        aside): no sh:maxInclusive compares strings, and sh:datatype looks at the datatype and
        language tag only when the literal has no datatype."""
        return not any(isinstance(limit.value, str) for limit in self.limits)


def questions(profiles: list[CompiledShapes]) -> Questions:
    iris: set[str] = set()
    datatypes: set[str] = set()
    limits: list[rdflib.Literal] = []
    values: set[object] = set()
    seen: set[int] = set()
    todo: list[Shape] = [shape for compiled in profiles for shape in compiled.roots]
    for compiled in profiles:
        iris |= compiled.iris
    while todo:
        shape = todo.pop()
        if id(shape) in seen:
            continue
        seen.add(id(shape))
        for constraint in shape.constraints:
            if isinstance(constraint, PropertyConstraint | NodeConstraint):
                todo += constraint.shapes
            elif isinstance(constraint, OrConstraint):
                todo += [member for members in constraint.alternatives for member in members]
            elif isinstance(constraint, DatatypeConstraint):
                datatypes.add(constraint.datatype)
            elif isinstance(constraint, MaxInclusiveConstraint):
                limits += [limit for limit in constraint.limits if limit not in limits]
            elif isinstance(constraint, HasValueConstraint):
                values.update(term_key(v) for v in constraint.values)
    return Questions(frozenset(iris), tuple(sorted(datatypes)), tuple(limits), frozenset(values))


class StructureMemo:
    """Keys of documents found clean, for one set of shapes; bounded."""

    def __init__(self, asked: Questions, limit: int = 256) -> None:
        self.asked = asked
        self.limit = limit
        self._clean: dict[Key, tuple[Frozen, ...]] = {}  # holds the shared nodes the key names
        self._answers: dict[tuple[str, str, str], tuple[object, tuple[object, ...] | None]] = {}
        # shared node ids -> (the nodes, IRIs kept, subjects the nodes describe)
        self._shared: dict[tuple[int, ...], tuple[tuple[Frozen, ...], frozenset[str], frozenset[str]]] = {}
        self._plain_iris_seen: set[str] = set()  # IRIs found to be as PLAIN_LINE reads them
        # answers of literals without datatype, by language tag (see Questions.text_blind)
        self._plain: dict[str, tuple[object, ...]] | None = {} if asked.text_blind() else None
        # answers of a valid xsd:dateTime in the form the mapping writes (see Questions.time_blind)
        self._times: list[tuple[object, ...]] | None = [] if asked.time_blind() else None

    def key(self, trace: Trace) -> Key | None:
        """The document's key, or None when its lines are not each one line in the plain form, or
        it holds an ill-typed literal (rdflib keeps whichever of two equal literals it reads
        first, and only one of them may be ill-typed).

        A row's IRIs are each one PLAIN_LINE reads (no blank node, no escape), as the converter
        wrote the row's line from them: its rows are then the ones PLAIN_LINE would read from
        its lines. An IRI the key numbers is checked at its first use; the others (predicates,
        classes, catalogue IRIs) repeat, and are remembered once found plain."""
        rows = trace.rows
        ids = tuple([id(node) for node, _ in trace.shared])
        # IRIs named by the shapes or mentioned by a shared node; subjects a shared node describes
        kept, described = self._kept(ids, trace)
        local = {row[1] for row in rows}  # predicates
        local.update(row[2] for row in rows if row[1] == RDF_TYPE)  # classes
        numbers: dict[object, int] = {}
        plain, plain_iri = self._plain_iris_seen, self._plain_iri
        literal, answered = self._literal, self._answers
        out: list[object] = [ids]
        for subject, predicate, o_iri, lex, lang, datatype in rows:
            if predicate not in plain and not plain_iri(predicate):
                return None
            # an IRI numbered already is one neither kept nor local (numbers holds literals as
            # tuples, never as text): its number first, the sets only at its first use
            s: object = numbers.get(subject)
            if s is None:
                if subject in kept or subject in local:
                    if subject not in plain and not plain_iri(subject):
                        return None
                    s = subject
                else:
                    if IRI_PLAIN.fullmatch(subject) is None:
                        return None
                    s = numbers[subject] = len(numbers)
            o: object
            if o_iri:
                o = numbers.get(o_iri)
                if o is None:
                    if o_iri in kept or o_iri in local:
                        if o_iri not in plain and not plain_iri(o_iri):
                            return None
                        o = o_iri
                    else:
                        if IRI_PLAIN.fullmatch(o_iri) is None:
                            return None
                        o = numbers[o_iri] = len(numbers)
            else:
                if datatype and datatype not in plain and not plain_iri(datatype):
                    return None
                found = answered.get((lex, lang, datatype))  # as _literal, without the call
                same, answers = found if found is not None else literal(lex, lang, datatype)
                if answers is None:
                    return None
                # a value of a node a shared node describes may be one of its values there
                o = (same if subject in described else numbers.setdefault(same, len(numbers)), answers)
            out += (s, predicate, o)  # flat (cheaper to hash): three items a row, o one of them
        return tuple(out)

    def _plain_iri(self, iri: str) -> bool:
        """Whether PLAIN_LINE reads ``iri`` (see key); remembered when it does."""
        if IRI_PLAIN.fullmatch(iri) is None:
            return False
        plain = self._plain_iris_seen
        if len(plain) > 65536:
            plain.clear()
        plain.add(iri)
        return True

    def _literal(self, lex: str, lang: str, datatype: str) -> tuple[object, tuple[object, ...] | None]:
        """A literal as written: what makes it equal to another, and its answers (None when it is
        ill-typed)."""
        raw = (lex, lang, datatype)
        found = self._answers.get(raw)
        if found is None:
            if len(self._answers) > 65536:
                self._answers.clear()
            found = self._time(lex, datatype)
            if found is not None:
                self._answers[raw] = found
                return found
            value = read_literal(lex, lang or None, datatype or None)
            same = term_key(value)
            plain = self._plain if not datatype else None
            if isinstance(value, IllTyped):
                found = (same, None)
            elif plain is None:
                found = (same, (value.datatype, *self.asked.answers(value)))
            else:  # the answers of the first such literal, but for its own sh:hasValue
                answers = plain.get(lang)
                if answers is None:
                    answers = plain[lang] = (None, *self.asked.answers(value)[:-1])
                found = (same, (*answers, same in self.asked.values))
            if self._times == [] and datatype == _DATE_TIME and found[1] is not None and \
                    _utc_date_time(lex) is not None:
                self._times.append(found[1][:-1])
            self._answers[raw] = found
        return found

    def _time(self, lex: str, datatype: str) -> tuple[object, tuple[object, ...]] | None:
        """A valid xsd:dateTime as the mapping writes it (UTC, whole seconds), once one such was
        answered: the same answers, without rdflib reading it; else None."""
        if datatype != _DATE_TIME or not self._times:
            return None
        value = _utc_date_time(lex)
        if value is None:
            return None
        same = Lit(value.isoformat(), datatype, None)  # rdflib's canonical form of it
        return same, (*self._times[0], same in self.asked.values)

    def _kept(self, ids: tuple[int, ...], trace: Trace) -> tuple[frozenset[str], frozenset[str]]:
        """The IRIs a key keeps as they are, besides the document's predicates and classes (those
        of the shapes graphs and every IRI the document's shared nodes mention), and the subjects
        the shared nodes' lines describe, worked out once per set of nodes. ``ids`` are the ids
        of the trace's shared nodes. An entry holds its nodes, and two live objects never share
        an id: an entry found by the ids of the trace's nodes (alive too) holds those very nodes."""
        found = self._shared.get(ids)
        if found is None:
            iris = frozenset().union(*(_mentioned(lines) for _, lines in trace.shared))
            subjects = frozenset().union(*(_described(lines) for _, lines in trace.shared))
            if len(self._shared) > 256:
                self._shared.clear()
            found = self._shared[ids] = (tuple(node for node, _ in trace.shared), self.asked.iris | iris,
                                         subjects)
        return found[1], found[2]

    def is_clean(self, key: Key) -> bool:
        return key in self._clean

    def remember_clean(self, key: Key, trace: Trace) -> None:
        if len(self._clean) >= self.limit:
            self._clean.clear()
        self._clean[key] = tuple(node for node, _ in trace.shared)


_DATE_TIME = "http://www.w3.org/2001/XMLSchema#dateTime"
_UTC_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def _utc_date_time(lex: str) -> datetime | None:
    """The instant of ``2025-06-30T00:00:00Z`` (the form the mapping writes every date in), or
    None when the text is in another form or names no instant (a 30 February, an hour 24)."""
    if _UTC_DATE_TIME.fullmatch(lex) is None:
        return None
    try:
        value = datetime.fromisoformat(lex)
    except ValueError:
        return None
    return value if value.year >= 1 else None


@lru_cache(maxsize=4096)
def _mentioned(lines: frozenset[str]) -> frozenset[str]:
    """Every IRI in a shared node's lines (subjects, predicates, objects)."""
    found: set[str] = set()
    for subject, predicate, o_iri, *_ in PLAIN_LINE.findall("".join(lines)):
        found.update((subject, predicate, o_iri))
    found.discard("")
    return frozenset(found)


@lru_cache(maxsize=4096)
def _described(lines: frozenset[str]) -> frozenset[str]:
    """The subjects of a shared node's lines."""
    return frozenset(row[0] for row in PLAIN_LINE.findall("".join(lines)))


@cache
def memo_for(store_root: Path, profiles: tuple[str, ...]) -> StructureMemo:
    """One memo per shapes profile set, per process."""
    from edcbridge.validation.fastshacl import compiled

    return StructureMemo(questions([compiled(store_root, key) for key in profiles]))
