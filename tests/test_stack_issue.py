"""Issuing the larger credential: parts linked with hasPart, official shapes, the command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from edcbridge.load import load_catalogue
from edcbridge.mapping.edc import to_edc
from edcbridge.model import Award, Catalogue, parse
from edcbridge.output import serialise
from edcbridge.preview.cli import register
from edcbridge.seal import verify_file
from edcbridge.sealing import SealFactory, demo_seal
from edcbridge.stack import Held, NotSatisfied, check_stack, derive_rules, stacked_credential
from edcbridge.xml.importer import import_file
from tests.conftest import FIXTURES
from tests.test_official_conformance import _conforms

TARGET = "IMP-PGCERT-DSH"
DAY = dt.date(2026, 6, 30)
PARTS = (("IMP-MC-MLH", "2025-07-14", "P1"), ("IMP-MC-CRA", "2025-09-30", "P2"),
         ("IMP-MC-DLH", "2025-12-12", "P3"))


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURES / "imperial" / "catalogue.yaml")


def _award(code: str, day: str, award_id: str, family_name: str = "Lefèvre-Dubois") -> Award:
    return parse(Award, {"award_id": award_id, "specification": code, "awarding_date": day,
                         "grade": {"en": "Merit"},
                         "learner": {"id": "02214587", "given_name": {"en": "Chloé"},
                                     "family_name": {"en": family_name}, "email": "chloe@example.org"}})


def _result(catalogue: Catalogue, held: list[Held]) -> Any:
    return check_stack(derive_rules(catalogue)[TARGET], held, catalogue, as_of=DAY)


def test_stacked_credential_links_its_parts_and_conforms(reference: Path, catalogue: Catalogue) -> None:
    held = [Held(_award(*p), catalogue) for p in PARTS]
    doc = stacked_credential(_result(catalogue, held), catalogue, awarding_date=DAY, grade={"en": "Merit"})
    claim = doc["credentialSubject"]["hasClaim"]
    assert claim["title"] == {"en": "Postgraduate Certificate in Data Science for Health"}
    parts = claim["hasPart"]
    assert sorted(p["title"]["en"] for p in parts) == ["Climate Risk Analytics",
                                                       "Leading Digital Transformation in Healthcare",
                                                       "Machine Learning for Health Data"]
    assert all(p["type"] == "LearningAchievement" and p["awardedBy"]["awardingDate"] for p in parts)
    conforms, text = _conforms(doc)
    assert conforms, text
    again = stacked_credential(_result(catalogue, list(reversed(held))), catalogue, awarding_date=DAY,
                               grade={"en": "Merit"})
    assert again["id"] == doc["id"]  # the same parts give the same credential


def test_imported_credentials_count_by_their_specification(tmp_path: Path, catalogue: Catalogue) -> None:
    held = []
    for part in PARTS:
        path = tmp_path / f"{part[2]}.jsonld"
        path.write_bytes(serialise(to_edc(_award(*part), catalogue)))
        imported = import_file(path)
        held.append(Held(imported.award, imported.catalogue, str(path)))
    result = _result(catalogue, held)
    assert result.satisfied, result.explanation
    assert sorted(i.spec_code for i in result.items) == ["IMP-MC-CRA", "IMP-MC-DLH", "IMP-MC-MLH"]


def test_nothing_is_issued_unless_satisfied(catalogue: Catalogue) -> None:
    held = [Held(_award(*PARTS[0]), catalogue)]
    with pytest.raises(NotSatisfied, match="NOT SATISFIED"):
        stacked_credential(_result(catalogue, held), catalogue, awarding_date=DAY, grade={"en": "Pass"})
    full = [Held(_award(*p), catalogue) for p in PARTS]
    with pytest.raises(NotSatisfied, match="--grade"):
        stacked_credential(_result(catalogue, full), catalogue, awarding_date=DAY)


def _write_held(tmp_path: Path, catalogue: Catalogue, parts: tuple[tuple[str, str, str], ...],
                seal: SealFactory | None = None, family_name: str = "Lefèvre-Dubois") -> list[str]:
    """The parts as credential files, sealed with ``seal`` when given."""
    files = []
    for part in parts:
        path = tmp_path / f"held-{part[2]}.jsonld"
        data = serialise(to_edc(_award(*part, family_name=family_name), catalogue))
        path.write_bytes(seal()(data) if seal is not None else data)
        files += ["--held", str(path)]
    return files


def test_cli_stack_issues_and_seals(tmp_path: Path, catalogue: Catalogue) -> None:
    group = click.Group()
    register(group)
    runner = CliRunner()
    factory = demo_seal(tmp_path / "seal", catalogue)
    password = tmp_path / "password.txt"
    password.write_bytes(factory.password)
    catalogue_args = [TARGET, "-c", str(FIXTURES / "imperial" / "catalogue.yaml"), "--as-of", DAY.isoformat()]
    held = _write_held(tmp_path, catalogue, PARTS, factory)
    result = runner.invoke(group, ["stack", *catalogue_args, *held,
                                   "--issue", str(tmp_path / "out"), "--grade", "Merit", "--seal",
                                   str(factory.p12), "--password-file", str(password), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["satisfied"] is True and len(data["issued"]) == 2
    sealed = Path(data["issued"][1])
    assert verify_file(sealed).checks["SEAL"].status == "OK"
    payload = json.loads(sealed.read_bytes())["payload"]  # compact, as the EC's issuer seals
    assert payload == json.dumps(json.loads(Path(data["issued"][0]).read_bytes()), ensure_ascii=False,
                                 separators=(",", ":"))
    anchor = ["--trust-anchor", str(tmp_path / "seal" / "root-ca.pem")]
    result = runner.invoke(group, ["stack", *catalogue_args, *anchor,
                                   *_write_held(tmp_path, catalogue, PARTS[:2], factory)])
    assert result.exit_code == 1
    assert "NOT SATISFIED" in result.stdout and "missing: 15 more credits" in result.stdout


def test_cli_stack_seals_a_code_point_unicode_has_not_assigned_as_its_escape(
        tmp_path: Path, catalogue: Catalogue) -> None:
    """JOSE verifiers refuse such a code point written as it is in a payload; its escape is the
    same JSON value."""
    group = click.Group()
    register(group)
    factory = demo_seal(tmp_path / "seal", catalogue)
    password = tmp_path / "password.txt"
    password.write_bytes(factory.password)
    held = _write_held(tmp_path, catalogue, PARTS, factory, family_name="Lefèvre\u0378")
    result = CliRunner().invoke(group, ["stack", TARGET, "-c", str(FIXTURES / "imperial" / "catalogue.yaml"),
                                        "--as-of", DAY.isoformat(), *held, "--issue", str(tmp_path / "out"),
                                        "--grade", "Merit", "--seal", str(factory.p12), "--password-file",
                                        str(password), "--json"])
    assert result.exit_code == 0, result.output
    unsealed, sealed = (Path(name) for name in json.loads(result.stdout)["issued"])
    assert "Lefèvre\u0378" in unsealed.read_text("utf-8")
    payload = json.loads(sealed.read_bytes())["payload"]
    assert "Lefèvre\\u0378" in payload and "\u0378" not in payload
    assert json.loads(payload) == json.loads(unsealed.read_bytes())
    assert verify_file(sealed).checks["SEAL"].status == "OK"


def test_cli_stack_with_an_awards_file_needs_a_learner(tmp_path: Path) -> None:
    group = click.Group()
    register(group)
    args = ["stack", TARGET, "-c", str(FIXTURES / "imperial" / "catalogue.yaml"),
            "--records", str(FIXTURES / "imperial" / "awards.csv")]
    result = CliRunner().invoke(group, args)
    assert result.exit_code == 2 and "choose one with --learner" in result.stderr
    result = CliRunner().invoke(group, [*args, "--learner", "02214587", "--as-of", "2026-01-01"])
    assert result.exit_code == 1 and "counts 5 credits" in result.stdout
    result = CliRunner().invoke(group, ["stack", "IMP-MC-MLX", "-c", args[3], "--records", args[5]])
    assert result.exit_code == 2 and "did you mean IMP-MC-MLH" in result.stderr
    as_held = CliRunner().invoke(group, ["stack", TARGET, "-c", args[3], "--held", args[5]])
    assert as_held.exit_code == 2
    assert "give them with --records; --held takes credential files" in as_held.stderr
    junk = tmp_path / "notes.txt"
    junk.write_text("neither", encoding="utf-8")
    unreadable = CliRunner().invoke(group, ["stack", TARGET, "-c", args[3], "--held", str(junk)])
    assert unreadable.exit_code == 2 and unreadable.stderr.count(str(junk)) == 1, unreadable.stderr


def test_cli_stack_does_not_issue_an_award_dated_ahead(tmp_path: Path, catalogue: Catalogue) -> None:
    group = click.Group()
    register(group)
    ahead = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=400)
    args = ["stack", TARGET, "-c", str(FIXTURES / "imperial" / "catalogue.yaml"), "--records",
            str(FIXTURES / "imperial" / "awards.csv"), "--learner", "02214587", "--as-of", ahead.isoformat()]
    result = CliRunner().invoke(group, [*args, "--issue", str(tmp_path / "out"), "--grade", "Merit"])
    assert result.exit_code == 2 and f"--as-of {ahead} is after today" in result.stderr
    assert not (tmp_path / "out").exists()
    assert CliRunner().invoke(group, args).exit_code == 1  # checking a future date is fine


def test_cli_stack_help_says_learner_is_needed_for_held_files_of_several_learners() -> None:
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["stack", "--help"], terminal_width=200)
    assert result.exit_code == 0
    help_text = " ".join(result.stdout.split())
    assert "needed when the credentials given (--held or --records) belong to several learners" in help_text
