"""The endpoints that need an access token read no byte of a body before the token is checked,
and a body over the limit is refused without being read to its end (uvicorn on 127.0.0.1, raw
sockets): a client without a valid token gets its 401 at once, whatever body it announces, sends
slowly or never ends; after an answer, at most 64 KiB of an unread body are read and the
connection then closes, the answer delivered first."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import closing
from urllib.parse import urlsplit

import pytest
import requests

from edcbridge.oid4vci.service import IssuerService
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, Holder, export_awards, running_issuer

ENDPOINTS = ["credential", "notification"]
BODY_WAIT = 20 + 10  # the documented body deadline, and time for a busy machine


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-serve-limits-auth"), 2, store.root)


@pytest.fixture(scope="module")
def issuer(exported: Exported) -> Iterator[IssuerService]:
    with running_issuer(exported) as service:
        yield service


@pytest.fixture(scope="module")
def token(issuer: IssuerService, exported: Exported) -> str:
    offer = issuer.offers.create(exported.keys[0], ("elm",), valid_for=600)
    return Holder(issuer.issuer).access_token(offer.pre_authorized_code)


def _connect(issuer: IssuerService) -> socket.socket:
    address = urlsplit(issuer.issuer)
    return socket.create_connection((address.hostname, address.port), timeout=10)


def _answer(sock: socket.socket, seconds: float = 5) -> bytes:
    """One answer (head and Content-Length body) as it comes within ``seconds``."""
    sock.settimeout(seconds)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        head, found, body = data.partition(b"\r\n\r\n")
        if found:
            length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                           if line.startswith(b"content-length:")), 0)
            if len(body) >= length:
                return data
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split(b" ", 2)[1])


def _header(answer: bytes, name: str) -> str | None:
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _head(endpoint: str, authorization: str | None, extra: str = "Content-Length: 60000\r\n") -> bytes:
    auth = f"Authorization: {authorization}\r\n" if authorization is not None else ""
    return (f"POST /{endpoint} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n"
            f"{extra}\r\n").encode()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("authorization", "challenge"), [
    (None, "Bearer"), ("Basic dXNlcjpwdw==", "Bearer"), ("Bearer unknown", 'Bearer error="invalid_token"'),
])
def test_no_valid_token_is_401_before_any_of_the_body(
    issuer: IssuerService, endpoint: str, authorization: str | None, challenge: str
) -> None:
    """Only the head is sent, announcing 60000 bytes: the 401 (RFC 6750 3.1) comes at once."""
    with closing(_connect(issuer)) as sock:
        began = time.monotonic()
        sock.sendall(_head(endpoint, authorization))
        answer = _answer(sock)
        assert time.monotonic() - began < 5
    assert _status(answer) == 401, answer[:300]
    assert (_header(answer, "www-authenticate") or "").startswith(challenge)
    assert _header(answer, "cache-control") == "no-store"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_chunked_body_without_end_and_no_valid_token_is_401_at_once(
    issuer: IssuerService, endpoint: str
) -> None:
    with closing(_connect(issuer)) as sock:
        sock.sendall(_head(endpoint, "Bearer unknown", "Transfer-Encoding: chunked\r\n") + b"1\r\n{\r\n")
        answer = _answer(sock)
    assert _status(answer) == 401 and json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == "invalid_token"


def test_a_client_waiting_for_100_continue_gets_its_401_and_no_100(issuer: IssuerService) -> None:
    with closing(_connect(issuer)) as sock:
        sock.sendall(_head("credential", None, "Content-Length: 50000\r\nExpect: 100-continue\r\n"))
        answer = _answer(sock)
    assert _status(answer) == 401, answer[:200]
    assert b"100 Continue" not in answer


def test_a_declared_body_over_the_limit_is_413_before_the_token_is_looked_up(issuer: IssuerService) -> None:
    """Both cost nothing to check: a Bearer token is there, the declared length is too much."""
    with closing(_connect(issuer)) as sock:
        sock.sendall(_head("credential", "Bearer unknown", "Content-Length: 1000000000\r\n"))
        answer = _answer(sock)
    assert _status(answer) == 413, answer[:200]
    assert (_header(answer, "connection") or "").lower() == "close"


def test_a_slow_body_with_a_valid_token_still_gets_408(issuer: IssuerService, token: str) -> None:
    with closing(_connect(issuer)) as sock:
        sock.sendall(_head("credential", f"Bearer {token}") + b"{")
        sock.settimeout(1)
        answer = b""
        deadline = time.monotonic() + BODY_WAIT
        while time.monotonic() < deadline and b"\r\n\r\n" not in answer:
            try:
                sock.sendall(b" ")
                answer += sock.recv(65536)
            except TimeoutError:
                continue
    assert _status(answer) == 408, answer[:200]
    assert (_header(answer, "connection") or "").lower() == "close"


def _push_until_closed(sock: socket.socket, seconds: float) -> tuple[int, float]:
    """Send 64 KiB blocks until the server closes (or ``seconds`` pass): bytes sent, time taken."""
    block = b"a" * 65536
    sent = 0
    began = time.monotonic()
    sock.settimeout(2)
    try:
        while time.monotonic() - began < seconds:
            sock.sendall(block)
            sent += len(block)
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        pass
    return sent, time.monotonic() - began


@pytest.mark.parametrize(("endpoint", "authorization", "status"), [
    ("credential", None, 401),  # answered before the body, which it then stops reading
    ("notification", "Bearer unknown", 413),  # the declared length is refused, the connection closes
    ("token", None, 413),
])
def test_a_huge_body_after_its_answer_is_not_read(
    issuer: IssuerService, endpoint: str, authorization: str | None, status: int
) -> None:
    """1 GB announced and sent as fast as loopback takes it (before, the server read all of it
    in about 3 s): the server stops reading it, closes the connection within seconds, and the
    client finds the answer first. What the client could push is what the socket buffers of
    both sides hold, a few MiB."""
    content_type = "application/x-www-form-urlencoded" if endpoint == "token" else "application/json"
    auth = f"Authorization: {authorization}\r\n" if authorization else ""
    with closing(_connect(issuer)) as sock:
        sock.sendall(f"POST /{endpoint} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: {content_type}\r\n"
                     "Content-Length: 1000000000\r\n\r\n".encode())
        sent, took = _push_until_closed(sock, 30)
        answer = _answer(sock, 2)
    assert took < 15, (sent, took)
    assert sent < 64 * 1024 * 1024, (sent, took)
    assert _status(answer) == status, answer[:200]


def test_a_client_that_sends_its_whole_large_body_first_still_reads_the_answer(issuer: IssuerService) -> None:
    """requests sends all of the body before it reads: it finds the 401 and the 413 all the same
    (the server sends its answer and a FIN, and waits before it closes)."""
    big = b"x" * (8 * 1024 * 1024)
    unauthenticated = requests.post(f"{issuer.issuer}/credential", data=big, timeout=30,
                                    headers={"Content-Type": "application/json"})
    assert unauthenticated.status_code == 401 and unauthenticated.headers["WWW-Authenticate"] == "Bearer"
    too_large = requests.post(f"{issuer.issuer}/token", data=big, timeout=30,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert too_large.status_code == 413 and too_large.json()["error"] == "invalid_request"


def test_a_small_body_left_unread_by_a_401_keeps_the_connection(issuer: IssuerService) -> None:
    """A wallet whose token expired sends its small request whole: the 401 does not cost it the
    connection, the next request on it is answered."""
    body = json.dumps({"credential_configuration_id": "elm"}).encode()
    with closing(_connect(issuer)) as sock:
        sock.sendall(_head("credential", "Bearer expired", f"Content-Length: {len(body)}\r\n") + body)
        first = _answer(sock)
        sock.sendall(b"POST /nonce HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        second = _answer(sock)
    assert _status(first) == 401 and _status(second) == 200, (first[:100], second[:100])


def test_the_protocol_still_works_with_a_valid_token(issuer: IssuerService, exported: Exported) -> None:
    offer = issuer.offers.create(exported.keys[1], ("elm",), valid_for=600)
    _, answer = Holder(issuer.issuer).fetch(offer.pre_authorized_code)
    assert answer["credentials"][0]["credential"].count("~") >= 1


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("authorization", ["Bearer a b", "Bearer to\tken", "Bearer tok,en", "Bearer =abc"])
def test_a_malformed_bearer_token_is_400_invalid_request(
    issuer: IssuerService, endpoint: str, authorization: str
) -> None:
    """RFC 6750 2.1 and 3.1: a token is a b64token; anything else is a malformed request (400),
    not a token that was checked and found unknown (401)."""
    with closing(_connect(issuer)) as sock:
        sock.sendall(_head(endpoint, authorization))
        answer = _answer(sock)
    assert _status(answer) == 400, answer[:300]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == "invalid_request"
    assert _header(answer, "cache-control") == "no-store"
