"""A DEQAR backend fake that follows the recorded Submission API v2 contract.

Stateful where the register is: tokens, reports with ids from sequences, local identifiers
unique per agency, PUT as full replacement (files and programmes re-created with new ids),
deletion requests, report files, CSV upserts. Byte-level quirks as recorded: 200 on create,
403 for auth with no WWW-Authenticate, the un-enveloped duplicate error, ``404 "Not Found"``
as a JSON string, ``"success"`` / ``"deleted"`` / ``["OK"]``, ``submit/report/`` -> 404,
``delete/report/{id}`` without the slash -> 500, ``report_file_id`` in a PUT -> 500, v1 -> 410.
Seed data mirror the backend's demo fixtures (agency ACQUIN = deqar_id 21, institutions
DEQARINST0001..3, activities 1-8).
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import re
import secrets
from dataclasses import dataclass
from typing import Any

from tests.fake_http import Reply, Request

CSV_LINE_LIMIT = 10_000_000  # contract 1.8: "10 MB per request or CSV line"

AUTH_MISSING = {"detail": "Authentication credentials were not provided."}
AUTH_INVALID = {"detail": "Invalid token."}
REQUIRED = "This field is required."
LANGUAGES = {
    "en": "English",
    "eng": "English",
    "de": "German",
    "ger": "German",
    "fr": "French",
    "fre": "French",
    "ru": "Russian",
    "rus": "Russian",
    "es": "Spanish",
    "spa": "Spanish",
    "it": "Italian",
    "ita": "Italian",
    "pl": "Polish",
    "pol": "Polish",
    "cy": "Welsh",
    "wel": "Welsh",
    "bg": "Bulgarian",
    "bul": "Bulgarian",
    "ga": "Irish",
    "gle": "Irish",
    "el": "Greek",
    "gre": "Greek",
}
STATUS = {"1": "part of obligatory EQA system", "2": "voluntary"}
DECISION = {
    "1": "positive",
    "2": "positive with conditions or restrictions",
    "3": "negative",
    "4": "not applicable",
}
QF_EHEA = {"0": "short cycle", "1": "first cycle", "2": "second cycle", "3": "third cycle"}
ASSESSMENT = {
    "1": "Attendance certificate",
    "2": "Assessment based certificate",
    "3": "No assessment and no certificate",
}
FULL, NOT_FULL = (1, "1", "yes", "full degree"), (2, "2", "no", "no full degree")


def too_long(limit: int) -> str:
    """DRF's ``max_length`` message."""
    return f"Ensure this field has no more than {limit} characters."


@dataclass
class Agency:
    pk: int
    deqar_id: int
    acronym: str
    name: str
    users: tuple[str, ...]


@dataclass
class Activity:
    id: int
    group_id: int
    agency: str
    activity: str
    activity_type: str


@dataclass
class Institution:
    id: int
    deqar_id: str
    eter_id: str | None
    name_primary: str
    website_link: str = ""
    is_other_provider: bool = False


def demo_agencies() -> list[Agency]:
    return [
        Agency(5, 21, "ACQUIN", "Accreditation, Certification and Quality Assurance Institute", ("acquin",)),
        Agency(7, 37, "EKKA", "Estonian Quality Agency for Education", ("ekka",)),
    ]


def demo_activities() -> list[Activity]:
    return [
        Activity(2, 2, "ACQUIN", "Programme Accreditation in Germany", "institutional"),
        Activity(3, 3, "ACQUIN", "Joint Programme Accreditation in Germany", "joint programme"),
        Activity(1, 1, "ACQUIN", "System Accreditation in Germany", "programme"),
        Activity(4, 4, "ACQUIN", "Institutional Audit", "institutional/programme"),
        Activity(5, 5, "EKKA", "Institutional accreditation", "institutional"),
        Activity(6, 6, "EKKA", "Programme assessment", "programme"),
        Activity(7, 7, "EKKA", "Joint programme review", "joint programme"),
        Activity(8, 8, "ACQUIN", "Certification of continuing education", "programme"),
    ]


def demo_institutions() -> list[Institution]:
    return [
        Institution(1, "DEQARINST0001", "DE0394", "Hochschule für Musik Example", "https://hfm.example"),
        Institution(
            2, "DEQARINST0002", None, "Example University of Applied Sciences", "https://uas.example"
        ),
        Institution(
            3,
            "DEQARINST0003",
            "DE0392",
            "Hessische Hochschule für Polizei und Verwaltung",
            "https://www.hfpv.de",
        ),
    ]


