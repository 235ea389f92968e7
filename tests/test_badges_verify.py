"""Reading a VC-JWT refuses what the OB 3.0 verification steps (8.2.3, 8.2.6) refuse: JOSE
headers beyond alg, kid, jwk and typ "JWT", private key members in the jwk, claims that are
not the credential's own, a credential not yet valid or expired, and keys JOSE libraries refuse.
Each forged token is validly signed, and npm jose following the same steps refuses it too."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from edcbridge.badges import JwtError, open_badge, read_vc_jwt, sign_vc_jwt
from edcbridge.seal import devpki, jades
from edcbridge.seal.keys import SealKey
from tests.preview_support import first_award, make_key
from tests.test_badges_jwt import ob3_verify


def _moment(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _b64(value: dict[str, Any]) -> str:
    return jades.b64url(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _rs256(key: SealKey, header: str, payload: str) -> str:
    """A compact JWS of the given encoded parts, RS256-signed with ``key`` as any JOSE library would."""
    assert isinstance(key.private_key, rsa.RSAPrivateKey)
    data = f"{header}.{payload}".encode("ascii")
    signature = key.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{jades.b64url(signature)}"


def _parts(badge: dict[str, Any], key: SealKey) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = sign_vc_jwt(badge, key).split(".")
    return json.loads(jades.b64url_decode(head)), json.loads(jades.b64url_decode(body))


def _warsaw() -> dict[str, Any]:
    """A badge with both validFrom and validUntil."""
    award, catalogue = first_award("warsaw")
    badge = open_badge(award, catalogue)
    assert "validUntil" in badge
    return badge


def _forged(header_change: dict[str, Any] | None = None, claim_change: dict[str, Any] | None = None,
            drop: tuple[str, ...] = ()) -> str:
    key = make_key()
    header, payload = _parts(_warsaw(), key)
    header.update(header_change or {})
    payload.update(claim_change or {})
    for claim in drop:
        del payload[claim]
    return _rs256(key, _b64(header), _b64(payload))


def _refused_by_both(tmp_path: Path, token: str, message: str) -> None:
    badge = _warsaw()
    with pytest.raises(JwtError, match=message):
        read_vc_jwt(token, at=_moment(badge["validFrom"]))
    path = tmp_path / "forged.jwt"
    path.write_text(token, "ascii")
    [peer] = ob3_verify([path])
    assert peer["ok"] is False, peer


def test_an_untouched_token_reads_at_any_moment_it_is_valid() -> None:
    badge = _warsaw()
    token = _rs256(make_key(), *[_b64(part) for part in _parts(badge, make_key())])
    for moment in (_moment(badge["validFrom"]), _moment(badge["validUntil"]) - dt.timedelta(seconds=1)):
        _, payload, _ = read_vc_jwt(token, at=moment)
        assert payload["jti"] == badge["id"]


@pytest.mark.parametrize("extra", [{"crit": ["exp"]}, {"cty": "vc"}, {"x5u": "https://example.org/seal.pem"}],
                         ids=["crit", "cty", "x5u"])
def test_a_jose_header_ob3_does_not_allow_is_refused(tmp_path: Path, extra: dict[str, Any]) -> None:
    _refused_by_both(tmp_path, _forged(header_change=extra),
                     "not allowed: OB 3.0 allows only alg, kid, jwk and typ")


def test_a_typ_other_than_jwt_is_refused(tmp_path: Path) -> None:
    _refused_by_both(tmp_path, _forged(header_change={"typ": "vc+ld+json"}), "requires \"JWT\"")


def test_a_jwk_with_the_private_key_is_refused(tmp_path: Path) -> None:
    key = make_key()
    assert isinstance(key.private_key, rsa.RSAPrivateKey)
    d = key.private_key.private_numbers().d
    header, payload = _parts(_warsaw(), key)
    header["jwk"]["d"] = jades.b64url(d.to_bytes((d.bit_length() + 7) // 8, "big"))
    _refused_by_both(tmp_path, _rs256(key, _b64(header), _b64(payload)), "private key members")


@pytest.mark.parametrize(("change", "drop", "claim"), [
    ({"iss": "urn:uuid:00000000-0000-4000-8000-000000000000"}, (), "iss"),
    ({"sub": "urn:uuid:00000000-0000-4000-8000-000000000001"}, (), "sub"),
    ({"jti": "urn:uuid:00000000-0000-4000-8000-000000000002"}, (), "jti"),
    ({"nbf": 0}, (), "nbf"),
    ({"exp": 4102444800}, (), "exp"),
    ({}, ("exp",), "exp"),
    ({}, ("sub",), "sub"),
], ids=["other-iss", "other-sub", "other-jti", "other-nbf", "other-exp", "no-exp", "no-sub"])
def test_claims_that_are_not_the_credentials_own_are_refused(tmp_path: Path, change: dict[str, Any],
                                                             drop: tuple[str, ...], claim: str) -> None:
    _refused_by_both(tmp_path, _forged(claim_change=change, drop=drop),
                     rf"not the credential's \(OB 3.0, 8.2.6.1\): {claim} is")


def test_a_credential_is_refused_before_validfrom_and_from_validuntil() -> None:
    badge = _warsaw()
    token = sign_vc_jwt(badge, make_key())
    with pytest.raises(JwtError, match="not yet valid"):
        read_vc_jwt(token, at=_moment(badge["validFrom"]) - dt.timedelta(seconds=1))
    with pytest.raises(JwtError, match="has expired"):
        read_vc_jwt(token, at=_moment(badge["validUntil"]))


def test_base64_characters_and_padding_outside_base64url_are_refused() -> None:
    key = make_key()
    header, payload = _parts(_warsaw(), key)
    body = _b64(payload)
    assert "-" in body or "_" in body
    plain_base64 = body.replace("-", "+").replace("_", "/")
    with pytest.raises(JwtError, match="not base64url"):
        read_vc_jwt(_rs256(key, _b64(header), plain_base64), at=_moment(payload["validFrom"]))
    for padded in (f"{_b64(header)}=", f"{_b64(header)}=="):
        with pytest.raises(JwtError, match="not base64url"):
            read_vc_jwt(_rs256(key, padded, body), at=_moment(payload["validFrom"]))


def test_an_rsa_key_shorter_than_2048_bits_is_refused(tmp_path: Path) -> None:
    pki = devpki.generate()
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    now = dt.datetime.now(dt.UTC)
    issued = devpki.issue_seal_certificate(
        pki.root, organisation="EDCBRIDGE TEST WEAK", organisation_identifier="NTRBE-TEST0010", country="BE",
        not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=30), key=weak)
    key = SealKey(weak, issued.certificate, (pki.root.certificate,))
    header, payload = _parts(_warsaw(), make_key())
    header["jwk"] = _parts(_warsaw(), key)[0]["jwk"]
    _refused_by_both(tmp_path, _rs256(key, _b64(header), _b64(payload)), "1024 bits")


def test_an_algorithm_that_does_not_fit_an_rsa_seal_is_a_jwt_error() -> None:
    with pytest.raises(JwtError, match="does not fit this seal's RSA key; use RS256 or PS256"):
        sign_vc_jwt(_warsaw(), make_key(), "ES256")


def test_exp_sets_the_validuntil_of_a_credential_that_states_none() -> None:
    """OB 3.0, 8.2.6.1: exp "MUST be used to set the value of the validUntil"; a credential
    without one is not refused for its exp, and it expires at exp."""
    key = make_key()
    badge = _warsaw()
    header, payload = _parts(badge, key)
    del payload["validUntil"]
    token = _rs256(key, _b64(header), _b64(payload))
    _, read, _ = read_vc_jwt(token, at=_moment(badge["validFrom"]))
    assert read["validUntil"] == badge["validUntil"] and read["exp"] == payload["exp"]
    with pytest.raises(JwtError, match=f"has expired: validUntil {badge['validUntil']}"):
        read_vc_jwt(token, at=_moment(badge["validUntil"]))


@pytest.mark.parametrize("exp", ["2028-06-20T00:00:00Z", True, 1e300],
                         ids=["text", "boolean", "out-of-range"])
def test_an_exp_that_is_no_date_is_refused_without_validuntil(exp: Any) -> None:
    key = make_key()
    badge = _warsaw()
    header, payload = _parts(badge, key)
    del payload["validUntil"]
    payload["exp"] = exp
    with pytest.raises(JwtError, match=r"not the credential's \(OB 3.0, 8.2.6.1\): exp is"):
        read_vc_jwt(_rs256(key, _b64(header), _b64(payload)), at=_moment(badge["validFrom"]))


def _other_rsa() -> SealKey:
    pki = devpki.generate()
    return SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))


def _resign(key: SealKey, header: str, payload: str) -> str:
    """``_rs256`` for RSA keys; ES256 for an EC P-256 key (r || s, as JOSE writes it)."""
    if isinstance(key.private_key, rsa.RSAPrivateKey):
        return _rs256(key, header, payload)
    assert isinstance(key.private_key, ec.EllipticCurvePrivateKey)
    der = key.private_key.sign(f"{header}.{payload}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{header}.{payload}.{jades.b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _bare(jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k != "x5c"}


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_token_signed_by_a_bare_jwk_reads_with_no_certificate(tmp_path: Path, algorithm: str) -> None:
    """OB 3.0, 8.2.3 / 8.2.6: the jwk is the key that verifies; nothing asks for x5c. Without a
    certificate the signature proves the token unchanged, not who signed it: no certificate is
    returned."""
    key = make_key(algorithm)
    badge = _warsaw()
    head, body, _ = sign_vc_jwt(badge, key).split(".")
    header = json.loads(jades.b64url_decode(head))
    header["jwk"] = _bare(header["jwk"])
    token = _resign(key, _b64(header), body)
    _, payload, cert = read_vc_jwt(token, at=_moment(badge["validFrom"]))
    assert payload["jti"] == badge["id"] and cert is None
    other = make_key("ES256" if algorithm == "RS256" else "RS256")
    header["jwk"] = _bare(_parts(badge, other)[0]["jwk"])
    with pytest.raises(JwtError, match=r"does not verify|does not fit"):
        read_vc_jwt(_resign(key, _b64(header), body), at=_moment(badge["validFrom"]))


def test_a_token_naming_its_key_by_kid_reads_with_the_key_given() -> None:
    key = make_key()
    badge = _warsaw()
    header, payload = _parts(badge, key)
    kid = f"{badge['issuer']['id']}#seal-2026"
    jwk = _bare(header.pop("jwk"))
    header["kid"] = kid
    token = _rs256(key, _b64(header), _b64(payload))
    with pytest.raises(JwtError, match=re.escape(f"kid {kid!r} names a key not given: pass it in keys")):
        read_vc_jwt(token, at=_moment(badge["validFrom"]))
    _, read, cert = read_vc_jwt(token, at=_moment(badge["validFrom"]), keys={kid: jwk})
    assert read["jti"] == badge["id"] and cert is None
    with pytest.raises(JwtError, match="does not verify"):
        other = _bare(_parts(badge, _other_rsa())[0]["jwk"])
        read_vc_jwt(token, at=_moment(badge["validFrom"]), keys={kid: other})


def test_a_kid_given_a_key_is_verified_with_that_key_not_the_headers_jwk() -> None:
    """OB 3.0, 8.2.6 dereferences the kid first: a token naming a trusted kid but carrying its
    own jwk must not pass as signed by the trusted key."""
    trusted, forger = make_key(), _other_rsa()
    badge = _warsaw()
    header, payload = _parts(badge, forger)
    kid = f"{badge['issuer']['id']}#seal-2026"
    header["kid"], header["jwk"] = kid, _bare(header["jwk"])
    token = _rs256(forger, _b64(header), _b64(payload))
    trusted_jwk = _bare(_parts(badge, trusted)[0]["jwk"])
    with pytest.raises(JwtError, match="jwk is not the key its kid"):
        read_vc_jwt(token, at=_moment(badge["validFrom"]), keys={kid: trusted_jwk})
    _, read, _ = read_vc_jwt(token, at=_moment(badge["validFrom"]), keys={kid: header["jwk"]})
    assert read["jti"] == badge["id"]
