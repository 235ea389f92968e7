"""The award and its catalogue, built from a credential in JSON-LD node shape: as EDC 3.x
JSON-LD gives it, and as :mod:`edcbridge.xml.importer.edc_xml` turns EDC XML 1.x into it.

Organisation and quality-assurance keys and specification codes are local to a registry and
are derived when the credential does not carry them (slugs of identifiers or names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from edcbridge import vocab
from edcbridge.mapping.edc import SPEC_SCHEME
from edcbridge.mapping.person_names import joined_name
from edcbridge.model import Award, Catalogue, parse
from edcbridge.xml.edc12 import ORG_IDENTIFIERS
from edcbridge.xml.importer.jsonld import _chosen_claim, _note_left_out_jsonld
from edcbridge.xml.importer.nodes import (
    _TEXTS_LEFT_OUT,
    Node,
    _concepts,
    _country,
    _date,
    _day,
    _duration_hours,
    _first,
    _id,
    _identifier,
    _known,
    _label,
    _list,
    _listed,
    _mailbox,
    _moment,
    _months,
    _note,
    _skill,
    _slug,
    _text,
    _texts_left_out,
    _url,
    _web,
)
from edcbridge.xml.importer.result import Imported, NotImportable

_T = TypeVar("_T")


@dataclass
class _Builder:
    organisations: dict[str, Node] = field(default_factory=dict)
    qas: dict[str, Node] = field(default_factory=dict)
    specs: dict[str, Node] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def organisation(self, node: Node) -> str:
        legal = _text(node.get("legalName")) or _text(node.get("prefLabel"))
        if not legal:
            raise NotImportable("an organisation has no legalName; the credential cannot be read")
        data: Node = {"legal_name": legal, "alt_label": _text(node.get("altLabel"))}
        for field_name, key in (("eidas_identifier", "eIDASIdentifier"), ("vat_identifier", "vatIdentifier"),
                                ("registration", "registration")):
            notation = _first(node.get(key))
            if isinstance(notation, dict) and isinstance(notation.get("notation"), str) \
                    and notation["notation"]:
                data[field_name] = notation["notation"]
        schemes = {scheme.lower(): attr for attr, scheme in ORG_IDENTIFIERS}
        for identifier in _list(node.get("identifier")):
            if not isinstance(identifier, dict):
                continue
            attr = schemes.get(str(identifier.get("schemeName", "")).lower())
            if attr and isinstance(identifier.get("notation"), str) and identifier["notation"]:
                data[attr] = identifier["notation"]
        location = _first(node.get("location"))
        address = _first(location.get("address")) if isinstance(location, dict) else None
        country = _known("country", _id(address.get("countryCode"))) if isinstance(address, dict) else None
        data["country"] = country or self.registered_in(node, next(iter(legal.values())))
        data["address"] = _note(address.get("fullAddress")) if isinstance(address, dict) else None
        data["homepage"] = _url(node.get("homepage"))
        data["email"] = _mailbox(node)
        data = {k: v for k, v in data.items() if v is not None}
        key = _slug(data.get("eidas_identifier") or data.get("registration") or next(iter(legal.values())))
        data["key"] = key
        existing = self.organisations.get(key)
        if existing is not None and {**existing, "key": key} != data:
            key = f"{key}-{len(self.organisations)}"
            data["key"] = key
        self.organisations[key] = data
        return key

    def note_no_eidas(self, issuer: str) -> None:
        """EDC 3.2 requires the issuer's eIDAS legal identifier, which EDC XML 1.x rarely gives:
        say so now rather than at the export of the records read."""
        data = self.organisations[issuer]
        if "eidas_identifier" not in data:
            name = next(iter(data["legal_name"].values()))
            self.notes.append(f"the issuer {name!r} gives no eIDAS legal identifier, which an EDC 3.2 "
                              "credential requires of its issuer: add it as eidas_identifier of organisation "
                              f"{issuer!r} in the catalogue before exporting these records")

    def registered_in(self, node: Node, name: str) -> str:
        """The country of the organisation's legal registration, for one that gives no address
        country (the model needs a country for every organisation)."""
        for key in ("registration", "eIDASIdentifier"):
            legal = _first(node.get(key))
            country = _country(_id(legal.get("spatial"))) if isinstance(legal, dict) else None
            if country:
                self.notes.append(f"organisation {name!r} gives no address country: the country of its "
                                  f"{key} ({vocab.concept('country', country).label}) is read instead")
                return country
        raise NotImportable(
            f"organisation {name!r} gives no country, neither in its address (XML: hasLocation/hasAddress/"
            "country; JSON-LD: location.address.countryCode) nor as the country of its registration "
            "(XML: the spatialID of registration; JSON-LD: registration.spatial), and every organisation "
            "needs one to be read; ask the issuer for a credential that gives it")

    def accreditation(self, node: Node) -> str | None:
        title = _text(node.get("title"))
        agent = _first(node.get("accreditingAgent"))
        qa_type = _known("accreditation-type", _id(node.get("dcType")))
        if not title or not isinstance(agent, dict) or qa_type is None:
            self.notes.append("an accreditation without title, type or accrediting agent was skipped")
            return None
        identifier = _first(node.get("identifier"))
        key = identifier["notation"] if isinstance(identifier, dict) and identifier.get("notation") \
            else _slug(next(iter(title.values())))
        data = {"key": key, "title": title, "type": qa_type, "agency": self.organisation(agent),
                "decision": _text(node.get("description")), "report_url": _url(node.get("report")),
                "issued": _date(node.get("dateIssued")), "expires": _date(node.get("expiryDate"))}
        self.qas[key] = {k: v for k, v in data.items() if v is not None}
        return key

    def credits(self, values: Any) -> Node:
        """The first credit points in a known system (ECTS, ECVET), else the first in a UK credit
        scheme as ECTS (2 UK credits to the ECTS credit, as the frameworks count them), with a
        note; points in another or unnamed system are left out with a note, never taken for ECTS
        (the model's default), and so are further points beside the ones read (the model holds
        one amount)."""
        from edcbridge.validation.policy import ECTS_IRI, uk_credits_in_ects

        points = [c for c in _list(values) if isinstance(c, dict) and c.get("point") is not None]
        read = next((c for c in points if _known("credit-system", _id(c.get("framework")))), None)
        uk = next(((c, format(ects.normalize(), "f")) for c in points
                   if (ects := uk_credits_in_ects(c)) is not None), None) if read is None else None
        for credit in points:
            if credit is read:
                continue
            if uk is not None and credit is uk[0]:
                self.notes.append(f"{credit['point']} UK credits are read as {uk[1]} ECTS credits, at 2 UK "
                                  "credits to the ECTS credit")
                continue
            system = _id(credit.get("framework")) or "none named"
            if read is not None and _known("credit-system", system):
                self.notes.append(f"{credit['point']} further credit points ({system}) were left out: the "
                                  f"internal model holds one amount, and {read['point']} points were read")
            else:
                self.notes.append(f"{credit['point']} credit points in an unknown credit system ({system}) "
                                  "were left out: only ECTS and ECVET points can be read")
        if uk is not None:
            return {"credits": uk[1], "credit_system": ECTS_IRI}
        if read is None:
            return {}
        return {"credits": str(read["point"]),
                "credit_system": _known("credit-system", _id(read.get("framework")))}

    def note_unlinked_skills(self, outcome: dict[str, str], skills: list[Any]) -> None:
        """Skills named without an ESCO IRI (an issuer's own ``urn:`` id) cannot be held as ESCO
        skills: named in a note with their labels rather than dropped."""
        if skills:
            names = [_label(s) for s in skills]
            shown = next(iter(outcome.values()))
            self.notes.append(f"left out, as an ESCO skill needs its http(s) IRI: the skills "
                              f"{_listed(names)} of learning outcome {shown!r}, which give none")

    def duration(self, node: Node, key: str, read: Callable[[Any], _T | None], units: str) -> _T | None:
        """A duration the model can hold; another one is left out with a note, not dropped unsaid."""
        value = _first(node.get(key))
        found = read(value)
        if found is None and value is not None:
            self.notes.append(f"{key} {value!r} was left out: only a duration in {units} can be read")
        return found

    def specification(self, node: Node, body: str | None, assessment: Node | None,
                      depth: int = 0) -> str:
        title = _text(node.get("title"))
        if not title:
            raise NotImportable("the achievement's specification has no title; the credential cannot be read")
        identifier = _first(node.get("identifier"))
        code = identifier["notation"] if isinstance(identifier, dict) and \
            identifier.get("schemeName") == SPEC_SCHEME and identifier.get("notation") else \
            _slug(next(iter(title.values())))
        data: Node = {"code": code, "title": title, "description": _text(node.get("description")),
                      "kind": "micro-credential" if "isPartialQualification" in node else "qualification"}
        data["opportunity_type"] = _known("learning-opportunity-type", _id(node.get("dcType")))
        data["eqf"] = _known("eqf", _id(node.get("eqfLevel")))
        data["nqf"] = _known("nqf", _id(node.get("nqfLevel")))
        data["isced_f"] = _concepts("isced-f", node.get("thematicArea"))
        data.update(self.credits(node.get("creditPoint")))
        data["hours"] = self.duration(node, "volumeOfLearning", _duration_hours, "hours and minutes")
        data["max_duration_months"] = self.duration(node, "maximumDuration", _months, "years and months")
        data["mode"] = _known("mode", _id(node.get("mode")))
        data["learning_setting"] = _known("learning-setting", _id(node.get("learningSetting")))
        data["languages"] = _concepts("language", node.get("language"))
        outcomes = []
        for outcome in _list(node.get("learningOutcome")):
            text = _text(outcome.get("title")) if isinstance(outcome, dict) else None
            if text:
                skills = [s for s in _list(outcome.get("relatedESCOSkill")) if _id(s)]
                outcomes.append({"title": text, "esco_skills": [_skill(s) for s in skills if _web(_id(s))]})
                self.note_unlinked_skills(text, [s for s in skills if not _web(_id(s))])
        data["learning_outcomes"] = outcomes
        data["learning_outcome_summary"] = _note(node.get("learningOutcomeSummary"))
        data["prerequisites"] = _note(node.get("entryRequirement"))
        data["further_information"] = _note(node.get("additionalNote"))
        data["homepage"] = _url(node.get("homepage"))
        accreditations = [a for a in _list(node.get("accreditation")) if isinstance(a, dict)]
        data["quality_assurance"] = [k for k in map(self.accreditation, accreditations) if k]
        if assessment is not None:
            data["assessment"] = assessment
        if body is not None:
            data["awarding_body"] = body
        self.specs[code] = data  # reserve the code before related specifications
        if depth == 0:
            for key, target in (("isPartOf", "part_of"), ("hasPart", "has_part")):
                linked = [r for r in _list(node.get(key)) if isinstance(r, (dict, str))]
                unread = [str(_id(r)) for r in linked if isinstance(r, str) or not set(r) - {"id", "type"}]
                if unread:
                    self.notes.append(f"left out: the specifications {_listed(unread)} ({key} of {code!r}), "
                                      "given by an id alone, with nothing described under it")
                related = [self.specification(r, None, None, depth + 1)
                           for r in linked if isinstance(r, dict) and set(r) - {"id", "type"}]
                data[target] = related
        self.specs[code] = {k: v for k, v in data.items() if v not in (None, [])}
        return code


def _assessment(proven: Node | None) -> tuple[Node | None, dict[str, str] | None]:
    if not isinstance(proven, dict):
        return None, None
    grade = _note(proven.get("grade"))
    spec = _first(proven.get("specifiedBy"))
    title = _text(proven.get("title")) or (_text(spec.get("title")) if isinstance(spec, dict) else None)
    if not title:
        return None, grade
    data: Node = {"title": title}
    if isinstance(spec, dict):
        data["type"] = _known("assessment-type", _id(spec.get("dcType")))
        data["mode"] = _known("mode", _id(spec.get("mode")))
        scheme = _first(spec.get("gradingScheme"))
        data["grading_scheme"] = _text(scheme.get("title")) if isinstance(scheme, dict) else None
    data["supervision"] = _known("supervision", _id(proven.get("idVerification")))
    return {k: v for k, v in data.items() if v is not None}, grade


def _own_full_name(full: Any, given: Any, family: Any) -> Any:
    """The full name, unless it is the given and family names joined, as edcbridge writes one
    when the records have none: reading it as the learner's own would change the records."""
    if isinstance(full, dict) and isinstance(given, dict) and isinstance(family, dict) and all(
        lang in given and lang in family and text == joined_name(lang, given[lang], family[lang])
        for lang, text in full.items()
    ):
        return None
    return full


def _split_full_name(full: dict[str, str] | None, notes: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Given and family names for a learner named only by a full name (EDC 3 makes all three
    optional; the internal model needs the first two): each text split at its last space, the
    full name kept as written, with a note. One without a space cannot be split and is refused."""
    parts = {lang: text.strip().rsplit(None, 1) for lang, text in (full or {}).items()}
    if not parts or any(len(p) != 2 for p in parts.values()):
        raise NotImportable("the credential subject has no givenName and familyName, nor a fullName of at "
                            "least two words to take them from; it cannot be read as an award to a person")
    given, family = {lang: p[0] for lang, p in parts.items()}, {lang: p[1] for lang, p in parts.items()}
    shown = next(iter(full.values())) if full else ""
    notes.append(f"the learner is named only by a full name ({shown!r}): it is kept as written, and split at "
                 f"its last space into given name {next(iter(given.values()))!r} and family name "
                 f"{next(iter(family.values()))!r}, which the internal model needs; correct them if they "
                 "differ")
    return given, family


def _learner(person: Node, notes: list[str]) -> Node:
    identifier = _identifier(person)
    subject_id = person.get("id") if isinstance(person.get("id"), str) and person["id"].strip() else None
    learner_id = identifier["notation"] if identifier else subject_id or "unknown"
    if identifier is None:
        notes.append(f"the learner has no identifier: the credential subject's id ({subject_id}) is used"
                     if subject_id else "the learner has neither an identifier nor an id: 'unknown' is used")
    given, family = _text(person.get("givenName")), _text(person.get("familyName"))
    full = _text(person.get("fullName"))
    if not given or not family:
        given, family = _split_full_name(full, notes)
    data: Node = {"id": learner_id, "given_name": given, "family_name": family,
                  "full_name": _own_full_name(full, given, family) if "givenName" in person else full,
                  "date_of_birth": _date(person.get("dateOfBirth")), "email": _mailbox(person)}
    national = _first(person.get("nationalID") or person.get("nationalId"))
    if isinstance(national, dict) and national.get("notation"):
        data["national_id"] = national["notation"]
        data["national_id_country"] = _known("country", _id(national.get("spatial")))
    return {k: v for k, v in data.items() if v is not None}


def _issued(credential: Node, notes: list[str]) -> Any:
    """When the credential was issued; one without a time zone (xsd:dateTime allows it) is read as
    UTC, with a note. Anything else is left to the model to accept or refuse."""
    value = _first(credential.get("issued") or credential.get("issuanceDate"))
    moment = _moment(value)
    if moment is None or moment.tzinfo is not None:
        return value
    notes.append(f"issued {value} names no time zone: it is read as UTC")
    return moment.replace(tzinfo=dt.UTC).isoformat()


def _awarded_on(credential: Node, notes: list[str]) -> str:
    """The date of validFrom (else of issued) for a claim that gives no awarding date, with a note."""
    for key in ("validFrom", "issued"):
        date = _day(credential.get(key), key, notes)
        if date:
            notes.append(f"the credential gives no awarding date: the date of its {key} ({date}) is used")
            return date
    raise NotImportable("the credential gives no awarding date, validFrom or issued date, so there is no "
                        "date to show it awarded on; a credential needs at least its issued date")


def _date_times(credential: Node, awarding: Any) -> dict[str, str]:
    """The credential's validity and awarding dateTimes as written (see ``Imported.date_times``)."""
    found = {"validFrom": _first(credential.get("validFrom")),
             "validUntil": _first(credential.get("validUntil") or credential.get("expirationDate")),
             "awardingDate": _first(awarding.get("awardingDate")) if isinstance(awarding, dict) else None}
    return {key: value.strip() for key, value in found.items() if _moment(value) is not None}


def records_from_jsonld(credential: Node, fmt: str, form: str, notes: Sequence[str] = (),
                        which: int | None = None) -> Imported:
    """Build the award and its catalogue from an EDC credential in JSON-LD node shape; ``notes``
    say what was left out before (reading XML); ``which`` picks an achievement of several
    (EDC JSON-LD only; see :func:`.achievement_claims`)."""
    left_out: list[tuple[str, str]] = []
    token = _TEXTS_LEFT_OUT.set(left_out)
    try:
        imported = _records_from_jsonld(credential, fmt, form, notes, which)
    finally:
        _TEXTS_LEFT_OUT.reset(token)
    note = _texts_left_out(left_out)
    if note is not None:
        imported.notes.append(note)
    return imported


def _records_from_jsonld(credential: Node, fmt: str, form: str, notes: Sequence[str],
                         which: int | None) -> Imported:
    b = _Builder(notes=list(notes))
    person = _first(credential.get("credentialSubject"))
    if not isinstance(person, dict):
        raise NotImportable("the credential has no credentialSubject")
    if fmt == "edc-jsonld":
        written, claim = _chosen_claim(person, b.notes, which)
        _note_left_out_jsonld(person, written, b.notes)
    else:  # the XML reader has chosen the claim and named what it left out
        claims = [c for c in _list(person.get("hasClaim")) if isinstance(c, dict) and c.get("specifiedBy")]
        if not claims:
            raise NotImportable("the credential claims no achievement with a specification (hasClaim)")
        claim = claims[0]
    issuer_node = _first(credential.get("issuer"))
    if not isinstance(issuer_node, dict):
        raise NotImportable("the credential's issuer is not described (only an id); it cannot be read")
    issuer = b.organisation(issuer_node)
    b.note_no_eidas(issuer)
    awarding = _first(claim.get("awardedBy"))
    body_node = _first(awarding.get("awardingBody")) if isinstance(awarding, dict) else None
    body = b.organisation(body_node) if isinstance(body_node, dict) else issuer
    awarding_date = _day(awarding.get("awardingDate"), "awardingDate", b.notes) \
        if isinstance(awarding, dict) else None
    awarding_date = awarding_date or _awarded_on(credential, b.notes)
    assessment, grade = _assessment(_first(claim.get("provenBy")))
    code = b.specification(_first(claim["specifiedBy"]), None if body == issuer else body, assessment)
    profile = _known("credential-type", _id(credential.get("credentialProfiles")))
    if profile:
        b.specs[code]["credential_type"] = profile
    identifier = _identifier(credential)
    award_id = identifier["notation"] if identifier else str(credential.get("id", "unknown"))
    display = _first(credential.get("displayParameter"))
    languages = [_known("language", _id(x)) for x in _list(display.get("primaryLanguage"))] \
        if isinstance(display, dict) else []
    primary = next((lang for lang in languages if lang), None) or \
        _known("language", next(iter(b.specs[code]["title"])))
    award_data: Node = {"award_id": award_id, "specification": code, "learner": _learner(person, b.notes),
                        "awarding_date": awarding_date, "issued": _issued(credential, b.notes),
                        "grade": grade, "language": primary,
                        "valid_until": _date(credential.get("validUntil")
                                             or credential.get("expirationDate"))}
    catalogue_data = {"primary_language": primary, "issuer": issuer, "policies": [],
                      "organisations": list(b.organisations.values()),
                      "quality_assurance": list(b.qas.values()), "specifications": list(b.specs.values())}
    try:
        catalogue = parse(Catalogue, catalogue_data, context={"defer_references": True})
        award = parse(Award, {k: v for k, v in award_data.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise NotImportable(f"the credential does not fit the internal model: {problems}") from None
    notes_once = list(dict.fromkeys(b.notes))  # an organisation may be read more than once
    return Imported(award, catalogue, fmt, form, form in ("jades", "jwt", "xades", "vp+xades"), notes_once,
                    _date_times(credential, awarding))
