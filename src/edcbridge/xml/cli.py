"""Click commands for XML and reading credentials back; add them with :func:`register`.

``inspect``, ``export-xml``, ``loq``, ``validate-xml`` and ``verify-xml``. Data goes to stdout,
messages for people to stderr; exit codes 0 (all good), 1 (some documents failed), 2 (usage
error or unusable input), as for every edcbridge command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from edcbridge.cli import (
    RECEIVED_FILE,
    awards_columns,
    awards_encoding,
    echo_report,
    quiet_option,
    reading_options,
    tsa_timeout_option,
    writable_folder,
)
from edcbridge.mapping.person_names import joined_name
from edcbridge.output import json_text, printable
from edcbridge.validation.findings import Finding, Report, seal_not_checked

if TYPE_CHECKING:
    from cryptography import x509

    from edcbridge.schemas import SchemaStore
    from edcbridge.seal.verify import Check, Outcome, QualifiedTsa, Status
    from edcbridge.trust.trusted_list import TrustService
    from edcbridge.xml.verify import XadesVerification
    from edcbridge.xml.xsd import Engine

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _fatal(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _store() -> SchemaStore:
    from edcbridge.schemas import default_store

    store = default_store()
    missing = store.missing("xml")
    if missing:
        _fatal(f"the schema store {store.root} lacks {len(missing)} XML schema files (e.g. {missing[0]}); "
               "run 'edcbridge schemas install --from DIR' or '--download'")
    return store


def _verifier(imported: Any) -> str:
    from edcbridge.seal.ebsi_verify import DID_JWT_FORM, DID_JWT_VERIFIER

    if imported.form == DID_JWT_FORM:
        return DID_JWT_VERIFIER
    return "verify" if imported.format == "edc-jsonld" else "verify-xml"


def _seal_note(imported: Any) -> str:
    """inspect reads, it does not verify: a signature is only said to be there."""
    if not imported.sealed:
        return ""
    return f"; signature present, not verified: run 'edcbridge {_verifier(imported)}'"


def _summary(imported: Any) -> list[str]:
    from edcbridge import vocab
    from edcbridge.model import pick

    award, catalogue = imported.award, imported.catalogue
    spec = catalogue.specification(award.specification)
    issuer = catalogue.organisation(catalogue.issuer)
    code = vocab.concept("language", award.language or catalogue.primary_language).code
    learner = award.learner
    name = joined_name(code, pick(learner.given_name, code), pick(learner.family_name, code))
    lines = [f"format:      {imported.format} ({imported.form}{_seal_note(imported)})",
             f"award:       {award.award_id}",
             f"learner:     {name} "
             f"(id {learner.id})",
             f"issuer:      {pick(issuer.legal_name, code)} ({issuer.eidas_identifier or 'no eIDAS id'})",
             f"awarded:     {award.awarding_date.isoformat()}, issued {award.issued_at().isoformat()}"]
    written = imported.date_times
    if written.get("validFrom"):
        lines.append(f"valid from:  {written['validFrom']}")
    if written.get("validUntil"):
        lines.append(f"valid until: {written['validUntil']}")
    elif award.valid_until:
        lines.append(f"valid until: {award.valid_until.isoformat()}")
    if spec is not None:
        lines.append(f"title:       {pick(spec.title, code)}")
        facts = []
        if spec.credits is not None:
            facts.append(f"{spec.credits} {'ECTS' if spec.ects is not None else 'credits'}")
        if spec.eqf is not None:
            facts.append(f"EQF {spec.eqf.number}")
        if spec.hours is not None:
            facts.append(f"{spec.hours} h")
        if facts:
            lines.append(f"             {', '.join(facts)}")
        lines.append(f"outcomes:    {len(spec.learning_outcomes)} learning outcome(s)")
    if award.grade:
        lines.append(f"grade:       {pick(award.grade, code)}")
    lines.extend(f"note:        {note}" for note in imported.notes)
    return lines


@click.command("inspect")
@click.argument("file", type=RECEIVED_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the internal model (award + catalogue) as JSON.")
def inspect_command(file: Path, as_json: bool) -> None:
    """Read a credential (EDC JSON-LD plain / upload wrapper / JAdES, or EDC XML 1.x) and summarise it.

    A file of an output folder that is no credential (a preview page, a report, a DID document,
    a LOQ record) is named as what it is, failing nothing (exit 0)."""
    from edcbridge.folder_files import FolderFile
    from edcbridge.validation.document import NotACredential, with_source
    from edcbridge.xml.importer import NotImportable, import_bytes
    from edcbridge.xml.safe import XmlInputError

    try:
        imported = import_bytes(_inspected_bytes(file), str(file))
    except FolderFile as exc:  # the result, on stdout, as verify and validate give it
        if as_json:
            click.echo(json_text({"source": str(file), "not_a_credential": exc.what}))
        else:
            click.echo(f"{printable(str(file))}: NOT A CREDENTIAL: {exc.what}. Nothing to inspect in it.")
        return
    except (NotACredential, NotImportable, XmlInputError) as exc:
        click.echo(f"error: {printable(with_source(file, exc))}", err=True)
        sys.exit(EXIT_FAILED)
    if as_json:
        read = imported.as_dict()  # the keys validate gives: a seal read is not a seal checked
        note = seal_not_checked("only read", _verifier(imported)) if imported.sealed else None
        click.echo(json_text({**read, "seal_checked": False, **({"seal_note": note} if note else {})}))
    else:
        for line in _summary(imported):  # names from the file: no escape sequence reaches a terminal
            click.echo(printable(line))


def _inspected_bytes(path: Path) -> bytes:
    """The bytes of the file ``inspect`` reads, as the importer reads a credential file (see
    :func:`edcbridge.xml.importer.read_credential_file`);
    FolderFile when its content (the first bytes, of a file too large) shows one an output folder
    holds beside the credentials."""
    from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem, unread_reason
    from edcbridge.folder_files import FolderFile, other_file
    from edcbridge.validation.document import NotACredential
    from edcbridge.xml.safe import MAX_BYTES, XmlInputError

    try:
        data = read_bounded(path, MAX_BYTES)
    except TooLarge as exc:
        what = other_file(exc.head)
        if what is not None:
            raise FolderFile(str(path), what) from None
        raise XmlInputError(too_large_problem(path, exc)) from None
    except OSError as exc:
        problem, fix = unread_reason(path, exc)
        raise NotACredential(f"{path}: {problem}: {fix}") from None
    what = other_file(data)
    if what is not None:
        raise FolderFile(str(path), what)
    return data


def _seal_options(func: Any) -> Any:
    options = [
        click.option("--p12", "--seal", "p12", type=_FILE, help="PKCS#12 seal (key + certificate + chain)."),
        click.option("--key", type=_FILE, help="Private key, PEM or DER (with --cert)."),
        click.option("--cert", type=_FILE, help="Certificate, PEM or DER, then its chain (with --key)."),
        click.option("--password-file", type=_FILE,
                     help="File holding the seal password (else $EDCBRIDGE_SEAL_PASSWORD)."),
        click.option("--tsa", "tsa_url", envvar="EDCBRIDGE_TSA_URL", metavar="URL",
                     help="RFC 3161 timestamp URL (else EDCBRIDGE_TSA_URL): seals at XAdES B-T (else B-B)."),
        tsa_timeout_option(),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command("export-xml")
@click.argument("awards", nargs=-1, required=True, type=_FILE)
@click.option("--catalogue", "-c", required=True, type=_FILE, help="Catalogue (YAML or JSON).")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              callback=writable_folder,
              help="Output folder: edc-xml/ goes here.")
@_seal_options
@reading_options()
@click.option("--quiet", "-q", is_flag=True, help="No losses or summary on stderr.")
def export_xml_command(awards: Sequence[Path], catalogue: Path, out_dir: Path, p12: Path | None,
                       key: Path | None, cert: Path | None, password_file: Path | None,
                       tsa_url: str | None, tsa_timeout: float, encoding_name: str | None,
                       column_values: tuple[str, ...], columns_file: Path | None, quiet: bool) -> None:
    """Export AWARDS as legacy EDC XML 1.2 (validated against genericschema_1.2.xsd), sealed with
    XAdES when a seal is given."""
    from edcbridge.load import CatalogueError, InputFileError, iter_awards, load_catalogue
    from edcbridge.schemas import SchemaStoreError
    from edcbridge.seal.errors import SealError
    from edcbridge.xml.export import check_issuer, load_xades_sealer, write_xml_credentials

    encoding = awards_encoding(encoding_name)
    columns = awards_columns(column_values, columns_file)
    store = _store()
    try:
        cat = load_catalogue(catalogue)
    except (CatalogueError, InputFileError) as exc:
        _fatal(f"{catalogue}: {exc}")
    sealer = None
    if p12 or key or cert:
        if (p12 and (key or cert)) or (not p12 and not (key and cert)):
            raise click.UsageError("give the seal as --p12 FILE, or as --key FILE with --cert FILE")
        try:
            sealer = load_xades_sealer(p12, key=key, cert=cert, password_file=password_file, tsa_url=tsa_url,
                                       tsa_timeout=tsa_timeout)
            check_issuer(sealer, cat)
        except SealError as exc:
            _fatal(str(exc))
    failed = 0
    for path in awards:
        try:
            rows = list(iter_awards(path, cat, encoding, columns))
        except InputFileError as exc:
            _fatal(str(exc))
        for row in rows:
            if row.award is None:
                failed += 1
                for error in row.errors:
                    click.echo(error.render(), err=True)
        valid = ((r.award, cat) for r in rows if r.award)
        try:
            outcomes = write_xml_credentials(valid, out_dir, store, sealer)
        except SchemaStoreError as exc:  # a schema that cannot be loaded (xsd.SchemaLoadError): no traceback
            _fatal(str(exc))
        for outcome in outcomes:
            if outcome.path is not None:
                click.echo(str(outcome.path))
            else:
                failed += 1
                for finding in outcome.errors:
                    click.echo(f"{outcome.award_id}: {finding.render()}", err=True)
        if not quiet and outcomes:
            losses = sorted({f.message for o in outcomes for f in o.losses})
            for message in losses:
                click.echo(f"not carried by EDC XML 1.2: {message}", err=True)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@click.command("loq")
@click.argument("catalogue", type=_FILE)
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              callback=writable_folder,
              help="Output folder: loq/ goes here.")
@quiet_option("notes of what LOQ cannot carry")
def loq_command(catalogue: Path, out_dir: Path, quiet: bool) -> None:
    """Export CATALOGUE as an ELM 3.2 LOQ document (validated against loq.xsd) for a register."""
    from edcbridge.load import CatalogueError, InputFileError, load_catalogue
    from edcbridge.schemas import SchemaStoreError
    from edcbridge.xml.export import write_loq

    try:
        cat = load_catalogue(catalogue)
    except (CatalogueError, InputFileError) as exc:
        _fatal(f"{catalogue}: {exc}")
    try:
        outcome = write_loq(cat, out_dir, _store())
    except SchemaStoreError as exc:
        _fatal(str(exc))
    for finding in outcome.findings:
        if not (quiet and finding.severity == "info"):
            click.echo(finding.render(), err=True)
    if outcome.path is None:
        sys.exit(EXIT_FAILED)
    click.echo(str(outcome.path))
    sys.exit(EXIT_FAILED if any(f.severity != "info" for f in outcome.findings) else EXIT_OK)


def validate_xml_file(path: Path, store: SchemaStore,
                      engines: tuple[Engine, ...] = ("lxml",)) -> Report:
    """A validation report for one XML document (EDC XML 1.x, LOQ, AMS) against its official XSD.

    For the main ``validate`` command: XML files go here, JSON-LD to the SHACL validation. A file
    an output folder holds beside the credentials (a preview page, a report; not a LOQ record)
    is named (``not_a_credential``), failing nothing. A document that cannot be read is a
    finding; a schema that cannot be loaded raises :class:`~edcbridge.schemas.SchemaStoreError`
    (``xsd.SchemaLoadError``), a problem of the store.
    """
    from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem, unread_reason
    from edcbridge.folder_files import other_file
    from edcbridge.xml.safe import looks_like_xml

    source = str(path)
    try:
        data = read_bounded(path)
    except OSError as exc:
        problem, fix = unread_reason(path, exc)
        return _xml_unread(source, f"{source}: {problem}", fix)
    except TooLarge as exc:
        what = other_file(exc.head, loq=False)
        if what is not None:
            return Report(source, sealed=False, not_a_credential=what)
        return _xml_unread(source, too_large_problem(source, exc))
    what = other_file(data, loq=False)  # a LOQ record is validated against loq.xsd
    if what is not None:  # as validate names it: SKIPPED, no failure
        return Report(source, sealed=False, not_a_credential=what)
    if data.strip() and not looks_like_xml(data):
        return _xml_unread(source, f"{source}: JSON or another form, not XML",
                           "validate an EDC JSON-LD credential with 'edcbridge validate'")
    return validate_xml_bytes(data, source, store, engines)


def validate_xml_bytes(data: bytes, source: str, store: SchemaStore,
                       engines: tuple[Engine, ...] = ("lxml",)) -> Report:
    """:func:`validate_xml_file` of a file's bytes, read once by the caller."""
    from edcbridge.xml import xades, xsd
    from edcbridge.xml.safe import XmlInputError, parse_bytes

    report = Report(source, verifier="verify-xml")
    try:
        tree = parse_bytes(data, source=source)
    except XmlInputError as exc:
        report.extend("xml", [Finding("xml-input", "error", "/", str(exc))])
        return report
    report.extend("xsd", xsd.findings(tree, store, engines))
    report.sealed = bool(xades.signatures(tree))
    return report


