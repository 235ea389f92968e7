"""Local validation with the register's rules and wording; mapping from the batch file and catalogue."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edcbridge.deliver.config import load_batch
from edcbridge.deliver.deqar_map import CSV_COLUMNS, build_payload, check_payload, report_problems, to_csv
from edcbridge.deliver.errors import DeliveryConfigError, LocalValidationError
from edcbridge.load import load_catalogue
from tests.deliver_support import CATALOGUE, pdf_b64, programme_report, request_example, transcript

BATCH = """\
agency: ACQUIN
activities:
  system: {id: "1", type: programme}
  institutional: {id: "2", type: institutional}
reports:
  - local_identifier: MC-1
    activities: [system]
    status: part of obligatory EQA system
    decision: positive
    quality_assurance: acq-2016
    institutions: [hfpv]
    programmes: [{specification: DL01, countries: [DE]}]
    report_files:
      - {original_location: "https://agency.example/files/mc.pdf", display_name: Report,
         report_language: [en]}
"""


@pytest.fixture
def catalogue_path(tmp_path: Path) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(CATALOGUE, "utf-8")
    return path


def _batch(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "batch.yaml"
    path.write_text(text, "utf-8")
    return path


def messages(problems: list[tuple[str, str]]) -> set[str]:
    return {m for _, m in problems}


def test_batch_maps_to_the_register_json(tmp_path: Path, catalogue_path: Path) -> None:
    batch = load_batch(_batch(tmp_path, BATCH))
    payload = build_payload(batch.reports[0], batch, load_catalogue(catalogue_path), tmp_path)
    assert payload["status"] == "1" and payload["decision"] == "1"
    assert (payload["valid_from"], payload["valid_to"], payload["date_format"]) == (
        "2016-03-01",
        "2022-03-01",
        "%Y-%m-%d",
    )
    assert payload["institutions"] == [{"eter_id": "DE0392"}]
    assert payload["activities"] == [{"id": "1"}]
    assert payload["report_links"] == [
        {
            "link": "https://agency.example/reports/mc",
            "link_display_name": "ACQUIN certification of the data literacy micro-credential",
        }
    ]
    assert payload["programmes"] == [
        {
            "name_primary": "Micro-credential in Data Literacy",
            "workload_ects": 5,
            "qf_ehea_level": "1",
            "degree_outcome": "2",
            "assessment_certification": "2",
            "learning_outcomes": ["http://data.europa.eu/esco/skill/7c4fc5e4-10cc-4457-9038-77907fee1290"],
            "learning_outcome_description": "Analyse and visualise data sets.",
            "field_study": "0613",
            "countries": ["DE"],
        }
    ]
    assert check_payload(payload, ["programme"]) == []


def _batch_problem(tmp_path: Path, text: str) -> str:
    """The message of the one problem ``load_batch`` finds in ``text``, its path made relative."""
    path = _batch(tmp_path, text)
    with pytest.raises(DeliveryConfigError) as caught:
        load_batch(path)
    head, _, problem = str(caught.value).partition("\n")
    assert head == f"{path}: the batch file has 1 problem(s):"
    return problem.replace(str(path), "batch.yaml")


def test_non_string_enum_in_the_batch_is_refused_with_the_register_wording(tmp_path: Path) -> None:
    text = BATCH.replace("status: part of obligatory EQA system", "status: 1")
    assert _batch_problem(tmp_path, text) == (
        "batch.yaml:8: field 'reports[0].status' = '1': Incorrect type. Expected a string, "
        'but got int\n    fix: write it in quotes: "1"'
    )


def test_unknown_enum_name_lists_the_choices(tmp_path: Path) -> None:
    assert _batch_problem(tmp_path, BATCH.replace("decision: positive", "decision: good")) == (
        "batch.yaml:9: field 'reports[0].decision' = 'good': 'good' is not a valid decision\n"
        '    fix: use one of "1" (positive), "2" (positive with conditions or restrictions), '
        '"3" (negative), "4" (not applicable)'
    )


def test_unknown_activity_key_is_reported(tmp_path: Path) -> None:
    assert _batch_problem(tmp_path, BATCH.replace("activities: [system]", "activities: [joint]")) == (
        "batch.yaml:7: field 'reports[0].activities[0]': 'joint' is not defined under the batch's "
        "activities\n    fix: use one of system, institutional, or define it there"
    )


def test_micro_credential_without_ects_is_refused_with_the_register_wording(
    tmp_path: Path, catalogue_path: Path
) -> None:
    batch = load_batch(_batch(tmp_path, BATCH.replace("specification: DL01", "specification: DL02")))
    payload = build_payload(batch.reports[0], batch, load_catalogue(catalogue_path), tmp_path)
    assert (
        "programmes[0].workload_ects",
        "ECTS credits are required, when degree_outcome field is '2 / no full degree'",
    ) in check_payload(payload)
    assert (
        "programmes[0].assessment_certification",
        "Assessment information is required, when degree_outcome field is '2 / no full degree'.",
    ) in check_payload(payload)


def test_unknown_institution_key_and_missing_ids(tmp_path: Path, catalogue_path: Path) -> None:
    catalogue = load_catalogue(catalogue_path)
    batch = load_batch(_batch(tmp_path, BATCH.replace("institutions: [hfpv]", "institutions: [hfvp]")))
    with pytest.raises(LocalValidationError, match="'hfvp' is not in the catalogue"):
        build_payload(batch.reports[0], batch, catalogue, tmp_path)
    batch = load_batch(_batch(tmp_path, BATCH.replace("institutions: [hfpv]", "institutions: [acquin]")))
    with pytest.raises(LocalValidationError, match="neither deqar_id nor eter_id"):
        build_payload(batch.reports[0], batch, catalogue, tmp_path)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ({"eter_id": "ZZ9999"}, "Please provide valid ETER ID."),
        ({"eter_id": "DE-392"}, "Please provide valid ETER ID."),
        ({"deqar_id": "DEQARAGENCY0038"}, "Please provide valid DEQAR ID."),
    ],
)
def test_malformed_institution_ids(ref: dict[str, str], message: str) -> None:
    assert ("institutions[0]", message) in check_payload(programme_report("x", institutions=[ref]))


def test_local_pdf_is_embedded_and_non_pdf_refused(tmp_path: Path, catalogue_path: Path) -> None:
    import base64

    (tmp_path / "mc.pdf").write_bytes(base64.b64decode(pdf_b64()))
    (tmp_path / "notes.pdf").write_bytes(b"hello world, not a pdf")
    text = BATCH.replace(
        '{original_location: "https://agency.example/files/mc.pdf", display_name: Report,', "{path: mc.pdf,"
    )
    batch = load_batch(_batch(tmp_path, text))
    payload = build_payload(batch.reports[0], batch, load_catalogue(catalogue_path), tmp_path)
    assert payload["report_files"][0]["file_name"] == "mc.pdf"
    assert check_payload(payload) == []
    batch = load_batch(_batch(tmp_path, text.replace("mc.pdf", "notes.pdf")))
    payload = build_payload(batch.reports[0], batch, load_catalogue(catalogue_path), tmp_path)
    assert check_payload(payload) == [("report_files[0].file", "File is not a valid pdf file")]


@pytest.mark.parametrize(
    ("types", "changes", "fragment"),
    [
        (["institutional"], {}, "No programme records"),
        (
            ["programme"],
            {"institutions": [{"eter_id": "DE0392"}, {"deqar_id": "DEQARINST0001"}]},
            "Exactly one institution",
        ),
        (["programme"], {"programmes": []}, "At least one programme record"),
        (["joint programme"], {}, "At least two institutions"),
        (
            ["institutional", "joint programme"],
            {"institutions": [{"eter_id": "DE0392"}, {"eter_id": "DE0394"}]},
            "No programme records",
        ),
    ],
)
def test_activity_type_rules(types: list[str], changes: dict[str, Any], fragment: str) -> None:
    problems = check_payload(programme_report("x", **changes), types)
    assert any(fragment in message for _, message in problems), problems


def test_activity_type_rules_pass_when_met() -> None:
    assert check_payload(programme_report("x"), ["programme"]) == []
    assert check_payload(programme_report("x", programmes=[]), ["institutional"]) == []


@pytest.mark.parametrize(
    "name",
    [
        "post-programme-report.json",
        "post-microcredential-report.json",
        "post-institutional-report.json",
        "post-other-provider-microcredential.json",
        "put-update-by-report-id.json",
    ],
)
def test_accepted_request_examples_pass_local_validation(reference: Path, name: str) -> None:
    assert check_payload(request_example(reference, name)) == []


def _recorded_rejections(reference: Path) -> list[dict[str, Any]]:
    return [
        c
        for c in transcript(reference)
        if c["request"]["path"] == "/submissionapi/v2/submit/report"
        and c["request"]["method"] == "POST"
        and c["response"]["status"] == 400
        and isinstance(c["response"]["body"], dict)
        and c["response"]["body"].get("submission_status") == "errors"
    ]


def test_recorded_rejections_are_caught_locally_with_the_same_words(reference: Path) -> None:
    """Every rule the register applied in the transcript that needs no register data is found here."""
    needs_register = {"post_agency_not_allowed"}  # whether an agency exists and who may submit for it
    cases = _recorded_rejections(reference)
    assert len(cases) >= 7
    from edcbridge.deliver.deqar_client import flatten_errors

    for case in cases:
        body = json.loads(
            json.dumps(case["request"]["body"]).replace(
                '"<base64 PDF, 576 chars, truncated>"', json.dumps(pdf_b64())
            )
        )
        local = set(check_payload(body))
        if "report_id" in body:
            assert case["case"] == "post_with_report_id"  # DeqarClient.create refuses it (tested there)
            continue
        recorded = {(e.path, e.message) for e in flatten_errors(case["response"]["body"]["errors"])}
        if case["case"] in needs_register:
            assert not local
            continue
        assert recorded <= local, case["case"]


def test_csv_follows_the_template(reference: Path) -> None:
    template = (reference / "deqar" / "csv-template-columns.csv").read_text("utf-8").strip().split(",")
    assert list(CSV_COLUMNS) == template
    report = request_example(reference, "post-microcredential-report.json")
    second = programme_report(
        "P-2",
        report_files=[
            {"original_location": "https://a.example/1.pdf", "report_language": ["en", "de"]},
            {"original_location": "https://a.example/2.pdf", "report_language": ["en"]},
        ],
    )
    text = to_csv([report, second])
    rows = list(csv.DictReader(io.StringIO(text)))
    header = text.splitlines()[0].split(",")
    assert set(template) <= set(header)
    assert header.index("file[2].original_location") > header.index("file[1].report_language[1]")
    assert header.index("file[1].report_language[2]") == header.index("file[1].report_language[1]") + 1
    assert rows[0]["programme[1].workload_ects"] == "5"
    assert rows[0]["programme[1].learning_outcome[1]"].startswith("http://data.europa.eu/esco/")
    assert rows[1]["local_identifier"] == "P-2"
    assert rows[1]["file[2].original_location"] == "https://a.example/2.pdf"


@pytest.mark.parametrize(
    "name",
    ["post-programme-report.json", "post-microcredential-report.json", "post-institutional-report.json"],
)
def test_csv_rows_read_back_as_the_same_reports(reference: Path, name: str) -> None:
    """The CSV layout, read the way the register's CSV handler reads it, gives the JSON report back."""
    from tests.fake_deqar import csv_row_to_report

    report = request_example(reference, name)
    (row,) = csv.DictReader(io.StringIO(to_csv([report])))
    back = csv_row_to_report(row)
    expected = json.loads(json.dumps(report), parse_int=str)  # CSV cells are text
    for programme in expected.get("programmes", []):
        for ident in programme.get("identifiers", []):
            ident.pop("resource", None)  # the template has no column for a programme identifier's resource
    assert back == expected


