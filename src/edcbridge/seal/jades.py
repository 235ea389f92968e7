"""The JAdES JSON shape (ETSI TS 119 182-1) as the EC's issuer writes it.

Signing uses `cryptography` over a hand-built signing input, so the payload bytes are exactly
the text given. Verification goes through jwcrypto, a separate JWS implementation; this is the
only module that imports it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from jwcrypto import jwk, jws
from jwcrypto.common import JWException, JWSEHeaderParameter

from edcbridge.cut_json import CUT_CHARACTER, bytes_stop_line, incomplete_json, json_stop_line
from edcbridge.jws_compact import compact_jws
from edcbridge.output import compact_json, json_string, unreadable_json
from edcbridge.seal import jose_ec
from edcbridge.seal.certs import der_b64, fingerprint, issuer_serial, unreadable_problem
from edcbridge.seal.errors import CertificateError, IncompleteJson, SealFormatError
from edcbridge.seal.keys import SealPrivateKey
from edcbridge.unique_json import DuplicateMember, loads_unique

ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "ES512")
TYP = "jose+json"
CTY = "octet-stream"

# The JAdES header parameters this verifier implements, so may be critical: sigT (SEAL,
# EXPIRY), adoTst (TIMESTAMP) and the signing certificate references x5t#o and sigX5ts (SEAL).
# Others (sigD, srCms, sigPId...) change what a signature means; accepting them unread would
# claim checks that were never made.
_JADES_HEADERS = {
    name: JWSEHeaderParameter(description, False, True, None)
    for name, description in {
        "sigT": "JAdES claimed signing time",
        "adoTst": "JAdES all-data-objects timestamp",
        "x5t#o": "JAdES signing certificate digest",
        "sigX5ts": "JAdES signing certificate digests",
    }.items()
}
_CRITICAL_OK = ("b64", *_JADES_HEADERS)
# RFC 7515 4.1.11: names defined by RFC 7515 / JWA for JWS must not be listed in crit.
_REGISTERED = frozenset(
    {"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit"}
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SealFormatError(f"invalid base64url value '{text[:40]}'") from exc


_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def jwk_thumbprint(public_jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK (RSA, EC or OKP): SHA-256 of its required members,
    sorted, no spaces."""
    members = {name: public_jwk[name] for name in _THUMBPRINT_MEMBERS[public_jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return b64url(hashlib.sha256(canonical).digest())


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise SealFormatError(f"sigT '{text}' is not YYYY-MM-DDThh:mm:ssZ") from exc


_EC_ALGORITHMS = jose_ec.algorithms(*jose_ec.NIST)
_EC_ALGORITHM_OF_CURVE = {spec.curve_name: alg for alg, spec in _EC_ALGORITHMS.items()}
PublicSealKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def algorithm_for(key: SealPrivateKey) -> str:
    """The JAdES algorithm a seal's key signs with when none is asked for: RS256 for RSA (as
    the EC's issuer seals), the algorithm of the curve for EC (ES256, ES384, ES512)."""
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    alg = _EC_ALGORITHM_OF_CURVE.get(key.curve.name) if isinstance(key, ec.EllipticCurvePrivateKey) else None
    if alg is None:
        raise CertificateError("this seal's key has no JAdES algorithm here: use an RSA seal or an EC "
                               "seal on P-256, P-384 or P-521")
    return alg


def algorithm_key_problem(alg: str, key: PublicSealKey) -> str | None:
    """Why *key* cannot make or check *alg* signatures, or None: RS256 and PS256 need RSA, each
    ESxxx its own curve (RFC 7518 3.4), so a header cannot pick another hash than the key's."""
    spec = _EC_ALGORITHMS.get(alg)
    if spec is None:
        fits, needed = isinstance(key, rsa.RSAPublicKey), "an RSA key"
    else:
        fits = isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == spec.curve_name
        needed = f"an EC {spec.crv} key"
    return None if fits else f"{alg} needs {needed}; {_key_note(key)}"


def _key_note(key: PublicSealKey) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return "this key is RSA, use RS256"
    alg = _EC_ALGORITHM_OF_CURVE.get(key.curve.name)
    if alg is None:
        return f"this key is EC {key.curve.name}, which has no JAdES algorithm here"
    return f"this key is EC {_EC_ALGORITHMS[alg].crv}, use {alg}"


def check_algorithm(alg: str, key: SealPrivateKey) -> None:
    if alg not in ALGORITHMS:
        raise CertificateError(f"algorithm {alg} is not supported; use one of {', '.join(ALGORITHMS)}")
    problem = algorithm_key_problem(alg, key.public_key())
    if problem:
        raise CertificateError(problem)


def protected_header(
    cert: x509.Certificate,
    intermediates: tuple[x509.Certificate, ...],
    alg: str,
    signing_time: datetime,
) -> dict[str, Any]:
    """The JAdES-B-B protected header, in the EC issuer's member order."""
    return {
        "alg": alg,
        "cty": CTY,
        "kid": base64.b64encode(issuer_serial(cert)).decode("ascii"),
        "x5t#S256": b64url(fingerprint(cert)),
        "x5c": [der_b64(c) for c in (cert, *intermediates)],
        "typ": TYP,
        "b64": False,
        "sigT": format_time(signing_time),
        "crit": ["b64", "sigT"],
    }


# digAlg of x5t#o / sigX5ts: the JAdES identifiers, and the XML URIs older DSS versions wrote.
_CERT_DIGESTS = {
    "S256": "sha256", "S384": "sha384", "S512": "sha512",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
_CERT_REFERENCES = ("x5t#S256", "x5t#o", "sigX5ts")


def _digest_reference_problem(value: object, der: bytes, name: str) -> str | None:
    """Why a digAlg/digVal object does not name the certificate *der*, or None."""
    if not isinstance(value, dict) or not isinstance(value.get("digVal"), str):
        return f"{name} must be an object with digAlg and digVal"
    algorithm = _CERT_DIGESTS.get(str(value.get("digAlg")))
    if algorithm is None:
        return f"{name} uses the digest {value.get('digAlg')!r}; SHA-256, SHA-384 or SHA-512 is required"
    spelt = str(value["digVal"]).replace("+", "-").replace("/", "_").rstrip("=")  # base64 or base64url
    if not _BASE64URL.fullmatch(spelt) or b64url_decode(spelt) != hashlib.new(algorithm, der).digest():
        return f"{name} does not match the x5c certificate"
    return None


def certificate_reference_problem(protected: dict[str, Any], cert: x509.Certificate) -> str | None:
    """Why the signed header does not reference *cert* as the signing certificate, or None.

    JAdES baseline signatures carry x5t#S256, x5t#o or sigX5ts (TS 119 182-1, 5.1.7, 5.2.2,
    6.3): without one, x5c is unsigned as far as the signer's identity goes, and the EU DSS
    refuses the seal. Every reference present must name the x5c leaf (sigX5ts: its first).
    """
    present = [name for name in _CERT_REFERENCES if name in protected]
    if not present:
        return ("the protected header references no signing certificate (x5t#S256, x5t#o or sigX5ts): "
                "a JAdES baseline signature needs one (ETSI TS 119 182-1, 6.3)")
    der = cert.public_bytes(serialization.Encoding.DER)
    x5t = protected.get("x5t#S256")
    if "x5t#S256" in present and x5t != b64url(fingerprint(cert)):
        return "x5t#S256 does not match the x5c certificate"
    if "x5t#o" in present:
        problem = _digest_reference_problem(protected["x5t#o"], der, "x5t#o")
        if problem:
            return problem
    if "sigX5ts" in present:
        refs = protected["sigX5ts"]
        if not isinstance(refs, list) or not refs:
            return "sigX5ts must be a non-empty list of certificate digests"
        return _digest_reference_problem(refs[0], der, "sigX5ts[0]")
    return None


def encode_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def signing_input(protected_b64: str, payload: str) -> bytes:
    """RFC 7797 signing input for an unencoded payload."""
    return protected_b64.encode("ascii") + b"." + payload.encode("utf-8")


def sign(key: SealPrivateKey, alg: str, data: bytes) -> bytes:
    """JWS signature value (raw r||s for ESxxx); *alg* fits *key* (see check_algorithm)."""
    if isinstance(key, rsa.RSAPrivateKey):
        if alg == "PS256":
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
            return key.sign(data, pss, hashes.SHA256())
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return jose_ec.sign(key, _EC_ALGORITHMS[alg], data)


def archive_timestamp_input(
    payload: str, protected_b64: str, signature_b64: str, earlier_etsiu: list[str]
) -> bytes:
    """What `arcTst` timestamps (TS 119 182-1, 5.3.6.3.1.1, base64url etsiU).

    Payload (unencoded, as b64 is false), '.', protected header, '.', signature value, '.',
    then every etsiU entry before the archive timestamp, as written, without separators.
    """
    return b".".join(
        [
            payload.encode("utf-8"),
            protected_b64.encode("ascii"),
            signature_b64.encode("ascii"),
            "".join(earlier_etsiu).encode("ascii"),
        ]
    )


def etsiu_entry(value: dict[str, Any]) -> str:
    return b64url(encode_json(value).encode("utf-8"))


def serialise(payload: str, protected_b64: str, signature_b64: str, etsiu: list[str]) -> bytes:
    """JWS general JSON serialisation with the payload as a JSON string, UTF-8: what
    ``json.dumps(..., separators=(",", ":"), ensure_ascii=False)`` writes (a test holds orjson
    to that), several times faster."""
    return serialise_string(json_string(payload), protected_b64, signature_b64, etsiu)


def serialise_string(payload: bytes, protected_b64: str, signature_b64: str, etsiu: list[str]) -> bytes:
    """:func:`serialise` of a payload given as it is written inside its JSON string
    (``output.json_string``)."""
    signature: dict[str, Any] = {"protected": protected_b64}
    if etsiu:
        signature["header"] = {"etsiU": etsiu}
    signature["signature"] = signature_b64
    return b'{"payload":"' + payload + b'","signatures":' + compact_json([signature]) + b"}"


@dataclass(frozen=True)
class ParsedSeal:
    """One JAdES signature as found in a document; nothing here is verified yet."""

    text: str
    payload: str
    protected_b64: str
    protected: dict[str, Any]
    signature_b64: str
    etsiu: list[dict[str, Any]] = field(default_factory=list)
    # The etsiU entries as written (base64url), parallel to `etsiu`; None for clear JSON.
    etsiu_encoded: list[str | None] = field(default_factory=list)
    unprotected: dict[str, Any] = field(default_factory=dict)
    # Members no signature covers and a seal does not use: beside the payload, in the signature
    # object, in the unprotected header beside etsiU, etsiU entries that are no property (other
    # readers may show them as sealed)
    unsigned_members: list[str] = field(default_factory=list)

    def content(self) -> str:
        """The payload as text: as written when unencoded (b64 false), else decoded from base64url
        ('' when that fails)."""
        if self.protected.get("b64") is False:
            return self.payload
        try:
            return b64url_decode(self.payload).decode("utf-8")
        except (SealFormatError, UnicodeDecodeError):
            return ""

    def certificates(self) -> list[x509.Certificate]:
        """`x5c` certificates, leaf first."""
        x5c = self.protected.get("x5c")
        if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
            raise SealFormatError("protected header has no x5c certificate")
        try:
            certs = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in x5c]
        except (ValueError, binascii.Error, x509.InvalidVersion) as exc:
            raise SealFormatError(f"x5c holds an unreadable certificate: {exc}") from exc
        problem = next(filter(None, map(unreadable_problem, certs)), None)
        if problem:
            raise SealFormatError(f"x5c holds an unreadable certificate: {problem}")
        return certs

    def unsigned(self, name: str) -> list[Any]:
        """All values of the unsigned property *name* found in etsiU."""
        return [entry[name] for entry in self.etsiu if name in entry]


def _load_json(text: str | bytes, what: str) -> object:
    """json.loads with duplicate member names refused, and nesting too deep for Python
    (RecursionError) or an integer too long for it (more than 4,300 digits) as unreadable input."""
    try:
        return loads_unique(text)
    except DuplicateMember as exc:  # a seal read one way by us, another way by other readers
        raise SealFormatError(f"{exc}, so the seal is refused") from None
    except RecursionError as exc:
        raise SealFormatError(f"{what} is nested too deeply to read") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, SealFormatError):
        raise  # said by the caller: no JSON, no UTF-8
    except ValueError as exc:  # int_max_str_digits
        raise SealFormatError(f"{what} cannot be read: {unreadable_json(exc)}") from exc


# The first bytes of JSON in UTF-16 or UTF-32: a byte order mark, or a first character (a blank,
# '{' or '[') with NUL bytes beside it (JSON never holds U+0000 unescaped)
_WIDE_TEXT = re.compile(rb"\xff\xfe|\xfe\xff|\x00\x00\xfe\xff|\x00{1,3}[\t\n\r {\[]|[\t\n\r {\[]\x00")
# RFC 7515 appendix F: the JWS without the content it signs (no payload member, or an empty one)
_COMPACT_DETACHED = re.compile(r"[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+")
_DETACHED = ("the seal's payload is detached (RFC 7515 appendix F): the file holds a signature without the "
             "credential it signs, so there is nothing here to verify; ask the issuer for the sealed "
             "credential itself")
# what to do with a sealed file that reached the verifier in another encoding than UTF-8
_RE_ENCODE = ("a sealed JSON credential is UTF-8 (RFC 8259 8.1): ask for the file as the issuer sent it, "
              "or, when it was re-encoded on its way, save it as UTF-8 (iconv -t UTF-8)")


def parse(data: bytes) -> ParsedSeal:
    """Read a sealed document; a leading UTF-8 BOM of the file is skipped (editors add one),
    while the payload string is kept exactly as written, since it is what was signed."""
    if _WIDE_TEXT.match(data):
        raise SealFormatError(f"not UTF-8 text: it starts as UTF-16 or UTF-32 text does; {_RE_ENCODE}")
    try:
        text = data.decode("utf-8-sig")
        doc = _load_json(text, "document")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise SealFormatError("an XML document, not JAdES JSON: verify it with "
                                  "'edcbridge verify-xml'") from exc
        line = bytes_stop_line(data, exc) if isinstance(exc, UnicodeDecodeError) else None
        if isinstance(exc, UnicodeDecodeError) and line is None:
            where = data.count(b"\n", 0, exc.start) + 1
            raise SealFormatError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {where} is "
                                  f"not UTF-8): {_RE_ENCODE}") from None
        detail = CUT_CHARACTER
        compact = compact_jws(text) if isinstance(exc, json.JSONDecodeError) else None
        if isinstance(exc, json.JSONDecodeError) and _COMPACT_DETACHED.fullmatch(text.strip()):
            raise SealFormatError(_DETACHED) from None
        if compact is None and isinstance(exc, json.JSONDecodeError):
            line, detail = json_stop_line(text, exc), exc.msg
        if line is not None:
            raise IncompleteJson(f"not a JSON document: {incomplete_json(line, detail)}", line) from exc
        if compact is None:
            raise SealFormatError(f"not a JSON document: {exc}") from exc
        text, doc = text.strip(), compact  # jwcrypto reads the compact form as it is
    if isinstance(doc, dict) and "signature" in doc:
        doc = _as_general(doc)
    if isinstance(doc, dict) and "signatures" in doc and doc.get("payload", "") == "":
        raise SealFormatError(_DETACHED)
    if not isinstance(doc, dict) or "signatures" not in doc or "payload" not in doc:
        raise SealFormatError("not a JWS JSON serialisation (needs 'payload' and 'signatures', or "
                              "'signature' when flattened)")
    if "@context" in doc:
        raise SealFormatError("a JSON-LD credential (@context) sits beside the seal's payload: other "
                              "readers show that credential, not the sealed one, so the seal is refused")
    signatures = doc["signatures"]
    if not isinstance(signatures, list) or len(signatures) != 1:
        raise SealFormatError("expected exactly one signature in 'signatures'")
    sig = signatures[0]
    payload = doc["payload"]
    if not isinstance(sig, dict) or not isinstance(payload, str):
        raise SealFormatError("payload must be a string and the signature an object")
    try:
        payload.encode("utf-8")
    except UnicodeEncodeError:
        raise SealFormatError("the payload holds a lone surrogate (\\ud800-\\udfff): it is no UTF-8 text "
                              "and cannot have been signed") from None
    protected_b64, signature_b64 = sig.get("protected"), sig.get("signature")
    if not isinstance(protected_b64, str) or not isinstance(signature_b64, str):
        raise SealFormatError("signature needs 'protected' and 'signature' strings")
    for name, spelt in (("protected", protected_b64), ("signature", signature_b64)):
        if not _BASE64URL.fullmatch(spelt):  # one spelling per value, as RFC 7515 writes it
            raise SealFormatError(f"'{name}' is not unpadded base64url (RFC 7515 2): only A-Z, a-z, 0-9, "
                                  "'-' and '_' are allowed")
    try:
        protected = _load_json(b64url_decode(protected_b64), "protected header")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SealFormatError(f"protected header is not JSON: {exc}") from exc
    if not isinstance(protected, dict):
        raise SealFormatError("protected header is not a JSON object")
    header = sig.get("header", {})
    if not isinstance(header, dict):
        raise SealFormatError("the unprotected header is not a JSON object")
    etsiu_raw = header.get("etsiU", [])
    etsiu: list[dict[str, Any]] = []
    encoded: list[str | None] = []
    unread: list[str] = [] if isinstance(etsiu_raw, list) else ["an 'etsiU' that is not an array"]
    for index, entry in enumerate(etsiu_raw if isinstance(etsiu_raw, list) else []):
        value = _etsiu_value(entry)
        if isinstance(value, dict):
            etsiu.append(value)
            encoded.append(entry if isinstance(entry, str) else None)
        else:  # TS 119 182-1 5.3: each entry is one unsigned property, a JSON object
            unread.append(f"etsiU entry {index}, which cannot be read as a JSON object (base64url or clear)")
    unsigned = [*(f"'{name}' beside the payload" for name in doc if name not in ("payload", "signatures")),
                *(f"'{name}' in the signature object" for name in sig if name not in _SIGNATURE_MEMBERS),
                *(f"'{name}' in the unprotected header" for name in header if name != "etsiU"),
                *unread]
    return ParsedSeal(text, payload, protected_b64, protected, signature_b64, etsiu, encoded, header,
                      unsigned_members=unsigned)