def _xml_unread(source: str, problem: str, fix: str = "") -> Report:
    """The report of a file no XML document could be read from."""
    report = Report(source, verifier="verify-xml")
    report.extend("xml", [Finding("xml-input", "error", "/", problem, fix)])
    return report


@click.command("validate-xml")
@click.argument("files", nargs=-1, required=True, type=RECEIVED_FILE)
@click.option("--engine", type=click.Choice(["lxml", "xmlschema", "both"]), default="lxml",
              show_default=True, help="XSD engine (both: two independent engines).")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON on stdout.")
def validate_xml_command(files: Sequence[Path], engine: str, as_json: bool) -> None:
    """Validate EDC XML 1.x, LOQ or AMS documents against the official XSD named by their schemaLocation.

    A file of an output folder that is no credential (a preview page, a report, a DID document)
    is SKIPPED, failing nothing; a LOQ record is checked against loq.xsd."""
    from edcbridge.schemas import SchemaStoreError

    store = _store()
    engines: tuple[Engine, ...] = ("lxml", "xmlschema") if engine == "both" else \
        (("lxml",) if engine == "lxml" else ("xmlschema",))
    try:
        reports = [validate_xml_file(path, store, engines) for path in files]
    except SchemaStoreError as exc:  # the store, not the documents: one line, exit 2, no traceback
        _fatal(str(exc))
    if as_json:
        click.echo(json_text([r.as_dict() for r in reports]))
    else:
        for report in reports:  # as validate gives an XML file: the line, then its findings, on stdout
            echo_report(Path(report.source), report)
    sys.exit(EXIT_OK if all(r.ok for r in reports) else EXIT_FAILED)


