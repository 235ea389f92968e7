"""Write EDC XML credentials and LOQ documents: validated against the official XSD first.

An invalid document is reported, never written. Unsigned output is byte-identical for the
same input; a sealed one differs only in its signature (signing time, ids, signature value).
Layout: ``OUT/edc-xml/<issuer>_<award_id>.xml`` and ``OUT/loq/<issuer>.xml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from edcbridge.model import Award, Catalogue
from edcbridge.output import safe_name, write_atomic
from edcbridge.schemas import SchemaStore
from edcbridge.seal.errors import SealError
from edcbridge.seal.keys import load_p12, load_pem, read_password
from edcbridge.seal.sealer import certificate_identity
from edcbridge.seal.tsa import DEFAULT_TIMEOUT, TsaClient
from edcbridge.sealing import issuer_refusal
from edcbridge.validation.findings import Finding
from edcbridge.xml import LOQ_DIR, edc12, loq, xsd
from edcbridge.xml.xades import XadesSealer

XML_DIR = "edc-xml"


@dataclass
class XmlOutcome:
    award_id: str
    path: Path | None
    errors: list[Finding] = field(default_factory=list)
    losses: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.path is not None


def load_xades_sealer(p12: Path | None = None, *, key: Path | None = None, cert: Path | None = None,
                      password_file: Path | None = None, password: bytes | None = None,
                      tsa_url: str | None = None, tsa_timeout: float = DEFAULT_TIMEOUT) -> XadesSealer:
    """Load the seal once per run (PKCS#12, or PEM key + certificate), with an optional TSA (B-T)."""
    now = datetime.now(UTC)
    if p12 is not None:
        seal = load_p12(p12, password if password is not None else read_password(password_file), at=now)
    elif key is not None and cert is not None:
        pem_password = password if password is not None else (
            read_password(password_file) if password_file is not None else None)
        seal = load_pem(key, cert, pem_password, at=now)
    else:
        raise SealError("give the seal as a PKCS#12 file, or as a PEM key with its certificate")
    return XadesSealer(seal, TsaClient(tsa_url, timeout=tsa_timeout) if tsa_url else None)


def issuer_problem(sealer: XadesSealer, catalogue: Catalogue, issuer_key: str) -> str | None:
    """How the issuer differs from the organisation in the seal certificate, as ``export --seal``
    says it: a seal must not vouch for another organisation's credentials."""
    return issuer_refusal(certificate_identity(sealer.seal.certificate), catalogue, issuer_key)


def check_issuer(sealer: XadesSealer, catalogue: Catalogue) -> None:
    """Refuse the run (SealError) when the catalogue's issuer is not the seal's organisation."""
    problem = issuer_problem(sealer, catalogue, catalogue.issuer)
    if problem:
        raise SealError(problem)


def export_credential(award: Award, catalogue: Catalogue, store: SchemaStore,
                      sealer: XadesSealer | None = None) -> tuple[bytes | None, list[Finding]]:
    """The credential's bytes (sealed when a sealer is given), or None and the XSD errors."""
    tree, problems = prepared_tree(award, catalogue, store, sealer)
    if tree is None:
        return None, problems
    if sealer is None:
        return edc12.serialise(tree), []
    return sealed_bytes(tree, sealer, award.award_id)


def prepared_tree(award: Award, catalogue: Catalogue, store: SchemaStore,
                  sealer: XadesSealer | None = None) -> tuple[etree._ElementTree | None, list[Finding]]:
    """The credential checked against its XSD and, when a sealer is given, signed but not yet
    timestamped (:func:`sealed_bytes` ends the seal); or None and what is wrong."""
    refused = activity_refusal(award, catalogue)
    if refused:
        return None, refused
    try:
        tree = edc12.to_edc_xml(award, catalogue)
    except (KeyError, ValueError) as exc:
        return None, [Finding("xml-export", "error", award.award_id, str(exc))]
    problems = xsd.findings(tree, store, ("lxml",))
    if problems or sealer is None:
        return (None, problems) if problems else (tree, [])
    problem = issuer_problem(sealer, catalogue, award.issuer) \
        if award.issuer and award.issuer != catalogue.issuer else None
    if problem:
        return None, [Finding("xml-seal", "error", award.award_id, problem,
                              "seal it with the issuer's own seal")]
    etree.indent(tree, space="  ")  # indent before sealing: whitespace is signed content
    try:
        sealer.sign_tree(tree)
    except SealError as exc:
        return None, [_seal_failed(award.award_id, exc)]
    return tree, []


def sealed_bytes(tree: etree._ElementTree, sealer: XadesSealer,
                 award_id: str) -> tuple[bytes | None, list[Finding]]:
    """A tree from :func:`prepared_tree` with its timestamp (at B-T), as the file's bytes. Only
    this waits on a server, and it touches its own tree only: a batch runs several at once."""
    try:
        sealer.timestamp_tree(tree)
    except SealError as exc:
        return None, [_seal_failed(award_id, exc)]
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n", []


def _seal_failed(award_id: str, exc: SealError) -> Finding:
    return Finding("xml-seal", "error", award_id, str(exc),
                   "check the seal key, certificate and timestamp authority")


def activity_refusal(award: Award, catalogue: Catalogue) -> list[Finding]:
    """An activity's award, which the EDC XML 1.2 export does not write: it writes a learning
    achievement, and a certificate of participation claiming one would be a wrong credential."""
    if not catalogue.is_activity(award.specification):
        return []
    return [Finding("xml-export.activity", "error", award.award_id,
                    f"EDC XML 1.2: {award.specification} is an activity (claim: activity), and edcbridge's "
                    "EDC XML export writes learning achievements only: no EDC XML credential is written "
                    "for it",
                    "issue its certificate of participation as EDC 3.2 JSON-LD (--format edc)")]


def write_xml_credentials(items: Iterable[tuple[Award, Catalogue]], out_dir: Path, store: SchemaStore,
                          sealer: XadesSealer | None = None) -> list[XmlOutcome]:
    """One ``edc-xml/<issuer>_<award_id>.xml`` per award; invalid ones are reported, not written."""
    outcomes = []
    for award, catalogue in items:
        data, errors = export_credential(award, catalogue, store, sealer)
        issuer = award.issuer or catalogue.issuer
        path = None
        if data is not None:
            path = out_dir / XML_DIR / f"{safe_name(issuer, award.award_id)}.xml"
            write_atomic(path, data)
        outcomes.append(XmlOutcome(award.award_id, path, errors, edc12.not_carried(award, catalogue, data)))
    return outcomes


@dataclass
class LoqOutcome:
    path: Path | None
    specifications: list[str]
    findings: list[Finding]


def _nothing_to_publish(path: Path) -> Finding:
    """Why no document is written when no specification can be published: an empty one would
    pass loq.xsd, and a register taking the folder would remove every entry it holds."""
    if path.is_file():
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
        what = (f"{path} is kept as it was (written {written}): a register taking the folder "
                "still publishes that one, where an empty document would remove every entry")
    else:
        what = f"{path} is not written: a document without one would publish nothing"
    return Finding("loq-empty", "warning", "specifications",
                   f"no specification can be published as LOQ, so {what}",
                   "add what each loq-skipped finding above asks for, then run again")


def write_loq(catalogue: Catalogue, out_dir: Path, store: SchemaStore) -> LoqOutcome:
    """``loq/<issuer>.xml``: the catalogue as an LOQ document, written only when loq.xsd accepts
    it and it holds a specification (an earlier document is otherwise left as it is)."""
    result = loq.to_loq(catalogue)
    path = out_dir / LOQ_DIR / f"{safe_name(catalogue.issuer)}.xml"
    if not result.specifications:
        return LoqOutcome(None, [], [*result.findings, _nothing_to_publish(path)])
    problems = xsd.findings(result.tree, store, ("lxml",))
    if problems:
        return LoqOutcome(None, result.specifications, result.findings + problems)
    write_atomic(path, edc12.serialise(result.tree))
    return LoqOutcome(path, result.specifications, result.findings)
