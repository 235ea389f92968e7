"""What `push deqar` says of the reports it did not send once it stopped asking the register:
the same words as `push wallet` and `export --deliver-wallet` for the same situation, what was
really left unanswered, a throttling said once with when to run again, and a dry run's look-ups
stopped in the words of a run that sends."""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from edcbridge.deliver.http import HttpClient
from edcbridge.deliver.push import WALLET_SILENT
from edcbridge.pipeline.delivery import WALLET_SILENT as EXPORT_SILENT
from tests.deliver_support import PASSWORD, batch_text, no_wait_policy, push_deqar_batch, start_deqar
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Fault, Reply, Request

CHECK = "/submissionapi/v2/check/local-identifier"
CSV_UPLOAD = "/submissionapi/v2/submit/csv"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar()
    monkeypatch.setattr("edcbridge.deliver.cli.HttpClient",
                        functools.partial(HttpClient, retry=no_wait_policy(), min_interval=0))
    yield server, app
    server.stop()


def _lines(result: Result) -> list[str]:
    return result.stderr.splitlines()


def _results(tmp_path: Path, name: str = "deqar-results") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((tmp_path / "out" / f"{name}.json").read_text("utf-8"))
    return document


def _csv_statuses(tmp_path: Path) -> list[str]:
    with (tmp_path / "out" / "deqar-results.csv").open(encoding="utf-8") as rows:
        return [row["status"] for row in csv.DictReader(rows)]


def _gateway_down(app: DeqarFake, down: Callable[[Request], bool]) -> Callable[[Request], Reply]:
    """The register behind a gateway answering 502 to the requests ``down`` names."""
    def serve(request: Request) -> Reply:
        return Reply.html(502, "<h1>502 Bad Gateway</h1>") if down(request) else app(request)

    return serve


def _look_up(request: Request) -> bool:
    return request.method == "GET" and bool(request.query.get("local_identifier"))


def _revoked_after_a_look_up(app: DeqarFake) -> Callable[[Request], Reply]:
    """The register, whose account's password changes and token is revoked once it answered a
    look-up (a colleague rotating them)."""
    def serve(request: Request) -> Reply:
        reply = app(request)
        if _look_up(request):
            app.passwords["acquin"] = "changed-by-a-colleague"
            app.tokens.clear()
        return reply

    return serve


def _tail(message: str) -> str:
    return message.rpartition("run the same command again")[2]


@pytest.mark.parametrize("via", ["api", "csv"])
def test_reports_not_sent_are_said_in_the_words_push_wallet_and_export_use(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str
) -> None:
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(6), "--via", via).exit_code == 0
    server.app = _gateway_down(app, _look_up)
    result = push_deqar_batch(tmp_path, server, batch_text(6, summary="Changed."), "--via", via)
    assert result.exit_code == 1, result.output
    (said,) = [line for line in _lines(result) if line.startswith("3 not sent: DEQAR did not answer")]
    pending = ": it delivers what is still pending"
    assert _tail(said) == _tail(WALLET_SILENT) == _tail(EXPORT_SILENT) == pending
    server.app = _revoked_after_a_look_up(app)
    refused = push_deqar_batch(tmp_path, server, batch_text(6, summary="Changed."), "--via", via)
    (said,) = [line for line in _lines(refused) if line.startswith("5 not sent: DEQAR refused access")]
    assert said.endswith("run the same command again: it delivers what is still pending")  # before: "it
    # sends only what is left"
    app.passwords["acquin"] = PASSWORD


def _batch(updated: range, new: range, withdrawn: range) -> str:
    """A batch whose reports are EDCB-<n> for ``updated`` and ``new`` n, changed, and which
    withdraws the ``withdrawn`` ones."""
    numbers = [*updated, *new]
    reports = [f"EDCB-{n:04d}" for n in numbers]
    text = batch_text(max(numbers), summary="Changed.")
    head, _, body = text.partition("reports:\n")
    blocks = ["  - local_identifier: " + block for block in body.split("  - local_identifier: ")[1:]]
    kept = [block for block in blocks if block.split("\n", 1)[0].split(": ")[1] in reports]
    deletions = ", ".join(f"EDCB-{n:04d}" for n in withdrawn)
    return head + "reports:\n" + "".join(kept) + f"delete_reports: [{deletions}]\n"


def test_an_unanswered_upload_is_said_as_an_upload_not_as_reports(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """Two look-ups then the upload of the new report left unanswered: 3 requests in a row,
    of which one upload; the deletion requests after them are not sent, and the same command
    sends all."""
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(6), "--via", "csv").exit_code == 0
    batch = _batch(range(1, 3), range(7, 8), range(3, 7))
    server.app = _gateway_down(app, lambda r: _look_up(r) or r.path == CSV_UPLOAD)
    result = push_deqar_batch(tmp_path, server, batch, "--via", "csv")
    assert result.exit_code == 1, result.output
    lines = _lines(result)
    assert len([line for line in lines if line.startswith("failed")]) == 3
    assert "3 failed, 4 not sent" in lines
    (said,) = [line for line in lines if line.startswith("4 not sent:")]
    # before: "the last 3 reports", the upload counted as one of them
    assert said.startswith("4 not sent: DEQAR did not answer the last 3 requests (2 look-ups, 1 upload) ")
    assert all(i["message"] == said[2:] for i in _results(tmp_path)["items"] if i["status"] == "planned")
    server.app = app
    again = push_deqar_batch(tmp_path, server, batch, "--via", "csv")
    assert again.exit_code == 0, again.output
    assert _results(tmp_path)["summary"] == {"ok": 7}


