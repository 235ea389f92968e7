"""Award + catalogue -> legacy EDC XML 1.2 (``europassCredential``, genericschema_1.2.xsd).

The XML model is normalised: the credential subject's achievement points by ``idref`` into
reference sections (``learningSpecificationReferences``, ``agentReferences``, ...), in the
order the schema fixes. Ids are deterministic: a UUIDv5 over the record each element comes
from, so the same input gives byte-identical XML, and the credential id is the one the JSON-LD
export uses. :func:`not_carried` lists what the 1.2 model cannot hold for a given award.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree
from pydantic import BaseModel

from edcbridge import vocab
from edcbridge.mapping.edc import SPEC_SCHEME, full_name, languages_of, mailto, valid_until
from edcbridge.mapping.nodes import NAMESPACE, credential_id, date_time
from edcbridge.model import Award, Catalogue, Organisation, QualityAssurance, Specification
from edcbridge.validation.findings import Finding
from edcbridge.vocab import CreditSystem

SNB = "http://data.europa.eu/snb"
CRED = "http://data.europa.eu/europass/model/credentials/w3c#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DS = "http://www.w3.org/2000/09/xmldsig#"
NSMAP = {None: SNB, "cred": CRED, "xsi": XSI, "ds": DS}
SCHEMA_LOCATION = f"{SNB} http://publications.europa.eu/resource/schema/credential/genericschema_1.2.xsd"
XSD_VERSION = "0.10.0"
ESCO_SKILL_FRAMEWORK = "http://data.europa.eu/esco/model#Skill"
"""``targetFrameworkUrl`` of an ESCO skill in EDC XML 1.x, with ``targetNotation="Skill"``: so in
every EC and EDCI XML sample (the ESCO dataset the EDCI applications name SKILL), not the JSON-LD
``inScheme`` concept scheme."""
CREDIT_SCHEMES = {
    CreditSystem.ECTS: "http://data.europa.eu/europass/educationalCreditPointSystem/ects",
    CreditSystem.ECVET: "http://data.europa.eu/europass/educationalCreditPointSystem/ecvet",
}
XML_LANGUAGES = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "is",
                 "it", "lt", "lv", "mk", "mt", "nl", "no", "pl", "pt", "ro", "sk", "sl", "sr", "sv",
                 "tr")
"""The languages genericschema_1.2.xsd allows in ``text/@lang`` (LanguageCharCodeEnumType)."""

# Scheme names of identifiers; the importer maps them back to the organisation fields.
ORG_IDENTIFIERS = (("registration", "registration"), ("eidas_identifier", "eIDAS"),
                   ("deqar_id", "DEQAR"), ("eter_id", "ETER"), ("erasmus_code", "Erasmus"))
AWARD_SCHEME = "Award number"
LEARNER_SCHEME = "Student number"
LOCAL_KEY_SCHEME = "local key"  # the registration of an organisation without identifiers


def q(name: str, ns: str = SNB) -> str:
    return f"{{{ns}}}{name}"


def node_id(kind: str, *parts: Any) -> str:
    """``urn:epass:<kind>:<uuid5>`` over the canonical JSON of the parts (records or strings)."""
    def plain(part: Any) -> Any:
        return part.model_dump(mode="json") if isinstance(part, BaseModel) else part

    text = json.dumps([kind, *map(plain, parts)], sort_keys=True, ensure_ascii=False, default=str)
    return f"urn:epass:{kind}:{uuid.uuid5(NAMESPACE, text)}"


def record_id(kind: str, issuer: str, key: str) -> str:
    """The id of a catalogue record (specification, organisation, accreditation) by its key in the
    issuer's catalogue, not its content: a register takes a known id for an update of that record,
    so a corrected title or address must keep it (and a new one would publish a second record)."""
    return node_id(kind, issuer, key)


def number_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def duration_of_hours(hours: Decimal) -> str:
    minutes = round(hours * 60)
    whole, rest = divmod(minutes, 60)
    return f"PT{whole}H{rest}M" if rest else f"PT{whole}H"


@dataclass
class _Writer:
    """Builds one credential; keeps the languages and the reference sections."""

    languages: list[str]
    issuer: str  # the catalogue's, whose keys the record ids are made of
    specs: dict[str, etree._Element] = field(default_factory=dict)
    outcomes: dict[str, etree._Element] = field(default_factory=dict)
    assessments: dict[str, etree._Element] = field(default_factory=dict)
    agents: dict[str, etree._Element] = field(default_factory=dict)
    awarding: dict[str, etree._Element] = field(default_factory=dict)
    accreditations: dict[str, etree._Element] = field(default_factory=dict)
    scoring: dict[str, etree._Element] = field(default_factory=dict)

    def texts(self, text: dict[str, str]) -> list[tuple[str, str]]:
        kept = [(lang, value) for lang, value in text.items() if lang in self.languages]
        return kept

    def text(self, parent: etree._Element, tag: str, text: dict[str, str] | None,
             required: bool = False) -> None:
        """A TextType element (title, prefLabel, ...), skipped when no language can be carried.

        A required one (an organisation's name) falls back to its first text, labelled with the
        credential's first language: 1.2 cannot label it correctly (see :func:`not_carried`).
        """
        kept = self.texts(text or {})
        if not kept and required and text:
            kept = [(self.languages[0], next(iter(text.values())))]
        if kept:
            element = etree.SubElement(parent, q(tag))
            for lang, value in kept:
                attrs = {"lang": lang, "content-type": "text/plain"}
                etree.SubElement(element, q("text"), attrs).text = value

    note = text  # NoteType has the same text children (and needs at least one: the same rule)

    def code(self, parent: etree._Element, tag: str, scheme: str, iri: str) -> None:
        """A CodeType element for a concept of one of our vocabularies."""
        found = vocab.concept(scheme, iri)
        attrs = {"targetFrameworkUrl": found.scheme, "uri": found.iri}
        if scheme in ("country", "language"):
            attrs["targetNotation"] = scheme
        element = etree.SubElement(parent, q(tag), attrs)
        name = etree.SubElement(element, q("targetName"))
        etree.SubElement(name, q("text"), {"lang": "en", "content-type": "text/plain"}).text = found.label

    def external_code(self, parent: etree._Element, tag: str, scheme: str, iri: str,
                      label: dict[str, str] | None = None, notation: str | None = None) -> None:
        """A CodeType element for a concept of another scheme (ESCO), named when a label is known."""
        attrs = {"targetFrameworkUrl": scheme, "uri": iri}
        if notation:
            attrs["targetNotation"] = notation
        element = etree.SubElement(parent, q(tag), attrs)
        name = etree.SubElement(element, q("targetName"))
        # as for our own vocabularies (English labels), a label is kept in any language 1.2 can
        # label when the credential's languages have none: an empty targetName names nothing
        kept = self.texts(label or {}) or [(lang, value) for lang, value in (label or {}).items()
                                           if lang in XML_LANGUAGES]
        for lang, value in kept:
            etree.SubElement(name, q("text"), {"lang": lang, "content-type": "text/plain"}).text = value

    def ref(self, parent: etree._Element, tag: str, idref: str, ns: str = SNB) -> None:
        etree.SubElement(parent, q(tag, ns), {"idref": idref})


def _legal(parent: etree._Element, tag: str, value: str, country_iri: str) -> None:
    spatial = vocab.concept("country", country_iri).iri.rsplit("/", 1)[-1]
    etree.SubElement(parent, q(tag), {"spatialID": spatial}).text = value


def _identifiers(org: Organisation) -> list[tuple[str, str]]:
    return [(scheme, getattr(org, attr)) for attr, scheme in ORG_IDENTIFIERS if getattr(org, attr)]


def organisation(w: _Writer, org: Organisation, tag: str = "organization") -> tuple[str, etree._Element]:
    """An OrganizationType element (registration and a location are mandatory in 1.2)."""
    oid = record_id("org", w.issuer, org.key)
    element = etree.Element(q(tag), {"id": oid})
    identifiers = _identifiers(org) or [(LOCAL_KEY_SCHEME, org.key)]
    for scheme, value in identifiers[1:]:
        etree.SubElement(element, q("identifier"), {"schemeName": scheme}).text = value
    if org.email:
        contact = etree.SubElement(element, q("contactPoint"))
        etree.SubElement(contact, q("mailBox"), {"uri": mailto(org.email)})
    etree.SubElement(element, q("registration"), {"schemeName": identifiers[0][0]}).text = identifiers[0][1]
    if org.vat_identifier:
        _legal(element, "vatIdentifier", org.vat_identifier, org.country)
    w.text(element, "prefLabel", org.legal_name, required=True)
    w.text(element, "altLabel", org.alt_label)
    if org.homepage:
        etree.SubElement(element, q("homepage"), {"uri": str(org.homepage)})
    location = etree.SubElement(element, q("hasLocation"))
    etree.SubElement(location, q("id")).text = record_id("location", w.issuer, org.key)
    address = etree.SubElement(location, q("hasAddress"))
    w.note(address, "fullAddress", org.address)
    w.code(address, "country", "country", org.country)
    return oid, element


def _agent(w: _Writer, org: Organisation) -> str:
    oid, element = organisation(w, org)
    w.agents.setdefault(oid, element)
    return oid


def _accreditation(w: _Writer, qa: QualityAssurance, catalogue: Catalogue, accredited: Organisation) -> str:
    aid = record_id("accreditation", w.issuer, qa.key)
    if aid in w.accreditations:
        return aid
    element = etree.Element(q("accreditation"), {"id": aid})
    etree.SubElement(element, q("identifier"), {"schemeName": "quality assurance key"}).text = qa.key
    w.code(element, "type", "accreditation-type", qa.type)
    w.text(element, "title", qa.title)
    w.note(element, "description", qa.decision)
    if qa.report_url:
        etree.SubElement(element, q("report"), {"uri": str(qa.report_url)})
    element.append(organisation(w, accredited)[1])
    agency = catalogue.organisation(qa.agency)
    _agent(w, agency)
    element.append(organisation(w, agency, "accreditingAgent")[1])
    if qa.issued:
        etree.SubElement(element, q("issuedDate")).text = date_time(qa.issued)
    if qa.expires:
        etree.SubElement(element, q("expiryDate")).text = date_time(qa.expires)
    w.accreditations[aid] = element
    return aid


def _outcomes(w: _Writer, spec: Specification) -> list[str]:
    ids = []
    for outcome in spec.learning_outcomes:
        oid = node_id("learningOutcome", outcome)
        if oid not in w.outcomes:
            element = etree.Element(q("learningOutcome"), {"id": oid})
            w.text(element, "prefLabel", outcome.title)
            for skill in outcome.esco_skills:
                w.external_code(element, "relatedEscoSkill", ESCO_SKILL_FRAMEWORK, str(skill.iri),
                                skill.label, "Skill")
            w.outcomes[oid] = element
        ids.append(oid)
    return ids


def _assessment_spec(w: _Writer, spec: Specification, proves: str) -> str | None:
    a = spec.assessment
    if a is None:
        return None
    aid = record_id("assessmentSpec", w.issuer, spec.code)
    element = etree.Element(q("assessmentSpecification"), {"id": aid})
    w.text(element, "title", a.title)
    if a.type:
        w.code(element, "type", "assessment-type", a.type)
    if a.mode:
        w.code(element, "mode", "mode", a.mode.value)
    if a.grading_scheme and w.texts(a.grading_scheme):
        sid = node_id("scoringScheme", a.grading_scheme)
        scheme = etree.Element(q("scoringScheme"), {"id": sid})
        w.text(scheme, "title", a.grading_scheme)
        w.scoring.setdefault(sid, scheme)
        etree.SubElement(element, q("gradingScheme"), {"idref": sid})
    w.ref(element, "proves", proves)
    w.assessments.setdefault(aid, element)
    return aid


def qualification(w: _Writer, spec: Specification, catalogue: Catalogue, awarding_body: str,
                  relations: dict[str, list[str]], body_key: str | None = None) -> str:
    """A QualificationType element in learningSpecificationReferences; returns its id.

    ``awarding_body`` is the id of the organisation that awards it in this credential, and
    ``body_key`` its catalogue key: the accreditations name the same organisation as accredited.
    """
    sid = record_id("qualification", catalogue.issuer, spec.code)
    if sid in w.specs:
        return sid
    element = etree.Element(q("qualification"), {"id": sid})
    w.specs[sid] = element  # reserve before recursion
    etree.SubElement(element, q("identifier"), {"schemeName": SPEC_SCHEME}).text = spec.code
    if spec.opportunity_type:
        w.code(element, "type", "learning-opportunity-type", spec.opportunity_type)
    w.text(element, "title", spec.title)
    w.note(element, "description", spec.description)
    w.note(element, "additionalNote", spec.further_information)
    if spec.homepage:
        etree.SubElement(element, q("homepage"), {"uri": str(spec.homepage)})
    for code in spec.isced_f:
        w.code(element, "hasISCED-FCode", "isced-f", code)
    if spec.hours is not None:
        etree.SubElement(element, q("volumeOfLearning")).text = duration_of_hours(spec.hours)
    if spec.credits is not None:
        tag = "hasECTSCreditPoints" if spec.credit_system is CreditSystem.ECTS else "hasCreditPoints"
        etree.SubElement(element, q(tag), {"schemeID": CREDIT_SCHEMES[spec.credit_system]}).text = \
            number_text(spec.credits)
    for lang in spec.languages:
        w.code(element, "language", "language", lang)
    if spec.mode:
        w.code(element, "mode", "mode", spec.mode.value)
    if spec.learning_setting:
        w.code(element, "learningSettingType", "learning-setting", spec.learning_setting.value)
    if spec.max_duration_months is not None:
        etree.SubElement(element, q("duration")).text = f"P{spec.max_duration_months}M"
    w.note(element, "entryRequirementsNote", spec.prerequisites)
    outcomes = _outcomes(w, spec)
    if outcomes:
        holder = etree.SubElement(element, q("learningOutcomes"))
        for oid in outcomes:
            w.ref(holder, "learningOutcome", oid)
    assessment = _assessment_spec(w, spec, sid)
    if assessment:
        w.ref(element, "assessmentSpecification", assessment)
    opportunities = etree.SubElement(element, q("awardingOpportunities"))
    opportunity = etree.SubElement(opportunities, q("awardingOpportunity"))
    w.ref(opportunity, "organization", awarding_body)
    if spec.kind == "micro-credential" or spec.part_of:
        etree.SubElement(element, q("isPartialQualification")).text = "true" if spec.part_of else "false"
    if spec.eqf:
        w.code(element, "eqfLevel", "eqf", spec.eqf.value)
    if spec.nqf:
        w.code(element, "nqfLevel", "nqf", spec.nqf)
    body = catalogue.organisation(body_key or spec.awarding_body or catalogue.issuer)
    for key in spec.quality_assurance:
        w.ref(element, "hasAccreditation", _accreditation(w, catalogue.qa(key), catalogue, body))
    for part in relations.get(spec.code, []):
        w.ref(element, "hasPart", part)
    return sid


def _check_languages(languages: list[str]) -> None:
    if not languages:
        raise ValueError("none of the credential's languages is one the EDC XML 1.2 schema allows "
                         f"({', '.join(XML_LANGUAGES)}); add an English (or other EU language) title "
                         "to the specification to export it as XML")


def xml_languages(award: Award, spec: Specification, catalogue: Catalogue) -> tuple[str, list[str]]:
    """(primary, all) languages of the XML credential: the JSON-LD ones the 1.2 schema allows.
    A primary language 1.2 cannot label gives way to the catalogue's, else English, as an Open
    Badge of the award falls back (not to the first in alphabetical order)."""
    primary, languages = languages_of(award, spec, catalogue)
    allowed = [lang for lang in languages if lang in XML_LANGUAGES]
    _check_languages(allowed)
    own = vocab.concept("language", catalogue.primary_language).code
    return next(lang for lang in (primary, own, "en", allowed[0]) if lang in allowed), allowed


def _name(w: _Writer, parent: etree._Element, tag: str, name: dict[str, str] | None, primary: str) -> None:
    """One value per name, in the primary language (as the JSON-LD export does)."""
    if not name:
        return
    lang = primary if primary in name else next(iter(name))
    element = etree.SubElement(parent, q(tag))
    label = lang if lang in w.languages else primary
    etree.SubElement(element, q("text"), {"lang": label, "content-type": "text/plain"}).text = name[lang]


def _related(spec: Specification, catalogue: Catalogue) -> tuple[list[Specification], list[Specification]]:
    """The wholes (``part_of``) and parts (``has_part``) a credential carries beside its own
    specification, those the catalogue holds."""
    def found(codes: tuple[str, ...]) -> list[Specification]:
        return [s for s in (catalogue.specification(c) for c in codes) if s is not None]
    return found(spec.part_of), found(spec.has_part)


def _related_body(spec: Specification, catalogue: Catalogue) -> str:
    """The key of the organisation a related specification names as its awarding body."""
    return spec.awarding_body or catalogue.issuer


def to_edc_xml(award: Award, catalogue: Catalogue) -> etree._ElementTree:
    """One unsigned EDC XML 1.2 credential (with an empty ``proof`` ready for the seal)."""
    spec = catalogue.specification(award.specification)
    if spec is None:
        raise KeyError(f"specification {award.specification!r} is not in the catalogue")
    primary, languages = xml_languages(award, spec, catalogue)
    w = _Writer(languages, catalogue.issuer)
    issuer_key = award.issuer or catalogue.issuer
    issuer_id = _agent(w, catalogue.organisation(issuer_key))
    body_key = spec.awarding_body or issuer_key
    body_id = _agent(w, catalogue.organisation(body_key))

    relations: dict[str, list[str]] = {}
    related, parts = _related(spec, catalogue)
    main_id = record_id("qualification", catalogue.issuer, spec.code)
    for parent in related:  # isPartOf does not exist in 1.2: the parent names the part
        relations.setdefault(parent.code, []).append(main_id)
    relations[spec.code] = [record_id("qualification", catalogue.issuer, p.code) for p in parts]
    qualification(w, spec, catalogue, body_id, relations, body_key)
    for other in [*related, *parts]:
        other_body = _agent(w, catalogue.organisation(_related_body(other, catalogue)))
        qualification(w, other, catalogue, other_body, relations)

    process_id = node_id("awardingProcess", award.award_id, body_key, award.awarding_date.isoformat())
    process = etree.Element(q("awardingProcess"), {"id": process_id})
    w.ref(process, "awardingBody", body_id)
    etree.SubElement(process, q("date")).text = date_time(award.awarding_date)
    w.awarding[process_id] = process

    root = etree.Element(q("europassCredential"), nsmap=NSMAP)  # type: ignore[arg-type]
    root.set(q("schemaLocation", XSI), SCHEMA_LOCATION)
    root.set(q("id", CRED), credential_id(issuer_key, award.award_id))
    root.set("xsdVersion", XSD_VERSION)
    etree.SubElement(root, q("identifier"), {"schemeName": AWARD_SCHEME}).text = award.award_id
    w.code(root, "type", "credential-type", spec.credential_type.value)
    etree.SubElement(root, q("primaryLanguage")).text = primary
    available = etree.SubElement(root, q("availableLanguages"))
    for lang in languages:
        etree.SubElement(available, q("language")).text = lang
    etree.SubElement(root, q("validFrom", CRED)).text = date_time(award.awarding_date)
    etree.SubElement(root, q("issued", CRED)).text = date_time(award.issued_at())
    until = valid_until(award, spec)
    if until:
        etree.SubElement(root, q("validUntil", CRED)).text = date_time(until)
    w.ref(root, "issuer", issuer_id, CRED)
    w.text(root, "title", spec.title)
    w.text(root, "description", spec.description)
    _subject(w, root, award, spec, primary, main_id, process_id, body_id)
    _sections(w, root)
    etree.SubElement(root, q("proof"))
    return root.getroottree()


def _subject(w: _Writer, root: etree._Element, award: Award, spec: Specification, primary: str,
             spec_id: str, process_id: str, body_id: str) -> None:
    learner = award.learner
    subject = etree.SubElement(root, q("credentialSubject"), {"id": node_id("person", learner)})
    etree.SubElement(subject, q("identifier"), {"schemeName": LEARNER_SCHEME}).text = learner.id
    if learner.email:
        contact = etree.SubElement(subject, q("contactPoint"))
        etree.SubElement(contact, q("mailBox"), {"uri": mailto(learner.email)})
    if learner.national_id and learner.national_id_country:
        _legal(subject, "nationalId", learner.national_id, learner.national_id_country)
    _name(w, subject, "fullName", full_name(learner, primary), primary)
    _name(w, subject, "givenNames", learner.given_name, primary)
    _name(w, subject, "familyName", learner.family_name, primary)
    if learner.date_of_birth:
        etree.SubElement(subject, q("dateOfBirth")).text = learner.date_of_birth.isoformat()
    achievements = etree.SubElement(subject, q("achievements"))
    achievement = etree.SubElement(achievements, q("learningAchievement"),
                                   {"id": node_id("learningAchievement", award.issuer, award.award_id)})
    w.text(achievement, "title", spec.title)
    w.note(achievement, "description", spec.description)
    a = spec.assessment
    if a is not None and award.grade:
        assessment = etree.SubElement(achievement, q("wasDerivedFrom"),
                                      {"id": node_id("assessment", award.issuer, award.award_id)})
        w.text(assessment, "title", a.title)
        grade_lang = primary if primary in award.grade else next(iter(award.grade))
        etree.SubElement(assessment, q("grade")).text = award.grade[grade_lang]
        if a.supervision:
            w.code(assessment, "idVerificationMethod", "supervision", a.supervision.value)
        w.ref(assessment, "assessedBy", body_id)
        w.ref(assessment, "specifiedBy", record_id("assessmentSpec", w.issuer, spec.code))
    w.ref(achievement, "wasAwardedBy", process_id)
    w.ref(achievement, "specifiedBy", spec_id)


def _sections(w: _Writer, root: etree._Element) -> None:
    sections: Iterable[tuple[str, dict[str, etree._Element]]] = (
        ("learningSpecificationReferences", w.specs),
        ("learningOutcomeReferences", w.outcomes),
        ("assessmentSpecificationReferences", w.assessments),
        ("agentReferences", w.agents),
        ("awardingProcessReferences", w.awarding),
        ("accreditationReferences", w.accreditations),
        ("scoringSchemeReferences", w.scoring),
    )
    for tag, items in sections:
        if items:
            section = etree.SubElement(root, q(tag))
            section.extend(items.values())


def serialise(tree: etree._ElementTree) -> bytes:
    """The bytes written for an XML credential: UTF-8 with declaration, indented, stable."""
    etree.indent(tree, space="  ")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n"


def not_carried(award: Award, catalogue: Catalogue, xml: bytes | None = None) -> list[Finding]:
    """What of this award the EDC XML 1.2 model cannot carry (info findings, code ``xml-loss``).
    ``xml``: the credential written for it, when at hand (else it is built): only the
    organisations it holds are looked at."""
    spec = catalogue.specification(award.specification)
    if spec is None:
        return [Finding("xml-loss", "error", "specification", f"{award.specification!r} is not in the "
                        "catalogue", "add the specification to the catalogue")]
    primary_json, json_languages = languages_of(award, spec, catalogue)
    lost: list[Finding] = []

    def loss(where: str, message: str, fix: str = "") -> None:
        lost.append(Finding("xml-loss", "info", where, message, fix))

    try:
        primary, languages = xml_languages(award, spec, catalogue)
    except ValueError as exc:
        return [Finding("xml-loss", "error", "languages", str(exc))]
    dropped = sorted(set(json_languages) - set(languages))
    if dropped:
        loss("text/@lang", f"texts in {', '.join(dropped)} are left out: the 1.2 schema's language list "
             "has no such language", "the JSON-LD credential carries them")
    if primary != primary_json:
        loss("primaryLanguage", f"primary language {primary_json} becomes {primary}; personal names "
             f"are labelled {primary}")
    if award.grade and spec.assessment is None:
        loss("wasDerivedFrom/grade", f"the grade is left out: 1.2 holds it in an assessment, and "
             f"{spec.code} specifies none", "add an assessment (its title at least) to the "
             "specification in the catalogue")
    elif award.grade and len(award.grade) > 1:
        loss("wasDerivedFrom/grade", "the grade is one string in 1.2: only the primary-language grade "
             "is kept")
    for name in ("given_name", "family_name", "full_name"):
        value = getattr(award.learner, name)
        if value and len(value) > 1:
            loss(f"credentialSubject/{name}", "one value per name is kept (the primary-language one), "
                 "as in the JSON-LD credential")
    if spec.learning_outcome_summary:
        loss("learningOutcomeSummary", "1.2 has no learning-outcome summary",
             "the individual learning outcomes are carried")
    if spec.credit_currency_years is not None:
        loss("creditCurrency", "1.2 has no credit-currency period", "state it in further_information")
    issuer_key = award.issuer or catalogue.issuer
    if (spec.awarding_body or issuer_key) != issuer_key:
        loss("evidence", f"the mandate is not carried: {issuer_key!r} issues for the awarding body "
             f"{spec.awarding_body!r}, whose claims these are, and 1.2 has no evidence to say so (the "
             "JSON-LD credential carries the Mandate evidence)", "the awarding body is named in "
             "awardingProcess/awardingBody and the issuer in cred:issuer")
    lost += _related_mandates(spec, catalogue, issuer_key)
    if spec.part_of:
        loss("isPartOf", "1.2 has no isPartOf: the parent qualification is included and names this "
             "one in hasPart")
    written = xml if xml is not None else serialise(to_edc_xml(award, catalogue))
    for org in catalogue.organisations:
        if record_id("org", catalogue.issuer, org.key).encode() not in written:  # a uuid: no false match
            continue
        if not any(lang in languages for lang in org.legal_name):
            loss(f"organization[{org.key}]/prefLabel", f"the name of {org.key!r} has no text in "
                 f"{', '.join(languages)}: its first text is written labelled {languages[0]}",
                 "add a legal_name in one of the credential's languages")
        if not _identifiers(org):  # a VAT number is no registration: it has its own element
            loss(f"organization[{org.key}]/registration", "1.2 requires a registration identifier: "
                 "the local organisation key is written instead",
                 f"add registration (or eidas_identifier) to organisation {org.key!r}")
    unnamed = _unnamed_skills(written)
    if unnamed:
        lost.append(Finding(
            "xml-loss", "warning", "relatedEscoSkill/targetName",
            f"ESCO skills without a label in the credential's languages have an empty targetName: "
            f"{', '.join(unnamed)}; name each in learning_outcomes as {{iri: ..., label: {{en: ...}}}}",
            f"write {{iri: {unnamed[0]}, label: {{en: ESCO's preferred label}}}} in the specification's "
            "learning_outcomes, and so each skill listed"))
    loss("displayParameters", "the display card image of the JSON-LD credential is not carried")
    return lost


def _related_mandates(spec: Specification, catalogue: Catalogue, issuer_key: str) -> list[Finding]:
    """A whole or part the credential carries whose awarding body is not the issuer: the issuer
    seals that body's claims too, and 1.2 has no evidence for that mandate either."""
    related, parts = _related(spec, catalogue)
    roles = {**{p.code: (p, f"a part of {spec.code!r}") for p in parts},
             **{w.code: (w, f"which {spec.code!r} is part of") for w in related}}
    lost = []
    for code, (other, role) in roles.items():
        body = _related_body(other, catalogue)
        if body == issuer_key:
            continue
        lost.append(Finding(
            "xml-loss", "info", f"evidence[{code}]",
            f"the mandate is not carried for {code!r} ({role}, included in the credential): "
            f"{issuer_key!r} issues for its awarding body {body!r}, and 1.2 has no evidence to say so",
            f"the awarding body is named in the awardingOpportunity of {code!r} and "
            "the issuer in cred:issuer"))
    return lost


def _unnamed_skills(xml: bytes) -> list[str]:
    """The ESCO skills of a written credential whose targetName holds no text, each once."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    found = (e.get("uri", "") for e in root.iter(q("relatedEscoSkill"))
             if e.find(f"{q('targetName')}/{q('text')}") is None)
    return list(dict.fromkeys(found))
