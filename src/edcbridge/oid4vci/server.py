"""Running the issuer app with uvicorn: in the foreground (``edcbridge serve``) or in a thread.

The socket can be bound before the app is built, so the issuer URL (with its port) is known
when the metadata is made, also for an ephemeral port (0).

uvicorn (h11) closes a keep-alive connection idle for 5 s, but it waits for ever for a
connection that sends nothing, a head sent a byte at a time or a body the app no longer reads,
it takes a head of any size that arrives in one read, it reads a body the app refused to its end
to keep the connection, and it takes any number of connections from one client.
:class:`DeadlineProtocol` closes connections that hold the server (slowloris, and clients that
read no answer: :data:`WRITE_TIMEOUT`), refuses a head over 32 KiB however it arrives, reads at
most 64 KiB of a body after its answer, and caps the connections of one client address (503
with ``Retry-After`` past the cap) and the requests one keep-alive connection carries (the
last is answered with ``Connection: close``); the requests of one client address are limited too
(429, :mod:`edcbridge.oid4vci.ratelimit`), and a request with two body lengths is refused
(:class:`OneBodyLength`). A body the app reads is bounded by the app itself (size and time,
:func:`edcbridge.oid4vci.app.read_body`). No WebSocket is served (``ws="none"``).
``X-Forwarded-For`` and ``X-Forwarded-Proto`` are ignored (uvicorn would believe them from
127.0.0.1, so any local program, or a proxy passing on the client's own header, could name the
client address of the log): a reverse proxy logs the client's. Log lines are bounded: a long
request target is cut, and the line says how much.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import math
import re
import resource
import socket
import sys
import threading
import time
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import quote, unquote

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from edcbridge.oid4vci.errors import (
    Oid4vciError,
    hide_offer_reference,
    hide_query_values,
    hide_userinfo,
    refusal_headers,
)
from edcbridge.oid4vci.ratelimit import BURST_SECONDS, DEFAULT_MAX_CLIENT_REQUESTS, RequestRate
from edcbridge.oid4vci.service import clip

LOG = logging.getLogger("edcbridge.oid4vci")
# Seconds a connection has to send a request's head (from when it opened or its previous
# response was sent), and to finish a body that the app answered without reading.
HEAD_TIMEOUT = 10
# A request's head (request line and headers) still incomplete past this is refused (400). h11
# checks only what is incomplete after a read, and one read takes up to 256 KiB: fed to it in
# pieces of this size, no head over twice this gets through, however it arrives.
MAX_HEAD = 16 * 1024
# Seconds the answers of a connection may stay stuck (its buffers full, the client reading
# nothing) before the connection is dropped with them: a client that sends many requests and
# reads no answer would otherwise hold the connection, and megabytes of buffers, for ever.
WRITE_TIMEOUT = 20
# Bytes of a body left unread by an answer that are still read (and dropped) to keep the
# connection; past them the connection is closed.
DRAIN_BYTES = 64 * 1024
# A connection closed while its client may still be sending (a body not read to its end, a
# refused connection) first sends the answer and a FIN, then waits up to LINGER seconds, reading
# and dropping up to LINGER_BYTES, before it is closed: a socket closed with unread bytes sends a
# reset, which can destroy the answer before the client has read it.
LINGER = 2
LINGER_BYTES = 64 * 1024
# Simultaneous connections one client address may hold (IPv6: one /64); 0 is no cap. A school's
# or venue's NAT puts many wallets behind one address, so the cap is high; behind a reverse
# proxy every client has the proxy's address: turn it off (0) there and cap in the proxy.
DEFAULT_MAX_CLIENT_CONNECTIONS = 256
RETRY_AFTER = 10  # seconds, on the 503 to a connection past the cap
# Requests one keep-alive connection may carry (nginx's keepalive_requests); the answer to the
# last says ``Connection: close`` and the connection is then closed. 0 is no cap.
DEFAULT_MAX_CONNECTION_REQUESTS = 1000
# Malformed requests (refused before the app: 400, 431, 501) logged one line each in a period;
# the rest of the period's are counted and told in one line at its end, so a flood of junk
# cannot flood the log.
MALFORMED_LINES = 10
MALFORMED_PERIOD = 60  # seconds
_MALFORMED_ADDRESSES = 1000  # distinct client addresses counted in a period's summary, at most
UVICORN_MALFORMED = "Invalid HTTP request received."  # uvicorn's own line, which names no client
# The status of the refusal of what h11 cannot take, as it hints (RFC 6585 5: a head too large;
# RFC 9112 6.1: a transfer coding it does not implement), with its reason and description
REFUSALS: dict[int, tuple[bytes, str]] = {
    400: (b"Bad Request", "malformed HTTP/1.1 request"),
    431: (b"Request Header Fields Too Large", "the request head is too large"),
    501: (b"Not Implemented", "a transfer coding other than chunked"),
}


def client_key(client: tuple[str, int] | None) -> str | None:
    """The address a client's connections are counted under: its IPv4 address (also written
    as an IPv4-mapped IPv6 one), or the /64 of its IPv6 address (what one host is given)."""
    if client is None:
        return None
    try:
        address = ipaddress.ip_address(client[0].partition("%")[0])  # without an IPv6 zone
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                return str(address.ipv4_mapped)
            return str(ipaddress.IPv6Network((address, 64), strict=False))
    except ValueError:
        return client[0]
    return str(address)


class MalformedRequestLog:
    """The log of malformed requests: the first :data:`MALFORMED_LINES` of a period one line each
    (with the client address), the rest counted and told in one line when the period ends."""

    def __init__(self) -> None:
        self.logged = 0
        self.unlogged = 0
        self.addresses: set[str] = set()
        self.period_end: asyncio.TimerHandle | None = None
        self.period_start = 0.0

    def refused(self, client: str | None, loop: asyncio.AbstractEventLoop, status: int = 400) -> None:
        if self.period_end is None:
            self.period_end = loop.call_later(MALFORMED_PERIOD, self.end_period)
            self.period_start = time.monotonic()
        if self.logged < MALFORMED_LINES:
            self.logged += 1
            last = self.logged == MALFORMED_LINES
            further = "; more in this period are counted and told in one line at its end" if last else ""
            LOG.warning("malformed HTTP/1.1 request from %s refused with %d%s",
                        client or "an unknown address", status, further)
            return
        self.unlogged += 1
        if client is not None and len(self.addresses) < _MALFORMED_ADDRESSES:
            self.addresses.add(client)

    def flush(self) -> None:
        """End the period now (the server stops): its count is told rather than lost."""
        if self.period_end is not None:
            self.period_end.cancel()
        self.end_period()

    def end_period(self) -> None:
        if self.unlogged:
            many = "or more " if len(self.addresses) >= _MALFORMED_ADDRESSES else ""
            seconds = min(MALFORMED_PERIOD, math.ceil(time.monotonic() - self.period_start))
            LOG.warning("%d more malformed HTTP/1.1 requests refused in the last %d s, from %d %s"
                        "client addresses", self.unlogged, seconds, len(self.addresses), many)
        self.logged = self.unlogged = 0
        self.addresses.clear()
        self.period_end = None


def refusal_status(error: BaseException | None) -> int:
    """The status h11 hints for what it refused (400, 431 or 501), 400 for any other."""
    hint = getattr(error, "error_status_hint", 400)
    return hint if hint in REFUSALS else 400


def _refusal(retry_after: int) -> bytes:
    body = json.dumps({
        "error": "temporarily_unavailable",
        "error_description": "too many simultaneous connections from your address; retry later",
    }).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"retry-after: {retry_after}\r\n"
        "cache-control: no-store\r\n"
        "pragma: no-cache\r\n"
        "x-content-type-options: nosniff\r\n"
        "access-control-allow-origin: *\r\n"
        "access-control-expose-headers: retry-after\r\n"  # a browser wallet's page reads when to retry
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class _Transport(asyncio.Transport):
    """The connection's transport as uvicorn sees it: the same, but closing it while the
    client may still be sending lingers first (see :data:`LINGER`)."""

    def __init__(self, transport: asyncio.Transport, protocol: DeadlineProtocol) -> None:
        super().__init__()
        self._transport = transport
        self._protocol = protocol

    def close(self) -> None:
        self._protocol.close_gracefully()

    def is_closing(self) -> bool:
        return self._protocol.lingering or self._transport.is_closing()

    def abort(self) -> None:
        self._transport.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        if not self._protocol.lingering:  # a lingering connection reads (and drops) on its own terms
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if not self._protocol.lingering:
            self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._transport.write(data)

    def writelines(self, list_of_data: Any) -> None:
        self._transport.writelines(list_of_data)

    def write_eof(self) -> None:
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()


class DeadlineProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline while the server waits on the client alone:
    for a request's head (from when the connection opened or its last answer was sent), and
    for the rest of a body sent after its answer. The connection is closed when it passes;
    a request being handled is not affected. A head over twice :data:`MAX_HEAD` is refused
    however it arrives; of a body left unread by its answer at most :data:`DRAIN_BYTES` are read; a
    client address holding :attr:`max_client_connections` connections gets a 503 on the next
    (see :func:`protocol`, which makes the class a server uses)."""

    max_client_connections: ClassVar[int] = 0  # no cap
    max_connection_requests: ClassVar[int] = 0  # no cap
    malformed: ClassVar[MalformedRequestLog] = MalformedRequestLog()
    # per server (each class from protocol() has its own): open connections, and connections
    # refused since the cap was reached, by client address
    open_by_client: ClassVar[dict[str, int]] = {}
    refused_by_client: ClassVar[dict[str, int]] = {}

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._raw = transport
        self._deadline: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self._write_deadline: asyncio.TimerHandle | None = None
        self.lingering = False
        self._lost = False
        self._refused = False
        self._last_request = False
        self._requests = 0
        self._drained = 0
        super().connection_made(_Transport(transport, self))
        self._client_key = client_key(self.client)
        if self._client_key is not None and self.max_client_connections > 0:
            held = self.open_by_client[self._client_key] = self.open_by_client.get(self._client_key, 0) + 1
            if held > self.max_client_connections:
                self._refuse(self._client_key)
                return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.lingering:  # read and dropped: the answer is sent, the connection ends
            self._drained += len(data)
            if self._drained > LINGER_BYTES:
                self._raw.pause_reading()
            return
        if self._waiting_on_client() and self.conn.their_state is h11.SEND_BODY:  # a body left unread
            self._drained += len(data)
            if self._drained > DRAIN_BYTES:
                self.close_gracefully()
                return
        # h11 refuses a head still incomplete past MAX_HEAD; fed in pieces of that size, a
        # complete head in one read that is larger is refused too
        for start in range(0, len(data), MAX_HEAD):
            super().data_received(data[start:start + MAX_HEAD])
            if self.transport.is_closing():
                return
        if not self._waiting_on_client():  # a head came in: the app has the request now
            self._disarm()

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()  # a call starts at most one request: h11 pauses after it
        if self.cycle is not cycle and self.cycle is not None:
            self._requests += 1
            if 0 < self.max_connection_requests <= self._requests:
                self._answer_then_close(self.cycle)

    def _answer_then_close(self, cycle: Any) -> None:
        """The connection's last request: its answer says ``Connection: close`` (uvicorn adds the
        header when the request has it, and the app has not seen the request yet), and the
        connection closes once it is sent, lingering for what a pipelining client sent after."""
        self._last_request = True
        cycle.keep_alive = False
        cycle.scope["headers"].append((b"connection", b"close"))

    def send_400_response(self, msg: str) -> None:
        """What is not HTTP/1.1 (a malformed head, TLS to this plain port) gets the app's kind of
        answer, not uvicorn's text: JSON, ``nosniff``, never cached; 400, or 431 for a head too
        large and 501 for a transfer coding h11 does not implement (uvicorn calls this while
        handling h11's error, which hints the status). It is logged by :class:`MalformedRequestLog`,
        not uvicorn's line for each."""
        status = refusal_status(sys.exception())
        self.malformed.refused(self._client_key, self.loop, status)
        reason, description = REFUSALS[status]
        body = json.dumps({"error": "invalid_request", "error_description": description})
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                   (b"pragma", b"no-cache"), (b"x-content-type-options", b"nosniff"),
                   (b"access-control-allow-origin", b"*"), (b"connection", b"close")]
        for event in (h11.Response(status_code=status, headers=headers, reason=reason),
                      h11.Data(data=body.encode()), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._waiting_on_client() and not self.transport.is_closing():
            self._drained = 0
            self._arm()  # the next request's head, or the unread rest of this one's body
        else:  # a pipelined request is being handled already
            self._disarm()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_deadline is None:
            self._write_deadline = self.loop.call_later(WRITE_TIMEOUT, self._raw.abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_deadline is not None:
            self._write_deadline.cancel()
            self._write_deadline = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._disarm()
        if self._write_deadline is not None:
            self._write_deadline.cancel()
            self._write_deadline = None
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None
        key = self._client_key
        if key is not None and self.max_client_connections > 0:
            held = self.open_by_client.get(key, 1) - 1
            if held > 0:
                self.open_by_client[key] = held
            else:
                self.open_by_client.pop(key, None)
                refused = self.refused_by_client.pop(key, 0)
                if refused:
                    LOG.warning("client %s has closed its connections; %d were refused with 503",
                                key, refused)
        super().connection_lost(exc)

    def close_gracefully(self) -> None:
        """Close the connection, lingering first while the client may still be sending."""
        if self.lingering or self._lost or self._raw.is_closing():
            return
        sent_all = self.conn.their_state not in (h11.SEND_BODY, h11.ERROR)
        if sent_all and not (self._refused or self._last_request):  # those two may have more coming
            self._raw.close()
            return
        if not self._raw.can_write_eof():
            self._raw.close()
            return
        self.lingering = True
        self._disarm()
        self._drained = 0
        try:
            self._raw.write_eof()  # the answer, then FIN
        except OSError:  # the client is gone already
            self._raw.close()
            return
        self._raw.resume_reading()
        self._linger_timer = self.loop.call_later(LINGER, self._close_or_drop)

    def _refuse(self, key: str) -> None:
        self._refused = True
        refused = self.refused_by_client.get(key, 0)
        self.refused_by_client[key] = refused + 1
        if not refused:
            LOG.warning("client %s holds %d connections, the cap: further ones get 503 until it closes "
                        "them (behind a reverse proxy every client has its address: turn the cap off)",
                        key, self.max_client_connections)
        self._raw.write(_refusal(RETRY_AFTER))
        self.close_gracefully()

    def _waiting_on_client(self) -> bool:
        """No request is being handled: none came yet, or the last one has been answered."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(HEAD_TIMEOUT, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self._waiting_on_client() and not self.lingering:  # closing already, maybe: see below
            self._close_or_drop()

    def _close_or_drop(self) -> None:
        """Close; or drop the connection with the answers it has not sent: a close waits until
        they are sent, for ever if the client reads nothing."""
        if self._raw.get_write_buffer_size():
            self._raw.abort()
        else:
            self._raw.close()


def protocol(max_client_connections: int = 0, max_connection_requests: int = 0) -> type[DeadlineProtocol]:
    """The protocol class for one server: its own count of connections by client address, and
    ``max_client_connections`` of them at most, each carrying ``max_connection_requests``
    requests at most (0: no cap)."""
    if max_client_connections < 0:
        raise ValueError("max_client_connections must be 0 (no cap) or more")
    if max_connection_requests < 0:
        raise ValueError("max_connection_requests must be 0 (no cap) or more")

    class ServerProtocol(DeadlineProtocol):
        pass

    ServerProtocol.max_client_connections = max_client_connections
    ServerProtocol.max_connection_requests = max_connection_requests
    ServerProtocol.open_by_client = {}
    ServerProtocol.refused_by_client = {}
    ServerProtocol.malformed = MalformedRequestLog()
    return ServerProtocol


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # as IPPROTO_TCP: asyncio turns Nagle's algorithm off only on such sockets, and an answer's
    # body would otherwise wait for the client's delayed ACK of its head (40 ms a request)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise Oid4vciError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port") from None
    sock.listen(2048)
    return sock


class OneBodyLength:
    """ASGI middleware: a request with both ``Content-Length`` and ``Transfer-Encoding`` is
    refused (400) and its connection closed (RFC 9112 6.1: the server MUST close it). A proxy
    reading the other header would see other requests on the connection than the issuer does
    (request smuggling); h11 reads the body as chunked and went on with the connection."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        names = {name for name, _ in scope.get("headers", ())} if scope["type"] == "http" else set()
        if not {b"content-length", b"transfer-encoding"} <= names:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "invalid_request", "error_description": "send Content-Length or "
                           "Transfer-Encoding, not both (RFC 9112 6.1)"}).encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": refusal_headers(body, (b"connection", b"close"))})
        await send({"type": "http.response.body", "body": body})


