"""A catalogue specification with ``claim: activity`` (a certificate of participation): its
value and its credential type are checked at their lines, the fields its credentials cannot
carry are named in a warning, and the checks made for achievements (Annex I, policies, grades,
credits per hour) do not fail it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import CatalogueError, iter_awards, load_catalogue
from edcbridge.mapping.edc import catalogue_notes
from tests.conftest import FIXTURES
from tests.test_mapping_activity import WEBINAR, activity_catalogue

EXTRAS = "    credits: 1\n    eqf: 6\n    assessment: {title: {en: Quiz}}\n"


def _line_of(path: Path, text: str) -> int:
    return max(n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


def _error(path: Path) -> tuple[int | None, str, str, str]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    [error] = caught.value.errors
    return error.row, str(error.column), error.message, error.fix


def test_a_claim_other_than_achievement_or_activity_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = activity_catalogue(tmp_path, WEBINAR.replace("claim: activity", "claim: attendance"))
    row, column, message, _ = _error(path)
    assert (row, column) == (_line_of(path, "claim: attendance"), "specifications[GAL-WEBINAR].claim")
    assert "'achievement' or 'activity'" in message


def test_an_activity_cannot_be_a_qualification_award(tmp_path: Path) -> None:
    path = activity_catalogue(tmp_path, WEBINAR + "    credential_type: qualification-award\n")
    row, column, message, fix = _error(path)
    assert (row, column) == (_line_of(path, "credential_type"), "specifications[GAL-WEBINAR].credential_type")
    assert "claim: activity" in message and "credential_type: generic" in fix


def test_a_learning_activity_credential_type_needs_an_activity(tmp_path: Path) -> None:
    path = activity_catalogue(tmp_path, WEBINAR.replace("    claim: activity\n", "")
                              + "    credential_type: learning activity\n")
    row, column, _, fix = _error(path)
    assert (row, column) == (_line_of(path, "credential_type"), "specifications[GAL-WEBINAR].credential_type")
    assert "claim: activity" in fix
    load_catalogue(activity_catalogue(tmp_path, WEBINAR + "    credential_type: learning activity\n"))


def test_an_achievement_does_not_stack_with_an_activity(tmp_path: Path) -> None:
    path = activity_catalogue(tmp_path, WEBINAR)
    text = path.read_text("utf-8").replace("    part_of: [GAL-PGCERT-DA]\n",
                                           "    part_of: [GAL-PGCERT-DA, GAL-WEBINAR]\n", 1)
    path.write_text(text, "utf-8")
    _, column, message, _ = _error(path)
    assert column.endswith(".part_of[1]") and "GAL-WEBINAR, an activity" in message


@pytest.mark.parametrize("field", ["part_of", "has_part"])
def test_an_activity_is_not_part_of_anything_nor_has_parts(tmp_path: Path, field: str) -> None:
    path = activity_catalogue(tmp_path, WEBINAR + f"    {field}: [GAL-PGCERT-DA]\n")
    row, column, message, fix = _error(path)
    assert row == _line_of(path, f"{field}: [GAL-PGCERT-DA]")
    assert column == f"specifications[GAL-WEBINAR].{field}[0]"
    assert "GAL-WEBINAR is an activity" in message and "not a programme's part" in message
    assert fix == f"remove GAL-PGCERT-DA from {field}, or write claim: achievement"


def test_the_catalogue_says_which_specification_is_an_activity(tmp_path: Path) -> None:
    catalogue = load_catalogue(activity_catalogue(tmp_path))
    assert catalogue.is_activity("GAL-WEBINAR") and catalogue.specification("GAL-WEBINAR").is_activity
    assert not catalogue.is_activity("GAL-MC-PYDA") and not catalogue.is_activity("NO-SUCH-CODE")


def test_what_an_activity_cannot_carry_is_named_in_the_notes_and_the_check(tmp_path: Path) -> None:
    path = activity_catalogue(tmp_path, WEBINAR + EXTRAS)
    catalogue = load_catalogue(path)  # 2 hours for 1 ECTS credit: not judged, credits are not stated
    [note] = [n for n in catalogue_notes(catalogue) if "GAL-WEBINAR" in n and "claim: activity" in n]
    assert "credits, eqf, assessment are left out of its credentials" in note
    found = json.loads(CliRunner().invoke(main, ["check", str(path), "--json"]).stdout)
    mine = [f for f in found if f["column"].startswith("specifications[GAL-WEBINAR]")]
    assert [(f["severity"], f["code"]) for f in mine] == [("warning", "activity.left-out")]
    assert mine[0]["row"] == _line_of(path, "code: GAL-WEBINAR")
    plain = activity_catalogue(tmp_path)
    clean = json.loads(CliRunner().invoke(main, ["check", str(plain), "--json"]).stdout)
    assert not [f for f in clean if f["column"].startswith("specifications[GAL-WEBINAR]")]


def _awards(tmp_path: Path, grade: str | None = None) -> Path:
    row = {"award_id": "W1", "specification": "GAL-WEBINAR", "learner_id": "24100317",
           "given_name": "Aoife", "family_name": "Ní Bhriain", "awarding_date": "2025-11-14"}
    if grade:
        row["grade"] = grade
    text = (FIXTURES / "galway" / "awards.jsonl").read_text("utf-8")
    path = tmp_path / "awards.jsonl"
    path.write_text(text.rstrip("\n") + "\n" + json.dumps(row) + "\n", "utf-8")
    return path


def test_a_grade_for_an_activity_is_warned_of_as_left_out(tmp_path: Path) -> None:
    catalogue = load_catalogue(activity_catalogue(tmp_path, WEBINAR + EXTRAS))  # an assessment, not carried
    [row] = [r for r in iter_awards(_awards(tmp_path, "Pass"), catalogue)
             if r.award is not None and r.award.specification == "GAL-WEBINAR"]
    [warning] = [w for w in row.warnings if "carries no grade" in w.message]
    assert "GAL-WEBINAR is an activity" in warning.message and warning.column == "grade"


def test_an_activity_exports_under_eu_council_without_annex1_findings(tmp_path: Path) -> None:
    catalogue = activity_catalogue(tmp_path)
    assert "policies: [eu-council]" in catalogue.read_text("utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(_awards(tmp_path)), "-c", str(catalogue), "-o", str(out),
                                       "-j", "1", "-q"])
    report = json.loads((out / "report.json").read_text("utf-8"))
    [record] = [r for r in report["records"] if r["award_id"] == "W1"]
    assert record["status"] == "done", record
    assert not [w for w in record.get("warnings", []) if "annex1" in w or "Annex I" in w], record
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "edc" / "galway_W1.jsonld").read_text("utf-8"))
    assert doc["credentialSubject"]["hasClaim"]["type"] == "LearningActivity"
