"""B-T and B-LT against a real RFC 3161 responder on 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from edcbridge.seal import devpki, keys, tsa_server, tst
from edcbridge.seal.errors import RevocationError, TimestampError
from edcbridge.seal.sealer import Level, Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.conftest import need_tool
from tests.tls_support import closed_port, https_server, self_signed, silent_proxy

PAYLOAD = '{"id": "urn:credential:tsa", "type": ["VerifiableCredential"]}'


@pytest.fixture(scope="module")
def server(pki: devpki.DevPki) -> Iterator[DevServer]:
    crl = pki.crl.public_bytes(serialization.Encoding.DER)
    with DevServer(TimestampAuthority(pki.tsa_signer()), files={"/root.crl": crl}) as srv:
        yield srv


@pytest.fixture
def tsa(server: DevServer) -> Iterator[TsaClient]:
    client = TsaClient(server.tsa_url, timeout=5)
    yield client
    client.close()


def _seal_key(pki: devpki.DevPki) -> keys.SealKey:
    return keys.SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))


def _etsiu(sealed: str) -> dict[str, object]:
    entries = json.loads(sealed)["signatures"][0]["header"]["etsiU"]
    merged: dict[str, object] = {}
    for entry in entries:
        merged.update(json.loads(base64.urlsafe_b64decode(entry + "=" * (-len(entry) % 4))))
    return merged


def _token(sealed: str) -> bytes:
    sig_tst = _etsiu(sealed)["sigTst"]
    assert isinstance(sig_tst, dict)
    return base64.b64decode(sig_tst["tstTokens"][0]["val"])


def test_b_t_token_covers_signature(pki: devpki.DevPki, tsa: TsaClient) -> None:
    sealed = Sealer(_seal_key(pki), tsa=tsa, fetch_revocation=False).seal(PAYLOAD)
    assert set(_etsiu(sealed)) == {"sigTst"}
    signature = json.loads(sealed)["signatures"][0]["signature"]
    stamp = tst.verify_token(_token(sealed), hashlib.sha256(signature.encode("ascii")).digest())
    assert stamp.tsa_certificate == pki.tsa.certificate
    result = verify_document(sealed.encode(), VerifyOptions(trust_anchors=(pki.root.certificate,)))
    assert result.checks["TIMESTAMP"].status == "OK", result.checks["TIMESTAMP"].reason
    assert "TSA chains to" in result.checks["TIMESTAMP"].reason
    assert result.checks["SEAL"].status == "OK"


def test_b_t_token_verifies_with_openssl(pki: devpki.DevPki, tsa: TsaClient, tmp_path: Path) -> None:
    openssl = need_tool("openssl")
    sealed = Sealer(_seal_key(pki), tsa=tsa, fetch_revocation=False).seal(PAYLOAD)
    signature = json.loads(sealed)["signatures"][0]["signature"]
    pem = serialization.Encoding.PEM
    (tmp_path / "token.der").write_bytes(_token(sealed))
    (tmp_path / "ca.pem").write_bytes(pki.root.certificate.public_bytes(pem))
    (tmp_path / "tsa.pem").write_bytes(pki.tsa.certificate.public_bytes(pem))
    command = [openssl, "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der")]
    command += ["-CAfile", str(tmp_path / "ca.pem"), "-untrusted", str(tmp_path / "tsa.pem")]
    good = hashlib.sha256(signature.encode("ascii")).hexdigest()
    ok = subprocess.run([*command, "-digest", good], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "Verification: OK" in ok.stdout
    bad = hashlib.sha256(signature[:-1].encode("ascii")).hexdigest()
    ko = subprocess.run([*command, "-digest", bad], capture_output=True, text=True, check=False)
    assert ko.returncode != 0


def test_b_lt_embeds_certificates_and_crl(pki: devpki.DevPki, tsa: TsaClient) -> None:
    sealer = Sealer(_seal_key(pki), tsa=tsa, crls=[pki.crl], level=Level.B_LT)
    sealed = sealer.seal(PAYLOAD)
    etsiu = _etsiu(sealed)
    assert set(etsiu) == {"sigTst", "xVals", "rVals"}
    x_vals = etsiu["xVals"]
    assert isinstance(x_vals, list)
    embedded = {base64.b64decode(v["x509Cert"]["val"]) for v in x_vals}
    der = serialization.Encoding.DER
    assert pki.root.certificate.public_bytes(der) in embedded
    assert pki.tsa.certificate.public_bytes(der) in embedded
    r_vals = etsiu["rVals"]
    assert isinstance(r_vals, dict)
    assert base64.b64decode(r_vals["crlVals"][0]["val"]) == pki.crl.public_bytes(der)
    result = verify_document(sealed.encode(), VerifyOptions(trust_anchors=(pki.root.certificate,)))
    assert result.ok, result.as_dict()
    assert result.checks["REVOCATION"].status == "OK"
    assert result.checks["REVOCATION"].reason.startswith("embedded")


def test_b_lt_fetches_crl_from_distribution_point(
    pki: devpki.DevPki, server: DevServer, tsa: TsaClient
) -> None:
    now = datetime.now(UTC)
    issued = devpki.issue_seal_certificate(
        pki.root,
        organisation="EDCBRIDGE TEST CDP",
        organisation_identifier="NTRBE-TEST0006",
        country="BE",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        crl_url=f"{server.base_url}/root.crl",
    )
    seal_key = keys.SealKey(issued.key, issued.certificate, (pki.root.certificate,))
    sealer = Sealer(seal_key, tsa=tsa)
    assert sealer.level == Level.B_LTA  # CRL reachable at the distribution point
    result = verify_document(sealer.seal(PAYLOAD).encode())
    assert result.checks["REVOCATION"].status == "OK"
    b_b = Sealer(seal_key).seal(PAYLOAD).encode()
    assert verify_document(b_b).checks["REVOCATION"].status == "SKIPPED"
    # B-B carries no CA certificate: the issuer must come from the trust anchors.
    orphan = verify_document(b_b, VerifyOptions(fetch_revocation=True))
    assert orphan.checks["REVOCATION"].status == "SKIPPED"  # not trusted: nothing is fetched
    assert "issuer certificate is not available" in orphan.checks["REVOCATION"].reason
    anchors = (pki.root.certificate,)
    fetched = verify_document(b_b, VerifyOptions(fetch_revocation=True, trust_anchors=anchors))
    assert fetched.checks["REVOCATION"].status == "OK"
    assert fetched.checks["REVOCATION"].reason.startswith("fetched")


def test_revoked_certificate_is_not_sealed_at_b_lt(pki: devpki.DevPki, tsa: TsaClient) -> None:
    revoking = devpki.make_crl(pki.root, datetime.now(UTC), [pki.seal.certificate])
    with pytest.raises(RevocationError, match="revoked"):
        Sealer(_seal_key(pki), tsa=tsa, crls=[revoking])


def test_expired_certificate_after_timestamp_is_ok(pki: devpki.DevPki, tsa: TsaClient) -> None:
    sealed = Sealer(_seal_key(pki), tsa=tsa, level=Level.B_T).seal(PAYLOAD).encode()
    later = pki.seal.certificate.not_valid_after_utc + timedelta(days=1)
    result = verify_document(sealed, VerifyOptions(at=later))
    assert result.checks["EXPIRY"].status == "OK"
    assert "expired on" in result.checks["EXPIRY"].reason
    assert "proven by the signature timestamp" in result.checks["EXPIRY"].reason


def test_tampered_token_fails_timestamp(pki: devpki.DevPki, tsa: TsaClient) -> None:
    sealed = Sealer(_seal_key(pki), tsa=tsa, level=Level.B_T).seal(PAYLOAD)
    token = bytearray(_token(sealed))
    token[len(token) // 2] ^= 0x01
    entry = base64.urlsafe_b64encode(
        json.dumps({"sigTst": {"tstTokens": [{"val": base64.b64encode(token).decode()}]}}).encode()
    ).decode()
    doc = json.loads(sealed)
    doc["signatures"][0]["header"]["etsiU"] = [entry.rstrip("=")]
    result = verify_document(json.dumps(doc).encode())
    assert result.checks["SEAL"].status == "OK"  # the unprotected header is not signed
    assert result.checks["TIMESTAMP"].status == "ERROR"


def test_responder_rejects_weak_hash(pki: devpki.DevPki) -> None:
    authority = TimestampAuthority(pki.tsa_signer())
    request = tst.Request("sha1", b"\x00" * 20, 7, True)
    from asn1crypto import tsp  # type: ignore[import-untyped]

    der = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": request.hash_algorithm},
                "hashed_message": request.digest,
            },
            "nonce": request.nonce,
        }
    ).dump()
    with pytest.raises(TimestampError, match="refused the request: rejection"):
        tst.token_from_response(authority.respond(der), request.digest, 7, "local")


class _RelabellingAuthority:
    """A responder that keeps each request and answers with its imprint labelled *label*."""

    def __init__(self, pki: devpki.DevPki, label: str) -> None:
        self.signer, self.label, self.requests = pki.tsa_signer(), label, list[bytes]()

    def respond(self, body: bytes) -> bytes:
        self.requests.append(body)
        request = dataclasses.replace(tst.parse_request(body), hash_algorithm=self.label)
        return tsa_server.build_response(request, self.signer, datetime.now(UTC).replace(microsecond=0), 1)


@pytest.mark.parametrize("label", ["sha1", "sha512"])
def test_a_token_naming_another_imprint_hash_than_requested_is_refused(
        pki: devpki.DevPki, label: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """We ask for a SHA-256 imprint (as `openssl ts` reads the request); a token that calls its
    imprint SHA-1 (or anything else) is not what was asked for, and is never put in a seal."""
    monkeypatch.setitem(tsa_server._HASH_OIDS, "sha1", "1.3.14.3.2.26")
    authority = _RelabellingAuthority(pki, label)
    with DevServer(authority) as server:  # type: ignore[arg-type]
        client = TsaClient(server.tsa_url, timeout=5)
        with pytest.raises(TimestampError, match=f"names the imprint hash {label}, not the sha256 requested"):
            Sealer(_seal_key(pki), tsa=client, level=Level.B_T).seal(PAYLOAD)
    (tmp_path / "request.tsq").write_bytes(authority.requests[0])
    command = [need_tool("openssl"), "ts", "-query", "-in", str(tmp_path / "request.tsq"), "-text"]
    shown = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    assert "Hash Algorithm: sha256" in shown, shown


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_tsa_down_is_one_clear_error(pki: devpki.DevPki) -> None:
    client = TsaClient(f"http://127.0.0.1:{_free_port()}/tsa", timeout=2)
    sealer = Sealer(_seal_key(pki), tsa=client, level=Level.B_T)
    with pytest.raises(TimestampError, match="cannot reach timestamp authority"):
        sealer.seal(PAYLOAD)


def _tsa_failure(pki: devpki.DevPki, url: str) -> str:
    with pytest.raises(TimestampError) as failed:
        Sealer(_seal_key(pki), tsa=TsaClient(url, timeout=5), level=Level.B_T).seal(PAYLOAD)
    return str(failed.value)


def test_a_tsa_whose_certificate_is_not_trusted_gets_the_ca_bundle_advice(
        pki: devpki.DevPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy inspecting TLS, say: the setting named makes the certificate trusted."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    cert_file, key_file = self_signed(tmp_path)
    with https_server(tmp_path, (cert_file, key_file)) as url:
        untrusted = _tsa_failure(pki, f"{url}/tsa")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
        trusted = _tsa_failure(pki, f"{url}/tsa")  # reached: a file server answers no POST
    assert "TLS certificate could not be verified" in untrusted
    assert "point REQUESTS_CA_BUNDLE at the proxy's CA certificate" in untrusted
    assert "--tsa URL" in untrusted and "seal at level B-B" in untrusted
    assert "answered HTTP 501" in trusted and "TLS" not in trusted


def test_a_tsa_url_naming_a_plain_http_server_is_not_blamed_on_a_certificate(
        pki: devpki.DevPki, tmp_path: Path) -> None:
    with https_server(tmp_path, None) as url:
        message = _tsa_failure(pki, f"{url}/tsa")
    assert "the server does not speak TLS at that address" in message
    assert "check the --tsa URL (http:// for an authority without TLS, and its port)" in message
    assert "REQUESTS_CA_BUNDLE" not in message and "certificate" not in message


def test_a_tsa_refusing_the_connection_names_the_proxy_variables_not_a_certificate(
        pki: devpki.DevPki) -> None:
    message = _tsa_failure(pki, f"http://127.0.0.1:{closed_port()}/tsa")
    assert "the connection was refused" in message
    assert message.endswith(": check the network connection and the proxy variables (HTTPS_PROXY, "
                            "HTTP_PROXY, NO_PROXY) and the --tsa URL, or seal at level B-B")
    assert "REQUESTS_CA_BUNDLE" not in message


def test_a_tsa_behind_a_proxy_that_does_not_answer_names_the_proxy_and_its_variable(
        pki: devpki.DevPki, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = silent_proxy(monkeypatch, "HTTPS_PROXY")
    message = _tsa_failure(pki, "https://tsa.invalid/tsa")
    assert f"the proxy {proxy} (set by HTTPS_PROXY) did not answer or refused the connection" in message
    assert "check HTTPS_PROXY, or add the host to NO_PROXY" in message and "seal at level B-B" in message
    assert "s3cret" not in message


class _Fixed(BaseHTTPRequestHandler):
    status = 200
    body = b"<html>this is not a timestamp</html>"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(params=[200, 500])
def garbage_url(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (_Fixed,), {"status": request.param})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/tsa"
    httpd.shutdown()
    httpd.server_close()


def test_tsa_garbage_is_one_clear_error(pki: devpki.DevPki, garbage_url: str) -> None:
    sealer = Sealer(_seal_key(pki), tsa=TsaClient(garbage_url, timeout=5), level=Level.B_T)
    with pytest.raises(TimestampError, match=r"not an RFC 3161 response|HTTP 500"):
        sealer.seal(PAYLOAD)


def _with_etsiu(sealed: str, *entries: dict[str, object]) -> bytes:
    doc = json.loads(sealed)
    header = doc["signatures"][0].setdefault("header", {"etsiU": []})
    for entry in entries:
        encoded = base64.urlsafe_b64encode(json.dumps(entry).encode()).rstrip(b"=").decode()
        header["etsiU"].append(encoded)
    return json.dumps(doc).encode()


def test_embedded_crl_listing_the_seal_fails_revocation(pki: devpki.DevPki, tsa: TsaClient) -> None:
    sealed = Sealer(_seal_key(pki), tsa=tsa, level=Level.B_T).seal(PAYLOAD)
    der = serialization.Encoding.DER
    root = base64.b64encode(pki.root.certificate.public_bytes(der)).decode()
    x_vals: dict[str, object] = {"xVals": [{"x509Cert": {"val": root}}]}

    def r_vals(crl: x509.CertificateRevocationList) -> dict[str, object]:
        return {"rVals": {"crlVals": [{"val": base64.b64encode(crl.public_bytes(der)).decode()}]}}

    good = verify_document(_with_etsiu(sealed, x_vals, r_vals(pki.crl)))
    assert good.checks["REVOCATION"].status == "OK", good.checks["REVOCATION"].reason
    revoking = devpki.make_crl(pki.root, datetime.now(UTC), [pki.seal.certificate])
    bad = verify_document(_with_etsiu(sealed, x_vals, r_vals(revoking)))
    assert bad.checks["REVOCATION"].status == "ERROR"
    assert "revoked on" in bad.checks["REVOCATION"].reason
    stale = devpki.make_crl(pki.root, datetime.now(UTC) - timedelta(days=40), days=1)
    old = verify_document(_with_etsiu(sealed, x_vals, r_vals(stale)))
    assert old.checks["REVOCATION"].status == "ERROR"
    assert "out of date" in old.checks["REVOCATION"].reason


def test_b_lta_is_the_default_with_tsa_and_crl(pki: devpki.DevPki, tsa: TsaClient) -> None:
    sealer = Sealer(_seal_key(pki), tsa=tsa, crls=[pki.crl])
    assert sealer.level == Level.B_LTA
    sealed = sealer.seal(PAYLOAD)
    names = [next(iter(entry)) for entry in _entries(sealed)]
    assert names == ["sigTst", "xVals", "rVals", "arcTst"]
    result = verify_document(sealed.encode(), VerifyOptions(trust_anchors=(pki.root.certificate,)))
    assert result.ok, result.as_dict()
    assert "archive timestamp" in result.checks["TIMESTAMP"].reason


def test_archive_timestamp_covers_validation_data(pki: devpki.DevPki, tsa: TsaClient) -> None:
    """Swapping the embedded CRL for another valid one leaves SEAL intact but breaks arcTst."""
    sealed = Sealer(_seal_key(pki), tsa=tsa, crls=[pki.crl]).seal(PAYLOAD)
    doc = json.loads(sealed)
    etsiu = doc["signatures"][0]["header"]["etsiU"]
    other = devpki.make_crl(pki.root, datetime.now(UTC))
    der = other.public_bytes(serialization.Encoding.DER)
    replacement = {"rVals": {"crlVals": [{"val": base64.b64encode(der).decode()}]}}
    etsiu[2] = base64.urlsafe_b64encode(json.dumps(replacement).encode()).rstrip(b"=").decode()
    result = verify_document(json.dumps(doc).encode())
    assert result.checks["SEAL"].status == "OK"
    assert result.checks["REVOCATION"].status == "OK"
    assert result.checks["TIMESTAMP"].status == "ERROR"
    assert result.checks["TIMESTAMP"].reason.startswith("archive timestamp:")


def _entries(sealed: str) -> list[dict[str, object]]:
    encoded = json.loads(sealed)["signatures"][0]["header"]["etsiU"]
    return [json.loads(base64.urlsafe_b64decode(e + "=" * (-len(e) % 4))) for e in encoded]


def test_a_proxy_set_in_both_cases_is_named_as_python_reads_it(pki: devpki.DevPki,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's proxy lookup, which requests uses, lets the lower-case variable win."""
    upper = silent_proxy(monkeypatch, "HTTPS_PROXY")
    port = closed_port()
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    message = _tsa_failure(pki, "https://tsa.invalid/tsa")
    assert f"the proxy http://127.0.0.1:{port} (set by https_proxy)" in message
    assert upper not in message


