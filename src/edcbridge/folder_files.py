"""The files an output folder holds beside the credentials, known by their content (not their
name): preview pages, the run's reports, a did:web issuer's DID document, LOQ records and push
results. ``verify``, ``verify-xml``, ``validate``, ``validate-xml``, ``preview`` and ``inspect``
name them as what they are (NOT A CREDENTIAL, SKIPPED) rather than as a broken or unsealed
credential, so that ``verify OUT/*/*`` judges only the credentials of a folder."""

from __future__ import annotations

import json
import re

REPORT_COLUMNS = ("file", "row", "award_id", "status", "stage", "outputs", "errors", "redone")
DELIVERY_COLUMNS = ("award_id", "recipient", "status", "credential", "target_id", "error")
PUSH_COLUMNS = ("key", "action", "status", "target_id", "detail", "message")  # push's <name>.csv
RUN_REPORT_TITLE = "edcbridge run report"  # report.html's <title>
PREVIEW_TITLE_END = "credential preview"  # the end of a preview page's <title>
LOQ_NAMESPACE = b"http://data.europa.eu/snb/model/ap/loq-constraints/"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"

_BOM = b"\xef\xbb\xbf"
_HTML = re.compile(rb"(?:<!--.*?-->\s*)*<(?:!doctype\s+html\b|html\b)", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?Courses\b([^>]*)>")
_REPORT_JSON = re.compile(rb'\{\s*"records"\s*:\s*\[\s*(?:\]|\{\s*"file"\s*:)')

PREVIEW_PAGE = ("a preview page (HTML for people, as 'export --preview' and 'preview' write it): it "
                "shows a credential and carries no seal of its own; check the credential file it "
                "was made from")
RUN_REPORT = "a run's report ({name}, as 'export' writes it)"
DID_DOCUMENT = ("a DID document (did.json, as 'badges' writes it for a did:web issuer): the issuer's "
                "public keys, to publish at the DID's address and to give to 'verify --did-document'")
LOQ_RECORD = ("a LOQ record for a register (the catalogue as ELM LOQ XML, as 'export --format loq' and "
              "'loq' write it; never sealed: loq.xsd has no place for a signature); 'validate' checks "
              "it against loq.xsd")
PUSH_RESULTS = "the results of a 'push' run ({name}, as 'push -o' writes them)"


class FolderFile(ValueError):
    """A file an output folder holds beside the credentials, given where a credential is read
    (``preview``): *what* says what it is (see :func:`other_file`)."""

    def __init__(self, source: str, what: str) -> None:
        super().__init__(f"{source}: not a credential: {what}")
        self.source, self.what = source, what


def other_file(data: bytes, *, loq: bool = True) -> str | None:
    """What *data* (a file's bytes, or its first bytes when it is too large to read whole) is
    when it is one of the files an output folder holds beside the credentials, else None.
    With ``loq=False`` a LOQ record is not named (``validate`` checks it against loq.xsd)."""
    body = data.removeprefix(_BOM).lstrip()
    if body.startswith(b"<"):
        return _html_page(body) or (LOQ_RECORD if loq and _is_loq(body) else None)
    if body.startswith(b"{"):
        return _json_file(body)
    return _csv_file(body)


def _html_page(body: bytes) -> str | None:
    if _HTML.match(body) is None:
        return None
    title = _TITLE.search(body[:8192])
    text = title.group(1).decode("utf-8", "replace").strip() if title else ""
    if text == RUN_REPORT_TITLE:
        return RUN_REPORT.format(name="report.html")
    if text.lower().endswith(PREVIEW_TITLE_END):
        return PREVIEW_PAGE
    return None


def _is_loq(body: bytes) -> bool:
    """An XML document whose root element is LOQ's ``Courses``, in the LOQ namespace."""
    start = _PROLOG.match(body)
    root = _ROOT.match(body, start.end() if start else 0)
    if root is None:
        return False
    prefix = root.group(1)
    declared = b"xmlns:" + prefix if prefix else b"xmlns"
    return re.search(re.escape(declared) + rb"\s*=\s*[\"']" + re.escape(LOQ_NAMESPACE) + rb"[\"']",
                     root.group(2)) is not None


def _json_file(body: bytes) -> str | None:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):  # cut, or the first bytes of a file too large to read
        return RUN_REPORT.format(name="report.json") if _REPORT_JSON.match(body) else None
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("records"), list) and "audit_head" in doc and "failed" in doc:
        return RUN_REPORT.format(name="report.json")
    if {"target", "dry_run", "summary"} <= set(doc) and isinstance(doc.get("items"), list):
        return PUSH_RESULTS.format(name="JSON")
    return DID_DOCUMENT if _is_did_document(doc) else None


def _is_did_document(doc: dict[str, object]) -> bool:
    """A DID document: its id a DID, with the DID context or keys, and no credential in it."""
    if not str(doc.get("id", "")).startswith("did:"):
        return False
    if {"credentialSubject", "credential", "payload", "signatures", "signature"} & set(doc):
        return False
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return DID_CONTEXT in contexts or "verificationMethod" in doc


def _csv_file(body: bytes) -> str | None:
    header = tuple(body.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace").split(","))
    if header == REPORT_COLUMNS:
        return RUN_REPORT.format(name="report.csv")
    if header == DELIVERY_COLUMNS:
        return RUN_REPORT.format(name="deliveries.csv, its wallet deposits")
    if header == PUSH_COLUMNS:
        return PUSH_RESULTS.format(name="CSV")
    return None
