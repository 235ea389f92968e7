"""Per-record reports written as the run goes (CSV and JSON), and an HTML summary at the end."""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import html
import json
import os
import re
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from edcbridge.folder_files import DELIVERY_COLUMNS, REPORT_COLUMNS, RUN_REPORT_TITLE
from edcbridge.output import printable, text_cell
from edcbridge.pipeline.delivery import NOT_SENT, UNCHANGED
from edcbridge.pipeline.journal import json_encoder

if TYPE_CHECKING:
    from edcbridge.pipeline.delivery import Delivery
    from edcbridge.pipeline.runner import RunResult
    from edcbridge.pipeline.worker import Outcome

_MAX_HTML_FAILURES = 200

# CSV files for people start with a byte order mark: Excel, opening a file by a double-click,
# reads UTF-8 without one as the ANSI code page ("Chloé" as "ChloÃ©"); csv, pandas and
# "utf-8-sig" readers skip it.
_CSV_ENCODING = "utf-8-sig"
_LINE_BREAK = re.compile(r"(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])[ \t]*")


_RECORD_JSON = json_encoder(ensure_ascii=False)  # json.dumps(record, ensure_ascii=False)


def _json_text_error(error: UnicodeError) -> tuple[str, int]:
    """A lone surrogate (a file name that is not UTF-8, read by Python as ``\\udce9``) cannot be
    written as UTF-8: report.json holds it as the text ``\\udce9``, as report.csv and the
    HTML summary show it. JSON text has surrogates inside its strings only, so the escaped
    backslash keeps the document valid for any parser."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start:error.end]
    return "".join(f"\\\\u{ord(c):04x}" for c in bad), error.end


codecs.register_error("edcbridge-json-text", _json_text_error)


def _cell(value: object) -> object:
    """A cell of report.csv or deliveries.csv: on one line, with nothing a terminal or a
    spreadsheet acts on (a direction override, an escape sequence, a tab: escaped as the HTML
    summary shows them, ``\\u202e``), and never a formula, nor one after a ``;``."""
    if not isinstance(value, str):
        return value
    return text_cell(printable(value))


def _one_line(text: str) -> str:
    """Text of several lines (an error and its ``fix:``, a message quoted from elsewhere) as
    one: its lines joined by `` -- ``."""
    return _LINE_BREAK.sub(" -- ", text)


def _row(outcome: Outcome) -> int | None:
    """The input row of a report entry; None for an entry of no row (a credential of the folder
    whose award the input no longer holds, an awards file that could not be read to the end),
    rather than a row 0 a reader would look for."""
    return outcome.row or None


def _new_file(path: Path, encoding: str, newline: str | None = None, errors: str | None = None) -> IO[str]:
    """A temporary report file made afresh: what is at its name (left by a killed run, or a
    symlink planted in a shared output folder) is removed, never followed and overwritten."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return open(os.open(path, flags, 0o666), "w", encoding=encoding, newline=newline,  # noqa: PTH123 (a descriptor)
                errors=errors)


