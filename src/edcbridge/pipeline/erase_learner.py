"""The awards of one learner in an output folder, found by the learner's id (the student number
a credential names) or e-mail address, for ``edcbridge erase --learner/--email``.

Nothing new is stored to find them: the EDC credentials the folder publishes or keeps withdrawn
(``edc/``, ``edc-sealed/``, ``withdrawn/edc/``, ``withdrawn/edc-sealed/``) are read, and each one
whose subject is the learner is taken to its award by its credential id, which the export
derives from the award key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CREDENTIAL_FOLDERS = ("edc", "edc-sealed", "withdrawn/edc", "withdrawn/edc-sealed")


@dataclass(frozen=True)
class Learner:
    """Who to look for: a learner id, or an e-mail address (letter case ignored)."""

    option: str  # the option that gave it, as messages name it
    value: str

    def is_subject_of(self, subject: Any) -> bool:
        """Whether a credentialSubject is this learner."""
        if not isinstance(subject, dict):
            return False
        if self.option == "--email":
            return self.value.casefold() in {address.casefold() for address in _addresses(subject)}
        return self.value in _notations(subject.get("identifier"))

    def may_be_in(self, data: bytes) -> bool:
        """A cheap look before parsing: a credential in clear (plain, or sealed with its payload
        unencoded) that does not hold the value as written is not the learner's."""
        if b'"@context"' not in data or not self.value.isascii():
            return True  # a base64url payload, or a value JSON may escape: only parsing tells
        return self.value.casefold().encode() in data.lower()


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _notations(identifiers: Any) -> set[str]:
    return {str(node["notation"]).strip() for node in _listed(identifiers)
            if isinstance(node, dict) and node.get("notation") is not None}


def _addresses(subject: dict[str, Any]) -> Iterator[str]:
    for point in _listed(subject.get("contactPoint")):
        if not isinstance(point, dict):
            continue
        for mailbox in _listed(point.get("emailAddress")):
            address = mailbox.get("id") if isinstance(mailbox, dict) else None
            if isinstance(address, str):
                yield address.removeprefix("mailto:").strip()


def _credential(data: bytes) -> dict[str, Any] | None:
    """The credential a file holds (plain or sealed), None when it holds none."""
    from edcbridge.validation.document import NotACredential, unwrap

    try:
        return unwrap(json.loads(data.decode("utf-8-sig")))[0]
    except (UnicodeDecodeError, ValueError, NotACredential):
        return None


def _credential_files(out_dir: Path) -> Iterator[Path]:
    for folder in CREDENTIAL_FOLDERS:
        yield from sorted((out_dir / folder).glob("*.jsonld"))


@dataclass(frozen=True)
class Found:
    keys: list[str]  # the learner's awards, in order
    unreadable: list[Path]  # credential files that could not be read: they may be the learner's too


def awards_of(out_dir: Path, learner: Learner, keys: Iterable[str]) -> Found:
    """The keys, among ``keys``, of the awards whose EDC credentials in ``out_dir`` have
    ``learner`` as their subject."""
    from edcbridge.mapping.nodes import credential_id

    by_id = {credential_id(*key.split("/", 1)): key for key in keys if "/" in key}
    found: set[str] = set()
    unreadable: list[Path] = []
    for path in _credential_files(out_dir):
        try:
            data = path.read_bytes()
        except OSError:
            unreadable.append(path)
            continue
        credential = _credential(data) if learner.may_be_in(data) else None
        if credential is not None and credential.get("id") in by_id and any(
                learner.is_subject_of(subject) for subject in _listed(credential.get("credentialSubject"))):
            found.add(by_id[credential["id"]])
    return Found(sorted(found), unreadable)
