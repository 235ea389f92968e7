"""A credential's own nodes (learner, award, grade, dates) get their ids as they are built: the
same ids, in the same place, as giving ids to the finished tree would (the definition that
tests/test_node_ids.py holds to the standard library), and none of them is shared."""

from __future__ import annotations

import json
from typing import Any

from edcbridge.mapping.edc import to_edc
from edcbridge.mapping.nodes import Frozen, assign_ids
from tests.conftest import fixture_awards


def _without_own_ids(node: Any) -> Any:
    """The tree with the content ids of the nodes not taken from the catalogue removed."""
    if isinstance(node, Frozen):
        return node
    if isinstance(node, list):
        return [_without_own_ids(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: _without_own_ids(value) for key, value in node.items()
            if not (key == "id" and isinstance(value, str) and value.startswith("urn:epass:"))}


def _own_containers(node: Any, found: list[int]) -> list[int]:
    """The identities of the dicts and lists in the tree that are not the catalogue's."""
    if isinstance(node, Frozen) or not isinstance(node, dict | list):
        return found
    found.append(id(node))
    for value in node.values() if isinstance(node, dict) else node:
        _own_containers(value, found)
    return found


def test_own_nodes_have_the_ids_the_whole_tree_would_give() -> None:
    cases = fixture_awards()
    assert any("nationalID" in json.dumps(to_edc(award, catalogue)) for _, award, catalogue in cases)
    for name, award, catalogue in cases:
        credential = to_edc(award, catalogue)
        stripped = _without_own_ids(credential)
        assert json.dumps(stripped) != json.dumps(credential), name
        assert json.dumps(assign_ids(stripped)) == json.dumps(credential), name


def test_own_nodes_are_new_objects_in_every_credential() -> None:
    _, award, catalogue = fixture_awards()[0]
    first, second = to_edc(award, catalogue), to_edc(award, catalogue)
    mine, theirs = _own_containers(first, []), _own_containers(second, [])
    assert len(set(mine)) == len(mine)  # within one credential too (awardedBy is there twice)
    assert not set(mine) & set(theirs)
    first["@context"].append("changed")
    first["credentialSubject"]["hasClaim"]["awardedBy"]["awardingDate"] = "changed"
    assert to_edc(award, catalogue) == second
    assert second["credentialSubject"]["hasClaim"]["provenBy"]["awardedBy"]["awardingDate"] != "changed"
