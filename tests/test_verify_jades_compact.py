"""A JAdES seal in the compact serialisation (``header.payload.signature``: the payload in
base64url, since an unencoded JSON payload holds dots) is verified like the JSON forms: npm
``jose`` accepts the file, and so does verify; a changed payload is INVALID."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from edcbridge.seal import devpki, jades
from tests.conftest import need_tool, seal_commands

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:compact",
                         "type": ["VerifiableCredential"]})
PEERS = Path(__file__).resolve().parent / "peers"


main = seal_commands()  # verify without a format check


def _compact(pki: devpki.DevPki, tmp_path: Path, credential: str = CREDENTIAL) -> Path:
    header = jades.protected_header(pki.seal.certificate, (pki.root.certificate,), "RS256", datetime.now(UTC))
    del header["b64"]
    header["crit"] = ["sigT"]
    protected = jades.b64url(jades.encode_json(header).encode("utf-8"))
    payload = jades.b64url(credential.encode("utf-8"))
    signature = jades.sign(pki.seal.key, "RS256", f"{protected}.{payload}".encode("ascii"))
    path = tmp_path / "compact.jws"
    path.write_text(f"{protected}.{payload}.{jades.b64url(signature)}\n", "utf-8")
    return path


def _anchor(pki: devpki.DevPki, tmp_path: Path) -> Path:
    anchor = tmp_path / "root.pem"
    anchor.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    return anchor


def test_jose_accepts_the_compact_seal_of_these_tests(pki: devpki.DevPki, tmp_path: Path) -> None:
    node = need_tool("node")
    if not (PEERS / "node_modules" / "jose").is_dir():
        pytest.fail(f"npm jose is missing: run `make peers` (npm ci in {PEERS})")
    run = subprocess.run([node, str(PEERS / "verify-compact.mjs"), str(_compact(pki, tmp_path))],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == json.loads(CREDENTIAL)


def test_a_compact_seal_is_verified(pki: devpki.DevPki, tmp_path: Path) -> None:
    compact = _compact(pki, tmp_path)
    result = CliRunner().invoke(main, ["verify", "--json", "--trust-anchor", str(_anchor(pki, tmp_path)),
                                       str(compact)])
    verdict = json.loads(result.stdout)[0]
    assert verdict["verdict"] == "VALID", verdict
    assert verdict["checks"]["SEAL"]["status"] == "OK", verdict["checks"]["SEAL"]
    assert verdict["checks"]["EXPIRY"]["status"] == "OK", verdict["checks"]["EXPIRY"]
    assert result.exit_code == 0


def test_a_compact_seal_over_a_changed_payload_is_invalid(pki: devpki.DevPki, tmp_path: Path) -> None:
    compact = _compact(pki, tmp_path)
    protected, _, signature = compact.read_text("utf-8").strip().split(".")
    forged = jades.b64url(CREDENTIAL.replace("urn:x:compact", "urn:x:forged").encode("utf-8"))
    compact.write_text(f"{protected}.{forged}.{signature}", "utf-8")
    result = CliRunner().invoke(main, ["verify", "--json", str(compact)])
    verdict = json.loads(result.stdout)[0]
    assert verdict["verdict"] == "INVALID", verdict
    assert result.exit_code == 1


def test_a_base64url_seal_that_sets_b64_must_list_it_as_critical(pki: devpki.DevPki, tmp_path: Path) -> None:
    header = jades.protected_header(pki.seal.certificate, (pki.root.certificate,), "RS256", datetime.now(UTC))
    header["b64"], header["crit"] = True, ["sigT"]
    protected = jades.b64url(jades.encode_json(header).encode("utf-8"))
    payload = jades.b64url(CREDENTIAL.encode("utf-8"))
    signature = jades.sign(pki.seal.key, "RS256", f"{protected}.{payload}".encode("ascii"))
    path = tmp_path / "b64.jws"
    path.write_text(f"{protected}.{payload}.{jades.b64url(signature)}", "utf-8")
    verdict = json.loads(CliRunner().invoke(main, ["verify", "--json", str(path)]).stdout)[0]
    assert verdict["verdict"] == "INVALID" and "crit must list b64" in verdict["checks"]["SEAL"]["reason"]
