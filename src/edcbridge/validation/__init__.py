"""Validation of credentials: official shapes or schema, lints, Annex I, policy profiles."""

from __future__ import annotations

import logging
import os
from typing import Any

from edcbridge.mapping.ebsi import is_ebsi
from edcbridge.schemas import SchemaStore
from edcbridge.validation.annex1 import check_annex1
from edcbridge.validation.findings import Finding, Report, Severity
from edcbridge.validation.lints import lint
from edcbridge.validation.policy import PROFILES, check_policy, facts_from_document

__all__ = ["Finding", "Report", "validate_credential"]

# rdflib logs a traceback for each literal it cannot read (a date written "yesterday"); that
# is a finding of ours, reported with its fix, not a crash to show people.
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)


def validate_credential(doc: dict[str, Any], store: SchemaStore, *, source: str = "",
                        policies: tuple[str, ...] = (), annex1: Severity | None = "warning",
                        shapes: bool = True) -> Report:
    """Every check that applies to one (unwrapped) credential.

    EDC JSON-LD goes through the official SHACL shapes; the EBSI profile through its JSON
    Schema. ``annex1`` sets how a missing Annex I element counts (the ``eu-council`` policy
    makes it an error); ``None`` skips the check.
    """
    report = Report(source)
    ebsi = is_ebsi(doc)
    if ebsi:
        from edcbridge.validation.ebsi_schema import validate_ebsi

        report.extend("ebsi-json-schema", validate_ebsi(doc, store))
    else:
        report.extend("lint", lint(doc, store))
        if shapes:
            report.extend("shacl", _shacl(doc, store))
    profiles = [PROFILES[name] for name in policies if name in PROFILES]
    if any(p.annex1_mandatory for p in profiles):
        annex1 = "error"
    if annex1 is not None:
        report.extend("annex1", check_annex1(doc, annex1))
    facts = facts_from_document(doc)
    for profile in profiles:
        report.extend(f"policy:{profile.name}", check_policy(facts, profile))
    return report


SHACL_ENGINE_ENV = "EDCBRIDGE_SHACL_ENGINE"


def _shacl(doc: dict[str, Any], store: SchemaStore) -> list[Finding]:
    """The official shapes: by the compiled checker (same results as pyshacl, proven by the
    differential tests), or by pyshacl itself with EDCBRIDGE_SHACL_ENGINE=pyshacl."""
    if os.environ.get(SHACL_ENGINE_ENV) == "pyshacl":
        from edcbridge.validation.shacl import validate_shacl

        return validate_shacl(doc, store)
    from edcbridge.validation.fastshacl import validate_fast

    return validate_fast(doc, store)
