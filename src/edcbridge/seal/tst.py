"""RFC 3161 timestamp requests, responses and tokens (the only asn1crypto importer).

A token is verified for what JAdES needs: the CMS signature of the timestamp authority over
the TSTInfo, the imprint of the timestamped data, and a signer certificate meant for
timestamping that was valid at the time it states. A token whose signature holds but was made
with SHA-1, or over a SHA-1 imprint, is a :class:`WeakTimestamp`: it proves no time, and a
verifier sets it aside.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, tsp  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from edcbridge.seal import _der
from edcbridge.seal.certs import unreadable_problem, validity_problem
from edcbridge.seal.errors import TimestampError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha1": hashes.SHA1,
}
# Imprints prove what was timestamped: only collision-resistant SHA-2 hashes can. A SHA-1 imprint
# is read too, for the token to be set aside as a WeakTimestamp rather than called broken.
_IMPRINT_HASHES = ("sha224", "sha256", "sha384", "sha512")
# Hashes a token's signature may be checked with but that no longer make it proof of anything
_BROKEN_HASHES = {"sha1": "SHA-1"}


class WeakTimestamp(TimestampError):
    """A token whose signature holds, made with or over a hash broken for signatures (SHA-1):
    whoever can forge a collision can forge its time or what it timestamps, so it proves none.
    Verification sets it aside, as a token of an untrusted authority; sealing refuses it."""


SET_ASIDE = "the token is set aside, so the signing time is not proven (checked as at level B-B)"
"""What verification says after a :class:`WeakTimestamp`'s reason."""


@dataclass(frozen=True)
class Timestamp:
    """A verified timestamp token."""

    token: bytes
    gen_time: datetime
    serial_number: int
    policy: str
    tsa_certificate: x509.Certificate
    certificates: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class Request:
    """The parts of a TimeStampReq a responder needs."""

    hash_algorithm: str
    digest: bytes
    nonce: int | None
    cert_req: bool


def new_nonce() -> int:
    return secrets.randbits(63)


REQUEST_HASH = "sha256"
"""The imprint hash of every timestamp requested: never SHA-1, which makes a WeakTimestamp."""


def build_request(digest: bytes, nonce: int) -> bytes:
    """DER TimeStampReq for a SHA-256 *digest*, asking for the TSA certificate."""
    return bytes(
        tsp.TimeStampReq(
            {
                "version": 1,
                "message_imprint": {
                    "hash_algorithm": {"algorithm": REQUEST_HASH},
                    "hashed_message": digest,
                },
                "nonce": nonce,
                "cert_req": True,
            }
        ).dump()
    )


