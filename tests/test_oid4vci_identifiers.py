"""Over real HTTP (uvicorn on 127.0.0.1): a credential request names its credential by
``credential_identifier`` when the token response returned ``credential_identifiers``, and by
``credential_configuration_id`` otherwise, never the other (OpenID4VCI 1.0 8.2); an offers
file from an earlier edcbridge, whose tokens did not record this, keeps working."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore
from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.test_oid4vci_protocol import _error
from tests.wallet.issuer_support import PRE_AUTH, Exported, Holder, export_awards, running_issuer


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-identifiers"), 2, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _token(issuer: IssuerService, key: str, *details: str) -> tuple[str, dict[str, object]]:
    """A fresh offer of both credentials redeemed, with ``authorization_details`` naming
    ``details`` when given; the access token and the token response."""
    offer = issuer.offers.create(key, ("elm", "edc-sealed"), valid_for=600)
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code}
    if details:
        form["authorization_details"] = json.dumps(
            [{"type": "openid_credential", "credential_configuration_id": c} for c in details]
        )
    response = requests.post(f"{issuer.issuer}/token", data=form, timeout=10)
    assert response.status_code == 200, response.text
    answer = response.json()
    return str(answer["access_token"]), answer


def test_after_credential_identifiers_only_credential_identifier_is_taken(
    issuer: IssuerService, exported: Exported
) -> None:
    token, answer = _token(issuer, exported.keys[0], "elm", "edc-sealed")
    assert [d["credential_identifiers"] for d in answer["authorization_details"]] == [["elm"], ["edc-sealed"]]
    holder = Holder(issuer.issuer)
    nonce = holder.nonce()
    proofs = {"jwt": [holder.proof(nonce)]}
    for body in (
        {"credential_configuration_id": "elm", "proofs": proofs},
        {"credential_configuration_id": "edc-sealed"},
        {"credential_configuration_id": "elm", "credential_identifier": "elm", "proofs": proofs},
        {"proofs": proofs},
    ):
        description = _error(holder.credential(token, body), 400, "invalid_credential_request")
        assert "credential_identifier" in description, body
    _error(holder.credential(token, {"credential_identifier": "diploma", "proofs": proofs}), 400,
           "unknown_credential_identifier")
    issued = holder.credential(token, {"credential_identifier": "elm", "proofs": proofs})  # nonce unspent
    assert issued.status_code == 200, issued.text
    sealed = holder.credential(token, {"credential_identifier": "edc-sealed"})
    assert sealed.status_code == 200, sealed.text


def test_without_credential_identifiers_only_credential_configuration_id_is_taken(
    issuer: IssuerService, exported: Exported
) -> None:
    token, answer = _token(issuer, exported.keys[1])
    assert "authorization_details" not in answer
    holder = Holder(issuer.issuer)
    proofs = {"jwt": [holder.proof(holder.nonce())]}
    for identifier in ("elm", "edc-sealed", "unknown"):
        body = {"credential_identifier": identifier, "proofs": proofs}
        description = _error(holder.credential(token, body), 400, "invalid_credential_request")
        assert "credential_configuration_id" in description
    issued = holder.credential(token, {"credential_configuration_id": "elm", "proofs": proofs})
    assert issued.status_code == 200, issued.text


def test_the_token_records_whether_identifiers_were_returned(tmp_path: Path) -> None:
    offers = OfferStore(tmp_path / "offers.sqlite")
    try:
        plain = offers.create("imperial/A-1", ("elm",), valid_for=600)
        detailed = offers.create("imperial/A-2", ("elm", "edc-sealed"), valid_for=600)
        without = offers.redeem(plain.pre_authorized_code, None, token_ttl=60)
        narrowed = offers.redeem(detailed.pre_authorized_code, None, token_ttl=60, granted=("elm",))
        assert offers.token(without.access_token).identifiers is False
        assert offers.token(narrowed.access_token).identifiers is True
    finally:
        offers.close()


def test_an_offers_file_of_an_earlier_edcbridge_keeps_working(exported: Exported, tmp_path: Path) -> None:
    """Its tokens table has no ``identifiers`` column: opening the file adds it; a token issued
    before the upgrade is taken with either name, as it was then; new tokens follow 8.2."""
    copy = replace(exported, out_dir=tmp_path / "out")
    shutil.copytree(exported.out_dir, copy.out_dir, ignore=shutil.ignore_patterns(f"{OFFERS_NAME}*"))
    with running_issuer(copy) as service:
        old_token, _ = _token(service, copy.keys[0], "elm")
        second = service.offers.create(copy.keys[1], ("elm",), valid_for=600)
    with closing(sqlite3.connect(copy.out_dir / OFFERS_NAME)) as db:  # as an earlier edcbridge left it
        db.execute("ALTER TABLE tokens DROP COLUMN identifiers")
        assert "identifiers" not in [row[1] for row in db.execute("PRAGMA table_info(tokens)")]
    with running_issuer(copy) as service:
        assert service.offers.token(old_token).identifiers is None
        holder = Holder(service.issuer)
        issued = holder.credential(old_token, {"credential_identifier": "elm",
                                               "proofs": {"jwt": [holder.proof(holder.nonce())]}})
        assert issued.status_code == 200, issued.text
        new_token = holder.access_token(second.pre_authorized_code)  # the offer made before the upgrade
        proofs = {"jwt": [holder.proof(holder.nonce())]}
        _error(holder.credential(new_token, {"credential_identifier": "elm", "proofs": proofs}), 400,
               "invalid_credential_request")
        assert holder.request(new_token, proofs["jwt"][0]).status_code == 200
