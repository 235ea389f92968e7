"""Which held credential files may count towards a larger award.

A credential file is only a claim until its seal says who made it: a file counts when it is
sealed, the seal verifies and leads to a trust anchor, the seal is the issuer's own, and that
issuer is the organisation whose catalogue defines the larger award. (Credit from other
institutions needs a recognition decision, which is not made here.) Awards files are the
institution's own records and are not checked here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from edcbridge.model import Catalogue
from edcbridge.seal.sealer import certificate_identity
from edcbridge.seal.verify import Check
from edcbridge.sealing import issuer_mismatches, same_organisation
from edcbridge.xml.safe import looks_like_xml


@dataclass(frozen=True)
class Verdict:
    """What the seal of a held file says; ``certificate`` is the sealing one when known."""

    problem: str | None
    certificate: x509.Certificate | None = None


def seal_verdict(data: bytes, source: str, anchors: Sequence[x509.Certificate],
                 fetch_revocation: bool = False) -> Verdict:
    """The seal of a JSON (JAdES) or XML (XAdES) credential, checked against ``anchors``. The
    credential's own validity dates are not the seal's: ``check_stack`` judges them on its date."""
    if not anchors:
        return Verdict("who sealed it cannot be checked without a trust anchor: give --trust-anchor "
                       "with the CA certificate of the issuer's seal (with --seal, its chain is used)")
    if looks_like_xml(data):
        from edcbridge.xml.verify import verify_bytes

        xml = verify_bytes(data, source, tuple(anchors), credential_dates=False)
        return Verdict(_first_error(xml.checks), xml.certificate)
    from edcbridge.seal.verify import VerifyOptions, verify_document

    jades = verify_document(data, VerifyOptions(trust_anchors=tuple(anchors), require_trust=True,
                                                credential_dates=False, fetch_revocation=fetch_revocation))
    return Verdict(_first_error(jades.checks), jades.certificate)


def _first_error(checks: dict[str, Check]) -> str | None:
    for name, check in checks.items():
        if check.status == "ERROR" and name == "REVOCATION":
            return f"it is revoked, or its status could not be established ({check.reason})"
        if check.status == "ERROR":
            return f"its seal does not verify ({name}: {check.reason})"
    if not checks:
        return "its seal could not be checked"
    return None


# EDC XML 1.2 has no element for a credential status, and verify-xml asks no OCSP responder or CRL
XML_REVOCATION_UNCHECKED = ("whether it was revoked cannot be checked: EDC XML names no status list "
                            "and the revocation of its XAdES seal certificate is not asked here; ask "
                            "the issuer, or ask for the credential as sealed JSON-LD")


def unchecked_status(data: bytes, fetch_revocation: bool = False) -> str | None:
    """What is left unsaid about a credential's revocation: said where the credential counts, not
    dropped. A JSON credential's status entries when they are not fetched; an XML credential's
    revocation when it was asked for (--fetch-revocation), which nothing in it lets us check."""
    from edcbridge.seal import jades
    from edcbridge.seal.errors import SealFormatError
    from edcbridge.seal.revocation import status_entries

    if looks_like_xml(data):
        return XML_REVOCATION_UNCHECKED if fetch_revocation else None
    if fetch_revocation:
        return None
    try:
        credential = json.loads(jades.parse(data).content())
    except (SealFormatError, ValueError, RecursionError):
        return None
    entries = status_entries(credential) if isinstance(credential, dict) else []
    if not entries:
        return None
    return (f"its credential status ({' and '.join(e.describe() for e in entries)}) was not checked: "
            "add --fetch-revocation to count it only when not revoked")


def held_file_problem(data: bytes, source: str, held_catalogue: Catalogue, catalogue: Catalogue,
                      anchors: Sequence[x509.Certificate], fetch_revocation: bool = False) -> str | None:
    """Why a held credential file does not count, or None when it may."""
    ours = catalogue.organisation(catalogue.issuer)
    theirs = held_catalogue.organisation(held_catalogue.issuer)
    if not same_organisation(ours, theirs):
        name = next(iter(theirs.legal_name.values()), theirs.key)
        return (f"it is issued by {name}, not by {next(iter(ours.legal_name.values()), ours.key)}: "
                "credit from another institution needs a recognition decision first")
    verdict = seal_verdict(data, source, anchors, fetch_revocation)
    if verdict.problem is not None:
        return verdict.problem
    if verdict.certificate is None:
        return "its seal names no certificate"
    mismatch = issuer_mismatches(certificate_identity(verdict.certificate), catalogue, catalogue.issuer)
    if mismatch:
        return "it is sealed by another organisation than its issuer: " + "; ".join(mismatch)
    return None


def anchors_from(paths: Sequence[Path],
                 own_seal: Sequence[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """The trust anchors given, plus the institution's own seal certificate and its chain."""
    from edcbridge.seal.verify import load_trust_anchors

    return (*load_trust_anchors(paths), *own_seal)


def _utc_day(written: str, after: bool = False) -> dt.date:
    """The UTC day of an xsd:date or dateTime (the importer has checked its form), read as UTC
    when it names no time zone, as the importer reads ``issued``; with ``after``, the first UTC
    day wholly after its instant. Past either end of the calendar, the end."""
    moment = dt.datetime.fromisoformat(written)
    try:
        moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
        day = moment.date()
        return day + dt.timedelta(days=1) if after and moment.time() != dt.time(0, 0) else day
    except OverflowError:
        return dt.date.max if moment.year == dt.MAXYEAR else dt.date.min


def validity_days(date_times: dict[str, str]) -> tuple[dt.date | None, dt.date | None]:
    """A held credential's validFrom and validUntil as UTC days, for ``check_stack``, which
    judges on a UTC day: the day it becomes valid, and the first day it is valid at no moment
    of (2026-05-01T23:59:59Z is still valid on 1 May; 2026-05-01T00:00+02:00 is not on 1 May)."""
    since, until = date_times.get("validFrom"), date_times.get("validUntil")
    return (_utc_day(since) if since else None), (_utc_day(until, after=True) if until else None)
