"""Answers a delivery client must not wait for, nor hold in memory: bounded in size and in time.

The servers here speak HTTP/1.1 over real sockets on 127.0.0.1, byte by byte where needed, to
play a register or wallet that misbehaves: an answer too large, a compressed bomb, an answer
trickled one byte at a time (each read is quick, the whole never ends).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from edcbridge.deliver.errors import DeliveryConnectionError, DeliveryHTTPError
from edcbridge.deliver.http import HttpClient, RetryPolicy
from edcbridge.deliver.wallet_client import WalletClient
from tests.deliver_support import jades

Handler = Callable[[socket.socket], None]
BIG = 40 * 1024 * 1024  # over the default bound of 16 MiB


class RawServer:
    """Accepts connections on 127.0.0.1 and hands each, its request read, to ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client hanging up is what these tests want
            read_request(conn)
            self.handler(conn)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.listener.close()


def read_request(conn: socket.socket) -> None:
    """Read the request head and its body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


def trickle(conn: socket.socket, data: bytes, every: float = 0.05) -> None:
    for byte in data:
        conn.sendall(bytes([byte]))
        time.sleep(every)


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def client(base_url: str, attempts: int = 1, deadline: float | None = None) -> HttpClient:
    http = HttpClient(base_url, timeout=(2.0, 5.0),
                      retry=RetryPolicy(attempts=attempts, sleep=lambda _: None), min_interval=0)
    if deadline is not None:
        http.deadline = deadline
    return http


def endless_json(conn: socket.socket) -> None:
    """A 200 whose body goes on far beyond any answer of the contract, its length unsaid."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[")
    block = b'"x",' * 16384
    for _ in range(BIG // len(block)):
        conn.sendall(block)
    conn.sendall(b'"x"]')


def test_an_answer_larger_than_any_of_the_contract_is_cut_off(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(endless_json)
    with pytest.raises(DeliveryHTTPError, match=r"an answer larger than \d+ bytes, cut off") as info:
        client(server.base_url).request("GET", "/connectapi/v1/activities/")
    assert info.value.status == 200
    assert "base URL" in str(info.value)


def test_a_redirect_answer_without_end_is_bounded_as_any_answer(
    serve: Callable[[Handler], RawServer],
) -> None:
    """A redirect is not followed for a POST, and its body is read as any answer's: cut off at
    the bound, not read whole first (requests reads a redirect's body whole to prepare the next
    request, even when told not to follow it)."""
    sent = [0]

    def redirect_without_end(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Type: text/html\r\n"
                     b"Connection: close\r\n\r\n")
        block = b"<p>moved</p>" * 5000
        while True:
            conn.sendall(block)
            sent[0] += len(block)

    server = serve(redirect_without_end)
    http = client(server.base_url, deadline=20.0)
    http.max_answer_bytes = 1024 * 1024
    with pytest.raises(DeliveryHTTPError, match="larger than") as info:
        http.request("POST", "/submissionapi/v2/submit/report", json={})
    assert info.value.status == 302
    time.sleep(0.5)  # the server notices the connection closed
    assert sent[0] < 64 * 1024 * 1024  # the bound and what the sockets' buffers held, not all it sent


def test_a_declared_length_over_the_bound_is_not_read(serve: Callable[[Handler], RawServer]) -> None:
    def declares_big(conn: socket.socket) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {BIG}\r\n\r\n"
                     .encode())
        block = b" " * 65536
        for _ in range(BIG // len(block)):
            conn.sendall(block)

    server = serve(declares_big)
    with pytest.raises(DeliveryHTTPError, match="larger than"):
        client(server.base_url).request("GET", "/x")


def test_a_compressed_answer_is_bounded_by_its_decompressed_size(
    serve: Callable[[Handler], RawServer],
) -> None:
    bomb = gzip.compress(b"[" + b" " * BIG + b"]")  # about 40 KB on the wire

    def compressed(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                     + f"Content-Length: {len(bomb)}\r\n\r\n".encode() + bomb)

    server = serve(compressed)
    with pytest.raises(DeliveryHTTPError, match="larger than"):
        client(server.base_url).request("GET", "/x")


def test_an_answer_trickled_byte_by_byte_is_cut_off_at_the_deadline(
    serve: Callable[[Handler], RawServer],
) -> None:
    """Each byte comes well within the read timeout; the whole answer would take 10 s."""
    body = b'{"token": "' + b"a" * 176 + b'"}'

    def slow_body(conn: socket.socket) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
                     "\r\n\r\n".encode())
        trickle(conn, body)

    server = serve(slow_body)
    with pytest.raises(DeliveryConnectionError, match=r"no complete answer within 1 s") as info:
        client(server.base_url, deadline=1.0).request("POST", "/accounts/get_token/", json={})
    assert info.value.attempts == 1


@pytest.mark.parametrize("status_line", ["HTTP/1.1 200 OK\r\nConnection: close", "HTTP/1.0 200 OK"])
def test_an_answer_read_to_the_close_trickled_is_cut_off_too(
    serve: Callable[[Handler], RawServer], status_line: str
) -> None:
    """An answer that ends the connection takes the socket from it (http.client hands it to the
    response): the deadline still cuts it off."""
    body = b'{"token": "' + b"a" * 176 + b'"}'
    sent: list[int] = []

    def slow_body(conn: socket.socket) -> None:
        conn.sendall(f"{status_line}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
                     "\r\n\r\n".encode())
        try:
            for byte in body:
                conn.sendall(bytes([byte]))
                sent.append(byte)
                time.sleep(0.05)
        except OSError:  # the client shut the connection: the rest is never sent
            pass

    server = serve(slow_body)
    with pytest.raises(DeliveryConnectionError, match=r"no complete answer within 1 s"):
        client(server.base_url, deadline=1.0).request("POST", "/accounts/get_token/", json={})
    time.sleep(0.3)  # the server notices the shut connection at its next byte
    assert len(sent) < len(body)  # cut off, not read to the end and refused after


def test_a_status_line_and_headers_trickled_are_cut_off_too(serve: Callable[[Handler], RawServer]) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"p" * 150 + b"\r\n"

    def slow_head(conn: socket.socket) -> None:
        trickle(conn, head)
        conn.sendall(b"Content-Length: 2\r\n\r\n{}")

    server = serve(slow_head)
    with pytest.raises(DeliveryConnectionError, match="no complete answer within 1 s"):
        client(server.base_url, deadline=1.0).request("POST", "/v1/wallets/email/a@b.org/credentials")


def test_a_get_cut_off_at_the_deadline_is_tried_again_and_then_given_up(
    serve: Callable[[Handler], RawServer],
) -> None:
    def slow(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n")
        trickle(conn, b" " * 200)

    server = serve(slow)
    with pytest.raises(DeliveryConnectionError, match="no complete answer within 1 s") as info:
        client(server.base_url, attempts=2, deadline=1.0).request("GET", "/x")
    assert info.value.attempts == 2
    assert server.connections == 2


def test_a_quick_answer_is_read_whole_and_the_connection_kept(serve: Callable[[Handler], RawServer]) -> None:
    body = b'{"ok": true, "pad": "' + b"z" * 200_000 + b'"}'

    def keep_alive(conn: socket.socket) -> None:
        for _ in range(4):
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
                         "\r\n\r\n".encode() + body)
            read_request(conn)

    server = serve(keep_alive)
    http = client(server.base_url, deadline=1.0)
    for _ in range(3):
        assert http.request("GET", "/x").json()["ok"] is True
    time.sleep(1.2)  # past the deadline of each request: a kept connection is not cut
    assert http.request("GET", "/x").json()["ok"] is True
    assert server.connections == 1


def test_a_wallet_answering_a_deposit_without_end_fails_the_item_with_the_fix(
    serve: Callable[[Handler], RawServer],
) -> None:
    server = serve(endless_json)
    wallet = WalletClient(client(server.base_url))
    credential = {"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "urn:credential:1"}
    with pytest.raises(DeliveryHTTPError, match="larger than") as info:
        wallet.deposit(jades(credential), email="ada@example.org")
    assert "/v1/wallets/email/***@example.org/credentials" in str(info.value)  # the learner masked
    assert "ada@" not in str(info.value)
