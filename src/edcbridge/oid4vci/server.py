"""Running the issuer app with uvicorn: in the foreground (``edcbridge serve``) or in a thread.

The socket can be bound before the app is built, so the issuer URL (with its port) is known
when the metadata is made, also for an ephemeral port (0).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from edcbridge.oid4vci.errors import Oid4vciError, hide_offer_reference


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
        app, log_level=log_level, lifespan="off", timeout_keep_alive=5, backlog=2048, server_header=False
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
