"""Catalogue -> ELM 3.2 LOQ ``Courses`` document for a qualification / learning-opportunity register.

Each specification becomes a ``learningOpportunity`` (provider, homepage, mode; no duration:
how long an offer runs is not the ``maximumDuration`` a learner may take) pointing to what it
leads to: a ``qualification`` when the specification has both an EQF and an NQF level (LOQ
requires both), otherwise a ``learningAchievementSpecification``; each carries learning
outcomes, credits, ISCED-F fields, languages, mode, setting and assessment.
Organisations, locations, accreditations, grading schemes and learning outcomes are normalised
into their reference sections and linked by ``idref``, with the same ids as the credential
export: a record of the catalogue (specification, organisation, accreditation) keeps its id when
it is corrected, so a register updates it; outcomes and grading schemes, which have no key, are
named by their content. Institutional QA (and licences) also go on the awarding body's
``organisation``, the one place LOQ gives them for a specification without levels; a
specification code names its agency (the issuer); ESCO skills keep the catalogue's labels;
a stack given on one side only (``has_part`` or ``part_of``) is linked from both records; a
specification with only one of EQF and NQF gives it as its ``educationLevel``.
A specification the LOQ profile cannot describe (no homepage, ISCED-F code or learning
outcome, all mandatory there) is left out with a finding saying what to add, and a stack
link to it with a note on the specification linking to it (a part whose whole is left out
stays ``isPartialQualification`` true, and its note says the whole is not published); so is
a ``hasPart`` link between a qualification and a specification (the schema's keyrefs keep
parts to one record kind), programme QA of a specification without levels, an assessment's
supervision (LOQ has no element), a logo LOQ cannot embed, an identifier another record
already carries (LOQ's notations are unique per document), and the fields of the credential
rather than the learning (credential type, validity, credit currency), each noted with where it
goes instead.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lxml import etree

from edcbridge import vocab
from edcbridge.mapping.edc import SPEC_SCHEME, mailto
from edcbridge.mapping.nodes import date_time
from edcbridge.model import Catalogue, Organisation, Specification
from edcbridge.validation.findings import Finding
from edcbridge.xml.edc12 import ORG_IDENTIFIERS, duration_of_hours, node_id, number_text, record_id

LOQ = "http://data.europa.eu/snb/model/ap/loq-constraints/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DC = "http://purl.org/dc/terms/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {None: LOQ, "skos": SKOS, "dc": DC, "xsi": XSI}
SCHEMA_LOCATION = f"{LOQ} loq.xsd"
XSD_VERSION = "3.1.0"  # the 3.2 branch never bumped it; the official samples write 3.1.0


def _q(name: str, ns: str = LOQ) -> str:
    return f"{{{ns}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None, ns: str = LOQ,
         **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, _q(name, ns), attrs)
    if text is not None:
        element.text = text
    return element


@dataclass
class LoqResult:
    tree: etree._ElementTree
    findings: list[Finding] = field(default_factory=list)
    specifications: list[str] = field(default_factory=list)


@dataclass
class _Doc:
    catalogue: Catalogue
    opportunities: list[etree._Element] = field(default_factory=list)
    achievements: list[etree._Element] = field(default_factory=list)
    outcomes: dict[str, etree._Element] = field(default_factory=dict)
    assessments: list[etree._Element] = field(default_factory=list)
    agents: dict[str, etree._Element] = field(default_factory=dict)
    accreditations: dict[str, etree._Element] = field(default_factory=dict)
    grading: dict[str, etree._Element] = field(default_factory=dict)
    locations: dict[str, etree._Element] = field(default_factory=dict)
    notations: set[str] = field(default_factory=set)
    losses: list[Finding] = field(default_factory=list)  # what the document leaves out

    @functools.cached_property
    def links(self) -> _Links:
        return _Links.of(self.catalogue)

    def strings(self, parent: etree._Element, name: str, text: dict[str, str] | None,
                ns: str = LOQ) -> None:
        for lang, value in (text or {}).items():
            _sub(parent, name, value, ns, language=lang)

    def _by_primary(self, text: dict[str, str] | None) -> list[tuple[str, str]]:
        """The entries of a text, the primary language's first."""
        primary = vocab.concept("language", self.catalogue.primary_language).code
        return sorted((text or {}).items(), key=lambda item: item[0] != primary)

    def note(self, parent: etree._Element, name: str, text: dict[str, str] | None, many: bool) -> None:
        """NoteType holds one literal: one note per language where repeatable, else the first."""
        items = self._by_primary(text)
        for lang, value in items if many else items[:1]:
            _sub(_sub(parent, name), "noteLiteral", value, language=lang)

    def one_language(self, text: dict[str, str]) -> str:
        """What a single-literal note keeps of a text in several languages, for a finding."""
        kept, *left = (lang for lang, _ in self._by_primary(text))
        return f"the {kept} text is kept, {', '.join(left)} left out"

    def identifier(self, parent: etree._Element, where: str, scheme: str, value: str,
                   agency: tuple[str, str] | None = None) -> None:
        """``agency`` (language, name) names who gives out the codes of a local scheme."""
        if value in self.notations:  # LOQ's UniqueNotationCheck: notations unique per document
            self.losses.append(Finding("loq-loss", "info", where,
                                       f"{scheme} {value} is left out: another record of the document "
                                       "carries it, and LOQ gives each identifier to one record only"))
            return
        self.notations.add(value)
        element = _sub(parent, "identifier")
        _sub(element, "notation", value, SKOS)
        if agency:
            _sub(element, "schemeAgency", agency[1], language=agency[0])
        _sub(element, "schemeName", scheme)

    def primary(self, text: dict[str, str]) -> tuple[str, str]:
        """The primary-language entry of a text, else its first."""
        code = vocab.concept("language", self.catalogue.primary_language).code
        lang = code if code in text else next(iter(text))
        return lang, text[lang]

    def uri(self, parent: etree._Element, name: str, iri: str, ns: str = LOQ) -> None:
        _sub(parent, name, None, ns, uri=iri)

    def ref(self, parent: etree._Element, name: str, idref: str) -> None:
        _sub(parent, name, None, idref=idref)


