"""Per-item outcomes of a push, and the result report (JSON and CSV, written atomically)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from edcbridge.folder_files import PUSH_COLUMNS
from edcbridge.output import plain_cell, text_cell, write_atomic

# "upsert": sent by the CSV route for a report the state file does not know; the register then
# creates it or updates the report with its local identifier, and does not say which.
Action = Literal["create", "update", "upsert", "delete", "skip", "deposit", "refuse"]
Status = Literal["planned", "ok", "skipped", "failed"]
COLUMNS = PUSH_COLUMNS


@dataclass(frozen=True)
class Outcome:
    """What happened to one item: its ``status``, the server's word, and ``action``: the one
    planned (dry run, refused or not attempted) or, once sent, the one taken."""

    key: str
    action: Action
    status: Status
    target_id: str = ""
    detail: str = ""  # e.g. created / updated / already-delivered / duplicate->updated
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return dict(sorted(counts.items()))


def write_results(
    out_dir: Path, name: str, target: str, dry_run: bool, outcomes: list[Outcome],
    interrupted: bool = False,
) -> list[Path]:
    """``<name>.json`` and ``<name>.csv`` in ``out_dir``; returns their paths. An interrupted
    run's report says so (``"interrupted": true``)."""
    document: dict[str, Any] = {
        "target": target,
        "dry_run": dry_run,
        "summary": summary(outcomes),
        "items": [o.as_dict() for o in outcomes],
    }
    if interrupted:
        document = {"target": target, "dry_run": dry_run, "interrupted": True,
                    **{k: v for k, v in document.items() if k not in ("target", "dry_run")}}
    json_path, csv_path = out_dir / f"{name}.json", out_dir / f"{name}.csv"
    write_atomic(json_path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for outcome in outcomes:
        writer.writerow({column: text_cell(value) for column, value in outcome.as_dict().items()})
    write_atomic(csv_path, buffer.getvalue().encode("utf-8"))
    return [json_path, csv_path]


def drop_results(out_dir: Path, name: str, gone: Callable[[str], bool], note: str) -> int:
    """Take the items whose keys ``gone`` names out of ``<name>.json`` and ``<name>.csv`` in
    ``out_dir``, each replaced whole; the summary stays the run's, and ``note`` says rows were
    taken out. Returns how many items went from the JSON file. Raises OSError or ValueError
    when a file cannot be read or written."""
    dropped = _drop_from_json(out_dir / f"{name}.json", gone, note)
    _drop_from_csv(out_dir / f"{name}.csv", gone)
    return dropped


def _drop_from_json(path: Path, gone: Callable[[str], bool], note: str) -> int:
    if not path.is_file():
        return 0
    document = json.loads(path.read_text("utf-8"))
    items = document.get("items") or []
    kept = [item for item in items if not gone(str(item.get("key", "")))]
    if len(kept) == len(items):
        return 0
    document["items"] = kept
    document["notes"] = [*document.get("notes", []), note]
    write_atomic(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return len(items) - len(kept)


def _drop_from_csv(path: Path, gone: Callable[[str], bool]) -> None:
    """A message may quote what a wallet or register answered whole, past csv's 128 KiB: read
    as report.csv is (erase runs in a process of its own, which read no awards file)."""
    from edcbridge.pipeline.reports import report_rows

    if not path.is_file():
        return
    cells = report_rows(io.StringIO(path.read_text("utf-8")))
    header = next(cells, [])
    rows = [dict(zip(header, row, strict=False)) for row in cells if row]
    kept = [row for row in rows if not gone(plain_cell(row.get("key") or ""))]
    if len(kept) == len(rows):
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(kept)
    write_atomic(path, buffer.getvalue().encode("utf-8"))
