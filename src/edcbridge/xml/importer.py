"""Read credentials back into the internal model: EDC 3.x JSON-LD and EDC XML 1.x.

JSON-LD comes plain, in the EC's ``{"credential": ...}`` upload wrapper, or JAdES-sealed
(the payload is read; the seal is checked by ``edcbridge verify``). XML 1.x credentials (also
inside a mandated ``verifiablePresentation``) are first turned into the same node shape as the
JSON-LD (references resolved), so one reader builds the records.

The result is an :class:`Imported`: the award and a catalogue holding what the award refers
to (issuer, awarding body, quality assurance, the specification and its related ones).
Organisation and quality-assurance keys and specification codes are local to a registry and
are derived when the credential does not carry them (slugs of identifiers or names).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from lxml import etree
from pydantic import ValidationError

from edcbridge import vocab
from edcbridge.model import Award, Catalogue, parse
from edcbridge.model.fields import EU_COUNTRY_CODES
from edcbridge.validation.document import NotACredential, unwrap
from edcbridge.validation.policy import duration_months
from edcbridge.xml.edc12 import (
    AWARD_SCHEME,
    CREDIT_SCHEMES,
    LEARNER_SCHEME,
    LOCAL_KEY_SCHEME,
    ORG_IDENTIFIERS,
    SPEC_SCHEME,
)
from edcbridge.xml.safe import MAX_BYTES, XmlInputError, looks_like_xml, parse_bytes
from edcbridge.xml.xsd import UnknownSchema, schema_for

SNB = "http://data.europa.eu/snb"
CRED = "http://data.europa.eu/europass/model/credentials/w3c#"
VP = "http://data.europa.eu/snb/vp"
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
Node = dict[str, Any]
_T = TypeVar("_T")


class NotImportable(ValueError):
    """The document is a credential, but not one that fits the internal model; says what is missing."""


@dataclass
class Imported:
    award: Award
    catalogue: Catalogue
    format: str          # "edc-jsonld" or "edc-xml-1.x"
    form: str            # plain, upload-wrapper, jades, xades, vp+xades, ...
    sealed: bool
    notes: list[str] = field(default_factory=list)
    # validFrom, validUntil and awardingDate as the credential writes them: the model holds dates
    # only, and makes validFrom the awarding date
    date_times: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "form": self.form, "sealed": self.sealed, "notes": self.notes,
                "date_times": self.date_times,
                "award": self.award.model_dump(mode="json", exclude_none=True),
                "catalogue": self.catalogue.model_dump(mode="json", exclude_none=True)}


# --- small readers over JSON-LD nodes ---

def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    items = _list(value)
    return items[0] if items else None


# texts of the credential being read that _text could not keep: (language tag, text)
_TEXTS_LEFT_OUT: ContextVar[list[tuple[str, str]] | None] = ContextVar("texts_left_out", default=None)


def _text(value: Any) -> dict[str, str] | None:
    """A language map (values may be lists) keyed by two-letter codes; None when empty. A tag with
    a region or script (``en-GB``, ``EN``) is read as its language when the map has no text under
    that language's own code, as the model keys texts by ISO 639-1 code only. What it cannot keep
    (a second text in a language, a tag of no two-letter language such as ``mul`` or ``und``) is
    noted for :func:`_texts_left_out`."""
    if not isinstance(value, dict):
        return None
    out: dict[str, str] = {}
    left_out = _TEXTS_LEFT_OUT.get()
    for tag, text in sorted(value.items(), key=lambda item: not re.fullmatch(r"[a-z]{2}", str(item[0]))):
        texts = [t for t in _list(text) if isinstance(t, str) and t.strip()]
        match = re.fullmatch(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*", tag) if isinstance(tag, str) else None
        kept = None
        if match and texts:
            kept = out.setdefault(match.group(1).lower(), texts[0])
        if left_out is not None:
            left_out += [(str(tag), t) for t in texts if t != kept]  # the same text twice loses nothing
    return out or None


def _texts_left_out(left_out: list[tuple[str, str]]) -> str | None:
    """One note naming the texts :func:`_text` could not keep, a few of them quoted."""
    if not left_out:
        return None
    distinct = list(dict.fromkeys(left_out))  # a text read from two places is one text
    shown = "; ".join(f"{tag}: {text[:40] + '...' if len(text) > 40 else text!r}"
                      for tag, text in distinct[:3])
    more = f" and {len(distinct) - 3} more" if len(distinct) > 3 else ""
    return (f"left out, as the internal model keeps one text per two-letter language: {len(distinct)} "
            f"text(s) in another language tag or a second text in one language ({shown}{more})")


def _note(value: Any) -> dict[str, str] | None:
    node = _first(value)
    return _text(node.get("noteLiteral")) if isinstance(node, dict) else None


def _id(value: Any) -> str | None:
    node = _first(value)
    if isinstance(node, dict):
        return node.get("id") if isinstance(node.get("id"), str) else None
    return node if isinstance(node, str) else None


def _skill(value: Any) -> str | dict[str, Any]:
    """An ESCO skill as the catalogue writes it: its IRI, with its label when the credential has one."""
    label = _text(value.get("prefLabel")) if isinstance(value, dict) else None
    return {"iri": _id(value), "label": label} if label else str(_id(value))


def _web(iri: str | None) -> bool:
    return bool(iri) and str(iri).startswith(("http://", "https://"))


def _label(node: Any) -> str:
    """A concept as a person reads it: its label in the first language given, else its id."""
    label = _text(node.get("prefLabel")) if isinstance(node, dict) else None
    return repr(next(iter(label.values()))) if label else str(_id(node))


def _url(value: Any) -> str | None:
    node = _first(value)
    return node.get("contentURL") if isinstance(node, dict) else None


def _date(value: Any) -> str | None:
    text = _first(value)
    return text[:10] if isinstance(text, str) and len(text) >= 10 else None


def _day(value: Any, what: str, notes: list[str]) -> str | None:
    """The date of a date or dateTime, with a note when a time of day is given that is not
    midnight: 2022-12-31T23:00:00Z is midnight in Brussels on 1 January, and the model holds
    the date as written."""
    date, moment, written = _date(value), _moment(value), str(_first(value)).strip()
    if date and moment is not None and moment.time() != dt.time(0, 0) and len(written) > 10:
        notes.append(f"the {what} {written} is not at midnight: the date read is "
                     f"{date}, as written; in the issuer's time zone it may be the next or previous day "
                     "(the time is kept under date_times)")
    return date


def _moment(value: Any) -> dt.datetime | None:
    """An xsd:dateTime or date; None for anything else."""
    text = _first(value)
    try:
        return dt.datetime.fromisoformat(text.strip()) if isinstance(text, str) else None
    except ValueError:
        return None


def _slug(text: str) -> str:
    return re.sub(r"[\W_]+", "-", text.lower()).strip("-")[:40] or "x"


def _known(scheme: str, iri: str | None) -> str | None:
    if not iri:
        return None
    try:
        return vocab.resolve(scheme, iri).iri
    except vocab.UnknownConcept:
        return None


def _country(code: str | None) -> str | None:
    """A country by IRI or code, with the EU's own codes (EL, UK) as the model reads them."""
    return _known("country", EU_COUNTRY_CODES.get(code.lower(), code) if code else None)