def _legal(doc: _Doc, parent: etree._Element, name: str, value: str, country: str) -> None:
    element = _sub(parent, name)
    _sub(element, "notation", value, SKOS)
    doc.uri(element, "spatial", country)


def _location(doc: _Doc, org: Organisation) -> str:
    lid = record_id("location", doc.catalogue.issuer, org.key)
    if lid not in doc.locations:
        location = etree.Element(_q("location"), id=lid)
        address = _sub(location, "address")
        doc.note(address, "fullAddress", org.address, many=False)
        if org.address and len(org.address) > 1:
            doc.losses.append(Finding("loq-loss", "info", f"organisations[{org.key}].address",
                                      f"an LOQ address holds one language: {doc.one_language(org.address)}"))
        doc.uri(address, "countryCode", org.country)
        doc.locations[lid] = location
    return lid


def _organisation(doc: _Doc, key: str) -> str:
    org = doc.catalogue.organisation(key)
    oid = record_id("org", doc.catalogue.issuer, org.key)
    if oid in doc.agents:
        return oid
    element = etree.Element(_q("organisation"), id=oid)
    doc.agents[oid] = element
    doc.strings(element, "altLabel", org.alt_label, SKOS)
    doc.strings(element, "legalName", org.legal_name)
    for attr, scheme in ORG_IDENTIFIERS:
        if attr not in ("registration", "eidas_identifier") and getattr(org, attr):
            doc.identifier(element, f"organisations[{org.key}].identifier", scheme, getattr(org, attr))
    if org.eidas_identifier:
        _legal(doc, element, "eidasLegalIdentifier", org.eidas_identifier, org.country)
    if org.registration:
        _legal(doc, element, "registration", org.registration, org.country)
    if org.vat_identifier:
        _legal(doc, element, "vatIdentifier", org.vat_identifier, org.country)
    if org.homepage:
        _sub(_sub(element, "homepage"), "contentUrl", str(org.homepage))
    doc.ref(element, "location", _location(doc, org))
    if org.email:
        _sub(_sub(element, "contactPoint"), "emailAddress", mailto(org.email))
    _logo(doc, element, org)
    if org.did:
        doc.losses.append(_did_note(org))
    return oid