def _trusted_list_options(command: Callable[..., None]) -> Callable[..., None]:
    from edcbridge.seal.cli import trusted_list_options

    return trusted_list_options(command)


@click.command("verify-xml")
@click.argument("files", nargs=-1, required=True, type=RECEIVED_FILE)
@click.option("--trust-anchor", "anchors", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="CA certificate(s) the seal certificate must chain to: a PEM file (one or more "
                   "certificates), a DER file, or a folder of them (repeatable).")
@click.option("--require-trust", is_flag=True, help="Fail SEAL when no trust anchor is configured.")
@_trusted_list_options
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON list on stdout: an object per file with its verdict and checks.")
def verify_xml_command(files: Sequence[Path], anchors: Sequence[Path], require_trust: bool,
                       trusted_lists: Sequence[str], tl_signers: Sequence[Path], lotl_signers: Sequence[Path],
                       as_json: bool) -> None:
    """Verify the XAdES seal of EDC XML documents (core validity, signed certificate, timestamps,
    certificate validity).

    Each file gets a verdict: VALID, UNCONFIRMED (intact, no trust anchor given), CHECK, INVALID,
    NOT SEALED or UNREADABLE; a file of an output folder that is no credential (a preview page, a
    report, a DID document, a LOQ record) is NOT A CREDENTIAL, which fails nothing. Exit status 0
    when no check of any file is ERROR, 1 otherwise, 2 for a usage error (a missing file, an
    unreadable anchor)."""
    from edcbridge.seal.cli import anchor_notes, judged_with_lists, read_trust_anchors, read_trusted_lists
    from edcbridge.seal.verify import summary_line

    trusted = read_trust_anchors(anchors)
    services = read_trusted_lists(trusted_lists, tl_signers, lotl_signers)
    for note in anchor_notes(trusted):
        click.echo(f"note: {note}", err=True)
    reports: list[XadesReport] = []
    stamps_from = _qualified_tsa(services)
    for path in files:  # each verdict as soon as it is known: a long batch shows its progress
        reports.append(judged_with_lists(_xml_judge(path, trusted, require_trust, stamps_from), services))
        if not as_json:
            reports[-1].print()
    if as_json:
        click.echo(json_text([report.as_dict() for report in reports]))
    elif len(reports) > 1:
        click.echo(summary_line([report.outcome.verdict for report in reports]))
    sys.exit(EXIT_OK if all(report.outcome.passed for report in reports) else EXIT_FAILED)


