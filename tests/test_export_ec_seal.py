"""An institution whose e-seal has an EC key exports sealed credentials too, signed with the
algorithm of its curve: ES256 (P-256), ES384 (P-384), ES512 (P-521)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.seal.keys import SealKey
from edcbridge.sealing import SealFactory
from tests.conftest import FIXTURES
from tests.test_badges_signing import _ec_key
from tests.test_seal_peers import _run_peer

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"


@pytest.fixture
def env(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


def _p12(key: SealKey, folder: Path) -> Path:
    p12 = folder / "ec-seal.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"seal", key.private_key, key.certificate, list(key.chain), BestAvailableEncryption(b"pw")))
    (folder / "pw.txt").write_text("pw", "utf-8")
    return p12


@pytest.mark.parametrize(("curve", "alg"), [(ec.SECP256R1(), "ES256"), (ec.SECP384R1(), "ES384"),
                                            (ec.SECP521R1(), "ES512")])
def test_export_seals_with_an_ec_seal_in_the_algorithm_of_its_curve(
        env: None, tmp_path: Path, curve: ec.EllipticCurve, alg: str) -> None:
    key = _ec_key(curve, load_catalogue(CATALOGUE))
    p12 = _p12(key, tmp_path)
    assert SealFactory(p12, b"pw", "B-B").identity().endswith(f",alg={alg}")
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
        assert header["alg"] == alg
    assert all(line["ok"] for line in _run_peer(sealed))  # npm jose verifies each seal
    anchor = tmp_path / "root.pem"
    anchor.write_bytes(key.chain[0].public_bytes(Encoding.PEM))
    verified = CliRunner().invoke(main, ["verify", "--json", "--trust-anchor", str(anchor),
                                         *map(str, sealed)])
    assert verified.exit_code == 0, verified.output
    assert all(doc["checks"]["SEAL"]["reason"].startswith(f"{alg} signature valid")
               for doc in json.loads(verified.stdout))
