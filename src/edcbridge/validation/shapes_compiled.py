"""The EDC SHACL shapes compiled into plain Python objects, evaluated with pyshacl's semantics.

Shapes are harvested by pyshacl's own ShapesGraph (so the set of shapes, their paths, severities,
messages and deactivation are pyshacl's), then every constraint is turned into a small object
that evaluates on :class:`edcbridge.validation.nquads.Graph`. Only the constraint components the
EDC shapes use are supported; any other one makes compilation fail rather than pass silently.
Inference is "none": class membership comes from rdf:type and rdfs:subClassOf in the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import rdflib
from rdflib.namespace import RDF, SH, XSD

from edcbridge.validation.nquads import Graph, IllTyped, Lit, Term, term_key, typed_literal

_ALLOWED = frozenset({str(SH.Info), str(SH.Warning)})  # allow_warnings=True, as validate_shacl runs
_LANGSTRING = str(RDF.langString)
_STRING = str(XSD.string)
_RDFS_LITERAL = "http://www.w3.org/2000/01/rdf-schema#Literal"
_RDFS_DATATYPE = "http://www.w3.org/2000/01/rdf-schema#Datatype"


class Result(NamedTuple):
    """One validation result; ``details`` are the results nested under a sh:node failure."""

    focus: Term
    path: str | None
    constraint: Constraint
    value: Term | None
    severity: str
    details: tuple[Result, ...] = ()

    @property
    def component(self) -> str:
        return self.constraint.component


Reports = list[Result]
FocusValues = list[tuple[Term, list[Term]]]
Stringify = Callable[[Term], str]


class Constraint:
    """A constraint component of one shape."""

    component = ""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        raise NotImplementedError

    def generic_message(self, focus: Term, value: Term | None, text: Stringify) -> str:
        raise NotImplementedError

    def result(self, focus: Term, value: Term | None = None, details: tuple[Result, ...] = ()) -> Result:
        return Result(focus, self.shape.path, self, value, self.shape.severity, details)

    def messages(self, focus: Term, value: Term | None, text: Stringify) -> list[str]:
        return list(self.shape.messages) or [self.generic_message(focus, value, text)]


class StaticMessage(Constraint):
    """A constraint whose generic message depends only on the shapes graph."""

    def __init__(self, shape: Shape, message: str) -> None:
        super().__init__(shape)
        self.message = message

    def generic_message(self, focus: Term, value: Term | None, text: Stringify) -> str:
        return self.message


class ClassConstraint(StaticMessage):
    component = "ClassConstraintComponent"

    def __init__(self, shape: Shape, message: str, classes: list[str]) -> None:
        super().__init__(shape, message)
        self.classes = classes

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = [self.result(focus, value) for cls in self.classes for focus, values in focus_values
                   for value in values if not ev.graph.is_instance(value, cls)]
        return not reports, reports


class DatatypeConstraint(StaticMessage):
    component = "DatatypeConstraintComponent"

    def __init__(self, shape: Shape, message: str, datatype: str) -> None:
        super().__init__(shape, message)
        self.datatype = datatype

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = [self.result(focus, value) for focus, values in focus_values for value in values
                   if not datatype_matches(value, self.datatype)]
        return not reports, reports


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {  # pyshacl's _assert_actual_datatype
    _STRING: (str, bytes), _LANGSTRING: (str, bytes), str(XSD.integer): (int,), str(XSD.float): (float,),
    str(XSD.decimal): (Decimal,), str(XSD.boolean): (bool,), str(XSD.date): (date,),
    str(XSD.time): (time,), str(XSD.dateTime): (datetime,),
}


def datatype_matches(value: Term, rule: str) -> bool:
    """pyshacl's DatatypeConstraintComponent on one value node (rdflib's ill_typed and value)."""
    if not isinstance(value, Lit):
        return False
    if value.datatype == rule:
        if isinstance(value, IllTyped):  # its canonical form may well be valid
            return False
        literal = typed_literal(value.lex, rule)
        if getattr(literal, "ill_typed", None) is True:
            return False
        expected = _PYTHON_TYPES.get(rule)
        return expected is None or isinstance(literal.value, expected)
    if rule == _RDFS_LITERAL or (rule == _RDFS_DATATYPE and value.datatype):
        return True
    if value.datatype is None and value.lang is None and rule == _STRING:
        return True  # a plain literal's value is its text
    return rule == _LANGSTRING and bool(value.lang)


_KINDS = {
    "iri": {str(SH.IRI), str(SH.IRIOrLiteral), str(SH.BlankNodeOrIRI)},
    "bnode": {str(SH.BlankNode), str(SH.BlankNodeOrLiteral), str(SH.BlankNodeOrIRI)},
    "literal": {str(SH.Literal), str(SH.BlankNodeOrLiteral), str(SH.IRIOrLiteral)},
}


def node_kind(term: Term) -> str:
    if isinstance(term, Lit):
        return "literal"
    return "bnode" if term.startswith("_:") else "iri"


class NodeKindConstraint(StaticMessage):
    component = "NodeKindConstraintComponent"

    def __init__(self, shape: Shape, message: str, kind: str) -> None:
        super().__init__(shape, message)
        self.kind = kind

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = [self.result(focus, value) for focus, values in focus_values for value in values
                   if self.kind not in _KINDS[node_kind(value)]]
        return not reports, reports


class CountConstraint(Constraint):
    """sh:minCount / sh:maxCount: one result per focus node, without a value."""

    def __init__(self, shape: Shape, count: int, template: str) -> None:
        super().__init__(shape)
        self.count = count
        self.template = template

    def fails(self, size: int) -> bool:
        raise NotImplementedError

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = [self.result(focus) for focus, values in focus_values if self.fails(len(values))]
        return not reports, reports

    def generic_message(self, focus: Term, value: Term | None, text: Stringify) -> str:
        return self.template.format(focus=text(focus))


class MinCountConstraint(CountConstraint):
    component = "MinCountConstraintComponent"

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        if self.count == 0:
            return True, []
        return super().evaluate(ev, focus_values)

    def fails(self, size: int) -> bool:
        return size < self.count


class MaxCountConstraint(CountConstraint):
    component = "MaxCountConstraintComponent"

    def fails(self, size: int) -> bool:
        return size > self.count


class UniqueLangConstraint(StaticMessage):
    component = "UniqueLangConstraintComponent"

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = []
        for focus, values in focus_values:
            langs = [v.lang.lower() for v in values if isinstance(v, Lit) and v.lang]
            duplicates = {lang for lang in langs if langs.count(lang) > 1}
            reports += [self.result(focus) for _ in duplicates]
        return not reports, reports


class HasValueConstraint(Constraint):
    component = "HasValueConstraintComponent"

    def __init__(self, shape: Shape, values: list[Term], template: str) -> None:
        super().__init__(shape)
        self.values = values
        self.template = template

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = []
        for expected in self.values:
            key = term_key(expected)
            reports += [self.result(focus) for focus, values in focus_values
                        if not any(term_key(v) == key for v in values)]
        return not reports, reports

    def generic_message(self, focus: Term, value: Term | None, text: Stringify) -> str:
        return self.template.format(focus=text(focus))


class MaxInclusiveConstraint(StaticMessage):
    component = "MaxInclusiveConstraintComponent"

    def __init__(self, shape: Shape, message: str, limits: list[rdflib.Literal]) -> None:
        super().__init__(shape, message)
        self.limits = limits

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = [self.result(focus, value) for limit in self.limits for focus, values in focus_values
                   for value in values if not at_most(value, limit)]
        return not reports, reports


def at_most(value: Term, limit: rdflib.Literal) -> bool:
    """pyshacl's comparison of a value node with sh:maxInclusive. A decimal NaN cannot be
    ordered either (Python raises ``InvalidOperation``, where pyshacl stops): it is not at most
    the limit, as SHACL has it."""
    if not isinstance(value, Lit):
        return False
    literal = rdflib_literal(value)
    if isinstance(limit.value, str) != isinstance(literal.value, str):
        return False
    try:
        return compare_literal(literal, limit) <= 0
    except (TypeError, NotImplementedError, InvalidOperation):
        return False


def compare_literal(first: rdflib.Literal, second: rdflib.Literal) -> int:
    """pyshacl's ``rdfutil.compare.compare_literal`` (-1, 0 or 1; TypeError or
    NotImplementedError when the two cannot be ordered), without importing pyshacl (0.1 s in
    every worker); a test holds the two equal. Date-times and times compare by value, not by
    rdflib's total order that makes naive and aware ones comparable."""
    if first.eq(second):
        return 0
    if type(first.value) in (datetime, time):
        return 0 if first.value == second.value else 1 if first.value > second.value else -1
    return 1 if first > second else -1


