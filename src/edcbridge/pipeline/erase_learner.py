"""The awards of one learner in an output folder, found by the learner's id (the student number
a credential names) or e-mail address, for ``edcbridge erase --learner/--email``.

Nothing new is stored to find them: the credential files the folder publishes or keeps withdrawn
are read, whatever their format (EDC and EBSI JSON, sealed or signed as a JWT, EDC XML, Open
Badges and CLRs, whose learner ids and addresses are salted hashes), and each one whose subject
is the learner is taken to its award by its file's name or its credential id, both derived
from the award key. An award whose files are gone is found by the address the journal kept of
its deliveries (``--email``); the awards left of which nothing the folder keeps names a
learner are named, so that they can be erased by their keys. The rows the last run refused,
naming no file, are read in report.json: their errors quote the row's values, the learner's id
or address among them when one of those was the value refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from edcbridge.pipeline.journal import Journal

# The folders of credentials naming their learner (published, and under withdrawn/), with the
# endings of their files.
CREDENTIAL_FOLDERS = {"edc": (".jsonld",), "edc-sealed": (".jsonld",), "ebsi": (".json", ".jwt"),
                      "edc-xml": (".xml",), "ob3": (".json", ".jwt")}
CLR_FOLDER = "clr"  # the learners' CLRs, each bundling a learner's Open Badges
DELIVERIES = "the journal's deliveries"  # where an award is found by the address it was delivered to
_HASHED = {"--learner": "sisSourcedId", "--email": "emailAddress"}  # Open Badges identity types
# The characters every format writes as typed (JSON and XML escape others, a mailto IRI or URI
# percent-encodes some).
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$()*+,;:@")


def places() -> list[str]:
    """The folders read, as messages name them."""
    folders = [*CREDENTIAL_FOLDERS, CLR_FOLDER]
    return [f"{prefix}{folder}/" for prefix in ("", "withdrawn/") for folder in folders]


@dataclass(frozen=True)
class Learner:
    """Who to look for: a learner id, or an e-mail address (letter case ignored)."""

    option: str  # the option that gave it, as messages name it
    value: str

    def is_subject_of(self, subject: Any) -> bool:
        """Whether a credentialSubject (EDC, or Open Badges with hashed identities) is this learner."""
        if not isinstance(subject, dict):
            return False
        if self._hashed_in(subject.get("identifier")):
            return True
        if self.option == "--email":
            return self.value.casefold() in {address.casefold() for address in _addresses(subject)}
        return self.value in _notations(subject.get("identifier"))

    def is_xml_subject(self, subject: Any) -> bool:
        """Whether an EDC XML credentialSubject element is this learner."""
        if self.option == "--email":
            return self.value.casefold() in {_address(uri).casefold() for uri in _xml_values(subject, "uri")}
        return self.value in {(text or "").strip() for text in _xml_values(subject, "identifier")}

    def _hashed_in(self, identifiers: Any) -> bool:
        """Whether an Open Badges identity of the learner's kind hashes this learner (salted)."""
        from edcbridge.badges.ob3 import email_identity, identity_hash

        value = email_identity(self.value) if self.option == "--email" else self.value
        for node in _listed(identifiers):
            if isinstance(node, dict) and node.get("hashed") is True and node.get("identityType") == \
                    _HASHED[self.option] and isinstance(node.get("salt"), str) and \
                    node.get("identityHash") == identity_hash(value, node["salt"]):
                return True
        return False

    def may_be_in(self, data: bytes) -> bool:
        """A cheap look before parsing an EDC or EBSI file: one in clear (JSON, XML, or sealed
        with its payload unencoded) that holds none of the ways the value is written is not
        the learner's."""
        in_clear = b'"@context"' in data or data.lstrip()[:1] == b"<"
        if not in_clear or not set(self.value) <= _PLAIN:
            return True  # a base64url payload, or a value JSON, XML or a mailto IRI may write otherwise
        return self.value.casefold().encode() in data.lower()

    def is_named_in(self, text: str) -> bool:
        """Whether ``text`` (an error of a report quoting a row's value) holds the learner's id or
        address whole, not as a part of a longer one (``2025`` is not named by ``IMP-2025-01``)."""
        value = self.value
        if self.option == "--email":
            value, text = value.casefold(), text.casefold()
        start = text.find(value)
        while start >= 0:
            end = start + len(value)
            if not _joined(text[max(0, start - 2):start][::-1]) and not _joined(text[end:end + 2]):
                return True
            start = text.find(value, start + 1)
        return False


def _joined(beside: str) -> bool:
    """Whether the characters beside a value found in a text (the nearest first) go on with it:
    a letter, a digit or one of ``_%+``, or one of ``.-@`` before such a character."""
    def word(char: str) -> bool:
        return char.isalnum() or char in "_%+"
    return bool(beside) and (word(beside[0]) or (beside[0] in ".-@" and word(beside[1:2] or " ")))


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _notations(identifiers: Any) -> set[str]:
    return {str(node["notation"]).strip() for node in _listed(identifiers)
            if isinstance(node, dict) and node.get("notation") is not None}


