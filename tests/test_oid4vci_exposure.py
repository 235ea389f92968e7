"""The issuer as an internet-facing service (uvicorn on 127.0.0.1, raw sockets where a client
misbehaves): connections that send nothing, or heads and bodies a byte at a time, are closed
within bounded time; a redirect never names the Host a client sent, and forwarded headers do
not change the issuer; answers say ``nosniff``; URLs in a proof header are never fetched."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from edcbridge.oid4vci.app import create_app
from edcbridge.oid4vci.server import BackgroundServer, bind
from edcbridge.oid4vci.service import IssuerService, IssuerSettings
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, Holder, export_awards, running_issuer

# The documented bounds (a head within 10 s, a body within 20 s) and time for a busy machine
HEAD_WAIT = 10 + 10
BODY_WAIT = 20 + 10
WRITE_WAIT = 20 + 10  # answers that do not move for 20 s
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-exposure"), 2, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


@contextmanager
def _connection(issuer: IssuerService) -> Iterator[socket.socket]:
    address = urlsplit(issuer.issuer)
    with closing(socket.create_connection((address.hostname, address.port), timeout=10)) as sock:
        yield sock


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> tuple[bool, bytes]:
    """Whether the server closes ``sock`` within ``seconds`` while the client sends ``trickle``
    once a second (nothing when empty); and what the server sent meanwhile."""
    received = b""
    deadline = time.monotonic() + seconds
    sock.settimeout(1)
    while time.monotonic() < deadline:
        try:
            if trickle:
                sock.sendall(trickle)
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, received
        if not data:
            return True, received
        received += data
    return False, received


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


# -- slow and idle clients --------------------------------------------------------------------


def test_connections_that_send_nothing_are_closed_and_do_not_stop_a_wallet(issuer: IssuerService) -> None:
    address = urlsplit(issuer.issuer)
    idle = [socket.create_connection((address.hostname, address.port), timeout=10) for _ in range(200)]
    try:
        metadata = requests.get(f"{issuer.issuer}/.well-known/openid-credential-issuer", timeout=10)
        assert metadata.status_code == 200  # served while 200 connections sit idle
        deadline = time.monotonic() + HEAD_WAIT  # one wait for them all
        outcomes = [_closed_within(sock, max(0.1, deadline - time.monotonic())) for sock in idle]
        assert all(closed and not answer for closed, answer in outcomes)
    finally:
        for sock in idle:
            sock.close()


def test_a_head_sent_a_byte_at_a_time_is_cut_off(issuer: IssuerService) -> None:
    with _connection(issuer) as sock:
        sock.sendall(b"GET /.well-known/openid-credential-issuer HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        closed, answer = _closed_within(sock, HEAD_WAIT, trickle=b"a")
    assert closed and not answer


@pytest.mark.parametrize("endpoint", ["credential", "notification"])
def test_a_body_sent_a_byte_at_a_time_gets_408_and_the_connection_closes(
    issuer: IssuerService, exported: Exported, endpoint: str
) -> None:
    """With a valid access token: without one, the 401 comes before any of the body is read."""
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    token = Holder(issuer.issuer).access_token(offer.pre_authorized_code)
    with _connection(issuer) as sock:
        sock.sendall(f"POST /{endpoint} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{".encode())
        closed, answer = _closed_within(sock, BODY_WAIT, trickle=b" ")
    assert closed and _status(answer) == 408, answer
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower()
    assert json.loads(body)["error"] == "invalid_request"


def test_a_chunked_body_without_end_gets_408(issuer: IssuerService) -> None:
    with _connection(issuer) as sock:
        sock.sendall(f"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        closed, answer = _closed_within(sock, BODY_WAIT, trickle=b"1\r\na\r\n")
    assert closed and _status(answer) == 408, answer


def test_a_fast_body_without_end_is_refused_at_64_kib(issuer: IssuerService) -> None:
    with _connection(issuer) as sock:
        sock.sendall(f"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        sock.sendall(b"4000\r\n" + b"a" * 0x4000 + b"\r\n")  # 16 KiB a chunk, never a last chunk
        closed, answer = _closed_within(sock, BODY_WAIT, trickle=b"4000\r\n" + b"a" * 0x4000 + b"\r\n")
    assert closed and _status(answer) == 413, answer


def test_a_client_gone_before_its_body_ended_is_a_warning_not_a_500(
    issuer: IssuerService, exported: Exported, caplog: pytest.LogCaptureFixture
) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600)
    token = Holder(issuer.issuer).access_token(offer.pre_authorized_code)  # or a 401 before the body
    with caplog.at_level(logging.WARNING, logger="edcbridge.oid4vci"):
        with _connection(issuer) as sock:
            sock.sendall(f"POST /credential HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                         "Content-Length: 100\r\n\r\n{".encode())
            time.sleep(0.5)  # the app is reading the body
        deadline = time.monotonic() + 10
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.1)
    records = [record for record in caplog.records if record.name == "edcbridge.oid4vci"]
    assert [record.levelno for record in records] == [logging.WARNING], [r.getMessage() for r in records]
    assert records[0].exc_info is None and "-> 400" in records[0].getMessage()


@pytest.mark.parametrize(("endpoint", "status"), [("nonce", 200), ("token", 413)])
def test_a_body_sent_after_its_answer_does_not_hold_the_connection(
    issuer: IssuerService, endpoint: str, status: int
) -> None:
    """A false Content-Length: the nonce endpoint reads no body, the token endpoint refuses one
    so large before reading it; the client goes on sending a byte a second."""
    with _connection(issuer) as sock:
        sock.sendall(f"POST /{endpoint} HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
                     "Content-Length: 1000000000\r\n\r\na".encode())
        closed, answer = _closed_within(sock, HEAD_WAIT + 5, trickle=b"a")
    assert closed and _status(answer) == status, answer


# -- what answers say -------------------------------------------------------------------------


def test_every_answer_says_nosniff(issuer: IssuerService) -> None:
    answers = [
        requests.get(f"{issuer.issuer}/.well-known/openid-credential-issuer", timeout=10),
        requests.post(f"{issuer.issuer}/nonce", timeout=10),
        requests.get(f"{issuer.issuer}/offers/unknown", timeout=10),  # 404 of the app
        requests.get(f"{issuer.issuer}/nowhere", timeout=10),  # 404 of the router
        requests.request("TRACE", f"{issuer.issuer}/token", timeout=10),  # 405
        requests.post(f"{issuer.issuer}/credential", timeout=10),  # 401
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 404, 404, 405, 401]
    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url


def test_trace_echoes_nothing(issuer: IssuerService) -> None:
    answer = requests.request("TRACE", f"{issuer.issuer}/token", headers={"X-Secret": "echo-me"}, timeout=10)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert "echo-me" not in answer.text


@contextmanager
def _issuer_under_a_path(exported: Exported) -> Iterator[str]:
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/issuer"
    service = IssuerService(IssuerSettings(url, exported.out_dir), exported.seal())
    try:
        with BackgroundServer(create_app(service), sock):
            yield url
    finally:
        service.close()


@pytest.mark.parametrize("path", ["/token/", "/.well-known/openid-credential-issuer/", "/issuer/nonce/"])
def test_a_final_slash_is_not_redirected_to_the_host_a_client_sent(exported: Exported, path: str) -> None:
    """A redirect is built from the request's Host (and, from a proxy on this machine, its
    X-Forwarded-Proto): the issuer answers such paths 404 instead."""
    with _issuer_under_a_path(exported) as url:
        root = url.removesuffix("/issuer")
        answer = requests.get(f"{root}{path}", allow_redirects=False, timeout=10,
                              headers={"Host": "attacker.example", "X-Forwarded-Proto": "https"})
        assert answer.status_code == 404 and "Location" not in answer.headers, answer.headers
        assert requests.post(f"{url}/nonce", timeout=10).status_code == 200  # the path itself works


def test_forwarded_headers_do_not_change_the_issuer(issuer: IssuerService, exported: Exported) -> None:
    forged = {"Host": "attacker.example", "X-Forwarded-Host": "attacker.example",
              "X-Forwarded-Proto": "https", "X-Forwarded-Prefix": "/evil",
              "Forwarded": "host=attacker.example;proto=https"}
    metadata = requests.get(f"{issuer.issuer}/.well-known/openid-credential-issuer", headers=forged,
                            timeout=10).json()
    assert metadata["credential_issuer"] == issuer.issuer
    assert "attacker" not in json.dumps(metadata) and "evil" not in json.dumps(metadata)
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    holder.session.headers.update(forged)
    refused = holder.request(token, holder.proof(holder.nonce(), aud="https://attacker.example"))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_proof"


# -- proof headers ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed(holder: Holder, header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    der = holder.key.get_op_key("sign").sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def test_key_urls_in_a_proof_are_never_fetched_and_alg_none_is_refused(
    issuer: IssuerService, exported: Exported
) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600)
    holder = Holder(issuer.issuer)
    token = holder.access_token(offer.pre_authorized_code)
    with closing(socket.create_server(("127.0.0.1", 0))) as trap:
        trap.settimeout(0.2)
        here = f"http://127.0.0.1:{trap.getsockname()[1]}/key"
        hits: list[str] = []

        def watch(stop: threading.Event) -> None:
            while not stop.is_set():
                try:
                    hits.append(str(trap.accept()[1]))
                except TimeoutError:
                    continue

        stop = threading.Event()
        watcher = threading.Thread(target=watch, args=(stop,), daemon=True)
        watcher.start()
        public = json.loads(holder.key.export_public())
        claims = {"aud": issuer.issuer, "iat": int(time.time())}
        unsigned = {"typ": "openid4vci-proof+jwt", "alg": "none", "jwk": public}
        none = f"{_b64(json.dumps(unsigned).encode())}.{_b64(json.dumps(claims).encode())}."
        assert holder.request(token, none).json()["error"] == "invalid_proof"
        jku_only = _signed(holder, {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jku": here, "x5u": here},
                           {**claims, "nonce": holder.nonce()})
        assert holder.request(token, jku_only).json()["error"] == "invalid_proof"
        answer = holder.request(token, holder.proof(holder.nonce(), header={"jku": here, "x5u": here},
                                                    public={"x5u": here}))
        assert answer.status_code == 200, answer.text  # the JWK is used; the URLs are ignored
        stop.set()
        watcher.join(timeout=5)
    assert hits == []
    payload = answer.json()["credentials"][0]["credential"].split("~")[0].split(".")[1]
    cnf = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["cnf"]["jwk"]
    assert set(cnf) == {"kty", "crv", "x", "y"}


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GARBAGE\r\n\r\n", 400),  # no request line
    (b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),  # a control character in the target
    (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),  # a TLS ClientHello to the plain HTTP port
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n", 431),  # a head over 32 KiB
    # RFC 9112 6.1: a transfer coding the server does not implement
    (b"POST /nonce HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
])
def test_a_malformed_request_is_a_json_error_that_says_nosniff(
    issuer: IssuerService, request_bytes: bytes, status: int
) -> None:
    """The server's own refusal of what is not HTTP/1.1, like every answer of the app's: 400,
    431 for a head too large, 501 for a transfer coding it does not implement."""
    with _connection(issuer) as sock:
        sock.sendall(request_bytes)
        closed, answer = _closed_within(sock, HEAD_WAIT)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert closed and _status(answer) == status, answer[:300]
    lowered = head.lower()
    assert b"\r\nx-content-type-options: nosniff" in lowered and b"\r\ncache-control: no-store" in lowered
    assert b"\r\ncontent-type: application/json" in lowered
    assert json.loads(body)["error"] == "invalid_request"


def test_a_client_that_never_reads_its_answers_is_cut_off(exported: Exported) -> None:
    """Slow reading: many requests sent at once, their answers left unread. The server stops
    once its buffers are full; a connection whose answers do not move for WRITE_WAIT is dropped
    with what it had not read, so it cannot hold the server's memory and a connection for ever."""
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = IssuerService(IssuerSettings(url, exported.out_dir), exported.seal())
    request = b"GET /.well-known/openid-credential-issuer HTTP/1.1\r\nHost: x\r\n\r\n"
    count = 3000  # some MB of answers: more than the socket buffers of both ends hold
    try:
        with BackgroundServer(create_app(service), sock, max_client_requests=0), \
                closing(socket.socket()) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(sock.getsockname())
            client.settimeout(30)
            client.sendall(request * count)
            time.sleep(WRITE_WAIT)
            received = b""
            try:
                while chunk := client.recv(65536):
                    received += chunk
            except ConnectionResetError:
                pass
    finally:
        service.close()
    assert 0 < received.count(b"HTTP/1.1 200 ") < count


