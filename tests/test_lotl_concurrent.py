"""The national lists a LOTL points to are fetched a few at a time (FETCHES_AT_ONCE), and read
in the LOTL's order whichever fetch ends first."""

from __future__ import annotations

import functools
import gc
import threading
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from edcbridge.seal import devpki
from edcbridge.trust import lotl
from edcbridge.trust.lotl import FETCHES_AT_ONCE, Signers, load
from edcbridge.trust.trusted_list import Pointer, TrustedList, read_trusted_list
from tests.conftest import need_tool
from tests.trusted_list_files import GRANTED, LOTL, TSL_MIME, Service, new_signer, sign, trusted_list

NOW = datetime.now(UTC).replace(microsecond=0)
COUNTRIES = ("BE", "FR", "DE", "IT", "ES", "PL")
WAIT = 5.0  # how long a request waits for the others before it is answered anyway


class _Gate:
    """Holds each national list's request until FETCHES_AT_ONCE are in flight together, and
    counts the most in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0
        self.open = threading.Event()

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if self.in_flight >= FETCHES_AT_ONCE:
                self.open.set()
        self.open.wait(WAIT)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


class _Handler(SimpleHTTPRequestHandler):
    gate: _Gate

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/lotl.xml":
            super().do_GET()
            return
        self.gate.enter()
        try:
            super().do_GET()
        finally:
            self.gate.leave()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str, _Gate]]:
    gate = _Gate()
    handler = type("Handler", (_Handler,), {"gate": gate})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}", gate
    server.shutdown()
    server.server_close()


def _lists(folder: Path, base: str, tmp_path_factory: pytest.TempPathFactory,
           monkeypatch: pytest.MonkeyPatch) -> Signers:
    """A LOTL in *folder* pointing to a signed list per country; the signers that check it."""
    need_tool("xmlsec1")
    work = tmp_path_factory.mktemp("work")
    monkeypatch.setenv("XDG_CACHE_HOME", str(work / "cache"))
    ca = devpki.generate(now=NOW - timedelta(days=30)).root.certificate
    signer = new_signer("EDCBRIDGE TEST national signer")
    for country in COUNTRIES:
        service = Service(f"EDCBRIDGE TEST {country} CA", ca, [(GRANTED, NOW - timedelta(days=400))])
        (folder / f"{country}.xml").write_bytes(sign(trusted_list(country, [service]), signer, work))
    pointers = [(f"{base}/{country}.xml", country, signer.certificate, TSL_MIME) for country in COUNTRIES]
    lotl_signer = new_signer("EDCBRIDGE TEST LOTL signer")
    (folder / "lotl.xml").write_bytes(sign(trusted_list("EU", [], tsl_type=LOTL, pointers=pointers),
                                           lotl_signer, work))
    return Signers(lotl=(lotl_signer.certificate,))


def test_national_lists_are_fetched_a_few_at_a_time_and_kept_in_the_lotls_order(
        served: tuple[Path, str, _Gate], tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder, base, gate = served
    loaded = load([f"{base}/lotl.xml"], _lists(folder, base, tmp_path_factory, monkeypatch), timeout=30)
    assert [entry["territory"] for entry in loaded.lists] == ["EU", *COUNTRIES]
    assert [service.country for service in loaded.services] == list(COUNTRIES)
    assert gate.peak == FETCHES_AT_ONCE  # together, but never more at once


def test_a_national_lists_parsed_tree_is_let_go_as_soon_as_its_fetch_ends(
        served: tuple[Path, str, _Gate], tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A national list's tree is many times its size: the lists still being fetched must not
    keep the trees of those read already, only their services."""
    folder, base, _ = served
    signers = _lists(folder, base, tmp_path_factory, monkeypatch)
    read: dict[str, weakref.ref[TrustedList]] = {}
    alive_after_fetch: list[str] = []

    def reading(data: bytes, source: str) -> TrustedList:
        tl = read_trusted_list(data, source)
        read[source] = weakref.ref(tl)
        return tl

    def following(pointer: Pointer, timeout: float) -> object:
        followed = follow_one(pointer, timeout)
        gc.collect()
        if read[pointer.location]() is not None:
            alive_after_fetch.append(pointer.territory)
        return followed

    follow_one = lotl._follow_one
    monkeypatch.setattr(lotl, "read_trusted_list", reading)
    monkeypatch.setattr(lotl, "_follow_one", following)
    loaded = load([f"{base}/lotl.xml"], signers, timeout=30)
    assert [service.country for service in loaded.services] == list(COUNTRIES)
    assert alive_after_fetch == []
