"""The Council Recommendation's micro-credential elements (2022/C 243/02, Annex I).

The official shapes do not check them; this does, on any EDC JSON-LD credential, by looking
where the EC's own micro-credential sample puts each element.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edcbridge.validation.document import as_list
from edcbridge.validation.findings import Finding, Severity

Doc = dict[str, Any]
Path = tuple[str, ...]
_EMPTY: tuple[Any, ...] = (None, "", {}, [])


def _get(node: Any, *path: str) -> list[Any]:
    values = [node]
    for key in path:
        values = [v for item in values if isinstance(item, dict) for v in as_list(item.get(key))]
    return [v for v in values if v not in _EMPTY]


def _claims(doc: Doc) -> list[Any]:
    return _get(doc, "credentialSubject", "hasClaim")


class _Values:
    """A document's values along paths; each path, and so each shared prefix, read once."""

    def __init__(self, doc: Doc) -> None:
        self._found: dict[Path, list[Any]] = {(): [doc]}

    def at(self, path: Path) -> list[Any]:
        found = self._found.get(path)
        if found is None:
            key, parents = path[-1], self.at(path[:-1])
            found = [v for item in parents if isinstance(item, dict) for v in as_list(item.get(key))]
            self._found[path] = found
        return found

    def present(self, path: Path) -> bool:
        return any(v not in _EMPTY for v in self.at(path))


@dataclass(frozen=True)
class _AnyOf:
    """An element is present when a value is found at any of its paths."""

    paths: tuple[Path, ...]

    def __call__(self, doc: Doc) -> bool:
        return self.found(_Values(doc))

    def found(self, values: _Values) -> bool:
        return any(values.present(path) for path in self.paths)


def _doc(*path: str) -> Path:
    return path


def _claim(*path: str) -> Path:
    return ("credentialSubject", "hasClaim", *path)


def _any(*paths: Path) -> _AnyOf:
    return _AnyOf(paths)


# (element, check, where it belongs, mandatory in Annex I)
ELEMENTS: list[tuple[str, _AnyOf, str, bool]] = [
    ("Identification of the learner",
     _any(_doc("credentialSubject", "fullName"), _doc("credentialSubject", "familyName"),
          _doc("credentialSubject", "givenName"), _doc("credentialSubject", "nationalID"),
          _doc("credentialSubject", "identifier")),
     "credentialSubject.givenName / familyName / fullName", True),
    ("Title of the micro-credential",
     _any(_claim("title"), _claim("specifiedBy", "title")), "hasClaim.title", True),
    ("Country(ies)/Region(s) of the issuer",
     _any(_doc("issuer", "location", "address", "countryCode"),
          _claim("awardedBy", "awardingBody", "location", "address", "countryCode")),
     "issuer.location.address.countryCode", True),
    ("Awarding body(ies)", _any(_claim("awardedBy", "awardingBody", "legalName")),
     "hasClaim.awardedBy.awardingBody", True),
    ("Date of issuing", _any(_doc("issued"), _doc("issuanceDate")), "issued", True),
    ("Learning outcomes",
     _any(_claim("specifiedBy", "learningOutcome"), _claim("specifiedBy", "learningOutcomeSummary")),
     "hasClaim.specifiedBy.learningOutcome", True),
    ("Notional workload needed to achieve the learning outcomes (in ECTS, wherever possible)",
     _any(_claim("specifiedBy", "creditPoint"), _claim("specifiedBy", "volumeOfLearning")),
     "hasClaim.specifiedBy.creditPoint / volumeOfLearning", True),
    ("Level (and cycle, if applicable) of the learning experience (EQF, QF-EHEA)",
     _any(_claim("specifiedBy", "eqfLevel"), _claim("specifiedBy", "nqfLevel"),
          _claim("specifiedBy", "educationLevel")),
     "hasClaim.specifiedBy.eqfLevel / nqfLevel", True),
    ("Type of assessment",
     _any(_claim("provenBy", "specifiedBy", "dcType"), _claim("provenBy", "specifiedBy", "mode")),
     "hasClaim.provenBy.specifiedBy.dcType", True),
    ("Form of participation in the learning activity",
     _any(_claim("specifiedBy", "mode"), _claim("specifiedBy", "learningSetting")),
     "hasClaim.specifiedBy.mode / learningSetting", True),
    ("Type of quality assurance used to underpin the micro-credential",
     _any(_claim("specifiedBy", "accreditation"), _claim("awardedBy", "awardingBody", "accreditation"),
          _doc("issuer", "accreditation")),
     "hasClaim.specifiedBy.accreditation", True),
    ("Prerequisites needed to enrol", _any(_claim("specifiedBy", "entryRequirement")),
     "hasClaim.specifiedBy.entryRequirement", False),
    ("Supervision and identity verification during assessment", _any(_claim("provenBy", "idVerification")),
     "hasClaim.provenBy.idVerification", False),
    ("Grade achieved", _any(_claim("provenBy", "grade")), "hasClaim.provenBy.grade", False),
    ("Integration/stackability options",
     _any(_claim("specifiedBy", "isPartOf"), _claim("specifiedBy", "hasPart"),
          _claim("specifiedBy", "isPartialQualification"), _claim("specifiedBy", "entitlesTo")),
     "hasClaim.specifiedBy.isPartOf / hasPart", False),
    ("Further information",
     _any(_claim("specifiedBy", "additionalNote"), _claim("specifiedBy", "homepage"),
          _claim("specifiedBy", "supplementaryDocument")),
     "hasClaim.specifiedBy.additionalNote / homepage", False),
]


SOURCE = "Council Recommendation 2022/C 243/02, Annex I"

# What the Recommendation adds to an element's name, said in the fix.
_PROVISOS = {
    "Level (and cycle, if applicable) of the learning experience (EQF, QF-EHEA)":
        "; the Recommendation asks for the level 'if applicable': leave it out only when the "
        "learning is not referenced to a qualifications framework",
}


def _fix(element: str, where: str, mandatory: bool) -> str:
    kind = "a mandatory element" if mandatory else "an optional element, 'where relevant'"
    return f"add {where} ({kind} of {SOURCE}){_PROVISOS.get(element, '')}"


def check_annex1(doc: Doc, severity: Severity = "warning") -> list[Finding]:
    """Missing mandatory elements at ``severity``; missing optional ones as info, whatever
    ``severity`` is: the Recommendation lists them as optional."""
    values = _Values(doc)
    findings = []
    for element, present, where, mandatory in ELEMENTS:
        if present.found(values):
            continue
        findings.append(Finding(
            "annex1.missing" if mandatory else "annex1.optional-missing",
            severity if mandatory else "info", where,
            f"Annex I element missing: {element}", _fix(element, where, mandatory)))
    return findings
