"""Load the seal (private key + certificate chain) once per run, from PKCS#12 or PEM.

Passwords come from a file, an environment variable or an interactive prompt, never from the
command line, and are never logged.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from edcbridge.seal import _der
from edcbridge.seal.certs import check_can_seal, is_self_signed, issued_by
from edcbridge.seal.errors import CertificateError, KeyLoadError, PasswordError

PASSWORD_ENV = "EDCBRIDGE_SEAL_PASSWORD"

SealPrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
AnyPrivateKey = SealPrivateKey | ed25519.Ed25519PrivateKey


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


@dataclass(frozen=True)
class Ed25519SealKey:
    """An Ed25519 key, its certificate and the issuing chain. It signs Open Badges and CLRs
    (VC-JWT ``EdDSA``, Data Integrity ``eddsa-rdfc-2022``); JAdES and XAdES seals take RSA or
    EC keys only, so this is not a :class:`SealKey`."""

    private_key: ed25519.Ed25519PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def intermediates(self) -> tuple[x509.Certificate, ...]:
        return tuple(c for c in self.chain if not is_self_signed(c))


BadgeKey = SealKey | Ed25519SealKey


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
    raise PasswordError(f"no seal password: set {env} or pass --password-file (never on the command "
                        f"line); for a seal file without a password, give an empty password file "
                        f"or set {env} to nothing")


def _check_key_type(key: object, source: Path) -> SealPrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyLoadError(f"{source}: an Ed25519 key signs Open Badges only ('edcbridge badges --seal'); "
                           "JAdES and XAdES seals need an RSA or EC P-256 key")
    raise KeyLoadError(f"{source}: unsupported key type {type(key).__name__}; use RSA or EC P-256")


def _public_der(key: object) -> bytes:
    if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b""


def check_key_matches(key: AnyPrivateKey, cert: x509.Certificate) -> None:
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


_MAKE_P12 = ("openssl pkcs12 -export -inkey seal-key.pem -in seal-cert.pem -certfile chain.pem "
             "-out seal.p12")


def load_p12(path: Path, password: bytes, *, at: datetime) -> SealKey:
    """Open a PKCS#12 seal and check it can seal at *at*."""
    key, certs = _p12_contents(path, password)
    return _seal_key(_check_key_type(key, path), certs, at)


def load_badge_p12(path: Path, password: bytes, *, at: datetime) -> BadgeKey:
    """As :func:`load_p12`, also taking an Ed25519 key, which signs Open Badges and CLRs."""
    key, certs = _p12_contents(path, password)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        return _seal_key(_check_key_type(key, path), certs, at)
    leaf, others = _leaf_first(key, certs)
    check_key_matches(key, leaf)
    check_can_seal(leaf, at)
    return Ed25519SealKey(key, leaf, issuer_chain(leaf, others))


def _p12_contents(path: Path, password: bytes) -> tuple[object, list[x509.Certificate]]:
    """The private key and the certificates of a PKCS#12 file that holds one key."""
    data = _read(path)
    key, cert, extra = _open_p12(path, data, password)
    if key is None:
        raise KeyLoadError(f"{path} holds no private key, only certificates: export the seal again "
                           "with its private key (Windows: 'Yes, export the private key'), or build "
                           f"the file from the key and certificates with: {_MAKE_P12}")
    _refuse_several_keys(path, data)
    certs = [c for c in (cert, *extra) if c is not None]
    if not certs:
        raise KeyLoadError(f"{path} holds a private key but no certificate: build the file from the "
                           f"key and its certificates with: {_MAKE_P12}")
    return key, certs


def _seal_key(private: SealPrivateKey, certs: list[x509.Certificate], at: datetime) -> SealKey:
    leaf, others = _leaf_first(private, certs)
    seal = SealKey(private, leaf, issuer_chain(leaf, others))
    check_key_matches(seal.private_key, seal.certificate)
    check_can_seal(seal.certificate, at)
    return seal


P12Contents = tuple[object, x509.Certificate | None, list[x509.Certificate]]

# (digest of the file's bytes, digest of the password) -> what they opened. Opening a PKCS#12
# file runs its key derivation (tens of ms for the usual iteration counts): a run opens its seal
# to name it and to check it, and each worker process to seal. Workers started by fork find it
# here, opened by the run before they started. Only files that opened are kept, by digests: not
# the password, not the file; the key stays in memory while the process lives, as the seals
# made from it do.
_OPENED: dict[tuple[bytes, bytes], P12Contents] = {}
_OPENED_AT_MOST = 8


