"""The EBSI VCDM 2.0 EDC JSON Schema (2020-12), offline, and the VCDM 2.0 rules it cannot state."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from edcbridge.mapping.ebsi import JSON_SCHEMA, V2
from edcbridge.mapping.nodes import Frozen
from edcbridge.schemas import SchemaStore
from edcbridge.validation.findings import Finding
from edcbridge.validation.json_schema import ValidationError, Validator
from edcbridge.validation.json_schema import validator as schema_validator

EDC_SCHEMA = "ebsi-edc-schema/vcdm2.0-europass-edc-schema/schema.json"
ATTESTATION_SCHEMA = "ebsi-edc-schema/vcdm2.0-attestation-schema/schema.json"
_BASE = "file:///ebsi/vcdm2.0-europass-edc-schema/schema.json"
_ATTESTATION_URI = ("file:///ebsi/vcdm2.0-europass-edc-schema/node_modules/@cef-ebsi/"
                    "vcdm2.0-attestation-schema/schema.json")
_FIX = "follow the EBSI EDC schema 2.1.0 for this property"
_MESSAGE_LIMIT = 300
_SHOWN_VALUE_LIMIT = 80
# XML Schema 1.1 dateTimeStamp (VCDM 2.0 4.9): RFC 3339 (the schema's "date-time") also lets
# through a lower-case "t" or "z" and offsets beyond 14 hours, which dateTimeStamp does not
_DATE_TIME_STAMP = re.compile(
    r"-?(?:[1-9][0-9]{3,}|0[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
    r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))")


def ebsi_validator(store: SchemaStore, *, remember_shared: bool = True) -> Validator:
    """The validator of the EDC schema 2.1.0. With ``remember_shared``, a shared catalogue
    node found valid at a ``$ref`` is not checked there again, in this credential or a later
    one: the same findings, while a batch checks the issuer or the qualification once."""
    return _validator(store.root, remember_shared)


@cache
def _validator(store_root: Path, remember_shared: bool) -> Validator:
    store = SchemaStore(store_root)
    edc = json.loads(store.path(EDC_SCHEMA).read_text("utf-8"))
    attestation = json.loads(store.path(ATTESTATION_SCHEMA).read_text("utf-8"))
    return schema_validator({"$id": _BASE, **edc}, "2020-12",
                            [(_BASE, edc), (_ATTESTATION_URI, attestation)],
                            immutable=(Frozen,), plain=not remember_shared)


def validate_ebsi(doc: dict[str, Any], store: SchemaStore,
                  validator: Validator | None = None) -> list[Finding]:
    """The findings on an EBSI profile, by ``validator`` if given (one of
    :func:`ebsi_validator`), else by the one that remembers shared nodes."""
    if validator is None:
        validator = ebsi_validator(store)
    findings: list[Finding] = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        for cause in _causes(error):
            finding = Finding(f"ebsi.{cause.validator}", "error", _where(cause.absolute_path),
                              _message(cause), _FIX)
            if finding not in findings:
                findings.append(finding)
    return (findings + vcdm2_findings(doc) + _date_time_stamp_findings(doc, validator)
            + _schema_findings(doc))


def _message(error: ValidationError) -> str:
    """The message with a long value cut short, so that what is wrong with it (said after the
    value: "... is not of type 'object'") stays in the message. A language map's key is named
    as such, not matched against the schema's 570-character list of codes."""
    if error.validator == "pattern" and "propertyNames" in error.absolute_schema_path:
        return (f"{error.instance!r} is not a language key the schema accepts: a two-letter "
                "ISO 639-1 code such as 'en'")
    message: str = error.message
    shown = repr(error.instance)
    if len(shown) > _SHOWN_VALUE_LIMIT and shown in message:
        message = message.replace(shown, shown[:_SHOWN_VALUE_LIMIT - 3] + "...")
    return message if len(message) < _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT - 3] + "..."


