"""Catalogue fields LOQ has no place for: a register office is told each one it does not get,
and where the field does go, while the document stays valid against loq.xsd."""

from __future__ import annotations

from lxml import etree

from edcbridge.load import load_catalogue
from edcbridge.model import Catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.validation.findings import Finding
from edcbridge.vocab import CredentialType
from edcbridge.xml import loq, xsd
from tests.conftest import FIXTURES

CREDENTIAL_FIELDS = ("credential_type", "validity_years", "credit_currency_years")


def _galway() -> Catalogue:
    return load_catalogue(FIXTURES / "galway" / "catalogue.yaml")


def _notes(result: loq.LoqResult, code: str) -> dict[str, Finding]:
    """The notes on the credential fields of one specification, by field."""
    prefix = f"specifications[{code}]."
    return {f.where.removeprefix(prefix): f for f in result.findings
            if f.where.startswith(prefix) and f.where.removeprefix(prefix) in CREDENTIAL_FIELDS
            and f.code == "loq-loss" and f.severity == "info"}


def test_each_credential_field_given_is_noted_once_with_where_it_goes(store: SchemaStore) -> None:
    catalogue = _galway()
    whole, part = catalogue.specifications
    given = part.model_copy(update={"credential_type": CredentialType.QUALIFICATION_AWARD,
                                    "validity_years": 4, "credit_currency_years": 5})
    result = loq.to_loq(catalogue.model_copy(update={"specifications": (whole, given)}))
    notes = _notes(result, part.code)
    assert sorted(notes) == sorted(CREDENTIAL_FIELDS)
    assert [f.where for f in result.findings].count(f"specifications[{part.code}].validity_years") == 1
    assert all("not published in LOQ" in note.message for note in notes.values())
    assert "4" in notes["validity_years"].message and "validUntil" in notes["validity_years"].message
    assert "qualification-award" in notes["credential_type"].message
    assert "credentialProfiles" in notes["credential_type"].message
    currency = notes["credit_currency_years"]
    assert "5" in currency.message and "EDC" in currency.message and "further_information" in currency.fix
    for engine in ("lxml", "xmlschema"):
        assert not xsd.errors(result.tree, store, engine, xsd.LOQ_XSD)


def test_fields_the_catalogue_does_not_give_are_not_noted() -> None:
    """Galway's qualification writes its credential type and nothing of validity or currency."""
    catalogue = _galway()
    whole, _ = catalogue.specifications
    assert whole.validity_years is None and whole.credit_currency_years is None
    assert sorted(_notes(loq.to_loq(catalogue), whole.code)) == ["credential_type"]


def test_a_default_credential_type_the_catalogue_does_not_write_is_not_noted() -> None:
    catalogue = load_catalogue(FIXTURES / "warsaw" / "catalogue.yaml")
    (spec,) = catalogue.specifications
    assert spec.credential_type is CredentialType.GENERIC
    assert "credential_type" not in spec.model_fields_set
    assert sorted(_notes(loq.to_loq(catalogue), spec.code)) == ["validity_years"]


def _with_dids(catalogue: Catalogue, dids: dict[str, str]) -> Catalogue:
    organisations = tuple(o.model_copy(update={"did": dids[o.key]}) if o.key in dids else o
                          for o in catalogue.organisations)
    return catalogue.model_copy(update={"organisations": organisations})


def test_an_organisations_did_is_noted_once_with_where_it_goes(store: SchemaStore) -> None:
    """Galway awards both specifications and QQI accredits it: each is one record of the
    document, and each DID one note, while the document is the one written without them."""
    catalogue = _galway()
    dids = {"galway": "did:ebsi:zvHWX359A3CvfJnCYaAiAde", "qqi": "did:web:qqi.example.ie"}
    result = loq.to_loq(_with_dids(catalogue, dids))
    notes = [f for f in result.findings if f.where.endswith(".did")]
    assert sorted(f.where for f in notes) == [f"organisations[{key}].did" for key in sorted(dids)]
    for note in notes:
        key = note.where.removeprefix("organisations[").removesuffix("].did")
        assert note.code == "loq-loss" and note.severity == "info"
        assert dids[key] in note.message and "not published in LOQ" in note.message
        assert "issuer" in note.message and "EBSI" in note.message
    plain = loq.to_loq(catalogue)
    assert etree.tostring(result.tree) == etree.tostring(plain.tree)
    for engine in ("lxml", "xmlschema"):
        assert not xsd.errors(result.tree, store, engine, xsd.LOQ_XSD)


def test_an_organisation_without_a_did_gets_no_did_note() -> None:
    assert not [f for f in loq.to_loq(_galway()).findings if f.where.endswith(".did")]
