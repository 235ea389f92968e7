"""The official JSON Schemas' formats (date-time, uri, duration) are checked, not passed silently:
jsonschema checks them only with optional packages, which edcbridge depends on."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from jsonschema import FormatChecker

from edcbridge.badges import open_badge, validate_badge
from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.mapping.edc import to_edc
from edcbridge.schemas import SchemaStore
from edcbridge.validation import json_schema
from edcbridge.validation.ebsi_schema import validate_ebsi
from tests.preview_support import first_award


def test_an_ebsi_credential_with_a_date_not_in_rfc_3339_or_an_id_not_a_uri_fails(store: SchemaStore) -> None:
    award, catalogue = first_award("imperial")
    good = to_ebsi(to_edc(award, catalogue))
    assert validate_ebsi(good, store) == []
    bad = copy.deepcopy(good)
    bad["issued"] = "14/07/2025"
    bad["validFrom"] = "2025-07-14T00:00:00"  # no time zone: EBSI refuses it
    bad["id"] = "not a uri"
    found = {(f.where, f.message) for f in validate_ebsi(bad, store)}
    assert ("$.issued", "'14/07/2025' is not a 'date-time'") in found
    assert ("$.validFrom", "'2025-07-14T00:00:00' is not a 'date-time'") in found
    assert ("$.id", "'not a uri' is not a 'uri'") in found


def test_an_open_badge_with_a_date_not_in_rfc_3339_fails(reference: Path) -> None:
    award, catalogue = first_award("wales")
    bad = open_badge(award, catalogue)
    bad["validFrom"] = "30/05/2025"
    findings = validate_badge(bad, reference / "ob3-clr")
    assert any("'30/05/2025' is not a 'date-time'" in f.message for f in findings)


def test_no_validator_is_made_when_a_format_cannot_be_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    class WithoutDateTime(FormatChecker):
        def __init__(self) -> None:
            super().__init__()
            self.checkers = {k: v for k, v in self.checkers.items() if k != "date-time"}

    monkeypatch.setattr(json_schema, "FormatChecker", WithoutDateTime)
    with pytest.raises(json_schema.FormatsNotCheckedError,
                       match=r"formats date-time here.*install rfc3339-validator"):
        json_schema.validator({"type": "object"}, "2020-12")


@pytest.mark.parametrize(("value", "valid"), [
    ("maria.ivanova@example.bg", True), ("o'neill+mc@example.ie", True), ('"a b"@example.org', True),
    ("x@[192.0.2.1]", True), ("mailto:maria@example.bg", False), ("мария@пример.бг", False),
    ("a b@example.org", False), ("a..b@example.org", False), ("a@", False), ("@example.org", False),
    ("a@-example.org", False)])
def test_an_email_format_is_an_rfc_5321_mailbox_not_any_text_with_an_at(value: str, valid: bool) -> None:
    check = json_schema.validator({"format": "email"}, "2020-12")
    assert check.is_valid(value) is valid


def test_a_schema_that_reaches_a_meta_schema_is_checked_as_jsonschema_checks_it() -> None:
    """The meta-schemas use $dynamicRef, whose target depends on the path taken: a validator
    whose schemas lead there (or hold a dynamic anchor) follows jsonschema's path for every
    reference, not one remembered from another path."""
    meta = "https://json-schema.org/draft/2020-12/schema"
    schema = {"$id": "https://example.org/root", "properties": {"a": {"$ref": "https://example.org/A"},
                                                                "b": {"$ref": "https://example.org/B"}}}
    resources = [("https://example.org/A", {"$id": "https://example.org/A", "$dynamicAnchor": "meta",
                                            "type": "object", "$ref": "https://example.org/B"}),
                 ("https://example.org/B", {"$id": "https://example.org/B", "$ref": meta})]
    instance = {"a": {}, "b": {"properties": {"x": True}}}
    ours = [e.message for e in json_schema.validator(schema, "2020-12", resources).iter_errors(instance)]
    plain = [e.message for e in json_schema.validator(schema, "2020-12", resources, plain=True)
             .iter_errors(instance)]
    assert ours == plain