def _qualified_tsa(services: list[TrustService] | None) -> QualifiedTsa | None:
    """The lists' qualified timestamp services, trusted for timestamps (None without lists)."""
    if not services:
        return None
    from edcbridge.trust.anchoring import qualified_tsa

    return qualified_tsa(services)


def _xml_judge(path: Path, trusted: tuple[Any, ...], require_trust: bool, stamps_from: QualifiedTsa | None
               ) -> Callable[[tuple[Any, ...]], XadesReport]:
    """The report of *path* with more anchors, the file read at the first call only."""
    from edcbridge.xml.verify import verify_bytes, verify_read

    read: list[bytes] = []

    def judge(extra: tuple[Any, ...]) -> XadesReport:
        anchors = (*trusted, *extra)
        if read:
            data, result = read[0], verify_bytes(read[0], str(path), anchors, require_trust=require_trust,
                                                 qualified_tsa=stamps_from)
        else:
            data, result = verify_read(path, anchors, require_trust=require_trust, qualified_tsa=stamps_from)
            read.append(data)
        return _xades_report(path, data, result, bool(anchors))

    return judge


def xades_file_report(path: Path, data: bytes, trusted: tuple[Any, ...], *, require_trust: bool,
                      require_revocation: bool,
                      format_check: Callable[[bytes, str], Check] | None = None,
                      qualified_tsa: QualifiedTsa | None = None) -> XadesReport:
    """What ``verify`` gives an XML file (its bytes as read): the report verify-xml gives it, with
    FORMAT (the official XSD) checked by *format_check* and verify's words for REVOCATION, which
    is not checked for XAdES seals: an ERROR with --require-revocation, as verify makes any
    revocation status not established."""
    from edcbridge.xml.verify import verify_bytes

    result = verify_bytes(data, str(path), trusted, require_trust=require_trust, qualified_tsa=qualified_tsa)
    if result.certificate is not None:
        result.checks["FORMAT"] = format_check(data, str(path)) if format_check else \
            _check("SKIPPED", "no format check configured")
        result.checks["REVOCATION"] = _xades_revocation(require_revocation)
    return _xades_report(path, data, result, bool(trusted))


