"""The limit on the requests of one client address (uvicorn on 127.0.0.1; another client
address from 127.0.0.2): one keep-alive connection cannot send requests without end. Past the
burst a request is answered 429 with Retry-After (the connection stays open), other addresses
are served, one log line says so; ``edcbridge serve`` has the limit by default and says so."""

from __future__ import annotations

import json
import logging
import socket
import weakref
from contextlib import closing
from pathlib import Path

import pytest
import requests

from edcbridge.oid4vci.ratelimit import BURST_SECONDS, DEFAULT_MAX_CLIENT_REQUESTS
from edcbridge.oid4vci.server import DEFAULT_MAX_CONNECTION_REQUESTS
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, connect, export_awards, issuer_url, serve_process

RATE = 1  # a second: a burst of BURST_SECONDS requests, then one a second
ENOUGH = 10 * BURST_SECONDS * RATE  # requests sent at most before a 429 must have come
METADATA = b"GET /.well-known/openid-credential-issuer HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-serve-limits-requests"), 1, store.root)


# what a read brought beyond the answer asked for: pipelined answers may come in one segment
_UNREAD: weakref.WeakKeyDictionary[socket.socket, bytes] = weakref.WeakKeyDictionary()


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One answer of a keep-alive connection (its body has a Content-Length); bytes of the next
    answers read with it are kept for the next call."""
    data = _UNREAD.pop(sock, b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection was closed: {data[:200]!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = (line.partition(":") for line in lines[1:])
    headers = {name.strip().lower(): value.strip() for name, _, value in fields}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection was closed within an answer's body"
        rest += chunk
    body, _UNREAD[sock] = rest[:length], rest[length:]
    return int(lines[0].split(" ")[1]), headers, body


def _until_refused(sock: socket.socket) -> tuple[int, tuple[int, dict[str, str], bytes]]:
    """Requests on one connection until one is refused: how many were served, and the refusal."""
    for served in range(ENOUGH):
        sock.sendall(METADATA)
        answer = _answer(sock)
        if answer[0] != 200:
            return served, answer
    raise AssertionError(f"{ENOUGH} requests on one connection, none refused")


def test_one_connection_cannot_send_requests_without_end(
    exported: Exported, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="edcbridge.oid4vci"), \
            issuer_url(exported, max_client_requests=RATE) as url:
        with closing(connect(url)) as sock:
            served, (status, headers, body) = _until_refused(sock)
            assert served >= BURST_SECONDS * RATE
            assert status == 429, body
            assert int(headers["retry-after"]) >= 1
            assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"
            assert headers["access-control-allow-origin"] == "*"
            assert headers["access-control-expose-headers"].lower() == "retry-after"
            assert json.loads(body)["error"] == "temporarily_unavailable"
            for _ in range(20):  # refused, not disconnected; and cheap to refuse
                sock.sendall(METADATA)
                assert _answer(sock)[0] in (200, 429)
        with closing(connect(url, source="127.0.0.2")) as other:
            other.sendall(METADATA)
            assert _answer(other)[0] == 200
    lines = [record.getMessage() for record in caplog.records if "429" in record.getMessage()]
    assert len(lines) == 1 and "turn the limit off" in lines[0], lines


def test_serve_limits_requests_by_default_and_says_so(exported: Exported, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    limited = serve_process(exported, log, "--max-client-requests", str(RATE))
    with limited as url, requests.Session() as session:
        metadata = f"{url}/.well-known/openid-credential-issuer"
        answers = (session.get(metadata, timeout=10) for _ in range(ENOUGH))
        refused = next(answer for answer in answers if answer.status_code != 200)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    text = log.read_text("utf-8")
    assert f"at most {RATE} requests a second per client address" in text
    log = tmp_path / "default.log"
    with serve_process(exported, log):
        pass
    text = log.read_text("utf-8")
    assert f"at most {DEFAULT_MAX_CLIENT_REQUESTS} requests a second per client address" in text
    assert f"at most {DEFAULT_MAX_CONNECTION_REQUESTS} requests on one connection, then it is closed" in text


def _served_until_closed(sock: socket.socket) -> list[tuple[int, dict[str, str], bytes]]:
    """The answers a connection gets before the server closes it (a clean close, no reset)."""
    answers = []
    while True:
        answers.append(_answer(sock))
        if answers[-1][1].get("connection") == "close":
            assert _UNREAD.pop(sock, b"") + sock.recv(1) == b"", \
                "the connection stayed open after 'Connection: close'"
            return answers


def test_a_keep_alive_connection_is_closed_after_its_last_request(exported: Exported) -> None:
    with issuer_url(exported, max_connection_requests=3) as url:
        with closing(connect(url)) as sock:
            for _ in range(2):
                sock.sendall(METADATA)
                status, headers, _ = _answer(sock)
                assert status == 200 and "connection" not in headers
            sock.sendall(METADATA)
            assert [status for status, _, _ in _served_until_closed(sock)] == [200]
        with closing(connect(url)) as sock:  # a new connection is served again
            sock.sendall(METADATA * 5)  # pipelined: three are answered, then the connection closes
            assert [status for status, _, _ in _served_until_closed(sock)] == [200, 200, 200]


def test_the_requests_of_a_connection_are_not_capped_with_0(exported: Exported) -> None:
    with issuer_url(exported, max_connection_requests=0, max_client_requests=0) as url, \
            closing(connect(url)) as sock:
        for _ in range(1100):  # past the default cap
            sock.sendall(METADATA)
            status, headers, _ = _answer(sock)
            assert status == 200 and "connection" not in headers
