"""verify --trusted-list trusts a signature timestamp whose authority is (or is issued under) a
qualified timestamp service (TSA/QTST) of the lists granted at the timestamp's time: the
timestamp then proves the signing time the TRUSTLIST and EXPIRY checks judge at."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority, TokenSigner
from edcbridge.xml.cli import verify_xml_command
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool, seal_commands
from tests.trusted_list_files import (
    GRANTED,
    LOTL,
    TSL_MIME,
    WITHDRAWN,
    Service,
    Signer,
    new_signer,
    sign,
    trusted_list,
)

QTST = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"
NOW = (datetime.now(UTC) - timedelta(minutes=20)).replace(microsecond=0)
PAYLOAD = '{"id": "urn:credential:tl-qtst", "type": ["VerifiableCredential"]}'
XML = (b'<?xml version="1.0" encoding="UTF-8"?><europassCredential xmlns="http://data.europa.eu/snb">'
       b"<title>qtst</title><proof/></europassCredential>")
PEM = serialization.Encoding.PEM


def _tsa_root() -> devpki.Issued:
    """A CA of its own for the timestamp authority, named unlike the seal's root."""
    key = devpki.new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EDCBRIDGE TEST QTST CA"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - timedelta(days=300))
            .not_valid_after(NOW + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
            .sign(key, hashes.SHA256()))
    return devpki.Issued(key, cert)


@pytest.fixture(scope="module")
def pki() -> devpki.DevPki:
    return devpki.generate(now=NOW - timedelta(days=200))


@pytest.fixture(scope="module")
def tsa_root() -> devpki.Issued:
    return _tsa_root()


@pytest.fixture(scope="module")
def tsa_unit(tsa_root: devpki.Issued) -> devpki.Issued:
    return devpki.issue_tsa_certificate(tsa_root, NOW - timedelta(days=200))


@pytest.fixture(scope="module")
def seals(pki: devpki.DevPki, tsa_unit: devpki.Issued, tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Path]:
    """B-T seals (JAdES and XAdES) under the PKI's root, timestamped over HTTP by an authority
    outside that PKI."""
    signer = TokenSigner(tsa_unit.key, tsa_unit.certificate, devpki.TSA_POLICY)
    key = SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    folder = tmp_path_factory.mktemp("qtst")
    jades, xades = folder / "b-t.jsonld", folder / "b-t.xml"
    # the authority tells the time of the machine, as the sealer checks it against its own clock:
    # NOW is taken when the tests are collected, minutes before a full run gets here
    with DevServer(TimestampAuthority(signer, clock=lambda: datetime.now(UTC))) as server:
        client = TsaClient(server.tsa_url, timeout=5)
        jades.write_text(Sealer(key, tsa=client, fetch_revocation=False).seal(PAYLOAD), encoding="utf-8")
        xades.write_bytes(XadesSealer(key, tsa=client).seal_bytes(XML))
    return {"jades": jades, "xades": xades}


@pytest.fixture(scope="module")
def sealed(seals: dict[str, Path]) -> Path:
    return seals["jades"]


@pytest.fixture(scope="module")
def signer() -> Signer:
    return new_signer("EDCBRIDGE TEST TL signer")


def _list(folder: Path, pki: devpki.DevPki, signer: Signer, qtst: Service | None) -> tuple[Path, Path]:
    need_tool("xmlsec1")
    ca = Service("EDCBRIDGE TEST qualified CA", pki.root.certificate, [(GRANTED, NOW - timedelta(days=400))])
    listed = folder / "tl.xml"
    services = [ca, *([qtst] if qtst else [])]
    listed.write_bytes(sign(trusted_list("FR", services), signer, folder))
    _, pinned = signer.write(folder, "pinned")
    return listed, pinned


def _verify(seal: Path, listed: Path, pinned: Path, *, xml_command: bool = False) -> dict:
    args = ["--json", str(seal), "--trusted-list", str(listed), "--tl-signer", str(pinned)]
    result: Result = CliRunner().invoke(verify_xml_command, args) if xml_command else \
        CliRunner().invoke(seal_commands(), ["verify", *args])
    return json.loads(result.stdout)[0]


def _qtst(certificate: x509.Certificate, history: list[tuple[str, datetime]]) -> Service:
    return Service("EDCBRIDGE TEST qualified timestamps", certificate, history, additional=[],
                   service_type=QTST)


