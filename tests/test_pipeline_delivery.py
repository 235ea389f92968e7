"""The pipeline's deliver stage against the Europass wallet contract fake, over real HTTP."""

from __future__ import annotations

import csv
import errno
import html
import json
import re
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.cli import _RunOutput, main
from edcbridge.deliver.silence import wallet_unavailable
from edcbridge.deliver.wallet_client import WalletClient
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run, runner
from edcbridge.pipeline.delivery import (
    EARLIER_VERSION,
    NO_EMAIL,
    UNSURE,
    Delivery,
    WalletTarget,
    deliver_pending,
)
from edcbridge.pipeline.journal import JOURNAL_NAME, Journal, verify_audit
from edcbridge.pipeline.reports import ReportWriter
from edcbridge.pipeline.runner import RunResult
from edcbridge.schemas import SchemaStore
from edcbridge.seal.verify import verify_document
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES
from tests.fake_http import FakeServer, Fault, Reply
from tests.fake_wallet import WalletFake

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def wallet() -> Iterator[tuple[FakeServer, WalletFake]]:
    app = WalletFake()
    server = FakeServer(app).start()
    yield server, app
    server.stop()


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


def _awards(tmp_path: Path, count: int, without_email: int | None = None) -> tuple[Path, dict[str, str]]:
    """The first ``count`` fixture awards; returns the file and award id -> e-mail."""
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))[:count]
    if without_email is not None:
        rows[without_email]["email"] = ""
    path = tmp_path / "awards.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path, {row["award_id"]: row["email"] for row in rows}


def _run(awards: Path, out: Path, store: SchemaStore, seal: SealFactory, url: str,
         workers: int = 1, redeliver: frozenset[str] = frozenset(),
         seen: list[Delivery] | None = None) -> RunResult:
    options = RunOptions(out_dir=out, store_root=store.root, formats=(), workers=workers, seal=seal,
                         deliver=WalletTarget(url, send_email=False, locale="en", redeliver=redeliver))
    return run([Job(CATALOGUE, (awards,))], options,
               on_delivery=seen.append if seen is not None else lambda d: None)


def _held(fake: WalletFake, email: str) -> list[str]:
    """The credentials (unsealed JSON) the learner's wallet holds now."""
    wallet = fake.wallet(mail=email)
    assert wallet is not None
    return [fake.stored[(email, credential_id)] for credential_id in wallet.credentials]


def _payload(path: Path) -> str:
    return str(json.loads(path.read_bytes())["payload"])


def _assert_wallets_hold_the_sealed_files(fake: WalletFake, out: Path, emails: dict[str, str]) -> None:
    for path in (out / "edc-sealed").iterdir():
        email = next(e for award_id, e in emails.items() if award_id in path.name)
        assert _held(fake, email) == [_payload(path)]


def _deposits(server: FakeServer) -> list[bytes]:
    return [entry.body for entry in server.log if entry.method == "POST"]


def test_each_sealed_credential_reaches_its_learner_once_and_a_rerun_sends_nothing(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 4)
    out = tmp_path / "out"
    result = _run(awards, out, store, seal, server.base_url, workers=2)
    assert (result.done, result.delivered, result.already_delivered, result.delivery_failed) == (4, 4, 0, 0)
    sealed = {path.stem: path.read_bytes() for path in (out / "edc-sealed").iterdir()}
    assert sorted(d["wallet"] for d in fake.deposits) == sorted(emails.values())
    assert all(d["sendEmail"] == "false" and d["locale"] == "en" for d in fake.deposits)
    # what the wallet received is the sealed file, byte for byte, and its seal verifies
    for body in _deposits(server):
        match = [name for name, data in sealed.items() if data in body]
        assert len(match) == 1
        assert verify_document(sealed[match[0]]).checks["SEAL"].status == "OK"
    _assert_wallets_hold_the_sealed_files(fake, out, emails)
    audit = verify_audit(out / JOURNAL_NAME)
    assert audit.intact
    db = sqlite3.connect(out / JOURNAL_NAME)
    actions = Counter(action for (action,) in db.execute("SELECT action FROM audit"))
    db.close()
    assert actions == {"issued": 4, "sealed": 4, "delivered": 4}
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["delivered"] == 4 and len(report["records"]) == 4  # one record per award, as before
    assert sorted(d["recipient"] for d in report["deliveries"]) == sorted(emails.values())
    assert all(d["status"] == "delivered" and d["target_id"] for d in report["deliveries"])
    with (out / "deliveries.csv").open(encoding="utf-8") as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["delivered"] * 4

    requests = len(server.log)
    again = _run(awards, out, store, seal, server.base_url)
    assert (again.skipped, again.delivered, again.already_delivered, again.delivery_failed) == (4, 0, 0, 0)
    assert len(server.log) == requests  # nothing sent twice
    assert json.loads((out / "report.json").read_text("utf-8"))["deliveries"] == []
    assert (out / "deliveries.csv").read_text("utf-8").splitlines()[1:] == []  # this run's: none


