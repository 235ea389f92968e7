"""OCSP answers as an attacker or a broken responder would give them: revoked against a
fresh CRL, expired or unauthorised responders, unknown algorithms, slow or huge bodies,
redirects, untrusted seals, conflicting and future answers, unsigned junk in rVals."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from edcbridge.seal import devpki, jades, keys, revocation
from edcbridge.seal.errors import CertificateRevoked, RevocationError
from edcbridge.seal.sealer import Sealer
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tsa_server import DevServer, TimestampAuthority
from edcbridge.seal.verify import VerifyOptions, verify_document
from tests.fake_http import FakeServer, Reply, Request

NOW = datetime.now(UTC).replace(microsecond=0)
DER = serialization.Encoding.DER
PAYLOAD = '{"id": "urn:credential:ocsp-hardening", "type": ["VerifiableCredential"]}'


def _leaf(root: devpki.Issued, ocsp_url: str | None = None, crl_url: str | None = None) -> devpki.IssuedSeal:
    return devpki.issue_seal_certificate(
        root, organisation="EDCBRIDGE TEST OCSP", organisation_identifier="NTRBE-TEST0021", country="BE",
        not_before=NOW - timedelta(days=30), not_after=NOW + timedelta(days=300),
        ocsp_url=ocsp_url, crl_url=crl_url)


def _responder(root: devpki.Issued, *, days_left: int, ocsp_signing: bool = True) -> devpki.Issued:
    key = devpki.new_key()
    name = x509.Name.from_rfc4514_string("CN=EDCBRIDGE TEST OCSP responder,O=EDCBRIDGE TEST PKI,C=BE")
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(root.certificate.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=400))
               .not_valid_after(NOW + timedelta(days=days_left)))
    if ocsp_signing:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)
    builder = builder.add_extension(x509.OCSPNoCheck(), False)  # as responder certificates carry it
    return devpki.Issued(key, builder.sign(root.key, hashes.SHA256()))


def _answer(root: devpki.Issued, cert: x509.Certificate, *, signer: devpki.Issued | None = None,
            status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD, this_update: datetime | None = None,
            produced_by_key: bool = True) -> bytes:
    signer = signer or root
    this_update = this_update or NOW - timedelta(minutes=10)

    def add(builder: ocsp.OCSPResponseBuilder, state: ocsp.OCSPCertStatus) -> ocsp.OCSPResponseBuilder:
        revoked = state == ocsp.OCSPCertStatus.REVOKED
        return builder.add_response(
            cert=cert, issuer=root.certificate, algorithm=hashes.SHA1(), cert_status=state,
            this_update=this_update, next_update=this_update + timedelta(days=1),
            revocation_time=NOW - timedelta(days=1) if revoked else None, revocation_reason=None)

    builder = add(ocsp.OCSPResponseBuilder(), status)
    encoding = ocsp.OCSPResponderEncoding.HASH if produced_by_key else ocsp.OCSPResponderEncoding.NAME
    builder = builder.responder_id(encoding, signer.certificate)
    if signer is not root:
        builder = builder.certificates([signer.certificate])
    return builder.sign(signer.key, hashes.SHA256()).public_bytes(DER)


def _finding(pki: devpki.DevPki, leaf: devpki.IssuedSeal, answer: bytes) -> revocation.Finding | None:
    return revocation.ocsp_finding(answer, leaf.certificate, pki.root.certificate, [], NOW)


def test_revoked_by_ocsp_stops_sealing_even_with_a_fresh_crl(pki: devpki.DevPki) -> None:
    revoked_answer: list[bytes] = []
    crl = _crl(pki.root)  # not updated yet: says good

    def app(request: Request) -> Reply:
        if request.path == "/root.crl":
            return Reply(200, crl, "application/pkix-crl")
        return Reply(200, revoked_answer[0], "application/ocsp-response")

    server = FakeServer(app).start()
    try:
        leaf = _leaf(pki.root, f"{server.base_url}/ocsp", f"{server.base_url}/root.crl")
        revoked_answer.append(_answer(pki.root, leaf.certificate, status=ocsp.OCSPCertStatus.REVOKED))
        with DevServer(TimestampAuthority(pki.tsa_signer())) as tsa_server:
            tsa = TsaClient(tsa_server.tsa_url, timeout=5)
            with pytest.raises(CertificateRevoked, match=r"revoked .*\(OCSP\)"):
                Sealer(keys.SealKey(leaf.key, leaf.certificate, (pki.root.certificate,)), tsa=tsa)
            tsa.close()
    finally:
        server.stop()


def test_an_expired_delegated_responder_is_not_trusted(pki: devpki.DevPki) -> None:
    leaf = _leaf(pki.root)
    valid = _answer(pki.root, leaf.certificate, signer=_responder(pki.root, days_left=30))
    expired = _answer(pki.root, leaf.certificate, signer=_responder(pki.root, days_left=-2))
    unauthorised = _answer(pki.root, leaf.certificate,
                           signer=_responder(pki.root, days_left=30, ocsp_signing=False))
    assert (found := _finding(pki, leaf, valid)) is not None and found.good
    for answer in (expired, unauthorised):
        found = _finding(pki, leaf, answer)
        assert found is not None and not found.good
        assert "not signed by the issuer or by an OCSP responder it authorised" in found.reason


def test_a_responder_named_by_key_hash_is_found_whatever_its_key_identifier(pki: devpki.DevPki) -> None:
    """RFC 6960 byKey is SHA-1 of the key; a CA's SubjectKeyIdentifier may be computed otherwise."""
    key = devpki.new_key()
    name = x509.Name.from_rfc4514_string("CN=EDCBRIDGE TEST CA other SKI,O=EDCBRIDGE TEST PKI,C=BE")
    ca = devpki.Issued(key, x509.CertificateBuilder().subject_name(name).issuer_name(name)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
                       .add_extension(x509.SubjectKeyIdentifier(b"\x01" * 8), critical=False)
                       .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                       .sign(key, hashes.SHA256()))
    leaf = _leaf(ca)
    found = revocation.ocsp_finding(_answer(ca, leaf.certificate), leaf.certificate, ca.certificate, [], NOW)
    assert found is not None and found.good, found


