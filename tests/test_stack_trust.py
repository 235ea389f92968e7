"""Held credential files count only when their seal shows they are the catalogue issuer's own."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from edcbridge.load import load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Catalogue
from edcbridge.output import serialise
from edcbridge.preview.cli import register
from edcbridge.seal import generate_test_seal
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES
from tests.test_stack_issue import DAY, PARTS, TARGET, _award

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE)


@pytest.fixture(scope="module")
def imperial_seal(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("imperial-seal"), catalogue)


def _sealed(factory: SealFactory, doc: dict[str, Any]) -> bytes:
    return factory()(serialise(doc))


def _stack(*args: str) -> tuple[int, dict[str, Any]]:
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["stack", TARGET, "-c", str(CATALOGUE), "--as-of", DAY.isoformat(),
                                        "--json", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def _held(tmp_path: Path, files: dict[str, bytes]) -> list[str]:
    args = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        args += ["--held", str(tmp_path / name)]
    return args


def _parts(catalogue: Catalogue, factory: SealFactory) -> dict[str, bytes]:
    return {f"{p[2]}.jsonld": _sealed(factory, to_edc(_award(*p), catalogue)) for p in PARTS}


def _states(result: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {Path(i["source"]).name: (i["state"], i["reason"]) for i in result["items"]}


def test_sealed_parts_count_with_a_trust_anchor(tmp_path: Path, catalogue: Catalogue,
                                                imperial_seal: SealFactory) -> None:
    anchor = str(imperial_seal.p12.parent / "root-ca.pem")
    code, result = _stack(*_held(tmp_path, _parts(catalogue, imperial_seal)), "--trust-anchor", anchor)
    assert code == 0 and result["satisfied"], result["explanation"]


def test_without_a_trust_anchor_nothing_counts(tmp_path: Path, catalogue: Catalogue,
                                               imperial_seal: SealFactory) -> None:
    code, result = _stack(*_held(tmp_path, _parts(catalogue, imperial_seal)))
    assert code == 1 and not result["satisfied"]
    assert {state for state, _ in _states(result).values()} == {"unverified"}
    assert all("give --trust-anchor" in reason for _, reason in _states(result).values())


def test_tampered_unsealed_and_foreign_credentials_do_not_count(
    tmp_path: Path, catalogue: Catalogue, imperial_seal: SealFactory
) -> None:
    files = _parts(catalogue, imperial_seal)
    tampered = files["P2.jsonld"].replace(b"Merit", b"Distinction", 1)  # the grade, inside the seal
    assert tampered != files["P2.jsonld"]
    files["P2.jsonld"] = tampered
    files["P3.jsonld"] = serialise(to_edc(_award(*PARTS[2]), catalogue))  # not sealed at all
    galway = load_catalogue(FIXTURES / "galway" / "catalogue.yaml")
    mill = generate_test_seal(tmp_path / "galway-seal", organisation="University of Galway",
                              organisation_identifier="VATIE-0000000G", country="IE")
    galway_award = _award(galway.specifications[0].code, "2025-10-01", "G1")
    files["G1.jsonld"] = SealFactory(mill.p12, mill.password_file.read_bytes().strip())()(
        serialise(to_edc(galway_award, galway)))
    anchors = ["--trust-anchor", str(imperial_seal.p12.parent / "root-ca.pem"),
               "--trust-anchor", str(mill.root_ca)]
    code, result = _stack(*_held(tmp_path, files), *anchors)
    states = _states(result)
    assert code == 1 and not result["satisfied"]
    assert states["P1.jsonld"][0] == "counted"
    assert states["P2.jsonld"][0] == "unverified" and "seal does not verify" in states["P2.jsonld"][1]
    assert states["P3.jsonld"][0] == "unverified" and "seal does not verify" in states["P3.jsonld"][1]
    assert states["G1.jsonld"][0] == "unverified"
    assert "issued by University of Galway" in states["G1.jsonld"][1]


def test_a_seal_made_by_another_organisation_does_not_count(
    tmp_path: Path, catalogue: Catalogue, imperial_seal: SealFactory
) -> None:
    """A self-made CA and seal for another name: the credential says Imperial, the seal does not."""
    other = generate_test_seal(tmp_path / "other", organisation="Diploma Mill Ltd",
                               organisation_identifier="NTRGB-99999999", country="GB")
    forger = SealFactory(other.p12, other.password_file.read_bytes().strip())
    files = {f"{p[2]}.jsonld": _sealed(forger, to_edc(_award(*p), catalogue)) for p in PARTS}
    code, result = _stack(*_held(tmp_path, files), "--trust-anchor", str(other.root_ca))
    assert code == 1 and result["credits"] == "0"
    for state, reason in _states(result).values():
        assert state == "unverified" and "sealed by another organisation than its issuer" in reason, reason


def test_a_seal_chaining_to_no_anchor_does_not_count(
    tmp_path: Path, catalogue: Catalogue, imperial_seal: SealFactory
) -> None:
    """A self-made CA whose seal copies the issuer's name and identifier: only the anchor tells."""
    org = catalogue.organisation(catalogue.issuer)
    copy = generate_test_seal(tmp_path / "copy", organisation=org.legal_name["en"],
                              organisation_identifier=org.eidas_identifier or "", country="GB")
    forger = SealFactory(copy.p12, copy.password_file.read_bytes().strip())
    files = {f"{p[2]}.jsonld": _sealed(forger, to_edc(_award(*p), catalogue)) for p in PARTS}
    code, result = _stack(*_held(tmp_path, files), "--trust-anchor",
                          str(imperial_seal.p12.parent / "root-ca.pem"))
    assert code == 1 and result["credits"] == "0"
    assert {state for state, _ in _states(result).values()} == {"unverified"}


