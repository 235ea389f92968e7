"""`verify --fetch-revocation` asks the seal certificate's OCSP responder (RFC 6960), tested
against OpenSSL's own responder (`openssl ocsp -index`) over HTTP on 127.0.0.1, and falls back
to the CRL when OCSP gives no current answer."""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from edcbridge.seal import devpki, keys, revocation
from edcbridge.seal.errors import RevocationError
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.conftest import seal_commands
from tests.fake_http import FakeServer, Reply, Request, static_files
from tests.tls_support import closed_port, https_server, self_signed, silent_proxy

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")

PAYLOAD = '{"id": "urn:credential:ocsp", "type": ["VerifiableCredential"]}'
NOW = datetime.now(UTC).replace(microsecond=0)
PEM = serialization.Encoding.PEM


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pem_key(key: object) -> bytes:
    assert hasattr(key, "private_bytes")
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class OpensslResponder:
    """`openssl ocsp` answering from a CA index file; certificates are added before it starts."""

    def __init__(self, folder: Path, ca: devpki.Issued, signer: devpki.Issued | None = None) -> None:
        self.folder = folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.lines: list[str] = []
        (folder / "ca.pem").write_bytes(ca.certificate.public_bytes(PEM))
        signer = signer or ca
        (folder / "signer.pem").write_bytes(signer.certificate.public_bytes(PEM))
        (folder / "signer.key").write_bytes(_pem_key(signer.key))
        self.process: subprocess.Popen[bytes] | None = None
        self.said = b""

    def add(self, cert: x509.Certificate, revoked_at: datetime | None = None) -> None:
        serial = f"{cert.serial_number:X}"
        serial = serial if len(serial) % 2 == 0 else "0" + serial
        expiry = cert.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
        state, when = ("R", revoked_at.strftime("%y%m%d%H%M%SZ")) if revoked_at else ("V", "")
        subject = "/" + "/".join(reversed(cert.subject.rfc4514_string().split(",")))
        self.lines.append(f"{state}\t{expiry}\t{when}\t{serial}\tunknown\t{subject}\n")

    def start(self) -> OpensslResponder:
        (self.folder / "index.txt").write_text("".join(self.lines))
        self.process = subprocess.Popen(
            ["openssl", "ocsp", "-index", "index.txt", "-port", str(self.port), "-CA", "ca.pem",
             "-rsigner", "signer.pem", "-rkey", "signer.key", "-ndays", "1"],
            cwd=self.folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # ready once it says so: a probing connection would hold the one-at-a-time responder
        assert self.process.stdout is not None
        deadline = time.monotonic() + 10
        said = b""
        while time.monotonic() < deadline:  # raw reads: select() cannot see Python's buffer
            if not select.select([self.process.stdout], [], [], 0.1)[0]:
                continue
            chunk = os.read(self.process.stdout.fileno(), 4096)
            said += chunk
            if b"waiting for OCSP client connections" in said:
                return self
            if not chunk:
                break
        self.stop()
        raise RuntimeError(f"openssl ocsp did not start: {said.decode(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            self.process.wait()
            if self.process.stdout is not None:
                self.said = self.process.stdout.read()
                self.process.stdout.close()

    def requests(self) -> int:
        """Requests answered, as the stopped responder logged them."""
        return self.said.count(b"Received request")


@pytest.fixture(scope="module")
def root() -> devpki.Issued:
    return devpki.make_root_ca(NOW - timedelta(days=400))


@pytest.fixture()
def crl_server() -> Iterator[tuple[FakeServer, dict[str, bytes]]]:
    with static_files("application/pkix-crl") as served:
        yield served


def _leaf(root: devpki.Issued, ocsp_url: str | None, crl_url: str | None = None) -> devpki.IssuedSeal:
    return devpki.issue_seal_certificate(
        root, organisation="EDCBRIDGE TEST OCSP", organisation_identifier="NTRBE-TEST0020",
        country="BE", not_before=NOW - timedelta(days=90), not_after=NOW + timedelta(days=365),
        ocsp_url=ocsp_url, crl_url=crl_url)


def _responder_certificate(root: devpki.Issued, *, ocsp_signing: bool,
                           no_check: bool = True) -> devpki.Issued:
    key = devpki.new_key()
    name = x509.Name.from_rfc4514_string("CN=EDCBRIDGE TEST OCSP responder,O=EDCBRIDGE TEST PKI,C=BE")
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(root.certificate.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    if ocsp_signing:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]),
                                        critical=False)
    if no_check:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    return devpki.Issued(key, builder.sign(root.key, hashes.SHA256()))


