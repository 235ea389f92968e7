"""Click commands `verify`, `seal` and `dev-pki`; add them to a group with :func:`register`."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import click
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem, unread_reason
from edcbridge.cli import RECEIVED_FILE, quiet_option, tsa_timeout_option
from edcbridge.in_order import in_order, processes_for
from edcbridge.load.cell_text import NONCHARACTERS
from edcbridge.output import json_escape, json_text, printable, unassigned_in
from edcbridge.seal import devpki, keys, revocation
from edcbridge.seal.batch import TSA_REQUESTS_AT_ONCE, Staged, remove_left_behind, sealed_each
from edcbridge.seal.certs import LISTS_UNCHECKED
from edcbridge.seal.errors import PasswordError, SealError, SealFormatError
from edcbridge.seal.jades import ALGORITHMS
from edcbridge.seal.sealer import IssuerIdentity, Level, Sealer, certificate_identity, issuer_names
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.verify import (
    CHECKS,
    Check,
    FormatCheck,
    Outcome,
    Verdict,
    Verification,
    VerifyOptions,
    XmlFormatCheck,
    joined_notes,
    load_trust_anchors,
    marked_for_tests,
    not_a_credential,
    not_read_outcome,
    read_for_verification,
    seal_outcome,
    sealed_by_another,
    sealer_identifier,
    sealer_name,
    shown,
    summary_line,
    unread_outcome,
    unreadable_outcome,
    unsigned_note,
    verify_document,
)

if TYPE_CHECKING:
    from edcbridge.badges.reader import ProofReading
    from edcbridge.seal.ebsi_verify import DidKey, JwtReport
    from edcbridge.trust.anchoring import Basis
    from edcbridge.trust.trusted_list import TrustService
    from edcbridge.xml.cli import XadesReport
    from edcbridge.xml.verify import XadesVerification

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


# (the certificate's organisation, read when asked; credential text) -> how they differ
IssuerCheck = Callable[[Callable[[], IssuerIdentity], str], str | None]


def make_verify_command(format_check: FormatCheck | None = None,
                        issuer_check: IssuerCheck | None = None,
                        xml_format_check: XmlFormatCheck | None = None) -> click.Command:
    """`verify FILE...`; *format_check* runs on each unwrapped credential (FORMAT), and
    *xml_format_check* on each XAdES-sealed XML one; *issuer_check* notes a seal made by another
    organisation than the credential's issuer."""
    @click.command("verify")
    @click.argument("files", nargs=-1, required=True, type=RECEIVED_FILE)
    @click.option("--json", "as_json", is_flag=True,
                  help="Print one JSON list on stdout: an object per file with its verdict and checks.")
    @click.option(
        "--trust-anchor",
        "anchors",
        multiple=True,
        type=ANCHOR_PATH,
        help="CA certificate(s) to trust for seals and timestamps: a PEM file (one or more "
             "certificates), a DER file, or a folder of them (repeatable).",
    )
    @click.option("--require-trust", is_flag=True, help="Fail SEAL when no trust anchor is configured.")
    @trusted_list_options
    @click.option("--did-document", "did_document_files", multiple=True, type=_FILE, metavar="FILE",
                  help="A DID document (JSON, e.g. a did:web's did.json saved from its https address) "
                       "holding the keys of JWT-signed credentials (the EBSI profile's .jwt, by their "
                       "kid) and of Open Badge and CLR Data Integrity proofs; never fetched (repeatable).")
    @click.option(
        "--fetch-revocation",
        is_flag=True,
        help="Ask the certificate's OCSP responders (else download its CRLs) when no embedded "
             "revocation data is current, and check the credential's status lists; only for "
             "JAdES seals that chain to a --trust-anchor (not XAdES-sealed XML).",
    )
    @click.option(
        "--require-revocation",
        is_flag=True,
        help="Fail REVOCATION when the seal certificate's status, or the credential's status "
             "lists, cannot be established (hard fail; the default reports them SKIPPED).",
    )
    @click.option("--workers", "-j", type=click.IntRange(1, 64), default=None,
                  help="Processes verifying files at once (default: one per core, at most 8; the files "
                       "are reported in the order given).")
    def verify(
        files: Sequence[Path],
        as_json: bool,
        anchors: Sequence[Path],
        require_trust: bool,
        trusted_lists: Sequence[str],
        tl_signers: Sequence[Path],
        lotl_signers: Sequence[Path],
        did_document_files: Sequence[Path],
        fetch_revocation: bool,
        require_revocation: bool,
        workers: int | None,
    ) -> None:
        """Verify JAdES-sealed credentials: SEAL, TIMESTAMP, FORMAT, EXPIRY, REVOCATION; an XML
        file (XAdES-sealed EDC XML) is checked as verify-xml checks it, a JWT of the EBSI profile
        (.jwt) against the keys of the --did-document files, an Open Badge or CLR (.json, or VC-JWT
        .jwt) by its proof or signature (a VC-JWT's x5c seal certificate chained as a JAdES seal's).

        Each file gets a verdict: VALID, UNCONFIRMED (intact, no trust anchor given), CHECK,
        INVALID, NOT SEALED or UNREADABLE; a file of an output folder that is no credential (a
        preview page, a report, a DID document, a LOQ record) is NOT A CREDENTIAL, which fails
        nothing. Exit status 0 when no check of any file is ERROR,
        1 otherwise, 2 for a usage error (a missing file, an unreadable anchor).
        """
        trusted = read_trust_anchors(anchors)
        services = read_trusted_lists(trusted_lists, tl_signers, lotl_signers)
        _option_notes(trusted, fetch_revocation=fetch_revocation, require_revocation=require_revocation,
                      listed=bool(services))
        options = VerifyOptions(
            trust_anchors=trusted,
            require_trust=require_trust,
            fetch_revocation=fetch_revocation,
            require_revocation=require_revocation,
            format_check=format_check,
            xml_format_check=xml_format_check,
        )
        did_documents, did_keys = _read_did_documents(did_document_files)
        entries: list[dict[str, object]] = []  # for --json; in text, no report outlives its lines
        verdicts: list[Verdict] = []
        passed, xades = True, 0
        said = functools.partial(_said, options=options, services=services, issuer_check=issuer_check,
                                 did_documents=did_documents, did_keys=did_keys, as_json=as_json)
        # each verdict as soon as it is known (a long batch shows its progress), in the order given
        for report in in_order(said, files, processes_for(workers, len(files), forked_only=True)):
            verdicts.append(report.verdict)
            passed = passed and report.passed
            xades += report.xades
            if report.entry is not None:
                entries.append(report.entry)
            else:
                click.echo(report.text, nl=False)
        if fetch_revocation:
            _note_xades_revocation(xades)
        if as_json:
            click.echo(json_text(entries))
        elif len(verdicts) > 1:
            click.echo(summary_line(verdicts))
        if not passed:
            sys.exit(1)

    return verify