class NodeConstraint(StaticMessage):
    component = "NodeConstraintComponent"

    def __init__(self, shape: Shape, message: str, shapes: list[Shape]) -> None:
        super().__init__(shape, message)
        self.shapes = shapes

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = []
        for node_shape in self.shapes:
            for focus, values in focus_values:
                for value in values:
                    conforms, nested = ev.validate_once(node_shape, value)
                    if not conforms or nested:
                        reports.append(self.result(focus, value, tuple(nested)))
        return not reports, reports


class OrConstraint(Constraint):
    component = "OrConstraintComponent"

    def __init__(self, shape: Shape, alternatives: list[list[Shape]], shapes_text: str) -> None:
        super().__init__(shape)
        self.alternatives = alternatives
        self.shapes_text = shapes_text

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        reports = []
        for members in self.alternatives:
            for focus, values in focus_values:
                reports += [self.result(focus, value) for value in values
                            if not any(ev.conforms(member, value) for member in members)]
        return not reports, reports

    def generic_message(self, focus: Term, value: Term | None, text: Stringify) -> str:
        assert value is not None
        return f"Node {text(value)} must conform to one or more shapes in {self.shapes_text}"


class PropertyConstraint(Constraint):
    component = "PropertyConstraintComponent"

    def __init__(self, shape: Shape, shapes: list[Shape]) -> None:
        super().__init__(shape)
        self.shapes = shapes

    def evaluate(self, ev: Evaluator, focus_values: FocusValues) -> tuple[bool, Reports]:
        conforms = True
        reports: Reports = []
        for prop_shape in self.shapes:
            path = prop_shape.path
            if prop_shape.deactivated or path is None:
                continue
            for _focus, values in focus_values:
                for value in values:
                    found = list(ev.graph.objects(value, path))
                    if found or not prop_shape.quiet_when_empty:
                        ok, nested = ev.run_constraints(prop_shape, [(value, found)])
                        conforms = conforms and ok
                        reports += nested
        return conforms, reports


