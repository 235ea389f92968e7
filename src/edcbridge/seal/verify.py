"""Verify JAdES-sealed credentials; checks named after the EDC verification taxonomy.

Each check ends OK, ERROR or SKIPPED with a reason:

* SEAL: JWS signature over the exact payload bytes, certificate references (`x5t#S256`,
  `kid`), key usage, and the chain to a configured trust anchor. Without trust anchors the
  signature is still checked and SEAL can be OK, but its reason says trust was not
  established; pass ``require_trust=True`` to make that an ERROR.
* TIMESTAMP: every `sigTst` token is valid (CMS signature, ESS signing certificate, a TSA
  certificate for timestamping valid at the token's time), covers the ASCII signature value,
  is not older than `sigT`, and chains to a trust anchor when anchors are configured. A
  content timestamp (`adoTst`, over the payload) and archive timestamps (`arcTst`, over
  payload, header, signature and the etsiU entries before them) are checked the same way.
* FORMAT: the caller's check on the unwrapped credential (SKIPPED without one).
* EXPIRY: `validUntil` / `expirationDate`, and the seal certificate valid at the signing
  time. A certificate that expired after a timestamp-proven signing time is OK (that is what
  B-T and above are for); after a merely claimed `sigT` it is an ERROR.
* REVOCATION: embedded CRL / OCSP values (`rVals`) about the seal certificate, or CRLs fetched
  from its distribution points when fetching is enabled.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography import x509

from edcbridge.seal import jades, revocation, tst
from edcbridge.seal.certs import (
    build_chain,
    fingerprint,
    issuer_serial,
    key_usage_names,
    validity_problem,
)
from edcbridge.seal.errors import RevocationError, SealFormatError, TimestampError

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


@dataclass
class Verification:
    """Outcome for one document; `payload` is the signed text when SEAL is OK."""

    checks: dict[str, Check]
    payload: str | None = None
    certificate: x509.Certificate | None = None
    signing_time: datetime | None = None

    @property
    def ok(self) -> bool:
        return all(c.status != "ERROR" for c in self.checks.values())

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {name: check.as_dict() for name, check in self.checks.items()}


@dataclass(frozen=True)
class VerifyOptions:
    trust_anchors: tuple[x509.Certificate, ...] = ()
    require_trust: bool = False
    fetch_revocation: bool = False
    format_check: FormatCheck | None = None
    at: datetime | None = None
    timeout: float = revocation.DEFAULT_TIMEOUT


@dataclass
class _Context:
    seal: jades.ParsedSeal
    leaf: x509.Certificate
    pool: list[x509.Certificate]
    signing_time: datetime | None
    at: datetime
    options: VerifyOptions
    timestamps: list[tst.Timestamp] = field(default_factory=list)


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _short(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_trust_anchors(paths: Sequence[Path]) -> tuple[x509.Certificate, ...]:
    anchors: list[x509.Certificate] = []
    for path in paths:
        try:
            anchors.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise SealFormatError(f"trust anchor {path} is not a readable PEM certificate") from exc
    return tuple(anchors)


def _xvals(seal: jades.ParsedSeal) -> list[x509.Certificate]:
    certs = []
    for value in seal.unsigned("xVals"):
        for item in value if isinstance(value, list) else []:
            val = item.get("x509Cert", {}).get("val") if isinstance(item, dict) else None
            if isinstance(val, str):
                try:
                    certs.append(x509.load_der_x509_certificate(base64.b64decode(val)))
                except (ValueError, binascii.Error):
                    continue
    return certs


def _seal_check(ctx: _Context) -> Check:
    seal, leaf = ctx.seal, ctx.leaf
    x5t = seal.protected.get("x5t#S256")
    if x5t is not None and x5t != jades.b64url(fingerprint(leaf)):
        return Check("ERROR", "x5t#S256 does not match the x5c certificate")
    kid = seal.protected.get("kid")
    if isinstance(kid, str) and kid != base64.b64encode(issuer_serial(leaf)).decode("ascii"):
        return Check("ERROR", "kid (IssuerSerial) does not match the x5c certificate")
    problem = jades.verify_signature(seal, leaf)
    if problem:
        return Check("ERROR", problem)
    if ctx.signing_time is None:
        return Check("ERROR", "protected header has no valid sigT (claimed signing time)")
    usage = key_usage_names(leaf)
    if not {"digital_signature", "content_commitment"} & set(usage):
        return Check("ERROR", f"certificate '{_name(leaf)}' has no signing key usage")
    done = f"{seal.protected['alg']} signature valid over the exact payload, by '{_name(leaf)}'"
    anchors = ctx.options.trust_anchors
    if not anchors:
        if ctx.options.require_trust:
            return Check("ERROR", f"{done}; trust not established: no trust anchor configured")
        return Check("OK", f"{done}; trust not established: no trust anchor configured")
    path, failure = build_chain(leaf, ctx.pool, anchors, ctx.signing_time)
    if failure:
        return Check("ERROR", f"{done}; but not trusted: {failure}")
    return Check("OK", f"{done}; chain to trust anchor '{_name(path[-1])}'")


def _tokens_of(value: object) -> list[bytes]:
    """The DER tokens of a JAdES timestamp container {"tstTokens": [{"val": ...}]}."""
    tokens = []
    for item in value.get("tstTokens", []) if isinstance(value, dict) else []:
        val = item.get("val") if isinstance(item, dict) else None
        if isinstance(val, str):
            try:
                tokens.append(base64.b64decode(val, validate=True))
            except (ValueError, binascii.Error):
                tokens.append(jades.b64url_decode(val))
    return tokens


class _StampError(Exception):
    """A timestamp failed; the message is the check's reason."""