class DeqarFake:
    """The application: ``__call__(Request) -> Reply``."""

    def __init__(
        self,
        passwords: dict[str, str],
        *,
        stamp: str = "20261125_1811",
        today: dt.date = dt.date(2026, 11, 25),
        base_url: str = "",
    ) -> None:
        self.passwords = passwords
        self.stamp, self.today, self.base_url = stamp, today, base_url
        self.agencies = demo_agencies()
        self.activities = demo_activities()
        self.institutions = demo_institutions()
        self.institution_records: dict[str, dict[str, Any]] = {}  # eter_id -> Web API record
        self.tokens: dict[str, str] = {}
        self.reports: dict[int, dict[str, Any]] = {}
        self.next_report, self.next_file, self.next_programme = 12, 2, 1

    # ------------------------------------------------------------------ routing

    def __call__(self, req: Request) -> Reply:
        path = req.path
        if path.startswith("/submissionapi/v1/"):
            return Reply.json(
                410,
                {
                    "detail": "Submission API v1 endpoints are closed. From April 6, 2026, "
                    "please use Submission API v2 endpoints."
                },
            )
        if path == "/accounts/get_token/":
            return self._token(req) if req.method == "POST" else self._not_allowed(req)
        routes = {
            "/accounts/get_new_token/": self._rotate,
            "/submissionapi/v2/submit/report": self._report,
            "/submissionapi/v2/check/local-identifier": self._check,
            "/submissionapi/v2/manage/report-file": self._report_file,
            "/submissionapi/v2/submit/csv": self._csv,
            "/connectapi/v1/activities/": self._activities,
            "/webapi/v2/browse/agencies/": self._agencies,
        }
        handler = routes.get(path)
        match = re.fullmatch(r"/submissionapi/v2/delete/report/(\d+)(/?)", path)
        if (
            handler is None
            and match is None
            and not re.fullmatch(
                r"/(webapi/v2/browse/(reports/\d+|institutions/by-eter/\w+)/|connectapi/v1/providers/by-eter/\w+)",
                path,
            )
        ):
            return Reply.html(
                404, "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"
            )
        user = self._authenticate(req)
        if isinstance(user, Reply):
            return user
        if match is not None:
            if not match.group(2):
                return Reply.html(500, "<h1>Server Error (500)</h1>")
            return (
                self._delete(req, int(match.group(1))) if req.method == "DELETE" else self._not_allowed(req)
            )
        if handler is not None:
            return handler(req, user)
        return self._lookup(req)

    @staticmethod
    def _not_allowed(req: Request) -> Reply:
        return Reply.json(405, {"detail": f'Method "{req.method}" not allowed.'})

    def _authenticate(self, req: Request) -> str | Reply:
        """DRF ``TokenAuthentication`` with keyword ``Bearer`` (matched case-insensitively)."""
        parts = (req.header("Authorization") or "").split()
        if not parts or parts[0].lower() != "bearer":
            return Reply.json(403, AUTH_MISSING)
        if len(parts) == 1:
            return Reply.json(403, {"detail": "Invalid token header. No credentials provided."})
        if len(parts) > 2:
            return Reply.json(
                403, {"detail": "Invalid token header. Token string should not contain spaces."}
            )
        user = self.tokens.get(parts[1])
        return user if user is not None else Reply.json(403, AUTH_INVALID)

    def _token(self, req: Request) -> Reply:
        data = self._body(req)
        if not isinstance(data, dict):
            data = {}
        username, password = data.get("username"), data.get("password")
        if username not in self.passwords or self.passwords[username] != password:
            return Reply.json(
                401, {"state": "error", "errorMessage": "Unable to log in with provided credentials."}
            )
        token = next((t for t, u in self.tokens.items() if u == username), None) or secrets.token_hex(20)
        self.tokens[token] = username
        return Reply.json(200, {"state": "success", "token": token, "account": username})

    def _rotate(self, req: Request, user: str) -> Reply:
        if req.method != "POST":
            return self._not_allowed(req)
        for token in [t for t, u in self.tokens.items() if u == user]:
            del self.tokens[token]
        token = secrets.token_hex(20)
        self.tokens[token] = user
        return Reply.json(200, {"state": "success", "token": token, "account": user})

    @staticmethod
    def _body(req: Request) -> Any:
        ctype = req.header("Content-Type") or ""
        if "json" in ctype:
            return req.json()
        if "form" in ctype:
            from urllib.parse import parse_qs

            return {k: v[-1] for k, v in parse_qs(req.body.decode()).items()}
        return None

    # ------------------------------------------------------------------ lookups of seed data

    def agency_of(self, value: Any) -> Agency | None:
        if not isinstance(value, str):
            return None
        for agency in self.agencies:
            if value.strip().lower() == agency.acronym.lower() or value.strip() == str(agency.deqar_id):
                return agency
        return None

    def _institution(self, ref: dict[str, Any]) -> Institution | str:
        if ref.get("deqar_id"):
            found = next((i for i in self.institutions if i.deqar_id == ref["deqar_id"]), None)
            return found or "Please provide valid DEQAR ID."
        if ref.get("eter_id"):
            found = next((i for i in self.institutions if i.eter_id == ref["eter_id"]), None)
            return found or "Please provide valid ETER ID."
        if ref.get("identifier"):
            return "Please provide valid Institution identifier."
        return "Please provide at least one of deqar_id, eter_id or identifier."

    # ------------------------------------------------------------------ validation

    def validate(self, data: Any, user: str, method: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(errors, cleaned) following the serializer: field errors first, then cross-field rules."""
        if not isinstance(data, dict):
            return {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}, {}
        errors: dict[str, Any] = {}
        clean: dict[str, Any] = {}

        def string(key: str, required: bool = False, max_length: int | None = None) -> str | None:
            value = data.get(key)
            if value is None:
                if required:
                    errors[key] = [REQUIRED]
                return None
            if not isinstance(value, str):
                errors[key] = [f"Incorrect type. Expected a string, but got {type(value).__name__}"]
                return None
            if max_length and len(value) > max_length:
                errors[key] = [f"Ensure this field has no more than {max_length} characters."]
            return value

        agency_text = string("agency", required=True)
        agency = self.agency_of(agency_text) if agency_text is not None else None
        if agency_text is not None and agency is None:
            errors["agency"] = ["Please provide valid Agency Acronym."]
        elif agency is not None and user not in agency.users:
            errors["agency"] = ["You can't submit data to this Agency."]
        for key, table in (("status", STATUS), ("decision", DECISION)):
            value = string(key, required=True)
            if value is not None:
                code = (
                    value
                    if value in table
                    else next((c for c, n in table.items() if n.lower() == value.lower()), None)
                )
                if code is None:
                    errors[key] = [f"Please provide valid {key}."]
                clean[key] = code
        string("report_id")
        string("local_identifier", max_length=255)
        string("valid_from", required=True, max_length=20)
        string("valid_to", max_length=20)
        string("date_format", required=True)
        string("summary")
        activities = data.get("activities")
        if not activities:
            errors["activities"] = [REQUIRED]
        else:
            act_errors, acts = [], []
            for item in activities:
                if agency is None and agency_text is not None:
                    act_errors.append(["Please provide valid Agency Acronym."])
                    continue
                found = None
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    found = [a for a in self.activities if str(a.id) == item["id"]]
                elif isinstance(item, dict) and isinstance(item.get("group"), str):
                    found = [
                        a
                        for a in self.activities
                        if str(a.group_id) == item["group"] and agency and a.agency == agency.acronym
                    ]
                if not found:
                    act_errors.append(["Please provide valid ESG Activity."])
                else:
                    act_errors.append([])
                    acts.extend(found)
            if any(act_errors):
                errors["activities"] = act_errors
            clean["activities"] = acts
        files_errors, files = [], []
        for item in data.get("report_files") or []:
            ferr: dict[str, Any] = {}
            langs = item.get("report_language") or []
            bad = {
                str(i): ["Please provide valid language code."]
                for i, lang in enumerate(langs)
                if not isinstance(lang, str) or lang.lower() not in LANGUAGES
            }
            if not langs:
                ferr["report_language"] = [REQUIRED]
            elif bad:
                ferr["report_language"] = bad
            if len(str(item.get("original_location") or "")) > 500:
                ferr["original_location"] = [too_long(500)]
            if item.get("file") and item.get("original_location"):
                ferr["non_field_errors"] = ["You cannot submit both a file and an original_location URL."]
            elif item.get("file"):
                try:
                    content = base64.b64decode(item["file"], validate=True)
                except (binascii.Error, ValueError):
                    content = b""
                if not content.startswith(b"%PDF-"):
                    ferr["file"] = ["File is not a valid pdf file"]
            files_errors.append(ferr)
            files.append(item)
        if any(files_errors):
            errors["report_files"] = files_errors
        link_errors = [
            {"link": [too_long(255)]} if len(str(link.get("link") or "")) > 255 else {}
            for link in data.get("report_links") or []
        ]
        if any(link_errors):
            errors["report_links"] = link_errors
        institutions = data.get("institutions")
        if not institutions:
            errors["institutions"] = [REQUIRED]
        else:
            inst_errors, insts = [], []
            for ref in institutions:
                found = self._institution(ref if isinstance(ref, dict) else {})
                if isinstance(found, str):
                    inst_errors.append([found])
                else:
                    inst_errors.append([])
                    insts.append(found)
            if any(inst_errors):
                errors["institutions"] = inst_errors
            clean["institutions"] = insts
        prog_errors = []
        for prog in data.get("programmes") or []:
            perr: dict[str, Any] = {}
            if not prog.get("name_primary"):
                perr["name_primary"] = [REQUIRED]
            elif len(prog["name_primary"]) > 255:
                perr["name_primary"] = [too_long(255)]
            ident_errors = [
                {"identifier": [too_long(50)]} if len(str(i.get("identifier") or "")) > 50 else {}
                for i in prog.get("identifiers") or []
            ]
            if any(ident_errors):
                perr["identifiers"] = ident_errors
            level = prog.get("qf_ehea_level")
            if level is None:
                perr["qf_ehea_level"] = [REQUIRED]
            elif not isinstance(level, str):
                perr["qf_ehea_level"] = [f"Incorrect type. Expected a string, but got {type(level).__name__}"]
            elif level not in QF_EHEA and level.lower() not in QF_EHEA.values():
                perr["qf_ehea_level"] = ["Please provide valid QF-EHEA level."]
            outcome = prog.get("degree_outcome")
            if outcome is None:
                perr["degree_outcome"] = [REQUIRED]
            elif outcome not in FULL and outcome not in NOT_FULL:
                perr["degree_outcome"] = ["Please provide valid degree outcome."]
            elif outcome in NOT_FULL:
                if prog.get("workload_ects") in (None, ""):
                    perr["workload_ects"] = [
                        "ECTS credits are required, when degree_outcome field is '2 / no full degree'"
                    ]
                if prog.get("assessment_certification") in (None, ""):
                    perr["assessment_certification"] = [
                        "Assessment information is required, when degree_outcome field is "
                        "'2 / no full degree'."
                    ]
            prog_errors.append(perr)
        if any(prog_errors):
            errors["programmes"] = prog_errors
        if errors:
            return errors, clean
        return self._cross_field(data, clean, agency, method), clean

    def _cross_field(
        self, data: dict[str, Any], clean: dict[str, Any], agency: Agency | None, method: str
    ) -> dict[str, Any]:
        def fail(message: str) -> dict[str, Any]:
            return {"non_field_errors": [message]}

        assert agency is not None
        if method == "POST" and data.get("report_id"):
            return fail(
                "You submitted a report_id. To update an existing report, please use a PUT or PATCH "
                "request instead of a POST."
            )
        if method == "PUT":
            target = None
            if data.get("local_identifier"):
                target = self.find_local(agency, data["local_identifier"])
                if target is None:
                    return fail("Please provide a valid local identifier.")
            if data.get("report_id"):
                by_id = self.reports.get(int(data["report_id"])) if data["report_id"].isdigit() else None
                if by_id is None:
                    return fail("Please provide a valid report ID.")
                if target is not None and target["id"] != by_id["id"]:
                    return fail("The submitted report_id and local_identifier point to different reports.")
                target = by_id
            if target is None:
                return fail("Either report_id or local_identifier is needed to update a report.")
            clean["target"] = target["id"]
        try:
            start = dt.datetime.strptime(data["valid_from"], data["date_format"]).date()
            end = (
                dt.datetime.strptime(data["valid_to"], data["date_format"]).date()
                if data.get("valid_to")
                else None
            )
        except ValueError:
            return fail("Date format string is not applicable to the submitted date.")
        if end is not None and end <= start:
            return fail("Report's validity start should be earlier then validity end.")
        clean["valid_from"], clean["valid_to"] = start, end
        types = {a.activity_type for a in clean["activities"]}
        count, programmes = len(clean["institutions"]), data.get("programmes") or []
        if "institutional" in types and programmes:
            return fail("No programme records should be submitted for an institutional activity.")
        if types & {"programme", "institutional/programme"} and (count != 1 or not programmes):
            return fail(
                "Exactly one institution and at least one programme are required for a programme activity."
            )
        if "joint programme" in types and (count < 2 or not programmes):
            return fail(
                "At least two institutions and one programme are required for a joint programme activity."
            )
        return {}

    def find_local(self, agency: Agency, local_identifier: str) -> dict[str, Any] | None:
        return next(
            (
                r
                for r in self.reports.values()
                if r["agency"] == agency.acronym and r["local_identifier"] == local_identifier
            ),
            None,
        )

    # ------------------------------------------------------------------ saving and rendering

    def _new_file(self, report: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        file_id, self.next_file = self.next_file, self.next_file + 1
        langs = [LANGUAGES[str(lang).lower()] for lang in item.get("report_language") or []]
        if item.get("file"):
            year = report["valid_from"].year
            path = f"/reports/{report['agency']}/{year}/{report['id']}/{self.stamp}_{item.get('file_name')}"
            return {
                "id": file_id,
                "file_display_name": item.get("file_name"),
                "file_original_location": "",
                "file": path,
                "report_language": langs,
            }
        return {
            "id": file_id,
            "file_display_name": item.get("display_name"),
            "file_original_location": item.get("original_location"),
            "file": None,
            "report_language": langs,
        }

    def _new_programme(self, prog: dict[str, Any]) -> dict[str, Any]:
        prog_id, self.next_programme = self.next_programme, self.next_programme + 1
        level = prog["qf_ehea_level"]
        return {
            "id": prog_id,
            "name_primary": prog["name_primary"],
            "qualification_primary": prog.get("qualification_primary"),
            "countries": [],  # recorded: submitted countries do not come back
            "degree_outcome": "Full degree" if prog["degree_outcome"] in FULL else "No full degree",
            "qf_ehea_level": QF_EHEA.get(level, str(level).lower()),
            "nqf_level": prog.get("nqf_level") or "",
            "workload_ects": int(prog["workload_ects"])
            if prog.get("workload_ects") not in (None, "")
            else None,
            "assessment_certification": ASSESSMENT.get(
                str(prog.get("assessment_certification")), prog.get("assessment_certification")
            ),
            "field_study": self._field_study(prog.get("field_study")),
            "learning_outcomes": list(prog.get("learning_outcomes") or []),
            "learning_outcome_description": prog.get("learning_outcome_description"),
            "identifiers": list(prog.get("identifiers") or []),
        }

    @staticmethod
    def _field_study(value: Any) -> str | None:
        if not value:
            return None
        return value if str(value).startswith("http") else f"http://data.europa.eu/esco/isced-f/{value}"

    def save(
        self,
        data: dict[str, Any],
        clean: dict[str, Any],
        *,
        report_id: int | None = None,
        keep_files: bool = False,
    ) -> dict[str, Any]:
        agency = self.agency_of(data["agency"])
        assert agency is not None
        old = self.reports.get(report_id) if report_id is not None else None
        if report_id is None:
            report_id, self.next_report = self.next_report, self.next_report + 1
        report: dict[str, Any] = {
            "id": report_id,
            "agency": agency.acronym,
            "contributing_agencies": list(data.get("contributing_agencies") or []),
            "local_identifier": data.get("local_identifier"),
            "activities": clean["activities"],
            "status": STATUS[clean["status"]],
            "decision": DECISION[clean["decision"]],
            "summary": data.get("summary"),
            "valid_from": clean["valid_from"],
            "valid_to": clean["valid_to"],
            "institutions": clean["institutions"],
            "report_links": list(data.get("report_links") or []),
            "other_comment": data.get("other_comment"),
            "flag": old["flag"] if old else "none",
            "flag_messages": [],
        }
        self.reports[report_id] = report
        if keep_files and old is not None:
            report["files"] = old["files"]
        else:
            report["files"] = [self._new_file(report, item) for item in data.get("report_files") or []]
        report["programmes"] = [self._new_programme(p) for p in data.get("programmes") or []]
        if not report["files"]:
            report["flag"], report["flag_messages"] = (
                "high level",
                ["No report file is available for this report."],
            )
        return report

    def render(self, report: dict[str, Any]) -> dict[str, Any]:
        agency = self.agency_of(report["agency"])
        assert agency is not None
        return {
            "id": report["id"],
            "agency": f"{agency.acronym} - {agency.name}",
            "contributing_agencies": report["contributing_agencies"],
            "local_identifier": report["local_identifier"],
            "agency_esg_activities": [
                {"id": a.id, "group_id": a.group_id, "activity": a.activity, "activity_type": a.activity_type}
                for a in report["activities"]
            ],
            "status": report["status"],
            "decision": report["decision"],
            "summary": report["summary"],
            "valid_from": report["valid_from"].isoformat(),
            "valid_to": report["valid_to"].isoformat() if report["valid_to"] else None,
            "files": [dict(f) for f in report["files"]],
            "institutions": [
                {"id": i.id, "deqar_id": i.deqar_id, "name_primary": i.name_primary}
                for i in report["institutions"]
            ],
            "platforms": [],
            "programmes": [
                {
                    "id": p["id"],
                    "name_primary": p["name_primary"],
                    "countries": p["countries"],
                    "degree_outcome": p["degree_outcome"],
                }
                for p in report["programmes"]
            ],
        }

    def _success(self, report: dict[str, Any]) -> dict[str, Any]:
        warnings = report["flag_messages"]
        return {
            "sanity_check_status": "warnings" if warnings else "success",
            "report_flag": report["flag"],
            "report_warnings": list(warnings),
            "institution_warnings": [],
        }

    # ------------------------------------------------------------------ endpoints

    def _report(self, req: Request, user: str) -> Reply:
        if req.method not in ("POST", "PUT"):
            return self._not_allowed(req)
        try:
            data = req.json()
        except ValueError as exc:
            return Reply.json(400, {"detail": f"JSON parse error - {exc}"})
        if req.method == "PUT":
            for item in (data.get("report_files") or []) if isinstance(data, dict) else []:
                if "report_file_id" in item:  # the recorded TypeError in report_populator.py
                    return Reply.html(500, "<h1>Server Error (500)</h1>")
        errors, clean = self.validate(data, user, req.method)
        if errors:
            return Reply.json(400, {"submission_status": "errors", "original_data": data, "errors": errors})
        if req.method == "POST":
            agency = self.agency_of(data["agency"])
            assert agency is not None
            if data.get("local_identifier") and self.find_local(agency, data["local_identifier"]):
                return Reply.json(
                    400,
                    {
                        "non_field_errors": [
                            "Report with this Agency and Local Report Identifier already exists."
                        ]
                    },
                )
            report = self.save(data, clean)
        else:
            report = self.save(data, clean, report_id=clean["target"])
        return Reply.json(
            200,
            {
                "submission_status": "success",
                "submitted_report": self.render(report),
                **self._success(report),
            },
        )

    def _check(self, req: Request, user: str) -> Reply:
        if req.method != "GET":
            return self._not_allowed(req)
        if not req.query.get("local_identifier"):
            return Reply.json(400, {"local_identifier": [REQUIRED]})
        agency = self.agency_of(req.query.get("agency", ""))
        report = self.find_local(agency, req.query["local_identifier"]) if agency else None
        if report is None:
            return Reply.json(404, "Not Found")
        return Reply.json(200, self.render(report))

    def _delete(self, req: Request, report_id: int) -> Reply:
        report = self.reports.get(report_id)
        if report is None:
            return Reply.json(404, {"detail": "No Report matches the given query."})
        report["flag"] = "high level"
        report["flag_messages"] = ["Deletion was requested."]
        return Reply.json(200, ["OK"])

    def _report_file(self, req: Request, user: str) -> Reply:
        data = req.json() or {}
        if req.method == "POST":
            report = self.reports.get(int(data.get("report_id") or 0))
            if report is None:
                return Reply.json(400, {"report_id": ["Please provide a valid report ID."]})
            if user not in self.agency_of(report["agency"]).users:  # type: ignore[union-attr]
                return Reply.json(403, {"error": "You can't manage files of this report."})
            report["files"].append(self._new_file(report, data))
            return Reply.json(200, "success")
        owner = next(
            (
                (r, f)
                for r in self.reports.values()
                for f in r["files"]
                if f["id"] == data.get("report_file_id")
            ),
            None,
        )
        if owner is None:
            return Reply.json(400, {"report_file_id": ["Please provide a valid report file ID."]})
        report, current = owner
        if req.method == "PUT":
            fresh = self._new_file(report, data)
            self.next_file -= 1
            fresh["id"] = current["id"]
            report["files"][report["files"].index(current)] = fresh
            return Reply.json(200, "success")
        if req.method == "DELETE":
            if len(report["files"]) == 1:
                return Reply.json(
                    400,
                    {"error": "You can't delete the last file of a report. Please submit a new file first."},
                )
            report["files"].remove(current)
            return Reply.json(200, "deleted")
        return self._not_allowed(req)

    def _csv(self, req: Request, user: str) -> Reply:
        if req.method != "POST":
            return self._not_allowed(req)
        if csv.field_size_limit() < CSV_LINE_LIMIT:  # an embedded PDF is one long cell
            csv.field_size_limit(CSV_LINE_LIMIT)
        rows = list(csv.DictReader(io.StringIO(req.body.decode("utf-8-sig"))))
        results = []
        for row in rows:
            data = csv_row_to_report(row)
            agency = self.agency_of(data.get("agency"))
            existing = None
            if agency is not None and data.get("local_identifier"):
                existing = self.find_local(agency, data["local_identifier"])
            errors, clean = self.validate(data, user, "PUT" if existing else "POST")
            if errors:
                results.append(
                    {"report": None, "submission_status": "errors", "original_data": {}, "errors": errors}
                )
                continue
            report = self.save(data, clean, report_id=existing["id"] if existing else None, keep_files=True)
            results.append(
                {
                    "agency": agency.deqar_id if agency else None,
                    "report": report["id"],
                    "submission_status": "success",
                    "submitted_report": {"report_id": report["id"]},
                    **self._success(report),
                }
            )
        return Reply.json(200, results)

    def _activities(self, req: Request, user: str) -> Reply:
        limit, offset = int(req.query.get("limit", 10)), int(req.query.get("offset", 0))
        page = self.activities[offset : offset + limit]
        base = f"{self.base_url}/connectapi/v1/activities/"
        nxt = (
            f"{base}?limit={limit}&offset={offset + limit}" if offset + limit < len(self.activities) else None
        )
        prev = (
            None
            if offset == 0
            else f"{base}?limit={limit}" + (f"&offset={max(0, offset - limit)}" if offset - limit > 0 else "")
        )
        return Reply.json(
            200,
            {
                "count": len(self.activities),
                "next": nxt,
                "previous": prev,
                "results": [
                    {
                        "id": a.id,
                        "group_id": a.group_id,
                        "agency": a.agency,
                        "activity": a.activity,
                        "activity_type": a.activity_type,
                        "activity_description": "",
                    }
                    for a in page
                ],
            },
        )

    def _agencies(self, req: Request, user: str) -> Reply:
        """Web API v2 ``agencies_list`` (swagger ``AgencyList``), paginated by limit / offset; the
        detail path takes the agency's pk, not its deqar_id."""
        limit, offset = int(req.query.get("limit", 10)), int(req.query.get("offset", 0))
        page = self.agencies[offset : offset + limit]
        base = f"{self.base_url}/webapi/v2/browse/agencies/"
        more = offset + limit < len(self.agencies)
        return Reply.json(200, {
            "count": len(self.agencies),
            "next": f"{base}?limit={limit}&offset={offset + limit}" if more else None,
            "previous": None if offset == 0 else f"{base}?limit={limit}&offset={max(0, offset - limit)}",
            "results": [{
                "id": a.pk, "url": f"{base}{a.pk}/", "deqar_id": a.deqar_id, "name_primary": a.name,
                "acronym_primary": a.acronym, "logo": None,
                "country": {"id": 64, "url": f"{self.base_url}/webapi/v2/browse/countries/64/",
                            "name_english": "Germany", "iso_3166_alpha2": "DE", "iso_3166_alpha3": "DEU"},
                "activities": [{"id": v.id, "group_id": v.group_id, "activity": v.activity,
                                "activity_description": "", "reports_link": None,
                                "activity_type": v.activity_type, "activity_valid_to": None}
                               for v in self.activities if v.agency == a.acronym],
                "registration_start": "2009-01-01", "registration_valid_to": "2029-01-31",
                "registration_note": "", "institution_count": "0", "report_count": str(len(self.reports)),
            } for a in page],
        })

    def _lookup(self, req: Request) -> Reply:
        eter = re.search(r"by-eter/(\w+)", req.path)
        if eter:
            record = self.institution_records.get(eter.group(1))
            found = next((i for i in self.institutions if i.eter_id == eter.group(1)), None)
            if record is None and found is not None:
                record = {
                    "id": found.id,
                    "eter_id": found.eter_id,
                    "identifiers": [],
                    "website_link": found.website_link,
                    "names": [{"name_official": found.name_primary}],
                    "is_other_provider": found.is_other_provider,
                }
            return Reply.json(200, record) if record else Reply.json(404, {"detail": "Not found."})
        match = re.search(r"reports/(\d+)/", req.path)
        report = self.reports.get(int(match.group(1))) if match else None
        return (
            Reply.json(200, self.report_detail(report))
            if report
            else Reply.json(404, {"detail": "Not found."})
        )

    def report_detail(self, report: dict[str, Any]) -> dict[str, Any]:
        agency = self.agency_of(report["agency"])
        assert agency is not None
        acts = report["activities"]
        end = report["valid_to"] or report["valid_from"].replace(year=report["valid_from"].year + 6)
        return {
            "id": report["id"],
            "agency_name": agency.name,
            "agency_acronym": agency.acronym,
            "agency_id": agency.pk,
            "agency_url": f"{self.base_url}/webapi/v2/browse/agencies/{agency.pk}/",
            "contributing_agencies": report["contributing_agencies"],
            "agency_esg_activity": acts[0].activity,
            "agency_esg_activity_type": acts[0].activity_type,
            "agency_esg_activities": [
                {
                    "id": a.id,
                    "group_id": a.group_id,
                    "activity": a.activity,
                    "activity_description": "",
                    "reports_link": None,
                    "activity_type": a.activity_type,
                    "activity_valid_to": None,
                }
                for a in acts
            ],
            "institutions": [
                {
                    "id": i.id,
                    "deqar_id": i.deqar_id,
                    "name_primary": i.name_primary,
                    "website_link": i.website_link,
                    "is_other_provider": i.is_other_provider,
                }
                for i in report["institutions"]
            ],
            "institutions_hierarchical": [],
            "institutions_historical": [],
            "programmes": [
                {
                    "id": p["id"],
                    "name_primary": p["name_primary"],
                    "programme_names": [
                        {
                            "name": p["name_primary"],
                            "name_is_primary": True,
                            "qualification": p["qualification_primary"],
                        }
                    ],
                    "programme_identifiers": p["identifiers"],
                    "nqf_level": p["nqf_level"],
                    "qf_ehea_level": p["qf_ehea_level"],
                    "countries": p["countries"],
                    "programme_type": (
                        "Full degree"
                        if p["degree_outcome"] == "Full degree"
                        else "Micro-credential"
                        if (p["workload_ects"] or 0) < 60
                        else "Other provision"
                    ),
                    "degree_outcome": {
                        "id": 1 if p["degree_outcome"] == "Full degree" else 2,
                        "outcome": p["degree_outcome"],
                    },
                    "workload_ects": p["workload_ects"],
                    "assessment_certification": p["assessment_certification"],
                    "field_study": p["field_study"],
                    "learning_outcomes": [{"learning_outcome_esco": uri} for uri in p["learning_outcomes"]],
                    "learning_outcome_description": p["learning_outcome_description"],
                }
                for p in report["programmes"]
            ],
            "platforms": [],
            "report_valid": end >= self.today,
            "valid_from": report["valid_from"].isoformat(),
            "valid_to": report["valid_to"].isoformat() if report["valid_to"] else None,
            "status": report["status"],
            "decision": report["decision"],
            "crossborder": True,
            "summary": report["summary"],
            "report_files": [
                {
                    "id": f["id"],
                    "file_display_name": f["file_display_name"],
                    "file": f"{self.base_url}{f['file']}" if f["file"] else None,
                    "languages": f["report_language"],
                }
                for f in report["files"]
            ],
            "report_links": [
                {"link_display_name": link.get("link_display_name"), "link": link["link"]}
                for link in report["report_links"]
            ],
            "local_identifier": report["local_identifier"],
            "other_comment": report["other_comment"],
            "flag": report["flag"],
        }


def csv_row_to_report(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row (template column names) as report JSON, as the register's CSV handler does."""
    data: dict[str, Any] = {}
    groups: dict[str, dict[int, dict[str, Any]]] = {}
    for column, raw in row.items():
        value = (raw or "").strip()
        if not value or column is None:
            continue
        match = re.fullmatch(r"(\w+)\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\])?", column.strip())
        if match is None:
            data[column.strip().lower()] = value
            continue
        group, index, sub, sub_index = match.group(1), int(match.group(2)), match.group(3), match.group(4)
        entry = groups.setdefault(group, {}).setdefault(index, {})
        if group in ("contributing_agencies", "link", "link_display_name"):
            entry["value"] = value
        elif sub_index is not None:
            entry.setdefault(sub, []).append(value)
        else:
            entry[sub or "value"] = value
    for group, target in (
        ("activities", "activities"),
        ("institution", "institutions"),
        ("platform", "platforms"),
    ):
        if group in groups:
            data[target] = [groups[group][i] for i in sorted(groups[group])]
    if "contributing_agencies" in groups:
        data["contributing_agencies"] = [
            v["value"] for _, v in sorted(groups["contributing_agencies"].items())
        ]
    if "file" in groups:
        data["report_files"] = [groups["file"][i] for i in sorted(groups["file"])]
    if "link" in groups:
        names = groups.get("link_display_name", {})
        data["report_links"] = [
            {"link": v["value"], "link_display_name": names.get(i, {}).get("value")}
            for i, v in sorted(groups["link"].items())
        ]
    programmes = []
    for _, prog in sorted(groups.get("programme", {}).items()):
        item = {
            k: v
            for k, v in prog.items()
            if k
            not in (
                "identifier",
                "country",
                "learning_outcome",
                "name_alternative",
                "qualification_alternative",
            )
        }
        if "identifier" in prog:
            item["identifiers"] = [{"identifier": v} for v in prog["identifier"]]
        if "country" in prog:
            item["countries"] = prog["country"]
        if "learning_outcome" in prog:
            item["learning_outcomes"] = prog["learning_outcome"]
        programmes.append(item)
    if programmes:
        data["programmes"] = programmes
    return data