def test_a_failed_deposit_is_delivered_by_the_next_run_without_duplicates(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, _ = _awards(tmp_path, 3)
    out = tmp_path / "out"
    server.faults.append(Fault("status", 503, method="POST"))
    first = _run(awards, out, store, seal, server.base_url)
    assert (first.done, first.delivered, first.delivery_failed) == (3, 2, 1)
    with (out / "deliveries.csv").open(encoding="utf-8") as handle:
        failed = [row for row in csv.DictReader(handle) if row["status"] == "failed"]
    assert len(failed) == 1 and "503" in failed[0]["error"]
    assert "Failed deliveries" in (out / "report.html").read_text("utf-8")
    second = _run(awards, out, store, seal, server.base_url)
    assert (second.skipped, second.delivered, second.delivery_failed) == (3, 1, 0)
    assert len(fake.deposits) == 3 and len({d["id"] for d in fake.deposits}) == 3


def test_a_journal_that_forgot_its_deliveries_sends_nothing_twice(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, _ = _awards(tmp_path, 3)
    out = tmp_path / "out"
    assert _run(awards, out, store, seal, server.base_url).delivered == 3
    # the delivery rows lost (a journal restored from an older copy, say)
    db = sqlite3.connect(out / JOURNAL_NAME)
    db.execute("DELETE FROM deliveries")
    db.commit()
    db.close()
    again = _run(awards, out, store, seal, server.base_url)
    assert (again.delivered, again.already_delivered, again.delivery_failed) == (0, 3, 0)
    assert len(fake.deposits) == 3  # the wallet holds each credential once


def test_an_award_without_an_email_address_fails_delivery_with_the_fix_and_the_cli_says_so(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 3, without_email=1)
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"), "-j", "1",
            "--seal", str(seal.p12), "--password-file", str(password),
            "--deliver-wallet", server.base_url, "--no-send-email"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert NO_EMAIL in result.output
    assert "2 delivered, 0 already there, 1 failed" in result.output
    assert sorted(d["wallet"] for d in fake.deposits) == sorted(e for e in emails.values() if e)
    for address in filter(None, emails.values()):  # the reports name the learner, the terminal need not
        local, domain = address.split("@")
        assert local not in result.output
        assert f"-> ***@{domain}" in result.output
    with (tmp_path / "out" / "deliveries.csv").open(encoding="utf-8-sig") as handle:
        assert sorted(row["recipient"] for row in csv.DictReader(handle)) == sorted(emails.values())


@pytest.mark.parametrize(("option", "said"), [
    (["--deliver-wallet", "http://127.0.0.1:9"], "--deliver-wallet needs --seal"),
    (["--wallet-locale", "english"], "--wallet-locale 'english' is not a language code"),
])
def test_delivery_options_are_checked_before_any_work(tmp_path: Path, option: list[str], said: str) -> None:
    awards, _ = _awards(tmp_path, 1)
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "o"),
                                       *option])
    assert result.exit_code == 2
    assert said in result.output
    assert not (tmp_path / "o").exists()


def test_only_the_runs_own_records_are_delivered(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 3)
    out = tmp_path / "out"
    server.faults.append(Fault("status", 503, method="POST"))  # the first deposit (first key) fails
    first = _run(awards, out, store, seal, server.base_url)
    assert (first.delivered, first.delivery_failed) == (2, 1)
    undelivered = min(emails)
    original = awards.read_text("utf-8")
    lines = original.splitlines(keepends=True)
    assert lines[1].startswith(undelivered + ",")
    # its row now fails to load: its earlier sealed version (intact on disk) is not sent
    awards.write_text(original.replace("2025-07-14", "not-a-date", 1), "utf-8")
    broken = _run(awards, out, store, seal, server.base_url)
    assert (broken.failed, broken.delivered, broken.delivery_failed) == (1, 0, 0)
    # withdrawn from the input: not sent either
    awards.write_text(lines[0] + "".join(lines[2:]), "utf-8")
    withdrawn = _run(awards, out, store, seal, server.base_url)
    assert (withdrawn.skipped, withdrawn.delivered, withdrawn.delivery_failed) == (2, 0, 0)
    assert len(fake.deposits) == 2
    # back in the input as it was: delivered now
    awards.write_text(original, "utf-8")
    back = _run(awards, out, store, seal, server.base_url)
    assert (back.done, back.skipped, back.delivered) == (1, 2, 1)  # failed since: made again
    assert sorted(d["wallet"] for d in fake.deposits) == sorted(emails.values())


def test_a_changed_credential_is_not_reported_delivered_while_the_wallet_holds_the_old_one(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 3)
    out = tmp_path / "out"
    assert _run(awards, out, store, seal, server.base_url).delivered == 3
    changed = min(emails)
    text = awards.read_text("utf-8")
    assert text.splitlines()[1].startswith(changed + ",") and "Distinction" in text.splitlines()[1]
    awards.write_text(text.replace("Distinction", "Pass", 1), "utf-8")  # a corrected grade
    again = _run(awards, out, store, seal, server.base_url)
    assert (again.done, again.skipped, again.delivered, again.already_delivered, again.delivery_failed) == \
        (1, 2, 0, 0, 1)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert EARLIER_VERSION in report["deliveries"][0]["error"]
    # the learner removes the old one from the wallet: the next run delivers the new one
    holder = fake.wallet(mail=emails[changed])
    assert holder is not None
    credential_id = next(iter(holder.credentials))
    del holder.credentials[credential_id]
    last = _run(awards, out, store, seal, server.base_url)
    assert (last.skipped, last.delivered, last.delivery_failed) == (3, 1, 0)
    assert [d["id"] for d in fake.deposits].count(credential_id) == 2


def test_lost_answers_never_make_a_false_report_or_a_duplicate(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 3)
    out = tmp_path / "out"
    first_key = min(emails)
    server.faults.append(Fault("drop-after", method="POST"))  # stored, but the answer is lost
    first = _run(awards, out, store, seal, server.base_url)
    assert (first.delivered, first.delivery_failed) == (2, 1) and len(fake.deposits) == 3
    text = awards.read_text("utf-8")
    assert text.splitlines()[1].startswith(first_key + ",") and "Distinction" in text.splitlines()[1]
    awards.write_text(text.replace("Distinction", "Pass", 1), "utf-8")  # then the award changes
    changed = _run(awards, out, store, seal, server.base_url)
    assert (changed.done, changed.delivered, changed.already_delivered, changed.delivery_failed) == \
        (1, 0, 0, 1)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert EARLIER_VERSION in report["deliveries"][0]["error"]  # the wallet holds the first version
    holder = fake.wallet(mail=emails[first_key])
    assert holder is not None
    credential_id = next(iter(holder.credentials))
    del holder.credentials[credential_id]  # the learner removes it
    server.faults.append(Fault("drop-after", method="POST"))  # the new version is stored, answer lost
    lost = _run(awards, out, store, seal, server.base_url)
    assert (lost.delivered, lost.delivery_failed) == (0, 1)
    # the wallet answers CR-0001: it holds the new version or, had the learner not removed it,
    # the old one; nothing here can tell, so it is not reported delivered
    unsure = _run(awards, out, store, seal, server.base_url)
    assert (unsure.delivered, unsure.already_delivered, unsure.delivery_failed) == (0, 0, 1)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert UNSURE in report["deliveries"][0]["error"]
    del holder.credentials[credential_id]  # the learner removes what the wallet shows
    settled = _run(awards, out, store, seal, server.base_url)
    assert (settled.delivered, settled.already_delivered, settled.delivery_failed) == (1, 0, 0)
    assert Counter(d["id"] for d in fake.deposits)[credential_id] == 3 and len(fake.deposits) == 5
    current = next(p for p in (out / "edc-sealed").iterdir() if first_key in p.name)
    assert _held(fake, emails[first_key]) == [_payload(current)]


