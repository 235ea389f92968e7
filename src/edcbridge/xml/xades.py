"""Enveloped XAdES seals for EDC XML with libxmlsec1 (python-xmlsec): the only module using it.

The seal has the shape of the EC's sealed credentials (ETSI EN 319 132-1 baseline):

* ``ds:Signature`` is the last child of the credential's ``<proof>``;
* exclusive canonicalisation, RSA-SHA256 (for an EC key ECDSA with SHA-256, -384 or -512
  after its curve), SHA-256 digests;
* reference 1 is the whole document (``URI=""``) with the enveloped-signature transform, which
  libxmlsec1 and the EU DSS both accept; reference 2 is the signed properties;
* ``KeyInfo`` holds the seal certificate and its intermediates (not the root);
* signed properties: ``SigningTime``, ``SigningCertificateV2`` (SHA-512 certificate digest and
  ``IssuerSerialV2``) and ``DataObjectFormat`` (``text/xml``);
* B-T adds an RFC 3161 ``SignatureTimeStamp`` over the exclusive-c14n ``ds:SignatureValue``,
  from the same timestamp client as the JAdES seal.

Verification runs libxmlsec1 on untrusted input, so :func:`check_signature` first refuses what
it would otherwise do: follow a reference to a file or URL (or a FIFO, which hangs), run XSLT
or free XPath (hours of CPU), use SHA-1 or HMAC, or resolve an id two elements share; and the
context enables only the canonicalisation, enveloped and XPath-filter transforms and SHA-2.
The libxmlsec1 interface has no RSASSA-PSS: :func:`rsa_pss` reads its parameters, and
``edcbridge.xml.verify`` checks such a seal with ``cryptography`` instead (after the same
refusals).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from lxml import etree

from edcbridge.seal.certs import issuer_serial
from edcbridge.seal.errors import SealError
from edcbridge.seal.keys import SealKey
from edcbridge.seal.tsa import TsaClient
from edcbridge.xml.safe import parse_bytes

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
SNB = "http://data.europa.eu/snb"
VP = "http://data.europa.eu/snb/vp"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"


class Level(StrEnum):
    B_B = "B-B"
    B_T = "B-T"


class XadesError(SealError):
    """The document cannot be sealed, or libxmlsec1 failed."""


def _x(name: str) -> str:
    return f"{{{XADES}}}{name}"


def _ds(name: str) -> str:
    return f"{{{DS}}}{name}"


def proof_of(root: etree._Element) -> etree._Element:
    """The ``<proof>`` element that receives the signature (credential or presentation)."""
    for candidate in (root.find(f"{{{SNB}}}proof"), root.find(f"{{{VP}}}proof")):
        if candidate is not None:
            return candidate
    raise XadesError("the document has no <proof> element to hold the seal; export it with "
                     "edcbridge (which writes an empty <proof/>) or add one before sealing")


@dataclass(frozen=True)
class XadesSealer:
    """A seal key loaded once per run, turned into libxmlsec1 form once."""

    seal: SealKey
    tsa: TsaClient | None = None

    @property
    def level(self) -> Level:
        return Level.B_T if self.tsa is not None else Level.B_B

    def _xmlsec_key(self) -> xmlsec.Key:
        pem = self.seal.private_key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption())
        key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem, None)
        key.load_cert_from_memory(self.seal.certificate.public_bytes(serialization.Encoding.PEM),
                                  xmlsec.constants.KeyDataFormatCertPem)
        return key

    def seal_tree(self, tree: etree._ElementTree, *, signing_time: datetime | None = None) -> None:
        """Seal the document in place."""
        self.sign_tree(tree, signing_time=signing_time)
        self.timestamp_tree(tree)

    def sign_tree(self, tree: etree._ElementTree, *, signing_time: datetime | None = None) -> None:
        """The first half of :meth:`seal_tree`: the signature, without its timestamp (which a
        batch asks for several documents at once)."""
        root = tree.getroot()
        proof = proof_of(root)
        if proof.find(_ds("Signature")) is not None:
            raise XadesError("the document is already sealed; seal the unsigned export instead")
        moment = (signing_time or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        token = secrets.token_hex(16)
        sig_id, props_id, ref_id = f"id-{token}", f"xades-id-{token}", f"r-id-{token}-1"
        method = _signature_method(self.seal.private_key)
        signature = xmlsec.template.create(root, xmlsec.constants.TransformExclC14N, method,
                                           id=sig_id, ns="ds")
        proof.append(signature)
        whole = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri="",
                                              id=ref_id)
        xmlsec.template.add_transform(whole, xmlsec.constants.TransformEnveloped)
        xmlsec.template.add_transform(whole, xmlsec.constants.TransformExclC14N)
        props_ref = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256,
                                                  uri=f"#{props_id}", type=SIGNED_PROPERTIES_TYPE)
        xmlsec.template.add_transform(props_ref, xmlsec.constants.TransformExclC14N)
        _key_info(signature, self.seal)
        signed = _qualifying_properties(signature, sig_id, props_id, ref_id, self.seal.certificate, moment)

        context = xmlsec.SignatureContext()
        context.register_id(signed, "Id")
        context.key = self._xmlsec_key()
        try:
            context.sign(signature)
        except xmlsec.Error as exc:
            raise XadesError(f"libxmlsec1 could not sign: {exc}") from exc
        # Nodes libxmlsec1 created are not interned in lxml's name dictionary, so lxml's find()
        # can miss them; swap in a re-parsed copy (same canonical form) to keep the tree usable.
        fresh = parse_bytes(etree.tostring(signature), source="signature").getroot()
        proof.replace(signature, fresh)

    def timestamp_tree(self, tree: etree._ElementTree) -> None:
        """The second half of :meth:`seal_tree`: the signature's timestamp, when sealing at B-T
        (a round trip to the timestamp authority; nothing else in the document is touched)."""
        if self.tsa is None:
            return
        signature = proof_of(tree.getroot()).find(_ds("Signature"))
        if signature is None:
            raise XadesError("the document has no signature to timestamp; sign it first")
        _add_signature_timestamp(signature, self.tsa)

    def seal_bytes(self, data: bytes, *, signing_time: datetime | None = None) -> bytes:
        """Seal a serialised credential (parsed with the safe parser)."""
        tree = parse_bytes(data, source="credential to seal")
        self.seal_tree(tree, signing_time=signing_time)
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _key_info(signature: etree._Element, seal: SealKey) -> None:
    """The seal certificate, then its intermediates: without them a verifier that trusts only the
    root CA (xmlsec1 ``--trusted-pem``, ``verify-xml --trust-anchor``) cannot build the chain."""
    x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    for cert in (seal.certificate, *seal.intermediates):
        etree.SubElement(x509_data, _ds("X509Certificate")).text = base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def _qualifying_properties(signature: etree._Element, sig_id: str, props_id: str, ref_id: str,
                           cert: x509.Certificate, moment: datetime) -> etree._Element:
    obj = etree.SubElement(signature, _ds("Object"))
    qualifying = etree.SubElement(obj, _x("QualifyingProperties"), {"Target": f"#{sig_id}"},
                                  nsmap={"xades": XADES})
    signed = etree.SubElement(qualifying, _x("SignedProperties"), {"Id": props_id})
    signature_props = etree.SubElement(signed, _x("SignedSignatureProperties"))
    etree.SubElement(signature_props, _x("SigningTime")).text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    v2 = etree.SubElement(signature_props, _x("SigningCertificateV2"))
    cert_node = etree.SubElement(v2, _x("Cert"))
    digest = etree.SubElement(cert_node, _x("CertDigest"))
    etree.SubElement(digest, _ds("DigestMethod"), {"Algorithm": SHA512})
    der = cert.public_bytes(serialization.Encoding.DER)
    etree.SubElement(digest, _ds("DigestValue")).text = base64.b64encode(hashlib.sha512(der).digest()).decode(
        "ascii")
    etree.SubElement(cert_node, _x("IssuerSerialV2")).text = base64.b64encode(issuer_serial(cert)).decode()
    data_props = etree.SubElement(signed, _x("SignedDataObjectProperties"))
    data_format = etree.SubElement(data_props, _x("DataObjectFormat"), {"ObjectReference": f"#{ref_id}"})
    etree.SubElement(data_format, _x("MimeType")).text = "text/xml"
    return signed


def c14n_exclusive(element: etree._Element) -> bytes:
    """Exclusive canonical form of one element (the input of XAdES timestamps)."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _add_signature_timestamp(signature: etree._Element, tsa: TsaClient) -> None:
    value = signature.find(_ds("SignatureValue"))
    qualifying = signature.find(f"{_ds('Object')}/{_x('QualifyingProperties')}")
    if value is None or qualifying is None:
        raise XadesError("signature has no SignatureValue or QualifyingProperties after signing")
    stamp = tsa.timestamp(c14n_exclusive(value))
    unsigned = etree.SubElement(qualifying, _x("UnsignedProperties"))
    props = etree.SubElement(unsigned, _x("UnsignedSignatureProperties"))
    timestamp = etree.SubElement(props, _x("SignatureTimeStamp"), {"Id": f"TS-{secrets.token_hex(16)}"})
    etree.SubElement(timestamp, _ds("CanonicalizationMethod"), {"Algorithm": EXC_C14N})
    etree.SubElement(timestamp, _x("EncapsulatedTimeStamp")).text = base64.b64encode(stamp.token).decode()


