"""Scheduled re-runs of ``push deqar``: the same agency however it is spelled, a withdrawn report
put back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deliver_support import AUDIT_HEAD, AUDIT_REPORT, batch_text, push_deqar_batch, start_deqar
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Fault, Request


@pytest.fixture
def fake() -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar()
    yield server, app
    server.stop()


def _writes(server: FakeServer) -> list[str]:
    """The requests that change the register (the token request changes nothing)."""
    return [f"{e.method} {e.path}" for e in server.writes() if not e.path.startswith("/accounts/")]


def _items(tmp_path: Path) -> list[dict[str, str]]:
    results = json.loads((tmp_path / "out" / "deqar-results.json").read_text("utf-8"))
    items: list[dict[str, str]] = results["items"]
    return items


@pytest.mark.parametrize("via", ["api", "csv"])
def test_the_agency_in_another_letter_case_is_the_same_agency(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str
) -> None:
    server, _ = fake
    first = push_deqar_batch(tmp_path, server, batch_text(2), "--via", via)
    assert first.exit_code == 0, first.output
    sent = len(_writes(server))
    again = push_deqar_batch(tmp_path, server, batch_text(2).replace("agency: ACQUIN", "agency: acquin"),
                             "--via", via)
    assert again.exit_code == 0, again.output
    assert [i["action"] for i in _items(tmp_path)] == ["skip", "skip"]
    assert len(_writes(server)) == sent


@pytest.mark.parametrize(("first_name", "then_name"), [("ACQUIN", "'21'"), ("'21'", "acquin")])
@pytest.mark.parametrize("via", ["api", "csv"])
def test_the_agency_by_its_acronym_or_its_deqar_id_is_the_same_agency(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str, first_name: str, then_name: str
) -> None:
    """The register takes an agency's acronym or its numeric DEQAR id; its agency list says
    they name one agency, so a batch that switches sends nothing again."""
    server, app = fake

    def batch(name: str) -> str:
        return batch_text(2).replace("agency: ACQUIN", f"agency: {name}")

    first = push_deqar_batch(tmp_path, server, batch(first_name), "--via", via)
    assert first.exit_code == 0, first.output
    sent = len(_writes(server))
    again = push_deqar_batch(tmp_path, server, batch(then_name), "--via", via)
    assert again.exit_code == 0, again.output
    assert [i["action"] for i in _items(tmp_path)] == ["skip", "skip"]
    assert len(_writes(server)) == sent
    assert [e.path.split("?")[0] for e in server.log].count("/webapi/v2/browse/agencies/") == 1  # once
    assert len(app.reports) == 2
    third = push_deqar_batch(tmp_path, server, batch(then_name), "--via", via)
    assert third.exit_code == 0, third.output
    assert [i["action"] for i in _items(tmp_path)] == ["skip", "skip"]


def test_deliveries_a_state_file_records_under_the_deqar_id_count_for_the_acronym(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """A state file whose deliveries name the agency by its numeric id (the payloads' digests
    with it): a batch naming the acronym sends nothing again."""
    from edcbridge.deliver.config import batch_items, load_batch
    from edcbridge.load import load_catalogue

    server, _ = fake
    by_number = batch_text(2).replace("agency: ACQUIN", "agency: '21'")
    assert push_deqar_batch(tmp_path, server, by_number).exit_code == 0
    state_path = tmp_path / "out" / "deqar-state.json"
    data = json.loads(state_path.read_text("utf-8"))
    ((where, entries),) = data["endpoints"].items()
    assert where.endswith("(agency ACQUIN)")
    items = batch_items(load_batch(tmp_path / "batch.yaml"), load_catalogue(tmp_path / "catalogue.yaml"),
                        tmp_path)
    for item in items:  # as a push naming the agency "21" throughout recorded them
        assert item.content["agency"] == "21"
        entries[item.key]["digest"] = item.digest
    data["endpoints"] = {where.replace("(agency ACQUIN)", "(agency 21)"): entries}
    state_path.write_text(json.dumps(data), "utf-8")
    sent = len(_writes(server))
    again = push_deqar_batch(tmp_path, server, batch_text(2))
    assert again.exit_code == 0, again.output
    assert [i["action"] for i in _items(tmp_path)] == ["skip", "skip"]
    assert len(_writes(server)) == sent


@pytest.mark.parametrize("via", ["api", "csv"])
def test_a_report_put_back_after_its_deletion_is_submitted_anew(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str
) -> None:
    server, app = fake
    both = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + AUDIT_REPORT.format(ident="ACQ-2")
    assert push_deqar_batch(tmp_path, server, both, "--via", via).exit_code == 0
    (old,) = [r["id"] for r in app.reports.values() if r["local_identifier"] == "ACQ-2"]
    withdrawn = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + "delete_reports: [ACQ-2]\n"
    assert push_deqar_batch(tmp_path, server, withdrawn, "--via", via).exit_code == 0
    del app.reports[old]  # EQAR staff confirmed the deletion
    dry = push_deqar_batch(tmp_path, server, both, "--via", via, "--dry-run")
    assert dry.exit_code == 0, dry.output
    planned = json.loads((tmp_path / "out" / "deqar-dry-run.json").read_text("utf-8"))["items"]
    assert planned[1]["action"] == ("create" if via == "api" else "upsert"), planned[1]
    assert planned[1]["target_id"] == ""
    before = len(_writes(server))
    back = push_deqar_batch(tmp_path, server, both, "--via", via)
    assert back.exit_code == 0, back.output
    (new,) = [r["id"] for r in app.reports.values() if r["local_identifier"] == "ACQ-2"]
    assert new != old
    item = _items(tmp_path)[1]
    assert (item["status"], item["target_id"]) == ("ok", str(new)), item
    assert "PUT /submissionapi/v2/submit/report" not in _writes(server)[before:]
    third = push_deqar_batch(tmp_path, server, both, "--via", via)
    assert third.exit_code == 0, third.output
    assert [i["action"] for i in _items(tmp_path)] == ["skip", "skip"]


@pytest.mark.parametrize("via", ["api", "csv"])
def test_a_report_put_back_while_its_deletion_awaits_confirmation_says_so(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], via: str
) -> None:
    """DEQAR keeps a report whose deletion was requested until EQAR staff confirm it: the report
    put back updates it, and the run says the deletion request still stands."""
    server, app = fake
    both = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + AUDIT_REPORT.format(ident="ACQ-2")
    assert push_deqar_batch(tmp_path, server, both, "--via", via).exit_code == 0
    (old,) = [r["id"] for r in app.reports.values() if r["local_identifier"] == "ACQ-2"]
    withdrawn = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + "delete_reports: [ACQ-2]\n"
    assert push_deqar_batch(tmp_path, server, withdrawn, "--via", via).exit_code == 0
    back = push_deqar_batch(tmp_path, server, both, "--via", via)
    assert back.exit_code == 0, back.output
    item = _items(tmp_path)[1]
    assert (item["action"], item["status"], item["target_id"]) == (
        "update" if via == "api" else "upsert", "ok", str(old)), item
    assert item["message"].startswith(f"DEQAR still holds report {old}, whose deletion was requested"), item
    assert "ask EQAR to drop the deletion request" in back.stderr
    assert "fix what DEQAR names in the batch" not in item["message"], item  # no fix clears that flag


PROGRAMME = """\
  - local_identifier: {ident}
    activities: [system]
    status: part of obligatory EQA system
    decision: positive
    valid_from: 2016-03-01
    institutions: [hfpv]
    programmes: [{{specification: DL01, identifiers: [{{identifier: P-16{resource}}}]}}]
    report_files: [{{original_location: "https://agency.example/{ident}.pdf", report_language: [en]}}]
