"""Verify enveloped XAdES seals on EDC XML (our own and the EC's DSS output).

Checks, each OK, ERROR or SKIPPED with a reason (as for JAdES):

* SEAL: core validation by libxmlsec1 (every reference digest, then the SignatureValue over
  SignedInfo). When it fails, the SignatureValue is checked on its own so the reason can say
  whether the content was edited after sealing (signature intact, digest mismatch) or the
  signature itself is broken. With trust anchors, the certificate must chain to one of them.
* CERTIFICATE: the signed ``SigningCertificateV2`` (or ``SigningCertificate``) digest names the
  certificate in ``KeyInfo``.
* TIMESTAMP: every ``SignatureTimeStamp`` is a valid RFC 3161 token over the canonicalised
  ``ds:SignatureValue`` (SKIPPED at level B-B).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree

from edcbridge.seal import tst
from edcbridge.seal.certs import build_chain
from edcbridge.seal.errors import TimestampError
from edcbridge.seal.verify import Check
from edcbridge.xml import xades
from edcbridge.xml.safe import XmlInputError, parse_bytes, parse_file

XADES_141 = "http://uri.etsi.org/01903/v1.4.1#"
_DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
_SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": hashes.SHA256,
}
_C14N = {
    "http://www.w3.org/2001/10/xml-exc-c14n#": (True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": (True, True),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": (False, False),
}


@dataclass
class XadesVerification:
    source: str
    checks: dict[str, Check] = field(default_factory=dict)
    certificate: x509.Certificate | None = None
    signing_time: str | None = None
    level: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status != "ERROR" for c in self.checks.values())

    def as_dict(self) -> dict[str, object]:
        subject = self.certificate.subject.rfc4514_string() if self.certificate else None
        return {"source": self.source, "ok": self.ok, "level": self.level, "signing_time": self.signing_time,
                "certificate": subject, "checks": {k: c.as_dict() for k, c in self.checks.items()}}


def _load_cert(text: str) -> x509.Certificate | None:
    try:
        der = base64.b64decode("".join(text.split()))
        with warnings.catch_warnings():  # e.g. the negative serial of an EC test certificate
            warnings.simplefilter("ignore")
            return x509.load_der_x509_certificate(der)
    except (ValueError, binascii.Error):
        return None


def _find(element: etree._Element, path: str) -> etree._Element | None:
    return element.find(path, {"ds": xades.DS, "xades": xades.XADES, "xades141": XADES_141})


def _findall(element: etree._Element, path: str) -> list[etree._Element]:
    return element.findall(path, {"ds": xades.DS, "xades": xades.XADES, "xades141": XADES_141})


def _cert_digests(signature: etree._Element) -> list[tuple[str, bytes]]:
    found = []
    for cert in _findall(signature, ".//xades:SigningCertificateV2/xades:Cert") + \
            _findall(signature, ".//xades:SigningCertificate/xades:Cert"):
        method = _find(cert, "xades:CertDigest/ds:DigestMethod")
        value = _find(cert, "xades:CertDigest/ds:DigestValue")
        if method is not None and value is not None and value.text:
            algorithm = _DIGESTS.get(method.get("Algorithm", ""))
            if algorithm:
                found.append((algorithm, base64.b64decode(value.text)))
    return found


def _signing_cert(signature: etree._Element) -> tuple[x509.Certificate | None, list[x509.Certificate], bool]:
    """(leaf, all KeyInfo certificates, whether a signed certificate digest matched the leaf)."""
    elements = _findall(signature, "ds:KeyInfo//ds:X509Certificate")
    certs = [c for c in (_load_cert(e.text or "") for e in elements) if c is not None]
    digests = _cert_digests(signature)
    for cert in certs:
        der = cert.public_bytes(serialization.Encoding.DER)
        if any(hashlib.new(alg, der).digest() == value for alg, value in digests):
            return cert, certs, True
    issuers = {c.issuer for c in certs}
    leaves = [c for c in certs if c.subject not in issuers] or certs
    return (leaves[0] if leaves else None), certs, False


def _signature_value_ok(signature: etree._Element, cert: x509.Certificate) -> bool | None:
    """Check the SignatureValue over SignedInfo alone (None when the algorithms are unknown)."""
    signed_info = _find(signature, "ds:SignedInfo")
    value = _find(signature, "ds:SignatureValue")
    c14n = _find(signature, "ds:SignedInfo/ds:CanonicalizationMethod")
    method = _find(signature, "ds:SignedInfo/ds:SignatureMethod")
    if signed_info is None or value is None or c14n is None or method is None:
        return None
    c14n_mode = _C14N.get(c14n.get("Algorithm", ""))
    hash_type = _SIGNATURE_HASHES.get(method.get("Algorithm", ""))
    if c14n_mode is None or hash_type is None:
        return None
    data = etree.tostring(signed_info, method="c14n", exclusive=c14n_mode[0], with_comments=c14n_mode[1])
    raw = base64.b64decode("".join((value.text or "").split()))
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, data, padding.PKCS1v15(), hash_type())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

            half = len(raw) // 2
            der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
            key.verify(der, data, ec.ECDSA(hash_type()))
        else:
            return None
    except InvalidSignature:
        return False
    return True


def _timestamps(signature: etree._Element, pool: list[x509.Certificate]) -> tuple[Check, str]:
    stamps = _findall(signature, ".//xades:UnsignedSignatureProperties/xades:SignatureTimeStamp")
    if not stamps:
        return Check("SKIPPED", "no SignatureTimeStamp (level B-B)"), "B-B"
    value = _find(signature, "ds:SignatureValue")
    if value is None:
        return Check("ERROR", "no SignatureValue to timestamp"), "B-T"
    times = []
    for stamp in stamps:
        method = _find(stamp, "ds:CanonicalizationMethod")
        mode = _C14N.get(method.get("Algorithm", "") if method is not None else
                         "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", (False, False))
        data = etree.tostring(value, method="c14n", exclusive=mode[0], with_comments=mode[1])
        encapsulated = _find(stamp, "xades:EncapsulatedTimeStamp")
        try:
            token = base64.b64decode("".join((encapsulated.text or "").split())) if encapsulated is not None \
                else b""
            algorithm = tst.imprint_algorithm(token)
            stamp_ok = tst.verify_token(token, hashlib.new(algorithm, data).digest(), tuple(pool))
        except (TimestampError, ValueError, binascii.Error) as exc:
            return Check("ERROR", f"signature timestamp: {exc}"), "B-T"
        times.append(stamp_ok.gen_time.isoformat())
    return Check("OK", f"{len(stamps)} signature timestamp(s) valid, at {', '.join(times)}"), "B-T"


def verify_tree(tree: etree._ElementTree, source: str = "<document>",
                trust_anchors: tuple[x509.Certificate, ...] = (),
                at: datetime | None = None) -> XadesVerification:
    """Verify the (first) enveloped XAdES signature of a parsed document."""
    result = XadesVerification(source)
    found = xades.signatures(tree)
    if not found:
        result.checks["SEAL"] = Check("ERROR", "the document has no ds:Signature: it is not sealed")
        return result
    signature = found[0]
    leaf, certs, digest_matched = _signing_cert(signature)
    if leaf is None:
        result.checks["SEAL"] = Check("ERROR", "KeyInfo holds no readable X509Certificate")
        return result
    result.certificate = leaf
    signing_time = _find(signature, ".//xades:SigningTime")
    result.signing_time = signing_time.text if signing_time is not None else None
    problem = xades.core_verify(tree, signature, leaf)
    if problem is None:
        seal = Check("OK", "signature and every reference digest valid")
    else:
        intact = _signature_value_ok(signature, leaf)
        if intact:
            seal = Check("ERROR", "the content was modified after sealing: the SignatureValue is intact but "
                         f"a reference digest does not match ({problem})")
        else:
            seal = Check("ERROR", f"the signature does not verify ({problem})")
    if seal.status == "OK" and trust_anchors:
        moment = at or datetime.now(UTC)
        _, reason = build_chain(leaf, certs, trust_anchors, moment)
        if reason:
            seal = Check("ERROR", f"signature valid, but the certificate is not trusted: {reason}")
        else:
            seal = Check("OK", "signature valid; certificate chains to a trust anchor")
    elif seal.status == "OK":
        seal = Check("OK", seal.reason + "; trust not established (no trust anchors given)")
    result.checks["SEAL"] = seal
    if digest_matched:
        result.checks["CERTIFICATE"] = Check("OK", "the signed certificate digest names the KeyInfo "
                                             "certificate")
    elif _cert_digests(signature):
        result.checks["CERTIFICATE"] = Check("ERROR", "the signed SigningCertificate digest matches no "
                                             "certificate in KeyInfo")
    else:
        result.checks["CERTIFICATE"] = Check("SKIPPED", "no SigningCertificate(V2) property (plain XML-DSig)")
    result.checks["TIMESTAMP"], result.level = _timestamps(signature, certs)
    return result


def verify_bytes(data: bytes, source: str = "<document>",
                 trust_anchors: tuple[x509.Certificate, ...] = ()) -> XadesVerification:
    try:
        tree = parse_bytes(data, source=source)
    except XmlInputError as exc:
        return XadesVerification(source, {"SEAL": Check("ERROR", str(exc))})
    return verify_tree(tree, source, trust_anchors)


def verify_file(path: Path, trust_anchors: tuple[x509.Certificate, ...] = ()) -> XadesVerification:
    try:
        tree = parse_file(path)
    except XmlInputError as exc:
        return XadesVerification(str(path), {"SEAL": Check("ERROR", str(exc))})
    return verify_tree(tree, str(path), trust_anchors)
