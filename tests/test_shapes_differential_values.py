"""Values and JSON-LD forms at the edges get the verdicts of the reference pipeline.

The reference is pyld's RDF validated by pyshacl (``validate_shacl`` with the direct converter
replaced by pyld). Ours is ``validate_fast`` as a batch runs it: direct converter, compiled
shapes and the memo of clean structures, warmed with clean credentials of the same structure
first. Where pyld's RDF can be read, the compiled checker's results on it (focus node, path,
constraint component, value, severity, message) must also equal pyshacl's.

Covered: lexical forms of every datatype the shapes check (booleans rdflib reads as a value but
marks ill-typed, dates without zone, leap seconds, 24:00, year zero, decimals such as ``1.``),
two equal literals of which only one is ill-typed, in the credential's own nodes and in a
shared catalogue node, language maps with keys N-Quads cannot write, language tags in other
cases, value objects, lists, nested contexts, IRIs holding white space (pyld leaves their
triples out), and values drawn at random into credentials the memo already knows.
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edcbridge.mapping.nodes import Frozen, freeze
from edcbridge.schemas import SchemaStore
from edcbridge.validation import shacl
from edcbridge.validation.fast_rdf import to_nquads_fast
from edcbridge.validation.fastshacl import validate_fast
from edcbridge.validation.findings import Finding
from edcbridge.validation.jsonld import OfflineContextError, to_nquads_pyld
from edcbridge.validation.nquads import typed_literal
from edcbridge.validation.shacl import shapes_for, validate_shacl
from tests.test_fastshacl import _comparable, _multi_typed_paths, fast_rows, pyshacl_rows
from tests.test_structure_memo import _credentials, _is_clean_by_memo, _thaw

Doc = dict[str, Any]
XSD = "http://www.w3.org/2001/XMLSchema#"
# rdflib warns of a boolean such as "yes" and reads it as false; made an error (as the suite
# makes warnings) the warning makes rdflib read no value at all. Read as a batch reads.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:rdflib.term")


@pytest.fixture(autouse=True, scope="module")
def _literals_read_afresh() -> Iterator[None]:
    """Literals read here are not cached for other modules, which read them with warnings as
    errors (and the other way round)."""
    typed_literal.cache_clear()
    yield
    typed_literal.cache_clear()


_BLANK = re.compile(r"\b(?:N[0-9a-f]{32}|b\d+)\b")  # rdflib's random labels, ours b0, b1...


@contextmanager
def _pyld_rdf() -> Iterator[None]:
    original = shacl.to_nquads
    shacl.to_nquads = to_nquads_pyld
    try:
        yield
    finally:
        shacl.to_nquads = original


def _normal(findings: list[Finding], doc: Doc) -> set[Finding]:
    multi = _multi_typed_paths(doc)
    return {Finding(f.code, f.severity, _BLANK.sub("_:", f.where), _BLANK.sub("_:", f.message), f.fix)
            for f in _comparable(findings, multi)}


def _warm(store: SchemaStore) -> list[Doc]:
    docs = _credentials()
    for doc in docs:
        assert validate_fast(doc, store) == []
    return docs


def assert_reference_verdicts(doc: Doc, store: SchemaStore, *, rows: bool = True) -> list[Finding]:
    """``validate_fast`` (memo on) gives the reference findings, and (with ``rows``) the compiled
    checker the reference results on pyld's RDF."""
    with _pyld_rdf():
        expected = validate_shacl(doc, store)
    ours = validate_fast(doc, store)
    assert _normal(ours, doc) == _normal(expected, doc)
    if not rows:
        return ours
    try:
        text = to_nquads_pyld(doc, store)
    except OfflineContextError:
        return ours
    if not any(f.message.startswith(shacl.NOT_RDF_TEXT) for f in expected):
        for key in shapes_for(doc):
            assert fast_rows(text, store, key) == pyshacl_rows(text, store, key), key
    return ours


def _own(value: Any) -> Any:
    """A plain copy, shared (frozen) parts included, that a test may edit."""
    return json.loads(json.dumps(value))


def _base(store: SchemaStore) -> Doc:
    return _own(_warm(store)[0])


def _qualification(doc: Doc) -> Doc:
    node: Doc = doc["credentialSubject"]["hasClaim"]["specifiedBy"]
    return node


