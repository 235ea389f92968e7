"""Fetch manifest files over HTTPS (or from a mirror), each within a deadline and a size limit
(see :mod:`edcbridge.bounded_http`: a server sending a byte every few seconds cannot hold a
file for ever). After a few failures in a row to reach one server the download stops, the
other files not tried: a silent server would otherwise cost a deadline per file, hours for
the whole manifest."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

from edcbridge.bounded_http import PROXY_VARIABLES, DownloadError, download, reach_advice, without_password
from edcbridge.schemas.store import MAX_FILE_BYTES, InstallStopped, ManifestEntry, SchemaStoreError

DEADLINE = 60.0  # seconds for one file, from the request to its last byte
MAX_BYTES = MAX_FILE_BYTES
GIVE_UP_AFTER = 3  # failures in a row to reach one server
MAX_REDIRECTS = 10  # upstream addresses (purl, GitHub) redirect


class HttpFetcher:
    """A fetch function for :meth:`SchemaStore.install`.

    With ``mirror``, files are fetched from ``<mirror>/<manifest path>`` instead of their
    upstream URLs: institutions without direct access keep such a mirror. Without one, a file
    whose official URL names no version fixed for ever (``purl.imsglobal.org``) and serves
    other bytes than the pinned ones, or cannot be fetched, is fetched from its pinned copy
    at a fixed commit (the manifest's ``copy``); :attr:`copies` lists the files that were.
    """

    def __init__(self, mirror: str | None = None, *, deadline: float = DEADLINE,
                 max_bytes: int = MAX_BYTES, give_up_after: int = GIVE_UP_AFTER) -> None:
        if mirror is not None:
            _check_mirror(mirror)
        self.mirror = mirror
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.give_up_after = give_up_after
        self._failures: dict[str, int] = {}  # per server: failures to reach it in a row
        self.copies: dict[str, str] = {}  # manifest path -> the pinned copy its bytes came from

    def __call__(self, entry: ManifestEntry) -> bytes:
        url = self._url(entry)
        if self.mirror or not entry.copy:
            return self._get(url)
        try:
            data = self._get(url, ask=not self._gave_up(url))
        except SchemaStoreError:  # InstallStopped too: the copy's server may still answer
            copied = self._copy(entry)
            if copied is None:
                raise
            return copied
        if hashlib.sha256(data).hexdigest() == entry.sha256:
            return data
        return self._copy(entry) or data

    def _copy(self, entry: ManifestEntry) -> bytes | None:
        """The pinned copy's bytes when they are the pinned ones, else None (what the official
        URL gave is then reported). A copy's server that stopped answering is asked no more,
        and never stops the install alone: it stops when the official server stopped too."""
        url = entry.copy
        if url is None or self._gave_up(url):
            return None
        try:
            data = self._get(url)
        except SchemaStoreError:  # InstallStopped too
            return None
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            return None
        self.copies[entry.path] = url
        return data

    def _gave_up(self, url: str) -> bool:
        """Whether the server of ``url`` failed to answer too many times in a row to be asked again."""
        return self._failures.get(urlsplit(without_password(url)).netloc, 0) >= self.give_up_after

    def _get(self, url: str, ask: bool = True) -> bytes:
        """The bytes at ``url``; without ``ask``, InstallStopped at once (its server gave up
        answering: a file with a pinned copy goes on to that copy without a deadline's wait)."""
        shown = without_password(url)
        host = urlsplit(shown).netloc
        if not ask:
            raise InstallStopped(self._stop_message(f"download failed: {shown} not asked", host))
        try:
            data = download("schema file", url, timeout=self.deadline, limit=self.max_bytes,
                            max_redirects=MAX_REDIRECTS)
        except DownloadError as exc:
            self._failures[host] = 0 if exc.answered else self._failures.get(host, 0) + 1
            message = f"download failed: {str(exc).replace(url, shown)}"
            stopped = self._failures[host] >= self.give_up_after
            if not stopped or exc.proxy_failed or exc.tls_failed:  # a stop names the network itself
                message += self._reach_advice(exc, url)
            message += self._answer_advice(exc)
            if stopped:
                raise InstallStopped(self._stop_message(message, host)) from exc
            raise SchemaStoreError(message) from exc
        self._failures[host] = 0
        return data

    def origin(self, entry: ManifestEntry) -> tuple[str, str]:
        """Where ``entry`` is fetched from, and what to do when that is not the pinned file
        (see :meth:`SchemaStore.install`)."""
        shown = without_password(self._url(entry))
        if self.mirror:
            upstream = f" ({entry.url})" if entry.url else ""
            return shown, (f"the mirror holds another file: put the official file{upstream} there, "
                           "or install with --from DIR")
        return shown, ("the server sent another file than the pinned one (changed upstream, or "
                       "altered on the way): install from a copy of the official files with "
                       "--download --mirror URL or --from DIR")

    def _url(self, entry: ManifestEntry) -> str:
        if self.mirror:
            return _in_mirror(self.mirror, entry.path)
        if entry.url:
            return entry.url
        raise SchemaStoreError(entry.note or "no public download URL; install with --from")

    def _reach_advice(self, exc: DownloadError, url: str) -> str:
        """What to do when the server was not reached, then what to install from instead."""
        advice = reach_advice(exc, url, option="--mirror" if self.mirror else "",
                              came_from="the manifest's", server="a mirror")
        if not advice:
            return ""
        if self.mirror:
            return f": {advice}, or install with --from DIR"
        return f": {advice}, or install from a copy of the files with --from DIR or --download --mirror URL"

    def _answer_advice(self, exc: DownloadError) -> str:
        """What to do when the server answered, but not with the file."""
        if exc.status:
            return self._status_advice(exc.status)
        if exc.kind == "cut-short":
            copy = ("with --from DIR" if self.mirror
                    else "from a copy of the files with --from DIR or --download --mirror URL")
            return f": run the same command again (intact files are kept), or install {copy}"
        if exc.kind == "too-large":
            remedy = "check the --mirror URL" if self.mirror else "install with --from DIR"
            return f": larger than any pinned file, so not the pinned file; {remedy}"
        if exc.kind in ("status", "refused", "undecodable"):  # redirected too often or off http(s)
            if self.mirror:
                return ": check the --mirror URL, or install with --from DIR"
            return ": install from a copy of the files with --from DIR or --download --mirror URL"
        return ""

    def _status_advice(self, status: int) -> str:
        """What to do when the server answered ``status`` instead of the file."""
        if self.mirror:
            if status in (404, 410):
                return (": the mirror holds no file at that address: put the official file there (at "
                        "its manifest path below the --mirror URL), or install with --from DIR")
            if status in (401, 403):
                return (": the mirror refused the request: check the user name and password or the "
                        "token in the --mirror URL, or install with --from DIR")
            return ": the mirror failed: try again later, or install with --from DIR"
        copy = "install from a copy of the files with --from DIR or --download --mirror URL"
        if status in (404, 410):
            return f": the official server no longer serves it there: {copy}"
        return f": the official server failed: try again later, or {copy}"

    def _stop_message(self, message: str, host: str) -> str:
        if self.mirror:
            where = "the mirror"
            remedy = (f"check the network connection (and the proxy variables, {PROXY_VARIABLES}) "
                      "and the --mirror URL, or use --from DIR")
        else:
            where = "the official server"
            remedy = (f"check the network connection (and the proxy variables, {PROXY_VARIABLES}), or "
                      "install from a copy of the files with --mirror URL or --from DIR")
        return (f"{message}; {self.give_up_after} downloads in a row from {where} {host} failed, so "
                f"the remaining files were not tried: {remedy}")


def _in_mirror(mirror: str, path: str) -> str:
    """The URL of a manifest path in a mirror: below the mirror's path, with the mirror's query
    (an artifact repository's ``?token=...``) kept after it and a fragment dropped."""
    parts = urlsplit(mirror)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + path, fragment=""))


def _check_mirror(mirror: str) -> None:
    """A mirror is an http(s) URL: a folder (or ``file:``) given as one would fail every file
    as unreachable, and the stop message would blame the network."""
    parts = urlsplit(mirror)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SchemaStoreError(
            f"--mirror {without_password(mirror)!r} is not an http:// or https:// URL; for a "
            "folder holding the files, run 'edcbridge schemas install --from DIR' instead")


def http_fetcher(mirror: str | None = None) -> HttpFetcher:
    """A fetch function for :meth:`SchemaStore.install` (see :class:`HttpFetcher`)."""
    return HttpFetcher(mirror)
