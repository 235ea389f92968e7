"""Helpers shared by the delivery tests: servers, PDFs, the transcript, JAdES-shaped documents."""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner, Result

from edcbridge.deliver.deqar_client import DeqarClient
from edcbridge.deliver.http import HttpClient, RetryPolicy
from tests.fake_deqar import DeqarFake
from tests.fake_http import FakeServer

PASSWORD = "Local-test-pw-2025"
PLACEHOLDER = re.compile(r"^<base64 PDF, (\d+) chars, truncated>$")


def pdf_b64(chars: int = 576) -> str:
    """A base64 PDF of exactly ``chars`` characters (``chars`` a multiple of 4)."""
    size = chars // 4 * 3
    content = b"%PDF-1.4\n%test\n"
    content += b"%" * (size - len(content) - 6) + b"%%EOF\n"
    return base64.b64encode(content).decode("ascii")


# A batch of institutional audits of hfpv by ACQUIN: its head, then a report per local identifier
# (AUDIT_REPORT.format(ident=...)).
AUDIT_HEAD = 'agency: ACQUIN\nactivities:\n  audit: {id: "2", type: institutional}\nreports:\n'
AUDIT_REPORT = """\
  - local_identifier: {ident}
    activities: [audit]
    status: voluntary
    decision: positive
    valid_from: 2024-06-01
    institutions: [hfpv]
    report_files: [{{original_location: "https://agency.example/{ident}.pdf", report_language: [en]}}]
"""


def transcript(reference: Path) -> list[dict[str, Any]]:
    data = json.loads((reference / "deqar" / "submission-v2-transcript.json").read_text("utf-8"))
    cases: list[dict[str, Any]] = data["cases"]
    return cases


def start_deqar(reference: Path | None = None) -> tuple[FakeServer, DeqarFake]:
    app = DeqarFake({"acquin": PASSWORD})
    server = FakeServer(app).start()
    app.base_url = server.base_url
    if reference is not None:  # Web API institution records as recorded
        for case in transcript(reference):
            if case["case"] == "webapi_institution_by_eter":
                body = case["response"]["body"]
                app.institution_records[body["eter_id"]] = body
    return server, app


def no_wait_policy(sleeps: list[float] | None = None, attempts: int = 5) -> RetryPolicy:
    """Retries without waiting; every wait asked for is recorded in ``sleeps``."""
    record = sleeps if sleeps is not None else []
    return RetryPolicy(attempts=attempts, base_delay=0.01, jitter=lambda d: d, sleep=record.append)


def deqar_client(
    server: FakeServer,
    password: str = PASSWORD,
    sleeps: list[float] | None = None,
    timeout: tuple[float, float] = (2.0, 5.0),
) -> DeqarClient:
    http = HttpClient(server.base_url, timeout=timeout, retry=no_wait_policy(sleeps), min_interval=0)
    return DeqarClient(http, "acquin", password)


