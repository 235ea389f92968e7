"""export --ebsi-key/--ebsi-kid: the EBSI profile also as a JOSE-secured VCDM 2.0 credential,
signed with a key of the issuer's DID document. Proved with npm jose (node:crypto for ES256K,
which jose does not take) against the public key, and the official EBSI EDC JSON Schema."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from edcbridge.validation.ebsi_schema import validate_ebsi
from tests.conftest import FIXTURES, need_tool
from tests.test_ebsi_profile import ISSUER_DID, _catalogue_with_did, _official_errors

PEERS = Path(__file__).resolve().parent / "peers"
KID = ISSUER_DID + "#keys-1"
CLAIMS = ("iss", "jti", "sub", "iat", "nbf", "exp")


def _key_files(tmp_path: Path, curve: ec.EllipticCurve) -> tuple[Path, Path]:
    key = ec.generate_private_key(curve)
    private, public = tmp_path / "ebsi-key.pem", tmp_path / "ebsi-public.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def _export(tmp_path: Path, out: str, *extra: str, catalogue: Path | None = None) -> Any:
    return CliRunner().invoke(main, ["export", str(FIXTURES / "imperial/awards.csv"),
                                     "-c", str(catalogue or _catalogue_with_did(tmp_path, ISSUER_DID)),
                                     "-o", str(tmp_path / out), "--format", "ebsi", "-j", "1", "-q", *extra])


def _peer_verify(token: Path, public: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need_tool("node"), str(PEERS / "verify-did-jwt.mjs"), str(token), str(public)],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def schemas(store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> SchemaStore:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    return store


@pytest.mark.parametrize(("curve", "alg"), [(ec.SECP256R1(), "ES256"), (ec.SECP256K1(), "ES256K")])
def test_each_ebsi_profile_is_also_a_jwt_signed_by_the_issuers_did_key(
        schemas: SchemaStore, tmp_path: Path, curve: ec.EllipticCurve, alg: str) -> None:
    private, public = _key_files(tmp_path, curve)
    result = _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID)
    assert result.exit_code == 0, result.output
    tokens = sorted((tmp_path / "out/ebsi").glob("*.jwt"))
    assert tokens and len(tokens) == len(list((tmp_path / "out/ebsi").glob("*.json")))
    for token in tokens:
        verified = _peer_verify(token, public)
        assert verified.returncode == 0, verified.stderr
        seen = json.loads(verified.stdout)
        assert seen["header"] == {"alg": alg, "typ": "vc+jwt", "kid": KID}
        payload = seen["payload"]
        assert "vc" not in payload  # VCDM 2.0: the payload is the credential itself
        assert payload["issuer"]["id"] == payload["iss"] == ISSUER_DID
        assert payload["jti"] == payload["id"] and payload["sub"] == payload["credentialSubject"]["id"]
        unsigned = json.loads(token.with_suffix(".json").read_text("utf-8"))
        assert {k: v for k, v in payload.items() if k not in CLAIMS} == unsigned
        assert _official_errors(payload) == []
        assert validate_ebsi(payload, schemas) == []


def test_a_changed_payload_fails_verification(schemas: SchemaStore, tmp_path: Path) -> None:
    private, public = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    token = sorted((tmp_path / "out/ebsi").glob("*.jwt"))[0]
    head, body, signature = token.read_text("ascii").split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["credentialSubject"]["id"] = "urn:epass:person:someone-else"
    changed = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    forged = tmp_path / "forged.jwt"
    forged.write_text(f"{head}.{changed}.{signature}", "ascii")
    assert _peer_verify(token, public).returncode == 0
    assert _peer_verify(forged, public).returncode != 0


def test_a_kid_of_another_did_is_refused_before_any_work(schemas: SchemaStore, tmp_path: Path) -> None:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    result = _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", "did:ebsi:zOther#keys-1")
    assert result.exit_code == 2
    assert "--ebsi-kid names did:ebsi:zOther, but the catalogue's issuer" in result.stderr
    assert not list(tmp_path.glob("out/ebsi/*"))


def test_an_issuer_without_a_did_is_refused(schemas: SchemaStore, tmp_path: Path) -> None:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    result = _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID,
                     catalogue=FIXTURES / "imperial/catalogue.yaml")
    assert result.exit_code == 2 and "has no did" in result.stderr


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.BrainpoolP256R1()])
def test_a_key_ebsi_verifiers_do_not_check_is_refused(schemas: SchemaStore, tmp_path: Path,
                                                      curve: ec.EllipticCurve) -> None:
    private, _ = _key_files(tmp_path, curve)
    result = _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID)
    assert result.exit_code == 2 and "not an EC key on P-256 (ES256) or secp256k1" in result.stderr


@pytest.mark.parametrize(("kid", "with_key", "said"), [(KID, False, "--ebsi-key and --ebsi-kid go together"),
                                                      (ISSUER_DID, True, "is not a DID URL naming a key")])
def test_a_kid_alone_or_without_a_key_fragment_is_refused(schemas: SchemaStore, tmp_path: Path, kid: str,
                                                          with_key: bool, said: str) -> None:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    result = _export(tmp_path, "out", *(("--ebsi-key", str(private)) if with_key else ()), "--ebsi-kid", kid)
    assert result.exit_code == 2 and said in result.stderr


def test_the_unsigned_profile_stays_byte_identical_with_the_key(schemas: SchemaStore, tmp_path: Path) -> None:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "plain").exit_code == 0
    assert _export(tmp_path, "signed", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    plain = sorted((tmp_path / "plain/ebsi").iterdir())
    assert plain and all(p.suffix == ".json" for p in plain)
    for path in plain:
        assert (tmp_path / "signed/ebsi" / path.name).read_bytes() == path.read_bytes()


def test_adding_the_key_to_a_done_export_signs_what_was_done(schemas: SchemaStore, tmp_path: Path) -> None:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "out").exit_code == 0
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    report = json.loads((tmp_path / "out/report.json").read_text("utf-8"))
    assert report["records"] and all("ebsi-jwt" in r["outputs"] for r in report["records"])


def _records(tmp_path: Path, out: str) -> list[dict[str, Any]]:
    report = json.loads((tmp_path / out / "report.json").read_text("utf-8"))
    assert report["records"]
    return list(report["records"])


def _header(token: Path) -> dict[str, Any]:
    head = token.read_text("ascii").split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))))


def test_a_new_signing_key_signs_the_done_records_again(schemas: SchemaStore, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    old_private, old_public = _key_files(tmp_path / "old", ec.SECP256R1())
    new_private, new_public = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "out", "--ebsi-key", str(old_private), "--ebsi-kid", KID).exit_code == 0
    result = _export(tmp_path, "out", "--ebsi-key", str(new_private), "--ebsi-kid", KID)
    assert result.exit_code == 0, result.output
    records = _records(tmp_path, "out")
    assert all(r["status"] == "done" and r["redone"] == "the EBSI signing key changed" for r in records)
    for token in sorted((tmp_path / "out/ebsi").glob("*.jwt")):
        assert _peer_verify(token, new_public).returncode == 0
        assert _peer_verify(token, old_public).returncode != 0


def test_a_new_kid_for_the_same_key_signs_the_done_records_again(schemas: SchemaStore,
                                                                tmp_path: Path) -> None:
    private, public = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    rotated = ISSUER_DID + "#keys-2"
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", rotated).exit_code == 0
    assert all(r["redone"] == "the EBSI signing key changed" for r in _records(tmp_path, "out"))
    for token in sorted((tmp_path / "out/ebsi").glob("*.jwt")):
        assert _header(token)["kid"] == rotated
        assert _peer_verify(token, public).returncode == 0


@pytest.mark.parametrize("again", [("--ebsi-key", "KEY", "--ebsi-kid", KID), ()],
                         ids=["same-key", "without-the-key"])
def test_a_run_with_the_same_key_or_without_it_skips_the_signed_records(
        schemas: SchemaStore, tmp_path: Path, again: tuple[str, ...]) -> None:
    private, _ = _key_files(tmp_path, ec.SECP256R1())
    assert _export(tmp_path, "out", "--ebsi-key", str(private), "--ebsi-kid", KID).exit_code == 0
    tokens = {p: p.read_bytes() for p in (tmp_path / "out/ebsi").glob("*.jwt")}
    result = _export(tmp_path, "out", *(str(private) if arg == "KEY" else arg for arg in again))
    assert result.exit_code == 0, result.output
    assert all(r["status"] == "skipped" for r in _records(tmp_path, "out"))
    assert tokens and all(path.read_bytes() == data for path, data in tokens.items())