def _mailbox(node: Node) -> str | None:
    for contact in _list(node.get("contactPoint")):
        mail = _id(contact.get("emailAddress")) if isinstance(contact, dict) else None
        if mail and mail.startswith("mailto:"):
            return unquote(mail.removeprefix("mailto:"))  # as written before percent-encoding
    return None


def _concepts(scheme: str, values: Any) -> list[str]:
    return [c for c in (_known(scheme, _id(v)) for v in _list(values)) if c]


def _identifier(node: Node) -> Node | None:
    found = [i for i in _list(node.get("identifier")) if isinstance(i, dict) and i.get("notation")]
    return found[0] if found else None


def _duration_hours(text: Any) -> str | None:
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?", text) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        return None
    hours, minutes = int(match.group(1) or 0), int(match.group(2) or 0)
    return str(hours + minutes / 60) if minutes else str(hours)


def _months(text: Any) -> int | None:
    """Whole months of a duration in years and months (``P1Y6M`` is 18); None for any other."""
    return duration_months(text) if isinstance(text, str) else None


# --- records ---

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
        """The first credit points in a known system (ECTS, ECVET); points in another or unnamed
        system are left out with a note, never taken for ECTS (the model's default), and so are
        further points beside the ones read (the model holds one amount)."""
        points = [c for c in _list(values) if isinstance(c, dict) and c.get("point") is not None]
        read = next((c for c in points if _known("credit-system", _id(c.get("framework")))), None)
        for credit in points:
            if credit is read:
                continue
            system = _id(credit.get("framework")) or "none named"
            if read is not None and _known("credit-system", system):
                self.notes.append(f"{credit['point']} further credit points ({system}) were left out: the "
                                  f"internal model holds one amount, and {read['point']} points were read")
            else:
                self.notes.append(f"{credit['point']} credit points in an unknown credit system ({system}) "
                                  "were left out: only ECTS and ECVET points can be read")
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
        lang in given and lang in family and text == f"{given[lang]} {family[lang]}"
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


