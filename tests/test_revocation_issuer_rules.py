"""Revocation checks (`edcbridge.seal.revocation`): a second "issuer" that the seal
certificate's ECDSA signature also verifies under, CRLs with extensions that cannot be read, and
OCSP responses carrying such certificates. `openssl crl` is the independent judge of the CRLs."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509 import ocsp
from cryptography.x509.oid import CRLEntryExtensionOID, ExtendedKeyUsageOID, ExtensionOID

from edcbridge.seal import devpki, jades, keys, revocation
from edcbridge.seal.certs import der_b64, issued_by
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.conftest import need_tool

NOW = datetime.now(UTC).replace(microsecond=0)
DER = serialization.Encoding.DER
PEM = serialization.Encoding.PEM

# NIST P-256 (SEC 2): enough curve arithmetic to recover the keys an ECDSA signature verifies under.
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
      0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)
Point = tuple[int, int] | None


def _add(p: Point, q: Point) -> Point:
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % _P == 0:
        return None
    if p == q:
        slope = (3 * p[0] * p[0] + _A) * pow(2 * p[1], -1, _P) % _P
    else:
        slope = (q[1] - p[1]) * pow(q[0] - p[0], -1, _P) % _P
    x = (slope * slope - p[0] - q[0]) % _P
    return x, (slope * (p[0] - x) - p[1]) % _P


def _mul(k: int, p: Point) -> Point:
    result: Point = None
    while k:
        if k & 1:
            result = _add(result, p)
        p, k = _add(p, p), k >> 1
    return result


def _other_key(cert: x509.Certificate, issuer_key: ec.EllipticCurvePublicKey) -> ec.EllipticCurvePublicKey:
    """The P-256 key, not the issuer's, under which *cert*'s ECDSA-SHA256 signature also verifies
    (Q = r^-1 (sR - zG) for the other point R with x-coordinate r). No one knows its private key."""
    r, s = decode_dss_signature(cert.signature)
    z = int.from_bytes(hashlib.sha256(cert.tbs_certificate_bytes).digest(), "big")
    y = pow((r**3 + _A * r + _B) % _P, (_P + 1) // 4, _P)
    real = issuer_key.public_numbers()
    for candidate_y in (y, _P - y):
        q = _mul(pow(r, -1, _N), _add(_mul(s, (r, candidate_y)), _mul((_N - z) % _N, _G)))
        assert q is not None
        if (q[0], q[1]) != (real.x, real.y):
            return ec.EllipticCurvePublicNumbers(q[0], q[1], ec.SECP256R1()).public_key()
    raise AssertionError("the signature verifies under one key only")


@pytest.fixture(scope="module")
def ec_pki() -> tuple[devpki.Issued, devpki.IssuedSeal]:
    """A P-256 root CA (ECDSA-SHA256 signatures) and a seal certificate it issued."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name.from_rfc4514_string("CN=EDCBRIDGE TEST EC Root CA,O=EDCBRIDGE TEST PKI,C=BE")
    valid = (NOW - timedelta(days=10), NOW + timedelta(days=900))
    root_cert = (devpki._builder(name, None, key.public_key(), *valid)
                 .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                 .add_extension(devpki._key_usage(key_cert_sign=True, crl_sign=True), critical=True)
                 .sign(key, hashes.SHA256()))
    root = devpki.Issued(key, root_cert)  # type: ignore[arg-type]  # an EC CA: devpki types RSA
    seal = devpki.issue_seal_certificate(
        root, organisation="EDCBRIDGE TEST University", organisation_identifier="NTRBE-TEST0001",
        country="BE", not_before=NOW - timedelta(days=5), not_after=NOW + timedelta(days=300))
    return root, seal


