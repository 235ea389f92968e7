"""A run's worker asks the timestamp authority for the tokens of its batch at once: a seal at
B-T and above waits for a round trip to it, and one after another they would add up."""

from __future__ import annotations

import dataclasses
import json
import signal
import threading
import time
from pathlib import Path

import pytest

from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.schemas import SchemaStore
from edcbridge.seal.devpki import TestSeal, load_tsa_signer
from edcbridge.seal.jades import b64url_decode
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"
AT_ONCE = 4  # requests the authority waits to hold together before it answers any


class _Gathering(TimestampAuthority):
    """Answers once ``wanted`` requests wait together (or a request has waited ``patience``
    seconds: one after another they never do), noting the most that ever waited together."""

    def __init__(self, authority: TimestampAuthority, wanted: int, patience: float = 10.0) -> None:
        super().__init__(authority.signer)
        self.wanted, self.patience = wanted, patience
        self.lock = threading.Lock()
        self.waiting = self.most = self.asked = 0
        self.gathered = threading.Event()

    def respond(self, body: bytes) -> bytes:
        with self.lock:
            self.waiting += 1
            self.asked += 1
            self.most = max(self.most, self.waiting)
            if self.waiting >= self.wanted:
                self.gathered.set()
        self.gathered.wait(self.patience)
        try:
            return super().respond(body)
        finally:
            with self.lock:
                self.waiting -= 1


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


@pytest.mark.parametrize("level", ["B-T", "B-B"])
def test_a_worker_asks_for_its_batchs_timestamps_at_once(
        store: SchemaStore, seal: SealFactory, tmp_path: Path, level: str) -> None:
    authority = _Gathering(TimestampAuthority(load_tsa_signer(TestSeal.at(seal.p12.parent))), AT_ONCE)
    with DevServer(authority) as server:
        factory = dataclasses.replace(seal, level=level, tsa_url=server.tsa_url)
        result = run([Job(CATALOGUE, (AWARDS,))], RunOptions(
            out_dir=tmp_path / "out", store_root=store.root, formats=(), workers=1, seal=factory))
    assert result.failed == 0 and result.done >= AT_ONCE
    sealed = sorted((tmp_path / "out" / "edc-sealed").glob("*.jsonld"))
    assert len(sealed) == result.done
    stamped = [_has_signature_timestamp(path) for path in sealed]
    if level == "B-B":  # asks no timestamp: the authority hears nothing
        assert authority.asked == 0 and not any(stamped)
    else:
        assert authority.most >= AT_ONCE and all(stamped)
        assert authority.asked == result.done  # one token a credential, none asked twice


def _has_signature_timestamp(path: Path) -> bool:
    signature = json.loads(path.read_text("utf-8"))["signatures"][0]
    entries = signature.get("header", {}).get("etsiU", [])
    return any("sigTst" in json.loads(b64url_decode(entry)) for entry in entries)


class _Holding(TimestampAuthority):
    """Holds every request until ``released``; on the first, Ctrl-C is pressed twice in the run
    (the second once the run has taken the first, which finishes the batch)."""

    def __init__(self, authority: TimestampAuthority) -> None:
        super().__init__(authority.signer)
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.held = 0

    def respond(self, body: bytes) -> bytes:
        with self.lock:
            self.held += 1
            first = self.held == 1
        if first:
            main = threading.main_thread().ident
            assert main is not None
            finishes_the_batch = signal.getsignal(signal.SIGINT)
            signal.pthread_kill(main, signal.SIGINT)
            while signal.getsignal(signal.SIGINT) is finishes_the_batch:
                time.sleep(0.01)
            signal.pthread_kill(main, signal.SIGINT)
        self.released.wait()
        return super().respond(body)


def test_a_second_ctrl_c_leaves_no_timestamp_request_for_the_exit_to_wait_for(
        store: SchemaStore, seal: SealFactory, tmp_path: Path) -> None:
    """With one worker the run seals in its own process: stopped at once by a second Ctrl-C
    while the authority holds its requests, it leaves no thread that Python's exit waits for
    (it would wait up to the timeout, 15 s, for the requests in flight)."""
    authority = _Holding(TimestampAuthority(load_tsa_signer(TestSeal.at(seal.p12.parent))))
    with DevServer(authority) as server:
        factory = dataclasses.replace(seal, level="B-T", tsa_url=server.tsa_url)
        try:
            with pytest.raises(KeyboardInterrupt):
                run([Job(CATALOGUE, (AWARDS,))], RunOptions(
                    out_dir=tmp_path / "out", store_root=store.root, formats=(), workers=1, seal=factory))
            waited_for = [thread.name for thread in threading.enumerate()
                          if not thread.daemon and thread is not threading.main_thread()]
            assert authority.held >= 1 and waited_for == []  # the requests still held
        finally:
            authority.released.set()
