"""Running the issuer app with uvicorn: in the foreground (``edcbridge serve``) or in a thread.

The socket can be bound before the app is built, so the issuer URL (with its port) is known
when the metadata is made, also for an ephemeral port (0).

uvicorn (h11) refuses a head still incomplete at 16 KiB and closes a keep-alive connection idle
for 5 s, but it waits for ever for a connection that sends nothing, a head sent a byte at a
time or a body the app no longer reads: :class:`DeadlineProtocol` closes those (slowloris). A
body the app reads is bounded by the app itself (size and time,
:func:`edcbridge.oid4vci.app.read_body`). No WebSocket is served (``ws="none"``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from edcbridge.oid4vci.errors import Oid4vciError, hide_offer_reference

# Seconds a connection has to send a request's head (from when it opened or its previous
# response was sent), and to finish a body that the app answered without reading.
HEAD_TIMEOUT = 10


class DeadlineProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline while the server waits on the client alone:
    for a request's head (from when the connection opened or its last answer was sent), and
    for the rest of a body sent after its answer. The connection is closed when it passes;
    a request being handled is not affected."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._waiting_on_client():  # a head came in: the app has the request now
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._waiting_on_client() and not self.transport.is_closing():
            self._arm()  # the next request's head, or the unread rest of this one's body
        else:  # a pipelined request is being handled already
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

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
        if self._waiting_on_client() and not self.transport.is_closing():
            self.transport.close()


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise Oid4vciError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port") from None
    sock.listen(2048)
    return sock


class _HideOfferReferences(logging.Filter):
    """An offer's address is as good as its pre-authorized code: the access log shows
    ``/offers/...`` without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(hide_offer_reference(a) if isinstance(a, str) else a for a in record.args)
        return True


_HIDE_OFFER_REFERENCES = _HideOfferReferences()


def _config(app: Any, log_level: str) -> uvicorn.Config:
    config = uvicorn.Config(
        app, log_level=log_level, lifespan="off", timeout_keep_alive=5, backlog=2048, server_header=False,
        http=DeadlineProtocol, ws="none",
    )
    logging.getLogger("uvicorn.access").addFilter(_HIDE_OFFER_REFERENCES)  # after uvicorn set up its logging
    return config


def run(app: Any, sock: socket.socket, *, log_level: str = "info") -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    uvicorn.Server(_config(app, log_level)).run(sockets=[sock])


class BackgroundServer:
    """``with BackgroundServer(app, sock) as server:`` serves in a thread until the block ends."""

    def __init__(self, app: Any, sock: socket.socket, *, log_level: str = "warning") -> None:
        self.sock = sock
        self.server = uvicorn.Server(_config(app, log_level))
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
