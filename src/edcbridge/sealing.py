"""Sealing inside the export run: the seal loaded once per worker, the issuer checked first.

The issuer written into every credential must be the organisation the seal certificate
names (legal name, organisation identifier as the eIDAS identifier, country), as the EC's
issuer requires.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edcbridge import vocab
from edcbridge.model import Catalogue, Organisation
from edcbridge.schemas import SchemaStore
from edcbridge.seal import IssuerIdentity, Level, Sealer, TsaClient, generate_test_seal
from edcbridge.seal.errors import PasswordError, SealError
from edcbridge.seal.sealer import legal_names, plain_name
from edcbridge.seal.tsa import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from edcbridge.seal.verify import Check


@dataclass(frozen=True)
class SealFactory:
    """Picklable recipe for a :class:`Sealer`, so each worker process loads the key once."""

    p12: Path
    password: bytes
    level: str | None = None
    tsa_url: str | None = None
    algorithm: str | None = None  # None: RS256 for an RSA seal, ES256/ES384/ES512 for EC P-256/P-384/P-521
    tsa_timeout: float = DEFAULT_TIMEOUT  # seconds for each answer of the timestamp authority

    # revocation data in a run: none given, the certificate's own fetched (load and identity)
    FETCH_REVOCATION = True

    def load(self) -> Sealer:
        tsa = TsaClient(self.tsa_url, timeout=self.tsa_timeout) if self.tsa_url else None
        try:
            return Sealer.from_p12(self.p12, self.password, algorithm=self.algorithm,
                                   level=Level(self.level) if self.level else None, tsa=tsa,
                                   fetch_revocation=self.FETCH_REVOCATION)
        except PasswordError as exc:
            if self.password:
                raise
            raise PasswordError(f"{exc} (the password given is empty: is the password file "
                                "empty?)") from exc

    @property
    def asks_tsa(self) -> bool:
        """Whether each seal waits for a timestamp authority (B-T and above; B-B asks none)."""
        return bool(self.tsa_url) and self.level != Level.B_B

    def identity(self) -> str:
        """The seal as it decides the sealed files: certificate, level, timestamp authority and
        algorithm (a run with another seal redoes the records sealed with this one)."""
        from edcbridge.seal import load_p12
        from edcbridge.seal.certs import fingerprint
        from edcbridge.seal.jades import algorithm_for
        from edcbridge.seal.sealer import best_level, utc_now

        key = load_p12(self.p12, self.password, at=utc_now())
        certificate = key.certificate
        algorithm = self.algorithm or algorithm_for(key.private_key)
        level = Level(self.level) if self.level else best_level(
            certificate, tsa=bool(self.tsa_url), crls=False, fetch=self.FETCH_REVOCATION)
        tsa = (self.tsa_url or "").rstrip("/") if level != Level.B_B else ""  # B-B asks no TSA
        return f"seal={fingerprint(certificate).hex()},level={level},tsa={tsa},alg={algorithm}"

    def __call__(self) -> Callable[[bytes, bytes], bytes]:
        """Seals the credential bytes edcbridge serialised, given also as a JSON string holds
        them (see ``Sealer.seal_serialised``)."""
        return self.load().seal_serialised

    def xades(self) -> Any:
        """An XAdES sealer for EDC XML with the same key and timestamp authority."""
        from edcbridge.xml.export import load_xades_sealer

        return load_xades_sealer(self.p12, password=self.password, tsa_url=self.tsa_url,
                                 tsa_timeout=self.tsa_timeout)


def issuer_mismatches(identity: IssuerIdentity, catalogue: Catalogue, issuer_key: str) -> list[str]:
    """How the catalogue's issuer differs from the organisation in the seal certificate."""
    org = catalogue.organisation(issuer_key)
    problems = []
    names = {name.strip() for name in org.legal_name.values()}
    if not _names_agree(identity.legal_name, names):
        problems.append(f"legal name: certificate says {identity.legal_name!r}, catalogue says "
                        f"{' / '.join(sorted(names))}")
    if _identifier(org.eidas_identifier or "") != _identifier(identity.organisation_identifier):
        problems.append(f"eIDAS identifier: certificate says {identity.organisation_identifier!r}, "
                        f"catalogue says {org.eidas_identifier!r}")
    country = vocab.concept("country", org.country).code.upper()
    if country != identity.country.upper():
        problems.append(f"country: certificate says {identity.country}, catalogue says {country}")
    return problems


