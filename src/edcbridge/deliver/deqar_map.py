"""DEQAR report JSON (Submission API v2) and the official CSV layout, from the batch model.

:func:`build_payload` maps one :class:`~edcbridge.deliver.deqar_model.Report` (with the
catalogue for organisation keys and specification codes) to the v2 report JSON.
:func:`check_payload` applies the register's own rules to any report JSON, with its wording,
so a bad report is refused before anything is sent (:mod:`deqar_rules`); :func:`to_csv`
writes reports in the column layout of the official CSV template (:mod:`deqar_csv`).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from edcbridge import vocab
from edcbridge.deliver import deqar_vocab as dv
from edcbridge.deliver.deqar_csv import CSV_COLUMNS, to_csv
from edcbridge.deliver.deqar_model import Batch, OrganisationRef, Programme, Report
from edcbridge.deliver.deqar_rules import check_payload
from edcbridge.deliver.errors import LocalValidationError
from edcbridge.model.records import Catalogue, Specification

DATE_FORMAT = "%Y-%m-%d"
Problems = list[tuple[str, str]]

# ---------------------------------------------------------------------------------- mapping


def _text_of(text: Any, language: str) -> str:
    """A language map's value in ``language`` (else the first one)."""
    values = dict(text)
    return str(values.get(language) or next(iter(values.values())))


def _org_ref(ref: str | OrganisationRef, catalogue: Catalogue | None, where: str) -> dict[str, str]:
    if isinstance(ref, OrganisationRef):
        return {k: v for k, v in ref.model_dump().items() if v is not None}
    if catalogue is None:
        raise LocalValidationError(
            f"{where}: {ref!r} is an organisation key, which needs the catalogue",
            [(where, "pass --catalogue, or write {deqar_id: ...} / {eter_id: ...}")],
        )
    keys = [o.key for o in catalogue.organisations]
    if ref not in keys:
        raise LocalValidationError(
            f"{where}: organisation {ref!r} is not in the catalogue",
            [(where, f"use one of {', '.join(keys)}")],
        )
    org = catalogue.organisation(ref)
    if org.deqar_id:
        return {"deqar_id": org.deqar_id}
    if org.eter_id:
        return {"eter_id": org.eter_id}
    raise LocalValidationError(
        f"{where}: organisation {ref!r} has neither deqar_id nor eter_id",
        [
            (
                where,
                "add deqar_id or eter_id to the organisation in the catalogue "
                "(DEQAR only accepts institutions it already knows)",
            )
        ],
    )


def _ects(spec: Specification, where: str) -> int | None:
    ects = spec.ects
    if ects is None:
        return None
    if ects != ects.to_integral_value():
        raise LocalValidationError(
            f"{where}: {spec.code} has {ects} ECTS; DEQAR records workload_ects as a whole number",
            [(where, "set workload_ects explicitly in the report's programme")],
        )
    return int(ects)


def _from_specification(spec: Specification, language: str, where: str) -> dict[str, Any]:
    data: dict[str, Any] = {"name_primary": _text_of(spec.title, language)}
    ects = _ects(spec, where)
    if ects is not None:
        data["workload_ects"] = ects
    if spec.eqf is not None and spec.eqf.number in dv.QF_EHEA_OF_EQF:
        data["qf_ehea_level"] = dv.QF_EHEA_OF_EQF[spec.eqf.number]
    data["degree_outcome"] = "1" if spec.kind == "qualification" else "2"
    if spec.kind != "qualification" and spec.assessment is not None:
        data["assessment_certification"] = "2"
    outcomes = [str(uri) for lo in spec.learning_outcomes for uri in lo.esco_skills]
    if outcomes:
        data["learning_outcomes"] = outcomes
    if spec.learning_outcome_summary is not None:
        data["learning_outcome_description"] = _text_of(spec.learning_outcome_summary, language)
    if spec.isced_f:
        code = str(spec.isced_f[0]).rstrip("/").rsplit("/", 1)[-1]
        data["field_study"] = code
    return data


