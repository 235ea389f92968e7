"""Single-use credential offers, access tokens and nonces, kept hashed in one SQLite file.

The file sits next to the run journal (``OUT/.edcbridge-offers.sqlite``). Nothing that grants
anything is stored in the clear: pre-authorized codes, offer references, access tokens and
notification ids are kept as SHA-256 digests (they are 256-bit random values), transaction
codes salted per offer. The one key kept as it is makes nonces: a nonce only proves that a key
proof is fresh, and the proof still needs the wallet's private key and an access token.

Rules (OpenID4VCI 1.0, 6.3):

* a pre-authorized code buys one access token, once, before the offer expires; it is spent
  only when the issuer can issue the offer (a seal or export to fix keeps it open);
* a missing transaction code is ``invalid_request`` and costs nothing; a wrong one is
  ``invalid_grant`` and counts: only after ``tx_code_attempts`` wrong codes is the offer
  withdrawn (a typo does not burn it);
* one offer gives each credential it lists once (only those the token request's
  ``authorization_details`` name, when it has them); the access token then still serves the
  notification endpoint;
* a ``c_nonce`` is good for one credential request (each key proof of a batch carries one; they
  may share it), until it expires. The nonce endpoint answers anyone,
  so giving a nonce writes nothing: the nonce carries its expiry, sealed with a key of the
  offers file (HMAC-SHA-256), and only a spent nonce is recorded, by a wallet holding an
  access token;
* a token records whether its token response returned ``credential_identifiers`` (it did when
  the token request had ``authorization_details``): the credential request then names one of
  them, and otherwise the ``credential_configuration_id`` (OpenID4VCI 1.0, 8.2).

Every state change is one ``BEGIN IMMEDIATE`` transaction, so concurrent wallets (or several
server processes on the same file) never redeem the same code twice.

A revocation (:meth:`OfferStore.revoke`) and an offer reissuing a revoked award
(:meth:`OfferStore.create` with ``reissued_by``) are also written down, in the same transaction
as what they change, as an event for the audit trail (``trail_events``): who, when, why and
what (the status list entries by ``uri`` and ``idx``, as the credentials carry them, and the
offers closed). The offers file keeps it until it is in the hash-chained trail, and then notes
where (``recorded``: the trail event's ``SEQ:SHA256``); ``edcbridge.oid4vci.cli`` writes it
there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from random import SystemRandom

from edcbridge.file_lock import Busy, hold
from edcbridge.oid4vci import status_list
from edcbridge.oid4vci.errors import OAuthError
from edcbridge.output import make_private

OFFERS_NAME = ".edcbridge-offers.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS offers (
    id TEXT PRIMARY KEY, award_key TEXT NOT NULL, configurations TEXT NOT NULL,
    ref_hash TEXT NOT NULL UNIQUE, code_hash TEXT NOT NULL UNIQUE,
    tx_salt TEXT, tx_hash TEXT, tx_length INTEGER, tx_failures INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL, redeemed REAL, issued REAL,
    notification_hash TEXT, event TEXT, event_description TEXT, event_time REAL,
    revoked REAL, trail_event INTEGER, erased REAL);
CREATE INDEX IF NOT EXISTS offers_award ON offers (award_key);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY, offer_id TEXT NOT NULL REFERENCES offers (id), expires REAL NOT NULL,
    client_id TEXT, identifiers INTEGER);
CREATE TABLE IF NOT EXISTS spent_nonces (hash TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS spent_nonces_expires ON spent_nonces (expires);
CREATE TABLE IF NOT EXISTS keys (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS status_entries (
    list INTEGER NOT NULL, idx INTEGER NOT NULL, award_key TEXT NOT NULL, offer_id TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0, reserved REAL NOT NULL, changed REAL, uri TEXT,
    trail_event INTEGER, PRIMARY KEY (list, idx));
CREATE INDEX IF NOT EXISTS status_entries_award ON status_entries (award_key);
CREATE TABLE IF NOT EXISTS issued (
    offer_id TEXT NOT NULL REFERENCES offers (id), configuration TEXT NOT NULL,
    notification_hash TEXT NOT NULL, issued REAL NOT NULL, PRIMARY KEY (offer_id, configuration));
CREATE TABLE IF NOT EXISTS trail_events (
    id INTEGER PRIMARY KEY, action TEXT NOT NULL, award_key TEXT NOT NULL, detail TEXT NOT NULL,
    created REAL NOT NULL, recorded TEXT);
CREATE INDEX IF NOT EXISTS trail_events_unrecorded ON trail_events (id) WHERE recorded IS NULL;
"""


class _SpentBefore(Exception):
    """A nonce of the request was spent by an earlier one."""


class OfferRunBusy(Exception):
    """Another ``edcbridge offer`` run holds the offers file."""


