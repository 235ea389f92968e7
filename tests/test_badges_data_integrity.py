"""Open Badges and CLRs signed with an Ed25519 seal carry Data Integrity ``eddsa-rdfc-2022``
proofs, on the credential and on every Open Badge a CLR embeds, checked with Digital Bazaar's
implementation (npm jsonld-signatures, @digitalbazaar/data-integrity and
@digitalbazaar/eddsa-rdfc-2022-cryptosuite in tests/peers) and the official 1EdTech schemas."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding

from edcbridge.badges import validate_badge
from edcbridge.badges.schemas import CONTEXTS
from edcbridge.load import load_catalogue
from edcbridge.preview.cli import register
from edcbridge.seal.keys import Ed25519SealKey, SealKey
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES, need_tool
from tests.preview_support import PEERS
from tests.test_badges_signing import ed25519_seal, seal_options

SOFIA = FIXTURES / "sofia"  # a learner there holds two awards: a CLR embedding two Open Badges
_PACKAGES = ("jsonld-signatures", "@digitalbazaar/data-integrity",
             "@digitalbazaar/eddsa-rdfc-2022-cryptosuite")


def _badges(out: Path, *seal: str) -> None:
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["badges", str(SOFIA / "awards.jsonl"), "-c",
                                        str(SOFIA / "catalogue.yaml"), "-o", str(out), *seal])
    assert result.exit_code == 0, result.output


def _digital_bazaar(files: list[Path], certificate: Any, reference: Path, work: Path) -> list[dict[str, Any]]:
    """Each file's result from the npm verifier, which serves only ``certificate``'s key and the
    official contexts from the reference folder."""
    node = need_tool("node")
    for package in _PACKAGES:
        if not (PEERS / "node_modules" / package).is_dir():
            pytest.fail(f"npm {package} is missing: run `make peers` (npm ci in {PEERS})")
    contexts = work / "contexts.json"
    local = {url: reference / "ob3-clr" / relative for url, relative in CONTEXTS.items()}
    contexts.write_text(json.dumps({url: str(path.resolve()) for url, path in local.items()}), "utf-8")
    cert = work / "seal.pem"
    cert.write_bytes(certificate.public_bytes(Encoding.PEM))
    result = subprocess.run([node, "verify-data-integrity.mjs", str(contexts), str(cert), *map(str, files)],
                            cwd=PEERS, capture_output=True, text=True, check=False, timeout=300)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(files), result.stderr
    return lines


@pytest.fixture(scope="module")
def ed25519_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519SealKey]:
    work = tmp_path_factory.mktemp("ed25519")
    key = ed25519_seal(load_catalogue(SOFIA / "catalogue.yaml"))
    _badges(work / "out", *seal_options(work, key))
    return work / "out", key


def test_every_badge_and_clr_carries_a_proof_digital_bazaar_verifies(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path) -> None:
    out, key = ed25519_out
    files = sorted(out.glob("*/*.json"))
    assert {path.parent.name for path in files} == {"ob3", "clr"}
    results = _digital_bazaar(files, key.certificate, reference, tmp_path)
    assert all(r["ok"] and all(r["embedded"]) for r in results), results
    clrs = [r for path, r in zip(files, results, strict=True) if path.parent.name == "clr"]
    assert max(len(r["embedded"]) for r in clrs) == 2
    for path in files:
        doc = json.loads(path.read_bytes())
        assert [p["cryptosuite"] for p in doc["proof"]] == ["eddsa-rdfc-2022"]
        assert validate_badge(doc, reference / "ob3-clr") == [], path


def test_a_changed_credential_or_another_key_fails_digital_bazaars_check(
        ed25519_out: tuple[Path, Ed25519SealKey], reference: Path, tmp_path: Path) -> None:
    out, key = ed25519_out
    clr = max(out.glob("clr/*.json"), key=lambda p: len(json.loads(p.read_bytes())["credentialSubject"]
                                                          ["verifiableCredential"]))
    doc = json.loads(clr.read_bytes())
    doc["credentialSubject"]["verifiableCredential"][1]["name"] = "Another achievement"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc), "utf-8")
    [result] = _digital_bazaar([changed], key.certificate, reference, tmp_path)
    assert result["ok"] is False and result["embedded"] == [True, False]
    [result] = _digital_bazaar([clr], ed25519_seal().certificate, reference, tmp_path)
    assert result["ok"] is False and result["embedded"] == [False, False]


def test_the_proofs_are_the_same_bytes_on_every_run(ed25519_out: tuple[Path, Ed25519SealKey],
                                                    tmp_path: Path) -> None:
    out, key = ed25519_out
    _badges(tmp_path / "again", *seal_options(tmp_path, key))
    for path in sorted(out.glob("*/*.json")):
        assert (tmp_path / "again" / path.parent.name / path.name).read_bytes() == path.read_bytes()


def test_an_rsa_seal_adds_no_embedded_proof(tmp_path: Path) -> None:
    catalogue = load_catalogue(SOFIA / "catalogue.yaml")
    key: SealKey = demo_seal(tmp_path / "seal", catalogue).load().key
    _badges(tmp_path / "out", *seal_options(tmp_path, key))
    for path in sorted((tmp_path / "out").glob("*/*.json")):
        doc = json.loads(path.read_bytes())
        held = doc["credentialSubject"].get("verifiableCredential", [])
        assert "proof" not in doc and all("proof" not in badge for badge in held)
