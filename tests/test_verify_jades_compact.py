"""A JAdES seal in the compact serialisation (``header.payload.signature``: the payload in
base64url, since an unencoded JSON payload holds dots) is recognised by verify: it is a seal
over a base64url payload, which verify does not check, so the verdict is CHECK (neither
confirmed nor shown broken), not an unreadable file or a printout."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from click.testing import CliRunner

from edcbridge.seal import devpki, jades
from edcbridge.seal.cli import register as register_seal

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:compact",
                         "type": ["VerifiableCredential"]})


@click.group()
def main() -> None:
    """verify without a format check."""


register_seal(main)


def _compact(tmp_path: Path) -> Path:
    pki = devpki.generate()
    header = jades.protected_header(pki.seal.certificate, (pki.root.certificate,), "RS256", datetime.now(UTC))
    del header["b64"]
    header["crit"] = ["sigT"]
    protected = jades.b64url(jades.encode_json(header).encode("utf-8"))
    payload = jades.b64url(CREDENTIAL.encode("utf-8"))
    signature = jades.sign(pki.seal.key, "RS256", f"{protected}.{payload}".encode("ascii"))
    path = tmp_path / "compact.jws"
    path.write_text(f"{protected}.{payload}.{jades.b64url(signature)}\n", "utf-8")
    return path


def test_a_compact_seal_is_recognised_and_said_to_be_unchecked_here(tmp_path: Path) -> None:
    compact = _compact(tmp_path)
    result = CliRunner().invoke(main, ["verify", "--json", str(compact)])
    verdict = json.loads(result.stdout)[0]
    assert verdict["verdict"] == "CHECK", verdict
    assert "cannot be checked here" in verdict["checks"]["SEAL"]["reason"]
    assert "base64url" in verdict["checks"]["SEAL"]["reason"]
    assert "not a JSON document" not in result.stdout and "printout" not in result.stdout
    assert verdict["checks"]["EXPIRY"]["status"] == "OK", verdict["checks"]["EXPIRY"]
