"""Read the trusted lists a verifier names: files, or lists fetched over HTTP(S) (the EU List of
Trusted Lists, whose OtherTSLPointer entries lead to the national lists).

Only a list whose signature holds gives trust anchors: the LOTL's checked against the
``--lotl-signer`` certificates (published in the Official Journal), a national list named
directly against ``--tl-signer``, a national list the LOTL points to against the certificates the
LOTL publishes for it. Fetched lists are kept in the cache home with their fetch time, and the
copy there is used (its signature checked again) when a list cannot be fetched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from edcbridge.bounded_file import TooLarge, read_bounded
from edcbridge.bounded_http import DownloadError, download, reach_advice
from edcbridge.cache_home import cache_home
from edcbridge.output import write_atomic
from edcbridge.trust.trusted_list import (
    MAX_TL_BYTES,
    TSL_MIME,
    Pointer,
    TrustedList,
    TrustedListError,
    TrustService,
    check_signature,
    read_trusted_list,
)

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Signers:
    """The certificates pinned for the LOTL and for national lists named directly."""

    lotl: tuple[x509.Certificate, ...] = ()
    tl: tuple[x509.Certificate, ...] = ()


@dataclass
class Loaded:
    """The services of every list whose signature held, what was read, and what to tell the user."""

    services: list[TrustService] = field(default_factory=list)
    lists: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_url(source: str) -> bool:
    return source.startswith(("https://", "http://"))


def cache_folder() -> Path:
    return cache_home() / "edcbridge" / "trusted-lists"


def _cached(url: str) -> tuple[Path, Path]:
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    return cache_folder() / f"{key}.xml", cache_folder() / f"{key}.json"


def _store(url: str, data: bytes, fetched: str) -> None:
    """Keep a fetched list, each file whole or not at all: a run cut short (a full disk, a crash)
    must not leave half a list for an offline run to read."""
    body, meta = _cached(url)
    try:
        body.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(body, data)
        write_atomic(meta, json.dumps({"url": url, "fetched": fetched}).encode("utf-8"))
    except OSError:
        return  # a cache that cannot be written costs a download next time, nothing more


def _from_cache(url: str) -> tuple[bytes, str] | None:
    body, meta = _cached(url)
    try:
        return body.read_bytes(), str(json.loads(meta.read_text(encoding="utf-8"))["fetched"])
    except (OSError, ValueError, KeyError):
        return None


def fetch(url: str, timeout: float, notes: list[str], *, from_lotl: bool = False) -> tuple[bytes, str]:
    """The list at *url* and when it was fetched: downloaded (and cached), else the cached copy.
    ``from_lotl``: the URL is a LOTL's pointer, not a ``--trusted-list`` the user can correct."""
    try:
        data = download("trusted list", url, timeout=timeout, limit=MAX_TL_BYTES, guarded=True,
                        headers={"Accept": f"{TSL_MIME}, application/xml"})
    except DownloadError as exc:
        advice = reach_advice(exc, url, option="" if from_lotl else "--trusted-list",
                              came_from="the LOTL's pointer")
        remedy = f": {advice}" if advice else ""
        cached = _from_cache(url)
        if cached is None:
            raise TrustedListError(f"{url}: the trusted list cannot be fetched ({exc}) and no copy is "
                                   f"cached{remedy}") from None
        notes.append(f"{url} cannot be fetched ({exc}): the copy fetched at {cached[1]} is used{remedy}")
        return cached
    fetched = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _store(url, data, fetched)
    return data, fetched


def _read(source: str, timeout: float, notes: list[str], *,
          from_lotl: bool = False) -> tuple[TrustedList, str | None]:
    if is_url(source):
        data, fetched = fetch(source, timeout, notes, from_lotl=from_lotl)
        return read_trusted_list(data, source), fetched
    try:
        return read_trusted_list(read_bounded(Path(source), MAX_TL_BYTES), source), None
    except OSError as exc:
        raise TrustedListError(f"{source}: the trusted list cannot be read ({exc.strerror})") from None
    except TooLarge:
        raise TrustedListError(f"{source}: more than {MAX_TL_BYTES:,} bytes, larger than any trusted "
                               "list") from None


