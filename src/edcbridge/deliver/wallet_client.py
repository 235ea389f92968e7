"""Europass / EDCI wallet deposit: a sealed credential into a wallet, by wallet id or e-mail.

Contract (EDCI 2.0.6 ``CredentialCrudResource`` / ``CredentialService``):

* ``POST /v1/wallets/{userId}/credentials`` or ``/v1/wallets/email/{userEmail}/credentials``,
  ``multipart/form-data`` with the part ``_credential``; query ``sendEmail`` (default true) and
  ``locale``; headers ``X-Requested-With: XMLHttpRequest``, ``Accept: application/json``;
* 200 ``CredentialView {uuid, viewerURL, ...}``; errors ``ApiErrorMessage {code, message, ...}``:
  400 **CR-0006** unreadable/invalid, 400 **CR-0007** not (validly) sealed, 409 **CR-0001** the same
  credential ``id`` is already in the wallet (for a re-run: already delivered), 404 **WL-0003**
  no such wallet.

Deposits are POSTs and are not retried automatically, except after a 429 or 503 with a short
``Retry-After`` (nothing stored, the wallet asks for it later): the credential id is the dedupe
key, so running the push again is the safe retry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal
from urllib.parse import quote

from edcbridge.deliver.errors import DeliveryHTTPError, LocalValidationError
from edcbridge.deliver.http import (
    MASKER,
    HttpClient,
    excerpt,
    plain_http_elsewhere,
    refused_access,
    unusable_url,
)
from edcbridge.deliver.silence import GATEWAY_DOWN
from edcbridge.seal import jades
from edcbridge.seal.errors import SealFormatError
from edcbridge.validation.document import NotACredential, unwrap

CODES = {
    "CR-0001": "already in the wallet (same credential id)",
    "CR-0006": "the wallet could not read the credential or found it invalid",
    "CR-0007": "the wallet refused the seal (it needs a valid JAdES qualified e-seal)",
    "WL-0003": "no such wallet",
}
FIXES = {
    "CR-0006": "validate it with `edcbridge validate` and export it again",
    "CR-0007": "seal it with the institution's qualified e-seal certificate",
    "WL-0003": "check the wallet id, or deposit by e-mail (which creates a temporary wallet)",
}


@dataclass(frozen=True)
class DepositResult:
    outcome: Literal["delivered", "already-delivered", "rejected", "no-wallet"]
    http_status: int
    code: str | None = None
    message: str = ""
    uuid: str | None = None
    viewer_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("delivered", "already-delivered")


def sealed_credential_id(content: bytes) -> str:
    """The ``id`` of the credential inside a JAdES seal; refuses anything unsealed."""
    try:
        doc = json.loads(content.decode("utf-8-sig"))
        inner, form = unwrap(doc)
    except (UnicodeDecodeError, json.JSONDecodeError, NotACredential) as exc:
        raise LocalValidationError(
            "not an EDC JSON-LD credential", [("", f"{exc}; the wallet would answer CR-0006")]
        ) from None
    if form != "jades":
        raise LocalValidationError(
            f"refusing to send an unsealed credential ({form})",
            [
                (
                    "",
                    "the wallet accepts only credentials sealed with JAdES (CR-0007); "
                    "seal it first with `edcbridge seal`",
                )
            ],
        )
    credential_id = inner.get("id")
    if not isinstance(credential_id, str) or not credential_id:
        raise LocalValidationError("the sealed credential has no id", [("id", "the wallet dedupes on it")])
    return credential_id


def credential_version(content: bytes) -> str:
    """The sha256 of the unsealed credential in a JAdES seal: the same credential sealed again
    is the same version (the wallet, keyed on the credential id, cannot tell them apart)."""
    try:
        payload = jades.parse(content).payload
    except SealFormatError as exc:
        raise LocalValidationError("not a readable JAdES seal", [("", f"{exc}; seal it again")]) from None
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class WalletClient:
    http: HttpClient

    def deposit(
        self,
        content: bytes,
        *,
        wallet_id: str | None = None,
        email: str | None = None,
        send_email: bool = True,
        locale: str = "en",
        filename: str = "credential.jsonld",
    ) -> DepositResult:
        """Deposit one sealed credential (bytes as sealed) in a wallet given by id or e-mail."""
        if (wallet_id is None) == (email is None):
            raise LocalValidationError("give exactly one of wallet_id or email")
        sealed_credential_id(content)
        filename = json_part_name(filename)
        if wallet_id is not None:
            path = f"/v1/wallets/{quote(wallet_id, safe='')}/credentials"
        else:
            path = f"/v1/wallets/email/{quote(email or '', safe='@')}/credentials"
        response = self.http.request(
            "POST",
            path,
            params={"sendEmail": "true" if send_email else "false", "locale": locale},
            headers={"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"},
            files={"_credential": (filename, content, "application/json")},
            resend_throttled=True,
        )
        body = _json(response)
        if response.status_code in (200, 201) and isinstance(body, dict):
            return DepositResult(
                "delivered", response.status_code, None, "deposited", body.get("uuid"), body.get("viewerURL")
            )
        code = body.get("code") if isinstance(body, dict) else None
        text = _message(body, code)
        if response.status_code == 409 and code == "CR-0001":
            return DepositResult("already-delivered", 409, code, text)
        if response.status_code == 404 and code == "WL-0003":
            return DepositResult("no-wallet", 404, code, text)
        if response.status_code == 400 and isinstance(body, dict):
            return DepositResult("rejected", 400, code or None, _with_fix(text, code))
        if response.status_code in (401, 403):
            raise refused_access("POST", self.http, path, response,
                                 "the wallet refused access: check --base-url and any access the wallet "
                                 "requires (a gateway, an allow-list); running again will not help until "
                                 "that is fixed")
        raise DeliveryHTTPError("POST", MASKER.mask(self.http.url(path)), response.status_code,
                                excerpt(response), _hint(response.status_code))


def wallet_url_problem(url: str) -> str | None:
    """Why deposits cannot go to the wallet at ``url`` (None: they can): an address no request
    can be sent to (a typo), or plain http to another machine, the credentials carrying the
    learners' names and the deposits their e-mail addresses."""
    problem = unusable_url(url)
    if problem:
        return (f"the wallet URL {url!r} is not a usable address ({problem}); give the wallet's REST "
                "root, the URL /v1/wallets/... is appended to")
    if plain_http_elsewhere(url):
        return (f"the wallet URL {url!r} is not https: the sealed credentials, with the learners' names, "
                "and their e-mail addresses would travel unencrypted; give the wallet's https:// address "
                "(plain http only on this machine)")
    return None


