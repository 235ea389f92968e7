"""The client driven through the recorded exchanges, in order: each answer becomes the typed result
the contract calls for (or the request is refused locally, as the register would refuse it)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from edcbridge.deliver.deqar_client import DeqarClient, flatten_errors
from edcbridge.deliver.errors import DeliveryAuthError, LocalValidationError
from tests.deliver_support import PLACEHOLDER, deqar_client, pdf_b64, start_deqar, transcript
from tests.test_deliver_transcript import CSV_SECOND_ROW

NOT_DRIVEN = {  # exchanges the client never produces, by design (checked on the fake's side)
    "no_auth": "the client always sends Authorization",
    "token_scheme_Token_instead_of_Bearer": "the client always uses the Bearer scheme",
    "v1_submit_closed": "the client only knows v2 paths",
}


def _body(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _body(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_body(v) for v in body]
    if isinstance(body, str) and PLACEHOLDER.match(body):
        return pdf_b64(int(PLACEHOLDER.match(body).group(1)))  # type: ignore[union-attr]
    return body


def _drive(client: DeqarClient, case: dict[str, Any], bad: DeqarClient) -> Any:
    request = case["request"]
    method, path, body = (
        request["method"],
        urlsplit(request["path"]).path,
        _body(copy.deepcopy(request["body"])),
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(request["path"]).query).items()}
    actions: dict[tuple[str, str], Callable[[], Any]] = {
        ("POST", "/accounts/get_token/"): lambda: (client if body["password"] != "wrong" else bad).login(),
        ("POST", "/submissionapi/v2/submit/report"): lambda: (
            bad if case["case"] == "bad_token" else client
        ).create(body),
        ("PUT", "/submissionapi/v2/submit/report"): lambda: client.update(body),
        ("GET", "/submissionapi/v2/check/local-identifier"): lambda: client.check(
            query["agency"], query.get("local_identifier", "")
        ),
        ("POST", "/submissionapi/v2/manage/report-file"): lambda: client.add_file(
            body["report_id"],
            file_b64=body["file"],
            file_name=body["file_name"],
            display_name=body["display_name"],
            report_language=body["report_language"],
        ),
        ("PUT", "/submissionapi/v2/manage/report-file"): lambda: client.replace_file(
            body["report_file_id"],
            original_location=body["original_location"],
            display_name=body["display_name"],
            report_language=body["report_language"],
        ),
        ("DELETE", "/submissionapi/v2/manage/report-file"): lambda: client.delete_file(
            body["report_file_id"]
        ),
        ("POST", "/submissionapi/v2/submit/csv"): lambda: client.submit_csv(
            body[: body.rindex("\n") + 1] + CSV_SECOND_ROW + "\n"
        ),
        ("GET", "/connectapi/v1/activities/"): lambda: list(client.activities(page_size=3)),
    }
    if path.startswith("/submissionapi/v2/delete/report/"):
        return client.delete(path.rstrip("/").rsplit("/", 1)[1])
    if path.startswith("/webapi/v2/browse/reports/"):
        return client.report(path.rstrip("/").rsplit("/", 1)[1])
    if path.startswith("/webapi/v2/browse/institutions/by-eter/"):
        return client.institution_by_eter(path.rstrip("/").rsplit("/", 1)[1])
    if path.startswith("/connectapi/v1/providers/by-eter/"):
        return client.provider_by_eter(path.rsplit("/", 1)[1])
    return actions[(method, path)]()


def _expect(case: dict[str, Any], outcome: Any) -> None:
    response, name = case["response"], case["case"]
    status, body = response["status"], response["body"]
    if isinstance(outcome, Exception):
        if isinstance(outcome, DeliveryAuthError):
            assert status in (401, 403)
            assert (body.get("errorMessage") or body.get("detail")) in str(outcome)
        else:
            assert isinstance(outcome, LocalValidationError), outcome
            message = str(outcome)
            recorded = [e.message for e in flatten_errors(body.get("errors", body))]
            assert any(m in message for m in recorded) or "report_id" in message, (name, message)
        return
    kind = type(outcome).__name__
    if kind == "SubmitResult":
        assert outcome.http_status == status
        if status == 200:
            assert outcome.ok and outcome.report_id == body["submitted_report"]["id"]
            assert outcome.report_flag == body["report_flag"]
            assert list(outcome.warnings) == body["report_warnings"]
        else:
            errors = body.get("errors", body)
            assert list(outcome.errors) == flatten_errors(errors)
            assert outcome.outcome == ("rejected" if "submission_status" in body else "duplicate")
    elif kind == "FileResult":
        assert (outcome.http_status, outcome.ok) == (status, status == 200)
        assert outcome.message == (body if isinstance(body, str) else body["error"])
    elif kind == "DeleteResult":
        assert (outcome.http_status, outcome.requested) == (status, status == 200)
        if status != 200:
            assert outcome.message == body["detail"]
    elif isinstance(outcome, list) and outcome and type(outcome[0]).__name__ == "CsvRowResult":
        assert [r.ok for r in outcome] == [row["submission_status"] == "success" for row in body]
        assert [r.report_id for r in outcome] == [row["report"] for row in body]
    elif isinstance(outcome, list):  # activities, all pages
        assert [a["id"] for a in outcome[:3]] == [a["id"] for a in body["results"]]
        assert len(outcome) == body["count"]
    elif isinstance(outcome, str):  # token
        assert status == 200 and len(outcome) == 40
    elif outcome is None:
        assert (status, body) == (404, "Not Found")
    else:
        assert status == 200
        assert outcome["id"] == body["id"]


def test_client_through_the_transcript(reference: Path) -> None:
    server, _ = start_deqar(reference)
    try:
        client = deqar_client(server)
        bad = deqar_client(server, password="wrong")
        bad.token = "0" * 40
        driven = 0
        for case in transcript(reference):
            if case["case"] in NOT_DRIVEN:
                continue
            try:
                outcome: Any = _drive(
                    client,
                    case,
                    bad
                    if case["case"] != "get_token_bad_password"
                    else deqar_client(server, password="wrong"),
                )
            except (DeliveryAuthError, LocalValidationError) as exc:
                outcome = exc
            _expect(case, outcome)
            driven += 1
        assert driven == 41 - len(NOT_DRIVEN)
        assert not [e for e in server.log if "/submissionapi/v1/" in e.path or "get_new_token" in e.path]
    finally:
        server.stop()


@pytest.mark.parametrize("name", sorted(NOT_DRIVEN))
def test_undriven_cases_exist(reference: Path, name: str) -> None:
    assert name in {c["case"] for c in transcript(reference)}
