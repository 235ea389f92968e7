"""``--tsa-timeout`` of export and export-xml: how long each request to the timestamp authority
may wait, as ``seal`` already had; numbers that are no deadline are refused before any work."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import TSA_TIMEOUT, main
from edcbridge.load import load_catalogue
from edcbridge.schemas import SchemaStore
from edcbridge.seal.devpki import TestSeal, load_tsa_signer
from edcbridge.seal.tsa import DEFAULT_TIMEOUT
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.sealing import SealFactory, demo_seal
from tests.conftest import FIXTURES
from tests.tsa_support import Holding

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


@pytest.fixture
def store_env(store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


@pytest.fixture
def stalling(seal: SealFactory) -> Iterator[str]:
    # the first request (the run's check that it is up) answered, every other one held
    authority = Holding(TimestampAuthority(load_tsa_signer(TestSeal.at(seal.p12.parent))), answered=1)
    with DevServer(authority) as server:
        try:
            yield server.tsa_url
        finally:
            authority.released.set()


def _seal_options(seal: SealFactory, tsa_url: str) -> list[str]:
    return ["--seal", str(seal.p12), "--password-file", str(seal.p12.parent / "seal-password.txt"),
            "--tsa", tsa_url]


def test_the_default_is_the_clients() -> None:
    assert TSA_TIMEOUT == DEFAULT_TIMEOUT


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1", "3601", "soon"])
@pytest.mark.parametrize("command", ["export", "export-xml", "seal"])
def test_a_number_that_is_no_deadline_is_refused_before_any_work(
        seal: SealFactory, tmp_path: Path, value: str, command: str) -> None:
    reading = [str(AWARDS), "-c", str(CATALOGUE)] if command != "seal" else [str(AWARDS)]
    sealing = _seal_options(seal, "http://127.0.0.1:9/tsa")
    if command == "seal":
        sealing[0] = "--p12"
    result = CliRunner().invoke(main, [command, *reading, "-o", str(tmp_path / "out"), *sealing,
                                       "--tsa-timeout", value])
    assert result.exit_code == 2, result.output
    assert "--tsa-timeout" in result.stderr and "Traceback" not in result.stderr
    assert not list((tmp_path / "out").glob("*/*"))


def test_export_waits_for_each_timestamp_as_long_as_it_is_told(
        store_env: None, seal: SealFactory, stalling: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "export", str(AWARDS), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"), "-q",
        *_seal_options(seal, stalling), "--level", "B-T", "--tsa-timeout", "1.5"])
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    errors = [error for record in report["records"] for error in record["errors"]]
    assert errors and all(error.startswith("seal: ") for error in errors), errors
    assert all("did not answer within 1.5 s" in error for error in errors), errors


def test_export_xml_waits_for_each_timestamp_as_long_as_it_is_told(
        store_env: None, seal: SealFactory, stalling: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "export-xml", str(AWARDS), "-c", str(CATALOGUE), "-o", str(tmp_path / "out"),
        *_seal_options(seal, stalling), "--tsa-timeout", "1.5"])
    assert result.exit_code == 1, result.output
    assert "did not answer within 1.5 s" in result.stderr, result.stderr
    assert len(list((tmp_path / "out").glob("edc-xml/*.xml"))) == 1  # the one answered
