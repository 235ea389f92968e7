"""What ``push deqar`` prints for each report, on the API and the CSV route alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deliver_support import push_deqar_batch, start_deqar
from tests.fake_http import FakeServer

BATCH = """\
agency: ACQUIN
activities:
  system: {id: "1", type: programme}
  audit: {id: "2", type: institutional}
reports:
  - local_identifier: ACQ-P-1
    activities: [system]
    status: part of obligatory EQA system
    decision: positive
    valid_from: 2024-03-15
    institutions: [hfpv]
    programmes: [{name_primary: Public Administration, qf_ehea_level: first cycle, degree_outcome: "1"}]
    report_files: [{original_location: "https://agency.example/p1.pdf", report_language: [en]}]
  - local_identifier: ACQ-I-2
    activities: [audit]
    status: voluntary
    decision: negative
    valid_from: 2024-06-01
    institutions: [{deqar_id: DEQARINST9999}]
    report_files: [{original_location: "https://agency.example/i2.pdf", report_language: [de]}]
  - local_identifier: ACQ-I-3
    activities: [audit]
    status: voluntary
    decision: positive
    valid_from: 2024-06-01
    valid_to: 2024-01-01
    institutions: [hfpv]
    report_files: [{original_location: "https://agency.example/i3.pdf", report_language: [en]}]
"""


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake, _ = start_deqar()
    yield fake
    fake.stop()




@pytest.mark.parametrize("via", ["api", "csv"])
def test_each_report_is_printed_with_what_deqar_refused_field_by_field(
    tmp_path: Path, server: FakeServer, via: str
) -> None:
    result = push_deqar_batch(tmp_path, server, BATCH, "--via", via)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert [line.split(":")[0].split() for line in lines[:3]] == [
        ["ok", "create" if via == "api" else "upsert", "ACQ-P-1"],
        ["failed", "create" if via == "api" else "upsert", "ACQ-I-2"],
        ["failed", "refuse", "ACQ-I-3"],
    ]
    assert (
        "institutions[0]: Please provide valid DEQAR ID. (deqar_id 'DEQARINST9999'); DEQAR institution "
        "ids look like DEQARINST0001"
    ) in lines[1]
    assert lines[2].endswith("ACQ-I-3: 1 problem(s), nothing sent")
    assert lines[3].startswith("    non_field_errors: Report's validity start should be earlier then")
    assert lines[-1] == "2 failed, 1 ok"


NO_FILE = """\
agency: ACQUIN
activities:
  audit: {id: "2", type: institutional}
reports:
  - local_identifier: ACQ-I-4
    activities: [audit]
    status: voluntary
    decision: positive with conditions or restrictions
    valid_from: 2024-06-01
    valid_to: 2030-05-31
    institutions: [hfpv]
"""


@pytest.mark.parametrize("via", ["api", "csv"])
def test_a_report_deqar_stores_with_a_flag_says_so_and_why(
    tmp_path: Path, server: FakeServer, via: str
) -> None:
    # recorded (post_no_report_files): 200, sanity_check_status "warnings", report_flag "high level"
    result = push_deqar_batch(tmp_path, server, NO_FILE, "--via", via)
    assert result.exit_code == 0, result.output
    action = "create" if via == "api" else "upsert"
    assert result.stderr.splitlines()[0] == (
        f"ok       {action:7} ACQ-I-4: stored with a high level flag by DEQAR (No report file is "
        "available for this report.); a report with a high-level flag is left out of DEQAR's export to "
        "Europass until EQAR clears it: fix what DEQAR names in the batch and run the same command again"
    )


def test_a_report_stored_without_a_flag_is_one_line(tmp_path: Path, server: FakeServer) -> None:
    result = push_deqar_batch(tmp_path, server, NO_FILE.replace(
        "    institutions: [hfpv]\n",
        '    institutions: [hfpv]\n    report_files: [{original_location: "https://a.example/r.pdf", '
        "report_language: [en]}]\n"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == "ok       create  ACQ-I-4"
    assert '"message": ""' in (tmp_path / "out" / "deqar-results.json").read_text("utf-8")
