"""`edcbridge withdraw` on the awards a registry office really has: ids holding `/`, records of
an earlier version, files removed by hand, a reason pasted with control characters; and the
audit trail catching a withdrawn record put back by hand."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import SealFactory, demo_seal
from tests.pipeline_support import synthetic_awards
from tests.test_withdraw import CATALOGUE, KEY

REASON = "degree rescinded (Senate 2026/4)"


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


def _export(store: SchemaStore, seal: SealFactory, awards: Path, out: Path) -> None:
    options = RunOptions(out_dir=out, store_root=store.root, formats=("edc",), seal=seal, workers=1)
    result = run([Job(CATALOGUE, (awards,))], options, lambda outcome, status: None)
    assert result.done and not result.failed, result


@pytest.fixture
def out(store: SchemaStore, seal: SealFactory, tmp_path: Path) -> Path:
    """Two awards (SYN-00000, SYN-00001) exported, plain and sealed, into tmp_path/out."""
    _export(store, seal, synthetic_awards(tmp_path / "awards.csv", 2), tmp_path / "out")
    return tmp_path / "out"


def _withdraw(out: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["withdraw", str(out), *args])


def _verify(out: Path) -> Result:
    return CliRunner().invoke(main, ["audit", "verify", str(out)])


def _record(out: Path, key: str) -> tuple[str, str, str | None]:
    db = sqlite3.connect(out / JOURNAL_NAME)
    try:
        state, outputs, error = db.execute("SELECT state, outputs, error FROM records WHERE key = ?",
                                           (key,)).fetchone()
    finally:
        db.close()
    return state, outputs, error


def _sql(out: Path, statement: str, *params: str) -> None:
    db = sqlite3.connect(out / JOURNAL_NAME)
    try:
        db.execute(statement, params)
        db.commit()
    finally:
        db.close()


def _last_detail(out: Path) -> dict[str, object]:
    shown = CliRunner().invoke(main, ["audit", "show", str(out)])
    detail = json.loads(shown.stdout.splitlines()[-1])["detail"]
    assert isinstance(detail, dict)
    return detail


def test_a_bare_award_id_is_not_taken_for_the_end_of_a_longer_one(
        store: SchemaStore, seal: SealFactory, tmp_path: Path) -> None:
    awards = synthetic_awards(tmp_path / "awards.csv", 1)
    with awards.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow({**rows[0], "award_id": "MK/2025/0031"})
    _export(store, seal, awards, tmp_path / "out")

    said = _withdraw(tmp_path / "out", "0031", "--reason", REASON)

    assert said.exit_code == 1 and "0031: no such award" in said.output, said.output
    assert _record(tmp_path / "out", "imperial/MK/2025/0031")[0] == "done"
    # an id holding "/" is given with its issuer, and the error names the key to give
    bare = _withdraw(tmp_path / "out", "MK/2025/0031", "--reason", REASON)
    assert bare.exit_code == 1 and "no such award" not in bare.output, bare.output
    assert (f"error: MK/2025/0031: no award has this key; an award id holding '/' is given with its issuer: "
            f"imperial/MK/2025/0031, as in: edcbridge withdraw {tmp_path / 'out'} imperial/MK/2025/0031 "
            "--reason TEXT") in bare.output
    assert _record(tmp_path / "out", "imperial/MK/2025/0031")[0] == "done"
    assert _withdraw(tmp_path / "out", "imperial/MK/2025/0031", "--reason", REASON).exit_code == 0


def test_a_withdrawn_record_set_back_to_done_by_hand_is_caught(out: Path) -> None:
    _, outputs, _ = _record(out, KEY)
    published = {name: out / output["file"] for name, output in json.loads(outputs).items()}
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    for name, output in json.loads(_record(out, KEY)[1]).items():  # the files put back, and the record
        (out / output["file"]).rename(published[name])
    _sql(out, "UPDATE records SET state = 'done', error = NULL, outputs = ? WHERE key = ?", outputs, KEY)

    checked = _verify(out)

    assert checked.exit_code != 0, checked.output
    assert f"record {KEY} is done but event 5 withdrew it and no reinstated event follows" in checked.output


def test_reinstated_and_exported_again_is_intact(store: SchemaStore, seal: SealFactory, out: Path) -> None:
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    assert _withdraw(out, KEY, "--undo", "--reason", "appeal upheld").exit_code == 0
    _export(store, seal, out.parent / "awards.csv", out)

    checked = _verify(out)

    assert checked.exit_code == 0 and "intact" in checked.output, checked.output


def test_files_of_a_record_of_an_earlier_version_are_moved(out: Path) -> None:
    """Records made before the journal kept each file's place hold the path as given to that
    run (``out/edc/...``, relative to its working directory, not this one)."""
    _, outputs, _ = _record(out, KEY)
    earlier = {name: {**{k: v for k, v in output.items() if k != "file"}, "path": f"out/{output['file']}"}
               for name, output in json.loads(outputs).items()}
    _sql(out, "UPDATE records SET outputs = ? WHERE key = ?", json.dumps(earlier, sort_keys=True), KEY)

    said = _withdraw(out, KEY, "--reason", REASON)

    assert said.exit_code == 0 and "2 file(s) moved" in said.output, said.output
    assert not list(out.glob("edc*/imperial_SYN-00001.jsonld"))
    assert sorted(path.parent.name for path in out.glob("withdrawn/*/imperial_SYN-00001.jsonld")) == \
        ["edc", "edc-sealed"]


def test_files_removed_by_hand_are_said_and_named_in_the_event(out: Path) -> None:
    (out / "edc-sealed" / "imperial_SYN-00001.jsonld").unlink()

    said = _withdraw(out, KEY, "--reason", REASON)

    assert said.exit_code == 0, said.output
    assert "edc-sealed/imperial_SYN-00001.jsonld: no longer in" in said.output
    gone = _last_detail(out)["files_gone"]
    assert isinstance(gone, list)
    assert [file["from"] for file in gone] == ["edc-sealed/imperial_SYN-00001.jsonld"]
    assert _verify(out).exit_code == 0


def test_control_characters_of_the_reason_are_kept_as_escapes(out: Path) -> None:
    said = _withdraw(out, KEY, "--reason", "rescinded\x1b]0;title\x07 \u202ecase 17")

    assert said.exit_code == 0, said.output
    note = _record(out, KEY)[2] or ""
    assert "\x1b" not in note and "\x07" not in note and "\u202e" not in note
    assert note.endswith("rescinded\\x1b]0;title\\x07 \\u202ecase 17")


def test_a_folder_in_use_is_said_without_pointing_to_an_option_withdraw_does_not_have(
        out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import os

    from edcbridge.pipeline import runner

    monkeypatch.setattr(runner, "_BUSY_WAIT", 0.2)
    held = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as an export run holds it
        busy = _withdraw(out, KEY, "--reason", REASON)
    finally:
        os.close(held)
    assert busy.exit_code == 2
    assert "another edcbridge run is using this output folder" in busy.output
    assert "with -o" not in busy.output and busy.output.rstrip().endswith("run this command again)")
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0


def test_offer_of_a_withdrawn_award_says_it_was_withdrawn(out: Path) -> None:
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    offered = CliRunner().invoke(main, ["offer", KEY, "-o", str(out)])
    assert offered.exit_code == 1
    assert f"{KEY}: withdrawn from {out}" in offered.output and "not exported" not in offered.output
    assert not (out / "offers").exists() or not any((out / "offers").iterdir())


def test_the_awards_preview_pages_and_open_badges_in_the_folder_are_withdrawn_too(
        store: SchemaStore, tmp_path: Path) -> None:
    """`export --preview` and `badges -o OUT` publish an award in OUT/preview/ and OUT/ob3/ too,
    outside the journal: withdrawn with its credential, and named in the event."""
    awards, out = synthetic_awards(tmp_path / "awards.csv", 2), tmp_path / "out"
    runner = CliRunner()
    exported = runner.invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "--preview",
                                    "-q"])
    assert exported.exit_code == 0, exported.output
    badges = runner.invoke(main, ["badges", str(awards), "-c", str(CATALOGUE), "-o", str(out), "--no-clr",
                                  "-q"])
    assert badges.exit_code == 0, badges.output
    page, badge = out / "preview" / "imperial_SYN-00001.html", out / "ob3" / "imperial_SYN-00001.json"
    assert page.is_file() and badge.is_file()
    digest = hashlib.sha256(badge.read_bytes()).hexdigest()
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    assert not page.exists() and not badge.exists()
    assert (out / "withdrawn" / "preview" / page.name).is_file()
    assert (out / "withdrawn" / "ob3" / badge.name).is_file()
    assert (out / "preview" / "imperial_SYN-00000.html").is_file()  # the other award's stay
    assert (out / "ob3" / "imperial_SYN-00000.json").is_file()
    listed = _last_detail(out)["files"]
    assert isinstance(listed, list)
    files = {f["from"]: f for f in listed}
    assert files["ob3/imperial_SYN-00001.json"]["sha256"] == digest
    assert files["preview/imperial_SYN-00001.html"]["to"] == "withdrawn/preview/imperial_SYN-00001.html"
    assert _verify(out).exit_code == 0


def test_a_sealed_file_a_later_run_without_the_seal_left_unrecorded_is_withdrawn(
        store: SchemaStore, tmp_path: Path, out: Path) -> None:
    """Earlier versions, making a record again in a run without --seal (its file removed by
    hand), left the sealed credential of the earlier run in edc-sealed/, unrecorded: it must not
    stay published once the award is withdrawn."""
    (out / "edc" / "imperial_SYN-00001.jsonld").unlink()
    options = RunOptions(out_dir=out, store_root=store.root, formats=("edc",), workers=1)
    assert run([Job(CATALOGUE, (tmp_path / "awards.csv",))], options).done == 1
    recorded = json.loads(_record(out, KEY)[1])
    assert "edc-sealed" in recorded  # as this version keeps it
    with sqlite3.connect(out / JOURNAL_NAME) as db:  # as earlier versions left it
        db.execute("UPDATE records SET outputs = ? WHERE key = ?",
                   (json.dumps({"edc": recorded["edc"]}), KEY))
    db.close()

    said = _withdraw(out, KEY, "--reason", REASON)

    assert said.exit_code == 0 and "2 file(s) moved" in said.output, said.output
    assert not list(out.glob("edc*/imperial_SYN-00001.jsonld"))
    assert sorted(path.parent.name for path in out.glob("withdrawn/*/imperial_SYN-00001.jsonld")) == \
        ["edc", "edc-sealed"]
    assert _verify(out).exit_code == 0
    assert _withdraw(out, KEY, "--undo", "--reason", REASON).exit_code == 0
    assert _verify(out).exit_code == 0
