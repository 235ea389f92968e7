"""An open offer for an award taken back with ``edcbridge withdraw`` is refused, over real HTTP
(uvicorn on 127.0.0.1): the wallet is told the issuer withdrew the award, the offer is closed for
good, and no credential is issued."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from edcbridge.oid4vci.service import IssuerService
from edcbridge.pipeline.journal import Journal
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, Holder, export_awards, running_issuer

CONFIGURATIONS = ("elm", "edc-sealed")


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    awards = 2 * len(CONFIGURATIONS) + 2
    return export_awards(tmp_path_factory.mktemp("oid4vci-withdrawn"), awards, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _withdraw(exported: Exported, key: str, *extra: str) -> str:
    """Runs ``edcbridge withdraw`` (``extra``: ``--undo``, ``-q``); what it said on stderr."""
    command = [sys.executable, "-m", "edcbridge", "withdraw", str(exported.out_dir), key,
               "--reason", "entered in error", *extra]
    withdrawn = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert withdrawn.returncode == 0, withdrawn.stderr
    return withdrawn.stderr


def _last_event(exported: Exported, action: str, key: str) -> dict[str, Any]:
    shown = subprocess.run([sys.executable, "-m", "edcbridge", "audit", "show", str(exported.out_dir)],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    events = [json.loads(line) for line in shown.stdout.splitlines()]
    found: list[dict[str, Any]] = [event for event in events
                                   if (event["action"], event["key"]) == (action, key)]
    return found[-1]


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
    _withdraw(exported, key, "-q")
    holder = Holder(issuer.issuer)
    response = holder.token(offer.pre_authorized_code, offer.tx_code)
    assert response.status_code == 400, response.text
    _told_withdrawn(response.json(), "invalid_grant")
    _withdraw(exported, key, "--undo", "-q")  # reinstated: the offer it closed stays closed
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
    _withdraw(exported, key, "-q")
    response = holder.credential(token, _credential_body(holder, configuration))
    assert response.status_code == 400 and "credentials" not in response.json(), response.text
    _told_withdrawn(response.json(), "credential_request_denied")
    _withdraw(exported, key, "--undo", "-q")  # reinstated: the token's offer stays closed
    again = holder.credential(token, _credential_body(holder, configuration))
    assert again.status_code == 400 and "credentials" not in again.json(), again.text
    _told_withdrawn(again.json(), "credential_request_denied")
    assert issuer.offers.events(offer.offer_id) == {}  # nothing recorded as issued


def test_withdraw_closes_the_awards_open_offers_at_once_and_undo_does_not_reopen_them(
    issuer: IssuerService, exported: Exported
) -> None:
    key = exported.keys[2 * len(CONFIGURATIONS)]
    offer = issuer.offers.create(key, ("elm",), valid_for=600)
    link = f"{issuer.issuer}/offers/{offer.reference}"
    assert requests.get(link, timeout=10).status_code == 200
    said = _withdraw(exported, key)
    assert "; 1 offer(s) closed" in said, said
    assert requests.get(link, timeout=10).status_code == 404  # no wallet is shown it any more
    assert issuer.offers.offer_state(offer.offer_id) == "award-withdrawn"
    closed = _last_event(exported, "withdrawn", key)["detail"]["offers_closed"]
    assert [entry["offer"] for entry in closed] == [offer.offer_id], closed
    undone = _withdraw(exported, key, "--undo")
    assert "offer(s) closed by the withdrawal stay closed" in undone, undone
    assert requests.get(link, timeout=10).status_code == 404
    assert issuer.offers.offer_state(offer.offer_id) == "award-withdrawn"


def test_offers_serve_closes_for_an_award_withdrawn_part_way_are_an_event_of_the_audit_trail(
    issuer: IssuerService, exported: Exported
) -> None:
    """``withdraw`` writes the journal first: stopped there, it leaves the offers open for
    ``serve`` to close, which the trail then records as the command would have."""
    key = exported.keys[2 * len(CONFIGURATIONS) + 1]
    offer = issuer.offers.create(key, ("elm",), valid_for=600)
    journal = Journal.for_folder(exported.out_dir)
    try:
        journal.set_withdrawal("withdrawn", key, {}, "withdrawn on 2026-01-05T10:00:00Z by registrar@office: "
                               "entered in error", '{"reason":"entered in error"}')
    finally:
        journal.close()
    response = Holder(issuer.issuer).token(offer.pre_authorized_code, offer.tx_code)
    _told_withdrawn(response.json(), "invalid_grant")
    event = _last_event(exported, "offers-closed", key)
    assert event["detail"]["award"] == "withdrawn", event
    assert [entry["offer"] for entry in event["detail"]["offers_closed"]] == [offer.offer_id], event
    verified = subprocess.run([sys.executable, "-m", "edcbridge", "audit", "verify", str(exported.out_dir)],
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
