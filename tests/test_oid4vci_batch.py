"""Batch issuance over real HTTP (uvicorn on 127.0.0.1), OpenID4VCI 1.0 8.2, 8.3 and 12.2.4: an
issuer served with a batch size advertises ``batch_credential_issuance``, and a credential request
with several key proofs gets one SD-JWT VC per proof, each bound to its proof's key and with its
own status list entry, so that revoking the award revokes every copy; the nonce rules hold for
each proof; too many proofs are refused with ``invalid_credential_request``, two of one key
with ``invalid_proof``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from jwcrypto import jws

from edcbridge.oid4vci.sdjwt import decode_part
from edcbridge.oid4vci.service import IssuerService, IssuerSettings
from edcbridge.schemas import SchemaStore
from tests.test_oid4vci_protocol import _error
from tests.wallet.issuer_support import (
    Exported,
    Holder,
    edcbridge_cli,
    export_awards,
    running_issuer,
    serve_process,
    x5c_key,
)

BATCH = 3


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-batch"), 6, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported, batch_size=BATCH) as service:
        yield service


def _token(issuer: IssuerService, key: str) -> str:
    offer = issuer.offers.create(key, ("elm",), valid_for=600)
    return Holder(issuer.issuer).access_token(offer.pre_authorized_code)


def _wallets(issuer: IssuerService, count: int) -> list[Holder]:
    """``count`` holders, each with a key of its own: the keys of one wallet's batch."""
    return [Holder(issuer.issuer) for _ in range(count)]


def _batch(holders: list[Holder], nonce: str) -> dict[str, Any]:
    return {"credential_configuration_id": "elm",
            "proofs": {"jwt": [holder.proof(nonce) for holder in holders]}}


def _verified(credential: str) -> dict[str, Any]:
    """The issuer-signed claims of an SD-JWT VC, its signature checked with the x5c certificate."""
    signed = credential.split("~")[0]
    token = jws.JWS()
    token.deserialize(signed)
    token.verify(x5c_key(decode_part(signed.split(".")[0])))
    payload: dict[str, Any] = json.loads(token.payload)
    return payload


def _public(holder: Holder) -> dict[str, Any]:
    key: dict[str, Any] = json.loads(holder.key.export_public())
    return key


def test_metadata_advertises_the_batch_size_only_when_one_is_set(
    issuer: IssuerService, exported: Exported
) -> None:
    metadata = requests.get(f"{issuer.issuer}/.well-known/openid-credential-issuer", timeout=10).json()
    assert metadata["batch_credential_issuance"] == {"batch_size": BATCH}
    with running_issuer(exported) as plain:
        metadata = requests.get(f"{plain.issuer}/.well-known/openid-credential-issuer", timeout=10).json()
    assert "batch_credential_issuance" not in metadata


def test_a_batch_size_under_two_is_refused(exported: Exported) -> None:
    with pytest.raises(ValueError, match="2 or more"):
        IssuerSettings("http://127.0.0.1:8080", exported.out_dir, batch_size=1)


def test_one_credential_per_proof_each_bound_to_its_key_with_its_own_status_entry(
    issuer: IssuerService, exported: Exported
) -> None:
    holders = _wallets(issuer, BATCH)
    answer = holders[0].credential(_token(issuer, exported.keys[0]), _batch(holders, holders[0].nonce()))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body["notification_id"], str)
    credentials = [entry["credential"] for entry in body["credentials"]]
    assert len(credentials) == BATCH and len(set(credentials)) == BATCH
    payloads = [_verified(credential) for credential in credentials]
    assert [payload["cnf"]["jwk"] for payload in payloads] == [_public(holder) for holder in holders]
    entries = [payload["status"]["status_list"] for payload in payloads]
    assert len({(entry["uri"], entry["idx"]) for entry in entries}) == BATCH
    assert {payload["elm"]["id"] for payload in payloads} == {exported.edc(exported.keys[0])["id"]}
    # the copies share no disclosure salt: a verifier cannot link them by their digests
    disclosures = [set(credential.split("~")[1:-1]) for credential in credentials]
    assert all(not (a & b) for i, a in enumerate(disclosures) for b in disclosures[i + 1:])

    revoked = subprocess.run(edcbridge_cli("revoke", exported.keys[0], "-o", str(exported.out_dir)),
                             capture_output=True, text=True, timeout=60, check=False)
    assert revoked.returncode == 0, revoked.stderr
    trail = subprocess.run([sys.executable, "-m", "edcbridge", "audit", "show", str(exported.out_dir)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert trail.returncode == 0, trail.stderr
    events = [json.loads(line) for line in trail.stdout.splitlines()]
    revocation = next(e for e in events if e["action"] == "revoked" and e["key"] == exported.keys[0])
    recorded = revocation["detail"]
    assert {(c["uri"], c["idx"]) for c in recorded["credentials"]} == {(e["uri"], e["idx"]) for e in entries}
    invalid = issuer.offers.invalid_entries(1) or []
    assert {entry["idx"] for entry in entries} <= set(invalid)


def test_a_single_proof_still_gets_one_credential(issuer: IssuerService, exported: Exported) -> None:
    holder = Holder(issuer.issuer)
    answer = holder.request(_token(issuer, exported.keys[1]), holder.proof(holder.nonce()))
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["credentials"]) == 1


def test_more_proofs_than_the_batch_size_are_refused_and_the_nonce_kept(
    issuer: IssuerService, exported: Exported
) -> None:
    token = _token(issuer, exported.keys[2])
    holders = _wallets(issuer, BATCH + 1)
    nonce = holders[0].nonce()
    description = _error(holders[0].credential(token, _batch(holders, nonce)), 400,
                         "invalid_credential_request")
    assert str(BATCH) in description
    answer = holders[0].credential(token, _batch(holders[:BATCH], nonce))
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["credentials"]) == BATCH


