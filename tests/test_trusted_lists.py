"""verify --trusted-list with a national trusted list given as a file: its qualified CA services
granted for e-seals at the signing time are trust anchors, named with their country; a list whose
signature does not hold with --tl-signer, or that declares entities, is refused."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from edcbridge.badges import open_badge, sign_vc_jwt
from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from edcbridge.seal.sealer import Sealer
from edcbridge.trust.trusted_list import TrustedListError, check_signature, read_trusted_list
from edcbridge.xml.cli import verify_xml_command
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool, seal_commands
from tests.preview_support import first_award
from tests.trusted_list_files import GRANTED, WITHDRAWN, Service, new_signer, sign, trusted_list

NOW = datetime.now(UTC).replace(microsecond=0)
PAYLOAD = '{"id": "urn:credential:tl", "type": ["VerifiableCredential"]}'
XML = (b'<?xml version="1.0" encoding="UTF-8"?><europassCredential xmlns="http://data.europa.eu/snb">'
       b"<title>tl</title><proof/></europassCredential>")


def _seal_files(pki: devpki.DevPki, folder: Path, name: str) -> dict[str, Path]:
    """A JAdES-sealed JSON credential, a XAdES-sealed XML one, sealed now by the PKI's seal, and
    an Open Badge VC-JWT signed with its key (the certificates in the header's jwk x5c)."""
    key = SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    jades, xades, badge = folder / f"{name}.jsonld", folder / f"{name}.xml", folder / f"{name}.jwt"
    jades.write_text(Sealer(key, fetch_revocation=False, clock=lambda: NOW).seal(PAYLOAD), encoding="utf-8")
    xades.write_bytes(XadesSealer(key).seal_bytes(XML, signing_time=NOW))
    badge.write_text(sign_vc_jwt(open_badge(*first_award("sofia")), key) + "\n", encoding="ascii")
    return {"jades": jades, "xades": xades, "badge": badge}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """BE lists a granted CA/QC for e-seals; FR lists one withdrawn 60 days ago."""
    folder = tmp_path_factory.mktemp("tl")
    be, fr = devpki.generate(now=NOW - timedelta(days=30)), devpki.generate(now=NOW - timedelta(days=30))
    signer = new_signer("EDCBRIDGE TEST TL signer")
    since = NOW - timedelta(days=400)
    services = [Service("EDCBRIDGE TEST qualified CA", be.root.certificate, [(GRANTED, since)]),
                Service("EDCBRIDGE TEST former CA", fr.root.certificate,
                        [(WITHDRAWN, NOW - timedelta(days=60)), (GRANTED, since)])]
    signed = sign(trusted_list("BE", services), signer, folder)
    (folder / "tl.xml").write_bytes(signed)
    _, pinned = signer.write(folder, "pinned")
    other = folder / "other-ca.pem"
    other.write_bytes(devpki.generate().root.certificate.public_bytes(serialization.Encoding.PEM))
    return {"folder": folder, "tl": folder / "tl.xml", "signer": pinned, "other": other,
            "be": _seal_files(be, folder, "be"), "fr": _seal_files(fr, folder, "fr")}


def _verify(*args: str | Path) -> Result:
    return CliRunner().invoke(seal_commands(), ["verify", "--json", *map(str, args)])


def _report(result: Result) -> dict[str, object]:
    reports = json.loads(result.stdout)
    assert len(reports) == 1
    report: dict[str, object] = reports[0]
    return report


@pytest.mark.parametrize("kind", ["jades", "xades"])
def test_a_seal_under_a_granted_qualified_ca_is_valid_and_named(world: dict, kind: str) -> None:
    result = _verify(world["be"][kind], "--trusted-list", world["tl"], "--tl-signer", world["signer"])
    assert result.exit_code == 0, result.output
    report = _report(result)
    assert report["verdict"] == "VALID"
    line = report["checks"]["TRUSTLIST"]
    assert line["status"] == "OK"
    assert "'EDCBRIDGE TEST qualified CA'" in line["reason"] and "trusted list of BE" in line["reason"]
    assert "qualified e-seal" in line["reason"]
    assert "trusted lists not checked" not in report["checks"]["SEAL"]["reason"]
    facts = report["trusted_list"]
    assert facts["country"] == "BE" and facts["service"] == "EDCBRIDGE TEST qualified CA"
    assert facts["qualified"] is True and facts["status"] == GRANTED


@pytest.mark.parametrize("kind", ["jades", "xades"])
def test_a_service_withdrawn_before_the_signing_time_confirms_nothing(world: dict, kind: str) -> None:
    listed = _verify(world["fr"][kind], "--trusted-list", world["tl"], "--tl-signer", world["signer"])
    unknown = _verify(world["fr"][kind], "--trust-anchor", world["other"])
    report = _report(listed)
    assert report["verdict"] != "VALID"
    assert report["verdict"] == _report(unknown)["verdict"]
    assert listed.exit_code == unknown.exit_code == 1
    line = report["checks"]["TRUSTLIST"]
    assert line["status"] == "ERROR" and "withdrawn since" in line["reason"]
    assert "trusted_list" not in report


def test_a_seal_outside_the_lists_is_judged_as_with_an_unknown_anchor(world: dict,
                                                                      tmp_path: Path) -> None:
    outsider = _seal_files(devpki.generate(), tmp_path, "outsider")["jades"]
    listed = _report(_verify(outsider, "--trusted-list", world["tl"], "--tl-signer", world["signer"]))
    unknown = _report(_verify(outsider, "--trust-anchor", world["other"]))
    assert listed["verdict"] == unknown["verdict"] != "VALID"
    assert listed["checks"]["TRUSTLIST"]["status"] == "SKIPPED"


def test_a_list_without_tl_signer_gives_no_valid_verdict(world: dict) -> None:
    result = _verify(world["be"]["jades"], "--trusted-list", world["tl"])
    report = _report(result)
    assert report["verdict"] == "UNCONFIRMED" and "TRUSTLIST" not in report["checks"]
    assert "trusted lists not checked" in report["checks"]["SEAL"]["reason"]
    assert "not authenticated" in result.stderr and "--tl-signer" in result.stderr


def test_a_changed_list_is_refused(world: dict, tmp_path: Path) -> None:
    changed = tmp_path / "changed.xml"
    changed.write_bytes(world["tl"].read_bytes().replace(b"TEST former CA", b"TEST better CA"))
    result = _verify(world["be"]["jades"], "--trusted-list", changed, "--tl-signer", world["signer"])
    assert result.exit_code == 2
    assert "the trusted list is refused" in result.stderr and "changed after signing" in result.stderr


def test_a_list_signed_by_another_key_is_refused(world: dict) -> None:
    _, stranger = new_signer("EDCBRIDGE TEST stranger").write(world["folder"], "stranger")
    result = _verify(world["be"]["jades"], "--trusted-list", world["tl"], "--tl-signer", stranger)
    assert result.exit_code == 2 and "the trusted list is refused" in result.stderr


def test_a_list_with_an_external_entity_is_refused(world: dict, tmp_path: Path) -> None:
    hostile = tmp_path / "xxe.xml"
    body = world["tl"].read_bytes().split(b"?>", 1)[1].replace(b"EDCBRIDGE TEST former CA", b"&secret;", 1)
    hostile.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tsl [<!ENTITY secret SYSTEM '
                        b'"file:///etc/passwd">]>' + body)
    result = _verify(world["be"]["jades"], "--trusted-list", hostile, "--tl-signer", world["signer"])
    assert result.exit_code == 2 and "DOCTYPE" in result.stderr and "refused" in result.stderr


def test_xmlsec1_verifies_the_lists_signature(world: dict, tmp_path: Path) -> None:
    tool = need_tool("xmlsec1")
    good = subprocess.run([tool, "--verify", "--trusted-pem", str(world["signer"]), str(world["tl"])],
                          capture_output=True)
    changed = tmp_path / "changed.xml"
    changed.write_bytes(world["tl"].read_bytes().replace(b"TEST former", b"TEST better"))
    bad = subprocess.run([tool, "--verify", "--trusted-pem", str(world["signer"]), str(changed)],
                         capture_output=True)
    assert good.returncode == 0, good.stderr
    assert bad.returncode != 0


def test_the_status_in_force_is_the_latest_started(world: dict) -> None:
    former = read_trusted_list(world["tl"].read_bytes(), "tl.xml").services[1]
    assert former.granted_at(NOW - timedelta(days=100))
    assert not former.granted_at(NOW)
    assert not former.granted_at(NOW - timedelta(days=500))  # before it was listed


def test_fetch_revocation_with_a_trusted_list_is_not_said_to_lack_an_anchor(world: dict) -> None:
    result = _verify(world["be"]["jades"], "--trusted-list", world["tl"], "--tl-signer", world["signer"],
                     "--fetch-revocation")
    assert _report(result)["verdict"] == "VALID"
    assert "checks online only seals that chain to a --trust-anchor" not in result.stderr


def _under_intermediate(pki: devpki.DevPki, folder: Path) -> Path:
    """A JAdES seal by a certificate of an intermediate CA that *pki*'s root issued."""
    key = devpki.new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EDCBRIDGE TEST intermediate CA"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(pki.root.certificate.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=30)).not_valid_after(NOW + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                pki.root.key.public_key()), critical=False)
            .sign(pki.root.key, hashes.SHA256()))
    intermediate = devpki.Issued(key, cert)
    seal = devpki.issue_seal_certificate(intermediate, organisation="EDCBRIDGE TEST Org",
                                         organisation_identifier="VATFR-123", country="FR",
                                         not_before=NOW - timedelta(days=30),
                                         not_after=NOW + timedelta(days=300))
    sealed = folder / "under-intermediate.jsonld"
    sealed.write_text(Sealer(SealKey(seal.key, seal.certificate, (cert, pki.root.certificate)),
                             fetch_revocation=False, clock=lambda: NOW).seal(PAYLOAD), encoding="utf-8")
    return sealed