def _programme(prog: Programme, catalogue: Catalogue | None, where: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if prog.specification is not None:
        if catalogue is None:
            raise LocalValidationError(
                f"{where}: specification {prog.specification!r} needs the catalogue",
                [(where, "pass --catalogue, or give the programme's fields")],
            )
        spec = catalogue.specification(prog.specification)
        if spec is None:
            codes = ", ".join(s.code for s in catalogue.specifications)
            raise LocalValidationError(
                f"{where}: specification {prog.specification!r} is not in the catalogue",
                [(where, f"use one of {codes}")],
            )
        language = vocab.concept("language", catalogue.primary_language).code
        data.update(_from_specification(spec, language, where))
    explicit = prog.model_dump(mode="json", exclude={"specification"}, exclude_defaults=True)
    if "identifiers" in explicit:
        explicit["identifiers"] = [
            {k: v for k, v in i.items() if v is not None} for i in explicit["identifiers"]
        ]
    data.update(explicit)
    return data


def _file(entry: Any, base_dir: Path, where: str) -> dict[str, Any]:
    data: dict[str, Any] = {"report_language": list(entry.report_language)}
    if entry.original_location is not None:
        data["original_location"] = str(entry.original_location)
    else:
        path = (base_dir / entry.path).resolve()
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise LocalValidationError(
                f"{where}: cannot read {path}: {exc.strerror}",
                [(where, "fix the path (relative to the batch file)")],
            ) from None
        data["file"] = base64.b64encode(content).decode("ascii")
        data["file_name"] = path.name
    if entry.display_name:
        data["display_name"] = entry.display_name
    return data


def build_payload(
    report: Report, batch: Batch, catalogue: Catalogue | None = None, base_dir: Path = Path()
) -> dict[str, Any]:
    """The v2 report JSON for a POST (add ``report_id`` for a PUT by report id)."""
    where = f"report {report.local_identifier}"
    qa = None
    if report.quality_assurance is not None:
        keys = [q.key for q in catalogue.quality_assurance] if catalogue else []
        if report.quality_assurance not in keys:
            raise LocalValidationError(
                f"{where}: quality_assurance {report.quality_assurance!r} is not in the catalogue",
                [(where, f"use one of {', '.join(keys) or '(none)'}")],
            )
        assert catalogue is not None
        qa = catalogue.qa(report.quality_assurance)
    valid_from = report.valid_from or (qa.issued if qa else None)
    valid_to = report.valid_to or (qa.expires if qa else None)
    payload: dict[str, Any] = {"agency": batch.agency, "local_identifier": report.local_identifier}
    if report.contributing_agencies:
        payload["contributing_agencies"] = list(report.contributing_agencies)
    activities = []
    for key in report.activities:
        act = batch.activities[key]
        activities.append({"id": act.id} if act.id is not None else {"group": act.group})
    payload["activities"] = activities
    payload["status"] = report.status
    payload["decision"] = report.decision
    if report.summary:
        payload["summary"] = report.summary
    payload["valid_from"] = valid_from.strftime(DATE_FORMAT) if valid_from else None
    if valid_to:
        payload["valid_to"] = valid_to.strftime(DATE_FORMAT)
    payload["date_format"] = DATE_FORMAT
    payload["report_files"] = [
        _file(f, base_dir, f"{where} report_files[{i}]") for i, f in enumerate(report.report_files)
    ]
    links = [
        {
            "link": str(link.link),
            **({"link_display_name": link.link_display_name} if link.link_display_name else {}),
        }
        for link in report.report_links
    ]
    if (
        qa is not None
        and qa.report_url is not None
        and not any(item["link"] == str(qa.report_url) for item in links)
    ):
        language = vocab.concept("language", catalogue.primary_language).code if catalogue else "en"
        links.append({"link": str(qa.report_url), "link_display_name": _text_of(qa.title, language)})
    if links:
        payload["report_links"] = links
    payload["institutions"] = [
        _org_ref(r, catalogue, f"{where} institutions[{i}]") for i, r in enumerate(report.institutions)
    ]
    if report.platforms:
        payload["platforms"] = [
            _org_ref(r, catalogue, f"{where} platforms[{i}]") for i, r in enumerate(report.platforms)
        ]
    if report.programmes:
        payload["programmes"] = [
            _programme(p, catalogue, f"{where} programmes[{i}]") for i, p in enumerate(report.programmes)
        ]
    if report.other_comment:
        payload["other_comment"] = report.other_comment
    return payload


def activity_types(report: Report, batch: Batch) -> list[str]:
    return [batch.activities[key].type for key in report.activities]


__all__ = ["CSV_COLUMNS", "DATE_FORMAT", "activity_types", "build_payload", "check_payload", "to_csv"]
