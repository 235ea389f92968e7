"""The DEQAR client against the contract fake over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from edcbridge.deliver.deqar_client import REPORT_PATH, DeqarClient, flatten_errors
from edcbridge.deliver.errors import (
    DeliveryAuthError,
    DeliveryConnectionError,
    DeliveryHTTPError,
    LocalValidationError,
)
from edcbridge.deliver.http import HttpClient
from tests.deliver_support import (
    PASSWORD,
    Captured,
    deqar_client,
    no_wait_policy,
    programme_report,
    request_example,
    start_deqar,
)
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Fault, Reply


@pytest.fixture
def fake(reference: Path) -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar(reference)
    yield server, app
    assert not any("get_new_token" in entry.path for entry in server.log), "the rotating endpoint was called"
    server.stop()


@pytest.fixture
def client(fake: tuple[FakeServer, DeqarFake]) -> DeqarClient:
    return deqar_client(fake[0])


def test_token_is_fetched_once_from_get_token(
    fake: tuple[FakeServer, DeqarFake], client: DeqarClient
) -> None:
    server, _ = fake
    client.create(programme_report("T-1"))
    client.check("ACQUIN", "T-1")
    tokens = [e for e in server.log if e.path == "/accounts/get_token/"]
    assert len(tokens) == 1
    assert all(e.headers.get("Authorization", "").startswith("Bearer ") for e in server.log[1:])


def test_bad_password_is_an_auth_error_with_the_server_message(fake: tuple[FakeServer, DeqarFake]) -> None:
    client = deqar_client(fake[0], password="wrong")
    with pytest.raises(DeliveryAuthError) as info:
        client.login()
    assert info.value.status == 401
    assert "Unable to log in with provided credentials." in str(info.value)


def test_server_error_on_login_is_not_an_auth_error(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, _ = fake
    server.faults += [Fault("status", 503, path_prefix="/accounts/") for _ in range(5)]
    client = deqar_client(server)
    with pytest.raises(DeliveryHTTPError) as info:
        client.login()
    assert not isinstance(info.value, DeliveryAuthError)
    assert client.login()  # the next attempt (next run) works


def test_invalid_token_403_is_an_auth_error(
    fake: tuple[FakeServer, DeqarFake], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, app = fake
    client = deqar_client(server)
    client.token = "f" * 40
    issued = {"state": "success", "token": "e" * 40, "account": "acquin"}  # refused as well
    monkeypatch.setattr(app, "_token", lambda req: Reply.json(200, issued))
    with pytest.raises(DeliveryAuthError) as info:
        client.create(programme_report("T-403"))
    assert info.value.status == 403
    assert "Invalid token." in str(info.value)
    assert "f" * 40 not in str(info.value) and "e" * 40 not in str(info.value)
    assert [e.path for e in server.log].count("/accounts/get_token/") == 1  # fetched again once only


def test_a_token_rotated_during_a_run_is_fetched_again(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, app = fake
    client = deqar_client(server)
    assert client.create(programme_report("T-rot-1")).ok
    del app.tokens[str(client.token)]  # someone of the agency rotated it (get_new_token)
    app.tokens["0" * 40] = "acquin"
    result = client.create(programme_report("T-rot-2"))
    assert result.ok and client.token == "0" * 40
    posts = [e.status for e in server.log if e.path == "/submissionapi/v2/submit/report"]
    assert posts == [200, 403, 200]
    assert sorted(r["local_identifier"] for r in app.reports.values()) == ["T-rot-1", "T-rot-2"]


def test_create_answers_200_and_returns_the_report(client: DeqarClient) -> None:
    result = client.create(programme_report("T-create"))
    assert (result.outcome, result.http_status, result.report_id) == ("created", 200, 12)
    assert result.report_flag == "none"
    assert result.report is not None
    assert result.report["programmes"][0]["degree_outcome"] == "Full degree"


def test_duplicate_local_identifier_is_recognised_without_envelope(client: DeqarClient) -> None:
    client.create(programme_report("T-dup"))
    again = client.create(programme_report("T-dup"))
    assert again.outcome == "duplicate"
    assert not again.ok
    assert (
        again.message
        == "non_field_errors: Report with this Agency and Local Report Identifier already exists."
    )


def test_update_is_a_full_replacement_keyed_by_local_identifier(
    client: DeqarClient, fake: tuple[FakeServer, DeqarFake]
) -> None:
    created = client.create(programme_report("T-upd"))
    updated = client.update(programme_report("T-upd", summary="Updated summary."))
    assert updated.outcome == "updated"
    assert updated.report_id == created.report_id
    assert updated.report is not None and created.report is not None
    assert updated.report["summary"] == "Updated summary."
    assert updated.report["programmes"][0]["id"] != created.report["programmes"][0]["id"]
    again = client.update(programme_report("T-upd", summary="Updated summary."))
    assert again.report_id == created.report_id


def test_update_by_report_id_as_string(client: DeqarClient) -> None:
    created = client.create(programme_report("T-rid"))
    body = programme_report("T-rid", report_id=str(created.report_id))
    assert client.update(body).report_id == created.report_id
    with pytest.raises(LocalValidationError, match="Expected a string, but got int"):
        client.update(programme_report("T-rid", report_id=created.report_id))


def test_update_without_ids_is_refused_locally(
    client: DeqarClient, fake: tuple[FakeServer, DeqarFake]
) -> None:
    body = programme_report("x")
    del body["local_identifier"]
    with pytest.raises(LocalValidationError, match="Either report_id or local_identifier is needed"):
        client.update(body)
    assert fake[0].writes() == []


def test_update_of_unknown_local_identifier_keeps_the_server_message(client: DeqarClient) -> None:
    result = client.update(programme_report("NOPE-404"))
    assert result.outcome == "rejected"
    assert [str(e) for e in result.errors] == ["non_field_errors: Please provide a valid local identifier."]


def test_post_with_report_id_is_refused_locally(client: DeqarClient) -> None:
    with pytest.raises(LocalValidationError, match="report_id"):
        client.create(programme_report("T-x", report_id="12"))


def test_report_file_id_in_put_is_refused_before_the_server_500(
    client: DeqarClient, fake: tuple[FakeServer, DeqarFake]
) -> None:
    created = client.create(programme_report("T-file"))
    body = programme_report("T-file")
    body["report_files"][0]["report_file_id"] = 2
    with pytest.raises(LocalValidationError, match="HTTP 500"):
        client.update(body)
    assert [e.method for e in fake[0].writes()] == ["POST", "POST"]  # token + create only
    assert created.ok


def test_server_500_on_put_is_retried_then_reported(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, _ = fake
    sleeps: list[float] = []
    client = deqar_client(server, sleeps=sleeps)
    client.create(programme_report("T-500"))
    server.faults += [Fault("status", 500, method="PUT")] * 5
    with pytest.raises(DeliveryHTTPError) as info:
        client.update(programme_report("T-500"))
    assert info.value.status == 500
    assert len([e for e in server.log if e.method == "PUT"]) == 5
    assert sleeps == [0.01, 0.02, 0.04, 0.08]  # exponential, jitter injected as identity


def test_5xx_retried_for_get_and_put_never_for_post(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, app = fake
    client = deqar_client(server)
    client.login()
    server.faults += [
        Fault("status", 502, method="PUT"),
        Fault("status", 503, method="GET"),
        Fault("status", 500, method="POST"),
        Fault("status", 500, method="POST"),
    ]
    with pytest.raises(DeliveryHTTPError) as info:
        client.create(programme_report("T-retry"))
    assert info.value.status == 500
    assert app.reports == {}
    # not retried as such: sent once more only after the look-up proved it absent
    assert len([e for e in server.log if e.method == "POST" and "submit" in e.path]) == 2
    assert client.create(programme_report("T-retry")).outcome == "created"
    assert client.check("ACQUIN", "T-retry") is not None
    assert client.update(programme_report("T-retry")).outcome == "updated"
    statuses = [(e.method, e.status) for e in server.log if "token" not in e.path]
    assert statuses == [
        ("POST", 500),
        ("GET", 503),  # the create's answer was a server error: is the report there? (retried)
        ("GET", 404),  # not there: the create goes once more
        ("POST", 500),
        ("GET", 404),  # still not there: the error stands
        ("POST", 200),
        ("GET", 200),
        ("PUT", 502),
        ("PUT", 200),
    ]


def test_429_with_retry_after_is_honoured(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, _ = fake
    sleeps: list[float] = []
    client = deqar_client(server, sleeps=sleeps)
    client.create(programme_report("T-429"))
    server.faults.append(Fault("status", 429, {"Retry-After": "3"}, method="GET"))
    assert client.check("ACQUIN", "T-429") is not None
    assert sleeps == [3.0]


def test_a_create_answered_429_is_sent_again_after_the_pause(fake: tuple[FakeServer, DeqarFake]) -> None:
    """429 stored nothing, and a second POST of the same local identifier could only be refused
    as a duplicate: the create is sent again once the register's Retry-After has passed."""
    server, app = fake
    sleeps: list[float] = []
    client = deqar_client(server, sleeps=sleeps)
    client.login()
    server.faults.append(Fault("status", 429, {"Retry-After": "4"}, method="POST", path_prefix=REPORT_PATH))
    result = client.create(programme_report("T-429p"))
    assert result.outcome == "created"
    assert sleeps == [4.0]
    assert [(e.method, e.status) for e in server.log if e.path.startswith(REPORT_PATH)] == [
        ("POST", 429), ("POST", 200)]
    assert [r["local_identifier"] for r in app.reports.values()] == ["T-429p"]


