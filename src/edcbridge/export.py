"""The export run: load -> map -> validate -> write, one award at a time.

Awards are streamed; a bad row is reported and the run goes on. Nothing invalid is written:
a credential that a verifier would reject is worse than none.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edcbridge.load import RecordError, iter_awards, load_catalogue
from edcbridge.mapping.ebsi import to_ebsi
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue, Specification
from edcbridge.output import safe_name, serialise, write_atomic
from edcbridge.schemas import SchemaStore
from edcbridge.validation import validate_credential
from edcbridge.validation.findings import Finding
from edcbridge.validation.policy import PROFILES, Facts, check_policy

FORMATS = {"edc": ("edc", ".jsonld"), "ebsi": ("ebsi", ".json")}


@dataclass
class RecordResult:
    file: str
    row: int
    award_id: str
    status: str  # "ok" | "failed"
    outputs: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    records: list[RecordResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: {
        "load": 0.0, "map": 0.0, "validate": 0.0, "write": 0.0})

    @property
    def failed(self) -> int:
        return sum(r.status == "failed" for r in self.records)

    @property
    def ok(self) -> int:
        return sum(r.status == "ok" for r in self.records)


def specification_findings(catalogue: Catalogue) -> dict[str, list[Finding]]:
    """Policy findings per specification, checked once per catalogue."""
    out: dict[str, list[Finding]] = {}
    profiles = [PROFILES[p] for p in catalogue.policies if p in PROFILES]
    for spec in catalogue.specifications:
        if spec.kind != "micro-credential":
            continue  # size rules are about micro-credentials, not the awards they stack into
        facts = _facts(spec)
        found = [f for p in profiles for f in check_policy(facts, p, f"specifications[{spec.code}]")]
        if found:
            out[spec.code] = found
    return out


def _facts(spec: Specification) -> Facts:
    return Facts(spec.ects, spec.eqf.number if spec.eqf else None, spec.max_duration_months,
                 spec.credit_currency_years)


def _render(error: RecordError | Finding) -> str:
    if isinstance(error, RecordError):
        return error.render()
    return error.render()


class Exporter:
    """Maps and validates awards of one catalogue; schemas and shapes are loaded once."""

    def __init__(self, catalogue: Catalogue, store: SchemaStore, out_dir: Path,
                 formats: Iterable[str] = ("edc",), validate: bool = True) -> None:
        self.catalogue = catalogue
        self.store = store
        self.out_dir = out_dir
        self.formats = list(formats)
        self.validate = validate
        self.spec_findings = specification_findings(catalogue)
        self.policies = tuple(p for p in catalogue.policies if p in PROFILES)

    def export_award(self, award: Award, result: RecordResult, summary: RunSummary) -> None:
        if award.specification in self.spec_findings:
            result.status = "failed"
            result.errors += [f.render() for f in self.spec_findings[award.specification]]
            return
        started = time.perf_counter()
        edc = to_edc(award, self.catalogue)
        documents: dict[str, dict[str, Any]] = {"edc": edc}
        if "ebsi" in self.formats:
            documents["ebsi"] = to_ebsi(edc)
        summary.seconds["map"] += time.perf_counter() - started
        ready: dict[str, bytes] = {}
        for name in self.formats:
            doc = documents[name]
            started = time.perf_counter()
            if self.validate:
                policies = self.policies if self._is_micro(award) else ()
                report = validate_credential(doc, self.store, source=name, policies=policies,
                                             annex1="warning" if not policies else None)
                result.errors += [f"{name}: {f.render()}" for f in report.findings
                                  if f.severity == "error"]
                result.warnings += [f"{name}: {f.render()}" for f in report.findings
                                    if f.severity == "warning"]
            summary.seconds["validate"] += time.perf_counter() - started
            ready[name] = serialise(doc)
        if result.errors:
            result.status = "failed"
            return
        started = time.perf_counter()
        issuer = award.issuer or self.catalogue.issuer
        for name, data in ready.items():
            folder, suffix = FORMATS[name]
            target = self.out_dir / folder / (safe_name(issuer, award.award_id) + suffix)
            write_atomic(target, data)
            result.outputs[name] = str(target)
        summary.seconds["write"] += time.perf_counter() - started

    def _is_micro(self, award: Award) -> bool:
        spec = self.catalogue.specification(award.specification)
        return spec is not None and spec.kind == "micro-credential"


def run_export(awards: list[Path], catalogue_path: Path, out_dir: Path, store: SchemaStore,
               formats: Iterable[str] = ("edc",), validate: bool = True,
               progress: Callable[[RecordResult], None] | None = None,
               summary: RunSummary | None = None) -> RunSummary:
    """Export every award file against one catalogue. Raises CatalogueError/InputFileError."""
    summary = summary if summary is not None else RunSummary()
    catalogue = load_catalogue(catalogue_path)
    exporter = Exporter(catalogue, store, out_dir, formats, validate)
    for path in awards:
        started = time.perf_counter()
        for loaded in iter_awards(path, catalogue):
            summary.seconds["load"] += time.perf_counter() - started
            result = RecordResult(loaded.file, loaded.row, loaded.raw_key, "ok")
            if loaded.award is None:
                result.status = "failed"
                result.errors = [_render(e) for e in loaded.errors]
            else:
                exporter.export_award(loaded.award, result, summary)
            summary.records.append(result)
            if progress is not None:
                progress(result)
            started = time.perf_counter()
    return summary
