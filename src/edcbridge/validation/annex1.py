"""The Council Recommendation's micro-credential elements (2022/C 243/02, Annex I).

The official shapes do not check them; this does, on any EDC JSON-LD credential, by looking
where the EC's own micro-credential sample (``Sample-MC-Annex1``) and the ELM 3.2 application
profile put each element:

* an element of the micro-credential itself (title, outcomes, workload, level, assessment,
  participation, quality assurance, awarding body) must be stated for *each* learning
  achievement the credential claims: a credential with two achievements holds two
  micro-credentials. A credential that claims no achievement (a certificate of
  participation) is judged on the claims it has;
* an element is stated only by a value that says something: an empty text, an empty
  language map (``{"en": ""}``), a credit point without its ``point`` or a note without its
  text states nothing;
* each element is read where ELM gives it a property, and only there: an assessment's *mode*
  (online, onsite) is not its *type*; a *learning setting* (formal, non-formal) is not a
  *form of participation* (online, onsite or blended); ``validFrom`` is not the *date of
  issuing* (``issued``); the issuer's accreditation underpins the micro-credential only when
  the issuer is its awarding body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edcbridge import vocab
from edcbridge.mapping.nodes import Frozen
from edcbridge.validation.document import as_list, walk
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


def only_activities(doc: Doc) -> bool:
    """Whether every claim of the credential is a LearningActivity: a certificate of
    participation, which the Recommendation's elements and the micro-credential policies do
    not describe."""
    claims = [c for c in _claims(doc) if isinstance(c, dict)]
    return bool(claims) and all("LearningActivity" in as_list(c.get("type")) for c in claims)


NOT_A_MICRO_CREDENTIAL = Finding(
    "annex1.not-applicable", "info", "hasClaim",
    "every claim is a learning activity (a certificate of participation, not a micro-credential): "
    "Annex I and the micro-credential policies are not applied")


def filled(value: Any) -> bool:
    """Whether a value states something: a text that is not blank, a language map with such a
    text, a node (an object with an ``id`` or a ``type``), a number or a boolean (``false``
    states something: ``isPartialQualification: false`` says the credential stands alone)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool | int | float):
        return True
    if isinstance(value, list):
        return any(filled(v) for v in value)
    if isinstance(value, dict):
        if "@value" in value:
            return filled(value["@value"])
        if "id" in value or "type" in value:
            return True
        return any(filled(v) for v in value.values())  # a language map
    return False


def _values_below(node: Any, path: Path) -> list[Any]:
    values = [node]
    for key in path:
        values = [v for item in values if isinstance(item, dict) for v in as_list(item.get(key))]
    return values


# (id(shared node), path below it) -> (the node, whether a value there states something). A
# node shared by every credential of a catalogue entry is judged once; the entry holds the
# node, so its id is not reused while the entry stands.
_SHARED: dict[tuple[int, Path], tuple[Any, bool]] = {}


def _shared_present(node: Frozen, path: Path) -> bool:
    key = (id(node), path)
    hit = _SHARED.get(key)
    if hit is None or hit[0] is not node:
        if len(_SHARED) > 4096:
            _SHARED.clear()
        hit = _SHARED[key] = (node, any(filled(v) for v in _values_below(node, path)))
    return hit[1]


class _Values:
    """A node's values along paths; each path, and so each shared prefix, read once."""

    def __init__(self, node: Any) -> None:
        self._found: dict[Path, list[Any]] = {(): [node]}

    def at(self, path: Path) -> list[Any]:
        found = self._found.get(path)
        if found is None:
            key, parents = path[-1], self.at(path[:-1])
            if len(parents) == 1 and isinstance(parents[0], dict):  # the usual case, in short
                value = parents[0].get(key)
                found = [] if value is None else list(value) if isinstance(value, list) else [value]
            else:
                found = [v for item in parents if isinstance(item, dict) for v in as_list(item.get(key))]
            self._found[path] = found
        return found

    def present(self, path: Path) -> bool:
        for prefix, rest in _steps(path):
            parents = self.at(prefix)
            if not parents:
                return False
            if _all_shared(parents):  # shared: judged once, see _SHARED
                for value in parents:  # noqa: SIM110 (loops, not any(): no generator on a hot path)
                    if _shared_present(value, rest):
                        return True
                return False
        for value in self.at(path):  # noqa: SIM110
            if filled(value):
                return True
        return False


