"""OpenID4VCI 1.0 over real HTTP (uvicorn on 127.0.0.1): metadata, the pre-authorized code flow
and every refusal with its OAuth / OpenID4VCI error code and a non-200 status."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from edcbridge.mapping.edc import to_edc
from edcbridge.oid4vci.app import create_app
from edcbridge.oid4vci.metadata import offer_link_by_reference
from edcbridge.oid4vci.offers import OFFERS_NAME
from edcbridge.oid4vci.sdjwt import decode_part
from edcbridge.oid4vci.server import BackgroundServer, bind
from edcbridge.oid4vci.service import IssuerService, IssuerSettings
from edcbridge.schemas import SchemaStore
from tests.preview_support import fixture_pairs
from tests.wallet.issuer_support import (
    Clock,
    Exported,
    Holder,
    export_awards,
    offer_from_link,
    running_issuer,
)


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-protocol"), 4, store.root)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def issuer(exported: Exported, clock: Clock) -> Iterator[IssuerService]:
    with running_issuer(exported, clock, tx_code_attempts=3) as service:
        yield service


def _error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    assert response.headers["cache-control"] == "no-store"
    return str(body["error_description"])


def test_metadata_announces_the_elm_configuration(issuer: IssuerService) -> None:
    base = issuer.issuer
    meta = requests.get(f"{base}/.well-known/openid-credential-issuer", timeout=10).json()
    assert meta["credential_issuer"] == base
    assert meta["credential_endpoint"] == f"{base}/credential"
    assert meta["nonce_endpoint"] == f"{base}/nonce"
    assert meta["notification_endpoint"] == f"{base}/notification"
    elm = meta["credential_configurations_supported"]["elm"]
    assert (elm["format"], elm["vct"]) == ("dc+sd-jwt", "urn:eudi:elm:1")
    assert elm["credential_signing_alg_values_supported"] == ["RS256"]  # the TEST seal is RSA
    assert elm["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["ES256"]
    paths = [claim["path"] for claim in elm["credential_metadata"]["claims"]]
    assert all(not isinstance(part, str) or "[" not in part for path in paths for part in path)
    oauth = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=10).json()
    assert oauth["issuer"] == base and oauth["token_endpoint"] == f"{base}/token"
    assert oauth["pre-authorized_grant_anonymous_access_supported"] is True


def test_happy_path_then_replay_is_invalid_grant(issuer: IssuerService, exported: Exported) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600, tx_code_length=6)
    holder = Holder(issuer.issuer)
    token, answer = holder.fetch(offer.pre_authorized_code, offer.tx_code)
    credential = answer["credentials"][0]["credential"]
    payload = decode_part(credential.split("~")[0].split(".")[1])
    assert payload["elm"]["id"] == exported.edc(exported.keys[0])["id"]
    assert payload["cnf"]["jwk"] == json.loads(holder.key.export_public())
    replay = holder.token(offer.pre_authorized_code, offer.tx_code)
    assert "already used" in _error(replay, 400, "invalid_grant")
    second = holder.request(token, holder.proof(holder.nonce()))
    _error(second, 400, "credential_request_denied")
    notify = requests.post(
        f"{issuer.issuer}/notification",
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
        json={"notification_id": answer["notification_id"], "event": "credential_accepted"},
    )
    assert notify.status_code == 204
    status = issuer.offers.status(offer.offer_id)
    assert status is not None and (status.state, status.event) == ("issued", "credential_accepted")
    wrong = requests.post(
        f"{issuer.issuer}/notification",
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
        json={"notification_id": "not-ours", "event": "credential_accepted"},
    )
    _error(wrong, 400, "invalid_notification_id")


def test_expired_offer_is_invalid_grant(issuer: IssuerService, exported: Exported, clock: Clock) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=60)
    link = offer_link_by_reference(issuer.issuer, offer.reference)
    assert offer_from_link(link)["credential_issuer"] == issuer.issuer
    clock.offset = 61
    try:
        response = Holder(issuer.issuer).token(offer.pre_authorized_code)
        assert "expired" in _error(response, 400, "invalid_grant")
        with pytest.raises(requests.HTTPError, match="404"):
            offer_from_link(link)
    finally:
        clock.offset = 0


def test_wrong_tx_code_counts_down_then_withdraws(issuer: IssuerService, exported: Exported) -> None:
    holder = Holder(issuer.issuer)
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600, tx_code_length=6)
    wrong = "".join("1" if c == "0" else "0" for c in str(offer.tx_code))
    assert "transaction code" in _error(holder.token(offer.pre_authorized_code), 400, "invalid_request")
    assert "2 attempt(s) left" in _error(holder.token(offer.pre_authorized_code, wrong), 400, "invalid_grant")
    assert "1 attempt(s) left" in _error(holder.token(offer.pre_authorized_code, wrong), 400, "invalid_grant")
    holder.fetch(offer.pre_authorized_code, offer.tx_code)  # a typo or two does not burn the offer

    burnt = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600, tx_code_length=6)
    wrong = "".join("1" if c == "0" else "0" for c in str(burnt.tx_code))
    for _ in range(2):
        _error(holder.token(burnt.pre_authorized_code, wrong), 400, "invalid_grant")
    assert "withdrawn" in _error(holder.token(burnt.pre_authorized_code, wrong), 400, "invalid_grant")
    assert "withdrawn" in _error(holder.token(burnt.pre_authorized_code, burnt.tx_code), 400, "invalid_grant")
    status = issuer.offers.status(burnt.offer_id)
    assert status is not None and (status.state, status.tx_failures) == ("withdrawn", 3)


def test_tx_code_sent_to_an_offer_without_one_is_invalid_request(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[2], ("elm",), valid_for=600)
    _error(Holder(issuer.issuer).token(offer.pre_authorized_code, "123456"), 400, "invalid_request")


def test_token_request_errors(issuer: IssuerService) -> None:
    url = f"{issuer.issuer}/token"
    _error(
        requests.post(url, data={"grant_type": "authorization_code", "code": "x"}, timeout=10),
        400,
        "unsupported_grant_type",
    )
    _error(
        requests.post(
            url, data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code"}, timeout=10
        ),
        400,
        "invalid_request",
    )
    _error(requests.post(url, json={"grant_type": "x"}, timeout=10), 400, "invalid_request")
    _error(Holder(issuer.issuer).token("no-such-code"), 400, "invalid_grant")


@pytest.fixture
def fresh_token(issuer: IssuerService, exported: Exported) -> tuple[Holder, str]:
    offer = issuer.offers.create(exported.keys[3], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    return holder, holder.access_token(offer.pre_authorized_code)


def test_wrong_nonce_is_invalid_nonce(issuer: IssuerService, fresh_token: tuple[Holder, str]) -> None:
    holder, token = fresh_token
    _error(holder.request(token, holder.proof("made-up-nonce")), 400, "invalid_nonce")
    nonce = holder.nonce()
    assert holder.request(token, holder.proof(nonce)).status_code == 200


def test_used_nonce_is_invalid_nonce(issuer: IssuerService, exported: Exported) -> None:
    holder = Holder(issuer.issuer)
    first = holder.access_token(
        issuer.offers.create(exported.keys[3], ("elm",), valid_for=600).pre_authorized_code
    )
    second = holder.access_token(
        issuer.offers.create(exported.keys[3], ("elm",), valid_for=600).pre_authorized_code
    )
    nonce = holder.nonce()
    assert holder.request(first, holder.proof(nonce)).status_code == 200
    _error(holder.request(second, holder.proof(nonce)), 400, "invalid_nonce")


def test_proof_refusals_are_invalid_proof(issuer: IssuerService, fresh_token: tuple[Holder, str]) -> None:
    holder, token = fresh_token
    cases = {
        "aud": holder.proof(holder.nonce(), aud="https://other-issuer.example"),
        "stale": holder.proof(holder.nonce(), iat=time.time() - 3600),
        "future": holder.proof(holder.nonce(), iat=time.time() + 3600),
        "typ": holder.proof(holder.nonce(), typ="JWT"),
        "no nonce": holder.proof(None),
        "not a JWT": "not.a-jwt",
    }
    for name, proof in cases.items():
        description = _error(holder.request(token, proof), 400, "invalid_proof")
        assert description, name
    assert "'aud'" in _error(holder.request(token, cases["aud"]), 400, "invalid_proof")
    both = holder.proof(holder.nonce(), header={"kid": "did:example:123#0"})
    assert "'kid'" in _error(holder.request(token, both), 400, "invalid_proof")  # F.1: jwk excludes kid
    other = Holder(issuer.issuer)  # signed by another key than the one in the header
    forged = holder.proof(holder.nonce(), key=other.key)
    assert "signature" in _error(holder.request(token, forged), 400, "invalid_proof")
    _error(holder.credential(token, {"credential_configuration_id": "elm"}), 400, "invalid_proof")
    assert holder.request(token, holder.proof(holder.nonce())).status_code == 200  # the offer survived


def test_the_credential_binds_the_key_alone(issuer: IssuerService, fresh_token: tuple[Holder, str]) -> None:
    holder, token = fresh_token
    extras = {"name": "Administrator", "x5u": "https://evil.example/x", "use": "sig", "padding": "x" * 2000}
    response = holder.request(token, holder.proof(holder.nonce(), public=extras))
    assert response.status_code == 200, response.text
    issuer_jwt = response.json()["credentials"][0]["credential"].split("~")[0]
    claims = decode_part(issuer_jwt.split(".")[1])
    own = json.loads(holder.key.export_public())
    assert claims["cnf"]["jwk"] == {name: own[name] for name in ("kty", "crv", "x", "y")}


def test_a_seal_of_another_organisation_signs_nothing(
    issuer: IssuerService, exported: Exported, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    offer = issuer.offers.create(exported.keys[2], ("elm",), valid_for=600)
    token = Holder(issuer.issuer).access_token(offer.pre_authorized_code)  # redeemed before the seal changed
    foreign = exported.sealed_by_another_organisation(tmp_path)
    with running_issuer(foreign) as service:
        holder = Holder(service.issuer)
        nonce = holder.nonce()
        with caplog.at_level(logging.ERROR, logger="edcbridge.oid4vci"):
            for _ in range(2):  # the same nonce again: refused for the seal, not as a used nonce
                _error(holder.request(token, holder.proof(nonce)), 400, "credential_request_denied")
    assert "the seal is not the credential issuer's" in caplog.text
    assert "the certificate's 'NTRIE-0000000'" in caplog.text
    # neither the access token nor the wallet's nonce is spent: served with the issuer's own
    # seal, the same token and nonce work
    wallet = Holder(issuer.issuer)
    assert wallet.request(token, wallet.proof(nonce)).status_code == 200


def test_an_offer_of_two_credentials_delivers_both_once(issuer: IssuerService, exported: Exported) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm", "edc-sealed"), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    sealed = holder.credential(token, {"credential_configuration_id": "edc-sealed"})
    assert sealed.status_code == 200, sealed.text
    assert sealed.json()["credentials"][0]["credential"]["payload"]  # the JAdES EDC
    assert holder.request(token, holder.proof(holder.nonce())).status_code == 200  # then the SD-JWT VC
    for again in (holder.request(token, holder.proof(holder.nonce())),
                  holder.credential(token, {"credential_configuration_id": "edc-sealed"})):
        assert "already issued" in _error(again, 400, "credential_request_denied")



def test_each_credential_of_an_offer_keeps_its_own_notification(
    issuer: IssuerService, exported: Exported
) -> None:
    """The wallet reports on each credential by its notification_id: a second report (of the
    other credential) does not replace the first's."""
    offer = issuer.offers.create(exported.keys[2], ("elm", "edc-sealed"), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    elm = holder.request(token, holder.proof(holder.nonce())).json()["notification_id"]
    sealed = holder.credential(token, {"credential_configuration_id": "edc-sealed"}).json()["notification_id"]
    for notification_id, event in ((elm, "credential_accepted"), (sealed, "credential_deleted")):
        answer = holder.session.post(f"{issuer.issuer}/notification", timeout=10,
                                     json={"notification_id": notification_id, "event": event},
                                     headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 204, answer.text
    assert issuer.offers.events(offer.offer_id) == {"elm": "credential_accepted",
                                                    "edc-sealed": "credential_deleted"}

def test_an_issuer_url_with_a_path_serves_everything_under_it(exported: Exported) -> None:
    sock = bind("127.0.0.1", 0)
    root = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = IssuerService(IssuerSettings(f"{root}/issuer", exported.out_dir), exported.seal())
    try:
        with BackgroundServer(create_app(service), sock):
            inserted = requests.get(f"{root}/.well-known/openid-credential-issuer/issuer", timeout=10)
            assert inserted.status_code == 200 and inserted.json()["credential_issuer"] == f"{root}/issuer"
            oauth = requests.get(f"{root}/.well-known/oauth-authorization-server/issuer", timeout=10).json()
            assert oauth["token_endpoint"] == f"{root}/issuer/token"
            holder = Holder(f"{root}/issuer")  # every endpoint the metadata names, with the path
            offer = service.offers.create(exported.keys[0], ("elm",), valid_for=600)
            link = offer_link_by_reference(service.issuer, offer.reference)
            assert offer_from_link(link)["credential_issuer"] == f"{root}/issuer"  # from /issuer/offers/
            token = holder.access_token(offer.pre_authorized_code)
            assert holder.request(token, holder.proof(holder.nonce())).status_code == 200
    finally:
        service.close()


def test_credential_request_errors(issuer: IssuerService, fresh_token: tuple[Holder, str]) -> None:
    holder, token = fresh_token
    proof = holder.proof(holder.nonce())
    _error(holder.request(token, proof, "diploma"), 400, "unknown_credential_configuration")
    _error(holder.request(token, proof, "edc-sealed"), 403, "insufficient_scope")  # not offered
    for identifier in ("x", "elm"):  # 8.2: the token response returned no credential_identifiers
        _error(
            holder.credential(token, {"credential_identifier": identifier, "proofs": {"jwt": [proof]}}),
            400,
            "invalid_credential_request",
        )
    _error(
        holder.credential(token, {"format": "vc+sd-jwt", "vct": "urn:eudi:elm:1", "proof": {}}),
        400,
        "invalid_credential_request",
    )
    _error(  # 8.3.1.2: more proofs than the issuer takes is a parameter value it does not support
        holder.credential(token, {"credential_configuration_id": "elm", "proofs": {"jwt": [proof, proof]}}),
        400,
        "invalid_credential_request",
    )
    _error(
        holder.credential(
            token,
            {
                "credential_configuration_id": "elm",
                "proofs": {"jwt": [proof]},
                "credential_response_encryption": {"enc": "A128GCM"},
            },
        ),
        400,
        "invalid_encryption_parameters",
    )
    response = requests.post(
        f"{issuer.issuer}/credential",
        data=b"{",
        timeout=10,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    _error(response, 400, "invalid_credential_request")
    nested = requests.post(
        f"{issuer.issuer}/credential",
        data=b"[" * 30000 + b"]" * 30000,
        timeout=10,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    _error(nested, 400, "invalid_credential_request")  # not a 500 from the parser's recursion
    notification = requests.post(
        f"{issuer.issuer}/notification",
        data=b"[" * 30000 + b"]" * 30000,
        timeout=10,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    _error(notification, 400, "invalid_notification_request")


def test_missing_or_unknown_access_token_is_401(
    issuer: IssuerService, exported: Exported, clock: Clock
) -> None:
    """RFC 6750 3.1: a request without a Bearer token (no ``Authorization``, another scheme) is
    challenged with a plain ``Bearer`` and no error code; a token that is unknown or expired
    gets ``error="invalid_token"``."""
    for endpoint in ("credential", "notification"):
        for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, {"Authorization": "DPoP abc"}):
            response = requests.post(f"{issuer.issuer}/{endpoint}", json={}, headers=headers, timeout=10)
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == "Bearer", headers
            assert "error" not in response.json() and response.json()["error_description"]
            assert response.headers["cache-control"] == "no-store"
        for token in ("nope", ""):
            response = requests.post(f"{issuer.issuer}/{endpoint}", json={}, timeout=10,
                                     headers={"Authorization": f"Bearer {token}"})
            _error(response, 401, "invalid_token")
            assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    offer = issuer.offers.create(exported.keys[3], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    clock.offset = 601  # past the token's 600 s
    try:
        expired = holder.request(token, holder.proof(holder.nonce()))
    finally:
        clock.offset = 0
    assert "expired" in _error(expired, 401, "invalid_token")
    assert expired.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_offer_by_reference_serves_the_offer_until_used(issuer: IssuerService, exported: Exported) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm", "edc-sealed"), valid_for=600)
    link = offer_link_by_reference(issuer.issuer, offer.reference)
    body = offer_from_link(link)
    assert body["credential_issuer"] == issuer.issuer
    assert body["credential_configuration_ids"] == ["elm", "edc-sealed"]
    code = body["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
    holder = Holder(issuer.issuer)
    token = holder.access_token(code)
    with pytest.raises(requests.HTTPError):
        offer_from_link(link)  # 404 once redeemed
    sealed = holder.credential(token, {"credential_configuration_id": "edc-sealed"})
    assert sealed.status_code == 200, sealed.text
    document = sealed.json()["credentials"][0]["credential"]
    on_disk = json.loads(
        (exported.out_dir / "edc-sealed" / f"{exported.keys[0].replace('/', '_')}.jsonld").read_text("utf-8")
    )
    assert document == on_disk


def test_secrets_are_stored_hashed(issuer: IssuerService, exported: Exported) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600, tx_code_length=8)
    token = Holder(issuer.issuer).access_token(offer.pre_authorized_code, offer.tx_code)
    db = sqlite3.connect(Path(exported.out_dir) / OFFERS_NAME)
    try:
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    for secret in (offer.pre_authorized_code, offer.reference, str(offer.tx_code), token):
        assert secret not in dump


def test_unknown_route_and_method_are_json_errors(issuer: IssuerService) -> None:
    assert requests.get(f"{issuer.issuer}/nope", timeout=10).status_code == 404
    response = requests.get(f"{issuer.issuer}/token", timeout=10)
    assert response.status_code == 405 and response.json()["error"] == "invalid_request"


def test_oversized_bodies_are_refused(issuer: IssuerService) -> None:
    big = b"x" * (64 * 1024 + 1)
    response = requests.post(
        f"{issuer.issuer}/credential",
        data=big,
        timeout=10,
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
    )
    assert _error(response, 413, "invalid_request").endswith("bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        for _ in range(100):
            yield b"y" * 1024

    streamed = requests.post(
        f"{issuer.issuer}/token",
        data=chunks(),
        timeout=10,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _error(streamed, 413, "invalid_request")


def _select(value: Any, path: list[Any]) -> list[Any]:
    """Claims path pointer processing (SD-JWT VC, OpenID4VCI appendix C): a string selects an
    object key, null all array elements, an integer one array element; anything else fails."""
    selected = [value]
    for component in path:
        following = []
        for item in selected:
            if isinstance(component, str):
                assert isinstance(item, dict), f"{component!r} applied to {type(item).__name__}"
                following += [item[component]] if component in item else []
            else:
                assert isinstance(item, list), f"{component!r} applied to {type(item).__name__}"
                following += item if component is None else item[component:component + 1]
        selected = following
    return selected


def test_every_claim_path_selects_values_in_every_issued_credential(issuer: IssuerService) -> None:
    meta = requests.get(f"{issuer.issuer}/type-metadata/elm", timeout=10).json()
    assert meta["vct"] == "urn:eudi:elm:1"
    assert all(claim["sd"] == "always" for claim in meta["claims"])
    issuer_meta = requests.get(f"{issuer.issuer}/.well-known/openid-credential-issuer", timeout=10).json()
    elm = issuer_meta["credential_configurations_supported"]["elm"]["credential_metadata"]["claims"]
    paths = [claim["path"] for claim in [*meta["claims"], *elm]]
    credentials = [{"elm": to_edc(award, catalogue)} for _, award, catalogue in fixture_pairs()]
    for path in paths:
        found = [_select(credential, path) for credential in credentials]  # fails on a wrong component
        if path[-1] != "dateOfBirth":
            assert all(found), path


def test_type_metadata_names_the_language_of_every_display_entry(issuer: IssuerService) -> None:
    """SD-JWT VC type metadata: each ``display`` entry, of the type and of its claims, REQUIRES
    ``locale`` (Display Metadata, Claim Display Metadata); DC4EU's recorded ELM type metadata
    still names it ``lang``, which is kept beside it."""
    meta = requests.get(f"{issuer.issuer}/type-metadata/elm", timeout=10).json()
    entries = [*meta["display"], *(entry for claim in meta["claims"] for entry in claim["display"])]
    assert len(entries) == 1 + len(meta["claims"])
    for entry in entries:
        assert entry["locale"] == entry["lang"] == "en", entry
    assert all(entry["name"] for entry in meta["display"])
    assert all(entry["label"] for claim in meta["claims"] for entry in claim["display"])
