"""Write Open Badges 3.0 and CLR 2.0 files: ``ob3/`` one per award, ``clr/`` one per learner.

Each credential is written twice: ``.json`` (the credential, for reading and schema checks)
and ``.jwt`` (the same credential secured as VC-JWT with the issuer's seal key). With an
Ed25519 seal the ``.json`` also carries a Data Integrity proof (``eddsa-rdfc-2022``), and so
does every Open Badge a CLR embeds (the ``.jwt`` secures the credential without its own proof); when the
issuer's catalogue ``did`` is a ``did:web``, that DID is the signed credentials' issuer and controls the
seal's key (the proofs' verification method and the VC-JWT's ``kid``), and
:func:`write_did_document` writes the DID document to publish (:func:`write_badges`, one per DID
the run names). Nothing is
written for a credential that fails the 1EdTech schemas or contexts (or, with an Ed25519 key, that
JSON-LD in safe mode refuses: an id that is not an absolute IRI, a language that is not a tag), nor,
with a key, for one
whose issuer is not the organisation in the seal certificate (a seal vouches only for its own
organisation, as ``export --seal`` holds it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from edcbridge.badges.clr import clr_credential, learner_key
from edcbridge.badges.jwt import did_key_id, jwk_did_document, sign_vc_jwt
from edcbridge.badges.ob3 import open_badge
from edcbridge.badges.proof import Unsignable, add_proof, did_document, verification_method
from edcbridge.badges.schemas import context_files, default_root, validate_badge
from edcbridge.in_order import in_order
from edcbridge.model import Award, Catalogue
from edcbridge.output import safe_name, serialise, write_atomic
from edcbridge.seal.keys import BadgeKey, Ed25519SealKey
from edcbridge.validation.findings import Finding

Pair = tuple[Award, Catalogue]
KeyFor = Callable[[Catalogue], BadgeKey | None]
Secure = Callable[[dict[str, Any]], dict[str, Any]]
SecureFor = Callable[[BadgeKey | None, str | None], Secure | None]


@dataclass
class StaleDidDocuments:
    """The DID documents an earlier run left in OUT that this run did not write: ``removed``, and
    ``kept`` (each with why it was not removed)."""
    removed: list[Path] = field(default_factory=list)
    kept: dict[Path, str] = field(default_factory=dict)


@dataclass
class BadgeOutputs:
    written: list[Path] = field(default_factory=list)
    failed: dict[str, list[Finding]] = field(default_factory=dict)
    did_documents: dict[Path, str] = field(default_factory=dict)  # written DID document -> its DID
    stale: StaleDidDocuments = field(default_factory=lambda: StaleDidDocuments())

    @property
    def ok(self) -> bool:
        return not self.failed


def seal_refusal(key: BadgeKey, catalogue: Catalogue, issuer_key: str) -> list[Finding]:
    """Why ``key`` must not sign credentials of ``issuer_key`` (empty when it is its own seal)."""
    from edcbridge.seal.sealer import certificate_identity
    from edcbridge.sealing import issuer_refusal

    refusal = issuer_refusal(certificate_identity(key.certificate), catalogue, issuer_key)
    if refusal is None:
        return []
    return [Finding("ob3.seal-issuer", "error", "$.issuer", refusal,
                    "run this issuer's awards on their own, with its own seal (--seal)")]


class _SchemasOnce:
    """The 1EdTech files' folder: the one given, else found (and the schema store's copies
    checked against their pins) once for a whole export, when its first credential is checked."""

    def __init__(self, given: Path | None) -> None:
        self._root = given

    def __call__(self) -> Path:
        if self._root is None:
            self._root = default_root()
        return self._root


def _write(doc: dict[str, Any], target: Path, key: BadgeKey | None, schemas: _SchemasOnce,
           outputs: BadgeOutputs, validate: bool, issuer: tuple[Catalogue, str],
           secure: Secure | None, kid: str | None = None) -> None:
    refused = seal_refusal(key, *issuer) if key is not None else []
    if refused:
        outputs.failed[target.name] = refused
        return
    findings = [f for f in validate_badge(doc, schemas()) if f.severity == "error"] if validate else []
    if findings:
        outputs.failed[target.name] = findings
        return
    try:
        secured = secure(doc) if secure else doc
    except Unsignable as exc:
        outputs.failed[target.name] = exc.findings
        return
    write_atomic(target.with_suffix(".json"), serialise(secured))
    outputs.written.append(target.with_suffix(".json"))
    if key is not None:
        write_atomic(target.with_suffix(".jwt"), (sign_vc_jwt(doc, key, kid=kid) + "\n").encode("ascii"))
        outputs.written.append(target.with_suffix(".jwt"))


def issuer_did(catalogue: Catalogue, issuer_key: str, key: BadgeKey | None) -> str | None:
    """The DID the issuer's signed badges name as issuer and as the controller of their key: the
    organisation's catalogue ``did`` when it is a ``did:web`` (whose document the institution
    publishes, :func:`write_did_document`). A ``did:ebsi``'s document is EBSI's registry's, which
    this key is not written into; unsigned badges name no key, so no DID."""
    if key is None:
        return None
    did = catalogue.organisation(issuer_key).did
    return did if did is not None and did.startswith("did:web:") else None


def vc_jwt_kid(key: BadgeKey | None, did: str | None) -> str | None:
    """The ``kid`` of the VC-JWTs when the issuer has a DID: the id of the seal's key in its DID
    document (:func:`did_document_of`), for an Ed25519 seal the Multikey its Data Integrity
    proofs name as verification method."""
    if key is None or did is None:
        return None
    if isinstance(key, Ed25519SealKey):
        return verification_method(key.private_key.public_key(), did)
    return did_key_id(did, key.certificate.public_key())


def did_document_of(did: str, key: BadgeKey) -> dict[str, Any]:
    """The DID document of ``did`` publishing the seal's key: a Multikey for an Ed25519 seal (its
    proofs' verification method), else a JsonWebKey2020 (the VC-JWT's ``kid``)."""
    if isinstance(key, Ed25519SealKey):
        return did_document(did, key.private_key.public_key())
    return jwk_did_document(did, key.certificate.public_key())


DID_DOCUMENT = "did.json"


def write_did_document(out_dir: Path, did: str, key: BadgeKey) -> Path:
    """``out_dir/did.json``: the DID document of ``did`` with the seal's key, to publish at
    :func:`~edcbridge.badges.proof.did_web_url` so that verifiers find the key the issuer controls."""
    target = out_dir / DID_DOCUMENT
    write_atomic(target, serialise(did_document_of(did, key)))
    return target


def did_document_path(out_dir: Path, did: str) -> Path:
    """Where a run publishing several DIDs writes the document of the did:web ``did``:
    ``out_dir/did/<host>[/<path>...]/did.json``, as its address names them (each part a safe
    file name, so none leaves ``out_dir/did``)."""
    parts = did.removeprefix("did:web:").split(":")
    return out_dir.joinpath("did", *(safe_name(part) for part in parts), DID_DOCUMENT)


_MAX_DID_DOCUMENT = 1 << 20


def remove_stale_did_documents(out_dir: Path, written: Iterable[Path]) -> StaleDidDocuments:
    """Remove the DID documents an earlier run wrote in ``out_dir`` that this run, which wrote
    ``written``, did not: ``out_dir/did.json`` after a run publishing several DIDs, the
    ``out_dir/did/.../did.json`` files after a run publishing one (or those of DIDs no longer
    signed for), which no longer match what was signed and could be published by mistake; the
    folders they leave empty under ``out_dir/did`` go too. A file that does not read as a DID
    document, or a symbolic link, is kept (and named, with why)."""
    import os

    keep = set(written)
    stale = StaleDidDocuments()
    found = [out_dir / DID_DOCUMENT]
    folder = out_dir / "did"
    if folder.is_symlink():
        stale.kept[folder] = "a symbolic link, not followed"
    elif folder.is_dir():
        for root, _dirs, files in os.walk(folder):
            found += sorted(Path(root) / name for name in files if name == DID_DOCUMENT)
    for path in found:
        if path in keep or not (path.exists() or path.is_symlink()):
            continue
        why = _not_a_did_document(path)
        if why is not None:
            stale.kept[path] = why
            continue
        try:
            path.unlink()
        except OSError as exc:
            stale.kept[path] = f"it could not be removed ({exc.strerror or exc})"
        else:
            stale.removed.append(path)
    if folder.is_dir() and not folder.is_symlink():
        for root, _dirs, _files in sorted(os.walk(folder), key=lambda item: -len(Path(item[0]).parts)):
            with suppress(OSError):
                Path(root).rmdir()  # only an empty folder
    return stale


def _not_a_did_document(path: Path) -> str | None:
    """Why the file at ``path`` is not one this command may have written (None when it is a DID
    document)."""
    import json

    if path.is_symlink() or not path.is_file():
        return "a symbolic link, not followed" if path.is_symlink() else "not a file"
    try:
        if path.stat().st_size > _MAX_DID_DOCUMENT:
            return "too large to be a DID document"
        document = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return "it does not read as a DID document"
    if not (isinstance(document, dict) and isinstance(document.get("id"), str)
            and document["id"].startswith("did:") and "@context" in document):
        return "it does not read as a DID document"
    return None


def did_document_with_keys(did: str, keys: list[BadgeKey]) -> dict[str, Any]:
    """The DID document of ``did`` publishing every key of ``keys`` (each method once): the
    document of one key is :func:`did_document_of`'s."""
    documents = [did_document_of(did, key) for key in keys]
    merged = documents[0]
    for document in documents[1:]:
        merged = {**merged,
                  "@context": list(dict.fromkeys([*merged["@context"], *document["@context"]])),
                  "verificationMethod": list({m["id"]: m for m in [*merged["verificationMethod"],
                                                                   *document["verificationMethod"]]}.values()),
                  "assertionMethod": list(dict.fromkeys([*merged["assertionMethod"],
                                                         *document["assertionMethod"]]))}
    return merged


