"""EDC 3.2 -> the EBSI VCDM 2.0 profile (``@cef-ebsi/vcdm2.0-europass-edc-schema`` 2.1.0).

Same content, VCDM 2.0 envelope: the v2 context, the extra type ``VerifiableAttestation``, no
VC 1.1 date terms, and the EBSI JSON Schema named beside the SHACL shapes. Such a document is
checked with the EBSI JSON Schema only: JSON-LD processors reject the v2 context together with
edc-ap ("protected term redefinition").
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import quote

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


def to_ebsi(edc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(edc)
    doc["@context"] = list(V2_CONTEXT)
    doc["type"] = list(TYPES)
    doc.pop("issuanceDate", None)  # VC 1.1 terms: VCDM 2.0 has validFrom and validUntil
    expiry = doc.pop("expirationDate", None)
    if isinstance(expiry, str):
        doc.setdefault("validUntil", expiry)
    doc["credentialSchema"] = _schemas(doc.get("credentialSchema"))
    _mailboxes_as_uris(doc)
    return doc


def is_ebsi(doc: dict[str, Any]) -> bool:
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return V2 in contexts


def _schemas(current: Any) -> list[Any]:
    entries = current if isinstance(current, list) else [current] if current else []
    return [*(entry for entry in entries if entry != JSON_SCHEMA), dict(JSON_SCHEMA)]


def _mailboxes_as_uris(node: Any) -> None:
    """EBSI checks a Mailbox id as a URI (``format: uri``), while EDC carries the address as
    an IRI: an address with non-ASCII characters would fail there."""
    if isinstance(node, list):
        for item in node:
            _mailboxes_as_uris(item)
    elif isinstance(node, dict):
        mailbox = node.get("id")
        if node.get("type") == "Mailbox" and isinstance(mailbox, str) and mailbox.startswith(_MAILTO):
            node["id"] = mailto_uri(mailbox)
        for value in node.values():
            _mailboxes_as_uris(value)


def mailto_uri(iri: str) -> str:
    """A mailto IRI as a URI: every other character percent-encoded as UTF-8 (RFC 3987 3.1,
    RFC 6068 2); ASCII addresses are kept as they are."""
    address = quote(iri[len(_MAILTO):], safe=_MAILTO_SAFE)
    return _MAILTO + _LONE_PERCENT.sub("%25", address)
