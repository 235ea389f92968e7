"""`edcbridge check CATALOGUE`: before any award, one finding per specification, at its line, for
each Annex I element its credentials would lack and each policy rule they would break."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner, Result

from edcbridge.cli import main
from tests.conftest import FIXTURES

HEAD = """primary_language: en
issuer: uni
policies: [{policies}]
organisations:
  uni:
    legal_name: {{en: University of Example}}
    eidas_identifier: VATGB-123456789
    country: GB
    homepage: {homepage}
  agency:
    legal_name: {{en: Example Quality Agency}}
    country: GB
quality_assurance:
  review: {{title: {{en: Institutional review}}, type: institutional quality assurance, agency: agency}}
specifications:
"""
FULL = {"assessment": "    assessment: {title: {en: Project}, type: project work}\n",
        "mode": "    mode: online\n",
        "quality_assurance": "    quality_assurance: [review]\n"}
# each left out of one specification: (code, field, Annex I element)
GAPS = {"MC07": ("assessment", "Type of assessment"),
        "MC19": ("mode", "Form of participation in the learning activity"),
        "MC33": ("quality_assurance", "Type of quality assurance used to underpin the micro-credential")}


def _catalogue(tmp_path: Path, policies: str = "eu-council",
               homepage: str = "https://example.ac.uk/") -> Path:
    text = HEAD.format(policies=policies, homepage=homepage)
    for number in range(1, 41):
        code = f"MC{number:02}"
        left_out = GAPS.get(code, ("",))[0]
        text += (f"  - code: {code}\n    title: {{en: Micro-credential {number}}}\n"
                 "    learning_outcomes: [{title: {en: Applies the method}}]\n"
                 "    credits: 5\n    eqf: 6\n"
                 + "".join(line for field, line in FULL.items() if field != left_out))
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, "utf-8")
    return path


def _check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


def test_each_missing_annex1_element_is_one_error_at_its_specifications_line(tmp_path: Path) -> None:
    path = _catalogue(tmp_path)
    result = _check(str(path), "--json")
    assert result.exit_code == 1, result.output
    found = [f for f in json.loads(result.stdout) if f["severity"] != "info"]
    assert sorted((f["column"], f["row"], f["severity"]) for f in found) == sorted(
        (f"specifications[{code}]", _line_of(path, f"code: {code}"), "error") for code in GAPS)
    for finding in found:
        field, element = GAPS[finding["column"][len("specifications["):-1]]
        assert finding["code"] == "annex1.missing" and element in finding["message"]
        named = "assessment.type" if field == "assessment" else field
        assert finding["fix"].startswith(f"set {named} of specification"), finding


def test_the_findings_are_said_for_people_with_file_line_and_a_count(tmp_path: Path) -> None:
    path = _catalogue(tmp_path)
    result = _check(str(path))
    assert f"{path}:{_line_of(path, 'code: MC19')}: field 'specifications[MC19]'" in result.stderr
    assert result.stderr.count("ERROR annex1.missing") == 3
    assert result.stderr.rstrip().endswith(f"{path}: 3 errors, 0 warnings")


def test_without_eu_council_a_missing_element_is_a_warning(tmp_path: Path) -> None:
    result = _check(str(_catalogue(tmp_path, policies="cmf")), "--json")
    assert result.exit_code == 0, result.output
    assert {(f["code"], f["severity"]) for f in json.loads(result.stdout) if f["severity"] != "info"} == \
        {("annex1.missing", "warning")}


def test_a_policy_given_on_the_command_line_is_checked_too(tmp_path: Path) -> None:
    result = _check(str(_catalogue(tmp_path, policies="cmf")), "--policy", "imperial", "--json")
    found = json.loads(result.stdout)
    assert [f["column"] for f in found if f["code"] == "policy.imperial.assessment-missing"] == \
        ["specifications[MC07]"]
    assert result.exit_code == 1


def test_the_catalogue_check_names_what_export_refuses_in_every_award(tmp_path: Path) -> None:
    path = _catalogue(tmp_path)
    awards = tmp_path / "awards.csv"
    with awards.open("w", newline="", encoding="utf-8") as handle:
        rows = csv.writer(handle)
        rows.writerow(["award_id", "specification", "learner_id", "given_name", "family_name",
                       "awarding_date", "grade"])
        rows.writerows([f"A{number}", f"MC{number:02}", str(number), "Ann", "Lee", "2025-07-14", "Pass"]
                       for number in range(1, 41))
    exported = CliRunner().invoke(main, ["export", str(awards), "-c", str(path), "-o", str(tmp_path / "out"),
                                         "-j", "1", "-q"])
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert exported.exit_code == 1
    refused = {row["award_id"] for row in report["records"] if row["status"] == "failed"}
    found = json.loads(_check(str(path), "--json").stdout)
    checked = {f["column"] for f in found if f["severity"] == "error"}
    assert refused == {"A7", "A19", "A33"}
    assert checked == {f"specifications[MC{int(award[1:]):02}]" for award in refused}


def test_a_plain_http_homepage_is_a_warning_at_its_line(tmp_path: Path) -> None:
    path = _catalogue(tmp_path, homepage="http://example.ac.uk/")
    found = json.loads(_check(str(path), "--json").stdout)
    [http] = [f for f in found if f["code"] == "url.plain-http"]
    assert (http["severity"], http["row"], http["column"]) == \
        ("warning", _line_of(path, "homepage: http://"), "organisations[uni].homepage")
    assert "https://example.ac.uk/" in http["fix"]


def test_ects_credits_of_ten_hours_each_are_a_warning_at_their_line(tmp_path: Path) -> None:
    """A 20-credit UK module of 200 hours written as 20 ECTS: every credential would state twice its
    learning. Export's notes say so; check said nothing."""
    path = _catalogue(tmp_path)
    text = path.read_text("utf-8").replace("    credits: 5\n", "    credits: 20\n    hours: 200\n", 1)
    path.write_text(text, "utf-8")
    result = _check(str(path), "--json")
    [uk] = [f for f in json.loads(result.stdout) if f["code"] == "credits.uk-credits"]
    assert (uk["severity"], uk["row"], uk["column"]) == \
        ("warning", _line_of(path, "credits: 20"), "specifications[MC01].credits")
    assert "10 hours per credit" in uk["message"] and "write credits: 10" in uk["fix"]


