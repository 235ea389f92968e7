"""The compiled checker against pyshacl on a differential corpus: same verdicts, same results.

Corpus: every official sample the offline loader can read (EDC credentials, JAdES payloads, the
EC's upload wrappers, mynextid, the 3.1 sample), every fixture credential, a seeded sample of the
mutations of two credentials (a property removed, a type dropped or wrong, a wrong or untyped
vocabulary scheme, bad datatypes, a second value, a language twice, an IRI where a literal goes
and back, ids dropped), hand-made cases (sh:maxInclusive, a bare Claim, rdfs:subClassOf in the
data, a proof in a named graph, blank nodes), and values drawn by hypothesis.
For each document and profile, the set of (focus node, path, constraint component, value,
severity, message) from pyshacl (including results nested under sh:node) equals ours, and so
does the conforms verdict; the findings equal those of ``validate_shacl`` where it is
deterministic.
"""
from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pyshacl
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.namespace import RDF, SH

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.schemas import SchemaStore
from edcbridge.validation import fastshacl, shacl
from edcbridge.validation.document import NotACredential, read_credential, walk
from edcbridge.validation.fastshacl import check, message, validate_fast
from edcbridge.validation.findings import Finding
from edcbridge.validation.jsonld import OfflineContextError, to_nquads
from edcbridge.validation.nquads import Lit, Term, parse
from edcbridge.validation.shacl import _node_paths, shapes_for, shapes_graph, validate_shacl
from tests.conftest import FIXTURES, REFERENCE, fixture_credentials

Row = tuple[Term, str | None, str, Term | None, str, str]
Doc = dict[str, Any]
MUTANTS_PER_BASE = 36


def _reference_docs() -> list[tuple[str, Doc]]:
    docs = []
    for path in sorted(REFERENCE.rglob("*.json*")):
        try:
            doc, _form = read_credential(path)
        except NotACredential:
            continue
        docs.append((str(path.relative_to(REFERENCE)), doc))
    return docs


def _fixture_docs() -> list[tuple[str, Doc]]:
    return fixture_credentials()


# ---------------------------------------------------------------- mutants

def _nodes(doc: Doc) -> list[Doc]:
    return [node for _, node in walk(doc) if node is not doc or "type" in node]


def _types(node: Doc) -> str:
    value = node.get("type")
    return ",".join(value) if isinstance(value, list) else str(value)


def _copies(doc: Doc, node: Doc) -> list[Doc]:
    """Every embedded copy of a node (same id), or the node alone."""
    node_id = node.get("id")
    if node_id is None:
        return [node]
    return [n for _, n in walk(doc) if n.get("id") == node_id]


def _first_per(doc: Doc, key: Callable[[Doc], Any]) -> list[Doc]:
    seen: dict[Any, Doc] = {}
    for node in _nodes(doc):
        seen.setdefault(key(node), node)
    return list(seen.values())


