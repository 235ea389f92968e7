"""Runs jobs (a catalogue and its award files) through the workers, journaled.

Memory stays bounded whatever the batch size: rows are streamed from the input, at most
``window`` batches are in flight, and results go straight to the journal and the reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import re
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from edcbridge import __version__
from edcbridge.file_lock import Busy, hold
from edcbridge.in_order import WorkerLost, answer_of, stop_now, submit
from edcbridge.interrupts import ctrl_c_noted, sigterm_as_ctrl_c
from edcbridge.load import InputFileError, iter_awards, load_catalogue
from edcbridge.load.awards import FirstRows, LoadedRow, column_header, column_test
from edcbridge.load.catalogue_links import plain_http_problems
from edcbridge.load.column_map import ColumnMap
from edcbridge.load.tabular.csv_rows import _delimiter, sep_line
from edcbridge.load.tabular.header import TITLE_ROWS
from edcbridge.load.tabular.json_rows import _unmarked, json_row_count, one_award_a_line
from edcbridge.load.tabular.xlsx_rows import xlsx_row_count
from edcbridge.mapping.edc import catalogue_notes
from edcbridge.model import Catalogue
from edcbridge.output import printable, safe_name
from edcbridge.pipeline.catalogue_gaps import catalogue_annex1_gaps
from edcbridge.pipeline.catalogue_part import CatalogueParts
from edcbridge.pipeline.delivery import NOT_SENT, Delivery, WalletTarget, deliver_pending
from edcbridge.pipeline.journal import ERASED, JOURNAL_NAME, Done, Journal, audit_actions, output_file
from edcbridge.pipeline.reports import ReportWriter
from edcbridge.pipeline.worker import (
    STAGES,
    Outcome,
    WorkerConfig,
    init_pool_worker,
    init_worker,
    process_batch,
    specification_findings,
    warm_validation,
)

Item = tuple[str, str, str, int, str]
CATALOGUE_FORMATS = frozenset({"loq"})  # written once per catalogue, not per record


@dataclass(frozen=True)
class Job:
    catalogue: Path
    awards: tuple[Path, ...]
    seal: Any = None  # a seal factory for this catalogue's issuer; default RunOptions.seal
    encoding: str | None = None  # the legacy encoding its CSV files are in, as the user names it
    columns: ColumnMap | None = None  # the column each header of its files holds, as the user maps them


WITHDRAWN_STAGE = "withdrawn"  # the stage a row of a withdrawn award stops at (not exported again)
WITHDRAWN = "withdrawn"  # the status of such a row: no failure, said once a run (see _withdrawn_rows_note)
ERASED_STAGE = "erased"  # the stage a row of an award erased at its learner's request stops at
ERASED_ROW = "erased"  # the status of such a row: no failure, said once a run (see _erased_rows_note)


@dataclass(frozen=True)
class RunOptions:
    out_dir: Path
    store_root: Path
    formats: tuple[str, ...] = ("edc",)
    validate: bool = True
    workers: int = 1
    batch_size: int = 32  # awards a worker takes at once, stage by stage (see worker.process_batch)
    fail_fast: int | None = None
    seal: Any = None
    commit_every: int = 256
    commit_seconds: float = 0.5
    deliver: WalletTarget | None = None  # deposit each sealed credential in the learner's wallet
    ebsi_signer: Any = None  # an EbsiSigner: the EBSI profile also signed with the issuer's DID key
    rows: int | None = None  # the input's award rows, when counted beforehand: see not_read
    preview: bool = False  # pages are made after the run (export --preview): a page is made anew
    badges: bool = False  # Open Badges and CLRs are made after the run (demo): made anew likewise


@dataclass
class RunResult:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    stopped_early: bool = False
    file_errors: int = 0  # files with a wrong header or unreadable part way (rows count one by one)
    interrupted: bool = False  # Ctrl-C: what is reported was done, the rest waits for a re-run
    aborted: str | None = None  # why the run stopped on an error (what is reported was done)
    audit_head: str = ""  # the audit trail's last event, SEQ:SHA256
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    stage_failures: dict[str, int] = field(default_factory=dict)
    report: Path | None = None
    delivered: int = 0
    already_delivered: int = 0
    redelivered: int = 0  # of the delivered, sent again as asked (--redeliver)
    unchanged: int = 0  # sealed again with the content delivered before: not sent again
    delivery_failed: int = 0
    delivery_not_sent: int = 0  # deposits a stopped run did not attempt (the next run sends them)
    # of ``notes``, those saying why deposits were not sent (and the fix), one per reason
    not_sent_notes: list[str] = field(default_factory=list)
    with_warnings: int = 0  # records done, or skipped as done, with warnings (report.json lists them)
    redone: int = 0  # records done earlier and made again (reports say why)
    not_in_input: int = 0  # credentials of earlier runs whose awards this run's input does not hold
    withdrawn_in_input: int = 0  # rows of awards withdrawn (edcbridge withdraw) still in the input
    withdrawn_shown: list[tuple[str, str, int]] = field(default_factory=list)  # the first: key, file, row
    erased_in_input: int = 0  # rows of awards erased (edcbridge erase) still in the input
    erased_shown: list[tuple[str, str, int]] = field(default_factory=list)  # the first: award id, file, row
    not_read: int | None = None  # rows a run that stopped did not read, when the rows were counted
    catalogue_files: list[str] = field(default_factory=list)  # written once per catalogue (LOQ)
    notes: list[str] = field(default_factory=list)  # what a catalogue's LOQ document leaves out

    @property
    def total(self) -> int:
        return self.done + self.skipped + self.failed + self.withdrawn_in_input + self.erased_in_input


_TABULAR = (".csv", ".tsv", ".txt")
# a line of these alone is a row the reader skips (Excel ends with some; Ctrl-Z ends a file joined
# by Windows' copy a.csv+b.csv)
_EMPTY_ROW = b" \t\r\n,;\"\x1a"
_EMPTY_TEXT = _EMPTY_ROW.decode() + "\ufeff"


def count_rows(path: Path, columns: ColumnMap | None = None) -> int | None:
    """Rows in an award file, cheaply, for the progress bar (None when unknown); ``columns``
    is the column mapping its header is read with (see :func:`_title_rows`)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return xlsx_row_count(path, column_test(columns))
    if suffix not in (*_TABULAR, ".jsonl", ".ndjson", ".json"):
        return None
    try:
        with path.open("rb") as handle:
            start = handle.read(4096).removeprefix(b"\xef\xbb\xbf")
            if b"\x00" in start or start[:2] in (b"\xff\xfe", b"\xfe\xff"):
                return None  # UTF-16 or UTF-32: its lines are not byte lines
            if suffix == ".json" and not _json_lines(handle):
                return json_row_count(path)  # an array, {"awards": [...]}, or objects over several lines
            if start.lstrip().startswith(b"["):
                return None  # one JSON array: its objects span any number of lines
            handle.seek(0)
            sample = start.decode("utf-8", "replace")
            lines = _records(_lines(handle), sep_line(sample) or _delimiter(sample)) \
                if suffix in _TABULAR else sum(1 for line in _lines(handle) if _json_line(line))
    except OSError:
        return None
    if suffix in _TABULAR:
        excel_sep = sep_line(sample) is not None  # read as the reader does
        titles = _title_rows(sample, excel_sep, column_test(columns))
        lines -= 1 + excel_sep + titles  # the header, sep= and titles
    return max(lines, 0)


def _lines(handle: BinaryIO) -> Iterator[bytes]:
    """The file's lines as its reader takes them: ended by a line feed, a carriage return and
    line feed, or a carriage return alone (Excel's "CSV (Macintosh)"). Read a byte a character
    (neither break is ever part of another character in UTF-8 or a legacy encoding)."""
    text = io.TextIOWrapper(handle, encoding="latin-1", newline=None)
    try:
        for line in text:
            yield line.encode("latin-1")
    finally:
        text.detach()


def _json_line(line: bytes) -> bool:
    """Whether a line of JSON Lines is a row, as the reader tells: not blank, nor the
    byte-order mark alone of an empty file joined on (``cat empty.jsonl awards.jsonl``), nor
    the Ctrl-Z that ends a file; a line of no object (a comma) is a row the reader fails."""
    return bool(_unmarked(line.decode("utf-8", "replace")).strip().strip("\x1a"))


def _json_lines(handle: BinaryIO) -> bool:
    """Whether the .json file open in ``handle`` holds JSON Lines, as its reader tells."""
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace")
    try:
        return one_award_a_line(text)
    finally:
        text.detach()


_CELL_SEPARATORS = re.compile(r"[,;\t]")


def _title_rows(sample: str, excel_sep: bool, is_header: Callable[[str], bool]) -> int:
    """Rows naming no column above the header (a title such as "Graduation 2025 - awards", labels
    of column groups), which the reader passes over when the column names follow within
    TITLE_ROWS rows: no awards. ``is_header`` tells a column name as the reader does (a header
    of the column mapping is one)."""
    lines = sample.split("\n")[excel_sep:]
    first = next((index for index, line in enumerate(lines) if _filled_cells(line)), None)
    if first is None or _column_names(lines[first], is_header):
        return 0
    titles = 1
    for line in lines[first + 1:first + 1 + TITLE_ROWS]:
        if not _filled_cells(line):
            continue  # a blank row is no row of the count either
        names = _column_names(line, is_header)
        if names != 0:
            return titles if names >= 2 else 0  # the header, or a row the reader takes for no title
        titles += 1
    return 0  # no header below: the reader takes the first row as the header


