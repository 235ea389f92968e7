"""Click command ``badges``: Open Badges 3.0 and CLR 2.0 files, and the input helpers that
the ``stack`` command shares (awards and catalogue, the seal key)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from edcbridge.cli import awards_columns, awards_encoding, quiet_option, reading_options, writable_folder

if TYPE_CHECKING:
    from edcbridge.badges.export import ClrLoss, ClrsBefore, StaleDidDocuments
    from edcbridge.load.column_map import ColumnMap
    from edcbridge.model import Award, Catalogue
    from edcbridge.seal.keys import BadgeKey, SealKey

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_UNSIGNED = ("note: no --seal, so the credentials are unsigned (.json only); OB 3.0 verifiers and wallets "
             "accept a credential only with a proof: give --seal P12 to add the VC-JWT (.jwt) files")
# OB 3.0, 8.2.3: verifiers must support RS256 "as a minimum", other algorithms "limit
# interoperability"; the 1EdTech validator (the conformance test system) takes RS256 and ES256.
_WIDELY_VERIFIED = ("RS256", "ES256")


def _algorithm_note(alg: str) -> str:
    note = (f"note: this seal signs the VC-JWT (.jwt) files {alg}; OB 3.0 asks verifiers only for RS256 and "
            f"the 1EdTech validator accepts RS256 and ES256 alone, so wallets may refuse {alg} files: an RSA "
            "seal, or an EC seal on P-256, signs what they all accept")
    if alg == "EdDSA":
        note += ("; the .json files carry Data Integrity proofs (eddsa-rdfc-2022), the embedded proof "
                 "OB 3.0 verifiers check")
    return note


def _did_key_note(issuer: str) -> str:
    return (f"note: the Data Integrity proofs name the key's own did:key, and the issuer's id is no DID: "
            "verifiers that require the issuer to control the proof's key refuse them; give organisation "
            f"{issuer!r} a did:web in the catalogue (did: did:web:HOST) and publish the did.json then "
            "written")


def did_document_note(path: Path, did: str) -> str:
    from edcbridge.badges.proof import did_web_url

    return (f"note: publish {path} at {did_web_url(did)} (as it is, served as application/did+json or "
            f"application/json): verifiers find the key of {did} there")


def stale_did_document_lines(stale: StaleDidDocuments, quiet: bool) -> list[str]:
    """What became of the DID documents an earlier run left in OUT: each removed (a note), each
    kept (a warning, whatever ``quiet``)."""
    lines = [] if quiet else [
        f"note: removed {path}: an earlier run's DID document, not one this run wrote (publish only "
        "those listed)" for path in stale.removed]
    return lines + [f"warning: {path} is not a DID document this run wrote and was not removed ({why}): "
                    "do not publish it" for path, why in stale.kept.items()]


def _publish_key(out_dir: Path, key: BadgeKey | None, did: str | None, quiet: bool) -> None:
    """With a seal and an issuer DID: its document written to OUT (its path on stdout), and where
    to publish it; the DID documents an earlier run left in OUT/did/ are removed."""
    from edcbridge.badges.export import remove_stale_did_documents, write_did_document

    if key is None or did is None:
        return
    path = write_did_document(out_dir, did, key)
    click.echo(path)
    if not quiet:
        click.echo(did_document_note(path, did), err=True)
    for line in stale_did_document_lines(remove_stale_did_documents(out_dir, [path]), quiet):
        click.echo(line, err=True)


def fatal(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def catalogue_or_exit(catalogue_path: Path) -> Catalogue:
    """The catalogue, or its errors on stderr and exit 2."""
    from edcbridge.load import CatalogueError, InputFileError, load_catalogue

    try:
        return load_catalogue(catalogue_path)
    except CatalogueError as exc:
        for error in exc.errors:
            click.echo(error.render(), err=True)
        fatal(f"the catalogue has {len(exc.errors)} error(s)")
    except InputFileError as exc:
        fatal(str(exc))


def load_pairs(awards: Sequence[Path], catalogue_path: Path, failed: list[int] | None = None,
               encoding: str | None = None, columns: ColumnMap | None = None
               ) -> tuple[Catalogue, list[tuple[Award, Catalogue]]]:
    """The catalogue and every award that loads; rows that do not are said on stderr and
    counted in ``failed`` (one item per row) when given. ``encoding``: of CSV files, as named;
    ``columns``: the column mapping of their headers."""
    from edcbridge.load import InputFileError, iter_awards

    catalogue = catalogue_or_exit(catalogue_path)
    pairs = []
    for path in awards:
        try:
            for row in iter_awards(path, catalogue, encoding, columns):
                if row.award is None:
                    for error in row.errors:
                        click.echo(error.render(), err=True)
                    if failed is not None:
                        failed.append(row.row)
                else:
                    pairs.append((row.award, catalogue))
        except InputFileError as exc:
            fatal(str(exc))
    return catalogue, pairs


def _password(password_file: Path | None) -> bytes:
    """The seal's password: the file, else EDCBRIDGE_SEAL_PASSWORD, else a prompt on a terminal."""
    from edcbridge.seal import read_password

    return read_password(password_file, prompt=(lambda: click.prompt(
        "seal password", hide_input=True, err=True)) if sys.stdin.isatty() else None)


