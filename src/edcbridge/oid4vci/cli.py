"""``edcbridge serve``, ``offer``, ``revoke`` and ``upload-dc4eu``; added by :func:`register`.

Data (offer links, JSON lines with ``--json``) goes to stdout, messages for people (PINs, QR
codes drawn as text, progress) to stderr; with ``-q``, only errors, warnings and PINs. Exit
codes: 0 all good; 1 some awards failed; 2 unusable input or configuration.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from edcbridge.cli import quiet_option, reason_text
from edcbridge.oid4vci.dc4eu import LOGIN_FIX, PASSWORD_ENV, USER_ENV
from edcbridge.oid4vci.service import MIN_BATCH_SIZE
from edcbridge.output import award_file

if TYPE_CHECKING:
    import socket

    from edcbridge.deliver.errors import DeliveryAuthError
    from edcbridge.oid4vci.dc4eu import Dc4euClient, GatewayOffer
    from edcbridge.oid4vci.gateway_offers import GatewayOfferRecord
    from edcbridge.oid4vci.offers import CreatedOffer, OfferStore, Revocation, TrailEvent
    from edcbridge.oid4vci.service import IssuerService
    from edcbridge.oid4vci.source import AwardSource, ExportedAward
    from edcbridge.pipeline.journal import Journal
    from edcbridge.seal import SealKey

ISSUER_URL_ENV = "EDCBRIDGE_ISSUER_URL"
_DURATION = re.compile(r"^(\d+)([smhd]?)$")


class UsageProblem(click.ClickException):
    """Unusable input or configuration: exit code 2, as for every edcbridge command."""

    exit_code = 2


OFFER_RUN_WAIT = 60  # seconds an offer run waits for another on the same folder to end
# copies one credential request may ask for: a proof is 560-700 bytes (the key in its header,
# the issuer's URL in its aud), so 50 of them fit a body of 64 KiB, the most the credential
# endpoint reads, with room to spare (100 with a long issuer URL did not)
MAX_BATCH_SIZE = 50
MAX_OFFER_SECONDS = 30 * 86400  # a pre-authorized code "MUST be short lived" (OpenID4VCI 4.1.1)


def parse_duration(text: str, maximum: int | None = None) -> int:
    """``90``, ``90s``, ``15m``, ``24h``, ``7d`` -> seconds (at most ``maximum``)."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter(f"{text!r}: use a positive number with s, m, h or d (e.g. 24h)")
    seconds = int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    if maximum is not None and seconds > maximum:
        raise click.BadParameter(f"{text!r}: at most {maximum // 86400}d; offers are short-lived, "
                                 "make a new one when it expires")
    return seconds


def _listens_everywhere(host: str) -> bool:
    try:
        return host.strip() == "" or ipaddress.ip_address(host.strip("[] ")).is_unspecified
    except ValueError:  # a host name
        return False


def _refuse_wildcard_issuer(host: str) -> None:
    """OpenID4VCI 12.2.3: the credential issuer identifier is the URL wallets use; a wildcard
    address is no such URL."""
    if _listens_everywhere(host):
        raise UsageProblem(f"--host {host!r} listens on every address, so it names no issuer URL: pass "
                           f"--issuer-url (or {ISSUER_URL_ENV}) with the public URL wallets use")


