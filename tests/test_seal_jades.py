"""JAdES-B-B output: header shape, exact payload bytes, algorithms, trust."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from edcbridge.seal import devpki, keys
from edcbridge.seal.errors import CertificateError, SealError, SealFormatError
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.verify import VerifyOptions, verify_document

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
# Whitespace, key order, escapes and non-ASCII that a re-serialisation would change.
PAYLOAD = (
    '{\n  "type": ["VerifiableCredential", "EuropeanDigitalCredential"],\n'
    '  "id":"urn:credential:1",  "name": "Diplôme \\u00e9 – 学位",\n'
    '  "validUntil": "2099-12-31T00:00:00Z", "n": 1.50\n}\n'
)


def _b64url_json(text: str) -> dict[str, object]:
    value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=10))


@pytest.fixture(scope="module")
def sealer(pki: devpki.DevPki) -> Sealer:
    seal_key = keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    return Sealer(seal_key, clock=lambda: NOW)


def test_protected_header_is_jades_b_b(sealer: Sealer, pki: devpki.DevPki) -> None:
    doc = json.loads(sealer.seal(PAYLOAD))
    assert set(doc) == {"payload", "signatures"}
    (signature,) = doc["signatures"]
    assert set(signature) == {"protected", "signature"}
    header = _b64url_json(signature["protected"])
    cert_der = pki.seal.certificate.public_bytes(serialization.Encoding.DER)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(cert_der)
    assert header == {
        "alg": "RS256",
        "cty": "octet-stream",
        "typ": "jose+json",
        "kid": header["kid"],
        "x5t#S256": base64.urlsafe_b64encode(digest.finalize()).rstrip(b"=").decode(),
        "x5c": [base64.b64encode(cert_der).decode()],
        "b64": False,
        "sigT": "2026-03-01T12:00:00Z",
        "crit": ["b64", "sigT"],
    }
    issuer = asn1_x509.Name.load(pki.seal.certificate.issuer.public_bytes())
    expected_kid = cms.IssuerSerial(
        {
            "issuer": [asn1_x509.GeneralName({"directory_name": issuer})],
            "serial": pki.seal.certificate.serial_number,
        }
    ).dump()
    assert base64.b64decode(str(header["kid"])) == expected_kid


def test_payload_is_the_exact_text(sealer: Sealer) -> None:
    doc = json.loads(sealer.seal(PAYLOAD))
    assert doc["payload"] == PAYLOAD
    result = verify_document(sealer.seal(PAYLOAD).encode("utf-8"))
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    assert result.payload == PAYLOAD


def test_own_seal_tamper_fails(sealer: Sealer) -> None:
    sealed = sealer.seal(PAYLOAD)
    tampered = sealed.replace("Diplôme", "Diplome", 1)
    assert tampered != sealed
    assert verify_document(tampered.encode()).checks["SEAL"].status == "ERROR"


@pytest.mark.parametrize("alg", ["PS256", "RS256"])
def test_rsa_algorithms(pki: devpki.DevPki, alg: str) -> None:
    seal_key = keys.SealKey(pki.seal.key, pki.seal.certificate)
    sealed = Sealer(seal_key, algorithm=alg, clock=lambda: NOW).seal(PAYLOAD)
    header = _b64url_json(json.loads(sealed)["signatures"][0]["protected"])
    assert header["alg"] == alg
    assert verify_document(sealed.encode()).checks["SEAL"].status == "OK"


def test_es256(pki: devpki.DevPki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    issued = devpki.issue_seal_certificate(
        pki.root,
        organisation="EDCBRIDGE TEST EC",
        organisation_identifier="NTRBE-TEST0005",
        country="BE",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
        key=key,
    )
    sealer = Sealer(keys.SealKey(key, issued.certificate), algorithm="ES256", clock=lambda: NOW)
    sealed = sealer.seal(PAYLOAD)
    signature = json.loads(sealed)["signatures"][0]["signature"]
    assert len(base64.urlsafe_b64decode(signature + "==")) == 64  # raw r || s, not DER
    assert verify_document(sealed.encode()).checks["SEAL"].status == "OK"
    with pytest.raises(CertificateError, match="needs an RSA key"):
        Sealer(keys.SealKey(key, issued.certificate), algorithm="RS256", clock=lambda: NOW)


def test_trust_anchor(sealer: Sealer, pki: devpki.DevPki) -> None:
    sealed = sealer.seal(PAYLOAD).encode()
    at = NOW + timedelta(minutes=1)
    trusted = verify_document(sealed, VerifyOptions(trust_anchors=(pki.root.certificate,), at=at))
    assert trusted.checks["SEAL"].status == "OK"
    assert "chain to trust anchor" in trusted.checks["SEAL"].reason
    other = devpki.make_root_ca(NOW - timedelta(days=1))
    untrusted = verify_document(sealed, VerifyOptions(trust_anchors=(other.certificate,), at=at))
    assert untrusted.checks["SEAL"].status == "ERROR"
    assert "not trusted" in untrusted.checks["SEAL"].reason
    no_anchor = verify_document(sealed, VerifyOptions(at=at))
    assert no_anchor.checks["SEAL"].status == "OK"
    assert "trust not established" in no_anchor.checks["SEAL"].reason
    required = verify_document(sealed, VerifyOptions(require_trust=True, at=at))
    assert required.checks["SEAL"].status == "ERROR"


def test_b_b_level_checks(sealer: Sealer) -> None:
    result = verify_document(sealer.seal(PAYLOAD).encode(), VerifyOptions(at=NOW))
    assert sealer.level == Level.B_B
    assert result.checks["TIMESTAMP"].status == "SKIPPED"
    assert result.checks["FORMAT"].status == "SKIPPED"
    assert result.checks["EXPIRY"].status == "OK"
    assert result.checks["REVOCATION"].status == "SKIPPED"


def test_format_check_receives_credential(sealer: Sealer) -> None:
    seen: list[dict[str, object]] = []

    def check(credential: dict[str, object]) -> tuple[str, str]:
        seen.append(credential)
        return ("ERROR", "1 violation") if credential.get("id") == "urn:credential:1" else ("OK", "")

    result = verify_document(sealer.seal(PAYLOAD).encode(), VerifyOptions(format_check=check))
    assert seen == [json.loads(PAYLOAD)]
    assert result.checks["FORMAT"].status == "ERROR"
    assert result.checks["FORMAT"].reason == "1 violation"
    assert not result.ok


def test_expiry_of_credential_and_certificate(sealer: Sealer, pki: devpki.DevPki) -> None:
    expired_payload = PAYLOAD.replace("2099-12-31", "2020-01-01")
    result = verify_document(sealer.seal(expired_payload).encode(), VerifyOptions(at=NOW))
    assert result.checks["EXPIRY"].status == "ERROR"
    assert "credential expired on 2020-01-01" in result.checks["EXPIRY"].reason
    assert result.checks["SEAL"].status == "OK"
    later = pki.seal.certificate.not_valid_after_utc + timedelta(days=1)
    result = verify_document(sealer.seal(PAYLOAD).encode(), VerifyOptions(at=later))
    assert result.checks["EXPIRY"].status == "ERROR"
    assert "only claimed" in result.checks["EXPIRY"].reason


def test_signing_after_certificate_expiry_refused(pki: devpki.DevPki) -> None:
    seal_key = keys.SealKey(pki.seal.key, pki.seal.certificate)
    later = pki.seal.certificate.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(CertificateError, match="expired on"):
        Sealer(seal_key, clock=lambda: later)


def test_payload_must_be_a_json_object(sealer: Sealer) -> None:
    with pytest.raises(SealFormatError, match="not JSON"):
        sealer.seal("{not json")
    with pytest.raises(SealFormatError, match="JSON object"):
        sealer.seal("[1, 2]")


def test_non_jades_input_is_seal_error() -> None:
    result = verify_document(b'{"hello": "world"}')
    assert result.checks["SEAL"].status == "ERROR"
    assert "payload" in result.checks["SEAL"].reason
    assert {c.status for n, c in result.checks.items() if n != "SEAL"} == {"SKIPPED"}
    assert verify_document(b"\xff\xfe").checks["SEAL"].status == "ERROR"


def test_level_above_b_b_needs_tsa(pki: devpki.DevPki) -> None:
    seal_key = keys.SealKey(pki.seal.key, pki.seal.certificate)
    with pytest.raises(SealError, match="--tsa"):
        Sealer(seal_key, level=Level.B_T, clock=lambda: NOW)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_PROPERTY_PKI = devpki.generate(now=NOW - timedelta(days=1))
_PROPERTY_SEALER = Sealer(
    keys.SealKey(_PROPERTY_PKI.seal.key, _PROPERTY_PKI.seal.certificate), clock=lambda: NOW
)


@settings(max_examples=40, deadline=None)
@given(
    body=st.dictionaries(st.text(max_size=10), _JSON, max_size=5),
    indent=st.sampled_from([None, 0, 2, "\t"]),
    ascii_only=st.booleans(),
)
def test_any_json_text_round_trips_exactly(
    body: dict[str, object], indent: int | str | None, ascii_only: bool
) -> None:
    text = json.dumps(body, indent=indent, ensure_ascii=ascii_only)
    result = verify_document(_PROPERTY_SEALER.seal(text).encode("utf-8"), VerifyOptions(at=NOW))
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    assert result.payload == text


@settings(max_examples=200, deadline=None)
@given(payload=st.text(), signature=st.text(alphabet="abcXYZ019-_", max_size=20))
def test_envelope_is_the_standard_library_json(payload: str, signature: str) -> None:
    """orjson writes the envelope exactly as ``json.dumps`` with compact separators would."""
    from edcbridge.seal import jades

    etsiu = [signature] if signature else []
    expected = {"payload": payload, "signatures": [
        {"protected": "hdr", **({"header": {"etsiU": etsiu}} if etsiu else {}), "signature": signature}]}
    try:
        payload.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be a UTF-8 payload
        return
    assert jades.serialise(payload, "hdr", signature, etsiu) == json.dumps(
        expected, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_sealing_the_serialised_bytes_gives_a_valid_seal(sealer: Sealer) -> None:
    text = json.dumps({"@context": ["x"], "name": "Siân \u2028 \"q\""}, ensure_ascii=False, indent=2)
    sealed = sealer.seal_serialised(text.encode("utf-8"))
    result = verify_document(sealed, VerifyOptions(at=NOW))
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    assert result.payload == text
