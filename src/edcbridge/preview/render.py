"""Preview credentials: read (any form we can read), verify the seal, render HTML, print PDF."""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cryptography import x509

from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem, unread_reason
from edcbridge.folder_files import FolderFile, other_file
from edcbridge.model import Award, Catalogue
from edcbridge.output import printable, safe_name, write_atomic
from edcbridge.preview.page import DRAFT_FORM, SealStatus, Verification, render
from edcbridge.preview.pdf import PdfPrinter
from edcbridge.seal.sealer import certificate_identity
from edcbridge.seal.verify import (
    FormatCheck,
    VerifyOptions,
    joined_notes,
    marked_for_tests,
    sealed_by_another,
    unsigned_note,
    verify_document,
)
from edcbridge.validation.document import NotACredential, as_list, unwrap

if TYPE_CHECKING:
    from lxml import etree

Doc = dict[str, Any]
# the importer's note when something else stands in for the achievement the model needs
_STAND_IN = re.compile(r"the credential claims no achievement(?:: its (learning activity|entitlement) "
                       r"|, activity or entitlement: its own title )")


@dataclass(frozen=True)
class PreviewOptions:
    """How to preview: ``verify_url`` is a template such as ``https://verify.example.org/{id}``
    (``{id}`` is the URL-encoded credential id); ``languages`` overrides the page languages."""

    verify_url: str | None = None
    languages: tuple[str, ...] = ()
    trust_anchors: tuple[x509.Certificate, ...] = ()
    format_check: FormatCheck | None = None
    pdf: bool = False

    def __post_init__(self) -> None:
        url = self.verify_url
        if url is not None and ("{id}" not in url or not url.lower().startswith(("https://", "http://"))):
            raise ValueError(f"verify_url {url!r} must be a web address with {{id}}, "
                             "e.g. https://verify.example.org/{id}")


@dataclass
class PreviewResult:
    source: str
    html: Path
    pdf: Path | None = None
    form: str = "plain"
    seal: dict[str, dict[str, str]] | None = None
    html_ms: float = 0.0
    pdf_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    verdict: str = "NOT SEALED"  # of the seal: VALID, UNCONFIRMED, CHECK, INVALID, NOT SEALED or DRAFT

    @property
    def failed_checks(self) -> list[str]:
        """The seal checks that are ERROR: those that make ``verify`` and ``verify-xml`` exit 1."""
        return [name for name, check in (self.seal or {}).items() if check["status"] == "ERROR"]

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "html": str(self.html), "pdf": str(self.pdf) if self.pdf else None,
                "form": self.form, "verdict": self.verdict, "seal": self.seal,
                "html_ms": round(self.html_ms, 1), "pdf_ms": round(self.pdf_ms, 1), "notes": self.notes}


def verification_for(doc: Doc, options: PreviewOptions) -> Verification:
    from edcbridge.qr import svg_inline as qr_svg

    credential_id = str(doc.get("id", ""))
    url = options.verify_url.replace("{id}", quote(credential_id, safe="")) if options.verify_url else None
    target = url or credential_id
    svg = qr_svg(target, "QR code of the verification link" if url else "QR code of the credential id") \
        if target else None
    return Verification(url, credential_id, svg)


def jades_status(raw: bytes, doc: Doc, options: PreviewOptions) -> SealStatus:
    """The seal of ``raw``; ``doc`` is its payload, already read for the page."""
    from edcbridge.sealing import issuer_mismatch

    result = verify_document(raw, VerifyOptions(trust_anchors=options.trust_anchors,
                                                format_check=options.format_check))
    note = None
    if result.certificate is not None and result.payload is not None:  # the seal holds: doc is signed
        certificate = result.certificate
        note = issuer_mismatch(lambda: certificate_identity(certificate), doc)
    return SealStatus("JAdES", {name: (c.status, c.reason) for name, c in result.checks.items()},
                      anchored=bool(options.trust_anchors),
                      note=joined_notes(unsigned_note(result.unsigned_content), _sealed_by_another(note)),
                      sealer=_sealer(result.certificate), test=marked_for_tests(result.certificate))


def xades_status(raw: bytes, source: str, options: PreviewOptions, doc: Doc) -> SealStatus:
    """The seal of EDC XML ``raw``; ``doc`` is the credential as shown, compared with the seal
    certificate as a JSON-LD credential is (the names must agree, and the eIDAS identifiers
    when the credential gives one)."""
    from edcbridge.sealing import issuer_mismatch
    from edcbridge.xml.verify import verify_bytes

    result = verify_bytes(raw, source, options.trust_anchors)
    note = None
    if result.certificate is not None:
        certificate = result.certificate
        note = issuer_mismatch(lambda: certificate_identity(certificate), doc)
    return SealStatus("XAdES", {name: (c.status, c.reason) for name, c in result.checks.items()},
                      anchored=bool(options.trust_anchors),
                      note=joined_notes(result.unsigned_note(), _sealed_by_another(note)),
                      sealer=_sealer(result.certificate), test=marked_for_tests(result.certificate))


