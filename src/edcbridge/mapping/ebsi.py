"""EDC 3.2 -> the EBSI VCDM 2.0 profile (``@cef-ebsi/vcdm2.0-europass-edc-schema`` 2.1.0).

Same content, VCDM 2.0 envelope: the v2 context and the extra type ``VerifiableAttestation``.
Such a document is checked with the EBSI JSON Schema only: JSON-LD processors reject the v2
context together with edc-ap ("protected term redefinition").
"""

from __future__ import annotations

import copy
from typing import Any

V2_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "http://data.europa.eu/snb/model/context/edc-ap"]
TYPES = ["VerifiableCredential", "VerifiableAttestation", "EuropeanDigitalCredential"]


def to_ebsi(edc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(edc)
    doc["@context"] = V2_CONTEXT
    doc["type"] = TYPES
    doc.pop("issuanceDate", None)  # a VC 1.1 term; VCDM 2.0 uses validFrom
    return doc


def is_ebsi(doc: dict[str, Any]) -> bool:
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return "https://www.w3.org/ns/credentials/v2" in contexts
