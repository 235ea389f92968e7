"""``edcbridge erase``: a learner's right to erasure, on a sealed export delivered to a wallet
over real HTTP, checked through the CLI and by reading every byte the folder keeps."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES
from tests.fake_http import FakeServer, Reply
from tests.fake_wallet import WalletFake

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
REASON = "erasure request DPO-2026-031"


@dataclass
class Exported:
    out: Path
    awards: Path
    args: list[str]  # the export command, to run again
    learners: dict[str, dict[str, str]]  # award id -> its awards row


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


@pytest.fixture
def wallet() -> Iterator[tuple[FakeServer, WalletFake]]:
    app = WalletFake()
    server = FakeServer(app).start()
    yield server, app
    server.stop()


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _fixture_rows() -> list[dict[str, str]]:
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def exported(tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
             monkeypatch: pytest.MonkeyPatch) -> Exported:
    """Three imperial awards exported as EDC, EBSI and EDC XML, sealed, with preview pages,
    delivered to the test wallet, and their Open Badges and CLRs made into the same folder."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    return _export(tmp_path, _fixture_rows()[:3], seal, wallet[0])


@pytest.fixture
def second_award(tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
                 monkeypatch: pytest.MonkeyPatch) -> Exported:
    """As ``exported``, with a fourth award, IMP-2026-000199, of the first award's learner."""
    rows = _fixture_rows()[:3]
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    return _export(tmp_path, [*rows, {**rows[0], "award_id": "IMP-2026-000199"}], seal, wallet[0])


def _export(tmp_path: Path, rows: list[dict[str, str]], seal: SealFactory, server: FakeServer,
            formats: tuple[str, ...] = ("edc", "ebsi", "edc-xml"), sealed: bool = True) -> Exported:
    """Export ``rows`` as ``formats`` with preview pages, sealed and delivered to the wallet
    of ``server`` unless not ``sealed``, and make their Open Badges and CLRs."""
    awards = tmp_path / "awards.csv"
    with awards.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    out = tmp_path / "out"
    sealing = ["--seal", str(seal.p12), "--password-file", str(password), "--deliver-wallet", server.base_url,
               "--no-send-email"] if sealed else []
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1",
            *(arg for fmt in formats for arg in ("--format", fmt)), *sealing, "--preview", "-q"]
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    badges = _cli("badges", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-q")
    assert badges.exit_code == 0, badges.output
    return Exported(out, awards, args, {row["award_id"]: row for row in rows})


def _key(award_id: str) -> str:
    return f"imperial/{award_id}"


def _erase(out: Path, *args: str) -> Result:
    return _cli("erase", str(out), *args)


def _personal(row: dict[str, str]) -> list[bytes]:
    """What identifies the learner of an awards row, as bytes a file could hold."""
    values = [row["email"], row["family_name"], row["learner_id"], row["national_id"], row["family_name@el"]]
    return [value.encode() for value in values if value]


def _files_holding(out: Path, needles: list[bytes]) -> list[str]:
    """Every file under ``out`` (journal, its log, reports, credentials) holding one of ``needles``."""
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.relative_to(out)}: {needle!r}" for needle in needles if needle in data]
    return found


def _verify(out: Path) -> dict[str, object]:
    verdict: dict[str, object] = json.loads(_cli("audit", "verify", str(out), "--json").stdout)
    return verdict


def _events(out: Path, action: str) -> list[dict[str, object]]:
    shown = _cli("audit", "show", str(out))
    return [event for event in map(json.loads, shown.stdout.splitlines()) if event["action"] == action]


