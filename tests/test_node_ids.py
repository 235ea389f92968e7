"""Content-derived node ids: the fast canonical JSON is the standard library's, byte for byte."""
from __future__ import annotations

import json
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from edcbridge.mapping.nodes import NAMESPACE, canonical_json, content_uuid, content_uuid_text

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
