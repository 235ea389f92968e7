"""The direct JSON-LD to N-Quads converter against pyld: equal output, or an honest fallback."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcbridge.validation import fast_rdf
from edcbridge.validation.document import NotACredential, read_credential, walk
from edcbridge.validation.fast_rdf import to_nquads_fast, trace
from edcbridge.validation.jsonld import to_nquads_pyld
from tests.conftest import REFERENCE, fixture_credentials


def _corpus() -> list[tuple[str, dict[str, Any]]]:
    docs = fixture_credentials()
    for path in sorted(REFERENCE.rglob("*.json*")) if REFERENCE.is_dir() else []:
        try:
            doc, _ = read_credential(path)
        except (NotACredential, UnicodeDecodeError):
            continue
        if "credentialSubject" in doc:
            docs.append((str(path.relative_to(REFERENCE)), doc))
    return docs


CORPUS = _corpus()


@pytest.mark.parametrize(("name", "doc"), CORPUS, ids=[c[0] for c in CORPUS])
def test_equal_to_pyld_or_declines(store, name: str, doc: dict[str, Any]) -> None:
    fast = to_nquads_fast(doc, store.root)
    if fast is not None:
        assert fast == to_nquads_pyld(doc, store)


def test_takes_every_credential_we_write(store) -> None:
    ours = [doc for name, doc in CORPUS if ":" in name and not name.startswith(("elm3", "examples"))]
    assert ours and all(to_nquads_fast(doc, store.root) is not None for doc in ours)


def _nodes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for _, node in walk(doc)]


ODD_VALUES = st.one_of(
    st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.text(max_size=12), st.none(), st.just({"en": "x", "EN-GB": "y"}), st.just(["a", "b"]),
    st.just({"@value": "v"}), st.just("relative/iri"), st.just("mailto:a@b.c"),
    st.just({"id": "urn:x:1", "type": "Note", "noteLiteral": {"en": "n"}}),
    st.just({"type": "Note"}),
    st.just("urn:x:a b"), st.just("mailto:a\tb"), st.just("elm:Note x"), st.just("elm://host/a"),
    st.just('say "a\\b"\n'), st.just("1.5e3"),
)
KEYS = st.sampled_from(["id", "title", "page", "point", "notation", "contentURL", "awardingDate", "mode",
                        "isPartialQualification", "unknownTerm", "eqfLevel", "volumeOfLearning",
                        "@id", "dc:title", "description"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutants_equal_to_pyld_or_decline(store, data: st.DataObject) -> None:
    ours = [doc for name, doc in CORPUS if not name.startswith(("elm3", "examples", "mynextid"))]
    doc = copy.deepcopy(data.draw(st.sampled_from(ours)))
    for _ in range(data.draw(st.integers(1, 4))):
        node = data.draw(st.sampled_from(_nodes(doc)))
        node[data.draw(KEYS)] = copy.deepcopy(data.draw(ODD_VALUES))  # never share one object
    fast = to_nquads_fast(doc, store.root)
    try:
        slow = to_nquads_pyld(doc, store)
    except Exception:  # pyld refuses the mutant: we must not have accepted it silently
        assert fast is None, json.dumps(doc)[:300]
        return
    if fast is not None:
        assert fast == slow


def test_declines_unknown_contexts(store) -> None:
    assert to_nquads_fast({"@context": ["https://example.org/c"], "id": "urn:x"}, Path(store.root)) is None


@pytest.mark.parametrize("iri", ["urn:x:a b", "mailto:a\tb", "elm:Note x", "elm:Note\n", " urn:x:a",
                                 "urn:x:a\u00a0", "relative/iri", "1urn:x"])
def test_declines_ids_pyld_leaves_out(store, iri: str) -> None:
    ours = [doc for name, doc in CORPUS if ":" in name and not name.startswith(("elm3", "examples"))]
    doc = copy.deepcopy(ours[0])
    doc["credentialSubject"]["id"] = iri
    assert to_nquads_fast(doc, store.root) is None


def _leaves(doc: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Every (node, key) of a document whose value is no node: text, number, language map..."""
    return [(node, key) for node in _nodes(doc) for key, value in node.items()
            if key not in ("@context", "type", "id") and not (isinstance(value, dict) and "id" in value)]


