"""Each mandatory element removed in turn: the credential fails, naming that element."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.validation import validate_credential
from edcbridge.validation.document import walk
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def credential() -> dict[str, Any]:
    catalogue = load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")
    award = next(r.award for r in iter_awards(FIXTURES / "imperial" / "awards.csv", catalogue) if r.award)
    return to_edc(award, catalogue)


# (path to the node, key removed) for the mandatory properties of formats.md section 6
MANDATORY = [
    ((), "credentialProfiles"), ((), "displayParameter"), ((), "issuer"), ((), "credentialSubject"),
    ((), "issued"), ((), "validFrom"), ((), "credentialSchema"),
    (("issuer",), "eIDASIdentifier"), (("issuer",), "legalName"), (("issuer",), "location"),
    (("issuer", "eIDASIdentifier"), "notation"), (("issuer", "eIDASIdentifier"), "spatial"),
    (("issuer", "location", "address"), "countryCode"),
    (("displayParameter",), "title"), (("displayParameter",), "language"),
    (("displayParameter",), "primaryLanguage"), (("displayParameter",), "individualDisplay"),
    (("credentialSubject",), "hasClaim"),
    (("credentialSubject", "hasClaim"), "title"), (("credentialSubject", "hasClaim"), "awardedBy"),
    (("credentialSubject", "hasClaim", "awardedBy"), "awardingBody"),
    (("credentialSubject", "hasClaim", "provenBy"), "grade"),
    (("credentialSubject", "hasClaim", "provenBy"), "title"),
    (("credentialSubject", "hasClaim", "specifiedBy"), "title"),
    (("credentialSubject", "hasClaim", "specifiedBy", "creditPoint"), "point"),
    (("credentialSubject", "hasClaim", "specifiedBy", "creditPoint"), "framework"),
]


def _node(doc: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = doc
    for key in path:
        node = node[key]
        if isinstance(node, list):
            node = node[0]
    return node  # type: ignore[no-any-return]


@pytest.mark.parametrize(("path", "key"), MANDATORY, ids=[".".join((*p, k)) for p, k in MANDATORY])
def test_removing_a_mandatory_element_fails_with_its_name(store, credential: dict[str, Any],
                                                          path: tuple[str, ...], key: str) -> None:
    mutant = copy.deepcopy(credential)
    # nodes are embedded as full copies: cut the key from every copy, as a mapper bug would
    target = _node(mutant, path)
    for _, node in walk(mutant):
        if node is target or (node.get("id") is not None and node.get("id") == target.get("id")):
            node.pop(key, None)
    report = validate_credential(mutant, store, annex1=None)
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors, f"removing {key} went unnoticed"
    assert any(f.where.endswith(f".{key}") or key in f.message for f in errors), \
        [f.render() for f in errors]


def test_corrupted_vocabulary_reference_fails(store, credential: dict[str, Any]) -> None:
    mutant = copy.deepcopy(credential)
    country = mutant["issuer"]["location"]["address"]["countryCode"]["id"]
    for _, node in walk(mutant):  # every copy of the concept, as a wrong code list would
        if node.get("id") == country:
            node["inScheme"] = {"id": "http://example.org/not-the-country-list", "type": "ConceptScheme"}
    report = validate_credential(mutant, store, annex1=None)
    assert any(f.code.startswith("shacl.") and f.where.endswith("countryCode") for f in report.findings)


def test_misspelt_key_is_caught_before_it_vanishes(store, credential: dict[str, Any]) -> None:
    mutant = copy.deepcopy(credential)
    spec = mutant["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec["eqflevel"] = spec.pop("eqfLevel")
    report = validate_credential(mutant, store, annex1=None)
    codes = {f.code for f in report.findings}
    assert "lint.dropped-term" in codes
    assert not any(f.code.startswith("shacl.") for f in report.findings)  # the shapes cannot see it


def test_one_id_for_two_different_nodes_is_reported(store, credential: dict[str, Any]) -> None:
    mutant = copy.deepcopy(credential)
    outcomes = mutant["credentialSubject"]["hasClaim"]["specifiedBy"]["learningOutcome"]
    outcomes[1]["id"] = outcomes[0]["id"]
    report = validate_credential(mutant, store, annex1=None)
    assert any(f.code == "lint.node-id-reuse" for f in report.findings)


def test_annex1_elements_are_errors_under_the_eu_policy(store, credential: dict[str, Any]) -> None:
    mutant = copy.deepcopy(credential)
    del mutant["credentialSubject"]["hasClaim"]["specifiedBy"]["accreditation"]
    report = validate_credential(mutant, store, policies=("eu-council",))
    assert not report.ok
    assert any("quality assurance" in f.message for f in report.findings if f.severity == "error")
    assert validate_credential(credential, store, policies=("eu-council",)).ok


def test_id_reuse_between_a_shared_node_and_a_changed_copy(store, credential: dict[str, Any]) -> None:
    from edcbridge.mapping.nodes import Frozen

    assert isinstance(credential["issuer"], Frozen)  # shared, linted once per process
    assert validate_credential(credential, store, annex1=None).ok
    mutant = dict(credential)  # the issuer stays the shared node; the subject is a changed copy
    mutant["credentialSubject"] = copy.deepcopy(credential["credentialSubject"])
    body = mutant["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
    body["legalName"] = {"en": "Another University"}
    report = validate_credential(mutant, store, annex1=None)
    assert any(f.code == "lint.node-id-reuse" and "awardingBody" in f.where for f in report.findings)
