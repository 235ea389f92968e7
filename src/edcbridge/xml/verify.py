"""Verify enveloped XAdES seals on EDC XML (our own and the EC's DSS output).

Before anything is verified, the signature must have the shape of a seal on a credential:
exactly one ``ds:Signature``, the last element of the root's ``<proof>``; a reference to the
whole document (``URI=""``) that removes only the signature (enveloped-signature, or the XPath
filters the EU DSS and EDCI 1.x write); a reference to the ``SignedProperties`` in its own
``QualifyingProperties``, by none of those transforms (they would remove the properties too).
Anything else could show unsigned content as sealed. Signed
properties (``SigningTime``, ``SigningCertificateV2``) are read only from that referenced,
signed element. Checks, each OK, ERROR or SKIPPED with a reason (as for JAdES):

* SEAL: core validation by libxmlsec1 (every reference digest, then the SignatureValue over
  SignedInfo), after :func:`edcbridge.xml.xades.check_signature` refused file or URL
  references, XSLT, free XPath and weak algorithms. When it fails, the SignatureValue is
  checked on its own so the reason can say whether the content was edited after sealing
  (signature intact, digest mismatch) or the signature itself is broken. RSASSA-PSS, which the
  libxmlsec1 interface lacks, gets the same core validation here after the same refusals: each
  reference recomputed (lxml's canonicalisation) and digested, then the SignatureValue checked
  with ``cryptography``; a PSS form not checked here is an ERROR whose reason says it "cannot be
  checked here" (the verdict is then CHECK, not INVALID). The certificate must
  allow signing (digitalSignature or nonRepudiation), have a strong key (RSA 2048 bits or more)
  and no SHA-1 signature, not be typed for another purpose than seals (QcType), and, with trust
  anchors, chain to one. What its QC statements claim is reported.
* CERTIFICATE: the signed ``SigningCertificateV2`` (or ``SigningCertificate``) digest names the
  certificate in ``KeyInfo``, and the ``IssuerSerialV2`` (or v1 ``IssuerSerial``) beside that
  digest, when present, names it too (its issuer and serial number); a seal without one is an
  ERROR (baseline B-B requires it, and the EU DSS refuses such seals).
* TIMESTAMP: every signed ``AllDataObjectsTimeStamp`` (content timestamp) is a valid RFC 3161
  token over the signed data (the document without the signature, canonicalised as its
  reference says) and not later than the signature timestamps; every ``SignatureTimeStamp`` is
  one over the canonicalised ``ds:SignatureValue``, not earlier than the ``SigningTime``; with
  trust anchors, each by a TSA that chains to one or that the trusted lists name as a
  timestamp service in force then, qualified or recognised (SKIPPED at level B-B without either). A
  token of a TSA that leads to no anchor, or signed with or over SHA-1, proves no time: it is set aside
  (not relied on; for a signature timestamp, SKIPPED and the seal checked as at level B-B).
* EXPIRY: the signed ``SigningTime`` is present, a date-time, and not in the future; the credential's
  ``cred:validFrom`` / ``cred:issued`` are reached and its ``cred:validUntil`` has not passed;
  the seal certificate is valid at the signing time a valid timestamp proves, else now (a
  claimed ``SigningTime`` proves nothing).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree

from edcbridge.bounded_file import TooLarge, read_bounded, too_large_problem
from edcbridge.seal import _der, tst
from edcbridge.seal.certs import (
    build_chain,
    key_usage_names,
    qualification,
    seal_purpose_problem,
    unreadable_problem,
    validity_problem,
)
from edcbridge.seal.errors import TimestampError
from edcbridge.seal.verify import (
    Check,
    QualifiedTsa,
    Status,
    VerifyOptions,
    cut_short,
    naming_unsigned,
    not_read_verdict,
    tsa_trust,
    unsigned_note,
    untrusted_tsa_hint,
)
from edcbridge.xml import xades
from edcbridge.xml.safe import IncompleteXml, XmlInputError, parse_bytes

XADES_141 = "http://uri.etsi.org/01903/v1.4.1#"
_CRED = "http://data.europa.eu/europass/model/credentials/w3c#"
_DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
_SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha224": hashes.SHA224,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha224": hashes.SHA224,
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": hashes.SHA512,
}
_C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
# (exclusive, with comments) of each canonicalisation; C14N 1.1 is computed as 1.0, see _canonical
_C14N = {
    "http://www.w3.org/2001/10/xml-exc-c14n#": (True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": (True, True),
    _C14N_10: (False, False),
    f"{_C14N_10}#WithComments": (False, True),
    _C14N_11: (False, False),
    f"{_C14N_11}#WithComments": (False, True),
}
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def _canonical(element: etree._Element | etree._ElementTree, algorithm: str,
               prefixes: list[str] | None = None, *, comments: bool = True) -> bytes | None:
    """*element* (or a whole document) canonicalised with *algorithm*, None when it cannot be
    computed here; *prefixes* are the InclusiveNamespaces of exclusive canonicalisation, and
    without *comments* the WithComments forms leave them out too (as for a same-document
    reference, XMLDSig 4.4.3.3).

    lxml has no C14N 1.1; its output differs from 1.0 only in how the ``xml:id`` and ``xml:base``
    attributes of omitted ancestors are inherited, so without such attributes 1.0 gives it."""
    mode = _C14N.get(algorithm)
    if mode is None:
        return None
    if algorithm.startswith(_C14N_11) and isinstance(element, etree._Element) and any(
            name in (f"{_XML_NS}id", f"{_XML_NS}base") for ancestor in element.iterancestors()
            for name in ancestor.attrib):
        return None
    return etree.tostring(element, method="c14n", exclusive=mode[0], with_comments=mode[1] and comments,
                          inclusive_ns_prefixes=prefixes if mode[0] else None)


def _canonical_by(element: etree._Element | etree._ElementTree, method: etree._Element | None,
                  *, comments: bool = True) -> bytes | None:
    """*element* canonicalised as a CanonicalizationMethod or Transform element says, with its
    InclusiveNamespaces PrefixList; inclusive C14N 1.0 without one (XAdES 4.5, XMLDSig 4.4.3.2)."""
    algorithm = method.get("Algorithm", "") if method is not None else _C14N_10
    listed = _find(method, "ec:InclusiveNamespaces") if method is not None else None
    prefixes = (listed.get("PrefixList") or "").split() if listed is not None else None
    return _canonical(element, algorithm, prefixes, comments=comments)


# Transforms of the whole-document reference that remove the (enveloped) signature.
_ENVELOPED = ("http://www.w3.org/2000/09/xmldsig#enveloped-signature", xades.XPATH, xades.XPATH_FILTER2)
_SIGNING_USAGES = {"digital_signature", "content_commitment"}  # nonRepudiation is content_commitment
# A TSA answers after the signer chose SigningTime; allow that much clock difference the other way.
_CLOCK_SKEW = timedelta(minutes=5)
_CHECK_ORDER = ("SEAL", "CERTIFICATE", "TIMESTAMP", "EXPIRY")


@dataclass
class XadesVerification:
    source: str
    checks: dict[str, Check] = field(default_factory=dict)
    certificate: x509.Certificate | None = None
    signing_time: str | None = None
    level: str | None = None
    unsigned_content: list[str] = field(default_factory=list)
    """What the signature carries that its seal does not cover (see _unsigned_content)."""
    unreadable: str | None = None
    """What the bytes are when they are no XML document (no seal was looked at), else None."""
    not_read: str | None = None
    """The verdict's words for a file not read whole (a folder, one too large, one this user may
    not read), else None."""
    anchor: x509.Certificate | None = None
    """The trust anchor the seal's chain ends at, when SEAL is OK with anchors given."""
    listed: dict[str, object] | None = None
    """What the trusted lists say of the seal (``verify --trusted-list``)."""
    proven_time: datetime | None = None
    """The signing time a valid signature timestamp proves, else None."""

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status != "ERROR" for c in self.checks.values())

    def as_dict(self) -> dict[str, object]:
        subject = self.certificate.subject.rfc4514_string() if self.certificate else None
        return {"source": self.source, "ok": self.ok, "level": self.level, "signing_time": self.signing_time,
                "certificate": subject, "checks": {k: c.as_dict() for k, c in self.checks.items()},
                "unsigned_content": self.unsigned_content,
                **({"trusted_list": self.listed} if self.listed else {})}

    def unsigned_note(self) -> str | None:
        """The verdict's words for content in the signature that the seal does not cover, or None."""
        return unsigned_note(self.unsigned_content)