def _one_credential_of(catalogue: Catalogue) -> bytes:
    """One EDC XML credential claiming the three parts (as an issuer writing several awards into
    one credential does): the achievements side by side, their specifications in the sections."""
    from lxml import etree

    from edcbridge.xml import edc12

    roots = [edc12.to_edc_xml(_award(*p), catalogue).getroot() for p in PARTS]
    first = roots[0]
    snb = f"{{{edc12.SNB}}}"
    achievements = first.find(f"{snb}credentialSubject/{snb}achievements")
    assert achievements is not None
    for other in roots[1:]:
        achievements.extend(other.findall(f"{snb}credentialSubject/{snb}achievements/{snb}learningAchievement"))
        for section in other:
            if not section.tag.endswith("References"):
                continue
            mine = first.find(section.tag)
            if mine is None:
                continue
            known = {e.get("id") for e in mine}
            mine.extend(e for e in list(section) if e.get("id") not in known)
    return etree.tostring(first.getroottree(), xml_declaration=True, encoding="UTF-8")


def test_every_achievement_of_a_held_xml_credential_counts(tmp_path: Path, catalogue: Catalogue,
                                                          imperial_seal: SealFactory) -> None:
    """A sealed EDC XML credential claiming several achievements: each is a held part, not only
    the first with the others dropped unsaid."""
    sealed = imperial_seal.xades().seal_bytes(_one_credential_of(catalogue))
    anchor = str(imperial_seal.p12.parent / "root-ca.pem")
    code, result = _stack(*_held(tmp_path, {"parts.xml": sealed}), "--trust-anchor", anchor)
    counted = sorted(i["award_id"] for i in result["items"] if i["state"] == "counted")
    assert code == 0 and result["satisfied"], result["explanation"]
    assert len(counted) == 3, result["items"]


def test_an_xml_credential_says_its_revocation_was_not_checked_when_asked(
    tmp_path: Path, catalogue: Catalogue, imperial_seal: SealFactory
) -> None:
    """EDC XML 1.2 carries no status list and its XAdES seal certificate is not asked about: with
    --fetch-revocation each of its parts says so where it counts; without it, nothing was asked."""
    sealed = imperial_seal.xades().seal_bytes(_one_credential_of(catalogue))
    args = [*_held(tmp_path, {"parts.xml": sealed}),
            "--trust-anchor", str(imperial_seal.p12.parent / "root-ca.pem")]
    _, asked = _stack(*args, "--fetch-revocation")
    _, not_asked = _stack(*args)
    reasons = [item["reason"] for item in asked["items"] if item["state"] == "counted"]
    assert len(reasons) == 3, asked["items"]
    assert all("whether it was revoked cannot be checked" in reason for reason in reasons), reasons
    assert not any("revoked" in item["reason"] for item in not_asked["items"]), not_asked["items"]


