"""Open Badges 3.0 and CLR 2.0 output, checked with the official 1EdTech schemas directly."""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from jsonschema import Draft201909Validator, FormatChecker

from edcbridge.badges import clr_credential, open_badge, validate_badge, write_badges
from edcbridge.model import Award, parse
from edcbridge.preview.cli import register
from edcbridge.sealing import demo_seal
from tests.conftest import FIXTURES, REFERENCE
from tests.preview_support import first_award, fixture_pairs

OB3 = "ob3-clr/schemas/ob-v3p0/ob_v3p0_achievementcredential_schema.json"
OB3_STRICT = "ob3-clr/schemas/ob-v3p0-formal-2024/achievementcredential.json"
CLR = "ob3-clr/schemas/clr-v2p0/clr_v2p0_clrcredential_schema.json"
CASES = [(f"{name}:{award.award_id}", award, catalogue) for name, award, catalogue in fixture_pairs()]


@cache
def _official(relative: str) -> Draft201909Validator:
    schema = json.loads((REFERENCE / relative).read_text("utf-8"))
    return Draft201909Validator(schema, format_checker=FormatChecker())


def _errors(relative: str, doc: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in _official(relative).iter_errors(doc)]


@pytest.mark.parametrize(("name", "award", "catalogue"), CASES, ids=[c[0] for c in CASES])
def test_every_award_passes_both_official_ob3_schemas(reference: Path, name: str, award: Any,
                                                      catalogue: Any) -> None:
    doc = open_badge(award, catalogue)
    assert _errors(OB3, doc) == []
    assert _errors(OB3_STRICT, doc) == []
    assert validate_badge(doc, reference / "ob3-clr") == []


def test_achievement_carries_criteria_credits_levels_and_skills(reference: Path) -> None:
    award, catalogue = first_award("imperial")
    doc = open_badge(award, catalogue)
    achievement = doc["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert "Train, tune and validate" in achievement["criteria"]["narrative"]
    assert achievement["creditsAvailable"] == 5 and doc["credentialSubject"]["creditsEarned"] == 5
    by_type: dict[str, list[dict[str, Any]]] = {}
    for alignment in achievement["alignment"]:
        by_type.setdefault(alignment["targetType"], []).append(alignment)
    assert by_type["ext:CreditValue"][0]["targetName"] == "5 ECTS"
    assert by_type["ext:EQFLevel"][0]["targetUrl"] == "http://data.europa.eu/snb/eqf/7"
    skills = {a["targetUrl"] for a in by_type["ceasn:Competency"]}
    assert "http://data.europa.eu/esco/skill/372d1969-b1d7-4f1a-b5dc-a2681d32a952" in skills
    assert all(a["targetFramework"].endswith("(ESCO)") for a in by_type["ceasn:Competency"])
    assert doc["credentialSubject"]["result"][0]["value"] == "Distinction"
    assert open_badge(award, catalogue) == doc  # deterministic


def test_learner_identity_is_hashed_except_the_name() -> None:
    award, catalogue = first_award("imperial")
    identifiers = open_badge(award, catalogue)["credentialSubject"]["identifier"]
    email = next(i for i in identifiers if i["identityType"] == "emailAddress")
    assert award.learner.email and award.learner.email not in json.dumps(identifiers)
    assert email["hashed"] is True
    assert email["identityHash"].startswith("sha256$")


def test_the_email_hash_is_over_the_address_lower_cased() -> None:
    """A relying party hashes the address it knows, lower-cased (e-mail addresses are matched
    without case): the hash of ``Ana.Smith@Example.ORG`` must be the hash of ``ana.smith@example.org``."""
    award, catalogue = first_award("imperial")
    base = award.model_dump(mode="json", exclude_none=True)
    written = parse(Award, {**base, "learner": {**base["learner"], "email": " Ana.Smith@Example.ORG "}})
    identifiers = open_badge(written, catalogue)["credentialSubject"]["identifier"]
    email = next(i for i in identifiers if i["identityType"] == "emailAddress")
    expected = hashlib.sha256(("ana.smith@example.org" + email["salt"]).encode("utf-8")).hexdigest()
    assert email["identityHash"] == f"sha256${expected}"


def _stacking_learner() -> list[tuple[Award, Any]]:
    award, catalogue = first_award("imperial")
    base = award.model_dump(mode="json", exclude_none=True)
    parts = [parse(Award, {**base, "award_id": f"X-{code}", "specification": code, "awarding_date": day})
             for code, day in (("IMP-MC-MLH", "2025-01-10"), ("IMP-MC-CRA", "2025-06-01"),
                               ("IMP-PGCERT-DSH", "2026-03-01"))]
    return [(a, catalogue) for a in parts]


def test_clr_bundles_a_learners_awards_and_says_how_they_stack(reference: Path) -> None:
    doc = clr_credential(_stacking_learner())
    assert _errors(CLR, doc) == []
    for inner in doc["credentialSubject"]["verifiableCredential"]:
        assert _errors(OB3, inner) == [] and _errors(OB3_STRICT, inner) == []
    assert validate_badge(doc, reference / "ob3-clr") == []
    subject = doc["credentialSubject"]
    assert len(subject["verifiableCredential"]) == 3 and len(subject["achievement"]) == 3
    ids = {a["name"]: a["id"] for a in subject["achievement"]}
    pgcert = ids["Postgraduate Certificate in Data Science for Health"]
    child = {(a["associationType"], a["sourceId"], a["targetId"]) for a in subject["association"]}
    assert ("isChildOf", ids["Machine Learning for Health Data"], pgcert) in child
    assert ("isParentOf", pgcert, ids["Climate Risk Analytics"]) in child
    assert doc["validFrom"] == "2026-03-01T00:00:00Z"


def test_clr_refuses_awards_of_two_learners() -> None:
    pairs = [(a, c) for name, a, c in fixture_pairs() if name == "imperial"][:2]
    with pytest.raises(ValueError, match="one learner"):
        clr_credential(pairs)


def test_checks_catch_unknown_terms_contexts_and_schema_errors(reference: Path) -> None:
    award, catalogue = first_award("wales")
    good = open_badge(award, catalogue)
    bad = copy.deepcopy(good)
    bad["credentialSubject"]["achievement"]["creditsAvailabel"] = 10
    assert [f.code for f in validate_badge(bad, reference / "ob3-clr")] == ["ob3.dropped-term"]
    bad = copy.deepcopy(good)
    bad["@context"].append("https://example.org/context.json")
    assert "ob3.context-unknown" in {f.code for f in validate_badge(bad, reference / "ob3-clr")}
    bad = copy.deepcopy(good)
    del bad["credentialSubject"]["achievement"]["criteria"]
    assert any(f.code.startswith("ob3.schema") for f in validate_badge(bad, reference / "ob3-clr"))


def test_write_badges_for_the_demo(reference: Path, tmp_path: Path) -> None:
    pairs = [(a, c) for _, a, c in fixture_pairs()]
    asked: list[str] = []

    def key_for(catalogue: Any) -> Any:
        asked.append(catalogue.issuer)
        return demo_seal(tmp_path / "seal" / catalogue.issuer, catalogue).load().key

    outputs = write_badges(pairs, tmp_path, key_for=key_for, schemas=reference / "ob3-clr")
    assert sorted(asked) == sorted({c.issuer for _, c in pairs})  # each seal loaded once
    assert outputs.ok, outputs.failed
    assert len(list((tmp_path / "ob3").glob("*.json"))) == len(pairs)
    assert len(list((tmp_path / "ob3").glob("*.jwt"))) == len(pairs)
    learners = {(a.issuer or c.issuer, a.learner.id) for a, c in pairs}
    assert len(list((tmp_path / "clr").glob("*.jwt"))) == len(learners)


def test_cli_badges(reference: Path, tmp_path: Path) -> None:
    from edcbridge.load import load_catalogue

    catalogue_path = FIXTURES / "wales" / "catalogue.yaml"
    factory = demo_seal(tmp_path / "seal", load_catalogue(catalogue_path))
    password = tmp_path / "password.txt"
    password.write_bytes(factory.password)
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["ob3", str(FIXTURES / "wales" / "awards.csv"),
                                        "-c", str(catalogue_path), "-o", str(tmp_path / "out"),
                                        "--schemas", str(reference / "ob3-clr"),
                                        "--seal", str(factory.p12), "--password-file", str(password)])
    assert result.exit_code == 0, result.output
    written = result.stdout.split()
    assert any(p.endswith(".jwt") and "/ob3/" in p for p in written)
    assert any(p.endswith(".jwt") and "/clr/" in p for p in written)
    other = demo_seal(tmp_path / "other", load_catalogue(FIXTURES / "cmf" / "catalogue.yaml"))
    password.write_bytes(other.password)
    result = CliRunner().invoke(group, ["badges", str(FIXTURES / "wales" / "awards.csv"), "-c",
                                        str(catalogue_path), "-o", str(tmp_path / "out2"), "--seal",
                                        str(other.p12), "--password-file", str(password)])
    assert result.exit_code == 2 and "not the organisation in the seal certificate" in result.stderr


