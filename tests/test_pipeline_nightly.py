"""The same export run every night into the same folder: what it makes again is what changed,
what it says is true, and rows that stay as they were do not fail the job night after night."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"
AWARD = "IMP-2025-000102"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


@pytest.fixture
def sealed(tmp_path: Path) -> tuple[str, ...]:
    demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    return ("--seal", str(tmp_path / "seal" / "seal.p12"), "--password-file",
            str(tmp_path / "seal" / "seal-password.txt"))


def _run(out: Path, *args: str, awards: Path = AWARDS) -> Result:
    return CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), *args])


def _export(out: Path, *args: str, awards: Path = AWARDS) -> str:
    result = _run(out, *args, awards=awards)
    assert result.exit_code == 0, result.output
    return result.stderr


def _records(out: Path) -> dict[str, dict[str, Any]]:
    report = json.loads((out / "report.json").read_text("utf-8"))
    return {record["award_id"]: record for record in report["records"]}


def _summary(out: Path) -> dict[str, Any]:
    report = json.loads((out / "report.json").read_text("utf-8"))
    return {key: value for key, value in report.items() if key != "records"}


def _recorded(out: Path, award_id: str) -> set[str]:
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        (outputs,) = db.execute("SELECT outputs FROM records WHERE key = ?",
                                (f"imperial/{award_id}",)).fetchone()
    db.close()
    return set(json.loads(outputs))


def _touch(path: Path) -> None:
    """Written again by hand, as an editor saving it unchanged does: its modification time changes."""
    path.write_bytes(path.read_bytes())


def _edit(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n")


def test_a_sealed_run_skips_what_a_run_without_the_seal_made_again_keeping_the_seal(
        env: None, sealed: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(out, *sealed)
    sealed_file = out / "edc-sealed" / f"imperial_{AWARD}.jsonld"
    before = sealed_file.stat().st_mtime_ns
    _touch(out / "edc" / f"imperial_{AWARD}.jsonld")
    _export(out)
    assert _records(out)[AWARD]["status"] == "done"
    stderr = _export(out, *sealed)
    assert {record["status"] for record in _records(out).values()} == {"skipped"}, _records(out)[AWARD]
    assert "\n0 done, 9 skipped" in stderr, stderr
    assert sealed_file.stat().st_mtime_ns == before  # not sealed again


def test_a_sealed_run_skips_a_format_a_run_without_the_seal_added(
        env: None, sealed: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(out, *sealed)
    _export(out, "--format", "edc", "--format", "ebsi")
    assert {record["redone"] for record in _records(out).values()} == {"format added: ebsi"}
    _export(out, "--format", "edc", "--format", "ebsi", *sealed)
    assert {record["status"] for record in _records(out).values()} == {"skipped"}


def test_a_run_without_validation_does_not_pass_its_files_for_validated_ones(
        env: None, sealed: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(out, *sealed)
    _export(out, "--format", "edc", "--format", "ebsi", "--no-validate")
    _export(out, "--format", "edc", "--format", "ebsi", *sealed)
    redone = {record["redone"] for record in _records(out).values()}
    assert redone == {"the seal changed (certificate, level, timestamp authority or algorithm); "
                      "validated now (it was made without validation)"}, redone


def test_a_sealed_file_changed_by_hand_is_named_when_the_record_is_made_again(
        env: None, sealed: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(out, *sealed)
    plain = out / "edc" / f"imperial_{AWARD}.jsonld"
    sealed_file = out / "edc-sealed" / f"imperial_{AWARD}.jsonld"
    _touch(plain)
    _edit(sealed_file)
    stderr = _export(out)
    redone = _records(out)[AWARD]["redone"]
    assert redone == (f"{plain} was changed or removed since it was written; {sealed_file} changed "
                      "since it was written: left in the folder, no longer recorded"), redone
    assert sealed_file.exists() and _recorded(out, AWARD) == {"edc"}
    (note,) = [note for note in _summary(out)["notes"] if str(sealed_file) in note]
    assert "1 file(s) changed or removed by hand" in note and "no longer recorded" in note, note
    assert note in stderr


def test_a_file_of_another_format_changed_by_hand_is_named_when_the_record_is_made_again(
        env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(out, "--format", "edc", "--format", "ebsi")
    ebsi = out / "ebsi" / f"imperial_{AWARD}.json"
    _edit(ebsi)
    (out / "edc" / f"imperial_{AWARD}.jsonld").unlink()
    _export(out, "--format", "edc")
    assert _records(out)[AWARD]["redone"].endswith(
        f"; {ebsi} changed since it was written: left in the folder, no longer recorded")
    assert _recorded(out, AWARD) == {"edc"}