@dataclass(eq=False)
class Shape:
    node: str
    path: str | None
    deactivated: bool
    severity: str
    messages: tuple[str, ...]
    target_classes: tuple[str, ...] = ()
    target_nodes: tuple[Term, ...] = ()
    target_subjects_of: tuple[str, ...] = ()
    target_objects_of: tuple[str, ...] = ()
    constraints: list[Constraint] = field(default_factory=list)
    quiet_when_empty: bool = False  # no value nodes can give no result (no minCount > 0 or hasValue)

    @property
    def has_targets(self) -> bool:
        return bool(self.target_classes or self.target_nodes or self.target_subjects_of
                    or self.target_objects_of)


class Evaluator:
    """Validation of one data graph against compiled shapes."""

    __slots__ = ("_seen", "graph")

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._seen: dict[tuple[int, object, type], tuple[bool, Reports]] = {}

    def focus_nodes(self, shape: Shape) -> list[Term]:
        found: dict[object, Term] = {}
        for node in shape.target_nodes:
            found.setdefault(term_key(node), node)
        for cls in shape.target_classes:
            for node in self.graph.instances(cls):
                found.setdefault(node, node)
        for pred in shape.target_subjects_of:
            for subject in self.graph.subjects_with(pred):
                found.setdefault(subject, subject)
        for pred in shape.target_objects_of:
            for obj in self.graph.objects_of(pred):
                found.setdefault(term_key(obj), obj)
        return list(found.values())

    def validate(self, shape: Shape, focus: Sequence[Term]) -> tuple[bool, Reports]:
        """pyshacl's Shape.validate with the focus nodes given."""
        if shape.deactivated or not focus:
            return True, []
        path = shape.path
        if path is None:
            focus_values: FocusValues = [(f, [f]) for f in focus]
        else:
            focus_values = [(f, list(self.graph.objects(f, path))) for f in focus]
            if shape.quiet_when_empty and not any(values for _, values in focus_values):
                return True, []
        return self.run_constraints(shape, focus_values)

    def run_constraints(self, shape: Shape, focus_values: FocusValues) -> tuple[bool, Reports]:
        """The constraints of an active shape on value nodes already found."""
        allow_conform = shape.severity in _ALLOWED
        non_conformant = False
        reports: Reports = []
        for constraint in shape.constraints:
            conforms, found = constraint.evaluate(self, focus_values)
            if not conforms and not allow_conform:
                non_conformant = non_conformant or any(r.severity not in _ALLOWED for r in found)
            reports += found
        return not non_conformant, reports

    def validate_once(self, shape: Shape, value: Term) -> tuple[bool, Reports]:
        """``validate`` of one value node, remembered: shared nodes (a concept, an organisation)
        are checked against the same sh:node and sh:or shapes from many places."""
        key = (id(shape), term_key(value), value.__class__)  # an ill-typed literal is equal to a valid one
        known = self._seen.get(key)
        if known is None:
            known = self._seen[key] = self.validate(shape, [value])
        return known

    def conforms(self, shape: Shape, value: Term) -> bool:
        return self.validate_once(shape, value)[0]


