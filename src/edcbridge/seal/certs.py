"""Certificate facts that matter for an eIDAS e-seal: identity, dates, key usage, QC statements."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from edcbridge.seal import _der
from edcbridge.seal.errors import CertificateError

QC_STATEMENTS = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3")
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"
QC_TYPE_ESEAL = "0.4.0.1862.1.6.2"
QC_TYPE_WEB = "0.4.0.1862.1.6.3"
_QC_TYPE_NAMES = {QC_TYPE_ESIGN: "esign", QC_TYPE_ESEAL: "eseal", QC_TYPE_WEB: "web"}

_KEY_USAGE_FLAGS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@dataclass(frozen=True)
class CertificateReport:
    """What a registry officer needs to know about a seal certificate before using it."""

    subject: str
    issuer: str
    serial_number: int
    organisation_name: str | None
    organisation_identifier: str | None
    country: str | None
    not_before: datetime
    not_after: datetime
    key_usage: tuple[str, ...]
    qc_compliance: bool
    qc_types: tuple[str, ...]
    sha256: str

    @property
    def is_qualified_eseal(self) -> bool:
        return self.qc_compliance and "eseal" in self.qc_types

    def lines(self) -> list[str]:
        qc = "QcCompliance" if self.qc_compliance else "no QcCompliance statement"
        types = ", ".join(self.qc_types) or "no QcType"
        return [
            f"subject: {self.subject}",
            f"issuer: {self.issuer}",
            f"serial: {self.serial_number:#x}",
            f"organisation: {self.organisation_name or '-'}",
            f"organisationIdentifier: {self.organisation_identifier or '-'}",
            f"country: {self.country or '-'}",
            f"valid: {self.not_before.isoformat()} to {self.not_after.isoformat()}",
            f"key usage: {', '.join(self.key_usage) or '-'}",
            f"QC statements: {qc}; QcType {types}",
            f"SHA-256: {self.sha256}",
        ]


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def key_usage_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(flag for flag in _KEY_USAGE_FLAGS if getattr(usage, flag))


def qc_statements(cert: x509.Certificate) -> dict[str, bytes]:
    """Map statement OID to its raw statementInfo (empty bytes when absent)."""
    try:
        ext = cert.extensions.get_extension_for_oid(QC_STATEMENTS).value
    except x509.ExtensionNotFound:
        return {}
    if not isinstance(ext, x509.UnrecognizedExtension):
        return {}
    found: dict[str, bytes] = {}
    try:
        _, content, _ = _der.read(ext.value)
        for _, statement in _der.children(content):
            parts = list(_der.children(statement))
            if parts and parts[0][0] == _der.OID:
                info = _der.tlv(parts[1][0], parts[1][1]) if len(parts) > 1 else b""
                found[_der.decode_oid(parts[0][1])] = info
    except (ValueError, IndexError):
        return found
    return found


def _qc_types(statements: dict[str, bytes]) -> tuple[str, ...]:
    info = statements.get(QC_TYPE)
    if not info:
        return ()
    try:
        _, content, _ = _der.read(info)
        oids = [_der.decode_oid(c) for t, c in _der.children(content) if t == _der.OID]
    except (ValueError, IndexError):
        return ()
    return tuple(_QC_TYPE_NAMES.get(o, o) for o in oids)


def describe(cert: x509.Certificate) -> CertificateReport:
    statements = qc_statements(cert)
    return CertificateReport(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial_number=cert.serial_number,
        organisation_name=_attribute(cert.subject, NameOID.ORGANIZATION_NAME),
        organisation_identifier=_attribute(cert.subject, NameOID.ORGANIZATION_IDENTIFIER),
        country=_attribute(cert.subject, NameOID.COUNTRY_NAME),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_usage=key_usage_names(cert),
        qc_compliance=QC_COMPLIANCE in statements,
        qc_types=_qc_types(statements),
        sha256=fingerprint(cert).hex(),
    )


LISTS_UNCHECKED = "; trusted lists not checked"
"""How :func:`qualification` ends: ``verify --trusted-list`` drops it, its TRUSTLIST line saying more."""


def qualification(cert: x509.Certificate) -> str:
    """What the QC statements claim, for a verification report. Only a claim: whether the issuer
    may make qualified certificates is for the EU trusted lists to say, which are not read."""
    statements = qc_statements(cert)
    if QC_COMPLIANCE not in statements:
        return "not a qualified certificate: no QcCompliance statement"
    if "eseal" in _qc_types(statements):
        return f"claims a qualified e-seal certificate: QcCompliance, QcType eseal{LISTS_UNCHECKED}"
    return f"claims a qualified certificate, without QcType eseal{LISTS_UNCHECKED}"


def fingerprint(cert: x509.Certificate) -> bytes:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()


def der_b64(cert: x509.Certificate) -> str:
    """Standard base64 of the DER certificate, as used in `x5c` and `xVals`."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def issuer_serial(cert: x509.Certificate) -> bytes:
    """DER IssuerSerial (RFC 5035): the DSS convention for the JAdES `kid`."""
    general_names = _der.sequence(_der.tlv(0xA4, cert.issuer.public_bytes()))
    return _der.sequence(general_names, _der.integer(cert.serial_number))


