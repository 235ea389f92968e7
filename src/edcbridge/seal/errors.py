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

from collections.abc import Sequence


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
    """Revocation data could not be obtained, is invalid, or says the certificate is revoked;
    ``advice``, when given, says what to do about it."""

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(f"{message}: {advice}" if advice else message)
        self.failures: tuple[tuple[str, str], ...] = ((message, advice),)  # (what failed, advice)

    @classmethod
    def joined(cls, errors: Sequence[RevocationError]) -> RevocationError:
        """One error saying what each of ``errors`` was, in order, and each piece of advice once,
        after the last failure it is for: OCSP and the CRL not reached for the same reason get
        the network advice once, not once for each."""
        failures = tuple(failure for error in errors for failure in error.failures)
        last = {advice: index for index, (_, advice) in enumerate(failures) if advice}
        joined = cls("; ".join(f"{cause}: {advice}" if last.get(advice) == index else cause
                               for index, (cause, advice) in enumerate(failures)))
        joined.failures = failures
        return joined


class CertificateRevoked(RevocationError):
    """Signed revocation data says the certificate is revoked: no other data may overrule it."""


class SealFormatError(SealError, ValueError):
    """The document is not a JAdES JSON serialisation edcbridge can read."""


class IncompleteJson(SealFormatError):
    """The JSON stops before it is closed, on line *line*: a file cut short in transfer."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line
