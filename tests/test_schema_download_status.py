"""A server answering a download with an error status: the message says what to do, for a
mirror (put the file there, check its credentials) as for an official server."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from edcbridge.schemas import SchemaStore, SchemaStoreError, manifest
from edcbridge.schemas.download import HttpFetcher
from tests.fake_http import FakeServer, Reply
from tests.test_schema_download_limits import raw_server

MIRROR_FIXES = {
    404: "the mirror holds no file at that address: put the official file there (at its manifest "
         "path below the --mirror URL), or install with --from DIR",
    403: "the mirror refused the request: check the user name and password or the token in the "
         "--mirror URL, or install with --from DIR",
    503: "the mirror failed: try again later, or install with --from DIR",
}


@pytest.mark.parametrize("status", sorted(MIRROR_FIXES))
def test_a_mirror_answering_an_error_says_the_fix(status: int) -> None:
    server = FakeServer(lambda request: Reply(status, b"no", "text/plain")).start()
    try:
        with pytest.raises(SchemaStoreError) as failed:
            HttpFetcher(server.base_url + "/mirror")(manifest()[0])
    finally:
        server.stop()
    assert f"answered HTTP {status} " in str(failed.value)
    assert str(failed.value).endswith(MIRROR_FIXES[status])


def test_an_official_url_answering_an_error_says_the_fix() -> None:
    server = FakeServer(lambda request: Reply(404, b"gone", "text/plain")).start()
    entry = replace(manifest()[0], url=server.base_url + "/context.jsonld", copy=None)
    try:
        with pytest.raises(SchemaStoreError) as failed:
            HttpFetcher()(entry)
    finally:
        server.stop()
    assert str(failed.value).endswith(
        "answered HTTP 404 Not Found: the official server no longer serves it there: install "
        "from a copy of the files with --from DIR or --download --mirror URL")


def test_an_answer_cut_short_is_said_as_such_and_does_not_stop_the_download(tmp_path: Path) -> None:
    """The server answered, then closed mid-file: not 'cannot reach', and every file is tried."""
    def respond(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 500)

    with raw_server(respond) as url:
        result = SchemaStore(tmp_path / "store").install(HttpFetcher(url), entries=manifest()[:4])
    assert len(result.failed) == 4 and not result.not_tried
    reason = result.failed[0][1]
    assert "cannot reach" not in reason
    assert "answered, but the answer was cut short after 500 of 1000 bytes" in reason
    assert reason.endswith("run the same command again (intact files are kept), or install with --from DIR")


def test_a_status_line_with_terminal_escapes_is_shown_escaped() -> None:
    """The reason phrase is the server's text: it must not retitle or clear the terminal."""
    def respond(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 404 \x1b]0;owned\x07Gone\r\nContent-Length: 0\r\n\r\n")

    with raw_server(respond) as url, pytest.raises(SchemaStoreError) as failed:
        HttpFetcher(url)(manifest()[0])
    assert "\x1b" not in str(failed.value) and "\x07" not in str(failed.value)
    assert "answered HTTP 404 \\x1b]0;owned\\x07Gone: the mirror holds no file" in str(failed.value)


@pytest.mark.parametrize("location", ["/again", "ftp://127.0.0.1/file"])
def test_a_mirror_redirecting_for_ever_or_off_http_says_the_fix(location: str) -> None:
    server = FakeServer(lambda request: Reply(302, b"", "text/plain", {"Location": location})).start()
    try:
        with pytest.raises(SchemaStoreError) as failed:
            HttpFetcher(server.base_url + "/mirror")(manifest()[0])
    finally:
        server.stop()
    assert "redirected" in str(failed.value)
    assert str(failed.value).endswith(": check the --mirror URL, or install with --from DIR")


def test_a_body_that_cannot_be_decoded_is_said_as_such_with_the_fix() -> None:
    server = FakeServer(lambda request: Reply(200, b"not gzip", "application/json",
                                              {"Content-Encoding": "gzip"})).start()
    try:
        with pytest.raises(SchemaStoreError) as failed:
            HttpFetcher(server.base_url + "/mirror")(manifest()[0])
    finally:
        server.stop()
    assert "cannot reach" not in str(failed.value)
    assert "answered, but its body could not be decoded (Content-Encoding: gzip)" in str(failed.value)
    assert str(failed.value).endswith(": check the --mirror URL, or install with --from DIR")