def _one_jsonld_of(catalogue: Catalogue) -> dict[str, Any]:
    """One EDC JSON-LD credential claiming the three parts side by side (credentialSubject.hasClaim
    as a list, as an issuer writing several awards into one credential does)."""
    docs = [to_edc(_award(*p), catalogue) for p in PARTS]
    first = docs[0]
    first["credentialSubject"]["hasClaim"] = [d["credentialSubject"]["hasClaim"] for d in docs]
    return first


def test_every_claim_of_a_held_jsonld_credential_counts(tmp_path: Path, catalogue: Catalogue,
                                                        imperial_seal: SealFactory) -> None:
    """A JAdES-sealed JSON-LD credential claiming several achievements: each is a held part named
    by its place, not only one with the others dropped unsaid."""
    sealed = _sealed(imperial_seal, _one_jsonld_of(catalogue))
    anchor = str(imperial_seal.p12.parent / "root-ca.pem")
    code, result = _stack(*_held(tmp_path, {"parts.jsonld": sealed}), "--trust-anchor", anchor)
    assert code == 0 and result["satisfied"], result["explanation"]
    counted = [i for i in result["items"] if i["state"] == "counted"]
    assert sorted(i["specification"] for i in counted) == ["IMP-MC-CRA", "IMP-MC-DLH", "IMP-MC-MLH"], counted
    assert sorted(Path(i["source"]).name for i in counted) == [f"parts.jsonld (claim {n} of 3)"
                                                               for n in (1, 2, 3)]


def test_every_claim_of_a_plain_jsonld_credential_is_held_unverified(tmp_path: Path,
                                                                     catalogue: Catalogue) -> None:
    """Unsealed, each claim is still listed (unverified), so none is lost without a word."""
    data = serialise(_one_jsonld_of(catalogue))
    code, result = _stack(*_held(tmp_path, {"parts.jsonld": data}))
    assert code == 1
    assert sorted(i["specification"] for i in result["items"] if i["state"] == "unverified") == [
        "IMP-MC-CRA", "IMP-MC-DLH", "IMP-MC-MLH"], result["items"]



@pytest.mark.parametrize("name", ["P1.jsonld", "P1.xml"])
def test_an_expired_sealed_credential_is_expired_not_unverified(
    tmp_path: Path, catalogue: Catalogue, imperial_seal: SealFactory, name: str
) -> None:
    """Its seal verifies: the credential's own validUntil is judged on --as-of, as for any other
    held credential (it counts on a day it was valid, and is expired, not unverified, after)."""
    from lxml import etree

    from edcbridge.xml import edc12

    award = _award(*PARTS[0]).model_copy(update={"valid_until": dt.date(2026, 1, 1)})  # before today
    if name.endswith(".xml"):
        sealed = imperial_seal.xades().seal_bytes(etree.tostring(edc12.to_edc_xml(award, catalogue)))
    else:
        sealed = _sealed(imperial_seal, to_edc(award, catalogue))
    args = [*_held(tmp_path, {name: sealed}), "--trust-anchor", str(imperial_seal.p12.parent / "root-ca.pem")]
    _, result = _stack(*args)
    state, reason = _states(result)[name]
    assert state == "expired" and "no longer valid" in reason, reason
    _, earlier = _stack(*args, "--as-of", "2025-12-31")
    assert _states(earlier)[name][0] == "counted", earlier["items"]


def test_a_revoked_credential_does_not_count_and_an_unchecked_status_is_said(
    tmp_path: Path, catalogue: Catalogue, imperial_seal: SealFactory
) -> None:
    """A held credential naming a status list: without --fetch-revocation its status is said to
    be unchecked where it counts; with it, a revoked credential does not count."""
    from tests.fake_http import static_files
    from tests.test_seal_credential_status import _list_credential

    with static_files("application/vc+ld+json") as (server, lists):
        url = f"{server.base_url}/lists/1"
        lists["/lists/1"] = _list_credential({7}).encode()
        doc = to_edc(_award(*PARTS[0]), catalogue)
        doc["credentialStatus"] = {"id": f"{url}#7", "type": "BitstringStatusListEntry",
                                   "statusPurpose": "revocation", "statusListIndex": "7",
                                   "statusListCredential": url}
        args = [*_held(tmp_path, {"P1.jsonld": _sealed(imperial_seal, doc)}),
                "--trust-anchor", str(imperial_seal.p12.parent / "root-ca.pem")]
        _, unchecked = _stack(*args)
        _, checked = _stack(*args, "--fetch-revocation")
    state, reason = _states(unchecked)["P1.jsonld"]
    assert state == "counted" and "not checked" in reason and "--fetch-revocation" in reason, reason
    state, reason = _states(checked)["P1.jsonld"]
    assert state == "unverified" and f"revoked per status list {url} (index 7)" in reason, reason
    assert "seal does not verify" not in reason, reason


