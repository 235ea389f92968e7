"""A catalogue checked on its own, before any award: what every credential of each specification
would lack (the Annex I elements a catalogue gives) or break (its policies), once per
specification at its line, and the addresses that would carry badly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edcbridge import vocab
from edcbridge.load.catalogue import Located, read_catalogue
from edcbridge.load.catalogue_links import plain_http_problems
from edcbridge.load.errors import RecordError
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue, Learner, Specification
from edcbridge.pipeline.worker import in_catalogue_terms, specification_findings
from edcbridge.validation.annex1 import check_annex1
from edcbridge.validation.findings import Finding, Severity

# Annex I elements a credential takes from the award (the learner, the date of issuing), not
# from the catalogue: every award gives them.
_FROM_THE_AWARD = ("credentialSubject.", "issued")


@dataclass(frozen=True)
class CatalogueFinding:
    """A finding on one place of the catalogue, at the line it is written on."""

    severity: Severity
    code: str
    error: RecordError  # file, line, field path, message and fix

    def render(self) -> str:
        return f"{self.severity.upper()} {self.code}: {self.error.render()}"

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, **self.error.as_dict()}


def check_catalogue(path: Path, policies: tuple[str, ...] = ()) -> list[CatalogueFinding]:
    """Every finding on the catalogue at ``path`` under its policies and ``policies``; raises
    :class:`~edcbridge.load.CatalogueError` when it cannot be read."""
    catalogue, located = read_catalogue(path)
    if policies:
        both = tuple(dict.fromkeys(catalogue.policies + policies))
        catalogue = catalogue.model_copy(update={"policies": both})
    found = [_at(located, ("specifications", index), finding)
             for index, spec in enumerate(catalogue.specifications)
             for finding in annex1_findings(catalogue, spec) + _policy_findings(catalogue, spec)]
    found += [CatalogueFinding("warning", "url.plain-http", located.error(loc, message, fix))
              for loc, message, fix in plain_http_problems(catalogue)]
    return found


def annex1_findings(catalogue: Catalogue, spec: Specification) -> list[Finding]:
    """The Annex I elements every credential of ``spec`` would lack, as export judges them: an
    error for a micro-credential under ``eu-council``, else a warning (optional ones: info)."""
    micro = spec.kind == "micro-credential" and "eu-council" in catalogue.policies
    severity: Severity = "error" if micro else "warning"
    findings = check_annex1(to_edc(_specimen(catalogue, spec), catalogue), severity)
    return [in_catalogue_terms(f, spec.code) for f in findings if not f.where.startswith(_FROM_THE_AWARD)]


def _policy_findings(catalogue: Catalogue, spec: Specification) -> list[Finding]:
    return specification_findings(catalogue).get(spec.code, [])


def _specimen(catalogue: Catalogue, spec: Specification) -> Award:
    """An award of ``spec`` to a named learner today: what it lacks, the catalogue lacks."""
    language = vocab.concept("language", catalogue.primary_language).code
    learner = Learner(id="specimen", given_name={language: "Specimen"}, family_name={language: "Learner"})
    return Award(award_id="specimen", specification=spec.code, learner=learner,
                 awarding_date=dt.datetime.now(dt.UTC).date())


def _at(located: Located, where: tuple[str | int, ...], finding: Finding) -> CatalogueFinding:
    error = located.error(where, finding.message, finding.fix)
    return CatalogueFinding(finding.severity, finding.code, replace(error, value=None))
