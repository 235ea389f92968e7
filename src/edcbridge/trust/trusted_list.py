"""ETSI TS 119 612 trusted lists: read one, check its enveloped XML signature, and find the
qualified CA services (``CA/QC``) that were granted for e-seals at a given time.

A list is parsed with the safe parser (no DTD, no entity, no network) and its signature checked
with libxmlsec1 (through :func:`edcbridge.xml.xades.core_verify`, after the same refusals as a
seal's) against certificates the verifier pinned, never against the certificate the list carries:
anyone can sign a list with a certificate of their own.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography import x509

from edcbridge.xml import xades
from edcbridge.xml.safe import Limits, XmlInputError, parse_bytes

if TYPE_CHECKING:  # lxml is the xml package's engine: the tree comes from xml.safe
    from lxml import etree

TSL = "http://uri.etsi.org/02231/v2#"
ADDITIONAL_TYPES = "http://uri.etsi.org/02231/v2/additionaltypes#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
ECC = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#"
CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
QTST = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"
TSA_TYPES = frozenset({"http://uri.etsi.org/TrstSvc/Svctype/TSA", "http://uri.etsi.org/TrstSvc/Svctype/TSA/TSS-QC",
                       "http://uri.etsi.org/TrstSvc/Svctype/TSA/TSS-AdESQCandQES"})
"""The timestamp services that are not qualified ones: a time-stamping service recognised at
national level (or supervised under the Directive), and those of a provider of qualified
certificates whose timestamps serve to validate its signatures and seals."""
LOTL_TYPE = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists"
TSL_MIME = "application/vnd.etsi.tsl+xml"
_STATUS = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/"
_OLD_STATUS = "http://uri.etsi.org/TrstSvc/Svcstatus/"
_PRE_EIDAS = ("undersupervision", "accredited", "supervisionincessation")
GRANTED = frozenset({f"{_STATUS}granted", *(f"{prefix}{name}" for prefix in (_STATUS, _OLD_STATUS)
                                            for name in _PRE_EIDAS)})
"""granted, and the statuses before eIDAS (1 July 2016) under which a CA/QC issued qualified
certificates (as lists write them since, and as they wrote them then)."""
SET_BY_NATIONAL_LAW = frozenset(f"{prefix}setbynationallaw" for prefix in (_STATUS, _OLD_STATUS))
"""The status before eIDAS of a service approved by national law (TS 119 612: a national root CA
set by national law), which ETSI's registry now writes recognisedatnationallevel: an approval at
national level, never a qualified status."""
RECOGNISED = GRANTED - {f"{_STATUS}granted"} | {f"{_STATUS}recognisedatnationallevel"} | SET_BY_NATIONAL_LAW
"""The statuses under which a timestamp service that is not qualified is in force: recognised at
national level (or, before eIDAS, set by national law), or supervised (accredited) before eIDAS;
granted is for qualified services, and ceased, revoked, withdrawn or deprecated ones are not in
force."""


def status_words(status: str) -> str:
    """A status as lists write it, by its last segment, with what a national one means."""
    name = status.rsplit("/", 1)[-1]
    return f"{name} (set by national law before eIDAS: a national approval, not a qualified status)" \
        if status in SET_BY_NATIONAL_LAW else name
_EXT = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/"
FOR_ESEALS = f"{_EXT}ForeSeals"
_FOR_ANY = frozenset({f"{_EXT}ForeSignatures", FOR_ESEALS, f"{_EXT}ForWebSiteAuthentication"})
MAX_TL_BYTES = 50_000_000
"""Largest list read (the biggest national lists are several megabytes, and grow with each
service and status change)."""
TL_LIMITS = Limits(markup=3_000_000, attributes=3_000_000, namespace_declarations=500_000,
                   kind="a trusted list", namespaces_in_scope=64)
"""What a list may hold: thousands of services, each with its status history, and namespaces
declared again on each extension; still bounded, as the tree is built before the signature is
checked."""


class TrustedListError(ValueError):
    """A trusted list that cannot be read, or whose signature does not hold."""


KEY_USAGE_BITS = {"digitalSignature": "digital_signature", "nonRepudiation": "content_commitment",
                  "keyEncipherment": "key_encipherment", "dataEncipherment": "data_encipherment",
                  "keyAgreement": "key_agreement", "keyCertSign": "key_cert_sign", "crlSign": "crl_sign",
                  "encipherOnly": "encipher_only", "decipherOnly": "decipher_only"}
"""A KeyUsageBit's name -> the flag cryptography (and seal.certs.key_usage_names) calls it."""


