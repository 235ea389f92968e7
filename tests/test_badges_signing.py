"""Who may sign a badge and with which algorithm: the seal's own organisation, the JOSE
algorithm of the seal's key; tokens checked with an independent JOSE implementation (npm jose)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from edcbridge.badges import JwtError, open_badge, read_vc_jwt, sign_vc_jwt, write_ob3
from edcbridge.load import load_catalogue
from edcbridge.model import Award, Catalogue, parse
from edcbridge.preview.cli import register
from edcbridge.seal import devpki, jades
from edcbridge.seal.keys import Ed25519SealKey, SealKey
from edcbridge.sealing import demo_seal, issuer_identity
from tests.conftest import FIXTURES
from tests.preview_support import first_award, run_jose

_JOSE = """
import { readFileSync } from "node:fs";
import { compactVerify, importJWK, importX509, decodeProtectedHeader } from "jose";
for (const file of process.argv.slice(1)) {
  try {
    const token = readFileSync(file, "utf8").trim();
    const header = decodeProtectedHeader(token);
    const der = header.jwk.x5c[0].match(/.{1,64}/g).join("\\n");
    const pem = `-----BEGIN CERTIFICATE-----\\n${der}\\n-----END CERTIFICATE-----\\n`;
    const cert = await importX509(pem, header.alg);
    await compactVerify(token, cert, { algorithms: [header.alg] });
    await compactVerify(token, await importJWK(header.jwk, header.alg), { algorithms: [header.alg] });
    console.log(JSON.stringify({ ok: true, alg: header.alg, crv: header.jwk.crv }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: `${error.code ?? error.name}: ${error.message}` }));
  }
}
"""


def _jose(files: list[Path]) -> list[dict[str, Any]]:
    """Verify with npm jose against both the jwk's x5c certificate and the jwk, any JOSE algorithm."""
    return run_jose(_JOSE, files)[0]


def _ec_key(curve: ec.EllipticCurve, catalogue: Catalogue | None = None) -> SealKey:
    """A TEST seal on ``curve`` (for the catalogue's issuer when given) under a TEST root."""
    key = ec.generate_private_key(curve)
    certificate, root = _certify(key, catalogue)
    return SealKey(key, certificate, (root,))


def ed25519_seal(catalogue: Catalogue | None = None) -> Ed25519SealKey:
    """A TEST Ed25519 seal (for the catalogue's issuer when given) under a TEST root."""
    key = ed25519.Ed25519PrivateKey.generate()
    certificate, root = _certify(key, catalogue)
    return Ed25519SealKey(key, certificate, (root,))


def _certify(key: Any, catalogue: Catalogue | None) -> tuple[Any, Any]:
    """A TEST seal certificate for ``key`` and the TEST root that issued it."""
    pki = devpki.generate()
    who = issuer_identity(catalogue) if catalogue is not None else None
    now = dt.datetime.now(dt.UTC)
    issued = devpki.issue_seal_certificate(
        pki.root, organisation=who.legal_name if who else "EDCBRIDGE TEST EC",
        organisation_identifier=who.organisation_identifier if who else "NTRBE-TEST0009",
        country=who.country if who else "BE", not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=30), key=key)
    return issued.certificate, pki.root.certificate


@pytest.mark.parametrize(("curve", "alg", "size"), [(ec.SECP256R1(), "ES256", 32),
                                                    (ec.SECP384R1(), "ES384", 48),
                                                    (ec.SECP521R1(), "ES512", 66)])
def test_ec_seals_sign_with_the_algorithm_of_their_curve(tmp_path: Path, curve: ec.EllipticCurve, alg: str,
                                                         size: int) -> None:
    award, catalogue = first_award("wales")
    badge = open_badge(award, catalogue)
    token = sign_vc_jwt(badge, _ec_key(curve))
    header, payload, _ = read_vc_jwt(token)
    assert header["alg"] == alg and len(jades.b64url_decode(header["jwk"]["x"])) == size
    assert payload["jti"] == badge["id"]
    path = tmp_path / "badge.jwt"
    path.write_text(token, "ascii")
    assert _jose([path]) == [{"ok": True, "alg": alg, "crv": header["jwk"]["crv"]}]
    with pytest.raises(JwtError, match="does not fit"):
        sign_vc_jwt(badge, _ec_key(curve), "ES256" if alg != "ES256" else "ES384")