"""
PROGRAMME_HEAD = 'agency: ACQUIN\nactivities:\n  system: {id: "1", type: programme}\nreports:\n'


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_programme_identifiers_resource_the_csv_cannot_carry_is_refused_there(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], dry_run: bool
) -> None:
    """The template has programme[n].identifier[m] but no resource column: the report would be
    stored with the identifier under another resource (the agency's local one), so it is refused
    on the CSV route, with the fix, and the other reports go on."""
    server, app = fake
    batch = (PROGRAMME_HEAD + PROGRAMME.format(ident="ACQ-P1", resource=", resource: SCHAC")
             + PROGRAMME.format(ident="ACQ-P2", resource=""))
    run = push_deqar_batch(tmp_path, server, batch, "--via", "csv", *(["--dry-run"] if dry_run else []))
    name = "deqar-dry-run" if dry_run else "deqar-results"
    items = json.loads((tmp_path / "out" / f"{name}.json").read_text("utf-8"))["items"]
    assert [(i["action"], i["status"]) for i in items] == [
        ("refuse", "failed"), ("upsert", "planned" if dry_run else "ok")], items
    assert items[0]["message"] == (
        "programmes[0].identifiers[0].resource: 'SCHAC' has no column in DEQAR's CSV layout (it has "
        "programme[n].identifier[m] alone), so the register would file the identifier under the "
        "agency's local identifiers; submit this report with --via api, or leave resource out")
    assert run.exit_code == 1, run.output
    assert [r["local_identifier"] for r in app.reports.values()] == ([] if dry_run else ["ACQ-P2"])
    api = push_deqar_batch(tmp_path, server, batch)
    assert api.exit_code == 0, api.output


def test_a_state_file_naming_the_agency_in_another_case_is_still_used(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """Deliveries a state file records for `acquin` (the spelling of earlier batches) count for
    ACQUIN: the reports are planned as updates of the reports recorded, withdrawals stay done."""
    server, _ = fake
    batch = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + AUDIT_REPORT.format(ident="ACQ-2")
    assert push_deqar_batch(tmp_path, server, batch).exit_code == 0
    withdrawn = AUDIT_HEAD + AUDIT_REPORT.format(ident="ACQ-1") + "delete_reports: [ACQ-2]\n"
    assert push_deqar_batch(tmp_path, server, withdrawn).exit_code == 0
    state = tmp_path / "out" / "deqar-state.json"
    data = json.loads(state.read_text("utf-8"))
    data["endpoints"] = {where.replace("(agency ACQUIN)", "(agency acquin)"): items
                         for where, items in data["endpoints"].items()}
    (items,) = data["endpoints"].values()
    items["ACQ-1"]["digest"] = "of the payload with agency acquin"
    state.write_text(json.dumps(data), "utf-8")
    dry = push_deqar_batch(tmp_path, server, withdrawn, "--dry-run")
    assert dry.exit_code == 0, dry.output
    planned = json.loads((tmp_path / "out" / "deqar-dry-run.json").read_text("utf-8"))["items"]
    assert [(i["key"], i["action"]) for i in planned] == [("ACQ-1", "update"), ("ACQ-2", "skip")], planned
    assert planned[0]["target_id"] == str(items["ACQ-1"]["target_id"])
    assert json.loads(state.read_text("utf-8")) == data  # a dry run writes nothing
    run = push_deqar_batch(tmp_path, server, withdrawn)
    assert run.exit_code == 0, run.output
    done = [(i["action"], i["status"], i["target_id"]) for i in _items(tmp_path)]
    assert done == [("update", "ok", planned[0]["target_id"]), ("skip", "skipped", planned[1]["target_id"])]


def test_reports_held_back_by_a_long_retry_after_say_they_were_not_sent(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    server, _ = fake
    server.faults.append(Fault("status", 429, {"Retry-After": "600"}, method="POST",
                               path_prefix="/submissionapi/v2/submit/report"))
    run = push_deqar_batch(tmp_path, server, batch_text(2))
    assert run.exit_code == 1, run.output
    first, second = _items(tmp_path)
    assert "/submit/report: HTTP 429: the target asks to wait 600 s (Retry-After)" in first["message"]
    assert second["status"] == "planned", second  # not asked for: not sent
    assert second["message"].startswith("not sent: DEQAR asked (HTTP 429, Retry-After) to wait 600 s")
    assert "run the same command again after " in second["message"]
    assert [e.path.split("?")[0] for e in server.log][-2:] == ["/submissionapi/v2/check/local-identifier",
                                                 "/submissionapi/v2/submit/report"]


def test_the_csv_route_keeps_each_upload_within_the_registers_request_limit(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """Contract 1.8: 10 MB per request. Two reports of 6 MB of embedded PDF each are valid one
    by one; in one CSV upload of 12 MB the production proxy would refuse both (HTTP 413)."""
    server, app = fake
    local = AUDIT_REPORT.replace('{{original_location: "https://agency.example/{ident}.pdf"',
                                 "{{path: {ident}.pdf")
    for ident in ("ACQ-1", "ACQ-2"):
        (tmp_path / f"{ident}.pdf").write_bytes(b"%PDF-1.4\n" + b"%" * 4_500_000 + b"\n%%EOF\n")
    batch = AUDIT_HEAD + local.format(ident="ACQ-1") + local.format(ident="ACQ-2")
    server.faults.append(SecondUpload("status", 502))
    run = push_deqar_batch(tmp_path, server, batch, "--via", "csv")
    assert run.exit_code == 1, run.output
    uploads = [len(e.body) for e in server.log if e.path.endswith("/submit/csv")]
    assert len(uploads) == 2 and max(uploads) <= 10_000_000, uploads
    first, second = _items(tmp_path)
    assert (first["status"], first["detail"]) == ("ok", "csv upload 1 of 2, row 1")
    assert second["status"] == "failed" and "HTTP 502" in second["message"]  # the other upload's report
    again = push_deqar_batch(tmp_path, server, batch, "--via", "csv")
    assert again.exit_code == 0, again.output
    assert [(i["action"], i["status"], i["detail"]) for i in _items(tmp_path)] == [
        ("skip", "skipped", "unchanged since the last delivery"), ("upsert", "ok", "csv row 1")]
    assert sorted(r["local_identifier"] for r in app.reports.values()) == ["ACQ-1", "ACQ-2"]


def test_the_csv_route_sends_at_most_fifty_reports_an_upload(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """The register stores an upload's rows one by one before it answers (contract 1.10; batches
    of reports in one request were withdrawn from the API after timeouts): an upload of hundreds
    outlasts the read timeout, its answer lost, though the register goes on storing the rows; no
    report is then recorded, and every run sends them all again, to the same end. Fifty an upload
    keep each answer within the timeout."""
    server, app = fake
    run = push_deqar_batch(tmp_path, server, batch_text(120), "--via", "csv")
    assert run.exit_code == 0, run.output
    rows = [e.body.decode("utf-8").count("\nACQUIN,") for e in server.log if e.path.endswith("/submit/csv")]
    assert rows == [50, 50, 20]
    details = [i["detail"] for i in _items(tmp_path)]
    assert details[0] == "csv upload 1 of 3, row 1" and details[-1] == "csv upload 3 of 3, row 20"
    assert len(app.reports) == 120


class SecondUpload(Fault):
    """Matches the second CSV upload only."""

    uploads = 0

    def matches(self, request: Request) -> bool:
        if request.method != "POST" or request.path != "/submissionapi/v2/submit/csv":
            return False
        self.uploads += 1
        return self.uploads == 2


@pytest.mark.parametrize("status", [429, 503])
def test_a_csv_upload_the_register_throttles_is_sent_again_after_the_pause(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], status: int
) -> None:
    """A 429/503 with a Retry-After the run waits out stored nothing: the upload goes again in
    the same run (its rows are upserts by local identifier), as a create on the API route does."""
    server, app = fake
    server.faults.append(Fault("status", status, {"Retry-After": "0"}, method="POST",
                               path_prefix="/submissionapi/v2/submit/csv"))
    run = push_deqar_batch(tmp_path, server, batch_text(2), "--via", "csv")
    assert run.exit_code == 0, run.output
    assert [(i["action"], i["status"]) for i in _items(tmp_path)] == [("upsert", "ok")] * 2
    assert [e.status for e in server.log if e.path.endswith("/submit/csv")] == [status, 200]
    assert sorted(r["local_identifier"] for r in app.reports.values()) == ["EDCB-0001", "EDCB-0002"]



def test_a_create_answered_with_a_server_error_is_sent_once_more_when_not_stored(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """The register's 500 to a create, and its look-up says the report is not there: the same run
    sends the create once more, and the register holds the report once."""
    server, app = fake
    server.faults.append(Fault("status", 500, method="POST", path_prefix="/submissionapi/v2/submit/report"))
    run = push_deqar_batch(tmp_path, server, batch_text(1))
    assert run.exit_code == 0, run.output
    assert [(i["action"], i["status"]) for i in _items(tmp_path)] == [("create", "ok")]
    assert _writes(server) == ["POST /submissionapi/v2/submit/report"] * 2
    assert [r["local_identifier"] for r in app.reports.values()] == ["EDCB-0001"]
    again = push_deqar_batch(tmp_path, server, batch_text(1))
    assert again.exit_code == 0, again.output
    assert [i["action"] for i in _items(tmp_path)] == ["skip"]


def test_a_create_answered_with_a_server_error_says_the_register_was_checked(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    """The register's 500 to a create and to its one resend: the report is looked up, and when
    the register does not have it the message says so (nothing stored) and that the same command
    sends it."""
    server, app = fake
    server.faults.extend(Fault("status", 500, method="POST", path_prefix="/submissionapi/v2/submit/report")
                         for _ in range(2))
    run = push_deqar_batch(tmp_path, server, batch_text(1))
    assert run.exit_code == 1, run.output
    (item,) = _items(tmp_path)
    assert item["message"].startswith("POST "), item["message"]
    assert ("/submissionapi/v2/submit/report: HTTP 500: <h1>Error 500</h1>; the register has no report "
            "with local_identifier 'EDCB-0001' (looked up after the error, the create sent 2 times): it was "
            "not stored; run the "
            "same command again later to create it") in item["message"], item["message"]
    assert "PUT/GET" not in item["message"]
    again = push_deqar_batch(tmp_path, server, batch_text(1))
    assert again.exit_code == 0, again.output
    assert [r["local_identifier"] for r in app.reports.values()] == ["EDCB-0001"]


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_server_error_says_what_the_register_may_have_done(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake], method: str
) -> None:
    """An update (PUT, retried) failing with 5xx changed nothing; a CSV upload (POST) may have
    stored rows, which the same command upserts: each message says which."""
    server, _ = fake
    first = push_deqar_batch(tmp_path, server, batch_text(1), "--via", "csv")
    assert first.exit_code == 0, first.output
    path = "/submissionapi/v2/submit/report" if method == "PUT" else "/submissionapi/v2/submit/csv"
    server.faults.extend(Fault("status", 502, method=method, path_prefix=path) for _ in range(5))
    changed = batch_text(1, summary="Changed.")
    run = push_deqar_batch(tmp_path, server, changed, *(["--via", "csv"] if method == "POST" else []))
    assert run.exit_code == 1, run.output
    (item,) = _items(tmp_path)
    assert "PUT/GET" not in item["message"], item["message"]
    if method == "PUT":
        assert item["message"].endswith("a server error (after 5 attempts): the report was not changed; "
                                        "run the same command again later"), item["message"]
    else:
        assert item["message"].endswith("a server error: the register may have stored some rows; the same "
                                        "command sends them again (rows are upserted by local "
                                        "identifier); run it again later"), item["message"]