ANCHOR_PATH = click.Path(exists=True, path_type=Path)
_Command = TypeVar("_Command", bound=Callable[..., Any])


def trusted_list_options(command: _Command) -> _Command:
    """``--trusted-list``, ``--tl-signer`` and ``--lotl-signer``, as verify and verify-xml take them."""
    options = (
        click.option("--trusted-list", "trusted_lists", multiple=True, metavar="SOURCE",
                     help="An EU trusted list (ETSI TS 119 612) or the List of Trusted Lists, as a file "
                          "or an https URL: its qualified CAs granted for e-seals at the signing time "
                          "become trust anchors; the LOTL's national lists are fetched (repeatable)."),
        click.option("--tl-signer", "tl_signers", multiple=True, type=ANCHOR_PATH, metavar="CERT",
                     help="Certificate a --trusted-list national list must be signed with (repeatable)."),
        click.option("--lotl-signer", "lotl_signers", multiple=True, type=ANCHOR_PATH, metavar="CERT",
                     help="Certificate the List of Trusted Lists must be signed with, as the Official "
                          "Journal of the EU publishes them (repeatable)."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def read_trust_anchors(paths: Sequence[Path]) -> tuple[x509.Certificate, ...]:
    """:func:`load_trust_anchors`, a file or folder that cannot be read being a usage error (exit 2)."""
    try:
        return load_trust_anchors(paths)
    except SealFormatError as exc:
        raise click.BadParameter(str(exc), param_hint="--trust-anchor") from exc


def read_trusted_lists(sources: Sequence[str], tl_signers: Sequence[Path],
                        lotl_signers: Sequence[Path]) -> list[TrustService] | None:
    """The services of the lists named (None without ``--trusted-list``), their notes said on
    stderr; a list that cannot be read or whose signature fails is a usage error."""
    if not sources:
        return None
    from edcbridge.trust.lotl import Signers, load
    from edcbridge.trust.trusted_list import TrustedListError

    signers = Signers(lotl=_pinned(lotl_signers, "--lotl-signer"), tl=_pinned(tl_signers, "--tl-signer"))
    try:
        loaded = load(sources, signers)
    except TrustedListError as exc:
        raise click.BadParameter(str(exc), param_hint="--trusted-list") from None
    for note in loaded.notes:
        click.echo(f"note: {note}", err=True)
    return loaded.services


def _pinned(paths: Sequence[Path], option: str) -> tuple[x509.Certificate, ...]:
    try:
        return load_trust_anchors(paths)
    except SealFormatError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc


def _signing_moment(result: Verification | XadesVerification) -> tuple[datetime, Basis]:
    """When the trusted lists' statuses are judged: the time the seal's signature timestamp
    proves, else now. Never at the signing time the seal claims, which the signer chooses: as
    for the chain, back-dating it would revive a CA withdrawn since."""
    if result.proven_time is not None:
        return result.proven_time, "proven"
    return datetime.now(UTC), "verification"


def _verified_listed(path: Path, options: VerifyOptions, services: list[TrustService] | None,
                     issuer_check: IssuerCheck | None, did_documents: Mapping[str, Any],
                     did_keys: Mapping[str, DidKey]) -> _Report | XadesReport | JwtReport:
    """:func:`_verified`, with the trusted lists' services as more anchors (see :func:`judged_with_lists`)
    and their qualified timestamp services trusted for timestamps."""
    if services:
        from edcbridge.trust.anchoring import qualified_tsa

        options = replace(options, qualified_tsa=qualified_tsa(services))

    def judge(extra: tuple[x509.Certificate, ...]) -> _Report | XadesReport | JwtReport:
        more = replace(options, trust_anchors=(*options.trust_anchors, *extra))
        return _verified(path, more, issuer_check, did_documents, did_keys)

    return judged_with_lists(judge, services)


_Judged = TypeVar("_Judged", "_Report | XadesReport | JwtReport", "XadesReport")


def judged_with_lists(judge: Callable[[tuple[x509.Certificate, ...]], _Judged],
                      services: list[TrustService] | None) -> _Judged:
    """The report *judge* gives with the trusted lists' services as anchors beside the others:
    those granted for e-seals at the seal's signing time, and a TRUSTLIST line naming the service
    its chain ends at. *judge* verifies the file with the extra anchors it is given."""
    from edcbridge.trust.anchoring import CHECK_NAME, anchors_at, anchors_listed, listed_check
    from edcbridge.xml.verify import XadesVerification

    if not services:  # no list, or none authenticated (a note said so)
        return judge(())
    listed = anchors_listed(services)
    report = judge(listed)
    result = report.result
    if not isinstance(result, Verification | XadesVerification) or result.certificate is None:
        return report
    moment, basis = _signing_moment(result)
    found = result.anchor  # where the chain ends among all CA/QC services, whatever their status
    granted = anchors_at(services, moment)
    if set(granted) != set(listed):  # a service not granted then gives no anchor
        report = judge(granted)
        result = report.result
    if not isinstance(result, Verification | XadesVerification) or result.certificate is None:
        return report
    check, result.listed = listed_check(result.certificate, result.anchor, services, moment, basis=basis,
                                        listed=found)
    result.checks[CHECK_NAME] = check
    seal = result.checks["SEAL"]
    result.checks["SEAL"] = Check(seal.status, seal.reason.replace(LISTS_UNCHECKED, ""))
    return _unlisted(report) if check.status == "ERROR" else report


_NOT_A_SERVICE = Outcome("INVALID", "the seal is intact, but the trusted lists name its issuer as no trust "
                                    "service for e-seals at the signing time (see the TRUSTLIST line): do "
                                    "not rely on this credential.")


def _unlisted(report: _Judged) -> _Judged:
    """A report whose TRUSTLIST is an ERROR: UNCONFIRMED (no list service was granted then, so no
    anchor was left to judge the chain by) becomes INVALID, as a seal chaining to no anchor is."""
    if report.outcome.verdict != "UNCONFIRMED":
        return report
    return replace(report, outcome=_NOT_A_SERVICE)


def anchor_notes(anchors: Sequence[x509.Certificate], now: datetime | None = None) -> list[str]:
    """What a reader should know about the anchors given: one that is no CA trusts only seals
    made with that very certificate; one outside its validity trusts only what a timestamp
    proves was sealed while it was valid."""
    moment = now or datetime.now(UTC)
    notes = []
    for cert in anchors:
        name = f"trust anchor '{shown(cert.subject.rfc4514_string())}'"
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            notes.append(f"{name} is not a CA certificate: it confirms only seals made with that very "
                         "certificate; give the issuer's CA certificate to confirm all its seals")
        if cert.not_valid_after_utc < moment:
            notes.append(f"{name} expired on {cert.not_valid_after_utc:%Y-%m-%d}: it confirms only seals "
                         "a trusted timestamp proves were made before; get its successor")
        elif cert.not_valid_before_utc > moment:
            notes.append(f"{name} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}")
    return notes


def _option_notes(anchors: Sequence[x509.Certificate], *, fetch_revocation: bool,
                  require_revocation: bool, listed: bool = False) -> None:
    """Say on stderr, once, where the options given cannot do what they seem to promise; *listed*:
    trusted lists give anchors too."""
    notes = anchor_notes(anchors)
    if fetch_revocation and not anchors and not listed:
        notes.append("--fetch-revocation checks online only seals that chain to a --trust-anchor "
                     "(an untrusted certificate's links are not followed): give one")
    if require_revocation and not fetch_revocation:
        notes.append("--require-revocation without --fetch-revocation: a seal that carries no current "
                     "revocation data fails REVOCATION")
    for note in notes:
        click.echo(f"note: {note}", err=True)


@dataclass(frozen=True)
class _Said:
    """What ``verify`` says of one file, made where it was verified (a worker process: the
    reports hold certificates, which cannot travel between processes): its lines, or its
    ``--json`` entry."""

    verdict: Verdict
    passed: bool
    xades: bool
    text: str
    entry: dict[str, object] | None


def _said(path: Path, *, options: VerifyOptions, services: list[TrustService] | None,
          issuer_check: IssuerCheck | None, did_documents: Mapping[str, Any],
          did_keys: Mapping[str, DidKey], as_json: bool) -> _Said:
    report = _verified_listed(path, options, services, issuer_check, did_documents, did_keys)
    text = io.StringIO()
    if not as_json:
        with contextlib.redirect_stdout(text):
            report.print()
    return _Said(report.outcome.verdict, report.outcome.passed, _xades_sealed(report), text.getvalue(),
                 report.as_dict() if as_json else None)


def _xades_sealed(report: _Report | XadesReport | JwtReport) -> bool:
    """Whether the report is of an XML file whose XAdES seal was read."""
    from edcbridge.xml.cli import XadesReport

    return isinstance(report, XadesReport) and report.result.certificate is not None


def _note_xades_revocation(xades: int) -> None:
    """Say on stderr that --fetch-revocation reached none of the *xades* XAdES seals checked."""
    if xades:
        click.echo(f"note: --fetch-revocation does not reach XAdES seals: whether the certificates of "
                   f"the {xades} XML file(s) sealed with XAdES were revoked was not checked (their "
                   "REVOCATION is SKIPPED; --require-revocation makes it an ERROR)", err=True)


@dataclass(frozen=True)
class _Report:
    """One file's verification as printed: the verdict line, then each check."""

    path: Path
    result: Verification
    outcome: Outcome
    note: str | None

    def as_dict(self) -> dict[str, object]:
        """The keys verify-xml writes too, "source" as validate and preview name the file."""
        certificate, signed = self.result.certificate, self.result.signing_time
        return {"source": str(self.path), "file": str(self.path), "verdict": self.outcome.verdict,
                "ok": self.outcome.passed,
                "signing_time": signed.strftime("%Y-%m-%dT%H:%M:%SZ") if signed else None,
                "certificate": certificate.subject.rfc4514_string() if certificate else None,
                "verdict_reason": self.outcome.sentence, "sealed_by": sealer_name(self.result.certificate),
                "test_certificate": marked_for_tests(self.result.certificate) or None,
                "checks": self.result.as_dict(), "unsigned_content": self.result.unsigned_content,
                **({"trusted_list": self.result.listed} if self.result.listed else {}),
                **({"note": self.note} if self.note else {})}

    def print(self) -> None:
        click.echo(f"{printable(str(self.path))}: {self.outcome.verdict}: {self.outcome.sentence}")
        for name in (*CHECKS, *(n for n in self.result.checks if n not in CHECKS)):
            check = self.result.checks[name]
            click.echo(f"  {name:<10} {check.status:<7} {shown(check.reason)}")
        if self.note:
            click.echo(f"  note: {shown(self.note)}")


def _read_did_documents(paths: Sequence[Path]) -> tuple[dict[str, Any], Mapping[str, DidKey]]:
    """The ``--did-document`` files, each read once: the documents by their DID (for Open Badge and
    CLR proofs) and their keys by id (for JWTs of the EBSI profile); a file that is no DID document
    is a usage error."""
    if not paths:
        return {}, {}
    from edcbridge.did_documents import DidDocumentError, by_did, read_did_document_files
    from edcbridge.seal.ebsi_verify import did_keys

    try:
        files = read_did_document_files(paths)
    except DidDocumentError as exc:
        raise click.BadParameter(str(exc), param_hint="--did-document") from None
    return by_did(files), did_keys(files)


def _verified(path: Path, options: VerifyOptions, issuer_check: IssuerCheck | None,
              did_documents: Mapping[str, Any], did_keys: Mapping[str, DidKey]
              ) -> _Report | XadesReport | JwtReport:
    """One file's report, the file read once and judged by its content: XML (an EDC XML credential,
    XAdES-sealed) as verify-xml checks it, a JWT signed with a DID's key against the DID documents' keys,
    anything else as JAdES."""
    from edcbridge.folder_files import other_file
    from edcbridge.seal.ebsi_verify import is_did_signed_jws, jwt_file_report
    from edcbridge.xml.safe import looks_like_xml

    data, unread = read_for_verification(path)
    what = other_file(data) if data else None  # the first bytes tell, also of a file too large
    if what is not None:
        result, outcome = not_a_credential(what)
        return _Report(path, result, outcome, None)
    if unread is None and is_did_signed_jws(data):
        return _naming_not_finite(jwt_file_report(path, data, did_keys, options.format_check), data)
    if unread is None and looks_like_xml(data):
        from edcbridge.xml.cli import xades_file_report

        return xades_file_report(path, data, options.trust_anchors, require_trust=options.require_trust,
                                 require_revocation=options.require_revocation,
                                 format_check=options.xml_format_check, qualified_tsa=options.qualified_tsa)
    badge_jwt = None if unread else _badge_jwt_report(path, data, options, did_documents)
    if badge_jwt is not None:
        return _naming_not_finite(badge_jwt, data)
    result = unread or verify_document(data, options)
    return _jades_report(path, data, result, bool(options.trust_anchors), issuer_check, did_documents)


_R = TypeVar("_R", "_Report", "JwtReport")


def _naming_not_finite(report: _R, data: bytes) -> _R:
    """A JWT without a valid signature whose payload holds NaN or Infinity (or 1e999): its verdict
    names the value's path, as that of an unsealed JSON credential does, whatever else it says."""
    problem = _jws_not_finite(data)
    if problem is None or report.outcome.verdict == "VALID" or problem.removeprefix("the ") in \
            report.outcome.sentence:
        return report
    return replace(report, outcome=replace(report.outcome,
                                           sentence=f"{report.outcome.sentence} Besides, {problem}."))


def _jws_not_finite(data: bytes) -> str | None:
    """Where the payload of a compact JWS holds NaN or Infinity, as ``validate`` names it."""
    from edcbridge.badges.jwt import JwtError, decoded_parts
    from edcbridge.validation.document import not_finite_problem

    try:
        _, payload = decoded_parts(data.removeprefix(b"\xef\xbb\xbf").decode("ascii"))
    except (UnicodeDecodeError, JwtError, RecursionError):
        return None
    return not_finite_problem(payload)


def _badge_jwt_report(path: Path, data: bytes, options: VerifyOptions,
                      did_documents: Mapping[str, Any]) -> _Report | None:
    """An Open Badge or CLR VC-JWT's report (None for any other file): verified with the jwk of its
    header, whose x5c holds the seal certificate, it is judged as a JAdES seal is (its chain to the
    trust anchors); otherwise its verdict says what its signature shows."""
    from edcbridge.badges.reader import as_badge_jwt, did_not_checked, read_jwt

    token = as_badge_jwt(data.removeprefix(b"\xef\xbb\xbf").lstrip())
    if token is None:
        return None
    reading = read_jwt(token, did_documents)
    if reading.verified and reading.certificate is not None:
        from edcbridge.badges.jwt import decoded_parts, kid_did
        from edcbridge.badges.jwt_trust import x5c_outcome, x5c_verification

        header, _ = decoded_parts(token)
        result = x5c_verification(header, reading.certificate, options)
        note = did_not_checked(header) if kid_did(header) is not None else None
        outcome = x5c_outcome(result, anchored=bool(options.trust_anchors), note=note)
        return _Report(path, result, outcome, None)
    return _Report(path, verify_document(data, options),
                   _badge_verdict(reading, "an Open Badge 3.0 / CLR 2.0 VC-JWT, not JAdES-sealed"), None)


def _jades_report(path: Path, data: bytes, result: Verification, anchored: bool,
                  issuer_check: IssuerCheck | None, did_documents: Mapping[str, Any]) -> _Report:
    note = joined_notes(_sealed_by_another(result, issuer_check), _unassigned_note(result.payload))
    if result.certificate is not None:
        outcome = seal_outcome(result.checks, anchored=anchored, sealer=sealer_name(result.certificate),
                               test=marked_for_tests(result.certificate),
                               note=joined_notes(unsigned_note(result.unsigned_content), note),
                               identifier=sealer_identifier(result.certificate), issuer=_issuer_names(result))
        return _Report(path, result, outcome, note)
    return _Report(path, result, _unread_jades(data, result, did_documents), note)


def _issuer_names(result: Verification) -> list[tuple[str, str]]:
    """The legal names the sealed credential gives its issuer, for the verdict to show beside
    the organisation that sealed it."""
    if result.certificate is None or result.payload is None:
        return []
    try:
        doc = json.loads(result.payload)
    except (ValueError, RecursionError):
        return []
    if not isinstance(doc, dict):
        return []
    return issuer_names(doc, certificate_identity(result.certificate).legal_name)


def _unassigned_note(payload: str | None) -> str | None:
    """A sealed payload holding, as written, a character Unicode has not assigned: the seal is
    sound, but JOSE verifiers (npm jose) refuse such a payload, so the credential's holder
    should know before relying on it elsewhere."""
    found = sorted(unassigned_in(payload)) if payload else []
    if not found:
        return None
    shown = ", ".join(f"U+{ord(character):04X}" for character in found[:3])
    return (f"the sealed payload holds {shown} as written, a code point Unicode has not assigned (as "
            "this verifier's tables know it): JOSE verifiers such as npm jose refuse this seal; the "
            "issuer can seal the credential again with it written as its JSON escape")


def _unread_jades(data: bytes, result: Verification, did_documents: Mapping[str, Any]) -> Outcome:
    """A file (its bytes as read) in which no JAdES seal could be read: a broken seal is INVALID;
    otherwise say what the file is (an unsealed credential, XML, a PDF...)."""
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if result.not_read:
        return not_read_outcome(result.not_read)
    if result.unreadable:
        return unreadable_outcome(result.unreadable)
    if body.startswith(b"<"):  # XML is read by the XAdES verifier: here only one too large to read
        return unread_outcome(body[:16], unsealed=False, expected="a sealed credential")
    from edcbridge.badges.reader import is_badge

    doc = _json_object(body)
    if doc is not None and doc.get("payload", "") != "":  # a seal, broken: the SEAL line says how
        return seal_outcome(result.checks, anchored=False, sealer=None)

    if doc is not None and is_badge(doc):
        return _badge_outcome(doc, did_documents)
    unsealed = doc is not None and bool({"@context", "credentialSubject", "credential"} & set(doc))
    outcome = unread_outcome(body[:16], unsealed=unsealed, expected="a sealed credential (JAdES JSON)")
    problem = _not_finite(doc) if unsealed and doc is not None else None
    return replace(outcome, sentence=f"{outcome.sentence} Besides, {problem}.") if problem else outcome


def _not_finite(doc: dict[str, object]) -> str | None:
    """Where an unsealed credential (or the one an upload wrapper holds) has NaN or Infinity, as
    ``validate`` names it."""
    from edcbridge.validation.document import not_finite_problem

    wrapped = doc.get("credential")
    return not_finite_problem(wrapped if isinstance(wrapped, dict) and "@context" not in doc else doc)


def _badge_outcome(doc: dict[str, object], did_documents: Mapping[str, Any]) -> Outcome:
    """An Open Badge or CLR has no JAdES seal; a Data Integrity proof it carries is checked, so a
    changed badge is INVALID rather than merely unsealed."""
    from edcbridge.badges.reader import read_proof

    return _badge_verdict(read_proof(doc, did_documents=did_documents),
                          "an Open Badge 3.0 / CLR 2.0 credential, not JAdES-sealed")


def _badge_verdict(reading: ProofReading, what: str) -> Outcome:
    if reading.verified is False:
        return Outcome("INVALID", f"{what}: {reading.text}. Do not rely on it; ask the issuer for it again.")
    return Outcome("NOT SEALED", f"{what}: {reading.text}; verify checks JAdES seals, so who issued it is "
                                 "not confirmed here.")


def _json_object(data: bytes) -> dict[str, object] | None:
    """The JSON object *data* holds as UTF-8 (json.loads would also read UTF-16 and UTF-32, which
    the seal reader refuses), else None."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _sealed_by_another(result: Verification, issuer_check: IssuerCheck | None) -> str | None:
    """A seal valid in itself but made by another organisation than the issuer the credential
    names: issuing by mandate, or a credential that is not the issuer's. Said, not judged."""
    if issuer_check is None or result.certificate is None or result.payload is None:
        return None
    identity = certificate_identity(result.certificate)
    problem = issuer_check(lambda: identity, result.payload)
    return None if problem is None else sealed_by_another(problem)


def _output_name(path: Path) -> str:
    stem = path.stem.removesuffix("-unsigned")
    return f"{stem}-signed.jsonld"


def _output_targets(files: Sequence[Path], out_dir: Path) -> list[Path]:
    """Where each file's seal goes; two inputs that would share a file are refused, also when
    their names differ only in case (which Windows, macOS and USB sticks ignore)."""
    targets: list[Path] = []
    first_of: dict[str, Path] = {}
    for path, target in ((path, out_dir / _output_name(path)) for path in files):
        earlier = first_of.setdefault(target.name.casefold(), path)
        if earlier is not path:
            same = earlier.resolve() == path.resolve()
            raise click.UsageError(
                f"{path} is given twice" if same else
                f"{earlier} and {path} would both be sealed as {target}: seal them into "
                "separate --out folders")
        targets.append(target)
    return targets


def _check_out_dir(out_dir: Path) -> None:
    """Refuse an --out folder that cannot be made or written, before any work."""
    # os.path.exists is False, not an error, for a path this user may not look into
    existing = next(folder for folder in (out_dir, *out_dir.parents) if os.path.exists(folder))  # noqa: PTH110
    if not existing.is_dir():
        raise _SetupUnusable(f"--out {out_dir} cannot be made: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _SetupUnusable(f"--out {out_dir} cannot be written: no permission to write in {existing}")


def _prompt() -> str:
    return str(click.prompt("Seal password", hide_input=True, err=True))


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _check_seal_source(p12: Path | None, key: Path | None, cert: Path | None) -> None:
    if p12 is not None and (key or cert):
        raise click.UsageError("use either --p12 or --key/--cert, not both")
    if p12 is None and (key is None or cert is None):
        raise click.UsageError("give the seal as --p12 FILE, or as --key FILE with --cert FILE")


def _password(password_file: Path | None) -> bytes:
    """The seal password from --password-file, the environment or a prompt."""
    try:
        return keys.read_password(password_file, prompt=_prompt if _interactive() else None)
    except UnicodeDecodeError:
        raise PasswordError(f"password file {password_file} is not UTF-8 text: save the password "
                            "in it as UTF-8") from None


def _key_is_encrypted(key: Path) -> bool:
    """Whether a PEM or DER key needs a password (one that does not is opened without, even when
    $EDCBRIDGE_SEAL_PASSWORD is set for a PKCS#12 seal); unreadable keys are left to the loader."""
    try:
        data = key.read_bytes()
        if b"-----BEGIN " in data:  # as keys.load_pem tells PEM from DER
            serialization.load_pem_private_key(data, None)
        else:
            serialization.load_der_private_key(data, None)
    except TypeError:  # "Password was not given but private key is encrypted"
        return True
    except (OSError, ValueError, UnsupportedAlgorithm):
        pass
    return False


def _load_sealer(
    p12: Path | None,
    key: Path | None,
    cert: Path | None,
    password_file: Path | None,
    options: SealOptions,
) -> Sealer:
    if p12 is not None:
        password = _password(password_file)
        with _empty_password_hint(password, password_file):
            return Sealer.from_p12(p12, password, **options)
    assert key is not None and cert is not None  # checked by _check_seal_source
    pem_password = _password(password_file) if _key_is_encrypted(key) else None
    with _empty_password_hint(pem_password, password_file):
        return Sealer.from_pem(key, cert, pem_password, **options)


@contextlib.contextmanager
def _empty_password_hint(password: bytes | None, password_file: Path | None) -> Iterator[None]:
    """Say that the password file is empty when the seal does not open with its password."""
    try:
        yield
    except PasswordError as exc:
        if password != b"" or password_file is None:
            raise
        raise PasswordError(f"{exc} (password file {password_file} is empty)") from exc


class SealOptions(TypedDict):
    algorithm: str | None  # None: the one the key signs with (RS256 for RSA, ESxxx of an EC curve)
    level: Level | None
    tsa: TsaClient | None
    crls: list[x509.CertificateRevocationList]
    fetch_revocation: bool


_NOT_QUALIFIED = "no QcCompliance + QcType e-seal statements: not a qualified e-seal"


def _report(sealer: Sealer, quiet: bool = False) -> None:
    """The seal certificate on stderr; ``quiet``: only the warning of a seal that is not a
    qualified e-seal (the Europass wallet, for one, refuses its credentials)."""
    report = sealer.certificate_report()
    if quiet:
        if not report.is_qualified_eseal:
            click.echo(f"warning: the seal certificate '{report.subject}' has {_NOT_QUALIFIED}", err=True)
        return
    click.echo(f"sealing at JAdES {sealer.level} ({sealer.algorithm}) with:", err=True)
    for line in report.lines():
        click.echo(f"  {line}", err=True)
    if not report.is_qualified_eseal:
        click.echo(f"  warning: {_NOT_QUALIFIED}", err=True)


def _issuer_problem(identity: Callable[[], IssuerIdentity], issuer_check: IssuerCheck, path: Path,
                   text: str) -> str | None:
    """How the credential's issuer differs from the certificate's organisation; the certificate
    is read for that (``identity``) only when some file names an issuer."""
    try:
        problem = issuer_check(identity, text)
    except SealError as exc:  # the certificate names no organisation: no file can be compared
        raise _SetupUnusable(f"{exc}; cannot compare it with the credentials' issuer "
                             "(--any-issuer seals without comparing)") from exc
    if problem is None:
        return None
    return f"{path}: the credential's issuer is not the organisation in the seal certificate: {problem}"


class _Refused(click.ClickException):
    """Files that cannot be sealed as they are (exit 1); nothing is written."""

    def __init__(self, problems: Sequence[str], *, issuers_differ: bool = False) -> None:
        hint = " (use the issuer's own seal, or --any-issuer to seal on its behalf)" if issuers_differ else ""
        super().__init__(f"{len(problems)} file(s) not sealed, so none written{hint}:\n  "
                         + "\n  ".join(problems))


def _check_credentials(files: Sequence[Path], issuer: Callable[[Path, str], str | None] | None,
                       ) -> tuple[list[_Checked], list[str], list[str]]:
    """What each file was when checked (see :data:`_Checked`), why any of them cannot be sealed,
    and how any credential's issuer differs from the certificate's organisation (one line each,
    naming the file). The texts of files are not kept: each is read again when it is sealed (see
    :func:`_read_again`), so that a run holds a few files in memory, not thousands."""
    checked: list[_Checked] = []
    problems: list[str] = []
    differ: list[str] = []
    for path in files:
        try:
            text = _credential_text(path)
        except ValueError as exc:
            problems.append(str(exc))
            checked.append(b"")
            continue
        problem = _credential_problem(text)
        if problem:
            problems.append(f"{path}: {problem}")
        if issuer is not None and (issuer_problem := issuer(path, text)) is not None:
            differ.append(issuer_problem)
        checked.append(_digest(text) if path.is_file() else text)
    return checked, problems, differ


_Checked = bytes | str
"""A file's digest, to compare with its text read again; or the text itself of a pipe or device
(``seal <(gunzip -c award.json.gz)``, ``/dev/stdin``), which gives it once only."""


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _read_again(path: Path, checked: _Checked) -> str:
    """The text of a file checked earlier in the run, as it was then: one changed since (or no
    longer readable) is not sealed, so that the seal is over what was checked."""
    if isinstance(checked, str):
        return checked
    try:
        text = _credential_text(path)
    except ValueError as exc:
        raise SealFormatError(f"no longer readable since the run checked it ({exc}); seal it "
                              "again") from None
    if _digest(text) != checked:
        raise SealFormatError("changed since the run checked it (another program writing it?); "
                              "seal it again once it is written")
    return text


def _credential_text(path: Path) -> str:
    """A credential file as text: UTF-8, a leading byte order mark skipped (editors add one;
    it is not part of the JSON that is signed); read once and at most as large as a credential."""
    try:
        data = read_bounded(path)
    except TooLarge as exc:
        raise ValueError(too_large_problem(path, exc)) from None
    except OSError as exc:
        reason, fix = unread_reason(path, exc)
        raise ValueError(f"{path}: {reason}: {fix}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 and "
                         "seal it again") from None


def _credential_problem(text: str) -> str | None:
    """Why a credential text cannot be sealed: no JSON, no object, or a seal already."""
    if text.lstrip().startswith("<"):
        return ("an XML document: 'seal' seals JSON-LD credentials (JAdES); EDC XML is sealed with "
                "XAdES when it is made: 'edcbridge export --format edc-xml --seal P12' or "
                "'edcbridge export-xml --p12 P12'")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc}"
    except RecursionError:
        return "not JSON that can be read: nested too deeply"
    if not isinstance(doc, dict):
        return "not a JSON object (a credential file holds one credential)"
    if isinstance(doc.get("payload"), str) and ("signatures" in doc or "signature" in doc):
        return ("already sealed (a JAdES seal): check it with 'edcbridge verify', or seal the "
                "unsealed credential")
    return None if text.isascii() else _noncharacter_problem(text)


def _noncharacter_problem(text: str) -> str | None:
    """A character Unicode has not assigned (a noncharacter, or one newer than this Python's
    tables) written as it is: the seal is over the text as written, and JOSE verifiers (npm
    jose) refuse an unencoded payload holding one, though its JSON escape is the same value."""
    unassigned = unassigned_in(text)
    if not unassigned:
        return None
    index = min(text.index(character) for character in unassigned)
    character = text[index]
    line, column = text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)
    what = "the noncharacter" if NONCHARACTERS.fullmatch(character) else \
        "the code point Unicode has not assigned"
    return (f"holds {what} U+{ord(character):04X}, at line {line}, column {column}, which "
            "JOSE verifiers refuse in a sealed payload: delete it, or write it as the JSON escape "
            f"{json_escape(character)}")


def _seal_all(sealer: Sealer, files: Sequence[Path], checked: Sequence[_Checked], targets: Sequence[Path],
              staged: Staged) -> None:
    """Seal every file, read again as it was checked, into *staged*, several at once when each
    waits for a timestamp; a seal or service problem affects every file (exit 2)."""
    at_once = TSA_REQUESTS_AT_ONCE if sealer.tsa is not None and sealer.level != Level.B_B else 1

    def seal(index: int) -> str:
        try:
            return sealer.seal(_read_again(files[index], checked[index]))
        except SealFormatError as exc:
            raise SealFormatError(f"{files[index]}: {exc}") from exc

    try:
        for index, sealed in sealed_each(seal, len(files), at_once):
            try:
                staged.write(targets[index], sealed)
            except OSError as exc:  # a full disk, a folder taken away: one line, no traceback
                raise _SetupUnusable(f"--out {targets[index].parent}: the sealed files cannot be written "
                                     f"({exc.strerror or exc}); free some space or choose another "
                                     "folder") from exc
    except SealFormatError as exc:
        raise _Refused([str(exc)]) from exc
    except SealError as exc:  # the timestamp authority, revocation data, the certificate
        raise _SetupUnusable(str(exc)) from exc


def make_seal_command(issuer_check: IssuerCheck | None = None) -> click.Command:
    """`seal FILE...`; *issuer_check* says how a credential's issuer differs from the
    organisation in the seal certificate (None: it does not)."""

    @click.command("seal")
    @click.argument("files", nargs=-1, required=True, type=RECEIVED_FILE)
    @click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                  help="Folder for the sealed files (made if missing).")
    @click.option("--p12", "--seal", "p12", type=_FILE, help="PKCS#12 seal (key + certificate + chain).")
    @click.option("--key", type=_FILE, help="Private key, PEM or DER (with --cert).")
    @click.option("--cert", type=_FILE, help="Certificate, PEM or DER, then its chain (with --key).")
    @click.option(
        "--password-file",
        type=_FILE,
        help="File holding the seal password (else $EDCBRIDGE_SEAL_PASSWORD, else a prompt).",
    )
    @click.option(
        "--level",
        type=click.Choice([level.value for level in Level]),
        help="JAdES level; default: the highest the configured services allow.",
    )
    @click.option("--tsa", "tsa_url", envvar="EDCBRIDGE_TSA_URL", metavar="URL",
                  help="RFC 3161 timestamp URL (else EDCBRIDGE_TSA_URL).")
    @tsa_timeout_option()
    @click.option("--crl", "crl_files", multiple=True, type=_FILE, help="CRL to embed at B-LT and B-LTA.")
    @click.option("--no-fetch-revocation", "--no-fetch-crl", "no_fetch_revocation", is_flag=True,
                  help="Never ask OCSP responders or download CRLs (B-LT and B-LTA then need --crl).")
    @click.option("--alg", "--algorithm", "alg", type=click.Choice(list(ALGORITHMS)),
                  help="Signature algorithm; default: the seal key's (RS256 for RSA; ES256, ES384 or "
                       "ES512 for EC P-256, P-384 or P-521).")
    @click.option("--any-issuer", is_flag=True,
                  help="Seal even credentials whose issuer is not the organisation in the certificate.")
    @quiet_option("certificate report")
    def seal_command(
        files: Sequence[Path],
        out_dir: Path,
        p12: Path | None,
        key: Path | None,
        cert: Path | None,
        password_file: Path | None,
        level: str | None,
        tsa_url: str | None,
        tsa_timeout: float,
        crl_files: Sequence[Path],
        no_fetch_revocation: bool,
        alg: str | None,
        any_issuer: bool,
        quiet: bool,
    ) -> None:
        """Seal credential JSON FILES as JAdES into --out (all files or none are written).

        Exit status 2 when the seal, its password, a service or the --out folder cannot be used (no file is
        sealed), 1 when some file cannot be sealed (none is written).
        """
        targets = _output_targets(files, out_dir)
        _check_seal_source(p12, key, cert)
        if level not in (None, Level.B_B) and not tsa_url:
            raise click.UsageError(f"level {level} needs a timestamp authority: add --tsa URL")
        _check_out_dir(out_dir)
        tsa = TsaClient(tsa_url, timeout=tsa_timeout) if tsa_url else None
        try:
            crls = [revocation.load_crl(path.read_bytes(), str(path)) for path in crl_files]
            options = SealOptions(
                algorithm=alg,
                level=Level(level) if level else None,
                tsa=tsa,
                crls=crls,
                fetch_revocation=not no_fetch_revocation,
            )
            sealer = _load_sealer(p12, key, cert, password_file, options)
            _report(sealer, quiet)
            issuer = None
            if issuer_check is not None and not any_issuer:
                identity, check = functools.cache(sealer.issuer_identity), issuer_check
                issuer = functools.partial(_issuer_problem, identity, check)
            checked, problems, differ = _check_credentials(files, issuer)
            if problems or differ:
                raise _Refused([*problems, *differ], issuers_differ=bool(differ))
            remove_left_behind(out_dir)
            with Staged() as staged:
                _seal_all(sealer, files, checked, targets, staged)
                staged.commit()
        except SealError as exc:  # the seal, its password or a service: every file, exit 2
            raise _SetupUnusable(str(exc)) from exc
        finally:
            if tsa is not None:
                tsa.close()
        for target in targets:
            click.echo(str(target))

    return seal_command


