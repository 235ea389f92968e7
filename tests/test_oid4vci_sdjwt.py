"""The ELM SD-JWT VC: layout, selective disclosure and signatures (ES256 and RS256 seals),
checked with the OWF reference implementation (PyPI sd-jwt)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from jwcrypto import jwk
from sd_jwt.holder import SDJWTHolder
from sd_jwt.verifier import SDJWTVerifier

from edcbridge.oid4vci.errors import Oid4vciError
from edcbridge.oid4vci.sdjwt import PERSONAL_CLAIMS, SdJwtIssuer, decode_part, epoch_seconds
from edcbridge.seal.errors import CertificateError
from edcbridge.seal.keys import SealKey
from tests.wallet.issuer_support import x5c_key

ELM: dict[str, Any] = {
    "@context": ["https://www.w3.org/2018/credentials/v1"],
    "id": "urn:credential:7f3c",
    "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
    "validUntil": "2030-01-01T00:00:00Z",
    "credentialSubject": {
        "id": "urn:epass:person:1",
        "type": "Person",
        "givenName": {"en": "Chloé", "el": "Χλόη"},
        "familyName": {"en": "Lefèvre-Dubois"},
        "dateOfBirth": "1994-03-17T00:00:00Z",
        "contactPoint": {"type": "ContactPoint", "emailAddress": {"id": "mailto:c@example.org"}},
        "hasClaim": [{"type": "LearningAchievement", "title": {"en": "MSc Machine Learning"}}],
    },
}


HOLDER = jwk.JWK.generate(kty="EC", crv="P-256")


def _verify_all(credential: str) -> dict[str, Any]:
    holder = SDJWTHolder(credential)
    selection = {
        "elm": {
            "credentialSubject": {
                name: True if not isinstance(value, dict) else dict.fromkeys(value, True)
                for name, value in ELM["credentialSubject"].items()
            }
        }
    }
    holder.create_presentation(
        selection, nonce="abc", aud="https://rp.example", holder_key=HOLDER, sign_alg="ES256"
    )
    verifier = SDJWTVerifier(
        holder.sd_jwt_presentation,
        lambda iss, header: x5c_key(header),
        expected_aud="https://rp.example",
        expected_nonce="abc",
    )
    payload: dict[str, Any] = verifier.get_verified_payload()
    return payload


@pytest.mark.parametrize(("seal_name", "alg"), [("ec_seal", "ES256"), ("rsa_seal", "RS256")])
def test_issued_credential_verifies_and_discloses_everything(
    seal_name: str, alg: str, request: pytest.FixtureRequest
) -> None:
    seal: SealKey = request.getfixturevalue(seal_name)
    issuer = SdJwtIssuer(seal, "https://issuer.example")
    assert issuer.algorithm == alg
    credential = issuer.issue(ELM, json.loads(HOLDER.export_public()), now=1_800_000_000)
    header = decode_part(credential.split(".")[0])
    assert header["typ"] == "dc+sd-jwt" and header["alg"] == alg
    assert len(header["x5c"]) == 1  # leaf only: the self-signed root is not sent
    payload = _verify_all(credential)
    assert payload["elm"] == ELM
    assert payload["vct"] == "urn:eudi:elm:1"
    assert payload["exp"] == int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    assert payload["iat"] == 1_800_000_000


def test_personal_claims_are_only_in_disclosures(ec_seal: SealKey) -> None:
    credential = SdJwtIssuer(ec_seal, "https://issuer.example").issue(
        ELM, json.loads(HOLDER.export_public()), now=1
    )
    jwt, *disclosures, last = credential.split("~")
    assert last == ""
    signed = decode_part(jwt.split(".")[1])
    subject = signed["elm"]["credentialSubject"]
    assert set(subject) == {"type", "hasClaim", "_sd"}  # the person's id is concealed too
    assert signed["_sd_alg"] == "sha-256"
    names = [decode_part(d)[1] for d in disclosures]
    personal = [name for name in names if name in PERSONAL_CLAIMS]
    assert sorted(personal) == ["contactPoint", "dateOfBirth", "familyName", "givenName"]
    others = sorted(n for n in names if n not in PERSONAL_CLAIMS)
    assert others == ["el", "en", "en", "id"]  # the person's id, and one per language
    digests = {
        base64.urlsafe_b64encode(hashlib.sha256(d.encode()).digest()).rstrip(b"=").decode()
        for d in disclosures
    }
    assert digests & set(subject["_sd"]) and subject["_sd"] == sorted(subject["_sd"])
    assert "Chloé" not in json.dumps(signed, ensure_ascii=False)


def test_each_issue_uses_fresh_salts(ec_seal: SealKey) -> None:
    issuer = SdJwtIssuer(ec_seal, "https://issuer.example")
    holder = json.loads(HOLDER.export_public())
    first, second = issuer.issue(ELM, holder, now=1), issuer.issue(ELM, holder, now=1)
    assert set(first.split("~")[1:-1]).isdisjoint(second.split("~")[1:-1])


def test_wrong_algorithm_for_the_seal_is_refused(ec_seal: SealKey, rsa_seal: SealKey) -> None:
    with pytest.raises(CertificateError, match="RS256 needs an RSA key"):
        SdJwtIssuer(ec_seal, "https://issuer.example", "RS256")
    with pytest.raises(Oid4vciError, match="use one of ES256, ES384, ES512, RS256"):
        SdJwtIssuer(rsa_seal, "https://issuer.example", "PS256")


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process runs in a time zone 5 h 30 min east of UTC (POSIX TZ, no zone database)."""
    monkeypatch.setenv("TZ", "XST-5:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_a_validity_date_without_a_zone_is_utc_whatever_the_servers_zone(ec_seal: SealKey) -> None:
    elm = {**ELM, "validFrom": "2025-06-30", "validUntil": "2030-01-01T00:00:00"}
    credential = SdJwtIssuer(ec_seal, "https://issuer.example").issue(
        elm, json.loads(HOLDER.export_public()), now=1
    )
    signed = decode_part(credential.split("~")[0].split(".")[1])
    assert signed["exp"] == int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    assert signed["nbf"] == int(datetime(2025, 6, 30, tzinfo=UTC).timestamp())
    assert epoch_seconds("2030-01-01T00:00:00+01:00") == signed["exp"] - 3600
    assert epoch_seconds("not a date") is None and epoch_seconds(20300101) is None


def test_each_subject_of_a_credential_subject_array_is_concealed(ec_seal: SealKey) -> None:
    subjects = [ELM["credentialSubject"], {**ELM["credentialSubject"], "givenName": {"en": "Zoë"}}]
    credential = SdJwtIssuer(ec_seal, "https://issuer.example").issue(
        {**ELM, "credentialSubject": subjects}, json.loads(HOLDER.export_public()), now=1
    )
    signed = decode_part(credential.split("~")[0].split(".")[1])
    in_clear = [set(subject) for subject in signed["elm"]["credentialSubject"]]
    assert in_clear == [{"type", "hasClaim", "_sd"}] * 2
    text = json.dumps(signed, ensure_ascii=False)
    assert "Chloé" not in text and "Zoë" not in text and "1994-03-17" not in text
    holder = SDJWTHolder(credential)
    holder.create_presentation(
        {"elm": {"credentialSubject": [{"givenName": {"en": True}}, {"givenName": {"en": True}}]}},
        nonce="n", aud="https://rp.example", holder_key=HOLDER, sign_alg="ES256",
    )
    verifier = SDJWTVerifier(holder.sd_jwt_presentation, lambda iss, header: x5c_key(header),
                             expected_aud="https://rp.example", expected_nonce="n")
    shown = verifier.get_verified_payload()["elm"]["credentialSubject"]
    assert [subject["givenName"] for subject in shown] == [{"en": "Chloé"}, {"en": "Zoë"}]
    assert all("familyName" not in subject for subject in shown)
