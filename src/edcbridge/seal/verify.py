"""Verify JAdES-sealed credentials; checks named after the EDC verification taxonomy.

Each check ends OK, ERROR or SKIPPED with a reason:

* SEAL: JWS signature over the exact payload bytes; the signed reference to the signing
  certificate (`x5t#S256`, `x5t#o` or `sigX5ts`: required, as for a JAdES baseline signature)
  and `kid`; key usage, key strength (RSA 2048 bits or more, no SHA-1 certificate signature),
  a QcType that allows seals, and the chain to a configured trust anchor (valid when a trusted
  signature timestamp proves, else now; never at the claimed sigT), every candidate issuer
  tried; what the QC statements claim is reported. Without trust anchors the signature is still
  checked and SEAL can be OK, but its reason says trust was not established; pass
  ``require_trust=True`` to make that an ERROR.
* TIMESTAMP: every `sigTst` token is valid (CMS signature, ESS signing certificate, a TSA
  certificate for timestamping valid at the token's time), covers the ASCII signature value,
  is not older than `sigT`, and chains to a trust anchor when anchors are configured, or is
  a timestamp service of the trusted lists in force then, qualified or recognised
  (``VerifyOptions.qualified_tsa``). A
  content timestamp (`adoTst`, over the payload) and archive timestamps (`arcTst`, over
  payload, header, signature and the etsiU entries before them) are checked the same way. A
  token whose authority leads to no anchor, or signed with SHA-1, proves no time: TIMESTAMP is
  SKIPPED, and the seal is checked as at level B-B.
* FORMAT: the caller's check on the unwrapped credential (SKIPPED without one).
* EXPIRY: `validFrom` / `issuanceDate` not in the future, `validUntil` / `expirationDate` not
  past, and the seal certificate valid at the signing time. A certificate that expired after a
  timestamp-proven signing time is OK (that is what B-T and above are for); after a merely
  claimed `sigT` it is an ERROR. A `sigT` in the future is refused (SEAL and EXPIRY).
* REVOCATION: embedded CRL / OCSP values (`rVals`) about the seal certificate, current at the
  time a signature timestamp proves, else at verification time (never at the claimed `sigT`;
  EN 319 102-1 judges freshness against a proven time). With fetching enabled and no
  embedded data current, the certificate's OCSP responders are asked (RFC 6960, with a nonce),
  and its CRLs fetched when OCSP gives no current answer. The credential's
  own status entries (StatusList2021 / Bitstring Status List) are checked when fetching is
  enabled, and named as not checked otherwise. By default a status that cannot be established
  is SKIPPED (soft fail); ``require_revocation=True`` makes it an ERROR (hard fail).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography import x509

from edcbridge.bounded_file import (
    MAX_BYTES,
    TooLarge,
    link_to_nothing,
    read_bounded,
    too_large_problem,
    unread_reason,
)
from edcbridge.jws_compact import compact_jws
from edcbridge.seal import jades, revocation, tst
from edcbridge.seal.certs import (
    build_chain,
    issuer_serial,
    key_usage_names,
    qualification,
    seal_purpose_problem,
    unreadable_problem,
    validity_problem,
)
from edcbridge.seal.errors import IncompleteJson, RevocationError, SealFormatError, TimestampError
from edcbridge.unique_json import DuplicateMember, loads_unique

Status = Literal["OK", "ERROR", "SKIPPED"]
CHECKS = ("SEAL", "TIMESTAMP", "FORMAT", "EXPIRY", "REVOCATION")
FormatCheck = Callable[[dict[str, Any]], tuple[str, str]]

# A TSA answers after the signer chose sigT; allow that much clock difference the other way.
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Check:
    status: Status
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, "reason": self.reason}


# (an XML credential's bytes, its source) -> its FORMAT check (the official XSD)
XmlFormatCheck = Callable[[bytes, str], Check]

@dataclass
class Verification:
    """Outcome for one document; `payload` is the signed text when SEAL is OK."""

    checks: dict[str, Check]
    payload: str | None = None
    certificate: x509.Certificate | None = None
    signing_time: datetime | None = None
    unreadable: str | None = None  # the verdict's words for a file that stops early (cut_short)
    unsigned_content: list[str] = field(default_factory=list)  # see jades.ParsedSeal.unsigned_members
    not_read: str | None = None  # the verdict's words for a file not read whole: see not_read_verdict
    anchor: x509.Certificate | None = None  # the trust anchor the seal's chain ends at
    listed: dict[str, object] | None = None  # what the trusted lists say of it (--trusted-list)
    proven_time: datetime | None = None  # the earliest trusted signature timestamp's time

    @property
    def ok(self) -> bool:
        return all(c.status != "ERROR" for c in self.checks.values())

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {name: check.as_dict() for name, check in self.checks.items()}


QualifiedTsa = Callable[[x509.Certificate, Sequence[x509.Certificate], datetime], str | None]
"""What says whether a timestamp authority (its certificate, the certificates to chain it
through) was a timestamp service of the trusted lists in force at a timestamp's time, and whether
a qualified one: its words, or None."""


@dataclass(frozen=True)
class VerifyOptions:
    trust_anchors: tuple[x509.Certificate, ...] = ()
    qualified_tsa: QualifiedTsa | None = None  # the trusted lists' TSA/QTST services (--trusted-list)
    require_trust: bool = False
    fetch_revocation: bool = False
    require_revocation: bool = False  # hard fail: a status not established is an ERROR
    format_check: FormatCheck | None = None
    xml_format_check: XmlFormatCheck | None = None  # FORMAT of an XAdES-sealed XML file
    at: datetime | None = None
    timeout: float = revocation.DEFAULT_TIMEOUT
    # EXPIRY judges the credential's own validFrom / validUntil at ``at``; off for a caller that
    # judges them on a date of its own (``stack --as-of``), the seal certificate still checked
    credential_dates: bool = True


_NO_SIGT = "protected header has no valid sigT (claimed signing time)"


@dataclass
class _Context:
    seal: jades.ParsedSeal
    leaf: x509.Certificate
    pool: list[x509.Certificate]
    signing_time: datetime | None
    at: datetime
    options: VerifyOptions
    timestamps: list[tst.Timestamp] = field(default_factory=list)
    qualified: list[str] = field(default_factory=list)  # what the lists say of each qualified timestamp's TSA
    sigt_problem: str = _NO_SIGT
    trusted: bool = False  # the seal is valid and chains to a trust anchor: its URLs may be followed
    anchor: x509.Certificate | None = None  # the anchor the chain ends at


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _short(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ANCHOR_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})


def load_trust_anchors(paths: Sequence[Path]) -> tuple[x509.Certificate, ...]:
    """The certificates of trust-anchor files (PEM, several allowed, or DER) and folders (their
    .pem, .crt, .cer and .der files), as a CA publishes them."""
    anchors: list[x509.Certificate] = []
    for path in paths:
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in _ANCHOR_SUFFIXES) \
            if path.is_dir() else [path]
        if not found:
            raise SealFormatError(f"folder {path} holds no .pem, .crt, .cer or .der certificate")
        anchors.extend(cert for file in found for cert in _anchor_certificates(file))
    return tuple(anchors)


def _anchor_certificates(path: Path) -> list[x509.Certificate]:
    try:
        data = read_bounded(path)
    except OSError as exc:
        raise SealFormatError(f"{path} cannot be read: {exc.strerror}") from exc
    except TooLarge:
        raise SealFormatError(f"{path} holds more than {MAX_BYTES:,} bytes, far more than CA certificates "
                              "do: give the issuer's CA certificate") from None
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SealFormatError(f"{path} is not a certificate (PEM or DER): give the issuer's CA "
                              "certificate") from exc


def _xvals(seal: jades.ParsedSeal) -> list[x509.Certificate]:
    """The certificates of the unsigned xVals that can be read in full; anyone can add to them,
    so the others are left out rather than refused."""
    certs = []
    for value in seal.unsigned("xVals"):
        for item in value if isinstance(value, list) else []:
            ref = item.get("x509Cert") if isinstance(item, dict) else None
            val = ref.get("val") if isinstance(ref, dict) else None
            if isinstance(val, str):
                try:
                    certs.append(x509.load_der_x509_certificate(base64.b64decode(val)))
                except (ValueError, binascii.Error):
                    continue
    return [c for c in certs if unreadable_problem(c) is None]


def _seal_check(ctx: _Context) -> Check:
    seal, leaf = ctx.seal, ctx.leaf
    reference = jades.certificate_reference_problem(seal.protected, leaf)
    if reference:
        return Check("ERROR", reference)
    kid = seal.protected.get("kid")
    if kid is not None and not isinstance(kid, str):
        return Check("ERROR", "kid must be a string (the base64 IssuerSerial of the x5c certificate)")
    if isinstance(kid, str) and kid != base64.b64encode(issuer_serial(leaf)).decode("ascii"):
        return Check("ERROR", "kid (IssuerSerial) does not match the x5c certificate")
    problem = jades.verify_signature(seal, leaf)
    if problem:
        return Check("ERROR", problem)
    if ctx.signing_time is None:
        return Check("ERROR", ctx.sigt_problem)
    usage = key_usage_names(leaf)
    if not {"digital_signature", "content_commitment"} & set(usage):
        return Check("ERROR", f"certificate '{_name(leaf)}' has no signing key usage")
    purpose = seal_purpose_problem(leaf)
    if purpose:
        return Check("ERROR", f"signature valid, but {purpose}: it cannot make a seal")
    done = (f"{seal.protected['alg']} signature valid over the exact payload, by '{_name(leaf)}' "
            f"({qualification(leaf)})")
    anchors = ctx.options.trust_anchors
    if not anchors:
        if ctx.options.require_trust:
            return Check("ERROR", f"{done}; trust not established: no trust anchor configured")
        return Check("OK", f"{done}; trust not established: no trust anchor configured")
    moment, when = _chain_time(ctx)
    path, failure = build_chain(leaf, ctx.pool, anchors, moment)
    if failure:
        return Check("ERROR", f"{done}; but not trusted {when}: {failure}")
    ctx.trusted, ctx.anchor = True, path[-1]
    return Check("OK", f"{done}; chain to trust anchor '{_name(path[-1])}'")


def _chain_time(ctx: _Context) -> tuple[datetime, str]:
    """When the chain to the anchor must hold: at the earliest trusted signature timestamp, else
    now. Never at the claimed sigT, which the signer chooses: back-dating it would otherwise
    revive a CA certificate that has expired."""
    if ctx.timestamps:
        first = min(t.gen_time for t in ctx.timestamps)
        return first, f"at the signature timestamp {_short(first)}"
    return ctx.at, f"at verification time {_short(ctx.at)} (no trusted signature timestamp)"


def _token_der(val: str) -> bytes:
    """Base64 (as the EC writes it) or base64url; unreadable text gives b"", which then fails
    the token check instead of being skipped."""
    try:
        return base64.b64decode(val, validate=True)
    except (ValueError, binascii.Error):
        try:
            return jades.b64url_decode(val)
        except SealFormatError:
            return b""


def _tokens_of(value: object) -> list[bytes]:
    """The DER tokens of a JAdES timestamp container {"tstTokens": [{"val": ...}]}."""
    items = value.get("tstTokens") if isinstance(value, dict) else None
    tokens = []
    for item in items if isinstance(items, list) else []:
        val = item.get("val") if isinstance(item, dict) else None
        if isinstance(val, str):
            tokens.append(_token_der(val))
    return tokens


class _StampError(Exception):
    """A timestamp failed; the message is the check's reason."""


