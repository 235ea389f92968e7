"""VC-JWT: our signature, checked by us and by an independent JOSE implementation (npm jose)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from edcbridge.badges import JwtError, clr_credential, open_badge, read_vc_jwt, sign_vc_jwt
from edcbridge.seal import jades
from tests.preview_support import first_award, fixture_pairs, jose_verify, make_key


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
    header, payload, cert = read_vc_jwt(sign_vc_jwt(badge, make_key()))
    assert header["alg"] == "RS256" and header["typ"] == "JWT" and header["jwk"]["kty"] == "RSA"
    assert cert == make_key().certificate
    assert payload["iss"] == badge["issuer"]["id"] and payload["jti"] == badge["id"]
    valid_from = dt.datetime.strptime(badge["validFrom"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert payload["nbf"] == int(valid_from.timestamp())
    assert {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "exp")} == badge
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


def test_jose_verifies_our_vc_jwts(tmp_path: Path) -> None:
    paths = _tokens(tmp_path)
    results = jose_verify(list(paths.values()))
    assert [r["ok"] for r in results] == [True] * len(paths), results
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
    assert [r["ok"] for r in jose_verify(tampered)] == [False] * len(tampered)
