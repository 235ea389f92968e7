"""Over real HTTP (uvicorn on 127.0.0.1): what a wallet's credential and notification requests
must be beyond their JSON (OpenID4VCI 1.0 8.2, 8.3.1, 11.1), and what the answer is when they
are not."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.test_oid4vci_protocol import _error
from tests.wallet.issuer_support import Exported, Holder, export_awards, running_issuer


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-request-rules"), 1, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _post(issuer: IssuerService, path: str, token: str, body: dict[str, object],
          content_type: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.post(f"{issuer.issuer}{path}", data=json.dumps(body).encode(), headers=headers,
                         timeout=10)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_credential_request_must_be_application_json(
    issuer: IssuerService, exported: Exported, content_type: str | None
) -> None:
    """8.2: an unencrypted Credential Request is application/json (and this issuer announces no
    request encryption): JSON sent as another type is refused, and the nonce is not spent."""
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    proof = holder.proof(holder.nonce())
    body = {"credential_configuration_id": "elm", "proofs": {"jwt": [proof]}}
    refused = _post(issuer, "/credential", token, body, content_type)
    assert "application/json" in _error(refused, 400, "invalid_credential_request")
    answered = _post(issuer, "/credential", token, body, "application/json; charset=utf-8")
    assert answered.status_code == 200, answered.text  # the same request, rightly labelled


def test_a_notification_must_be_application_json(issuer: IssuerService, exported: Exported) -> None:
    offer = issuer.offers.create(exported.keys[0], ("edc-sealed",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    answer = holder.credential(token, {"credential_configuration_id": "edc-sealed"}).json()
    body = {"notification_id": answer["notification_id"], "event": "credential_accepted"}
    refused = _post(issuer, "/notification", token, body, "text/plain")
    assert "application/json" in _error(refused, 400, "invalid_notification_request")
    assert _post(issuer, "/notification", token, body, "application/json").status_code == 204


def test_a_configuration_the_token_does_not_cover_is_insufficient_scope(
    issuer: IssuerService, exported: Exported
) -> None:
    """8.3.1.1: a request the access token does not enable is an RFC 6750 3 authorization error
    (403 insufficient_scope, with its challenge); unknown_credential_configuration stays for a
    configuration the issuer does not know."""
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    other = holder.credential(token, {"credential_configuration_id": "edc-sealed"})
    assert "'edc-sealed'" in _error(other, 403, "insufficient_scope")
    assert other.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')
    _error(holder.credential(token, {"credential_configuration_id": "diploma"}), 400,
           "unknown_credential_configuration")
    assert holder.request(token, holder.proof(holder.nonce())).status_code == 200  # the token still works