def _load_cert(text: str) -> x509.Certificate | None:
    """A KeyInfo certificate, or None when it cannot be read in full (KeyInfo is not signed:
    anyone can add such a certificate, so it is left out rather than read part way)."""
    try:
        der = base64.b64decode("".join(text.split()))
        with warnings.catch_warnings():  # e.g. the negative serial of an EC test certificate
            warnings.simplefilter("ignore")
            cert = x509.load_der_x509_certificate(der)
    except (ValueError, binascii.Error, x509.InvalidVersion):
        return None
    return cert if unreadable_problem(cert) is None else None


_NS = {"ds": xades.DS, "xades": xades.XADES, "xades141": XADES_141, "ec": xades.EXC_C14N}


def _find(element: etree._Element, path: str) -> etree._Element | None:
    return element.find(path, _NS)


def _findall(element: etree._Element, path: str) -> list[etree._Element]:
    return element.findall(path, _NS)


def _proof(root: etree._Element) -> etree._Element | None:
    try:
        return xades.proof_of(root)
    except xades.XadesError:
        return None


def _placement_problem(tree: etree._ElementTree, found: list[etree._Element]) -> str | None:
    """None when the document holds one signature, the last element of the root's <proof>."""
    if len(found) != 1:
        return (f"the document holds {len(found)} ds:Signature elements; a sealed credential holds "
                "exactly one, in its <proof>")
    signature = found[0]
    proof = _proof(tree.getroot())
    elements = [e for e in proof if isinstance(e.tag, str)] if proof is not None else []
    if not elements or elements[-1] is not signature:
        return ("the ds:Signature is not the last element of the credential's <proof>, where a seal "
                "belongs; content outside the signed data could be shown as sealed")
    return None


def _references(signature: etree._Element) -> list[etree._Element]:
    return _findall(signature, "ds:SignedInfo/ds:Reference")


def _signs_whole_document(reference: etree._Element) -> bool:
    algorithms = {t.get("Algorithm") for t in _findall(reference, "ds:Transforms/ds:Transform")}
    return reference.get("URI") == "" and bool(algorithms & set(_ENVELOPED))


def _signed_properties(signature: etree._Element) -> etree._Element | None:
    """The SignedProperties a SignedInfo reference names, in the signature's own QualifyingProperties."""
    targets = {r.get("URI", "")[1:] for r in _references(signature)
               if r.get("Type") == xades.SIGNED_PROPERTIES_TYPE and r.get("URI", "").startswith("#")}
    found = [e for e in _findall(signature, "ds:Object/xades:QualifyingProperties/xades:SignedProperties")
             if e.get("Id") in targets]
    return found[0] if len(found) == 1 else None


def _unsigned_properties_problem(signature: etree._Element) -> str | None:
    """Why the SignedProperties reference digests nothing, or None. The transforms that remove
    the signature (enveloped-signature, the XPath filters) also remove the signed properties
    inside it: the properties would then be read as signed while anyone could edit them."""
    for reference in _references(signature):
        if reference.get("Type") != xades.SIGNED_PROPERTIES_TYPE:
            continue
        removing = [t.get("Algorithm") for t in _findall(reference, "ds:Transforms/ds:Transform")
                    if t.get("Algorithm") in _ENVELOPED]
        if removing:
            return (f"the SignedProperties Reference {reference.get('URI')!r} applies {removing[0]!r}, "
                    "which removes the signature and the signed properties inside it: signing time "
                    "and certificate are not signed (a SignedProperties Reference takes only a "
                    "canonicalisation transform)")
    return None


def _reference_problem(signature: etree._Element) -> str | None:
    """Why SignedInfo does not sign the whole credential and the signed properties, or None."""
    if not any(_signs_whole_document(r) for r in _references(signature)):
        return ('SignedInfo has no Reference with URI="" and the enveloped-signature transform: the '
                "credential itself is not signed")
    if _signed_properties(signature) is None:
        return ("SignedInfo references no SignedProperties in the signature's QualifyingProperties: "
                "not a XAdES seal")
    return _unsigned_properties_problem(signature)


_PROPERTY_NAMESPACES = (xades.XADES, XADES_141, xades.DS)  # what unsigned properties are written in
_SIGNATURE_PARTS = {f"{{{xades.DS}}}{name}" for name in ("SignedInfo", "SignatureValue", "KeyInfo", "Object")}
_OBJECT = f"{{{xades.DS}}}Object"


def _elements(node: etree._Element) -> list[etree._Element]:
    """The child elements (comments and processing instructions are no content)."""
    return [e for e in node if isinstance(e.tag, str)]