def _check(status: Status, reason: str) -> Check:
    from edcbridge.seal.verify import Check

    return Check(status, reason)


def _xades_revocation(required: bool) -> Check:
    """verify's REVOCATION of an XAdES seal, whose certificate's status is not asked."""
    if required:
        return _check("ERROR", "not established: whether the certificate of an XAdES seal was revoked "
                               "is not checked, and --require-revocation asks for it")
    return _check("SKIPPED", "not checked: whether the certificate of an XAdES seal was revoked is not "
                             "asked (--fetch-revocation reaches JAdES seals only)")


# the checks verify-xml lists for each file, in its order
XADES_CHECKS = ("SEAL", "CERTIFICATE", "TIMESTAMP", "EXPIRY", "FORMAT", "REVOCATION")
# what verify-xml does not check, said as SKIPPED rows in the EDC verifier's terms
_NOT_CHECKED = {
    "FORMAT": "not checked by verify-xml: run 'edcbridge validate-xml' for the official XSD",
    "REVOCATION": "not checked: verify-xml does not ask whether the seal certificate was revoked",
}


def _check_order(name: str) -> int:
    return XADES_CHECKS.index(name) if name in XADES_CHECKS else len(XADES_CHECKS)


@dataclass(frozen=True)
class XadesReport:
    """One XML file's verification as printed: the verdict line, then each check."""

    path: Path
    result: XadesVerification
    outcome: Outcome
    note: str | None = None  # a seal made by another organisation than the issuer

    def checks(self) -> dict[str, dict[str, str]]:
        """Every check, in one order for every file (as verify lists its five): those not run on a
        file that holds no readable seal are SKIPPED with that reason."""
        checks = {name: check.as_dict() for name, check in self.result.checks.items()}
        if self.result.certificate is None:
            unread = {"status": "SKIPPED", "reason": "not a readable XAdES seal"}
            every = {**checks, **{name: unread for name in XADES_CHECKS if name not in checks}}
        else:
            every = {**checks, **{name: {"status": "SKIPPED", "reason": reason}
                                  for name, reason in _NOT_CHECKED.items() if name not in checks}}
        return {name: every[name] for name in sorted(every, key=_check_order)}

    def as_dict(self) -> dict[str, object]:
        from edcbridge.seal.verify import marked_for_tests, sealer_name

        return {**self.result.as_dict(), "file": str(self.path), "verdict": self.outcome.verdict,
                "verdict_reason": self.outcome.sentence, "sealed_by": sealer_name(self.result.certificate),
                "test_certificate": marked_for_tests(self.result.certificate) or None,
                "checks": self.checks(), **({"note": self.note} if self.note else {})}

    def print(self) -> None:
        from edcbridge.seal.verify import shown

        level = f" (XAdES {self.result.level})" if self.result.level else ""
        click.echo(f"{printable(str(self.path))}: {self.outcome.verdict}{level}: {self.outcome.sentence}")
        for name, check in self.checks().items():
            click.echo(f"  {name:<11} {check['status']:<7} {shown(check['reason'])}")