def test_erasure_leaves_no_byte_of_the_learner_in_the_folder_and_the_trail_intact(exported: Exported) -> None:
    before, first, after = exported.learners  # the middle one: its rows lie between others'
    others = [before, after]
    held = {line.split(":")[0] for line in _files_holding(exported.out, _personal(exported.learners[first]))}
    assert {".edcbridge-journal.sqlite", "report.json", "deliveries.csv"} <= held  # there before
    erased = _erase(exported.out, _key(first), "--reason", REASON)
    assert erased.exit_code == 0, erased.output
    assert f"{_key(first)}: erased (audit event" in erased.output
    assert "wallet keeps its copy" in erased.output
    assert _files_holding(exported.out, _personal(exported.learners[first])) == []
    for other in others:  # the other learners' data stay
        assert _files_holding(exported.out, [exported.learners[other]["email"].encode()])
    verdict = _verify(exported.out)
    assert verdict["intact"] is True, verdict["problems"]
    (event,) = _events(exported.out, "erased")
    assert event["key"] == _key(first)
    detail = event["detail"]
    assert isinstance(detail, dict) and detail["reason"] == REASON and detail["deliveries"]
    folders = {file["file"].split("/")[0] for file in detail["files"]}
    assert folders >= {"edc", "ebsi", "edc-sealed", "edc-xml", "preview", "ob3", "clr"}