def _cells(line: str) -> list[str]:
    return [text for cell in _CELL_SEPARATORS.split(line) if (text := cell.strip(_EMPTY_TEXT))]


def _filled_cells(line: str) -> int:
    return len(_cells(line))


def _column_names(line: str, is_header: Callable[[str], bool]) -> int:
    return sum(1 for cell in _cells(line) if is_header(cell))


def _records(lines: Iterable[bytes], delimiter: str) -> int:
    """CSV records, not lines: a quoted cell may hold line breaks, and blank rows are skipped as
    the reader skips them. A quote still open at the end is one last record, as the reader takes
    it."""
    opens = re.compile(rb'(?:^(?:\xef\xbb\xbf)?|' + re.escape(delimiter.encode()) + rb') *"')
    records, quoted = 0, False
    for line in lines:
        was = quoted
        if b'"' in line:
            quoted = _quoted_at_end(line, quoted, opens)
        if quoted or (not was and not line.strip(_EMPTY_ROW)):
            continue
        records += 1
    return records + quoted


def _quoted_at_end(line: bytes, quoted: bool, opens: re.Pattern[bytes]) -> bool:
    """Whether a quoted cell is open at the end of ``line``, as the csv reader tells: a quote
    opens one only where a cell starts (after the delimiter and its spaces), a quote in a cell
    is a character of it (``Robert "Bob``, ``5'11"``); in a quoted cell two quotes are one, and
    one ends it."""
    at = 0
    while True:
        if not quoted:
            start = opens.search(line, at)
            if start is None:
                return False
            at, quoted = start.end(), True
        end = line.find(b'"', at)
        while end >= 0 and line[end + 1:end + 2] == b'"':
            end = line.find(b'"', end + 2)
        if end < 0:
            return True
        at, quoted = end + 1, False


class _Runner:
    def __init__(self, options: RunOptions, reports: ReportWriter,
                 progress: Callable[[Outcome | None, str], None]) -> None:
        self.options = options
        self.journal = Journal.for_folder(options.out_dir)
        self.folder = _identity(options.out_dir)  # the folder the run writes in, wherever it goes
        self.reports = reports
        self.progress = progress
        self.result = RunResult()
        # journaled, to report once committed, with the files the reports list for the record
        self.pending: list[tuple[Outcome, str, dict[str, dict[str, str]]]] = []
        self.consecutive_failures = 0
        self.stopping = False
        self.rows_left = False  # the reading met a row past the stop (see :func:`_input_left`)
        self.interrupted = False
        self.names = FirstRows()  # output file names of the run, lower case: one award each
        self.earlier_outputs: dict[str, dict[str, dict[str, str]]] = {}  # of records being redone
        self.earlier_warnings: dict[str, tuple[str, ...]] = {}  # likewise, as the journal kept them
        self.redone: dict[str, tuple[str, bool]] = {}  # why each record done earlier is made
        # again, and whether what it is made from changed (its files of other formats are outdated)
        self.made_from: dict[str, str] = {}  # of records with the workers (see :func:`_made_from`)
        self.replaced: list[Path] = []  # earlier files of a format now written under another name
        self.sealed_records: dict[str, Done] = {}  # records sealed earlier that a run without the
        # seal makes again: kept under the sealed run's input while their sealed file stays recorded
        self.unrecorded: list[Path] = []  # files changed by hand that records made again no longer list
        self.unrecorded_pending: list[Path] = []  # of those, the ones not yet committed
        self.badges_removed: list[list[Path]] = []  # of each record made again, its Open Badge and CLRs
        self.badges_pending: list[list[Path]] = []  # of those, the ones not yet committed
        self.clrs: dict[str, list[Path]] | None = None  # the CLRs of OUT/clr/ by the badges they hold
        self.clrs_taken: set[Path] = set()  # those this run removes: each named for every award it held
        self.altered: list[Path] = []  # files changed by hand that records skipped as done still list
        self.redelivering: set[str] = set()  # the --redeliver values naming a credential of this run
        self.load_warnings: dict[str, list[str]] = {}  # of rows with the workers, by record key
        self.last_commit = time.monotonic()

    def _check_folder(self) -> None:
        """Stop the run when its output folder is no longer at its path (moved or removed while
        it ran): every file left would fail, each with a fix about the disk."""
        try:
            here = _identity(self.options.out_dir)
        except OSError:
            here = None
        if here != self.folder:
            out = self.options.out_dir
            raise OSError(
                f"{out}: the output folder was moved or removed during the run (its "
                "journal went with it, holding what was done); move it back, or run the same "
                "command with -o naming the place it was moved to")

    def handle(self, outcome: Outcome, status: str | None = None,
               files: dict[str, dict[str, str]] | None = None) -> None:
        """Journal an outcome; reports and progress follow once it is committed. ``files``: of
        a record skipped as done, the files its reports list (see :func:`_listed`)."""
        if outcome.state == "failed" and outcome.stage == "write":
            self._check_folder()
        if outcome.key in self.load_warnings:  # what the reader noticed comes first
            outcome.warnings[:0] = self.load_warnings.pop(outcome.key)
        actions = audit_actions(outcome.outputs)
        if outcome.file_level:
            status = "file-error"
        elif outcome.stage == WITHDRAWN_STAGE:
            status = WITHDRAWN  # not journaled: the record stays withdrawn
        elif outcome.stage == ERASED_STAGE:
            status = ERASED_ROW  # not journaled: the record stays erased
        earlier = self.earlier_outputs.pop(outcome.key, None) if outcome.key else None
        earlier_warnings = self.earlier_warnings.pop(outcome.key, ()) if outcome.key else ()
        made_from = self.made_from.pop(outcome.key, None) if outcome.key else None
        redone = self.redone.pop(outcome.key, None) if earlier else None
        kept = _kept_after_failure(earlier, outcome.file, outcome.row) \
            if earlier and outcome.state == "failed" else None
        if kept is not None:  # files of its earlier version are still there
            outcome.errors.append(kept)
        sealed_record = self.sealed_records.pop(outcome.key, None) if outcome.key else None
        outputs = outcome.outputs
        outdated: list[Path] = []
        unrecorded: list[Path] = []
        pages: list[Path] = []
        badges: list[Path] = []
        if earlier and redone and outcome.state == "done" and status != "skipped":
            outputs, outdated, unrecorded = _other_formats(earlier, outcome.outputs, redone[1],
                                                           self.options.out_dir)
            shown_as_was = _shown_as_it_was(redone, earlier, outcome.outputs)
            if shown_as_was and not self.options.preview:
                pages = _earlier_pages(self.options.out_dir, outcome.key, "preview")
            if shown_as_was and not self.options.badges:
                badges = _earlier_pages(self.options.out_dir, outcome.key, "ob3") + \
                    self._clrs_of(outcome.key)
            outcome.warnings += _kept_warnings(earlier_warnings, outputs.keys() - outcome.outputs.keys(),
                                               outcome.warnings)
        input_hash = outcome.input_hash
        if sealed_record is not None and "edc-sealed" in outputs:  # a run with the seal skips it
            input_hash, made_from = sealed_record.input_hash, sealed_record.made_from
        try:
            if status in ("skipped", "file-error", WITHDRAWN, ERASED_ROW):
                actions = []
            elif outcome.state == "done":
                if redone:
                    outcome.redone = redone[0] + _removed_or_unrecorded(outdated, unrecorded) + \
                        "".join(f"; {page} removed: a preview page of the award as it was"
                                for page in pages) + _badges_removed(badges, self.options.out_dir)
                self.journal.record(outcome.key, input_hash, "done", None, outputs,
                                    None, actions, outcome.warnings, made_from, outcome.redone)
            elif outcome.key:
                self.journal.record(outcome.key, outcome.input_hash, "failed", outcome.stage, {},
                                    "\n".join(outcome.errors)[:4000], [])
        except sqlite3.Error:
            self._journal_failed()
            raise
        if earlier and outcome.state == "done" and status != "skipped":
            stale = (_stale_file(old["path"], outcome.outputs[name]["path"], self.options.out_dir)
                     for name, old in earlier.items() if name in outcome.outputs)
            self.replaced += [path for path in stale if path is not None] + outdated + pages + badges
            self.unrecorded_pending += unrecorded
            self.badges_pending += [badges] if badges else []
        if self.options.deliver is not None:
            self._queue_delivery(outcome, self.options.deliver)
        self.pending.append((outcome, status or outcome.state, outputs if files is None else files))
        if status == "file-error":
            pass  # not an award: neither counts towards --fail-fast nor breaks a run of failures
        elif status == WITHDRAWN:
            pass  # refused as asked (edcbridge withdraw), no new work: neither counts nor breaks
        elif status == ERASED_ROW:
            pass  # refused as asked (edcbridge erase), no new work: neither counts nor breaks
        elif outcome.state == "failed":
            self.consecutive_failures += 1
            limit = self.options.fail_fast
            if limit is not None and self.consecutive_failures >= limit:
                self.stopping = True  # a success handled next, in the same batch, does not undo it
        else:  # done, or skipped as done earlier: a row skipped breaks a run of failures as its
            self.consecutive_failures = 0  # success did, so a run resumed stops where the run it
            # resumes would have (rows failing one in two never stop it, on any re-run)
        if len(self.pending) >= self.options.commit_every or \
                time.monotonic() - self.last_commit >= self.options.commit_seconds:
            self.flush()

    def _clrs_of(self, key: str) -> list[Path]:
        """The learners' CLRs in OUT/clr/ (``badges -o OUT``) that embed the award's Open Badge,
        each with its VC-JWT; the folder is read once a run, when a record first asks."""
        from edcbridge.badges.export import held_badges
        from edcbridge.badges.ob3 import credential_id

        if self.clrs is None:
            self.clrs = {}
            for path in sorted((self.options.out_dir / "clr").glob("*.json")):
                for badge in held_badges(path):
                    self.clrs.setdefault(badge, []).append(path)
        issuer, _, award_id = key.partition("/")
        found = [file for path in self.clrs.get(credential_id(issuer, award_id), [])
                 for file in (path, path.with_suffix(".jwt"))
                 if file in self.clrs_taken or file.is_file()]
        self.clrs_taken.update(found)
        return found

    def _queue_delivery(self, outcome: Outcome, target: WalletTarget) -> None:
        """A sealed credential of this run, new or skipped as done, waits for delivery (only
        this run's are delivered: a record that failed is not, in no version)."""
        if outcome.state == "done" and "edc-sealed" in outcome.outputs:
            sealed = outcome.outputs["edc-sealed"]
            again = target.asked_again(outcome.key)
            if again:
                self.redelivering.add(again)
            self.journal.queue_delivery(outcome.key, target.name, outcome.recipient, sealed["path"],
                                        sealed["sha256"], again=again is not None)

    def _journal_failed(self) -> None:
        """A journal error that undid the open transaction (a full disk) undoes what waited for
        it: those records are not in the journal, so they are not reported; the next run redoes
        them (the files of before that a commit was to drop are gone: the journal names them)."""
        if not self.journal.staging:
            self.pending.clear()
            self.replaced.clear()
            self.unrecorded_pending.clear()
            self.badges_pending.clear()

    def flush(self) -> None:
        replaced, self.replaced = self.replaced, []
        for old in replaced:  # the journal is to no longer name them: a credential has one file.
            with contextlib.suppress(OSError):  # Removed first: killed before the commit, the
                old.unlink(missing_ok=True)  # journal names a file gone, so the next run redoes
            # its record, rather than one left behind, unknown to it. One that cannot go stays.
        try:
            self.journal.commit()
        except sqlite3.Error:
            self._journal_failed()
            raise
        self.last_commit = time.monotonic()
        self.unrecorded += self.unrecorded_pending
        self.unrecorded_pending = []
        self.badges_removed += self.badges_pending
        self.badges_pending = []
        pending, self.pending = self.pending, []  # a second Ctrl-C in here reports none twice
        for outcome, status, files in pending:  # all into the reports first: a callback may fail
            listed = outcome if files is outcome.outputs else replace(outcome, outputs=files)
            self.reports.write(listed, status)  # counted once written: the summary lists what it counts
            if status in ("done", "skipped"):  # report.json lists the warnings of both
                self.result.with_warnings += bool(outcome.warnings)
            if status == "skipped":
                self.result.skipped += 1
            elif status == "file-error":
                self.result.file_errors += 1
            elif status == WITHDRAWN:
                self._count_withdrawn(outcome)
            elif status == ERASED_ROW:
                self.result.erased_in_input += 1
                if len(self.result.erased_shown) < SHOWN_ABSENT:
                    self.result.erased_shown.append((outcome.award_id, outcome.file, outcome.row))
            elif status == "done":
                self.result.done += 1
                self.result.redone += outcome.redone is not None
            else:
                self.result.failed += 1
                stage = outcome.stage or "load"
                self.result.stage_failures[stage] = self.result.stage_failures.get(stage, 0) + 1
            for stage, seconds in outcome.seconds.items():
                self.result.seconds[stage] = self.result.seconds.get(stage, 0.0) + seconds
        for outcome, status, _ in pending:  # stdout names the files this run wrote
            self.progress(outcome, status)

    def _count_withdrawn(self, outcome: Outcome) -> None:
        self.result.withdrawn_in_input += 1
        if len(self.result.withdrawn_shown) < SHOWN_ABSENT:
            self.result.withdrawn_shown.append((outcome.key, outcome.file, outcome.row))

    def should_stop(self) -> bool:
        """True from the N-th failure in a row on, or once Ctrl-C was pressed."""
        return self.stopping or self.interrupted


