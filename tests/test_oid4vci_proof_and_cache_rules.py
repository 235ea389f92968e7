"""The OpenID4VCI issuer over real HTTP (uvicorn on 127.0.0.1): a proof key in another
encoding than RFC 7518's, time claims no float holds, a token obtained for part of an offer,
the cache headers of RFC 6749 5.1, ``Allow`` on 405, and nonces found by their expiry."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from edcbridge.oid4vci.offers import OfferStore
from edcbridge.oid4vci.sdjwt import decode_part
from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import PRE_AUTH, Exported, Holder, export_awards, running_issuer

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-hardening"), 2, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    return str(body["error_description"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed(holder: Holder, header: dict[str, Any], payload: bytes) -> str:
    """An ES256 JWT signed by hand, so header and payload hold exactly what the test puts there."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    der = holder.key.get_op_key("sign").sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _token(issuer: IssuerService, exported: Exported, holder: Holder) -> str:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    return holder.access_token(offer.pre_authorized_code)


def _send(issuer: IssuerService, exported: Exported, holder: Holder, proof: str) -> requests.Response:
    return holder.request(_token(issuer, exported, holder), proof)


def _header(holder: Holder, **jwk_members: Any) -> dict[str, Any]:
    jwk = {**json.loads(holder.key.export_public()), **jwk_members}
    return {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": jwk}


def _claims(issuer: IssuerService, holder: Holder, **extra: Any) -> bytes:
    claims = {"aud": issuer.issuer, "iat": int(time.time()), "nonce": holder.nonce(), **extra}
    return json.dumps(claims).encode()


# -- the proof key is bound as sent: only its one encoding is taken ---------------------------


def _other_encodings(x: str) -> dict[str, str]:
    """The same coordinate written otherwise: base64 decoders take each of these."""
    last = ALPHABET.index(x[-1])  # 32 octets: 43 characters, the last one's 2 low bits unused
    return {
        "padded": x + "=",
        "leading zero octets": "AAAA" + x,
        "unused bits set": x[:-1] + ALPHABET[last | 1],
    }


@pytest.mark.parametrize("member", ["x", "y"])
def test_a_proof_key_in_another_encoding_is_refused(
    issuer: IssuerService, exported: Exported, member: str
) -> None:
    holder = Holder(issuer.issuer)
    coordinate = json.loads(holder.key.export_public())[member]
    for name, other in _other_encodings(coordinate).items():
        proof = _signed(holder, _header(holder, **{member: other}), _claims(issuer, holder))
        description = _error(_send(issuer, exported, holder, proof), 400, "invalid_proof")
        assert "base64url without padding" in description, name
    proof = _signed(holder, _header(holder), _claims(issuer, holder))
    answer = _send(issuer, exported, holder, proof)
    assert answer.status_code == 200, answer.text
    payload = decode_part(answer.json()["credentials"][0]["credential"].split("~")[0].split(".")[1])
    assert payload["cnf"]["jwk"] == json.loads(holder.key.export_public())


# -- time claims are numbers a clock can hold ---------------------------------------------------


@pytest.mark.parametrize("claim", ["iat", "exp", "nbf"])
def test_a_time_claim_of_hundreds_of_digits_is_an_invalid_proof(
    issuer: IssuerService, exported: Exported, claim: str
) -> None:
    holder = Holder(issuer.issuer)
    for value in (-(10**400), 10**400):
        text = _claims(issuer, holder).decode()[:-1] + f', "{claim}": {value}}}'  # the last one counts
        proof = _signed(holder, _header(holder), text.encode())
        description = _error(_send(issuer, exported, holder, proof), 400, "invalid_proof")
        assert f"'{claim}'" in description


# -- a token obtained for part of an offer obtains that part alone ------------------------------


def test_a_token_for_part_of_an_offer_obtains_that_part_alone(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm", "edc-sealed"), valid_for=600)
    details = json.dumps([{"type": "openid_credential", "credential_configuration_id": "elm"}])
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": offer.pre_authorized_code,
            "authorization_details": details}
    response = requests.post(f"{issuer.issuer}/token", data=form, timeout=10)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    holder = Holder(issuer.issuer)
    for configuration in ("edc-sealed", "elm"):  # 8.2: the token came with credential_identifiers
        _error(holder.credential(token, {"credential_configuration_id": configuration}), 400,
               "invalid_credential_request")
    _error(holder.credential(token, {"credential_identifier": "edc-sealed"}), 400,
           "unknown_credential_identifier")
    proofs = {"jwt": [holder.proof(holder.nonce())]}
    issued = holder.credential(token, {"credential_identifier": "elm", "proofs": proofs})
    assert issued.status_code == 200, issued.text
    status = issuer.offers.status(offer.offer_id)
    assert status is not None and status.state == "issued"  # what the token obtained is all issued


def test_an_offer_store_grants_only_what_the_offer_holds(tmp_path: Path) -> None:
    offers = OfferStore(tmp_path / "offers.sqlite")
    try:
        offer = offers.create("imperial/A-1", ("elm",), valid_for=600)
        with pytest.raises(ValueError, match="not a part of the offer"):
            offers.redeem(offer.pre_authorized_code, None, token_ttl=60, granted=("elm", "edc-sealed"))
        status = offers.status(offer.offer_id)
        assert status is not None and status.state == "open"  # refused before the code is spent
    finally:
        offers.close()


# -- HTTP: cache headers, Allow ------------------------------------------------------------------


def test_token_answers_and_refusals_are_not_cached(issuer: IssuerService, exported: Exported) -> None:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    for response in (holder.token(offer.pre_authorized_code), holder.token(offer.pre_authorized_code)):
        assert response.status_code in (200, 400), response.text
        assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")


def test_a_wrong_method_is_answered_with_the_allowed_ones(issuer: IssuerService) -> None:
    response = requests.get(f"{issuer.issuer}/token", timeout=10)
    _error(response, 405, "invalid_request")
    assert response.headers["allow"] == "POST"


# -- nonces: an unauthenticated endpoint writes nothing, spent nonces go by their expiry -------


def test_spent_nonces_are_found_by_their_expiry(tmp_path: Path) -> None:
    offers = OfferStore(tmp_path / "offers.sqlite")
    try:
        assert offers.consume_nonce(offers.new_nonce(60))
    finally:
        offers.close()
    with sqlite3.connect(tmp_path / "offers.sqlite") as db:
        plan = " ".join(str(row[-1]) for row in db.execute(
            "EXPLAIN QUERY PLAN DELETE FROM spent_nonces WHERE expires < ?", (time.time(),)))
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan


# -- a proof key marked for another use is refused saying so --------------------------------------


@pytest.mark.parametrize(("members", "named"), [({"use": "enc"}, "'use': 'enc'"),
                                               ({"key_ops": ["encrypt"]}, "'key_ops': ['encrypt']")])
def test_a_proof_key_marked_for_encryption_is_refused_saying_so(
    issuer: IssuerService, exported: Exported, members: dict[str, Any], named: str
) -> None:
    """The error description holds no double quotes (RFC 6749 5.2): the member is named quoted
    singly."""
    holder = Holder(issuer.issuer)
    proof = _signed(holder, _header(holder, **members), _claims(issuer, holder))
    description = _error(_send(issuer, exported, holder, proof), 400, "invalid_proof")
    assert "marked for encryption, not signing" in description, description
    assert "does not verify" not in description, description
    assert named in description, description


# -- a proof is a JWT: compact serialization, its header all signed ------------------------------


def test_a_proof_in_the_json_serialization_is_refused(issuer: IssuerService, exported: Exported) -> None:
    """RFC 7519 7.1: a JWT is the compact serialization. In the JSON one the ``header`` member is
    not signed, so its ``typ`` would make any JWS the key signed pass as a key proof; a JSON text
    with exactly two dots once passed the check for three parts."""
    holder = Holder(issuer.issuer)
    protected = _b64(json.dumps({"alg": "ES256", "jwk": json.loads(holder.key.export_public())}).encode())
    payload = _b64(_claims(issuer, holder))
    der = holder.key.get_op_key("sign").sign(f"{protected}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    proof = json.dumps({"protected": protected, "payload": payload,
                        "header": {"typ": "openid4vci-proof+jwt", "note": "a.b."},
                        "signature": _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))})
    assert proof.count(".") == 2
    description = _error(_send(issuer, exported, holder, proof), 400, "invalid_proof")
    assert "compact" in description, description