@dataclass(frozen=True)
class Qualification:
    """A QualificationElement: qualifiers for the certificates its criteria select. Certificate
    policy and key usage criteria are read; an element with others selects no certificate."""

    qualifiers: tuple[str, ...]
    assertion: str  # all, atLeastOne or none
    policy_sets: tuple[frozenset[str], ...]
    other_criteria: bool
    key_usages: tuple[frozenset[tuple[str, bool]], ...] = ()  # (flag, set or not) of each KeyUsage

    def applies_to(self, policies: frozenset[str], usages: frozenset[str] = frozenset()) -> bool:
        """Whether the criteria select a certificate of *policies* (OIDs) and key *usages* (flags)."""
        if self.other_criteria or not (self.policy_sets or self.key_usages):
            return False
        matches = [ids <= policies for ids in self.policy_sets]
        matches += [all((flag in usages) == value for flag, value in bits) for bits in self.key_usages]
        if self.assertion == "all":
            return all(matches)
        if self.assertion == "none":
            return not any(matches)
        return any(matches)


@dataclass(frozen=True)
class Status:
    """One period of a service's life: its status from *start* on, and what it is for."""

    status: str
    start: datetime
    service_type: str
    additional: tuple[str, ...]  # AdditionalServiceInformation URIs
    qualifications: tuple[Qualification, ...]  # the Qualifications extension

    @property
    def granted_for_eseals(self) -> bool:
        """A qualified CA whose status lets it issue certificates for e-seals (all uses without
        ForeSignatures, ForeSeals or ForWebSiteAuthentication)."""
        for_use = FOR_ESEALS in self.additional or not _FOR_ANY & set(self.additional)
        return self.service_type == CA_QC and self.status in GRANTED and for_use

    @property
    def granted_for_timestamps(self) -> bool:
        """A qualified timestamp service (a type eIDAS brought in: only granted applies)."""
        return self.service_type == QTST and self.status == f"{_STATUS}granted"

    @property
    def recognised_for_timestamps(self) -> bool:
        """A timestamp service in force that is not a qualified one (see :data:`TSA_TYPES`)."""
        return self.service_type in TSA_TYPES and self.status in RECOGNISED


@dataclass(frozen=True)
class TrustService:
    """A service of a trusted list: who runs it, its certificates and its status history."""

    country: str
    provider: str
    name: str
    certificates: tuple[x509.Certificate, ...]
    history: tuple[Status, ...]  # the current status first, then older ones

    def status_at(self, moment: datetime) -> Status | None:
        """The status in force at *moment*: the latest that started at or before it."""
        started = [s for s in self.history if s.start <= moment]
        return max(started, key=lambda s: s.start) if started else None

    def granted_at(self, moment: datetime) -> bool:
        status = self.status_at(moment)
        return status is not None and status.granted_for_eseals

    def granted_for_timestamps_at(self, moment: datetime) -> bool:
        status = self.status_at(moment)
        return status is not None and status.granted_for_timestamps

    def recognised_for_timestamps_at(self, moment: datetime) -> bool:
        status = self.status_at(moment)
        return status is not None and status.recognised_for_timestamps

    def ever_granted(self) -> bool:
        return any(s.granted_for_eseals for s in self.history)

    def ever_ca_qc(self) -> bool:
        return any(s.service_type == CA_QC for s in self.history)

    @property
    def status(self) -> Status:
        return self.history[0]


