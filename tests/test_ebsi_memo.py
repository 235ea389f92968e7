"""The EBSI check remembers which shared catalogue nodes it found valid where, and the EBSI
profile keeps those nodes as the same objects: the findings (and the schema errors under them)
are exactly those of the plain validator, on every fixture profile, on mutants of them, and
for a node broken after valid credentials that share its neighbours were checked."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from referencing._core import Resolver

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.mapping.edc import to_edc
from edcbridge.mapping.nodes import Frozen
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.validation import json_schema
from edcbridge.validation.ebsi_schema import ebsi_validator, validate_ebsi
from edcbridge.validation.findings import Finding
from edcbridge.validation.json_schema import Validator
from tests.conftest import FIXTURES, REFERENCE, REQUIRE_PEERS
from tests.mutant_support import REMOVED, Change, Where, mutant
from tests.test_ebsi_profile import CASES, EBSI, _official_errors

_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT")
_LANGUAGE_KEY = re.compile(r"[a-z]{2}")


if not REFERENCE.is_dir() and not REQUIRE_PEERS:  # the mutants below are made from the official schema
    pytest.skip(f"official reference files not found at {REFERENCE}", allow_module_level=True)


def _profiles() -> list[tuple[str, dict[str, Any]]]:
    return [(name, to_ebsi(to_edc(award, catalogue))) for name, award, catalogue in CASES]


PROFILES = _profiles()


def _error_tree(errors: Any) -> list[Any]:
    """Everything a finding can be made from, the alternatives of anyOf included."""
    return [(e.validator, list(e.absolute_path), list(e.absolute_schema_path), e.message,
             _error_tree(e.context or ())) for e in errors]


def _plain(store: SchemaStore) -> Validator:
    return ebsi_validator(store, remember_shared=False)


def _same_as_plain(doc: dict[str, Any], store: SchemaStore, *, errors: bool = True) -> list[Finding]:
    """The findings of the remembering validator (the one of the whole test run, so what it
    remembers piles up from test to test), checked against the plain validator's; with
    ``errors``, the schema errors they are made from too."""
    remembering, plain = ebsi_validator(store), _plain(store)
    if errors:
        assert _error_tree(remembering.iter_errors(doc)) == _error_tree(plain.iter_errors(doc))
    found = validate_ebsi(doc, store)
    assert found == validate_ebsi(doc, store, plain)
    return found


def _values(node: Any, where: Where = ()) -> Iterator[tuple[Where, Any]]:
    yield where, node
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from _values(value, (*where, key))


def _wrong_type(value: Any) -> Any:
    if isinstance(value, str):
        return 42
    if isinstance(value, dict):
        return "a text, not a node"
    if isinstance(value, list):
        return {"not": "a list"}
    return "a text, not a number"


def _language_key(value: dict[str, Any]) -> dict[str, Any]:
    first = next(iter(value))
    return {("en-GB" if k == first else k): v for k, v in value.items()}


@cache
def _required() -> dict[str, frozenset[str]]:
    """The properties each class requires, by the official schema."""
    schema = json.loads((EBSI / "vcdm2.0-europass-edc-schema/schema.json").read_text("utf-8"))
    required: dict[str, frozenset[str]] = {}
    for definition in schema["$defs"].values():
        kind = definition.get("properties", {}).get("type", {}).get("const")
        if isinstance(kind, str):
            required[kind] = required.get(kind, frozenset()) | set(definition.get("required", ()))
    return required


def _is_required(where: Where, parent: Any) -> bool:
    """Whether the schema requires the property: each of the credential's own, ``type`` (what
    tells the alternatives of an anyOf apart), or one its class requires."""
    kind = parent.get("type") if isinstance(parent, dict) else None
    return len(where) == 1 or where[-1] == "type" or where[-1] in _required().get(str(kind), ())


def _changes(where: Where, value: Any, parent: Any) -> Iterator[tuple[str, Change]]:
    """What a mutant does to one value: the kinds of mistake the schema is there to find."""
    key = where[-1]
    if _is_required(where, parent):
        yield "removed", lambda _: REMOVED
    yield "wrong JSON type", _wrong_type
    if key == "type" and isinstance(value, str):
        yield "a class that does not exist", lambda _: "Organization"
        yield "another class", lambda v: "Person" if v != "Person" else "Organisation"
    if isinstance(value, str) and _DATE_TIME.match(value):
        yield "a date not in RFC 3339", lambda _: "14/07/2025"
        yield "a date without time zone", lambda v: v[:19]
        yield "no such day", lambda _: "2025-02-30T00:00:00Z"
    if key == "id" and isinstance(parent, dict) and parent.get("type") == "Mailbox":
        yield "a mailbox no URI", lambda _: "mailto:мария@пример.бг"
        yield "a mailbox no mailto", lambda _: "maria at example.org"
    if isinstance(value, dict) and value and all(isinstance(k, str) and _LANGUAGE_KEY.fullmatch(k)
                                                 for k in value):
        yield "a language key not ISO 639-1", _language_key


def _kind(node: Any) -> str:
    kind = node.get("type") if isinstance(node, dict) else "list"
    return f"{'shared ' if isinstance(node, Frozen) else ''}{kind}"


def _mutants() -> list[tuple[str, int, Where, Change]]:
    """Each kind of mistake once per property of each class, in a shared node and in a node
    of the credential's own, over every fixture profile (the first place each is found)."""
    chosen: dict[tuple[str, str, str | int], tuple[str, int, Where, Change]] = {}
    for index, (_, doc) in enumerate(PROFILES):
        parents = dict(_values(doc))
        for where, value in _values(doc):
            if not where:
                continue
            parent = parents[where[:-1]]
            key = where[-1] if isinstance(where[-1], str) else "[]"
            for what, change in _changes(where, value, parent):
                chosen.setdefault((what, _kind(parent), key),
                                  (f"{what}: {_kind(parent)}.{key}", index, where, change))
    return list(chosen.values())