def _address(uri: str) -> str:
    """The address of a mailto IRI or URI (percent-encoded as EDC and EBSI write it)."""
    return unquote(uri.removeprefix("mailto:")).strip()


def _addresses(subject: dict[str, Any]) -> Iterator[str]:
    for point in _listed(subject.get("contactPoint")):
        if not isinstance(point, dict):
            continue
        for mailbox in _listed(point.get("emailAddress")):
            address = mailbox.get("id") if isinstance(mailbox, dict) else None
            if isinstance(address, str):
                yield _address(address)


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _xml_values(subject: Any, name: str) -> Iterator[str]:
    """The texts of the subject's own identifiers (``identifier``), or its mailboxes' URIs (``uri``)."""
    for child in subject:
        if name == "identifier" and _local(child.tag) == "identifier":
            yield child.text or ""
        elif name == "uri" and _local(child.tag) == "contactPoint":
            yield from (box.get("uri") or "" for box in child.iter() if _local(box.tag) == "mailBox")


def _json_credential(data: bytes) -> dict[str, Any] | None:
    """The credential a JSON file (plain or sealed) or a JWT holds, None when it holds none."""
    from edcbridge.jws_compact import compact_jws
    from edcbridge.validation.document import NotACredential, unwrap

    try:
        text = data.decode("utf-8-sig")
        return unwrap(compact_jws(text) or json.loads(text))[0]
    except (UnicodeDecodeError, ValueError, RecursionError, NotACredential):
        return None


def _xml_subjects(data: bytes) -> list[Any] | None:
    """The credentialSubject elements of an EDC XML credential, None when it cannot be read."""
    from edcbridge.xml.safe import XmlInputError, parse_bytes

    try:
        root = parse_bytes(data).getroot()
    except (XmlInputError, ValueError):
        return None
    return [child for child in root if _local(child.tag) == "credentialSubject"]


@dataclass
class _Search:
    """What the files of a folder tell of the learner, as they are read."""

    learner: Learner
    by_name: dict[str, str]  # the start of an award's files' names -> its key
    by_id: dict[str, str]  # an award's credential id (EDC, Open Badges) -> its key
    subject_ids: list[bytes]  # the ids Open Badges and CLRs give the learner (--learner)
    how: dict[str, list[str]] = field(default_factory=dict)  # key -> where the learner was found
    checked: set[str] = field(default_factory=set)  # keys of which a file naming a learner was read
    unreadable: list[Path] = field(default_factory=list)

    def found(self, key: str, place: str) -> None:
        if place not in self.how.setdefault(key, []):
            self.how[key].append(place)

    def read(self, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            self.unreadable.append(path)
            return None

    def credential(self, path: Path, place: str) -> None:
        """Read one credential file of an award."""
        key = self.by_name.get(path.stem)
        data = self.read(path)
        if data is None:
            return
        if path.suffix == ".xml":
            if key is not None:
                self._xml(key, data, place)
            return
        hashed = place.rstrip("/").endswith("ob3")  # Open Badges hash the learner's id and address
        may_be = self._may_hold_subject(data) if hashed else self.learner.may_be_in(data)
        if key is not None and not may_be:
            self.checked.add(key)
            return
        credential = _json_credential(data)
        own_id = credential.get("id") if credential is not None else None
        key = key or (self.by_id.get(own_id) if isinstance(own_id, str) else None)
        if credential is None or key is None:
            return
        self.checked.add(key)
        if any(self.learner.is_subject_of(s) for s in _listed(credential.get("credentialSubject"))):
            self.found(key, place)

    def _may_hold_subject(self, data: bytes) -> bool:
        """A cheap look before parsing an Open Badge or a CLR in clear: with --learner, one that
        holds no id the learner's subject has at an issuer of the folder is not the learner's."""
        if not self.subject_ids or b'"@context"' not in data:
            return True
        return any(subject_id in data for subject_id in self.subject_ids)

    def _xml(self, key: str, data: bytes, place: str) -> None:
        if not self.learner.may_be_in(data):
            self.checked.add(key)
            return
        subjects = _xml_subjects(data)
        if subjects is None:
            return
        self.checked.add(key)
        if any(self.learner.is_xml_subject(subject) for subject in subjects):
            self.found(key, place)

    def clr(self, path: Path, place: str) -> None:
        """Read a learner's CLR: each award it bundles is the learner's when its subject is."""
        from edcbridge.badges.export import held_badges

        data = self.read(path)
        if data is None:
            return
        keys = [self.by_id[badge] for badge in sorted(held_badges(path)) if badge in self.by_id]
        credential = _json_credential(data) if self._may_hold_subject(data) else {}
        if credential is None:
            return
        self.checked.update(keys)
        if any(self.learner.is_subject_of(s) for s in _listed(credential.get("credentialSubject"))):
            for key in keys:
                self.found(key, place)


REPORT = "report.json"  # the last run's report, whose refused rows may quote a learner's data


@dataclass(frozen=True)
class RefusedRow:
    """A row of the last run's reports that failed naming no file: its errors quote its values."""

    file: str
    row: int | None
    award_id: str
    texts: tuple[str, ...] = field(default=(), compare=False)  # its errors and warnings, its file left out

    def __str__(self) -> str:
        place = self.file + (f":{self.row}" if self.row is not None else "")
        return place + (f" ({self.award_id})" if self.award_id else "")


def refused_rows(out_dir: Path) -> list[RefusedRow]:
    """The rows of OUT/report.json that failed naming no file (refused: the journal may hold no
    record of them), in order; none when there is no report.json, or it cannot be read."""
    try:
        records = json.loads((out_dir / REPORT).read_text(encoding="utf-8")).get("records", [])
    except (OSError, UnicodeError, ValueError, AttributeError):
        return []
    refused = []
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict) or record.get("status") not in ("failed", "file-error") \
                or record.get("outputs"):
            continue
        texts = [text for name in ("errors", "warnings") for text in _listed(record.get(name) or [])]
        row, file = record.get("row"), str(record.get("file") or "")
        # an error begins with the row's file: a folder named like an id quotes no value of the row
        quoted = tuple(text.replace(file, " ") if file else text for text in texts if isinstance(text, str))
        refused.append(RefusedRow(file, row if isinstance(row, int) else None,
                                  str(record.get("award_id") or ""), quoted))
    return refused


