"""What the seal certificate's QC statements claim (EN 319 412-5) is reported, and a certificate
typed for another purpose than seals (QcType esign or web) cannot make one: the EC's issuer
accepts advanced or qualified e-seals only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from edcbridge.seal import devpki, jades, keys
from edcbridge.seal.certs import QC_TYPE_ESEAL, QC_TYPE_ESIGN, QC_TYPE_WEB
from edcbridge.seal.errors import CertificateError
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.verify import VerifyOptions, verify_document
from edcbridge.xml.verify import verify_bytes
from edcbridge.xml.xades import XadesSealer

NOW = datetime.now(UTC).replace(microsecond=0)
PAYLOAD = '{"id": "urn:credential:qc", "type": ["VerifiableCredential"]}'
XML = (b'<?xml version="1.0" encoding="UTF-8"?><europassCredential xmlns="http://data.europa.eu/snb">'
       b"<title>qc</title><proof/></europassCredential>")


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=30))


def _seal_key(pki: devpki.DevPki, types: tuple[str, ...] | None) -> keys.SealKey:
    """A seal key under the test root; QC statements with *types* (None: no QC statements)."""
    key = rsa.generate_private_key(65537, 2048)
    signing = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EDCBRIDGE TEST QC"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "EDCBRIDGE TEST"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "BE")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(pki.root.certificate.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(signing, critical=True))
    if types is not None:
        builder = builder.add_extension(devpki.qc_statements(types), critical=False)
    return keys.SealKey(key, builder.sign(pki.root.key, hashes.SHA256()))


def _jades_seal(seal: keys.SealKey) -> tuple[str, str]:
    header = jades.protected_header(seal.certificate, (), "RS256", NOW)
    protected = jades.b64url(jades.encode_json(header).encode())
    signature = jades.b64url(jades.sign(seal.private_key, "RS256", jades.signing_input(protected, PAYLOAD)))
    data = json.dumps({"payload": PAYLOAD, "signatures": [{"protected": protected, "signature": signature}]})
    check = verify_document(data.encode(), VerifyOptions(at=NOW)).checks["SEAL"]
    return check.status, check.reason


def _xades_seal(seal: keys.SealKey) -> tuple[str, str]:
    check = verify_bytes(XadesSealer(seal).seal_bytes(XML), "qc.xml").checks["SEAL"]
    return check.status, check.reason


CLAIMS = {
    "eseal": ((QC_TYPE_ESEAL,), "claims a qualified e-seal certificate: QcCompliance, QcType eseal"),
    "no QcType": ((), "claims a qualified certificate, without QcType eseal"),
    "no QC statements": (None, "not a qualified certificate: no QcCompliance statement"),
}


@pytest.mark.parametrize("case", list(CLAIMS))
def test_the_qualification_claim_is_reported(pki: devpki.DevPki, case: str) -> None:
    types, claim = CLAIMS[case]
    seal = _seal_key(pki, types)
    for status, reason in (_jades_seal(seal), _xades_seal(seal)):
        assert status == "OK" and claim in reason, reason


@pytest.mark.parametrize(("types", "named"), [((QC_TYPE_ESIGN,), "esign"), ((QC_TYPE_WEB,), "web")])
def test_a_certificate_typed_for_another_purpose_cannot_seal(pki: devpki.DevPki, types: tuple[str, ...],
                                                             named: str) -> None:
    seal = _seal_key(pki, types)
    expected = f"is a certificate for {named} (QcType, EN 319 412-5), not for electronic seals"
    for status, reason in (_jades_seal(seal), _xades_seal(seal)):
        assert status == "ERROR" and expected in reason, reason
    with pytest.raises(CertificateError, match="not for electronic seals"):
        Sealer(seal, clock=lambda: NOW)
