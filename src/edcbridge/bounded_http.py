"""Bounded HTTP downloads of files a command did not choose the server of (revocation data,
schema files from a mirror).

Socket timeouts bound each read only: a server sending a byte at a time, its headers included,
could hold a download for ever. So each download has one deadline for the whole exchange, a
size limit once decoded, and few redirects. The request runs in a thread whose sockets are
shut when the deadline passes, so nothing is left reading.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

MAX_REDIRECTS = 3

Failure = Literal["status", "too-large", "late", "unreachable"]


class DownloadError(Exception):
    """What went wrong, and its kind: an answer other than 200 (``status``), a body over the
    limit (``too-large``), no whole answer in time (``late``), no answer at all
    (``unreachable``: refused, reset, name or TLS failure)."""

    def __init__(self, message: str, kind: Failure) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def answered(self) -> bool:
        """Whether the server answered (so it is there, whatever it said)."""
        return self.kind in ("status", "too-large")


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
             headers: dict[str, str] | None = None, max_redirects: int = MAX_REDIRECTS) -> bytes:
    """The body of a 200 answer within ``timeout`` seconds in all and at most ``limit`` bytes
    once decoded; DownloadError saying what went wrong otherwise. POST when ``data`` is given."""
    sockets = _Sockets()
    session = requests.Session()
    session.max_redirects = max_redirects
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
        raise DownloadError(f"{what} {url} took longer than {timeout:g} s", "late") from None
    finally:
        sockets.shut()
        session.close()


def _read(session: requests.Session, what: str, url: str, *, timeout: float, limit: int,
          data: bytes | None, headers: dict[str, str] | None) -> bytes:
    deadline = time.monotonic() + timeout
    sent = {"User-Agent": "edcbridge", **(headers or {})}
    too_large = DownloadError(f"{what} {url} sent more than {limit} bytes", "too-large")
    try:
        with session.request("POST" if data is not None else "GET", url, data=data, headers=sent,
                             timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                raise DownloadError(f"{what} {url} answered HTTP {response.status_code} {response.reason}",
                                    "status")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large
            body = bytearray()
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body += chunk
                if len(body) > limit:
                    raise too_large
                if time.monotonic() > deadline:
                    raise DownloadError(f"{what} {url} took longer than {timeout:g} s", "late")
    except requests.TooManyRedirects as exc:
        raise DownloadError(f"{what} {url} redirected more than {session.max_redirects} times",
                            "status") from exc
    except (requests.RequestException, OSError, ValueError) as exc:  # OSError: a reset mid-body;
        # ValueError: a body that does not decode as its Content-Encoding says
        late = time.monotonic() > deadline  # the sockets were shut when the deadline passed
        message = f"{what} {url} took longer than {timeout:g} s" if late else \
            f"cannot reach {what} {url}: {type(exc).__name__}"
        raise DownloadError(message, "late" if late else "unreachable") from exc
    return bytes(body)
