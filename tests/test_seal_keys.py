"""Loading a seal: PKCS#12 / PEM, passwords, certificate checks and report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import pkcs12

from edcbridge.seal import devpki, keys
from edcbridge.seal.certs import describe
from edcbridge.seal.errors import CertificateError, KeyLoadError, PasswordError
from edcbridge.seal.sealer import Sealer

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW)


@pytest.fixture(scope="module")
def files(pki: devpki.DevPki, tmp_path_factory: pytest.TempPathFactory) -> devpki.TestSeal:
    return devpki.write(pki, tmp_path_factory.mktemp("pki"))


def _p12(path: Path, issued: devpki.IssuedSeal, ca: devpki.Issued, password: bytes) -> Path:
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal",
            issued.key,
            issued.certificate,
            [ca.certificate],
            serialization.BestAvailableEncryption(password),
        )
    )
    return path


def test_p12_loads_with_chain(files: devpki.TestSeal, pki: devpki.DevPki) -> None:
    seal = keys.load_p12(files.p12, files.password, at=NOW)
    assert seal.certificate == pki.seal.certificate
    assert seal.chain == (pki.root.certificate,)
    assert seal.intermediates == ()  # the self-signed root is not sent in x5c


def test_pem_loads_same_seal(files: devpki.TestSeal, pki: devpki.DevPki) -> None:
    seal = keys.load_pem(files.seal_key, files.seal_cert, files.password, at=NOW)
    assert seal.certificate == pki.seal.certificate
    assert seal.chain == (pki.root.certificate,)


def test_wrong_password_is_one_clear_error(files: devpki.TestSeal) -> None:
    with pytest.raises(PasswordError, match="wrong password"):
        keys.load_p12(files.p12, b"not-the-password", at=NOW)
    with pytest.raises(PasswordError, match="wrong password"):
        keys.load_pem(files.seal_key, files.seal_cert, b"not-the-password", at=NOW)


def test_encrypted_pem_without_password(files: devpki.TestSeal) -> None:
    with pytest.raises(PasswordError, match="password is needed"):
        keys.load_pem(files.seal_key, files.seal_cert, None, at=NOW)


def test_expired_certificate_refused(pki: devpki.DevPki, tmp_path: Path) -> None:
    expired = devpki.issue_seal_certificate(
        pki.root,
        organisation="EDCBRIDGE TEST Expired",
        organisation_identifier="NTRBE-TEST0002",
        country="BE",
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )
    path = _p12(tmp_path / "expired.p12", expired, pki.root, b"pw")
    with pytest.raises(CertificateError, match="expired on"):
        keys.load_p12(path, b"pw", at=NOW)


def test_not_yet_valid_certificate_refused(pki: devpki.DevPki, tmp_path: Path) -> None:
    future = devpki.issue_seal_certificate(
        pki.root,
        organisation="EDCBRIDGE TEST Future",
        organisation_identifier="NTRBE-TEST0003",
        country="BE",
        not_before=NOW + timedelta(days=2),
        not_after=NOW + timedelta(days=400),
    )
    path = _p12(tmp_path / "future.p12", future, pki.root, b"pw")
    with pytest.raises(CertificateError, match="not valid before"):
        keys.load_p12(path, b"pw", at=NOW)


def test_key_certificate_mismatch_refused(pki: devpki.DevPki, tmp_path: Path) -> None:
    other_key = devpki.new_key()
    (tmp_path / "key.pem").write_bytes(
        other_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.pem").write_bytes(pki.seal.certificate.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(CertificateError, match="does not belong to certificate"):
        keys.load_pem(tmp_path / "key.pem", tmp_path / "cert.pem", None, at=NOW)


def test_certificate_without_digital_signature_refused(pki: devpki.DevPki, tmp_path: Path) -> None:
    no_ds = devpki.issue_seal_certificate(
        pki.root,
        organisation="EDCBRIDGE TEST NoSign",
        organisation_identifier="NTRBE-TEST0004",
        country="BE",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
        digital_signature=False,
    )
    path = _p12(tmp_path / "nods.p12", no_ds, pki.root, b"pw")
    with pytest.raises(CertificateError, match="digitalSignature"):
        keys.load_p12(path, b"pw", at=NOW)


def test_certificate_report(pki: devpki.DevPki) -> None:
    report = describe(pki.seal.certificate)
    assert report.organisation_identifier == "NTRBE-TEST0001"
    assert report.country == "BE"
    assert report.qc_compliance and report.qc_types == ("eseal",)
    assert report.is_qualified_eseal
    assert "digital_signature" in report.key_usage
    assert "TEST" in report.subject
    assert any(line.startswith("QC statements: QcCompliance") for line in report.lines())
    root = describe(pki.root.certificate)
    assert not root.qc_compliance and root.qc_types == ()


def test_issuer_identity_matches_certificate(files: devpki.TestSeal) -> None:
    sealer = Sealer.from_p12(files.p12, files.password)
    identity = sealer.issuer_identity()
    assert identity.legal_name == "EDCBRIDGE TEST University"
    assert identity.organisation_identifier == "NTRBE-TEST0001"
    assert identity.country == "BE"


def test_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "pw.txt"
    secret_file.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv(keys.PASSWORD_ENV, "from-env")
    assert keys.read_password(secret_file) == b"from-file"
    assert keys.read_password() == b"from-env"
    monkeypatch.delenv(keys.PASSWORD_ENV)
    assert keys.read_password(prompt=lambda: "typed") == b"typed"
    with pytest.raises(PasswordError, match="EDCBRIDGE_SEAL_PASSWORD"):
        keys.read_password()


def test_a_password_file_not_in_utf8_is_named_and_a_byte_order_mark_is_not_the_password(
        tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("mot-de-passe-\xe9t\xe9\n".encode("latin-1"))
    with pytest.raises(PasswordError, match=r"latin1\.txt is not UTF-8 text"):
        keys.read_password(latin1)
    notepad = tmp_path / "notepad.txt"
    notepad.write_bytes(b"\xef\xbb\xbfs3cret\r\n")
    assert keys.read_password(notepad) == b"s3cret"


def test_a_certificate_file_listing_the_ca_first_still_finds_the_seals_certificate(
        files: devpki.TestSeal, pki: devpki.DevPki, tmp_path: Path) -> None:
    chain_first = tmp_path / "chain.pem"
    chain_first.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM)
                            + pki.seal.certificate.public_bytes(serialization.Encoding.PEM))
    seal = keys.load_pem(files.seal_key, chain_first, files.password, at=NOW)
    assert seal.certificate == pki.seal.certificate
    assert seal.chain == (pki.root.certificate,)


def test_a_ca_certificate_given_as_the_seal_is_named_as_such(
        files: devpki.TestSeal, pki: devpki.DevPki, tmp_path: Path) -> None:
    key = tmp_path / "ca.key"
    key.write_bytes(pki.root.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    cert = tmp_path / "ca.pem"
    cert.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(CertificateError, match="is a CA certificate"):
        keys.load_pem(key, cert, None, at=NOW)


def test_an_ed25519_seal_loads_for_badges_and_is_refused_for_jades_and_xades(
        pki: devpki.DevPki, tmp_path: Path) -> None:
    issued = devpki.issue_seal_certificate(
        pki.root, organisation="EDCBRIDGE TEST ED25519", organisation_identifier="NTRBE-TEST0025",
        country="BE", not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=30),
        key=ed25519.Ed25519PrivateKey.generate())
    p12 = _p12(tmp_path / "ed25519.p12", issued, pki.root, b"pw")
    loaded = keys.load_badge_p12(p12, b"pw", at=NOW)
    assert isinstance(loaded, keys.Ed25519SealKey) and loaded.certificate == issued.certificate
    assert loaded.chain == (pki.root.certificate,)
    with pytest.raises(KeyLoadError, match="an Ed25519 key signs Open Badges only"):
        keys.load_p12(p12, b"pw", at=NOW)
    rsa_p12 = _p12(tmp_path / "rsa.p12", pki.seal, pki.root, b"pw")
    assert isinstance(keys.load_badge_p12(rsa_p12, b"pw", at=NOW), keys.SealKey)