def test_reports_keep_the_other_rows_and_say_rows_were_taken_out(exported: Exported) -> None:
    first, *others = exported.learners
    assert _erase(exported.out, first, "--reason", REASON).exit_code == 0  # a bare award id
    report = json.loads((exported.out / "report.json").read_text(encoding="utf-8"))
    assert sorted(record["award_id"] for record in report["records"]) == sorted(others)
    assert sorted(delivery["award_id"] for delivery in report["deliveries"]) == sorted(others)
    assert any("taken out of this report" in note for note in report["notes"])
    with (exported.out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert sorted(row["award_id"] for row in csv.DictReader(handle)) == sorted(others)
    with (exported.out / "deliveries.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert sorted(row["award_id"] for row in csv.DictReader(handle)) == sorted(others)
    assert "taken out of this report" in (exported.out / "report.html").read_text(encoding="utf-8")


def test_a_rerun_whose_input_still_holds_the_learner_does_not_export_or_deliver_it_again(
        exported: Exported, wallet: tuple[FakeServer, WalletFake]) -> None:
    _, fake = wallet
    first = next(iter(exported.learners))
    assert _erase(exported.out, _key(first), "--reason", REASON).exit_code == 0
    deposits = len(fake.deposits)
    again = _cli(*exported.args)
    assert again.exit_code == 0, again.output
    report = json.loads((exported.out / "report.json").read_text(encoding="utf-8"))
    (row,) = [record for record in report["records"] if record["award_id"] == first]
    assert (row["status"], row["stage"]) == ("erased", "erased")
    assert "remove the learner's row from the input" in row["errors"][0]
    assert not list(exported.out.glob(f"*/imperial_{first}.*"))
    assert len(fake.deposits) == deposits
    assert _verify(exported.out)["intact"] is True


def test_erased_rows_left_in_the_input_are_counted_said_once_and_do_not_fail_the_nightly_run(
        exported: Exported) -> None:
    first = next(iter(exported.learners))
    assert _erase(exported.out, _key(first), "--reason", REASON).exit_code == 0
    quiet = [arg for arg in exported.args if arg != "-q"]
    for _night in range(2):
        again = _cli(*quiet)
        assert again.exit_code == 0, again.output
        assert again.stderr.count("erased at its learner's request is still in the input") == 1, again.stderr
        assert f"({first}): it is not exported again and does not fail the run" in again.stderr
        assert "from the system the input is exported from" in again.stderr
        assert "0 failed, 1 erased (still in the input)" in again.stderr
        report = json.loads((exported.out / "report.json").read_text(encoding="utf-8"))
        assert (report["failed"], report["erased_in_input"], report["skipped"]) == (0, 1, 2), report
        assert report["failed_by_stage"] == {}
        verdict = (exported.out / "report.html").read_text("utf-8")
        assert "All 2 records are done" in verdict and "erased at their learners&#x27; request" in verdict


def test_erasing_again_is_safe_removes_files_put_back_and_writes_no_second_event(exported: Exported) -> None:
    first = next(iter(exported.learners))
    key, sealed = _key(first), exported.out / "edc-sealed" / f"imperial_{first}.jsonld"
    copy = sealed.read_bytes()
    assert _erase(exported.out, key, "--reason", REASON).exit_code == 0
    sealed.write_bytes(copy)  # put back from a backup
    again = _erase(exported.out, key, "--reason", REASON)
    assert again.exit_code == 0, again.output
    assert f"{key}: erased already; 1 file(s) removed" in again.output
    assert not sealed.exists()
    assert len(_events(exported.out, "erased")) == 1
    assert _verify(exported.out)["intact"] is True


def test_a_gateway_offer_and_its_record_are_erased_with_the_award(exported: Exported) -> None:
    """What upload-dc4eu writes for an award: its QR code and the record of its offer."""
    first = next(iter(exported.learners))
    folder = exported.out / "offers-dc4eu"
    folder.mkdir()
    written = [folder / f"imperial_{first}.png", folder / f"imperial_{first}.json"]
    for path in written:
        path.write_bytes(b"offer")
    assert _erase(exported.out, _key(first), "--reason", REASON).exit_code == 0
    assert [path for path in written if path.exists()] == []


def test_offers_erasing_again_closes_are_an_event_of_the_audit_trail_without_the_learner(
        exported: Exported) -> None:
    """An erasure stopped before the offers file, or made by an earlier version, left them
    open: closed by the command run again, they are in the trail as a first run records them."""
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    first = next(iter(exported.learners))
    key = _key(first)
    assert _erase(exported.out, key, "--reason", REASON).exit_code == 0
    offers = OfferStore.for_folder(exported.out)
    left = offers.create(key, ("elm",), valid_for=600).offer_id
    offers.close()

    again = _erase(exported.out, key, "--reason", REASON)

    assert again.exit_code == 0, again.output
    closed = _events(exported.out, "offers-closed")
    assert [event["key"] for event in closed] == [key], closed
    detail = closed[0]["detail"]
    assert isinstance(detail, dict) and set(detail) == {"by", "at", "award", "offers_closed"}, detail
    assert detail["award"] == "erased" and detail["by"].endswith("(edcbridge erase)"), detail
    assert [entry["offer"] for entry in detail["offers_closed"]] == [left], detail
    assert f"; 1 offer(s) left open closed (audit event {closed[0]['seq']})" in again.output, again.output
    with sqlite3.connect(exported.out / OFFERS_NAME) as db:
        assert db.execute("SELECT state FROM offers WHERE id = ?", (left,)).fetchone() == ("erased",)
    db.close()
    assert len(_events(exported.out, "erased")) == 1
    assert _files_holding(exported.out, _personal(exported.learners[first])) == []
    assert _verify(exported.out)["intact"] is True


def test_an_award_withdrawn_first_has_its_withdrawn_files_erased_too(exported: Exported) -> None:
    first = next(iter(exported.learners))
    assert _cli("withdraw", str(exported.out), _key(first), "--reason", "entered in error").exit_code == 0
    assert list((exported.out / "withdrawn").rglob(f"imperial_{first}.*"))
    assert _erase(exported.out, _key(first), "--reason", REASON).exit_code == 0
    assert not list((exported.out / "withdrawn").rglob(f"imperial_{first}.*"))
    assert _files_holding(exported.out, _personal(exported.learners[first])) == []
    assert _verify(exported.out)["intact"] is True


def _sql(out: Path, statement: str, *values: str) -> None:
    db = sqlite3.connect(out / JOURNAL_NAME)
    with db:
        db.execute(statement, values)
    db.close()


def test_a_delivery_row_deleted_by_hand_is_tampering_until_its_erasure_is_recorded(
        exported: Exported) -> None:
    key = _key(next(iter(exported.learners)))
    _sql(exported.out, "DELETE FROM deliveries WHERE key = ?", key)
    verdict = _verify(exported.out)
    assert verdict["intact"] is False
    assert any(f"deliveries table holds no delivery of {key}" in str(p) and "edcbridge erase" in str(p)
               for p in verdict["problems"])  # type: ignore[union-attr]
    assert _erase(exported.out, key, "--reason", REASON).exit_code == 0
    verdict = _verify(exported.out)
    assert verdict["intact"] is True, verdict["problems"]


def test_a_record_marked_erased_by_hand_is_not_intact(exported: Exported) -> None:
    key = _key(next(iter(exported.learners)))
    _sql(exported.out, "UPDATE records SET state = 'erased' WHERE key = ?", key)
    verdict = _verify(exported.out)
    assert verdict["intact"] is False
    assert f"record {key} is erased but its erased event is not in the trail (events removed?)" in \
        verdict["problems"]  # type: ignore[operator]


def test_a_record_deleted_after_its_erasure_is_intact_and_without_it_not(exported: Exported) -> None:
    first, second, _ = exported.learners
    assert _erase(exported.out, _key(first), "--reason", REASON).exit_code == 0
    _sql(exported.out, "DELETE FROM records WHERE key = ?", _key(first))
    assert _verify(exported.out)["intact"] is True
    _sql(exported.out, "DELETE FROM records WHERE key = ?", _key(second))
    assert _verify(exported.out)["intact"] is False


def test_a_folder_a_run_holds_is_refused(exported: Exported, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import os

    from edcbridge.pipeline import runner

    key = _key(next(iter(exported.learners)))
    monkeypatch.setattr(runner, "_BUSY_WAIT", 0.2)
    held = os.open(exported.out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as an export run holds it
        busy = _erase(exported.out, key, "--reason", REASON)
    finally:
        os.close(held)
    assert busy.exit_code == 2
    assert "another edcbridge run is using this output folder" in busy.output
    assert _events(exported.out, "erased") == []


def test_an_unknown_award_exits_1_and_the_others_are_erased(exported: Exported) -> None:
    first = next(iter(exported.learners))
    result = _erase(exported.out, "NO-SUCH-AWARD", _key(first), "--reason", REASON)
    assert result.exit_code == 1
    assert "NO-SUCH-AWARD: no such award" in result.output
    assert [event["key"] for event in _events(exported.out, "erased")] == [_key(first)]


def test_badges_made_again_from_an_input_still_holding_the_learner_leave_the_award_out(
        exported: Exported) -> None:
    first = next(iter(exported.learners))
    assert _erase(exported.out, _key(first), "--reason", REASON).exit_code == 0
    badges = _cli("badges", str(exported.awards), "-c", str(CATALOGUE), "-o", str(exported.out))
    assert badges.exit_code == 0, badges.output
    assert f"note: {_key(first)}: erased on " in badges.output and "remove its learner's row" in badges.output
    assert "--undo" not in badges.output
    assert _files_holding(exported.out, _personal(exported.learners[first])) == []


def test_offer_of_an_erased_award_says_when_it_was_erased(exported: Exported) -> None:
    first = next(iter(exported.learners))
    assert _erase(exported.out, _key(first), "--reason", REASON).exit_code == 0
    for name in (_key(first), first):  # the key, and the bare award id
        offered = _cli("offer", name, "-o", str(exported.out))
        assert offered.exit_code == 1
        assert f"{_key(first)}: erased on 20" in offered.output and REASON in offered.output
        assert "not exported" not in offered.output and "no exported award" not in offered.output
    assert not list((exported.out / "offers").glob(f"*{first}*"))


def _push_wallet(exported: Exported, base_url: str, *extra: str) -> Result:
    """``push wallet`` of the three sealed credentials, results and state in the export folder."""
    manifest = exported.out.parent / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["credential", "email", "locale"])
        for award_id, row in exported.learners.items():
            writer.writerow([f"out/edc-sealed/imperial_{award_id}.jsonld", row["email"], "en"])
    return _cli("push", "wallet", str(manifest), "--base-url", base_url, "-o", str(exported.out),
                "--no-send-email", *extra)


def test_push_wallets_state_log_and_results_lose_the_learners_lines_and_keep_the_others(
        exported: Exported, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, _ = wallet
    first, *others = exported.learners
    assert _push_wallet(exported, server.base_url, "--dry-run").exit_code == 0
    assert _push_wallet(exported, server.base_url).exit_code == 0
    state = exported.out / "wallet-state.json"
    pushed = [key for items in json.loads(state.read_text("utf-8"))["endpoints"].values() for key in items]
    killed = {"op": "sending", "key": next(key for key in pushed if exported.learners[first]["email"] in key),
              "digest": "0" * 64, "endpoint": server.base_url}  # the line a push killed part way leaves
    (exported.out / "wallet-state.json.log").write_text(json.dumps(killed) + "\n", encoding="utf-8")

    erased = _erase(exported.out, _key(first), "--reason", REASON)

    assert erased.exit_code == 0, erased.output
    assert "line(s) of push wallet's state and results erased" in erased.output
    assert _files_holding(exported.out, _personal(exported.learners[first])) == []
    assert not (exported.out / "wallet-state.json.log").exists()
    for name in ("wallet-state.json", "wallet-results.json", "wallet-results.csv", "wallet-dry-run.json",
                 "wallet-dry-run.csv"):
        held = (exported.out / name).read_text("utf-8")
        assert all(exported.learners[other]["email"] in held for other in others), name
    results = json.loads((exported.out / "wallet-results.json").read_text("utf-8"))
    assert len(results["items"]) == 2 and "taken out of these results" in results["notes"][0]
    again = _push_wallet(exported, server.base_url, "--json")  # the others: delivered already
    outcomes = {item["key"].split(" -> ")[1]: item["status"] for item in json.loads(again.stdout)["items"]}
    assert all(outcomes[exported.learners[other]["email"]] == "skipped" for other in others)


def test_a_push_holding_the_wallet_state_makes_erase_fail_until_it_ends(
        exported: Exported, wallet: tuple[FakeServer, WalletFake]) -> None:
    from edcbridge.deliver.state import State

    server, _ = wallet
    first = next(iter(exported.learners))
    assert _push_wallet(exported, server.base_url).exit_code == 0
    push = State.load(exported.out / "wallet-state.json", "wallet", server.base_url, hold=True)
    try:
        busy = _erase(exported.out, _key(first), "--reason", REASON)
    finally:
        push.release()
    assert busy.exit_code == 1
    assert "another push is using this state file" in busy.output
    assert "run the same command again" in busy.output
    assert exported.learners[first]["email"] in (exported.out / "wallet-state.json").read_text("utf-8")
    again = _erase(exported.out, _key(first), "--reason", REASON)
    assert again.exit_code == 0, again.output
    assert _files_holding(exported.out, _personal(exported.learners[first])) == []


LATER = "IMP-2026-000199"  # second_award's award of the first learner


def test_learner_erases_every_award_of_the_learner_withdrawn_too_naming_them_first(
        second_award: Exported) -> None:
    first, *others = [award for award in second_award.learners if award != LATER]
    learner = second_award.learners[first]
    assert _cli("withdraw", str(second_award.out), _key(LATER), "--reason", "entered in error").exit_code == 0

    erased = _erase(second_award.out, "--learner", learner["learner_id"], "--reason", REASON)

    assert erased.exit_code == 0, erased.output
    found = f"--learner: 2 award(s) of this learner found: {_key(first)}, {_key(LATER)}"
    assert erased.output.index(found) < erased.output.index(f"{_key(first)}: erased (audit event")
    assert sorted(event["key"] for event in _events(second_award.out, "erased")) == [_key(first), _key(LATER)]
    assert _files_holding(second_award.out, _personal(learner)) == []
    for other in others:
        assert _files_holding(second_award.out, [second_award.learners[other]["email"].encode()])
    assert _verify(second_award.out)["intact"] is True


def test_email_finds_the_learners_awards_whatever_the_letter_case(second_award: Exported) -> None:
    first = next(iter(second_award.learners))
    learner = second_award.learners[first]

    erased = _erase(second_award.out, "--email", learner["email"].upper(), "--reason", REASON, "-q")

    assert erased.exit_code == 0, erased.output
    assert f"--email: 2 award(s) of this learner found: {_key(first)}, {_key(LATER)}" in erased.output
    assert _files_holding(second_award.out, _personal(learner)) == []


def test_a_learner_found_nowhere_erases_nothing_not_even_the_keys_given(exported: Exported) -> None:
    first = next(iter(exported.learners))

    refused = _erase(exported.out, _key(first), "--learner", "NO-SUCH-LEARNER", "--reason", REASON)

    assert refused.exit_code == 1
    assert "--learner: no award of this learner in the credentials" in refused.output
    assert "nothing was erased" in refused.output and "NO-SUCH-LEARNER" not in refused.output
    assert _events(exported.out, "erased") == []
    assert _files_holding(exported.out, _personal(exported.learners[first]))


def test_an_erased_learner_is_found_no_more_and_erase_without_awards_is_a_usage_error(
        exported: Exported) -> None:
    first = next(iter(exported.learners))
    learner_id = exported.learners[first]["learner_id"]
    assert _erase(exported.out, "--learner", learner_id, "--reason", REASON).exit_code == 0

    again = _erase(exported.out, "--learner", learner_id, "--reason", REASON)
    neither = _erase(exported.out, "--reason", REASON)

    assert again.exit_code == 1 and "erased already" in again.output
    assert neither.exit_code == 2 and "--learner ID or --email ADDRESS" in neither.output


@pytest.mark.parametrize(("formats", "removed", "place"), [
    (("ebsi",), (), "ebsi/"), (("edc-xml",), (), "edc-xml/"), (("ebsi",), ("ebsi", "preview"), "ob3/, clr/")],
    ids=["ebsi", "edc-xml", "open-badges"])
def test_learner_finds_the_awards_of_a_folder_without_edc_credentials_and_leaves_no_byte_of_them(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch, formats: tuple[str, ...], removed: tuple[str, ...],
        place: str) -> None:
    rows = [*_fixture_rows()[:3], {**_fixture_rows()[0], "award_id": LATER}]
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    exported = _export(tmp_path, rows, seal, wallet[0], formats, sealed=False)
    for folder in removed:
        shutil.rmtree(exported.out / folder)
    assert not (exported.out / "edc").exists() and not (exported.out / "edc-sealed").exists()
    first, *others = [award for award in exported.learners if award != LATER]
    learner = exported.learners[first]

    erased = _erase(exported.out, "--learner", learner["learner_id"], "--reason", REASON)

    assert erased.exit_code == 0, erased.output
    assert f"--learner: 2 award(s) of this learner found: {_key(first)}, {_key(LATER)}" in erased.output
    assert f"  {_key(first)}: by {place}" in erased.output, erased.output
    assert _files_holding(exported.out, _personal(learner)) == []
    for other in others:  # their names, in every format
        assert _files_holding(exported.out, _personal(exported.learners[other]))
    assert _verify(exported.out)["intact"] is True


def test_awards_whose_files_were_removed_are_found_by_their_delivery_address_or_named_for_their_keys(
        exported: Exported) -> None:
    first = next(iter(exported.learners))
    learner = exported.learners[first]
    for folder in ("edc", "edc-sealed", "ebsi", "edc-xml", "preview", "ob3", "clr"):
        shutil.rmtree(exported.out / folder)

    by_id = _erase(exported.out, "--learner", learner["learner_id"], "--reason", REASON)
    by_address = _erase(exported.out, "--email", learner["email"].upper(), "--reason", REASON)

    assert by_id.exit_code == 1 and "nothing was erased" in by_id.output
    unknown = f"3 award(s) of {exported.out} have no file left here that names their learner"
    assert unknown in by_id.output and _key(first) in by_id.output
    assert "erase each by its KEY: edcbridge erase" in by_id.output
    assert "--email ADDRESS finds those delivered" in by_id.output
    assert by_address.exit_code == 0, by_address.output
    assert f"--email: 1 award(s) of this learner found: {_key(first)}" in by_address.output
    assert f"  {_key(first)}: by the journal's deliveries" in by_address.output
    assert "have no file left" not in by_address.output  # the others' deliveries name their learners
    assert _files_holding(exported.out, _personal(learner)) == []
    assert _verify(exported.out)["intact"] is True


def _report_ids(out: Path) -> tuple[list[str], list[str], str]:
    """The award ids of report.json's records and of report.csv's rows, and report.json's notes."""
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    with (out / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [row["award_id"] for row in csv.DictReader(handle)]
    return [record["award_id"] for record in report["records"]], rows, " ".join(report["notes"])


def test_a_learner_erased_again_after_an_erasure_stopped_part_way_leaves_no_row_in_the_reports(
        second_award: Exported, tmp_path: Path) -> None:
    first, *others = [award for award in second_award.learners if award != LATER]
    kept = tmp_path / "reports"
    kept.mkdir()
    for name in ("report.json", "report.csv", "report.html", "deliveries.csv"):
        shutil.copy2(second_award.out / name, kept / name)
    assert _erase(second_award.out, _key(first), "--reason", REASON).exit_code == 0
    for name in ("report.json", "report.csv", "report.html", "deliveries.csv"):  # as a kill before the
        shutil.copy2(kept / name, second_award.out / name)  # reports were rewritten leaves them

    learner = second_award.learners[first]["learner_id"]
    again = _erase(second_award.out, "--learner", learner, "--reason", REASON)

    assert again.exit_code == 0, again.output
    assert f"--learner: 1 award(s) of this learner found: {_key(LATER)}" in again.output
    records, rows, notes = _report_ids(second_award.out)
    assert sorted(records) == sorted(rows) == sorted(others)
    assert "the rows of 2 award(s) were taken out" in notes
    assert _files_holding(second_award.out, _personal(second_award.learners[first])) == []


def test_a_later_runs_row_of_an_award_erased_before_stays_when_another_learner_is_erased(
        exported: Exported) -> None:
    first, second, third = exported.learners
    assert _erase(exported.out, _key(first), "--reason", REASON).exit_code == 0
    assert _cli(*exported.args).exit_code == 0  # its row: erased, still in the input

    assert _erase(exported.out, _key(second), "--reason", REASON).exit_code == 0

    records, rows, notes = _report_ids(exported.out)
    assert sorted(records) == sorted(rows) == sorted([first, third])
    assert "the rows of 1 award(s) were taken out" in notes


def test_a_learner_erased_again_after_a_stop_before_the_reports_were_rewritten_leaves_no_row(
        second_award: Exported, tmp_path: Path) -> None:
    first, *others = [award for award in second_award.learners if award != LATER]
    learner = second_award.learners[first]["learner_id"]
    kept = tmp_path / "reports"
    kept.mkdir()
    for name in ("report.json", "report.csv", "report.html", "deliveries.csv"):
        shutil.copy2(second_award.out / name, kept / name)
    assert _erase(second_award.out, "--learner", learner, "--reason", REASON).exit_code == 0
    for name in ("report.json", "report.csv", "report.html", "deliveries.csv"):
        shutil.copy2(kept / name, second_award.out / name)

    again = _erase(second_award.out, "--learner", learner, "--reason", REASON)

    assert again.exit_code == 1 and "nothing was erased" in again.output  # none left to find
    records, rows, _notes = _report_ids(second_award.out)
    assert sorted(records) == sorted(rows) == sorted(others)
    assert _files_holding(second_award.out, _personal(second_award.learners[first])) == []


def test_wallet_results_holding_a_cell_past_128_kib_are_rewritten(
        exported: Exported, csv_limit_kept: None) -> None:
    """A wallet's refusal is kept whole in wallet-results.csv; csv reads no cell past 128 KiB
    unless told, and erase, a process of its own, ended in a traceback taking the award out."""
    said = "the credential was refused: " + "X" * 140_000
    refusing = FakeServer(lambda _req: Reply.json(400, {"code": "", "message": said})).start()
    try:
        pushed = _push_wallet(exported, refusing.base_url)
    finally:
        refusing.stop()
    assert pushed.exit_code == 1, pushed.output
    first, *others = exported.learners
    csv.field_size_limit(128 * 1024)  # as erase finds it in a process of its own
    erased = _erase(exported.out, _key(first), "--reason", REASON)
    assert erased.exit_code == 0, erased.output
    with (exported.out / "wallet-results.csv").open(encoding="utf-8", newline="") as handle:
        csv.field_size_limit(2**31 - 1)
        rows = list(csv.DictReader(handle))
    assert [row["key"].split(" -> ")[1] for row in rows] == [exported.learners[o]["email"] for o in others]
    assert all(said in row["message"] for row in rows)
