"""RFC 3161 token verification (`edcbridge.seal.tst`): certificates added to a token's
unsigned certificate set, and timestamp-authority certificates whose extended key usage RFC 3161
forbids. Tokens come from the local responder (`tsa_server.build_response`); `openssl ts -verify`
is the independent judge where it can read the token."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from edcbridge.seal import _der, devpki, tst
from edcbridge.seal.errors import TimestampError
from edcbridge.seal.tsa_server import TokenSigner, build_response
from tests.conftest import need_tool

NOW = datetime.now(UTC).replace(microsecond=0)
DATA = b"the signature value a JAdES seal timestamps"
DIGEST = hashlib.sha256(DATA).digest()
PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=2))


def _token(signer: TokenSigner) -> bytes:
    response = build_response(tst.Request("sha256", DIGEST, 7, True), signer, NOW, 4711)
    return tst.token_from_response(response, DIGEST, 7, "local")


def _with_certificates(token: bytes, certs: list[bytes]) -> bytes:
    """The token with its SignedData certificate set replaced by *certs*, in that order: the set
    is outside what the TSA signs, so anyone holding the token can do this."""
    _, content_info, _ = _der.read(token)
    members = list(_der.children(content_info))
    _, signed_data, _ = _der.read(members[1][1])
    parts = [_der.tlv(t, c) for t, c in _der.children(signed_data) if t != 0xA0]
    rebuilt = _der.sequence(*parts[:3], _der.context(0, b"".join(certs)), *parts[3:])
    return _der.sequence(_der.tlv(*members[0]), _der.context(0, rebuilt))


def _lookalike(tsa: x509.Certificate, *, garbled: bool) -> bytes:
    """A certificate with the TSA certificate's issuer and serial number (so the SignerInfo's sid
    names it too) and a stranger's key; *garbled*: with a key usage extension that is not one."""
    key = devpki.new_key()
    builder = (x509.CertificateBuilder().subject_name(tsa.subject).issuer_name(tsa.issuer)
               .public_key(key.public_key()).serial_number(tsa.serial_number)
               .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=1))
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True))
    if garbled:
        builder = builder.add_extension(x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x04\x00"),
                                        critical=True)
    return builder.sign(key, hashes.SHA256()).public_bytes(DER)


def _openssl_verify(token: bytes, root: x509.Certificate, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    openssl = need_tool("openssl")
    (tmp_path / "token.der").write_bytes(token)
    (tmp_path / "ca.pem").write_bytes(root.public_bytes(PEM))
    return subprocess.run([openssl, "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
                           "-digest", DIGEST.hex(), "-CAfile", str(tmp_path / "ca.pem")],
                          capture_output=True, text=True, check=False)


# --- the token's certificate set is not signed: what is added there cannot break a token ----


@pytest.mark.parametrize("garbled", [True, False], ids=["unreadable", "other-key"])
def test_lookalike_signer_certificate_added_first_does_not_break_a_sound_token(
        pki: devpki.DevPki, garbled: bool) -> None:
    token = _token(pki.tsa_signer())
    tsa_der = pki.tsa.certificate.public_bytes(DER)
    tampered = _with_certificates(token, [_lookalike(pki.tsa.certificate, garbled=garbled), tsa_der])
    stamp = tst.verify_token(tampered, DIGEST)
    assert stamp.tsa_certificate == pki.tsa.certificate
    assert stamp.gen_time == NOW
    assert len(stamp.certificates) == (1 if garbled else 2)  # an unreadable one is left out


def test_unloadable_certificate_in_the_set_is_left_out(pki: devpki.DevPki, tmp_path: Path) -> None:
    token = _token(pki.tsa_signer())
    junk = _der.sequence(_der.integer(1), _der.integer(2))  # a SEQUENCE, not a certificate
    tampered = _with_certificates(token, [junk, pki.tsa.certificate.public_bytes(DER)])
    assert tst.verify_token(tampered, DIGEST).tsa_certificate == pki.tsa.certificate
    assert _openssl_verify(token, pki.root.certificate, tmp_path).returncode == 0  # the untouched token


def test_only_lookalikes_is_still_a_timestamp_error(pki: devpki.DevPki) -> None:
    token = _token(pki.tsa_signer())
    tampered = _with_certificates(token, [_lookalike(pki.tsa.certificate, garbled=False)])
    with pytest.raises(TimestampError, match="signature over the token is invalid"):
        tst.verify_token(tampered, DIGEST)
    with pytest.raises(TimestampError, match="not in the token"):
        tst.verify_token(_with_certificates(token, [_lookalike(pki.tsa.certificate, garbled=True)]), DIGEST)


# --- RFC 3161 2.3: the TSA certificate's extended key usage is timeStamping only, critical ----


def _tsa_signer(pki: devpki.DevPki, purposes: list[x509.ObjectIdentifier], critical: bool) -> TokenSigner:
    key = devpki.new_key()
    name = x509.Name.from_rfc4514_string("CN=EDCBRIDGE TEST odd TSA,O=EDCBRIDGE TEST PKI,C=BE")
    valid = (NOW - timedelta(days=1), NOW + timedelta(days=30))
    cert = (devpki._builder(name, pki.root, key.public_key(), *valid)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(purposes), critical=critical)
            .sign(pki.root.key, hashes.SHA256()))
    return TokenSigner(key, cert, devpki.TSA_POLICY)


@pytest.mark.parametrize(("purposes", "critical", "reason"), [
    ([ExtendedKeyUsageOID.TIME_STAMPING], False, "not critical"),
    ([ExtendedKeyUsageOID.TIME_STAMPING, ExtendedKeyUsageOID.SERVER_AUTH], True, "besides timeStamping"),
], ids=["not-critical", "also-tls"])
def test_tsa_certificate_usage_as_openssl_judges_it(
        pki: devpki.DevPki, tmp_path: Path, purposes: list[x509.ObjectIdentifier], critical: bool,
        reason: str) -> None:
    token = _token(_tsa_signer(pki, purposes, critical))
    refused = _openssl_verify(token, pki.root.certificate, tmp_path)
    assert refused.returncode != 0, refused.stdout
    with pytest.raises(TimestampError, match=reason):
        tst.verify_token(token, DIGEST)


def test_tsa_certificate_with_critical_timestamping_only_is_accepted_by_both(
        pki: devpki.DevPki, tmp_path: Path) -> None:
    token = _token(_tsa_signer(pki, [ExtendedKeyUsageOID.TIME_STAMPING], True))
    assert _openssl_verify(token, pki.root.certificate, tmp_path).returncode == 0
    assert tst.verify_token(token, DIGEST).gen_time == NOW