# --- EDC 3.x JSON-LD as other issuers write it ---

_MAX_LINKED_NODES = 50_000
"""How many nodes a credential may hold once its references are put in place: a node referenced
twice by each of many others would otherwise grow without bound."""
_MAX_DEPTH = 200
_LITERAL_KEYS = frozenset({"id", "type", "@context", "contentURL", "notation", "schemeName", "content"})
"""Keys whose text is a value of its own, never a reference (a web page's address may be its id)."""


def _from_graph(document: Any) -> tuple[Any, list[Any]]:
    """A credential written as a flattened JSON-LD graph (``{"@context": ..., "@graph": [...]}``,
    as JSON-LD tools write one): its one VerifiableCredential node with the graph's context, and
    the graph's nodes, which its references by id name. Any other document as it is."""
    graph = document.get("@graph") if isinstance(document, dict) else None
    if not isinstance(graph, list):
        return document, []
    found = [n for n in graph if isinstance(n, dict) and "VerifiableCredential" in _list(n.get("type"))]
    if len(found) != 1:
        raise NotACredential(f"the JSON-LD graph holds {len(found)} VerifiableCredential nodes; give one "
                             "credential per file")
    context = {"@context": document["@context"]} if "@context" in document else {}
    return {**context, **found[0]}, graph


def _linked(credential: Node, described: Sequence[Any] = ()) -> Node:
    """The credential with every node that is written once and referenced elsewhere by its id
    (``"awardingBody": "urn:epass:org:1"`` or ``{"id": "urn:epass:org:1"}``) put in the place of
    the reference, as JSON-LD means it. A reference to a node it sits inside stays as written, and
    a credential that grows too large or deep this way is refused. ``described`` are nodes beside
    the credential (a flattened graph's) that its references may name."""
    index: dict[str, Node] = {}
    stack: list[Any] = [*reversed(described), credential]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            node_id = value.get("id")
            if isinstance(node_id, str) and set(value) - {"id", "type", "@context"}:
                index.setdefault(node_id, value)
            stack.extend(v for k, v in value.items() if k != "@context")
        elif isinstance(value, list):
            stack.extend(value)
    count = 0

    def link(value: Any, key: str, inside: frozenset[str], depth: int) -> Any:
        nonlocal count
        count += 1
        if count > _MAX_LINKED_NODES or depth > _MAX_DEPTH:
            raise NotImportable(f"the credential holds more than {_MAX_LINKED_NODES:,} nodes or nests them "
                                f"more than {_MAX_DEPTH} deep once its references by id are followed; it "
                                "cannot be a credential to read")
        if isinstance(value, list):
            return [link(v, key, inside, depth + 1) for v in value]
        target: Any = None
        if isinstance(value, str) and key not in _LITERAL_KEYS:
            target = index.get(value)
        elif isinstance(value, dict) and isinstance(value.get("id"), str) and not set(value) - {"id", "type"}:
            target = index.get(value["id"])
        if target is not None:
            if target["id"] in inside:
                return value
            value = target
        if not isinstance(value, dict):
            return value
        own = value.get("id")
        within = inside | {own} if isinstance(own, str) else inside
        return {k: v if k == "@context" else link(v, k, within, depth + 1) for k, v in value.items()}

    linked = link(credential, "", frozenset(), 0)
    assert isinstance(linked, dict)
    return linked


def _title_of(node: Node) -> str:
    """A claim's title as a person reads it: its own, else its specification's, else its id."""
    spec = _first(node.get("specifiedBy"))
    texts = _text(node.get("title")) or (_text(spec.get("title")) if isinstance(spec, dict) else None)
    if texts is None:
        return str(node.get("id") or "(untitled)")
    return repr(" ".join(next(iter(texts.values())).split()))