def _is_langmap(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(re.fullmatch(r"[a-z]{2,3}", k) for k in value)


_DATE = re.compile(r"\d{4}-\d\d-\d\dT")

Edit = Callable[[Doc], None]


def _edits(doc: Doc) -> Iterator[tuple[str, list[Doc], Edit]]:
    """(name, nodes to edit, edit) for every mutation of ``doc``."""
    by_key: dict[tuple[str, str], Doc] = {}
    for node in _nodes(doc):
        for key in node:
            if key not in ("@context", "id", "type"):
                by_key.setdefault((_types(node), key), node)
    for (types, key), node in by_key.items():
        value = node[key]
        yield f"remove {types}.{key}", _copies(doc, node), lambda n, k=key: n.pop(k, None)
        yield from _value_edits(doc, types, key, node, value)
    for node in _first_per(doc, _types):
        types = _types(node)
        yield f"untyped {types}", _copies(doc, node), lambda n: n.pop("type", None)
        wrong = "Organisation" if "Note" in types else "Note"
        yield f"{types} typed {wrong}", _copies(doc, node), lambda n, w=wrong: n.__setitem__("type", w)
        if node is not doc and "id" in node:
            yield f"no id on one {types}", [node], lambda n: n.pop("id", None)
            yield f"no id on every {types}", _copies(doc, node), lambda n: n.pop("id", None)
    for node in _first_per(doc, lambda n: json.dumps(n.get("inScheme"), sort_keys=True)):
        if isinstance(node.get("inScheme"), dict):
            scheme = node["inScheme"].get("id")
            concepts = [n for n in _nodes(doc) if isinstance(n.get("inScheme"), dict)
                        and n["inScheme"].get("id") == scheme]
            yield f"wrong scheme for {scheme}", concepts, lambda n: n.__setitem__(
                "inScheme", {"id": "http://example.org/not-a-scheme", "type": "ConceptScheme"})
            yield f"untyped scheme {scheme}", concepts, lambda n: n["inScheme"].pop("type", None)


def _value_edits(doc: Doc, types: str, key: str, node: Doc,
                 value: Any) -> Iterator[tuple[str, list[Doc], Edit]]:
    name = f"{types}.{key}"
    nodes = _copies(doc, node)
    if isinstance(value, str) and _DATE.match(value):
        for bad in ("not a date", "2025-02-30T00:00:00Z", "2025-07-14", "2025-07-14T25:00:00"):
            yield f"{name} = {bad!r}", nodes, lambda n, k=key, b=bad: n.__setitem__(k, b)
        yield f"{name} as integer", nodes, lambda n, k=key: n.__setitem__(
            k, {"@value": "5", "@type": "http://www.w3.org/2001/XMLSchema#integer"})
    if isinstance(value, str):
        yield f"{name} twice", nodes, lambda n, k=key, v=value: n.__setitem__(k, [v, v + " 2"])
        yield f"{name} as node", nodes, lambda n, k=key: n.__setitem__(
            k, {"id": "urn:test:swapped", "type": "Note"})
    if _is_langmap(value):
        g = next(iter(value))
        text = str(value[g])
        for label, new in (("language twice", {**value, g: [text, f"{text} (bis)"]}),
                           ("language twice, other case", {**value, g.upper(): f"{text} (bis)"}),
                           ("plain string", text)):
            yield f"{name} {label}", nodes, lambda n, k=key, v=new: n.__setitem__(k, copy.deepcopy(v))
    elif isinstance(value, dict) and "id" in value:
        for label, new in (("as its id", value["id"]), ("as a literal", {"@value": value["id"]}),
                           ("twice", [value, {**value, "id": value["id"] + "-2"}])):
            yield f"{name} {label}", nodes, lambda n, k=key, v=new: n.__setitem__(k, copy.deepcopy(v))
    elif isinstance(value, list) and len(value) > 1:
        yield f"{name} first only", nodes, lambda n, k=key, v=value[:1]: n.__setitem__(k, copy.deepcopy(v))


def _mutants(name: str, doc: Doc, count: int, seed: int) -> list[tuple[str, Doc]]:
    edits = [(label, [_index(doc, n) for n in nodes]) for label, nodes, _ in _edits(doc)]
    chosen = sorted(random.Random(seed).sample(range(len(edits)), min(count, len(edits))))
    mutants = []
    for index, (label, _nodes_to_edit, edit) in enumerate(_edits(doc)):
        if index not in chosen:
            continue
        mutant = copy.deepcopy(doc)
        nodes = _nodes(mutant)
        for position in edits[index][1]:
            edit(nodes[position])
        mutants.append((f"{name} / {label}", mutant))
    return mutants


def _index(doc: Doc, node: Doc) -> int:
    return next(i for i, n in enumerate(_nodes(doc)) if n is node)


_ELM = "http://data.europa.eu/snb/model/elm/"


def _extra_mutants(doc: Doc) -> list[tuple[str, Doc]]:
    """Hand-made: sh:maxInclusive and xsd:positiveInteger, a bare Claim, subclasses in the data,
    a proof in a named graph."""
    claim = doc["credentialSubject"]["hasClaim"]
    out = []
    for level in (50, 100, 101, 0, -1, "abc", 150.5, "7"):
        activity = {"id": "urn:test:activity", "type": "LearningActivity", "title": {"en": "Lab work"},
                    "awardedBy": claim["awardedBy"], "levelOfCompletion": level}
        out.append((f"extra / levelOfCompletion {level!r}", {**doc, "credentialSubject": {
            **doc["credentialSubject"], "hasClaim": [claim, activity]}}))
    for extra in ({}, {"dcType": {"id": "http://example.org/claim-type", "type": "Concept"}}):
        bare = {"id": "urn:test:claim", "type": "Claim", "title": {"en": "A claim"},
                "awardedBy": claim["awardedBy"], **extra}
        out.append((f"extra / bare Claim {sorted(extra)}", {**doc, "credentialSubject": {
            **doc["credentialSubject"], "hasClaim": [claim, bare]}}))
    subclass = {"id": _ELM + "Note", "http://www.w3.org/2000/01/rdf-schema#subClassOf": [
        {"id": _ELM + "LearningAchievement"}, {"id": _ELM + "Organisation"}]}
    out.append(("extra / Note a subclass in the data", {**doc, "http://example.org/about": subclass}))
    proof = {"type": "JsonWebSignature2020", "created": "2025-01-01T00:00:00Z",
             "verificationMethod": "did:example:issuer#key-1", "jws": "eyJ..sig"}
    out.append(("extra / proof in a named graph", {**doc, "proof": proof}))
    issuer = {**doc["issuer"], "eIDASIdentifier": {
        k: v for k, v in doc["issuer"]["eIDASIdentifier"].items() if k not in ("id", "notation")}}
    out.append(("extra / blank eIDAS identifier without notation", {**doc, "issuer": issuer}))
    subject = {**doc["credentialSubject"], "identifier": [
        {"type": "Note", "noteLiteral": {"en": "x", "fr": "y"}}, {"type": "Identifier"}, "urn:test:plain"]}
    out.append(("extra / blank identifiers of the wrong class", {**doc, "credentialSubject": subject}))
    return out


def _mutant_docs() -> list[tuple[str, Doc]]:
    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    sample, _ = read_credential(REFERENCE / "elm3-rdf/3.2/rdf/samples/credential-sample.jsonld")
    base = to_edc(award, catalogue)
    return (_mutants("imperial", base, MUTANTS_PER_BASE, 1)
            + _mutants("credential-sample", sample, MUTANTS_PER_BASE, 2) + _extra_mutants(base))


# ---------------------------------------------------------------- the two validators

def _rows(report: rdflib.Graph, term: Callable[[Any], Term | None]) -> set[Row]:
    rows = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(result, SH.resultPath)
        focus = term(report.value(result, SH.focusNode))
        assert focus is not None
        rows.add((focus, str(path) if path is not None else None,
                  str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
                  term(report.value(result, SH.value)), str(report.value(result, SH.resultSeverity)),
                  str(report.value(result, SH.resultMessage))))
    return rows


def _term_mapper(back: dict[str, str]) -> Callable[[Any], Term | None]:
    def term(node: Any) -> Term | None:
        if node is None:
            return None
        if isinstance(node, rdflib.Literal):
            return Lit(str(node), str(node.datatype) if node.datatype is not None else None, node.language)
        return back.get(str(node), f"?{node}") if isinstance(node, rdflib.BNode) else str(node)

    return term


def pyshacl_rows(nquads: str, store: SchemaStore, key: str) -> tuple[bool, set[Row]]:
    """pyshacl on the same N-Quads (blank nodes mapped back to their N-Quads labels)."""
    labels: dict[str, rdflib.BNode] = {}
    dataset = rdflib.Dataset()
    dataset.parse(data=nquads, format="nquads", bnode_context=labels)
    graph = rdflib.Graph()
    for triple in dataset.triples((None, None, None)):
        graph.add(triple)
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes_graph(store.root, key),
                                           inference="none", advanced=True, allow_warnings=True)
    return bool(conforms), _rows(report, _term_mapper({str(n): f"_:{label}" for label, n in labels.items()}))


