"""report.csv and deliveries.csv as a registry office opens them: in Excel (double-click), in a
terminal (``cat``, ``less``), with line tools (``wc -l``, ``grep``); and report.json as any JSON
parser reads it, whatever an awards file or its name holds."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.pipeline.delivery import Delivery
from edcbridge.pipeline.reports import ReportWriter
from edcbridge.pipeline.runner import RunResult
from tests.conftest import FIXTURES

GALWAY = FIXTURES / "galway"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _excel_rows(path: Path) -> list[dict[str, str]]:
    """What Excel shows when the file is opened by a double-click: UTF-8 when the file starts
    with a byte order mark, the ANSI code page (Windows-1252 in western Europe) otherwise."""
    data = path.read_bytes()
    text = data[len(BOM):].decode("utf-8") if data.startswith(BOM) else data.decode("cp1252", "replace")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _awards_with_ids(path: Path, ids: list[str]) -> Path:
    rows = [json.loads(line) for line in (GALWAY / "awards.jsonl").read_text("utf-8").splitlines()]
    lines = []
    for index, award_id in enumerate(ids):
        row = dict(rows[index % len(rows)])
        row["award_id"] = award_id
        lines.append(json.dumps(row, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _export(awards: Path, out: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["export", str(awards), "-c", str(GALWAY / "catalogue.yaml"),
                                     "-o", str(out), "-j", "1", "-q"])


def test_excel_reads_report_csv_as_utf8(env: None, tmp_path: Path) -> None:
    """Without a byte order mark Excel reads UTF-8 as Windows-1252: 'É' shows as 'Ã‰'."""
    ids = ["ÉIRE-0001", "Łódź-0002", "Ó-Súilleabháin-3"]
    result = _export(_awards_with_ids(tmp_path / "awards.jsonl", ids), tmp_path / "out")
    assert result.exit_code == 0, result.output
    rows = _excel_rows(tmp_path / "out" / "report.csv")
    assert [row["award_id"] for row in rows] == ids
    assert list(rows[0]) == ["file", "row", "award_id", "status", "stage", "outputs", "errors", "redone"]
    with (tmp_path / "out" / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [row["award_id"] for row in csv.DictReader(handle)] == ids  # and a script reads it


def test_excel_reads_deliveries_csv_as_utf8(tmp_path: Path) -> None:
    writer = ReportWriter(tmp_path)
    writer.write_delivery(Delivery("galway/ÉIRE-1", "seán@example.ie", str(tmp_path / "c.jsonld"),
                                   "failed", "refusé: déjà là", frozenset()))
    writer.close(RunResult(delivery_failed=1))
    rows = _excel_rows(tmp_path / "deliveries.csv")
    assert [(r["award_id"], r["recipient"], r["error"]) for r in rows] == \
        [("ÉIRE-1", "seán@example.ie", "refusé: déjà là")]


def test_each_record_of_report_csv_is_one_line_with_nothing_a_terminal_or_excel_acts_on(
        env: None, tmp_path: Path) -> None:
    """An award id with a line break (a failed row), a direction override (shown reversed:
    'BIDI-exe.jpg'), a tab, an escape sequence (``cat report.csv`` turns the terminal red):
    each cell shows them escaped, as the HTML summary does, and a record is one line."""
    ids = ["G-1\nG-2", "BIDI-\u202egpj.exe", "TAB\t=1", "\x1b[31mRED"]
    result = _export(_awards_with_ids(tmp_path / "awards.jsonl", ids), tmp_path / "out")
    assert result.exit_code == 1, result.output  # none loads: each holds a character not seen
    raw = (tmp_path / "out" / "report.csv").read_bytes().decode("utf-8-sig")
    lines = raw.split("\r\n")
    assert lines[-1] == "" and len(lines) == 1 + len(ids) + 1  # header, a line per record, the end
    for character in "\t\x1b\u202e\u202c":
        assert character not in raw
    assert raw.count("\n") == len(ids) + 1  # wc -l
    rows = _excel_rows(tmp_path / "out" / "report.csv")
    assert [row["award_id"] for row in rows] == ["G-1\\nG-2", "BIDI-\\u202egpj.exe", "TAB\\t=1",
                                                 "\\x1b[31mRED"]
    assert rows[0]["status"] == "failed" and " -- fix: " in rows[0]["errors"]
    records = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["records"]
    assert [r["award_id"] for r in records[1:]] == ids[1:]  # report.json keeps them as they are


def test_an_error_of_several_lines_is_one_line_of_report_csv(tmp_path: Path) -> None:
    """A seal or an internal error quotes an exception's text, which may hold line breaks
    that are not the ``\\n    fix:`` of the loader's errors."""
    from edcbridge.pipeline.worker import Outcome

    writer = ReportWriter(tmp_path)
    errors = ["seal: the TSA said:\r\nHTTP/1.1 503\nRetry later\n    fix: try again", "=second\u2028line"]
    writer.write(Outcome("k/A-1", "awards.csv", 2, "A-1", "", "failed", "seal", errors=errors), "failed")
    writer.close(RunResult(failed=1))
    raw = (tmp_path / "report.csv").read_bytes().decode("utf-8-sig")
    assert raw.count("\n") == 2 and "\u2028" not in raw
    [row] = _excel_rows(tmp_path / "report.csv")
    assert row["errors"] == ("seal: the TSA said: -- HTTP/1.1 503 -- Retry later -- fix: try again"
                             " | =second -- line")


def test_an_awards_file_whose_name_is_not_utf8_is_reported(env: None, tmp_path: Path) -> None:
    """A file copied from an old share keeps a Latin-1 name (``café.jsonl`` as bytes): the
    reports used to stop the run with a traceback (a lone surrogate cannot be written as UTF-8),
    leaving a report.json whose counts disagreed with its records."""
    name = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.jsonl")
    shutil.copy(GALWAY / "awards.jsonl", name)
    result = _export(Path(name), tmp_path / "out")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert report["aborted"] is None and len(report["records"]) == report["done"] > 0
    assert all(r["file"].endswith("caf\\udce9.jsonl") for r in report["records"])
    rows = _excel_rows(tmp_path / "out" / "report.csv")
    assert len(rows) == report["done"] and rows[0]["file"].endswith("caf\\udce9.jsonl")
    page = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert "<h1>edcbridge run report</h1>" in page
