"""RFC 3161 client over HTTP (`application/timestamp-query`).

Each request is a bounded download (:mod:`edcbridge.bounded_http`): ``timeout`` is a deadline
for the whole exchange, not for each read, and the reply is size-capped, so a slow or hostile
server (a plain http TSA can be answered by anyone on the path) cannot hold a seal for ever.
A client that has had no answer to several requests in a row stops asking for a while: a run
seals its credentials one after another, and an authority that hangs would otherwise cost the
whole timeout on every one of them.
"""

from __future__ import annotations

import hashlib
import threading
import time

from edcbridge.bounded_http import DownloadError, download, reach_advice
from edcbridge.seal import tst
from edcbridge.seal.errors import TimestampError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
DEFAULT_TIMEOUT = 15.0
MAX_REPLY = 1024 * 1024  # bytes; a token with its certificates is a few kilobytes
UNANSWERED_IN_A_ROW = 3  # requests without an answer (down, or past the timeout) before a pause
PAUSE = 60.0  # seconds the authority is not asked after them; then one request tries again


class TsaClient:
    """Ask one timestamp authority for tokens."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not url.startswith(("http://", "https://")):
            raise TimestampError(f"timestamp authority URL must be http(s): {url!r}")
        self.url = url
        self.timeout = timeout
        self._unanswered = 0  # requests in a row that had no answer
        self._paused_until = 0.0  # time.monotonic() before which it is not asked
        self._last_error = ""
        self._probing = False  # a request tries again after the pause: the others wait for it
        self._lock = threading.Lock()  # a run's worker asks for several tokens at once

    def close(self) -> None:
        """Nothing is kept open between requests."""

    def timestamp(self, data: bytes) -> tst.Timestamp:
        """Timestamp SHA-256(*data*) and return the verified token."""
        with self._lock:
            paused = self._unanswered >= UNANSWERED_IN_A_ROW
            if paused and (self._probing or time.monotonic() < self._paused_until):
                raise TimestampError(f"the timestamp authority is not asked for {PAUSE:g} s after "
                                     f"{self._unanswered} requests in a row without an answer; the "
                                     f"last: {self._last_error}")
            if paused:  # the pause is over: this request alone tries again
                self._probing = True
        try:
            return self._ask(data)
        finally:
            if paused:
                with self._lock:
                    self._probing = False

    def _ask(self, data: bytes) -> tst.Timestamp:
        digest = hashlib.sha256(data).digest()
        nonce = tst.new_nonce()
        try:
            # A timestamp request is idempotent in effect, but it is a POST: never retried or
            # redirected here.
            reply = download("timestamp authority", self.url, timeout=self.timeout, limit=MAX_REPLY,
                             data=tst.build_request(digest, nonce), max_redirects=0,
                             headers={"User-Agent": "edcbridge-seal", "Content-Type": QUERY_TYPE,
                                      "Accept": REPLY_TYPE})
        except DownloadError as exc:
            error = self._error(exc)
            if exc.kind in ("late", "unreachable", "cut-short", "undecodable"):
                with self._lock:
                    self._unanswered += 1
                    self._paused_until = time.monotonic() + PAUSE
                    self._last_error = str(error)
            raise error from exc
        with self._lock:
            self._unanswered = 0
        token = tst.token_from_response(reply, digest, nonce, self.url)
        return tst.verify_token(token, digest)

    def _error(self, exc: DownloadError) -> TimestampError:
        if exc.kind == "late":
            return TimestampError(f"timestamp authority {self.url} did not answer within {self.timeout:g} s; "
                                  "try again later or use another --tsa")
        if exc.kind == "status":
            excerpt = exc.excerpt[:200].decode("utf-8", "replace").strip()
            return TimestampError(f"{exc}{': ' + excerpt if excerpt else ''}")
        if exc.kind == "too-large":
            return TimestampError(f"{exc}: not a timestamp reply; check the --tsa URL")
        if exc.kind in ("cut-short", "undecodable"):
            return TimestampError(f"{exc}; try again later or use another --tsa")
        # not reached (no redirect is followed, so no "refused")
        advice = reach_advice(exc, self.url, option="--tsa", server="an authority")
        return TimestampError(f"{exc}: {advice}, or seal at level B-B")