class ReportWriter:
    """report.csv, report.json (streamed) and report.html in the output folder.

    Files are written under temporary names and renamed at the end, so a report on disk is
    always complete; the journal is what survives an interruption.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._csv_file: IO[str] = _new_file(out_dir / ".report.csv.tmp", encoding=_CSV_ENCODING, newline="")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(REPORT_COLUMNS)
        self._json: IO[str] = _new_file(out_dir / ".report.json.tmp", encoding="utf-8",
                                        errors="edcbridge-json-text")
        self._json.write('{"records": [\n')
        self._first = True
        self._failures: list[tuple[str, int, str, str]] = []
        self._redone: list[tuple[str, int, str, str]] = []  # records made again, and why
        self._deliveries_file: IO[str] | None = None
        self._deliveries: Any = None  # a csv writer, once there is a delivery
        self._delivery_failures: list[tuple[str, str, str]] = []

    def write(self, outcome: Outcome, status: str) -> None:
        outputs = {k: v["path"] for k, v in outcome.outputs.items()}
        row = _row(outcome)
        self._csv.writerow([_cell(cell) for cell in (
            outcome.file, "" if row is None else row, outcome.award_id, status, outcome.stage or "",
            " ".join(outputs.values()), " | ".join(_one_line(e) for e in outcome.errors),
            outcome.redone or "")])
        record: dict[str, Any] = {"file": outcome.file, "row": row, "award_id": outcome.award_id,
                                  "status": status, "stage": outcome.stage, "outputs": outputs,
                                  "errors": outcome.errors, "warnings": outcome.warnings,
                                  "redone": outcome.redone}
        self._json.write(("" if self._first else ",\n") + _RECORD_JSON(record))
        self._first = False
        if status in ("failed", "file-error") and len(self._failures) < _MAX_HTML_FAILURES:
            self._failures.append((outcome.file, outcome.row, outcome.award_id,
                                   outcome.errors[0] if outcome.errors else ""))
        if status == "done" and outcome.redone and len(self._redone) < _MAX_HTML_FAILURES:
            self._redone.append((outcome.file, outcome.row, outcome.award_id, outcome.redone))

    def start_deliveries(self) -> None:
        """The deliver stage begins: deliveries.csv, and report.json's ``deliveries`` list after
        all the records (so the records keep their form)."""
        if self._deliveries is not None:
            return
        self._deliveries_file = _new_file(self.out_dir / ".deliveries.csv.tmp", encoding=_CSV_ENCODING,
                                          newline="")
        self._deliveries = csv.writer(self._deliveries_file)
        self._deliveries.writerow(DELIVERY_COLUMNS)
        self._json.write('\n],\n"deliveries": [\n')
        self._first = True

    def write_delivery(self, delivery: Delivery) -> None:
        """One delivery attempt: a row of deliveries.csv and an entry of the ``deliveries``."""
        self.start_deliveries()
        award_id = delivery.key.split("/", 1)[-1]
        error = delivery.message if delivery.status in ("failed", NOT_SENT) else ""  # or why not sent
        self._deliveries.writerow([_cell(cell) for cell in (
            award_id, delivery.recipient or "", delivery.status, delivery.path, delivery.target_id or "",
            _one_line(error))])
        record = {"award_id": award_id, "recipient": delivery.recipient, "status": delivery.status,
                  "credential": delivery.path, "target_id": delivery.target_id, "error": error or None}
        self._json.write(("" if self._first else ",\n") + json.dumps(record, ensure_ascii=False))
        self._first = False
        if delivery.status == "failed" and len(self._delivery_failures) < _MAX_HTML_FAILURES:
            self._delivery_failures.append((award_id, delivery.recipient or "", error))

    def discard(self) -> None:
        """The run did not start: nothing of it is reported (the last run's reports stay).
        What waits in the buffers is never needed, and on a full disk cannot be written: an
        error closing a file is no error of the run (which did not start for its own reason)."""
        for handle, name in ((self._csv_file, ".report.csv.tmp"), (self._json, ".report.json.tmp")):
            with contextlib.suppress(OSError):
                (self.out_dir / name).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                handle.close()

    def close(self, result: RunResult) -> Path:
        """Write the summary and put the reports in place: each file is written whole and
        synced under its temporary name first, so one that cannot be written (a full disk)
        leaves the last run's reports as they were, all of them, rather than a report.html
        whose counts disagree with a new report.json; then they are renamed, one after
        another, and the rename made durable."""
        summary = summary_data(result)
        handles = [self._csv_file, self._json]
        names = [".report.csv.tmp", ".report.json.tmp"]
        if self._deliveries_file is not None:
            handles.append(self._deliveries_file)
            names.append(".deliveries.csv.tmp")
        names.append(".report.html.tmp")
        try:
            self._json.write("\n],\n" + json.dumps(summary, ensure_ascii=False, indent=1)[1:-1].strip("\n")
                             + "\n}\n")
            for handle in handles:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
            with _new_file(self.out_dir / ".report.html.tmp", encoding="utf-8") as page:
                page.write(render_html(summary, self._failures, self._delivery_failures, self._redone))
                page.flush()
                os.fsync(page.fileno())
            for name in names:  # a rename onto a folder fails: found before any report is replaced
                final = self.out_dir / name[1:].removesuffix(".tmp")
                if final.is_dir() and not final.is_symlink():
                    raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(final))
        except BaseException:
            for handle in handles:
                with contextlib.suppress(OSError):
                    handle.close()
            for name in names:
                with contextlib.suppress(OSError):
                    (self.out_dir / name).unlink(missing_ok=True)
            raise
        for name in names:
            (self.out_dir / name).replace(self.out_dir / name[1:].removesuffix(".tmp"))
        if self._deliveries_file is None:  # the reports describe the last run: an earlier
            (self.out_dir / "deliveries.csv").unlink(missing_ok=True)  # run's are not this one's
        _sync_folder(self.out_dir)
        return self.out_dir / "report.json"


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where a folder can be opened: not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def summary_data(result: RunResult) -> dict[str, Any]:
    return {"ok": result.done + result.skipped, "done": result.done, "redone": result.redone,
            "skipped": result.skipped, "not_in_input": result.not_in_input,
            "withdrawn_in_input": result.withdrawn_in_input, "erased_in_input": result.erased_in_input,
            "not_read": result.not_read,
            "failed": result.failed, "stopped_early": result.stopped_early,
            "interrupted": result.interrupted, "aborted": result.aborted, "file_errors": result.file_errors,
            "failed_by_stage": result.stage_failures,
            "delivered": result.delivered, "redelivered": result.redelivered,
            "already_delivered": result.already_delivered,
            "unchanged": result.unchanged,
            "delivery_failed": result.delivery_failed, "delivery_not_sent": result.delivery_not_sent,
            "with_warnings": result.with_warnings,
            "catalogue_files": result.catalogue_files, "notes": result.notes,
            "audit_head": result.audit_head,
            "seconds": {k: round(v, 3) for k, v in result.seconds.items()}}


class UnreadableHead(ValueError):
    """OUT/report.json is there but holds no audit head that can be read; says what and the fix."""


_HEAD_VALUE = re.compile(r'"audit_head"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\s]*)')


def reported_head(out_dir: Path) -> tuple[int, str] | None:
    """The audit head the last run wrote at the end of OUT/report.json (read from the file's
    end: the records before it may be millions); None when there is no report.json. A report
    whose head is gone or garbled (cut short, edited) raises :class:`UnreadableHead`: the head
    is what finds events cut off the end, so a report without one is not passed over."""
    path = out_dir / "report.json"
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 8192))
            tail = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnreadableHead(f"{path} cannot be read ({exc.strerror}): the trail is not held to the head "
                             "its run noted; make it readable") from exc
    values = _HEAD_VALUE.findall(tail)
    if not values:
        raise UnreadableHead(f"{path} holds no audit_head (cut short or edited?): the trail cannot be held "
                             "to the head its run noted; restore report.json from a copy")
    found = re.fullmatch(r'"(\d+):([0-9a-f]{64})"', values[-1])  # the last, as a JSON reader takes it
    if found is None:
        raise UnreadableHead(f"{path}: its audit_head {printable(values[-1][:90])} is not EVENT:SHA256 as a "
                             "run writes it (edited?): restore report.json from a copy")
    return int(found.group(1)), found.group(2)


def _esc(text: str) -> str:
    """Text from the input, escaped for HTML and shown as it is: a direction override in an
    award id would show ``BIDI-gpj.exe`` as ``BIDI-exe.jpg``; line breaks are kept."""
    return html.escape("\n".join(printable(line) for line in text.split("\n")))


# report.html's summary rows, in the words of the stderr summary and of report.csv's statuses
# (report.json's keys are for scripts)
_LABELS = {"ok": "done, in this run or earlier", "done": "done", "redone": "of them made again (redone)",
           "skipped": "skipped", "not_in_input": "not in this run's input (not-in-input)",
           "withdrawn_in_input": "withdrawn, still in the input (not exported)",
           "erased_in_input": "erased, still in the input (not exported)",
           "not_read": "rows not read",
           "failed": "failed", "stopped_early": "stopped by --fail-fast", "interrupted": "interrupted",
           "aborted": "stopped on an error", "file_errors": "file errors", "delivered": "delivered",
           "redelivered": "of them sent again (redelivered)",
           "already_delivered": "already there", "unchanged": "unchanged (not sent again)",
           "delivery_failed": "deliveries failed", "delivery_not_sent": "deliveries not sent",
           "with_warnings": "credentials with warnings",
           "audit_head": "audit head"}


def _shown(value: object) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def render_html(summary: dict[str, Any], failures: list[tuple[str, int, str, str]],
                delivery_failures: list[tuple[str, str, str]],
                redone: list[tuple[str, int, str, str]] | None = None) -> str:
    esc = _esc
    rows = "".join(f"<tr><th scope='row'>{esc(_LABELS.get(k, k))}</th><td>{esc(_shown(v))}</td></tr>"
                   for k, v in summary.items() if not isinstance(v, dict | list) and v is not None)
    stages = "".join(f"<tr><th scope='row'>{esc(stage)}</th><td>{summary['failed_by_stage'].get(stage, 0)}"
                     f"</td><td>{seconds}</td></tr>" for stage, seconds in summary["seconds"].items())
    failed = "".join(f"<tr><td>{esc(f)}</td><td>{r or ''}</td><td>{esc(a)}</td>"  # row 0: a file's error
                     f"<td><pre>{esc(e)}</pre></td></tr>" for f, r, a, e in failures)
    listed = summary["failed"] + summary["file_errors"]  # the table lists both
    more = "" if listed <= len(failures) else \
        f"<p>{listed - len(failures)} more failures: see report.csv.</p>"
    deliveries = _delivery_section(summary, delivery_failures)
    notes = "" if not summary["notes"] else \
        "<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in summary["notes"]) + "</ul>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{RUN_REPORT_TITLE}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#111}}
table{{border-collapse:collapse;margin:1rem 0}}
th,td{{border:1px solid #999;padding:.3rem .6rem;text-align:left;vertical-align:top}}
pre{{white-space:pre-wrap;margin:0}}
</style>
</head><body><main>
<h1>edcbridge run report</h1>
<p><strong>{esc(run_verdict(summary))}</strong></p>
<h2>Summary</h2><table>{rows}</table>
<h2>Stages</h2><table><tr><th scope="col">stage</th><th scope="col">failed</th>
<th scope="col">seconds (all workers)</th></tr>{stages}</table>
<h2>Failures</h2>{_failures_none(summary) if not failures else
 '<table><tr><th scope="col">file</th><th scope="col">row</th><th scope="col">award</th>'
 '<th scope="col">first error</th></tr>' + failed + '</table>'}{more}{_redone_section(summary, redone or [])}\
{notes}{deliveries}
</main></body></html>
"""


_AGAIN = "run the same command again (what is done is skipped)"


def run_verdict(summary: dict[str, Any]) -> str:
    """The run in one sentence, for the top of report.html: whether it went through the input,
    and what to do next."""
    problems = _problems(summary)
    handled = "the records listed were handled" + (f" ({problems})" if problems else "")
    left = summary.get("not_read")
    rest = "the rest not read" if left is None else f"{left} row{'' if left == 1 else 's'} not read"
    if summary["aborted"] and _delivering(summary):
        return f"The run stopped on an error ({summary['aborted']}) while it delivered the credentials, " \
               f"after the export: {_stopped_deliveries(summary)}; fix the cause, then {_AGAIN}."
    if summary["aborted"]:
        return f"The run stopped on an error ({summary['aborted']}): {handled}, {rest}; fix the " \
               f"cause, then {_AGAIN}."
    if summary["interrupted"] and _delivering(summary):
        return f"The run was interrupted (Ctrl-C, or SIGTERM as kill, timeout and service managers " \
               f"send) while it delivered the credentials, after the export: " \
               f"{_stopped_deliveries(summary)}; {_AGAIN}."
    if summary["interrupted"]:
        return f"The run was interrupted (Ctrl-C, or SIGTERM as kill, timeout and service managers " \
               f"send): {handled}, {rest}; {_AGAIN}."
    if summary["stopped_early"]:
        after = "the rows after the last one listed were not read" if left is None else \
            f"{rest}, those after the last one listed"
        return f"The run stopped after too many failures in a row (--fail-fast): {problems}; {after}. " \
               f"Correct the input, then {_AGAIN}."
    if problems:
        return f"Not everything went through: {problems}. Correct what the failures below name, " \
               f"then {_AGAIN}.{_withdrawn_rows(summary)}{_erased_rows(summary)}{_absent(summary)}"
    redone = f", {summary['redone']} of them made again, each for the reason given under Made again " \
        f"below and in the redone column of report.csv" if summary.get("redone") else ""
    return f"All {summary['ok']} records are done ({summary['done']} in this run{redone}, " \
           f"{summary['skipped']} skipped as done earlier)." \
           f"{_withdrawn_rows(summary)}{_erased_rows(summary)}{_absent(summary)}"


def _delivering(summary: dict[str, Any]) -> bool:
    """Whether the run reached its deliver stage, which begins once every row is handled."""
    return any(summary.get(key) for key in ("delivered", "already_delivered", "unchanged", "delivery_failed",
                                            "delivery_not_sent"))


def _stopped_deliveries(summary: dict[str, Any]) -> str:
    """What a run stopped during its deliveries did: its records, and the deliveries failed and
    not sent (counted apart, as on stderr and in report.json), each with why in deliveries.csv."""
    records = _problems({**summary, "delivery_failed": 0, "delivery_not_sent": 0})
    return f"the records listed were handled{f' ({records})' if records else ''}, " \
           f"{summary['delivered']} credential(s) delivered, {summary['delivery_failed']} delivery(ies) " \
           f"failed and {_not_sent(summary)} not sent (each says why in deliveries.csv)"


def _not_sent(summary: dict[str, Any]) -> int:
    """The deposits a stopped run did not attempt (0 in a report written before they were counted)."""
    return int(summary.get("delivery_not_sent") or 0)


def _failures_none(summary: dict[str, Any]) -> str:
    """The Failures section when no record failed: it says so of the records, and counts the
    deliveries that failed and those not sent."""
    failed, left = summary.get("delivery_failed"), _not_sent(summary)
    if not (failed or left):
        return "<p>None.</p>"
    return f"<p>No record failed; {failed or 0} delivery(ies) failed and {left} not sent: see " \
           "Deliveries below.</p>"


def _withdrawn_rows(summary: dict[str, Any]) -> str:
    """The rows of withdrawn awards still in the input (no failure): a sentence, else ''."""
    count = summary.get("withdrawn_in_input")
    if not count:
        return ""
    return f" {count} row(s) of awards withdrawn are still in the input and were not exported " \
           f"(withdrawn in report.csv): remove them from the input, or reinstate the awards, as the " \
           f"notes below say."


def _erased_rows(summary: dict[str, Any]) -> str:
    """The rows of awards erased at their learners' request still in the input (no failure): a
    sentence, else ''."""
    count = summary.get("erased_in_input")
    if not count:
        return ""
    return f" {count} row(s) of awards erased at their learners' request are still in the input and were " \
           f"not exported (erased in report.csv): remove them from the input and from the system it is " \
           f"exported from, as the notes below say."


def _absent(summary: dict[str, Any]) -> str:
    """The credentials of the folder whose awards the input no longer holds (counted only by a
    run that read all its input): a sentence after the verdict, else ''."""
    count = summary.get("not_in_input")
    if not count:
        return ""
    return f" {count} credential(s) made by earlier runs are for awards not in this run's input " \
           f"(not-in-input in report.csv): if an award was taken back, withdraw it, as the notes " \
           f"below say."


def _problems(summary: dict[str, Any]) -> str:
    """What failed, counted: records, files with a wrong header or read only part way (the
    file errors: a file of a wrong header has each row read, and failed), deliveries."""
    counts = ((summary["failed"], "record(s) failed"),
              (summary["file_errors"], "file(s) with a wrong header or not read to the end"),
              (summary["delivery_failed"], "delivery(ies) failed"),
              (_not_sent(summary), "delivery(ies) not sent"))
    return ", ".join(f"{count} {what}" for count, what in counts if count)


def _redone_section(summary: dict[str, Any], redone: list[tuple[str, int, str, str]]) -> str:
    """The records done earlier and made again in this run, each with why (report.csv's
    ``redone``): a clerk sees which credentials changed, and so which to send out again."""
    if not summary.get("redone"):
        return ""
    esc = _esc
    rows = "".join(f"<tr><td>{esc(f)}</td><td>{r or ''}</td><td>{esc(a)}</td><td>{esc(why)}</td></tr>"
                   for f, r, a, why in redone)
    more = "" if summary["redone"] <= len(redone) else \
        f"<p>{summary['redone'] - len(redone)} more: see the redone column of report.csv.</p>"
    return ('<h2>Made again (redone)</h2><table><tr><th scope="col">file</th><th scope="col">row</th>'
            f'<th scope="col">award</th><th scope="col">why</th></tr>{rows}</table>{more}')


def _delivery_section(summary: dict[str, Any], failures: list[tuple[str, str, str]]) -> str:
    unchanged = "" if not summary.get("unchanged") else \
        f"<p>{summary['unchanged']} credential(s) {_esc(UNCHANGED)}.</p>"
    unchanged += _not_sent_said(summary)
    if not failures:
        return "" if not unchanged else f"<h2>Deliveries</h2>{unchanged}"
    esc = _esc
    rows = "".join(f"<tr><td>{esc(a)}</td><td>{esc(r)}</td><td><pre>{esc(e)}</pre></td></tr>"
                   for a, r, e in failures)
    more = "" if summary["delivery_failed"] <= len(failures) else \
        f"<p>{summary['delivery_failed'] - len(failures)} more: see deliveries.csv.</p>"
    return (f'<h2>Deliveries</h2>{unchanged}<h2>Failed deliveries</h2><table><tr><th scope="col">award</th>'
            f'<th scope="col">recipient</th><th scope="col">error</th></tr>{rows}</table>{more}')


def _not_sent_said(summary: dict[str, Any]) -> str:
    """The deposits the run did not attempt, counted once (the notes say why; deliveries.csv
    lists each, as not-sent, with its reason) rather than as failures."""
    left = _not_sent(summary)
    if not left:
        return ""
    return f"<p>{left} delivery(ies) not sent: the run did not attempt them (the notes above say why); " \
           "deliveries.csv lists each as not-sent, with the reason; the same command sends them.</p>"


def erase_from_reports(out_dir: Path, awards: dict[str, str], note: Callable[[int], str],
                       rows: Collection[tuple[str, int | None, str]] = ()) -> list[Path]:
    """Take the rows of the awards erased at their learners' request out of the last run's
    reports (report.json, report.csv, report.html, deliveries.csv): ``awards`` maps each award
    id to the start of its files' names (``safe_name(issuer, award_id)``), so that a row of
    another issuer's award of the same id, which names its files, stays. The counts stay the
    run's; ``note`` says so in report.json's and report.html's notes. Each file is replaced
    whole. A row a run wrote after the erasure (status ``erased``: the key and the erasure's note,
    no personal data) stays, as the counts say it. ``rows``: refused rows naming no file, each as
    ``(file, row, award_id)``, taken out too (a learner's, whose award may have no record).
    Returns the reports that held such rows."""
    path = out_dir / "report.json"
    if not path.is_file() or not (awards or rows):
        return []
    report = json.loads(path.read_text(encoding="utf-8"))
    all_records, all_deliveries = report.get("records", []), report.get("deliveries") or []
    refused = set(rows)
    records = [r for r in all_records if r.get("status") == "erased"
               or not (_erased_row(r.get("award_id"), r.get("outputs"), awards)
                       or _refused_row((r.get("file"), r.get("row"), r.get("award_id")), r.get("outputs"),
                                       refused))]
    deliveries = [d for d in all_deliveries if d.get("award_id") not in awards]
    if len(records) == len(all_records) and len(deliveries) == len(all_deliveries):
        return []
    kept = {id(row) for row in [*records, *deliveries]}
    taken = {str(row.get("award_id")) for row in [*all_records, *all_deliveries] if id(row) not in kept}
    summary = {key: value for key, value in report.items() if key not in ("records", "deliveries")}
    summary["notes"] = [*summary.get("notes", []), note(len(taken))]
    _replace(out_dir, "report.json", "utf-8", None, lambda handle: _report_json(handle, records,
             deliveries if "deliveries" in report else None, summary))
    cells = {str(_cell(award_id)) for award_id in awards}
    refused_cells = {(str(_cell(file)), "" if row is None else str(row), str(_cell(award_id)))
                     for file, row, award_id in refused}
    _replace(out_dir, "report.csv", _CSV_ENCODING, "", lambda handle: _filtered_csv(
        out_dir / "report.csv", handle,
        lambda row: row[3:4] == ["erased"] or not (_erased_row(row[2], row[5].split(), awards, cell=True)
                                                   or _refused_row(tuple(row[:3]), row[5], refused_cells))))
    if (out_dir / "deliveries.csv").is_file():
        _replace(out_dir, "deliveries.csv", _CSV_ENCODING, "", lambda handle: _filtered_csv(
            out_dir / "deliveries.csv", handle, lambda row: row[0] not in cells))
    failures = [(r["file"], r["row"], r["award_id"], (r.get("errors") or [""])[0]) for r in records
                if r.get("status") in ("failed", "file-error")][:_MAX_HTML_FAILURES]
    delivery_failures = [(d["award_id"], d.get("recipient") or "", d["error"]) for d in deliveries
                         if d.get("status") == "failed" and d.get("error")][:_MAX_HTML_FAILURES]
    redone = [(r["file"], r["row"], r["award_id"], r["redone"]) for r in records
              if r.get("status") == "done" and r.get("redone")][:_MAX_HTML_FAILURES]
    _replace(out_dir, "report.html", "utf-8", None,
             lambda handle: handle.write(render_html(summary, failures, delivery_failures, redone)))
    _sync_folder(out_dir)
    return [out_dir / name for name in ("report.json", "report.csv", "report.html", "deliveries.csv")
            if (out_dir / name).is_file()]


def _erased_row(award_id: Any, outputs: Any, awards: dict[str, str], cell: bool = False) -> bool:
    """Whether a report row is of an erased award: its id, and its files (when it names any)
    of that award's name. ``cell``: the id as report.csv writes it."""
    names = {str(_cell(a)) if cell else a: name for a, name in awards.items()}
    if award_id not in names:
        return False
    paths = list(outputs.values()) if isinstance(outputs, dict) else list(outputs or [])
    return not paths or any(Path(str(p)).name.startswith(names[award_id] + ".") for p in paths)


def _refused_row(place: tuple[Any, ...], outputs: Any, refused: set[tuple[Any, ...]]) -> bool:
    """Whether a report row at ``place`` (file, row, award id) naming ``outputs`` is one of the
    refused rows to take out: those name no file."""
    return not outputs and place in refused


def _replace(out_dir: Path, name: str, encoding: str, newline: str | None, write: Any) -> None:
    """Write ``name`` anew under a temporary name, synced, and put it in place."""
    def whole(handle: IO[str]) -> bool:
        write(handle)
        return True

    rewrite_report(out_dir / name, encoding, newline, "edcbridge-json-text", whole)


def rewrite_report(path: Path, encoding: str, newline: str | None, errors: str,
                   write: Callable[[IO[str]], bool]) -> bool:
    """Write the report ``path`` anew under a temporary name (``.NAME.tmp``), synced, and put it in
    place, so that it is never half written; unless ``write`` returns False, which leaves the
    report as it was. Whether it was put in place."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with _new_file(temporary, encoding, newline=newline, errors=errors) as handle:
            keep = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if not keep:
        temporary.unlink(missing_ok=True)
        return False
    temporary.replace(path)
    return True


def _report_json(handle: IO[str], records: list[Any], deliveries: list[Any] | None,
                 summary: dict[str, Any]) -> None:
    """report.json laid out as a run writes it: a record a line, the summary (audit head) last."""
    handle.write('{"records": [\n' + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    if deliveries is not None:
        handle.write('\n],\n"deliveries": [\n'
                     + ",\n".join(json.dumps(d, ensure_ascii=False) for d in deliveries))
    handle.write("\n],\n" + json.dumps(summary, ensure_ascii=False, indent=1)[1:-1].strip("\n") + "\n}\n")


def report_rows(handle: IO[str]) -> Iterator[list[str]]:
    """The rows of report.csv, deliveries.csv or a push's results. A cell holds what the input
    (or a wallet's answer) held, quoted whole in an error (a quote left open makes the rest of an
    awards file one cell, up to the 16 MiB the reader takes): past csv's 128 KiB, which a process
    that read no awards file keeps."""
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
    return csv.reader(handle)


def _filtered_csv(source: Path, handle: IO[str], keep: Any) -> None:
    """The rows of ``source`` (header first) that ``keep`` keeps, written to ``handle``."""
    with source.open(encoding=_CSV_ENCODING, newline="") as read:
        rows = report_rows(read)
        writer = csv.writer(handle)
        writer.writerow(next(rows, []))
        writer.writerows(row for row in rows if keep(row))