def test_each_address_is_a_wallet_of_its_own(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 1)
    out = tmp_path / "out"
    (first,) = emails.values()
    original = awards.read_text("utf-8")
    assert _run(awards, out, store, seal, server.base_url).delivered == 1
    awards.write_text(original.replace(first, "new.address@example.org"), "utf-8")
    moved = _run(awards, out, store, seal, server.base_url)
    assert (moved.done, moved.delivered, moved.delivery_failed) == (1, 1, 0)
    awards.write_text(original, "utf-8")  # back to the first address: the credential it holds
    back = _run(awards, out, store, seal, server.base_url)
    assert (back.done, back.delivered, back.already_delivered, back.delivery_failed) == (1, 0, 1, 0)
    sealed = next((out / "edc-sealed").iterdir())
    delivered = _payload(sealed)
    assert _held(fake, first) == [delivered]
    # the same address in other capitals is the same wallet: a corrected grade is not "delivered"
    local, _, domain = first.partition("@")
    assert "Distinction" in original.splitlines()[1]
    awards.write_text(original.replace(first, f"{local}@{domain.upper()}").replace("Distinction", "Pass", 1),
                      "utf-8")
    recased = _run(awards, out, store, seal, server.base_url)
    assert (recased.done, recased.delivered, recased.already_delivered, recased.delivery_failed) == \
        (1, 0, 0, 1)
    assert _held(fake, first) == [delivered] != [_payload(sealed)]  # the earlier version, as reported


def test_the_same_credential_sealed_again_is_not_a_new_version(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 2)
    out = tmp_path / "out"
    assert _run(awards, out, store, seal, server.base_url).delivered == 2
    before = {path.name: path.read_bytes() for path in (out / "edc-sealed").iterdir()}
    for path in (out / "edc-sealed").iterdir():
        path.unlink()  # exported and sealed again, a second later: other bytes, same credential
    time.sleep(1.1)
    again = _run(awards, out, store, seal, server.base_url)
    assert all(path.read_bytes() != before[path.name] for path in (out / "edc-sealed").iterdir())
    assert (again.done, again.delivered, again.unchanged, again.delivery_failed) == (2, 0, 2, 0)
    assert len(fake.deposits) == 2
    _assert_wallets_hold_the_sealed_files(fake, out, emails)  # the same content, sealed once


def test_a_refusal_without_a_message_is_a_failure_and_the_next_run_delivers(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, _ = _awards(tmp_path, 2)
    out = tmp_path / "out"
    server.app = lambda request: Reply.json(400, {})  # a documented status with nothing said
    refused = _run(awards, out, store, seal, server.base_url)
    assert (refused.delivered, refused.delivery_failed) == (0, 2)
    with (out / "deliveries.csv").open(encoding="utf-8") as handle:
        errors = [row["error"] for row in csv.DictReader(handle)]
    assert len(errors) == 2
    assert all("`edcbridge validate`" in error and "run the same command again" in error for error in errors)
    server.app = fake
    again = _run(awards, out, store, seal, server.base_url)
    assert (again.skipped, again.delivered, again.delivery_failed) == (2, 2, 0)


def test_deposits_held_back_by_a_long_pause_are_not_journaled_as_sent(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    """A 503 asking for ten minutes stops the sending; the deposits never sent are not
    "sending" (a request made, its outcome unknown), so a later CR-0001 is read rightly."""
    server, fake = wallet
    awards, _ = _awards(tmp_path, 3)
    out = tmp_path / "out"
    server.faults.append(Fault("status", 503, {"Retry-After": "600"}, method="POST"))
    first = _run(awards, out, store, seal, server.base_url)
    assert (first.done, first.delivered, first.delivery_failed, first.delivery_not_sent) == (3, 0, 1, 2)
    assert len([e for e in server.log if e.method == "POST"]) == 1
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        states = Counter(state for (state,) in db.execute("SELECT state FROM deliveries"))
    assert states == Counter({"failed": 3})  # the one answered "later" stored nothing either
    second = _run(awards, out, store, seal, server.base_url)
    assert (second.delivered, second.delivery_failed) == (3, 0) and len(fake.deposits) == 3


@pytest.mark.parametrize("status", [429, 503])
def test_the_cli_stops_delivering_when_the_wallet_asks_to_wait_longer_than_a_run_waits(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    """A 429/503 with a Retry-After longer than a run waits stored nothing: that deposit fails,
    the wallet is asked nothing more and the rest are not sent, said once with when to run again
    as push wallet says it, with the same counts in stderr and every report; the same command
    then delivers them."""
    server, fake = wallet
    awards, _ = _awards(tmp_path, 4)
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out = tmp_path / "out"
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--seal", str(seal.p12),
            "--password-file", str(password), "--deliver-wallet", server.base_url, "--no-send-email"]
    server.faults.append(Fault("status", status, {"Retry-After": "600"}, method="POST"))
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert len(_deposits(server)) == 1  # before: 4 failed, each on its own
    said = result.stderr.splitlines()
    assert f"wallet {server.base_url}: 0 delivered, 0 already there, 1 failed, 3 not sent" in said
    (note,) = [line for line in said if "deposits not sent:" in line]
    assert note.startswith(f"wallet {server.base_url}: 3 deposits not sent: the wallet asked (HTTP {status}, "
                           "Retry-After) to wait 600 s, longer than a run waits; run the same command "
                           "again after ")
    assert note.endswith(": it delivers what is still pending")
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (0, 1, 3)
    assert f"HTTP {status}" in report["deliveries"][0]["error"]
    assert [d["error"] for d in report["deliveries"][1:]] == [note.partition("3 deposits ")[2]] * 3
    assert [status for _, status in _delivery_rows(out)] == ["failed"] + ["not-sent"] * 3
    markup = (out / "report.html").read_text("utf-8")
    page = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))  # as a reader sees it
    assert "deliveries failed 1" in page and "deliveries not sent 3" in page
    assert "3 delivery(ies) not sent: the run did not attempt them" in page
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert len(fake.deposits) == 4