class _UntrustedStamp(_StampError):
    """A sound timestamp from an authority that leads to no trust anchor. It proves no time, but
    says nothing against the seal either: anyone can strip the unsigned header it sits in."""


class _WeakStamp(_StampError):
    """A timestamp signed with or over SHA-1 (:class:`tst.WeakTimestamp`): set aside as an untrusted one."""


def _stamps(ctx: _Context, kind: str, tokens: list[bytes], data: bytes) -> list[tst.Timestamp]:
    stamps = []
    for token in tokens:
        try:
            digest = hashlib.new(tst.imprint_algorithm(token), data).digest()
            stamp = tst.verify_token(token, digest, tuple(ctx.pool))
        except tst.WeakTimestamp as exc:
            raise _WeakStamp(f"{kind}: {exc}") from exc
        except TimestampError as exc:
            raise _StampError(f"{kind}: {exc}") from exc
        if stamp.gen_time > ctx.at + _CLOCK_SKEW:
            raise _StampError(f"{kind}: the timestamp's time {_short(stamp.gen_time)} is after the "
                              f"verification time {_short(ctx.at)}: the authority's clock is wrong")
        qualified, failure = tsa_trust(stamp, ctx.pool, ctx.options)
        if failure:
            raise _UntrustedStamp(f"{kind} by '{_name(stamp.tsa_certificate)}': the timestamp authority "
                                  f"is not trusted ({failure})")
        if qualified:
            ctx.qualified.append(qualified)
        stamps.append(stamp)
    return stamps