@given(
    st.recursive(
        st.lists(st.text(min_size=1), min_size=1, max_size=3),
        lambda inner: (
            st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, min_size=1, max_size=3)
            | st.lists(inner, min_size=1, max_size=3)
        ),
        max_leaves=10,
    )
)
def test_flattened_errors_keep_every_message_once(errors: Any) -> None:
    from edcbridge.deliver.deqar_client import flatten_errors

    def leaves(node: Any) -> list[str]:
        if isinstance(node, str):
            return [node]
        values = node.values() if isinstance(node, dict) else node
        return [leaf for value in values for leaf in leaves(value)]

    assert sorted(e.message for e in flatten_errors(errors)) == sorted(leaves(errors))


def test_embedded_files_over_the_register_limit_are_refused_before_sending() -> None:
    """Contract 1.8: at most 7 MB of base64 files per report (the proxy answers 413 beyond)."""
    big = pdf_b64(4_000_000)
    files = [{"file": big, "file_name": f"part{n}.pdf", "report_language": ["en"]} for n in (1, 2)]
    found = dict(check_payload(programme_report("BIG-1", report_files=files)))
    assert "at most 7 MB per report" in found["report_files"]
    assert "original_location" in found["report_files"]
    assert "report_files" not in dict(check_payload(programme_report("SMALL-1", report_files=files[:1])))