def _did_note(org: Organisation) -> Finding:
    """LOQ has no place for a DID: its ``identifier`` is a formally issued one (and a notation
    unique in the document), and a record's id stays the catalogue's, so a register updates it."""
    return Finding("loq-loss", "info", f"organisations[{org.key}].did",
                   f"did {org.did} is not published in LOQ, which has no place for an organisation's "
                   "DID: it goes in the credentials, as the issuer's id in the EBSI profile "
                   "(export --format ebsi) and the issuer of signed Open Badges and CLRs")


FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
BASE64 = "http://data.europa.eu/snb/encoding/6146cde7dd"
LOGO_TYPES = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "svg+xml": "SVG"}  # LOQ's file types
_DATA_URI = re.compile(r"data:image/([a-z+]+);base64,(.+)", re.DOTALL)


def _logo(doc: _Doc, element: etree._Element, org: Organisation) -> None:
    """A logo file the catalogue names is embedded (LOQ's logo holds the image itself); one
    given by its https address, or in a file type LOQ does not list, is reported."""
    if not org.logo:
        return
    found = _DATA_URI.fullmatch(org.logo)
    kind = LOGO_TYPES.get(found.group(1)) if found else None
    if found is None or kind is None:
        what = "given by its https address (which is not fetched)" if found is None else \
            f"an image/{found.group(1)} file, a type LOQ's list does not have"
        doc.losses.append(Finding("loq-loss", "info", f"organisations[{org.key}].logo",
                                  "the logo is left out: LOQ embeds the image itself, and this one "
                                  f"is {what}", "name a PNG, JPEG, GIF or SVG file beside the "
                                  "catalogue as logo"))
        return
    logo = _sub(element, "logo")
    doc.uri(logo, "contentType", FILE_TYPE + kind)
    doc.uri(logo, "contentEncoding", BASE64)
    _sub(logo, "content", found.group(2))


def _accreditation(doc: _Doc, key: str, accredited: str) -> str:
    """One accreditation per QA record; its ``organisation`` names every awarding body it is
    given for, not only the first."""
    qa = doc.catalogue.qa(key)
    aid = record_id("accreditation", doc.catalogue.issuer, qa.key)
    if aid in doc.accreditations:
        named = doc.accreditations[aid].findall(_q("organisation"))
        if accredited not in {ref.get("idref") for ref in named}:
            named[-1].addnext(etree.Element(_q("organisation"), idref=accredited))
        return aid
    element = etree.Element(_q("accreditation"), id=aid)
    doc.accreditations[aid] = element
    doc.uri(element, "type", qa.type)
    doc.strings(element, "title", qa.title)
    doc.strings(element, "description", qa.decision)
    if qa.report_url:
        _sub(_sub(element, "report"), "contentUrl", str(qa.report_url))
    doc.ref(element, "organisation", accredited)
    doc.ref(element, "accreditingAgent", _organisation(doc, qa.agency))
    if qa.issued:
        _sub(element, "issued", date_time(qa.issued))
    if qa.expires:
        _sub(element, "expiryDate", date_time(qa.expires))
    return aid


INSTITUTIONAL = frozenset({"http://data.europa.eu/snb/accreditation/bb4618238e",  # Institutional QA
                           "http://data.europa.eu/snb/accreditation/003293d2ce"})  # Institutional Licence