# path -> each of its proper prefixes with the rest of the path (the paths are ELEMENTS')
_STEPS: dict[Path, tuple[tuple[Path, Path], ...]] = {}


def _steps(path: Path) -> tuple[tuple[Path, Path], ...]:
    steps = _STEPS.get(path)
    if steps is None:
        if len(_STEPS) > 1024:
            _STEPS.clear()
        steps = _STEPS[path] = tuple((path[:depth], path[depth:]) for depth in range(1, len(path)))
    return steps


def _all_shared(values: list[Any]) -> bool:
    for value in values:  # noqa: SIM110
        if not isinstance(value, Frozen):
            return False
    return True


@dataclass
class Claim:
    """One claim the element is judged on: its place in ``hasClaim`` and its values."""

    index: int | None  # None when hasClaim is a single object
    node: dict[str, Any]
    values: _Values

    @property
    def path(self) -> str:
        return "hasClaim" if self.index is None else f"hasClaim[{self.index}]"

    def label(self) -> str:
        """``hasClaim[1] 'Title'``: where the claim is and what it is called."""
        titles = [t for t in self.values.at(("title",)) + self.values.at(("specifiedBy", "title"))
                  if isinstance(t, dict)]
        name = next((v for t in titles for v in t.values() if isinstance(v, str) and v.strip()), "")
        return f"{self.path} '{name.strip()}'" if name else self.path


class Context:
    """A credential read once for every element: its values and the claims to judge."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.values = _Values(doc)
        raw = self.values.at(("credentialSubject", "hasClaim"))
        listed = isinstance(doc.get("credentialSubject"), dict) and \
            isinstance(doc["credentialSubject"].get("hasClaim"), list)
        every = [Claim(i if listed else None, node, _Values(node))
                 for i, node in enumerate(raw) if isinstance(node, dict)]
        achievements = [c for c in every if "LearningAchievement" in as_list(c.node.get("type"))]
        self.claims = achievements or every
        self._nodes: dict[str, list[dict[str, Any]]] | None = None

    def nodes(self, node_id: str) -> list[dict[str, Any]]:
        """Every object of the credential with this ``id`` (a node given once and referred to
        elsewhere by its id alone)."""
        if self._nodes is None:
            self._nodes = {}
            for _, node in walk(self.doc):
                if isinstance(node.get("id"), str):
                    self._nodes.setdefault(node["id"], []).append(node)
        return self._nodes.get(node_id, [])


def _ids(values: list[Any]) -> set[str]:
    """The ids of nodes, and of nodes given by their id alone."""
    ids = [v if isinstance(v, str) else v.get("id") if isinstance(v, dict) else None for v in values]
    return {i for i in ids if isinstance(i, str) and i}


def _awarding_body_named(context: Context, claim: Claim) -> bool:
    """The awarding body is named (``legalName``; ``fullName`` for a person), where the claim
    gives it or, given by its id alone, where the credential describes the node."""
    def named(node: Any) -> bool:
        return isinstance(node, dict) and (filled(node.get("legalName")) or filled(node.get("fullName")))

    bodies = claim.values.at(("awardedBy", "awardingBody"))
    return any(named(body) for body in bodies) or \
        any(named(node) for node_id in _ids(bodies) for node in context.nodes(node_id))


def _names(nodes: list[Any]) -> set[str]:
    """The legal names of organisations, in any language, compared without case or spacing."""
    return {" ".join(text.split()).casefold() for node in nodes if isinstance(node, dict)
            for names in as_list(node.get("legalName")) if isinstance(names, dict)
            for text in names.values() if isinstance(text, str) and text.strip()}


def _issuer_is_awarding_body(context: Context, claim: Claim) -> bool:
    """The issuer is the claim's awarding body: the same node id, or the same legal name (an
    issuer that seals its own award is often given a new node id when sealing)."""
    issuer, bodies = context.values.at(("issuer",)), claim.values.at(("awardedBy", "awardingBody"))
    return bool(_ids(issuer) & _ids(bodies)) or bool(_names(issuer) & _names(bodies))


def _issuer_accredited(context: Context, claim: Claim) -> bool:
    """The issuer's accreditation underpins the micro-credential when the issuer awarded it;
    not when the issuer only seals it on the awarding body's behalf."""
    return context.values.present(("issuer", "accreditation")) and _issuer_is_awarding_body(context, claim)