@pytest.mark.parametrize(("given", "bibliographic"), [("deu", "ger"), ("FRA", "fre"), ("cym", "wel")])
def test_terminology_language_codes_are_refused_with_the_code_deqar_takes(given: str,
                                                                          bibliographic: str) -> None:
    """Contract 1.4: report_language is ISO 639-1 or ISO 639-2/B."""
    files = [{"original_location": "https://agency.example/r.pdf", "report_language": [given, "en", "ger"]}]
    found = dict(check_payload(programme_report("L-1", report_files=files)))
    first = found["report_files[0].report_language[0]"]
    assert f"write {bibliographic!r}, not the terminology code {given!r}" in first
    assert not {"report_files[0].report_language[1]", "report_files[0].report_language[2]"} & set(found)


ASSESSED_QUALIFICATION = """\
  - code: DQ01
    kind: qualification
    title: {en: Postgraduate Certificate in Data Literacy}
    credits: 30
    eqf: 7
    assessment: {title: {en: Portfolio}}
"""


def test_a_qualification_reported_as_no_full_degree_takes_its_assessment(tmp_path: Path) -> None:
    """degree_outcome given in the batch decides; the specification's assessment then fills the
    assessment_certification the register requires for a no-full-degree programme."""
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(CATALOGUE + ASSESSED_QUALIFICATION, "utf-8")
    text = BATCH.replace("programmes: [{specification: DL01, countries: [DE]}]",
                         "programmes: [{specification: DQ01, degree_outcome: no full degree}]")
    batch = load_batch(_batch(tmp_path, text))
    payload = build_payload(batch.reports[0], batch, load_catalogue(catalogue), tmp_path)
    (programme,) = payload["programmes"]
    assert (programme["degree_outcome"], programme["assessment_certification"]) == ("2", "2")
    assert programme["workload_ects"] == 30
    assert check_payload(payload, ["programme"]) == []


