"""Content-derived node ids: the fast canonical JSON is the standard library's, byte for byte."""
from __future__ import annotations

import json
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from edcbridge.mapping.nodes import (
    NAMESPACE,
    assign_ids,
    canonical_json,
    content_uuid,
    content_uuid_text,
    credential_id,
)

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


def _reference(node: object) -> str:
    return json.dumps(node, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=400, deadline=None)
@given(node=_JSON)
def test_canonical_json_is_the_standard_library(node: object) -> None:
    try:
        expected = _reference(node).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: not text a credential can hold
        return
    assert canonical_json(node) == expected


@settings(max_examples=200, deadline=None)
@given(node=st.dictionaries(st.text(max_size=6), st.text() | st.integers(), max_size=5))
def test_content_uuid_is_uuid5_of_the_canonical_json(node: dict[str, object]) -> None:
    try:
        name = _reference(node)
        name.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert content_uuid(node) == uuid.uuid5(NAMESPACE, name)
    assert content_uuid_text(node) == str(uuid.uuid5(NAMESPACE, name))


def _reference_ids(node: object) -> object:
    """Node ids as their definition gives them, with the standard library only: a UUIDv5 over
    the sorted compact JSON of the node, each child node standing in as {"id": its id}."""
    if isinstance(node, list):
        return [_reference_ids(item) for item in node]
    if not isinstance(node, dict):
        return node
    filled = {key: _reference_ids(value) for key, value in node.items()}
    kind = filled.get("type")
    if "id" in filled or not isinstance(kind, str):
        return filled

    def reduce(value: object) -> object:
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return {"id": value["id"]}
        if isinstance(value, list):
            return [reduce(item) for item in value]
        return value

    name = _reference({key: reduce(value) for key, value in filled.items()})
    return {"id": f"urn:epass:{kind[0].lower()}{kind[1:]}:{uuid.uuid5(NAMESPACE, name)}", **filled}


_LEAF = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text()
_NODES = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["a", "b", "id", "title"]), inner, max_size=4)
    | st.builds(lambda kind, members: {**members, "type": kind}, st.sampled_from(["Note", "Person"]),
                st.dictionaries(st.sampled_from(["a", "b", "id", "title"]), inner, max_size=3)),
    max_leaves=24)


@settings(max_examples=400, deadline=None)
@given(node=_NODES)
def test_assigned_ids_are_those_the_definition_gives(node: object) -> None:
    try:
        expected = _reference_ids(node)
    except UnicodeEncodeError:
        return
    assert assign_ids(node) == expected


@given(issuer=st.text(max_size=8), award=st.text(max_size=12))
def test_credential_id_is_the_uuid5_of_issuer_and_award(issuer: str, award: str) -> None:
    try:
        expected = f"urn:credential:{uuid.uuid5(NAMESPACE, f'{issuer}/{award}')}"
    except UnicodeEncodeError:
        return
    assert credential_id(issuer, award) == expected
