"""Revocation data must be current at a proven time (a signature timestamp) or now; never at
the signer's claimed sigT (ETSI EN 319 102-1). Stale embedded data is refetched on request."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from edcbridge.seal import devpki, jades, keys
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority, TokenSigner
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.fake_http import FakeServer, static_files

PAYLOAD = '{"id": "urn:credential:fresh", "type": ["VerifiableCredential"]}'
NOW = datetime.now(UTC).replace(microsecond=0)
DER = serialization.Encoding.DER


@pytest.fixture(scope="module")
def root() -> devpki.Issued:
    return devpki.make_root_ca(NOW - timedelta(days=400))


@pytest.fixture(scope="module")
def crl_server() -> Iterator[tuple[FakeServer, dict[str, bytes]]]:
    with static_files("application/pkix-crl") as served:
        yield served


@pytest.fixture(scope="module")
def leaf(root: devpki.Issued, crl_server: tuple[FakeServer, dict[str, bytes]]) -> devpki.IssuedSeal:
    return devpki.issue_seal_certificate(
        root, organisation="EDCBRIDGE TEST Fresh", organisation_identifier="NTRBE-TEST0010",
        country="BE", not_before=NOW - timedelta(days=90), not_after=NOW + timedelta(days=365),
        crl_url=f"{crl_server[0].base_url}/root.crl")


def _crl(root: devpki.Issued, last: datetime, next_update: datetime,
         revoked: tuple[x509.Certificate, ...] = ()) -> x509.CertificateRevocationList:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(root.certificate.subject)
               .last_update(last).next_update(next_update))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(NOW - timedelta(days=20)).build())
    return builder.sign(root.key, hashes.SHA256())


def _ocsp_good(root: devpki.Issued, cert: x509.Certificate, this_update: datetime,
               next_update: datetime) -> bytes:
    response = (
        ocsp.OCSPResponseBuilder()
        .add_response(cert=cert, issuer=root.certificate, algorithm=hashes.SHA1(),
                      cert_status=ocsp.OCSPCertStatus.GOOD, this_update=this_update,
                      next_update=next_update, revocation_time=None, revocation_reason=None)
        .responder_id(ocsp.OCSPResponderEncoding.HASH, root.certificate)
        .sign(root.key, hashes.SHA256())
    )
    return response.public_bytes(DER)


def _with_r_vals(sealed: str, r_vals: dict[str, object]) -> bytes:
    """Add rVals to the unsigned header, as anyone holding the file can."""
    doc = json.loads(sealed)
    signature = doc["signatures"][0]
    entries = signature.setdefault("header", {}).setdefault("etsiU", [])
    entries.append(jades.etsiu_entry({"rVals": r_vals}))
    return json.dumps(doc).encode()


def _crl_vals(crl: x509.CertificateRevocationList) -> dict[str, object]:
    return {"crlVals": [{"val": base64.b64encode(crl.public_bytes(DER)).decode()}]}


def _backdated(leaf: devpki.IssuedSeal, root: devpki.Issued, days: int) -> str:
    """A B-B seal whose claimed sigT is *days* ago: nothing proves that time."""
    seal_key = keys.SealKey(leaf.key, leaf.certificate, (root.certificate,))
    return Sealer(seal_key, clock=lambda: NOW - timedelta(days=days)).seal(PAYLOAD)


def test_old_crl_matching_backdated_sigt_is_not_current(
    root: devpki.Issued, leaf: devpki.IssuedSeal
) -> None:
    old = _crl(root, NOW - timedelta(days=60), NOW - timedelta(days=30))
    data = _with_r_vals(_backdated(leaf, root, 45), _crl_vals(old))
    result = verify_document(data, VerifyOptions(trust_anchors=(root.certificate,)))
    revocation = result.checks["REVOCATION"]
    assert revocation.status == "ERROR", revocation.reason
    assert "out of date at" in revocation.reason
    assert "--fetch-revocation" in revocation.reason


def test_fetch_revocation_replaces_stale_embedded_data(
    root: devpki.Issued, leaf: devpki.IssuedSeal, crl_server: tuple[FakeServer, dict[str, bytes]]
) -> None:
    server, files = crl_server
    old = _crl(root, NOW - timedelta(days=60), NOW - timedelta(days=30))
    data = _with_r_vals(_backdated(leaf, root, 45), _crl_vals(old))
    options = VerifyOptions(trust_anchors=(root.certificate,), fetch_revocation=True)
    files["/root.crl"] = _crl(root, NOW - timedelta(days=1), NOW + timedelta(days=29),
                              (leaf.certificate,)).public_bytes(DER)
    revoked = verify_document(data, options).checks["REVOCATION"]
    assert revoked.status == "ERROR", revoked.reason
    assert "certificate revoked on" in revoked.reason
    files["/root.crl"] = _crl(root, NOW - timedelta(days=1), NOW + timedelta(days=29)).public_bytes(DER)
    fresh = verify_document(data, options).checks["REVOCATION"]
    assert fresh.status == "OK", fresh.reason
    assert fresh.reason.startswith("embedded data out of date; fetched:")
    assert any(entry.path == "/root.crl" for entry in server.log)


def test_ocsp_good_after_its_next_update_is_not_current(
    root: devpki.Issued, leaf: devpki.IssuedSeal
) -> None:
    seal_key = keys.SealKey(leaf.key, leaf.certificate, (root.certificate,))
    sealed = Sealer(seal_key, clock=lambda: NOW - timedelta(minutes=5)).seal(PAYLOAD)
    expired = _ocsp_good(root, leaf.certificate, NOW - timedelta(days=60), NOW - timedelta(days=30))
    data = _with_r_vals(sealed, {"ocspVals": [{"val": base64.b64encode(expired).decode()}]})
    revocation = verify_document(data, VerifyOptions(trust_anchors=(root.certificate,))).checks["REVOCATION"]
    assert revocation.status == "ERROR", revocation.reason
    assert "OCSP response" in revocation.reason and "out of date" in revocation.reason
    current = _ocsp_good(root, leaf.certificate, NOW - timedelta(hours=1), NOW + timedelta(days=6))
    data = _with_r_vals(sealed, {"ocspVals": [{"val": base64.b64encode(current).decode()}]})
    good = verify_document(data, VerifyOptions(trust_anchors=(root.certificate,))).checks["REVOCATION"]
    assert good.status == "OK", good.reason
    assert "good per OCSP response" in good.reason


def test_data_current_at_the_signature_timestamp_stays_valid(
    root: devpki.Issued, leaf: devpki.IssuedSeal
) -> None:
    """B-LT made 40 days ago with a CRL that has expired since: the timestamp proves the time."""
    then = NOW - timedelta(days=40)
    crl = _crl(root, then - timedelta(hours=1), then + timedelta(days=7))
    tsa = devpki.issue_tsa_certificate(root, NOW - timedelta(days=100))
    signer = TokenSigner(tsa.key, tsa.certificate, devpki.TSA_POLICY)
    seal_key = keys.SealKey(leaf.key, leaf.certificate, (root.certificate,))
    with DevServer(TimestampAuthority(signer, clock=lambda: then)) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        sealer = Sealer(seal_key, tsa=client, crls=[crl], level=Level.B_LT, clock=lambda: then)
        sealed = sealer.seal(PAYLOAD).encode()
        client.close()
    result = verify_document(sealed, VerifyOptions(trust_anchors=(root.certificate,)))
    assert result.checks["TIMESTAMP"].status == "OK", result.checks["TIMESTAMP"].reason
    revocation = result.checks["REVOCATION"]
    assert revocation.status == "OK", revocation.reason
    assert f"current at the signature timestamp {then:%Y-%m-%d}" in revocation.reason


def _revoking(root: devpki.Issued, cert: x509.Certificate, revoked: datetime,
              invalid_from: datetime | None = None) -> bytes:
    entry = x509.RevokedCertificateBuilder().serial_number(cert.serial_number).revocation_date(revoked)
    if invalid_from is not None:
        entry = entry.add_extension(x509.InvalidityDate(invalid_from.replace(tzinfo=None)), critical=False)
    return (x509.CertificateRevocationListBuilder().issuer_name(root.certificate.subject)
            .last_update(NOW - timedelta(days=1)).next_update(NOW + timedelta(days=6))
            .add_revoked_certificate(entry.build()).sign(root.key, hashes.SHA256()).public_bytes(DER))


def test_a_revocation_after_the_proven_signing_time_leaves_the_seal_standing(
    root: devpki.Issued, leaf: devpki.IssuedSeal, crl_server: tuple[FakeServer, dict[str, bytes]]
) -> None:
    """EN 319 102-1 past signature validation: a timestamp proves the seal existed while the
    certificate was good; revoking it later (when the seal is replaced) does not undo it."""
    _, files = crl_server
    then = NOW - timedelta(days=40)
    tsa = devpki.issue_tsa_certificate(root, NOW - timedelta(days=100))
    signer = TokenSigner(tsa.key, tsa.certificate, devpki.TSA_POLICY)
    seal_key = keys.SealKey(leaf.key, leaf.certificate, (root.certificate,))
    with DevServer(TimestampAuthority(signer, clock=lambda: then)) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        sealed = Sealer(seal_key, tsa=client, level=Level.B_T, clock=lambda: then).seal(PAYLOAD).encode()
        client.close()
    trusted = VerifyOptions(trust_anchors=(root.certificate,), fetch_revocation=True)
    cases = [  # (revoked on, invalid from, expected)
        (NOW - timedelta(days=20), None, "OK"),
        (then - timedelta(days=1), None, "ERROR"),
        (NOW - timedelta(days=20), then - timedelta(days=3), "ERROR"),  # the key was bad before
    ]
    for revoked, invalid_from, expected in cases:
        files["/root.crl"] = _revoking(root, leaf.certificate, revoked, invalid_from)
        check = verify_document(sealed, trusted).checks["REVOCATION"]
        assert check.status == expected, check.reason
        assert "certificate revoked on" in check.reason
        assert ("past signature validation" in check.reason) == (expected == "OK")
    files["/root.crl"] = _revoking(root, leaf.certificate, NOW - timedelta(days=20))
    b_b = Sealer(seal_key, clock=lambda: then).seal(PAYLOAD).encode()  # only a claimed sigT
    assert verify_document(b_b, trusted).checks["REVOCATION"].status == "ERROR"
    files["/root.crl"] = _crl(root, NOW - timedelta(days=1), NOW + timedelta(days=6)).public_bytes(DER)


def test_require_revocation_makes_an_unknown_status_an_error(
        leaf: devpki.IssuedSeal, root: devpki.Issued) -> None:
    sealed = _backdated(leaf, root, 0)
    anchors = (root.certificate,)
    soft = verify_document(sealed.encode(), VerifyOptions(trust_anchors=anchors))
    assert soft.ok and soft.checks["REVOCATION"].status == "SKIPPED"
    hard = verify_document(sealed.encode(), VerifyOptions(trust_anchors=anchors, require_revocation=True))
    assert not hard.ok and hard.checks["REVOCATION"].status == "ERROR"
    assert hard.checks["REVOCATION"].reason.endswith("(revocation status is required)")
    current = _with_r_vals(sealed, _crl_vals(_crl(root, NOW - timedelta(hours=1), NOW + timedelta(days=7))))
    known = verify_document(current, VerifyOptions(trust_anchors=anchors, require_revocation=True))
    assert known.checks["REVOCATION"].status == "OK", known.checks["REVOCATION"].reason


def test_require_revocation_needs_the_credentials_status_lists_checked(
        leaf: devpki.IssuedSeal, root: devpki.Issued) -> None:
    payload = json.dumps({"id": "urn:credential:listed", "type": ["VerifiableCredential"],
                          "credentialStatus": {"type": "StatusList2021Entry", "statusPurpose": "revocation",
                                               "statusListIndex": "7",
                                               "statusListCredential": "http://127.0.0.1:9/list"}})
    seal_key = keys.SealKey(leaf.key, leaf.certificate, (root.certificate,))
    sealed = _with_r_vals(Sealer(seal_key, clock=lambda: NOW).seal(payload),
                          _crl_vals(_crl(root, NOW - timedelta(hours=1), NOW + timedelta(days=7))))
    anchors = (root.certificate,)
    soft = verify_document(sealed, VerifyOptions(trust_anchors=anchors))
    assert soft.checks["REVOCATION"].status == "OK" and "not checked" in soft.checks["REVOCATION"].reason
    hard = verify_document(sealed, VerifyOptions(trust_anchors=anchors, require_revocation=True))
    assert hard.checks["REVOCATION"].status == "ERROR" and "not checked" in hard.checks["REVOCATION"].reason
