"""EDC XML 1.x credentials (also inside a mandated ``verifiablePresentation``) turned into the
node shape of EDC 3.x JSON-LD, references resolved, and read into records from there. Nothing
inside a ``ds:Signature`` is read as part of the credential."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from edcbridge import vocab
from edcbridge.validation.document import NotACredential
from edcbridge.xml.edc12 import (
    AWARD_SCHEME,
    CREDIT_SCHEMES,
    LEARNER_SCHEME,
    LOCAL_KEY_SCHEME,
    ORG_IDENTIFIERS,
)
from edcbridge.xml.importer.nodes import Node, _known, _listed
from edcbridge.xml.importer.records import records_from_jsonld
from edcbridge.xml.importer.result import Imported, NotImportable
from edcbridge.xml.xsd import UnknownSchema, schema_for

SNB = "http://data.europa.eu/snb"
CRED = "http://data.europa.eu/europass/model/credentials/w3c#"
VP = "http://data.europa.eu/snb/vp"
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


def _q(name: str, ns: str = SNB) -> str:
    return f"{{{ns}}}{name}"


def _outside_signatures(root: etree._Element) -> Iterator[etree._Element]:
    """Every element in document order except ``ds:Signature`` subtrees: an enveloped seal does not
    sign them, so nothing there may be read as part of the credential."""
    stack = [root]
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str) or element.tag == DS_SIGNATURE:
            continue
        yield element
        stack.extend(reversed(element))


def _string(element: etree._Element | None) -> str | None:
    """The element's whole text: a comment splits ``.text`` but is not signed, so read all of it."""
    return None if element is None else "".join(t for t in element.itertext() if isinstance(t, str))


_OWN_SCHEMES = {scheme for _, scheme in ORG_IDENTIFIERS} | {LOCAL_KEY_SCHEME}
_SYSTEMS = {iri: system for system, iri in CREDIT_SCHEMES.items()}


def _credit_points(element: etree._Element) -> list[Node]:
    """ECTS points first, then the other credit points with the system their ``schemeID`` names
    (none when it names none: 1.x makes the attribute optional)."""
    found: list[tuple[etree._Element, vocab.CreditSystem | None]] = \
        [(c, vocab.CreditSystem.ECTS) for c in element.findall(_q("hasECTSCreditPoints"))]
    found += [(c, _SYSTEMS.get(c.get("schemeID", ""))) for c in element.findall(_q("hasCreditPoints"))]
    return [{"point": points, "framework": {"id": system.value} if system else None}
            for credit, system in found if (points := (_string(credit) or "").strip())]


_LEFT_OUT = {
    "part": ("an award holds one achievement without parts ({} is read)",
             "its parts (hasPart/learningAchievement)", "with their grades, credits and outcomes"),
    "achievement": ("an award holds one achievement ({} is read)",
                    "the further achievements (achievements/learningAchievement, qualificationAward)", ""),
    "assessment": ("an award holds one grade (that of {})",
                   "the parts of its assessment (wasDerivedFrom/hasPart)", "with their grades"),
    "activity": ("an award holds no learning activities ({} is read)",
                 "the learning activities (activities/activity, wasInfluencedBy)", ""),
    "entitlement": ("an award holds no entitlements ({} is read)",
                    "the entitlements (entitlements/entitlement, entitlesTo)", ""),
}
"""What :meth:`_XmlReader.note_left_out` names, by kind: what was left out and why."""
_LEARNER_DETAILS = ("gender", "citizenshipCountry", "placeOfBirth", "hasLocation")
_CLAIM_TAGS = {"learningAchievement": "achievement", "qualificationAward": "achievement",
               "activity": "activity", "wasInfluencedBy": "activity",
               "entitlement": "entitlement", "entitlesTo": "entitlement"}


def _claim_kind(element: etree._Element, assessment_part: bool) -> str | None:
    """The kind of claim an element of the credential subject holds, None for any other element."""
    if assessment_part:
        return "assessment"
    name = etree.QName(element)
    if name.namespace != SNB:
        return None
    parent = element.getparent()
    if name.localname == "hasPart":  # an activity's or entitlement's part is written inline
        kind = _CLAIM_TAGS.get(etree.QName(parent).localname) if parent is not None else None
        return kind if kind in ("activity", "entitlement") else None
    return _CLAIM_TAGS.get(name.localname)


