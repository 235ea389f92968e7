"""``verify`` of an Open Badge or CLR VC-JWT signed with an RSA or EC seal, its seal certificate
in the x5c of its header's jwk: the certificate whose key verified the signature is chained to the
``--trust-anchor`` certificates as a JAdES seal's is, so the token gets the verdict a JAdES
credential sealed with the same seal gets (VALID, INVALID for an unknown root, UNCONFIRMED with no
anchor). npm jose, with Node's own X.509 code for the chain, agrees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from edcbridge.badges.jwt import decoded_parts
from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.seal import Sealer, devpki, jades
from edcbridge.seal.keys import SealKey
from edcbridge.seal.verify import CHECKS
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES, fixture_credentials
from tests.preview_support import run_jose
from tests.test_badges_signing import _ec_key, seal_options

WALES = FIXTURES / "wales"
FIRST = fixture_credentials()[0][1]

_JOSE_CHAIN = """
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { compactVerify, importX509, decodeProtectedHeader } from "jose";
const [root, ...files] = process.argv.slice(1);
const anchor = new X509Certificate(readFileSync(root));
console.log(JSON.stringify({ anchor: true }));
for (const file of files) {
  try {
    const token = readFileSync(file, "utf8").trim();
    const header = decodeProtectedHeader(token);
    const der = header.jwk.x5c[0].match(/.{1,64}/g).join("\\n");
    const pem = `-----BEGIN CERTIFICATE-----\\n${der}\\n-----END CERTIFICATE-----\\n`;
    await compactVerify(token, await importX509(pem, header.alg), { algorithms: [header.alg] });
    const leaf = new X509Certificate(pem);
    const chains = leaf.checkIssued(anchor) && leaf.verify(anchor.publicKey);
    console.log(JSON.stringify({ ok: true, chains }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: `${error.code ?? error.name}: ${error.message}` }));
  }
}
"""


def _peer(root: Path, files: list[Path]) -> list[dict[str, Any]]:
    """npm jose's verdict on each token against its x5c certificate, and whether Node finds that
    certificate issued by ``root``."""
    lines = run_jose(_JOSE_CHAIN, [root, *files])[0]
    assert lines[0] == {"anchor": True}, lines
    return lines[1:]


class Sealed:
    """Badges and CLRs signed with one seal, the PEM of the root that issued it, and a JAdES
    credential sealed with the same seal."""

    def __init__(self, folder: Path, key: SealKey, root: Path, seal: list[str]) -> None:
        result = CliRunner().invoke(main, ["badges", str(WALES / "awards.csv"), "-c",
                                           str(WALES / "catalogue.yaml"), "-o", str(folder / "out"), *seal])
        assert result.exit_code == 0, result.output
        self.key, self.root = key, root
        self.tokens = [next((folder / "out").glob("ob3/*.jwt")), next((folder / "out").glob("clr/*.jwt"))]
        self.jades = folder / "sealed.json"
        sealer = Sealer(key, algorithm=None)
        self.jades.write_text(sealer.seal(json.dumps(FIRST, ensure_ascii=False)), "utf-8")
        other = devpki.generate().root.certificate
        self.other_root = folder / "other-root.pem"
        self.other_root.write_bytes(other.public_bytes(Encoding.PEM))


@pytest.fixture(scope="module", params=["demo-rsa", "ec"])
def sealed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    folder = tmp_path_factory.mktemp(request.param)
    catalogue = load_catalogue(WALES / "catalogue.yaml")
    if request.param == "demo-rsa":
        factory = demo_seal(folder / "seal", catalogue)
        (folder / "password.txt").write_bytes(factory.password)
        seal = ["--seal", str(factory.p12), "--password-file", str(folder / "password.txt")]
        return Sealed(folder, factory.load().key, folder / "seal" / "root-ca.pem", seal)
    key = _ec_key(ec.SECP256R1(), catalogue)
    root = folder / "root.pem"
    root.write_bytes(key.chain[-1].public_bytes(Encoding.PEM))
    return Sealed(folder, key, root, seal_options(folder, key))


def _verify(*args: str) -> tuple[int, list[dict[str, Any]]]:
    """``verify --json`` of the seal layer alone (no EDC format or issuer check, which a badge
    does not get), so a JAdES credential and a token of one seal are judged alike."""
    from edcbridge.seal.cli import register

    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["verify", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_a_token_chaining_to_a_trust_anchor_is_valid_as_a_jades_credential_of_its_seal_is(
        sealed: Sealed) -> None:
    code, reports = _verify("--trust-anchor", str(sealed.root), str(sealed.jades), *map(str, sealed.tokens))
    assert code == 0, reports
    jades_report, *token_reports = reports
    assert jades_report["verdict"] == "VALID", jades_report
    for report in token_reports:
        assert report["verdict"] == "VALID" and report["ok"] is True, report
        assert list(report["checks"]) == list(CHECKS)
        seal = report["checks"]["SEAL"]
        assert seal["status"] == "OK" and "; chain to trust anchor 'CN=" in seal["reason"], seal
        assert report["sealed_by"] == jades_report["sealed_by"] == "Aberystwyth University"
        assert report["certificate"] == jades_report["certificate"]
    assert _peer(sealed.root, sealed.tokens) == [{"ok": True, "chains": True}] * 2


def test_a_token_chaining_to_an_unknown_root_gets_the_verdict_jades_gives(sealed: Sealed) -> None:
    code, reports = _verify("--trust-anchor", str(sealed.other_root), str(sealed.jades),
                            *map(str, sealed.tokens))
    assert code == 1, reports
    jades_report, *token_reports = reports
    assert jades_report["verdict"] == "INVALID", jades_report
    for report in token_reports:
        assert report["verdict"] == "INVALID" and report["ok"] is False, report
        assert jades_report["verdict_reason"] in report["verdict_reason"], report
        assert "but not trusted at verification time" in report["checks"]["SEAL"]["reason"]
    assert _peer(sealed.other_root, sealed.tokens) == [{"ok": True, "chains": False}] * 2


def test_without_a_trust_anchor_a_token_is_unconfirmed_and_require_trust_fails_it(sealed: Sealed) -> None:
    code, reports = _verify(str(sealed.jades), str(sealed.tokens[0]))
    assert code == 0 and [r["verdict"] for r in reports] == ["UNCONFIRMED", "UNCONFIRMED"], reports
    code, [report] = _verify("--require-trust", str(sealed.tokens[0]))
    assert code == 1 and report["checks"]["SEAL"]["status"] == "ERROR", report


def _resigned(token: Path, target: Path, header: dict[str, Any], key: Any, body: str | None = None) -> Path:
    """``token``'s payload (or ``body``, base64url) under ``header``, signed with ``key`` (RS256
    or ES256)."""
    head = jades.b64url(json.dumps(header).encode("utf-8"))
    data = f"{head}.{body or token.read_text('ascii').strip().split('.')[1]}".encode("ascii")
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        from edcbridge.seal import jose_ec

        signature = jose_ec.sign(key, jose_ec.by_curve(jose_ec.algorithms(*jose_ec.NIST))["secp256r1"], data)
    target.write_text(f"{head}.{data.decode('ascii').split('.')[1]}.{jades.b64url(signature)}", "ascii")
    return target


def _another_key(key: SealKey) -> Any:
    if isinstance(key.private_key, rsa.RSAPrivateKey):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def test_a_trusted_certificate_in_the_x5c_of_a_token_another_key_signed_is_not_valid(
        sealed: Sealed, tmp_path: Path) -> None:
    """The x5c leaf must hold the key that verified the signature: a trusted certificate copied
    into the header of a token signed with another key proves nothing."""
    header, _ = decoded_parts(sealed.tokens[0].read_text("ascii"))
    forger = _another_key(sealed.key)
    forged_jwk = {**_public_jwk(forger.public_key()), "x5c": header["jwk"]["x5c"]}
    beside = _resigned(sealed.tokens[0], tmp_path / "beside.jwt", {**header, "jwk": forged_jwk}, forger)
    under = _resigned(sealed.tokens[0], tmp_path / "under.jwt", header, forger)
    code, reports = _verify("--trust-anchor", str(sealed.root), str(beside), str(under))
    assert code == 1, reports
    assert [r["verdict"] for r in reports] == ["INVALID", "INVALID"], reports
    assert "the JWT header's jwk is not the key of its x5c certificate" in reports[0]["verdict_reason"]
    assert "the JWT signature does not verify" in reports[1]["verdict_reason"]
    assert [peer["ok"] for peer in _peer(sealed.root, [beside, under])] == [False, False]


def _public_jwk(public: Any) -> dict[str, Any]:
    from edcbridge.badges.jwt import _key_jwk

    return _key_jwk(public)


def test_a_token_the_seal_signed_over_a_payload_holding_nan_is_not_valid(sealed: Sealed,
                                                                        tmp_path: Path) -> None:
    """NaN is no JSON (RFC 8259): other readers refuse such a payload, so its signature is not
    enough; the other files are still checked."""
    header, payload = decoded_parts(sealed.tokens[0].read_text("ascii"))
    payload["credentialSubject"]["points"] = [1, float("nan")]
    body = jades.b64url(json.dumps(payload).encode("utf-8"))
    assert b"NaN" in jades.b64url_decode(body)
    nan = _resigned(sealed.tokens[0], tmp_path / "nan.jwt", header, sealed.key.private_key, body)
    code, reports = _verify("--trust-anchor", str(sealed.root), str(nan), str(sealed.tokens[1]))
    assert code == 1 and [r["verdict"] for r in reports] == ["INVALID", "VALID"], reports
    assert "credential holds NaN at $.credentialSubject.points[1]" in reports[0]["verdict_reason"]