def test_the_timestamp_token_verifies_with_openssl(sealed: Path, tsa_root: devpki.Issued,
                                                  tsa_unit: devpki.Issued, tmp_path: Path) -> None:
    openssl = need_tool("openssl")
    signature = json.loads(sealed.read_text())["signatures"][0]
    entry = signature["header"]["etsiU"][0]
    sig_tst = json.loads(base64.urlsafe_b64decode(entry + "=" * (-len(entry) % 4)))["sigTst"]
    token = base64.b64decode(sig_tst["tstTokens"][0]["val"])
    (tmp_path / "token.der").write_bytes(token)
    (tmp_path / "ca.pem").write_bytes(tsa_root.certificate.public_bytes(PEM))
    (tmp_path / "tsa.pem").write_bytes(tsa_unit.certificate.public_bytes(PEM))
    digest = hashlib.sha256(signature["signature"].encode("ascii")).hexdigest()
    checked = subprocess.run([openssl, "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
                              "-CAfile", str(tmp_path / "ca.pem"), "-untrusted", str(tmp_path / "tsa.pem"),
                              "-digest", digest], capture_output=True, text=True, check=False)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr


@pytest.mark.parametrize("kind", ["jades", "xades", "verify-xml"])
@pytest.mark.parametrize("listed_as", ["its CA", "itself"])
def test_a_timestamp_from_a_granted_qtst_service_proves_the_signing_time(
        seals: dict[str, Path], pki: devpki.DevPki, tsa_root: devpki.Issued, tsa_unit: devpki.Issued,
        signer: Signer, tmp_path: Path, listed_as: str, kind: str) -> None:
    certificate = tsa_root.certificate if listed_as == "its CA" else tsa_unit.certificate
    listed, pinned = _list(tmp_path, pki, signer, _qtst(certificate, [(GRANTED, NOW - timedelta(days=90))]))
    report = _verify(seals["jades" if kind == "jades" else "xades"], listed, pinned,
                     xml_command=kind == "verify-xml")
    stamp = report["checks"]["TIMESTAMP"]
    assert stamp["status"] == "OK", stamp
    assert "qualified timestamp from 'EDCBRIDGE TEST qualified timestamps'" in stamp["reason"]
    assert "trusted list of FR" in stamp["reason"] and "TSA/QTST" in stamp["reason"]
    trustlist = report["checks"]["TRUSTLIST"]
    assert trustlist["status"] == "OK"
    assert "the signing time the signature timestamp proves" in trustlist["reason"]
    assert report["trusted_list"]["at_basis"] == "proven"
    expiry = report["checks"]["EXPIRY"]
    assert expiry["status"] == "OK", expiry
    assert "no timestamp proves" not in expiry["reason"] and "no valid timestamp" not in expiry["reason"]


@pytest.mark.parametrize("history", [
    pytest.param([(WITHDRAWN, NOW - timedelta(days=10)), (GRANTED, NOW - timedelta(days=90))],
                 id="withdrawn"),
    pytest.param([(GRANTED, NOW + timedelta(days=10))], id="not-yet-granted"),
])
@pytest.mark.parametrize("kind", ["jades", "xades"])
def test_a_qtst_service_not_granted_at_the_timestamps_time_proves_nothing(
        seals: dict[str, Path], kind: str, pki: devpki.DevPki, tsa_root: devpki.Issued, signer: Signer,
        tmp_path: Path, history: list[tuple[str, datetime]]) -> None:
    listed, pinned = _list(tmp_path, pki, signer, _qtst(tsa_root.certificate, history))
    report = _verify(seals[kind], listed, pinned)
    assert report["checks"]["TIMESTAMP"]["status"] == "SKIPPED"
    assert "not trusted" in report["checks"]["TIMESTAMP"]["reason"]
    assert report["trusted_list"]["at_basis"] == "verification"


def test_a_ca_qc_service_does_not_make_an_authority_outside_it_qualified(
        sealed: Path, pki: devpki.DevPki, signer: Signer, tmp_path: Path) -> None:
    listed, pinned = _list(tmp_path, pki, signer, None)
    report = _verify(sealed, listed, pinned)
    assert report["checks"]["TIMESTAMP"]["status"] == "SKIPPED"
    assert "qualified timestamp" not in report["checks"]["TIMESTAMP"]["reason"]


_TYPES = "http://uri.etsi.org/TrstSvc/Svctype/"
_STATUSES = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/"
_DIRECTIVE_STATUSES = "http://uri.etsi.org/TrstSvc/Svcstatus/"