def json_part_name(filename: str) -> str:
    """The part's file name, ending in ``.jsonld`` unless it is JSON already: the wallet reads a
    part whose name ends in ``.xml`` as ELM v2 XML and sends it to conversion."""
    if filename.lower().endswith((".json", ".jsonld")):
        return filename
    return f"{PurePath(filename).stem or 'credential'}.jsonld"


def _hint(status: int) -> str:
    """What to do about an answer outside the documented codes."""
    if status == 404:
        return ("the wallet has no such endpoint: --base-url must be the wallet's REST root, the "
                "URL /v1/wallets/... is appended to; correct it and run the same command again")
    if status == 413:
        return "the request is too large for the wallet; ask its operators for the size it accepts"
    if status == 429:
        return ("the wallet limits how fast it takes deposits and stored nothing; run the same "
                "command again later: it delivers what is still pending")
    if status in GATEWAY_DOWN:
        return ("a gateway in front of the wallet answered for it: the wallet behind it is unavailable; "
                "check that it is up, then run the same command again: it delivers what is still pending")
    return "the wallet answered outside its documented codes; run the same command again later"


def _with_fix(text: str, code: str | None) -> str:
    """A refusal's message, with what to do when the wallet said nothing more specific."""
    if code in FIXES:
        return text
    said = text or "HTTP 400 without an error code or message"
    return (f"{said}; the wallet refused the credential: check it with `edcbridge validate` and "
            "`edcbridge verify`, correct it and run the same command again")


def _message(body: Any, code: str | None) -> str:
    parts = []
    if code:
        parts.append(f"{code}: {CODES.get(code, 'wallet error')}")
    if isinstance(body, dict):
        for key in ("message", "description"):
            if body.get(key) and str(body[key]) not in parts:  # the same text in both is said once
                parts.append(str(body[key]))
    if code in FIXES:
        parts.append("fix: " + FIXES[code])
    return "; ".join(parts)


def _json(response: Any) -> Any:
    """The body as JSON, or ``None``: not JSON, or nested past the parser's recursion limit (a
    broken proxy's or a hostile server's answer, said as one outside the documented codes)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None
