"""`push deqar --via csv` stops as the API route does: a register that refuses access or stops
answering is not asked for the rest (the upload included), and a Ctrl-C leaves the rest planned;
what was not sent is said once, and the same command sends it."""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from edcbridge.deliver.config import batch_items, load_batch
from edcbridge.deliver.deqar_client import DeqarClient
from edcbridge.deliver.http import HttpClient
from edcbridge.deliver.push import REGISTER_REFUSED, push_deqar_csv, register_silent
from edcbridge.deliver.state import State
from edcbridge.load import load_catalogue
from tests.deliver_support import (
    CATALOGUE,
    PASSWORD,
    batch_text,
    deqar_client,
    no_wait_policy,
    push_deqar_batch,
    start_deqar,
)
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Reply, Request

LOOK_UPS_SILENT = register_silent(["look-up"] * 3)  # the look-ups before the upload, said as a dry run does


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar()
    monkeypatch.setattr("edcbridge.deliver.cli.HttpClient",
                        functools.partial(HttpClient, retry=no_wait_policy(), min_interval=0))
    yield server, app
    server.stop()


def _push(tmp_path: Path, server: FakeServer, batch: str) -> Result:
    return push_deqar_batch(tmp_path, server, batch, "--via", "csv")


def _results(tmp_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((tmp_path / "out" / "deqar-results.json").read_text("utf-8"))
    return document


def _csv_statuses(tmp_path: Path) -> list[str]:
    with (tmp_path / "out" / "deqar-results.csv").open(encoding="utf-8") as rows:
        return [row["status"] for row in csv.DictReader(rows)]


def _uploads(server: FakeServer, since: int = 0) -> int:
    return len([e for e in server.log[since:] if e.method == "POST" and e.path.endswith("/submit/csv")])


def _revoked_after(app: DeqarFake, looked_up: int) -> Callable[[Request], Reply]:
    """The register's app, whose account's password changes and token is revoked once it has
    answered ``looked_up`` look-ups by local identifier (a colleague rotating them)."""
    seen: list[Request] = []

    def serve(request: Request) -> Reply:
        reply = app(request)
        if request.method == "GET" and request.query.get("local_identifier"):
            seen.append(request)
            if len(seen) == looked_up:
                app.passwords["acquin"] = "changed-by-a-colleague"
                app.tokens.clear()
        return reply

    return serve


def _lookups_unanswered(app: DeqarFake) -> Callable[[Request], Reply]:
    """The register behind a gateway answering 502 to every look-up by local identifier."""
    def serve(request: Request) -> Reply:
        if request.method == "GET" and request.query.get("local_identifier"):
            return Reply.html(502, "<h1>502 Bad Gateway</h1>")
        return app(request)

    return serve


def test_a_refused_login_during_the_look_ups_stops_them_and_the_upload(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """The password changed and the token revoked after the first look-up: the look-up refused
    is named with the register's answer, the rest (the first report too) are not sent, said
    once, and the upload is not tried; the same command sends them."""
    server, app = fake
    assert _push(tmp_path, server, batch_text(6)).exit_code == 0
    changed = batch_text(6, summary="Changed.")
    server.app, since = _revoked_after(app, 1), len(server.log)
    result = _push(tmp_path, server, changed)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    (failed,) = [line for line in lines if line.startswith("failed")]  # before: 6
    assert failed.startswith("failed   update  EDCB-0002:") and "HTTP 403" in failed
    assert "check the agency account's user name" in failed
    assert "1 failed, 5 not sent" in lines
    assert f"5 {REGISTER_REFUSED}" in lines
    assert _uploads(server, since) == 0  # before: tried, and refused
    assert _results(tmp_path)["summary"] == {"failed": 1, "planned": 5}
    assert _csv_statuses(tmp_path) == ["planned", "failed"] + ["planned"] * 4
    app.passwords["acquin"], server.app = PASSWORD, app
    again = _push(tmp_path, server, changed)
    assert again.exit_code == 0, again.output
    assert _results(tmp_path)["summary"] == {"ok": 6}
    assert {r["summary"] for r in app.reports.values()} == {"Changed."} and len(app.reports) == 6


def _items(tmp_path: Path, text: str) -> list:  # type: ignore[type-arg]
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE, "utf-8")
    (tmp_path / "batch.yaml").write_text(text, "utf-8")
    return batch_items(load_batch(tmp_path / "batch.yaml"), load_catalogue(tmp_path / "catalogue.yaml"),
                       tmp_path)


def test_a_refused_upload_leaves_the_deletions_after_it_not_sent(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """Access refused at the upload: its rows fail with the register's answer; the deletion
    requests after it are not sent (not one refusal each), and the same command sends them."""
    server, app = fake
    client = deqar_client(server)
    push_deqar_csv(_items(tmp_path, batch_text(5)), client, State.load(tmp_path / "state.json", "deqar"),
                   agency="ACQUIN")
    withdrawn = batch_text(2, summary="Changed.") + "delete_reports: [EDCB-0003, EDCB-0004, EDCB-0005]\n"

    def revoked_at_the_upload(request: Request) -> Reply:
        if request.method == "POST" and request.path.endswith("/submit/csv"):
            app.passwords["acquin"] = "changed-by-a-colleague"
            app.tokens.clear()
        return app(request)

    server.app, since = revoked_at_the_upload, len(server.log)
    down = push_deqar_csv(_items(tmp_path, withdrawn), deqar_client(server),
                          State.load(tmp_path / "state.json", "deqar"), agency="ACQUIN")
    assert [(o.action, o.status) for o in down] == [("update", "failed")] * 2 + [("delete", "planned")] * 3
    assert all("HTTP 403" in o.message for o in down[:2])
    assert all(o.message == REGISTER_REFUSED for o in down[2:])  # before: each refused in turn
    asked = [e.path for e in server.log[since:]]
    upload = asked.index("/submissionapi/v2/submit/csv")
    assert set(asked[upload + 1:]) == {"/accounts/get_token/"}  # before: a look-up per deletion
    app.passwords["acquin"], server.app = PASSWORD, app
    again = push_deqar_csv(_items(tmp_path, withdrawn), deqar_client(server),
                           State.load(tmp_path / "state.json", "deqar"), agency="ACQUIN")
    assert [o.status for o in again] == ["ok"] * 5


def test_look_ups_left_unanswered_stop_the_upload_of_new_reports(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """Three look-ups in a row unanswered: the reports the run has not sent, new ones
    included, are not sent (the upload is not tried), said once; the same command sends them."""
    server, app = fake
    assert _push(tmp_path, server, batch_text(6)).exit_code == 0
    more = batch_text(8, summary="Changed.")  # six updates, looked up first, and two new reports
    server.app, since = _lookups_unanswered(app), len(server.log)
    result = _push(tmp_path, server, more)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    failed = [line for line in lines if line.startswith("failed")]
    assert len(failed) == 3 and all("HTTP 502" in line for line in failed)
    assert "3 failed, 5 not sent" in lines  # before: 3 failed, 2 ok, 3 not sent
    assert f"5 {LOOK_UPS_SILENT}" in lines  # before: "the last 3 reports"
    assert _uploads(server, since) == 0
    assert {r["local_identifier"] for r in app.reports.values()} == {f"EDCB-{n:04d}" for n in range(1, 7)}
    assert _results(tmp_path)["summary"] == {"failed": 3, "planned": 5}
    assert _csv_statuses(tmp_path) == ["failed"] * 3 + ["planned"] * 5
    server.app = app
    again = _push(tmp_path, server, more)
    assert again.exit_code == 0, again.output
    assert _results(tmp_path)["summary"] == {"ok": 8}
    assert {r["summary"] for r in app.reports.values()} == {"Changed."} and len(app.reports) == 8


def test_look_ups_left_unanswered_leave_the_deletions_not_sent(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    server, app = fake
    client = deqar_client(server)
    push_deqar_csv(_items(tmp_path, batch_text(6)), client, State.load(tmp_path / "state.json", "deqar"),
                   agency="ACQUIN")
    withdrawn = batch_text(4, summary="Changed.") + "delete_reports: [EDCB-0005, EDCB-0006]\n"
    server.app, since = _lookups_unanswered(app), len(server.log)
    down = push_deqar_csv(_items(tmp_path, withdrawn), client, State.load(tmp_path / "state.json", "deqar"),
                          agency="ACQUIN")
    assert [(o.action, o.status) for o in down] == [("update", "failed")] * 3 + [("update", "planned")] + [
        ("delete", "planned")] * 2
    assert all(o.message == LOOK_UPS_SILENT for o in down[3:])
    assert not [e for e in server.log[since:] if e.method in ("POST", "DELETE")]


def _interrupt_at(monkeypatch: pytest.MonkeyPatch, method: str, call: int) -> None:
    """Ctrl-C as the ``call``-th request of ``DeqarClient.method`` is about to be sent."""
    original = getattr(DeqarClient, method)
    calls: list[object] = []

    def interrupted(self: DeqarClient, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == call:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DeqarClient, method, interrupted)


NOT_SENT_INTERRUPTED = "not sent: the run was interrupted"


def test_ctrl_c_during_the_look_ups_says_once_what_was_not_sent(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was sent: every report is left planned, counted and said once with the fix, as
    the API route says them, not a failure line each; the same command sends them."""
    server, app = fake
    assert _push(tmp_path, server, batch_text(6)).exit_code == 0
    more = batch_text(8, summary="Changed.")
    with monkeypatch.context() as patched:
        _interrupt_at(patched, "check", 3)
        result = _push(tmp_path, server, more)
    assert result.exit_code == 130, result.output
    lines = result.stderr.splitlines()
    assert not [line for line in lines if line.startswith(("failed", "planned"))]  # before: a line each
    assert "8 not sent" in lines and f"8 {NOT_SENT_INTERRUPTED}" in lines
    assert lines[-1].startswith("interrupted: run the same command to finish")
    document = _results(tmp_path)
    assert document["interrupted"] is True and document["summary"] == {"planned": 8}
    again = _push(tmp_path, server, more)
    assert again.exit_code == 0, again.output
    assert {r["summary"] for r in app.reports.values()} == {"Changed."} and len(app.reports) == 8


def test_ctrl_c_during_the_deletions_names_the_one_in_flight_and_counts_the_rest(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, app = fake
    assert _push(tmp_path, server, batch_text(6)).exit_code == 0
    withdrawn = batch_text(2, summary="Changed.") + (
        "delete_reports: [EDCB-0003, EDCB-0004, EDCB-0005, EDCB-0006]\n")
    with monkeypatch.context() as patched:
        _interrupt_at(patched, "delete", 2)
        result = _push(tmp_path, server, withdrawn)
    assert result.exit_code == 130, result.output
    lines = result.stderr.splitlines()
    assert not [line for line in lines if line.startswith("planned")]  # before: one line each
    (failed,) = [line for line in lines if line.startswith("failed")]
    assert failed.startswith("failed   delete  EDCB-0004: interrupted (Ctrl-C)")
    assert "1 failed, 3 ok, 2 not sent" in lines and f"2 {NOT_SENT_INTERRUPTED}" in lines
    assert _csv_statuses(tmp_path) == ["ok"] * 3 + ["failed"] + ["planned"] * 2
    again = _push(tmp_path, server, withdrawn)
    assert again.exit_code == 0, again.output
    assert _results(tmp_path)["summary"] == {"ok": 3, "skipped": 3}
    assert len([r for r in app.reports.values() if r.get("flag_messages")]) == 4


def test_ctrl_c_on_the_api_route_says_once_what_was_not_sent_as_the_csv_route_does(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reports a Ctrl-C left are counted and said once with why, their results keeping why
    each was to be sent, as a stopped run leaves them (before: no line said why, and the
    results held it in place of what the plan said)."""
    server, app = fake
    with monkeypatch.context() as patched:
        _interrupt_at(patched, "check", 3)
        result = push_deqar_batch(tmp_path, server, batch_text(6))
    assert result.exit_code == 130, result.output
    lines = result.stderr.splitlines()
    assert not [line for line in lines if line.startswith("planned")]
    assert "1 failed, 2 ok, 3 not sent" in lines and f"3 {NOT_SENT_INTERRUPTED}" in lines
    items = _results(tmp_path)["items"]
    assert [(i["status"], i["message"]) for i in items[3:]] == [("planned", NOT_SENT_INTERRUPTED)] * 3
    assert {i["detail"] for i in items[3:]} == {"not delivered by this state file yet (the target is checked "
                                                "first)"}
    again = push_deqar_batch(tmp_path, server, batch_text(6))
    assert again.exit_code == 0, again.output
    assert len(app.reports) == 6
