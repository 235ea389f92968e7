"""Award + catalogue -> EDC 3.2 JSON-LD (ELM 3.2, EDC application profile 1.2, VC 1.1 form).

The Annex I elements of the 2022 Council Recommendation map as the EC's own
micro-credential sample does: a Generic credential whose LearningAchievement is specified by
a Qualification that carries the elements. A specification with ``claim: activity`` maps as
the EC's certificate of participation sample does: a Generic credential whose
LearningActivity is specified by a LearningActivitySpecification.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from edcbridge import vocab
from edcbridge.mapping.image import card_png
from edcbridge.mapping.nodes import (
    Node,
    concept,
    credential_id,
    date_time,
    external_concept,
    freeze,
    identified,
    note,
    web_resource,
)
from edcbridge.mapping.person_names import joined_name
from edcbridge.model import (
    Award,
    Catalogue,
    EscoSkill,
    Learner,
    Organisation,
    QualityAssurance,
    Specification,
)

CONTEXT = ["https://www.w3.org/2018/credentials/v1", "http://data.europa.eu/snb/model/context/edc-ap"]
SHAPES_GENERIC_FULL = "http://data.europa.eu/snb/model/ap/edc-generic-full"
ESCO_SKILLS = "http://data.europa.eu/esco/concept-scheme/skills"
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type"
PNG = f"{FILE_TYPES}/PNG"
SPEC_SCHEME = "Specification code"  # the scheme of a specification's code, in every format


class _Texts:
    """Keeps every language map within the credential's declared languages."""

    def __init__(self, languages: list[str]) -> None:
        self.languages = languages

    def __call__(self, text: dict[str, str]) -> dict[str, str]:
        kept = {k: v for k, v in text.items() if k in self.languages}
        return kept or dict(text)


def languages_of(award: Award, spec: Specification, catalogue: Catalogue) -> tuple[str, list[str]]:
    """(primary, all) ISO 639-1 codes of the credential: the spec title's languages."""
    primary_iri = award.language or catalogue.primary_language
    primary = vocab.concept("language", primary_iri).code
    return primary, sorted({primary, *spec.title})


def uk_credits_as_ects(spec: Specification) -> tuple[str, str] | None:
    """(what is wrong, its fix) of ECTS credits with under 20 hours each: likely UK credits (10
    hours each, 2 per ECTS credit) written where ECTS credits go, which doubles the credits every
    credential states."""
    if spec.ects is None or not spec.ects or spec.hours is None or spec.hours / spec.ects >= 20:
        return None
    credits, half = f"{spec.ects.normalize():f}", f"{(spec.ects / 2).normalize():f}"
    return (f"{spec.hours.normalize():f} hours for {credits} ECTS credits is "
            f"{float(spec.hours / spec.ects):.3g} hours per credit, where an ECTS credit is 20 to 30 hours",
            f"if {credits} is in UK credits (10 hours each), write credits: {half}, the ECTS credits every "
            "credential states")


# an item of a list as people type one: 1. 2) (3) a. b) - * •
_ITEM = re.compile(r"\(?(?:\d{1,2}|[a-z])[.)]\s+\S|[-*\u2022\u2023\u25e6\u25aa\u00b7\u2013]\s+\S", re.I)
_NUMBERED = re.compile(r"(?:^|\s)\(?(\d{1,2})[.)]\s+\S")


OUTCOME_LIST_FIX = ("write one item per learning outcome below learning_outcomes, '- title: {en: ...}' "
                    "each, or the list as learning_outcome_summary")


def listed_outcomes(text: str) -> int:
    """How many learning outcomes a title lists, one an item (2 or more: a list pasted where one
    outcome goes, '1. Explains ...\\n2. Applies ...' or '1) Explains ... 2) Applies ...'); 1 else."""
    lines = [line for line in text.splitlines() if line.strip()]
    items = sum(1 for line in lines if _ITEM.match(line.strip()))
    if len(lines) > 1 and items > 1:
        return items
    numbers = [int(n) for n in _NUMBERED.findall(text)] if _NUMBERED.match(text.strip()) else []
    count = 0
    while count < len(numbers) and numbers[count] == count + 1:
        count += 1
    return count if count > 1 else 1