@pytest.mark.parametrize("status", [502, 504])
def test_the_cli_stops_delivering_when_the_wallet_gateway_answers_three_deposits_it_is_down(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    """A gateway answering each deposit 502 or 504 without Retry-After (the wallet behind it
    down): 3 deposits fail, the rest are not sent, said once with what happened and the fix,
    with the same counts in stderr and every report; the same command then delivers them."""
    server, fake = wallet
    awards, _ = _awards(tmp_path, 5)
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    out = tmp_path / "out"
    args = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--seal", str(seal.p12),
            "--password-file", str(password), "--deliver-wallet", server.base_url, "--no-send-email"]
    server.faults.extend(Fault("status", status, method="POST") for _ in range(20))
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert len(_deposits(server)) == 3  # before: 5, each failed on its own
    said = result.stderr.splitlines()
    assert f"wallet {server.base_url}: 0 delivered, 0 already there, 3 failed, 2 not sent" in said
    (note,) = [line for line in said if "deposits not sent:" in line]
    assert note == f"wallet {server.base_url}: 2 deposits {wallet_unavailable('--deliver-wallet')}"
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (0, 3, 2)
    assert all(f"HTTP {status}" in d["error"] for d in report["deliveries"][:3])
    assert [d["error"] for d in report["deliveries"][3:]] == [note.partition("2 deposits ")[2]] * 2
    assert [status for _, status in _delivery_rows(out)] == ["failed"] * 3 + ["not-sent"] * 2
    markup = (out / "report.html").read_text("utf-8")
    page = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))  # as a reader sees it
    assert "deliveries failed 3" in page and "deliveries not sent 2" in page
    server.faults.clear()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert len(fake.deposits) == 5