def _sealer(certificate: x509.Certificate | None) -> str | None:
    """Who the seal certificate names, shown with the verdict: the credential's own texts (its
    issuer's names in any language) are claims, the certificate is what the seal proves."""
    if certificate is None:
        return None
    identity = certificate_identity(certificate)
    name = identity.legal_name or certificate.subject.rfc4514_string()
    return f"{name} ({identity.organisation_identifier})" if identity.organisation_identifier else name


def _sealed_by_another(problem: str | None) -> str | None:
    return sealed_by_another(problem) if problem else None


def _as_in_xml(doc: Doc, raw: bytes, source: str) -> Doc:
    """``doc``, read from EDC XML through the model, without what the model had to make up:
    the model gives every credential an id of its own (no verifier knows it), keeps the XML id
    as the award number when the XML has none, needs a learner identifier, and displays every
    credential with edcbridge's own card image."""
    from edcbridge.xml.importer.edc_xml import DS_SIGNATURE, SNB
    from edcbridge.xml.safe import parse_bytes

    doc = _without_card(doc)
    root = parse_bytes(raw, source=source).getroot()
    credential = next((e for e in root.iter(f"{{{SNB}}}europassCredential")
                       if not any(a.tag == DS_SIGNATURE for a in e.iterancestors())), None)
    if credential is None:
        return doc
    doc = _own_id(doc, credential)
    subject = doc.get("credentialSubject")
    stated = credential.find(f"{{{SNB}}}credentialSubject/{{{SNB}}}identifier") is not None
    if isinstance(subject, dict) and not stated:
        doc["credentialSubject"] = {k: v for k, v in subject.items() if k != "identifier"}
    return doc


def _without_card(doc: Doc) -> Doc:
    """``doc`` without the model's individual displays (edcbridge's card image in each language)."""
    display = doc.get("displayParameter")
    if not isinstance(display, dict) or "individualDisplay" not in display:
        return doc
    return {**doc, "displayParameter": {k: v for k, v in display.items() if k != "individualDisplay"}}


def _read_as(version: str, importer_notes: Sequence[str]) -> str:
    """The note on an EDC XML credential: what of it the page shows, the first achievement or,
    when it claims none, what the importer read in its place."""
    shown = ("the first achievement with its specification, assessment and awarding body; not its "
             "parts or further achievements")
    for note in importer_notes:
        found = _STAND_IN.match(note)
        if found and found.group(1):
            shown = (f"its first {found.group(1)}, in the place of the achievement it does not claim; "
                     "not further activities or entitlements")
        elif found:
            shown = "its own title, in the place of the achievement it does not claim"
    return (f"issued as EDC XML {version} and read into the EDC 3.2 model to be shown: only what that model "
            f"holds is on this page ({shown}); the XML file is the credential")


def _with_date_times(doc: Doc, date_times: dict[str, str]) -> Doc:
    """``doc`` with the validity and awarding times the credential gives: the model holds dates
    only (shown at midnight UTC) and makes validFrom the awarding date."""
    doc = dict(doc)
    if "validFrom" in date_times:
        doc["validFrom"] = date_times["validFrom"]
    if "validUntil" in date_times and "validUntil" in doc:
        doc["validUntil"] = doc["expirationDate"] = date_times["validUntil"]
    subject, awarded = doc.get("credentialSubject"), date_times.get("awardingDate")
    claim = subject.get("hasClaim") if isinstance(subject, dict) else None
    process = claim.get("awardedBy") if isinstance(claim, dict) else None
    if awarded and isinstance(subject, dict) and isinstance(claim, dict) and isinstance(process, dict):
        claim = {**claim, "awardedBy": {**process, "awardingDate": awarded}}
        doc["credentialSubject"] = {**subject, "hasClaim": claim}
    return doc


def _own_id(doc: Doc, credential: etree._Element) -> Doc:
    from edcbridge.xml.importer.edc_xml import CRED

    credential_id = credential.get(f"{{{CRED}}}id")
    if not credential_id:
        return doc
    identifiers = [i for i in as_list(doc.get("identifier"))
                   if not (isinstance(i, dict) and i.get("notation") == credential_id)]
    doc = {**doc, "id": credential_id}
    if identifiers:
        doc["identifier"] = identifiers[0] if len(identifiers) == 1 else identifiers
    else:
        doc.pop("identifier", None)
    return doc


