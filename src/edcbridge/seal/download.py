"""Bounded HTTP downloads of revocation data (CRLs, OCSP answers, status lists).

A verifier fetches URLs it did not choose, so each download has one deadline for the whole
exchange (a server sending a byte at a time, its headers included, cannot hold it), a size
limit once decoded, and at most three redirects. The request runs in a thread whose sockets
are shut when the deadline passes, so nothing is left reading.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from edcbridge.seal.errors import RevocationError

MAX_REDIRECTS = 3


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


class _TrackingAdapter(HTTPAdapter):
    """An adapter whose connections tell ``sockets`` of each socket they connect."""

    def __init__(self, sockets: _Sockets) -> None:
        self.sockets = sockets
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        sockets = self.sockets

        class Plain(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                sockets.add(self.sock)

        class Secure(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                sockets.add(self.sock)

        class PlainPool(HTTPConnectionPool):
            ConnectionCls = Plain

        class SecurePool(HTTPSConnectionPool):
            ConnectionCls = Secure

        self.poolmanager.pool_classes_by_scheme = {"http": PlainPool, "https": SecurePool}


def download(what: str, url: str, *, timeout: float, limit: int, data: bytes | None = None,
             headers: dict[str, str] | None = None) -> bytes:
    """The body of a 200 answer within ``timeout`` seconds in all and at most ``limit`` bytes
    once decoded; RevocationError saying what went wrong otherwise. POST when ``data`` is given."""
    sockets = _Sockets()
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    adapter = _TrackingAdapter(sockets)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    answer: Future[bytes] = Future()

    def fetch() -> None:
        try:
            answer.set_result(_read(session, what, url, timeout=timeout, limit=limit, data=data,
                                    headers=headers))
        except Exception as exc:  # handed to the caller through the future
            answer.set_exception(exc)

    threading.Thread(target=fetch, name="edcbridge-fetch", daemon=True).start()
    try:
        return answer.result(timeout + 0.5)
    except FutureTimeout:
        raise RevocationError(f"{what} {url} took longer than {timeout:g} s") from None
    finally:
        sockets.shut()
        session.close()


def _read(session: requests.Session, what: str, url: str, *, timeout: float, limit: int,
          data: bytes | None, headers: dict[str, str] | None) -> bytes:
    deadline = time.monotonic() + timeout
    sent = {"User-Agent": "edcbridge-seal", **(headers or {})}
    try:
        with session.request("POST" if data is not None else "GET", url, data=data, headers=sent,
                             timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                raise RevocationError(f"{what} {url} answered HTTP {response.status_code} {response.reason}")
            body = bytearray()
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body += chunk
                if len(body) > limit:
                    raise RevocationError(f"{what} {url} sent more than {limit} bytes")
                if time.monotonic() > deadline:
                    raise RevocationError(f"{what} {url} took longer than {timeout:g} s")
    except (requests.RequestException, OSError, ValueError) as exc:  # OSError: a reset mid-body;
        # ValueError: a body that does not decode as its Content-Encoding says
        raise RevocationError(f"cannot reach {what} {url}: {type(exc).__name__}") from exc
    return bytes(body)
