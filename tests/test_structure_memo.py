"""Conformance remembered by structure gives pyshacl's verdicts.

The memo is warmed with clean credentials, then credentials of the same structure get values
the shapes can see (ill-typed dates, a vocabulary scheme swapped, two nodes made one, a node
made one with a shared catalogue node) and values drawn at random, copies of other values
included. Each must get exactly what pyshacl (through ``validate_shacl``) reports.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.mapping.nodes import Frozen
from edcbridge.schemas import SchemaStore
from edcbridge.validation.fast_rdf import trace
from edcbridge.validation.fastshacl import validate_fast
from edcbridge.validation.shacl import shapes_for, validate_shacl
from edcbridge.validation.structure_memo import memo_for
from tests.conftest import FIXTURES
from tests.test_fastshacl import _comparable, _multi_typed_paths

Doc = dict[str, Any]


def _credentials(fixture: str = "imperial") -> list[Doc]:
    catalogue = load_catalogue(FIXTURES / fixture / "catalogue.yaml")
    awards = [r.award for r in iter_awards(FIXTURES / fixture / "awards.csv", catalogue) if r.award]
    return [to_edc(award, catalogue) for award in awards]


def _is_clean_by_memo(doc: Doc, store: SchemaStore) -> bool:
    converted = trace(doc, store.root)
    assert converted is not None
    memo = memo_for(store.root, tuple(shapes_for(doc)))
    key = memo.key(converted)
    return key is not None and memo.is_clean(key)


def _thaw(doc: Doc) -> Doc:
    """A copy whose own (per-award) parts can be edited; shared nodes stay shared."""
    def copy_own(value: Any) -> Any:
        if isinstance(value, Frozen):
            return value
        if isinstance(value, dict):
            return {k: copy_own(v) for k, v in value.items()}
        if isinstance(value, list):
            return [copy_own(v) for v in value]
        return value

    thawed: Doc = copy_own(doc)
    return thawed


def _same_as_pyshacl(doc: Doc, store: SchemaStore) -> list[Any]:
    ours = validate_fast(doc, store)
    multi = _multi_typed_paths(doc)
    assert _comparable(ours, multi) == _comparable(validate_shacl(doc, store), multi)
    return ours


def test_credentials_of_one_structure_are_checked_once(store: SchemaStore) -> None:
    docs = _credentials()
    for doc in docs:
        assert validate_fast(doc, store) == []
    hits = [_is_clean_by_memo(_thaw(doc), store) for doc in docs]
    assert all(hits)
    # a new learner with other names and dates has the structure of one already seen
    doc = _thaw(docs[0])
    subject = doc["credentialSubject"]
    subject["givenName"] = {"en": "Zoë"}
    subject["dateOfBirth"] = "1999-02-28T00:00:00Z"
    subject["id"] = "urn:epass:person:another"
    assert _is_clean_by_memo(doc, store)
    assert _same_as_pyshacl(doc, store) == []


def test_values_the_shapes_see_are_checked(store: SchemaStore) -> None:
    warm = _credentials()
    for doc in warm:
        validate_fast(doc, store)

    def edited(change: Any) -> Doc:
        doc = _thaw(warm[0])
        change(doc)
        return doc

    def ill_typed_date(doc: Doc) -> None:
        doc["credentialSubject"]["dateOfBirth"] = "1999-02-30T00:00:00Z"

    def other_scheme(doc: Doc) -> None:
        concept = copy.deepcopy(doc["credentialProfiles"][0])
        concept["inScheme"]["id"] = "http://data.europa.eu/snb/assessment/25831c2"
        doc["credentialProfiles"] = [concept]

    def two_identifiers_made_one(doc: Doc) -> None:  # one identifier, two notations
        doc["credentialSubject"]["identifier"]["id"] = doc["identifier"]["id"]

    def identifier_made_one_with_shared(doc: Doc) -> None:
        shared = next(n for n in _nodes(doc["issuer"]) if "notation" in n)
        doc["credentialSubject"]["identifier"]["id"] = shared["id"]

    def process_made_one_with_shared(doc: Doc) -> None:  # open shapes: may well conform
        doc["credentialSubject"]["hasClaim"]["awardedBy"]["id"] = doc["issuer"]["id"]

    def contact_made_one_with_identifier(doc: Doc) -> None:  # idem
        subject = doc["credentialSubject"]
        subject["contactPoint"]["id"] = subject["identifier"]["id"]

    for change in (ill_typed_date, other_scheme, two_identifiers_made_one,
                   identifier_made_one_with_shared):
        doc = edited(change)
        assert _same_as_pyshacl(doc, store), change.__name__
        assert not _is_clean_by_memo(doc, store), change.__name__
    for change in (process_made_one_with_shared, contact_made_one_with_identifier):
        doc = edited(change)
        assert not _is_clean_by_memo(doc, store), change.__name__
        _same_as_pyshacl(doc, store)


def _plain(value: Any) -> Any:
    """A copy without shared nodes: the same content, written by the credential itself."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_texts_added_to_a_shared_node_are_compared_with_its_own(store: SchemaStore) -> None:
    """A credential's own copy of a shared node (same id) repeating the node's texts adds
    nothing; one with another text gives the node two values (two English names, two
    notations). After the first is found clean, the second must still get pyshacl's verdict."""
    [first, *_] = _credentials()

    def awarded_by_a_copy(change: Any) -> Doc:
        doc = _thaw(first)
        body = _plain(doc["issuer"])
        change(body)
        doc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"] = body
        return doc

    def same(body: Doc) -> None:
        pass

    def other_name(body: Doc) -> None:
        body["legalName"] = {"en": "Another University"}

    def other_notation(body: Doc) -> None:
        body["eIDASIdentifier"]["notation"] = "NTRGB-OTHER"

    assert _same_as_pyshacl(awarded_by_a_copy(same), store) == []
    assert _is_clean_by_memo(awarded_by_a_copy(same), store)
    for change in (other_name, other_notation):
        doc = awarded_by_a_copy(change)
        assert _same_as_pyshacl(doc, store), change.__name__
        assert not _is_clean_by_memo(doc, store), change.__name__


