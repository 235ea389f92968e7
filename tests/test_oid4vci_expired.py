"""A credential whose end date has passed is not offered nor issued: a wallet given it would hold
a credential every verifier refuses. Over real HTTP (uvicorn on 127.0.0.1) for the token."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import click
import pytest
import requests
from click.testing import CliRunner

from edcbridge.oid4vci.cli import register
from edcbridge.oid4vci.sdjwt import epoch_seconds
from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import PRE_AUTH, Clock, Exported, Holder, export_awards, running_issuer

ENDED = "2025-12-31"  # after the fixture's awarding date (2025-07-14), before this machine's clock


@pytest.fixture(scope="module")
def expired(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-expired"), 1, store.root, valid_until=ENDED)


@pytest.fixture(scope="module")
def issuer(expired: Exported) -> Iterator[IssuerService]:
    with running_issuer(expired) as service:
        yield service


def test_the_exported_credential_carries_the_end_date(expired: Exported) -> None:
    """The premise, read from the file the wallet would receive."""
    path = next((expired.out_dir / "edc").glob("*.jsonld"))
    assert json.loads(path.read_text("utf-8"))["validUntil"].startswith(ENDED)


def test_no_offer_is_made_for_an_expired_credential(expired: Exported) -> None:
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["offer", expired.keys[0], "-o", str(expired.out_dir)])
    assert result.exit_code == 1
    assert f"expired on {ENDED}" in result.stderr and "export the award again" in result.stderr
    assert "openid-credential-offer" not in result.stdout


@pytest.mark.parametrize("configuration", ["elm", "edc-sealed"])
def test_the_token_for_an_offer_made_before_expiry_is_refused(issuer: IssuerService, expired: Exported,
                                                               configuration: str) -> None:
    offer = issuer.offers.create(expired.keys[0], (configuration,), valid_for=600)
    response = requests.post(f"{issuer.issuer}/token", data={
        "grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code, "tx_code": offer.tx_code,
    }, timeout=10)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_grant" and f"expired on {ENDED}" in body["error_description"]


@pytest.mark.parametrize("configuration", ["elm", "edc-sealed"])
def test_a_token_obtained_before_expiry_gets_no_credential_after_it(expired: Exported,
                                                                    configuration: str) -> None:
    """The end date passes between the token and the credential request (the token lives 10
    minutes): the wallet is refused, not handed a credential every verifier refuses."""
    path = next((expired.out_dir / "edc").glob("*.jsonld"))
    ends = epoch_seconds(json.loads(path.read_text("utf-8"))["validUntil"])
    assert ends is not None
    clock = Clock()
    clock.offset = ends - 60 - time.time()  # a minute before the end
    with running_issuer(expired, clock) as issuer:
        offer = issuer.offers.create(expired.keys[0], (configuration,), valid_for=600)
        holder = Holder(issuer.issuer)
        token = holder.access_token(offer.pre_authorized_code, offer.tx_code)
        clock.offset += 120  # a minute after it
        body: dict[str, object] = {"credential_configuration_id": configuration}
        if configuration == "elm":
            body["proofs"] = {"jwt": [holder.proof(holder.nonce(), iat=clock())]}
        response = holder.credential(token, body)
        assert response.status_code == 400, response.text[:300]
        answer = response.json()
        assert answer["error"] == "credential_request_denied"
        assert f"expired on {ENDED}" in answer["error_description"]
        assert issuer.offers.events(offer.offer_id) == {}  # nothing recorded as issued
