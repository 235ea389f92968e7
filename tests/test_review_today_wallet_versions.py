"""Push wallet: a refused request does not forget that an earlier request of the same version,
whose answer was lost, may have been stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from edcbridge.deliver.http import HttpClient
from edcbridge.deliver.push import push_wallet, wallet_items
from edcbridge.deliver.state import State, digest
from edcbridge.deliver.wallet_client import WalletClient
from tests.deliver_support import jades, no_wait_policy
from tests.fake_http import FakeServer, Fault
from tests.fake_wallet import WalletFake

SAMPLES = "examples/elm-repo-v3-jsonld"


@pytest.fixture
def fake() -> Iterator[tuple[FakeServer, WalletFake]]:
    app = WalletFake()
    server = FakeServer(app).start()
    yield server, app
    server.stop()


@pytest.fixture
def client(fake: tuple[FakeServer, WalletFake]) -> WalletClient:
    return WalletClient(
        HttpClient(fake[0].base_url, timeout=(2.0, 5.0), retry=no_wait_policy(), min_interval=0)
    )


def _write(tmp_path: Path, reference: Path, valid_from: str | None = None) -> Path:
    doc = json.loads((reference / SAMPLES / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8"))
    doc["id"] = "urn:credential:review-today-0001"
    if valid_from:
        doc["validFrom"] = valid_from
    (tmp_path / "c1.json").write_bytes(jades(doc))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("credential,wallet_id,email,locale\nc1.json,,learner1@example.org,en\n", "utf-8")
    return manifest


@pytest.mark.parametrize("status", [400, 401])
def test_a_refusal_after_a_lost_answer_keeps_the_version_the_wallet_may_hold(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path,
    status: int,
) -> None:
    server, app = fake
    manifest = _write(tmp_path, reference)
    state_path = tmp_path / "state.json"
    server.faults.append(Fault("drop-after", method="POST"))  # stored, the answer lost
    (lost,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert lost.status == "failed" and len(app.deposits) == 1
    server.faults.append(Fault("status", status=status, method="POST"))  # this request refused
    (refused,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert refused.status == "failed"
    _write(tmp_path, reference, "2026-02-01T00:00:00Z")  # the file changes
    (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    # the wallet holds the first version (from the request whose answer was lost)
    assert outcome.status == "failed", outcome
    assert "the learner removes it from the wallet" in outcome.message
    assert len(app.deposits) == 1


def test_already_there_for_a_version_sent_twice_without_an_answer_stays_unsure(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    server, app = fake
    manifest = _write(tmp_path, reference)
    state_path = tmp_path / "state.json"
    server.faults.append(Fault("drop", method="POST"))  # lost before the wallet stored it
    push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    _write(tmp_path, reference, "2026-02-01T00:00:00Z")
    server.faults.append(Fault("drop-after", method="POST"))  # stored, the answer lost
    push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert len(app.deposits) == 1
    for _ in range(2):  # the wallet holds the first or the second version: still unknown
        (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
        assert outcome.status == "failed" and "in this version or in an earlier one" in outcome.message


def test_a_version_1_delivery_counts_as_a_version_the_wallet_may_hold(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """A state file of an earlier version did not record which wallet it delivered to: its
    delivery may be in this one, so after the file changed, "already there" is not this version."""
    _, app = fake
    manifest = _write(tmp_path, reference)
    (item,) = wallet_items(manifest)
    assert client.deposit(item.content, email="learner1@example.org").outcome == "delivered"
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps({"version": 1, "target": "wallet", "items": {
        item.key: {"digest": digest(item.content), "target_id": "uuid-1"}}}), "utf-8")
    (same,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet", "w"))
    assert same.status == "ok", same.message  # the version it holds: delivered
    state_path.write_text(json.dumps({"version": 1, "target": "wallet", "items": {
        item.key: {"digest": digest(item.content), "target_id": "uuid-1"}}}), "utf-8")
    _write(tmp_path, reference, "2026-02-01T00:00:00Z")
    (changed,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet", "w"))
    assert changed.status == "failed" and "the learner removes it from the wallet" in changed.message
    assert len(app.deposits) == 1