# verify_tree's SEAL reason for a document that carries no signature at all
_NO_SIGNATURE = "has no ds:Signature"


def _xades_report(path: Path, data: bytes, result: XadesVerification, anchored: bool) -> XadesReport:
    """The verdict: on the seal when one could be read; else what the file (its bytes as read)
    is (an unsealed credential, JSON, a PDF...), a refused seal structure staying INVALID."""
    from edcbridge.folder_files import other_file
    from edcbridge.seal.sealer import certificate_identity, issuer_names
    from edcbridge.seal.verify import (
        joined_notes,
        marked_for_tests,
        not_read_outcome,
        seal_outcome,
        sealer_identifier,
        sealer_name,
        unread_outcome,
        unreadable_outcome,
    )

    what = other_file(data) if data and result.certificate is None else None
    if what is not None:  # a preview page, a report, a LOQ record...: named as verify names it
        return _not_a_credential(path, what)
    if result.certificate is not None:
        certificate = result.certificate
        issuer = _issuer(data, str(path), result)
        note = _sealed_by_another(certificate, issuer)
        names = issuer_names({"issuer": issuer}, certificate_identity(certificate).legal_name)
        outcome = seal_outcome(result.checks, anchored=anchored, sealer=sealer_name(certificate),
                               note=joined_notes(result.unsigned_note(), note),
                               test=marked_for_tests(certificate), identifier=sealer_identifier(certificate),
                               issuer=names)
        return XadesReport(path, result, outcome, note)
    head = data[:64].removeprefix(b"\xef\xbb\xbf").lstrip()
    reason = result.checks["SEAL"].reason
    expected = "a sealed EDC XML credential"
    if result.not_read:
        outcome = not_read_outcome(result.not_read)
    elif head.startswith((b"{", b"[")):
        outcome = unread_outcome(head, unsealed=False, expected=expected, other_command="verify")
    elif _NO_SIGNATURE in reason:
        outcome = unread_outcome(head, unsealed=True, expected=expected)
    elif result.unreadable and head.startswith(b"<"):
        outcome = unreadable_outcome(result.unreadable)
    elif head.startswith(b"<"):  # XML holding a signature this verifier refuses
        outcome = seal_outcome(result.checks, anchored=False, sealer=None)
    else:
        outcome = unread_outcome(head, unsealed=False, expected=expected)
    return XadesReport(path, result, outcome)


