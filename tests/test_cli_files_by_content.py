"""validate and validate-xml judge a received file by what it holds, not by the end of its name:
mail systems and download folders save EDC XML as .txt, .edci or with no suffix at all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore

XSD_DIR = Path("examples", "edci-1.7.3-xml", "xsdValidation")
XSD_OK = XSD_DIR / "credential-generic-profile-xsd_v1.2.xml"
XSD_KO = XSD_DIR / "credential-generic-profile-xsd-ko.xml"
JSONLD = Path("examples", "elm-repo-v3-jsonld", "Sample-MC-Annex1-signed.jsonld")


def _run(store: SchemaStore, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(main, [*args, "--json"], env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("name", ["credential.txt", "credential.edci", "credential"])
@pytest.mark.parametrize(("sample", "ok"), [(XSD_OK, True), (XSD_KO, False)])
def test_validate_checks_edc_xml_under_any_name_against_the_xsd(reference: Path, store: SchemaStore,
                                                              tmp_path: Path, name: str, sample: Path,
                                                              ok: bool) -> None:
    path = tmp_path / name
    shutil.copy(reference / sample, path)
    code, (report,) = _run(store, "validate", str(path))
    assert report["checks"] == ["xsd"], report
    assert report["ok"] is ok and code == (0 if ok else 1)


def test_validate_line_for_xml_is_the_same_whatever_the_name(reference: Path, store: SchemaStore,
                                                             tmp_path: Path) -> None:
    named_xml, named_txt = tmp_path / "a.xml", tmp_path / "a.txt"
    shutil.copy(reference / XSD_KO, named_xml)
    shutil.copy(reference / XSD_KO, named_txt)
    env = {"EDCBRIDGE_SCHEMAS": str(store.root)}
    as_xml = CliRunner().invoke(main, ["validate", str(named_xml)], env=env)
    as_txt = CliRunner().invoke(main, ["validate", str(named_txt)], env=env)
    assert as_txt.exit_code == as_xml.exit_code == 1
    assert as_txt.stdout.replace("a.txt", "a.xml") == as_xml.stdout
    assert as_txt.stdout.startswith(f"INVALID {named_txt} (xsd)"), as_txt.stdout


def test_validate_checks_json_ld_saved_as_xml_against_the_shapes(reference: Path, store: SchemaStore,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "credential.xml"
    shutil.copy(reference / JSONLD, path)
    code, (report,) = _run(store, "validate", str(path))
    assert code == 0 and report["ok"] and report["sealed"] is True, report
    assert "xsd" not in report["checks"] and "shacl" in report["checks"], report


def test_validate_xml_given_json_names_validate(reference: Path, store: SchemaStore) -> None:
    code, (report,) = _run(store, "validate-xml", str(reference / JSONLD))
    assert code == 1 and not report["ok"]
    (finding,) = report["findings"]
    assert "not XML" in finding["message"] and "'edcbridge validate'" in finding["fix"], finding