def _institutional(doc: _Doc, spec: Specification, provider: str) -> list[str]:
    """Institutional QA and licences describe the awarding body: they go on its organisation
    (``organisation/accreditation``), where a register finds them for every record it provides,
    qualification or not. Returns the QA keys of the specification that cannot go there."""
    left = []
    organisation = doc.agents[provider]
    for key in spec.quality_assurance:
        if doc.catalogue.qa(key).type not in INSTITUTIONAL:
            left.append(key)
            continue
        aid = _accreditation(doc, key, provider)
        linked = organisation.findall(_q("accreditation"))
        if aid not in {ref.get("idref") for ref in linked}:
            reference = etree.Element(_q("accreditation"), idref=aid)
            if linked:
                linked[-1].addnext(reference)
            else:  # OrganisationType: accreditation comes right before the (mandatory) location
                organisation.findall(_q("location"))[0].addprevious(reference)
    return left


def _outcomes(doc: _Doc, spec: Specification) -> list[str]:
    ids = []
    for outcome in spec.learning_outcomes:
        oid = node_id("learningOutcome", outcome)
        if oid not in doc.outcomes:
            element = etree.Element(_q("learningOutcome"), id=oid)
            doc.strings(element, "title", outcome.title)
            for skill in outcome.esco_skills:  # ESCO's label, where the catalogue gives it
                doc.strings(_sub(element, "relatedESCOSkill", uri=str(skill)), "prefLabel",
                            skill.label, SKOS)
            doc.outcomes[oid] = element
        ids.append(oid)
    return ids


def _assessment(doc: _Doc, spec: Specification, proves: str) -> str | None:
    a = spec.assessment
    if a is None:
        return None
    aid = record_id("assessmentSpec", doc.catalogue.issuer, spec.code)
    element = etree.Element(_q("learningAssessmentSpecification"), id=aid)
    doc.strings(element, "title", a.title)
    if a.type:
        doc.uri(element, "type", a.type)
    if a.mode:
        doc.uri(element, "mode", a.mode.value)
    if a.grading_scheme:
        gid = node_id("scoringScheme", a.grading_scheme)
        if gid not in doc.grading:
            scheme = etree.Element(_q("gradingScheme"), id=gid)
            doc.strings(scheme, "title", a.grading_scheme)
            doc.grading[gid] = scheme
        doc.ref(element, "gradingScheme", gid)
    doc.ref(element, "proves", proves)
    doc.assessments.append(element)
    return aid


def _problems(spec: Specification, homepage: str | None) -> list[str]:
    missing = []
    if homepage is None:
        missing.append("a homepage (here or on its provider)")
    if not spec.isced_f:
        missing.append("an ISCED-F field (isced_f)")
    if not spec.learning_outcomes:
        missing.append("at least one learning outcome")
    return missing


def _unnamed_skills(spec: Specification) -> list[Finding]:
    """ESCO skills the catalogue gives without a label: published by their address alone."""
    unnamed = list(dict.fromkeys(str(skill) for outcome in spec.learning_outcomes
                                 for skill in outcome.esco_skills if not skill.label))
    if not unnamed:
        return []
    return [Finding("loq-loss", "info", f"specifications[{spec.code}].learning_outcomes",
                    f"ESCO skills without a label have no prefLabel: {', '.join(unnamed)}",
                    f"write {{iri: {unnamed[0]}, label: {{en: ESCO's preferred label}}}} in "
                    "learning_outcomes, and so each skill listed")]


def _is_qualification(spec: Specification) -> bool:
    return spec.eqf is not None and spec.nqf is not None


def _education_levels(spec: Specification) -> list[str]:
    """The level of a specification with one of EQF and NQF: LOQ's ``EQFLevel`` and
    ``NQFLevel`` belong to a qualification, which needs both, but any learning achievement
    specification has ``educationLevel``, a concept of a framework of levels."""
    if _is_qualification(spec):
        return []
    return [level for level in (spec.eqf.value if spec.eqf else None, spec.nqf) if level]


