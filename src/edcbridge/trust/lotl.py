"""Read the trusted lists a verifier names.

Only a list whose signature holds gives trust anchors: the LOTL's checked against the
``--lotl-signer`` certificates (published in the Official Journal), a national list named
directly against ``--tl-signer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from edcbridge.bounded_file import TooLarge, read_bounded
from edcbridge.trust.trusted_list import (
    MAX_TL_BYTES,
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


def _read(source: str, timeout: float, notes: list[str]) -> tuple[TrustedList, str | None]:
    try:
        return read_trusted_list(read_bounded(Path(source), MAX_TL_BYTES), source), None
    except OSError as exc:
        raise TrustedListError(f"{source}: the trusted list cannot be read ({exc.strerror})") from None
    except TooLarge:
        raise TrustedListError(f"{source}: more than {MAX_TL_BYTES:,} bytes, larger than any trusted "
                               "list") from None


def _add(loaded: Loaded, tl: TrustedList, fetched: str | None, via: str) -> None:
    loaded.services.extend(tl.services)
    loaded.lists.append({"source": tl.source, "territory": tl.territory, "authenticated_by": via,
                         **({"fetched": fetched} if fetched else {})})


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
            _add(loaded, tl, fetched, "--lotl-signer")
        elif not signers.tl:
            loaded.notes.append(f"{source}: the trusted list is not authenticated (no --tl-signer given): "
                                "its services confirm no seal; give the certificate its scheme operator "
                                "signs it with")
        else:
            check_signature(tl, signers.tl, "the --tl-signer certificate(s)")
            _add(loaded, tl, fetched, "--tl-signer")
    return loaded