# --- verification primitives (policy and reporting live in edcbridge.xml.verify) ---

XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XPATH_FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"
def _signature_method(key: object) -> Any:
    """RSA-SHA256, or ECDSA with the hash of the curve's strength (SHA-256 for P-256, SHA-384
    for P-384, SHA-512 for P-521), as JAdES ES256/ES384/ES512 pair them."""
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return xmlsec.constants.TransformRsaSha256
    return {384: xmlsec.constants.TransformEcdsaSha384,
            521: xmlsec.constants.TransformEcdsaSha512}.get(key.curve.key_size,
                                                           xmlsec.constants.TransformEcdsaSha256)


_C = xmlsec.constants
_C14N_METHODS = (_C.TransformExclC14N, _C.TransformExclC14NWithComments, _C.TransformInclC14N,
                 _C.TransformInclC14NWithComments, _C.TransformInclC14N11, _C.TransformInclC14N11WithComments)
_REFERENCE_TRANSFORMS = {t.href: t for t in (*_C14N_METHODS, _C.TransformEnveloped, _C.TransformXPath,
                                             _C.TransformXPath2)}
_DIGEST_METHODS = {t.href: t for t in (_C.TransformSha224, _C.TransformSha256, _C.TransformSha384,
                                       _C.TransformSha512)}
