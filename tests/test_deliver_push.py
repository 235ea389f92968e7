"""Plan/apply against the DEQAR fake: dry run, kill and re-run, lost state, injected faults, CLI."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.deliver.cli import deqar_command, register
from edcbridge.deliver.config import batch_items, load_batch
from edcbridge.deliver.push import PushInterrupted, plan, push_deqar, push_deqar_csv
from edcbridge.deliver.results import Outcome
from edcbridge.deliver.state import State
from edcbridge.load import load_catalogue
from tests.deliver_support import CATALOGUE, PASSWORD, Captured, batch_text, deqar_client, start_deqar
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Reply, Request


@pytest.fixture
def fake(reference: Path) -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar(reference)
    yield server, app
    server.stop()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE, "utf-8")
    return tmp_path


def _items(workdir: Path, text: str) -> list:  # type: ignore[type-arg]
    (workdir / "batch.yaml").write_text(text, "utf-8")
    return batch_items(
        load_batch(workdir / "batch.yaml"), load_catalogue(workdir / "catalogue.yaml"), workdir
    )


def _stored(app: DeqarFake) -> Counter[str]:
    return Counter(r["local_identifier"] for r in app.reports.values())


def _creates(server: FakeServer) -> Counter[str]:
    return Counter(
        json.loads(e.body)["local_identifier"]
        for e in server.log
        if e.method == "POST" and e.path.endswith("/submit/report") and e.status == 200
    )


def test_dry_run_sends_nothing_and_plans_from_state(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, _ = fake
    items = _items(workdir, batch_text(3, bad=True))
    state = State.load(workdir / "state.json", "deqar")
    outcomes = push_deqar(items, deqar_client(server), state, agency="ACQUIN", dry_run=True)
    assert server.log == []
    assert [(o.key, o.action, o.status) for o in outcomes] == [
        ("EDCB-0001", "create", "planned"),
        ("EDCB-0002", "create", "planned"),
        ("EDCB-0003", "create", "planned"),
        ("EDCB-BAD", "refuse", "failed"),
    ]
    assert (
        "ECTS credits are required, when degree_outcome field is '2 / no full degree'" in outcomes[3].message
    )


def test_unknown_eter_id_is_refused_before_sending(fake: tuple[FakeServer, DeqarFake], workdir: Path) -> None:
    server, app = fake
    text = batch_text(3) + batch_text(1).split("reports:\n")[1].replace("EDCB-0001", "EDCB-X").replace(
        "institutions: [hfpv]", "institutions: [{eter_id: DE0999}]"
    )
    outcomes = push_deqar(_items(workdir, text), deqar_client(server), State(None, "deqar"), agency="ACQUIN")
    assert [o.status for o in outcomes] == ["ok", "ok", "ok", "failed"]
    assert "institutions[0]: Please provide valid ETER ID." in outcomes[3].message
    assert "EDCB-X" not in _stored(app)
    lookups = [e.path for e in server.log if "providers/by-eter" in e.path]
    assert lookups == ["/connectapi/v1/providers/by-eter/DE0392", "/connectapi/v1/providers/by-eter/DE0999"]


def test_apply_then_rerun_skips_and_changes_update(fake: tuple[FakeServer, DeqarFake], workdir: Path) -> None:
    server, app = fake
    client = deqar_client(server)
    state = State.load(workdir / "state.json", "deqar")
    first = push_deqar(_items(workdir, batch_text(3, bad=True)), client, state, agency="ACQUIN")
    assert [o.status for o in first] == ["ok", "ok", "ok", "failed"]
    assert [(o.action, o.detail) for o in first[:3]] == [("create", "created")] * 3
    assert "EDCB-BAD" not in _stored(app)  # refused locally: never sent
    state = State.load(workdir / "state.json", "deqar")
    again = push_deqar(_items(workdir, batch_text(3)), client, state, agency="ACQUIN")
    assert [o.status for o in again] == ["skipped"] * 3
    changed = _items(workdir, batch_text(3, summary="Re-accredited."))
    assert [o.action for o in plan(changed, state)] == ["update"] * 3
    third = push_deqar(changed, client, state, agency="ACQUIN")
    assert [(o.status, o.action, o.detail) for o in third] == [
        ("ok", "update", "updated (found by local identifier)")
    ] * 3
    assert _stored(app) == Counter({"EDCB-0001": 1, "EDCB-0002": 1, "EDCB-0003": 1})
    assert {r["summary"] for r in app.reports.values()} == {"Re-accredited."}


def test_killed_halfway_then_rerun_delivers_each_once(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, app = fake
    items = _items(workdir, batch_text(6))
    done: list[Outcome] = []

    def kill_after_two(outcome: Outcome) -> None:
        done.append(outcome)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(PushInterrupted) as stopped:
        push_deqar(
            items,
            deqar_client(server),
            State.load(workdir / "state.json", "deqar"),
            agency="ACQUIN",
            on_progress=kill_after_two,
        )
    assert len(app.reports) == 2
    assert [(o.status, o.detail, o.message) for o in stopped.value.outcomes][1:] == [
        ("ok", "created", ""),
        *[("planned", "not delivered by this state file yet (the target is checked first)",
           "not sent: the run was interrupted")] * 4]
    rerun = push_deqar(
        items, deqar_client(server), State.load(workdir / "state.json", "deqar"), agency="ACQUIN"
    )
    assert [o.status for o in rerun] == ["skipped"] * 2 + ["ok"] * 4
    assert _stored(app) == Counter({f"EDCB-{n:04d}": 1 for n in range(1, 7)})
    assert _creates(server) == Counter({f"EDCB-{n:04d}": 1 for n in range(1, 7)})


def _deqar_args(workdir: Path, server: FakeServer) -> list[str]:
    """``deqar BATCH -c CATALOGUE --base-url URL -o OUT`` for the workdir's batch."""
    return ["deqar", str(workdir / "batch.yaml"), "-c", str(workdir / "catalogue.yaml"),
            "--base-url", server.base_url, "-o", str(workdir / "out")]