def _decoy(root: devpki.Issued, leaf: x509.Certificate) -> x509.Certificate:
    """A CA certificate with the root's name and the other key the leaf's signature verifies
    under, signed by a stranger: what anyone can add to a seal's unsigned xVals."""
    stranger = devpki.new_key()
    return (x509.CertificateBuilder().subject_name(root.certificate.subject)
            .issuer_name(x509.Name.from_rfc4514_string("CN=Stranger"))
            .public_key(_other_key(leaf, root.certificate.public_key()))  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=10)).not_valid_after(NOW + timedelta(days=900))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(stranger, hashes.SHA256()))


def _openssl_crl(crl: x509.CertificateRevocationList, ca: x509.Certificate,
                 tmp_path: Path) -> subprocess.CompletedProcess[str]:
    openssl = need_tool("openssl")
    (tmp_path / "crl.der").write_bytes(crl.public_bytes(DER))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(PEM))
    return subprocess.run([openssl, "crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"), "-noout",
                           "-CAfile", str(tmp_path / "ca.pem")], capture_output=True, text=True, check=False)


def test_a_second_key_the_seal_signature_verifies_under_does_not_pass_for_the_trusted_issuer(
        ec_pki: tuple[devpki.Issued, devpki.IssuedSeal], tmp_path: Path) -> None:
    root, seal = ec_pki
    leaf = seal.certificate
    decoy = _decoy(root, leaf)
    assert issued_by(leaf, decoy) and issued_by(leaf, root.certificate)  # both pass as the issuer
    crl = devpki.make_crl(root, NOW)
    checked = _openssl_crl(crl, root.certificate, tmp_path)
    assert checked.returncode == 0 and "verify OK" in checked.stderr + checked.stdout, checked.stderr

    # the decoy first, as an added xVals entry puts it: the trusted path decides the issuer
    issuer = revocation.find_issuer(leaf, [decoy], (root.certificate,), NOW)
    assert issuer == root.certificate
    finding = revocation.crl_finding(crl, leaf, issuer, NOW)
    assert finding is not None and finding.good, finding
    # the decoy cannot verify the CA's CRL: as the issuer it would have turned a sound CRL away
    wrong = revocation.crl_finding(crl, leaf, decoy, NOW)
    assert wrong is not None and "invalid signature" in wrong.reason
    assert revocation.find_issuers(leaf, [decoy, root.certificate]) == [decoy, root.certificate]


def test_issuer_search_is_bounded(ec_pki: tuple[devpki.Issued, devpki.IssuedSeal]) -> None:
    root, seal = ec_pki
    decoys = [_decoy(root, seal.certificate) for _ in range(revocation.MAX_ISSUER_CHECKS + 5)]
    assert len(revocation.find_issuers(seal.certificate, [*decoys, root.certificate])) \
        == revocation.MAX_ISSUER_CHECKS
    assert revocation.find_issuer(seal.certificate, decoys, (root.certificate,), NOW) == root.certificate


# --- unreadable extensions: a verdict, never a traceback ------------------------------------


def _garbled(oid: x509.ObjectIdentifier) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(oid, b"\x04\x00")  # an OCTET STRING, not the extension's ASN.1


def test_crl_with_an_unreadable_extension_is_ignored_not_a_traceback(
        pki: devpki.DevPki, tmp_path: Path) -> None:
    crl = (x509.CertificateRevocationListBuilder().issuer_name(pki.root.certificate.subject)
           .last_update(NOW - timedelta(hours=1)).next_update(NOW + timedelta(days=1))
           .add_extension(_garbled(ExtensionOID.CRL_NUMBER), critical=False)
           .sign(pki.root.key, hashes.SHA256()))
    assert "verify OK" in (lambda r: r.stdout + r.stderr)(_openssl_crl(crl, pki.root.certificate, tmp_path))
    finding = revocation.crl_finding(crl, pki.seal.certificate, pki.root.certificate, NOW)
    assert finding is not None and not finding.good and not finding.revoked
    assert "unreadable extension" in finding.reason