def parse_request(data: bytes) -> Request:
    try:
        req = tsp.TimeStampReq.load(data)
        imprint = req["message_imprint"]
        return Request(
            hash_algorithm=str(imprint["hash_algorithm"]["algorithm"].native),
            digest=bytes(imprint["hashed_message"].native),
            nonce=req["nonce"].native,
            cert_req=bool(req["cert_req"].native),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError(f"not a DER TimeStampReq: {exc}") from exc


def token_from_response(body: bytes, digest: bytes, nonce: int, source: str,
                        hash_algorithm: str = REQUEST_HASH) -> bytes:
    """Extract the token from a TimeStampResp, checking status, imprint (*digest*, hashed with
    *hash_algorithm*) and nonce."""
    try:
        tag, content, end = _der.read(body)
        if tag != _der.SEQUENCE or end != len(body):
            raise ValueError("not one DER SEQUENCE")
        _, _, status_end = _der.read(content)
        status_info = tsp.PKIStatusInfo.load(content[:status_end])
        status = status_info["status"].native
        if status not in ("granted", "granted_with_mods"):
            text = status_info["status_string"].native or []
            failure = status_info["fail_info"].native or []
            raise TimestampError(
                f"timestamp authority {source} refused the request: {status} "
                f"{' '.join(text)} {' '.join(sorted(failure))}".strip()
            )
        if status_end == len(content):
            raise TimestampError(f"timestamp authority {source} granted but sent no token")
        _, _, token_end = _der.read(content, status_end)
        token_der = content[status_end:token_end]
        info = _tst_info(cms.ContentInfo.load(token_der))
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError(
            f"timestamp authority {source} answered with something that is not an RFC 3161 "
            f"response ({exc}); check the --tsa URL"
        ) from exc
    if bytes(info["message_imprint"]["hashed_message"].native) != digest:
        raise TimestampError(f"timestamp from {source} covers other data than requested{_NOT_OURS}")
    algorithm = info["message_imprint"]["hash_algorithm"]["algorithm"].native
    if algorithm != hash_algorithm:
        raise TimestampError(f"timestamp from {source} names the imprint hash {algorithm}, not the "
                             f"{hash_algorithm} requested; use another --tsa")
    if info["nonce"].native != nonce:
        raise TimestampError(f"timestamp from {source} does not echo the request nonce{_NOT_OURS}")
    return token_der


# An answer to another request: the authority mixes them up, or something on the way (a cache,
# or anyone on the path of a plain http authority) answers for it.
_NOT_OURS = (": the answer is not to this request (the authority, or a cache or anyone on the way to a "
             "plain http authority, answered another); check the --tsa URL, prefer an https one, or use "
             "another --tsa")


def _tst_info(content_info: cms.ContentInfo) -> tsp.TSTInfo:
    if content_info["content_type"].native != "signed_data":
        raise ValueError("token is not CMS SignedData")
    encap = content_info["content"]["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        raise ValueError("token does not hold a TSTInfo")
    return encap["content"].parsed


def _check_signature(
    signer: x509.Certificate, signer_info: cms.SignerInfo, signed: bytes, hash_name: str
) -> None:
    algo = signer_info["signature_algorithm"]
    signature = bytes(signer_info["signature"].native)
    digest = _HASHES[hash_name]()
    key = signer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if algo.signature_algo == "rsassa_pss":
                params = algo["parameters"]
                pss_name = params["hash_algorithm"]["algorithm"].native
                if pss_name not in _HASHES:
                    raise TimestampError(f"timestamp token uses unsupported PSS hash {pss_name}")
                pss_hash = _HASHES[pss_name]()
                pad: padding.AsymmetricPadding = padding.PSS(
                    mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native
                )
                key.verify(signature, signed, pad, pss_hash)
            else:
                key.verify(signature, signed, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(digest))
        else:
            raise TimestampError("unsupported timestamp signer key type")
    except InvalidSignature as exc:
        raise TimestampError("the timestamp authority's signature over the token is invalid") from exc


def _check_signing_certificate(attrs: dict[str, object], signer: x509.Certificate) -> None:
    der = signer.public_bytes(serialization.Encoding.DER)
    if "signing_certificate_v2" in attrs:
        value = attrs["signing_certificate_v2"]
        first = value["certs"][0]  # type: ignore[index]
        name = first["hash_algorithm"]["algorithm"].native
        if name not in _HASHES:
            raise TimestampError(f"token's signing-certificate attribute uses unsupported hash {name}")
        expected = hashlib.new(name, der).digest()
        actual = bytes(first["cert_hash"].native)
    elif "signing_certificate" in attrs:
        first = attrs["signing_certificate"]["certs"][0]  # type: ignore[index]
        expected, actual = hashlib.sha1(der).digest(), bytes(first["cert_hash"].native)
    else:
        raise TimestampError("token lacks the ESS signing-certificate attribute (RFC 3161 §2.4.1)")
    if expected != actual:
        raise TimestampError("token's signing-certificate attribute names another certificate")


@dataclass(frozen=True)
class _RawToken:
    """Byte-exact pieces of a token's SignedData, cut without re-encoding."""

    certificates: list[bytes]
    signer_issuer: bytes | None
    signer_serial: int | None
    signer_key_id: bytes | None
    signed_attrs: bytes


def _split(token: bytes) -> _RawToken:
    """Walk ContentInfo / SignedData / SignerInfo with the DER reader.

    asn1crypto re-encodes values it has parsed when asked for their bytes, which is slow
    and may differ from what was signed, so the signed bytes are taken from the token itself.
    """
    _, content_info, _ = _der.read(token)
    explicit = next(c for t, c in _der.children(content_info) if t == 0xA0)
    _, signed_data, _ = _der.read(explicit)
    members = list(_der.children(signed_data))
    certs = [
        _der.tlv(tag, value)
        for t, c in members
        if t == 0xA0
        for tag, value in _der.children(c)
        if tag == _der.SEQUENCE
    ]
    signer_infos = [c for t, c in members if t == _der.SET][-1]
    _, signer_info, _ = _der.read(signer_infos)
    parts = list(_der.children(signer_info))
    sid_tag, sid = parts[1]
    issuer = serial = key_id = None
    if sid_tag == _der.SEQUENCE:
        name, number = list(_der.children(sid))[:2]
        issuer = _der.tlv(*name)
        serial = int.from_bytes(number[1], "big", signed=True)
    else:
        key_id = sid
    attrs = [c for t, c in parts if t == 0xA0]
    return _RawToken(certs, issuer, serial, key_id, _der.tlv(_der.SET, attrs[0]) if attrs else b"")


def _names_signer(raw: _RawToken, cert: x509.Certificate) -> bool:
    """Whether *cert* is the one the SignerInfo's sid names (issuer and serial, or key id)."""
    if raw.signer_serial is not None:
        return cert.serial_number == raw.signer_serial and cert.issuer.public_bytes() == raw.signer_issuer
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return False
    return raw.signer_key_id is not None and ski.digest == raw.signer_key_id


# Signer candidates examined at most: the certificate set of a token is not signed, so
# certificates added to it must not make verification spin.
MAX_SIGNER_CANDIDATES = 20


def _find_signer(
    raw: _RawToken, pool: list[x509.Certificate], check: Callable[[x509.Certificate], None]
) -> x509.Certificate:
    """The certificate that signed the token: of the readable certificates the sid names, the
    first that *check* (signature, then ESS signing-certificate binding) accepts. The token's
    certificate set is not covered by the signature, so a certificate added there (unreadable,
    or a decoy with the signer's issuer and serial number) is passed over, not fatal."""
    failure: TimestampError | None = None
    tried = 0
    for cert in dict.fromkeys(pool):  # each certificate once, in order
        if unreadable_problem(cert) is not None or not _names_signer(raw, cert):
            continue
        tried += 1
        if tried > MAX_SIGNER_CANDIDATES:
            break
        try:
            check(cert)
        except TimestampError as exc:
            failure = failure or exc
            continue
        except _UNREADABLE as exc:  # a key of a kind or shape that cannot be used
            failure = failure or TimestampError(f"the timestamp signer certificate cannot be used: {exc}")
            continue
        return cert
    raise failure or TimestampError("the timestamp signer certificate is not in the token")


# What asn1crypto and cryptography raise on malformed DER, often only when a value is used.
_UNREADABLE = (
    ValueError, TypeError, KeyError, IndexError, AttributeError, UnsupportedAlgorithm,
    x509.InvalidVersion,
)


def _loadable(ders: list[bytes]) -> list[x509.Certificate]:
    """The certificates of the token's (unsigned) certificate set that can be read in full;
    the others are left out, as for the unsigned xVals of a seal."""
    certs = []
    for der in ders:
        try:
            cert = x509.load_der_x509_certificate(der)
        except (ValueError, x509.InvalidVersion):
            continue
        if unreadable_problem(cert) is None:
            certs.append(cert)
    return certs


def verify_token(token: bytes, digest: bytes, extra_certs: tuple[x509.Certificate, ...] = ()) -> Timestamp:
    """Verify *token* as a timestamp over data whose hash is *digest*.

    *digest* is compared against the imprint, so the caller hashes the timestamped data with
    the algorithm named in the token; use :func:`imprint_algorithm` to learn it. A malformed
    token is a TimestampError wherever parsing trips, since asn1crypto parses lazily.
    """
    try:
        return _verify_token(token, digest, extra_certs)
    except _UNREADABLE as exc:
        raise TimestampError(f"timestamp token is not a readable RFC 3161 token: {exc}") from exc


def _verify_token(token: bytes, digest: bytes, extra_certs: tuple[x509.Certificate, ...]) -> Timestamp:
    try:
        raw = _split(token)
        content_info = cms.ContentInfo.load(token)
        info = _tst_info(content_info)
        signed_data = content_info["content"]
        econtent = bytes(signed_data["encap_content_info"]["content"].contents)
        pool = _loadable(raw.certificates)
        signer_info = signed_data["signer_infos"][0]
        hash_name = signer_info["digest_algorithm"]["algorithm"].native
        signed_attrs = signer_info["signed_attrs"]
        attrs = {a["type"].native: a["values"][0] for a in signed_attrs}
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise TimestampError(f"timestamp token is not a readable RFC 3161 token: {exc}") from exc
    if hash_name not in _HASHES:
        raise TimestampError(f"timestamp token uses unsupported digest {hash_name}")
    if bytes(info["message_imprint"]["hashed_message"].native) != digest:
        raise TimestampError("its imprint does not match the timestamped data")
    if not signed_attrs.native:
        raise TimestampError("timestamp token has no signed attributes")
    if attrs.get("content_type") is None or attrs["content_type"].native != "tst_info":
        raise TimestampError("timestamp token's content-type attribute is not TSTInfo")
    if bytes(attrs["message_digest"].native) != hashlib.new(hash_name, econtent).digest():
        raise TimestampError("timestamp token's message digest does not match its TSTInfo")

    def check(candidate: x509.Certificate) -> None:
        _check_signature(candidate, signer_info, raw.signed_attrs, hash_name)
        _check_signing_certificate(attrs, candidate)

    signer = _find_signer(raw, [*pool, *extra_certs], check)
    gen_time: datetime = info["gen_time"].native
    usage_problem = _usage_problem(signer)
    if usage_problem:
        raise TimestampError(f"timestamp signer '{signer.subject.rfc4514_string()}' {usage_problem}")
    problem = validity_problem(signer, gen_time)
    if problem:
        raise TimestampError(
            f"timestamp signer '{signer.subject.rfc4514_string()}' {problem} "
            f"(token time {gen_time.isoformat()})"
        )
    weak = _weak_hash(signer_info)
    if weak:
        raise WeakTimestamp(
            f"the timestamp authority '{signer.subject.rfc4514_string()}' signed the token with {weak}, "
            "which current EU cryptographic guidance no longer accepts for signatures: use a timestamp "
            "authority that signs with SHA-256 or stronger"
        )
    weak_imprint = _BROKEN_HASHES.get(str(info["message_imprint"]["hash_algorithm"]["algorithm"].native))
    if weak_imprint:
        raise WeakTimestamp(
            f"the token of '{signer.subject.rfc4514_string()}' timestamps a {weak_imprint} imprint of the "
            "data, which current EU cryptographic guidance no longer accepts: another document with the "
            "same imprint can be forged; timestamp with a SHA-256 (or stronger) imprint"
        )
    return Timestamp(
        token=token,
        gen_time=gen_time,
        serial_number=int(info["serial_number"].native),
        policy=str(info["policy"].native),
        tsa_certificate=signer,
        certificates=tuple(pool),
    )


def _weak_hash(signer_info: cms.SignerInfo) -> str | None:
    """The broken hash the SignerInfo's digest or signature algorithm names (its ``digestAlgorithm``,
    or the hash of ``sha1WithRSAEncryption``, ``ecdsa-with-SHA1`` or RSASSA-PSS), else None."""
    names = [signer_info["digest_algorithm"]["algorithm"].native]
    with contextlib.suppress(ValueError):  # rsaEncryption: the digestAlgorithm alone names the hash
        names.append(signer_info["signature_algorithm"].hash_algo)
    return next((_BROKEN_HASHES[n] for n in names if n in _BROKEN_HASHES), None)


def _usage_problem(signer: x509.Certificate) -> str | None:
    """Why the certificate may not sign timestamps: RFC 3161 2.3 requires an extended key usage
    extension holding id-kp-timeStamping only, and critical (as `openssl ts -verify` does)."""
    try:
        extension = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return "lacks the timeStamping usage"
    purposes = list(extension.value)
    if ExtendedKeyUsageOID.TIME_STAMPING not in purposes:
        return "lacks the timeStamping usage"
    if set(purposes) != {ExtendedKeyUsageOID.TIME_STAMPING}:
        others = ", ".join(p.dotted_string for p in purposes if p != ExtendedKeyUsageOID.TIME_STAMPING)
        return f"has extended key usages besides timeStamping ({others}); RFC 3161 2.3 allows only that one"
    if not extension.critical:
        return "has a timeStamping extended key usage that is not critical, as RFC 3161 2.3 requires"
    return None


def imprint_algorithm(token: bytes) -> str:
    """Hash algorithm name (hashlib spelling) of the token's message imprint: SHA-2, or SHA-1
    (which :func:`verify_token` then reports as a :class:`WeakTimestamp`)."""
    try:
        info = _tst_info(cms.ContentInfo.load(token))
        name = str(info["message_imprint"]["hash_algorithm"]["algorithm"].native)
    except _UNREADABLE as exc:
        raise TimestampError(f"timestamp token is not a readable RFC 3161 token: {exc}") from exc
    if name not in _IMPRINT_HASHES and name not in _BROKEN_HASHES:
        raise TimestampError(
            f"timestamp imprint uses {name}; only SHA-2 ({', '.join(_IMPRINT_HASHES)}) is accepted"
        )
    return name


def build_rejection(reason: str, failure: str) -> bytes:
    """A TimeStampResp with status rejection and a PKIFailureInfo bit such as 'bad_alg'."""
    status = tsp.PKIStatusInfo({"status": "rejection", "status_string": [reason], "fail_info": {failure}})
    # asn1crypto models timeStampToken as mandatory; RFC 3161 omits it on rejection.
    return _der.sequence(bytes(status.dump()))
