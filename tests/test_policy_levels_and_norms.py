"""Policy profiles as their frameworks word them: a UK (FHEQ/RQF) level is judged wherever it
is stated, a framework's norm ("normally 5 years") is a warning rather than a refusal, and a size
profile does not switch off the Annex I check."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.model import Catalogue
from edcbridge.pipeline.worker import specification_findings
from edcbridge.validation.policy import PROFILES, SCQF_LEVEL_EQF, Facts, check_policy, read_uk_level
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial"


def _catalogue(tmp_path: Path, policies: list[str], change: dict[str, Any], drop: str | None = None) -> Path:
    data = yaml.safe_load((IMPERIAL / "catalogue.yaml").read_text(encoding="utf-8"))
    data["policies"] = policies
    spec = next(s for s in data["specifications"] if s["code"] == "IMP-MC-MLH")
    if drop:
        spec.pop(drop)
    spec.update(change)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _loaded(path: Path) -> Catalogue:
    return load_catalogue(path)


def _export_one(store, tmp_path: Path, catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    rows = (IMPERIAL / "awards.csv").read_text(encoding="utf-8-sig").splitlines()
    awards = tmp_path / "awards.csv"
    awards.write_text("\n".join(rows[:2]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    CliRunner().invoke(main, ["export", str(awards), "-c", str(catalogue), "-o", str(out), "-q"])
    record: dict[str, Any] = json.loads((out / "report.json").read_text())["records"][0]
    return record


@pytest.mark.parametrize("nqf", ["RQF Level 4", "RQF Level 7", "CQFW Level 6"])
def test_a_uk_level_alone_within_the_levels_passes_at_export(tmp_path: Path, nqf: str) -> None:
    catalogue = _loaded(_catalogue(tmp_path, ["imperial"], {"nqf": nqf}, drop="eqf"))
    assert specification_findings(catalogue).get("IMP-MC-MLH", []) == []  # before: eqf-missing


def test_a_uk_level_alone_outside_the_levels_fails_at_export(tmp_path: Path) -> None:
    catalogue = _loaded(_catalogue(tmp_path, ["imperial"], {"nqf": "RQF Level 3"}, drop="eqf"))
    found = specification_findings(catalogue).get("IMP-MC-MLH", [])
    assert [f.code for f in found] == ["policy.imperial.eqf-range"]


@pytest.mark.parametrize(("nqf", "named"), [
    ("RQF Entry Level 3", "Entry Level 3 (RQF/CQFW, the credential's nqfLevel) is below level 4"),
    ("SCQF Level 6", "SCQF level 6 (the credential's nqfLevel), referenced to EQF 4, is outside EQF 5-7"),
])
def test_an_entry_or_scottish_level_in_the_catalogue_is_named_so(tmp_path: Path, nqf: str,
                                                                 named: str) -> None:
    catalogue = _loaded(_catalogue(tmp_path, ["imperial"], {"nqf": nqf}, drop="eqf"))
    [found] = specification_findings(catalogue)["IMP-MC-MLH"]  # before: 'level 3 (FHEQ/RQF', eqf-missing
    assert found.code == "policy.imperial.eqf-range" and named in found.message


def _codes(facts: Facts, profile: str = "imperial") -> list[str]:
    return [f.code for f in check_policy(facts, PROFILES[profile])]


def test_a_uk_level_beside_an_eqf_level_is_judged_too() -> None:
    assert _codes(Facts(Decimal(5), 7, uk_level=3)) == ["policy.imperial.eqf-range"]
    assert _codes(Facts(Decimal(5), 7, uk_level=8)) == ["policy.imperial.eqf-range"]
    assert _codes(Facts(Decimal(5), 5, uk_level=4)) == []
    assert _codes(Facts(Decimal(5), 7, uk_level=3), "cmf") == []  # a profile without UK levels


def test_a_credit_currency_over_the_norm_is_a_warning(store, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    found = check_policy(Facts(Decimal(5), 7, 3, 6), PROFILES["imperial"])
    assert [(f.code, f.severity) for f in found] == [("policy.imperial.credit-currency", "warning")]
    record = _export_one(store, tmp_path, _catalogue(tmp_path, ["imperial"], {"credit_currency_years": 6}),
                         monkeypatch)
    assert record["status"] == "done", record["errors"]
    assert any("credit-currency" in w for w in record["warnings"])


@pytest.mark.parametrize("policies", [[], ["imperial"], ["cmf"]])
def test_annex1_warns_whatever_the_size_profile(store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                policies: list[str]) -> None:
    record = _export_one(store, tmp_path, _catalogue(tmp_path, policies, {}, drop="mode"), monkeypatch)
    assert any("Annex I element missing: Form of participation" in w for w in record["warnings"]), record


@pytest.mark.parametrize("profile", ["imperial", "uk-qaa"])
def test_a_micro_credential_without_assessment_is_refused(tmp_path: Path, profile: str) -> None:
    """Imperial: micro-credentials are 'rigorously assessed', 'Assessment: Summative assessment
    will be proportionate to the volume of credit'; MIC.SIG: 'To achieve a micro-credential,
    learners are assessed to demonstrate they have achieved the learning outcomes'."""
    catalogue = _loaded(_catalogue(tmp_path, [profile], {}, drop="assessment"))
    [finding] = specification_findings(catalogue)["IMP-MC-MLH"]
    assert finding.code == f"policy.{profile}.assessment-missing"
    assert finding.severity == "error"
    assert "assessed" in finding.message and "assessment in the catalogue" in finding.fix
    assessed = _loaded(_catalogue(tmp_path, [profile], {}))
    assert "IMP-MC-MLH" not in specification_findings(assessed)