def test_a_client_that_reads_no_answer_is_dropped_at_the_head_deadline(exported: Exported) -> None:
    """Fewer unread answers than fill the server's buffer: the server has answered all and
    waits for the next head, and the head deadline closes the connection. A close waits for
    the answers to be sent, which a client that reads nothing never lets happen: the
    connection is dropped instead, and no longer held (nor counted against its address)."""
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = IssuerService(IssuerSettings(url, exported.out_dir), exported.seal())
    request = b"GET /.well-known/openid-credential-issuer HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        with BackgroundServer(create_app(service), sock) as server, closing(socket.socket()) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(sock.getsockname())
            client.sendall(request)  # answered: the server's side of the connection is there
            deadline = time.monotonic() + 10
            while not server.server.server_state.connections and time.monotonic() < deadline:
                time.sleep(0.05)
            for connection in server.server.server_state.connections:  # small kernel buffers
                accepted = connection.transport.get_extra_info("socket")
                accepted.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            client.sendall(request * 20)  # some 35 KiB of answers: over the kernel's, under 64 KiB
            deadline = time.monotonic() + HEAD_WAIT
            while server.server.server_state.connections and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not server.server.server_state.connections
    finally:
        service.close()


def test_a_request_with_both_content_length_and_chunked_is_refused_and_the_connection_closed(
    issuer: IssuerService,
) -> None:
    """RFC 9112 6.1: such a request is how one request is smuggled inside another past a proxy
    that reads the other header; the server MUST close the connection after answering it. What
    follows it on the connection is never served."""
    with _connection(issuer) as sock:
        sock.sendall(b"POST /nonce HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
        closed, answer = _closed_within(sock, HEAD_WAIT)
    assert closed and _status(answer) == 400, answer[:300]
    assert answer.count(b"HTTP/1.1 ") == 1, answer
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"\r\nconnection: close" in head.lower() and b"\r\nx-content-type-options: nosniff" in head.lower()
    assert json.loads(body)["error"] == "invalid_request"