def _where(path: Sequence[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _causes(error: ValidationError) -> list[ValidationError]:
    """What to report for one error. For anyOf/oneOf, the errors of the one alternative that
    fits the node (its JSON type and its ``type`` property), not the last alternative's
    ("'Agent' was expected" about a Person with a bad name); else the deepest error."""
    if not error.context:
        return [error]
    depth = len(error.absolute_path)
    fitting = [errors for errors in _alternatives(error).values()
               if not any(_misfit(e, depth) for e in errors)]
    if len(fitting) == 1:
        return [cause for e in fitting[0] for cause in _causes(e)]
    if not fitting and isinstance(error.instance, dict) and isinstance(error.instance.get("type"), str):
        expected = _expected_types(error, depth)
        if expected and error.instance["type"] not in expected:
            return [_unexpected_type(error, expected)]
    return [max(error.context, key=lambda e: len(e.absolute_path))]


def _expected_types(error: ValidationError, depth: int) -> list[str]:
    """The ``type`` values the alternatives of an anyOf/oneOf accept for the node, in order."""
    expected: list[str] = []
    for e in error.context or ():
        path = list(e.absolute_path)
        if e.validator == "const" and len(path) == depth + 1 and path[-1] == "type":
            found = [e.validator_value]
        elif e.validator in ("anyOf", "oneOf") and len(path) == depth:
            found = _expected_types(e, depth)
        else:
            continue
        expected += [t for t in found if isinstance(t, str) and t not in expected]
    return expected


def _unexpected_type(error: ValidationError, expected: list[str]) -> ValidationError:
    """A node typed as none of the classes allowed where it is: said of its ``type``, with the
    classes allowed (not "'Agent' was expected" about a node meant as a Person)."""
    value = error.instance["type"]
    if len(expected) == 1:
        return ValidationError(f"{expected[0]!r} was expected", validator="const",
                               path=[*error.absolute_path, "type"], instance=value)
    return ValidationError(f"{value!r} is not one of {expected!r}", validator="enum",
                           path=[*error.absolute_path, "type"], instance=value)


def _alternatives(error: ValidationError) -> dict[Any, list[ValidationError]]:
    groups: dict[Any, list[ValidationError]] = defaultdict(list)
    for e in error.context or ():
        groups[e.relative_schema_path[0]].append(e)
    return groups


def _misfit(error: ValidationError, depth: int) -> bool:
    """Whether the error says the alternative is for another kind of node."""
    path = list(error.absolute_path)
    if error.validator == "type" and len(path) == depth:
        return True
    if error.validator == "const" and len(path) == depth + 1 and path[-1] == "type":
        return True
    if error.validator in ("anyOf", "oneOf") and len(path) == depth:
        return all(any(_misfit(e, depth) for e in errors) for errors in _alternatives(error).values())
    return False


def vcdm2_findings(doc: dict[str, Any]) -> list[Finding]:
    """VCDM 2.0 rules the JSON Schema does not state: the base context comes first (4.3), and
    validUntil is not before validFrom (4.9)."""
    findings = []
    context = doc.get("@context")
    if isinstance(context, list) and context and context[0] != V2:
        findings.append(Finding("ebsi.context", "error", "$.@context[0]",
                                f"the first context is {context[0]!r}, not {V2!r}",
                                f"put {V2} first in @context"))
    start, end = _instant(doc.get("validFrom")), _instant(doc.get("validUntil"))
    if start is not None and end is not None and end < start:
        findings.append(Finding("ebsi.validity", "error", "$.validUntil",
                                f"validUntil {doc['validUntil']} is before validFrom {doc['validFrom']}",
                                "make validUntil the same as validFrom or later"))
    return findings


def _date_time_stamp_findings(doc: dict[str, Any], validator: Validator) -> list[Finding]:
    """validFrom and validUntil that pass the schema's RFC 3339 "date-time" but are no XML
    Schema dateTimeStamp, which VCDM 2.0 (4.9) requires (the schema reports the others)."""
    checker = validator.format_checker
    findings = []
    for key in ("validFrom", "validUntil"):
        value = doc.get(key)
        if (isinstance(value, str) and not _DATE_TIME_STAMP.fullmatch(value)
                and (checker is None or checker.conforms(value, "date-time"))):
            findings.append(Finding(
                "ebsi.dateTimeStamp", "error", f"$.{key}",
                f"{key} {value!r} is not an XML Schema dateTimeStamp, which VCDM 2.0 requires: "
                "'T' and 'Z' in capitals, a time zone offset from -14:00 to +14:00",
                f"write {key} in UTC like 2025-07-14T00:00:00Z"))
    return findings


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None  # the schema's date-time format reports it
    return moment if moment.tzinfo is not None else None


def _schema_findings(doc: dict[str, Any]) -> list[Finding]:
    """EBSI verifiers check a credential against the JSON Schemas its credentialSchema names
    in the Trusted Schemas Registry: without one, nothing of the EDC schema is checked."""
    schemas = doc.get("credentialSchema")
    entries = schemas if isinstance(schemas, list) else [schemas]
    if schemas is None or any(isinstance(e, dict) and e.get("type") == "JsonSchema" for e in entries):
        return []
    return [Finding("ebsi.credentialSchema", "warning", "$.credentialSchema",
                    "no credentialSchema of type JsonSchema: EBSI verifiers would not check the "
                    "credential against the EDC schema",
                    f"add {json.dumps(JSON_SCHEMA)} (the EBSI EDC schema 2.1.0)")]