def _scheme_of(identifier: etree._Element) -> str | None:
    """The scheme an identifier names: EDCI's issuer writes the eIDAS and DEQAR identifiers of an
    organisation with ``schemeAgencyName`` only, so that one counts when the others are missing."""
    return identifier.get("schemeName") or identifier.get("schemeID") or identifier.get("schemeAgencyName")


@dataclass
class _XmlReader:
    root: etree._Element
    which: int = 0  # the achievement read, by its place in credentialSubject/achievements
    index: dict[str, etree._Element] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for element in _outside_signatures(self.root):
            if element.get("id") and element.tag != _q("credentialSubject"):
                self.index.setdefault(element.get("id", ""), element)

    def deref(self, element: etree._Element | None) -> etree._Element | None:
        if element is None:
            return None
        idref = element.get("idref")
        return self.index.get(idref) if idref else element

    def texts(self, element: etree._Element | None) -> dict[str, str] | None:
        if element is None:
            return None
        texts = ((t.get("lang", ""), _string(t) or "") for t in element.findall(_q("text")))
        out = {lang: text for lang, text in texts if text.strip()}
        return out or None

    @staticmethod
    def findtext(element: etree._Element, tag: str) -> str | None:
        return _string(element.find(tag))

    def note(self, element: etree._Element | None) -> Node | None:
        text = self.texts(element)
        return {"noteLiteral": text} if text else None

    def concept(self, element: etree._Element | None) -> Node | None:
        return {"id": element.get("uri")} if element is not None and element.get("uri") else None

    def organisation(self, element: etree._Element | None) -> Node | None:
        element = self.deref(element)
        if element is None:
            return None
        node: Node = {"legalName": self.texts(element.find(_q("prefLabel"))),
                      "altLabel": self.texts(element.find(_q("altLabel")))}
        identifiers = []
        for tag in ("registration", "identifier"):
            for item in element.findall(_q(tag)):
                scheme = _scheme_of(item) or tag
                if tag == "registration" and scheme not in _OWN_SCHEMES:
                    scheme = tag  # the register's own name: still the organisation's registration
                identifiers.append({"schemeName": scheme, "notation": (_string(item) or "").strip(),
                                    "spatial": {"id": item.get("spatialID")}})
        for ident in identifiers:
            if ident["schemeName"] == "eIDAS":
                node["eIDASIdentifier"] = {"notation": ident["notation"], "spatial": ident["spatial"]}
            elif ident["schemeName"] == "registration":
                node["registration"] = {"notation": ident["notation"], "spatial": ident["spatial"]}
        node["identifier"] = [i for i in identifiers if i["schemeName"] not in ("eIDAS", "registration")]
        vat = element.find(_q("vatIdentifier"))
        if vat is not None:
            node["vatIdentifier"] = {"notation": (_string(vat) or "").strip()}
        address = element.find(f"{_q('hasLocation')}/{_q('hasAddress')}")
        if address is not None:
            node["location"] = {"address": {"countryCode": self.concept(address.find(_q("country"))),
                                            "fullAddress": self.note(address.find(_q("fullAddress")))}}
        homepage = element.find(_q("homepage"))
        if homepage is not None:
            node["homepage"] = {"contentURL": homepage.get("uri")}
        mail = element.find(f"{_q('contactPoint')}/{_q('mailBox')}")
        if mail is not None:
            node["contactPoint"] = {"emailAddress": {"id": mail.get("uri")}}
        return node

    def accreditation(self, element: etree._Element | None) -> Node | None:
        element = self.deref(element)
        if element is None:
            return None
        identifier = element.find(_q("identifier"))
        report = element.find(_q("report"))
        return {"title": self.texts(element.find(_q("title"))),
                "dcType": self.concept(element.find(_q("type"))),
                "description": self.texts(element.find(_q("description"))),
                "report": {"contentURL": report.get("uri")} if report is not None else None,
                "accreditingAgent": self.organisation(element.find(_q("accreditingAgent"))),
                "dateIssued": self.findtext(element, _q("issuedDate")),
                "expiryDate": self.findtext(element, _q("expiryDate")),
                "identifier": {"notation": _string(identifier)} if identifier is not None else None}

    def specification(self, element: etree._Element | None, depth: int = 0) -> Node | None:
        element = self.deref(element)
        if element is None:
            return None
        node: Node = {"title": self.texts(element.find(_q("title"))),
                      "description": self.texts(element.find(_q("description"))),
                      "dcType": self.concept(element.find(_q("type"))),
                      "eqfLevel": self.concept(element.find(_q("eqfLevel"))),
                      "nqfLevel": self.concept(element.find(_q("nqfLevel"))),
                      "thematicArea": [self.concept(e) for e in element.findall(_q("hasISCED-FCode"))],
                      "volumeOfLearning": self.findtext(element, _q("volumeOfLearning")),
                      "maximumDuration": self.findtext(element, _q("duration")),
                      "mode": self.concept(element.find(_q("mode"))),
                      "learningSetting": self.concept(element.find(_q("learningSettingType"))),
                      "language": [self.concept(e) for e in element.findall(_q("language"))],
                      "entryRequirement": self.note(element.find(_q("entryRequirementsNote"))),
                      "additionalNote": self.note(element.find(_q("additionalNote")))}
        identifier = element.find(_q("identifier"))
        if identifier is not None:
            node["identifier"] = {"schemeName": identifier.get("schemeName"), "notation": _string(identifier)}
        node["creditPoint"] = _credit_points(element)
        homepage = element.find(_q("homepage"))
        if homepage is not None:
            node["homepage"] = {"contentURL": homepage.get("uri")}
        node["learningOutcome"] = [
            {"title": self.texts(o.find(_q("prefLabel"))),
             "relatedESCOSkill": [{"id": s.get("uri"), "prefLabel": self.texts(s.find(_q("targetName")))}
                                  for s in o.findall(_q("relatedEscoSkill"))]}
            for o in map(self.deref, element.findall(f"{_q('learningOutcomes')}/{_q('learningOutcome')}"))
            if o is not None]
        partial = self.findtext(element, _q("isPartialQualification"))
        if partial is not None:
            node["isPartialQualification"] = partial.strip() == "true"
        node["accreditation"] = [self.accreditation(a) for a in element.findall(_q("hasAccreditation"))]
        if depth == 0:
            own = element.get("id")
            node["hasPart"] = [self.specification(p, 1) for p in element.findall(_q("hasPart"))]
            parents = [e for e in self.index.values() if e is not element and own and
                       any(p.get("idref") == own for p in e.findall(_q("hasPart")))]
            node["isPartOf"] = [self.specification(p, 1) for p in parents]
        return node

    def assessment(self, element: etree._Element | None) -> Node | None:
        if element is None:
            return None
        spec = self.deref(element.find(_q("specifiedBy")))
        node: Node = {"title": self.texts(element.find(_q("title"))),
                      "grade": {"noteLiteral": {"_": (self.findtext(element, _q("grade")) or "").strip()}},
                      "idVerification": self.concept(element.find(_q("idVerificationMethod")))}
        if spec is not None:
            scheme = self.deref(spec.find(_q("gradingScheme")))
            node["specifiedBy"] = {"title": self.texts(spec.find(_q("title"))),
                                   "dcType": self.concept(spec.find(_q("type"))),
                                   "mode": self.concept(spec.find(_q("mode"))),
                                   "gradingScheme": {"title": self.texts(scheme.find(_q("title")))}
                                   if scheme is not None else None}
        return node

    def achievement(self, achievement: etree._Element, primary: str) -> Node:
        """The claim of a learningAchievement or qualificationAward."""
        process = self.deref(achievement.find(_q("wasAwardedBy")))
        body = self.organisation(process.find(_q("awardingBody"))) if process is not None else None
        assessment = self.assessment(achievement.find(_q("wasDerivedFrom")))
        if assessment is not None:
            assessment["grade"]["noteLiteral"] = {primary: assessment["grade"]["noteLiteral"]["_"]}
        awarded = self.findtext(process, _q("date")) if process is not None else None
        return {"specifiedBy": self.specification(achievement.find(_q("specifiedBy"))),
                "awardedBy": {"awardingBody": body, "awardingDate": awarded}, "provenBy": assessment}

    def stand_in(self, element: etree._Element, kind: str) -> Node:
        """The claim of an activity or entitlement, read in the place of an achievement: its
        specification, or its own title and description when that has no title."""
        spec = self.specification(element.find(_q("specifiedBy"))) or {}
        for source in (element, self.root):
            if not spec.get("title"):
                spec = {**spec, "title": self.texts(source.find(_q("title"))),
                        "description": self.texts(source.find(_q("description")))}
        shown = f" {next(iter(spec['title'].values()))!r}" if spec["title"] else ""
        self.notes.append(f"the credential claims no achievement: its {kind}{shown} is read in the place of "
                          "one, with the issuer as awarding body")
        return {"specifiedBy": spec}

    def untitled_claim(self) -> Node:
        """No claim at all: the credential's own title stands in for the achievement's."""
        title = self.texts(self.root.find(_q("title")))
        if title is None:
            raise NotImportable(
                "the XML credential claims nothing (no achievements, activities or entitlements in its "
                "credentialSubject) and has no title, so there is nothing to show as awarded; a credential "
                "needs at least an achievements/learningAchievement with a specifiedBy to be read")
        self.notes.append(f"the credential claims no achievement, activity or entitlement: its own title "
                          f"{next(iter(title.values()))!r} is read in the place of one, with the issuer as "
                          "awarding body")
        return {"specifiedBy": {"title": title, "description": self.texts(self.root.find(_q("description")))}}

    def claim(self, subject: etree._Element, primary: str) -> Node:
        """The achievement ``which``; without any, the first activity or entitlement, or else the
        credential's title, stands in for it (with a note), as the model holds one achievement."""
        achievements = _achievements(subject)
        if achievements:
            claim = self.achievement(achievements[self.which], primary)
            self.note_left_out(subject, achievements[self.which])
            return claim
        for box, tag, kind in (("activities", "activity", "learning activity"),
                               ("entitlements", "entitlement", "entitlement")):
            found = subject.find(f"{_q(box)}/{_q(tag)}")
            if found is not None:
                claim = self.stand_in(found, kind)
                self.note_left_out(subject, found)
                return claim
        return self.untitled_claim()

    def title_of(self, element: etree._Element) -> str:
        """A claim's title as a person reads it: its own, else its specification's, else its id."""
        texts = self.texts(element.find(_q("title")))
        spec = self.deref(element.find(_q("specifiedBy")))
        if texts is None and spec is not None:
            texts = self.texts(spec.find(_q("title")))
        if texts is None:
            return element.get("id") or "(untitled)"
        return repr(" ".join(next(iter(texts.values())).split()))

    def note_left_out(self, subject: etree._Element, read: etree._Element) -> None:
        """One note per kind of claim the model cannot hold beside the one read (further and
        partial achievements, activities, entitlements, partial assessments), naming each by
        its title: a transcript's courses and grades must not disappear unsaid."""
        found: dict[str, dict[str, str]] = {kind: {} for kind in _LEFT_OUT}
        parts_of_read = {id(e) for e in read.iter() if e is not read}
        assessment = read.find(_q("wasDerivedFrom"))
        assessment_parts = set() if assessment is None else {id(e) for e in assessment.iter(_q("hasPart"))}
        for element in _outside_signatures(subject):
            kind = _claim_kind(element, id(element) in assessment_parts)
            if kind is None or element.get("idref") or element is read or \
                    (read.get("id") and element.get("id") == read.get("id")):
                continue
            if kind == "achievement" and id(element) in parts_of_read:
                kind = "part"
            found[kind].setdefault(element.get("id") or str(len(found[kind])), self.title_of(element))
        read_title = self.title_of(read)
        for kind, (why, what, with_what) in _LEFT_OUT.items():
            titles = _listed(list(found[kind].values()))
            if titles:
                self.notes.append(f"left out, as {why.format(read_title)}: {what} {titles}"
                                  + (f", {with_what}" if with_what else ""))

    def note_learner_details(self, subject: etree._Element) -> None:
        """The learner's details the model has no field for, named rather than dropped unsaid."""
        details = [tag for tag in _LEARNER_DETAILS if subject.find(_q(tag)) is not None]
        if details:
            self.notes.append("left out, as the internal model has no field for them: the learner's "
                              f"{', '.join(details)} (credentialSubject)")

    def credential(self) -> Node:
        root = self.root
        primary = (self.findtext(root, _q("primaryLanguage")) or "en").strip()
        subject = root.find(_q("credentialSubject"))
        if subject is None:
            raise NotImportable("the XML credential has no credentialSubject")
        person: Node = {
            "id": subject.get("id"),
            "identifier": [{"schemeName": i.get("schemeName") or i.get("schemeID"),
                            "notation": (_string(i) or "").strip()}
                           for i in subject.findall(_q("identifier"))],
            "givenName": self.texts(subject.find(_q("givenNames"))),
            "familyName": self.texts(subject.find(_q("familyName"))),
            "fullName": self.texts(subject.find(_q("fullName"))),
            "dateOfBirth": self.findtext(subject, _q("dateOfBirth")),
            "hasClaim": self.claim(subject, primary)}
        self.note_learner_details(subject)
        learner_ids = person["identifier"]
        person["identifier"] = sorted(learner_ids, key=lambda i: i["schemeName"] != LEARNER_SCHEME)
        national = subject.find(_q("nationalId"))
        if national is not None:
            country = _known("country", national.get("spatialID"))
            person["nationalID"] = {"notation": (_string(national) or "").strip(), "spatial": {"id": country}}
        mail = subject.find(f"{_q('contactPoint')}/{_q('mailBox')}")
        if mail is not None:
            person["contactPoint"] = {"emailAddress": {"id": mail.get("uri")}}
        identifiers = [{"schemeName": i.get("schemeName"), "notation": (_string(i) or "").strip()}
                       for i in root.findall(_q("identifier"))]
        identifiers.sort(key=lambda i: i["schemeName"] != AWARD_SCHEME)
        credential_type = root.find(_q("type"))
        return {"id": root.get(_q("id", CRED)), "identifier": identifiers,
                "credentialProfiles": self.concept(credential_type),
                "issuer": self.organisation(root.find(_q("issuer", CRED))),
                "issued": self.findtext(root, _q("issued", CRED)),
                "validFrom": self.findtext(root, _q("validFrom", CRED)),
                "validUntil": self.findtext(root, _q("validUntil", CRED)), "credentialSubject": person,
                "displayParameter": {"primaryLanguage": {"id": _known("language", primary)}}}


