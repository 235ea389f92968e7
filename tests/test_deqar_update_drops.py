"""An update of a DEQAR report replaces it whole (a CSV row, all but its files): what the
register holds and the batch leaves out (a valid_to set in DEQAR's interface, a file added
there, a contributing agency) is named, or, with ``--refuse-drops``, the update is not sent."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edcbridge.deliver.config import batch_items, load_batch
from edcbridge.deliver.deqar_agency import endpoint_name
from edcbridge.deliver.deqar_drops import dropped_fields
from edcbridge.deliver.push import push_deqar
from edcbridge.deliver.state import State
from edcbridge.load import load_catalogue
from tests.deliver_support import (
    CATALOGUE,
    batch_text,
    deqar_client,
    push_deqar_batch,
    request_example,
    start_deqar,
    transcript,
)
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Fault

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


@pytest.mark.parametrize(("via", "sent"), [("api", "PUT /submissionapi/v2/submit/report"),
                                           ("csv", "POST /submissionapi/v2/submit/csv")])
def test_an_update_names_what_it_drops_and_is_sent(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str, sent: str
) -> None:
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(1), "--via", via).exit_code == 0
    report = _edited_in_deqar(app)
    server.log.clear()
    result = push_deqar_batch(tmp_path, server, batch_text(1, summary="Reaccredited."), "--via", via)
    assert result.exit_code == 0, result.output
    (item,) = _items(tmp_path)
    assert (item["action"], item["status"]) == ("update", "ok")
    assert "valid_to (2030-03-01)" in item["message"]
    assert "add it to this report in the batch file" in item["message"]
    assert "r.pdf" not in item["message"]  # the file the batch gives is kept
    assert "valid_to (2030-03-01)" in result.output
    stored = app.reports[report["id"]]  # a new record
    assert stored["valid_to"] is None  # dropped, as warned
    # an update replaces the files; a CSV row's upsert keeps those it does not give
    dropped_file = "report file 'Follow-up' (https://agency.example/follow-up.pdf)"
    expected = (True, 1) if via == "api" else (False, 2)
    assert (dropped_file in item["message"], len(stored["files"])) == expected
    # the register's copy is the one look-up the update makes anyway
    assert [r for r in _requests(server) if "/submissionapi/" in r] == [
        "GET /submissionapi/v2/check/local-identifier", sent]


@pytest.mark.parametrize(("via", "sent"), [("api", "PUT /submissionapi/v2/submit/report"),
                                           ("csv", "POST /submissionapi/v2/submit/csv")])
def test_refuse_drops_leaves_the_report_as_deqar_holds_it(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str, sent: str
) -> None:
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(2), "--via", via).exit_code == 0
    report = app.reports[min(app.reports)]
    report["valid_to"] = datetime.date(2030, 3, 1)
    report["contributing_agencies"] = ["AQAS"]
    server.log.clear()
    result = push_deqar_batch(tmp_path, server, batch_text(2, summary="Reaccredited."), "--via", via,
                              "--refuse-drops")
    assert result.exit_code == 1, result.output
    first, second = _items(tmp_path)
    assert (first["action"], first["status"], first["target_id"]) == ("update", "failed", str(report["id"]))
    assert "not sent (--refuse-drops)" in first["message"]
    assert "valid_to (2030-03-01), contributing agency AQAS" in first["message"]
    assert (second["action"], second["status"]) == ("update", "ok")  # nothing of it dropped
    kept = app.reports[report["id"]]
    assert kept["valid_to"] == datetime.date(2030, 3, 1) and kept["summary"] == "Programme accredited."
    assert [r for r in _requests(server) if not r.startswith("GET")] == [sent]  # the other report


@pytest.mark.parametrize("via", ["api", "csv"])
def test_a_dry_run_reads_deqars_copy_of_each_update_and_names_the_drops(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str
) -> None:
    server, app = fake
    assert push_deqar_batch(tmp_path, server, batch_text(2), "--via", via).exit_code == 0
    app.reports[min(app.reports)]["valid_to"] = datetime.date(2030, 3, 1)
    server.log.clear()
    changed = batch_text(2, summary="Reaccredited.")
    dry = push_deqar_batch(tmp_path, server, changed, "--via", via, "--dry-run")
    assert dry.exit_code == 0, dry.output
    first, second = json.loads((tmp_path / "out" / "deqar-dry-run.json").read_text("utf-8"))["items"]
    assert (first["action"], first["status"]) == ("update", "planned")
    assert first["message"].startswith(
        "would drop what DEQAR holds and the batch leaves out: valid_to (2030-03-01);")
    assert (second["status"], second["message"]) == ("planned", "")
    assert "would drop what DEQAR holds" in dry.stderr
    assert _requests(server) == ["GET /submissionapi/v2/check/local-identifier"] * 2  # none for the rest
    refused = push_deqar_batch(tmp_path, server, changed, "--via", via, "--dry-run", "--refuse-drops")
    assert refused.exit_code == 1, refused.output
    first, second = json.loads((tmp_path / "out" / "deqar-dry-run.json").read_text("utf-8"))["items"]
    assert (first["status"], second["status"]) == ("failed", "planned")
    assert "not sent (--refuse-drops)" in first["message"]
    assert not [r for r in _requests(server) if not r.startswith("GET")]  # a dry run sends nothing


CHECK = "/submissionapi/v2/check/local-identifier"


def _dry_run(tmp_path: Path, server: FakeServer, count: int) -> list[tuple[str, str, str]]:
    """A dry run of ``count`` changed reports, with a client (retries without waiting):
    (status, action, message) per report."""
    (tmp_path / "out" / "catalogue.yaml").write_text(CATALOGUE, "utf-8")
    (tmp_path / "out" / "batch.yaml").write_text(batch_text(count, summary="Reaccredited."), "utf-8")
    items = batch_items(load_batch(tmp_path / "out" / "batch.yaml"),
                        load_catalogue(tmp_path / "out" / "catalogue.yaml"), tmp_path)
    endpoint = endpoint_name(server.base_url, "ACQUIN")
    state = State.load(tmp_path / "out" / "deqar-state.json", "deqar", endpoint, fold=False)
    outcomes = push_deqar(items, deqar_client(server), state, agency="ACQUIN", dry_run=True)
    return [(o.status, o.action, o.message) for o in outcomes]


def test_a_dry_run_look_up_that_fails_leaves_the_update_planned(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    server, _ = fake
    assert push_deqar_batch(tmp_path, server, batch_text(2)).exit_code == 0
    server.faults.extend(Fault("status", 500, method="GET", path_prefix=CHECK) for _ in range(5))
    server.log.clear()
    first, second = _dry_run(tmp_path, server, 2)
    assert first[:2] == ("planned", "update")
    assert first[2].startswith("DEQAR's copy could not be read, so what the update would drop is not known: "
                               f"GET {server.base_url}{CHECK}: HTTP 500"), first
    assert second == ("planned", "update", "")  # read, nothing dropped
    assert [e.path.split("?")[0] for e in server.log].count(CHECK) == 6  # the retries of one, then one


def test_a_dry_run_stops_reading_after_three_look_ups_unanswered(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    server, _ = fake
    assert push_deqar_batch(tmp_path, server, batch_text(5)).exit_code == 0
    server.faults.extend(Fault("status", 502, method="GET", path_prefix=CHECK) for _ in range(30))
    server.log.clear()
    outcomes = _dry_run(tmp_path, server, 5)
    assert [o[:2] for o in outcomes] == [("planned", "update")] * 5
    assert all("HTTP 502" in o[2] for o in outcomes[:3]), outcomes
    assert [o[2] for o in outcomes[3:]] == [
        "not looked up, so what the update would drop is not known: DEQAR did not answer the last 3 "
        "look-ups (unreachable, or its gateway said it is unavailable: 502, 503 or 504; each request "
        "retried until its attempts ran out): check that the register is up, the network and the base "
        "URL, then run the same command again"] * 2
    assert [e.path.split("?")[0] for e in server.log].count(CHECK) == 15  # 3 look-ups, 5 attempts each


@pytest.mark.parametrize("login", ["missing credentials file", "plain http base URL"])
def test_a_dry_run_given_a_login_it_cannot_use_stops_rather_than_plan_unread(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], login: str
) -> None:
    """A --credentials file that cannot be read, or a base URL the password may not travel to,
    stops the dry run (exit 2) as it stops the run that sends: planning quietly from the state
    file alone would say nothing of what each update drops, as if it dropped nothing."""
    server, _ = fake
    assert push_deqar_batch(tmp_path, server, batch_text(2)).exit_code == 0
    server.log.clear()
    option = (["--credentials", str(tmp_path / "deqar-login.env")] if login.startswith("missing")
              else ["--base-url", "http://deqar.example"])
    dry = push_deqar_batch(tmp_path, server, batch_text(2, summary="Reaccredited."), "--dry-run", *option)
    assert dry.exit_code == 2, dry.output
    expected = ("deqar-login.env: cannot read the credentials file" if login.startswith("missing")
                else "the DEQAR base URL 'http://deqar.example' is not https")
    assert expected in dry.stderr
    assert "Traceback" not in dry.output
    assert not (tmp_path / "out" / "deqar-dry-run.json").exists()
    assert server.log == []


def test_the_recorded_copy_names_the_file_added_beside_the_one_the_batch_embeds(reference: Path) -> None:
    """The recorded micro-credential report (a second file added by manage/report-file) against
    the recorded body that created it: the embedded file is matched by its name, the added one
    is named, and nothing else."""
    cases = transcript(reference)
    held = next(c["response"]["body"] for c in cases if c["case"] == "check_local_identifier_mc")
    payload = request_example(reference, "post-microcredential-report.json")
    assert dropped_fields(held, payload) == ["report file 'addendum.pdf'"]
    payload["contributing_agencies"] = []
    held = {**held, "contributing_agencies": ["aqas"], "valid_to": "2022-03-01", "summary": "Kept."}
    assert dropped_fields(held, payload)[:3] == ["summary (Kept.)", "valid_to (2022-03-01)",
                                                 "contributing agency aqas"]
    assert dropped_fields(held, {**payload, "programmes": []})[-1] == (
        "programme 'Micro-credential in Data Literacy'")
    assert dropped_fields(held, payload, files=False) == dropped_fields(held, payload)[:3]


def test_an_agency_named_by_its_deqar_id_is_not_said_dropped(reference: Path) -> None:
    """DEQAR answers with acronyms, which an id cannot be matched to: only an agency more than
    the batch names is said dropped."""
    held = next(c["response"]["body"] for c in transcript(reference)
                if c["case"] == "check_local_identifier_mc")
    payload = request_example(reference, "post-microcredential-report.json")
    held = {**held, "contributing_agencies": ["AQAS"], "files": []}
    assert dropped_fields(held, {**payload, "contributing_agencies": [37]}) == []
    two = {**held, "contributing_agencies": ["AQAS", "ACQUIN"]}
    assert dropped_fields(two, {**payload, "contributing_agencies": ["37"]}) == [
        "contributing agencies (2 held: AQAS, ACQUIN; the batch names 1)"]