def states_a_level(level: Any) -> bool:
    """An nqfLevel that is a level of a national framework: not the framework itself, which the
    NQF list holds beside its levels (the Credit and Qualifications Framework for Wales names no
    level)."""
    iri = level.get("id") if isinstance(level, dict) else level
    return filled(level) and not (isinstance(iri, str) and vocab.nqf_framework(iri) is not None)


def _nqf_level(context: Context, claim: Claim) -> bool:
    return any(states_a_level(level) for level in claim.values.at(("specifiedBy", "nqfLevel")))


ClaimTest = Path | Callable[[Context, Claim], bool]


@dataclass(frozen=True)
class Element:
    """Where an element is stated: paths from the credential, and tests of each claim.

    A document element (the learner, the date of issuing) is stated once for the credential;
    an element of the micro-credential must be stated for every claim judged, by one of
    ``in_claim`` or by a credential-wide path of ``in_doc`` (the issuer's country).
    """

    in_doc: tuple[Path, ...] = ()
    in_claim: tuple[ClaimTest, ...] = ()

    def __call__(self, doc: Doc) -> bool:
        """Whether the credential states the element (for every claim judged)."""
        return self.lacking(Context(doc)) is None

    def lacking(self, context: Context) -> list[Claim] | None:
        """None when the element is stated; else the claims that lack it ([] when the
        credential lacks it as a whole)."""
        present = context.values.present
        for path in self.in_doc:
            if present(path):
                return None
        if not self.in_claim or not context.claims:
            return []
        lacking = [claim for claim in context.claims if not self._in(context, claim)]
        return lacking or None

    def _in(self, context: Context, claim: Claim) -> bool:
        """Whether the claim states the element."""
        for test in self.in_claim:
            if test(context, claim) if callable(test) else claim.values.present(test):
                return True
        return False


def _doc(*paths: Path) -> tuple[Path, ...]:
    return paths


def _claim(*tests: ClaimTest) -> tuple[ClaimTest, ...]:
    return tests


_ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"

