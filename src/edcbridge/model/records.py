"""The internal model: organisations, credential specifications, learners and awards.

Every mapper reads these records and nothing else. Models are strict (no silent coercion
beyond the documented converters), frozen, and reject unknown fields so that a misspelt
column or key is reported rather than dropped.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from edcbridge.model.fields import (
    EQF,
    AccreditationType,
    AssessmentType,
    Country,
    CreditPoints,
    Credits,
    CredType,
    Date,
    DateTime,
    Did,
    Email,
    Hours,
    IscedF,
    Language,
    ModeOf,
    Months,
    NqfLevel,
    OpportunityType,
    Setting,
    SupervisionOf,
    Years,
)
from edcbridge.model.text import LangText
from edcbridge.output import compact_json
from edcbridge.vocab import CredentialType, CreditSystem

Code = str


class Record(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", str_strip_whitespace=True)


class Organisation(Record):
    """An awarding body, issuer or quality-assurance agency."""

    key: Code = Field(description="Local key used to refer to this organisation in the catalogue")
    legal_name: LangText
    alt_label: LangText | None = None
    eidas_identifier: str | None = Field(
        None, description="eIDAS legal identifier as in the seal certificate, e.g. VATBE-0123456789"
    )
    vat_identifier: str | None = None
    registration: str | None = Field(None, description="National business register number")
    did: Did | None = Field(
        None, description="The organisation's DID, such as the did:ebsi of an issuer in the EBSI "
        "Trusted Issuers Registry: the issuer's id in the EBSI profile (EDC keeps its own id)"
    )
    eter_id: str | None = None
    deqar_id: str | None = None
    erasmus_code: str | None = None
    country: Country
    address: LangText | None = None
    homepage: HttpUrl | None = None
    email: Email | None = None
    logo: str | None = Field(
        None, description="Logo that Open Badges wallets show for the issuer: an https URL, or an image "
        "file (PNG, JPEG, GIF, WebP or SVG, at most 256 kB) named relative to the catalogue, which is "
        "embedded as a data: URI"
    )


class QualityAssurance(Record):
    """External quality assurance or accreditation covering a specification or provider."""

    key: Code
    title: LangText
    type: AccreditationType = Field(description="e.g. 'program quality assurance'")
    agency: Code = Field(description="Key of the accrediting / QA organisation")
    decision: LangText | None = None
    report_url: HttpUrl | None = None
    issued: Date | None = None
    expires: Date | None = None


class EscoSkill(Record):
    """An ESCO skill, written as its IRI alone or as ``{iri: ..., label: {en: ...}}``: wallets
    show the label (ESCO's preferred label), and a skill without one shows as a bare IRI."""

    iri: HttpUrl
    label: LangText | None = None

    @model_validator(mode="before")
    @classmethod
    def _iri_alone(cls, data: Any) -> Any:
        return {"iri": data} if isinstance(data, str) else data

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A skill without a label dumps as its IRI, as the catalogue writes it: digests of
        catalogues (and so what a re-run redoes) do not change with this model."""
        data = handler(self)
        return data["iri"] if self.label is None else data

    def __str__(self) -> str:
        return str(self.iri)


_ESCO_SKILL_SCHEMA = {
    "description": "An ESCO skill: its IRI, or its IRI and ESCO's label for wallets to show",
    "anyOf": [{"type": "string", "format": "uri"},
              {"type": "object", "required": ["iri"], "additionalProperties": False,
               "properties": {"iri": {"type": "string", "format": "uri"},
                              "label": {"anyOf": [{"type": "object", "minProperties": 1,
                                                   "propertyNames": {"pattern": "^[a-zA-Z]{2}$"},
                                                   "additionalProperties": {"type": "string"}},
                                                  {"type": "null"}]}}}],
}


class LearningOutcome(Record):
    title: LangText
    esco_skills: tuple[Annotated[EscoSkill, WithJsonSchema(_ESCO_SKILL_SCHEMA)], ...] = ()


class Assessment(Record):
    title: LangText
    type: AssessmentType | None = None
    mode: ModeOf | None = None
    grading_scheme: LangText | None = None
    supervision: SupervisionOf | None = None


class Specification(Record):
    """A course, micro-credential or qualification as published in the catalogue."""

    code: Code
    kind: Literal["micro-credential", "qualification", "course"] = "micro-credential"
    claim: Literal["achievement", "activity"] = Field(
        "achievement", description="What its credentials claim: a learning achievement, or a "
        "learning activity (a certificate of participation: attendance, a course without "
        "assessment, mobility)")
    title: LangText
    description: LangText | None = None
    credential_type: CredType = CredentialType.GENERIC
    learning_outcomes: tuple[LearningOutcome, ...] = ()
    learning_outcome_summary: LangText | None = None
    credits: CreditPoints | None = Field(None, description="Credit points in `credit_system`")
    credit_system: Credits = CreditSystem.ECTS
    hours: Hours | None = Field(None, description="Notional learning hours (volume of learning)")
    eqf: EQF | None = None
    nqf: NqfLevel | None = None
    isced_f: tuple[IscedF, ...] = ()
    languages: tuple[Language, ...] = ()
    opportunity_type: OpportunityType | None = None
    mode: ModeOf | None = None
    learning_setting: Setting | None = None
    assessment: Assessment | None = None
    quality_assurance: tuple[Code, ...] = ()
    prerequisites: LangText | None = None
    part_of: tuple[Code, ...] = ()
    has_part: tuple[Code, ...] = ()
    further_information: LangText | None = None
    homepage: HttpUrl | None = None
    max_duration_months: Months | None = None
    credit_currency_years: Years | None = Field(
        None, description="Years during which the credential counts towards stacking"
    )
    validity_years: Years | None = Field(None, description="Credential validity; none = no expiry")
    awarding_body: Code | None = Field(None, description="Organisation key; default: the issuer")

    @property
    def ects(self) -> Decimal | None:
        return self.credits if self.credit_system is CreditSystem.ECTS else None

    @property
    def is_activity(self) -> bool:
        """Its credentials claim a learning activity: a certificate of participation, which no
        achievement's output (Annex I, policies, stacking, EDC XML, Open Badges, LOQ) describes."""
        return self.claim == "activity"


class Learner(Record):
    id: Code = Field(description="Student number or other local identifier")
    given_name: LangText
    family_name: LangText
    full_name: LangText | None = None
    date_of_birth: Date | None = None
    email: Email | None = None
    national_id: str | None = None
    national_id_country: Country | None = Field(None, validate_default=True)

    @field_validator("national_id_country")
    @classmethod
    def _national_id_has_country(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("national_id"):
            raise ValueError("national_id needs the country that issued it; "
                             "fill in national_id_country, e.g. GR")
        return value


class Award(Record):
    """One credential to issue: a learner who achieved a specification on a date."""

    award_id: Code
    specification: Code
    learner: Learner
    awarding_date: Date
    issued: DateTime | None = Field(None, description="Default: awarding date, 00:00 UTC")
    grade: LangText | None = None
    language: Language | None = Field(None, description="Primary language of the credential")
    valid_until: Date | None = None
    issuer: Code | None = Field(None, description="Organisation key; default: the catalogue's")

    def issued_at(self) -> dt.datetime:
        if self.issued is not None:
            return self.issued.astimezone(dt.UTC)
        return dt.datetime.combine(self.awarding_date, dt.time(0, 0), tzinfo=dt.UTC)


class Catalogue(Record):
    """Everything an award refers to: organisations, QA, specifications, defaults."""

    catalogue_version: Literal[1] = 1
    primary_language: Language
    issuer: Code
    policies: tuple[str, ...] = ("eu-council",)
    organisations: tuple[Organisation, ...]
    quality_assurance: tuple[QualityAssurance, ...] = ()
    specifications: tuple[Specification, ...]

    @model_validator(mode="after")
    def _references_resolve(self, info: ValidationInfo) -> Catalogue:
        if info.context and info.context.get("defer_references"):
            return self  # the loader reports each problem at its own line
        problems = reference_problems(self)
        if problems:
            raise ValueError(". ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg, _ in problems))
        return self

    def organisation(self, key: str) -> Organisation:
        found = self._keys().organisations.get(key)
        return found if found is not None else next(o for o in self.organisations if o.key == key)

    def find_organisation(self, key: str) -> Organisation | None:
        """The organisation of ``key`` (the first, should two have it), None if none has it."""
        return self._keys().organisations.get(key)

    def specification(self, code: str) -> Specification | None:
        return self._keys().specifications.get(code)

    def is_activity(self, code: str) -> bool:
        """Whether the specification ``code`` is an activity's (an unknown code is not)."""
        spec = self.specification(code)
        return spec is not None and spec.is_activity

    def _keys(self) -> _Keys:
        """The organisations and specifications by key, made once per catalogue (a copy with
        other ones makes its own): an award's look-ups no longer scan the lists."""
        keys: _Keys | None = self.__dict__.get("_by_key")
        if keys is None or not keys.of(self):
            keys = self.__dict__["_by_key"] = _Keys(self)  # beside the fields: not dumped, not compared
        return keys

    def qa(self, key: str) -> QualityAssurance:
        return next(q for q in self.quality_assurance if q.key == key)


class _Keys:
    """See :meth:`Catalogue._keys`: the first of each key, as a scan of the list finds it."""

    __slots__ = ("organisations", "organisations_of", "specifications", "specifications_of")

    def __init__(self, catalogue: Catalogue) -> None:
        self.organisations_of = catalogue.organisations
        self.specifications_of = catalogue.specifications
        self.organisations = {o.key: o for o in reversed(catalogue.organisations)}
        self.specifications = {s.code: s for s in reversed(catalogue.specifications)}

    def of(self, catalogue: Catalogue) -> bool:
        return self.organisations_of is catalogue.organisations and \
            self.specifications_of is catalogue.specifications


Problem = tuple[tuple[str | int, ...], str, str]  # (where, what is wrong, fix)


def reference_problems(catalogue: Catalogue) -> list[Problem]:
    """Keys that refer to nothing, duplicates, an issuer that cannot seal, unknown policies."""
    from edcbridge.validation.policy import PROFILES  # policies are validation data

    orgs = [o.key for o in catalogue.organisations]
    qas = [q.key for q in catalogue.quality_assurance]
    specs = [s.code for s in catalogue.specifications]
    problems: list[Problem] = []

    def unknown(loc: tuple[str | int, ...], kind: str, key: str, known: list[str]) -> None:
        known = list(dict.fromkeys(known))  # a code given twice is suggested once
        close = difflib.get_close_matches(key, known, n=2, cutoff=0.6)
        fix = f"did you mean {' or '.join(map(repr, close))}?" if close else \
            f"use one of {', '.join(known) or '(none defined)'}"
        problems.append((loc, f"{kind} {key!r} is not defined", fix))

    for index, key in enumerate(orgs):
        if orgs.index(key) != index:
            problems.append((("organisations", index), f"organisation key {key!r} appears twice",
                             "give every organisation its own key"))
    for index, code in enumerate(specs):
        if specs.index(code) != index:
            problems.append((("specifications", index), f"specification code {code!r} appears twice",
                             "give every specification its own code"))
    for index, policy in enumerate(catalogue.policies):
        if policy not in PROFILES:
            unknown(("policies", index), "policy", policy, list(PROFILES))
    if catalogue.issuer not in orgs:
        unknown(("issuer",), "issuer", catalogue.issuer, orgs)
    elif not catalogue.organisation(catalogue.issuer).eidas_identifier:
        index = orgs.index(catalogue.issuer)
        problems.append((("organisations", index), f"the issuer {catalogue.issuer!r} has no "
                         "eidas_identifier, which every EDC issuer needs",
                         "add eidas_identifier as in the seal certificate, e.g. VATBE-0123456789"))
    for index, qa in enumerate(catalogue.quality_assurance):
        if qa.agency not in orgs:
            unknown(("quality_assurance", index, "agency"), "agency", qa.agency, orgs)
        if qa.issued and qa.expires and qa.expires < qa.issued:
            problems.append((("quality_assurance", index, "expires"),
                             f"expires ({qa.expires}) is before issued ({qa.issued})",
                             "check both dates against the QA report"))
    for index, spec in enumerate(catalogue.specifications):
        where: tuple[str | int, ...] = ("specifications", index)
        if spec.awarding_body and spec.awarding_body not in orgs:
            unknown((*where, "awarding_body"), "awarding_body", spec.awarding_body, orgs)
        for pos, key in enumerate(spec.quality_assurance):
            if key not in qas:
                unknown((*where, "quality_assurance", pos), "quality_assurance", key, qas)
        for field in ("part_of", "has_part"):
            for pos, code in enumerate(getattr(spec, field)):
                if code not in specs:
                    unknown((*where, field, pos), f"{field} specification", code, specs)
    return problems


M = TypeVar("M", bound=Record)


def parse(model: type[M], data: object, context: dict[str, Any] | None = None) -> M:
    """Validate plain data (from JSON, YAML, CSV cells) in pydantic's strict JSON mode.

    JSON mode is the one strict mode that accepts arrays for tuples and ISO strings for
    dates, which is what every input file gives us.
    """
    return model.model_validate_json(as_json(data), context=context)


# json.dumps(data, default=str, ensure_ascii=False), with the encoder made once rather than per row
_AS_JSON = json.JSONEncoder(default=str, ensure_ascii=False).encode


def as_json(data: object) -> str | bytes:
    """``data`` as JSON text: what ``json.dumps(data, default=str, ensure_ascii=False)`` writes,
    or, for a dict of texts and dicts of texts (a CSV row's award), the same JSON written by
    orjson (about four times faster). Anything else (numbers, whose notation differs, dates,
    which orjson would write otherwise than ``str``, Decimals, lists, a lone surrogate) is
    written by the standard encoder."""
    if isinstance(data, dict) and _texts_only(data):
        try:
            return compact_json(data)
        except TypeError:  # orjson's JSONEncodeError: a lone surrogate, a key that is no text
            pass
    return _AS_JSON(data)


def _texts_only(data: dict[Any, Any]) -> bool:
    """Whether every value in ``data``, and in the dicts it holds, is a text or such a dict."""
    for value in data.values():
        if not (isinstance(value, str) or (isinstance(value, dict) and _texts_only(value))):
            return False
    return True