def test_a_corrected_credential_the_wallet_asked_to_send_later_is_not_taken_as_maybe_held(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    """A deposit answered 503 with a long Retry-After stored nothing: the next run knows the
    wallet holds only the earlier version, and says so (not "this version or an earlier one")."""
    server, _ = wallet
    awards, _ = _awards(tmp_path, 1)
    out = tmp_path / "out"
    assert _run(awards, out, store, seal, server.base_url).delivered == 1
    text = awards.read_text("utf-8")
    assert "Distinction" in text.splitlines()[1]
    awards.write_text(text.replace("Distinction", "Pass", 1), "utf-8")  # a corrected grade
    server.faults.append(Fault("status", 503, {"Retry-After": "600"}, method="POST"))
    later = _run(awards, out, store, seal, server.base_url)
    assert (later.delivered, later.delivery_failed) == (0, 1)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert "run the same command again after" in report["deliveries"][0]["error"]
    again = _run(awards, out, store, seal, server.base_url)
    assert (again.delivered, again.delivery_failed) == (0, 1)
    error = json.loads((out / "report.json").read_text("utf-8"))["deliveries"][0]["error"]
    assert EARLIER_VERSION in error and UNSURE not in error


def test_deliveries_a_ctrl_c_leaves_undone_are_in_the_report(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    """README: an interrupted run is reported; the deliveries not made are listed as such (the
    journal keeps them pending for the same command)."""
    server, fake = wallet
    awards, _ = _awards(tmp_path, 3)
    out = tmp_path / "out"
    options = RunOptions(out_dir=out, store_root=store.root, formats=(), workers=1, seal=seal,
                         deliver=WalletTarget(server.base_url, send_email=False, locale="en"))

    seen: list[object] = []

    def ctrl_c_after_the_first(delivery: object) -> None:
        seen.append(delivery)
        if len(seen) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run([Job(CATALOGUE, (awards,))], options, on_delivery=ctrl_c_after_the_first)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["interrupted"] is True
    statuses = [d["status"] for d in report["deliveries"]]
    assert statuses == ["delivered", "not-sent", "not-sent"]  # not attempted: no failure
    assert report["delivery_failed"] == 0
    said = [note for note in report["notes"] if "not sent" in note]
    assert said == [f"wallet {server.base_url}: 2 deposits not sent: the run was interrupted (Ctrl-C); "
                    "run the same command again: it delivers what is still pending"]
    again = _run(awards, out, store, seal, server.base_url)
    assert (again.delivered, again.delivery_failed) == (2, 0) and len(fake.deposits) == 3


def test_deliveries_a_journal_error_leaves_undone_are_counted_and_said(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A journal that cannot commit (a full disk) stops the run part way through its deliveries:
    the deposits left were counted nowhere (report.json: 2 delivered, 0 failed). They are
    reported not sent, with why and the fix; the one in flight fails, as after a Ctrl-C."""
    server, fake = wallet
    awards, _ = _awards(tmp_path, 5)
    out = tmp_path / "out"
    real = Journal.delivery_outcome
    outcomes: list[str] = []

    def full_disk_at_the_third(self: Journal, item: Any, *args: Any, **kwargs: Any) -> None:
        if len(outcomes) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        real(self, item, *args, **kwargs)
        outcomes.append(item.key)

    monkeypatch.setattr(Journal, "delivery_outcome", full_disk_at_the_third)
    with pytest.raises(sqlite3.OperationalError):
        _run(awards, out, store, seal, server.base_url)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["aborted"] == "OperationalError: disk I/O error"
    assert [d["status"] for d in report["deliveries"]] == ["delivered"] * 2 + ["failed"] + ["not-sent"] * 2
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (2, 1, 2)
    assert "while it was being sent: the wallet may hold it" in report["deliveries"][2]["error"]
    why = "not sent: the run stopped on an error (disk I/O error); fix its cause, then run the same command"
    assert all(d["error"].startswith(why) for d in report["deliveries"][3:])
    assert f"wallet {server.base_url}: 2 deposits not sent: the run stopped on an error (disk I/O error)" \
        in "\n".join(report["notes"])
    verdict = (out / "report.html").read_text("utf-8").split("<h2>")[0]
    assert "while it delivered the credentials, after the export" in verdict and "not read" not in verdict
    assert "2 credential(s) delivered, 1 delivery(ies) failed and 2 not sent" in verdict
    monkeypatch.undo()
    again = _run(awards, out, store, seal, server.base_url)
    assert (again.delivered + again.already_delivered, again.delivery_failed) == (3, 0)
    assert len(fake.deposits) == 5


def _stop(how: str) -> None:
    """A Ctrl-C (SIGINT, as the terminal sends it) or a full disk, at this very point."""
    if how == "ctrl-c":
        signal.raise_signal(signal.SIGINT)
    raise OSError(errno.ENOSPC, "No space left on device")


def _delivery_rows(out: Path) -> list[tuple[str, str]]:
    """(award id, status) of each row of deliveries.csv."""
    with (out / "deliveries.csv").open(encoding="utf-8-sig", newline="") as handle:
        return [(row["award_id"], row["status"]) for row in csv.DictReader(handle)]


@pytest.mark.parametrize("how", ["ctrl-c", "disk error"])
def test_a_deposit_whose_report_is_cut_short_is_counted_once(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        how: str) -> None:
    """A Ctrl-C or an error just after a deposit was recorded, while it was being reported,
    listed it again among those left: the deposit that failed was also not sent (5 awards, 6
    deliveries)."""
    server, _ = wallet
    awards, emails = _awards(tmp_path, 5, without_email=2)
    out = tmp_path / "out"

    def stop_at_the_failed_one(delivery: Delivery) -> None:
        if delivery.status == "failed":
            _stop(how)

    options = RunOptions(out_dir=out, store_root=store.root, formats=(), workers=1, seal=seal,
                         deliver=WalletTarget(server.base_url, send_email=False, locale="en"))
    with pytest.raises(KeyboardInterrupt if how == "ctrl-c" else OSError):
        run([Job(CATALOGUE, (awards,))], options, on_delivery=stop_at_the_failed_one)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [(d["award_id"], d["status"]) for d in report["deliveries"]] == _delivery_rows(out)
    assert [award for award, _ in _delivery_rows(out)] == sorted(emails)  # each once
    assert [status for _, status in _delivery_rows(out)] == ["delivered"] * 2 + ["failed"] + ["not-sent"] * 2
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (2, 1, 2)
    assert report["deliveries"][2]["error"] == NO_EMAIL


def test_the_cli_counts_once_a_deposit_a_ctrl_c_cuts_short_as_it_is_shown(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Its stderr said "2 delivered, 0 already there, 1 failed, 3 not sent" for 5 awards."""
    server, _ = wallet
    awards, _ = _awards(tmp_path, 5, without_email=2)
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    shown = _RunOutput.on_delivery

    def ctrl_c_as_the_failed_one_is_shown(self: _RunOutput, delivery: Delivery) -> None:
        shown(self, delivery)
        if delivery.status == "failed":
            _stop("ctrl-c")

    monkeypatch.setattr(_RunOutput, "on_delivery", ctrl_c_as_the_failed_one_is_shown)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--seal", str(seal.p12),
        "--password-file", str(password), "--deliver-wallet", server.base_url, "--no-send-email"])
    assert result.exit_code == 130, result.output
    assert f"wallet {server.base_url}: 2 delivered, 0 already there, 1 failed, 2 not sent" in result.stderr
    assert f"wallet {server.base_url}: 2 deposits not sent: the run was interrupted" in result.stderr
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (2, 1, 2)
    rows = Counter(status for _, status in _delivery_rows(out))
    assert rows == {"delivered": 2, "failed": 1, "not-sent": 2}
    verdict = (out / "report.html").read_text("utf-8").split("<h2>")[0]
    assert "2 credential(s) delivered, 1 delivery(ies) failed and 2 not sent" in verdict


@pytest.mark.parametrize("nth", [2, 3], ids=["a delivered one", "a failed one"])
@pytest.mark.parametrize("instant", ["just committed", "as it begins to be counted"])
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill, ctrl-c ignored"])
def test_a_ctrl_c_at_any_instant_of_a_deposits_recording_counts_it_once(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch, instant: str, nth: int, stop: signal.Signals) -> None:
    """A Ctrl-C right after a deposit's outcome was committed, or as the run began to count it,
    left a delivered one counted nowhere (5 awards, 4 deliveries) and gave a failed one the
    "interrupted while it was being sent" message instead of its own; so did a SIGTERM in a
    job that ignores Ctrl-C (started in the background of a script)."""
    server, fake = wallet
    awards, emails = _awards(tmp_path, 5, without_email=2)
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    recorded: list[str] = []

    def ctrl_c_at_the_nth(key: str) -> None:
        recorded.append(key)
        if len(recorded) == nth:
            signal.raise_signal(stop)

    if instant == "just committed":
        commit = Journal.delivery_outcome

        def commit_then_ctrl_c(self: Journal, item: Any, *args: Any, **kwargs: Any) -> None:
            commit(self, item, *args, **kwargs)
            ctrl_c_at_the_nth(item.key)

        monkeypatch.setattr(Journal, "delivery_outcome", commit_then_ctrl_c)
    else:
        deliver = deliver_pending

        def ctrl_c_before_counting(journal: Journal, target: WalletTarget,
                                   count: Callable[[Delivery], None]) -> None:
            def counted_after_a_ctrl_c(delivery: Delivery) -> None:
                ctrl_c_at_the_nth(delivery.key)
                count(delivery)

            deliver(journal, target, counted_after_a_ctrl_c)

        monkeypatch.setattr(runner, "deliver_pending", ctrl_c_before_counting)
    out = tmp_path / "out"
    ctrl_c = signal.getsignal(signal.SIGINT)
    if stop == signal.SIGTERM:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = CliRunner().invoke(main, [
            "export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--seal", str(seal.p12),
            "--password-file", str(password), "--deliver-wallet", server.base_url, "--no-send-email"])
    finally:
        signal.signal(signal.SIGINT, ctrl_c)
    assert result.exit_code == 130, result.output
    made = ["delivered", "delivered", "failed", "delivered", "delivered"][:nth]  # the third has no address
    statuses = made + ["not-sent"] * (5 - nth)
    assert [award for award, _ in _delivery_rows(out)] == sorted(emails)  # each award once
    assert [status for _, status in _delivery_rows(out)] == statuses
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [(d["award_id"], d["status"]) for d in report["deliveries"]] == _delivery_rows(out)
    counts = (made.count("delivered"), made.count("failed"), 5 - nth)
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == counts
    assert len(fake.deposits) == counts[0]  # what the wallet holds is what is counted delivered
    assert f"wallet {server.base_url}: {counts[0]} delivered, 0 already there, {counts[1]} failed, " \
           f"{counts[2]} not sent" in result.stderr
    assert "while it was being sent" not in result.stderr  # nothing was in flight
    assert [d["error"] for d in report["deliveries"] if d["status"] == "failed"] == [NO_EMAIL] * counts[1]


@pytest.mark.parametrize("second", ["as the journal lists them", "as the 1st is counted",
                                    "as the 3rd is counted"])
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_a_second_ctrl_c_while_the_deposits_left_are_listed_leaves_none_uncounted(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch, second: str, stop: signal.Signals) -> None:
    """A first Ctrl-C stops the deliveries and the deposits left are listed as not sent; a
    second one (or a kill) meanwhile cut that list short, leaving some counted nowhere."""
    server, fake = wallet
    awards, emails = _awards(tmp_path, 5)
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    presses: list[str] = []
    left: list[str] = []

    def press(when: str) -> None:
        presses.append(when)
        signal.raise_signal(signal.SIGINT if len(presses) == 1 else stop)

    listed = Journal.pending_deliveries

    def listed_then_pressed(self: Journal, *args: Any, **kwargs: Any) -> Any:
        page = listed(self, *args, **kwargs)
        if presses and len(presses) < 2 and second == "as the journal lists them":
            press(second)
        return page

    monkeypatch.setattr(Journal, "pending_deliveries", listed_then_pressed)
    deliver = deliver_pending

    def pressed_while_counting(journal: Journal, target: WalletTarget,
                               count: Callable[[Delivery], None]) -> None:
        def counted(delivery: Delivery) -> None:
            if not presses:  # the first deposit: Ctrl-C stops the deliveries
                press("the first deposit")
            elif delivery.status == "not-sent":
                left.append(delivery.key)
                if second == f"as the {len(left)}{'st' if len(left) == 1 else 'rd'} is counted":
                    press(second)
            count(delivery)

        deliver(journal, target, counted)

    monkeypatch.setattr(runner, "deliver_pending", pressed_while_counting)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--seal", str(seal.p12),
        "--password-file", str(password), "--deliver-wallet", server.base_url, "--no-send-email"])
    assert result.exit_code == 130, result.output
    assert presses == ["the first deposit", second]
    assert [award for award, _ in _delivery_rows(out)] == sorted(emails)  # each award once
    assert [status for _, status in _delivery_rows(out)] == ["delivered"] + ["not-sent"] * 4
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [(d["award_id"], d["status"]) for d in report["deliveries"]] == _delivery_rows(out)
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (1, 0, 4)
    assert len(fake.deposits) == 1
    assert f"wallet {server.base_url}: 1 delivered, 0 already there, 0 failed, 4 not sent" in result.stderr
    assert "4 deposits not sent: the run was interrupted (Ctrl-C)" in result.stderr