def _stamps(ctx: _Context, kind: str, tokens: list[bytes], data: bytes) -> list[tst.Timestamp]:
    stamps = []
    for token in tokens:
        try:
            digest = hashlib.new(tst.imprint_algorithm(token), data).digest()
            stamp = tst.verify_token(token, digest, tuple(ctx.pool))
        except TimestampError as exc:
            raise _StampError(f"{kind}: {exc}") from exc
        if ctx.options.trust_anchors:
            pool = [*ctx.pool, *stamp.certificates]
            _, failure = build_chain(stamp.tsa_certificate, pool, ctx.options.trust_anchors, stamp.gen_time)
            if failure:
                raise _StampError(f"{kind}: timestamp authority not trusted: {failure}")
        stamps.append(stamp)
    return stamps


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


def _timestamp_check(ctx: _Context) -> Check:
    seal = ctx.seal
    tokens = [t for value in seal.unsigned("sigTst") for t in _tokens_of(value)]
    if not tokens:
        return Check("SKIPPED", "no signature timestamp (sigTst): level B-B")
    try:
        signature = _stamps(ctx, "signature timestamp", tokens, seal.signature_b64.encode("ascii"))
        content = _stamps(
            ctx, "content timestamp", _tokens_of(seal.protected.get("adoTst")), seal.payload.encode("utf-8")
        )
        archive = _archive_stamps(ctx)
    except _StampError as exc:
        return Check("ERROR", str(exc))
    first = min(s.gen_time for s in signature)
    if ctx.signing_time and first + _CLOCK_SKEW < ctx.signing_time:
        return Check(
            "ERROR",
            f"signature timestamp {_short(first)} is before the claimed signing time "
            f"{_short(ctx.signing_time)}",
        )
    if any(s.gen_time > first + _CLOCK_SKEW for s in content):
        return Check("ERROR", "content timestamp is later than the signature timestamp")
    if any(s.gen_time + _CLOCK_SKEW < first for s in archive):
        return Check("ERROR", "archive timestamp is earlier than the signature timestamp")
    ctx.timestamps.extend(signature)
    tsa = _name(signature[0].tsa_certificate)
    reasons = [f"signature timestamp {_short(first)} by '{tsa}' covers the signature value"]
    if content:
        reasons.append(f"content timestamp {_short(content[0].gen_time)} covers the payload")
    if archive:
        reasons.append(
            f"archive timestamp {_short(archive[-1].gen_time)} covers signature and validation data"
        )
    if ctx.options.trust_anchors:
        reasons.append("each TSA chains to a trust anchor")
    else:
        reasons.append("TSA trust not established: no trust anchor configured")
    return Check("OK", "; ".join(reasons))


def _credential_validity(credential: dict[str, Any], at: datetime) -> tuple[bool, str]:
    until = credential.get("validUntil") or credential.get("expirationDate")
    if not until:
        return True, "credential has no validUntil"
    try:
        moment = datetime.fromisoformat(str(until))
    except ValueError:
        return False, f"validUntil '{until}' is not a date-time"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < at:
        return False, f"credential expired on {_short(moment)} (validUntil)"
    return True, f"credential valid until {_short(moment)}"


