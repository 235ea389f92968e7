"""Sealing and verification of EDC JSON-LD with JAdES (ETSI TS 119 182-1).

Typical use, loading the key once per batch::

    sealer = Sealer.from_p12(path, read_password(password_file), tsa=TsaClient(url))
    sealed_text = sealer.seal(credential_text)
    result = verify_document(sealed_text.encode())
"""

from edcbridge.seal.certs import CertificateReport, describe
from edcbridge.seal.devpki import TestSeal, generate_test_seal
from edcbridge.seal.errors import (
    CertificateError,
    KeyLoadError,
    PasswordError,
    RevocationError,
    SealError,
    SealFormatError,
    TimestampError,
)
from edcbridge.seal.keys import PASSWORD_ENV, SealKey, load_p12, load_pem, read_password
from edcbridge.seal.sealer import IssuerIdentity, Level, Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.verify import (
    CHECKS,
    Check,
    FormatCheck,
    Verification,
    VerifyOptions,
    verify_document,
    verify_file,
)

__all__ = [
    "CHECKS",
    "PASSWORD_ENV",
    "CertificateError",
    "CertificateReport",
    "Check",
    "FormatCheck",
    "IssuerIdentity",
    "KeyLoadError",
    "Level",
    "PasswordError",
    "RevocationError",
    "SealError",
    "SealFormatError",
    "SealKey",
    "Sealer",
    "TestSeal",
    "TimestampError",
    "TsaClient",
    "Verification",
    "VerifyOptions",
    "describe",
    "generate_test_seal",
    "load_p12",
    "load_pem",
    "read_password",
    "verify_document",
    "verify_file",
]
