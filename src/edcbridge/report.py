"""Run reports: a per-record CSV and JSON beside the outputs, and the people-facing summary."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from edcbridge.export import RunSummary
from edcbridge.output import write_atomic


def write_reports(summary: RunSummary, out_dir: Path) -> tuple[Path, Path]:
    records = [{"file": r.file, "row": r.row, "award_id": r.award_id, "status": r.status,
                "outputs": r.outputs, "errors": r.errors, "warnings": r.warnings}
               for r in summary.records]
    data = {"ok": summary.ok, "failed": summary.failed, "records": records,
            "seconds": {k: round(v, 3) for k, v in summary.seconds.items()}}
    json_path = out_dir / "report.json"
    write_atomic(json_path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["file", "row", "award_id", "status", "outputs", "errors"])
    for r in summary.records:
        writer.writerow([r.file, r.row, r.award_id, r.status, " ".join(r.outputs.values()),
                         " | ".join(e.replace("\n    ", " -- ") for e in r.errors)])
    csv_path = out_dir / "report.csv"
    write_atomic(csv_path, buffer.getvalue().encode("utf-8"))
    return json_path, csv_path


def summary_text(summary: RunSummary) -> str:
    total = len(summary.records)
    busy = sum(summary.seconds.values())
    rate = f", {total / busy:.1f} records/s" if busy > 0 else ""
    stages = ", ".join(f"{k} {v:.2f}s" for k, v in summary.seconds.items())
    return f"{summary.ok} exported, {summary.failed} failed of {total} records{rate} ({stages})"
