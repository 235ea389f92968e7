"""``edcbridge withdraw`` stopped (Ctrl-C) after the journal took the withdrawal but before the
last run's reports were marked: the same command run again marks them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.pipeline import withdraw
from tests.conftest import FIXTURES

WALES = FIXTURES / "wales"
KEY = "aber/ABER-25-0002"


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _statuses(out: Path) -> tuple[list[str], list[str]]:
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [row["status"] for row in csv.DictReader(handle) if row["award_id"] == KEY.split("/")[1]]
    records = json.loads((out / "report.json").read_text(encoding="utf-8"))["records"]
    return rows, [record["status"] for record in records if record.get("award_id") == KEY.split("/")[1]]


def _stopped_before_the_reports(monkeypatch: pytest.MonkeyPatch, out: Path, *undo: str) -> None:
    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt
    with monkeypatch.context() as patch:
        patch.setattr(withdraw, "_mark_reports", interrupted)
        result = _cli("withdraw", str(out), KEY, "--reason", "entered in error", *undo)
    assert result.exit_code == 130, result.output


def test_withdraw_run_again_after_a_stop_marks_the_reports_once(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    exported = _cli("export", str(WALES / "awards.csv"), "-c", str(WALES / "catalogue.yaml"), "-o", str(out),
                    "-j", "1")
    assert exported.exit_code == 0, exported.output
    _stopped_before_the_reports(monkeypatch, out)
    assert _statuses(out) == (["done"], ["done"])
    again = _cli("withdraw", str(out), KEY, "--reason", "entered in error")
    assert again.exit_code == 0 and "withdrawn already" in again.output, again.output
    assert _statuses(out) == (["withdrawn"], ["withdrawn"])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count(f"{KEY}: withdrawn on") == 1
    once_more = _cli("withdraw", str(out), KEY, "--reason", "entered in error")
    assert once_more.exit_code == 0, once_more.output
    assert (out / "report.html").read_text(encoding="utf-8") == page  # marked once, not again


def test_undo_run_again_after_a_stop_marks_the_reports_reinstated_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    exported = _cli("export", str(WALES / "awards.csv"), "-c", str(WALES / "catalogue.yaml"), "-o", str(out),
                    "-j", "1")
    assert exported.exit_code == 0, exported.output
    assert _cli("withdraw", str(out), KEY, "--reason", "entered in error").exit_code == 0
    assert _statuses(out) == (["withdrawn"], ["withdrawn"])
    _stopped_before_the_reports(monkeypatch, out, "--undo")
    assert _statuses(out) == (["withdrawn"], ["withdrawn"])
    again = _cli("withdraw", str(out), KEY, "--undo", "--reason", "in error")
    assert again.exit_code == 0 and "reinstated already" in again.output, again.output
    assert _statuses(out) == (["reinstated"], ["reinstated"])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count(f"{KEY}: reinstated after") == 1
    assert _cli("withdraw", str(out), KEY, "--undo", "--reason", "in error").exit_code == 0
    assert (out / "report.html").read_text(encoding="utf-8") == page
