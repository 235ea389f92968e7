"""EDC 3.2 -> the EBSI VCDM 2.0 profile (``@cef-ebsi/vcdm2.0-europass-edc-schema`` 2.1.0).

Same content, VCDM 2.0 envelope: the v2 context, the extra type ``VerifiableAttestation``, no
VC 1.1 date terms, and the EBSI JSON Schema named beside the SHACL shapes. Such a document is
checked with the EBSI JSON Schema only: JSON-LD processors reject the v2 context together with
edc-ap ("protected term redefinition").
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from edcbridge.mapping.nodes import Frozen

V2 = "https://www.w3.org/ns/credentials/v2"
V2_CONTEXT = (V2, "http://data.europa.eu/snb/model/context/edc-ap")
TYPES = ("VerifiableCredential", "VerifiableAttestation", "EuropeanDigitalCredential")

# The Trusted Schemas Registry id of the EDC schema 2.1.0 (its schema.metadata.json), on the
# host the EBSI examples name. EBSI verifiers validate against the JsonSchema entries they
# resolve there; the SHACL entry is for EDC tools.
TSR_SCHEMAS = "https://api-pilot.ebsi.eu/trusted-schemas-registry/v3/schemas/"
EDC_SCHEMA_TSR_ID = "0x4d40d34533797f62a8a03d7c4a4cd7827d289fadf1bfa582ec0ecfedbe55a6e0"
JSON_SCHEMA = {"id": TSR_SCHEMAS + EDC_SCHEMA_TSR_ID, "type": "JsonSchema"}

_MAILTO = "mailto:"
_MAILTO_SAFE = "!$'()*+,;:@%"  # RFC 6068 some-delims, % of an existing %XX; unreserved kept
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def to_ebsi(edc: dict[str, Any], issuer_did: str | None = None) -> dict[str, Any]:
    """The EBSI profile of an EDC credential, which is left as it is. The profile's nodes are
    its own, but for the shared catalogue nodes (:class:`~edcbridge.mapping.nodes.Frozen`):
    they stay the same objects, which cannot be changed in place, so the EBSI validator
    checks each once for all the credentials that share it. With ``issuer_did``, the issuer
    is named by that DID, as EBSI verifiers require (the awarding body keeps its id, as in
    EBSI's examples)."""
    doc = {key: _own_copy(value) for key, value in edc.items()}
    if issuer_did is not None and isinstance(doc.get("issuer"), dict):
        doc["issuer"] = _named_by(doc["issuer"], issuer_did)
    doc["@context"] = list(V2_CONTEXT)
    doc["type"] = list(TYPES)
    doc.pop("issuanceDate", None)  # VC 1.1 terms: VCDM 2.0 has validFrom and validUntil
    expiry = doc.pop("expirationDate", None)
    if isinstance(expiry, str):
        doc.setdefault("validUntil", expiry)
    doc["credentialSchema"] = _schemas(doc.get("credentialSchema"))
    return doc


_NAMED: dict[tuple[int, str], tuple[dict[str, Any], dict[str, Any]]] = {}


def _named_by(node: dict[str, Any], did: str) -> dict[str, Any]:
    """The node with ``did`` as its id: for a shared node, one shared copy per node and DID,
    so that the validator still checks it once."""
    if not isinstance(node, Frozen):
        return {**node, "id": did}
    hit = _NAMED.get((id(node), did))
    if hit is not None and hit[0] is node:
        return hit[1]
    named = Frozen({**node, "id": did})
    if len(_NAMED) > 1024:
        _NAMED.clear()
    _NAMED[(id(node), did)] = (node, named)
    return named


def is_ebsi(doc: dict[str, Any]) -> bool:
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return V2 in contexts


def _schemas(current: Any) -> list[Any]:
    entries = current if isinstance(current, list) else [current] if current else []
    return [*(entry for entry in entries if entry != JSON_SCHEMA), dict(JSON_SCHEMA)]


def _own_copy(node: Any) -> Any:
    """The node with its mailboxes as URIs: plain dicts and lists copied, a shared node kept
    as the same object unless a mailbox in it changes (then one shared copy of it, made once)."""
    if isinstance(node, list):
        return [_own_copy(item) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node, Frozen):
        return _shared_once(node)
    return _with_mailbox_uri({key: _own_copy(value) for key, value in node.items()})


# id(shared node) -> (the node, it with its mailboxes as URIs). Holds the node, so its id is
# not reused while the entry stands.
_WITH_URIS: dict[int, tuple[Frozen, Any]] = {}


def _shared_once(node: Frozen) -> Any:
    """:func:`_shared_with_uris` of a shared node, worked out once for all the credentials
    that share it (it cannot change)."""
    hit = _WITH_URIS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    converted = _shared_with_uris(node)
    if len(_WITH_URIS) > 4096:
        _WITH_URIS.clear()
    _WITH_URIS[id(node)] = (node, converted)
    return converted


def _shared_with_uris(node: Any) -> Any:
    """A shared node as it is, or copied on the path to a mailbox that changes (the copy
    shared as well, and as unchangeable)."""
    if isinstance(node, list):
        items = [_shared_with_uris(item) for item in node]
        return node if all(new is old for new, old in zip(items, node, strict=True)) else items
    if not isinstance(node, dict):
        return node
    changed = {key: new for key, value in node.items() if (new := _shared_with_uris(value)) is not value}
    mailbox = _mailbox_uri(node)
    if mailbox is not None and mailbox != node["id"]:
        changed["id"] = mailbox
    return Frozen({**node, **changed}) if changed else node


def _with_mailbox_uri(node: dict[str, Any]) -> dict[str, Any]:
    mailbox = _mailbox_uri(node)
    if mailbox is not None:
        node["id"] = mailbox
    return node


def _mailbox_uri(node: dict[str, Any]) -> str | None:
    """EBSI checks a Mailbox id as a URI (``format: uri``), while EDC carries the address as
    an IRI: an address with non-ASCII characters would fail there."""
    mailbox = node.get("id")
    if node.get("type") == "Mailbox" and isinstance(mailbox, str) and mailbox.startswith(_MAILTO):
        return mailto_uri(mailbox)
    return None


def mailto_uri(iri: str) -> str:
    """A mailto IRI as a URI: every other character percent-encoded as UTF-8 (RFC 3987 3.1,
    RFC 6068 2); ASCII addresses are kept as they are."""
    address = quote(iri[len(_MAILTO):], safe=_MAILTO_SAFE)
    return _MAILTO + _LONE_PERCENT.sub("%25", address)
