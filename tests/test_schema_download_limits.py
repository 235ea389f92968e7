"""`schemas install --download` within bounds: a deadline per file, a size limit, and a stop when
a server keeps failing. Servers on 127.0.0.1: FakeServer where a whole reply will do, a raw
socket where the bytes must drip, never come, or never end."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from edcbridge.schemas import InstallStopped, SchemaStore, SchemaStoreError, manifest
from edcbridge.schemas.download import MAX_BYTES, HttpFetcher, http_fetcher
from tests.fake_http import FakeServer, Fault, Reply

Respond = Callable[[socket.socket, threading.Event], None]


@contextlib.contextmanager
def raw_server(respond: Respond) -> Iterator[str]:
    """A server on 127.0.0.1 that reads each request, then lets ``respond`` write what it likes
    until the test ends (``stop`` set)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def handle(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            connection.recv(65536)
            respond(connection, stop)

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _drip(start: bytes) -> Respond:
    def respond(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(start)
        while not stop.wait(0.2):
            connection.sendall(b"0")

    return respond


DRIPS = {
    "body": _drip(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"),
    "headers": _drip(b"HTTP/1.1 200 OK\r\nX-Slow: "),
}


@pytest.mark.parametrize("part", sorted(DRIPS))
def test_a_server_sending_a_byte_at_a_time_cannot_hold_a_file(part: str, tmp_path: Path) -> None:
    with raw_server(DRIPS[part]) as url:
        started = time.monotonic()
        result = SchemaStore(tmp_path / "store").install(HttpFetcher(url, deadline=1.5),
                                                         entries=manifest()[:1])
        elapsed = time.monotonic() - started
    assert elapsed < 4
    assert "took longer than 1.5 s" in result.failed[0][1]
    assert not (tmp_path / "store").exists()


def test_a_slow_answer_fails_its_file_only_and_the_next_file_downloads(reference: Path,
                                                                       tmp_path: Path) -> None:
    """The deadline shuts the connection; the next file gets a new one."""
    entries = manifest()[:2]

    def app(request: object) -> Reply:
        return Reply(200, (reference / entries[1].path).read_bytes(), "application/octet-stream")

    server = FakeServer(app).start()
    server.faults.append(Fault("delay", delay=3, path_prefix="/" + entries[0].path))
    try:
        result = SchemaStore(tmp_path / "store").install(HttpFetcher(server.base_url, deadline=1),
                                                         entries=entries)
    finally:
        server.stop()
    assert [path for path, _ in result.failed] == [entries[0].path]
    assert "took longer than 1 s" in result.failed[0][1]
    assert result.installed == [entries[1].path]


def _silent(connection: socket.socket, stop: threading.Event) -> None:
    stop.wait()


def test_a_server_that_never_answers_stops_the_download_after_three_files(tmp_path: Path) -> None:
    entries = manifest()[:10]
    seen: list[tuple[str, str]] = []
    with raw_server(_silent) as url:
        started = time.monotonic()
        result = SchemaStore(tmp_path / "store").install(
            HttpFetcher(url, deadline=0.5), entries=entries,
            progress=lambda path, state: seen.append((path, state)))
        elapsed = time.monotonic() - started
    assert elapsed < 4  # not one read timeout per file
    assert [path for path, _ in result.failed] == [e.path for e in entries[:3]]
    assert result.not_tried == [e.path for e in entries[3:]] and not result.installed
    host = url.removeprefix("http://")
    assert (f"3 downloads in a row from the mirror {host} failed, so the remaining files were not "
            "tried: check the network connection") in result.failed[2][1]
    assert "and the --mirror URL, or use --from DIR" in result.failed[2][1]
    assert [path for path, _ in seen] == [e.path for e in entries[:3]]  # each reported as it ends
    assert all(state.startswith("failed: download failed") for _, state in seen)


def test_a_refused_connection_counts_and_stops_too() -> None:
    entries = [replace(e, url=f"http://127.0.0.1:9/{e.path}") for e in manifest()[:3]]
    fetch = HttpFetcher()  # the official URLs, here a closed port
    for entry in entries[:2]:
        with pytest.raises(SchemaStoreError, match=r"download failed.*ConnectionError") as failed:
            fetch(entry)
        assert not isinstance(failed.value, InstallStopped)
    with pytest.raises(InstallStopped, match=r"3 downloads in a row from the official server 127\.0\.0\.1:9 "
                                             r"failed.*or install from a copy of the files with --mirror URL "
                                             r"or --from DIR"):
        fetch(entries[2])


def test_a_server_that_answers_is_not_given_up_on(tmp_path: Path) -> None:
    """404s are the file's failure, not the server's: every file is tried."""
    server = FakeServer(lambda request: Reply(404, b"not here", "text/plain")).start()
    try:
        result = SchemaStore(tmp_path / "store").install(http_fetcher(server.base_url),
                                                         entries=manifest()[:5])
    finally:
        server.stop()
    assert len(result.failed) == 5 and not result.not_tried
    assert all("HTTP 404 Not Found: the mirror holds no file" in reason for _, reason in result.failed)
    assert len(server.log) == 5


def _chunked(total: int) -> Respond:
    def respond(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        for _ in range(total // len(chunk)):
            if stop.is_set():
                return
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.sendall(b"0\r\n\r\n")

    return respond


def test_a_body_without_a_length_is_read_up_to_the_limit_only(tmp_path: Path) -> None:
    with raw_server(_chunked(MAX_BYTES + 4 * 1024 * 1024)) as url:
        result = SchemaStore(tmp_path / "store").install(http_fetcher(url), entries=manifest()[:1])
    assert f"more than {MAX_BYTES} bytes: larger than any pinned file" in result.failed[0][1]


def test_a_declared_length_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    server = FakeServer(lambda request: Reply(200, b"x" * 5000, "application/octet-stream")).start()
    try:
        with pytest.raises(SchemaStoreError, match="more than 4096 bytes"):
            HttpFetcher(server.base_url, max_bytes=4096)(manifest()[0])
    finally:
        server.stop()


def test_the_limit_leaves_room_for_every_pinned_file(reference: Path) -> None:
    assert max((reference / e.path).stat().st_size for e in manifest()) * 4 < MAX_BYTES


def test_an_unreachable_server_is_said_in_words_with_the_fix() -> None:
    """No network: what failed, and what to check or use instead, from the first file on."""
    entry = replace(manifest()[0], url="http://127.0.0.1:9/context.jsonld")
    with pytest.raises(SchemaStoreError) as official:
        HttpFetcher()(entry)
    message = str(official.value)
    assert "the connection was refused" in message
    assert "check the network connection and the proxy variables (HTTPS_PROXY" in message
    assert "or install from a copy of the files with --from DIR or --download --mirror URL" in message
    with pytest.raises(SchemaStoreError) as mirrored:
        HttpFetcher("http://127.0.0.1:9/mirror")(entry)
    assert "and the --mirror URL, or install with --from DIR" in str(mirrored.value)
