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
