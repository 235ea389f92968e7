"""Validation of credentials: official shapes or schema, lints, Annex I, policy profiles."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import replace
from typing import Any

from edcbridge.mapping.ebsi import is_ebsi
from edcbridge.schemas import SchemaStore
from edcbridge.validation.annex1 import check_annex1
from edcbridge.validation.document import as_list
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
        report.extend("annex1", in_subject(check_annex1(doc, annex1)))
    facts = facts_from_document(doc)
    for profile in profiles:
        report.extend(f"policy:{profile.name}", in_subject(check_policy(facts, profile)))
    if not report.ok and not ebsi:
        report.findings[:0] = older_elm_note(doc, report.findings)
    return report


SUBJECT_PATH = "$.credentialSubject."


def in_subject(findings: list[Finding]) -> list[Finding]:
    """Findings placed in the credential subject (Annex I elements, policy facts), with the
    JSONPath from the document's root that the other checks give."""
    return [replace(f, where=SUBJECT_PATH + f.where) for f in findings]


# What ELM 3.0 and 3.1 wrote where EDC 3.2 writes something else (formats.md: 3.1 to 3.2 breaks)
_TYPED_NODE_IN_32 = {"credentialStatus": "CredentialStatus", "termsOfUse": "TermsOfUse"}
_OLDER_KEYS = {"cred:proof": "proof (3.2: sec:proof, a Proof node)",
               "resultDestribution": "resultDestribution (3.2: resultDistribution)"}


def older_elm_note(doc: dict[str, Any], findings: list[Finding]) -> list[Finding]:
    """One warning when a credential written to ELM 3.0/3.1 fails the 3.2 shapes, naming the
    findings that come from the version rather than from the content (run only on failures)."""
    marks = [f"{key} as a typed value (3.2: a {cls} node)" for key, cls in _TYPED_NODE_IN_32.items()
             if any(isinstance(v, dict) and "@value" in v for v in as_list(doc.get(key)))]
    marks += [text for key, text in _OLDER_KEYS.items()
              if key in doc or any(key in _segments(f.where) for f in findings)]
    if not marks:
        return []
    names = {*_TYPED_NODE_IN_32, *_OLDER_KEYS}
    caused = sorted({f.where for f in findings if f.severity == "error" and names & _segments(f.where)})
    return [Finding(
        "version.older-elm", "warning", "$",
        f"written to ELM 3.1 or earlier ({'; '.join(marks)}) but checked against the EDC 3.2 shapes, "
        f"and 3.1 to 3.2 is a breaking change: the findings at {', '.join(caused) or 'these keys'} "
        "come from the version, not from the content",
        "ask the issuer for the credential in EDC 3.2 (edcbridge checks EDC 3.2 only); the other "
        "findings are problems under 3.2 too")]


def _segments(where: str) -> set[str]:
    """The keys of a finding's path: ``$.a[0].b`` gives a and b."""
    return set(re.split(r"[.\[\]]+", where))


SHACL_ENGINE_ENV = "EDCBRIDGE_SHACL_ENGINE"


def _shacl(doc: dict[str, Any], store: SchemaStore) -> list[Finding]:
    """The official shapes: by the compiled checker (same results as pyshacl, proven by the
    differential tests), or by pyshacl itself with EDCBRIDGE_SHACL_ENGINE=pyshacl."""
    if os.environ.get(SHACL_ENGINE_ENV) == "pyshacl":
        from edcbridge.validation.shacl import validate_shacl

        return validate_shacl(doc, store)
    from edcbridge.validation.fastshacl import validate_fast

    return validate_fast(doc, store)
