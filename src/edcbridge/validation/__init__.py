"""Validation of credentials: official shapes or schema, lints, Annex I, policy profiles."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from edcbridge.mapping.ebsi import is_ebsi
from edcbridge.schemas import SchemaStore
from edcbridge.validation.annex1 import NOT_A_MICRO_CREDENTIAL, check_annex1, only_activities
from edcbridge.validation.document import as_list, not_an_edc
from edcbridge.validation.findings import Finding, Report, Severity
from edcbridge.validation.lints import lint
from edcbridge.validation.policy import PROFILES, check_document

__all__ = ["Finding", "Report", "Request", "validate_credential", "validate_credentials"]

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
    checked = _Checked(doc, source, policies, annex1, shapes)
    for check in _CHECKS:
        check(checked, store)
    return checked.report


@dataclass(frozen=True)
class Request:
    """One credential to validate in a batch, with the options of :func:`validate_credential`."""

    doc: dict[str, Any]
    source: str = ""
    policies: tuple[str, ...] = ()
    annex1: Severity | None = "warning"


def validate_credentials(requests: list[Request], store: SchemaStore) -> list[Report | Exception]:
    """:func:`validate_credential` of each request, the same reports, made check by check over
    the whole batch (every document's lints, then every document's shapes, ...): each check's
    code and data stay in the processor's caches (measured: about 15% less time than one
    document after the other). A document whose check raised gets its exception instead of
    a report; the others are not affected."""
    checked: list[_Checked | Exception] = []
    for r in requests:
        try:
            checked.append(_Checked(r.doc, r.source, r.policies, r.annex1, True))
        except Exception as exc:  # a document that is no mapping, say: its own failure
            checked.append(exc)
    for check in _CHECKS:
        for index, item in enumerate(checked):
            if isinstance(item, _Checked):
                try:
                    check(item, store)
                except Exception as exc:  # this document's bug, not the batch's
                    checked[index] = exc
    return [item.report if isinstance(item, _Checked) else item for item in checked]


class _Checked:
    """A credential on its way through the checks, and its report so far."""

    def __init__(self, doc: dict[str, Any], source: str, policies: tuple[str, ...],
                 annex1: Severity | None, shapes: bool) -> None:
        self.doc, self.report, self.shapes = doc, Report(source), shapes
        self.ebsi = is_ebsi(doc)
        self.profiles = [PROFILES[name] for name in policies if name in PROFILES]
        self.annex1: Severity | None = "error" if any(p.annex1_mandatory for p in self.profiles) else annex1


def _schema(checked: _Checked, store: SchemaStore) -> None:
    """The EBSI profile's JSON Schema, or the lints of EDC JSON-LD."""
    if checked.ebsi:
        from edcbridge.validation.ebsi_schema import validate_ebsi

        checked.report.extend("ebsi-json-schema", validate_ebsi(checked.doc, store))
    else:
        checked.report.extend("lint", lint(checked.doc, store))


def _shapes(checked: _Checked, store: SchemaStore) -> None:
    if checked.ebsi:
        return
    problem = not_an_edc(checked.doc, *_terms(checked.doc, store))  # the shapes would find nothing: said
    found = [Finding("shacl.not-an-edc", "error", "$.type", problem, "give an EDC: a credential typed "
                     "EuropeanDigitalCredential with the EDC JSON-LD context")] if problem else []
    if checked.shapes:
        found += _shacl(checked.doc, store)
    if found or checked.shapes:
        checked.report.extend("shacl", found)


def _terms(doc: dict[str, Any], store: SchemaStore) -> tuple[dict[str, str], bool]:
    """The terms the document's contexts define (full IRIs), and whether every context it names
    is one edcbridge holds."""
    from edcbridge.validation.jsonld import CONTEXTS, context_terms

    named = [context for context in as_list(doc.get("@context")) if isinstance(context, str)]
    return context_terms(doc, store), all(context in CONTEXTS for context in named)


def _annex1(checked: _Checked, store: SchemaStore) -> None:
    if checked.annex1 is None:
        return
    found = [NOT_A_MICRO_CREDENTIAL] if only_activities(checked.doc) \
        else check_annex1(checked.doc, checked.annex1)
    checked.report.extend("annex1", in_subject(found))


def _policies(checked: _Checked, store: SchemaStore) -> None:
    if not checked.profiles:
        return
    if only_activities(checked.doc):  # the note of the Annex I check says why
        found: list[tuple[Finding, ...]] = [() for _ in checked.profiles]
    else:
        found = check_document(checked.doc, checked.profiles)
    for profile, findings in zip(checked.profiles, found, strict=True):
        checked.report.extend(f"policy:{profile.name}", in_subject(findings))


def _older_elm(checked: _Checked, store: SchemaStore) -> None:
    report = checked.report
    if not report.ok and not checked.ebsi:
        report.findings[:0] = older_elm_note(checked.doc, report.findings)


# In the order their findings are reported.
_CHECKS = (_schema, _shapes, _annex1, _policies, _older_elm)


SUBJECT_PATH = "$.credentialSubject."


def in_subject(findings: Iterable[Finding]) -> list[Finding]:
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