def _open_p12(path: Path, data: bytes, password: bytes) -> P12Contents:
    key = (hashlib.sha256(data).digest(), hashlib.sha256(password).digest())
    opened = _OPENED.get(key)
    if opened is None:
        opened = _decrypt_p12(path, data, password)
        if len(_OPENED) >= _OPENED_AT_MOST:
            _OPENED.clear()
        _OPENED[key] = opened
    return opened


def _decrypt_p12(path: Path, data: bytes, password: bytes) -> P12Contents:
    for candidate in _password_forms(password):
        try:
            return pkcs12.load_key_and_certificates(data, candidate)
        except ValueError:
            continue
    raise _p12_problem(path, data)


def _password_forms(password: bytes) -> list[bytes | None]:
    """The password as PKCS#12 encodes it, then, when it is not ASCII, as OpenSSL 1.x encoded it
    (each UTF-8 byte a character of its own): the openssl command line tries both as well."""
    forms: list[bytes | None] = [password or None]
    if not password.isascii():
        forms.append(password.decode("latin-1").encode("utf-8"))
    return forms


def _p12_problem(path: Path, data: bytes) -> KeyLoadError | PasswordError:
    """Why a PKCS#12 file does not open: the wrong kind of file, a damaged one, or the password."""
    if not data:
        return KeyLoadError(f"{path} is empty: copy the seal file again from where it was exported")
    if _is_pem(data):
        return KeyLoadError(f"{path} is a PEM text file, not PKCS#12: make a PKCS#12 seal from the "
                            f"key and certificates with: {_MAKE_P12} (`edcbridge seal` also takes "
                            "them as --key KEY.pem --cert CERT.pem)")
    expected = _der_size(data)
    if expected is None:
        return KeyLoadError(f"{path} is not a PKCS#12 file: export the seal as PKCS#12 (.p12 or .pfx) "
                            "with its private key and certificate chain")
    if expected > len(data):
        return KeyLoadError(f"{path} is cut short ({len(data)} of {expected} bytes): copy the seal "
                            "file again from where it was exported")
    if _is_der_certificate(data):
        return KeyLoadError(f"{path} is a certificate alone, without the private key: export the "
                            f"seal as PKCS#12 with its private key, or build it with: {_MAKE_P12}")
    return PasswordError(f"cannot open {path}: wrong password, or the file is damaged; check the "
                         f"password in --password-file or {PASSWORD_ENV} (the one chosen when the "
                         "seal was exported)")


def _is_pem(data: bytes) -> bool:
    """PEM text, also with the "Bag Attributes" lines `openssl pkcs12` writes before each block."""
    return b"-----BEGIN " in data


def _der_size(data: bytes) -> int | None:
    """The size a DER (or BER) SEQUENCE at the start of *data* declares; None if there is none."""
    if len(data) < 2 or data[0] != _der.SEQUENCE:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0:  # BER indefinite length: the end is not declared
        return len(data)
    if count > 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2:2 + count], "big")


