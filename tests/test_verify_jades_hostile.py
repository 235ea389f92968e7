"""`verify` (JAdES) on hostile input: certificates that cannot be read, decoy CA certificates in the
unsigned header, a chain judged at a back-dated sigT, a credential with two end dates, and a
sealed status list that is not JSON. Each test crafts its input from a real seal made here and,
where the point is what an independent tool says, asks npm jose or openssl."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtensionOID

from edcbridge.seal import devpki, jades, keys
from edcbridge.seal.certs import der_b64
from edcbridge.seal.cli import make_verify_command
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority, TokenSigner
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.conftest import need_tool
from tests.fake_http import static_files
from tests.test_seal_peers import _run_peer

NOW = datetime.now(UTC).replace(microsecond=0)
PAYLOAD = '{"id":"urn:credential:review","type":["VerifiableCredential"]}'
ORG = {"organisation": "EDCBRIDGE TEST University", "organisation_identifier": "NTRBE-TEST0001",
       "country": "BE"}


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=30))


def _sealer(pki: devpki.DevPki, at: datetime = NOW) -> Sealer:
    return Sealer(keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)), clock=lambda: at)


def _trusting(pki: devpki.DevPki, **options: bool) -> VerifyOptions:
    return VerifyOptions(at=NOW, trust_anchors=(pki.root.certificate,), require_trust=True, **options)


def _garbled(extension: x509.ObjectIdentifier) -> x509.UnrecognizedExtension:
    """An extension of a known type whose value is not its ASN.1 structure."""
    return x509.UnrecognizedExtension(extension, b"\x04\x00")


def _with_xvals(sealed: bytes, *certs: x509.Certificate) -> bytes:
    """The seal with certificates added to its unsigned header, as anyone holding the file can."""
    doc = json.loads(sealed)
    entry = jades.etsiu_entry({"xVals": [{"x509Cert": {"val": der_b64(c)}} for c in certs]})
    doc["signatures"][0]["header"] = {"etsiU": [entry]}
    return json.dumps(doc).encode()


def _decoy_root(pki: devpki.DevPki, *, garbled: bool = False, expired: bool = False) -> x509.Certificate:
    """A certificate with the root's name and public key, signed by someone else: it passes as
    the seal certificate's issuer (same name, same key), but is not the trust anchor."""
    builder = (x509.CertificateBuilder().subject_name(pki.root.certificate.subject)
               .issuer_name(pki.root.certificate.subject).public_key(pki.root.key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=60))
               .not_valid_after(NOW - timedelta(days=1) if expired else NOW + timedelta(days=60)))
    if garbled:
        builder = builder.add_extension(_garbled(ExtensionOID.BASIC_CONSTRAINTS), critical=True)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(devpki.new_key(), hashes.SHA256())


# --- certificates that cannot be read: a verdict, never a traceback -------------------------


