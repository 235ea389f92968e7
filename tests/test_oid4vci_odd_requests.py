"""The issuer over real HTTP (uvicorn on 127.0.0.1) given odd requests: odd request text is a
400 and never a 500, it cannot forge lines of the issuer's log, a proof ``typ`` is a media
type, and ``serve`` on a wildcard address needs the public issuer URL."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from edcbridge.oid4vci.cli import ISSUER_URL_ENV
from edcbridge.oid4vci.server import OriginForm
from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import (
    PRE_AUTH,
    Exported,
    Holder,
    edcbridge_cli,
    export_awards,
    running_issuer,
)

FORGED = "x\nERROR edcbridge.oid4vci: FORGED LINE"
# RFC 6749 5.2, RFC 6750 3, OpenID4VCI 1.0 8.3.1.2: what an error_description may hold
WIRE_TEXT = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-hardening"), 3, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


def _fresh_token(issuer: IssuerService, exported: Exported) -> tuple[Holder, str]:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    return holder, holder.access_token(offer.pre_authorized_code)


def _error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    return str(body["error_description"])


def _post(issuer: IssuerService, endpoint: str, token: str, body: bytes) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return requests.post(f"{issuer.issuer}/{endpoint}", data=body, headers=headers, timeout=10)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(holder: Holder, header: dict[str, Any], payload: bytes) -> str:
    """An ES256 JWT signed by hand: header and payload may hold what jwcrypto would not sign."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    der = holder.key.get_op_key("sign").sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _claims(issuer: IssuerService, holder: Holder) -> dict[str, Any]:
    return {"aud": issuer.issuer, "iat": int(time.time()), "nonce": holder.nonce()}


def _header(holder: Holder, **extra: Any) -> dict[str, Any]:
    return {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": json.loads(holder.key.export_public()),
            **extra}


# -- 1: odd request text is a 400, never a 500 ----------------------------------------------


def test_a_lone_surrogate_nonce_is_an_unknown_nonce(issuer: IssuerService, exported: Exported) -> None:
    holder, token = _fresh_token(issuer, exported)
    _error(holder.request(token, holder.proof("\ud800")), 400, "invalid_nonce")
    assert holder.request(token, holder.proof(holder.nonce())).status_code == 200


def test_huge_integers_in_a_body_are_bad_requests(issuer: IssuerService, exported: Exported) -> None:
    _, token = _fresh_token(issuer, exported)
    digits = b"1" * 5000  # beyond Python's int max str digits
    credential = _post(issuer, "credential", token, b'{"credential_configuration_id": ' + digits + b"}")
    _error(credential, 400, "invalid_credential_request")
    notification = _post(issuer, "notification", token, b'{"event": ' + digits + b"}")
    _error(notification, 400, "invalid_notification_request")


def test_a_lone_surrogate_notification_id_is_an_unknown_one(
    issuer: IssuerService, exported: Exported
) -> None:
    holder, _ = _fresh_token(issuer, exported)
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600)
    token, answer = holder.fetch(offer.pre_authorized_code)
    unknown = _error(_post(issuer, "notification", token,
                           b'{"notification_id": "not-ours", "event": "credential_accepted"}'),
                     400, "invalid_notification_id")
    lone = _post(issuer, "notification", token,
                 b'{"notification_id": "\\ud800", "event": "credential_accepted"}')
    assert _error(lone, 400, "invalid_notification_id") == unknown
    described = {"notification_id": answer["notification_id"], "event": "credential_accepted",
                 "event_description": "\ud800"}  # stored printable, not a 500 from SQLite
    assert _post(issuer, "notification", token, json.dumps(described).encode()).status_code == 204


def test_a_too_deeply_nested_proof_payload_is_an_invalid_proof(
    issuer: IssuerService, exported: Exported
) -> None:
    holder, token = _fresh_token(issuer, exported)
    deep = b"[" * 20000 + b"]" * 20000  # deeper than the JSON parser's recursion
    payload = json.dumps(_claims(issuer, holder)).encode()[:-1] + b', "deep": ' + deep + b"}"
    _error(holder.request(token, _sign(holder, _header(holder), payload)), 400, "invalid_proof")


# -- 2: request text cannot forge log lines --------------------------------------------------