class _Capture:
    """Stands in for pyshacl inside ``validate_shacl`` and keeps each (conforms, report)."""

    def __init__(self) -> None:
        self.runs: list[tuple[bool, rdflib.Graph]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = pyshacl.validate(*args, **kwargs)
        self.runs.append((bool(out[0]), out[1]))
        return out


def fast_rows(nquads: str, store: SchemaStore, key: str) -> tuple[bool, set[Row]]:
    conforms, results = check(nquads, store, key)
    graph = parse(nquads)
    return conforms, {(r.focus, r.path, r.component, r.value, r.severity, message(r, graph)) for r in results}


# ---------------------------------------------------------------- tests

@cache
def corpus() -> list[tuple[str, str, Doc]]:
    """(group, name, document) for the whole differential corpus."""
    return ([("reference", n, d) for n, d in _reference_docs()]
            + [("fixture", n, d) for n, d in _fixture_docs()]
            + [("mutant", n, d) for n, d in _mutant_docs()])


_NQUADS: dict[int, str | OfflineContextError] = {}


def _to_nquads_once(doc: Doc, store: SchemaStore) -> str:
    """The N-Quads of a corpus document (kept alive by ``corpus()``), computed once for both
    validators."""
    if id(doc) not in _NQUADS:
        try:
            _NQUADS[id(doc)] = to_nquads(doc, store)
        except OfflineContextError as exc:
            _NQUADS[id(doc)] = exc
    text = _NQUADS[id(doc)]
    if isinstance(text, OfflineContextError):
        raise text
    return text


def _nquads(doc: Doc, store: SchemaStore) -> str | None:
    try:
        return _to_nquads_once(doc, store)
    except OfflineContextError:
        return None


def _multi_typed_paths(doc: Doc) -> set[str]:
    paths: dict[str, str] = {}
    _node_paths(doc, "$", paths)
    return {paths[n["id"]] for _, n in walk(doc) if isinstance(n.get("type"), list) and len(n["type"]) > 1
            and n.get("id") in paths}


def _comparable(findings: list[Finding], multi: set[str]) -> list[Finding]:
    """The fix text names the focus node's first type: drop it where the node has several
    (rdflib lists a node's types in hash order, so ``validate_shacl`` may name either)."""
    return [Finding(f.code, f.severity, f.where, f.message)
            if f.where in multi or f.where.rsplit(".", 1)[0] in multi else f for f in findings]


Expected = tuple[str | None, list[Finding] | None, list[tuple[bool, set[Row]]]]


def _pyshacl_side(root: Path, doc: Doc) -> Expected:
    """The N-Quads, pyshacl's findings (None where rdflib names blank nodes at random) and, per
    profile, its verdict and results: one pyshacl run per profile, through ``validate_shacl``
    when it can."""
    store = SchemaStore(root)
    text = _nquads(doc, store)
    if text is None:
        return None, validate_shacl(doc, store), []
    if "_:" in text:
        return text, None, [pyshacl_rows(text, store, key) for key in shapes_for(doc)]
    capture = _Capture()
    original = shacl.pyshacl_validate
    shacl.pyshacl_validate = capture
    try:
        findings = validate_shacl(doc, store)
    finally:
        shacl.pyshacl_validate = original
    return text, findings, [(conforms, _rows(report, _term_mapper({}))) for conforms, report in capture.runs]


def _differences(name: str, doc: Doc, store: SchemaStore, expected: Expected) -> list[str]:
    text, findings, runs = expected
    multi = _multi_typed_paths(doc)
    if findings is not None and _comparable(validate_fast(doc, store), multi) != _comparable(findings, multi):
        return [f"{name}: findings differ"]
    out = []
    for key, (conforms, rows) in zip(shapes_for(doc) if text is not None else [], runs, strict=True):
        assert text is not None
        actual, actual_rows = fast_rows(text, store, key)
        if (conforms, rows) != (actual, actual_rows):
            out.append(f"{name} [{key}]: conforms {conforms} vs {actual}; pyshacl only "
                       f"{sorted(map(str, rows - actual_rows))[:5]}; ours only "
                       f"{sorted(map(str, actual_rows - rows))[:5]}")
    return out


@pytest.mark.parametrize("group", ["reference", "fixture", "mutant"])
def test_same_results_as_pyshacl(store: SchemaStore, group: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shacl, "to_nquads", _to_nquads_once)
    monkeypatch.setattr(fastshacl, "to_nquads", _to_nquads_once)
    docs = [(n, d) for g, n, d in corpus() if g == group]
    mismatches = [m for name, doc in docs
                  for m in _differences(name, doc, store, _pyshacl_side(store.root, doc))]
    assert len(docs) >= {"reference": 60, "fixture": 40, "mutant": 80}[group]
    assert not mismatches, "\n".join(mismatches)


def test_corpus_is_large_and_varied(store: SchemaStore) -> None:
    docs = corpus()
    assert len(docs) >= 190
    keys = "http://data.europa.eu/snb/model/ap/edc-generic-full"
    verdicts = {check(text, store, keys)[0] for g, n, d in docs if g == "mutant"
                if (text := _nquads(d, store)) is not None}
    assert verdicts == {True, False}


def test_context_error_is_a_finding(store: SchemaStore) -> None:
    doc = {"@context": ["https://example.org/unknown-context"], "id": "urn:x", "type": "Thing"}
    assert validate_fast(doc, store) == validate_shacl(doc, store)


def test_results_do_not_depend_on_document_order(store: SchemaStore) -> None:
    docs = [d for g, _, d in corpus() if g == "fixture"][:3]
    first = [validate_fast(d, store) for d in docs]
    assert [validate_fast(d, store) for d in reversed(docs)] == list(reversed(first))


def test_every_profile_matches_pyshacl(store: SchemaStore) -> None:
    """The profile shapes (accredited, diploma supplement, ...) on a few documents each."""
    picks = [d for _, n, d in corpus() if n.startswith(("credential-sample / remove", "extra / bare"))][:2]
    picks.append(read_credential(REFERENCE / "elm3-rdf/3.2/rdf/samples/credential-sample.jsonld")[0])
    texts = [to_nquads(doc, store) for doc in picks]
    for key in [k for k in shacl.SHAPES if "generic" not in k]:
        for text in texts:
            assert fast_rows(text, store, key) == pyshacl_rows(text, store, key), key


_VALUES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["2025-01-01T00:00:00Z", "2025-01-01", "urn:x:1", "http://example.org/a b", 'q"uote\\']),
    st.integers(-3, 200), st.booleans(),
    st.dictionaries(st.sampled_from(["en", "fr", "EN"]), st.text(max_size=5), min_size=1, max_size=3),
    st.builds(lambda i, t: {"id": f"urn:test:{i}", "type": t}, st.integers(0, 3),
              st.sampled_from(["Note", "Concept", "Organisation", "LearningAchievement"])),
)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_values_match_pyshacl(store: SchemaStore, data: st.DataObject) -> None:
    """Arbitrary values (escapes, odd languages, numbers, nodes) put on arbitrary keys."""
    doc = copy.deepcopy(next(d for g, n, d in corpus() if g == "fixture"))
    nodes = _nodes(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        node = data.draw(st.sampled_from(nodes))
        key = data.draw(st.sampled_from(sorted(k for k in node if k not in ("@context", "id"))))
        node[key] = data.draw(_VALUES)
    try:
        text = to_nquads(doc, store)
    except OfflineContextError:
        return
    for key in shapes_for(doc):
        try:
            expected = pyshacl_rows(text, store, key)
        except Exception as exc:
            with pytest.raises(ValueError):
                fast_rows(text, store, key)
            assert "uri" in str(exc).lower() or "subject" in str(exc).lower() or "object" in str(exc).lower()
            continue
        assert fast_rows(text, store, key) == expected


def _fixture_credential() -> Doc:
    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    return to_edc(award, catalogue)


def test_shared_nodes_with_violations_report_like_pyshacl(store: SchemaStore) -> None:
    from edcbridge.mapping.nodes import Frozen, freeze

    doc = dict(_fixture_credential())
    broken = copy.deepcopy(doc["issuer"])
    broken["id"] = "urn:epass:org:broken-shared"
    del broken["location"]  # mandatory for an Organisation
    broken["legalName"] = {"en": "Broken University"}
    doc["issuer"] = freeze(broken)
    assert isinstance(doc["issuer"], Frozen)
    for _ in range(2):  # the second time from the per-process cache of shared nodes
        fast = validate_fast(doc, store)
        assert fast == validate_shacl(doc, store)
        assert any(f.where == "$.issuer.location" for f in fast)


def test_a_changed_copy_of_a_shared_node_is_validated_in_place(store: SchemaStore) -> None:
    doc = dict(_fixture_credential())
    doc["credentialSubject"] = copy.deepcopy(doc["credentialSubject"])
    body = doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
    body["legalName"] = {"en": "Another University"}  # same id as the shared issuer, other content
    fast = validate_fast(doc, store)
    assert fast == validate_shacl(doc, store)
    assert any(f.code == "shacl.UniqueLang" for f in fast)  # two English legal names on one node


def test_credentials_of_one_catalogue_entry_share_its_parts_and_sharing_changes_nothing(
        store: SchemaStore) -> None:
    from edcbridge.mapping.nodes import Frozen
    from edcbridge.output import serialise

    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    awards = [r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue)
              if r.award is not None and r.award.specification == "IMP-MC-CRA"]
    first, second = (to_edc(award, catalogue) for award in awards[:2])

    def parts(doc: Doc) -> list[Any]:
        proven = doc["credentialSubject"]["hasClaim"]["provenBy"]
        return [doc["credentialProfiles"][0], doc["credentialSchema"][0], proven["specifiedBy"],
                proven["idVerification"], doc["issuer"], doc["displayParameter"]]

    for mine, theirs in zip(parts(first), parts(second), strict=True):
        assert isinstance(mine, Frozen) and mine is theirs
    assert first["credentialProfiles"] is not second["credentialProfiles"]  # each its own list
    with pytest.raises(TypeError):
        parts(first)[2]["title"] = {"en": "changed in one credential only"}
    plain = copy.deepcopy(first)  # the same credential without shared nodes
    assert not any(isinstance(node, Frozen) for node in parts(plain))
    assert serialise(plain) == serialise(first)
    assert validate_fast(first, store) == validate_fast(plain, store) == validate_shacl(plain, store) == []