def _unsigned_content(signature: etree._Element, props: etree._Element) -> list[str]:
    """What the signature carries that no Reference covers and a seal does not need: a ds:Object
    of its own, anything beside the QualifyingProperties or inside its unsigned properties that
    is not XAdES, other elements. XMLDSig signs only what SignedInfo references, so such content
    leaves the seal intact (the EU DSS says so too) but nothing vouches for it."""
    referenced = {r.get("URI", "")[1:] for r in _references(signature) if r.get("URI", "").startswith("#")}
    holder = props.getparent()  # the QualifyingProperties, in a ds:Object
    found: list[str] = []
    for part in _elements(signature):
        name = etree.QName(part).localname
        if part.tag not in _SIGNATURE_PARTS:
            found.append(f"'{name}' in the signature")
        elif part.tag == _OBJECT and holder is not None and part is not holder.getparent():
            if part.get("Id") not in referenced:
                found.append("a ds:Object of its own" +
                             "".join(f" holding '{etree.QName(e).localname}'" for e in _elements(part)[:1]))
        elif part.tag == _OBJECT:
            found += [f"'{etree.QName(e).localname}' beside the QualifyingProperties"
                      for e in _elements(part) if e is not holder]
            if (part.text or "").strip() or any((e.tail or "").strip() for e in part):
                found.append("text beside the QualifyingProperties")
    if holder is not None:
        for other in (e for e in _elements(holder) if e is not props):
            if other.tag != f"{{{xades.XADES}}}UnsignedProperties":
                found.append(f"'{etree.QName(other).localname}' in the QualifyingProperties")
                continue
            found += [f"'{etree.QName(e).localname}' among the unsigned properties" for e in other.iter()
                      if isinstance(e.tag, str) and etree.QName(e).namespace not in _PROPERTY_NAMESPACES]
    return found


class _CertRef(NamedTuple):
    """One signed xades:Cert: its CertDigest, the text of its IssuerSerialV2 (None without), and
    the X509IssuerName and X509SerialNumber texts of its (XAdES v1) IssuerSerial (None without)."""

    algorithm: str
    digest: bytes
    issuer_serial: str | None = None
    issuer_name_serial: tuple[str, str] | None = None

    def names(self, cert: x509.Certificate) -> bool:
        der = cert.public_bytes(serialization.Encoding.DER)
        return hashlib.new(self.algorithm, der).digest() == self.digest


def _cert_digests(props: etree._Element) -> tuple[list[_CertRef], str | None]:
    """The signed certificate references, and why one cannot be read (None when all can)."""
    found: list[_CertRef] = []
    certs = _findall(props, "xades:SignedSignatureProperties/xades:SigningCertificateV2/xades:Cert") + \
        _findall(props, "xades:SignedSignatureProperties/xades:SigningCertificate/xades:Cert")
    for cert in certs:
        method = _find(cert, "xades:CertDigest/ds:DigestMethod")
        value = _find(cert, "xades:CertDigest/ds:DigestValue")
        uri = method.get("Algorithm", "") if method is not None else ""
        if uri not in _DIGESTS or value is None or not value.text:
            return found, (f"a signed CertDigest has no value or the unsupported DigestMethod {uri!r}: "
                           "the signing certificate cannot be named")
        issuer_serial = _find(cert, "xades:IssuerSerialV2")
        try:
            found.append(_CertRef(_DIGESTS[uri], base64.b64decode("".join(value.text.split()), validate=True),
                                  None if issuer_serial is None else issuer_serial.text or "",
                                  _issuer_name_serial(cert)))
        except (ValueError, binascii.Error):
            return found, "the signed CertDigest is not base64: the signing certificate cannot be named"
    return found, None


def _issuer_name_serial(cert: etree._Element) -> tuple[str, str] | None:
    """The X509IssuerName and X509SerialNumber texts of a Cert's v1 IssuerSerial, or None."""
    issuer_serial = _find(cert, "xades:IssuerSerial")
    if issuer_serial is None:
        return None
    name, serial = _find(issuer_serial, "ds:X509IssuerName"), _find(issuer_serial, "ds:X509SerialNumber")
    return (name.text or "" if name is not None else "", serial.text or "" if serial is not None else "")


def _issuer_serial(text: str) -> tuple[list[bytes], int]:
    """The directoryName issuers and the serial number of a base64 DER IssuerSerial (RFC 5035:
    GeneralNames, CertificateSerialNumber, an optional issuerUID); raises ValueError."""
    der = base64.b64decode("".join(text.split()), validate=True)
    tag, content, end = _der.read(der)
    parts = list(_der.children(content)) if tag == _der.SEQUENCE and end == len(der) else []
    if len(parts) < 2 or parts[0][0] != _der.SEQUENCE or parts[1][0] != _der.INTEGER:
        raise ValueError("not an IssuerSerial")
    names = [name for kind, name in _der.children(parts[0][1]) if kind == 0xA4]  # directoryName [4]
    return names, int.from_bytes(parts[1][1], "big", signed=True)


# The string types a DirectoryString or an attribute of a Name is written in, and their encodings
_NAME_STRINGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x1A: "ascii", 0x14: "latin-1",
                 0x1E: "utf-16-be", 0x1C: "utf-32-be"}


def _name_rdns(der: bytes) -> list[frozenset[tuple[str, str]]]:
    """A DER Name as its relative distinguished names, each a set of (attribute OID, value
    compared as RFC 4518 prepares it, simplified: case folded, inner white space collapsed);
    raises ValueError."""
    tag, content, end = _der.read(der)
    if tag != _der.SEQUENCE or end != len(der):
        raise ValueError("not a Name")
    rdns = []
    for rdn_tag, rdn in _der.children(content):
        if rdn_tag != _der.SET:
            raise ValueError("not a Name")
        attributes = set()
        for attribute_tag, attribute in _der.children(rdn):
            parts = list(_der.children(attribute))
            if attribute_tag != _der.SEQUENCE or len(parts) != 2 or parts[0][0] != _der.OID:
                raise ValueError("not a Name")
            attributes.add(_prepared(_der.decode_oid(parts[0][1]), _string_value(*parts[1])))
        rdns.append(frozenset(attributes))
    return rdns


def _string_value(kind: int, value: bytes) -> str:
    """A DER attribute value as text: decoded when a string type, else its hex."""
    return value.decode(_NAME_STRINGS[kind]) if kind in _NAME_STRINGS else value.hex()


def _prepared(oid: str, text: str) -> tuple[str, str]:
    return oid, " ".join(text.split()).casefold()


def _rdns_of(name: x509.Name) -> list[frozenset[tuple[str, str]]]:
    return [frozenset(_prepared(a.oid.dotted_string, str(a.value)) for a in rdn) for rdn in name.rdns]


