"""The register's own rules, checked here before anything is sent, with its own wording.

:func:`check_payload` takes any DEQAR v2 report JSON (built by :mod:`deqar_map` or written by
hand) and returns ``(path, message)`` pairs: types (enumerations are strings), required fields,
micro-credential rules, file rules, dates, identifier syntax and the activity-type count rules.
Rules that need the register's data (which agencies and activities exist, whether an
institution is known) are left to the register, or to a lookup before sending.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from edcbridge import vocab
from edcbridge.deliver import deqar_vocab as dv

Problems = list[tuple[str, str]]

_DEQAR_INST = re.compile(r"^DEQARINST(AP)?\d{4,}$")
_ETER = re.compile(r"^[A-Z]{2}\d{4}[A-Z]?$")
_CODE = re.compile(r"^[A-Za-z]{2,3}$")
# ISO 639-2 terminology codes that differ from the bibliographic ones DEQAR takes (contract 1.4)
_TERMINOLOGY_TO_BIBLIOGRAPHIC = {
    "sqi": "alb", "hye": "arm", "eus": "baq", "mya": "bur", "zho": "chi", "ces": "cze", "nld": "dut",
    "fra": "fre", "kat": "geo", "deu": "ger", "ell": "gre", "isl": "ice", "mkd": "mac", "mri": "mao",
    "msa": "may", "fas": "per", "ron": "rum", "slk": "slo", "bod": "tib", "cym": "wel",
}
# Contract 1.8: at most 7 MB of base64 files per report and 10 MB per request (the production
# proxy answers 413 beyond); counted in bytes, the smaller reading of "MB".
MAX_FILES_BASE64 = 7_000_000
_FIELD_STUDY = re.compile(r"^(\d{1,4}|http://data\.europa\.eu/esco/isced-f/\d{1,4})$")
_ETER_COUNTRIES = {"UK", "EL"}  # ETER's own prefixes for the United Kingdom and Greece


def _is_code(scheme: str, value: Any) -> bool:
    """An ISO 639 / ISO 3166 code (2 or 3 letters) the controlled vocabulary knows."""
    if not isinstance(value, str) or not _CODE.match(value):
        return False
    try:
        vocab.resolve(scheme, value)
    except ValueError:
        return False
    return True


def _is_eter(value: str) -> bool:
    return bool(_ETER.match(value)) and (value[:2] in _ETER_COUNTRIES or _is_code("country", value[:2]))


def _string(
    payload: dict[str, Any], key: str, where: str, problems: Problems, *, required: bool = False
) -> Any:
    value = payload.get(key)
    if value is None:
        if required:
            problems.append((where + key, dv.REQUIRED))
        return None
    if not isinstance(value, str):
        problems.append((where + key, dv.NOT_A_STRING.format(kind=dv.type_name(value))))
        return None
    return value


def _enum_check(
    payload: dict[str, Any],
    key: str,
    table: dict[str, str],
    where: str,
    problems: Problems,
    *,
    required: bool,
) -> None:
    value = _string(payload, key, where, problems, required=required)
    if value is not None:
        try:
            dv.code_of(table, value, key)
        except ValueError as exc:
            problems.append((where + key, str(exc)))


def _parse_date(value: str, fmt: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, fmt).date()
    except ValueError:
        return None


# The serializers' max_length limits (contract 1.3 and the Submission API v2 swagger); "[]"
# walks a list. The register answers each with DRF's "Ensure this field has no more than ...".
_MAX_LENGTHS: tuple[tuple[str, int], ...] = (
    ("local_identifier", 255),
    ("valid_from", 20),
    ("valid_to", 20),
    ("date_format", 20),
    ("activities[].id", 5),
    ("activities[].group", 5),
    ("activities[].local_identifier", 200),
    ("report_links[].link", 255),
    ("report_links[].link_display_name", 200),
    ("report_files[].original_location", 500),
    ("report_files[].display_name", 255),
    ("report_files[].file_name", 255),
    *(
        (f"{group}[].{field}", limit)
        for group in ("institutions", "platforms")
        for field, limit in (("deqar_id", 25), ("eter_id", 15), ("identifier", 50), ("resource", 200))
    ),
    ("programmes[].name_primary", 255),
    ("programmes[].qualification_primary", 255),
    ("programmes[].nqf_level", 255),
    ("programmes[].identifiers[].identifier", 50),
    ("programmes[].identifiers[].resource", 200),
    ("programmes[].alternative_names[].name_alternative", 200),
    ("programmes[].alternative_names[].qualification_alternative", 200),
)


def _values_at(node: Any, steps: list[str], where: str) -> list[tuple[str, Any]]:
    """``(path, value)`` for each value at ``steps`` under ``node`` (lists walked by index)."""
    if not steps:
        return [(where, node)]
    if not isinstance(node, dict):
        return []
    name, walk = steps[0].removesuffix("[]"), steps[0].endswith("[]")
    here = f"{where}.{name}" if where else name
    if not walk:
        return _values_at(node.get(name), steps[1:], here) if name in node else []
    return [found for index, item in enumerate(_dicts(node.get(name)))
            for found in _values_at(item, steps[1:], f"{here}[{index}]")]


def _check_lengths(payload: dict[str, Any], problems: Problems) -> None:
    """The serializers' ``max_length`` limits, with DRF's wording."""
    for path, limit in _MAX_LENGTHS:
        for where, value in _values_at(payload, path.split("."), ""):
            if isinstance(value, str) and len(value.strip()) > limit:  # DRF trims before counting
                problems.append((where, dv.MAX_LENGTH.format(limit=limit)))


def _dicts(items: Any) -> list[dict[str, Any]]:
    """The objects of a list (an entry of another type is reported by the field's own check)."""
    if not isinstance(items, list):
        return []
    return [item if isinstance(item, dict) else {} for item in items]


def _check_dates(payload: dict[str, Any], problems: Problems) -> None:
    fmt = _string(payload, "date_format", "", problems, required=True)
    start = _string(payload, "valid_from", "", problems, required=True)
    end = payload.get("valid_to")
    if fmt is None or start is None:
        return
    begin = _parse_date(start, fmt)
    finish = _parse_date(end, fmt) if isinstance(end, str) else None
    if begin is None or (isinstance(end, str) and finish is None):
        problems.append(("non_field_errors", "Date format string is not applicable to the submitted date."))
    elif finish is not None and finish <= begin:
        problems.append(("non_field_errors", "Report's validity start should be earlier then validity end."))


def _check_orgs(items: Any, key: str, problems: Problems, *, required: bool) -> int:
    if not items:
        if required:
            problems.append((key, dv.REQUIRED))
        return 0
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            problems.append(
                (
                    where,
                    f"expected an object with deqar_id, eter_id or identifier, not {_shown(item)}; write "
                    "{deqar_id: ...} or {eter_id: ...}",
                )
            )
            continue
        for field in ("deqar_id", "eter_id", "identifier", "resource"):
            if field in item and not isinstance(item[field], str):
                problems.append((f"{where}.{field}", dv.NOT_A_STRING.format(kind=dv.type_name(item[field]))))
        if isinstance(item.get("deqar_id"), str) and not _DEQAR_INST.match(item["deqar_id"]):
            problems.append((where, "Please provide valid DEQAR ID."))
        elif isinstance(item.get("eter_id"), str) and not _is_eter(item["eter_id"]):
            problems.append((where, "Please provide valid ETER ID."))
        elif not any(item.get(f) for f in ("deqar_id", "eter_id", "identifier")):
            problems.append((where, "Please provide at least one of deqar_id, eter_id or identifier."))
    return len(items)


def _check_programme(prog: Any, where: str, problems: Problems) -> None:
    if not isinstance(prog, dict):
        problems.append((where, f"expected an object, not {_shown(prog)}; write the programme's fields"))
        return
    _string(prog, "name_primary", where + ".", problems, required=True)
    _enum_check(prog, "qf_ehea_level", dv.QF_EHEA_LEVEL, where + ".", problems, required=True)
    outcome = prog.get("degree_outcome")
    code = None
    if outcome is None:
        problems.append((where + ".degree_outcome", dv.REQUIRED))
    else:
        try:
            code = dv.degree_outcome_code(outcome)
        except ValueError as exc:
            problems.append((where + ".degree_outcome", str(exc)))
    ects = prog.get("workload_ects")
    if ects is not None and not (
        (isinstance(ects, int) and not isinstance(ects, bool)) or (isinstance(ects, str) and ects.isdigit())
    ):
        problems.append((where + ".workload_ects", "A valid integer is required."))
    _enum_check(prog, "assessment_certification", dv.ASSESSMENT, where + ".", problems, required=False)
    if code == "2":
        if ects in (None, "") or str(ects).strip() == "0":  # the register tests it for truth: 0 is none
            problems.append((where + ".workload_ects", dv.NO_FULL_DEGREE_ECTS))
        if prog.get("assessment_certification") in (None, ""):
            problems.append((where + ".assessment_certification", dv.NO_FULL_DEGREE_ASSESSMENT))
    for index, uri in enumerate(prog.get("learning_outcomes") or []):
        if not isinstance(uri, str) or "http://data.europa.eu/esco/" not in uri:
            problems.append(
                (
                    f"{where}.learning_outcomes[{index}]",
                    "Please provide a valid ESCO URI (http://data.europa.eu/esco/...).",
                )
            )
    field_study = prog.get("field_study")
    if field_study is not None and not (isinstance(field_study, str) and _FIELD_STUDY.match(field_study)):
        problems.append((where + ".field_study", "Please provide a valid ISCED-F code or ESCO ISCED-F URI."))
    for index, country in enumerate(prog.get("countries") or []):
        if not _is_code("country", country):
            problems.append((f"{where}.countries[{index}]", "Please provide valid country code."))


def _check_files(files: Any, problems: Problems) -> None:
    embedded = sum(len(item["file"]) for item in files or []
                   if isinstance(item, dict) and isinstance(item.get("file"), str))
    if embedded > MAX_FILES_BASE64:
        problems.append(("report_files", (
            f"{embedded / 1e6:.1f} MB of embedded files (base64); the register takes at most "
            f"{MAX_FILES_BASE64 / 1e6:.0f} MB per report (larger requests are refused with HTTP 413): "
            "give the larger files by original_location (a URL) instead")))
    for index, item in enumerate(files or []):
        where = f"report_files[{index}]"
        if not isinstance(item, dict):
            problems.append((where, f"expected an object, not {_shown(item)}; write the file's fields"))
            continue
        if "report_file_id" in item:
            problems.append(
                (
                    where + ".report_file_id",
                    "never sent: the register answers HTTP 500 to it; "
                    "manage files with manage/report-file instead",
                )
            )
        has_file, has_url = bool(item.get("file")), bool(item.get("original_location"))
        if has_file and has_url:
            problems.append(
                (where + ".non_field_errors", "You cannot submit both a file and an original_location URL.")
            )
        elif not has_file and not has_url:
            problems.append(
                (
                    where,
                    "has neither original_location nor file; give original_location (a URL) or "
                    "file (base64 PDF) with file_name",
                )
            )
        if has_file:
            try:
                head = base64.b64decode(item["file"][:64] + "=" * (-len(item["file"][:64]) % 4))
            except ValueError:
                head = b""
            if not head.startswith(b"%PDF-"):
                problems.append((where + ".file", "File is not a valid pdf file"))
            if not item.get("file_name"):
                problems.append((where + ".file_name", dv.REQUIRED))
        languages = item.get("report_language")
        if not languages:
            problems.append((where + ".report_language", dv.REQUIRED))
        for pos, lang in enumerate(languages or []):
            bibliographic = _TERMINOLOGY_TO_BIBLIOGRAPHIC.get(lang.lower()) if isinstance(lang, str) else None
            if bibliographic is not None:
                problems.append((f"{where}.report_language[{pos}]", (
                    f"Please provide valid language code. (DEQAR takes ISO 639-1 or ISO 639-2/B: "
                    f"write {bibliographic!r}, not the terminology code {lang!r})")))
            elif not _is_code("language", lang):
                problems.append((f"{where}.report_language[{pos}]", "Please provide valid language code."))


_OTHER_PROVIDER = re.compile(r"^DEQARINSTAP\d+$")
OTHER_PROVIDERS_STATUS = "Status should be 'voluntary' if all organisations are other providers."
OTHER_PROVIDERS_DEGREE = (
    "Degree outcome should be '2 / no full degree' if all the organisations are other providers"
)


def _known_code(table: dict[str, str], value: Any, field: str) -> str | None:
    try:
        return dv.code_of(table, value, field)
    except ValueError:
        return None  # reported by the field's own check


def _check_other_providers(payload: dict[str, Any], problems: Problems) -> None:
    """Reports on alternative providers only (every institution a ``DEQARINSTAP`` id) are
    voluntary and on no-full-degree programmes. An institution given by another id may be
    either kind, which only the register knows."""
    institutions = _dicts(payload.get("institutions"))
    if not institutions or not all(
        isinstance(i.get("deqar_id"), str) and _OTHER_PROVIDER.match(i["deqar_id"]) for i in institutions
    ):
        return
    if _known_code(dv.STATUS, payload.get("status"), "status") == "1":
        problems.append(("non_field_errors", OTHER_PROVIDERS_STATUS))
    for prog in _dicts(payload.get("programmes")):
        outcome = prog.get("degree_outcome")
        if outcome in dv.DEGREE_OUTCOME_FULL and not isinstance(outcome, bool):
            problems.append(("non_field_errors", OTHER_PROVIDERS_DEGREE))


def check_payload(payload: dict[str, Any], types: list[str] | None = None) -> Problems:
    """The register's rules that can be checked here, as ``(path, message)`` pairs.

    ``types`` are the ESG activity types of the report's activities (institutional,
    programme, institutional/programme, joint programme); the strictest count rule wins.
    """
    problems: Problems = []
    _string(payload, "agency", "", problems, required=True)
    _string(payload, "local_identifier", "", problems)
    _enum_check(payload, "status", dv.STATUS, "", problems, required=True)
    _enum_check(payload, "decision", dv.DECISION, "", problems, required=True)
    if "report_id" in payload and not isinstance(payload["report_id"], str):
        problems.append(("report_id", dv.NOT_A_STRING.format(kind=dv.type_name(payload["report_id"]))))
    activities = payload.get("activities")
    if not activities:
        problems.append(("activities", dv.REQUIRED))
    for index, act in enumerate(activities or []):
        selectors = [k for k in ("id", "local_identifier", "group") if isinstance(act, dict) and k in act]
        if len(selectors) != 1:
            given = " and ".join(selectors) or "none of them"
            problems.append(
                (f"activities[{index}]", f"has {given}; give exactly one of id, local_identifier or group")
            )
        for key in ("id", "group"):
            if isinstance(act, dict) and key in act and not isinstance(act[key], str):
                problems.append(
                    (f"activities[{index}].{key}", dv.NOT_A_STRING.format(kind=dv.type_name(act[key])))
                )
    _check_dates(payload, problems)
    _check_files(payload.get("report_files"), problems)
    _check_other_providers(payload, problems)
    _check_lengths(payload, problems)
    institutions = _check_orgs(payload.get("institutions"), "institutions", problems, required=True)
    _check_orgs(payload.get("platforms"), "platforms", problems, required=False)
    programmes = payload.get("programmes") or []
    for index, prog in enumerate(programmes):
        _check_programme(prog, f"programmes[{index}]", problems)
    for kind in set(types or []):
        if kind == "institutional" and programmes:
            problems.append(
                ("programmes", "No programme records should be submitted for an institutional activity.")
            )
        if kind in ("programme", "institutional/programme"):
            if institutions > 1:
                problems.append(
                    (
                        "institutions",
                        f"Exactly one institution is allowed for a {kind} activity; "
                        "use a joint programme activity for more.",
                    )
                )
            if not programmes:
                problems.append(
                    ("programmes", f"At least one programme record is required for a {kind} activity.")
                )
        if kind == "joint programme":
            if institutions < 2:
                problems.append(
                    ("institutions", "At least two institutions are required for a joint programme activity.")
                )
            if not programmes:
                problems.append(
                    (
                        "programmes",
                        "At least one programme record is required for a joint programme activity.",
                    )
                )
    return problems


# ------------------------------------------------------------------------- explanations

_REQUIRED_FIX = {
    "agency": "set agency in the batch (the agency's acronym or DEQAR id)",
    "status": "set status in the report (part of obligatory EQA system or voluntary)",
    "decision": "set decision in the report (positive, positive with conditions or restrictions, "
    "negative, not applicable)",
    "valid_from": "set valid_from (YYYY-MM-DD) in the report, or a quality_assurance key whose "
    "catalogue entry has an issued date",
    "date_format": "set date_format, e.g. %Y-%m-%d",
    "activities": "list the report's activities (keys of the batch's activities)",
    "institutions": "list at least one institution: a catalogue key, or {deqar_id: ...} / {eter_id: ...}",
    "name_primary": "give name_primary, or a specification whose title the catalogue has",
    "qf_ehea_level": "give qf_ehea_level (short cycle, first cycle, second cycle, third cycle), or a "
    "specification with an EQF level 5 to 8",
    "degree_outcome": "give degree_outcome (full degree or no full degree)",
    "file_name": "give file_name, e.g. report.pdf",
    "report_language": "give report_language, e.g. [en]",
}
_SHORTER_URL = "give a shorter URL (the register stores no longer ones), e.g. a short link to the same page"
_LENGTH_FIXES = {
    "link": _SHORTER_URL,
    "original_location": _SHORTER_URL,
    "link_display_name": "shorten link_display_name; for the link taken from the quality_assurance "
    "entry (whose title is its display name), list that link under report_links with a shorter "
    "link_display_name",
    "id": "give the register's numeric activity id (GET /connectapi/v1/activities/), not a name",
    "group": "give the register's numeric activity group id, not a name",
}
_HINTS = {
    "Please provide valid Agency Acronym.": (
        "",
        "set agency in the batch to the agency's acronym or DEQAR id as registered (e.g. ACQUIN or 21)",
    ),
    "You can't submit data to this Agency.": (
        "",
        "this account may not submit for the agency: use the agency's own account, or ask EQAR to "
        "grant it proxy rights",
    ),
    "Please provide valid ESG Activity.": (
        "",
        "use an ESG activity id or group of the agency, as listed by GET /connectapi/v1/activities/",
    ),
    "Please provide valid DEQAR ID.": (
        "deqar_id",
        "DEQAR institution ids look like DEQARINST0001 (DEQARINSTAP... for other providers); "
        "copy it from the institution's DEQAR page, or give eter_id instead",
    ),
    "Please provide valid ETER ID.": (
        "eter_id",
        "ETER ids are a country code and four digits, e.g. DE0392; check it, or give deqar_id instead",
    ),
    "Please provide at least one of deqar_id, eter_id or identifier.": (
        "",
        "add deqar_id or eter_id (or identifier with resource)",
    ),
    "A valid integer is required.": ("", "give workload_ects as a whole number of ECTS credits"),
    OTHER_PROVIDERS_STATUS: (
        "",
        "set status: voluntary in the report (DEQARINSTAP... ids are alternative providers, "
        "whose reviews are never part of an obligatory EQA system)",
    ),
    OTHER_PROVIDERS_DEGREE: (
        "",
        "set degree_outcome: no full degree in those programmes (with workload_ects and "
        "assessment_certification); alternative providers award no full degrees",
    ),
    dv.NO_FULL_DEGREE_ECTS: (
        "",
        "set workload_ects in the report's programme, or credits on its specification in the catalogue",
    ),
    dv.NO_FULL_DEGREE_ASSESSMENT: (
        "",
        "set assessment_certification (e.g. Assessment based certificate) in the report's programme, "
        "or an assessment on its specification in the catalogue",
    ),
    "Please provide a valid ESCO URI (http://data.europa.eu/esco/...).": (
        "",
        "use an ESCO skill or competence URI such as http://data.europa.eu/esco/skill/...",
    ),
    "Please provide a valid ISCED-F code or ESCO ISCED-F URI.": (
        "",
        "use an ISCED-F 2013 code such as 0613",
    ),
    "Please provide valid country code.": ("", "use an ISO 3166 country code such as DE"),
    "Please provide valid language code.": ("", "use an ISO 639 language code such as en"),
    "File is not a valid pdf file": ("", "give the report as a PDF file"),
    "You cannot submit both a file and an original_location URL.": (
        "",
        "keep one of them: original_location (a URL) or the file",
    ),
    "Date format string is not applicable to the submitted date.": (
        "",
        "write valid_from and valid_to as date_format says (YYYY-MM-DD for %Y-%m-%d)",
    ),
    "Report's validity start should be earlier then validity end.": (
        "",
        "make valid_to later than valid_from, or leave valid_to out",
    ),
}


def _at(payload: Any, path: str) -> Any:
    """The value at ``programmes[0].workload_ects`` in ``payload``, or ``None``."""
    node = payload
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if name and isinstance(node, dict):
            node = node.get(name)
        elif index and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return None
    return node


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _got(payload: dict[str, Any], path: str, message: str, field: str) -> str:
    """What the report holds that breaks the rule, in words."""
    if message.startswith(("Date format", "Report's validity")):
        dates = [f"{k} {payload[k]!r}" for k in ("valid_from", "valid_to", "date_format") if k in payload]
        return ", ".join(dates)
    if message == OTHER_PROVIDERS_STATUS:
        return f"status {_shown(payload.get('status'))}, institutions {_shown(payload.get('institutions'))}"
    if message == OTHER_PROVIDERS_DEGREE:
        full = [f"programmes[{i}] {_shown(p.get('name_primary'))}"
                for i, p in enumerate(_dicts(payload.get("programmes")))
                if p.get("degree_outcome") in dv.DEGREE_OUTCOME_FULL]
        return "full degree in " + ", ".join(full)
    if message == "File is not a valid pdf file":
        name = _at(payload, path.removesuffix(".file") + ".file_name")
        return f"{name!r} does not start with %PDF-" if name else "it does not start with %PDF-"
    if path in ("institutions", "programmes") and not message.startswith("This field"):
        return f"{len(payload.get(path) or [])} given"
    value = _at(payload, path + "." + field if field else path)
    if value is None or value == "":
        return "not given"
    return f"{field} {_shown(value)}" if field else _shown(value)


def _explained(payload: dict[str, Any], path: str, message: str) -> str:
    field = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])
    if message == dv.REQUIRED:
        return f"{message} (not given); {_REQUIRED_FIX.get(field, f'add {field}')}"
    if message.startswith("Incorrect type. Expected a string"):
        value = _at(payload, path)
        return f'{message} ({_shown(value)}); write it in quotes: "{value}"'
    if message.startswith("Ensure this field has no more than"):
        value = _at(payload, path)
        fix = _LENGTH_FIXES.get(field, f"shorten {field}")
        return f"{message} ({len(str(value))} given: {_shown(value)}); {fix}"
    if message in _HINTS:
        part, fix = _HINTS[message]
        return f"{message} ({_got(payload, path, message, part)}); {fix}"
    if path in ("institutions", "programmes") and message.endswith("activity."):
        fix = (
            f"add {path} to the report, or use another activity type"
            if "At least" in message
            else "remove the programmes, or use a programme activity"
        )
        return f"{message} ({_got(payload, path, message, '')}); {fix}"
    if message.startswith("Exactly one institution"):
        return message.replace("; ", f" ({_got(payload, path, message, '')}); ", 1)
    return message  # our own messages already say what, why and how to fix


def explain(payload: dict[str, Any], problems: Problems) -> Problems:
    """``problems`` of ``payload`` with the register's wording, then the value and the fix."""
    return [(path, _explained(payload, path, message)) for path, message in problems]
