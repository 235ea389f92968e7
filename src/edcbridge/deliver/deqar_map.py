"""DEQAR report JSON (Submission API v2) and the official CSV layout, from the batch model.

:func:`build_payload` maps one :class:`~edcbridge.deliver.deqar_model.Report` (with the
catalogue for organisation keys and specification codes) to the v2 report JSON;
:func:`report_problems` gives the JSON with every problem of the report at once (mapping and
the register's rules, each with the value and the fix).
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
from edcbridge.deliver.deqar_model import Batch, OrganisationRef, Programme, Report, ReportFile
from edcbridge.deliver.deqar_rules import check_payload, explain
from edcbridge.deliver.errors import LocalValidationError
from edcbridge.model.records import Catalogue, Specification

DATE_FORMAT = "%Y-%m-%d"
Problems = list[tuple[str, str]]
_MISSING = {dv.REQUIRED, dv.NO_FULL_DEGREE_ECTS, dv.NO_FULL_DEGREE_ASSESSMENT}

# ---------------------------------------------------------------------------------- mapping


def _text_of(text: Any, language: str) -> str:
    """A language map's value in ``language`` (else the first one)."""
    values = dict(text)
    return str(values.get(language) or next(iter(values.values())))


def _org_ref(
    ref: str | OrganisationRef, catalogue: Catalogue | None, where: str, problems: Problems
) -> dict[str, str]:
    """The ids of one institution or platform; ``{}`` (and a problem) when it has none."""
    if isinstance(ref, OrganisationRef):
        return {k: v for k, v in ref.model_dump().items() if v is not None}
    if catalogue is None:
        problems.append(
            (
                where,
                f"{ref!r} is an organisation key, but no catalogue was given; "
                "pass --catalogue, or write {deqar_id: ...} / {eter_id: ...}",
            )
        )
        return {}
    keys = [o.key for o in catalogue.organisations]
    if ref not in keys:
        problems.append(
            (where, f"organisation {ref!r} is not in the catalogue; use one of {', '.join(keys) or '(none)'}")
        )
        return {}
    org = catalogue.organisation(ref)
    if org.deqar_id:
        return {"deqar_id": org.deqar_id}
    if org.eter_id:
        return {"eter_id": org.eter_id}
    problems.append(
        (
            where,
            f"organisation {ref!r} has neither deqar_id nor eter_id in the catalogue, and DEQAR only "
            "accepts institutions it already knows; add one of them to the organisation in the catalogue",
        )
    )
    return {}


def _ects(spec: Specification, where: str, problems: Problems) -> int | None:
    ects = spec.ects
    if ects is None:
        return None
    if ects != ects.to_integral_value():
        problems.append(
            (
                where,
                f"specification {spec.code!r} has {ects} ECTS, not a whole number, which DEQAR requires "
                "for workload_ects; set workload_ects (a whole number) in the report's programme",
            )
        )
        return None
    return int(ects)


def _from_specification(
    spec: Specification, prog: Programme, language: str, where: str
) -> tuple[dict[str, Any], Problems]:
    data: dict[str, Any] = {"name_primary": _text_of(spec.title, language)}
    problems: Problems = []
    if prog.workload_ects is None:  # an explicit value wins, so it is the fix for a fractional one
        ects = _ects(spec, where + ".workload_ects", problems)
        if ects is not None:
            data["workload_ects"] = ects
    if spec.eqf is not None and spec.eqf.number in dv.QF_EHEA_OF_EQF:
        data["qf_ehea_level"] = dv.QF_EHEA_OF_EQF[spec.eqf.number]
    if spec.nqf is not None:  # free text in DEQAR: the level's label, e.g. "RQF Level 6"
        data["nqf_level"] = vocab.concept("nqf", spec.nqf).label
    # the batch's degree_outcome wins; the assessment then applies to what the report says
    outcome = prog.degree_outcome or ("1" if spec.kind == "qualification" else "2")
    data["degree_outcome"] = outcome
    if outcome == "2" and spec.assessment is not None:
        data["assessment_certification"] = "2"
    outcomes = [str(uri) for lo in spec.learning_outcomes for uri in lo.esco_skills]
    if outcomes:
        data["learning_outcomes"] = outcomes
    if spec.learning_outcome_summary is not None:
        data["learning_outcome_description"] = _text_of(spec.learning_outcome_summary, language)
    if spec.isced_f:
        code = str(spec.isced_f[0]).rstrip("/").rsplit("/", 1)[-1]
        data["field_study"] = code
    return data, problems


def _activity_programme(code: str) -> str:
    """Why a programme may not be read from an activity's specification: its EQF level, credits
    and outcomes would be reported for what its learners attended, not achieved."""
    return (f"specification {code!r} is an activity (claim: activity), and a certificate of "
            "participation is not a programme; name the programme's own specification (claim: "
            "achievement), or give the programme's fields instead")


