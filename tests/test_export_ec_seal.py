"""An institution whose e-seal has an EC P-256 key exports sealed credentials too (ES256)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from tests.conftest import FIXTURES
from tests.test_badges_signing import _ec_key
from tests.test_seal_peers import _run_peer

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def test_export_seals_with_an_ec_seal_as_es256(env: None, tmp_path: Path) -> None:
    key = _ec_key(ec.SECP256R1(), load_catalogue(CATALOGUE))
    p12 = tmp_path / "ec-seal.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"seal", key.private_key, key.certificate, list(key.chain), BestAvailableEncryption(b"pw")))
    (tmp_path / "pw.txt").write_text("pw", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(AWARDS), "-c", str(CATALOGUE), "-o", str(out),
                                       "--seal", str(p12), "--password-file", str(tmp_path / "pw.txt"),
                                       "--level", "B-B", "-j", "1", "--format", "edc"])
    assert result.exit_code == 0, result.stderr
    sealed = sorted((out / "edc-sealed").glob("*.jsonld"))
    assert sealed
    for path in sealed:
        protected = json.loads(path.read_text("utf-8"))["signatures"][0]["protected"]
        header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
        assert header["alg"] == "ES256"
    assert all(line["ok"] for line in _run_peer(sealed))  # npm jose verifies each seal
