"""Register rules of the Submission API v2 contract that hold before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edcbridge.deliver.config import batch_items, load_batch
from edcbridge.deliver.deqar_rules import check_payload, explain
from edcbridge.load import load_catalogue
from tests.deliver_support import CATALOGUE, programme_report, request_example

LONG_TITLE = "ACQUIN certification of the data literacy micro-credential " * 4

BATCH = """\
agency: ACQUIN
activities:
  system: {id: "1", type: programme}
reports:
  - local_identifier: QA-1
    activities: [system]
    status: voluntary
    decision: positive
    quality_assurance: acq-2016
    institutions: [hfpv]
    programmes: [{specification: DL01}]
    report_files: [{original_location: "https://agency.example/r.pdf", report_language: [en]}]
"""


def _swagger_limit(reference: Path, definition: str, field: str) -> int:
    swagger = json.loads((reference / "deqar" / "submissionapi-v2.swagger.json").read_text("utf-8"))
    limit: int = swagger["definitions"][definition]["properties"][field]["maxLength"]
    return limit


def test_a_long_quality_assurance_title_as_link_name_is_refused_with_the_way_out(tmp_path: Path,
                                                                              reference: Path) -> None:
    limit = _swagger_limit(reference, "ReportLinkV2Serializer", "link_display_name")
    assert len(LONG_TITLE) > limit
    catalogue = CATALOGUE.replace(
        "ACQUIN certification of the data literacy micro-credential", LONG_TITLE.strip())
    (tmp_path / "catalogue.yaml").write_text(catalogue, "utf-8")
    (tmp_path / "batch.yaml").write_text(BATCH, "utf-8")
    (item,) = batch_items(load_batch(tmp_path / "batch.yaml"),
                          load_catalogue(tmp_path / "catalogue.yaml"), tmp_path)
    (problem,) = [p for p in item.problems if p[0] == "report_links[0].link_display_name"]
    assert problem[1].startswith(f"Ensure this field has no more than {limit} characters. (")
    assert "list that link under report_links with a shorter link_display_name" in problem[1]


@pytest.mark.parametrize(
    ("change", "path", "definition", "field"),
    [
        ({"activities": [{"id": "programme-accreditation"}]}, "activities[0].id",
         "ActivityV2Serializer", "id"),
        ({"activities": [{"group": "123456"}]}, "activities[0].group", "ActivityV2Serializer", "group"),
        ({"report_files": [{"original_location": "https://a.example/r.pdf", "report_language": ["en"],
                            "display_name": "R" * 256}]},
         "report_files[0].display_name", "ReportFileManageSerializer", "display_name"),
        ({"institutions": [{"identifier": "I" * 51, "resource": "local identifier"}]},
         "institutions[0].identifier", "InstitutionV2Serializer", "identifier"),
        ({"platforms": [{"eter_id": "DE0392", "resource": "R" * 201}]},
         "platforms[0].resource", "InstitutionV2Serializer", "resource"),
        ({"valid_from": "Thursday, 15 January 2015", "date_format": "%A, %d %B %Y"}, "valid_from",
         "SubmissionPackageV2Serializer", "valid_from"),
    ],
)
def test_values_over_the_register_limits_are_refused(reference: Path, change: dict[str, Any], path: str,
                                                     definition: str, field: str) -> None:
    limit = _swagger_limit(reference, definition, field)
    found = dict(check_payload(programme_report("LEN-1", **change)))
    assert found[path] == f"Ensure this field has no more than {limit} characters."


@pytest.mark.parametrize(
    ("change", "path", "definition", "field"),
    [
        ({"qualification_primary": "Q" * 256}, "programmes[0].qualification_primary",
         "ProgrammeV2Serializer", "qualification_primary"),
        ({"nqf_level": "L" * 256}, "programmes[0].nqf_level", "ProgrammeV2Serializer", "nqf_level"),
        ({"alternative_names": [{"name_alternative": "N" * 201}]},
         "programmes[0].alternative_names[0].name_alternative",
         "ProgrammeAlternativeNameV2Serializer", "name_alternative"),
        ({"identifiers": [{"identifier": "P-1", "resource": "R" * 201}]},
         "programmes[0].identifiers[0].resource", "IdentifierV2Serializer", "resource"),
    ],
)
def test_programme_values_over_the_register_limits_are_refused(
        reference: Path, change: dict[str, Any], path: str, definition: str, field: str) -> None:
    limit = _swagger_limit(reference, definition, field)
    report = programme_report("LEN-2")
    report["programmes"] = [{**report["programmes"][0], **change}]
    found = dict(check_payload(report))
    assert found[path] == f"Ensure this field has no more than {limit} characters."


def test_an_activity_name_in_place_of_its_id_is_explained() -> None:
    report = programme_report("LEN-3", activities=[{"id": "programme-accreditation"}])
    (problem,) = explain(report, [p for p in check_payload(report) if p[0].startswith("activities")])
    assert problem[1].startswith("Ensure this field has no more than 5 characters. (23 given: ")
    assert "numeric activity id" in problem[1]


def test_values_within_the_limits_pass(reference: Path) -> None:
    for name in ("post-programme-report.json", "post-microcredential-report.json"):
        assert check_payload(request_example(reference, name)) == []
    padded = programme_report("L" * 255 + "  ")
    assert check_payload(padded) == []  # the register trims surrounding blanks before counting


def _other_provider_report(reference: Path, **changes: Any) -> dict[str, Any]:
    report = request_example(reference, "post-other-provider-microcredential.json")
    assert report["institutions"] == [{"deqar_id": "DEQARINSTAP0010"}]  # an alternative provider
    return {**report, **changes}


def test_a_report_on_alternative_providers_must_be_voluntary(reference: Path) -> None:
    report = _other_provider_report(reference, status="part of obligatory EQA system")
    problems = check_payload(report, ["programme"])
    assert problems == [("non_field_errors", "Status should be 'voluntary' if all organisations are "
                                             "other providers.")]
    (explained,) = explain(report, problems)
    assert "(status 'part of obligatory EQA system', institutions" in explained[1]
    assert "set status: voluntary" in explained[1]


def test_a_report_on_alternative_providers_covers_no_full_degree(reference: Path) -> None:
    report = _other_provider_report(reference)
    report["programmes"] = [{**report["programmes"][0], "degree_outcome": "full degree"}]
    problems = check_payload(report, ["programme"])
    assert problems == [("non_field_errors", "Degree outcome should be '2 / no full degree' if all the "
                                             "organisations are other providers")]
    (explained,) = explain(report, problems)
    assert "full degree in programmes[0] 'Using Python for survey analysis'" in explained[1]
    assert "set degree_outcome: no full degree" in explained[1]


@pytest.mark.parametrize("other", [{"deqar_id": "DEQARINST0001"}, {"eter_id": "DE0392"}])
def test_the_alternative_provider_rules_wait_for_every_institution_to_be_one(
        reference: Path, other: dict[str, str]) -> None:
    report = _other_provider_report(reference, status="1")
    report["institutions"] = [*report["institutions"], other]
    assert check_payload(report, ["joint programme"]) == []


def test_the_accepted_alternative_provider_report_passes(reference: Path) -> None:
    assert check_payload(_other_provider_report(reference), ["programme"]) == []


@pytest.mark.parametrize("workload", [0, "0"])
def test_zero_credits_count_as_none_for_a_micro_credential(reference: Path, workload: int | str) -> None:
    report = request_example(reference, "post-microcredential-report.json")
    report["programmes"] = [{**report["programmes"][0], "workload_ects": workload}]
    found = dict(check_payload(report, ["programme"]))
    assert found["programmes[0].workload_ects"] == (
        "ECTS credits are required, when degree_outcome field is '2 / no full degree'")
