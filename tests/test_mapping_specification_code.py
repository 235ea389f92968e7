"""A credential's specification carries its code (the course code, as the EC's Diploma
Supplement and degree samples carry one on each qualification, and as the EDC XML export does),
so a verifier can match it, and a credential read back keeps it rather than a code made from
its title. Checked with pyshacl and the official shapes too."""

from __future__ import annotations

import json
from typing import Any

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.xml.importer import import_bytes
from tests.conftest import FIXTURES
from tests.test_official_conformance import _conforms

GALWAY = FIXTURES / "galway"


def _credentials() -> list[dict[str, Any]]:
    catalogue = load_catalogue(GALWAY / "catalogue.yaml")
    return [to_edc(r.award, catalogue) for r in iter_awards(GALWAY / "awards.jsonl", catalogue)
            if r.award is not None]


def _code(specification: dict[str, Any]) -> tuple[str, str]:
    identifier = specification["identifier"]
    assert identifier["type"] == "Identifier" and identifier["id"].startswith("urn:epass:identifier:")
    return identifier["schemeName"], identifier["notation"]


def test_the_specification_and_those_it_names_carry_their_codes() -> None:
    docs = _credentials()
    module = next(d for d in docs if d["credentialSubject"]["hasClaim"]["specifiedBy"].get("isPartOf"))
    programme = next(d for d in docs if d["credentialSubject"]["hasClaim"]["specifiedBy"].get("hasPart"))
    spec = module["credentialSubject"]["hasClaim"]["specifiedBy"]
    assert _code(spec) == ("Specification code", "GAL-MC-PYDA")
    assert [_code(parent) for parent in spec["isPartOf"]] == [("Specification code", "GAL-PGCERT-DA")]
    parts = programme["credentialSubject"]["hasClaim"]["specifiedBy"]["hasPart"]
    assert [_code(part) for part in parts] == [("Specification code", "GAL-MC-PYDA")]
    conforms, report = _conforms(module)
    assert conforms, report


def test_a_credential_read_back_keeps_its_specification_code() -> None:
    for doc in _credentials():
        imported = import_bytes(json.dumps(doc).encode(), "credential.jsonld")
        assert imported.award.specification == _code(doc["credentialSubject"]["hasClaim"]["specifiedBy"])[1]
