"""Where each Annex I element of the Council Recommendation is read from a credential.

The element names and order are those of :mod:`edcbridge.validation.annex1` (the check);
this module says which values to *show* for each, looking where the EC's micro-credential
sample puts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edcbridge.validation.annex1 import ELEMENTS, states_a_level
from edcbridge.validation.document import as_list

Doc = dict[str, Any]
Getter = Callable[[Doc], list[Any]]


def get(node: Any, path: str) -> list[Any]:
    """Values at a dotted path, through lists; empty values dropped."""
    values = [node]
    for key in path.split("."):
        values = [v for item in values if isinstance(item, dict) for v in as_list(item.get(key))]
    return [v for v in values if v not in (None, "", {}, [])]


def claims(doc: Doc) -> list[Any]:
    return get(doc, "credentialSubject.hasClaim")


def _doc(*paths: str) -> Getter:
    return lambda doc: [v for p in paths for v in get(doc, p)]


def _claim(*paths: str) -> Getter:
    return lambda doc: [v for c in claims(doc) for p in paths for v in get(c, p)]


def _achievement(*paths: str) -> Getter:
    """As :func:`_claim`, from the learning achievements only: the activities a credential lists
    beside its achievement are not what the micro-credential is called."""
    def run(doc: Doc) -> list[Any]:
        found = [c for c in claims(doc) if "LearningAchievement" in as_list(get(c, "type"))]
        return [v for c in found for p in paths for v in get(c, p)]
    return run


def _place(where: Callable[..., Getter], location: str) -> Getter:
    """The countries of ``location``, then its regions (``spatialCode``, e.g. an ATU or NUTS
    region): a region is shown beside a country, never as one."""
    countries, regions = where(f"{location}.address.countryCode"), where(f"{location}.spatialCode")
    return lambda doc: [*countries(doc), *regions(doc)] if countries(doc) else []


def _first_of(*getters: Getter) -> Getter:
    """The values of the first getter that finds any."""
    def pick(doc: Doc) -> list[Any]:
        for getter in getters:
            found = getter(doc)
            if found:
                return found
        return []
    return pick


def _unique(getter: Getter) -> Getter:
    def run(doc: Doc) -> list[Any]:
        seen: list[Any] = []
        for value in getter(doc):
            if value not in seen:
                seen.append(value)
        return seen
    return run


def _issuer_accreditation(doc: Doc) -> list[Any]:
    """The issuer's accreditation, when the issuer awarded the claim (same id or legal name):
    an issuer sealing on the awarding body's behalf does not underpin its micro-credential."""
    issuers = get(doc, "issuer")
    bodies = [b for c in claims(doc) for b in get(c, "awardedBy.awardingBody")]

    def ids(nodes: list[Any]) -> set[str]:
        return {n if isinstance(n, str) else n["id"] for n in nodes
                if isinstance(n, str) or (isinstance(n, dict) and isinstance(n.get("id"), str))}

    def names(nodes: list[Any]) -> set[str]:
        found: set[str] = set()
        for node in nodes:
            for by_language in get(node, "legalName"):
                if isinstance(by_language, dict):
                    found.update(str(name) for text in by_language.values() for name in as_list(text))
        return found

    if ids(issuers) & ids(bodies) or names(issuers) & names(bodies):
        return get(doc, "issuer.accreditation")
    return []


def _levels(doc: Doc) -> list[Any]:
    """The levels, as the check counts them: an nqfLevel that is a framework, not a level of
    it, is none."""
    return [v for c in claims(doc) for p in ("eqfLevel", "nqfLevel", "educationLevel")
            for v in get(c, f"specifiedBy.{p}") if p != "nqfLevel" or states_a_level(v)]


_VALUES: dict[str, Getter] = {
    "Identification of the learner": _first_of(_doc("credentialSubject")),
    "Title of the micro-credential": _first_of(_achievement("title"), _achievement("specifiedBy.title"),
                                               _claim("title"), _claim("specifiedBy.title")),
    "Country(ies)/Region(s) of the issuer": _unique(_first_of(
        _place(_doc, "issuer.location"), _place(_claim, "awardedBy.awardingBody.location"))),
    "Awarding body(ies)": _unique(_claim("awardedBy.awardingBody")),
    "Date of issuing": _first_of(_doc("issued"), _doc("issuanceDate")),
    "Learning outcomes": _first_of(_claim("specifiedBy.learningOutcome"),
                                   _claim("specifiedBy.learningOutcomeSummary")),
    "Notional workload needed to achieve the learning outcomes (in ECTS, wherever possible)":
        _claim("specifiedBy.creditPoint", "specifiedBy.volumeOfLearning"),
    "Level (and cycle, if applicable) of the learning experience (EQF, QF-EHEA)":
        _levels,
    # what the check counts, and only that: a value shown for an element it reports missing
    # (an assessment's mode shown as its type) would contradict it on the same page
    "Type of assessment": _unique(_claim("provenBy.specifiedBy.dcType", "provenBy.dcType",
                                         "specifiedBy.provenBy.dcType")),
    "Form of participation in the learning activity": _unique(
        _claim("specifiedBy.mode", "influencedBy.specifiedBy.mode", "specifiedBy.influencedBy.mode")),
    "Type of quality assurance used to underpin the micro-credential": _unique(_first_of(
        _claim("specifiedBy.accreditation"), _claim("awardedBy.awardingBody.accreditation"),
        _issuer_accreditation)),
    "Prerequisites needed to enrol": _claim("specifiedBy.entryRequirement"),
    "Supervision and identity verification during assessment": _claim("provenBy.idVerification"),
    "Grade achieved": _claim("provenBy.grade"),
    "Integration/stackability options": _claim("specifiedBy.isPartOf", "specifiedBy.hasPart",
                                               "specifiedBy.entitlesTo"),
    "Further information": _claim("specifiedBy.additionalNote", "specifiedBy.homepage",
                                  "specifiedBy.supplementaryDocument"),
}


@dataclass(frozen=True)
class Element:
    name: str
    mandatory: bool
    values: list[Any]
    partial_flag: bool | None = None  # isPartialQualification, for the stackability row


def annex1_elements(doc: Doc) -> list[Element]:
    """Every Annex I element, in the order of the check, with the values the credential has."""
    elements = []
    for name, _present, _where, mandatory in ELEMENTS:
        getter = _VALUES.get(name)
        if getter is None:  # a new element in the check: still listed, values unknown here
            elements.append(Element(name, mandatory, []))
            continue
        partial = None
        if name == "Integration/stackability options":
            flags = [v for c in claims(doc) for v in get(c, "specifiedBy.isPartialQualification")]
            partial = bool(flags[0]) if flags and isinstance(flags[0], bool) else None
        elements.append(Element(name, mandatory, getter(doc), partial))
    return elements


def missing_getters() -> list[str]:
    """Annex I elements the check knows that this module does not show (should be none)."""
    return [name for name, *_ in ELEMENTS if name not in _VALUES]