def test_a_withdrawn_ca_higher_on_the_chain_is_named(world: dict, tmp_path: Path) -> None:
    fr = devpki.generate(now=NOW - timedelta(days=30))
    signer = new_signer("EDCBRIDGE TEST TL signer FR")
    history = [(WITHDRAWN, NOW - timedelta(days=60)), (GRANTED, NOW - timedelta(days=400))]
    listed = tmp_path / "fr.xml"
    listed.write_bytes(sign(trusted_list("FR", [Service("EDCBRIDGE TEST withdrawn root", fr.root.certificate,
                                                        history)]), signer, tmp_path))
    _, pinned = signer.write(tmp_path, "pinned")
    result = _verify(_under_intermediate(fr, tmp_path), "--trusted-list", listed, "--tl-signer", pinned)
    report = _report(result)
    assert report["verdict"] == "INVALID" and result.exit_code == 1
    line = report["checks"]["TRUSTLIST"]
    assert line["status"] == "ERROR"
    assert "'EDCBRIDGE TEST withdrawn root' on the trusted list of FR" in line["reason"]
    assert "withdrawn since" in line["reason"]


@pytest.mark.parametrize("prefix", ["http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/",
                                    "http://uri.etsi.org/TrstSvc/Svcstatus/"])
def test_a_ca_set_by_national_law_makes_no_seal_qualified_and_is_said_to(
        world: dict, tmp_path: Path, prefix: str) -> None:
    """setbynationallaw (TS 119 612, before eIDAS) is the status of a national root set by national
    law, which lists now write recognisedatnationallevel: a national approval, never a granted
    qualified status, so no anchor for e-seals; the line says what the status means."""
    fr = devpki.generate(now=NOW - timedelta(days=30))
    signer = new_signer("EDCBRIDGE TEST TL signer FR")
    history = [(f"{prefix}setbynationallaw", NOW - timedelta(days=400))]
    listed = tmp_path / "fr.xml"
    listed.write_bytes(sign(trusted_list("FR", [Service("EDCBRIDGE TEST national root", fr.root.certificate,
                                                        history)]), signer, tmp_path))
    assert not read_trusted_list(listed.read_bytes(), "fr").services[0].granted_at(NOW)
    _, pinned = signer.write(tmp_path, "pinned")
    seal = _seal_files(fr, tmp_path, "sealed")["jades"]
    report = _report(_verify(seal, "--trusted-list", listed, "--tl-signer", pinned))
    line = report["checks"]["TRUSTLIST"]
    assert line["status"] == "ERROR" and "trusted_list" not in report, report
    assert "'EDCBRIDGE TEST national root' on the trusted list of FR" in line["reason"]
    assert "setbynationallaw (set by national law before eIDAS: a national approval, not a qualified " \
        "status) since" in line["reason"]