def _patched(answer: bytes, old: bytes, new: bytes, *, last: bool) -> bytes:
    where = answer.rfind(old) if last else answer.find(old)
    assert where >= 0
    return answer[:where] + new + answer[where + len(old):]


def test_unknown_algorithms_are_answers_not_crashes(pki: devpki.DevPki) -> None:
    leaf = _leaf(pki.root)
    answer = _answer(pki.root, leaf.certificate)
    sha1 = bytes.fromhex("06052b0e03021a")  # the CertID's hash algorithm
    unknown_hash = _patched(answer, sha1, bytes.fromhex("06052b0e03021b"), last=False)
    assert _finding(pki, leaf, unknown_hash) is None  # not about the certificate as far as is known
    sha256_rsa = bytes.fromhex("06092a864886f70d01010b")  # the response's signature algorithm
    unknown_signature = _patched(answer, sha256_rsa, bytes.fromhex("06092a864886f70d01017f"), last=True)
    found = _finding(pki, leaf, unknown_signature)
    assert found is not None and not found.good and "algorithm not supported" in found.reason


def test_an_answer_from_the_future_is_not_current(pki: devpki.DevPki) -> None:
    leaf = _leaf(pki.root)
    future = _answer(pki.root, leaf.certificate, this_update=NOW + timedelta(days=30))
    found = _finding(pki, leaf, future)
    assert found is not None and not found.good and not found.current
    assert "is not valid before" in found.reason