def validity_problem(cert: x509.Certificate, at: datetime) -> str | None:
    """Say why *cert* is not valid at *at*, or None when it is."""
    if at < cert.not_valid_before_utc:
        return f"is not valid before {cert.not_valid_before_utc.isoformat()}"
    if at > cert.not_valid_after_utc:
        return f"expired on {cert.not_valid_after_utc.isoformat()}"
    return None


def check_can_seal(cert: x509.Certificate, at: datetime) -> None:
    """Refuse certificates that cannot produce a valid seal at *at*."""
    unreadable = unreadable_problem(cert)
    if unreadable:
        raise CertificateError(unreadable)
    name = cert.subject.rfc4514_string()
    problem = validity_problem(cert, at)
    if problem:
        raise CertificateError(
            f"seal certificate '{name}' {problem} (checked at {at.isoformat()}); "
            "use a certificate that is currently valid"
        )
    if is_ca(cert):  # before its key usage: a CA lacks digitalSignature, but that is not the point
        raise CertificateError(f"certificate '{name}' is a CA certificate, not an end-entity seal "
                               "certificate; use an e-seal certificate for signing documents")
    if "digital_signature" not in key_usage_names(cert):
        raise CertificateError(
            f"seal certificate '{name}' lacks the digitalSignature key usage; "
            "ask the certification authority for an e-seal certificate that allows signing"
        )
    problem = seal_purpose_problem(cert)
    if problem:
        raise CertificateError(f"{problem}; use an e-seal certificate for signing documents")


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    return issued_by(cert, cert)


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # InvalidSignature, ValueError (name mismatch), TypeError (key type)
        return False
    return True


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


# Extensions this verifier understands (RFC 5280 4.2: a certificate with a critical extension
# the verifier does not process must be refused). Name constraints are checked on the path.
_UNDERSTOOD = frozenset({
    ExtensionOID.NAME_CONSTRAINTS,
    ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.ISSUER_ALTERNATIVE_NAME,
    ExtensionOID.CERTIFICATE_POLICIES, ExtensionOID.POLICY_CONSTRAINTS, ExtensionOID.POLICY_MAPPINGS,
    ExtensionOID.INHIBIT_ANY_POLICY, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER, ExtensionOID.CRL_DISTRIBUTION_POINTS,
    ExtensionOID.FRESHEST_CRL, ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
    ExtensionOID.SUBJECT_INFORMATION_ACCESS, ExtensionOID.OCSP_NO_CHECK,
})
# Extended key usages for purposes other than signing documents (RFC 5280 4.2.1.12): a
# certificate limited to these (a TLS server certificate, say) cannot make a seal. Other or
# private purposes are not refused: the EC's own XAdES sample carries a Microsoft one.
_OTHER_PURPOSES = frozenset({
    ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.CODE_SIGNING,
    ExtendedKeyUsageOID.TIME_STAMPING, ExtendedKeyUsageOID.OCSP_SIGNING,
})


