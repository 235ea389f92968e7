"""Delivery runs against a wallet that refuses or throttles: what is sent, what is said, and
what the next run does. Real HTTP on 127.0.0.1 against the wallet contract fake."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from edcbridge.deliver.cli import register
from edcbridge.deliver.errors import DeliveryHTTPError
from edcbridge.deliver.http import HttpClient, RetryPolicy
from edcbridge.deliver.push import push_wallet, wallet_items
from edcbridge.deliver.results import Outcome
from edcbridge.deliver.state import State
from edcbridge.deliver.wallet_client import WalletClient
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline.delivery import Delivery, WalletTarget
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.pipeline.runner import RunResult
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES
from tests.deliver_support import jades
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


def awards_file(tmp_path: Path, count: int) -> Path:
    with (FIXTURES / "imperial" / "awards.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))[:count]
    path = tmp_path / "awards.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def export(awards: Path, out: Path, store: SchemaStore, seal: SealFactory, url: str) -> RunResult:
    options = RunOptions(out_dir=out, store_root=store.root, formats=(), workers=1, seal=seal,
                         deliver=WalletTarget(url, send_email=False, locale="en"))
    return run([Job(CATALOGUE, (awards,))], options)


def deliveries(out: Path) -> list[dict[str, str]]:
    with (out / "deliveries.csv").open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_a_wallet_refusing_access_is_asked_once_and_the_next_run_delivers_everything(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    """A gateway answering 403 (an allow-list, say) would refuse each of thousands of deposits
    alike: the run stops asking after the first, and says what to check."""
    server, fake = wallet
    awards, out = awards_file(tmp_path, 4), tmp_path / "out"
    server.app = lambda request: Reply.json(403, {"message": "Access denied"})
    refused = export(awards, out, store, seal, server.base_url)
    assert (refused.done, refused.delivered, refused.delivery_failed) == (4, 0, 1)
    assert refused.delivery_not_sent == 3
    assert len([entry for entry in server.log if entry.method == "POST"]) == 1
    rows = deliveries(out)
    assert "HTTP 403" in rows[0]["error"] and "refused access" in rows[0]["error"]
    assert [row["status"] for row in rows] == ["failed"] + ["not-sent"] * 3
    (said,) = [note for note in refused.notes if "not sent" in note]  # once, with the fix
    assert said.startswith(f"wallet {server.base_url}: 3 deposits not sent: the wallet refused access")
    assert "--deliver-wallet" in said and "run the same command again" in said and "@" not in said
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        assert Counter(state for (state,) in db.execute("SELECT state FROM deliveries")) == {"failed": 4}

    server.app = fake
    again = export(awards, out, store, seal, server.base_url)
    assert (again.delivered, again.already_delivered, again.delivery_failed) == (4, 0, 0)
    assert len(fake.deposits) == 4 and len({d["id"] for d in fake.deposits}) == 4


def test_a_throttled_deposit_says_nothing_was_stored_and_when_to_run_again(
        wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    http = HttpClient(server.base_url, timeout=(2.0, 5.0),
                      retry=RetryPolicy(attempts=2, sleep=lambda _: None), min_interval=0)
    server.faults.append(Fault("status", 429, method="POST"))
    credential = {"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "urn:credential:429"}
    with pytest.raises(DeliveryHTTPError, match="HTTP 429") as info:
        WalletClient(http).deposit(jades(credential), email="ada@example.org")
    assert "limits how fast it takes deposits and stored nothing" in str(info.value)
    assert "outside its documented codes" not in str(info.value)
    assert str(info.value).endswith("run the same command again later: it delivers what is still pending")
    assert fake.deposits == []


@pytest.mark.parametrize("status", [429, 503])
def test_a_deposit_the_wallet_asks_to_send_again_shortly_is_sent_again_after_the_pause(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path, status: int) -> None:
    """A 429/503 with a short Retry-After stored nothing: the deposit waits and goes again in
    the same run (it was failed, and the officer had to run the push again for it)."""
    server, fake = wallet
    sleeps: list[float] = []
    http = HttpClient(server.base_url, timeout=(2.0, 5.0),
                      retry=RetryPolicy(attempts=3, sleep=sleeps.append), min_interval=0)
    rows = ["credential,wallet_id,email,locale"]
    for number in range(1, 4):
        credential = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                      "id": f"urn:credential:{number}"}
        (tmp_path / f"c{number}.json").write_bytes(jades(credential))
        rows.append(f"c{number}.json,,learner{number}@example.org,en")
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n", "utf-8")
    server.faults.append(Fault("status", status, headers={"Retry-After": "7"}, method="POST"))
    outcomes = push_wallet(wallet_items(tmp_path / "manifest.csv"), WalletClient(http),
                           State.load(tmp_path / "state.json", "wallet"))
    assert [(o.status, o.detail) for o in outcomes] == [("ok", "delivered")] * 3, outcomes
    assert sleeps == [7.0]
    assert len(fake.deposits) == 3


def test_a_corrected_credential_the_wallet_asked_to_send_later_is_sent_again_knowing_what_it_holds(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path) -> None:
    """A deposit answered 429 with a Retry-After longer than a run waits stored nothing: the
    next push sends it, and a CR-0001 then names the earlier version the wallet holds."""
    from edcbridge.deliver.push import EARLIER_VERSION_HELD, UNSURE_VERSION_HELD

    server, fake = wallet
    credential = {"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "urn:credential:fixed"}
    path = tmp_path / "c.json"
    path.write_bytes(jades({**credential, "name": "first"}))
    (tmp_path / "manifest.csv").write_text("credential,email\nc.json,ada@example.org\n", "utf-8")
    state_path = tmp_path / "state.json"

    def push() -> Outcome:  # one run: a client of its own
        http = HttpClient(server.base_url, timeout=(2.0, 5.0),
                          retry=RetryPolicy(attempts=2, sleep=lambda _: None), min_interval=0)
        (outcome,) = push_wallet(wallet_items(tmp_path / "manifest.csv"), WalletClient(http),
                                 State.load(state_path, "wallet"))
        return outcome

    assert push().status == "ok"
    path.write_bytes(jades({**credential, "name": "corrected"}))
    server.faults.append(Fault("status", 429, headers={"Retry-After": "600"}, method="POST"))
    later = push()
    assert later.status == "failed" and "run the same command again after" in later.message
    again = push()
    assert again.status == "failed" and len(fake.deposits) == 1
    assert EARLIER_VERSION_HELD in again.message and UNSURE_VERSION_HELD not in again.message


def test_a_credential_the_learner_removed_is_deposited_again_when_asked(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path) -> None:
    """Delivered, then removed from the wallet by the learner: a push skips it as unchanged;
    --redeliver (by credential id or file name) deposits it again, and the state records it."""
    server, fake = wallet
    for number in (1, 2):
        credential = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                      "id": f"urn:credential:r{number}"}
        (tmp_path / f"c{number}.json").write_bytes(jades(credential))
    (tmp_path / "manifest.csv").write_text(
        "credential,email\nc1.json,ada@example.org\nc2.json,bob@example.org\n", "utf-8")

    @click.group()
    def root() -> None:
        pass

    register(root)

    def push(*args: str) -> tuple[int, list[tuple[str, str, str]]]:
        run = CliRunner().invoke(root, ["push", "wallet", str(tmp_path / "manifest.csv"), "--base-url",
                                        server.base_url, "-o", str(tmp_path / "out"), "--json", *args])
        if run.exit_code != 0:
            return run.exit_code, [("", "", run.output)]
        items = json.loads((tmp_path / "out" / "wallet-results.json").read_text("utf-8"))["items"]
        return run.exit_code, [(i["key"], i["action"], i["status"]) for i in items]

    assert push()[0] == 0 and len(fake.deposits) == 2
    holder = fake.wallet(mail="ada@example.org")
    assert holder is not None
    holder.credentials.clear()  # the learner removes it
    ada, bob = "urn:credential:r1 -> ada@example.org", "urn:credential:r2 -> bob@example.org"
    assert push() == (0, [(ada, "skip", "skipped"), (bob, "skip", "skipped")])
    assert push("--redeliver", "c1.json") == (0, [(ada, "deposit", "ok"), (bob, "skip", "skipped")])
    assert len(fake.deposits) == 3 and len(holder.credentials) == 1
    assert push("--redeliver", "urn:credential:r2")[1][1] == (bob, "deposit", "ok")  # CR-0001: there
    assert len(fake.deposits) == 3
    code, said = push("--redeliver", "c9.json")
    assert code == 2 and "--redeliver c9.json: no credential of" in said[0][2]


def _manifest(folder: Path, count: int) -> Path:
    rows = ["credential,wallet_id,email,locale"]
    for number in range(1, count + 1):
        credential = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                      "id": f"urn:credential:down-{number:02d}"}
        (folder / f"c{number}.json").write_bytes(jades(credential))
        rows.append(f"c{number}.json,,learner{number}@example.org,en")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return folder / "manifest.csv"


def test_a_wallet_that_goes_down_mid_push_is_not_asked_for_every_remaining_deposit(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path) -> None:
    """Each deposit to a wallet that does not answer waits for its timeout: after a few in a
    row, the rest are not sent (thousands of learners took hours of timeouts), and say why."""
    server, fake = wallet
    http = HttpClient(server.base_url, timeout=(2.0, 5.0),
                      retry=RetryPolicy(attempts=2, sleep=lambda _: None), min_interval=0)
    done: list[Outcome] = []

    def progress(outcome: Outcome) -> None:
        done.append(outcome)
        if len(done) == 2:
            server.faults.extend(Fault("drop") for _ in range(10))  # the wallet goes down

    state = State.load(tmp_path / "state.json", "wallet")
    outcomes = push_wallet(wallet_items(_manifest(tmp_path, 10)), WalletClient(http), state,
                           on_progress=progress)
    assert [o.status for o in outcomes] == ["ok"] * 2 + ["failed"] * 3 + ["planned"] * 5  # not attempted
    assert all("no answer" in o.message for o in outcomes[2:5])
    for later in outcomes[5:]:
        assert later.message.startswith("not sent: the wallet did not answer the last 3 deposits")
        assert "run the same command again" in later.message
    assert len(state.unanswered) == 3  # the deposits not sent are not ones the wallet may hold
    assert len(fake.deposits) == 2
    assert len(server.log) == 5


def test_an_export_whose_wallet_goes_down_stops_asking_and_the_next_run_delivers(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, out = awards_file(tmp_path, 8), tmp_path / "out"
    seen: list[str] = []

    def down_after_two(delivery: Delivery) -> None:
        seen.append(delivery.status)
        if len(seen) == 2:
            server.faults.extend(Fault("drop") for _ in range(20))  # the wallet goes down

    options = RunOptions(out_dir=out, store_root=store.root, formats=(), workers=1, seal=seal,
                         deliver=WalletTarget(server.base_url, send_email=False, locale="en"))
    result = run([Job(CATALOGUE, (awards,))], options, on_delivery=down_after_two)
    assert (result.delivered, result.delivery_failed, result.delivery_not_sent) == (2, 3, 3)
    assert len([entry for entry in server.log if entry.method == "POST"]) == 5
    rows = deliveries(out)[2:]
    assert all("no answer" in row["error"] for row in rows[:3])
    assert [row["status"] for row in rows[3:]] == ["not-sent"] * 3
    (said,) = [note for note in result.notes if "not sent" in note]  # once, with the fix
    assert said.startswith(f"wallet {server.base_url}: 3 deposits not sent: the wallet did not answer "
                           "the last 3 deposits")
    assert "--deliver-wallet" in said and "run the same command again" in said
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        states = Counter(state for (state,) in db.execute("SELECT state FROM deliveries"))
    assert states == {"delivered": 2, "sending": 3, "failed": 3}

    server.faults.clear()
    again = export(awards, out, store, seal, server.base_url)
    assert (again.delivered + again.already_delivered, again.delivery_failed) == (6, 0)
    assert len(fake.deposits) == 8


FAULTS = {"d": Fault("drop", method="POST"), "e": Fault("status", 500, method="POST"),
          "g": Fault("status", 502, method="POST"), "t": Fault("status", 504, method="POST")}


def _next_deposit(server: FakeServer, fates: str, done: int) -> None:
    """Queue the fate of the deposit after the ``done`` first: dropped unanswered (d), answered
    500 (e), answered 502 (g) or 504 (t) by the wallet's gateway, or stored (o)."""
    fate = fates[done:done + 1]
    if fate in FAULTS:
        server.faults.append(FAULTS[fate])


