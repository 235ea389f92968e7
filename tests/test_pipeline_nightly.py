"""The same export run every night into the same folder: what it makes again is what changed,
what it says is true, and rows that stay as they were do not fail the job night after night."""

from __future__ import annotations

import csv
import json
import os
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
    assert redone == {"sealed now (it was made without the seal); "
                      "validated now (it was made without validation)"}, redone


def test_redone_says_a_record_is_sealed_now_rather_than_that_its_seal_changed(
        env: None, sealed: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(out)
    _export(out, *sealed)
    redone = {record["redone"] for record in _records(out).values()}
    assert redone == {"sealed now (it was made without the seal)"}, redone
    # a run without the seal, the row changed: its seal did not change, its sealed file is removed
    changed = tmp_path / "changed.csv"
    changed.write_text(AWARDS.read_text("utf-8").replace(f"{AWARD},IMP-MC-MLH,02214592,Eleni,",
                                                         f"{AWARD},IMP-MC-MLH,02214592,Elena,"), "utf-8")
    _export(out, awards=changed)
    sealed_file = out / "edc-sealed" / f"imperial_{AWARD}.jsonld"
    assert _records(out)[AWARD]["redone"] == (
        f"the row changed; {sealed_file} removed: it was made from what changed, in a format this run "
        "does not write")


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


def test_a_sealed_file_changed_by_hand_is_named_when_the_record_is_skipped(
        env: None, sealed: tuple[str, ...], tmp_path: Path) -> None:
    """A run without the seal skips the record as done, and the reports no longer list its sealed
    credential edited by hand: a note says so, rather than leaving it unsaid."""
    out = tmp_path / "out"
    _export(out, *sealed)
    sealed_file = out / "edc-sealed" / f"imperial_{AWARD}.jsonld"
    _edit(sealed_file)
    stderr = _export(out)
    assert _records(out)[AWARD]["status"] == "skipped"
    assert _records(out)[AWARD]["outputs"] == {"edc": str(out / "edc" / f"imperial_{AWARD}.jsonld")}
    (note,) = [note for note in _summary(out)["notes"] if str(sealed_file) in note]
    assert note.startswith(f"{out}: 1 file(s) of records skipped as done changed by hand"), note
    assert note in stderr
    sealed_file.unlink()  # deleted, as the note's fix says: nothing left to say
    _export(out)
    assert not [note for note in _summary(out)["notes"] if "by hand" in note]


def test_files_of_another_format_only_touched_are_not_named_as_changed_by_hand(
        env: None, tmp_path: Path) -> None:
    """A copy of the folder that did not keep the files' times (or a touch) changes no credential:
    the note named them all as changed by hand, to be deleted, and audit verify found them intact.
    A file of the same size edited is still named."""
    out = tmp_path / "out"
    _export(out, "--format", "edc", "--format", "ebsi")
    profiles = sorted((out / "ebsi").glob("*.json"))
    for profile in profiles:
        os.utime(profile, ns=(0, 0))
    _export(out)
    assert not [note for note in _summary(out)["notes"] if "by hand" in note]
    edited = out / "ebsi" / f"imperial_{AWARD}.json"
    edited.write_bytes(edited.read_bytes().replace(b"Eleni", b"Elena"))
    _export(out)
    (note,) = [note for note in _summary(out)["notes"] if "by hand" in note]
    assert note.startswith(f"{out}: 1 file(s) of records skipped as done changed by hand"), note
    assert f"({edited})" in note, note


def _withdraw(out: Path, key: str) -> None:
    result = CliRunner().invoke(main, ["withdraw", str(out), key, "--reason", "entered in error"])
    assert result.exit_code == 0, result.output


def _broken(path: Path, award_id: str) -> Path:
    with AWARDS.open(encoding="utf-8-sig") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "specification": "NO-SUCH-SPEC"} if row["award_id"] == award_id else row
                         for row in rows)
    return path


def test_the_note_of_a_withdrawn_row_names_its_file_with_control_characters_escaped(
        env: None, tmp_path: Path) -> None:
    """The note on stderr begins with the awards file's name: a line break in it started a line
    of its own ("OK good.csv:5: ..."), where the row's errors and report.csv show it as \\n."""
    awards = tmp_path / "odd\nOK good.csv"
    awards.write_bytes(AWARDS.read_bytes())
    out = tmp_path / "out"
    _export(out, awards=awards)
    _withdraw(out, f"imperial/{AWARD}")
    result = _run(out, awards=awards)
    assert result.exit_code == 0, result.output
    assert "odd\\nOK good.csv:" in result.stderr and "\nOK good.csv" not in result.stderr


def test_withdrawn_rows_left_in_the_input_are_said_once_and_do_not_fail_the_run(
        env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(out)
    _withdraw(out, f"imperial/{AWARD}")
    for _night in range(2):
        result = _run(out)
        assert result.exit_code == 0, result.output
        assert result.stderr.count("withdrawn is still in the input") == 1, result.stderr
        assert "was withdrawn on" not in result.stderr  # the row's error is in the reports, not here
        assert "0 failed, 1 withdrawn (still in the input)" in result.stderr
        assert f"edcbridge withdraw {out} imperial/{AWARD} --undo" in result.stderr
        summary = _summary(out)
        assert (summary["failed"], summary["withdrawn_in_input"], summary["skipped"]) == (0, 1, 8), summary
        assert summary["failed_by_stage"] == {}
        record = _records(out)[AWARD]
        assert (record["status"], record["stage"]) == ("withdrawn", "withdrawn")
        assert "remove the row from the input" in record["errors"][0]
        verdict = (out / "report.html").read_text("utf-8")
        assert "All 8 records are done" in verdict and "withdrawn are still in the input" in verdict


def test_a_new_failure_still_fails_a_run_that_meets_withdrawn_rows(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(out)
    _withdraw(out, f"imperial/{AWARD}")
    result = _run(out, awards=_broken(tmp_path / "awards.csv", "IMP-2025-000103"))
    assert result.exit_code == 1, result.output
    summary = _summary(out)
    assert (summary["failed"], summary["withdrawn_in_input"]) == (1, 1), summary
