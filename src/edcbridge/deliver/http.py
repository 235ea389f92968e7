"""One HTTP session per target: timeouts always, safe retries, pacing, masked logs.

* Every request has a ``(connect, read)`` timeout, and a bound on the whole exchange: an answer
  larger than ``max_answer_bytes`` (counted decompressed) or not complete within ``deadline``
  seconds (a server trickling bytes) is cut off and counts as no answer.
* Only GET and PUT are retried (both idempotent on our targets), and any request the caller
  declares ``idempotent``, on connection errors, timeouts, 429 and 5xx, with exponential
  back-off and jitter; ``Retry-After`` (seconds or an HTTP date) wins when the server sends it.
  Other POSTs and DELETEs are sent once, unless the caller declares them ``resend_throttled``:
  then a 429 or 503 with a ``Retry-After`` the run waits out (the target stored nothing and
  asked for the request later) is sent again after the pause.
* ``Retry-After`` on a 429 or 503 holds every later request of the client until then, whatever
  its method; a pause longer than ``max_retry_after`` is not waited out (nor cut short): the
  request, and every later one, raises :class:`DeliveryThrottledError` saying when to run again.
* Requests are paced: at least ``min_interval`` seconds between two request starts.
* Redirects: only a GET follows them, and only within the base URL's origin (scheme, host and
  port): a redirect elsewhere (another host, or https to http) is never followed with our
  headers (the token among them) and raises :class:`DeliveryHTTPError` naming the target.
* Secrets (passwords, tokens) are registered with :class:`SecretMasker` and replaced by
  ``***`` in every log line and in every error message built here.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection

from edcbridge import __version__
from edcbridge.deliver.errors import (
    DeliveryAuthError,
    DeliveryConnectionError,
    DeliveryHTTPError,
    DeliveryThrottledError,
)

Response = requests.Response  # for the clients' signatures: they never import requests themselves
LOG = logging.getLogger("edcbridge.deliver")

RETRY_METHODS = frozenset({"GET", "PUT"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"edcbridge/{__version__} (+python-requests)"
MAX_REDIRECTS = 5
MAX_ANSWER_BYTES = 16 * 1024 * 1024
DEADLINE_SECONDS = 300.0
CHUNK = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
# a longer Retry-After (a broken gateway's: a date cannot hold 10**20 s) is read as ten years:
# the run does not wait it out either way, and says a date to run again
MAX_RETRY_AFTER = 10 * 366 * 24 * 3600.0


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port made explicit; ``("", "", None)``, the origin of
    no base URL, when it cannot be read (a port that is no number, a bracket left open)."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return "", "", None


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def plain_http_elsewhere(url: str) -> bool:
    """Whether ``url`` is plain http to another machine than this one."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS


