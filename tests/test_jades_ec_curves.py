"""EC seals on P-384 and P-521 sign ES384 and ES512 (RFC 7518 3.4), and each ECDSA algorithm
is accepted only over a key on its own curve."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from edcbridge.cli import main
from edcbridge.seal import devpki, jades, keys
from edcbridge.seal.errors import CertificateError
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.verify import VerifyOptions, verify_document

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
PAYLOAD = '{"id": "urn:credential:ec", "name": "Diplôme – 学位", "n": 1.50}'
CURVES = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
HASHES = {"ES256": hashes.SHA256(), "ES384": hashes.SHA384(), "ES512": hashes.SHA512()}
SIZES = {"ES256": 32, "ES384": 48, "ES512": 66}


@dataclass(frozen=True)
class EcPki:
    """A TEST root CA and e-seal, both on one curve, the root signing with that curve's hash."""

    root: x509.Certificate
    seal: keys.SealKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "EDCBRIDGE TEST EC"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, devpki.TEST_OU),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "NTRBE-TEST0384"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signing, content_commitment=signing, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not signing,
                         crl_sign=not signing, encipher_only=False, decipher_only=False)


def _certificate(subject: str, issuer: x509.Name, public: ec.EllipticCurvePublicKey,
                 signer: ec.EllipticCurvePrivateKey, digest: hashes.HashAlgorithm, *, ca: bool
                 ) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
               .public_key(public).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=10)).not_valid_after(NOW + timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(_usage(signing=not ca), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                              critical=False))
    if not ca:
        builder = builder.add_extension(devpki.qc_statements(), critical=False)
    return builder.sign(signer, digest)


def ec_pki(alg: str) -> EcPki:
    curve, digest = CURVES[alg], HASHES[alg]
    root_key, seal_key = ec.generate_private_key(curve), ec.generate_private_key(curve)
    root = _certificate(f"EDCBRIDGE TEST {alg} Root CA", _name(f"EDCBRIDGE TEST {alg} Root CA"),
                        root_key.public_key(), root_key, digest, ca=True)
    seal = _certificate(f"EDCBRIDGE TEST {alg} e-seal", root.subject, seal_key.public_key(), root_key,
                        digest, ca=False)
    return EcPki(root, keys.SealKey(seal_key, seal, (root,)))


@pytest.fixture(scope="module", params=["ES384", "ES512"])
def curve_pki(request: pytest.FixtureRequest) -> tuple[str, EcPki]:
    return request.param, ec_pki(request.param)


@pytest.fixture(scope="module")
def p256() -> EcPki:
    return ec_pki("ES256")


def _protected(sealed: str) -> dict[str, object]:
    encoded = json.loads(sealed)["signatures"][0]["protected"]
    value = json.loads(jades.b64url_decode(encoded))
    assert isinstance(value, dict)
    return value


def _forge(key: keys.SealKey, header: dict[str, object], signature: bytes | None = None,
           digest: hashes.HashAlgorithm | None = None, size: int | None = None) -> bytes:
    """A seal with *header* as its protected header, signed by *key*'s EC key with *digest*
    as raw r||s of *size* bytes each (or carrying *signature* as given)."""
    protected_b64 = jades.b64url(jades.encode_json(header).encode("utf-8"))
    data = jades.signing_input(protected_b64, PAYLOAD)
    if signature is None:
        assert isinstance(key.private_key, ec.EllipticCurvePrivateKey) and digest and size
        r, s = decode_dss_signature(key.private_key.sign(data, ec.ECDSA(digest)))
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return jades.serialise(PAYLOAD, protected_b64, jades.b64url(signature), [])


def _header(key: keys.SealKey, alg: str) -> dict[str, object]:
    return jades.protected_header(key.certificate, key.intermediates, alg, NOW)


def _seal_reason(data: bytes, pki: EcPki | None = None) -> tuple[str, str]:
    anchors = (pki.root,) if pki else ()
    check = verify_document(data, VerifyOptions(trust_anchors=anchors, at=NOW)).checks["SEAL"]
    return check.status, check.reason