def _unprocessed_critical(cert: x509.Certificate) -> str | None:
    """Why a certificate must be refused for a critical extension it holds, if it must."""
    for extension in cert.extensions:
        if extension.critical and extension.oid not in _UNDERSTOOD:
            name = getattr(extension.oid, "_name", "Unknown OID")
            oid = extension.oid.dotted_string
            label = oid if name == "Unknown OID" else f"{name}, {oid}"
            return (f"'{cert.subject.rfc4514_string()}' has a critical extension this verifier does not "
                    f"process ({label}); RFC 5280 requires refusing it")
    return None


MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
_BROKEN_HASHES = frozenset({"md5", "sha1"})


def strength_problem(cert: x509.Certificate) -> str | None:
    """Why the certificate's key, or its issuer's signature on it, is too weak for a seal: RSA
    under 2048 bits, a curve under 256 bits, a certificate signed with MD5 or SHA-1 (whose
    collisions let a forger obtain a certificate for a key of their own)."""
    name = cert.subject.rfc4514_string()
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return f"the public key of certificate '{name}' cannot be read"
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        bits = key.key_size
        return f"certificate '{name}' has a {bits}-bit RSA key (at least {MIN_RSA_BITS} bits required)"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS:
        bits = key.curve.key_size
        return f"certificate '{name}' has a {bits}-bit EC key (at least {MIN_EC_BITS} bits required)"
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return f"certificate '{name}' is signed with an unknown algorithm"
    if algorithm is not None and algorithm.name in _BROKEN_HASHES:
        return f"certificate '{name}' is signed with {algorithm.name.upper()}, which is broken for signatures"
    return None


def seal_purpose_problem(cert: x509.Certificate) -> str | None:
    """Why the certificate cannot make a seal, besides its key usage: a CA certificate, an
    extended key usage limited to other purposes (say TLS server only), a weak key or
    certificate signature, a critical extension this verifier does not process."""
    unreadable = unreadable_problem(cert)
    if unreadable:
        return unreadable
    name = cert.subject.rfc4514_string()
    if is_ca(cert):
        return f"certificate '{name}' is a CA certificate, not an end-entity seal certificate"
    weak = strength_problem(cert)
    if weak:
        return weak
    types = _qc_types(qc_statements(cert))
    if types and "eseal" not in types:
        return (f"certificate '{name}' is a certificate for {', '.join(types)} (QcType, EN 319 412-5), "
                "not for electronic seals")
    purposes = extended_key_usages(cert)
    if purposes and set(purposes) <= _OTHER_PURPOSES:
        listed = ", ".join(getattr(p, "_name", p.dotted_string) for p in purposes)
        return (f"certificate '{name}' limits its key to {listed} (extended key usage), none of which "
                "is signing documents")
    return _unprocessed_critical(cert)


def _issuer_problem(issuer: x509.Certificate, below: int, anchor: bool) -> str | None:
    """Why ``issuer`` cannot have issued a path with ``below`` CA certificates under it."""
    name = issuer.subject.rfc4514_string()
    limit = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length
    if limit is not None and below > limit:
        return (f"CA certificate '{name}' allows {limit} CA certificate(s) below it (pathLenConstraint), "
                f"this chain has {below}")
    if anchor:
        return None  # a trust anchor is trusted as configured
    weak = strength_problem(issuer)
    if weak:
        return weak
    try:
        if not issuer.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign:
            return f"CA certificate '{name}' may not sign certificates (its key usage lacks keyCertSign)"
    except x509.ExtensionNotFound:
        pass
    return _unprocessed_critical(issuer)


# A path search examines at most this many (candidate, certificate) signatures: a real chain
# needs a handful, and certificates an attacker adds to unsigned data cannot make it spin.
MAX_PATH_SIGNATURE_CHECKS = 200
MAX_PATH_LENGTH = 10  # CA certificates above the leaf


class _SearchExhausted(Exception):
    """The path search used up its signature checks."""