_BUSY_SECONDS = 30.0  # how long a statement waits for another process holding the offers file


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the offers file to WAL, waiting for other processes opening it at the same moment
    (`offer`, `serve`, `revoke`): SQLite answers a switch that would deadlock with "database is
    locked" at once, without waiting, so the switch is tried again until the busy time is over."""
    deadline = time.monotonic() + _BUSY_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def hold_offer_runs(path: Path, wait: float, waiting: Callable[[], None]) -> int | None:
    """A descriptor holding the offers file ``path`` for one ``edcbridge offer`` run (close it
    to let go; the lock goes with the process, ``kill -9`` included). A new offer closes its
    award's earlier open ones, so two runs at once would each close some of the offers the
    other hands out: a second run waits up to ``wait`` seconds (calling ``waiting`` once if it
    has to), then is refused. None where the system has no such locks: runs are not kept apart."""
    lock_file = path.with_name(path.name + ".lock")
    try:
        return hold(lambda: os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600), wait, waiting)
    except OSError:
        return None
    except Busy:
        raise OfferRunBusy(f"{path.parent}: another 'edcbridge offer' run is making offers there; "
                           "wait for it to end, then run this command again (a new offer closes "
                           "its award's earlier open ones)") from None


def digest(secret: str) -> str:
    """The stored form of a secret. A lone surrogate (JSON allows ``"\\ud800"``) is hashed as
    such, not refused: a request holding one is looked up, found unknown and answered so."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def code_for_reference(reference: str) -> str:
    """The pre-authorized code of an offer, derived from its (secret) reference.

    Both are stored hashed; the code can still be served by reference because the
    reference in the request URL yields it.
    """
    raw = hashlib.sha256(b"edcbridge pre-authorized code\x00" + reference.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _tx_digest(salt: str, tx_code: str) -> str:
    return hashlib.sha256(f"{salt}:{tx_code}".encode()).hexdigest()


def _narrowed(configurations: str, granted: tuple[str, ...] | None) -> str:
    """The offer's configurations (stored JSON) that ``granted`` names, all when it is None."""
    offered: list[str] = json.loads(configurations)
    if granted is None:
        return configurations
    kept = [configuration for configuration in offered if configuration in granted]
    if not kept or len(set(granted)) != len(kept):
        raise ValueError(f"granted {list(granted)} is not a part of the offer {offered}")
    return json.dumps(kept)


def _stamp(moment: float | None) -> str | None:
    """A time as the audit trail writes it (UTC, to the second); None when not recorded."""
    return None if moment is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _text(value: str | None) -> str | None:
    """Free text for the trail (a reason), as one line that shows what it says: None when
    empty; line breaks (U+2028 too) and tabs as spaces; a lone surrogate (bytes of a command line that were
    not UTF-8, which SQLite and JSON readers refuse), another control character (a terminal
    escape) or a bidirectional override (text shown in another order) as U+FFFD."""
    if value is None or not value.strip():
        return None
    shown = []
    for char in value.strip():
        if char in "\t\n\r\v\f" or unicodedata.category(char) in ("Zl", "Zp"):
            shown.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            shown.append("\ufffd")
        else:
            shown.append(char)
    return "".join(shown)


def _detail(fields: dict[str, object]) -> str:
    """A trail event's detail: JSON, one spelling for one content (its sha256 is the event's
    output hash)."""
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class TrailEvent:
    """A revocation or a reissue as the offers file keeps it for the audit trail: ``action``
    (revoked, reissued), the award, and ``detail``, the JSON text the trail event carries."""

    id: int
    action: str
    award_key: str
    detail: str

    @property
    def fields(self) -> dict[str, object]:
        found: dict[str, object] = json.loads(self.detail)
        return found


@dataclass(frozen=True)
class CreatedOffer:
    """What the registry office hands to the learner; the only time the secrets are known."""

    offer_id: str
    award_key: str
    configuration_ids: tuple[str, ...]
    reference: str
    pre_authorized_code: str
    tx_code: str | None
    expires_at: float
    closed: tuple[str, ...] = ()  # the ids of the award's earlier open offers, closed by this one
    event: TrailEvent | None = None  # the reissue of a revoked award, for the audit trail

    @property
    def superseded(self) -> int:
        return len(self.closed)


@dataclass(frozen=True)
class OfferView:
    """An open offer found by its reference (for ``credential_offer_uri``)."""

    award_key: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str
    tx_code_length: int | None


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_in: int
    offer_id: str
    configuration_ids: tuple[str, ...]


@dataclass(frozen=True)
class TokenInfo:
    offer_id: str
    award_key: str
    configuration_ids: tuple[str, ...]
    state: str
    client_id: str | None = None  # as sent to the token endpoint; None for anonymous access
    # whether the token response returned credential_identifiers; None for a token issued
    # before this was recorded (an offers file from an earlier edcbridge): either is taken
    identifiers: bool | None = None


@dataclass(frozen=True)
class OfferStatus:
    offer_id: str
    award_key: str
    state: str
    expires_at: float
    tx_failures: int
    event: str | None