_SIGNATURE_METHODS = {t.href: t for t in (_C.TransformRsaSha224, _C.TransformRsaSha256, _C.TransformRsaSha384,
                                          _C.TransformRsaSha512, _C.TransformEcdsaSha224,
                                          _C.TransformEcdsaSha256, _C.TransformEcdsaSha384,
                                          _C.TransformEcdsaSha512)}
_C14N_HREFS = {t.href: t for t in _C14N_METHODS}
# RSASSA-PSS as RFC 6931 and RFC 9231 name it (sha256-rsa-MGF1, sha3-256-rsa-MGF1, rsa-pss ...)
_RSA_PSS = re.compile(r"http://www\.w3\.org/2007/05/xmldsig-more#\S*rsa-MGF1$|#rsa-pss", re.IGNORECASE)
_WEAK_SIGNATURE = re.compile(r"(sha1|md5|ripemd160)(-rsa-MGF1)?$|#hmac-", re.IGNORECASE)
MORE_2007 = "http://www.w3.org/2007/05/xmldsig-more#"
RSA_PSS_WITH_PARAMETERS = f"{MORE_2007}rsa-pss"
_MGF1 = f"{MORE_2007}MGF1"
_PSS_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
    "sha3-224": hashes.SHA3_224, "sha3-256": hashes.SHA3_256, "sha3-384": hashes.SHA3_384,
    "sha3-512": hashes.SHA3_512}
# RFC 6931 2.3.11: RSASSA-PSS without parameters (MGF1 with the same hash, a salt as long as it)
_PSS_METHODS = {f"{MORE_2007}{name}-rsa-MGF1": digest for name, digest in _PSS_HASHES.items()}
# the DigestMethods an RSAPSSParams may name (RFC 6931 2.3.10)
_PSS_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    _C.TransformSha224.href: hashes.SHA224, _C.TransformSha256.href: hashes.SHA256,
    _C.TransformSha384.href: hashes.SHA384, _C.TransformSha512.href: hashes.SHA512,
    **{f"{MORE_2007}{name}": _PSS_HASHES[name] for name in ("sha3-224", "sha3-256", "sha3-384", "sha3-512")}}