def test_a_learning_outcome_holding_a_numbered_list_is_a_warning_at_its_line(tmp_path: Path) -> None:
    """A module descriptor's outcomes pasted into one title: every credential would state them as
    one learning outcome."""
    path = _catalogue(tmp_path)
    listed = ('    learning_outcomes:\n      - title:\n          en: "1. Applies the method\\n2. Reports '
              'the results\\n3. Evaluates the limits"\n')
    text = path.read_text("utf-8").replace("    learning_outcomes: [{title: {en: Applies the method}}]\n",
                                           listed, 1)
    path.write_text(text, "utf-8")
    result = _check(str(path), "--json")
    assert result.exit_code == 1, result.output  # the Annex I gaps of MC07, MC19 and MC33
    [found] = [f for f in json.loads(result.stdout) if f["code"] == "learning-outcome.list"]
    assert (found["severity"], found["row"], found["column"]) == \
        ("warning", _line_of(path, "en: \"1. Applies"), "specifications[MC01].learning_outcomes[0].title.en")
    assert "3 learning outcomes" in found["message"] and "one item per learning outcome" in found["fix"]
    plain = path.read_text("utf-8").replace("\\n2. Reports", " in two steps. Reports", 1)
    path.write_text(plain.replace("\\n3. Evaluates", ", then evaluates", 1), "utf-8")
    assert "learning-outcome.list" not in _check(str(path), "--json").stdout


def test_a_quality_assurance_that_has_expired_is_a_warning_at_its_line(tmp_path: Path) -> None:
    """Its credentials would state it as the quality assurance underpinning them (Annex I), an
    accreditation whose expiryDate has passed: check said nothing."""
    path = _catalogue(tmp_path)
    text = path.read_text("utf-8").replace("agency: agency}", "agency: agency, issued: 2015-03-01,\n"
                                           "           expires: 2021-03-01}", 1)
    path.write_text(text, "utf-8")
    found = json.loads(_check(str(path), "--json").stdout)
    [expired] = [f for f in found if f["code"] == "quality-assurance.expired"]
    assert (expired["severity"], expired["row"], expired["column"]) == \
        ("warning", _line_of(path, "expires: 2021-03-01"), "quality_assurance[review].expires")
    assert "expired on 2021-03-01" in expired["message"] and "MC01" in expired["message"]
    assert "renewed" in expired["fix"]


def test_a_catalogue_with_errors_lists_them_and_exits_1(tmp_path: Path) -> None:
    path = _catalogue(tmp_path)
    path.write_text(path.read_text("utf-8").replace("eqf: 6", "eqf: 9", 1), "utf-8")
    result = _check(str(path))
    assert result.exit_code == 1
    assert f"{path}:{_line_of(path, 'eqf: 9')}:" in result.stderr


def test_the_bundled_catalogues_pass() -> None:
    for path in sorted(FIXTURES.glob("*/catalogue.yaml")):
        result = _check(str(path))
        assert result.exit_code == 0, result.output
        assert result.stderr.endswith(": 0 errors, 0 warnings\n"), result.output