def issuer_refusal(identity: IssuerIdentity, catalogue: Catalogue, issuer_key: str) -> str | None:
    """Why a seal must not vouch for an issuer of the catalogue (None when it is the seal's
    own organisation), in the words every sealing command uses."""
    problems = issuer_mismatches(identity, catalogue, issuer_key)
    if not problems:
        return None
    who = "the catalogue's issuer" if issuer_key == catalogue.issuer else f"the award's issuer {issuer_key!r}"
    return f"{who} is not the organisation in the seal certificate: " + "; ".join(problems)


def check_issuer(factory: SealFactory, catalogue: Catalogue) -> None:
    """Load the seal once in the main process and refuse a run whose issuer does not match."""
    refusal = issuer_refusal(factory.load().issuer_identity(), catalogue, catalogue.issuer)
    if refusal:
        raise SealError(refusal)


def credential_issuer_mismatch(certificate: Callable[[], IssuerIdentity], text: str) -> str | None:
    """How an EDC's issuer differs from the organisation in the seal certificate (asked for
    only when the text names an issuer). None when they agree, or the text is no JSON object."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return issuer_mismatch(certificate, doc) if isinstance(doc, dict) else None


def issuer_mismatch(certificate: Callable[[], IssuerIdentity], doc: dict[str, Any]) -> str | None:
    """:func:`credential_issuer_mismatch` of a credential already read. The legal names must
    agree (apart from case, accents and punctuation: "Velocert OÜ" is "VELOCERT OU"), and the
    eIDAS identifiers too when the credential gives one. Every name counts, as a reader may be
    shown any: a name in another language than the certificate's is the organisation's only when
    the eIDAS identifier ties the issuer to the certificate, otherwise it is named (a seal's own
    name beside a famous one does not pass the famous one off as the sealer's). An issuer named
    only by reference (a string) is left to the shapes, which require the organisation itself."""
    if "issuer" not in doc:
        return None
    issuer = doc["issuer"]
    if isinstance(issuer, list) and len(issuer) == 1:  # the same graph as the object itself
        issuer = issuer[0]
    if isinstance(issuer, str):
        return None
    if not isinstance(issuer, dict) or not isinstance(issuer.get("legalName"), dict):
        return "the credential's issuer cannot be read, so it cannot be compared with the certificate"
    named = legal_names(issuer)
    names = {name for _, name in named}
    eidas = issuer.get("eIDASIdentifier")
    notation = str(eidas.get("notation") or "") if isinstance(eidas, dict) else ""
    identity = certificate()
    problems = []
    tied = bool(notation) and _identifier(notation) == _identifier(identity.organisation_identifier)
    if notation and not tied:
        problems.append(f"the issuer's eIDAS identifier is {notation!r}, the certificate's "
                        f"{identity.organisation_identifier!r}")
    unmatched = [(language, name) for language, name in named
                 if not _names_agree(identity.legal_name, {name})]
    if not _names_agree(identity.legal_name, names):
        problems.append(f"the issuer is {' / '.join(sorted(names))}, the certificate's organisation "
                        f"{identity.legal_name!r}")
    elif unmatched and not tied:
        also = ", ".join(f"{name!r} ({language})" for language, name in unmatched)
        problems.append(f"the issuer is also named {also}: not the certificate's organisation "
                        f"{identity.legal_name!r}, and no eIDAS identifier ties the issuer to it")
    return "; ".join(problems) or None


_SEMANTICS = re.compile(r"^[A-Z]{3}[A-Z]{2}[-:](.+)$")  # ETSI EN 319 412-1, e.g. NTREE-17207834


def _identifier(value: str) -> str:
    """An organisation identifier without the certificate's type and country prefix."""
    value = value.strip().upper()
    found = _SEMANTICS.match(value)
    return found.group(1) if found else value


def same_organisation(first: Organisation, second: Organisation) -> bool:
    """Two catalogue organisations are one: by eIDAS identifier when both have one, else by
    a legal name they share, apart from case, accents and punctuation."""
    if first.eidas_identifier and second.eidas_identifier:
        return _identifier(first.eidas_identifier) == _identifier(second.eidas_identifier)
    names = {plain_name(name) for name in first.legal_name.values()}
    return any(plain_name(name) in names for name in second.legal_name.values())


def _names_agree(certificate_name: str, names: set[str]) -> bool:
    """Equal once case, accents and punctuation are set aside (certificates are often in
    capitals and plain ASCII)."""
    return plain_name(certificate_name) in {plain_name(name) for name in names}


def check_timestamp_authority(factory: SealFactory) -> None:
    """Ask the timestamp authority once before the run: one clear error instead of one per
    record when it cannot be reached (raises TimestampError)."""
    if factory.tsa_url and factory.level != Level.B_B.value:  # B-B uses no timestamp
        client = TsaClient(factory.tsa_url, timeout=factory.tsa_timeout)
        try:
            client.timestamp(b"edcbridge: is the timestamp authority answering?")
        finally:
            client.close()


def issuer_identity(catalogue: Catalogue) -> IssuerIdentity:
    """The organisation a seal certificate for the catalogue's issuer must name."""
    org = catalogue.organisation(catalogue.issuer)
    name = org.legal_name.get("en") or next(iter(org.legal_name.values()))
    country = vocab.concept("country", org.country).code.upper()
    return IssuerIdentity(name, org.eidas_identifier or "", country)


def demo_seal(folder: Path, catalogue: Catalogue) -> SealFactory:
    """A generated, clearly marked TEST seal for the catalogue's issuer (kept between runs)."""
    p12 = folder / "seal.p12"
    password_file = folder / "seal-password.txt"
    if not (p12.is_file() and password_file.is_file()):
        issuer = issuer_identity(catalogue)
        generated = generate_test_seal(folder, organisation=issuer.legal_name,
                                       organisation_identifier=issuer.organisation_identifier,
                                       country=issuer.country)
        p12, password_file = generated.p12, generated.password_file
    return SealFactory(p12, password_file.read_text("utf-8").strip().encode("utf-8"))


def xml_format_check(store: SchemaStore) -> Callable[[bytes, str], Check]:
    """The FORMAT check ``verify`` runs on an XML credential: the official XSD its schemaLocation
    names, as validate-xml checks it; SKIPPED, saying how to install them, when the schema store
    lacks the XML schemas."""
    from edcbridge.schemas import SchemaStoreError
    from edcbridge.seal.verify import Check
    from edcbridge.xml.cli import validate_xml_bytes

    def check(data: bytes, source: str) -> Check:
        missing = store.missing("xml")
        if missing:
            return Check("SKIPPED", f"not checked: the schema store {store.root} lacks {len(missing)} XML "
                                    "schema files; run 'edcbridge schemas install --from DIR' or "
                                    "'--download', or 'edcbridge validate-xml' once they are there")
        try:
            report = validate_xml_bytes(data, source, store)
        except SchemaStoreError as exc:
            return Check("SKIPPED", f"not checked: {exc}")
        errors = [f for f in report.findings if f.severity == "error"]
        if errors:
            first = errors[0]
            return Check("ERROR", f"{len(errors)} violation(s) of the official XSD; first: {first.where}: "
                                  f"{first.message}")
        return Check("OK", "conforms to the official XSD")

    return check


def format_check(store: SchemaStore) -> Callable[[dict[str, Any]], tuple[str, str]]:
    """The FORMAT check of ``verify``: the official shapes named by ``credentialSchema``."""
    from edcbridge.validation import validate_credential

    def check(doc: dict[str, Any]) -> tuple[str, str]:
        report = validate_credential(doc, store, annex1=None)
        errors = [f for f in report.findings if f.severity == "error" and not f.code.startswith("lint.")]
        if errors:
            return "ERROR", f"{len(errors)} violation(s); first: {errors[0].where}: {errors[0].message}"
        # edcbridge's own lints (e.g. a term the contexts drop) are said, not held against the issuer
        lints = [f for f in report.findings if f.code.startswith("lint.") and f.severity != "info"]
        noted = f"; {len(lints)} lint note(s), first: {lints[0].where}: {lints[0].message}" if lints else ""
        against = "the EBSI EDC JSON Schema" if "ebsi-json-schema" in report.checks else "the official shapes"
        return "OK", f"conforms to {against}{noted}"

    return check
