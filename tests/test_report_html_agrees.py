"""report.html says of a run what report.json, report.csv and the summary on stderr say of it."""

from __future__ import annotations

import csv
import html
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import delivery
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES
from tests.fake_http import FakeServer
from tests.fake_wallet import WalletFake

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


@pytest.fixture
def wallet_url() -> Iterator[str]:
    server = FakeServer(WalletFake()).start()
    yield server.base_url
    server.stop()


def _export(out: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["export", str(AWARDS), "-c", str(CATALOGUE), "-o", str(out), *args])
    return result.exit_code, result.stderr


def _text(out: Path) -> str:
    """report.html as a reader sees it: its words, without the markup."""
    page = (out / "report.html").read_text("utf-8")
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _report(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "report.json").read_text("utf-8"))


def test_records_remade_for_a_file_touched_are_not_said_to_have_new_input(env: None, tmp_path: Path) -> None:
    """A copy of the folder that kept no modification times remakes every credential: the
    verdict said they were made again "as what they are made from changed"."""
    out = tmp_path / "out"
    assert _export(out)[0] == 0
    for path in (out / "edc").glob("*.jsonld"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert _export(out)[0] == 0
    report, text = _report(out), _text(out)
    assert report["redone"] == report["done"] > 0
    assert all("was changed or removed since it was written" in r["redone"] for r in report["records"])
    assert "what they are made from changed" not in text
    assert f"{report['redone']} of them made again, each for the reason given under Made again" in text


def test_deliveries_a_ctrl_c_left_undone_are_failures_of_the_page_as_of_report_json(
        env: None, tmp_path: Path, wallet_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped while it deposited credentials, the run's page said "0 rows not read" and, under
    Failures, "None.", while report.json and stderr counted the deliveries failed."""
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
    code, stderr = _export(out, "--seal", str(seal.p12), "--password-file",
                           str(tmp_path / "seal" / "seal-password.txt"), "--deliver-wallet", wallet_url,
                           "--no-send-email", "-j", "1")
    assert code == 130, stderr
    report, text = _report(out), _text(out)
    failed, left = report["delivery_failed"], report["delivery_not_sent"]
    assert report["interrupted"] and report["not_read"] == 0 and failed == 1 and left > 1
    assert f"2 delivered, 0 already there, {failed} failed, {left} not sent" in stderr
    verdict = text.split(" Summary ")[0]
    assert "rows not read" not in verdict and "while it delivered the credentials" in verdict
    assert f"2 credential(s) delivered, {failed} delivery(ies) failed and {left} not sent" in verdict
    assert "Failures None." not in text
    assert f"Failures No record failed; {failed} delivery(ies) failed and {left} not sent" in text


def test_erasing_an_award_keeps_the_reasons_of_the_others_made_again(env: None, tmp_path: Path) -> None:
    """``erase`` rewrote report.html with an empty Made again table ("9 more: see report.csv")
    while report.csv kept the other records' reasons."""
    out = tmp_path / "out"
    assert _export(out)[0] == 0
    for path in (out / "edc").glob("*.jsonld"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert _export(out)[0] == 0
    erased = _report(out)["records"][0]["award_id"]
    result = CliRunner().invoke(main, ["erase", str(out), erased, "--reason", "the learner asked"])
    assert result.exit_code == 0, result.stderr
    kept = [r for r in _report(out)["records"] if r["redone"]]
    assert kept and erased not in {r["award_id"] for r in kept}
    made_again = _text(out).split("Made again (redone)")[1]
    for record in kept:
        assert f"{record['award_id']} {record['redone']}" in made_again
    assert f"{erased} " not in made_again


def test_deposits_not_sent_are_counted_and_each_says_why_in_every_report(
        env: None, tmp_path: Path) -> None:
    """A wallet that stops answering leaves deposits not attempted: the summary on stderr counted
    them ("3 failed, 6 not sent"), but report.json and report.html did not, and their rows in
    deliveries.csv and report.json had no reason."""
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    server = FakeServer(WalletFake()).start()
    server.stop()  # nothing answers at its address any more
    out = tmp_path / "out"
    code, stderr = _export(out, "--seal", str(seal.p12), "--password-file",
                           str(tmp_path / "seal" / "seal-password.txt"), "--deliver-wallet", server.base_url,
                           "--no-send-email", "-j", "1")
    assert code == 1, stderr
    report, text = _report(out), _text(out)
    left = [d for d in report["deliveries"] if d["status"] == "not-sent"]
    assert len(left) > 1 and report["delivery_not_sent"] == len(left)  # before: no such count
    assert f"3 failed, {len(left)} not sent" in stderr
    for entry in left:  # before: null
        assert entry["error"].startswith("not sent: the wallet did not answer the last 3 deposits")
    with (out / "deliveries.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["status"] == "not-sent"]
    assert len(rows) == len(left) and all("run the same command again" in row["error"] for row in rows)
    assert f"deliveries not sent {len(left)}" in text
    assert f"{len(left)} delivery(ies) not sent: the run did not attempt them" in text
    failed_rows = text.split("Failed deliveries")[1]
    assert failed_rows.count("no answer") == 3 and "not sent: the wallet" not in failed_rows


def test_erasing_an_award_keeps_the_deposits_not_sent_out_of_the_failed_deliveries(
        env: None, tmp_path: Path) -> None:
    """``erase`` rewrites report.html from report.json, where a deposit not sent has its reason:
    the page must still count it apart, not list it among the failed deliveries."""
    seal = demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    server = FakeServer(WalletFake()).start()
    server.stop()  # nothing answers at its address any more
    out = tmp_path / "out"
    code, stderr = _export(out, "--seal", str(seal.p12), "--password-file",
                           str(tmp_path / "seal" / "seal-password.txt"), "--deliver-wallet", server.base_url,
                           "--no-send-email", "-j", "1")
    assert code == 1, stderr
    erased = _report(out)["deliveries"][-1]["award_id"]  # one not sent
    result = CliRunner().invoke(main, ["erase", str(out), erased, "--reason", "the learner asked"])
    assert result.exit_code == 0, result.stderr
    failed_rows = _text(out).split("Failed deliveries")[1]
    assert failed_rows.count("no answer") == 3 and "not sent: the wallet" not in failed_rows
