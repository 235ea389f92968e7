"""Reading a credential never guesses: what the document does not say is left out with a note,
not filled in with a default that changes its meaning."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.vocab import CreditSystem
from edcbridge.xml import edc12, xsd
from edcbridge.xml.importer import import_bytes
from tests.xml_support import fixture_awards

ECVET_12 = "http://data.europa.eu/europass/educationalCreditPointSystem/ecvet"
NATIONAL = "http://example.org/credit-system/national-credits"


@pytest.fixture(scope="module")
def award(fixture_sets: list[tuple[Path, list[Path]]]) -> tuple[Award, Catalogue]:
    _, first, catalogue = next(item for item in fixture_awards(fixture_sets) if item[0] == "imperial")
    return first, catalogue


def _with_credit_points(award: tuple[Award, Catalogue], attributes: str) -> bytes:
    """The award as XML 1.2 whose ECTS points are written as ``hasCreditPoints`` instead."""
    data = edc12.serialise(edc12.to_edc_xml(*award)).decode()
    changed, count = re.subn(r"<hasECTSCreditPoints [^>]*>([^<]*)</hasECTSCreditPoints>",
                             rf"<hasCreditPoints{attributes}>\1</hasCreditPoints>", data, count=1)
    assert count == 1
    return changed.encode()


def test_xml_credit_points_without_a_system_are_not_read_as_ects(award: tuple[Award, Catalogue],
                                                                 store: SchemaStore) -> None:
    data = _with_credit_points(award, "")
    assert not xsd.errors(etree.fromstring(data).getroottree(), store)  # the official schema allows it
    imported = import_bytes(data)
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.credits is None and spec.ects is None
    assert any("unknown credit system (none named)" in note for note in imported.notes), imported.notes


def test_xml_credit_points_keep_the_system_they_name(award: tuple[Award, Catalogue],
                                                     store: SchemaStore) -> None:
    data = _with_credit_points(award, f' schemeID="{ECVET_12}"')
    assert not xsd.errors(etree.fromstring(data).getroottree(), store)
    imported = import_bytes(data)
    spec = imported.catalogue.specification(imported.award.specification)
    original = award[1].specification(award[0].specification)
    assert spec is not None and original is not None
    assert (spec.credits, spec.credit_system) == (original.credits, CreditSystem.ECVET)


def test_json_ld_credit_points_in_another_system_are_not_read_as_ects(award: tuple[Award, Catalogue]) -> None:
    credential = to_edc(*award)
    text = json.dumps(credential).replace(f'"framework": {{"id": "{CreditSystem.ECTS.value}"',
                                          f'"framework": {{"id": "{NATIONAL}"', 1)
    assert NATIONAL in text
    imported = import_bytes(text.encode())
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.credits is None and spec.ects is None
    assert any(NATIONAL in note for note in imported.notes), imported.notes


def test_json_ld_uk_credits_are_read_as_ects_with_a_note(award: tuple[Award, Catalogue]) -> None:
    """UK credits are 2 to the ECTS credit, as the frameworks count them (policy profiles)."""
    credential = json.loads(json.dumps(to_edc(*award)))
    spec_node = credential["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec_node["creditPoint"] = {"type": "CreditPoint", "point": "15", "framework": {
        "id": "urn:example:cats", "type": "Concept", "prefLabel": {"en": "UK credits (CATS)"}}}
    imported = import_bytes(json.dumps(credential).encode())
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.ects == 7.5
    assert "15 UK credits are read as 7.5 ECTS credits, at 2 UK credits to the ECTS credit" in imported.notes


def test_a_duration_in_years_is_read_in_months(award: tuple[Award, Catalogue], store: SchemaStore) -> None:
    data = edc12.serialise(edc12.to_edc_xml(*award)).decode()
    changed, count = re.subn(r"<duration>P\d+M</duration>", "<duration>P1Y6M</duration>", data, count=1)
    assert count == 1
    assert not xsd.errors(etree.fromstring(changed.encode()).getroottree(), store)
    imported = import_bytes(changed.encode())
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.max_duration_months == 18


def test_a_volume_of_learning_not_in_hours_is_noted(award: tuple[Award, Catalogue],
                                                    store: SchemaStore) -> None:
    data = edc12.serialise(edc12.to_edc_xml(*award)).decode()
    changed, count = re.subn(r"<volumeOfLearning>[^<]*</volumeOfLearning>",
                             "<volumeOfLearning>P2M</volumeOfLearning>", data, count=1)
    assert count == 1
    assert not xsd.errors(etree.fromstring(changed.encode()).getroottree(), store)
    imported = import_bytes(changed.encode())
    spec = imported.catalogue.specification(imported.award.specification)
    assert spec is not None and spec.hours is None
    assert any("volumeOfLearning 'P2M' was left out" in note for note in imported.notes), imported.notes


def test_a_registration_named_after_its_register_is_kept(award: tuple[Award, Catalogue],
                                                         store: SchemaStore) -> None:
    data = edc12.serialise(edc12.to_edc_xml(*award)).decode()
    changed = data.replace('<registration schemeName="registration">',
                           '<registration schemeName="Companies House">')
    assert changed != data
    assert not xsd.errors(etree.fromstring(changed.encode()).getroottree(), store)
    imported = import_bytes(changed.encode())
    issuer = award[1].organisation(award[0].issuer or award[1].issuer)
    assert issuer.registration
    assert imported.catalogue.organisation(imported.catalogue.issuer).registration == issuer.registration