def _foreign_issuer_check(seal: Any, catalogue: Catalogue) -> Callable[[str], str | None]:
    """How an award's own issuer (not the catalogue's) differs from the seal's organisation:
    the seal is read the first time an award names another issuer, answers kept per issuer."""
    answers: dict[str, str | None] = {}

    def check(issuer: str) -> str | None:
        if issuer not in answers:
            from edcbridge.sealing import issuer_refusal

            answers[issuer] = issuer_refusal(seal.load().issuer_identity(), catalogue, issuer)
        return answers[issuer]

    return check


def _items(job: Job, catalogue: Catalogue, runner: _Runner, seal: Any) -> Iterator[Item | Outcome]:
    """Rows that need work, and the outcomes of rows that failed to load; skips are handled on
    the way (each breaks a run of failures, as its success did)."""
    foreign = _foreign_issuer_check(seal, catalogue) if hasattr(seal, "load") else None
    sealing = _sealing(seal)  # once: the seal's key is read (and its password derived) each time
    settings = _settings(runner.options, sealing)
    validated = _settings(replace(runner.options, validate=True), sealing)
    wanted = _wanted(runner.options, seal)
    parts = CatalogueParts(catalogue)
    run = (settings, validated if validated != settings else None, wanted, parts,
           _run_made_from(runner.options, sealing), _signer_identity(runner.options))
    for number, path in enumerate(job.awards, start=1):
        try:  # past the stop, _file_items reads one row more, to tell whether rows are left
            yield from _file_items(path, (job.encoding, job.columns), catalogue, runner, run, foreign)
        except InputFileError as exc:  # part way through: the rows before it are done
            if runner.should_stop():  # met reading on past the stop: rows are left
                runner.rows_left = True
                return
            error = replace(exc.error, message=f"{exc.error.message}; the rows after it were not read",
                            fix=f"{exc.error.fix}, then run the same command again (done rows are skipped)")
            yield Outcome("", str(path), 0, "", "", "failed", "load", file_level=True,
                          errors=[error.render()])
        if runner.should_stop():
            runner.rows_left = runner.rows_left or _any_row(job, catalogue, job.awards[number:])
            return


def _any_row(job: Job, catalogue: Catalogue, paths: Iterable[Path]) -> bool:
    """Whether the files a stopped run did not open hold a row, or an error of their own to
    report (a file of its header alone leaves nothing to read): read up to the first."""
    for path in paths:
        try:
            for _ in iter_awards(path, catalogue, job.encoding, job.columns):
                return True
        except InputFileError:  # unreadable before its first row: not gone through
            return True
    return False


def _settings(options: RunOptions, sealing: str) -> str:
    """What, besides the award and its part of the catalogue (:class:`CatalogueParts`),
    decides the content of a record's outputs: a change redoes the record. Which formats are
    written is not part of it (see :func:`_wanted`), and a run without validation takes a
    record validated earlier as done (see :func:`_file_items`)."""
    return f"{__version__}|{sealing}|validated={options.validate}"


def _sealing(seal: Any) -> str:
    """The seal as it decides the sealed files (see ``SealFactory.identity``)."""
    identity = getattr(seal, "identity", None)
    return identity() if callable(identity) else str(seal is not None)


def _run_made_from(options: RunOptions, sealing: str) -> str:
    """The run's part of :func:`_made_from`: edcbridge's version, the seal (as
    :func:`_sealing` gives it), validation."""
    digest = hashlib.sha256(sealing.encode()).hexdigest()[:16]
    return f"{__version__}|{digest}|{int(options.validate)}"


def _made_from(award_json: str, specification: str, run: str) -> str:
    """What a record's input hash covers, in parts, as the journal keeps it beside the hash:
    the award, its part of the catalogue, then the run's (see :func:`_run_made_from`). A run
    that redoes the record compares them to say what changed."""
    award = hashlib.sha256(award_json.encode()).hexdigest()[:16]
    return f"{award}|{specification[:16]}|{run}"


_NO_SEAL = hashlib.sha256(_sealing(None).encode()).hexdigest()[:16]  # the seal part of a run without one
_SEALED_NOW = "sealed now (it was made without the seal)"
_CHANGED = ("the row changed", "its part of the catalogue changed", "edcbridge's version changed",
            "the seal changed (certificate, level, timestamp authority or algorithm)",
            "validated now (it was made without validation)")


def _parts_then_and_now(done: Done, made_from: str) -> list[tuple[str, str]] | None:
    """Each part of what the record was made from (:func:`_made_from`), as the journal kept it
    and as it is now; None when the journal kept no parts, or kept them in another layout."""
    if done.made_from is None:
        return None
    then, now = done.made_from.split("|"), made_from.split("|")
    return list(zip(then, now, strict=True)) if len(then) == len(now) else None


def _sealed_of(done: Done, made_from: str) -> bool:
    """Whether the record was made from this input by a run that also sealed it (its plain
    files are what a run without the seal makes) and validated it as this run would."""
    pairs = _parts_then_and_now(done, made_from) if "edc-sealed" in done.outputs else None
    if pairs is None or len(pairs) != 5:
        return False
    (seal_then, seal_now), (validated_then, validated_now) = pairs[3], pairs[4]
    return all(then == now for then, now in pairs[:3]) and seal_then != seal_now and \
        validated_then >= validated_now