def test_two_proofs_of_one_key_are_refused(issuer: IssuerService, exported: Exported) -> None:
    token = _token(issuer, exported.keys[3])
    holder, other = _wallets(issuer, 2)
    nonce = holder.nonce()
    body = {"credential_configuration_id": "elm",
            "proofs": {"jwt": [holder.proof(nonce), other.proof(nonce), holder.proof(nonce)]}}
    description = _error(holder.credential(token, body), 400, "invalid_proof")
    assert "same key" in description
    answer = holder.credential(token, _batch([holder, other], nonce))
    assert answer.status_code == 200, answer.text


def test_every_proof_must_carry_a_nonce_not_spent_before(issuer: IssuerService, exported: Exported) -> None:
    holder, other = _wallets(issuer, 2)
    spent = holder.nonce()
    first = holder.request(_token(issuer, exported.keys[4]), holder.proof(spent))
    assert first.status_code == 200, first.text

    token = _token(issuer, exported.keys[5])
    fresh = holder.nonce()
    without = {"credential_configuration_id": "elm",
               "proofs": {"jwt": [holder.proof(fresh), other.proof(None)]}}
    assert "proofs.jwt[1]" in _error(holder.credential(token, without), 400, "invalid_proof")
    elsewhere = {"credential_configuration_id": "elm",
                 "proofs": {"jwt": [holder.proof(fresh), other.proof(fresh, aud="https://elsewhere.example")]}}
    assert "proofs.jwt[1]: " in _error(holder.credential(token, elsewhere), 400, "invalid_proof")
    stale = {"credential_configuration_id": "elm",
             "proofs": {"jwt": [holder.proof(fresh), other.proof(spent)]}}
    _error(holder.credential(token, stale), 400, "invalid_nonce")
    forged = {"credential_configuration_id": "elm",
              "proofs": {"jwt": [holder.proof(fresh), other.proof(fresh + "x")]}}
    _error(holder.credential(token, forged), 400, "invalid_nonce")
    # refused requests spend no nonce: the fresh one still serves, for each proof of the batch
    second = holder.nonce()
    answer = holder.credential(token, {"credential_configuration_id": "elm",
                                       "proofs": {"jwt": [holder.proof(fresh), other.proof(second)]}})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["credentials"]) == 2
    # and both are spent now
    again = _token(issuer, exported.keys[5])
    _error(holder.request(again, holder.proof(second)), 400, "invalid_nonce")


def test_without_a_batch_size_several_proofs_are_refused(exported: Exported, tmp_path: Path) -> None:
    with running_issuer(exported) as plain:
        holders = _wallets(plain, 2)
        token = _token(plain, exported.keys[1])
        description = _error(holders[0].credential(token, _batch(holders, holders[0].nonce())), 400,
                             "invalid_credential_request")
    assert "one proof" in description


def test_serve_takes_a_batch_size_of_two_or_more(exported: Exported, tmp_path: Path) -> None:
    with serve_process(exported, tmp_path / "serve.log", "--batch-size", "4") as url:
        metadata = requests.get(f"{url}/.well-known/openid-credential-issuer", timeout=10).json()
    assert metadata["batch_credential_issuance"] == {"batch_size": 4}
    refused = subprocess.run(
        edcbridge_cli("serve", "-o", str(exported.out_dir), "--p12", str(exported.p12),
                      "--password-file", str(exported.password_file), "--port", "0", "--batch-size", "1"),
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )
    assert refused.returncode == 2 and "'--batch-size'" in refused.stderr, refused.stderr
    assert "No such option" not in refused.stderr and "2<=x<=50" in refused.stderr, refused.stderr