@pytest.mark.parametrize(("country", "status"), [("be", "OK"), ("fr", "ERROR")])
def test_verify_xml_gives_the_trustlist_line_verify_gives(world: dict, country: str, status: str) -> None:
    args = [str(world[country]["xades"]), "--trusted-list", str(world["tl"]), "--tl-signer",
            str(world["signer"])]
    xml = CliRunner().invoke(verify_xml_command, ["--json", *args])
    report = _report(xml)
    assert report["checks"]["TRUSTLIST"]["status"] == status
    assert report["checks"]["TRUSTLIST"] == _report(_verify(*args))["checks"]["TRUSTLIST"]
    assert report["verdict"] == ("VALID" if status == "OK" else "INVALID")
    assert xml.exit_code == (0 if status == "OK" else 1)


@pytest.mark.parametrize(("country", "status"), [("be", "OK"), ("fr", "ERROR")])
def test_an_open_badge_vc_jwt_with_an_x5c_chain_gets_the_trustlist_line(world: dict, country: str,
                                                                        status: str) -> None:
    result = _verify(world[country]["badge"], "--trusted-list", world["tl"], "--tl-signer", world["signer"])
    report = _report(result)
    line = report["checks"]["TRUSTLIST"]
    assert line["status"] == status and "verification time" in line["reason"]
    if status == "OK":
        assert report["verdict"] == "VALID" and result.exit_code == 0
        assert "'EDCBRIDGE TEST qualified CA'" in line["reason"] and report["trusted_list"]["country"] == "BE"
    else:
        assert report["verdict"] == "INVALID" and result.exit_code == 1
        assert "'EDCBRIDGE TEST former CA'" in line["reason"] and "withdrawn since" in line["reason"]


