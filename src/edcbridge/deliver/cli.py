"""``edcbridge push deqar|wallet``; add them to a group with :func:`register`.

Data (paths of the written result files, or the result JSON with ``--json``) goes to stdout;
progress and the summary to stderr (with ``-q``, only the items that failed or were refused, and
an interruption). Exit codes: 0 every item delivered or skipped (a dry run: nothing refused);
1 some items failed or were refused, or the target could not be reached; 2 unusable input or
configuration (including credentials the target refuses).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from edcbridge.cli import quiet_option, writable_folder
from edcbridge.deliver.config import (
    CREDENTIAL_FORMATS,
    PASSWORD_ENV,
    USERNAME_ENV,
    batch_items,
    deqar_credentials,
    load_batch,
)
from edcbridge.deliver.deqar_agency import endpoint_name, one_agency_name
from edcbridge.deliver.deqar_client import DeqarClient
from edcbridge.deliver.errors import DeliveryAuthError, DeliveryConfigError, DeliveryError
from edcbridge.deliver.http import HttpClient, masked_email
from edcbridge.deliver.push import (
    NOT_LOOKED_UP,
    Item,
    PushInterrupted,
    not_in_manifest,
    push_deqar,
    push_deqar_csv,
    push_wallet,
    wallet_items,
)
from edcbridge.deliver.results import Outcome, summary, write_results
from edcbridge.deliver.state import State, StateNotRecorded
from edcbridge.deliver.wallet_client import WalletClient, wallet_url_problem
from edcbridge.interrupts import sigterm_as_ctrl_c

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as for export


class UsageProblem(click.ClickException):
    """Unusable input or configuration: exit code 2, as for every edcbridge command."""

    exit_code = 2


def _printer(items: list[Item], quiet: bool = False, notes: bool = False) -> Callable[[Outcome], None]:
    """Prints an outcome on stderr; a refused item with each of its problems on its own line.
    ``quiet``: only the items that failed or were refused. ``notes``: an item sent or skipped with what
    was said of it (DEQAR's warnings and flag, a withdrawn report it does not have)."""
    problems = {item.key: item.problems for item in items}

    def show(outcome: Outcome) -> None:
        if quiet and outcome.status != "failed":
            return
        text = f"{outcome.status:8} {outcome.action:7} {_shown(outcome.key)}"
        if outcome.action == "refuse" and problems.get(outcome.key):
            found = problems[outcome.key]
            text += f": {len(found)} problem(s), nothing sent"
            text += "".join(f"\n    {path + ': ' if path else ''}{message}" for path, message in found)
        elif outcome.message and (outcome.status == "failed" or notes):
            text += f": {outcome.message}"
        click.echo(text, err=True)

    return show


class _Shown:
    """The progress printer, counting the outcomes it printed: when Ctrl-C stops a push, the
    item in flight (and any refused after it) is named too, not only counted in the summary."""

    def __init__(self, printer: Callable[[Outcome], None]) -> None:
        self.printer, self.count = printer, 0

    def __call__(self, outcome: Outcome) -> None:
        self.count += 1
        if outcome.status != "planned":  # not attempted as the run stopped: said once, at the end
            self.printer(outcome)

    def unsaid(self, outcomes: list[Outcome]) -> list[Outcome]:
        """The failures among ``outcomes`` not printed yet (those not sent are only counted)."""
        return [o for o in outcomes[self.count:] if o.status == "failed"]


def _shown(key: str) -> str:
    """An item's key as the terminal shows it: a wallet deposit's recipient (``CREDENTIAL ->
    ADDRESS``) with the learner's part of the address masked; the results files keep it whole."""
    what, arrow, recipient = key.rpartition(" -> ")
    return f"{what}{arrow}{masked_email(recipient)}" if arrow and "@" in recipient else key


def _finish(
    outcomes: list[Outcome],
    out_dir: Path,
    name: str,
    target: str,
    dry_run: bool,
    as_json: bool,
    progress: Callable[[Outcome], None],
    interrupted: bool = False,
    quiet: bool = False,
) -> None:
    try:
        paths = write_results(out_dir, name, target, dry_run, outcomes, interrupted)
    except OSError as exc:
        raise _not_written(exc, f"the results could not be written in {out_dir}") from None
    if as_json:
        click.echo(paths[0].read_text("utf-8"), nl=False)
    else:
        for path in paths:
            click.echo(str(path))
    if dry_run:
        for outcome in outcomes:
            progress(_unsaid_why(outcome))
    counts = summary(outcomes)
    if not quiet:
        click.echo(
            ("dry run (nothing sent): " if dry_run else "")
            + ", ".join(f"{n} {_status_said(status, dry_run)}" for status, n in counts.items()),
            err=True,
        )
        _say_not_sent(outcomes, dry_run)
    if interrupted:
        click.echo("interrupted: run the same command to finish; what was delivered "
                   "is recorded and is not sent again", err=True)
        raise SystemExit(EXIT_INTERRUPTED)
    if counts.get("failed"):
        raise SystemExit(1)


def _status_said(status: str, dry_run: bool) -> str:
    """A status on the summary line: in a run that sent, what is still planned was not sent."""
    return "not sent" if status == "planned" and not dry_run else status


def _said_once(outcome: Outcome, dry_run: bool) -> bool:
    """Whether ``outcome``'s message is said once with the others of its reason rather than on
    its line: an item a stopped run did not attempt, or in a dry run did not look up."""
    if outcome.status != "planned" or not outcome.message:
        return False
    return outcome.message.startswith(NOT_LOOKED_UP) if dry_run else True


def _unsaid_why(outcome: Outcome) -> Outcome:
    """A dry run's ``outcome`` as its line shows it: without the reason said once at the end."""
    return replace(outcome, message="") if _said_once(outcome, True) else outcome


def _say_not_sent(outcomes: list[Outcome], dry_run: bool = False) -> None:
    """The items a stopped run did not attempt (a dry run: did not look up), once for each
    reason with its fix, rather than a line each (the results list every one)."""
    reasons = Counter(o.message for o in outcomes if _said_once(o, dry_run))
    for why, count in reasons.items():
        click.echo(f"{count} {why}", err=True)


def _held_until_reported(state: State) -> None:
    """The state file stays this push's until the command ends, its results written: a push
    starting earlier would write its own results over them (or they over its)."""
    click.get_current_context().call_on_close(state.release)


def _not_written(exc: OSError, what: str) -> click.ClickException:
    """A disk that filled (or a folder that stopped taking files) part way through a push: exit 1."""
    return click.ClickException(
        f"{what} ({exc.strerror or exc}); what was delivered is recorded as far as it could "
        "be, and a delivery whose answer was not recorded is checked first: free space or fix the "
        "folder, then run the same command again (nothing is sent twice)")


def _setup_logging(verbose: bool, quiet: bool = False) -> None:
    logger = logging.getLogger("edcbridge.deliver")
    if verbose and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    elif quiet and not verbose:
        _silence_retries(logger)


def _silence_retries(logger: logging.Logger) -> None:
    """No warnings of requests retried (they reach stderr through logging's last resort) while
    the command runs: a request that fails for good fails its item, which is said."""
    before = logger.level
    logger.setLevel(logging.ERROR)
    click.get_current_context().call_on_close(lambda: logger.setLevel(before))


def _state_and_out(target: str, out_help: str = "") -> Callable[[Any], Any]:
    """The --state and --out options, shared by every push target."""
    def apply(command: Any) -> Any:
        command = click.option(
            "--out", "-o", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path(),
            show_default=True, callback=writable_folder,
            help=out_help or f"Folder for {target}-results.json / .csv.")(command)
        return click.option(
            "--state", "state_file", type=click.Path(path_type=Path, dir_okay=False),
            help=f"State file (default: OUT/{target}-state.json).")(command)

    return apply


def _run_options(dry_run_help: str) -> Callable[[Any], Any]:
    """--dry-run, --json, --verbose and --quiet, shared by every push target."""
    def apply(command: Any) -> Any:
        command = quiet_option("progress, retries or summary")(command)
        command = click.option("--verbose", "-v", is_flag=True,
                               help="Log every request (secrets masked) on stderr.")(command)
        command = click.option("--json", "as_json", is_flag=True,
                               help="Print the result JSON on stdout.")(command)
        return click.option("--dry-run", is_flag=True, help=dry_run_help)(command)

    return apply


@click.group("push")
def push_group() -> None:
    """Deliver reports to DEQAR or credentials to Europass wallets (re-runnable)."""


@push_group.command("deqar")
@click.argument("batch", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--catalogue",
    "-c",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Catalogue for organisation keys and specification codes in the batch.",
)
@click.option(
    "--base-url",
    "--url",
    "base_url",
    envvar="EDCBRIDGE_DEQAR_URL",
    default="https://backend.sandbox.deqar.eu",
    show_default=True,
    help="DEQAR backend root (env EDCBRIDGE_DEQAR_URL).",
)
@click.option(
    "--credentials",
    "credentials_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"File with the DEQAR login: {CREDENTIAL_FORMATS}. "
    f"Default: env {USERNAME_ENV} / {PASSWORD_ENV}.",
)
@_state_and_out(
    "deqar",
    "Folder for deqar-results.json / .csv; a dry run writes deqar-dry-run.json / .csv instead, "
    "so it never overwrites a real run's results.",
)
@click.option(
    "--via",
    type=click.Choice(["api", "csv"]),
    default="api",
    show_default=True,
    help="One request per report, or CSV uploads of the changed reports (50 at most each).",
)
@click.option(
    "--refuse-drops",
    is_flag=True,
    help="Do not update a report when the update would drop a field or file DEQAR holds "
    "(a file, a programme, valid_to...) that the batch leaves out; without it, the update is "
    "sent and the drop named.",
)
@_run_options("Plan create/update/delete/skip from the state file; send nothing (given the "
              "credentials, DEQAR's copy of each planned update is read to name what it would drop).")
def deqar_command(
    batch: Path,
    catalogue: Path | None,
    base_url: str,
    credentials_file: Path | None,
    state_file: Path | None,
    out_dir: Path,
    via: str,
    refuse_drops: bool,
    dry_run: bool,
    as_json: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Submit the reports of BATCH (YAML) to the DEQAR Submission API v2."""
    from edcbridge.load import CatalogueError, InputFileError, load_catalogue

    _setup_logging(verbose, quiet)
    try:
        parsed = load_batch(batch)
        cat = load_catalogue(catalogue) if catalogue else None
        endpoint = endpoint_name(base_url, parsed.agency)
        items = batch_items(parsed, cat, batch.parent)
        state = State.load(state_file or out_dir / "deqar-state.json", "deqar", endpoint, fold=not dry_run,
                           hold=not dry_run)
        state.adopt(endpoint)  # written by batches spelling the agency in another letter case
    except (DeliveryConfigError, CatalogueError, InputFileError) as exc:
        raise UsageProblem(str(exc)) from None
    _held_until_reported(state)
    client: DeqarClient | None = None
    try:
        if dry_run:
            client = _dry_run_client(base_url, credentials_file)
        else:
            creds = deqar_credentials(credentials_file)
            client = DeqarClient(HttpClient(base_url), creds.username, creds.password)
            client.login()
            named = one_agency_name(client, state, base_url, parsed, cat, batch.parent)
            if named is not None:
                parsed, items = named.batch, named.items
    except (DeliveryConfigError, DeliveryAuthError) as exc:
        raise UsageProblem(str(exc)) from None
    except DeliveryError as exc:  # the register did not answer: nothing was sent
        raise click.ClickException(str(exc)) from None
    printer = _printer(items, quiet, notes=True)
    shown = _Shown(printer)
    name = "deqar-dry-run" if dry_run else "deqar-results"
    try:
        with sigterm_as_ctrl_c():
            if via == "csv":  # uploads: each report is said once the run has ended
                outcomes = push_deqar_csv(items, client, state, agency=parsed.agency, dry_run=dry_run,
                                          refuse_drops=refuse_drops)
                if not (dry_run or as_json):
                    for outcome in outcomes:
                        shown(outcome)
            else:
                outcomes = push_deqar(
                    items,
                    client,
                    state,
                    agency=parsed.agency,
                    dry_run=dry_run,
                    on_progress=None if as_json else shown,
                    refuse_drops=refuse_drops,
                )
    except PushInterrupted as stop:
        if not (dry_run or as_json):
            for outcome in stop.outcomes if via == "csv" else shown.unsaid(stop.outcomes):
                shown(outcome)  # those not sent are said once, with the summary
        _finish(stop.outcomes, out_dir, name, "deqar", dry_run, as_json, printer, interrupted=True,
                quiet=quiet)
    except StateNotRecorded as exc:  # stopped before sending what it could not record
        raise _not_written(exc, f"the push stopped: {state.path} could not record it") from None
    finally:
        state.flush()
        if client is not None:
            client.http.close()
    _finish(outcomes, out_dir, name, "deqar", dry_run, as_json, printer, quiet=quiet)


def _dry_run_client(base_url: str, credentials_file: Path | None) -> DeqarClient | None:
    """A client for a dry run to read the register's copy of each planned update (it logs in
    only if there is one), or ``None`` when the environment gives no login: the plan is then
    made from the state file alone. A ``--credentials`` file it cannot use, or a base URL the
    password may not travel to, raises :class:`DeliveryConfigError`, as in a run that sends:
    planning unread would name no drop, as if none of the updates dropped anything."""
    try:
        creds = deqar_credentials(credentials_file)
    except DeliveryConfigError:
        if credentials_file is not None:
            raise
        return None
    return DeqarClient(HttpClient(base_url), creds.username, creds.password)


@push_group.command("wallet")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--base-url",
    "--url",
    "base_url",
    envvar="EDCBRIDGE_WALLET_URL",
    required=True,
    help="REST root of the wallet (env EDCBRIDGE_WALLET_URL).",
)
@_state_and_out(
    "wallet",
    "Folder for wallet-results.json / .csv; a dry run writes wallet-dry-run.json / .csv instead, "
    "so it never overwrites a real run's results.",
)
@click.option(
    "--send-email/--no-send-email",
    default=True,
    show_default=True,
    help="Ask the wallet to e-mail the learner (the wallet's sendEmail).",
)
@click.option(
    "--redeliver",
    "redeliver",
    multiple=True,
    metavar="CREDENTIAL",
    help="Send this credential again although it was delivered (the learner removed it from the "
    "wallet): its id or its file name in the manifest; repeatable.",
)
@_run_options("Plan deposit/skip from the state file; send nothing.")
def wallet_command(
    manifest: Path,
    base_url: str,
    state_file: Path | None,
    out_dir: Path,
    send_email: bool,
    redeliver: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Deposit the sealed credentials listed in MANIFEST (CSV: credential, wallet_id or email, locale)."""
    _setup_logging(verbose, quiet)
    again = frozenset(value.strip() for value in redeliver if value.strip())
    try:
        problem = wallet_url_problem(base_url)
        if problem:
            raise DeliveryConfigError(problem)
        items = wallet_items(manifest)
        unknown = not_in_manifest(items, again)
        if unknown:
            raise DeliveryConfigError(
                f"--redeliver {', '.join(unknown)}: no credential of {manifest} has this id or file "
                "name; give the credential's id or its file name as the manifest lists it")
        state = State.load(state_file or out_dir / "wallet-state.json", "wallet", base_url.rstrip("/"),
                           fold=not dry_run, hold=not dry_run)
    except DeliveryConfigError as exc:
        raise UsageProblem(str(exc)) from None
    _held_until_reported(state)
    client = None if dry_run else WalletClient(HttpClient(base_url))
    printer = _printer(items, quiet)
    shown = _Shown(printer)
    name = "wallet-dry-run" if dry_run else "wallet-results"
    try:
        with sigterm_as_ctrl_c():
            outcomes = push_wallet(
                items,
                client,
                state,
                dry_run=dry_run,
                send_email=send_email,
                on_progress=None if as_json else shown,
                redeliver=again,
            )
    except PushInterrupted as stop:
        if not (dry_run or as_json):
            for outcome in shown.unsaid(stop.outcomes):
                printer(outcome)
        _finish(stop.outcomes, out_dir, name, "wallet", dry_run, as_json, printer, interrupted=True,
                quiet=quiet)
    except StateNotRecorded as exc:  # stopped before sending what it could not record
        raise _not_written(exc, f"the push stopped: {state.path} could not record it") from None
    finally:
        state.flush()
        if client is not None:
            client.http.close()
    _finish(outcomes, out_dir, name, "wallet", dry_run, as_json, printer, quiet=quiet)


def register(group: click.Group) -> None:
    """Add ``push deqar`` and ``push wallet`` to *group*."""
    group.add_command(push_group)
