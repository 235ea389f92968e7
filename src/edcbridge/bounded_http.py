"""Bounded HTTP downloads of files a command did not choose the server of (revocation data,
schema files from a mirror, timestamp tokens).

Socket timeouts bound each read only: a server sending a byte at a time, its headers included,
could hold a download for ever. So each download has one deadline for the whole exchange, a
size limit once decoded, and few redirects, followed here so that the body of a redirect is
never read (``requests`` would read it whole, however large). The request runs in a thread
whose sockets are shut when the deadline passes, so nothing is left reading.

A *guarded* download (a URL named by a certificate or a credential, which their signer chose)
never connects to an address no public server has (link-local, cloud metadata, multicast,
unspecified, reserved), and a redirect may lead to a private or loopback address only when
the URL named was on one already (an internal PKI): a public server cannot send the verifier
inwards. It sends no ``~/.netrc`` password either. Behind a proxy only the addresses written
in URLs are checked: the proxy resolves the names.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import socket
import ssl
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from edcbridge.output import printable

MAX_REDIRECTS = 3
EXCERPT_BYTES = 1024  # of the body of an answer other than 200, for messages

Failure = Literal["status", "too-large", "cut-short", "undecodable", "late", "unreachable", "refused"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# cloud metadata services outside the link-local ranges (Alibaba, AWS over IPv6)
_METADATA = frozenset({ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses as an IPv6-only network reaches them


# The words every download's messages share for a server not reached; each command adds its own remedy.
PROXY_VARIABLES = "HTTPS_PROXY, HTTP_PROXY, NO_PROXY"
CERTIFICATE_NOT_VERIFIED = ("the server's TLS certificate could not be verified; behind a proxy that "
                            "inspects TLS, point REQUESTS_CA_BUNDLE at the proxy's CA certificate")
NO_TLS_THERE = "the server does not speak TLS at that address, or accepts no TLS version in common"


def proxy_problem(url: str) -> str:
    """What to check when the proxy a download of ``url`` went through failed it: that proxy,
    and the setting that names it (requests reads ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``,
    upper or lower case: as Python reads them, the lower-case one wins, even when empty)."""
    scheme = urlsplit(url).scheme.lower()
    for name in (f"{scheme}_proxy", "all_proxy"):
        variable = name if name in os.environ else name.upper()
        if os.environ.get(variable):
            return (f"the proxy {without_password(os.environ[variable])} (set by {variable}) "
                    f"did not answer or refused the connection: check {variable}, or add the "
                    "host to NO_PROXY if it is to be reached directly")
    return "the proxy did not answer or refused the connection: check the proxy settings"


def reach_advice(exc: DownloadError, url: str, *, option: str = "", came_from: str = "",
                 server: str = "a server") -> str:
    """What to do when a download of ``url`` reached no server, "" when it did or was cut short:
    the proxy when it failed, a CA bundle when the certificate could not be verified; when TLS
    failed before that or nothing answered, the URL if the user gave it with ``option`` (for
    ``server``, "an authority" say), else the way there (the URL is ``came_from``, which the
    user cannot correct)."""
    if exc.proxy_failed:
        return proxy_problem(url)
    if exc.tls_unverified:
        return CERTIFICATE_NOT_VERIFIED + (f"; otherwise check the {option} URL" if option else "")
    if exc.tls_failed and option:
        return f"{NO_TLS_THERE}: check the {option} URL (http:// for {server} without TLS, and its port)"
    if exc.tls_failed:
        return (f"{NO_TLS_THERE}; the URL is {came_from}, so a proxy or firewall in between may "
                f"answer instead: check the proxy variables ({PROXY_VARIABLES})")
    if exc.kind == "unreachable":
        checks = f"check the network connection and the proxy variables ({PROXY_VARIABLES})"
        return f"{checks} and the {option} URL" if option else checks
    return ""


def without_password(url: str) -> str:
    """``url`` as messages show it: its user name and password (``https://user:pw@host/``,
    which requests sends as Basic authentication, to a mirror or a proxy) and its query (where
    artifact repositories take an access token) never reach a terminal or a log."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1])
    if parts.query:
        parts = parts._replace(query="***")
    return urlunsplit(parts)