def test_deliveries_an_unforeseen_error_leaves_undone_are_counted_and_said(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An error other than a disk's or the journal's (a fault of the program) stopped the run
    with only the deposits made before it reported (2 delivered, 0 failed, 0 not sent): it now
    leaves the same account as a full disk does."""
    server, fake = wallet
    awards, emails = _awards(tmp_path, 5)
    out = tmp_path / "out"
    real = WalletClient.deposit
    asked: list[bytes] = []

    def fault_at_the_third(self: WalletClient, content: bytes, **kwargs: Any) -> Any:
        asked.append(content)
        if len(asked) == 3:
            raise ValueError("an unforeseen fault")
        return real(self, content, **kwargs)

    monkeypatch.setattr(WalletClient, "deposit", fault_at_the_third)
    with pytest.raises(ValueError, match="an unforeseen fault"):
        _run(awards, out, store, seal, server.base_url)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["aborted"] == "ValueError: an unforeseen fault"
    assert [(d["award_id"], d["status"]) for d in report["deliveries"]] == _delivery_rows(out)
    assert [award for award, _ in _delivery_rows(out)] == sorted(emails)
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (2, 1, 2)
    assert report["deliveries"][2]["error"].startswith(
        "the run stopped on an error (ValueError: an unforeseen fault) while it was being sent: the wallet "
        "may hold it")
    why = ("not sent: the run stopped on an error (ValueError: an unforeseen fault); fix its cause, then "
           "run the same command again")
    assert all(d["error"].startswith(why) for d in report["deliveries"][3:])
    assert f"wallet {server.base_url}: 2 deposits not sent: the run stopped on an error (ValueError: an " \
        "unforeseen fault)" in "\n".join(report["notes"])
    verdict = (out / "report.html").read_text("utf-8").split("<h2>")[0]
    assert "2 credential(s) delivered, 1 delivery(ies) failed and 2 not sent" in verdict
    monkeypatch.undo()
    again = _run(awards, out, store, seal, server.base_url)
    assert (again.delivered, again.delivery_failed, again.delivery_not_sent) == (3, 0, 0)
    assert len(fake.deposits) == 5


def test_a_ctrl_c_while_an_error_lists_the_deposits_left_leaves_none_uncounted(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C while a run stopped by an error listed what it left cut that list short too."""
    server, _ = wallet
    awards, emails = _awards(tmp_path, 5)
    out = tmp_path / "out"
    real = WalletClient.deposit
    asked: list[bytes] = []

    def fault_at_the_third(self: WalletClient, content: bytes, **kwargs: Any) -> Any:
        asked.append(content)
        if len(asked) == 3:
            raise ValueError("an unforeseen fault")
        return real(self, content, **kwargs)

    seen: list[Delivery] = []
    write = ReportWriter.write_delivery

    def ctrl_c_as_the_one_in_flight_is_listed(self: ReportWriter, delivery: Delivery) -> None:
        seen.append(delivery)
        if len(seen) == 3:
            signal.raise_signal(signal.SIGINT)
        write(self, delivery)

    monkeypatch.setattr(WalletClient, "deposit", fault_at_the_third)
    monkeypatch.setattr(ReportWriter, "write_delivery", ctrl_c_as_the_one_in_flight_is_listed)
    with pytest.raises(KeyboardInterrupt):
        _run(awards, out, store, seal, server.base_url)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [award for award, _ in _delivery_rows(out)] == sorted(emails)  # each award once
    assert [(d["award_id"], d["status"]) for d in report["deliveries"]] == _delivery_rows(out)
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (2, 1, 2)
    assert report["deliveries"][2]["error"].startswith("the run stopped on an error (ValueError")


@pytest.mark.parametrize("again", [False, True], ids=["once", "at each deposit after"])
def test_the_cli_ends_a_run_an_unforeseen_error_stops_while_it_delivers_as_an_aborted_one(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch, again: bool) -> None:
    """It ended on a traceback: nothing said what was delivered or left, nor the audit head. A
    fault met again as each deposit left is reported does not keep the rest from being counted."""
    server, _ = wallet
    awards, _ = _awards(tmp_path, 5)
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    shown = _RunOutput.on_delivery
    lines: list[str] = []

    def fault_as_the_second_is_shown(self: _RunOutput, delivery: Delivery) -> None:
        shown(self, delivery)
        lines.append(delivery.key)
        if len(lines) == 2 or (again and len(lines) > 2):
            raise ValueError("an unforeseen fault")

    monkeypatch.setattr(_RunOutput, "on_delivery", fault_as_the_second_is_shown)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "-j", "1", "--seal", str(seal.p12),
        "--password-file", str(password), "--deliver-wallet", server.base_url, "--no-send-email"])
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, ValueError)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert (report["delivered"], report["delivery_failed"], report["delivery_not_sent"]) == (2, 0, 3)
    assert Counter(status for _, status in _delivery_rows(out)) == {"delivered": 2, "not-sent": 3}
    verdict = (out / "report.html").read_text("utf-8").split("<h2>")[0]
    assert "2 credential(s) delivered, 0 delivery(ies) failed and 3 not sent" in verdict
    said = result.stderr.splitlines()
    assert said[-3] == f"wallet {server.base_url}: 2 delivered, 0 already there, 0 failed, 3 not sent"
    assert said[-2].startswith(f"wallet {server.base_url}: 3 deposits not sent: the run stopped on an error "
                               "(ValueError: an unforeseen fault); fix its cause, then run the same command")
    assert said[-1].startswith("aborted: ValueError: an unforeseen fault; what was done is kept and reported")
    assert f"audit head {report['audit_head']}" in said[-1]