def data_integrity(schemas: Path | None) -> SecureFor:
    """For a key (and the issuer DID controlling it, else None for its did:key), what adds its
    ``eddsa-rdfc-2022`` proof to a credential (None: only an Ed25519 seal makes one); the
    contexts are found once per key."""
    made: dict[tuple[int, str | None], tuple[Ed25519SealKey, Secure]] = {}

    def secure(key: BadgeKey | None, did: str | None) -> Secure | None:
        if not isinstance(key, Ed25519SealKey):
            return None
        if (id(key), did) not in made or made[id(key), did][0] is not key:
            contexts = context_files(schemas or default_root())
            made[id(key), did] = (key, partial(add_proof, key=key, contexts=contexts, controller=did))
        return made[id(key), did][1]

    return secure


def _cached(key_for: KeyFor | None) -> KeyFor | None:
    """Ask for each catalogue's key once (loading a PKCS#12 file is slow)."""
    if key_for is None:
        return None
    loaded: dict[int, tuple[Catalogue, BadgeKey | None]] = {}

    def get(catalogue: Catalogue) -> BadgeKey | None:
        hit = loaded.get(id(catalogue))
        if hit is None or hit[0] is not catalogue:
            hit = (catalogue, key_for(catalogue))
            loaded[id(catalogue)] = hit
        return hit[1]

    return get