class DownloadError(Exception):
    """What went wrong, and its kind: an answer other than 200 (``status``, with an
    ``excerpt`` of its body), a body over the limit (``too-large``), no whole answer in time
    (``late``), an answer whose connection closed mid-body (``cut-short``) or whose body does
    not decode as its Content-Encoding says (``undecodable``), no answer at all (``unreachable``:
    refused, reset, name or TLS failure), an address a guarded download does not go to
    (``refused``)."""

    def __init__(self, message: str, kind: Failure, excerpt: bytes = b"", status: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.excerpt = excerpt
        self.status = status  # of an answer other than 200; 0 for other failures

    @property
    def answered(self) -> bool:
        """Whether the server answered (so it is there, whatever it said)."""
        return self.kind in ("status", "too-large", "cut-short", "undecodable")

    @property
    def proxy_failed(self) -> bool:
        """Whether the proxy the download went through failed it (refused, or no answer)."""
        return isinstance(self.__cause__, requests.exceptions.ProxyError)

    @property
    def tls_failed(self) -> bool:
        """Whether TLS failed, for any reason (the handshake, or the certificate)."""
        return isinstance(self.__cause__, requests.exceptions.SSLError)

    @property
    def tls_unverified(self) -> bool:
        """Whether the server's TLS certificate could not be verified (untrusted, expired, for
        another name); not a handshake that failed before any certificate was judged."""
        cause = self.__cause__
        return isinstance(cause, requests.exceptions.SSLError) and any(
            isinstance(c, ssl.SSLCertVerificationError) for c in _causes(cause))


class _Sockets:
    """The sockets one download opened, to shut them all from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.closed = False

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.append(sock)
            if self.closed:
                _shut(sock)

    def shut(self) -> None:
        with self._lock:
            self.closed = True
            for sock in self._open:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)  # a recv() blocked in another thread returns at once


def _address(text: str) -> _Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # without an IPv6 zone
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _never_public(address: _Address) -> bool:
    """Whether no public server can have the address (cloud metadata services have such)."""
    if address.is_loopback:  # ::1 is in a reserved range
        return False
    return (address.is_link_local or address.is_multicast or address.is_unspecified
            or address.is_reserved or address in _METADATA)


@dataclass
class _Guard:
    """The address rules of a guarded download, across its redirects."""

    hop: int = 0  # 0: the URL named; then one more per redirect followed
    inward: bool = False  # the URL named is on a private or loopback address
    refusal: str | None = None  # why a connection was not made

    def problem(self, address: _Address) -> str | None:
        if _never_public(address):
            return f"{address} is a link-local, metadata or reserved address, never a public server's"
        if address.is_global:
            return None
        if self.hop == 0:
            self.inward = True
            return None
        if not self.inward:
            return f"a redirect from a public server leads to the private address {address}"
        return None


class _Refused(OSError):
    """A connection a guarded download does not make."""


class _TrackingAdapter(HTTPAdapter):
    """An adapter whose connections tell ``sockets`` of each socket they connect, and check its
    address against ``guard`` (when direct: a proxy's address is the user's choice)."""

    def __init__(self, sockets: _Sockets, guard: _Guard | None) -> None:
        self.sockets = sockets
        self.guard = guard
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        sockets, guard = self.sockets, self.guard

        def opened(connection: HTTPConnection, sock: socket.socket) -> socket.socket:
            sockets.add(sock)
            if guard is not None and connection.proxy is None:
                address = _address(str(sock.getpeername()[0]))
                problem = guard.problem(address) if address is not None else None
                if problem:
                    _shut(sock)
                    guard.refusal = problem
                    raise _Refused(problem)
            return sock

        class Plain(HTTPConnection):
            def _new_conn(self) -> socket.socket:
                return opened(self, super()._new_conn())

        class Secure(HTTPSConnection):
            def _new_conn(self) -> socket.socket:
                return opened(self, super()._new_conn())

        class PlainPool(HTTPConnectionPool):
            ConnectionCls = Plain

        class SecurePool(HTTPSConnectionPool):
            ConnectionCls = Secure

        self.poolmanager.pool_classes_by_scheme = {"http": PlainPool, "https": SecurePool}

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = self.poolmanager.pool_classes_by_scheme
        return manager


class _NoNetrc(requests.auth.AuthBase):
    """No authentication: stands in for what ``~/.netrc`` would add for the host."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


def download(what: str, url: str, *, timeout: float, limit: int, data: bytes | None = None,
             headers: dict[str, str] | None = None, max_redirects: int = MAX_REDIRECTS,
             guarded: bool = False) -> bytes:
    """The body of a 200 answer within ``timeout`` seconds in all and at most ``limit`` bytes
    once decoded; DownloadError saying what went wrong otherwise. POST when ``data`` is given.
    ``guarded`` for a URL its signer chose (see the module's documentation)."""
    sockets = _Sockets()
    guard = _Guard() if guarded else None
    session = requests.Session()
    adapter = _TrackingAdapter(sockets, guard)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if guarded:
        session.auth = _NoNetrc()
    exchange = _Exchange(session, what, url, timeout, limit, max_redirects, guard)
    answer: Future[bytes] = Future()

    def fetch() -> None:
        try:
            answer.set_result(exchange.run(data, {"User-Agent": "edcbridge", **(headers or {})}))
        except Exception as exc:  # handed to the caller through the future
            answer.set_exception(exc)

    threading.Thread(target=fetch, name="edcbridge-fetch", daemon=True).start()
    try:
        return answer.result(timeout + 0.5)
    except FutureTimeout:
        raise exchange.late() from None
    finally:
        sockets.shut()
        session.close()


@dataclass
class _Exchange:
    """One download: its requests, redirects followed, and the body of the last answer."""

    session: requests.Session
    what: str
    url: str
    timeout: float
    limit: int
    max_redirects: int
    guard: _Guard | None

    def late(self) -> DownloadError:
        return DownloadError(f"{self.what} {self.url} took longer than {self.timeout:g} s", "late")

    def run(self, data: bytes | None, headers: dict[str, str]) -> bytes:
        deadline = time.monotonic() + self.timeout
        current, method = self.url, "POST" if data is not None else "GET"
        for hop in range(self.max_redirects + 1):
            self._check_written_address(current, hop)
            try:
                with self._send(method, current, data, headers) as response:
                    target = self._redirect(response, current)
                    if target is None:
                        return self._body(response, deadline)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                # urllib3's: a reset or a bad encoding mid-body; ValueError: an unreadable URL
                raise self._failure(exc, deadline) from exc
            current = self._carry_credentials(target)
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, data = "GET", None  # as browsers and requests do
        raise DownloadError(f"{self.what} {self.url} redirected more than {self.max_redirects} times",
                            "status")

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> requests.Response:
        """One request, its body unread. Through the adapter: ``Session.send`` reads the body of
        a redirect whole even when told not to follow it."""
        prepared = self.session.prepare_request(requests.Request(method, url, data=data, headers=headers))
        settings = self.session.merge_environment_settings(prepared.url, {}, True, None, None)  # proxies, CAs
        verify = settings["verify"]
        return self.session.get_adapter(url).send(prepared, stream=True, timeout=self.timeout,
                                                  verify=True if verify is None else verify,
                                                  cert=settings["cert"], proxies=settings["proxies"])

    def _check_written_address(self, url: str, hop: int) -> None:
        """Refuse an address written in the URL before connecting (also behind a proxy)."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise DownloadError(f"{self.what} {self.url} redirected to a {scheme or 'relative'}: URL, "
                                "not http(s)", "refused")
        if self.guard is None:
            return
        self.guard.hop = hop
        address = _address(urlsplit(url).hostname or "")
        problem = self.guard.problem(address) if address is not None else None
        if problem:
            raise DownloadError(f"{self.what} {self.url} not fetched: {problem}", "refused")

    def _redirect(self, response: requests.Response, current: str) -> str | None:
        """Where a redirect leads (its body unread), or None for an answer to read."""
        location = response.headers.get("Location")
        if response.status_code not in _REDIRECTS or not location or self.max_redirects == 0:
            return None
        return urljoin(current, location)

    def _carry_credentials(self, target: str) -> str:
        """``target`` with the user name and password of the URL asked when on its server, else
        with none (a ``Location`` naming some is not followed with them)."""
        asked, going = urlsplit(self.url), urlsplit(target)
        host = going.netloc.rsplit("@", 1)[-1]
        same = (asked.scheme, asked.hostname, asked.port) == (going.scheme, going.hostname, going.port)
        return urlunsplit(going._replace(netloc=asked.netloc if same else host))

    def _body(self, response: requests.Response, deadline: float) -> bytes:
        if response.status_code != 200:
            status = f"HTTP {response.status_code} {printable(response.reason or '')}"  # the server's text
            raise DownloadError(f"{self.what} {self.url} answered {status}", "status", _excerpt(response),
                                response.status_code)
        too_large = DownloadError(f"{self.what} {self.url} sent more than {self.limit} bytes", "too-large")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.limit:
            raise too_large
        body = bytearray()
        try:
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body += chunk
                if len(body) > self.limit:
                    raise too_large
                if time.monotonic() > deadline:
                    raise self.late()
        except urllib3.exceptions.DecodeError as exc:
            encoding = printable(response.headers.get("Content-Encoding", ""))
            raise DownloadError(f"{self.what} {self.url} answered, but its body could not be decoded "
                                f"(Content-Encoding: {encoding})", "undecodable") from exc
        except urllib3.exceptions.ProtocolError as exc:  # the connection closed or was reset mid-body
            if time.monotonic() > deadline:  # the sockets were shut when the deadline passed
                raise self.late() from exc
            of = f" of {declared}" if declared.isdigit() else ""
            raise DownloadError(f"{self.what} {self.url} answered, but the answer was cut short after "
                                f"{len(body)}{of} bytes (the connection closed mid-file)",
                                "cut-short") from exc
        return bytes(body)

    def _failure(self, exc: Exception, deadline: float) -> DownloadError:
        if isinstance(exc, DownloadError):
            return exc
        if self.guard is not None and self.guard.refusal is not None:
            return DownloadError(f"{self.what} {self.url} not fetched: {self.guard.refusal}", "refused")
        if time.monotonic() > deadline:  # the sockets were shut when the deadline passed
            return self.late()
        reason = _unreachable_reason(exc, urlsplit(self.url).hostname or "")
        return DownloadError(f"cannot reach {self.what} {self.url}: {reason} ({type(exc).__name__})",
                             "unreachable")


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: requests and urllib3 keep the socket's error a few levels down
    (in ``args``, ``reason``, or as the cause)."""
    found: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if any(current is seen for seen in found):
            continue
        found.append(current)
        inner = [*current.args, getattr(current, "reason", None), current.__cause__, current.__context__]
        todo += [item for item in inner if isinstance(item, BaseException)]
    return found


def _unreachable_reason(exc: BaseException, host: str) -> str:
    """What failed before any answer, in words (name, connection, TLS, time)."""
    causes = _causes(exc)
    if any(isinstance(c, requests.exceptions.ProxyError) for c in causes):
        return "the proxy failed"
    if any(isinstance(c, socket.gaierror) for c in causes):
        return f"the name {host} could not be resolved (no DNS server reachable, or no such name)"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "the connection was refused (nothing listens at that address and port)"
    if any(isinstance(c, (ssl.SSLError, requests.exceptions.SSLError)) for c in causes):
        return "the TLS handshake failed"
    if any(getattr(c, "errno", None) in (errno.ENETUNREACH, errno.EHOSTUNREACH) for c in causes):
        return "no route to the server (the network is down or unreachable from here)"
    if any(isinstance(c, (ConnectionResetError, ConnectionAbortedError)) for c in causes):
        return "the connection was reset"
    if any(isinstance(c, (TimeoutError, requests.exceptions.Timeout)) for c in causes):
        return "no answer in time"
    return "the connection failed"


def _excerpt(response: requests.Response) -> bytes:
    """The start of a body, for a message; nothing when it cannot be read."""
    try:
        return bytes(response.raw.read1(EXCERPT_BYTES, decode_content=True))
    except Exception:  # whatever the body holds, the status says what matters
        return b""
