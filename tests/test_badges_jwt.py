"""VC-JWT: our signature, checked by us and by an independent JOSE implementation (npm jose)
following the OB 3.0 verification steps for the JSON Web Token proof format."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from edcbridge.badges import JwtError, clr_credential, open_badge, read_vc_jwt, sign_vc_jwt
from edcbridge.seal import jades
from tests.preview_support import first_award, fixture_pairs, make_key, run_jose

# OB 3.0, "JSON Web Token Proof Format": the JOSE header allows only alg, kid, jwk and typ
# ("JWT" when present); the key comes from jwk (or kid); the payload must carry iss = issuer.id,
# sub = credentialSubject.id, jti = id, nbf = validFrom and, when set, exp = validUntil.
_OB3_VERIFY = """
import { readFileSync } from "node:fs";
import { compactVerify, decodeProtectedHeader, EmbeddedJWK, importX509 } from "jose";
const epoch = (text) => Math.floor(Date.parse(text) / 1000);
for (const file of process.argv.slice(1)) {
  const problems = [];
  try {
    const token = readFileSync(file, "utf8").trim();
    const header = decodeProtectedHeader(token);
    const extra = Object.keys(header).filter((k) => !["alg", "kid", "jwk", "typ"].includes(k));
    if (extra.length) problems.push(`JOSE headers not allowed: ${extra.join(",")}`);
    if ("typ" in header && header.typ !== "JWT") problems.push(`typ ${header.typ}`);
    if (header.jwk && "d" in header.jwk) problems.push("private key in jwk");
    const { payload } = await compactVerify(token, EmbeddedJWK, { algorithms: [header.alg] });
    const vc = JSON.parse(new TextDecoder().decode(payload));
    const issuer = typeof vc.issuer === "string" ? vc.issuer : vc.issuer?.id;
    if (!vc.iss || vc.iss !== issuer) problems.push("iss is not issuer.id");
    if (!vc.sub || vc.sub !== vc.credentialSubject?.id) problems.push("sub is not credentialSubject.id");
    if (!vc.jti || vc.jti !== vc.id) problems.push("jti is not id");
    if (vc.nbf === undefined || vc.nbf !== epoch(vc.validFrom)) problems.push("nbf is not validFrom");
    if ((vc.exp ?? null) !== (vc.validUntil === undefined ? null : epoch(vc.validUntil))) {
      problems.push("exp is not validUntil");
    }
    const der = header.jwk.x5c[0].match(/.{1,64}/g).join("\\n");
    const pem = `-----BEGIN CERTIFICATE-----\\n${der}\\n-----END CERTIFICATE-----\\n`;
    const cert = await importX509(pem, header.alg);
    await compactVerify(token, cert, { algorithms: [header.alg] });
    console.log(JSON.stringify({ file, ok: problems.length === 0, problems, alg: header.alg, typ: header.typ,
                                 claims: vc }));
  } catch (error) {
    problems.push(`${error.code ?? error.name}: ${error.message}`);
    console.log(JSON.stringify({ file, ok: false, problems }));
  }
}
"""


def ob3_verify(files: list[Path]) -> list[dict[str, Any]]:
    """Verify VC-JWT files as an OB 3.0 verifier would, with npm jose (tests/peers)."""
    return run_jose(_OB3_VERIFY, files)[0]


def _tokens(tmp_path: Path) -> dict[str, Path]:
    award, catalogue = first_award("sofia")
    badge = open_badge(award, catalogue)
    learner = [(a, c) for name, a, c in fixture_pairs() if name == "galway"][:1]
    files = {
        "ob3-rs256": sign_vc_jwt(badge, make_key("RS256")),
        "ob3-ps256": sign_vc_jwt(badge, make_key("RS256"), "PS256"),
        "ob3-es256": sign_vc_jwt(badge, make_key("ES256")),
        "clr-rs256": sign_vc_jwt(clr_credential(learner), make_key("RS256")),
    }
    paths = {}
    for name, token in files.items():
        paths[name] = tmp_path / f"{name}.jwt"
        paths[name].write_text(token + "\n", encoding="ascii")
    return paths


def test_payload_is_the_credential_with_registered_claims() -> None:
    award, catalogue = first_award("warsaw")
    badge = open_badge(award, catalogue)
    valid_from = dt.datetime.strptime(badge["validFrom"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    header, payload, cert = read_vc_jwt(sign_vc_jwt(badge, make_key()), at=valid_from)
    assert header["alg"] == "RS256" and header["typ"] == "JWT" and header["jwk"]["kty"] == "RSA"
    assert cert == make_key().certificate
    assert payload["iss"] == badge["issuer"]["id"] and payload["jti"] == badge["id"]
    assert payload["sub"] == badge["credentialSubject"]["id"]
    assert payload["nbf"] == int(valid_from.timestamp())
    assert {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "sub", "exp")} == badge
    if "validUntil" in badge:
        assert payload["exp"] > payload["nbf"]


def test_tampered_token_fails_our_check() -> None:
    award, catalogue = first_award("warsaw")
    head, body, signature = sign_vc_jwt(open_badge(award, catalogue), make_key()).split(".")
    claims = json.loads(jades.b64url_decode(body))
    claims["name"] = "Something else"
    forged = jades.b64url(json.dumps(claims).encode())
    with pytest.raises(JwtError, match="does not verify"):
        read_vc_jwt(f"{head}.{forged}.{signature}")
    with pytest.raises(JwtError, match="three"):
        read_vc_jwt("not-a-jwt")


def test_jose_verifies_our_vc_jwts_as_ob3_requires(tmp_path: Path) -> None:
    paths = _tokens(tmp_path)
    results = ob3_verify(list(paths.values()))
    assert [(r["ok"], r["problems"]) for r in results] == [(True, [])] * len(paths), results
    assert {r["alg"] for r in results} == {"RS256", "PS256", "ES256"}
    assert all(r["typ"] == "JWT" for r in results)
    types = [r["claims"]["type"][1] for r in results]
    assert types == ["OpenBadgeCredential"] * 3 + ["ClrCredential"]


def test_jose_rejects_a_tampered_vc_jwt(tmp_path: Path) -> None:
    paths = _tokens(tmp_path)
    tampered = []
    for name, path in paths.items():
        head, body, signature = path.read_text("ascii").strip().split(".")
        claims = json.loads(jades.b64url_decode(body))
        claims["validFrom"] = "2000-01-01T00:00:00Z"
        target = tmp_path / f"tampered-{name}.jwt"
        target.write_text(f"{head}.{jades.b64url(json.dumps(claims).encode())}.{signature}", "ascii")
        tampered.append(target)
    assert [r["ok"] for r in ob3_verify(tampered)] == [False] * len(tampered)


def test_jose_header_holds_only_what_ob3_allows_and_the_chain_sits_in_the_jwk() -> None:
    """OB 3.0 allows no JOSE header beyond alg, kid, jwk and typ: the seal's chain is the jwk's
    own x5c member (RFC 7517, 4.7), whose first certificate has the jwk's key."""
    award, catalogue = first_award("wales")
    key = make_key()
    header, _, cert = read_vc_jwt(sign_vc_jwt(open_badge(award, catalogue), key))
    assert set(header) == {"alg", "typ", "jwk"}
    assert len(header["jwk"]["x5c"]) == 1 + len(key.intermediates) and cert == key.certificate
    assert "d" not in header["jwk"]


