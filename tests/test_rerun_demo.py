"""`edcbridge demo`, run and run again: stdout lists every file each run writes (the Open
Badges and CLR files too), and the second run's report keeps the first one's warnings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from edcbridge import cli
from edcbridge.cli import main
from tests.conftest import FIXTURES


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _demo(fixtures: Path, out: Path) -> Result:
    return CliRunner().invoke(main, ["demo", "--out", str(out), "--fixtures", str(fixtures)])


def _badge_files(out: Path) -> set[str]:
    return {str(path) for folder in ("ob3", "clr") for path in (out / folder).iterdir()}


def _records(out: Path) -> tuple[dict[str, Any], dict[str, list[str]]]:
    report = json.loads((out / "report.json").read_text("utf-8"))
    return report, {record["award_id"]: record["warnings"] for record in report["records"]}


def test_demo_lists_its_badges_on_stdout_and_keeps_warnings_when_run_again(env: None, tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "galway", fixtures / "galway")
    out = tmp_path / "out"
    first = _demo(fixtures, out)
    assert first.exit_code == 0, first.stderr
    badges = _badge_files(out)
    assert badges and badges <= set(first.stdout.splitlines())
    made, made_warnings = _records(out)
    assert made["with_warnings"] > 0
    again = _demo(fixtures, out)
    assert again.exit_code == 0, again.stderr
    assert _badge_files(out) == badges and badges <= set(again.stdout.splitlines())  # written again
    skipped, skipped_warnings = _records(out)
    assert skipped["skipped"] == len(skipped["records"]) == len(made["records"])
    assert skipped_warnings == made_warnings and skipped["with_warnings"] == made["with_warnings"]


def test_demo_interrupted_stops_before_the_badges(env: None, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during the export means stop: no Open Badges or CLR files are written after it."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "galway", fixtures / "galway")
    monkeypatch.setattr(cli, "_run_jobs", lambda *args, **kwargs: cli.EXIT_INTERRUPTED)
    result = _demo(fixtures, tmp_path / "out")
    assert result.exit_code == cli.EXIT_INTERRUPTED, result.output
    assert not (tmp_path / "out" / "ob3").exists() and not (tmp_path / "out" / "clr").exists()
    assert result.stdout == ""


def test_demo_run_again_on_a_changed_row_makes_its_badges_anew_rather_than_removing_them(
        env: None, tmp_path: Path) -> None:
    """A demo makes the Open Badges and CLRs after its export, so an award made again from a
    changed row keeps them, made from the row as it is now, with no note to make them again."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "imperial", fixtures / "imperial")
    out = tmp_path / "out"
    assert _demo(fixtures, out).exit_code == 0
    awards = fixtures / "imperial" / "awards.csv"
    text = awards.read_text("utf-8-sig")
    (row,) = [line for line in text.splitlines() if line.startswith("IMP-2025-000101,")]
    awards.write_text(text.replace(row, row.replace(",Distinction,", ",MALLORY,")), "utf-8")
    again = _demo(fixtures, out)
    assert again.exit_code == 0, again.stderr
    assert "Open Badge(s)" not in again.stderr, again.stderr
    report, _ = _records(out)
    (redone,) = [record["redone"] for record in report["records"] if record["award_id"] == "IMP-2025-000101"]
    assert redone == "the row changed", redone
    assert "MALLORY" in (out / "ob3" / "imperial_IMP-2025-000101.json").read_text("utf-8")