_SIGNATURE_MEMBERS = ("protected", "header", "signature")


def _as_general(doc: dict[str, Any]) -> dict[str, Any]:
    """A flattened JWS JSON serialisation (RFC 7515 7.2.2) in the general one: its signature's
    members in the one entry of ``signatures``. Both at once are refused, as 7.2.2 asks."""
    if "signatures" in doc:
        raise SealFormatError("both 'signatures' (general serialisation) and 'signature' (flattened) "
                              "are present: which one is the seal is unclear, so it is refused")
    rest = {name: value for name, value in doc.items() if name not in _SIGNATURE_MEMBERS}
    return {**rest, "signatures": [{name: doc[name] for name in _SIGNATURE_MEMBERS if name in doc}]}


def _etsiu_value(entry: object) -> object:
    """etsiU entries are base64url JSON (EC issuer) or plain JSON objects (clear form)."""
    if isinstance(entry, dict):
        return entry
    if isinstance(entry, str):
        try:
            return _load_json(b64url_decode(entry), "etsiU entry")
        except (SealFormatError, UnicodeDecodeError, json.JSONDecodeError):
            return None
    return None


def _crit_problem(protected: dict[str, Any]) -> str | None:
    """Why `crit` is unacceptable (RFC 7515 4.1.11, RFC 7797 3), or None."""
    crit = protected.get("crit")
    if not isinstance(crit, list) or not crit or not all(isinstance(n, str) for n in crit):
        return "crit must be a non-empty list of header names"
    twice = sorted({n for n in crit if crit.count(n) > 1})
    if twice:
        return f"crit lists {', '.join(twice)} more than once (RFC 7515 4.1.11)"
    registered = [n for n in crit if n in _REGISTERED]
    if registered:
        return f"crit must not list the registered header {registered[0]} (RFC 7515 4.1.11)"
    absent = [n for n in crit if n not in protected]
    if absent:
        return f"crit lists {absent[0]}, which the protected header does not contain"
    unsupported = [n for n in crit if n not in _CRITICAL_OK]
    if unsupported:
        return (f"critical header {unsupported[0]} is not supported "
                f"(supported: {', '.join(_CRITICAL_OK)})")
    if "sigT" not in crit:
        return "crit must list sigT"
    if "b64" in protected and "b64" not in crit:
        return "crit must list b64 when the protected header sets it (RFC 7797 6)"
    return None


