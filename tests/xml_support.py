"""Helpers shared by the XML tests: fixture awards, and what each format carries of a record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edcbridge import vocab
from edcbridge.load import iter_awards, load_catalogue
from edcbridge.mapping.edc import languages_of, valid_until
from edcbridge.model import Award, Catalogue, Organisation, Specification
from edcbridge.xml.edc12 import xml_languages


def fixture_awards(sets: list[tuple[Path, list[Path]]]) -> list[tuple[str, Award, Catalogue]]:
    found = []
    for catalogue_path, award_files in sets:
        catalogue = load_catalogue(catalogue_path)
        for path in award_files:
            for row in iter_awards(path, catalogue):
                assert row.award is not None, row.errors
                found.append((catalogue_path.parent.name, row.award, catalogue))
    return found


def _texts(text: dict[str, str] | None, languages: list[str]) -> dict[str, str] | None:
    if not text:
        return None
    return {k: v for k, v in text.items() if k in languages} or dict(text)


def _one(name: dict[str, str] | None, primary: str) -> dict[str, str] | None:
    if not name:
        return None
    lang = primary if primary in name else next(iter(name))
    return {lang: name[lang]}


def _org(org: Organisation, languages: list[str]) -> dict[str, Any]:
    view = org.model_dump(mode="json", exclude={"key"})
    for field in ("legal_name", "alt_label", "address"):
        view[field] = _texts(getattr(org, field), languages)
    return view


def _spec(spec: Specification, catalogue: Catalogue, languages: list[str], fmt: str) -> dict[str, Any]:
    def t(text: dict[str, str] | None) -> dict[str, str] | None:
        return _texts(text, languages)

    view: dict[str, Any] = {
        "title": t(spec.title), "description": t(spec.description),
        "opportunity_type": spec.opportunity_type, "eqf": spec.eqf, "nqf": spec.nqf, "isced_f": spec.isced_f,
        "credits": spec.credits, "credit_system": spec.credit_system, "hours": spec.hours,
        "max_duration_months": spec.max_duration_months, "mode": spec.mode,
        "learning_setting": spec.learning_setting, "languages": spec.languages,
        "outcomes": [(t(o.title), tuple(map(str, o.esco_skills))) for o in spec.learning_outcomes],
        "prerequisites": t(spec.prerequisites), "further_information": t(spec.further_information),
        "homepage": str(spec.homepage) if spec.homepage else None, "credential_type": spec.credential_type,
        "partial": spec.kind == "micro-credential" or bool(spec.part_of),
        "part_of": len(spec.part_of), "has_part": len(spec.has_part),
        "qa": [{**catalogue.qa(k).model_dump(mode="json", exclude={"key", "agency", "title", "decision"}),
                "title": t(catalogue.qa(k).title), "decision": t(catalogue.qa(k).decision),
                "agency": _org(catalogue.organisation(catalogue.qa(k).agency), languages)}
               for k in spec.quality_assurance],
    }
    a = spec.assessment
    view["assessment"] = None if a is None else {
        "title": t(a.title), "type": a.type, "mode": a.mode, "grading_scheme": t(a.grading_scheme),
        "supervision": a.supervision}
    if fmt == "json":
        view["learning_outcome_summary"] = t(spec.learning_outcome_summary)
    else:
        view["code"] = spec.code
        view["part_of_codes"] = spec.part_of
        view["has_part_codes"] = spec.has_part
    return view


def carried(award: Award, catalogue: Catalogue, fmt: str) -> dict[str, Any]:
    """What the JSON-LD ("json") or XML 1.2 ("xml") credential carries of an award and its catalogue.

    Applied to the original records and to the imported ones, the two views must be equal.
    """
    spec = catalogue.specification(award.specification)
    assert spec is not None
    if fmt == "json":
        primary, languages = languages_of(award, spec, catalogue)
    else:
        primary, languages = xml_languages(award, spec, catalogue)
    learner = award.learner
    given, family = _one(learner.given_name, primary), _one(learner.family_name, primary)
    full = _one(learner.full_name, primary)
    if full is None and given and family and next(iter(given)) == next(iter(family)):
        full = {next(iter(given)): f"{next(iter(given.values()))} {next(iter(family.values()))}"}
    if award.grade:
        # 1.2 grades are one string without a language: read back in the primary language
        grade = _texts(award.grade, languages) if fmt == "json" else \
            {primary: next(iter((_one(award.grade, primary) or {}).values()))}
    else:
        grade = None
    issuer = catalogue.organisation(award.issuer or catalogue.issuer)
    body = catalogue.organisation(spec.awarding_body or award.issuer or catalogue.issuer)
    return {
        "award_id": award.award_id, "awarding_date": award.awarding_date, "issued": award.issued_at(),
        "valid_until": award.valid_until or valid_until(award, spec),
        "language": vocab.concept("language", award.language or catalogue.primary_language).code,
        "learner": {**learner.model_dump(exclude={"given_name", "family_name", "full_name"}),
                    "given_name": given, "family_name": family, "full_name": full},
        "grade": grade,
        "issuer": _org(issuer, languages), "awarding_body": _org(body, languages),
        "specification": _spec(spec, catalogue, languages, fmt),
    }
