"""Over real HTTP (uvicorn on 127.0.0.1): the proof's ``iss`` against the client_id the wallet
gave the token endpoint (OpenID4VCI 1.0 Appendix F.1), a proof ``iat`` that is no number,
``authorization_details`` in the token request (6.1, 6.2), and a pre-authorized code that
survives an issuer which cannot issue the offer yet."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.test_oid4vci_protocol import _error
from tests.wallet.issuer_support import PRE_AUTH, Clock, Exported, Holder, export_awards, running_issuer


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-token-rules"), 2, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _token(issuer: IssuerService, exported: Exported, client_id: str | None = None) -> tuple[Holder, str]:
    """A fresh offer redeemed, with ``client_id`` in the token request when given."""
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code}
    if client_id is not None:
        form["client_id"] = client_id
    response = requests.post(f"{issuer.issuer}/token", data=form, timeout=10)
    assert response.status_code == 200, response.text
    return holder, str(response.json()["access_token"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed(holder: Holder, claims: dict[str, Any]) -> str:
    """A proof JWT signed by hand: its payload may hold what ``Holder.proof`` would not put there."""
    header = {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": json.loads(holder.key.export_public())}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    der = holder.key.get_op_key("sign").sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _claims(issuer: IssuerService, holder: Holder, **extra: Any) -> dict[str, Any]:
    return {"aud": issuer.issuer, "iat": int(time.time()), "nonce": holder.nonce(), **extra}


# -- the proof's iss -----------------------------------------------------------------------


def test_without_a_client_id_the_proof_has_no_iss(issuer: IssuerService, exported: Exported) -> None:
    holder, token = _token(issuer, exported)
    refused = holder.request(token, _signed(holder, _claims(issuer, holder, iss="some-wallet")))
    assert "omit 'iss'" in _error(refused, 400, "invalid_proof")
    assert holder.request(token, holder.proof(holder.nonce())).status_code == 200  # nothing was spent


def test_with_a_client_id_the_proof_iss_is_that_client_id(issuer: IssuerService, exported: Exported) -> None:
    holder, token = _token(issuer, exported, client_id="wallet-app")
    for other in ("another-wallet", ["wallet-app"], 7):
        refused = holder.request(token, _signed(holder, _claims(issuer, holder, iss=other)))
        assert "'wallet-app'" in _error(refused, 400, "invalid_proof"), other
    accepted = holder.request(token, _signed(holder, _claims(issuer, holder, iss="wallet-app")))
    assert accepted.status_code == 200, accepted.text


def test_with_a_client_id_the_proof_may_leave_out_iss(issuer: IssuerService, exported: Exported) -> None:
    holder, token = _token(issuer, exported, client_id="wallet-app")
    assert holder.request(token, holder.proof(holder.nonce())).status_code == 200


# -- the proof's iat -----------------------------------------------------------------------


@pytest.mark.parametrize("iat", [float("nan"), float("inf"), float("-inf")])
def test_a_proof_iat_that_is_no_number_is_refused(
    issuer: IssuerService, exported: Exported, iat: float
) -> None:
    holder, token = _token(issuer, exported)
    refused = holder.request(token, _signed(holder, _claims(issuer, holder, iat=iat)))
    _error(refused, 400, "invalid_proof")


@pytest.mark.parametrize(("claim", "offset", "words"), [
    ("exp", -600, "expired"), ("nbf", 600, "not valid yet"), ("exp", float("nan"), "number of seconds")])
def test_a_proof_past_its_exp_or_before_its_nbf_is_refused(
    issuer: IssuerService, exported: Exported, claim: str, offset: float, words: str
) -> None:
    holder, token = _token(issuer, exported)
    refused = holder.request(token, _signed(holder, _claims(issuer, holder, **{claim: time.time() + offset})))
    assert words in _error(refused, 400, "invalid_proof")
    current = _claims(issuer, holder, exp=int(time.time()) + 60, nbf=int(time.time()) - 5)
    assert holder.request(token, _signed(holder, current)).status_code == 200


# -- authorization_details in the token request ----------------------------------------------


def _details(*configurations: str) -> str:
    entries = [{"type": "openid_credential", "credential_configuration_id": c} for c in configurations]
    return json.dumps(entries)


def test_authorization_details_are_answered_with_credential_identifiers(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm", "edc-sealed"), valid_for=600)
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code,
            "authorization_details": _details("elm")}
    response = requests.post(f"{issuer.issuer}/token", data=form, timeout=10)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["authorization_details"] == [
        {"type": "openid_credential", "credential_configuration_id": "elm", "credential_identifiers": ["elm"]}
    ]
    holder = Holder(issuer.issuer)
    body = {"credential_identifier": "elm", "proofs": {"jwt": [holder.proof(holder.nonce())]}}
    issued = holder.credential(answer["access_token"], body)
    assert issued.status_code == 200, issued.text
    assert issued.json()["credentials"][0]["credential"].count("~") > 1  # the SD-JWT VC


def test_authorization_details_the_offer_cannot_meet_leave_it_open(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600, tx_code_length=6)
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code,
            "tx_code": str(offer.tx_code)}
    for details in (_details("edc-sealed"), _details("elm", "edc-sealed"), "[", "[]", '[{"type": "x"}]'):
        refused = requests.post(f"{issuer.issuer}/token", data={**form, "authorization_details": details},
                                timeout=10)
        _error(refused, 400, "invalid_authorization_details")
    status = issuer.offers.status(offer.offer_id)
    assert status is not None and (status.state, status.tx_failures) == ("open", 0)
    Holder(issuer.issuer).fetch(offer.pre_authorized_code, offer.tx_code)


def test_parameters_sent_without_a_value_count_as_omitted(issuer: IssuerService, exported: Exported) -> None:
    """RFC 6749 3.1: an empty ``authorization_details`` (or ``client_id``) is no parameter: the
    token response then names no credential_identifiers, and the proof carries no ``iss``."""
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code,
            "authorization_details": "", "client_id": "", "tx_code": ""}
    response = requests.post(f"{issuer.issuer}/token", data=form, timeout=10)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "authorization_details" not in answer
    holder = Holder(issuer.issuer)
    issued = holder.request(answer["access_token"], holder.proof(holder.nonce()))
    assert issued.status_code == 200, issued.text


# -- a code is spent only when the issuer can issue the offer ---------------------------------


def test_a_seal_of_another_organisation_leaves_the_offer_open(
    issuer: IssuerService, exported: Exported, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600, tx_code_length=6)
    foreign = exported.sealed_by_another_organisation(tmp_path)
    with running_issuer(foreign) as service, caplog.at_level(logging.ERROR, logger="edcbridge.oid4vci"):
        wallet = Holder(service.issuer)
        for _ in range(2):  # asking again is refused the same way: the code is not spent
            description = _error(wallet.token(offer.pre_authorized_code, offer.tx_code), 500, "server_error")
            assert "the offer stays valid" in description
    assert "the seal is not the credential issuer's" in caplog.text
    status = issuer.offers.status(offer.offer_id)
    assert status is not None and (status.state, status.tx_failures) == ("open", 0)
    # served with the issuer's own seal, the learner's offer and PIN work
    Holder(issuer.issuer).fetch(offer.pre_authorized_code, offer.tx_code)


def test_a_seal_certificate_expired_while_serving_signs_nothing_and_spends_no_offer(
    exported: Exported, caplog: pytest.LogCaptureFixture
) -> None:
    """The seal is checked when serve starts, but a server runs on: past its certificate's end, an
    SD-JWT VC would carry an x5c every verifier refuses, and the learner's single offer be gone."""
    clock = Clock()
    logged = caplog.at_level(logging.ERROR, logger="edcbridge.oid4vci")
    with running_issuer(exported, clock) as service, logged:
        end = exported.seal().certificate.not_valid_after_utc.timestamp()
        clock.offset = end - 60 - time.time()  # a minute before the end the access token is given
        before = service.offers.create(exported.keys[1], ("elm",), valid_for=600)
        wallet = Holder(service.issuer)
        token = wallet.access_token(before.pre_authorized_code)
        clock.offset = end + 60 - time.time()
        nonce = wallet.nonce()
        refused = wallet.request(token, wallet.proof(nonce, iat=clock()))
        _error(refused, 400, "credential_request_denied")
        offer = service.offers.create(exported.keys[1], ("elm",), valid_for=600)
        for _ in range(2):  # asking again is refused the same way: the code is not spent
            description = _error(wallet.token(offer.pre_authorized_code), 500, "server_error")
            assert "the offer stays valid" in description
        assert "seal certificate" in caplog.text and "expired on" in caplog.text, caplog.text
        states = [service.offers.offer_state(before.offer_id), service.offers.offer_state(offer.offer_id)]
        assert states == ["redeemed", "open"]  # neither used up
        assert service.offers.consume_nonce(nonce)  # the refused request spent none


def test_a_wrong_tx_code_still_counts_at_an_issuer_that_cannot_issue(
    issuer: IssuerService, exported: Exported, tmp_path: Path
) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600, tx_code_length=6)
    wrong = "".join("1" if c == "0" else "0" for c in str(offer.tx_code))
    with running_issuer(exported.sealed_by_another_organisation(tmp_path)) as service:
        _error(Holder(service.issuer).token(offer.pre_authorized_code, wrong), 400, "invalid_grant")
    status = issuer.offers.status(offer.offer_id)
    assert status is not None and (status.state, status.tx_failures) == ("open", 1)