def _header_problem(seal: ParsedSeal) -> str | None:
    """Why the JOSE header is unacceptable before any signature maths, or None.

    jwcrypto reports these as a signature mismatch; saying the real reason helps the issuer.
    """
    alg = seal.protected.get("alg")
    if alg not in ALGORITHMS:
        return f"algorithm {alg!r} is not allowed (allowed: {', '.join(ALGORITHMS)})"
    both = sorted(set(seal.protected) & set(seal.unprotected))
    if both:
        return (f"header {both[0]} is in both the protected and the unprotected header "
                "(RFC 7515 7.2.1)")
    if "crit" in seal.unprotected:
        return "crit must be in the protected header"
    if seal.protected.get("b64", True) not in (True, False):
        return "b64 must be true or false (RFC 7797 3)"
    if "sigD" in seal.protected:
        return "sigD (detached signed data objects) is not supported: the seal may not cover the payload"
    return _crit_problem(seal.protected)


def _signature_size_problem(alg: str, signature_b64: str) -> str | None:
    """Why an ESxxx signature value is not the raw r||s of its curve (RFC 7518 3.4), or None:
    a DER value, or r and s padded to another length, is one more spelling of a signature."""
    spec = _EC_ALGORITHMS.get(alg)
    size = len(b64url_decode(signature_b64))
    if spec is None or size == 2 * spec.size:
        return None
    return f"an {alg} signature is r||s of {2 * spec.size} bytes, this one has {size}"


def verify_signature(seal: ParsedSeal, cert: x509.Certificate) -> str | None:
    """Check the JWS signature with jwcrypto; return None when valid, else the reason."""
    problem = _header_problem(seal)
    if problem:
        return problem
    try:
        public_key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return "the certificate's public key cannot be read"
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return f"certificate key type {type(public_key).__name__} is not supported"
    alg = str(seal.protected["alg"])
    mismatch = algorithm_key_problem(alg, public_key)
    if mismatch:
        return f"the header's algorithm does not fit the certificate's key: {mismatch}"
    problem = _signature_size_problem(alg, seal.signature_b64)
    if problem:
        return problem
    try:
        key = jwk.JWK.from_pyca(public_key)
        token = jws.JWS(header_registry=_JADES_HEADERS)
        token.allowed_algs = list(ALGORITHMS)
        token.deserialize(seal.text)
        token.verify(key, alg=alg)
    except jws.InvalidJWSSignature:
        return "signature does not match the payload and protected header"
    except (JWException, ValueError, TypeError, RecursionError) as exc:
        return f"signature could not be checked: {exc}"
    return None