# RFC 9112 3.2.2: an http(s) URI as the request target; its authority ends at the path or query
_ABSOLUTE_FORM = re.compile(rb"(?i)https?://(?P<authority>[^/]*)(?P<path>/.*)?", re.DOTALL)


# RFC 3986 3.3: what a path holds unencoded (pchar and "/")
_PATH_CHARACTERS = "/:@!$&'()*+,;=-._~"


def raw_path(scope: Any) -> bytes:
    """The request target as sent: ASGI makes ``raw_path`` optional, and without it the target
    is the path encoded again."""
    sent: bytes | None = scope.get("raw_path")
    return sent if sent is not None else quote(scope["path"], safe=_PATH_CHARACTERS).encode("ascii")


class OriginForm:
    """ASGI middleware: a request target in absolute-form (``GET http://host/nonce``), which a
    server MUST accept (RFC 9112 3.2.2), is served as its path (``GET /nonce``); the authority
    names no other issuer here, whose URL comes from its settings alone. One with ``userinfo``
    (``http://user@host/``) is refused (400, RFC 9110 4.2.4)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        root = scope.get("root_path", "").encode("ascii") if scope["type"] == "http" else b""
        target = _ABSOLUTE_FORM.fullmatch(raw_path(scope)[len(root):]) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        if b"@" in target["authority"]:
            body = json.dumps({"error": "invalid_request", "error_description": "a request target "
                               "names no user (RFC 9110 4.2.4): send the path alone"}).encode()
            await send({"type": "http.response.start", "status": 400, "headers": refusal_headers(body)})
            await send({"type": "http.response.body", "body": body})
            return
        path = root + (target["path"] or b"/")
        await self.app({**scope, "raw_path": path, "path": unquote(path.decode("ascii"))}, receive, send)


class IssuerServer(uvicorn.Server):
    """uvicorn's server, telling at shutdown the malformed requests its last period counted."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        if isinstance(self.config.http, type) and issubclass(self.config.http, DeadlineProtocol):
            self.config.http.malformed.flush()