UNCHECKED = "cannot be checked here"
"""What the reason of a seal that may be sound but whose algorithm is not checked here says (the
verdict is then CHECK, not INVALID: EN 319 102-1 would say INDETERMINATE)."""
# The only XPath expressions accepted: the ones that remove the signature (EU DSS, EDCI 1.x).
_XPATH_ENVELOPED = "not(ancestor-or-self::ds:Signature)"
_XPATH2_SUBTRACT = "/descendant::ds:Signature"
_SAME_DOCUMENT = re.compile(r"#[A-Za-z_][A-Za-z0-9_.-]*")
MAX_REFERENCES = 8
MAX_TRANSFORMS = 4
MAX_XPATH_NODES = 25_000
"""Most nodes an XPath 1.0 transform may filter: libxmlsec1 builds the node set of every element,
attribute, text and in-scope namespace, in time that grows with its square (30,000 empty elements,
a 120 kB file, take a minute). The EC's XPath-sealed samples have under 11,000."""
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


class RefusedSignature(XadesError):
    """The signature asks for what edcbridge never does for untrusted input: reading files or
    URLs, running XSLT or free XPath, weak or unknown algorithms, ambiguous ids."""


def signatures(tree: etree._ElementTree) -> list[etree._Element]:
    return list(tree.getroot().iter(_ds("Signature")))


def _id_nodes(tree: etree._ElementTree) -> Iterator[etree._Element]:
    for element in tree.getroot().iter():
        if isinstance(element.tag, str) and element.get("Id") is not None:
            yield element


def _duplicate_id(tree: etree._ElementTree) -> str | None:
    """An id two elements share (``Id`` or ``xml:id``): a reference to it would be ambiguous."""
    seen: set[str] = set()
    for element in tree.getroot().iter():
        if not isinstance(element.tag, str):
            continue
        for value in {element.get("Id"), element.get(_XML_ID)} - {None}:
            if value in seen:
                return value
            seen.add(str(value))
    return None


def _xpath_problem(transform: etree._Element, algorithm: str) -> str | None:
    """None when the XPath transform is exactly one that removes the signature."""
    if algorithm == XPATH:
        paths, expected, kind = transform.findall(_ds("XPath")), _XPATH_ENVELOPED, None
    else:
        paths, expected, kind = transform.findall(f"{{{XPATH_FILTER2}}}XPath"), _XPATH2_SUBTRACT, "subtract"
    if len(paths) == 1 and " ".join((paths[0].text or "").split()) == expected \
            and paths[0].nsmap.get("ds") == DS and paths[0].get("Filter") == kind:
        return None
    return (f"an XPath transform other than {expected!r} is refused (free XPath can select part of "
            "the document or run for hours)")


def _transform_problem(transform: etree._Element) -> str | None:
    algorithm = transform.get("Algorithm", "")
    if algorithm not in _REFERENCE_TRANSFORMS:
        return (f"transform {algorithm!r} is refused; a seal may use only enveloped-signature, "
                "canonicalisation and the XPath filters that remove the signature")
    if algorithm in (XPATH, XPATH_FILTER2):
        return _xpath_problem(transform, algorithm)
    return None


def _reference_problem(reference: etree._Element) -> str | None:
    uri = reference.get("URI")
    if uri is None or (uri != "" and not _SAME_DOCUMENT.fullmatch(uri)):
        return (f"Reference URI {uri!r} is refused: a seal may reference only the document itself "
                '(URI="" or "#id"), never a file or URL')
    digest = reference.find(_ds("DigestMethod"))
    algorithm = digest.get("Algorithm", "") if digest is not None else ""
    if algorithm not in _DIGEST_METHODS:
        return f"DigestMethod {algorithm!r} is refused; use SHA-224, SHA-256, SHA-384 or SHA-512"
    transforms = reference.findall(f"{_ds('Transforms')}/{_ds('Transform')}")
    if len(transforms) > MAX_TRANSFORMS:
        return f"{len(transforms)} transforms in one reference are refused (at most {MAX_TRANSFORMS})"
    return next(filter(None, map(_transform_problem, transforms)), None)


def _weak(algorithm: str) -> str:
    return (f"SignatureMethod {algorithm!r} is refused: SHA-1, MD5 and RIPEMD-160 no longer protect "
            "a seal, and an HMAC is no seal; the issuer must seal again with RSA or ECDSA and SHA-2")


def _signature_method_problem(algorithm: str) -> str:
    """Why a SignatureMethod outside :data:`_SIGNATURE_METHODS` and RSASSA-PSS is refused, in terms
    of who must act."""
    if _WEAK_SIGNATURE.search(algorithm):
        return _weak(algorithm)
    return (f"SignatureMethod {algorithm!r} is not supported: a seal is checked only with RSA "
            "(PKCS#1 v1.5 or RSASSA-PSS) or ECDSA and SHA-2")


