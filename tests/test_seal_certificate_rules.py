"""RFC 5280 rules on the certificates of a JAdES seal, each with openssl's verdict beside ours:
path length, key usage of CAs, critical extensions, the seal certificate's purpose, the scope
of an embedded CRL; and a seal JSON whose member names repeat, or whose kid is not a string."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from edcbridge.seal import jades
from edcbridge.seal.verify import VerifyOptions, verify_document

NOW = dt.datetime.now(dt.UTC)
PAYLOAD = json.dumps({"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "urn:x:1",
                      "type": ["VerifiableCredential"], "issuer": {"id": "urn:x:issuer"},
                      "issuanceDate": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "urn:x:s"}})
UNKNOWN = x509.ObjectIdentifier("1.3.6.1.4.1.99999.1")


def _usage(ca: bool, **change: bool) -> x509.KeyUsage:
    flags = dict(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                 data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                 encipher_only=False, decipher_only=False)
    return x509.KeyUsage(**{**flags, **change})


class Cert:
    """A key and its certificate, issued by ``issuer`` (itself when None)."""

    def __init__(self, name: str, issuer: Cert | None = None, *, ca: bool = False, pathlen: int | None = None,
                 usage: x509.KeyUsage | None = None, purposes: list[x509.ObjectIdentifier] | None = None,
                 critical_unknown: bool = False, org: str = "Test Org",
                 constraints: x509.NameConstraints | None = None, emails: tuple[str, ...] = ()) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (x509.CertificateBuilder().subject_name(subject)
                   .issuer_name(issuer.cert.subject if issuer else subject)
                   .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), critical=True)
                   .add_extension(usage or _usage(ca), critical=True))
        if purposes:
            builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
        if critical_unknown:
            builder = builder.add_extension(x509.UnrecognizedExtension(UNKNOWN, b"\x05\x00"), critical=True)
        if constraints:
            builder = builder.add_extension(constraints, critical=True)
        if emails:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name(e) for e in emails]), critical=False)
        self.cert = builder.sign((issuer or self).key, hashes.SHA256())

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _sealed(leaf: Cert, chain: list[Cert], crls: tuple[x509.CertificateRevocationList, ...] = (),
            **header: Any) -> bytes:
    protected = {**jades.protected_header(leaf.cert, tuple(c.cert for c in chain), "ES256",
                                          NOW - dt.timedelta(minutes=1)), **header}
    protected_b64 = jades.b64url(json.dumps(protected, separators=(",", ":")).encode())
    signature: dict[str, Any] = {"protected": protected_b64, "signature": jades.b64url(
        jades.sign(leaf.key, "ES256", jades.signing_input(protected_b64, PAYLOAD)))}
    if crls:
        values = [{"val": base64.b64encode(crl.public_bytes(serialization.Encoding.DER)).decode()}
                  for crl in crls]
        signature["header"] = {"etsiU": [jades.etsiu_entry({"rVals": {"crlVals": values}})]}
    return json.dumps({"payload": PAYLOAD, "signatures": [signature]}).encode()


def _seal_check(data: bytes, root: Cert) -> tuple[str, str]:
    check = verify_document(data, VerifyOptions(trust_anchors=(root.cert,))).checks["SEAL"]
    return check.status, check.reason


def _openssl_accepts(tmp_path: Path, root: Cert, leaf: Cert, chain: list[Cert]) -> bool:
    (tmp_path / "root.pem").write_bytes(root.pem())
    (tmp_path / "chain.pem").write_bytes(b"".join(c.pem() for c in chain) or root.pem())
    (tmp_path / "leaf.pem").write_bytes(leaf.pem())
    run = subprocess.run(["openssl", "verify", "-purpose", "smimesign", "-CAfile", str(tmp_path / "root.pem"),
                          "-untrusted", str(tmp_path / "chain.pem"), str(tmp_path / "leaf.pem")],
                         capture_output=True, text=True, check=False)
    return run.returncode == 0


def _cases() -> dict[str, tuple[Cert, Cert, list[Cert], str | None]]:
    """name -> (root, leaf, intermediates, a words of our refusal or None when valid)."""
    root = Cert("Root", ca=True)
    ca = Cert("Issuing CA", root, ca=True, pathlen=0)
    rogue = Cert("Rogue CA", ca, ca=True)
    no_sign = Cert("CA without keyCertSign", root, ca=True, usage=_usage(True, key_cert_sign=False))
    odd_ca = Cert("CA with an odd critical extension", root, ca=True, critical_unknown=True)
    good_uni = x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Good Uni")]))
    scoped = Cert("University CA", root, ca=True, org="Good Uni",
                  constraints=x509.NameConstraints([good_uni, x509.RFC822Name("good.example")], None))
    barred = Cert("Sector CA", root, ca=True, org="Sector",
                  constraints=x509.NameConstraints(None, [good_uni]))
    return {
        "seal inside the CA's name constraints": (
            root, Cert("Seal", scoped, org="Good Uni", emails=("registry@good.example",)), [scoped], None),
        "seal of another organisation than the CA's name constraints permit": (
            root, Cert("Seal", scoped, org="Bad Uni"), [scoped], "name constraints"),
        "seal e-mail outside the CA's name constraints": (
            root, Cert("Seal", scoped, org="Good Uni", emails=("registry@bad.example",)), [scoped],
            "name constraints"),
        "seal in a subtree the CA excludes": (root, Cert("Seal", barred, org="Good Uni"), [barred],
                                              "excludes"),
        "good": (root, Cert("Seal", ca), [ca], None),
        "path length exceeded": (root, Cert("Seal", rogue), [rogue, ca], "pathLenConstraint"),
        "CA may not sign certificates": (root, Cert("Seal", no_sign), [no_sign], "lacks keyCertSign"),
        "CA with an unknown critical extension": (root, Cert("Seal", odd_ca), [odd_ca], "critical extension"),
        "seal with an unknown critical extension": (root, Cert("Seal", ca, critical_unknown=True), [ca],
                                                    "critical extension"),
        "TLS server certificate": (root, Cert("Seal", ca, purposes=[ExtendedKeyUsageOID.SERVER_AUTH]), [ca],
                                   "serverAuth"),
        "document signing purpose": (root, Cert("Seal", ca, purposes=[
            ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]), [ca], None),
    }


CASES = _cases()


@pytest.mark.parametrize("case", list(CASES))
def test_certificate_rules_agree_with_openssl(case: str, tmp_path: Path) -> None:
    root, leaf, chain, refusal = CASES[case]
    status, reason = _seal_check(_sealed(leaf, chain), root)
    assert (status == "OK") == (refusal is None), reason
    if refusal is not None:
        assert refusal in reason
    assert _openssl_accepts(tmp_path, root, leaf, chain) == (refusal is None)


def test_a_repeated_payload_member_is_refused() -> None:
    """RFC 7493 2.3: readers that keep the first member would show another payload."""
    root, leaf, chain, _ = CASES["good"]
    genuine = json.loads(_sealed(leaf, chain))
    text = json.dumps(genuine)
    forged = '{"payload": ' + json.dumps(PAYLOAD.replace("urn:x:s", "urn:x:forged")) + ", " + text[1:]
    status, reason = _seal_check(forged.encode(), root)
    assert status == "ERROR" and "'payload' appears twice" in reason
    assert _seal_check(text.encode(), root)[0] == "OK"


def test_a_kid_that_is_not_a_string_is_refused() -> None:
    root, leaf, chain, _ = CASES["good"]
    status, reason = _seal_check(_sealed(leaf, chain, kid=12345), root)
    assert status == "ERROR" and "kid must be a string" in reason


def _crl(issuer: Cert, *extensions: tuple[x509.ExtensionType, bool]) -> x509.CertificateRevocationList:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
               .last_update(NOW - dt.timedelta(hours=1)).next_update(NOW + dt.timedelta(days=1))
               .add_extension(x509.CRLNumber(1), critical=False))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer.key, hashes.SHA256())


def _point(**scope: Any) -> x509.IssuingDistributionPoint:
    flags = dict(full_name=None, relative_name=None, only_contains_user_certs=False,
                 only_contains_ca_certs=False, only_some_reasons=None, indirect_crl=False,
                 only_contains_attribute_certs=False)
    return x509.IssuingDistributionPoint(**{**flags, **scope})


CRL_SCOPES = {
    "delta CRL": ((x509.DeltaCRLIndicator(1), True), "delta CRL"),
    "unknown critical extension": ((x509.UnrecognizedExtension(UNKNOWN, b"\x05\x00"), True),
                                   "critical extension"),
    "CA certificates only": ((_point(only_contains_ca_certs=True), True), "another kind of certificate"),
    "some reasons only": ((_point(only_some_reasons=frozenset({x509.ReasonFlags.key_compromise})), True),
                          "only some revocation reasons"),
    "another partition": (
        (_point(full_name=[x509.UniformResourceIdentifier("http://crl.test/p2.crl")]), True), "partition"),
}


@pytest.mark.parametrize("scope", list(CRL_SCOPES))
def test_a_crl_that_does_not_cover_the_certificate_shows_nothing(scope: str) -> None:
    """RFC 5280 5.2, 5.2.4, 6.3.3: a CRL without an entry for the certificate shows it unrevoked
    only if it is a complete CRL whose scope holds it, and is otherwise ignored, saying why."""
    root = Cert("Root", ca=True)
    leaf = Cert("Seal", root)
    extension, words = CRL_SCOPES[scope]
    options = VerifyOptions(trust_anchors=(root.cert,))
    complete = verify_document(_sealed(leaf, [], (_crl(root),)), options).checks["REVOCATION"]
    assert complete.status == "OK", complete.reason
    check = verify_document(_sealed(leaf, [], (_crl(root, extension),)), options).checks["REVOCATION"]
    assert check.status != "OK" and words in check.reason, check.reason