@dataclass
class CompiledShapes:
    """Every shape of one profile; ``roots`` are those with targets."""

    roots: list[Shape]
    iris: frozenset[str]  # every IRI of the shapes graph

    def run(self, graph: Graph, skip: frozenset[str] = frozenset()) -> tuple[bool, list[Result]]:
        """Validate every focus node of ``graph`` except those in ``skip`` (validated elsewhere)."""
        ev = Evaluator(graph)
        conforms = True
        results: list[Result] = []
        for shape in self.roots:
            focus = ev.focus_nodes(shape)
            if skip:
                focus = [node for node in focus if node not in skip]
            ok, found = ev.validate(shape, focus)
            conforms = conforms and ok
            results += found
        return conforms, results


def flatten(results: Iterable[Result]) -> list[Result]:
    """Every result, nested sh:detail ones included (all are sh:ValidationResult in the report)."""
    out: list[Result] = []
    for result in results:
        out.append(result)
        out += flatten(result.details)
    return out


def rdflib_literal(term: Lit) -> rdflib.Literal:
    if term.datatype is not None:
        return typed_literal(term.lex, term.datatype)
    return rdflib.Literal(term.lex, lang=term.lang)


def from_rdflib(node: Any) -> Term:
    if isinstance(node, rdflib.Literal):
        datatype = str(node.datatype) if node.datatype is not None else None
        return Lit(str(node), datatype, node.language)
    if isinstance(node, rdflib.BNode):
        return "_:" + str(node)
    return str(node)