# (element, where it is read, where it belongs, mandatory in Annex I). The names are the
# Annex's, shortened; ``where`` is the path a fix names (other modules key on it).
ELEMENTS: list[tuple[str, Element, str, bool]] = [
    ("Identification of the learner",
     Element(_doc(("credentialSubject", "fullName"), ("credentialSubject", "familyName"),
                  ("credentialSubject", "givenName"), ("credentialSubject", "nationalID", "notation"),
                  ("credentialSubject", "identifier", "notation"))),
     "credentialSubject.givenName / familyName / fullName", True),
    ("Title of the micro-credential",
     Element(in_claim=_claim(("title",), ("specifiedBy", "title"))), "hasClaim.title", True),
    ("Country(ies)/Region(s) of the issuer",
     Element(_doc(("issuer", "location", "address", "countryCode")),
             _claim(("awardedBy", "awardingBody", "location", "address", "countryCode"))),
     "issuer.location.address.countryCode", True),
    ("Awarding body(ies)", Element(in_claim=_claim(_awarding_body_named)),
     "hasClaim.awardedBy.awardingBody", True),
    ("Date of issuing", Element(_doc(("issued",), ("issuanceDate",))), "issued", True),
    ("Learning outcomes",
     Element(in_claim=_claim(("specifiedBy", "learningOutcome", "title"),
                             ("specifiedBy", "learningOutcomeSummary", "noteLiteral"))),
     "hasClaim.specifiedBy.learningOutcome", True),
    ("Notional workload needed to achieve the learning outcomes (in ECTS, wherever possible)",
     Element(in_claim=_claim(("specifiedBy", "creditPoint", "point"), ("specifiedBy", "volumeOfLearning"))),
     "hasClaim.specifiedBy.creditPoint / volumeOfLearning", True),
    ("Level (and cycle, if applicable) of the learning experience (EQF, QF-EHEA)",
     Element(in_claim=_claim(("specifiedBy", "eqfLevel"), _nqf_level, ("specifiedBy", "educationLevel"))),
     "hasClaim.specifiedBy.eqfLevel / nqfLevel", True),
    ("Type of assessment",
     Element(in_claim=_claim(("provenBy", "specifiedBy", "dcType"), ("provenBy", "dcType"),
                             ("specifiedBy", "provenBy", "dcType"))),
     "hasClaim.provenBy.specifiedBy.dcType", True),
    ("Form of participation in the learning activity",
     Element(in_claim=_claim(("specifiedBy", "mode"), ("influencedBy", "specifiedBy", "mode"),
                             ("specifiedBy", "influencedBy", "mode"))),
     "hasClaim.specifiedBy.mode", True),
    ("Type of quality assurance used to underpin the micro-credential",
     Element(in_claim=_claim(("specifiedBy", "accreditation"), ("awardedBy", "awardingBody", "accreditation"),
                             _issuer_accredited)),
     "hasClaim.specifiedBy.accreditation", True),
    ("Prerequisites needed to enrol",
     Element(in_claim=_claim(("specifiedBy", "entryRequirement", "noteLiteral"))),
     "hasClaim.specifiedBy.entryRequirement", False),
    ("Supervision and identity verification during assessment",
     Element(in_claim=_claim(("provenBy", "idVerification"))), "hasClaim.provenBy.idVerification", False),
    ("Grade achieved", Element(in_claim=_claim(("provenBy", "grade", "noteLiteral"))),
     "hasClaim.provenBy.grade", False),
    ("Integration/stackability options",
     Element(in_claim=_claim(("specifiedBy", "isPartOf"), ("specifiedBy", "hasPart"),
                             ("specifiedBy", "isPartialQualification"), ("specifiedBy", "entitlesTo"))),
     "hasClaim.specifiedBy.isPartOf / hasPart", False),
    ("Further information",
     Element(in_claim=_claim(("specifiedBy", "additionalNote", "noteLiteral"), ("specifiedBy", "homepage"),
                             ("specifiedBy", "supplementaryDocument"))),
     "hasClaim.specifiedBy.additionalNote / homepage", False),
]


SOURCE = "Council Recommendation 2022/C 243/02, Annex I"

_LEVEL = "Level (and cycle, if applicable) of the learning experience (EQF, QF-EHEA)"