class _BoundedLogArguments(logging.Filter):
    """uvicorn's log lines with their arguments bounded (a request target is cut to
    :data:`edcbridge.oid4vci.service.LOG_FIELD` characters, saying how many more it had) and
    without offer references (an offer's address is as good as its pre-authorized code: the
    access log shows ``/offers/...``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(clip(hide_offer_reference(arg)) if isinstance(arg, str) else arg
                                for arg in record.args)
        return True


class _NoUvicornMalformedLine(logging.Filter):
    """uvicorn's line for each malformed request is left out: :class:`MalformedRequestLog` logs them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != UVICORN_MALFORMED


class _AccessLogArguments(_BoundedLogArguments):
    """The access log's arguments bounded, and its request targets without the values of their
    query nor the password of their userinfo: nothing the issuer reads comes from them, and a
    secret sent there must not be kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(hide_query_values(hide_userinfo(arg)) if isinstance(arg, str) else arg
                                for arg in record.args)
        return super().filter(record)


_BOUNDED_LOG_ARGUMENTS = _BoundedLogArguments()
_ACCESS_LOG_ARGUMENTS = _AccessLogArguments()
_NO_UVICORN_MALFORMED_LINE = _NoUvicornMalformedLine()


def _config(
    app: Any, log_level: str, max_client_connections: int, max_client_requests: int,
    max_connection_requests: int,
) -> uvicorn.Config:
    if max_client_requests:
        app = RequestRate(app, max_client_requests, client_key)
    app = OriginForm(OneBodyLength(app))
    config = uvicorn.Config(
        app, log_level=log_level, lifespan="off", timeout_keep_alive=5, backlog=2048, server_header=False,
        http=protocol(max_client_connections, max_connection_requests), ws="none",
        proxy_headers=False,  # the client is who connects: see the module's docstring
    )
    logging.getLogger("uvicorn.access").addFilter(_ACCESS_LOG_ARGUMENTS)  # after uvicorn set up its logging
    logging.getLogger("uvicorn.error").addFilter(_BOUNDED_LOG_ARGUMENTS)
    logging.getLogger("uvicorn.error").addFilter(_NO_UVICORN_MALFORMED_LINE)
    return config


def _raise_open_file_limit() -> int:
    """Let the process open as many files (connections) as the system allows it: the soft limit
    is often 1024 while the hard one is far higher. The limit in force, or 0 if unknown."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY and soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    except (OSError, ValueError):
        return 0
    return 0 if soft == resource.RLIM_INFINITY else soft


