"""A throw-away test PKI: root CA, e-seal certificate, timestamp authority and CRL.

Every subject carries "TEST"; nothing made here is fit for a real credential.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from edcbridge.output import write_atomic
from edcbridge.seal import _der
from edcbridge.seal.certs import QC_COMPLIANCE, QC_STATEMENTS, QC_TYPE, QC_TYPE_ESEAL
from edcbridge.seal.keys import SealKey, SealPrivateKey
from edcbridge.seal.tsa_server import TokenSigner

TEST_OU = "TEST ONLY - not a real seal"
NAME_LIMIT = 64  # UTF-8 bytes of an organisation or common name, as cryptography counts them
TSA_POLICY = "1.3.6.1.4.1.99999.1.1"  # private arc, test only


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate


@dataclass(frozen=True)
class IssuedSeal:
    key: SealPrivateKey
    certificate: x509.Certificate


def new_key(size: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def _name(common_name: str, organisation: str, country: str, org_id: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_OU),
    ]
    if org_id:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, org_id))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def name_fits(name: str) -> bool:
    return len(name.encode("utf-8")) <= NAME_LIMIT


def marked(name: str, mark: str) -> str:
    """*name* followed by *mark*, the name shortened so that both fit in a certificate name."""
    if name_fits(name + mark):
        return name + mark
    room = NAME_LIMIT - len(mark.encode("utf-8"))
    return name.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip() + mark


def _key_usage(**flags: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
    )
    return x509.KeyUsage(**{n: flags.get(n, False) for n in names}, encipher_only=False, decipher_only=False)


def qc_statements(types: Sequence[str] = (QC_TYPE_ESEAL,)) -> x509.UnrecognizedExtension:
    """eIDAS QCStatements: QcCompliance and QcType (ETSI EN 319 412-5)."""
    statements = [_der.sequence(_der.oid(QC_COMPLIANCE))]
    if types:
        statements.append(_der.sequence(_der.oid(QC_TYPE), _der.sequence(*(_der.oid(t) for t in types))))
    return x509.UnrecognizedExtension(QC_STATEMENTS, _der.sequence(*statements))


def _builder(
    subject: x509.Name,
    issuer: Issued | None,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    issuer_name = issuer.certificate.subject if issuer else subject
    issuer_key = issuer.key.public_key() if issuer else public_key
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False)
    )


def make_root_ca(now: datetime, *, years: int = 10) -> Issued:
    key = new_key()
    cert = (
        _builder(
            _name("EDCBRIDGE TEST Root CA", "EDCBRIDGE TEST PKI", "BE"),
            None,
            key.public_key(),
            now - timedelta(days=1),
            now + timedelta(days=365 * years),
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def issue_seal_certificate(
    ca: Issued,
    *,
    organisation: str,
    organisation_identifier: str,
    country: str,
    not_before: datetime,
    not_after: datetime,
    key: SealPrivateKey | None = None,
    digital_signature: bool = True,
    crl_url: str | None = None,
    ocsp_url: str | None = None,
) -> IssuedSeal:
    """An e-seal certificate with organizationIdentifier and QC statements; with a CRL
    distribution point and an OCSP responder when their URLs are given."""
    key = key or new_key()
    builder = (
        _builder(
            _name(marked(organisation, " TEST e-seal"), organisation, country, organisation_identifier),
            ca,
            key.public_key(),
            not_before,
            not_after,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=digital_signature, content_commitment=True),
            critical=True,
        )
        .add_extension(qc_statements(), critical=False)
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if ocsp_url:
        responder = x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                           x509.UniformResourceIdentifier(ocsp_url))
        builder = builder.add_extension(x509.AuthorityInformationAccess([responder]), critical=False)
    return IssuedSeal(key, builder.sign(ca.key, hashes.SHA256()))


def issue_tsa_certificate(ca: Issued, now: datetime, *, years: int = 5) -> Issued:
    """A timestamp-authority certificate: critical extendedKeyUsage timeStamping (RFC 3161)."""
    key = new_key()
    cert = (
        _builder(
            _name("EDCBRIDGE TEST TSA", "EDCBRIDGE TEST PKI", "BE"),
            ca,
            key.public_key(),
            now - timedelta(days=1),
            now + timedelta(days=365 * years),
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(key, cert)


def make_crl(
    ca: Issued, now: datetime, revoked: Sequence[x509.Certificate] = (), *, days: int = 30
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - timedelta(minutes=30))
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256())


@dataclass(frozen=True)
class DevPki:
    root: Issued
    seal: IssuedSeal
    tsa: Issued
    crl: x509.CertificateRevocationList

    def tsa_signer(self) -> TokenSigner:
        return TokenSigner(self.tsa.key, self.tsa.certificate, TSA_POLICY)


def generate(
    *,
    now: datetime | None = None,
    organisation: str = "EDCBRIDGE TEST University",
    organisation_identifier: str = "NTRBE-TEST0001",
    country: str = "BE",
    crl_url: str | None = None,
) -> DevPki:
    now = now or datetime.now(UTC)
    root = make_root_ca(now)
    seal = issue_seal_certificate(
        root,
        organisation=organisation,
        organisation_identifier=organisation_identifier,
        country=country,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=730),
        crl_url=crl_url,
    )
    tsa = issue_tsa_certificate(root, now)
    return DevPki(root, seal, tsa, make_crl(root, now))


@dataclass(frozen=True)
class TestSeal:
    """Paths of a written test PKI; the password opens both seal.p12 and seal-key.pem."""

    __test__ = False  # not a pytest class

    directory: Path
    root_ca: Path
    p12: Path
    password_file: Path
    seal_key: Path
    seal_cert: Path
    tsa_cert: Path
    tsa_key: Path
    crl: Path

    @classmethod
    def at(cls, directory: Path) -> TestSeal:
        """The file layout `dev-pki` writes into *directory*."""
        return cls(
            directory=directory,
            root_ca=directory / "root-ca.pem",
            p12=directory / "seal.p12",
            password_file=directory / "seal-password.txt",
            seal_key=directory / "seal-key.pem",
            seal_cert=directory / "seal-cert.pem",
            tsa_cert=directory / "tsa-cert.pem",
            tsa_key=directory / "tsa-key.pem",
            crl=directory / "root-ca.crl",
        )

    @property
    def written(self) -> tuple[Path, ...]:
        """Every file `dev-pki` writes, in the order its README lists them."""
        return (self.root_ca, self.p12, self.password_file, self.seal_key, self.seal_cert,
                self.tsa_cert, self.tsa_key, self.crl, self.directory / "README.txt")

    @property
    def password(self) -> bytes:
        return self.password_file.read_text(encoding="utf-8").strip().encode("utf-8")


_README = """TEST PKI made by `edcbridge dev-pki`. Every certificate here is marked TEST.
These keys are NOT secret and NOT qualified: never seal a real credential with them.

