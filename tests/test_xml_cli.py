"""The XML commands through click, as the main CLI registers them."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.schemas import SchemaStore
from edcbridge.seal import TestSeal, generate_test_seal
from edcbridge.xml.cli import register
from tests.conftest import FIXTURES


@click.group()
def main() -> None:
    """Stand-in for the edcbridge group."""


register(main)


@pytest.fixture(autouse=True)
def _store_env(store: SchemaStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestSeal:
    """A TEST seal of the University of Warsaw, the issuer of the Warsaw fixtures."""
    return generate_test_seal(tmp_path_factory.mktemp("pki"), organisation="University of Warsaw",
                              organisation_identifier="VATPL-5250000000", country="PL")


def test_export_seal_verify_inspect(tmp_path: Path, pki: TestSeal) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["export-xml", str(FIXTURES / "warsaw" / "awards.csv"), "-c",
                                  str(FIXTURES / "warsaw" / "catalogue.yaml"), "-o", str(tmp_path),
                                  "--p12", str(pki.p12), "--password-file", str(pki.password_file)])
    assert result.exit_code == 0, result.output
    written = [Path(line) for line in result.stdout.splitlines()]
    assert len(written) == 7 and all(p.parent == tmp_path / "edc-xml" for p in written)
    assert written[0].name.startswith("uw_")

    verified = runner.invoke(main, ["verify-xml", "--json", "--trust-anchor", str(pki.root_ca),
                                    *map(str, written[:2])])
    assert verified.exit_code == 0, verified.output
    assert all(item["ok"] for item in json.loads(verified.stdout))

    inspected = runner.invoke(main, ["inspect", "--json", str(written[0])])
    assert inspected.exit_code == 0, inspected.output
    model = json.loads(inspected.stdout)
    assert model["form"] == "xades" and model["award"]["specification"] == "UW-WPiA-RODO6"

    summary = runner.invoke(main, ["inspect", str(written[0])])
    assert "award:" in summary.stdout and "EQF" in summary.stdout


def test_loq_and_validate_xml(tmp_path: Path, reference: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["loq", str(FIXTURES / "imperial" / "catalogue.yaml"), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    loq_file = Path(result.stdout.strip())
    assert loq_file == tmp_path / "loq" / "imperial.xml"
    vectors = reference / "examples" / "edci-1.7.3-xml" / "xsdValidation"
    ok = runner.invoke(main, ["validate-xml", "--engine", "both", str(loq_file),
                              str(vectors / "credential-generic-contactPoint-choice-OK.xml")])
    assert ok.exit_code == 0, ok.output
    negative = vectors / "credential-generic-contactPoint-choice-KO.xml"
    ko = runner.invoke(main, ["validate-xml", "--json", str(negative)])
    assert ko.exit_code == 1
    assert json.loads(ko.stdout)[0]["findings"][0]["code"] == "xsd-lxml"


def test_inspect_refuses_unsafe_and_unknown_input(tmp_path: Path) -> None:
    bad = tmp_path / "xxe.xml"
    bad.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', encoding="utf-8")
    result = CliRunner().invoke(main, ["inspect", str(bad)])
    assert result.exit_code == 1 and "DOCTYPE" in result.stderr
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["inspect", str(other)])
    assert result.exit_code == 1 and "@context" in result.stderr