@dataclass(frozen=True)
class _Kept:
    """What an authenticated list gives: its services and what is said of it, without its parsed
    tree (many times the list's size), let go once the signature is checked."""

    source: str
    territory: str
    services: tuple[TrustService, ...]
    next_update: datetime | None
    fetched: str | None

    @classmethod
    def of(cls, tl: TrustedList, fetched: str | None) -> _Kept:
        return cls(tl.source, tl.territory, tl.services, tl.next_update, fetched)


def _add(loaded: Loaded, tl: _Kept, via: str) -> None:
    """Take an authenticated list's services; one past its NextUpdate is noted, as a list kept or
    replayed from before a withdrawal still holds its signature."""
    if tl.next_update is not None and tl.next_update < datetime.now(UTC):
        loaded.notes.append(f"{tl.source}: its next update was due at "
                            f"{tl.next_update.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}: the statuses "
                            "it gives may be out of date; give a current list")
    loaded.services.extend(tl.services)
    loaded.lists.append({"source": tl.source, "territory": tl.territory, "authenticated_by": via,
                         **({"fetched": tl.fetched} if tl.fetched else {})})


FETCHES_AT_ONCE = 4
"""National lists fetched at the same time from a LOTL: its thirty-odd pointers take the time
of a few fetches, each still within its own deadline."""


@dataclass
class _Followed:
    """What following one pointer gave: its list (its services), or why it gives no anchor."""

    pointer: Pointer
    notes: list[str] = field(default_factory=list)
    tl: _Kept | None = None


def _follow_one(pointer: Pointer, timeout: float) -> _Followed:
    followed = _Followed(pointer)
    try:
        tl, fetched = _read(pointer.location, timeout, followed.notes, from_lotl=True)
        check_signature(tl, pointer.certificates, f"the certificates the LOTL publishes for "
                        f"{pointer.territory or 'it'}")
    except TrustedListError as exc:
        followed.notes.append(f"{exc}: its services confirm no seal")
        return followed
    followed.tl = _Kept.of(tl, fetched)
    return followed


def _follow(loaded: Loaded, lotl: TrustedList, timeout: float) -> None:
    """Fetch each national list the LOTL points to (XML ones), checked against its certificates,
    a few at a time; one that cannot be fetched or whose signature fails gives no anchor, and is
    named. Lists and notes come in the LOTL's order, whichever fetch ends first. The LOTL's
    pointer to itself (the EU's lists it) is not followed: it was read already."""
    pointers = [p for p in lotl.pointers
                if p.mime_type == TSL_MIME and is_url(p.location) and p.location != lotl.source]
    if not pointers:
        return
    with ThreadPoolExecutor(max_workers=min(FETCHES_AT_ONCE, len(pointers))) as pool:
        results = list(pool.map(lambda pointer: _follow_one(pointer, timeout), pointers))
    for followed in results:
        loaded.notes.extend(followed.notes)
        if followed.tl is not None:
            territory = followed.pointer.territory or followed.tl.territory
            _add(loaded, followed.tl, f"the LOTL's certificates for {territory}")


def load(sources: Sequence[str], signers: Signers, timeout: float = DEFAULT_TIMEOUT) -> Loaded:
    """Every list of *sources*; TrustedListError for a named list that cannot be read or whose
    signature fails (a national list the LOTL points to is only named in the notes)."""
    loaded = Loaded()
    for source in sources:
        tl, fetched = _read(source, timeout, loaded.notes)
        if tl.is_lotl:
            if not signers.lotl:
                loaded.notes.append(f"{source}: the List of Trusted Lists is not authenticated (no "
                                    "--lotl-signer given): its lists confirm no seal; give the LOTL "
                                    "signing certificates the Official Journal of the EU publishes")
                continue
            check_signature(tl, signers.lotl, "the --lotl-signer certificate(s)")
            _add(loaded, _Kept.of(tl, fetched), "--lotl-signer")
            _follow(loaded, tl, timeout)
        elif not signers.tl:
            loaded.notes.append(f"{source}: the trusted list is not authenticated (no --tl-signer given): "
                                "its services confirm no seal; give the certificate its scheme operator "
                                "signs it with")
        else:
            check_signature(tl, signers.tl, "the --tl-signer certificate(s)")
            _add(loaded, _Kept.of(tl, fetched), "--tl-signer")
    return loaded
