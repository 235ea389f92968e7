"""Revocation data: CRLs and OCSP responses for the seal certificate, checked or fetched, and
the credential's own status list entries."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, ExtensionOID

from edcbridge.seal import _der
from edcbridge.seal.certs import (
    build_chain,
    extended_key_usages,
    is_ca,
    issued_by,
    unreadable_problem,
)
from edcbridge.seal.download import download as _download
from edcbridge.seal.errors import CertificateRevoked, RevocationError

DEFAULT_TIMEOUT = 15.0


# RFC 6960 allows an OCSP response without nextUpdate ("newer information is always
# available"); such data, and a CRL without one, counts as current for this long.
MAX_AGE_WITHOUT_NEXT_UPDATE = timedelta(days=1)


@dataclass(frozen=True)
class Finding:
    """What one piece of revocation data says about a certificate.

    `current` is False when the data was out of date at the time it was judged against: it
    then proves nothing either way, and fresher data may be fetched.
    """

    good: bool
    reason: str
    current: bool = True
    revoked: bool = False  # the data says the certificate is revoked (whatever its age)
    until: datetime | None = None  # a good answer: when it stops being current
    revoked_at: datetime | None = None  # a revocation: from when the certificate is not to be trusted


# Issuer candidates examined at most (one signature check each): revocation values may come with
# certificates anyone can add (JAdES xVals), which must not make the search spin.
MAX_ISSUER_CHECKS = 50


def find_issuers(cert: x509.Certificate, pool: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    """Every readable certificate of *pool* that issued *cert* (name and signature), each once,
    in pool order, within ``MAX_ISSUER_CHECKS`` signature checks."""
    found: list[x509.Certificate] = []
    checks = 0
    for candidate in dict.fromkeys(pool):
        if unreadable_problem(candidate) is not None or candidate.subject != cert.issuer:
            continue
        checks += 1
        if checks > MAX_ISSUER_CHECKS:
            break
        if issued_by(cert, candidate):
            found.append(candidate)
    return found


def find_issuer(
    cert: x509.Certificate,
    pool: Iterable[x509.Certificate],
    anchors: Sequence[x509.Certificate] = (),
    at: datetime | None = None,
) -> x509.Certificate | None:
    """The issuer of *cert* whose key revocation data must be signed with.

    Several certificates of a pool may pass as the issuer: a signature can verify under more than
    one key (ECDSA signatures do under two), and anyone can add certificates to unsigned data.
    With *anchors*, the issuer is the one on a path from *cert* to an anchor (valid at *at*, else
    now), every candidate tried as :func:`certs.build_chain` does. Without anchors, or without
    such a path, it is the first candidate: nothing tells a decoy apart then."""
    candidates = find_issuers(cert, [*pool, *anchors])
    if not anchors or not candidates:
        return candidates[0] if candidates else None
    path, failure = build_chain(cert, pool, anchors, at or datetime.now(UTC))
    return path[1] if failure is None and len(path) > 1 else candidates[0]


# URLs of one kind (CRL, OCSP) asked at most per certificate: real ones name one to three, and
# each costs a deadline, so a certificate naming a thousand must not make a verifier ask them all.
MAX_URLS = 4


def _first_http(urls: Iterable[str]) -> list[str]:
    """The first ``MAX_URLS`` distinct http(s) URLs (ldap: and others are not fetched)."""
    return [url for url in dict.fromkeys(urls) if url.lower().startswith(("http://", "https://"))][:MAX_URLS]


def crl_urls(cert: x509.Certificate) -> list[str]:
    """The http(s) CRL distribution points of the certificate, at most ``MAX_URLS``."""
    return _first_http(name.value for name in _distribution_names(cert)
                       if isinstance(name, x509.UniformResourceIdentifier))


def _distribution_names(cert: x509.Certificate) -> list[x509.GeneralName]:
    """The full names of the certificate's CRL distribution points."""
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [name for point in points for name in point.full_name or ()]


def load_crl(data: bytes, source: str) -> x509.CertificateRevocationList:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise RevocationError(f"{source} is not a CRL (DER or PEM)") from exc


_MAX_CRL = 64 * 1024 * 1024  # bytes; the largest public CRLs are a few tens of megabytes
_MAX_OCSP_RESPONSE = 1024 * 1024  # bytes; real responses are a few kilobytes