@pytest.fixture(params=["body", "headers"])
def dripping(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server that sends a byte every half second: of its body, or of its headers already."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(10)
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            if request.param == "body":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n"
                                   b"Content-Length: 100000\r\n\r\n")
            else:
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.is_set():
                try:
                    connection.sendall(b"0")
                except OSError:
                    return
                time.sleep(0.5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    stop.set()
    listener.close()
    thread.join(timeout=5)


def test_a_dripping_responder_cannot_hold_the_verifier(pki: devpki.DevPki, dripping: str) -> None:
    leaf = _leaf(pki.root)
    started = time.monotonic()
    with pytest.raises(RevocationError, match=r"took longer than 1\.5 s"):
        revocation.fetch_ocsp(dripping, leaf.certificate, pki.root.certificate, timeout=1.5)
    assert time.monotonic() - started < 4


def test_crls_are_read_up_to_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeServer(lambda request: Reply(200, b"x" * 5000, "application/pkix-crl")).start()
    monkeypatch.setattr(revocation, "_MAX_CRL", 4096)
    try:
        with pytest.raises(RevocationError, match="sent more than 4096 bytes"):
            revocation.fetch_crl(f"{server.base_url}/big.crl", timeout=5)
    finally:
        server.stop()


def test_redirects_are_followed_a_few_times_only(pki: devpki.DevPki) -> None:
    seen: list[str] = []
    leaf = _leaf(pki.root)

    def app(request: Request) -> Reply:
        seen.append(request.path)
        if request.path == "/moved.crl":
            return Reply(301, b"", "text/plain", {"Location": "/root.crl"})
        if request.path == "/root.crl":
            return Reply(200, _crl(pki.root), "application/pkix-crl")
        return Reply(307, b"", "text/plain", {"Location": request.path + "x"})  # without end

    server = FakeServer(app).start()
    try:
        crl = revocation.fetch_crl(f"{server.base_url}/moved.crl", timeout=5)  # CAs move CRLs to CDNs
        assert crl.issuer == pki.root.certificate.subject
        with pytest.raises(RevocationError, match="redirected more than 3 times"):
            revocation.fetch_ocsp(f"{server.base_url}/ocsp", leaf.certificate, pki.root.certificate,
                                  timeout=5)
    finally:
        server.stop()
    assert seen[:2] == ["/moved.crl", "/root.crl"] and len(seen) == 2 + 4  # 1 + 3 redirects


def _crl(root: devpki.Issued) -> bytes:
    return (x509.CertificateRevocationListBuilder().issuer_name(root.certificate.subject)
            .last_update(NOW - timedelta(hours=1)).next_update(NOW + timedelta(days=7))
            .sign(root.key, hashes.SHA256()).public_bytes(DER))


def test_an_untrusted_seal_makes_the_verifier_fetch_nothing(pki: devpki.DevPki) -> None:
    seen: list[str] = []
    server = FakeServer(lambda request: seen.append(request.path) or Reply(500, b"")).start()  # type: ignore[func-returns-value]
    try:
        leaf = _leaf(pki.root, f"{server.base_url}/ocsp", f"{server.base_url}/root.crl")
        seal_key = keys.SealKey(leaf.key, leaf.certificate, (pki.root.certificate,))
        doc = json.loads(Sealer(seal_key).seal(PAYLOAD))
        ca = {"x509Cert": {"val": base64.b64encode(pki.root.certificate.public_bytes(DER)).decode()}}
        doc["signatures"][0].setdefault("header", {}).setdefault("etsiU", []).append(
            jades.etsiu_entry({"xVals": [ca]}))  # the issuer at hand, as the signer may add it
        sealed = json.dumps(doc).encode()
        stranger = devpki.make_root_ca(NOW)
        for anchors in ((), (stranger.certificate,)):  # no anchor, or someone else's
            result = verify_document(sealed, VerifyOptions(trust_anchors=anchors, fetch_revocation=True,
                                                           timeout=5))
            assert "revocation not fetched: the seal does not chain to a trust anchor" in \
                result.checks["REVOCATION"].reason
    finally:
        server.stop()
    assert seen == []


def test_unsigned_junk_in_rvals_decides_nothing(pki: devpki.DevPki) -> None:
    leaf = _leaf(pki.root)
    seal_key = keys.SealKey(leaf.key, leaf.certificate, (pki.root.certificate,))
    doc = json.loads(Sealer(seal_key, clock=lambda: NOW - timedelta(minutes=5)).seal(PAYLOAD))
    good = base64.b64encode(_answer(pki.root, leaf.certificate)).decode()
    revoked = bytearray(_answer(pki.root, leaf.certificate, status=ocsp.OCSPCertStatus.REVOKED))
    revoked[-10] ^= 0xFF  # a "revoked" whose signature (the last bytes) no longer holds
    forged = bytes(revoked)
    r_vals = {"ocspVals": [{"val": "not base64 !"}, {"val": base64.b64encode(forged).decode()},
                           {"val": good}]}
    doc["signatures"][0].setdefault("header", {}).setdefault("etsiU", []).append(
        jades.etsiu_entry({"rVals": r_vals}))
    result = verify_document(json.dumps(doc).encode(), VerifyOptions(trust_anchors=(pki.root.certificate,)))
    check = result.checks["REVOCATION"]
    assert check.status == "OK", check.reason
    assert "good per OCSP response" in check.reason


def test_an_untrusted_seal_makes_the_verifier_fetch_no_status_list(pki: devpki.DevPki) -> None:
    seen: list[str] = []
    server = FakeServer(lambda request: seen.append(request.path) or Reply(500, b"")).start()  # type: ignore[func-returns-value]
    try:
        status = {"id": f"{server.base_url}/list#7", "type": "BitstringStatusListEntry",
                  "statusPurpose": "revocation", "statusListIndex": "7",
                  "statusListCredential": f"{server.base_url}/list"}
        credential = {"id": "urn:credential:status", "type": ["VerifiableCredential"],
                      "credentialStatus": status}
        leaf = _leaf(pki.root)
        sealed = Sealer(keys.SealKey(leaf.key, leaf.certificate, (pki.root.certificate,))).seal(
            json.dumps(credential)).encode()
        result = verify_document(sealed, VerifyOptions(fetch_revocation=True, timeout=5))
    finally:
        server.stop()
    assert seen == []
    assert "not fetched: the seal does not chain to a trust anchor" in result.checks["REVOCATION"].reason


def test_unsigned_junk_alone_changes_no_verdict(pki: devpki.DevPki) -> None:
    leaf = _leaf(pki.root)
    seal_key = keys.SealKey(leaf.key, leaf.certificate, (pki.root.certificate,))
    sealed = Sealer(seal_key, clock=lambda: NOW - timedelta(minutes=5)).seal(PAYLOAD)
    doc = json.loads(sealed)
    doc["signatures"][0].setdefault("header", {}).setdefault("etsiU", []).append(
        jades.etsiu_entry({"rVals": {"ocspVals": [{"val": "bm90IGFuIE9DU1AgYW5zd2Vy"}],
                                     "crlVals": [{"val": "not base64 !"}]}}))
    options = VerifyOptions(trust_anchors=(pki.root.certificate,))
    before = verify_document(sealed.encode(), options).checks["REVOCATION"]
    after = verify_document(json.dumps(doc).encode(), options).checks["REVOCATION"]
    assert before.status == after.status == "SKIPPED", after.reason
    assert "ignored in rVals: an unreadable CRL; unreadable OCSP response" in after.reason


def test_a_compressed_status_list_is_read_decoded(pki: devpki.DevPki) -> None:
    import gzip

    body = b'{"type": ["VerifiableCredential"]}' + b" " * 5000
    server = FakeServer(lambda request: Reply(200, gzip.compress(body), "application/json",
                                              {"Content-Encoding": "gzip"})).start()
    try:
        assert revocation.fetch_status_list(f"{server.base_url}/gz-list", timeout=5) == body
    finally:
        server.stop()


def test_a_fetch_given_up_leaves_no_thread_reading(pki: devpki.DevPki, dripping: str) -> None:
    leaf = _leaf(pki.root)
    with pytest.raises(RevocationError):
        revocation.fetch_ocsp(dripping, leaf.certificate, pki.root.certificate, timeout=1)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and any(t.name == "edcbridge-fetch" for t in threading.enumerate()):
        time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name == "edcbridge-fetch"]
