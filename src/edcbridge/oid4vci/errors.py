"""Errors of the issuer: protocol errors answered to wallets, and setup errors told to people."""

from __future__ import annotations

import re

from edcbridge.output import printable

_OFFER_REFERENCE = re.compile(r"/offers/[^/?#\s]+")


def hide_offer_reference(text: str) -> str:
    """An offer's address is as good as its pre-authorized code: logs show ``/offers/...``."""
    return _OFFER_REFERENCE.sub("/offers/...", text)


class Oid4vciError(Exception):
    """A problem of setup or input (journal, seal, options): the message says what to do."""


class OAuthError(Exception):
    """An OAuth 2.0 / OpenID4VCI error response: always a non-200 status with ``error``.

    ``error`` is one of the registered codes (RFC 6749 5.2, RFC 6750 3.1, OpenID4VCI 1.0
    6.3, 8.3.1.2, 11.3); ``description`` is for people and appears in the wallet's logs and
    the issuer's: it may quote the request, so it is kept :func:`printable`.
    """

    def __init__(self, status: int, error: str, description: str) -> None:
        description = printable(description)
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def headers(self) -> dict[str, str]:
        """RFC 6750 asks for a ``WWW-Authenticate`` challenge on 401 answers."""
        if self.status == 401:
            return {
                "WWW-Authenticate": f'Bearer error="{self.error}", error_description="{self.description}"'
            }
        return {}
