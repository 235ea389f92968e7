"""What the EBSI profile check says about a credential: exact messages about long values, node
classes and language keys, and the VCDM 2.0 dateTimeStamp rule the JSON Schema cannot state.
Expectations come from the official schema and from an XML Schema 1.1 processor."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import xmlschema

from edcbridge.schemas import SchemaStore
from edcbridge.validation.ebsi_schema import validate_ebsi
from tests.test_ebsi_profile import EBSI, _editable, _official_errors, _profile

_MESSAGE_LIMIT = 300


@cache
def _defs() -> dict[str, Any]:
    schema = json.loads((EBSI / "vcdm2.0-europass-edc-schema/schema.json").read_text("utf-8"))
    return schema["$defs"]  # type: ignore[no-any-return]


def _classes(union: str) -> list[str]:
    """The ``type`` each alternative of an official anyOf definition fixes, in order."""
    defs = _defs()
    return [defs[ref["$ref"].rsplit("/", 1)[1]]["properties"]["type"]["const"]
            for ref in defs[union]["anyOf"]]


@cache
def _date_time_stamp() -> xmlschema.XMLSchema11:
    return xmlschema.XMLSchema11(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:element name="d" type="xs:dateTimeStamp"/></xs:schema>')


def _is_date_time_stamp(value: str) -> bool:
    return bool(_date_time_stamp().is_valid(f"<d>{value}</d>"))


def test_a_long_value_is_cut_short_and_what_is_wrong_with_it_is_kept(store: SchemaStore) -> None:
    doc = _profile()
    doc["credentialSubject"] = [doc["credentialSubject"]]  # VCDM 2.0 allows it, the EDC schema not
    assert _official_errors(doc)
    findings = validate_ebsi(doc, store)
    assert [(f.code, f.where) for f in findings] == [("ebsi.type", "$.credentialSubject")]
    assert findings[0].message.endswith("is not of type 'object'")
    assert findings[0].message.startswith("[{'id': ")
    assert len(findings[0].message) < _MESSAGE_LIMIT


@pytest.mark.parametrize(("path", "union"), [
    (("credentialSubject",), "AgentOrPersonOrOrganisationType"),
    (("issuer",), "AgentOrPersonOrOrganisationType"),
    (("credentialSubject", "hasClaim"), "ClaimNodeType"),
])
def test_a_node_of_a_class_not_allowed_there_is_named_with_the_classes_that_are(
        store: SchemaStore, path: tuple[str, ...], union: str) -> None:
    doc = _profile()
    _editable(doc, *path)["type"] = "Organization"
    assert _official_errors(doc)
    where = "$." + ".".join(path) + ".type"
    findings = [f for f in validate_ebsi(doc, store) if f.where == where]
    assert [(f.code, f.message) for f in findings] == [
        ("ebsi.enum", f"'Organization' is not one of {_classes(union)!r}")]
    assert not any("was expected" in f.message for f in validate_ebsi(doc, store))


def test_a_node_with_one_class_allowed_names_that_class(store: SchemaStore) -> None:
    doc = _profile()
    doc["credentialSubject"]["contactPoint"]["type"] = "Contact"
    assert _official_errors(doc)
    expected = _defs()["ContactPointType"]["properties"]["type"]["const"]
    assert [(f.code, f.where, f.message) for f in validate_ebsi(doc, store)] == [
        ("ebsi.const", "$.credentialSubject.contactPoint.type", f"{expected!r} was expected")]


def test_a_language_key_the_schema_refuses_is_named_without_the_list_of_codes(store: SchemaStore) -> None:
    doc = _profile()
    _editable(doc, "displayParameter")["title"] = {"en-GB": "Machine Learning for Health Data"}
    assert _official_errors(doc)
    findings = validate_ebsi(doc, store)
    assert [(f.code, f.where) for f in findings] == [("ebsi.pattern", "$.displayParameter.title")]
    assert "'en-GB'" in findings[0].message and "ISO 639-1" in findings[0].message
    assert "^(aa|" not in findings[0].message


@pytest.mark.parametrize("value", ["2025-07-14t00:00:00z", "2025-07-14T00:00:00+15:00",
                                   "2025-07-14T00:00:00-14:30"])
@pytest.mark.parametrize("key", ["validFrom", "validUntil"])
def test_a_validity_date_in_rfc_3339_but_no_date_time_stamp_is_an_error(
        store: SchemaStore, key: str, value: str) -> None:
    """VCDM 2.0 (4.9) asks for an XML Schema dateTimeStamp; the schema's date-time is RFC 3339."""
    assert not _is_date_time_stamp(value)
    doc = _profile()
    doc["validFrom"] = "2020-01-01T00:00:00Z"
    doc[key] = value
    assert _official_errors(doc) == []  # the JSON Schema lets it through
    findings = validate_ebsi(doc, store)
    assert [(f.code, f.severity, f.where) for f in findings] == [("ebsi.dateTimeStamp", "error", f"$.{key}")]
    assert repr(value) in findings[0].message and "dateTimeStamp" in findings[0].message


@pytest.mark.parametrize("value", ["2025-07-14T00:00:00Z", "2025-07-14T00:00:00+14:00",
                                   "2025-07-14T00:00:00.250-00:00", "2025-07-14T01:30:00+01:30"])
def test_a_date_time_stamp_passes(store: SchemaStore, value: str) -> None:
    assert _is_date_time_stamp(value)
    doc = _profile()
    doc["validFrom"] = value
    assert _official_errors(doc) == []
    assert validate_ebsi(doc, store) == []


def test_a_date_the_schema_refuses_is_reported_once(store: SchemaStore) -> None:
    doc = _profile()
    doc["validFrom"] = "2025-07-14T00:00:00"
    assert not _is_date_time_stamp(doc["validFrom"]) and _official_errors(doc)
    assert [(f.code, f.where) for f in validate_ebsi(doc, store)] == [("ebsi.format", "$.validFrom")]