FOR_ESIGNATURES = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures"


def test_a_ca_listed_twice_is_judged_by_its_e_seal_service(tmp_path: Path) -> None:
    """National lists often name one CA certificate in two services, one for e-signatures and
    one for e-seals: the seal is judged by the service granted for e-seals, whichever comes first."""
    pki = devpki.generate(now=NOW - timedelta(days=30))
    signer = new_signer("EDCBRIDGE TEST TL signer DE")
    since = [(GRANTED, NOW - timedelta(days=400))]
    services = [Service("EDCBRIDGE TEST CA for e-signatures", pki.root.certificate, since, [FOR_ESIGNATURES]),
                Service("EDCBRIDGE TEST CA for e-seals", pki.root.certificate, since)]
    listed = tmp_path / "tl-de.xml"
    listed.write_bytes(sign(trusted_list("DE", services), signer, tmp_path))
    _, pinned = signer.write(tmp_path, "pinned")
    sealed = _seal_files(pki, tmp_path, "de")["jades"]
    result = _verify(sealed, "--trusted-list", listed, "--tl-signer", pinned)
    report = _report(result)
    assert report["checks"]["TRUSTLIST"]["status"] == "OK", report["checks"]["TRUSTLIST"]
    assert report["trusted_list"]["service"] == "EDCBRIDGE TEST CA for e-seals"
    assert report["verdict"] == "VALID" and result.exit_code == 0