def write_ob3(pairs: Iterable[Pair], out_dir: Path, key_for: KeyFor | None = None,
              schemas: Path | None = None, validate: bool = True, workers: int = 1) -> BadgeOutputs:
    """``out_dir/<issuer>_<award_id>.json`` and ``.jwt`` (with a key) for every award, by
    ``workers`` processes (see :func:`~edcbridge.in_order.processes_for`).

    ``key_for(catalogue)`` gives the seal key of the catalogue's issuer (asked once per
    catalogue), e.g. ``lambda c: demo_seal(folder, c).load().key``; None writes no ``.jwt``.
    """
    catalogues, awards = _by_catalogue(pairs)
    badge = partial(_badge, catalogues=catalogues, out_dir=out_dir, key_for=_cached(key_for),
                    secure=data_integrity(schemas), roots=_SchemasOnce(schemas), validate=validate)
    return _gathered(in_order(badge, awards, workers))


def _by_catalogue(pairs: Iterable[Pair]) -> tuple[list[Catalogue], list[tuple[Award, int]]]:
    """The catalogues of ``pairs``, and each award with its catalogue's place among them: a
    worker is handed the catalogues once and keeps them, so that the nodes badges share
    (achievement, issuer) are the same objects from one award to the next, and checked once."""
    catalogues: list[Catalogue] = []
    places: dict[int, int] = {}
    awards = []
    for award, catalogue in pairs:
        if id(catalogue) not in places:
            places[id(catalogue)] = len(catalogues)
            catalogues.append(catalogue)
        awards.append((award, places[id(catalogue)]))
    return catalogues, awards


