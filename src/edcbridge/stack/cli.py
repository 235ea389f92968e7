"""Click command ``stack``: check held credentials against a stacking rule, issue the larger award."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from edcbridge.badges.cli import (
    EXIT_FAILED,
    EXIT_OK,
    did_document_option,
    fatal,
    load_pairs,
    seal_key,
    with_seal,
)
from edcbridge.cli import awards_columns, awards_encoding, reading_options, writable_folder

if TYPE_CHECKING:
    from cryptography import x509

    from edcbridge.load.column_map import ColumnMap
    from edcbridge.model import Catalogue
    from edcbridge.seal import SealKey
    from edcbridge.stack import Held

AWARD_SUFFIXES = (".csv", ".xlsx", ".jsonl")
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _records(files: Sequence[Path], catalogue: Catalogue, learner: str | None,
             encoding: str | None, columns: ColumnMap | None) -> list[Held]:
    """Awards from the institution's own records files: trusted as they are. A header or row
    that cannot be read is said on stderr (the row as not counted): it may be the learner's, and
    passing it over in silence would leave its credit missing unexplained. One award id given as
    two credentials stops the check (exit 2): it would count twice."""
    from edcbridge.load import InputFileError, iter_awards
    from edcbridge.stack import Held

    held: list[Held] = []
    first: dict[str, Held] = {}
    for path in files:
        try:
            for row in iter_awards(path, catalogue, encoding, columns):
                if row.award is None:
                    said = "" if row.file_level else "not counted: "
                    for error in row.errors:
                        click.echo(f"warning: {said}{error.render()}", err=True)
                    continue
                if learner is None or row.award.learner.id == learner:
                    held.append(Held(row.award, catalogue, f"{path}:{row.row}"))
                    _same_award(first.setdefault(row.award.award_id, held[-1]), held[-1])
        except InputFileError as exc:
            fatal(str(exc))
    return held


def _same_award(first: Held, again: Held) -> None:
    """Exit 2 when two records rows give one award id different specifications or learners."""
    one, other = first.award, again.award
    if (one.specification, one.learner.id) != (other.specification, other.learner.id):
        fatal(f"{first.source} and {again.source} both give award {one.award_id}, as {one.specification} "
              f"for learner {one.learner.id} and as {other.specification} for learner {other.learner.id}: "
              "one award id is one credential; correct the records so that each award has its own id")


def _held(files: Sequence[Path], catalogue: Catalogue, anchors: Sequence[x509.Certificate],
          fetch_revocation: bool, did_documents: dict[str, Any]) -> list[Held]:
    """Credential files, as a learner hands them in: they count only when their seal shows they
    are the institution's own (``stack.trust``). The bytes verified are the bytes read. Each is
    kept, whoever it is for: one of another learner is said to be so (``other-learner``)."""
    from edcbridge.stack import Held
    from edcbridge.stack.trust import held_file_problem, unchecked_status, validity_days
    from edcbridge.validation.document import NotACredential, with_source
    from edcbridge.xml.importer import NotImportable, import_all, read_credential_file

    held = []
    for path in files:
        if path.suffix.lower() in AWARD_SUFFIXES:
            fatal(f"{path}: records files (CSV, XLSX, JSON Lines) are the institution's own: give them "
                  "with --records; --held takes credential files")
        try:
            data = read_credential_file(path)
            _refuse_badge(data, path, did_documents)
            awards = import_all(data, str(path))  # a credential may claim several
        except (NotACredential, NotImportable, ValueError) as exc:
            fatal(with_source(path, exc))
        refused = held_file_problem(data, str(path), awards[0].catalogue, catalogue, anchors,
                                    fetch_revocation)
        caveat = None if refused else unchecked_status(data, fetch_revocation)
        for number, imported in enumerate(awards, start=1):
            place = "achievement" if imported.format.startswith("edc-xml") else "claim"
            source = f"{path} ({place} {number} of {len(awards)})" if len(awards) > 1 else str(path)
            held.append(Held(imported.award, imported.catalogue, source, refused, caveat,
                             *validity_days(imported.date_times)))
    return held


def _refuse_badge(data: bytes, path: Path, did_documents: dict[str, Any]) -> None:
    """Exit 2 for an Open Badge or CLR, saying what its proof shows: stack counts EDC credentials."""
    from edcbridge.badges.reader import as_badge, proof_status

    badge = as_badge(data)
    if badge is not None:
        fatal(f"{path}: an Open Badge 3.0 / CLR 2.0 credential, which stack does not count; "
              f"{proof_status(badge, did_documents)}; give the learner's EDC credential of the award "
              "(sealed JSON-LD or XML) with --held")


@click.command("stack")
@click.argument("target")
@click.option("--catalogue", "-c", required=True, type=_FILE, help="Catalogue of the larger award.")
@click.option("--held", "held_files", multiple=True, type=_FILE,
              help="Held credentials: sealed EDC files, JSON-LD or XML, as the learner hands them in "
                   "(repeatable).")
@click.option("--records", "record_files", multiple=True, type=_FILE,
              help="The institution's own awards files (CSV, XLSX, JSON Lines), trusted as they are "
                   "(repeatable).")
@click.option("--learner", help="Student number: only this learner's credentials count (needed when "
                                "the credentials given (--held or --records) belong to several "
                                "learners; a --held file of another learner is listed as such).")
@click.option("--rules", "rules_file", type=_FILE, help="Rules file (YAML/JSON) overriding the "
                                                        "catalogue's derived rules.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Date the credit currency is judged on (default: today, UTC).")
@click.option("--issue", "issue_dir", type=click.Path(path_type=Path, file_okay=False),
              callback=writable_folder,
              help="When satisfied, issue the larger credential into DIR/edc/ "
                   "(and DIR/edc-sealed/ with --seal).")
@click.option("--grade", help="Grade of the larger award, in the catalogue's primary language.")
@click.option("--award-id", help="Award id of the larger award (default: derived from the parts).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option("--trust-anchor", "anchor_files", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="CA certificate the seals of held credential files must chain to: a PEM or DER "
                   "file, or a folder of them (repeatable); the chain of --seal is trusted too.")
@click.option("--fetch-revocation", is_flag=True,
              help="Fetch the status lists held JSON-LD credentials name (and their JAdES seal "
                   "certificates' OCSP or CRL): a revoked credential, or one whose status list cannot "
                   "be fetched, does not count. Without it, an unchecked status list is said where the "
                   "credential counts; so is, with it, each EDC XML credential, whose revocation "
                   "cannot be checked.")
@did_document_option
@with_seal
@reading_options("--records files")
def stack(target: str, catalogue: Path, held_files: Sequence[Path], record_files: Sequence[Path],
          learner: str | None,
          rules_file: Path | None, as_of: dt.datetime | None, issue_dir: Path | None, grade: str | None,
          award_id: str | None, as_json: bool, anchor_files: Sequence[Path], fetch_revocation: bool,
          did_documents: dict[str, Any], seal_p12: Path | None, password_file: Path | None,
          encoding_name: str | None, column_values: tuple[str, ...], columns_file: Path | None) -> None:
    """Check held credentials against the stacking rule of TARGET (a specification code) and
    explain what counts, what is missing, past its credit currency (not counted, though it may count
    with further evidence of current knowledge), expired, not yet awarded, duplicate, already inside
    a larger credential counted, not allowed, awarded already or unverified. A credential file
    counts only when it is sealed by the catalogue's issuer, the seal valid and chaining to a
    trust anchor (--trust-anchor, or the chain of --seal); the institution's own awards files
    (--records) are trusted as they are. Exit 1 when the rule is not satisfied by the credits
    counted (credit that needs further evidence is not counted); when accepting that evidence
    would satisfy it, a "met with evidence" line says so, and --json gives "met_with_evidence":
    true."""
    from edcbridge.seal import SealError
    from edcbridge.stack import RuleError, check_stack, derive_rules, load_rules, rule_for
    from edcbridge.stack.trust import anchors_from

    encoding = awards_encoding(encoding_name)
    columns = awards_columns(column_values, columns_file)
    cat, _ = load_pairs((), catalogue)
    try:
        rules = load_rules(rules_file, cat) if rules_file else derive_rules(cat)
        rule = rule_for(target, rules, cat)
    except RuleError as exc:
        fatal(str(exc))
    key = seal_key(seal_p12, password_file)
    try:
        anchors = anchors_from(anchor_files, (key.certificate, *key.chain) if key is not None else ())
    except SealError as exc:
        fatal(f"--trust-anchor: {exc}")
    if not held_files and not record_files:
        fatal("give the learner's credentials with --held, the institution's records with --records, "
              "or both")
    held = [*_records(record_files, cat, learner, encoding, columns),
            *_held(held_files, cat, anchors, fetch_revocation, did_documents)]
    if not held:
        fatal("no held credentials" + (f" for learner {learner}" if learner else "")
               + "; check --held, --records and --learner")
    learners = sorted({h.award.learner.id for h in held})
    if learner is None and len(learners) > 1:
        fatal(f"the held credentials belong to {len(learners)} learners ({', '.join(learners[:5])}); "
               "choose one with --learner")
    today = dt.datetime.now(dt.UTC).date()
    day = as_of.date() if as_of else today
    if issue_dir is not None and day > today:
        fatal(f"--as-of {day} is after today ({today}): the larger award would be dated ahead; check "
              "a future date without --issue, or issue on or before today")
    result = check_stack(rule, held, cat, as_of=day, learner_id=learner)
    output: dict[str, Any] = result.as_dict()
    if result.satisfied and issue_dir is not None:
        output["issued"] = _issue(result, cat, issue_dir, day, grade, award_id, key)
    if as_json:
        click.echo(json.dumps(output, ensure_ascii=False, indent=2))
    else:
        for line in result.explanation:
            click.echo(line)
        for path in output.get("issued", []):
            click.echo(path)
    sys.exit(EXIT_OK if result.satisfied else EXIT_FAILED)


def _issue(result: Any, catalogue: Catalogue, out_dir: Path, day: dt.date, grade: str | None,
           award_id: str | None, key: SealKey | None) -> list[str]:
    from edcbridge import vocab
    from edcbridge.output import safe_name, serialise, serialise_payload, unassigned_in, write_atomic
    from edcbridge.schemas import default_store
    from edcbridge.stack import NotSatisfied, stacked_credential
    from edcbridge.validation import validate_credential

    language = vocab.concept("language", catalogue.primary_language).code
    try:
        doc = stacked_credential(result, catalogue, awarding_date=day, award_id=award_id,
                                 grade={language: grade} if grade else None)
    except NotSatisfied as exc:
        fatal(str(exc))
    store = default_store()
    missing = store.missing("jsonld")
    if missing:
        fatal(f"the schema store {store.root} lacks {len(missing)} files; run 'edcbridge schemas install'")
    report = validate_credential(doc, store, annex1=None)
    if not report.ok:
        for finding in report.findings:
            click.echo(finding.render(), err=True)
        fatal("the stacked credential does not pass the official shapes; nothing was issued")
    name = safe_name(catalogue.issuer, doc["identifier"]["notation"]) + ".jsonld"
    data = serialise(doc)
    written = [out_dir / "edc" / name]
    write_atomic(written[0], data)
    if key is not None:
        from edcbridge.seal import Sealer

        written.append(out_dir / "edc-sealed" / name)
        payload = serialise_payload(doc, unassigned_in(data.decode("utf-8")))
        write_atomic(written[1], Sealer(key).seal_serialised(payload))
    return [str(p) for p in written]