def _timestamp_service(certificate: x509.Certificate, service_type: str, status: str) -> Service:
    return Service("EDCBRIDGE TEST timestamps", certificate, [(status, NOW - timedelta(days=90))],
                   additional=[], service_type=service_type)


@pytest.mark.parametrize(("service_type", "status"), [
    (f"{_TYPES}TSA", f"{_STATUSES}recognisedatnationallevel"),
    (f"{_TYPES}TSA", f"{_STATUSES}undersupervision"),
    (f"{_TYPES}TSA", f"{_DIRECTIVE_STATUSES}accredited"),
    (f"{_TYPES}TSA/TSS-QC", f"{_STATUSES}supervisionincessation"),
    (f"{_TYPES}TSA/TSS-AdESQCandQES", f"{_STATUSES}recognisedatnationallevel"),
    (f"{_TYPES}TSA", f"{_STATUSES}setbynationallaw"),  # recognisedatnationallevel before eIDAS
    (f"{_TYPES}TSA/TSS-QC", f"{_DIRECTIVE_STATUSES}setbynationallaw"),
])
@pytest.mark.parametrize("kind", ["jades", "xades"])
def test_a_timestamp_service_in_force_but_not_qualified_is_trusted_and_said_not_qualified(
        seals: dict[str, Path], kind: str, pki: devpki.DevPki, tsa_root: devpki.Issued, signer: Signer,
        tmp_path: Path, service_type: str, status: str) -> None:
    """A non-qualified time-stamping service the list recognises (or, before eIDAS, supervised or
    accredited) proves the signing time; only a granted TSA/QTST gives a qualified timestamp."""
    service = _timestamp_service(tsa_root.certificate, service_type, status)
    listed, pinned = _list(tmp_path, pki, signer, service)
    report = _verify(seals[kind], listed, pinned)
    stamp = report["checks"]["TIMESTAMP"]
    assert stamp["status"] == "OK", stamp
    assert "'EDCBRIDGE TEST timestamps'" in stamp["reason"] and "trusted list of FR" in stamp["reason"]
    assert "not a qualified timestamp" in stamp["reason"]
    assert f"{service_type.removeprefix(_TYPES)} {status.rsplit('/', 1)[-1]}" in stamp["reason"]
    assert "qualified timestamp from" not in stamp["reason"]
    assert report["trusted_list"]["at_basis"] == "proven"
    national = "set by national law before eIDAS: a national approval, not a qualified status"
    assert (national in stamp["reason"]) is status.endswith("/setbynationallaw")


@pytest.mark.parametrize(("service_type", "status"), [
    (f"{_TYPES}TSA", f"{_STATUSES}deprecatedatnationallevel"),
    (f"{_TYPES}TSA", f"{_STATUSES}supervisionceased"),
    (f"{_TYPES}TSA", f"{_STATUSES}accreditationrevoked"),
    (f"{_TYPES}TSA/TSS-QC", f"{_STATUSES}withdrawn"),
    (f"{_TYPES}TSA", f"{_STATUSES}granted"),  # granted is for qualified services only
    (QTST, f"{_STATUSES}recognisedatnationallevel"),
    (QTST, f"{_STATUSES}undersupervision"),  # the qualified type came with eIDAS
    (QTST, f"{_STATUSES}setbynationallaw"),  # a national approval, no qualified status
    (f"{_TYPES}TSA", f"{_STATUSES}deprecatedbynationallaw"),
])
def test_a_timestamp_service_not_in_force_proves_nothing(
        sealed: Path, pki: devpki.DevPki, tsa_root: devpki.Issued, signer: Signer, tmp_path: Path,
        service_type: str, status: str) -> None:
    service = _timestamp_service(tsa_root.certificate, service_type, status)
    listed, pinned = _list(tmp_path, pki, signer, service)
    report = _verify(sealed, listed, pinned)
    assert report["checks"]["TIMESTAMP"]["status"] == "SKIPPED"
    assert "not trusted" in report["checks"]["TIMESTAMP"]["reason"]
    assert report["trusted_list"]["at_basis"] == "verification"


