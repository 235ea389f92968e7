"""Every broken fixture: the documented errors (row, column, message, fix) and exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import CatalogueError, InputFileError, RecordError, iter_awards, load_catalogue
from tests.conftest import BROKEN

CASES: dict[str, dict[str, Any]] = yaml.safe_load((BROKEN / "EXPECTED.yaml").read_text("utf-8"))


def _load(catalogue: Path, awards: Path) -> tuple[list[RecordError], list[int]]:
    try:
        cat = load_catalogue(catalogue)
    except CatalogueError as exc:
        return exc.errors, []
    except InputFileError as exc:
        return [exc.error], []
    errors: list[RecordError] = []
    ok: list[int] = []
    try:
        for row in iter_awards(awards, cat):
            errors += row.errors
            if not row.errors:
                ok.append(row.row)
    except InputFileError as exc:
        errors.append(exc.error)
    return errors, ok


@pytest.mark.parametrize("case", list(CASES))
def test_broken_input_reports_the_documented_errors(case: str) -> None:
    spec = CASES[case]
    errors, ok = _load(BROKEN / spec["catalogue"], BROKEN / spec["awards"])
    for want in spec["errors"]:
        assert any(
            want.get("row") == got.row and want.get("column") == (got.column or None)
            and want.get("contains", "") in got.message and want.get("fix_contains", "") in got.fix
            for got in errors
        ), (want, [e.render() for e in errors])
    for row in spec.get("rows_ok", []):
        assert row in ok, f"row {row} should load"
    assert all(e.fix for e in errors), "every error says how to fix it"


@pytest.mark.parametrize("case", list(CASES))
def test_broken_input_exit_code_and_no_traceback(case: str, store, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    spec = CASES[case]
    result = CliRunner().invoke(main, ["export", str(BROKEN / spec["awards"]), "--catalogue",
                                       str(BROKEN / spec["catalogue"]), "--out", str(tmp_path), "-q"])
    assert result.exit_code == spec["exit_code"], result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if spec["exit_code"] == 2:
        assert not (tmp_path / "edc").exists(), "nothing is written from an unusable input"
    for row in spec.get("rows_ok", []):  # good rows of a partly bad file are still exported
        assert (tmp_path / "edc").is_dir() and any((tmp_path / "edc").iterdir()), row