@pytest.fixture()
def responder(tmp_path: Path, root: devpki.Issued) -> Iterator[OpensslResponder]:
    served = OpensslResponder(tmp_path, root)
    yield served
    served.stop()


def _sealed(root: devpki.Issued, leaf: devpki.IssuedSeal) -> bytes:
    """A B-B seal: no revocation data of its own, so verification must fetch it."""
    seal_key = keys.SealKey(leaf.key, leaf.certificate, (root.certificate,))
    return Sealer(seal_key, clock=lambda: NOW - timedelta(minutes=5)).seal(PAYLOAD).encode()


def _revocation(data: bytes, root: devpki.Issued) -> tuple[str, str]:
    options = VerifyOptions(trust_anchors=(root.certificate,), fetch_revocation=True, timeout=5)
    check = verify_document(data, options).checks["REVOCATION"]
    return check.status, check.reason


def test_good_answer_from_openssl_responder(root: devpki.Issued, responder: OpensslResponder) -> None:
    leaf = _leaf(root, responder.url)
    responder.add(leaf.certificate)
    responder.start()
    status, reason = _revocation(_sealed(root, leaf), root)
    assert status == "OK", reason
    assert re.match(r"fetched: good per OCSP response produced \d{4}-", reason), reason


def test_revoked_answer_fails_revocation(root: devpki.Issued, responder: OpensslResponder) -> None:
    leaf = _leaf(root, responder.url)
    responder.add(leaf.certificate, revoked_at=NOW - timedelta(days=2))
    responder.start()
    status, reason = _revocation(_sealed(root, leaf), root)
    assert status == "ERROR", reason
    assert "revoked" in reason and "(OCSP)" in reason


@pytest.mark.parametrize(("ocsp_signing", "no_check", "expected", "said"), [
    (True, True, "OK", ""),
    (False, True, "ERROR", "not signed by the issuer or by an OCSP responder it authorised"),
    (True, False, "ERROR", "lacks id-pkix-ocsp-nocheck, so its own revocation would need checking"),
])
def test_delegated_responder_needs_the_ocsp_signing_purpose_and_no_check(
        tmp_path: Path, root: devpki.Issued, ocsp_signing: bool, no_check: bool, expected: str,
        said: str) -> None:
    responder_cert = _responder_certificate(root, ocsp_signing=ocsp_signing, no_check=no_check)
    served = OpensslResponder(tmp_path, root, responder_cert)
    leaf = _leaf(root, served.url)
    served.add(leaf.certificate)
    served.start()
    try:
        status, reason = _revocation(_sealed(root, leaf), root)
    finally:
        served.stop()
    assert status == expected, reason
    assert said in reason  # no CRL to fall back on: the OCSP problem is the reason


