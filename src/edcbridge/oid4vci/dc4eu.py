"""DC4EU API gateway client: edcbridge as the authentic source of ELM documents.

Contract: the gateway's "Datastore API" 2.8 (swagger, base path ``/api/v1``, JSON):

* ``POST /upload`` with ``meta {authentic_source, document_id, document_version, vct, ...}``,
  ``document_data`` (the ELM document), ``document_data_version``, ``identities[]`` and
  ``document_display``: 200 with no body; 400 ``{"error": {"title", "details"}}``. The swagger
  calls ``identities`` and ``document_display`` optional but servers require them (SUNET/vc#70),
  so both are always sent. A second upload of the same ``authentic_source`` + ``document_id``
  (the uniqueness key; SUNET/vc#78) answers ``document_already_exists`` (SUNET/vc#76): counted
  as already uploaded.
* ``POST /notification`` with ``{authentic_source, document_id, vct}``:
  ``{"data": {"credential_offer_url", "qr_base64"}}``, the offer the learner's wallet takes.
* ``POST /document`` (GetDocument) with ``{authentic_source, document_id, vct}``:
  ``{"data": {"meta", "document_data"}}``, the document the gateway holds; 400 when none.
* ``DELETE /document`` with ``{authentic_source, document_id, vct}``: 200; 400 as above. The
  only way the contract gives to replace a document: delete it, then upload the new one.
* Optional HTTP Basic authentication (``apigw.api_server.basic_auth``).

Uploads are POSTs and sent once (see :mod:`edcbridge.deliver.http`); running the command again
is the safe retry, because the document id is derived from the credential id (and the offers
already shown are kept: :mod:`edcbridge.oid4vci.gateway_offers`). The client counts
the requests in a row the gateway left unanswered (:attr:`Dc4euClient.silence`), for a run to
stop asking a gateway that went down.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

from edcbridge.deliver.errors import DeliveryError, DeliveryHTTPError, LocalValidationError
from edcbridge.deliver.http import MASKER, HttpClient, excerpt, refused_access
from edcbridge.deliver.silence import GATEWAY_DOWN, Silence, unanswered
from edcbridge.oid4vci.sdjwt import VCT, validity_claims
from edcbridge.output import canonical_json

API_PATH = "/api/v1"
DOCUMENT_VERSION = "1.0.0"
ALREADY_EXISTS = "document_already_exists"
USER_ENV = "EDCBRIDGE_DC4EU_USERNAME"
PASSWORD_ENV = "EDCBRIDGE_DC4EU_PASSWORD"
# the password may come from --password-file, which then wins over the variable
LOGIN_FIX = f"check the gateway user ({USER_ENV}) and password (--password-file, else {PASSWORD_ENV})"
# What a wallet opens: printed to terminals and put into QR codes, so nothing else gets through.
_OFFER_LINK = re.compile(r"^(openid-credential-offer://|https://)[\x21-\x7e]+$")
_PNG = b"\x89PNG\r\n\x1a\n"


def offer_link_ok(url: object) -> bool:
    """Whether ``url`` is a link a wallet opens, and nothing else, fit for a terminal or a QR code."""
    return isinstance(url, str) and _OFFER_LINK.match(url) is not None


@dataclass(frozen=True)
class UploadResult:
    outcome: Literal["uploaded", "already-uploaded", "rejected"]
    http_status: int
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != "rejected"


@dataclass(frozen=True)
class GatewayOffer:
    credential_offer_url: str
    qr_png: bytes | None


def document_digest(body: dict[str, Any]) -> str:
    """The digest of an upload request (its canonical JSON), recorded with the offer to tell a
    document exported again with other content, or described otherwise (``real_data``, the
    identity's schema or language), from the one uploaded. The whole request counts: nothing in
    it changes from one run to the next for the same award and options."""
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


def same_document(held: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether the document the gateway holds (GetDocument's ``data``) is the one ``body`` would
    upload: the same ELM document and the same values for the meta fields ``body`` sends (the
    gateway may add others). GetDocument answers no identities nor display, so those are not
    compared."""
    meta = held.get("meta")
    if not isinstance(meta, dict) or held.get("document_data") != body.get("document_data"):
        return False
    return all(meta.get(name) == value for name, value in body["meta"].items())


def _first_text(value: Any, language: str) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value:
        for key in (language, "und", "en"):
            if isinstance(value.get(key), str):
                return str(value[key])
        first = next(iter(value.values()))
        return first if isinstance(first, str) else None
    return None


def identity(elm: dict[str, Any], schema: str, language: str) -> dict[str, Any]:
    """The learner's identity as the gateway's ``model.Identity`` (required fields checked here)."""
    subject = elm.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    birth = subject.get("dateOfBirth")
    found = {
        "given_name": _first_text(subject.get("givenName"), language),
        "family_name": _first_text(subject.get("familyName"), language),
        "birth_date": birth[:10] if isinstance(birth, str) else None,
    }
    missing = [
        (f"credentialSubject.{name}", "required by the DC4EU gateway")
        for name, field in (
            ("givenName", "given_name"),
            ("familyName", "family_name"),
            ("dateOfBirth", "birth_date"),
        )
        if not found[field]
    ]
    if missing:
        raise LocalValidationError(
            f"{elm.get('id', 'credential')}: the learner's identity is incomplete; add the "
            "column to the award records and export again",
            missing,
        )
    return {"schema": {"name": schema}, **found}


def _first_claim(elm: dict[str, Any]) -> dict[str, Any] | None:
    """The learner's (first) claim: ``hasClaim`` is one object in the credentials edcbridge
    makes, an array in others."""
    subject = elm.get("credentialSubject")
    claims = subject.get("hasClaim") if isinstance(subject, dict) else None
    if isinstance(claims, list):
        claims = claims[0] if claims else None
    return claims if isinstance(claims, dict) else None


def upload_request(
    elm: dict[str, Any],
    *,
    authentic_source: str,
    identity_schema: str = "DefaultSchema",
    language: str = "en",
    real_data: bool = False,
) -> dict[str, Any]:
    """The ``vcclient.UploadRequest`` body for one ELM document."""
    document_id = elm.get("id")
    if not isinstance(document_id, str) or not document_id:
        raise LocalValidationError("the credential has no 'id'; export it again", [("id", "required")])
    meta: dict[str, Any] = {
        "authentic_source": authentic_source,
        "document_id": document_id,
        "document_version": DOCUMENT_VERSION,
        "vct": VCT,
        "real_data": real_data,
    }
    validity = validity_claims(elm)  # the SD-JWT's nbf and exp, as the gateway's meta names them
    if "nbf" in validity:
        meta["credential_valid_from"] = validity["nbf"]
    if "exp" in validity:
        meta["credential_valid_to"] = validity["exp"]
    claim = _first_claim(elm)
    title = claim.get("title") if claim is not None else None
    description = title if isinstance(title, dict) and title else {"en": "European Learning Model credential"}
    return {
        "meta": meta,
        "identities": [identity(elm, identity_schema, language)],
        "document_display": {
            "type": "secure",
            "version": DOCUMENT_VERSION,
            "description_structured": description,
        },
        "document_data": elm,
        "document_data_version": DOCUMENT_VERSION,
    }


def _error_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return excerpt(response)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return " ".join(str(part) for part in (error.get("title"), error.get("details")) if part)
    return excerpt(response)


def _unexpected(status: int) -> str:
    """What an answer outside the contract means for the user: a 502, 503 or 504 is the gateway
    or a proxy in front of it saying it is unavailable, as ``push deqar`` words them."""
    if status in GATEWAY_DOWN:
        return ("the gateway (or its proxy) said it is unavailable: check that it is up, then run "
                "the same command again later")
    return "the gateway answered outside its contract; try again later"


class Dc4euClient:
    """One gateway; ``base_url`` is the server root (``/api/v1`` is added when missing)."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        http: HttpClient | None = None,
    ) -> None:
        root = base_url.rstrip("/")
        if not root.endswith(API_PATH):
            root += API_PATH
        headers = {"Accept": "application/json"}
        if username is not None:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
            MASKER.add(password)
            MASKER.add(token)
            headers["Authorization"] = f"Basic {token}"
        self.http = http or HttpClient(root, default_headers=headers)
        if http is not None:
            self.http.session.headers.update(headers)
        # Whether the gateway has answered a request of ours within its contract: a login it
        # refuses after that expired or was revoked part way, and was no wrong configuration.
        self.login_accepted = False
        self.silence = Silence()  # the requests in a row left unanswered, for a run to stop asking

    def close(self) -> None:
        self.http.close()

    def _post(self, path: str, body: dict[str, Any], method: str = "POST") -> Any:
        try:
            response = self.http.request(method, path, json=body)
        except DeliveryError as exc:
            self.silence.heard(not unanswered(exc))
            raise
        self.silence.heard(response.status_code not in GATEWAY_DOWN)
        if response.status_code in (401, 403):
            raise refused_access(method, self.http, path, response, LOGIN_FIX)
        if response.status_code in (200, 400):
            self.login_accepted = True
        return response

    def upload(self, body: dict[str, Any]) -> UploadResult:
        response = self._post("/upload", body)
        if response.status_code == 200:
            return UploadResult("uploaded", 200)
        if response.status_code == 400:
            text = _error_text(response)
            if ALREADY_EXISTS in text:
                return UploadResult("already-uploaded", 400, text)
            return UploadResult("rejected", 400, text)
        raise DeliveryHTTPError("POST", self.http.url("/upload"), response.status_code, excerpt(response),
                                _unexpected(response.status_code))

    def delete_document(self, authentic_source: str, document_id: str, vct: str = VCT) -> None:
        """Deletes the document the gateway holds (raises :class:`DeliveryError` unless it did)."""
        body = {"authentic_source": authentic_source, "document_id": document_id, "vct": vct}
        response = self._post("/document", body, method="DELETE")
        if response.status_code != 200:
            raise DeliveryHTTPError(
                "DELETE", self.http.url("/document"), response.status_code, _error_text(response),
                _unexpected(response.status_code) if response.status_code != 400
                else "the gateway kept the earlier version; nothing was replaced",
            )

    def held_document(self, authentic_source: str, document_id: str, vct: str = VCT) -> dict[str, Any] | None:
        """The document the gateway holds (``{"meta", "document_data"}``); None when it answers
        that it holds none, or with no document. Raises :class:`DeliveryError`."""
        body = {"authentic_source": authentic_source, "document_id": document_id, "vct": vct}
        response = self._post("/document", body)
        if response.status_code == 400:
            return None
        if response.status_code != 200:
            raise DeliveryHTTPError("POST", self.http.url("/document"), response.status_code,
                                    _error_text(response), _unexpected(response.status_code))
        try:
            data = response.json().get("data")
        except (ValueError, AttributeError):
            return None
        return data if isinstance(data, dict) else None

    def notification(self, authentic_source: str, document_id: str, vct: str = VCT) -> GatewayOffer:
        body = {"authentic_source": authentic_source, "document_id": document_id, "vct": vct}
        response = self._post("/notification", body)
        if response.status_code != 200:
            raise DeliveryHTTPError(
                "POST",
                self.http.url("/notification"),
                response.status_code,
                _error_text(response),
                _unexpected(response.status_code) if response.status_code in GATEWAY_DOWN
                else "was the document uploaded for this authentic source?",
            )
        try:
            data = response.json().get("data") or {}
            url = data["credential_offer_url"]
        except (ValueError, AttributeError, KeyError, TypeError):
            raise DeliveryHTTPError(
                "POST",
                self.http.url("/notification"),
                200,
                excerpt(response),
                'expected {"data": {"credential_offer_url", ...}}',
            ) from None
        if not offer_link_ok(url):
            raise DeliveryHTTPError(
                "POST", self.http.url("/notification"), 200, excerpt(response),
                "credential_offer_url is not an openid-credential-offer:// or https:// link",
            )
        qr = data.get("qr_base64")
        png = None
        if isinstance(qr, str) and qr:
            try:
                png = base64.b64decode(qr.split(",", 1)[-1], validate=False)
            except ValueError:
                png = None
        if png is not None and not png.startswith(_PNG):
            png = None  # not a picture: the QR code is drawn here from the link instead
        return GatewayOffer(url, png)