REVOKED = "revoked"  # the state of an offer closed by ``edcbridge revoke``
ERASED = "erased"  # the state of an offer closed by ``edcbridge erase`` (the learner's data erased)
# the state of an offer closed as its award was taken back: by ``edcbridge withdraw``, or by
# ``edcbridge serve`` when it meets one withdraw left open (not "withdrawn": that is an offer
# closed after wrong transaction codes)
AWARD_WITHDRAWN = "award-withdrawn"
AWARD_WITHDRAWN_TEXT = "the issuer withdrew this award; no credential is issued for it"
# the event of offers closed for an award withdrawn or erased after the command did it (a command
# stopped part way, or of an earlier version, left them open): by ``serve``, or the command run again
OFFERS_CLOSED = "offers-closed"
UNUSED = ("open", "redeemed")  # the states of an offer a credential may still come from
ERASED_TEXT = "the issuer erased this award's data at the learner's request; no credential is issued for it"


@dataclass(frozen=True)
class ClosedOffers:
    """The offers of an award closed at once (withdrawn or erased), and, when ``serve`` or the
    command run again closed them, the event for the audit trail that names them."""

    offers: tuple[str, ...]
    event: TrailEvent | None = None


@dataclass(frozen=True)
class Revocation:
    """What :meth:`OfferStore.revoke` did to one award: the (list, index) entries it turned
    invalid now, those invalid already, and the offers it closed."""

    award_key: str
    revoked: tuple[tuple[int, int], ...]
    already: tuple[tuple[int, int], ...]
    closed_offers: int
    closed_before: int = 0  # offers a revocation closed earlier
    event: TrailEvent | None = None  # for the audit trail: what no event of the award records yet

    @property
    def found(self) -> bool:
        return bool(self.revoked or self.already or self.closed_offers or self.closed_before)


