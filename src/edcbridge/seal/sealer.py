"""Seal credential JSON text as JAdES (B-B, B-T or B-LT), key loaded once per run."""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypedDict, Unpack

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from edcbridge.output import json_string
from edcbridge.seal import jades, keys, revocation
from edcbridge.seal.certs import CertificateReport, check_can_seal, der_b64, describe, fingerprint
from edcbridge.seal.errors import CertificateRevoked, RevocationError, SealError, SealFormatError
from edcbridge.seal.tsa import TsaClient
from edcbridge.seal.tst import Timestamp


class Level(StrEnum):
    """JAdES baseline levels; each adds to the one before."""

    B_B = "B-B"
    B_T = "B-T"  # + sigTst: signature timestamp
    B_LT = "B-LT"  # + xVals, rVals: certificates and revocation data
    B_LTA = "B-LTA"  # + arcTst: archive timestamp over all of the above


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class IssuerIdentity:
    """The sealing organisation as its certificate names it; the credential issuer must match."""

    legal_name: str
    organisation_identifier: str
    country: str


def certificate_identity(certificate: x509.Certificate) -> IssuerIdentity:
    """The organisation a certificate names; empty strings for what it leaves out."""
    report = describe(certificate)
    return IssuerIdentity(report.organisation_name or "", report.organisation_identifier or "",
                          report.country or "")


# letters that are no base letter and an accent, so that NFKD keeps them, as a plain ASCII
# certificate writes them ("Politechnika Łódzka" is "POLITECHNIKA LODZKA")
_PLAIN_LETTERS = str.maketrans({"ł": "l", "ø": "o", "ı": "i", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                                "œ": "oe", "ħ": "h", "ŧ": "t", "ŀ": "l", "ĸ": "k", "ŋ": "n"})


