"""The DEQAR client when the network or a proxy misbehaves: lost answers, redirects, proxy
pages, plain-http base URLs, lookups that do not page. Real HTTP to the contract fake."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from edcbridge.deliver.deqar_client import DeqarClient, flatten_errors
from edcbridge.deliver.errors import (
    DeliveryAuthError,
    DeliveryConfigError,
    DeliveryConnectionError,
    DeliveryError,
    DeliveryHTTPError,
    LocalValidationError,
)
from edcbridge.deliver.http import HttpClient, origin
from tests.deliver_support import (
    PASSWORD,
    batch_text,
    deqar_client,
    programme_report,
    push_deqar_batch,
    start_deqar,
)
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Fault, Reply, Request

REPORT_PATH = "/submissionapi/v2/submit/report"


@pytest.fixture
def fake(reference: Path) -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar(reference)
    yield server, app
    server.stop()


def local_identifiers(app: DeqarFake) -> list[str]:
    return sorted(str(r["local_identifier"]) for r in app.reports.values())


def test_a_create_whose_answer_is_lost_is_found_and_not_created_twice(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    """The register saved the report, then the connection dropped before the answer came."""
    server, app = fake
    client = deqar_client(server)
    client.login()
    server.faults.append(Fault("drop-after", method="POST", path_prefix=REPORT_PATH))
    result = client.create(programme_report("LOST-1", summary="Second version."))
    assert result.ok and result.report_id == 12
    assert "answer to the create was lost" in result.warnings[0]
    assert local_identifiers(app) == ["LOST-1"]
    assert app.reports[12]["summary"] == "Second version."
    calls = [(e.method, e.status) for e in server.log if "token" not in e.path]
    assert calls == [("POST", None), ("GET", 200), ("PUT", 200)]


def test_a_create_that_never_reached_the_register_still_fails_and_says_so(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    server, app = fake
    client = deqar_client(server)
    client.login()
    server.faults.append(Fault("drop", method="POST", path_prefix=REPORT_PATH))
    with pytest.raises(DeliveryConnectionError, match="run the same command again"):
        client.create(programme_report("LOST-2"))
    assert app.reports == {}
    assert client.create(programme_report("LOST-2")).outcome == "created"
    assert local_identifiers(app) == ["LOST-2"]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_create_answered_with_a_server_error_and_not_stored_is_sent_once_more(
    fake: tuple[FakeServer, DeqarFake], status: int
) -> None:
    """The look-up after the 5xx proves the register does not hold the report: the create goes
    once more, after the usual back-off, and the report is stored once."""
    server, app = fake
    sleeps: list[float] = []
    client = deqar_client(server, sleeps=sleeps)
    client.login()
    server.faults.append(Fault("status", status, method="POST", path_prefix=REPORT_PATH))
    result = client.create(programme_report("AGAIN-1"))
    assert result.outcome == "created"
    assert local_identifiers(app) == ["AGAIN-1"]
    calls = [(e.method, e.status) for e in server.log if "token" not in e.path]
    assert calls == [("POST", status), ("GET", 404), ("POST", 200)]
    assert sleeps == [client.http.retry.backoff(1)]


def test_a_create_answered_with_a_server_error_twice_is_not_sent_a_third_time(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    server, app = fake
    client = deqar_client(server)
    client.login()
    server.faults.extend(Fault("status", 500, method="POST", path_prefix=REPORT_PATH) for _ in range(2))
    with pytest.raises(DeliveryHTTPError, match="it was not stored") as info:
        client.create(programme_report("AGAIN-2"))
    assert info.value.status == 500
    calls = [(e.method, e.status) for e in server.log if "token" not in e.path]
    assert calls == [("POST", 500), ("GET", 404), ("POST", 500), ("GET", 404)]
    assert app.reports == {}


def test_a_create_stored_by_its_second_attempt_whose_answer_is_lost_is_updated(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    server, app = fake
    client = deqar_client(server)
    client.login()
    server.faults.append(Fault("status", 500, method="POST", path_prefix=REPORT_PATH))
    server.faults.append(Fault("drop-after", method="POST", path_prefix=REPORT_PATH))
    result = client.create(programme_report("AGAIN-3"))
    assert result.outcome == "updated"
    assert local_identifiers(app) == ["AGAIN-3"]
    calls = [(e.method, e.status) for e in server.log if "token" not in e.path]
    assert calls == [("POST", 500), ("GET", 404), ("POST", None), ("GET", 200), ("PUT", 200)]


@pytest.mark.parametrize("lookup", [Fault("status", 500), Fault("status", 404)])
def test_a_create_whose_look_up_fails_or_proves_nothing_is_not_sent_again(
    fake: tuple[FakeServer, DeqarFake], lookup: Fault
) -> None:
    """A look-up that fails (5xx after its retries), or a 404 that is not the register's own,
    cannot prove the report absent: the create is not sent a second time."""
    server, app = fake
    client = deqar_client(server)
    client.login()
    server.faults.append(Fault("status", 502, method="POST", path_prefix=REPORT_PATH))
    check = "/submissionapi/v2/check"
    server.faults.extend(Fault(lookup.kind, lookup.status, method="GET", path_prefix=check) for _ in range(5))
    with pytest.raises(DeliveryHTTPError) as info:
        client.create(programme_report("AGAIN-4"))
    assert info.value.status == 502
    assert [e.method for e in server.log if "token" not in e.path].count("POST") == 1
    assert app.reports == {}


@pytest.mark.parametrize("lost", [Fault("status", 500), Fault("drop-after")])
def test_a_lost_create_whose_look_up_is_throttled_says_when_to_run_again(
    fake: tuple[FakeServer, DeqarFake], lost: Fault
) -> None:
    """The look-up after a lost create answered 429 with a Retry-After longer than a run waits:
    the create is not sent again, and the message says when the same command can find out."""
    server, _ = fake
    client = deqar_client(server)
    client.login()
    server.faults.append(Fault(lost.kind, lost.status, method="POST", path_prefix=REPORT_PATH))
    server.faults.append(Fault("status", 429, {"Retry-After": "600"}, method="GET",
                               path_prefix="/submissionapi/v2/check"))
    with pytest.raises(DeliveryError) as info:
        client.create(programme_report("BUSY-2"))
    message = str(info.value)
    assert message.startswith("POST "), message
    assert re.search(r"HTTP 429.*run the same command again after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                     message), message
    calls = [(e.method, e.status) for e in server.log if "token" not in e.path]
    assert calls == [("POST", 500 if lost.kind == "status" else None), ("GET", 429)]


def test_a_throttled_create_is_not_looked_up_but_sent_again(fake: tuple[FakeServer, DeqarFake]) -> None:
    """429 means the register did not process the request: nothing to look for; the create goes
    again after the pause and is stored once."""
    server, app = fake
    client = deqar_client(server)
    client.login()
    server.faults.append(Fault("status", 429, {"Retry-After": "0"}, method="POST"))
    assert client.create(programme_report("BUSY-1")).outcome == "created"
    assert [e.method for e in server.log if "token" not in e.path] == ["POST", "POST"]
    assert local_identifiers(app) == ["BUSY-1"]


def redirect_lookups_to(server: FakeServer, target_host: str) -> None:
    """A proxy in front of the register that sends Web API lookups to ``target_host``."""
    inner = server.app
    port = server.httpd.server_address[1]

    def proxy(request: Request) -> Reply:
        if request.path.startswith("/webapi/") and "moved" not in request.query:
            location = f"http://{target_host}:{port}{request.path}?moved=1"
            return Reply(302, b"", "text/html", {"Location": location})
        return inner(request)

    server.app = proxy


def test_a_redirect_to_another_host_is_not_followed_with_the_token(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    server, _ = fake
    client = deqar_client(server)
    created = client.create(programme_report("REDIR-1"))
    redirect_lookups_to(server, "localhost")
    with pytest.raises(DeliveryHTTPError) as info:
        client.report(str(created.report_id))
    assert info.value.status == 302
    assert "redirects to http://localhost:" in str(info.value)
    assert "not followed" in str(info.value)
    assert not [e for e in server.log if e.headers.get("Host", "").startswith("localhost")]


def test_a_redirect_inside_the_register_is_followed_with_the_token(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    server, _ = fake
    client = deqar_client(server)
    created = client.create(programme_report("REDIR-2"))
    redirect_lookups_to(server, "127.0.0.1")
    record = client.report(str(created.report_id))
    assert record is not None and record["local_identifier"] == "REDIR-2"


def test_origin_tells_a_downgrade_to_http_apart() -> None:
    assert origin("https://backend.deqar.eu/x") == origin("https://BACKEND.deqar.eu:443/y")
    assert origin("http://backend.deqar.eu/x") != origin("https://backend.deqar.eu/x")
    assert origin("https://backend.deqar.eu/x") != origin("https://backend.deqar.eu.evil.example/x")


@pytest.mark.parametrize(
    "base_url", ["http://backend.deqar.eu", "ftp://backend.deqar.eu", "backend.deqar.eu"]
)
def test_a_base_url_without_https_is_refused_before_the_password_is_sent(base_url: str) -> None:
    with pytest.raises(DeliveryConfigError, match=r"https://backend\.deqar\.eu"):
        DeqarClient(HttpClient(base_url), "acquin", PASSWORD)


@pytest.mark.parametrize(
    "base_url",
    ["https://", "https://backend.deqar.eu:44x3", "https://backend deqar.eu", "https://[::1",
     "http://127.0.0.1:99999"],
)
def test_a_mistyped_base_url_is_refused_naming_it_before_anything_is_sent(base_url: str) -> None:
    """An address with no host, a port that is no number, or a space (a typo in --base-url or
    EDCBRIDGE_DEQAR_URL) is said with the fix, not left to fail as a traceback in the first request."""
    with pytest.raises(DeliveryConfigError) as info:
        DeqarClient(HttpClient(base_url), "acquin", PASSWORD).login()
    assert repr(base_url.rstrip("/")) in str(info.value)  # as the client keeps it
    assert "https://backend.deqar.eu" in str(info.value)


def test_a_mistyped_base_url_stops_push_deqar_with_exit_2(
    tmp_path: Path, fake: tuple[FakeServer, DeqarFake]
) -> None:
    server, _ = fake
    for dry_run in ([], ["--dry-run"]):
        result = push_deqar_batch(tmp_path, server, batch_text(1), "--base-url", "https://backend deqar.eu",
                                  *dry_run)
        assert result.exit_code == 2, result.output
        assert "'https://backend deqar.eu' is not a usable address" in result.stderr
    assert server.log == []


def test_a_redirect_to_an_address_that_is_no_url_is_not_followed(fake: tuple[FakeServer, DeqarFake]) -> None:
    """A look-up redirected to a ``Location`` whose port is no number is refused naming it."""
    server, _ = fake
    client = deqar_client(server)
    inner = server.app

    def broken_redirect(request: Request) -> Reply:
        if request.path.startswith("/webapi/"):
            return Reply(302, b"", "text/plain", {"Location": "http://127.0.0.1:8x/webapi/v2/"})
        return inner(request)

    server.app = broken_redirect
    with pytest.raises(DeliveryHTTPError) as info:
        client.report("12")
    assert info.value.status == 302 and "redirects to http://127.0.0.1:8x/webapi/v2/" in str(info.value)


def test_an_html_404_on_a_lookup_is_not_taken_for_an_unknown_institution(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    """A proxy page says nothing about DEQAR's data; only DRF's JSON 404 means "not there"."""
    server, _ = fake
    client = deqar_client(server)
    assert client.provider_by_eter("DE9999") is None  # DRF's {"detail": "Not found."}
    server.faults.append(Fault("status", 404, path_prefix="/connectapi/v1/providers/"))
    with pytest.raises(DeliveryHTTPError) as info:
        client.provider_by_eter("DE0392")
    assert info.value.status == 404 and "<h1>Error 404</h1>" in str(info.value)


def test_a_delete_answered_by_a_proxy_page_is_not_a_deletion_request(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    server, app = fake
    client = deqar_client(server)
    created = client.create(programme_report("DEL-1"))
    assert created.report_id is not None
    server.faults.append(Fault("status", 200, method="DELETE"))
    with pytest.raises(DeliveryHTTPError):
        client.delete(created.report_id)
    assert app.reports[created.report_id]["flag"] == "none"
    with pytest.raises(LocalValidationError, match="report_id"):
        client.delete("12/../../submit/report")


def test_a_dropped_authorization_header_is_named_as_such(fake: tuple[FakeServer, DeqarFake]) -> None:
    """A gateway that strips the header makes the register answer "not provided"."""
    server, _ = fake
    inner = server.app

    def stripping_gateway(request: Request) -> Reply:
        request.headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        return inner(request)

    server.app = stripping_gateway
    client = deqar_client(server)
    with pytest.raises(DeliveryAuthError) as info:
        client.create(programme_report("AUTH-1"))
    assert "Authentication credentials were not provided." in str(info.value)
    assert "drops it" in str(info.value)


def test_lookup_pages_end_at_the_count_even_when_offset_is_ignored(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    server, _ = fake
    inner = server.app

    def cache_ignoring_offset(request: Request) -> Reply:
        request.query.pop("offset", None)
        return inner(request)

    server.app = cache_ignoring_offset
    client = deqar_client(server)
    walked = list(itertools.islice(client.activities(page_size=3), 50))
    assert len(walked) <= 9  # three pages of three at most, not an endless walk


def test_the_fake_reads_the_bearer_keyword_as_drf_does(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, _ = fake
    client = deqar_client(server)
    token = client.login()
    url = server.base_url + "/submissionapi/v2/check/local-identifier?agency=ACQUIN&local_identifier=x"

    def answer(header: str) -> tuple[int, object]:
        response = requests.get(url, headers={"Authorization": header}, timeout=5)
        return response.status_code, response.json()

    assert answer(f"bearer {token}") == (404, "Not Found")
    assert answer("Bearer") == (403, {"detail": "Invalid token header. No credentials provided."})
    assert answer(f"Bearer {token} x") == (
        403,
        {"detail": "Invalid token header. Token string should not contain spaces."},
    )


def test_an_answer_nested_deeper_than_the_json_parser_goes_is_outside_the_contract(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    """A body of JSON arrays nested past the parser's recursion limit (a broken proxy, or a
    hostile server) fails the request with the answer's start and the fix, not a traceback."""
    server, app = fake
    inner = server.app
    nested = b"[" * 100_000 + b"]" * 100_000

    def deep(request: Request) -> Reply:
        if request.path == "/submissionapi/v2/check/local-identifier":
            return Reply(404, nested)
        if request.path == REPORT_PATH:
            return Reply(400, b'{"submission_status": "errors", "errors": ' + nested + b"}")
        return inner(request)

    server.app = deep
    client = deqar_client(server)
    with pytest.raises(DeliveryHTTPError) as look_up:
        client.check("ACQUIN", "DEEP-1")
    assert look_up.value.status == 404 and "outside the recorded contract" in str(look_up.value)
    with pytest.raises(DeliveryHTTPError) as create:
        client.create(programme_report("DEEP-1"))
    assert create.value.status == 400 and "outside the recorded contract" in str(create.value)
    assert app.reports == {}


