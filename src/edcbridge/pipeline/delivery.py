"""The pipeline's last stage: sealed credentials into the learners' Europass wallets.

Each sealed credential of the run, new or skipped as done, is queued in the journal with the
learner's e-mail address (in the same transaction as its record); after the export, every
credential the run queued and not yet delivered is deposited. Each request is noted before it
is made and its outcome committed right after, with an audit event for each delivery, so a
re-run delivers only what is still pending and a lost answer is never lost knowledge.

The wallet refuses a second credential with the same id (``409 CR-0001``) and cannot say which
version it holds. The journal keeps the versions (digests of the unsealed credential) each
recipient's wallet may hold: delivered, or sent with the outcome unknown. CR-0001 counts as
delivered when no other version of ours may be there (a lost answer to this very version, or
someone else's deposit), and fails with what the learner must do when one may be: never a
false "delivered", never a duplicate.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from edcbridge.deliver.errors import (
    DeliveryAuthError,
    DeliveryError,
    DeliveryHTTPError,
    DeliveryThrottledError,
    LocalValidationError,
)
from edcbridge.deliver.http import HttpClient
from edcbridge.deliver.silence import wallet_refused, wallet_silent, wallet_stop
from edcbridge.deliver.wallet_client import WalletClient
from edcbridge.interrupts import ctrl_c_held_back
from edcbridge.pipeline.journal import Journal, Pending
from edcbridge.seal import jades
from edcbridge.seal.errors import SealFormatError

NO_EMAIL = ("no e-mail address for the learner: add it to the awards file (column email) and run "
            "again, or deposit by wallet id with `edcbridge push wallet`")
EARLIER_VERSION = ("the wallet already holds a credential with this id, in the version delivered "
                   "before this one changed; the learner must remove it from the wallet, then "
                   "run again")
KEPT = ("the wallet keeps the copy delivered earlier, with its earlier seal (it holds one credential "
        "per id and refuses another with CR-0001)")
UNCHANGED = f"sealed again with the content delivered earlier, not sent again: {KEPT}"
REDELIVERED = "sent again as asked (--redeliver)"
REDELIVERED_EARLIER = ("sent again as asked (--redeliver) in an earlier run, whose attempt did not "
                       "succeed")
UNSURE = ("the wallet holds a credential with this id, in this version or in an earlier one (the "
          "answer to an earlier request was lost) and cannot say which: the learner removes it "
          "from the wallet, then the next run delivers this version")

WALLET_OPTION = "--deliver-wallet"  # the option naming the wallet, in what the run says
WALLET_SILENT = wallet_silent(WALLET_OPTION)
NOT_SENT = "not-sent"  # the status of a deposit a stopped run did not attempt
ACCESS_REFUSED = wallet_refused(WALLET_OPTION)


@dataclass(frozen=True)
class WalletTarget:
    """A Europass (EDCI) wallet API to deposit into, by the learner's e-mail address."""

    base_url: str
    send_email: bool = True  # the wallet e-mails the learner
    locale: str = "en"
    redeliver: frozenset[str] = frozenset()  # awards to send again although delivered (keys or award ids)

    @property
    def name(self) -> str:
        return f"wallet {self.base_url.rstrip('/')}"

    def asked_again(self, key: str) -> str | None:
        """The ``--redeliver`` value naming the award ``key`` (``issuer/award_id``, or the award
        id alone), if any: the learner removed the credential from the wallet, which keeps no
        copy to refuse a second deposit with."""
        award_id = key.rpartition("/")[2]
        return next((asked for asked in sorted(self.redeliver) if asked in (key, award_id)), None)

    def client(self) -> WalletClient:
        return WalletClient(HttpClient(self.base_url))