def test_a_p384_or_p521_seal_signs_with_the_algorithm_of_its_curve(curve_pki: tuple[str, EcPki]) -> None:
    alg, pki = curve_pki
    sealer = Sealer(pki.seal, algorithm=None, clock=lambda: NOW)
    assert sealer.algorithm == alg
    sealed = sealer.seal(PAYLOAD)
    signature = jades.b64url_decode(json.loads(sealed)["signatures"][0]["signature"])
    assert len(signature) == 2 * SIZES[alg]  # raw r || s, not DER
    status, reason = _seal_reason(sealed.encode("utf-8"), pki)
    assert status == "OK", reason
    assert reason.startswith(f"{alg} signature valid over the exact payload")
    assert "chain to trust anchor" in reason


def test_the_header_of_an_ec384_or_ec521_seal_keeps_the_jades_shape(curve_pki: tuple[str, EcPki]) -> None:
    """x5t#S256 names its hash: it stays the SHA-256 of the certificate whatever the algorithm;
    the payload stays unencoded (b64 false) and only b64 and sigT are critical."""
    alg, pki = curve_pki
    header = _protected(Sealer(pki.seal, algorithm=alg, clock=lambda: NOW).seal(PAYLOAD))
    der = pki.seal.certificate.public_bytes(serialization.Encoding.DER)
    assert header["x5t#S256"] == jades.b64url(hashlib.sha256(der).digest())
    assert header["alg"] == alg and header["b64"] is False and header["crit"] == ["b64", "sigT"]
    assert "sigD" not in header


@pytest.mark.parametrize("alg", ["ES384", "ES512"])
def test_an_algorithm_of_another_curve_is_refused_for_sealing(p256: EcPki, alg: str) -> None:
    with pytest.raises(CertificateError, match=f"{alg} needs an EC P-{alg[2:].replace('512', '521')} key; "
                                               "this key is EC P-256, use ES256"):
        Sealer(p256.seal, algorithm=alg, clock=lambda: NOW)


def test_a_curve_without_a_jose_algorithm_is_refused() -> None:
    brainpool = ec.generate_private_key(ec.BrainpoolP384R1())
    with pytest.raises(CertificateError, match="an EC seal on P-256, P-384 or P-521"):
        jades.algorithm_for(brainpool)


@pytest.mark.parametrize(("alg", "digest", "size", "needed"), [
    ("ES384", hashes.SHA384(), 32, "ES384 needs an EC P-384 key"),
    ("ES512", hashes.SHA512(), 32, "ES512 needs an EC P-521 key"),
])
def test_a_header_naming_another_curves_algorithm_is_refused(
        p256: EcPki, alg: str, digest: hashes.HashAlgorithm, size: int, needed: str) -> None:
    """An ES384 header over a P-256 key is a valid ECDSA signature with the wrong hash: refused."""
    forged = _forge(p256.seal, _header(p256.seal, alg), digest=digest, size=size)
    status, reason = _seal_reason(forged)
    assert status == "ERROR"
    assert reason == f"the header's algorithm does not fit the certificate's key: {needed}; " \
                     "this key is EC P-256, use ES256"


def test_es256_over_a_p384_or_p521_key_is_refused(curve_pki: tuple[str, EcPki]) -> None:
    alg, pki = curve_pki
    forged = _forge(pki.seal, _header(pki.seal, "ES256"), digest=hashes.SHA256(), size=SIZES[alg])
    status, reason = _seal_reason(forged)
    assert status == "ERROR" and "ES256 needs an EC P-256 key" in reason


@pytest.mark.parametrize("alg", ["none", "HS256", "HS384", "HS512"])
def test_no_signature_and_hmac_are_refused(curve_pki: tuple[str, EcPki], alg: str) -> None:
    """Not even an HMAC keyed with the public certificate (key confusion) passes."""
    _, pki = curve_pki
    header = _header(pki.seal, alg)
    protected_b64 = jades.b64url(jades.encode_json(header).encode("utf-8"))
    mac = hmac.HMAC(pki.seal.certificate.public_bytes(serialization.Encoding.PEM), hashes.SHA256())
    mac.update(jades.signing_input(protected_b64, PAYLOAD))
    status, reason = _seal_reason(_forge(pki.seal, header, signature=mac.finalize()))
    assert status == "ERROR" and f"algorithm {alg!r} is not allowed" in reason