def _activity(doc: Doc, **values: Any) -> Doc:
    """The credential with a second claim, a learning activity with the values given."""
    out = _thaw(doc)
    claim = out["credentialSubject"]["hasClaim"]
    activity = {"id": "urn:test:activity", "type": "LearningActivity", "title": {"en": "Lab work"},
                "awardedBy": claim["awardedBy"], **values}
    out["credentialSubject"]["hasClaim"] = [claim, activity]
    return out


# ---------------------------------------------------------------- lexical forms

BOOLEANS = ["true", "false", "1", "0", "yes", "no", "True", "FALSE", " true", "false ", "", "t"]
DATE_TIMES = [
    "2025-07-14T00:00:00Z", "2025-07-14T00:00:00", "2025-07-14T00:00:00.5Z",
    "2025-07-14T00:00:00.123456789+01:00", "2016-12-31T23:59:60Z", "2025-07-14T24:00:00Z",
    "0000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "10000-01-01T00:00:00Z",
    "2025-07-14T00:00:00+14:00", "2025-07-14T00:00:00+15:00", "2025-07-14T00:00:00-00:00",
    "2025-7-14T00:00:00Z", "2025-07-14t00:00:00z", " 2025-07-14T00:00:00Z", "2025-07-14 00:00:00Z",
    "2025-07-14", "2025-07-14Z", "2025-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "20250714T000000Z",
]
NUMBERS = ["1", "01", "+1", "-1", "0", " 1", "1 ", "1.", ".5", "1.0", "1e3", "100", "101", "99.5",
           "0x1", "١", "1_000"]
DURATIONS = ["P1Y", "P1.5Y", "-P1M", "PT", "P", "PT36H", "P0D", "1Y", "P1Y2M3DT4H5M6.7S"]
URIS = ["http://example.org/a", "not a uri", "", "urn:x", "http://[::1]"]


Put = Callable[[Doc, Any], Doc]


def _on_qualification(key: str) -> Put:
    def put(doc: Doc, value: Any) -> Doc:
        _qualification(doc)[key] = value
        return doc
    return put


def _on_subject(key: str) -> Put:
    def put(doc: Doc, value: Any) -> Doc:
        doc["credentialSubject"][key] = value
        return doc
    return put


def _on_activity(doc: Doc, value: Any) -> Doc:
    return _activity(doc, levelOfCompletion=value)


def _on_web_page(doc: Doc, value: Any) -> Doc:
    _qualification(doc)["homepage"] = {"id": "urn:test:page", "type": "WebResource", "contentURL": value}
    return doc


def _typed(datatype: str, forms: list[Any]) -> list[dict[str, Any]]:
    return [{"@value": form, "@type": XSD + datatype} for form in forms]


# (name, where the values go, the values)
LEXICAL: list[tuple[str, Put, list[Any]]] = [
    ("boolean", _on_qualification("isPartialQualification"), BOOLEANS),
    ("boolean value objects", _on_qualification("isPartialQualification"), _typed("boolean", BOOLEANS)),
    ("dateTime", _on_subject("dateOfBirth"), DATE_TIMES),
    ("date where a dateTime goes", _on_subject("dateOfBirth"),
     _typed("date", ["2025-07-14", *DATE_TIMES[:3]])),
    ("positiveInteger under sh:maxInclusive", _on_activity, NUMBERS),
    ("integer and decimal under sh:maxInclusive", _on_activity,
     _typed("integer", NUMBERS) + _typed("decimal", NUMBERS)),
    ("native numbers under sh:maxInclusive", _on_activity, [0, 1, 100, 101, -1, 1.5, 100.0, True]),
    ("duration", _on_qualification("volumeOfLearning"), DURATIONS),
    ("anyURI", _on_web_page, URIS),
]


@pytest.mark.parametrize(("name", "put", "values"), LEXICAL, ids=[name for name, _, _ in LEXICAL])
def test_lexical_forms_get_the_reference_verdicts(store: SchemaStore, name: str, put: Put,
                                                  values: list[Any]) -> None:
    """Every form together (one result per ill-typed form), then each plain one alone, in a
    structure the memo may know (value objects go to pyld, whose RDF the memo never reads)."""
    assert_reference_verdicts(put(_base(store), values), store)
    for value in values:
        if not isinstance(value, dict):
            assert_reference_verdicts(put(_base(store), value), store, rows=False)


