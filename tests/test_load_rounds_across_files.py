"""An award repeated in a second file is called so in the run that reads it, with the row's
other errors, not in the run after they are fixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES

HEADER = "award_id,specification,learner_id,given_name,family_name,date_of_birth,email,awarding_date,grade\n"


def test_a_refused_row_repeating_another_files_award_is_told_both(store, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(HEADER + "X-1,IMP-MC-MLH,S1,Ana,Jones,1990-01-02,a@example.org,2025-07-14,Merit\n",
                     encoding="utf-8")
    second.write_text(HEADER + "X-1,IMP-MC-MLH,S1,Ana,Jones,1990-01-02,not-an-address,2025-07-14,Merit\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(first), str(second), "-c",
                                       str(FIXTURES / "imperial" / "catalogue.yaml"), "-o", str(out)])
    assert result.exit_code == 1, result.output
    records = json.loads((out / "report.json").read_text())["records"]
    (refused,) = [r for r in records if r["file"].endswith("b.csv")]
    errors = "\n".join(refused["errors"])
    assert "'not-an-address' is not an e-mail address" in errors
    assert "the same award or output file as" in errors and "a.csv row 2" in errors


def test_one_award_id_in_two_files_is_not_told_to_take_another(store, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The same award exported twice, in two files: giving the second row another award_id would
    issue the learner a second credential for one award."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    row = "X-1,IMP-MC-MLH,S1,Ana,Jones,1990-01-02,a@example.org,2025-07-14,Merit\n"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(HEADER + row, encoding="utf-8")
    second.write_text(HEADER + row.replace("X-1", "x-1") + row, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(first), str(second), "-c",
                                       str(FIXTURES / "imperial" / "catalogue.yaml"), "-o", str(out)])
    assert result.exit_code == 1, result.output
    records = json.loads((out / "report.json").read_text())["records"]
    case, same = [r["errors"] for r in records if r["file"].endswith("b.csv")]
    assert case[0].endswith("(file names ignore case)\n    fix: give every award its own award_id")
    assert same == [f"{second}:3: column 'award_id' = 'X-1': the same award or output file as {first} "
                    "row 2 (award_id 'X-1')\n    fix: if both rows are the same award, keep it in one "
                    "file only; if they are different awards, give each its own award_id"]
