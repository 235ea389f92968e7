"""The requests of one client address, limited (a token bucket): a connection cap alone lets one
keep-alive connection send requests without end.

An address (IPv6: one /64, as :func:`edcbridge.oid4vci.server.client_key` counts it) may send
``BURST_SECONDS`` seconds' worth of requests at once, and ``rate`` a second after that; past it a
request is answered 429 with ``Retry-After`` and the app never sees it. The address is the one that
connected (``X-Forwarded-For`` is not read): behind a reverse proxy every client has the proxy's,
so turn the limit off there (0) and limit requests in the proxy.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from edcbridge.oid4vci.errors import refusal_headers

LOG = logging.getLogger("edcbridge.oid4vci")
DEFAULT_MAX_CLIENT_REQUESTS = 50  # a second; with the burst, 256 wallets behind one NAT at once
BURST_SECONDS = 40
LOG_EVERY = 60  # seconds: at most one line an address for its refused requests
_PRUNE_ABOVE = 4096  # addresses kept before the idle ones (full buckets) are first forgotten


@dataclass
class _Bucket:
    tokens: float
    at: float
    refused: int = 0
    logged: float = -math.inf


class RequestRate:
    """ASGI middleware: at most ``rate`` requests a second per client address, after a burst of
    ``BURST_SECONDS * rate`` (0: no limit)."""

    def __init__(
        self, app: ASGIApp, rate: int, key: Callable[[tuple[str, int] | None], str | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate < 0:
            raise ValueError("the request rate must be 0 (no limit) or more")
        self.app = app
        self.rate = rate
        self.burst = float(BURST_SECONDS * rate)
        self.key = key
        self.clock = clock
        self.buckets: dict[str, _Bucket] = {}
        self._prune_above = _PRUNE_ABOVE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.key(scope.get("client")) if scope["type"] == "http" and self.rate else None
        wait = 0 if key is None else self._take(key)
        if not wait:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "temporarily_unavailable",
                           "error_description": "too many requests from your address; retry later"}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": refusal_headers(
            body, (b"retry-after", str(wait).encode()),
            (b"access-control-expose-headers", b"retry-after"),  # a browser wallet's page reads it
        )})
        await send({"type": "http.response.body", "body": body})

    def _take(self, key: str) -> int:
        """0 when ``key`` may send this request (it is counted), else the seconds to wait."""
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self._prune_above:  # then again at twice as many: a flood of
                self._prune(now)                        # new addresses costs no scan a request
                self._prune_above = max(_PRUNE_ABOVE, 2 * len(self.buckets))
            bucket = self.buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        bucket.refused += 1
        if now - bucket.logged >= LOG_EVERY:
            LOG.warning("client %s sends more than %d requests a second: %d refused with 429 (behind a "
                        "reverse proxy every client has its address: turn the limit off)",
                        key, self.rate, bucket.refused)
            bucket.logged, bucket.refused = now, 0
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def _prune(self, now: float) -> None:
        """Forget addresses whose bucket has filled up again: they are as good as new."""
        for key in [key for key, bucket in self.buckets.items()
                    if bucket.tokens + (now - bucket.at) * self.rate >= self.burst]:
            del self.buckets[key]
