"""Errors of the issuer: protocol errors answered to wallets, and setup errors told to people."""

from __future__ import annotations

import re

from edcbridge.output import printable

_OFFER_REFERENCE = re.compile(r"/offers/[^/?#\s]+")
_QUERY = re.compile(r"\?(\S*)")
# RFC 3986 3.2: the userinfo of an http(s) URI, up to the last "@" before its path (a client may
# send an "@" or "?" in it unencoded)
_USERINFO = re.compile(r"(?i)(https?://)([^/\s]*)@")


def _wire_character(c: str) -> str:
    if c == '"':
        return "'"
    if " " <= c <= "~" and c != "\\":
        return c
    return f"U+{ord(c):04X}"


def wire_text(text: str) -> str:
    """``text`` as an ``error_description`` may carry it (RFC 6749 5.2, RFC 6750 3, OpenID4VCI
    1.0 8.3.1.2): ASCII ``%x20-21 / %x23-5B / %x5D-7E`` only. A double quote becomes a single
    one; any other character outside the set is written ``U+XXXX``."""
    return "".join(map(_wire_character, text))


def hide_offer_reference(text: str) -> str:
    """An offer's address is as good as its pre-authorized code: logs show ``/offers/...``."""
    return _OFFER_REFERENCE.sub("/offers/...", text)


def _parameter_names(match: re.Match[str]) -> str:
    return "?" + "&".join(f"{part.partition('=')[0]}=..." if "=" in part else "..."
                          for part in match.group(1).split("&"))


def hide_query_values(text: str) -> str:
    """A request target with the values of its query hidden (``/token?pre-authorized_code=...``):
    the issuer reads no parameter from the query, but a wallet may put a pre-authorized code, a
    PIN or an access token there (RFC 6750 2.3), and an access log would keep them. A bare
    parameter, which may itself be the secret, is hidden whole."""
    return _QUERY.sub(_parameter_names, text)


def _user_name(match: re.Match[str]) -> str:
    name, colon, _ = match.group(2).partition(":")
    return f"{match.group(1)}{name}:...@" if colon else f"{match.group(1)}...@"


def hide_userinfo(text: str) -> str:
    """A request target in absolute-form with the password of its userinfo hidden
    (``http://alice:...@host/``), as :func:`hide_query_values` hides a query's values: such a
    target is refused, but an access log would keep the password. A userinfo without a password,
    which may itself be the secret, is hidden whole."""
    return _USERINFO.sub(_user_name, text)


def refusal_headers(body: bytes, *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """The headers of an answer given before the app sees the request (too many requests, a
    smuggled one): JSON, never cached, ``nosniff``, readable by a browser wallet's page."""
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"), (b"pragma", b"no-cache"),
            (b"x-content-type-options", b"nosniff"), (b"access-control-allow-origin", b"*"), *extra]


class Oid4vciError(Exception):
    """A problem of setup or input (journal, seal, options): the message says what to do."""


class AwardWithdrawn(Oid4vciError):
    """The award was taken back (``edcbridge withdraw``): no credential is offered or issued
    for it, and its offers are closed rather than kept for when the issuer can issue them."""


class AwardErased(Oid4vciError):
    """The award's learner had its data erased (``edcbridge erase``): no credential is offered or
    issued for it, and its offers are closed even when the erasure stopped before doing so."""


class OAuthError(Exception):
    """An OAuth 2.0 / OpenID4VCI error response: always a non-200 status with ``error``.

    ``error`` is one of the registered codes (RFC 6749 5.2, RFC 6750 3.1, OpenID4VCI 1.0
    6.3, 8.3.1.2, 11.3); ``description`` is for people and appears in the wallet's logs and
    the issuer's: it may quote the request, so the issuer's log gets it :func:`printable` and
    the wallet in the character set the specifications allow (:func:`wire_text`).
    """

    def __init__(self, status: int, error: str, description: str) -> None:
        self.text = description  # as given, for an error that names where it arose (prefix it to this)
        self.wire_description = wire_text(description)
        description = printable(description)
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.wire_description}

    def headers(self) -> dict[str, str]:
        """RFC 6750 3 asks for a ``WWW-Authenticate`` challenge when the request's access token
        is missing or invalid (401) or does not enable what it asks for (403)."""
        if self.status in (401, 403):
            return {
                "WWW-Authenticate":
                    f'Bearer error="{self.error}", error_description="{self.wire_description}"'
            }
        return {}


class BearerTokenRequired(OAuthError):
    """401 to a request that sends no access token: no ``Authorization`` header, or another
    scheme than ``Bearer``. RFC 6750 3.1: such a request lacks authentication information, and
    the answer SHOULD NOT hold an error code or other error information, so the challenge is a
    plain ``Bearer`` and the body has no ``error``, only a description for people."""

    def __init__(self, description: str) -> None:
        super().__init__(401, "", description)

    def body(self) -> dict[str, str]:
        return {"error_description": self.wire_description}

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class UnsupportedContentCoding(OAuthError):
    """415 to a body sent with a content coding (``Content-Encoding: gzip``): the issuer reads
    bodies as sent, and says so with ``Accept-Encoding: identity`` (RFC 9110 12.5.3, 15.5.16)."""

    def __init__(self, coding: str) -> None:
        super().__init__(415, "invalid_request",
                         f"send the body without a content coding (it came as {coding})")

    def headers(self) -> dict[str, str]:
        return {"Accept-Encoding": "identity"}