def describe_cap(max_client_connections: int, max_client_requests: int = 0) -> str:
    if max_client_connections <= 0:
        connections = ("no cap on the connections of one client address (--max-client-connections 0); "
                       "a reverse proxy in front should cap them")
    else:
        connections = (f"at most {max_client_connections} simultaneous connections per client address (IPv6: "
                       f"per /64), more get 503; behind a reverse proxy every client has its address: "
                       f"--max-client-connections 0 turns the cap off")
    if max_client_requests <= 0:
        return (f"{connections}; no limit on the requests of one client address (--max-client-requests 0); "
                f"a reverse proxy in front should limit them")
    return (f"{connections}; at most {max_client_requests} requests a second per client address after a "
            f"burst of {BURST_SECONDS * max_client_requests}, more get 429 (--max-client-requests 0 turns "
            f"the limit off)")


def describe_connection_cap(max_connection_requests: int) -> str:
    if max_connection_requests <= 0:
        return "no cap on the requests of one connection (--max-connection-requests 0)"
    return (f"at most {max_connection_requests} requests on one connection, then it is closed "
            f"(--max-connection-requests 0 turns the cap off)")


def run(
    app: Any, sock: socket.socket, *, log_level: str = "info",
    max_client_connections: int = DEFAULT_MAX_CLIENT_CONNECTIONS,
    max_client_requests: int = DEFAULT_MAX_CLIENT_REQUESTS,
    max_connection_requests: int = DEFAULT_MAX_CONNECTION_REQUESTS,
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM), with at most ``max_client_connections``
    simultaneous connections from one client address (0: no cap), ``max_client_requests``
    requests a second from it after a burst (0: no limit), and ``max_connection_requests``
    requests on one connection (0: no cap)."""
    config = _config(app, log_level, max_client_connections, max_client_requests, max_connection_requests)
    files = _raise_open_file_limit()
    LOG.info("%s; %s%s", describe_cap(max_client_connections, max_client_requests),
             describe_connection_cap(max_connection_requests),
             f"; up to {files} open files (connections) in all" if files else "")
    IssuerServer(config).run(sockets=[sock])


class BackgroundServer:
    """``with BackgroundServer(app, sock) as server:`` serves in a thread until the block ends
    (with the same caps per client address as :func:`run` unless told otherwise)."""

    def __init__(
        self, app: Any, sock: socket.socket, *, log_level: str = "warning",
        max_client_connections: int = DEFAULT_MAX_CLIENT_CONNECTIONS,
        max_client_requests: int = DEFAULT_MAX_CLIENT_REQUESTS,
        max_connection_requests: int = DEFAULT_MAX_CONNECTION_REQUESTS,
    ) -> None:
        self.sock = sock
        self.server = IssuerServer(_config(
            app, log_level, max_client_connections, max_client_requests, max_connection_requests))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise Oid4vciError("the issuer server did not start; see the log above")
            time.sleep(0.01)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