def test_a_qualification_stays_a_full_degree_without_assessment_certification(
        tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(CATALOGUE + ASSESSED_QUALIFICATION, "utf-8")
    text = BATCH.replace("programmes: [{specification: DL01, countries: [DE]}]",
                         "programmes: [{specification: DQ01}]")
    batch = load_batch(_batch(tmp_path, text))
    (programme,) = build_payload(batch.reports[0], batch, load_catalogue(catalogue), tmp_path)["programmes"]
    assert programme["degree_outcome"] == "1" and "assessment_certification" not in programme


WEBINAR_ACTIVITY = """\
  - code: DW01
    claim: activity
    title: {en: Data Literacy webinar}
    hours: 2
    credits: 1
    eqf: 6
"""


def test_a_programme_naming_an_activity_is_refused(tmp_path: Path) -> None:
    """A certificate of participation is no programme: its specification gives DEQAR no EQF
    level, credits or outcomes to report, whatever the catalogue entry holds."""
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(CATALOGUE + WEBINAR_ACTIVITY, "utf-8")
    text = BATCH.replace("specification: DL01", "specification: DW01")
    batch = load_batch(_batch(tmp_path, text))
    payload, problems = report_problems(batch.reports[0], batch, load_catalogue(catalogue), tmp_path)
    [(where, message)] = [p for p in problems if "DW01" in p[1]]
    assert where == "programmes[0]" and "a certificate of participation is not a programme" in message
    assert not {"workload_ects", "qf_ehea_level"} & set(payload["programmes"][0])
    with pytest.raises(LocalValidationError):
        build_payload(batch.reports[0], batch, load_catalogue(catalogue), tmp_path)
