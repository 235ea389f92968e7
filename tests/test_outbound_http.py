"""Outbound HTTP against servers on 127.0.0.1: what a hostile server, or a certificate naming
URLs, can make edcbridge fetch, read, send and wait for."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from edcbridge.bounded_http import DownloadError, download
from edcbridge.seal import revocation
from edcbridge.seal import tsa as tsa_module
from edcbridge.seal.errors import RevocationError, TimestampError
from edcbridge.seal.tsa import TsaClient

Respond = Callable[[socket.socket, bytes, threading.Event], None]


@contextmanager
def serve(respond: Respond) -> Iterator[tuple[str, list[bytes]]]:
    """A server on 127.0.0.1 answering each connection with ``respond``; its base URL and the
    request heads it received."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop, heads = threading.Event(), []

    def handle(connection: socket.socket) -> None:
        with connection:
            head = b""
            while b"\r\n\r\n" not in head and (more := connection.recv(65536)):
                head += more
            heads.append(head)
            with contextlib.suppress(OSError):  # the client went away
                respond(connection, head, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", heads
    finally:
        stop.set()
        acceptor.join()
        listener.close()


def _ok(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


def _redirect_to(location: str) -> Respond:
    def respond(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        connection.sendall(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
                           "Connection: close\r\n\r\n".encode())
    return respond


def _endless(status: bytes, extra: bytes = b"") -> Respond:
    """An answer whose body does not end (chunked, a chunk every few milliseconds for as long as
    the client waits, up to a few seconds: a client that would wait for ever fails the test)."""
    def respond(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 " + status + b"\r\nTransfer-Encoding: chunked\r\n" + extra + b"\r\n")
        chunk = b"%x\r\n%s\r\n" % (32 * 1024, b"x" * 32 * 1024)
        until = time.monotonic() + 6
        while not stop.is_set() and time.monotonic() < until:
            connection.sendall(chunk)
            time.sleep(0.005)
    return respond


def test_the_body_of_a_redirect_is_never_read() -> None:
    """A redirect whose body never ends (or inflates to gigabytes) costs nothing: it is not read."""
    with serve(_ok) as (target, _), serve(_endless(b"302 Found", f"Location: {target}/file\r\n".encode())) \
            as (base, _):
        started = time.monotonic()
        assert download("file", f"{base}/moved", timeout=3, limit=1024) == b"ok"
    assert time.monotonic() - started < 2


def test_a_body_cut_short_is_a_download_error() -> None:
    def short(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")

    with serve(short) as (base, _), pytest.raises(RevocationError, match="cut short after 10 of 100 bytes"):
        revocation.fetch_crl(f"{base}/root.crl", timeout=3)


def test_a_timestamp_reply_cut_short_is_said_with_the_fix() -> None:
    """The authority answered: not 'cannot reach', and no empty network advice."""
    def short(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")

    with serve(short) as (base, _), pytest.raises(TimestampError) as failed:
        TsaClient(f"{base}/tsa", timeout=3).timestamp(b"data")
    assert str(failed.value).endswith("the answer was cut short after 10 of 100 bytes (the connection "
                                      "closed mid-file); try again later or use another --tsa")
def test_a_gzip_bomb_is_cut_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))

    def respond(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
                           % len(bomb) + bomb)

    with serve(respond) as (base, _), pytest.raises(DownloadError) as failure:
        download("file", base, timeout=3, limit=1024 * 1024)
    assert failure.value.kind == "too-large"


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x.crl",
                                 "http://[::ffff:169.254.169.254]/x.crl", "http://0.0.0.0/x.crl",
                                 "http://100.100.100.200/latest/meta-data/",
                                 "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/"])
def test_revocation_data_is_never_fetched_from_a_link_local_or_metadata_address(url: str) -> None:
    started = time.monotonic()
    with pytest.raises(RevocationError, match=r"not fetched: .* never a public server's"):
        revocation.fetch_crl(url, timeout=5)
    assert time.monotonic() - started < 1  # refused before connecting


def test_a_redirect_to_a_metadata_address_is_refused() -> None:
    with serve(_redirect_to("http://169.254.169.254/latest/meta-data/iam/")) as (base, heads), \
            pytest.raises(RevocationError, match=r"not fetched: 169\.254\.169\.254 is a link-local"):
        revocation.fetch_crl(f"{base}/root.crl", timeout=5)
    assert len(heads) == 1


def test_a_redirect_to_another_scheme_is_refused() -> None:
    with serve(_redirect_to("file:///etc/passwd")) as (base, _), pytest.raises(DownloadError) as failure:
        download("file", base, timeout=3, limit=1024)
    assert failure.value.kind == "refused"
    assert "redirected to a file: URL" in str(failure.value)


def test_a_private_pki_on_a_loopback_address_is_still_fetched_with_its_redirects() -> None:
    with serve(_ok) as (target, _), serve(_redirect_to(f"{target}/moved.crl")) as (base, _):
        assert download("CRL", f"{base}/root.crl", timeout=3, limit=1024, guarded=True) == b"ok"


def test_a_private_pki_on_the_ipv6_loopback_address_is_fetched() -> None:
    try:
        listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with listener:
        def answer() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                _ok(connection, b"", threading.Event())

        threading.Thread(target=answer, daemon=True).start()
        url = f"http://[::1]:{listener.getsockname()[1]}/root.crl"
        assert download("CRL", url, timeout=3, limit=1024, guarded=True) == b"ok"


def _authorization(head: bytes) -> list[bytes]:
    return [line for line in head.split(b"\r\n") if line.lower().startswith(b"authorization:")]


def test_a_password_in_the_url_goes_to_its_own_server_only() -> None:
    with serve(_ok) as (other, other_heads):
        elsewhere = other.replace("127.0.0.1", "localhost")  # another origin

        def respond(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
            location = "/same" if head.startswith(b"GET /start") else f"{elsewhere}/other"
            _redirect_to(location)(connection, head, stop)

        with serve(respond) as (base, heads):
            asked = base.replace("http://", "http://user:secret@") + "/start"
            assert download("file", asked, timeout=3, limit=1024) == b"ok"
    assert len(heads) == 2 and all(_authorization(head) for head in heads)  # followed on its server
    assert len(other_heads) == 1 and not _authorization(other_heads[0])


def test_revocation_downloads_send_no_netrc_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with serve(_ok) as (base, heads):
        with pytest.raises(RevocationError):  # "ok" is not a CRL
            revocation.fetch_crl(f"{base}/root.crl", timeout=3)
        download("schema file", f"{base}/schema.json", timeout=3, limit=1024)  # a mirror may need it
    assert not _authorization(heads[0]) and _authorization(heads[1])


def _naming(count: int, base: str) -> x509.Certificate:
    """A self-signed certificate naming ``count`` OCSP responders and CRLs (and an ldap: CRL)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EDCBRIDGE TEST many URLs")])
    now = datetime.now(UTC)
    crls = ["ldap://127.0.0.1/cn=crl", *(f"{base}/{n}.crl" for n in range(count))]
    points = [x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None) for url in crls]
    ocsp = x509.UniformResourceIdentifier
    access = [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, ocsp(f"{base}/ocsp/{n}"))
              for n in range(count)]
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.CRLDistributionPoints(points), False)
            .add_extension(x509.AuthorityInformationAccess(access), False)
            .sign(key, hashes.SHA256()))


def test_a_certificate_naming_a_thousand_responders_costs_a_few_requests() -> None:
    def refuse(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")

    with serve(refuse) as (base, heads):
        cert = _naming(1000, base)
        with pytest.raises(RevocationError):
            revocation.ask_ocsp(cert, cert, [], at=datetime.now(UTC), timeout=3)
        assert len(heads) == revocation.MAX_URLS
    assert revocation.crl_urls(cert) == [f"{base}/{n}.crl" for n in range(revocation.MAX_URLS)]


def _drip(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
    """An answer a byte at a time, for as long as the client waits (up to five seconds)."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n"[:50]:
        if stop.is_set():
            return
        connection.sendall(bytes([byte]))
        time.sleep(0.1)


def test_a_timestamp_authority_answering_a_byte_at_a_time_fails_at_its_deadline() -> None:
    with serve(_drip) as (base, _):
        started = time.monotonic()
        with pytest.raises(TimestampError, match="did not answer within 1 s"):
            TsaClient(f"{base}/tsa", timeout=1).timestamp(b"data")
    assert time.monotonic() - started < 3


def test_a_timestamp_authority_answer_without_end_is_cut() -> None:
    with serve(_endless(b"200 OK")) as (base, _), pytest.raises(TimestampError, match="sent more than"):
        TsaClient(f"{base}/tsa", timeout=10).timestamp(b"data")


def test_a_timestamp_authority_that_stops_answering_is_not_waited_for_on_every_credential() -> None:
    """A run seals each credential in turn: an authority that hangs would cost the whole timeout
    on each one, so three unanswered requests in a row make the client stop asking for a while."""
    def silent(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        stop.wait()

    with serve(silent) as (base, heads):
        client = TsaClient(f"{base}/tsa", timeout=0.3)
        errors = []
        for _ in range(5):
            with pytest.raises(TimestampError) as caught:
                client.timestamp(b"data")
            errors.append(str(caught.value))
    assert len(heads) == 3
    assert all("did not answer within 0.3 s" in error for error in errors[:3])
    assert errors[3] == errors[4]
    assert errors[4] == ("the timestamp authority is not asked for 60 s after 3 requests in a row without an "
                         f"answer; the last: {errors[2]}")


def test_after_the_pause_one_request_tries_the_authority_again_not_every_one_waiting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's worker asks for several timestamps at once: once the pause is over, one of them
    tries again and the others fail at once, rather than all waiting out the timeout again."""
    def silent(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        stop.wait()

    monkeypatch.setattr(tsa_module, "PAUSE", 0.0)  # over as soon as it starts
    with serve(silent) as (base, heads):
        client = TsaClient(f"{base}/tsa", timeout=1.0)
        for _ in range(3):
            with pytest.raises(TimestampError):
                client.timestamp(b"data")
        together = threading.Barrier(8)
        errors: list[str] = []

        def ask() -> None:
            together.wait()
            try:
                client.timestamp(b"data")
            except TimestampError as exc:
                errors.append(str(exc))

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(heads) == 3 + 1
    tried = [error for error in errors if not error.startswith("the timestamp authority is not asked")]
    assert len(tried) == 1 and "did not answer within 1 s" in tried[0]
    assert sum(error.startswith("the timestamp authority is not asked") for error in errors) == 7


def test_a_timestamp_authority_error_page_is_quoted() -> None:
    def error(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 11\r\n\r\nmaintenance")

    with serve(error) as (base, _), \
            pytest.raises(TimestampError, match="HTTP 503 Service Unavailable: maintenance"):
        TsaClient(f"{base}/tsa", timeout=3).timestamp(b"data")


def test_downloads_go_through_the_proxy_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy on a private address is the user's choice; a metadata address written in a URL is
    refused before the proxy is asked."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serve(_ok) as (proxy, heads):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        named = "http://crl.example.invalid/root.crl"
        assert download("CRL", named, timeout=3, limit=1024, guarded=True) == b"ok"
        with pytest.raises(DownloadError) as failure:
            download("CRL", "http://169.254.169.254/latest/meta-data/", timeout=3, limit=1024, guarded=True)
    assert failure.value.kind == "refused"
    assert len(heads) == 1 and heads[0].startswith(b"GET http://crl.example.invalid/root.crl HTTP/1.1")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unreachable(url: str) -> str:
    with pytest.raises(DownloadError) as failed:
        download("schema file", url, timeout=5, limit=1024)
    assert failed.value.kind == "unreachable"
    return str(failed.value)


def test_a_refused_connection_is_said_in_words() -> None:
    port = _closed_port()
    assert (f"cannot reach schema file http://127.0.0.1:{port}/x: the connection was refused"
            in _unreachable(f"http://127.0.0.1:{port}/x"))


def test_a_name_that_does_not_resolve_is_said_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    message = _unreachable("http://schemas.example.org/x")
    assert "the name schemas.example.org could not be resolved" in message


def _plain_http_on_https() -> DownloadError:
    """The failure of an https:// URL whose server answers in plain HTTP, where TLS was expected."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)  # the TLS client hello
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    with listener, pytest.raises(DownloadError) as failed:
        download("schema file", f"https://127.0.0.1:{listener.getsockname()[1]}/x", timeout=5, limit=1024)
    return failed.value


def test_a_failed_tls_handshake_is_said_in_words() -> None:
    failure = _plain_http_on_https()
    assert failure.kind == "unreachable"
    assert "the TLS handshake failed" in str(failure)


def test_a_failed_tls_handshake_is_not_taken_for_an_unverified_certificate() -> None:
    """No certificate was offered, so no CA bundle would help: only its own remedy applies."""
    failure = _plain_http_on_https()
    assert failure.tls_failed
    assert not failure.tls_unverified


def test_a_timestamp_reply_that_cannot_be_decoded_is_said_with_the_fix() -> None:
    def garbled(connection: socket.socket, head: bytes, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot gzip")

    with serve(garbled) as (base, _), pytest.raises(TimestampError) as failed:
        TsaClient(f"{base}/tsa", timeout=3).timestamp(b"data")
    assert str(failed.value).endswith("its body could not be decoded (Content-Encoding: gzip); try again "
                                      "later or use another --tsa")