def test_a_qualified_service_is_named_before_a_recognised_one(
        sealed: Path, pki: devpki.DevPki, tsa_root: devpki.Issued, signer: Signer, tmp_path: Path) -> None:
    need_tool("xmlsec1")
    ca = Service("EDCBRIDGE TEST qualified CA", pki.root.certificate, [(GRANTED, NOW - timedelta(days=400))])
    recognised = _timestamp_service(tsa_root.certificate, f"{_TYPES}TSA",
                                    f"{_STATUSES}recognisedatnationallevel")
    listed = tmp_path / "tl.xml"
    listed.write_bytes(sign(trusted_list("FR", [ca, recognised, _qtst(tsa_root.certificate, [
        (GRANTED, NOW - timedelta(days=90))])]), signer, tmp_path))
    _, pinned = signer.write(tmp_path, "pinned")
    reason = _verify(sealed, listed, pinned)["checks"]["TIMESTAMP"]["reason"]
    assert "qualified timestamp from 'EDCBRIDGE TEST qualified timestamps'" in reason
    assert "not a qualified timestamp" not in reason


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_a_recognised_tsa_of_a_list_the_lotl_leads_to_is_trusted_not_qualified(
        sealed: Path, pki: devpki.DevPki, tsa_root: devpki.Issued, signer: Signer, tmp_path: Path) -> None:
    """The lists served over HTTP on 127.0.0.1, each signature checked by xmlsec1 too."""
    tool = need_tool("xmlsec1")
    served = tmp_path / "served"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        listed, _ = _list(tmp_path, pki, signer, _timestamp_service(
            tsa_root.certificate, f"{_TYPES}TSA", f"{_STATUSES}recognisedatnationallevel"))
        (served / "fr.xml").write_bytes(listed.read_bytes())
        lotl_signer = new_signer("EDCBRIDGE TEST LOTL signer")
        (served / "lotl.xml").write_bytes(sign(trusted_list("EU", [], tsl_type=LOTL, pointers=[
            (f"{base}/fr.xml", "FR", signer.certificate, TSL_MIME)]), lotl_signer, tmp_path))
        _, signer_pem = signer.write(tmp_path, "fr-signer")
        _, lotl_pem = lotl_signer.write(tmp_path, "lotl-signer")
        for name, pem in (("fr.xml", signer_pem), ("lotl.xml", lotl_pem)):
            checked = subprocess.run([tool, "--verify", "--trusted-pem", str(pem), str(served / name)],
                                     capture_output=True, check=False)
            assert checked.returncode == 0, checked.stderr
        result = CliRunner(env={"XDG_CACHE_HOME": str(tmp_path / "cache")}).invoke(seal_commands(), [
            "verify", "--json", str(sealed), "--trusted-list", f"{base}/lotl.xml",
            "--lotl-signer", str(lotl_pem)])
    finally:
        server.shutdown()
        server.server_close()
    stamp = json.loads(result.stdout)[0]["checks"]["TIMESTAMP"]
    assert stamp["status"] == "OK", stamp
    assert "TSA recognisedatnationallevel" in stamp["reason"]
    assert "not a qualified timestamp" in stamp["reason"]


@pytest.mark.parametrize("kind", ["jades", "xades", "verify-xml"])
def test_an_untrusted_authority_is_said_to_be_trusted_either_way(
        seals: dict[str, Path], pki: devpki.DevPki, signer: Signer, tmp_path: Path, kind: str) -> None:
    """The lists given name no timestamp service for the authority: the hint names both a
    --trust-anchor for its CA and a --trusted-list that lists its service."""
    listed, pinned = _list(tmp_path, pki, signer, None)
    reason = _verify(seals["jades" if kind == "jades" else "xades"], listed, pinned,
                     xml_command=kind == "verify-xml")["checks"]["TIMESTAMP"]["reason"]
    assert "--trust-anchor" in reason and "--trusted-list" in reason, reason
    assert "the lists given name none in force at" in reason


@pytest.mark.parametrize("command", ["verify", "verify-xml"])
def test_without_lists_the_hint_names_both_ways_too(seals: dict[str, Path], pki: devpki.DevPki,
                                                    tmp_path: Path, command: str) -> None:
    anchor = tmp_path / "seal-root.pem"
    anchor.write_bytes(pki.root.certificate.public_bytes(PEM))
    args = ["--json", str(seals["xades"]), "--trust-anchor", str(anchor)]
    result = CliRunner().invoke(verify_xml_command, args) if command == "verify-xml" else \
        CliRunner().invoke(seal_commands(), ["verify", *args])
    reason = json.loads(result.stdout)[0]["checks"]["TIMESTAMP"]["reason"]
    assert "add the authority's CA with --trust-anchor" in reason, reason
    assert "--trusted-list" in reason and "the lists given" not in reason