def _throttle_first_look_up(server: FakeServer) -> None:
    server.faults.append(Fault("status", 429, {"Retry-After": "600"}, method="GET", path_prefix=CHECK))


@pytest.mark.parametrize("via", ["api", "csv"])
def test_a_look_up_throttled_past_the_run_stops_it_and_says_when_to_run_again(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str
) -> None:
    """DEQAR asks to wait 600 s: the look-up throttled is named, nothing more is asked, and the
    rest are not sent, said once with when to run again; the same command sends them."""
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(4), "--via", via).exit_code == 0
    changed = batch_text(4, summary="Changed.")
    _throttle_first_look_up(server)
    since = len(server.log)
    result = push_deqar_batch(tmp_path, server, changed, "--via", via)
    assert result.exit_code == 1, result.output
    lines = _lines(result)
    (failed,) = [line for line in lines if line.startswith("failed")]  # before: 4, one a report
    assert failed.startswith("failed   update  EDCB-0001:") and "HTTP 429" in failed
    assert "1 failed, 3 not sent" in lines
    (said,) = [line for line in lines if line.startswith("3 not sent:")]
    assert said.startswith("3 not sent: DEQAR asked (HTTP 429, Retry-After) to wait 600 s, longer than "
                           "a run waits; run the same command again after ")
    assert said.endswith(": it delivers what is still pending")
    asked = [e.status for e in server.log[since:] if e.path.startswith(("/submissionapi", "/accounts"))]
    assert asked == [200, 429]  # the token, then the look-up throttled: nothing more
    assert _results(tmp_path)["summary"] == {"failed": 1, "planned": 3}
    assert _csv_statuses(tmp_path) == ["failed"] + ["planned"] * 3
    again = push_deqar_batch(tmp_path, server, changed, "--via", via)
    assert again.exit_code == 0, again.output
    assert {r["summary"] for r in app.reports.values()} == {"Changed."} and len(app.reports) == 4


def test_a_dry_run_says_once_what_it_did_not_look_up_as_a_run_that_sends_says_it(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(5)).exit_code == 0
    server.app = _gateway_down(app, _look_up)
    result = push_deqar_batch(tmp_path, server, batch_text(5, summary="Changed."), "--dry-run")
    assert result.exit_code == 0, result.output
    lines = _lines(result)
    assert len([line for line in lines if "HTTP 502" in line]) == 3
    # before: "DEQAR's copy could not be read, ...: DEQAR did not answer the last 3 look-ups" on
    # each line, without the fix
    assert [line for line in lines if line.startswith("planned")][3:] == [
        "planned  update  EDCB-0004", "planned  update  EDCB-0005"]
    (said,) = [line for line in lines if "did not answer" in line]
    assert said.startswith("2 not looked up, so what the update would drop is not known: DEQAR did not "
                           "answer the last 3 look-ups (unreachable")
    assert said.endswith("check that the register is up, the network and the base URL, then run the same "
                         "command again")
    planned = _results(tmp_path, "deqar-dry-run")["items"]
    assert [i["message"] for i in planned[3:]] == [said[2:]] * 2


def test_a_lost_create_whose_look_up_is_throttled_stops_the_run(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """The create's answer lost (HTTP 500), and the look-up that would find out throttled for
    600 s: that report is named, and the next ones are not sent but said once with when to run
    again, not failed one by one."""
    server, app = fake
    looked_up: list[Request] = []

    def serve(request: Request) -> Reply:
        if request.method == "POST" and request.path.endswith("/submit/report") and not app.reports:
            return Reply.html(500, "<h1>500</h1>")
        if _look_up(request):
            looked_up.append(request)
            if len(looked_up) == 2:
                return _throttled()
        return app(request)

    server.app = serve
    result = push_deqar_batch(tmp_path, server, batch_text(3))
    assert result.exit_code == 1, result.output
    lines = _lines(result)
    (failed,) = [line for line in lines if line.startswith("failed")]  # before: 2
    assert failed.startswith("failed   create  EDCB-0001:") and "HTTP 429" in failed
    assert "1 failed, 2 not sent" in lines
    assert [line for line in lines if line.startswith("2 not sent: DEQAR asked (HTTP 429, Retry-After)")]
    server.app = app
    again = push_deqar_batch(tmp_path, server, batch_text(3))
    assert again.exit_code == 0, again.output
    assert sorted(r["local_identifier"] for r in app.reports.values()) == ["EDCB-0001", "EDCB-0002",
                                                                           "EDCB-0003"]


def _throttled() -> Reply:
    reply = Reply.html(429, "<h1>429 Too Many Requests</h1>")
    reply.headers["Retry-After"] = "600"
    return reply