def test_a_create_without_local_identifier_answered_429_is_not_sent_again(
        fake: tuple[FakeServer, DeqarFake]) -> None:
    """Without a local identifier nothing stops a second POST from making a second report."""
    server, _ = fake
    client = deqar_client(server)
    client.login()
    server.faults.append(Fault("status", 429, {"Retry-After": "1"}, method="POST", path_prefix=REPORT_PATH))
    report = programme_report("T-429n")
    del report["local_identifier"]
    with pytest.raises(DeliveryHTTPError) as info:
        client.create(report)
    assert info.value.status == 429
    assert [e.method for e in server.log if e.path.startswith(REPORT_PATH)] == ["POST"]


def test_check_first_found_and_not_found(client: DeqarClient) -> None:
    assert client.check("ACQUIN", "unknown-1") is None
    client.create(programme_report("T-check"))
    found = client.check("ACQUIN", "T-check")
    assert found is not None and found["local_identifier"] == "T-check"
    with pytest.raises(LocalValidationError, match=r"local_identifier: This field is required\."):
        client.check("ACQUIN", "")


def test_put_without_local_identifier_then_check_is_not_found(client: DeqarClient) -> None:
    created = client.create(programme_report("T-null"))
    body = programme_report("T-null", report_id=str(created.report_id))
    del body["local_identifier"]
    assert client.update(body).local_identifier is None
    assert client.check("ACQUIN", "T-null") is None


