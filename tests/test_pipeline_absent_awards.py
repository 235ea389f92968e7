"""Credentials in the output folder whose awards a later run's input no longer holds (an award
withdrawn from the student system) are named by that run: their files stay, and a later upload
of the folder would send them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from edcbridge.load.awards import FirstRows
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.schemas import SchemaStore
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "wales" / "catalogue.yaml"


def _awards(path: Path, leave_out: set[str]) -> tuple[Path, list[str]]:
    with (FIXTURES / "wales" / "awards.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept = [row for row in rows if row["award_id"] not in leave_out]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return path, [row["award_id"] for row in rows]


def _absent_notes(store: SchemaStore, awards: Path, out: Path) -> list[str]:
    options = RunOptions(out_dir=out, store_root=store.root, workers=1)
    result = run([Job(CATALOGUE, (awards,))], options)
    return [note for note in result.notes if "not in this run's input" in note]


def test_a_withdrawn_award_is_named_by_the_next_run_and_only_while_absent(store: SchemaStore,
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "out"
    full, ids = _awards(tmp_path / "all.csv", set())
    assert _absent_notes(store, full, out) == []
    withdrawn = ids[1]
    fewer, _ = _awards(tmp_path / "fewer.csv", {withdrawn})
    (note,) = _absent_notes(store, fewer, out)
    assert "1 credential made by earlier runs is for awards not in this run's input" in note
    assert f"/{withdrawn}" in note and "edcbridge withdraw" in note
    assert any(withdrawn in p.name for p in (out / "edc").iterdir())  # named, not deleted
    assert _absent_notes(store, full, out) == []  # back in the input: nothing to say


def test_a_run_that_could_not_read_all_its_input_says_nothing_of_absent_awards(store: SchemaStore,
                                                                               tmp_path: Path) -> None:
    out = tmp_path / "out"
    full, ids = _awards(tmp_path / "all.csv", set())
    _absent_notes(store, full, out)
    fewer, _ = _awards(tmp_path / "fewer.csv", {ids[1]})
    unreadable = tmp_path / "more.csv"
    unreadable.write_text("not,an,awards,header\n1,2,3,4\n", "utf-8")  # the rest of the input is unknown
    options = RunOptions(out_dir=out, store_root=store.root, workers=1)
    result = run([Job(CATALOGUE, (fewer, unreadable))], options)
    assert result.file_errors == 1
    assert not [note for note in result.notes if "not in this run's input" in note]


@pytest.mark.parametrize("in_memory", [1, 3, 100])
def test_every_name_seen_is_found_again_in_memory_or_on_disk(in_memory: int) -> None:
    seen = FirstRows(in_memory=in_memory)
    try:
        for index in range(10):
            assert seen.first(f"name-{index}", f"row {index}") is None
        assert all(f"name-{index}" in seen for index in range(10))
        assert "name-10" not in seen
    finally:
        seen.close()


def test_every_absent_award_is_listed_in_the_reports(store: SchemaStore, tmp_path: Path) -> None:
    """The note names a few; the reports list each, with its files and what to do."""
    out = tmp_path / "out"
    full, ids = _awards(tmp_path / "all.csv", set())
    _absent_notes(store, full, out)
    absent = set(ids[1:])  # more than the note names
    fewer, _ = _awards(tmp_path / "fewer.csv", absent)
    (note,) = _absent_notes(store, fewer, out)
    assert f"{len(absent)} credentials made by earlier runs" in note and "report.csv" in note
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        listed = [row for row in csv.DictReader(handle) if row["status"] == "not-in-input"]
    assert {row["award_id"] for row in listed} == absent
    for row in listed:
        assert (out / "edc").as_posix() in row["outputs"] and Path(row["outputs"]).exists(), row
        assert "edcbridge withdraw" in row["errors"] and f"/{row['award_id']}" in row["errors"], row
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["not_in_input"] == len(absent) and report["ok"] == len(ids) - len(absent)
    assert _absent_notes(store, full, out) == []  # back in the input: nothing to say
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert all(row["status"] == "skipped" for row in csv.DictReader(handle))


def test_an_absent_award_has_no_row_in_the_reports(store: SchemaStore, tmp_path: Path) -> None:
    """It is in no input: its row is empty in report.csv and null in report.json, not a row 0
    someone would look for."""
    out = tmp_path / "out"
    full, ids = _awards(tmp_path / "all.csv", set())
    _absent_notes(store, full, out)
    fewer, _ = _awards(tmp_path / "fewer.csv", {ids[0]})
    _absent_notes(store, fewer, out)
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["award_id"]: row for row in csv.DictReader(handle)}
    assert rows[ids[0]]["status"] == "not-in-input" and rows[ids[0]]["row"] == ""
    assert rows[ids[0]]["file"] == ""
    assert all(rows[award_id]["row"].isdigit() for award_id in ids[1:])
    records = {r["award_id"]: r for r in json.loads((out / "report.json").read_text("utf-8"))["records"]}
    assert records[ids[0]]["row"] is None and isinstance(records[ids[1]]["row"], int)


def _changed(path: Path, which: str, **values: str) -> Path:
    """The fixture's awards with the row of award ``which`` changed as ``values`` say."""
    with (FIXTURES / "wales" / "awards.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, **values} if row["award_id"] == which else row for row in rows)
    return path


def _not_in_input(out: Path) -> set[str]:
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["award_id"] for row in csv.DictReader(handle) if row["status"] == "not-in-input"}


