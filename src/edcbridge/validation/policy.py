"""Policy profiles: the size and level rules of real micro-credential frameworks.

Each profile is data. Numbers come from the frameworks themselves, and every rule carries
the document's own words and the section they are in, so a finding says which document and
rule it comes from: the EU Council Recommendation (Annex I elements), Imperial College London
(2025), the Common Microcredential Framework (CMF) and short learning programmes (SLP) as the
BLOOM Hub describes them, and the UK QAA / MIC.SIG view.

What a credential states is read per learning achievement (a credential with two holds two
micro-credentials, each judged on its own), and read as written: credits given as text
("2,5", "5 ECTS") are read when they are one number, and named when they are not (a range,
a word); credits in UK credits are 2 to the ECTS credit; a maximum duration in weeks, days or
hours is more than N months only when it is longer than any N calendar months.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from edcbridge import vocab
from edcbridge.mapping.nodes import Frozen
from edcbridge.validation.annex1 import _claims, _get, filled
from edcbridge.validation.document import as_list
from edcbridge.validation.findings import Finding, Severity

UK_CREDITS_PER_ECTS = Decimal(2)  # 1 ECTS = 2 UK (CATS) credits: 60 UK credits = 30 ECTS


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    source: str
    ects_min: Decimal | None = None
    ects_max: Decimal | None = None
    ects_step: Decimal | None = None
    eqf_min: int | None = None
    eqf_max: int | None = None
    # the framework's own levels, when it counts in UK levels (FHEQ / RQF / CQFW numbering)
    uk_level_min: int | None = None
    uk_level_max: int | None = None
    max_duration_months: int | None = None
    credit_currency_years: int | None = None
    annex1_mandatory: bool = False
    assessed: bool = False  # the framework's micro-credentials are assessed: one without fails
    levelled: bool = False  # they are at a level of a qualifications framework, any level: one without fails
    uk_credits: bool = False  # the framework counts in UK credits: messages give both units
    # (rule, the document's words): rule is "ects", "eqf", "level", "duration", "credit-currency"
    # or "assessment"
    rules: tuple[tuple[str, str], ...] = ()
    # the findings (codes) whose rule the framework words as a recommendation ("should"), not a
    # requirement ("must", "are"): warnings
    norms: tuple[str, ...] = ()

    def rule(self, key: str) -> str:
        """The document's words for one rule, for a finding's message."""
        return next((words for name, words in self.rules if name == key), self.source)


_IMPERIAL = ("Imperial College London Micro-credential Framework (Sept. 2025), section "
             "'3. Structure, Credit, Level & Duration'")
_BLOOM = ("BLOOM Hub, 'A micro-credential programme: the concept', section 'Bottom-up "
          "initiatives'")
_MICSIG = ("MIC.SIG 'Micro-credentials — the essential information and FAQs' (QAA Cymru), "
           "'Are micro-credentials limited to a certain level or size?'")
_QAA_PLANNING = "QAA 'Micro-credential Planning Framework: Technical summary document' (2023), abstract"

PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("eu-council", "EU Council Recommendation on micro-credentials (2022)",
            "2022/C 243/02 Annex I (no size or level limits)", annex1_mandatory=True),
    Profile("imperial", "Imperial College London micro-credential framework (2025)",
            "2.5-15 ECTS in multiples of 2.5; levels 4-7 (FHEQ; EQF 5-7); up to 6 months; "
            "credit currency normally 5 years; assessed",
            ects_min=Decimal("2.5"), ects_max=Decimal("15"), ects_step=Decimal("2.5"),
            eqf_min=5, eqf_max=7, uk_level_min=4, uk_level_max=7, max_duration_months=6,
            credit_currency_years=5, assessed=True,
            rules=(
                ("ects", f"{_IMPERIAL}: 'Credit value: 2.5 to 15 ECTS in multiples of 2.5 ECTS'"),
                ("eqf", f"{_IMPERIAL}: 'Level: Level 4-7 depending on audience' (levels of the "
                        "FHEQ, which section 1 names; as the UK references them to the EQF, levels 4 "
                        "and 5 are EQF 5, 6 is EQF 6, 7 is EQF 7)"),
                ("duration", f"{_IMPERIAL}: 'Duration: up to 6 months depending on credit value and "
                             "mode of delivery'"),
                ("credit-currency", f"{_IMPERIAL}, 'Validity': 'For the purpose of stacking or "
                                    "transferring to a formal Imperial qualification, credit normally "
                                    "has a currency of 5 years'"),
                ("assessment", f"{_IMPERIAL}: 'Assessment: Summative assessment will be proportionate "
                               "to the volume of credit'; section '1. Definition & Purpose': "
                               "micro-credentials are 'records of credit awarded for self-contained packages "
                               "of learning that are rigorously assessed'"),
            )),
    Profile("cmf", "Common Microcredential Framework (CMF)", "4-6 ECTS, EQF 5-8",
            ects_min=Decimal("4"), ects_max=Decimal("6"), eqf_min=5, eqf_max=8,
            rules=(
                ("ects", f"{_BLOOM}: CMF micro-credentials 'have a size of 4 to 6 ECTS'"),
                ("eqf", f"{_BLOOM}: CMF micro-credentials 'are linked to an EQF level of 5, 6, 7 or 8'"),
            )),
    Profile("short-learning-programme", "Short learning programme (SLP)", "5-30 ECTS, EQF 5-8",
            ects_min=Decimal("5"), ects_max=Decimal("30"), eqf_min=5, eqf_max=8,
            rules=(
                ("ects", f"{_BLOOM}: short learning programmes have 'a total learning volume of 5 to "
                         "30 ECTS'"),
                ("eqf", f"{_BLOOM}: short learning programmes are 'at EQF levels 5,6,7 and 8'"),
            )),
    Profile("uk-qaa", "UK micro-credentials (QAA / MIC.SIG)",
            "credit-rated at a level (any level) and assessed, no more than 60 UK credits = 30 ECTS "
            "recommended "
            "('should'), no lower limit",
            ects_max=Decimal("30"), uk_credits=True, assessed=True, levelled=True, norms=("ects-range",),
            rules=(
                ("ects", f"{_MICSIG}: 'micro-credentials must be credit rated' (\"Is there a "
                         "globally accepted definition?\"); 'while there are no upper or lower limits on "
                         "size, a "
                         "micro-credential should not be a qualification in its own right [...]. "
                         "Therefore, micro-credentials should be no more than 60 credits' (UK credits: "
                         "60 UK credits = 30 ECTS)"),
                ("level", f"{_MICSIG}: 'Micro-credentials can be at any level'; {_QAA_PLANNING}: 'The "
                          "QAA (2022) outline that micro-credentials are credit-bearing against a "
                          "recognised level of the national qualifications frameworks'"),
                ("assessment", f"{_MICSIG}; 'What are micro-credentials?': 'To achieve a "
                               "micro-credential, learners are assessed to demonstrate they have achieved "
                               "the learning outcomes'"),
            )),
)}


@dataclass(frozen=True, slots=True)
class Facts:
    """What a policy looks at, from a specification or from a credential.

    ``unreadable`` names, per rule ("ects", "eqf", "eqf-twice", "uk-level", "duration"), a value
    the credential states that cannot be judged, and why; ``stated`` says how credits were written
    when they were not ECTS ("10 UK credits"); ``achievements`` holds the facts of each learning
    achievement of a credential with several, with where each is.
    """

    ects: Decimal | None
    eqf: int | None
    duration_months: int | None = None
    credit_currency_years: int | None = None
    uk_level: int | None = None
    duration: str | None = None  # a maximum duration in other units than years and months
    stated: str | None = None
    other_credits: tuple[str, ...] = ()  # credits in other frameworks ("3 in <its label or IRI>")
    unreadable: tuple[tuple[str, str], ...] = ()
    achievements: tuple[tuple[str, Facts], ...] = ()
    assessed: bool | None = None  # an assessment is stated; None: not known
    nqf: bool = False  # a level of a national framework is stated (nqfLevel), FHEQ/RQF or any other
    attendance: str | None = None  # why every assessment stated is of attendance only
    uk_other: UkLevel | None = None  # a UK level outside the FHEQ/RQF numbering: an entry or SCQF level

    def problem(self, rule: str) -> str | None:
        return next((why for name, why in self.unreadable if name == rule), None)


ECTS_IRI = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
_EQF = re.compile(r"http://data\.europa\.eu/snb/eqf/([1-8])")
# Years and months only: weeks and days have no exact length in months.
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?")
_ISO_DURATION = re.compile(
    r"P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?")


def duration_months(text: str) -> int | None:
    """Months in an ISO 8601 duration of years and/or months (``P6M``, ``P1Y``, ``P1Y6M``)."""
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    years, months = (int(group or 0) for group in match.groups())
    return years * 12 + months


_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February at its longest


def longest_days(months: int) -> int:
    """The most days any ``months`` consecutive calendar months can hold (6 months: 184)."""
    years, rest = divmod(months, 12)
    window = max(sum(_MONTH_DAYS[(start + i) % 12] for i in range(rest)) for start in range(12))
    return years * 366 + window


def parse_duration(text: str) -> tuple[Decimal, Decimal] | None:
    """(months, days) of an ISO 8601 duration: years and months count as months; weeks, days,
    hours, minutes and seconds as days. None when the text is not such a duration."""
    match = _ISO_DURATION.fullmatch(text.strip())
    if match is None:
        return None
    y, m, w, d, h, mi, s = (Decimal(g.replace(",", ".")) if g else Decimal(0) for g in match.groups())
    return y * 12 + m, w * 7 + d + h / 24 + mi / 1440 + s / 86400


def longer_than(duration: str, months: int) -> bool | None:
    """Whether an ISO 8601 duration is surely longer than ``months`` calendar months (a part in
    weeks, days or hours counts by the longest months it could span); None if unreadable."""
    parsed = parse_duration(duration)
    if parsed is None:
        return None
    whole_months, days = parsed
    if whole_months > months:
        return True
    if whole_months != whole_months.to_integral_value():
        return whole_months + days / 31 > months  # a fraction of a month: at most 31 days
    return days > longest_days(months - int(whole_months))


# --- assessment -------------------------------------------------------------------------

ATTENDANCE_IRI = "http://data.europa.eu/snb/assessment/7331eb4762"  # assessment type 'level of attendance'
_ATTENDANCE = frozenset({"attendance", "attending", "attended", "participation", "participating",
                         "participated", "presence"})
# words that say no more than how much, or at what, a learner attended
_ATTENDING = frozenset({"full", "minimum", "min", "least", "per", "cent", "required", "compulsory",
                        "mandatory", "satisfactory", "sufficient", "regular", "active", "record", "register",
                        "certificate", "of", "at", "in", "and", "the", "a", "all", "every", "each",
                        "session", "sessions", "class", "classes", "lecture", "lectures", "seminar",
                        "seminars", "workshop", "workshops", "meeting", "meetings", "activities",
                        "course", "programme", "module", "live", "online", "onsite", "percent",
                        "only", "based", "on"})


def of_attendance(types: list[str], titles: list[str]) -> str | None:
    """Why an assessment is of attendance only: its type is 'level of attendance', or it has no
    type and a title naming attendance or participation and nothing else ('Attendance at all
    sessions'); None when it is, or may be, an assessment of the learning outcomes."""
    if ATTENDANCE_IRI in types:
        return "its type is 'level of attendance'"
    if types:
        return None
    for title in titles:
        words = set(re.findall(r"[^\W\d_]+", title.casefold()))
        if words & _ATTENDANCE and words <= _ATTENDANCE | _ATTENDING:
            return f"its title {title.strip()!r} names attendance alone"
    return None


def _texts(values: list[Any]) -> list[str]:
    return [text for value in values
            for text in (value.values() if isinstance(value, dict) else [value])
            if isinstance(text, str) and text.strip()]


def _attendance(assessments: list[Any]) -> str | None:
    """Why every learning assessment (provenBy) stated is of attendance only, else None."""
    why = [_assessment_attendance(a) if isinstance(a, dict) else None for a in assessments]
    return why[0] if why and all(why) else None


def _assessment_attendance(assessment: dict[str, Any]) -> str | None:
    """:func:`of_attendance` of one learning assessment. Its titles are read only when it has
    no type: with a type, of_attendance looks at the type alone."""
    types = [t.get("id", "") if isinstance(t, dict) else str(t)
             for t in _get(assessment, "specifiedBy", "dcType") + _get(assessment, "dcType")]
    if types:
        return of_attendance(types, [])
    return of_attendance(types, _texts(_get(assessment, "title") + _get(assessment, "specifiedBy", "title")))


# --- credits ----------------------------------------------------------------------------

_NUMBER = r"\d+(?:[.,]\d{1,2})?|\d*\.\d+"
_UNITS = r"ECTS(?:[ -]credits?)?|(?:UK |CATS )?credits?"
_CREDITS = re.compile(rf"\s*([-+]?(?:{_NUMBER}))\s*({_UNITS})?\s*\.?\s*", re.I)
_RANGE = re.compile(rf"\s*({_NUMBER})\s*(?:-|–|—|to|/)\s*({_NUMBER}).*", re.I)
# the labels of UK credit schemes (10 notional hours a credit, 2 to the ECTS credit)
_UK_SCHEME = re.compile(r"\b(UK|CATS|SCQF|CQFW)\b|credit accumulation and transfer", re.I)


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _show(value: Decimal) -> str:
    """A number as people write it: 2.5, 15, never 1.5E+1 or 2.50."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def read_credits(point: Any, unit: str) -> tuple[Decimal | None, str | None]:
    """(credits, None) from a credit point written as a number or as text in ``unit`` ("ECTS"
    or "UK credits"); (None, why not) for a range, a word, another unit, or nothing above 0."""
    readable = isinstance(point, str | int | float | Decimal) and not isinstance(point, bool)
    text = str(point).strip() if readable else ""
    if not text:
        return None, f"the credit point {point!r} is not a number of {unit}"
    if _RANGE.fullmatch(text):
        return None, (f"the credit point {text!r} is a range, not the {unit} of this micro-credential: "
                      "write one number")
    match = _CREDITS.fullmatch(text)
    if match is None:
        return None, f"the credit point {text!r} is not a number of {unit}"
    written = (match.group(2) or "").upper()
    if written.startswith("ECTS") if unit == "UK credits" else written.startswith(("UK", "CATS")):
        return None, f"the credit point {text!r} names another unit than its framework's ({unit})"
    value = _number(match.group(1))
    if value <= 0:
        return None, f"the credit point {text!r} is no credit: a micro-credential is credit-rated above 0"
    return value, None


def _labels(node: Any) -> list[str]:
    labels = node.get("prefLabel") if isinstance(node, dict) else None
    if isinstance(labels, dict):
        return [v for v in labels.values() if isinstance(v, str)]
    return [labels] if isinstance(labels, str) else []


def uk_credits_in_ects(credit: Any) -> Decimal | None:
    """The ECTS credits of a credit point in a UK credit scheme (its framework labelled UK, CATS,
    SCQF or CQFW: 2 UK credits to the ECTS credit); None for another framework or no number."""
    framework: Any = next(iter(_get(credit, "framework")), {}) if isinstance(credit, dict) else {}
    if not any(_UK_SCHEME.search(label) for label in _labels(framework)):
        return None
    value, _ = read_credits(credit.get("point"), "UK credits")
    return value / UK_CREDITS_PER_ECTS if value is not None else None


def _credits(spec: Any) -> tuple[Decimal | None, str | None, tuple[str, ...], str | None]:
    """(ECTS, how they were written if not in ECTS, credits in other frameworks, problem)."""
    ects: list[tuple[Decimal, str | None]] = []
    other: list[str] = []
    problems: list[str] = []
    for credit in _get(spec, "creditPoint"):
        if not isinstance(credit, dict):
            continue
        framework: Any = next(iter(_get(credit, "framework")), {})
        iri = framework.get("id", "") if isinstance(framework, dict) else str(framework)
        labels = _labels(framework)
        if iri == ECTS_IRI:
            value, why = read_credits(credit.get("point"), "ECTS")
            if why:
                problems.append(why)
            elif value is not None:
                ects.append((value, None))
        elif any(_UK_SCHEME.search(label) for label in labels):
            value, why = read_credits(credit.get("point"), "UK credits")
            if why:
                problems.append(why)
            elif value is not None:
                ects.append((value / UK_CREDITS_PER_ECTS, f"{_show(value)} UK credits"))
        else:
            name = labels[0] if labels else iri or "a framework without a name"
            other.append(f"{credit.get('point')} in {name}")
    values = {value for value, _ in ects}
    if len(values) > 1:
        shown = " and ".join(f"{_show(v)} ECTS" for v in sorted(values))
        return None, None, tuple(other), f"the credits are stated twice, differently: {shown}"
    if ects:
        return ects[0][0], ects[0][1], tuple(other), None
    return None, None, tuple(other), problems[0] if problems else None


# The EQF level each UK framework's level is referenced to, as the UK references them: "Referencing
# the Qualifications Frameworks of England and Northern Ireland to the European Qualifications
# Framework" (Ofqual and CCEA, October 2019), Annex 2, for the RQF and the FHEQ (CQFW, Wales, shares
# the RQF's levels); "Referencing the Scottish Credit and Qualifications Framework (SCQF) to the EQF"
# (SCQF Partnership, 2019) for the SCQF; both summed up in "Qualifications can cross boundaries"
# (QAA and the UK's qualifications authorities). Entry Levels 1 and 2 and SCQF levels 1 and 2 lie
# below EQF 1: they are referenced to no EQF level.
UK_LEVEL_EQF = {1: 2, 2: 3, 3: 4, 4: 5, 5: 5, 6: 6, 7: 7, 8: 8}
ENTRY_LEVEL_EQF = {3: 1}
SCQF_LEVEL_EQF = {3: 1, 4: 2, 5: 3, 6: 4, 7: 5, 8: 5, 9: 6, 10: 6, 11: 7, 12: 8}
# FHEQ, RQF and CQFW share the numbering of levels (FHEQ levels 4-8); SCQF does not.
_UK_LEVEL = re.compile(r"\b(?:FHEQ|RQF|CQFW|QCF)\b\D*?([1-8])\b", re.I)
_ENTRY = re.compile(r"\b(?:RQF|CQFW|QCF)\b.*?\bEntry\b\D*?([1-3])(?:\s*(?:-|–|to)\s*([1-3]))?", re.I)
_SCQF = re.compile(r"\bSCQF\b\D*?(1[0-2]|[1-9])\b", re.I)


@dataclass(frozen=True, slots=True)
class UkLevel:
    """A level of a UK framework as its label names it: a numbered FHEQ/RQF/CQFW level, an
    RQF/CQFW entry level (below level 1; ``low``-``high`` for a span of them, Entry 1-3), or an
    SCQF level (Scotland's own numbering, 1-12)."""

    scale: str  # "FHEQ/RQF", "entry" or "SCQF"
    low: int
    high: int

    @property
    def eqf(self) -> int | None:
        """The EQF level it is referenced to; None below EQF 1, or for a span of entry levels
        that are not all at one EQF level."""
        table = {"FHEQ/RQF": UK_LEVEL_EQF, "entry": ENTRY_LEVEL_EQF, "SCQF": SCQF_LEVEL_EQF}[self.scale]
        levels = {table.get(n) for n in range(self.low, self.high + 1)}
        return levels.pop() if len(levels) == 1 else None

    def order(self) -> tuple[int, int, int]:
        """Entry levels first (they are below level 1), then numbered levels, then SCQF's."""
        return ("entry", "FHEQ/RQF", "SCQF").index(self.scale), self.low, self.high

    def named(self, where: str = "") -> str:
        """'Entry Level 3 (RQF/CQFW)', 'SCQF level 7', 'level 4'; ``where`` is said beside it."""
        if self.scale == "entry":
            span = (f"Entry Level {self.low}" if self.low == self.high
                    else f"Entry Levels {self.low}-{self.high}")
            return f"{span} (RQF/CQFW{', ' + where if where else ''})"
        name = f"SCQF level {self.low}" if self.scale == "SCQF" else f"level {self.low}"
        return f"{name} ({where})" if where else name

    def __str__(self) -> str:
        return self.named()


def read_uk_level(label: str) -> UkLevel | None:
    """The UK level a national-framework label names ('RQF Level 4', 'RQF Entry Level 3',
    'CQFW Entry 1-3', 'SCQF Level 7'), else None."""
    entry = _ENTRY.search(label)
    if entry:
        low = int(entry.group(1))
        return UkLevel("entry", low, max(low, int(entry.group(2) or low)))
    scottish = _SCQF.search(label)
    if scottish:
        return UkLevel("SCQF", int(scottish.group(1)), int(scottish.group(1)))
    match = _UK_LEVEL.search(label)
    return UkLevel("FHEQ/RQF", int(match.group(1)), int(match.group(1))) if match else None


def split_uk_level(level: UkLevel | None) -> tuple[int | None, UkLevel | None]:
    """(the numbered FHEQ/RQF/CQFW level, the entry or SCQF level): :class:`Facts` holds them apart."""
    if level is None:
        return None, None
    return (level.low, None) if level.scale == "FHEQ/RQF" else (None, level)


def uk_level(label: str) -> int | None:
    """The numbered FHEQ/RQF/CQFW level a national-framework label names ('RQF Level 4': 4),
    else None (an entry level and an SCQF level are no such level: see :func:`read_uk_level`)."""
    level = read_uk_level(label)
    return level.low if level is not None and level.scale == "FHEQ/RQF" else None


def _level(spec: Any) -> tuple[int | None, UkLevel | None, list[tuple[str, str]]]:
    """(EQF level, UK level, problems) of a specification: each problem under its rule,
    "eqf" (an eqfLevel that is no EQF level), "eqf-twice" (two EQF levels) or "uk-level"."""
    levels: set[int] = set()
    problem = None
    for level in _get(spec, "eqfLevel"):
        raw = level.get("id", "") if isinstance(level, dict) else level
        iri = raw if isinstance(raw, str) else json.dumps(raw)[:80]  # an id that is no text is no level
        match = _EQF.fullmatch(iri)
        if match:
            levels.add(int(match.group(1)))
        else:
            problem = f"the eqfLevel {iri!r} is not an EQF level (http://data.europa.eu/snb/eqf/1 to /8)"
    uks = {found for level in _get(spec, "nqfLevel") for label in _labels(level)
           if (found := read_uk_level(label)) is not None}
    uk = next(iter(uks)) if len(uks) == 1 else None
    problems = []
    if len(uks) > 1:  # neither is the level: the one read first would hide the other
        shown = " and ".join(str(level) for level in sorted(uks, key=UkLevel.order))
        scale = "FHEQ/RQF" if all(level.scale == "FHEQ/RQF" for level in uks) else "UK"
        problems.append(("uk-level", f"the {scale} level (nqfLevel) is stated twice, differently: {shown}"))
    if len(levels) > 1:  # neither is the level: the one read last would hide the other
        shown = " and ".join(f"EQF {n}" for n in sorted(levels))
        return None, uk, [("eqf-twice", f"the EQF level is stated twice, differently: {shown}"), *problems]
    if levels:
        return levels.pop(), uk, problems
    return None, uk, [("eqf", problem), *problems] if problem else problems


_SpecFacts = tuple[Decimal | None, int | None, UkLevel | None, int | None, str | None, str | None,
                   tuple[str, ...], tuple[tuple[str, str], ...], bool]

@dataclass(slots=True)
class _Shared:
    """A shared specification, its facts, and the facts of the credentials it specifies: one
    object for each (assessed, attendance) they can have beside the specification's facts."""

    spec: Frozen
    facts: _SpecFacts
    credentials: dict[tuple[bool, str | None], Facts]


# id(shared specification) -> its entry: a specification shared by every credential of a
# catalogue entry (see mapping.nodes.Frozen) is read once. The entry holds the node, so its id
# is not reused while the entry stands.
_SHARED: dict[int, _Shared] = {}
# id(facts of a shared specification's credentials) -> (the facts, id(profile) -> (the profile,
# its findings)): each profile judges the facts once. The entry holds the facts and the profile,
# so their ids are not reused while it stands.
_CHECKED: dict[int, tuple[Facts, dict[int, tuple[Profile, tuple[Finding, ...]]]]] = {}


def _shared(spec: Frozen) -> _Shared:
    hit = _SHARED.get(id(spec))
    if hit is None or hit.spec is not spec:
        if len(_SHARED) > 1024:
            _SHARED.clear()
        hit = _SHARED[id(spec)] = _Shared(spec, _specification_facts(spec), {})
    return hit


def _facts_of(spec: Any, claim: Any = None) -> Facts:
    assessments = _get(claim, "provenBy") + _get(spec, "provenBy")  # the learning assessment
    assessed, attendance = bool(assessments), _attendance(assessments)
    if not isinstance(spec, Frozen):
        return _as_facts(_specification_facts(spec), assessed, attendance)
    shared = _shared(spec)
    facts = shared.credentials.get((assessed, attendance))
    if facts is None:  # an attendance comes from a title: a few per specification, or no end
        if len(shared.credentials) > 64:
            shared.credentials.clear()
        facts = _as_facts(shared.facts, assessed, attendance)
        shared.credentials[assessed, attendance] = facts
        if len(_CHECKED) > 4096:
            _CHECKED.clear()
        _CHECKED[id(facts)] = (facts, {})
    return facts


def _as_facts(spec_facts: _SpecFacts, assessed: bool, attendance: str | None) -> Facts:
    """A credential's facts: its specification's, and whether and how it is assessed."""
    ects, eqf, uk, months, duration, stated, other, unreadable, nqf = spec_facts
    numbered, uk_other = split_uk_level(uk)
    return Facts(ects, eqf, months, None, numbered, duration, stated, other, unreadable,
                 assessed=assessed, attendance=attendance, nqf=nqf, uk_other=uk_other)


def check_document(doc: dict[str, Any], profiles: list[Profile]) -> list[tuple[Finding, ...]]:
    """:func:`check_policy` of the facts of ``doc`` for each profile. Credentials whose facts
    are those of a shared specification (and the same assessment) share the findings too."""
    facts = facts_from_document(doc)
    hit = _CHECKED.get(id(facts))
    if hit is None or hit[0] is not facts:
        return [tuple(check_policy(facts, profile)) for profile in profiles]
    found = []
    for profile in profiles:
        memo = hit[1].get(id(profile))
        if memo is None or memo[0] is not profile:
            memo = hit[1][id(profile)] = (profile, tuple(check_policy(facts, profile)))
        found.append(memo[1])
    return found


def _specification_facts(spec: Any) -> _SpecFacts:
    """The facts a specification states, but its assessments: (ECTS, EQF level, UK
    level, months, duration, how credits were written, other credits, unreadable values,
    whether a national framework's level is stated)."""
    ects, stated, other, credit_problem = _credits(spec)
    eqf, uk_level, level_problems = _level(spec)
    months: int | None = None
    duration: str | None = None
    unreadable: list[tuple[str, str]] = []
    texts = [str(value).strip() for value in _get(spec, "maximumDuration")]
    durations = {parse_duration(text) or text: text for text in texts}  # P6M and P0.5Y are one value
    if len(durations) > 1:  # neither is the maximum: the one read last would hide the other
        shown = " and ".join(repr(text) for text in sorted(durations.values()))
        unreadable.append(("duration", f"the maximumDuration is stated twice, differently: {shown}"))
    for text in durations.values() if len(durations) == 1 else ():
        months = duration_months(text)
        if months is None:
            duration = text
            if parse_duration(text) is None:
                unreadable.append(("duration", f"the maximumDuration {text!r} is not an ISO 8601 "
                                               "duration (P6M, P1Y, P26W)"))
    if credit_problem:
        unreadable.append(("ects", credit_problem))
    unreadable.extend(level_problems)
    nqf = any(filled(level) and not _framework(level) for level in _get(spec, "nqfLevel"))
    return ects, eqf, uk_level, months, duration, stated, other, tuple(unreadable), nqf


def _framework(level: Any) -> bool:
    """An nqfLevel that is a framework of the NQF list, not a level of it: it states no level."""
    iri = level.get("id") if isinstance(level, dict) else level
    return isinstance(iri, str) and vocab.nqf_framework(iri) is not None


def _title(claim: Any) -> str:
    for title in _get(claim, "title") + _get(claim, "specifiedBy", "title"):
        texts = [v for v in title.values() if isinstance(v, str) and v.strip()] \
            if isinstance(title, dict) else [title] if isinstance(title, str) else []
        if texts:
            return texts[0].strip()
    return ""


def facts_from_document(doc: dict[str, Any]) -> Facts:
    """The facts of the credential's learning achievement; with several, of each (in
    ``achievements``): what a credential claims beside them (an activity, an assessment) is
    not a micro-credential of its own."""
    claims = [c for c in _claims(doc) if isinstance(c, dict)]
    achievements = [c for c in claims if "LearningAchievement" in as_list(c.get("type"))] or claims
    specs: list[tuple[Any, Any]] = [(claim, next(iter(_get(claim, "specifiedBy")), {}))
                                    for claim in achievements]
    if len(specs) <= 1:
        return _facts_of(specs[0][1], specs[0][0]) if specs else Facts(None, None)
    subject = doc.get("credentialSubject")
    listed = subject.get("hasClaim") if isinstance(subject, dict) else None
    each = []
    for claim, spec in specs:
        index = next((i for i, c in enumerate(listed) if c is claim), None) \
            if isinstance(listed, list) else None
        where = "hasClaim.specifiedBy" if index is None else f"hasClaim[{index}].specifiedBy"
        title = _title(claim)
        each.append((f"{where} ('{title}')" if title else where, _facts_of(spec, claim)))
    return Facts(None, None, achievements=tuple(each))


# --- the checks ---------------------------------------------------------------------------

def _bounds(low: Any, high: Any, unit: str) -> str:
    """A range in words, either end possibly open: '4-6 ECTS', 'at most 30 ECTS'."""
    if low is None:
        return f"at most {high}{unit}"
    if high is None:
        return f"at least {low}{unit}"
    return f"{low}-{high}{unit}"


def _beyond(low: Any, high: Any, unit: str) -> str:
    """Where a value out of range lies, in words: 'more than 30 ECTS', 'outside 4-6 ECTS'."""
    if low is None:
        return f"more than {high}{unit}"
    if high is None:
        return f"less than {low}{unit}"
    return f"outside {low}-{high}{unit}"


def _outside(value: Any, low: Any, high: Any) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


class Fail(Protocol):
    """Say that ``rule`` is broken: an error unless the framework words it as a norm."""

    def __call__(self, code: str, rule: str, message: str, fix: str,
                 severity: Severity = "error") -> None: ...


def _uk(value: Decimal) -> str:
    return _show(value * UK_CREDITS_PER_ECTS)


def _ects_words(low: Decimal | None, high: Decimal | None, profile: Profile, beyond: bool = False) -> str:
    """The profile's credit range in words, 'at most 30 ECTS (60 UK credits)' for a framework
    counting UK credits; with ``beyond``, where a value out of it lies ('more than 30 ECTS')."""
    words = _beyond if beyond else _bounds
    text = words(None if low is None else _show(low), None if high is None else _show(high), " ECTS")
    if profile.uk_credits:
        ends = [_uk(end) for end in (low, high) if end is not None]
        text += f" ({'-'.join(ends)} UK credits)"
    return text


def _check_ects(facts: Facts, profile: Profile, fail: Fail) -> None:
    low, high, step = profile.ects_min, profile.ects_max, profile.ects_step
    if low is None and high is None:
        return
    wanted = _ects_words(low, high, profile)
    if facts.ects is None:
        problem = facts.problem("ects")
        if problem:
            fail("ects-unreadable", "ects", problem,
                 f"write the credits as one number of ECTS (creditPoint point, e.g. 5 or 7.5), {wanted}")
            return
        found = f" (credits stated only as {'; '.join(facts.other_credits)})" if facts.other_credits else ""
        uk = "; 1 ECTS = 2 UK credits" if profile.uk_credits else ""
        fail("ects-missing", "ects", f"no ECTS credits stated{found}",
             f"state the credits in ECTS (creditPoint with framework {ECTS_IRI}; credits in the "
             f"catalogue), {wanted}{uk}")
        return
    if facts.ects <= 0:  # a catalogue may write 0: no credit, where every profile asks for some
        fail("ects-missing", "ects", f"{_show(facts.ects)} ECTS is no credit",
             f"state the credits the micro-credential carries, {wanted}")
        return
    shown = f"{_show(facts.ects)} ECTS"
    if facts.stated:
        shown = f"{facts.stated} ({shown})"
    elif profile.uk_credits:
        shown += f" ({_uk(facts.ects)} UK credits)"
    if _outside(facts.ects, low, high):
        beyond = f"{shown} is {_ects_words(low, high, profile, beyond=True)}"
        if "ects-range" in profile.norms:
            fail("ects-range", "ects", f"{beyond}, which the framework recommends ('should') rather "
                 "than requires", f"size the micro-credential to {wanted}, or record why it departs "
                 "from the framework's recommendation")
        else:
            fail("ects-range", "ects", beyond,
                 f"size the micro-credential to {wanted}, or choose another policy")
    if step and facts.ects % step:
        fail("ects-step", "ects", f"{shown} is not a multiple of {_show(step)} ECTS",
             f"use a multiple of {_show(step)} ECTS ({_multiples(facts.ects, step, low, high)})")


def _multiples(value: Decimal, step: Decimal, low: Decimal | None, high: Decimal | None) -> str:
    """The nearest allowed values around ``value``: '5 or 7.5 ECTS'."""
    below, above = (value // step) * step, (value // step + 1) * step
    near = [v for v in (below, above) if not _outside(v, low, high) and v > 0]
    return " or ".join(_show(v) for v in near) + " ECTS" if near else f"{_bounds(low, high, ' ECTS')}"


def _fail_uk_level(facts: Facts, profile: Profile, fail: Fail) -> None:
    """The credential's FHEQ/RQF level, when it is outside the framework's own levels or stated
    twice, differently."""
    low, high = profile.eqf_min, profile.eqf_max
    uk_low, uk_high = profile.uk_level_min, profile.uk_level_max
    problem = facts.problem("uk-level")
    if problem and (uk_low is not None or uk_high is not None):
        fail("eqf-unreadable", "eqf", problem,
             f"state one FHEQ/RQF level (nqfLevel), levels {_bounds(uk_low, uk_high, '')} "
             f"(EQF {_bounds(low, high, '')})")
    elif facts.uk_other is not None and (uk_low is not None or uk_high is not None):
        _fail_other_level(facts.uk_other, profile, fail)
    elif facts.uk_level is not None and _outside(facts.uk_level, uk_low, uk_high):
        fail("eqf-range", "eqf", f"level {facts.uk_level} (FHEQ/RQF, the credential's nqfLevel) is "
             f"{_beyond(uk_low, uk_high, '')}",
             f"use levels {_bounds(uk_low, uk_high, '')} (EQF {_bounds(low, high, '')}), or choose "
             "another policy")


def _fail_other_level(level: UkLevel, profile: Profile, fail: Fail) -> None:
    """An entry level, below level 1 of the RQF/CQFW, is below the framework's own levels; an
    SCQF level, in Scotland's own numbering, is judged by the EQF level it is referenced to."""
    low, high = profile.eqf_min, profile.eqf_max
    uk_low, uk_high = profile.uk_level_min, profile.uk_level_max
    fix = (f"use levels {_bounds(uk_low, uk_high, '')} (EQF {_bounds(low, high, '')}), or choose "
           "another policy")
    if level.scale == "entry" and uk_low is not None:
        fail("eqf-range", "eqf", f"{level.named(NQF_WHERE)} is below level {uk_low}", fix)
    elif level.scale == "SCQF" and (level.eqf is None or _outside(level.eqf, low, high)):
        referenced = f"EQF {level.eqf}" if level.eqf is not None else "no EQF level"
        fail("eqf-range", "eqf", f"{level.named(NQF_WHERE)}, referenced to {referenced}, is outside "
             f"EQF {_bounds(low, high, '')}", fix)


NQF_WHERE = "the credential's nqfLevel"


def _check_eqf(facts: Facts, profile: Profile, fail: Fail) -> None:
    low, high = profile.eqf_min, profile.eqf_max
    if low is None and high is None:
        return
    uk_low, uk_high = profile.uk_level_min, profile.uk_level_max
    stated = (facts.uk_level is not None or facts.uk_other is not None
              or facts.problem("uk-level") is not None)
    twice = facts.problem("eqf-twice")
    if facts.eqf is None and stated and (uk_low is not None or uk_high is not None):
        if twice:  # the record contradicts itself, whatever the framework's own level says
            beside = f" level {facts.uk_level}" if facts.uk_level is not None else ""
            fail("eqf-unreadable", "eqf", f"{twice}, beside FHEQ/RQF{beside or ' levels'} (nqfLevel)",
                 f"state one EQF level (eqfLevel): the one FHEQ/RQF{beside or ' level'} is referenced to, "
                 f"within EQF {_bounds(low, high, '')}")
        _fail_uk_level(facts, profile, fail)  # the framework's own levels, as stated
        return
    if facts.eqf is None:
        problem = twice or facts.problem("eqf")
        fail("eqf-unreadable" if problem else "eqf-missing", "eqf", problem or "no EQF level stated",
             f"state the EQF level (eqfLevel http://data.europa.eu/snb/eqf/N; eqf in the catalogue), "
             f"EQF {_bounds(low, high, '')}")
    elif _outside(facts.eqf, low, high):
        fail("eqf-range", "eqf", f"EQF level {facts.eqf} is {_beyond(low, high, '')}",
             f"use EQF {_bounds(low, high, '')}, or choose another policy")
    if facts.eqf is not None:  # the framework's own level, stated beside the EQF level, is judged too
        _fail_uk_level(facts, profile, fail)
        if (uk_low is not None or uk_high is not None) and not _outside(facts.eqf, low, high):
            _fail_mismatch(facts, facts.eqf, profile, fail)


def _fail_mismatch(facts: Facts, eqf: int, profile: Profile, fail: Fail) -> None:
    """An EQF level beside a UK level referenced to another EQF level, both within the
    framework's levels: the record says two levels, and which is right is for its author to say."""
    uk, other = facts.uk_level, facts.uk_other
    if uk is not None and not _outside(uk, profile.uk_level_min, profile.uk_level_max):
        referenced, name = UK_LEVEL_EQF.get(uk), f"FHEQ/RQF level {uk}"
        alternative = f"the FHEQ/RQF level (nqfLevel; nqf in the catalogue) of EQF {eqf}"
    elif (other is not None and other.scale == "SCQF" and other.eqf is not None
          and not _outside(other.eqf, profile.eqf_min, profile.eqf_max)):
        referenced, name = other.eqf, other.named()
        agreeing = " or ".join(str(n) for n, e in sorted(SCQF_LEVEL_EQF.items()) if e == eqf)
        alternative = f"SCQF level {agreeing} (nqfLevel; nqf in the catalogue), referenced to EQF {eqf}"
    else:
        return
    if referenced is None or referenced == eqf:
        return
    fail("level-mismatch", "eqf",
         f"EQF level {eqf} (eqfLevel) and {name} (nqfLevel) are two levels: {name} is referenced to "
         f"EQF {referenced}",
         f"state the level the micro-credential is at: EQF {referenced} (eqfLevel; eqf in the "
         f"catalogue) for {name}, or {alternative}", "warning")


def _check_level(facts: Facts, profile: Profile, fail: Fail) -> None:
    """A framework whose micro-credentials are at a level, any level: one is stated (an EQF
    level, or a national framework's: FHEQ, RQF, CQFW, SCQF...)."""
    if (not profile.levelled or facts.eqf is not None or facts.uk_level is not None
            or facts.uk_other is not None or facts.nqf):
        return
    fix = ("state the level: the national framework's (nqfLevel, e.g. FHEQ, RQF, CQFW or SCQF; nqf in "
           "the catalogue) or the EQF level (eqfLevel http://data.europa.eu/snb/eqf/N; eqf in the "
           "catalogue), any level")
    problem = facts.problem("eqf-twice") or facts.problem("eqf")
    if problem:
        fail("eqf-unreadable", "level", problem, fix)
    else:
        fail("level-missing", "level", "no level stated: its micro-credentials are credit-bearing at a "
             "level of a qualifications framework", fix)


def _check_time(facts: Facts, profile: Profile, fail: Fail) -> None:
    months, years = profile.max_duration_months, profile.credit_currency_years
    if months:
        if facts.duration_months is not None and facts.duration_months > months:
            fail("duration", "duration",
                 f"a maximum duration of {facts.duration_months} months is more than {months} months",
                 f"keep the maximum duration (maximumDuration; max_duration_months in the catalogue) "
                 f"within {months} months")
        elif facts.duration_months is None:
            problem = facts.problem("duration")
            if problem:
                fail("duration-unreadable", "duration", problem,
                     f"write the maximum duration in months (P{months}M), at most {months} months")
            elif facts.duration and longer_than(facts.duration, months):
                fail("duration", "duration",
                     f"a maximum duration of {facts.duration} is more than {months} months (longer than "
                     f"{longest_days(months)} days, the most any {months} calendar months hold)",
                     f"keep the maximum duration within {months} months (P{months}M)")
    if years and facts.credit_currency_years and facts.credit_currency_years > years:
        # the framework's norm ("normally"), not a limit: a longer currency is worth a warning
        fail("credit-currency", "credit-currency",
             f"credit currency of {facts.credit_currency_years} years is more than the {years} years "
             "the framework normally allows",
             f"set credit_currency_years to at most {years}, the framework's norm, or record why this "
             "micro-credential departs from it", "warning")


def _check_assessment(facts: Facts, profile: Profile, fail: Fail) -> None:
    if profile.assessed and facts.assessed is False:
        fail("assessment-missing", "assessment", "no assessment stated: its micro-credentials are assessed",
             "state how learners are assessed (assessment in the catalogue; provenBy, the learning "
             "assessment, in the credential)")
    elif profile.assessed and facts.assessed and facts.attendance:
        fail("assessment-attendance", "assessment",
             f"the only assessment stated is of attendance ({facts.attendance}): attending is not "
             "being assessed on the learning outcomes, and its micro-credentials are assessed",
             "state how learners' achievement of the learning outcomes is assessed (assessment.type "
             "in the catalogue, e.g. written examination, project work or portfolio, and its title; "
             "provenBy.specifiedBy.dcType in the credential), or choose a policy that does not ask for "
             "an assessment")


def check_policy(facts: Facts, profile: Profile, where: str = "hasClaim.specifiedBy") -> list[Finding]:
    """Every rule of ``profile`` that ``facts`` break, each quoting the document's words; for a
    credential with several learning achievements, those of each, at its own place."""
    if facts.achievements:
        return [finding for place, each in facts.achievements
                for finding in check_policy(each, profile, place)]
    findings: list[Finding] = []

    def fail(code: str, rule: str, message: str, fix: str, severity: Severity = "error") -> None:
        if code in profile.norms:  # the framework's "should": worth a warning, not a refusal
            severity = "warning"
        findings.append(Finding(f"policy.{profile.name}.{code}", severity, where,
                                f"{profile.title}: {message}. Rule: {profile.rule(rule)}", fix))

    for check in (_check_ects, _check_eqf, _check_level, _check_time, _check_assessment):
        check(facts, profile, fail)
    return findings


def unknown_profiles(names: tuple[str, ...] | list[str]) -> list[str]:
    return [n for n in names if n not in PROFILES]