def test_validation_errors_flattened_to_paths(client: DeqarClient) -> None:
    body = programme_report(
        "T-bad",
        status=1,
        report_files=[{"original_location": "https://agency.example/files/x.pdf", "report_language": ["xx"]}],
        institutions=[{"eter_id": "ZZ9999"}],
    )
    del body["decision"]
    result = client.create(body)
    assert result.outcome == "rejected"
    assert {(e.path, e.message) for e in result.errors} == {
        ("status", "Incorrect type. Expected a string, but got int"),
        ("decision", "This field is required."),
        ("report_files[0].report_language[0]", "Please provide valid language code."),
        ("institutions[0]", "Please provide valid ETER ID."),
    }


def test_flatten_errors_keeps_nesting() -> None:
    errors = flatten_errors({"programmes": [{}, {"workload_ects": ["a"]}], "non_field_errors": ["b"]})
    assert [(e.path, e.message) for e in errors] == [
        ("programmes[1].workload_ects", "a"),
        ("non_field_errors", "b"),
    ]


def test_microcredential_with_embedded_pdf(client: DeqarClient, reference: Path) -> None:
    result = client.create(request_example(reference, "post-microcredential-report.json"))
    assert result.ok, result.message
    assert result.report is not None
    assert result.report["programmes"][0]["degree_outcome"] == "No full degree"