def read_any(raw: bytes, source: str,
             options: PreviewOptions) -> tuple[Doc, str, SealStatus | None, list[str]]:
    """(credential, form, seal status, notes) for JSON-LD (plain, wrapped, JAdES) or EDC XML."""
    from edcbridge.xml.safe import looks_like_xml

    if not raw.strip():
        raise NotACredential(f"{source}: the file is empty; give an EDC JSON-LD or XML credential")
    if looks_like_xml(raw):
        from edcbridge.mapping.edc import to_edc
        from edcbridge.xml.importer import import_bytes

        imported = import_bytes(raw, source)
        doc = _as_in_xml(_with_date_times(to_edc(imported.award, imported.catalogue), imported.date_times),
                         raw, source)
        status = xades_status(raw, source, options, doc) if imported.sealed else None
        version = imported.format.removeprefix("edc-xml-")
        notes = [_read_as(version, imported.notes), *imported.notes]
        return doc, imported.form, status, notes
    doc, form = unwrap(_json_document(raw, source))
    if form != "jades":
        return doc, form, None, []
    from edcbridge.seal.ebsi_verify import is_did_signed_jws

    if is_did_signed_jws(raw):
        from edcbridge.seal.ebsi_verify import DID_JWT_FORM

        return doc, DID_JWT_FORM, did_jwt_status(raw, options), []
    return doc, form, jades_status(raw, doc, options), []


def did_jwt_status(raw: bytes, options: PreviewOptions) -> SealStatus:
    """The signature of a JWT signed with a key of the issuer's DID document (the EBSI profile's
    ``.jwt``), checked as ``verify`` checks it without a DID document: its token, claims, format and
    dates; the signature itself needs the DID document, which preview is not given, so it cannot
    be checked here (not that it is broken)."""
    from edcbridge.seal.ebsi_verify import verify_jwt

    result = verify_jwt(raw, {}, options.format_check)
    checks: dict[str, tuple[str, str]] = {name: (c.status, c.reason) for name, c in result.checks.items()}
    if not result.broken and checks["SEAL"][0] == "ERROR":
        checks["SEAL"] = ("ERROR", f"the JWT's signature, by the key {result.kid} of the issuer's DID "
                                   "document, cannot be checked here: run 'edcbridge verify FILE "
                                   "--did-document DID-DOCUMENT.json' with the issuer's DID document")
    return SealStatus("JWT", checks, anchored=bool(options.trust_anchors))


def _json_document(raw: bytes, source: str) -> object:
    """The JSON of *raw*, or its compact JWS, read as validate and inspect read it (a file cut
    short is said to be incomplete)."""
    from edcbridge.cut_json import CUT_CHARACTER, bytes_stop_line, incomplete_json
    from edcbridge.jws_compact import compact_jws
    from edcbridge.validation.document import parse_json

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        stop = bytes_stop_line(raw, exc)
        said = incomplete_json(stop, CUT_CHARACTER) if stop is not None else \
            "not UTF-8 text; save the file as UTF-8"
        raise NotACredential(f"{source}: {said}") from None
    try:
        return parse_json(text)
    except NotACredential as exc:
        compact = compact_jws(text)
        if compact is None:
            raise NotACredential(f"{source}: {exc}") from None
        return compact


def render_html(doc: Doc, options: PreviewOptions | None = None, *, status: SealStatus | None = None,
                source: str = "", for_print: bool = False, notes: Sequence[str] = ()) -> str:
    """The preview page of one unwrapped EDC JSON-LD credential; ``notes`` say how it was read
    when not as issued (EDC XML)."""
    options = options or PreviewOptions()
    return render(doc, status=status, verification=verification_for(doc, options),
                  languages=list(options.languages) or None, source=source, for_print=for_print,
                  notes=list(notes))


@contextlib.contextmanager
def _printer(options: PreviewOptions) -> Iterator[PdfPrinter | None]:
    if not options.pdf:
        yield None
        return
    with PdfPrinter() as printer:
        yield printer


def _target(out_dir: Path, stem: str, used: set[str]) -> Path:
    name = safe_name(stem)
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}-{n}"
    used.add(candidate)
    return out_dir / f"{candidate}.html"