def test_a_credential_recording_uk_credits_counts_no_more_than_it_records(
    tmp_path: Path, catalogue: Catalogue, imperial_seal: SealFactory
) -> None:
    """10 UK credits are 5 ECTS (2 to the ECTS credit, as the frameworks count them): a credential
    recording them for a 7.5 ECTS part counts 5, not the catalogue's 7.5 with nothing said."""
    doc = copy.deepcopy(to_edc(_award(*PARTS[1]), catalogue))
    doc["credentialSubject"]["hasClaim"]["specifiedBy"]["creditPoint"] = {
        "id": "urn:epass:creditPoint:uk", "type": "CreditPoint", "point": "10",
        "framework": {"id": "urn:example:cats", "type": "Concept", "prefLabel": {"en": "UK credits (CATS)"}}}
    _, result = _stack(*_held(tmp_path, {"P2.jsonld": _sealed(imperial_seal, doc)}),
                       "--trust-anchor", str(imperial_seal.p12.parent / "root-ca.pem"))
    state, reason = _states(result)["P2.jsonld"]
    assert state == "counted" and result["credits"] == "5", reason
    assert "it records 5 ECTS credits, fewer than the 7.5 of IMP-MC-CRA" in reason, reason


def test_a_sealed_credential_not_yet_valid_on_the_day_does_not_count(
    tmp_path: Path, catalogue: Catalogue, imperial_seal: SealFactory
) -> None:
    """Its validFrom is judged on --as-of, as its validUntil is: not valid yet, it does not count."""
    doc = copy.deepcopy(to_edc(_award(*PARTS[0]), catalogue))
    doc["validFrom"] = "2099-01-01T00:00:00Z"
    args = [*_held(tmp_path, {"P1.jsonld": _sealed(imperial_seal, doc)}),
            "--trust-anchor", str(imperial_seal.p12.parent / "root-ca.pem")]
    _, result = _stack(*args)
    state, reason = _states(result)["P1.jsonld"]
    assert state == "not-yet-awarded" and "not valid before 2099-01-01" in reason, reason


def test_a_held_file_of_another_learner_is_listed_not_dropped(tmp_path: Path, catalogue: Catalogue,
                                                              imperial_seal: SealFactory) -> None:
    """--learner picks whose records count; a credential file handed in for someone else is
    named as such, not left out unsaid."""
    other = _award(*PARTS[2]).model_copy(update={"learner": _award(*PARTS[2]).learner.model_copy(
        update={"id": "09999999"})})
    files = {"P1.jsonld": _sealed(imperial_seal, to_edc(_award(*PARTS[0]), catalogue)),
             "X.jsonld": _sealed(imperial_seal, to_edc(other, catalogue))}
    _, result = _stack(*_held(tmp_path, files), "--learner", "02214587",
                       "--trust-anchor", str(imperial_seal.p12.parent / "root-ca.pem"))
    states = _states(result)
    assert states["P1.jsonld"][0] == "counted"
    assert states.get("X.jsonld", ("missing", ""))[0] == "other-learner", result["items"]


def test_a_credential_in_another_language_counts_by_its_code(tmp_path: Path, catalogue: Catalogue,
                                                             imperial_seal: SealFactory) -> None:
    """The issuer's own credential written in French only: its specification code is the
    catalogue's, and no title in a shared language says otherwise."""
    doc = copy.deepcopy(to_edc(_award(*PARTS[0]), catalogue))
    claim = doc["credentialSubject"]["hasClaim"]
    french = {"fr": "Apprentissage automatique pour les données de santé"}
    claim["title"] = claim["specifiedBy"]["title"] = french
    del claim["specifiedBy"]["homepage"]
    _, result = _stack(*_held(tmp_path, {"P1.jsonld": _sealed(imperial_seal, doc)}),
                       "--trust-anchor", str(imperial_seal.p12.parent / "root-ca.pem"))
    state, reason = _states(result)["P1.jsonld"]
    assert state == "counted", reason