def _nodes(value: Any) -> Iterator[Doc]:
    if isinstance(value, dict):
        if "id" in value:
            yield value
        for item in value.values():
            yield from _nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nodes(item)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of the string values in the credential's own parts, types left out."""
    if isinstance(value, Frozen):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("type", "@context"):
                yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif isinstance(value, str):
        yield path


def _set(doc: Doc, path: tuple[Any, ...], value: Any) -> None:
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _get(doc: Doc, path: tuple[Any, ...]) -> Any:
    target: Any = doc
    for step in path:
        target = target[step]
    return target


_TEXTS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10),
    st.sampled_from(["2025-01-01T00:00:00Z", "2025-13-01T00:00:00Z", "2025-01-01", "", " ",
                     "urn:x:1", "mailto:a@b.org", "http://data.europa.eu/snb/credential/25831c2",
                     "100", "101", "-1", "P1Y", "true"]),
)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_values_get_pyshacl_verdicts(store: SchemaStore, data: st.DataObject) -> None:
    warm = _credentials()
    for doc in warm:
        validate_fast(doc, store)
    doc = _thaw(data.draw(st.sampled_from(warm)))
    leaves = list(_leaves(doc))
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(leaves))
        if data.draw(st.booleans()):  # a copy of another value: equalities the shapes may see
            value = _get(doc, data.draw(st.sampled_from(leaves)))
        else:
            value = data.draw(_TEXTS)
        _set(doc, path, value)
    _same_as_pyshacl(doc, store)


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXTS, lang=st.sampled_from(["", "en", "EN", "de-AT", "ga"]))
def test_a_literal_without_datatype_gets_the_answers_of_its_own_text(
        store: SchemaStore, text: str, lang: str) -> None:
    """The memo answers literals without datatype from the first one of their language tag;
    each must still get what the shapes would ask of its own text."""
    from edcbridge.validation.nquads import read_literal, term_key

    memo = memo_for(store.root, tuple(shapes_for(_credentials()[0])))
    assert memo.asked.text_blind()
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    value = read_literal(escaped, lang or None, None)
    memo._literal("first of its tag", lang, "")  # the shortcut is set from another text
    same, answers = memo._literal(escaped, lang, "")
    assert same == term_key(value)
    assert answers == (None, *memo.asked.answers(value))