def test_a_size_profile_does_not_ask_for_an_assessment(tmp_path: Path) -> None:
    for profile in ("cmf", "short-learning-programme", "eu-council"):  # Annex I says it for eu-council
        catalogue = _loaded(_catalogue(tmp_path, [profile], {"credits": 5, "eqf": 6}, drop="assessment"))
        assert "IMP-MC-MLH" not in specification_findings(catalogue), profile


@pytest.mark.parametrize("assessment", [
    {"title": {"en": "Coursework"}, "type": "level of attendance"},  # the type says it
    {"title": {"en": "Attendance"}, "type": "level-of-attendance"},
    {"title": {"en": "Attendance at all sessions"}},
    {"title": {"en": "Participation"}},
    {"title": {"en": "Full attendance and active participation in the seminars (80%)"}},
    {"title": {"en": "At least 80 per cent attendance (compulsory)"}},
    {"title": {"en": "Satisfactory attendance, min. 75%"}},
])
def test_an_assessment_of_attendance_only_is_refused_where_learners_are_assessed(
        tmp_path: Path, assessment: dict[str, Any]) -> None:
    """Imperial: 'rigorously assessed', 'Summative assessment'; MIC.SIG: 'learners are assessed to
    demonstrate they have achieved the learning outcomes': being there demonstrates neither."""
    for profile in ("imperial", "uk-qaa"):
        catalogue = _loaded(_catalogue(tmp_path, [profile], {"assessment": assessment}))
        [finding] = specification_findings(catalogue)["IMP-MC-MLH"]
        assert (finding.code, finding.severity) == (f"policy.{profile}.assessment-attendance", "error")
        assert "attendance" in finding.message and "assessed" in finding.message
        assert "assessment.type in the catalogue" in finding.fix
    for profile in ("cmf", "short-learning-programme", "eu-council"):  # none asks for an assessment
        sized = {"assessment": assessment, "credits": 5, "eqf": 6}
        catalogue = _loaded(_catalogue(tmp_path, [profile], sized))
        assert "IMP-MC-MLH" not in specification_findings(catalogue), profile


@pytest.mark.parametrize("assessment", [
    {"title": {"en": "Attendance and a final written examination"}},
    {"title": {"en": "Participation in a group project"}, "type": "project work"},
    {"title": {"en": "Attendance"}, "type": "written examination"},  # the type says what it is
])
def test_an_assessment_beside_attendance_is_an_assessment(tmp_path: Path, assessment: dict[str, Any]) -> None:
    for profile in ("imperial", "uk-qaa"):
        catalogue = _loaded(_catalogue(tmp_path, [profile], {"assessment": assessment}))
        assert "IMP-MC-MLH" not in specification_findings(catalogue), profile