def _programme(
    prog: Programme, catalogue: Catalogue | None, where: str, problems: Problems
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if prog.specification is not None:
        spec = catalogue.specification(prog.specification) if catalogue is not None else None
        if catalogue is None:
            problems.append(
                (
                    where,
                    f"specification {prog.specification!r} needs the catalogue, but none was given; "
                    "pass --catalogue, or give the programme's fields instead",
                )
            )
        elif spec is None:
            codes = ", ".join(s.code for s in catalogue.specifications) or "(none)"
            problems.append(
                (
                    where,
                    f"specification {prog.specification!r} is not in the catalogue; use one of {codes}",
                )
            )
        elif spec.is_activity:
            problems.append((where, _activity_programme(spec.code)))
        else:
            language = vocab.concept("language", catalogue.primary_language).code
            mapped, found = _from_specification(spec, prog, language, where)
            data.update(mapped)
            problems.extend(found)
    explicit = prog.model_dump(mode="json", exclude={"specification"}, exclude_defaults=True)
    if "identifiers" in explicit:
        explicit["identifiers"] = [
            {k: v for k, v in i.items() if v is not None} for i in explicit["identifiers"]
        ]
    data.update(explicit)
    return data


def _file(entry: ReportFile, base_dir: Path, where: str, problems: Problems) -> dict[str, Any]:
    data: dict[str, Any] = {"report_language": list(entry.report_language)}
    if entry.original_location is not None:
        data["original_location"] = str(entry.original_location)
    elif entry.path is not None:
        path = (base_dir / entry.path).resolve()
        try:
            content = path.read_bytes()
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).lower()
            problems.append(
                (
                    where,
                    f"cannot read {entry.path!r} ({reason}, looked at {path}); "
                    "fix the path (relative to the batch file)",
                )
            )
            return data
        data["file"] = base64.b64encode(content).decode("ascii")
        data["file_name"] = path.name
    if entry.display_name:
        data["display_name"] = entry.display_name
    return data


def map_report(
    report: Report, batch: Batch, catalogue: Catalogue | None = None, base_dir: Path = Path()
) -> tuple[dict[str, Any], Problems]:
    """The v2 report JSON and every problem found mapping it, at paths of the JSON.

    A part that cannot be mapped is left out of the JSON (an entry of a list stays, empty, so
    the indexes of the others hold); the JSON is then only good for checking, never to send.
    """
    problems: Problems = []
    qa = None
    if report.quality_assurance is not None:
        keys = [q.key for q in catalogue.quality_assurance] if catalogue else []
        if catalogue is None or report.quality_assurance not in keys:
            fix = f"use one of {', '.join(keys) or '(none)'}" if catalogue else "pass --catalogue"
            problems.append(
                (
                    "quality_assurance",
                    f"{report.quality_assurance!r} is not a quality_assurance key of the "
                    f"{'catalogue' if catalogue else 'catalogue, and no catalogue was given'}; {fix}",
                )
            )
        else:
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
        _file(f, base_dir, f"report_files[{i}]", problems) for i, f in enumerate(report.report_files)
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
        _org_ref(r, catalogue, f"institutions[{i}]", problems) for i, r in enumerate(report.institutions)
    ]
    if report.platforms:
        payload["platforms"] = [
            _org_ref(r, catalogue, f"platforms[{i}]", problems) for i, r in enumerate(report.platforms)
        ]
    if report.programmes:
        payload["programmes"] = [
            _programme(p, catalogue, f"programmes[{i}]", problems) for i, p in enumerate(report.programmes)
        ]
    if report.other_comment:
        payload["other_comment"] = report.other_comment
    return payload, problems


def build_payload(
    report: Report, batch: Batch, catalogue: Catalogue | None = None, base_dir: Path = Path()
) -> dict[str, Any]:
    """The v2 report JSON for a POST (add ``report_id`` for a PUT by report id)."""
    payload, problems = map_report(report, batch, catalogue, base_dir)
    if problems:
        raise LocalValidationError(
            f"report {report.local_identifier}: {len(problems)} problem(s) mapping it", problems
        )
    return payload


def report_problems(
    report: Report, batch: Batch, catalogue: Catalogue | None = None, base_dir: Path = Path()
) -> tuple[dict[str, Any], Problems]:
    """The report's JSON and all its problems: mapping, then the register's rules (explained).

    A rule broken only because a part could not be mapped is left out, as the mapping problem
    already names it: one at the same place, or a field missing from a programme whose
    specification could not be used.
    """
    payload, problems = map_report(report, batch, catalogue, base_dir)
    unmapped = {path for path, _ in problems}
    checked = [
        (path, message)
        for path, message in check_payload(payload, activity_types(report, batch))
        if path not in unmapped
        and not (message in _MISSING and path.rsplit(".", 1)[0] in unmapped and "." in path)
    ]
    return payload, problems + explain(payload, checked)


def activity_types(report: Report, batch: Batch) -> list[str]:
    return [batch.activities[key].type for key in report.activities]


__all__ = [
    "CSV_COLUMNS",
    "DATE_FORMAT",
    "activity_types",
    "build_payload",
    "check_payload",
    "map_report",
    "report_problems",
    "to_csv",
]
