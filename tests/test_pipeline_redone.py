"""A re-run into the same folder says which credentials it made again, and why: the row, the
catalogue, the run's settings, a format added, a file changed by hand."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.pipeline.journal import JOURNAL_NAME
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _export(awards: Path, catalogue: Path, out: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(catalogue), "-o", str(out), *args])
    assert result.exit_code == 0, result.stderr
    return result.stderr


def _edited(path: Path, edits: dict[str, dict[str, str]]) -> Path:
    with AWARDS.open(encoding="utf-8-sig") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, **edits.get(row["award_id"], {})} for row in rows)
    return path


def _records(out: Path) -> dict[str, dict[str, Any]]:
    report = json.loads((out / "report.json").read_text("utf-8"))
    return {record["award_id"]: record for record in report["records"]}


def _csv_redone(out: Path) -> dict[str, str]:
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["award_id"]: row["redone"] for row in csv.DictReader(handle)}


def test_rows_edited_are_redone_and_the_reports_say_why(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(_edited(tmp_path / "awards.csv", {}), CATALOGUE, out)
    assert all(record["redone"] is None for record in _records(out).values())
    awards = _edited(tmp_path / "awards.csv", {
        "IMP-2025-000101": {"family_name": "Lefevre-Dubois"},  # a name corrected
        "IMP-2025-000102": {"grade": "Distinction"},
        "IMP-2025-000103": {"awarding_date": "2025-10-01"}})
    stderr = _export(awards, CATALOGUE, out)
    assert "\n3 done, 6 skipped" in stderr and "\n3 of those done were made again" in stderr, stderr
    records = _records(out)
    edited = {"IMP-2025-000101", "IMP-2025-000102", "IMP-2025-000103"}
    for award_id, record in records.items():
        if award_id in edited:
            assert record["status"] == "done" and record["redone"] == "the row changed", record
        else:
            assert record["status"] == "skipped" and record["redone"] is None, record
    assert {k: v for k, v in _csv_redone(out).items() if v} == dict.fromkeys(edited, "the row changed")
    summary = json.loads((out / "report.json").read_text("utf-8"))
    assert summary["done"] == 3 and summary["redone"] == 3


def test_what_else_redoes_a_credential_is_named(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(CATALOGUE.read_text("utf-8"), "utf-8")
    _export(AWARDS, catalogue, out, "--no-validate")
    _export(AWARDS, catalogue, out)
    assert {r["redone"] for r in _records(out).values()} == {"validated now (it was made without validation)"}
    _export(AWARDS, catalogue, out, "--format", "edc", "--format", "ebsi")
    assert {r["redone"] for r in _records(out).values()} == {"format added: ebsi"}
    removed = out / "edc" / "imperial_IMP-2025-000101.jsonld"
    removed.unlink()
    _export(AWARDS, catalogue, out, "--format", "edc", "--format", "ebsi")
    assert _records(out)["IMP-2025-000101"]["redone"] == \
        f"{removed} was changed or removed since it was written"
    text = catalogue.read_text("utf-8")
    catalogue.write_text(text.replace("Machine Learning", "Machine-Learning", 1), "utf-8")
    _export(AWARDS, catalogue, out, "--format", "edc", "--format", "ebsi")
    redone = {r["redone"] for r in _records(out).values() if r["status"] == "done"}
    assert redone == {"its part of the catalogue changed"}, redone


def test_a_record_of_a_journal_that_kept_no_parts_says_its_input_changed(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(AWARDS, CATALOGUE, out)
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        db.execute("UPDATE records SET made_from = NULL")
    _export(_edited(tmp_path / "awards.csv", {"IMP-2025-000102": {"grade": "Distinction"}}), CATALOGUE, out)
    assert _records(out)["IMP-2025-000102"]["redone"] == \
        "its input changed (the row, its part of the catalogue or the run's settings)"


def _journal_formats(out: Path, award_id: str) -> set[str]:
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        key = f"imperial/{award_id}"
        (outputs,) = db.execute("SELECT outputs FROM records WHERE key = ?", (key,)).fetchone()
    db.close()
    return set(json.loads(outputs))


def test_a_row_edited_leaves_no_outdated_file_of_a_format_the_run_does_not_write(
        env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(AWARDS, CATALOGUE, out, "--format", "edc", "--format", "ebsi")
    awards = _edited(tmp_path / "awards.csv", {"IMP-2025-000102": {"grade": "Distinction"}})
    _export(awards, CATALOGUE, out, "--format", "edc")
    outdated = out / "ebsi" / "imperial_IMP-2025-000102.json"
    assert not outdated.exists()  # it said Merit
    assert len(list((out / "ebsi").iterdir())) == 8  # the other awards' files are as they were
    assert str(outdated) in _records(out)["IMP-2025-000102"]["redone"]
    assert _journal_formats(out, "IMP-2025-000102") == {"edc"}


def test_an_outdated_file_removed_is_named_as_the_reports_name_files(
        env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With -o given relative, the file removed was named by its absolute, resolved path, while
    every other path of the reports (outputs, a file changed by hand) is spelt as -o is."""
    monkeypatch.chdir(tmp_path)
    out = Path("out")
    _export(AWARDS, CATALOGUE, out, "--format", "edc", "--format", "ebsi")
    awards = _edited(tmp_path / "awards.csv", {"IMP-2025-000102": {"grade": "Distinction"}})
    _export(awards, CATALOGUE, out, "--format", "edc")
    record = _records(out)["IMP-2025-000102"]
    assert record["outputs"]["edc"] == str(out / "edc" / "imperial_IMP-2025-000102.jsonld")
    assert f"; {out / 'ebsi' / 'imperial_IMP-2025-000102.json'} removed: " in record["redone"]
    assert str(tmp_path) not in record["redone"]