root-ca.pem         trust anchor (use with `edcbridge verify --trust-anchor root-ca.pem`)
seal.p12            e-seal key + certificate + chain; password in seal-password.txt
seal-key.pem        the same key as encrypted PEM; seal-cert.pem holds certificate + chain
tsa-cert.pem        timestamp authority certificate (tsa-key.pem: its unencrypted key)
root-ca.crl         CRL of the root CA (DER)
"""


def _pem_key(key: SealPrivateKey, password: bytes | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def write(pki: DevPki, directory: Path) -> TestSeal:
    directory.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18).encode("ascii")
    pem = serialization.Encoding.PEM
    files = TestSeal.at(directory)
    p12 = pkcs12.serialize_key_and_certificates(
        b"TEST e-seal",
        pki.seal.key,
        pki.seal.certificate,
        [pki.root.certificate],
        serialization.BestAvailableEncryption(password),
    )
    files.root_ca.write_bytes(pki.root.certificate.public_bytes(pem))
    write_atomic(files.p12, p12, mode=0o600)  # the secrets: never readable by others, even briefly
    write_atomic(files.password_file, password + b"\n", mode=0o600)
    write_atomic(files.seal_key, _pem_key(pki.seal.key, password), mode=0o600)
    files.seal_cert.write_bytes(
        pki.seal.certificate.public_bytes(pem) + pki.root.certificate.public_bytes(pem)
    )
    files.tsa_cert.write_bytes(pki.tsa.certificate.public_bytes(pem))
    write_atomic(files.tsa_key, _pem_key(pki.tsa.key, None), mode=0o600)
    files.crl.write_bytes(pki.crl.public_bytes(serialization.Encoding.DER))
    (directory / "README.txt").write_text(_README, encoding="utf-8")
    return files


def generate_test_seal(
    directory: Path,
    *,
    organisation: str = "EDCBRIDGE TEST University",
    organisation_identifier: str = "NTRBE-TEST0001",
    country: str = "BE",
    crl_url: str | None = None,
) -> TestSeal:
    """Write a fresh TEST PKI into *directory* (for `edcbridge demo`)."""
    pki = generate(
        organisation=organisation,
        organisation_identifier=organisation_identifier,
        country=country,
        crl_url=crl_url,
    )
    return write(pki, directory)


def load_tsa_signer(files: TestSeal) -> TokenSigner:
    """The timestamp authority of a written test PKI, for a local responder."""
    key = serialization.load_pem_private_key(files.tsa_key.read_bytes(), None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("test TSA key must be RSA")
    cert = x509.load_pem_x509_certificate(files.tsa_cert.read_bytes())
    return TokenSigner(key, cert, TSA_POLICY)


def ec_seal_key(pki: DevPki, *, valid_days: int = 30,
                curve: ec.EllipticCurve | None = None) -> SealKey:
    """An EC TEST seal under the same root, valid from yesterday: P-256 (ES256) unless another
    ``curve`` is given (P-384 for ES384, P-521 for ES512)."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    now = datetime.now(UTC)
    issued = issue_seal_certificate(
        pki.root, organisation="EDCBRIDGE TEST EC", organisation_identifier="NTRBE-TEST0007",
        country="BE", not_before=now - timedelta(days=1), not_after=now + timedelta(days=valid_days),
        key=key)
    return SealKey(key, issued.certificate, (pki.root.certificate,))