_XPATH_TRANSFORM = ('<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">'
                    "<ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>")


def test_a_signature_slipped_into_a_list_signed_with_the_xpath_transform_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The XPath transform leaves every ds:Signature out of the digest: one slipped into a text
    cuts it short unseen (a ForeSignatures URI no longer read as one makes the CA one for all uses)."""
    need_tool("xmlsec1")
    from tests import trusted_list_files

    enveloped = '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    monkeypatch.setattr(trusted_list_files, "_TEMPLATE",
                        trusted_list_files._TEMPLATE.replace(enveloped, _XPATH_TRANSFORM))
    signer = new_signer("EDCBRIDGE TEST TL signer")
    service = Service("EDCBRIDGE TEST CA for e-signatures", devpki.generate().root.certificate,
                      [(GRANTED, NOW - timedelta(days=400))], [FOR_ESIGNATURES])
    signed = sign(trusted_list("BE", [service]), signer, tmp_path)
    check_signature(read_trusted_list(signed, "signed"), [signer.certificate], "the pinned certificate")
    slipped = signed.replace(b"SvcInfoExt/ForeSignatures",
                             b'SvcInfoExt/Fore<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>'
                             b"Signatures")
    assert slipped != signed
    with pytest.raises(TrustedListError, match="more than one ds:Signature"):
        check_signature(read_trusted_list(slipped, "slipped"), [signer.certificate], "the pinned certificate")


_ECC = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#"
_NOT_QUALIFIED = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/NotQualified"


@pytest.mark.parametrize(("bit", "qualified_seal"), [("nonRepudiation", False), ("keyCertSign", True)])
def test_a_key_usage_criterion_selects_the_certificates_it_names(bit: str, qualified_seal: bool) -> None:
    """Lists select certificates by key usage as often as by policy: a NotQualified qualifier for
    the certificates with nonRepudiation set applies to a seal certificate that has it."""
    from lxml import etree

    from edcbridge.trust.anchoring import qualified

    pki = devpki.generate()
    unsigned = trusted_list("BE", [Service("EDCBRIDGE TEST CA", pki.root.certificate,
                                           [(GRANTED, NOW - timedelta(days=400))])])
    root = etree.fromstring(unsigned)
    extensions = root.find(".//{http://uri.etsi.org/02231/v2#}ServiceInformationExtensions")
    extensions.append(etree.fromstring(
        f'<tsl:Extension xmlns:tsl="http://uri.etsi.org/02231/v2#" Critical="true">'
        f'<ecc:Qualifications xmlns:ecc="{_ECC}"><ecc:QualificationElement><ecc:Qualifiers>'
        f'<ecc:Qualifier uri="{_NOT_QUALIFIED}"/></ecc:Qualifiers><ecc:CriteriaList assert="all">'
        f'<ecc:KeyUsage><ecc:KeyUsageBit name="{bit}">true</ecc:KeyUsageBit></ecc:KeyUsage>'
        "</ecc:CriteriaList></ecc:QualificationElement></ecc:Qualifications></tsl:Extension>"))
    listed = read_trusted_list(etree.tostring(root), "tl")
    is_qualified, words = qualified(pki.seal.certificate, listed.services[0].status)
    assert is_qualified is qualified_seal, words


@pytest.mark.parametrize("prefix", ["http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/",
                                    "http://uri.etsi.org/TrstSvc/Svcstatus/"])
def test_a_ca_accredited_before_eidas_was_granted_then_as_lists_write_it(prefix: str) -> None:
    """Lists kept the statuses of the Directive in their history, renamed with the eIDAS prefix."""
    before = datetime(2014, 1, 1, tzinfo=UTC)
    history = [(GRANTED, datetime(2016, 7, 1, tzinfo=UTC)), (f"{prefix}accredited", before)]
    service = Service("EDCBRIDGE TEST CA", devpki.generate().root.certificate, history)
    listed = read_trusted_list(trusted_list("BE", [service]), "tl")
    assert listed.services[0].granted_at(before + timedelta(days=30))


_NATIONAL_ROOT = "http://uri.etsi.org/TrstSvc/Svctype/NationalRootCA-QC"
_QC_FOR_ESEAL = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCForESeal"


def _with_eseal_qualifier(unsigned: bytes) -> bytes:
    """*unsigned* with a QCForESeal qualifier for every certificate with keyCertSign clear."""
    from lxml import etree

    root = etree.fromstring(unsigned)
    for extensions in root.iter("{http://uri.etsi.org/02231/v2#}ServiceInformationExtensions"):
        extensions.append(etree.fromstring(
            f'<tsl:Extension xmlns:tsl="http://uri.etsi.org/02231/v2#" Critical="true">'
            f'<ecc:Qualifications xmlns:ecc="{_ECC}"><ecc:QualificationElement><ecc:Qualifiers>'
            f'<ecc:Qualifier uri="{_QC_FOR_ESEAL}"/></ecc:Qualifiers><ecc:CriteriaList assert="all">'
            '<ecc:KeyUsage><ecc:KeyUsageBit name="keyCertSign">false</ecc:KeyUsageBit></ecc:KeyUsage>'
            "</ecc:CriteriaList></ecc:QualificationElement></ecc:Qualifications></tsl:Extension>"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize(("service_type", "anchored"), [(_NATIONAL_ROOT, False),
                                                        ("http://uri.etsi.org/TrstSvc/Svctype/CA/QC", True)])
def test_a_national_root_ca_is_no_anchor_for_e_seals_whatever_its_list_says(
        tmp_path: Path, service_type: str, anchored: bool) -> None:
    """TS 119 612: the granted status and the qualifiers (QCForESeal among them) apply to CA/QC
    services alone, and a national root CA is approved at national level, not granted a qualified
    status; so a seal chaining to a NationalRootCA-QC entry is not anchored by the list, even one
    written granted, for e-seals, with an e-seal qualifier, and the line says why (not that the
    service is granted). The same root listed as a CA/QC is."""
    pki = devpki.generate(now=NOW - timedelta(days=30))
    signer = new_signer("EDCBRIDGE TEST TL signer DE")
    service = Service("EDCBRIDGE TEST root", pki.root.certificate, [(GRANTED, NOW - timedelta(days=400))],
                      service_type=service_type)
    listed = tmp_path / "de.xml"
    listed.write_bytes(sign(_with_eseal_qualifier(trusted_list("DE", [service])), signer, tmp_path))
    _, pinned = signer.write(tmp_path, "pinned")
    checked = subprocess.run([need_tool("xmlsec1"), "--verify", "--trusted-pem", str(pinned), str(listed)],
                             capture_output=True)
    assert checked.returncode == 0, checked.stderr
    seal = _seal_files(pki, tmp_path, "sealed")["jades"]
    report = _report(_verify(seal, "--trusted-list", listed, "--tl-signer", pinned))
    line = report["checks"]["TRUSTLIST"]
    assert (report["verdict"] == "VALID") is anchored, report
    assert line["status"] == ("OK" if anchored else "ERROR"), line
    if anchored:
        assert "qualified e-seal" in line["reason"] and "(as the list's qualifiers say)" in line["reason"]
    else:
        assert "'EDCBRIDGE TEST root' on the trusted list of DE" in line["reason"]
        assert "it is a NationalRootCA-QC service, not a CA/QC one" in line["reason"]
        assert "granted" not in line["reason"]