def test_more_than_60_uk_credits_is_a_warning(store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MIC.SIG: 'micro-credentials should be no more than 60 credits' recommends, where 'must be
    credit rated' requires: 62 UK credits is worth a warning, no credits still an error."""
    [finding] = check_policy(Facts(Decimal(31), 6), PROFILES["uk-qaa"])
    assert (finding.code, finding.severity) == ("policy.uk-qaa.ects-range", "warning")
    assert "should be no more than 60 credits" in finding.message
    [missing] = check_policy(Facts(None, 6), PROFILES["uk-qaa"])
    assert (missing.code, missing.severity) == ("policy.uk-qaa.ects-missing", "error")
    larger = _catalogue(tmp_path, ["uk-qaa"], {"credits": 35, "hours": 875})  # 70 UK credits
    record = _export_one(store, tmp_path, larger, monkeypatch)
    assert record["status"] == "done", record["errors"]
    assert any("ects-range" in w for w in record["warnings"]), record


@pytest.mark.parametrize(("eqf", "uk", "codes"), [
    (7, 7, []), (6, 6, []), (5, 4, []), (5, 5, []),  # as the UK references its levels to the EQF
    (5, 7, ["policy.imperial.level-mismatch"]), (6, 7, ["policy.imperial.level-mismatch"]),
    (7, 6, ["policy.imperial.level-mismatch"]), (6, 5, ["policy.imperial.level-mismatch"]),
    (7, 8, ["policy.imperial.eqf-range"]),  # out of the levels: that is the finding
])
def test_an_eqf_level_beside_another_uk_level_is_named(eqf: int, uk: int, codes: list[str]) -> None:
    """Imperial: 'Level 4-7' (FHEQ): EQF 5 beside FHEQ level 7 says two levels; which one the
    micro-credential is at is for its author to say, so it is a warning, not a refusal."""
    found = check_policy(Facts(Decimal(5), eqf, uk_level=uk), PROFILES["imperial"])
    assert [f.code for f in found] == codes
    if codes == ["policy.imperial.level-mismatch"]:
        [finding] = found
        assert finding.severity == "warning"
        assert f"EQF level {eqf}" in finding.message and f"FHEQ/RQF level {uk}" in finding.message
        assert "eqfLevel" in finding.fix and "nqfLevel" in finding.fix
    assert _codes(Facts(Decimal(5), eqf, uk_level=uk), "cmf") == []  # a profile without UK levels


def test_an_eqf_level_beside_another_uk_level_is_named_in_the_catalogue(tmp_path: Path) -> None:
    catalogue = _loaded(_catalogue(tmp_path, ["imperial"], {"eqf": 6, "nqf": "RQF Level 7"}))
    found = specification_findings(catalogue)["IMP-MC-MLH"]
    assert [(f.code, f.severity) for f in found] == [("policy.imperial.level-mismatch", "warning")]


def test_a_uk_micro_credential_states_its_level(tmp_path: Path) -> None:
    """QAA 'Micro-credential Planning Framework' (2023), abstract: micro-credentials 'are
    credit-bearing against a recognised level of the national qualifications frameworks';
    MIC.SIG, 'Are micro-credentials limited to a certain level or size?': they 'can be at any
    level'. Any level does; none does not."""
    [finding] = check_policy(Facts(Decimal(10), None), PROFILES["uk-qaa"])
    assert (finding.code, finding.severity) == ("policy.uk-qaa.level-missing", "error")
    assert "credit-bearing against a recognised level" in finding.message and "nqfLevel" in finding.fix
    ten = Decimal(10)
    for facts in (Facts(ten, 1), Facts(ten, None, uk_level=2), Facts(ten, None, nqf=True)):
        assert _codes(facts, "uk-qaa") == [], facts
    for profile in ("cmf", "imperial"):  # they ask for their levels, under their own codes
        assert "level-missing" not in " ".join(_codes(Facts(Decimal(5), None), profile))
    path = _catalogue(tmp_path, ["uk-qaa"], {}, drop="eqf")
    assert specification_findings(_loaded(path)) == {}  # its nqf, RQF Level 7, is a level
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(s for s in data["specifications"] if s["code"] == "IMP-MC-MLH").pop("nqf")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    [found] = specification_findings(_loaded(path))["IMP-MC-MLH"]
    assert found.code == "policy.uk-qaa.level-missing"


@pytest.mark.parametrize(("eqf", "scqf", "codes"), [
    (5, 7, []), (5, 8, []), (6, 9, []), (6, 10, []), (7, 11, []),  # as SCQF is referenced to the EQF
    (6, 7, ["policy.imperial.level-mismatch"]), (5, 11, ["policy.imperial.level-mismatch"]),
    (7, 9, ["policy.imperial.level-mismatch"]),
    (6, 6, ["policy.imperial.eqf-range"]),  # SCQF 6 is EQF 4, out of the levels: that is the finding
    (6, 2, ["policy.imperial.eqf-range"]),  # SCQF 2 is at no EQF level
])
def test_an_eqf_level_beside_another_scottish_level_is_named(eqf: int, scqf: int, codes: list[str]) -> None:
    """SCQF 7 is referenced to EQF 5: EQF 6 beside it says two levels, as EQF 5 beside FHEQ
    level 7 does, and is a warning naming both and the levels that agree."""
    facts = Facts(Decimal(5), eqf, uk_other=read_uk_level(f"SCQF Level {scqf}"))
    found = check_policy(facts, PROFILES["imperial"])
    assert [f.code for f in found] == codes
    if codes == ["policy.imperial.level-mismatch"]:
        [finding] = found
        referenced = SCQF_LEVEL_EQF[scqf]
        assert finding.severity == "warning"
        assert f"EQF level {eqf} (eqfLevel) and SCQF level {scqf} (nqfLevel)" in finding.message
        assert f"SCQF level {scqf} is referenced to EQF {referenced}" in finding.message
        agreeing = " or ".join(str(n) for n, e in sorted(SCQF_LEVEL_EQF.items()) if e == eqf)
        assert f"EQF {referenced} (eqfLevel" in finding.fix
        assert f"SCQF level {agreeing} (nqfLevel" in finding.fix
    assert _codes(facts, "cmf") == []  # a profile without UK levels


def test_an_eqf_level_beside_another_scottish_level_is_named_in_the_catalogue(tmp_path: Path) -> None:
    catalogue = _loaded(_catalogue(tmp_path, ["imperial"], {"eqf": 6, "nqf": "SCQF Level 7"}))
    found = specification_findings(catalogue)["IMP-MC-MLH"]
    assert [(f.code, f.severity) for f in found] == [("policy.imperial.level-mismatch", "warning")]
    assert "SCQF level 7" in found[0].message
