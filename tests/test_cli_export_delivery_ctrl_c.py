"""Ctrl-C (or SIGTERM) while `export --deliver-wallet` deposits: the run ends with its summary,
as a Ctrl-C during the export does, so its audit head is printed to be noted."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import delivery
from edcbridge.pipeline.journal import Journal
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES
from tests.fake_http import FakeServer
from tests.fake_wallet import WalletFake

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"


@pytest.fixture
def wallet_url() -> Iterator[str]:
    server = FakeServer(WalletFake()).start()
    yield server.base_url
    server.stop()


def test_ctrl_c_during_the_deliveries_still_prints_the_summary_and_the_audit_head(
        store, tmp_path: Path, wallet_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    real_deliver = delivery._deliver
    sent: list[str] = []

    def ctrl_c_at_the_third(*args: object, **kwargs: object) -> object:
        if len(sent) == 2:
            raise KeyboardInterrupt
        answer = real_deliver(*args, **kwargs)  # type: ignore[arg-type]
        sent.append(answer.key)
        return answer

    monkeypatch.setattr(delivery, "_deliver", ctrl_c_at_the_third)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "export", str(FIXTURES / "imperial" / "awards.csv"), "-c", str(CATALOGUE), "-o", str(out),
        "--seal", str(seal.p12), "--password-file", str(tmp_path / "seal" / "seal-password.txt"),
        "--deliver-wallet", wallet_url, "--no-send-email", "-j", "1"])
    assert result.exit_code == 130, result.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["interrupted"] is True and report["delivered"] == 2
    assert f"audit head {report['audit_head']}" in result.stderr  # before: not printed
    assert f"{report['done']} done, 0 skipped, 0 failed" in result.stderr
    left = report["done"] - 3  # after the two delivered and the one in flight
    assert report["delivery_failed"] == 1 and left > 1
    assert f"2 delivered, 0 already there, 1 failed, {left} not sent" in result.stderr
    assert "interrupted (Ctrl-C) while it was being sent" in result.stderr  # the one in flight, named
    assert result.stderr.count("not sent") == 2  # the count, and once why: not a line per deposit
    assert f"{left} deposits not sent: the run was interrupted (Ctrl-C); run the same command again" \
        in result.stderr
    assert result.stderr.rstrip().endswith("run the same command again to resume")


def test_deposits_a_silent_wallet_leaves_are_said_once_not_each_as_a_failure(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    server = FakeServer(WalletFake()).start()
    server.stop()  # nothing answers at its address any more
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "export", str(FIXTURES / "imperial" / "awards.csv"), "-c", str(CATALOGUE), "-o", str(out),
        "--seal", str(seal.p12), "--password-file", str(tmp_path / "seal" / "seal-password.txt"),
        "--deliver-wallet", server.base_url, "--no-send-email", "-j", "1"])
    assert result.exit_code == 1, result.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    left = report["done"] - 3
    assert left > 1 and report["delivery_failed"] == 3
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed ")]
    assert len(failures) == 3 and all("no answer" in line for line in failures)  # each named
    assert f"0 delivered, 0 already there, 3 failed, {left} not sent" in result.stderr
    assert result.stderr.count("not sent") == 2  # before: one line per deposit not attempted
    assert f"{left} deposits not sent: the wallet did not answer the last 3 deposits" in result.stderr


def test_the_note_of_deposits_not_sent_follows_the_wallet_line_it_explains(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It was printed among the catalogue's notes, before the records' counts, far from the
    wallet's line that counts the deposits not sent."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    server = FakeServer(WalletFake()).start()
    server.stop()  # nothing answers at its address any more
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "export", str(FIXTURES / "imperial" / "awards.csv"), "-c", str(CATALOGUE), "-o", str(out),
        "--seal", str(seal.p12), "--password-file", str(tmp_path / "seal" / "seal-password.txt"),
        "--deliver-wallet", server.base_url, "--no-send-email", "-j", "1"])
    lines = result.stderr.splitlines()
    wallet = f"wallet {server.base_url}: "
    (counted,) = [at for at, line in enumerate(lines) if line.startswith(wallet + "0 delivered")]
    assert lines[counted].endswith(" not sent")
    said = [at for at, line in enumerate(lines) if line.startswith(wallet) and " deposits not sent: " in line]
    assert said == [counted + 1]


def test_a_run_a_journal_error_stops_while_it_delivers_counts_the_deposits_left(
        store, tmp_path: Path, wallet_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its stderr said only "aborted: ...": nothing of the deposits made, failed or left."""
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    real = Journal.delivery_outcome
    outcomes: list[str] = []

    def full_disk_at_the_third(self: Journal, item: Any, *args: Any, **kwargs: Any) -> None:
        if len(outcomes) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        real(self, item, *args, **kwargs)
        outcomes.append(item.key)

    monkeypatch.setattr(Journal, "delivery_outcome", full_disk_at_the_third)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "export", str(FIXTURES / "imperial" / "awards.csv"), "-c", str(CATALOGUE), "-o", str(out),
        "--seal", str(seal.p12), "--password-file", str(tmp_path / "seal" / "seal-password.txt"),
        "--deliver-wallet", wallet_url, "--no-send-email", "-j", "1"])
    assert result.exit_code == 1, result.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    left = report["delivery_not_sent"]
    assert report["aborted"] and left == report["done"] - 3
    lines = result.stderr.splitlines()
    assert lines[-3] == f"wallet {wallet_url}: 2 delivered, 0 already there, 1 failed, {left} not sent"
    assert lines[-2].startswith(f"wallet {wallet_url}: {left} deposits not sent: the run stopped on an "
                                "error (disk I/O error); fix its cause, then run the same command again")
    assert lines[-1].startswith("aborted: disk I/O error")