@dataclass
class _PathSearch:
    candidates: list[x509.Certificate]
    anchor_fps: frozenset[bytes]
    at: datetime
    checks: int = 0

    def issuers_of(self, cert: x509.Certificate, path: list[x509.Certificate]) -> Iterator[x509.Certificate]:
        """The candidates not yet on *path* that issued *cert* (name and signature), found one at
        a time in candidate order (trust anchors first), so a path found early ends the search."""
        on_path = {fingerprint(c) for c in path}
        for candidate in self.candidates:
            if candidate.subject != cert.issuer or fingerprint(candidate) in on_path:
                continue
            self.checks += 1
            if self.checks > MAX_PATH_SIGNATURE_CHECKS:
                raise _SearchExhausted
            if issued_by(cert, candidate):
                yield candidate


def unreadable_problem(cert: x509.Certificate) -> str | None:
    """Why a certificate cannot be read in full, or None. cryptography parses names and
    extensions only when they are first used, so a malformed one would otherwise fail (with a
    traceback) deep inside a check."""
    for part, label in (("subject", "subject name"), ("issuer", "issuer name"), ("extensions", "extension")):
        try:
            getattr(cert, part)
        except ValueError as exc:
            return (f"the certificate with serial number {cert.serial_number:#x} has an unreadable {label} "
                    f"({exc}): it is refused; its issuer must replace it with a well-formed certificate")
    return None


def _through(issuer: x509.Certificate, path: list[x509.Certificate],
             search: _PathSearch) -> tuple[list[x509.Certificate], str | None]:
    """Extend *path* with *issuer*, then on to a trust anchor."""
    name = issuer.subject.rfc4514_string()
    if not is_ca(issuer):
        return path, f"'{name}' is not a CA certificate"
    problem = validity_problem(issuer, search.at)
    if problem:
        return path, f"CA certificate '{name}' {problem}"
    anchor = fingerprint(issuer) in search.anchor_fps
    problem = _issuer_problem(issuer, len(path) - 1, anchor)
    if problem:
        return path, problem
    longer = [*path, issuer]
    if anchor:
        return longer, None
    if is_self_signed(issuer):
        return longer, f"root '{name}' is not a trust anchor"
    return _extend(longer, search)


def _extend(path: list[x509.Certificate], search: _PathSearch) -> tuple[list[x509.Certificate], str | None]:
    """Try every issuer of the last certificate of *path*; the first path that reaches an anchor,
    else the first failure met (the one a single candidate would give)."""
    current = path[-1]
    if len(path) > MAX_PATH_LENGTH:
        return path, "certificate chain too long"
    first: tuple[list[x509.Certificate], str | None] | None = None
    for issuer in search.issuers_of(current, path):
        outcome = _through(issuer, path, search)
        if outcome[1] is None:
            return outcome
        first = first or outcome
    return first or (path, f"no issuer found for '{current.subject.rfc4514_string()}'")


_NAME_TYPES: dict[type, str] = {x509.DirectoryName: "directoryName", x509.RFC822Name: "rfc822Name",
                                x509.DNSName: "dNSName", x509.UniformResourceIdentifier: "URI"}


def _folded(name: x509.Name) -> list[frozenset[tuple[str, str]]]:
    """A name's RDNs, values compared as RFC 5280 7.1 asks in practice: case and inner spaces
    folded."""
    return [frozenset((a.oid.dotted_string, " ".join(str(a.value).split()).casefold()) for a in rdn)
            for rdn in name.rdns]


def _host_within(host: str, base: str) -> bool:
    """RFC 5280 4.2.1.10: ``example.org`` covers itself and its subdomains; ``.example.org``
    only its subdomains."""
    host, base = host.lower().rstrip("."), base.lower().rstrip(".")
    if base.startswith("."):
        return host.endswith(base)
    return host == base or host.endswith("." + base)


def _within(name: x509.GeneralName, subtree: x509.GeneralName) -> bool:
    if isinstance(name, x509.DirectoryName) and isinstance(subtree, x509.DirectoryName):
        base = _folded(subtree.value)
        return _folded(name.value)[:len(base)] == base
    if isinstance(name, x509.RFC822Name) and isinstance(subtree, x509.RFC822Name):
        mailbox, constraint = name.value.lower(), subtree.value.lower()
        if "@" in constraint:
            return mailbox == constraint
        host = mailbox.rpartition("@")[2]
        return host == constraint if not constraint.startswith(".") else host.endswith(constraint)
    if isinstance(name, x509.DNSName) and isinstance(subtree, x509.DNSName):
        return _host_within(name.value, subtree.value)
    if isinstance(name, x509.UniformResourceIdentifier) and isinstance(subtree, type(name)):
        uri_host = urlsplit(name.value).hostname
        return uri_host is not None and _host_within(uri_host, subtree.value)
    return False


