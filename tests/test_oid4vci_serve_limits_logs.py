"""The issuer's log lines are bounded whatever a client sends (uvicorn on 127.0.0.1, raw
sockets): a long request target is cut in the access log and in the issuer's own warnings, and
the line says how much was cut; a head over 32 KiB that arrives in one read is refused (h11
alone checks only a head still incomplete after a read, and a read takes up to 256 KiB)."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from edcbridge.oid4vci import server
from edcbridge.oid4vci.app import create_app
from edcbridge.oid4vci.server import BackgroundServer, bind
from edcbridge.oid4vci.service import LOG_FIELD, IssuerService, IssuerSettings, clip
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, export_awards, serve_process

# A line: a field of LOG_FIELD characters, the note of what was cut, and the rest of the line
BOUND = 3 * LOG_FIELD + 200
CUT = re.compile(r"\.\.\.\[(\d+) more characters cut\]")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-serve-limits-logs"), 1, store.root)


@pytest.fixture(scope="module")
def served(exported: Exported) -> Iterator[tuple[IssuerService, _Lines]]:
    """An issuer whose access log is on (log level info), with every line of uvicorn's and the
    issuer's loggers kept."""
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = IssuerService(IssuerSettings(url, exported.out_dir), exported.seal())
    lines = _Lines()
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error", "edcbridge.oid4vci")]
    try:
        with BackgroundServer(create_app(service), sock, log_level="info"):
            for logger in loggers:  # after uvicorn set up its logging
                logger.addHandler(lines)
            yield service, lines
    finally:
        for logger in loggers:
            logger.removeHandler(lines)
        service.close()


def _exchange(service: IssuerService, request: bytes) -> bytes:
    address = urlsplit(service.issuer)
    with closing(socket.create_connection((address.hostname, address.port), timeout=10)) as sock:
        sock.sendall(request)  # in one write
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _new_lines(lines: _Lines, before: int) -> list[str]:
    return lines.lines[before:]


def test_clip_says_how_much_it_cut() -> None:
    assert clip("short") == "short"
    assert clip("a" * LOG_FIELD) == "a" * LOG_FIELD
    assert clip("a" * (LOG_FIELD + 1234)) == "a" * LOG_FIELD + "...[1234 more characters cut]"


