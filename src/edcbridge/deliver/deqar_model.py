"""Input model of a DEQAR submission batch: what the catalogue does not know.

A QA agency (or a registry office acting for one) describes its reports in a YAML file; the
catalogue supplies institutions (by organisation key: ``deqar_id`` / ``eter_id``) and
programmes (by specification code: name, ECTS, EQF, ISCED-F, ESCO learning outcomes)::

    agency: ACQUIN                  # acronym or numeric DEQAR id of the submitting agency
    activities:                     # the agency's ESG activities (connectapi/v1/activities)
      system: {id: "1", type: programme}
      joint: {group: "3", type: joint programme}
    reports:
      - local_identifier: EDCB-MC-0001          # the agency's own id: the idempotency key
        activities: [system]                    # keys above
        status: part of obligatory EQA system   # or "1"; voluntary / "2"
        decision: positive                      # or "1".."4"
        valid_from: 2016-03-01
        valid_to: 2022-03-01                    # optional
        quality_assurance: qaa-review           # optional catalogue key: fills dates and a link
        institutions: [uni, {eter_id: DE0392}]  # catalogue keys or explicit ids
        programmes:
          - specification: DS01                 # catalogue code; explicit fields below win
            degree_outcome: no full degree      # default: full degree only for qualifications
            assessment_certification: Assessment based certificate
        report_files:
          - {original_location: "https://agency.example/r.pdf", display_name: Report,
             report_language: [en]}
          - {path: reports/mc.pdf, report_language: [en]}   # embedded as base64
        report_links: [{link: "https://agency.example/mc", link_display_name: Record}]
    delete_reports: [EDCB-MC-0000]              # withdrawn: DEQAR is asked to delete them

Enumerated values are strings; a number is refused with the register's own message.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl, model_validator

from edcbridge.deliver import deqar_vocab as dv
from edcbridge.model.fields import Date


def _enum(table: dict[str, str], name: str) -> BeforeValidator:
    return BeforeValidator(lambda value: dv.code_of(table, value, name))


def _degree(value: Any) -> str:
    return dv.degree_outcome_code(value)


def _text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(dv.NOT_A_STRING.format(kind=dv.type_name(value)))
    return value


def _date(value: Any) -> Any:
    """Say why ``2025-13-01`` is not a date (the shared type only says it is not one)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a real date ({exc}); write an existing date as YYYY-MM-DD"
            ) from None
    return value


Status = Annotated[str, _enum(dv.STATUS, "status")]
Decision = Annotated[str, _enum(dv.DECISION, "decision")]
QfEhea = Annotated[str, _enum(dv.QF_EHEA_LEVEL, "qf_ehea_level")]
AssessmentCert = Annotated[str, _enum(dv.ASSESSMENT, "assessment_certification")]
DegreeOutcome = Annotated[str, BeforeValidator(_degree)]
Text = Annotated[str, BeforeValidator(_text)]
# DEQAR matches acronyms case-insensitively: one spelling, so that the payload's digest and the
# state file's endpoint name the agency the same way whatever case the batch writes it in
AgencyName = Annotated[str, BeforeValidator(_text), AfterValidator(str.upper)]
ReportDate = Annotated[Date, BeforeValidator(_date)]