def test_seal_certificate_with_unreadable_extension_gets_a_verdict(
        pki: devpki.DevPki, tmp_path: Path) -> None:
    key = devpki.new_key()
    cert = (devpki._builder(devpki._name("Garbled seal", ORG["organisation"], "BE", "NTRBE-TEST0001"),
                            pki.root, key.public_key(), NOW - timedelta(days=1), NOW + timedelta(days=30))
            .add_extension(_garbled(ExtensionOID.KEY_USAGE), critical=True)
            .sign(pki.root.key, hashes.SHA256()))
    header = jades.protected_header(cert, (), "RS256", NOW)  # Sealer refuses such a certificate
    protected = jades.b64url(jades.encode_json(header).encode())
    signature = jades.b64url(jades.sign(key, "RS256", jades.signing_input(protected, PAYLOAD)))
    path = tmp_path / "garbled.json"
    path.write_bytes(jades.serialise(PAYLOAD, protected, signature, []))
    assert _run_peer([path])[0]["ok"]  # the JWS itself is sound: only the certificate is not

    for options in (VerifyOptions(at=NOW), _trusting(pki)):
        seal = verify_document(path.read_bytes(), options).checks["SEAL"]
        assert seal.status == "ERROR"
        assert "x5c holds an unreadable certificate" in seal.reason and "unreadable extension" in seal.reason
    result = CliRunner().invoke(make_verify_command(), ["--json", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_unreadable_certificate_added_to_xvals_is_left_out(pki: devpki.DevPki) -> None:
    sealed = _with_xvals(_sealer(pki).seal(PAYLOAD).encode(), _decoy_root(pki, garbled=True))
    result = verify_document(sealed, _trusting(pki))
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason
    assert result.ok, result.as_dict()


# --- decoy CA certificates in the unsigned header cannot hide the valid path ------------------


def test_expired_copy_of_the_ca_in_xvals_does_not_hide_the_valid_chain(
        pki: devpki.DevPki, tmp_path: Path) -> None:
    path = tmp_path / "decoy.json"
    path.write_bytes(_with_xvals(_sealer(pki).seal(PAYLOAD).encode(), _decoy_root(pki, expired=True)))
    assert _run_peer([path])[0]["ok"]  # the unsigned header is outside the JWS signature
    seal = verify_document(path.read_bytes(), _trusting(pki)).checks["SEAL"]
    assert seal.status == "OK", seal.reason
    assert seal.reason.endswith(f"chain to trust anchor '{pki.root.certificate.subject.rfc4514_string()}'")


def test_many_decoys_cannot_make_the_path_search_spin(pki: devpki.DevPki) -> None:
    decoys = [_decoy_root(pki, expired=True) for _ in range(12)]
    sealed = _with_xvals(_sealer(pki).seal(PAYLOAD).encode(), *decoys)
    assert verify_document(sealed, _trusting(pki)).checks["SEAL"].status == "OK"
    stranger = devpki.generate(now=NOW - timedelta(days=30))  # no path: every decoy is tried, bounded
    refused = verify_document(sealed, VerifyOptions(at=NOW, trust_anchors=(stranger.root.certificate,)))
    assert refused.checks["SEAL"].status == "ERROR"
    assert "not trusted" in refused.checks["SEAL"].reason


# --- the chain holds when a trusted timestamp proves, else now; never at the claimed sigT -----


@pytest.fixture(scope="module")
def old_ca(pki: devpki.DevPki) -> Iterator[tuple[devpki.Issued, keys.SealKey]]:
    """An intermediate CA that expired 100 days ago, and a seal certificate it issued that is
    still within its own dates (400 days back to 300 days ahead)."""
    key = devpki.new_key()
    root = devpki.make_root_ca(NOW - timedelta(days=800))
    cert = (devpki._builder(devpki._name("EDCBRIDGE TEST Old CA", "EDCBRIDGE TEST PKI", "BE"), root,
                            key.public_key(), NOW - timedelta(days=700), NOW - timedelta(days=100))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(devpki._key_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .sign(root.key, hashes.SHA256()))
    seal = devpki.issue_seal_certificate(devpki.Issued(key, cert), **ORG,
                                         not_before=NOW - timedelta(days=400),
                                         not_after=NOW + timedelta(days=300))
    yield root, keys.SealKey(seal.key, seal.certificate, (cert,))


def _openssl_verify(tmp_path: Path, root: x509.Certificate, seal: keys.SealKey, *at: str) -> int:
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(root.public_bytes(pem))
    (tmp_path / "ca.pem").write_bytes(seal.intermediates[0].public_bytes(pem))
    (tmp_path / "seal.pem").write_bytes(seal.certificate.public_bytes(pem))
    command = [need_tool("openssl"), "verify", *at, "-CAfile", str(tmp_path / "root.pem"),
               "-untrusted", str(tmp_path / "ca.pem"), str(tmp_path / "seal.pem")]
    return subprocess.run(command, capture_output=True, timeout=60).returncode


def test_back_dated_sigt_does_not_revive_an_expired_ca(
    old_ca: tuple[devpki.Issued, keys.SealKey], tmp_path: Path
) -> None:
    root, seal = old_ca
    back_then = NOW - timedelta(days=200)
    assert _openssl_verify(tmp_path, root.certificate, seal) != 0  # expired CA: no path now
    assert _openssl_verify(tmp_path, root.certificate, seal, "-attime", str(int(back_then.timestamp()))) == 0
    sealed = Sealer(seal, clock=lambda: back_then).seal(PAYLOAD).encode()  # B-B: sigT is only claimed
    options = VerifyOptions(at=NOW, trust_anchors=(root.certificate,))
    result = verify_document(sealed, options)
    assert result.checks["SEAL"].status == "ERROR", result.checks["SEAL"].reason
    assert "not trusted at verification time" in result.checks["SEAL"].reason
    assert "'CN=EDCBRIDGE TEST Old CA" in result.checks["SEAL"].reason
    assert "expired on" in result.checks["SEAL"].reason


def test_a_trusted_timestamp_proves_the_chain_held(old_ca: tuple[devpki.Issued, keys.SealKey]) -> None:
    root, seal = old_ca
    back_then = NOW - timedelta(days=200)
    tsa_cert = devpki.issue_tsa_certificate(root, NOW - timedelta(days=300))
    signer = TokenSigner(tsa_cert.key, tsa_cert.certificate, devpki.TSA_POLICY)
    with DevServer(TimestampAuthority(signer, clock=lambda: back_then)) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        try:
            sealed = Sealer(seal, tsa=client, level=Level.B_T, clock=lambda: back_then).seal(PAYLOAD).encode()
        finally:
            client.close()
    result = verify_document(sealed, VerifyOptions(at=NOW, trust_anchors=(root.certificate,)))
    assert result.checks["TIMESTAMP"].status == "OK", result.checks["TIMESTAMP"].reason
    assert result.checks["SEAL"].status == "OK", result.checks["SEAL"].reason


# --- a credential with both end dates ---------------------------------------------------------


@pytest.mark.parametrize(("valid_until", "expiration_date"), [
    ("2099-01-01T00:00:00Z", "2020-01-01T00:00:00Z"),
    ("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"),
])
def test_either_end_date_passed_fails_expiry(
        pki: devpki.DevPki, valid_until: str, expiration_date: str) -> None:
    payload = json.dumps({"id": "urn:credential:ends", "validUntil": valid_until,
                          "expirationDate": expiration_date})
    expiry = verify_document(_sealer(pki).seal(payload).encode(), VerifyOptions(at=NOW)).checks["EXPIRY"]
    assert expiry.status == "ERROR", expiry.reason
    assert expiry.reason.startswith("credential expired on 2020-01-01T00:00:00Z")


# --- a sealed status list whose payload is not JSON -------------------------------------------


def test_sealed_status_list_that_is_not_json_is_an_error(pki: devpki.DevPki) -> None:
    credential = json.dumps({"id": "urn:credential:status", "credentialStatus": {
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "3",
        "statusListCredential": "URL"}})
    crl = base64.b64encode(pki.crl.public_bytes(serialization.Encoding.DER)).decode()
    with static_files("application/vc+ld+json") as (server, files):
        url = f"{server.base_url}/lists/not-json"
        files["/lists/not-json"] = _sealer(pki).seal_serialised(b"not a JSON credential")
        doc = json.loads(_sealer(pki).seal(credential.replace("URL", url)))
        r_vals = jades.etsiu_entry({"rVals": {"crlVals": [{"val": crl}]}})
        doc["signatures"][0]["header"] = {"etsiU": [r_vals]}
        result = verify_document(json.dumps(doc).encode(), _trusting(pki, fetch_revocation=True))
    revocation = result.checks["REVOCATION"]
    assert revocation.status == "ERROR", revocation.reason
    assert f"status list {url} is sealed, but its payload is not a JSON object" in revocation.reason


def test_status_list_with_an_integer_too_long_to_read_is_an_error(pki: devpki.DevPki) -> None:
    """Python reads no integer of more than 4,300 digits; a list holding one is no list, not a crash."""
    credential = json.dumps({"id": "urn:credential:status", "credentialStatus": {
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "3",
        "statusListCredential": "URL"}})
    crl = base64.b64encode(pki.crl.public_bytes(serialization.Encoding.DER)).decode()
    with static_files("application/vc+ld+json") as (server, files):
        url = f"{server.base_url}/lists/long-number"
        files["/lists/long-number"] = b'{"n": ' + b"9" * 5000 + b"}"
        doc = json.loads(_sealer(pki).seal(credential.replace("URL", url)))
        r_vals = jades.etsiu_entry({"rVals": {"crlVals": [{"val": crl}]}})
        doc["signatures"][0]["header"] = {"etsiU": [r_vals]}
        result = verify_document(json.dumps(doc).encode(), _trusting(pki, fetch_revocation=True))
    revocation = result.checks["REVOCATION"]
    assert revocation.status == "ERROR", revocation.reason
    assert f"status list {url} is neither a JSON credential" in revocation.reason


def test_a_timestamp_from_after_the_verification_time_is_an_error(pki: devpki.DevPki) -> None:
    """A token's time later than now is a timestamp authority with a wrong clock: it proves no time."""
    tsa_cert = devpki.issue_tsa_certificate(pki.root, NOW - timedelta(days=30))
    signer = TokenSigner(tsa_cert.key, tsa_cert.certificate, devpki.TSA_POLICY)
    ahead = NOW + timedelta(days=2)
    with DevServer(TimestampAuthority(signer, clock=lambda: ahead)) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        try:
            seal = keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
            sealed = Sealer(seal, tsa=client, level=Level.B_T, clock=lambda: ahead).seal(PAYLOAD).encode()
        finally:
            client.close()
    stamp = verify_document(sealed, VerifyOptions(at=NOW, trust_anchors=(pki.root.certificate,)))
    timestamp = stamp.checks["TIMESTAMP"]
    assert timestamp.status == "ERROR", timestamp.reason
    assert "is after the verification time" in timestamp.reason
    later = verify_document(sealed, VerifyOptions(at=ahead + timedelta(minutes=1),
                                                  trust_anchors=(pki.root.certificate,)))
    assert later.checks["TIMESTAMP"].status == "OK", later.checks["TIMESTAMP"].reason


@pytest.mark.parametrize("offset", [timedelta(hours=-1), timedelta(hours=1)])
def test_sealing_refuses_a_timestamp_authority_whose_clock_disagrees(
        pki: devpki.DevPki, offset: timedelta) -> None:
    """Behind, its timestamp would be before the signing time; ahead, from the future: verifiers
    refuse both, so no such seal is made."""
    from edcbridge.seal.errors import SealError

    tsa_cert = devpki.issue_tsa_certificate(pki.root, NOW - timedelta(days=30))
    signer = TokenSigner(tsa_cert.key, tsa_cert.certificate, devpki.TSA_POLICY)
    seal = keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    with DevServer(TimestampAuthority(signer, clock=lambda: NOW + offset)) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        try:
            with pytest.raises(SealError, match=r"this machine.s clock .*check this machine.s clock"):
                Sealer(seal, tsa=client, level=Level.B_T, clock=lambda: NOW).seal(PAYLOAD)
            near = Sealer(seal, tsa=client, level=Level.B_T, clock=lambda: NOW + offset * 0.95).seal(PAYLOAD)
        finally:
            client.close()
    assert json.loads(near)["signatures"]
