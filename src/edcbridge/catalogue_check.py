"""A catalogue checked on its own, before any award: what every credential of each specification
would lack (the Annex I elements a catalogue gives) or break (its policies), once per
specification at its line, and the addresses that would carry badly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edcbridge.load.catalogue import Located, read_catalogue
from edcbridge.load.catalogue_links import plain_http_problems
from edcbridge.load.errors import RecordError
from edcbridge.mapping.edc import OUTCOME_LIST_FIX, activity_left_out_note, outcome_lists, uk_credits_as_ects
from edcbridge.model import Catalogue, Specification
from edcbridge.pipeline.catalogue_gaps import annex1_findings
from edcbridge.pipeline.worker import specification_findings
from edcbridge.validation.findings import Finding, Severity


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
    return found + activity_findings(catalogue, located) + outcome_list_findings(catalogue, located) \
        + uk_credit_findings(catalogue, located) + expired_qa_findings(catalogue, located) \
        + plain_http_findings(catalogue, located)


def activity_findings(catalogue: Catalogue, located: Located) -> list[CatalogueFinding]:
    """A warning at each activity specification giving fields its credentials cannot carry."""
    found = []
    for index, spec in enumerate(catalogue.specifications):
        left_out = activity_left_out_note(spec)
        if left_out:
            error = located.error(("specifications", index), *left_out)
            found.append(CatalogueFinding("warning", "activity.left-out", replace(error, value=None)))
    return found


def outcome_list_findings(catalogue: Catalogue, located: Located) -> list[CatalogueFinding]:
    """A warning at each learning outcome title that lists several outcomes (a module
    descriptor's list pasted into one title): every credential would state them as one."""
    found = []
    for index, spec in enumerate(catalogue.specifications):
        if spec.is_activity:  # its outcomes are not carried at all: said as such
            continue
        for number, language, _, listed in outcome_lists(spec):
            error = located.error(("specifications", index, "learning_outcomes", number, "title", language),
                                  f"the learning outcome lists {listed} learning outcomes, which every "
                                  "credential would state as one", OUTCOME_LIST_FIX)
            found.append(CatalogueFinding("warning", "learning-outcome.list", replace(error, value=None)))
    return found


def expired_qa_findings(catalogue: Catalogue, located: Located,
                        today: dt.date | None = None) -> list[CatalogueFinding]:
    """A warning at the expiry date of each quality assurance past it that specifications name:
    their credentials would state, as the quality assurance underpinning them, an accreditation
    that has expired."""
    today = today or dt.datetime.now(dt.UTC).date()
    found = []
    for index, qa in enumerate(catalogue.quality_assurance):
        named = [spec.code for spec in catalogue.specifications
                 if qa.key in spec.quality_assurance and not spec.is_activity]
        if qa.expires is None or qa.expires >= today or not named:
            continue
        error = located.error(
            ("quality_assurance", index, "expires"),
            f"{qa.key} expired on {qa.expires}: the credentials of {', '.join(named)} would state it as the "
            "quality assurance underpinning them (Annex I)",
            "give the renewed quality assurance (its report, issued and expires), or name a current one "
            "in the specifications' quality_assurance")
        found.append(CatalogueFinding("warning", "quality-assurance.expired", replace(error, value=None)))
    return found


def uk_credit_findings(catalogue: Catalogue, located: Located) -> list[CatalogueFinding]:
    """A warning at the credits of each achievement whose ECTS credits have the hours of UK
    credits, as the run's notes say."""
    found = []
    for index, spec in enumerate(catalogue.specifications):
        uk = uk_credits_as_ects(spec) if spec.claim == "achievement" else None
        if uk:
            error = located.error(("specifications", index, "credits"), *uk)
            found.append(CatalogueFinding("warning", "credits.uk-credits", replace(error, value=None)))
    return found


def plain_http_findings(catalogue: Catalogue, located: Located) -> list[CatalogueFinding]:
    """A warning at the line of each web address the catalogue gives as http://."""
    return [CatalogueFinding("warning", "url.plain-http", located.error(loc, message, fix))
            for loc, message, fix in plain_http_problems(catalogue)]


def _policy_findings(catalogue: Catalogue, spec: Specification) -> list[Finding]:
    return specification_findings(catalogue).get(spec.code, [])


def _at(located: Located, where: tuple[str | int, ...], finding: Finding) -> CatalogueFinding:
    error = located.error(where, finding.message, finding.fix)
    return CatalogueFinding(finding.severity, finding.code, replace(error, value=None))