def _folders(out_dir: Path) -> Iterator[tuple[Path, str, tuple[str, ...]]]:
    for prefix in ("", "withdrawn/"):
        for folder, suffixes in [*CREDENTIAL_FOLDERS.items(), (CLR_FOLDER, (".json",))]:
            yield out_dir / prefix / folder, f"{prefix}{folder}/", suffixes


def _subject_ids(learner: Learner, keys: Iterable[str]) -> list[bytes]:
    """The ids Open Badges and CLRs give a learner id at each issuer of ``keys`` (none for --email)."""
    from edcbridge.badges.ob3 import learner_id

    if learner.option != "--learner":
        return []
    issuers = sorted({key.split("/")[0] for key in keys})
    return [learner_id(issuer, learner.value).encode() for issuer in issuers]


def _names(keys: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The keys by the start of their files' names, and by their credential ids."""
    from edcbridge.badges.ob3 import credential_id as badge_id
    from edcbridge.mapping.nodes import credential_id
    from edcbridge.output import safe_name

    pairs = [(key, *key.split("/", 1)) for key in keys if "/" in key]
    by_name = {safe_name(issuer, award): key for key, issuer, award in pairs}
    by_id = {credential_id(issuer, award): key for key, issuer, award in pairs}
    return by_name, {**by_id, **{badge_id(issuer, award): key for key, issuer, award in pairs}}


def delivered_to(journal: Journal, address: str) -> dict[str, bool]:
    """The awards of which the journal kept the address of a delivery: whether one was to
    ``address`` (letter case ignored)."""
    return journal.delivered_to(address)


def not_erased(journal: Journal) -> list[str]:
    """The keys of the journal's records not erased, in order."""
    return journal.not_erased()


@dataclass(frozen=True)
class Found:
    keys: list[str]  # the learner's awards, in order
    unreadable: list[Path]  # credential files that could not be read: they may be the learner's too
    how: dict[str, list[str]] = field(default_factory=dict)  # key -> where the learner was found
    checked: set[str] = field(default_factory=set)  # awards of which something read names a learner

    def unchecked(self, keys: Iterable[str]) -> list[str]:
        """The awards among ``keys`` of which nothing read names a learner (their files removed,
        or never written): whether they are the learner's is not known."""
        return [key for key in keys if key not in self.checked and key not in self.how]


def awards_of(out_dir: Path, learner: Learner, keys: Iterable[str],
              deliveries: dict[str, bool] | None = None) -> Found:
    """The keys, among ``keys``, of the awards whose credential files in ``out_dir`` have
    ``learner`` as their subject, or (``deliveries``, see :func:`delivered_to`) that were
    delivered to the learner; and those of which no file naming a learner was read."""
    keys = list(keys)
    search = _Search(learner, *_names(keys), _subject_ids(learner, keys))
    for folder, place, suffixes in _folders(out_dir):
        for path in sorted(p for p in folder.glob("*") if p.suffix in suffixes):
            (search.clr if folder.name == CLR_FOLDER else search.credential)(path, place)
    for key, to_learner in (deliveries or {}).items():
        search.checked.add(key)
        if to_learner:
            search.found(key, DELIVERIES)
    found = sorted(key for key in search.how if key in keys)
    return Found(found, search.unreadable, {key: search.how[key] for key in found}, search.checked)
