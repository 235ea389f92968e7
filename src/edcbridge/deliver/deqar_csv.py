"""Reports in the layout of DEQAR's official CSV submission template (UTF-8, comma-separated)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

CSV_COLUMNS = (
    "agency",
    "contributing_agencies[1]",
    "report_id",
    "local_identifier",
    "activities[1].id",
    "activities[1].group",
    "activities[1].local_identifier",
    "activities[1].agency",
    "status",
    "decision",
    "summary",
    "valid_from",
    "valid_to",
    "date_format",
    "file[1].original_location",
    "file[1].file",
    "file[1].file_name",
    "file[1].display_name",
    "file[1].report_language[1]",
    "link[1]",
    "link_display_name[1]",
    "institution[1].deqar_id",
    "institution[1].eter_id",
    "institution[1].identifier",
    "institution[1].resource",
    "platform[1].deqar_id",
    "platform[1].eter_id",
    "platform[1].identifier",
    "platform[1].resource",
    "programme[1].identifier[1]",
    "programme[1].name_primary",
    "programme[1].qualification_primary",
    "programme[1].name_alternative[1]",
    "programme[1].qualification_alternative[1]",
    "programme[1].country[1]",
    "programme[1].qf_ehea_level",
    "programme[1].nqf_level",
    "programme[1].degree_outcome",
    "programme[1].workload_ects",
    "programme[1].assessment_certification",
    "programme[1].learning_outcome[1]",
    "programme[1].learning_outcome_description",
    "programme[1].field_study",
    "other_comment",
)
"""The 44 columns of the official template, in its order; repeat groups are indexed from 1."""
MAX_UPLOAD_BYTES = 10_000_000  # contract 1.8: 10 MB per request (the production proxy answers 413)
# The register stores an upload's rows one by one before it answers: one of hundreds outlasts the
# read timeout, its answer lost though the rows are stored, and every run would send them all again
MAX_UPLOAD_ROWS = 50


def _flatten(payload: dict[str, Any]) -> dict[str, str]:
    cells: dict[str, str] = {}

    def put(name: str, value: Any) -> None:
        if value is not None and value != "":
            cells[name] = str(value)

    for key in (
        "agency",
        "report_id",
        "local_identifier",
        "status",
        "decision",
        "summary",
        "valid_from",
        "valid_to",
        "date_format",
        "other_comment",
    ):
        put(key, payload.get(key))
    for i, agency in enumerate(payload.get("contributing_agencies") or [], 1):
        put(f"contributing_agencies[{i}]", agency)
    for i, act in enumerate(payload.get("activities") or [], 1):
        for key, value in act.items():
            put(f"activities[{i}].{key}", value)
    for i, item in enumerate(payload.get("report_files") or [], 1):
        for key in ("original_location", "file", "file_name", "display_name"):
            put(f"file[{i}].{key}", item.get(key))
        for j, lang in enumerate(item.get("report_language") or [], 1):
            put(f"file[{i}].report_language[{j}]", lang)
    for i, link in enumerate(payload.get("report_links") or [], 1):
        put(f"link[{i}]", link.get("link"))
        put(f"link_display_name[{i}]", link.get("link_display_name"))
    for group, prefix in (("institutions", "institution"), ("platforms", "platform")):
        for i, org in enumerate(payload.get(group) or [], 1):
            for key, value in org.items():
                put(f"{prefix}[{i}].{key}", value)
    for i, prog in enumerate(payload.get("programmes") or [], 1):
        p = f"programme[{i}]"
        for j, ident in enumerate(prog.get("identifiers") or [], 1):
            put(f"{p}.identifier[{j}]", ident.get("identifier"))
        for key in (
            "name_primary",
            "qualification_primary",
            "qf_ehea_level",
            "nqf_level",
            "degree_outcome",
            "workload_ects",
            "assessment_certification",
            "learning_outcome_description",
            "field_study",
        ):
            put(f"{p}.{key}", prog.get(key))
        for j, alt in enumerate(prog.get("alternative_names") or [], 1):
            put(f"{p}.name_alternative[{j}]", alt.get("name_alternative"))
            put(f"{p}.qualification_alternative[{j}]", alt.get("qualification_alternative"))
        for j, country in enumerate(prog.get("countries") or [], 1):
            put(f"{p}.country[{j}]", country)
        for j, uri in enumerate(prog.get("learning_outcomes") or [], 1):
            put(f"{p}.learning_outcome[{j}]", uri)
    return cells


def not_in_csv(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """What the template has no column for, as ``(path, message)``: a programme identifier's
    ``resource`` (the register would file the identifier under the agency's local ones)."""
    problems = []
    for i, prog in enumerate(payload.get("programmes") or []):
        for j, ident in enumerate(prog.get("identifiers") or []):
            if ident.get("resource"):
                problems.append((
                    f"programmes[{i}].identifiers[{j}].resource",
                    f"{ident['resource']!r} has no column in DEQAR's CSV layout (it has "
                    "programme[n].identifier[m] alone), so the register would file the identifier "
                    "under the agency's local identifiers; submit this report with --via api, or "
                    "leave resource out"))
    return problems


def _order(name: str) -> tuple[int, int, int, tuple[int, ...]]:
    """Template order; the repeats of a group (``file[2]...``) follow its first occurrence as a block."""
    general = re.sub(r"\[\d+\]", "[1]", name)
    position = CSV_COLUMNS.index(general) if general in CSV_COLUMNS else len(CSV_COLUMNS)
    match = re.match(r"^([^\[]+)\[(\d+)\]", name)
    if match is None:
        return position, 0, position, ()
    prefix = match.group(1) + "[1]"
    start = min((i for i, c in enumerate(CSV_COLUMNS) if c.startswith(prefix)), default=position)
    return start, int(match.group(2)), position, tuple(int(n) for n in re.findall(r"\[(\d+)\]", name)[1:])


def to_csv(payloads: list[dict[str, Any]]) -> str:
    """Reports as CSV in the template's layout: its 44 columns, extra repeats next to their group."""
    rows = [_flatten(p) for p in payloads]
    extra = {name for row in rows for name in row} - set(CSV_COLUMNS)
    columns = sorted([*CSV_COLUMNS, *extra], key=_order)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def uploads(payloads: list[dict[str, Any]], limit: int = MAX_UPLOAD_BYTES,
            rows: int = MAX_UPLOAD_ROWS) -> list[list[int]]:
    """The indexes of ``payloads`` in consecutive groups of at most ``rows`` whose CSV stays within
    ``limit`` bytes (each row counted with a header of its own, so a group's CSV is never larger);
    a row larger than ``limit`` goes alone, for the register to answer."""
    groups: list[list[int]] = []
    size = 0
    for index, payload in enumerate(payloads):
        row = len(to_csv([payload]).encode("utf-8"))
        if not groups or size + row > limit or len(groups[-1]) >= rows:
            groups.append([])
            size = 0
        groups[-1].append(index)
        size += row
    return groups