# ---------------------------------------------------------------- equal literals, one ill-typed

@pytest.mark.parametrize("values", [["false", "bad"], ["0", "bad"], ["true", "True"], ["yes", "no"]])
def test_equal_literals_of_which_one_is_ill_typed(store: SchemaStore, values: list[str]) -> None:
    """rdflib writes ``"bad"^^xsd:boolean`` as ``false`` and keeps whichever of two equal
    literals it reads first: only the ill-typed one fails sh:datatype."""
    doc = _base(store)
    _qualification(doc)["isPartialQualification"] = values
    assert_reference_verdicts(doc, store)


def test_a_shared_node_redescribed_with_an_equal_ill_typed_literal(store: SchemaStore) -> None:
    """A catalogue node is validated on its own once; the credential that says the same of it
    in an ill-typed form must be validated in place."""
    doc = dict(_warm(store)[0])
    shared = freeze({"id": "urn:test:shared-qualification", "type": "Qualification",
                     "title": {"en": "Shared"}, "isPartialQualification": True})
    assert isinstance(shared, Frozen)
    subject = dict(doc["credentialSubject"])
    claim = dict(subject["hasClaim"])
    claim["specifiedBy"] = [shared]
    subject["hasClaim"] = claim
    doc["credentialSubject"] = subject
    assert assert_reference_verdicts(doc, store) == []
    claim["specifiedBy"] = [shared, {"id": shared["id"], "isPartialQualification": "True"}]
    findings = assert_reference_verdicts(doc, store)
    assert [f.code for f in findings] == ["shacl.Datatype"]


# ---------------------------------------------------------------- JSON-LD forms

def _json_ld_cases() -> list[tuple[str, Callable[[Doc], None]]]:
    def subject(key: str, value: Any) -> Callable[[Doc], None]:
        return lambda doc: doc["credentialSubject"].__setitem__(key, value)

    def nested_context(doc: Doc) -> None:
        doc["credentialSubject"]["@context"] = {"dateOfBirth": "http://example.org/dateOfBirth"}
        doc["credentialSubject"]["dateOfBirth"] = "not a date"

    def nested_context_maps_onto_a_checked_property(doc: Doc) -> None:
        doc["credentialSubject"]["@context"] = {"nickname": "http://data.europa.eu/snb/model/elm/dateOfBirth"}
        doc["credentialSubject"]["nickname"] = "not a date"

    def nested_remote_context(doc: Doc) -> None:
        doc["credentialSubject"]["@context"] = "https://example.org/other-context"

    def id_with(text: str) -> Callable[[Doc], None]:
        def edit(doc: Doc) -> None:
            doc["credentialSubject"]["contactPoint"]["id"] = text
        return edit

    return [
        ("nested context remapping a term", nested_context),
        ("nested context onto a checked property", nested_context_maps_onto_a_checked_property),
        ("nested remote context", nested_remote_context),
        ("language map @none", subject("givenName", {"@none": "Zed"})),
        ("language map empty key", subject("givenName", {"": "Zed"})),
        ("language map key with underscore", subject("givenName", {"en_GB": "Zed"})),
        ("language map keys in two cases", subject("givenName", {"en": "Zed", "EN": "Zee"})),
        ("language map with region", subject("givenName", {"en-GB": "Zed", "en-gb": "Zee"})),
        ("language map with null", subject("givenName", {"en": ["Zed", None]})),
        ("language value objects in two cases", subject("givenName", [
            {"@value": "Zed", "@language": "EN"}, {"@value": "Zee", "@language": "en"}])),
        ("language value object with region", subject("givenName", {"@value": "Zed", "@language": "en-GB"})),
        ("plain string where a language map goes", subject("givenName", "Zed")),
        ("typed value object", subject("dateOfBirth", {"@value": "1999-01-01T00:00:00Z",
                                                       "@type": XSD + "dateTime"})),
        ("value object without type", subject("dateOfBirth", {"@value": "1999-01-01T00:00:00Z"})),
        ("native number for a date", subject("dateOfBirth", 19990101)),
        ("list", subject("givenName", {"@list": [{"@value": "Zed", "@language": "en"}]})),
        ("set", subject("dateOfBirth", {"@set": ["1999-01-01T00:00:00Z", "1999-01-02T00:00:00Z"]})),
        ("empty array", subject("dateOfBirth", [])),
        ("empty object", subject("givenName", {})),
        ("type as a list of one", lambda doc: doc["credentialSubject"].__setitem__("type", ["Person"])),
        ("type twice", lambda doc: doc["credentialSubject"].__setitem__("type", ["Person", "Person"])),
        ("type as a compact IRI", lambda doc: doc["credentialSubject"].__setitem__("type", "elm:Person")),
        ("unknown type", lambda doc: doc["credentialSubject"].__setitem__("type", "Personne")),
        ("unknown term", subject("nickname", "Zed")),
        ("compact IRI key", subject("elm:dateOfBirth", "not a date")),
        ("absolute IRI key", subject("http://data.europa.eu/snb/model/elm/dateOfBirth", "not a date")),
        ("blank node id", id_with("_:contact")),
        ("relative id", id_with("contact-1")),
        ("compact id", id_with("elm:contact-1")),
        ("id with a space", id_with("urn:contact 1")),
        ("id ending in a new line", id_with("urn:contact-1\n")),
        ("id with a new line", id_with("urn:contact-1\n<urn:a> <urn:b> <urn:c> .\n<urn:contact-2")),
        ("id with a non-breaking space", id_with("urn:contact\u00a01")),
        ("id with a backslash escape", id_with("urn:contact\\u0041")),
        ("id with a quote", id_with('urn:contact"1')),
        ("two nodes with one id", id_with(
            "urn:epass:identifier:3d5456b3-c70e-579a-90c5-a263be324e5a")),
        ("long text", subject("givenName", {"en": "x" * 20000})),
        ("decomposed unicode", subject("givenName", {"en": "Zoe\u0308"})),
        ("line and paragraph separators", subject("givenName", {"en": "a\u2028b\u2029c\x85d"})),
        ("control characters", subject("givenName", {"en": "a\x00b\x1fc\x7f"})),
    ]


