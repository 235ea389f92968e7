"""The last run's reports brought up to date when ``edcbridge withdraw`` takes an award back
(or ``--undo`` reinstates it): its entries in report.csv and report.json get the new status and
say when, by whom and why, and report.html says so above its counts (which stay the run's).

Without this, the reports went on listing a withdrawn credential as done, at a path it is no
longer at, until the next export run.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from edcbridge.output import printable
from edcbridge.pipeline.reports import (
    _CSV_ENCODING,
    _cell,
    _one_line,
    _sync_folder,
    report_rows,
    rewrite_report,
)

_RECORD_START = '{"file": '  # a record's line of report.json (see ReportWriter.write)
_HEADING = "<h1>edcbridge run report</h1>\n"


@dataclass(frozen=True)
class ReportMark:
    """An award whose standing changed after the reports were written: its key, its new status
    (``withdrawn`` or ``reinstated``), what to say of it, and its files as the reports name them
    (their place in OUT, ``edc/<issuer>_<award_id>.jsonld``)."""

    key: str
    status: str
    note: str
    files: tuple[str, ...]
    catch_up: bool = False  # of a command stopped before it marked them: only reports not marked yet

    def names(self, outputs: Iterable[str], stage: str, errors: str) -> bool:
        """Whether a report entry, by its outputs, or as a row refused as withdrawn, is this award's
        (its error naming the award as report.json holds it, or as report.csv shows it)."""
        named = f"award {self.key} was "
        if stage == "withdrawn" and (named in errors or str(_cell(named)) in errors):
            return True
        if self.catch_up and self.status == "reinstated" and f"{self.key}: withdrawn on " in errors:
            return True  # marked withdrawn before: the reinstatement knows no files of it
        wanted = tuple(f"/{file}" for file in self.files)
        return any(path.replace("\\", "/").endswith(wanted) or path in self.files for path in outputs)


def mark_reports(out_dir: Path, marks: list[ReportMark]) -> list[Path]:
    """Mark the awards in OUT's report.csv, report.json and report.html; the reports changed.
    Each is rewritten under a temporary name and renamed, so a report is never half written."""
    marks = [mark for mark in marks if not mark.catch_up or _unmarked(out_dir, mark)]
    if not marks:
        return []
    changed = [path for path, rewrite in ((out_dir / "report.csv", _rewrite_csv),
                                          (out_dir / "report.json", _rewrite_json),
                                          (out_dir / "report.html", _rewrite_html))
               if path.is_file() and _replace(path, marks, rewrite)]
    if changed:
        _sync_folder(out_dir)
    return changed


def _unmarked(out_dir: Path, mark: ReportMark) -> bool:
    """Whether report.csv (or, without it, report.json) lists the award in another status than
    the mark's: a command stopped before it marked the reports left them so."""
    csv_path, json_path = out_dir / "report.csv", out_dir / "report.json"
    if csv_path.is_file():
        with csv_path.open(encoding=_CSV_ENCODING, newline="", errors="surrogateescape") as source:
            rows = report_rows(source)
            header = next(rows, [])
            column = {name: index for index, name in enumerate(header)}
            return any(len(row) == len(header) and row[column["status"]] != mark.status
                       and mark.names(row[column["outputs"]].split(" "), row[column["stage"]],
                                      row[column["errors"]]) for row in rows)
    if not json_path.is_file():
        return False
    with json_path.open(encoding="utf-8", errors="surrogateescape") as source:
        for line in source:
            body = line.rstrip("\n").removesuffix(",")
            if body.startswith(_RECORD_START) and _may_name(body, [mark]):
                record = json.loads(body)
                if record.get("status") != mark.status and mark.names(
                        (record.get("outputs") or {}).values(), record.get("stage") or "",
                        "\n".join(record.get("errors") or [])):
                    return True
    return False


def _replace(path: Path, marks: list[ReportMark], rewrite: Any) -> bool:
    """A note naming a folder that is no UTF-8 holds a lone surrogate: report.json gets it as
    the text ``\\udce9``, as a run writes it (a byte 0xE9 there is JSON no parser reads)."""
    encoding = _CSV_ENCODING if path.suffix == ".csv" else "utf-8"
    errors = "edcbridge-json-text" if path.suffix == ".json" else "surrogateescape"
    with path.open(encoding=encoding, newline="", errors="surrogateescape") as source:
        return rewrite_report(path, encoding, "", errors,
                              lambda target: bool(rewrite(source, target, marks)))


def _mark_of(marks: list[ReportMark], outputs: Iterable[str], stage: str, errors: str) -> ReportMark | None:
    outputs = list(outputs)
    return next((mark for mark in marks if mark.names(outputs, stage, errors)), None)


def _rewrite_csv(source: IO[str], target: IO[str], marks: list[ReportMark]) -> int:
    rows = report_rows(source)
    writer = csv.writer(target)
    header = next(rows, None)
    if header is None:
        return 0
    writer.writerow(header)
    column = {name: index for index, name in enumerate(header)}
    hits = 0
    for row in rows:
        mark = None if len(row) != len(header) else \
            _mark_of(marks, row[column["outputs"]].split(" "), row[column["stage"]], row[column["errors"]])
        if mark is not None:
            row[column["status"]] = mark.status
            row[column["errors"]] = str(_cell(_one_line(mark.note)))
            hits += 1
        writer.writerow(row)
    return hits


def _rewrite_json(source: IO[str], target: IO[str], marks: list[ReportMark]) -> int:
    """Line by line (the records may be millions): each record is one line of its own."""
    hits = 0
    for line in source:
        body = line.rstrip("\n")
        comma = body.endswith(",")
        if body.startswith(_RECORD_START) and _may_name(body, marks):
            record = json.loads(body.removesuffix(","))
            mark = _mark_of(marks, (record.get("outputs") or {}).values(), record.get("stage") or "",
                            "\n".join(record.get("errors") or []))
            if mark is not None:
                record["status"] = mark.status
                record["errors"] = [mark.note]
                line = json.dumps(record, ensure_ascii=False) + ("," if comma else "") + \
                    line[len(body):]
                hits += 1
        target.write(line)
    return hits


def _may_name(line: str, marks: list[ReportMark]) -> bool:
    """A quick look before a record's line is parsed: does it name a file marked, or was it
    refused as withdrawn?"""
    return '"stage": "withdrawn"' in line or any(file in line for mark in marks for file in mark.files) \
        or any(json.dumps(f"{mark.key}: withdrawn on ", ensure_ascii=False)[1:-1] in line
               for mark in marks if mark.catch_up)


def _rewrite_html(source: IO[str], target: IO[str], marks: list[ReportMark]) -> int:
    page = source.read()
    if _HEADING not in page:
        return 0
    notices = "".join(f"<p><strong>{html.escape(printable(_one_line(mark.note)))}</strong></p>\n"
                      for mark in marks)
    target.write(page.replace(_HEADING, _HEADING + notices, 1))
    return len(marks)


def withdrawn_note(key: str, note: str, out_dir: Path) -> str:
    return (f"{key}: {note} (after this report was written); its files are in {out_dir / 'withdrawn'}, "
            "and report.csv and report.json mark its rows withdrawn; the counts are this run's")


def reinstated_note(key: str, out_dir: Path) -> str:
    return (f"{key}: reinstated after this report was written; its files stay in {out_dir / 'withdrawn'}, "
            "and the next export run whose input holds it exports it again")

