"""Helpers shared by the XML tests: fixture awards, what each format carries of a record, and
XAdES seals made by the ``xmlsec1`` command-line tool."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from edcbridge import vocab
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import languages_of, valid_until
from edcbridge.model import Award, Catalogue, Organisation, Specification
from edcbridge.xml import edc12
from edcbridge.xml.edc12 import xml_languages


def fixture_awards(sets: list[tuple[Path, list[Path]]]) -> list[tuple[str, Award, Catalogue]]:
    found = []
    for catalogue_path, award_files in sets:
        catalogue = load_catalogue(catalogue_path)
        for path in award_files:
            for row in iter_awards(path, catalogue):
                assert row.award is not None, row.errors
                found.append((catalogue_path.parent.name, row.award, catalogue))
    return found


def _texts(text: dict[str, str] | None, languages: list[str]) -> dict[str, str] | None:
    if not text:
        return None
    return {k: v for k, v in text.items() if k in languages} or dict(text)


def _one(name: dict[str, str] | None, primary: str) -> dict[str, str] | None:
    if not name:
        return None
    lang = primary if primary in name else next(iter(name))
    return {lang: name[lang]}


def _org(org: Organisation, languages: list[str]) -> dict[str, Any]:
    view = org.model_dump(mode="json", exclude={"key"})
    for field in ("legal_name", "alt_label", "address"):
        view[field] = _texts(getattr(org, field), languages)
    return view


def _spec(spec: Specification, catalogue: Catalogue, languages: list[str], fmt: str) -> dict[str, Any]:
    def t(text: dict[str, str] | None) -> dict[str, str] | None:
        return _texts(text, languages)

    view: dict[str, Any] = {
        "title": t(spec.title), "description": t(spec.description),
        "opportunity_type": spec.opportunity_type, "eqf": spec.eqf, "nqf": spec.nqf, "isced_f": spec.isced_f,
        "credits": spec.credits, "credit_system": spec.credit_system, "hours": spec.hours,
        "max_duration_months": spec.max_duration_months, "mode": spec.mode,
        "learning_setting": spec.learning_setting, "languages": spec.languages,
        "outcomes": [(t(o.title), tuple(map(str, o.esco_skills))) for o in spec.learning_outcomes],
        "prerequisites": t(spec.prerequisites), "further_information": t(spec.further_information),
        "homepage": str(spec.homepage) if spec.homepage else None, "credential_type": spec.credential_type,
        "partial": spec.kind == "micro-credential" or bool(spec.part_of),
        "part_of": len(spec.part_of), "has_part": len(spec.has_part),
        "qa": [{**catalogue.qa(k).model_dump(mode="json", exclude={"key", "agency", "title", "decision"}),
                "title": t(catalogue.qa(k).title), "decision": t(catalogue.qa(k).decision),
                "agency": _org(catalogue.organisation(catalogue.qa(k).agency), languages)}
               for k in spec.quality_assurance],
    }
    a = spec.assessment
    view["assessment"] = None if a is None else {
        "title": t(a.title), "type": a.type, "mode": a.mode, "grading_scheme": t(a.grading_scheme),
        "supervision": a.supervision}
    if fmt == "json":
        view["learning_outcome_summary"] = t(spec.learning_outcome_summary)
    else:
        view["code"] = spec.code
        view["part_of_codes"] = spec.part_of
        view["has_part_codes"] = spec.has_part
    return view


def carried(award: Award, catalogue: Catalogue, fmt: str) -> dict[str, Any]:
    """What the JSON-LD ("json") or XML 1.2 ("xml") credential carries of an award and its catalogue.

    Applied to the original records and to the imported ones, the two views must be equal.
    """
    spec = catalogue.specification(award.specification)
    assert spec is not None
    if fmt == "json":
        primary, languages = languages_of(award, spec, catalogue)
    else:
        primary, languages = xml_languages(award, spec, catalogue)
    learner = award.learner
    given, family = _one(learner.given_name, primary), _one(learner.family_name, primary)
    full = _one(learner.full_name, primary)
    if full is None and given and family and next(iter(given)) == next(iter(family)):
        full = {next(iter(given)): f"{next(iter(given.values()))} {next(iter(family.values()))}"}
    if award.grade:
        # 1.2 grades are one string without a language: read back in the primary language
        grade = _texts(award.grade, languages) if fmt == "json" else \
            {primary: next(iter((_one(award.grade, primary) or {}).values()))}
    else:
        grade = None
    issuer = catalogue.organisation(award.issuer or catalogue.issuer)
    body = catalogue.organisation(spec.awarding_body or award.issuer or catalogue.issuer)
    return {
        "award_id": award.award_id, "awarding_date": award.awarding_date, "issued": award.issued_at(),
        "valid_until": award.valid_until or valid_until(award, spec),
        "language": vocab.concept("language", award.language or catalogue.primary_language).code,
        "learner": {**learner.model_dump(exclude={"given_name", "family_name", "full_name"}),
                    "given_name": given, "family_name": family, "full_name": full},
        "grade": grade,
        "issuer": _org(issuer, languages), "awarding_body": _org(body, languages),
        "specification": _spec(spec, catalogue, languages, fmt),
    }


# --- XAdES seals made by xmlsec1 itself, as another tool would make them ---

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
XMLSEC1_ID_ATTR = ("--id-attr:Id", f"{XADES}:SignedProperties")


@dataclass(frozen=True)
class SealShape:
    """The algorithms and layout of a XAdES seal template for ``xmlsec1 --sign``."""

    signature_method: str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    c14n: str = EXC_C14N
    digest: str = SHA256
    prefix: str | None = "ds"
    cert_digest: str = "sha256"
    properties_transforms: tuple[str, ...] = (EXC_C14N,)


_DIGEST_URIS = {"sha1": "http://www.w3.org/2000/09/xmldsig#sha1", "sha256": SHA256,
                "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
                "sha512": "http://www.w3.org/2001/04/xmlenc#sha512"}


def _ds(parent: etree._Element | None, name: str, prefix: str | None, **attributes: str) -> etree._Element:
    if parent is None:
        return etree.Element(f"{{{DS}}}{name}", attributes, nsmap={prefix: DS})
    return etree.SubElement(parent, f"{{{DS}}}{name}", attributes)


def _reference(signed_info: etree._Element, shape: SealShape, uri: str, transforms: tuple[str, ...],
               **attributes: str) -> None:
    reference = _ds(signed_info, "Reference", shape.prefix, URI=uri, **attributes)
    listed = _ds(reference, "Transforms", shape.prefix)
    for algorithm in transforms:
        _ds(listed, "Transform", shape.prefix, Algorithm=algorithm)
    _ds(reference, "DigestMethod", shape.prefix, Algorithm=shape.digest)
    _ds(reference, "DigestValue", shape.prefix)


def _signed_properties(signature: etree._Element, shape: SealShape, cert_der: bytes) -> None:
    qualifying = etree.SubElement(_ds(signature, "Object", shape.prefix), f"{{{XADES}}}QualifyingProperties",
                                  {"Target": "#sig-1"}, nsmap={"xades": XADES})
    signed = etree.SubElement(qualifying, f"{{{XADES}}}SignedProperties", {"Id": "props-1"})
    properties = etree.SubElement(signed, f"{{{XADES}}}SignedSignatureProperties")
    etree.SubElement(properties, f"{{{XADES}}}SigningTime").text = \
        datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = etree.SubElement(etree.SubElement(etree.SubElement(
        properties, f"{{{XADES}}}SigningCertificateV2"), f"{{{XADES}}}Cert"), f"{{{XADES}}}CertDigest")
    _ds(digest, "DigestMethod", shape.prefix, Algorithm=_DIGEST_URIS[shape.cert_digest])
    _ds(digest, "DigestValue", shape.prefix).text = base64.b64encode(
        hashlib.new(shape.cert_digest, cert_der).digest()).decode("ascii")


def seal_template(credential: bytes, shape: SealShape, certificates: list[x509.Certificate],
                  named: x509.Certificate | None = None) -> bytes:
    """*credential* with an unsigned XAdES seal template as the last element of its <proof>,
    *certificates* in KeyInfo, the SigningCertificateV2 naming *named* (else the first)."""
    tree = etree.fromstring(credential).getroottree()
    signature = _ds(None, "Signature", shape.prefix, Id="sig-1")
    signed_info = _ds(signature, "SignedInfo", shape.prefix)
    _ds(signed_info, "CanonicalizationMethod", shape.prefix, Algorithm=shape.c14n)
    _ds(signed_info, "SignatureMethod", shape.prefix, Algorithm=shape.signature_method)
    _reference(signed_info, shape, "", (ENVELOPED, shape.c14n), Id="ref-doc")
    _reference(signed_info, shape, "#props-1", shape.properties_transforms,
               Type="http://uri.etsi.org/01903#SignedProperties")
    _ds(signature, "SignatureValue", shape.prefix)
    x509_data = _ds(_ds(signature, "KeyInfo", shape.prefix), "X509Data", shape.prefix)
    for cert in certificates:
        _ds(x509_data, "X509Certificate", shape.prefix).text = base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)).decode("ascii")
    _signed_properties(signature, shape, (named or certificates[0]).public_bytes(serialization.Encoding.DER))
    proof = tree.getroot().find("{http://data.europa.eu/snb}proof")
    assert proof is not None
    proof.append(signature)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def xmlsec1_sign(template: bytes, key: Any, cert: x509.Certificate, folder: Path, xmlsec1: str) -> bytes:
    """The template signed by the ``xmlsec1`` command-line tool with *key* (unencrypted PEM)."""
    (folder / "template.xml").write_bytes(template)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    command = [xmlsec1, "--sign", *XMLSEC1_ID_ATTR, "--privkey-pem",
               f"{folder / 'key.pem'},{folder / 'cert.pem'}", "--output", str(folder / "signed.xml"),
               str(folder / "template.xml")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return (folder / "signed.xml").read_bytes()


def xmlsec1_verifies(data: bytes, root: x509.Certificate, folder: Path, xmlsec1: str) -> bool:
    """``xmlsec1 --verify`` with *root* as the only trusted certificate."""
    (folder / "check.xml").write_bytes(data)
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    command = [xmlsec1, "--verify", *XMLSEC1_ID_ATTR, "--trusted-pem", str(folder / "root.pem"),
               str(folder / "check.xml")]
    return subprocess.run(command, capture_output=True, timeout=60).returncode == 0


C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"


def imperial_edc_xml(sets: list[tuple[Path, list[Path]]]) -> bytes:
    """The first imperial fixture award as unsealed EDC XML 1.2."""
    _, award, catalogue = next(item for item in fixture_awards(sets) if item[0] == "imperial")
    return edc12.serialise(edc12.to_edc_xml(award, catalogue))