JSON_LD = _json_ld_cases()


@pytest.mark.parametrize(("name", "edit"), JSON_LD, ids=[name for name, _ in JSON_LD])
def test_json_ld_forms_get_the_reference_verdicts(store: SchemaStore, name: str,
                                                  edit: Callable[[Doc], None]) -> None:
    doc = _base(store)
    edit(doc)
    assert_reference_verdicts(doc, store)


def test_the_direct_converter_declines_what_pyld_writes_otherwise(store: SchemaStore) -> None:
    """Forms where JSON-LD gives other RDF than a plain reading of the terms: the converter
    leaves them to pyld."""
    for name in ("nested context remapping a term", "nested remote context", "language map @none",
                 "language map empty key", "id with a space", "id with a new line"):
        doc = _base(store)
        dict(JSON_LD)[name](doc)
        assert to_nquads_fast(doc, store.root) is None, name


def test_a_white_space_id_cannot_pass_as_a_structure_already_found_clean(store: SchemaStore) -> None:
    """An IRI holding a new line would write two lines where one is expected; with a line the
    memo's plain reading skips (an escape in an IRI), the document would have the key of a clean
    one, and the triple the shapes reject would go unseen."""
    base = _base(store)
    person = base["credentialSubject"]["id"]
    creator = "http://purl.org/dc/terms/creator"
    clean = copy.deepcopy(base)
    clean["credentialSubject"]["contactForm"] = "urn:test:form"
    clean["credentialSubject"]["creator"] = "urn:test:creator"
    assert assert_reference_verdicts(clean, store) == []
    forged = copy.deepcopy(base)
    forged["credentialSubject"]["contactForm"] = f"urn:test:form> .\n<{person}> <{creator}> <urn:test:creator"
    forged["credentialSubject"]["citizenshipCountry"] = "urn:test:a\\u0062"  # not a Concept
    assert "shacl.Class" in {f.code for f in assert_reference_verdicts(forged, store)}


# ---------------------------------------------------------------- values into known structures

_FORMS = st.one_of(
    st.sampled_from(DATE_TIMES), st.sampled_from(BOOLEANS), st.sampled_from(NUMBERS),
    st.sampled_from(DURATIONS), st.text(max_size=8),
)


