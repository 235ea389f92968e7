"""EDC 3.x JSON-LD as other issuers write it: a flattened graph's credential, references by id
put in place, the claim read as the award's achievement, and notes naming what is left beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edcbridge.validation.document import NotACredential
from edcbridge.xml.importer.nodes import Node, _first, _list, _listed, _text
from edcbridge.xml.importer.result import NotImportable

_MAX_LINKED_NODES = 50_000
"""How many nodes a credential may hold once its references are put in place: a node referenced
twice by each of many others would otherwise grow without bound."""
_MAX_DEPTH = 200
_LITERAL_KEYS = frozenset({"id", "type", "@context", "contentURL", "notation", "schemeName", "content"})
"""Keys whose text is a value of its own, never a reference (a web page's address may be its id)."""


def _from_graph(document: Any) -> tuple[Any, list[Any]]:
    """A credential written as a flattened JSON-LD graph (``{"@context": ..., "@graph": [...]}``,
    as JSON-LD tools write one): its one VerifiableCredential node with the graph's context, and
    the graph's nodes, which its references by id name. Any other document as it is."""
    graph = document.get("@graph") if isinstance(document, dict) else None
    if not isinstance(graph, list):
        return document, []
    found = [n for n in graph if isinstance(n, dict) and "VerifiableCredential" in _list(n.get("type"))]
    if len(found) != 1:
        raise NotACredential(f"the JSON-LD graph holds {len(found)} VerifiableCredential nodes; give one "
                             "credential per file")
    context = {"@context": document["@context"]} if "@context" in document else {}
    return {**context, **found[0]}, graph


def _linked(credential: Node, described: Sequence[Any] = ()) -> Node:
    """The credential with every node that is written once and referenced elsewhere by its id
    (``"awardingBody": "urn:epass:org:1"`` or ``{"id": "urn:epass:org:1"}``) put in the place of
    the reference, as JSON-LD means it. A reference to a node it sits inside stays as written, and
    a credential that grows too large or deep this way is refused. ``described`` are nodes beside
    the credential (a flattened graph's) that its references may name."""
    index: dict[str, Node] = {}
    stack: list[Any] = [*reversed(described), credential]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            node_id = value.get("id")
            if isinstance(node_id, str) and set(value) - {"id", "type", "@context"}:
                index.setdefault(node_id, value)
            stack.extend(v for k, v in value.items() if k != "@context")
        elif isinstance(value, list):
            stack.extend(value)
    count = 0

    def link(value: Any, key: str, inside: frozenset[str], depth: int) -> Any:
        nonlocal count
        count += 1
        if count > _MAX_LINKED_NODES or depth > _MAX_DEPTH:
            raise NotImportable(f"the credential holds more than {_MAX_LINKED_NODES:,} nodes or nests them "
                                f"more than {_MAX_DEPTH} deep once its references by id are followed; it "
                                "cannot be a credential to read")
        if isinstance(value, list):
            return [link(v, key, inside, depth + 1) for v in value]
        target: Any = None
        if isinstance(value, str) and key not in _LITERAL_KEYS:
            target = index.get(value)
        elif isinstance(value, dict) and isinstance(value.get("id"), str) and not set(value) - {"id", "type"}:
            target = index.get(value["id"])
        if target is not None:
            if target["id"] in inside:
                return value
            value = target
        if not isinstance(value, dict):
            return value
        own = value.get("id")
        within = inside | {own} if isinstance(own, str) else inside
        return {k: v if k == "@context" else link(v, k, within, depth + 1) for k, v in value.items()}

    linked = link(credential, "", frozenset(), 0)
    assert isinstance(linked, dict)
    return linked


def _title_of(node: Node) -> str:
    """A claim's title as a person reads it: its own, else its specification's, else its id."""
    spec = _first(node.get("specifiedBy"))
    texts = _text(node.get("title")) or (_text(spec.get("title")) if isinstance(spec, dict) else None)
    if texts is None:
        return str(node.get("id") or "(untitled)")
    return repr(" ".join(next(iter(texts.values())).split()))


_CLAIM_TYPES = {"LearningAchievement": "achievement", "LearningActivity": "activity",
                "LearningEntitlement": "entitlement", "LearningAssessment": "assessment"}


def _claim_type(node: Node) -> str:
    """The kind of an EDC 3 claim by its type ("claim" for one that names no known type)."""
    kinds = (_CLAIM_TYPES[t] for t in _list(node.get("type")) if isinstance(t, str) and t in _CLAIM_TYPES)
    return next(kinds, "claim")


def achievement_claims(person: Node) -> list[Node]:
    """The achievements a credential subject claims (hasClaim), in their order: each is an award."""
    return [c for c in _list(person.get("hasClaim"))
            if isinstance(c, dict) and _claim_type(c) == "achievement"]


def _chosen_claim(person: Node, notes: list[str], which: int | None = None) -> tuple[Node, Node]:
    """The claim read as the award's achievement: the achievement ``which`` when given, else the
    first achievement with a specification, else the first achievement, else the first other
    claim. One without a specification stands in with its own title and description, with a
    note (EDC 3 requires a claim's title, not its specification). Gives the claim as written and
    as read."""
    claims = [c for c in _list(person.get("hasClaim")) if isinstance(c, dict)]
    ranked = sorted(claims, key=lambda c: (_claim_type(c) != "achievement",
                                           not isinstance(_first(c.get("specifiedBy")), dict)))
    if not ranked:
        raise NotImportable("the credential claims nothing (credentialSubject.hasClaim holds no achievement, "
                            "activity, assessment or entitlement), so there is nothing to show as awarded")
    claim = ranked[0] if which is None else achievement_claims(person)[which]
    kind = _claim_type(claim)
    if kind != "achievement":
        notes.append(f"the credential claims no achievement: its {kind} {_title_of(claim)} is read in the "
                     "place of one")
    if isinstance(_first(claim.get("specifiedBy")), dict):
        return claim, claim
    title = _text(claim.get("title"))
    if title is None:
        raise NotImportable(f"the credential's {kind} ({claim.get('id') or 'hasClaim'}) has neither a "
                            "title nor a specification (specifiedBy) with one, so there is nothing to show "
                            "as awarded")
    notes.append(f"the {kind} {_title_of(claim)} gives no specification (specifiedBy): its own title and "
                 "description are read as the specification's")
    return claim, {**claim, "specifiedBy": {"title": title, "description": claim.get("description")}}


_JSONLD_LEFT_OUT = (
    ("hasPart", "an award holds one achievement without parts ({} is read)", "its parts (hasPart)",
     ", with their grades, credits and outcomes"),
    ("influencedBy", "an award holds no learning activities ({} is read)",
     "the learning activities it was influenced by (influencedBy)", ""),
    ("entitlesTo", "an award holds no entitlements ({} is read)",
     "the entitlements it gives (entitlesTo)", ""),
)
_READ_LEARNER_KEYS = {"id", "type", "identifier", "givenName", "familyName", "fullName", "dateOfBirth",
                      "hasClaim", "nationalID", "nationalId", "contactPoint"}


def _note_left_out_jsonld(person: Node, claim: Node, notes: list[str]) -> None:
    """What the model cannot hold beside the claim read, named with titles rather than dropped
    unsaid: the other claims, the claim's parts, activities and entitlements, the parts of its
    assessment, and the learner's details the model has no field for."""
    read = _title_of(claim)
    others: dict[str, list[str]] = {}
    for other in _list(person.get("hasClaim")):
        if isinstance(other, dict) and other is not claim:
            others.setdefault(_claim_type(other), []).append(_title_of(other))
    for kind, titles in others.items():
        notes.append(f"left out, as an award holds one achievement ({read} is read): the further "
                     f"{kind} claims (hasClaim) {_listed(titles)}")
    for key, why, what, with_what in _JSONLD_LEFT_OUT:
        titles = [_title_of(n) for n in _list(claim.get(key)) if isinstance(n, dict)]
        if titles:
            notes.append(f"left out, as {why.format(read)}: {what} {_listed(titles)}{with_what}")
    proven = _first(claim.get("provenBy"))
    parts = [_title_of(n) for n in _list(proven.get("hasPart")) if isinstance(n, dict)] \
        if isinstance(proven, dict) else []
    if parts:
        notes.append(f"left out, as an award holds one grade (that of {read}): the parts of its assessment "
                     f"(provenBy/hasPart) {_listed(parts)}, with their grades")
    details = sorted(k for k, v in person.items()
                     if k not in _READ_LEARNER_KEYS and v not in (None, "", [], {}))
    if details:
        notes.append("left out, as the internal model has no field for them: the learner's "
                     f"{', '.join(details)} (credentialSubject)")
