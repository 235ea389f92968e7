"""An update of a DEQAR report replaces it whole: what the register holds and the batch leaves
out (a valid_to set in DEQAR's interface, a file added there, a contributing agency) is named,
or, with ``--refuse-drops``, the update is not sent."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deliver_support import batch_text, push_deqar_batch, start_deqar
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer

EXTRA_FILE = {"id": 900, "file_display_name": "Follow-up", "file_original_location":
              "https://agency.example/follow-up.pdf", "file": None, "report_language": ["English"]}


@pytest.fixture
def fake() -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar()
    yield server, app
    server.stop()


def _items(tmp_path: Path) -> list[dict[str, Any]]:
    results = json.loads((tmp_path / "out" / "deqar-results.json").read_text("utf-8"))
    items: list[dict[str, Any]] = results["items"]
    return items


def _edited_in_deqar(app: DeqarFake) -> dict[str, Any]:
    """The one report, given a validity end and a second file in DEQAR's own interface."""
    (report,) = app.reports.values()
    report["valid_to"] = datetime.date(2030, 3, 1)
    report["files"].append(dict(EXTRA_FILE))
    return report


def _requests(server: FakeServer) -> list[str]:
    return [f"{e.method} {e.path.split('?')[0]}" for e in server.log if not e.path.startswith("/accounts/")]


def test_an_update_names_what_it_drops_and_is_sent(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(1)).exit_code == 0
    report = _edited_in_deqar(app)
    server.log.clear()
    result = push_deqar_batch(tmp_path, server, batch_text(1, summary="Reaccredited."))
    assert result.exit_code == 0, result.output
    (item,) = _items(tmp_path)
    assert (item["action"], item["status"]) == ("update", "ok")
    assert "valid_to (2030-03-01)" in item["message"]
    assert "report file 'Follow-up' (https://agency.example/follow-up.pdf)" in item["message"]
    assert "add it to this report in the batch file" in item["message"]
    assert "r.pdf" not in item["message"]  # the file the batch gives is kept
    assert "valid_to (2030-03-01)" in result.output
    stored = app.reports[report["id"]]  # a full replacement: a new record
    assert stored["valid_to"] is None and len(stored["files"]) == 1  # dropped, as warned
    # the register's copy is the one look-up the update makes anyway
    assert [r for r in _requests(server) if "/submissionapi/" in r] == [
        "GET /submissionapi/v2/check/local-identifier", "PUT /submissionapi/v2/submit/report"]


def test_refuse_drops_leaves_the_report_as_deqar_holds_it(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(2)).exit_code == 0
    report = app.reports[min(app.reports)]
    report["valid_to"] = datetime.date(2030, 3, 1)
    report["contributing_agencies"] = ["AQAS"]
    server.log.clear()
    result = push_deqar_batch(tmp_path, server, batch_text(2, summary="Reaccredited."), "--refuse-drops")
    assert result.exit_code == 1, result.output
    first, second = _items(tmp_path)
    assert (first["action"], first["status"], first["target_id"]) == ("update", "failed", str(report["id"]))
    assert "not sent (--refuse-drops)" in first["message"]
    assert "valid_to (2030-03-01), contributing agency AQAS" in first["message"]
    assert (second["action"], second["status"]) == ("update", "ok")  # nothing of it dropped
    kept = app.reports[report["id"]]
    assert kept["valid_to"] == datetime.date(2030, 3, 1) and kept["summary"] == "Programme accredited."
    assert [r for r in _requests(server) if r.startswith("PUT")] == ["PUT /submissionapi/v2/submit/report"]