def _validated_alike(done: Done, made_from: str) -> bool:
    """Whether this run validates as the run that made the record did (so its files may stand
    for that run's)."""
    pairs = _parts_then_and_now(done, made_from)
    return pairs is not None and pairs[-1][0] == pairs[-1][1]


def _sealed_earlier(done: Done | None, input_hash: str, wanted: frozenset[str],
                    made_from: Callable[[], str]) -> Done | None:
    """The record done earlier, when a run with the seal made it from what this run, without
    the seal, makes it from (see :func:`_sealed_of`); else None."""
    if done is None or done.input_hash == input_hash or "edc-sealed" in wanted:
        return None
    return done if _sealed_of(done, made_from()) else None


def _content_changed(done: Done, input_hash: str, made_from: str) -> bool:
    """Whether the row or its part of the catalogue changed since the record was done (so
    when the journal did not keep the parts and the input hash differs)."""
    if done.input_hash == input_hash:
        return False
    pairs = _parts_then_and_now(done, made_from)
    return pairs is None or any(then != now for then, now in pairs[:2])


def _other_formats(earlier: dict[str, dict[str, str]], outputs: dict[str, dict[str, str]],
                   changed: bool, out_dir: Path) -> tuple[dict[str, dict[str, str]], list[Path], list[Path]]:
    """A record made again in fewer formats than before: the outputs to journal, the files to
    remove once it is committed, and the files changed (or removed) by hand since they were
    written that the record no longer lists. The earlier files of the formats not written
    describe the award as it was: when what it is made from changed they are removed (a
    credential with the old grade must not stay in the folder, unknown to the journal and to
    ``withdraw``); else they stay recorded, as they are, the sealed credential of a run with the
    seal too (it seals the same award; a record no longer listing it would leave it in the
    folder unknown to the journal, to the reports and to a later run), unless changed by hand:
    the record cannot vouch for such a file, which is left where it is and named."""
    left = {name: old for name, old in earlier.items() if name not in outputs}
    if changed:
        files = (Path(old["path"]) for old in left.values())  # named as the reports name files
        outdated = [path for path in files if path.resolve().is_relative_to(out_dir.resolve())
                    and path.exists()]
        return outputs, outdated, []
    kept = {name: old for name, old in left.items() if unchanged(old)}
    dropped = [Path(old["path"]) for name, old in sorted(left.items()) if name not in kept]
    return {**kept, **outputs}, [], dropped


def _kept_warnings(earlier: tuple[str, ...], kept: Iterable[str], now: list[str]) -> list[str]:
    """The warnings a record made again keeps from its earlier making: those about its files of
    the formats this run does not write, which it keeps (see :func:`_other_formats`)."""
    about = tuple(f"{name}: " for name in kept)
    return [warning for warning in earlier if about and warning.startswith(about) and warning not in now]


def _earlier_pages(out_dir: Path, key: str, folder: str) -> list[Path]:
    """The award's preview pages (``folder`` preview: ``export --preview``, ``preview``) or Open
    Badge (ob3: ``badges -o OUT``) in OUT: no record lists them, and one made before the award
    changed shows it as it was (its old grade, say)."""
    from edcbridge.pipeline.award_commands import pages_and_badges

    return [path for name, path in pages_and_badges(out_dir, key).items()
            if name.startswith(folder) and path.is_file()]


def _shown_as_it_was(redone: tuple[str, bool], earlier: dict[str, dict[str, str]],
                     outputs: dict[str, dict[str, str]]) -> bool:
    """Whether the award's pages and badges made before show it as it was: its row or catalogue
    part changed; of a record failed since (what it was made from then is not kept), when its
    credential's plain files are not the ones kept (a write that failed leaves the award as it was)."""
    if not redone[1]:
        return False
    if redone[0] != _AFTER_FAILURE:
        return True
    alike = [name for name in ("edc", "ebsi") if name in earlier and name in outputs]
    return not alike or any(earlier[name].get("sha256") != outputs[name]["sha256"] for name in alike)


def _badges_removed(files: list[Path], out_dir: Path) -> str:
    """The end of a record's ``redone``: its Open Badge and its learner's CLRs removed, a CLR
    named by its folder alone (its name is the learner's id, which the audit trail does not hold)."""
    from edcbridge.pipeline.award_commands import trail_name

    badges = "".join(f"; {path} removed: an Open Badge of the award as it was"
                     for path in files if path.parent.name == "ob3")
    clrs = sorted({trail_name(path.relative_to(out_dir).as_posix())
                   for path in files if path.parent.name == "clr"}, key=lambda place: place.endswith(".jwt"))
    if not clrs:
        return badges
    return badges + f"; its learner's CLR ({', '.join(clrs)}) removed: it held the award as it was"


def _removed_or_unrecorded(outdated: list[Path], unrecorded: list[Path]) -> str:
    """The end of a record's ``redone``: the earlier files it removed, and those changed by hand
    that it no longer lists."""
    removed = "".join(f"; {path} removed: it was made from what changed, in a format this run "
                      "does not write" for path in outdated)
    return removed + "".join(f"; {_unrecorded_why(path)}" for path in unrecorded)


def _unrecorded_why(path: Path) -> str:
    if path.exists():
        return f"{path} changed since it was written: left in the folder, no longer recorded"
    return f"{path} removed since it was written: no longer recorded"


def _seal_why(then: str, now: str) -> str:
    """The seal part of a record's ``redone``: none for a run without the seal, whose record
    names its sealed file removed, if it changed (see :func:`_removed_or_unrecorded`)."""
    if then == _NO_SEAL:
        return _SEALED_NOW
    return "" if now == _NO_SEAL else _CHANGED[3]


def _why_redone(done: Done, input_hash: str, made_from: str, wanted: frozenset[str],
                signer: str | None = None) -> str:
    """Why a record done earlier is made again, for the reports."""
    if done.input_hash != input_hash:
        pairs = _parts_then_and_now(done, made_from)
        if pairs is None:
            return "its input changed (the row, its part of the catalogue or the run's settings)"
        pairs[-1] = ("1", "1") if pairs[-1] == ("1", "0") else pairs[-1]  # validated is no reason
        reasons = (*_CHANGED[:3], _seal_why(*pairs[3]), *_CHANGED[4:])
        changed = [why for why, (then, now) in zip(reasons, pairs, strict=True) if then != now and why] or \
            [why for why, (then, now) in zip(_CHANGED, pairs, strict=True) if then != now]
        if changed:
            return "; ".join(changed)
    added = sorted(wanted - done.outputs.keys())
    if added:
        return f"format added: {', '.join(added)}"
    if _signed_by_another(done, signer):
        return "the EBSI signing key changed" if "signer" in done.outputs["ebsi-jwt"] else \
            "the EBSI signing key was not recorded with its .jwt (signed by an earlier edcbridge)"
    return "; ".join(f"{output['path']} was changed or removed since it was written"
                     for name, output in sorted(done.outputs.items())
                     if name in wanted and not unchanged(output))


def _signer_identity(options: RunOptions) -> str | None:
    """Who signs the EBSI profile's JWT in this run (its kid and key), None without
    ``--ebsi-key``; kept with the .jwt, it is not part of the input hash, so a run without the
    option decides as before."""
    signer = options.ebsi_signer
    return None if signer is None else str(signer.identity)


def _signed_by_another(done: Done, signer: str | None) -> bool:
    """Whether the record's EBSI JWT was signed with another key or kid than this run's."""
    if signer is None:
        return False
    jwt = done.outputs.get("ebsi-jwt")
    return jwt is not None and jwt.get("signer") != signer


def _wanted(options: RunOptions, seal: Any) -> frozenset[str]:
    """The files a record of this run has: one per format asked for (the catalogue's LOQ
    document is no record's), and the sealed credential. A record done with these among its
    files is done for this run too: dropping a format redoes nothing, adding one redoes all."""
    names = set(options.formats) - CATALOGUE_FORMATS
    if options.ebsi_signer is not None:
        names.add("ebsi-jwt")
    return frozenset(names | ({"edc-sealed"} if seal is not None else set()))


