"""Work done per award, in a worker process: map -> validate -> seal -> write.

Everything expensive (catalogue, shapes, schemas, the seal key) is loaded once per process
by :func:`init_worker`. Results are small, plain data for the main process.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from pathlib import Path
from typing import Any

from edcbridge.in_order import exit_with_parent
from edcbridge.load import load_catalogue
from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue, Specification
from edcbridge.output import safe_name, sealing_payload, serialise, unassigned_in, write_atomic
from edcbridge.pipeline.catalogue_gaps import briefly, catalogue_annex1_gaps, decides, in_catalogue_terms
from edcbridge.schemas import SchemaStore
from edcbridge.seal.batch import TSA_REQUESTS_AT_ONCE
from edcbridge.seal.errors import SealError
from edcbridge.validation import Report, Request, validate_credentials
from edcbridge.validation.findings import Finding
from edcbridge.validation.policy import (
    PROFILES,
    Facts,
    check_policy,
    of_attendance,
    read_uk_level,
    split_uk_level,
)

FORMATS = {"edc": ("edc", ".jsonld"), "ebsi": ("ebsi", ".json"), "edc-sealed": ("edc-sealed", ".jsonld"),
           "edc-xml": ("edc-xml", ".xml"), "ebsi-jwt": ("ebsi", ".jwt")}
STAGES = ("load", "map", "validate", "seal", "write")

Sealer = Callable[[bytes, bytes], bytes]  # serialised credential, as a JSON string holds it -> sealed JSON


@dataclass(frozen=True)
class WorkerConfig:
    catalogue: Path
    store_root: Path
    out_dir: Path
    formats: tuple[str, ...]
    validate: bool = True
    seal: Any = None  # a picklable factory returning a Sealer, or None
    ebsi_signer: Any = None  # an EbsiSigner: the EBSI profile also as a signed JWT (ebsi/*.jwt)


@dataclass
class Outcome:
    key: str
    file: str
    row: int
    award_id: str
    input_hash: str
    state: str  # "done" | "failed"
    stage: str | None = None
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    recipient: str | None = None  # the learner's e-mail address, for delivery
    file_level: bool = False  # a problem of the whole file (its header), not of one award
    redone: str | None = None  # why a record done earlier was made again (set once journaled)

    def __reduce__(self) -> tuple[type[Outcome], tuple[Any, ...]]:
        """Pickled as its values in order rather than as a dictionary of names: smaller, and
        read back faster by the main process, which reads every worker's answers."""
        return Outcome, _outcome_values(self)


_outcome_values = attrgetter(*(f.name for f in fields(Outcome)))

@dataclass
class WorkerState:
    config: WorkerConfig
    catalogue: Catalogue
    store: SchemaStore
    spec_findings: dict[str, list[Finding]]
    policies: tuple[str, ...]
    sealer: Sealer | None
    xml_sealer: Any = None  # an XAdES sealer for edc-xml, from the same seal
    annex1_gaps: dict[str, list[Finding]] = field(default_factory=dict)  # see catalogue_gaps
    seal_at_once: int = 1  # seals waiting for a timestamp authority at once (see _each_at_once)
    unassigned: frozenset[str] = frozenset()  # the catalogue's characters Unicode has not assigned


_STATE: WorkerState | None = None


def specification_findings(catalogue: Catalogue) -> dict[str, list[Finding]]:
    """Policy findings per micro-credential specification, checked once per catalogue."""
    out: dict[str, list[Finding]] = {}
    profiles = [PROFILES[p] for p in catalogue.policies if p in PROFILES]
    for spec in catalogue.specifications:
        if spec.kind != "micro-credential" or spec.is_activity:
            continue  # size rules are about micro-credentials, not the awards they stack into
        found = [f for p in profiles for f in check_policy(_facts(spec), p, f"specifications[{spec.code}]")]
        if found:
            out[spec.code] = found
    return out