def test_an_empty_lower_case_proxy_variable_leaves_the_upper_case_one_unread(
        pki: devpki.DevPki, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty https_proxy turns HTTPS_PROXY off for Python: ALL_PROXY is the proxy used."""
    silent_proxy(monkeypatch, "HTTPS_PROXY")
    monkeypatch.setenv("https_proxy", "")
    port = closed_port()
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{port}")
    message = _tsa_failure(pki, "https://tsa.invalid/tsa")
    assert f"the proxy http://127.0.0.1:{port} (set by ALL_PROXY)" in message


@pytest.mark.parametrize(("asked", "expected"), [
    ("other-data", "covers other data than requested"), ("other-nonce", "does not echo the request nonce")])
def test_an_answer_to_another_request_says_what_to_do(pki: devpki.DevPki, asked: str, expected: str) -> None:
    digest, nonce = hashlib.sha256(b"sealed").digest(), 7
    answered = tst.Request("sha256", hashlib.sha256(b"other").digest() if asked == "other-data" else digest,
                           nonce + 1 if asked == "other-nonce" else nonce, True)
    reply = tsa_server.build_response(answered, pki.tsa_signer(), datetime.now(UTC), 1)
    with pytest.raises(TimestampError) as caught:
        tst.token_from_response(reply, digest, nonce, "http://tsa.example/tsa")
    assert expected in str(caught.value)
    assert str(caught.value).endswith("check the --tsa URL, prefer an https one, or use another --tsa")