def pss_unchecked(algorithm: str, what: str) -> RefusedSignature:
    """The refusal of an RSASSA-PSS seal *what* keeps from being checked here; it may be sound."""
    return RefusedSignature(f"SignatureMethod {algorithm!r} (RSASSA-PSS) {UNCHECKED}: {what}, so this seal "
                            "may be sound; check it with another XAdES validator such as the EU DSS "
                            "demonstration")


def _pss_digest(algorithm: str, element: etree._Element | None,
                default: hashes.HashAlgorithm) -> hashes.HashAlgorithm:
    """The hash a ds:DigestMethod in RSAPSSParams names (*default* without one)."""
    if element is None:
        return default
    uri = element.get("Algorithm", "")
    if uri in _PSS_DIGESTS:
        return _PSS_DIGESTS[uri]()
    if _WEAK_SIGNATURE.search(uri):
        raise RefusedSignature(_weak(f"{algorithm} with {uri}"))
    raise pss_unchecked(algorithm, f"its DigestMethod {uri!r} is not SHA-2 or SHA-3")


def _pss_number(algorithm: str, params: etree._Element, name: str, default: int) -> int:
    element = params.find(f"{{{MORE_2007}}}{name}")
    text = (element.text or "").strip() if element is not None else str(default)
    if not text.isdigit() or len(text) > 4:
        raise RefusedSignature(f"SignatureMethod {algorithm!r}: RSAPSSParams {name} {text!r} is not a "
                               "whole number; the signature cannot be read")
    return int(text)


def _pss(digest: hashes.HashAlgorithm, mgf: hashes.HashAlgorithm | None = None,
         salt: int | None = None) -> tuple[hashes.HashAlgorithm, padding.PSS]:
    """RSASSA-PSS with MGF1 (by default with *digest*) and a salt as long as *digest* by default."""
    return digest, padding.PSS(padding.MGF1(mgf or digest), digest.digest_size if salt is None else salt)


def _pss_with_parameters(algorithm: str, params: etree._Element) -> tuple[hashes.HashAlgorithm, padding.PSS]:
    """RFC 6931 2.3.10: RSAPSSParams, each part defaulting as the JDK and Santuario read it:
    SHA-256, MGF1 with the DigestMethod's hash, a salt as long as that hash, trailer field 1."""
    digest = _pss_digest(algorithm, params.find(_ds("DigestMethod")), hashes.SHA256())
    mgf = params.find(f"{{{MORE_2007}}}MaskGenerationFunction")
    if mgf is not None and mgf.get("Algorithm", _MGF1) != _MGF1:
        raise pss_unchecked(algorithm, f"its mask generation function {mgf.get('Algorithm')!r} is not MGF1")
    mgf_digest = _pss_digest(algorithm, mgf.find(_ds("DigestMethod")), digest) if mgf is not None else digest
    if _pss_number(algorithm, params, "TrailerField", 1) != 1:
        raise pss_unchecked(algorithm, "its TrailerField is not 1 (0xBC), the only one PKCS #1 defines")
    return _pss(digest, mgf_digest, _pss_number(algorithm, params, "SaltLength", digest.digest_size))


def rsa_pss(method: etree._Element | None) -> tuple[hashes.HashAlgorithm, padding.PSS] | None:
    """The hash and padding of an RSASSA-PSS ds:SignatureMethod, None for another method; raises
    :class:`RefusedSignature` for a weak hash, or for parameters not checked here (whose reason
    says :data:`UNCHECKED`)."""
    algorithm = method.get("Algorithm", "") if method is not None else ""
    if algorithm in _PSS_METHODS:
        return _pss(_PSS_METHODS[algorithm]())
    params = method.find(f"{{{MORE_2007}}}RSAPSSParams") if method is not None else None
    if algorithm == RSA_PSS_WITH_PARAMETERS:
        return _pss_with_parameters(algorithm, params) if params is not None else _pss(hashes.SHA256())
    if _RSA_PSS.search(algorithm) and not _WEAK_SIGNATURE.search(algorithm):
        raise pss_unchecked(algorithm, "its hash is not SHA-2 or SHA-3")
    return None