def seal_key(p12: Path | None, password_file: Path | None) -> SealKey | None:
    if p12 is None:
        return None
    from edcbridge.seal import SealError, load_p12

    try:
        return load_p12(p12, _password(password_file), at=dt.datetime.now(dt.UTC))
    except SealError as exc:
        fatal(str(exc))


def badge_key(p12: Path | None, password_file: Path | None) -> BadgeKey | None:
    """The seal that signs Open Badges and CLRs: RSA, EC or Ed25519."""
    if p12 is None:
        return None
    from edcbridge.seal import SealError
    from edcbridge.seal.keys import load_badge_p12

    try:
        return load_badge_p12(p12, _password(password_file), at=dt.datetime.now(dt.UTC))
    except SealError as exc:
        fatal(str(exc))


_seal_options = [
    click.option("--seal", "--p12", "seal_p12", type=_FILE,
                 help="PKCS#12 e-seal: secure the output with it."),
    click.option("--password-file", type=_FILE,
                 help="File holding the PKCS#12 password (else EDCBRIDGE_SEAL_PASSWORD, else a prompt)."),
]


def with_seal(command: Any) -> Any:
    for option in reversed(_seal_options):
        command = option(command)
    return command


def _read_did_documents(_ctx: click.Context, _param: click.Parameter,
                        paths: Sequence[Path]) -> dict[str, Any]:
    """The ``--did-document`` files by their DID; a file that is not one is a usage error (exit 2)."""
    from edcbridge.did_documents import DidDocumentError, load_did_documents

    try:
        return load_did_documents(paths)
    except DidDocumentError as exc:
        raise click.BadParameter(str(exc), param_hint="--did-document") from None


def did_document_option(command: Any) -> Any:
    """``--did-document FILE`` (repeatable): the DID documents that hold the keys of Open Badge and
    CLR proofs and VC-JWTs, as files (a did:web's did.json saved from its address); nothing is fetched."""
    return click.option(
        "--did-document", "did_documents", multiple=True, type=_FILE, callback=_read_did_documents,
        metavar="FILE",
        help="DID document (did.json) holding the key of an Open Badge or CLR Data Integrity proof or "
             "VC-JWT kid, e.g. a did:web's saved from its https address; never fetched "
             "(repeatable).")(command)


def _journal_unreadable(out_dir: Path, exc: Exception) -> NoReturn:
    fatal(f"{out_dir}: its journal cannot be read ({exc}), so which awards were withdrawn is not "
          f"known and nothing was written; 'edcbridge audit verify {out_dir}' says why")