def _is_der_certificate(data: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        return False
    return True


_DATA = "1.2.840.113549.1.7.1"
_KEY_BAGS = {"1.2.840.113549.1.12.10.1.1", "1.2.840.113549.1.12.10.1.2"}
_FRIENDLY_NAME = "1.2.840.113549.1.9.20"


def _refuse_several_keys(path: Path, data: bytes) -> None:
    """A keystore with several keys (as Java's keytool makes them) would leave the choice of the
    seal to chance: refuse it, naming the entries."""
    names = _key_entry_names(data)
    if len(names) < 2:
        return
    listed = ", ".join(repr(n) if n else "(no name)" for n in names)
    raise KeyLoadError(
        f"{path} holds {len(names)} private keys ({listed}): keep only the seal's entry, e.g. with: "
        f"keytool -importkeystore -srckeystore {path} -srcstoretype PKCS12 -srcalias NAME "
        "-destkeystore seal.p12 -deststoretype PKCS12"
    )


def _key_entry_names(data: bytes) -> list[str]:
    """The friendly names of the key bags that are readable without the password (where
    PKCS#12 tools put keys); [] when the file is not plain DER."""
    try:
        return [name for bag in _plain_safe_bags(data) if (name := _key_bag_name(bag)) is not None]
    except (ValueError, IndexError, UnicodeDecodeError):
        return []


def _plain_safe_bags(data: bytes) -> list[bytes]:
    """PFX -> authSafe (data) -> ContentInfos of type data -> their SafeBags."""
    _, pfx, _ = _der.read(data)
    auth_safe = list(_der.children(pfx))[1][1]
    safe = _data_content(auth_safe)
    if safe is None:
        return []
    bags: list[bytes] = []
    for _, info in _der.children(_der.read(safe)[1]):
        contents = _data_content(info)
        if contents is not None:
            bags.extend(bag for _, bag in _der.children(_der.read(contents)[1]))
    return bags


def _data_content(content_info: bytes) -> bytes | None:
    """The octets of a ContentInfo of type data; None for other types (encrypted data)."""
    items = list(_der.children(content_info))
    if _der.decode_oid(items[0][1]) != _DATA:
        return None
    _, octets, _ = _der.read(items[1][1])
    return octets


def _key_bag_name(bag: bytes) -> str | None:
    """A key bag's friendlyName ("" without one); None when the bag holds no key."""
    items = list(_der.children(bag))
    if _der.decode_oid(items[0][1]) not in _KEY_BAGS:
        return None
    for _, attribute in _der.children(items[2][1]) if len(items) > 2 else ():
        oid_value, values = list(_der.children(attribute))
        if _der.decode_oid(oid_value[1]) == _FRIENDLY_NAME:
            return _der.read(values[1])[1].decode("utf-16-be")
    return ""


def _leaf_first(key: AnyPrivateKey, certs: list[x509.Certificate]) -> tuple[x509.Certificate,
                                                                               list[x509.Certificate]]:
    """The certificate of ``key``, then the others: a chain file may list the CA first."""
    public = _public_der(key.public_key())
    for index, cert in enumerate(certs):
        if _public_der(cert.public_key()) == public:
            return cert, certs[:index] + certs[index + 1:]
    return certs[0], certs[1:]  # none is the key's: check_key_matches says so


def issuer_chain(leaf: x509.Certificate, certs: list[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """The issuers of *leaf* from *certs*, nearest first, up to a self-signed root: files list
    them in any order, repeat them and add unrelated certificates, none of which belongs in x5c."""
    chain: list[x509.Certificate] = []
    remaining = [c for c in certs if c != leaf]
    current = leaf
    while not is_self_signed(current):
        issuer = next((c for c in remaining if c not in chain and issued_by(current, c)), None)
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return tuple(chain)


def load_pem(key_path: Path, cert_path: Path, password: bytes | None, *, at: datetime) -> SealKey:
    """Open a PEM (or DER) key and a file holding the certificate and its chain, in any order."""
    private = _check_key_type(_load_private_key(key_path, password), key_path)
    leaf, others = _leaf_first(private, _load_certificates(cert_path))
    seal = SealKey(private, leaf, issuer_chain(leaf, others))
    check_key_matches(seal.private_key, seal.certificate)
    check_can_seal(seal.certificate, at)
    return seal


def _load_private_key(key_path: Path, password: bytes | None) -> object:
    data = _read(key_path)
    if not _is_pem(data):
        return _load_der_private_key(key_path, data, password)
    try:
        return serialization.load_pem_private_key(data, password)
    except TypeError as exc:
        if password is not None:  # a password for a key that has none: it is not needed
            return _load_private_key(key_path, None)
        raise PasswordError(f"{key_path} is encrypted: a password is needed; give it with --password-file or "
                            f"{PASSWORD_ENV}") from exc
    except ValueError as exc:
        raise PasswordError(f"cannot open {key_path}: wrong password or not a PEM private key") from exc


def _load_der_private_key(key_path: Path, data: bytes, password: bytes | None) -> object:
    for candidate in (password, None) if password is not None else (None,):
        try:
            return serialization.load_der_private_key(data, candidate)
        except (TypeError, ValueError):
            continue
    if _is_der_certificate(data):
        raise KeyLoadError(f"{key_path} is a certificate, not a private key: give the key file "
                           "with --key and the certificate with --cert")
    raise PasswordError(f"cannot open {key_path}: not a private key (PEM or DER), or a wrong "
                        "password; a PKCS#12 file (.p12, .pfx) is given with --p12 instead")


def _load_certificates(cert_path: Path) -> list[x509.Certificate]:
    data = _read(cert_path)
    try:
        if _is_pem(data):
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise KeyLoadError(f"{cert_path} holds no certificate (PEM or DER): give the seal "
                           "certificate, with its chain if you have it, with --cert") from exc