class DeqarRecord(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", str_strip_whitespace=True)


class Activity(DeqarRecord):
    """One ESG activity of the agency, by DEQAR id or activity group, with its type."""

    id: Text | None = None
    group: Text | None = None
    type: Literal["institutional", "programme", "institutional/programme", "joint programme"]

    @model_validator(mode="after")
    def _one_selector(self) -> Activity:
        if (self.id is None) == (self.group is None):
            given = "both id and group" if self.id is not None else "neither id nor group"
            raise ValueError(f"has {given}; give exactly one: id (the register's activity id) or group")
        return self


class OrganisationRef(DeqarRecord):
    """An institution or platform known to DEQAR: by DEQAR id, ETER id or identifier+resource."""

    deqar_id: Text | None = None
    eter_id: Text | None = None
    identifier: Text | None = None
    resource: Text | None = None

    @model_validator(mode="after")
    def _has_id(self) -> OrganisationRef:
        if not (self.deqar_id or self.eter_id or self.identifier):
            raise ValueError(
                "has no deqar_id, eter_id or identifier; give one of them (identifier with resource)"
            )
        return self


class ProgrammeIdentifier(DeqarRecord):
    identifier: Text = Field(max_length=50)
    resource: Text | None = None


class AlternativeName(DeqarRecord):
    name_alternative: Text
    qualification_alternative: Text | None = None


class Programme(DeqarRecord):
    """A programme or micro-credential; ``specification`` fills the gaps from the catalogue."""

    specification: str | None = Field(None, description="Catalogue specification code")
    identifiers: tuple[ProgrammeIdentifier, ...] = ()
    name_primary: Text | None = Field(None, max_length=255)
    qualification_primary: Text | None = None
    alternative_names: tuple[AlternativeName, ...] = ()
    countries: tuple[str, ...] = ()
    nqf_level: Text | None = None
    qf_ehea_level: QfEhea | None = None
    degree_outcome: DegreeOutcome | None = None
    workload_ects: int | None = Field(None, ge=0)
    assessment_certification: AssessmentCert | None = None
    learning_outcomes: tuple[HttpUrl, ...] = ()
    learning_outcome_description: Text | None = None
    field_study: Text | None = None


class ReportFile(DeqarRecord):
    """A report file: a URL DEQAR harvests, or a local PDF sent as base64."""

    original_location: HttpUrl | None = None
    path: str | None = Field(None, description="Local PDF, relative to the batch file")
    display_name: Text | None = None
    report_language: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> ReportFile:
        if (self.original_location is None) == (self.path is None):
            given = (
                "both original_location and path"
                if self.path is not None
                else "neither original_location nor path"
            )
            raise ValueError(
                f"has {given}; give exactly one: original_location (a URL) or path (a local PDF)"
            )
        return self


class Link(DeqarRecord):
    link: HttpUrl
    link_display_name: Text | None = None


class Report(DeqarRecord):
    """One DEQAR report: an external QA result on institutions and programmes."""

    local_identifier: Text = Field(min_length=1, max_length=255)
    activities: tuple[str, ...] = Field(min_length=1, description="Keys of the batch's activities")
    contributing_agencies: tuple[AgencyName, ...] = ()
    status: Status
    decision: Decision
    valid_from: ReportDate | None = None
    valid_to: ReportDate | None = None
    summary: Text | None = None
    quality_assurance: str | None = Field(None, description="Catalogue quality_assurance key")
    institutions: tuple[str | OrganisationRef, ...] = Field(min_length=1)
    platforms: tuple[str | OrganisationRef, ...] = ()
    programmes: tuple[Programme, ...] = ()
    report_files: tuple[ReportFile, ...] = ()
    report_links: tuple[Link, ...] = ()
    other_comment: Text | None = None


class Batch(DeqarRecord):
    """A DEQAR submission batch file."""

    agency: AgencyName = Field(description="Acronym or numeric DEQAR id of the submitting agency "
                               "(any letter case: it is sent in upper case)")
    activities: dict[str, Activity] = Field(min_length=1)
    reports: tuple[Report, ...]
    delete_reports: tuple[Text, ...] = Field(
        (), description="Local identifiers of reports withdrawn: their deletion is requested"
    )

    @model_validator(mode="after")
    def _references(self) -> Batch:
        problems = reference_problems(self.model_dump())
        if problems:
            raise ValueError("; ".join(f"{path}: {message}" for path, message in problems))
        return self


def reference_problems(data: Any) -> list[tuple[str, str]]:
    """Duplicate local identifiers and undefined activity keys, on a batch as read (any shape)."""
    if not isinstance(data, dict) or not isinstance(data.get("reports"), list | tuple):
        return []
    defined = list(data["activities"]) if isinstance(data.get("activities"), dict) else []
    first: dict[str, int] = {}
    problems = []
    for index, report in enumerate(data["reports"]):
        if not isinstance(report, dict):
            continue
        ident = report.get("local_identifier")
        if isinstance(ident, str) and ident.strip():
            if ident.strip() in first:
                problems.append(
                    (
                        f"reports[{index}].local_identifier",
                        f"{ident!r} is already the local_identifier of reports[{first[ident.strip()]}]; "
                        "give each report its own",
                    )
                )
            first.setdefault(ident.strip(), index)
        if isinstance(ident, str) and ident.strip() in _withdrawn(data):
            problems.append((f"reports[{index}].local_identifier", f"{ident!r} is also under "
                             "delete_reports; keep the report, or remove it from reports to withdraw it"))
        keys = report.get("activities")
        for pos, key in enumerate(keys if isinstance(keys, list | tuple) else []):
            if isinstance(key, str) and key not in defined:
                problems.append(
                    (
                        f"reports[{index}].activities[{pos}]",
                        f"{key!r} is not defined under the batch's activities; use one of "
                        + (", ".join(defined) or "(none defined)")
                        + ", or define it there",
                    )
                )
    withdrawn = _withdrawn(data)
    for index, ident in enumerate(withdrawn):
        if ident in withdrawn[:index]:
            problems.append((f"delete_reports[{index}]", f"{ident!r} is listed twice; list it once"))
    return problems


def _withdrawn(data: dict[str, Any]) -> list[str]:
    listed = data.get("delete_reports")
    return [i.strip() for i in listed if isinstance(i, str)] if isinstance(listed, list | tuple) else []