def _not_a_credential(path: Path, what: str) -> XadesReport:
    """The report of a file an output folder holds beside the credentials (the first bytes tell,
    also of a file too large to read): every check SKIPPED, NOT A CREDENTIAL, no failure."""
    from edcbridge.seal.verify import not_a_credential
    from edcbridge.xml.verify import XadesVerification

    _, outcome = not_a_credential(what)
    skipped = _check("SKIPPED", "not a credential")
    return XadesReport(path, XadesVerification(str(path), {name: skipped for name in XADES_CHECKS}), outcome)


def _issuer(data: bytes, source: str, result: XadesVerification) -> dict[str, object] | None:
    """The issuer the XML credential names, in the JSON-LD form the comparison with the seal
    certificate reads (legal names, and the eIDAS identifier when given); None when the seal does
    not hold or the model cannot read the credential."""
    from edcbridge.validation.document import NotACredential
    from edcbridge.xml.importer import NotImportable, import_bytes
    from edcbridge.xml.safe import XmlInputError

    if result.certificate is None or result.checks["SEAL"].status != "OK":
        return None
    try:
        imported = import_bytes(data, source)
    except (NotACredential, NotImportable, XmlInputError):
        return None  # the seal is judged; a credential the model cannot read names no issuer here
    organisation = imported.catalogue.organisation(imported.catalogue.issuer)
    issuer: dict[str, object] = {"legalName": dict(organisation.legal_name)}
    if organisation.eidas_identifier:
        issuer["eIDASIdentifier"] = {"notation": organisation.eidas_identifier}
    return issuer


def _sealed_by_another(certificate: x509.Certificate, issuer: dict[str, object] | None) -> str | None:
    """As verify and the preview say of a sound seal made by another organisation than the issuer
    the credential names (compared as for JSON-LD: legal names, and eIDAS identifiers when given)."""
    from edcbridge.seal.sealer import certificate_identity
    from edcbridge.seal.verify import sealed_by_another
    from edcbridge.sealing import issuer_mismatch

    if issuer is None:
        return None
    problem = issuer_mismatch(lambda: certificate_identity(certificate), {"issuer": issuer})
    return sealed_by_another(problem) if problem else None


def register(group: click.Group) -> None:
    """Add the XML and import commands to *group* (the ``edcbridge`` command group)."""
    for command in (inspect_command, export_xml_command, loq_command, validate_xml_command,
                    verify_xml_command):
        group.add_command(command)