def test_an_award_failed_after_its_export_is_named_once_absent(store: SchemaStore, tmp_path: Path) -> None:
    """A later run that failed the award kept its files: once the input drops the award they are
    credentials of the folder like those of a record done, and named so."""
    out = tmp_path / "out"
    full, ids = _awards(tmp_path / "all.csv", set())
    _absent_notes(store, full, out)
    _absent_notes(store, _changed(tmp_path / "broken.csv", ids[1], awarding_date="2025-13-45"), out)
    kept = [path for path in (out / "edc").iterdir() if ids[1] in path.name]
    assert kept  # its files of before stay, the record failed
    fewer, _ = _awards(tmp_path / "fewer.csv", {ids[1]})
    (note,) = _absent_notes(store, fewer, out)
    assert f"/{ids[1]}" in note
    assert _not_in_input(out) == {ids[1]}


def test_an_award_id_spelt_in_another_case_leaves_the_earlier_credential_named(
        store: SchemaStore, tmp_path: Path) -> None:
    """``abc-1`` is another award than ``ABC-1`` (another key, another file): the credential of
    ``ABC-1`` stays in the folder and the run names it, though both ids give one name in lower case."""
    out = tmp_path / "out"
    full, ids = _awards(tmp_path / "all.csv", set())
    _absent_notes(store, full, out)
    (note,) = _absent_notes(store, _changed(tmp_path / "lower.csv", ids[1], award_id=ids[1].lower()), out)
    assert f"/{ids[1]}" in note
    assert _not_in_input(out) == {ids[1]}


def test_an_award_failed_whose_kept_files_were_deleted_is_not_named_once_absent(
        store: SchemaStore, tmp_path: Path) -> None:
    """The failed record's note offers to delete its files of before: once deleted, nothing of the
    award is left in the folder to name."""
    out = tmp_path / "out"
    full, ids = _awards(tmp_path / "all.csv", set())
    _absent_notes(store, full, out)
    _absent_notes(store, _changed(tmp_path / "broken.csv", ids[1], awarding_date="2025-13-45"), out)
    for path in (out / "edc").iterdir():
        if ids[1] in path.name:
            path.unlink()
    fewer, _ = _awards(tmp_path / "fewer.csv", {ids[1]})
    assert _absent_notes(store, fewer, out) == []
    assert _not_in_input(out) == set()