_CLAIM_TYPES = {"LearningAchievement": "achievement", "LearningActivity": "activity",
                "LearningEntitlement": "entitlement", "LearningAssessment": "assessment"}


def _claim_type(node: Node) -> str:
    """The kind of an EDC 3 claim by its type ("claim" for one that names no known type)."""
    kinds = (_CLAIM_TYPES[t] for t in _list(node.get("type")) if isinstance(t, str) and t in _CLAIM_TYPES)
    return next(kinds, "claim")


def _chosen_claim(person: Node, notes: list[str]) -> tuple[Node, Node]:
    """The claim read as the award's achievement: the first achievement with a specification,
    else the first achievement, else the first other claim. One without a specification stands
    in with its own title and description, with a note (EDC 3 requires a claim's title, not its
    specification). Gives the claim as written and as read."""
    claims = [c for c in _list(person.get("hasClaim")) if isinstance(c, dict)]
    ranked = sorted(claims, key=lambda c: (_claim_type(c) != "achievement",
                                           not isinstance(_first(c.get("specifiedBy")), dict)))
    if not ranked:
        raise NotImportable("the credential claims nothing (credentialSubject.hasClaim holds no achievement, "
                            "activity, assessment or entitlement), so there is nothing to show as awarded")
    claim = ranked[0]
    kind = _claim_type(claim)
    if kind != "achievement":
        notes.append(f"the credential claims no achievement: its {kind} {_title_of(claim)} is read in the "
                     "place of one")
    if isinstance(_first(claim.get("specifiedBy")), dict):
        return claim, claim
    title = _text(claim.get("title"))
    if title is None:
        raise NotImportable(f"the credential's {kind} ({claim.get('id') or 'hasClaim'}) has neither a "
                            "title nor a specification (specifiedBy) with one, so there is nothing to show "
                            "as awarded")
    notes.append(f"the {kind} {_title_of(claim)} gives no specification (specifiedBy): its own title and "
                 "description are read as the specification's")
    return claim, {**claim, "specifiedBy": {"title": title, "description": claim.get("description")}}


_JSONLD_LEFT_OUT = (
    ("hasPart", "an award holds one achievement without parts ({} is read)", "its parts (hasPart)",
     ", with their grades, credits and outcomes"),
    ("influencedBy", "an award holds no learning activities ({} is read)",
     "the learning activities it was influenced by (influencedBy)", ""),
    ("entitlesTo", "an award holds no entitlements ({} is read)",
     "the entitlements it gives (entitlesTo)", ""),
)
_READ_LEARNER_KEYS = {"id", "type", "identifier", "givenName", "familyName", "fullName", "dateOfBirth",
                      "hasClaim", "nationalID", "nationalId", "contactPoint"}


def _note_left_out_jsonld(person: Node, claim: Node, notes: list[str]) -> None:
    """What the model cannot hold beside the claim read, named with titles rather than dropped
    unsaid: the other claims, the claim's parts, activities and entitlements, the parts of its
    assessment, and the learner's details the model has no field for."""
    read = _title_of(claim)
    others: dict[str, list[str]] = {}
    for other in _list(person.get("hasClaim")):
        if isinstance(other, dict) and other is not claim:
            others.setdefault(_claim_type(other), []).append(_title_of(other))
    for kind, titles in others.items():
        notes.append(f"left out, as an award holds one achievement ({read} is read): the further "
                     f"{kind} claims (hasClaim) {_listed(titles)}")
    for key, why, what, with_what in _JSONLD_LEFT_OUT:
        titles = [_title_of(n) for n in _list(claim.get(key)) if isinstance(n, dict)]
        if titles:
            notes.append(f"left out, as {why.format(read)}: {what} {_listed(titles)}{with_what}")
    proven = _first(claim.get("provenBy"))
    parts = [_title_of(n) for n in _list(proven.get("hasPart")) if isinstance(n, dict)] \
        if isinstance(proven, dict) else []
    if parts:
        notes.append(f"left out, as an award holds one grade (that of {read}): the parts of its assessment "
                     f"(provenBy/hasPart) {_listed(parts)}, with their grades")
    details = sorted(k for k, v in person.items()
                     if k not in _READ_LEARNER_KEYS and v not in (None, "", [], {}))
    if details:
        notes.append("left out, as the internal model has no field for them: the learner's "
                     f"{', '.join(details)} (credentialSubject)")


