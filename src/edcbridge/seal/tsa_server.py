"""A small RFC 3161 timestamp authority over HTTP on 127.0.0.1, for tests and demos.

It also serves fixed files (a CRL, for instance) on GET, so one local server can stand in
for a certification authority's published services.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from edcbridge.seal import _der, tst
from edcbridge.seal.errors import TimestampError
from edcbridge.seal.tsa import QUERY_TYPE, REPLY_TYPE

_MAX_REQUEST = 64 * 1024


@dataclass(frozen=True)
class TokenSigner:
    """What a timestamp authority signs with."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    policy: str


_OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
_OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
_OID_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"
_OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
_OID_SHA256 = "2.16.840.1.101.3.4.2.1"
_OID_RSA = "1.2.840.113549.1.1.1"
_HASH_OIDS = {
    "sha256": _OID_SHA256,
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}


def _attribute(oid: str, value: bytes) -> bytes:
    return _der.sequence(_der.oid(oid), _der.set_of(value))


def build_response(
    request: tst.Request, signer: TokenSigner, gen_time: datetime, serial_number: int
) -> bytes:
    """A granted TimeStampResp holding a token signed with RSA PKCS#1 v1.5 / SHA-256.

    Assembled as DER directly: asn1crypto builds correct structures but re-encodes them
    many times over, which made the responder the slowest part of a local B-T seal.
    """
    cert_der = signer.certificate.public_bytes(serialization.Encoding.DER)
    econtent = _der.sequence(
        _der.integer(1),
        _der.oid(signer.policy),
        _der.sequence(
            _der.sequence(_der.oid(_HASH_OIDS[request.hash_algorithm])),
            _der.tlv(_der.OCTET_STRING, request.digest),
        ),
        _der.integer(serial_number),
        _der.generalized_time(gen_time),
        _der.sequence(_der.integer(1)),  # accuracy: 1 second
        *([_der.integer(request.nonce)] if request.nonce is not None else []),
    )
    cert_id = _der.sequence(_der.tlv(_der.OCTET_STRING, hashlib.sha256(cert_der).digest()))
    attrs_set = _der.set_of(
        _attribute(_OID_CONTENT_TYPE, _der.oid(_OID_TST_INFO)),
        _attribute(_OID_SIGNING_TIME, _der.utc_time(gen_time)),
        _attribute(_OID_MESSAGE_DIGEST, _der.tlv(_der.OCTET_STRING, hashlib.sha256(econtent).digest())),
        # ESSCertIDv2 with the default hash (SHA-256) left out, as DER requires.
        _attribute(_OID_SIGNING_CERT_V2, _der.sequence(_der.sequence(cert_id))),
    )
    signature = signer.key.sign(attrs_set, padding.PKCS1v15(), hashes.SHA256())
    sha256 = _der.sequence(_der.oid(_OID_SHA256))
    signer_info = _der.sequence(
        _der.integer(1),
        _der.sequence(
            signer.certificate.issuer.public_bytes(),
            _der.integer(signer.certificate.serial_number),
        ),
        sha256,
        _der.context(0, _der.read(attrs_set)[1]),
        _der.sequence(_der.oid(_OID_RSA), _der.NULL),
        _der.tlv(_der.OCTET_STRING, signature),
    )
    signed_data = _der.sequence(
        _der.integer(3),
        _der.set_of(sha256),
        _der.sequence(_der.oid(_OID_TST_INFO), _der.context(0, _der.tlv(_der.OCTET_STRING, econtent))),
        *([_der.context(0, cert_der)] if request.cert_req else []),
        _der.set_of(signer_info),
    )
    token = _der.sequence(_der.oid(_OID_SIGNED_DATA), _der.context(0, signed_data))
    return _der.sequence(_der.sequence(_der.integer(0)), token)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class TimestampAuthority:
    """Answers DER TimeStampReq bytes with DER TimeStampResp bytes."""

    def __init__(self, signer: TokenSigner, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.signer = signer
        self.clock = clock
        self._serial = secrets.randbits(62) << 16  # unique across restarts, increasing within one
        self._lock = threading.Lock()

    def respond(self, body: bytes) -> bytes:
        try:
            request = tst.parse_request(body)
        except TimestampError:
            return tst.build_rejection("request is not a DER TimeStampReq", "bad_data_format")
        if request.hash_algorithm not in ("sha256", "sha384", "sha512"):
            return tst.build_rejection(f"hash {request.hash_algorithm} not accepted", "bad_alg")
        with self._lock:
            self._serial += 1
            serial = self._serial
        return build_response(request, self.signer, self.clock(), serial)


class DevServer:
    """HTTP server on 127.0.0.1: POST /tsa timestamps, GET serves *files* by path."""

    def __init__(
        self,
        authority: TimestampAuthority | None = None,
        files: Mapping[str, bytes] | None = None,
    ) -> None:
        handler = _make_handler(authority, dict(files or {}))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/tsa"

    def start(self) -> DevServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _make_handler(
    authority: TimestampAuthority | None, files: dict[str, bytes]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1  # headers and body in one write: no delayed-ACK stall per request

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: tests read stderr."""

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            body = files.get(self.path)
            if body is None:
                self._send(404, b"not found", "text/plain")
            else:
                self._send(200, body, "application/octet-stream")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            if authority is None or self.path != "/tsa":
                self._send(404, b"not found", "text/plain")
            elif self.headers.get("Content-Type") != QUERY_TYPE:
                self._send(415, f"expected {QUERY_TYPE}".encode(), "text/plain")
            elif not 0 < length <= _MAX_REQUEST:
                self._send(413, b"request size out of range", "text/plain")
            else:
                self._send(200, authority.respond(self.rfile.read(length)), REPLY_TYPE)

    return Handler