def test_request_text_cannot_forge_a_log_line(
    issuer: IssuerService, exported: Exported, caplog: pytest.LogCaptureFixture
) -> None:
    holder, token = _fresh_token(issuer, exported)
    claims = json.dumps(_claims(issuer, holder)).encode()
    crit = _sign(holder, _header(holder, crit=[FORGED], **{FORGED: 1}), claims)
    typ = holder.proof(holder.nonce(), typ="\u2028" + FORGED + "\x1b[0m")
    with caplog.at_level(logging.WARNING, logger="edcbridge.oid4vci"):
        descriptions = [_error(holder.request(token, proof), 400, "invalid_proof") for proof in (crit, typ)]
        requests.get(f"{issuer.issuer}/offers/x%E2%80%A8ERROR%20FORGED%1B%5B0m", timeout=10)  # U+2028, ESC
    assert "xU+000AERROR edcbridge.oid4vci: FORGED LINE" in descriptions[0]  # escaped, still readable
    assert "U+005Cu2028xU+005CnERROR" in descriptions[1] and "U+005Cx1b[0m" in descriptions[1]
    messages = [record.getMessage() for record in caplog.records if record.name == "edcbridge.oid4vci"]
    assert len(messages) == 3
    assert "x\\nERROR edcbridge.oid4vci: FORGED LINE" in messages[0]  # the log: escaped the Python way
    for text in messages:
        assert text.isprintable(), text
    ordinary = _error(holder.request(token, holder.proof(holder.nonce(), aud="Zoë")), 400, "invalid_proof")
    assert ordinary.endswith("(got 'ZoU+00EB')")
    for text in [*descriptions, ordinary]:
        assert WIRE_TEXT.fullmatch(text), text


def test_error_descriptions_keep_to_their_character_set(issuer: IssuerService, exported: Exported) -> None:
    """No double quote, backslash or non-ASCII character, whatever the request held."""
    holder, token = _fresh_token(issuer, exported)
    claims = json.dumps(_claims(issuer, holder)).encode()
    refusals = [
        holder.credential(token, {"credential_configuration_id": "elm", "proofs": {}}),
        holder.credential(token, {"credential_configuration_id": "elm", "proof": {"jwt": "x"}}),
        holder.credential(token, {"credential_configuration_id": "Zoë\\\"\u2028"}),
        holder.request(token, _sign(holder, _header(holder, crit=['a"b']), claims)),
        holder.request(token, holder.proof(holder.nonce(), aud='"\\é')),
        requests.post(f"{issuer.issuer}/token", data={"grant_type": 'a"b\\é'}, timeout=10),
    ]
    for response in refusals:
        assert response.status_code == 400, response.text
        assert WIRE_TEXT.fullmatch(response.json()["error_description"]), response.text


# -- 3: serve on a wildcard address --------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_serve_on_a_wildcard_address_needs_the_issuer_url(exported: Exported, host: str) -> None:
    environment = {name: value for name, value in os.environ.items() if name != ISSUER_URL_ENV}
    try:  # a process: a serve that starts would not return
        result = subprocess.run(
            edcbridge_cli("serve", "-o", str(exported.out_dir), "--p12", str(exported.p12),
                          "--password-file", str(exported.password_file), "--host", host, "--port", "0"),
            capture_output=True, text=True, stdin=subprocess.DEVNULL, env=environment, timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"edcbridge serve --host {host} started with no --issuer-url")
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and "--issuer-url" in message[0] and "public URL" in message[0], message


# -- 4: the proof typ is a media type ------------------------------------------------------


@pytest.mark.parametrize("typ", ["application/openid4vci-proof+jwt", "OpenID4VCI-Proof+JWT",
                                 "Application/OpenID4VCI-Proof+JWT"])
def test_the_proof_typ_is_a_media_type(issuer: IssuerService, exported: Exported, typ: str) -> None:
    holder, token = _fresh_token(issuer, exported)
    response = holder.request(token, holder.proof(holder.nonce(), typ=typ))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("typ", ["jwt", "application/jwt", "text/openid4vci-proof+jwt"])
def test_other_proof_types_are_still_refused(issuer: IssuerService, exported: Exported, typ: str) -> None:
    holder, token = _fresh_token(issuer, exported)
    refused = holder.request(token, holder.proof(holder.nonce(), typ=typ))
    assert "'typ'" in _error(refused, 400, "invalid_proof")


def test_a_refused_offer_address_is_logged_without_its_reference(
    issuer: IssuerService, caplog: pytest.LogCaptureFixture
) -> None:
    """An offer's address is as secret as its pre-authorized code, used, expired or unknown."""
    with caplog.at_level(logging.WARNING, logger="edcbridge.oid4vci"):
        response = requests.get(f"{issuer.issuer}/offers/SECRET-reference-1234", timeout=10)
    assert response.status_code == 404
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "edcbridge.oid4vci")
    assert "/offers/..." in logged and "SECRET-reference-1234" not in logged


# -- a member given twice: two parsers would read two different requests ---------------------