def _level_loss(spec: Specification) -> list[Finding]:
    """A specification with one level only is published with it as its ``educationLevel``,
    not as the EQF or NQF level a register searches qualifications by."""
    if _is_qualification(spec) or (spec.eqf is None and spec.nqf is None):
        return []
    given, missing = ("eqf", "nqf") if spec.eqf is not None else ("nqf", "eqf")
    return [Finding("loq-loss", "warning", f"specifications[{spec.code}].{given}",
                    f"published as a learningAchievementSpecification with its {given} level as "
                    f"educationLevel, not {given.upper()}Level: LOQ gives EQF and NQF levels to a "
                    "qualification only, which needs both eqf and nqf",
                    f"add {missing} to specification {spec.code!r} to publish it as a qualification")]


def _given(spec: Specification, name: str) -> bool:
    """Whether the catalogue gives a field: it writes it, or its value is not the default."""
    value = getattr(spec, name)
    default = Specification.model_fields[name].default
    return value is not None and (name in spec.model_fields_set or value != default)


def _credential_fields(spec: Specification) -> list[Finding]:
    """Fields of the credential issued for a specification, which LOQ (describing the learning)
    has no element for: one note per field given, saying where it does go."""
    where = f"specifications[{spec.code}]"
    notes = []
    if _given(spec, "credential_type"):
        kind = spec.credential_type.name.lower().replace("_", "-")
        notes.append(Finding("loq-loss", "info", f"{where}.credential_type",
                             f"credential_type {kind} is not published in LOQ, which describes the "
                             "learning and not the credential issued for it: it goes in each EDC "
                             "credential, as its credentialProfiles"))
    if _given(spec, "validity_years"):
        notes.append(Finding("loq-loss", "info", f"{where}.validity_years",
                             f"validity_years {spec.validity_years} is not published in LOQ, which has "
                             "no place for how long a credential stays valid: it goes in each EDC "
                             f"credential, as its validUntil ({spec.validity_years} years after the "
                             "awarding date)"))
    if _given(spec, "credit_currency_years"):
        notes.append(Finding("loq-loss", "info", f"{where}.credit_currency_years",
                             f"credit_currency_years {spec.credit_currency_years} is not published in "
                             "LOQ, which has no credit-currency period, and the EDC credential does not "
                             "carry it either (EDC 3.2 has no such property): it counts in the stacking "
                             "checks only",
                             f"to tell the register, state the period in further_information of "
                             f"specification {spec.code!r} (published as an additionalNote)"))
    return notes


@dataclass(frozen=True)
class _Links:
    """Which specifications name each code in ``part_of`` and in ``has_part``, in catalogue
    order: read once, as a look-up per specification of every other one grows with the square
    of the catalogue."""

    naming_as_whole: dict[str, list[str]]  # code -> the specifications whose part_of names it
    naming_as_part: dict[str, list[str]]  # code -> the specifications whose has_part names it

    @classmethod
    def of(cls, catalogue: Catalogue) -> _Links:
        as_whole: dict[str, list[str]] = {}
        as_part: dict[str, list[str]] = {}
        for spec in catalogue.specifications:
            for code in dict.fromkeys(spec.part_of):
                as_whole.setdefault(code, []).append(spec.code)
            for code in dict.fromkeys(spec.has_part):
                as_part.setdefault(code, []).append(spec.code)
        return cls(as_whole, as_part)


def _parts(doc: _Doc, spec: Specification) -> tuple[str, ...]:
    """The codes of a specification's parts, whichever side of the link the catalogue gives:
    its own ``has_part`` and every specification naming it in ``part_of``."""
    named = doc.links.naming_as_whole.get(spec.code, [])
    return tuple(dict.fromkeys((*spec.has_part, *named)))


