"""Click commands ``preview``, ``badges`` (alias ``ob3``) and ``stack``; add them with :func:`register`.

Data goes to stdout (paths of written files, results), messages for people to stderr; exit
codes 0 (all good), 1 (some documents failed, or a stacking rule is not satisfied), 2 (usage
error or unusable input), as for every edcbridge command.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from edcbridge.cli import RECEIVED_FILE, quiet_option, writable_folder
from edcbridge.output import json_text, printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _fatal(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _format_check() -> Any:
    from edcbridge.schemas import default_store
    from edcbridge.sealing import format_check

    store = default_store()
    if store.missing("jsonld"):
        return None
    return format_check(store)


def _language_codes(languages: Sequence[str]) -> tuple[str, ...]:
    """The two-letter codes credentials key their texts by, for ``--language`` given as a code
    (``de``, ``deu``, ``DE``) or an English name (``German``)."""
    from edcbridge.preview.describe import language_code

    codes = []
    for lang in languages:
        primary, _, region = lang.partition("-")
        code = language_code(primary)
        if code is None:
            raise click.BadParameter(f"{lang!r} is not a language of the EU list; give a code such as "
                                     "en, de or fr", param_hint="--language")
        codes.append(f"{code}-{region}" if region else code)
    return tuple(codes)


@click.command("preview")
@click.argument("files", nargs=-1, required=True, type=RECEIVED_FILE)
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              callback=writable_folder,
              help="Folder for the pages (one .html, and .pdf with --pdf, per credential).")
@click.option("--pdf", is_flag=True, help="Also print each page to PDF (needs headless Chromium).")
@click.option("--verify-url", help="Verification link for the QR code; {id} is replaced by the "
                                   "URL-encoded credential id, e.g. https://verify.example.org/{id}.")
@click.option("--language", "languages", multiple=True,
              help="Show texts in these languages, in this order (default: the credential's).")
@click.option("--trust-anchor", "anchors", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="CA certificate(s) trusted for seals and timestamps: a PEM (one or more) or DER "
                   "file, or a folder of them (repeatable).")
@click.option("--no-format-check", is_flag=True, help="Skip the FORMAT check (official shapes) of seals.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list of results on stdout.")
@quiet_option("summary")
def preview(files: Sequence[Path], out_dir: Path, pdf: bool, verify_url: str | None,
            languages: Sequence[str], anchors: Sequence[Path], no_format_check: bool, as_json: bool,
            quiet: bool) -> None:
    """Render credentials (EDC JSON-LD plain, wrapped or JAdES-sealed; EDC XML) as accessible
    HTML pages, with the seal status and a QR code for verification; --pdf adds PDF.

    A file of an output folder that is no credential (a preview page, a report, a DID document,
    a LOQ record) is NOT A CREDENTIAL: no page is made of it, and it fails nothing."""
    from edcbridge.folder_files import FolderFile
    from edcbridge.preview import PdfError, PreviewOptions, preview_file
    from edcbridge.preview.pdf import PdfPrinter
    from edcbridge.seal.errors import SealError
    from edcbridge.seal.verify import load_trust_anchors
    from edcbridge.validation.document import NotACredential, with_source

    if verify_url is not None and ("{id}" not in verify_url
                                   or not verify_url.lower().startswith(("https://", "http://"))):
        raise click.BadParameter("the template must be a web address with {id}, e.g. "
                                 "https://verify.example.org/{id}", param_hint="--verify-url")
    try:
        trust = load_trust_anchors(anchors)
    except SealError as exc:
        raise click.BadParameter(str(exc), param_hint="--trust-anchor") from exc
    options = PreviewOptions(verify_url=verify_url, languages=_language_codes(languages),
                             trust_anchors=trust, pdf=pdf,
                             format_check=None if no_format_check else _format_check())
    results, unread, skipped, used = [], [], list[Path](), set[str]()
    entries: list[dict[str, Any]] = []  # --json: one per file given, in their order, unread ones too
    try:
        printer = PdfPrinter() if pdf else None
    except PdfError as exc:
        _fatal(str(exc))
    try:
        for path in files:
            try:
                result = preview_file(path, out_dir, options, used, printer)
            except PdfError as exc:
                _fatal(str(exc))
            except FolderFile as exc:  # as verify names it: no page, no failure
                skipped.append(path)
                entries.append(_not_a_credential_entry(path, exc.what))
                click.echo(f"note: {printable(str(path))}: NOT A CREDENTIAL: {printable(exc.what)}; "
                           "no page made of it", err=True)
                continue
            except (NotACredential, ValueError) as exc:
                problem = with_source(path, exc)
                unread.append(path)
                entries.append(_unread_entry(path, problem))
                click.echo(f"error: {printable(problem)}", err=True)
                continue
            results.append(result)
            entries.append(result.as_dict())
            if not as_json:
                click.echo(printable(str(result.html)))
                if result.pdf:
                    click.echo(printable(str(result.pdf)))
    finally:
        if printer is not None:
            printer.close()
    if as_json:
        click.echo(json_text(entries))
    failing = [r for r in results if r.failed_checks]  # as verify: any seal check ERROR fails
    for result in failing:
        click.echo(f"error: {printable(str(result.source))}: {_failure(result)} (see the page's checks)",
                   err=True)
    if not quiet:
        invalid = sum(r.verdict == "INVALID" for r in failing)
        others = f"{len(skipped)} not a credential, " if skipped else ""
        click.echo(f"{len(results)} previewed ({invalid} with a seal that does not verify, "
                   f"{len(failing) - invalid} with another seal check failed), {others}{len(unread)} failed, "
                   f"in {printable(str(out_dir))}", err=True)
    sys.exit(EXIT_FAILED if unread or failing else EXIT_OK)


def _unread_entry(path: Path, problem: str) -> dict[str, Any]:
    """A file no page was made of, with the keys of a rendered one (as verify lists an
    UNREADABLE file), so a script finds every file it gave in the --json list."""
    return {"source": str(path), "html": None, "pdf": None, "form": None, "verdict": "UNREADABLE",
            "seal": None, "html_ms": 0.0, "pdf_ms": 0.0, "notes": [], "error": problem}


def _not_a_credential_entry(path: Path, what: str) -> dict[str, Any]:
    """A file an output folder holds beside the credentials (a preview page, a report...), with the
    keys of a rendered one: no page made, NOT A CREDENTIAL as verify says, failing nothing."""
    return {"source": str(path), "html": None, "pdf": None, "form": None, "verdict": "NOT A CREDENTIAL",
            "seal": None, "html_ms": 0.0, "pdf_ms": 0.0, "notes": [], "not_a_credential": what}


def _failure(result: Any) -> str:
    """Why a previewed credential fails the command, in the words of its verdict."""
    if result.verdict == "INVALID":
        return "the seal does not verify"
    return f"{result.verdict}: the seal's {' and '.join(result.failed_checks)} check failed"


def register(group: click.Group) -> None:
    """Add ``preview``, ``badges`` (also as ``ob3``) and ``stack`` to ``group``."""
    from edcbridge.badges.cli import badges
    from edcbridge.stack.cli import stack

    group.add_command(preview)
    group.add_command(badges, "badges")
    group.add_command(badges, "ob3")
    group.add_command(stack)
