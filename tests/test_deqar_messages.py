"""``push deqar`` as a user meets it: every problem with place, value, cause and fix, all at once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from edcbridge.deliver.cli import register
from edcbridge.deliver.config import batch_items, deqar_credentials, load_batch
from edcbridge.deliver.deqar_rules import check_payload, explain
from edcbridge.deliver.errors import DeliveryConfigError
from edcbridge.load import load_catalogue
from tests.deliver_support import CATALOGUE, PASSWORD, batch_text, programme_report, start_deqar
from tests.fake_http import FakeServer

HALF_CREDITS = """\
  - code: DL03
    kind: micro-credential
    title: {en: Data Literacy with half credits}
    credits: 7.5
    eqf: 6
    assessment: {title: {en: Project}}
"""

REPORT = """\
agency: ACQUIN
activities:
  system: {id: "1", type: programme}
reports:
  - local_identifier: R-1
    activities: [system]
    status: voluntary
    decision: positive
    valid_from: 2016-03-01
    institutions: [hfvp]
    programmes: [{specification: DL03}, {specification: DL99}]
    report_files: [{path: x.pdf, report_language: [xx]}]
"""


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake, _ = start_deqar()
    yield fake
    fake.stop()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE + HALF_CREDITS, "utf-8")
    return tmp_path


def _push(workdir: Path, batch: str, *args: str, env: dict[str, str] | None = None) -> Result:
    (workdir / "batch.yaml").write_text(batch, "utf-8")

    @click.group()
    def root() -> None:
        pass

    register(root)
    command = ["push", "deqar", str(workdir / "batch.yaml"), "-c", str(workdir / "catalogue.yaml")]
    command += ["-o", str(workdir / "out"), *args]
    return CliRunner().invoke(root, command, env=env or {})


def _login_env(server: FakeServer) -> dict[str, str]:
    return {
        "EDCBRIDGE_DEQAR_URL": server.base_url,
        "EDCBRIDGE_DEQAR_USERNAME": "acquin",
        "EDCBRIDGE_DEQAR_PASSWORD": PASSWORD,
    }


def test_every_problem_of_a_report_names_place_value_cause_and_fix(workdir: Path) -> None:
    (workdir / "batch.yaml").write_text(REPORT, "utf-8")
    (item,) = batch_items(
        load_batch(workdir / "batch.yaml"), load_catalogue(workdir / "catalogue.yaml"), workdir
    )
    assert item.problems == (
        (
            "report_files[0]",
            f"cannot read 'x.pdf' (no such file or directory, looked at {workdir / 'x.pdf'}); "
            "fix the path (relative to the batch file)",
        ),
        ("institutions[0]", "organisation 'hfvp' is not in the catalogue; use one of hfpv, acquin"),
        (
            "programmes[0].workload_ects",
            "specification 'DL03' has 7.5 ECTS, not a whole number, which DEQAR requires for "
            "workload_ects; set workload_ects (a whole number) in the report's programme",
        ),
        ("programmes[1]", "specification 'DL99' is not in the catalogue; use one of DL01, DL02, DL03"),
        (
            "report_files[0].report_language[0]",
            "Please provide valid language code. ('xx'); use an ISO 639 language code such as en",
        ),
    )


def test_an_explicit_workload_is_the_fix_for_fractional_credits(workdir: Path) -> None:
    text = REPORT.replace(
        "{specification: DL03}, {specification: DL99}", "{specification: DL03, workload_ects: 8}"
    )
    text = text.replace("[hfvp]", "[hfpv]").replace("[xx]", "[en]")
    (workdir / "batch.yaml").write_text(
        text.replace("path: x.pdf", "original_location: https://a.example/r"), "utf-8"
    )
    (item,) = batch_items(
        load_batch(workdir / "batch.yaml"), load_catalogue(workdir / "catalogue.yaml"), workdir
    )
    assert item.problems == ()
    assert item.content["programmes"][0]["workload_ects"] == 8


def test_cli_lists_each_problem_on_its_own_line(workdir: Path) -> None:
    result = _push(workdir, REPORT, "--dry-run")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "failed   refuse  R-1: 5 problem(s), nothing sent"
    assert (
        lines[2]
        == "    institutions[0]: organisation 'hfvp' is not in the catalogue; use one of hfpv, acquin"
    )
    assert lines[-1] == "dry run (nothing sent): 1 failed"


def test_register_rules_keep_its_wording_and_add_value_and_fix() -> None:
    report = programme_report("x", institutions=[{"eter_id": "ZZ9999"}], valid_to="2010-01-01")
    problems = check_payload(report, ["programme"])
    assert ("institutions[0]", "Please provide valid ETER ID.") in problems
    assert explain(report, problems) == [
        (
            "non_field_errors",
            "Report's validity start should be earlier then validity end. (valid_from '2015-01-15', "
            "valid_to '2010-01-01', date_format '%Y-%m-%d'); make valid_to later than valid_from, "
            "or leave valid_to out",
        ),
        (
            "institutions[0]",
            "Please provide valid ETER ID. (eter_id 'ZZ9999'); ETER ids are a country code and four "
            "digits, e.g. DE0392; check it, or give deqar_id instead",
        ),
    ]
    two = programme_report("x", institutions=[{"eter_id": "DE0392"}, {"deqar_id": "DEQARINST0001"}])
    assert explain(two, check_payload(two, ["programme"])) == [
        (
            "institutions",
            "Exactly one institution is allowed for a programme activity (2 given); "
            "use a joint programme activity for more.",
        )
    ]
    missing = programme_report("x", valid_from=None)
    assert explain(missing, check_payload(missing)) == [
        (
            "valid_from",
            "This field is required. (not given); set valid_from (YYYY-MM-DD) in the report, "
            "or a quality_assurance key whose catalogue entry has an issued date",
        )
    ]


def test_batch_problems_use_one_index_style_and_are_all_listed(workdir: Path) -> None:
    text = batch_text(3).replace("status: part of obligatory EQA system", "status: 1")
    text = text.replace("activities: [system]", "activities: [sytem]", 1)
    (workdir / "batch.yaml").write_text(text, "utf-8")
    with pytest.raises(DeliveryConfigError) as caught:
        load_batch(workdir / "batch.yaml")
    message = str(caught.value)
    assert not re.search(r"reports\.\d", message), message
    assert f"{workdir / 'batch.yaml'}: the batch file has 4 problem(s):" in message
    assert (
        "batch.yaml:6: field 'reports[0].activities[0]': 'sytem' is not defined under the batch's "
        "activities\n    fix: use one of system, or define it there"
    ) in message
    assert (
        "batch.yaml:16: field 'reports[1].status' = '1': Incorrect type. Expected a string, but got int\n"
        '    fix: write it in quotes: "1"'
    ) in message


def test_an_impossible_date_is_a_clear_usage_error(workdir: Path) -> None:
    result = _push(
        workdir, batch_text(1).replace("valid_from: 2016-03-01", "valid_from: 2025-13-01"), "--dry-run"
    )
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # not a crash
    assert result.stderr.startswith(f"Error: {workdir / 'batch.yaml'}: the batch file has 1 problem(s):\n")
    assert (
        "batch.yaml:9: field 'reports[0].valid_from' = '2025-13-01': '2025-13-01' is not a real date "
        "(month must be in 1..12)\n    fix: write an existing date as YYYY-MM-DD"
    ) in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        "username: acquin\npassword: '{pw}'\n",
        '{{"username": "acquin", "password": "{pw}"}}\n',
        "# DEQAR login\nexport EDCBRIDGE_DEQAR_USERNAME=acquin\nEDCBRIDGE_DEQAR_PASSWORD='{pw}'\n",
        "USERNAME = acquin\nPASSWORD = {pw}\n",
    ],
)
def test_credentials_file_formats_are_read_whatever_its_name(tmp_path: Path, text: str) -> None:
    (tmp_path / "creds.txt").write_text(text.format(pw=PASSWORD), "utf-8")
    creds = deqar_credentials(tmp_path / "creds.txt", {})
    assert (creds.username, creds.password) == ("acquin", PASSWORD)


def test_credentials_yaml_in_a_txt_file_logs_in(server: FakeServer, workdir: Path) -> None:
    (workdir / "creds.txt").write_text(f"username: acquin\npassword: {PASSWORD}\n", "utf-8")
    env = {"EDCBRIDGE_DEQAR_URL": server.base_url}
    result = _push(workdir, batch_text(1), "--credentials", str(workdir / "creds.txt"), env=env)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == "ok       create  EDCB-0001"


def test_missing_credentials_say_which_formats_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "creds.txt").write_text("user: acquin\n", "utf-8")
    with pytest.raises(DeliveryConfigError) as caught:
        deqar_credentials(tmp_path / "creds.txt", {})
    assert str(caught.value) == (
        f"no DEQAR username and password in {tmp_path / 'creds.txt'} (keys found: user); write them as "
        "KEY=VALUE lines (username=... and password=..., or EDCBRIDGE_DEQAR_USERNAME=... and "
        "EDCBRIDGE_DEQAR_PASSWORD=...), YAML (username: ... and password: ...) or a JSON object with "
        "username and password (the agency account's user name is its acronym in lower case)"
    )
    (tmp_path / "creds.txt").write_text("username=acquin\n", "utf-8")
    with pytest.raises(DeliveryConfigError, match=r"^no DEQAR password in .*\(keys found: username\)"):
        deqar_credentials(tmp_path / "creds.txt", {})
    (tmp_path / "creds.txt").write_text("username: acquin\npassword: [s3cret\n", "utf-8")
    with pytest.raises(DeliveryConfigError) as broken:
        deqar_credentials(tmp_path / "creds.txt", {})
    assert str(broken.value).startswith(
        f"{tmp_path / 'creds.txt'}: neither KEY=VALUE lines nor valid YAML or JSON at line 3; write")
    assert "s3cret" not in str(broken.value)


def test_help_names_the_credential_formats_and_the_dry_run_files(workdir: Path) -> None:
    result = _push(workdir, batch_text(1), "--help")
    text = " ".join(result.output.split())
    assert "KEY=VALUE lines (username=... and password=..., or EDCBRIDGE_DEQAR_USERNAME=..." in text
    assert "YAML (username: ... and password: ...) or a JSON object" in text
    assert "a dry run writes deqar-dry-run.json / .csv instead" in text


def test_dry_run_never_overwrites_real_results(server: FakeServer, workdir: Path) -> None:
    real = _push(workdir, batch_text(2), env=_login_env(server))
    assert real.exit_code == 0, real.output
    results = (workdir / "out" / "deqar-results.json").read_text("utf-8")
    dry = _push(workdir, batch_text(2, summary="Changed."), "--dry-run", env=_login_env(server))
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        str(workdir / "out" / "deqar-dry-run.json"),
        str(workdir / "out" / "deqar-dry-run.csv"),
    ]
    assert (workdir / "out" / "deqar-results.json").read_text("utf-8") == results
    planned = json.loads((workdir / "out" / "deqar-dry-run.json").read_text("utf-8"))
    assert planned["dry_run"] is True
    assert [i["action"] for i in planned["items"]] == ["update", "update"]


def _console_and_results(result: Result, workdir: Path) -> tuple[list[tuple[str, ...]], list[Any]]:
    """(status, action, key) per item as printed, and the items of deqar-results.json."""
    lines = [line.split() for line in result.stderr.splitlines()]
    printed = [tuple(parts) for parts in lines if parts and parts[-1].startswith("EDCB-")]
    items = json.loads((workdir / "out" / "deqar-results.json").read_text("utf-8"))["items"]
    assert printed == [(i["status"], i["action"], i["key"]) for i in items]  # they agree, item by item
    return printed, items


def test_without_a_state_file_console_and_results_say_update(server: FakeServer, workdir: Path) -> None:
    first = _push(workdir, batch_text(2), env=_login_env(server))
    assert first.exit_code == 0, first.output
    printed, items = _console_and_results(first, workdir)
    assert printed == [("ok", "create", "EDCB-0001"), ("ok", "create", "EDCB-0002")]
    assert [i["detail"] for i in items] == ["created"] * 2
    (workdir / "out" / "deqar-state.json").unlink()
    again = _push(workdir, batch_text(2), env=_login_env(server))
    assert again.exit_code == 0, again.output
    # planned as creates (no state), taken as updates (the register has them): both say update
    printed, items = _console_and_results(again, workdir)
    assert printed == [("ok", "update", "EDCB-0001"), ("ok", "update", "EDCB-0002")]
    assert [i["detail"] for i in items] == ["updated (found by local identifier)"] * 2
