"""The direct JSON-LD to N-Quads converter against pyld: equal output, or an honest fallback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcbridge.validation.document import NotACredential, read_credential, walk
from edcbridge.validation.fast_rdf import to_nquads_fast
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
