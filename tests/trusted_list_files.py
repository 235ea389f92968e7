"""ETSI TS 119 612 trusted lists for the tests: built with lxml, signed as enveloped XML-DSig
by the xmlsec1 command (RSA-SHA256, exclusive canonicalisation, the whole list referenced)."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

TSL = "http://uri.etsi.org/02231/v2#"
ADDITIONAL = "http://uri.etsi.org/02231/v2/additionaltypes#"
CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
WITHDRAWN = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"
FOR_ESEALS = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals"
GENERIC = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric"
LOTL = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists"
TSL_MIME = "application/vnd.etsi.tsl+xml"
_TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="tl-signature">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue/>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
</ds:Signature>"""


@dataclass(frozen=True)
class Signer:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def write(self, folder: Path, name: str) -> tuple[Path, Path]:
        """The key and certificate as PEM files (the certificate is what a verifier pins)."""
        key, cert = folder / f"{name}-key.pem", folder / f"{name}.pem"
        key.write_bytes(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        cert.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return key, cert


def new_signer(name: str) -> Signer:
    key = rsa.generate_private_key(65537, 2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "EU")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
            .sign(key, hashes.SHA256()))
    return Signer(key, cert)


@dataclass(frozen=True)
class Service:
    name: str
    certificate: x509.Certificate
    history: list[tuple[str, datetime]]  # (status, starting time), the current one first
    additional: list[str] = field(default_factory=lambda: [FOR_ESEALS])
    service_type: str = CA_QC


def _t(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{TSL}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _named(parent: etree._Element, name: str, text: str) -> None:
    _t(_t(parent, name), "Name", text, **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})


def _information(info: etree._Element, service: Service, status: str, start: datetime) -> None:
    _t(info, "ServiceTypeIdentifier", service.service_type)
    _named(info, "ServiceName", service.name)
    _t(_t(_t(info, "ServiceDigitalIdentity"), "DigitalId"), "X509Certificate", _b64(service.certificate))
    _t(info, "ServiceStatus", status)
    _t(info, "StatusStartingTime", start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if service.additional:
        extensions = _t(info, "ServiceInformationExtensions")
        for uri in service.additional:
            _t(_t(_t(extensions, "Extension", Critical="false"), "AdditionalServiceInformation"), "URI", uri)


def _pointer(parent: etree._Element, location: str, territory: str, signer: x509.Certificate,
             mime: str) -> None:
    pointer = _t(parent, "OtherTSLPointer")
    identity = _t(_t(pointer, "ServiceDigitalIdentities"), "ServiceDigitalIdentity")
    _t(_t(identity, "DigitalId"), "X509Certificate", _b64(signer))
    _t(pointer, "TSLLocation", location)
    info = _t(pointer, "AdditionalInformation")
    _t(_t(info, "OtherInformation"), "TSLType", GENERIC)
    _t(_t(info, "OtherInformation"), "SchemeTerritory", territory)
    mime_element = etree.SubElement(_t(info, "OtherInformation"), f"{{{ADDITIONAL}}}MimeType",
                                    nsmap={"ns3": ADDITIONAL})
    mime_element.text = mime


def trusted_list(territory: str, services: list[Service], *, tsl_type: str = GENERIC,
                 pointers: Sequence[tuple[str, str, x509.Certificate, str]] = (),
                 next_update: datetime | None = None) -> bytes:
    """An unsigned list (serialised) with *services*, or a LOTL with *pointers* (location,
    territory, signer certificate, MIME type); *next_update*: when its NextUpdate says the next
    list is due (a year on by default)."""
    root = etree.Element(f"{{{TSL}}}TrustServiceStatusList", {"Id": "TrustServiceStatusList-1",
                         "TSLTag": "http://uri.etsi.org/19612/TSLTag"}, nsmap={"tsl": TSL})
    scheme = _t(root, "SchemeInformation")
    _t(scheme, "TSLVersionIdentifier", "5")
    _t(scheme, "TSLSequenceNumber", "1")
    _t(scheme, "TSLType", tsl_type)
    _named(scheme, "SchemeOperatorName", f"EDCBRIDGE TEST scheme operator {territory}")
    _t(scheme, "SchemeTerritory", territory)
    if pointers:
        others = _t(scheme, "PointersToOtherTSL")
        for location, country, cert, mime in pointers:
            _pointer(others, location, country, cert, mime)
    _t(scheme, "ListIssueDateTime", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    due = next_update or datetime.now(UTC) + timedelta(days=365)
    _t(_t(scheme, "NextUpdate"), "dateTime", due.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if services:
        provider = _t(_t(root, "TrustServiceProviderList"), "TrustServiceProvider")
        _named(_t(provider, "TSPInformation"), "TSPName", f"EDCBRIDGE TEST provider {territory}")
        holder = _t(provider, "TSPServices")
        for service in services:
            element = _t(holder, "TSPService")
            (status, start), *older = service.history
            _information(_t(element, "ServiceInformation"), service, status, start)
            if older:
                history = _t(element, "ServiceHistory")
                for old_status, old_start in older:
                    _information(_t(history, "ServiceHistoryInstance"), service, old_status, old_start)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sign(unsigned: bytes, signer: Signer, folder: Path) -> bytes:
    """*unsigned* with an enveloped signature by *signer*, made by the xmlsec1 command."""
    root = etree.fromstring(unsigned)
    root.append(etree.fromstring(_TEMPLATE))
    template = folder / "template.xml"
    template.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    key, cert = signer.write(folder, "tl-signer")
    signed = folder / "signed.xml"
    subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}", "--output", str(signed),
                    str(template)], check=True, capture_output=True)
    return signed.read_bytes()


