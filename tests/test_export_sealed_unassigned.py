"""A sealed credential whose row holds a character Unicode has not assigned (one newer than the
tables of the Python that runs the export, or none yet) is sealed with that character written
as a JSON escape: the same credential, which npm jose accepts, where it refused the character
as written ("JWS Payload must not contain unassigned Unicode code points")."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES, need_tool

CATALOGUE = FIXTURES / "imperial" / "catalogue.yaml"
AWARDS = FIXTURES / "imperial" / "awards.csv"
PEERS = Path(__file__).resolve().parent / "peers"


def test_a_name_holding_an_unassigned_code_point_is_sealed_as_its_escape(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    lines = AWARDS.read_text("utf-8-sig").splitlines(keepends=True)
    awards = tmp_path / "awards.csv"
    awards.write_text(lines[0] + lines[2].replace(",Eleni,", ",Eleni\u0378\U0001f600,", 1), "utf-8")
    assert "\u0378" in awards.read_text("utf-8")
    demo_seal(tmp_path / "seal", load_catalogue(CATALOGUE))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(awards), "-c", str(CATALOGUE), "-o", str(out), "--seal",
                                       str(tmp_path / "seal" / "seal.p12"), "--password-file",
                                       str(tmp_path / "seal" / "seal-password.txt"), "-j", "1"])
    assert result.exit_code == 0, result.output
    (plain,), (sealed,) = list((out / "edc").iterdir()), list((out / "edc-sealed").iterdir())
    payload = json.loads(sealed.read_text("utf-8"))["payload"]
    assert "\\u0378" in payload and "\u0378" not in payload and "\U0001f600" in payload
    assert json.loads(payload) == json.loads(plain.read_text("utf-8"))  # the same credential
    node = need_tool("node")
    if not (PEERS / "node_modules" / "jose").is_dir():
        pytest.fail(f"npm jose is missing: run `make peers` (npm ci in {PEERS})")
    run = subprocess.run([node, str(PEERS / "verify-jades.mjs"), str(sealed)], capture_output=True,
                         text=True, check=False, timeout=120)
    assert json.loads(run.stdout)["ok"], run.stdout
    verified = CliRunner().invoke(main, ["verify", str(sealed)])
    assert "SEAL       OK" in verified.stdout, verified.stdout