def test_revoked_entry_with_an_unreadable_extension_is_still_a_revocation(pki: devpki.DevPki) -> None:
    entry = (x509.RevokedCertificateBuilder().serial_number(pki.seal.certificate.serial_number)
             .revocation_date(NOW - timedelta(days=2))
             .add_extension(_garbled(CRLEntryExtensionOID.INVALIDITY_DATE), critical=False).build())
    crl = (x509.CertificateRevocationListBuilder().issuer_name(pki.root.certificate.subject)
           .last_update(NOW - timedelta(hours=1)).next_update(NOW + timedelta(days=1))
           .add_revoked_certificate(entry).sign(pki.root.key, hashes.SHA256()))
    finding = revocation.crl_finding(crl, pki.seal.certificate, pki.root.certificate, NOW)
    assert finding is not None and finding.revoked
    assert finding.revoked_at == NOW - timedelta(days=2)


def test_ocsp_response_carrying_an_unreadable_responder_certificate_gets_a_verdict(
        pki: devpki.DevPki) -> None:
    """A responder certificate the CA issued with an extension that cannot be read: passed over,
    so the answer is not used (it is the only signer the response names)."""
    key = devpki.new_key()
    name = x509.Name.from_rfc4514_string("CN=EDCBRIDGE TEST OCSP,O=EDCBRIDGE TEST PKI,C=BE")
    valid = (NOW - timedelta(days=1), NOW + timedelta(days=30))
    responder = (devpki._builder(name, pki.root, key.public_key(), *valid)
                 .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
                 .add_extension(_garbled(ExtensionOID.KEY_USAGE), critical=True)
                 .sign(pki.root.key, hashes.SHA256()))
    answer = (ocsp.OCSPResponseBuilder()
              .add_response(cert=pki.seal.certificate, issuer=pki.root.certificate,
                            algorithm=hashes.SHA1(), cert_status=ocsp.OCSPCertStatus.GOOD,
                            this_update=NOW - timedelta(minutes=5), next_update=NOW + timedelta(days=1),
                            revocation_time=None, revocation_reason=None)
              .responder_id(ocsp.OCSPResponderEncoding.NAME, responder).certificates([responder])
              .sign(key, hashes.SHA256()).public_bytes(DER))
    finding = revocation.ocsp_finding(answer, pki.seal.certificate, pki.root.certificate, [], NOW)
    assert finding is not None and not finding.good
    assert "not signed by the issuer or by an OCSP responder it authorised" in finding.reason


def test_decoy_issuer_added_to_xvals_does_not_turn_a_sound_crl_away(
        ec_pki: tuple[devpki.Issued, devpki.IssuedSeal], pki: devpki.DevPki) -> None:
    root, seal = ec_pki
    # the authority's clock is the sealer's (NOW): a slow run must not set them minutes apart
    with DevServer(TimestampAuthority(pki.tsa_signer(), clock=lambda: NOW)) as server:
        tsa = TsaClient(server.tsa_url, timeout=5)
        sealer = Sealer(keys.SealKey(seal.key, seal.certificate, (root.certificate,)), tsa=tsa,
                        crls=[devpki.make_crl(root, NOW)], level=Level.B_LT, clock=lambda: NOW)
        doc = json.loads(sealer.seal('{"id": "urn:credential:decoy-issuer", '
                                     '"type": ["VerifiableCredential"]}'))
        tsa.close()
    header = doc["signatures"][0]["header"]
    decoy = jades.etsiu_entry({"xVals": [{"x509Cert": {"val": der_b64(_decoy(root, seal.certificate))}}]})
    options = VerifyOptions(at=NOW, trust_anchors=(root.certificate, pki.root.certificate),
                            require_trust=True, require_revocation=True)
    assert verify_document(json.dumps(doc).encode(), options).checks["REVOCATION"].status == "OK"
    header["etsiU"] = [decoy, *header["etsiU"]]  # anyone holding the file can do this
    check = verify_document(json.dumps(doc).encode(), options).checks["REVOCATION"]
    assert check.status == "OK", check.reason