def test_files_of_a_format_the_run_does_not_write_stay_recorded_when_the_row_is_unchanged(
        env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(AWARDS, CATALOGUE, out, "--format", "edc", "--format", "ebsi")
    (out / "edc" / "imperial_IMP-2025-000101.jsonld").unlink()
    _export(AWARDS, CATALOGUE, out, "--format", "edc")
    assert _records(out)["IMP-2025-000101"]["status"] == "done"
    assert (out / "ebsi" / "imperial_IMP-2025-000101.json").exists()
    assert _journal_formats(out, "IMP-2025-000101") == {"edc", "ebsi"}  # withdraw moves it too
    _export(AWARDS, CATALOGUE, out, "--format", "edc", "--format", "ebsi")
    assert {r["status"] for r in _records(out).values()} == {"skipped"}


def _journal_record(out: Path, award_id: str) -> tuple[set[str], list[str]]:
    """The paths of the record's files, and its warnings, as the journal holds them."""
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        outputs, warnings = db.execute("SELECT outputs, warnings FROM records WHERE key = ?",
                                       (f"imperial/{award_id}",)).fetchone()
    db.close()
    files = {str(out / output["file"]) for output in json.loads(outputs).values()}
    return files, json.loads(warnings or "[]")


def test_the_reports_list_the_files_of_a_format_the_run_does_not_write_as_the_journal_does(
        env: None, tmp_path: Path) -> None:
    """A run asking for fewer formats keeps the files of the others as each record's: its row
    lists them, with the warnings about them, as the journal does, skipped or made again."""
    out = tmp_path / "out"
    _export(AWARDS, CATALOGUE, out, "--format", "edc", "--format", "edc-xml")
    first = _records(out)
    assert any(w.startswith("edc-xml: ") for w in first["IMP-2025-000101"]["warnings"])
    (out / "edc" / "imperial_IMP-2025-000101.jsonld").unlink()
    for formats in (("--format", "edc"), ("--format", "edc", "--format", "edc-xml")):
        _export(AWARDS, CATALOGUE, out, *formats)
        records = _records(out)
        assert records["IMP-2025-000101"]["status"] == ("done" if len(formats) == 2 else "skipped")
        with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
            cells = {row["award_id"]: set(row["outputs"].split(" ")) for row in csv.DictReader(handle)}
        for award_id, record in records.items():
            files, warnings = _journal_record(out, award_id)
            assert set(record["outputs"]) == {"edc", "edc-xml"}, record
            assert set(record["outputs"].values()) == cells[award_id] == files
            assert all(Path(path).exists() for path in files)
            assert record["warnings"] == warnings == first[award_id]["warnings"], award_id


def test_the_audit_trail_says_which_records_were_made_again_and_why(env: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(AWARDS, CATALOGUE, out)
    _export(_edited(tmp_path / "awards.csv", {"IMP-2025-000102": {"grade": "Distinction"}}), CATALOGUE, out)
    shown = CliRunner().invoke(main, ["audit", "show", str(out)])
    events = [json.loads(line) for line in shown.stdout.splitlines()]
    redone = [event for event in events if event["action"] == "redone"]
    assert [(event["key"], event["detail"]) for event in redone] == \
        [("imperial/IMP-2025-000102", {"why": "the row changed"})]
    after = events[events.index(redone[0]) + 1]
    assert (after["action"], after["key"]) == ("issued", "imperial/IMP-2025-000102")
    assert after["input_hash"] == redone[0]["input_hash"]
    assert CliRunner().invoke(main, ["audit", "verify", str(out)]).exit_code == 0


@pytest.mark.parametrize("broken", [{"specification": "NO-SUCH-SPEC"}, {"awarding_date": "not a date"}],
                         ids=["fails-later", "fails-to-load"])
def test_a_record_made_again_after_a_run_it_failed_in_is_redone(
        env: None, tmp_path: Path, broken: dict[str, str]) -> None:
    out = tmp_path / "out"
    _export(AWARDS, CATALOGUE, out)
    result = CliRunner().invoke(main, ["export", str(_edited(tmp_path / "awards.csv", {
        "IMP-2025-000102": broken})), "-c", str(CATALOGUE), "-o", str(out)])
    assert result.exit_code == 1, result.stderr
    _export(_edited(tmp_path / "awards.csv", {"IMP-2025-000102": {"grade": "Distinction"}}), CATALOGUE, out)
    assert _records(out)["IMP-2025-000102"]["redone"] is not None
    shown = CliRunner().invoke(main, ["audit", "show", str(out)])
    events = [json.loads(line) for line in shown.stdout.splitlines()]
    mine = [event["action"] for event in events if event["key"] == "imperial/IMP-2025-000102"]
    assert mine == ["issued", "failed", "redone", "issued"], mine  # the run that failed it is in the trail
    assert CliRunner().invoke(main, ["audit", "verify", str(out)]).exit_code == 0


def _sealed_args(tmp_path: Path) -> tuple[str, ...]:
    from edcbridge.load import load_catalogue
    from edcbridge.sealing import demo_seal

    demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    return ("--seal", str(tmp_path / "seal" / "seal.p12"), "--password-file",
            str(tmp_path / "seal" / "seal-password.txt"))


def test_a_run_without_the_seal_that_makes_a_record_again_keeps_its_sealed_file_recorded(
        env: None, tmp_path: Path) -> None:
    """The sealed credential seals the same award: it stays in the journal (so a later run,
    the reports of awards no longer in the input and withdraw know it), and the record is said
    to be made again for its file or its format, not for a seal."""
    out = tmp_path / "out"
    _export(AWARDS, CATALOGUE, out, *_sealed_args(tmp_path))
    touched = out / "edc" / "imperial_IMP-2025-000102.jsonld"
    touched.write_bytes(touched.read_bytes())  # written again by hand: its modification time changed
    _export(AWARDS, CATALOGUE, out)
    assert _records(out)["IMP-2025-000102"]["redone"] == \
        f"{touched} was changed or removed since it was written"
    assert _journal_formats(out, "IMP-2025-000102") == {"edc", "edc-sealed"}
    _export(AWARDS, CATALOGUE, out, "--format", "edc", "--format", "ebsi")
    assert {r["redone"] for r in _records(out).values()} == {"format added: ebsi"}
    assert _journal_formats(out, "IMP-2025-000103") == {"edc", "ebsi", "edc-sealed"}
    fewer = tmp_path / "fewer.csv"
    fewer.write_text("".join(line for line in AWARDS.read_text("utf-8-sig").splitlines(keepends=True)
                             if "IMP-2025-000103" not in line), "utf-8")
    _export(fewer, CATALOGUE, out, "--format", "edc", "--format", "ebsi")
    (absent,) = [r for r in _records(out).values() if r["status"] == "not-in-input"]
    assert str(out / "edc-sealed" / "imperial_IMP-2025-000103.jsonld") in absent["outputs"].values()


def test_the_summary_does_not_say_the_input_changed_when_a_file_did(env: None, tmp_path: Path) -> None:
    """A credential remade because its file was touched (a copy of the folder that kept no
    modification times) was summed up as made again "as what they are made from changed"."""
    import os

    out = tmp_path / "out"
    _export(AWARDS, CATALOGUE, out)
    touched = next(iter(sorted((out / "edc").glob("*.jsonld"))))
    os.utime(touched, ns=(1_000_000_000, 1_000_000_000))
    stderr = _export(AWARDS, CATALOGUE, out)
    assert "\n1 of those done were made again" in stderr, stderr
    assert "what they are made from changed" not in stderr
    assert f"{touched} was changed or removed since it was written" in _csv_redone(out).values()
    assert str(out / "report.csv") in stderr  # where each one's reason is