def test_a_renewed_seal_sends_nothing_again_and_says_the_wallets_keep_the_earlier_copies(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 3)
    out = tmp_path / "out"
    assert _run(awards, out, store, seal, server.base_url).delivered == 3
    delivered = {path.name: _payload(path) for path in (out / "edc-sealed").iterdir()}
    renewed = demo_seal(tmp_path / "renewed", load_catalogue(CATALOGUE))  # another certificate
    requests = len(server.log)
    again = _run(awards, out, store, renewed, server.base_url)
    assert again.done == 3  # every credential sealed anew, the same content
    assert {path.name: _payload(path) for path in (out / "edc-sealed").iterdir()} == delivered
    assert len(server.log) == requests  # no upload the wallet would refuse with CR-0001
    assert (again.delivered, again.already_delivered, again.unchanged, again.delivery_failed) == (0, 0, 3, 0)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [d["status"] for d in report["deliveries"]] == ["unchanged"] * 3
    assert report["unchanged"] == 3
    _assert_wallets_hold_the_sealed_files(fake, out, emails)  # the same content, with the earlier seal
    # a changed address is another wallet: the credential goes there, although sealed as before
    first = next(iter(emails.values()))
    original = awards.read_text("utf-8")
    awards.write_text(original.replace(first, "new." + first), "utf-8")
    moved = _run(awards, out, store, renewed, server.base_url)
    assert (moved.delivered, moved.unchanged, moved.delivery_failed) == (1, 0, 0)
    assert fake.deposits[-1]["wallet"] == "new." + first


def test_the_cli_says_a_renewed_seal_was_not_sent_again_and_why(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, fake = wallet
    awards, _ = _awards(tmp_path, 2)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    renewed = demo_seal(tmp_path / "renewed", load_catalogue(CATALOGUE))
    runs = []
    for factory in (seal, renewed):
        password = tmp_path / "password.txt"
        password.write_bytes(factory.password)
        runs.append(CliRunner().invoke(main, [
            "export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"), "-j", "1",
            "--seal", str(factory.p12), "--password-file", str(password),
            "--deliver-wallet", server.base_url, "--no-send-email"]))
    assert [r.exit_code for r in runs] == [0, 0], runs[1].output
    assert len(fake.deposits) == 2
    said = runs[1].output
    assert "0 delivered, 0 already there, 2 unchanged (not sent again), 0 failed" in said
    assert "the wallet keeps the copy delivered earlier" in said