def outcome_lists(spec: Specification) -> list[tuple[int, str, str, int]]:
    """(index, language, text, how many it lists) of each learning outcome title listing several."""
    return [(index, language, text, listed) for index, outcome in enumerate(spec.learning_outcomes)
            for language, text in outcome.title.items() if (listed := listed_outcomes(text)) > 1]


def _unnamed_skills(catalogue: Catalogue) -> list[str]:
    """The ESCO skills the catalogue gives without a label, each once, in order."""
    found = (str(skill.iri) for spec in catalogue.specifications for outcome in spec.learning_outcomes
             for skill in outcome.esco_skills if not skill.label)
    return list(dict.fromkeys(found))


def catalogue_notes(catalogue: Catalogue) -> list[str]:
    """What the catalogue says that its credentials will not carry: texts in a language that is
    neither the primary language nor one of a specification's title's, beside texts in the
    credential's languages (see :func:`languages_of`; a text in none of them is carried whole),
    ESCO skills it names without a label, the credit currency period (ELM 3.2 has no
    property for it) and the fields of an activity its credentials cannot carry."""
    notes = []
    primary = vocab.concept("language", catalogue.primary_language).code
    for spec in catalogue.specifications:
        organisations = {spec.awarding_body or catalogue.issuer, catalogue.issuer}
        qas = [catalogue.qa(key) for key in spec.quality_assurance]
        organisations |= {qa.agency for qa in qas}
        records = [spec, *qas, *(catalogue.organisation(key) for key in sorted(organisations))]
        title = set(spec.title)
        by_title = set().union(*(_left_out(record, title) for record in records))
        left_out = sorted(set().union(*(_left_out(record, title | {primary}) for record in records)))
        if primary in by_title:
            notes.append(f"specification {spec.code}: texts in {primary}, the primary language, are left "
                         f"out of its credentials for awards made in another language: its title has no "
                         f"{primary} text (a credential's languages are its award's language, else the "
                         f"primary language, and its title's); add a title in {primary} to carry them")
        if left_out:
            notes.append(f"specification {spec.code}: texts in {', '.join(left_out)} are left out of its "
                         f"credentials, unless an award is made in that language: its title has no "
                         f"{' or '.join(left_out)} text (a credential's languages are its award's language, "
                         "else the primary language, and its title's); add a title in them to carry them")
    for spec in catalogue.specifications:
        uk = uk_credits_as_ects(spec) if spec.claim == "achievement" else None
        if uk:
            notes.append(f"specification {spec.code}: {uk[0]}: {uk[1]}")
        activity = activity_left_out_note(spec)
        if activity:
            notes.append(f"{activity[0]}: {activity[1]}")
        for index, language, _, listed in () if spec.is_activity else outcome_lists(spec):
            notes.append(f"specification {spec.code}: learning_outcomes[{index}].title.{language} lists "
                         f"{listed} learning outcomes, which its credentials state as one: "
                         f"{OUTCOME_LIST_FIX}")
    unnamed = _unnamed_skills(catalogue)
    if unnamed:
        notes.append(f"{len(unnamed)} ESCO skills have no label ({', '.join(unnamed[:3])}"
                     f"{', ...' if len(unnamed) > 3 else ''}): wallets show each as a bare address; "
                     "write each as {iri: ..., label: {en: ESCO's preferred label}} in learning_outcomes")
    currency = [spec.code for spec in catalogue.specifications
                if spec.credit_currency_years is not None and spec.claim == "achievement"]
    if currency:
        notes.append(f"credit_currency_years of {', '.join(currency)} is checked by the policies but not "
                     "carried by EDC 3.2 (it has no such property): if learners must see it, state the "
                     "period in further_information")
    return notes


