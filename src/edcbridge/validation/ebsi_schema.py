"""The EBSI VCDM 2.0 EDC JSON Schema (2020-12), offline."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from edcbridge.schemas import SchemaStore
from edcbridge.validation.findings import Finding
from edcbridge.validation.json_schema import Validator
from edcbridge.validation.json_schema import validator as schema_validator

EDC_SCHEMA = "ebsi-edc-schema/vcdm2.0-europass-edc-schema/schema.json"
ATTESTATION_SCHEMA = "ebsi-edc-schema/vcdm2.0-attestation-schema/schema.json"
_BASE = "file:///ebsi/vcdm2.0-europass-edc-schema/schema.json"
_ATTESTATION_URI = ("file:///ebsi/vcdm2.0-europass-edc-schema/node_modules/@cef-ebsi/"
                    "vcdm2.0-attestation-schema/schema.json")


@cache
def _validator(store_root: Path) -> Validator:
    store = SchemaStore(store_root)
    edc = json.loads(store.path(EDC_SCHEMA).read_text("utf-8"))
    attestation = json.loads(store.path(ATTESTATION_SCHEMA).read_text("utf-8"))
    return schema_validator({"$id": _BASE, **edc}, "2020-12",
                            [(_BASE, edc), (_ATTESTATION_URI, attestation)])


def validate_ebsi(doc: dict[str, Any], store: SchemaStore) -> list[Finding]:
    validator = _validator(store.root)
    findings = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        best = error
        if error.context:  # oneOf/anyOf: report the deepest reason
            best = max(error.context, key=lambda e: len(list(e.absolute_path)))
        message = best.message if len(best.message) < 300 else best.message[:297] + "..."
        findings.append(Finding(f"ebsi.{error.validator}", "error", where, message,
                                "follow the EBSI EDC schema 2.1.0 for this property"))
    return findings