def not_withdrawn(pairs: list[tuple[Award, Catalogue]], out_dir: Path,
                  quiet: bool) -> list[tuple[Award, Catalogue]]:
    """The awards not withdrawn from ``out_dir`` (``edcbridge withdraw``); each one left out is
    said, unless ``quiet``. Exits 2 when the folder's journal cannot be read."""
    import sqlite3

    from edcbridge.badges.export import drop_withdrawn

    try:
        kept, left = drop_withdrawn(pairs, out_dir)
    except sqlite3.Error as exc:
        _journal_unreadable(out_dir, exc)
    from edcbridge.pipeline.journal import JOURNAL_NAME

    if not quiet and not (out_dir / JOURNAL_NAME).is_file():
        click.echo(f"note: {out_dir} holds no journal (no export was run into it), so no award is checked "
                   "against withdrawals ('edcbridge withdraw' records them in the folder the awards were "
                   "exported to): make the Open Badges and CLRs in that folder, as in: edcbridge badges "
                   "AWARDS... -c CATALOGUE -o EXPORT-FOLDER", err=True)
    for key, note in left.items() if not quiet else ():
        again = ("remove its learner's row from the input" if note.startswith("erased ") else
                 f"'edcbridge withdraw {out_dir} {key} --undo --reason TEXT' reinstates it")
        click.echo(f"note: {key}: {note}; left out (no Open Badge, not in its learner's CLR); {again}",
                   err=True)
    return kept


def _clrs_before(out_dir: Path, pairs: list[tuple[Award, Catalogue]], issuers: set[str]) -> ClrsBefore:
    """What the learners' CLRs in OUT held before this run (exits 2 when the journal cannot be read)."""
    import sqlite3

    from edcbridge.badges.export import ClrsBefore

    try:
        return ClrsBefore.read(out_dir, pairs, issuers)
    except sqlite3.Error as exc:
        _journal_unreadable(out_dir, exc)


def _unnamed_skills(pairs: Sequence[tuple[Award, Catalogue]]) -> list[str]:
    """The ESCO skills of the awarded specifications given without a label, each once."""
    specs = (c.specification(award.specification) for award, c in pairs)
    return list(dict.fromkeys(str(skill) for spec in specs if spec for outcome in spec.learning_outcomes
                              for skill in outcome.esco_skills if not skill.label))


def _loss_warning(loss: ClrLoss, awards: Sequence[Path], catalogue: Path, out_dir: Path, sealed: bool) -> str:
    """What a CLR lost, and the command that puts the awards back in it."""
    import shlex

    named = loss.keys + ([f"{loss.unknown} not in the journal of {out_dir}"] if loss.unknown else [])
    count = len(loss.keys) + loss.unknown
    held = f"{count} award(s) it held that are not withdrawn ({', '.join(named)})"
    what = f"the learner's CLR was made again without {held}"
    if loss.withdrawn_with and not (out_dir / loss.name).exists():
        what = (f"the learner's CLR, withdrawn with {loss.withdrawn_with}, is not made again, so {held} "
                "are in no CLR")
    command = " ".join(["edcbridge", "badges", *(shlex.quote(str(path)) for path in awards),
                        "OTHER-AWARDS...", "-c", shlex.quote(str(catalogue)), "-o", shlex.quote(str(out_dir)),
                        *(["--seal", "P12"] if sealed else [])])
    return (f"warning: {out_dir / loss.name}: {what}: the awards files given do not hold them; to put them "
            f"back, give every awards file of the learner: {command}")


@click.command("badges")
@click.argument("awards", nargs=-1, required=True, type=_FILE)
@click.option("--catalogue", "-c", required=True, type=_FILE, help="Catalogue (YAML or JSON).")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              callback=writable_folder,
              help="Output folder: ob3/ (one per award) and clr/ (one per learner).")
@click.option("--no-clr", is_flag=True, help="Only the Open Badges, no learner records.")
@click.option("--schemas", "schemas_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of the 1EdTech schemas and contexts (default: EDCBRIDGE_OB3_SCHEMAS or the "
                   "schema store).")
@with_seal
@reading_options()
@click.option("--workers", "-j", type=click.IntRange(1, 64), default=None,
              help="Processes making the credentials (default: one per core, at most 8).")
