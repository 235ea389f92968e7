"""Exceptions raised by :mod:`edcbridge.seal`.

::

    SealError
    ├── PasswordError(ValueError)      wrong or missing seal password
    ├── KeyLoadError(ValueError)       unreadable key, certificate or PKCS#12 file
    ├── CertificateError(ValueError)   certificate unusable for sealing (dates, key usage, key)
    ├── TimestampError                 timestamp authority down or answering garbage
    ├── RevocationError                revocation data missing, unreadable or revoked
    └── SealFormatError(ValueError)    document is not a JAdES JSON seal
"""

from __future__ import annotations


class SealError(Exception):
    """Base class for every sealing and verification error."""


class PasswordError(SealError, ValueError):
    """The seal password is missing or does not open the key."""


class KeyLoadError(SealError, ValueError):
    """A key, certificate or PKCS#12 file cannot be read."""


class CertificateError(SealError, ValueError):
    """The certificate cannot be used to seal."""


class TimestampError(SealError):
    """A timestamp could not be obtained or is not valid."""


class RevocationError(SealError):
    """Revocation data could not be obtained, is invalid, or says the certificate is revoked."""


class CertificateRevoked(RevocationError):
    """Signed revocation data says the certificate is revoked: no other data may overrule it."""


class SealFormatError(SealError, ValueError):
    """The document is not a JAdES JSON serialisation edcbridge can read."""


class IncompleteJson(SealFormatError):
    """The JSON stops before it is closed, on line *line*: a file cut short in transfer."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line
