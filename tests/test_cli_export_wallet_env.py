"""`export` delivers to wallets only when --deliver-wallet is given on its command line: the
variable `push wallet` reads for its wallet (EDCBRIDGE_WALLET_URL) does not turn it on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from tests.conftest import FIXTURES


def test_the_wallet_variable_alone_delivers_nothing(store, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    monkeypatch.setenv("EDCBRIDGE_WALLET_URL", "http://127.0.0.1:9/wallet")  # set for push wallet
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "wales" / "awards.csv"), "-c",
                                       str(FIXTURES / "wales" / "catalogue.yaml"), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output  # before: exit 2, "--deliver-wallet needs --seal"
    assert not (out / "deliveries.csv").exists()
    assert list((out / "edc").glob("*.jsonld"))


def test_the_option_given_still_asks_for_a_seal(store, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "wales" / "awards.csv"), "-c",
                                       str(FIXTURES / "wales" / "catalogue.yaml"), "-o", str(tmp_path / "o"),
                                       "--deliver-wallet", "http://127.0.0.1:9/wallet"])
    assert result.exit_code == 2
    assert "--deliver-wallet needs --seal" in result.output


def test_a_wallet_the_credentials_cannot_go_to_safely_stops_the_export_before_any_work(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.load import load_catalogue
    from edcbridge.sealing import demo_seal

    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    catalogue = FIXTURES / "wales" / "catalogue.yaml"
    seal = demo_seal(tmp_path / "seal", load_catalogue(catalogue))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(FIXTURES / "wales" / "awards.csv"), "-c", str(catalogue),
                                       "-o", str(out), "--seal", str(seal.p12), "--password-file",
                                       str(seal.p12.parent / "seal-password.txt"),
                                       "--deliver-wallet", "http://192.0.2.7/wallet"])
    assert result.exit_code == 2, result.output
    assert "--deliver-wallet: the wallet URL 'http://192.0.2.7/wallet' is not https" in result.stderr
    assert not out.exists()
