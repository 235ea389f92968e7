"""Which requests are tried again after a transient failure, and which are sent once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edcbridge.deliver.errors import DeliveryAuthError, DeliveryHTTPError
from tests.deliver_support import deqar_client, programme_report, start_deqar
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer, Fault

TOKEN = "/accounts/get_token/"


@pytest.fixture
def fake(reference: Path) -> Iterator[tuple[FakeServer, DeqarFake]]:
    server, app = start_deqar(reference)
    yield server, app
    server.stop()


def token_requests(server: FakeServer) -> list[int | None]:
    return [entry.status for entry in server.log if entry.path == TOKEN]


@pytest.mark.parametrize(
    "fault",
    [Fault("drop"), Fault("drop-after"), Fault("status", 502), Fault("status", 503), Fault("status", 504)],
    ids=["reset", "answer-lost", "502", "503", "504"],
)
def test_a_token_request_that_fails_in_passing_is_tried_again(
    fake: tuple[FakeServer, DeqarFake], fault: Fault
) -> None:
    """The token endpoint hands out the account's one token and changes nothing: a gateway
    hiccup on it must not end a run of thousands of reports before it starts."""
    server, _ = fake
    fault.method, fault.path_prefix = "POST", TOKEN
    server.faults.append(fault)
    sleeps: list[float] = []
    client = deqar_client(server, sleeps=sleeps)
    assert client.check("ACQUIN", "NOT-THERE") is None
    assert token_requests(server) == [fault.status if fault.kind == "status" else None, 200]
    assert len(sleeps) >= 1  # backed off before trying again


def test_a_refused_login_is_not_tried_again(fake: tuple[FakeServer, DeqarFake]) -> None:
    server, _ = fake
    client = deqar_client(server, password="not-the-password")
    with pytest.raises(DeliveryAuthError, match="user name"):
        client.check("ACQUIN", "X")
    assert token_requests(server) == [401]


def test_a_token_endpoint_that_keeps_failing_says_to_run_again_later(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    server, _ = fake
    server.faults += [Fault("status", 502, method="POST", path_prefix=TOKEN) for _ in range(5)]
    client = deqar_client(server)
    with pytest.raises(DeliveryHTTPError, match="run the same command again later") as info:
        client.check("ACQUIN", "X")
    assert info.value.status == 502
    assert token_requests(server) == [502] * 5


def test_a_create_is_sent_again_only_after_a_look_up_and_only_once(
    fake: tuple[FakeServer, DeqarFake],
) -> None:
    """A create answered 502 is not retried as a GET is: the register is asked first whether it
    holds the report, and only its "Not Found" lets the create go again, once."""
    server, _ = fake
    client = deqar_client(server)
    client.login()
    server.faults.extend(Fault("status", 502, method="POST", path_prefix="/submissionapi/") for _ in range(3))
    with pytest.raises(DeliveryHTTPError):
        client.create(programme_report("R-ONCE"))
    calls = [(e.method, e.status) for e in server.log if e.path.startswith("/submissionapi/")]
    assert calls == [("POST", 502), ("GET", 404), ("POST", 502), ("GET", 404)]
