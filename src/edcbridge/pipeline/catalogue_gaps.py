"""The Annex I elements a catalogue decides for every award of a specification: found once, on
a specimen award mapped and checked as export maps and checks each award, so that ``check``
and ``export`` can never disagree on them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from edcbridge import vocab
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue, Learner, Specification
from edcbridge.validation import SUBJECT_PATH
from edcbridge.validation.annex1 import check_annex1
from edcbridge.validation.findings import Finding, Severity

# Annex I elements a credential takes from the award (the learner, the date of issuing), not
# from the catalogue: every award gives them.
_FROM_THE_AWARD = ("credentialSubject.", "issued")

# Where an Annex I element of a credential comes from in the catalogue (see mapping.edc).
_CATALOGUE_FIELDS = {
    "hasClaim.title": "title",
    "hasClaim.specifiedBy.learningOutcome": "learning_outcomes or learning_outcome_summary",
    "hasClaim.specifiedBy.creditPoint / volumeOfLearning": "credits or hours",
    "hasClaim.specifiedBy.eqfLevel / nqfLevel": "eqf or nqf",
    "hasClaim.provenBy.specifiedBy.dcType": "assessment.type",
    "hasClaim.specifiedBy.mode": "mode",
    "hasClaim.specifiedBy.accreditation": "quality_assurance",
    "hasClaim.specifiedBy.entryRequirement": "prerequisites",
    "hasClaim.specifiedBy.isPartOf / hasPart": "part_of or has_part",
    "hasClaim.specifiedBy.additionalNote / homepage": "further_information or homepage",
}

_SAID_ONCE = " (said in full once in the run's notes)"


def in_catalogue_terms(finding: Finding, specification: str) -> Finding:
    """An Annex I finding on a credential made from the catalogue, with the fix there."""
    place = finding.where.removeprefix(SUBJECT_PATH)
    field = _CATALOGUE_FIELDS.get(place) if finding.code.startswith("annex1.") else None
    if field is None:
        return finding
    stated = finding.fix.removeprefix("add ")  # the credential's path, and the Recommendation's word
    return replace(finding, fix=f"set {field} of specification {specification} in the catalogue: the "
                   f"credential states it as {stated}")


def annex1_findings(catalogue: Catalogue, spec: Specification) -> list[Finding]:
    """The Annex I elements every credential of ``spec`` would lack, as export judges them: an
    error for a micro-credential under ``eu-council``, else a warning (optional ones: info); none
    for an activity, whose certificate of participation is no micro-credential."""
    if spec.is_activity:
        return []
    micro = spec.kind == "micro-credential" and "eu-council" in catalogue.policies
    severity: Severity = "error" if micro else "warning"
    findings = check_annex1(to_edc(_specimen(catalogue, spec), catalogue), severity)
    return [in_catalogue_terms(f, spec.code) for f in findings if not f.where.startswith(_FROM_THE_AWARD)]


def _specimen(catalogue: Catalogue, spec: Specification) -> Award:
    """An award of ``spec`` to a named learner today, by the catalogue's issuer: what it lacks,
    the catalogue lacks (an award's language changes which texts are kept, never whether one
    is there; its own issuer may give the country, awarding body or accreditation)."""
    language = vocab.concept("language", catalogue.primary_language).code
    learner = Learner(id="specimen", given_name={language: "Specimen"}, family_name={language: "Learner"})
    return Award(award_id="specimen", specification=spec.code, learner=learner,
                 awarding_date=dt.datetime.now(dt.UTC).date())


def catalogue_annex1_gaps(catalogue: Catalogue) -> dict[str, list[Finding]]:
    """Per specification code, the Annex I errors and warnings every award of it issued by the
    catalogue's issuer has (export reports no info findings)."""
    gaps = {spec.code: [f for f in annex1_findings(catalogue, spec) if f.severity != "info"]
            for spec in catalogue.specifications}
    return {code: found for code, found in gaps.items() if found}


def decides(gap: Finding, finding: Finding) -> bool:
    """Whether a credential's ``finding`` is the catalogue's ``gap``."""
    return finding.code == gap.code and finding.where.removeprefix(SUBJECT_PATH) == gap.where


def briefly(gap: Finding) -> str:
    """A catalogue's Annex I gap as each of its awards reports it: the element and the field to
    set, pointing to the run's notes for what the element holds."""
    fix = gap.fix.split(": the credential states it as ", 1)[0]
    return replace(gap, where=SUBJECT_PATH + gap.where, message=gap.message + _SAID_ONCE, fix=fix).render()
