"""report.html says of a run what report.json, report.csv and the summary on stderr say of it."""

from __future__ import annotations

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
    failed = report["delivery_failed"]
    assert report["interrupted"] and report["not_read"] == 0 and failed > 0
    assert f"2 delivered, 0 already there, {failed} failed" in stderr
    verdict = text.split(" Summary ")[0]
    assert "rows not read" not in verdict and "while it delivered the credentials" in verdict
    assert f"2 credential(s) delivered and {failed} delivery(ies) failed" in verdict
    assert "Failures None." not in text
    assert f"Failures No record failed; {failed} delivery(ies) failed" in text


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
