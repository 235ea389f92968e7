"""RFC 3161 client over HTTP (`application/timestamp-query`).

Each request is a bounded download (:mod:`edcbridge.bounded_http`): ``timeout`` is a deadline
for the whole exchange, not for each read, and the reply is size-capped, so a slow or hostile
server (a plain http TSA can be answered by anyone on the path) cannot hold a seal for ever.
"""

from __future__ import annotations

import hashlib

from edcbridge.bounded_http import DownloadError, download, reach_advice
from edcbridge.seal import tst
from edcbridge.seal.errors import TimestampError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
DEFAULT_TIMEOUT = 15.0
MAX_REPLY = 1024 * 1024  # bytes; a token with its certificates is a few kilobytes


class TsaClient:
    """Ask one timestamp authority for tokens."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not url.startswith(("http://", "https://")):
            raise TimestampError(f"timestamp authority URL must be http(s): {url!r}")
        self.url = url
        self.timeout = timeout

    def close(self) -> None:
        """Nothing is kept open between requests."""

    def timestamp(self, data: bytes) -> tst.Timestamp:
        """Timestamp SHA-256(*data*) and return the verified token."""
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
            raise self._error(exc) from exc
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
        # not reached (no redirect is followed, so no "refused")
        advice = reach_advice(exc, self.url, option="--tsa", server="an authority")
        return TimestampError(f"{exc}: {advice}, or seal at level B-B")