def _write(doc: Doc, html_path: Path, options: PreviewOptions, status: SealStatus | None, source: str,
           result: PreviewResult, printer: PdfPrinter | None) -> None:
    start = time.perf_counter()
    write_atomic(html_path, render_html(doc, options, status=status, source=source,
                                        notes=result.notes).encode("utf-8"))
    result.html_ms += (time.perf_counter() - start) * 1000
    if options.pdf:
        start = time.perf_counter()
        print_html = html_path.with_name(f".print-{html_path.name}")
        write_atomic(print_html, render_html(doc, options, status=status, source=source, for_print=True,
                                             notes=result.notes).encode("utf-8"))  # never through a link
        try:
            pdf = html_path.with_suffix(".pdf")
            if printer is None:
                with PdfPrinter() as own:
                    own.print(print_html, pdf)
            else:
                printer.print(print_html, pdf)
            result.pdf = pdf
        finally:
            print_html.unlink(missing_ok=True)
        result.pdf_ms = (time.perf_counter() - start) * 1000


def preview_file(path: Path, out_dir: Path, options: PreviewOptions | None = None,
                 used: set[str] | None = None, printer: PdfPrinter | None = None) -> PreviewResult:
    """Render one credential file into ``out_dir`` (HTML, and PDF with ``options.pdf``).

    Raises NotACredential (or the XML importer's errors) for files we cannot read, FolderFile
    for a file an output folder holds beside the credentials (a preview page, a report, a DID
    document, a LOQ record: no page is made of it), and PdfError when PDF output is asked for
    but Chromium cannot print.
    """
    options = options or PreviewOptions()
    start = time.perf_counter()
    raw = _read_file(path)
    what = other_file(raw)
    if what is not None:
        raise FolderFile(str(path), what)
    doc, form, status, notes = read_any(raw, str(path), options)
    result = PreviewResult(str(path), _target(out_dir, path.stem, used if used is not None else set()),
                           form=form, notes=notes,
                           seal={k: {"status": s, "reason": r} for k, (s, r) in status.checks.items()}
                           if status else None,
                           verdict=status.verdict[0] if status else "NOT SEALED")
    result.html_ms = (time.perf_counter() - start) * 1000
    # the name shown on the page: one that is no UTF-8 (a Latin-1 name) is shown escaped
    _write(doc, result.html, options, status, printable(path.name), result, printer)
    return result


def _read_file(path: Path) -> bytes:
    """The bytes of the credential file *path*, read once and at most the credential size limit
    (a named pipe or a device is never read to its end); NotACredential says why it was not."""
    try:
        return read_bounded(path)
    except OSError as exc:
        problem, fix = unread_reason(path, exc)
        raise NotACredential(f"{path}: {problem}: {fix}") from None
    except TooLarge as exc:
        what = other_file(exc.head)  # its first bytes may tell what it is
        if what is not None:
            raise FolderFile(str(path), what) from None
        raise NotACredential(too_large_problem(path, exc)) from None


def preview_files(paths: Iterable[Path], out_dir: Path,
                  options: PreviewOptions | None = None) -> list[PreviewResult]:
    """Preview several credential files into one folder (names kept apart; one Chromium prints
    every PDF)."""
    options = options or PreviewOptions()
    used: set[str] = set()
    with _printer(options) as printer:
        return [preview_file(path, out_dir, options, used, printer) for path in paths]


def preview_awards(awards: Iterable[Award], catalogue: Catalogue, out_dir: Path,
                   options: PreviewOptions | None = None, *, workers: int = 1) -> Iterator[PreviewResult]:
    """Preview unsealed credentials straight from the internal model (before sealing), each
    page's result as it is made, in the order given; by ``workers`` processes (not with PDF:
    one browser prints them)."""
    options = options or PreviewOptions()
    used: set[str] = set()
    named = ((award, _target(out_dir, f"{award.issuer or catalogue.issuer}_{award.award_id}", used))
             for award in awards)
    if workers > 1 and not options.pdf:
        from edcbridge.in_order import in_order

        page = functools.partial(_named_page, catalogue=catalogue, options=options)
        yield from in_order(page, named, workers)
        return
    with _printer(options) as printer:
        for award, target in named:
            yield _award_page(award, catalogue, target, options, printer)


def _named_page(named: tuple[Award, Path], catalogue: Catalogue, options: PreviewOptions) -> PreviewResult:
    award, target = named
    return _award_page(award, catalogue, target, options)


def _award_page(award: Award, catalogue: Catalogue, target: Path, options: PreviewOptions,
                printer: PdfPrinter | None = None) -> PreviewResult:
    from edcbridge.mapping.edc import to_edc

    result = PreviewResult(f"{award.issuer or catalogue.issuer}/{award.award_id}", target)
    result.verdict = "DRAFT"
    _write(to_edc(award, catalogue), target, options, SealStatus(DRAFT_FORM, {}), "", result, printer)
    return result
