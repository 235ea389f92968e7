"""The edcbridge command line. Data goes to stdout, people-facing messages to stderr.

Exit codes: 0 success; 1 some records or documents failed; 2 usage error or unusable input;
130 interrupted (Ctrl-C).

Importing this module loads click and little else: each command imports what it needs when it
runs, so `--help` answers at once and a Ctrl-C while starting meets the command's own handling.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from edcbridge import __version__

if TYPE_CHECKING:
    from edcbridge.load.column_map import ColumnMap
    from edcbridge.pipeline.runner import RunResult
    from edcbridge.pipeline.worker import Outcome
    from edcbridge.progress import Progress
    from edcbridge.schemas import SchemaStore
    from edcbridge.seal import IssuerIdentity
    from edcbridge.seal.verify import Check
    from edcbridge.validation.findings import Report

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _fatal(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _interrupted(message: str = "interrupted; run the same command again") -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_INTERRUPTED)


def _echo_data(line: str | Path) -> None:
    """Print a line of data on stdout. When the reader has gone (``| head``), the rest of the
    data is dropped and the command goes on: the work is in the files written, not the listing."""
    try:
        click.echo(line)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # later lines, and the flush at exit, go nowhere
        os.close(devnull)


NAME_MAX = 255  # bytes in one name of a path, on the file systems in use


def writable_folder(_ctx: click.Context, _param: click.Parameter, folder: Path | None) -> Path | None:
    """Callback of an output folder option: the folder, or the nearest folder above it that
    exists, must be one this user may write in; else a usage error (exit 2) before any work."""
    if folder is None:
        return None
    too_long = next((part for part in folder.parts if len(os.fsencode(part)) > NAME_MAX), None)
    if too_long is not None:
        raise click.BadParameter(f"{folder} cannot be made: the name '{too_long[:40]}...' is longer "
                                 f"than the {NAME_MAX} bytes a file system allows")
    # os.path.exists is False, not an error, for a path this user may not look into
    existing = next(path for path in (folder, *folder.parents) if os.path.exists(path))  # noqa: PTH110
    if not existing.is_dir():
        raise click.BadParameter(f"{folder} cannot be made: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise click.BadParameter(f"{folder} cannot be written: no permission to write in {existing}; "
                                 "choose a folder of your own")
    return folder


def reading_options(what: str = "awards files") -> Callable[[Any], Any]:
    """``--encoding NAME``, ``--column HEADER=COLUMN`` and ``--columns FILE`` of a command that
    reads ``what``: CSV or JSON files in a legacy encoding, and headers a student system writes in its
    own language."""
    encoding = click.option(
        "--encoding", "encoding_name", metavar="NAME",
        help=f"The encoding the CSV or JSON {what} are in when it is not UTF-8, e.g. cp1252 (Windows, "
             "western Europe), latin-1, cp1250, iso-8859-7; never guessed. A file whose bytes "
             "show it is UTF-8 (or has a byte-order mark) is refused under it, not garbled.")
    column = click.option(
        "--column", "column_values", multiple=True, metavar="HEADER=COLUMN",
        help=f"Read the header HEADER of the {what} as the column COLUMN, e.g. "
             "'Matrikelnummer=learner_id' or 'Vorname (griechisch)=given_name@el' (repeatable; "
             "see 'edcbridge formats --kind award' for the columns).")
    columns = click.option(
        "--columns", "columns_file", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False),
        help="A column mapping file kept beside the export: YAML ('Matrikelnummer: learner_id', one a "
             "line) or CSV rows of header and column. --column options are added to it.")

    def decorate(command: Any) -> Any:
        return encoding(column(columns(command)))

    return decorate


def awards_encoding(name: str | None) -> str | None:
    """The codec ``--encoding`` names (None for UTF-8, the default), or its error and exit 2."""
    from edcbridge.load.tabular.text_file import named_encoding

    try:
        return named_encoding(name) if name is not None else None
    except ValueError as exc:
        _fatal(f"--encoding: {exc}")


def awards_columns(values: tuple[str, ...], file: Path | None) -> ColumnMap | None:
    """The column mapping ``--columns`` and ``--column`` give (None for none), or its error and
    exit 2."""
    from edcbridge.load.column_map import column_map, file_pairs, option_pairs

    if not values and file is None:
        return None
    try:  # each error names the option or the file's line it is about
        return column_map([*(file_pairs(file) if file is not None else []), *option_pairs(values)])
    except ValueError as exc:
        _fatal(str(exc))


def quiet_option(what: str) -> Callable[[Any], Any]:
    """``-q``/``--quiet`` of a command: no ``what`` on stderr (its errors are still said)."""
    return click.option("--quiet", "-q", is_flag=True, help=f"No {what} on stderr; errors are still said.")


def _seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Above 0 and at most an hour: click's float also takes ``nan`` and ``inf``, which no
    deadline is (``inf`` overflowed the clock; ``nan`` never ran out)."""
    if not 0 < value <= 3600:  # False for nan
        raise click.BadParameter(f"{value!r}: give a number of seconds above 0 and at most 3600")
    return value


TSA_TIMEOUT = 15.0  # seconds; the default of edcbridge.seal.tsa.TsaClient (a test holds them equal)


def tsa_timeout_option() -> Callable[[Any], Any]:
    """``--tsa-timeout`` of a command sealing with a timestamp authority."""
    return click.option("--tsa-timeout", type=float, callback=_seconds, default=TSA_TIMEOUT,
                        show_default=True,
                        help="Seconds to wait for the timestamp authority's answer to each request.")


MAX_REASON = 1000  # characters of a --reason: a sentence or a reference, not a file


def reason_text(value: str | None) -> str | None:
    """A ``--reason`` as the audit trail keeps it and later commands print it: on one line, each
    character that cannot be printed (a terminal escape, a direction override) as its escape,
    at most MAX_REASON characters; None when empty."""
    from edcbridge.output import printable

    if value is None:
        return None
    text = printable(" ".join(value.encode("utf-8", "backslashreplace").decode("utf-8").split()))
    if len(text) > MAX_REASON:
        raise click.BadParameter(f"at most {MAX_REASON} characters: give the reason, or a reference to "
                                 "the decision (a case number), not the whole document")
    return text or None


def find_reference_dir() -> Path | None:
    """The shared reference folder beside this checkout, if there is one."""
    from edcbridge.schemas import find_reference_dir as find

    return find()


def _store(ebsi: bool = True) -> SchemaStore:
    """The schema store, with the JSON-LD files (and the EBSI schema when ``ebsi``) installed
    and intact; else exit 2 saying what to run."""
    from edcbridge.schemas import default_store, install_remedy, manifest

    store = default_store()
    states = store.check("jsonld", *(("ebsi",) if ebsi else ()))
    missing = [path for path, state in states if state == "missing"]
    modified = [path for path, state in states if state == "modified"]
    unreadable = [path for path, state in states if state == "unreadable"]
    if unreadable:  # before installing could help: its remedy is the file's permissions
        store.path(unreadable[0])  # raises naming the file, the reason and the fix
    entries = {entry.path: entry for entry in manifest()}
    if missing:  # one that --download cannot fetch first: its remedy covers the others too
        first = next((path for path in missing if path in entries and entries[path].url is None), missing[0])
        remedy = install_remedy(entries.get(first))
        _fatal(f"{store.where()} lacks {len(missing)} of the files this command needs (e.g. {first}; "
               f"'edcbridge schemas status' lists every file); {remedy}")
    if modified:
        remedy = install_remedy(entries.get(modified[0]))
        _fatal(f"{len(modified)} files in {store.where()} do not match their pinned sha256 (e.g. "
               f"{modified[0]}); installing replaces modified files: {remedy}")
    return store