def tsa_trust(stamp: tst.Timestamp, pool: Sequence[x509.Certificate],
              options: VerifyOptions) -> tuple[str | None, str | None]:
    """Whether *stamp*'s authority is trusted: what the trusted lists say of it as a qualified
    timestamp service at the stamp's time, else whether it chains to a trust anchor (the
    reason it does not; None without anchors, when no trust is established)."""
    chain_pool = [*pool, *stamp.certificates]
    if options.qualified_tsa is not None:
        words = options.qualified_tsa(stamp.tsa_certificate, chain_pool, stamp.gen_time)
        if words:
            return words, None
    if not options.trust_anchors and options.qualified_tsa is not None:
        return None, f"not a timestamp service of the trusted lists in force at {_short(stamp.gen_time)}"
    if not options.trust_anchors:
        return None, None
    _, failure = build_chain(stamp.tsa_certificate, chain_pool, options.trust_anchors, stamp.gen_time)
    return None, failure


def untrusted_tsa_hint(options: VerifyOptions) -> str:
    """The two ways to trust a timestamp authority, as they stand with the lists given or not."""
    listed = ("give with --trusted-list the trusted list that names its timestamp service (a TSA/QTST "
              "granted, or a TSA recognised, at the timestamp's time)")
    if options.qualified_tsa is not None:
        listed += ": the lists given name none in force at that time"
    return f"to rely on it, add the authority's CA with --trust-anchor, or {listed}"


def _archive_stamps(ctx: _Context) -> list[tst.Timestamp]:
    seal = ctx.seal
    stamps = []
    for index, entry in enumerate(seal.etsiu):
        if "arcTst" not in entry:
            continue
        earlier = seal.etsiu_encoded[:index]
        if any(e is None for e in earlier):
            raise _StampError("archive timestamp over clear-JSON etsiU entries cannot be checked")
        data = jades.archive_timestamp_input(
            seal.payload, seal.protected_b64, seal.signature_b64, [str(e) for e in earlier]
        )
        stamps += _stamps(ctx, "archive timestamp", _tokens_of(entry["arcTst"]), data)
    return stamps


def _order_problem(
    ctx: _Context, signature: list[tst.Timestamp], content: list[tst.Timestamp], archive: list[tst.Timestamp]
) -> str | None:
    """Timestamps must come in the order the signature was made: content, sigT, signature, archive."""
    if not signature:
        return None
    first = min(s.gen_time for s in signature)
    if ctx.signing_time and first + _CLOCK_SKEW < ctx.signing_time:
        return (f"signature timestamp {_short(first)} is before the claimed signing time "
                f"{_short(ctx.signing_time)}")
    if any(s.gen_time > first + _CLOCK_SKEW for s in content):
        return "content timestamp is later than the signature timestamp"
    if any(s.gen_time + _CLOCK_SKEW < first for s in archive):
        return "archive timestamp is earlier than the signature timestamp"
    return None


def _timestamp_check(ctx: _Context) -> Check:
    seal = ctx.seal
    tokens = [t for value in seal.unsigned("sigTst") for t in _tokens_of(value)]
    content_tokens = _tokens_of(seal.protected.get("adoTst"))
    if not tokens and not content_tokens:
        return Check("SKIPPED", "no signature timestamp (sigTst): level B-B")
    try:
        signature = _stamps(ctx, "signature timestamp", tokens, seal.signature_b64.encode("ascii"))
        content = _stamps(ctx, "content timestamp", content_tokens, seal.payload.encode("utf-8"))
        archive = _archive_stamps(ctx) if signature else []
    except _UntrustedStamp as exc:
        return Check("SKIPPED", f"{exc}, so the signing time is not proven (checked as at level B-B); "
                                f"{untrusted_tsa_hint(ctx.options)}")
    except _WeakStamp as exc:
        return Check("SKIPPED", f"{exc}; {tst.SET_ASIDE}")
    except _StampError as exc:
        return Check("ERROR", str(exc))
    problem = _order_problem(ctx, signature, content, archive)
    if problem:
        return Check("ERROR", problem)
    ctx.timestamps.extend(signature)
    reasons = []
    if signature:
        tsa = _name(signature[0].tsa_certificate)
        first = min(s.gen_time for s in signature)
        reasons.append(f"signature timestamp {_short(first)} by '{tsa}' covers the signature value")
    if content:
        reasons.append(f"content timestamp {_short(content[0].gen_time)} covers the payload")
    if not signature:
        reasons.append("no signature timestamp (sigTst)")
    if archive:
        reasons.append(
            f"archive timestamp {_short(archive[-1].gen_time)} covers signature and validation data"
        )
    reasons += list(dict.fromkeys(ctx.qualified))
    if ctx.qualified and len(ctx.qualified) < len(signature) + len(content) + len(archive):
        reasons.append("each other TSA chains to a trust anchor")
    elif not ctx.qualified and ctx.options.trust_anchors:
        reasons.append("each TSA chains to a trust anchor")
    elif not ctx.qualified:
        reasons.append("TSA trust not established: no trust anchor configured")
    return Check("OK", "; ".join(reasons))


class _DateError(ValueError):
    """A credential date member that is not a date-time; the message is the reason."""