def test_cli_badges_fails_when_rows_do_not_load(reference: Path, tmp_path: Path) -> None:
    group = click.Group()
    register(group)
    catalogue = str(FIXTURES / "wales" / "catalogue.yaml")
    rows = (FIXTURES / "wales" / "awards.csv").read_text("utf-8").splitlines()
    broken = tmp_path / "awards.csv"
    broken.write_text("\n".join([rows[0], rows[1], rows[2].replace(",", ";", 3)]) + "\n", encoding="utf-8")
    args = ["-c", catalogue, "--schemas", str(reference / "ob3-clr"), "--no-clr"]
    some = CliRunner().invoke(group, ["badges", str(broken), "-o", str(tmp_path / "out"), *args])
    assert some.exit_code == 1, some.output
    assert "1 rows not read" in some.stderr and len(some.stdout.split()) == 1  # the good row is written
    empty = tmp_path / "empty.csv"
    empty.write_text(rows[0] + "\n", encoding="utf-8")
    nothing = CliRunner().invoke(group, ["badges", str(empty), "-o", str(tmp_path / "none"), *args])
    assert nothing.exit_code == 2 and "no awards in" in nothing.stderr


def test_missing_official_files_say_where_to_point(tmp_path: Path) -> None:
    from edcbridge.badges import SchemasMissing

    award, catalogue = first_award("galway")
    with pytest.raises(SchemasMissing, match="EDCBRIDGE_OB3_SCHEMAS"):
        validate_badge(open_badge(award, catalogue), tmp_path)


def test_a_changed_official_schema_is_refused_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OB 3.0 schema emptied to {} in the store would pass any badge: it is refused."""
    import shutil

    from edcbridge.badges import SchemasMissing
    from edcbridge.schemas import default_store

    store = tmp_path / "store"
    shutil.copytree(default_store().root, store)
    schema = store / "ob3-clr" / "schemas" / "ob-v3p0" / "ob_v3p0_achievementcredential_schema.json"
    schema.write_text("{}", "utf-8")
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store))
    monkeypatch.delenv("EDCBRIDGE_OB3_SCHEMAS", raising=False)
    award, catalogue = first_award("galway")
    with pytest.raises(SchemasMissing, match="does not match its pinned sha256"):
        validate_badge(open_badge(award, catalogue))