def fetch_crl(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> x509.CertificateRevocationList:
    data = _download("CRL", url, named_by="the certificate's CRL distribution point", timeout=timeout,
                     limit=_MAX_CRL)
    return load_crl(data, url)


def _invalid_from(entry: x509.RevokedCertificate) -> datetime:
    """The revocation date, or the earlier invalidity date a CRL entry may give (the key was
    compromised before the CA heard of it)."""
    try:
        invalid = entry.extensions.get_extension_for_class(x509.InvalidityDate).value.invalidity_date_utc
    except x509.ExtensionNotFound:
        return entry.revocation_date_utc
    return min(invalid, entry.revocation_date_utc)


def _staleness(
    what: str, this_update: datetime, next_update: datetime | None, at: datetime
) -> Finding | None:
    """A not-current Finding when data issued at *this_update* was out of date at *at*."""
    when = at.isoformat(timespec="seconds")
    if next_update is not None and next_update < at:
        return Finding(
            False, f"{what} was out of date at {when} (next update {next_update.isoformat()})", current=False
        )
    if next_update is None and this_update + MAX_AGE_WITHOUT_NEXT_UPDATE < at:
        return Finding(
            False,
            f"{what} issued {this_update.isoformat()} without a next update is too old at {when}",
            current=False,
        )
    return None


def crl_finding(
    crl: x509.CertificateRevocationList,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    current_at: datetime | None = None,
) -> Finding | None:
    """None when *crl* is not about *cert*; otherwise what it says.

    A revocation is reported whatever the CRL's age. Otherwise, with *current_at*, a CRL that
    was out of date at that moment gives a not-current Finding.
    """
    if crl.issuer != cert.issuer:
        return None
    name = f"CRL of '{issuer.subject.rfc4514_string()}'"
    public_key = issuer.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return Finding(False, "CRL issuer key type not supported")
    if not crl.is_signature_valid(public_key):
        return Finding(False, f"{name} has an invalid signature")
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is not None:
        try:
            when = _invalid_from(entry)
        except ValueError:  # an entry extension that cannot be read: the revocation date stands
            when = entry.revocation_date_utc
        return Finding(False, f"certificate revoked on {when.isoformat()} (CRL)", revoked=True,
                       revoked_at=when)
    try:
        out_of_scope = _scope_problem(crl, cert)
    except ValueError as exc:  # cryptography reads extensions when first used
        return Finding(False, f"{name} ignored: it has an unreadable extension ({exc})")
    if out_of_scope:
        return Finding(False, f"{name} ignored: {out_of_scope}, so it cannot show the certificate unrevoked")
    if current_at is not None:
        stale = _staleness(name, crl.last_update_utc, crl.next_update_utc, current_at)
        if stale:
            return stale
    return Finding(True, f"not revoked per CRL issued {crl.last_update_utc.isoformat()}")


# CRL extensions understood here (RFC 5280 5.2: a CRL with another critical one is not used)
_CRL_EXTENSIONS = frozenset({ExtensionOID.CRL_NUMBER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
                             ExtensionOID.ISSUER_ALTERNATIVE_NAME, ExtensionOID.ISSUING_DISTRIBUTION_POINT,
                             ExtensionOID.FRESHEST_CRL, ExtensionOID.AUTHORITY_INFORMATION_ACCESS})


def _scope_problem(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> str | None:
    """Why a CRL without an entry for ``cert`` does not show it unrevoked: a delta CRL (only
    changes since a complete one, RFC 5280 5.2.4), a critical extension not processed here, or
    a scope (issuing distribution point) that leaves the certificate out (6.3.3 b)."""
    for extension in crl.extensions:
        if extension.oid == ExtensionOID.DELTA_CRL_INDICATOR:
            return "it is a delta CRL, a list of changes since a complete CRL"
        if extension.critical and extension.oid not in _CRL_EXTENSIONS:
            return f"it has a critical extension not processed here ({extension.oid.dotted_string})"
    try:
        point = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        return None
    authority = is_ca(cert)
    if point.indirect_crl:
        return "it is an indirect CRL, which is not read here"
    if point.only_some_reasons is not None:
        return "it covers only some revocation reasons"
    if point.only_contains_attribute_certs or (point.only_contains_ca_certs and not authority) \
            or (point.only_contains_user_certs and authority):
        return "it covers another kind of certificate"
    if point.full_name is not None and not set(point.full_name) & set(_distribution_names(cert)):
        return "it covers a partition that is not the certificate's CRL distribution point"
    return None


def _key_hash(certificate: x509.Certificate) -> bytes | None:
    """SHA-1 of the certificate's public key, as a ResponderID byKey names it (RFC 6960 4.2.1),
    whatever its SubjectKeyIdentifier says."""
    try:
        return x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None


_NOT_AUTHORISED = ("OCSP response is not signed by the issuer or by an OCSP responder it authorised "
                   "that was valid then")
_NOT_UNCHECKED = ("OCSP response is signed by a responder whose certificate lacks id-pkix-ocsp-nocheck, "
                  "so its own revocation would need checking too (RFC 6960 4.2.2.2.1), which edcbridge "
                  "does not do: the answer is not used")


def _ocsp_signer(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, pool: Sequence[x509.Certificate],
    at: datetime | None,
) -> tuple[x509.Certificate | None, str]:
    """The issuer, or a responder it authorised (id-kp-OCSPSigning, and id-pkix-ocsp-nocheck:
    its own revocation is then not to be checked) valid when the response was produced and at
    ``at``, that the response names; else None and why."""
    problem = _NOT_AUTHORISED
    for candidate in [*response.certificates, *pool, issuer]:
        if unreadable_problem(candidate) is not None:  # the response's certificates are not signed
            continue
        if response.responder_name is not None and candidate.subject != response.responder_name:
            continue
        if response.responder_key_hash is not None and _key_hash(candidate) != response.responder_key_hash:
            continue
        if candidate == issuer:
            return candidate, ""
        times = [response.produced_at_utc, *([at] if at is not None else [])]
        valid = all(candidate.not_valid_before_utc <= t <= candidate.not_valid_after_utc for t in times)
        if valid and issued_by(candidate, issuer) and ExtendedKeyUsageOID.OCSP_SIGNING in \
                extended_key_usages(candidate):
            if not _no_check(candidate):
                problem = _NOT_UNCHECKED
                continue
            return candidate, ""
    return None, problem


def _no_check(cert: x509.Certificate) -> bool:
    """Whether the certificate carries id-pkix-ocsp-nocheck."""
    try:
        cert.extensions.get_extension_for_class(x509.OCSPNoCheck)
    except x509.ExtensionNotFound:
        return False
    return True


_CLOCK_SKEW = timedelta(minutes=5)
_RSASSA_PSS = "1.2.840.113549.1.1.10"
_MGF1 = "1.2.840.113549.1.1.8"
_PSS_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}


def _pss_hash(algorithm_identifier: bytes) -> hashes.HashAlgorithm:
    """The hash an AlgorithmIdentifier names; SHA-1 (RSASSA-PSS's default) is not accepted."""
    oid = _der.decode_oid(next(_der.children(algorithm_identifier))[1])
    if oid not in _PSS_HASHES:
        raise UnsupportedAlgorithm(f"RSASSA-PSS with hash {oid}")
    return _PSS_HASHES[oid]()


def _pss_parameters(data: bytes) -> tuple[hashes.HashAlgorithm, padding.PSS]:
    """The hash and padding of an RSASSA-PSS-signed OCSP response (RFC 4055 3.1), read from
    BasicOCSPResponse.signatureAlgorithm; SHA-1, PSS's default, is refused as elsewhere."""
    _, response, _ = _der.read(data)
    _, response_bytes, _ = _der.read(list(_der.children(response))[1][1])
    _, basic, _ = _der.read(list(_der.children(response_bytes))[1][1])
    signature_algorithm = list(_der.children(basic))[1][1]
    parameters = list(_der.children(signature_algorithm))[1:]
    digest: hashes.HashAlgorithm | None = None
    mgf: hashes.HashAlgorithm | None = None
    salt = 20
    for tag, content in _der.children(parameters[0][1]) if parameters else ():
        if tag == 0xA0:
            digest = _pss_hash(_der.read(content)[1])
        elif tag == 0xA1:
            mask = list(_der.children(_der.read(content)[1]))
            if _der.decode_oid(mask[0][1]) != _MGF1:
                raise UnsupportedAlgorithm("RSASSA-PSS with a mask generation function other than MGF1")
            mgf = _pss_hash(mask[1][1])
        elif tag == 0xA2:
            salt = int.from_bytes(_der.read(content)[1], "big")
    if digest is None or mgf is None:
        raise UnsupportedAlgorithm("RSASSA-PSS with SHA-1")
    return digest, padding.PSS(mgf=padding.MGF1(mgf), salt_length=salt)


def ocsp_finding(
    data: bytes,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    pool: Sequence[x509.Certificate],
    current_at: datetime | None = None,
) -> Finding | None:
    """None when the response is not about *cert*; otherwise what it says.

    As for CRLs, a "good" answer that was out of date at *current_at* (its nextUpdate passed,
    or its thisUpdate still to come) gives a not-current Finding: it says nothing about that
    moment. Of several answers about *cert* in one response, "revoked" wins.
    """
    pss: tuple[hashes.HashAlgorithm, padding.PSS] | None = None
    try:
        response = ocsp.load_der_ocsp_response(data)
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            return None
        singles = [r for r in response.responses if _about(r, cert, issuer)]
        if singles and response.signature_algorithm_oid.dotted_string == _RSASSA_PSS:
            try:  # cryptography reads no PSS parameters of OCSP responses
                pss = _pss_parameters(data)
            except (IndexError, StopIteration):
                raise ValueError("unreadable RSASSA-PSS parameters") from None
            algorithm: hashes.HashAlgorithm | None = pss[0] if pss else None
        else:
            algorithm = response.signature_hash_algorithm if singles else None
    except ValueError:
        return Finding(False, "unreadable OCSP response")
    except UnsupportedAlgorithm:
        return Finding(False, "OCSP signature algorithm not supported")
    if not singles:
        return None
    signer, problem = _ocsp_signer(response, issuer, pool, current_at)
    if signer is None:
        return Finding(False, problem)
    key = signer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey) and pss is not None:
            key.verify(response.signature, response.tbs_response_bytes, pss[1], pss[0])
        elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None and \
                response.signature_algorithm_oid.dotted_string != _RSASSA_PSS:
            key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        else:
            return Finding(False, "OCSP signature algorithm not supported")
    except InvalidSignature:
        return Finding(False, "OCSP response has an invalid signature")
    produced = response.produced_at_utc.isoformat()
    revoked = next((r for r in singles if r.certificate_status == ocsp.OCSPCertStatus.REVOKED), None)
    if revoked is not None:
        when = revoked.revocation_time_utc
        return Finding(False, f"certificate revoked on {when.isoformat() if when else '?'} (OCSP)",
                       revoked=True, revoked_at=when)
    if any(r.certificate_status != ocsp.OCSPCertStatus.GOOD for r in singles):
        return Finding(False, f"OCSP status unknown (response produced {produced})")
    single = singles[0]
    if current_at is not None:
        if single.this_update_utc > current_at + _CLOCK_SKEW:
            return Finding(False, f"OCSP response produced {produced} is not valid before "
                                  f"{single.this_update_utc.isoformat()}", current=False)
        stale = _staleness(
            f"OCSP response produced {produced}", single.this_update_utc, single.next_update_utc, current_at
        )
        if stale:
            return stale
    until = single.next_update_utc or single.this_update_utc + MAX_AGE_WITHOUT_NEXT_UPDATE
    return Finding(True, f"good per OCSP response produced {produced}", until=until)