@dataclass(frozen=True)
class Delivery:
    """One attempt: ``status`` is delivered, redelivered (delivered before, sent again as
    asked with ``--redeliver``), already-delivered, unchanged (that content was delivered there
    before: nothing sent), failed, or not-sent (not attempted: the run was interrupted, or the
    wallet had refused access, asked to wait longer than a run waits, or stopped answering;
    ``message`` says which, and the same command
    sends it); ``state`` is what the
    journal keeps (delivered, failed, or sending when the outcome is not known) and ``held``
    the versions the wallet may hold afterwards."""

    key: str
    recipient: str | None
    path: str
    status: str
    message: str
    held: frozenset[str]
    target_id: str | None = None
    state: str = "failed"
    version: str | None = None  # the digest of the unsealed credential delivered
    error: DeliveryError | None = None  # the wallet's, for the run to know whether to ask it more


def deliver_pending(journal: Journal, target: WalletTarget,
                    on_delivery: Callable[[Delivery], None] = lambda d: None) -> None:
    """Deposit every credential this run queued for ``target`` and not yet delivered, in key
    order, each outcome committed and passed to ``on_delivery`` (nothing is kept in memory). A
    Ctrl-C waits until the outcome committed is passed on; the rest is then passed on as not
    sent (or failed, for the one in flight), so each deposit is counted once."""
    wallet = target.client()
    done = ""  # the key of the last delivery recorded (reported, or being reported)
    current: Pending | None = None
    stop = wallet_stop(WALLET_OPTION)  # once it says why, the rest is not sent
    try:
        for item in _pending(journal, target):
            current = item
            delivery = _deliver(wallet, target, item, journal, stop.why or "")
            stop.heard(delivery.error, "deposit")
            with ctrl_c_held_back():  # a Ctrl-C waits: an outcome committed is also counted
                _record(journal, target, item, delivery)
                current, done = None, item.key  # recorded: never listed again among those left
                on_delivery(delivery)  # an error in its reporting leaves it reported
    except KeyboardInterrupt:
        _report_interrupted(journal, target, current, done, on_delivery)
        raise
    except Exception as exc:  # a disk or journal error, or any other, stops the run: the same account
        _report_interrupted(journal, target, current, done, on_delivery, _stopped(exc))
        raise
    finally:
        wallet.http.close()


def _record(journal: Journal, target: WalletTarget, item: Pending, delivery: Delivery) -> None:
    error = None if delivery.state == "delivered" else delivery.message
    journal.delivery_outcome(item, target.name, delivery.state, delivery.target_id, error,
                             delivery.held, delivery.version, delivery.status != "unchanged")


def _pending(journal: Journal, target: WalletTarget, after: str = "") -> Iterator[Pending]:
    """The run's deliveries to ``target`` not yet made, after ``after``, a page at a time."""
    while batch := journal.pending_deliveries(target.name, after):
        yield from batch
        after = batch[-1].key


INTERRUPTED_SENDING = ("interrupted (Ctrl-C) while it was being sent: the wallet may hold it; the same "
                       "command finds out and finishes")
INTERRUPTED_PENDING = ("not sent: the run was interrupted (Ctrl-C); run the same command again: it "
                       "delivers what is still pending")