def _wholes(doc: _Doc, spec: Specification) -> tuple[str, ...]:
    """The codes of what a specification is part of: its ``part_of`` and every specification
    naming it in ``has_part``."""
    named = doc.links.naming_as_part.get(spec.code, [])
    return tuple(dict.fromkeys((*spec.part_of, *named)))


def _unpublished_links(doc: _Doc, spec: Specification, ids: dict[str, str]) -> list[Finding]:
    """The stack links of a published specification to one left out of the document (said in
    its own ``loq-skipped`` warning): LOQ links records of the document only."""
    notes = []
    for field_name, element, role, codes in (("has_part", "hasPart", "part", _parts(doc, spec)),
                                             ("part_of", "isPartOf", "whole", _wholes(doc, spec))):
        for code in codes:
            if code in ids or doc.catalogue.specification(code) is None:
                continue
            notes.append(Finding(
                "loq-loss", "info", f"specifications[{spec.code}].{field_name}",
                f"the {element} link to {code!r} is left out: the {role} {code!r} is not published "
                "in the LOQ document (see its loq-skipped warning), and LOQ links only records the "
                f"document holds{_still_partial(spec) if role == 'whole' else ''}",
                f"give {code!r} what its loq-skipped warning asks for, and the link is published"))
    return notes


def _still_partial(spec: Specification) -> str:
    """What a qualification whose whole is left out still tells the register: it is part of
    another qualification by the catalogue, so its isPartialQualification stays true."""
    if not _is_qualification(spec):
        return ""
    return (f"; {spec.code!r} keeps isPartialQualification true, as the catalogue makes it part of "
            "another qualification, so the register sees a partial qualification whose whole it "
            "does not hold")


def _title_language(spec: Specification, primary: str) -> str:
    """The IRI of the primary language if the title is written in it, else of the title's first."""
    code = vocab.concept("language", primary).code
    return vocab.resolve("language", code if code in spec.title else next(iter(spec.title))).iri


def _language_default(spec: Specification, primary: str) -> list[Finding]:
    """LOQ requires a specification's language of instruction: without ``languages`` it is
    taken from the title, and the register is told which it got."""
    if spec.languages:
        return []
    code = vocab.concept("language", _title_language(spec, primary)).code
    return [Finding("loq-default", "info", f"specifications[{spec.code}].languages",
                    f"no languages given: published as taught in {code}, the language of its title "
                    "(LOQ requires the language of instruction)",
                    f"write languages: [{code}] (or the languages it is taught in) in specification "
                    f"{spec.code!r}")]


def _record_tag(spec: Specification) -> str:
    return "qualification" if _is_qualification(spec) else "learningAchievementSpecification"


def _has_part(doc: _Doc, element: etree._Element, spec: Specification, ids: dict[str, str]) -> None:
    """``hasPart`` links between records of one kind only: the schema's keyrefs tie a
    qualification's parts to qualifications and a specification's to specifications."""
    for code in _parts(doc, spec):
        part = doc.catalogue.specification(code)
        if code not in ids or part is None:
            continue
        if _record_tag(part) == _record_tag(spec):
            doc.ref(element, "hasPart", ids[code])
            continue
        doc.losses.append(Finding(
            "loq-loss", "warning", f"specifications[{spec.code}].has_part",
            f"{code!r} is published as a {_record_tag(part)} and {spec.code!r} as a "
            f"{_record_tag(spec)}; LOQ links hasPart only between records of one kind, so "
            f"the hasPart {code!r} of {spec.code!r} is left out (the register still gets "
            f"isPartOf {spec.code!r} on {code!r}, and the learning opportunities' links both ways)",
            f"give both {spec.code!r} and {code!r} an eqf and an nqf level (or neither)"))


