"""Builders for the small ELM nodes every credential repeats, and deterministic node ids.

Node ids are derived from node content (a UUIDv5 over the canonical JSON of the node, its
child nodes standing in by their ids), so the same input always gives byte-identical output,
equal nodes carry equal ids (full identical copies, as the EDC issuer embeds them), and
different nodes never share an id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from edcbridge import vocab
from edcbridge.output import Shared, canonical_json, has_float

Node = dict[str, Any]
NAMESPACE = uuid.UUID("0b0a3c36-2f7e-5d0e-9a52-6564636272d1")


def concept(scheme: str, iri: str) -> Node:
    found = vocab.concept(scheme, iri)
    return {"id": found.iri, "type": "Concept",
            "inScheme": {"id": found.scheme, "type": "ConceptScheme"},
            "prefLabel": {"en": found.label}}


def external_concept(iri: str, scheme: str, label: str | None = None) -> Node:
    node: Node = {"id": iri, "type": "Concept", "inScheme": {"id": scheme, "type": "ConceptScheme"}}
    if label:
        node["prefLabel"] = {"en": label}
    return node


def note(text: dict[str, str]) -> Node:
    return {"type": "Note", "noteLiteral": text}


def web_resource(url: str) -> Node:
    return {"type": "WebResource", "contentURL": url}


def date_time(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{value.isoformat()}T00:00:00Z"


def content_uuid(node: Any) -> uuid.UUID:
    """UUIDv5 (RFC 9562) in our namespace over the node's canonical JSON."""
    return uuid.UUID(content_uuid_text(node))


def content_uuid_text(node: Any) -> str:
    """:func:`content_uuid` as text, without building a ``uuid.UUID`` (the ids of every
    credential's own nodes are made this way, ten or so per credential)."""
    return _uuid5_text(canonical_json(node))


_NAMESPACE_BYTES = NAMESPACE.bytes  # a property that builds the bytes on every read


def _uuid5_text(name: bytes) -> str:
    """``str(uuid.uuid5(NAMESPACE, name))`` for a name given as UTF-8 bytes."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class Frozen(Shared):
    """A node whose ids are assigned, shared by every credential built from the same
    catalogue entry. It cannot be changed in place; ``copy.deepcopy`` gives a plain dict."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("this node is shared between credentials: copy.deepcopy() it to change it")

    __setitem__ = __delitem__ = update = pop = popitem = setdefault = clear = _refuse

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        import copy

        return {key: copy.deepcopy(value, memo) for key, value in self.items()}

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


def freeze(node: Any) -> Any:
    """Assign ids, then make the node and everything in it immutable and shareable."""
    return frozen(assign_ids(node))


def frozen(value: Any) -> Any:
    """The value with every node in it immutable and shareable (its ids as they are)."""
    if isinstance(value, dict):
        return Frozen({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return [frozen(v) for v in value]
    return value


def _reduce(value: Any) -> Any:
    """A child node as its id stands for it in its parent's digest (see :func:`_digest_name`)."""
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return {"id": value["id"]}
    if isinstance(value, list):
        return [_reduce(item) for item in value]
    return value


def _digest_name(node: dict[str, Any]) -> bytes:
    """The canonical JSON of the node with each child node reduced to its id: child ids already
    stand for their content, so a node's id covers everything below it without re-reading it (a
    Merkle tree). Texts and child nodes, most members, are not searched for floats."""
    view: dict[str, Any] = {}
    floats = False
    for key, value in node.items():
        if type(value) is str:
            view[key] = value
        elif isinstance(value, dict) and isinstance(value.get("id"), str):
            view[key] = {"id": value["id"]}
        else:
            value = view[key] = _reduce(value)
            floats = floats or has_float(value)
    return canonical_json(view, floats=floats)


def assign_ids(node: Any) -> Any:
    """Give every typed node without an id a content-derived ``urn:epass:<type>:<uuid>``."""
    if isinstance(node, Frozen):
        return node
    if isinstance(node, list):
        return [item if type(item) is str else assign_ids(item) for item in node]
    if not isinstance(node, dict):
        return node
    filled = {key: value if type(value) is str or type(value) is Frozen else assign_ids(value)
              for key, value in node.items()}
    kind = filled.get("type")
    if "id" not in filled and isinstance(kind, str):
        return identified(filled)
    return filled


def identified(node: Node) -> Node:
    """A typed node without an id, its content-derived id first: what :func:`assign_ids` makes of
    it when every typed node below it has its id already (a credential's own nodes are built
    child first, so the whole tree is not walked again)."""
    kind = node["type"]
    return {"id": f"urn:epass:{kind[0].lower()}{kind[1:]}:{_uuid5_text(_digest_name(node))}", **node}


def credential_id(issuer_key: str, award_id: str) -> str:
    """Stable per award: re-issuing the same award keeps its credential id (a UUIDv5)."""
    return f"urn:credential:{_uuid5_text(f'{issuer_key}/{award_id}'.encode())}"