SAME_KEYS_VALUES = st.one_of(
    st.text(max_size=8), st.sampled_from(['a "quoted" \\ text\n\ttab\r', "Ünïcödé", "", "1.5e3"]),
    st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.sampled_from([{"en": "x"}, {"fr-BE": ["a", "b"]}, {"EN": 'q"\\'}, {"de": None}, {"en_GB": "x"},
                     "urn:x:same-keys", "mailto:a b", "elm:Note", {"en": 3}]),
)


@cache
def _converted(root: Path) -> list[dict[str, Any]]:
    """The documents of the corpus that the converter takes."""
    return [doc for _, doc in CORPUS if to_nquads_fast(copy.deepcopy(doc), root) is not None]


OTHER_TYPES = st.sampled_from(["Note", "Identifier", ["Note", "Identifier"], "elm:Note", [],
                               "VerifiableCredential"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_documents_of_known_keys_and_types_equal_to_pyld_or_decline(store, data: st.DataObject) -> None:
    """A document of the same keys and types as one converted before (its conversion plans
    made): new values, with escapes, language tags and numbers; parts left out; other ids (two
    nodes of one id, say); keys in another order; other types."""
    original = data.draw(st.sampled_from(_converted(store.root)))
    to_nquads_fast(copy.deepcopy(original), store.root)  # its plans made
    doc = copy.deepcopy(original)
    leaves = _leaves(doc)
    for _ in range(data.draw(st.integers(1, 4))):
        node, key = data.draw(st.sampled_from(leaves))
        if key in node:
            node[key] = copy.deepcopy(data.draw(SAME_KEYS_VALUES))
    for node, key in data.draw(st.lists(st.sampled_from(leaves), max_size=2)):
        node.pop(key, None)  # an optional part left out: the node's keys are others
    for node in data.draw(st.lists(st.sampled_from(_nodes(doc)), max_size=2)):
        if "id" in node:  # other ids: numbers of another credential, or an IRI to leave out
            node["id"] = data.draw(st.sampled_from(["urn:x:1", "urn:x:2", "elm:x", "urn:x: 1"]))
    typed = [node for node in _nodes(doc) if "type" in node]
    for node in data.draw(st.lists(st.sampled_from(typed), max_size=2)):  # keys in another order
        items = data.draw(st.permutations(list(node.items())))
        node.clear()
        node.update(items)
    if data.draw(st.booleans()):  # the same keys under other types
        data.draw(st.sampled_from(_nodes(doc)))["type"] = data.draw(OTHER_TYPES)
    warm = trace(doc, store.root)
    fast_rdf._PLANS.clear()  # the same document converted from no plan at all: the same rows
    cold = trace(doc, store.root)
    assert (warm and warm.rows) == (cold and cold.rows)
    fast = to_nquads_fast(doc, store.root)
    try:
        slow = to_nquads_pyld(doc, store)
    except Exception:
        assert fast is None, json.dumps(doc)[:300]
        return
    if fast is not None:
        assert fast == slow


@pytest.mark.parametrize("value", [{"@value": "v"}, {"@list": ["a"]}, {"@set": ["a"]}, {"@graph": []},
                                   {"id": "urn:x:1", "@value": "v"}, {"id": "urn:x:1", "@list": ["a"]},
                                   {"id": "urn:x:1", "type": "Note", "@graph": []}])
def test_declines_value_objects_and_containers(store, value: dict[str, Any]) -> None:
    doc = copy.deepcopy(_converted(store.root)[0])
    doc["credentialSubject"]["hasClaim"] = value
    assert to_nquads_fast(doc, store.root) is None
