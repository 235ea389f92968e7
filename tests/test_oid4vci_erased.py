"""A wallet holding an access token for an award whose learner's data are erased meanwhile
(``edcbridge erase``) is told so, over real HTTP (uvicorn on 127.0.0.1), and gets no credential."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from edcbridge.oid4vci import trail
from edcbridge.oid4vci.cli import record_in_trail
from edcbridge.oid4vci.offers import OFFERS_NAME
from edcbridge.oid4vci.service import IssuerService
from edcbridge.pipeline.journal import JOURNAL_NAME, Journal
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, Holder, export_awards, running_issuer


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-erased"), 7, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _erase(exported: Exported, key: str) -> None:
    command = [sys.executable, "-m", "edcbridge", "erase", str(exported.out_dir), key,
               "--reason", "the learner asked", "-q"]
    erased = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert erased.returncode == 0, erased.stderr


def test_a_token_obtained_before_the_erasure_is_told_the_award_was_erased(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code, offer.tx_code)
    _erase(exported, exported.keys[0])
    response = holder.request(token, holder.proof(holder.nonce()))
    assert response.status_code == 400 and "credentials" not in response.json(), response.text
    answer = response.json()
    assert answer["error"] == "credential_request_denied"
    assert "erased" in answer["error_description"]
    assert "already issued" not in answer["error_description"]


def test_a_wallet_notifying_after_the_erasure_writes_back_no_text(
    issuer: IssuerService, exported: Exported
) -> None:
    """The erasure overwrote the wallet's notification text; the wallet's access token lives on
    (10 minutes), and a notification it then sends is taken without its text."""
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600)
    token, answer = Holder(issuer.issuer).fetch(offer.pre_authorized_code, offer.tx_code)

    def notify(text: str) -> None:
        report = {"notification_id": answer["notification_id"], "event": "credential_deleted",
                  "event_description": text}
        response = requests.post(f"{issuer.issuer}/notification", json=report, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 204, response.text

    notify("kept on the phone of Learner0001")
    _erase(exported, exported.keys[1])
    notify("deleted by Learner0001")
    with sqlite3.connect(exported.out_dir / OFFERS_NAME) as db:
        texts = db.execute("SELECT event_description FROM issued WHERE offer_id = ? UNION ALL "
                           "SELECT event_description FROM offers WHERE id = ?",
                           (offer.offer_id, offer.offer_id)).fetchall()
    assert texts == [(None,), (None,)]
    assert issuer.offers.events(offer.offer_id) == {"elm": "credential_deleted"}  # the report is taken


def _erase_stopped_before_the_offers(exported: Exported, key: str) -> None:
    """What ``edcbridge erase`` writes first, the journal's record and event, without what it
    does next (files, offers file): an erasure stopped part way."""
    journal = Journal.for_folder(exported.out_dir)
    try:
        journal.erase(key, "erased on 2026-01-05T10:00:00Z by registrar@office: the learner asked",
                      '{"reason":"the learner asked"}')
    finally:
        journal.close()


def _told_erased(answer: dict[str, str], error: str) -> None:
    assert answer["error"] == error, answer
    assert "erased this award's data" in answer["error_description"], answer
    assert "stays valid" not in answer["error_description"], answer


def test_an_open_offer_of_an_award_erased_part_way_is_refused_as_erased_and_closed(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[2], ("elm",), valid_for=600)
    _erase_stopped_before_the_offers(exported, exported.keys[2])
    holder = Holder(issuer.issuer)
    response = holder.token(offer.pre_authorized_code, offer.tx_code)
    assert response.status_code == 400, response.text
    _told_erased(response.json(), "invalid_grant")
    assert issuer.offers.offer_state(offer.offer_id) == "erased"
    link = f"{issuer.issuer}/offers/{offer.reference}"
    assert requests.get(link, timeout=10).status_code == 404


def test_a_token_of_an_award_erased_part_way_is_told_so_and_its_offer_closed(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[3], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code, offer.tx_code)
    _erase_stopped_before_the_offers(exported, exported.keys[3])
    response = holder.request(token, holder.proof(holder.nonce()))
    assert response.status_code == 400 and "credentials" not in response.json(), response.text
    _told_erased(response.json(), "credential_request_denied")
    assert issuer.offers.offer_state(offer.offer_id) == "erased"


def _audit(exported: Exported, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edcbridge", "audit", *command, str(exported.out_dir)],
                          capture_output=True, text=True, timeout=120)


def test_the_erased_event_lists_the_offers_erase_closed_and_nothing_of_the_learner(
    issuer: IssuerService, exported: Exported
) -> None:
    key = exported.keys[4]
    offer = issuer.offers.create(key, ("elm",), valid_for=600)
    _erase(exported, key)
    assert issuer.offers.offer_state(offer.offer_id) == "erased"
    shown = _audit(exported, "show")
    assert shown.returncode == 0, shown.stderr
    erased = [event for event in map(json.loads, shown.stdout.splitlines())
              if (event["action"], event["key"]) == ("erased", key)]
    assert len(erased) == 1, erased
    closed = erased[0]["detail"]["offers_closed"]
    assert [entry["offer"] for entry in closed] == [offer.offer_id], closed
    assert set(closed[0]) == {"offer", "closed_at"}, closed
    assert closed[0]["closed_at"] == erased[0]["detail"]["at"], closed
    verified = _audit(exported, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_offers_serve_closes_for_an_award_erased_part_way_are_an_event_of_the_audit_trail(
    issuer: IssuerService, exported: Exported
) -> None:
    key = exported.keys[5]
    offer = issuer.offers.create(key, ("elm",), valid_for=600)
    _erase_stopped_before_the_offers(exported, key)  # written after serve opened the journal
    response = Holder(issuer.issuer).token(offer.pre_authorized_code, offer.tx_code)
    _told_erased(response.json(), "invalid_grant")
    shown = _audit(exported, "show")
    events = [event for event in map(json.loads, shown.stdout.splitlines()) if event["key"] == key]
    assert [event["action"] for event in events][-2:] == ["erased", "offers-closed"], events
    detail = events[-1]["detail"]
    assert detail["award"] == "erased" and detail["by"].endswith("(edcbridge serve)"), detail
    assert [entry["offer"] for entry in detail["offers_closed"]] == [offer.offer_id], detail
    verified = _audit(exported, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_offers_closed_while_another_command_holds_the_journal_stay_in_the_offers_file_for_the_trail(
    issuer: IssuerService, exported: Exported, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    key = exported.keys[6]
    offer = issuer.offers.create(key, ("elm",), valid_for=600)
    _erase_stopped_before_the_offers(exported, key)
    monkeypatch.setattr(trail, "TRAIL_WAIT", 0.2)
    holder = sqlite3.connect(exported.out_dir / JOURNAL_NAME, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another command writing the journal
        response = Holder(issuer.issuer).token(offer.pre_authorized_code, offer.tx_code)
    finally:
        holder.close()
    _told_erased(response.json(), "invalid_grant")
    assert issuer.offers.offer_state(offer.offer_id) == "erased"
    kept = [event for event in issuer.offers.unrecorded() if event.award_key == key]
    assert [event.action for event in kept] == ["offers-closed"], kept
    closed = kept[0].fields["offers_closed"]
    assert isinstance(closed, list) and [entry["offer"] for entry in closed] == [offer.offer_id], closed
    capsys.readouterr()
    assert record_in_trail(exported.out_dir, issuer.offers)  # as the next revoke or offer does
    said = capsys.readouterr().err
    assert f"{key}: the earlier closing of its offers by serve (of " in said, said