@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_typed_values_in_known_structures_get_the_reference_verdicts(
        store: SchemaStore, data: st.DataObject) -> None:
    """A clean credential, then the same structure with a typed value changed (a date, the
    claim's boolean, a duration, the activity's level): the memo must not answer for a value
    whose datatype or range the shapes check."""
    credential = data.draw(st.sampled_from(_warm(store)))
    assert validate_fast(_known_structure(credential), store) == []
    doc = _known_structure(credential)
    assert _is_clean_by_memo(doc, store)
    places = data.draw(st.lists(st.sampled_from(_PLACES), min_size=1, max_size=2, unique=True))
    for node, key, values in places:
        node(doc)[key] = data.draw(values)
    assert_reference_verdicts(doc, store, rows=False)


def _known_structure(doc: Doc) -> Doc:
    """A credential with an activity claim, its own copy of the qualification and of a concept."""
    out = _activity(doc, levelOfCompletion=50)
    claim = out["credentialSubject"]["hasClaim"][0]
    claim["specifiedBy"] = _own(claim["specifiedBy"])
    out["credentialProfiles"] = [_own(out["credentialProfiles"][0])]
    return out


_SCHEMES = st.sampled_from([
    "http://data.europa.eu/snb/credential/25831c2", "http://data.europa.eu/snb/eqf/25831c2",
    "http://example.org/scheme", "urn:test:scheme"])
# well-typed forms, which the memo may answer for, and the others
_DATES = st.one_of(st.sampled_from([
    "2025-07-14T00:00:00Z", "2025-07-14T00:00:00", "2025-07-14T00:00:00.5Z", "2025-07-14T00:00:00+14:00",
    "1999-12-31T23:59:59-05:00", "2024-02-29T00:00:00Z"]), st.sampled_from(DATE_TIMES))
_BOOLEANS = st.one_of(st.sampled_from(["true", "false", "1", "0"]), st.sampled_from(BOOLEANS))
_LEVELS = st.one_of(st.sampled_from(["1", "100", "101", "1000", "0100", "+100"]), st.sampled_from(NUMBERS))
# (the node, the key, the values drawn for it)
_PLACES: list[tuple[Callable[[Doc], Doc], str, st.SearchStrategy[Any]]] = [
    (lambda d: d["credentialSubject"], "dateOfBirth", _DATES),
    (lambda d: d["credentialSubject"]["hasClaim"][0]["awardedBy"], "awardingDate", _DATES),
    (lambda d: d, "issued", _DATES),
    (lambda d: d["credentialSubject"]["hasClaim"][0]["specifiedBy"], "isPartialQualification", _BOOLEANS),
    (lambda d: d["credentialSubject"]["hasClaim"][0]["specifiedBy"], "volumeOfLearning",
     st.sampled_from(DURATIONS)),
    (lambda d: d["credentialSubject"]["hasClaim"][1], "levelOfCompletion", _LEVELS),
    (lambda d: d["credentialSubject"]["givenName"], "en", _FORMS),
    (lambda d: d["credentialProfiles"][0]["inScheme"], "id", _SCHEMES),
]


# one change to a credential of a structure found clean: (place, value, whether still clean)
_SINGLE_CHANGES: list[tuple[int, Any, bool]] = [
    (0, "1999-12-31T23:59:59-05:00", True), (0, "2025-07-14T00:00:00", True),
    (0, "2025-02-30T00:00:00Z", False), (0, "2025-07-14", True), (0, "2025-07-14T25:00:00Z", False),
    (3, "false", True), (3, "0", True), (3, "yes", False),
    (5, "100", True), (5, "+100", True), (5, "101", False), (5, "1000", False), (5, "0", False),
    (7, "http://data.europa.eu/snb/eqf/25831c2", False), (7, "urn:test:scheme", False),
]


@pytest.mark.parametrize(("place", "value", "clean"), _SINGLE_CHANGES,
                         ids=[f"{_PLACES[p][1]}={v}" for p, v, _ in _SINGLE_CHANGES])
def test_one_value_changed_in_a_structure_found_clean(store: SchemaStore, place: int, value: Any,
                                                      clean: bool) -> None:
    """Values the shapes cannot tell apart reuse the verdict; values they can (a range, a
    vocabulary scheme, a lexical form) are checked."""
    credential = _warm(store)[0]
    assert validate_fast(_known_structure(credential), store) == []
    doc = _known_structure(credential)
    node, key, _ = _PLACES[place]
    node(doc)[key] = value
    assert _is_clean_by_memo(doc, store) == clean
    assert (assert_reference_verdicts(doc, store, rows=False) == []) == clean