def _default_issuer_url(host: str, port: int) -> str:
    _refuse_wildcard_issuer(host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _check_issuer_url(url: str) -> str:
    if not re.match(r"^https?://[^/?#]+(/[^?#]*)?$", url):
        raise UsageProblem(
            f"issuer URL {url!r} must be http(s)://host[:port][/path] without query or fragment"
        )
    if url.startswith("http://") and not _loopback(url):
        click.echo(f"warning: {url} is not HTTPS; wallets refuse plain HTTP issuers outside tests", err=True)
    return url.rstrip("/")


def _loopback(url: str) -> bool:
    """Whether the URL's host is this machine (``localhost``, 127.0.0.0/8, ``::1``): by the host
    itself, so that ``localhost.example.org`` or ``127.0.0.1.nip.io`` are public names."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _warn_if_unreachable(url: str) -> None:
    """An offer names the issuer: a loopback address works only on this machine, not on a phone."""
    if _loopback(url):
        click.echo(f"warning: the offers name {url}, which only this machine can reach; give the "
                   f"issuer's public address with --issuer-url (or {ISSUER_URL_ENV}) for learners' phones",
                   err=True)


def _reason(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Callback of ``--reason``: None when empty, else kept as :func:`edcbridge.cli.reason_text` says."""
    return reason_text(value)


def record_in_trail(out_dir: Path, store: OfferStore, made_now: Collection[int] = (),
                    failure: str = "error", quiet: bool = False) -> bool:
    """Write the revocations and reissues the offers file holds and the audit trail does not
    yet into the audit trail of ``out_dir``: its journal, beside the offers file. Says on
    stderr where each went; False when the folder has a trail that could not take one (the
    offers file keeps it, and the next ``revoke`` or ``offer`` on the folder writes it then:
    each is written once, see :meth:`Journal.record_offer_event`). ``made_now``: the events of
    this command (others are named as earlier ones); ``failure``: how that is said; ``quiet``:
    only that is said (where each event went is not).

    Why that trail. The offers file belongs to one output folder, and every award it names was
    offered from that folder's journal (``offer`` finds awards there alone), whose trail holds
    what was issued, sealed and delivered of the award. Its revocation, or its reissue, then
    follows those events in the same chain: ``audit verify OUT`` proves it intact with them,
    ``audit show OUT`` lists it with them, and an auditor has no other place to know of. Not a
    trail of its own (a second chain, which nothing holds to the first and which a folder
    copied without it would lose unnoticed), nor the offers file alone (a server changes it all
    day, and it is chained to nothing): that keeps the event only until the trail holds it.

    Where the folder has no journal (it was removed), or its journal holds no record of the
    award (made anew since the award was offered: an event of no record would read as one
    added by hand), the event stays in the offers file, and the message says so. That is no
    failure: the revocation is in effect, and no trail of those credentials is left to take it.
    """
    from edcbridge.pipeline.journal import JOURNAL_NAME

    events = store.unrecorded()
    if not events:
        return True
    notes = _TrailNotes(out_dir, store, out_dir / JOURNAL_NAME, made_now, failure, quiet)
    if not notes.path.is_file():
        for event in events:
            notes.kept(event, f"{out_dir} holds no audit trail (no {JOURNAL_NAME})")
        return True
    journal = _open_trail(notes, events)
    if journal is None:
        return False
    try:
        # every event is tried, not only those before a failure
        recorded = [_record_event(journal, store, event, notes) for event in events]
    finally:
        _close_trail(journal, notes.path)
    return all(recorded)


def _closing_named(event: TrailEvent) -> str:
    """An offers-closed event by the command that closed them (``by`` ends "(edcbridge serve)",
    "(edcbridge withdraw)" or "(edcbridge erase)")."""
    command = re.search(r"\(edcbridge ([a-z-]+)\)$", str(event.fields.get("by") or ""))
    return "closing of its offers" + (f" by {command.group(1)}" if command else "")


@dataclass(frozen=True)
class _TrailNotes:
    """What :func:`record_in_trail` says of each event, on stderr."""

    out_dir: Path
    store: OfferStore
    path: Path  # the audit trail (journal)
    made_now: Collection[int]
    failure: str
    quiet: bool

    def named(self, event: TrailEvent) -> str:
        what = {"revoked": "revocation", "reissued": "reissue",
                "offers-closed": _closing_named(event)}.get(event.action, event.action)
        if event.id in self.made_now:
            return f"{event.award_key}: the {what}"
        return f"{event.award_key}: the earlier {what} (of {event.fields.get('at') or 'a time not recorded'})"

    def kept(self, event: TrailEvent, why: str) -> None:
        if not self.quiet:
            click.echo(f"note: {self.named(event)} is recorded in the offers file {self.store.path} "
                       f"only: {why}", err=True)

    def failed(self, event: TrailEvent, why: str) -> None:
        click.echo(f"{self.failure}: {self.named(event)} is in effect but not in the audit trail {self.path} "
                   f"({why}); the offers file {self.store.path} keeps it, and the next 'edcbridge revoke' or "
                   f"'edcbridge offer' on {self.out_dir} writes it to the trail", err=True)


def _open_trail(notes: _TrailNotes, events: list[TrailEvent]) -> Journal | None:
    """The journal, or None, each event said to be left out, when it cannot be opened."""
    import sqlite3

    from edcbridge.pipeline.journal import Journal

    try:
        return Journal(notes.path, timeout=30.0)  # a run committing meanwhile is waited for
    except (OSError, sqlite3.Error) as exc:
        for event in events:
            notes.failed(event, f"it cannot be opened: {_why(exc)}")
        return None


def _record_event(journal: Journal, store: OfferStore, event: TrailEvent, notes: _TrailNotes) -> bool:
    """Writes one event to the trail and notes so in the offers file; False when the trail
    could not take it (an event of no record in the trail stays in the offers file: no failure)."""
    import sqlite3

    try:
        head = journal.record_offer_event(event.action, event.award_key, event.detail)
    except (OSError, sqlite3.Error) as exc:
        notes.failed(event, _why(exc))
        return False
    if head is None:
        notes.kept(event, f"the audit trail {notes.path} holds no record of the award (its journal was made "
                          "anew since the award was offered?)")
        return True
    try:
        store.mark_recorded([event.id], head)
    except sqlite3.Error as exc:  # the trail holds it: the next run finds it there, writes no second
        click.echo(f"warning: {store.path}: cannot note that event {head.split(':')[0]} of the audit "
                   f"trail holds {notes.named(event)} ({exc})", err=True)
    if not notes.quiet:
        click.echo(f"{notes.named(event)} is recorded in the audit trail {notes.path} (event "
                   f"{head.split(':')[0]}, by {journal.actor})", err=True)
    return True


def _close_trail(journal: Journal, path: Path) -> None:
    import sqlite3

    try:
        journal.close()
    except (OSError, sqlite3.Error) as exc:  # what was committed stays: each event commits alone
        click.echo(f"warning: {path}: {_why(exc)}", err=True)


def _why(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _out_option(help_text: str) -> Callable[[Any], Any]:
    """``-o/--out``: the export folder the command works on."""
    return click.option("--out", "-o", "out_dir", required=True,
                        type=click.Path(path_type=Path, file_okay=False), help=help_text)


@click.command()
@_out_option("The export folder: its journal holds the awards, the offers file sits beside it.")
@click.option(
    "--p12",
    "--seal",
    "p12",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The issuer's seal (PKCS#12); its key signs the SD-JWT VCs, its chain goes into x5c.",
)
@click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File holding the PKCS#12 password (else EDCBRIDGE_SEAL_PASSWORD, else a prompt).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--issuer-url",
    envvar=ISSUER_URL_ENV,
    help="The public credential issuer URL wallets see (default http://HOST:PORT; required when "
    "HOST is a wildcard such as 0.0.0.0); behind a TLS proxy, its https:// address.",
)
@click.option(
    "--algorithm",
    "--alg",
    "algorithm",
    type=click.Choice(["ES256", "ES384", "ES512", "RS256"]),
    default=None,
    help="Signature of the SD-JWT VCs (default: the EC seal's curve, ES256 for P-256; RS256 for RSA).",
)
@click.option(
    "--tx-code-attempts",
    type=click.IntRange(1, 10),
    default=3,
    show_default=True,
    help="Wrong transaction codes allowed before an offer is withdrawn.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(MIN_BATCH_SIZE, MAX_BATCH_SIZE),
    default=None,
    help="Issue up to N copies of an SD-JWT VC in one credential request, one per key proof the "
    "wallet sends, each bound to its own key (OpenID4VCI batch issuance, advertised as "
    "batch_credential_issuance). Default: one credential per request.",
)
@click.option(
    "--max-client-connections",
    type=click.IntRange(min=0),
    default=256,  # edcbridge.oid4vci.server.DEFAULT_MAX_CLIENT_CONNECTIONS
    show_default=True,
    help="Simultaneous connections one client address may hold (IPv6: one /64); more are answered "
    "503 with Retry-After. High for the many wallets behind a school's or venue's NAT. 0 turns the "
    "cap off: do so behind a reverse proxy, where every client has the proxy's address (cap clients "
    "in the proxy instead).",
)
@click.option(
    "--max-client-requests",
    type=click.IntRange(min=0),
    default=50,  # edcbridge.oid4vci.ratelimit.DEFAULT_MAX_CLIENT_REQUESTS
    show_default=True,
    help="Requests a second one client address may send (IPv6: one /64), after a burst of 40 "
    "seconds' worth; more are answered 429 with Retry-After. 0 turns the limit off: do so behind a "
    "reverse proxy, where every client has the proxy's address (limit requests in the proxy instead).",
)
@click.option(
    "--max-connection-requests",
    type=click.IntRange(min=0),
    default=1000,  # edcbridge.oid4vci.server.DEFAULT_MAX_CONNECTION_REQUESTS
    show_default=True,
    help="Requests one keep-alive connection may carry; the answer to the last says "
    "'Connection: close' and the connection is closed (nginx's keepalive_requests). 0 turns the cap off.",
)
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
def serve(
    out_dir: Path,
    p12: Path,
    password_file: Path | None,
    host: str,
    port: int,
    issuer_url: str | None,
    algorithm: str | None,
    tx_code_attempts: int,
    batch_size: int | None,
    max_client_connections: int,
    max_client_requests: int,
    max_connection_requests: int,
    log_level: str,
) -> None:
    """Run the OpenID4VCI 1.0 issuer for the awards exported into OUT (pre-authorized code flow).

    Offers made with 'edcbridge offer' are redeemed here; every answer and refusal is logged.
    """
    from edcbridge.oid4vci.app import create_app
    from edcbridge.oid4vci.server import run

    if not issuer_url:
        _refuse_wildcard_issuer(host)  # before the password is asked for
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    seal = _open_seal(p12, password_file)
    sock = _listen(host, port)
    try:
        url = _check_issuer_url(issuer_url or _default_issuer_url(host, sock.getsockname()[1]))
        options = IssuerOptions(tx_code_attempts, algorithm, batch_size)
        service = _issuer_service(url, out_dir, seal, p12, options)
    except UsageProblem:
        sock.close()
        raise
    _say_serving(url, f"{host}:{sock.getsockname()[1]}", service, seal)
    try:
        run(create_app(service), sock, log_level=log_level, max_client_connections=max_client_connections,
            max_client_requests=max_client_requests, max_connection_requests=max_connection_requests)
    finally:
        service.close()


def _open_seal(p12: Path, password_file: Path | None) -> SealKey:
    """The seal, its password from the file, the environment or (on a terminal) a prompt."""
    from edcbridge.seal import SealError, load_p12, read_password

    try:
        password = read_password(
            password_file,
            prompt=(lambda: click.prompt("seal password", hide_input=True, err=True))
            if sys.stdin.isatty()
            else None,
        )
        return load_p12(p12, password, at=datetime.now(UTC))
    except SealError as exc:
        raise UsageProblem(str(exc)) from None


def _listen(host: str, port: int) -> socket.socket:
    from edcbridge.oid4vci.errors import Oid4vciError
    from edcbridge.oid4vci.server import bind

    try:
        return bind(host, port)
    except Oid4vciError as exc:
        raise UsageProblem(str(exc)) from None


@dataclass(frozen=True)
class IssuerOptions:
    """What ``serve``'s options set of the issuer's protocol."""

    tx_code_attempts: int
    algorithm: str | None
    batch_size: int | None


def _issuer_service(
    url: str, out_dir: Path, seal: SealKey, p12: Path, options: IssuerOptions
) -> IssuerService:
    """The issuer of the awards in ``out_dir``, named by the seal's organisation."""
    from edcbridge.oid4vci.errors import Oid4vciError
    from edcbridge.oid4vci.service import IssuerService, IssuerSettings
    from edcbridge.seal import SealError, describe

    organisation = describe(seal.certificate).organisation_name or "edcbridge issuer"
    try:
        settings = IssuerSettings(
            url,
            out_dir,
            tx_code_attempts=options.tx_code_attempts,
            display_name=organisation,
            signing_algorithm=options.algorithm or "",
            batch_size=options.batch_size,
        )
        return IssuerService(settings, seal)
    except SealError as exc:
        raise UsageProblem(f"{p12}: {exc}") from None
    except Oid4vciError as exc:
        raise UsageProblem(str(exc)) from None


def _say_serving(url: str, listening: str, service: IssuerService, seal: SealKey) -> None:
    """Where the issuer listens, and what would make wallets refuse its credentials."""
    from edcbridge.oid4vci.sdjwt import issuer_binding_problem

    click.echo(f"issuer {url} (listening on {listening}); offers in {service.offers.path}", err=True)
    if not _loopback(url):
        problem = issuer_binding_problem(url, seal.certificate)
        if problem:
            click.echo(f"warning: {problem}", err=True)
    if service.signer.algorithm != "ES256":
        click.echo(f"warning: the SD-JWT VCs are signed {service.signer.algorithm} with this seal; "
                   "EUDI wallets (HAIP) expect ES256: serve with an EC P-256 seal for them", err=True)


@click.command()
@click.argument("awards", nargs=-1, required=True)
@_out_option("The export folder whose journal holds the awards.")
@click.option(
    "--issuer-url",
    envvar=ISSUER_URL_ENV,
    default="http://127.0.0.1:8080",
    show_default=True,
    help="The credential issuer URL, as 'edcbridge serve' announces it.",
)
@click.option(
    "--credential",
    "configurations",
    multiple=True,
    type=click.Choice(["elm", "edc-sealed"]),
    default=("elm",),
    show_default=True,
    help="What the wallet may fetch (repeatable): elm (SD-JWT VC) or edc-sealed (the JAdES EDC).",
)
@click.option(
    "--valid-for", default="24h", show_default=True, help="How long the offer stays open (s, m, h, d)."
)
@click.option(
    "--tx-code/--no-tx-code",
    default=True,
    show_default=True,
    help="Protect the offer with a numeric PIN, to be sent to the learner by another channel.",
)
@click.option("--tx-code-length", type=click.IntRange(4, 12), default=6, show_default=True)
@click.option(
    "--by-reference",
    is_flag=True,
    help="Put a credential_offer_uri in the link (small QR code) instead of the offer itself.",
)
@click.option(
    "--qr-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the QR code PNGs go (default OUT/offers).",
)
@click.option(
    "--qr-terminal/--no-qr-terminal",
    default=None,
    help="Draw the QR code on stderr (default: when stderr is a terminal, without -q).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per offer on stdout.")
@click.option("--reissue", is_flag=True,
              help="Offer awards revoked earlier (edcbridge revoke), once corrected and exported again; "
                   "each such offer is recorded in the audit trail.")
@click.option("--reason", callback=_reason, metavar="TEXT",
              help="With --reissue: why a revoked award is offered again, kept in the audit trail.")
@quiet_option("offer details or notes (the PIN and warnings are still shown)")
def offer(
    awards: tuple[str, ...],
    out_dir: Path,
    issuer_url: str,
    configurations: tuple[str, ...],
    valid_for: str,
    tx_code: bool,
    tx_code_length: int,
    by_reference: bool,
    qr_dir: Path | None,
    qr_terminal: bool | None,
    as_json: bool,
    reissue: bool,
    reason: str | None,
    quiet: bool,
) -> None:
    """Make single-use credential offers for exported AWARDS (<issuer>/<award_id>, or a unique award id).

    Prints each openid-credential-offer:// link and writes its QR code. The PIN (transaction
    code) is shown once, on stderr (and in --json): send it to the learner separately. An offer
    of a revoked award (--reissue) is recorded in the audit trail of OUT, with who made it and
    --reason; where the trail cannot take it, a warning says so (the offer stands).
    """
    from edcbridge.oid4vci.errors import Oid4vciError
    from edcbridge.oid4vci.offers import OfferStore
    from edcbridge.pipeline.journal import actor

    seconds, issuer = _offer_settings(valid_for, issuer_url, reason, reissue)
    source = _award_source(out_dir)
    plan = _OfferPlan(
        issuer,
        tuple(dict.fromkeys(configurations)),  # credential_configuration_ids are unique
        seconds,
        tx_code_length if tx_code else None,
        by_reference,
        _writable_qr_dir(qr_dir or out_dir / "offers"),
        actor() if reissue else None,
        reason,
        as_json=as_json,
        quiet=quiet,
        draw=(sys.stderr.isatty() and not quiet) if qr_terminal is None else qr_terminal,
    )
    store = OfferStore.for_folder(out_dir)
    held = _one_offer_run_at_a_time(store, out_dir, quiet)
    failed = 0
    reissues: list[int] = []  # events of this command for the audit trail
    offered: set[str] = set()  # a second offer of an award would close the one just printed
    try:
        for name in awards:
            try:
                key = _award_to_offer(name, source, store, plan, offered)
            except Oid4vciError as exc:
                click.echo(f"error: {exc}", err=True)
                failed += 1
                continue
            if key is None:
                continue
            created, png = _make_offer(key, store, plan)
            offered.add(key)
            if created.event is not None:
                reissues.append(created.event.id)
            if png is None:
                failed += 1
        # also what an earlier revoke or reissue could not write (record_in_trail does nothing
        # when the offers file holds no such event): the "next offer" the messages promise
        record_in_trail(out_dir, store, reissues, failure="warning", quiet=quiet)
    finally:
        store.close()
        if held is not None:
            os.close(held)
    if failed:
        raise SystemExit(1)


@dataclass(frozen=True)
class _OfferPlan:
    """How each offer of an ``offer`` run is made and shown."""

    issuer: str
    configurations: tuple[str, ...]
    seconds: int  # how long it stays open
    pin_length: int | None  # None: no transaction code
    by_reference: bool
    qr_dir: Path
    reissued_by: str | None  # with --reissue: who offers revoked awards again
    reason: str | None
    as_json: bool
    quiet: bool
    draw: bool  # the QR code on stderr


def _award_to_offer(name: str, source: AwardSource, store: OfferStore, plan: _OfferPlan,
                    offered: Collection[str]) -> str | None:
    """The award ``name`` names, checked as offerable (else :class:`Oid4vciError`); None when
    this run offered it already."""
    key = source.resolve(name)
    if key in offered:
        if not plan.quiet:
            click.echo(f"note: {key}: named more than once; offered once", err=True)
        return None
    _check_offerable(source, store, key, plan.configurations, plan.reissued_by is not None)
    return key


def _make_offer(key: str, store: OfferStore, plan: _OfferPlan) -> tuple[CreatedOffer, Path | None]:
    """Creates the award's offer (closing its earlier open ones), writes its QR code and says it;
    the QR code is None when it could not be written (the offer is said all the same)."""
    created = store.create(
        key, plan.configurations, valid_for=plan.seconds, tx_code_length=plan.pin_length,
        reissued_by=plan.reissued_by, reason=plan.reason,
    )
    link = _offer_link(plan.issuer, plan.configurations, created, plan.pin_length, plan.by_reference)
    png = _write_offer_qr(link, plan.qr_dir, key)
    _say_offer(key, created, link, png, as_json=plan.as_json, quiet=plan.quiet, draw=plan.draw)
    return created, png


def _offer_settings(valid_for: str, issuer_url: str, reason: str | None, reissue: bool) -> tuple[int, str]:
    """The offers' lifetime in seconds and the issuer URL they name, or a usage error."""
    if reason is not None and not reissue:
        raise UsageProblem("--reason is recorded with --reissue: an offer of an award not revoked "
                           "needs none")
    try:
        seconds = parse_duration(valid_for, MAX_OFFER_SECONDS)
    except click.BadParameter as exc:
        raise UsageProblem(f"--valid-for {exc.message}") from None
    issuer = _check_issuer_url(issuer_url)
    _warn_if_unreachable(issuer)
    return seconds, issuer


def _award_source(out_dir: Path) -> AwardSource:
    from edcbridge.oid4vci.errors import Oid4vciError
    from edcbridge.oid4vci.source import AwardSource

    try:
        return AwardSource(out_dir)
    except Oid4vciError as exc:
        raise UsageProblem(str(exc)) from None


def _writable_qr_dir(qr_dir: Path) -> Path:
    """Checked before any offer is made, so that a run whose QR codes cannot be written makes none."""
    try:
        qr_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(qr_dir, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except OSError as exc:
        raise UsageProblem(f"--qr-dir {qr_dir}: cannot write QR codes there ({exc.strerror})") from None
    return qr_dir


def _one_offer_run_at_a_time(store: OfferStore, out_dir: Path, quiet: bool) -> int | None:
    """The last run's offers are the ones open, and it names those it closed: so one run at a
    time on a folder. Returns what :func:`hold_offer_runs` holds; closes ``store`` when busy."""
    from edcbridge.oid4vci.offers import OfferRunBusy, hold_offer_runs

    def waiting() -> None:
        if not quiet:
            click.echo(f"waiting for another 'edcbridge offer' run on {out_dir} to end...", err=True)

    try:
        return hold_offer_runs(store.path, OFFER_RUN_WAIT, waiting)
    except OfferRunBusy as exc:
        store.close()
        raise UsageProblem(str(exc)) from None


def _check_offerable(source: AwardSource, store: OfferStore, key: str, configurations: tuple[str, ...],
                     reissue: bool) -> None:
    """Raises :class:`Oid4vciError` for an award whose offer would give a wallet nothing good:
    a file missing, a revoked award (without ``reissue``), an expired credential."""
    from edcbridge.oid4vci.errors import Oid4vciError

    award = source.get(key)
    for configuration in configurations:
        award.read("edc" if configuration == "elm" else "edc-sealed")
    if store.was_revoked(key) and not reissue:
        raise Oid4vciError(f"{key}: the award was revoked (edcbridge revoke); a new offer would "
                           "give it a valid credential: if the award was corrected and exported "
                           "again, offer it with --reissue")
    _refuse_expired(award, key)


def _refuse_expired(award: ExportedAward, key: str) -> None:
    from edcbridge.oid4vci.errors import Oid4vciError

    ended = award.expired_on(time.time())
    if ended is not None:
        raise Oid4vciError(f"{key}: the credential expired on {ended}; a wallet would hold a "
                           "credential every verifier refuses: export the award again with a "
                           "later validity date")


def _offer_link(issuer: str, configurations: tuple[str, ...], created: CreatedOffer,
                pin_length: int | None, by_reference: bool) -> str:
    from edcbridge.oid4vci import metadata

    if by_reference:
        return metadata.offer_link_by_reference(issuer, created.reference)
    return metadata.offer_link_by_value(
        metadata.offer_object(issuer, configurations, created.pre_authorized_code, pin_length)
    )


def _write_offer_qr(link: str, qr_dir: Path, key: str) -> Path | None:
    """The QR code's file, or None, said on stderr, when it cannot be written: the offer is
    made by then, so its link must still be shown."""
    from edcbridge import qr

    png = award_file(qr_dir, key, ".png")
    try:
        qr.write_png(link, png)
    except OSError as exc:
        _qr_not_written(key, png, exc, "the offer stands: give the learner its link and PIN instead")
        return None
    return png


def _qr_not_written(key: str, png: Path, exc: OSError, remedy: str) -> None:
    click.echo(f"error: {key}: cannot write the QR code {png} ({_why(exc)}); {remedy}", err=True)


def _say_offer(key: str, created: CreatedOffer, link: str, png: Path | None, *, as_json: bool, quiet: bool,
               draw: bool) -> None:
    """The link (or the --json object) on stdout; the PIN, details and QR drawing on stderr."""
    from edcbridge import qr

    expires = datetime.fromtimestamp(created.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if as_json:
        click.echo(
            json.dumps(
                {
                    "award": key,
                    "offer_id": created.offer_id,
                    "link": link,
                    "qr_png": None if png is None else str(png),
                    "tx_code": created.tx_code,
                    "expires": expires,
                    "closed_offers": list(created.closed),  # the award's earlier open ones
                }
            )
        )
    else:
        click.echo(link)
    if not quiet:
        drawn = "" if png is None else f"; QR code {png}"
        click.echo(f"{key}: offer {created.offer_id}, open until {expires}{drawn}", err=True)
    if created.closed and not quiet:
        click.echo(f"{key}: earlier open {_offers_named(created.closed)} closed: their links and "
                   "PINs no longer work, only this offer's", err=True)
    if created.tx_code and not as_json:
        click.echo(f"{key}: PIN {created.tx_code} (send it to the learner separately)", err=True)
    if draw:
        click.echo(qr.terminal_text(link), err=True, nl=False)


def _offers_named(offers: tuple[str, ...]) -> str:
    return f"offer {offers[0]}" if len(offers) == 1 else f"offers {', '.join(offers)}"


@click.command("upload-dc4eu")
@click.argument("awards", nargs=-1, required=True)
@_out_option("The export folder whose journal holds the awards.")
@click.option("--url", "--base-url", "base_url", required=True,
              help="The DC4EU API gateway root (…/api/v1 is added).")
@click.option("--authentic-source", required=True, help="Our name at the gateway (meta.authentic_source).")
@click.option(
    "--identity-schema",
    default="DefaultSchema",
    show_default=True,
    help="identities[].schema.name the gateway matches the learner with.",
)
@click.option("--language", default="en", show_default=True, help="Preferred language of names.")
@click.option("--real-data", is_flag=True, help="Mark the documents as real (meta.real_data); off for tests.")
@click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"File with the gateway password (else {PASSWORD_ENV}); user from {USER_ENV}.",
)
@click.option("--replace-changed", is_flag=True,
              help="Where the gateway holds an earlier version of an award's document, delete it "
                   "there (DELETE /document) and upload the one exported now, with a new offer.")
@quiet_option("line per document uploaded")
def upload_dc4eu(
    awards: tuple[str, ...],
    out_dir: Path,
    base_url: str,
    authentic_source: str,
    identity_schema: str,
    language: str,
    real_data: bool,
    password_file: Path | None,
    replace_changed: bool,
    quiet: bool,
) -> None:
    """Upload the ELM documents of exported AWARDS to a DC4EU API gateway and print their offer URLs.

    A document already at the gateway (same authentic source and credential id) counts as
    uploaded; its offer recorded in OUT/offers-dc4eu by an earlier run is shown again, with its
    QR code untouched, and the gateway is not asked for another (a learner may hold it). One
    whose award was exported again with other content since, or described otherwise
    (--real-data, --identity-schema), fails as changed: the gateway holds an earlier version;
    --replace-changed deletes that one at the gateway and uploads the new one, with a new offer.
    Without a record (or one written before OUT recorded what it uploaded), the gateway is asked
    for the document it holds to tell.

    \b
    Exit codes: 0 all uploaded; 1 an award failed, or the gateway refused the login part way (a
    token expired or revoked) or left 3 requests in a row unanswered (down, or its proxy
    answering 502, 503 or 504): the awards uploaded stay so, the rest are not sent, and the
    same command run again uploads them; 2 unusable input or configuration, a login the
    gateway refuses from the start included.
    """
    from edcbridge.oid4vci.dc4eu import Dc4euClient

    username, password = _gateway_login(password_file)
    if not re.match(r"^https?://[^/?#\s]+", base_url):
        raise UsageProblem(f"--url {base_url!r}: give the gateway's http(s):// address")
    if base_url.startswith("http://") and not _loopback(base_url):
        raise UsageProblem(f"--url {base_url!r} is not https: the learners' names and dates of birth, "
                           "and the gateway password, would travel unencrypted; give the gateway's "
                           "https:// address (plain http only on this machine)")
    source = _award_source(out_dir)
    documents = _GatewayDocuments(authentic_source, identity_schema, language, real_data, replace_changed)
    client = Dc4euClient(base_url, username=username, password=password)
    revoked = _revocations(out_dir)
    run = _GatewayRun()
    try:
        for key in _named_once(source, awards, quiet):
            if run.stopped is not None:
                run.not_sent(key)
                continue
            _offer_by_gateway(key, source, client, documents, out_dir / "offers-dc4eu",
                              revoked=revoked, quiet=quiet, run=run)
            if run.stopped is None and client.silence.over:
                run.silent()
    finally:
        client.close()
        if revoked is not None:
            revoked.close()
    run.finish(quiet)


GATEWAY_RERUN = ("then run the same command again: it uploads the rest (a document the gateway "
                 "already holds is not stored twice: it is reported already-uploaded)")


@dataclass
class _GatewayRun:
    """The awards of one ``upload-dc4eu``: uploaded (their offer URL printed), failed, or not
    sent once the gateway refused the login or stopped answering part way; for the exit code
    and the summary."""

    uploaded: int = 0
    failed: int = 0
    unsent: int = 0
    without_qr: int = 0  # uploaded, their offer URL printed, but not their QR code
    stopped: str | None = None  # once the run stopped asking the gateway: why the rest is not sent
    summary: str = ""  # and how the summary line says it

    def stop(self, key: str, refusal: DeliveryAuthError) -> None:
        """The award in flight when the gateway refused the login: it failed, the rest is not sent."""
        click.echo(f"failed   {key}: {refusal}, {GATEWAY_RERUN}", err=True)
        self.failed += 1
        self.stopped = (f"not sent: the gateway refused the login (HTTP {refusal.status}) earlier in "
                        f"this run; {LOGIN_FIX}, {GATEWAY_RERUN}")
        self.summary = "the gateway refused the login part way"

    def silent(self) -> None:
        """The gateway left ``SILENT_LIMIT`` requests in a row unanswered: the rest is not sent."""
        from edcbridge.deliver.silence import SILENT_LIMIT

        self.summary = f"the gateway did not answer {SILENT_LIMIT} requests in a row"
        self.stopped = (f"not sent: {self.summary} (unreachable, the connection dropped, or its proxy "
                        "said it is unavailable: 502, 503 or 504); check that the gateway is up, the "
                        f"network and --url, {GATEWAY_RERUN}")

    def not_sent(self, key: str) -> None:
        self.unsent += 1
        click.echo(f"failed   {key}: {self.stopped}", err=True)

    def finish(self, quiet: bool) -> None:
        """The summary of a run that stopped asking the gateway, then exit 1 when an award failed."""
        if self.summary and not quiet:
            click.echo(f"{self.uploaded} uploaded, {self.failed} failed, {self.unsent} not sent: "
                       f"{self.summary}", err=True)
        if self.failed or self.unsent or self.without_qr:
            raise SystemExit(1)


def _named_once(source: AwardSource, names: tuple[str, ...], quiet: bool) -> list[str]:
    """Each award named, once, where first named, by its key (a second upload would only be
    reported already-uploaded and its offer asked for again); a name that names no award as
    given, for its failure to say why."""
    keys: dict[str, int] = {}  # how many times each was named
    for name in names:
        key = _award_key(source, name)
        keys[key or name] = keys.get(key or name, 0) + 1
        if key is not None and keys[key] == 2 and not quiet:
            click.echo(f"note: {key}: named more than once; uploaded once", err=True)
    return list(keys)


def _award_key(source: AwardSource, name: str) -> str | None:
    """The key of the award ``name`` names; None when it names none."""
    from edcbridge.oid4vci.errors import Oid4vciError

    try:
        return source.resolve(name)
    except Oid4vciError:
        return None


@dataclass(frozen=True)
class _GatewayDocuments:
    """How ``upload-dc4eu`` describes each award's document to the gateway."""

    authentic_source: str
    identity_schema: str
    language: str
    real_data: bool
    replace_changed: bool = False  # an earlier version the gateway holds is deleted and replaced

    def request(self, elm: dict[str, Any]) -> dict[str, Any]:
        from edcbridge.oid4vci.dc4eu import upload_request

        return upload_request(elm, authentic_source=self.authentic_source,
                              identity_schema=self.identity_schema, language=self.language,
                              real_data=self.real_data)


def _revocations(out_dir: Path) -> OfferStore | None:
    """The folder's offers file, which knows the awards ``edcbridge revoke`` revoked; None when
    there is none (nothing was revoked from this folder)."""
    from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore

    return OfferStore.for_folder(out_dir) if (out_dir / OFFERS_NAME).is_file() else None


def _check_uploadable(source: AwardSource, key: str, revoked: OfferStore | None) -> None:
    """Raises :class:`Oid4vciError` for an award a gateway must not offer to a wallet: one
    revoked from this folder, or whose credential has expired (as ``offer`` refuses them)."""
    from edcbridge.oid4vci.errors import Oid4vciError

    if revoked is not None and revoked.was_revoked(key):
        raise Oid4vciError(f"{key}: the award was revoked (edcbridge revoke); the gateway would "
                           "offer a wallet a credential the issuer revoked: if the award was "
                           "corrected and exported again, offer it with 'edcbridge offer --reissue'")
    _refuse_expired(source.get(key), key)


def _offer_by_gateway(name: str, source: AwardSource, client: Dc4euClient, documents: _GatewayDocuments,
                      qr_dir: Path, *, revoked: OfferStore | None, quiet: bool, run: _GatewayRun) -> None:
    """One award of ``upload-dc4eu``, uploaded and its offer shown, counted in ``run``; a
    failure is said on stderr. A login the gateway refuses before it took one is a
    :class:`UsageProblem` (no award can go); refused later (a token expired or revoked), it
    stops the run, whose other awards are not sent."""
    from edcbridge.deliver.errors import DeliveryAuthError, DeliveryError
    from edcbridge.oid4vci.errors import Oid4vciError

    key = name
    try:
        key = source.resolve(name)
        _check_uploadable(source, key, revoked)
        uploaded = _upload_award(key, source, client, documents, qr_dir)
    except DeliveryAuthError as exc:
        if not client.login_accepted:
            raise UsageProblem(str(exc)) from None
        run.stop(key, exc)
        return
    except Oid4vciError as exc:  # it names the award
        click.echo(f"failed   {exc}", err=True)
        uploaded = None
    except DeliveryError as exc:
        click.echo(f"failed   {key}: {exc}", err=True)
        uploaded = None
    if uploaded is None:
        run.failed += 1
        return
    run.uploaded += 1
    if not _say_gateway_offer(uploaded, quiet=quiet):
        run.without_qr += 1


@dataclass(frozen=True)
class _GatewayAnswer:
    """An award's document at the gateway and the offer to show for it: the one just made, or
    (``kept``) the earlier one recorded in the folder."""

    key: str
    outcome: str  # uploaded, already-uploaded
    offer: GatewayOffer
    png: Path  # its QR code
    kept: str | None  # when the earlier offer shown was made; None: a new offer


def _upload_award(key: str, source: AwardSource, client: Dc4euClient, documents: _GatewayDocuments,
                  qr_dir: Path) -> _GatewayAnswer | None:
    """Uploads the award's ELM document and asks the gateway for its offer, unless the gateway
    held the document already and the folder records an offer for it; None (said on stderr)
    when the gateway refuses the document. Raises :class:`Oid4vciError` or :class:`DeliveryError`."""
    from edcbridge.oid4vci.dc4eu import GatewayOffer, document_digest
    from edcbridge.oid4vci.gateway_offers import read_record, record_path

    body = documents.request(source.get(key).document("edc"))
    result = client.upload(body)
    if not result.ok:
        click.echo(f"failed   {key}: the gateway refused the document: {result.message}", err=True)
        return None
    document_id = body["meta"]["document_id"]
    digest = document_digest(body)
    png = award_file(qr_dir, key, ".png")
    outcome: str = result.outcome
    earlier = read_record(record_path(png)) if outcome == "already-uploaded" else None
    gateway = client.http.base_url
    if earlier is not None and not earlier.holds_for(gateway, documents.authentic_source, document_id):
        earlier = None
    if outcome == "already-uploaded":
        same = _held_unchanged(earlier, digest, client, body)
        if same and earlier is not None:
            return _GatewayAnswer(key, outcome, GatewayOffer(earlier.credential_offer_url, None), png,
                                  earlier.offered)
        if not same:
            if not documents.replace_changed:
                _say_changed(key, earlier, same)
                return None
            if not _replace_document(key, client, body):
                return None
            outcome = "replaced"
    offer = client.notification(documents.authentic_source, document_id)
    _record_gateway_offer(key, png, gateway, body, offer)
    return _GatewayAnswer(key, outcome, offer, png, None)


def _held_unchanged(earlier: GatewayOfferRecord | None, digest: str, client: Dc4euClient,
                    body: dict[str, Any]) -> bool | None:
    """Whether the document the gateway already holds is the one in ``body``: by the digest
    recorded with its offer, else (no record, or one written before the digest was kept) by
    asking the gateway for it; None when the gateway shows none. Raises :class:`DeliveryError`."""
    from edcbridge.oid4vci.dc4eu import same_document

    if earlier is not None and earlier.document_digest is not None:
        return earlier.document_digest == digest
    meta = body["meta"]
    held = client.held_document(meta["authentic_source"], meta["document_id"], meta["vct"])
    return None if held is None else same_document(held, body)


def _say_changed(key: str, earlier: GatewayOfferRecord | None, same: bool | None) -> None:
    """The gateway holds another version of the award's document than the one exported now
    (or one it does not show, which cannot be shown to be the same)."""
    if earlier is not None and earlier.document_digest is not None:
        held = f"an earlier version of the document (offered {earlier.offered}), not the one exported now,"
    else:
        whence = ("that OUT records no offer for" if earlier is None else
                  f"uploaded before OUT recorded what it uploaded (offered {earlier.offered})")
        which = ("which it does not show and so cannot be shown to be the one exported now," if same is None
                 else "not the one exported now,")
        held = f"a version of the document {whence}, {which}"
    click.echo(f"changed  {key}: the gateway holds {held} and would give the learner that one; run the "
               "same command again with --replace-changed to delete it at the gateway and upload this one "
               "with a new offer (give the learner the new offer)", err=True)


def _replace_document(key: str, client: Dc4euClient, body: dict[str, Any]) -> bool:
    """Deletes the earlier version at the gateway and uploads ``body`` instead; False (said on
    stderr) when the gateway refuses the new one. Raises :class:`DeliveryError`."""
    meta = body["meta"]
    client.delete_document(meta["authentic_source"], meta["document_id"], meta["vct"])
    result = client.upload(body)
    if result.outcome != "uploaded":
        click.echo(f"failed   {key}: the gateway deleted the earlier version but did not take this one: "
                   f"{result.message}; run the same command again to upload it", err=True)
        return False
    return True


def _record_gateway_offer(key: str, png: Path, gateway: str, body: dict[str, Any],
                          offer: GatewayOffer) -> None:
    """Records the offer just made for the document uploaded in ``body``, for a run again to show
    it instead of asking for another; a record that cannot be written is a warning (the offer stands)."""
    from edcbridge.oid4vci.dc4eu import document_digest
    from edcbridge.oid4vci.gateway_offers import record_path, write_record

    path = record_path(png)
    meta = body["meta"]
    try:
        write_record(path, gateway, meta["authentic_source"], meta["document_id"], offer.credential_offer_url,
                     document_digest(body))
    except OSError as exc:
        click.echo(f"warning: {key}: cannot record the offer in {path} ({_why(exc)}); the offer "
                   "stands, but the same command run again will ask the gateway for another", err=True)


def _say_gateway_offer(answer: _GatewayAnswer, *, quiet: bool) -> bool:
    """The offer URL on stdout, after its QR code is written (an earlier offer's only when
    missing); the outcome on stderr. False when the QR code could not be written (the URL is
    printed all the same)."""
    from edcbridge.oid4vci.gateway_offers import record_path

    written: Path | None = answer.png
    if answer.kept is None or not answer.png.is_file():
        written = _write_gateway_qr(answer.offer, answer.png, answer.key)
    click.echo(answer.offer.credential_offer_url)
    if not quiet:
        kept = ("" if answer.kept is None else
                f": earlier offer kept (made {answer.kept}; the gateway was not asked for another: for a "
                f"new one, remove {record_path(answer.png)} and run the same command again)")
        drawn = "" if written is None else f": QR code {written}"
        click.echo(f"{answer.outcome:8} {answer.key}{kept}{drawn}", err=True)
    return written is not None


def _gateway_login(password_file: Path | None) -> tuple[str | None, str | None]:
    """The gateway user and password, from the environment or ``--password-file``."""
    username = os.environ.get(USER_ENV)
    password = os.environ.get(PASSWORD_ENV)
    if password_file is not None:
        try:
            password = password_file.read_text("utf-8").rstrip("\r\n")
        except OSError as exc:
            raise UsageProblem(f"cannot read {password_file}: {exc.strerror}") from None
    if password is not None and username is None:
        raise UsageProblem(f"a gateway password needs a user: set {USER_ENV}")
    return username, password


def _write_gateway_qr(gateway_offer: GatewayOffer, png_path: Path, key: str) -> Path | None:
    """The gateway's own QR code when it sends one, else one drawn from its offer URL; None,
    said on stderr, when it cannot be written."""
    from edcbridge import qr
    from edcbridge.output import write_atomic

    try:
        if gateway_offer.qr_png:
            write_atomic(png_path, gateway_offer.qr_png, mode=0o600)  # as qr.write_png: the offer's key
        else:
            qr.write_png(gateway_offer.credential_offer_url, png_path)
    except OSError as exc:  # the document is at the gateway and its offer made
        _qr_not_written(key, png_path, exc, "give the learner the offer URL instead")
        return None
    return png_path


@click.command()
@click.argument("awards", nargs=-1, required=True)
@_out_option("The export folder whose issuer ('edcbridge serve') issued the credentials.")
@click.option("--reason", callback=_reason, metavar="TEXT",
              help="Why the awards are revoked (a sentence, a case number): kept in the audit trail.")
@quiet_option("notes of where each revocation is recorded")
def revoke(awards: tuple[str, ...], out_dir: Path, reason: str | None, quiet: bool) -> None:
    """Revoke, for good, the SD-JWT VCs issued to wallets for AWARDS (<issuer>/<award_id>, or a
    unique award id), and close the award's offers not yet used up.

    Their entries in the issuer's Token Status List become invalid at once; verifiers that
    fetch the list (at most TTL seconds old) refuse them. Each entry is printed (status list
    number and index). Each revocation is recorded in the audit trail of OUT ('edcbridge audit
    show OUT'), with who revoked, when, --reason and the entries (status list uri and index) and
    offers concerned; where OUT has no trail it is recorded in the offers file only, and the
    command says so. A new offer made after this (offer --reissue) gives a valid credential.
    Sealed EDC files are not covered: they carry no status entry.

    \b
    Exit codes: 0 revoked (or revoked already) and recorded; 1 an award not found or with
    nothing to revoke, or a revocation in effect that the audit trail could not take (run the
    same command again: it writes what the trail lacks); 2 no offers file in OUT.
    """
    from edcbridge.oid4vci.errors import Oid4vciError
    from edcbridge.oid4vci.offers import OfferStore
    from edcbridge.pipeline.journal import actor

    _require_offers_file(out_dir)
    source = _award_source_if_any(out_dir, quiet)
    store = OfferStore.for_folder(out_dir)
    failed = 0
    who = actor()
    made: list[int] = []  # events of this command for the audit trail
    try:
        for name in awards:
            try:
                key = _revocable_award_key(name, source, store)
            except Oid4vciError as exc:
                click.echo(f"error: {exc}", err=True)
                failed += 1
                continue
            revocation = store.revoke(key, by=who, reason=reason)
            if revocation.event is not None:
                made.append(revocation.event.id)
            if revocation.found:
                click.echo(_revocation_line(revocation))
            else:
                click.echo(f"error: {key}: no SD-JWT VC was issued for it and it has no open offer, so "
                           "there is nothing to revoke", err=True)
                failed += 1
        if not record_in_trail(out_dir, store, made, quiet=quiet):
            failed += 1
    finally:
        store.close()
    sys.exit(1 if failed else 0)


def _require_offers_file(out_dir: Path) -> None:
    from edcbridge.oid4vci.offers import OFFERS_NAME

    if not (out_dir / OFFERS_NAME).is_file():
        raise UsageProblem(f"{out_dir} holds no offers file ({OFFERS_NAME}): nothing was issued from it "
                           "by 'edcbridge serve'; check --out")


def _award_source_if_any(out_dir: Path, quiet: bool) -> AwardSource | None:
    """Revoking needs the offers file only: without a usable journal, say so and go on."""
    from edcbridge.oid4vci.errors import Oid4vciError
    from edcbridge.oid4vci.source import AwardSource

    try:
        return AwardSource(out_dir)
    except Oid4vciError as exc:
        if not quiet:
            click.echo(f"note: {exc}; awards are found by the offers file instead", err=True)
        return None


def _revocable_award_key(name: str, source: AwardSource | None, store: OfferStore) -> str:
    """By the journal, or, when the journal or the award's export record has gone (a later
    run failed, files removed), by the offers and credentials the offers file holds."""
    from edcbridge.oid4vci.errors import Oid4vciError

    try:
        if source is None:
            raise Oid4vciError(f"{name}: no award of that name in the offers file")
        return source.resolve(name)
    except Oid4vciError:
        known = store.revocable_awards(name)
        if len(known) == 1:
            return known[0]
        raise


def _revocation_line(revocation: Revocation) -> str:
    """``<award>: revoked N credentials (list L index I, ...); ...`` for stdout."""
    parts = [f"revoked {_credentials_listed(revocation.revoked)}"] if revocation.revoked else []
    if revocation.already:
        parts.append(f"already revoked {_credentials_listed(revocation.already)}")
    closed = revocation.closed_offers
    if closed:
        parts.append(f"{closed} unused offer{'' if closed == 1 else 's'} closed")
    if revocation.closed_before:
        before = revocation.closed_before
        parts.append(f"{before} offer{'' if before == 1 else 's'} closed earlier")
    return f"{revocation.award_key}: {'; '.join(parts)}"


def _credentials_listed(entries: tuple[tuple[int, int], ...]) -> str:
    count = f"{len(entries)} credential{'' if len(entries) == 1 else 's'}"
    return f"{count} ({', '.join(f'list {number} index {index}' for number, index in entries)})"


def register(group: click.Group) -> None:
    """Add ``serve``, ``offer``, ``revoke`` and ``upload-dc4eu`` to the edcbridge command group."""
    for command in (serve, offer, revoke, upload_dc4eu):
        group.add_command(command)
