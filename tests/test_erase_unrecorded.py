"""``edcbridge erase`` of an award whose row was refused before the journal made a record of it
(a value malformed): the last run's reports quote the learner's data in its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
SECRET = "learner.private@@example"


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _exported(tmp_path: Path) -> Path:
    lines = (FIXTURES / "imperial" / "awards.csv").read_text(encoding="utf-8-sig").splitlines()[:3]
    lines[2] = lines[2].replace("e.papadopoulou@example.gr", SECRET)
    assert SECRET in lines[2]
    awards, out = tmp_path / "awards.csv", tmp_path / "out"
    awards.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _cli("export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1")
    assert result.exit_code == 1, result.output
    return out


def _holding(out: Path) -> list[str]:
    return sorted(path.name for path in out.rglob("*")
                  if path.is_file() and SECRET.encode() in path.read_bytes())


@pytest.mark.parametrize("given", ["IMP-2025-000102", "imperial/IMP-2025-000102"])
def test_an_award_refused_before_its_record_leaves_no_quote_of_the_learner_in_the_reports(
        tmp_path: Path, given: str) -> None:
    out = _exported(tmp_path)
    assert _holding(out) == ["report.csv", "report.html", "report.json"]
    result = _cli("erase", str(out), given, "--reason", "DPO-7")
    assert result.exit_code == 0, result.output
    assert "failed before the journal made a record of it" in result.output
    assert _holding(out) == []
    assert "IMP-2025-000101" in (out / "report.csv").read_text(encoding="utf-8-sig")


def test_an_award_id_in_no_report_and_no_journal_is_still_not_found(tmp_path: Path) -> None:
    out = _exported(tmp_path)
    result = _cli("erase", str(out), "imperial/IMP-2025-000999", "--reason", "DPO-7")
    assert result.exit_code == 1 and "no such award" in result.output, result.output
    assert _holding(out) == ["report.csv", "report.html", "report.json"]