def test_a_der_signature_value_is_refused(curve_pki: tuple[str, EcPki]) -> None:
    alg, pki = curve_pki
    header = _header(pki.seal, alg)
    protected_b64 = jades.b64url(jades.encode_json(header).encode("utf-8"))
    assert isinstance(pki.seal.private_key, ec.EllipticCurvePrivateKey)
    der = pki.seal.private_key.sign(jades.signing_input(protected_b64, PAYLOAD), ec.ECDSA(HASHES[alg]))
    status, reason = _seal_reason(_forge(pki.seal, header, signature=der))
    assert status == "ERROR"
    assert reason == f"an {alg} signature is r||s of {2 * SIZES[alg]} bytes, this one has {len(der)}"


def test_r_and_s_padded_beyond_the_curve_size_are_refused(p256: EcPki) -> None:
    """The same ES256 signature with r and s one byte longer is another spelling of it."""
    padded = _forge(p256.seal, _header(p256.seal, "ES256"), digest=hashes.SHA256(), size=33)
    status, reason = _seal_reason(padded)
    assert status == "ERROR" and reason == "an ES256 signature is r||s of 64 bytes, this one has 66"
    assert _seal_reason(_forge(p256.seal, _header(p256.seal, "ES256"), digest=hashes.SHA256(),
                               size=32))[0] == "OK"


@pytest.mark.parametrize(("change", "said"), [
    ({"sigD": {"mId": "http://uri.etsi.org/19182/ObjectIdByURI", "pars": ["a"]}}, "sigD"),
    ({"b64": True}, "signature"),  # the payload written unencoded is then read as base64url
    ({"crit": ["b64"]}, "crit must list sigT"),
    ({"crit": ["sigT"]}, "crit must list b64 when"),
    ({"crit": ["b64", "sigT", "x5t#S256"]}, "must not list the registered header x5t#S256"),
])
def test_sigd_b64_and_crit_rules_hold_for_es384_and_es512(
        curve_pki: tuple[str, EcPki], change: dict[str, object], said: str) -> None:
    alg, pki = curve_pki
    header = {**_header(pki.seal, alg), **change}
    forged = _forge(pki.seal, header, digest=HASHES[alg], size=SIZES[alg])
    status, reason = _seal_reason(forged)
    assert status == "ERROR" and said in reason, reason


def _pem_files(folder: Path, pki: EcPki) -> tuple[Path, Path]:
    key, cert = folder / "seal-key.pem", folder / "seal-cert.pem"
    key.write_bytes(pki.seal.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                              for c in (pki.seal.certificate, pki.root)))
    return key, cert


def test_seal_and_verify_commands_use_the_curves_algorithm(
        curve_pki: tuple[str, EcPki], tmp_path: Path) -> None:
    alg, pki = curve_pki
    key, cert = _pem_files(tmp_path, pki)
    credential = tmp_path / "award.json"
    credential.write_text(PAYLOAD, encoding="utf-8")
    runner = CliRunner()
    sealed = runner.invoke(main, ["seal", str(credential), "--out", str(tmp_path / "out"), "--key", str(key),
                                  "--cert", str(cert), "--level", "B-B", "--any-issuer"])
    assert sealed.exit_code == 0, sealed.output
    assert f"({alg})" in sealed.stderr
    (path,) = (tmp_path / "out").iterdir()
    assert _protected(path.read_text("utf-8"))["alg"] == alg
    anchor = tmp_path / "root.pem"
    anchor.write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    verified = runner.invoke(main, ["verify", str(path), "--json", "--trust-anchor", str(anchor)])
    seal = json.loads(verified.stdout)[0]["checks"]["SEAL"]
    assert seal["status"] == "OK" and seal["reason"].startswith(f"{alg} signature valid"), seal
    other = "ES512" if alg == "ES384" else "ES384"
    refused = runner.invoke(main, ["seal", str(credential), "--out", str(tmp_path / "other"), "--key",
                                   str(key), "--cert", str(cert), "--level", "B-B", "--alg", other])
    assert refused.exit_code == 2 and f"{other} needs an EC" in refused.stderr, refused.output


def test_a_tampered_es384_or_es512_seal_fails(curve_pki: tuple[str, EcPki]) -> None:
    alg, pki = curve_pki
    sealed = Sealer(pki.seal, algorithm=alg, clock=lambda: NOW).seal(PAYLOAD)
    tampered = sealed.replace("Diplôme", "Diplome", 1)
    assert tampered != sealed
    status, reason = _seal_reason(tampered.encode("utf-8"), pki)
    assert status == "ERROR" and reason == "signature does not match the payload and protected header"