def _about(single: ocsp.OCSPSingleResponse, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether a single response is about *cert* as issued by *issuer* (its whole CertID: a
    serial number alone may belong to another CA's certificate)."""
    if single.serial_number != cert.serial_number:
        return False
    try:
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, single.hash_algorithm).build()
    except (ValueError, TypeError, UnsupportedAlgorithm):  # a hash a CertID may not use, or unknown
        return False
    return (request.issuer_name_hash == single.issuer_name_hash
            and request.issuer_key_hash == single.issuer_key_hash)


def ocsp_urls(cert: x509.Certificate) -> list[str]:
    """The http(s) OCSP responders named in the certificate's Authority Information Access, at
    most ``MAX_URLS``."""
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return _first_http(item.access_location.value for item in access
                       if item.access_method == AuthorityInformationAccessOID.OCSP
                       and isinstance(item.access_location, x509.UniformResourceIdentifier))


def fetch_ocsp(url: str, cert: x509.Certificate, issuer: x509.Certificate, *,
               timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """The DER OCSP response of *url* about *cert* (RFC 6960, POST), with a fresh nonce.

    A responder that answers with pre-produced responses may leave the nonce out (RFC 5019);
    one that echoes a different nonce is refused, as is any answer not about *cert*.
    """
    nonce = secrets.token_bytes(16)
    request = (ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())
               .add_extension(x509.OCSPNonce(nonce), critical=False).build())
    body = _download("OCSP responder", url, named_by="the certificate's OCSP responder", timeout=timeout,
                     limit=_MAX_OCSP_RESPONSE,
                     data=request.public_bytes(serialization.Encoding.DER),
                     headers={"Content-Type": "application/ocsp-request",
                              "Accept": "application/ocsp-response"})
    try:
        parsed = ocsp.load_der_ocsp_response(body)
    except ValueError as exc:
        raise RevocationError(f"OCSP responder {url} did not send an OCSP response") from exc
    if parsed.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise RevocationError(f"OCSP responder {url} answered {parsed.response_status.name.lower()}")
    try:
        echoed = parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        echoed = None
    if echoed is not None and echoed != nonce:
        raise RevocationError(f"OCSP responder {url} answered another request (nonce mismatch)")
    if not any(_about(single, cert, issuer) for single in parsed.responses):
        raise RevocationError(f"OCSP responder {url} answered about another certificate")
    return body


def ask_ocsp(cert: x509.Certificate, issuer: x509.Certificate, pool: Sequence[x509.Certificate], *,
             at: datetime, timeout: float = DEFAULT_TIMEOUT) -> tuple[Finding, bytes]:
    """The first deciding answer of the certificate's OCSP responders ("revoked", or "good" and
    current at *at*) and its DER; RevocationError naming what each responder did otherwise."""
    problems: list[RevocationError] = []
    for url in ocsp_urls(cert):
        try:
            data = fetch_ocsp(url, cert, issuer, timeout=timeout)
        except RevocationError as exc:
            problems.append(exc)
            continue
        finding = ocsp_finding(data, cert, issuer, pool, at)
        if finding is not None and (finding.revoked or (finding.good and finding.current)):
            return finding, data
        said = finding.reason if finding else "no answer"
        problems.append(RevocationError(f"OCSP responder {url}: {said}"))
    if not problems:
        raise RevocationError(f"'{cert.subject.rfc4514_string()}' names no OCSP responder")
    raise RevocationError.joined(problems)


def ocsp_for_seal(
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    *,
    at: datetime,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[bytes, datetime]:
    """A current "good" OCSP response about *cert* from its responders, and the moment it
    stops being current; CertificateRevoked, or RevocationError saying why there is none."""
    finding, data = ask_ocsp(cert, _chain_issuer(cert, chain), chain, at=at, timeout=timeout)
    if finding.revoked:
        raise CertificateRevoked(f"seal certificate: {finding.reason}")
    return data, finding.until or at


def _chain_issuer(cert: x509.Certificate, chain: Sequence[x509.Certificate]) -> x509.Certificate:
    issuer = find_issuer(cert, chain)
    if issuer is None:
        raise RevocationError(
            f"the issuer of '{cert.subject.rfc4514_string()}' is not in the seal's chain; "
            "add the CA certificate to the PKCS#12 or PEM chain"
        )
    return issuer


# export has no --crl: the seal command takes the CRL as a file
_WITHOUT_FETCHING = "give the CRL as a file (edcbridge seal --crl FILE), or seal at level B-T (--level B-T)"


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
    issuer = _chain_issuer(cert, chain)
    candidates = list(crls)
    if fetch and not any(c.issuer == cert.issuer for c in candidates):
        try:
            candidates.extend(fetch_crl(url, timeout=timeout) for url in crl_urls(cert))
        except RevocationError as exc:
            raise RevocationError(f"{exc}; {_WITHOUT_FETCHING}") from exc
    useful: list[x509.CertificateRevocationList] = []
    for crl in candidates:
        finding = crl_finding(crl, cert, issuer)
        if finding is None:
            continue
        if finding.revoked:
            raise CertificateRevoked(f"seal certificate: {finding.reason}")
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
            f"points); {_WITHOUT_FETCHING}"
        )
    return useful


# The credential's own status (W3C Bitstring Status List v1.0 and its predecessor
# StatusList2021): a bit per credential in a GZIP'd bitstring inside a status list credential.
STATUS_TYPES = ("BitstringStatusListEntry", "StatusList2021Entry")
_MAX_STATUS_LIST = 16 * 1024 * 1024  # bytes, compressed and decompressed: far above 131,072 bits
_STATUS_ACCEPT = "application/vc+ld+json, application/ld+json, application/json, application/vc+jwt"


@dataclass(frozen=True)
class StatusEntry:
    """One `credentialStatus` / `status` entry of a credential."""

    type: str
    purpose: str
    list_url: str
    index: int | None
    size: int = 1

    def describe(self) -> str:
        where = self.list_url if self.index is None else f"{self.list_url} index {self.index}"
        return f"{self.type} ({self.purpose}) at {where}"

    @property
    def checkable(self) -> bool:
        return (
            self.type in STATUS_TYPES
            and self.index is not None
            and self.size == 1
            and self.list_url.startswith(("http://", "https://"))
        )


def _status_entry(item: dict[str, object]) -> StatusEntry:
    kind = item.get("type")
    kind = " ".join(map(str, kind)) if isinstance(kind, list) else str(kind)
    index = item.get("statusListIndex")
    size = item.get("statusSize", 1)
    return StatusEntry(
        type=kind,
        purpose=str(item.get("statusPurpose", "revocation")),
        list_url=str(item.get("statusListCredential") or item.get("id") or "?"),
        index=int(index) if isinstance(index, int | str) and str(index).isdigit() else None,
        size=size if isinstance(size, int) else 0,
    )


def status_entries(credential: dict[str, object]) -> list[StatusEntry]:
    """The typed status entries of a credential (VC `credentialStatus`, or `status` as the
    MyNextID EDCs write it)."""
    entries = []
    for name in ("credentialStatus", "status"):
        value = credential.get(name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and "type" in item:
                entries.append(_status_entry(item))
    return entries


STATUS_LIST_TTL = 300.0  # seconds a fetched list is reused: the Bitstring Status List default ttl
_FETCHED: dict[str, tuple[float, bytes]] = {}  # url -> (when fetched, monotonic; body)


def fetch_status_list(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """The body served at a status list URL, size-capped; fetched once per ``STATUS_LIST_TTL``
    (verifying a batch from one issuer asks its list once, not once per credential)."""
    now = time.monotonic()
    cached = _FETCHED.get(url)
    if cached is not None and now - cached[0] < STATUS_LIST_TTL:
        return cached[1]
    body = _download("status list", url, named_by="the status list the credential names", timeout=timeout,
                     limit=_MAX_STATUS_LIST, headers={"Accept": _STATUS_ACCEPT})
    if len(_FETCHED) > 256:
        _FETCHED.clear()
    _FETCHED[url] = (now, body)
    return body


def _bitstring(encoded: object, url: str) -> bytes:
    """Decode `encodedList`: GZIP, base64url (StatusList2021) or multibase 'u' + base64url
    (Bitstring Status List); standard base64 is tolerated."""
    if not isinstance(encoded, str) or not encoded:
        raise RevocationError(f"status list {url} has no encodedList")
    text = encoded[1:] if encoded.startswith("u") else encoded
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj(wbits=31)  # GZIP container
        bits = inflater.decompress(compressed, _MAX_STATUS_LIST)
    except (ValueError, binascii.Error, zlib.error) as exc:
        raise RevocationError(f"status list {url}: encodedList is not GZIP'd base64url") from exc
    if inflater.unconsumed_tail:
        raise RevocationError(f"status list {url} is larger than {_MAX_STATUS_LIST} bytes")
    return bits


def _list_subject(list_credential: dict[str, object], url: str) -> dict[str, object]:
    subject = list_credential.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    if not isinstance(subject, dict):
        raise RevocationError(f"status list {url} has no credentialSubject")
    return subject


def _list_expiry(list_credential: dict[str, object]) -> datetime | None:
    value = list_credential.get("validUntil") or list_credential.get("expirationDate")
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC) if moment else None


_STATUS_WORDS = {"revocation": "revoked", "suspension": "suspended"}


def status_finding(entry: StatusEntry, list_credential: dict[str, object], at: datetime) -> Finding:
    """What the status list credential (already authenticated by the caller) says about *entry*."""
    url, word = entry.list_url, _STATUS_WORDS.get(entry.purpose, f"flagged for {entry.purpose}")
    try:
        subject = _list_subject(list_credential, url)
        purpose = subject.get("statusPurpose", entry.purpose)
        if entry.purpose not in (purpose if isinstance(purpose, list) else [purpose]):
            return Finding(False, f"status list {url} is for {purpose}, not {entry.purpose}")
        bits = _bitstring(subject.get("encodedList"), url)
    except RevocationError as exc:
        return Finding(False, str(exc))
    expiry = _list_expiry(list_credential)
    if expiry is not None and expiry < at:
        return Finding(False, f"status list {url} expired on {expiry.isoformat()}", current=False)
    index = entry.index or 0
    if index >= len(bits) * 8:
        return Finding(False, f"status index {index} is outside status list {url} ({len(bits) * 8} entries)")
    if bits[index // 8] >> (7 - index % 8) & 1:
        return Finding(False, f"credential {word} per status list {url} (index {index})")
    return Finding(True, f"credential not {word} per status list {url} (index {index})")