def records_from_jsonld(credential: Node, fmt: str, form: str, notes: Sequence[str] = ()) -> Imported:
    """Build the award and its catalogue from an EDC credential in JSON-LD node shape; ``notes``
    say what was left out before (reading XML)."""
    left_out: list[tuple[str, str]] = []
    token = _TEXTS_LEFT_OUT.set(left_out)
    try:
        imported = _records_from_jsonld(credential, fmt, form, notes)
    finally:
        _TEXTS_LEFT_OUT.reset(token)
    note = _texts_left_out(left_out)
    if note is not None:
        imported.notes.append(note)
    return imported


def _records_from_jsonld(credential: Node, fmt: str, form: str, notes: Sequence[str]) -> Imported:
    b = _Builder(notes=list(notes))
    person = _first(credential.get("credentialSubject"))
    if not isinstance(person, dict):
        raise NotImportable("the credential has no credentialSubject")
    if fmt == "edc-jsonld":
        written, claim = _chosen_claim(person, b.notes)
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
    return Imported(award, catalogue, fmt, form, form in ("jades", "xades", "vp+xades"), notes_once,
                    _date_times(credential, awarding))


# --- EDC XML 1.x -> JSON-LD node shape ---

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


def _listed(titles: list[str], shown: int = 10) -> str:
    """Titles joined by commas, the first ``shown`` of a long list and how many more there are."""
    more = len(titles) - shown
    return ", ".join(titles[:shown]) + (f" and {more} more" if more > 0 else "")


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
        """The first achievement; without one, the first activity or entitlement, or else the
        credential's title, stands in for it (with a note), as the model holds one achievement."""
        for tag in ("learningAchievement", "qualificationAward"):
            found = subject.find(f"{_q('achievements')}/{_q(tag)}")
            if found is not None:
                claim = self.achievement(found, primary)
                self.note_left_out(subject, found)
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


def _version(root: etree._Element) -> str:
    """1.0, 1.1 or 1.2, from the schemaLocation file name (every 1.x says xsdVersion 0.10.0)."""
    try:
        name = Path(schema_for(root)).name
    except UnknownSchema:
        return "1.x"
    found = re.search(r"_(1\.\d)\.xsd$", name)
    return found.group(1) if found else "1.0"


def records_from_xml(tree: etree._ElementTree) -> Imported:
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
    version = _version(tree.getroot())
    reader = _XmlReader(root)
    return records_from_jsonld(reader.credential(), f"edc-xml-{version}", form, reader.notes)


def import_bytes(data: bytes, source: str = "<document>") -> Imported:
    """Read any supported credential document (format detected from the content)."""
    if not data.strip():
        raise NotACredential(f"{source}: the file is empty; give an EDC JSON-LD or XML credential")
    if looks_like_xml(data):
        return records_from_xml(parse_bytes(data, source=source))
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NotACredential(f"{source}: not UTF-8 text; save the file as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise NotACredential(f"{source}: neither XML nor JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise NotACredential(f"{source}: nested too deep to be a credential") from None
    except ValueError as exc:  # a number of more than 4,300 digits
        from edcbridge.output import unreadable_json

        raise NotACredential(f"{source}: not a credential ({unreadable_json(exc)})") from None
    document, described = _from_graph(document)
    try:
        credential, form = unwrap(document)
    except NotACredential as exc:
        raise NotACredential(f"{source}: {exc}") from None
    try:
        return records_from_jsonld(_linked(credential, described), "edc-jsonld", form)
    except (AttributeError, TypeError) as exc:  # a value of another JSON type than EDC 3 gives there
        raise NotImportable(f"{source}: the credential holds a value of an unexpected kind where EDC 3 "
                            f"expects another ({exc}); it cannot be read") from None


def read_credential_file(path: Path) -> bytes:
    """A credential file's bytes, refused unread above ``MAX_BYTES``."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise XmlInputError(f"{path}: {size:,} bytes is above the {MAX_BYTES:,}-byte limit for "
                                "credentials; check that this is the right file")
        return path.read_bytes()
    except OSError as exc:
        raise NotACredential(f"{path}: cannot read the file ({exc.strerror})") from None


def import_file(path: Path) -> Imported:
    return import_bytes(read_credential_file(path), str(path))