@dataclass(frozen=True)
class Pointer:
    """An OtherTSLPointer: where a list is, and the certificates that may sign it."""

    location: str
    territory: str
    mime_type: str
    certificates: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class TrustedList:
    source: str
    territory: str
    tsl_type: str
    services: tuple[TrustService, ...]
    pointers: tuple[Pointer, ...]
    tree: etree._ElementTree
    next_update: datetime | None = None  # when the next list is due (None: not said, or closed)

    @property
    def is_lotl(self) -> bool:
        return self.tsl_type == LOTL_TYPE


def _t(path: str) -> str:
    """An ElementPath in the tsl namespace: ``a/b`` -> ``{TSL}a/{TSL}b``."""
    return "/".join(f"{{{TSL}}}{part}" for part in path.split("/"))


def _text(element: etree._Element, path: str) -> str:
    found = element.find(_t(path))
    return (found.text or "").strip() if found is not None else ""


def _name(element: etree._Element, path: str) -> str:
    """The English name of a multilingual name list, else the first one."""
    names = element.findall(_t(path + "/Name"))
    english = [n for n in names if n.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"]
    chosen = (english or names)[:1]
    return (chosen[0].text or "").strip() if chosen else ""


def _time(text: str, source: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TrustedListError(f"{source}: StatusStartingTime {text!r} is not a date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _next_update(root: etree._Element) -> datetime | None:
    """NextUpdate, which a list no longer kept up leaves empty; one that cannot be read says nothing."""
    try:
        return _time(_text(root, "SchemeInformation/NextUpdate/dateTime"), "")
    except TrustedListError:
        return None


def _certificates(element: etree._Element, path: str, source: str) -> tuple[x509.Certificate, ...]:
    certs = []
    for node in element.findall(_t(path)):
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode("".join((node.text or "").split()))))
        except (ValueError, binascii.Error):
            raise TrustedListError(f"{source}: an X509Certificate of the list cannot be read") from None
    return tuple(certs)


def _qualification(element: etree._Element) -> Qualification:
    criteria = element.find(f"{{{ECC}}}CriteriaList")
    sets: list[frozenset[str]] = []
    usages: list[frozenset[tuple[str, bool]]] = []
    other = criteria is None
    for criterion in criteria if criteria is not None else []:
        if criterion.tag == f"{{{ECC}}}PolicySet":
            sets.append(frozenset((i.text or "").strip().removeprefix("urn:oid:")
                                  for i in criterion.iter(f"{{{XADES}}}Identifier")))
        elif criterion.tag == f"{{{ECC}}}KeyUsage":
            bits = _key_usage(criterion)
            other = other or bits is None
            usages += [bits] if bits is not None else []
        elif isinstance(criterion.tag, str):
            other = True
    return Qualification(tuple(q.get("uri", "") for q in element.iter(f"{{{ECC}}}Qualifier")),
                         criteria.get("assert", "all") if criteria is not None else "all", tuple(sets), other,
                         tuple(usages))


def _key_usage(criterion: etree._Element) -> frozenset[tuple[str, bool]] | None:
    """The bits a KeyUsage criterion asks for, set (true) or not; None for a bit not known."""
    bits = set()
    for bit in criterion.iter(f"{{{ECC}}}KeyUsageBit"):
        flag, value = KEY_USAGE_BITS.get(bit.get("name", "")), (bit.text or "").strip()
        if flag is None or value not in ("true", "false", "1", "0"):
            return None
        bits.add((flag, value in ("true", "1")))
    return frozenset(bits)


def _qualifiers(info: etree._Element) -> tuple[Qualification, ...]:
    return tuple(_qualification(q) for q in info.iter(f"{{{ECC}}}QualificationElement"))


def _status(info: etree._Element, source: str) -> Status:
    extensions = "ServiceInformationExtensions/Extension/AdditionalServiceInformation/URI"
    return Status(_text(info, "ServiceStatus"), _time(_text(info, "StatusStartingTime"), source),
                  _text(info, "ServiceTypeIdentifier"),
                  tuple((u.text or "").strip() for u in info.findall(_t(extensions))), _qualifiers(info))


def _service(provider: str, country: str, element: etree._Element, source: str) -> TrustService:
    info = element.find(_t("ServiceInformation"))
    if info is None:
        raise TrustedListError(f"{source}: a TSPService has no ServiceInformation")
    history = [_status(info, source)]
    history += [_status(old, source) for old in element.findall(_t("ServiceHistory/ServiceHistoryInstance"))]
    return TrustService(country, provider, _name(info, "ServiceName"),
                        _certificates(info, "ServiceDigitalIdentity/DigitalId/X509Certificate", source),
                        tuple(history))


def _services(root: etree._Element, country: str, source: str) -> tuple[TrustService, ...]:
    services = []
    for provider in root.findall(_t("TrustServiceProviderList/TrustServiceProvider")):
        name = _name(provider, "TSPInformation/TSPName")
        found = provider.findall(_t("TSPServices/TSPService"))
        services += [_service(name, country, service, source) for service in found]
    return tuple(services)


def _pointer(element: etree._Element, source: str) -> Pointer:
    mime = element.find(f".//{{{ADDITIONAL_TYPES}}}MimeType")
    return Pointer(_text(element, "TSLLocation"),
                   _text(element, "AdditionalInformation/OtherInformation/SchemeTerritory"),
                   (mime.text or "").strip() if mime is not None else "",
                   _certificates(element, "ServiceDigitalIdentities/ServiceDigitalIdentity/DigitalId/"
                                 "X509Certificate", source))


def read_trusted_list(data: bytes, source: str) -> TrustedList:
    """Parse a list (its signature not checked: see :func:`check_signature`)."""
    try:
        tree = parse_bytes(data, source=source, max_bytes=MAX_TL_BYTES, limits=TL_LIMITS)
    except XmlInputError as exc:
        raise TrustedListError(f"{exc}; the trusted list is refused") from None
    root = tree.getroot()
    if root.tag != f"{{{TSL}}}TrustServiceStatusList":
        raise TrustedListError(f"{source}: not an ETSI TS 119 612 trusted list (its root is not "
                               "tsl:TrustServiceStatusList)")
    territory = _text(root, "SchemeInformation/SchemeTerritory")
    pointers = root.findall(_t("SchemeInformation/PointersToOtherTSL/OtherTSLPointer"))
    return TrustedList(source, territory, _text(root, "SchemeInformation/TSLType"),
                       _services(root, territory, source), tuple(_pointer(p, source) for p in pointers), tree,
                       _next_update(root))


def _covers_whole(signature: etree._Element, root: etree._Element) -> bool:
    """Whether a reference of the signature is the whole list (``URI=""`` or the root's Id)."""
    whole = {"", f"#{root.get('Id')}"} if root.get("Id") else {""}
    references = signature.findall(f"{{{xades.DS}}}SignedInfo/{{{xades.DS}}}Reference")
    return any(r.get("URI") in whole for r in references)


def signature_problem(tl: TrustedList, signers: Sequence[x509.Certificate]) -> str | None:
    """Why the list's enveloped signature does not hold with any of *signers*, or None."""
    root = tl.tree.getroot()
    found = xades.signatures(tl.tree)  # anywhere: an XPath transform leaves each out of the digest
    if len(found) != 1:
        return "it has no enveloped ds:Signature" if not found else "it has more than one ds:Signature"
    if found[0].getparent() is not root:
        return "its ds:Signature is not enveloped in the list's root"
    if not _covers_whole(found[0], root):
        return "its signature does not cover the whole list"
    reasons = []
    for signer in signers:
        try:
            reason = xades.core_verify(tl.tree, found[0], signer)
        except xades.RefusedSignature as exc:
            return str(exc)
        if reason is None:
            return None
        reasons.append(reason)
    return f"the signature does not verify with the pinned certificate(s) ({'; '.join(reasons)})"


def check_signature(tl: TrustedList, signers: Sequence[x509.Certificate], pinned_as: str) -> None:
    """Refuse a list whose signature does not verify with a *signers* certificate."""
    problem = signature_problem(tl, signers)
    if problem is not None:
        raise TrustedListError(f"{tl.source}: the trusted list is refused: {problem}; it was changed after "
                               f"signing or was signed by another key than {pinned_as}")
