"""An open offer for an award taken back with ``edcbridge withdraw`` is refused, over real HTTP
(uvicorn on 127.0.0.1): the wallet is told the issuer withdrew the award, the offer is closed for
good, and no credential is issued."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, Holder, export_awards, running_issuer

CONFIGURATIONS = ("elm", "edc-sealed")


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-withdrawn"), 2 * len(CONFIGURATIONS), store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _withdraw(exported: Exported, key: str, *extra: str) -> None:
    command = [sys.executable, "-m", "edcbridge", "withdraw", str(exported.out_dir), key,
               "--reason", "entered in error", "-q", *extra]
    withdrawn = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert withdrawn.returncode == 0, withdrawn.stderr


def _told_withdrawn(answer: dict[str, str], error: str) -> None:
    assert answer["error"] == error, answer
    assert "withdrew this award" in answer["error_description"], answer
    assert "stays valid" not in answer["error_description"], answer


def _credential_body(holder: Holder, configuration: str) -> dict[str, object]:
    body: dict[str, object] = {"credential_configuration_id": configuration}
    if configuration == "elm":
        body["proofs"] = {"jwt": [holder.proof(holder.nonce())]}
    return body


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_an_offer_of_an_award_withdrawn_since_is_refused_at_the_token_endpoint(
    issuer: IssuerService, exported: Exported, configuration: str
) -> None:
    key = exported.keys[CONFIGURATIONS.index(configuration)]
    offer = issuer.offers.create(key, (configuration,), valid_for=600)
    _withdraw(exported, key)
    holder = Holder(issuer.issuer)
    response = holder.token(offer.pre_authorized_code, offer.tx_code)
    assert response.status_code == 400, response.text
    _told_withdrawn(response.json(), "invalid_grant")
    _withdraw(exported, key, "--undo")  # reinstated: the offer it closed stays closed
    again = holder.token(offer.pre_authorized_code, offer.tx_code)
    assert again.status_code == 400, again.text
    _told_withdrawn(again.json(), "invalid_grant")
    assert issuer.offers.events(offer.offer_id) == {}


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_a_token_obtained_before_the_withdrawal_gets_no_credential(
    issuer: IssuerService, exported: Exported, configuration: str
) -> None:
    key = exported.keys[len(CONFIGURATIONS) + CONFIGURATIONS.index(configuration)]
    offer = issuer.offers.create(key, (configuration,), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code, offer.tx_code)
    _withdraw(exported, key)
    response = holder.credential(token, _credential_body(holder, configuration))
    assert response.status_code == 400 and "credentials" not in response.json(), response.text
    _told_withdrawn(response.json(), "credential_request_denied")
    _withdraw(exported, key, "--undo")  # reinstated: the token's offer stays closed
    again = holder.credential(token, _credential_body(holder, configuration))
    assert again.status_code == 400 and "credentials" not in again.json(), again.text
    _told_withdrawn(again.json(), "credential_request_denied")
    assert issuer.offers.events(offer.offer_id) == {}  # nothing recorded as issued