def _badge(item: tuple[Award, int], *, catalogues: list[Catalogue], out_dir: Path, key_for: KeyFor | None,
           secure: SecureFor, roots: _SchemasOnce, validate: bool) -> BadgeOutputs:
    award, catalogue = item[0], catalogues[item[1]]
    outputs = BadgeOutputs()
    issuer = award.issuer or catalogue.issuer
    target = out_dir / f"{safe_name(issuer, award.award_id)}.json"
    if catalogue.is_activity(award.specification):
        outputs.failed[target.name] = [_ACTIVITY]
        return outputs
    key = key_for(catalogue) if key_for else None
    did = issuer_did(catalogue, issuer, key)
    _write(open_badge(award, catalogue, did), target, key, roots, outputs, validate,
           (catalogue, issuer), secure(key, did), vc_jwt_kid(key, did))
    return outputs


def _gathered(each: Iterable[BadgeOutputs]) -> BadgeOutputs:
    """The files written and the credentials failed of every one, in order."""
    outputs = BadgeOutputs()
    for one in each:
        outputs.written += one.written
        outputs.failed.update(one.failed)
    return outputs


_ACTIVITY = Finding("ob3.activity", "error", "$.credentialSubject.achievement",
                    "Open Badges 3.0: the specification is an activity (claim: activity), and edcbridge's "
                    "Open Badges state an achievement with its credits, level and result: no badge is "
                    "written for a certificate of participation, nor is it held in its learner's CLR",
                    "issue its certificate of participation as EDC 3.2 JSON-LD (edcbridge export)")


def group_by_learner(pairs: Iterable[Pair]) -> dict[tuple[str, str], list[Pair]]:
    """Each learner's achievements (an activity has no badge, see :func:`write_ob3`)."""
    groups: dict[tuple[str, str], list[Pair]] = {}
    for award, catalogue in pairs:
        if catalogue.is_activity(award.specification):
            continue
        groups.setdefault(learner_key(award, catalogue), []).append((award, catalogue))
    return groups


def drop_withdrawn(pairs: Iterable[Pair], out_dir: Path) -> tuple[list[Pair], dict[str, str]]:
    """The awards of ``pairs`` not withdrawn from ``out_dir`` (``edcbridge withdraw``, as its
    journal holds), and the withdrawn ones, by key, with who withdrew them, when and why: a CLR
    made into that folder must not publish a withdrawn award again. Raises sqlite3.Error when
    the journal cannot be read."""
    from edcbridge.pipeline.journal import JOURNAL_NAME, withdrawn_records

    items = list(pairs)
    journal = out_dir / JOURNAL_NAME
    withdrawn = withdrawn_records(journal) if journal.is_file() else {}
    kept: list[Pair] = []
    left: dict[str, str] = {}
    for award, catalogue in items:
        key = f"{award.issuer or catalogue.issuer}/{award.award_id}"
        if key in withdrawn:
            left[key] = withdrawn[key]
        else:
            kept.append((award, catalogue))
    return kept, left


def write_clr(pairs: Iterable[Pair], out_dir: Path, key_for: KeyFor | None = None,
              schemas: Path | None = None, validate: bool = True, workers: int = 1) -> BadgeOutputs:
    """``out_dir/<issuer>_<student number>.json`` and ``.jwt`` (with a key) for every learner,
    by ``workers`` processes."""
    pairs = list(pairs)
    catalogues, _ = _by_catalogue(pairs)
    places = {id(catalogue): place for place, catalogue in enumerate(catalogues)}
    learners = [(learner, [(award, places[id(catalogue)]) for award, catalogue in group])
                for learner, group in sorted(group_by_learner(pairs).items())]
    record = partial(_learner_record, catalogues=catalogues, out_dir=out_dir, key_for=_cached(key_for),
                     secure=data_integrity(schemas), roots=_SchemasOnce(schemas), validate=validate)
    return _gathered(in_order(record, learners, workers))