# What to add, exactly: the property first (a fix reads "add <property> (<kind>): <detail>"),
# then what a value of it is and what does not count.
_ADD: dict[str, tuple[str, str]] = {
    "Identification of the learner": (
        "credentialSubject.givenName and familyName, or fullName",
        "the learner's name; nationalID or identifier, with its notation, identifies the learner too"),
    "Title of the micro-credential": (
        "hasClaim.title", "the title of the micro-credential (the title of hasClaim.specifiedBy "
        "counts too)"),
    "Country(ies)/Region(s) of the issuer": (
        "issuer.location.address.countryCode",
        "a country of http://publications.europa.eu/resource/authority/country (the awarding "
        "body's, hasClaim.awardedBy.awardingBody.location.address.countryCode, counts too)"),
    "Awarding body(ies)": (
        "hasClaim.awardedBy.awardingBody",
        "the organisation that awards the micro-credential, with its legalName"),
    "Date of issuing": (
        "issued", "the date and time the credential is issued (validFrom, the date it becomes "
        "valid, is another date)"),
    "Learning outcomes": (
        "hasClaim.specifiedBy.learningOutcome",
        "each outcome with its title (or a learningOutcomeSummary note)"),
    "Notional workload needed to achieve the learning outcomes (in ECTS, wherever possible)": (
        "hasClaim.specifiedBy.creditPoint",
        f"a point in ECTS (framework {_ECTS}) wherever possible, or volumeOfLearning, the "
        "notional hours as a duration (PT125H)"),
    _LEVEL: (
        "hasClaim.specifiedBy.eqfLevel",
        "http://data.europa.eu/snb/eqf/1 to /8, or nqfLevel (a level, not its framework); the "
        "Recommendation asks for the level 'if applicable': leave it out only when the learning is "
        "not referenced to a qualifications framework"),
    "Type of assessment": (
        "hasClaim.provenBy.specifiedBy.dcType",
        "the type of assessment (a written examination, a project, a portfolio...); the "
        "assessment's mode, online or onsite, is not its type"),
    "Form of participation in the learning activity": (
        "hasClaim.specifiedBy.mode",
        "online, onsite or blended (the learning activity's mode counts too); the learning "
        "setting, formal or non-formal, does not say it"),
    "Type of quality assurance used to underpin the micro-credential": (
        "hasClaim.specifiedBy.accreditation",
        "an Accreditation whose dcType is the type of quality assurance (the awarding body's "
        "accreditation, hasClaim.awardedBy.awardingBody.accreditation, counts too)"),
    "Prerequisites needed to enrol": (
        "hasClaim.specifiedBy.entryRequirement", "a note of what a learner needs to enrol"),
    "Supervision and identity verification during assessment": (
        "hasClaim.provenBy.idVerification",
        "whether the assessment was supervised and the learner's identity verified"),
    "Grade achieved": ("hasClaim.provenBy.grade", "a note of the grade"),
    "Integration/stackability options": (
        "hasClaim.specifiedBy.isPartialQualification",
        "whether the micro-credential stands alone or is integrated (isPartOf or hasPart say "
        "what it stacks towards)"),
    "Further information": (
        "hasClaim.specifiedBy.additionalNote", "a note (a homepage or supplementaryDocument counts too)"),
}


def _fix(element: str, mandatory: bool) -> str:
    path, detail = _ADD[element]
    kind = "a mandatory element" if mandatory else "an optional element, 'where relevant'"
    return f"add {path} ({kind} of {SOURCE}): {detail}"


def check_annex1(doc: Doc, severity: Severity = "warning") -> list[Finding]:
    """Missing mandatory elements at ``severity``; missing optional ones as info, whatever
    ``severity`` is: the Recommendation lists them as optional. The level, mandatory 'if
    applicable', is at most a warning: whether a framework applies is not in the credential."""
    context = Context(doc)
    findings = []
    for element, check, where, mandatory in ELEMENTS:
        lacking = check.lacking(context)
        if lacking is None:
            continue
        message = f"Annex I element missing: {element}"
        if len(context.claims) > 1 and lacking:
            message += (f" (in {len(lacking)} of the {len(context.claims)} claims: "
                        f"{', '.join(claim.label() for claim in lacking)})")
        level: Severity = severity if mandatory else "info"
        if element == _LEVEL and level == "error":
            level = "warning"
        findings.append(Finding("annex1.missing" if mandatory else "annex1.optional-missing",
                                level, where, message, _fix(element, mandatory)))
    return findings
