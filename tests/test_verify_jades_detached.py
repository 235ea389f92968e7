"""`verify` on a seal whose payload is detached (RFC 7515 appendix F): the JWS JSON serialisation
without its payload, or with an empty one, and the compact form with nothing between its dots.
Such a file holds a signature without the credential it signs: it is unreadable as a sealed
credential, said in those words, never a seal shown broken. Each input is cut from an official
sealed sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edcbridge.seal.cli import make_verify_command
from edcbridge.seal.verify import verify_document

SAMPLE = Path("examples") / "elm-repo-v3-jsonld" / "Sample-CertOfPart-signed.jsonld"


def _detached(form: str, sealed: dict[str, Any]) -> bytes:
    signature = sealed["signatures"][0]
    if form == "compact":
        return f"{signature['protected']}..{signature['signature']}".encode()
    if form == "no payload":
        del sealed["payload"]
    else:
        sealed["payload"] = ""
    return json.dumps(sealed).encode()


@pytest.mark.parametrize("form", ["no payload", "empty payload", "compact"])
def test_a_detached_payload_is_named(form: str, reference: Path, tmp_path: Path) -> None:
    data = _detached(form, json.loads((reference / SAMPLE).read_bytes()))
    seal = verify_document(data).checks["SEAL"]
    assert seal.status == "ERROR"
    assert "payload is detached" in seal.reason, seal.reason
    path = tmp_path / "detached.jsonld"
    path.write_bytes(data)
    result = CliRunner().invoke(make_verify_command(), [str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"{path}: UNREADABLE"), result.output
    assert "changed after sealing" not in result.output