def _register_sealing(group: click.Group) -> None:
    from edcbridge.schemas import default_store
    from edcbridge.seal.cli import register
    from edcbridge.sealing import credential_issuer_mismatch, format_check, issuer_identity, xml_format_check

    def store_format_check(doc: dict[str, Any]) -> tuple[str, str]:
        return format_check(default_store())(doc)

    def store_xml_format_check(data: bytes, source: str) -> Check:
        return xml_format_check(default_store())(data, source)

    def catalogue_issuer(path: Path) -> IssuerIdentity:
        from edcbridge.badges.cli import catalogue_or_exit

        return issuer_identity(catalogue_or_exit(path))

    register(group, format_check=store_format_check, issuer_check=credential_issuer_mismatch,
             issuer_of=catalogue_issuer, xml_format_check=store_xml_format_check)


def _register_from(module: str) -> Callable[[click.Group], None]:
    def load(group: click.Group) -> None:
        importlib.import_module(module).register(group)

    return load


# Commands of the other packages, by name: each package (and the engines it uses) is imported
# only when one of its commands runs, so `edcbridge validate` does not load a web server.
_PROVIDERS: dict[str, Callable[[click.Group], None]] = {
    **dict.fromkeys(("verify", "seal", "dev-pki"), _register_sealing),
    **dict.fromkeys(("inspect", "export-xml", "loq", "validate-xml", "verify-xml"),
                    _register_from("edcbridge.xml.cli")),
    "push": _register_from("edcbridge.deliver.cli"),
    **dict.fromkeys(("serve", "offer", "revoke", "upload-dc4eu"), _register_from("edcbridge.oid4vci.cli")),
    **dict.fromkeys(("preview", "badges", "ob3", "stack"), _register_from("edcbridge.preview.cli")),
    "withdraw": _register_from("edcbridge.pipeline.withdraw"),
    "erase": _register_from("edcbridge.pipeline.erase"),
}


# What `edcbridge --help` says of each command of the other packages, so that listing them
# imports none (the Open Badges schemas alone take over a second to load). A test checks each
# against the command's own help.
_SUMMARIES = {
    "badges": "Export Open Badges 3.0 (one OpenBadgeCredential per award) and CLR 2.0 (one ClrCredential "
              "per learner), checked against the 1EdTech schemas; --seal adds VC-JWT (.jwt) files.",
    "dev-pki": "Write a TEST PKI (root CA, e-seal, TSA, CRL) for trying sealing; never for real use.",
    "export-xml": "Export AWARDS as legacy EDC XML 1.2 (validated against genericschema_1.2.xsd), sealed "
                  "with XAdES when a seal is given.",
    "inspect": "Read a credential (EDC JSON-LD plain / upload wrapper / JAdES, or EDC XML 1.x) and "
               "summarise it.",
    "loq": "Export CATALOGUE as an ELM 3.2 LOQ document (validated against loq.xsd) for a register.",
    "ob3": "Export Open Badges 3.0 (one OpenBadgeCredential per award) and CLR 2.0 (one ClrCredential "
           "per learner), checked against the 1EdTech schemas; --seal adds VC-JWT (.jwt) files.",
    "offer": "Make single-use credential offers for exported AWARDS (<issuer>/<award_id>, or a unique "
             "award id).",
    "preview": "Render credentials (EDC JSON-LD plain, wrapped or JAdES-sealed; EDC XML) as accessible "
               "HTML pages, with the seal status and a QR code for verification; --pdf adds PDF.",
    "push": "Deliver reports to DEQAR or credentials to Europass wallets (re-runnable).",
    "revoke": "Revoke, for good, the SD-JWT VCs issued to wallets for AWARDS (<issuer>/<award_id>, or a "
              "unique award id), and close the award's offers not yet used up.",
    "seal": "Seal credential JSON FILES as JAdES into --out (all files or none are written).",
    "serve": "Run the OpenID4VCI 1.0 issuer for the awards exported into OUT (pre-authorized code flow).",
    "stack": "Check held credentials against the stacking rule of TARGET (a specification code) and "
             "explain what counts, what is missing, past its credit currency (not counted, though it may "
             "count with further evidence of current knowledge), expired, not yet awarded, "
             "duplicate, already inside a larger credential counted, not allowed, awarded already or "
             "unverified.",
    "upload-dc4eu": "Upload the ELM documents of exported AWARDS to a DC4EU API gateway and print their "
                    "offer URLs.",
    "validate-xml": "Validate EDC XML 1.x, LOQ or AMS documents against the official XSD named by their "
                    "schemaLocation.",
    "verify": "Verify JAdES-sealed credentials: SEAL, TIMESTAMP, FORMAT, EXPIRY, REVOCATION; an XML "
              "file (XAdES-sealed EDC XML) is checked as verify-xml checks it, a JWT of the EBSI profile "
              "(.jwt) against the keys of the --did-document files, an Open Badge or CLR (.json, or "
              "VC-JWT .jwt) by its proof or signature (a VC-JWT's x5c seal certificate chained as a JAdES "
              "seal's).",
    "verify-xml": "Verify the XAdES seal of EDC XML documents (core validity, signed certificate, "
                  "timestamps, certificate validity).",
    "erase": "Erase the personal data OUT keeps of awards KEY (<issuer>/<award_id>, or a unique award id), "
             "or of every award of a learner (--learner ID, --email ADDRESS: the awards found are named "
             "first, with where each was found, and so are those of which OUT keeps no file to tell; none "
             "found erases nothing), at their learner's request (GDPR article 17): files, report rows, "
             "delivery addresses; the audit trail records the erasure.",
    "withdraw": "Withdraw awards KEY (<issuer>/<award_id>, or a unique award id) exported to OUT: their "
                "files are moved to OUT/withdrawn/ and no export run makes them again; --undo reinstates "
                "them.",
}


def _suggestion(name: str, known: list[str]) -> str:
    """The hint after "No such command": the known names close to ``name``, as click words it."""
    import difflib

    close = difflib.get_close_matches(name, known)
    if not close:
        return ""
    if len(close) == 1:
        return f" Did you mean {close[0]!r}?"
    return f" (Did you mean one of: {', '.join(map(repr, close))}?)"


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_PROVIDERS})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, as click writes it, without importing the packages not loaded yet."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None and name in _SUMMARIES:
                rows.append((name, click.Command(name, help=_SUMMARIES[name]).get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _PROVIDERS:
            _PROVIDERS[cmd_name](self)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                           list[str]]:
        known = self.list_commands(ctx)
        if args and args[0] not in known and not args[0].startswith("-") and not ctx.resilient_parsing:
            # click would suggest only the commands loaded so far, which is none of the lazy ones
            ctx.fail(f"No such command {args[0]!r}.{_suggestion(args[0], known)}")
        return super().resolve_command(ctx, args)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:  # while reading the command line: click would say "Aborted!", exit 1
            _interrupted()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # before a command handles Ctrl-C itself (loading, checking input)
            _interrupted()
        except click.Abort as exc:  # click turns Ctrl-C or Ctrl-D at a prompt (the seal password) into Abort
            if isinstance(exc.__context__, KeyboardInterrupt):
                _interrupted()
            if isinstance(exc.__context__, EOFError):  # no answer: a setup problem, not a failed record
                _fatal("the input ended before the prompt was answered; give the password with "
                       "--password-file FILE or EDCBRIDGE_SEAL_PASSWORD")
            raise
        except Exception as exc:
            if _is_schema_store_error(exc):  # whichever command met it: no traceback, same remedy
                _fatal(str(exc))
            raise


def _is_schema_store_error(exc: Exception) -> bool:
    from edcbridge.schemas import SchemaStoreError  # loaded already by the command that raised it

    return isinstance(exc, SchemaStoreError)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="edcbridge")
def main() -> None:
    """Registry records to European Digital Credentials (EDC 3.2), validated."""


@main.command()
@click.argument("awards", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--catalogue", "-c", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Catalogue of specifications and organisations (YAML or JSON).")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Output folder: one sub-folder per format, the run report and the journal.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["edc", "ebsi", "edc-xml", "loq"]),
              default=("edc",), show_default=True,
              help="Output formats (repeatable; listing any replaces the default edc): edc, ebsi, "
                   "edc-xml (EDC XML 1.2), loq (the catalogue).")
