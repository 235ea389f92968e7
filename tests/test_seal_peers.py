"""An independent JWS implementation (npm jose) accepts what edcbridge seals."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.seal import devpki, keys
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.tsa import TsaClient
from tests.conftest import need_tool

PEERS = Path(__file__).resolve().parent / "peers"
PAYLOAD = '{\n "id": "urn:credential:peer",\n "name": "Zeugnis – ä ✓",\n "n": 1.0\n}'


def _run_peer(files: list[Path]) -> list[dict[str, object]]:
    node = need_tool("node")
    if not (PEERS / "node_modules" / "jose").is_dir():
        pytest.fail(f"npm jose is missing: run `make peers` (npm ci in {PEERS})")
    result = subprocess.run(
        [node, str(PEERS / "verify-jades.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(files), result.stderr
    assert result.returncode == (0 if all(line["ok"] for line in lines) else 1)
    return lines


def _sealed_outputs(pki: devpki.DevPki, tsa: TsaClient, out: Path) -> list[Path]:
    chain = (pki.root.certificate,)
    rsa_key = keys.SealKey(pki.seal.key, pki.seal.certificate, chain)
    sealers = {
        "rs256-b-b": Sealer(rsa_key),
        "ps256-b-t": Sealer(rsa_key, algorithm="PS256", tsa=tsa, level=Level.B_T),
        "rs256-b-lt": Sealer(rsa_key, tsa=tsa, crls=[pki.crl]),
        "es256-b-b": Sealer(devpki.ec_seal_key(pki), algorithm="ES256"),
        "es384-b-t": Sealer(devpki.ec_seal_key(pki, curve=ec.SECP384R1()), algorithm=None, tsa=tsa,
                            level=Level.B_T),
        "es512-b-lt": Sealer(devpki.ec_seal_key(pki, curve=ec.SECP521R1()), algorithm=None, tsa=tsa,
                             crls=[pki.crl]),
    }
    paths = []
    for name, sealer in sealers.items():
        path = out / f"{name}.jsonld"
        path.write_text(sealer.seal(PAYLOAD), encoding="utf-8")
        paths.append(path)
    return paths


def test_jose_accepts_our_seals(pki: devpki.DevPki, tsa: TsaClient, tmp_path: Path) -> None:
    paths = _sealed_outputs(pki, tsa, tmp_path)
    results = _run_peer(paths)
    assert [r["ok"] for r in results] == [True] * len(paths), results
    assert {r["alg"] for r in results} == {"RS256", "PS256", "ES256", "ES384", "ES512"}


def test_jose_rejects_tampered_seals(pki: devpki.DevPki, tsa: TsaClient, tmp_path: Path) -> None:
    tampered = []
    for path in _sealed_outputs(pki, tsa, tmp_path):
        text = path.read_text(encoding="utf-8")
        changed = text.replace("peer", "pear", 1)
        assert changed != text
        target = path.with_name(f"tampered-{path.name}")
        target.write_text(changed, encoding="utf-8")
        tampered.append(target)
    results = _run_peer(tampered)
    assert [r["ok"] for r in results] == [False] * len(tampered)


def test_jose_accepts_reference_samples(reference: Path) -> None:
    samples = [
        *reference.glob("examples/elm-repo-v3-jsonld/*-signed.jsonld"),
        *reference.glob("mynextid-edc/*/v1/edc/examples/*-signed.jsonld"),
    ]
    assert len(samples) == 9
    assert all(r["ok"] for r in _run_peer(samples))


def test_a_payload_jose_refuses_for_an_unassigned_code_point_is_noted_by_verify(pki: devpki.DevPki,
                                                                                tmp_path: Path) -> None:
    """Sealed elsewhere with U+0378 written as it is: the seal is sound (verify says so), but npm
    jose refuses it, and a holder relying on the credential elsewhere should know."""
    from click.testing import CliRunner

    from edcbridge.cli import main

    sealer = Sealer(keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    path, escaped = tmp_path / "raw.jsonld", tmp_path / "escaped.jsonld"
    path.write_text(sealer.seal(PAYLOAD.replace("ä", "ä\u0378")), encoding="utf-8")
    escaped.write_text(sealer.seal(PAYLOAD.replace("ä", "ä\\u0378")), encoding="utf-8")
    assert [r["ok"] for r in _run_peer([path, escaped])] == [False, True]
    said = CliRunner().invoke(main, ["verify", str(path), str(escaped)]).stdout
    raw_lines, escaped_lines = said.split(f"{escaped}:")
    assert "SEAL       OK" in raw_lines and "U+0378 as written" in raw_lines
    assert "npm jose refuse" in raw_lines
    assert "U+0378" not in escaped_lines