def _error_said(exc: Exception) -> str:
    """A disk's or the journal's error as the system says it; any other with its kind, which
    its message alone may not say (``KeyError: 'x'``)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, (OSError, sqlite3.Error)):
        return str(exc)
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def _stopped(exc: Exception) -> tuple[str, str]:
    """What the deposit in flight and those left are told when an error stops the run."""
    error = _error_said(exc)
    return (f"the run stopped on an error ({error}) while it was being sent: the wallet may hold it; "
            "once the cause is fixed, the same command finds out and finishes",
            f"not sent: the run stopped on an error ({error}); fix its cause, then run the same command "
            "again: it delivers what is still pending")


def _report_interrupted(journal: Journal, target: WalletTarget, current: Pending | None, after: str,
                        on_delivery: Callable[[Delivery], None],
                        why: tuple[str, str] = (INTERRUPTED_SENDING, INTERRUPTED_PENDING)) -> None:
    """Every delivery a Ctrl-C (or an error, ``why``) left undone, reported as such (the journal
    keeps them pending, or sending for the one in flight, for the next run). An error meanwhile
    (reports on a full disk, the fault that stopped the run, again) skips the one it meets, not
    the rest, and the error that stopped the run stays the one raised. A second Ctrl-C (or a
    SIGTERM) meanwhile waits until all are listed, local reads and writes only, then stops the
    run at once: cutting the list short would leave deposits counted nowhere."""
    sending, pending = why
    with ctrl_c_held_back(), contextlib.suppress(Exception):  # suppressed: the journal cannot list them
        for item in _pending(journal, target, after):
            in_flight = current is not None and item.key == current.key
            status, message = ("failed", sending) if in_flight else (NOT_SENT, pending)
            with contextlib.suppress(Exception):
                on_delivery(Delivery(item.key, item.recipient, item.path, status, message, item.held))


def _deliver(wallet: WalletClient, target: WalletTarget, item: Pending, journal: Journal,
             refused: str = "") -> Delivery:
    """One deposit. A version is the digest of the unsealed credential (the same content sealed
    again is the same version), held per recipient: each e-mail address is a wallet of its own.
    Once the wallet has refused access, asked to wait longer than a run waits or stopped
    answering (``refused`` says why), nothing more is sent: the wallet would answer the same."""
    before = item.held

    def failed(message: str, state: str = "failed", held: frozenset[str] = before) -> Delivery:
        return Delivery(item.key, item.recipient, item.path, "failed", message, held, state=state)

    if not item.recipient:
        return failed(NO_EMAIL)
    try:
        content = Path(item.path).read_bytes()
    except OSError as exc:
        return failed(f"cannot read {item.path}: {exc.strerror}; delete it and run again to export it anew")
    if hashlib.sha256(content).hexdigest() != item.sha256:
        return failed(f"{item.path} changed after it was sealed; delete it and run again to export it anew")
    try:
        version = hashlib.sha256(jades.parse(content).payload.encode("utf-8")).hexdigest()
    except SealFormatError as exc:
        return failed(f"{item.path} is not a readable JAdES seal ({exc}); delete it and run again")
    wallet_key = item.recipient.lower()  # one wallet whatever the case (a domain has none)
    mine = f"{version}:{wallet_key}"
    here = frozenset(entry for entry in before if entry.partition(":")[2] in (wallet_key, ""))
    maybe = before | {mine}
    asked = target.asked_again(item.key)
    again = bool(asked) or item.again  # asked in this run, or in an earlier one that did not send it
    if item.delivered == mine and not again:  # the wallet would refuse it (CR-0001), keeping its copy
        return Delivery(item.key, item.recipient, item.path, "unchanged", UNCHANGED, before,
                        item.target_id, state="delivered", version=version)
    if refused:
        return replace(failed(refused), status=NOT_SENT)
    journal.sending(item, target.name, maybe)
    try:
        result = wallet.deposit(content, email=item.recipient, send_email=target.send_email,
                                locale=target.locale, filename=Path(item.path).name)
    except LocalValidationError as exc:
        return failed(str(exc))
    except (DeliveryAuthError, DeliveryThrottledError) as exc:  # refused, or asked "later": nothing
        return replace(failed(str(exc)), error=exc)                # was stored; the rest is not sent
    except DeliveryHTTPError as exc:
        if 400 <= exc.status < 500:  # answered and refused: nothing was stored
            return replace(failed(str(exc)), error=exc)
        return replace(failed(str(exc), "sending", maybe), error=exc)  # it may have been stored
    except DeliveryError as exc:  # no answer: it may have been stored
        return replace(failed(str(exc), "sending", maybe), error=exc)
    if result.outcome not in ("delivered", "already-delivered"):
        return failed(result.message or result.outcome)
    if result.outcome == "already-delivered" and here - {mine}:  # another version may be there
        return failed(f"{result.message}; {UNSURE if mine in here else EARLIER_VERSION}")
    status: str = result.outcome
    message = result.message
    if again:
        message = f"{REDELIVERED if asked else REDELIVERED_EARLIER}; {result.message}"
        if item.delivered == mine and result.outcome == "delivered":
            status = "redelivered"
    return Delivery(item.key, item.recipient, item.path, status, message,
                    (before - here) | {mine}, result.uuid or result.code, state="delivered",
                    version=version)