def _achievement(doc: _Doc, spec: Specification, sid: str, provider: str, ids: dict[str, str]) -> None:
    tag = _record_tag(spec)
    element = etree.Element(_q(tag), id=sid)
    issuer = doc.catalogue.organisation(doc.catalogue.issuer)
    doc.identifier(element, f"specifications[{spec.code}].code", SPEC_SCHEME, spec.code,
                   doc.primary(issuer.legal_name))
    doc.strings(element, "title", spec.title)
    doc.strings(element, "description", spec.description)
    doc.note(element, "additionalNote", spec.further_information, many=True)
    if spec.homepage:
        _sub(_sub(element, "homepage"), "contentUrl", str(spec.homepage))
    if spec.opportunity_type:
        doc.uri(element, "type", spec.opportunity_type)
    doc.note(element, "learningOutcomeSummary", spec.learning_outcome_summary, many=False)
    for code in spec.isced_f:
        doc.uri(element, "ISCEDFCode", code)
    if spec.hours is not None:
        _sub(element, "volumeOfLearning", duration_of_hours(spec.hours))
    if spec.credits is not None:
        credit = _sub(element, "creditPoint")
        doc.uri(credit, "framework", spec.credit_system.value)
        _sub(credit, "point", number_text(spec.credits))
    for level in _education_levels(spec):
        doc.uri(element, "educationLevel", level)
    for lang in spec.languages or (_title_language(spec, doc.catalogue.primary_language),):
        doc.uri(element, "language", lang)
    if spec.mode:
        doc.uri(element, "mode", spec.mode.value)
    if spec.learning_setting:
        doc.uri(element, "learningSetting", spec.learning_setting.value)
    if spec.max_duration_months is not None:
        _sub(element, "maximumDuration", f"P{spec.max_duration_months}M")
    doc.note(element, "entryRequirement", spec.prerequisites, many=False)
    for oid in _outcomes(doc, spec):
        doc.ref(element, "learningOutcome", oid)
    assessment = _assessment(doc, spec, sid)
    if assessment:
        doc.ref(element, "provenBy", assessment)
    _has_part(doc, element, spec, ids)
    wholes = _wholes(doc, spec)
    for code in wholes:
        if code in ids:
            doc.ref(element, "isPartOf", ids[code])
    opportunity = _sub(element, "awardingOpportunity")
    doc.ref(opportunity, "awardingBody", provider)
    doc.ref(opportunity, "learningAchievementSpecification", sid)
    if _is_qualification(spec) and spec.eqf and spec.nqf:
        if spec.kind == "micro-credential" or wholes:
            _sub(element, "isPartialQualification", "true" if wholes else "false")
        doc.uri(element, "EQFLevel", spec.eqf.value)
        doc.uri(element, "NQFLevel", spec.nqf)
        for key in spec.quality_assurance:
            doc.ref(element, "accreditation", _accreditation(doc, key, provider))
    doc.achievements.append(element)


def _opportunity(doc: _Doc, spec: Specification, sid: str, provider: str, homepage: str,
                 ids: dict[str, str]) -> None:
    lid = node_id("learningOpportunity", spec.code, doc.catalogue.issuer)
    element = etree.Element(_q("learningOpportunity"), id=lid)
    doc.strings(element, "title", spec.title)
    doc.strings(element, "description", spec.description)
    if spec.opportunity_type:
        doc.uri(element, "type", spec.opportunity_type)
    _sub(_sub(element, "homepage"), "contentUrl", homepage)
    if spec.mode:
        doc.uri(element, "mode", spec.mode.value)
    doc.ref(element, "providedBy", provider)
    doc.ref(element, "learningAchievementSpecification", sid)
    for name, codes in (("hasPart", _parts(doc, spec)),
                        ("isPartOf", _wholes(doc, spec))):
        for code in codes:
            if code in ids:
                doc.ref(element, name, node_id("learningOpportunity", code, doc.catalogue.issuer))
    # the language of the texts a register takes as authoritative: one the title is written in
    doc.uri(element, "defaultLanguage", _title_language(spec, doc.catalogue.primary_language))
    doc.opportunities.append(element)