_ECC = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#"
_QC_STATEMENT = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCStatement"


def _entry(tag: str, number: int, status: str, start: str, identity: str) -> str:
    """A ServiceInformation or ServiceHistoryInstance as national lists write them: a
    Qualifications extension declaring its namespaces where it is used."""
    return (f"<tsl:{tag}><tsl:ServiceTypeIdentifier>{CA_QC}</tsl:ServiceTypeIdentifier>"
            f'<tsl:ServiceName><tsl:Name xml:lang="en">EDCBRIDGE TEST CA {number}</tsl:Name>'
            "</tsl:ServiceName>"
            f"<tsl:ServiceDigitalIdentity>{identity}</tsl:ServiceDigitalIdentity>"
            f"<tsl:ServiceStatus>{status}</tsl:ServiceStatus><tsl:StatusStartingTime>{start}"
            "</tsl:StatusStartingTime><tsl:ServiceInformationExtensions>"
            f'<tsl:Extension Critical="true"><ecc:Qualifications xmlns:ecc="{_ECC}" '
            f'xmlns:xades="http://uri.etsi.org/01903/v1.3.2#"><ecc:QualificationElement><ecc:Qualifiers>'
            f'<ecc:Qualifier uri="{_QC_STATEMENT}"/></ecc:Qualifiers><ecc:CriteriaList assert="atLeastOne">'
            f"<ecc:PolicySet><ecc:PolicyIdentifier><xades:Identifier>0.4.0.194112.1.{number % 4}"
            "</xades:Identifier></ecc:PolicyIdentifier></ecc:PolicySet></ecc:CriteriaList>"
            "</ecc:QualificationElement></ecc:Qualifications></tsl:Extension>"
            '<tsl:Extension Critical="false"><tsl:AdditionalServiceInformation>'
            f"<tsl:URI>{FOR_ESEALS}</tsl:URI></tsl:AdditionalServiceInformation></tsl:Extension>"
            f"</tsl:ServiceInformationExtensions></tsl:{tag}>")


def large_trusted_list(certificate: x509.Certificate, providers: int, services: int, history: int) -> bytes:
    """An unsigned list the size of a large national one: *providers* TSPs of *services* CA/QC
    services each (all with *certificate*), each with *history* older statuses naming it by
    subject and key identifier, as history entries do."""
    identity = (f"<tsl:DigitalId><tsl:X509Certificate>{_b64(certificate)}</tsl:X509Certificate>"
                "</tsl:DigitalId>")
    ski = base64.b64encode(certificate.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value.digest).decode()
    old_identity = (f"<tsl:DigitalId><tsl:X509SubjectName>{certificate.subject.rfc4514_string()}"
                    f"</tsl:X509SubjectName></tsl:DigitalId><tsl:DigitalId><tsl:X509SKI>{ski}"
                    "</tsl:X509SKI></tsl:DigitalId>")
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><tsl:TrustServiceStatusList xmlns:tsl="{TSL}" '
             'Id="TrustServiceStatusList-1" TSLTag="http://uri.etsi.org/19612/TSLTag">'
             f"<tsl:SchemeInformation><tsl:TSLVersionIdentifier>5</tsl:TSLVersionIdentifier>"
             f"<tsl:TSLType>{GENERIC}</tsl:TSLType><tsl:SchemeTerritory>IT</tsl:SchemeTerritory>"
             "</tsl:SchemeInformation><tsl:TrustServiceProviderList>"]
    for provider in range(providers):
        parts.append(f'<tsl:TrustServiceProvider><tsl:TSPInformation><tsl:TSPName><tsl:Name xml:lang="en">'
                     f"EDCBRIDGE TEST provider {provider}</tsl:Name></tsl:TSPName></tsl:TSPInformation>"
                     "<tsl:TSPServices>")
        for service in range(services):
            number = provider * services + service
            years = [f"{2024 - year}-01-01T00:00:00Z" for year in range(history + 1)]
            current = _entry("ServiceInformation", number, GRANTED, years[0], identity)
            parts.append("<tsl:TSPService>" + current + "<tsl:ServiceHistory>"
                         + "".join(_entry("ServiceHistoryInstance", number, GRANTED, start, old_identity)
                                   for start in years[1:])
                         + "</tsl:ServiceHistory></tsl:TSPService>")
        parts.append("</tsl:TSPServices></tsl:TrustServiceProvider>")
    parts.append("</tsl:TrustServiceProviderList></tsl:TrustServiceStatusList>")
    return "".join(parts).encode("utf-8")