def test_a_value_that_cannot_be_ordered_is_above_max_inclusive(store: SchemaStore) -> None:
    """A decimal NaN cannot be compared with sh:maxInclusive 100 (Python raises where rdflib
    orders the two): it is a value not at most the limit, as SHACL has it, not an error of the
    checker (pyshacl stops with that error, so it cannot be compared here)."""
    doc = _fixture_credential()
    claim = doc["credentialSubject"]["hasClaim"]
    decimal = "http://www.w3.org/2001/XMLSchema#decimal"
    for text in ("NaN", "sNaN"):
        activity = {"id": "urn:test:activity", "type": "LearningActivity", "title": {"en": "Lab work"},
                    "awardedBy": claim["awardedBy"], "levelOfCompletion": {"@value": text, "@type": decimal}}
        mutant = {**doc, "credentialSubject": {**doc["credentialSubject"], "hasClaim": [claim, activity]}}
        found = {(f.code, f.where) for f in validate_fast(mutant, store)}
        where = "$.credentialSubject.hasClaim[1].levelOfCompletion"
        assert {("shacl.MaxInclusive", where), ("shacl.Datatype", where)} <= found, text


def test_a_blank_node_the_same_as_itself_is_printed_as_pyshacl_prints_it(store: SchemaStore) -> None:
    """A blank node owl:sameAs itself: pyshacl's guard against the loop compares terms by
    identity, which terms read from a document never share with its constant, so it prints the
    node nested until its recursion limit; messages naming the node must read the same."""
    doc = _fixture_credential()
    claim = doc["credentialSubject"]["hasClaim"]
    body = {"@id": "_:self", "type": "Organisation", "legalName": {"en": "Blank University"},
            "http://www.w3.org/2002/07/owl#sameAs": {"@id": "_:self"}}  # no location: a finding
    mutant = {**doc, "credentialSubject": {**doc["credentialSubject"], "hasClaim": {
        **claim, "awardedBy": {**claim["awardedBy"], "awardingBody": body}}}}
    text = to_nquads(mutant, store)
    key = "http://data.europa.eu/snb/model/ap/edc-generic-full"
    expected = pyshacl_rows(text, store, key)
    assert not expected[0]
    assert fast_rows(text, store, key) == expected


