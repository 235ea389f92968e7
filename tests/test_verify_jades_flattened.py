"""verify checks a JAdES seal in the flattened JWS JSON serialisation (RFC 7515 7.2.2: one
signature's members beside the payload) as it checks the general one: the same signature."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from edcbridge.seal import Sealer, SealKey, devpki
from tests.conftest import seal_commands

CREDENTIAL = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:flattened",
                         "type": ["VerifiableCredential"]})


main = seal_commands()  # verify without a format check


def _flattened(pki: devpki.DevPki, path: Path, **extra: object) -> Path:
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    general = json.loads(sealer.seal(CREDENTIAL))
    path.write_text(json.dumps({"payload": general["payload"], **general["signatures"][0], **extra}), "utf-8")
    return path


def _verify(path: Path) -> Result:
    return CliRunner().invoke(main, ["verify", str(path)])


def test_a_flattened_seal_is_verified_like_the_general_one(pki: devpki.DevPki, tmp_path: Path) -> None:
    flattened = _flattened(pki, tmp_path / "flat.jsonld")
    result = _verify(flattened)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{flattened}: UNCONFIRMED: the seal is intact")


def test_a_flattened_seal_over_a_changed_payload_is_invalid(pki: devpki.DevPki, tmp_path: Path) -> None:
    flattened = _flattened(pki, tmp_path / "flat.jsonld")
    flattened.write_text(flattened.read_text("utf-8").replace("urn:x:flattened", "urn:x:flattenex"), "utf-8")
    result = _verify(flattened)
    assert result.exit_code == 1
    assert "INVALID: the seal does not verify" in result.stdout.splitlines()[0]
    assert "general serialisation" not in result.stdout


def test_both_serialisations_at_once_are_refused(pki: devpki.DevPki, tmp_path: Path) -> None:
    both = _flattened(pki, tmp_path / "both.jsonld", signatures=[])
    result = _verify(both)
    assert result.exit_code == 1 and "both" in result.stdout, result.output