def test_register_errors_nested_deeper_than_python_recurses_are_flattened_without_a_crash() -> None:
    """On Python 3.12 and later the JSON parser nests deeper than Python functions recurse: an
    error structure it reads is flattened without recursing as deep as it goes."""
    errors: object = ["too deep"]
    for _ in range(5_000):
        errors = {"programmes": [errors]}
    (only,) = flatten_errors(errors)
    assert only.path.startswith("programmes[0].programmes[0].")
    assert "nested" in only.message


def test_answers_of_the_right_status_in_odd_shapes_end_in_no_traceback(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    """A success whose report or warnings are not the recorded shapes is still the register's
    success (the report is stored); an agency list whose results are not records is an answer
    outside the contract."""
    server, app = fake
    inner = server.app

    def odd(request: Request) -> Reply:
        answer = inner(request)
        if request.path == REPORT_PATH:
            return Reply.json(200, {"submission_status": "success", "submitted_report": "stored",
                                    "report_flag": "low level", "report_warnings": "Check the file."})
        if request.path == "/submissionapi/v2/submit/csv":
            return Reply.json(200, [{"submission_status": "success", "report": 15,
                                     "report_warnings": "Check the file.", "institution_warnings": None}])
        if request.path == "/webapi/v2/browse/agencies/":
            return Reply.json(200, {"count": 1, "next": None, "results": {"ACQUIN": 21}})
        return answer

    server.app = odd
    client = deqar_client(server)
    result = client.create(programme_report("ODD-1"))
    assert result.ok and result.report_id is None
    assert result.warnings == ("Check the file.",)
    (row,) = client.submit_csv("agency,local_identifier\nACQUIN,ODD-2\n")
    assert row.ok and row.warnings == ("Check the file.",)
    with pytest.raises(DeliveryHTTPError, match="outside the recorded contract"):
        client.agency_names("21")
    assert len(app.reports) == 1