def _achievements(subject: etree._Element) -> list[etree._Element]:
    """The achievements a credential subject claims (not their parts): each is an award."""
    return [*subject.findall(f"{_q('achievements')}/{_q('learningAchievement')}"),
            *subject.findall(f"{_q('achievements')}/{_q('qualificationAward')}")]


def _version(root: etree._Element) -> str:
    """1.0, 1.1 or 1.2, from the schemaLocation file name (every 1.x says xsdVersion 0.10.0)."""
    try:
        name = Path(schema_for(root)).name
    except UnknownSchema:
        return "1.x"
    found = re.search(r"_(1\.\d)\.xsd$", name)
    return found.group(1) if found else "1.0"


def records_from_xml(tree: etree._ElementTree, which: int = 0) -> Imported:
    """The award of the credential's achievement ``which`` (its first by default), with notes
    naming what that award leaves out, the other achievements among them."""
    root, form = _credential(tree)
    reader = _XmlReader(root, which)
    return records_from_jsonld(reader.credential(), f"edc-xml-{_version(tree.getroot())}", form, reader.notes)


def all_records_from_xml(tree: etree._ElementTree) -> list[Imported]:
    """One award per achievement the credential claims (one when it claims none)."""
    root = _credential(tree)[0]
    subject = root.find(_q("credentialSubject"))
    achievements = _achievements(subject) if subject is not None else []
    if len(achievements) < 2:
        return [records_from_xml(tree)]
    found = []
    for which, achievement in enumerate(achievements):
        try:
            found.append(records_from_xml(tree, which))
        except NotImportable as exc:
            title = _XmlReader(root).title_of(achievement)
            raise NotImportable(f"achievement {which + 1} of {len(achievements)} ({title}): {exc}") from None
    return found


def _credential(tree: etree._ElementTree) -> tuple[etree._Element, str]:
    """The europassCredential element, and the form it comes in (plain, vp, xades, vp+xades)."""
    root = tree.getroot()
    form = "plain"
    if root.tag == DS_SIGNATURE:
        raise NotACredential(
            "the document is an enveloping signature (root element ds:Signature), not a credential: "
            "edcbridge reads only a europassCredential that carries its seal inside (an enveloped XAdES "
            "seal, as the EDC issuers write it) and never reads inside a signature; ask the issuer for the "
            "credential itself")
    if root.tag == _q("verifiablePresentation", VP):
        inner = next((e for e in _outside_signatures(root) if e.tag == _q("europassCredential")), None)
        if inner is None:
            raise NotImportable("the presentation holds no europassCredential")
        root, form = inner, "vp"
    if root.tag != _q("europassCredential"):
        raise NotACredential(f"root element {root.tag} is not an EDC XML credential (europassCredential)")
    if tree.getroot().find(f".//{DS_SIGNATURE}") is not None:
        form = "vp+xades" if form == "vp" else "xades"
    return root, form
