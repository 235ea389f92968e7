"""Bounded HTTP downloads of revocation data (CRLs, OCSP answers, status lists): a verifier
fetches URLs it did not choose, so every download is guarded (see :mod:`edcbridge.bounded_http`:
no link-local or metadata address, no redirect from a public server to a private one)."""

from __future__ import annotations

from edcbridge.bounded_http import DownloadError, reach_advice
from edcbridge.bounded_http import download as _bounded
from edcbridge.seal.errors import RevocationError


def download(what: str, url: str, *, named_by: str, timeout: float, limit: int, data: bytes | None = None,
             headers: dict[str, str] | None = None) -> bytes:
    """The body of a 200 answer within ``timeout`` seconds in all and at most ``limit`` bytes
    once decoded; RevocationError saying what went wrong otherwise, and what can be done about
    it: the URL is ``named_by`` (the certificate's CRL distribution point, say), not a setting.
    POST when ``data`` is given."""
    try:
        return _bounded(what, url, timeout=timeout, limit=limit, data=data,
                        headers={"User-Agent": "edcbridge-seal", **(headers or {})}, guarded=True)
    except DownloadError as exc:
        raise RevocationError(str(exc), reach_advice(exc, url, came_from=named_by)) from exc