def unusable_url(url: str) -> str:
    """Why no request can be sent to ``url`` (as requests reads it), or ``""``."""
    try:
        requests.PreparedRequest().prepare_url(url, None)
    except (requests.RequestException, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return ""


class SecretMasker(logging.Filter):
    """Replaces registered secrets by ``***`` in log records (and in any text given to it)."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 3:
            self._secrets.add(secret)

    def mask(self, text: str) -> str:
        """Secrets, tokens, and the learner's part of an e-mail address in a wallet URL (logs
        are shared more widely than the registry's records: the domain says enough)."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        text = _EMAIL_IN_PATH.sub(r"\1***\2", text)
        return re.sub(r"(?i)(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}", r"\1 ***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = None
        return True


# the local part as sent: percent-encoded where it holds a + or an apostrophe (ada%2Bmc@, o%27brien@)
_EMAIL_IN_PATH = re.compile(r"(/email/)[^/@\s]+?(%40|@)", re.IGNORECASE)


def masked_email(address: str) -> str:
    """An e-mail address with the learner's part hidden (``***@uni.example``), as wallet URLs
    are shown in logs and messages: the registry's reports keep the address itself."""
    local, at, domain = address.rpartition("@")
    return f"***@{domain}" if at and local else "***"

MASKER = SecretMasker()
LOG.addFilter(MASKER)


def full_jitter(delay: float) -> float:
    """AWS-style full jitter: a uniform wait in [delay / 2, delay]."""
    return random.uniform(delay / 2, delay)


_WATCHING = threading.local()  # .current: the watchdog of the request this thread is making


class Watchdog:
    """Shuts the connection of a request down when the whole exchange outlasts ``seconds``.

    A read timeout bounds each read alone: a server sending a byte now and then (in the
    headers or the body) never trips it. The connection is found through the classes below,
    which show each connection to the watchdog of the request that uses it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._done = False
        self._connection: HTTPConnection | None = None
        self._socket: socket.socket | None = None  # kept: a response read to the close owns it alone
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        _WATCHING.current = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._done = True
            self._connection = self._socket = None
        self._timer.cancel()
        _WATCHING.current = None

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            self._socket = connection.sock or self._socket
            if self.fired and not self._done:
                self._shut()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        """End the exchange from another thread: the blocked read returns at once. An answer
        read to the connection's close has taken the socket from the connection (http.client
        hands it to the response), so the socket seen last is shut too. (The plain socket's
        shutdown: a TLS socket's own would unwrap it under the reader.)"""
        current = self._connection.sock if self._connection is not None else None
        for sock in {id(s): s for s in (current, self._socket) if s is not None}.values():
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _show_to_watchdog(connection: HTTPConnection) -> None:
    watchdog = getattr(_WATCHING, "current", None)
    if watchdog is not None:
        watchdog.watch(connection)


class _Watched(HTTPConnection):
    """A connection that shows itself to the watchdog of the request using it."""

    def connect(self) -> None:
        _show_to_watchdog(self)
        super().connect()

    def request(self, method: str, url: str, body: Any = None,  # type: ignore[override]
                headers: Mapping[str, str] | None = None, **options: Any) -> None:
        _show_to_watchdog(self)
        super().request(method, url, body, headers, **options)

    def getresponse(self) -> Any:
        _show_to_watchdog(self)  # before http.client may hand the socket to the response
        return super().getresponse()


class WatchedHTTPConnection(_Watched):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


def _use_watched_pools(manager: PoolManager) -> None:
    manager.pool_classes_by_scheme = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, its connections (direct or through an http(s) proxy) watched."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_watched_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            _use_watched_pools(manager)
        return manager


class UnredirectedSession(requests.Session):
    """A session that leaves every redirect to :meth:`HttpClient._follow_redirects`. Told not to
    follow one, requests still prepares the next request: it reads the redirect's body whole
    (past any bound: a proxy's page without end is read to the deadline) and parses its
    ``Location`` (one whose port is no number raises ValueError from inside requests)."""

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait; ``jitter`` and ``sleep`` are injectable for tests."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    jitter: Callable[[float], float] = full_jitter
    sleep: Callable[[float], None] = time.sleep

    def backoff(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1-based), jitter applied."""
        return self.jitter(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: an integer, or an HTTP date; ``None`` if absent or unreadable.
    At most :data:`MAX_RETRY_AFTER`."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return min(max(0.0, when.timestamp() - current), MAX_RETRY_AFTER)


@dataclass
class HttpClient:
    """A base URL, one ``requests.Session`` and the rules above."""

    base_url: str
    timeout: tuple[float, float] = (5.0, 60.0)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    min_interval: float = 0.2
    clock: Callable[[], float] = time.monotonic
    session: requests.Session = field(default_factory=UnredirectedSession)
    default_headers: Mapping[str, str] = field(default_factory=dict)
    deadline: float = DEADLINE_SECONDS  # the whole exchange: connect, send, answer
    max_answer_bytes: int = MAX_ANSWER_BYTES
    _last_start: float | None = field(default=None, init=False, repr=False)
    _hold: tuple[float, int] | None = field(default=None, init=False, repr=False)  # (until, status)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers.update(self.default_headers)
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, WatchedAdapter())

    def url(self, path: str) -> str:
        return self.base_url + path

    def close(self) -> None:
        self.session.close()

    def _throttled(self, method: str, url: str, status: int, seconds: float,
                   sent: bool = True) -> DeliveryThrottledError:
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
        return DeliveryThrottledError(method, MASKER.mask(url), status, seconds, until, sent)

    def _pace(self, method: str, url: str) -> None:
        if self._hold is not None:
            wait, status = self._hold[0] - self.clock(), self._hold[1]
            if wait > self.retry.max_retry_after:
                raise self._throttled(method, url, status, wait, sent=False)
            if wait > 0:
                LOG.warning("%s %s: waiting %.1fs, as the target asked (Retry-After)", method, url, wait)
                self.retry.sleep(wait)
            self._hold = None
        if self._last_start is not None and self.min_interval > 0:
            wait = self.min_interval - (self.clock() - self._last_start)
            if wait > 0:
                self.retry.sleep(wait)
        self._last_start = self.clock()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        idempotent: bool = False,
        resend_throttled: bool = False,
    ) -> requests.Response:
        """Send one request (retrying GET/PUT, or any ``idempotent`` one, as above) and return
        the final response, its body read.

        Raises :class:`DeliveryConnectionError` when no answer came (or none in time), and
        :class:`DeliveryHTTPError` for an answer over the size bound. Any HTTP status is
        returned: mapping statuses to results is the adapter's job.
        """
        method = method.upper()
        url = self.url(path)
        retryable = idempotent or method in RETRY_METHODS
        attempts = self.retry.attempts if retryable or resend_throttled else 1
        for attempt in range(1, attempts + 1):
            self._pace(method, url)
            started = self.clock()
            with Watchdog(self.deadline) as watchdog:
                try:
                    response = self.session.request(
                        method,
                        url,
                        headers=headers,
                        params=params,
                        json=json,
                        data=data,
                        files=files,
                        timeout=self.timeout,
                        allow_redirects=False,
                        stream=True,
                    )
                    if method == "GET":
                        response = self._follow_redirects(response, headers)
                    self._read_answer(method, response)
                    if watchdog.fired:  # cut off in the headers, which then seem to end early
                        raise requests.ConnectionError("cut off at the deadline")
                except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError) as exc:
                    reason = (f"no complete answer within {self.deadline:.0f} s (the server sent it too "
                              "slowly), cut off" if watchdog.fired
                              else MASKER.mask(f"{type(exc).__name__}: {exc}"))
                    LOG.warning("%s %s: attempt %d/%d failed: %s", method, url, attempt,
                                attempts if retryable else 1, reason)
                    if attempt == attempts or not retryable:  # resend_throttled: no answer, no resend
                        raise DeliveryConnectionError(method, MASKER.mask(url), reason, attempt) from None
                    self.retry.sleep(self.retry.backoff(attempt))
                    continue
            elapsed = self.clock() - started
            LOG.info("%s %s -> %d (%.2fs)", method, response.url, response.status_code, elapsed)
            asked = (retry_after_seconds(response.headers.get("Retry-After"))
                     if response.status_code in RETRY_STATUSES else None)
            resend = retryable or (resend_throttled and asked is not None
                                   and response.status_code in (429, 503))
            if asked is not None:
                if asked > self.retry.max_retry_after:
                    self._hold = (self.clock() + asked, response.status_code)
                    raise self._throttled(method, url, response.status_code, asked)
                if not (resend and attempt < attempts):  # later requests wait instead
                    self._hold = (self.clock() + asked, response.status_code)
            if resend and response.status_code in RETRY_STATUSES and attempt < attempts:
                wait = asked if asked is not None else self.retry.backoff(attempt)
                LOG.warning(
                    "%s %s: HTTP %d, retry %d/%d in %.2fs",
                    method,
                    url,
                    response.status_code,
                    attempt,
                    attempts - 1,
                    wait,
                )
                self.retry.sleep(wait)
                continue
            return response
        raise AssertionError("unreachable: the loop returns or raises")

    def _read_answer(self, method: str, response: requests.Response) -> None:
        """Read the body into the response, at most ``max_answer_bytes`` (counted decompressed,
        so a compressed bomb is cut off too); a larger answer is closed unread."""
        declared = response.headers.get("Content-Length", "")
        body = bytearray()
        if not (declared.isdigit() and int(declared) > self.max_answer_bytes):
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > self.max_answer_bytes:
                    break
            else:
                response._content = bytes(body)
                return
        response.close()
        raise DeliveryHTTPError(
            method, MASKER.mask(response.url), response.status_code,
            f"an answer larger than {self.max_answer_bytes} bytes, cut off",
            "no answer of this service is that large: check that the base URL is the service's own "
            "address (not a web page or a proxy); run the same command again later "
            "(finished items are skipped)",
        )

    def _follow_redirects(self, response: requests.Response,
                          headers: Mapping[str, str] | None) -> requests.Response:
        """Follow a GET's redirects inside the base URL's origin; refuse any other target."""
        for _ in range(MAX_REDIRECTS):
            if not response.is_redirect:
                return response
            target = urljoin(response.url, response.headers["Location"])
            response.close()
            if origin(target) != origin(self.base_url):
                raise DeliveryHTTPError(
                    "GET", MASKER.mask(response.url), response.status_code,
                    f"redirects to {MASKER.mask(target)}",
                    f"not followed: it leaves {self.base_url} (another host, port or scheme), and the "
                    "request carries the credentials; if the target moved, give its https address as "
                    "the base URL",
                )
            self._pace("GET", target)
            response = self.session.request("GET", target, headers=headers, timeout=self.timeout,
                                            allow_redirects=False, stream=True)
        response.close()
        raise DeliveryHTTPError("GET", MASKER.mask(response.url), response.status_code,
                                f"more than {MAX_REDIRECTS} redirects", "check the base URL")


def excerpt(response: requests.Response, limit: int = 300) -> str:
    """The start of a response body, for error messages (masked, one line)."""
    text = response.text.strip().replace("\n", " ")
    if len(text) > limit:
        text = text[:limit] + "…"
    return MASKER.mask(text)


def refused_access(method: str, http: HttpClient, path: str, response: requests.Response,
                   hint: str) -> DeliveryAuthError:
    """The error for a 401/403 answer, with what to check."""
    return DeliveryAuthError(method, MASKER.mask(http.url(path)), response.status_code, excerpt(response),
                             hint)