def _file_items(path: Path, reading: tuple[str | None, ColumnMap | None], catalogue: Catalogue,
                runner: _Runner, run: tuple[str, str | None, frozenset[str], CatalogueParts, str, str | None],
                foreign: Callable[[str], str | None] | None) -> Iterator[Item | Outcome]:
    names = runner.names
    settings, validated, wanted, catalogue_parts, run_made_from, signer = run
    for loaded in iter_awards(path, catalogue, *reading):
        if runner.should_stop():  # a row past the stop: left for the next run, and not handled
            runner.rows_left = True
            return
        if loaded.award is None:  # handled in input order, after the rows before it
            errors = [e.render() for e in loaded.errors]
            earlier = None if loaded.file_level else _claim_earlier_record(runner, catalogue, loaded)
            key = ""
            if earlier is not None:
                key, record = earlier
                errors.append(_kept_note(record, loaded.file, loaded.row))
            elif loaded.raw_key and not loaded.file_level and not loaded.key_refused:
                # the same award as a row of another file (or an id differing only in case): said
                # now, with the row's other errors, not in the run after they are fixed
                first = names.first(safe_name(loaded.issuer or catalogue.issuer, loaded.raw_key).lower(),
                                    _row_of(loaded.file, loaded.row, loaded.raw_key))
                if first is not None:
                    errors.append(_same_award(loaded, loaded.raw_key, first))
            yield Outcome(key, loaded.file, loaded.row, loaded.raw_key, "", "failed", "load",
                          errors=errors, file_level=loaded.file_level)
            continue
        award = loaded.award
        issuer = award.issuer or catalogue.issuer
        key = runner.journal.spelling(f"{issuer}/{award.award_id}")
        if key != f"{issuer}/{award.award_id}":  # its id as earlier runs spelt it: the same award
            award = award.model_copy(update={"award_id": key.partition("/")[2]})
        first = names.first(safe_name(issuer, award.award_id).lower(),
                            _row_of(loaded.file, loaded.row, award.award_id))
        if first is not None:  # another file, or an id that differs only in case or symbols
            yield Outcome("", loaded.file, loaded.row, award.award_id, "", "failed", "load",
                          errors=[_same_award(loaded, award.award_id, first)])
            continue
        own_issuer = award.issuer not in (None, catalogue.issuer)
        problem = foreign(award.issuer) if foreign and own_issuer and award.issuer else None
        if problem is not None:  # the run's seal must not vouch for another organisation
            yield Outcome("", loaded.file, loaded.row, award.award_id, "", "failed", "seal", errors=[
                f"{loaded.file}:{loaded.row}: column {column_header(loaded, 'issuer')!r} = "
                f"{award.issuer!r}: {problem}\n"
                "    fix: export this issuer's awards in a run of their own, with its own seal"])
            continue
        award_json = award.model_dump_json()
        spec_digest = catalogue_parts.digest(award.specification, award.issuer)
        input_hash = hashlib.sha256(f"{settings}|{spec_digest}|{award_json}".encode()).hexdigest()
        done = runner.journal.done(key)
        if validated is not None and done is not None and done.input_hash != input_hash:
            # done by a validated run: what --no-validate asks for, and more, so skipped as it
            # is (redone, as when a file of it changed, it is recorded as not validated)
            as_validated = hashlib.sha256(f"{validated}|{spec_digest}|{award_json}".encode()).hexdigest()
            if _current(done, as_validated, wanted, signer) is not None:
                input_hash = as_validated
        sealed_earlier = _sealed_earlier(done, input_hash, wanted,
                                         partial(_made_from, award_json, spec_digest, run_made_from))
        if sealed_earlier is not None and \
                _current(sealed_earlier, sealed_earlier.input_hash, wanted, signer) is not None:
            input_hash = sealed_earlier.input_hash  # its plain files are this run's: skipped, kept sealed
        held_back = runner.journal.held_back(key) if done is None else None
        if held_back is not None:  # not journaled: the record stays withdrawn or erased
            yield _held_back(loaded.file, loaded.row, key, award.award_id, held_back, runner.options.out_dir)
            continue
        kept = runner.journal.kept(key) if done is None else None
        outputs = _current(done, input_hash, wanted, signer)
        read_warnings = [f"{_LOAD}{warning.render()}" for warning in loaded.warnings]
        if outputs is not None and done is not None:
            runner.altered += _changed_by_hand(done, outputs)
            runner.handle(Outcome(key, loaded.file, loaded.row, award.award_id, input_hash, "done",
                                  outputs=outputs, warnings=_skipped_warnings(done, read_warnings),
                                  recipient=award.learner.email), "skipped", _listed(done, outputs))
            continue
        parts = runner.made_from[key] = _made_from(award_json, spec_digest, run_made_from)
        if done is not None:
            runner.earlier_outputs[key] = done.outputs
            runner.earlier_warnings[key] = done.warnings
            if sealed_earlier is not None and _validated_alike(sealed_earlier, parts):
                runner.sealed_records[key] = sealed_earlier
            # sealed from the same award, it is made again for a file or a format, not the seal
            as_made = done.input_hash if sealed_earlier is not None else input_hash
            runner.redone[key] = (_why_redone(done, as_made, parts, wanted, signer),
                                  _content_changed(done, input_hash, parts))
        elif kept is not None:  # its earlier version was kept when a later run failed it
            runner.earlier_outputs[key] = kept
            runner.redone[key] = (_AFTER_FAILURE, True)
        if read_warnings:
            runner.load_warnings[key] = read_warnings
        yield key, input_hash, award_json, loaded.row, loaded.file


_AFTER_FAILURE = "it failed in an earlier run (its files of before were kept)"


def _held_back(file: str, row: int, key: str, award_id: str, held_back: tuple[str, str],
               out_dir: Path) -> Outcome:
    """The row of an award withdrawn or erased from the folder: not exported again, and no failure."""
    state, note = held_back
    if state == ERASED:
        said = (f"{file}:{row}: award {key} was {note}; it is not exported again: its learner's data "
                f"were erased from {out_dir}\n    fix: remove the learner's row from the input and from "
                "the system the input is exported from")
        return Outcome("", file, row, award_id, "", "failed", ERASED_STAGE, errors=[said])
    said = _withdrawn_note(file, row, key, note, out_dir)
    return Outcome(key, file, row, award_id, "", "failed", WITHDRAWN_STAGE, errors=[said])


def _withdrawn_note(file: str, row: int, key: str, withdrawn: str, out_dir: Path) -> str:
    return (f"{file}:{row}: award {key} was {withdrawn}; it is not exported again while it is "
            f"withdrawn (its files are kept in {out_dir / 'withdrawn'})\n    fix: remove the row from the "
            f"input, or reinstate the award (the next run then exports it): edcbridge withdraw {out_dir} "
            f"{key} --undo --reason TEXT")


def _row_of(file: str, row: int, award_id: str) -> str:
    """Where an award id first appeared, as :func:`_same_award` names it (and reads it back)."""
    return f"{file} row {row}{_id_of(award_id)}"


def _id_of(award_id: str) -> str:
    return f" (award_id {award_id!r})"


def _same_award(loaded: LoadedRow, award_id: str, first: str) -> str:
    """The row's award id met before, at *first*, named by the header the file writes for it."""
    said = (f"{loaded.file}:{loaded.row}: column {column_header(loaded, 'award_id')!r} = {award_id!r}: "
            f"the same award or output file as {first}")
    if first.endswith(_id_of(award_id)):  # the same id: maybe the same award exported twice
        return (f"{said}\n    fix: if both rows are the same award, keep it in one file only; if they "
                "are different awards, give each its own award_id")
    return f"{said} (file names ignore case)\n    fix: give every award its own award_id"


_LOAD = "load: "  # what the reader noticed in a row, before the warnings of making its files


def _skipped_warnings(done: Done, read_warnings: list[str]) -> list[str]:
    """The warnings of a record skipped as done: what this run noticed reading its row, then
    what the journal kept of making its files (those were not made again)."""
    return read_warnings + [warning for warning in done.warnings if not warning.startswith(_LOAD)]