@pytest.mark.parametrize(("title", "written"), [
    ({"en_GB": "Machine learning"}, "en_GB"),
    ({"@value": "Machine learning", "@language": "en"}, "@value"),
])
def test_a_language_rdf_cannot_write_is_named_where_it_is(store: SchemaStore, title: Doc,
                                                            written: str) -> None:
    """A language map key that is no language tag (pyld writes it, and no N-Quads reader reads
    it back) is said as such at the map, not as an IRI holding a character IRIs cannot have."""
    doc = copy.deepcopy(_fixture_credential())
    doc["credentialSubject"]["hasClaim"]["title"] = title
    expected = [Finding("jsonld.error", "error", "$.credentialSubject.hasClaim.title",
                        f"the document's RDF cannot be written: a text's language {written!r} is not a "
                        "language tag", "write each language as a BCP 47 tag (en, en-GB, not en_GB), and "
                        "only languages as the keys of a language map such as title")]
    assert validate_fast(doc, store) == validate_shacl(doc, store) == expected


def test_an_iri_rdf_cannot_write_is_said_as_one(store: SchemaStore) -> None:
    doc = copy.deepcopy(_fixture_credential())
    doc["credentialSubject"]["contactPoint"]["emailAddress"]["id"] = "mailto:a<b>@example.org"
    assert validate_fast(doc, store) == validate_shacl(doc, store) == [shacl.NOT_RDF]


