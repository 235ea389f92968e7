"""The checks ``verify`` gives an Open Badge 3.0 / CLR 2.0 VC-JWT verified with its header's
``jwk`` whose ``x5c`` carries the seal certificate (as ``badges --seal`` writes them with an RSA
or EC seal): as for a JAdES seal, SEAL chains that certificate, whose key verified the signature,
to the ``--trust-anchor`` certificates given, so the token is VALID, UNCONFIRMED or INVALID in the
words a JAdES credential gets. A VC-JWT carries no timestamp: the chain and the certificate must
hold now."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from edcbridge.seal.certs import (
    build_chain,
    key_usage_names,
    qualification,
    seal_purpose_problem,
    unreadable_problem,
    validity_problem,
)
from edcbridge.seal.verify import (
    Check,
    Outcome,
    Status,
    Verification,
    VerifyOptions,
    marked_for_tests,
    seal_outcome,
    sealer_identifier,
    sealer_name,
)

WHAT = "an Open Badge 3.0 / CLR 2.0 VC-JWT"
_NO_TIMESTAMP = "a VC-JWT carries no timestamp"


def x5c_verification(header: dict[str, Any], leaf: x509.Certificate, options: VerifyOptions) -> Verification:
    """The five checks of a token whose signature ``leaf``'s key verified (``leaf`` the first
    certificate of the header jwk's ``x5c``, the others the pool its chain is built from)."""
    at = options.at or datetime.now(UTC)
    seal, anchor = _seal_check(str(header.get("alg")), leaf, _pool(header), options, at)
    checks = {
        "SEAL": seal,
        "TIMESTAMP": Check("SKIPPED", f"{_NO_TIMESTAMP}: the seal is judged at verification time"),
        "FORMAT": Check("SKIPPED", "not an EDC: 'edcbridge validate' checks an Open Badge or CLR "
                                   "against the 1EdTech schemas"),
        "EXPIRY": _expiry_check(leaf, at),
        "REVOCATION": _revocation_check(options),
    }
    return Verification(checks, certificate=leaf, anchor=anchor)


def x5c_outcome(result: Verification, *, anchored: bool, note: str | None) -> Outcome:
    """The verdict JAdES gives the same checks, saying what the file is (and ``note``: what was
    not checked, such as the issuer's DID document)."""
    outcome = seal_outcome(result.checks, anchored=anchored, sealer=sealer_name(result.certificate),
                           test=marked_for_tests(result.certificate),
                           identifier=sealer_identifier(result.certificate))
    sentence = f"{WHAT}, its seal certificate in the x5c of its header's jwk: {outcome.sentence}"
    return Outcome(outcome.verdict, sentence + (f" Note: {note}." if note else ""), outcome.passed)


def _pool(header: dict[str, Any]) -> list[x509.Certificate]:
    """The certificates after the first in the jwk's ``x5c`` that can be read in full: candidate
    issuers only, so one that cannot be read is left out rather than refused."""
    jwk = header.get("jwk")
    chain = jwk.get("x5c") if isinstance(jwk, dict) else None
    certs = []
    for value in chain[1:] if isinstance(chain, list) else []:
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode(value, validate=True)))
        except (TypeError, ValueError, binascii.Error):
            continue
    return [cert for cert in certs if unreadable_problem(cert) is None]


def _seal_check(alg: str, leaf: x509.Certificate, pool: list[x509.Certificate], options: VerifyOptions,
                at: datetime) -> tuple[Check, x509.Certificate | None]:
    """As a JAdES seal's SEAL: the signing certificate may make seals, and chains to a trust
    anchor (returned, for the trusted lists to name its service)."""
    name = leaf.subject.rfc4514_string()
    if not {"digital_signature", "content_commitment"} & set(key_usage_names(leaf)):
        return Check("ERROR", f"certificate '{name}' has no signing key usage"), None
    purpose = seal_purpose_problem(leaf)
    if purpose:
        return Check("ERROR", f"signature valid, but {purpose}: it cannot make a seal"), None
    done = f"{alg} signature valid over the exact payload, by '{name}' ({qualification(leaf)})"
    if not options.trust_anchors:
        status: Status = "ERROR" if options.require_trust else "OK"
        return Check(status, f"{done}; trust not established: no trust anchor configured"), None
    path, failure = build_chain(leaf, pool, options.trust_anchors, at)
    if failure:
        return Check("ERROR", f"{done}; but not trusted at verification time {_short(at)} "
                              f"({_NO_TIMESTAMP}): {failure}"), None
    return Check("OK", f"{done}; chain to trust anchor '{path[-1].subject.rfc4514_string()}'"), path[-1]


def _expiry_check(leaf: x509.Certificate, at: datetime) -> Check:
    """The credential's dates were checked with the signature (an expired token is refused); the
    seal certificate must be valid now, as no timestamp proves an earlier signing time."""
    problem = validity_problem(leaf, at)
    if problem:
        return Check("ERROR", f"seal certificate {problem} ({_NO_TIMESTAMP} proving it was made "
                              "earlier)")
    return Check("OK", f"credential valid now (its nbf and exp, checked with the signature); seal "
                       f"certificate valid now (until {_short(leaf.not_valid_after_utc)})")


def _revocation_check(options: VerifyOptions) -> Check:
    """Whether the seal certificate was revoked is not established for a VC-JWT: it carries no
    revocation data, and --fetch-revocation reaches JAdES seals only."""
    reason = ("not checked: a VC-JWT carries no revocation data about its seal certificate, and "
              "--fetch-revocation reaches JAdES seals only")
    return Check("ERROR" if options.require_revocation else "SKIPPED", reason)


def _short(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
