"""What the trusted lists say of one seal: the anchors a list gives at its signing time, the
service its chain ends at, and whether the seal is qualified."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509

from edcbridge.seal.certs import (
    QC_COMPLIANCE,
    build_chain,
    describe,
    issued_by,
    key_usage_names,
    qc_statements,
)
from edcbridge.seal.verify import Check, QualifiedTsa
from edcbridge.trust.trusted_list import CA_QC, Status, TrustService, status_words

_EXT = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/"
NOT_QUALIFIED = f"{_EXT}NotQualified"
QC_STATEMENT = f"{_EXT}QCStatement"
QC_FOR_ESEAL = f"{_EXT}QCForESeal"
_OTHER_USES = {f"{_EXT}QCForESig": "e-signatures", f"{_EXT}QCForWSA": "website authentication"}
CHECK_NAME = "TRUSTLIST"


def anchors_at(services: Sequence[TrustService], moment: datetime) -> tuple[x509.Certificate, ...]:
    """The certificates of the CA/QC services granted for e-seals at *moment*."""
    return tuple(cert for service in services if service.granted_at(moment) for cert in service.certificates)


def anchors_listed(services: Sequence[TrustService]) -> tuple[x509.Certificate, ...]:
    """The certificates of the CA/QC services, whatever their status: the chain built to them
    finds the service a seal was issued under, however high on the chain."""
    return tuple(cert for service in services if service.ever_ca_qc() for cert in service.certificates)


def service_of(anchor: x509.Certificate, services: Sequence[TrustService]) -> TrustService | None:
    return next((s for s in services if anchor in s.certificates), None)


def granted_service(anchor: x509.Certificate, services: Sequence[TrustService],
                    moment: datetime) -> TrustService | None:
    """The service of *anchor* granted for e-seals at *moment*: a list may name one certificate
    in several services (one for e-signatures, one for e-seals), in any order."""
    return next((s for s in services if anchor in s.certificates and s.granted_at(moment)), None)


def timestamp_service(tsa: x509.Certificate, pool: Sequence[x509.Certificate], moment: datetime,
                      services: Sequence[TrustService], *, qualified: bool = True) -> TrustService | None:
    """The TSA/QTST service granted at *moment* (a timestamp's time), or with *qualified* False a
    timestamp service in force then that is not qualified, whose certificate is *tsa* or one it
    chains to through *pool*."""
    for service in services:
        in_force = service.granted_for_timestamps_at(moment) if qualified else \
            service.recognised_for_timestamps_at(moment)
        if in_force:
            _, failure = build_chain(tsa, pool, service.certificates, moment)
            if failure is None:
                return service
    return None


def qualified_tsa(services: Sequence[TrustService]) -> QualifiedTsa:
    """What the lists say of a timestamp authority (see :data:`edcbridge.seal.verify.QualifiedTsa`):
    a qualified timestamp service first, else one the lists give as trusted but not qualified."""
    def words(tsa: x509.Certificate, pool: Sequence[x509.Certificate], moment: datetime) -> str | None:
        service = timestamp_service(tsa, pool, moment, services)
        if service is not None:
            return (f"qualified timestamp from '{service.name}' of '{service.provider}' on the trusted "
                    f"list of {service.country} (TSA/QTST granted at {_short(moment)}, the timestamp's time)")
        service = timestamp_service(tsa, pool, moment, services, qualified=False)
        return _recognised(service, moment) if service is not None else None
    return words


def _recognised(service: TrustService, moment: datetime) -> str:
    status = service.status_at(moment)
    kind = status.service_type.removeprefix("http://uri.etsi.org/TrstSvc/Svctype/") if status else ""
    state = status_words(status.status) if status else ""
    return (f"timestamp from '{service.name}' of '{service.provider}' on the trusted list of "
            f"{service.country} ({kind} {state} at {_short(moment)}, the timestamp's time): trusted, but "
            "not a qualified timestamp (only a TSA/QTST service granted under eIDAS gives those)")


def _policies(leaf: x509.Certificate) -> frozenset[str]:
    try:
        policies = leaf.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return frozenset()
    return frozenset(p.policy_identifier.dotted_string for p in policies)


def qualified(leaf: x509.Certificate, status: Status) -> tuple[bool, str]:
    """Whether a seal by *leaf*, issued under a granted CA/QC with *status*, is a qualified e-seal:
    its QC statements (QcCompliance, QcType eseal) as the list's qualifiers amend them."""
    policies, usages = _policies(leaf), frozenset(key_usage_names(leaf))
    applied = {q for element in status.qualifications if element.applies_to(policies, usages)
               for q in element.qualifiers}
    if NOT_QUALIFIED in applied:
        return False, "not qualified: the list's qualifier NotQualified applies to the certificate"
    other = [use for uri, use in _OTHER_USES.items() if uri in applied]
    if other and QC_FOR_ESEAL not in applied:
        return False, f"not a qualified e-seal: the list qualifies the certificate for {other[0]}"
    compliance = QC_COMPLIANCE in qc_statements(leaf) or QC_STATEMENT in applied
    eseal = "eseal" in describe(leaf).qc_types or QC_FOR_ESEAL in applied
    if compliance and eseal:
        by_list = " (as the list's qualifiers say)" if {QC_STATEMENT, QC_FOR_ESEAL} & applied else ""
        return True, f"qualified e-seal: QcCompliance and QcType eseal{by_list}"
    if not compliance:
        return False, "not qualified: the certificate has no QcCompliance statement"
    return False, "not a qualified e-seal: the certificate has QcCompliance but no QcType eseal"


def _short(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Basis = Literal["proven", "verification"]
_BASES: dict[Basis, str] = {
    "proven": "the signing time the signature timestamp proves",
    "verification": "verification time (no trusted signature timestamp proves a signing time)",
}


def _when(moment: datetime, basis: Basis) -> str:
    return f"{_short(moment)}, {_BASES[basis]}"


def _issuing(leaf: x509.Certificate, listed: x509.Certificate | None,
             services: Sequence[TrustService]) -> list[TrustService]:
    """The services the seal was issued under: the one its chain ends at among all CA/QC
    services (*listed*), else those whose certificate issued *leaf*."""
    found = service_of(listed, services) if listed is not None else None
    return [found] if found else [s for s in services if any(issued_by(leaf, c) for c in s.certificates)]


def _not_granted(service: TrustService, moment: datetime, basis: Basis) -> str:
    """Why *service*, which issued the seal's chain, was no CA/QC granted for e-seals at *moment*."""
    last = service.status_at(moment)
    if last is None:
        return f"it was not yet listed at {_when(moment, basis)}"
    if last.service_type != CA_QC:
        kind = last.service_type.removeprefix("http://uri.etsi.org/TrstSvc/Svctype/")
        return (f"it is a {kind} service, not a CA/QC one (TS 119 612 gives a qualified status and "
                "the e-seal qualifiers to CA/QC services alone)")
    return f"its status at {_when(moment, basis)}, is {status_words(last.status)} since {_short(last.start)}"


def listed_check(leaf: x509.Certificate, anchor: x509.Certificate | None, services: Sequence[TrustService],
                 moment: datetime, *, basis: Basis = "verification",
                 listed: x509.Certificate | None = None) -> tuple[Check, dict[str, object] | None]:
    """The TRUSTLIST line of a seal whose chain ends at *anchor* (None: at none) among the
    services granted at *moment* (*basis*: the signing time a timestamp proves, or verification
    time), and the facts ``--json`` gives; *listed*: where its chain ends among every CA/QC
    service, whatever its status."""
    service = granted_service(anchor, services, moment) if anchor is not None else None
    status = service.status_at(moment) if service is not None else None
    if service is None or status is None:
        withdrawn = _issuing(leaf, listed, services)
        if withdrawn:
            return Check("ERROR", f"the seal's issuer is '{withdrawn[0].name}' on the trusted list of "
                                  f"{withdrawn[0].country}, but {_not_granted(withdrawn[0], moment, basis)}: "
                                  "not a trust service for e-seals then"), None
        return Check("SKIPPED", "the chain ends at no qualified CA service of the trusted lists read"), None
    is_qualified, words = qualified(leaf, status)
    facts: dict[str, object] = {
        "country": service.country, "provider": service.provider, "service": service.name,
        "status": status.status, "status_since": _short(status.start), "at": _short(moment),
        "at_basis": basis, "qualified": is_qualified, "qualification": words}
    return Check("OK", f"chains to '{service.name}' of '{service.provider}' on the trusted list of "
                       f"{service.country} (CA/QC granted at {_when(moment, basis)}); {words}"), facts
