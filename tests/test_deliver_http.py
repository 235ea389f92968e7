"""The HTTP layer: Retry-After, back-off with injected jitter, pacing, timeouts, masking."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator

import pytest

from edcbridge.deliver.errors import DeliveryConnectionError, DeliveryHTTPError, DeliveryThrottledError
from edcbridge.deliver.http import MASKER, MAX_RETRY_AFTER, HttpClient, RetryPolicy, retry_after_seconds
from tests.fake_http import FakeServer, Fault, Reply, Request


@pytest.fixture
def server() -> Iterator[FakeServer]:
    def app(request: Request) -> Reply:
        if request.path == "/moved":
            return Reply(302, b"", "text/plain", {"Location": "/ok"})
        if request.path == "/away":  # the same server under another host name
            port = request.header("Host").rsplit(":", 1)[1]  # type: ignore[union-attr]
            return Reply(301, b"", "text/plain", {"Location": f"http://localhost:{port}/ok"})
        if request.path == "/loop":
            return Reply(302, b"", "text/plain", {"Location": "/loop"})
        return Reply.json(200, {"method": request.method})

    fake = FakeServer(app).start()
    yield fake
    fake.stop()


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    now = 1_800_000_000.0
    assert retry_after_seconds(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30.0)
    assert retry_after_seconds(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_backoff_is_exponential_capped_and_jittered_by_the_injected_function() -> None:
    halves = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=lambda d: d / 2)
    assert [halves.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 2.5, 2.5]
    default = RetryPolicy(base_delay=1.0)
    assert all(1.0 <= default.backoff(2) <= 2.0 for _ in range(50))  # full jitter in [d/2, d]


def test_a_retry_after_longer_than_a_run_waits_stops_the_run_sending(server: FakeServer) -> None:
    """Honour Retry-After (DEQAR contract 1.8): a pause beyond ``max_retry_after`` is neither
    waited out nor cut short; this request and every later one say when to run again."""
    sleeps: list[float] = []
    http = HttpClient(
        server.base_url, retry=RetryPolicy(max_retry_after=10.0, sleep=sleeps.append), min_interval=0
    )
    server.faults.append(Fault("status", 503, {"Retry-After": "3600"}))
    with pytest.raises(DeliveryThrottledError) as first:
        http.request("GET", "/x")
    assert "asks to wait 3600 s (Retry-After)" in str(first.value)
    assert "run the same command again after" in str(first.value)
    with pytest.raises(DeliveryThrottledError):
        http.request("POST", "/x")
    assert sleeps == [] and len(server.log) == 1  # nothing retried early, nothing more sent


def test_a_retry_after_past_any_date_stops_the_run_saying_when_without_a_crash(server: FakeServer) -> None:
    """A ``Retry-After`` of more seconds than a date can hold (a broken gateway's) is a pause
    longer than a run waits like any other: said with a date to run again, not a traceback."""
    http = HttpClient(server.base_url, retry=RetryPolicy(sleep=lambda _: None), min_interval=0)
    server.faults.append(Fault("status", 429, {"Retry-After": "9" * 20}))
    with pytest.raises(DeliveryThrottledError) as first:
        http.request("GET", "/x")
    assert "run the same command again after" in str(first.value)
    with pytest.raises(DeliveryThrottledError) as held:  # the pause holds the next request too
        http.request("PUT", "/x")
    assert "not sent" in str(held.value)
    assert len(server.log) == 1
    assert retry_after_seconds("9" * 20) == MAX_RETRY_AFTER
    assert retry_after_seconds("\u00b2") is None  # a digit to str.isdigit, not a number (latin-1 0xB2)


class FakeClock:
    """A clock that only moves when slept on (or moved by hand); every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_retry_after_on_a_post_holds_the_next_request(server: FakeServer) -> None:
    """POST is not retried, but the pause the target asked for is kept by what follows."""
    clock = FakeClock()
    http = HttpClient(server.base_url, retry=RetryPolicy(max_retry_after=60.0, sleep=clock.sleep),
                      min_interval=0, clock=clock)
    server.faults.append(Fault("status", 429, {"Retry-After": "30"}, method="POST"))
    assert http.request("POST", "/x").status_code == 429
    assert http.request("GET", "/x").status_code == 200
    assert clock.sleeps == [pytest.approx(30.0)]


def test_requests_are_paced(server: FakeServer) -> None:
    clock = FakeClock()
    http = HttpClient(server.base_url, retry=RetryPolicy(sleep=clock.sleep), min_interval=0.2, clock=clock)
    http.request("GET", "/x")
    http.request("GET", "/x")
    clock.now += 1.0
    http.request("GET", "/x")
    assert clock.sleeps == [pytest.approx(0.2)]  # back to back: paced; a second later: no wait


def test_read_timeout_is_always_set_and_retried_for_get(server: FakeServer) -> None:
    http = HttpClient(
        server.base_url,
        timeout=(1.0, 0.2),
        retry=RetryPolicy(attempts=2, sleep=lambda _: None),
        min_interval=0,
    )
    server.faults += [Fault("delay", delay=0.5), Fault("delay", delay=0.5)]
    with pytest.raises(DeliveryConnectionError, match="ReadTimeout") as info:
        http.request("GET", "/slow")
    assert info.value.attempts == 2


def test_post_is_not_redirected_get_is(server: FakeServer) -> None:
    http = HttpClient(server.base_url, min_interval=0)
    assert http.request("POST", "/moved").status_code == 302
    assert http.request("GET", "/moved").json() == {"method": "GET"}
    assert server.log[0].headers["User-Agent"].startswith("edcbridge/")


def test_get_never_follows_a_redirect_off_the_base_url_origin(server: FakeServer) -> None:
    http = HttpClient(server.base_url, min_interval=0)
    off_origin = r"redirects to http://localhost:\d+/ok.*not followed"
    with pytest.raises(DeliveryHTTPError, match=off_origin) as info:
        http.request("GET", "/away", headers={"Authorization": "Bearer " + "a" * 40})
    assert info.value.status == 301
    assert [e.path for e in server.log] == ["/away"]
    with pytest.raises(DeliveryHTTPError, match="more than 5 redirects"):
        http.request("GET", "/loop")


def test_masker_replaces_secrets_and_bearer_values() -> None:
    MASKER.add("s3cret-value")
    MASKER.add("ab")  # too short to mask safely: ignored
    text = MASKER.mask("password=s3cret-value Authorization: Bearer 0123456789abcdef0123 ab")
    assert text == "password=*** Authorization: Bearer *** ab"


def test_a_learners_address_in_a_wallet_url_is_masked_but_its_domain_kept() -> None:
    from edcbridge.deliver.http import MASKER

    for url, shown in [
        ("POST https://w.example/v1/wallets/email/jane.doe%40uni.example/credentials", "***%40uni.example"),
        ("POST https://w.example/v1/wallets/email/Jane@Uni.example/credentials?locale=en", "***@Uni.example"),
    ]:
        masked = MASKER.mask(url)
        assert shown in masked and "jane" not in masked.lower()
    assert MASKER.mask("GET https://w.example/v1/wallets/W-17/credentials").endswith("W-17/credentials")
