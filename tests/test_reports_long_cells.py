"""A cell of report.csv as long as the input made it: the commands that rewrite the reports
later (erase, withdraw: each a process of its own) read it."""

from __future__ import annotations

import csv
from pathlib import Path

from edcbridge.pipeline.reports import ReportWriter, erase_from_reports
from edcbridge.pipeline.runner import RunResult
from edcbridge.pipeline.worker import Outcome


def test_erase_takes_rows_out_of_a_report_csv_holding_a_cell_past_128_kib(
        tmp_path: Path, csv_limit_kept: None) -> None:
    long_error = "awards.csv:3: column 'specification' = '" + "X" * 140_000 + "': no such specification"
    writer = ReportWriter(tmp_path)
    writer.write(Outcome("imperial/A-1", "awards.csv", 2, "A-1", "h", "done",
                         outputs={"edc": {"path": str(tmp_path / "edc" / "imperial_A-1.jsonld")}}), "done")
    writer.write(Outcome("", "awards.csv", 3, "A-2", "", "failed", "load", errors=[long_error]), "failed")
    writer.close(RunResult(done=1, failed=1))
    csv.field_size_limit(128 * 1024)  # as erase, a process of its own, finds it
    erase_from_reports(tmp_path, {"A-1": "imperial_A-1"}, lambda count: f"{count} award(s) erased")
    with (tmp_path / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [(row["award_id"], len(row["errors"])) for row in csv.DictReader(handle)] == \
            [("A-2", len(long_error))]
