"""verify over a folder of received credentials, JAdES-sealed JSON and XAdES-sealed EDC XML
mixed: each XML file (known by its content, whatever its name) is checked as verify-xml checks
it, its result given in verify's list, and the exit code counts it as verify-xml would."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from edcbridge.cli import main
from edcbridge.schemas import SchemaStore
from edcbridge.seal import SealKey, devpki
from edcbridge.sealing import xml_format_check
from edcbridge.xml.xades import XadesSealer
from tests.conftest import need_tool
from tests.xml_support import xmlsec1_verifies

# issued by University Great
UNSEALED_XML = Path("examples", "elm-repo-xml-v1.2-unsigned", "EDC_SampleDegree_AA.xml")
SEALED_JSON = Path("examples", "elm-repo-v3-jsonld", "Sample-MC-Annex1-signed.jsonld")


@pytest.fixture(scope="module")
def university_pki() -> devpki.DevPki:
    return devpki.generate(organisation="University Great", organisation_identifier="NTRGB-99999999")


@pytest.fixture
def folder(reference: Path, university_pki: devpki.DevPki, tmp_path: Path) -> Path:
    """A folder as an admissions office receives it: a JAdES-sealed credential and the same
    XAdES-sealed EDC XML credential saved under three names."""
    received = tmp_path / "received"
    received.mkdir()
    shutil.copy(reference / SEALED_JSON, received / "a-credential.jsonld")
    sealed = sealed_variant(reference, university_pki, lambda xml: xml)
    for name in ("b-degree.xml", "c-degree.txt", "d-degree"):
        (received / name).write_bytes(sealed)
    return received


def anchor(pki: devpki.DevPki, tmp_path: Path) -> Path:
    path = tmp_path / "root.pem"
    path.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    return path


def invoke(store: SchemaStore, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(main, [*args], env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout) if "--json" in args else []


def comparable(report: dict[str, object]) -> dict[str, object]:
    """A report but for the two checks verify runs or words as verify-xml does not, and with
    EXPIRY's status only (its reason names the moment each run checked at)."""
    checks = report["checks"]
    assert isinstance(checks, dict)
    kept = {name: check for name, check in checks.items() if name not in ("FORMAT", "REVOCATION")}
    return {**report, "checks": {**kept, "EXPIRY": kept["EXPIRY"]["status"]}}


def sealed_variant(reference: Path, pki: devpki.DevPki, change: Callable[[bytes], bytes]) -> bytes:
    """The unsealed EDC XML sample, changed by *change*, then sealed with *pki*'s test seal."""
    sealer = XadesSealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    return sealer.seal_bytes(change((reference / UNSEALED_XML).read_bytes()))


def test_the_xml_seal_is_one_an_independent_verifier_accepts(folder: Path,
                                                             university_pki: devpki.DevPki,
                                                             tmp_path: Path) -> None:
    xmlsec1 = need_tool("xmlsec1")
    assert xmlsec1_verifies((folder / "b-degree.xml").read_bytes(), university_pki.root.certificate,
                            tmp_path, xmlsec1)


def test_verify_checks_xades_sealed_xml_under_any_name_as_verify_xml_does(
        folder: Path, university_pki: devpki.DevPki, store: SchemaStore, tmp_path: Path) -> None:
    files = sorted(str(path) for path in folder.iterdir())
    code, reports = invoke(store, "verify", "--json", *files)
    assert code == 0 and [r["file"] for r in reports] == files
    assert [r["verdict"] for r in reports] == ["UNCONFIRMED"] * 4
    root = str(anchor(university_pki, tmp_path))
    code, anchored = invoke(store, "verify", "--json", "--trust-anchor", root, *files[1:])
    xml_code, by_verify_xml = invoke(store, "verify-xml", "--json", "--trust-anchor", root, *files[1:])
    assert code == xml_code == 0
    assert [comparable(r) for r in anchored] == [comparable(r) for r in by_verify_xml]
    assert [r["verdict"] for r in anchored] == ["VALID"] * 3
    assert {r["sealed_by"] for r in anchored} == {"University Great"}


def test_verify_finds_a_changed_xml_credential_invalid(folder: Path, store: SchemaStore) -> None:
    changed = folder / "c-degree.txt"
    changed.write_bytes(changed.read_bytes().replace(b"University Great", b"University Grand", 1))
    code, reports = invoke(store, "verify", "--json", str(changed), str(folder / "a-credential.jsonld"))
    assert code == 1
    assert reports[0]["verdict"] == "INVALID", reports[0]
    assert reports[1]["verdict"] == "UNCONFIRMED"