def _learner_record(learner: tuple[tuple[str, str], list[tuple[Award, int]]], *, catalogues: list[Catalogue],
                    out_dir: Path, key_for: KeyFor | None, secure: SecureFor, roots: _SchemasOnce,
                    validate: bool) -> BadgeOutputs:
    (issuer, student), held = learner
    group = [(award, catalogues[place]) for award, place in held]
    outputs = BadgeOutputs()
    target = out_dir / f"{safe_name(issuer, student)}.json"
    key = key_for(group[0][1]) if key_for else None
    did = issuer_did(group[0][1], issuer, key)
    try:
        doc = clr_credential(group, secure(key, did), did)
    except Unsignable as exc:
        outputs.failed[target.name] = exc.findings
        return outputs
    _write(doc, target, key, roots, outputs, validate, (group[0][1], issuer), secure(key, did),
           vc_jwt_kid(key, did))
    return outputs


def write_badges(pairs: Iterable[Pair], out_dir: Path, key_for: KeyFor | None = None,
                 schemas: Path | None = None, validate: bool = True, workers: int = 1) -> BadgeOutputs:
    """The demo's outputs: ``out_dir/ob3/`` (one per award) and ``out_dir/clr/`` (one per learner).

    Raises :class:`~edcbridge.badges.schemas.SchemasMissing` when ``validate`` is on and the
    1EdTech files are not found (``schemas``, ``$EDCBRIDGE_OB3_SCHEMAS``, the schema store).
    """
    items = list(pairs)
    key_for = _cached(key_for)
    ob3 = write_ob3(items, out_dir / "ob3", key_for, schemas, validate, workers)
    clr = write_clr(items, out_dir / "clr", key_for, schemas, validate, workers)
    documents = _did_documents(items, out_dir, key_for)
    stale = remove_stale_did_documents(out_dir, documents) if documents else StaleDidDocuments()
    return BadgeOutputs(ob3.written + clr.written + list(documents), {**ob3.failed, **clr.failed}, documents,
                        stale)


def signing_dids(pairs: Iterable[Pair], key_for: KeyFor | None) -> dict[str, list[BadgeKey]]:
    """The issuer DIDs the signed badges name (see :func:`issuer_did`), each with the seal keys
    that sign for it; an issuer the catalogue's seal may not sign for names none."""
    dids: dict[str, list[BadgeKey]] = {}
    if key_for is None:
        return dids
    issuers = {(id(catalogue), award.issuer or catalogue.issuer): catalogue for award, catalogue in pairs}
    for (_, issuer), catalogue in issuers.items():
        key = key_for(catalogue)
        did = issuer_did(catalogue, issuer, key)
        if did is not None and key is not None and not seal_refusal(key, catalogue, issuer):
            dids.setdefault(did, [])
            if all(key is not known for known in dids[did]):
                dids[did].append(key)
    return dids


def _did_documents(pairs: list[Pair], out_dir: Path, key_for: KeyFor | None) -> dict[Path, str]:
    """The DID document of each issuer DID the badges name: ``out_dir/did.json`` when there is
    one, else each at :func:`did_document_path`."""
    dids = signing_dids(pairs, key_for)
    written: dict[Path, str] = {}
    for did, keys in dids.items():
        target = out_dir / DID_DOCUMENT if len(dids) == 1 else did_document_path(out_dir, did)
        write_atomic(target, serialise(did_document_with_keys(did, keys)))
        written[target] = did
    return written


# what each CLR file held when read, by its path and what stat says of it: ``withdraw`` and
# ``erase`` look for an award's CLRs among every learner's, for each award they are given
_HELD: dict[tuple[str, int, int, int, int], frozenset[str]] = {}
_HELD_KEPT = 100_000


def held_badges(path: Path) -> set[str]:
    """The ids of the Open Badges the CLR file at ``path`` embeds (none when it cannot be read).

    Read once while the file stays the same (its inode, device, size and modification time:
    edcbridge writes a file anew, so a CLR made again is another inode), not once per award a
    command looks for among thousands of learners' CLRs."""
    try:
        seen = path.stat()
    except OSError:
        return set()
    key = (str(path), seen.st_dev, seen.st_ino, seen.st_size, seen.st_mtime_ns)
    held = _HELD.get(key)
    if held is None:
        try:
            held = _read_held(path)
        except OSError:  # not remembered: read again when asked again
            return set()
        if len(_HELD) >= _HELD_KEPT:
            _HELD.clear()
        _HELD[key] = held
    return set(held)