def _left_out(value: object, kept: set[str]) -> set[str]:
    """The languages dropped from the language maps in a catalogue record (see _Texts)."""
    if isinstance(value, BaseModel):
        return set().union(*(_left_out(getattr(value, name), kept) for name in type(value).model_fields))
    if isinstance(value, dict):
        if value and all(isinstance(k, str) and len(k) == 2 and isinstance(v, str) for k, v in value.items()):
            return set(value) - kept if set(value) & kept else set()
        return set().union(*(_left_out(v, kept) for v in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(_left_out(v, kept) for v in value))
    return set()


def _language_concept(code: str) -> Node:
    return concept("language", vocab.resolve("language", code).iri)


def organisation(org: Organisation, t: _Texts, with_eidas: bool = True) -> Node:
    country = concept("country", org.country)
    node: Node = {"type": "Organisation", "legalName": t(org.legal_name)}
    if org.alt_label:
        node["altLabel"] = t(org.alt_label)
    if org.eidas_identifier and with_eidas:
        node["eIDASIdentifier"] = {"type": "LegalIdentifier", "notation": org.eidas_identifier,
                                   "spatial": country}
    if org.vat_identifier:
        node["vatIdentifier"] = {"type": "LegalIdentifier", "notation": org.vat_identifier,
                                 "spatial": country}
    if org.registration:
        node["registration"] = {"type": "LegalIdentifier", "notation": org.registration,
                                "spatial": country}
    identifiers = [{"type": "Identifier", "schemeName": scheme, "notation": value}
                   for scheme, value in (("ETER", org.eter_id), ("DEQAR", org.deqar_id),
                                         ("Erasmus", org.erasmus_code)) if value]
    if identifiers:
        node["identifier"] = identifiers if len(identifiers) > 1 else identifiers[0]
    address: Node = {"type": "Address", "countryCode": country}
    if org.address:
        address["fullAddress"] = note(t(org.address))
    node["location"] = {"type": "Location", "address": address}
    if org.homepage:
        node["homepage"] = web_resource(str(org.homepage))
    if org.email:
        node["contactPoint"] = contact_point(org.email)
    return node


# RFC 6068 2: a mailto address holds unreserved characters, "some-delims" and %XX; every other
# ASCII character, such as the "#", "?", "%" or "/" an e-mail address may hold, is
# percent-encoded, or "a#b@example.org" would be the mailbox "a" with a fragment. Other
# characters are kept: the credential is JSON-LD, whose ids are IRIs (the EBSI profile encodes them).
_MAILTO_KEPT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$'()*+,;:@")


def mailto(email: str) -> str:
    """The ``mailto:`` IRI of an e-mail address (RFC 6068, as an IRI: RFC 3987)."""
    return "mailto:" + "".join(
        c if c in _MAILTO_KEPT or ord(c) > 0x7F else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
        for c in email)


def contact_point(email: str) -> Node:
    return {"type": "ContactPoint", "emailAddress": {"id": mailto(email), "type": "Mailbox"}}


def accreditation(qa: QualityAssurance, catalogue: Catalogue, t: _Texts, accredited: Node) -> Node:
    """The quality assurance of ``accredited``, the organisation that awards the specification
    it is given for (as the EC's Diploma Supplement sample names it, and the XML exports do)."""
    node: Node = {"type": "Accreditation", "title": t(qa.title),
                  "dcType": concept("accreditation-type", qa.type), "organisation": accredited,
                  "accreditingAgent": organisation(catalogue.organisation(qa.agency), t)}
    if qa.decision:
        node["description"] = t(qa.decision)
    if qa.report_url:
        node["report"] = web_resource(str(qa.report_url))
    if qa.issued:
        node["dateIssued"] = date_time(qa.issued)
    if qa.expires:
        node["expiryDate"] = date_time(qa.expires)
    return node


AwardingBodies = Callable[[Specification], Node]


def qualification(spec: Specification, catalogue: Catalogue, t: _Texts, bodies: AwardingBodies,
                  depth: int = 0) -> Node:
    """The specification as a Qualification; ``bodies`` gives the awarding body of a
    specification, which its accreditations name as accredited."""
    node: Node = {"type": "Qualification",
                  "identifier": {"type": "Identifier", "schemeName": SPEC_SCHEME, "notation": spec.code},
                  "title": t(spec.title)}
    if spec.description:
        node["description"] = t(spec.description)
    if spec.opportunity_type:
        node["dcType"] = concept("learning-opportunity-type", spec.opportunity_type)
    if spec.eqf:
        node["eqfLevel"] = concept("eqf", spec.eqf.value)
    if spec.nqf:
        node["nqfLevel"] = concept("nqf", spec.nqf)
    if spec.isced_f:
        node["thematicArea"] = [concept("isced-f", code) for code in spec.isced_f]
    if spec.credits is not None:
        node["creditPoint"] = {"type": "CreditPoint",
                               "framework": concept("credit-system", spec.credit_system.value),
                               "point": _number(spec.credits)}
    if spec.hours is not None:
        node["volumeOfLearning"] = _hours(spec.hours)
    if spec.max_duration_months is not None:
        node["maximumDuration"] = f"P{spec.max_duration_months}M"
    if spec.mode:
        node["mode"] = concept("mode", spec.mode.value)
    if spec.learning_setting:
        node["learningSetting"] = concept("learning-setting", spec.learning_setting.value)
    if spec.languages:
        node["language"] = [concept("language", lang) for lang in spec.languages]
    if spec.learning_outcomes:
        node["learningOutcome"] = [_outcome(o.title, o.esco_skills, t) for o in spec.learning_outcomes]
    if spec.learning_outcome_summary:
        node["learningOutcomeSummary"] = note(t(spec.learning_outcome_summary))
    if spec.prerequisites:
        node["entryRequirement"] = note(t(spec.prerequisites))
    if spec.further_information:
        node["additionalNote"] = [note(t(spec.further_information))]
    if spec.homepage:
        node["homepage"] = web_resource(str(spec.homepage))
    if spec.quality_assurance:
        node["accreditation"] = [accreditation(catalogue.qa(k), catalogue, t, bodies(spec))
                                 for k in spec.quality_assurance]
    if spec.kind == "micro-credential" or spec.part_of:
        node["isPartialQualification"] = bool(spec.part_of)
    if depth == 0:
        related = [("isPartOf", spec.part_of), ("hasPart", spec.has_part)]
        for key, codes in related:
            specs = [s for s in (catalogue.specification(c) for c in codes) if s is not None]
            if specs:
                node[key] = [qualification(s, catalogue, t, bodies, depth + 1) for s in specs]
    return node


# What a LearningActivitySpecification has no place for (the EDC 3.2 shapes), by catalogue field
NOT_ON_ACTIVITY = ("learning_outcomes", "learning_outcome_summary", "credits", "credit_system", "eqf",
                   "nqf", "isced_f", "opportunity_type", "learning_setting", "assessment",
                   "quality_assurance", "prerequisites", "max_duration_months", "credit_currency_years")


def activity_left_out(spec: Specification) -> list[str]:
    """The fields ``spec`` gives that its credentials cannot carry, being an activity's."""
    if not spec.is_activity:
        return []
    fields = Specification.model_fields
    return [name for name in NOT_ON_ACTIVITY if getattr(spec, name) != fields[name].default]


def activity_left_out_note(spec: Specification) -> tuple[str, str] | None:
    """What an activity's credentials leave out of ``spec``, and the fix, if they leave anything."""
    left = activity_left_out(spec)
    if not left:
        return None
    return (f"specification {spec.code}: {', '.join(left)} are left out of its credentials: a learning "
            "activity (claim: activity) has no place for them, its specification carrying only title, "
            "description, hours, mode, languages, further_information and homepage; Annex I, grades, "
            "policies and stacking do not apply to it",
            "remove them from the specification, or write claim: achievement to award an achievement")


def activity_specification(spec: Specification, t: _Texts) -> Node:
    """The specification as the LearningActivitySpecification of a certificate of participation:
    what the catalogue gives that ELM allows there (see :data:`NOT_ON_ACTIVITY`)."""
    node: Node = {"type": "LearningActivitySpecification",
                  "identifier": {"type": "Identifier", "schemeName": SPEC_SCHEME, "notation": spec.code},
                  "title": t(spec.title)}
    if spec.description:
        node["description"] = t(spec.description)
    if spec.hours is not None:
        node["volumeOfLearning"] = _hours(spec.hours)
    if spec.mode:
        node["mode"] = concept("mode", spec.mode.value)
    if spec.languages:
        node["language"] = [concept("language", lang) for lang in spec.languages]
    if spec.further_information:
        node["additionalNote"] = [note(t(spec.further_information))]
    if spec.homepage:
        node["homepage"] = web_resource(str(spec.homepage))
    return node


def _hours(hours: Any) -> str:
    """xsd:duration allows a fraction only in seconds: 187.5 hours is PT187H30M."""
    minutes = round(hours * 60)
    whole, rest = divmod(minutes, 60)
    return f"PT{whole}H{rest}M" if rest else f"PT{whole}H"


def _number(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _outcome(title: dict[str, str], skills: tuple[EscoSkill, ...], t: _Texts) -> Node:
    node: Node = {"type": "LearningOutcome", "title": t(title)}
    if skills:
        node["relatedESCOSkill"] = [_skill(skill, t) for skill in skills]
    return node


def _skill(skill: EscoSkill, t: _Texts) -> Node:
    """The skill, named in the credential's languages, else in those its label has (a skill is
    named, as in the EC's samples and in EDC XML, even when ESCO's label is in another language)."""
    node = external_concept(str(skill.iri), ESCO_SKILLS)
    if skill.label:
        node["prefLabel"] = t(skill.label)
    return node


def _assessment_specification(spec: Specification, t: _Texts) -> Node | None:
    """The assessment as the catalogue specifies it: the same in every award of the entry."""
    if spec.assessment is None:
        return None
    a = spec.assessment
    specification: Node = {"type": "LearningAssessmentSpecification", "title": t(a.title)}
    if a.type:
        specification["dcType"] = concept("assessment-type", a.type)
    if a.mode:
        specification["mode"] = concept("mode", a.mode.value)
    if a.grading_scheme:
        specification["gradingScheme"] = {"type": "GradingScheme", "title": t(a.grading_scheme)}
    return specification


def _assessment(spec: Specification, award: Award, awarding: Node, shared: _Shared,
                t: _Texts) -> Node | None:
    if spec.assessment is None or shared.assessment is None:
        return None
    a = spec.assessment
    node: Node = {"type": "LearningAssessment", "title": t(a.title),
                  "grade": identified(note(t(award.grade or {}))), "awardedBy": awarding,
                  "specifiedBy": shared.assessment}
    if shared.id_verification is not None:
        node["idVerification"] = shared.id_verification
    return identified(node)


def _one_name(name: dict[str, str], primary: str) -> dict[str, str]:
    """The shapes allow one value per name: the one in the credential's primary language.

    ``given_name@el`` in the input is thus the name written when the credential is in Greek.
    """
    lang = primary if primary in name else next(iter(name))
    return {lang: name[lang]}


def full_name(learner: Learner, primary: str) -> dict[str, str] | None:
    """The learner's full name in one language: as given, else the given and family names
    joined when they are in the same language (as the EC's samples carry one), in that
    language's order (see :func:`.person_names.joined_name`)."""
    if learner.full_name:
        return _one_name(learner.full_name, primary)
    given = _one_name(learner.given_name, primary)
    family = _one_name(learner.family_name, primary)
    language = next(iter(given))
    if language != next(iter(family)):
        return None
    return {language: joined_name(language, given[language], family[language])}


def _person(award: Award, primary: str, claim: Node) -> Node:
    learner = award.learner
    given = _one_name(learner.given_name, primary)
    family = _one_name(learner.family_name, primary)
    full = full_name(learner, primary)
    node: Node = {"type": "Person", "identifier": identified({"type": "Identifier",
                                                              "schemeName": "Student number",
                                                              "notation": learner.id}),
                  "givenName": given, "familyName": family}
    if full:
        node["fullName"] = full
    if learner.date_of_birth:
        node["dateOfBirth"] = date_time(learner.date_of_birth)
    if learner.national_id and learner.national_id_country:
        node["nationalID"] = identified({"type": "LegalIdentifier", "notation": learner.national_id,
                                         "spatial": concept("country", learner.national_id_country)})
    if learner.email:
        node["contactPoint"] = identified(contact_point(learner.email))
    node["hasClaim"] = claim
    return identified(node)


def _display(title: dict[str, str], description: dict[str, str] | None, primary: str,
             languages: list[str]) -> Node:
    image = {"type": "MediaObject", "content": base64.b64encode(card_png()).decode("ascii"),
             "contentEncoding": concept("encoding", vocab.Encoding.BASE64.value),
             "contentType": external_concept(PNG, FILE_TYPES, "PNG")}
    node: Node = {"type": "DisplayParameter", "title": title,
                  "language": [_language_concept(lang) for lang in languages],
                  "primaryLanguage": _language_concept(primary),
                  "individualDisplay": [
                      {"type": "IndividualDisplay", "language": _language_concept(lang),
                       "displayDetail": {"type": "DisplayDetail", "page": 1, "image": image}}
                      for lang in languages]}
    if description:
        node["description"] = description
    return node


def valid_until(award: Award, spec: Specification) -> dt.date | None:
    if award.valid_until:
        return award.valid_until
    if spec.validity_years:
        try:
            return award.awarding_date.replace(year=award.awarding_date.year + spec.validity_years)
        except ValueError:  # 29 February
            return award.awarding_date.replace(year=award.awarding_date.year + spec.validity_years,
                                               day=28)
    return None


@dataclass(frozen=True)
class _Shared:
    """The parts of a credential that depend only on the catalogue entry, built once (frozen:
    each is the same object in every credential, so later steps can work on it once too)."""

    issuer: Node
    awarding_body: Node
    qualification: Node  # what the claim is specified by: a LearningActivitySpecification for an activity
    display: Node
    profiles: tuple[Node, ...]
    schemas: tuple[Node, ...]
    assessment: Node | None
    id_verification: Node | None
    mandate: Node | None  # the issuer seals for another awarding body


_SHARED: dict[tuple[int, str, str, str, tuple[str, ...]], tuple[Catalogue, _Shared]] = {}


MANDATE = "http://data.europa.eu/snb/evidence-type/c_18016257"
_EVIDENCE_TYPES = "http://data.europa.eu/snb/evidence-type/25831c2"


def _mandate() -> Node:
    """The evidence the EC's issuer adds when the sealing organisation is not the awarding
    body: the claims are the awarding body's, the seal certifies where they come from."""
    return {"type": "Evidence", "dcType": external_concept(MANDATE, _EVIDENCE_TYPES, "Mandate"),
            "evidenceStatement": "Every claim inside this credential is to be construed as having been "
            "made by the indicated awarding body, who maintains sole responsibility for said claim. "
            "By applying its electronic seal, the signing organisation certifies the correctness of "
            "origin of each claim, as having been made by the indicated awarding body."}


def _shared(catalogue: Catalogue, spec: Specification, issuer_key: str, primary: str,
            languages: list[str]) -> _Shared:
    key = (id(catalogue), spec.code, issuer_key, primary, tuple(languages))
    hit = _SHARED.get(key)
    if hit is not None and hit[0] is catalogue:
        return hit[1]
    t = _Texts(languages)
    issuer = freeze(organisation(catalogue.organisation(issuer_key), t))
    body_key = spec.awarding_body or issuer_key
    body = issuer if body_key == issuer_key else freeze(organisation(catalogue.organisation(body_key), t))
    known: dict[str, Node] = {issuer_key: issuer, body_key: body}

    def bodies(of: Specification) -> Node:
        key = of.awarding_body or issuer_key
        if key not in known:
            known[key] = freeze(organisation(catalogue.organisation(key), t))
        return known[key]

    activity = spec.is_activity
    assessment = None if activity else _assessment_specification(spec, t)
    supervision = spec.assessment.supervision if spec.assessment is not None and not activity else None
    specified = activity_specification(spec, t) if activity else qualification(spec, catalogue, t, bodies)
    shared = _Shared(issuer, body, freeze(specified),
                     freeze(_display(t(spec.title), t(spec.description) if spec.description else None,
                                     primary, languages)),
                     (freeze(concept("credential-type", spec.credential_type.value)),),
                     (freeze({"id": SHAPES_GENERIC_FULL, "type": "ShaclValidator2017"}),),
                     freeze(assessment) if assessment is not None else None,
                     freeze(concept("supervision", supervision.value)) if supervision else None,
                     freeze(_mandate()) if body is not issuer else None)
    if len(_SHARED) > 1024:
        _SHARED.clear()
    _SHARED[key] = (catalogue, shared)
    return shared


def to_edc(award: Award, catalogue: Catalogue) -> dict[str, Any]:
    """One EDC 3.2 JSON-LD credential for one award (loaders have checked the references).

    Its own nodes get their ids as they are built, child first (see ``nodes.identified``); each
    is a new object, and only the catalogue's (frozen) nodes are shared between credentials."""
    spec = catalogue.specification(award.specification)
    if spec is None:
        raise KeyError(f"specification {award.specification!r} is not in the catalogue")
    primary, languages = languages_of(award, spec, catalogue)
    t = _Texts(languages)
    issuer_key = award.issuer or catalogue.issuer
    shared = _shared(catalogue, spec, issuer_key, primary, languages)
    issuer = shared.issuer
    awarding: Node = identified({"type": "AwardingProcess", "awardingBody": shared.awarding_body,
                                 "awardingDate": date_time(award.awarding_date)})
    kind = "LearningActivity" if spec.is_activity else "LearningAchievement"
    claim: Node = {"type": kind, "title": t(spec.title)}
    if spec.description:
        claim["description"] = t(spec.description)
    claim["awardedBy"] = awarding
    proven = _assessment(spec, award, dict(awarding), shared, t)
    if proven is not None:
        claim["provenBy"] = proven
    claim["specifiedBy"] = shared.qualification
    issued = date_time(award.issued_at())
    credential: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": credential_id(issuer_key, award.award_id),
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": list(shared.profiles),
        "credentialSchema": list(shared.schemas),
        "identifier": identified({"type": "Identifier", "schemeName": "Award number",
                                  "notation": award.award_id}),
        "issuer": issuer,
        "issuanceDate": issued,
        "issued": issued,
        "validFrom": date_time(award.awarding_date),
        "credentialSubject": _person(award, primary, identified(claim)),
        "displayParameter": shared.display,
    }
    until = valid_until(award, spec)
    if until:
        credential["validUntil"] = date_time(until)
        credential["expirationDate"] = credential["validUntil"]  # VC 1.1's, as issuanceDate is
    if shared.mandate is not None:
        credential["evidence"] = shared.mandate
    return credential