# The attribute type keywords of RFC 4514 3 and those Java and .NET write in an RFC 2253 name
_NAME_KEYWORDS = {
    "CN": "2.5.4.3", "SN": "2.5.4.4", "SURNAME": "2.5.4.4", "SERIALNUMBER": "2.5.4.5", "C": "2.5.4.6",
    "L": "2.5.4.7", "ST": "2.5.4.8", "S": "2.5.4.8", "STREET": "2.5.4.9", "O": "2.5.4.10",
    "OU": "2.5.4.11", "T": "2.5.4.12", "TITLE": "2.5.4.12", "GN": "2.5.4.42", "GIVENNAME": "2.5.4.42",
    "ORGANIZATIONIDENTIFIER": "2.5.4.97", "E": "1.2.840.113549.1.9.1",
    "EMAILADDRESS": "1.2.840.113549.1.9.1", "DC": "0.9.2342.19200300.100.1.25",
    "UID": "0.9.2342.19200300.100.1.1",
}
_OID_TEXT = re.compile(r"(?:OID\.)?([0-2](?:\.\d+)+)", re.IGNORECASE)
_ESCAPED = re.compile(r"\\([0-9A-Fa-f]{2})|\\(.)", re.DOTALL)


def _split_unescaped(text: str, separator: str) -> list[str]:
    """*text* split at each *separator* neither escaped nor quoted (RFC 2253 allows quotes)."""
    parts, start, index, quoted = [], 0, 0, False
    while index < len(text):
        if text[index] == "\\":
            index += 1
        elif text[index] == '"':
            quoted = not quoted
        elif text[index] == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    return [*parts, text[start:]]


def _attribute_value(text: str) -> str:
    """An RFC 4514 attribute value: ``#`` and the hex of its DER, or a string with escapes
    (quoted, as RFC 2253 allows)."""
    if text.startswith("#"):
        der = bytes.fromhex(text[1:])
        kind, value, end = _der.read(der)
        if end != len(der):
            raise ValueError("not one DER value")
        return _string_value(kind, value)
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1]
    raw = bytearray()
    position = 0
    for match in _ESCAPED.finditer(text):
        raw += text[position:match.start()].encode("utf-8")
        raw += bytes.fromhex(match[1]) if match[1] else match[2].encode("utf-8")
        position = match.end()
    return (raw + text[position:].encode("utf-8")).decode("utf-8")


def _rfc4514_rdns(text: str) -> list[frozenset[tuple[str, str]]]:
    """An RFC 4514 (or RFC 2253) distinguished name string as :func:`_name_rdns` gives a DER
    Name: first RDN first (the string lists it last); raises ValueError."""
    rdns = []
    for rdn in _split_unescaped(text, ","):
        attributes = set()
        for attribute in _split_unescaped(rdn, "+"):
            kind, equals, value = attribute.partition("=")
            oid = _OID_TEXT.fullmatch(kind.strip())
            dotted = oid[1] if oid else _NAME_KEYWORDS.get(kind.strip().upper())
            if not equals or dotted is None:
                raise ValueError(f"unknown attribute type {kind.strip()!r}")
            attributes.add(_prepared(dotted, _attribute_value(value.strip())))
        rdns.append(frozenset(attributes))
    return rdns[::-1]


def _same_name(der: bytes, name: x509.Name) -> bool:
    """Whether a DER Name names ``name``: the same bytes, or the same attributes in other string
    types or case (RFC 5280 7.1, as the EU DSS compares them)."""
    if der == name.public_bytes():
        return True
    try:
        written = _name_rdns(der)
    except (ValueError, UnicodeDecodeError):
        return False
    return written == _rdns_of(name)


def _same_name_string(text: str, name: x509.Name) -> bool:
    """Whether an X509IssuerName (an RFC 4514 string) names ``name``, compared as :func:`_same_name`."""
    try:
        return _rfc4514_rdns(text) == _rdns_of(name)
    except (ValueError, UnicodeDecodeError):
        return False


_SERIAL_TEXT = re.compile(r"\s*[+-]?\d+\s*")
_SERIAL_DIGITS = 100  # 20 octets (RFC 5280) are at most 49 digits; leading zeros not counted


def _issuer(cert: x509.Certificate) -> str:
    return cert.issuer.rfc4514_string()


def _v2_mismatch(text: str, leaf: x509.Certificate) -> str | None:
    """What else than the seal certificate an IssuerSerialV2 names, or None."""
    try:
        issuers, serial = _issuer_serial(text)
    except (ValueError, binascii.Error):
        return "IssuerSerialV2 of the seal certificate is not the base64 DER of an IssuerSerial (RFC 5035)"
    if serial != leaf.serial_number:
        return f"IssuerSerialV2 names serial number {serial}, not the seal certificate's {leaf.serial_number}"
    if not any(_same_name(issuer, leaf.issuer) for issuer in issuers):
        return f"IssuerSerialV2 names another issuer than the seal certificate's '{_issuer(leaf)}'"
    return None


def _v1_mismatch(issuer: str, serial: str, leaf: x509.Certificate) -> str | None:
    """What else than the seal certificate a (XAdES v1) IssuerSerial names, or None."""
    if not _SERIAL_TEXT.fullmatch(serial):
        return f"IssuerSerial has the X509SerialNumber {serial.strip()!r}, which is not an integer"
    digits = serial.strip().lstrip("+-").lstrip("0")
    if len(digits) > _SERIAL_DIGITS:  # int() refuses more than 4,300 digits, and no serial has them
        return (f"IssuerSerial has the X509SerialNumber '{digits[:20]}...' ({len(digits)} digits), longer "
                "than any certificate's (RFC 5280: at most 20 octets)")
    if int(serial) != leaf.serial_number:
        return f"IssuerSerial names serial number {int(serial)}, not the seal certificate's " \
            f"{leaf.serial_number}"
    if not _same_name_string(issuer, leaf.issuer):
        return f"IssuerSerial names the issuer {issuer.strip()!r}, not the seal certificate's " \
            f"'{_issuer(leaf)}'"
    return None


def _issuer_serial_problem(refs: list[_CertRef], leaf: x509.Certificate) -> str | None:
    """Why a signed Cert whose CertDigest names the seal certificate has an IssuerSerialV2 or
    IssuerSerial that names another one (ETSI EN 319 132-1, 5.2.2), or None."""
    for ref in refs:
        if not ref.names(leaf):
            continue
        mismatch = _v2_mismatch(ref.issuer_serial, leaf) if ref.issuer_serial is not None else \
            _v1_mismatch(*ref.issuer_name_serial, leaf) if ref.issuer_name_serial is not None else None
        if mismatch:
            return (f"the signed {mismatch}, while the CertDigest beside it names the seal certificate: the "
                    "signed properties do not soundly name the certificate that made the seal "
                    "(ETSI EN 319 132-1, 5.2.2)")
    return None