@click.option("--workers", "-j", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: one per core, at most 8).")
@click.option("--fail-fast", type=click.IntRange(1), default=None,
              help="Stop after N consecutive failed records, in input order (a row skipped as "
                   "done earlier breaks the run of failures, as its success did; one refused as "
                   "withdrawn or erased neither counts nor breaks it).")
@click.option("--seal", "--p12", "seal_p12", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Seal each credential (JAdES) with this PKCS#12 e-seal into OUT/edc-sealed/.")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False),
              help="File holding the PKCS#12 password (else EDCBRIDGE_SEAL_PASSWORD, else a prompt).")
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]), default=None,
              help="JAdES level (default: the highest the configured services allow).")
@click.option("--tsa", "tsa_url", envvar="EDCBRIDGE_TSA_URL", metavar="URL",
              help="RFC 3161 timestamp authority URL (else EDCBRIDGE_TSA_URL).")
@tsa_timeout_option()
@click.option("--ebsi-key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="With --format ebsi: also sign each EBSI profile as a JWT (OUT/ebsi/*.jwt) with this "
                   "PEM private key (EC P-256 for ES256, or secp256k1 for ES256K) of the issuer's DID "
                   "document (an encrypted key's password in EDCBRIDGE_EBSI_KEY_PASSWORD).")
@click.option("--ebsi-kid", metavar="DID#KEY",
              help="With --ebsi-key: the key's id in the issuer's DID document (did:ebsi:…#keys-1); its "
                   "DID must be the did of the catalogue's issuer.")
# no environment variable: `push wallet` reads EDCBRIDGE_WALLET_URL, and an export run where
# it is set must not deposit credentials and e-mail learners unasked
@click.option("--deliver-wallet", "wallet_url", metavar="URL",
              help="Then deposit each sealed credential in the learner's Europass wallet (by the "
                   "e-mail address in the awards file) through this wallet API; needs --seal. "
                   "Only when given here: EDCBRIDGE_WALLET_URL does not turn it on.")
@click.option("--send-email/--no-send-email", default=True, show_default=True,
              help="With --deliver-wallet: ask the wallet to e-mail the learner.")
@click.option("--wallet-locale", default="en", show_default=True,
              help="With --deliver-wallet: the language of the wallet's e-mail.")
@click.option("--redeliver", "redeliver", multiple=True, metavar="AWARD",
              help="With --deliver-wallet: send this award's credential again although it was "
                   "delivered (the learner removed it from the wallet); its key <issuer>/<award_id> or "
                   "award id, repeatable. Recorded as a delivery in the journal and the audit trail.")
@click.option("--preview", is_flag=True,
              help="Also render each credential as an HTML page in OUT/preview/ (DRAFT pages, made "
                   "from the awards before sealing).")
@reading_options("files")
@click.option("--no-validate", is_flag=True, help="Skip official validation (not recommended).")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress, errors of records or summary on stderr (an error that stops the run "
                   "before any work is still said).")
def export(awards: tuple[Path, ...], catalogue: Path, out_dir: Path, formats: tuple[str, ...],
           workers: int | None, fail_fast: int | None, seal_p12: Path | None, password_file: Path | None,
           level: str | None, tsa_url: str | None, tsa_timeout: float, ebsi_key: Path | None,
           ebsi_kid: str | None, wallet_url: str | None, send_email: bool, wallet_locale: str,
           redeliver: tuple[str, ...], preview: bool, encoding_name: str | None,
           column_values: tuple[str, ...], columns_file: Path | None, no_validate: bool, quiet: bool) -> None:
    """Export AWARDS (CSV, XLSX, JSON Lines or a JSON array) as credentials, one file per award.

    Re-running the same command skips what is done and redoes what changed (the journal is
    OUT/.edcbridge-journal.sqlite); an interrupted run resumes where it stopped. With
    --deliver-wallet, credentials sealed and not yet delivered are then deposited.

    \b
    Exit codes: 0 all done; 1 some records, files or deliveries failed (the rest were
    exported, or a disk failed part way: the reports say what was done); 2 usage error or
    unusable input, before any work (an output folder that cannot be written or that another
    run is using included); 130 interrupted (Ctrl-C, or SIGTERM as kill, timeout and
    service managers send): run the same command again to resume.
    """
    from edcbridge.in_order import default_workers
    from edcbridge.model.fields import is_locale
    from edcbridge.pipeline import Job, RunOptions
    from edcbridge.pipeline.delivery import WalletTarget

    if wallet_url and seal_p12 is None:
        _fatal("--deliver-wallet needs --seal: the wallet accepts only sealed credentials")
    if wallet_url:
        from edcbridge.deliver.wallet_client import wallet_url_problem

        problem = wallet_url_problem(wallet_url)
        if problem:
            _fatal(f"--deliver-wallet: {problem}")
    if not is_locale(wallet_locale):
        _fatal(f"--wallet-locale {wallet_locale!r} is not a language code; write it like en or de")
    if redeliver and not wallet_url:
        _fatal("--redeliver needs --deliver-wallet URL: the wallet to send the credentials to again")
    encoding = awards_encoding(encoding_name)
    columns = awards_columns(column_values, columns_file)
    factory = None
    if seal_p12 is not None:
        factory = _seal_factory(seal_p12, password_file, level, tsa_url, tsa_timeout, catalogue)
    signer = _ebsi_signer(ebsi_key, ebsi_kid, catalogue, formats) if ebsi_key or ebsi_kid else None
    target = WalletTarget(wallet_url, send_email, wallet_locale,
                          frozenset(a.strip() for a in redeliver if a.strip())) if wallet_url else None
    options = RunOptions(out_dir=out_dir, store_root=_store(ebsi="ebsi" in formats).root, formats=formats,
                         validate=not no_validate, workers=workers or default_workers(),
                         fail_fast=fail_fast, seal=factory, deliver=target, ebsi_signer=signer,
                         preview=preview)
    exported = _Rows() if preview else None
    code = _run_jobs([Job(catalogue, awards, encoding=encoding, columns=columns)], options, quiet, exported)
    if exported is not None and code != EXIT_INTERRUPTED:  # Ctrl-C means stop, not go on
        code = max(code, _preview(catalogue, awards, (encoding, columns), out_dir, quiet, exported,
                                  options.workers))
    sys.exit(code)


class _Rows:
    """Rows of awards files, a bit each (a million rows take 125 KB)."""

    def __init__(self) -> None:
        self._bits: dict[str, bytearray] = {}

    def add(self, file: str, row: int) -> None:
        bits = self._bits.setdefault(file, bytearray())
        if len(bits) <= row >> 3:
            bits.extend(bytes((row >> 3) + 1 - len(bits)))
        bits[row >> 3] |= 1 << (row & 7)

    def __contains__(self, place: tuple[str, int]) -> bool:
        file, row = place
        bits = self._bits.get(file)
        return bits is not None and row >> 3 < len(bits) and bool(bits[row >> 3] & 1 << (row & 7))


def _preview(catalogue_path: Path, awards: tuple[Path, ...], reading: tuple[str | None, ColumnMap | None],
             out_dir: Path, quiet: bool, exported: _Rows, workers: int) -> int:
    """Pages for registry staff to eyeball the batch: the rows this run exported or found
    exported as they are, only (not a row that failed, nor one a --fail-fast stop left unread,
    though an earlier run exported its award with other content)."""
    from edcbridge.in_order import WorkerLost
    from edcbridge.load import iter_awards, load_catalogue
    from edcbridge.preview import preview_awards

    catalogue = load_catalogue(catalogue_path)
    rows = (row.award for path in awards for row in iter_awards(path, catalogue, *reading)
            if row.award is not None and (row.file, row.row) in exported)
    pages = 0
    try:
        for result in preview_awards(rows, catalogue, out_dir / "preview", workers=workers):
            _echo_data(result.html)  # stdout carries the paths of written files, the pages' too
            pages += 1
    except WorkerLost:
        click.echo(f"preview: a worker process ended part way (killed by the system when memory ran "
                   f"short, or by hand), after {pages} pages; run the same command again (the "
                   "credentials are skipped as done), with -j 1 if memory is short", err=True)
        return EXIT_FAILED
    if not quiet:
        click.echo(f"preview: {pages} pages in {out_dir / 'preview'}", err=True)
    return EXIT_OK


def _seal_factory(p12: Path, password_file: Path | None, level: str | None, tsa_url: str | None,
                  tsa_timeout: float, catalogue: Path) -> Any:
    """Load the seal once up front: a wrong password or an issuer mismatch stops the run here."""
    from edcbridge.load import CatalogueError, InputFileError, load_catalogue
    from edcbridge.seal import SealError, read_password
    from edcbridge.sealing import SealFactory, check_issuer, check_timestamp_authority

    try:
        password = read_password(password_file, prompt=(lambda: click.prompt(
            "seal password", hide_input=True, err=True)) if sys.stdin.isatty() else None)
        factory = SealFactory(p12, password, level, tsa_url, tsa_timeout=tsa_timeout)
        check_issuer(factory, load_catalogue(catalogue))
        check_timestamp_authority(factory)
    except SealError as exc:
        _fatal(str(exc))
    except (CatalogueError, InputFileError) as exc:
        _fatal(str(exc))
    return factory


def _ebsi_signer(key: Path | None, kid: str | None, catalogue: Path, formats: tuple[str, ...]) -> Any:
    """Load the EBSI signing key once up front: a kid that is not the issuer's DID stops the run here."""
    from edcbridge.load import CatalogueError, InputFileError, load_catalogue
    from edcbridge.seal import SealError
    from edcbridge.seal.ebsi_jwt import PASSWORD_ENV, load_ebsi_signer

    if key is None or kid is None:
        _fatal("--ebsi-key and --ebsi-kid go together: the key signs, the kid names it in the issuer's "
               "DID document")
    if "ebsi" not in formats:
        _fatal("--ebsi-key signs the EBSI profile: add --format ebsi")
    try:
        password = os.environ.get(PASSWORD_ENV)
        signer = load_ebsi_signer(key, kid, password.encode("utf-8") if password is not None else None)
        loaded = load_catalogue(catalogue)
    except SealError as exc:
        _fatal(str(exc))
    except (CatalogueError, InputFileError) as exc:
        _fatal(str(exc))
    issuer_did = loaded.organisation(loaded.issuer).did
    if issuer_did != signer.did:
        _fatal(f"--ebsi-kid names {signer.did}, but the catalogue's issuer {loaded.issuer} has "
               + (f"the did {issuer_did}" if issuer_did else "no did")
               + ": EBSI verifiers resolve the key from the issuer's DID; set did of "
               f"organisations.{loaded.issuer} to the DID registered in EBSI, or give a key of that DID")
    return signer


_INTERRUPTED = "interrupted: what was done is kept and reported; run the same command again to resume"


def _located(outcome: Outcome, message: str) -> str:
    """A record's error naming its file, row and award. The loader's errors name their file and
    row (and character): the award, when its id could be read, is named after them. The file's
    name is shown with its control and direction characters escaped, as the reports show it (a
    line break in it would start a line of its own)."""
    from edcbridge.output import printable

    file = printable(outcome.file)
    if file != outcome.file:
        message = message.replace(outcome.file, file)
    if outcome.file_level:
        return message
    if not message.startswith(f"{file}:"):
        return f"{file}:{outcome.row}: award {outcome.award_id!r}: {message}"
    place = re.match(re.escape(file) + r":\d+(?::\d+)?: ", message)
    if not outcome.award_id or place is None:
        return message
    return f"{place.group()}award {outcome.award_id!r}: {message[place.end():]}"


MAX_SHOWN_FAILURES = 100  # failed records whose errors a run prints on stderr


def _unread(result: Any) -> str:
    """``; N rows not read`` for a run that stopped before the end of its input, when the rows
    were counted beforehand (CSV, JSON, XLSX); else ''."""
    left = result.not_read
    return f"; {left} row{'' if left == 1 else 's'} not read" if left else ""


def _run_jobs(jobs: list[Any], options: Any, quiet: bool, exported: _Rows | None = None) -> int:
    """Run the pipeline with people-facing output; returns the exit code. ``exported`` gets the
    rows done or skipped as done."""
    from edcbridge.interrupts import sigterm_as_ctrl_c
    from edcbridge.output import printable
    from edcbridge.pipeline.runner import count_rows
    from edcbridge.progress import Progress, Waiting

    counts: list[int | None] = []
    # seconds for a large file, said as they go on: a SIGTERM meanwhile stops as Ctrl-C does
    with sigterm_as_ctrl_c(), Waiting(enabled=not quiet) as waiting:
        for job in jobs:
            for path in job.awards:
                waiting.say(f"counting rows in {printable(str(path))} ...")
                counts.append(count_rows(path, job.columns))
    total = None if None in counts else sum(c or 0 for c in counts)
    options = replace(options, rows=total)  # the reports count the rows a stopped run left
    shown = _RunOutput(Progress(total, enabled=not quiet), options.out_dir, quiet, exported)
    result = _run_saying_why_it_stopped(jobs, options, shown)
    if result is None:
        return EXIT_FAILED
    shown.progress.close()
    for path in result.catalogue_files:
        _echo_data(path)
    if not quiet:
        _say_summary(result, options)
    if result.interrupted:
        click.echo(_INTERRUPTED, err=True)
        return EXIT_INTERRUPTED
    problems = (result.failed or result.file_errors or result.delivery_failed or result.delivery_not_sent
                or result.stopped_early)
    return EXIT_FAILED if problems else EXIT_OK


class _RunOutput:
    """What a run shows as it goes: each credential written (stdout), the progress bar, the
    errors of failed records and each delivery (stderr)."""

    def __init__(self, progress: Progress, out_dir: Path, quiet: bool, exported: _Rows | None) -> None:
        self.progress = progress
        self.out_dir = out_dir
        self.quiet = quiet
        self.exported = exported
        self.failures = 0  # records whose errors were, or would have been, shown
        self.audit_head = ""  # the run's, once its reports hold it
        self.result: RunResult | None = None  # likewise
        self.delivering = False  # the run has reached its deliveries

    def on_outcome(self, outcome: Any, status: str) -> None:
        if self.exported is not None and status in ("done", "skipped"):
            self.exported.add(outcome.file, outcome.row)
        if status == "done":
            if sys.stdout.isatty():  # the same terminal, most likely
                self.progress.clear()
            for output in outcome.outputs.values():
                _echo_data(output["path"])
        elif status in ("failed", "file-error") and not self.quiet:
            self.progress.clear()
            self.show_errors(outcome)
        if status != "file-error":  # the bar counts award rows; a worker's have their seconds
            self.progress.update(status, work=bool(outcome.seconds))

    def show_errors(self, outcome: Any) -> None:
        """The errors of the first failed records; after them one line points to the report
        (50,000 rows failing on one cause must not print 100,000 lines to a terminal or mail)."""
        self.failures += 1
        if self.failures <= MAX_SHOWN_FAILURES:
            for message in outcome.errors:
                click.echo(_located(outcome, message), err=True)
        elif self.failures == MAX_SHOWN_FAILURES + 1:
            click.echo(f"... more failed records are not shown here: every one is in "
                       f"{self.out_dir / 'report.csv'}", err=True)

    def on_reported(self, result: Any) -> None:
        self.audit_head = result.audit_head
        self.result = result

    def say_deliveries(self, target: Any) -> None:
        """The deliveries' counts of a run stopped part way through them, and why those left
        were not sent: its one line would not say it."""
        result = self.result
        if self.quiet or target is None or result is None:
            return
        if any((result.delivered, result.already_delivered, result.unchanged, result.delivery_failed,
                result.delivery_not_sent)):
            _say_deliveries(result, target.name)

    def say_aborted(self, error: str, options: Any) -> None:
        """The ending of a run an error stopped part way: its deliveries, the error and the
        audit head."""
        self.progress.close()
        self.say_deliveries(options.deliver)
        click.echo(f"aborted: {error}; what was done is kept and reported in "
                   f"{options.out_dir / 'report.json'}{self.head_said()}; run the same command again",
                   err=True)

    def head_said(self) -> str:
        """`` (audit head ...: note it ...)`` for a run that stopped part way, as every other
        ending of a run says it; '' when its reports could not be written."""
        if not self.audit_head:
            return ""
        return (f" (audit head {self.audit_head}: note it, 'edcbridge audit verify --head' then finds "
                "any event removed later)")

    def on_delivery(self, delivery: Any) -> None:
        from edcbridge.deliver.http import masked_email
        from edcbridge.pipeline.delivery import NOT_SENT

        self.delivering = True
        self.progress.close()  # the export is over: its bar ends before the deliveries are listed
        # unchanged, and not sent as the run stopped: counted in the summary, listed in the reports
        if not self.quiet and delivery.status not in ("unchanged", NOT_SENT):
            recipient = masked_email(delivery.recipient) if delivery.recipient else "(no e-mail)"
            where = f"{delivery.key} -> {recipient}"  # the reports name the address
            detail = f": {delivery.message}" if delivery.status in ("failed", "redelivered") else ""
            click.echo(f"{delivery.status} {where}{detail}", err=True)


def _run_saying_why_it_stopped(jobs: list[Any], options: Any, shown: _RunOutput) -> RunResult | None:
    """The run's result; None when it aborted part way (said, and kept in the reports). Exits
    for unusable input (2) and a Ctrl-C before the run began (130)."""
    import sqlite3

    from edcbridge.in_order import WorkerLost
    from edcbridge.load import CatalogueError, InputFileError
    from edcbridge.pipeline import run
    from edcbridge.pipeline.runner import ReportsNotWritten, RunError, RunInterrupted

    try:
        return run(jobs, options, shown.on_outcome, shown.on_delivery, shown.on_reported)
    except CatalogueError as exc:
        shown.progress.close()
        for error in exc.errors:
            click.echo(error.render(), err=True)
        _fatal(f"the catalogue has {len(exc.errors)} error(s); nothing was exported")
    except (InputFileError, RunError) as exc:
        shown.progress.close()
        _fatal(str(exc))
    except ReportsNotWritten as exc:
        shown.progress.close()
        click.echo(f"aborted: {exc}", err=True)
        return None
    except (OSError, sqlite3.Error, WorkerLost) as exc:  # a disk gone or full, a worker killed, part way
        shown.say_aborted(str(exc), options)
        return None
    except Exception as exc:  # any other error that stops the deliveries ends the run the same way
        if not shown.delivering:
            raise
        shown.say_aborted(f"{exc.__class__.__name__}: {exc}", options)
        return None
    except RunInterrupted as exc:  # pressed twice, or during the deliveries: stopped at once,
        shown.progress.close()  # its reports written: summed up as a first Ctrl-C is
        return exc.result
    except KeyboardInterrupt:  # before the run began
        shown.progress.close()
        click.echo(_INTERRUPTED, err=True)
        sys.exit(EXIT_INTERRUPTED)


def _say_summary(result: RunResult, options: Any) -> None:
    """The run's counts, notes, why it stopped, its deliveries and its report, on stderr."""
    for note in result.notes:
        if note not in result.not_sent_notes:  # said after the deliveries' counts they explain
            click.echo(note, err=True)
    click.echo(_counts_line(result), err=True)
    if result.redone:
        click.echo(f"{result.redone} of those done were made again, each for the reason its "
                   f"\"redone\" gives in {options.out_dir / 'report.csv'}", err=True)
    if result.with_warnings:
        click.echo(f"{result.with_warnings} credential(s) with warnings (what a format cannot "
                   f"carry, say): see \"warnings\" in {result.report}", err=True)
    unread = _unread(result)
    if result.stopped_early:
        failures = "1 failure" if options.fail_fast == 1 else f"{options.fail_fast} consecutive failures"
        click.echo(f"stopped after {failures} (--fail-fast){unread}", err=True)
    elif result.interrupted and unread:
        click.echo(f"interrupted{unread}: the same command goes on from there", err=True)
    if options.deliver is not None:
        _say_deliveries(result, options.deliver.name)
    click.echo(f"report: {result.report}; audit head {result.audit_head} (note it: "
               "'edcbridge audit verify --head' then finds any event removed later)", err=True)


def _counts_line(result: RunResult) -> str:
    """``N done, N skipped, N failed (...)``, with what else happened and the worker time."""
    stages = ", ".join(f"{k} {v:.2f}s" for k, v in result.seconds.items() if v)
    failed = ", ".join(f"{k} {v}" for k, v in result.stage_failures.items())
    return (f"{result.done} done, {result.skipped} skipped, {result.failed} failed"
            + (f" ({failed})" if failed else "")
            + (f", {result.file_errors} file error(s)" if result.file_errors else "")
            + (f", {result.withdrawn_in_input} withdrawn (still in the input)"
               if result.withdrawn_in_input else "")
            + (f", {result.erased_in_input} erased (still in the input)"
               if result.erased_in_input else "")
            + (f"; worker time: {stages}" if stages else ""))


def _say_deliveries(result: RunResult, target: str) -> None:
    from edcbridge.pipeline.delivery import KEPT

    unchanged = f"{result.unchanged} unchanged (not sent again), " if result.unchanged else ""
    again = f" ({result.redelivered} of them sent again)" if result.redelivered else ""
    click.echo(f"{target}: {result.delivered} delivered{again}, "
               f"{result.already_delivered} already there, {unchanged}"
               f"{result.delivery_failed} failed"
               + (f", {result.delivery_not_sent} not sent" if result.delivery_not_sent else ""), err=True)
    for note in result.not_sent_notes:
        click.echo(note, err=True)
    if result.unchanged:
        click.echo(f"{result.unchanged} credential(s) sealed again with the content delivered "
                   f"earlier were not sent again: {KEPT}", err=True)


class _ReceivedFile(click.Path):
    """A file to check (validate, verify, inspect, preview) or seal: a name that names nothing is
    a usage error; a folder (``received/*`` holding one), a link to nothing (a file moved away)
    or a file that cannot be read is that name's own result, and the other files are still
    handled. click's ``exists`` follows a link, so a dangling one would stop every file."""

    def __init__(self) -> None:
        super().__init__(readable=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        if not os.path.lexists(path):
            self.fail(f"File {click.format_filename(value)!r} does not exist.", param, ctx)
        return path


RECEIVED_FILE = _ReceivedFile()


@main.command()
@click.argument("files", nargs=-1, required=True, type=RECEIVED_FILE)
@click.option("--policy", "policies", multiple=True,
              help="Policy profile to apply (repeatable); see 'policies'.")
@click.option("--annex1", type=click.Choice(["off", "info", "warning", "error"]), default="warning",
              show_default=True, help="How a missing Annex I element counts.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON on stdout.")
@click.option("--workers", "-j", type=click.IntRange(1, 64), default=None,
              help="Processes checking files at once (default: one per core, at most 8; the files "
                   "are reported in the order given).")
def validate(files: tuple[Path, ...], policies: tuple[str, ...], annex1: str, as_json: bool,
             workers: int | None) -> None:
    """Validate EDC credentials (plain, upload wrapper or JAdES-sealed) against the official shapes,
    and EDC XML against the official XSD."""
    from edcbridge.in_order import in_order, processes_for
    from edcbridge.validation.policy import PROFILES, unknown_profiles

    unknown = unknown_profiles(list(policies))
    if unknown:
        _fatal(f"unknown policy {', '.join(unknown)}; choose from {', '.join(PROFILES)}")
    store = _store()
    level: Any = None if annex1 == "off" else annex1
    reports: list[Report] = []
    check = functools.partial(_validate_file, store=store, policies=policies, annex1=level)
    for path, (report, is_xml) in zip(files, in_order(check, files, processes_for(workers, len(files))),
                                      strict=True):
        reports.append(report)
        if not as_json:
            echo_report(path, report, skip_info=not is_xml)
    if as_json:
        from edcbridge.output import json_text

        click.echo(json_text([r.as_dict() for r in reports]))
    sys.exit(EXIT_OK if all(r.ok for r in reports) else EXIT_FAILED)


def _validate_file(path: Path, store: SchemaStore, policies: tuple[str, ...],
                   annex1: Any) -> tuple[Report, bool]:
    """One file's report, and whether it was XML: the file is read once and judged by its content
    (XML to the official XSD, anything else as EDC JSON-LD), whatever its name ends in."""
    from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem, unread_reason
    from edcbridge.folder_files import other_file
    from edcbridge.validation import validate_credential
    from edcbridge.validation.document import NotACredential, credential_from_bytes
    from edcbridge.xml.safe import looks_like_xml

    try:
        data = read_bounded(path)
    except OSError as exc:  # a folder, not readable (permissions, a disk error): the rest go on
        problem, fix = unread_reason(path, exc)
        return _unread_report(path, f"{path}: {problem}", fix), False
    except TooLarge as exc:
        what = other_file(exc.head, loq=False)
        if what is not None:
            return _not_a_credential(path, what), False
        return _unread_report(path, too_large_problem(path, exc), "give an EDC JSON-LD file"), False
    what = other_file(data, loq=False)  # a LOQ record is validated against loq.xsd
    if what is not None:
        return _not_a_credential(path, what), False
    if looks_like_xml(data):
        from edcbridge.xml.cli import validate_xml_bytes

        report = validate_xml_bytes(data, str(path), store)
        if report.sealed is None:  # unreadable: no seal was read (every result has one shape)
            report.sealed = False
        return report, True
    try:
        doc, form = credential_from_bytes(data)
    except NotACredential as exc:
        return _unread_report(path, str(exc), "give an EDC JSON-LD file"), False
    from edcbridge.badges.reader import is_badge

    if is_badge(doc):
        return _validate_badge(path, doc, jwt=form == "jades"), False
    report = validate_credential(doc, store, source=str(path), policies=policies, annex1=annex1)
    report.sealed = form == "jades"
    if report.sealed:
        _name_a_did_signature(report, data)
    return report, False


def _validate_badge(path: Path, doc: dict[str, Any], *, jwt: bool) -> Report:
    """An Open Badge 3.0 or CLR 2.0 credential (``badges`` writes them beside the EDC files) is
    checked against the official 1EdTech schemas and contexts, as ``badges`` checks what it
    writes, not as an EDC; its VC-JWT signature or Data Integrity proof is left to ``verify``."""
    from edcbridge.badges.schemas import SchemasMissing, validate_badge
    from edcbridge.validation.findings import Finding, Report

    report = Report(str(path), sealed=jwt or "proof" in doc)
    report.seal = "its VC-JWT signature" if jwt else "its Data Integrity proof"
    report.verifier = "verify FILE [--did-document DID.json]"
    if jwt:
        from edcbridge.badges.jwt import credential_of

        doc = credential_of(doc)
    try:
        findings = validate_badge(doc)
    except SchemasMissing as exc:
        findings = [Finding("ob3.schemas-missing", "error", "$", str(exc),
                            "as the message says (install the files, or make them readable), or set "
                            "EDCBRIDGE_OB3_SCHEMAS to a complete copy of the 1EdTech files")]
    report.extend("1edtech-schema", findings)
    return report


def _name_a_did_signature(report: Report, data: bytes) -> None:
    """A JWT signed with a DID's key (the EBSI profile's .jwt) is checked by verify with the
    issuer's DID document: the report says so, and that it was not checked here."""
    from edcbridge.seal.ebsi_verify import DID_JWT_VERIFIER, is_did_signed_jws

    if is_did_signed_jws(data):
        report.seal = "the JWT's signature"
        report.verifier = DID_JWT_VERIFIER


def _not_a_credential(path: Path, what: str) -> Report:
    """The report of a file an output folder holds beside the credentials: SKIPPED, no failure."""
    from edcbridge.validation.findings import Report

    return Report(str(path), sealed=False, not_a_credential=what)


def _unread_report(path: Path, problem: str, fix: str) -> Report:
    """The report of a file no credential could be read from (no seal was read from it either)."""
    from edcbridge.validation.findings import Finding, Report

    report = Report(str(path), sealed=False)
    report.extend("read", [Finding("read.error", "error", "$", problem, fix)])
    return report


def validation_line(path: Path, report: Report) -> str:
    """The line `validate` and `validate-xml` give a file: OK or INVALID, its name (printable: a
    name holding a line break or a direction mark cannot fake a line), the checks run, and that
    a seal was not checked."""
    from edcbridge.output import printable

    if report.not_a_credential:
        return f"SKIPPED {printable(str(path))}: not a credential: {report.not_a_credential}"
    note = report.seal_note()
    line = f"{'OK' if report.ok else 'INVALID'} {printable(str(path))} ({', '.join(report.checks)})"
    return line + (f"; {note}" if note else "")


def echo_report(path: Path, report: Report, *, skip_info: bool = False) -> None:
    """A validation report for people, on stdout as the result it is (for `validate` and
    `validate-xml` alike); the findings (which may quote the file) shown printable."""
    from edcbridge.output import printable

    click.echo(validation_line(path, report))
    for finding in report.findings:
        if not (skip_info and finding.severity == "info"):
            click.echo("  " + "\n  ".join(map(printable, finding.render().split("\n"))))


@main.group()
def schemas() -> None:
    """Manage the schema store (official shapes, contexts and schemas)."""


_STORE_HELP = "Store folder (default: EDCBRIDGE_SCHEMAS, ./xsd in a checkout, or a cache dir)."


def _store_at(store_dir: Path | None) -> SchemaStore:
    from edcbridge.schemas import SchemaStore
    from edcbridge.schemas.store import default_store_dir

    return SchemaStore(store_dir or default_store_dir())


@schemas.command("install")
@click.option("--from", "source", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Folder holding the official files (same layout as the manifest).")
@click.option("--download", is_flag=True, help="Download from the pinned official URLs.")
@click.option("--mirror", help="With --download: fetch <MIRROR>/<path> instead.")
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False),
              help=_STORE_HELP)
def schemas_install(source: Path | None, download: bool, mirror: str | None,
                    store_dir: Path | None) -> None:
    """Install the manifest's files into the store, checking every sha256.

    With neither --from nor --download, the files come from the shared reference folder when
    one is found next to the project (../shared/reference).
    """
    if mirror and not download:  # else a test of the mirror would pass without asking it
        raise click.UsageError("--mirror is for --download: add --download to fetch from the mirror")
    if bool(source) == bool(download):
        source = source or (None if download else find_reference_dir())
        if download:
            raise click.UsageError("give exactly one of --from DIR or --download")
        if source is None:
            raise click.UsageError("give --from DIR (a copy of the official files) or --download: "
                                   "there is no shared reference folder (../shared/reference, "
                                   "beside a checkout) to install from by default")
    store = _store_at(store_dir)

    copies: dict[str, str] = {}  # files a download took from their pinned copies

    def progress(path: str, state: str) -> None:  # each file as it ends: a download takes a while
        if state == "installed" and path in copies:
            state += (f" from its pinned copy {copies[path]} (the official URL serves another "
                      "version, or did not answer)")
        if state != "already present":
            click.echo(f"  {path}: {state}", err=True)

    if download:
        from edcbridge.schemas.download import http_fetcher

        fetcher = http_fetcher(mirror)
        copies = fetcher.copies
        result = store.install(fetcher, progress=progress, origin=fetcher.origin)
    else:
        assert source is not None
        if not source.is_dir():
            _fatal(f"{source} is not a folder")
        result = store.install_from(source, progress=progress)
    click.echo(f"{len(result.installed)} installed, {len(result.unchanged)} already present, "
               f"{len(result.failed)} failed, {len(result.not_tried)} not tried, in {store.root}", err=True)
    note = _store_use_note(store.root)
    if note:
        click.echo(note, err=True)
    sys.exit(EXIT_FAILED if result.failed or result.not_tried else EXIT_OK)


def _store_use_note(root: Path) -> str | None:
    """How other commands come to read the store at ``root`` (None when they read it already):
    only through EDCBRIDGE_SCHEMAS, since --store is for the schemas commands alone."""
    import shlex

    from edcbridge.schemas.store import ENV_VAR, default_store_dir

    usual = default_store_dir()
    if usual.resolve() == root.resolve():
        return None
    line = f"export {ENV_VAR}={shlex.quote(str(root.absolute()))}"
    return (f"note: other commands read {usual}, not {root}; to have them read it, set {ENV_VAR} "
            f"(in the shell or the service that runs them): {line}")


@schemas.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON on stdout.")
@click.option("--store", "store_dir", type=click.Path(path_type=Path, file_okay=False), help=_STORE_HELP)
def schemas_status(as_json: bool, store_dir: Path | None) -> None:
    """Show each pinned file and whether the store holds it intact."""
    from edcbridge.schemas import manifest

    def summary(states: dict[str, str]) -> str:
        """One line for people: how many files are intact, what is wrong, and the command that
        puts it right (for this store: with its --store when one was given)."""
        from edcbridge.schemas import install_remedy

        counts = {state: sum(1 for s in states.values() if s == state)
                  for state in ("ok", "missing", "modified", "unreadable")}
        line = f"{counts['ok']} of {len(states)} files intact"
        problems = [f"{counts[state]} {state}" for state in ("missing", "modified", "unreadable")
                    if counts[state]]
        if not problems:
            return line
        line += f"; {', '.join(problems)}"
        if counts["unreadable"]:
            line += ("; an unreadable file is there but this user may not read it: make the store "
                     "readable (chmod -R a+rX on it) or use a store of your own")
        if counts["missing"] or counts["modified"]:
            entries = {entry.path: entry for entry in manifest()}
            wrong = [entries[path] for path, state in states.items() if state in ("missing", "modified")]
            remedies = [install_remedy()] if any(entry.url for entry in wrong) else []
            remedies += [f"{entry.path}: {install_remedy(entry)}" for entry in wrong if entry.url is None]
            remedy = "; ".join(remedies)
            if store_dir is not None:
                command = "'edcbridge schemas install "
                remedy = remedy.replace(command, f"{command}--store {store_dir} ")
            line += f"; installing fetches what is missing and replaces what was modified: {remedy}"
        return line

    store = _store_at(store_dir)
    states = dict(store.check())
    if as_json:
        click.echo(json.dumps([{"path": e.path, "version": e.version, "licence": e.licence,
                                "url": e.url, "sha256": e.sha256, "state": states[e.path]}
                               for e in manifest()], indent=2))
    else:
        click.echo(f"store: {store.where().removeprefix('the schema store ')}", err=True)
        for entry in manifest():
            click.echo(f"{states[entry.path]:10} {entry.path}  ({entry.version}, {entry.licence})")
        click.echo(summary(states), err=True)
    sys.exit(EXIT_OK if all(s == "ok" for s in states.values()) else EXIT_FAILED)


@main.command()
@click.option("--kind", type=click.Choice(["catalogue", "award"]), default=None,
              help="Only this input's schema.")
def formats(kind: str | None) -> None:
    """Print the JSON Schema of the input formats (catalogue and award rows)."""
    from edcbridge.load.formats import input_schemas

    schemas_ = input_schemas()
    click.echo(json.dumps(schemas_[kind] if kind else schemas_, ensure_ascii=False, indent=2))


@main.command()
@click.argument("scheme", required=False)
@click.argument("query", required=False)
def vocab(scheme: str | None, query: str | None) -> None:
    """List controlled vocabularies, or the concepts of SCHEME (optionally matching QUERY)."""
    from edcbridge import vocab as vocabulary

    if scheme is None:
        for key in vocabulary.scheme_keys():
            click.echo(f"{key:28} {vocabulary.scheme_iri(key)}")
        return
    try:
        concepts = vocabulary.concepts(scheme)
    except KeyError as exc:
        _fatal(str(exc.args[0]))
    lines = [f"{c.code:12} {c.label:60} {c.iri}" for c in concepts]
    found = [line for line in lines if query is None or query.lower() in line.lower()]
    for line in found:
        click.echo(line)
    if not found:
        click.echo(f"no {scheme} concept matches {query!r}", err=True)
        sys.exit(EXIT_FAILED)


@main.group()
def audit() -> None:
    """The hash-chained audit trail of what was issued, sealed, delivered, failed by a later run,
    revoked, reissued, withdrawn, reinstated and erased."""


_HEAD = re.compile(r"([0-9]+):([0-9a-fA-F]{64})")


def _head(value: str) -> tuple[int, str]:
    """EVENT:SHA256 (ASCII digits, the digest in hex): a head miscopied is no head to look for."""
    found = _HEAD.fullmatch(value)
    if found is None:
        raise click.BadParameter(f"{value!r}: expected EVENT:SHA256, as printed after a run")
    return int(found[1]), found[2].lower()


def _heads(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[tuple[int, str]]:
    """The --head values, read while the command line is (so a wrong one is named by its option)."""
    return [_head(value) for value in values]


@audit.command("verify")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--head", "heads", multiple=True, metavar="EVENT:SHA256", callback=_heads,
              help="A head noted earlier (printed at the end of each run and in report.json): "
                   "events cut off after it are found. Repeatable.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the verdict as JSON on stdout: intact, events, head, problems.")
def audit_verify(out_dir: Path, heads: list[tuple[int, str]], as_json: bool) -> None:
    """Prove the audit trail of an output folder is intact (exit 1 if not).

    The chain is recomputed, every record must be in a state a command writes, every record done
    must have its events, every record failed that keeps earlier files its failed event, every
    delivery the journal holds as made its delivered event and every award delivered a row of the
    deliveries table, every file of a record done
    in OUT must be the one issued, each revocation, reissue, withdrawal, reinstatement and
    erasure its detail (as its event's hash holds it; the details of an award's events before
    its erasure are gone), each withdrawn or erased record its event, and the trail must hold the head
    each run wrote to
    OUT/report.json, the event of the last revocation or reissue the offers file notes as
    recorded, and each --head given.
    """
    from edcbridge.output import printable
    from edcbridge.pipeline.journal import JOURNAL_NAME, verify_audit
    from edcbridge.pipeline.reports import UnreadableHead, reported_head

    report_problems: list[str] = []
    try:
        reported = reported_head(out_dir)
    except UnreadableHead as exc:
        reported, report_problems = None, [str(exc)]
    noted = ([(out_dir / "report.json", reported)] if reported else []) + _offers_head(out_dir)
    check = verify_audit(out_dir / JOURNAL_NAME, tuple(heads), noted)
    problems = report_problems + check.problems
    if as_json:
        click.echo(json.dumps({"intact": not problems, "events": check.events, "head": check.head,
                               "problems": problems}, ensure_ascii=False))
    for problem in problems:  # text from the journal, as edited: it cannot fake a line
        click.echo(f"BROKEN: {printable(problem)}", err=True)
    if check.events and not heads and not (out_dir / "report.json").exists():
        click.echo(f"note: {out_dir / 'report.json'} is not there: the trail is held to no head a run "
                   "noted, so events cut off its end would not be seen; give the head noted after the "
                   "last run with --head", err=True)
    verdict = "NOT intact" if problems else "intact"
    click.echo(f"{verdict}: {check.events} events, head {printable(check.head)}", err=True)
    sys.exit(EXIT_FAILED if problems else EXIT_OK)


def _offers_head(out_dir: Path) -> list[tuple[Path, tuple[int, str]]]:
    """The event (number and hash) of the last revocation or reissue the offers file of OUT notes
    as recorded in the trail: a head kept outside the journal. Nothing when there is no offers
    file, or none it can be read from."""
    import sqlite3

    from edcbridge.oid4vci.offers import OFFERS_NAME
    from edcbridge.pipeline.journal import open_read_only

    path = out_dir / OFFERS_NAME
    if not path.is_file():
        return []
    try:
        db = open_read_only(path)
        try:
            rows = db.execute("SELECT recorded FROM trail_events WHERE recorded IS NOT NULL").fetchall()
        finally:
            db.close()
    except sqlite3.Error:  # an offers file of a version before revocations were kept: none noted
        return []
    heads = [_head(str(recorded)) for (recorded,) in rows if _noted(str(recorded))]
    return [(path, max(heads))] if heads else []


def _noted(value: str) -> bool:
    try:
        _head(value)
    except click.BadParameter:
        return False
    return True


@audit.command("show")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
def audit_show(out_dir: Path) -> None:
    """Print the audit events as JSON Lines (the journal is only read: a copy on read-only
    media, or a journal a newer edcbridge wrote, is shown as it is). A revocation or reissue
    carries its "detail": who, when, why, and the status list entries (uri, idx) and offers; a
    withdrawal or reinstatement: who, when, why and the files moved; an erasure: who, when, why,
    the files removed (with their sha256) and the delivery targets."""
    import sqlite3

    from edcbridge.pipeline.journal import JOURNAL_NAME, open_read_only, shown_events

    path = out_dir / JOURNAL_NAME
    if not path.is_file():
        _fatal(f"no journal in {out_dir}")
    try:
        db = open_read_only(path)
        try:
            for event in shown_events(db):
                click.echo(json.dumps(event, ensure_ascii=False))
        finally:
            db.close()
    except sqlite3.Error as exc:
        _fatal(f"{path}: the audit trail cannot be read ({exc}); 'edcbridge audit verify "
               f"{out_dir}' says why and what to do")


@main.command("check")
@click.argument("catalogue", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policy", "policies", multiple=True,
              help="Policy profile to check besides the catalogue's own (repeatable); see 'policies'.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON on stdout.")
def check(catalogue: Path, policies: tuple[str, ...], as_json: bool) -> None:
    """Check CATALOGUE before any award: its errors, then, once per specification at its line, the
    Annex I elements and policy rules every credential of it would miss, and plain http:// addresses."""
    from edcbridge.catalogue_check import check_catalogue
    from edcbridge.load import CatalogueError, InputFileError
    from edcbridge.output import json_text
    from edcbridge.validation.policy import PROFILES, unknown_profiles

    unknown = unknown_profiles(policies)
    if unknown:
        _fatal(f"unknown policy {', '.join(unknown)}; choose from {', '.join(PROFILES)}")
    try:
        found = check_catalogue(catalogue, policies)
    except InputFileError as exc:
        _fatal(str(exc))
    except CatalogueError as exc:
        if as_json:
            click.echo(json_text([{"severity": "error", "code": "catalogue", **e.as_dict()}
                                  for e in exc.errors]))
        for error in exc.errors:
            click.echo(error.render(), err=True)
        sys.exit(EXIT_FAILED)
    if as_json:
        click.echo(json_text([f.as_dict() for f in found]))
    for finding in found if not as_json else []:
        if finding.severity != "info":
            click.echo(finding.render(), err=True)
    errors = sum(f.severity == "error" for f in found)
    warnings = sum(f.severity == "warning" for f in found)
    click.echo(f"{catalogue}: {errors} errors, {warnings} warnings", err=True)
    sys.exit(EXIT_FAILED if errors else EXIT_OK)


@main.command()
def policies() -> None:
    """List the policy profiles a catalogue can select."""
    from edcbridge.validation.policy import PROFILES

    for profile in PROFILES.values():
        click.echo(f"{profile.name:26} {profile.title}: {profile.source}")


@main.command()
@click.option("--out", "-o", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("demo-out"), show_default=True, callback=writable_folder,
              help="Output folder: one sub-folder per format, the run reports and the journal.")
@click.option("--fixtures", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder of fixture sets (default: the bundled fixtures).")
def demo(out_dir: Path, fixtures: Path | None) -> None:
    """The main job on the bundled fixtures: every format, validated, with a run report."""
    from edcbridge.demo import demo_jobs
    from edcbridge.in_order import default_workers
    from edcbridge.pipeline import RunOptions

    jobs = demo_jobs(fixtures)
    if not jobs:
        _fatal(f"no fixture sets (*/catalogue.yaml) under {fixtures or 'the bundled fixtures'}")
    from edcbridge.load import load_catalogue
    from edcbridge.sealing import demo_seal

    store_root = _store().root  # a store that lacks files stops the demo before it writes anything
    try:  # made for this user alone, as the run makes an export's folder, before the seals go in
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        _fatal(f"{out_dir}: the output folder cannot be written ({exc.strerror or exc}); give a folder "
               "this user can write to, on a disk with room, with -o")
    # one generated TEST seal per issuer, kept in OUT/test-seal/<fixture set>/
    sealed_jobs = [replace(job, seal=demo_seal(out_dir / "test-seal" / job.catalogue.parent.name,
                                               load_catalogue(job.catalogue))) for job in jobs]
    options = RunOptions(out_dir=out_dir, store_root=store_root,
                         formats=("edc", "ebsi", "edc-xml", "loq"), workers=default_workers(), badges=True)
    code = _run_jobs(sealed_jobs, options, quiet=False)
    if code == EXIT_INTERRUPTED:  # Ctrl-C means stop, not go on with the badges
        sys.exit(code)
    code = max(code, _demo_badges(sealed_jobs, out_dir))
    click.echo(f"{len(jobs)} catalogues; outputs in {out_dir}/: edc, ebsi, edc-sealed, edc-xml (XAdES), "
               f"loq, ob3, clr; sealed with generated TEST seals ({out_dir}/test-seal)", err=True)
    sys.exit(code)


def _demo_badges(jobs: list[Any], out_dir: Path) -> int:
    """Open Badges 3.0 (one per award) and CLR 2.0 (one per learner), as VC-JWT with the seal."""
    from edcbridge.badges import write_badges
    from edcbridge.load import iter_awards, load_catalogue

    keys = {}
    pairs = []
    for job in jobs:
        catalogue = load_catalogue(job.catalogue)
        keys[id(catalogue)] = job.seal
        pairs += [(row.award, catalogue) for path in job.awards
                  for row in iter_awards(path, catalogue) if row.award is not None]
    from edcbridge.badges.cli import not_withdrawn

    pairs = not_withdrawn(pairs, out_dir, quiet=False)
    outputs = write_badges(pairs, out_dir, key_for=lambda catalogue: keys[id(catalogue)].load().key)
    for path in outputs.written:  # stdout carries the paths of written files, as `badges` prints them
        _echo_data(path)
    from edcbridge.badges.cli import did_document_note, stale_did_document_lines

    for path, did in outputs.did_documents.items():
        click.echo(did_document_note(path, did), err=True)
    for line in stale_did_document_lines(outputs.stale, quiet=False):
        click.echo(line, err=True)
    for name, problems in outputs.failed.items():
        for problem in problems:
            click.echo(f"{name}: {problem.render()}", err=True)
    return EXIT_FAILED if outputs.failed else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    main()