class _SetupUnusable(click.ClickException):
    """The seal, its password, the output folder or a service the command needs cannot be
    used: it affects every file and is found before any is written, exit 2."""

    exit_code = 2


IssuerOf = Callable[[Path], IssuerIdentity]  # a catalogue file -> its issuer, as a certificate names it


def make_dev_pki_command(issuer_of: IssuerOf | None = None) -> click.Command:
    @click.command("dev-pki")
    @click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                  help="Folder for the TEST PKI files (made if missing).")
    @click.option("--organisation", default="EDCBRIDGE TEST University", show_default=True)
    @click.option("--organisation-identifier", default="NTRBE-TEST0001", show_default=True)
    @click.option("--country", default="BE", show_default=True)
    @click.option("--catalogue", "-c", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Name the issuer of this catalogue (legal name, identifier, country), so that "
                       "'export --seal' accepts the TEST seal for it.")
    @click.option("--crl-url", help="CRL distribution point to write into the seal certificate.")
    @quiet_option("note of the folder written")
    @click.pass_context
    def dev_pki_command(
        ctx: click.Context,
        out_dir: Path,
        organisation: str,
        organisation_identifier: str,
        country: str,
        catalogue: Path | None,
        crl_url: str | None,
        quiet: bool,
    ) -> None:
        """Write a TEST PKI (root CA, e-seal, TSA, CRL) for trying sealing; never for real use.

        The certificates say TEST in their common names and organisational unit; without
        --catalogue the organisation is marked "(TEST)" too.
        """
        if catalogue is not None:
            given = [f"--{name.replace('_', '-')}" for name in ("organisation", "organisation_identifier",
                                                                 "country")
                     if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
            if given:
                raise click.UsageError(f"--catalogue names the organisation: leave out {', '.join(given)}")
            if issuer_of is None:
                raise click.UsageError("--catalogue is not available here")
            issuer = issuer_of(catalogue)
            organisation, organisation_identifier = issuer.legal_name, issuer.organisation_identifier
            country = issuer.country
        if len(country) != 2 or not country.isalpha():
            raise click.BadParameter("two-letter ISO 3166 code", param_hint="--country")
        if not devpki.name_fits(organisation):
            raise click.BadParameter(f"too long for a certificate (at most {devpki.NAME_LIMIT} characters, "
                                     "fewer with accented letters): give a shorter name",
                                     param_hint="--organisation")
        if catalogue is None and "TEST" not in organisation.upper():
            organisation = devpki.marked(organisation, " (TEST)")
        _check_out_dir(out_dir)
        try:
            files = devpki.generate_test_seal(
                out_dir,
                organisation=organisation,
                organisation_identifier=organisation_identifier,
                country=country.upper(),
                crl_url=crl_url,
            )
        except OSError as exc:  # a disk full or a folder taken away meanwhile: one line, no traceback
            raise _SetupUnusable(f"--out {out_dir}: the TEST PKI cannot be written "
                                 f"({exc.strerror or exc}); choose another folder") from exc
        if not quiet:
            click.echo(f"TEST PKI written to {files.directory}; see README.txt there", err=True)
        for path in files.written:
            click.echo(str(path))

    return dev_pki_command


def register(group: click.Group, format_check: FormatCheck | None = None,
             issuer_check: IssuerCheck | None = None, issuer_of: IssuerOf | None = None,
             xml_format_check: XmlFormatCheck | None = None) -> None:
    """Add `verify`, `seal` and `dev-pki` to *group*."""
    group.add_command(make_verify_command(format_check, issuer_check, xml_format_check))
    group.add_command(make_seal_command(issuer_check))
    group.add_command(make_dev_pki_command(issuer_of))