def _briefly(finding: Finding) -> str:
    """A catalogue's policy breach as each of its awards reports it: without the rule's quoted
    text, which the run's notes give once."""
    head = finding.message.split(". Rule: ", 1)[0]
    short = replace(finding, message=head + (" (the rule is quoted in the run's notes)"
                                             if head != finding.message else ""))
    return short.render()


def _facts(spec: Specification) -> Facts:
    """The facts the credential will state: with the FHEQ/RQF level of ``nqf``, which a
    framework counting in UK levels reads when no EQF level is given (as the credential's
    check does)."""
    from edcbridge import vocab

    level = None
    if spec.nqf:
        try:
            level = read_uk_level(vocab.concept("nqf", spec.nqf).label)
        except KeyError:
            level = read_uk_level(spec.nqf)
    numbered, other = split_uk_level(level)
    a = spec.assessment
    attendance = of_attendance([a.type] if a.type else [], list(a.title.values())) if a else None
    return Facts(spec.ects, spec.eqf.number if spec.eqf else None, spec.max_duration_months,
                 spec.credit_currency_years, uk_level=numbered, assessed=a is not None, attendance=attendance,
                 nqf=bool(spec.nqf), uk_other=other)


def init_pool_worker(config: WorkerConfig, catalogue: Catalogue | None = None) -> None:
    """:func:`init_worker` for a worker process of a run."""
    global _FREEZE_AFTER_BATCH
    exit_with_parent()
    init_worker(config, catalogue)
    _FREEZE_AFTER_BATCH = True


# A worker's first batch loads what lives as long as the process (shapes compiled, contexts,
# the catalogue's shared nodes): frozen after it, the collector no longer walks it again
# and again (in 4,000 bench credentials: 12 µs of collection per credential against 34).
_FREEZE_AFTER_BATCH = False

# Then the collector runs once per this many new container objects rather than CPython's 700:
# a credential's objects die with its batch, by reference counting, and a collection 14 times
# as rare walks them far less often (two workers, 4,000 bench credentials: 0.8 µs of
# collection per credential against 7.4). The cyclic garbage it can leave is bounded by the
# same number of objects.
YOUNG_COLLECTION_THRESHOLD = 10_000



def init_worker(config: WorkerConfig, catalogue: Catalogue | None = None) -> None:
    """Load what the worker keeps for the run: the catalogue (unless the run gives the one it
    read), the seal, the specifications' findings."""
    global _STATE
    if catalogue is None:
        catalogue = load_catalogue(config.catalogue)
    sealer = config.seal() if config.seal is not None else None
    xml_sealer = config.seal.xades() if config.seal is not None and "edc-xml" in config.formats else None
    asks_tsa = getattr(config.seal, "asks_tsa", False) or getattr(xml_sealer, "tsa", None) is not None
    at_once = TSA_REQUESTS_AT_ONCE if sealer is not None and asks_tsa else 1
    _STATE = WorkerState(config, catalogue, SchemaStore(config.store_root),
                         specification_findings(catalogue),
                         tuple(p for p in catalogue.policies if p in PROFILES), sealer, xml_sealer,
                         catalogue_annex1_gaps(catalogue), at_once,
                         unassigned_in(catalogue.model_dump_json()))




def warm_validation(config: WorkerConfig, catalogue: Catalogue,
                    batch: list[tuple[str, str, str, int, str]]) -> None:
    """Validate the credentials of a batch in this process, the reports dropped: done by a run
    before it forks its workers, what validation keeps for the process (rdflib and the compiled
    shapes loaded, the catalogue's shared nodes checked, the structures found clean) is loaded
    once for the run rather than once in each worker, and the workers' first batches go as fast
    as their next ones. The workers make and validate these credentials again, and report them:
    one that cannot be made here is left to its worker to say why."""
    requests = []
    for _, _, award_json, _, _ in batch:
        try:
            requests.append(Request(to_edc(Award.model_validate_json(award_json), catalogue), "edc"))
        except Exception:  # its worker says what is wrong with it
            continue
    validate_credentials(requests, SchemaStore(config.store_root))


