"""A sealed credential named by a push wallet manifest, read when the push plans and again just
before its deposit: the push holds one credential's bytes at a time, not the whole graduation's
(20,000 credentials of 50 KB held at once took 1 GB)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from edcbridge.deliver.errors import LocalValidationError
from edcbridge.deliver.wallet_client import credential_version, sealed_credential_id


@dataclass(frozen=True, slots=True)
class SealedFile:
    """What the plan read of a sealed file: the sha256 of its bytes, its credential's id and
    version (the sha256 of the unsealed credential)."""

    path: Path
    sha256: str
    credential_id: str
    version: str


class FileChanged(Exception):
    """The file no longer holds the credential version planned: neither is sent."""


def plan_file(path: Path) -> SealedFile:
    """Reads ``path`` for the plan; raises ``OSError`` or :class:`LocalValidationError`."""
    data = path.read_bytes()
    return SealedFile(path, hashlib.sha256(data).hexdigest(), sealed_credential_id(data),
                      credential_version(data))


def read_planned(planned: SealedFile) -> bytes:
    """The file's bytes, read again to be sent. Sealed again over the same credential (its id
    and version) they are still what the plan planned; anything else raises :class:`FileChanged`,
    since the plan (and what the state file says the wallet holds) was made for the version
    read first, and sending that one, no longer on disk, would deliver what the office replaced."""
    try:
        data = planned.path.read_bytes()
    except OSError as exc:
        raise FileChanged(_changed(planned, f"it cannot be read now: {exc.strerror}")) from None
    if hashlib.sha256(data).hexdigest() == planned.sha256:
        return data
    try:
        now = SealedFile(planned.path, "", sealed_credential_id(data), credential_version(data))
    except LocalValidationError as exc:
        raise FileChanged(_changed(planned, f"it is no longer a sealed credential: {exc}")) from None
    if now.credential_id != planned.credential_id:
        raise FileChanged(_changed(planned, f"it now holds another credential, {now.credential_id}"))
    if now.version != planned.version:
        raise FileChanged(_changed(planned, "it now holds another version of the credential"))
    return data


def _changed(planned: SealedFile, how: str) -> str:
    return (f"{planned.path.name} changed while this push ran ({how}): not sent, neither the version "
            "read when the push started nor the one in the file now; once the file is complete, run "
            "the same command again: it delivers the version the file then holds")
