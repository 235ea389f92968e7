"""RFC 3161 client over HTTP (`application/timestamp-query`)."""

from __future__ import annotations

import hashlib

import requests

from edcbridge.seal import tst
from edcbridge.seal.errors import TimestampError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
DEFAULT_TIMEOUT = 15.0


class TsaClient:
    """Ask one timestamp authority for tokens; one HTTP session per run."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not url.startswith(("http://", "https://")):
            raise TimestampError(f"timestamp authority URL must be http(s): {url!r}")
        self.url = url
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "edcbridge-seal"

    def close(self) -> None:
        self._session.close()

    def timestamp(self, data: bytes) -> tst.Timestamp:
        """Timestamp SHA-256(*data*) and return the verified token."""
        digest = hashlib.sha256(data).digest()
        nonce = tst.new_nonce()
        try:
            # A timestamp request is idempotent in effect, but it is a POST: never retried here.
            response = self._session.post(
                self.url,
                data=tst.build_request(digest, nonce),
                headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise TimestampError(
                f"timestamp authority {self.url} did not answer within {self.timeout:g} s; "
                "try again later or use another --tsa"
            ) from exc
        except requests.RequestException as exc:
            raise TimestampError(
                f"cannot reach timestamp authority {self.url}: {type(exc).__name__}; "
                "check the --tsa URL and the network, or seal at level B-B"
            ) from exc
        if response.status_code != 200:
            excerpt = response.text[:200].strip() if response.content else ""
            raise TimestampError(
                f"timestamp authority {self.url} answered HTTP {response.status_code} "
                f"{response.reason}{': ' + excerpt if excerpt else ''}"
            )
        token = tst.token_from_response(response.content, digest, nonce, self.url)
        return tst.verify_token(token, digest)