def test_deliveries_journaled_by_an_earlier_version_are_not_sent_again_after_a_renewed_seal(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, _ = wallet
    awards, _ = _awards(tmp_path, 2)
    out = tmp_path / "out"
    assert _run(awards, out, store, seal, server.base_url).delivered == 2
    with sqlite3.connect(out / JOURNAL_NAME) as db:  # as a journal of format 4 kept them
        db.execute("UPDATE deliveries SET delivered = NULL")
        db.execute("PRAGMA user_version = 4")
    db.close()
    requests = len(server.log)
    renewed = demo_seal(tmp_path / "renewed", load_catalogue(CATALOGUE))
    again = _run(awards, out, store, renewed, server.base_url)
    assert (again.done, again.unchanged, again.delivery_failed) == (2, 2, 0)
    assert len(server.log) == requests


def test_a_credential_the_learner_removed_is_sent_again_when_asked_and_audited(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    """The learner deleted a delivered credential from the wallet: a run sealing it again sends
    nothing (the content was delivered), --redeliver sends it, as a delivery of the journal
    with its event in the audit trail."""
    server, fake = wallet
    awards, emails = _awards(tmp_path, 2)
    out = tmp_path / "out"
    assert _run(awards, out, store, seal, server.base_url).delivered == 2
    award_id = min(emails)
    holder = fake.wallet(mail=emails[award_id])
    assert holder is not None
    holder.credentials.clear()  # the learner removes it
    renewed = demo_seal(tmp_path / "renewed", load_catalogue(CATALOGUE))
    resealed = _run(awards, out, store, renewed, server.base_url)
    assert (resealed.delivered, resealed.unchanged) == (0, 2) and len(fake.deposits) == 2
    asked = _run(awards, out, store, renewed, server.base_url, redeliver=frozenset({award_id}))
    assert (asked.delivered, asked.unchanged, asked.delivery_failed) == (1, 0, 0)
    assert not any("--redeliver" in note for note in asked.notes)
    sealed = next(p for p in (out / "edc-sealed").iterdir() if award_id in p.name)
    assert _held(fake, emails[award_id]) == [_payload(sealed)]
    report = json.loads((out / "report.json").read_text("utf-8"))
    (line,) = report["deliveries"]
    assert (line["award_id"], line["status"]) == (award_id, "redelivered")  # told apart from a first
    assert (report["delivered"], report["redelivered"], asked.redelivered) == (1, 1, 1)
    with (out / "deliveries.csv").open(encoding="utf-8-sig") as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["redelivered"]
    assert "of them sent again (redelivered)" in (out / "report.html").read_text("utf-8")
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        events = [key for (key,) in db.execute("SELECT key FROM audit WHERE action = 'delivered'")]
        (key, state), = db.execute("SELECT key, state FROM deliveries WHERE key LIKE ?", (f"%/{award_id}",))
    db.close()
    assert events.count(key) == 2 and len(events) == 3 and state == "delivered"
    assert verify_audit(out / JOURNAL_NAME).intact
    unknown = _run(awards, out, store, renewed, server.base_url, redeliver=frozenset({"NO-SUCH-AWARD"}))
    assert (unknown.delivered, unknown.delivery_failed) == (0, 0) and len(fake.deposits) == 3
    assert any(note.startswith("--redeliver NO-SUCH-AWARD: no sealed credential of this run")
               for note in unknown.notes)


def test_the_cli_sends_a_removed_credential_again_with_redeliver(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, fake = wallet
    awards, emails = _awards(tmp_path, 1)
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    password = tmp_path / "password.txt"
    password.write_bytes(seal.password)
    command = ["export", str(awards), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"), "-j", "1",
               "--seal", str(seal.p12), "--password-file", str(password),
               "--deliver-wallet", server.base_url, "--no-send-email"]
    assert CliRunner().invoke(main, command).exit_code == 0
    (award_id,) = emails
    holder = fake.wallet(mail=emails[award_id])
    assert holder is not None
    holder.credentials.clear()
    again = CliRunner().invoke(main, [*command, "--redeliver", award_id])
    assert again.exit_code == 0, again.output
    assert len(fake.deposits) == 2 and len(holder.credentials) == 1
    with (tmp_path / "out" / "deliveries.csv").open(encoding="utf-8-sig") as handle:
        (row,) = csv.DictReader(handle)
    assert row["status"] == "redelivered"
    assert "redelivered " in again.output and "sent again as asked (--redeliver)" in again.output
    assert "1 delivered (1 of them sent again)" in again.output
    alone = CliRunner().invoke(main, [*command[:-3], "--redeliver", award_id])
    assert alone.exit_code == 2 and "--redeliver needs --deliver-wallet" in alone.output


def test_a_redelivery_the_wallet_did_not_take_is_sent_by_the_next_run_without_the_option(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    """--redeliver asked, the wallet down: the journal keeps it asked, so the next run, without
    the option, sends it (and says it was asked before) instead of counting it unchanged."""
    server, fake = wallet
    awards, emails = _awards(tmp_path, 2)
    out = tmp_path / "out"
    assert _run(awards, out, store, seal, server.base_url).delivered == 2
    award_id = min(emails)
    holder = fake.wallet(mail=emails[award_id])
    assert holder is not None
    holder.credentials.clear()  # the learner removes it
    server.faults.extend(Fault("drop", method="POST") for _ in range(3))  # the wallet does not answer
    down = _run(awards, out, store, seal, server.base_url, redeliver=frozenset({award_id}))
    assert (down.delivered, down.delivery_failed) == (0, 1) and len(fake.deposits) == 2
    server.faults.clear()
    with sqlite3.connect(out / JOURNAL_NAME) as db:  # still to send, as other pending deliveries
        (state,), = db.execute("SELECT state FROM deliveries WHERE key LIKE ?", (f"%/{award_id}",))
    db.close()
    assert state != "delivered"

    seen: list[Delivery] = []
    later = _run(awards, out, store, seal, server.base_url, seen=seen)
    assert len(fake.deposits) == 3 and len(holder.credentials) == 1  # sent, not counted unchanged
    assert (later.delivered, later.redelivered, later.unchanged, later.delivery_failed) == (1, 1, 0, 0)
    (line,) = json.loads((out / "report.json").read_text("utf-8"))["deliveries"]
    assert (line["award_id"], line["status"]) == (award_id, "redelivered")
    (said,) = seen
    assert said.message.startswith("sent again as asked (--redeliver) in an earlier run")
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        (state, again), = db.execute("SELECT state, again FROM deliveries WHERE key LIKE ?",
                                     (f"%/{award_id}",))
    db.close()
    assert (state, again) == ("delivered", 0)
    assert verify_audit(out / JOURNAL_NAME).intact

    requests = len(server.log)  # delivered: the run after sends nothing
    after = _run(awards, out, store, seal, server.base_url)
    assert (after.delivered, after.delivery_failed) == (0, 0) and len(server.log) == requests