def _heard(message: str, status: str) -> str:
    return "stopped" if message.startswith("not sent: the wallet did not answer the last 3") else status


def test_a_wallet_that_answers_between_silences_is_asked_until_three_in_a_row_go_unanswered(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path) -> None:
    """Only deposits in a row count: any answer, a refusal too, starts the count again."""
    server, _ = wallet
    http = HttpClient(server.base_url, timeout=(2.0, 5.0),
                      retry=RetryPolicy(attempts=2, sleep=lambda _: None), min_interval=0)
    done: list[Outcome] = []

    def progress(outcome: Outcome) -> None:
        done.append(outcome)
        _next_deposit(server, "ddeddoddd", len(done))

    _next_deposit(server, "ddeddoddd", 0)
    outcomes = push_wallet(wallet_items(_manifest(tmp_path, 11)), WalletClient(http),
                           State.load(tmp_path / "state.json", "wallet"), on_progress=progress)
    assert [_heard(o.message, o.status) for o in outcomes] == ["failed"] * 5 + ["ok"] + ["failed"] * 3 + [
        "stopped"] * 2
    assert len(server.log) == 9


def test_an_export_whose_wallet_answers_between_silences_stops_after_three_in_a_row(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, _ = wallet
    seen: list[Delivery] = []

    def delivered(delivery: Delivery) -> None:
        seen.append(delivery)
        _next_deposit(server, "ddoddd", len(seen))

    _next_deposit(server, "ddoddd", 0)
    options = RunOptions(out_dir=tmp_path / "out", store_root=store.root, formats=(), workers=1, seal=seal,
                         deliver=WalletTarget(server.base_url, send_email=False, locale="en"))
    run([Job(CATALOGUE, (awards_file(tmp_path, 9),))], options, on_delivery=delivered)
    assert [_heard(d.message, d.status) for d in seen] == ["failed"] * 2 + ["delivered"] + ["failed"] * 3 + [
        "stopped"] * 3
    assert len([entry for entry in server.log if entry.method == "POST"]) == 6


GATEWAY_SAID = "not sent: the wallet's gateway answered the last 3 deposits with HTTP 502, 503 or 504"


@pytest.mark.parametrize("status", [502, 504])
def test_a_wallet_whose_gateway_answers_it_is_down_is_not_asked_for_every_remaining_deposit(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path, status: int) -> None:
    """A proxy in front of a wallet that is down answers each deposit at once with 502 or 504:
    after 3 in a row the rest are not sent, saying the gateway answered (not that the wallet
    timed out); each answered deposit stays one the wallet may hold, as a lost answer does."""
    server, fake = wallet
    http = HttpClient(server.base_url, timeout=(2.0, 5.0),
                      retry=RetryPolicy(attempts=2, sleep=lambda _: None), min_interval=0)
    server.faults.extend(Fault("status", status, method="POST") for _ in range(10))
    state = State.load(tmp_path / "state.json", "wallet")
    outcomes = push_wallet(wallet_items(_manifest(tmp_path, 10)), WalletClient(http), state)
    assert [o.status for o in outcomes] == ["failed"] * 3 + ["planned"] * 7  # before: 10 failed
    assert all(f"HTTP {status}" in o.message for o in outcomes[:3])
    for later in outcomes[3:]:
        assert later.message.startswith(GATEWAY_SAID) and "--base-url" in later.message
        assert "timeout" not in later.message and later.message.endswith("it delivers what is still pending")
    assert len(state.unanswered) == 3  # as before: a 5xx deposit may have been stored
    assert len(server.log) == 3 and fake.deposits == []


def test_an_export_whose_wallet_gateway_answers_it_is_down_stops_asking_and_the_next_run_delivers(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, fake = wallet
    awards, out = awards_file(tmp_path, 6), tmp_path / "out"
    server.faults.extend(Fault("status", 502, method="POST") for _ in range(20))
    result = export(awards, out, store, seal, server.base_url)
    # before: (0, 6, 0), every deposit sent
    assert (result.delivered, result.delivery_failed, result.delivery_not_sent) == (0, 3, 3)
    assert len([entry for entry in server.log if entry.method == "POST"]) == 3
    rows = deliveries(out)
    assert all("HTTP 502" in row["error"] for row in rows[:3])
    assert [row["status"] for row in rows[3:]] == ["not-sent"] * 3
    (said,) = [note for note in result.notes if "not sent" in note]  # once, with the fix
    assert said.startswith(f"wallet {server.base_url}: 3 deposits {GATEWAY_SAID}")
    assert "--deliver-wallet" in said and "timeout" not in said
    assert all(row["error"] == said.partition("3 deposits ")[2] for row in rows[3:])
    with sqlite3.connect(out / JOURNAL_NAME) as db:
        states = Counter(state for (state,) in db.execute("SELECT state FROM deliveries"))
    assert states == {"sending": 3, "failed": 3}  # as before: a 502 deposit may have been stored

    server.faults.clear()
    again = export(awards, out, store, seal, server.base_url)
    assert (again.delivered + again.already_delivered, again.delivery_failed) == (6, 0)
    assert len(fake.deposits) == 6


def _stopped(message: str, status: str) -> str:
    return "stopped" if message.startswith("not sent: ") else status


def test_a_wallet_gateway_answering_between_deposits_stored_is_asked_until_three_in_a_row(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path) -> None:
    """Only gateway answers in a row count: a deposit stored in between starts the count again."""
    server, _ = wallet
    http = HttpClient(server.base_url, timeout=(2.0, 5.0),
                      retry=RetryPolicy(attempts=2, sleep=lambda _: None), min_interval=0)
    done: list[Outcome] = []

    def progress(outcome: Outcome) -> None:
        done.append(outcome)
        _next_deposit(server, "gtogtgg", len(done))

    _next_deposit(server, "gtogtgg", 0)
    outcomes = push_wallet(wallet_items(_manifest(tmp_path, 9)), WalletClient(http),
                           State.load(tmp_path / "state.json", "wallet"), on_progress=progress)
    assert [_stopped(o.message, o.status) for o in outcomes] == ["failed"] * 2 + ["ok"] + ["failed"] * 3 + [
        "stopped"] * 3
    assert all(o.message.startswith(GATEWAY_SAID) for o in outcomes[6:])
    assert len(server.log) == 6


def test_a_wallet_left_unanswered_and_answered_by_its_gateway_in_a_row_says_both(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path) -> None:
    """Deposits without an answer and deposits the gateway answered 502 count alike, and the
    note says both happened (neither "each waits for its timeout" alone, nor the gateway alone)."""
    server, _ = wallet
    http = HttpClient(server.base_url, timeout=(2.0, 5.0),
                      retry=RetryPolicy(attempts=2, sleep=lambda _: None), min_interval=0)
    server.faults.extend(FAULTS[fate] for fate in "dgd")
    outcomes = push_wallet(wallet_items(_manifest(tmp_path, 5)), WalletClient(http),
                           State.load(tmp_path / "state.json", "wallet"))
    assert [_stopped(o.message, o.status) for o in outcomes] == ["failed"] * 3 + ["stopped"] * 2
    said = outcomes[3].message
    assert said.startswith("not sent: the wallet did not answer the last 3 deposits (some got no answer")
    assert "its gateway's HTTP 502, 503 or 504" in said and said.endswith("it delivers what is still pending")


def test_an_export_whose_wallet_gateway_answers_between_deposits_stops_after_three_in_a_row(
        tmp_path: Path, store: SchemaStore, seal: SealFactory, wallet: tuple[FakeServer, WalletFake]) -> None:
    server, _ = wallet
    seen: list[Delivery] = []

    def delivered(delivery: Delivery) -> None:
        seen.append(delivery)
        _next_deposit(server, "gtotgt", len(seen))

    _next_deposit(server, "gtotgt", 0)
    options = RunOptions(out_dir=tmp_path / "out", store_root=store.root, formats=(), workers=1, seal=seal,
                         deliver=WalletTarget(server.base_url, send_email=False, locale="en"))
    run([Job(CATALOGUE, (awards_file(tmp_path, 9),))], options, on_delivery=delivered)
    assert [_stopped(d.message, d.status) for d in seen] == ["failed"] * 2 + ["delivered"] + [
        "failed"] * 3 + ["stopped"] * 3
    assert all(d.message.startswith(GATEWAY_SAID) for d in seen[6:])
    assert len([entry for entry in server.log if entry.method == "POST"]) == 6


def test_ctrl_c_during_a_deposit_names_it_and_the_same_command_finishes(
        tmp_path: Path, reference: Path) -> None:
    """A real process gets SIGINT while a deposit is in flight: exit 130, that deposit named on
    the terminal with what the next run does, and the next run counts it delivered (CR-0001)."""
    import signal
    import subprocess
    import sys
    import threading

    from tests.fake_http import Request
    from tests.test_push_one_at_a_time import _manifest

    fake = WalletFake()
    arrived, go_on = threading.Event(), threading.Event()

    def first_deposit_waits(request: Request) -> Reply:
        if not arrived.is_set():  # held until the process has been interrupted
            arrived.set()
            go_on.wait(60)
        return fake(request)

    server = FakeServer(first_deposit_waits).start()
    command = [sys.executable, "-m", "edcbridge", "push", "wallet", str(_manifest(tmp_path, reference, 2)),
               "--base-url", server.base_url, "-o", str(tmp_path / "out"), "--no-send-email"]
    try:
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as push:
            try:
                assert arrived.wait(60), "the push sent nothing"
                push.send_signal(signal.SIGINT)
                _, said = push.communicate(timeout=60)
            finally:
                go_on.set()
        assert push.returncode == 130, said
        assert ("failed   deposit urn:credential:night-1 -> ***@example.org: interrupted (Ctrl-C) while it "
                "was being sent: the wallet may hold it: the same command sends it again, and the wallet's "
                "CR-0001 (already there) then counts it delivered") in said.splitlines(), said
        again = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert again.returncode == 0, again.stderr
        results = json.loads((tmp_path / "out" / "wallet-results.json").read_text("utf-8"))["items"]
        assert [(i["status"], i["detail"]) for i in results] == [("ok", "already-delivered"),
                                                                  ("ok", "delivered")]
        assert Counter(d["id"] for d in fake.deposits) == Counter(["urn:credential:night-1",
                                                                   "urn:credential:night-2"])
    finally:
        server.stop()


def test_deposits_a_ctrl_c_left_are_said_once_and_keep_what_the_plan_says_of_them(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deposits a Ctrl-C left are counted and said once with why, as those a wallet that
    stopped the push left; their results keep why each was to be sent and say why it was not in
    ``message`` (before: no line said why, and ``detail`` held it in place of the plan's word)."""
    server, fake = wallet
    deposit = WalletClient.deposit
    calls: list[object] = []

    def second_interrupted(self: WalletClient, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return deposit(self, *args, **kwargs)

    monkeypatch.setattr(WalletClient, "deposit", second_interrupted)

    @click.group()
    def root() -> None:
        pass

    register(root)
    out = tmp_path / "out"
    args = ["push", "wallet", str(_manifest(tmp_path, 4)), "--base-url", server.base_url, "-o", str(out),
            "--no-send-email"]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 130, result.output
    lines = result.stderr.splitlines()
    assert "1 failed, 1 ok, 2 not sent" in lines
    assert "2 not sent: the run was interrupted" in lines
    items = json.loads((out / "wallet-results.json").read_text("utf-8"))["items"]
    assert [(i["status"], i["detail"], i["message"]) for i in items[2:]] == [
        ("planned", "not delivered by this state file yet (the target is checked first)",
         "not sent: the run was interrupted")] * 2
    monkeypatch.setattr(WalletClient, "deposit", deposit)
    again = CliRunner().invoke(root, args)
    assert again.exit_code == 0, again.output
    assert len(fake.deposits) == 4


@pytest.mark.parametrize("status", [429, 503])
def test_a_wallet_asking_to_wait_longer_than_a_run_stops_the_push_and_the_same_command_sends_the_rest(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path, status: int) -> None:
    """A 429/503 with a Retry-After longer than a run waits stored nothing: that deposit is
    named, the rest are not sent (left planned), said once with when to run again, as push deqar
    says it; the same command then delivers them."""
    server, fake = wallet
    rows = ["credential,email"]
    for number in range(1, 5):
        credential = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                      "id": f"urn:credential:w{number}"}
        (tmp_path / f"c{number}.json").write_bytes(jades(credential))
        rows.append(f"c{number}.json,learner{number}@example.org")
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n", "utf-8")

    @click.group()
    def root() -> None:
        pass

    register(root)
    out = tmp_path / "out"
    args = ["push", "wallet", str(tmp_path / "manifest.csv"), "--base-url", server.base_url, "-o", str(out),
            "--no-send-email"]
    server.faults.append(Fault("status", status, headers={"Retry-After": "600"}, method="POST"))
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    (failed,) = [line for line in lines if line.startswith("failed")]  # before: 4, each on its own
    assert failed.startswith("failed   deposit urn:credential:w1 ") and f"HTTP {status}" in failed
    assert "1 failed, 3 not sent" in lines
    (said,) = [line for line in lines if line.startswith("3 not sent:")]
    assert said.startswith(f"3 not sent: the wallet asked (HTTP {status}, Retry-After) to wait 600 s, longer "
                           "than a run waits; run the same command again after ")
    assert said.endswith(": it delivers what is still pending")
    document = json.loads((out / "wallet-results.json").read_text("utf-8"))
    assert document["summary"] == {"failed": 1, "planned": 3}
    assert [item["message"] for item in document["items"][1:]] == [said[2:]] * 3
    with (out / "wallet-results.csv").open(encoding="utf-8") as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["failed"] + ["planned"] * 3
    assert len([entry for entry in server.log if entry.method == "POST"]) == 1
    again = CliRunner().invoke(root, args)
    assert again.exit_code == 0, again.output
    assert sorted(d["id"] for d in fake.deposits) == [f"urn:credential:w{n}" for n in range(1, 5)]


def test_deposits_a_stopped_push_did_not_send_keep_what_the_plan_says_of_them(
        wallet: tuple[FakeServer, WalletFake], tmp_path: Path) -> None:
    """A deposit not sent once the wallet asked to wait keeps, in wallet-results.json, the
    wallet's id of the version delivered before and why it was to be sent, as push deqar's
    reports not sent and a Ctrl-C's keep them (before: both empty)."""
    server, _ = wallet

    def write(number: int, grade: str) -> None:
        credential = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                      "id": f"urn:credential:k{number}", "grade": grade}
        (tmp_path / f"c{number}.json").write_bytes(jades(credential))

    def manifest(numbers: list[int]) -> None:
        rows = ["credential,email", *(f"c{n}.json,learner{n}@example.org" for n in numbers)]
        (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n", "utf-8")

    @click.group()
    def root() -> None:
        pass

    register(root)
    out = tmp_path / "out"
    args = ["push", "wallet", str(tmp_path / "manifest.csv"), "--base-url", server.base_url, "-o", str(out),
            "--no-send-email"]
    write(2, "Pass")
    manifest([2])
    assert CliRunner().invoke(root, args).exit_code == 0
    (delivered,) = json.loads((out / "wallet-results.json").read_text("utf-8"))["items"]
    assert delivered["target_id"]
    for number in (1, 2, 3):
        write(number, "Merit")
    manifest([1, 2, 3])
    server.faults.append(Fault("status", 429, headers={"Retry-After": "600"}, method="POST"))
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    items = json.loads((out / "wallet-results.json").read_text("utf-8"))["items"]
    assert [(item["status"], item["action"]) for item in items] == [("failed", "deposit")] + [
        ("planned", "deposit")] * 2
    assert (items[1]["target_id"], items[1]["detail"]) == (
        delivered["target_id"], "changed since the last delivery")
    assert (items[2]["target_id"], items[2]["detail"]) == (
        "", "not delivered by this state file yet (the target is checked first)")
    assert items[1]["message"] == items[2]["message"] and "the wallet asked (HTTP 429" in items[1]["message"]
