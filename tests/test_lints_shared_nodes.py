"""The lints of a credential whose catalogue parts are shared nodes equal those of the same
credential written out as plain objects: a shared node's ids are compared with every other
node's, wherever the two stand."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from edcbridge.mapping.nodes import Frozen
from edcbridge.schemas import SchemaStore
from edcbridge.validation.lints import lint
from tests.conftest import fixture_credentials

CREDENTIALS = fixture_credentials()[:6]


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(doc)  # a shared node deep-copies to a plain dict
    assert not _shared_in(copied)
    return copied


def _shared_in(value: Any) -> bool:
    if isinstance(value, Frozen):
        return True
    if isinstance(value, dict):
        return any(_shared_in(v) for v in value.values())
    return isinstance(value, list) and any(_shared_in(v) for v in value)


def _a_shared_id(doc: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The id of a node inside the issuer (a shared node), its key there, and that node."""
    issuer = doc["issuer"]
    assert isinstance(issuer, Frozen)
    key, inner = next((k, v) for k, v in issuer.items()
                      if isinstance(v, dict) and isinstance(v.get("id"), str) and len(v) > 1
                      and v.get("type") not in ("Concept", "ConceptScheme"))
    return inner["id"], key, inner


def _codes(findings: list[Any]) -> list[tuple[str, str, str]]:
    return [(f.code, f.where, f.message) for f in findings]


@pytest.mark.parametrize("name,doc", CREDENTIALS, ids=[name for name, _ in CREDENTIALS])
def test_lints_are_those_of_the_plain_credential(store: SchemaStore, name: str, doc: dict[str, Any]) -> None:
    assert _shared_in(doc)
    assert _codes(lint(doc, store)) == _codes(lint(_plain(doc), store))


@pytest.mark.parametrize("before", [True, False])
def test_an_own_node_reusing_a_shared_id_is_found_before_or_after_the_shared_node(
        store: SchemaStore, before: bool) -> None:
    doc = dict(CREDENTIALS[0][1])
    node_id, _, inner = _a_shared_id(doc)
    other = {"id": node_id, "type": inner.get("type", "Note"), "noteLiteral": {"en": "something else"}}
    subject = dict(doc["credentialSubject"])
    subject["identifier"] = other
    doc["credentialSubject"] = subject
    if before:  # the subject, holding the reused id, comes before the issuer
        doc = {"credentialSubject": subject, **{k: v for k, v in doc.items() if k != "credentialSubject"}}
    findings = _codes(lint(doc, store))
    assert any(code == "lint.node-id-reuse" and node_id in message for code, _, message in findings)
    assert findings == _codes(lint(_plain(doc), store))


def test_two_shared_nodes_holding_one_id_for_different_objects_are_found(store: SchemaStore) -> None:
    doc = dict(CREDENTIALS[0][1])
    node_id, key, inner = _a_shared_id(doc)
    changed = Frozen({**inner, "notation": "something else"})
    doc["evidence"] = Frozen({**doc["issuer"], "id": "urn:epass:organisation:other", key: changed})
    findings = _codes(lint(doc, store))
    assert any(code == "lint.node-id-reuse" and node_id in message for code, _, message in findings)
    assert findings == _codes(lint(_plain(doc), store))