def test_unknown_status_falls_back_to_the_crl(
    root: devpki.Issued, responder: OpensslResponder, crl_server: tuple[FakeServer, dict[str, bytes]]
) -> None:
    server, files = crl_server
    leaf = _leaf(root, responder.url, f"{server.base_url}/root.crl")
    responder.start()  # the index does not know the certificate: "unknown"
    files["/root.crl"] = (x509.CertificateRevocationListBuilder().issuer_name(root.certificate.subject)
                          .last_update(NOW - timedelta(hours=1)).next_update(NOW + timedelta(days=7))
                          .sign(root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    status, reason = _revocation(_sealed(root, leaf), root)
    assert status == "OK", reason
    assert "not revoked per CRL" in reason and "OCSP status unknown" in reason
    assert any(entry.path == "/root.crl" for entry in server.log)


def test_unreachable_responder_without_crl_is_an_error(root: devpki.Issued) -> None:
    leaf = _leaf(root, f"http://127.0.0.1:{_free_port()}/")
    status, reason = _revocation(_sealed(root, leaf), root)
    assert status == "ERROR", reason
    assert "cannot reach OCSP responder" in reason


def test_replayed_answer_is_refused(root: devpki.Issued, responder: OpensslResponder) -> None:
    """An answer recorded for an earlier request carries that request's nonce."""
    leaf = _leaf(root, responder.url)
    responder.add(leaf.certificate)
    responder.start()
    recorded = revocation.fetch_ocsp(responder.url, leaf.certificate, root.certificate, timeout=5)
    replay = FakeServer(lambda request: Reply(200, recorded, "application/ocsp-response")).start()
    try:
        with pytest.raises(RevocationError, match="nonce mismatch"):
            revocation.fetch_ocsp(replay.base_url, leaf.certificate, root.certificate, timeout=5)
    finally:
        replay.stop()


def test_answer_about_another_certificate_is_refused(root: devpki.Issued) -> None:
    leaf, other = _leaf(root, None), _leaf(root, None)
    answer = (ocsp.OCSPResponseBuilder()
              .add_response(cert=other.certificate, issuer=root.certificate, algorithm=hashes.SHA1(),
                            cert_status=ocsp.OCSPCertStatus.GOOD, this_update=NOW,
                            next_update=NOW + timedelta(days=1), revocation_time=None,
                            revocation_reason=None)
              .responder_id(ocsp.OCSPResponderEncoding.HASH, root.certificate)
              .sign(root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    requests_seen: list[Request] = []

    def app(request: Request) -> Reply:
        requests_seen.append(request)
        return Reply(200, answer, "application/ocsp-response")

    server = FakeServer(app).start()
    try:
        with pytest.raises(RevocationError, match="about another certificate"):
            revocation.fetch_ocsp(server.base_url, leaf.certificate, root.certificate, timeout=5)
    finally:
        server.stop()
    sent = ocsp.load_der_ocsp_request(requests_seen[0].body)  # a well-formed RFC 6960 request
    assert requests_seen[0].method == "POST"
    assert requests_seen[0].header("Content-Type") == "application/ocsp-request"
    assert sent.serial_number == leaf.certificate.serial_number
    assert sent.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce


def test_same_serial_from_another_ca_is_not_about_the_certificate(root: devpki.Issued) -> None:
    """A CertID is the issuer's name and key hashes with the serial: a serial alone could be
    another CA's certificate."""
    leaf = _leaf(root, None)
    other_ca = devpki.make_root_ca(NOW - timedelta(days=10))
    twin = (x509.CertificateBuilder().subject_name(leaf.certificate.subject)
            .issuer_name(other_ca.certificate.subject).public_key(leaf.key.public_key())
            .serial_number(leaf.certificate.serial_number)
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
            .sign(other_ca.key, hashes.SHA256()))
    answer = (ocsp.OCSPResponseBuilder()
              .add_response(cert=twin, issuer=other_ca.certificate, algorithm=hashes.SHA1(),
                            cert_status=ocsp.OCSPCertStatus.REVOKED, this_update=NOW,
                            next_update=NOW + timedelta(days=1), revocation_time=NOW - timedelta(days=1),
                            revocation_reason=None)
              .responder_id(ocsp.OCSPResponderEncoding.HASH, root.certificate)
              .sign(root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    assert revocation.ocsp_finding(answer, leaf.certificate, root.certificate, []) is None


def test_cli_verify_fetches_ocsp(tmp_path: Path, root: devpki.Issued, responder: OpensslResponder) -> None:
    leaf = _leaf(root, responder.url)
    responder.add(leaf.certificate)
    responder.start()
    sealed = tmp_path / "sealed.jsonld"
    sealed.write_bytes(_sealed(root, leaf))
    anchor = tmp_path / "root.pem"
    anchor.write_bytes(root.certificate.public_bytes(PEM))
    result = CliRunner().invoke(seal_commands(), ["verify", str(sealed), "--trust-anchor", str(anchor),
                                       "--fetch-revocation", "--json"])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    revocation_check = report["checks"]["REVOCATION"]
    assert revocation_check["status"] == "OK" and "good per OCSP response" in revocation_check["reason"]


def _etsiu(sealed: str) -> dict[str, object]:
    merged: dict[str, object] = {}
    for entry in json.loads(sealed)["signatures"][0]["header"]["etsiU"]:
        merged.update(json.loads(base64.urlsafe_b64decode(entry + "=" * (-len(entry) % 4))))
    return merged


def test_long_term_seal_embeds_the_ocsp_answer(tmp_path: Path, pki: devpki.DevPki, tsa: TsaClient) -> None:
    served = OpensslResponder(tmp_path, pki.root)
    leaf = _leaf(pki.root, served.url)
    served.add(leaf.certificate)
    served.start()
    try:
        sealer = Sealer(keys.SealKey(leaf.key, leaf.certificate, (pki.root.certificate,)), tsa=tsa)
        assert sealer.level == Level.B_LTA  # an OCSP responder is enough for long-term data
        sealed = [sealer.seal(PAYLOAD) for _ in range(3)]
    finally:
        served.stop()
    assert served.requests() == 1  # one answer for the run, reused while current
    r_vals = _etsiu(sealed[0])["rVals"]
    assert isinstance(r_vals, dict) and set(r_vals) == {"ocspVals"}
    answer = ocsp.load_der_ocsp_response(base64.b64decode(r_vals["ocspVals"][0]["val"]))
    assert answer.serial_number == leaf.certificate.serial_number
    # the responder is gone: the embedded answer is all the verifier has
    result = verify_document(sealed[2].encode(), VerifyOptions(trust_anchors=(pki.root.certificate,)))
    assert result.ok, result.as_dict()
    assert result.checks["REVOCATION"].reason.startswith("embedded, current at the signature timestamp")
    assert "good per OCSP response" in result.checks["REVOCATION"].reason


def test_revoked_seal_certificate_stops_long_term_sealing(tmp_path: Path, pki: devpki.DevPki,
                                                          tsa: TsaClient) -> None:
    served = OpensslResponder(tmp_path, pki.root)
    leaf = _leaf(pki.root, served.url)
    served.add(leaf.certificate, revoked_at=NOW - timedelta(hours=3))
    served.start()
    try:
        with pytest.raises(RevocationError, match=r"seal certificate: certificate revoked .*\(OCSP\)"):
            Sealer(keys.SealKey(leaf.key, leaf.certificate, (pki.root.certificate,)), tsa=tsa)
    finally:
        served.stop()


def test_a_responder_whose_certificate_is_not_trusted_gets_the_ca_bundle_advice(
        root: devpki.Issued, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a proxy inspecting TLS, an https:// responder cannot be verified: the setting named
    makes it trusted (the file server then answers the POST itself, 501)."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    cert_file, key_file = self_signed(tmp_path)
    with https_server(tmp_path, (cert_file, key_file)) as url:
        leaf = _leaf(root, f"{url}/ocsp")
        status, untrusted = _revocation(_sealed(root, leaf), root)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
        _, trusted = _revocation(_sealed(root, leaf), root)
    assert status == "ERROR", untrusted
    assert "TLS certificate could not be verified" in untrusted
    assert "point REQUESTS_CA_BUNDLE at the proxy's CA certificate" in untrusted
    assert "answered HTTP 501" in trusted and "REQUESTS_CA_BUNDLE" not in trusted


def test_a_responder_that_does_not_speak_tls_is_not_blamed_on_a_certificate(
        root: devpki.Issued, tmp_path: Path) -> None:
    """The URL is the certificate's, not a setting: what can be checked is the way there."""
    with https_server(tmp_path, None) as url:
        status, reason = _revocation(_sealed(root, _leaf(root, f"{url}/ocsp")), root)
    assert status == "ERROR", reason
    assert "the server does not speak TLS at that address" in reason
    assert "the URL is the certificate's OCSP responder" in reason and "proxy variables" in reason
    assert "REQUESTS_CA_BUNDLE" not in reason and "TLS certificate" not in reason


# export has no --crl option: the advice names the command that has one
WITHOUT_FETCHING = "give the CRL as a file (edcbridge seal --crl FILE), or seal at level B-T (--level B-T)"


def test_a_crl_not_reached_while_sealing_names_the_network_the_proxy_and_crl(root: devpki.Issued) -> None:
    leaf = _leaf(root, None, f"http://127.0.0.1:{closed_port()}/root.crl")
    with pytest.raises(RevocationError) as failed:
        revocation.crls_for_seal(leaf.certificate, [root.certificate], [], fetch=True, at=NOW)
    message = str(failed.value)
    assert "the connection was refused" in message
    assert "check the network connection and the proxy variables (HTTPS_PROXY" in message
    assert message.endswith(WITHOUT_FETCHING) and "REQUESTS_CA_BUNDLE" not in message


def test_ocsp_and_crl_not_reached_say_each_cause_and_the_network_advice_once(root: devpki.Issued) -> None:
    ocsp_url, crl_url = f"http://127.0.0.1:{closed_port()}/ocsp", f"http://127.0.0.1:{closed_port()}/root.crl"
    status, reason = _revocation(_sealed(root, _leaf(root, ocsp_url, crl_url)), root)
    assert status == "ERROR", reason
    advice = "check the network connection and the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)"
    assert reason.count(advice) == 1 and reason.endswith(f": {advice}"), reason
    assert f"cannot reach OCSP responder {ocsp_url}: the connection was refused" in reason
    assert f"cannot reach CRL {crl_url}: the connection was refused" in reason


def test_ocsp_and_crl_failing_differently_keep_each_their_own_advice(
        root: devpki.Issued, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with https_server(tmp_path, self_signed(tmp_path)) as url:
        leaf = _leaf(root, f"{url}/ocsp", f"http://127.0.0.1:{closed_port()}/root.crl")
        status, reason = _revocation(_sealed(root, leaf), root)
    assert status == "ERROR", reason
    ocsp_said, crl_said = reason.split("; cannot reach CRL ")
    assert ocsp_said.endswith("point REQUESTS_CA_BUNDLE at the proxy's CA certificate"), reason
    assert crl_said.endswith("check the network connection and the proxy variables "
                             "(HTTPS_PROXY, HTTP_PROXY, NO_PROXY)"), reason


def test_a_responder_behind_a_proxy_that_does_not_answer_names_the_proxy_and_its_variable(
        root: devpki.Issued, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = silent_proxy(monkeypatch, "HTTP_PROXY")
    status, reason = _revocation(_sealed(root, _leaf(root, "http://ocsp.invalid/")), root)
    assert status == "ERROR", reason
    assert f"the proxy {proxy} (set by HTTP_PROXY) did not answer or refused the connection" in reason
    assert "check HTTP_PROXY, or add the host to NO_PROXY" in reason and "s3cret" not in reason


def test_a_crl_behind_a_proxy_that_does_not_answer_names_the_proxy_while_sealing(
        root: devpki.Issued, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = silent_proxy(monkeypatch, "ALL_PROXY")
    leaf = _leaf(root, None, "http://crl.invalid/root.crl")
    with pytest.raises(RevocationError) as failed:
        revocation.crls_for_seal(leaf.certificate, [root.certificate], [], fetch=True, at=NOW)
    message = str(failed.value)
    assert f"the proxy {proxy} (set by ALL_PROXY) did not answer or refused the connection" in message
    assert message.endswith("seal at level B-T (--level B-T)") and "s3cret" not in message


def test_a_crl_server_whose_certificate_is_not_trusted_gets_the_ca_bundle_advice_while_sealing(
        root: devpki.Issued, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with https_server(tmp_path, self_signed(tmp_path)) as url:
        leaf = _leaf(root, None, f"{url}/root.crl")
        with pytest.raises(RevocationError) as failed:
            revocation.crls_for_seal(leaf.certificate, [root.certificate], [], fetch=True, at=NOW)
    message = str(failed.value)
    assert "TLS certificate could not be verified" in message and "REQUESTS_CA_BUNDLE" in message
    assert message.endswith(WITHOUT_FETCHING)