def _credential_date(credential: dict[str, Any], name: str) -> datetime | None:
    value = credential.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise _DateError(f"{name} '{value}' is not a date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def credential_validity(credential: dict[str, Any], at: datetime) -> tuple[bool, str]:
    """validFrom (VC 2.0) / issuanceDate (VC 1.1) reached and neither validUntil (VC 2.0) nor
    expirationDate (VC 1.1) passed: a credential carrying both is read by verifiers of either
    model, so it is expired when either end date has passed."""
    try:
        starts = [(n, _credential_date(credential, n)) for n in ("validFrom", "issuanceDate")]
        ends = [(n, _credential_date(credential, n)) for n in ("validUntil", "expirationDate")]
    except _DateError as exc:
        return False, str(exc)
    for name, start in starts:
        if start is not None and start > at + _CLOCK_SKEW:
            return False, f"credential not valid before {_short(start)} ({name})"
    known = [(until, name) for name, until in ends if until is not None]
    if not known:
        return True, "credential has no validUntil"
    until, until_name = min(known)
    if until < at:
        return False, f"credential expired on {_short(until)} ({until_name})"
    return True, f"credential valid until {_short(until)}"


CLAIMED_TIME = "the signing time the seal claims"


def _expiry_check(ctx: _Context, credential: dict[str, Any] | None) -> Check:
    parts = []
    if credential is not None and ctx.options.credential_dates:
        good, text = credential_validity(credential, ctx.at)
        if not good:
            return Check("ERROR", text)
        parts.append(text)
    leaf, signed = ctx.leaf, ctx.signing_time
    if signed is None:
        return Check("ERROR", f"{ctx.sigt_problem}: certificate validity cannot be checked")
    # without a timestamp, sigT is the sealer's own word: said so, never as the time of sealing
    when = f"signing time {_short(signed)}" if ctx.timestamps else \
        f"{_short(signed)}, {CLAIMED_TIME} (no timestamp proves it)"
    problem = validity_problem(leaf, signed)
    if problem:
        return Check("ERROR", f"seal certificate {problem}: not valid at {when}")
    expiry = leaf.not_valid_after_utc
    if expiry >= ctx.at:
        parts.append(f"seal certificate valid at {when} (until {_short(expiry)})")
        return Check("OK", "; ".join(parts))
    proven = [t for t in ctx.timestamps if t.gen_time <= expiry]
    if proven:
        parts.append(
            f"seal certificate expired on {_short(expiry)}, after the signing time proven by the "
            f"signature timestamp ({_short(proven[0].gen_time)})"
        )
        return Check("OK", "; ".join(parts))
    return Check(
        "ERROR",
        f"seal certificate expired on {_short(expiry)}; the signing time {_short(signed)} is only "
        "claimed (no valid, trusted signature timestamp proves it)",
    )


def _revocation_time(ctx: _Context) -> tuple[datetime, str]:
    """When revocation data must have been current: the earliest valid signature timestamp
    (trusted when anchors are configured: the rule EXPIRY uses), else verification time.
    Never the claimed sigT, which anyone can back-date to match old data."""
    if ctx.timestamps:
        first = min(t.gen_time for t in ctx.timestamps)
        return first, f"at the signature timestamp {_short(first)}"
    return ctx.at, f"at verification time {_short(ctx.at)}"


def _items(value: dict[str, Any], name: str) -> list[Any]:
    items = value.get(name)
    return items if isinstance(items, list) else []


def _embedded_findings(
    ctx: _Context, issuer: x509.Certificate, pool: list[x509.Certificate], at: datetime
) -> tuple[list[revocation.Finding], list[str]]:
    """What the rVals say about the seal certificate, and what in them was ignored: anyone can
    add to the unsigned header, so data that is unreadable or not soundly signed decides nothing.
    """
    findings: list[revocation.Finding] = []
    ignored: list[str] = []
    for value in ctx.seal.unsigned("rVals"):
        if not isinstance(value, dict):
            continue
        for item in _items(value, "crlVals"):
            val = item.get("val") if isinstance(item, dict) else None
            try:
                crl = revocation.load_crl(base64.b64decode(str(val)), "rVals")
            except (RevocationError, ValueError, binascii.Error):
                ignored.append("an unreadable CRL")
                continue
            _sort(revocation.crl_finding(crl, ctx.leaf, issuer, at), findings, ignored)
        for item in _items(value, "ocspVals"):
            val = item.get("val") if isinstance(item, dict) else None
            try:
                der = base64.b64decode(str(val))
            except (ValueError, binascii.Error):
                ignored.append("an unreadable OCSP value")
                continue
            _sort(revocation.ocsp_finding(der, ctx.leaf, issuer, pool, at), findings, ignored)
    return findings, ignored


def _sort(finding: revocation.Finding | None, findings: list[revocation.Finding], ignored: list[str]) -> None:
    """Sound data (good, revoked, or out of date) is a finding; the rest is ignored."""
    if finding is None:
        return
    if finding.good or finding.revoked or not finding.current:
        findings.append(finding)
    else:
        ignored.append(finding.reason)


def _fetched_findings(ctx: _Context, issuer: x509.Certificate,
                      pool: list[x509.Certificate]) -> list[revocation.Finding]:
    """What the certificate's OCSP responders say, else its CRLs, current now.

    An OCSP answer decides when it is "good" and current, or "revoked"; otherwise (no
    responder, unreachable, status unknown, out of date) the CRLs are fetched, and what went
    wrong with OCSP is kept in their finding. RevocationError when nothing could be fetched.
    """
    problems: list[RevocationError] = []
    if revocation.ocsp_urls(ctx.leaf):
        try:
            return [revocation.ask_ocsp(ctx.leaf, issuer, pool, at=ctx.at, timeout=ctx.options.timeout)[0]]
        except RevocationError as exc:
            problems.append(exc)
    findings = []
    for url in revocation.crl_urls(ctx.leaf):
        try:
            crl = revocation.fetch_crl(url, timeout=ctx.options.timeout)
        except RevocationError as exc:
            problems.append(exc)
            continue
        finding = revocation.crl_finding(crl, ctx.leaf, issuer, ctx.at)
        if finding:
            findings.append(finding)
    if not findings and problems:  # each failure's cause, and the advice once
        raise RevocationError.joined(problems)
    if problems:  # say what OCSP (or another CRL) could not tell
        said = RevocationError.joined(problems)
        findings = [replace(f, reason=f"{f.reason} ({said})") for f in findings]
    return findings


def _certificate_revocation(ctx: _Context) -> Check:
    pool = [*ctx.pool, *ctx.options.trust_anchors]
    # the issuer on the trusted chain, not the first certificate of the right name: anyone can
    # add to the unsigned xVals one whose key the seal certificate's signature also verifies under
    issuer = revocation.find_issuer(ctx.leaf, ctx.pool, ctx.options.trust_anchors, _chain_time(ctx)[0])
    fetch = ctx.options.fetch_revocation
    if issuer is None:
        if any(isinstance(v, dict) for v in ctx.seal.unsigned("rVals")):
            return Check("SKIPPED", "revocation values present but the issuer certificate is not")
        if fetch:  # a chain to an anchor always holds the issuer: this seal is not trusted
            return Check("SKIPPED", "revocation not fetched: the issuer certificate is not available "
                                    "and the seal does not chain to a trust anchor (add --trust-anchor)")
        return Check("SKIPPED", "no revocation data about the seal certificate; add "
                                "--fetch-revocation to check online")
    at, when = _revocation_time(ctx)
    embedded, ignored = _embedded_findings(ctx, issuer, pool, at)
    check = _judged(ctx, issuer, pool, embedded, when)
    if not ignored:
        return check
    return replace(check, reason=f"{check.reason} (ignored in rVals: {'; '.join(ignored)})")


def _judged(ctx: _Context, issuer: x509.Certificate, pool: list[x509.Certificate],
            embedded: list[revocation.Finding], when: str) -> Check:
    fetch = ctx.options.fetch_revocation
    revoked = [f for f in embedded if f.revoked]
    if revoked:
        return _revoked_check(ctx, revoked)
    good = [f.reason for f in embedded if f.good]
    if good:
        return Check("OK", f"embedded, current {when}: " + "; ".join(good))
    stale = [f.reason for f in embedded if not f.current]
    if fetch and not ctx.trusted:  # the certificate's URLs are the signer's to choose
        return Check("ERROR" if stale else "SKIPPED", "; ".join([*stale, (
            "revocation not fetched: the seal does not chain to a trust anchor, so the URLs in its "
            "certificate are not followed (add --trust-anchor)")]))
    if fetch:
        return _fetched_check(ctx, issuer, pool, stale)
    if stale:
        return Check("ERROR", "; ".join(stale) + "; add --fetch-revocation to check online")
    return Check("SKIPPED", "no revocation data about the seal certificate; add "
                            "--fetch-revocation to check online")


def _revoked_check(ctx: _Context, revoked: list[revocation.Finding]) -> Check:
    """ERROR, unless a trusted signature timestamp proves the seal was made before every
    revocation (past signature validation, EN 319 102-1): a certificate revoked later, say when
    the seal was replaced, does not undo the credentials it sealed while it was good."""
    reasons = "; ".join(f.reason for f in revoked)
    if not (ctx.trusted and ctx.options.trust_anchors and ctx.timestamps):
        return Check("ERROR", reasons)
    proven = min(t.gen_time for t in ctx.timestamps)
    if all(f.revoked_at is not None and proven < f.revoked_at for f in revoked):
        return Check("OK", f"{reasons}: after the signature timestamp {_short(proven)} proves the seal "
                           "was made, so it stands (past signature validation)")
    return Check("ERROR", reasons)


def _fetched_check(ctx: _Context, issuer: x509.Certificate, pool: list[x509.Certificate],
                   stale: list[str]) -> Check:
    """Fetch when nothing embedded is current: data out of date proves nothing either way."""
    try:
        fetched = _fetched_findings(ctx, issuer, pool)
    except RevocationError as exc:
        return Check("ERROR", str(exc))
    if not fetched:
        named = revocation.ocsp_urls(ctx.leaf) or revocation.crl_urls(ctx.leaf)
        nothing = ("no revocation data about the seal certificate" if named else
                   "no revocation data: the seal certificate names no OCSP responder or CRL")
        return Check("SKIPPED", "; ".join([*stale, nothing]))
    revoked = [f for f in fetched if f.revoked]
    if revoked:
        return _revoked_check(ctx, revoked)
    bad = [f.reason for f in fetched if not f.good]
    if bad:
        return Check("ERROR", "; ".join(bad))
    note = "embedded data out of date; " if stale else ""
    return Check("OK", f"{note}fetched: " + "; ".join(f.reason for f in fetched))


def _unsealed_list(body: bytes) -> dict[str, Any] | None:
    """A JSON credential, or the claims of a VC-JWT (its `vc` claim for VC 1.1), unverified."""
    try:
        text = body.decode("utf-8-sig")
        compact = compact_jws(text)
        if compact is not None:
            text = jades.b64url_decode(compact["payload"]).decode("utf-8")
        value = json.loads(text)
    except (ValueError, RecursionError):  # SealFormatError, not UTF-8 or JSON, a 4,300-digit integer
        return None
    if isinstance(value, dict) and isinstance(value.get("vc"), dict):
        value = value["vc"]
    return value if isinstance(value, dict) else None


def _status_list(ctx: _Context, url: str) -> tuple[dict[str, Any], str]:
    """The status list credential at *url*, and how it was authenticated.

    A JAdES-sealed list must be sealed with the credential's own seal certificate (then it is
    as trustworthy as the credential); an unsealed list is used but said to be unverified.
    """
    body = revocation.fetch_status_list(url, timeout=ctx.options.timeout)
    try:
        doc = jades.parse(body)
    except SealFormatError:
        doc = None
    if doc is None:
        plain = _unsealed_list(body)
        if plain is None:
            raise RevocationError(f"status list {url} is neither a JSON credential, a JWT nor a JAdES seal")
        return plain, " (list signature not verified)"
    options = replace(ctx.options, fetch_revocation=False, format_check=None)
    result = verify_document(body, options)
    if result.payload is None or result.certificate is None:
        raise RevocationError(f"status list {url}: seal not valid: {result.checks['SEAL'].reason}")
    if result.certificate != ctx.leaf:
        raise RevocationError(
            f"status list {url} is sealed by '{_name(result.certificate)}', not with the "
            "credential's seal certificate"
        )
    listed, _ = _credential(result.payload)
    if listed is None:
        raise RevocationError(f"status list {url} is sealed, but its payload is not a JSON object")
    return listed, ""


# A credential names one status list per purpose, rarely more; the URLs are the signer's to
# choose, so a credential naming hundreds must not make the verifier fetch hundreds.
MAX_STATUS_LISTS = 8


def _status_finding(ctx: _Context, entry: revocation.StatusEntry) -> revocation.Finding:
    if not entry.checkable:
        return revocation.Finding(True, f"credential status {entry.describe()} not checked: unsupported")
    try:
        listed, caveat = _status_list(ctx, entry.list_url)
    except RevocationError as exc:
        return revocation.Finding(False, str(exc))
    finding = revocation.status_finding(entry, listed, ctx.at)
    return replace(finding, reason=finding.reason + caveat)


def _revocation_check(ctx: _Context, credential: dict[str, Any] | None) -> Check:
    """The seal certificate's revocation, then the credential's own status entries: any
    ERROR wins; otherwise the certificate's status, with what was (not) done about each."""
    required = ctx.options.require_revocation
    check = _certificate_revocation(ctx)
    if required and check.status == "SKIPPED":
        check = Check("ERROR", f"{check.reason} (revocation status is required)")
    entries = revocation.status_entries(credential) if credential else []
    if not entries:
        return check
    listed = " and ".join(e.describe() for e in entries)
    unknown = "ERROR" if required else check.status  # the lists' answers are not known
    if not ctx.options.fetch_revocation:
        return Check(unknown, f"{check.reason}; credential status {listed} not checked; "
                              "add --fetch-revocation")
    if not ctx.trusted:  # the list's URL is the signer's to choose
        return Check(unknown, f"{check.reason}; credential status {listed} not fetched: the seal "
                              "does not chain to a trust anchor (add --trust-anchor)")
    urls = {entry.list_url for entry in entries if entry.checkable}
    if len(urls) > MAX_STATUS_LISTS:
        return Check("ERROR", f"{check.reason}; the credential names {len(urls)} status lists, more than "
                              f"the {MAX_STATUS_LISTS} a verifier fetches: none was fetched")
    findings = [_status_finding(ctx, entry) for entry in entries]
    reasons = [check.reason, *(f.reason for f in findings)]
    failed = check.status == "ERROR" or any(not f.good for f in findings)
    return Check("ERROR" if failed else check.status, "; ".join(reasons))


def _format_check(check: FormatCheck | None, credential: dict[str, Any] | None,
                  unread: str = "payload is not a JSON object") -> Check:
    if credential is None and unread != _NOT_AN_OBJECT:  # ambiguous: refused whatever the check
        return Check("ERROR", unread)
    if check is None:
        return Check("SKIPPED", "no format check configured")
    if credential is None:
        return Check("ERROR", unread)
    status, reason = check(credential)
    if status not in ("OK", "ERROR", "SKIPPED"):
        raise ValueError(f"format check returned unknown status {status!r}")
    return Check(status, reason)  # type: ignore[arg-type]  # narrowed by the test above


def _signing_time(seal: jades.ParsedSeal, at: datetime) -> tuple[datetime | None, str]:
    """The claimed sigT, or None and why it cannot be used: a signing time after the
    verification time (beyond clock skew) is not a time the seal can have been made at."""
    sig_t = seal.protected.get("sigT")
    try:
        signing_time = jades.parse_time(sig_t) if isinstance(sig_t, str) else None
    except SealFormatError:
        signing_time = None
    if signing_time is None:
        return None, _NO_SIGT
    if signing_time > at + _CLOCK_SKEW:
        return None, f"claimed signing time sigT {_short(signing_time)} is in the future"
    return signing_time, _NO_SIGT


def _credential(payload: str) -> tuple[dict[str, Any] | None, str]:
    """The signed credential, or None and why when it is no JSON object the checks can walk."""
    # validation sits above the seal layer
    from edcbridge.validation.document import nested_too_deep, not_finite_problem

    try:
        credential = loads_unique(payload)
    except DuplicateMember as exc:
        return None, f"the signed credential is ambiguous: {exc}; ask the issuer to seal it again"
    except (ValueError, RecursionError):  # not JSON, or an integer of more than 4,300 digits
        return None, _NOT_AN_OBJECT
    if not isinstance(credential, dict) or nested_too_deep(credential):
        return None, _NOT_AN_OBJECT
    endless = not_finite_problem(credential)
    return (None, f"the signed {endless.removeprefix('the ')}") if endless else (credential, "")


_NOT_AN_OBJECT = "payload is not a JSON object"


def verify_document(data: bytes, options: VerifyOptions | None = None) -> Verification:
    options = options or VerifyOptions()
    at = options.at or datetime.now(UTC)
    try:
        seal = jades.parse(data)
        leaf = seal.certificates()[0]
    except SealFormatError as exc:
        skipped = Check("SKIPPED", "not a readable JAdES seal")
        checks = {name: skipped for name in CHECKS}
        checks["SEAL"] = Check("ERROR", str(exc))
        cut = cut_short(exc.line) if isinstance(exc, IncompleteJson) else None
        return Verification(checks, unreadable=cut)
    signing_time, sigt_problem = _signing_time(seal, at)
    pool = [*seal.certificates()[1:], *_xvals(seal)]
    ctx = _Context(seal, leaf, pool, signing_time, at, options, sigt_problem=sigt_problem)
    credential, unread = _credential(seal.content())
    timestamp = _timestamp_check(ctx)  # first: SEAL judges the chain at the time it proves
    seal_check = _seal_check(ctx)
    checks = {
        "SEAL": seal_check,
        "TIMESTAMP": timestamp,
        "FORMAT": _format_check(options.format_check, credential, unread),
        "EXPIRY": _expiry_check(ctx, credential),
        "REVOCATION": _revocation_check(ctx, credential),
    }
    checks["SEAL"] = naming_unsigned(seal_check, seal.unsigned_members)
    payload = seal.content() if seal_check.status == "OK" else None
    proven = min(t.gen_time for t in ctx.timestamps) if ctx.timestamps else None
    return Verification(checks, payload, leaf, signing_time, unsigned_content=seal.unsigned_members,
                        anchor=ctx.anchor, proven_time=proven)


def verify_file(path: Path, options: VerifyOptions | None = None) -> Verification:
    return verify_read(path, options)[1]


def verify_read(path: Path, options: VerifyOptions | None = None) -> tuple[bytes, Verification]:
    """The file's bytes (its first bytes only when it was too large to read, none when it could
    not be read) and their verification: the file is read once, at most ``MAX_BYTES``."""
    data, unread = read_for_verification(path)
    return data, unread or verify_document(data, options)


def read_for_verification(path: Path) -> tuple[bytes, Verification | None]:
    """The file's bytes, read once and at most ``MAX_BYTES``, and None; or, when it could not be
    read whole, its first bytes (none when it could not be read at all) and the verification
    saying why."""
    try:
        return read_bounded(path), None
    except OSError as exc:
        result = _unread_file(f"cannot read {path}: {exc.strerror}")
        result.not_read = not_read_verdict(path, exc)
        return b"", result
    except TooLarge as exc:
        result = _unread_file(too_large_problem(path, exc))
        result.not_read = not_read_verdict(path, exc)
        return exc.head, result


def _unread_file(problem: str) -> Verification:
    skipped = Check("SKIPPED", "file could not be read")
    checks = {name: skipped for name in CHECKS}
    checks["SEAL"] = Check("ERROR", problem)
    return Verification(checks)


# --- presentation: one verdict per file, in words a reader can act on -------------------------

Verdict = Literal["VALID", "UNCONFIRMED", "CHECK", "INVALID", "NOT SEALED", "UNREADABLE", "NOT A CREDENTIAL"]
VERDICTS: tuple[Verdict, ...] = ("VALID", "UNCONFIRMED", "CHECK", "INVALID", "NOT SEALED", "UNREADABLE",
                                 "NOT A CREDENTIAL")

# C0 and C1 controls, and the marks that reorder or hide text on a screen (bidi embeddings,
# overrides, isolates, directional marks, line and paragraph separators)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# a revocation the seal or credential status reports, as against data that cannot be confirmed
_REVOKED = re.compile(r"certificate revoked on|credential (revoked|suspended) per")
# SEAL's reason for a sound signature whose certificate leads to none of the anchors given
_UNANCHORED = re.compile(r"^\w+ signature valid over the exact payload, .*; but not trusted "
                         r"|^signature valid, but the certificate is not trusted")  # JAdES, XAdES
# SEAL's reason for a seal whose algorithm is not checked here: it may be sound (EN 319 102-1
# would say INDETERMINATE), so the verdict is CHECK, not INVALID (edcbridge.xml.xades.UNCHECKED)
_UNCHECKED = re.compile(r"\bcannot be checked here\b")
_BROKEN_IN_WORDS = {
    "SEAL": "the seal does not verify: the file was changed after sealing, or its seal or "
            "certificate is not acceptable",
    "TIMESTAMP": "the seal's timestamp does not verify",
    "CERTIFICATE": "the seal does not soundly name the certificate that made it",
}
_FAILED_IN_WORDS = {
    "FORMAT": "the credential does not follow the official EDC format, so EDC wallets and viewers "
              "may refuse it or show it differently",
    "REVOCATION": "whether the seal certificate or the credential has been revoked could not be "
                  "established",
}
_FILE_KINDS = ((b"%PDF-", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
               (b"GIF8", "a GIF image"), (b"PK\x03\x04", "a ZIP archive or office document"),
               (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
               (b"RIFF", "a RIFF file (WebP, WAV)"))


def shown(text: str) -> str:
    """*text* safe for a terminal: each control or direction mark written out as ``[U+202E]``,
    so a certificate name or file name cannot reorder, hide or recolour what is printed."""
    return _UNSAFE.sub(lambda found: f"[U+{ord(found.group()):04X}]", text)


def file_kind(head: bytes) -> str | None:
    """What a file evidently is when it is no credential (from its first bytes), else None."""
    if not head.strip():
        return "an empty file"
    return next((kind for magic, kind in _FILE_KINDS if head.startswith(magic)), None)


def sealer_name(certificate: x509.Certificate | None) -> str | None:
    """The organisation the seal certificate names (else its common name), safe to print."""
    if certificate is None:
        return None
    for oid in (x509.NameOID.ORGANIZATION_NAME, x509.NameOID.COMMON_NAME):
        names = certificate.subject.get_attributes_for_oid(oid)
        if names:
            return shown(str(names[0].value))
    return None


def sealer_identifier(certificate: x509.Certificate | None) -> str:
    """The organisation identifier (2.5.4.97) the seal certificate names, safe to print, else ''."""
    if certificate is None:
        return ""
    found = certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_IDENTIFIER)
    return shown(str(found[0].value)) if found else ""


_SHOWN_NAMES = 6  # issuer names the verdict quotes; a longer list ends saying how many more


def _issuer_words(names: Sequence[tuple[str, str]]) -> str:
    """The issuer's legal names (language, name) as the verdict quotes them."""
    quoted = [f"'{shown(name)}' ({shown(language)})" for language, name in names[:_SHOWN_NAMES]]
    more = len(names) - _SHOWN_NAMES
    return ", ".join(quoted) + (f" and {more} other name(s)" if more > 0 else "")


_TEST_WORD = re.compile(r"\bTEST\b")


def marked_for_tests(certificate: x509.Certificate | None) -> str:
    """The name in the seal certificate's subject that says TEST in capitals (as `dev-pki`
    seals and trust services' test certificates do; the organisational unit first), else ''."""
    if certificate is None:
        return ""
    attributes = sorted(certificate.subject, key=lambda a: a.oid != x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
    return next((shown(str(a.value)) for a in attributes if _TEST_WORD.search(str(a.value))), "")


@dataclass(frozen=True)
class Outcome:
    """A file's overall verdict and one sentence saying what it means and what to do next;
    *passed* when no check is ERROR (exit 0): a CHECK for a seal by another organisation passes."""

    verdict: Verdict
    sentence: str
    passed: bool = False


def seal_outcome(checks: dict[str, Check], *, anchored: bool, sealer: str | None,
                 note: str | None = None, test: str = "", identifier: str = "",
                 issuer: Sequence[tuple[str, str]] = ()) -> Outcome:
    """The verdict on a seal that could be read, the worst finding first: INVALID when the seal
    or its timestamp fails or a revocation is reported; CHECK for the other errors (the official
    format, a date, revocation not established, a seal whose algorithm is not checked here) or a
    seal by another organisation; then VALID (chains to a trust anchor) or UNCONFIRMED (no trust
    anchor given: anyone can seal in any name). Who sealed (*sealer*, its organisation
    *identifier*) is said beside the issuer's legal names (language, name) the credential gives:
    a reader sees the organisation the seal proves next to the names a viewer shows."""
    errors = {name: check.reason for name, check in checks.items() if check.status == "ERROR"}
    by = ""
    if sealer:
        by = f" Sealed by '{sealer}'" + (f" ({identifier})" if identifier else "")
        by += (f" for the issuer the credential names: {_issuer_words(issuer)}." if issuer else ".")
    if test:
        by += f" Its certificate says '{test}': a TEST seal, not a real one."
    failed = [name for name in ("SEAL", "TIMESTAMP", "CERTIFICATE") if name in errors]
    if failed == ["SEAL"] and _UNANCHORED.search(errors["SEAL"]):
        return Outcome("INVALID", "the seal is intact, but its certificate does not chain to any "
                                  "--trust-anchor given: check that you gave the issuer's CA certificate; "
                                  f"otherwise do not rely on this credential.{by}")
    revoked = bool(_REVOKED.search(errors.get("REVOCATION", "")))
    if failed == ["SEAL"] and _UNCHECKED.search(errors["SEAL"]) and not revoked:
        return Outcome("CHECK", "the seal could not be checked here (see the SEAL line): it is neither "
                                "confirmed nor shown broken; check it with another validator, such as the EU "
                                f"DSS demonstration, before relying on it.{by}")
    if failed or revoked:
        what = (f"{_BROKEN_IN_WORDS[failed[0]]} (see the {failed[0]} line)" if failed else
                "the seal certificate or the credential has been revoked (see the REVOCATION line)")
        return Outcome("INVALID", f"{what}: do not rely on this credential; ask the issuer for a new "
                                  f"copy.{by}")
    if errors:
        name = next(iter(errors))
        what = expiry_words(errors[name]) if name == "EXPIRY" else \
            _FAILED_IN_WORDS.get(name, f"the {name} check failed")
        return Outcome("CHECK", f"the seal is intact, but {what} (see the {name} line): decide whether "
                                f"that matters before relying on it.{by}")
    if note:
        return Outcome("CHECK", f"the seal is intact, but {note}.{by}", passed=True)
    if not anchored:
        return Outcome("UNCONFIRMED", "the seal is intact, but who made it was not checked: no "
                                      "--trust-anchor was given, and anyone can make a seal in any "
                                      f"name. Verify again with the issuer's CA certificate "
                                      f"(--trust-anchor FILE) before relying on it.{by}", passed=True)
    return Outcome("VALID", f"the seal is intact and made with a certificate that chains to a trust "
                            f"anchor you gave.{by}", passed=True)


def expiry_words(reason: str) -> str:
    """The verdict's words for an EXPIRY error (*reason*, the check's own words): a seal
    without a timestamp proves no signing time, so it is never said to be "when it was sealed"."""
    if reason.startswith("credential"):
        return "the credential is outside its validity dates"
    if "only claimed" in reason or "no valid timestamp proves" in reason:
        return ("the seal certificate is not valid now, and no timestamp proves the seal was made "
                f"while it was ({CLAIMED_TIME} is the sealer's own word)")
    if "the signature timestamp proves" in reason:
        return "the seal certificate was not valid at the signing time the seal's timestamp proves"
    if CLAIMED_TIME in reason:
        return f"the seal certificate was not valid at {CLAIMED_TIME}"
    return "the seal's signing time cannot be read, so the seal certificate's validity cannot be checked"


def sealed_by_another(problem: str) -> str:
    """The verdict's words for a sound seal made by another organisation than the credential's
    issuer (*problem* says how they differ): issuing by mandate, or a credential not the issuer's."""
    return (f"sealed by another organisation than the credential's issuer: {problem}; trust it only "
            "if that organisation issues on the issuer's behalf")


def naming_unsigned(seal: Check, found: Sequence[str]) -> Check:
    """The SEAL check *seal*, naming the content the seal carries but does not cover (*found*)
    when the seal holds."""
    if not found or seal.status != "OK":
        return seal
    return Check("OK", f"{seal.reason}; not covered by the seal: {'; '.join(found)}")


def joined_notes(*notes: str | None) -> str | None:
    """The verdict's notes given (None where there is none) as one, or None."""
    return "; and ".join(note for note in notes if note) or None


def unsigned_note(found: Sequence[str]) -> str | None:
    """The verdict's words for content a seal carries but does not cover (*found*), or None."""
    if not found:
        return None
    return (f"the file carries content outside the sealed credential that is not covered by the seal "
            f"({'; '.join(found)}): nothing vouches for it, so rely only on the credential itself")


def cut_short(line: int) -> str:
    """The verdict's words for a file that stops before its end, on *line*."""
    return (f"the file is incomplete: it stops at line {line}, cut short in transfer (an interrupted "
            "download or a clipped e-mail attachment, say)")


def unreadable_outcome(what: str) -> Outcome:
    """The verdict on a file that cannot be read as the form it starts in (*what* it is)."""
    return Outcome("UNREADABLE", f"{what}, so its seal cannot be checked (see the SEAL line): ask the "
                                 "sender for the file again.")


def not_read_verdict(path: Path, problem: OSError | TooLarge) -> str:
    """The verdict's words for a file not read whole (*problem*): a folder, one above the size
    limit (named), a link to nothing, or one this user could not read; nothing is known of its
    content, so neither the sender nor the seal is blamed."""
    if isinstance(problem, TooLarge):
        return (f"{problem}, so its seal was not checked: check that this is the right file (a "
                "credential is far smaller).")
    reason, fix = unread_reason(path, problem)
    if path.is_dir() or link_to_nothing(path) is not None:
        return f"{reason}: {fix}."
    return (f"the file could not be read here ({problem.strerror or problem}), so its seal cannot be "
            f"checked: {fix}.")


def not_read_outcome(verdict: str) -> Outcome:
    """The verdict on a file this verifier could not read whole (see :func:`not_read_verdict`)."""
    return Outcome("UNREADABLE", verdict)


def unread_outcome(head: bytes, *, unsealed: bool, expected: str,
                   other_command: str | None = None) -> Outcome:
    """The verdict on a file in which no seal could be read: what the file is, and what to do.

    *expected* names the sealed form the command reads; *other_command* is the edcbridge
    command for the other form, when the file is in that form."""
    if unsealed:
        return Outcome("NOT SEALED", "a credential without a seal: nothing proves who issued it or "
                                     "that it was not changed. Ask the issuer for the sealed file.")
    if other_command:
        return Outcome("UNREADABLE", f"not {expected}: verify this file with 'edcbridge {other_command}'.")
    kind = file_kind(head)
    what = f"{kind}, not {expected}" if kind else f"not {expected} (see the SEAL line)"
    return Outcome("UNREADABLE", f"{what}. Ask the issuer for the credential file itself (a printout "
                                 "or PDF copy carries no seal that can be checked).")


def not_a_credential(what: str) -> tuple[Verification, Outcome]:
    """The checks and verdict of a file an output folder holds beside the credentials (see
    :func:`edcbridge.folder_files.other_file`): nothing to verify, so no failure."""
    skipped = Check("SKIPPED", "not a credential")
    return Verification({name: skipped for name in CHECKS}), \
        Outcome("NOT A CREDENTIAL", f"{what}. Nothing to verify in it.", passed=True)


def summary_line(verdicts: Sequence[Verdict]) -> str:
    """'3 files: 2 VALID, 1 INVALID' in the order of :data:`VERDICTS`."""
    counts = [f"{verdicts.count(v)} {v}" for v in VERDICTS if v in verdicts]
    return f"{len(verdicts)} file{'s' if len(verdicts) != 1 else ''}: {', '.join(counts)}"
