"""Revocation data for the seal certificate: CRLs and OCSP responses, checked or fetched."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from edcbridge.seal.certs import extended_key_usages, issued_by
from edcbridge.seal.errors import RevocationError

DEFAULT_TIMEOUT = 15.0


@dataclass(frozen=True)
class Finding:
    """What one piece of revocation data says about a certificate."""

    good: bool
    reason: str


def find_issuer(cert: x509.Certificate, pool: Iterable[x509.Certificate]) -> x509.Certificate | None:
    return next((c for c in pool if c.subject == cert.issuer and issued_by(cert, c)), None)


def crl_urls(cert: x509.Certificate) -> list[str]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [
        name.value
        for point in points
        for name in point.full_name or []
        if isinstance(name, x509.UniformResourceIdentifier) and name.value.startswith(("http://", "https://"))
    ]


def load_crl(data: bytes, source: str) -> x509.CertificateRevocationList:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise RevocationError(f"{source} is not a CRL (DER or PEM)") from exc


def fetch_crl(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> x509.CertificateRevocationList:
    try:
        response = requests.get(url, timeout=timeout, headers={"User-Agent": "edcbridge-seal"})
    except requests.RequestException as exc:
        raise RevocationError(
            f"cannot download CRL {url}: {type(exc).__name__}; check the network or pass --crl FILE"
        ) from exc
    if response.status_code != 200:
        raise RevocationError(f"CRL {url} answered HTTP {response.status_code} {response.reason}")
    return load_crl(response.content, url)


def crl_finding(
    crl: x509.CertificateRevocationList,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    current_at: datetime | None = None,
) -> Finding | None:
    """None when *crl* is not about *cert*; otherwise what it says.

    With *current_at*, a CRL whose next update was before that moment is rejected as stale.
    """
    if crl.issuer != cert.issuer:
        return None
    if current_at is not None and crl.next_update_utc is not None and crl.next_update_utc < current_at:
        return Finding(
            False,
            f"CRL of '{issuer.subject.rfc4514_string()}' was out of date at {current_at.isoformat()} "
            f"(next update {crl.next_update_utc.isoformat()})",
        )
    public_key = issuer.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return Finding(False, "CRL issuer key type not supported")
    if not crl.is_signature_valid(public_key):
        return Finding(False, f"CRL of '{issuer.subject.rfc4514_string()}' has an invalid signature")
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is not None:
        return Finding(False, f"certificate revoked on {entry.revocation_date_utc.isoformat()} (CRL)")
    return Finding(True, f"not revoked per CRL issued {crl.last_update_utc.isoformat()}")


def _ocsp_signer(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, pool: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    for candidate in [*response.certificates, *pool, issuer]:
        if response.responder_name is not None and candidate.subject != response.responder_name:
            continue
        if response.responder_key_hash is not None:
            try:
                ski = candidate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest != response.responder_key_hash:
                continue
        if candidate == issuer:
            return candidate
        if issued_by(candidate, issuer) and ExtendedKeyUsageOID.OCSP_SIGNING in extended_key_usages(
            candidate
        ):
            return candidate
    return None


def ocsp_finding(
    data: bytes, cert: x509.Certificate, issuer: x509.Certificate, pool: Sequence[x509.Certificate]
) -> Finding | None:
    """None when the response is not about *cert*; otherwise what it says."""
    try:
        response = ocsp.load_der_ocsp_response(data)
    except ValueError:
        return Finding(False, "unreadable OCSP response")
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return None
    single = next((r for r in response.responses if r.serial_number == cert.serial_number), None)
    if single is None:
        return None
    signer = _ocsp_signer(response, issuer, pool)
    if signer is None:
        return Finding(False, "OCSP response is not signed by the issuer or its OCSP responder")
    key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        else:
            return Finding(False, "OCSP signature algorithm not supported")
    except InvalidSignature:
        return Finding(False, "OCSP response has an invalid signature")
    produced = response.produced_at_utc.isoformat()
    if single.certificate_status == ocsp.OCSPCertStatus.GOOD:
        return Finding(True, f"good per OCSP response produced {produced}")
    if single.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        when = single.revocation_time_utc
        return Finding(False, f"certificate revoked on {when.isoformat() if when else '?'} (OCSP)")
    return Finding(False, f"OCSP status unknown (response produced {produced})")


def crls_for_seal(
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    *,
    fetch: bool,
    at: datetime,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[x509.CertificateRevocationList]:
    """CRLs proving *cert* is not revoked at *at*, from *crls* or its distribution points."""
    issuer = find_issuer(cert, chain)
    if issuer is None:
        raise RevocationError(
            f"the issuer of '{cert.subject.rfc4514_string()}' is not in the seal's chain; "
            "add the CA certificate to the PKCS#12 or PEM chain"
        )
    candidates = list(crls)
    if fetch and not any(c.issuer == cert.issuer for c in candidates):
        candidates.extend(fetch_crl(url, timeout=timeout) for url in crl_urls(cert))
    useful: list[x509.CertificateRevocationList] = []
    for crl in candidates:
        finding = crl_finding(crl, cert, issuer)
        if finding is None:
            continue
        if not finding.good:
            raise RevocationError(f"seal certificate: {finding.reason}")
        if crl.next_update_utc is not None and crl.next_update_utc < at:
            raise RevocationError(
                f"CRL of '{issuer.subject.rfc4514_string()}' is out of date "
                f"(next update {crl.next_update_utc.isoformat()}); fetch a fresh one"
            )
        useful.append(crl)
    if not useful:
        raise RevocationError(
            f"no CRL for '{cert.subject.rfc4514_string()}' (none given, none at its distribution "
            "points); pass --crl FILE or seal at level B-T"
        )
    return useful