def _signed_info_problem(signed_info: etree._Element) -> str | None:
    method = signed_info.find(_ds("SignatureMethod"))
    algorithm = method.get("Algorithm", "") if method is not None else ""
    if algorithm not in _SIGNATURE_METHODS:
        try:
            if rsa_pss(method) is None:
                return _signature_method_problem(algorithm)
        except RefusedSignature as exc:
            return str(exc)
    c14n = signed_info.find(_ds("CanonicalizationMethod"))
    if (c14n.get("Algorithm", "") if c14n is not None else "") not in _C14N_HREFS:
        return "the SignedInfo CanonicalizationMethod is not a W3C canonicalisation; it is refused"
    references = signed_info.findall(_ds("Reference"))
    if len(references) > MAX_REFERENCES:
        return f"{len(references)} references are refused (a seal has 2, at most {MAX_REFERENCES} accepted)"
    return next(filter(None, map(_reference_problem, references)), None)


def _xpath_node_count(tree: etree._ElementTree, limit: int) -> int:
    """The nodes an XPath 1.0 transform walks (each element with its attributes, in-scope
    namespaces and text), counted until *limit* is passed."""
    count = 0
    for element in tree.getroot().iter():
        count += 2 + (len(element.attrib) + len(element.nsmap) if isinstance(element.tag, str) else 0)
        if count > limit:
            break
    return count


def _xpath_size_problem(tree: etree._ElementTree, signed_info: etree._Element) -> str | None:
    """Why the document is too large for the signature's XPath 1.0 transform, or None."""
    if signed_info.find(f"{_ds('Reference')}/{_ds('Transforms')}/{_ds('Transform')}[@Algorithm='{XPATH}']") \
            is None:
        return None
    if _xpath_node_count(tree, MAX_XPATH_NODES) <= MAX_XPATH_NODES:
        return None
    return (f"the XPath transform is refused on a document of more than {MAX_XPATH_NODES:,} nodes: "
            "libxmlsec1 would take minutes over it; a seal with the enveloped-signature transform "
            "has no such limit")


def check_signature(tree: etree._ElementTree, signature: etree._Element) -> None:
    """Refuse, before libxmlsec1 sees it, a signature that could read files or URLs, hang, burn
    CPU or run XSLT, or whose ids are ambiguous (raises :class:`RefusedSignature`)."""
    signed_info = signature.find(_ds("SignedInfo"))
    if signed_info is None:
        raise RefusedSignature("the ds:Signature has no SignedInfo: there is nothing to verify")
    problem = _signed_info_problem(signed_info)
    if problem is not None:
        raise RefusedSignature(problem)
    if signature.find(f".//{_ds('Manifest')}") is not None:  # libxmlsec1 follows its references too
        raise RefusedSignature("a ds:Manifest is refused: its references would be followed, and a seal "
                               "on a credential never needs one")
    duplicate = _duplicate_id(tree)
    if duplicate is not None:
        raise RefusedSignature(f"the Id {duplicate!r} is on two elements: what the seal signs is ambiguous")
    problem = _xpath_size_problem(tree, signed_info)
    if problem is not None:
        raise RefusedSignature(problem)


def _verification_context() -> xmlsec.SignatureContext:
    """A context that runs only the whitelisted transforms and algorithms."""
    context = xmlsec.SignatureContext()
    for transform in (*_REFERENCE_TRANSFORMS.values(), *_DIGEST_METHODS.values()):
        context.enable_reference_transform(transform)
    for transform in (*_C14N_HREFS.values(), *_SIGNATURE_METHODS.values()):
        context.enable_signature_transform(transform)
    return context


def core_verify(tree: etree._ElementTree, signature: etree._Element, cert: x509.Certificate) -> str | None:
    """libxmlsec1 core validation (every reference digest and the SignatureValue) with *cert*'s key;
    not for RSASSA-PSS (:func:`rsa_pss`), which the libxmlsec1 interface lacks.

    Returns None when valid, else libxmlsec1's reason; raises :class:`RefusedSignature` for a
    signature :func:`check_signature` refuses. Only ``Id`` attributes are registered as XML ids
    (the XAdES signed properties), as ``xmlsec1 --id-attr:Id`` does.
    """
    check_signature(tree, signature)
    context = _verification_context()
    try:
        for element in _id_nodes(tree):
            context.register_id(element, "Id")
        context.key = xmlsec.Key.from_memory(cert.public_bytes(serialization.Encoding.DER),
                                             xmlsec.constants.KeyDataFormatCertDer, None)
        context.verify(signature)
    except xmlsec.Error as exc:  # VerificationError is a subclass
        return str(exc) or type(exc).__name__
    return None