def test_an_ed25519_seal_signs_eddsa_that_jose_verifies(tmp_path: Path) -> None:
    award, catalogue = first_award("wales")
    badge = open_badge(award, catalogue)
    key = ed25519_seal()
    token = sign_vc_jwt(badge, key)
    header, payload, cert = read_vc_jwt(token)
    assert header["alg"] == "EdDSA" and header["jwk"]["kty"] == "OKP" and header["jwk"]["crv"] == "Ed25519"
    assert payload["jti"] == badge["id"] and cert == key.certificate
    path = tmp_path / "badge.jwt"
    path.write_text(token, "ascii")
    assert _jose([path]) == [{"ok": True, "alg": "EdDSA", "crv": "Ed25519"}]
    with pytest.raises(JwtError, match="does not fit this seal's Ed25519 key; use EdDSA"):
        sign_vc_jwt(badge, key, "ES256")


def test_a_changed_eddsa_token_is_refused_and_a_bare_okp_jwk_verifies(tmp_path: Path) -> None:
    award, catalogue = first_award("wales")
    badge = open_badge(award, catalogue)
    key = ed25519_seal()
    head, body, signature = sign_vc_jwt(badge, key).split(".")
    claims = {**json.loads(jades.b64url_decode(body)), "name": "Other"}
    changed = jades.b64url(jades.encode_json(claims).encode())
    with pytest.raises(JwtError, match="does not verify"):
        read_vc_jwt(f"{head}.{changed}.{signature}")
    path = tmp_path / "changed.jwt"
    path.write_text(f"{head}.{changed}.{signature}", "ascii")
    assert _jose([path])[0]["ok"] is False
    header = json.loads(jades.b64url_decode(head))
    header["jwk"] = {k: v for k, v in header["jwk"].items() if k != "x5c"}
    bare = jades.b64url(jades.encode_json(header).encode())
    token = f"{bare}.{body}.{jades.b64url(key.private_key.sign(f'{bare}.{body}'.encode('ascii')))}"
    _, payload, cert = read_vc_jwt(token)
    assert payload["jti"] == badge["id"] and cert is None


def seal_options(tmp_path: Path, key: SealKey | Ed25519SealKey) -> list[str]:
    """``--seal`` and ``--password-file`` options of a PKCS#12 file holding ``key``."""
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", key.private_key, key.certificate,
                                                          list(key.chain), BestAvailableEncryption(b"pw")))
    password = tmp_path / "password.txt"
    password.write_text("pw", "utf-8")
    return ["--seal", str(p12), "--password-file", str(password)]


def test_badges_signs_with_an_ed25519_seal_file(tmp_path: Path) -> None:
    _, catalogue = first_award("wales")
    group = click.Group()
    register(group)
    wales = FIXTURES / "wales"
    seal = seal_options(tmp_path, ed25519_seal(catalogue))
    result = CliRunner().invoke(group, ["badges", str(wales / "awards.csv"), "-c",
                                        str(wales / "catalogue.yaml"), "-o", str(tmp_path / "out"), *seal])
    assert result.exit_code == 0, result.output
    assert "the .json files carry Data Integrity proofs (eddsa-rdfc-2022)" in result.stderr
    tokens = sorted((tmp_path / "out").glob("*/*.jwt"))
    assert {p.parent.name for p in tokens} == {"ob3", "clr"}
    assert all(r == {"ok": True, "alg": "EdDSA", "crv": "Ed25519"} for r in _jose(tokens))