@quiet_option("note or summary")
def badges(awards: Sequence[Path], catalogue: Path, out_dir: Path, no_clr: bool, schemas_dir: Path | None,
           seal_p12: Path | None, password_file: Path | None, encoding_name: str | None,
           column_values: tuple[str, ...], columns_file: Path | None, workers: int | None,
           quiet: bool) -> None:
    """Export Open Badges 3.0 (one OpenBadgeCredential per award) and CLR 2.0 (one ClrCredential
    per learner), checked against the 1EdTech schemas; --seal adds VC-JWT (.jwt) files. Awards
    withdrawn from OUT ('edcbridge withdraw') are left out."""
    from edcbridge.badges import BadgeOutputs, SchemasMissing, write_clr, write_ob3
    from edcbridge.in_order import processes_for

    unread: list[int] = []
    cat, pairs = load_pairs(awards, catalogue, unread, awards_encoding(encoding_name),
                            awards_columns(column_values, columns_file))
    if not pairs and not unread:
        fatal(f"no awards in {', '.join(map(str, awards))}; give awards files (CSV, XLSX or JSON Lines)")
    issuers = {award.issuer or catalogue.issuer for award, catalogue in pairs}
    pairs = not_withdrawn(pairs, out_dir, quiet)
    before = None if no_clr else _clrs_before(out_dir, pairs, issuers)
    key = badge_key(seal_p12, password_file)
    did = None
    if key is not None:
        from edcbridge.badges.jwt import JwtError, key_algorithm
        from edcbridge.seal.sealer import certificate_identity
        from edcbridge.sealing import issuer_mismatches

        try:
            alg = key_algorithm(key)
        except JwtError as exc:
            fatal(f"--seal {seal_p12}: {exc}")

        problems = issuer_mismatches(certificate_identity(key.certificate), cat, cat.issuer)
        if problems:
            fatal("the catalogue's issuer is not the organisation in the seal certificate: "
                   + "; ".join(problems))
        if alg not in _WIDELY_VERIFIED and not quiet:
            click.echo(_algorithm_note(alg), err=True)
        from edcbridge.badges.export import issuer_did

        did = issuer_did(cat, cat.issuer, key)
        if alg == "EdDSA" and did is None and not quiet:
            click.echo(_did_key_note(cat.issuer), err=True)
    try:
        processes = processes_for(workers, len(pairs), forked_only=True)
        outputs = write_ob3(pairs, out_dir / "ob3", (lambda _c: key), schemas_dir, workers=processes)
        if not no_clr:
            clr = write_clr(pairs, out_dir / "clr", (lambda _c: key), schemas_dir, workers=processes)
            outputs = BadgeOutputs(outputs.written + clr.written, {**outputs.failed, **clr.failed})
    except SchemasMissing as exc:
        fatal(str(exc))
    for path in outputs.written:
        click.echo(path)
    if outputs.written:
        _publish_key(out_dir, key, did, quiet)
    for loss in before.losses() if before is not None else ():
        click.echo(_loss_warning(loss, awards, catalogue, out_dir, key is not None), err=True)
    for name, findings in outputs.failed.items():
        click.echo(f"INVALID {name}: not written", err=True)
        for finding in findings[:10]:
            click.echo("  " + finding.render().replace("\n", "\n  "), err=True)
    if not quiet:
        if key is None and outputs.written:
            click.echo(_UNSIGNED, err=True)
        unnamed = _unnamed_skills(pairs)
        if unnamed and outputs.written:
            click.echo(f"note: {len(unnamed)} ESCO skills have no label ({', '.join(unnamed[:3])}"
                       f"{', ...' if len(unnamed) > 3 else ''}): their alignments are named by their ESCO "
                       "code; write each as {iri: ..., label: {en: ESCO's preferred label}} in "
                       "learning_outcomes", err=True)
        click.echo(f"{len(outputs.written)} files written, {len(outputs.failed)} credentials invalid, "
                   f"{len(unread)} rows not read, in {out_dir}", err=True)
    sys.exit(EXIT_FAILED if outputs.failed or unread else EXIT_OK)