def _names_of(cert: x509.Certificate, is_leaf: bool) -> list[x509.GeneralName]:
    """The names a constraint applies to: the subject (not of a self-issued CA certificate), its
    e-mail attributes, and the subject alternative names."""
    names: list[x509.GeneralName] = []
    if len(cert.subject) and (is_leaf or cert.subject != cert.issuer):
        names.append(x509.DirectoryName(cert.subject))
        names += [x509.RFC822Name(str(a.value))
                  for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    with contextlib.suppress(x509.ExtensionNotFound):
        names += list(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    return names


def _constraint_problem(ca: x509.Certificate, cert: x509.Certificate, is_leaf: bool) -> str | None:
    """Why ``cert``, below ``ca`` on the path, breaks ``ca``'s name constraints (RFC 5280 4.2.1.10)."""
    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return None
    permitted, excluded = constraints.permitted_subtrees or [], constraints.excluded_subtrees or []
    who, by = cert.subject.rfc4514_string(), ca.subject.rfc4514_string()
    for name in _names_of(cert, is_leaf):
        kind = _NAME_TYPES.get(type(name))
        if kind is None:
            if any(type(tree) is type(name) for tree in (*permitted, *excluded)):
                return (f"'{who}' has a {type(name).__name__} that the name constraints of '{by}' limit "
                        "and this verifier cannot check; refused")
            continue
        if any(_within(name, tree) for tree in excluded):
            return f"'{who}' has the {kind} {name.value!s} that '{by}' excludes (name constraints)"
        same_type = [tree for tree in permitted if type(tree) is type(name)]
        if same_type and not any(_within(name, tree) for tree in same_type):
            return f"'{who}' has the {kind} {name.value!s}, outside what '{by}' permits (name constraints)"
    return None


def name_constraints_problem(path: Sequence[x509.Certificate]) -> str | None:
    """The first name-constraint violation on *path* (leaf first): each CA's constraints bind
    every certificate below it, as openssl applies them (the trust anchor's included)."""
    for index, ca in enumerate(path[1:], start=1):
        for below, cert in enumerate(path[:index]):
            problem = _constraint_problem(ca, cert, below == 0)
            if problem:
                return problem
    return None


def build_chain(
    leaf: x509.Certificate,
    pool: Iterable[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: datetime,
) -> tuple[list[x509.Certificate], str | None]:
    """Walk from *leaf* to one of *anchors* through *pool*, trying every candidate issuer: a
    certificate added to unsigned data (say an expired copy of the CA certificate) cannot
    hide the valid path, and one that cannot be read is left out.

    Returns the path (leaf first, anchor last) and None on success, or the partial path
    and the reason it stopped.
    """
    unique = dict.fromkeys([*anchors, *pool])  # anchors first, each certificate once
    candidates = [c for c in unique if unreadable_problem(c) is None]
    anchor_fps = frozenset(fingerprint(a) for a in anchors)
    if fingerprint(leaf) in anchor_fps:
        return [leaf], None
    problem = unreadable_problem(leaf) or strength_problem(leaf) or _unprocessed_critical(leaf)
    if problem:
        return [leaf], problem
    try:
        path, problem = _extend([leaf], _PathSearch(candidates, anchor_fps, at))
        return path, problem or name_constraints_problem(path)
    except _SearchExhausted:
        return [leaf], (f"no certificate path found within {MAX_PATH_SIGNATURE_CHECKS} signature checks: "
                        "the document carries too many candidate CA certificates")


def extended_key_usages(cert: x509.Certificate) -> tuple[x509.ObjectIdentifier, ...]:
    try:
        return tuple(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return ()
