"""Fetch manifest files over HTTPS (or from a mirror), with timeouts always set."""

from __future__ import annotations

from collections.abc import Callable

import requests

from edcbridge.schemas.store import ManifestEntry, SchemaStoreError

TIMEOUT = (10, 60)


def http_fetcher(mirror: str | None = None,
                 session: requests.Session | None = None) -> Callable[[ManifestEntry], bytes]:
    """A fetch function for :meth:`SchemaStore.install`.

    With ``mirror``, files are fetched from ``<mirror>/<manifest path>`` instead of their
    upstream URLs: institutions without direct access keep such a mirror.
    """
    http = session or requests.Session()

    def fetch(entry: ManifestEntry) -> bytes:
        if mirror:
            url = mirror.rstrip("/") + "/" + entry.path
        elif entry.url:
            url = entry.url
        else:
            raise SchemaStoreError(entry.note or "no public download URL; install with --from")
        try:
            response = http.get(url, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise SchemaStoreError(f"download failed: {url}: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise SchemaStoreError(f"download failed: {url}: HTTP {response.status_code}")
        return response.content

    return fetch