def test_a_node_without_id_is_named_by_where_it_is(store: SchemaStore) -> None:
    """A finding on a node without an id is placed at the key pointing to it (with its index
    when it is the one node without an id in that array), by either engine, not at the blank
    node label RDF gives it (b0, or a random one of rdflib's)."""
    doc = copy.deepcopy(_fixture_credential())
    identifier = doc["issuer"]["eIDASIdentifier"]
    for node in [identifier, *_copies(doc, identifier)]:
        node.pop("id", None)
        node.pop("notation", None)
    doc["credentialSubject"]["identifier"] = [{"id": "urn:test:identifier", "type": "Identifier",
                                               "notation": "1"}, {"type": "Identifier", "schemeName": "x"}]
    doc["credentialSubject"]["hasClaim"]["provenBy"]["grade"] = {"type": "Note"}
    # two nodes without an IRI in one array (one labelled): the array, not an index that may be wrong
    doc["credentialSubject"]["hasClaim"]["identifier"] = [
        {"id": "_:first", "type": "Identifier"}, {"type": "Identifier", "schemeName": "y"}]
    expected = {("shacl.MinCount", "$.issuer.eIDASIdentifier.notation"),
                ("shacl.MinCount", "$.credentialSubject.identifier[1].notation"),
                ("shacl.MinCount", "$.credentialSubject.hasClaim.provenBy.grade.noteLiteral"),
                ("shacl.MinCount", "$.credentialSubject.hasClaim.identifier.notation")}
    for findings in (validate_fast(doc, store), validate_shacl(doc, store)):
        assert expected <= {(f.code, f.where) for f in findings}
        assert not [f.where for f in findings if not f.where.startswith("$")]