def test_verify_lines_and_count_take_the_xml_files_in(folder: Path, store: SchemaStore) -> None:
    files = sorted(str(path) for path in folder.iterdir())
    result = CliRunner().invoke(main, ["verify", *files], env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exit_code == 0, result.output
    assert f"{folder / 'd-degree'}: UNCONFIRMED (XAdES B-B): the seal is intact" in result.stdout
    assert "  CERTIFICATE OK" in result.stdout
    assert result.stdout.splitlines()[-1] == "4 files: 4 UNCONFIRMED"


def test_verify_require_revocation_fails_an_xades_seal_whose_revocation_is_not_checked(
        folder: Path, university_pki: devpki.DevPki, store: SchemaStore, tmp_path: Path) -> None:
    code, (report,) = invoke(store, "verify", "--json", "--require-revocation", "--trust-anchor",
                             str(anchor(university_pki, tmp_path)), str(folder / "b-degree.xml"))
    assert code == 1 and report["verdict"] == "CHECK"
    checks = report["checks"]
    assert isinstance(checks, dict) and checks["REVOCATION"]["status"] == "ERROR"
    assert list(checks) == ["SEAL", "CERTIFICATE", "TIMESTAMP", "EXPIRY", "FORMAT", "REVOCATION"]


def test_verify_checks_an_xml_credential_against_the_official_xsd_as_format(
        folder: Path, university_pki: devpki.DevPki, reference: Path, store: SchemaStore,
        tmp_path: Path) -> None:
    stray = tmp_path / "stray-element.xml"
    stray.write_bytes(sealed_variant(reference, university_pki, lambda xml: xml.replace(
        b"<primaryLanguage>en</primaryLanguage>",
        b"<primaryLanguage>en</primaryLanguage><unexpectedElement/>", 1)))
    code, (sound, broken) = invoke(store, "verify", "--json", str(folder / "b-degree.xml"), str(stray))
    assert code == 1
    assert sound["checks"]["FORMAT"] == {"status": "OK", "reason": "conforms to the official XSD"}
    assert broken["checks"]["SEAL"]["status"] == "OK" and broken["verdict"] == "CHECK", broken
    assert broken["checks"]["FORMAT"]["status"] == "ERROR"
    assert "unexpectedElement" in broken["checks"]["FORMAT"]["reason"], broken["checks"]


def test_verify_words_the_xml_checks_it_does_not_run_without_sending_to_verify_xml(
        folder: Path, store: SchemaStore) -> None:
    result = CliRunner().invoke(main, ["verify", str(folder / "b-degree.xml")],
                                env={"EDCBRIDGE_SCHEMAS": str(store.root)})
    assert result.exit_code == 0, result.output
    assert "verify-xml" not in result.stdout, result.stdout
    assert "  REVOCATION  SKIPPED not checked: whether the certificate of an XAdES seal was revoked" \
        in result.stdout


def test_fetch_revocation_says_it_does_not_reach_the_xades_seals(
        folder: Path, university_pki: devpki.DevPki, store: SchemaStore, tmp_path: Path) -> None:
    root = str(anchor(university_pki, tmp_path))
    env = {"EDCBRIDGE_SCHEMAS": str(store.root)}
    mixed = CliRunner().invoke(main, ["verify", "--fetch-revocation", "--trust-anchor", root,
                                      *sorted(str(path) for path in folder.iterdir())], env=env)
    assert "note: --fetch-revocation does not reach XAdES seals" in mixed.stderr, mixed.stderr
    assert "the 3 XML file(s)" in mixed.stderr
    json_only = CliRunner().invoke(main, ["verify", "--fetch-revocation", "--trust-anchor", root,
                                          str(folder / "a-credential.jsonld")], env=env)
    assert "XAdES" not in json_only.stderr, json_only.stderr


def test_the_xml_format_check_is_skipped_saying_how_when_the_store_lacks_the_xml_schemas(
        folder: Path, tmp_path: Path) -> None:
    empty = SchemaStore(tmp_path / "store")
    check = xml_format_check(empty)(folder.joinpath("b-degree.xml").read_bytes(), "b-degree.xml")
    assert check.status == "SKIPPED"
    assert f"the schema store {empty.root} lacks" in check.reason and "schemas install" in check.reason