def test_delete_is_a_request_and_unknown_is_reported(
    client: DeqarClient, fake: tuple[FakeServer, DeqarFake]
) -> None:
    created = client.create(programme_report("T-del"))
    assert created.report_id is not None
    result = client.delete(created.report_id)
    assert (result.requested, result.message) == (True, "Deletion was requested.")
    assert fake[1].reports[created.report_id]["flag"] == "high level"
    missing = client.delete(999999)
    assert (missing.requested, missing.http_status, missing.message) == (
        False,
        404,
        "No Report matches the given query.",
    )
    assert f"/submissionapi/v2/delete/report/{created.report_id}/" in [e.path for e in fake[0].log]


def test_report_file_management(client: DeqarClient, fake: tuple[FakeServer, DeqarFake]) -> None:
    created = client.create(programme_report("T-files"))
    assert created.report_id is not None
    added = client.add_file(
        created.report_id,
        original_location="https://agency.example/files/add.pdf",
        display_name="Addendum",
        report_language=["en"],
    )
    assert (added.ok, added.message) == (True, "success")
    files = fake[1].reports[created.report_id]["files"]
    first, second = files[0]["id"], files[1]["id"]
    replaced = client.replace_file(
        second,
        original_location="https://agency.example/files/new.pdf",
        report_language=["en"],
        display_name="Addendum v2",
    )
    assert (replaced.ok, replaced.message) == (True, "success")
    assert (client.delete_file(second).message) == "deleted"
    last = client.delete_file(first)
    assert not last.ok
    assert last.message == "You can't delete the last file of a report. Please submit a new file first."
    with pytest.raises(LocalValidationError, match="both a file and an original_location"):
        client.add_file(
            created.report_id,
            original_location="https://a.example/x.pdf",
            file_b64="JVBE",
            file_name="x.pdf",
            report_language=["en"],
        )


def test_csv_submission_gives_per_row_results_and_upserts(client: DeqarClient) -> None:
    text = (
        "agency,local_identifier,activities[1].id,status,decision,valid_from,valid_to,date_format,"
        "file[1].original_location,file[1].display_name,file[1].report_language[1],institution[1].eter_id,"
        "programme[1].name_primary,programme[1].degree_outcome,programme[1].qf_ehea_level\n"
        "ACQUIN,CSV-1,1,1,1,2016-01-01,2022-01-01,%Y-%m-%d,https://agency.example/c1.pdf,Report,en,DE0392,"
        "CSV Programme,1,1\n"
        "ACQUIN,CSV-2,1,1,1,2016-01-01,2022-01-01,%Y-%m-%d,https://agency.example/c2.pdf,Report,en,ZZ9999,"
        "CSV Programme,1,1\n"
    )
    rows = client.submit_csv(text)
    assert [(r.row, r.ok) for r in rows] == [(1, True), (2, False)]
    assert [str(e) for e in rows[1].errors] == ["institutions[0]: Please provide valid ETER ID."]
    again = client.submit_csv(text)
    assert again[0].report_id == rows[0].report_id


def test_lookups(client: DeqarClient) -> None:
    assert [a["id"] for a in client.activities(page_size=3)] == [2, 3, 1, 4, 5, 6, 7, 8]
    record = client.institution_by_eter("DE0392")
    assert record is not None and record["eter_id"] == "DE0392"
    assert client.institution_by_eter("DE9999") is None


def test_connection_refused_retries_get_and_not_post() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    http = HttpClient(
        f"http://127.0.0.1:{port}", timeout=(1.0, 1.0), retry=no_wait_policy(sleeps), min_interval=0
    )
    client = DeqarClient(http, "acquin", PASSWORD, token="a" * 40)
    with pytest.raises(DeliveryConnectionError) as info:
        client.check("ACQUIN", "x")
    assert info.value.attempts == 5
    assert len(sleeps) == 4
    with pytest.raises(DeliveryConnectionError) as post:
        client.create(programme_report("x"))
    assert post.value.attempts == 1
    assert "run the same command again" in str(post.value)


