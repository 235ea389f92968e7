"""Bounded HTTP downloads of revocation data (CRLs, OCSP answers, status lists): a verifier
fetches URLs it did not choose, so every download is guarded (see :mod:`edcbridge.bounded_http`:
no link-local or metadata address, no redirect from a public server to a private one)."""

from __future__ import annotations

from edcbridge.bounded_http import (
    CERTIFICATE_NOT_VERIFIED,
    NO_TLS_THERE,
    PROXY_VARIABLES,
    DownloadError,
    proxy_problem,
)
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
        raise RevocationError(str(exc), _remedy(exc, url, named_by)) from exc


def _remedy(exc: DownloadError, url: str, named_by: str) -> str:
    """What to do when the server was not reached: the proxy when it failed, a CA bundle only
    when the certificate could not be verified; the network and the proxy variables otherwise,
    since the URL cannot be corrected here."""
    if exc.proxy_failed:
        return proxy_problem(url)
    if exc.tls_unverified:
        return CERTIFICATE_NOT_VERIFIED
    if exc.tls_failed:
        return (f"{NO_TLS_THERE}; the URL is {named_by}, so a proxy or firewall in between may "
                f"answer instead: check the proxy variables ({PROXY_VARIABLES})")
    if exc.kind == "unreachable":
        return f"check the network connection and the proxy variables ({PROXY_VARIABLES})"
    return ""