def _listed(done: Done, outputs: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The files the reports list for a record skipped as done: this run's ``outputs``, and its
    files of the formats this run does not write that are there as they were written (still the
    record's: the journal keeps them and ``withdraw`` moves them)."""
    return {name: output for name, output in done.outputs.items() if name in outputs or unchanged(output)}


def _changed_by_hand(done: Done, outputs: dict[str, dict[str, str]]) -> list[Path]:
    """The files of a record skipped as done, besides this run's ``outputs``, that are in the
    folder but not as they were written (see :func:`_altered_note`)."""
    return [Path(output["path"]) for name, output in sorted(done.outputs.items())
            if name not in outputs and not unchanged(output) and _not_as_written(output)]


def _not_as_written(output: dict[str, str]) -> bool:
    """Whether a file whose size or modification time is not the journal's holds other bytes
    than it was written with: a copy of the folder that did not keep the files' times (or a
    touch) changes the time alone. False for a file no longer there."""
    path = Path(output["path"])
    try:
        if "sha256" not in output or str(path.stat().st_size) != output.get("size"):
            return True
        return hashlib.sha256(path.read_bytes()).hexdigest() != output["sha256"]
    except OSError:
        return False


def _current(done: Done | None, input_hash: str, wanted: frozenset[str],
             signer: str | None = None) -> dict[str, dict[str, str]] | None:
    """The outputs this run wants of a record done earlier from the same input (its EBSI JWT
    signed by this run's *signer*), when each is on disk as it was written; None when the
    record is to be done (again)."""
    if done is None or done.input_hash != input_hash or not wanted <= done.outputs.keys() or \
            _signed_by_another(done, signer):
        return None
    outputs = {name: output for name, output in done.outputs.items() if name in wanted}
    return outputs if all(unchanged(output) for output in outputs.values()) else None


def _claim_earlier_record(runner: _Runner, catalogue: Catalogue,
                          loaded: LoadedRow) -> tuple[str, Done] | None:
    """The journal key and record of an award done in an earlier run whose row now fails to load,
    the award then counted as met in this run; None when there is none, or when this run met
    the award already (this row is then a duplicate: the record is the other row's)."""
    issuer = loaded.issuer or catalogue.issuer
    key = f"{issuer}/{loaded.raw_key}"
    done = runner.journal.done(key) if loaded.raw_key else None
    if done is None:
        return None
    where = _row_of(loaded.file, loaded.row, loaded.raw_key)
    if runner.names.first(safe_name(issuer, loaded.raw_key).lower(), where) is not None:
        return None
    return key, done


def _kept_note(done: Done, file: str, row: int) -> str:
    paths = ", ".join(o["path"] for o in done.outputs.values())
    return (f"{file}:{row}: this award was exported before; its record is now failed (not "
            f"delivered, redone once the row is corrected) and what was written then is kept: "
            f"{paths}\n    fix: correct the row and run again, or delete those files if they must "
            "not be used")


def _kept_after_failure(outputs: dict[str, dict[str, str]], file: str, row: int) -> str | None:
    """What an award that now fails to map, validate or seal left from its earlier export,
    if anything."""
    paths = ", ".join(o["path"] for o in outputs.values() if Path(o["path"]).is_file())
    if not paths:
        return None
    return (f"{file}:{row}: this award was exported before; its record is now failed (not "
            f"delivered, redone by the next run once the error above is fixed) and what was "
            f"written then is kept, in its earlier version: {paths}\n    fix: fix the error above "
            "and run again, or delete those files if they must not be used")


def unchanged(output: dict[str, str]) -> bool:
    """The file is there as it was written: same size and modification time (a stat, not a
    read of every file on each re-run). Journals from before sizes were kept: it exists."""
    try:
        found = Path(output["path"]).stat()
    except OSError:
        return False
    if "size" not in output:
        return True
    return str(found.st_size) == output["size"] and str(found.st_mtime_ns) == output.get("mtime_ns")


def _batches(items: Iterator[Item | Outcome], size: int) -> Iterator[list[Item] | Outcome]:
    """Batches of work, and the outcomes decided without it, in input order (so --fail-fast
    counts failures as they follow each other in the input)."""
    batch: list[Item] = []
    for item in items:
        if isinstance(item, Outcome):
            if batch:
                yield batch
                batch = []
            yield item
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run(jobs: list[Job], options: RunOptions,
        progress: Callable[[Outcome | None, str], None] = lambda o, s: None,
        on_delivery: Callable[[Delivery], None] = lambda d: None,
        on_reported: Callable[[RunResult], None] = lambda r: None) -> RunResult:
    """Run every job, then deliver what is sealed and not yet delivered (``options.deliver``);
    raises CatalogueError / InputFileError for unusable input, RunError for an output folder
    that cannot be written or that another run is using. ``on_reported`` gets the result once
    the reports hold it, also when the run then raises the error that stopped it part way (its
    audit head is then known to the caller)."""
    # fail before any work if a catalogue or an awards file is unusable; each catalogue is read once
    with sigterm_as_ctrl_c():
        read = [(job, load_catalogue(job.catalogue)) for job in jobs]
        for job, catalogue in read:
            for path in job.awards:
                _check_readable(path, catalogue, job.encoding, job.columns)
        with folder_of_one_run(options.out_dir):
            return _run(read, options, progress, on_delivery, on_reported)


def _run(jobs: list[tuple[Job, Catalogue]], options: RunOptions,
         progress: Callable[[Outcome | None, str], None],
         on_delivery: Callable[[Delivery], None],
         on_reported: Callable[[RunResult], None] = lambda r: None) -> RunResult:
    try:
        reports = ReportWriter(options.out_dir)
    except OSError as exc:
        raise _unwritable(options.out_dir, exc) from exc
    try:
        runner = _Runner(options, reports, progress)
    except (OSError, sqlite3.Error) as exc:
        reports.discard()
        if isinstance(exc, OSError):
            raise _unwritable(options.out_dir, exc) from exc
        raise RunError(f"{options.out_dir / JOURNAL_NAME}: the journal cannot be used ({exc}); move "
                       "it aside to start the folder afresh (everything is then done again), or "
                       "give another folder with -o") from exc
    try:
        with _ctrl_c_finishes_the_batch(runner):
            _export(jobs, options, runner)
        runner.flush()
        runner.result.notes += _unrecorded_note(runner.unrecorded, options.out_dir)
        runner.result.notes += _altered_note(runner.altered, options.out_dir)
        runner.result.notes += _badges_note(runner.badges_removed, options.out_dir)
        runner.result.notes += _withdrawn_rows_note(runner.result, options.out_dir)
        runner.result.notes += _erased_rows_note(runner.result, options.out_dir)
        runner.result.interrupted = runner.interrupted
        if not (runner.interrupted or runner.result.stopped_early or runner.result.file_errors):
            runner.result.notes += _not_in_input(runner, options.out_dir)
        if options.deliver is not None and not runner.interrupted:
            _deliver(runner, options.deliver, reports, on_delivery)
            runner.result.notes += _not_redelivered(options.deliver, runner.redelivering)
    except KeyboardInterrupt:  # a second Ctrl-C, or one during the deliveries: stop now
        runner.result.interrupted = True
        runner.flush()
        raise RunInterrupted(runner.result) from None
    except Exception as exc:  # the reports still tell what was done, and why the run stopped
        runner.result.aborted = f"{exc.__class__.__name__}: {exc}"
        runner.flush()
        raise
    finally:
        with ctrl_c_noted() as pressed:  # it waits for the reports, written whole as the journal holds them
            _end(runner, reports, options, on_reported)
    if pressed:  # the run had ended: stopped here, its reports kept as they are
        runner.result.interrupted = True
        raise RunInterrupted(runner.result)
    return runner.result


def _end(runner: _Runner, reports: ReportWriter, options: RunOptions,
         on_reported: Callable[[RunResult], None]) -> None:
    """Commit, write the reports and close the journal, however the run ended."""
    result = runner.result
    if options.rows is not None and (result.interrupted or result.stopped_early or result.aborted):
        result.not_read = max(options.rows - result.total, 0)
    runner.names.close()
    runner.journal.commit()
    result.audit_head = runner.journal.head()
    try:
        _close_reports(reports, result, options.out_dir)
        on_reported(result)
    finally:  # last: emptying the write-ahead log may wait for an audit verify reading
        runner.journal.close(fold_log=True)


def _identity(folder: Path) -> tuple[int, int]:
    found = folder.stat()
    return found.st_dev, found.st_ino


SHOWN_ABSENT = 5  # keys named in the note of credentials whose awards this run did not read


def _not_in_input(runner: _Runner, out_dir: Path) -> list[str]:
    """Credentials of the folder, made by earlier runs, whose awards this run's input no longer
    holds (withdrawn, exported from another file, or its id now spelt in another case: another
    award, another file), done or failed keeping its earlier files: their files stay, and a later
    upload of the folder would send them, so the run names them: a few in a note, each in the
    reports (status ``not-in-input``). Only after a run that read all its input."""
    absent: list[str] = []
    count = 0
    for key, outputs in runner.journal.outputs_in_folder():
        issuer, _, award_id = key.partition("/")
        met = runner.names.where(safe_name(issuer, award_id).lower())
        if met is None or not met.endswith(_id_of(award_id)):  # or met as another id: 'abc-1' for 'ABC-1'
            count += 1
            if len(absent) < SHOWN_ABSENT:
                absent.append(key)
            runner.reports.write(_absent(key, award_id, json.loads(outputs), out_dir), "not-in-input")
    runner.result.not_in_input = count
    if not count:
        return []
    more = f", and {count - len(absent)} more" if count > len(absent) else ""
    return [f"{out_dir}: {count} credential{'s' if count > 1 else ''} made by earlier runs "
            f"{'are' if count > 1 else 'is'} for awards not in this run's input ({', '.join(absent)}"
            f"{more}; {out_dir / 'report.csv'} lists each, as not-in-input): their files stay in the "
            f"folder; if an award was withdrawn, withdraw it: "
            f"edcbridge withdraw {out_dir} KEY... --reason TEXT (its files go to {out_dir / 'withdrawn'}, "
            "the audit trail records it and no run exports it again; do not delete its files by hand: "
            "the journal would still hold it done, and a run whose input holds it again would export "
            "it again), and revoke what 'edcbridge serve' issued for it: edcbridge revoke"]


def _rows_shown(shown: list[tuple[str, str, int]], count: int) -> str:
    """The first rows held back (an award's name, file, row) and how many more there are."""
    listed = ", ".join(f"{printable(name)} at {printable(file)}:{row}" for name, file, row in shown)
    return listed + (f", and {count - len(shown)} more" if count > len(shown) else "")


def _withdrawn_rows_note(result: RunResult, out_dir: Path) -> list[str]:
    """The rows of withdrawn awards left in the input, said once for the run: a nightly job
    meets them every night, and they are no failure (report.csv lists each, as withdrawn)."""
    count = result.withdrawn_in_input
    if not count:
        return []
    if count == 1:
        ((key, file, row),) = result.withdrawn_shown
        key = printable(key)
        return [f"{printable(file)}:{row}: 1 award withdrawn is still in the input ({key}): it is not "
                f"exported again and does not fail the run\n    fix: remove its row from the input, or "
                f"reinstate the award (the next run then exports it): edcbridge withdraw {out_dir} {key} "
                "--undo --reason TEXT"]
    return [f"{out_dir}: {count} awards withdrawn are still in the input "
            f"({_rows_shown(result.withdrawn_shown, count)}; "
            f"{out_dir / 'report.csv'} lists each, as withdrawn): they are not exported again and do not "
            "fail the run\n    fix: remove their rows from the input, or reinstate an award (the next run "
            f"then exports it): edcbridge withdraw {out_dir} KEY... --undo --reason TEXT"]


def _erased_rows_note(result: RunResult, out_dir: Path) -> list[str]:
    """The rows of awards erased at their learners' request left in the input, said once for the
    run: a nightly job meets them every night until the source system drops them, and they are
    no failure (report.csv lists each, as erased)."""
    count = result.erased_in_input
    if not count:
        return []
    source = "from the system the input is exported from, so that it keeps no copy for this folder"
    if count == 1:
        ((award_id, file, row),) = result.erased_shown
        return [f"{printable(file)}:{row}: 1 award erased at its learner's request is still in the input "
                f"({printable(award_id)}): "
                f"it is not exported again and does not fail the run\n    fix: remove the learner's row "
                f"from the input and {source}"]
    return [f"{out_dir}: {count} awards erased at their learners' request are still in the input "
            f"({_rows_shown(result.erased_shown, count)}; {out_dir / 'report.csv'} lists each, as erased): "
            f"they are not exported again and do not fail the run\n    fix: remove the learners' rows from "
            f"the input and {source}"]


def _unrecorded_note(paths: list[Path], out_dir: Path) -> list[str]:
    """The files changed or removed by hand that records made again in this run no longer list,
    said once for the run (report.csv's ``redone`` names each with its record)."""
    if not paths:
        return []
    shown = ", ".join(str(path) for path in paths[:SHOWN_ABSENT])
    more = f", and {len(paths) - SHOWN_ABSENT} more" if len(paths) > SHOWN_ABSENT else ""
    return [f"{out_dir}: {len(paths)} file(s) changed or removed by hand since they were written are no "
            f"longer recorded by the records this run made again ({shown}{more}; the redone column of "
            f"{out_dir / 'report.csv'} names each): those still there are left in the folder, unknown "
            "to the reports and to wallet deliveries\n    fix: delete them, or run with their format "
            "(with the seal, for a sealed credential) to make them again"]


def _badges_note(removed: list[list[Path]], out_dir: Path) -> list[str]:
    """The Open Badges and CLRs of ``badges -o OUT`` that records made again from a changed row
    or catalogue part removed (each record's ``redone`` names them), said once for the run with
    the command that makes them again: an export has neither the badges' seal nor their options."""
    from edcbridge.pipeline.award_commands import badges_command

    if not removed:
        return []
    files = [path for paths in removed for path in paths]
    badges = sum(any(path.parent.name == "ob3" for path in paths) for paths in removed)
    clrs = len({path.with_suffix("") for path in files if path.parent.name == "clr"})
    sealed = any(path.suffix == ".jwt" for path in files)
    command = badges_command(out_dir, sealed, "the awards files as they are now, each of the learners' "
                             "awards among them, as a CLR bundles them all")
    return [f"{out_dir}: {len(removed)} award(s) made again from a changed row or part of the catalogue had "
            f"{badges} Open Badge(s) and {clrs} learner's CLR(s) holding them as they were: removed (the "
            f"redone column of {out_dir / 'report.csv'} names them)\n    fix: make them again: {command}"]


def _altered_note(paths: list[Path], out_dir: Path) -> list[str]:
    """The files of records skipped as done, of a format this run does not write (or sealed, in
    a run without the seal), changed by hand since they were written and still in the folder:
    the reports do not list them, while the journal, ``withdraw`` and ``audit verify`` do."""
    if not paths:
        return []
    shown = ", ".join(str(path) for path in paths[:SHOWN_ABSENT])
    more = f", and {len(paths) - SHOWN_ABSENT} more" if len(paths) > SHOWN_ABSENT else ""
    return [f"{out_dir}: {len(paths)} file(s) of records skipped as done changed by hand since they "
            f"were written, in a format this run does not write ({shown}{more}): the reports do not "
            "list them, and 'edcbridge audit verify' names each still there as not the one issued\n"
            "    fix: delete them, or run with their format (with the seal, for a sealed credential) to "
            "make them again"]


def _absent(key: str, award_id: str, outputs: dict[str, dict[str, str]], out_dir: Path) -> Outcome:
    """The report entry of a credential whose award this run's input does not hold."""
    paths = {name: {"path": str(output_file(out_dir, output))} for name, output in outputs.items()}
    return Outcome(key, "", 0, award_id, "", "done", outputs=paths, errors=[
        f"{key}: not in this run's input; its files stay in the folder\n    fix: if the award was taken "
        f"back, withdraw it: edcbridge withdraw {out_dir} {key} --reason TEXT; if it is exported from "
        "another awards file, give that file too"])


def _close_reports(reports: ReportWriter, result: RunResult, out_dir: Path) -> None:
    """Write the run's reports; when they cannot be (a full disk), say so rather than let a
    message point to a report.json that is the last run's, or none."""
    stopped = sys.exc_info()[1]  # the error that stopped the run, if one did
    try:
        result.report = reports.close(result)
    except OSError as exc:
        why = f"; the run had stopped on {stopped.__class__.__name__}: {stopped}" if stopped else ""
        raise ReportsNotWritten(
            f"{out_dir}: the reports could not be written ({exc.strerror or exc}){why}; the journal "
            f"keeps what was done (audit head {result.audit_head}: note it, report.json does not "
            "hold it): free space or fix the folder, then run the same command again"
        ) from exc


_BUSY_WAIT = 5.0  # seconds: the workers of a run just killed end within one


@contextlib.contextmanager
def folder_of_one_run(out_dir: Path, elsewhere: str = ", or give another folder with -o") -> Iterator[None]:
    """Hold the output folder for this run: a second run on it at the same time would do the
    same work twice, fork the audit chain and write over the reports being written. The lock
    goes with the process (``kill -9`` included); where the system or the file system has no
    such locks (Windows, NFS), the run goes on without. ``elsewhere``: the end of the fix when
    the folder is busy (a command that changes a folder's records has no other folder)."""
    try:  # made for this user alone: it holds learners' records (an existing folder keeps its mode)
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(out_dir, exc) from exc
    fd = _locked_folder(out_dir, _BUSY_WAIT, elsewhere)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # the lock goes with it


def _locked_folder(out_dir: Path, wait: float, elsewhere: str) -> int | None:
    """A descriptor of the folder holding its lock, None where there are no such locks."""
    try:
        return hold(lambda: os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), wait)
    except Busy:
        raise RunError(f"{out_dir}: another edcbridge run is using this output folder; wait for "
                       f"it to end (then run this command again){elsewhere}") from None


def _unwritable(out_dir: Path, exc: BaseException) -> RunError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return RunError(f"{out_dir}: the output folder cannot be written ({reason}); give a folder "
                    "this user can write to, on a disk with room, with -o")


def _stale_file(old: str, new: str, out_dir: Path) -> Path | None:
    """The file an earlier run wrote for a record now written to ``new``, to remove once the
    journal names ``new``; None when it is the same file under another spelling (``out`` and
    ``/abs/out``) or lies outside this output folder (a journal copied with its folder)."""
    earlier = Path(old).resolve()
    if earlier == Path(new).resolve() or not earlier.is_relative_to(out_dir.resolve()):
        return None
    return earlier


def _check_readable(path: Path, catalogue: Catalogue, encoding: str | None,
                    columns: ColumnMap | None) -> None:
    """Raise InputFileError when the file cannot be read at all (its header, its first rows)."""
    for loaded in iter_awards(path, catalogue, encoding, columns):
        if not loaded.file_level:  # a row read: the reader has started, and closes as it is dropped
            break


def _export(jobs: list[tuple[Job, Catalogue]], options: RunOptions, runner: _Runner) -> None:
    for number, (job, catalogue) in enumerate(jobs, start=1):
        seal = job.seal if job.seal is not None else options.seal
        config = WorkerConfig(job.catalogue, options.store_root, options.out_dir, options.formats,
                              options.validate, seal, options.ebsi_signer)
        items = _items(job, catalogue, runner, seal)
        # what its credentials cannot carry, and its specifications' policy breaches (said in full
        # once here; each award of such a specification fails naming the breach)
        runner.result.notes += [f"{job.catalogue}: {note}" for note in catalogue_notes(catalogue)]
        if "ebsi" in options.formats and catalogue.organisation(catalogue.issuer).did is None:
            runner.result.notes.append(
                f"{job.catalogue}: the EBSI profile names the issuer {catalogue.issuer} by its urn:epass id, "
                "which EBSI verifiers do not accept: they need a DID registered in the Trusted Issuers "
                f"Registry; add it as did of organisations.{catalogue.issuer}")
        runner.result.notes += [f"{job.catalogue}: the awards of {code} fail until this is fixed: "
                                f"{finding.render()}"
                                for code, found in specification_findings(catalogue).items()
                                for finding in found if finding.severity == "error"]
        runner.result.notes += [f"{job.catalogue}: the awards of {code} are issued with a warning: "
                                f"{finding.render()}"
                                for code, found in specification_findings(catalogue).items()
                                for finding in found if finding.severity != "error"]
        if options.validate:
            runner.result.notes += _annex1_notes(job, catalogue)
        runner.result.notes += _plain_http_notes(job, catalogue)
        if "loq" in options.formats:
            _write_loq(job, catalogue, options, runner.result)
        else:
            runner.result.notes += _earlier_loq_note(job, catalogue, options.out_dir)
        batches = _batches(items, options.batch_size)
        if options.workers <= 1:
            init_worker(config, catalogue)
            for batch in batches:
                if runner.pending and not isinstance(batch, Outcome):
                    runner.flush()  # the batch takes a while: what waits is committed first
                for outcome in [batch] if isinstance(batch, Outcome) else process_batch(batch):
                    runner.handle(outcome)
                if runner.should_stop():
                    break
        else:
            _parallel(config, catalogue, batches, runner)
        if runner.interrupted:
            break
        if runner.should_stop():
            runner.result.stopped_early = number < len(jobs) or _input_left(batches, runner)
            break


def _input_left(batches: Iterator[list[Item] | Outcome], runner: _Runner) -> bool:
    """Whether rows are left unread by a run --fail-fast stopped: one whose N-th failure in a row
    is the input's last row went through it. The reading is taken on by a row, which is not
    handled (:func:`_file_items` stops at it); a row read before the stop and not handled is left
    too."""
    return next(batches, None) is not None or runner.rows_left


@contextlib.contextmanager
def _ctrl_c_finishes_the_batch(runner: _Runner) -> Iterator[None]:
    """Ctrl-C stops reading the input; what the workers hold is finished, journaled and
    reported. A second Ctrl-C stops at once (the journal still keeps what was written)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    restore = previous if previous is not None else signal.default_int_handler

    def on_ctrl_c(signum: int, frame: object) -> None:
        runner.interrupted = True
        signal.signal(signal.SIGINT, restore)

    signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, restore)


def _deliver(runner: _Runner, target: WalletTarget, reports: ReportWriter,
             on_delivery: Callable[[Delivery], None]) -> None:
    result = runner.result

    def count(delivery: Delivery) -> None:
        if delivery.status in ("delivered", "redelivered"):
            result.delivered += 1
            result.redelivered += delivery.status == "redelivered"
        elif delivery.status == "already-delivered":
            result.already_delivered += 1
        elif delivery.status == "unchanged":
            result.unchanged += 1
        elif delivery.status == NOT_SENT:
            result.delivery_not_sent += 1
            why[delivery.message] += 1
        else:
            result.delivery_failed += 1
        reports.write_delivery(delivery)
        on_delivery(delivery)

    why: Counter[str] = Counter()  # why the deposits not attempted were not, in order of first use
    reports.start_deliveries()
    try:
        deliver_pending(runner.journal, target, count)
    finally:  # a Ctrl-C or an error too: the reports keep the reason, said once
        result.not_sent_notes = _not_sent_notes(why, target)
        result.notes += result.not_sent_notes


def _not_sent_notes(why: Counter[str], target: WalletTarget) -> list[str]:
    """The deposits a stopped run did not attempt, in one note per reason with the fix (each
    is a row of deliveries.csv, status not-sent), rather than a line each: a wallet that fell
    silent, then a Ctrl-C, are two reasons, each with its own fix."""
    return [f"{target.name}: {count} deposit{'s' if count > 1 else ''} not sent: "
            f"{reason.removeprefix('not sent: ')}" for reason, count in why.items()]


def _not_redelivered(target: WalletTarget, found: set[str]) -> list[str]:
    """The ``--redeliver`` values that named no sealed credential of this run: nothing was sent
    for them (a typing error, an award not in this input, or one that failed)."""
    return [f"--redeliver {asked}: no sealed credential of this run has this key or award id, so "
            "nothing was sent again for it; give the award's key (<issuer>/<award_id>) or award id as "
            "the report lists it, with the awards file that holds it"
            for asked in sorted(target.redeliver - found)]


def _annex1_notes(job: Job, catalogue: Catalogue) -> list[str]:
    """The Annex I elements the catalogue leaves out of every award of a specification, in full
    once: each such award names the element briefly (see catalogue_gaps)."""
    return [f"{job.catalogue}: the awards of {code} "
            + ("fail until this is fixed: " if gap.severity == "error" else "are issued with a warning: ")
            + gap.render()
            for code, gaps in catalogue_annex1_gaps(catalogue).items() for gap in gaps]


def _plain_http_notes(job: Job, catalogue: Catalogue) -> list[str]:
    """The catalogue's http:// web addresses, at their lines: every credential would carry them."""
    if not plain_http_problems(catalogue):
        return []
    from edcbridge.catalogue_check import plain_http_findings
    from edcbridge.load.catalogue import read_catalogue

    return [finding.render() for finding in plain_http_findings(catalogue, read_catalogue(job.catalogue)[1])]


def _write_loq(job: Job, catalogue: Catalogue, options: RunOptions, result: RunResult) -> None:
    """The catalogue as ELM 3 LOQ for registers: one document per catalogue, in OUT/loq/, with
    notes of what it leaves out (a specification LOQ cannot hold, texts in other languages);
    none when no specification can be published, an earlier one being kept as it is."""
    from edcbridge.schemas import SchemaStore
    from edcbridge.xml.export import write_loq

    outcome = write_loq(catalogue, options.out_dir, SchemaStore(options.store_root))
    if outcome.path is None and outcome.specifications:
        problems = "; ".join(f.render() for f in outcome.findings if f.severity == "error")
        raise RunError(f"{job.catalogue}: the LOQ export is not valid against loq.xsd: {problems}")
    result.notes += [f"{job.catalogue}: LOQ {f.render()}" for f in outcome.findings]
    if outcome.path is None:  # nothing to publish: no document written, an earlier one kept
        return
    result.catalogue_files.append(str(outcome.path))
    if options.seal is not None:  # the run seals: say that this file is not, and why
        result.notes.append(f"{job.catalogue}: {outcome.path.name} (LOQ) is not sealed: the official "
                            "loq.xsd has no place for a signature; registers take it as it is")


def _earlier_loq_note(job: Job, catalogue: Catalogue, out_dir: Path) -> list[str]:
    """A run without ``--format loq`` leaves the LOQ document of an earlier run as it is; when it
    is no longer what the catalogue gives (the catalogue changed, or edcbridge did), registers
    taking it from the folder would publish the catalogue as it was: said once. The XML code is
    loaded only when there is such a document (loading the LOQ export takes its XML Schema
    library, about 0.1 s before the run's first award)."""
    from edcbridge.xml import LOQ_DIR

    path = out_dir / LOQ_DIR / f"{safe_name(catalogue.issuer)}.xml"
    try:
        written = path.read_bytes()
    except OSError:
        return []
    from edcbridge.xml import edc12, loq

    if written == edc12.serialise(loq.to_loq(catalogue).tree):
        return []
    return [f"{job.catalogue}: {path} describes the catalogue as it was when an earlier run wrote it, not "
            "as it is now\n    fix: run with --format loq to make it again, or delete it if registers no "
            "longer take it from this folder"]


class ReportsNotWritten(Exception):
    """The run's reports could not be written; the journal holds what was done."""


class RunInterrupted(KeyboardInterrupt):
    """A Ctrl-C that stopped the run at once (a second one, or one during the deliveries): the
    journal and the reports are closed, and ``result`` holds what they count and the audit head,
    for the run's summary."""

    def __init__(self, result: RunResult) -> None:
        super().__init__()
        self.result = result


class RunError(ValueError):
    """What stops a run before its work, said for people: the catalogue cannot be published
    as LOQ, or the output folder cannot be written or is in use by another run."""




def _parallel(config: WorkerConfig, catalogue: Catalogue, batches: Iterator[list[Item] | Outcome],
              runner: _Runner) -> None:
    # Workers started by fork take the catalogue the run read as it stands in memory, rather
    # than each reading and checking the file again (tens of ms); other start methods would
    # copy it through a pipe, so their workers read the file.
    context = multiprocessing.get_context()
    inherited = catalogue if context.get_start_method() == "fork" else None
    if inherited is not None and config.validate:
        batches = _first_validated_here(config, catalogue, batches)
    pool = ProcessPoolExecutor(runner.options.workers, mp_context=context, initializer=init_pool_worker,
                               initargs=(config, inherited))
    try:
        _feed(pool, batches, runner)
    except BaseException as exc:  # a second Ctrl-C, or an error: stop now, not once every batch is done
        stop_now(pool)
        if isinstance(exc, BrokenProcessPool):
            raise WorkerLost(
                "a worker process of the run was killed (by the system when memory ran short, or "
                "by hand; if memory is short, give fewer workers with -j N)") from None
        raise
    pool.shutdown(wait=True)


def _first_validated_here(config: WorkerConfig, catalogue: Catalogue,
                          batches: Iterator[list[Item] | Outcome]) -> Iterator[list[Item] | Outcome]:
    """The batches, the credentials of the first validated in this process first, so that the
    workers forked after it start with what validation loads (see :func:`warm_validation`)."""
    first = next(batches, None)
    if first is None:
        return batches
    if not isinstance(first, Outcome):
        warm_validation(config, catalogue, first)
    return chain([first], batches)


def _feed(pool: ProcessPoolExecutor, batches: Iterator[list[Item] | Outcome], runner: _Runner) -> None:
    options = runner.options
    window = options.workers * 4
    in_flight: deque[Future[list[Outcome]] | Outcome] = deque()

    def handle_first() -> None:
        first = in_flight.popleft()
        if isinstance(first, Outcome) and runner.should_stop():
            runner.rows_left = True  # read before the stop was known: left for the next run, as
            return  # with one worker
        if not isinstance(first, Outcome) and runner.pending:
            # what was handled is committed within commit_seconds, not once this batch is back
            # (32 awards sealed with a timestamp authority take seconds)
            left = options.commit_seconds - (time.monotonic() - runner.last_commit)
            if wait([first], timeout=max(left, 0.0)).not_done:
                runner.flush()
        for outcome in [first] if isinstance(first, Outcome) else answer_of(pool, first):
            runner.handle(outcome)

    for batch in batches:
        decided = isinstance(batch, Outcome)
        in_flight.append(batch if isinstance(batch, Outcome) else submit(pool, process_batch, batch))
        # a failure decided here waits for the work before it; with --fail-fast, so does the
        # reading of more rows, or the run would read past the N-th failure in a row
        drain = decided and options.fail_fast is not None
        while in_flight and (drain or len(in_flight) >= window or isinstance(in_flight[0], Outcome)
                             or in_flight[0].done()):
            handle_first()
        if runner.should_stop():
            break
    while in_flight:
        handle_first()