MUTANTS = _mutants()


@pytest.mark.parametrize(("name", "doc"), PROFILES, ids=[name for name, _ in PROFILES])
def test_every_fixture_profile_has_the_findings_of_the_plain_validator(
        store: SchemaStore, name: str, doc: dict[str, Any]) -> None:
    assert _same_as_plain(doc, store) == []


@pytest.mark.parametrize(("what", "index", "where", "change"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_a_mutant_has_the_findings_of_the_plain_validator(
        store: SchemaStore, what: str, index: int, where: Where, change: Change) -> None:
    _same_as_plain(mutant(PROFILES[index][1], where, change), store, errors=False)


def test_the_mutants_cover_required_properties_shared_nodes_and_each_kind_of_mistake() -> None:
    names = [m[0] for m in MUTANTS]
    assert any(n.startswith("removed: shared Organisation.legalName") for n in names)
    assert any(n.startswith("removed: Person.") for n in names)
    for what in ("wrong JSON type", "a class that does not exist", "another class", "no such day",
                 "a date without time zone", "a mailbox no URI", "a language key not ISO 639-1"):
        assert any(n.startswith(f"{what}: shared ") for n in names), what


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_random_mutant_has_the_findings_of_the_plain_validator(store: SchemaStore,
                                                                 data: st.DataObject) -> None:
    _, doc = data.draw(st.sampled_from(PROFILES))
    wheres = [where for where, _ in _values(doc) if where]
    changes = int(data.draw(st.integers(1, 3)))
    for _ in range(changes):
        where = data.draw(st.sampled_from(wheres))
        value = data.draw(st.one_of(st.just(REMOVED), st.none(), st.booleans(), st.integers(),
                                    st.text(max_size=8), st.just([]), st.just({}),
                                    st.sampled_from(["Organisation", "Person", "2025-07-14T00:00:00",
                                                     "mailto:a@b.c", "not a uri"])))
        try:
            doc = mutant(doc, where, lambda _, value=value: value)
        except (KeyError, IndexError, TypeError):  # an earlier change took the place away
            continue
    _same_as_plain(doc, store, errors=False)


def _shared_nodes(doc: dict[str, Any]) -> list[Where]:
    """Where the topmost shared nodes of a profile are."""
    found: list[Where] = []
    for where, value in _values(doc):
        if isinstance(value, Frozen) and not any(where[:len(f)] == f for f in found):
            found.append(where)
    return found


def _one_of_each_set() -> list[tuple[str, dict[str, Any]]]:
    firsts = {name.split(":")[0]: (name, doc) for name, doc in reversed(PROFILES)}
    return list(firsts.values())


def test_a_shared_node_broken_after_valid_credentials_that_share_it_is_found(store: SchemaStore) -> None:
    for _, doc in PROFILES:  # what the validator remembers: every shared node valid
        assert validate_ebsi(doc, store) == []
    for name, doc in _one_of_each_set():
        for where in _shared_nodes(doc):
            broken = mutant(doc, (*where, "type"), lambda _: "Organization")
            found = _same_as_plain(broken, store)
            assert found and all(f.code.startswith("ebsi.") for f in found), (name, where)
            assert validate_ebsi(doc, store) == []  # and the credential itself is still valid


def test_a_copy_of_a_shared_node_is_checked_as_a_node_of_its_own(store: SchemaStore) -> None:
    """A plain copy or an equal new shared node: each is checked, none taken for the other."""
    _, doc = PROFILES[0]
    assert validate_ebsi(doc, store) == []
    for make in (lambda n: {**n, "legalName": 5}, lambda n: Frozen({**n, "legalName": 5})):
        broken = mutant(doc, ("issuer",), make)
        found = _same_as_plain(broken, store)
        assert ("ebsi.type", "$.issuer.legalName") in {(f.code, f.where) for f in found}


def test_the_memo_stays_within_its_size_and_keeps_the_findings(
        store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = {"$defs": {"name": {"type": "object", "required": ["en"]}},
              "type": "array", "items": {"$ref": "#/$defs/name"}}
    monkeypatch.setattr(json_schema, "MEMO_SIZE", 3)
    small = json_schema.validator(schema, "2020-12", immutable=(Frozen,))
    plain = json_schema.validator(schema, "2020-12")
    nodes = [Frozen({"en": str(i)}) for i in range(10)] + [Frozen({"de": "x"})]
    for _ in range(3):
        assert _error_tree(small.iter_errors(nodes)) == _error_tree(plain.iter_errors(nodes))
    assert [list(e.absolute_path) for e in small.iter_errors(nodes)] == [[10]]
    assert len(type(small).VALIDATORS["$ref"].__self__) <= 3


def test_a_schema_with_dynamic_references_is_checked_without_the_memo() -> None:
    schema = {"$dynamicAnchor": "node", "type": "object",
              "properties": {"child": {"$dynamicRef": "#node"}}}
    check = json_schema.validator(schema, "2020-12", immutable=(Frozen,))
    assert type(check).VALIDATORS["$ref"] is json_schema.Draft202012Validator.VALIDATORS["$ref"]


def test_the_profile_shares_only_shared_nodes_with_the_edc_credential() -> None:
    for name, award, catalogue in CASES:
        edc = to_edc(award, catalogue)
        in_edc = {id(value) for _, value in _values(edc) if isinstance(value, dict | list)}
        for where, value in _values(to_ebsi(edc)):
            if isinstance(value, dict | list) and id(value) in in_edc:
                assert _inside_shared(edc, where), (name, where)


def _inside_shared(doc: Any, where: Where) -> bool:
    node = doc
    for key in where:
        if isinstance(node, Frozen):
            return True
        node = node[key]
    return isinstance(node, Frozen)


def test_editing_a_profile_changes_no_other_profile_nor_the_edc_credential() -> None:
    _, award, catalogue = CASES[0]
    edc = to_edc(award, catalogue)
    before = copy.deepcopy(edc)
    first, second = to_ebsi(edc), to_ebsi(edc)
    for where, value in list(_values(first)):
        if isinstance(value, dict) and not isinstance(value, Frozen) and where:
            value["edited"] = True
    for _, value in _values(first):
        if isinstance(value, Frozen):
            with pytest.raises(TypeError, match="shared between credentials"):
                value["edited"] = True
    assert edc == before and "edited" not in str(second)


def _award_of_organisation_with_address(tmp_path: Path, address: str) -> tuple[Award, Catalogue]:
    text = (FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8")
    old = "email: lifelong-learning@imperial.example.ac.uk"
    assert old in text
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, f"email: '{address}'", 1), "utf-8")
    catalogue = load_catalogue(path)
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    return award, catalogue


def test_a_shared_node_with_a_non_ascii_address_is_copied_not_changed(
        store: SchemaStore, tmp_path: Path) -> None:
    award, catalogue = _award_of_organisation_with_address(tmp_path, "bürо@imperial.example.ac.uk")
    edc = to_edc(award, catalogue)
    iri = edc["issuer"]["contactPoint"]["emailAddress"]["id"]
    doc = to_ebsi(edc)
    uri = doc["issuer"]["contactPoint"]["emailAddress"]["id"]
    assert uri.isascii() and uri != iri
    # a copy, as unchangeable and shared as the node it comes from
    assert isinstance(doc["issuer"], Frozen) and doc["issuer"] is not edc["issuer"]
    assert to_ebsi(to_edc(award, catalogue))["issuer"] is doc["issuer"]
    assert edc["issuer"]["contactPoint"]["emailAddress"]["id"] == iri
    assert to_edc(award, catalogue)["issuer"]["contactPoint"]["emailAddress"]["id"] == iri
    claim = doc["credentialSubject"]["hasClaim"]
    # a shared node that does not hold the address is still shared (the qualification holds it,
    # in the organisation its accreditation names)
    assert claim["provenBy"]["specifiedBy"] is edc["credentialSubject"]["hasClaim"]["provenBy"]["specifiedBy"]
    assert _official_errors(doc) == [] and _same_as_plain(doc, store) == []


def test_a_validator_error_is_reported_through_the_memo(store: SchemaStore) -> None:
    """A node found invalid is not remembered: the second time it is reported again."""
    _, doc = PROFILES[0]
    broken = mutant(doc, ("issuer", "legalName"), lambda _: REMOVED)
    first, second = validate_ebsi(broken, store), validate_ebsi(broken, store)
    assert first == second and ("ebsi.required", "$.issuer") in {(f.code, f.where) for f in first}


def test_a_profile_edited_in_place_after_its_check_is_checked_again(store: SchemaStore) -> None:
    """Only shared nodes, which cannot change, are remembered: a node of the credential's own
    may be edited after it was found valid."""
    doc = copy.deepcopy(PROFILES[0][1])
    assert validate_ebsi(doc, store) == []
    doc["issuer"]["legalName"] = 5
    doc["credentialSubject"]["contactPoint"]["type"] = "Contact"
    found = {(f.code, f.where) for f in _same_as_plain(doc, store)}
    assert ("ebsi.type", "$.issuer.legalName") in found
    assert ("ebsi.const", "$.credentialSubject.contactPoint.type") in found


def test_a_reference_is_looked_up_once_not_at_every_node(store: SchemaStore,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Where each ``$ref`` leads is found once per validator: checking another credential looks
    up no reference again (the plain validator does, at every node it checks there)."""
    lookups: list[str] = []
    lookup = Resolver.lookup

    def counted(self: Resolver[Any], ref: str) -> Any:
        lookups.append(ref)
        return lookup(self, ref)

    monkeypatch.setattr(Resolver, "lookup", counted)
    remembering = ebsi_validator(store)
    counts = []
    for _ in range(2):
        for _, doc in PROFILES:  # copies: no shared node to skip, every reference followed
            assert list(remembering.iter_errors(copy.deepcopy(doc))) == []
        counts.append(len(lookups))
    assert counts[1] == counts[0]
    list(_plain(store).iter_errors(PROFILES[0][1]))
    assert len(lookups) > counts[1]  # the count would see the lookups