def test_every_subject_has_the_id_that_sub_names() -> None:
    """A verifier requires sub = credentialSubject.id; the learner's id is the same in all of
    their badges and their record from one issuer, and names no personal data."""
    sofia = [(a, c) for name, a, c in fixture_pairs() if name == "sofia"]
    for award, catalogue in sofia:
        subject = open_badge(award, catalogue)["credentialSubject"]
        assert subject["id"].startswith("urn:uuid:") and award.learner.id not in subject["id"]
    award, catalogue = sofia[0]
    again = award.model_copy(update={"award_id": "OTHER-1"})
    record = clr_credential([(award, catalogue), (again, catalogue)])
    ids = {b["credentialSubject"]["id"] for b in record["credentialSubject"]["verifiableCredential"]}
    assert ids == {record["credentialSubject"]["id"]}
    _, payload, _ = read_vc_jwt(sign_vc_jwt(record, make_key()))
    assert payload["sub"] == record["credentialSubject"]["id"]


def test_a_credential_without_a_subject_id_is_not_signed() -> None:
    award, catalogue = first_award("warsaw")
    badge = open_badge(award, catalogue)
    del badge["credentialSubject"]["id"]
    with pytest.raises(JwtError, match=r"no sub \(credentialSubject.id\)"):
        sign_vc_jwt(badge, make_key())


def test_a_jwk_that_is_not_the_certificates_key_is_refused() -> None:
    """The certificate in jwk.x5c vouches only for its own key: a header whose jwk names another
    key (the one a verifier would check the signature with) is refused."""
    award, catalogue = first_award("warsaw")
    badge = open_badge(award, catalogue)
    head, body, signature = sign_vc_jwt(badge, make_key("ES256")).split(".")
    header = json.loads(jades.b64url_decode(head))
    header["jwk"]["x5c"] = json.loads(jades.b64url_decode(sign_vc_jwt(badge, make_key()).split(".")[0]))[
        "jwk"]["x5c"]
    forged = jades.b64url(json.dumps(header).encode())
    with pytest.raises(JwtError, match="not the key of its x5c certificate"):
        read_vc_jwt(f"{forged}.{body}.{signature}")