def test_a_long_target_is_cut_in_the_access_log(served: tuple[IssuerService, _Lines]) -> None:
    service, lines = served
    before = len(lines.lines)
    path = "/" + "p" * 20000
    answer = _exchange(service, f"GET {path}?q={'q' * 6000} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                       .encode())
    assert answer.startswith(b"HTTP/1.1 404 ")
    logged = [line for line in _new_lines(lines, before) if line.startswith("uvicorn.access")]
    assert len(logged) == 1 and len(logged[0]) < BOUND, logged
    cut = CUT.search(logged[0])  # the query's value is hidden, then the target cut
    assert cut and int(cut.group(1)) == len(f"{path}?q=...") - LOG_FIELD, logged[0][-200:]


def test_a_long_path_is_cut_in_the_issuers_warning(served: tuple[IssuerService, _Lines]) -> None:
    """The status list route takes any last segment: the 404 is a warning of the issuer's."""
    service, lines = served
    before = len(lines.lines)
    answer = _exchange(service, b"GET /status/" + b"9" * 20000
                       + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 ")
    new = _new_lines(lines, before)
    warnings = [line for line in new if line.startswith("edcbridge.oid4vci") and "-> 404" in line]
    assert len(warnings) == 1 and CUT.search(warnings[0]), new
    assert all(len(line) < BOUND for line in new), [len(line) for line in new]


def test_a_long_description_quoting_the_request_is_cut_in_the_log(
    served: tuple[IssuerService, _Lines]
) -> None:
    """A token request naming one 30000-character parameter twice: the description that quotes
    it goes to the wallet whole (it sent it), to the log cut."""
    service, lines = served
    before = len(lines.lines)
    name = "n" * 30000
    body = f"{name}=1&{name}=2".encode()
    answer = _exchange(service, b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n"
                       + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"is repeated" in answer
    new = _new_lines(lines, before)
    warnings = [line for line in new if line.startswith("edcbridge.oid4vci") and "-> 400" in line]
    assert len(warnings) == 1 and CUT.search(warnings[0]), new
    assert all(len(line) < BOUND for line in new), [len(line) for line in new]


@pytest.mark.parametrize("size", [70000, 200000])
def test_a_huge_head_in_one_write_is_refused_and_not_logged_whole(
    served: tuple[IssuerService, _Lines], size: int
) -> None:
    service, lines = served
    before = len(lines.lines)
    answer = _exchange(service, b"GET /" + b"a" * size + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    new = _new_lines(lines, before)
    assert new and all(len(line) < BOUND for line in new), [len(line) for line in new]


def test_a_head_of_many_headers_in_one_write_is_refused(served: tuple[IssuerService, _Lines]) -> None:
    service, _ = served
    headers = "".join(f"X-Filler-{index}: {'v' * 100}\r\n" for index in range(400))  # about 45 KiB
    answer = _exchange(service, f"GET /nonce HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]


def test_an_ordinary_head_of_some_kib_is_served(served: tuple[IssuerService, _Lines]) -> None:
    service, _ = served
    headers = "".join(f"X-Filler-{index}: {'v' * 100}\r\n" for index in range(60))  # about 7 KiB
    answer = _exchange(service, f"GET /.well-known/openid-credential-issuer HTTP/1.1\r\nHost: x\r\n{headers}"
                       "Connection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]


def test_the_access_log_names_the_connecting_address_not_a_forwarded_one(
    served: tuple[IssuerService, _Lines]
) -> None:
    """uvicorn would take X-Forwarded-For and X-Forwarded-Proto from a client on 127.0.0.1 (its
    default trusted proxy): any local program, or a proxy that passes the client's own header on,
    could then write the address it likes into the log."""
    service, lines = served
    before = len(lines.lines)
    answer = _exchange(service, b"GET /nowhere HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n"
                                b"X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 ")
    logged = [line for line in _new_lines(lines, before) if line.startswith("uvicorn.access")]
    assert len(logged) == 1 and "127.0.0.1:" in logged[0], logged
    assert "203.0.113.9" not in "\n".join(_new_lines(lines, before))


@pytest.mark.parametrize("target", [
    "/token?grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code"
    "&pre-authorized_code=SECRET-code-5678&tx_code=493817",
    "/credential?access_token=SECRET-token-9012",
    "/notification?SECRET-bare-3456",
])
def test_secrets_sent_in_the_query_stay_out_of_the_access_log(served: tuple[IssuerService, _Lines],
                                                              target: str) -> None:
    """A wallet that puts its pre-authorized code, PIN or access token in the URL (RFC 6750 2.3)
    is refused, as the issuer reads them from the body and the Authorization header only; the
    access log names the parameters it sent, never their values, which would let whoever reads
    the log redeem the offer."""
    service, lines = served
    before = len(lines.lines)
    answer = _exchange(service, f"POST {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Content-Length: 0\r\n\r\n".encode())
    assert answer.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 401 ")), answer[:200]
    new = _new_lines(lines, before)
    logged = [line for line in new if line.startswith("uvicorn.access")]
    assert len(logged) == 1, new
    assert "SECRET" not in " ".join(new) and "493817" not in " ".join(new), new
    assert f"POST {target.partition('?')[0]}?" in logged[0], logged


@pytest.mark.parametrize(("target", "shown"), [
    ("http://alice:SECRET-password-7788@issuer.example/nonce", "http://alice:...@issuer.example/nonce"),
    ("http://SECRET-bare-4455@issuer.example/token", "http://...@issuer.example/token"),
    ("https://alice:SECRET@pw@issuer.example/nonce?x=1", "https://alice:...@issuer.example/nonce?x=..."),
])
def test_a_password_sent_in_the_targets_userinfo_stays_out_of_the_access_log(
    served: tuple[IssuerService, _Lines], target: str, shown: str
) -> None:
    """A request target in absolute-form naming a user (RFC 9110 4.2.4) is refused; the access
    log names the user, as it names a query's parameters, never the password. A bare userinfo,
    which may itself be the secret, is hidden whole."""
    service, lines = served
    before = len(lines.lines)
    answer = _exchange(service, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    new = _new_lines(lines, before)
    logged = [line for line in new if line.startswith("uvicorn.access")]
    assert len(logged) == 1, new
    assert "SECRET" not in " ".join(new), new
    assert f"GET {shown} " in logged[0], logged


def test_a_flood_of_malformed_requests_is_told_in_a_few_lines(
    exported: Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first malformed requests of a period are logged one line each, naming the client;
    the rest are counted and told in one line when the period ends."""
    monkeypatch.setattr(server, "MALFORMED_PERIOD", 3)
    flood = 100
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = IssuerService(IssuerSettings(url, exported.out_dir), exported.seal())
    lines = _Lines()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "edcbridge.oid4vci")]
    try:
        with BackgroundServer(create_app(service), sock, log_level="info", max_client_requests=0):
            for logger in loggers:
                logger.addHandler(lines)
            for _ in range(flood):
                assert _exchange(service, b"junk\r\n\r\n").startswith(b"HTTP/1.1 400 ")
            one_by_one, told = _malformed_lines(lines, flood)
    finally:
        for logger in loggers:
            logger.removeHandler(lines)
        service.close()
    assert one_by_one and all("from 127.0.0.1 refused with 400" in line for line in one_by_one), one_by_one
    assert told and len(one_by_one) + len(told) <= 2 * (server.MALFORMED_LINES + 1), lines.lines
    assert not [line for line in lines.lines if server.UVICORN_MALFORMED in line]


def test_malformed_requests_counted_when_serve_stops_are_told(exported: Exported, tmp_path: Path) -> None:
    """``edcbridge serve`` stopped (SIGTERM) before the period ends tells the count it holds."""
    flood = server.MALFORMED_LINES + 3
    log = tmp_path / "serve.log"
    with serve_process(exported, log) as url:
        address = urlsplit(url)
        for _ in range(flood):
            with closing(socket.create_connection((address.hostname, address.port), timeout=10)) as sock:
                sock.sendall(b"junk\r\n\r\n")
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 400 ")
    lines = log.read_text("utf-8").splitlines()
    told = [line for line in lines if "more malformed HTTP/1.1 requests" in line]
    assert len(told) == 1 and "3 more malformed" in told[0], lines


def _malformed_lines(lines: _Lines, flood: int) -> tuple[list[str], list[str]]:
    """The lines logging single malformed requests, and those telling how many more there were,
    once they account for all ``flood`` of them (waiting for the periods to end)."""
    deadline = time.monotonic() + 30
    while True:
        one_by_one = [line for line in lines.lines if "malformed HTTP/1.1 request from" in line]
        told = [line for line in lines.lines if "more malformed HTTP/1.1 requests" in line]
        counted = sum(int(line.split(": ", 1)[1].split(" ")[0]) for line in told)
        if len(one_by_one) + counted >= flood or time.monotonic() > deadline:
            assert len(one_by_one) + counted == flood, lines.lines
            return one_by_one, told
        time.sleep(0.1)