def to_loq(catalogue: Catalogue) -> LoqResult:
    """The catalogue as one LOQ ``Courses`` document, with findings for what was left out."""
    doc = _Doc(catalogue)
    findings: list[Finding] = []
    exported: list[Specification] = []
    for spec in catalogue.specifications:
        provider = catalogue.organisation(spec.awarding_body or catalogue.issuer)
        homepage = str(spec.homepage or provider.homepage) if (spec.homepage or provider.homepage) else None
        missing = _problems(spec, homepage)
        if spec.is_activity:
            findings.append(Finding("loq-skipped", "warning", f"specifications[{spec.code}]",
                                    "not in the LOQ document: it is an activity (claim: activity), and "
                                    "edcbridge's LOQ publishes learning achievements with their "
                                    "opportunities only",
                                    "publish it in the course catalogue by other means; its certificates "
                                    "of participation are issued as EDC 3.2 JSON-LD"))
        elif missing:
            findings.append(Finding("loq-skipped", "warning", f"specifications[{spec.code}]",
                                    f"not in the LOQ document: LOQ requires {', '.join(missing)}",
                                    f"add {' and '.join(missing)} to specification {spec.code!r}"))
        else:
            exported.append(spec)
    ids = {s.code: record_id("qualification", catalogue.issuer, s.code) for s in exported}
    for spec in exported:
        provider_id = _organisation(doc, spec.awarding_body or catalogue.issuer)
        provider = catalogue.organisation(spec.awarding_body or catalogue.issuer)
        homepage = str(spec.homepage or provider.homepage)
        _achievement(doc, spec, ids[spec.code], provider_id, ids)
        _opportunity(doc, spec, ids[spec.code], provider_id, homepage, ids)
        programme_qa = _institutional(doc, spec, provider_id)
        if not _is_qualification(spec) and programme_qa:
            findings.append(Finding("loq-loss", "info", f"specifications[{spec.code}]",
                                    f"quality assurance {', '.join(programme_qa)} is left out: LOQ "
                                    "carries programme accreditation on qualifications only (EQF and "
                                    "NQF levels both set); institutional QA goes on the awarding body",
                                    "add eqf and nqf to describe it as a qualification"))
        findings += (_level_loss(spec) + _unnamed_skills(spec) + _unpublished_links(doc, spec, ids)
                     + _language_default(spec, catalogue.primary_language) + _credential_fields(spec))
        if spec.assessment and spec.assessment.supervision:
            findings.append(Finding("loq-loss", "info", f"specifications[{spec.code}].assessment.supervision",
                                    "LOQ's learningAssessmentSpecification has no place for supervision "
                                    "and identity verification: left out"))
        for field_name in ("learning_outcome_summary", "prerequisites"):
            value = getattr(spec, field_name)
            if value and len(value) > 1:
                findings.append(Finding("loq-loss", "info", f"specifications[{spec.code}].{field_name}",
                                        f"LOQ notes hold one language here: {doc.one_language(value)}"))
    findings += doc.losses
    root = etree.Element(_q("Courses"), nsmap=NSMAP)  # type: ignore[arg-type]
    root.set(_q("schemaLocation", XSI), SCHEMA_LOCATION)
    root.set("xsdVersion", XSD_VERSION)
    sections: tuple[tuple[str, list[etree._Element]], ...] = (
        ("learningOpportunityReferences", doc.opportunities),
        ("learningAchievementSpecificationReferences", doc.achievements),
        ("learningOutcomeReferences", list(doc.outcomes.values())),
        ("learningAssessmentSpecificationReferences", doc.assessments),
        ("agentReferences", list(doc.agents.values())),
        ("accreditationReferences", list(doc.accreditations.values())),
        ("gradingSchemeReferences", list(doc.grading.values())),
        ("locationReferences", list(doc.locations.values())),
    )
    for name, items in sections:
        if items:
            _sub(root, name).extend(items)
    return LoqResult(root.getroottree(), findings, [s.code for s in exported])
