"""The cap on the simultaneous connections of one client address (uvicorn on 127.0.0.1; other
client addresses from 127.0.0.2): past the cap a connection is answered 503 with Retry-After
and closed, other addresses are served, the address is served again once it holds fewer; two
log lines an episode, not one a connection; 0 is no cap; ``edcbridge serve`` has the cap by
default and says so when it starts."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import pytest
import requests

from edcbridge.oid4vci.app import create_app
from edcbridge.oid4vci.server import (
    DEFAULT_MAX_CLIENT_CONNECTIONS,
    RETRY_AFTER,
    BackgroundServer,
    bind,
    client_key,
    protocol,
)
from edcbridge.oid4vci.service import IssuerService, IssuerSettings
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, connect, export_awards, issuer_url, serve_process

CAP = 5
METADATA = b"GET /.well-known/openid-credential-issuer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-serve-limits-connections"), 1, store.root)


def _until_closed(sock: socket.socket, seconds: float = 10) -> bytes:
    sock.settimeout(seconds)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


def _get(url: str, source: str = "127.0.0.1") -> bytes:
    with closing(connect(url, source)) as sock:
        sock.sendall(METADATA)
        return _until_closed(sock)


@contextmanager
def _idle(url: str, count: int) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        yield [stack.enter_context(closing(connect(url))) for _ in range(count)]


def _served_again(url: str, seconds: float = 10) -> bytes:
    """The answer to the address once its connections are gone (their closing takes a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = _get(url)
        if not answer.startswith(b"HTTP/1.1 503 ") or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_past_the_cap_a_connection_gets_503_with_retry_after_and_is_closed(exported: Exported) -> None:
    with issuer_url(exported, max_client_connections=CAP) as url, _idle(url, CAP):
        began = time.monotonic()
        answer = _get(url)
        assert time.monotonic() - began < 5  # answered and closed at once, not at a deadline
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 "), answer[:200]
    headers = {name.lower(): value.strip()
               for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])}
    assert headers[b"retry-after"] == str(RETRY_AFTER).encode()
    assert headers[b"connection"] == b"close" and headers[b"cache-control"] == b"no-store"
    assert headers[b"x-content-type-options"] == b"nosniff"
    # a browser wallet's page may read the answer (CORS), Retry-After included (not safelisted)
    assert headers[b"access-control-allow-origin"] == b"*"
    assert headers[b"access-control-expose-headers"].lower() == b"retry-after"
    assert int(headers[b"content-length"]) == len(body)
    assert json.loads(body)["error"] == "temporarily_unavailable"


def test_other_addresses_are_served_and_the_address_again_once_it_holds_fewer(exported: Exported) -> None:
    with issuer_url(exported, max_client_connections=CAP) as url:
        with _idle(url, CAP):
            assert _get(url).startswith(b"HTTP/1.1 503 ")
            assert _get(url, source="127.0.0.2").startswith(b"HTTP/1.1 200 ")
        assert _served_again(url).startswith(b"HTTP/1.1 200 ")


def test_an_http_client_reads_the_503(exported: Exported) -> None:
    with issuer_url(exported, max_client_connections=CAP) as url, _idle(url, CAP):
        answer = requests.get(f"{url}/.well-known/openid-credential-issuer", timeout=10)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == str(RETRY_AFTER)


def test_a_burst_of_refusals_is_two_log_lines(exported: Exported, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="edcbridge.oid4vci"), \
            issuer_url(exported, max_client_connections=CAP) as url:
        with _idle(url, CAP):
            refused = [_get(url) for _ in range(20)]
        assert all(answer.startswith(b"HTTP/1.1 503 ") for answer in refused)
        assert _served_again(url).startswith(b"HTTP/1.1 200 ")
    lines = [record.getMessage() for record in caplog.records if record.name == "edcbridge.oid4vci"]
    assert len(lines) == 2, lines
    assert f"holds {CAP} connections" in lines[0] and "turn the cap off" in lines[0]
    assert "20 were refused with 503" in lines[1]


def test_zero_is_no_cap(exported: Exported) -> None:
    with issuer_url(exported, max_client_connections=0) as url, _idle(url, 50):
        assert _get(url).startswith(b"HTTP/1.1 200 ")


def test_serve_caps_connections_by_default_and_says_so(exported: Exported, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with serve_process(exported, log) as url, _idle(url, DEFAULT_MAX_CLIENT_CONNECTIONS):
        assert _get(url).startswith(b"HTTP/1.1 503 ")
        assert _get(url, source="127.0.0.2").startswith(b"HTTP/1.1 200 ")
    text = log.read_text("utf-8")
    assert f"at most {DEFAULT_MAX_CLIENT_CONNECTIONS} simultaneous connections per client address" in text
    assert "reverse proxy" in text and "--max-client-connections 0 turns the cap off" in text


@pytest.mark.parametrize(("client", "key"), [
    (("203.0.113.7", 5000), "203.0.113.7"),
    (("::ffff:203.0.113.7", 5000), "203.0.113.7"),  # dual-stack socket, IPv4 client
    (("2001:db8:1:2:3:4:5:6", 5000), "2001:db8:1:2::/64"),
    (("2001:db8:1:2:ffff::1", 5000), "2001:db8:1:2::/64"),  # the same host's other address
    (("fe80::1%eth0", 5000), "fe80::/64"),
    (None, None),
])
def test_connections_are_counted_by_ipv4_address_or_ipv6_64(
    client: tuple[str, int] | None, key: str | None
) -> None:
    assert client_key(client) == key


def test_a_negative_cap_is_refused() -> None:
    with pytest.raises(ValueError):
        protocol(-1)


def test_answers_are_sent_without_waiting_for_the_clients_ack(exported: Exported) -> None:
    """uvicorn writes an answer's head and body apart: with Nagle's algorithm on, the body of
    each answer after a connection's first waited for the client's delayed ACK (some 40 ms a
    request on Linux). asyncio turns it off only for sockets made as IPPROTO_TCP."""
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = IssuerService(IssuerSettings(url, exported.out_dir), exported.seal())
    try:
        with BackgroundServer(create_app(service), sock) as server, requests.Session() as session:
            for _ in range(2):
                answer = session.get(f"{url}/.well-known/openid-credential-issuer", timeout=10)
                assert answer.status_code == 200
            accepted = [connection.transport.get_extra_info("socket")
                        for connection in server.server.server_state.connections]
            assert accepted
            assert all(client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for client in accepted)
    finally:
        service.close()
