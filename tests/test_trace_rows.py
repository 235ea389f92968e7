"""The parts the converter keeps of each N-Quads line it writes are exactly what the plain-line
pattern reads from that line (the structure memo keys documents by them, without reading the
lines again); a line the pattern would not read makes the document keyless."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcbridge.validation.fast_rdf import trace
from edcbridge.validation.nquads import PLAIN_LINE
from edcbridge.validation.shacl import shapes_for
from edcbridge.validation.structure_memo import memo_for
from tests.conftest import fixture_credentials

CREDENTIALS = [doc for _, doc in fixture_credentials()]
TEXTS = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
IRIS = st.one_of(st.just('urn:x:a"b'), st.just("urn:x:a<b"), st.just("urn:x:a\\b"), st.just("urn:x:ok"),
                 st.just("http://example.org/a>b"), st.just("urn:x:\u00e9"))


def _read(line: str) -> tuple[str, ...] | None:
    found = PLAIN_LINE.findall(line)
    return found[0] if len(found) == 1 and line.count("\n") == 1 else None


def _check(doc: dict[str, Any], store_root: Any) -> None:
    converted = trace(doc, store_root)
    if converted is None:
        return
    read = [_read(line) for line in converted.lines]
    memo = memo_for(store_root, tuple(shapes_for(doc)))
    if all(row is not None for row in read):
        assert list(converted.rows) == read
    else:
        assert memo.key(converted) is None


@pytest.mark.parametrize("index", range(len(CREDENTIALS)))
def test_rows_are_the_lines_as_read(store, index: int) -> None:
    _check(CREDENTIALS[index], store.root)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_rows_of_odd_texts_and_ids_are_the_lines_as_read(store, data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(CREDENTIALS)))
    subject = doc["credentialSubject"]
    subject["givenName"] = {data.draw(st.sampled_from(["en", "EN-gb", "el"])): data.draw(TEXTS)}
    subject["hasClaim"]["title"] = {"en": data.draw(TEXTS)}
    subject["hasClaim"]["id"] = data.draw(IRIS)
    subject["dateOfBirth"] = data.draw(TEXTS)
    _check(doc, store.root)


@pytest.mark.parametrize("iri", ['urn:x:a"b', "urn:x:a<b", "urn:x:a\\b", "http://example.org/a>b"])
def test_an_id_no_plain_line_holds_leaves_the_document_keyless(store, iri: str) -> None:
    doc = copy.deepcopy(CREDENTIALS[0])
    memo = memo_for(store.root, tuple(shapes_for(doc)))
    assert memo.key(trace(doc, store.root)) is not None  # the credential as written has a key
    doc["credentialSubject"]["hasClaim"]["id"] = iri
    converted = trace(doc, store.root)
    assert converted is not None and memo.key(converted) is None