_DATE_TIME = "http://www.w3.org/2001/XMLSchema#dateTime"
_TIMES = st.one_of(
    st.sampled_from(["2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2025-02-30T00:00:00Z",
                     "2025-13-01T00:00:00Z", "2025-00-10T00:00:00Z", "2025-01-01T24:00:00Z",
                     "2025-01-01T23:59:60Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
                     "9999-12-31T23:59:59Z", "1900-02-29T00:00:00Z", "2025-01-01T00:00:00+00:00",
                     "2025-01-01T00:00:00", "2025-01-01T00:00:00.5Z", "2025-1-01T00:00:00Z"]),
    st.builds("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format, st.integers(0, 9999),
              st.integers(0, 13), st.integers(0, 32), st.integers(0, 25), st.integers(0, 61),
              st.integers(0, 61)))


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TIMES)
def test_a_date_time_gets_the_answers_of_its_own_value(store: SchemaStore, text: str) -> None:
    """The memo answers a valid xsd:dateTime written as the mapping writes it from the first
    such one; each must still get what rdflib reads and the shapes would ask of it (an invalid
    one, or one in another form, is read by rdflib)."""
    from edcbridge.validation.nquads import IllTyped, read_literal, term_key

    memo = memo_for(store.root, tuple(shapes_for(_credentials()[0])))
    assert memo.asked.time_blind()
    memo._literal("2025-06-30T00:00:00Z", "", _DATE_TIME)  # the shortcut is set from another value
    assert memo._times
    value = read_literal(text, None, _DATE_TIME)
    same, answers = memo._literal(text, "", _DATE_TIME)
    assert same == term_key(value)
    assert type(same) is type(term_key(value))
    if isinstance(value, IllTyped):
        assert answers is None
    else:
        assert answers == (value.datatype, *memo.asked.answers(value))


def test_a_credential_with_an_iri_no_plain_line_reads_has_no_key(store: SchemaStore) -> None:
    """An IRI that a plain N-Quads line cannot hold (a quote, a backslash, an angle bracket)
    gives no key, wherever it is: a node's own id, or an IRI a node points to without
    describing it (an email address given by its IRI alone)."""
    [first, *_] = _credentials()
    for bad in ('"', "\\", "<"):
        for place in ("subject", "email"):
            doc = _thaw(first)
            subject = doc["credentialSubject"]
            if place == "subject":
                subject["id"] = f"urn:epass:person:a{bad}b"
            else:
                subject["contactPoint"]["emailAddress"] = f"mailto:a{bad}b@example.org"
            converted = trace(doc, store.root)
            assert converted is not None
            assert memo_for(store.root, tuple(shapes_for(doc))).key(converted) is None, (bad, place)


def test_a_decimal_that_cannot_be_ordered_gets_pyshacl_verdict(store: SchemaStore) -> None:
    """The memo asks every typed literal its answer to each sh:maxInclusive, whatever its
    property: a decimal NaN (no sh:maxInclusive applies to elm:value) cannot be ordered against
    the limit, and must not stop the check."""
    [first, *_] = _credentials()
    for text in ("NaN", "-NaN", "sNaN"):
        doc = _thaw(first)
        doc["credentialSubject"]["hasClaim"]["value"] = text
        assert _same_as_pyshacl(doc, store) == [], text
