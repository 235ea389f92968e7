"""`edcbridge withdraw`: an award taken back leaves the published folders, is recorded in the
audit trail with its record's state, keeps no delivery waiting, and no later run exports it
again until `--undo` reinstates it."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline.journal import FORMAT, JOURNAL_NAME, Journal
from edcbridge.pipeline.runner import RunResult
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES
from tests.pipeline_support import synthetic_awards

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
KEY = "imperial/SYN-00001"
REASON = "entered in error (case 2026/17)"


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


def _export(store: SchemaStore, seal: SealFactory, awards: Path, out: Path) -> tuple[RunResult, list[str]]:
    """A run of ``awards`` into ``out`` (EDC, EBSI and sealed EDC); the errors of its rows that
    failed or were refused as withdrawn."""
    errors: list[str] = []

    def progress(outcome: object, status: str) -> None:
        if status in ("failed", "withdrawn"):
            errors.extend(getattr(outcome, "errors", []))

    options = RunOptions(out_dir=out, store_root=store.root, formats=("edc", "ebsi"), seal=seal, workers=1)
    return run([Job(CATALOGUE, (awards,))], options, progress), errors


@pytest.fixture
def exported(store: SchemaStore, seal: SealFactory, tmp_path: Path) -> tuple[Path, Path]:
    """Three awards exported into tmp_path/out; returns the awards file and the folder."""
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    result, errors = _export(store, seal, awards, tmp_path / "out")
    assert result.done == 3 and not errors, errors
    return awards, tmp_path / "out"


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _withdraw(out: Path, *args: str) -> Result:
    return _cli("withdraw", str(out), *args)


def _record(out: Path, key: str) -> tuple[str, dict[str, dict[str, str]], str | None]:
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        state, outputs, error = db.execute("SELECT state, outputs, error FROM records WHERE key = ?",
                                           (key,)).fetchone()
    db.close()
    return state, json.loads(outputs), error


def _events(out: Path) -> list[dict[str, object]]:
    shown = _cli("audit", "show", str(out))
    assert shown.exit_code == 0, shown.output
    return [json.loads(line) for line in shown.stdout.splitlines()]


def _published(out: Path, key: str) -> list[Path]:
    name = key.replace("/", "_")
    return sorted(path for path in out.glob(f"*/{name}.*") if path.parent.name != "withdrawn")


def test_withdrawing_moves_every_file_and_records_it_in_the_trail(exported: tuple[Path, Path]) -> None:
    _, out = exported
    _, outputs, _ = _record(out, KEY)
    assert set(outputs) == {"edc", "ebsi", "edc-sealed"}
    contents = {name: (out / output["file"]).read_bytes() for name, output in outputs.items()}
    before = len(_events(out))

    result = _withdraw(out, KEY, "--reason", REASON)
    assert result.exit_code == 0, result.output
    assert f"{KEY}: withdrawn (audit event {before + 1})" in result.stderr, result.stderr
    assert "3 file(s) moved" in result.stderr
    assert _published(out, KEY) == []
    for name, output in outputs.items():
        kept = out / "withdrawn" / name / Path(output["file"]).name
        assert kept.read_bytes() == contents[name]
    assert len(_published(out, "imperial/SYN-00000")) == 3  # the others stay

    state, now, note = _record(out, KEY)
    assert state == "withdrawn" and note is not None and REASON in note
    assert {output["file"] for output in now.values()} == \
        {f"withdrawn/{name}/{Path(output['file']).name}" for name, output in outputs.items()}

    verified = _cli("audit", "verify", str(out))
    assert verified.exit_code == 0 and f"intact: {before + 1} events" in verified.stderr, verified.output
    event = _events(out)[-1]
    assert (event["action"], event["key"]) == ("withdrawn", KEY)
    detail = event["detail"]
    assert isinstance(detail, dict) and detail["reason"] == REASON and detail["by"] == event["actor"]
    assert sorted((f["format"], f["from"], f["to"]) for f in detail["files"]) == \
        sorted((name, outputs[name]["file"], now[name]["file"]) for name in outputs)

    again = _withdraw(out, KEY, "--reason", "asked twice")
    assert again.exit_code == 0 and f"{KEY}: withdrawn already" in again.stderr, again.output
    assert len(_events(out)) == before + 1  # no second event


def test_a_rerun_does_not_export_a_withdrawn_award_again_and_says_why(
        store: SchemaStore, seal: SealFactory, exported: tuple[Path, Path]) -> None:
    awards, out = exported
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    result, errors = _export(store, seal, awards, out)
    assert (result.done, result.skipped, result.failed, result.withdrawn_in_input) == (0, 2, 0, 1)
    assert result.stage_failures == {}
    assert _published(out, KEY) == []  # not made again
    (error,) = errors
    assert KEY in error and REASON in error
    assert f"edcbridge withdraw {out} {KEY} --undo --reason" in error
    assert _record(out, KEY)[0] == "withdrawn"  # and the run after this one refuses it too
    again, errors = _export(store, seal, awards, out)
    assert again.withdrawn_in_input == 1 and len(errors) == 1 and _published(out, KEY) == []
    assert _cli("audit", "verify", str(out)).exit_code == 0



def test_withdrawn_rows_do_not_stop_a_fail_fast_run(
        store: SchemaStore, seal: SealFactory, exported: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = exported
    assert _withdraw(out, "imperial/SYN-00000", KEY, "--reason", REASON).exit_code == 0
    more = synthetic_awards(tmp_path / "more.csv", 5)  # the two withdrawn first, then three
    options = RunOptions(out_dir=out, store_root=store.root, formats=("edc", "ebsi"), seal=seal, workers=1,
                         fail_fast=2)
    result = run([Job(CATALOGUE, (more,))], options, lambda outcome, status: None)
    assert not result.stopped_early, result
    assert (result.done, result.skipped, result.failed, result.withdrawn_in_input) == (2, 1, 0, 2)

def test_undo_reinstates_and_the_next_run_exports_it_anew(
        store: SchemaStore, seal: SealFactory, exported: tuple[Path, Path]) -> None:
    awards, out = exported
    assert _withdraw(out, "SYN-00001", "--reason", REASON).exit_code == 0  # a unique award id will do
    undone = _withdraw(out, KEY, "--undo", "--reason", "board decision reversed")
    assert undone.exit_code == 0 and f"{KEY}: reinstated (audit event" in undone.stderr, undone.output
    event = _events(out)[-1]
    assert (event["action"], event["key"]) == ("reinstated", KEY)
    assert isinstance(event["detail"], dict) and event["detail"]["reason"] == "board decision reversed"
    assert _published(out, KEY) == []  # until the next run

    result, errors = _export(store, seal, awards, out)
    assert (result.done, result.skipped, result.failed) == (1, 2, 0), errors
    assert len(_published(out, KEY)) == 3 and _record(out, KEY)[0] == "done"
    assert _cli("audit", "verify", str(out)).exit_code == 0

    # withdrawn a second time: the copies kept the first time are not written over
    assert _withdraw(out, KEY, "--reason", "withdrawn again").exit_code == 0
    kept = sorted(path.name for path in (out / "withdrawn" / "edc").iterdir())
    assert kept == ["imperial_SYN-00001.2.jsonld", "imperial_SYN-00001.jsonld"]
    assert _cli("audit", "verify", str(out)).exit_code == 0


def test_files_a_stopped_withdrawal_left_behind_are_moved_by_the_same_command(
        exported: tuple[Path, Path]) -> None:
    _, out = exported
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    edc = _record(out, KEY)[1]["edc"]
    (out / edc["file"]).rename(out / edc["published"])  # as if stopped after the journal, before the move
    events = len(_events(out))
    again = _withdraw(out, KEY, "--reason", REASON)
    assert again.exit_code == 0 and "1 file(s) left behind moved" in again.stderr, again.output
    assert _published(out, KEY) == [] and (out / edc["file"]).is_file()
    assert len(_events(out)) == events



def test_a_command_stopped_before_its_messages_says_what_to_take_back_when_run_again(
        exported: tuple[Path, Path]) -> None:
    _, out = exported
    sealed = _record(out, KEY)[1]["edc-sealed"]
    journal = Journal.for_folder(out)
    journal.queue_delivery(KEY, "europass", "learner@example.org", sealed["path"], sealed["sha256"])
    journal.commit()
    journal.db.execute("UPDATE deliveries SET state = 'delivered'")
    journal.close()
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    edc = _record(out, KEY)[1]["edc"]
    (out / edc["file"]).rename(out / edc["published"])  # as if stopped after the journal was written
    again = _withdraw(out, KEY, "--reason", REASON, "-q")
    assert again.exit_code == 0, again.output
    assert f"warning: {KEY}: delivered to europass before" in again.stderr, again.stderr

def test_undo_of_an_award_not_withdrawn_is_refused(exported: tuple[Path, Path]) -> None:
    _, out = exported
    result = _withdraw(out, KEY, "--undo", "--reason", "nothing to undo")
    assert result.exit_code == 1 and "not withdrawn" in result.stderr, result.output
    assert _record(out, KEY)[0] == "done" and len(_published(out, KEY)) == 3


def test_an_unknown_key_exits_1_and_the_others_are_withdrawn(exported: tuple[Path, Path]) -> None:
    _, out = exported
    result = _withdraw(out, "imperial/NO-SUCH", KEY, "--reason", REASON)
    assert result.exit_code == 1, result.output
    assert "imperial/NO-SUCH: no such award" in result.stderr
    assert _record(out, KEY)[0] == "withdrawn" and _published(out, KEY) == []


@pytest.mark.parametrize(("args", "said"), [
    ([KEY], "Missing option '--reason'"),
    ([KEY, "--reason", "  "], "give why the awards are withdrawn"),
    (["--reason", REASON], "Missing argument 'KEY...'"),
])
def test_usage_errors_exit_2(exported: tuple[Path, Path], args: list[str], said: str) -> None:
    _, out = exported
    result = _withdraw(out, *args)
    assert result.exit_code == 2 and said in result.output, result.output
    assert _record(out, KEY)[0] == "done"


def test_the_help_says_a_withdrawn_row_left_in_the_input_is_no_failure() -> None:
    # an export run leaves such a row out and exits 0 (test_a_rerun_does_not_export_...)
    text = " ".join(_cli("withdraw", "--help").output.split())
    assert "fails its row" not in text
    assert "does not export its row" in text and "no failure (exit 0)" in text


def test_a_folder_without_a_journal_exits_2(tmp_path: Path) -> None:
    result = _withdraw(tmp_path, KEY, "--reason", REASON)
    assert result.exit_code == 2 and "holds no journal" in result.output, result.output


def test_quiet_says_nothing_on_success(exported: tuple[Path, Path]) -> None:
    _, out = exported
    result = _withdraw(out, KEY, "--reason", REASON, "-q")
    assert result.exit_code == 0 and result.output == "", result.output
    assert _record(out, KEY)[0] == "withdrawn"


def _tamper(out: Path, statement: str) -> None:
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute(statement)
    db.close()


@pytest.mark.parametrize(("change", "said"), [
    ("replace(detail, '2026/17', '2026/18')", "its detail does not match its output hash"),
    ("NULL", "its detail (who, what, why) is gone"),
])
def test_a_withdrawn_event_whose_detail_was_edited_is_caught(exported: tuple[Path, Path], change: str,
                                                             said: str) -> None:
    _, out = exported
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    _tamper(out, f"UPDATE audit SET detail = {change} WHERE action = 'withdrawn'")
    verified = _cli("audit", "verify", str(out))
    assert verified.exit_code == 1, verified.output
    assert f"(withdrawn {KEY}): {said}" in verified.stderr


def test_a_withdrawn_event_cut_off_the_end_is_caught(exported: tuple[Path, Path]) -> None:
    _, out = exported
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    _tamper(out, "DELETE FROM audit WHERE action = 'withdrawn'")  # the chain before it is sound
    verified = _cli("audit", "verify", str(out))
    assert verified.exit_code == 1, verified.output
    assert f"record {KEY} is withdrawn but its withdrawn event is not in the trail" in verified.stderr


def test_deliveries_not_made_are_cancelled_and_credentials_out_there_are_named(
        exported: tuple[Path, Path]) -> None:
    from edcbridge.oid4vci.offers import OfferStore

    _, out = exported
    sealed = _record(out, KEY)[1]["edc-sealed"]
    journal = Journal.for_folder(out)
    for target in ("europass", "other-wallet", "third-wallet"):
        journal.queue_delivery(KEY, target, "learner@example.org", sealed["path"], sealed["sha256"])
    journal.commit()
    journal.db.execute("UPDATE deliveries SET state = 'delivered' WHERE target = 'other-wallet'")
    journal.db.execute("UPDATE deliveries SET state = 'failed' WHERE target = 'third-wallet'")
    journal.close()
    offers = OfferStore.for_folder(out)
    offers.create(KEY, ("elm",), valid_for=600)
    offers.close()

    result = _withdraw(out, KEY, "--reason", REASON, "-q")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        states = dict(db.execute("SELECT target, state FROM deliveries WHERE key = ?", (KEY,)).fetchall())
    db.close()
    assert states == {"europass": "cancelled", "other-wallet": "delivered", "third-wallet": "cancelled"}
    assert _events(out)[-1]["detail"]["deliveries_cancelled"] == ["europass", "third-wallet"]  # type: ignore[index]
    # said even with -q: what withdrawing cannot take back
    assert f"warning: {KEY}: delivered to other-wallet" in result.stderr
    assert f"edcbridge revoke {KEY} -o {out}" in result.stderr



def test_the_same_command_closes_the_offers_a_withdrawal_stopped_part_way_left_open(
        exported: tuple[Path, Path]) -> None:
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    _, out = exported
    offers = OfferStore.for_folder(out)
    offer = offers.create(KEY, ("elm",), valid_for=600)
    offers.close()
    assert _withdraw(out, KEY, "--reason", REASON, "-q").exit_code == 0
    with sqlite3.connect(out / OFFERS_NAME) as db:  # as if the command stopped after the journal
        db.execute("UPDATE offers SET state = 'open' WHERE id = ?", (offer.offer_id,))
    db.close()
    again = _withdraw(out, KEY, "--reason", REASON)
    assert again.exit_code == 0, again.output
    assert f"{KEY}: withdrawn already (" in again.stderr and "; 1 offer(s) left open closed" in again.stderr
    offers = OfferStore.for_folder(out)
    assert offers.offer_state(offer.offer_id) == "award-withdrawn"
    offers.close()


def test_offers_the_same_command_closes_later_are_an_event_of_the_audit_trail(
        exported: tuple[Path, Path]) -> None:
    """A withdrawal stopped before the offers file, or made by an earlier version, left them
    open: closed by the command run again, they are in the trail as a first run records them."""
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    _, out = exported
    assert _withdraw(out, KEY, "--reason", REASON, "-q").exit_code == 0
    offers = OfferStore.for_folder(out)
    left = [offers.create(KEY, ("elm",), valid_for=600).offer_id for _ in range(2)]
    offers.close()
    with sqlite3.connect(out / OFFERS_NAME) as db:  # both open, as a withdrawal stopped part way leaves them
        db.execute("UPDATE offers SET state = 'open' WHERE award_key = ?", (KEY,))
    db.close()
    before = len(_events(out))

    again = _withdraw(out, KEY, "--reason", REASON)

    assert again.exit_code == 0, again.output
    events = _events(out)
    assert [event["action"] for event in events[before:]] == ["offers-closed"], events[before:]
    event = events[-1]
    detail = event["detail"]
    assert event["key"] == KEY and isinstance(detail, dict), event
    assert detail["award"] == "withdrawn" and detail["by"].endswith("(edcbridge withdraw)"), detail
    assert [entry["offer"] for entry in detail["offers_closed"]] == left, detail
    assert f"; 2 offer(s) left open closed (audit event {event['seq']})" in again.stderr, again.stderr
    assert _cli("audit", "verify", str(out)).exit_code == 0
    third = _withdraw(out, KEY, "--reason", REASON)
    assert third.exit_code == 0 and len(_events(out)) == len(events)  # nothing more to record


def test_a_closing_the_trail_cannot_take_stays_in_the_offers_file_for_the_same_command_run_again(
        exported: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    _, out = exported
    assert _withdraw(out, KEY, "--reason", REASON, "-q").exit_code == 0
    offers = OfferStore.for_folder(out)
    left = offers.create(KEY, ("elm",), valid_for=600).offer_id
    offers.close()
    before = len(_events(out))

    def locked(*_args: object) -> str:
        raise sqlite3.OperationalError("database is locked")

    with monkeypatch.context() as patched:
        patched.setattr(Journal, "record_offer_event", locked)
        failed = _withdraw(out, KEY, "--reason", REASON)
    assert failed.exit_code == 1, failed.output
    assert f"error: {KEY}: the closing of its offers is recorded in the offers file" in failed.stderr
    assert "run the same command again" in failed.stderr
    assert len(_events(out)) == before
    with sqlite3.connect(out / OFFERS_NAME) as db:
        assert db.execute("SELECT state FROM offers WHERE id = ?", (left,)).fetchone() == ("award-withdrawn",)
    db.close()

    again = _withdraw(out, KEY, "--reason", REASON)

    assert again.exit_code == 0, again.output
    events = _events(out)
    assert [event["action"] for event in events[before:]] == ["offers-closed"], events[before:]
    assert [entry["offer"] for entry in events[-1]["detail"]["offers_closed"]] == [left]  # type: ignore[index]
    assert f"; the earlier closing of its offers recorded (audit event {events[-1]['seq']})" in again.stderr
    assert _cli("audit", "verify", str(out)).exit_code == 0


def test_an_unreadable_offers_file_is_said_and_the_award_is_withdrawn(exported: tuple[Path, Path]) -> None:
    _, out = exported
    offers = out / ".edcbridge-offers.sqlite"
    offers.write_bytes(b"not an offers file " * 100)
    result = _withdraw(out, KEY, "--reason", REASON, "-q")
    assert result.exit_code == 0, result.output
    assert _record(out, KEY)[0] == "withdrawn" and _published(out, KEY) == []
    assert f"warning: {KEY}: the offers file {offers} cannot be read" in result.stderr, result.stderr
    assert f"edcbridge revoke {KEY} -o {out}" in result.stderr
    assert "nothing was changed" not in result.stderr

def test_the_run_that_misses_an_award_names_withdraw(
        store: SchemaStore, seal: SealFactory, exported: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = exported
    fewer = synthetic_awards(tmp_path / "fewer.csv", 1)
    result, _ = _export(store, seal, fewer, out)
    (note,) = [note for note in result.notes if "not in this run's input" in note]
    assert f"edcbridge withdraw {out} KEY... --reason TEXT" in note


def test_an_earlier_journal_format_is_upgraded_on_open(exported: tuple[Path, Path]) -> None:
    _, out = exported
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        db.execute("PRAGMA user_version = 3")
    db.close()
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (FORMAT,)
    db.close()


def test_a_failed_record_is_withdrawn_with_the_files_an_earlier_run_left_under_its_name(
        exported: tuple[Path, Path]) -> None:
    """The last run failed it and the journal lists no files (a journal of an earlier version
    kept none of a failed record), an earlier run had exported it."""
    _, out = exported
    published = _published(out, KEY)
    assert len(published) == 3
    journal = Journal.for_folder(out)
    journal.record(KEY, "f" * 64, "failed", "validate", {}, "validate: broken", [])
    journal.close()
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        db.execute("UPDATE records SET outputs = '{}' WHERE key = ?", (KEY,))
    db.close()
    result = _withdraw(out, KEY, "--reason", REASON)
    assert result.exit_code == 0, result.output
    assert "3 file(s) moved" in result.stderr and "the journal names no files of it" in result.stderr
    assert _published(out, KEY) == [] and all((out / "withdrawn" / p.parent.name / p.name).is_file()
                                              for p in published)
    assert _record(out, KEY)[0] == "withdrawn"
    assert _cli("audit", "verify", str(out)).exit_code == 0


def test_a_record_a_later_run_failed_is_withdrawn_with_the_files_its_journal_kept(
        exported: tuple[Path, Path]) -> None:
    _, out = exported
    published = _published(out, KEY)
    assert len(published) == 3
    journal = Journal.for_folder(out)
    journal.record(KEY, "f" * 64, "failed", "validate", {}, "validate: broken", [])
    journal.close()
    result = _withdraw(out, KEY, "--reason", REASON)
    assert result.exit_code == 0, result.output
    assert "3 file(s) moved" in result.stderr and "names no files" not in result.stderr, result.stderr
    assert _published(out, KEY) == [] and _record(out, KEY)[0] == "withdrawn"
    assert _cli("audit", "verify", str(out)).exit_code == 0


def _report_rows(out: Path) -> dict[str, dict[str, str]]:
    import csv

    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["award_id"]: row for row in csv.DictReader(handle)}


def _report_records(out: Path) -> dict[str, dict[str, object]]:
    report = json.loads((out / "report.json").read_text("utf-8"))
    return {str(record["award_id"]): record for record in report["records"]}


def test_the_last_runs_reports_mark_an_award_withdrawn_and_reinstated(
        store: SchemaStore, seal: SealFactory, exported: tuple[Path, Path]) -> None:
    """The reports listed a withdrawn credential as done, at paths it had left, until the next
    export: the morning reader took it for published."""
    awards, out = exported
    said = _withdraw(out, KEY, "--reason", REASON)
    assert said.exit_code == 0, said.output
    rows, records = _report_rows(out), _report_records(out)
    assert rows["SYN-00001"]["status"] == records["SYN-00001"]["status"] == "withdrawn"
    assert REASON in rows["SYN-00001"]["errors"] and REASON in str(records["SYN-00001"]["errors"])
    assert {rows[a]["status"] for a in ("SYN-00000", "SYN-00002")} == {"done"}
    assert {records[a]["status"] for a in ("SYN-00000", "SYN-00002")} == {"done"}
    page = (out / "report.html").read_text("utf-8")
    assert page.index(f"{KEY}: withdrawn on ") < page.index("All 3 records are done")
    assert _cli("audit", "verify", str(out)).exit_code == 0  # report.json's audit head still read

    _export(store, seal, awards, out)  # the row refused as withdrawn
    assert _withdraw(out, KEY, "--undo", "--reason", REASON).exit_code == 0
    assert _report_rows(out)["SYN-00001"]["status"] == _report_records(out)["SYN-00001"]["status"] == \
        "reinstated"
    assert f"{KEY}: reinstated after this report" in (out / "report.html").read_text("utf-8")


def test_reports_in_a_folder_whose_name_is_no_utf8_stay_json(store: SchemaStore, tmp_path: Path) -> None:
    """The note marking a withdrawn award names the folder: a name read from a Latin-1 disk
    (``w\\udce9``) was written back as the byte 0xE9, and no JSON parser read report.json again."""
    out = tmp_path / "w\udce9"
    try:
        out.mkdir()
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system takes no name that is not UTF-8")
    awards = synthetic_awards(tmp_path / "awards.csv", 2)
    assert run([Job(CATALOGUE, (awards,))], RunOptions(out_dir=out, store_root=store.root, workers=1),
               lambda outcome, status: None).done == 2
    assert _withdraw(out, KEY, "--reason", REASON).exit_code == 0
    report = json.loads((out / "report.json").read_bytes().decode("utf-8"))
    [note] = next(r["errors"] for r in report["records"] if r["award_id"] == "SYN-00001")
    assert f"{tmp_path}/w\\udce9/withdrawn" in note


def test_a_cell_of_report_csv_past_128_kib_is_no_crash_of_withdraw(
        store: SchemaStore, tmp_path: Path, csv_limit_kept: None) -> None:
    """An awards row whose value took in the rest of the file (a quote left open) is quoted whole
    in report.csv's errors; csv reads no cell past 128 KiB unless told, and withdraw, marking
    the reports, ended in a traceback after moving the files."""
    awards = synthetic_awards(tmp_path / "awards.csv", 3)
    rows = awards.read_text("utf-8").splitlines()
    rows[3] = rows[3].replace("IMP-MC-", "NOPE-" + "X" * 140_000 + "-", 1)  # fails, quoted in full
    awards.write_text("\n".join(rows) + "\n", "utf-8")
    out = tmp_path / "out"
    assert run([Job(CATALOGUE, (awards,))], RunOptions(out_dir=out, store_root=store.root, workers=1),
               lambda outcome, status: None).failed == 1
    csv.field_size_limit(128 * 1024)  # as withdraw, a process of its own, finds it
    said = _withdraw(out, KEY, "--reason", REASON)
    assert said.exit_code == 0, said.output
    assert _report_rows(out)["SYN-00001"]["status"] == "withdrawn"
    assert len(_report_rows(out)["SYN-00002"]["errors"]) > 140_000


def test_a_row_refused_as_withdrawn_is_marked_reinstated_whatever_its_id(store: SchemaStore,
                                                                          tmp_path: Path) -> None:
    """report.csv shows ``A;=1`` as ``A;'=1`` (no formula where Excel in a ``;`` locale starts a
    cell): the row a run refused as withdrawn is found by its id as the cell shows it."""
    from tests.test_pipeline import _awards_with_ids

    awards = _awards_with_ids(tmp_path / "awards.csv", ["A;=1", "B-2"])
    out = tmp_path / "out"
    options = RunOptions(out_dir=out, store_root=store.root, workers=1)
    assert run([Job(CATALOGUE, (awards,))], options, lambda outcome, status: None).done == 2
    assert _withdraw(out, "imperial/A;=1", "--reason", REASON).exit_code == 0
    assert run([Job(CATALOGUE, (awards,))], options, lambda outcome, status: None).withdrawn_in_input == 1
    assert _withdraw(out, "imperial/A;=1", "--undo", "--reason", REASON).exit_code == 0
    assert _report_rows(out)["A;'=1"]["status"] == _report_records(out)["A;=1"]["status"] == "reinstated"


def test_a_key_with_control_characters_is_named_escaped(exported: tuple[Path, Path]) -> None:
    """A key pasted with a terminal's escape sequence (or a line feed) was printed as given:
    it could retitle or clear the terminal, or fake a line of the output."""
    _, out = exported
    result = _withdraw(out, "X\x1b]0;owned\x07\nok: withdrawn", "--reason", REASON)
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.stderr and "\nok:" not in result.stderr
    assert "X\\x1b]0;owned\\x07\\nok: withdrawn: no such award" in result.stderr
