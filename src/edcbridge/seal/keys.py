"""Load the seal (private key + certificate chain) once per run, from PKCS#12 or PEM.

Passwords come from a file, an environment variable or an interactive prompt, never from the
command line, and are never logged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from edcbridge.seal.certs import check_can_seal, is_self_signed
from edcbridge.seal.errors import CertificateError, KeyLoadError, PasswordError

PASSWORD_ENV = "EDCBRIDGE_SEAL_PASSWORD"

SealPrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class SealKey:
    """A private key, its certificate and the issuing chain (leaf excluded, root optional)."""

    private_key: SealPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def intermediates(self) -> tuple[x509.Certificate, ...]:
        """The chain without self-signed roots: what goes into `x5c` after the leaf."""
        return tuple(c for c in self.chain if not is_self_signed(c))


def read_password(
    password_file: Path | None = None,
    *,
    env: str = PASSWORD_ENV,
    prompt: Callable[[], str] | None = None,
) -> bytes:
    """Password from *password_file*, else the *env* variable, else *prompt*."""
    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise PasswordError(f"cannot read password file {password_file}: {exc.strerror}") from exc
        except UnicodeDecodeError:
            raise PasswordError(f"password file {password_file} is not UTF-8 text: save it as UTF-8 "
                                "(the password is read as UTF-8, as PKCS#12 tools write it)") from None
        # Windows Notepad may begin a UTF-8 file with a byte-order mark: it is not the password's
        return text.removeprefix("\ufeff").rstrip("\r\n").encode("utf-8")
    value = os.environ.get(env)
    if value is not None:
        return value.encode("utf-8")
    if prompt is not None:
        return prompt().encode("utf-8")
    raise PasswordError(f"no seal password: set {env} or pass --password-file (never on the command line)")


def _check_key_type(key: object, source: Path) -> SealPrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise KeyLoadError(f"{source}: unsupported key type {type(key).__name__}; use RSA or EC P-256")


def _public_der(key: object) -> bytes:
    if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b""


def check_key_matches(key: SealPrivateKey, cert: x509.Certificate) -> None:
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise CertificateError(
            f"the private key does not belong to certificate '{cert.subject.rfc4514_string()}'; "
            "check that the key and certificate files come from the same seal"
        )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyLoadError(f"cannot read {path}: {exc.strerror}") from exc


def load_p12(path: Path, password: bytes, *, at: datetime) -> SealKey:
    """Open a PKCS#12 seal and check it can seal at *at*."""
    data = _read(path)
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError as exc:
        raise PasswordError(
            f"cannot open {path}: wrong password or not a PKCS#12 file; "
            f"check the password in --password-file or {PASSWORD_ENV}"
        ) from exc
    if key is None or cert is None:
        raise KeyLoadError(f"{path} must hold one private key and its certificate")
    seal = SealKey(_check_key_type(key, path), cert, tuple(extra))
    check_key_matches(seal.private_key, seal.certificate)
    check_can_seal(seal.certificate, at)
    return seal


def _leaf_first(key: SealPrivateKey, certs: list[x509.Certificate]) -> tuple[x509.Certificate,
                                                                               tuple[x509.Certificate, ...]]:
    """The certificate of ``key``, then the others: a chain file may list the CA first."""
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    for index, cert in enumerate(certs):
        if cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo) == public:
            return cert, tuple(certs[:index] + certs[index + 1:])
    return certs[0], tuple(certs[1:])  # none is the key's: check_key_matches says so


def load_pem(key_path: Path, cert_path: Path, password: bytes | None, *, at: datetime) -> SealKey:
    """Open a PEM key and a PEM file holding the certificate first, then its chain."""
    try:
        key = serialization.load_pem_private_key(_read(key_path), password)
    except TypeError as exc:
        raise PasswordError(f"{key_path} is encrypted: a password is needed") from exc
    except ValueError as exc:
        raise PasswordError(f"cannot open {key_path}: wrong password or not a PEM private key") from exc
    try:
        certs = x509.load_pem_x509_certificates(_read(cert_path))
    except ValueError as exc:
        raise KeyLoadError(f"{cert_path} holds no PEM certificate") from exc
    private = _check_key_type(key, key_path)
    seal = SealKey(private, *_leaf_first(private, certs))
    check_key_matches(seal.private_key, seal.certificate)
    check_can_seal(seal.certificate, at)
    return seal