def request_example(reference: Path, name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((reference / "deqar" / "request-examples" / name).read_text("utf-8"))
    body.pop("_comment", None)
    for item in body.get("report_files") or []:
        if isinstance(item.get("file"), str) and not item["file"].startswith("JVBER"):
            item["file"] = pdf_b64()
    return body


def programme_report(local_identifier: str, **changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "agency": "ACQUIN",
        "local_identifier": local_identifier,
        "activities": [{"id": "1"}],
        "status": "part of obligatory EQA system",
        "decision": "positive",
        "valid_from": "2015-01-15",
        "valid_to": "2021-01-15",
        "date_format": "%Y-%m-%d",
        "report_files": [
            {
                "original_location": "https://agency.example/files/report.pdf",
                "display_name": "Review report",
                "report_language": ["en"],
            }
        ],
        "institutions": [{"eter_id": "DE0392"}],
        "programmes": [
            {
                "identifiers": [{"identifier": "P-16"}],
                "name_primary": "Public Administration",
                "degree_outcome": "1",
                "qf_ehea_level": "first cycle",
            }
        ],
        "summary": "Programme accredited.",
    }
    report.update(changes)
    return report


def jades(credential: dict[str, Any]) -> bytes:
    """A JAdES-shaped JSON document around ``credential`` (structure only; not a real seal)."""
    header = base64.urlsafe_b64encode(b'{"alg":"ES256","typ":"jose"}').rstrip(b"=").decode()
    doc = {"payload": json.dumps(credential), "signatures": [{"protected": header, "signature": "c2ln"}]}
    return json.dumps(doc).encode("utf-8")


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


CATALOGUE = """\
primary_language: en
issuer: hfpv
organisations:
  hfpv:
    legal_name: {de: Hessische Hochschule für Polizei und Verwaltung}
    eidas_identifier: VATDE-123456789
    eter_id: DE0392
    country: DE
  acquin:
    legal_name: {en: ACQUIN}
    country: DE
quality_assurance:
  acq-2016:
    title: {en: ACQUIN certification of the data literacy micro-credential}
    type: program quality assurance
    agency: acquin
    report_url: https://agency.example/reports/mc
    issued: 2016-03-01
    expires: 2022-03-01
specifications:
  - code: DL01
    kind: micro-credential
    title: {en: Micro-credential in Data Literacy}
    learning_outcomes:
      - title: {en: Analyse and visualise data sets}
        esco_skills: [http://data.europa.eu/esco/skill/7c4fc5e4-10cc-4457-9038-77907fee1290]
    learning_outcome_summary: {en: Analyse and visualise data sets.}
    credits: 5
    eqf: 6
    isced_f: ["0613"]
    assessment: {title: {en: Project}}
  - code: DL02
    kind: micro-credential
    title: {en: Data Literacy without credits}
    eqf: 6
"""


def batch_text(count: int, *, bad: bool = False, summary: str = "Programme accredited.") -> str:
    """A DEQAR batch of ``count`` programme reports on the fake's institution DE0392 (via the
    catalogue key ``hfpv``) and, with ``bad``, one micro-credential without ECTS."""
    lines = ["agency: ACQUIN", "activities:", '  system: {id: "1", type: programme}', "reports:"]
    for number in range(1, count + 1):
        lines += [
            f"  - local_identifier: EDCB-{number:04d}",
            "    activities: [system]",
            "    status: part of obligatory EQA system",
            "    decision: positive",
            "    valid_from: 2016-03-01",
            f"    summary: {summary}",
            "    institutions: [hfpv]",
            "    programmes: [{specification: DL01}]",
            '    report_files: [{original_location: "https://agency.example/r.pdf", report_language: [en]}]',
        ]
    if bad:
        lines += [
            "  - local_identifier: EDCB-BAD",
            "    activities: [system]",
            "    status: voluntary",
            "    decision: positive",
            "    valid_from: 2016-03-01",
            "    institutions: [hfpv]",
            "    programmes: [{specification: DL02}]",
        ]
    return "\n".join(lines) + "\n"


def push_deqar_batch(tmp_path: Path, server: FakeServer, batch: str, *args: str) -> Result:
    """``push deqar`` of ``batch`` (with the test catalogue) against ``server``, logged in, into
    ``tmp_path/out``, through click as the main CLI registers it."""
    from edcbridge.deliver.cli import register

    (tmp_path / "catalogue.yaml").write_text(CATALOGUE, "utf-8")
    (tmp_path / "batch.yaml").write_text(batch, "utf-8")

    @click.group()
    def root() -> None:
        pass

    register(root)
    command = ["push", "deqar", str(tmp_path / "batch.yaml"), "-c", str(tmp_path / "catalogue.yaml")]
    env = {"EDCBRIDGE_DEQAR_URL": server.base_url, "EDCBRIDGE_DEQAR_USERNAME": "acquin",
           "EDCBRIDGE_DEQAR_PASSWORD": PASSWORD}
    return CliRunner().invoke(root, [*command, "-o", str(tmp_path / "out"), *args], env=env)