class _Compiler:
    def __init__(self, graph: rdflib.Graph) -> None:
        from pyshacl.shapes_graph import ShapesGraph

        self.sg = ShapesGraph(graph)
        self.graph = graph
        self.compiled: dict[Any, Shape] = {}

    def text(self, node: Any) -> str:
        from pyshacl.rdfutil.stringify import stringify_node

        return str(stringify_node(self.graph, node))

    def shape(self, node: Any) -> Shape:
        done = self.compiled.get(node)
        if done is not None:
            return done
        py_shape: Any = self.sg.lookup_shape_from_node(node)
        path = py_shape.path() if py_shape.is_property_shape else None
        if path is not None and not isinstance(path, rdflib.URIRef):
            raise NotImplementedError(f"complex sh:path on {node}")
        targets = py_shape.target()
        if set(self.graph.objects(node, SH.target)):
            raise NotImplementedError(f"SHACL-AF targets on {node}")
        shape = Shape(
            node=self.text(node), path=str(path) if path is not None else None,
            deactivated=py_shape.deactivated, severity=str(py_shape.severity),
            messages=tuple(sorted(str(m.value) if isinstance(m, rdflib.Literal) else str(m)
                                  for m in py_shape.message)),
            target_classes=tuple(str(c) for c in {*targets[1], *targets[2]}),
            target_nodes=tuple(from_rdflib(n) for n in targets[0]),
            target_subjects_of=tuple(str(p) for p in targets[4]),
            target_objects_of=tuple(str(p) for p in targets[3]))
        self.compiled[node] = shape
        from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP

        components = []
        for predicate, _ in self.graph.predicate_objects(node):
            component = CONSTRAINT_PARAMETERS_MAP.get(predicate)
            if component is not None and component not in components:
                components.append(component)
        shape.constraints = [self.constraint(shape, component(py_shape)) for component in components]
        shape.quiet_when_empty = all(
            isinstance(c, StaticMessage | MaxCountConstraint | PropertyConstraint | OrConstraint)
            or (isinstance(c, MinCountConstraint) and c.count == 0) for c in shape.constraints)
        return shape

    def constraint(self, shape: Shape, c: Any) -> Constraint:
        """The compiled form of one pyshacl constraint component object."""
        build = getattr(self, "_" + type(c).__name__.removesuffix("ConstraintComponent").lower(), None)
        if build is None:
            raise NotImplementedError(f"constraint component {type(c).__name__} on {shape.node}")
        constraint: Constraint = build(shape, c)
        return constraint

    def _static(self, c: Any) -> str:
        """The generic message of a component whose message names only shapes-graph nodes."""
        return str(c.make_generic_messages(None, None, None)[0])

    def _path(self, shape: Shape) -> str:
        return self.text(rdflib.URIRef(shape.path)) if shape.path is not None else ""

    def _property(self, shape: Shape, c: Any) -> Constraint:
        return PropertyConstraint(shape, [self.shape(s) for s in c.property_shapes])

    def _class(self, shape: Shape, c: Any) -> Constraint:
        return ClassConstraint(shape, self._static(c), [str(x) for x in c.class_rules])

    def _datatype(self, shape: Shape, c: Any) -> Constraint:
        return DatatypeConstraint(shape, self._static(c), str(c.datatype_rule))

    def _nodekind(self, shape: Shape, c: Any) -> Constraint:
        return NodeKindConstraint(shape, self._static(c), str(c.nodekind_rule))

    def _mincount(self, shape: Shape, c: Any) -> Constraint:
        template = _template(f"Less than {c.min_count.value} values on ", f"->{self._path(shape)}")
        return MinCountConstraint(shape, int(c.min_count.value), template)

    def _maxcount(self, shape: Shape, c: Any) -> Constraint:
        template = _template(f"More than {c.max_count.value} values on ", f"->{self._path(shape)}")
        return MaxCountConstraint(shape, int(c.max_count.value), template)

    def _uniquelang(self, shape: Shape, c: Any) -> Constraint:
        if not all(c.string_rules):
            raise NotImplementedError("sh:uniqueLang false")
        return UniqueLangConstraint(shape, self._static(c))

    def _hasvalue(self, shape: Shape, c: Any) -> Constraint:
        the_set = [self.text(v) for v in c.has_value_set]
        path = self._path(shape)
        template = (_template("Node ", f"->{path} does not contain a value in the set: {the_set}") if path
                    else _template("Node ", f" value is not a in the set of values: {the_set}"))
        return HasValueConstraint(shape, [from_rdflib(v) for v in c.has_value_set], template)

    def _maxinclusive(self, shape: Shape, c: Any) -> Constraint:
        return MaxInclusiveConstraint(shape, self._static(c), list(c.max_vals))

    def _node(self, shape: Shape, c: Any) -> Constraint:
        return NodeConstraint(shape, self._static(c), [self.shape(s) for s in c.node_shapes])

    def _or(self, shape: Shape, c: Any) -> Constraint:
        return self.or_constraint(shape, c)

    def or_constraint(self, shape: Shape, c: Any) -> OrConstraint:
        lists = [list(self.graph.items(o)) for o in c.or_list]
        if len(lists) < 2:
            text = " , ".join(self.text(o) for o in lists[0])
        else:
            text = " and ".join("(" + " , ".join(self.text(o) for o in items) + ")" for items in lists)
        return OrConstraint(shape, [[self.shape(o) for o in set(items)] for items in lists], text)


def _template(before: str, after: str) -> str:
    """A ``str.format`` template with one ``{focus}`` field between two literal texts."""
    def escape(text: str) -> str:
        return text.replace("{", "{{").replace("}", "}}")

    return escape(before) + "{focus}" + escape(after)


def _check_acyclic(shapes: Iterable[Shape]) -> None:
    """pyshacl cuts recursive shape references short; the EDC shapes have none, so refuse any."""
    def refs(shape: Shape) -> list[Shape]:
        out: list[Shape] = []
        for c in shape.constraints:
            if isinstance(c, NodeConstraint | PropertyConstraint):
                out += c.shapes
            elif isinstance(c, OrConstraint):
                out += [m for members in c.alternatives for m in members]
        return out

    done: set[int] = set()

    def visit(shape: Shape, stack: set[int]) -> None:
        if id(shape) in stack:
            raise NotImplementedError(f"recursive shapes through {shape.node}")
        if id(shape) in done:
            return
        for ref in refs(shape):
            visit(ref, stack | {id(shape)})
        done.add(id(shape))

    for shape in shapes:
        visit(shape, set())


def compile_shapes(graph: rdflib.Graph) -> CompiledShapes:
    """Compile every shape pyshacl would run on its own (those with targets) and what they use."""
    compiler = _Compiler(graph)
    if compiler.sg.custom_constraints:
        raise NotImplementedError("custom constraint components")
    roots = [compiler.shape(s.node) for s in compiler.sg.shapes]
    _check_acyclic(roots)
    iris = frozenset(str(t) for triple in graph for t in triple if isinstance(t, rdflib.URIRef))
    return CompiledShapes([s for s in roots if s.has_targets and not s.deactivated], iris)