def state() -> WorkerState:
    if _STATE is None:
        raise RuntimeError("init_worker() was not called in this process")
    return _STATE


def process_batch(batch: list[tuple[str, str, str, int, str]]) -> list[Outcome]:
    """Each item: (key, input hash, award JSON, row, file).

    The batch goes stage by stage (every award mapped, then every credential validated, check
    by check, then serialised, sealed, and every file written), not award by award: each
    stage's code and the kernel's file paths stay in the processor's caches (files written
    between two credentials' mapping, validation and sealing took 0.3 ms each; in a row, 0.1)."""
    global _FREEZE_AFTER_BATCH
    s = state()
    works = [_Work(*_started(*item)) for item in batch]
    _each(s, works, _map)
    _validate_all(s, [work for work in works if work.going])
    _each(s, works, _serialise)
    if s.sealer is not None:
        _each_at_once(s.seal_at_once, s, works, _seal_jades)
    if s.xml_sealer is not None:
        _each_at_once(s.seal_at_once, s, works, _seal_xml)
    if s.config.ebsi_signer is not None:
        _each(s, works, _sign_ebsi)
    _each(s, works, _write)
    if _FREEZE_AFTER_BATCH:
        _FREEZE_AFTER_BATCH = False
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
    return [work.outcome for work in works]


def _started(key: str, input_hash: str, award_json: str, row: int, file: str
             ) -> tuple[Award, Outcome, frozenset[str]]:
    award = Award.model_validate_json(award_json)
    return award, Outcome(key, file, row, award.award_id, input_hash, "done",
                          seconds=dict.fromkeys(STAGES, 0.0), recipient=award.learner.email), \
        unassigned_in(award_json)


@dataclass
class _Work:
    """An award on its way through the stages of a batch."""

    award: Award
    outcome: Outcome
    unassigned: frozenset[str] = frozenset()  # its characters Unicode has not assigned (see _seal_jades)
    edc: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # the credential, as each format
    texts: dict[str, bytes] = field(default_factory=dict)
    jwt_signer: str | None = None  # who signed its EBSI JWT (see EbsiSigner.identity)
    xml_tree: Any = None  # its EDC XML, signed, waiting for its timestamp (see _seal_xml)
    decided: list[Finding] = field(default_factory=list)  # the catalogue's Annex I gaps it has
    going: bool = True  # False once it failed or has nothing more to do


def _each(s: WorkerState, works: list[_Work], step: Callable[[WorkerState, _Work], None]) -> None:
    """One step for each award of the batch still going."""
    for work in works:
        if not work.going:
            continue
        try:
            step(s, work)
        except Exception as exc:  # one award's bug must not stop the batch; keep what happened
            _internal_error(work, exc)
        if work.outcome.state == "failed":
            work.going = False