def _issues_another(cert: x509.Certificate, certs: list[x509.Certificate]) -> bool:
    return any(other.issuer == cert.subject for other in certs if other is not cert)


def _signing_cert(signature: etree._Element, digests: list[_CertRef]
                  ) -> tuple[x509.Certificate | None, list[x509.Certificate], bool]:
    """(leaf, all KeyInfo certificates, whether a signed certificate digest matched the leaf).

    The signed digests may name CA certificates of the path too, and KeyInfo may hold them in
    any order: the leaf is the named certificate that issued none of the others. When the
    digests name only CAs, the leaf is a certificate that issued none of the others, unnamed:
    a CA named in the signed properties did not make the seal."""
    elements = _findall(signature, "ds:KeyInfo//ds:X509Certificate")
    certs = [c for c in (_load_cert(e.text or "") for e in elements) if c is not None]
    named = [c for c in certs if any(ref.names(c) for ref in digests)]
    named_leaves = [c for c in named if not _issues_another(c, certs)]
    if named_leaves:
        return named_leaves[0], certs, True
    leaves = [c for c in certs if not _issues_another(c, certs)] or certs
    return (leaves[0] if leaves else None), certs, False


def _signature_value_ok(signature: etree._Element, cert: x509.Certificate) -> bool | None:
    """Check the SignatureValue over SignedInfo alone (None when it cannot be checked here)."""
    signed_info = _find(signature, "ds:SignedInfo")
    value = _find(signature, "ds:SignatureValue")
    c14n = _find(signature, "ds:SignedInfo/ds:CanonicalizationMethod")
    method = _find(signature, "ds:SignedInfo/ds:SignatureMethod")
    if signed_info is None or value is None or c14n is None or method is None:
        return None
    try:
        pss = xades.rsa_pss(method)
    except xades.RefusedSignature:
        return None
    hash_type = _SIGNATURE_HASHES.get(method.get("Algorithm", ""))
    digest = pss[0] if pss is not None else hash_type() if hash_type is not None else None
    data = _canonical_by(signed_info, c14n)
    if data is None or digest is None:
        return None
    try:
        raw = base64.b64decode("".join((value.text or "").split()), validate=True)
    except (ValueError, binascii.Error):
        return False
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, data, pss[1] if pss is not None else padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and pss is None:
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

            half = len(raw) // 2
            der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
            key.verify(der, data, ec.ECDSA(digest))
        else:  # RSASSA-PSS needs an RSA key; other keys are not checked here
            return False if pss is not None else None
    except (InvalidSignature, ValueError):  # ValueError: a salt too long for the key
        return False
    return True