def test_process_killed_halfway_then_rerun(fake: tuple[FakeServer, DeqarFake], workdir: Path) -> None:
    """A real process, killed with SIGKILL after two reports, then run again to the end."""
    server, app = fake
    (workdir / "batch.yaml").write_text(batch_text(8), "utf-8")
    command = [sys.executable, "-c", "from edcbridge.deliver.cli import push_group; push_group()",
               *_deqar_args(workdir, server)]
    env = {**os.environ, "EDCBRIDGE_DEQAR_USERNAME": "acquin", "EDCBRIDGE_DEQAR_PASSWORD": PASSWORD}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(app.reports) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    process.kill()
    process.wait()
    assert 2 <= len(app.reports) < 8, "the run was not interrupted halfway"
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 0, finished.stderr
    assert _stored(app) == Counter({f"EDCB-{n:04d}": 1 for n in range(1, 9)})
    assert all(n == 1 for n in _creates(server).values())
    results = json.loads((workdir / "out" / "deqar-results.json").read_text("utf-8"))
    assert {i["status"] for i in results["items"]} <= {"ok", "skipped"}
    assert PASSWORD not in finished.stderr + finished.stdout


def test_lost_state_file_checks_first_and_creates_nothing_twice(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, app = fake
    items = _items(workdir, batch_text(3))
    push_deqar(items, deqar_client(server), State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    (workdir / "state.json").unlink()
    rerun = push_deqar(
        items, deqar_client(server), State.load(workdir / "state.json", "deqar"), agency="ACQUIN"
    )
    assert [o.action for o in plan(items, State(None, "deqar"))] == ["create"] * 3
    # planned as creates, but the register has them: the outcome says what was done
    assert [(o.action, o.detail) for o in rerun] == [("update", "updated (found by local identifier)")] * 3
    assert _creates(server) == Counter({"EDCB-0001": 1, "EDCB-0002": 1, "EDCB-0003": 1})
    assert len(app.reports) == 3


def test_duplicate_on_create_is_an_update(
    fake: tuple[FakeServer, DeqarFake], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another run created the report between the check and the POST: the PUT is the action taken."""
    server, app = fake
    items = _items(workdir, batch_text(1))
    push_deqar(items, deqar_client(server), State(None, "deqar"), agency="ACQUIN")
    client = deqar_client(server)
    monkeypatch.setattr(client, "check", lambda agency, local_identifier: None)  # the race
    (outcome,) = push_deqar(items, client, State(None, "deqar"), agency="ACQUIN")
    assert (outcome.action, outcome.status) == ("update", "ok")
    assert outcome.detail == "duplicate on create; updated"
    assert _stored(app) == Counter({"EDCB-0001": 1})


def test_converges_with_one_in_five_requests_failing(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, app = fake
    server.chaos(0.2, seed=11)
    items = _items(workdir, batch_text(10))
    runs = 0
    while True:
        runs += 1
        outcomes = push_deqar(
            items, deqar_client(server), State.load(workdir / "state.json", "deqar"), agency="ACQUIN"
        )
        if all(o.status in ("ok", "skipped") for o in outcomes):
            break
        assert runs < 12, [o.message for o in outcomes if o.status == "failed"]
    faults = Counter(e.fault for e in server.log if e.fault)
    assert sum(faults.values()) >= 5  # the faults really happened
    assert _stored(app) == Counter({f"EDCB-{n:04d}": 1 for n in range(1, 11)})
    assert all(n == 1 for n in _creates(server).values())


def test_csv_route_upserts_and_maps_rows_back(fake: tuple[FakeServer, DeqarFake], workdir: Path) -> None:
    server, app = fake
    items = _items(workdir, batch_text(2, bad=True))
    state = State.load(workdir / "state.json", "deqar")
    outcomes = push_deqar_csv(items, deqar_client(server), state)
    assert [(o.key, o.status) for o in outcomes] == [
        ("EDCB-0001", "ok"),
        ("EDCB-0002", "ok"),
        ("EDCB-BAD", "failed"),
    ]
    assert outcomes[1].detail == "csv row 2"
    assert [o.action for o in outcomes] == ["upsert", "upsert", "refuse"]  # the register does not say which
    assert len([e for e in server.log if e.path.endswith("/submit/csv")]) == 1
    changed = _items(workdir, batch_text(2, summary="Changed."))
    assert [o.action for o in push_deqar_csv(changed, None, state, dry_run=True)][:2] == ["update"] * 2
    updated = push_deqar_csv(changed, deqar_client(server), state)
    assert [o.action for o in updated[:2]] == ["update", "update"]
    assert [o.target_id for o in updated[:2]] == [o.target_id for o in outcomes[:2]]
    assert _stored(app) == Counter({"EDCB-0001": 1, "EDCB-0002": 1})
    forgotten = State.load(workdir / "other-state.json", "deqar")  # another machine's state file
    planned = push_deqar_csv(changed, None, forgotten, dry_run=True)
    assert [o.action for o in planned[:2]] == ["upsert", "upsert"]
    assert "does not say which" in planned[0].detail
    state.record("EDCB-0001", "an older digest", 999999)  # names a report the register does not have
    again = push_deqar_csv(_items(workdir, batch_text(2, summary="Again.")), deqar_client(server), state)
    assert (again[0].action, again[0].target_id) == ("upsert", outcomes[0].target_id)
    assert again[0].detail == f"csv row 1: the register answered report {outcomes[0].target_id}, not 999999"
    assert again[1].action == "update"
    assert _stored(app) == Counter({"EDCB-0001": 1, "EDCB-0002": 1})


def _cli() -> object:
    import click

    @click.group()
    def root() -> None:
        pass

    register(root)
    return root


def test_cli_dry_run_then_push_then_rerun(fake: tuple[FakeServer, DeqarFake], workdir: Path) -> None:
    server, app = fake
    (workdir / "batch.yaml").write_text(batch_text(2), "utf-8")
    args = ["push", *_deqar_args(workdir, server)]
    env = {"EDCBRIDGE_DEQAR_USERNAME": "acquin", "EDCBRIDGE_DEQAR_PASSWORD": PASSWORD}
    out = workdir / "out"
    runner = CliRunner()
    dry = runner.invoke(_cli(), [*args, "--dry-run"], env={})  # type: ignore[arg-type]
    assert dry.exit_code == 0, dry.output
    assert server.log == []
    assert dry.stdout.splitlines() == [str(out / "deqar-dry-run.json"), str(out / "deqar-dry-run.csv")]
    planned = json.loads((out / "deqar-dry-run.json").read_text())
    assert (planned["dry_run"], planned["summary"]) == (True, {"planned": 2})
    assert not (out / "deqar-results.json").exists() and not (out / "deqar-results.csv").exists()
    real = runner.invoke(_cli(), [*args, "--json"], env=env)  # type: ignore[arg-type]
    assert real.exit_code == 0, real.output
    document = json.loads(real.stdout)
    assert document["summary"] == {"ok": 2}
    header = (out / "deqar-results.csv").read_text().splitlines()[0]
    assert header == "key,action,status,target_id,detail,message"
    results = {name: (out / name).read_bytes() for name in ("deqar-results.json", "deqar-results.csv")}
    (workdir / "batch.yaml").write_text(batch_text(2, summary="Changed."), "utf-8")
    requests = len(server.log)
    later = runner.invoke(_cli(), [*args, "--dry-run"], env={})  # type: ignore[arg-type]
    assert later.exit_code == 0, later.output
    assert len(server.log) == requests
    assert [i["action"] for i in json.loads((out / "deqar-dry-run.json").read_text())["items"]] == [
        "update",
        "update",
    ]
    assert {name: (out / name).read_bytes() for name in results} == results  # the real run's, untouched
    (workdir / "batch.yaml").write_text(batch_text(2), "utf-8")
    rerun = runner.invoke(_cli(), [*args, "--json"], env=env)  # type: ignore[arg-type]
    assert json.loads(rerun.stdout)["summary"] == {"skipped": 2}
    assert len(app.reports) == 2
    assert PASSWORD not in real.output + rerun.output


def test_cli_credentials_file_bad_password_and_missing(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, _ = fake
    (workdir / "batch.yaml").write_text(batch_text(1), "utf-8")
    creds = workdir / "deqar.env"
    creds.write_text("username=acquin\npassword=wrong-secret-pw\n", "utf-8")
    args = ["push", *_deqar_args(workdir, server)]
    runner = CliRunner()
    bad = runner.invoke(_cli(), [*args, "--credentials", str(creds)])  # type: ignore[arg-type]
    assert bad.exit_code == 2
    assert "Unable to log in with provided credentials." in bad.output
    assert "wrong-secret-pw" not in bad.output
    none = runner.invoke(_cli(), args, env={"EDCBRIDGE_DEQAR_USERNAME": "", "EDCBRIDGE_DEQAR_PASSWORD": ""})  # type: ignore[arg-type]
    assert none.exit_code == 2
    assert "EDCBRIDGE_DEQAR_PASSWORD" in none.output
    opts = {p.name for p in deqar_command.params}
    assert not {"password", "token"} & opts  # secrets never on the command line


def test_verbose_push_logs_requests_without_secrets(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, _ = fake
    handler = Captured()
    logger = logging.getLogger("edcbridge.deliver")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        client = deqar_client(server)
        push_deqar(_items(workdir, batch_text(2)), client, State(None, "deqar"), agency="ACQUIN")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(handler.lines)
    assert "check/local-identifier" in text and "submit/report" in text
    assert client.token and client.token not in text and PASSWORD not in text


def test_a_run_against_another_register_sends_everything(reference: Path, workdir: Path) -> None:
    """The sandbox's state says nothing of production: the same folder, another --base-url,
    and every report goes to production (sandbox first, then production, as documented)."""
    (workdir / "batch.yaml").write_text(batch_text(2), "utf-8")
    env = {"EDCBRIDGE_DEQAR_USERNAME": "acquin", "EDCBRIDGE_DEQAR_PASSWORD": PASSWORD}
    runner = CliRunner()
    sandbox, sandbox_app = start_deqar(reference)
    production, production_app = start_deqar(reference)
    try:
        first = runner.invoke(_cli(), ["push", *_deqar_args(workdir, sandbox), "--json"], env=env)  # type: ignore[arg-type]
        assert first.exit_code == 0, first.output
        assert _stored(sandbox_app) == {"EDCB-0001": 1, "EDCB-0002": 1}
        planned = runner.invoke(_cli(), ["push", *_deqar_args(workdir, production), "--dry-run"], env={})  # type: ignore[arg-type]
        assert planned.exit_code == 0, planned.output
        items = json.loads((workdir / "out" / "deqar-dry-run.json").read_text())["items"]
        assert [i["action"] for i in items] == ["create", "create"]
        assert f"delivered to {sandbox.base_url} (agency ACQUIN) only" in items[0]["detail"]
        second = runner.invoke(_cli(), ["push", *_deqar_args(workdir, production), "--json"], env=env)  # type: ignore[arg-type]
        assert second.exit_code == 0, second.output
        assert _stored(production_app) == {"EDCB-0001": 1, "EDCB-0002": 1}
        again = runner.invoke(_cli(), ["push", *_deqar_args(workdir, sandbox), "--json"], env=env)  # type: ignore[arg-type]
        assert json.loads(again.stdout)["summary"] == {"skipped": 2}  # the sandbox's record is kept
    finally:
        sandbox.stop()
        production.stop()


def test_a_state_file_of_the_earlier_format_is_checked_against_the_register(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """Version 1 files did not say which register they were for: their reports are checked
    (and updated where found), never skipped or created twice."""
    server, app = fake
    items = _items(workdir, batch_text(2))
    push_deqar(items, deqar_client(server), State(None, "deqar"), agency="ACQUIN")
    old = {"version": 1, "target": "deqar",
           "items": {i.key: {"digest": i.digest, "target_id": 1} for i in items}}
    (workdir / "state.json").write_text(json.dumps(old), "utf-8")
    state = State.load(workdir / "state.json", "deqar", f"{server.base_url} (agency ACQUIN)")
    outcomes = push_deqar(items, deqar_client(server), state, agency="ACQUIN")
    assert [(o.action, o.status) for o in outcomes] == [("update", "ok"), ("update", "ok")]
    assert _stored(app) == {"EDCB-0001": 1, "EDCB-0002": 1}
    saved = json.loads((workdir / "state.json").read_text())
    assert saved["version"] == 2 and set(saved["endpoints"]) == {
        f"{server.base_url} (agency ACQUIN)", "(not recorded: written by an earlier version)"}


def test_csv_rows_the_register_did_not_answer_fail(fake: tuple[FakeServer, DeqarFake], workdir: Path) -> None:
    """Contract 1.10: one result per row. A shorter answer leaves the other reports unknown:
    failed (exit 1), not "planned" in a real run's results, and not recorded as delivered."""
    from tests.fake_http import Reply

    server, app = fake

    def answer_one_row(request: object) -> Reply:
        reply = app(request)  # type: ignore[arg-type]
        if getattr(request, "path", "").endswith("/submit/csv") and reply.status == 200:
            return Reply.json(200, json.loads(reply.body)[:1])
        return reply

    server.app = answer_one_row
    state = State.load(workdir / "state.json", "deqar")
    outcomes = push_deqar_csv(_items(workdir, batch_text(3)), deqar_client(server), state)
    assert [(o.key, o.status) for o in outcomes] == [
        ("EDCB-0001", "ok"), ("EDCB-0002", "failed"), ("EDCB-0003", "failed")]
    assert "the register answered 1 rows for the 3 sent" in outcomes[1].message
    assert set(State.load(workdir / "state.json", "deqar").entries) == {"EDCB-0001"}


def test_ctrl_c_reports_an_interrupted_push_that_resumes(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """A real process gets SIGINT while a POST is in flight: exit 130 (as documented), results
    marked interrupted, and the same command finishes with each report created once."""
    from tests.fake_http import Fault

    server, app = fake
    (workdir / "batch.yaml").write_text(batch_text(4), "utf-8")
    server.faults.append(Fault(kind="delay", delay=4.0, method="POST",
                               path_prefix="/submissionapi/v2/submit/report"))
    command = [sys.executable, "-c", "from edcbridge.deliver.cli import push_group; push_group()",
               *_deqar_args(workdir, server)]
    env = {**os.environ, "EDCBRIDGE_DEQAR_USERNAME": "acquin", "EDCBRIDGE_DEQAR_PASSWORD": PASSWORD}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not any(e.method == "GET" and "local-identifier" in e.path for e in server.log) \
            and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    time.sleep(0.5)  # the POST of the first report is being answered, slowly
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "run the same command to finish" in stderr
    assert ("failed   create  EDCB-0001: interrupted (Ctrl-C) while it was being sent: the same command "
            "checks the target first and finishes it") in stderr.splitlines(), stderr  # which, and why
    results = json.loads((workdir / "out" / "deqar-results.json").read_text("utf-8"))
    assert results["interrupted"] is True
    assert [i["status"] for i in results["items"]] == ["failed", "planned", "planned", "planned"]
    assert "interrupted (Ctrl-C) while it was being sent" in results["items"][0]["message"]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert finished.returncode == 0, finished.stderr
    assert _stored(app) == Counter({f"EDCB-{n:04d}": 1 for n in range(1, 5)})
    assert "interrupted" not in json.loads((workdir / "out" / "deqar-results.json").read_text("utf-8"))


def test_a_throttled_create_waits_and_is_sent_again_in_the_same_run(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """Contract 1.8: honour Retry-After on 429. A create with a local identifier cannot be
    stored twice (the register refuses the duplicate), so it goes again after the pause."""
    from tests.fake_http import Fault

    server, app = fake
    server.faults.append(Fault("status", 429, {"Retry-After": "20"}, method="POST",
                               path_prefix="/submissionapi/v2/submit/report"))
    sleeps: list[float] = []
    items = _items(workdir, batch_text(2))
    state = State.load(workdir / "state.json", "deqar")
    first, second = push_deqar(items, deqar_client(server, sleeps=sleeps), state, agency="ACQUIN")
    assert (first.action, first.status) == ("create", "ok"), first.message
    assert (second.action, second.status) == ("create", "ok"), second.message
    assert 20.0 in sleeps
    again = State.load(workdir / "state.json", "deqar")
    rerun = push_deqar(items, deqar_client(server), again, agency="ACQUIN")
    assert [o.status for o in rerun] == ["skipped", "skipped"]
    assert _stored(app) == Counter({"EDCB-0001": 1, "EDCB-0002": 1})


def test_a_create_throttled_past_the_run_is_not_sent_and_the_same_command_sends_it(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """A Retry-After longer than a run waits: the report is not sent, its message says when to
    run the same command, and that run creates it once."""
    from tests.fake_http import Fault

    server, app = fake
    server.faults.append(Fault("status", 429, {"Retry-After": "600"}, method="POST",
                               path_prefix="/submissionapi/v2/submit/report"))
    items = _items(workdir, batch_text(1))
    state = State.load(workdir / "state.json", "deqar")
    (first,) = push_deqar(items, deqar_client(server), state, agency="ACQUIN")
    assert first.status == "failed" and "run the same command again after " in first.message
    assert "outside the recorded contract" not in first.message
    again = State.load(workdir / "state.json", "deqar")
    (rerun,) = push_deqar(items, deqar_client(server), again, agency="ACQUIN")
    assert (rerun.action, rerun.status) == ("create", "ok"), rerun.message
    assert _stored(app) == Counter({"EDCB-0001": 1})


def test_a_request_too_large_for_the_register_says_so(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """Contract 1.8: the production proxy answers 413 to a body over its limit."""
    from tests.fake_http import Fault

    server, _ = fake
    server.faults.append(Fault("status", 413, method="POST", path_prefix="/submissionapi/v2/submit/report"))
    (outcome,) = push_deqar(_items(workdir, batch_text(1)), deqar_client(server), State(None, "deqar"),
                            agency="ACQUIN")
    assert outcome.status == "failed" and "too large for the register" in outcome.message


def test_a_report_whose_local_identifier_was_removed_is_not_created_again(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """An update by report id without the local identifier clears it; a re-run must not duplicate."""
    server, app = fake
    state = State.load(workdir / "state.json", "deqar")
    (first,) = push_deqar(_items(workdir, batch_text(1)), deqar_client(server), state, agency="ACQUIN")
    other = deqar_client(server)  # e.g. a colleague's update by report id
    payload = dict(_items(workdir, batch_text(1))[0].content, report_id=first.target_id)
    del payload["local_identifier"]
    assert other.update(payload).ok
    changed = _items(workdir, batch_text(1, summary="Re-accredited."))
    (outcome,) = push_deqar(changed, deqar_client(server), State.load(workdir / "state.json", "deqar"),
                            agency="ACQUIN")
    assert (outcome.action, outcome.status) == ("update", "failed")
    assert f"DEQAR report {first.target_id}" in outcome.message
    assert "remove 'EDCB-0001' from the state file" in outcome.message
    assert len(app.reports) == 1 and _creates(server) == Counter({"EDCB-0001": 1})


def test_urls_longer_than_the_register_stores_are_refused_before_sending(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, app = fake
    long_url = "https://agency.example/reports/" + "r" * 240
    text = batch_text(1) + f'    report_links: [{{link: "{long_url}"}}]\n'
    items = _items(workdir, text)
    (outcome,) = push_deqar(items, deqar_client(server), State(None, "deqar"), agency="ACQUIN")
    assert (outcome.action, outcome.status) == ("refuse", "failed")
    limit = "Ensure this field has no more than 255 characters."
    assert f"report_links[0].link: {limit} (271 given" in outcome.message
    assert "give a shorter URL" in outcome.message
    assert not app.reports and not any(e.path.endswith("/submit/report") for e in server.log)
    sent = dict(_items(workdir, text)[0].content)  # the register itself refuses it
    result = deqar_client(server).create(sent)
    assert result.outcome == "rejected"
    assert [str(e) for e in result.errors] == [
        "report_links[0].link: Ensure this field has no more than 255 characters."
    ]


def test_the_registers_refusals_say_the_value_and_the_fix(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, _ = fake
    text = batch_text(1).replace("institutions: [hfpv]", "institutions: [{deqar_id: DEQARINST9999}]")
    text = text.replace('system: {id: "1"', 'system: {id: "99"')
    items = _items(workdir, text)
    (outcome,) = push_deqar(items, deqar_client(server), State(None, "deqar"), agency="ACQUIN")
    assert (outcome.action, outcome.status, outcome.detail) == ("create", "failed", "rejected")
    assert (
        "institutions[0]: Please provide valid DEQAR ID. (deqar_id 'DEQARINST9999'); DEQAR institution ids "
        "look like DEQARINST0001"
    ) in outcome.message
    assert (
        "activities[0]: Please provide valid ESG Activity. ({'id': '99'}); use an ESG activity id or group "
        "of the agency"
    ) in outcome.message


def test_an_eter_id_unknown_to_the_register_is_named_with_the_fix(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, _ = fake
    text = batch_text(1).replace("institutions: [hfpv]", "institutions: [{eter_id: DE0999}]")
    items = _items(workdir, text)
    (outcome,) = push_deqar(items, deqar_client(server), State(None, "deqar"), agency="ACQUIN")
    assert "eter_id 'DE0999' is not known to DEQAR" in outcome.message
    assert "give the institution's deqar_id" in outcome.message


def test_an_answer_outside_the_contract_says_what_to_do(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    from tests.fake_http import Fault

    server, app = fake
    server.faults.append(Fault("status", 418, method="POST", path_prefix="/submissionapi/v2/submit/report"))
    items = _items(workdir, batch_text(1))
    (first,) = push_deqar(items, deqar_client(server), State.load(workdir / "state.json", "deqar"),
                          agency="ACQUIN")
    assert first.status == "failed" and "HTTP 418" in first.message
    assert "run the same command again later" in first.message
    (rerun,) = push_deqar(items, deqar_client(server), State.load(workdir / "state.json", "deqar"),
                          agency="ACQUIN")
    assert rerun.status == "ok" and _stored(app) == Counter({"EDCB-0001": 1})


def test_the_national_qualification_level_of_the_catalogue_reaches_the_register(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, _ = fake
    with_nqf = CATALOGUE.replace("eqf: 6\n    isced_f", "eqf: 6\n    nqf: RQF Level 6\n    isced_f", 1)
    (workdir / "catalogue.yaml").write_text(with_nqf, "utf-8")
    items = _items(workdir, batch_text(1))
    assert items[0].content["programmes"][0]["nqf_level"] == "RQF Level 6"
    client = deqar_client(server)
    (outcome,) = push_deqar(items, client, State(None, "deqar"), agency="ACQUIN")
    record = client.report(outcome.target_id)
    assert record is not None and record["programmes"][0]["nqf_level"] == "RQF Level 6"


def test_the_csv_route_does_not_create_again_a_report_whose_local_identifier_was_removed(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """As on the API route: the CSV upserts by local identifier, so a report the register lost
    it for would be created a second time."""
    server, app = fake
    state = State.load(workdir / "state.json", "deqar")
    items = _items(workdir, batch_text(2))
    first, second = push_deqar_csv(items, deqar_client(server), state, agency="ACQUIN")
    payload = dict(_items(workdir, batch_text(1))[0].content, report_id=first.target_id)
    del payload["local_identifier"]  # a colleague's update by report id clears it
    assert deqar_client(server).update(payload).ok
    changed = _items(workdir, batch_text(2, summary="Re-accredited."))
    again = push_deqar_csv(changed, deqar_client(server), State.load(workdir / "state.json", "deqar"),
                           agency="ACQUIN")
    assert [(o.action, o.status) for o in again] == [("update", "failed"), ("update", "ok")]
    assert f"DEQAR report {first.target_id}" in again[0].message
    assert "remove 'EDCB-0001' from the state file" in again[0].message
    assert len(app.reports) == 2 and again[1].target_id == second.target_id


@pytest.mark.parametrize("kind", ["drop", "502", "504"])
def test_a_register_that_stops_answering_is_not_asked_for_the_rest_and_the_next_run_sends_it(
    fake: tuple[FakeServer, DeqarFake], workdir: Path, kind: str
) -> None:
    """DEQAR down part way through a run (the sandbox's nightly refresh, say), unreachable or
    behind a gateway saying so: each report would wait for every retry of its look-ups; after
    three reports in a row without an answer the rest are not attempted: left planned, as a
    Ctrl-C leaves them, each saying why and what to do, and the same command later sends them."""
    from tests.fake_http import Fault

    server, app = fake
    items = _items(workdir, batch_text(8))
    client = deqar_client(server)
    (first,) = push_deqar(items[:1], client, State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    assert first.status == "ok", first.message
    fault = Fault("drop", method="GET") if kind == "drop" else Fault("status", int(kind), method="GET")
    server.faults.extend(dataclasses.replace(fault) for _ in range(100))
    down = push_deqar(items, client, State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    assert [o.status for o in down] == ["skipped"] + ["failed"] * 3 + ["planned"] * 4  # not attempted
    said = "no answer after 5 attempt(s)" if kind == "drop" else f"HTTP {kind}"
    assert all(said in o.message for o in down[1:4]), down[1].message
    assert all(o.message.startswith("not sent: DEQAR did not answer the last 3 reports")
               and "run the same command again" in o.message for o in down[4:]), down[4].message
    assert len([e for e in server.log if e.fault]) == 3 * 5  # none for the other reports
    server.faults.clear()
    again = push_deqar(items, client, State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    assert [o.status for o in again] == ["skipped"] + ["ok"] * 7
    assert _stored(app) == Counter({f"EDCB-{n:04d}": 1 for n in range(1, 9)})


def test_on_the_csv_route_a_register_that_stops_answering_is_not_asked_for_the_rest(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """The look-ups before a CSV upload stop as the API route does: after three reports in a row
    without an answer, the rest are not attempted (left planned), and the same command later
    sends them."""
    from tests.fake_http import Fault

    server, app = fake
    client = deqar_client(server)
    delivered = push_deqar_csv(_items(workdir, batch_text(6)), client,
                               State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    assert [o.status for o in delivered] == ["ok"] * 6
    changed = _items(workdir, batch_text(6, summary="Changed."))
    server.faults.extend(Fault("drop", method="GET") for _ in range(100))
    down = push_deqar_csv(changed, client, State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    assert [o.status for o in down] == ["failed"] * 3 + ["planned"] * 3  # not attempted
    assert all(o.message.startswith("not sent: DEQAR did not answer the last 3 look-ups")
               for o in down[3:]), down[3].message
    assert len([e for e in server.log if e.fault == "drop"]) == 3 * 5  # none for the other reports
    server.faults.clear()
    again = push_deqar_csv(changed, client, State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    assert [(o.action, o.status) for o in again] == [("update", "ok")] * 6
    assert _stored(app) == Counter({f"EDCB-{n:04d}": 1 for n in range(1, 7)})


@pytest.mark.parametrize("kind", ["drop", "502"])
def test_on_the_csv_route_deletions_stop_when_the_register_stops_answering(
    fake: tuple[FakeServer, DeqarFake], workdir: Path, kind: str
) -> None:
    """The deletion requests after a CSV upload stop as the reports do: after three in a row
    without an answer, the rest are not attempted (left planned), and the same command later
    requests them."""
    from tests.fake_http import Fault

    server, app = fake
    client = deqar_client(server)
    delivered = push_deqar_csv(_items(workdir, batch_text(6)), client,
                               State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    assert [o.status for o in delivered] == ["ok"] * 6
    withdrawn = batch_text(1) + "delete_reports: [EDCB-0002, EDCB-0003, EDCB-0004, EDCB-0005, EDCB-0006]\n"
    fault = Fault("drop", method="GET") if kind == "drop" else Fault("status", int(kind), method="GET")
    server.faults.extend(dataclasses.replace(fault) for _ in range(100))
    down = push_deqar_csv(_items(workdir, withdrawn), client, State.load(workdir / "state.json", "deqar"),
                          agency="ACQUIN")
    assert [(o.action, o.status) for o in down] == [("skip", "skipped")] + [("delete", "failed")] * 3 + [
        ("delete", "planned")] * 2  # not attempted
    assert all(o.message.startswith("not sent: DEQAR did not answer the last 3 deletion requests")
               and "run the same command again" in o.message for o in down[4:]), down[4].message
    assert len([e for e in server.log if e.fault]) == 3 * 5  # none for the other deletions
    server.faults.clear()
    again = push_deqar_csv(_items(workdir, withdrawn), client, State.load(workdir / "state.json", "deqar"),
                           agency="ACQUIN")
    assert [(o.action, o.status) for o in again] == [("skip", "skipped")] + [("delete", "ok")] * 5
    assert len([e for e in server.log if e.method == "DELETE"]) == 5
    flagged = [r["local_identifier"] for r in app.reports.values()
               if r.get("flag_messages") == ["Deletion was requested."]]
    assert sorted(flagged) == [f"EDCB-{n:04d}" for n in range(2, 7)]


def _gateway_down_for(server: FakeServer, app: DeqarFake, numbers: set[int]) -> None:
    """The register's gateway answers 502 to every look-up of the reports EDCB-<number>."""
    silent = {f"EDCB-{number:04d}" for number in numbers}

    def app_or_502(request: Request) -> Reply:
        if request.method == "GET" and request.query.get("local_identifier") in silent:
            return Reply.html(502, "<h1>502 Bad Gateway</h1>")
        return app(request)

    server.app = app_or_502


def _heard(outcomes: list[Outcome]) -> list[str]:
    """Each outcome as ok or skipped, 502 (asked, no answer) or stopped (not asked)."""
    return ["stopped" if o.message.startswith("not sent: DEQAR did not answer the last 3 ")
            else "502" if "HTTP 502" in o.message else o.status for o in outcomes]


def test_a_register_that_answers_between_silences_is_asked_until_three_in_a_row_go_unanswered(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """Only reports in a row count: an answer starts the count again."""
    server, app = fake
    _gateway_down_for(server, app, {1, 2, 4, 5, 6})
    down = push_deqar(_items(workdir, batch_text(8)), deqar_client(server), State(None, "deqar"),
                      agency="ACQUIN")
    assert _heard(down) == ["502", "502", "ok", "502", "502", "502", "stopped", "stopped"]
    assert len([e for e in server.log if e.status == 502]) == 5 * 5  # none for the reports stopped


def test_on_the_csv_route_look_ups_are_asked_until_three_in_a_row_go_unanswered(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, app = fake
    client = deqar_client(server)
    push_deqar_csv(_items(workdir, batch_text(8)), client, State.load(workdir / "state.json", "deqar"),
                   agency="ACQUIN")
    _gateway_down_for(server, app, {1, 2, 4, 5, 6})
    since = len(server.log)
    down = push_deqar_csv(_items(workdir, batch_text(8, summary="Changed.")), client,
                          State.load(workdir / "state.json", "deqar"), agency="ACQUIN")
    # EDCB-0003 is looked up and answered, but the upload is not tried once the look-ups stop
    assert _heard(down) == ["502", "502", "stopped", "502", "502", "502", "stopped", "stopped"]
    assert len([e for e in server.log if e.status == 502]) == 5 * 5
    assert [e.status for e in server.log[since:] if "EDCB-0003" in e.path] == [200]


def test_on_the_csv_route_deletions_are_requested_until_three_in_a_row_go_unanswered(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    server, app = fake
    client = deqar_client(server)
    push_deqar_csv(_items(workdir, batch_text(9)), client, State.load(workdir / "state.json", "deqar"),
                   agency="ACQUIN")
    withdrawn = batch_text(1) + f"delete_reports: [{', '.join(f'EDCB-{n:04d}' for n in range(2, 10))}]\n"
    _gateway_down_for(server, app, {2, 3, 5, 6, 7})
    down = push_deqar_csv(_items(workdir, withdrawn), client, State.load(workdir / "state.json", "deqar"),
                          agency="ACQUIN")
    assert _heard(down) == ["skipped", "502", "502", "ok", "502", "502", "502", "stopped", "stopped"]
    assert len([e for e in server.log if e.status == 502]) == 5 * 5


@pytest.mark.parametrize("via", ["api", "csv"])
def test_cli_says_once_what_a_silent_register_left_not_sent(
    fake: tuple[FakeServer, DeqarFake], workdir: Path, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    """As `push wallet` and `export --deliver-wallet`: the reports asked and left unanswered are
    named, those not attempted are counted apart and their reason said once, not a failure line
    each, in the terminal and the results files alike; the same command sends them."""
    import csv
    import functools

    from edcbridge.deliver.http import HttpClient
    from tests.deliver_support import no_wait_policy, push_deqar_batch

    server, app = fake
    monkeypatch.setattr("edcbridge.deliver.cli.HttpClient",
                        functools.partial(HttpClient, retry=no_wait_policy(), min_interval=0))
    assert push_deqar_batch(workdir, server, batch_text(8), "--via", via).exit_code == 0
    _gateway_down_for(server, app, set(range(1, 9)))
    changed = batch_text(8, summary="Changed.")
    result = push_deqar_batch(workdir, server, changed, "--via", via)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    failed = [line for line in lines if line.startswith("failed")]
    assert len(failed) == 3 and all("HTTP 502" in line for line in failed)  # before: 8
    assert "3 failed, 5 not sent" in lines
    (said,) = [line for line in lines if "DEQAR did not answer" in line]
    # the CSV route looks the updates up before its upload: said as look-ups, as a dry run says
    # them (before: "the last 3 reports"); the API route's requests are each one report's
    unanswered = {"api": "reports", "csv": "look-ups"}[via]
    assert said.startswith(f"5 not sent: DEQAR did not answer the last 3 {unanswered} (unreachable")
    assert "run the same command again" in said
    document = json.loads((workdir / "out" / "deqar-results.json").read_text("utf-8"))
    assert document["summary"] == {"failed": 3, "planned": 5}  # as a Ctrl-C leaves them
    with (workdir / "out" / "deqar-results.csv").open(encoding="utf-8") as rows:
        assert [row["status"] for row in csv.DictReader(rows)] == ["failed"] * 3 + ["planned"] * 5
    server.app = app
    again = push_deqar_batch(workdir, server, changed, "--via", via)
    assert again.exit_code == 0, again.output
    assert json.loads((workdir / "out" / "deqar-results.json").read_text("utf-8"))["summary"] == {"ok": 8}
    assert {r["summary"] for r in app.reports.values()} == {"Changed."} and len(app.reports) == 8


def test_cli_says_once_what_a_register_refusing_access_part_way_left_not_sent(
    fake: tuple[FakeServer, DeqarFake], workdir: Path
) -> None:
    """The account's password changed and its token revoked part way: the report refused is
    named with the register's answer; the rest are not attempted, counted apart and said once
    (not the refusal repeated as a failure each), and the same command sends them."""
    from tests.deliver_support import push_deqar_batch

    server, app = fake
    created: list[Request] = []

    def revoked_after_two(request: Request) -> Reply:
        reply = app(request)
        if request.method == "POST" and request.path.endswith("/submit/report"):
            created.append(request)
            if len(created) == 2:
                app.passwords["acquin"] = "changed-by-a-colleague"
                app.tokens.clear()
        return reply

    server.app = revoked_after_two
    result = push_deqar_batch(workdir, server, batch_text(6))
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    (failed,) = [line for line in lines if line.startswith("failed")]  # before: 4
    assert "HTTP 403" in failed and "check the agency account's user name" in failed
    assert "1 failed, 2 ok, 3 not sent" in lines
    (said,) = [line for line in lines if "refused access" in line]
    assert said.startswith("3 not sent: DEQAR refused access") and "run the same command again" in said
    document = json.loads((workdir / "out" / "deqar-results.json").read_text("utf-8"))
    assert document["summary"] == {"failed": 1, "ok": 2, "planned": 3}
    assert all("HTTP 403" not in item["message"] for item in document["items"][3:])
    app.passwords["acquin"] = PASSWORD
    again = push_deqar_batch(workdir, server, batch_text(6))
    assert again.exit_code == 0, again.output
    assert json.loads((workdir / "out" / "deqar-results.json").read_text("utf-8"))["summary"] == {
        "ok": 4, "skipped": 2}
    assert _stored(app) == Counter({f"EDCB-{n:04d}": 1 for n in range(1, 7)})