def test_a_curve_jose_cannot_sign_with_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    award, catalogue = first_award("wales")
    key = _ec_key(ec.BrainpoolP256R1(), catalogue)
    with pytest.raises(JwtError, match="no signing algorithm for EC keys on brainpoolP256r1"):
        sign_vc_jwt(open_badge(award, catalogue), key)
    p12 = tmp_path / "brainpool.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", key.private_key, key.certificate,
                                                          list(key.chain), BestAvailableEncryption(b"pw")))
    password = tmp_path / "password.txt"
    password.write_text("pw", "utf-8")
    group = click.Group()
    register(group)
    wales = FIXTURES / "wales"
    result = CliRunner().invoke(group, ["badges", str(wales / "awards.csv"), "-c",
                                        str(wales / "catalogue.yaml"), "-o", str(tmp_path / "out"),
                                        "--seal", str(p12), "--password-file", str(password)])
    assert result.exit_code == 2, result.output
    assert f"--seal {p12}: VC-JWT (JOSE) has no signing algorithm" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_seal_signs_only_its_own_organisations_badges(reference: Path, tmp_path: Path) -> None:
    """An award naming another organisation of the catalogue as its issuer is not signed with
    the catalogue issuer's seal (``export --seal`` refuses the same)."""
    sofia = load_catalogue(FIXTURES / "sofia" / "catalogue.yaml")
    agency = sofia.organisation("neaa").model_copy(update={"eidas_identifier": "NTRBG-121000000"})
    catalogue = sofia.model_copy(update={"organisations": tuple(
        agency if o.key == "neaa" else o for o in sofia.organisations)})
    own, _ = first_award("sofia")
    foreign = parse(Award, {**own.model_dump(mode="json", exclude_none=True), "award_id": "F1",
                            "issuer": "neaa"})
    key = demo_seal(tmp_path / "seal", catalogue).load().key
    outputs = write_ob3([(own, catalogue), (foreign, catalogue)], tmp_path / "ob3", key_for=lambda _c: key,
                        schemas=reference / "ob3-clr")
    assert sorted(p.name for p in outputs.written) == [f"su_{own.award_id}.json", f"su_{own.award_id}.jwt"]
    [finding] = outputs.failed["neaa_F1.json"]
    assert finding.code == "ob3.seal-issuer"
    assert "the award's issuer 'neaa' is not the organisation in the seal certificate" in finding.message
    assert "with its own seal" in finding.fix
    assert not list((tmp_path / "ob3").glob("neaa_*"))


def test_a_token_with_a_broken_signature_part_is_refused_plainly() -> None:
    from tests.preview_support import make_key

    award, catalogue = first_award("wales")
    head, body, _ = sign_vc_jwt(open_badge(award, catalogue), make_key()).split(".")
    with pytest.raises(JwtError, match="signature is not base64url"):
        read_vc_jwt(f"{head}.{body}.a")


def test_a_refused_seal_is_said_before_the_schema_files_are_looked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A badge its seal may not sign is refused for that, whatever the state of the 1EdTech
    files; they are looked for (and the store's copies checked) once, for the first badge
    that is checked."""
    from edcbridge.badges import export
    from edcbridge.badges.schemas import SchemasMissing

    sofia = load_catalogue(FIXTURES / "sofia" / "catalogue.yaml")
    own, _ = first_award("sofia")
    foreign = parse(Award, {**own.model_dump(mode="json", exclude_none=True), "award_id": "F1",
                            "issuer": "neaa"})
    key = demo_seal(tmp_path / "seal", sofia).load().key
    looked: list[int] = []

    def missing() -> Path:
        looked.append(1)
        raise SchemasMissing("the 1EdTech OB 3.0 / CLR 2.0 schemas are not in the store")

    monkeypatch.setattr(export, "default_root", missing)
    outputs = write_ob3([(foreign, sofia)], tmp_path / "ob3", key_for=lambda _c: key)
    assert [f.code for f in outputs.failed["neaa_F1.json"]] == ["ob3.seal-issuer"] and looked == []
    with pytest.raises(SchemasMissing):
        write_ob3([(foreign, sofia), (own, sofia)], tmp_path / "ob3", key_for=lambda _c: key)
    assert looked == [1]