def test_a_credential_request_naming_a_member_twice_is_refused(issuer: IssuerService,
                                                              exported: Exported) -> None:
    holder, token = _fresh_token(issuer, exported)
    proof = holder.proof(holder.nonce())
    body = ('{"credential_configuration_id": "elm", "credential_configuration_id": "edc-sealed", '
            f'"proofs": {{"jwt": ["{proof}"]}}}}')
    response = requests.post(f"{issuer.issuer}/credential", data=body.encode(), timeout=10,
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    description = _error(response, 400, "invalid_credential_request")
    assert "'credential_configuration_id' is given twice" in description
    assert holder.request(token, holder.proof(holder.nonce())).status_code == 200  # the token still serves


def _raw(issuer: IssuerService, request_line: str, *headers: str) -> tuple[int, bytes]:
    """One request sent as written, on its own connection: the answer's status and body."""
    address = urlsplit(issuer.issuer)
    head = "\r\n".join([request_line, "Host: x", *headers, "Connection: close", "", ""]).encode("ascii")
    with closing(socket.create_connection((address.hostname, address.port), timeout=10)) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split(b" ")[1]), rest.partition(b"\r\n\r\n")[2]


def test_a_request_target_in_absolute_form_is_served(issuer: IssuerService) -> None:
    """RFC 9112 3.2.2: a server MUST accept the absolute-form (a client may send it to a proxy
    that passes it on as it came)."""
    metadata = requests.get(f"{issuer.issuer}/.well-known/openid-credential-issuer", timeout=10).json()
    status, body = _raw(issuer, f"GET {issuer.issuer}/.well-known/openid-credential-issuer HTTP/1.1")
    assert status == 200 and json.loads(body) == metadata
    status, body = _raw(issuer, "GET HTTPS://issuer.example/.well-known/openid-credential-issuer HTTP/1.1")
    assert status == 200 and json.loads(body) == metadata
    status, body = _raw(issuer, f"POST {issuer.issuer}/nonce HTTP/1.1", "Content-Length: 0")
    assert status == 200 and json.loads(body)["c_nonce"]
    status, body = _raw(issuer, f"GET {issuer.issuer}/status/1?time=1 HTTP/1.1")  # the query is kept
    assert status == 501, body
    status, _ = _raw(issuer, f"GET {issuer.issuer}/nowhere HTTP/1.1")
    assert status == 404


def test_a_request_target_naming_a_user_is_refused(issuer: IssuerService) -> None:
    netloc = urlsplit(issuer.issuer).netloc
    status, body = _raw(issuer, f"GET http://someone@{netloc}/.well-known/openid-credential-issuer HTTP/1.1")
    assert status == 400 and json.loads(body)["error"] == "invalid_request", body


def test_a_body_with_a_content_coding_is_refused_unread(issuer: IssuerService, exported: Exported) -> None:
    """RFC 9110 15.5.16: a body sent compressed is refused 415 with ``Accept-Encoding:
    identity`` (not read as form or JSON), and so is one marked compressed that is not."""
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    form = f"grant_type={quote(PRE_AUTH)}&pre-authorized_code={quote(offer.pre_authorized_code)}".encode()
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    for coding, body in (("gzip", gzip.compress(form)), ("br", form), ("identity, gzip", form)):
        refused = requests.post(f"{issuer.issuer}/token", data=body, timeout=10,
                                headers={**form_type, "Content-Encoding": coding})
        _error(refused, 415, "invalid_request")
        assert refused.headers["accept-encoding"] == "identity"
        assert refused.headers["cache-control"] == "no-store"
    plain = requests.post(f"{issuer.issuer}/token", data=form, timeout=10,  # the offer is still open
                          headers={**form_type, "Content-Encoding": "identity"})
    assert plain.status_code == 200, plain.text
    bearer = {"Authorization": f"Bearer {plain.json()['access_token']}"}
    json_type = {**bearer, "Content-Type": "application/json"}
    compressed = requests.post(f"{issuer.issuer}/credential", data=gzip.compress(b"{}"), timeout=10,
                               headers={**json_type, "Content-Encoding": "gzip"})
    _error(compressed, 415, "invalid_request")


def _target_served(scope: dict[str, Any]) -> tuple[str, bytes | None]:
    """The path and raw path ``OriginForm`` hands on for an HTTP request of ``scope``."""
    seen: dict[str, Any] = {}

    async def app(inner: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(inner)

    async def nothing() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def drop(message: dict[str, Any]) -> None:
        return None

    asyncio.run(OriginForm(app)({"type": "http", "root_path": "", **scope}, nothing, drop))
    return seen["path"], seen.get("raw_path")


def test_a_server_that_sends_no_raw_path_is_served_from_the_path() -> None:
    """ASGI makes ``raw_path`` optional: without it the target is read from ``path``."""
    assert _target_served({"path": "/nonce"}) == ("/nonce", None)  # handed on as it came
    assert _target_served({"path": "http://issuer.example/offers/a b"}) == ("/offers/a b", b"/offers/a%20b")
    assert _target_served({"path": "http://issuer.example", "raw_path": None}) == ("/", b"/")