class OfferStore:
    """The offers file; safe to share between threads (one connection per thread).

    ``issuer_url``: the credential issuer serving from this file (``edcbridge serve`` sets it);
    each status list entry reserved then keeps the list's ``uri`` as the credential carries it,
    so a revocation names it in the audit trail. Entries reserved without it keep none.
    """

    def __init__(
        self, path: Path, *, tx_code_attempts: int = 3, clock: Callable[[], float] = time.time
    ) -> None:
        if tx_code_attempts < 1:
            raise ValueError("tx_code_attempts must be at least 1")
        path.parent.mkdir(parents=True, exist_ok=True)
        make_private(path)
        self.path = path
        self.tx_code_attempts = tx_code_attempts
        self.clock = clock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.issuer_url: str | None = None
        self._db().executescript(_SCHEMA)
        self._add_column("tokens", "client_id", "TEXT")  # tokens recorded the wallet's client_id
        self._add_column("tokens", "identifiers", "INTEGER")  # ... and their credential_identifiers
        self._add_column("status_entries", "uri", "TEXT")  # entries keep their list's uri
        self._add_column("status_entries", "trail_event", "INTEGER")  # ... and the event revoking them
        self._add_column("offers", "revoked", "REAL")  # offers closed by a revocation keep when
        self._add_column("offers", "trail_event", "INTEGER")  # ... and the event that records it
        self._add_column("offers", "erased", "REAL")  # offers of an award erased keep when
        for column, declaration in (("event", "TEXT"), ("event_description", "TEXT"), ("event_time", "REAL")):
            self._add_column("issued", column, declaration)  # each credential keeps the wallet's report
        self._nonce_key = self._key("nonce")

    @classmethod
    def for_folder(
        cls, out_dir: Path, *, tx_code_attempts: int = 3, clock: Callable[[], float] = time.time
    ) -> OfferStore:
        """The offers file of an export folder, next to its journal."""
        return cls(out_dir / OFFERS_NAME, tx_code_attempts=tx_code_attempts, clock=clock)

    @classmethod
    @contextmanager
    def opened(cls, out_dir: Path) -> Iterator[OfferStore]:
        """The offers file of an export folder for one piece of work, closed after it."""
        store = cls.for_folder(out_dir)
        try:
            yield store
        finally:
            store.close()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=_BUSY_SECONDS,
                                 check_same_thread=False)
            _use_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _add_column(self, table: str, column: str, declaration: str) -> None:
        """Offers files made by an earlier edcbridge gain a column added since (NULL in their
        rows: not recorded)."""
        db = self._db()

        def present() -> bool:
            return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})"))

        if present():
            return
        try:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        except sqlite3.OperationalError:  # another process added it first
            if not present():
                raise

    def _key(self, name: str) -> bytes:
        """A random key of this offers file, made once and shared by every process using it."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO keys (name, value) VALUES (?, ?)", (name, new_secret()))
            value = db.execute("SELECT value FROM keys WHERE name = ?", (name,)).fetchone()[0]
        return str(value).encode("ascii")

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- offers ---------------------------------------------------------------------------

    def create(
        self,
        award_key: str,
        configuration_ids: tuple[str, ...],
        *,
        valid_for: float,
        tx_code_length: int | None = None,
        reissued_by: str | None = None,
        reason: str | None = None,
    ) -> CreatedOffer:
        """A new offer for one exported award; ``tx_code_length`` digits of PIN if given.

        With ``reissued_by`` (who makes it, as the audit trail names people) an offer for an
        award that was revoked is written down, in the same transaction, as a reissue for the
        audit trail, with ``reason``; the offer's ``event`` is it."""
        if not configuration_ids:
            raise ValueError("an offer needs at least one credential configuration")
        if tx_code_length is not None and not 4 <= tx_code_length <= 12:
            raise ValueError("a transaction code has 4 to 12 digits")
        now = self.clock()
        reference = new_secret()
        code = code_for_reference(reference)
        offer_id = secrets.token_hex(8)
        tx_code = tx_salt = tx_hash = None
        if tx_code_length is not None:
            tx_code = "".join(str(secrets.randbelow(10)) for _ in range(tx_code_length))
            tx_salt = secrets.token_hex(16)
            tx_hash = _tx_digest(tx_salt, tx_code)
        with self._transaction() as db:
            # a lost letter or a mistyped PIN: only the newest offer stays open
            closed = tuple(offer for (offer,) in db.execute(
                "SELECT id FROM offers WHERE award_key = ? AND state = 'open' ORDER BY created, id",
                (award_key,)))
            db.execute("UPDATE offers SET state = 'superseded' WHERE award_key = ? AND state = 'open'",
                       (award_key,))
            db.execute(
                "INSERT INTO offers (id, award_key, configurations, ref_hash, code_hash, tx_salt, tx_hash, "
                "tx_length, state, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                (
                    offer_id,
                    award_key,
                    json.dumps(list(configuration_ids)),
                    digest(reference),
                    digest(code),
                    tx_salt,
                    tx_hash,
                    tx_code_length,
                    now,
                    now + valid_for,
                ),
            )
            event = None
            if reissued_by is not None and self._revoked(db, award_key):
                event = self._trail_event(db, "reissued", award_key, {
                    "by": reissued_by, "at": _stamp(now), "reason": _text(reason), "offer": offer_id,
                    "configurations": list(configuration_ids), "open_until": _stamp(now + valid_for)})
        return CreatedOffer(offer_id, award_key, configuration_ids, reference, code, tx_code, now + valid_for,
                            closed, event)

    def by_reference(self, reference: str) -> OfferView | None:
        """The open, unexpired offer behind a ``credential_offer_uri``; None otherwise."""
        row = (
            self._db()
            .execute(
                "SELECT award_key, configurations, tx_length, state, expires FROM offers WHERE ref_hash = ?",
                (digest(reference),),
            )
            .fetchone()
        )
        if row is None or row[3] != "open" or row[4] < self.clock():
            return None
        return OfferView(row[0], tuple(json.loads(row[1])), code_for_reference(reference), row[2])

    def status(self, offer_id: str) -> OfferStatus | None:
        row = (
            self._db()
            .execute(
                "SELECT id, award_key, state, expires, tx_failures, event FROM offers WHERE id = ?",
                (offer_id,),
            )
            .fetchone()
        )
        return OfferStatus(*row) if row else None

    def redeem(
        self,
        code: str,
        tx_code: str | None,
        *,
        token_ttl: int,
        client_id: str | None = None,
        check: Callable[[str, tuple[str, ...]], None] | None = None,
        granted: tuple[str, ...] | None = None,
    ) -> Grant:
        """Exchange a pre-authorized code (and transaction code) for an access token.

        ``check(award_key, configuration_ids)`` runs once the codes are right and before the
        code is spent: what it raises leaves the offer open, to be redeemed once the issuer
        can issue it. ``granted`` (the wallet's ``authorization_details``, a part of the offer)
        narrows the offer to those configurations: the token obtains them alone (RFC 9396),
        and the offer is used up once they are issued; the token response then returns them
        as ``credential_identifiers``, which the token records (OpenID4VCI 1.0, 6.2 and 8.2).
        """
        now = self.clock()
        refusal: OAuthError | None = None  # a refusal that changes state: raised after the commit
        with self._transaction() as db:
            row = db.execute(
                "SELECT id, award_key, configurations, tx_salt, tx_hash, tx_failures, state, expires "
                "FROM offers WHERE code_hash = ?",
                (digest(code),),
            ).fetchone()
            if row is None:
                raise OAuthError(400, "invalid_grant", "unknown pre-authorized code")
            offer_id, award_key, configurations, tx_salt, tx_hash, failures, state, expires = row
            if state == "withdrawn":
                raise OAuthError(
                    400,
                    "invalid_grant",
                    "this offer was withdrawn after too many wrong "
                    "transaction codes; ask the issuer for a new offer",
                )
            if state == "superseded":
                raise OAuthError(400, "invalid_grant",
                                 "a newer offer replaced this one; use the newest offer from the issuer")
            if state == REVOKED:
                raise OAuthError(400, "invalid_grant", "the issuer revoked this award; no credential is "
                                                       "issued for it")
            if state == ERASED:
                raise OAuthError(400, "invalid_grant", ERASED_TEXT)
            if state == AWARD_WITHDRAWN:
                raise OAuthError(400, "invalid_grant", AWARD_WITHDRAWN_TEXT)
            if state != "open":
                raise OAuthError(
                    400,
                    "invalid_grant",
                    "this pre-authorized code was already used; each offer gives one credential",
                )
            if expires < now:
                raise OAuthError(400, "invalid_grant", "this offer has expired; ask the issuer for a new one")
            if tx_hash is None and tx_code is not None:
                raise OAuthError(
                    400, "invalid_request", "this offer has no transaction code; do not send tx_code"
                )
            if tx_hash is not None:
                if not tx_code:
                    raise OAuthError(
                        400,
                        "invalid_request",
                        "this offer needs the transaction code (tx_code) the issuer sent separately",
                    )
                if not secrets.compare_digest(_tx_digest(tx_salt, tx_code), tx_hash):
                    refusal = self._count_wrong_tx_code(db, offer_id, failures + 1)
            if refusal is None:
                if check is not None:
                    check(award_key, tuple(json.loads(configurations)))
                configurations = _narrowed(configurations, granted)
                token = new_secret()
                db.execute(
                    "UPDATE offers SET state = 'redeemed', redeemed = ?, configurations = ? WHERE id = ?",
                    (now, configurations, offer_id),
                )
                db.execute(
                    "INSERT INTO tokens (hash, offer_id, expires, client_id, identifiers) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (digest(token), offer_id, now + token_ttl, client_id, int(granted is not None)),
                )
        if refusal is not None:
            raise refusal
        return Grant(token, token_ttl, offer_id, tuple(json.loads(configurations)))

    def _count_wrong_tx_code(self, db: sqlite3.Connection, offer_id: str, failures: int) -> OAuthError:
        """Record a wrong transaction code; the offer is withdrawn at the limit."""
        left = self.tx_code_attempts - failures
        state = "withdrawn" if left <= 0 else "open"
        db.execute("UPDATE offers SET tx_failures = ?, state = ? WHERE id = ?", (failures, state, offer_id))
        if left <= 0:
            return OAuthError(
                400,
                "invalid_grant",
                "wrong transaction code; no attempts left, the offer is "
                "withdrawn: ask the issuer for a new offer",
            )
        return OAuthError(400, "invalid_grant", f"wrong transaction code; {left} attempt(s) left")

    def token(self, access_token: str) -> TokenInfo:
        """The offer an access token was issued for; 401 ``invalid_token`` when unknown or expired."""
        row = (
            self._db()
            .execute(
                "SELECT t.expires, o.id, o.award_key, o.configurations, o.state, t.client_id, t.identifiers "
                "FROM tokens t "
                "JOIN offers o ON o.id = t.offer_id WHERE t.hash = ?",
                (digest(access_token),),
            )
            .fetchone()
        )
        if row is None:
            raise OAuthError(401, "invalid_token", "unknown access token")
        if row[0] < self.clock():
            raise OAuthError(401, "invalid_token", "the access token has expired")
        identifiers = None if row[6] is None else bool(row[6])
        return TokenInfo(row[1], row[2], tuple(json.loads(row[3])), row[4], row[5], identifiers)

    def mark_issued(self, offer_id: str, configuration: str, notification_id: str) -> bool:
        """Record one offered credential as issued; False if it was issued already (another
        request got it first). The offer is used up once every credential it lists is issued."""
        now = self.clock()
        with self._transaction() as db:
            row = db.execute("SELECT configurations FROM offers WHERE id = ? AND state = 'redeemed'",
                             (offer_id,)).fetchone()
            if row is None:
                return False
            added = db.execute(
                "INSERT OR IGNORE INTO issued (offer_id, configuration, notification_hash, issued) "
                "VALUES (?, ?, ?, ?)", (offer_id, configuration, digest(notification_id), now)
            ).rowcount
            done = {c for (c,) in db.execute("SELECT configuration FROM issued WHERE offer_id = ?",
                                             (offer_id,))}
            if done >= set(json.loads(row[0])):
                db.execute("UPDATE offers SET state = 'issued', issued = ? WHERE id = ?", (now, offer_id))
        return added == 1

    def was_issued(self, offer_id: str, configuration: str) -> bool:
        return self._db().execute("SELECT 1 FROM issued WHERE offer_id = ? AND configuration = ?",
                                  (offer_id, configuration)).fetchone() is not None

    def notify(self, offer_id: str, notification_id: str, event: str, description: str | None) -> bool:
        """Store the wallet's notification with the credential it names (the offer keeps the
        latest); False when the id is not one of this offer's. (Offers issued before credentials
        were recorded one by one keep theirs on the offer alone.) Once the award is erased
        (:meth:`erase_award`), the event is stored without the wallet's text: a wallet whose
        access token still lives must not write back what the erasure overwrote."""
        hashed = digest(notification_id)
        now = self.clock()
        with self._transaction() as db:
            erased = db.execute("SELECT erased FROM offers WHERE id = ?", (offer_id,)).fetchone()
            if erased is not None and erased[0] is not None:
                description = None
            known = db.execute(
                "UPDATE issued SET event = ?, event_description = ?, event_time = ? "
                "WHERE offer_id = ? AND notification_hash = ?",
                (event, description, now, offer_id, hashed),
            ).rowcount == 1
            changed = db.execute(
                "UPDATE offers SET event = ?, event_description = ?, event_time = ? "
                "WHERE id = ? AND (? OR notification_hash = ?)",
                (event, description, now, offer_id, known, hashed),
            ).rowcount
        return changed == 1

    def events(self, offer_id: str) -> dict[str, str | None]:
        """The wallet's latest report on each credential issued for an offer, by configuration."""
        rows = self._db().execute("SELECT configuration, event FROM issued WHERE offer_id = ?", (offer_id,))
        return {configuration: event for configuration, event in rows}

    # -- status list entries --------------------------------------------------------------

    def reserve_status(self, award_key: str, offer_id: str) -> tuple[int, int]:
        """A status list entry for a credential about to be issued: (list number, index)."""
        return self.reserve_statuses(award_key, offer_id, 1)[0]

    def reserve_statuses(self, award_key: str, offer_id: str, count: int) -> list[tuple[int, int]]:
        """``count`` status list entries for the credentials of one response, about to be issued
        (a batch: one per copy, so a revocation of the award finds each): (list number, index),
        drawn at random in the first list less than half used. An entry whose credential is then
        not issued stays valid and unused. An offer closed by :meth:`revoke` gets none: checked
        in the same transaction, so a credential is either refused or counted in the revocation."""
        with self._transaction() as db:
            state = db.execute("SELECT state FROM offers WHERE id = ?", (offer_id,)).fetchone()
            if state is not None and state[0] == REVOKED:
                raise OAuthError(400, "credential_request_denied",
                                 "the issuer revoked this award; no credential is issued for it")
            return [self._draw_entry(db, award_key, offer_id) for _ in range(count)]

    def _draw_entry(self, db: sqlite3.Connection, award_key: str, offer_id: str) -> tuple[int, int]:
        draw = SystemRandom()
        used = dict(db.execute("SELECT list, count(*) FROM status_entries GROUP BY list").fetchall())
        number = next((n for n in sorted(used) if used[n] < status_list.OPEN_UNTIL), max(used, default=0) + 1)
        uri = status_list.list_uri(self.issuer_url, number) if self.issuer_url else None
        while True:  # the list is less than half used: each draw is free with odds over 1/2
            index = draw.randrange(status_list.LIST_SIZE)
            if db.execute("INSERT OR IGNORE INTO status_entries "
                          "(list, idx, award_key, offer_id, reserved, uri) VALUES (?, ?, ?, ?, ?, ?)",
                          (number, index, award_key, offer_id, self.clock(), uri)).rowcount:
                return number, index

    def revoke(self, award_key: str, *, by: str | None = None, reason: str | None = None) -> Revocation:
        """Mark every credential issued for the award invalid, for good, and close its offers
        not yet used up (open ones, and redeemed ones whose credentials are not all issued):
        they were made for the award as it stood, so no credential comes from them any more.

        In the same transaction, what no event for the audit trail records yet (this revocation;
        also one made by an edcbridge that kept no such events) becomes one, ``by`` whom
        (as the audit trail names people) and why (``reason``): the revocation's ``event``."""
        now = self.clock()
        with self._transaction() as db:
            entries = db.execute("SELECT list, idx, status FROM status_entries WHERE award_key = ? "
                                 "ORDER BY list, idx", (award_key,)).fetchall()
            db.execute("UPDATE status_entries SET status = ?, changed = ? "
                       "WHERE award_key = ? AND status != ?",
                       (status_list.INVALID, now, award_key, status_list.INVALID))
            before = db.execute("SELECT count(*) FROM offers WHERE award_key = ? AND state = ?",
                                (award_key, REVOKED)).fetchone()[0]
            closed = db.execute("UPDATE offers SET state = ?, revoked = ? WHERE award_key = ? "
                                "AND state IN ('open', 'redeemed')", (REVOKED, now, award_key)).rowcount
            event = self._revocation_event(db, award_key, by, reason, now)
        return Revocation(
            award_key,
            tuple((number, index) for number, index, status in entries if status != status_list.INVALID),
            tuple((number, index) for number, index, status in entries if status == status_list.INVALID),
            closed, int(before), event,
        )

    def offers_of(self, award_key: str, states: Sequence[str]) -> tuple[str, ...]:
        """The ids of the award's offers in one of ``states``, oldest first."""
        marks = ", ".join("?" for _ in states)
        rows = self._db().execute(f"SELECT id FROM offers WHERE award_key = ? AND state IN ({marks}) "
                                  "ORDER BY created, id", (award_key, *states)).fetchall()
        return tuple(str(offer_id) for (offer_id,) in rows)

    def close_withdrawn(self, award_key: str, *, by: str | None = None) -> ClosedOffers:
        """Close the award's offers not used up, as it was taken back (``edcbridge withdraw``):
        reinstating it does not reopen them, a new offer does. ``by``: see :meth:`_closing_event`."""
        now = self.clock()
        with self._transaction() as db:
            offers = self._close_unused(db, award_key, AWARD_WITHDRAWN)
            event = self._closing_event(db, award_key, "withdrawn", offers, by, now)
        return ClosedOffers(offers, event)

    def erase_award(self, award_key: str, *, by: str | None = None) -> ClosedOffers:
        """Close the award's offers not used up (its learner's data were erased: no credential
        comes from them any more) and overwrite what wallets told of it (client ids, the
        descriptions of their notifications), marking every offer of the award ``erased`` so that
        a later notification keeps no text. Its status list entries stay, so a credential issued
        before can still be revoked. ``by``: see :meth:`_closing_event`."""
        now = self.clock()
        db = self._db()
        db.execute("PRAGMA secure_delete = ON")
        with self._transaction() as db:
            offers = self._close_unused(db, award_key, ERASED)
            db.execute("UPDATE offers SET erased = ? WHERE award_key = ? AND erased IS NULL",
                       (now, award_key))
            mine = "(SELECT id FROM offers WHERE award_key = ?)"
            db.execute(f"UPDATE tokens SET client_id = NULL WHERE offer_id IN {mine}", (award_key,))
            db.execute(f"UPDATE issued SET event_description = NULL WHERE offer_id IN {mine}", (award_key,))
            db.execute(f"UPDATE offers SET event_description = NULL WHERE id IN {mine}", (award_key,))
            event = self._closing_event(db, award_key, "erased", offers, by, now)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return ClosedOffers(offers, event)

    @staticmethod
    def _close_unused(db: sqlite3.Connection, award_key: str, state: str) -> tuple[str, ...]:
        """Close the award's offers a credential may still come from, in ``state``; their ids."""
        rows = db.execute("SELECT id FROM offers WHERE award_key = ? AND state IN (?, ?) "
                          "ORDER BY created, id", (award_key, *UNUSED)).fetchall()
        db.execute("UPDATE offers SET state = ? WHERE award_key = ? AND state IN (?, ?)",
                   (state, award_key, *UNUSED))
        return tuple(str(offer_id) for (offer_id,) in rows)

    def _closing_event(self, db: sqlite3.Connection, award_key: str, award_was: str,
                       offers: tuple[str, ...], by: str | None, now: float) -> TrailEvent | None:
        """The offers closed (``by`` whom: ``serve`` as it met them, or ``withdraw`` or ``erase``
        run again) still open for an award withdrawn or erased (``award_was``), as an event for
        the audit trail, kept in the same transaction; none when ``by`` is None (the first run of
        ``withdraw`` or ``erase`` names them in its own event) or no offer was closed."""
        if by is None or not offers:
            return None
        return self._trail_event(db, OFFERS_CLOSED, award_key, {
            "by": by, "at": _stamp(now), "award": award_was,
            "offers_closed": [{"offer": offer_id, "closed_at": _stamp(now)} for offer_id in offers],
        })

    # -- events for the audit trail -------------------------------------------------------

    def _revocation_event(self, db: sqlite3.Connection, award_key: str, by: str | None,
                          reason: str | None, now: float) -> TrailEvent | None:
        """The revoked entries and offers of the award that no event records yet, as one event."""
        entries = db.execute("SELECT list, idx, uri, changed FROM status_entries WHERE award_key = ? "
                             "AND status = ? AND trail_event IS NULL ORDER BY list, idx",
                             (award_key, status_list.INVALID)).fetchall()
        offers = db.execute("SELECT id, revoked FROM offers WHERE award_key = ? AND state = ? "
                            "AND trail_event IS NULL ORDER BY created, id", (award_key, REVOKED)).fetchall()
        if not entries and not offers:
            return None
        event = self._trail_event(db, "revoked", award_key, {
            "by": by, "at": _stamp(now), "reason": _text(reason),
            "credentials": [{"uri": uri, "idx": index, "list": number, "revoked_at": _stamp(changed)}
                            for number, index, uri, changed in entries],
            "offers_closed": [{"offer": offer_id, "closed_at": _stamp(closed)}
                              for offer_id, closed in offers],
        })
        db.execute("UPDATE status_entries SET trail_event = ? WHERE award_key = ? AND status = ? "
                   "AND trail_event IS NULL", (event.id, award_key, status_list.INVALID))
        db.execute("UPDATE offers SET trail_event = ? WHERE award_key = ? AND state = ? "
                   "AND trail_event IS NULL", (event.id, award_key, REVOKED))
        return event

    def _trail_event(self, db: sqlite3.Connection, action: str, award_key: str,
                     fields: dict[str, object]) -> TrailEvent:
        detail = _detail(fields)
        cursor = db.execute("INSERT INTO trail_events (action, award_key, detail, created) "
                            "VALUES (?, ?, ?, ?)", (action, award_key, detail, self.clock()))
        assert cursor.lastrowid is not None
        return TrailEvent(cursor.lastrowid, action, award_key, detail)

    @staticmethod
    def _revoked(db: sqlite3.Connection, award_key: str) -> bool:
        return db.execute("SELECT 1 FROM status_entries WHERE award_key = ? AND status = ? UNION "
                          "SELECT 1 FROM offers WHERE award_key = ? AND state = ? LIMIT 1",
                          (award_key, status_list.INVALID, award_key, REVOKED)).fetchone() is not None

    def unrecorded(self) -> list[TrailEvent]:
        """The revocations and reissues not yet in the audit trail, oldest first."""
        rows = self._db().execute("SELECT id, action, award_key, detail FROM trail_events "
                                  "WHERE recorded IS NULL ORDER BY id").fetchall()
        return [TrailEvent(*row) for row in rows]

    def mark_recorded(self, events: Sequence[int], where: str) -> None:
        """Note that these events are in the audit trail, ``where`` (the event's ``SEQ:SHA256``)."""
        with self._transaction() as db:
            db.executemany("UPDATE trail_events SET recorded = ? WHERE id = ?",
                           [(where, event) for event in events])

    def recorded(self, event: int) -> str | None:
        """Where the audit trail holds an event (``SEQ:SHA256``); None while it holds it not."""
        row = self._db().execute("SELECT recorded FROM trail_events WHERE id = ?", (event,)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def offer_state(self, offer_id: str) -> str | None:
        row = self._db().execute("SELECT state FROM offers WHERE id = ?", (offer_id,)).fetchone()
        return str(row[0]) if row else None

    def was_revoked(self, award_key: str) -> bool:
        """Whether ``edcbridge revoke`` revoked the award (its credentials or its offers)."""
        return self._revoked(self._db(), award_key)

    def revocable_awards(self, name: str) -> list[str]:
        """The award keys this offers file knows (by offers or status entries) that ``name``
        names: the key itself, or a bare award id. An award whose export record has gone (a
        later run failed, files removed) can still be revoked by them."""
        rows = self._db().execute(
            "SELECT award_key FROM status_entries UNION SELECT award_key FROM offers").fetchall()
        keys = {key for (key,) in rows}
        if "/" in name:
            return [name] if name in keys else []
        return sorted(key for key in keys if key.split("/", 1)[-1] == name)

    def invalid_entries(self, number: int) -> list[int] | None:
        """The invalid indices of a status list, or None when no credential uses that list."""
        db = self._db()
        if db.execute("SELECT 1 FROM status_entries WHERE list = ? LIMIT 1", (number,)).fetchone() is None:
            return None
        rows = db.execute("SELECT idx FROM status_entries WHERE list = ? AND status = ?",
                          (number, status_list.INVALID))
        return [index for (index,) in rows]

    # -- nonces ---------------------------------------------------------------------------

    def new_nonce(self, ttl: int) -> str:
        """``<expiry>.<random>.<mac>``: checked by its MAC and expiry, so nothing is stored."""
        body = f"{int(self.clock() + ttl)}.{new_secret()}"
        return f"{body}.{self._nonce_mac(body)}"

    def _nonce_mac(self, body: str) -> str:
        mac = hmac.new(self._nonce_key, body.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def consume_nonce(self, nonce: str) -> bool:
        """True once for a nonce this offers file gave out and that has not expired."""
        return self.consume_nonces([nonce])

    def consume_nonces(self, nonces: Sequence[str]) -> bool:
        """Spend the nonces of one credential request's proofs, all or none: True when each is
        one this offers file gave out, unexpired and not spent by an earlier request (proofs of
        one batch may share a nonce: it is spent once)."""
        unique = list(dict.fromkeys(nonces))
        expiries = [self._nonce_expiry(nonce) for nonce in unique]
        now = self.clock()
        if not unique or any(expiry is None or expiry < now for expiry in expiries):
            return False
        try:
            with self._transaction() as db:
                db.execute("DELETE FROM spent_nonces WHERE expires < ?", (now,))
                for nonce, expiry in zip(unique, expiries, strict=True):
                    if not db.execute("INSERT OR IGNORE INTO spent_nonces (hash, expires) VALUES (?, ?)",
                                      (digest(nonce), expiry)).rowcount:
                        raise _SpentBefore  # rolled back: this request spends none
        except _SpentBefore:
            return False
        return True

    def _nonce_expiry(self, nonce: str) -> int | None:
        """The expiry a nonce of this offers file carries; None for one it did not give out."""
        body, _, mac = nonce.rpartition(".")
        expiry = body.partition(".")[0]
        if not (body.isascii() and expiry.isdigit() and len(expiry) <= 12
                and hmac.compare_digest(mac.encode("utf-8", "surrogatepass"),
                                        self._nonce_mac(body).encode("ascii"))):
            return None
        return int(expiry)

def folder_offers(out_dir: Path, award_key: str, states: Sequence[str]) -> tuple[str, ...]:
    """The ids of the award's offers in ``states`` in the offers file of ``out_dir``; none when
    the folder has no offers file or it cannot be read (the command says so where it matters)."""
    if not (out_dir / OFFERS_NAME).is_file():
        return ()
    try:
        with OfferStore.opened(out_dir) as store:
            return store.offers_of(award_key, states)
    except (OSError, sqlite3.Error):
        return ()