def _read_held(path: Path) -> frozenset[str]:
    import json

    data = path.read_bytes()
    try:
        held = json.loads(data)["credentialSubject"]["verifiableCredential"]
        return frozenset(badge["id"] for badge in held
                         if isinstance(badge, dict) and isinstance(badge.get("id"), str))
    except (ValueError, KeyError, TypeError, RecursionError):  # nested deeper than Python reads
        return frozenset()


@dataclass
class ClrLoss:
    """A learner's CLR (``clr/<name>.json`` in OUT) that no longer holds awards it held, which are
    not withdrawn: the awards files given to ``badges`` did not hold them."""

    name: str
    keys: list[str]  # the awards' keys, as the journal names them
    unknown: int  # awards the journal does not name
    withdrawn_with: str | None  # the award the CLR was withdrawn with, when it is not made again


@dataclass
class ClrsBefore:
    """The learners' CLRs of OUT as they were before a ``badges`` run: what each held."""

    out_dir: Path
    held: dict[str, set[str]] = field(default_factory=dict)  # clr/<name>.json -> badge ids
    withdrawn_with: dict[str, str] = field(default_factory=dict)  # of CLRs not published again
    issuer_of: dict[str, str] = field(default_factory=dict)  # clr/<name>.json -> issuer key

    @classmethod
    def read(cls, out_dir: Path, pairs: Iterable[Pair], issuers: set[str]) -> ClrsBefore:
        """What the CLRs ``pairs`` make held before, and what the CLRs of ``issuers`` that
        ``edcbridge withdraw`` took out of OUT and no run made again held. Raises sqlite3.Error
        when the journal cannot be read."""
        from edcbridge.pipeline.journal import JOURNAL_NAME, withdrawn_outputs

        before = cls(out_dir)
        for issuer, student in group_by_learner(pairs):
            name = f"clr/{safe_name(issuer, student)}.json"
            before.issuer_of[name] = issuer
            if (out_dir / name).is_file():
                before.held[name] = held_badges(out_dir / name)
        journal = out_dir / JOURNAL_NAME
        for key, outputs in sorted((withdrawn_outputs(journal) if journal.is_file() else {}).items()):
            if key.partition("/")[0] not in issuers:
                continue
            for output in outputs.values():
                name, place = output.get("published", ""), output.get("file", "")
                if not (name.startswith("clr/") and name.endswith(".json")) or (out_dir / name).exists():
                    continue
                before.held.setdefault(name, set()).update(held_badges(out_dir / place))
                before.withdrawn_with.setdefault(name, key)
                before.issuer_of[name] = key.partition("/")[0]
        return before

    def losses(self) -> list[ClrLoss]:
        """The CLRs that, after the run, no longer hold awards they held that are not withdrawn.
        Raises sqlite3.Error when the journal cannot be read."""
        from edcbridge.badges.ob3 import credential_id
        from edcbridge.pipeline.journal import JOURNAL_NAME, keys_of_issuer, withdrawn_records

        journal = self.out_dir / JOURNAL_NAME
        lost: dict[str, set[str]] = {}
        for name, held in self.held.items():
            now = held_badges(self.out_dir / name) if (self.out_dir / name).is_file() else set()
            if held - now:
                lost[name] = held - now
        if not lost or not journal.is_file():
            return [ClrLoss(name, [], len(ids), self.withdrawn_with.get(name))
                    for name, ids in sorted(lost.items())]
        withdrawn = withdrawn_records(journal)
        keys: dict[str, str] = {}
        for issuer in sorted({self.issuer_of[name] for name in lost}):
            keys.update((credential_id(*key.split("/", 1)), key) for key in keys_of_issuer(journal, issuer))
        found = []
        for name, ids in sorted(lost.items()):
            named = sorted(keys[badge] for badge in ids if badge in keys and keys[badge] not in withdrawn)
            unknown = sum(1 for badge in ids if badge not in keys)
            if named or unknown:
                found.append(ClrLoss(name, named, unknown, self.withdrawn_with.get(name)))
        return found
