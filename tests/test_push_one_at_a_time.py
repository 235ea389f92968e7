"""Two pushes on one state file at once (a scheduled push starting while the last still runs):
the second is refused before it sends anything, so no item goes out twice."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.deliver.cli import register
from tests.deliver_support import jades
from tests.fake_http import FakeServer, Reply, Request
from tests.fake_wallet import WalletFake

SAMPLE = "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned.jsonld"


def _manifest(folder: Path, reference: Path, count: int) -> Path:
    rows = ["credential,wallet_id,email,locale"]
    for number in range(1, count + 1):
        doc = json.loads((reference / SAMPLE).read_text("utf-8"))
        doc["id"] = f"urn:credential:night-{number}"
        (folder / f"c{number}.json").write_bytes(jades(doc))
        rows.append(f"c{number}.json,,learner{number}@example.org,en")
    path = folder / "manifest.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def _push(args: list[str]) -> tuple[int, str]:
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["push", *args])
    return result.exit_code, result.stderr


def test_a_second_push_on_the_same_state_file_is_refused_while_the_first_runs(
        tmp_path: Path, reference: Path) -> None:
    wallet = WalletFake()
    arrived, go_on = threading.Event(), threading.Event()

    def first_request_waits(request: Request) -> Reply:
        if not arrived.is_set():  # the first push's first deposit is held until the second has run
            arrived.set()
            go_on.wait(60)
        return wallet(request)

    server = FakeServer(first_request_waits).start()
    args = ["wallet", str(_manifest(tmp_path, reference, 3)), "--base-url", server.base_url,
            "-o", str(tmp_path / "out")]
    try:
        with subprocess.Popen([sys.executable, "-m", "edcbridge", "push", *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as first:
            try:
                assert arrived.wait(60), "the first push sent nothing"
                code, said = _push(args)
            finally:
                go_on.set()
            _, first_said = first.communicate(timeout=60)
        assert first.returncode == 0, first_said
        assert code == 2, said
        assert "another push is using" in said and "wallet-state.json" in said, said
        assert sorted(d["id"] for d in wallet.deposits) == [f"urn:credential:night-{n}" for n in (1, 2, 3)]
        assert len(server.writes()) == 3  # the second push sent nothing
        code, said = _push(args)  # once the first has ended, the same command goes on
        assert code == 0, said
        assert len(server.writes()) == 3  # all delivered: nothing left to send
    finally:
        server.stop()


def test_a_dry_run_beside_a_push_is_not_refused(tmp_path: Path, reference: Path) -> None:
    from edcbridge.deliver.state import State

    manifest = _manifest(tmp_path, reference, 1)
    out = tmp_path / "out"
    running = State.load(out / "wallet-state.json", "wallet", "https://wallet.example", hold=True)
    try:
        code, said = _push(["wallet", str(manifest), "--base-url", "https://wallet.example", "-o", str(out),
                            "--dry-run"])
        assert code == 0, said
    finally:
        running.close()


def test_a_push_refused_for_another_says_what_the_next_one_does_in_the_words_the_others_use(
        tmp_path: Path, reference: Path) -> None:
    """The push refused is told what running it again does as push deqar, push wallet and export
    --deliver-wallet tell it of the items they did not send (before: "it sends only what is left")."""
    from edcbridge.deliver.state import State
    from edcbridge.pipeline.delivery import WALLET_SILENT

    manifest = _manifest(tmp_path, reference, 1)
    out = tmp_path / "out"
    running = State.load(out / "wallet-state.json", "wallet", "https://wallet.example", hold=True)
    try:
        code, said = _push(["wallet", str(manifest), "--base-url", "https://wallet.example", "-o", str(out)])
    finally:
        running.close()
    assert code == 2, said
    pending = WALLET_SILENT.rpartition("run the same command again")[2]
    assert said.rstrip().endswith(f"another push is using this state file; wait for it to end, then run this "
                                  f"command again{pending}"), said


def test_a_deqar_push_is_refused_before_it_logs_in_while_another_holds_its_state(
        tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.deliver.state import State
    from tests.deliver_support import CATALOGUE, PASSWORD, batch_text, start_deqar

    server, _ = start_deqar(reference)
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE, "utf-8")
    (tmp_path / "batch.yaml").write_text(batch_text(2), "utf-8")
    monkeypatch.setenv("EDCBRIDGE_DEQAR_USERNAME", "acquin")
    monkeypatch.setenv("EDCBRIDGE_DEQAR_PASSWORD", PASSWORD)
    out = tmp_path / "out"
    args = ["deqar", str(tmp_path / "batch.yaml"), "-c", str(tmp_path / "catalogue.yaml"),
            "--base-url", server.base_url, "-o", str(out)]
    running = State.load(out / "deqar-state.json", "deqar", "elsewhere", hold=True)
    try:
        code, said = _push(args)
        assert code == 2, said
        assert "another push is using" in said, said
        assert server.log == []
        running.close()
        code, said = _push(args)
        assert code == 0, said
    finally:
        running.close()
        server.stop()


def test_a_push_stopped_with_sigterm_writes_its_results_and_the_same_command_finishes(
        tmp_path: Path, reference: Path) -> None:
    import os
    import signal

    wallet = WalletFake()
    arrived, go_on = threading.Event(), threading.Event()

    def second_request_waits(request: Request) -> Reply:
        if wallet.deposits and not arrived.is_set():  # one delivered, the next held
            arrived.set()
            go_on.wait(60)
        return wallet(request)

    server = FakeServer(second_request_waits).start()
    out = tmp_path / "out"
    args = ["wallet", str(_manifest(tmp_path, reference, 3)), "--base-url", server.base_url, "-o", str(out)]
    try:
        with subprocess.Popen([sys.executable, "-m", "edcbridge", "push", *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as push:
            try:
                assert arrived.wait(60), "the push did not deliver its first credential"
                os.kill(push.pid, signal.SIGTERM)  # a service manager stopping the night's job
            finally:
                go_on.set()
            _, said = push.communicate(timeout=60)
        assert push.returncode == 130, said
        assert "interrupted" in said and "Traceback" not in said, said
        results = json.loads((out / "wallet-results.json").read_text("utf-8"))
        assert results["interrupted"] is True
        code, said = _push(args)
        assert code == 0, said
        assert sorted(d["id"] for d in wallet.deposits) == [f"urn:credential:night-{n}" for n in (1, 2, 3)]
    finally:
        server.stop()


def _a_small_disk() -> None:
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails instead (EFBIG), as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))  # a few lines of the state log


def test_a_push_whose_disk_fills_stops_with_the_fix_and_the_same_command_finishes(
        tmp_path: Path, reference: Path) -> None:
    wallet = WalletFake()
    server = FakeServer(wallet).start()
    out = tmp_path / "out"
    args = ["wallet", str(_manifest(tmp_path, reference, 8)), "--base-url", server.base_url, "-o", str(out)]
    try:
        full = subprocess.run([sys.executable, "-m", "edcbridge", "push", *args], capture_output=True,
                              text=True, timeout=120, check=False, preexec_fn=_a_small_disk)
        assert full.returncode == 1, full.stderr
        assert "Traceback" not in full.stderr, full.stderr
        assert "run the same command again" in full.stderr and "free space" in full.stderr, full.stderr
        assert 0 < len(wallet.deposits) < 8  # it stopped part way
        code, said = _push(args)
        assert code == 0, said
        assert sorted(d["id"] for d in wallet.deposits) == [f"urn:credential:night-{n}" for n in range(1, 9)]
        posted = [entry for entry in server.writes() if entry.status == 200]
        assert len(posted) == 8  # none sent twice
    finally:
        server.stop()


def test_the_csv_route_holds_the_state_file_while_it_requests_deletions(tmp_path: Path) -> None:
    """The CSV upload done, the reports withdrawn are still to be requested: a push starting
    then must be refused, or it would request them again and fold away what is recorded."""
    from edcbridge.deliver.errors import DeliveryConfigError
    from edcbridge.deliver.state import State
    from tests.deliver_support import batch_text, push_deqar_batch, start_deqar

    server, app = start_deqar()
    out = tmp_path / "out"
    first = push_deqar_batch(tmp_path, server, batch_text(2), "--via", "csv")
    assert first.exit_code == 0, first.output
    refusals: list[str] = []

    def second_push_during_a_deletion(request: Request) -> Reply:
        if request.method == "DELETE":
            try:
                State.load(out / "deqar-state.json", "deqar", "elsewhere", hold=True).close()
            except DeliveryConfigError as exc:
                refusals.append(str(exc))
        return app(request)

    server.app = second_push_during_a_deletion
    try:
        withdrawn = batch_text(1, summary="Accredited again.") + "delete_reports: [EDCB-0002]\n"
        second = push_deqar_batch(tmp_path, server, withdrawn, "--via", "csv")
        assert second.exit_code == 0, second.output
        assert [e.method for e in server.log].count("DELETE") == 1
        assert len(refusals) == 1 and "another push is using" in refusals[0], refusals
    finally:
        server.stop()


def test_the_state_file_stays_the_pushs_until_its_results_are_written(
        tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A push starting once the first has sent everything, but before it wrote its results, would
    write its own results over them: it is refused until then."""
    from edcbridge.deliver import cli as deliver_cli
    from edcbridge.deliver.errors import DeliveryConfigError
    from edcbridge.deliver.state import State

    out = tmp_path / "out"
    refusals: list[str] = []
    write_results = deliver_cli.write_results

    def another_push_first(*args: object, **kwargs: object) -> object:
        try:
            State.load(out / "wallet-state.json", "wallet", "elsewhere", hold=True).close()
        except DeliveryConfigError as exc:
            refusals.append(str(exc))
        return write_results(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(deliver_cli, "write_results", another_push_first)
    server = FakeServer(WalletFake()).start()
    try:
        code, said = _push(["wallet", str(_manifest(tmp_path, reference, 2)), "--base-url", server.base_url,
                            "-o", str(out)])
    finally:
        server.stop()
    assert code == 0, said
    assert len(refusals) == 1 and "another push is using" in refusals[0], refusals
    State.load(out / "wallet-state.json", "wallet", "elsewhere", hold=True).close()  # let go at the end