def _parse_time(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _short(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


@dataclass(frozen=True)
class _Stamps:
    """The TIMESTAMP check, the level, and the signing time the timestamps prove (if any)."""

    check: Check
    level: str
    proven: datetime | None = None


def _token(stamp: etree._Element) -> bytes:
    encapsulated = _find(stamp, "xades:EncapsulatedTimeStamp")
    try:
        return base64.b64decode("".join((encapsulated.text or "").split())) if encapsulated is not None \
            else b""
    except (ValueError, binascii.Error) as exc:
        raise TimestampError("EncapsulatedTimeStamp is not base64") from exc


@dataclass
class _StampTrust:
    """Whom timestamps are trusted from (anchors, the lists' qualified timestamp services), and
    what the lists said of each timestamp they qualified."""

    options: VerifyOptions
    qualified: list[str] = field(default_factory=list)

    @property
    def anchors(self) -> tuple[x509.Certificate, ...]:
        return self.options.trust_anchors


def _verified(token: bytes, data: bytes, pool: list[x509.Certificate], trust: _StampTrust) -> tst.Timestamp:
    """A token verified over *data*, by a TSA the lists qualify or that chains to an anchor
    when anchors are given."""
    verified = tst.verify_token(token, hashlib.new(tst.imprint_algorithm(token), data).digest(), tuple(pool))
    qualified, failure = tsa_trust(verified, pool, trust.options)
    if failure:
        raise UntrustedTimestamp(f"timestamp authority '{_name(verified.tsa_certificate)}' not trusted: "
                                 f"{failure}")
    if qualified:
        trust.qualified.append(qualified)
    return verified


def _stamp(stamp: etree._Element, value: etree._Element, pool: list[x509.Certificate],
           trust: _StampTrust) -> tst.Timestamp:
    """One verified SignatureTimeStamp over the SignatureValue (raises TimestampError)."""
    method = _find(stamp, "ds:CanonicalizationMethod")
    data = _canonical_by(value, method)  # XAdES: inclusive C14N 1.0 when none is named
    if data is None:
        algorithm = method.get("Algorithm", "") if method is not None else _C14N_10
        raise TimestampError(f"timestamp canonicalisation {algorithm!r} is not supported")
    return _verified(_token(stamp), data, pool, trust)


def _index_path(element: etree._Element) -> list[int]:
    path = []
    while (parent := element.getparent()) is not None:
        path.append(parent.index(element))
        element = parent
    return path[::-1]


def _at(clone: etree._ElementTree, element: etree._Element) -> etree._Element:
    """The element of *clone*, a deep copy of *element*'s document, in *element*'s place."""
    found = clone.getroot()
    for index in _index_path(element):
        found = found[index]
    return found


def _remove(element: etree._Element) -> None:
    """Take *element* out of its document, keeping the text after it (lxml's remove takes that
    tail along, while the enveloped-signature transform and the XPath filters leave it)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


class _NotRecomputed(ValueError):
    """What a reference signs cannot be computed here (lxml has no C14N 1.1 proper)."""


def _reference_data(tree: etree._ElementTree, signature: etree._Element, reference: etree._Element,
                    target: etree._Element | None = None) -> bytes:
    """What a Reference digests, recomputed: the whole document (URI=""), or *target*, the element
    its URI names, without comments; the signature left out when a transform removes it; then
    canonicalised by the last transform, inclusive C14N 1.0 when that is none (XMLDSig 4.4.3.2).
    Raises _NotRecomputed for a form that cannot be computed here."""
    transforms = _findall(reference, "ds:Transforms/ds:Transform")
    node: etree._Element | etree._ElementTree = tree if target is None else target
    if any(t.get("Algorithm") in _ENVELOPED for t in transforms):
        if target is not None and (target is signature or signature in target.iterancestors()):
            return b""  # the signature, or inside it: all of it removed
        clone = copy.deepcopy(tree)
        node = clone if target is None else _at(clone, target)
        _remove(_at(clone, signature))
    last = transforms[-1] if transforms and transforms[-1].get("Algorithm") in _C14N else None
    data = _canonical_by(node, last, comments=False)
    if data is None:
        algorithm = last.get("Algorithm") if last is not None else _C14N_10
        raise _NotRecomputed(f"Reference {reference.get('URI')!r}, canonicalised with {algorithm!r} under "
                             "an xml:id or xml:base, cannot be recomputed here")
    return data


def _content_stamps(tree: etree._ElementTree, signature: etree._Element, props: etree._Element,
                    pool: list[x509.Certificate], trust: _StampTrust) -> list[tst.Timestamp]:
    """The signed AllDataObjectsTimeStamps, each verified over the data the seal signs: the
    output of every data reference, concatenated in order (EN 319 132-1, 5.2.8.1)."""
    stamps = _findall(props, "xades:SignedDataObjectProperties/xades:AllDataObjectsTimeStamp")
    if not stamps:
        return []
    references = [r for r in _references(signature) if r.get("Type") != xades.SIGNED_PROPERTIES_TYPE]
    if len(references) != 1 or not _signs_whole_document(references[0]):
        raise TimestampError("it covers references other than the whole document, which are not recomputed")
    data = _reference_data(tree, signature, references[0])
    return [_verified(_token(stamp), data, pool, trust) for stamp in stamps]


class UntrustedTimestamp(TimestampError):
    """A sound timestamp whose authority leads to no trust anchor: it proves no time, and says
    nothing against the seal (the unsigned properties it sits in can be stripped by anyone)."""


def _content_check(tree: etree._ElementTree, signature: etree._Element, props: etree._Element,
                   pool: list[x509.Certificate], trust: _StampTrust) -> tuple[list[datetime], str]:
    """The times of the valid content timestamps, and what to say of them (raises TimestampError
    for one that fails). One by an untrusted authority proves nothing and is set aside."""
    try:
        times = [s.gen_time for s in _content_stamps(tree, signature, props, pool, trust)]
    except (UntrustedTimestamp, tst.WeakTimestamp) as exc:
        trust.qualified.clear()  # the content timestamps are all set aside
        return [], f"content timestamp not relied on: {exc}; "
    if not times:
        return [], ""
    listed = ", ".join(t.isoformat() for t in times)
    return times, f"{len(times)} content timestamp(s) over the signed data valid, at {listed}; "


def _timestamps(tree: etree._ElementTree, signature: etree._Element, props: etree._Element,
                pool: list[x509.Certificate], trust: _StampTrust,
                claimed: datetime | None, now: datetime) -> _Stamps:
    """Check the signed content timestamps, then the SignatureTimeStamps of the QualifyingProperties
    that hold the signed properties."""
    qualifying = props.getparent()
    stamps = _findall(qualifying, "xades:UnsignedProperties/xades:UnsignedSignatureProperties/"
                      "xades:SignatureTimeStamp") if qualifying is not None else []
    level = "B-T" if stamps else "B-B"
    try:
        contents, note = _content_check(tree, signature, props, pool, trust)
    except (TimestampError, ValueError) as exc:
        return _Stamps(Check("ERROR", f"content timestamp (AllDataObjectsTimeStamp): {exc}"), level)
    if any(t > now + _CLOCK_SKEW for t in contents):
        return _Stamps(Check("ERROR", f"content timestamp at {_short(max(contents))} is after the "
                             f"verification time {_short(now)}: the authority's clock is wrong"), level)
    if not stamps:
        status: Status = "OK" if contents else "SKIPPED"
        return _Stamps(Check(status, f"{note}no SignatureTimeStamp (level B-B)"), level)
    value = _find(signature, "ds:SignatureValue")
    if value is None:
        return _Stamps(Check("ERROR", "no SignatureValue to timestamp"), level)
    try:
        times = [_stamp(stamp, value, pool, trust).gen_time for stamp in stamps]
    except UntrustedTimestamp as exc:
        return _Stamps(Check("SKIPPED", f"signature timestamp: {exc}, so the signing time is not proven "
                             f"(checked as at level B-B); {untrusted_tsa_hint(trust.options)}"), level)
    except tst.WeakTimestamp as exc:
        return _Stamps(Check("SKIPPED", f"signature timestamp: {exc}; {tst.SET_ASIDE}"), level)
    except (TimestampError, ValueError) as exc:
        return _Stamps(Check("ERROR", f"signature timestamp: {exc}"), level)
    first = min(times)
    if any(t > now + _CLOCK_SKEW for t in times):
        return _Stamps(Check("ERROR", f"signature timestamp at {_short(max(times))} is after the "
                             f"verification time {_short(now)}: the authority's clock is wrong"), level)
    if claimed is not None and first + _CLOCK_SKEW < claimed:
        return _Stamps(Check("ERROR", f"signature timestamp {_short(first)} is before the signed SigningTime "
                             f"{_short(claimed)}: the timestamp cannot be about this signature"), level)
    if any(t > first + _CLOCK_SKEW for t in contents):
        return _Stamps(Check("ERROR", "content timestamp is later than the signature timestamp"), level)
    at = ", ".join(t.isoformat() for t in times)
    trusted = _tsa_words(trust, len(contents) + len(times))
    reason = f"{note}{len(stamps)} signature timestamp(s) valid, at {at}; {trusted}"
    return _Stamps(Check("OK", reason), level, first)


def _tsa_words(trust: _StampTrust, count: int) -> str:
    """Why the *count* timestamps relied on are trusted."""
    said = "; ".join(dict.fromkeys(trust.qualified))
    if said and len(trust.qualified) < count:
        return f"{said}; each other TSA chains to a trust anchor"
    if said:
        return said
    return "each TSA chains to a trust anchor" if trust.anchors else \
        "TSA trust not established (no trust anchors given)"


def _elements_with_id(tree: etree._ElementTree, value: str) -> list[etree._Element]:
    """The elements a same-document reference ``#value`` may name, as libxmlsec1 resolves it in
    :func:`xades.core_verify`: by an ``Id`` attribute (registered there) or ``xml:id`` (an id for
    libxml2 itself). More than one is ambiguous: a wrapped copy could be what is digested."""
    return [e for e in tree.getroot().iter() if isinstance(e.tag, str)
            and value in (e.get("Id"), e.get(f"{_XML_NS}id"))]


def _digest_problem(tree: etree._ElementTree, signature: etree._Element,
                    reference: etree._Element) -> str | None:
    """Why a Reference's DigestValue is not the digest of what it names, recomputed here (the
    DigestMethod is one :func:`xades.check_signature` accepts)."""
    uri = reference.get("URI", "")
    target = None
    if uri:
        named = _elements_with_id(tree, uri[1:])
        if len(named) != 1:
            return f"Reference {uri!r} names {'no' if not named else 'more than one'} element of the document"
        target = named[0]
    method = _find(reference, "ds:DigestMethod")
    value = _find(reference, "ds:DigestValue")
    name = _DIGESTS[method.get("Algorithm", "")] if method is not None else "sha256"
    try:
        expected = base64.b64decode("".join((value.text or "").split()), validate=True) if value is not None \
            else b""
    except (ValueError, binascii.Error):
        expected = b""
    if hashlib.new(name, _reference_data(tree, signature, reference, target)).digest() != expected:
        return f"the digest of Reference {uri!r} does not match what it signs"
    return None


def _core_problem(tree: etree._ElementTree, signature: etree._Element, leaf: x509.Certificate) -> str | None:
    """Core validation: libxmlsec1's; for RSASSA-PSS, which its interface lacks, the same steps
    here after the same refusals: every reference digest, then the SignatureValue. None when
    valid, else the reason; raises RefusedSignature, for what cannot be checked here too."""
    method = _find(signature, "ds:SignedInfo/ds:SignatureMethod")
    if xades.rsa_pss(method) is None:
        return xades.core_verify(tree, signature, leaf)
    xades.check_signature(tree, signature)
    algorithm = method.get("Algorithm", "") if method is not None else ""
    try:
        problems = (_digest_problem(tree, signature, r) for r in _references(signature))
        problem = next(filter(None, problems), None)
    except _NotRecomputed as exc:
        raise xades.pss_unchecked(algorithm, str(exc)) from exc
    if problem:
        return problem
    valid = _signature_value_ok(signature, leaf)
    if valid is None:
        raise xades.pss_unchecked(algorithm, "its SignedInfo cannot be canonicalised here")
    return None if valid else "the RSASSA-PSS SignatureValue does not verify with the certificate's key"


def _failed_seal(signature: etree._Element, leaf: x509.Certificate, problem: str) -> Check:
    if _signature_value_ok(signature, leaf):
        return Check("ERROR", "the content was modified after sealing: the SignatureValue is intact but "
                     f"a reference digest does not match ({problem})")
    return Check("ERROR", f"the signature does not verify ({problem})")


@dataclass(frozen=True)
class _Trust:
    anchors: tuple[x509.Certificate, ...]
    require: bool
    at: datetime
    ends: list[x509.Certificate] = field(default_factory=list)  # the anchor the chain ends at


def _seal_check(tree: etree._ElementTree, signature: etree._Element, leaf: x509.Certificate,
                certs: list[x509.Certificate], trust: _Trust) -> Check:
    try:
        problem = _core_problem(tree, signature, leaf)
    except xades.RefusedSignature as exc:
        return Check("ERROR", str(exc))
    if problem is not None:
        return _failed_seal(signature, leaf, problem)
    if not _SIGNING_USAGES & set(key_usage_names(leaf)):
        return Check("ERROR", f"signature valid, but certificate '{_name(leaf)}' has no signing key usage "
                     "(digitalSignature or nonRepudiation): it cannot make a seal")
    purpose = seal_purpose_problem(leaf)
    if purpose:
        return Check("ERROR", f"signature valid, but {purpose}: it cannot make a seal")
    claim = qualification(leaf)
    if not trust.anchors:
        reason = f"signature and every reference digest valid ({claim}); trust not established (no trust " \
            "anchors given)"
        if trust.require:
            return Check("ERROR", reason + ": give the issuer's CA with --trust-anchor PEM")
        return Check("OK", reason)
    path, failure = build_chain(leaf, certs, trust.anchors, trust.at)
    if failure:
        return Check("ERROR", f"signature valid, but the certificate is not trusted: {failure}")
    trust.ends.append(path[-1])
    return Check("OK", f"signature valid ({claim}); certificate chains to a trust anchor")


def _certificate_check(leaf: x509.Certificate, matched: bool, digests: list[_CertRef],
                       unreadable: str | None) -> Check:
    if unreadable:
        return Check("ERROR", unreadable)
    if matched:
        problem = _issuer_serial_problem(digests, leaf)
        return Check("ERROR", problem) if problem else \
            Check("OK", "the signed certificate digest names the KeyInfo certificate")
    if digests:
        return Check("ERROR", "the signed SigningCertificate digest matches no certificate in KeyInfo that "
                     "could have made the seal (at most a CA certificate of its chain): the signed "
                     "properties do not name the seal certificate")
    return Check("ERROR", "no SigningCertificateV2 (or SigningCertificate) in the SignedProperties: the "
                 "signature does not protect which certificate made it, as XAdES baseline B-B requires "
                 "(ETSI EN 319 132-1, 6.3)")


def _signing_time_problem(text: str | None, now: datetime) -> str | None:
    """Why the signed SigningTime cannot be the time of sealing: absent (baseline B-B requires
    it), not a date-time, or later than now."""
    if text is None:
        return ("no signed SigningTime: XAdES baseline B-B requires the claimed signing time "
                "(ETSI EN 319 132-1, 6.3)")
    moment = _parse_time(text)
    if moment is None:
        return f"the signed SigningTime {text.strip()!r} is not a date-time"
    if moment > now + _CLOCK_SKEW:
        return f"the signed SigningTime {_short(moment)} is in the future (now {_short(now)})"
    return None


def _sealed_credential(root: etree._Element) -> etree._Element | None:
    """The credential under the seal: the root, or the one a (mandated) presentation holds."""
    credential = f"{{{xades.SNB}}}europassCredential"
    return root if root.tag == credential else root.find(credential)


def _credential_validity(credential: etree._Element, now: datetime) -> tuple[bool, str]:
    """``cred:validFrom`` / ``cred:issued`` reached and ``cred:validUntil`` not passed, as
    ``verify`` checks a JSON-LD credential."""
    dates: dict[str, datetime] = {}
    for name in ("validFrom", "issued", "validUntil"):
        element = credential.find(f"{{{_CRED}}}{name}")
        text = "".join(str(t) for t in element.itertext()).strip() if element is not None else ""
        moment = _parse_time(text)
        if text and moment is None:
            return False, f"cred:{name} {text!r} is not a date-time"
        if moment is not None:
            dates[name] = moment
    for name in ("validFrom", "issued"):
        if name in dates and dates[name] > now + _CLOCK_SKEW:
            return False, f"credential not valid before {_short(dates[name])} (cred:{name})"
    until = dates.get("validUntil")
    if until is None:
        return True, "credential has no validUntil"
    if until < now:
        return False, f"credential expired on {_short(until)} (cred:validUntil)"
    return True, f"credential valid until {_short(until)}"


def _expiry_check(leaf: x509.Certificate, proven: datetime | None, now: datetime,
                  credential: etree._Element | None) -> Check:
    """The credential's own validity dates now, and the seal certificate at the signing time a
    timestamp proves, else now."""
    dates = ""
    if credential is not None:
        good, dates = _credential_validity(credential, now)
        if not good:
            return Check("ERROR", dates)
        dates += "; "
    basis = f"at {_short(proven)}, the signing time the signature timestamp proves" if proven else \
        f"now ({_short(now)}); no valid timestamp proves an earlier signing time"
    problem = validity_problem(leaf, proven or now)
    if problem:
        return Check("ERROR", f"seal certificate {problem}: it is not valid {basis}")
    return Check("OK", f"{dates}seal certificate valid {basis}")


def _refusal(tree: etree._ElementTree, found: list[etree._Element]) -> str | None:
    """Why verification stops before any cryptography: no seal, the wrong shape, refused input."""
    if not found:
        return "the document has no ds:Signature: it is not sealed"
    problem = _placement_problem(tree, found)
    if problem:
        return problem
    try:
        xades.check_signature(tree, found[0])
    except xades.RefusedSignature as exc:
        return str(exc)
    return _reference_problem(found[0])


def verify_tree(tree: etree._ElementTree, source: str = "<document>",
                trust_anchors: tuple[x509.Certificate, ...] = (),
                at: datetime | None = None, *, require_trust: bool = False,
                credential_dates: bool = True, qualified_tsa: QualifiedTsa | None = None
                ) -> XadesVerification:
    """Verify the one enveloped XAdES signature of a parsed document; ``credential_dates`` False
    leaves the credential's own validity dates to a caller judging them on a date of its own."""
    result = XadesVerification(source)
    found = xades.signatures(tree)
    refusal = _refusal(tree, found)
    props = _signed_properties(found[0]) if refusal is None else None
    if refusal is not None or props is None:
        result.checks["SEAL"] = Check("ERROR", refusal or "no signed properties")
        return result
    signature = found[0]
    digests, unreadable = _cert_digests(props)
    leaf, certs, matched = _signing_cert(signature, digests)
    if leaf is None:
        result.checks["SEAL"] = Check("ERROR", "KeyInfo holds no readable X509Certificate")
        return result
    result.certificate = leaf
    claimed = _find(props, "xades:SignedSignatureProperties/xades:SigningTime")
    result.signing_time = claimed.text if claimed is not None else None
    now = at or datetime.now(UTC)
    stamp_trust = _StampTrust(VerifyOptions(trust_anchors=trust_anchors, qualified_tsa=qualified_tsa))
    stamps = _timestamps(tree, signature, props, certs, stamp_trust, _parse_time(result.signing_time), now)
    claim = _signing_time_problem(result.signing_time, now)
    trust = _Trust(trust_anchors, require_trust, stamps.proven or now)
    checks = {"SEAL": _seal_check(tree, signature, leaf, certs, trust),
              "CERTIFICATE": _certificate_check(leaf, matched, digests, unreadable),
              "TIMESTAMP": stamps.check,
              "EXPIRY": Check("ERROR", claim) if claim else
              _expiry_check(leaf, stamps.proven, now,
                            _sealed_credential(tree.getroot()) if credential_dates else None)}
    result.unsigned_content = _unsigned_content(signature, props)
    checks["SEAL"] = naming_unsigned(checks["SEAL"], result.unsigned_content)
    result.checks = {name: checks[name] for name in _CHECK_ORDER}
    result.level = stamps.level
    result.anchor = trust.ends[0] if trust.ends else None
    result.proven_time = stamps.proven
    return result


_JSON_HINT = "a JSON document, not XML: verify JAdES-sealed JSON-LD credentials with 'edcbridge verify'"


def _unreadable(source: str, head: bytes, exc: XmlInputError) -> XadesVerification:
    """SEAL ERROR for input that is not XML; JSON is pointed to the command that verifies it."""
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    reason = f"{source}: {_JSON_HINT}" if start in (b"{", b"[") else str(exc)
    return XadesVerification(source, {"SEAL": Check("ERROR", reason)},
                             unreadable=_what_is_unreadable(exc))


def _what_is_unreadable(exc: XmlInputError) -> str:
    return cut_short(exc.line) if isinstance(exc, IncompleteXml) else "not a readable XML document"


def verify_bytes(data: bytes, source: str = "<document>",
                 trust_anchors: tuple[x509.Certificate, ...] = (), *,
                 require_trust: bool = False, credential_dates: bool = True,
                 qualified_tsa: QualifiedTsa | None = None) -> XadesVerification:
    try:
        tree = parse_bytes(data, source=source)
    except XmlInputError as exc:
        return _unreadable(source, data[:64], exc)
    return verify_tree(tree, source, trust_anchors, require_trust=require_trust,
                       credential_dates=credential_dates, qualified_tsa=qualified_tsa)


def verify_file(path: Path, trust_anchors: tuple[x509.Certificate, ...] = (), *,
                require_trust: bool = False) -> XadesVerification:
    return verify_read(path, trust_anchors, require_trust=require_trust)[1]


def verify_read(path: Path, trust_anchors: tuple[x509.Certificate, ...] = (), *,
                require_trust: bool = False, qualified_tsa: QualifiedTsa | None = None
                ) -> tuple[bytes, XadesVerification]:
    """The file's bytes (its first bytes only when it was too large to read, none when it could
    not be read) and their verification: the file is read once, at most ``MAX_BYTES``."""
    source = str(path)
    try:
        data = read_bounded(path)
    except OSError as exc:
        return b"", XadesVerification(source, {"SEAL": Check("ERROR", f"{source}: cannot read the file "
                                                                      f"({exc.strerror})")},
                                      not_read=not_read_verdict(path, exc))
    except TooLarge as exc:
        return exc.head, XadesVerification(source, {"SEAL": Check(
            "ERROR", too_large_problem(source, exc))},
                                           not_read=not_read_verdict(path, exc))
    return data, verify_bytes(data, source, trust_anchors, require_trust=require_trust,
                              qualified_tsa=qualified_tsa)