def test_dropped_connection_and_timeout(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, _ = fake
    client = deqar_client(server, timeout=(1.0, 0.3))
    client.login()
    server.faults.append(Fault("drop", method="POST"))
    with pytest.raises(DeliveryConnectionError):
        client.create(programme_report("T-drop"))
    server.faults += [Fault("delay", delay=0.6, method="GET"), Fault("drop", method="GET")]
    assert client.check("ACQUIN", "T-drop") is None  # timed out, dropped, then answered


def test_secrets_never_in_logs(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, _ = fake
    handler = Captured()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        client = deqar_client(server)
        client.create(programme_report("T-log"))
        server.faults.append(Fault("status", 500, method="GET"))
        client.check("ACQUIN", "T-log")
        token = client.token
        bad = deqar_client(server, password="not-the-Local-pw")
        with pytest.raises(DeliveryAuthError):
            bad.login()
        logging.getLogger("edcbridge.deliver").info("token is %s, password %s", token, PASSWORD)
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    text = "\n".join(handler.lines)
    assert token and token not in text
    assert PASSWORD not in text and "not-the-Local-pw" not in text
    assert "token is ***, password ***" in text
    assert "/submissionapi/v2/submit/report" in text  # requests are logged


def test_fake_quirks_on_the_wire(fake: tuple[FakeServer, DeqarFake], client: DeqarClient) -> None:
    """The paths the client avoids behave as recorded on the real backend."""
    server, _ = fake
    client.create(programme_report("T-wire"))
    auth = {"Authorization": f"Bearer {client.token}"}
    assert (
        requests.post(
            server.base_url + "/submissionapi/v2/submit/report/", json={}, headers=auth, timeout=5
        ).status_code
        == 404
    )
    assert (
        requests.delete(
            server.base_url + "/submissionapi/v2/delete/report/12", headers=auth, timeout=5
        ).status_code
        == 500
    )
    body = programme_report("T-wire")
    body["report_files"][0]["report_file_id"] = 2
    assert (
        requests.put(
            server.base_url + "/submissionapi/v2/submit/report", json=body, headers=auth, timeout=5
        ).status_code
        == 500
    )
    assert requests.post(
        server.base_url + "/submissionapi/v2/submit/report",
        json={},
        headers={"Authorization": f"Token {client.token}"},
        timeout=5,
    ).json() == {"detail": "Authentication credentials were not provided."}


def test_report_file_of_another_agency_is_forbidden_not_an_auth_error(
    fake: tuple[FakeServer, DeqarFake], client: DeqarClient
) -> None:
    server, app = fake
    app.passwords["ekka"] = "Ekka-test-pw-2025"
    ekka = deqar_client(server)
    ekka.username, ekka.password = "ekka", "Ekka-test-pw-2025"
    theirs = ekka.create(
        programme_report(
            "EKKA-1", agency="EKKA", activities=[{"id": "6"}], institutions=[{"eter_id": "DE0394"}]
        )
    )
    assert theirs.ok, theirs.message
    assert theirs.report_id is not None
    result = client.add_file(
        theirs.report_id, original_location="https://a.example/x.pdf", report_language=["en"]
    )
    assert (result.ok, result.http_status) == (False, 403)
    assert result.message == "You can't manage files of this report."


@pytest.mark.parametrize("path", ["/submissionapi/v2", "/api"])
def test_base_url_with_a_path_says_to_give_the_backend_root(
    fake: tuple[FakeServer, DeqarFake], path: str
) -> None:
    server, _ = fake
    http = HttpClient(server.base_url + path, timeout=(2.0, 5.0), retry=no_wait_policy(), min_interval=0)
    with pytest.raises(DeliveryHTTPError) as info:
        DeqarClient(http, "acquin", PASSWORD).login()
    assert info.value.status == 404
    assert "--base-url" in str(info.value) and "https://backend.sandbox.deqar.eu" in str(info.value)
    assert "run again later" not in str(info.value)