def _expiry_check(ctx: _Context, credential: dict[str, Any] | None) -> Check:
    parts = []
    if credential is not None:
        good, text = _credential_validity(credential, ctx.at)
        if not good:
            return Check("ERROR", text)
        parts.append(text)
    leaf, signed = ctx.leaf, ctx.signing_time
    if signed is None:
        return Check("ERROR", "no signing time (sigT): certificate validity cannot be checked")
    problem = validity_problem(leaf, signed)
    if problem:
        return Check("ERROR", f"seal certificate {problem}: not valid at signing time {_short(signed)}")
    expiry = leaf.not_valid_after_utc
    if expiry >= ctx.at:
        parts.append(f"seal certificate valid at signing time {_short(signed)} (until {_short(expiry)})")
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


def _revocation_check(ctx: _Context) -> Check:
    leaf = ctx.leaf
    pool = [*ctx.pool, *ctx.options.trust_anchors]
    issuer = revocation.find_issuer(leaf, pool)
    findings: list[revocation.Finding] = []
    for value in ctx.seal.unsigned("rVals"):
        if not isinstance(value, dict):
            continue
        if issuer is None:
            return Check("SKIPPED", "revocation values present but the issuer certificate is not")
        for item in value.get("crlVals") or []:
            val = item.get("val") if isinstance(item, dict) else None
            try:
                crl = revocation.load_crl(base64.b64decode(str(val)), "rVals")
            except (RevocationError, ValueError, binascii.Error):
                findings.append(revocation.Finding(False, "unreadable CRL in rVals"))
                continue
            finding = revocation.crl_finding(crl, leaf, issuer, ctx.signing_time)
            if finding:
                findings.append(finding)
        for item in value.get("ocspVals") or []:
            val = item.get("val") if isinstance(item, dict) else None
            try:
                der = base64.b64decode(str(val))
            except (ValueError, binascii.Error):
                findings.append(revocation.Finding(False, "unreadable OCSP value in rVals"))
                continue
            finding = revocation.ocsp_finding(der, leaf, issuer, pool)
            if finding:
                findings.append(finding)
    source = "embedded"
    if not findings and ctx.options.fetch_revocation:
        if issuer is None:
            return Check("ERROR", "cannot check revocation: issuer certificate not available")
        source = "fetched"
        try:
            for url in revocation.crl_urls(leaf):
                crl = revocation.fetch_crl(url, timeout=ctx.options.timeout)
                finding = revocation.crl_finding(crl, leaf, issuer, ctx.at)
                if finding:
                    findings.append(finding)
        except RevocationError as exc:
            return Check("ERROR", str(exc))
    if not findings:
        hint = "" if ctx.options.fetch_revocation else "; add --fetch-revocation to check online"
        return Check("SKIPPED", f"no revocation data about the seal certificate{hint}")
    bad = [f.reason for f in findings if not f.good]
    if bad:
        return Check("ERROR", "; ".join(bad))
    return Check("OK", f"{source}: " + "; ".join(f.reason for f in findings))


def _format_check(check: FormatCheck | None, credential: dict[str, Any] | None) -> Check:
    if check is None:
        return Check("SKIPPED", "no format check configured")
    if credential is None:
        return Check("ERROR", "payload is not a JSON object")
    status, reason = check(credential)
    if status not in ("OK", "ERROR", "SKIPPED"):
        raise ValueError(f"format check returned unknown status {status!r}")
    return Check(status, reason)  # type: ignore[arg-type]  # narrowed by the test above


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
        return Verification(checks)
    try:
        sig_t = seal.protected.get("sigT")
        signing_time = jades.parse_time(sig_t) if isinstance(sig_t, str) else None
    except SealFormatError:
        signing_time = None
    pool = [*seal.certificates()[1:], *_xvals(seal)]
    ctx = _Context(seal, leaf, pool, signing_time, at, options)
    try:
        credential = json.loads(seal.payload)
    except json.JSONDecodeError:
        credential = None
    if not isinstance(credential, dict):
        credential = None
    seal_check = _seal_check(ctx)
    timestamp = _timestamp_check(ctx)
    checks = {
        "SEAL": seal_check,
        "TIMESTAMP": timestamp,
        "FORMAT": _format_check(options.format_check, credential),
        "EXPIRY": _expiry_check(ctx, credential),
        "REVOCATION": _revocation_check(ctx),
    }
    payload = seal.payload if seal_check.status == "OK" else None
    return Verification(checks, payload, leaf, signing_time)


def verify_file(path: Path, options: VerifyOptions | None = None) -> Verification:
    try:
        data = path.read_bytes()
    except OSError as exc:
        skipped = Check("SKIPPED", "file could not be read")
        checks = {name: skipped for name in CHECKS}
        checks["SEAL"] = Check("ERROR", f"cannot read {path}: {exc.strerror}")
        return Verification(checks)
    return verify_document(data, options)
