"""A Europass / EDCI wallet fake following the documented deposit contract.

``POST /v1/wallets/{userId}/credentials`` and ``/v1/wallets/email/{userEmail}/credentials``,
multipart part ``_credential``; query ``sendEmail`` (default true) and ``locale``. Answers:
200 ``CredentialView``; 400 CR-0006 (unreadable / not a credential), 400 CR-0007 (not sealed,
or a seal this wallet refuses); 409 CR-0001 (same credential id already in the wallet);
404 WL-0003 (unknown wallet id). E-mail deposits create a temporary wallet. A part whose file
name ends in ``.xml`` is ELM v2 XML for the conversion service, which this fake lacks: CR-0006.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fake_http import Reply, Request


@dataclass
class Wallet:
    user_id: str | None
    email: str | None
    credentials: dict[str, str] = field(default_factory=dict)  # credential id -> uuid


class WalletFake:
    def __init__(self) -> None:
        self.wallets: list[Wallet] = [Wallet("learner-1", "ada@example.org")]
        self.refused_seals: set[str] = set()  # credential ids whose seal is deemed invalid
        self.invalid: set[str] = set()  # credential ids deemed invalid against the ELM shapes
        self.deposits: list[dict[str, Any]] = []
        # (wallet e-mail or id, credential id) -> the credential's JSON, as deposited
        self.stored: dict[tuple[str, str], str] = {}

    def wallet(self, *, user_id: str | None = None, mail: str | None = None) -> Wallet | None:
        return next(
            (w for w in self.wallets if (user_id and w.user_id == user_id)
             or (mail and w.email and w.email.lower() == mail.lower())),  # one address, any case
            None,
        )

    def _error(self, status: int, code: str, message: str, req: Request) -> Reply:
        return Reply.json(
            status,
            {
                "code": code,
                "message": message,
                "description": message,
                "timestamp": dt.datetime(2026, 11, 25, tzinfo=dt.UTC).isoformat(),
                "path": req.path,
                "affectedAssets": [],
            },
        )

    def __call__(self, req: Request) -> Reply:
        parts = req.path.strip("/").split("/")
        if (
            req.method != "POST"
            or len(parts) < 4
            or parts[:2] != ["v1", "wallets"]
            or parts[-1] != "credentials"
        ):
            return Reply.json(404, {"code": "", "message": "Not Found"})
        if parts[2] == "email" and len(parts) == 5:
            mail = unquote(parts[3])
            wallet = self.wallet(mail=mail)
            if wallet is None:
                wallet = Wallet(None, mail)
                self.wallets.append(wallet)
        elif len(parts) == 4:
            wallet = self.wallet(user_id=unquote(parts[2]))
            if wallet is None:
                return self._error(404, "WL-0003", "The wallet does not exist", req)
        else:
            return Reply.json(404, {"code": "", "message": "Not Found"})
        part = self._part(req)
        if part is None:
            return self._error(400, "", "wallet.error.no.credential.provided", req)
        filename, content = part
        if filename.lower().endswith(".xml"):  # ELM v2 XML: sent to the conversion service
            return self._error(400, "CR-0006", "The XML credential could not be converted", req)
        try:
            doc = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return self._error(400, "CR-0006", "The credential could not be read", req)
        sealed = isinstance(doc, dict) and isinstance(doc.get("payload"), str) and bool(doc.get("signatures"))
        try:
            inner = json.loads(doc["payload"]) if sealed else doc
        except ValueError:
            return self._error(400, "CR-0006", "The credential could not be read", req)
        if (
            not isinstance(inner, dict)
            or "@context" not in inner
            or not isinstance(inner.get("id"), str)
            or inner["id"] in self.invalid
        ):
            return self._error(400, "CR-0006", "The credential is not a valid EDC", req)
        if (
            not sealed
            or not all(
                isinstance(s, dict) and s.get("protected") and s.get("signature") for s in doc["signatures"]
            )
            or inner["id"] in self.refused_seals
        ):
            return self._error(
                400, "CR-0007", "The credential is not sealed with a valid qualified e-seal", req
            )
        if inner["id"] in wallet.credentials:
            return self._error(409, "CR-0001", "The credential already exists in the wallet", req)
        view_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{wallet.email}|{inner['id']}"))
        wallet.credentials[inner["id"]] = view_id
        self.stored[(wallet.user_id or wallet.email or "", inner["id"])] = doc["payload"]
        self.deposits.append(
            {
                "wallet": wallet.user_id or wallet.email,
                "id": inner["id"],
                "sendEmail": req.query.get("sendEmail", "true"),
                "locale": req.query.get("locale"),
            }
        )
        return Reply.json(
            200,
            {
                "uuid": view_id,
                "viewerURL": f"https://wallet.example/view/{view_id}",
                "title": "Credential",
                "description": None,
                "profile": [],
            },
        )

    @staticmethod
    def _part(req: Request) -> tuple[str, bytes] | None:
        ctype = req.header("Content-Type") or ""
        if not ctype.startswith("multipart/form-data"):
            return None
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + req.body
        )
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") in ("_credential", "_credentialXML"):
                payload = part.get_payload(decode=True)
                return (part.get_filename() or "", payload) if isinstance(payload, bytes) else None
        return None
