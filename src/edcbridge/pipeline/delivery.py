"""The pipeline's last stage: sealed credentials into the learners' Europass wallets.

Each sealed credential of the run, new or skipped as done, is queued in the journal with the
learner's e-mail address (in the same transaction as its record); after the export, every
credential the run queued and not yet delivered is deposited and the outcome committed at
once, with an audit event for each delivery. A re-run delivers only what is still pending.
The wallet refuses a second copy of a credential id (``409 CR-0001``), so a delivery whose
outcome was lost (``kill -9`` between the request and the commit) counts as delivered on the
next run, never as a duplicate. For a changed credential whose earlier version the wallet may
hold, the same answer means the learner still holds the earlier one, and the delivery fails
with what to do; unless this very version was sent before with its outcome lost, when the
answer is taken to mean it arrived (the wallet's API cannot say which copy it holds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edcbridge.deliver.errors import DeliveryError, LocalValidationError
from edcbridge.deliver.http import HttpClient
from edcbridge.deliver.wallet_client import WalletClient
from edcbridge.pipeline.journal import Journal, Pending

NO_EMAIL = ("no e-mail address for the learner: add it to the awards file (column email) and run "
            "again, or deposit by wallet id with `edcbridge push wallet`")
EARLIER_VERSION = ("the wallet already holds a credential with this id, in the version delivered "
                   "before this one changed; the learner must remove it from the wallet, then "
                   "run again")


@dataclass(frozen=True)
class WalletTarget:
    """A Europass (EDCI) wallet API to deposit into, by the learner's e-mail address."""

    base_url: str
    send_email: bool = True  # the wallet e-mails the learner
    locale: str = "en"

    @property
    def name(self) -> str:
        return f"wallet {self.base_url.rstrip('/')}"

    def client(self) -> WalletClient:
        return WalletClient(HttpClient(self.base_url))


@dataclass(frozen=True)
class Delivery:
    """One attempt: ``status`` is delivered, already-delivered or failed; ``state`` what the
    journal keeps (delivered, failed, or sending when the outcome is unknown)."""

    key: str
    recipient: str | None
    path: str
    status: str
    message: str
    target_id: str | None = None
    state: str = "failed"


def deliver_pending(journal: Journal, target: WalletTarget,
                    on_delivery: Callable[[Delivery], None] = lambda d: None,
                    client: WalletClient | None = None) -> list[Delivery]:
    """Deposit every credential this run queued for ``target`` and not yet delivered, in key
    order."""
    wallet = client or target.client()
    done: list[Delivery] = []
    after = ""
    try:
        while batch := journal.pending_deliveries(target.name, after):
            for item in batch:
                delivery = _deliver(wallet, target, item, journal)
                error = None if delivery.state == "delivered" else delivery.message
                journal.delivery_outcome(item, target.name, delivery.state, delivery.target_id, error)
                on_delivery(delivery)
                done.append(delivery)
            after = batch[-1].key
    finally:
        if client is None:
            wallet.http.close()
    return done


def _deliver(wallet: WalletClient, target: WalletTarget, item: Pending, journal: Journal) -> Delivery:
    def failed(message: str, state: str = "failed") -> Delivery:
        return Delivery(item.key, item.recipient, item.path, "failed", message, state=state)

    if not item.recipient:
        return failed(NO_EMAIL)
    try:
        content = Path(item.path).read_bytes()
    except OSError as exc:
        return failed(f"cannot read {item.path}: {exc.strerror}; delete it and run again to export it anew")
    if hashlib.sha256(content).hexdigest() != item.sha256:
        return failed(f"{item.path} changed after it was sealed; delete it and run again to export it anew")
    sent_before = item.state == "sending"  # by a run whose outcome was lost
    journal.sending(item, target.name)
    try:
        result = wallet.deposit(content, email=item.recipient, send_email=target.send_email,
                                locale=target.locale, filename=Path(item.path).name)
    except LocalValidationError as exc:
        return failed(str(exc))
    except DeliveryError as exc:  # the request may have been stored: the outcome is unknown
        return failed(str(exc), state="sending")
    if not result.ok:
        return failed(result.message or result.outcome)
    if result.outcome == "already-delivered" and item.replaces is not None and not sent_before:
        return failed(f"{result.message}; {EARLIER_VERSION}")
    status = "delivered" if result.outcome == "delivered" else "already-delivered"
    return Delivery(item.key, item.recipient, item.path, status, result.message,
                    result.uuid or result.code, state="delivered")
