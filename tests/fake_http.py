"""A small HTTP server on 127.0.0.1 for contract fakes, with a request log and fault injection.

An *app* is a callable ``(Request) -> Reply``; the server runs it in a thread per request. Faults
are queued (``server.faults``) or random (``server.chaos(rate, seed)``): a status (500 HTML,
429 with Retry-After), a dropped connection before or *after* the app ran, or a delay.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    raw_path: str = ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(data).encode("utf-8"), "application/json", headers or {})

    @classmethod
    def html(cls, status: int, text: str) -> Reply:
        return cls(status, text.encode("utf-8"), "text/html; charset=utf-8")


@dataclass
class Fault:
    """``kind``: status (reply without running the app), drop (close before the app runs),
    drop-after (run the app, then close without replying), delay (sleep, then run the app)."""

    kind: str = "status"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    method: str | None = None
    path_prefix: str | None = None

    def matches(self, request: Request) -> bool:
        return (self.method is None or self.method == request.method) and (
            self.path_prefix is None or request.path.startswith(self.path_prefix)
        )


@dataclass
class Logged:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | None  # None: the connection was dropped
    fault: str | None


class FakeServer:
    def __init__(self, app: Callable[[Request], Reply]) -> None:
        self.app = app
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self._chaos: tuple[float, random.Random] | None = None
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                outer._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def chaos(self, rate: float, seed: int = 5) -> None:
        """Fail about ``rate`` of the requests at random (reproducibly): 500, 429, drops."""
        self._chaos = (rate, random.Random(seed))

    def writes(self) -> list[Logged]:
        return [e for e in self.log if e.method in ("POST", "PUT", "PATCH", "DELETE")]

    def _pick_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self.faults):
                if fault.matches(request):
                    return self.faults.pop(index)
            if self._chaos is not None:
                rate, rng = self._chaos
                if rng.random() < rate:
                    return rng.choice(
                        [
                            Fault("status", 500),
                            Fault("status", 429, {"Retry-After": "0"}),
                            Fault("drop"),
                            Fault("drop-after"),
                        ]
                    )
        return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Request(
            handler.command,
            split.path,
            {k: v[-1] for k, v in parse_qs(split.query).items()},
            dict(handler.headers.items()),
            body,
            handler.path,
        )
        fault = self._pick_fault(request)
        reply: Reply | None = None
        if fault is not None and fault.kind == "status":
            reply = Reply.html(fault.status, f"<h1>Error {fault.status}</h1>")
            reply.headers.update(fault.headers)
        elif fault is not None and fault.kind == "drop":
            reply = None
        else:
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.delay)
            reply = self.app(request)
            if fault is not None and fault.kind == "drop-after":
                reply = None
        with self._lock:
            self.log.append(
                Logged(
                    request.method,
                    handler.path,
                    request.headers,
                    body,
                    reply.status if reply else None,
                    fault.kind if fault else None,
                )
            )
        if reply is None:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(reply.body)
        except OSError:
            handler.close_connection = True


@contextlib.contextmanager
def static_files(content_type: str) -> Iterator[tuple[FakeServer, dict[str, bytes]]]:
    """A server on 127.0.0.1 answering each path with the bytes put in the dict (404 otherwise):
    CRLs, status lists and other files a verifier fetches."""
    files: dict[str, bytes] = {}

    def app(request: Request) -> Reply:
        body = files.get(request.path)
        return Reply(200, body, content_type) if body else Reply(404, b"not found")

    server = FakeServer(app).start()
    try:
        yield server, files
    finally:
        server.stop()