def _each_at_once(at_once: int, s: WorkerState, works: list[_Work],
                  step: Callable[[WorkerState, _Work], None]) -> None:
    """As :func:`_each`, up to ``at_once`` awards' steps overlapping: for a step that waits on a
    server rather than the processor. Each step touches its own award only. The threads are
    daemons, started per batch: a run in this process (-j 1) stopped by a second Ctrl-C exits
    at once, not once every request in flight has its answer or times out, and no thread is
    left behind between runs."""
    going = [work for work in works if work.going]
    if at_once <= 1 or len(going) <= 1:
        _each(s, going, step)
        return
    pending = iter(going)
    taking = threading.Lock()

    def take() -> None:
        while True:
            with taking:
                work = next(pending, None)
            if work is None:
                return
            _each(s, [work], step)

    threads = [threading.Thread(target=take, name="edcbridge-seal", daemon=True)
               for _ in range(min(at_once, len(going)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _internal_error(work: _Work, exc: Exception) -> None:
    outcome = work.outcome
    outcome.state, outcome.stage = "failed", outcome.stage or "map"
    outcome.errors.append(f"internal error: {exc.__class__.__name__}: {exc}\n"
                          + "".join(traceback.format_exception(exc, limit=3)))


_NAMES = (("given_name", "givenName"), ("family_name", "familyName"), ("full_name", "fullName"))


def names_left_out(award: Award, edc: dict[str, Any]) -> list[Finding]:
    """The learner's names the credential does not carry. The shapes allow one value per name,
    the one in the credential's primary language, so a transliteration or a name in another
    script given beside it is left out: said on the record rather than dropped unnoticed."""
    subject = edc.get("credentialSubject")
    found = []
    for column, key in _NAMES:
        given = getattr(award.learner, column) or {}
        kept = subject.get(key) if isinstance(subject, dict) else None
        if len(given) < 2 or not isinstance(kept, dict) or not kept:
            continue
        left = [f"{column}@{lang} {text!r}" for lang, text in given.items() if kept.get(lang) != text]
        if left:
            lang, text = next(iter(kept.items()))
            found.append(Finding(
                "mapping.name-left-out", "info", f"$.credentialSubject.{key}",
                f"{', '.join(left)} is not in the credential: the EDC shapes allow one {key}, and it "
                f"holds the one in the credential's language ({lang}: {text!r})",
                "to carry another, make its language the row's (column 'language', else the "
                "catalogue's primary_language)"))
    return found


def _clock(outcome: Outcome, stage: str, started: float) -> float:
    now = time.perf_counter()
    outcome.seconds[stage] += now - started
    return now


def _map(s: WorkerState, work: _Work) -> None:
    """The award's credential (and its EBSI profile), unless its specification breaks a policy."""
    award, outcome = work.award, work.outcome
    found = s.spec_findings.get(award.specification, [])
    gaps = work.decided = _annex1_gaps(s, award)
    outcome.warnings += [_briefly(f) for f in found if f.severity != "error"]
    outcome.warnings += [briefly(g) for g in gaps if g.severity != "error"]
    if any(f.severity == "error" for f in found) or any(g.severity == "error" for g in gaps):
        outcome.state, outcome.stage = "failed", "validate"
        outcome.errors += [_briefly(f) for f in found if f.severity == "error"]
        outcome.errors += [briefly(g) for g in gaps if g.severity == "error"]
        return
    started = time.perf_counter()
    outcome.stage = "map"
    edc = work.edc = to_edc(award, s.catalogue)
    outcome.warnings += [f"edc: {f.render()}" for f in names_left_out(award, edc)]
    work.documents = {"edc": edc}
    if "ebsi" in s.config.formats:
        issuer = s.catalogue.organisation(award.issuer or s.catalogue.issuer)
        work.documents["ebsi"] = to_ebsi(edc, issuer.did)
    _clock(outcome, "map", started)


def _annex1_gaps(s: WorkerState, award: Award) -> list[Finding]:
    """The Annex I elements the catalogue leaves out of the award's credential: those of its
    specification, unless the award names another issuer (whose country or accreditation may
    fill them: its credential is judged on its own) or the run does not validate."""
    if not s.config.validate or award.issuer not in (None, s.catalogue.issuer):
        return []
    return s.annex1_gaps.get(award.specification, [])


def _not_decided(findings: list[Finding], gaps: list[Finding]) -> list[Finding]:
    """The findings of a credential but the catalogue's gaps, which its award gives briefly."""
    if not gaps:
        return findings
    return [f for f in findings if not any(decides(gap, f) for gap in gaps)]


def _validate_all(s: WorkerState, works: list[_Work]) -> None:
    """Validate the batch's documents, check by check over the batch (see
    :func:`validate_credentials`); each award's time is its share of the batch's."""
    for work in works:
        work.outcome.stage = "validate"
    if not s.config.validate or not works:
        return
    started = time.perf_counter()
    requests, owners = [], []
    for work in works:
        try:
            spec = s.catalogue.specification(work.award.specification)
            micro = spec is not None and spec.kind == "micro-credential" and spec.claim == "achievement"
            policies = s.policies if micro else ()
            activity = s.catalogue.is_activity(work.award.specification)
        except Exception as exc:  # one award's bug must not stop the batch (see _each)
            _internal_error(work, exc)
            continue
        for name, doc in work.documents.items():
            # Annex I warns whatever the policies (eu-council makes it an error): a size
            # profile (imperial, cmf...) does not say the Recommendation's elements are there;
            # an activity's certificate of participation is no micro-credential
            requests.append(Request(doc, name, policies, None if activity else "warning"))
            owners.append(work)
    for request, work, report in zip(requests, owners, validate_credentials(requests, s.store),
                                     strict=True):
        if not isinstance(report, Report):
            _internal_error(work, report)
            continue
        outcome, name = work.outcome, request.source
        try:
            findings = [in_catalogue_terms(f, work.award.specification)
                        for f in _not_decided(report.findings, work.decided)]
            errors = [f"{name}: {f.render()}" for f in findings if f.severity == "error"]
            warnings = [f"{name}: {f.render()}" for f in findings if f.severity == "warning"]
        except Exception as exc:  # one award's bug must not stop the batch (see _each)
            _internal_error(work, exc)
            continue
        outcome.errors += errors
        outcome.warnings += warnings
    share = (time.perf_counter() - started) / len(works)
    for work in works:
        work.outcome.seconds["validate"] += share
        if work.outcome.errors:
            work.outcome.state = "failed"
            work.going = False


def _serialise(s: WorkerState, work: _Work) -> None:
    """The files' bytes (and the EDC XML export, checked against its XSD)."""
    work.texts = {name: serialise(doc) for name, doc in work.documents.items() if name in s.config.formats}
    if "edc-xml" in s.config.formats:
        _export_xml(s, work)


def _export_xml(s: WorkerState, work: _Work) -> None:
    """The EDC XML export checked against its XSD and, with a seal, signed: its timestamp, if
    any, is asked for with the batch's others (:func:`_seal_xml`)."""
    from edcbridge.xml import edc12
    from edcbridge.xml.export import prepared_tree

    started = time.perf_counter()
    work.outcome.stage = "validate"
    tree, problems = prepared_tree(work.award, s.catalogue, s.store, s.xml_sealer)
    if tree is None:
        _xml_failed(work, problems)
        return
    _clock(work.outcome, "validate", started)
    if s.xml_sealer is None:
        _xml_written(s, work, edc12.serialise(tree))
    else:
        work.xml_tree = tree


def _seal_xml(s: WorkerState, work: _Work) -> None:
    from edcbridge.xml.export import sealed_bytes

    tree, work.xml_tree = work.xml_tree, None
    if tree is None:
        return
    started = time.perf_counter()
    work.outcome.stage = "seal"
    xml, problems = sealed_bytes(tree, s.xml_sealer, work.award.award_id)
    if xml is None:
        _xml_failed(work, problems)
        return
    _xml_written(s, work, xml)
    _clock(work.outcome, "seal", started)


def _xml_written(s: WorkerState, work: _Work, xml: bytes) -> None:
    from edcbridge.xml.edc12 import not_carried

    work.texts["edc-xml"] = xml
    work.outcome.warnings += [f"edc-xml: {f.render()}" for f in not_carried(work.award, s.catalogue, xml)]


def _xml_failed(work: _Work, problems: list[Finding]) -> None:
    work.outcome.state = "failed"
    work.outcome.errors += [f"edc-xml: {f.render()}" for f in problems]


def _sign_ebsi(s: WorkerState, work: _Work) -> None:
    """The EBSI profile as a JWT signed with the issuer's DID key, beside the unsigned JSON."""
    signer = s.config.ebsi_signer
    outcome = work.outcome
    started = time.perf_counter()
    outcome.stage = "seal"
    try:
        work.texts["ebsi-jwt"] = signer.sign(work.documents["ebsi"])
        work.jwt_signer = signer.identity  # a run with another key signs it again
    except SealError as exc:
        outcome.state = "failed"
        outcome.errors.append(f"ebsi-jwt: {exc}")
        return
    _clock(outcome, "seal", started)


def _seal_jades(s: WorkerState, work: _Work) -> None:
    assert s.sealer is not None
    outcome = work.outcome
    started = time.perf_counter()
    outcome.stage = "seal"
    try:
        # written as JSON escapes, the characters Unicode has not assigned (a name with a
        # character newer than this Python's tables): JOSE verifiers refuse them as written
        work.texts["edc-sealed"] = s.sealer(*sealing_payload(work.edc, s.unassigned | work.unassigned))
    except SealError as exc:  # say what the seal needs, without a traceback
        outcome.state = "failed"
        outcome.errors.append(f"seal: {exc}")
        return
    _clock(outcome, "seal", started)


def _write_fix(target: Path) -> str:
    """What frees the way for a file: a folder of its name (put there by hand) is no disk's
    problem."""
    if target.is_dir():
        return f"move the folder {target.name} out of {target.parent}: a credential is written there"
    return "make room on the disk or make the folder writable"


def _unwrite(created: list[Path], replaced: dict[Path, tuple[bytes, int]], outcome: Outcome) -> None:
    """A record failed part way through its formats: the files it added are removed, as a
    failed record journals none (it keeps only an earlier version's), so one left would be a
    credential no report, run or ``withdraw`` knows of; the files it wrote over get their
    earlier bytes and modification time back, being that earlier version's as the journal
    holds them (the row may have changed since: a new grade in a record that failed)."""
    for path in created:
        with contextlib.suppress(OSError):  # one that cannot go stays, as before
            path.unlink(missing_ok=True)
    for path, (data, mtime_ns) in replaced.items():
        with contextlib.suppress(OSError):  # one that cannot be put back stays, as written
            if path.read_bytes() != data:
                write_atomic(path, data)
            os.utime(path, ns=(mtime_ns, mtime_ns))
    outcome.outputs.clear()


def _earlier_file(target: Path) -> tuple[bytes, int] | None:
    """The bytes and modification time of the file a record is to write over; None when it
    cannot be read (a folder in its way fails the write that follows)."""
    try:
        return target.read_bytes(), target.stat().st_mtime_ns
    except OSError:
        return None


def _write(s: WorkerState, work: _Work) -> None:
    award, outcome = work.award, work.outcome
    started = time.perf_counter()
    outcome.stage = "write"
    issuer = award.issuer or s.catalogue.issuer
    created: list[Path] = []  # files that were not there: removed if a later format fails
    replaced: dict[Path, tuple[bytes, int]] = {}  # files written over, as they were: put back then
    several = len(work.texts) > 1  # (a record of one file that fails writes none: no stat)
    for name, data in work.texts.items():
        folder, suffix = FORMATS[name]
        target = s.config.out_dir / folder / (safe_name(issuer, award.award_id) + suffix)
        try:
            new = several and not target.exists()
            earlier = _earlier_file(target) if several and not new else None
            write_atomic(target, data)
            created += [target] if new else []
            if earlier is not None:  # the same bytes too: its time is the journal's
                replaced[target] = earlier
            written = target.stat()  # a re-run redoes a file changed since (see runner.unchanged)
        except OSError as exc:  # the folder's problem, not the award's: say it in one line
            outcome.state = "failed"
            outcome.errors.append(f"write: cannot write {target}: {exc.strerror or exc}\n"
                                  f"    fix: {_write_fix(target)}, then run the same command again")
            _unwrite(created, replaced, outcome)
            return
        outcome.outputs[name] = {"path": str(target), "file": f"{folder}/{target.name}",  # see output_file
                                 "sha256": hashlib.sha256(data).hexdigest(),
                                 "size": str(written.st_size), "mtime_ns": str(written.st_mtime_ns)}
        if name == "ebsi-jwt":
            outcome.outputs[name]["signer"] = str(work.jwt_signer)
    _clock(outcome, "write", started)
    outcome.stage = None
    work.texts = {}  # the batch holds no more than it must
    work.going = False