def plain_name(name: str) -> str:
    """An organisation name as names are compared: without case, accents and punctuation
    (certificates are often in capitals and plain ASCII: "Velocert OÜ" is "VELOCERT OU")."""
    letters = unicodedata.normalize("NFKD", name.casefold()).translate(_PLAIN_LETTERS)
    letters = "".join(c for c in letters if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", letters).split())


def legal_names(issuer: dict[str, Any]) -> list[tuple[str, str]]:
    """Each legal name (language, name) an issuer object gives, in the order written."""
    given = issuer.get("legalName")
    if not isinstance(given, dict):
        return []
    return [(str(language), str(name).strip()) for language, values in given.items()
            for name in (values if isinstance(values, list) else [values])]


def issuer_names(doc: dict[str, Any], certificate_name: str) -> list[tuple[str, str]]:
    """The legal names of the issuer a credential gives as an object, those that are not the
    certificate's organisation *certificate_name* first (the ones a reader must weigh)."""
    issuer = doc.get("issuer")
    if isinstance(issuer, list) and len(issuer) == 1:  # the same graph as the object itself
        issuer = issuer[0]
    named = legal_names(issuer) if isinstance(issuer, dict) else []
    return sorted(named, key=lambda given: plain_name(given[1]) == plain_name(certificate_name))


class SealerOptions(TypedDict, total=False):
    """The constructor's keyword options, shared by the loaders."""

    algorithm: str | None
    level: Level | None
    tsa: TsaClient | None
    crls: Sequence[x509.CertificateRevocationList]
    fetch_revocation: bool
    clock: Callable[[], datetime]


class Sealer:
    """Seals payload texts with one key; build it once per batch.

    The level defaults to the highest the configured services allow (see ``best_level``;
    B-LTA is what the EC's issuer produces).
    """

    def __init__(
        self,
        key: keys.SealKey,
        *,
        algorithm: str | None = "RS256",  # None: the one the key signs with (jades.algorithm_for)
        level: Level | None = None,
        tsa: TsaClient | None = None,
        crls: Sequence[x509.CertificateRevocationList] = (),
        fetch_revocation: bool = True,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if algorithm is None:
            algorithm = jades.algorithm_for(key.private_key)
        jades.check_algorithm(algorithm, key.private_key)
        self.key = key
        self._intermediates = key.intermediates  # the chain is fixed: work it out once
        self.algorithm = algorithm
        self.tsa = tsa
        self.clock = clock
        self._crl_input = tuple(crls)
        self._fetch = fetch_revocation
        self._r_vals: tuple[dict[str, list[dict[str, str]]], datetime] | None = None  # and until when
        self._header: tuple[datetime, str] | None = None  # the last signing time and its header
        self.level = level or self._best_level()
        if self.level != Level.B_B and tsa is None:
            raise SealError(f"level {self.level} needs a timestamp authority: pass --tsa URL")
        check_can_seal(key.certificate, clock())
        if self.level in (Level.B_LT, Level.B_LTA):
            self._revocation_data()  # fail at start of the run, not at the first credential

    def _best_level(self) -> Level:
        return best_level(self.key.certificate, tsa=self.tsa is not None, crls=bool(self._crl_input),
                          fetch=self._fetch)

    @classmethod
    def from_p12(cls, path: Path, password: bytes, **options: Unpack[SealerOptions]) -> Sealer:
        """Load a PKCS#12 seal once; options as for the constructor."""
        clock = options.get("clock", utc_now)
        return cls(keys.load_p12(path, password, at=clock()), **options)

    @classmethod
    def from_pem(cls, key_path: Path, cert_path: Path, password: bytes | None,
                 **options: Unpack[SealerOptions]) -> Sealer:
        """Load a PEM key and its certificate chain once; options as for the constructor."""
        clock = options.get("clock", utc_now)
        return cls(keys.load_pem(key_path, cert_path, password, at=clock()), **options)

    def issuer_identity(self) -> IssuerIdentity:
        report = self.certificate_report()
        missing = [
            name
            for name, value in (
                ("organizationName (O)", report.organisation_name),
                ("organizationIdentifier", report.organisation_identifier),
                ("countryName (C)", report.country),
            )
            if not value
        ]
        if missing:
            raise SealError(
                f"seal certificate '{report.subject}' lacks {', '.join(missing)}: "
                "an e-seal certificate for credentials must name the organisation"
            )
        return IssuerIdentity(
            str(report.organisation_name), str(report.organisation_identifier), str(report.country)
        )

    def certificate_report(self) -> CertificateReport:
        return describe(self.key.certificate)

    def seal(self, payload_text: str) -> str:
        """Return the sealed JSON text; *payload_text* is signed byte for byte."""
        try:
            credential = json.loads(payload_text)
        except json.JSONDecodeError as exc:
            raise SealFormatError(f"payload is not JSON: {exc}") from exc
        if not isinstance(credential, dict):
            raise SealFormatError("payload must be a JSON object (one credential)")
        return self.seal_serialised(payload_text.encode("utf-8")).decode("utf-8")

    def seal_serialised(self, payload: bytes, as_string: bytes | None = None) -> bytes:
        """Seal UTF-8 JSON that edcbridge serialised from a credential (a JSON object by
        construction, so not parsed again); returns the sealed JSON bytes. ``as_string``: the
        payload as the sealed file writes it, inside a JSON string, when the caller has it
        (see ``output.sealing_payload``)."""
        signing_time = self.clock()
        protected_b64 = self._protected(signing_time)
        signature = jades.sign(self.key.private_key, self.algorithm,
                               protected_b64.encode("ascii") + b"." + payload)
        signature_b64 = jades.b64url(signature)
        if as_string is None:
            as_string = json_string(payload.decode("utf-8"))
        etsiu = self._etsiu(payload, protected_b64, signature_b64, signing_time)
        return jades.serialise_string(as_string, protected_b64, signature_b64, etsiu)

    def _protected(self, signing_time: datetime) -> str:
        """The encoded protected header for a signing time; the same within one second."""
        cached = self._header
        if cached is not None and cached[0] == signing_time:
            return cached[1]
        check_can_seal(self.key.certificate, signing_time)
        header = jades.protected_header(
            self.key.certificate, self._intermediates, self.algorithm, signing_time
        )
        protected_b64 = jades.b64url(jades.encode_json(header).encode("utf-8"))
        self._header = (signing_time, protected_b64)
        return protected_b64

    def _etsiu(self, payload: bytes, protected_b64: str, signature_b64: str,
               signing_time: datetime) -> list[str]:
        if self.level == Level.B_B or self.tsa is None:
            return []
        long_term = self.level in (Level.B_LT, Level.B_LTA)
        r_vals = self._revocation_data() if long_term else {}
        stamp = self.tsa.timestamp(signature_b64.encode("ascii"))
        _check_clocks(stamp, signing_time, self.tsa.url)
        entries = [jades.etsiu_entry({"sigTst": _tst_tokens(stamp)})]
        if long_term:
            certs = _unique([*self.key.chain, *stamp.certificates, stamp.tsa_certificate])
            entries.append(jades.etsiu_entry({"xVals": [{"x509Cert": {"val": der_b64(c)}} for c in certs]}))
            entries.append(jades.etsiu_entry({"rVals": r_vals}))
        if self.level == Level.B_LTA:
            data = jades.archive_timestamp_input(payload.decode("utf-8"), protected_b64, signature_b64,
                                                 entries)
            entries.append(jades.etsiu_entry({"arcTst": _tst_tokens(self.tsa.timestamp(data))}))
        return entries

    def _revocation_data(self) -> dict[str, list[dict[str, str]]]:
        """The rVals of the seal certificate, fetched once per run and reused while current:
        the CRLs given; else a "good" answer of its OCSP responder; else its CRLs."""
        now = self.clock()
        if self._r_vals is not None and now <= self._r_vals[1]:
            return self._r_vals[0]
        certificate, chain = self.key.certificate, self.key.chain
        if self._fetch and not self._crl_input and revocation.ocsp_urls(certificate):
            try:
                answer, until = revocation.ocsp_for_seal(certificate, chain, at=now)
            except CertificateRevoked:
                raise  # a signed "revoked" is final: a CRL not yet updated must not overrule it
            except RevocationError:  # no answer: the CRLs may give one
                if not revocation.crl_urls(certificate):
                    raise
            else:
                self._r_vals = ({"ocspVals": [{"val": _b64(answer)}]}, until)
                return self._r_vals[0]
        crls = revocation.crls_for_seal(certificate, chain, self._crl_input, fetch=self._fetch, at=now)
        updates = [c.next_update_utc for c in crls if c.next_update_utc is not None]
        until = min(updates) if updates else now + revocation.MAX_AGE_WITHOUT_NEXT_UPDATE
        self._r_vals = ({"crlVals": [{"val": _b64(c.public_bytes(serialization.Encoding.DER))}
                                     for c in crls]}, until)
        return self._r_vals[0]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


CLOCK_SKEW = timedelta(minutes=5)  # what verifiers allow between the signing time and a timestamp


def _check_clocks(stamp: Timestamp, signing_time: datetime, tsa_url: str) -> None:
    """Refuse a seal whose timestamp and signing time disagree by more than verifiers allow: it
    would fail the ordering check (timestamp before the signing time) or be from the future."""
    if abs(stamp.gen_time - signing_time) > CLOCK_SKEW:
        raise SealError(f"the timestamp authority {tsa_url} gives the time "
                        f"{stamp.gen_time:%Y-%m-%dT%H:%M:%SZ} and this machine's clock "
                        f"{signing_time:%Y-%m-%dT%H:%M:%SZ}: verifiers would "
                        "refuse the seal; check this machine's clock (NTP), or use another --tsa")


def best_level(certificate: x509.Certificate, *, tsa: bool, crls: bool, fetch: bool) -> Level:
    """The highest level the services allow: B-LTA with a TSA and revocation data (CRLs
    given, or an OCSP responder or CRL the certificate names, when fetching), B-T with a TSA
    only, else B-B."""
    if not tsa:
        return Level.B_B
    named = bool(revocation.crl_urls(certificate) or revocation.ocsp_urls(certificate))
    return Level.B_LTA if crls or (fetch and named) else Level.B_T


def _tst_tokens(stamp: Timestamp) -> dict[str, list[dict[str, str]]]:
    return {"tstTokens": [{"val": base64.b64encode(stamp.token).decode("ascii")}]}


def _unique(certs: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    result = []
    for cert in certs:
        fp = fingerprint(cert)
        if fp not in seen:
            seen.add(fp)
            result.append(cert)
    return result
